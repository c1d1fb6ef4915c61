"""Dates in a de-identified cohort: the cut-off applied first, then one random shift per patient.

**The cut-off first.** The data cut-off C is one calendar date for the whole study; after a per-patient shift no
single date can stand for it (patient p would need C + d_p). So the cut-off is applied *before* shifting, and every
patient's censoring is written out explicitly:

- a row whose own date is after C is removed (therapies by start, doses, assessments, transplants, toxicity
  episodes by onset, toxicity observations, disease events): the analyses ignore it; doses of a removed course go
  with it and a toxicity episode attributed to a removed course loses the attribution;
- a therapy still running at C ends at C (the analyses' timelines cut it there);
- a death after C becomes "alive at C" (vital status alive, last contact C, no death date or cause): at the cut-off
  the patient was alive; a last contact after C becomes C;
- other dates inside a kept row (resolution, engraftment, first CR) are shifted like every date.

After that nothing in the cohort lies after C, and the de-identified cut-off C' = C + ``cutoff_shift`` (a random
R..2R days, R the shift range) lies after every shifted date, so it censors nothing more: every follow-up interval
ends where it ended before. C itself cannot be read back from C'.

**The enrollment window** [S, E] is a calendar rule on the first antibody course (mAb1). It becomes
[S - R, E + R]: a patient inside [S, E] stays inside for any shift in -R..R; for a patient outside it, the shift is
drawn only from the part of -R..R that keeps mAb1 outside (before S: d < S - R - mAb1; after E:
d > E + R - mAb1; never empty). So every inclusion and exclusion is kept.

**The shift.** Patient p's every date moves by the same d_p whole days, so every interval between two of the
patient's dates is kept exactly (follow-up, time to relapse, transplant, toxicity windows, ages at events).
Intervals to another patient's dates, or to the calendar, are not kept (that is the point). What is not kept: the
distance from a patient's last contact to the cut-off (C' - C is not d_p), so the follow-up completeness index
(Clark's C, potential follow-up to the cut-off) of a de-identified cohort differs from the original's.
"""
from __future__ import annotations

import pandas as pd

from ..cohort.model import Cohort
from ..cohort.schema import TABLES

ROW_DATE = {"therapies": "start_date", "doses": "dose_date", "assessments": "assessment_date",
            "transplants": "transplant_date", "toxicity_episodes": "onset_date",
            "toxicity_observations": "observation_date", "disease_events": "event_date"}
DATE_COLUMNS = {t.name: [c.name for c in t.columns if c.type == "date"] for t in TABLES if t.name != "study"}
MAB_CLASSES = ("blinatumomab", "inotuzumab")
_MIN, _MAX = pd.Timestamp("0001-01-01"), pd.Timestamp("9999-12-31")


class DateShiftError(Exception):
    """A cohort whose dates cannot be shifted (named table and column)."""


def _study_date(cohort: Cohort, column: str):
    st = cohort["study"]
    return st[column].iloc[0] if len(st) == 1 else pd.NaT


def apply_cutoff(cohort: Cohort) -> tuple[dict[str, pd.DataFrame], dict[str, int]]:
    """The cohort's tables with nothing after the cut-off (rules in the module docstring), and what was changed."""
    cut = _study_date(cohort, "data_cutoff")
    if pd.isna(cut):
        raise DateShiftError("the study table has no data_cutoff; de-identification applies the cut-off before "
                             "shifting dates, so it needs one")
    tables = {name: df.copy() for name, df in cohort.tables.items()}
    counts: dict[str, int] = {}
    for name, col in ROW_DATE.items():
        df = tables[name]
        late = (df[col] > cut).fillna(False).to_numpy(dtype=bool)
        if late.any():
            counts[f"{name} rows after the cut-off removed"] = int(late.sum())
            tables[name] = df.loc[~late].reset_index(drop=True)
    th = tables["therapies"]
    kept = set(zip(th["patient_id"], th["course_id"]))
    doses = tables["doses"]
    orphan = ~pd.Series([k in kept for k in zip(doses["patient_id"], doses["course_id"])], dtype=bool)
    if orphan.any():
        counts["doses of courses after the cut-off removed"] = int(orphan.sum())
        tables["doses"] = doses.loc[~orphan.to_numpy()].reset_index(drop=True)
    tox = tables["toxicity_episodes"]
    lost = pd.Series([pd.notna(c) and (p, c) not in kept for p, c in zip(tox["patient_id"], tox["course_id"])],
                     dtype=bool).to_numpy()
    if lost.any():
        counts["toxicity episodes attributed to a course after the cut-off: attribution removed"] = int(lost.sum())
        tox.loc[lost, "course_id"] = pd.NA
    late_end = (th["end_date"] > cut).fillna(False).to_numpy(dtype=bool)
    if late_end.any():
        counts["therapies running at the cut-off: end set to the cut-off"] = int(late_end.sum())
        th.loc[late_end, "end_date"] = cut
    fu = tables["follow_up"]
    died_late = (fu["death_date"] > cut).fillna(False).to_numpy(dtype=bool)
    if died_late.any():
        counts["deaths after the cut-off: alive at the cut-off"] = int(died_late.sum())
        fu.loc[died_late, "vital_status"] = "alive"
        fu.loc[died_late, ["death_date"]] = pd.NaT
        fu.loc[died_late, "death_cause"] = pd.NA
    late_contact = (fu["last_contact_date"] > cut).fillna(False).to_numpy(dtype=bool)
    if late_contact.any():
        counts["last contacts after the cut-off: set to the cut-off"] = int(late_contact.sum())
        fu.loc[late_contact, "last_contact_date"] = cut
    return tables, counts


