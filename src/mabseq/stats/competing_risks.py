"""Cumulative incidence of competing events (Aalen-Johansen), with the variance R ``cmprsk::cuminc`` reports.

For one group, at distinct event times t_l (any cause) with n_l at risk, d_cl events of cause c and d_l of all causes,
and S the all-cause Kaplan-Meier estimate:

    F_c(t) = sum_{t_l <= t} S(t_l-) d_cl / n_l

The variance is the delta-method (Aalen-type) estimator with a correction for tied events (Marubini & Valsecchi
1995, *Analysing Survival Data from Clinical Trials and Observational Studies*, ch. 10; the estimator cmprsk
documents for ``cuminc``). With a_l = S(t_l-)^2 d (n_l - d) / (n_l^2 (n_l - 1)) for a count d of events at t_l
(a_l = S(t_l-)^2 d / n_l^2 when n_l = 1), and D_l(t) = (F_c(t) - F_c(t_l)) / S(t_l):

    Var F_c(t) = sum_{t_l <= t} [ a_l(d_cl) (1 - D_l(t))^2 + a_l(d_l - d_cl) D_l(t)^2 ]

where a term whose S(t_l) is 0 keeps only its first part with D_l = 0. Expanding the squares in F_c(t) turns the
sum into three running sums, so the whole curve costs O(T).

The pointwise interval is the log(-log) transform (as tidycmprsk reports it):
F^exp(+-z sqrt(Var) / (F log F)), undefined (NaN) where F is 0 or 1.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from .distributions import chi2_sf

from ._counting import count_by_time
from ._validate import as_codes, as_times, conf_z

TABLE_COLUMNS = ["group", "cause", "time", "estimate", "variance", "lower", "upper"]


def _as_status(status, n: int) -> np.ndarray:
    """Status codes as int64: 0 = censored, 1, 2, ... = causes; anything else names its position."""
    raw = np.asarray(status)
    if raw.ndim != 1 or raw.shape[0] != n:
        raise ValueError(f"status: expected {n} values in a 1-d array, got shape {raw.shape}")
    try:
        arr = raw.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError("status: values must be integer codes (0 = censored, 1..K = causes)") from None
    bad = ~np.isfinite(arr) | (arr < 0) | (arr != np.floor(arr)) | (arr > 2**31)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        v = raw[i].item() if isinstance(raw[i], np.generic) else raw[i]
        raise ValueError(f"status: value at position {i} is {v!r}; codes are 0 (censored) or 1..K (causes)")
    return arr.astype(np.int64)


def _loglog_interval(est: np.ndarray, var: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):  # est near 1: est ** inf = 0, as in R
        half = z * np.sqrt(var) / (est * np.log(est))
        lower = est ** np.exp(-half)
        upper = est ** np.exp(half)
    bad = (est <= 0) | (est >= 1) | ~np.isfinite(var)
    return np.where(bad, np.nan, lower), np.where(bad, np.nan, upper)


def _tie_weight(surv_before: np.ndarray, d: np.ndarray, n: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        corr = np.where(n > 1, (n - d) / (n - 1), 1.0)
        return np.where(d > 0, surv_before**2 * d * corr / (n * n), 0.0)


def _one_group(t: np.ndarray, status: np.ndarray, causes: np.ndarray):
    """Aalen-Johansen curves and variances of every cause for one group, at its distinct event times."""
    # one counting pass with the status code as the cell: exits of cell c are the cause-c events at each time
    codes = np.concatenate([[0], causes])
    cell = np.searchsorted(codes, status)
    base = count_by_time(t, np.zeros(t.shape[0], dtype=np.int8), cell=cell, n_cells=codes.size)
    by_cause = base.exits[1:]
    d_all = by_cause.sum(axis=0)
    is_event = d_all > 0
    times = base.times[is_event]
    n = base.at_risk.sum(axis=0)[is_event]
    d_all = d_all[is_event]
    surv_after = np.cumprod(1.0 - d_all / n)
    surv_before = np.concatenate([[1.0], surv_after[:-1]])
    out = {}
    for c, counts in zip(causes, by_cause):
        d_c = counts[is_event]
        est = np.cumsum(surv_before * d_c / n)
        d_o = d_all - d_c
        a_c = _tie_weight(surv_before, d_c, n)
        a_o = _tie_weight(surv_before, d_o, n)
        pos = surv_after > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            inv_s = np.where(pos, 1.0 / surv_after, 0.0)
        # term for cause-c events:  a_c (1 + (F_l - F) / S_l)^2   with u = 1 + F_l/S_l, v = 1/S_l  ->  (u - F v)^2
        # term for other events:    a_o ((F_l - F) / S_l)^2        with u = F_l/S_l,     v = 1/S_l (only where S_l > 0)
        u_c = 1.0 + est * inv_s
        u_o = est * inv_s
        a_o = np.where(pos, a_o, 0.0)
        s_uu = np.cumsum(a_c * u_c * u_c + a_o * u_o * u_o)
        s_uv = np.cumsum(a_c * u_c * inv_s + a_o * u_o * inv_s)
        s_vv = np.cumsum((a_c + a_o) * inv_s * inv_s)
        var = s_uu - 2.0 * est * s_uv + est * est * s_vv
        out[int(c)] = (est, var)
    return times, out, float(t.max())


class CumulativeIncidence:
    """Result of :func:`cumulative_incidence`: ``.table`` (tidy, every event time) and ``.at(times)``."""

    def __init__(self, curves, last_times, groups, causes, conf_level):
        self._curves = curves  # {(group, cause): (times, est, var)}
        self._last = last_times  # {group: largest follow-up time}
        self.groups = groups
        self.causes = causes
        self.conf_level = conf_level
        self._z = conf_z(conf_level)

    @property
    def table(self) -> pd.DataFrame:
        parts = []
        for (g, c), (times, est, var) in self._curves.items():
            lo, hi = _loglog_interval(est, var, self._z)
            parts.append(pd.DataFrame({"group": g, "cause": c, "time": times, "estimate": est, "variance": var,
                                       "lower": lo, "upper": hi}))
        return _stack(parts)

    def at(self, times) -> pd.DataFrame:
        """Values at given times, as cmprsk ``timepoints``: the step function at t, NaN after a group's last time."""
        t = np.sort(as_times(times, "times", allow_negative=True))
        parts = []
        for (g, c), (ts, est, var) in self._curves.items():
            k = np.searchsorted(ts, t, side="right") - 1
            e = np.where(k >= 0, est[np.maximum(k, 0)] if est.size else 0.0, 0.0)
            v = np.where(k >= 0, var[np.maximum(k, 0)] if var.size else 0.0, 0.0)
            beyond = t > self._last[g]
            e = np.where(beyond, np.nan, e)
            v = np.where(beyond, np.nan, v)
            lo, hi = _loglog_interval(e, v, self._z)
            parts.append(pd.DataFrame({"group": g, "cause": c, "time": t, "estimate": e, "variance": v,
                                       "lower": lo, "upper": hi}))
        return _stack(parts)


