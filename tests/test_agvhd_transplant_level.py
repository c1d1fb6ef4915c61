"""aGVHD as centers record it (issue 14): a transplant-level maximum grade without an onset date counts in Table 3,
in the text and in the grade distribution; unknown stays unknown; the incidence that needs a date leaves the undated
patients out and says so.

Hand-worked cohorts. Every patient is a copy of P01 of the valid example cohort (tests/cohort_corpus/valid): B-ALL,
blinatumomab 2018-01-10 then inotuzumab 2018-03-01, alloHSCT day 0 2018-06-01, relapse 2019-01-15, died
2019-05-02 (335 days after day 0). Only their aGVHD records differ.

Cohort A (the transplant rows use ``agvhd_max_grade``, so an empty cell is "not recorded"):

=====  ======================================  =======================  =========================================
id     recorded                                derived                  aGVHD II-IV incidence (day 0 origin)
=====  ======================================  =======================  =========================================
A1     max grade 3, no episode                 yes, grade 3, no date    left out (grade >= II without a date)
A2     episode 2018-07-01 grade 2              yes, grade 2             event at day 30
A3     max grade 1 + episode 2018-06-20 gr 1   yes, grade 1 (agree)     no event; death at 335 competes
A4     max grade 2 + episode 2018-06-25 gr 4   yes, grade 4 (episodes   event at day 24
                                               win; a warning)
A5     nothing                                 unknown (not grade 0)    left out (unknown)
A6     max grade 0                             no (a known no)          no event; death at 335 competes
=====  ======================================  =======================  =========================================

Over TX = 6: any grade A1-A4 = 4 (66.7%); grade >= III A1, A4 = 2; grade II-IV A1, A2, A4 = 3; unknown A5 = 1
(16.7%). Grades over TX-GR = 4 (A1-A4): grade 1 A3, 2 A2, 3 A1, 4 A4, each 1/4 = 25.0%.
Incidence over the 4 analysable (A2, A3, A4, A6; min_group_n lowered to 3): events at days 24 and 30, nobody censored
before day 100, so CIF(100) = 2/4 = 50%.

On the base commit ``agvhd_max_grade`` is an unknown column (ignored): A1 counted as no aGVHD (3 of 6), A5 as no
(not unknown), A6 likewise; no warning for A4; nothing said about A1 in the incidence.
"""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mabseq.cohort import load_cohort
from mabseq.derive import derive_cohort
from mabseq.studies import paper
from mabseq.studies.builder import AnalysisParams

VALID = Path(__file__).parent / "cohort_corpus" / "valid"
EP_COLS = ["patient_id", "toxicity", "onset_date", "grade", "grading_system", "severity", "course_id",
           "resolution_date", "fatal"]


def _clone(folder: Path, aGVHD: dict[str, dict], *, keep_toxicity: bool = True) -> Path:
    """A cohort of copies of P01, one per key of ``aGVHD``: {"max": grade, "stages": (skin, liver, gi),
    "episode": (onset, grade)}."""
    folder.mkdir()
    for f in VALID.glob("*.csv"):
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        if "patient_id" not in df.columns:
            df.to_csv(folder / f.name, index=False)
            continue
        p01 = df[df["patient_id"] == "P01"]
        if f.name == "toxicity_episodes.csv":
            p01 = p01[p01["toxicity"] != "agvhd"]
        parts = []
        for pid, spec in aGVHD.items():
            rows = p01.copy()
            rows["patient_id"] = pid
            if f.name == "transplants.csv":
                rows["agvhd_max_grade"] = "" if spec.get("max") is None else str(spec["max"])
                rows["agvhd_grading_system"] = "keystone_1994" if spec.get("max") is not None else ""
                for col, st in zip(("agvhd_max_skin_stage", "agvhd_max_liver_stage", "agvhd_max_gi_stage"),
                                   spec.get("stages") or ("", "", "")):
                    rows[col] = str(st)
            if f.name == "toxicity_episodes.csv" and spec.get("episode"):
                onset, grade = spec["episode"]
                rows = pd.concat([rows, pd.DataFrame([dict(zip(EP_COLS, (pid, "agvhd", onset, str(grade),
                                                                         "keystone_1994", "", "", "", "no")))])])
            if f.name.startswith("toxicity_") and not keep_toxicity:
                rows = rows.iloc[0:0]
            parts.append(rows)
        pd.concat(parts).to_csv(folder / f.name, index=False)
    return folder


COHORT_A = {"A1": {"max": 3}, "A2": {"episode": ("2018-07-01", 2)}, "A3": {"max": 1, "episode": ("2018-06-20", 1)},
            "A4": {"max": 2, "episode": ("2018-06-25", 4)}, "A5": {}, "A6": {"max": 0}}


