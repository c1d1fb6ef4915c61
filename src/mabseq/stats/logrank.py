"""The k-sample log-rank test and the Fleming-Harrington G(rho) family, as R ``survival::survdiff``.

At each distinct event time t_j of stratum s, with n_gj at risk and d_gj events in group g (n_j, d_j pooled):

    O_g  = sum_j w_j d_gj
    E_g  = sum_j w_j d_j n_gj / n_j
    V_gh = sum_j w_j^2 d_j (n_j - d_j) / (n_j - 1) * (n_gj / n_j) * (delta_gh - n_hj / n_j)

summed over strata, with weights w_j = S(t_j-)^rho from the pooled Kaplan-Meier of the stratum (rho = 0 is the
log-rank test, rho = 1 the Peto-Peto modification of the Gehan-Wilcoxon test). The statistic is
(O - E)' V^- (O - E) on the groups with positive expected count, with df = that number of groups minus one
(Harrington & Fleming 1982, Biometrika 69:553; Kalbfleisch & Prentice 2002, ch. 7.3).

With delayed entry (``entry``), a record is at risk in ``entry < t <= time`` and the same statistic (with the
hypergeometric variance above) is computed on those risk sets. R's survdiff accepts right-censored data only; R users
get the delayed-entry test as the Breslow score test of ``coxph(Surv(entry, time, event) ~ group)``, which equals
this statistic when no event times are tied and differs slightly under ties (its variance lacks the factor
(n - d)/(n - 1)). Where the variance matrix is singular, a generalised inverse is used and df is its rank
(R's survdiff stops with an error instead).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from .distributions import chi2_sf

from ._counting import count_by_time
from ._validate import as_codes, survival_arrays


@dataclass(frozen=True)
class LogRankResult:
    statistic: float
    df: int
    p_value: float
    groups: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    variance: np.ndarray
    n: np.ndarray
    rho: float

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(
            {"group": self.groups, "n": self.n, "observed": self.observed, "expected": self.expected}
        )


def logrank_test(time, event, group, *, entry=None, strata=None, rho: float = 0.0) -> LogRankResult:
    """Compare survival between k >= 2 groups (optionally stratified, optionally weighted by S(t-)^rho).

    Returns statistic, df, p_value, and per group (sorted labels) the observed and expected (weighted) event counts,
    as ``survdiff`` prints them (summed over strata).
    """
    t, e, en = survival_arrays(time, event, entry)
    n = t.shape[0]
    levels, g = as_codes(group, "group", n)
    k = levels.shape[0]
    if k < 2:
        raise ValueError(f"group: needs at least 2 distinct groups, found {k}")
    rho = float(rho)
    if not np.isfinite(rho):
        raise ValueError(f"rho: {rho!r} is not finite")
    if strata is None:
        s_codes = np.zeros(n, dtype=np.int64)
        n_strata = 1
    else:
        s_levels, s_codes = as_codes(strata, "strata", n)
        n_strata = s_levels.shape[0]
    cell = s_codes * k + g
    c = count_by_time(t, e, cell=cell, n_cells=n_strata * k, entry=en)

    obs = np.zeros(k)
    exp = np.zeros(k)
    var = np.zeros((k, k))
    for s in range(n_strata):
        d_g = c.events[s * k:(s + 1) * k].T  # (T, k)
        n_g = c.at_risk[s * k:(s + 1) * k].T
        d = d_g.sum(axis=1)
        nr = n_g.sum(axis=1)
        use = d > 0
        if not use.any():
            continue
        d_g, n_g, d, nr = d_g[use], n_g[use], d[use], nr[use]
        if rho != 0.0:
            surv_after = np.cumprod(1.0 - d / nr)
            w = np.concatenate([[1.0], surv_after[:-1]]) ** rho
        else:
            w = np.ones_like(d)
        p = n_g / nr[:, None]
        obs += (w[:, None] * d_g).sum(axis=0)
        exp += (w[:, None] * d[:, None] * p).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            hyper = np.where(nr > 1, d * (nr - d) / (nr - 1), 0.0)
        cw = w * w * hyper
        var += np.diag((cw[:, None] * p).sum(axis=0)) - (p * cw[:, None]).T @ p

    keep = np.flatnonzero(exp > 0)
    df = max(int(keep.shape[0]) - 1, 0)
    if df == 0:
        stat = float("nan")
        pval = float("nan")
    else:
        diff = (obs - exp)[keep][:-1]
        v = var[np.ix_(keep, keep)][:-1, :-1]
        stat = float(diff @ np.linalg.pinv(v, hermitian=True) @ diff)
        df = int(np.linalg.matrix_rank(v, hermitian=True))
        pval = float(chi2_sf(stat, df)) if df > 0 else float("nan")
    sizes = np.bincount(g, minlength=k)
    return LogRankResult(stat, df, pval, levels, obs, exp, var, sizes, rho)


__all__ = ["LogRankResult", "logrank_test"]
