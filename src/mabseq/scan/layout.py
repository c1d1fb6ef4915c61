"""Where a sheet's table is: its header row (title rows above skipped), a units row under it, or a key/value sheet.

Rules, on the grid's non-blank rows (:mod:`mabseq.cohort.grid`; blank rows are already out, their numbers kept):

- **Key/value sheet**: exactly two used columns (a title row holding one cell in the first column above them is
  allowed), at least two rows with a key, at most 200 rows, and keys that are distinct text (not numbers, not
  dates, not patient-id shaped such as ``P01``). Its first row is a header when it reads like one (``Item`` /
  ``Field`` / ``Key`` / ``Parameter`` / ``Variable``, or ``Value``); otherwise there is no header row (0), and
  the values must then be of at least two kinds (dates, numbers, text), as an information sheet's are: a list of
  names beside phone numbers or beside dates is a table, and its names are not printed as keys of a shareable
  scan (the WhiteRabbit rule withholds them as free text).
- **Header row** of a table: the first row (of the first 50 non-blank rows) with at least two non-empty cells, at
  least half as many as the widest row, at least 70 % of them text (not numbers or dates), no two alike
  (case- and space-insensitively), and at least one row below it; failing that, the first such row even with two
  names alike (a warning names them) or no row below (a sheet of headers alone). A
  one-cell title row fails the first tests. A one-column table's header is its first cell. When no row passes,
  the table has no header (``header_row`` 0; columns are known by their letters) and every row is data: a first
  row of values is never printed as headers.
- **Units row**: the row right after the header, when a data row follows it, its non-empty cells are all text of
  at most 20 characters, and at least two of them (or all, when it has one) look like units: written in brackets
  (``(%)``, ``[days]``), a unit word or mask (``%``, ``years``, ``dd/mm/yyyy``, ``x10^9/L``, ``mg/m2``), or text
  over a column whose data rows below are mostly numbers or dates.

- **Notes below the table**: a run of last rows each holding one cell, in a table at least three columns wide,
  whose text reads as a note: it starts with ``*``, ``†``, ``#``, ``Note``, ``Source``, ``Legend``,
  ``Abbreviations`` or ``NB``, or is longer than 30 characters with a space, and is no patient-id shape. Such rows
  are not data (``skip_rows``); a row holding only a patient's id is data.

Why by hand: the rules follow the shapes chart reviews take; pandas' ``header=`` needs the row given.
"""
from __future__ import annotations

import re

from .patterns import classify

_ID_SHAPE = re.compile(r"^[A-Za-z]{1,4}[-_ ]?\d{1,6}[A-Za-z]?$")
_KV_KEY_HEADERS = {"item", "field", "key", "parameter", "variable", "property", "setting", "attribute"}
_KV_VALUE_HEADERS = {"value", "values", "entry", "answer", "setting"}
_UNIT_WORDS = {"%", "years", "year", "yrs", "days", "day", "d", "months", "mo", "weeks", "wk", "mg", "g/l", "g/dl",
               "mg/m2", "mg/m²", "kg", "cm", "x10^9/l", "10^9/l", "x10e9/l", "/ul", "/µl", "cells/ul", "date",
               "dd/mm/yyyy", "mm/dd/yyyy", "yyyy-mm-dd", "dd.mm.yyyy", "dd-mmm-yyyy", "yes/no", "y/n", "n", "text",
               "number", "units", "unit", "ratio", "fraction", "score", "grade", "iu/l", "u/l", "mmol/l",
               "µmol/l", "umol/l", "ml", "l", "h", "hours", "min"}
_BRACKETED = re.compile(r"^[(\[{].{0,18}[)\]}]$")
_VALUE_KINDS = {"integer", "number", "decimal_comma", "iso_date", "text_date"}
_NUMERIC_OR_DATE = _VALUE_KINDS | {"percent_text", "below", "above", "approx", "fraction"}


def _norm(s: str) -> str:
    return " ".join(s.split()).lower()


def _is_text(cell: str) -> bool:
    return classify(cell) not in _VALUE_KINDS


def used_columns(cells: list[list[str]]) -> list[int]:
    width = max((len(r) for r in cells), default=0)
    return [j for j in range(width) if any(j < len(r) and r[j].strip() for r in cells)]


