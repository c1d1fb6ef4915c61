"""Properties of the competing-risks estimators that must hold on any data (hypothesis)."""
from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mabseq.stats import cumulative_incidence, fine_gray, gray_test, kaplan_meier


@st.composite
def cr_data(draw, min_n=6, max_n=60):
    n = draw(st.integers(min_n, max_n))
    time = draw(st.lists(st.integers(1, 15), min_size=n, max_size=n))
    status = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    group = draw(st.lists(st.integers(0, 2), min_size=n, max_size=n))
    return np.array(time, float), np.array(status), np.array(group)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cr_data())
def test_incidences_and_survival_add_to_one(d):
    t, s, _ = d
    ci = cumulative_incidence(t, s).table
    km = kaplan_meier(t, (s > 0).astype(int)).table
    km = km[km.n_event > 0].set_index("time").surv
    total = ci.pivot_table(index="time", columns="cause", values="estimate").sum(axis=1)
    np.testing.assert_allclose(total + km.reindex(total.index), 1.0, atol=1e-12)
    assert (ci.variance >= -1e-15).all()
    for _, cur in ci.groupby("cause"):
        assert np.all(np.diff(cur.estimate.to_numpy()) >= -1e-15)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cr_data(), st.sampled_from([0.0, 0.5, 1.0]), st.randoms(use_true_random=False))
def test_gray_invariant_to_order_and_labels(d, rho, rnd):
    t, s, g = d
    if np.unique(g).size < 2:
        return
    res = gray_test(t, s, g, rho=rho)
    perm = np.array(rnd.sample(range(t.size), t.size))
    names = np.array(["c", "a", "b"])[g]  # a relabelling that changes the sort order of the groups
    res2 = gray_test(t[perm], s[perm], names[perm], rho=rho)
    np.testing.assert_allclose(res2.statistic, res.statistic, rtol=1e-8, atol=1e-12)
    p = res.p_value.dropna()
    assert ((p >= 0) & (p <= 1)).all()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(0, 10_000), st.floats(0.1, 10))
def test_fine_gray_coef_scales_with_covariate(seed, scale):
    rng = np.random.default_rng(seed)
    n = 80
    t = np.ceil(rng.exponential(10, n))
    s = rng.choice([0, 1, 2], n, p=[0.3, 0.4, 0.3])
    x = rng.normal(size=(n, 2))
    if (s == 1).sum() < 3:
        return
    a = fine_gray(t, s, x)
    b = fine_gray(t, s, x * [scale, 1.0])
    np.testing.assert_allclose(b.coef, a.coef / [scale, 1.0], rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(b.se, a.se / [scale, 1.0], rtol=1e-7, atol=1e-10)
    np.testing.assert_allclose(b.loglik, a.loglik, rtol=1e-10)
