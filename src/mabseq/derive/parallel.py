"""Worker processes for a large cohort: the per-patient derivation by patient chunks, in forked children.

The rules stay one implementation (:func:`.patient.derive_patient`); only who runs them changes. The parent marks
each row of every table with its patient's chunk (one vectorized pass) and forks the workers (they inherit the
tables: nothing is pickled on the way in). Each child takes its chunk's rows and groups them
(:func:`.patient_rows.records_by_patient` on those rows), derives its contiguous chunk of patients and sends them
back by column (derive/value_columns.py: typed arrays, not a dict of values a patient). The parent merges them by
patient id and assembles the datasets in the cohort's order, so the result is the serial run's (tests/test_scale.py
compares them on 2,000 patients).

The standard library's ``concurrent.futures`` over ``multiprocessing``'s ``fork`` start method is used rather than a
task framework: the work is one map over chunks of objects already in memory, which fork shares for free, and no
other library does this without copying them. A child reads the inherited pandas frames (Arrow takes and converts
an Arrow-backed text column) and touches no DuckDB object. ``multiprocessing.Pool`` was used before: in one
100,000-patient benchmark run it never returned (a worker was left waiting on the pool's own task-queue lock, the
other gone; cause not found). ``concurrent.futures`` notices a dead worker instead of waiting for its task, and
:func:`derive_in_chunks` then derives the chunks not sent back in the parent, with a warning.
"""
from __future__ import annotations

import gc
import multiprocessing as mp
import os
import warnings
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

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


_NOT_BACK = object()  # a chunk whose worker died before sending it back


def split(items: list, n: int) -> list[list]:
    """Contiguous chunks of ``items`` for ``n`` workers: 4 chunks a worker, so a slow chunk does not hold the
    others back."""
    per = max(1, -(-len(items) // (n * 4)))
    return [items[i:i + per] for i in range(0, len(items), per)]


def derive_in_chunks(fn, data, ctx, chunks: list, n: int) -> list:
    """``fn(data, ctx, chunk)`` over ``chunks`` (:func:`split`) in ``n`` forked workers: the results in order.

    A worker that dies (killed, or a crash in a library) does not hang the run: ``concurrent.futures`` notices
    the dead process (``multiprocessing.Pool`` waits for its task for ever), and the chunks not sent back are
    derived here, in this process, with a warning. The result is the same either way."""
    global _STATE
    _STATE = (fn, data, ctx, chunks)
    parts: list = [_NOT_BACK] * len(chunks)
    # the parent's objects moved out of the collector's reach before the fork (the gc module's own advice): a
    # child's collections would otherwise walk, and by touching copy, every object it inherited
    gc.freeze()
    try:
        # with fork, the executor forks all its workers before it starts its own thread (Python >= 3.11)
        with ProcessPoolExecutor(n, mp_context=mp.get_context("fork")) as pool:
            futures = [pool.submit(_run, i) for i in range(len(chunks))]
            try:
                for i, f in enumerate(futures):
                    try:
                        parts[i] = f.result()
                    except BrokenProcessPool:
                        pass  # derived below
            except BaseException:
                pool.shutdown(wait=True, cancel_futures=True)
                raise
    finally:
        _STATE = None
        gc.unfreeze()
    missing = [i for i, part in enumerate(parts) if part is _NOT_BACK]
    if missing:
        warnings.warn(f"a derivation worker process died; {len(missing)} of {len(chunks)} patient chunks derived "
                      "again in the main process", RuntimeWarning, stacklevel=2)
        for i in missing:
            parts[i] = fn(data, ctx, chunks[i])
    return parts
