"""Summary tables in gtsummary's conventions (studies/summary_table.py): statistics equal to R on survival::lung
(goldens from tests/golden/make_summary_goldens.R), the type and digit rules, and the display rules."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import GOLDEN_DIR, assert_matches

from mabseq.render.tables import grid
from mabseq.results.format import style_percent, style_pvalue
from mabseq.results.records import ResultSet
from mabseq.studies.builder import AnalysisParams, Builder, Pop
from mabseq.studies.summary_table import (
    TEST_LABELS,
    Variable,
    choose_test,
    guess_digits,
    summary_type,
    tbl_summary,
)

CASES = {
    "bysex": ("sex", {1: "M", 2: "F"}, ["age", "inst", "meal_cal", "wt_loss"], ["ph_ecog", "ph_karno", "status"]),
    "byecog": ("ph_ecog", {0: "ECOG0", 1: "ECOG1", 2: "ECOG2"}, ["age", "meal_cal", "wt_loss"], ["sex", "status"]),
}


@pytest.fixture(scope="module")
def lung_tables():
    d = pd.read_csv(GOLDEN_DIR / "data" / "lung_summary.csv", na_values=["NA"])
    res = ResultSet("lung")
    b = Builder(res, pd.DataFrame(), AnalysisParams(quantile_type=2, chisq_min_expected=5.0, min_group_n=1))
    for tab, (by, groups, cont, cat) in CASES.items():
        frame = d[d[by].isin(list(groups))].reset_index(drop=True)  # rows with a missing 'by' are left out
        full = Pop("FULL", "Overall", frame)
        pops = [full.where(name, name, frame[by] == v) for v, name in groups.items()]
        tbl_summary(b, tab, tab, pops, [Variable(c, c) for c in cont + cat], overall=full)
    return res


def test_statistics_equal_R(lung_tables):
    gold = pd.read_csv(GOLDEN_DIR / "summary_table_goldens.csv", keep_default_na=False)
    res = lung_tables
    for row in gold.itertuples(index=False):
        rec = res.records.get(row.id)
        assert rec is not None, f"no record {row.id}"
        want = float("nan") if row.value == "NA" else float(row.value)
        assert_matches(float("nan") if rec.value is None else rec.value, want, row.id)
        if row.test:
            assert rec.method == TEST_LABELS[row.test], row.id
    assert len(gold) == 211


def test_tables_render_in_gtsummary_style(lung_tables):
    g = grid(lung_tables, lung_tables.tables["bysex"])
    assert g.header == ["Characteristic", "Overall, N = 228", "M, N = 138", "F, N = 90", "p-value"]
    rows = {r[0]: r for r in g.rows}
    age = lung_tables.records
    med, q1, q3 = (age[f"bysex_age_{s}_overall"].value for s in ("median", "q1", "q3"))
    assert rows["age"][1] == f"{med:.0f} ({q1:.0f}, {q3:.0f})"  # integer column: no decimals
    assert rows["age"][4] == style_pvalue(age["bysex_age_p"].value) == "0.057"
    assert rows["status"][4] == "<0.001"
    n, pct = age["bysex_status_2_n_f"].value, age["bysex_status_2_pct_f"].value
    assert rows["2"][3] == f"{n} ({style_percent(pct)}%)"
    # Unknown rows: the count of missing values only; levels of a float column shown as whole numbers
    labels = [r[0] for r in g.rows]
    assert "Unknown" in labels and "50" in labels and "50.0" not in labels
    unknown = g.rows[labels.index("meal_cal") + 1]
    assert unknown[0] == "Unknown" and unknown[1] == str(age["bysex_meal_cal_unknown_overall"].value)
    assert g.footnotes[0] == "Median (Q1, Q3); n (%)"
    assert g.footnotes[1] == "p-value: Wilcoxon rank sum test; Fisher's exact test; Pearson's Chi-squared test."
    g3 = grid(lung_tables, lung_tables.tables["byecog"])
    assert "Kruskal-Wallis rank sum test" in g3.footnotes[1]


def test_summary_type_rules():
    assert summary_type(pd.Series([True, False, None])) == "dichotomous"
    assert summary_type(pd.Series([0, 1, 1, np.nan])) == "dichotomous"
    assert summary_type(pd.Series(["No", "yes", None])) == "dichotomous"
    assert summary_type(pd.Series(["a", "b", "c"])) == "categorical"
    assert summary_type(pd.Series(list(range(9)) * 3)) == "categorical"  # fewer than 10 distinct numbers
    assert summary_type(pd.Series(list(range(10)) * 3)) == "continuous"
    assert summary_type(pd.Series([np.nan, None])) == "continuous"
    # exactly {0, 1} and exactly the two values no/yes; a logical column even when all missing
    assert summary_type(pd.Series([0, 0, 0])) == "categorical"
    assert summary_type(pd.Series([1.0, 1.0])) == "categorical"
    assert summary_type(pd.Series(["Yes", "Yes"])) == "categorical"
    assert summary_type(pd.Series(["Yes", "yes", "No"])) == "categorical"
    assert summary_type(pd.Series([True, None], dtype="boolean").iloc[1:]) == "dichotomous"
    import datetime as dt
    days = [dt.date(2020, 1, 1) + dt.timedelta(days=i) for i in range(12)]
    assert summary_type(pd.Series(days)) == "continuous"
    assert summary_type(pd.Series(days[:3] * 4)) == "categorical"


def test_declared_empty_level_chooses_fisher():
    """R's table() of a factor keeps a declared level without patients: its expected count 0 makes the test
    Fisher's, run on the levels that occur (gtsummary add_p)."""
    frame = pd.DataFrame({"patient_id": [f"P{i}" for i in range(40)], "g": ["a"] * 20 + ["b"] * 20,
                          "v": ["x"] * 15 + ["y"] * 5 + ["x"] * 7 + ["y"] * 13})
    frame["w"] = frame["v"]  # the same values without the declared empty level
    res = ResultSet("t")
    b = Builder(res, pd.DataFrame())
    full = Pop("FULL", "All", frame)
    pops = [full.where("A", "A", frame["g"] == "a"), full.where("B", "B", frame["g"] == "b")]
    tbl_summary(b, "t", "t", pops, [Variable("v", "v", levels={"x": "X", "y": "Y", "z": "Z"}),
                                    Variable("w", "w")], overall=full)
    from mabseq.stats import chi_square, fisher_exact
    tab = np.array([[15, 7], [5, 13]])
    assert res.records["t_v_p"].method == "Fisher's exact test"
    assert res.records["t_v_p"].value == pytest.approx(fisher_exact(tab).p_value, rel=1e-12)
    assert res.records["t_w_p"].method == "Pearson's Chi-squared test"
    assert res.records["t_w_p"].value == pytest.approx(chi_square(tab).p_value, rel=1e-12)
    g = grid(res, res.tables["t"])
    assert [r[0] for r in g.rows][:4] == ["v", "X", "Y", "Z"] and g.rows[3][1] == "0 (0%)"


