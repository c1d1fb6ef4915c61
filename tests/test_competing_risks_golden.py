"""Aalen-Johansen cumulative incidence against R cmprsk::cuminc and timepoints."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_matches, data

from mabseq.stats import cumulative_incidence, gray_test

CASES = [
    ("ci_bmt", "bmt", "t2", "cr_status", "group"),
    ("ci_pbc_trt", "pbc", "time", "status", "trt"),
    ("ci_pbc_sex", "pbc", "time", "status", "sex"),
]


@pytest.mark.parametrize("case,ds,t,s,g", CASES, ids=[c[0] for c in CASES])
def test_cuminc(goldens, case, ds, t, s, g):
    d = data(ds)
    ci = cumulative_incidence(d[t], d[s], d[g])
    tab = ci.table
    tp_times = goldens[case, "tp_times"]
    at = ci.at(tp_times)
    for grp in ci.groups:
        for cause in ci.causes:
            key = f"{case}|{grp}|{cause}"
            cur = tab[(tab.group == grp) & (tab.cause == cause)]
            # cuminc reports a curve at its own cause's event times; mabseq's table has every event time
            r_times = goldens[key, "time"]
            assert set(r_times) <= set(cur.time)
            cur = cur[cur.time.isin(r_times)]
            assert_matches(cur.time, r_times, f"{key} time")
            assert_matches(cur.estimate, goldens[key, "estimate"], f"{key} estimate")
            assert_matches(cur.variance, goldens[key, "variance"], f"{key} variance")
            pts = at[(at.group == grp) & (at.cause == cause)]
            assert_matches(pts.estimate, goldens[key, "tp_estimate"], f"{key} timepoints estimate")
            assert_matches(pts.variance, goldens[key, "tp_variance"], f"{key} timepoints variance")
            # the interval brackets the estimate wherever it is defined
            ok = cur.lower.notna()
            assert (cur.lower[ok] <= cur.estimate[ok]).all() and (cur.estimate[ok] <= cur.upper[ok]).all()


def test_single_group_and_invalid_status():
    ci = cumulative_incidence([1, 2, 3, 4], [1, 2, 0, 1])
    assert ci.groups == ["all"] and ci.causes == [1, 2]
    with pytest.raises(ValueError, match=r"status: value at position 2 is -1"):
        cumulative_incidence([1, 2, 3], [1, 0, -1])
    with pytest.raises(ValueError, match=r"status: value at position 1 is 1\.5"):
        cumulative_incidence([1, 2, 3], [1, 1.5, 0])


def test_estimates_sum_with_km_to_one():
    # F_1 + F_2 + S = 1 at every event time (Aalen-Johansen is a proper distribution)
    rng = np.random.default_rng(3)
    t = rng.integers(1, 40, 300).astype(float)
    s = rng.integers(0, 3, 300)
    from mabseq.stats import kaplan_meier

    ci = cumulative_incidence(t, s).table
    km = kaplan_meier(t, (s > 0).astype(int)).table.set_index("time")
    f = ci.pivot_table(index="time", columns="cause", values="estimate")
    np.testing.assert_allclose(f.sum(axis=1) + km.loc[f.index, "surv"], 1.0, rtol=1e-12)


def test_large_and_bad_status_codes_are_not_wrapped():
    # a code of 200 is a cause of its own (int8 storage would wrap it to censored)
    ci = cumulative_incidence([1, 2, 3, 4, 5], [1, 200, 0, 1, 200])
    assert ci.causes == [1, 200]
    at4 = ci.at([4]).set_index("cause").estimate
    assert at4[1] == pytest.approx(0.5)
    with pytest.raises(ValueError, match=r"status: value at position 1 is inf"):
        cumulative_incidence([1, 2], [1, np.inf])


# ---- Gray's test against cuminc's Tests --------------------------------------------------------------------------
@pytest.mark.parametrize("case,ds,t,s,g", CASES, ids=[c[0] for c in CASES])
def test_gray_public(goldens, case, ds, t, s, g):
    d = data(ds)
    res = gray_test(d[t], d[s], d[g])
    assert_matches(res.cause, goldens[case, "gray_cause"], f"{case} causes")
    assert_matches(res.statistic, goldens[case, "gray_stat"], f"{case} statistic")
    assert_matches(res.df, goldens[case, "gray_df"], f"{case} df")
    # R reports 1 - pchisq(); compare p-values where that subtraction keeps 8 digits
    p_r = goldens[case, "gray_p"]
    ok = p_r > 1e-7
    assert_matches(res.p_value[ok], p_r[ok], f"{case} p")


def test_gray_bmt_rho_and_strata(goldens):
    d = data("bmt")
    assert_matches(gray_test(d.t2, d.cr_status, d.group, rho=1).statistic, goldens["gray_bmt_rho1", "stat"],
                   "bmt rho=1")
    assert_matches(gray_test(d.t2, d.cr_status, d.group, strata=d.z2 > 30).statistic,
                   goldens["gray_bmt_strata", "stat"], "bmt strata")


GRAY_CASES = data("gray_cases")


@pytest.mark.parametrize("case", sorted(GRAY_CASES["case"].unique()))
def test_gray_random(goldens, case):
    d = GRAY_CASES[GRAY_CASES.case == case]
    res = gray_test(d.time, d.status, d.group, strata=d.strata, rho=d.rho.iloc[0])
    assert_matches(res.cause, goldens[case, "cause"], f"{case} causes")
    # R reports a singular variance as statistic -1 (and p = 1); mabseq reports NaN for both
    stat_r = goldens[case, "stat"]
    singular = stat_r == -1
    assert_matches(res.statistic, np.where(singular, np.nan, stat_r), f"{case} statistic")
    p_r = goldens[case, "p"]
    ok = (p_r > 1e-7) & ~singular
    assert res.p_value[singular].isna().all()
    assert_matches(res.p_value[ok], p_r[ok], f"{case} p")


def test_gray_invariant_to_order_and_labels():
    d = data("bmt")
    base = gray_test(d.t2, d.cr_status, d.group)
    perm = np.random.default_rng(1).permutation(len(d))
    e = d.iloc[perm]
    relabelled = gray_test(e.t2, e.cr_status, e.group.map({1: "a", 2: "b", 3: "c"}))
    np.testing.assert_allclose(relabelled.statistic, base.statistic, rtol=1e-12)


def test_gray_errors():
    with pytest.raises(ValueError, match="at least two groups"):
        gray_test([1, 2, 3], [1, 0, 2], [1, 1, 1])
    with pytest.raises(ValueError, match="status: value at position 1"):
        gray_test([1, 2, 3], [1, -1, 2], [1, 2, 1])
    with pytest.raises(ValueError, match="rho"):
        gray_test([1, 2, 3], [1, 0, 2], [1, 2, 1], rho=float("nan"))


def test_gray_no_events_of_a_cause_has_no_row():
    res = gray_test([1, 2, 3, 4], [1, 0, 1, 0], [1, 1, 2, 2])
    assert list(res.cause) == [1]


def test_gray_review_cases_against_r(goldens):
    """Cases found in review: a pooled incidence reaching 1 (0 x inf terms must vanish), and a variance with columns
    on very different scales (R's rank rule)."""
    assert_matches(gray_test([1, 2, 3, 4], [1, 1, 1, 1], [0, 0, 1, 1]).statistic,
                   goldens["gray_review_f0_one", "stat"], "F0 reaches 1")
    assert_matches(gray_test([1, 2, 3, 4], [1, 1, 1, 1], [0, 0, 1, 1], rho=1).statistic,
                   goldens["gray_review_f0_one_rho1", "stat"], "F0 reaches 1, rho 1")
    t = np.r_[1, 2, np.arange(3, 23)].astype(float)
    s = np.r_[1, 1, np.tile([1, 1, 2, 1], 5)]
    g = np.r_[0, 0, np.tile([1, 2], 10)]
    r_stat = goldens["gray_review_scales", "stat"]
    assert_matches(gray_test(t, s, g, rho=-6).statistic, np.where(r_stat == -1, np.nan, r_stat), "scales")