@pytest.fixture(scope="module")
def cohort_a(tmp_path_factory):
    folder = _clone(tmp_path_factory.mktemp("agvhd") / "A", COHORT_A)
    cohort, findings = load_cohort(folder)
    assert cohort is not None and not findings.errors, findings.summary_text()
    res, dc = paper.run(cohort, paper.PaperParams(analysis=AnalysisParams(min_group_n=3)))
    return cohort, findings, res, dc


def _row(dc, pid):
    return dc.adsl.set_index("patient_id").loc[pid]


def _val(res, rid):
    return res.records[rid].value


def test_each_patient_derived_by_hand(cohort_a):
    _, _, _, dc = cohort_a
    want = {"A1": (True, 3, True, True), "A2": (True, 2, True, False), "A3": (True, 1, False, False),
            "A4": (True, 4, True, True), "A5": (None, None, None, None), "A6": (False, None, False, False)}
    got = {pid: tuple(None if pd.isna(v) else v for v in _row(dc, pid)[["agvhd", "agvhd_grade", "agvhd_ge2",
                                                                          "agvhd_ge3"]])
           for pid in want}
    assert got == want
    assert _row(dc, "A1")["agvhd_ge2_undated"] == True  # noqa: E712
    assert pd.isna(_row(dc, "A1")["agvhd_date"])  # never imputed
    assert str(_row(dc, "A4")["agvhd_ge2_date"]) == "2018-06-25"
    assert "transplant row records a maximum grade 3" in dc.derived["A1"].why["agvhd"]
    assert dc.derived["A5"].why["agvhd"].startswith("unknown")


def test_table3_and_text_count_the_transplant_level_grade(cohort_a):
    _, _, res, _ = cohort_a
    assert _val(res, "t3_n") == 6
    assert _val(res, "txt_tx_agvhd_n") == 4 and _val(res, "txt_tx_agvhd_pct") == pytest.approx(66.66666666666667)
    assert _val(res, "txt_tx_agvhd_ge3_n") == 2
    assert _val(res, "ext_agvhd_ge2_tx_n") == 3 and _val(res, "ext_agvhd_ge3_tx_n") == 2
    # the grade distribution over TX-GR = 4 includes A1's undated grade 3
    assert [_val(res, f"t3_agvhd_grade{g}_n") for g in (1, 2, 3, 4)] == [1, 1, 1, 1]
    assert res.records["t3_agvhd_grade3_n"].patients == ("A1",)
    assert _val(res, "t3_agvhd_grade3_pct") == 25.0
    # unknown is its own row, in N, never grade 0
    assert _val(res, "t3_agvhd_unknown_n") == 1 and res.records["t3_agvhd_unknown_n"].patients == ("A5",)
    assert _val(res, "t3_agvhd_unknown_pct") == pytest.approx(16.666666666666668)
    foot = " ".join(res.tables["table3"].footnotes)
    assert "unknown for 1 of 6" in foot and "1 of the 4 aGVHD grades are the transplant row's maximum grade" in foot


def test_incidence_leaves_out_the_undated_and_says_so(cohort_a):
    _, _, res, dc = cohort_a
    tte = dc.adtte[dc.adtte["endpoint"] == "agvhd24_tx"].set_index("patient_id")
    assert sorted(tte.index) == ["A2", "A3", "A4", "A6"]
    assert tte.loc["A4", "time"] == 24 and tte.loc["A4", "status"] == 1
    assert tte.loc["A2", "time"] == 30 and tte.loc["A2", "status"] == 1
    assert tte.loc["A6", "time"] == 335 and tte.loc["A6", "status"] == 2
    assert _val(res, "ext_tx_agvhd2_4_d100_pct") == pytest.approx(50.0)
    assert _val(res, "ext_tx_agvhd2_4_undated_n") == 1
    assert res.records["ext_tx_agvhd2_4_undated_n"].patients == ("A1",)
    assert _val(res, "ext_tx_agvhd2_4_unknown_n") == 1
    note = res.curves["ext_agvhd24_tx"].note
    assert "1 patient with aGVHD grade >= II but no onset date" in note and "could not be drawn" in note
    assert "could not be drawn" in res.records["ext_tx_agvhd2_4_d100_pct"].note


