"""Hepatic SOS/VOD, revised EBMT adult criteria (clinical-criteria spec section 3): diagnosis rows and edges (weight
gain exactly 5.0%, bilirubin 2.0, day 21 vs 22), every severity-table cell on both sides, the weight re-assignment,
the cumulative fallback, the risk-factor upgrade, the section-10 vector, missing inputs, and the paper's mapping."""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given, strategies as st

from mabseq.criteria.result import Result
from mabseq.criteria.sos import (
    bilirubin_doubled_within,
    sos_diagnosis,
    sos_diagnosis_date,
    sos_paper_grade,
    sos_severity,
    weight_gain_pct,
)

NEG = dict(histology_proven=False, hemodynamic_or_ultrasound_evidence=False, alternative_cause=False)


def diag(**kw):
    base = dict(bilirubin_mg_dl=0.5, painful_hepatomegaly=False, ascites=False, weight_gain_pct=0.0, **NEG)
    base.update(kw)
    return sos_diagnosis(**base)


# ---- 3.1 diagnosis --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw,expected", [
    # classical: bilirubin >= 2 and >= 2 of {painful hepatomegaly, weight gain > 5%, ascites}
    (dict(day_post_hsct=10, bilirubin_mg_dl=2.0, painful_hepatomegaly=True, ascites=True), "classical"),
    (dict(day_post_hsct=10, bilirubin_mg_dl=1.99, painful_hepatomegaly=True, ascites=True), "none"),
    (dict(day_post_hsct=10, bilirubin_mg_dl=2.5, painful_hepatomegaly=True, weight_gain_pct=5.0), "none"),
    (dict(day_post_hsct=10, bilirubin_mg_dl=2.5, painful_hepatomegaly=True, weight_gain_pct=5.01), "classical"),
    (dict(day_post_hsct=10, bilirubin_mg_dl=2.5, ascites=True, weight_gain_pct=8.0), "classical"),
    (dict(day_post_hsct=10, bilirubin_mg_dl=2.5, ascites=True), "none"),                    # one sign only
    (dict(day_post_hsct=10, painful_hepatomegaly=True, ascites=True, weight_gain_pct=9.0), "none"),  # no bilirubin
    # day 21 is classical, day 22 late onset (a)
    (dict(day_post_hsct=21, bilirubin_mg_dl=2.0, painful_hepatomegaly=True, ascites=True), "classical"),
    (dict(day_post_hsct=22, bilirubin_mg_dl=2.0, painful_hepatomegaly=True, ascites=True), "late_onset"),
    # late onset (b): histology
    (dict(day_post_hsct=30, histology_proven=True), "late_onset"),
    (dict(day_post_hsct=10, histology_proven=True), "none"),   # histology is a late-onset route only
    # late onset (c): >= 2 of the four incl. bilirubin, plus haemodynamic/ultrasound evidence
    (dict(day_post_hsct=30, painful_hepatomegaly=True, ascites=True, hemodynamic_or_ultrasound_evidence=True),
     "late_onset"),
    (dict(day_post_hsct=30, bilirubin_mg_dl=2.0, weight_gain_pct=5.5, hemodynamic_or_ultrasound_evidence=True),
     "late_onset"),
    (dict(day_post_hsct=30, bilirubin_mg_dl=2.0, weight_gain_pct=5.0, hemodynamic_or_ultrasound_evidence=True),
     "none"),
    (dict(day_post_hsct=30, painful_hepatomegaly=True, ascites=True), "none"),   # no imaging evidence
    (dict(day_post_hsct=10, painful_hepatomegaly=True, ascites=True, hemodynamic_or_ultrasound_evidence=True),
     "none"),   # route (c) is late onset only
    # an alternative cause rules it out
    (dict(day_post_hsct=10, bilirubin_mg_dl=3, painful_hepatomegaly=True, ascites=True, alternative_cause=True),
     "none"),
])
def test_diagnosis_rows(kw, expected):
    r = diag(**kw)
    assert r.value == expected and r.ruleset == "EBMT-adult-2016" and r.missing_inputs == ()


def test_classical_max_day_is_a_parameter():
    kw = dict(day_post_hsct=21, bilirubin_mg_dl=2.0, painful_hepatomegaly=True, ascites=True)
    assert diag(**kw).value == "classical"
    r = diag(classical_max_day=20, **kw)
    assert r.value == "late_onset" and "classical_max_day=20" in r.flags


