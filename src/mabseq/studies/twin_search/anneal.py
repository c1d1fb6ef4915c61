"""The search's targets and its seeded simulated annealing (deterministic for a seed)."""
from __future__ import annotations

import math

import numpy as np

from .kernels import hu

class Target:
    """Accumulates a penalty: 0 when a value rounds to its printed target, else 1 + scaled distance."""

    def __init__(self):
        self.pen = 0.0
        self.miss = []

    def val(self, name, x, printed, k=0, scale=1.0, w=1.0):
        if isinstance(x, float) and math.isnan(x):
            self.pen += w * 5
            self.miss.append(name)
            return
        if hu(x, k) != printed:
            self.pen += w * (1 + abs(x - printed) / scale)
            self.miss.append(name)

    def p(self, name, x, printed, w=1.0):
        if isinstance(x, float) and math.isnan(x):
            self.pen += w * 5
            self.miss.append(name)
            return
        if hu(x, 2) != printed:
            self.pen += w * (1 + abs(x - printed) / 0.02)
            self.miss.append(name)

    def rng(self, name, x, lo, hi, scale=10.0, w=1.0):
        if x < lo:
            self.pen += w * (1 + (lo - x) / scale)
            self.miss.append(name)
        elif x > hi:
            self.pen += w * (1 + (x - hi) / scale)
            self.miss.append(name)

    def true(self, name, cond, w=1.0):
        if not cond:
            self.pen += w
            self.miss.append(name)


def anneal(x0, lo, hi, objective, iters, seed, step=None, t0=2.0, t1=0.01, log=None):
    """Seeded simulated annealing over an integer vector; stops at objective 0."""
    rng = np.random.default_rng(seed)
    x = np.array(x0, dtype=np.int64)
    lo = np.asarray(lo, np.int64)
    hi = np.asarray(hi, np.int64)
    x = np.clip(x, lo, hi)
    f = objective(x)
    best, fbest = x.copy(), f
    step = np.maximum(1, (hi - lo) // 6) if step is None else np.asarray(step)
    free = np.flatnonzero(hi > lo)
    for it in range(iters):
        if fbest == 0:
            break
        temp = t0 * (t1 / t0) ** (it / max(1, iters - 1))
        y = x.copy()
        for _ in range(1 + (rng.random() < 0.3)):
            i = free[rng.integers(free.size)]
            if rng.random() < 0.15:
                y[i] = rng.integers(lo[i], hi[i] + 1)
            else:
                s = int(step[i]) if np.ndim(step) else int(step)
                y[i] = np.clip(y[i] + rng.integers(-s, s + 1), lo[i], hi[i])
        fy = objective(y)
        if fy <= f or rng.random() < math.exp(-(fy - f) / temp):
            x, f = y, fy
            if f < fbest:
                best, fbest = x.copy(), f
                if log:
                    log(it, fbest)
    return best, fbest


# ---------------------------------------------------------------------------------------------------------------
# numeric sub-searches (each seeded; objective 0 = every targeted published number matches)
# ---------------------------------------------------------------------------------------------------------------
