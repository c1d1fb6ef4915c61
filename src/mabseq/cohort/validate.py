"""From raw tables to a validated :class:`Cohort`, with every problem named.

Rules (each finding carries its rule id; errors stop a run, warnings are listed in the report):

=============================  =======  ==========================================================================
rule                           level    what
=============================  =======  ==========================================================================
table.missing                  error    the study, patients or follow_up table is absent
table.unknown                  warning  a sheet, file, stored table or view the schema does not know (ignored)
column.missing                 error    a required column is absent
column.unknown                 warning  a column the schema does not know (ignored)
column.duplicate               error    two columns with the same (mapped) name
stored.column_type             error    a stored (DuckDB/Parquet) column of a type the schema column cannot hold
stored.view                    error    a DuckDB VIEW named like a schema table (a query, not data: refused)
stored.generated               error    a generated (computed) column in a stored table (code, not data: refused)
required.missing               error    a required value is empty
type.integer / type.number     error    not a (whole, finite) number
date.format / date.invalid     error    not YYYY-MM-DD, or no such date
date.excel_serial              error    a number in a date column
date.time_of_day               error    a date-time with a time of day in a date column
category.unknown               error    a value outside the column's choices
range                          error    outside the column's range (with a unit hint)
study.rows                     error    the study table must have exactly one row
key.duplicate                  error    two rows with the same key (patient, date, ...); both rows named
row.duplicate                  error    a row repeated exactly; both rows named
patient.id_case                error    two patient_ids that differ only in letter case (P01 and p01)
ref.unknown_patient            error    a patient_id not in patients ("did you mean" when only case differs)
ref.unknown_course             error    a course_id not in that patient's therapies (likewise)
patient.no_follow_up           error    a patient without a follow_up row
patient.id_identifier          e / w    a patient_id that is an identifier (the scan in identifiers.py)
patient.no_age                 warning  neither birth_date nor age_at_diagnosis
patient.age_range              error    birth_date gives an age at diagnosis above the schema's 110 years
date.implausible               error    a date before 1900-01-01 or after 2099-12-31 (the data cut-off included)
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
agvhd.grade_disagrees          warning  a transplant's agvhd_max_grade differs from the highest grade of the aGVHD
                                        episodes after it (both rows named; the dated episodes are used)
file.* / mapping.*             error    unreadable file, not the format its name says, bad column-mapping file
                                        (file.missing/.format/.unreadable/.encoding/.empty/.nul/.too_large/
                                        .not_regular/.link_outside/.delimiter, file.ignored a warning; mapping.
                                        structure/.unknown_key/.unknown_table/.unknown_column/.duplicate/...)
xlsx.*                         error    a workbook refused before inflating: zip_bomb, too_large, too_many_parts,
                                        dtd (entity declarations), damaged
sheet.hidden / .empty          warning  a hidden or very hidden sheet is not read; an empty sheet
cell.formula_no_value          error    a formula without a saved value (the cell is named); .formula_error an
                                        error value (#N/A ...); .merged merged cells; .too_long over 32,767 chars
csv.malformed / row.*          error    a quote left open, too few / too many fields; a repeated header row
table.duplicate / .too_many_*  error    two files or sheets for one table by name alone; row and column limits
read.stopped                   warning  a file that could not be read stops its reader: no cascade of findings
redcap.dictionary / .records   error    not a REDCap data dictionary / empty records export
redcap.instrument              error    a repeat instrument the dictionary does not have (row named)
redcap.checkbox                error    a checkbox cell that is not 1/0 or Checked/Unchecked
redcap.record_id               error    no record ID column
=============================  =======  ==========================================================================

Plausible dates are a fixed window, 1900-01-01 to 2099-12-31, so that the same cohort gets the same findings
whatever day it is checked on (no rule looks at today's date): a year 1500 or 2150 is a typo, and a cut-off of
9999-12-31 (a placeholder for "none") would make every follow-up end 8,000 years later. Ages: birth_date to
diagnosis_date in years of 365.25 days, held to the range of age_at_diagnosis (0 to 110).

Every check is a column operation (pandas/numpy); only the rows that break a rule are visited, to write their
findings, so that checking a cohort costs the same per row at any size.
"""
from __future__ import annotations