def _stack(parts) -> pd.DataFrame:
    """The tidy table; with no event of any cause it has the columns and no rows."""
    if not parts:
        return pd.DataFrame({c: pd.Series(dtype=float if c != "group" else object) for c in TABLE_COLUMNS})
    return pd.concat(parts, ignore_index=True)[TABLE_COLUMNS]


def cumulative_incidence(time, status, group=None, *, conf_level: float = 0.95) -> CumulativeIncidence:
    """Aalen-Johansen cumulative incidence of each cause, per group (R ``cmprsk::cuminc``).

    Parameters
    ----------
    time : times >= 0.
    status : 0 = censored, 1..K = cause of the event. Curves are made for every cause that occurs in the data;
        a cause with no events has no curve, and with no events at all the tables are empty.
    group : optional group labels (curves per group, sorted labels); None gives one group labelled "all".
    """
    t = as_times(time, "time")
    n = t.shape[0]
    if n == 0:
        raise ValueError("time: no records")
    st = _as_status(status, n)
    causes = np.unique(st[st > 0])
    if group is None:
        levels, g = np.array(["all"]), np.zeros(n, dtype=np.int64)
    else:
        levels, g = as_codes(group, "group", n)
    curves, last = {}, {}
    for j, lev in enumerate(levels):
        sel = g == j
        times, out, tmax = _one_group(t[sel], st[sel], causes)
        key = lev.item() if isinstance(lev, np.generic) else lev
        last[key] = tmax
        for c in causes:
            est, var = out[int(c)]
            curves[(key, int(c))] = (times, est, var)
    return CumulativeIncidence(curves, last, [lv.item() if isinstance(lv, np.generic) else lv for lv in levels],
                               [int(c) for c in causes], conf_level)


