"""Worker processes for a large cohort: the per-patient derivation by patient chunks, in forked children.

The rules stay one implementation (:func:`.patient.derive_patient`); only who runs them changes. The parent marks
each row of every table with its patient's chunk (one vectorized pass), forks the workers (they inherit the
tables: nothing is pickled on the way in), and each child groups its chunk's rows
(:func:`.patient_rows.records_by_patient` on those rows only), derives its contiguous chunk of patients and sends
back plain ``Derived`` objects. The parent merges them by patient id and assembles the datasets in the cohort's order, so the
result is the serial run's (tests/test_scale.py compares them on 2,000 patients).

The standard library's ``multiprocessing`` with the ``fork`` start method is used rather than a task framework:
the work is one map over chunks of Python objects already in memory, which fork shares for free, and no other
library does this without copying them. A child touches no DuckDB or Arrow object (the rows are plain dicts), so
the threads those libraries may have started in the parent are not needed in it.
"""
from __future__ import annotations

import gc
import multiprocessing as mp
import os

_STATE: tuple | None = None  # (function, shared rows, context, chunks), set in the parent just before the fork


def worker_count(workers: int | None, n_items: int, min_items: int) -> int:
    """How many workers: ``workers`` when given, else MABSEQ_WORKERS, else the CPUs this process may use when
    there are at least ``min_items`` items (a small cohort is derived in-process: forking costs more than it
    saves); never more than the items."""
    if workers is None:
        env = os.environ.get("MABSEQ_WORKERS", "").strip()
        if env:
            workers = int(env)
        elif n_items < min_items:
            return 1
        else:
            workers = len(os.sched_getaffinity(0))
    return max(1, min(int(workers), n_items))


def _run(i: int):
    fn, data, ctx, chunks = _STATE
    return fn(data, ctx, chunks[i])


def split(items: list, n: int) -> list[list]:
    """Contiguous chunks of ``items`` for ``n`` workers: 4 chunks a worker, so a slow chunk does not hold the
    others back."""
    per = max(1, -(-len(items) // (n * 4)))
    return [items[i:i + per] for i in range(0, len(items), per)]


def derive_in_chunks(fn, data, ctx, chunks: list, n: int) -> list:
    """``fn(data, ctx, chunk)`` over ``chunks`` (:func:`split`) in ``n`` forked workers: the results in order."""
    global _STATE
    _STATE = (fn, data, ctx, chunks)
    # the parent's objects moved out of the collector's reach before the fork (the gc module's own advice): a
    # child's collections would otherwise walk, and by touching copy, every object it inherited
    gc.freeze()
    try:
        with mp.get_context("fork").Pool(n) as pool:
            parts = pool.map(_run, range(len(chunks)), chunksize=1)
    finally:
        _STATE = None
        gc.unfreeze()
    return parts
