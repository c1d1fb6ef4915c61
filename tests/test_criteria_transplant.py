"""Transplant definitions (clinical-criteria spec section 8): every rule, boundaries on both sides."""
from __future__ import annotations

import pytest

from mabseq.criteria.transplant import (
    conditioning_intensity,
    gvhd_prophylaxis_category,
    hla_10_category,
    hla_match_category,
    neutrophil_engraftment_day,
)


@pytest.mark.parametrize("kwargs,expected", [
    # TBI single fraction 500 is MAC, 499 is not; fractionated needs 800
    (dict(agents=["cyclophosphamide"], tbi_cgy=500, tbi_fractionated=False), "MAC"),
    (dict(agents=["fludarabine", "melphalan"], tbi_cgy=499, tbi_fractionated=False, melphalan_mg_m2=100), "RIC"),
    (dict(agents=["thiotepa", "cyclophosphamide"], tbi_cgy=799, tbi_fractionated=True, thiotepa_mg_kg=5), "RIC"),
    (dict(agents=["thiotepa", "cyclophosphamide"], tbi_cgy=800, tbi_fractionated=True, thiotepa_mg_kg=5), "MAC"),
    (dict(agents=["cyclophosphamide"], tbi_cgy=1200, tbi_fractionated=True), "MAC"),
    # busulfan: > 8 mg/kg PO, i.e. > 6.4 IV
    (dict(agents=["clofarabine", "busulfan"], busulfan_mg_kg=8.0, busulfan_route="po"), "RIC"),
    (dict(agents=["clofarabine", "busulfan"], busulfan_mg_kg=8.01, busulfan_route="po"), "MAC"),
    (dict(agents=["clofarabine", "busulfan"], busulfan_mg_kg=6.4, busulfan_route="iv"), "RIC"),
    (dict(agents=["clofarabine", "busulfan"], busulfan_mg_kg=12.8, busulfan_route="iv"), "MAC"),
    # melphalan > 140; thiotepa >= 10
    (dict(agents=["fludarabine", "melphalan"], melphalan_mg_m2=140), "RIC"),
    (dict(agents=["fludarabine", "melphalan"], melphalan_mg_m2=141), "MAC"),
    (dict(agents=["clofarabine", "melphalan", "thiotepa"], melphalan_mg_m2=100, thiotepa_mg_kg=10), "MAC"),
    (dict(agents=["clofarabine", "melphalan", "thiotepa"], melphalan_mg_m2=100, thiotepa_mg_kg=9.9), "RIC"),
    # NMA: TBI <= 200 with fludarabine; whitelisted Flu/Cy
    (dict(agents=["fludarabine"], tbi_cgy=200), "NMA"),
    (dict(agents=["fludarabine", "cyclophosphamide"]), "NMA"),
    (dict(agents=["fludarabine", "cyclophosphamide", "atg"]), "NMA"),
    (dict(agents=["cladribine", "cytarabine"]), "NMA"),
    # Flu/Cy/TBI-200 (the paper's RIC/NMA row) is NMA; TBI 201 with Flu/Cy is not
    (dict(agents=["fludarabine", "cyclophosphamide"], tbi_cgy=200), "NMA"),
    (dict(agents=["fludarabine", "cyclophosphamide"], tbi_cgy=201), "RIC"),
    (dict(agents=["fludarabine", "melphalan"], tbi_cgy=200, melphalan_mg_m2=100), "RIC"),
])
def test_conditioning_intensity(kwargs, expected):
    r = conditioning_intensity(**kwargs)
    assert r.value == expected, r.explain()


def test_center_report_wins_and_is_flagged_when_different():
    r = conditioning_intensity(center_reported="mac", agents=["fludarabine", "melphalan"], melphalan_mg_m2=100)
    assert r.value == "MAC" and r.inputs["derived"] == "RIC" and "center_differs_from_derived" in r.flags
    assert conditioning_intensity().value is None
    assert conditioning_intensity().missing_inputs == ("agents or doses",)
    with pytest.raises(ValueError, match="center_reported"):
        conditioning_intensity(center_reported="full")


def test_busulfan_threshold_is_a_parameter():
    assert conditioning_intensity(agents=["busulfan"], busulfan_mg_kg=8.5, busulfan_route="po").value == "MAC"
    assert conditioning_intensity(agents=["busulfan"], busulfan_mg_kg=8.5, busulfan_route="po",
                                  bu_mac_po_gt=9).value == "RIC"


