"""The `sequence` preset: the next study like the paper (outcomes by the antibody given first) in gtsummary's
conventions, run on the bundled twin.

Expected counts are worked out from the twin's CSV files by the plan's rules (tests/unusual_cohorts.py: mAb1 and
mAb2 from the therapies table, transplants after mAb2), never from mabseq's derived datasets; every value of the
tables and of Table 3 is recomputed in R from adsl.csv/adtte.csv by test_rcheck_sequence.py and test_rscript.py.
Here the rendering of those records is tested."""
from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mabseq.cli import app
from mabseq.render.html import render_html
from mabseq.render.tables import grid
from mabseq.results import fidelity_table
from mabseq.results.format import style_percent, style_pvalue
from mabseq.studies.run import output_files, run_study

from unusual_cohorts import mab_starts, transplanted_after_mab2, twin_tables


@pytest.fixture(scope="module")
def run():
    return run_study(None, study="sequence")


def test_tables_in_gtsummary_conventions(run):
    res = run.results
    t = twin_tables()
    starts = mab_starts(t)  # every one of the twin's 29 patients had both antibodies (and is included)
    n_all = len(starts)
    n_bf = sum(1 for s in starts.values() if s["agent1"] == "blinatumomab")
    n_if = n_all - n_bf
    assert (n_all, n_bf, n_if) == (29, 25, 4)
    for tid in ("table1", "table2", "table3"):
        spec = res.tables[tid]
        assert spec.conventions == "gtsummary"
        g = grid(res, spec)
        assert g.header[1:] == ["Overall, N = 29", "Blinatumomab first, N = 25", "Inotuzumab first, N = 4",
                                "p-value"]
    g = grid(res, res.tables["table2"])
    row = next(r for r in g.rows if r[0] == "alloHSCT after mAb2")
    tx = transplanted_after_mab2(t)
    n = len(tx)
    assert n == 12 and row[1] == "12 (41%)"  # 100 * 12 / 29 = 41.4 (gtsummary: no decimal from 10%)
    tx_bf = sum(1 for pid in tx if starts[pid]["agent1"] == "blinatumomab")
    assert row[2] == f"{tx_bf} ({style_percent(100 * tx_bf / 25)}%)"
    g1 = grid(res, res.tables["table1"])
    female = int((t["patients"]["sex"] == "female").sum())  # patients.csv, all 29 included
    labels1 = [r[0] for r in g1.rows]
    assert g1.rows[labels1.index("Female")][1] == f"{female} ({style_percent(100 * female / 29)}%)"
    # the twin has 4 inotuzumab-first patients: below the plan's minimum of 5 (study-definition 6.6), so no test
    p = res.records["table2_tx_p"]
    assert n_if == 4 and p.value is None and row[4] == "" and p.method == "not tested"
    assert p.note == "not tested: 'Inotuzumab first' has 4 patients, below the minimum of 5 (study-definition 6.6)"
    # SOS is only assessed after transplant: the others are Unknown, left out of the denominator
    labels = [r[0] for r in g.rows]
    i = labels.index("Hepatic SOS after alloHSCT (EBMT)")
    assert g.rows[i + 1][0] == "Unknown" and g.rows[i + 1][1] == str(29 - n) == "17"
    assert res.records["table2_sos_after_tx_pct_overall"].denominator == n


def test_survival_table_and_figures(run):
    res = run.results
    g = grid(res, res.tables["table3"])
    est = res.records["t3_os_mab1_12m_overall_pct"]
    lo, hi = res.records["t3_os_mab1_12m_overall_ci_low"], res.records["t3_os_mab1_12m_overall_ci_high"]
    assert g.rows[1][1] == f"{style_percent(est.value)}% ({style_percent(lo.value)}%, {style_percent(hi.value)}%)"
    # OS from mAb1 is left-truncated at mAb2 (immortal-time guard): its estimate uses delayed entry. The twin's
    # 4 inotuzumab-first patients are below the minimum of 5: no curve and no test (the synthetic cohort below tests)
    assert res.records["t3_os_mab1_p"].value is None and res.records["t3_os_mab1_p"].method.startswith("not tested")
    assert set(res.curves["os_mab1_by_mab1"].steps["group"]) == {"BF"}
    check = next(c for c in res.checks if c["id"] == "t3_os_mab1_12m_overall_pct")
    assert check["entry"] is True
    assert "immortal" in " ".join(res.tables["table3"].footnotes)
    assert set(res.curves) == {"os_mab1_by_mab1", "efs_mab1_by_mab1", "os_mab2_by_mab1", "failure_mab2",
                               "cir_nrm_cr2"}
    # every km record is among the checks R recomputes
    ids = {c["id"] for c in res.checks}
    assert {"t3_os_mab1_12m_bf_pct", "cif_mab2_failure_d365_pct", "cif_cr2_relapse_d365_pct"} <= ids


def test_no_fidelity_and_text_filled(run):
    res = run.results
    assert fidelity_table(res).empty
    files = output_files(run)
    assert "fidelity: no published reference for this study" in files["summary.txt"]
    html = render_html(res, fidelity=fidelity_table(res))
    assert "No published reference for this study." in html and "Further analyses" in html
    assert "Beyond the paper" not in html
    text = " ".join(p for ps in res.text.values() for p in ps)
    from mabseq.render.text import paragraphs
    filled = " ".join(p for _, ps in paragraphs(res) for p in ps)
    assert "{" not in filled and "NA" not in filled.split()
    # no group comparison in the text when a group is below the minimum size; the reason is given instead
    assert "log-rank P" not in filled and "{t3_os_mab1_p}" not in text
    assert "not compared ('Inotuzumab first' has 4 patients, below the minimum of 5" in filled
    assert "{t3_os_mab1_12m_overall_pct}" in text  # the number comes from the record, not the template
    # percentages in the text are shown as in the tables (style_percent)
    est = res.records["t3_os_mab1_12m_overall_pct"].value
    assert f"was {style_percent(est)}% (95% CI" in filled


def test_report_command(tmp_path):
    out = tmp_path / "seq"
    r = CliRunner().invoke(app, ["report", "--study", "sequence", "--out", str(out), "--quiet",
                                 "--figures", "publication"])
    assert r.exit_code == 0, r.output
    figs = sorted(p.name for p in (out / "figures").iterdir())
    # 5 curves (3 KM, treatment failure, relapse from CR) + flow and swimmer, each as PDF and PNG at 8 and 17 cm,
    # + the SVG of the curves, the swimmer plot and the flow diagram
    assert len(figs) == (5 + 2) * 4 + 5 + 2 and "os_mab1_by_mab1_8cm.pdf" in figs and "swimmer.svg" in figs
    html = (out / "report.html").read_text()
    for tid in ("table1", "table2", "table3"):
        assert f'id="{tid}"' in html
    assert (out / "fidelity.csv").read_text().startswith("id,source,quantity")
