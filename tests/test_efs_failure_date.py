"""EFS from mAb1 with efs_nonresponder="failure_date" (study-definition 6.5, CC 9.2): a non-responder fails on the
date non-response was documented (the last marrow of the response window not in CR), not on the later documented
progression; without such a marrow the date is unknown and the progression date is kept, counted in the
sensitivity analysis' rule. Hand-worked on the example cohort (tests/cohort_corpus/valid)."""
from __future__ import annotations

import datetime as dt

import pandas as pd

from mabseq.cohort import load_cohort
from mabseq.derive import derive_cohort
from mabseq.derive.params import DeriveParams
from mabseq.studies.plan_analyses import _failure_date_fallbacks
from test_derive_unknown import derive, edited


def _later_progression(df):
    # P01: blinatumomab mAb1 from 2018-01-10, no response; its marrow of 2018-02-10 (40% blasts) documents the
    # non-response; the refractory event is moved from 2018-02-10 to 2018-02-20
    df = df.copy()
    hit = (df["patient_id"] == "P01") & (df["event_date"] == "2018-02-10")
    assert hit.sum() == 1
    df.loc[hit, "event_date"] = "2018-02-20"
    return df


def _efs(dc, pid):
    e = dc.adtte[(dc.adtte["endpoint"] == "efs_mab1") & (dc.adtte["patient_id"] == pid)]
    assert len(e) == 1
    return float(e["time"].iloc[0]), int(e["status"].iloc[0])


def test_failure_date_dates_a_nonresponder_at_the_nonresponse_marrow(tmp_path):
    folder = edited(tmp_path, {"disease_events": _later_progression})
    base = derive(folder)
    assert base.adsl.set_index("patient_id").loc["P01", "nonresponse_mab1_date"] == dt.date(2018, 2, 10)
    # progression_date (the preset): 2018-02-20 - 2018-01-10 = 41 days
    assert _efs(base, "P01") == (41.0, 1)
    cohort, _ = load_cohort(folder)
    fd = derive_cohort(cohort, DeriveParams().with_(efs_nonresponder="failure_date"))
    # failure_date: 2018-02-10 - 2018-01-10 = 31 days
    assert _efs(fd, "P01") == (31.0, 1)
    d0 = derive_cohort(cohort, DeriveParams().with_(efs_nonresponder="day0"))
    assert _efs(d0, "P01") == (0.0, 1)
    # a responder's EFS does not move
    other = [p for p in base.adsl["patient_id"] if base.adsl.set_index("patient_id").loc[p, "resp_mab1"] == "cr"]
    assert other and all(_efs(base, p) == _efs(fd, p) for p in other)


def test_without_a_nonresponse_marrow_the_date_is_unknown_and_counted(tmp_path):
    def no_marrow(df):  # P01's marrows with disease in the response window removed
        return df[~((df["patient_id"] == "P01") & (df["specimen"] == "marrow")
                    & (pd.to_numeric(df["bm_blast_pct"], errors="coerce") >= 5)
                    & (df["assessment_date"] > "2018-01-10") & (df["assessment_date"] <= "2018-03-01"))]
    folder = edited(tmp_path, {"disease_events": _later_progression, "assessments": no_marrow})
    fd = derive_cohort(load_cohort(folder)[0], DeriveParams().with_(efs_nonresponder="failure_date"))
    a = fd.adsl.set_index("patient_id")
    # the refractory event (2018-02-20) still documents the non-response; no marrow dates it
    assert a.loc["P01", "resp_mab1"] == "nr"
    assert pd.isna(a.loc["P01", "nonresponse_mab1_date"])
    assert _efs(fd, "P01") == (41.0, 1)  # the documented progression date, not an invented one
    bf = fd.adsl.assign(seq="BF")
    assert "keep the progression date" in _failure_date_fallbacks(bf)


def test_rederive_of_an_endpoint_parameter_equals_a_full_derivation():
    """The sensitivity analyses of the EFS definition rebuild only the time-to-event rows (derive/cohort.rederive):
    the same rows as deriving the whole cohort again, for each endpoint-only parameter; any other parameter
    derives again in full."""
    from mabseq.derive.cohort import rederive
    from mabseq.studies.twin import load_twin
    cohort = load_twin()
    base = derive_cohort(cohort, DeriveParams())
    for change in ({"efs_nonresponder": "day0"}, {"efs_nonresponder": "failure_date"},
                   {"efs_mab1_origin": "post_mab1_relapse"}):
        p = DeriveParams().with_(**change)
        fast, full = rederive(cohort, base, p), derive_cohort(cohort, p)
        assert fast.derived is base.derived  # no second derivation
        pd.testing.assert_frame_equal(fast.adtte, full.adtte)
        pd.testing.assert_frame_equal(fast.adsl, full.adsl)
    # a patient-scoped parameter: only the patients with an MRD relapse are derived again, the result the same
    p = DeriveParams().with_(mrd_relapse_is_event=False)
    other, full = rederive(cohort, base, p), derive_cohort(cohort, p)
    assert set(other.derived) == set(base.derived)
    for name in ("adsl", "adtte", "timelines", "excluded", "unknowns"):
        pd.testing.assert_frame_equal(getattr(other, name), getattr(full, name))