def key_value_rows(cells: list[list[str]]) -> tuple[int, int, int] | None:
    """(index of the first key row, key column, value column) when the grid is a key/value sheet, else None."""
    if not cells or len(cells) > 200:
        return None
    used = used_columns(cells)
    if len(used) != 2:
        return None
    kc, vc = used
    start = 0
    # title rows: one cell, in the key column, above the first row holding both columns
    while start < len(cells) and not cells[start][vc].strip():
        start += 1
    rows = cells[start:]
    keys = [r[kc].strip() for r in rows if r[kc].strip()]
    if len(keys) < 2 or len(keys) != len({_norm(k) for k in keys}):
        return None
    headed = _looks_kv_header(rows[0][kc], rows[0][vc])
    body = keys[1:] if headed else keys
    if any(not _is_text(k) or _ID_SHAPE.match(k) for k in body):
        return None
    values = [r[vc].strip() for r in rows[1 if headed else 0:] if r[vc].strip()]
    if not headed and len({_value_kind(v) for v in values}) < 2:
        return None  # names beside phone numbers, or beside dates: a table, whose first column is not labels
    if any(not r[kc].strip() and r[vc].strip() for r in rows):
        return None  # a value without a key: a table with gaps, not a key/value list
    return start, kc, vc


def _value_kind(v: str) -> str:
    k = classify(v)
    if k in ("iso_date", "text_date"):
        return "date"
    return "number" if k in ("integer", "number", "decimal_comma", "percent_text") else "text"


def _looks_kv_header(key: str, value: str) -> bool:
    return _norm(key) in _KV_KEY_HEADERS or _norm(value) in _KV_VALUE_HEADERS


def kv_header(cells: list[list[str]], start: int, kc: int, vc: int) -> bool:
    return _looks_kv_header(cells[start][kc], cells[start][vc])


def header_index(cells: list[list[str]]) -> int:
    """Index (in ``cells``) of the header row of a table (see the module docstring); -1 when no row reads as a
    header (the table has none: every row is data)."""
    if not cells:
        return -1
    window = cells[:50]
    counts = [sum(1 for c in r if c.strip()) for r in window]
    widest = max(counts)
    for strict in (True, False):  # then: a header with two names alike, or with no data below
        for i, r in enumerate(window):
            filled = [c.strip() for c in r if c.strip()]
            n = len(filled)
            if n < 2 or n * 2 < widest or (strict and i + 1 >= len(cells)):
                continue
            if sum(1 for c in filled if _is_text(c)) < 0.7 * n:
                continue
            if strict and len({_norm(c) for c in filled}) != n:
                continue
            return i
    if widest == 1 and len(cells) > 1 and _is_text(next(c for c in cells[0] if c.strip())):
        return 0  # a one-column table: its first cell is the header
    return -1


def _unit_like(cell: str) -> bool:
    t = _norm(cell)
    return bool(_BRACKETED.match(t)) or t in _UNIT_WORDS or t.strip("()[]") in _UNIT_WORDS


def units_row(cells: list[list[str]], h: int) -> bool:
    """Whether ``cells[h + 1]`` is a units row under the header ``cells[h]`` (see the module docstring)."""
    u = h + 1
    if u + 1 >= len(cells):
        return False
    row = cells[u]
    filled = [(j, c.strip()) for j, c in enumerate(row) if c.strip()]
    if not filled or any(not _is_text(c) or len(c) > 20 for _, c in filled):
        return False
    below = cells[u + 1:u + 51]
    hits = 0
    for j, c in filled:
        if classify(c) in _NUMERIC_OR_DATE:
            return False
        col = [r[j] for r in below if j < len(r) and r[j].strip()]
        valued = sum(1 for v in col if classify(v) in _NUMERIC_OR_DATE)
        if _unit_like(c) or (col and valued >= 0.8 * len(col)):
            hits += 1
    return hits >= 2 or (len(filled) == 1 and hits == 1)


_NOTE_START = re.compile(r"^(?:[*†‡#]|notes?\b|source\b|legend\b|abbreviations?\b|nb\b|footnote)", re.I)


def _note(cell: str) -> bool:
    t = cell.strip()
    return bool(_NOTE_START.match(t)) or (len(t) > 30 and " " in t and not _ID_SHAPE.match(t))


def footer_start(cells: list[list[str]], start: int) -> int:
    """Index of the first of the trailing note rows (``len(cells)`` when there are none)."""
    if len(used_columns(cells[start:])) < 3:
        return len(cells)
    end = len(cells)
    while end > start + 1:
        filled = [c for c in cells[end - 1] if c.strip()]
        if len(filled) != 1 or not _note(filled[0]):
            break
        end -= 1
    return end


__all__ = ["footer_start", "header_index", "units_row", "key_value_rows", "kv_header", "used_columns"]