import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .coerce import coerce_table, show_value
from .findings import ERROR, WARNING, Findings
from .model import Cohort, RawTable, RowLocations, conform, key_order
from .schema import BY_NAME, TABLES

REQUIRED_TABLES = ("study", "patients", "follow_up")
EARLIEST_DATE = np.datetime64("1900-01-01", "s")
LATEST_DATE = np.datetime64("2099-12-31", "s")
MAX_AGE = BY_NAME["patients"]["age_at_diagnosis"].max


def build_cohort(raws: list[RawTable], findings: Findings, source: str = "", progress=None) -> Cohort:
    """Coerce and check ``raws``; findings are added to ``findings``. The cohort is usable only without errors."""
    by_table: dict[str, list[RawTable]] = {}
    for r in raws:
        by_table.setdefault(r.name, []).append(r)
    tables, locations, sources = {}, {}, {}
    for k, t in enumerate(TABLES):
        parts = by_table.get(t.name, [])
        if progress:
            progress(f"reading values of {t.name}", k, len(TABLES))
        if not parts:
            if t.name in REQUIRED_TABLES:
                findings.add(ERROR, "table.missing", f"the {t.name} table (sheet or file) is missing", source,
                             t.name)
            continue
        frames = [coerce_table(raw, findings) for raw in parts]
        merged = frames[0] if len(frames) == 1 else pd.concat(frames, ignore_index=True)
        typed = conform(merged, t, np.arange(len(merged)))
        order = key_order(typed, t)
        sorted_already = bool(np.array_equal(order, np.arange(len(order))))
        tables[t.name] = typed if sorted_already else typed.take(order).reset_index(drop=True)
        locs = RowLocations([raw.source for raw in parts],  # each row keeps its own file
                            np.repeat(np.arange(len(parts)), [len(raw.frame) for raw in parts]),
                            np.concatenate([np.asarray(raw.rows, dtype=np.int64) for raw in parts]))
        locations[t.name] = locs.take(order)
        sources[t.name] = " + ".join(raw.source for raw in parts)
    cohort = Cohort(tables, source, locations, sources)
    check_cohort(cohort, findings, progress)
    return cohort


class _Checks:
    """The cohort, its findings and the lookups several checks share."""

    def __init__(self, c: Cohort, findings: Findings):
        self.c, self.findings = c, findings
        study = c["study"]
        self.cutoff = study["data_cutoff"].iloc[0] if len(study) == 1 else pd.NaT
        self._pidx: dict[str, np.ndarray] = {}
        self.dx = c["patients"]["diagnosis_date"].to_numpy()
        fu, fu_idx = c["follow_up"], self.pidx("follow_up")
        self.death = np.full(len(self.dx), np.datetime64("NaT"), dtype="datetime64[s]")
        dd = fu["death_date"].to_numpy()
        has = (fu_idx >= 0) & ~np.isnat(dd)
        self.death[fu_idx[has]] = dd[has]

    def pidx(self, table: str) -> np.ndarray:
        """For every row of ``table``, the position of its patient in the patients table (the first row with that
        patient_id), -1 when there is none; one hashing pass over every table's patient_id."""
        if not self._pidx:
            names = [t.name for t in TABLES if "patient_id" in t]  # patients first
            cols = [_arrow(self.c[n]["patient_id"]) for n in names]
            self._pidx = dict(zip(names, positions_in(cols[0], cols)))
        return self._pidx[table]

    def per_patient(self, table: str, values: np.ndarray) -> np.ndarray:
        """``values`` (one per patient row) for every row of ``table`` (NaT where its patient is unknown)."""
        idx = self.pidx(table)
        out = np.full(len(idx), np.datetime64("NaT"), dtype="datetime64[s]")
        hit = idx >= 0
        out[hit] = values[idx[hit]]
        return out

    def where(self, table: str, i: int) -> tuple[str, int | None]:
        locs = self.c.locations.get(table, [])
        return locs[i] if i < len(locs) else (table, None)

    def add(self, level, rule, msg, table, i=None, column="", value="", pid=""):
        src, row = self.where(table, i) if i is not None else (self.c.table_sources.get(table, table), None)
        self.findings.add(level, rule, msg, src, table, row, column, _fmt(value), "" if pid is None else
                          _fmt(pid))

    def add_rows(self, level, rule, msg, table: str, mask, column: str, value_col: str | None = None):
        """One finding per row where ``mask`` holds; ``msg`` may be a function of the row position."""
        df = self.c[table]
        pos = np.flatnonzero(np.asarray(pd.Series(mask).fillna(False), dtype=bool))
        if not len(pos):
            return
        vals = df[value_col or column].iloc[pos].tolist() if (value_col or column) else [""] * len(pos)
        pids = df["patient_id"].iloc[pos].tolist() if "patient_id" in df.columns else [""] * len(pos)
        for i, v, pid in zip(pos.tolist(), vals, pids):
            self.add(level, rule, msg(i) if callable(msg) else msg, table, i, column, v, pid)

    def elsewhere(self, table: str, i: int, j: int) -> str:
        """Where row ``j`` is, said from row ``i``'s place ("row 3", or "file.csv row 3")."""
        (src_i, _), (src_j, row_j) = self.where(table, i), self.where(table, j)
        return f"row {row_j}" if src_i == src_j else f"{src_j} row {row_j}"


