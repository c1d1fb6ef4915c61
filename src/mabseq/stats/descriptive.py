"""Descriptive statistics: sample quantiles by Hyndman-Fan type, and exact binomial intervals.

Sample quantiles (Hyndman & Fan 1996, Am Stat 50:361), for sorted x_(1) <= ... <= x_(n) and probability p:

* type 7 (R's default): h = (n - 1) p + 1, Q = x_(floor h) + (h - floor h)(x_(floor h + 1) - x_(floor h)).
* type 2 (SAS's definition 5, gtsummary's): with m = n p, j = floor(m), g = m - j:
  Q = x_(j+1) if g > 0, else (x_(j) + x_(j+1)) / 2 (limited to the sample range).

R applies a fuzz of 4 machine epsilons to ``n p`` in type 2 so that n p exactly integer is recognised despite
rounding; this module does the same.

Clopper-Pearson (1934, Biometrika 26:404) interval for x successes in n trials (R ``binom.test``):
lower = Beta^-1(alpha/2; x, n - x + 1), upper = Beta^-1(1 - alpha/2; x + 1, n - x).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
from .distributions import beta_ppf

QUANTILE_TYPES = (2, 7)
_FUZZ = 4.0 * np.finfo(float).eps


def quantile(x, probs, *, type: int = 7) -> np.ndarray:
    """Sample quantiles of ``x`` (NaN dropped) at ``probs`` by Hyndman-Fan ``type`` 7 (R default) or 2."""
    arr = np.asarray(x, dtype=float)
    arr = np.sort(arr[~np.isnan(arr)])
    p = np.atleast_1d(np.asarray(probs, dtype=float))
    if ((p < 0) | (p > 1) | np.isnan(p)).any():
        raise ValueError(f"probs: {probs!r} must lie in [0, 1]")
    n = arr.shape[0]
    if n == 0:
        return np.full(p.shape, np.nan)
    if type == 7:
        h = (n - 1) * p  # zero-based position
        lo = np.floor(h).astype(np.int64)
        hi = np.minimum(lo + 1, n - 1)
        frac = h - lo
        xlo, xhi = arr[lo], arr[hi]
        return np.where(frac > 0, (1.0 - frac) * xlo + frac * xhi, xlo)
    if type == 2:
        m = n * p
        j = np.floor(m + _FUZZ).astype(np.int64)
        upper = arr[np.clip(j, 0, n - 1)]  # x_(j+1), zero-based j
        lower = arr[np.clip(j - 1, 0, n - 1)]  # x_(j)
        return np.where(m > j, upper, (lower + upper) / 2.0)
    raise ValueError(f"type: {type!r} is not one of {QUANTILE_TYPES}")


class Summary(NamedTuple):
    n: int
    median: float
    q1: float
    q3: float
    minimum: float
    maximum: float


def summarize(x, *, type: int = 7) -> Summary:
    """n (non-missing), median, quartiles (by ``type``) and range of ``x``."""
    arr = np.asarray(x, dtype=float)
    arr = arr[~np.isnan(arr)]
    if arr.size == 0:
        nan = float("nan")
        return Summary(0, nan, nan, nan, nan, nan)
    q1, med, q3 = quantile(arr, [0.25, 0.5, 0.75], type=type)
    return Summary(int(arr.size), float(med), float(q1), float(q3), float(arr.min()), float(arr.max()))


class Proportion(NamedTuple):
    x: int
    n: int
    estimate: float
    lower: float
    upper: float


def clopper_pearson(x: int, n: int, *, conf_level: float = 0.95) -> Proportion:
    """Exact (Clopper-Pearson) confidence interval for a binomial proportion x/n, as R ``binom.test``."""
    if n != int(n) or x != int(x) or n < 1 or x < 0 or x > n:
        raise ValueError(f"x, n: need integers with 0 <= x <= n and n >= 1, got x={x!r}, n={n!r}")
    if not (0.0 < conf_level < 1.0):
        raise ValueError(f"conf_level: {conf_level!r} is not in (0, 1)")
    x, n = int(x), int(n)
    alpha = 1.0 - conf_level
    lower = 0.0 if x == 0 else float(beta_ppf(alpha / 2.0, x, n - x + 1))
    upper = 1.0 if x == n else float(beta_ppf(1.0 - alpha / 2.0, x + 1, n - x))
    return Proportion(x, n, x / n, lower, upper)


__all__ = ["quantile", "summarize", "Summary", "clopper_pearson", "Proportion", "QUANTILE_TYPES"]