@pytest.mark.parametrize("kw,missing", [
    (dict(day_post_hsct=10, bilirubin_mg_dl=2.5, painful_hepatomegaly=True, ascites=None), ("ascites",)),
    (dict(day_post_hsct=10, bilirubin_mg_dl=None, painful_hepatomegaly=True, ascites=True), ("bilirubin_mg_dl",)),
    (dict(day_post_hsct=10, bilirubin_mg_dl=2.5, painful_hepatomegaly=True, ascites=True, alternative_cause=None),
     ("alternative_cause",)),
    (dict(day_post_hsct=None, bilirubin_mg_dl=2.5, painful_hepatomegaly=True, ascites=True), ("day_post_hsct",)),
    (dict(day_post_hsct=30, histology_proven=None), ("histology_proven",)),
])
def test_diagnosis_missing_inputs(kw, missing):
    r = diag(**kw)
    assert r.value is None and r.missing_inputs == missing


@pytest.mark.parametrize("kw,expected", [
    # a missing input that cannot change the answer
    (dict(day_post_hsct=10, bilirubin_mg_dl=1.0, painful_hepatomegaly=True, ascites=None), "none"),
    (dict(day_post_hsct=10, bilirubin_mg_dl=2.5, painful_hepatomegaly=True, ascites=True, histology_proven=None,
          hemodynamic_or_ultrasound_evidence=None), "classical"),
    (dict(day_post_hsct=10, bilirubin_mg_dl=1.0, painful_hepatomegaly=True, ascites=True, alternative_cause=None),
     "none"),
])
def test_diagnosis_irrelevant_missing_inputs(kw, expected):
    r = diag(**kw)
    assert r.value == expected and r.missing_inputs == ()


def test_diagnosis_assume_missing_normal_is_explicit():
    r = sos_diagnosis(day_post_hsct=10, bilirubin_mg_dl=2.5, painful_hepatomegaly=True)
    assert r.value is None
    r = sos_diagnosis(day_post_hsct=10, bilirubin_mg_dl=2.5, painful_hepatomegaly=True, assume_missing_normal=True)
    assert r.value == "none" and any("assumed normal: ascites" in f for f in r.flags)


def test_weight_gain_helper_exactly_five_percent():
    assert weight_gain_pct(105.0, 100.0) == 5.0           # not 5.000000000000004
    assert weight_gain_pct(73.5, 70.0) == 5.0
    assert weight_gain_pct(None, 70.0) is None
    r = diag(day_post_hsct=10, bilirubin_mg_dl=2.5, painful_hepatomegaly=True,
             weight_gain_pct=weight_gain_pct(73.5, 70.0), weight_baseline="pre-conditioning")
    assert r.value == "none" and r.inputs["weight_baseline"] == "pre-conditioning"


def test_diagnosis_date_is_first_positive_evaluation():
    d = dt.date
    dated = [(d(2020, 1, 12), diag(day_post_hsct=12, bilirubin_mg_dl=2.2, painful_hepatomegaly=True, ascites=True)),
             (d(2020, 1, 8), diag(day_post_hsct=8, bilirubin_mg_dl=1.5, painful_hepatomegaly=True, ascites=True)),
             (d(2020, 1, 15), diag(day_post_hsct=15, bilirubin_mg_dl=4.0, painful_hepatomegaly=True, ascites=True))]
    assert sos_diagnosis_date(dated) == d(2020, 1, 12)
    assert sos_diagnosis_date(dated[1:2]) is None


def test_diagnosis_explain_text():
    r = diag(day_post_hsct=14, bilirubin_mg_dl=2.4, painful_hepatomegaly=True, ascites=True)
    text = r.explain()
    assert isinstance(r, Result) and r.rule == "sos_diagnosis"
    assert "day_post_hsct=14" in text and "bilirubin_mg_dl=2.4" in text and "ascites=True" in text
    assert "classical" in text and text.endswith("result: classical")


