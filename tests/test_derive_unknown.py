"""Unknown is never no (issue 14): a missing input gives ``unknown`` and a finding naming the rule and the input,
counted in the data-completeness section; the bugs found by reading derive/rules.py. Each case is worked by hand on
the example cohort (tests/cohort_corpus/valid) or on a few hand-made records; the oracle is the hand-worked value,
never the code under test."""
from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pandas as pd
import pytest

from mabseq.cohort import load_cohort
from mabseq.derive import derive_cohort, rules
from mabseq.derive.params import DeriveParams
from mabseq.studies.run import output_files, run_study

D = dt.date
VALID = Path(__file__).parent / "cohort_corpus" / "valid"


def edited(tmp_path: Path, edits: dict) -> Path:
    """A copy of the example cohort with ``edits``: {file: function(DataFrame of strings) -> DataFrame}."""
    out = tmp_path / "cohort"
    shutil.copytree(VALID, out)
    for name, fn in edits.items():
        df = pd.read_csv(out / f"{name}.csv", dtype=str, keep_default_na=False)
        fn(df).to_csv(out / f"{name}.csv", index=False)
    return out


def derive(folder: Path):
    cohort, findings = load_cohort(folder)
    assert not findings.errors, findings.errors
    return derive_cohort(cohort)


def blank(col):
    def fn(df):
        df[col] = ""
        return df
    return fn


# ---- pb_blasts missing: the case --------------------------------------------------------------------------
def test_missing_pb_blasts_makes_cr_unknown_not_no(tmp_path):
    # P01 inotuzumab mAb2 (C3 from 2018-03-01): marrow 2018-04-25 blasts 1%, no EMD; with pb_blasts known "no" it
    # is CR. With pb_blasts empty the CR rule (no circulating blasts) cannot be checked: unknown, never "nr".
    # P01 blinatumomab mAb1: its one marrow in the window (2018-02-10) has 40% blasts -> not CR whatever pb_blasts
    # says: still "nr". P02 inotuzumab mAb1: marrow 2016-03-01 blasts 2% -> unknown as well.
    dc = derive(edited(tmp_path, {"assessments": blank("pb_blasts")}))
    a = dc.adsl.set_index("patient_id")
    assert a.loc["P01", "resp_mab1"] == "nr"
    assert pd.isna(a.loc["P01", "resp_mab2"])
    assert pd.isna(a.loc["P02", "resp_mab1"])
    u = dc.unknowns
    got = set(zip(u["patient_id"], u["variable"], u["input"]))
    assert ("P01", "resp_mab2", "pb_blasts") in got and ("P02", "resp_mab1", "pb_blasts") in got
    assert ("P01", "resp_mab1", "pb_blasts") not in got
    assert "pb_blasts" in dc.derived["P01"].why["resp_mab2"]
    # the whole column is empty: said once
    assert sum("assessments.pb_blasts" in a for a in dc.absent_inputs) == 1


def test_missing_pb_blasts_shows_in_completeness_and_summary(tmp_path):
    run = run_study(edited(tmp_path, {"assessments": blank("pb_blasts")}))
    rec = run.results.records
    # P01's mAb2 and P02's mAb1 are unknown for want of pb_blasts: one patient each, over 2 included patients
    assert rec["dq_unknown_resp_mab2__pb_blasts"].value == 1
    assert rec["dq_unknown_resp_mab1__pb_blasts"].value == 1
    assert rec["dq_missing_resp_mab2"].value == 1
    assert any("pb_blasts" in w and w.startswith("MISSING INPUT") for w in run.results.meta["warnings"])
    summary = output_files(run)["summary.txt"]
    assert summary.count("MISSING INPUT: assessments.pb_blasts") == 1
    assert "resp_mab2 (pb_blasts) 1" in summary


def test_full_cohort_has_no_absent_input_and_no_response_unknown():
    dc = derive(VALID)
    assert dc.absent_inputs == []
    a = dc.adsl.set_index("patient_id")
    assert (a.loc["P01", "resp_mab1"], a.loc["P01", "resp_mab2"], a.loc["P02", "resp_mab1"]) == ("nr", "cr", "cr")


