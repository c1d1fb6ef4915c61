"""The doors into a cohort: an Excel workbook, a folder of CSV files, a REDCap export, or the stored forms.

Each reader returns :class:`RawTable` objects (untyped cells under canonical column names, with the row numbers
the user sees). A column-mapping file (JSON) lets a center keep its own sheet, file and column names::

    {"tables": {"Demographics": "patients"},
     "columns": {"patients": {"Study ID": "patient_id", "Dx date": "diagnosis_date"}},
     "study": {"study_name": "my study", "data_cutoff": "2020-06-30"}}

``study`` gives the one row of the study table when the source has none (a REDCap project, for example).
"""
from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pandas as pd

from .findings import ERROR, WARNING, Findings
from .model import RawTable
from .schema import BY_NAME

TEMPLATE_SHEETS = {"readme", "columns", "choices"}


class Mapping:
    """Table and column renames from a center's names to the schema's."""

    def __init__(self, tables: dict[str, str] | None = None, columns: dict[str, dict[str, str]] | None = None,
                 study: dict[str, str] | None = None):
        self.study = dict(study or {})
        self.tables = {k.strip().lower(): v for k, v in (tables or {}).items()}
        self.columns = {t: {k.strip().lower(): v for k, v in cols.items()} for t, cols in (columns or {}).items()}

    @classmethod
    def load(cls, path: str | Path | None, findings: Findings) -> "Mapping":
        if path is None:
            return cls()
        p = Path(path)
        try:
            body = json.loads(p.read_text(encoding="utf-8"))
        except FileNotFoundError:
            findings.add(ERROR, "mapping.unreadable", "mapping file not found", p.name)
            return cls()
        except json.JSONDecodeError as exc:
            findings.add(ERROR, "mapping.unreadable", f"not valid JSON: {exc.msg}", p.name, row=exc.lineno)
            return cls()
        tables = body.get("tables", {})
        columns = body.get("columns", {})
        for src, dst in tables.items():
            if dst not in BY_NAME:
                findings.add(ERROR, "mapping.unknown_table", f"maps {src!r} to a table the schema does not have",
                             p.name, value=str(dst))
        for t, cols in columns.items():
            if t not in BY_NAME:
                findings.add(ERROR, "mapping.unknown_table", "column mapping for a table the schema does not have",
                             p.name, value=str(t))
                continue
            for src, dst in cols.items():
                if dst not in BY_NAME[t]:
                    findings.add(ERROR, "mapping.unknown_column",
                                 f"maps {src!r} to a column that table {t} does not have", p.name, t, value=str(dst))
        study = body.get("study", {})
        for k in study:
            if k not in BY_NAME["study"]:
                findings.add(ERROR, "mapping.unknown_column", "study value for a column the study table does not "
                             "have", p.name, "study", value=str(k))
        return cls(tables, columns, {k: v for k, v in study.items() if k in BY_NAME["study"]})

    def table_name(self, name: str) -> str | None:
        key = name.strip().lower()
        if key in self.tables:
            return self.tables[key]
        norm = _norm(name)
        return norm if norm in BY_NAME else None

    def column_name(self, table: str, header: str) -> str | None:
        cols = self.columns.get(table, {})
        key = header.strip().lower()
        if key in cols:
            return cols[key]
        norm = _norm(header)
        return norm if norm in BY_NAME[table] else None


def norm_name(s: str) -> str:
    """A header or sheet name as a schema name: lower case, runs of other characters as '_'."""
    return _norm(s)


def _norm(s: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", str(s).strip().lower()).strip("_")


def _raw_from_rows(table: str, header: list, rows: list[list], row_numbers: list[int], source: str,
                   mapping: Mapping, findings: Findings) -> RawTable | None:
    canon, labels, unknown, seen = [], {}, [], {}
    for j, h in enumerate(header):
        h = "" if h is None else str(h)
        if not h.strip():
            canon.append(None)
            continue
        name = mapping.column_name(table, h)
        if name is None:
            unknown.append(h)
            canon.append(None)
            continue
        if name in seen:
            findings.add(ERROR, "column.duplicate", f"two columns map to {name!r} (also {seen[name]!r})", source,
                         table, None, h)
            canon.append(None)
            continue
        seen[name] = h
        labels[name] = h
        canon.append(name)
    data = {name: [r[j] if j < len(r) else None for r in rows] for j, name in enumerate(canon) if name}
    frame = pd.DataFrame(data, index=range(len(rows)), dtype=object)
    return RawTable(table, frame, source, row_numbers, labels, unknown)


def _blank(row) -> bool:
    return all(v is None or (isinstance(v, str) and not v.strip()) for v in row)


def read_excel(path: Path, mapping: Mapping, findings: Findings) -> list[RawTable]:
    import openpyxl
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises several types for a damaged or non-xlsx file
        findings.add(ERROR, "file.unreadable", f"cannot open as an Excel workbook ({type(exc).__name__})",
                     path.name)
        return []
    out = []
    for ws in wb.worksheets:
        table = mapping.table_name(ws.title)
        source = f"{path.name} [sheet {ws.title}]"
        if table is None:
            if ws.title.strip().lower() not in TEMPLATE_SHEETS:
                findings.add(WARNING, "table.unknown", "sheet is not a table of the schema; it is ignored", source)
            continue
        it = ws.iter_rows(values_only=True)
        header = next(it, None)
        if header is None:
            continue
        rows, numbers = [], []
        for r, row in enumerate(it, start=2):
            if _blank(row):
                continue
            rows.append(list(row))
            numbers.append(r)
        out.append(_raw_from_rows(table, list(header), rows, numbers, source, mapping, findings))
    wb.close()
    return out


def read_csv_folder(path: Path, mapping: Mapping, findings: Findings) -> list[RawTable]:
    out = []
    for f in sorted(path.glob("*.csv")):
        table = mapping.table_name(f.stem)
        if table is None:
            findings.add(WARNING, "table.unknown", "file is not a table of the schema; it is ignored", f.name)
            continue
        try:
            text = f.read_text(encoding="utf-8-sig")
        except UnicodeDecodeError:
            findings.add(ERROR, "file.encoding", "not UTF-8 text; save the file as CSV UTF-8", f.name)
            continue
        reader = csv.reader(text.splitlines())
        header = next(reader, None)
        if header is None:
            continue
        rows, numbers = [], []
        for line, row in enumerate(reader, start=2):
            if _blank(row):
                continue
            if len(row) > len(header):
                findings.add(ERROR, "row.too_many_fields", f"{len(row)} fields for {len(header)} columns", f.name,
                             table, line)
            rows.append(row)
            numbers.append(line)
        out.append(_raw_from_rows(table, header, rows, numbers, f.name, mapping, findings))
    return out