def test_rederive_for_some_patients_gives_their_rows_of_the_full_derivation():
    """The EFS sensitivity analyses read the blinatumomab-first patients only (``rederive(..., patients=)``): every
    row it returns is that patient's row of a full derivation under the same parameters, every listed patient is
    there, and a patient the changed parameter can change is there too (they may join the group)."""
    from mabseq.derive.cohort import PATIENT_SCOPED_PARAMS, rederive
    from mabseq.studies.twin import load_twin
    cohort = load_twin()
    first = derive_cohort(cohort, DeriveParams())
    some = first.adsl.loc[first.adsl["seq"] == "BF", "patient_id"].tolist()[::2]
    assert 3 <= len(some) < len(first.adsl)
    # two relapses made MRD relapses: one of a listed patient, one of a patient not listed (who may become
    # blinatumomab-first... or change in any way the parameter allows)
    ev = cohort.tables["disease_events"]
    relapsed = set(ev.loc[ev["event_type"] == "relapse", "patient_id"])
    chosen = [next(p for p in some if p in relapsed), next(p for p in first.adsl["patient_id"]
                                                           if p in relapsed and p not in some)]
    for pid in chosen:
        rows = ev.index[(ev["patient_id"] == pid) & (ev["event_type"] == "relapse")]
        ev.loc[rows[0], "event_type"] = "mrd_relapse"
    base = derive_cohort(cohort, DeriveParams())
    scoped = PATIENT_SCOPED_PARAMS["mrd_relapse_is_event"](cohort)
    assert scoped == set(chosen)
    for change in ({"efs_nonresponder": "day0"}, {"efs_nonresponder": "failure_date"},
                   {"mrd_relapse_is_event": False}):
        p = DeriveParams().with_(**change)
        part, full = rederive(cohort, base, p, patients=some), derive_cohort(cohort, p)
        expect = set(some) | (scoped if "mrd_relapse_is_event" in change else set())
        for name in ("adsl", "adtte", "excluded"):
            got, want = getattr(part, name), getattr(full, name)
            want = want[want["patient_id"].isin(expect)]
            assert set(got["patient_id"]) == set(want["patient_id"]), (change, name)
            # a column blank for every listed patient is None here where the full frame has NaN: blanks alike
            same = [x.reset_index(drop=True).astype(object) for x in (got, want)]
            pd.testing.assert_frame_equal(*[x.where(x.notna(), None) for x in same], check_dtype=False)


def test_rederive_of_one_endpoint_gives_that_endpoints_rows_of_the_full_derivation():
    """``rederive(..., endpoints=("efs_mab1",))`` (what the EFS sensitivity analyses read): adtte holds that
    endpoint only, and its rows are the full derivation's, on both paths (endpoint-only parameter; a
    patient-scoped one, with the patients derived again)."""
    from mabseq.derive.cohort import rederive
    from mabseq.studies.twin import load_twin
    cohort = load_twin()
    ev = cohort.tables["disease_events"]
    first = ev.index[ev["event_type"] == "relapse"][0]
    ev.loc[first, "event_type"] = "mrd_relapse"  # so that mrd_relapse_is_event changes someone
    base = derive_cohort(cohort, DeriveParams())
    bf = base.adsl.loc[base.adsl["seq"] == "BF", "patient_id"].tolist()
    for change in ({"efs_nonresponder": "day0"}, {"mrd_relapse_is_event": False}, {"age_min_years": 18.0}):
        p = DeriveParams().with_(**change)
        part = rederive(cohort, base, p, patients=bf, endpoints=("efs_mab1",))
        full = derive_cohort(cohort, p).adtte
        assert set(part.adtte["endpoint"]) == {"efs_mab1"}, change
        want = full[(full["endpoint"] == "efs_mab1") & full["patient_id"].isin(set(part.adtte["patient_id"]))]
        assert set(part.adtte["patient_id"]) >= set(bf) & set(full.loc[full["endpoint"] == "efs_mab1", "patient_id"])
        # an entry blank for every row is None here where the full frame, with other endpoints, has NaN
        same = [x.reset_index(drop=True).astype(object) for x in (part.adtte, want)]
        pd.testing.assert_frame_equal(*[x.where(x.notna(), None) for x in same])