def test_hematologic_unknown_in_response_rule_by_hand():
    # one marrow, blasts 1%, no EMD, pb_blasts missing -> unknown (None) naming pb_blasts; the same marrow with a
    # second marrow at 30% blasts: still unknown (no marrow in CR, one cannot be judged); 30% alone -> "nr"
    course = {"start_date": D(2020, 1, 1), "therapy_class": "inotuzumab", "disease_state_at_start": "morphologic"}
    m_unknown = {"specimen": "marrow", "assessment_date": D(2020, 1, 20), "bm_blast_pct": 1, "pb_blasts": None,
                 "emd_present": "no"}
    m_high = {"specimen": "marrow", "assessment_date": D(2020, 2, 1), "bm_blast_pct": 30, "pb_blasts": None,
              "emd_present": "no"}
    P = DeriveParams()
    r = rules.best_response(course, [m_unknown], [], D(2020, 3, 1), P)
    assert r["response"] is None and r["missing"] == ("pb_blasts",)
    assert rules.best_response(course, [m_unknown, m_high], [], D(2020, 3, 1), P)["response"] is None
    assert rules.best_response(course, [m_high], [], D(2020, 3, 1), P)["response"] == "nr"


# ---- the bugs found by reading the code ----------------------------------------------------------------------------
def _ino():
    return {"course_id": "C1", "therapy_class": "inotuzumab", "start_date": D(2020, 1, 1), "end_date": D(2020, 2, 1)}


def test_grade_0_episode_is_not_hepatotoxicity():
    # a recorded transaminitis of grade 0 on day 10 of inotuzumab is no toxicity (it was read as grade 1);
    # grade 1 counts; an episode recorded without a grade counts (an episode was recorded)
    c = _ino()
    P = DeriveParams()
    ep = {"toxicity": "transaminitis", "onset_date": D(2020, 1, 10), "grade": 0}
    bili = {"toxicity": "hyperbilirubinemia", "onset_date": D(2020, 1, 10), "grade": 0}
    assert rules.hepatotoxicity([ep, bili], [], c, [c], [], [], P) == (False, False)
    assert rules.hepatotoxicity([{**ep, "grade": 1}], [], c, [c], [], [], P) == (True, False)
    assert rules.hepatotoxicity([{**bili, "grade": None}], [], c, [c], [], [], P) == (False, True)


def test_missing_blast_count_is_not_zero_in_site():
    # a marrow 5 days before mAb1 with neither blasts nor MRD: the marrow's status is unknown (it was read as 0%
    # blasts, so "no marrow disease"); 40% -> marrow; MRD 1e-3 with blasts missing -> marrow (MRD >= 1e-4)
    when = D(2020, 1, 10)
    m = {"specimen": "marrow", "assessment_date": D(2020, 1, 5), "bm_blast_pct": None, "mrd_value": None,
         "emd_present": "no"}
    assert rules.site_at([m], when, 30) == "unknown"
    # 40% blasts but EMD not recorded on any row of the window: 'marrow' or 'both' cannot be told -> unknown_emd
    assert rules.site_at([{**m, "bm_blast_pct": 40, "emd_present": None}], when, 30) == "unknown_emd"
    assert rules.site_at([{**m, "bm_blast_pct": 40}], when, 30) == "marrow"
    assert rules.site_at([{**m, "mrd_value": 1e-3}], when, 30) == "marrow"
    # the MRD threshold is the parameter: 5e-4 is disease at 1e-4, not at 1e-3
    assert rules.site_at([{**m, "bm_blast_pct": 1, "mrd_value": 5e-4}], when, 30, 1e-3) is None
    assert rules.site_at([{**m, "bm_blast_pct": 1, "mrd_value": 5e-4}], when, 30, 1e-4) == "marrow"


