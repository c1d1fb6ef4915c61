"""Hostile corpus, output paths: no command deletes or overwrites what it did not write, never writes over its input,
and leaves nothing behind on an error or a signal (issue 12, "Data loss")."""
from __future__ import annotations

import hashlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import GOLDEN_DIR
from typer.testing import CliRunner

from mabseq.cli import app
from mabseq.outputs import MARKER, OutputError, plan_file, plan_folder

runner = CliRunner()
VALID = Path(__file__).parent / "cohort_corpus" / "valid"
LUNG = GOLDEN_DIR / "data" / "lung.csv"


def tree(folder: Path) -> dict[str, str]:
    """Every file below ``folder`` with its content hash (what must not change)."""
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def cohort(tmp_path) -> Path:
    d = tmp_path / "data"
    shutil.copytree(VALID, d)
    return d


def refused(r, *words):
    text = " ".join(r.output.split())
    assert r.exit_code == 2, r.output
    assert "Traceback" not in r.output
    for w in words:
        assert w in text, text


def survival_args(out):
    return ["survival", str(LUNG), "--time", "time", "--event", "status", "--out", str(out), "--quiet"]


# ---- the cases the audit found ----------------------------------------------------------------------------------
def test_report_out_is_the_input_folder(cohort, tmp_path):
    before = tree(cohort)
    r = runner.invoke(app, ["report", str(cohort), "--out", str(cohort), "--quiet"])
    refused(r, "never writes over its input")
    assert tree(cohort) == before
    r = runner.invoke(app, ["report", str(cohort), "--out", str(cohort), "--overwrite", "--quiet"])
    refused(r, "input")  # not even with --overwrite
    assert tree(cohort) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data"]


def test_run_out_is_a_folder_holding_a_thesis(cohort, tmp_path):
    w = tmp_path / "w"
    w.mkdir()
    (w / "thesis.docx").write_bytes(b"four years of work")
    (w / "chapters").mkdir()
    (w / "chapters" / "one.tex").write_text("\\chapter{One}")
    before = tree(w)
    r = runner.invoke(app, ["run", str(cohort), "--out", str(w), "--quiet"])
    refused(r, "2 file(s) mabseq did not write", "thesis.docx", "--overwrite")
    assert tree(w) == before


def test_overwrite_replaces_a_foreign_folder_when_asked(cohort, tmp_path):
    w = tmp_path / "w"
    w.mkdir()
    (w / "old.txt").write_text("x")
    r = runner.invoke(app, ["run", str(cohort), "--out", str(w), "--quiet", "--overwrite"])
    assert r.exit_code == 0, r.output
    assert not (w / "old.txt").exists() and (w / "results.json").is_file() and (w / MARKER).is_file()


def test_import_db_is_the_input_workbook(tmp_path):
    from mabseq.cohort import load_cohort
    from mabseq.cohort.templates import build_xlsx_template  # noqa: F401  (a real workbook from the roundtrip test)
    wb = tmp_path / "in.xlsx"
    _valid_workbook(wb)
    assert load_cohort(wb)[1].errors == []
    before = wb.read_bytes()
    for extra in ([], ["--overwrite"]):
        r = runner.invoke(app, ["import", str(wb), "--db", str(wb), "--quiet", *extra])
        refused(r, "never writes over its input")
        assert wb.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in.xlsx"]


def test_out_is_a_file(cohort, tmp_path):
    f = tmp_path / "afile"
    f.write_text("keep me")
    for args in (["run", str(cohort), "--out", str(f)], survival_args(f)):
        r = runner.invoke(app, args + ["--overwrite"])
        refused(r, "is a file, not a folder")
        assert f.read_text() == "keep me"


