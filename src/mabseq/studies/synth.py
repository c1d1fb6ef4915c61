"""Larger SYNTHETIC cohorts for demos and scale tests, drawn from the twin's patient patterns.

Each synthetic patient copies one twin design row (so that its course is internally consistent), with the age
jittered by up to 5 years, the day counts scaled by a common factor in [0.8, 1.2], and the calendar start moved
earlier by up to 3 years (so that every date stays before the data cut-off). Same n and seed, same cohort.

Large cohorts are made in chunks of :data:`CHUNK` patients (:func:`synthesize_chunks`), each from its own random
stream (the first from ``default_rng(seed)``, so a cohort of up to CHUNK patients is the one a single draw gives;
chunk k > 0 from ``default_rng([seed, k])``), so that memory stays bounded by a chunk whatever n; ``mabseq synth``
writes each chunk as it is made (cohort/storage.py ``write_chunks_into``), the chunks made by spawned worker
processes when there are two or more.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import numpy as np
import pandas as pd

from ..cohort.model import Cohort, empty_frame
from ..cohort.schema import BY_NAME
from .twin import CUTOFF, build_twin, design

DAY_COLUMNS = ("days_mab1_mab2", "days_mab1_event", "days_mab2_event2", "days_mab2_tx", "days_tx_relapse",
               "days_mab2_first_salvage", "days_mab2_last", "engraft_days")
CHUNK = 20_000


def synthesize(n: int, seed: int) -> Cohort:
    """The whole synthetic cohort in memory (the chunks of :func:`synthesize_chunks`, joined)."""
    parts = list(synthesize_chunks(n, seed))
    if len(parts) == 1:
        return parts[0]
    return Cohort({name: pd.concat([p[name] for p in parts], ignore_index=True) for name in parts[0].tables},
                  parts[0].source)


def synthesize_chunks(n: int, seed: int, chunk: int = CHUNK, *, workers: int | None = 1) -> Iterator[Cohort]:
    """The synthetic cohort of ``n`` patients as consecutive cohorts of at most ``chunk`` patients (ids S0001 ...
    numbered across chunks; the one-row study table in the first chunk only).

    ``workers`` > 1 (None: from MABSEQ_WORKERS or the CPUs, when there are two chunks or more) makes the chunks in
    that many worker processes, yielded in order and at most two a worker ahead of the consumer (memory stays
    bounded by a few chunks). Each chunk depends only on (n, seed, k), so the cohort is the serial one
    (tests/test_scale.py). The workers are spawned, not forked: they start from a clean interpreter, with no
    DuckDB connection or Arrow thread pool of the parent's."""
    from ..derive.parallel import worker_count
    width = len(str(n))
    jobs = [(min(chunk, n - lo), seed, k, lo, width) for k, lo in enumerate(range(0, n, chunk))]
    w = worker_count(workers, len(jobs), 2)
    if w <= 1:
        for job in jobs:
            yield _make_chunk(job)
        return
    import itertools
    import multiprocessing as mp
    from collections import deque
    with mp.get_context("spawn").Pool(w) as pool:
        todo = iter(jobs)
        ahead = deque(pool.apply_async(_make_chunk, (job,)) for job in itertools.islice(todo, 2 * w))
        while ahead:
            part = ahead.popleft().get()
            nxt = next(todo, None)
            if nxt is not None:
                ahead.append(pool.apply_async(_make_chunk, (nxt,)))
            yield part


def _make_chunk(job: tuple) -> Cohort:
    """Chunk k of the cohort: ``job`` = (patients in it, seed, k, first patient's index, id width)."""
    size, seed, k, lo, width = job
    rng = np.random.default_rng(seed if k == 0 else [seed, k])
    part = _chunk(size, rng, lo, width)
    if k:
        part.tables["study"] = empty_frame(BY_NAME["study"])
    return part


def _chunk(n: int, rng: np.random.Generator, first: int, width: int) -> Cohort:
    base = design()
    rows = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True).copy()
    rows["pid"] = [f"S{first + i + 1:0{width}d}" for i in range(n)]
    age = rows["age_dx"].astype(float) + rng.uniform(-5, 5, n)
    rows["age_dx"] = np.clip(age, 15.5, 85).round(1).astype(str)
    scale = rng.uniform(0.8, 1.2, n)
    for col in DAY_COLUMNS:
        if col in rows.columns:
            v = pd.to_numeric(rows[col], errors="coerce")
            scaled = np.where(v.notna(), np.maximum(np.round(v * scale), 1), np.nan)
            rows[col] = [("" if np.isnan(x) else str(int(x))) for x in scaled]
    if "days_mab1_event" in rows.columns:  # the post-mAb1 event stays before mAb2
        e = pd.to_numeric(rows["days_mab1_event"], errors="coerce")
        g = pd.to_numeric(rows["days_mab1_mab2"], errors="coerce")
        fix = e.notna() & (e >= g)
        rows.loc[fix, "days_mab1_event"] = (g[fix] - 1).astype(int).astype(str)
    start = pd.to_datetime(rows["mab1_start"]) - pd.to_timedelta(rng.integers(0, 1095, n), unit="D")
    # keep every date before the cut-off: move the start earlier by any overflow
    span = sum(pd.to_numeric(rows[c], errors="coerce").fillna(0) for c in ("days_mab1_mab2", "days_mab2_last"))
    end = start + pd.to_timedelta(span, unit="D")
    overflow = (end - pd.Timestamp(CUTOFF)).dt.days.clip(lower=0)
    start = start - pd.to_timedelta(overflow, unit="D")
    rows["mab1_start"] = start.dt.strftime("%Y-%m-%d")
    return build_twin(rows, enrollment_start=dt.date(2000, 1, 1))
