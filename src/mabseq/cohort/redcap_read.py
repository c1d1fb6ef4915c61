"""Reading a REDCap records export with its data dictionary (the rules are in :mod:`mabseq.cohort.redcap`).

Text goes through :mod:`mabseq.cohort.textfile` (encoding, quoting, delimiter and shape rules). Besides those and
the rules of the shared coercion: ``redcap.dictionary`` (not a data dictionary), ``redcap.dictionary_duplicate``
(a field defined twice), ``redcap.choices`` (choices not ``code, label | ...``), ``redcap.record_id`` (no record
ID column), ``redcap.instrument`` (a repeating instrument the dictionary lacks: one error naming its first row and
counting the rows), ``redcap.instrument_ignored`` (a form of the project that fills no schema table: a warning
counting the rows), ``redcap.checkbox`` (a checkbox cell other than 1/0 or Checked/Unchecked; at most 20 listed),
``column.unknown`` (a field not in the dictionary or not in the schema; a warning).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import textfile
from .findings import ERROR, WARNING, CappedFindings, Findings, quote
from .mapping_file import Mapping, norm_name as _norm
from .model import RawTable
from .redcap_fields import _CHECKBOX_VALUES, _IMPLICIT_CHOICES, DICTIONARY_HEADER, RECORD_ID, _prefix
from .schema import BY_NAME, TABLES, Column

@dataclass(frozen=True)
class _Field:
    """A field of a data dictionary and the schema column it fills (table and column None when it fills none)."""

    name: str
    form: str
    type: str
    choices: tuple[tuple[str, str], ...]
    table: str | None = None
    column: str | None = None

    @property
    def schema_column(self) -> Column | None:
        return BY_NAME[self.table][self.column] if self.table and self.column else None

    def decode(self, value: str) -> str:
        """A dropdown/radio/yes-no value: the project's code turned into its label unless the schema knows it."""
        codes = dict(self.choices)
        col = self.schema_column
        if self.type == "checkbox" or value not in codes or col is None:
            return value
        if col.type == "category" and any(value.lower() in (c.lower(), lab.lower()) for c, lab in col.choices):
            return value
        return codes[value]

    def checkbox_item(self, code: str) -> tuple[int, str]:
        """(sort key, item) of a ticked choice: the schema vocabulary code when code or label matches it, else
        the choice label; vocabulary items sort first, in vocabulary order."""
        label = dict(self.choices).get(code, code)
        vocab = self.schema_column.vocabulary if self.schema_column else ()
        for i, (vc, vl) in enumerate(vocab):
            if code.lower() == vc.lower() or label.lower() in (vc.lower(), vl.lower()):
                return i, vc
        order = [c for c, _ in self.choices]
        return len(vocab) + order.index(code), label


@dataclass
class _Dictionary:
    record_id: str
    fields: dict[str, _Field]  # by lowercase field name
    forms: set[str]

    def tables(self) -> list[str]:
        """Schema tables with at least one field, in schema order (patients always: the record ID fills it)."""
        used = {f.table for f in self.fields.values() if f.table} | {"patients"}
        return [t.name for t in TABLES if t.name in used]


def _parse_choices(text: str) -> tuple[tuple[str, str], ...]:
    out = []
    for part in (text or "").split("|"):
        code, _, label = part.partition(",")
        if code.strip():
            out.append((code.strip(), label.strip() or code.strip()))
    return tuple(out)


def _read_csv(path: Path, findings: Findings, missing_rule: str, known) -> textfile.Records | None:
    """The records of a REDCap CSV file (:mod:`mabseq.cohort.textfile`: encoding, quoting, delimiter and shape
    rules); None (with an ERROR finding) when it cannot be read."""
    text = textfile.read_text(path, path.name, findings, missing_rule=missing_rule)
    if text is None:
        return None
    if not text.strip():
        findings.add(ERROR, "redcap.records" if missing_rule == "file.missing" else "redcap.dictionary",
                     "the file is empty", path.name)
        return None
    return textfile.parse_csv(text, path.name, "", findings, known=known)


def _place(name: str, form: str, mapping: Mapping) -> tuple[str | None, str | None]:
    """The schema (table, column) a dictionary field fills: form via the mapping or its name; field via the
    mapping or its name, with or without the table's prefix."""
    table = mapping.table_name(form)
    if table is None or table == "study":
        return None, None
    column = mapping.column_name(table, name)
    p = _prefix(table) + "_"
    if column is None and p != "_" and name.lower().startswith(p):
        column = mapping.column_name(table, name[len(p):])
    if column is None or column == RECORD_ID:
        return None, None
    return table, column


