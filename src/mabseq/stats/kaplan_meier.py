"""Kaplan-Meier product-limit estimator with Greenwood variance, as R ``survival`` 3.x ``survfit`` reports it.

Formulas (Kaplan & Meier 1958, JASA 53:457; Greenwood 1926; Kalbfleisch & Prentice 2002, ch. 1.4):

    S(t)        = prod_{t_j <= t} (1 - d_j / n_j)
    se(log S)^2 = sum_{t_j <= t} d_j / (n_j (n_j - d_j))            (Greenwood; infinite once n_j = d_j)

with ``n_j`` the number at risk just before ``t_j`` (``entry < t_j <= time``) and, at tied times, deaths counted
before censorings. Confidence intervals (Borgan & Liestol 1990, Scand J Stat 17:35):

    "log":      S exp(+-z se)                       upper bound capped at 1
    "log-log":  S ^ exp(+-z se / log S)             (the interval for log(-log S))
    "plain":    S +- z S se                          clipped to [0, 1]

Quantiles follow the definitions R documents: the p-quantile is the first time with S(t) <= 1 - p, and where S
equals 1 - p exactly (within sqrt(machine eps)) over an interval, the midpoint of that interval; confidence limits
apply the same rule to the lower and upper bands (Brookmeyer & Crowley 1982, Biometrics 38:29).
"""
from __future__ import annotations

from typing import NamedTuple

import numpy as np
import pandas as pd

from ._counting import count_by_time
from ._validate import as_times, conf_z, survival_arrays

CONF_TYPES = ("log", "log-log", "plain")
_TOL = float(np.sqrt(np.finfo(float).eps))


class Quantile(NamedTuple):
    estimate: float
    lower: float
    upper: float


