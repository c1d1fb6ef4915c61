"""Derivations on the hand-made example cohort (tests/cohort_corpus/valid): every rule's result checked by hand."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from mabseq.cohort import load_cohort
from mabseq.derive import derive_cohort

D = dt.date


@pytest.fixture(scope="module")
def dc():
    cohort, findings = load_cohort(Path(__file__).parent / "cohort_corpus" / "valid")
    assert not findings.errors
    return derive_cohort(cohort)


def row(dc, pid):
    return dc.adsl.set_index("patient_id").loc[pid]


def test_exclusion_is_counted_with_its_reason(dc):
    assert list(dc.excluded["patient_id"]) == ["P03"]
    assert dc.excluded["reason"].iloc[0] == "not B-ALL"


def test_sequence_and_intervals(dc):
    p1, p2 = row(dc, "P01"), row(dc, "P02")
    assert (p1["seq"], p2["seq"]) == ("BF", "IF")
    assert p1["mab1_start"] == D(2018, 1, 10) and p1["mab2_start"] == D(2018, 3, 1)
    assert p1["days_mab1_mab2"] == 50 and p2["days_mab1_mab2"] == 65


def test_responses_mrd_and_antigen(dc):
    p1, p2 = row(dc, "P01"), row(dc, "P02")
    # P01: marrow 40% at the end of blinatumomab -> no response; inotuzumab CR with MRD 0 at sensitivity 1e-4
    assert p1["resp_mab1"] == "nr" and p1["resp_mab2"] == "cr" and p1["mrd_mab2"] == "neg"
    # CD19 10% positive by flow on the failure date; the pathologist's 'negative' call is used
    assert p1["cd19_event1"] == "negdim" and p1["cd22_event1"] == "pos"
    # P02: inotuzumab CR (blasts 2%, MRD 0); blinatumomab given in MRD-negative CR (consolidation): the remission
    # held through the course (to 14 days after its last day, 2016-04-21); the relapse of 2016-06-01 came after
    assert p2["resp_mab1"] == "cr" and p2["mrd_mab1"] == "neg"
    assert p2["resp_mab2"] == "cr" and p2["event2_date"] == D(2016, 6, 1)


def test_events_transplant_and_toxicity(dc):
    p1 = row(dc, "P01")
    assert p1["days_mab1_event"] == 31 and p1["site_event1"] == "marrow"
    assert p1["interim_lines"] == 0 and not p1["interim"]
    assert p1["tx"] and p1["tx_route"] == "direct_ino" and p1["days_mab2_tx"] == 92
    assert p1["engraft_days"] == 12 and p1["tx_status"] == "cr_mrd_neg"
    assert p1["agvhd_grade"] == 2 and p1["crs_blina"] == 1 and p1["icans_blina"] == 0
    # ALT 130 > ULN 40 on 2018-03-20, inside the inotuzumab window
    assert p1["transaminitis_ino"] and p1["hyperbili_ino"]
    assert p1["dead"] and p1["death_class"] == "progression"


def test_endpoints(dc):
    t = dc.adtte.set_index(["patient_id", "endpoint"])
    assert tuple(t.loc[("P01", "os_mab2"), ["time", "status"]]) == (427, 1)
    assert tuple(t.loc[("P01", "efs_mab1"), ["time", "status"]]) == (31, 1)
    assert t.loc[("P01", "os_relapse1"), "entry"] == 19  # relapse 2018-02-10, mAb2 2018-03-01
    assert tuple(t.loc[("P01", "cir_tx"), ["time", "status"]]) == (228, 1)
    assert tuple(t.loc[("P02", "os_mab2"), ["time", "status"]]) == (1513, 0)


def test_explanations_name_their_inputs(dc):
    why = dict((k, w) for k, _, w in dc.explain("P01"))
    assert "course C2" in why["seq"] and "C3" in why["seq"]
    assert "blasts 1%" in why["resp_mab2"]
    assert "pathologist" in why["cd19_event1"]