_DICTIONARY_NAMES = {h.lower() for h in DICTIONARY_HEADER}
_CHOICE_TYPES = ("dropdown", "radio", "checkbox")


def read_dictionary(path: Path, mapping: Mapping, findings: Findings) -> _Dictionary | None:
    """The fields of a REDCap data dictionary and where they go; None (with an ERROR) if it is not one.

    A field name given twice is ``redcap.dictionary_duplicate`` (REDCap refuses such a dictionary; the second
    would silently replace the first); choices of a dropdown, radio or checkbox field that are not
    ``code, label | code, label`` are ``redcap.choices``."""
    recs = _read_csv(path, findings, "redcap.dictionary", lambda h: h.strip().lower() in _DICTIONARY_NAMES)
    if recs is None:
        return None
    header = [h.strip().lower() for h in recs.header]
    need = ("variable / field name", "form name", "field type")
    if not header or header[0] != need[0] or any(h not in header for h in need):
        findings.add(ERROR, "redcap.dictionary", "not a REDCap data dictionary: its header must start with "
                     "'Variable / Field Name' and have 'Form Name' and 'Field Type'", path.name)
        return None
    ix = {h: header.index(h) for h in need}
    choice_ix = header.index(DICTIONARY_HEADER[5].lower()) if DICTIONARY_HEADER[5].lower() in header else None
    fields, placed, forms, record_id = {}, {}, set(), None
    first_line: dict[str, int] = {}
    for line_no, row in zip(recs.lines, recs.rows):
        get = lambda key: row[ix[key]].strip() if ix[key] < len(row) else ""  # noqa: E731
        name, form, ftype = get("variable / field name"), get("form name"), get("field type").lower()
        if not name or ftype == "descriptive":
            continue
        if name.lower() in first_line:
            findings.add(ERROR, "redcap.dictionary_duplicate", f"field {quote(name)} is defined twice (first on line "
                         f"{first_line[name.lower()]}); REDCap field names are unique", path.name, "", line_no,
                         DICTIONARY_HEADER[0], name)
            continue
        first_line[name.lower()] = line_no
        forms.add(form.lower())
        if record_id is None:
            record_id = name
            continue
        choice_text = row[choice_ix] if choice_ix is not None and choice_ix < len(row) else ""
        choices = _parse_choices(choice_text)
        if ftype in _CHOICE_TYPES and choice_text.strip() and any(
                part.strip() and "," not in part for part in choice_text.split("|")):
            findings.add(ERROR, "redcap.choices", f"the choices of {ftype} field {quote(name)} must be written "
                         "'code, label | code, label'", path.name, "", line_no, DICTIONARY_HEADER[5], choice_text)
        table, column = _place(name, form, mapping)
        if table and (table, column) in placed:
            findings.add(ERROR, "column.duplicate", f"two fields map to {table}.{column} (also "
                         f"{quote(placed[(table, column)])}); this one is ignored", path.name, table, line_no, name)
            table = column = None
        elif table:
            placed[(table, column)] = name
        fields[name.lower()] = _Field(name, form, ftype, choices or _IMPLICIT_CHOICES.get(ftype, ()), table, column)
    if record_id is None:
        findings.add(ERROR, "redcap.dictionary", "the data dictionary has no fields", path.name)
        return None
    return _Dictionary(record_id, fields, forms)


@dataclass
class _Checkbox:
    """The ``field___code`` columns of one checkbox field: (column index, choice code) pairs."""

    field: _Field
    columns: list[tuple[int, str]]


@dataclass
class _Layout:
    """Where each schema column sits in the records file's header."""

    record_ix: int
    instrument_ix: int | None
    plain: dict[str, dict[str, tuple[int, _Field]]]  # table -> column -> (index, field)
    checks: dict[str, dict[str, _Checkbox]]  # table -> column -> checkbox columns


def _is_bookkeeping(h: str, forms: set[str]) -> bool:
    """REDCap's own columns: redcap_*, and per instrument <form>_complete and <form>_timestamp."""
    if h.startswith("redcap_"):
        return True
    for suffix in ("_complete", "_timestamp"):
        if h.endswith(suffix) and h[: -len(suffix)] in forms:
            return True
    return False