def _arrow(s: pd.Series) -> pa.Array:
    """A text column as one Arrow array (nulls for missing)."""
    a = pa.array(s.astype("string"), from_pandas=True)
    a = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
    return pc.cast(a, pa.large_string())


def positions_in(reference: pa.Array, columns: list[pa.Array]) -> list[np.ndarray]:
    """For each value of each of ``columns``, the position of its first occurrence in ``reference`` (-1 if absent
    or missing): all of them dictionary-encoded together, so each value is hashed once."""
    sizes = [len(a) for a in columns]
    enc = pc.dictionary_encode(pa.concat_arrays([reference] + list(columns)))
    codes = np.asarray(pc.fill_null(enc.indices, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
    ref = codes[:len(reference)]
    first = np.full(len(enc.dictionary) + 1, -1, dtype=np.int64)  # last slot: missing values
    ok = np.flatnonzero(ref >= 0)[::-1]
    first[ref[ok]] = ok  # reversed, so the first occurrence is written last and wins
    out, at = [], len(reference)
    for n in sizes:
        out.append(first[codes[at:at + n]])
        at += n
    return out


def _pairs(a: pd.Series, b: pd.Series) -> pa.Array:
    """Two text columns as one (for a two-column key lookup); missing when either is."""
    return pc.binary_join_element_wise(_arrow(a), _arrow(b), pa.scalar("\x1f", pa.large_string()))


def check_cohort(c: Cohort, findings: Findings, progress=None) -> None:
    """Every cross-row and cross-table rule of the table above, on a cohort of typed, conformed frames."""
    ctx = _Checks(c, findings)
    steps = (("rows and keys", _keys), ("patient ids", _id_case), ("references", _references),
             ("patients", _patients), ("follow-up", _follow_up), ("plausible dates", _plausible_dates),
             ("dated records", _dated), ("transplants", _transplants), ("acute GVHD grades", _agvhd_grades),
             ("doses", _doses))
    for k, (label, fn) in enumerate(steps):
        if progress:
            progress(f"checking {label}", k, len(steps))
        fn(ctx)
    if progress:
        progress("checked", len(steps), len(steps))


def _first_positions(hashes: np.ndarray) -> np.ndarray:
    """For each row, the position of the first row with the same hash."""
    _, first, inverse = np.unique(hashes, return_index=True, return_inverse=True)
    return first[inverse]


def _same_as_previous(df: pd.DataFrame, columns: list[str]) -> np.ndarray:
    """Row i equals row i-1 in every one of ``columns`` (two missing values are equal); False for row 0."""
    n = len(df)
    same = np.ones(max(n - 1, 0), dtype=bool)
    for k in columns:
        a = pa.array(df[k], from_pandas=True)
        a = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
        x, y = a.slice(1), a.slice(0, n - 1)
        eq = pc.fill_null(pc.equal(x, y), False)
        both = pc.and_(pc.is_null(x), pc.is_null(y))
        same &= np.asarray(pc.or_(eq, both).to_numpy(zero_copy_only=False), dtype=bool)
    return np.concatenate([[False], same]) if n else np.zeros(0, dtype=bool)


def _keys(ctx: _Checks) -> None:
    """Duplicate keys and rows. The frames are sorted by key, so rows with one key are neighbours: a key is
    compared with the row before, and only groups of more than one row are compared whole."""
    c = ctx.c
    study = c["study"]
    if "study" in c.locations and len(study) != 1:
        ctx.add(ERROR, "study.rows", f"the study table must have exactly one row, found {len(study)}", "study")
    for t in TABLES:
        df = c[t.name]
        n = len(df)
        if not n:
            continue
        keys = list(t.key)
        same = _same_as_previous(df, keys)
        if not same.any():
            continue
        pos = np.arange(n)
        first = np.maximum.accumulate(np.where(same, 0, pos))  # the first row of each key group
        grouped = same | np.concatenate([same[1:], [False]])
        cand = np.flatnonzero(grouped)
        sub = df.iloc[cand]
        dup_rows = np.zeros(n, dtype=bool)
        dup_rows[cand] = sub.duplicated(keep="first").to_numpy()
        row_first = pos.copy()
        if dup_rows.any():
            row_first[cand] = cand[_first_positions(pd.util.hash_pandas_object(sub, index=False).to_numpy())]
            ctx.add_rows(ERROR, "row.duplicate", lambda i: "this row repeats an earlier row exactly "
                         f"({ctx.elsewhere(t.name, i, row_first[i])})", t.name, dup_rows, "", None)
        complete = df[keys].notna().all(axis=1).to_numpy()  # a missing key part is an error already
        dup_keys = same & ~dup_rows & complete

        def msg(i, t=t, first=first):
            keyv = ", ".join(f"{k}={_fmt(df[k].iloc[i])}" for k in t.key)
            return f"another row has the same {', '.join(t.key)} ({keyv}): {ctx.elsewhere(t.name, i, first[i])}"
        ctx.add_rows(ERROR, "key.duplicate", msg, t.name, dup_keys, t.key[-1])


def _norm_ids(s: pd.Series) -> pd.Series:
    return s.astype("string").str.strip().str.lower()


def _id_case(ctx: _Checks) -> None:
    """Patient ids equal but for letter case: one patient entered twice, or two patients a typo apart."""
    p = ctx.c["patients"]["patient_id"]
    norm = _norm_ids(p)
    clash = (norm.duplicated(keep=False) & norm.notna()).to_numpy()
    if not clash.any():
        return
    first: dict[str, tuple[int, str]] = {}
    for i in np.flatnonzero(clash).tolist():
        pid, key = p.iloc[i], norm.iloc[i]
        if key not in first:
            first[key] = (i, pid)
            continue
        j, other = first[key]
        if pid != other:
            ctx.add(ERROR, "patient.id_case", f"patient_id {pid!r} differs from {other!r} "
                    f"({ctx.elsewhere('patients', i, j)}) only in letter case: the same patient entered twice, or "
                    "two patients whose study IDs should differ by more than case", "patients", i, "patient_id",
                    pid, pid)


def _case_match(value, known: dict[str, str]):
    """The known id equal to ``value`` but for letter case and surrounding spaces, if any."""
    if value is None or value is pd.NA:
        return None
    match = known.get(str(value).strip().lower())
    return match if match is not None and match != value else None


def _hint(value, known: dict[str, str]) -> str:
    match = _case_match(value, known)
    return f"; did you mean {match!r} (it differs only in letter case)?" if match else ""


def _references(ctx: _Checks) -> None:
    c = ctx.c
    patients = c["patients"]
    ids = patients["patient_id"].dropna()
    by_norm = None
    for t in TABLES:
        if "patients" not in c.locations:
            break  # no patients table (an error already): every reference would be unknown
        if t.name in ("patients", "study") or "patient_id" not in t:
            continue
        df = c[t.name]
        bad = df["patient_id"].notna().to_numpy() & (ctx.pidx(t.name) < 0)
        if bad.any():
            if by_norm is None:
                by_norm = dict(zip(_norm_ids(ids).tolist()[::-1], ids.tolist()[::-1]))
            ctx.add_rows(ERROR, "ref.unknown_patient", lambda i, df=df: "patient_id not found in the patients "
                         "table" + _hint(df["patient_id"].iloc[i], by_norm), t.name, bad, "patient_id")
    th = c["therapies"]
    names = ("doses", "toxicity_episodes")
    found = positions_in(_pairs(th["patient_id"], th["course_id"]),
                         [_pairs(c[n]["patient_id"], c[n]["course_id"]) for n in names])
    for tname, pos in zip(names, found):
        df = c[tname]
        bad = df["course_id"].notna().to_numpy() & (pos < 0)
        if bad.any():
            own = {}
            for pid, course in zip(th["patient_id"].tolist(), th["course_id"].tolist()):
                if pid is not pd.NA and course is not pd.NA:
                    own.setdefault((pid, str(course).strip().lower()), course)

            def msg(i, df=df, own=own):
                pid, course = df["patient_id"].iloc[i], df["course_id"].iloc[i]
                match = own.get((pid, str(course).strip().lower()))
                hint = f"; did you mean {match!r} (it differs only in letter case)?" if match else ""
                return "course_id not found among this patient's therapies" + hint
            ctx.add_rows(ERROR, "ref.unknown_course", msg, tname, bad, "course_id")
    fu = c["follow_up"]
    if "follow_up" in c.locations:
        covered = np.zeros(len(patients), dtype=bool)
        fu_idx = ctx.pidx("follow_up")
        covered[fu_idx[fu_idx >= 0]] = True
        own = ctx.pidx("patients")
        bad = patients["patient_id"].notna().to_numpy() & ~covered[np.where(own >= 0, own, 0)]
        if bad.any():
            fu_ids = fu["patient_id"].dropna()
            fu_norm = dict(zip(_norm_ids(fu_ids).tolist(), fu_ids.tolist()))

            def msg(i):
                match = _case_match(patients["patient_id"].iloc[i], fu_norm)
                return "patient has no row in follow_up (vital status)" + (
                    f"; follow_up has {match!r}, which differs only in letter case" if match else "")
            ctx.add_rows(ERROR, "patient.no_follow_up", msg, "patients", bad, "patient_id")


def _patients(ctx: _Checks) -> None:
    p = ctx.c["patients"]
    pid = p["patient_id"]
    has = pid.notna()
    birth, dx = p["birth_date"], p["diagnosis_date"]
    ctx.add_rows(WARNING, "patient.no_age", "neither birth_date nor age_at_diagnosis is given", "patients",
                 has & birth.isna() & p["age_at_diagnosis"].isna(), "birth_date", "age_at_diagnosis")
    ctx.add_rows(ERROR, "date.birth_after_diagnosis", "birth_date is after diagnosis_date", "patients",
                 has & (birth > dx), "birth_date")
    days = (dx.to_numpy() - birth.to_numpy()).astype("timedelta64[D]").astype(np.float64)
    years = np.where(np.isnan(days), np.nan, days / 365.25)
    old = has.to_numpy() & (np.nan_to_num(years, nan=0.0) > MAX_AGE)
    ctx.add_rows(ERROR, "patient.age_range", lambda i: f"birth_date gives an age at diagnosis of {years[i]:.0f} "
                 f"years, outside the allowed range 0 to {MAX_AGE:g} years (a typo in a year?)", "patients", old,
                 "birth_date")


def _follow_up(ctx: _Checks) -> None:
    fu = ctx.c["follow_up"]
    status, dd, last = fu["vital_status"], fu["death_date"], fu["last_contact_date"]
    ctx.add_rows(WARNING, "followup.death_date_missing", "dead without a death date: excluded from time-to-event "
                 "analyses and counted", "follow_up", (status == "dead").fillna(False) & dd.isna(), "death_date")
    ctx.add_rows(ERROR, "followup.death_date_alive", "a death date for a patient recorded alive", "follow_up",
                 (status == "alive").fillna(False) & dd.notna(), "death_date")
    ctx.add_rows(ERROR, "followup.contact_after_death", "last_contact_date is after death_date", "follow_up",
                 dd.notna() & (last > dd), "last_contact_date")
    d0 = ctx.per_patient("follow_up", ctx.dx)
    ctx.add_rows(ERROR, "date.death_before_diagnosis", "death_date is before diagnosis_date", "follow_up",
                 dd.to_numpy() < d0, "death_date")
    th = ctx.c["therapies"]
    ctx.add_rows(ERROR, "date.end_before_start", "end_date is before start_date", "therapies",
                 th["end_date"] < th["start_date"], "end_date")


def _plausible_dates(ctx: _Checks) -> None:
    for t in TABLES:
        df = ctx.c[t.name]
        for col in t.columns:
            if col.type != "date" or not len(df):
                continue
            v = df[col.name].to_numpy()
            early, late = v < EARLIEST_DATE, v > LATEST_DATE
            if not (early.any() or late.any()):
                continue
            if t.name == "study" and col.name == "data_cutoff":
                msg = ("the data cut-off must be a real date from 1900-01-01 to 2099-12-31: every analysis "
                       "follows patients up to it (a far-future date is not a way to say 'no cut-off')")
                ctx.add_rows(ERROR, "date.implausible", msg, t.name, early | late, col.name)
                continue
            ctx.add_rows(ERROR, "date.implausible", f"{col.name} is before 1900-01-01: not a plausible date "
                         "(a typo in the year?)", t.name, early, col.name)
            ctx.add_rows(ERROR, "date.implausible", f"{col.name} is after 2099-12-31: not a plausible date "
                         "(a typo in the year?)", t.name, late, col.name)


_DATED = (("therapies", "start_date"), ("therapies", "end_date"), ("doses", "dose_date"),
          ("assessments", "assessment_date"), ("transplants", "transplant_date"),
          ("toxicity_episodes", "onset_date"), ("toxicity_observations", "observation_date"),
          ("disease_events", "event_date"), ("follow_up", "last_contact_date"))


def _dated(ctx: _Checks) -> None:
    cutoff = ctx.cutoff
    for tname, col in _DATED:
        df = ctx.c[tname]
        if not len(df):
            continue
        v = df[col].to_numpy()
        if tname not in ("therapies", "doses"):
            d0 = ctx.per_patient(tname, ctx.dx)
            ctx.add_rows(WARNING, "date.before_diagnosis", f"{col} is before the patient's diagnosis_date", tname,
                         v < d0, col)
        if tname != "follow_up":
            dd = ctx.per_patient(tname, ctx.death)
            ctx.add_rows(ERROR, "date.after_death", f"{col} is after the patient's death_date", tname, v > dd, col)
        if pd.notna(cutoff):
            ctx.add_rows(WARNING, "date.after_cutoff", f"{col} is after the data cut-off {_fmt(cutoff)}; "
                         "analyses ignore it", tname, v > np.datetime64(cutoff.to_datetime64(), "s"), col)


def _transplants(ctx: _Checks) -> None:
    tx = ctx.c["transplants"]
    ctx.add_rows(ERROR, "date.engraftment_before_day0", "anc_engraftment_date is before transplant_date",
                 "transplants", tx["anc_engraftment_date"] < tx["transplant_date"], "anc_engraftment_date")
    m, ty = tx["hla_matched"], tx["hla_typed"]
    ctx.add_rows(ERROR, "hla.matched_gt_typed", lambda i: f"{m.iloc[i]} matched of {ty.iloc[i]} typed alleles",
                 "transplants", (m > ty).fillna(False), "hla_matched")


def _agvhd_grades(ctx: _Checks) -> None:
    """A transplant-level maximum aGVHD grade and the dated aGVHD episodes after that transplant (before the
    patient's next one) that disagree: the highest episode grade differs, or the maximum is 0 while an episode
    exists. One warning on the transplant row naming the episode row; derivations use the episodes."""
    tx, ep = ctx.c["transplants"], ctx.c["toxicity_episodes"]
    if not len(tx) or not len(ep) or "agvhd_max_grade" not in tx.columns or tx["agvhd_max_grade"].isna().all():
        return
    t = pd.DataFrame({"patient_id": tx["patient_id"].to_numpy(), "d0": tx["transplant_date"].to_numpy(),
                      "max_grade": tx["agvhd_max_grade"].to_numpy(), "tx_pos": np.arange(len(tx))})
    t = t.sort_values(["patient_id", "d0"], kind="stable")
    t["next_d0"] = t.groupby("patient_id", sort=False)["d0"].shift(-1)
    t = t[t["max_grade"].notna()]
    is_ag = (ep["toxicity"] == "agvhd").to_numpy()
    e = pd.DataFrame({"patient_id": ep["patient_id"].to_numpy()[is_ag], "onset": ep["onset_date"].to_numpy()[is_ag],
                      "grade": ep["grade"].to_numpy()[is_ag], "ep_pos": np.flatnonzero(is_ag)})
    m = t.merge(e, on="patient_id", how="inner", sort=False)
    m = m[(m["onset"] > m["d0"]) & (m["next_d0"].isna() | (m["onset"] < m["next_d0"]))]
    if not len(m):
        return
    m = m.assign(g=pd.to_numeric(m["grade"], errors="coerce")).sort_values(["tx_pos", "g", "onset"],
                                                                          ascending=[True, False, True], kind="stable")
    top = m.drop_duplicates("tx_pos", keep="first").set_index("tx_pos")
    mg = pd.to_numeric(top["max_grade"])
    bad = (top["g"].notna() & (top["g"] != mg)) | (mg == 0)
    bad = bad[bad]
    if not len(bad):
        return
    mask = np.zeros(len(tx), dtype=bool)
    mask[bad.index.to_numpy(int)] = True

    def msg(i):
        r = top.loc[i]
        src, row = ctx.where("toxicity_episodes", int(r["ep_pos"]))
        ep_grade = "without a grade" if pd.isna(r["g"]) else f"grade {int(r['g'])}"
        return (f"agvhd_max_grade {int(r['max_grade'])} of the transplant of {_fmt(r['d0'])} disagrees with the aGVHD "
                f"episode {ep_grade}, onset {_fmt(r['onset'])} ({src} row {row}); the dated episodes are used")
    ctx.add_rows(WARNING, "agvhd.grade_disagrees", msg, "transplants", mask, "agvhd_max_grade")


def _doses(ctx: _Checks) -> None:
    th, doses = ctx.c["therapies"], ctx.c["doses"]
    if not len(doses) or not len(th):
        return
    keys = ["patient_id", "course_id"]
    span = th[keys + ["start_date", "end_date"]].drop_duplicates(keys, keep="last")
    joined = doses[keys + ["dose_date"]].merge(span, on=keys, how="left", sort=False)
    d, s, e = joined["dose_date"], joined["start_date"], joined["end_date"]
    ctx.add_rows(WARNING, "dose.outside_course", "dose_date is outside the course's start_date..end_date", "doses",
                 (d.notna() & ((s.notna() & (d < s)) | (e.notna() & (d > e)))).to_numpy(), "dose_date")


def _fmt(v) -> str:
    if v is None or v is pd.NA or v is pd.NaT:
        return ""
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        return show_value(v)
    if not isinstance(v, str) and pd.isna(v):
        return ""
    return str(v)


__all__ = ["build_cohort", "check_cohort", "REQUIRED_TABLES", "BY_NAME", "EARLIEST_DATE", "LATEST_DATE"]