def test_site_unknown_is_a_finding(tmp_path):
    # P01's marrow 2018-01-08 (2 days before mAb1) without its blast count and MRD: site at mAb1 unknown
    def fn(df):
        row = (df["patient_id"] == "P01") & (df["assessment_date"] == "2018-01-08")
        df.loc[row, ["bm_blast_pct", "mrd_value"]] = ""
        return df
    dc = derive(edited(tmp_path, {"assessments": fn}))
    assert pd.isna(dc.adsl.set_index("patient_id").loc["P01", "site_mab1"])
    assert {"variable": "site_mab1", "input": "bm_blast_pct"}.items() <= dict(
        dc.unknowns[dc.unknowns["variable"] == "site_mab1"].iloc[0]).items()


def test_tx_status_takes_rule_set_and_threshold_from_parameters():
    # no recorded status; marrow 10 days before conditioning: blasts 1%, no pb blasts, no EMD, MRD 5e-4 (flow,
    # sensitivity 1e-5): MRD-positive at the preset's 1e-4, negative at a threshold of 1e-3
    tx = {"transplant_date": D(2020, 6, 1), "conditioning_start_date": D(2020, 5, 25), "disease_status": None}
    m = {"specimen": "marrow", "assessment_date": D(2020, 5, 15), "bm_blast_pct": 1, "pb_blasts": "no",
         "emd_present": "no", "mrd_value": 5e-4, "mrd_lod": 1e-5, "mrd_method": "flow"}
    assert rules.tx_status(tx, [m], DeriveParams()) == "cr_mrd_pos"
    assert rules.tx_status(tx, [m], DeriveParams(mrd_threshold=1e-3)) == "cr_mrd_neg"
    # pb_blasts missing: unknown, not "not in CR"
    assert rules.tx_status(tx, [{**m, "pb_blasts": None}], DeriveParams()) is None
    # the lookback is the parameter: the marrow is 10 days before conditioning
    assert rules.tx_status(tx, [m], DeriveParams(marrow_lookback_days=5)) is None


def test_one_rule_for_a_line_of_therapy():
    lines = {"blinatumomab", "inotuzumab", "chemotherapy", "car_t", "investigational"}
    for cls in ("blinatumomab", "inotuzumab", "chemotherapy", "car_t", "investigational", "tki", "intrathecal",
                "radiotherapy", "cytoreduction"):
        assert rules.counts_as_line({"therapy_class": cls}) == (cls in lines), cls
    src = (Path(rules.__file__).parent / "rules.py").read_text() + (Path(rules.__file__).parent /
                                                                    "patient.py").read_text()
    # the rule is written once (in counts_as_line), not re-spelled at each use
    assert src.count("in SYSTEMIC_LINE_CLASSES or") == 1


# ---- the dead parameters now do what they say ----------------------------------------------------------------------
def test_tx_interval_anchor_last_dose():
    # P01: inotuzumab mAb2 from 2018-03-01, last dose 2018-04-05, day 0 2018-06-01: 92 days from the start,
    # 57 from the last dose
    cohort, _ = load_cohort(VALID)
    a = derive_cohort(cohort).adsl.set_index("patient_id")
    b = derive_cohort(cohort, DeriveParams(tx_interval_anchor="last_dose")).adsl.set_index("patient_id")
    assert a.loc["P01", "days_mab2_tx"] == 92
    assert b.loc["P01", "days_mab2_tx"] == 57


def test_interim_counts_tki_alone_and_cns_directed(tmp_path):
    # P01: refractory to blinatumomab on 2018-02-10, inotuzumab mAb2 2018-03-01. Add a TKI alone on 2018-02-15 and
    # IT therapy on 2018-02-20: by default neither is interim therapy (0 lines); with the parameters, 1 each
    def fn(df):
        extra = pd.DataFrame([{**{c: "" for c in df.columns}, "patient_id": "P01", "course_id": "T1",
                               "therapy_class": "tki", "start_date": "2018-02-15", "intent": "salvage"},
                              {**{c: "" for c in df.columns}, "patient_id": "P01", "course_id": "T2",
                               "therapy_class": "intrathecal", "start_date": "2018-02-20", "intent": "salvage"}])
        return pd.concat([df, extra], ignore_index=True)
    cohort, f = load_cohort(edited(tmp_path, {"therapies": fn}))
    assert not f.errors, f.errors

    def n(**kw):
        return derive_cohort(cohort, DeriveParams(**kw)).adsl.set_index("patient_id").loc["P01", "interim_lines"]
    assert n() == 0
    assert n(interim_counts_tki_alone=True) == 1
    assert n(interim_counts_cns_directed=True) == 1
    assert n(interim_counts_tki_alone=True, interim_counts_cns_directed=True) == 2