# ---- 3.2 severity: each criterion falls in the right category -------------------------------------------------
@pytest.mark.parametrize("kw,text", [
    (dict(days_since_first_signs=8), "time since first signs 8 d: mild"),
    (dict(days_since_first_signs=7), "time since first signs 7 d: moderate"),
    (dict(days_since_first_signs=5), "time since first signs 5 d: moderate"),
    (dict(days_since_first_signs=4), "time since first signs 4 d: severe"),
    (dict(days_since_first_signs=0), "time since first signs 0 d: severe"),
    (dict(bilirubin_mg_dl=2.0), "bilirubin 2 mg/dL: mild"),
    (dict(bilirubin_mg_dl=2.99), "bilirubin 2.99 mg/dL: mild"),
    (dict(bilirubin_mg_dl=3.0), "bilirubin 3 mg/dL: moderate"),
    (dict(bilirubin_mg_dl=4.99), "bilirubin 4.99 mg/dL: moderate"),
    (dict(bilirubin_mg_dl=5.0), "bilirubin 5 mg/dL: severe"),
    (dict(bilirubin_mg_dl=7.99), "bilirubin 7.99 mg/dL: severe"),
    (dict(bilirubin_mg_dl=8.0), "bilirubin 8 mg/dL: very_severe"),
    (dict(bilirubin_doubled_48h=True), "bilirubin doubling within 48 h: severe"),
    (dict(transaminases_x_uln=2.0), "transaminases 2x ULN: mild"),
    (dict(transaminases_x_uln=2.01), "transaminases 2.01x ULN: moderate"),
    (dict(transaminases_x_uln=5.0), "transaminases 5x ULN: moderate"),
    (dict(transaminases_x_uln=5.01), "transaminases 5.01x ULN: severe"),
    (dict(transaminases_x_uln=8.0), "transaminases 8x ULN: severe"),
    (dict(transaminases_x_uln=8.01), "transaminases 8.01x ULN: very_severe"),
    (dict(alt_x_uln=3.0, ast_x_uln=6.0), "transaminases 6x ULN: severe"),      # max(ALT, AST)
    (dict(weight_gain_pct=4.99), "weight gain 4.99%: mild"),
    (dict(weight_gain_pct=5.0), "weight gain 5%: moderate"),                   # alone: re-assigned
    (dict(weight_gain_pct=9.99), "weight gain 9.99%: moderate"),
    (dict(weight_gain_pct=5.0, bilirubin_mg_dl=6.0), "weight gain 5%: severe"),  # with another severe
    (dict(weight_gain_pct=10.0), "weight gain 10%: very_severe"),
    (dict(creatinine_x_baseline=1.19), "creatinine 1.19x baseline: mild"),
    (dict(creatinine_x_baseline=1.2), "creatinine 1.2x baseline: moderate"),
    (dict(creatinine_x_baseline=1.49), "creatinine 1.49x baseline: moderate"),
    (dict(creatinine_x_baseline=1.5), "creatinine 1.5x baseline: severe"),
    (dict(creatinine_x_baseline=1.99), "creatinine 1.99x baseline: severe"),
    (dict(creatinine_x_baseline=2.0, renal_2x_is_mod=False), "creatinine 2x baseline: very_severe"),
])
def test_severity_table_cells(kw, text):
    r = sos_severity(missing_criteria="ignore", **kw)
    assert text in r.criteria_met


def test_bilirubin_below_2_counts_in_no_category():
    r = sos_severity(missing_criteria="ignore", bilirubin_mg_dl=1.99, transaminases_x_uln=1.0)
    assert not any(m.startswith("bilirubin") for m in r.criteria_met)


FULL_MILD = dict(days_since_first_signs=10, bilirubin_mg_dl=2.5, bilirubin_doubled_48h=False, transaminases_x_uln=1.0,
                 weight_gain_pct=0.0, creatinine_x_baseline=1.0, mod_mof=False, n_sos_risk_factors=0)


def sev(**kw):
    base = dict(FULL_MILD)
    base.update(kw)
    return sos_severity(**base)


@pytest.mark.parametrize("kw,expected", [
    (dict(), "mild"),
    (dict(bilirubin_mg_dl=3.5, transaminases_x_uln=3, days_since_first_signs=6), "moderate"),
    (dict(bilirubin_mg_dl=5.5, transaminases_x_uln=6, days_since_first_signs=3), "severe"),
    (dict(bilirubin_mg_dl=9, transaminases_x_uln=9), "very_severe"),
    (dict(mod_mof=True), "very_severe"),
    (dict(creatinine_x_baseline=2.0), "very_severe"),            # renal failure is MOD (step 1)
    (dict(creatinine_x_baseline=1.99, bilirubin_doubled_48h=True), "severe"),
    # two categories with >= 2: the more severe wins
    (dict(days_since_first_signs=6, creatinine_x_baseline=1.3, bilirubin_mg_dl=5.5, transaminases_x_uln=6),
     "severe"),
])
def test_severity_grades(kw, expected):
    r = sev(**kw)
    assert r.value == expected and r.missing_inputs == ()


