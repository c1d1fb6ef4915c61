"""Fast kernels of the twin search, written by hand on purpose: the annealing evaluates its objective about 1e5 times,
on 25-29 patients, and the general kernels of :mod:`mabseq.stats` (argument checks, tidy tables, every interval)
cost more than the search can pay per call. They compute only what the objective needs (KM at a time with its log
interval, the KM median, the two-group log-rank p, the Kruskal-Wallis p, a type-7 quantile, half-up rounding), and
``tests/test_twin_search.py`` checks each against :mod:`mabseq.stats` on seeded random data; the design itself is
then checked by running the paper preset on it (``python -m mabseq.studies.twin_search``).
"""
from __future__ import annotations

import math

import numpy as np


Z95 = 1.959963984540054


def _km_steps(t, e):
    t = np.asarray(t, float)
    e = np.asarray(e, int)
    ts = np.sort(t)
    times = np.unique(t)
    n_at = (t.size - np.searchsorted(ts, times, side="left")).astype(float)
    te = np.sort(t[e == 1])
    d = (np.searchsorted(te, times, side="right") - np.searchsorted(te, times, side="left")).astype(float)
    fac = np.where(d > 0, 1 - d / n_at, 1.0)
    surv = np.cumprod(fac)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(d > 0, d / (n_at * (n_at - d)), 0.0)
    var = np.cumsum(term)
    return times, surv, var, d


def km_at(t, e, at=365.0):
    times, surv, var, _ = _km_steps(t, e)
    k = np.searchsorted(times, at, side="right") - 1
    if k < 0:
        return 1.0, 1.0, 1.0
    s, v = surv[k], var[k]
    if s <= 0 or not np.isfinite(v):
        return s, float("nan"), float("nan")
    se = math.sqrt(v)
    return s, s * math.exp(-Z95 * se), min(1.0, s * math.exp(Z95 * se))


def km_median(t, e):
    times, surv, var, d = _km_steps(t, e)
    with np.errstate(invalid="ignore", over="ignore"):
        se = np.sqrt(var)
        lower = surv * np.exp(-Z95 * se)
        upper = np.minimum(1.0, surv * np.exp(Z95 * se))
    lower = np.where(surv <= 0, np.nan, lower)
    upper = np.where(surv <= 0, np.nan, upper)

    def rule(y):
        hit = np.flatnonzero(~np.isnan(y) & (y < 0.5 + 1e-8))
        if not hit.size:
            return float("nan")
        i = hit[0]
        if abs(y[i] - 0.5) < 1e-8:
            later = np.flatnonzero(~np.isnan(y[i:]) & (y[i:] < y[i]))
            if later.size:
                return (times[i] + times[i + later[0]]) / 2
        return float(times[i])

    return rule(surv), rule(lower), rule(upper)


def km_half(t, e):
    """True when the KM curve sits exactly at 0.5 (the median is then a midpoint rule; avoided in the twin)."""
    _, surv, _, _ = _km_steps(t, e)
    return bool(np.any(np.abs(surv - 0.5) < 1e-9))


def lr2(t, e, g):
    """two-group log-rank p (survdiff), vectorised"""
    t = np.asarray(t, float)
    e = np.asarray(e, int)
    g = np.asarray(g, bool)
    u = np.unique(t[e == 1])
    if u.size == 0:
        return float("nan")
    ts = np.sort(t)
    ts1 = np.sort(t[g])
    n = t.size - np.searchsorted(ts, u, side="left")
    n1 = ts1.size - np.searchsorted(ts1, u, side="left")
    te = np.sort(t[e == 1])
    te1 = np.sort(t[(e == 1) & g])
    dd = np.searchsorted(te, u, side="right") - np.searchsorted(te, u, side="left")
    d1 = np.searchsorted(te1, u, side="right") - np.searchsorted(te1, u, side="left")
    frac = n1 / n
    ex = (dd * frac).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(n > 1, dd * frac * (1 - frac) * (n - dd) / (n - 1), 0.0).sum()
    if v <= 0:
        return float("nan")
    stat = (d1.sum() - ex) ** 2 / v
    return math.erfc(math.sqrt(stat / 2))


def kw2(x, g):
    """two-group Kruskal-Wallis p with tie correction (kruskal.test), fast"""
    from scipy.stats import rankdata

    x = np.asarray(x, float)
    g = np.asarray(g, bool)
    nn = x.size
    r = rankdata(x)
    n1 = g.sum()
    n2 = nn - n1
    r1 = r[g].sum()
    r2 = r[~g].sum()
    h = 12.0 / (nn * (nn + 1)) * (r1 * r1 / n1 + r2 * r2 / n2) - 3 * (nn + 1)
    _, cnt = np.unique(x, return_counts=True)
    corr = 1 - ((cnt ** 3 - cnt).sum()) / (nn ** 3 - nn)
    if corr <= 0:
        return float("nan")
    h /= corr
    return math.erfc(math.sqrt(max(h, 0) / 2))


def hu(x, k=0):
    """half-up rounding of a float for the search (final matching uses Decimal)."""
    if isinstance(x, float) and math.isnan(x):
        return float("nan")
    f = 10 ** k
    return math.floor(x * f + 0.5 + 1e-9) / f


def q(x, p):
    """type-7 quantile (fast path of numpy 'linear')"""
    xs = np.sort(np.asarray(x, float))
    h = (xs.size - 1) * p
    lo = int(math.floor(h))
    hi = min(lo + 1, xs.size - 1)
    return float(xs[lo] + (h - lo) * (xs[hi] - xs[lo]))