def _gray_stratum(t, cls, g, n_groups, rho):
    """Score vector and variance matrix of Gray's test within one stratum.

    ``cls`` is 0 (censored), 1 (the cause tested) or 2 (any other cause); ``g`` holds group codes 0..K-1.
    Notation of :func:`gray_test`; arrays are (K, T) over groups and the distinct times with an event.
    """
    K = n_groups
    base = count_by_time(t, np.zeros(t.shape[0], dtype=np.int8), cell=g * 3 + cls, n_cells=3 * K)
    exits = base.exits.reshape(K, 3, -1)
    d1, d2 = exits[:, 1], exits[:, 2]
    Y = base.at_risk.reshape(K, 3, -1).sum(axis=1)
    D1 = d1.sum(axis=0)
    keep = (D1 + d2.sum(axis=0)) > 0
    d1, d2, Y, D1 = d1[:, keep], d2[:, keep], Y[:, keep], D1[keep]
    occupied = Y > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        # each group's all-cause Kaplan-Meier S_k and cumulative incidence F_k of the cause (left limits: _b)
        S_a = np.cumprod(np.where(occupied, 1.0 - (d1 + d2) / Y, 1.0), axis=1)
        S_b = np.concatenate([np.ones((K, 1)), S_a[:, :-1]], axis=1)
        F_b = np.cumsum(np.where(occupied, S_b * d1 / Y, 0.0), axis=1) - np.where(occupied, S_b * d1 / Y, 0.0)
        h = np.where(occupied, Y / S_b, 0.0)  # Y_k / S_k(t-)
        R = h * (1.0 - F_b)  # subdistribution risk set of group k
        H, Q = h.sum(axis=0), R.sum(axis=0)
        # pooled cumulative incidence under the null, its left limit and the G-rho weight
        F0_a = np.cumsum(D1 / H)
        F0_b = F0_a - D1 / H
        W = (1.0 - F0_b) ** rho
        # a group with nobody at risk contributes nothing at that time (never 0 * inf: F0(t-) can reach 1, and
        # W is infinite there when rho < 0)
        score = np.where(occupied, W * (d1 - D1 * R / Q), 0.0).sum(axis=1)
        # A[i, k] = W h_i (delta_ik - h_k / H): weight of group k's cause martingale in score i
        frac = h / H
        both = occupied[:, None, :] & occupied[None, :, :]
        A = np.where(both, -(W * h)[:, None, :] * frac[None, :, :], 0.0)
        A[np.arange(K), np.arange(K)] = np.where(occupied, W * h * (1.0 - frac), 0.0)  # 0 when alone at risk
        # remaining integral over later times: C[i, k](t) = sum_{u > t} A[i, k](u) dF0(u) / (1 - F0(u-))
        step = np.where(D1 > 0, D1 / (H * (1.0 - F0_b)), 0.0)
        inc = np.where(both & (D1 > 0), A * step, 0.0)
        C = inc[..., ::-1].cumsum(axis=-1)[..., ::-1] - inc
        pos = S_a > 0
        surv_ratio = np.where(pos, (1.0 - F0_a) / np.where(pos, S_a, 1.0), 0.0)  # (1 - F0(t)) / S_k(t)
        g1 = A + np.where(pos, 1.0 - surv_ratio, 1.0)[None] * C
        g2 = surv_ratio[None] * C
        # variance of each group's increments: cause events under the null (with a tie correction), other causes
        tie1 = np.where(D1 > 1, 1.0 - (D1 - 1.0) / (H * S_b - 1.0), 1.0)
        v1 = np.where(occupied & (D1 > 0), tie1 * S_b * D1 / (H * Y), 0.0)
        tie2 = np.where(d2 > 1, 1.0 - (d2 - 1.0) / (Y - 1.0), 1.0)
        v2 = np.where(occupied & pos & (d2 > 0), tie2 * S_b**2 * d2 / Y**2, 0.0)
        var = np.einsum("ikt,jkt,kt->ij", g1, g1, v1) + np.einsum("ikt,jkt,kt->ij", g2, g2, v2)
    return score, var


def _full_rank(v: np.ndarray, tol: float = 1e-7) -> bool:
    """Full rank as R's ``qr()`` (LINPACK dqrdc2, limited column pivoting) decides it for cuminc: a column is
    deficient when what remains of it, after removing the columns kept before it, is below ``tol`` times its own
    original norm."""
    if not np.all(np.isfinite(v)):
        return False
    norms = np.linalg.norm(v, axis=0)
    kept: list[int] = []
    for j in range(v.shape[1]):
        r = v[:, j]
        if kept:
            q, _ = np.linalg.qr(v[:, kept])
            r = r - q @ (q.T @ r)
        if norms[j] > 0 and np.linalg.norm(r) >= tol * norms[j]:
            kept.append(j)
    return len(kept) == v.shape[1]


