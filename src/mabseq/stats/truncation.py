"""Tsai's test of quasi-independence between the truncation time and the survival time (Tsai 1990, Biometrika
77:169-177; Martin & Betensky 2005, JASA 100:484-492, the "conditional Kendall's tau").

Left truncation (delayed entry) corrects a Kaplan-Meier curve only if the entry time L and the survival time X are
quasi-independent: independent on the observable region L < X. Tsai's statistic compares, at each event time X_k,
the entry time of the patient who failed with the entry times of everyone then at risk,

    R_k = { j : L_j < X_k <= X_j }            (the risk set of the delayed-entry Kaplan-Meier)
    S_k = sum_{j in R_k} sign(L_j - L_k),      K = sum over events k of S_k.

Under quasi-independence, given R_k, the failing patient is any member of R_k with equal probability, so S_k has
mean 0 and variance sigma_k^2 = (1/r_k) sum_{i in R_k} s_i^2 with s_i = sum_{j in R_k} sign(L_j - L_i)
(= (r_k^2 - 1)/3 without ties in L); the S_k are uncorrelated (a martingale-difference sequence), so
Z = K / sqrt(V), V = sum_k Var S_k, is standard normal. The d events tied at one time are d members of the risk set
drawn without replacement: their sum has variance d sigma^2 (r - d) / (r - 1) (the finite-population correction). K > 0 means the
patient who fails tends to have entered earlier than those at risk with him (a positive association of L and X).
The p-value is two-sided. Whole days tie where Tsai's continuous times do not: Tsai writes R_k with L_j <= X_k, but
a patient entering on the day of the event is left out of R_k here, because the data keep only entry < time (he
could not have been seen to fail that day); a censoring on the day of the event stays in R_k (followed through that
day), which the pair form of K, sign((L_i - L_j)(X_i - X_j)) over comparable pairs, would drop as a tie in X. The R
check (results/rscript.py, kind ``tsai``) recomputes K and V in base R by these rules and prints the pair form and
Tsai's untied variance (r^2 - 1)/3 beside them.

Written by hand: no Python library implements it (R's ``tranSurv::condKendall`` is not in Debian); the tests work a
small case by hand.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from .distributions import norm_sf

from ._validate import survival_arrays


@dataclass(frozen=True)
class QuasiIndependence:
    statistic: float  # K
    variance: float  # V
    z: float
    p_value: float
    n_events: int  # events with at least two patients at risk (the others carry no information)


def quasi_independence_test(time, event, entry) -> QuasiIndependence:
    """Tsai's conditional Kendall test for left-truncated data (``entry`` < ``time``); see the module formulas.

    Computed in one sweep over the distinct event times X_1 < X_2 < ...: the entry times are ranked into their M
    distinct values, and the risk set at X is held as a count per entry value (patients join when L < X, leave
    when T < X, each once). At X, with the counts c_g in entry order, C_g their running sum and r the size of the
    risk set, a member whose entry is value g has s = (r - C_g) - (C_g - c_g), so
    S_X = sum over the failing of s_{g(k)} and sum_i s_i^2 = sum_g c_g s_g^2. Cost O(n log n + D M) for D event
    times (whole days bound both D and M), instead of a pass over all n patients at every event time."""
    t, e, en = survival_arrays(time, event, entry)
    levels, rank = np.unique(en, return_inverse=True)
    rank = rank.reshape(-1)
    m = levels.size
    ev_times = np.unique(t[e == 1])
    by_entry, by_exit = np.argsort(en, kind="stable"), np.argsort(t, kind="stable")
    joined = np.searchsorted(en[by_entry], ev_times, side="left")  # L < X
    left = np.searchsorted(t[by_exit], ev_times, side="left")  # T < X
    failing = np.flatnonzero(e == 1)
    failing = failing[np.argsort(t[failing], kind="stable")]
    fail_at = np.searchsorted(t[failing], ev_times, side="left")
    fail_end = np.append(fail_at[1:], failing.size)
    counts = np.zeros(m, dtype=np.int64)
    K = V = 0.0
    used = 0
    j = x = 0
    for k in range(ev_times.size):
        if joined[k] > j:
            counts += np.bincount(rank[by_entry[j:joined[k]]], minlength=m)
            j = int(joined[k])
        if left[k] > x:
            counts -= np.bincount(rank[by_exit[x:left[k]]], minlength=m)
            x = int(left[k])
        r, d = j - x, int(fail_end[k] - fail_at[k])
        if r < 2:
            continue
        run = np.cumsum(counts)
        sg = (r - run) - (run - counts)  # s of a member at each entry value: entries above minus entries below
        K += float(sg[rank[failing[fail_at[k]:fail_end[k]]]].sum())
        V += float(np.dot(counts, sg.astype(float) ** 2)) / r * d * (r - d) / (r - 1)
        used += d
    z = K / np.sqrt(V) if V > 0 else float("nan")
    p = float(2 * norm_sf(abs(z))) if V > 0 else float("nan")
    return QuasiIndependence(K, V, float(z), p, used)


__all__ = ["QuasiIndependence", "quasi_independence_test"]