def _layout(header: list[str], dd: _Dictionary, source: str, findings: Findings) -> _Layout | None:
    """Match the records header with the dictionary; unknown fields give column.unknown warnings."""
    names = [h.strip() for h in header]
    low = [h.lower() for h in names]
    if dd.record_id.lower() not in low:
        findings.add(ERROR, "redcap.record_id", f"no column for the record ID field {quote(dd.record_id)} (the first "
                     "field of the data dictionary)", source)
        return None
    lay = _Layout(low.index(dd.record_id.lower()),
                  low.index("redcap_repeat_instrument") if "redcap_repeat_instrument" in low else None,
                  {t: {} for t in dd.tables()}, {t: {} for t in dd.tables()})
    warned = set()

    def unknown(h: str, why: str, table: str = "") -> None:
        if h not in warned:
            warned.add(h)
            findings.add(WARNING, "column.unknown", f"{why}; it is ignored", source, table, None, h)

    for j, (h, key) in enumerate(zip(names, low)):
        if j == lay.record_ix or not key or _is_bookkeeping(key, dd.forms):
            continue
        base, sep, code = key.rpartition("___") if "___" in key else (key, "", "")
        f = dd.fields.get(base)
        if f is None:
            unknown(h.rpartition("___")[0] if sep else h, "field not in the data dictionary")
        elif f.table is None:
            unknown(f.name, f"field of form {quote(f.form)} is not a column of the schema")
        elif bool(sep) != (f.type == "checkbox"):
            unknown(h, f"column does not fit field {quote(f.name)} of type {f.type}", f.table)
        elif sep:
            match = [c for c, _ in f.choices if c.lower() == code]
            if match:
                lay.checks[f.table].setdefault(f.column, _Checkbox(f, [])).columns.append((j, match[0]))
            else:
                unknown(h, f"not a choice of checkbox field {quote(f.name)}", f.table)
        elif f.column in lay.plain[f.table]:
            unknown(h, "field repeated", f.table)
        else:
            lay.plain[f.table][f.column] = (j, f)
    return lay


def _read_records(path: Path, dd: _Dictionary, findings: Findings
                  ) -> tuple[list[str], list[tuple[int, list[str]]]] | None:
    """Header and (first line number, fields) of each non-blank record; quoted line breaks are allowed."""
    def known(h: str) -> bool:
        key = h.strip().lower()
        return key == dd.record_id.lower() or key.startswith("redcap_") or key.partition("___")[0] in dd.fields

    recs = _read_csv(path, findings, "file.missing", known)
    if recs is None:
        return None
    return recs.header, list(zip(recs.lines, recs.rows))


def _text_at(row: list[str], j: int | None) -> str:
    """The stripped cell ``j`` of a CSV row ('' when the column is absent or the row is short)."""
    return row[j].strip() if j is not None and j < len(row) else ""


class _TableRows:
    """The rows collected for one table: values by canonical column, and their CSV line numbers."""

    def __init__(self, table: str, columns: list[str]):
        self.table, self.columns = table, [RECORD_ID] + [c for c in BY_NAME[table].column_names if c in columns]
        self.values: list[dict] = []
        self.lines: list[int] = []

    def add(self, line: int, values: dict) -> None:
        self.values.append(values)
        self.lines.append(line)

    def raw(self, source: str, header: dict[str, str]) -> RawTable:
        """The RawTable, rows in file order."""
        order = sorted(range(len(self.lines)), key=self.lines.__getitem__)
        data = {c: [self.values[i].get(c) for i in order] for c in self.columns}
        frame = pd.DataFrame(data, index=range(len(order)), columns=self.columns, dtype=object)
        return RawTable(self.table, frame, source, [self.lines[i] for i in order],
                        {c: header[c] for c in self.columns})


