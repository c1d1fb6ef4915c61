"""From raw tables to a validated :class:`Cohort`, with every problem named.

Rules (each finding carries its rule id; errors stop a run, warnings are listed in the report):

=============================  =======  ==========================================================================
rule                           level    what
=============================  =======  ==========================================================================
table.missing                  error    the study, patients or follow_up table is absent
column.missing                 error    a required column is absent
column.unknown                 warning  a column the schema does not know (ignored)
required.missing               error    a required value is empty
type.integer / type.number     error    not a (whole) number
date.format / date.invalid     error    not YYYY-MM-DD, or no such date
date.excel_serial              error    a number in a date column
category.unknown               error    a value outside the column's choices
range                          error    outside the column's range (with a unit hint)
study.rows                     error    the study table must have exactly one row
key.duplicate                  error    two rows with the same key (patient, date, ...)
row.duplicate                  error    a row repeated exactly
ref.unknown_patient            error    a patient_id not in patients
ref.unknown_course             error    a course_id not in that patient's therapies
patient.no_follow_up           error    a patient without a follow_up row
patient.id_identifier          warning  a patient_id that looks like a medical record number or a date
patient.no_age                 warning  neither birth_date nor age_at_diagnosis
date.birth_after_diagnosis     error    born after diagnosis
date.end_before_start          error    a therapy ending before it starts
date.before_diagnosis          warning  a therapy, assessment, transplant or event before diagnosis
date.after_death               error    a dated record after the death date
date.death_before_diagnosis    error    death before diagnosis
date.after_cutoff              warning  a dated record after the data cut-off (ignored by analyses)
date.engraftment_before_day0   error    neutrophil engraftment before the transplant
followup.death_date_missing    warning  dead without a death date (excluded from time-to-event analyses)
followup.death_date_alive      error    a death date for a patient recorded alive
followup.contact_after_death   error    last contact after the death date
hla.matched_gt_typed           error    more matched HLA alleles than typed
dose.outside_course            warning  a dose date outside its course's start and end
file.* / mapping.*             error    unreadable file, wrong encoding, bad column-mapping file
redcap.dictionary / .records   error    not a REDCap data dictionary / empty records export
redcap.instrument              error    a repeat instrument the dictionary does not have (row named)
redcap.checkbox                error    a checkbox cell that is not 1/0 or Checked/Unchecked
redcap.record_id               error    no record ID column
=============================  =======  ==========================================================================
"""
from __future__ import annotations

import re

import pandas as pd

from .coerce import coerce_table, conform_index
from .findings import ERROR, WARNING, Findings
from .model import Cohort, RawTable, conform
from .schema import BY_NAME, TABLES

REQUIRED_TABLES = ("study", "patients", "follow_up")


class _Loc:
    """Row locations of the conformed tables, for findings after coercion."""

    def __init__(self, locations: dict[str, list[tuple[str, int]]]):
        self.locations = locations

    def __call__(self, table: str, i: int) -> tuple[str, int | None]:
        locs = self.locations.get(table, [])
        return locs[i] if i < len(locs) else (table, None)


def build_cohort(raws: list[RawTable], findings: Findings, source: str = "") -> Cohort:
    """Coerce and check ``raws``; findings are added to ``findings``. The cohort is usable only without errors."""
    by_table: dict[str, list[RawTable]] = {}
    for r in raws:
        by_table.setdefault(r.name, []).append(r)
    tables, locations, sources = {}, {}, {}
    for t in TABLES:
        parts = by_table.get(t.name, [])
        if not parts:
            if t.name in REQUIRED_TABLES:
                findings.add(ERROR, "table.missing", f"the {t.name} table (sheet or file) is missing", source,
                             t.name)
            continue
        frames = [coerce_table(raw, findings) for raw in parts]
        merged = pd.concat(frames, ignore_index=True)
        src_rows = [(raw.source, n) for raw in parts for n in raw.rows]  # each row keeps its own file
        tables[t.name] = conform(merged, t)
        locations[t.name] = [src_rows[i] for i in conform_index(merged, t)]
        sources[t.name] = " + ".join(raw.source for raw in parts)
    cohort = Cohort(tables, source, locations, sources)
    check_cohort(cohort, findings)
    return cohort


