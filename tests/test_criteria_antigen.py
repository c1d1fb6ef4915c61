"""CD19/CD22 flow antigen status (clinical-criteria spec section 6; study-definition 2.4)."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, strategies as st

from mabseq.criteria.antigen import (
    DIM_LOG_DROP_THIRD_LOG, DIM_LOG_DROP_THREE_FOLD, NEG_PCT_THRESHOLD, RULESET, antigen_status, binary,
)

REF = 1000.0
THIRD = 10 ** (1 / 3)  # 2.154-fold


def st_(pct, ratio=None, **kw):
    """Status with the abnormal MFI at ``ratio`` x the reference MFI."""
    mfi = None if ratio is None else REF * ratio
    return antigen_status(pct, mfi, REF if ratio is not None else None, **kw)


def test_constants():
    assert DIM_LOG_DROP_THIRD_LOG == 1 / 3
    assert DIM_LOG_DROP_THREE_FOLD == pytest.approx(0.47712, abs=1e-5)
    assert NEG_PCT_THRESHOLD == 20
    assert RULESET == "Wudhikarn-2022"


@pytest.mark.parametrize("pct,ratio,expected", [
    # spec section 10 vectors
    (19.9, None, "negative"),
    (20.0, 0.45, "dim"),  # log drop 0.347 >= 1/3
    (20.0, 0.5, "positive"),  # log drop 0.301 < 1/3
    # negative: < 20% (exactly 20 is not negative)
    (0.0, None, "negative"), (19.99, 0.01, "negative"), (20.0, 1.0, "positive"),
    # dim: log drop >= 1/3, both sides of exactly one-third of a log
    (95.0, 1 / THIRD, "dim"),
    (95.0, 1 / THIRD * 1.0001, "positive"),
    (95.0, 1 / THIRD * 0.9999, "dim"),
    (50.0, 0.1, "dim"), (50.0, 1.5, "positive"),
])
def test_antigen_status_rule(pct, ratio, expected):
    r = st_(pct, ratio)
    assert r.value == expected
    assert r.ruleset == "Wudhikarn-2022" and r.rule == "antigen_status"
    assert any("derived from flow values" in c for c in r.criteria_met)


@pytest.mark.parametrize("ratio,third_log,three_fold", [
    (0.45, "dim", "positive"),  # the spec's vector: 0.347 log
    (0.40, "dim", "positive"),  # 0.398 log: the two readings of the Methods disagree
    (1 / 3, "dim", "dim"),  # exactly 3-fold
    (1 / 3 * 1.001, "dim", "positive"),
    (0.3, "dim", "dim"),
    (0.5, "positive", "positive"),
])
def test_third_log_vs_three_fold(ratio, third_log, three_fold):
    assert st_(50.0, ratio).value == third_log
    assert st_(50.0, ratio, dim_log_drop=DIM_LOG_DROP_THREE_FOLD).value == three_fold


@pytest.mark.parametrize("ref,ratio,drop", [
    (5000.0, 10 ** (-1 / 3), DIM_LOG_DROP_THIRD_LOG),  # float log10 lands 3e-16 under 1/3
    (640.0, 1 / 3, DIM_LOG_DROP_THREE_FOLD),  # and 3e-16 under log10(3)
])
def test_exact_boundary_is_dim_despite_float_rounding(ref, ratio, drop):
    r = antigen_status(50.0, ref * ratio, ref, dim_log_drop=drop)
    assert r.value == "dim"


def test_negative_threshold_parameter():
    assert st_(22.0, 1.0).value == "positive"
    assert st_(22.0, 1.0, neg_pct_threshold=25).value == "negative"
    assert st_(25.0, 1.0, neg_pct_threshold=25).value == "positive"


def test_positional_call_as_the_derivation_uses_it():
    r = antigen_status(30.0, 400.0, 1000.0, neg_pct_threshold=20.0, dim_log_drop=1 / 3)
    assert r.value == "dim"


@pytest.mark.parametrize("call,pct,ratio,expected,disagree", [
    ("positive", 5.0, None, "positive", "negative"),  # the call wins; the derivation disagrees
    ("neg", 80.0, 1.0, "negative", "positive"),
    ("low", None, None, "dim", None),
    ("Dim", 80.0, 0.2, "dim", None),
    ("pos", None, None, "positive", None),
    ("not_evaluable", None, None, "not_evaluable", None),
])
def test_pathologist_call_first(call, pct, ratio, expected, disagree):
    r = st_(pct, ratio, pathologist_call=call)
    assert r.value == expected
    assert r.criteria_met == ("source: pathologist's call",)
    assert (f"derived_disagrees: {disagree}" in r.flags) if disagree else not any(
        f.startswith("derived_disagrees") for f in r.flags)


def test_not_evaluable_and_missing():
    assert antigen_status(50.0, 500, 1000, abnormal_population_detected=False).value == "not_evaluable"
    r = antigen_status(50.0, 500, 1000, abnormal_population_detected=None)
    assert r.value is None and r.missing_inputs == ("abnormal_population_detected",)
    r = antigen_status(None)
    assert r.value is None and r.missing_inputs == ("pct_abnormal_positive",)
    r = antigen_status(50.0)
    assert r.value is None and set(r.missing_inputs) == {"mfi_abnormal", "mfi_reference"}
    r = antigen_status(50.0, 400.0, None)
    assert r.value is None and r.missing_inputs == ("mfi_reference",)
    assert antigen_status(10.0).value == "negative"  # MFIs are not needed below 20%


@pytest.mark.parametrize("mfi_abn,mfi_ref,expected,flag", [
    (-50.0, 1000.0, "dim", "mfi_abnormal_clipped"),
    (0.0, 1000.0, "dim", "mfi_abnormal_clipped"),
    (500.0, -3.0, "positive", "mfi_reference_clipped"),
])
def test_nonpositive_mfi_clipped_and_flagged(mfi_abn, mfi_ref, expected, flag):
    r = antigen_status(60.0, mfi_abn, mfi_ref)
    assert r.value == expected and flag in r.flags


@pytest.mark.parametrize("pct,flag", [(20.0, "partial_expression"), (89.9, "partial_expression"), (90.0, "pct_ge90"),
                                      (100.0, "pct_ge90")])
def test_secondary_flags(pct, flag):
    assert flag in st_(pct, 1.0).flags


def test_reference_source_flag():
    assert "mfi_reference_source_unrecorded" in st_(50, 1.0).flags
    assert "mfi_reference_source_unrecorded" not in st_(50, 1.0, mfi_reference_source="same_tube").flags


@pytest.mark.parametrize("kw", [dict(pct_abnormal_positive=100.1), dict(pct_abnormal_positive=-1),
                                dict(pct_abnormal_positive=50, pathologist_call="partial"),
                                dict(pct_abnormal_positive=50, dim_log_drop=0)])
def test_invalid(kw):
    with pytest.raises(ValueError):
        antigen_status(**kw)


@pytest.mark.parametrize("status,expected", [("negative", "neg_low"), ("dim", "neg_low"), ("positive", "pos"),
                                             ("not_evaluable", None), (None, None)])
def test_binary(status, expected):
    assert binary(status) == expected


def test_binary_of_result_and_invalid():
    assert binary(st_(20.0, 0.45)) == "neg_low"
    assert binary(st_(20.0, 0.5)) == "pos"
    with pytest.raises(ValueError):
        binary("partial")


def test_explain():
    text = st_(20.0, 0.45, antigen="CD19").explain()
    assert text.startswith("antigen_status [Wudhikarn-2022")
    assert "antigen=CD19" in text and "log10 intensity drop 0.347 >= 0.333" in text and text.endswith("result: dim")
    text = st_(19.9).explain()
    assert "19.9% of abnormal cells positive < 20%" in text and text.endswith("result: negative")


@given(st.floats(0, 100), st.floats(1, 1e5), st.floats(1, 1e5))
def test_derived_status_matches_the_rule(pct, mfi_abn, mfi_ref):
    r = antigen_status(pct, mfi_abn, mfi_ref)
    drop = math.log10(mfi_ref) - math.log10(mfi_abn)
    if pct < 20:
        assert r.value == "negative"
    elif drop >= 1 / 3 + 1e-6:
        assert r.value == "dim"
    elif drop < 1 / 3 - 1e-6:
        assert r.value == "positive"