def test_preference_needs_a_cr_held_preference_cr_days():
    # no transplant, no recorded reason, CR after mAb2 on 2020-03-01: relapse 2020-03-21 (held 20 days) ->
    # active disease; relapse 2020-04-10 (40 days) -> preference; with preference_cr_days=45 -> active disease
    fu = {"last_contact_date": D(2020, 12, 1)}
    v = {"resp_mab2": "cr", "resp_mab2_date": D(2020, 3, 1), "event2_date": D(2020, 3, 21)}
    P = DeriveParams()
    assert rules.no_tx_reason_fallback(v, fu, P, D(2021, 1, 1)) == "active_disease"
    v["event2_date"] = D(2020, 4, 10)
    assert rules.no_tx_reason_fallback(v, fu, P, D(2021, 1, 1)) == "preference"
    assert rules.no_tx_reason_fallback(v, fu, DeriveParams(preference_cr_days=45), D(2021, 1, 1)) == \
        "active_disease"
    # response to mAb2 unknown: the reason is unknown, not "active disease"
    assert rules.no_tx_reason_fallback({"resp_mab2": None}, fu, P, D(2021, 1, 1)) is None


@pytest.mark.parametrize("col", ["pb_blasts", "emd_present", "mrd_value"])
def test_dropping_an_optional_input_moves_values_only_to_unknown(tmp_path, col):
    # every derived value of the example cohort either stays or becomes unknown; none moves to another value
    base = derive(VALID).adsl.set_index("patient_id")
    new = derive(edited(tmp_path, {"assessments": blank(col)})).adsl.set_index("patient_id")
    for var in ("resp_mab1", "resp_mab2", "tx_status", "site_mab1", "burden_mab1", "cd19_event1",
                "cd22_event1", "no_tx_reason"):
        for pid in base.index:
            old, now = base.loc[pid, var], new.loc[pid, var]
            assert pd.isna(now) or now == old, (col, var, pid, old, now)


def test_crs_without_a_grade_is_not_grade_0():
    # blinatumomab 2020-01-01 to 2020-01-28 (window to 2020-02-11): a CRS episode on 2020-01-03 without a grade
    # -> maximum grade unknown (it was read as 0); with a grade-2 episode as well -> 2; ICANS none recorded -> 0
    c = {"course_id": "C1", "therapy_class": "blinatumomab", "start_date": D(2020, 1, 1), "end_date": D(2020, 1, 28)}
    ep = {"toxicity": "crs", "onset_date": D(2020, 1, 3), "grade": None}
    assert rules.max_grade_in_window([ep], c, [c], 14) == (None, 0)
    assert rules.max_grade_in_window([ep, {**ep, "onset_date": D(2020, 1, 5), "grade": 2}], c, [c], 14) == (2, 0)
    assert rules.max_grade_in_window([{**ep, "grade": 0}], c, [c], 14) == (0, 0)


def test_crs_without_a_grade_counts_as_any_grade(tmp_path):
    # P01's CRS of 2018-01-11 (grade 1) recorded without its grade: crs_blina unknown, crs_any_blina yes
    def fn(df):
        df.loc[(df["patient_id"] == "P01") & (df["toxicity"] == "crs"), "grade"] = ""
        return df
    dc = derive(edited(tmp_path, {"toxicity_episodes": fn}))
    p = dc.adsl.set_index("patient_id").loc["P01"]
    assert pd.isna(p["crs_blina"]) and p["crs_any_blina"] == True  # noqa: E712
    assert ((dc.unknowns["variable"] == "crs_blina") & (dc.unknowns["input"] == "grade")).sum() == 1