def mab1_dates(tables: dict[str, pd.DataFrame]) -> dict[str, pd.Timestamp]:
    """Each patient's first antibody course for relapsed/refractory disease (the date the enrollment window is
    applied to by the derivation: a blinatumomab or inotuzumab course not given as frontline)."""
    th = tables["therapies"]
    m = th[th["therapy_class"].isin(MAB_CLASSES) & (th["intent"].fillna("") != "frontline")]
    return m.groupby("patient_id")["start_date"].min().to_dict() if len(m) else {}


def shift_ranges(cohort: Cohort, tables: dict[str, pd.DataFrame], shift_range: int) -> dict[str, tuple[int, int]]:
    """Per patient, the shifts (days) that keep mAb1 on the same side of the enrollment window's shifted bounds."""
    start, end = _study_date(cohort, "enrollment_start"), _study_date(cohort, "enrollment_end")
    out = {}
    for pid, m1 in mab1_dates(tables).items():
        lo, hi = -shift_range, shift_range
        if pd.notna(start) and m1 < start:
            hi = min(hi, (start - m1).days - shift_range - 1)
        if pd.notna(end) and m1 > end:
            lo = max(lo, (end - m1).days + shift_range + 1)
        if (lo, hi) != (-shift_range, shift_range):
            out[pid] = (lo, hi)
    return out


def shift_tables(tables: dict[str, pd.DataFrame], shifts: dict[str, int], sign: int = 1) -> None:
    """Move every date of every patient table by the patient's shift (in place); ``sign=-1`` undoes it."""
    for name, cols in DATE_COLUMNS.items():
        df = tables[name]
        if not len(df) or not cols:
            continue
        days = df["patient_id"].map(shifts)
        if days.isna().any():
            raise DateShiftError(f"table {name}: a patient without a shift")
        delta = pd.to_timedelta(days.astype("int64") * sign, unit="D")
        for c in cols:
            df[c] = _add(df[c], delta, name, c)


def _add(s: pd.Series, delta, table: str, column: str) -> pd.Series:
    ok = s.notna()
    lo = s[ok].min() if ok.any() else None
    hi = s[ok].max() if ok.any() else None
    if lo is not None and (lo < _MIN + pd.Timedelta(days=800) or hi > _MAX - pd.Timedelta(days=800)):
        raise DateShiftError(f"table {table}, column {column}: a date too close to the ends of the calendar "
                             "(years 1 or 9999) to shift")
    return (s + delta).astype(s.dtype)


def shift_study(study: pd.DataFrame, cutoff_shift: int, shift_range: int, sign: int = 1) -> pd.DataFrame:
    """The study row's dates: cut-off + cutoff_shift, enrollment window widened by shift_range on each side
    (``sign=-1`` undoes it). A date within two shift ranges of 9999-12-31 (a "no cut-off" cut-off) stays as it is."""
    st = study.copy()
    moves = {"data_cutoff": cutoff_shift, "enrollment_start": -shift_range, "enrollment_end": shift_range}
    far_from = _MAX - pd.Timedelta(days=3 * shift_range)
    for col, days in moves.items():
        v = st[col]
        far = (v > far_from).fillna(False).to_numpy(dtype=bool)
        moved = _add(v.where(~far, pd.NaT), pd.Timedelta(days=days * sign), "study", col)
        st[col] = moved.where(~far, v)
    return st


def latest_dates(tables: dict[str, pd.DataFrame]) -> pd.Series:
    """Each patient's latest date in any table (NaT when the patient has none)."""
    parts = []
    for name, cols in DATE_COLUMNS.items():
        df = tables[name]
        if len(df) and cols:
            parts.append(pd.DataFrame({"patient_id": df["patient_id"], "d": df[cols].max(axis=1)}))
    if not parts:
        return pd.Series(dtype="datetime64[s]")
    both = pd.concat(parts, ignore_index=True)
    return both.groupby("patient_id")["d"].max()


__all__ = ["apply_cutoff", "shift_ranges", "shift_tables", "shift_study", "latest_dates", "mab1_dates",
           "DateShiftError"]
