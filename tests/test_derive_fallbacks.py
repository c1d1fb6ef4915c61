"""The plan's fallbacks (issue 14; study-definition 2.3, 2.4): antigen status of a non-responder without a dated
progression at the marrow documenting non-response; the disease state at a course's start from the latest marrow
before it when not recorded (the explanation names that marrow); sample windows stated, and a warning for a flow
sample just outside one. Hand-worked on the example cohort (tests/cohort_corpus/valid) and on hand-made records."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from mabseq.derive import derive_cohort, rules
from mabseq.derive.params import DeriveParams
from mabseq.studies.twin import load_twin
from test_derive_unknown import derive, edited

D = dt.date
P = DeriveParams()


# ---- (a) antigen status of a non-responder without a dated progression (2.4) ---------------------------------------
def test_nonresponder_without_event_gets_cd19_at_the_nonresponse_marrow(tmp_path):
    # P01: blinatumomab mAb1 2018-01-10 to 2018-02-07, no response; the refractory event of 2018-02-10 is removed,
    # so there is no dated progression before inotuzumab (2018-03-01). The marrow documenting non-response is
    # 2018-02-10 (40% blasts), whose flow says CD19 negative (pathologist's call; 10% positive) and CD22 positive.
    def drop_event(df):
        return df[~((df["patient_id"] == "P01") & (df["event_date"] == "2018-02-10"))]
    dc = derive(edited(tmp_path, {"disease_events": drop_event}))
    a = dc.adsl.set_index("patient_id")
    assert pd.isna(a.loc["P01", "event1_date"])  # the event itself is not invented
    assert a.loc["P01", "cd19_event1"] == "negdim" and a.loc["P01", "cd19_event1_status"] == "negative"
    assert a.loc["P01", "cd22_event1"] == "pos"
    why = dc.derived["P01"].why["cd19_event1"]
    assert "non-response" in why and "2018-02-10" in why
    assert any("non-response" in f for f in dc.derived["P01"].flags)  # flagged, as the plan says


def test_nonresponse_marrow_rule_by_hand():
    # course from 2020-01-01, window to 2020-02-15: marrows 2020-01-20 (30%), 2020-02-10 (50%), 2020-03-01 (60%,
    # outside the window), 2020-01-25 (2%): the last marrow in the window that shows disease is 2020-02-10
    course = {"start_date": D(2020, 1, 1)}
    ms = [{"specimen": "marrow", "assessment_date": d, "bm_blast_pct": b}
          for d, b in ((D(2020, 1, 20), 30), (D(2020, 1, 25), 2), (D(2020, 2, 10), 50), (D(2020, 3, 1), 60))]
    assert rules.nonresponse_marrow(ms, course, D(2020, 2, 15)) == D(2020, 2, 10)
    assert rules.nonresponse_marrow(ms[1:2], course, D(2020, 2, 15)) is None


# ---- (b) disease state at the start of a course from the marrow before it ------------------------------------------
def _m(d, blasts, mrd=None, pb="no", emd="no"):
    return {"specimen": "marrow", "assessment_date": d, "bm_blast_pct": blasts, "pb_blasts": pb,
            "emd_present": emd, "mrd_value": mrd, "mrd_lod": 1e-5 if mrd is not None else None, "mrd_method": "flow"}


def test_state_from_marrow_by_hand():
    c = {"start_date": D(2020, 3, 1), "disease_state_at_start": None}
    # latest marrow within 30 days before: 2020-02-20 blasts 2%, MRD 1e-3 -> MRD-only disease ("mrd")
    st = rules.state_from_marrow([_m(D(2020, 1, 1), 40), _m(D(2020, 2, 20), 2, 1e-3)], c, P)
    assert st["state"] == "mrd" and "2020-02-20" in st["why"]
    # blasts 2%, MRD 0 at sensitivity 1e-5 -> MRD-negative CR
    assert rules.state_from_marrow([_m(D(2020, 2, 20), 2, 0.0)], c, P)["state"] == "cr_mrd_negative"
    # blasts 12% -> morphologic; blasts 2% with circulating blasts -> morphologic
    assert rules.state_from_marrow([_m(D(2020, 2, 20), 12)], c, P)["state"] == "morphologic"
    assert rules.state_from_marrow([_m(D(2020, 2, 20), 2, pb="yes")], c, P)["state"] == "morphologic"
    # blasts 2% without MRD: unknown (missing mrd_value); the only marrow 40 days before: unknown (no marrow)
    assert rules.state_from_marrow([_m(D(2020, 2, 20), 2)], c, P)["missing"] == "mrd_value"
    assert rules.state_from_marrow([_m(D(2020, 1, 21), 2, 1e-3)], c, P)["state"] is None
    # the window is the parameter: 40 days before counts at state_marrow_window_days=45
    assert rules.state_from_marrow([_m(D(2020, 1, 21), 2, 1e-3)], c,
                                   DeriveParams(state_marrow_window_days=45))["state"] == "mrd"
    # a recorded state wins
    assert rules.state_from_marrow([_m(D(2020, 2, 20), 40)], {**c, "disease_state_at_start": "mrd"},
                                   P)["state"] == "mrd"


def test_state_from_marrow_sees_extramedullary_disease_and_a_later_relapse():
    # the twin's T03 by hand: marrow 2020-02-20 blasts 4%, MRD 0 (alone: MRD-negative CR), but the imaging of
    # 2020-02-21 shows extramedullary disease -> morphologic (an isolated EMD relapse has a clean marrow)
    c = {"start_date": D(2020, 3, 1), "disease_state_at_start": None}
    img = {"specimen": "imaging", "assessment_date": D(2020, 2, 21), "emd_present": "yes"}
    st = rules.state_from_marrow([_m(D(2020, 2, 20), 4, 0.0), img], c, P)
    assert st["state"] == "morphologic" and "imaging of 2020-02-21" in st["why"]
    # imaging without EMD changes nothing: MRD-negative CR; EMD imaged before that marrow (the twin's T27: EMD
    # 2019-09-06, inotuzumab, clean marrow 2019-09-24, blinatumomab 2019-09-27) is not the state at the start
    assert rules.state_from_marrow([_m(D(2020, 2, 20), 4, 0.0), {**img, "assessment_date": D(2020, 2, 5)}], c,
                                   P)["state"] == "cr_mrd_negative"
    assert rules.state_from_marrow([_m(D(2020, 2, 20), 4, 0.0), {**img, "emd_present": "no"}], c,
                                   P)["state"] == "cr_mrd_negative"
    # a relapse dated 2020-02-25, after the clean marrow and before the first dose -> morphologic; the same
    # relapse dated before the marrow (2020-02-10) is answered by that marrow -> MRD-negative CR
    ev = {"event_date": D(2020, 2, 25), "event_type": "relapse"}
    assert rules.state_from_marrow([_m(D(2020, 2, 20), 4, 0.0)], c, P, [ev])["state"] == "morphologic"
    assert rules.state_from_marrow([_m(D(2020, 2, 20), 4, 0.0)], c, P,
                                   [{**ev, "event_date": D(2020, 2, 10)}])["state"] == "cr_mrd_negative"
    # < 5% blasts, MRD 0, but circulating blasts not recorded: morphologic cannot be ruled out -> unknown
    st = rules.state_from_marrow([_m(D(2020, 2, 20), 4, 0.0, pb=None)], c, P)
    assert st["state"] is None and st["missing"] == "pb_blasts"


def test_state_from_marrow_review_cases():
    # (review) an MRD relapse after an MRD-negative marrow: MRD-only disease ("mrd"), not morphologic
    c = {"start_date": D(2020, 3, 1), "disease_state_at_start": None}
    ev = {"event_date": D(2020, 2, 25), "event_type": "mrd_relapse"}
    assert rules.state_from_marrow([_m(D(2020, 2, 20), 4, 0.0)], c, P, [ev])["state"] == "mrd"
    # CNS3 in the CSF after a clean marrow: morphologic (one EMD test with site_at)
    csf = {"specimen": "csf", "assessment_date": D(2020, 2, 22), "cns_status": "cns3"}
    assert rules.state_from_marrow([_m(D(2020, 2, 20), 4, 0.0), csf], c, P)["state"] == "morphologic"
    # a marrow without a blast count that shows circulating blasts: morphologic (not unknown)
    assert rules.state_from_marrow([_m(D(2020, 2, 20), None, pb="yes")], c, P)["state"] == "morphologic"
    # EMD not recorded on the marrow row but recorded absent on the same day's imaging: MRD-negative CR
    img = {"specimen": "imaging", "assessment_date": D(2020, 2, 20), "emd_present": "no"}
    assert rules.state_from_marrow([_m(D(2020, 2, 20), 4, 0.0, emd=None), img], c, P)["state"] == "cr_mrd_negative"


def test_crs_uncertain_stretch_stops_at_conditioning():
    # (review) blinatumomab from 2020-01-01 without an end date and no later line; CRS grade 1 on day 2; a CRS
    # episode after the conditioning of 2020-05-01 cannot belong to the course: max grade 1, any yes
    c = {"course_id": "B", "therapy_class": "blinatumomab", "start_date": D(2020, 1, 1), "end_date": None}
    tox = [{"toxicity": "crs", "onset_date": D(2020, 1, 2), "grade": 1},
           {"toxicity": "crs", "onset_date": D(2020, 9, 1), "grade": 2}]
    r = rules.toxicity_in_window(tox, c, [c], 14, [D(2020, 5, 1)])
    assert (r["crs"]["max"], r["crs"]["any"]) == (1, True)
    # without the stop the later episode might belong: unknown maximum
    assert rules.toxicity_in_window(tox, c, [c], 14)["crs"]["max"] is None


def test_mrd_start_response_explained_by_the_marrows_that_had_low_blasts():
    # started with MRD-only disease; in the window two marrows with 1% and 2% blasts, both MRD-positive: no CR
    # (conversion to MRD negativity required), and the explanation says so instead of "no marrow in CR"
    c = {"start_date": D(2020, 3, 1), "therapy_class": "blinatumomab", "disease_state_at_start": None}
    ms = [_m(D(2020, 3, 20), 1, 1e-3), _m(D(2020, 4, 10), 2, 2e-3)]
    r = rules.best_response(c, ms, [], D(2020, 5, 1), P, "mrd")
    assert r["response"] == "nr"
    assert "< 5% blasts but MRD not negative" in r["why"] and "2020-03-20" in r["why"]
    # the same marrows with MRD converted on 2020-04-10 -> CR on that date, MRD negative
    ms[1] = _m(D(2020, 4, 10), 2, 0.0)
    r = rules.best_response(c, ms, [], D(2020, 5, 1), P, "mrd")
    assert (r["response"], r["date"], r["mrd"]) == ("cr", D(2020, 4, 10), "neg")


def test_derived_state_gives_the_recorded_counts(tmp_path):
    # P01's inotuzumab (C3, 2018-03-01) with its recorded state "morphologic" removed: the latest marrow before it
    # (2018-02-10, 40% blasts) makes it morphologic, so the CR of 2018-04-25 stands and the explanation names the
    # marrow. Then the marrow 2018-02-10 at 2% blasts, MRD 1e-3: MRD-only start, and the CR marrow of 2018-04-25
    # (MRD 0 at 1e-4) is a conversion: still CR.
    def blank_state(df):
        df.loc[(df["patient_id"] == "P01") & (df["course_id"] == "C3"), "disease_state_at_start"] = ""
        return df
    dc = derive(edited(tmp_path / "a", {"therapies": blank_state}))
    p = dc.adsl.set_index("patient_id").loc["P01"]
    assert p["resp_mab2"] == "cr" and p["state_mab2"] == "morphologic"
    assert "marrow 2018-02-10" in dc.derived["P01"].why["resp_mab2"]

    def low_blasts(df):
        row = (df["patient_id"] == "P01") & (df["assessment_date"] == "2018-02-10")
        df.loc[row, ["bm_blast_pct", "pb_blasts", "mrd_value", "mrd_lod"]] = ["2", "no", "0.001", "0.00001"]
        return df
    dc = derive(edited(tmp_path / "b", {"therapies": blank_state, "assessments": low_blasts}))
    p = dc.adsl.set_index("patient_id").loc["P01"]
    assert p["state_mab2"] == "mrd" and p["resp_mab2"] == "cr" and p["mrd_mab2"] == "neg"
    assert "MRD positive" in dc.derived["P01"].why["state_mab2"]


def test_twin_state_column_dropped_moves_responses_only_to_unknown():
    # the twin with every disease_state_at_start removed: each response either equals the recorded-state response
    # or is unknown (a start state that no marrow settles), never another value; the mAb1 CR count is unchanged
    cohort = load_twin()
    base = derive_cohort(cohort).adsl.set_index("patient_id")
    th = cohort.tables["therapies"].copy()
    th["disease_state_at_start"] = None
    cohort.tables = {**cohort.tables, "therapies": th}
    new = derive_cohort(cohort).adsl.set_index("patient_id")
    for var in ("resp_mab1", "resp_mab2"):
        moved = [(pid, base.loc[pid, var], new.loc[pid, var]) for pid in base.index
                 if not pd.isna(new.loc[pid, var]) and new.loc[pid, var] != base.loc[pid, var]]
        assert moved == [], (var, moved)
    assert (new["resp_mab1"] == "cr").sum() == (base["resp_mab1"] == "cr").sum()


# ---- (c) sample windows stated, and a warning just outside one -----------------------------------------------------
def _flow(d, call):
    return {"specimen": "marrow", "assessment_date": d, "abnormal_population": "yes", "cd19_call": call,
            "cd19_pct_positive": None}


def test_antigen_window_stated_and_near_miss_warned():
    # event 2020-05-01: window 2020-04-17 to 2020-05-29 (-14/+28). A sample on 2020-06-05 (7 days after the window)
    # is not used, and listed as just outside; one on 2020-07-15 (47 days after) is not listed.
    ev = D(2020, 5, 1)
    r = rules.antigen_at_event([_flow(D(2020, 6, 5), "negative"), _flow(D(2020, 7, 15), "negative")], ev, None,
                               "cd19", P)
    assert r["status"] is None and r["near"] == [D(2020, 6, 5)]
    assert "2020-04-17 to 2020-05-29" in r["why"] and "-14/+28" in r["why"]
    # inside: used, and the window is stated too
    r = rules.antigen_at_event([_flow(D(2020, 5, 20), "dim")], ev, None, "cd19", P)
    assert r["binary"] == "negdim" and "2020-04-17 to 2020-05-29" in r["why"]
    # 10 days before the window's start (2020-04-07): listed
    assert rules.antigen_at_event([_flow(D(2020, 4, 7), "dim")], ev, None, "cd19", P)["near"] == [D(2020, 4, 7)]


def test_near_miss_is_a_warning_on_the_patient(tmp_path):
    # P01's relapse after mAb2 is 2019-01-15; add a flow sample with a CD19 call on 2019-02-20 (36 days after, 8
    # days outside the +28 window): CD19 at that relapse is unknown and the patient carries a warning
    def fn(df):
        extra = {**{c: "" for c in df.columns}, "patient_id": "P01", "assessment_date": "2019-02-20",
                 "specimen": "blood", "abnormal_population": "yes", "cd19_call": "negative"}
        return pd.concat([df, pd.DataFrame([extra])], ignore_index=True)
    dc = derive(edited(tmp_path, {"assessments": fn}))
    d = dc.derived["P01"]
    assert pd.isna(dc.adsl.set_index("patient_id").loc["P01", "cd19_event2"])
    assert any("2019-02-20" in w and "just outside" in w for w in d.warnings)


def test_near_miss_warning_reaches_the_run(tmp_path):
    # the same sample: the run's warnings (shown in the report) name the patient, with dates as days from mAb1
    # (P01's mAb1 2018-01-10: the sample 2019-02-20 is day 406, the relapse 2019-01-15 day 370)
    from mabseq.studies.run import output_files, run_study

    def fn(df):
        extra = {**{c: "" for c in df.columns}, "patient_id": "P01", "assessment_date": "2019-02-20",
                 "specimen": "blood", "abnormal_population": "yes", "cd19_call": "negative"}
        return pd.concat([df, pd.DataFrame([extra])], ignore_index=True)
    run = run_study(edited(tmp_path, {"assessments": fn}))
    w = [x for x in run.results.meta["warnings"] if x.startswith("derivation: ")]
    assert w == ["derivation: patient P01: CD19 flow sample day 406 lies just outside the window of the post-mAb2 "
                 "event (day 370); not used"]
    assert "derivation warnings: 1" in output_files(run)["summary.txt"]
