"""ALL response, MRD, CNS status, relapse (clinical-criteria spec section 5; study-definition 2.3-2.4)."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from mabseq.criteria.response import (
    NCCN, PAPER, RELAPSE_SITES, TOWER, cns_status, cr_mrd_negative, hematologic_response, mab_refractory,
    mrd_negative, mrd_status, progressive_disease, relapse_type, relapsed, response_any,
)

CLEAR = dict(pb_blasts=False, emd_present=False)


def resp(blasts, anc=None, plt=None, ruleset=PAPER, **kw):
    return hematologic_response(blasts, anc_e9_l=anc, plt_e9_l=plt, ruleset=ruleset, **{**CLEAR, **kw})


# ---- 5.2 hematologic response -----------------------------------------------------------------------------------
@pytest.mark.parametrize("ruleset,blasts,anc,plt,kw,expected", [
    # paper-2022: < 5%, no circulating blasts, no EMD; counts do not matter (CR, CRh, CRi pooled)
    (PAPER, 4.9, 2.0, 200, {}, "CR"),
    (PAPER, 5.0, 2.0, 200, {}, "no_response"),
    (PAPER, 0.0, 0.1, 10, {}, "CR"),
    (PAPER, 4.9, None, None, {}, "CR"),
    (PAPER, 2.0, 2.0, 200, dict(pb_blasts=True), "no_response"),
    (PAPER, 2.0, 2.0, 200, dict(emd_present=True), "no_response"),
    (PAPER, 2.0, 2.0, 200, dict(cns_status="CNS3"), "no_response"),
    (PAPER, 2.0, 2.0, 200, dict(cns_status="cns2"), "no_response"),
    (PAPER, 2.0, 2.0, 200, dict(cns_status="CNS1"), "CR"),
    # NCCN/INO-VATE: BM < 5%; CR needs ANC >= 1.0 and PLT >= 100 by default
    (NCCN, 4.99, 1.0, 100, {}, "CR"),
    (NCCN, 4.99, 1.0, 100, dict(strict_gt=True), "CRi"),  # NCCN's "> 1000/uL and > 100,000/uL"
    (NCCN, 4.99, 1.01, 101, dict(strict_gt=True), "CR"),
    (NCCN, 4.99, 0.99, 100, {}, "CRi"),
    (NCCN, 4.99, 1.0, 99, {}, "CRi"),
    (NCCN, 4.99, 0.1, 5, {}, "CRi"),
    (NCCN, 5.0, 2.0, 200, {}, "other"),
    (NCCN, 3.0, None, 50, {}, "CRi"),  # PLT fails: CR impossible whatever the ANC
    (NCCN, 3.0, 2.0, 200, dict(pb_blasts=True), "other"),
    (NCCN, 3.0, 2.0, 200, dict(emd_present=True), "other"),
    # Blinatumomab/TOWER: BM <= 5%; CR ANC > 1.0 and PLT > 100; CRh ANC > 0.5 and PLT > 50; CRi PLT > 100 or
    # ANC > 1.0; BFHBM the remaining blast-free marrows
    (TOWER, 5.0, 1.01, 101, {}, "CR"),
    (TOWER, 5.01, 1.01, 101, {}, "other"),
    (TOWER, 3.0, 1.0, 100, {}, "CRh"),  # exactly 1.0/100 is not CR under ">"
    (TOWER, 3.0, 1.0, 100, dict(strict_gt=False), "CR"),
    (TOWER, 3.0, 1.01, 100, {}, "CRh"),
    (TOWER, 3.0, 0.51, 51, {}, "CRh"),
    (TOWER, 3.0, 0.5, 51, {}, "BFHBM"),
    (TOWER, 3.0, 0.51, 50, {}, "BFHBM"),
    (TOWER, 3.0, 0.5, 50, {}, "BFHBM"),
    (TOWER, 3.0, 0.5, 50, dict(strict_gt=False), "CRh"),
    (TOWER, 3.0, 0.3, 101, {}, "CRi"),  # PLT > 100, ANC <= 0.5
    (TOWER, 3.0, 0.3, 100, {}, "BFHBM"),
    (TOWER, 3.0, 1.5, 40, {}, "CRi"),  # ANC > 1.0, PLT <= 50
    (TOWER, 3.0, 1.0, 40, {}, "BFHBM"),
    (TOWER, 3.0, 0.3, 80, {}, "BFHBM"),
    (TOWER, 3.0, 0.4, 30, {}, "BFHBM"),
    (TOWER, 3.0, 2.0, 200, dict(pb_blasts=True), "other"),
])
def test_response_table(ruleset, blasts, anc, plt, kw, expected):
    r = resp(blasts, anc, plt, ruleset=ruleset, **kw)
    assert r.value == expected
    assert r.ruleset == ruleset and r.rule == "hematologic_response"
    assert response_any(r) is (expected in ("CR", "CRh", "CRi"))


@pytest.mark.parametrize("blasts,anc,plt,paper,nccn,tower", [
    # exactly 5% blasts: < 5 under the paper and NCCN, <= 5 under TOWER
    (5.0, 2.0, 200, "no_response", "other", "CR"),
    (4.9, 0.8, 60, "CR", "CRi", "CRh"),
    (3.0, 1.0, 100, "CR", "CR", "CRh"),
    (3.0, 0.3, 30, "CR", "CRi", "BFHBM"),
    (3.0, 0.3, 150, "CR", "CRi", "CRi"),
    (6.0, 2.0, 200, "no_response", "other", "other"),
])
def test_rule_sets_differ(blasts, anc, plt, paper, nccn, tower):
    assert [resp(blasts, anc, plt, ruleset=rs).value for rs in (PAPER, NCCN, TOWER)] == [paper, nccn, tower]


def test_blast_cutoff_parameters():
    assert resp(5.0, 2, 200, ruleset=NCCN, blast_cutoff_inclusive=True).value == "CR"
    assert resp(5.0, 2, 200, ruleset=TOWER, blast_cutoff_inclusive=False).value == "other"
    assert resp(7.0, 2, 200, ruleset=PAPER, blast_cutoff_pct=10).value == "CR"


@pytest.mark.parametrize("durable,expected_paper,expected_nccn", [
    (True, "CR", "CR"), (False, "no_response", "other"), (None, None, None)])
def test_require_durable_4wk(durable, expected_paper, expected_nccn):
    assert resp(2.0, 2, 200, ruleset=NCCN).value == "CR"  # default: not required
    r = resp(2.0, 2, 200, ruleset=NCCN, require_durable_4wk=True, durable_4wk=durable)
    assert r.value == expected_nccn
    assert resp(2.0, 2, 200, ruleset=PAPER, require_durable_4wk=True, durable_4wk=durable).value == expected_paper
    if durable is None:
        assert "durable_4wk" in r.missing_inputs


@pytest.mark.parametrize("ruleset,kw,missing", [
    (PAPER, dict(pb_blasts=None), {"pb_blasts"}),
    (PAPER, dict(emd_present=None), {"emd_present"}),
    (NCCN, dict(pb_blasts=None, emd_present=None), {"pb_blasts", "emd_present"}),
    (TOWER, dict(anc_e9_l=None), {"anc_e9_l"}),
])
def test_response_missing_is_not_normal(ruleset, kw, missing):
    base = dict(anc_e9_l=2.0, plt_e9_l=200)
    r = hematologic_response(2.0, ruleset=ruleset, **{**CLEAR, **base, **kw})
    assert r.value is None
    assert missing <= set(r.missing_inputs)
    assert hematologic_response(None, ruleset=ruleset, **{**CLEAR, **base}).missing_inputs == ("bm_blast_pct",)


def test_response_missing_that_cannot_change_the_answer():
    # blasts above the cut-off: no response whatever the circulating blasts or EMD
    assert hematologic_response(30.0, ruleset=PAPER).value == "no_response"
    assert hematologic_response(30.0, ruleset=TOWER).value == "other"
    assert resp(2.0, ruleset=NCCN, emd_present=None, cns_status="CNS3").value == "other"


def test_nccn_counts_missing_still_a_response():
    r = resp(2.0, None, None, ruleset=NCCN)
    assert r.value is None and set(r.missing_inputs) == {"anc_e9_l", "plt_e9_l"}
    assert response_any(r) is True  # CR or CRi either way
    r = resp(2.0, None, None, ruleset=TOWER)
    assert r.value is None and response_any(r) is None  # could be BFHBM


def test_assume_normal_flag_and_flow_fallback():
    r = hematologic_response(2.0, ruleset=PAPER, assume_normal_if_missing=True)
    assert r.value == "CR" and any(f.startswith("missing_assumed_normal") for f in r.flags)
    r = resp(2.0, ruleset=PAPER, bm_blast_source="flow")
    assert r.value == "CR" and "bm_blast_pct_from_flow" in r.flags
    assert "cns_status_not_assessed" in r.flags
    assert "cns_status_not_assessed" not in resp(2.0, ruleset=PAPER, cns_status="CNS1").flags


@pytest.mark.parametrize("kw", [dict(ruleset="NCCN"), dict(ruleset="CIBMTR"), dict(bm_blast_source="pb")])
def test_response_invalid_ruleset(kw):
    with pytest.raises(ValueError):
        hematologic_response(2.0, **kw)


@pytest.mark.parametrize("bad", [dict(blasts=-1), dict(blasts=101), dict(anc=-0.1), dict(cns_status="CNS4")])
def test_response_invalid_inputs(bad):
    with pytest.raises(ValueError):
        resp(bad.get("blasts", 2.0), bad.get("anc", 1.0), 100, cns_status=bad.get("cns_status"))


def test_response_explain():
    text = resp(4.9, 0.8, 60, ruleset=TOWER).explain()
    assert text.startswith("hematologic_response [Blinatumomab/TOWER")
    assert "marrow blasts 4.9% <= 5%" in text and text.endswith("result: CRh")
    text = resp(5.0, ruleset=PAPER).explain()
    assert "marrow blasts 5% not < 5%" in text and text.endswith("result: no_response")
    assert "strict_gt=True" in resp(3, 2, 200, ruleset=NCCN, strict_gt=True).ruleset_version


# ---- 5.3 MRD -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value,lod,method,threshold,expected", [
    (0.0, 1e-4, "flow", 1e-4, "MRD_neg"),
    (0.0, 1e-5, "flow", 1e-4, "MRD_neg"),
    (0.0, 1.1e-4, "flow", 1e-4, "MRD_neg_insufficient_sensitivity"),
    (0.0, 1e-3, "flow", 1e-4, "MRD_neg_insufficient_sensitivity"),
    (1e-4, 1e-4, "flow", 1e-4, "MRD_pos"),  # exactly 1e-4 is positive
    (1e-4, None, "flow", 1e-4, "MRD_pos"),
    (9.9e-5, 1e-5, "ngs", 1e-4, "MRD_pos_below_1e-4"),
    (9.9e-5, None, "ngs", 1e-4, "MRD_pos_below_1e-4"),  # detection at that level proves the sensitivity
    (2e-3, 1e-3, "flow", 1e-4, "MRD_pos"),
    # NGS threshold 1e-5
    (5e-5, 1e-6, "ngs", 1e-5, "MRD_pos"),
    (5e-6, 1e-6, "ngs", 1e-5, "MRD_pos_below_1e-5"),
    (0.0, 1e-5, "ngs", 1e-5, "MRD_neg"),
    (0.0, 1e-4, "ngs", 1e-5, "MRD_neg_insufficient_sensitivity"),
    # MRD-positive blinatumomab eligibility threshold 1e-3
    (1e-3, 1e-4, "flow", 1e-3, "MRD_pos"),
    (5e-4, 1e-4, "flow", 1e-3, "MRD_pos_below_1e-3"),
    (0.0, 1e-3, "flow", 1e-3, "MRD_neg"),
])
def test_mrd_status(value, lod, method, threshold, expected):
    r = mrd_status(value, lod, method, threshold)
    assert r.value == expected
    assert mrd_negative(r) is (expected == "MRD_neg" or expected.startswith("MRD_pos_below"))


def test_mrd_flags_and_missing():
    r = mrd_status(5e-5, 1e-5, "ngs")
    assert "counts_negative_at_threshold" in r.flags
    r = mrd_status(0.0, None)
    assert r.value is None and r.missing_inputs == ("mrd_lod",)
    r = mrd_status(None, 1e-4)
    assert r.value is None and r.missing_inputs == ("mrd_value",) and mrd_negative(r) is None
    r = mrd_status(5e-5, 1e-3, "flow")
    assert r.value == "MRD_neg_insufficient_sensitivity" and "value_below_lod" in r.flags
    assert mrd_status(3e-5, 1e-4, "flow", detected=False).value == "MRD_neg"
    assert "method_unknown" in mrd_status(0.0, 1e-4, None).flags


@pytest.mark.parametrize("args", [(0.5 * 100, 1e-4), (-1e-5, 1e-4), (0.0, 0.0), (0.0, 1e-4, "elisa")])
def test_mrd_invalid(args):
    with pytest.raises(ValueError):
        mrd_status(*args)


def test_mrd_explain():
    text = mrd_status(1e-4, 1e-4, "flow").explain()
    assert "[NCCN/INO-VATE MRD < 1e-4, LOD <= 1e-4]" in text and "1e-4" in text and text.endswith("result: MRD_pos")


@pytest.mark.parametrize("response_value,mrd,expected", [
    ("CR", (0.0, 1e-4), True), ("CR", (2e-4, 1e-4), False), ("no_response", (0.0, 1e-4), False),
    ("CR", (0.0, 1e-3), False), ("CR", (None, None), None),
])
def test_cr_mrd_negative(response_value, mrd, expected):
    r = resp(2.0, ruleset=PAPER) if response_value == "CR" else resp(20.0, ruleset=PAPER)
    assert r.value == response_value
    out = cr_mrd_negative(r, mrd_status(*mrd))
    assert out.value is expected


# ---- 5.4 CNS status ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw,expected", [
    (dict(csf_blasts=False, csf_wbc_per_ul=50, clinical_signs=False), "CNS1"),  # whatever the WBC
    (dict(csf_blasts=False, csf_wbc_per_ul=0, clinical_signs=False), "CNS1"),
    (dict(csf_blasts=True, csf_wbc_per_ul=4.9, clinical_signs=False), "CNS2"),
    (dict(csf_blasts=True, csf_wbc_per_ul=5, csf_rbc_per_ul=0, clinical_signs=False), "CNS3"),
    (dict(csf_blasts=True, csf_wbc_per_ul=5, csf_rbc_per_ul=9.9, clinical_signs=False), "CNS3"),
    (dict(csf_blasts=False, clinical_signs=True), "CNS3"),
    (dict(clinical_signs=True), "CNS3"),
    # traumatic tap (RBC >= 10): Steinherz/Bleyer; blood WBC 5 x10^9/L, RBC 4 x10^12/L -> 2 x ratio = 0.0025
    (dict(csf_blasts=True, csf_wbc_per_ul=10, csf_rbc_per_ul=1000, blood_wbc_e9_l=5, blood_rbc_e12_l=4,
          clinical_signs=False), "CNS3"),
    (dict(csf_blasts=True, csf_wbc_per_ul=10, csf_rbc_per_ul=10000, blood_wbc_e9_l=5, blood_rbc_e12_l=4,
          clinical_signs=False), "CNS2"),
    (dict(csf_blasts=True, csf_wbc_per_ul=5, csf_rbc_per_ul=2000, blood_wbc_e9_l=5, blood_rbc_e12_l=4,
          clinical_signs=False), "CNS2"),  # exactly 2x is not > 2x
    (dict(csf_blasts=True, csf_wbc_per_ul=5.01, csf_rbc_per_ul=2000, blood_wbc_e9_l=5, blood_rbc_e12_l=4,
          clinical_signs=False), "CNS3"),
    (dict(csf_blasts=True, csf_wbc_per_ul=5, csf_rbc_per_ul=10, blood_wbc_e9_l=5, blood_rbc_e12_l=4,
          clinical_signs=False), "CNS3"),  # RBC exactly 10 is traumatic; ratio 0.5 > 0.0025
    (dict(csf_blasts=True, csf_wbc_per_ul=3, csf_rbc_per_ul=5000, clinical_signs=False), "CNS2"),
])
def test_cns_status(kw, expected):
    r = cns_status(**kw)
    assert r.value == expected and r.ruleset == "COG/NCCN"


@pytest.mark.parametrize("kw,missing", [
    (dict(csf_blasts=None, clinical_signs=False), {"csf_blasts"}),
    (dict(csf_blasts=True, clinical_signs=False), {"csf_wbc_per_ul"}),
    (dict(csf_blasts=True, csf_wbc_per_ul=8, clinical_signs=False), {"csf_rbc_per_ul"}),
    (dict(csf_blasts=True, csf_wbc_per_ul=8, csf_rbc_per_ul=500, clinical_signs=False),
     {"blood_wbc_e9_l", "blood_rbc_e12_l"}),
    (dict(csf_blasts=False), {"clinical_signs"}),
    (dict(csf_blasts=True, csf_wbc_per_ul=2), {"clinical_signs"}),
])
def test_cns_status_missing(kw, missing):
    r = cns_status(**kw)
    assert r.value is None and missing <= set(r.missing_inputs)


def test_cns3_by_csf_needs_no_clinical_signs():
    assert cns_status(csf_blasts=True, csf_wbc_per_ul=20, csf_rbc_per_ul=0).value == "CNS3"
    text = cns_status(csf_blasts=True, csf_wbc_per_ul=10, csf_rbc_per_ul=1000, blood_wbc_e9_l=5,
                      blood_rbc_e12_l=4, clinical_signs=False).explain()
    assert "traumatic tap" in text and text.endswith("result: CNS3")


# ---- 5.4 relapse -------------------------------------------------------------------------------------------------
NONE_ELSE = dict(pb_blasts=False, new_emd=False, cns_status="CNS1", cns_clinical_signs=False,
                 prior_mrd_negative=False)


def rel(**kw):
    return relapse_type(**{**NONE_ELSE, "bm_blast_pct": 1.0, **kw})


@pytest.mark.parametrize("kw,expected", [
    (dict(bm_blast_pct=5.0), "no_relapse"),  # default > 5%
    (dict(bm_blast_pct=5.01), "BM_isolated"),
    (dict(bm_blast_pct=5.0, bm_relapse_inclusive=True), "BM_isolated"),  # >= 5%: the paper's complement of CR
    (dict(bm_blast_pct=4.99, bm_relapse_inclusive=True), "no_relapse"),
    (dict(bm_blast_pct=20.0, bm_relapse_pct=25.0), "no_relapse"),  # BBMT 2010 threshold
    (dict(bm_blast_pct=25.0, bm_relapse_pct=25.0, bm_relapse_inclusive=True), "BM_isolated"),
    (dict(pb_blasts=True), "BM_isolated"),  # unexplained circulating blasts
    (dict(new_emd=True), "EMD_isolated"),
    (dict(cns_status="CNS3"), "CNS_isolated"),
    (dict(cns_status="CNS2"), "no_relapse"),
    (dict(cns_status="CNS2", cns_relapse_statuses=("CNS2", "CNS3")), "CNS_isolated"),
    (dict(cns_clinical_signs=True), "CNS_isolated"),
    (dict(bm_blast_pct=40.0, new_emd=True), "combined"),
    (dict(bm_blast_pct=40.0, cns_status="CNS3"), "combined"),
    (dict(new_emd=True, cns_status="CNS3"), "EMD_isolated"),
    (dict(bm_blast_pct=5.0, new_emd=True), "EMD_isolated"),  # 5% is not a marrow relapse at > 5%
    # MRD-only relapse
    (dict(prior_mrd_negative=True, mrd_value=2e-4, mrd_method="flow", prior_mrd_method="flow",
          mrd_confirm_value=3e-4), "MRD_only"),
    (dict(prior_mrd_negative=True, mrd_value=1e-4, mrd_method="flow", prior_mrd_method="flow",
          mrd_confirm_value=1e-4), "MRD_only"),  # exactly 1e-4
    (dict(prior_mrd_negative=True, mrd_value=9.9e-5, mrd_method="flow", prior_mrd_method="flow",
          mrd_confirm_value=3e-4), "no_relapse"),
    (dict(prior_mrd_negative=True, mrd_value=2e-4, mrd_method="flow", prior_mrd_method="flow",
          mrd_confirm_value=5e-5), "no_relapse"),  # not confirmed
    (dict(prior_mrd_negative=True, mrd_value=2e-4, mrd_method="flow", prior_mrd_method="flow",
          require_confirmation=False), "MRD_only"),
    (dict(prior_mrd_negative=True, mrd_value=2e-4, mrd_method="pcr", prior_mrd_method="flow",
          mrd_confirm_value=3e-4), "no_relapse"),  # different method
    (dict(prior_mrd_negative=False, mrd_value=2e-4, mrd_method="flow", prior_mrd_method="flow",
          mrd_confirm_value=3e-4), "no_relapse"),  # never MRD-negative
    (dict(bm_blast_pct=30.0, prior_mrd_negative=True, mrd_value=0.3, mrd_method="flow", prior_mrd_method="flow",
          mrd_confirm_value=0.3), "BM_isolated"),  # morphologic relapse is not MRD-only
    (dict(prior_mrd_negative=True, mrd_value=2e-4, mrd_method="flow", prior_mrd_method="flow",
          mrd_confirm_value=3e-4, mrd_threshold=1e-3), "no_relapse"),
])
def test_relapse_type(kw, expected):
    r = rel(**kw)
    assert r.value == expected
    assert r.value in RELAPSE_SITES + ("no_relapse",)
    assert relapsed(r) is (expected != "no_relapse")


def test_relapse_site_undetermined_but_relapse_certain():
    r = relapse_type(bm_blast_pct=30.0)
    assert r.value is None and relapsed(r) is True and "relapse_established" in r.flags
    assert set(r.missing_inputs) == {"new_emd", "cns_status", "cns_clinical_signs"}  # not the MRD inputs


def test_relapse_missing_is_not_normal():
    r = relapse_type(bm_blast_pct=2.0, pb_blasts=False, new_emd=False, cns_status="CNS1", cns_clinical_signs=False)
    assert r.value is None and relapsed(r) is None and "prior_mrd_negative" in r.missing_inputs
    r = rel(prior_mrd_negative=True, mrd_value=2e-4, mrd_method="flow", prior_mrd_method="flow")
    assert r.value is None and r.missing_inputs == ("mrd_confirm_value",)
    r = rel(bm_blast_pct=None)
    assert r.value is None and "bm_blast_pct" in r.missing_inputs


def test_relapse_explain_and_event_date():
    r = rel(prior_mrd_negative=True, mrd_value=2e-4, mrd_method="flow", prior_mrd_method="flow",
            mrd_confirm_value=3e-4, mrd_first_positive_date="2019-03-01")
    assert r.inputs["mrd_first_positive_date"] == "2019-03-01"
    text = r.explain()
    assert "event date 2019-03-01" in text and text.endswith("result: MRD_only")
    assert "marrow blasts 5% not > 5%" in rel(bm_blast_pct=5.0).explain()


@given(st.sampled_from([None, 1.0, 30.0]), st.sampled_from([None, False, True]), st.sampled_from([None, False, True]),
       st.sampled_from([None, "CNS1", "CNS3"]), st.sampled_from([None, False, True]))
def test_relapse_determined_only_when_every_completion_agrees(bm, pb, emd, cns, signs):
    kw = dict(bm_blast_pct=bm, pb_blasts=pb, new_emd=emd, cns_status=cns, cns_clinical_signs=signs,
              prior_mrd_negative=False)
    r = relapse_type(**kw)
    outs = {relapse_type(**dict(kw, bm_blast_pct=b, pb_blasts=p, new_emd=e, cns_status=c, cns_clinical_signs=s)).value
            for b in ([bm] if bm is not None else [1.0, 30.0]) for p in ([pb] if pb is not None else [False, True])
            for e in ([emd] if emd is not None else [False, True]) for c in ([cns] if cns else ["CNS1", "CNS3"])
            for s in ([signs] if signs is not None else [False, True])}
    assert None not in outs
    assert (r.value is not None) == (len(outs) == 1)
    if r.value is not None:
        assert outs == {r.value}


# ---- 5.4 progressive disease, refractoriness -------------------------------------------------------------------
@pytest.mark.parametrize("kw,expected", [
    (dict(baseline_bm_blast_pct=20, bm_blast_pct=25), True),  # exactly +25%
    (dict(baseline_bm_blast_pct=20, bm_blast_pct=24.9), False),
    (dict(baseline_pb_blast_abs=2.0, pb_blast_abs=2.5), True),
    (dict(baseline_emd_burden=4.0, emd_burden=4.9), False),
    (dict(new_emd=True), True),
])
def test_progressive_disease(kw, expected):
    base = dict(baseline_bm_blast_pct=20, bm_blast_pct=20, baseline_pb_blast_abs=0.0, pb_blast_abs=0.0,
                baseline_emd_burden=0.0, emd_burden=0.0, new_emd=False)
    assert progressive_disease(**{**base, **kw}).value is expected


def test_progressive_disease_missing_and_rise_from_zero():
    assert progressive_disease(baseline_bm_blast_pct=20, bm_blast_pct=20).value is None
    assert progressive_disease(baseline_bm_blast_pct=20, bm_blast_pct=40).value is True
    r = progressive_disease(baseline_bm_blast_pct=20, bm_blast_pct=20, baseline_pb_blast_abs=0, pb_blast_abs=1.0,
                            baseline_emd_burden=0, emd_burden=0, new_emd=False)
    assert r.value is True and "pb_blast_abs_rise_from_zero" in r.flags


@pytest.mark.parametrize("agent,kw,expected", [
    ("blinatumomab", dict(response_any_in_window=False, cycles_completed=2), "refractory"),
    ("blinatumomab", dict(response_any_in_window=False, cycles_completed=1, days_from_start=84), "refractory"),
    ("blinatumomab", dict(response_any_in_window=False, cycles_completed=1, days_from_start=83), "window_open"),
    ("blinatumomab", dict(response_any_in_window=False, cycles_completed=1, days_from_start=40, discontinued=True),
     "refractory"),
    ("inotuzumab", dict(response_any_in_window=False, cycles_completed=3), "refractory"),
    ("inotuzumab", dict(response_any_in_window=False, cycles_completed=2), "window_open"),
    ("inotuzumab", dict(response_any_in_window=False, cycles_completed=2, ino_cycles=2), "refractory"),
    ("inotuzumab", dict(response_any_in_window=True, cycles_completed=1), "responder"),
    ("blinatumomab", dict(response_any_in_window=None, died_before_first_assessment=True), "early_death"),
    ("blinatumomab", dict(response_any_in_window=None), None),
    ("inotuzumab", dict(response_any_in_window=False), None),
])
def test_mab_refractory(agent, kw, expected):
    assert mab_refractory(agent, **kw).value == expected
