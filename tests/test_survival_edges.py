"""Defined behaviour at the edges, errors that name the argument and position, and property tests."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mabseq.stats import kaplan_meier, logrank_test, median_followup


@pytest.mark.parametrize(
    "time,event,match",
    [
        ([1, -2, 3], [1, 0, 1], r"time: value at position 1 is -2\.0"),
        ([1, np.nan, 3], [1, 0, 1], r"time: value at position 1 is nan"),
        ([1, 2, np.inf], [1, 0, 1], r"time: value at position 2 is inf"),
        ([1, 2, 3], [1, 2, 1], r"event: value at position 1 is 2"),
        ([1, 2, 3], [1, 0, -1], r"event: value at position 2 is -1"),
        ([1, 2, 3], [1, 0], r"event: length 2 does not match time length 3"),
        ([], [], r"time: no records"),
        (["a", 2], [1, 0], r"time: values must be numeric"),
    ],
)
def test_invalid_input_names_argument_and_position(time, event, match):
    with pytest.raises(ValueError, match=match):
        kaplan_meier(time, event)


def test_invalid_entry_and_group():
    with pytest.raises(ValueError, match=r"entry: value at position 1 is 5\.0, not before time 5\.0"):
        kaplan_meier([3, 5], [1, 1], entry=[0, 5])
    with pytest.raises(ValueError, match=r"entry: length 1 does not match time length 2"):
        kaplan_meier([3, 5], [1, 1], entry=[0])
    with pytest.raises(ValueError, match=r"group: length 2 does not match time length 3"):
        logrank_test([1, 2, 3], [1, 1, 0], ["a", "b"])
    with pytest.raises(ValueError, match=r"group: value at position 1 is missing"):
        logrank_test([1, 2, 3], [1, 1, 0], [1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match=r"group: needs at least 2 distinct groups"):
        logrank_test([1, 2, 3], [1, 1, 0], ["a", "a", "a"])
    with pytest.raises(ValueError, match=r"conf_type"):
        kaplan_meier([1, 2], [1, 1], conf_type="arcsin")


def test_events_at_time_zero_are_kept():
    fit = kaplan_meier([0, 0, 1, 2], [1, 0, 1, 0])
    tab = fit.table
    assert tab.time.iloc[0] == 0 and tab.n_risk.iloc[0] == 4 and tab.n_event.iloc[0] == 1
    assert tab.surv.iloc[0] == pytest.approx(0.75)


def test_all_censored_group():
    fit = kaplan_meier([1, 2, 3], [0, 0, 0])
    assert (fit.table.surv == 1.0).all()
    assert np.isnan(fit.median.estimate)
    r = logrank_test([1, 2, 3, 1, 2, 3], [0, 0, 0, 1, 1, 0], ["a", "a", "a", "b", "b", "b"])
    assert r.observed[0] == 0 and r.expected[0] > 0 and r.df == 1 and 0 < r.p_value < 1


def test_group_of_one_patient():
    r = logrank_test([5, 1, 2, 3, 4], [1, 1, 0, 1, 1], ["solo", "x", "x", "x", "x"])
    assert r.n.tolist() == [1, 4] and r.observed[0] == 1 and np.isfinite(r.statistic)
    fit = kaplan_meier([5], [1])
    assert fit.table.surv.tolist() == [0.0] and fit.median.estimate == 5.0


def test_no_events_at_all_gives_nan_test():
    r = logrank_test([1, 2, 3, 4], [0, 0, 0, 0], [1, 1, 2, 2])
    assert r.df == 0 and np.isnan(r.statistic) and np.isnan(r.p_value)


def test_curve_at_zero_has_undefined_interval():
    tab = kaplan_meier([1, 1, 2, 2], [1, 1, 1, 1]).table
    assert tab.surv.iloc[-1] == 0 and np.isnan(tab.lower.iloc[-1]) and np.isnan(tab.std_err.iloc[-1])


def test_at_beyond_last_time_is_nan_unless_extended():
    fit = kaplan_meier([10, 20, 30], [1, 0, 0])
    a = fit.at([365])
    assert np.isnan(a.surv.iloc[0]) and a.n_risk.iloc[0] == 0
    assert fit.at([365], extend=True).surv.iloc[0] == pytest.approx(2 / 3)


def test_integer_and_float_paths_agree():
    rng = np.random.default_rng(1)
    t = rng.integers(0, 50, 500).astype(float)
    e = rng.integers(0, 2, 500)
    a = kaplan_meier(t, e).table
    b = kaplan_meier(t + 0.5, e).table  # non-integer times take the sorting path
    np.testing.assert_array_equal(a.surv, b.surv)
    np.testing.assert_array_equal(a.n_risk, b.n_risk)


def test_median_followup_reverses_indicator():
    # follow-up of those alive: deaths censor the follow-up distribution
    m = median_followup([10, 20, 30, 40], [1, 0, 0, 1])
    assert m.estimate == 30.0


times = st.lists(st.integers(0, 30), min_size=1, max_size=60)


@st.composite
def survival_data(draw, groups=1):
    t = draw(times)
    n = len(t)
    e = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    g = draw(st.lists(st.integers(0, groups - 1), min_size=n, max_size=n)) if groups > 1 else [0] * n
    return np.array(t, float), np.array(e), np.array(g)


@settings(max_examples=200, deadline=None)
@given(survival_data(), st.sampled_from(["log", "log-log", "plain"]))
def test_survival_never_increases(d, conf_type):
    t, e, _ = d
    s = kaplan_meier(t, e, conf_type=conf_type).table.surv.to_numpy()
    assert (np.diff(s) <= 0).all() and (s >= 0).all() and (s <= 1).all()


@settings(max_examples=150, deadline=None)
@given(survival_data(), st.randoms(use_true_random=False))
def test_km_does_not_depend_on_order(d, rnd):
    t, e, _ = d
    perm = np.array(rnd.sample(range(t.size), t.size))
    a, b = kaplan_meier(t, e).table, kaplan_meier(t[perm], e[perm]).table
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())


@settings(max_examples=150, deadline=None)
@given(survival_data(groups=3), st.randoms(use_true_random=False), st.floats(0, 2))
def test_logrank_does_not_depend_on_order_or_labels(d, rnd, rho):
    t, e, g = d
    if np.unique(g).size < 2:
        return
    base = logrank_test(t, e, g, rho=rho)
    perm = np.array(rnd.sample(range(t.size), t.size))
    relabel = np.array(["zeta", "alpha", "mu"])[g]  # new names, new order of levels
    other = logrank_test(t[perm], e[perm], relabel[perm], rho=rho)
    if np.isnan(base.statistic):
        assert np.isnan(other.statistic)
    else:
        assert other.statistic == pytest.approx(base.statistic, rel=1e-9, abs=1e-12, nan_ok=True)
        assert other.p_value == pytest.approx(base.p_value, rel=1e-9, abs=1e-12, nan_ok=True)
    by_label = dict(zip(["zeta", "alpha", "mu"], range(3)))
    for lev, o in zip(other.groups, other.observed):
        assert o == pytest.approx(base.observed[list(base.groups).index(by_label[lev])])


@settings(max_examples=100, deadline=None)
@given(survival_data(groups=2))
def test_logrank_p_value_in_unit_interval(d):
    t, e, g = d
    if np.unique(g).size < 2:
        return
    r = logrank_test(t, e, g)
    assert np.isnan(r.p_value) or 0.0 <= r.p_value <= 1.0
    assert r.observed.sum() == pytest.approx(r.expected.sum())


def test_integer_times_over_a_wide_range_with_many_cells_stay_small():
    """Review finding: the dense integer path must not allocate cells x span for a wide range of times."""
    import tracemalloc

    from mabseq.stats import gray_test
    rng = np.random.default_rng(0)
    n = 1000
    t = rng.integers(0, 4_000_000, n).astype(float)
    s = rng.integers(0, 3, n)
    g = rng.integers(0, 20, n)
    tracemalloc.start()
    gray_test(t, s, g)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 200e6, peak
