"""Aggregate individual (entry, time, event) records into counts per distinct time.

Every survival estimator in :mod:`mabseq.stats` works on the same sufficient statistics: for each distinct exit time
``t_j`` and each cell (group, stratum, ...), the number of events ``d`` and of exits ``m`` (events + censorings) at
``t_j``, and the number at risk ``n(t_j) = #{time >= t_j} - #{entry >= t_j}``.

Two paths build them:

* integer-valued times within a modest range (day-resolution clinical data) are counted with one ``bincount`` pass,
  O(n) with no sort;
* any other times go through ``numpy.unique`` (one sort).

Both give identical results; the integer path is only faster. Times are compared exactly (no tolerance merging).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# An integer range larger than this many cells (or 4 cells per record) uses the sorting path.
_MAX_DENSE_SPAN = 1 << 22


@dataclass(frozen=True)
class TimeCounts:
    """Counts on the grid of distinct exit times.

    ``times`` has shape (T,); ``events``, ``exits`` and ``at_risk`` have shape (C, T) for C cells.
    """

    times: np.ndarray
    events: np.ndarray
    exits: np.ndarray
    at_risk: np.ndarray


def _integer_view(time: np.ndarray) -> np.ndarray | None:
    """Return ``time`` as int64 if every value is a whole number in a dense enough range, else None."""
    n = time.shape[0]
    if n == 0:
        return None
    if time.dtype.kind in "iu":
        ti = time.astype(np.int64, copy=False)
    else:
        tmax = time.max()
        if tmax >= 2.0**53:
            return None
        ti = time.astype(np.int64)
        if not np.array_equal(ti, time):
            return None
    span = int(ti.max()) - int(ti.min()) + 1
    if span > max(4 * n, _MAX_DENSE_SPAN):
        return None
    return ti


def time_codes(time: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distinct times (sorted) and each record's index into them; no sort for day-resolution integer times."""
    ti = _integer_view(time)
    if ti is None:
        times, inv = np.unique(time, return_inverse=True)
        return times, inv.ravel()
    tmin = int(ti.min())
    idx = ti - tmin
    present = np.bincount(idx) > 0
    grid = np.flatnonzero(present)
    rank = np.cumsum(present) - 1
    return (grid + tmin).astype(np.float64), rank[idx]


def count_by_time(
    time: np.ndarray,
    event: np.ndarray,
    cell: np.ndarray | None = None,
    n_cells: int = 1,
    entry: np.ndarray | None = None,
) -> TimeCounts:
    """Count events, exits and the number at risk per distinct exit time and cell.

    Parameters
    ----------
    time, event : validated 1-d arrays (float64 times >= 0; event 0/1).
    cell : integer codes 0..n_cells-1, or None for a single cell.
    entry : delayed-entry times (strictly below ``time``), or None.
    """
    n = time.shape[0]
    ev_w = event.astype(np.float64)
    ti = _integer_view(time)
    if ti is not None and n_cells * (int(ti.max()) - int(ti.min()) + 1) > max(4 * n, _MAX_DENSE_SPAN):
        ti = None  # many cells over a wide range: the sorting path keeps memory O(n_cells x distinct times)
    if ti is not None:
        tmin = int(ti.min())
        span = int(ti.max()) - tmin + 1
        idx = ti - tmin
        if cell is not None and n_cells > 1:
            idx = idx + cell * span
        size = n_cells * span
        exits = np.bincount(idx, minlength=size).reshape(n_cells, span)
        events = np.bincount(idx, weights=ev_w, minlength=size).reshape(n_cells, span)
        keep = exits.any(axis=0) if n_cells > 1 else exits[0] > 0
        grid = np.flatnonzero(keep)
        times = (grid + tmin).astype(np.float64)
        exits = exits[:, grid]
        events = events[:, grid]
    else:
        times, inv = np.unique(time, return_inverse=True)
        T = times.shape[0]
        idx = inv.ravel()
        if cell is not None and n_cells > 1:
            idx = idx + cell * T
        exits = np.bincount(idx, minlength=n_cells * T).reshape(n_cells, T)
        events = np.bincount(idx, weights=ev_w, minlength=n_cells * T).reshape(n_cells, T)
    exits = exits.astype(np.float64)
    # number with time >= t_j: reverse cumulative sum of exits
    at_risk = np.cumsum(exits[:, ::-1], axis=1)[:, ::-1]
    if entry is not None:
        for c in range(n_cells):
            e = entry if (cell is None or n_cells == 1) else entry[cell == c]
            e = np.sort(e)
            at_risk[c] -= e.shape[0] - np.searchsorted(e, times, side="left")
    return TimeCounts(times=times, events=events, exits=exits, at_risk=at_risk)
