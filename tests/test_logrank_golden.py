"""Log-rank / Fleming-Harrington tests against R survdiff, and with delayed entry against coxph's Breslow score test."""
from __future__ import annotations

import pytest
from conftest import assert_matches, data

from mabseq.stats import logrank_test

CASES = [
    # case, dataset, time, event, group, strata, rho
    ("lr_lung_sex", "lung", "time", "status", "sex", None, 0.0),
    ("lr_lung_sex_rho1", "lung", "time", "status", "sex", None, 1.0),
    ("lr_lung_sex_strata", "lung", "time", "status", "sex", "ph_ecog", 0.0),
    ("lr_lung_ecog", "lung", "time", "status", "ph_ecog", None, 0.0),
    ("lr_aml_x", "aml", "time", "status", "x", None, 0.0),
    ("lr_veteran_celltype", "veteran", "time", "status", "celltype", None, 0.0),
    ("lr_veteran_trt_strata", "veteran", "time", "status", "trt", "celltype", 0.0),
    ("lr_veteran_trt_strata_rho05", "veteran", "time", "status", "trt", "celltype", 0.5),
    ("lr_bmt_group", "bmt", "t2", "d3", "group", None, 0.0),
    ("lr_bmt_group_rho1", "bmt", "t2", "d3", "group", None, 1.0),
]


@pytest.mark.parametrize("case,ds,t,e,g,s,rho", CASES, ids=[c[0] for c in CASES])
def test_survdiff(goldens, case, ds, t, e, g, s, rho):
    d = data(ds)
    r = logrank_test(d[t], d[e], d[g], strata=None if s is None else d[s], rho=rho)
    assert_matches(r.statistic, goldens[case, "statistic"], f"{case} chisq")
    assert_matches(r.df, goldens[case, "df"], f"{case} df")
    assert_matches(r.p_value, goldens[case, "p_value"], f"{case} p")
    assert_matches(r.observed, goldens[case, "observed"], f"{case} observed")
    assert_matches(r.expected, goldens[case, "expected"], f"{case} expected")


ENTRY_CASES = [
    ("lr_lung_sex_entry", "lung", "time_u", "status", "sex", None),
    ("lr_lung_ecog_entry", "lung", "time_u", "status", "ph_ecog", None),
    ("lr_lung_sex_entry_strata", "lung", "time_u", "status", "sex", "ph_ecog"),
    ("lr_bmt_group_entry", "bmt", "t2_u", "d3", "group", None),
]


@pytest.mark.parametrize("case,ds,t,e,g,s", ENTRY_CASES, ids=[c[0] for c in ENTRY_CASES])
def test_delayed_entry(goldens, case, ds, t, e, g, s):
    d = data(ds)
    r = logrank_test(d[t], d[e], d[g], entry=d["entry"], strata=None if s is None else d[s])
    assert_matches(r.statistic, goldens[case, "statistic"], f"{case} score")
    assert_matches(r.df, goldens[case, "df"], f"{case} df")
    assert_matches(r.p_value, goldens[case, "p_value"], f"{case} p")


def test_untied_score_test_equals_survdiff(goldens):
    # the premise of the delayed-entry reference: on tie-free times coxph's Breslow score test is survdiff's statistic
    d = data("lung")
    r = logrank_test(d.time_u, d.status, d.sex)
    assert_matches(r.statistic, goldens["lr_lung_sex_noentry_untied", "statistic"], "survdiff untied")
    assert_matches(r.statistic, goldens["lr_lung_sex_noentry_score", "statistic"], "score untied")


def test_entry_zero_equals_no_entry():
    d = data("lung")
    a = logrank_test(d.time, d.status, d.sex)
    b = logrank_test(d.time, d.status, d.sex, entry=0 * d.time)
    assert abs(a.statistic - b.statistic) <= 1e-12 * a.statistic