def gray_test(time, status, group, *, strata=None, rho: float = 0.0) -> pd.DataFrame:
    """Gray's K-sample test of equal cumulative incidence, one row per cause (R ``cmprsk::cuminc``'s ``Tests``).

    Gray RJ (1988), *A class of K-sample tests for comparing the cumulative incidence of a competing risk*,
    Ann Stat 16:1141-1154. For the cause tested, at each distinct event time t within a stratum and for group k with
    Y_k at risk, d_1k events of the cause and d_2k of other causes, all-cause Kaplan-Meier S_k and cumulative
    incidence F_k of the cause:

    * h_k = Y_k / S_k(t-), R_k = h_k (1 - F_k(t-)) (the subdistribution risk set); H = sum h_k, Q = sum R_k;
    * the pooled cumulative incidence under the null, F0(t) = F0(t-) + D_1 / H, and the weight
      W(t) = (1 - F0(t-))^rho (rho = 0: the log-rank-type test);
    * score  U_i = sum_t W (d_1i - D_1 R_i / Q);
    * variance  V_ij = sum_k sum_t [ g1_ik g1_jk v1_k + g2_ik g2_jk v2_k ], the martingale representation of the
      subdistribution hazard (Gray 1988, sec. 2) evaluated under the null, where
      A_ik = W h_i (delta_ik - h_k / H), C_ik(t) = sum_{u > t} A_ik(u) D_1(u) / (H(u) (1 - F0(u-))),
      g1_ik = A_ik + (1 - (1 - F0(t)) / S_k(t)) C_ik,  g2_ik = ((1 - F0(t)) / S_k(t)) C_ik,
      v1_k = c1 S_k(t-) D_1 / (H Y_k) with the tie correction c1 = 1 - (D_1 - 1) / (H S_k(t-) - 1),
      v2_k = c2 S_k(t-)^2 d_2k / Y_k^2 with c2 = 1 - (d_2k - 1) / (Y_k - 1).

    Scores and variances add over strata. The statistic U' V^-1 U uses the first K-1 groups (sorted labels) and is
    chi-square with K-1 df. Where V is singular the statistic and p-value are NaN (R reports -1). Memory is
    O(K^2 T) for T distinct event times.

    Returns a DataFrame with columns ``cause, statistic, df, p_value``, one row per cause present in ``status``
    (no rows when nothing but censoring was observed).
    """
    t = as_times(time, "time")
    n = t.shape[0]
    if n == 0:
        raise ValueError("time: no records")
    st = _as_status(status, n)
    levels, g = as_codes(group, "group", n)
    K = levels.shape[0]
    if K < 2:
        raise ValueError(f"group: Gray's test needs at least two groups, found {K}")
    if strata is None:
        s_codes, n_strata = np.zeros(n, dtype=np.int64), 1
    else:
        s_levels, s_codes = as_codes(strata, "strata", n)
        n_strata = s_levels.shape[0]
    rho = float(rho)
    if not np.isfinite(rho):
        raise ValueError(f"rho: must be a finite number, got {rho!r}")
    rows = []
    for c in np.unique(st[st > 0]):
        cls = np.where(st == c, 1, np.where(st > 0, 2, 0)).astype(np.int64)
        U = np.zeros(K)
        V = np.zeros((K, K))
        for s in range(n_strata):
            sel = s_codes == s
            u, v = _gray_stratum(t[sel], cls[sel], g[sel], K, rho)
            U += u
            V += v
        u, v = U[:-1], V[:-1, :-1]
        if _full_rank(v):
            stat = float(u @ np.linalg.solve(v, u))
            p = float(chi2_sf(stat, K - 1))
        else:
            stat = p = float("nan")
        rows.append({"cause": int(c), "statistic": stat, "df": K - 1, "p_value": p})
    out = pd.DataFrame(rows, columns=["cause", "statistic", "df", "p_value"])
    return out.astype({"cause": np.int64, "statistic": float, "df": np.int64, "p_value": float})


__all__ = ["CumulativeIncidence", "cumulative_incidence", "gray_test"]
