"""Cross-check against comprisk 0.8 (an independent Python implementation; test-only dependency).

comprisk's Gray's test, Aalen-Johansen estimates and Fine-Gray coefficients and naive standard errors must agree
with mabseq to rounding. Its robust standard errors omit crr's censoring-distribution term, so they differ from
mabseq's (and crr's) sandwich by about 1e-4 to 1e-3 relative: the test asserts that difference is there and small.
"""
from __future__ import annotations

import numpy as np
import pytest
from conftest import data

import comprisk
from mabseq.stats import cumulative_incidence, fine_gray, gray_test

BMT = data("bmt")
X_BMT = np.column_stack([BMT.group == 2, BMT.group == 3, BMT.z1, BMT.z2]).astype(float)
PBC = data("pbc")
X_PBC = PBC[["trt", "age", "log_bili", "albumin", "edema"]].to_numpy(float)


def _rand(seed, n=500):
    rng = np.random.default_rng(seed)
    time = np.round(rng.exponential(10, n)) + 1
    status = rng.choice([0, 1, 2], n, p=[0.3, 0.4, 0.3])
    group = rng.integers(0, 3, n)
    return time, status, group


@pytest.mark.parametrize("rho", [0.0, 1.0])
@pytest.mark.parametrize("cause", [1, 2])
def test_gray_equals_comprisk(cause, rho):
    for t, s, g in [(BMT.t2.to_numpy(float), BMT.cr_status.to_numpy(), BMT.group.to_numpy()), _rand(1)]:
        ref = comprisk.gray_test(t, s, g, cause=cause, rho=rho)
        ours = gray_test(t, s, g, rho=rho)
        np.testing.assert_allclose(ours.loc[ours.cause == cause, "statistic"].iloc[0], ref.stat, rtol=1e-9)


def test_aalen_johansen_equals_comprisk():
    t, s, g = _rand(2)
    ref = comprisk.CumulativeIncidence().fit(t, s, group=g)
    tab = cumulative_incidence(t, s, g).table
    for (grp, cause), curve in ref.curves_.items():
        cur = tab[(tab.group == grp) & (tab.cause == cause)]
        est, var = curve.evaluate(cur.time.to_numpy())
        np.testing.assert_allclose(cur.estimate, est, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(cur.variance, var, rtol=1e-9, atol=1e-15)


@pytest.mark.parametrize("name,t,s,X,cause", [
    ("bmt relapse", BMT.t2.to_numpy(float), BMT.cr_status.to_numpy(), X_BMT, 2),
    ("pbc transplant", PBC.time.to_numpy(float), PBC.status.to_numpy(), X_PBC, 1),
])
def test_fine_gray_against_comprisk(name, t, s, X, cause):
    y = comprisk.Surv.from_arrays(event=s, time=t)
    naive = comprisk.FineGrayRegression(cause=cause, max_iter=100, gtol=1e-12).fit(X, y)
    robust = comprisk.FineGrayRegression(cause=cause, max_iter=100, gtol=1e-12, robust_se=True).fit(X, y)
    fit = fine_gray(t, s, X, cause=cause)
    np.testing.assert_allclose(fit.coef, naive.coef_, rtol=1e-8, err_msg=name)
    np.testing.assert_allclose(np.sqrt(np.diag(fit.naive_var)), naive.se_, rtol=1e-8, err_msg=name)
    np.testing.assert_allclose(fit.loglik, naive.log_likelihood_, rtol=1e-10, err_msg=name)
    # comprisk's robust se leaves out the censoring term of crr's sandwich: close, but not equal
    rel = np.abs(robust.se_ / fit.se - 1)
    assert rel.max() < 5e-3 and rel.max() > 1e-7, rel
