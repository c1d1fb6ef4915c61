"""De-identification of a cohort (HIPAA Safe Harbor, 45 CFR 164.514(b)(2)), keeping every interval the analyses use.

What ``mabseq deidentify`` does, in this order:

1. **Ids.** Every ``patient_id`` is replaced by a new random study id (``D001`` ... in random order) in every table.
   ``course_id`` values are kept (they are the center's codes, C1, C2, ...); one that the identifier scan flags is
   refused: fix it in DATA first.
2. **The cut-off, then the dates** (:mod:`mabseq.privacy.dateshift`): nothing after the data cut-off is kept and
   every patient's censoring is explicit; then every date of a patient moves by the patient's own random shift
   (-365..+365 days, never 0), so every interval within a patient is kept; the study's cut-off and enrollment
   window are moved so that they include and exclude exactly the patients they did.
3. **Birth dates** are removed, after the age at diagnosis is computed from them ((diagnosis - birth) days / 365.25,
   the derivation's own formula; it replaces a recorded age at diagnosis, so ages at every event stay as the
   analyses computed them). Ages are kept at the precision given: rounding would move patients across the 18-year
   inclusion boundary; with shifted dates an exact age yields only a shifted birth date.
4. **Ages over 89** (Safe Harbor: one category "90 or older"). Because intervals are kept, the age at diagnosis
   plus the years to a later date gives the age at that date, so the rule looks at the age at the patient's
   *latest* date: when it is 90 or more, ``age_at_diagnosis`` is stored as ``90 - (years from diagnosis to the latest
   date)``: the age at the latest date then reads exactly 90 (the category), no date implies an older age, and every
   age shown is a lower bound of the true one. ``deidentification.json`` counts these patients.
5. **Free text.** Columns on the clinical allow-list (:data:`ALLOWED_FREE_TEXT`: karyotype, KMT2A partner, regimen,
   agents, concurrent TKI, extramedullary site, conditioning regimen and agents, GVHD prophylaxis; the analyses read
   them) keep a cell only when the identifier scan finds nothing in it; every other free-text column is cleared
   (``disease_events.note``, ``study.center``) and the study name becomes ``deidentified``.
6. **Everything else** the schema holds is coded or numeric and kept. Columns the schema does not know were never
   read (they are counted, and listed by the identifier scan when their header names an identifier).

The key (old id -> new id, shift) goes to a separate file (:mod:`mabseq.privacy.key`). Safe Harbor's other
identifiers (names, addresses, phone, e-mail, SSN, MRN, URLs, ...) have no column in the schema; where one was typed
into a free-text column the scan flags the cell and step 5 clears it. What the de-identified cohort cannot keep: the
follow-up completeness index (it needs each patient's distance to the true cut-off; see
:mod:`mabseq.privacy.dateshift`).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..cohort.findings import Findings
from ..cohort.identifiers import describe, detect, flag_cells, free_text_columns, scan_identifiers
from ..cohort.model import Cohort, conform
from ..cohort.schema import BY_NAME, TABLES
from .dateshift import (DateShiftError, apply_cutoff, latest_dates, shift_ranges, shift_study, shift_tables)
from .key import SHIFT_RANGE_DAYS, DeidKey, KeyFileError, new_key

ALLOWED_FREE_TEXT = (("patients", "karyotype"), ("patients", "kmt2a_partner"), ("therapies", "regimen"),
                     ("therapies", "agents"), ("therapies", "concurrent_tki"), ("assessments", "emd_site"),
                     ("transplants", "conditioning_regimen"), ("transplants", "conditioning_agents"),
                     ("transplants", "gvhd_prophylaxis"))
STUDY_NAME = "deidentified"
AGE_TOP = 90.0
YEAR = 365.25


class DeidError(Exception):
    """A cohort that cannot be de-identified as it is (the message names table, row and column)."""


@dataclass
class DeidResult:
    cohort: Cohort
    key: DeidKey
    changes: dict[str, int] = field(default_factory=dict)


def deidentify(cohort: Cohort, key: DeidKey | None = None) -> DeidResult:
    """The de-identified cohort (rules in the module docstring) and its key: ``key`` when given (it must be this
    cohort's), else a new one."""
    patients = cohort["patients"]
    pids = [str(p) for p in patients["patient_id"] if pd.notna(p)]
    if len(pids) != len(patients) or len(set(pids)) != len(pids):
        raise DeidError("every patient needs one distinct patient_id")
    _refuse_flagged_course_ids(cohort)
    try:
        tables, changes = apply_cutoff(cohort)
    except DateShiftError as exc:
        raise DeidError(str(exc)) from None
    shift_range = key.shift_range if key is not None else SHIFT_RANGE_DAYS
    ranges = shift_ranges(cohort, tables, shift_range)
    if key is None:
        key = new_key(pids, ranges, shift_range)
    else:
        _check_key(key, pids, ranges)
    changes = {"patients": len(pids), **changes}
    _ages(tables, changes)
    _free_text(tables, changes)
    shifts = {p: key.shift(p) for p in pids}
    try:
        shift_tables(tables, shifts)
        tables["study"] = shift_study(tables["study"], key.cutoff_shift, key.shift_range)
    except DateShiftError as exc:
        raise DeidError(str(exc)) from None
    new_ids = {p: key.study_id(p) for p in pids}
    for t in TABLES:
        df = tables[t.name]
        if "patient_id" in df.columns and len(df):
            df["patient_id"] = df["patient_id"].map(new_ids).astype("string")
    out = Cohort({t.name: conform(tables[t.name], t) for t in TABLES}, STUDY_NAME)
    left = Findings()
    scan_identifiers(out, left)
    if len(left):  # cannot happen by the rules above; never write a cohort that still holds one
        raise DeidError("the de-identified cohort still holds an identifier: " + str(left.items[0]))
    return DeidResult(out, key, changes)


def _refuse_flagged_course_ids(cohort: Cohort) -> None:
    for tname in ("therapies", "doses", "toxicity_episodes"):
        df = cohort[tname]
        hits = detect(df["course_id"], "id")
        if hits:
            i = min(hits)
            locs = cohort.locations.get(tname, [])
            src, row = locs[i] if i < len(locs) else (tname, None)
            where = f"{src}, row {row}" if row is not None else src
            raise DeidError(f"{where}, column 'course_id': looks like {describe(hits[i])} ({len(hits)} such "
                            "cell(s)); course ids are kept as they are, so replace them in DATA first")


def _check_key(key: DeidKey, pids: list[str], ranges: dict[str, tuple[int, int]]) -> None:
    have, want = set(key.patients), set(pids)
    if have != want:
        raise KeyFileError(f"the key file was made for another cohort: {len(want - have)} patient(s) of DATA are not "
                           f"in it and {len(have - want)} of its patients are not in DATA; give a new --key file "
                           "name (a key file is never overwritten)")
    bad = [p for p, (lo, hi) in ranges.items() if not lo <= key.shift(p) <= hi]
    if bad:
        raise KeyFileError(f"the key's date shift of {len(bad)} patient(s) would move their first antibody course "
                           "across the enrollment window (the cohort changed since the key was made); give a new "
                           "--key file name")


def _ages(tables: dict[str, pd.DataFrame], changes: dict[str, int]) -> None:
    p = tables["patients"]
    birth, dx = p["birth_date"], p["diagnosis_date"]
    age = p["age_at_diagnosis"].astype("Float64").copy()
    from_birth = (birth.notna() & dx.notna()).to_numpy(dtype=bool)
    if from_birth.any():
        computed = ((dx - birth).dt.days / YEAR).astype("Float64")
        differs = from_birth & age.notna().to_numpy(dtype=bool) & ((age - computed).abs() > 1e-9).fillna(
            False).to_numpy(dtype=bool)
        if differs.any():
            changes["recorded ages at diagnosis replaced by the age from the birth date"] = int(differs.sum())
        age[from_birth] = computed[from_birth]
    n_birth = int(birth.notna().sum())
    if n_birth:
        changes["birth dates removed"] = n_birth
        no_dx = int((birth.notna() & dx.isna()).sum())
        if no_dx:
            changes["birth dates removed without a diagnosis date (age unknown)"] = no_dx
    latest = p["patient_id"].map(latest_dates(tables))
    years = ((pd.to_datetime(latest) - dx).dt.days / YEAR).astype("Float64").fillna(0.0).clip(lower=0.0)
    top = (age.notna() & (age + years >= AGE_TOP)).fillna(False).to_numpy(dtype=bool)
    if top.any():
        changes["ages top-coded: 90 or older at the latest date (stored as 90 at that date)"] = int(top.sum())
        age[top] = (AGE_TOP - years[top]).clip(lower=0.0)
    p["age_at_diagnosis"] = age
    p["birth_date"] = pd.Series([pd.NaT] * len(p), dtype=birth.dtype)


def _free_text(tables: dict[str, pd.DataFrame], changes: dict[str, int]) -> None:
    allowed = set(ALLOWED_FREE_TEXT)
    for tname, col in free_text_columns():
        df = tables[tname]
        if not len(df):
            continue
        if tname == "study":
            continue
        s = df[col]
        if (tname, col) in allowed:
            mask = flag_cells(s, "text")
            if mask.any():
                changes[f"{tname}.{col}: cells holding an identifier cleared"] = int(mask.sum())
                df.loc[mask, col] = pd.NA
        else:
            n = int(s.notna().sum())
            if n:
                changes[f"{tname}.{col}: free text cleared (not on the allow-list)"] = n
            df[col] = pd.Series([pd.NA] * len(df), dtype=s.dtype)
    st = tables["study"]
    if len(st):
        if st["center"].notna().any():
            changes["study.center: cleared"] = int(st["center"].notna().sum())
        st["center"] = pd.Series([pd.NA] * len(st), dtype=st["center"].dtype)
        st["study_name"] = pd.Series([STUDY_NAME] * len(st), dtype=st["study_name"].dtype)
        st["dates_shifted"] = pd.Series(["yes"] * len(st), dtype=st["dates_shifted"].dtype)


def reidentify(cohort: Cohort, key: DeidKey) -> Cohort:
    """The original patient ids and calendar dates of a de-identified cohort, from its key (birth dates, cleared
    text and removed rows do not come back)."""
    back = {new: old for old, (new, _) in key.patients.items()}
    tables = {name: df.copy() for name, df in cohort.tables.items()}
    ids = tables["patients"]["patient_id"]
    unknown = sorted(set(ids.dropna()) - set(back))
    if unknown:
        raise KeyFileError(f"{len(unknown)} study id(s) of the cohort are not in the key: another cohort's key")
    shifts = {new: key.patients[old][1] for new, old in back.items()}
    shift_tables(tables, shifts, sign=-1)
    tables["study"] = shift_study(tables["study"], key.cutoff_shift, key.shift_range, sign=-1)
    tables["study"]["dates_shifted"] = pd.Series([pd.NA] * len(tables["study"]), dtype="string")  # as before
    for t in TABLES:
        df = tables[t.name]
        if "patient_id" in df.columns and len(df):
            df["patient_id"] = df["patient_id"].map(back).astype("string")
    return Cohort({t.name: conform(tables[t.name], BY_NAME[t.name]) for t in TABLES}, cohort.source)


__all__ = ["deidentify", "reidentify", "DeidResult", "DeidError", "ALLOWED_FREE_TEXT", "STUDY_NAME"]
