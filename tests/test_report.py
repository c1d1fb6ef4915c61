"""The report as a person would use it: `mabseq report` on the bundled twin, opened in headless Chromium, the Word
tables read back, and byte-identical outputs from two runs."""
from __future__ import annotations

import hashlib
import json
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
    # the default (--figures screen): each curve and the swimmer plot once, as SVG, and the flow diagram's SVG
    res = json.loads((report_dir / "results.json").read_text())
    assert figs == sorted([f"{c['id']}.svg" for c in res["curves"]] + ["flow.svg", "swimmer.svg"])
    assert not any(f.endswith((".png", ".pdf")) for f in figs)
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


def test_unknown_figures_mode_is_refused_before_any_work(tmp_path):
    out = tmp_path / "never"
    res = CliRunner().invoke(app, ["report", "--out", str(out), "--quiet", "--figures", "print"])
    assert res.exit_code == 2 and "--figures 'print'" in res.output and "screen or publication" in res.output
    assert not out.exists()


def test_publication_png_is_600_dpi_and_laid_out_as_its_pdf():
    """--figures publication: the PNG carries 600 dpi (pHYs, 23,622 pixels a metre) and is 17 cm wide
    (17 / 2.54 * 600 = 4,016 pixels, rounded by matplotlib's figure size)."""
    import struct

    from mabseq.render.figures import figure_bytes, km_figure
    from mabseq.studies.run import run_study
    res = run_study().results
    png = figure_bytes(km_figure(res, "fig2a_os_mab2", width_cm=17.0), "png")
    width = struct.unpack(">I", png[16:20])[0]
    i = png.index(b"pHYs")
    assert abs(width - 17 / 2.54 * 600) <= 1
    assert struct.unpack(">IIB", png[i + 4:i + 13]) == (23622, 23622, 1)
    # a figure laid out for the screen (72 dpi) still gives 600-dpi pixels when a PNG is asked of it afterwards
    png72 = figure_bytes(km_figure(res, "fig2a_os_mab2", width_cm=17.0), "png", layout_dpi=72)
    assert struct.unpack(">I", png72[16:20])[0] == width
