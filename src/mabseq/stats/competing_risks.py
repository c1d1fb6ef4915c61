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
    with np.errstate(divide="ignore", invalid="ignore"):
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
        return pd.concat(parts, ignore_index=True)[TABLE_COLUMNS]

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
        return pd.concat(parts, ignore_index=True)[TABLE_COLUMNS]


def cumulative_incidence(time, status, group=None, *, conf_level: float = 0.95) -> CumulativeIncidence:
    """Aalen-Johansen cumulative incidence of each cause, per group (R ``cmprsk::cuminc``).

    Parameters
    ----------
    time : times >= 0.
    status : 0 = censored, 1..K = cause of the event. Curves are made for every cause that occurs in the data.
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


__all__ = ["CumulativeIncidence", "cumulative_incidence"]