@pytest.mark.parametrize("kwargs,expected", [
    (dict(donor_relation="cord", cord_match_6=4), "UCB"),
    (dict(donor_relation="sibling", matched_10=10, matched_8=8), "MSD"),
    (dict(donor_relation="sibling", matched_8=8, dqb1_typed=False), "MSD"),
    (dict(donor_relation="sibling", matched_10=9, matched_8=7), "mismatched_related"),
    (dict(donor_relation="other_related", matched_10=5, matched_8=4), "haploidentical"),
    (dict(donor_relation="other_related", matched_8=6), "haploidentical"),
    (dict(donor_relation="unrelated", matched_10=10, matched_8=8), "MUD_10_10"),
    (dict(donor_relation="unrelated", matched_10=9, matched_8=8), "MMUD_9_10"),
    (dict(donor_relation="unrelated", matched_10=8, matched_8=7), "MMUD_le_8_10"),
])
def test_hla_categories(kwargs, expected):
    assert hla_match_category(**kwargs).value == expected


def test_hla_untyped_dqb1_gives_the_8_of_8_view_only():
    r = hla_match_category(donor_relation="unrelated", matched_8=7, dqb1_typed=False)
    assert r.value is None and r.inputs["category_8"] == "7/8" and r.missing_inputs == ("matched_10",)
    assert "low_resolution" in hla_match_category(donor_relation="unrelated", matched_10=10,
                                                  low_resolution=True).flags


@pytest.mark.parametrize("matched,typed,expected", [(10, 10, "10/10"), (9, 10, "9/10"), (8, 10, "<=8/10"),
                                                     (5, 10, "<=8/10"), (4, 6, "<=8/10"), (None, 10, None)])
def test_paper_histocompatibility_rows(matched, typed, expected):
    assert hla_10_category(matched, typed) == expected


@pytest.mark.parametrize("agents,tcd,expected,flags", [
    (["ptcy", "tacrolimus", "mmf"], None, "PTCy_based", ()),
    (["cd34_selection", "atg"], None, "ex_vivo_TCD_or_CD34_selection", ("in_vivo_tcd",)),
    ([], True, "ex_vivo_TCD_or_CD34_selection", ()),
    (["tacrolimus", "methotrexate"], None, "CNI_MTX", ()),
    (["cyclosporine", "mmf"], None, "CNI_MMF", ()),
    (["tacrolimus", "sirolimus"], None, "CNI_sirolimus", ()),
    (["tacrolimus"], None, "CNI_alone", ()),
    (["abatacept", "methotrexate"], None, "other", ("abatacept",)),
    (["tacrolimus", "methotrexate", "ptcy"], None, "PTCy_based", ()),  # hierarchy: PTCy first
])
def test_prophylaxis_hierarchy(agents, tcd, expected, flags):
    r = gvhd_prophylaxis_category(agents, ex_vivo_tcd=tcd)
    assert r.value == expected and r.flags == flags


def test_prophylaxis_missing():
    assert gvhd_prophylaxis_category([]).value is None
    # no agent recorded: unknown even when ex vivo T-cell depletion is known to be "no" (review: was "other")
    assert gvhd_prophylaxis_category([], ex_vivo_tcd=False).value is None
    assert gvhd_prophylaxis_category([], ex_vivo_tcd=True).value == "ex_vivo_TCD_or_CD34_selection"


def test_engraftment_spec_vector():
    # ANC >= 0.5 on days 14, 15, then 0.4 on 16, then >= 0.5 on 17-19 -> day 17
    r = neutrophil_engraftment_day([14, 15, 16, 17, 18, 19], [0.6, 0.7, 0.4, 0.5, 0.9, 1.2])
    assert r.value == 17 and "day 17" in r.explain()


def test_engraftment_gaps_nadir_and_death():
    days, anc = [10, 11, 13, 14], [0.6, 0.6, 0.6, 0.6]
    assert neutrophil_engraftment_day(days, anc).value is None  # day 12 missing breaks the run
    assert neutrophil_engraftment_day(days, anc, allow_gaps=True).value == 10
    assert neutrophil_engraftment_day([1, 2, 3, 20, 21, 22], [2.0, 1.5, 1.0, 0.5, 0.6, 0.7], nadir_day=10).value == 20
    dead = neutrophil_engraftment_day([5, 6], [0.1, 0.2], death_day=9)
    assert dead.value is None and "died before engraftment" in dead.criteria_met
