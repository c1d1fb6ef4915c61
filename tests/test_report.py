"""The report as a person would use it: `mabseq report` on the bundled twin, opened in headless Chromium, the Word
tables read back, and byte-identical outputs from two runs."""
from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from mabseq.cli import app
from mabseq.studies.twin import twin_folder

pytestmark = pytest.mark.skipif(not (twin_folder() / "patients.csv").exists(),
                                reason="the bundled twin is not built yet")

ARTIFACTS = Path(__file__).parent.parent / "test-artifacts"  # screenshots for a person to look at (gitignored)


@pytest.fixture(scope="module")
def report_dir(twin_report):
    return twin_report


def test_files_produced(report_dir):
    for name in ("report.html", "tables.docx", "results.json", "results.csv", "fidelity.csv", "adsl.csv",
                 "adtte.csv", "check_in_R.R", "r_checks.csv", "summary.txt"):
        assert (report_dir / name).is_file(), name
    figs = sorted(p.name for p in (report_dir / "figures").iterdir())
    assert any(f.endswith("_17cm.png") for f in figs) and any(f.endswith("_8cm.pdf") for f in figs)
    assert (report_dir / "report.html").read_text().count("SYNTHETIC DATA") >= 1


def test_report_in_headless_chromium(report_dir):
    from playwright.sync_api import sync_playwright
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    assert exe, "Debian's chromium package is required (bash .ci/run installs it)"
    errors = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, headless=True, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto((report_dir / "report.html").resolve().as_uri())
        first = page.inner_text("body").splitlines()[0]
        assert "SYNTHETIC DATA" in first
        for sel in ("#flow-diagram svg", "#table1", "#table2", "#table3", "#fig-swimmer svg", "#ext-table",
                    "#fidelity-table", "#completeness-table", "#validation-warnings", "#strobe-table", "#methods"):
            assert page.locator(sel).count() >= 1, sel
        assert page.locator("figure.figure svg").count() >= 8
        assert page.locator("#table1 tbody tr").count() >= 20
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=True)
        browser.close()
    assert errors == []


def test_word_tables_equal_the_results(report_dir):
    import json

    import docx

    from mabseq.render.tables import grid
    from mabseq.results.records import ResultSet, TableSpec
    body = json.loads((report_dir / "results.json").read_text())
    res = ResultSet(body["study"])
    from mabseq.results.records import Record
    for r in body["records"]:
        res.records[r["id"]] = Record(**r)
    d = docx.Document(str(report_dir / "tables.docx"))
    specs = {t["id"]: TableSpec(**t) for t in body["tables"]}
    for i, tid in enumerate(("table1", "table2", "table3")):
        g = grid(res, specs[tid])
        t = d.tables[i]
        got = [[c.text for c in row.cells] for row in t.rows]
        assert got[0] == g.header
        assert got[1:] == g.rows


def test_two_runs_are_byte_identical(report_dir, tmp_path):
    out2 = tmp_path / "again"
    res = CliRunner().invoke(app, ["report", "--out", str(out2), "--quiet"])
    assert res.exit_code == 0

    def digest(folder):
        return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
                for p in sorted(folder.rglob("*")) if p.is_file()}
    assert digest(report_dir) == digest(out2)
