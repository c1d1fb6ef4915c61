"""The column-mapping file: a center's own sheet, file and column names mapped to the schema's.

    {"tables": {"Demographics": "patients"},
     "columns": {"patients": {"Study ID": "patient_id", "Dx date": "diagnosis_date"}},
     "study": {"study_name": "my study", "data_cutoff": "2020-06-30"}}

``study`` gives the one row of the study table when the source has none (a REDCap project, for example).

Reading is in two steps so that another file format (issue 13 plans YAML) only needs the first:
:func:`load_mapping` turns the file into plain values (JSON here) and :func:`mapping_from_body` checks them. Every
fault is an ERROR naming the mapping file (and the line, where the JSON parser gives one), and a mapping with any
fault is not used at all (the reader stops: half a mapping gives misleading findings):

- not a regular file (a folder, a named pipe), larger than the limit, not UTF-8, not JSON (line named), nested
  too deeply for the parser, a key given twice in one object (JSON would keep the last silently), ``NaN``;
- not an object; a top-level key other than ``tables``, ``columns``, ``study`` (``"Tables"`` used to be ignored);
- ``tables`` values that are not one table name (a list, a number), names the schema does not have (with the
  closest name offered); ``columns`` for unknown tables or to unknown columns; ``study`` values that are not text;
- two entries that differ only in case or surrounding spaces (names are matched that way).
"""
from __future__ import annotations

import difflib
import json
import re
from pathlib import Path

from . import limits as _limits
from . import sniff as _sniff
from .findings import ERROR, Findings, quote
from .limits import size_text
from .schema import BY_NAME

ALLOWED_KEYS = ("tables", "columns", "study")


def norm_name(s: str) -> str:
    """A header or sheet name as a schema name: lower case, runs of other characters as '_'."""
    return re.sub(r"[^0-9a-z]+", "_", str(s).strip().lower()).strip("_")


def _key(s: str) -> str:
    return str(s).strip().lower()


class Mapping:
    """Table and column renames from a center's names to the schema's."""

    def __init__(self, tables: dict[str, str] | None = None, columns: dict[str, dict[str, str]] | None = None,
                 study: dict[str, str] | None = None):
        self.study = dict(study or {})
        self.tables = {_key(k): v for k, v in (tables or {}).items()}
        self.columns = {t: {_key(k): v for k, v in cols.items()} for t, cols in (columns or {}).items()}

    @classmethod
    def load(cls, path: str | Path | None, findings: Findings) -> "Mapping":
        return load_mapping(path, findings)

    def table_name(self, name: str) -> str | None:
        key = _key(name)
        if key in self.tables:
            return self.tables[key]
        norm = norm_name(name)
        return norm if norm in BY_NAME else None

    def is_explicit(self, name: str) -> bool:
        """Whether the mapping names this sheet or file itself (several may then fill one table)."""
        return _key(name) in self.tables

    def column_name(self, table: str, header: str) -> str | None:
        cols = self.columns.get(table, {})
        key = _key(header)
        if key in cols:
            return cols[key]
        norm = norm_name(header)
        return norm if table in BY_NAME and norm in BY_NAME[table] else None


def _describe(v) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "true/false"
    if isinstance(v, (int, float)):
        return "a number"
    if isinstance(v, str):
        return "text"
    if isinstance(v, list):
        return "a list [...]"
    if isinstance(v, dict):
        return "an object {...}"
    return "a value of another kind"


def _closest(name: str, choices) -> str:
    near = difflib.get_close_matches(_key(name), list(choices), n=1, cutoff=0.6)
    return f" (did you mean {quote(near[0])}?)" if near else ""


class _Pairs:
    """object_pairs_hook: a dict, remembering keys given twice in one object."""

    def __init__(self):
        self.duplicates: list[str] = []

    def __call__(self, pairs):
        out = {}
        for k, v in pairs:
            if k in out:
                self.duplicates.append(k)
            out[k] = v
        return out


def _refuse_constant(name: str):
    raise ValueError(name)


def read_mapping_text(p: Path, source: str, findings: Findings, kind: str) -> str | None:
    """The text of a mapping file (``kind``: "JSON" or "YAML", for the messages), or None with one ERROR: not a
    regular file, a folder, missing, over the size limit, unreadable, UTF-16, not UTF-8 (line and character named).
    Both mapping formats are read through here."""
    lim = _limits.current()

    def bad(rule: str, message: str, row=None) -> None:
        findings.add(ERROR, rule, message, source, row=row)

    special = _sniff.special_file(p)
    if special is not None:
        return bad("mapping.unreadable", f"the mapping file cannot be read: {special}")
    if p.is_dir():
        return bad("mapping.unreadable", f"the mapping file is a folder, not a {kind} file")
    if not p.exists():
        return bad("mapping.unreadable", "mapping file not found")
    size = p.stat().st_size
    if size > lim.max_mapping_bytes:
        return bad("mapping.too_large", f"the mapping file is {size_text(size)}; a mapping file may be at most "
                   f"{size_text(lim.max_mapping_bytes)}")
    try:
        data = p.read_bytes()
    except OSError as exc:
        return bad("mapping.unreadable", f"cannot read the mapping file ({exc.strerror})")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return bad("mapping.encoding", "the mapping file is UTF-16 text; save it as UTF-8")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        ch = data[exc.start:exc.start + 1].decode("cp1252", errors="replace")
        return bad("mapping.encoding", f"the mapping file is not UTF-8 text (byte 0x{data[exc.start]:02X}, "
                   f"{quote(ch)} in Windows-1252/Latin-1); save it as UTF-8",
                   data.count(b"\n", 0, exc.start) + 1)