def test_disagreement_is_a_warning_naming_both_rows(cohort_a):
    _, findings, _, _ = cohort_a
    w = [f for f in findings if f.rule == "agvhd.grade_disagrees"]
    assert len(w) == 1, [str(f) for f in findings]
    f = w[0]
    assert f.severity == "warning" and f.column == "agvhd_max_grade" and f.value == "2"
    # transplants.csv rows: A1..A6 -> rows 2..7, A4 at row 5; toxicity_episodes.csv: P01's CRS per patient (rows 2-7
    # alternate with the agvhd episodes written after each patient's CRS): A2 crs 3, agvhd 4; A3 crs 5, agvhd 6;
    # A4 crs 7, agvhd 8
    assert f.row == 5 and f.source == "transplants.csv"
    assert "grade 4, onset 2018-06-25 (toxicity_episodes.csv row 8)" in f.message
    assert not [x for x in findings if x.rule == "agvhd.grade_disagrees" and x.value in ("1", "3")]


def test_grade_out_of_range_is_an_error(tmp_path):
    folder = _clone(tmp_path / "R", {"R1": {"max": 5}})
    cohort, findings = load_cohort(folder)
    errs = [f for f in findings.errors if f.column == "agvhd_max_grade"]
    assert errs and errs[0].rule == "range"


def test_no_toxicity_tables_max_grade_and_stages_still_count(tmp_path):
    """Center B's shape: no toxicity tables at all, the grade on the transplant sheet. C1 max grade 3; C2 nothing;
    C3 max grade 0; C4 stages only, skin 3 / liver 0 / GI 0 = 1994 Consensus grade II. Over TX = 4: any grade C1,
    C4 = 2 (50.0%); grade >= III C1 = 1; TX-GR = 2: grade 2 C4, grade 3 C1; unknown C2 = 1. CRS stays unknown (no
    toxicity data), aGVHD does not."""
    folder = _clone(tmp_path / "C", {"C1": {"max": 3}, "C2": {}, "C3": {"max": 0}, "C4": {"stages": (3, 0, 0)}},
                    keep_toxicity=False)
    cohort, findings = load_cohort(folder)
    assert not findings.errors
    res, dc = paper.run(cohort)
    assert _val(res, "txt_tx_agvhd_n") == 2 and _val(res, "txt_tx_agvhd_pct") == 50.0
    assert _val(res, "txt_tx_agvhd_ge3_n") == 1
    assert [_val(res, f"t3_agvhd_grade{g}_n") for g in (1, 2, 3, 4)] == [0, 1, 1, 0]
    assert _val(res, "t3_agvhd_unknown_n") == 1
    assert _row(dc, "C4")["agvhd_source"] == "organ stages" and _row(dc, "C4")["agvhd_grade"] == 2
    assert _val(res, "txt_bl_crs_pct") is None  # toxicity not collected: still unknown


def test_episode_only_cohort_keeps_absence_as_none(tmp_path):
    """A cohort that records toxicity as episodes and never uses agvhd_max_grade (the twin's convention): E2, with
    no aGVHD episode, had none (False), E1's episode counts. 1/2 any grade."""
    folder = _clone(tmp_path / "E", {"E1": {"episode": ("2018-07-01", 2)}, "E2": {}})
    cohort, _ = load_cohort(folder)
    dc = derive_cohort(cohort)
    assert _row(dc, "E1")["agvhd"] == True and _row(dc, "E2")["agvhd"] == False  # noqa: E712


def test_all_cases_undated_gives_no_curve_not_a_zero_incidence(tmp_path):
    """Cohort C of the test above: both grade II-IV cases (C1 grade 3, C4 grade II from stages) have no date, so the
    other two analysable patients (C3 grade 0; C2 unknown is left out too) would give an incidence of 0: not drawn."""
    folder = _clone(tmp_path / "C", {"C1": {"max": 3}, "C2": {}, "C3": {"max": 0}, "C4": {"stages": (3, 0, 0)}},
                    keep_toxicity=False)
    cohort, _ = load_cohort(folder)
    res, _ = paper.run(cohort, paper.PaperParams(analysis=AnalysisParams(min_group_n=1)))
    assert "ext_agvhd24_tx" not in res.curves
    reason = res.meta["not_computed"]["ext_agvhd24_tx"]["reason"]
    assert reason.startswith("not computed: all 2 aGVHD grade II-IV cases") and "no date is imputed" in reason
    assert _val(res, "ext_tx_agvhd2_4_d100_pct") is None and res.records["ext_tx_agvhd2_4_d100_pct"].note == reason
    assert _val(res, "ext_tx_agvhd2_4_undated_n") == 2


