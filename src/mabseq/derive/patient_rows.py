"""One patient's rows of every table, as plain Python values, grouped once for the whole cohort (the input of
:func:`.patient.derive_patient`)."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from ..cohort.model import Cohort

def _d(ts) -> dt.date | None:
    if ts is None or ts is pd.NaT or (not isinstance(ts, (dt.date, str)) and pd.isna(ts)):
        return None
    if isinstance(ts, pd.Timestamp):
        return ts.date()
    return ts


def _v(x):
    return None if x is None or x is pd.NA or (not isinstance(x, str) and pd.isna(x)) else x


# the date columns of each table a rule reads, as ``datetime.date`` (every other cell as read: str, int, float, bool)
DATE_COLUMNS = {"patients": ("birth_date", "diagnosis_date", "frontline_cr_date"),
                "therapies": ("start_date", "end_date"), "doses": ("dose_date",),
                "assessments": ("assessment_date",),
                "transplants": ("transplant_date", "conditioning_start_date", "anc_engraftment_date"),
                "toxicity_episodes": ("onset_date", "resolution_date"),
                "toxicity_observations": ("observation_date",), "disease_events": ("event_date",),
                "follow_up": ("last_contact_date", "death_date")}


def _column_values(s: pd.Series, as_date: bool) -> list:
    """One column as Python values, a missing cell as None: the whole column converted at once (no per-cell
    test), equal to :func:`_v` / :func:`_d` applied to each cell of ``to_dict('records')`` (tests/test_scale.py)."""
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        vals = s.dt.date if as_date else s.astype(object)
        return [None if m else v for v, m in zip(vals.tolist(), s.isna().tolist())]
    if pd.api.types.is_float_dtype(s.dtype):  # NA and a NaN that is not NA (Float64 keeps 0/0 as NaN) both None
        obj = s.to_numpy(dtype=object, na_value=None)
        obj[np.isnan(s.to_numpy(dtype="float64", na_value=np.nan))] = None
        out = obj.tolist()
    else:
        out = s.to_numpy(dtype=object, na_value=None).tolist()
        if s.dtype == object:  # NaN left by an object column
            out = [_v(v) for v in out]
    return [_d(v) for v in out] if as_date else out


def records_by_patient(cohort: Cohort) -> dict[str, tuple[tuple[str, ...], dict[str, list[tuple]]]]:
    """Every per-patient table as {table: (column names, {patient_id: [row tuples]})}, built once for the whole
    cohort: each column converted once (vectorized), then the rows grouped by patient in one pass (linear in the
    rows). Rows are kept as tuples, and each becomes a dict only when its patient is derived
    (:class:`PatientData`, which hands the rules a fresh dict they may change): one dict per row, not two."""
    out = {}
    for name, df in cohort.tables.items():
        if "patient_id" not in df.columns:
            continue
        dates = set(DATE_COLUMNS.get(name, ()))
        keys = list(df.columns)
        cols = [_column_values(df[c], c in dates) for c in keys]
        for c in sorted(dates - set(keys)):  # a date column the table lacks reads as None, as on the plain path
            keys.append(c)
            cols.append([None] * len(df))
        at = keys.index("patient_id")
        groups: dict[str, list[tuple]] = {}
        for row in zip(*cols):
            groups.setdefault(row[at], []).append(row)
        out[name] = (tuple(keys), groups)
    return out


class PatientData:
    """One patient's rows of every table, with dates as ``datetime.date``. ``by_patient`` (from
    :func:`records_by_patient`) holds them already converted; without it the patient's rows are selected and
    converted cell by cell (the plain path, kept as the oracle of the fast one)."""

    def __init__(self, cohort: Cohort, pid: str, cutoff: dt.date, by_patient: dict | None = None):
        self.pid = pid
        self.cutoff = cutoff

        def rows(name):
            if by_patient is not None:
                keys, groups = by_patient[name]
                return [dict(zip(keys, row)) for row in groups.get(pid, ())]
            df = cohort[name]
            out = []
            for rec in df[df["patient_id"] == pid].to_dict("records"):
                rec = {k: _v(v) for k, v in rec.items()}  # noqa: PLW2901
                for c in DATE_COLUMNS.get(name, ()):
                    rec[c] = _d(rec.get(c))
                out.append(rec)
            return out

        self.patient = rows("patients")[0]
        self.therapies = sorted(rows("therapies"), key=lambda r: (r["start_date"], r["course_id"]))
        self.doses = rows("doses")
        self.assessments = sorted(rows("assessments"), key=lambda r: (r["assessment_date"], r["specimen"]))
        self.transplants = sorted(rows("transplants"), key=lambda r: r["transplant_date"])
        self.tox = sorted(rows("toxicity_episodes"), key=lambda r: r["onset_date"])
        self.tox_obs = sorted(rows("toxicity_observations"), key=lambda r: r["observation_date"])
        self.events = sorted(rows("disease_events"), key=lambda r: r["event_date"])
        fu = rows("follow_up")
        self.follow_up = fu[0] if fu else {}

    # set once per cohort by derive_cohort (agvhd.absent_means_none): whether no aGVHD record means none
    agvhd_absent_is_none: bool = False
    # and which organ-stage columns the cohort records for anyone (agvhd.staged_organs)
    agvhd_staged: frozenset = frozenset(("skin_stage", "liver_stage", "lower_gi_stage"))

    def in_cutoff(self, d: dt.date | None) -> bool:
        return d is not None and d <= self.cutoff
