"""CTCAE v5.0 ALT/AST/bilirubin (clinical-criteria spec section 4): every cell of the table on both sides of each
edge, exact multiples of the ULN, the abnormal-baseline asymmetry, baseline_mode="uln_only", and missing inputs."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from mabseq.criteria.ctcae import ctcae5_grade
from mabseq.criteria.result import Result

ULN_AT = 40.0      # U/L
ULN_BILI = 1.2     # mg/dL


# ---- baseline normal: r_uln ------------------------------------------------------------------------------------
@pytest.mark.parametrize("analyte", ["ALT", "AST"])
@pytest.mark.parametrize("value,expected", [
    (0.0, 0), (40.0, 0),              # <= ULN
    (40.4, 1), (120.0, 1),            # 1.0 < r <= 3.0
    (120.4, 2), (200.0, 2),           # 3.0 < r <= 5.0
    (200.4, 3), (800.0, 3),           # 5.0 < r <= 20.0
    (800.4, 4), (4000.0, 4),          # r > 20.0
])
def test_transaminases_baseline_normal(analyte, value, expected):
    r = ctcae5_grade(analyte, value, ULN_AT)
    assert r.value == expected and r.ruleset == "CTCAE-5.0"


@pytest.mark.parametrize("value,expected", [
    (1.2, 0),
    (1.212, 1), (1.8, 1),             # 1.0 < r <= 1.5 (1.8 / 1.2 is 1.5000000000000002 in floating point)
    (1.812, 2), (3.6, 2),             # 1.5 < r <= 3.0
    (3.612, 3), (12.0, 3),            # 3.0 < r <= 10.0
    (12.012, 4), (30.0, 4),           # r > 10.0
])
def test_bilirubin_baseline_normal(value, expected):
    assert ctcae5_grade("TBILI", value, ULN_BILI).value == expected


# ---- baseline abnormal: r_bl, with the ALT/AST 1.5x start --------------------------------------------------------
@pytest.mark.parametrize("analyte", ["ALT", "AST"])
@pytest.mark.parametrize("value,expected", [
    (50.0, 0),                        # above ULN but below baseline
    (100.0, 0),                       # = baseline
    (130.0, 0),                       # 1.3x baseline: grade 0 (the v5 band starts at 1.5x)
    (149.9, 0),
    (150.0, 1), (300.0, 1),           # 1.5 <= r_bl <= 3.0
    (300.1, 2), (500.0, 2),           # 3.0 < r_bl <= 5.0
    (500.1, 3), (2000.0, 3),          # 5.0 < r_bl <= 20.0
    (2000.1, 4),                      # r_bl > 20.0
])
def test_transaminases_baseline_abnormal(analyte, value, expected):
    r = ctcae5_grade(analyte, value, ULN_AT, baseline=100.0)
    assert r.value == expected and r.inputs["x_baseline"] == pytest.approx(value / 100.0)


@pytest.mark.parametrize("value,expected", [
    (1.5, 0),                         # above ULN, below baseline
    (2.0, 0),                         # = baseline
    (2.02, 1), (2.6, 1), (3.0, 1),    # 1.0 < r_bl <= 1.5 (2.6 = 1.3x baseline)
    (3.02, 2), (6.0, 2),              # 1.5 < r_bl <= 3.0
    (6.02, 3), (20.0, 3),             # 3.0 < r_bl <= 10.0
    (20.02, 4),                       # r_bl > 10.0
])
def test_bilirubin_baseline_abnormal(value, expected):
    assert ctcae5_grade("TBILI", value, ULN_BILI, baseline=2.0).value == expected


def test_section10_asymmetry_vectors():
    """ALT 1.3x an abnormal baseline -> 0; bilirubin 1.3x an abnormal baseline -> 1."""
    assert ctcae5_grade("ALT", 1.3 * 100.0, 40.0, baseline=100.0).value == 0
    assert ctcae5_grade("TBILI", 1.3 * 2.0, 1.2, baseline=2.0).value == 1


def test_baseline_equal_to_uln_is_normal():
    r = ctcae5_grade("ALT", 130.0, 40.0, baseline=40.0)
    assert r.value == 2 and "x_baseline" not in r.inputs


# ---- exact multiples of the ULN, for ULNs that are not binary-exact --------------------------------------------
@pytest.mark.parametrize("uln", [0.3, 0.7, 1.1, 1.2, 33.0, 56.0, 7.7])
@pytest.mark.parametrize("analyte,multiple,expected", [
    ("ALT", 1.0, 0), ("ALT", 3.0, 1), ("ALT", 5.0, 2), ("ALT", 20.0, 3),
    ("AST", 1.0, 0), ("AST", 3.0, 1), ("AST", 5.0, 2), ("AST", 20.0, 3),
    ("TBILI", 1.0, 0), ("TBILI", 1.5, 1), ("TBILI", 3.0, 2), ("TBILI", 10.0, 3),
])
def test_exact_multiples_of_uln_fall_in_the_lower_grade(uln, analyte, multiple, expected):
    assert ctcae5_grade(analyte, multiple * uln, uln).value == expected


@pytest.mark.parametrize("baseline", [0.9 * 3, 1.7, 2.3, 150.0])
@pytest.mark.parametrize("analyte,multiple,expected", [
    ("ALT", 1.5, 1), ("ALT", 3.0, 1), ("ALT", 5.0, 2), ("ALT", 20.0, 3),
    ("TBILI", 1.5, 1), ("TBILI", 3.0, 2), ("TBILI", 10.0, 3),
])
def test_exact_multiples_of_baseline(baseline, analyte, multiple, expected):
    assert ctcae5_grade(analyte, multiple * baseline, 1.1, baseline=baseline).value == expected


# ---- baseline_mode="uln_only" -----------------------------------------------------------------------------------
@pytest.mark.parametrize("analyte,value,uln,baseline,v5,uln_only", [
    ("ALT", 130.0, 40.0, 100.0, 0, 2),    # 3.25x ULN
    ("AST", 160.0, 40.0, 100.0, 1, 2),
    ("TBILI", 2.6, 1.2, 2.0, 1, 2),       # 2.17x ULN
    ("TBILI", 1.5, 1.2, 2.0, 0, 1),       # below baseline, 1.25x ULN
    ("ALT", 90.0, 40.0, None, 1, 1),      # no baseline: same either way
])
def test_uln_only_ignores_baseline(analyte, value, uln, baseline, v5, uln_only):
    assert ctcae5_grade(analyte, value, uln, baseline).value == v5
    r = ctcae5_grade(analyte, value, uln, baseline, baseline_mode="uln_only")
    assert r.value == uln_only
    if baseline is not None:
        assert any("baseline ignored" in f for f in r.flags)


# ---- missing inputs and validation ------------------------------------------------------------------------------
@pytest.mark.parametrize("value,uln,missing", [(None, 40.0, ("value",)), (80.0, None, ("uln",)),
                                               (None, None, ("value", "uln"))])
def test_missing_value_or_uln(value, uln, missing):
    r = ctcae5_grade("ALT", value, uln)
    assert r.value is None and r.missing_inputs == missing


def test_missing_baseline_modes():
    r = ctcae5_grade("ALT", 90.0, 40.0)
    assert r.value == 1 and "baseline not given: taken as normal" in r.flags
    r = ctcae5_grade("ALT", 90.0, 40.0, missing_baseline="undetermined")
    assert r.value is None and r.missing_inputs == ("baseline",)
    # at or below the ULN the baseline cannot matter
    r = ctcae5_grade("ALT", 30.0, 40.0, missing_baseline="undetermined")
    assert r.value == 0 and not r.flags


@pytest.mark.parametrize("alias,code", [("alt", "ALT"), ("SGPT", "ALT"), ("ast", "AST"), ("SGOT", "AST"),
                                        ("bilirubin", "TBILI"), ("TBILI", "TBILI"), ("Total bilirubin", "TBILI")])
def test_analyte_aliases(alias, code):
    assert ctcae5_grade(alias, 1.0, 2.0).inputs["analyte"] == code


@pytest.mark.parametrize("args,kwargs", [
    (("GGT", 100.0, 40.0), {}),
    (("ALT", 100.0, 0.0), {}),
    (("ALT", -1.0, 40.0), {}),
    (("ALT", 100.0, 40.0), {"baseline_mode": "v4"}),
    (("ALT", 100.0, 40.0), {"missing_baseline": "zero"}),
])
def test_invalid_arguments(args, kwargs):
    with pytest.raises(ValueError):
        ctcae5_grade(*args, **kwargs)


@given(st.sampled_from(["ALT", "AST", "TBILI"]), st.floats(0, 1e4), st.floats(0.1, 100),
       st.one_of(st.none(), st.floats(0.1, 1e3)), st.sampled_from(["v5", "uln_only"]))
def test_grade_is_0_to_4_and_never_5(analyte, value, uln, baseline, mode):
    r = ctcae5_grade(analyte, value, uln, baseline, mode)
    assert r.value in (0, 1, 2, 3, 4)


@given(st.sampled_from(["ALT", "AST", "TBILI"]), st.floats(0, 1e3), st.floats(0, 1e3), st.floats(0.1, 100),
       st.one_of(st.none(), st.floats(0.1, 1e3)))
def test_grade_is_monotone_in_value(analyte, a, b, uln, baseline):
    lo, hi = sorted((a, b))
    assert ctcae5_grade(analyte, lo, uln, baseline).value <= ctcae5_grade(analyte, hi, uln, baseline).value


def test_result_and_explain_text():
    r = ctcae5_grade("AST", 220.0, 40.0)
    assert isinstance(r, Result) and r.rule == "ctcae5_grade" and r.ruleset_version.startswith("5.0")
    text = r.explain()
    assert "analyte=AST" in text and "value=220" in text and "uln=40" in text and "5.5x ULN" in text
    assert text.endswith("result: 3")
    r = ctcae5_grade("ALT", 130.0, 40.0, baseline=100.0)
    assert "baseline=100" in r.explain() and "1.3x baseline" in r.explain() and r.explain().endswith("result: 0")