def test_untestable_row_is_blank_and_not_in_footnote():
    frame = pd.DataFrame({"patient_id": ["P1", "P2", "P3", "P4"], "g": ["a", "a", "b", "b"],
                          "v": ["x", "x", "x", "x"]})
    res = ResultSet("t")
    b = Builder(res, pd.DataFrame())
    full = Pop("FULL", "All", frame)
    tbl_summary(b, "t", "t", [full.where("A", "A", frame["g"] == "a"), full.where("B", "B", frame["g"] == "b")],
                [Variable("v", "v")], overall=full)
    g = grid(res, res.tables["t"])
    assert g.rows[0][-1] == "" and res.records["t_v_p"].value is None
    assert len(g.footnotes) == 1  # the statistics only: no test ran


@pytest.mark.parametrize("spread,digits", [(0.005, 4), (0.05, 3), (5.0, 2), (15.0, 1), (25.0, 0)])
def test_guess_digits(spread, digits):
    x = np.linspace(0, spread / 0.9, 101)  # the 5th-95th percentile spread is 0.9 of the range
    assert guess_digits(x) == digits
    assert guess_digits(x, integer=True) == 0


def test_choose_test():
    assert choose_test("continuous", 2) == "wilcoxon" and choose_test("continuous", 3) == "kruskal"
    assert choose_test("categorical", 2, np.array([[10, 10], [10, 10]])) == "chisq"
    assert choose_test("categorical", 2, np.array([[10, 10], [4, 4]])) == "fisher"  # expected 4 < 5


@pytest.mark.parametrize("p,want", [(0.95, ">0.9"), (0.9, "0.9"), (0.25, "0.3"), (0.15, "0.2"), (0.12, "0.12"),
                                    (0.0996, "0.10"), (0.034, "0.034"), (0.001, "0.001"), (0.00099, "<0.001"),
                                    (1.5, "NA"), (None, "NA"), (1 + 2.2e-16, ">0.9"), (-1e-17, "<0.001")])
def test_style_pvalue(p, want):
    assert style_pvalue(p) == want


def test_style_pvalue_digits():
    assert style_pvalue(0.995, 2) == ">0.99" and style_pvalue(0.123, 2) == "0.12" and style_pvalue(0.0123, 2) == "0.012"
    assert style_pvalue(0.9995, 3) == ">0.999" and style_pvalue(0.1234, 3) == "0.123"
    with pytest.raises(ValueError):
        style_pvalue(0.5, 4)


@pytest.mark.parametrize("pct,want", [(100, "100"), (58.62, "59"), (12.5, "13"), (9.96, "10.0"), (3.45, "3.5"),
                                      (0.1, "0.1"), (0.05, "<0.1"), (0, "0"), (float("nan"), "NA"), (-0.4, "NA")])
def test_style_percent(pct, want):
    assert style_percent(pct) == want  # half away from zero: 12.5 -> 13, 3.45 -> 3.5