class _RecordsReader:
    """Turns the rows of a records export into per-table rows."""

    def __init__(self, dd: _Dictionary, lay: _Layout, header: list[str], mapping: Mapping, source: str,
                 findings: Findings):
        self.dd, self.lay, self.mapping, self.source, self.findings = dd, lay, mapping, source, findings
        self.header = [h.strip() for h in header]
        self.tables = {t: _TableRows(t, list(lay.plain[t]) + list(lay.checks[t])) for t in dd.tables()}
        self.form_tables = {_norm(f.form): f.table for f in dd.fields.values() if f.table}
        self.forms = {_norm(f) for f in dd.forms}
        self.skipped: dict[str, list] = {}  # instrument -> [first line, count, patient, known form]
        self.capped = CappedFindings(findings)

    def instrument_table(self, value: str) -> str | None:
        """The table of a ``redcap_repeat_instrument`` value (form name or, in label exports, its label)."""
        table = self.form_tables.get(_norm(value)) or self.mapping.table_name(value)
        return table if table in self.tables else None

    def checkbox_value(self, box: _Checkbox, row: list[str], line: int) -> str | None:
        items = []
        for j, code in box.columns:
            v = _text_at(row, j)
            if v.lower() not in _CHECKBOX_VALUES:
                self.capped.add(ERROR, "redcap.checkbox", "a checkbox column holds 1/0 or Checked/Unchecked",
                                  self.source, box.field.table, line, self.header[j], v,
                                  _text_at(row, self.lay.record_ix))
            elif _CHECKBOX_VALUES[v.lower()]:
                items.append(box.field.checkbox_item(code))
        return ";".join(item for _, item in sorted(items)) or None

    def values(self, table: str, row: list[str], line: int) -> dict:
        """Canonical column -> raw text (None when empty) of ``table``'s fields on one row."""
        out = {}
        for col, (j, f) in self.lay.plain[table].items():
            v = _text_at(row, j)
            out[col] = f.decode(v) if v else None
        for col, box in self.lay.checks[table].items():
            out[col] = self.checkbox_value(box, row, line)
        return out

    def read_row(self, line: int, row: list[str]) -> None:
        pid = _text_at(row, self.lay.record_ix) or None
        instrument = _text_at(row, self.lay.instrument_ix)
        if instrument:
            table = self.instrument_table(instrument)
            if table is None:
                got = self.skipped.setdefault(instrument, [line, 0, pid or "", _norm(instrument) in self.forms])
                got[1] += 1
                return
            self.tables[table].add(line, {RECORD_ID: pid, **self.values(table, row, line)})
            return
        for table in self.tables:
            vals = self.values(table, row, line)
            if any(v is not None for v in vals.values()):
                self.tables[table].add(line, {RECORD_ID: pid, **vals})

    def report_skipped(self) -> None:
        """One finding per repeating instrument whose rows were not read: an error when the dictionary does not
        have it (the wrong dictionary?), a warning when it is a form of the project that fills no schema table."""
        for instrument, (line, count, pid, known) in self.skipped.items():
            rows = f"{count:,} row{'s' if count > 1 else ''}, the first on this line"
            if known:
                self.findings.add(WARNING, "redcap.instrument_ignored", f"repeating instrument {quote(instrument)} "
                                  f"fills no table of the schema; its {rows} are ignored", self.source, "", line,
                                  "redcap_repeat_instrument", instrument, pid)
            else:
                self.findings.add(ERROR, "redcap.instrument", f"repeating instrument {quote(instrument)} is not an "
                                  f"instrument of the data dictionary ({rows}); is it the project's dictionary?",
                                  self.source, "", line, "redcap_repeat_instrument", instrument, pid)
        self.capped.close()

    def add_missing_patients(self, first_line: dict[str, int]) -> None:
        """A record without any patients data still gets its (empty) patients row, so that the missing values
        are named at the record's first line rather than every other row being an unknown patient."""
        pats = self.tables.get("patients")
        if pats is None:
            return
        have = {v[RECORD_ID] for v in pats.values}
        for pid, line in first_line.items():
            if pid not in have:
                pats.add(line, {RECORD_ID: pid})

    def raw_tables(self) -> list[RawTable]:
        out = []
        for table, rows in self.tables.items():
            header = {RECORD_ID: self.dd.record_id}
            header.update({c: f.name for c, (_, f) in self.lay.plain[table].items()})
            header.update({c: box.field.name for c, box in self.lay.checks[table].items()})
            out.append(rows.raw(self.source, header))
        return out


def read_redcap(records_path: str | Path, dictionary_path: str | Path, mapping: Mapping,
                findings: Findings) -> list[RawTable]:
    """Raw tables (one per schema table the dictionary has fields for) from a REDCap records CSV export.

    ``rows`` are the records file's line numbers (header = line 1); ``source`` is its file name. Problems are added
    to ``findings``: ``redcap.dictionary`` (not a data dictionary), ``redcap.record_id`` (no record ID column),
    ``redcap.instrument`` (unknown repeating instrument), ``redcap.checkbox`` (a checkbox cell other than 1/0 or
    Checked/Unchecked), ``column.unknown`` (a field not in the dictionary or not in the schema; a warning).
    """
    records_path, dictionary_path = Path(records_path), Path(dictionary_path)
    dd = read_dictionary(dictionary_path, mapping, findings)
    if dd is None:
        return []
    got = _read_records(records_path, dd, findings)
    if got is None:
        return []
    header, rows = got
    source = records_path.name
    lay = _layout(header, dd, source, findings)
    if lay is None:
        return []
    reader = _RecordsReader(dd, lay, header, mapping, source, findings)
    first_line: dict[str, int] = {}
    for line, row in rows:
        reader.read_row(line, row)
        pid = _text_at(row, lay.record_ix)
        if pid:
            first_line.setdefault(pid, line)
    reader.report_skipped()
    reader.add_missing_patients(first_line)
    return reader.raw_tables()


__all__ = ["read_dictionary", "read_redcap"]
