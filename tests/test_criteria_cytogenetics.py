"""Adult ALL cytogenetic risk (clinical-criteria spec section 7): UKALLXII/ECOG2993 (Moorman 2007), NCCN-current."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from mabseq.criteria.cytogenetics import (
    KMT2A_SCOPE_DEFAULT, NCCN_CURRENT, UKALL, count_abnormalities, count_distinct_abnormalities, cytogenetic_risk,
    ploidy_group_from_modal,
)

MOLECULAR_NEG = dict(tp53_mutation=False, igh_r=False, hlf_r=False, znf384_r=False, mef2d_r=False, ph_like=False,
                     pax5_alteration=False, iamp21=False, ikzf1_alteration=False, myc_r=False)


def uk(**kw):
    return cytogenetic_risk(UKALL, **{"karyotype_available": True, **kw})


def nccn(**kw):
    return cytogenetic_risk(NCCN_CURRENT, **{"karyotype_available": True, **MOLECULAR_NEG, **kw})


# ---- ploidy ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("modal,group", [
    (23, "other"), (24, "near_haploid"), (29, "near_haploid"), (30, "low_hypodiploid"), (39, "low_hypodiploid"),
    (40, "other"), (44, "other"), (46, "other"), (50, "other"), (51, "high_hyperdiploid"), (59, "high_hyperdiploid"),
    (60, "ambiguous"), (62, "ambiguous"), (65, "ambiguous"), (66, "near_triploid"), (78, "near_triploid"),
    (79, "other"), (None, None),
])
def test_ploidy_group_from_modal(modal, group):
    assert ploidy_group_from_modal(modal) == group


# modal number table: (modal, UKALL with 2 abnormalities, UKALL with 8 abnormalities, NCCN with 2 abnormalities)
MODAL_TABLE = [
    (29, "standard", "high", "high"),  # near-haploid: no Moorman group, so counted; NCCN hypodiploid < 44
    (30, "high", "high", "high"),
    (39, "high", "high", "high"),
    (43, "standard", "high", "high"),
    (44, "standard", "high", "standard"),
    (46, "standard", "high", "standard"),
    (50, "standard", "high", "standard"),
    (51, "standard", "standard", "standard"),  # HeH: never complex
    (59, "standard", "standard", "standard"),
    (60, "ambiguous", "ambiguous", "ambiguous"),
    (65, "ambiguous", "ambiguous", "ambiguous"),
    (66, "high", "high", "high"),
    (78, "high", "high", "high"),
    (79, "standard", "high", "standard"),
]


@pytest.mark.parametrize("modal,uk2,uk8,nccn2", MODAL_TABLE)
def test_modal_number_table(modal, uk2, uk8, nccn2):
    assert uk(modal_number=modal, n_abnormalities=2).value == uk2
    assert uk(modal_number=modal, n_abnormalities=8).value == uk8
    assert nccn(modal_number=modal, n_abnormalities=2).value == nccn2


def test_heh_with_8_gains_is_standard_not_complex():  # spec 10 vector
    r = uk(modal_number=54, n_abnormalities=8)
    assert r.value == "standard"
    assert "high hyperdiploidy: not counted as complex" in r.criteria_met
    assert nccn(modal_number=54, n_abnormalities=8).value == "standard"


def test_modal_62_without_group_is_ambiguous():  # spec 10 vector
    r = uk(modal_number=62, n_abnormalities=3)
    assert r.value == "ambiguous"
    assert any("ploidy_group needed" in f for f in r.flags)


@pytest.mark.parametrize("modal,group,expected", [
    (62, "high_hyperdiploid", "standard"), (62, "near_triploid", "high"), (None, "low_hypodiploid", "high"),
    (None, "high_hyperdiploid", "standard"), (60, "near_triploid", "high"), (65, "high_hyperdiploid", "standard"),
])
def test_cytogeneticist_ploidy_group_settles_it(modal, group, expected):
    assert uk(modal_number=modal, ploidy_group=group, n_abnormalities=9).value == expected


def test_ploidy_group_disagreeing_with_modal_is_flagged():
    r = uk(modal_number=45, ploidy_group="high_hyperdiploid", n_abnormalities=9)
    assert r.value == "standard" and "ploidy_group_disagrees_with_modal_number" in r.flags


def test_near_haploid_flag_and_nccn_near_triploid_option():
    assert any(f.startswith("other_hypodiploid") for f in uk(modal_number=27, n_abnormalities=2).flags)
    assert nccn(modal_number=70, n_abnormalities=2, nccn_near_triploid_high=False).value == "standard"
    assert nccn(modal_number=62, n_abnormalities=2, nccn_near_triploid_high=False).value == "standard"


# ---- translocations, complex ------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw,ukall,nccn_value", [
    (dict(ph_positive=True), "high", "standard"),  # Moorman HR; NCCN-current standard without modifiers
    (dict(ph_positive=True, ikzf1_plus=True), "high", "high"),
    (dict(ph_positive=True, antecedent_cml=True), "high", "high"),
    (dict(t_4_11=True), "high", "high"),
    (dict(kmt2a_rearranged=True, kmt2a_partner="AFF1"), "high", "high"),
    (dict(kmt2a_rearranged=True, kmt2a_partner="MLLT1"), "standard", "high"),  # t(11;19): strict Moorman scope
    (dict(t_8_14=True), "high", "high"),
    (dict(n_abnormalities=5), "high", "high"),
    (dict(n_abnormalities=4), "standard", "standard"),
    (dict(n_abnormalities=0), "standard", "standard"),
])
def test_translocations_and_complex(kw, ukall, nccn_value):
    base = dict(modal_number=46, n_abnormalities=1)
    extra = {k: v for k, v in kw.items() if k not in ("ikzf1_plus", "antecedent_cml")}
    assert uk(**{**base, **extra}).value == ukall
    nk = {"ikzf1_plus": False, "antecedent_cml": False, **base, **kw}
    assert nccn(**nk).value == nccn_value


def test_hr_translocation_beats_hyperdiploidy():
    assert uk(modal_number=55, n_abnormalities=10, ph_positive=True).value == "high"


@pytest.mark.parametrize("scope,partner,expected", [
    ("t4_11_only", "AFF1", "high"), ("t4_11_only", "MLLT1", "standard"), ("t4_11_only", None, None),
    ("any_KMT2A_r", "AFF1", "high"), ("any_KMT2A_r", "MLLT1", "high"), ("any_KMT2A_r", None, "high"),
])
def test_kmt2a_scope(scope, partner, expected):
    r = uk(modal_number=46, n_abnormalities=1, kmt2a_rearranged=True, kmt2a_partner=partner, kmt2a_scope=scope)
    assert r.value == expected
    if expected is None:
        assert r.missing_inputs == ("kmt2a_partner",)
    if scope == "t4_11_only" and partner == "MLLT1":
        assert any("not counted" in f for f in r.flags)


def test_kmt2a_scope_default_is_strict_moorman():
    assert KMT2A_SCOPE_DEFAULT == "t4_11_only"
    assert uk(modal_number=46, n_abnormalities=1, kmt2a_rearranged=True, kmt2a_partner="MLLT3").value == "standard"


def test_complex_threshold_parameter():
    assert uk(modal_number=46, n_abnormalities=4, complex_min=4).value == "high"
    assert uk(modal_number=46, n_abnormalities=4).value == "standard"


# ---- failed karyotype, missing -----------------------------------------------------------------------------------
@pytest.mark.parametrize("kw,expected", [
    (dict(karyotype_available=False), "unknown"),
    (dict(karyotype_available=False, ph_positive=False), "unknown"),  # Ph-negative FISH does not make it standard
    (dict(karyotype_available=False, ph_positive=True), "high"),  # Ph by FISH/RT-PCR overrides a failed karyotype
    (dict(karyotype_available=False, t_4_11=True), "high"),
    (dict(karyotype_available=False, kmt2a_rearranged=True, kmt2a_scope="any_KMT2A_r"), "high"),
    (dict(karyotype_available=None), "unknown"),
])
def test_failed_karyotype(kw, expected):
    r = cytogenetic_risk(UKALL, **kw)
    assert r.value == expected
    if expected == "unknown":
        assert r.missing_inputs == ("karyotype",)


def test_failed_karyotype_nccn():
    assert cytogenetic_risk(NCCN_CURRENT, karyotype_available=False, **MOLECULAR_NEG).value == "unknown"
    assert cytogenetic_risk(NCCN_CURRENT, karyotype_available=False, tp53_mutation=True).value == "high"


@given(st.sampled_from([None, False, True]), st.sampled_from([None, False, True]), st.sampled_from([None, False, True]),
       st.sampled_from(["t4_11_only", "any_KMT2A_r"]), st.sampled_from([UKALL, NCCN_CURRENT]))
def test_failed_karyotype_is_never_standard(ph, kmt2a, t814, scope, ruleset):
    r = cytogenetic_risk(ruleset, karyotype_available=False, ph_positive=ph, kmt2a_rearranged=kmt2a, t_8_14=t814,
                         kmt2a_scope=scope, **MOLECULAR_NEG)
    assert r.value in ("high", "unknown")


@pytest.mark.parametrize("kw,missing", [
    (dict(n_abnormalities=2), "modal_number"),
    (dict(modal_number=46), "n_abnormalities"),
])
def test_successful_karyotype_with_missing_record(kw, missing):
    r = uk(**kw)
    assert r.value is None and missing in r.missing_inputs


def test_missing_count_does_not_matter_for_ploidy_groups():
    assert uk(modal_number=55).value == "standard"
    assert uk(modal_number=35).value == "high"


def test_translocations_inferred_absent_from_a_successful_karyotype_and_flagged():
    r = uk(modal_number=46, n_abnormalities=0)
    assert r.value == "standard"
    assert any(f.startswith("inferred_absent_from_karyotype") for f in r.flags)


def test_derivation_call_signature():
    """The keyword set mabseq.derive.rules passes."""
    r = cytogenetic_risk(ph_positive=None, kmt2a_rearranged=None, kmt2a_partner=None, t_8_14=None, modal_number=46,
                         n_abnormalities=0, karyotype_available=True)
    assert r.value == "standard" and r.ruleset == UKALL
    r = cytogenetic_risk(ph_positive=True, kmt2a_rearranged=None, kmt2a_partner=None, t_8_14=None, modal_number=None,
                         n_abnormalities=None, karyotype_available=False)
    assert r.value == "high"


# ---- NCCN-current -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("lesion", ["tp53_mutation", "igh_r", "hlf_r", "znf384_r", "mef2d_r", "myc_r", "ph_like",
                                    "pax5_alteration", "iamp21", "ikzf1_alteration"])
def test_nccn_each_poor_risk_lesion(lesion):
    assert nccn(modal_number=46, n_abnormalities=1, **{lesion: True}).value == "high"
    # Moorman 2007 does not count them (MYC only as t(8;14))
    assert uk(modal_number=46, n_abnormalities=1, **{lesion: True}).value == "standard"


def test_nccn_untested_molecular_is_missing_not_negative():
    r = cytogenetic_risk(NCCN_CURRENT, karyotype_available=True, modal_number=46, n_abnormalities=1)
    assert r.value is None and {"tp53_mutation", "ph_like", "ikzf1_alteration"} <= set(r.missing_inputs)
    r = cytogenetic_risk(NCCN_CURRENT, karyotype_available=True, modal_number=46, n_abnormalities=1,
                         assume_untested_absent=True)
    assert r.value == "standard" and any(f.startswith("untested_assumed_absent") for f in r.flags)
    r = nccn(modal_number=46, n_abnormalities=1, ph_positive=True)
    assert r.value is None and {"ikzf1_plus", "antecedent_cml"} <= set(r.missing_inputs)


# ---- counting ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw,expected", [
    (dict(numerical_gains=3, numerical_losses=1, structural=1), 5),
    (dict(structural=2, markers=2), 4),
    (dict(), 0),
])
def test_count_abnormalities(kw, expected):
    assert count_abnormalities(**kw) == expected


@pytest.mark.parametrize("kw", [dict(numerical_gains=-1), dict(structural=1.5), dict(markers=True)])
def test_count_abnormalities_invalid(kw):
    with pytest.raises(ValueError):
        count_abnormalities(**kw)


def test_count_distinct_abnormalities_over_related_subclones():
    clones = [["+4", "+10", "t(9;22)(q34;q11)"], ["+4", "+10", "t(9;22)(q34;q11)", "+der(22)t(9;22)"]]
    assert count_distinct_abnormalities(clones) == 4
    assert count_distinct_abnormalities([[" -7 ", "-7"], []]) == 1
    with pytest.raises(TypeError):
        count_distinct_abnormalities(["+4"])


# ---- rule sets, explain -----------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw", [dict(ruleset="Moorman"), dict(kmt2a_scope="all"), dict(ploidy_group="triploid")])
def test_invalid(kw):
    ruleset = kw.pop("ruleset", UKALL)
    with pytest.raises(ValueError):
        cytogenetic_risk(ruleset, modal_number=46, **kw)


def test_explain():
    text = uk(modal_number=46, n_abnormalities=6).explain()
    assert text.startswith("cytogenetic_risk [UKALLXII/ECOG2993 Moorman 2007")
    assert "complex karyotype: 6 >= 5 abnormalities" in text and text.endswith("result: high")
    text = cytogenetic_risk(UKALL, karyotype_available=False).explain()
    assert "karyotype failed or not done" in text and text.endswith("result: unknown")
    assert "Ph+ without IKZF1-plus" in nccn(modal_number=46, n_abnormalities=1, ph_positive=True, ikzf1_plus=False,
                                            antecedent_cml=False).explain()
