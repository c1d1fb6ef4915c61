"""Timing shared by the benchmarks: the best wall time of repeated calls, after one warm-up call (imports, caches,
numba compilation for comprisk)."""
from __future__ import annotations

import time


def best_of(fn, repeat: int) -> float:
    fn()
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best
