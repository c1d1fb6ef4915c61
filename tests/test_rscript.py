"""The generated R script recomputes the survival and competing-risk results with R survival and cmprsk."""
from __future__ import annotations

import shutil
import subprocess

import pytest
from typer.testing import CliRunner

from mabseq.cli import app
from mabseq.studies.twin import twin_folder

pytestmark = pytest.mark.skipif(not (twin_folder() / "patients.csv").exists(),
                                reason="the bundled twin is not built yet")


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not installed (needed only here)")
@pytest.mark.parametrize("study", ["paper", "sequence"])
def test_r_agrees_with_mabseq(tmp_path, study):
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["run", "--study", study, "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    have = subprocess.run(["Rscript", "-e", "library(survival); library(cmprsk)"], capture_output=True)
    if have.returncode != 0:
        pytest.skip("R packages survival and cmprsk not installed")
    r = subprocess.run(["Rscript", "check_in_R.R"], cwd=out, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    assert " 0 differ" in r.stdout