def test_section10_vector_moderate():
    """Bilirubin 3.5 + ALT 3x + weight 6% with no other severe criterion -> moderate."""
    r = sev(bilirubin_mg_dl=3.5, transaminases_x_uln=None, alt_x_uln=3.0, ast_x_uln=1.0, weight_gain_pct=6.0)
    assert r.value == "moderate" and "fallback_used" not in r.flags
    assert "weight gain 6%: moderate" in r.criteria_met
    r = sos_severity(bilirubin_mg_dl=3.5, alt_x_uln=3.0, ast_x_uln=1.0, weight_gain_pct=6.0, missing_criteria="ignore")
    assert r.value == "moderate" and any("not counted" in f for f in r.flags)
    # strict default: the criteria not given could make it severe or worse
    r = sos_severity(bilirubin_mg_dl=3.5, alt_x_uln=3.0, ast_x_uln=1.0, weight_gain_pct=6.0)
    assert r.value is None and "mod_mof" in r.missing_inputs and "days_since_first_signs" in r.missing_inputs


@pytest.mark.parametrize("min_other,expected,fallback", [
    (1, "severe", False),     # Mohty footnote: one other severe criterion keeps weight in severe
    (2, "moderate", True),    # spec step 5 read literally: weight moves to moderate, cumulative fallback
])
def test_weight_reassignment(min_other, expected, fallback):
    r = sos_severity(bilirubin_mg_dl=5.5, weight_gain_pct=7.0, missing_criteria="ignore",
                     weight_severe_min_other=min_other)
    assert r.value == expected and ("fallback_used" in r.flags) == fallback


def test_weight_counts_severe_next_to_a_very_severe_criterion():
    r = sos_severity(bilirubin_mg_dl=9.0, weight_gain_pct=7.0, missing_criteria="ignore")
    assert r.value == "severe" and "weight gain 7%: severe" in r.criteria_met


@pytest.mark.parametrize("kw,expected", [
    (dict(bilirubin_mg_dl=5.5, transaminases_x_uln=3.0), "moderate"),      # severe 1 + moderate 1 -> cumulative
    (dict(bilirubin_mg_dl=9.0, transaminases_x_uln=6.0), "severe"),
    (dict(bilirubin_mg_dl=9.0), "mild"),                                   # one criterion: the minimum
    (dict(bilirubin_mg_dl=9.0, days_since_first_signs=10), "mild"),
])
def test_cumulative_fallback(kw, expected):
    r = sos_severity(missing_criteria="ignore", **kw)
    assert r.value == expected and "fallback_used" in r.flags


def test_time_any_counts_for_very_severe_option():
    kw = dict(bilirubin_mg_dl=9.0, days_since_first_signs=10, missing_criteria="ignore")
    assert sos_severity(**kw).value == "mild"
    assert sos_severity(time_any_counts_for_very_severe=True, **kw).value == "very_severe"


@pytest.mark.parametrize("kw,n_rf,expected", [
    (dict(), 2, "moderate"),                                            # mild + >= 2 risk factors
    (dict(), 1, "mild"),
    (dict(bilirubin_mg_dl=3.5, transaminases_x_uln=3), 2, "severe"),    # moderate + >= 2
    (dict(bilirubin_mg_dl=5.5, transaminases_x_uln=6), 3, "severe"),    # severe stays (source table)
    (dict(mod_mof=True), 5, "very_severe"),
])
def test_risk_factor_upgrade(kw, n_rf, expected):
    assert sev(n_sos_risk_factors=n_rf, **kw).value == expected


def test_risk_upgrade_to_very_severe_option():
    r = sev(n_sos_risk_factors=2, bilirubin_mg_dl=5.5, transaminases_x_uln=6, risk_upgrade_to_very_severe=True)
    assert r.value == "very_severe"


@pytest.mark.parametrize("kw,missing", [
    (dict(mod_mof=None), ("mod_mof",)),
    (dict(n_sos_risk_factors=None), ("n_sos_risk_factors",)),
    # with bilirubin moderate, transaminases > 2x ULN would make a second moderate criterion
    (dict(bilirubin_mg_dl=3.5, transaminases_x_uln=None, alt_x_uln=1.0), ("ast_x_uln",)),
    (dict(bilirubin_mg_dl=3.5, transaminases_x_uln=None), ("transaminases_x_uln (or alt_x_uln and ast_x_uln)",)),
])
def test_severity_missing_inputs(kw, missing):
    r = sev(**kw)
    assert r.value is None and r.missing_inputs == missing


