"""``--min-cell K``: small counts suppressed once in the results layer, shown as ``<K`` (or ``*`` where a suppressed
count would follow) by every renderer.

The oracle is a table worked out by hand (see ``EXPECTED`` and the comments beside it): 12 patients, groups A
(P01-P09) and B (P10-P12). On the twin, the rules are checked by brute force over the unsuppressed provenance.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pandas as pd
import pytest
from typer.testing import CliRunner

from mabseq.cli import app
from mabseq.results.records import Curve, Flow, Record, ResultSet, TableSpec

runner = CliRunner()
P = [f"P{i:02d}" for i in range(1, 13)]
FULL, A, B = set(P), set(P[:9]), set(P[9:])
VARS = {  # variable -> its patients (all 12)
    "male": {"P01", "P02", "P03", "P04", "P05", "P09", "P10"},
    "cr": {"P01", "P02", "P03", "P04", "P05", "P10", "P11"},
    "nr": {"P06", "P07", "P08", "P12"},
    "miss": {"P09"},
    "alive": FULL - {"P10"},
}
POPS = {"all": ("FULL", FULL), "a": ("A", A), "b": ("B", B)}


def hand_results() -> ResultSet:
    res = ResultSet("hand")
    for col, (pop, ids) in POPS.items():
        res.add(Record(f"n_{col}", len(ids), "count_of", population=pop, patients=tuple(sorted(ids))))
        for var, vids in VARS.items():
            pts = tuple(sorted(vids & ids))
            res.add(Record(f"{var}_n_{col}", len(pts), "n", population=pop, denominator=len(ids), patients=pts,
                           variable=var))  # the key a table finds the percentage by (with population, statistic)
            res.add(Record(f"{var}_pct_{col}", 100 * len(pts) / len(ids), "pct", population=pop,
                           denominator=len(ids), patients=pts, decimals=1, variable=var))
        res.add(Record(f"age_median_{col}", 40.0 + len(ids), "median", population=pop, denominator=len(ids),
                       patients=tuple(sorted(ids)), decimals=1))
    res.records["age_median_b"].note = "n = 3 of 12 (missing left out)"

    def row(label, var, kind="n_pct", indent=0):
        return {"label": label, "kind": kind, "indent": indent, "p": "",
                "cells": [f"{var}_n_{c}" if kind == "n_pct" else f"{var}_{c}" for c in POPS]}
    res.tables["table1"] = TableSpec("table1", "Hand table", ["Characteristic", "All (N = 12)", "A (n = 9)",
                                                               "B (n = 3)"], [
        {"label": "Median age (y)", "kind": "value", "indent": 0, "p": "",
         "cells": ["age_median_all", "age_median_a", "age_median_b"]},
        row("Male", "male"),
        {"label": "Response", "kind": "header", "indent": 0, "p": "", "cells": []},
        row("CR", "cr", indent=1), row("NR", "nr", indent=1), row("Missing", "miss", indent=1),
        row("Alive", "alive"),
    ])
    res.text["Results"] = ["{male_n_b} ({male_pct_b}%) of group B were male; {male_n_all} ({male_pct_all}%) in all."]
    return res


# Worked by hand for K = 5 (primary: 1..4 -> <5; zero shown):
#   B's size 3, male B 1, CR B 2, NR 4/3/1, missing 1/1, alive B 2          -> <5
#   A's size 9: 12 - 9 = 3 (its complement in the whole)                      -> *
#   male A 6: denominator 9 - 6 = 3; and male = A + B with B hidden           -> *
#   CR A 5: 9 - 5 = 4; and CR = A + B with B hidden                            -> *
#   alive all 11: 12 - 11 = 1 (the one dead patient)                          -> *
#   alive A 9: the same patients as A (hidden); alive = A + B with B hidden    -> *
#   male all 7, CR all 7: 12 - 7 = 5, no hidden superset shown with a small difference -> shown
#   missing B 0: shown by rule 1, but 3 - 0 = 3 (all of B have a response) is small -> *
#   percentages follow their counts; every percentage of group A goes too (A's size is hidden, n / pct would
#   give it back); the median of B's 3 patients                               -> *
EXPECTED = [
    ["Characteristic", "All (N = 12)", "A (n = *)", "B (n = <5)"],
    ["Median age (y)", "52.0", "49.0", "*"],
    ["Male", "7 (58.3)", "*", "<5"],
    ["Response", "", "", ""],
    ["CR", "7 (58.3)", "*", "<5"],
    ["NR", "<5", "<5", "<5"],
    ["Missing", "<5", "<5", "*"],
    ["Alive", "*", "*", "<5"],
]


def _grid(res):
    from mabseq.render.tables import grid
    g = grid(res, res.tables["table1"])
    return [g.header] + g.rows


def test_hand_worked_table_k5():
    from mabseq.results.suppression import suppress_small_cells
    res = hand_results()
    suppress_small_cells(res, 5)
    assert _grid(res) == EXPECTED
    r = res.records
    assert r["male_n_b"].value is None and r["male_n_b"].suppressed == "<5" and r["male_n_b"].patients == ()
    assert r["male_n_all"].value == 7 and len(r["male_n_all"].patients) == 7  # shown cells keep provenance
    assert r["miss_n_b"].suppressed == "*" and r["miss_pct_b"].suppressed == "*"
    assert r["male_pct_a"].suppressed == "*" and r["male_pct_all"].value == pytest.approx(58.333, abs=1e-3)
    assert r["male_n_a"].denominator is None and r["male_n_all"].denominator == 12  # A's size is hidden
    assert r["age_median_b"].note == "n = <5 of 12 (missing left out)"
    assert res.tables["table1"].footnotes[-1].startswith("Small cells suppressed (--min-cell 5)")


def test_hand_worked_text():
    from mabseq.render.text import paragraphs
    from mabseq.results.suppression import suppress_small_cells
    res = hand_results()
    suppress_small_cells(res, 5)
    assert paragraphs(res) == [("Results", ["<5 of group B were male; 7 (58.3%) in all."])]


def test_k1_suppresses_nothing():
    from mabseq.results.suppression import suppress_small_cells
    before = hand_results()
    res = hand_results()
    suppress_small_cells(res, 1)
    assert _grid(res) == _grid(before)
    assert all(not x.suppressed for x in res.records.values())
    assert [x.value for x in res.records.values()] == [x.value for x in before.records.values()]


def test_k_larger_than_the_cohort_hides_every_nonzero_count():
    from mabseq.results.suppression import suppress_small_cells
    res = hand_results()
    suppress_small_cells(res, 13)
    g = _grid(res)
    assert g[0] == ["Characteristic", "All (N = <13)", "A (n = <13)", "B (n = <13)"]
    assert g[6] == ["Missing", "<13", "<13", "*"]  # 0 of B: its complement 3 is small
    counts = [x for x in res.records.values() if x.statistic in ("n", "count_of")]
    assert all(x.value is None for x in counts)
    assert {x.suppressed for x in counts} == {"<13", "*"}
    assert [x.id for x in counts if x.suppressed == "*"] == ["miss_n_b"]
    assert all(x.value is None for x in res.records.values() if x.statistic == "median")


def hand_flow() -> ResultSet:
    res = ResultSet("flow")
    res.meta.update(n_included=10, n_excluded=2)
    res.flow = Flow(
        boxes=[{"id": "screened", "label": "Screened", "n": 12, "patients": P, "level": 0},
               {"id": "included", "label": "Included", "n": 10, "patients": P[:10], "level": 1},
               {"id": "X", "label": "X", "n": 7, "patients": P[:7], "level": 2},
               {"id": "Y", "label": "Y", "n": 3, "patients": P[7:10], "level": 2}],
        edges=[("screened", "included"), ("included", "X"), ("included", "Y")],
        excluded=[{"patient_id": "P11", "reason": "not B-ALL"}, {"patient_id": "P12", "reason": "age unknown"}])
    return res


def test_hand_worked_flow():
    """Y (3), each reason (1) and the excluded total (2) are small; included = screened - excluded (12 - 10 = 2)
    and X = included - Y give them back, so both go; the screened total stays."""
    from mabseq.results.suppression import exclusion_counts, suppress_small_cells
    res = hand_flow()
    suppress_small_cells(res, 5)
    assert {b["id"]: b["n"] for b in res.flow.boxes} == {"screened": 12, "included": "*", "X": "*", "Y": "<5"}
    assert all(not b["patients"] for b in res.flow.boxes if b["id"] != "screened")
    assert sorted(exclusion_counts(res)) == [("age unknown", "<5"), ("not B-ALL", "<5")]
    assert res.meta["n_included"] == "*" and res.meta["n_excluded"] == "<5"
    assert all("patient_id" not in e for e in res.flow.excluded)
    from mabseq.render.flow_diagram import flow_svg
    svg = flow_svg(res)
    assert "n = &lt;5" in svg or "n = <5" in svg or "n\u00a0=\u00a0&lt;5" in svg
    assert not re.search(r"n[ \u00a0]=[ \u00a0](10|7|3|2|1)\b", svg)


def hand_curve() -> ResultSet:
    """Three groups: FULL (12 patients), B (6) and C (3: fewer than K, not drawn)."""
    res = ResultSet("curve")
    steps = pd.DataFrame({"group": ["FULL"] * 3 + ["B"] * 2 + ["C"],
                          "time": [100.0, 200.0, 400.0, 150.0, 300.0, 120.0],
                          "n_risk": [12, 9, 4, 6, 3, 3], "n_event": [3, 5, 1, 3, 1, 1], "n_censor": [0, 0, 3, 0, 2, 2],
                          "estimate": [0.75, 0.33, 0.25, 0.5, 0.33, 0.67], "lower": [0.5, 0.1, 0.05, 0.2, 0.1, 0.3],
                          "upper": [0.9, 0.6, 0.5, 0.8, 0.7, 1.0]})
    at_risk = pd.DataFrame({"group": ["FULL"] * 3 + ["B"] * 3 + ["C"] * 3, "time": [0, 183, 365] * 3,
                            "n_risk": [12, 9, 4, 6, 2, 0, 3, 1, 0]})
    res.curves["c"] = Curve("c", "km", "Hand curve", "FULL vs B vs C", "os_mab2", steps, at_risk,
                            labels={"FULL": "All patients"})  # the labels come with the curve
    res.add(Record("c_s1y_C", 66.7, "estimate_pct", population="C", patients=("P10", "P11", "P12")))
    res.add(Record("c_s1y_B", 33.3, "estimate_pct", population="B", patients=tuple(P[:6])))
    return res


def test_numbers_at_risk_under_the_figure():
    from mabseq.render.figures import km_figure
    from mabseq.results.suppression import suppress_small_cells
    res = hand_curve()
    suppress_small_cells(res, 5)
    c = res.curves["c"]
    assert list(c.at_risk["shown"]) == ["12", "9", "<5", "6", "<5", "0"]  # C (3 patients) is not drawn
    assert "groups of fewer than 5 patients not drawn" in c.note
    assert {"n_risk", "n_event", "n_censor"}.isdisjoint(c.steps.columns)
    assert list(c.steps["group"]) == ["FULL"] * 3 + ["B"] * 2
    assert list(c.steps["censored"]) == [False, False, True, False, True]
    assert res.records["c_s1y_C"].suppressed == "*" and res.records["c_s1y_B"].value == 33.3
    fig = km_figure(res, "c")
    risk = next(ax for ax in fig.axes if ax.get_label() == "risk_table")
    assert sorted(t.get_text() for t in risk.texts) == sorted(["12", "9", "<5", "6", "<5", "0"])
    curve_ax = next(ax for ax in fig.axes if ax.get_label() == "curve")
    legend = [t.get_text() for t in curve_ax.get_legend().get_texts()]
    assert legend == ["All patients (n = 12)", "B (n = 6)"]


class _Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tables, self._t, self._row, self._cell = {}, None, None, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "table":
            self._t = self.tables.setdefault(a.get("id", ""), [])
        elif tag == "tr" and self._t is not None:
            self._row = []
            self._t.append(self._row)
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self._row.append("".join(self._cell).strip())
            self._cell = None
        elif tag == "table":
            self._t = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def html_tables(html: str) -> dict[str, list[list[str]]]:
    p = _Cells()
    p.feed(html)
    return p.tables


def test_html_and_docx_show_the_markers():
    import io
    import docx
    from mabseq.render.docx import docx_bytes
    from mabseq.render.html import render_html
    from mabseq.results.suppression import suppress_small_cells
    res = hand_results()
    suppress_small_cells(res, 5)
    assert html_tables(render_html(res))["table1"] == EXPECTED
    d = docx.Document(io.BytesIO(docx_bytes(res)))
    assert [[c.text for c in r.cells] for r in d.tables[0].rows] == EXPECTED


# ---- on the twin: the rules by brute force over the unsuppressed provenance -------------------------------------------
@pytest.fixture(scope="module")
def twin_pair():
    from mabseq.studies.run import run_study
    return run_study(), run_study(min_cell=5)


def test_twin_every_small_count_is_suppressed(twin_pair):
    full, sup = twin_pair
    n_small = 0
    for rid, r in full.results.records.items():
        s = sup.results.records[rid]
        if r.statistic in ("n", "count_of") and isinstance(r.value, int) and 1 <= r.value <= 4:
            n_small += 1
            assert s.value is None and s.suppressed == "<5", rid
        if s.suppressed:
            assert s.value is None and s.patients == ()
    assert n_small > 50


def test_twin_no_shown_count_gives_a_small_one_by_difference(twin_pair):
    """For every two shown counts whose patients are nested (and every count within its denominator), the
    difference is 0 or at least 5 (checked on the patient lists of the unsuppressed run)."""
    full, sup = twin_pair
    shown = [(rid, frozenset(r.patients)) for rid, r in full.results.records.items()
             if r.statistic in ("n", "count_of") and r.patients and not sup.results.records[rid].suppressed]
    assert len(shown) > 30
    for rid, s in shown:
        r = full.results.records[rid]
        if r.denominator is not None:
            assert not 1 <= r.denominator - r.value <= 4, rid
        for oid, t in shown:
            if s < t:
                assert not 1 <= len(t) - len(s) <= 4, (rid, oid)


def test_twin_fidelity_masks_suppressed_cells(twin_pair, tmp_path):
    _, sup = twin_pair
    from mabseq.studies.run import output_files
    files = output_files(sup)
    fid = pd.read_csv(pd.io.common.StringIO(files["fidelity.csv"]), dtype=str, keep_default_na=False)
    hidden = fid["status"] == "suppressed"
    assert hidden.sum() > 100 and (fid.loc[hidden, "computed"] == "").all()
    assert "small cells suppressed below 5" in files["summary.txt"]
    res = pd.read_csv(pd.io.common.StringIO(files["results.csv"]), dtype=str, keep_default_na=False)
    marked = res[res["suppressed"] != ""]
    assert len(marked) == sup.results.meta["suppressed_records"] and (marked["value"] == "").all()
    # and provenance.parquet holds no patient of a suppressed record
    from mabseq.results.provenance import FILE
    import io, pyarrow.parquet as pq
    prov = pq.read_table(io.BytesIO(files[FILE])).to_pandas()
    assert "patients" not in res.columns and len(prov)
    assert not set(prov.loc[prov["kind"] == "record", "id"].astype(str)) & set(marked["id"])


def test_run_and_report_take_min_cell(tmp_path):
    r = runner.invoke(app, ["run", "--min-cell", "5", "--out", str(tmp_path / "o"), "--quiet"])
    assert r.exit_code == 0, r.output
    import json
    body = json.loads((tmp_path / "o" / "results.json").read_text())
    assert body["meta"]["min_cell"] == 5
    for c in body["curves"]:
        assert all(a["n_risk"] is None or a["n_risk"] == 0 or a["n_risk"] >= 5 for a in c["at_risk"]), c["id"]
        assert all("n_event" not in s for s in c["steps"])
    for b in body["flow"]["boxes"]:
        assert isinstance(b["n"], str) or b["n"] == 0 or b["n"] >= 5