def _pid_looks_identifying(pid: str) -> bool:
    return bool(re.fullmatch(r"\d{7,}", pid) or re.fullmatch(r"\d{4}-\d{2}-\d{2}", pid)
                or re.search(r"\d{1,2}/\d{1,2}/\d{2,4}", pid))


def check_cohort(c: Cohort, findings: Findings) -> None:
    loc = _Loc(c.locations)

    def add(level, rule, msg, table, i=None, column="", value="", pid=""):
        src, row = loc(table, i) if i is not None else (c.table_sources.get(table, table), None)
        findings.add(level, rule, msg, src, table, row, column, "" if value is None else str(value), pid)

    study = c["study"]
    if "study" in c.locations and len(study) != 1:
        add(ERROR, "study.rows", f"the study table must have exactly one row, found {len(study)}", "study")
    cutoff = study["data_cutoff"].iloc[0] if len(study) == 1 else pd.NaT

    # keys and exact duplicates
    for t in TABLES:
        df = c[t.name]
        if not len(df):
            continue
        dup_rows = df.duplicated(keep="first")
        dup_keys = df.duplicated(subset=list(t.key), keep="first") & ~dup_rows
        for i in df.index[dup_rows]:
            add(ERROR, "row.duplicate", "this row repeats an earlier row exactly", t.name, i,
                pid=_pid(df, i))
        for i in df.index[dup_keys]:
            keyv = ", ".join(f"{k}={_fmt(df.at[i, k])}" for k in t.key)
            add(ERROR, "key.duplicate", f"another row has the same {', '.join(t.key)} ({keyv})", t.name, i,
                t.key[-1], _fmt(df.at[i, t.key[-1]]), _pid(df, i))

    patients = c["patients"]
    known = set(patients["patient_id"].dropna())
    for t in TABLES:
        if t.name in ("patients", "study") or "patient_id" not in t:
            continue
        df = c[t.name]
        for i in df.index[df["patient_id"].notna() & ~df["patient_id"].isin(known)]:
            add(ERROR, "ref.unknown_patient", "patient_id not found in the patients table", t.name, i,
                "patient_id", df.at[i, "patient_id"], df.at[i, "patient_id"])
    courses = set(zip(c["therapies"]["patient_id"], c["therapies"]["course_id"]))
    for tname in ("doses", "toxicity_episodes"):
        df = c[tname]
        for i in df.index[df["course_id"].notna()]:
            if (df.at[i, "patient_id"], df.at[i, "course_id"]) not in courses:
                add(ERROR, "ref.unknown_course", "course_id not found among this patient's therapies", tname, i,
                    "course_id", df.at[i, "course_id"], df.at[i, "patient_id"])

    fu = c["follow_up"]
    with_fu = set(fu["patient_id"].dropna())
    if "follow_up" in c.locations:
        for i in patients.index[~patients["patient_id"].isin(with_fu) & patients["patient_id"].notna()]:
            add(ERROR, "patient.no_follow_up", "patient has no row in follow_up (vital status)", "patients", i,
                "patient_id", patients.at[i, "patient_id"], patients.at[i, "patient_id"])

    for i in patients.index:
        pid = patients.at[i, "patient_id"]
        if pd.isna(pid):
            continue
        if _pid_looks_identifying(str(pid)):
            add(WARNING, "patient.id_identifier", "patient_id looks like a medical record number or a date; "
                "use study IDs only", "patients", i, "patient_id", pid, pid)
        if pd.isna(patients.at[i, "birth_date"]) and pd.isna(patients.at[i, "age_at_diagnosis"]):
            add(WARNING, "patient.no_age", "neither birth_date nor age_at_diagnosis is given", "patients", i,
                "birth_date", "", pid)
        b, d = patients.at[i, "birth_date"], patients.at[i, "diagnosis_date"]
        if pd.notna(b) and pd.notna(d) and b > d:
            add(ERROR, "date.birth_after_diagnosis", "birth_date is after diagnosis_date", "patients", i,
                "birth_date", _fmt(b), pid)

    dx = dict(zip(patients["patient_id"], patients["diagnosis_date"]))
    death = {}
    for i in fu.index:
        pid = fu.at[i, "patient_id"]
        status, dd, last = fu.at[i, "vital_status"], fu.at[i, "death_date"], fu.at[i, "last_contact_date"]
        if _is(status, "dead") and pd.isna(dd):
            add(WARNING, "followup.death_date_missing", "dead without a death date: excluded from time-to-event "
                "analyses and counted", "follow_up", i, "death_date", "", pid)
        if _is(status, "alive") and pd.notna(dd):
            add(ERROR, "followup.death_date_alive", "a death date for a patient recorded alive", "follow_up", i,
                "death_date", _fmt(dd), pid)
        if pd.notna(dd):
            death[pid] = dd
            if pd.notna(last) and last > dd:
                add(ERROR, "followup.contact_after_death", "last_contact_date is after death_date", "follow_up", i,
                    "last_contact_date", _fmt(last), pid)
            if pd.notna(dx.get(pid, pd.NaT)) and dd < dx[pid]:
                add(ERROR, "date.death_before_diagnosis", "death_date is before diagnosis_date", "follow_up", i,
                    "death_date", _fmt(dd), pid)

    th = c["therapies"]
    for i in th.index:
        s, e = th.at[i, "start_date"], th.at[i, "end_date"]
        if pd.notna(s) and pd.notna(e) and e < s:
            add(ERROR, "date.end_before_start", "end_date is before start_date", "therapies", i, "end_date",
                _fmt(e), th.at[i, "patient_id"])

    dated = [("therapies", "start_date"), ("therapies", "end_date"), ("doses", "dose_date"),
             ("assessments", "assessment_date"), ("transplants", "transplant_date"),
             ("toxicity_episodes", "onset_date"), ("toxicity_observations", "observation_date"),
             ("disease_events", "event_date"), ("follow_up", "last_contact_date")]
    for tname, col in dated:
        df = c[tname]
        for i in df.index:
            pid, v = df.at[i, "patient_id"], df.at[i, col]
            if pd.isna(v):
                continue
            d0 = dx.get(pid, pd.NaT)
            if tname not in ("therapies", "doses") and pd.notna(d0) and v < d0:
                add(WARNING, "date.before_diagnosis", f"{col} is before the patient's diagnosis_date", tname, i,
                    col, _fmt(v), pid)
            if tname != "follow_up" and pid in death and v > death[pid]:
                add(ERROR, "date.after_death", f"{col} is after the patient's death_date", tname, i, col, _fmt(v),
                    pid)
            if pd.notna(cutoff) and v > cutoff:
                add(WARNING, "date.after_cutoff", f"{col} is after the data cut-off {_fmt(cutoff)}; "
                    "analyses ignore it", tname, i, col, _fmt(v), pid)

    tx = c["transplants"]
    for i in tx.index:
        pid = tx.at[i, "patient_id"]
        eng, d0 = tx.at[i, "anc_engraftment_date"], tx.at[i, "transplant_date"]
        if pd.notna(eng) and pd.notna(d0) and eng < d0:
            add(ERROR, "date.engraftment_before_day0", "anc_engraftment_date is before transplant_date",
                "transplants", i, "anc_engraftment_date", _fmt(eng), pid)
        m, ty = tx.at[i, "hla_matched"], tx.at[i, "hla_typed"]
        if pd.notna(m) and pd.notna(ty) and m > ty:
            add(ERROR, "hla.matched_gt_typed", f"{m} matched of {ty} typed alleles", "transplants", i,
                "hla_matched", m, pid)

    span = {(th.at[i, "patient_id"], th.at[i, "course_id"]): (th.at[i, "start_date"], th.at[i, "end_date"])
            for i in th.index}
    doses = c["doses"]
    for i in doses.index:
        key = (doses.at[i, "patient_id"], doses.at[i, "course_id"])
        if key not in span:
            continue
        s, e = span[key]
        d = doses.at[i, "dose_date"]
        if pd.notna(d) and ((pd.notna(s) and d < s) or (pd.notna(e) and d > e)):
            add(WARNING, "dose.outside_course", "dose_date is outside the course's start_date..end_date", "doses",
                i, "dose_date", _fmt(d), key[0])


def _pid(df, i) -> str:
    return "" if "patient_id" not in df.columns or pd.isna(df.at[i, "patient_id"]) else str(df.at[i, "patient_id"])


def _fmt(v) -> str:
    if isinstance(v, pd.Timestamp):
        return v.date().isoformat()
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    return str(v)


__all__ = ["build_cohort", "check_cohort", "REQUIRED_TABLES", "BY_NAME"]


def _is(v, code: str) -> bool:
    return not (v is None or v is pd.NA) and v == code