def test_out_dot_with_files(cohort, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.txt").write_text("mine")
    before = tree(tmp_path)
    r = runner.invoke(app, ["run", "data", "--out", ".", "--quiet"])
    refused(r, "holds the input")
    r = runner.invoke(app, survival_args(tmp_path))
    refused(r, "working in")
    r = runner.invoke(app, survival_args(".") + ["--overwrite"])
    refused(r, "the folder you are working in")
    assert tree(tmp_path) == before


def test_out_below_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    r = runner.invoke(app, survival_args(f / "sub"))
    refused(r, "is a file, not a folder")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["file"]


def test_unwritable_out(tmp_path):
    # /proc refuses new folders even for root (permission bits alone would not stop root)
    for target in ("/proc/mabseq-out", "/proc/mabseq-out/deeper"):
        r = runner.invoke(app, survival_args(target))
        refused(r, "mabseq-out")


def test_validate_json_is_a_folder(cohort, tmp_path):
    d = tmp_path / "findings"
    d.mkdir()
    r = runner.invoke(app, ["validate", str(cohort), "--json", str(d)])
    refused(r, "is a folder")
    assert list(d.iterdir()) == []


def test_validate_json_over_a_foreign_file_and_its_own(cohort, tmp_path):
    j = tmp_path / "f.json"
    j.write_text('{"mine": true}')
    refused(runner.invoke(app, ["validate", str(cohort), "--json", str(j)]), "not written by mabseq")
    assert j.read_text() == '{"mine": true}'
    j.unlink()
    assert runner.invoke(app, ["validate", str(cohort), "--json", str(j), "--quiet"]).exit_code == 0
    assert runner.invoke(app, ["validate", str(cohort), "--json", str(j), "--quiet"]).exit_code == 0  # its own


def test_validate_json_is_the_input(cohort):
    target = cohort / "patients.csv"
    before = target.read_bytes()
    refused(runner.invoke(app, ["validate", str(cohort), "--json", str(target), "--overwrite"]), "input")
    assert target.read_bytes() == before


def test_import_db_is_a_folder(cohort, tmp_path):
    d = tmp_path / "dbdir"
    d.mkdir()
    (d / "x").write_text("x")
    refused(runner.invoke(app, ["import", str(cohort), "--db", str(d)]), "is a folder")
    assert tree(d) == {"x": hashlib.sha256(b"x").hexdigest()}


def test_import_db_into_a_missing_folder_makes_it(cohort, tmp_path):
    target = tmp_path / "missing_dir" / "x.duckdb"
    r = runner.invoke(app, ["import", str(cohort), "--db", str(target), "--quiet"])
    assert r.exit_code == 0, r.output
    assert target.is_file()
    assert sorted(p.name for p in target.parent.iterdir()) == ["x.duckdb"]
    # a second import replaces mabseq's own file; a foreign file of that name is refused
    assert runner.invoke(app, ["import", str(cohort), "--db", str(target), "--quiet"]).exit_code == 0
    other = tmp_path / "other.duckdb"
    other.write_bytes(b"not mine")
    refused(runner.invoke(app, ["import", str(cohort), "--db", str(other)]), "not written by mabseq")
    assert other.read_bytes() == b"not mine"


def test_import_parquet_over_a_foreign_folder(cohort, tmp_path):
    d = tmp_path / "pq"
    d.mkdir()
    (d / "keep.parquet").write_bytes(b"PAR1 not mine")
    refused(runner.invoke(app, ["import", str(cohort), "--parquet", str(d)]), "mabseq did not write")
    assert (d / "keep.parquet").read_bytes() == b"PAR1 not mine"


def test_import_parquet_into_its_own_input_folder(cohort):
    before = tree(cohort)
    refused(runner.invoke(app, ["import", str(cohort), "--parquet", str(cohort / "stored")]), "lies inside")
    assert tree(cohort) == before


def test_synth_into_a_missing_folder(tmp_path):
    target = tmp_path / "missing_dir" / "x.duckdb"
    r = runner.invoke(app, ["synth", "--n", "3", "--out", str(target)])
    assert r.exit_code == 0, r.output
    assert target.is_file()
    r = runner.invoke(app, ["synth", "--n", "3", "--out", str(tmp_path / "afile" / "x")])
    assert r.exit_code == 0  # a Parquet folder inside a new folder
    (tmp_path / "plain").write_text("x")
    refused(runner.invoke(app, ["synth", "--n", "3", "--out", str(tmp_path / "plain" / "x.duckdb")]),
            "is a file, not a folder")


def test_template_over_a_foreign_file(tmp_path):
    f = tmp_path / "cohort.xlsx"
    f.write_bytes(b"someone's workbook")
    refused(runner.invoke(app, ["template", "xlsx", "--out", str(f)]), "--overwrite")
    assert f.read_bytes() == b"someone's workbook"
    assert runner.invoke(app, ["template", "xlsx", "--out", str(f), "--overwrite"]).exit_code == 0


# ---- more of our own --------------------------------------------------------------------------------------------
def test_rerun_into_own_output_and_a_file_added_by_the_user(tmp_path):
    out = tmp_path / "out"
    assert runner.invoke(app, survival_args(out)).exit_code == 0
    assert runner.invoke(app, survival_args(out)).exit_code == 0
    (out / "my_notes.txt").write_text("added by hand")
    refused(runner.invoke(app, survival_args(out)), "my_notes.txt")
    assert (out / "my_notes.txt").read_text() == "added by hand"


def test_empty_existing_folder_is_fine(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    assert runner.invoke(app, survival_args(out)).exit_code == 0
    assert (out / "km.csv").is_file()


def test_symlink_to_the_input(cohort, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(cohort, target_is_directory=True)
    before = tree(cohort)
    refused(runner.invoke(app, ["run", str(cohort), "--out", str(link), "--overwrite"]), "input")
    assert tree(cohort) == before


def test_out_is_the_mapping_file(cohort, tmp_path):
    m = tmp_path / "mapping.json"
    m.write_text("{}")
    refused(runner.invoke(app, ["validate", str(cohort), "--mapping", str(m), "--json", str(m), "--overwrite"]),
            "input")
    assert m.read_text() == "{}"


def test_refused_before_the_study_runs(cohort, tmp_path, monkeypatch):
    """A refused --out costs nothing: the study is never started."""
    import mabseq.studies.run as run_mod
    monkeypatch.setattr(run_mod, "run_study", lambda *a, **k: pytest.fail("the study ran"))
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "x").write_text("x")
    refused(runner.invoke(app, ["run", str(cohort), "--out", str(tmp_path / "w")]))


def test_bad_cohort_writes_nothing(cohort, tmp_path):
    (cohort / "patients.csv").write_text("patient_id,sex\nP1,martian\n")
    out = tmp_path / "new" / "out"
    r = runner.invoke(app, ["run", str(cohort), "--out", str(out)])
    assert r.exit_code == 2
    assert not (tmp_path / "new").exists()  # the parent made for it is gone too


def test_error_while_writing_leaves_nothing(tmp_path, monkeypatch):
    plan = plan_folder(tmp_path / "deep" / "out")

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with plan.staged() as tmp:
            (tmp / "half.csv").write_text("a,b\n")
            raise Boom
    assert list(tmp_path.iterdir()) == []


def test_interrupt_while_writing_keeps_the_old_output(tmp_path):
    out = tmp_path / "out"
    plan_folder(out).write({"a.txt": "first"})
    before = tree(out)
    plan = plan_folder(out)
    with pytest.raises(KeyboardInterrupt):
        with plan.staged() as tmp:
            (tmp / "a.txt").write_text("second, half")
            raise KeyboardInterrupt
    assert tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_signal_during_import_leaves_nothing(tmp_path, sig):
    """A real process killed by SIGTERM/SIGHUP while the DuckDB file is half-written: no partial database, no
    temporary file, exit status 130 and a message."""
    target = tmp_path / "cohort.duckdb"
    script = f"""
import os, signal, sys
from pathlib import Path
from typer.testing import CliRunner
import mabseq.cohort.storage as st
from mabseq.cli import app
orig = st.write_duckdb_into
def slow(cohort, path):
    orig(cohort, path)          # the temporary database is complete on disk ...
    os.kill(os.getpid(), {int(sig)})  # ... when the signal arrives, before the rename
st.write_duckdb_into = slow
from mabseq.outputs import install_signal_cleanup
r = CliRunner().invoke(app, ["import", {str(VALID)!r}, "--db", {str(target)!r}, "--quiet"])
print("EXIT", r.exit_code, r.output)
"""
    p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert "EXIT 130" in p.stdout, p.stdout + p.stderr
    assert "interrupted: nothing was written" in p.stdout
    assert list(tmp_path.iterdir()) == []


def test_plan_refuses_names_that_escape(tmp_path):
    with pytest.raises(OutputError):
        plan_folder(tmp_path / "o").write({"../evil.txt": "x"})
    assert list(tmp_path.iterdir()) == []


def test_plan_file_never_the_input_even_with_overwrite(tmp_path):
    f = tmp_path / "data.csv"
    f.write_text("x")
    with pytest.raises(OutputError):
        plan_file(f, inputs=[f], overwrite=True)
    with pytest.raises(OutputError):
        plan_folder(tmp_path, inputs=[f], overwrite=True)


def _valid_workbook(path: Path) -> None:
    """The valid example cohort as an .xlsx workbook, one sheet per table."""
    import csv

    import openpyxl
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for f in sorted(VALID.glob("*.csv")):
        ws = wb.create_sheet(f.stem)
        with open(f, newline="", encoding="utf-8") as fh:
            for row in csv.reader(fh):
                ws.append(row)
    wb.save(path)


def test_no_temporary_left_in_cwd_after_a_run(cohort, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = runner.invoke(app, ["run", "data", "--out", "results", "--quiet"])
    assert r.exit_code == 0, r.output
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data", "results"]
    assert not any(".mabseq-tmp-" in p.name for p in tmp_path.rglob("*"))
    assert os.path.isfile(tmp_path / "results" / MARKER)
