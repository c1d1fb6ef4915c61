"""Specific exclusion reasons (issue 14): each excluded patient gets the first inclusion rule it fails with the
values that failed it, in excluded.csv (dates as days from diagnosis, results/release.py), in `explain`, and as a
category in the flow diagram's exclusion box. Hand-worked on the example cohort (tests/cohort_corpus/valid: cut-off
2020-06-30, enrollment 2012-01-01 to 2019-12-31; P01 diagnosed 2016-03-01, blinatumomab 2018-01-10, inotuzumab
2018-03-01)."""
from __future__ import annotations

import io

import pandas as pd

from mabseq.studies.run import explain_patient, output_files, run_study
from test_derive_unknown import derive, edited


def _set(pid, course, col, value):
    def fn(df):
        df.loc[(df["patient_id"] == pid) & (df["course_id"] == course), col] = value
        return df
    return fn


def _cutoff(df):
    # the cut-off moved to 2018-02-15: P01's inotuzumab (C3, 2018-03-01) starts 14 days after it
    df["data_cutoff"] = "2018-02-15"
    return df


def _no_doses(df):
    return df[df["patient_id"] != "P01"]


def test_mab2_after_the_cutoff(tmp_path):
    dc = derive(edited(tmp_path, {"study": _cutoff}))
    ex = dc.excluded.set_index("patient_id")
    assert ex.loc["P01", "reason"] == "mAb2 started after the cut-off"
    assert "inotuzumab (course C3) started 2018-03-01, after the cut-off 2018-02-15" in ex.loc["P01", "detail"]


def test_antibody_only_as_frontline_and_never_given(tmp_path):
    dc = derive(edited(tmp_path / "a", {"therapies": _set("P01", "C3", "intent", "frontline")}))
    d = dc.excluded.set_index("patient_id").loc["P01"]
    assert d["reason"] == "did not receive both antibodies for R/R disease"
    assert "inotuzumab given only as frontline therapy (course C3, started 2018-03-01)" in d["detail"]

    def drop(df):
        return df[~((df["patient_id"] == "P01") & (df["course_id"] == "C3"))]
    dc = derive(edited(tmp_path / "b", {"therapies": drop, "doses": _no_doses}))
    assert dc.excluded.set_index("patient_id").loc["P01", "detail"].startswith("no inotuzumab course")


def test_enrollment_with_its_dates(tmp_path):
    # study enrollment from 2018-02-01: P01's mAb1 (2018-01-10) is before it
    def study(df):
        df["enrollment_start"] = "2018-02-01"
        return df
    dc = derive(edited(tmp_path, {"study": study}))
    d = dc.excluded.set_index("patient_id").loc["P01"]
    assert d["reason"] == "mAb1 outside the enrollment period"
    assert d["detail"] == ("mAb1 started 2018-01-10, before the enrollment start 2018-02-01 (mAb1 = blinatumomab "
                           "course C2)")


def test_detail_in_excluded_csv_explain_and_flow(tmp_path):
    run = run_study(edited(tmp_path, {"study": _cutoff}))
    files = output_files(run)
    ex = pd.read_csv(io.StringIO(files["excluded.csv"])).set_index("patient_id")
    # dates as days from P01's diagnosis (2016-03-01): 2018-03-01 is day 730, 2018-02-15 day 716
    assert ex.loc["P01", "reason"] == "mAb2 started after the cut-off"
    assert ex.loc["P01", "detail"] == ("inotuzumab (course C3) started diagnosis day 730, after the cut-off "
                                       "diagnosis day 716")
    assert "2018-03-01" not in files["excluded.csv"]
    assert "started diagnosis day 730, after the cut-off diagnosis day 716" in explain_patient(run, "P01")
    # the flow diagram's exclusion box keeps the categories (no per-patient dates in results.json)
    reasons = {e["reason"] for e in run.results.flow.excluded}
    assert reasons == {"mAb2 started after the cut-off", "not B-ALL"}
    assert all(set(e) == {"patient_id", "reason"} for e in run.results.flow.excluded)


def test_fidelity_on_a_centers_own_data_is_informational(tmp_path):
    # the example cohort is not the paper's: the summary and the report call the fidelity table a comparison with
    # the paper's cohort, for orientation, not "differs: N"; the twin keeps "fidelity:"
    from mabseq.render.html import render_html
    from mabseq.studies.run import fidelity_of
    run = run_study(edited(tmp_path, {}))
    summary = output_files(run)["summary.txt"]
    assert "comparison with the paper's cohort (informational" in summary and "\nfidelity:" not in summary
    html = render_html(run.results, fidelity=fidelity_of(run.results))
    assert "Comparison with the paper&#39;s cohort (informational)" in html or \
        "Comparison with the paper's cohort (informational)" in html
    assert "Fidelity to the published paper" not in html
    twin = run_study(None)
    s = output_files(twin)["summary.txt"]
    assert "\nfidelity: " in s and "match 631" in s