def test_severity_missing_inputs_that_cannot_matter():
    assert sos_severity(mod_mof=True).value == "very_severe"
    # a lone criterion cannot lift the grade while four others are mild
    assert sev(transaminases_x_uln=None).value == "mild"
    # ALT 9x ULN already puts transaminases in very severe: AST cannot change it
    r = sev(transaminases_x_uln=None, alt_x_uln=9.0, bilirubin_mg_dl=9.0)
    assert r.value == "very_severe" and r.missing_inputs == ()


def test_severity_explain_text():
    r = sev(bilirubin_mg_dl=3.5, transaminases_x_uln=3.0, days_since_first_signs=6)
    text = r.explain()
    assert r.rule == "sos_severity" and r.ruleset == "EBMT-adult-2016" and r.ruleset_version
    assert "bilirubin_mg_dl=3.5" in text and "transaminases_x_uln=3" in text and text.endswith("result: moderate")


def test_invalid_missing_criteria_mode():
    with pytest.raises(ValueError):
        sos_severity(missing_criteria="assume")


ORDER = ("mild", "moderate", "severe", "very_severe")


@given(st.floats(0, 20), st.floats(0, 20), st.floats(0, 30), st.floats(0.5, 3), st.floats(0, 20), st.booleans())
def test_complete_inputs_always_grade_and_risk_factors_never_lower(b, t, w, c, d, dbl):
    kw = dict(bilirubin_mg_dl=b, transaminases_x_uln=t, weight_gain_pct=w, creatinine_x_baseline=c,
              days_since_first_signs=d, bilirubin_doubled_48h=dbl)
    base = sos_severity(mod_mof=False, n_sos_risk_factors=0, **kw)
    up = sos_severity(mod_mof=False, n_sos_risk_factors=2, **kw)
    assert base.value in ORDER and base.missing_inputs == ()
    assert ORDER.index(up.value) - ORDER.index(base.value) in ((0, 1) if base.value != "severe" else (0,))
    assert sos_severity(mod_mof=True, n_sos_risk_factors=0, **kw).value == "very_severe"


def test_literal_algorithm_is_not_monotone():
    """Known property of "highest category with >= 2 criteria": raising bilirubin from moderate to severe can
    leave two mild criteria as the only pair, so the grade drops."""
    kw = dict(transaminases_x_uln=3.0, days_since_first_signs=10, creatinine_x_baseline=1.0, missing_criteria="ignore")
    assert sos_severity(bilirubin_mg_dl=3.5, **kw).value == "moderate"
    assert sos_severity(bilirubin_mg_dl=5.5, **kw).value == "mild"


# ---- bilirubin kinetics helper ----------------------------------------------------------------------------------
@pytest.mark.parametrize("meas,expected", [
    ([(0, 1.0), (48, 2.0)], True),     # exactly 48 h
    ([(0, 1.0), (49, 2.0)], False),
    ([(0, 1.0), (24, 1.9)], False),
    ([(0, 1.0), (30, 1.5), (60, 3.0)], True),   # 1.5 -> 3.0 within 30 h
    ([(0, 1.0)], None),
    ([(0, 1.0), (10, None)], None),
])
def test_bilirubin_doubling(meas, expected):
    assert bilirubin_doubled_within(meas) is expected


def test_bilirubin_doubling_with_datetimes():
    t0 = dt.datetime(2020, 3, 1, 8)
    assert bilirubin_doubled_within([(t0, 1.1), (t0 + dt.timedelta(hours=47), 2.3)]) is True
    assert bilirubin_doubled_within([(t0, 1.1), (t0 + dt.timedelta(hours=50), 2.3)]) is False


# ---- the paper's printed grades (I29) -------------------------------------------------------------------------
@pytest.mark.parametrize("severity,died,expected,extension", [
    ("severe", False, 3, False),
    ("severe", True, 5, False),
    ("very_severe", True, 5, False),
    ("mild", False, 1, True),
    ("moderate", False, 2, True),
    ("very_severe", False, 4, True),
    (None, True, 5, False),
    (None, False, None, False),
    ("severe", None, None, False),
])
def test_paper_grade_mapping(severity, died, expected, extension):
    r = sos_paper_grade(severity, died_of_sos=died)
    assert r.value == expected
    assert bool(r.flags) == extension
    assert "I29" in r.ruleset_version


def test_paper_grade_accepts_a_result():
    r = sos_paper_grade(sev(bilirubin_mg_dl=5.5, transaminases_x_uln=6, days_since_first_signs=3))
    assert r.value == 3 and "I29" in r.explain()
    with pytest.raises(ValueError):
        sos_paper_grade("grade 3")
