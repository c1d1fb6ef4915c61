"""The console command: --help, --version, a real job, byte-identical reruns, and bad input (exit 2, nothing written)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from conftest import GOLDEN_DIR
from typer.testing import CliRunner

from mabseq import __version__
from mabseq.cli import app
from mabseq.stats import logrank_test

runner = CliRunner()
LUNG = GOLDEN_DIR / "data" / "lung.csv"


def test_help_and_version():
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0 and "survival" in r.output
    r = runner.invoke(app, ["--version"])
    assert r.exit_code == 0 and r.output.strip() == f"mabseq {__version__}"


def test_survival_job_and_byte_identical_rerun(tmp_path):
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name
        r = runner.invoke(app, ["survival", str(LUNG), "--time", "time", "--event", "status", "--group", "sex",
                                "--out", str(out), "--quiet"])
        assert r.exit_code == 0, r.output
        outs.append(out)
    files = sorted(p.name for p in outs[0].iterdir())
    assert files == [".mabseq-output.json", "km.csv", "logrank.csv", "medians.csv", "summary.txt"]
    for f in files:
        assert (outs[0] / f).read_bytes() == (outs[1] / f).read_bytes()
    d = pd.read_csv(LUNG)
    lr = pd.read_csv(outs[0] / "logrank.csv")
    assert lr.statistic.iloc[0] == pytest.approx(logrank_test(d.time, d.status, d.sex).statistic, rel=1e-12)


@pytest.mark.parametrize(
    "content,args,message",
    [
        ("time,status\n1,1\n-3,0\n", [], "row 3, column 'time'"),
        ("time,status\n1,1\n3,7\n", [], "row 3, column 'status'"),
        ("time,status\n1,1\nabc,0\n", [], "row 3, column 'time': value 'abc' is not a number"),
        ("time,status\n1,1\n2,0\n", ["--group", "arm"], "column 'arm' not found"),
        ("time,status,arm\n1,1,a\n2,0,\n", ["--group", "arm"], "row 3, column 'arm': value is missing"),
    ],
)
def test_bad_input_exit_2_and_nothing_written(tmp_path, content, args, message):
    src = tmp_path / "cohort.csv"
    src.write_text(content)
    out = tmp_path / "out"
    r = runner.invoke(app, ["survival", str(src), "--time", "time", "--event", "status", "--out", str(out), *args])
    assert r.exit_code == 2
    assert "cohort.csv" in r.output and message in " ".join(r.output.split())
    assert not out.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["cohort.csv"]


def test_missing_file(tmp_path):
    r = runner.invoke(app, ["survival", str(tmp_path / "nope.csv"), "--time", "t", "--event", "e"])
    assert r.exit_code == 2 and "file not found" in r.output


def test_existing_output_replaced_whole(tmp_path):
    out = tmp_path / "out"
    args = ["survival", str(LUNG), "--time", "time", "--event", "status", "--out", str(out), "--quiet"]
    assert runner.invoke(app, args + ["--group", "sex"]).exit_code == 0
    assert (out / "logrank.csv").is_file()
    r = runner.invoke(app, args)  # mabseq's own earlier output is replaced whole: no stale logrank.csv
    assert r.exit_code == 0
    assert sorted(p.name for p in out.iterdir()) == [".mabseq-output.json", "km.csv", "medians.csv", "summary.txt"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left beside it
