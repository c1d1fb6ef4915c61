"""Larger SYNTHETIC cohorts for demos and scale tests, drawn from the twin's patient patterns.

Each synthetic patient copies one twin design row (so that its course is internally consistent), with the age
jittered by up to 5 years, the day counts scaled by a common factor in [0.8, 1.2], and the calendar start moved
earlier by up to 3 years (so that every date stays before the data cut-off). Same n and seed, same cohort.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..cohort.model import Cohort
from .twin import CUTOFF, build_twin, design

DAY_COLUMNS = ("days_mab1_mab2", "days_mab1_event", "days_mab2_event2", "days_mab2_tx", "days_tx_relapse",
               "days_mab2_first_salvage", "days_mab2_last", "engraft_days")


def synthesize(n: int, seed: int) -> Cohort:
    rng = np.random.default_rng(seed)
    base = design()
    rows = base.iloc[rng.integers(0, len(base), n)].reset_index(drop=True).copy()
    width = len(str(n))
    rows["pid"] = [f"S{i + 1:0{width}d}" for i in range(n)]
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