def _read_body(p: Path, source: str, findings: Findings):
    """The parsed JSON of the mapping file, or None with an ERROR."""
    def bad(rule: str, message: str, row=None) -> None:
        findings.add(ERROR, rule, message, source, row=row)

    text = read_mapping_text(p, source, findings, "JSON")
    if text is None:
        return None
    if not text.strip():
        return bad("mapping.unreadable", "the mapping file is empty; it must hold a JSON object {...}")
    pairs = _Pairs()
    try:
        body = json.loads(text, object_pairs_hook=pairs, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        return bad("mapping.unreadable", f"not valid JSON: {exc.msg} (column {exc.colno})", exc.lineno)
    except RecursionError:
        return bad("mapping.unreadable", "not a mapping: its JSON is nested too deeply to read")
    except ValueError as exc:  # NaN, Infinity
        return bad("mapping.unreadable", f"not valid JSON: {exc} is not a JSON value")
    for k in dict.fromkeys(pairs.duplicates):
        bad("mapping.duplicate_key", f"the key {quote(k)} is given twice in one object (JSON would keep only "
            "the last)")
    if pairs.duplicates:
        return None
    return body


def mapping_from_body(body, source: str, findings: Findings) -> Mapping | None:
    """A :class:`Mapping` from parsed values; None (with ERROR findings naming ``source``) when anything is wrong."""
    n0 = len(findings.errors)

    def bad(rule: str, message: str, table: str = "", value="") -> None:
        findings.add(ERROR, rule, message, source, table, value=value)

    if not isinstance(body, dict):
        bad("mapping.structure", f"the mapping must be an object {{...}} with the keys tables, columns and "
            f"study; this file holds {_describe(body)}")
        return None
    for k in body:
        if k not in ALLOWED_KEYS:
            hint = f" (keys are lower case: {quote(_key(k))})" if _key(k) in ALLOWED_KEYS else _closest(k,
                                                                                                     ALLOWED_KEYS)
            bad("mapping.unknown_key", f"unknown key {quote(k)}{hint}; the allowed keys are tables, columns and "
                "study")
    tables = _object(body.get("tables", {}), "tables", bad)
    columns = _object(body.get("columns", {}), "columns", bad)
    study = _object(body.get("study", {}), "study", bad)
    seen: dict[str, str] = {}
    for src, dst in tables.items():
        if _key(src) in seen:
            bad("mapping.duplicate", f"tables: {quote(src)} and {quote(seen[_key(src)])} differ only in case or "
                "spaces (names are matched that way); keep one")
        seen[_key(src)] = src
        if not isinstance(dst, str):
            bad("mapping.structure", f"tables: {quote(src)} must map to one table name in quotes, not "
                f"{_describe(dst)}")
        elif dst not in BY_NAME:
            bad("mapping.unknown_table", f"tables: maps {quote(src)} to a table the schema does not have"
                f"{_closest(dst, BY_NAME)}", value=dst)
    for t, cols in columns.items():
        if t not in BY_NAME:
            bad("mapping.unknown_table", f"columns: {quote(t)} is not a table of the schema{_closest(t, BY_NAME)}",
                value=t)
            continue
        if not isinstance(cols, dict):
            bad("mapping.structure", f"columns: the value for {quote(t)} must be an object {{\"their name\": "
                f"\"column\"}}, not {_describe(cols)}", t)
            continue
        seen = {}
        for src, dst in cols.items():
            if _key(src) in seen:
                bad("mapping.duplicate", f"columns.{t}: {quote(src)} and {quote(seen[_key(src)])} differ only in "
                    "case or spaces; keep one", t)
            seen[_key(src)] = src
            if not isinstance(dst, str):
                bad("mapping.structure", f"columns.{t}: {quote(src)} must map to one column name in quotes, not "
                    f"{_describe(dst)}", t)
            elif dst not in BY_NAME[t]:
                bad("mapping.unknown_column", f"columns.{t}: maps {quote(src)} to a column that table {t} does "
                    f"not have{_closest(dst, BY_NAME[t].column_names)}", t, dst)
    for k, v in study.items():
        if k not in BY_NAME["study"]:
            bad("mapping.unknown_column", f"study: {quote(k)} is not a column of the study table"
                f"{_closest(k, BY_NAME['study'].column_names)}", "study", k)
        elif not isinstance(v, str):
            bad("mapping.structure", f"study: the value of {k} must be text in quotes (a date as \"2020-06-30\"), "
                f"not {_describe(v)}", "study")
    if len(findings.errors) > n0:
        return None
    return Mapping(tables, columns, study)


def _object(v, key: str, bad) -> dict:
    if isinstance(v, dict):
        return v
    bad("mapping.structure", f"{key} must be an object {{...}}, not {_describe(v)}")
    return {}


def load_mapping(path: str | Path | None, findings: Findings) -> Mapping:
    """The mapping in the file at ``path`` (none: the empty mapping). On any fault, ERROR findings naming the file
    and the empty mapping (the caller stops when the findings have errors)."""
    if path is None:
        return Mapping()
    p = Path(path)
    body = _read_body(p, p.name, findings)
    if body is None:
        return Mapping()
    return mapping_from_body(body, p.name, findings) or Mapping()


__all__ = ["Mapping", "load_mapping", "mapping_from_body", "norm_name", "read_mapping_text", "ALLOWED_KEYS"]