def _greenwood_terms(d: np.ndarray, n: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        term = d / (n * (n - d))
    term = np.where(d == 0, 0.0, term)
    return np.where((d > 0) & (n == d), np.inf, term)


def confidence_band(surv: np.ndarray, se_log: np.ndarray, conf_type: str, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise interval for a survival curve from ``se_log`` = se(log S). NaN where undefined (S = 0)."""
    surv = np.asarray(surv, dtype=float)
    se_log = np.asarray(se_log, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if conf_type == "log":
            lower = surv * np.exp(-z * se_log)
            upper = np.minimum(surv * np.exp(z * se_log), 1.0)
        elif conf_type == "log-log":
            logs = np.log(surv)
            lower = surv ** np.exp(-z * se_log / logs)
            upper = surv ** np.exp(z * se_log / logs)
            # at S = 1 the transform is undefined (R: NA)
            one = surv >= 1.0
            lower = np.where(one, np.nan, lower)
            upper = np.where(one, np.nan, upper)
        elif conf_type == "plain":
            half = z * se_log * surv
            lower = np.maximum(surv - half, 0.0)
            upper = np.minimum(surv + half, 1.0)
        else:
            raise ValueError(f"conf_type: {conf_type!r} is not one of {CONF_TYPES}")
    undefined = (surv <= 0.0) | ~np.isfinite(se_log)
    lower = np.where(undefined, np.nan, lower)
    upper = np.where(undefined, np.nan, upper)
    return lower, upper


def _first_at_or_below(y: np.ndarray, level: float) -> int | None:
    hit = np.flatnonzero(~np.isnan(y) & (y < level + _TOL))
    return int(hit[0]) if hit.size else None


def _quantile_table_rule(x: np.ndarray, y: np.ndarray, level: float) -> float:
    """R ``summary(fit)$table`` rule: first x with y <= level; if y is level exactly there, average with the next drop."""
    i = _first_at_or_below(y, level)
    if i is None:
        return float("nan")
    if abs(y[i] - level) < _TOL:
        later = np.flatnonzero(~np.isnan(y[i:]) & (y[i:] < y[i]))
        if later.size:
            return float((x[i] + x[i + later[0]]) / 2.0)
    return float(x[i])


def _quantile_flat_rule(x: np.ndarray, y: np.ndarray, level: float) -> float:
    """R ``quantile.survfit`` rule, read as an inverse of the distribution function F = 1 - y.

    Rows that repeat an earlier value of y (censorings) are dropped and the remaining points are ordered by F, so a
    band that is not monotone (a log-scale upper band can rise again) is inverted as a set of points, not as a
    path: the quantile is the time of the smallest F above p = 1 - level. Where F equals p (within sqrt(eps)), the
    quantile is the midpoint between that time and the next point's time, or the curve's last time if no point
    follows (a curve that ends flat at the level).
    """
    keep = ~np.isnan(y)
    x, y = x[keep], y[keep]
    if x.size == 0:
        return float("nan")
    x_last = x[-1]
    cdf = 1.0 - y
    p = 1.0 - level
    _, first = np.unique(cdf, return_index=True)  # sorted by F, first occurrence of each value
    cdf_u, x_u = cdf[first], x[first]
    if cdf_u[-1] < p - _TOL:
        return float("nan")
    flat = np.flatnonzero(np.abs(cdf_u - p) < _TOL)
    if flat.size:
        k = int(flat[0])
        end = x_u[k + 1] if k + 1 < x_u.size else x_last
        return float((x_u[k] + end) / 2.0)
    k = int(np.flatnonzero(cdf_u > p)[0])
    return float(x_u[k])


class KaplanMeier:
    """Result of :func:`kaplan_meier`.

    Attributes
    ----------
    table : DataFrame with one row per distinct exit time (events or censorings, as R's survfit):
        ``time, n_risk, n_event, n_censor, surv, std_err, lower, upper``; ``std_err`` is the standard error of S
        (as ``summary(fit)`` prints it), the bounds follow ``conf_type``.
    n : number of records.
    """

    def __init__(self, times, n_risk, n_event, n_censor, surv, se_log, conf_type, conf_level, n):
        self.conf_type = conf_type
        self.conf_level = conf_level
        self.n = n
        self._z = conf_z(conf_level)
        self._times = times
        self._n_risk = n_risk
        self._n_event = n_event
        self._n_censor = n_censor
        self._surv = surv
        self._se_log = se_log
        self._lower, self._upper = confidence_band(surv, se_log, conf_type, self._z)

    # -- tidy outputs -------------------------------------------------------------------------------------------
    @property
    def table(self) -> pd.DataFrame:
        with np.errstate(invalid="ignore"):
            se = self._surv * self._se_log
        se = np.where(np.isinf(self._se_log), np.nan, se)
        return pd.DataFrame(
            {
                "time": self._times,
                "n_risk": self._n_risk.astype(np.int64),
                "n_event": self._n_event.astype(np.int64),
                "n_censor": self._n_censor.astype(np.int64),
                "surv": self._surv,
                "std_err": se,
                "lower": self._lower,
                "upper": self._upper,
            }
        )

    @property
    def std_err_log(self) -> np.ndarray:
        """se(log S) at each table time (R's ``fit$std.err``); infinite once S reaches 0."""
        return self._se_log.copy()

    @property
    def median(self) -> Quantile:
        """Median and its confidence limits as ``summary(fit)$table`` reports them (NaN where R gives NA)."""
        x = self._times
        return Quantile(
            _quantile_table_rule(x, self._surv, 0.5),
            _quantile_table_rule(x, self._lower, 0.5),
            _quantile_table_rule(x, self._upper, 0.5),
        )

    def quantile(self, p: float) -> Quantile:
        """The p-quantile of the event-time distribution (first t with S(t) <= 1-p) as R's ``quantile.survfit``."""
        p = float(p)
        if not (0.0 <= p <= 1.0):
            raise ValueError(f"p: {p!r} is not in [0, 1]")
        x = self._times
        level = 1.0 - p
        return Quantile(
            _quantile_flat_rule(x, self._surv, level),
            _quantile_flat_rule(x, self._lower, level),
            _quantile_flat_rule(x, self._upper, level),
        )

    def at(self, times, *, extend: bool = False) -> pd.DataFrame:
        """Step-function values at the given times, as R's ``summary(fit, times=)``.

        ``n_risk`` is the number at risk at t; ``n_event`` and ``n_censor`` count what happened after the previous
        requested time up to and including t (the first from the start). Times after the last exit time give NaN
        estimates with ``n_risk = 0`` (R drops such rows; with ``extend=True`` the last value is carried, as R's
        ``extend=TRUE``). Times must be finite; rows come in ascending order of time.
        """
        t = np.sort(as_times(times, "times", allow_negative=True))
        x = self._times
        # index of the last table row with time <= t
        k = np.searchsorted(x, t, side="right") - 1
        surv = np.where(k >= 0, self._surv[np.maximum(k, 0)], 1.0)
        se_log = np.where(k >= 0, self._se_log[np.maximum(k, 0)], 0.0)
        lower, upper = confidence_band(surv, se_log, self.conf_type, self._z)
        # before the first exit time R reports the curve's start: S = 1 with the interval [1, 1]
        lower = np.where(k >= 0, lower, 1.0)
        upper = np.where(k >= 0, upper, 1.0)
        # number at risk at t: first table row with time >= t, else 0 (entries after t are not yet at risk)
        j = np.searchsorted(x, t, side="left")
        n_risk = np.where(j < x.shape[0], self._n_risk[np.minimum(j, x.shape[0] - 1)], 0.0)
        cum_e = np.concatenate([[0.0], np.cumsum(self._n_event)])
        cum_c = np.concatenate([[0.0], np.cumsum(self._n_censor)])
        ce = cum_e[k + 1]
        cc = cum_c[k + 1]
        n_event = np.diff(np.concatenate([[0.0], ce]))
        n_censor = np.diff(np.concatenate([[0.0], cc]))
        with np.errstate(invalid="ignore"):
            se = surv * se_log
        se = np.where(np.isinf(se_log), np.nan, se)
        beyond = t > x[-1] if x.shape[0] else np.ones_like(t, dtype=bool)
        if not extend:
            for arr in (surv, se, lower, upper):
                arr[beyond] = np.nan
        return pd.DataFrame(
            {
                "time": t,
                "n_risk": n_risk.astype(np.int64),
                "n_event": n_event.astype(np.int64),
                "n_censor": n_censor.astype(np.int64),
                "surv": surv,
                "std_err": se,
                "lower": lower,
                "upper": upper,
            }
        )

    def __repr__(self) -> str:
        m = self.median
        return (
            f"KaplanMeier(n={self.n}, events={int(self._n_event.sum())}, median={m.estimate:g} "
            f"[{m.lower:g}, {m.upper:g}], conf_type={self.conf_type!r})"
        )


def kaplan_meier(time, event, *, entry=None, conf_type: str = "log", conf_level: float = 0.95) -> KaplanMeier:
    """Kaplan-Meier estimate of the survival function.

    Parameters
    ----------
    time : exit times (>= 0, finite). Events at time 0 are kept (S drops at 0).
    event : 1 = event, 0 = censored (bool accepted).
    entry : optional delayed-entry (left-truncation) times, each strictly below its ``time``, as R's
        ``Surv(entry, time, event)``: a record is at risk at t when ``entry < t <= time``.
    conf_type : "log" (R's default), "log-log" or "plain".
    conf_level : confidence level of the pointwise intervals.
    """
    if conf_type not in CONF_TYPES:
        raise ValueError(f"conf_type: {conf_type!r} is not one of {CONF_TYPES}")
    t, e, en = survival_arrays(time, event, entry)
    n = t.shape[0]
    c = count_by_time(t, e, entry=en)
    d = c.events[0]
    m = c.exits[0]
    nr = c.at_risk[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(d > 0, 1.0 - d / nr, 1.0)
    surv = np.cumprod(factor)
    se_log = np.sqrt(np.cumsum(_greenwood_terms(d, nr)))
    return KaplanMeier(
        c.times, nr, d, m - d, surv, se_log, conf_type, conf_level, n
    )


def median_followup(time, event, *, conf_type: str = "log", conf_level: float = 0.95) -> Quantile:
    """Median follow-up by the reverse Kaplan-Meier method (Schemper & Smith 1996, Control Clin Trials 17:343).

    The censoring indicator is reversed (a death censors follow-up; being alive at last contact is the 'event')
    and the median of that curve is returned, as R's ``survfit(Surv(time, 1 - status) ~ 1)`` prints it.
    """
    t, e, _ = survival_arrays(time, event)
    return kaplan_meier(t, 1 - e, conf_type=conf_type, conf_level=conf_level).median


__all__ = ["KaplanMeier", "Quantile", "kaplan_meier", "median_followup", "confidence_band", "CONF_TYPES"]
