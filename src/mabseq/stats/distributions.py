"""The few distribution functions the kernels need, on ``scipy.special``, and the rank helpers of the rank tests.

Why not ``scipy.stats``: importing it costs about a second (its 600 docstrings are parsed at import), which is most
of the budget of a study run on a small cohort (issue 16: the twin's ``run`` under 1 s). ``scipy.stats`` computes
these same quantities from the same ``scipy.special`` functions, so nothing is re-implemented numerically:

- chi-square upper tail  Q(x; k) = Gamma(k/2, x/2) / Gamma(k/2)          ``special.chdtrc(k, x)``
- standard normal        Phi(x), 1 - Phi(x) = Phi(-x), Phi^-1(q)        ``special.ndtr``, ``special.ndtri``
- beta quantile          I^-1_q(a, b) (the Clopper-Pearson limits)      ``special.betaincinv(a, b, q)``
- hypergeometric pmf     C(K, k) C(N-K, n-k) / C(N, n) on log-gamma (R ``dhyper``; relative error ~1e-13 at
  N = 1e3, ~1e-9 at N = 1e6, from the rounding of log-gamma values of size N log N)

The Wilcoxon rank sum's exact null distribution is counted here (see :func:`wilcoxon_exact_cdf`): it is a few lines
of exact integer arithmetic, and pulling in ``scipy.stats`` for it would cost the second this module saves.
"""
from __future__ import annotations

import math

import numpy as np
from scipy import special


def chi2_sf(x, df):
    """P(X > x) for X ~ chi-square(df) (R ``pchisq(x, df, lower.tail = FALSE)``)."""
    return special.chdtrc(df, x)


def norm_cdf(x):
    """Phi(x), the standard normal distribution function (R ``pnorm``)."""
    return special.ndtr(x)


def norm_sf(x):
    """1 - Phi(x) computed as Phi(-x), accurate in the upper tail (R ``pnorm(x, lower.tail = FALSE)``)."""
    return special.ndtr(-np.asarray(x, dtype=float))


def norm_ppf(q):
    """Phi^-1(q), the standard normal quantile (R ``qnorm``)."""
    return special.ndtri(q)


def beta_ppf(q, a, b):
    """The q-quantile of Beta(a, b) (R ``qbeta(q, a, b)``): the x with I_x(a, b) = q."""
    return special.betaincinv(a, b, q)


def hypergeom_pmf(k, total: int, successes: int, draws: int):
    """P(X = k) for X the number of successes in ``draws`` draws without replacement from ``total`` items of which
    ``successes`` are successes (R ``dhyper(k, successes, total - successes, draws)``)."""
    k = np.asarray(k, dtype=float)
    gl = special.gammaln

    def log_comb(n, r):
        return gl(n + 1.0) - gl(r + 1.0) - gl(n - r + 1.0)

    return np.exp(log_comb(successes, k) + log_comb(total - successes, draws - k) - log_comb(total, draws))


def average_ranks(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mid-ranks (1-based, ties get the mean of their positions, R ``rank(ties.method = "average")``) and the size
    of every tie group (groups of one included)."""
    x = np.asarray(x, dtype=float)
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    starts = np.flatnonzero(np.r_[True, xs[1:] != xs[:-1]])
    sizes = np.diff(np.r_[starts, xs.size])
    mid = starts + (sizes + 1) / 2.0  # 1-based mean position of each group
    ranks = np.empty(x.size, dtype=float)
    ranks[order] = np.repeat(mid, sizes)
    return ranks, sizes


def wilcoxon_exact_cdf(m: int, n: int) -> np.ndarray:
    """P(W <= w) for w = 0..m*n, W the Mann-Whitney statistic of samples of m and n without ties (R ``pwilcox``).

    The number of orderings with W = w is the coefficient of q^w in the Gaussian binomial coefficient
    [m+n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i) (Andrews, The Theory of Partitions, 1976, 3.3).
    Each factor is applied to the coefficient list in exact integers: multiplying by (1 - q^s) subtracts the list
    shifted by s; dividing by (1 - q^i) is the running sum with stride i. Dividing by C(m+n, m) gives the pmf.
    """
    coef = [1]
    for i in range(1, m + 1):
        s = n + i
        grown = coef + [0] * n
        mult = [grown[k] - (grown[k - s] if k >= s else 0) for k in range(len(grown))]
        for k in range(i, len(mult)):
            mult[k] += mult[k - i]
        coef = mult
    total = math.comb(m + n, m)
    run, out = 0, np.empty(len(coef), dtype=float)
    for w, c in enumerate(coef):
        run += c
        out[w] = run / total  # exact integers, one correctly rounded division
    return out
