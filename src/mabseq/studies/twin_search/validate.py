"""Internal consistency of the twin design: the rules the generator of dated records relies on."""
from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd

from .roster import CUTOFF


def _arr(s) -> np.ndarray:
    return np.asarray(pd.to_numeric(s), dtype=float)


def validate_design(df: pd.DataFrame) -> list[str]:
    """Internal consistency rules a generator of dated records relies on."""
    problems = []
    age_mab1 = _arr(df.age_dx) + _arr(df.days_dx_mab1) / 365.25
    for i, r in df.iterrows():
        pid = r.pid
        start = date.fromisoformat(r.mab1_start)
        if not (date(2012, 1, 1) <= start <= date(2019, 12, 31)):
            problems.append(f"{pid}: mab1_start {start} outside 2012-2019")
        end = start + timedelta(days=int(r.days_mab1_mab2) + int(r.days_mab2_last))
        if end > CUTOFF:
            problems.append(f"{pid}: last contact/death {end} after the cut-off")
        if age_mab1[i] < 15:
            problems.append(f"{pid}: age at mAb1 {age_mab1[i]:.1f} < 15")
        if r.seq == "BF" and not (0 <= r.days_mab1_event < r.days_mab1_mab2):
            problems.append(f"{pid}: post-mAb1 event not strictly before mAb2")
        if r.tx == 1:
            if not (0 < r.days_mab2_tx < r.days_mab2_last):
                problems.append(f"{pid}: alloHSCT not between mAb2 and last contact")
            if pd.notna(r.days_tx_relapse) and not (0 < r.days_tx_relapse <= r.days_mab2_last - r.days_mab2_tx):
                problems.append(f"{pid}: post-HSCT relapse outside follow-up")
            if pd.notna(r.age_tx) and r.age_tx + 1e-9 < r.age_dx:
                problems.append(f"{pid}: age at alloHSCT below age at diagnosis")
            if pd.notna(r.last_ino_to_tx_days) and r.last_ino_to_tx_days > r.days_mab2_tx:
                problems.append(f"{pid}: last inotuzumab dose before the start of mAb2")
        if pd.notna(r.days_mab2_first_salvage) and r.days_mab2_first_salvage >= r.days_mab2_last:
            problems.append(f"{pid}: first salvage line after last contact")
        if pd.notna(r.days_mab2_first_salvage) and pd.notna(r.days_mab2_event2) and r.tx != 1 \
                and r.days_mab2_event2 >= r.days_mab2_first_salvage:
            problems.append(f"{pid}: salvage line before the post-mAb2 relapse/progression")
        if r.hsct_between == 1 and not (0 < r.days_mab1_hsct < r.days_mab1_event):
            problems.append(f"{pid}: alloHSCT between the mAbs not before the post-mAb1 relapse")
        if pd.notna(r.retreat_cr_days) and not (r.days_mab2_first_salvage + r.retreat_cr_days < r.days_mab2_last):
            problems.append(f"{pid}: CR to re-treatment does not fit before death/last contact")
        if r.dead == 0 and r.status_last == "dead" or r.dead == 1 and r.status_last != "dead":
            problems.append(f"{pid}: dead flag and status_last disagree")
        if pd.notna(r.days_mab2_event2) and r.days_mab2_event2 > r.days_mab2_last:
            problems.append(f"{pid}: post-mAb2 event after last contact")
    return problems


# ===============================================================================================================
# construction of the design: hand-made categorical roster + seeded numeric search (--search)
# ===============================================================================================================
# Categorical allocation, made by hand from Tables 1-3, the text and inconsistencies.md sections C/D (see
# docs/TWIN.md). Patients T01-T11 are blinatumomab-first with a CD19-neg/dim relapse, T12-T25 blinatumomab-first
# with a CD19-pos relapse, T26-T29 inotuzumab-first. "." = blank. Column "int" = interim therapy (I) or not (N);
# "txl" = the transplant's letter in TX_TABLE.