def test_center_b_counts_its_transplant_sheet_grades():
    """Center B (tests/centers): aGVHD only as the transplant sheet's maximum grade. The counts are truth.R's (from
    design.csv, in R); every grade II-IV case is undated, so the incidence is not drawn and says why."""
    import csv
    here = Path(__file__).parent / "centers" / "center_b"
    with open(here / "truth.csv", newline="") as fh:
        truth = {r["quantity"]: int(r["value"]) for r in csv.DictReader(fh) if r["quantity"].startswith("tx_agvhd")}
    cohort, _ = load_cohort(here / "canonical")
    res, _ = paper.run(cohort)
    assert _val(res, "txt_tx_agvhd_n") == truth["tx_agvhd_any_n"]
    assert [_val(res, f"t3_agvhd_grade{g}_n") for g in (1, 2, 3, 4)] == [truth[f"tx_agvhd_grade{g}_n"]
                                                                         for g in (1, 2, 3, 4)]
    assert _val(res, "t3_agvhd_unknown_n") == truth["tx_agvhd_unknown_n"]
    ge2 = sum(truth[f"tx_agvhd_grade{g}_n"] for g in (2, 3, 4))
    assert _val(res, "ext_tx_agvhd2_4_undated_n") == ge2
    assert res.meta["not_computed"]["ext_agvhd24_tx"]["reason"].startswith(f"not computed: all {ge2} aGVHD grade")


# ---- the rule function itself (derive/agvhd.py), one transplant at a time ------------------------------------------
def _d(s):
    import datetime as dt
    return dt.date.fromisoformat(s)


D0 = "2018-06-01"


def _agvhd(tx=None, episodes=(), obs=(), absent_is_none=False):
    from mabseq.derive.agvhd import derive_agvhd
    tox = [{"toxicity": "agvhd", "onset_date": _d(o), "grade": g} for o, g in episodes]
    tox_obs = [{"observation_date": _d(o), **st} for o, st in obs]
    v, why, flags = derive_agvhd(tx or {}, _d(D0), tox, tox_obs, "Keystone-1994", absent_is_none)
    return v, flags


def test_rule_ungraded_episode_takes_the_transplant_grade_but_not_a_date():
    """An episode on 2018-06-20 without a grade, the transplant row says grade 3: aGVHD yes from the episode (dated
    onset), grade 3 from the row; the day grade >= II was reached is unknown (the onset is aGVHD's, not grade II's)."""
    v, flags = _agvhd({"agvhd_max_grade": 3}, [("2018-06-20", None)])
    assert (v["agvhd"], v["agvhd_grade"], v["agvhd_date"]) == (True, 3, _d("2018-06-20"))
    assert v["agvhd_ge2"] is True and v["agvhd_ge2_date"] is None and v["agvhd_ge2_undated"] is True
    assert flags == []


def test_rule_max_grade_zero_with_an_episode_is_flagged_and_the_episode_wins():
    v, flags = _agvhd({"agvhd_max_grade": 0}, [("2018-06-20", 2)])
    assert v["agvhd"] is True and v["agvhd_grade"] == 2 and v["agvhd_ge2_date"] == _d("2018-06-20")
    assert flags == ["aGVHD: the transplant row's maximum grade 0 differs from the episodes' highest grade 2; the "
                     "dated episodes are used"]
    v, flags = _agvhd({"agvhd_max_grade": 0}, [("2018-06-20", None)])
    assert v["agvhd"] is True and v["agvhd_grade"] == "ungraded" and v["agvhd_ge2"] is None
    assert flags and "maximum grade 0 contradicts" in flags[0]


def test_rule_dated_stages_only_date_grade_two_at_the_first_observation_reaching_it():
    """No episode, no recorded grade. Observations: 06-10 skin 2 (grade I), 06-15 liver 1 (maxima skin 2, liver 1:
    grade II), 06-30 gut 2 (grade III). Grade III from the maxima; >= II dated 06-15, >= III 06-30."""
    v, _ = _agvhd(obs=[("2018-06-10", {"skin_stage": 2}), ("2018-06-15", {"liver_stage": 1}),
                       ("2018-06-30", {"lower_gi_stage": 2})])
    assert (v["agvhd"], v["agvhd_grade"], v["agvhd_source"]) == (True, 3, "organ stages")
    assert v["agvhd_date"] == _d("2018-06-10")
    assert v["agvhd_ge2_date"] == _d("2018-06-15") and v["agvhd_ge3_date"] == _d("2018-06-30")
    assert not v["agvhd_ge2_undated"] and not v["agvhd_ge3_undated"]


def test_rule_nothing_is_unknown_unless_the_cohort_records_episodes():
    v, flags = _agvhd()
    assert v["agvhd"] is None and v["agvhd_ge2"] is None and "aGVHD unknown" in flags[0]
    v, _ = _agvhd(absent_is_none=True)
    assert v["agvhd"] is False and v["agvhd_ge2"] is False


def test_rule_transplant_stages_that_leave_the_grade_open_stay_unknown():
    """Only the skin stage 1 on the transplant row (liver and gut unknown): grade I, II, III or IV; unknown."""
    v, _ = _agvhd({"agvhd_max_skin_stage": 1})
    assert v["agvhd"] is None and v["agvhd_grade_from_stages"] is None
