"""The center's sheets and files as the text tables the compiled SQL reads (``"src:<source>"``).

A source names a sheet (a workbook) or a file (a folder, or the one CSV given); it is found by its exact name,
else case- and space-insensitively, else an ERROR naming the mapping line with the closest name. Its grid
(:mod:`mabseq.cohort.grid`) becomes a table:

- ``layout: table``: the header is the row ``header_row`` (default: the first non-blank row); every later
  non-blank row not in ``skip_rows`` is a data row, keeping its row number (``_row``). Column names are the
  headers' normalised text; a blank header is named by its column letter (``@C``), a repeated one gets ``#2``.
- ``layout: key_value``: each row is one key (``key_column``, default the first column) and its value
  (``value_column``, default the second); the table has ONE row with a column per key and ``<key>#row``, the
  key's own row. With ``header_row`` (or key/value columns named by header) the header row is skipped.
  A key given twice: the first is used, a WARNING names the second.
"""
from __future__ import annotations

import re

import pyarrow as pa

from ..cohort.findings import ERROR, WARNING, Findings, quote
from ..cohort.grid import Grid
from .check import closest
from .compile import SourceHeaders
from .parsers import norm_value
from .spec import MappingSpec, SourceSpec

_LETTER = re.compile(r"^[A-Za-z]{1,3}$")


def find_grid(s: SourceSpec, grids: list[Grid], spec: MappingSpec, findings: Findings) -> Grid | None:
    kind = "sheet" if s.sheet is not None else "file"
    want = s.target
    pool = [g for g in grids if g.kind == kind]
    for g in pool:
        if g.name == want:
            return g
    for g in pool:
        if norm_value(g.name) == norm_value(want):
            return g
    findings.add(ERROR, "mapping.unknown_sheet", f"sources.{s.name}: DATA has no {kind} {quote(want)}"
                 f"{closest(want, [g.name for g in pool])}" + ("" if pool else f" (DATA holds no {kind}s)"),
                 spec.path_name, row=s.line)
    return None


def _col_index(g: Grid, header: list[str] | None, ref: str, what: str, s: SourceSpec, spec, findings) -> int | None:
    if header is not None:
        norm = [norm_value(h) for h in header]
        if norm_value(ref) in norm:
            return norm.index(norm_value(ref))
    if _LETTER.match(ref.strip()):
        letters = [g.letter(j) for j in range(g.width)]
        if ref.strip().upper() in letters:
            return letters.index(ref.strip().upper())
    findings.add(ERROR, "mapping.unknown_header", f"sources.{s.name}.{what}: {g.source} has no column {quote(ref)}"
                 f"{closest(ref, header or [])}", spec.path_name, row=s.line)
    return None


def _header_index(g: Grid, s: SourceSpec, spec: MappingSpec, findings: Findings) -> int | None:
    if s.header_row is None:
        return 0 if g.cells else None
    if s.header_row in g.rows:
        return g.rows.index(s.header_row)
    findings.add(ERROR, "mapping.header_row", f"sources.{s.name}.header_row: row {s.header_row} of {g.source} is "
                 "blank or beyond the data", spec.path_name, row=s.line)
    return None


def grid_table(g: Grid, s: SourceSpec, spec: MappingSpec, findings: Findings
               ) -> tuple[pa.Table, SourceHeaders, int] | None:
    """The Arrow table of a source, its headers, and the number of data rows read."""
    if s.layout == "key_value":
        return _key_value(g, s, spec, findings)
    h = _header_index(g, s, spec, findings)
    if h is None:
        if not g.cells:
            findings.add(ERROR, "mapping.empty_source", f"sources.{s.name}: {g.source} is empty", spec.path_name,
                         row=s.line)
        return None
    header = g.cells[h]
    skip = set(s.skip_rows)
    data = [(r, c) for r, c in zip(g.rows[h + 1:], g.cells[h + 1:]) if r not in skip]
    names, keys, shown, letters = [], [], [], []
    for j, text in enumerate(header):
        key = norm_value(text) or f"@{g.letter(j)}"
        n = "h" + key if key.startswith(("#", "~")) else key   # '#' and '~' begin mabseq's own working names
        base, k = n, 2
        while n in names or n in ("_row", "_seq", "a"):
            n, k = f"{base} ({k})", k + 1
        names.append(n)
        keys.append(key)
        shown.append(text.strip() or g.letter(j))
        letters.append(g.letter(j))
    cols = {"_row": pa.array([r for r, _ in data], type=pa.int64())}
    by_col = list(zip(*[c for _, c in data])) if data else [()] * len(header)
    for j, n in enumerate(names):
        cols[n] = pa.array(list(by_col[j]) if data else [], type=pa.string())
    return pa.table(cols), SourceHeaders(names, shown, letters, keys=keys), len(data)


def _key_value(g: Grid, s: SourceSpec, spec: MappingSpec, findings: Findings):
    named = any(v is not None and not _LETTER.match(v.strip()) for v in (s.key_column, s.value_column))
    h = _header_index(g, s, spec, findings) if (s.header_row is not None or named) else None
    header = g.cells[h] if h is not None else None
    start = h + 1 if h is not None else 0
    kc = _col_index(g, header, s.key_column, "key_column", s, spec, findings) if s.key_column else 0
    vc = _col_index(g, header, s.value_column, "value_column", s, spec, findings) if s.value_column else 1
    if kc is None or vc is None:
        return None
    if max(kc, vc) >= g.width:
        findings.add(ERROR, "mapping.empty_source", f"sources.{s.name}: {g.source} has fewer than two columns for "
                     "keys and values", spec.path_name, row=s.line)
        return None
    names, shown, cols = [], [], {}
    first_row = None
    for r, c in zip(g.rows[start:], g.cells[start:]):
        if r in s.skip_rows:
            continue
        key = c[kc].strip()
        if not key:
            continue
        n = norm_value(key)
        n = "h" + n if n.startswith(("#", "~")) else n
        if n in names:
            findings.add(WARNING, "mapping.key_repeated", f"the key {quote(key)} is given again; the first (row "
                         f"{int(cols[n + '#row'][0].as_py())}) is used", g.source, row=r, column=key)
            continue
        first_row = r if first_row is None else first_row
        names.append(n)
        shown.append(key)
        cols[n] = pa.array([c[vc]], type=pa.string())
        cols[n + "#row"] = pa.array([r], type=pa.int64())
    table = pa.table({"_row": pa.array([first_row or (g.rows[0] if g.rows else 1)], type=pa.int64()), **cols})
    return table, SourceHeaders(names, shown, [""] * len(names), key_value=True,
                                keys=[norm_value(x) for x in shown]), 1


__all__ = ["find_grid", "grid_table"]
