"""Running a mapping: DATA's sheets -> DuckDB text tables -> the compiled SQL -> :class:`RawTable` objects.

:func:`read_mapped` is what ``--mapping mapping.yaml`` does for every command. The raw tables it returns carry the
schema's column names, the center's own sheet as ``source``, the user's row numbers as ``rows`` and the user's
headers as ``header``, so that the usual coercion and checks (:func:`mabseq.cohort.validate.build_cohort`) name
the center's sheet, row and column. Before that, the mapping's own findings:

- ``mapping.value_unmapped`` (ERROR): per coded column, each non-empty source value no key of its value map covers,
  with its count and first row;
- ``mapping.parse`` (ERROR): a cell a number or date parser cannot read (sheet, row, column, value; 20 per column,
  then a count);
- ``mapping.filtered`` (WARNING): rows a ``where`` filter left out, counted per filter;
- ``mapping.sheet_unused`` (WARNING): a sheet or file of DATA no source names; ``mapping.column_unused``
  (WARNING): per source, the headers no rule reads and ``ignore_columns`` does not list.

The connection is in memory; the sheets are loaded from Arrow, then external access is switched off (the SQL cannot
read or write files) and the configuration locked. Everything runs as set operations in DuckDB: no Python loop per
cell.
"""
from __future__ import annotations

import re

import pandas as pd

from ..cohort.findings import ERROR, WARNING, Findings, quote
from ..cohort.grid import GridOptions, read_grids
from ..cohort.model import RawTable
from .compile import CompiledMapping, compile_mapping
from .load import load_mapping_yaml
from .parsers import ident, norm_sql, norm_value
from .provenance import provenance_frame
from .sources import find_grid, grid_table

MAX_PARSE_FINDINGS = 20


def _connect():
    import duckdb
    return duckdb.connect(":memory:", config={"autoload_known_extensions": False,
                                              "autoinstall_known_extensions": False})


def load_sources(data_path, spec, findings: Findings):
    """(grids by source name, headers, Arrow tables) or None with findings."""
    options = {s.file: GridOptions(s.delimiter, s.encoding) for s in spec.sources.values() if s.file is not None}
    since = len(findings.errors)
    grids = read_grids(data_path, findings, options, frozenset(" ".join(d.split()).casefold()
                                                               for d in spec.documentation))
    if len(findings.errors) > since:
        return None
    chosen, headers, tables = {}, {}, {}
    for name, s in spec.sources.items():
        g = find_grid(s, grids, spec, findings)
        if g is None:
            continue
        got = grid_table(g, s, spec, findings)
        if got is None:
            continue
        chosen[name], tables[name], headers[name] = g, got[0], got[1]
    named = {id(g) for g in chosen.values()}
    documented = {norm_value(d) for d in spec.documentation}
    for g in grids:
        if id(g) not in named and norm_value(g.name) not in documented:
            findings.add(WARNING, "mapping.sheet_unused", f"no source of the mapping names this {g.kind}; it is not "
                         "read", g.source)
    if len(findings.errors) > since:
        return None
    return chosen, headers, tables


def read_mapped(data_path, mapping_path, findings: Findings, provenance: list | None = None) -> list[RawTable]:
    """The raw tables of DATA read through a YAML mapping (``[]`` with ERROR findings when it cannot be used).
    When ``provenance`` is a list, the provenance frame is appended to it."""
    spec = load_mapping_yaml(mapping_path, findings)
    if spec is None:
        return []
    loaded = load_sources(data_path, spec, findings)
    if loaded is None:
        return []
    grids, headers, tables = loaded
    compiled = compile_mapping(spec, headers, findings)
    if compiled is None:
        return []
    import duckdb
    con = _connect()
    try:
        for name, t in tables.items():
            con.register("_mabseq_grid", t)
            con.execute(f"CREATE TABLE {ident('src:' + name)} AS SELECT * FROM _mabseq_grid")
            con.unregister("_mabseq_grid")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        raws, frames = run_compiled(con, compiled, grids, findings)
    except duckdb.Error as exc:  # a fault of the compiler or an input DuckDB refuses: a finding, never a traceback
        findings.add(ERROR, "mapping.sql", f"DuckDB could not run the mapping's SQL ({str(exc)[:300]}); see "
                     "mabseq map sql", spec.path_name)
        return []
    finally:
        con.close()
    _unused_columns(compiled, grids, headers, findings)
    if any(f.severity == ERROR for f in findings.items):
        return []
    if provenance is not None:
        provenance.append(provenance_frame(frames))
    return raws


def run_compiled(con, compiled: CompiledMapping, grids, findings: Findings):
    raws, frames = [], []
    spec = compiled.spec
    if compiled.preamble:  # the parsers as macros, the large value maps as lookup tables: no file is read
        con.execute(";\n".join(compiled.preamble))
    for cb in compiled.blocks:
        b = cb.spec
        stmts = dict(cb.statements)
        con.execute(stmts["pre"])
        for j in b.join:
            for side, n, first in con.execute(stmts[f"join check {j.source}"]).fetchall():
                if not n:
                    continue
                if side == "joined":
                    findings.add(WARNING, "mapping.join_repeated", f"{b.label}: {n:,} row(s) of this sheet match "
                                 f"more than one row of {grids[b.from_].source} on the join keys (first row {first}); "
                                 "their values are used for each (add a key to the join's 'on' if that is wrong)",
                                 grids[j.source].source, row=first)
                else:
                    findings.add(WARNING, "mapping.join_repeated", f"{b.label}: {n:,} row(s) match more than one row "
                                 f"of {grids[j.source].source} on the join keys (first row {first}); each match gives "
                                 "its own row", grids[b.from_].source, row=first)
        if "filters" in stmts:
            for k, n, first in con.execute(stmts["filters"]).fetchall():
                if k is not None:
                    findings.add(WARNING, "mapping.filtered", f"{b.label}: {n:,} row(s) left out by the filter "
                                 f"{quote(cb.filter_labels[k], 120)} (first row {first})", grids[b.from_].source,
                                 row=first)
        con.execute(stmts["rows"])
        _check_cells(con, cb, grids, findings)
        con.execute(stmts["final"])
        frame = con.sql(f"SELECT * FROM {cb.final}").to_arrow_table().to_pandas()
        label = (grids[b.from_].source if b.from_ else f"{spec.path_name} [{b.label}]") + "".join(
            f" + [{spec.sources[j.source].target}]" for j in b.join)
        names = [c.target for c in cb.columns]
        header = {c.target: c.header for c in cb.columns}
        out = pd.DataFrame({n: frame[n] for n in names}, index=range(len(frame)))
        raws.append(RawTable(b.table, out, label, frame["_row"].astype("int64").tolist(), header))
        labels = {n: grids[n].source for n in cb.sources}
        labels[None] = label
        frames.append((cb, frame, labels))
    return raws, frames


def _check_cells(con, cb, grids, findings: Findings) -> None:
    b = cb.spec
    for c in cb.columns:
        if c.kind != "column":
            continue
        src = grids[c.source].source
        shown = c.header.split("!", 1)[1] if c.source != b.from_ and "!" in c.header else c.header
        raw, rule, row = ident(c.target + "#raw"), ident(c.target + "#rule"), ident(c.target + "#row")
        hdr = ident(c.target + "#hdr") if c.varies else "NULL"
        srcx = ident(c.target + "#src") if c.source_varies else "NULL"
        label = {n: g.source for n, g in grids.items()}
        mapped = b.columns[c.target].values is not None
        col = _schema(b.table, c.target)
        if mapped or col.type == "category":
            key = norm_sql(raw)  # 'X' and 'x ' are one value to a value map: one error, counted together
            got = con.execute(f"SELECT first({raw} ORDER BY {row}), count(*), min({row}), first({hdr} ORDER BY {row}) "
                              f"FROM {cb.rows} WHERE {rule} = '!unmapped' GROUP BY {key} ORDER BY min({row}), {key}"
                              ).fetchall()
            for value, n, first, h in got:
                how = (f"not covered by the value map of {b.table}.{c.target}; add it to the map (or a '*' key for "
                       "every other value)") if mapped else (
                       f"neither a code nor a label of {b.table}.{c.target} (codes: {', '.join(col.codes)}); give the "
                       "column a value map (values:) saying which code it is")
                findings.add(ERROR, "mapping.value_unmapped", f"{quote(value)} ({n:,} row(s), first row {first}) is "
                             + how, src, b.table, first, h or shown, value)
        if c.coded and col.type in ("number", "integer", "date"):
            n = con.execute(f"SELECT count(*) FROM {cb.rows} WHERE {rule} = '!parse'").fetchall()[0][0]
            if not n:
                continue
            what = "number" if c.target in _numeric(b.table) else "date"
            got = con.execute(f"SELECT {row}, {raw}, {hdr}, {srcx} FROM {cb.rows} WHERE {rule} = '!parse' ORDER BY "
                              f"{row} LIMIT {MAX_PARSE_FINDINGS}").fetchall()
            for first, value, h, sname in got:
                findings.add(ERROR, "mapping.parse", f"cannot be read as a {what} for {b.table}.{c.target}: "
                             + (number_hint(value) if what == "number" else date_hint(value)),
                             label.get(sname, src), b.table, first, h or shown, value)
            if n > MAX_PARSE_FINDINGS:
                findings.add(ERROR, "mapping.parse", f"... and {n - MAX_PARSE_FINDINGS:,} more cells of this column "
                             f"cannot be read ({n:,} in all)", src, b.table, None, shown)


_ISO_TIME = re.compile(r"^\s*\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2})?\s*$")


def number_hint(value) -> str:
    """What to write in the mapping for a number cell the parser could not read (docs/MAPPING.md)."""
    v = str(value or "").strip().lower()
    if v[:1] in "<≤":
        return "give the column's number parser a rule for values below a limit (below: limit, half, zero or missing)"
    if v[:1] in ">≥":
        return "give the column's number parser a rule for values above a limit (above: limit or missing)"
    if v[:1] == "~" or v.startswith(("approx", "ca.", "about", "circa")):
        return "give the column's number parser a rule for approximate values (approx: value or missing)"
    if v[:1].isdigit() and any(ch.isalpha() for ch in v):
        return "to read the number at its start, give the parser 'leading: true'"
    if "%" in v or "/" in v:
        return "a % sign or a/b is read only on a percent or fraction column (and % only at the end)"
    return ("list the word under the parser's 'negative' (the value 0) or 'missing' (no result) words, or correct "
            "the cell")


def date_hint(value) -> str:
    if _ISO_TIME.match(str(value or "")):
        return "the cell holds a date with a time of day; a date column takes the day only (correct the cell)"
    return "no format of the mapping reads it (add its format under 'dates' or the column's 'date', e.g. \"%d/%m/%Y\")"


def _schema(table: str, column: str):
    from ..cohort.schema import BY_NAME
    return BY_NAME[table][column]


def _numeric(table: str) -> set[str]:
    from ..cohort.schema import BY_NAME
    return {c.name for c in BY_NAME[table].columns if c.type in ("number", "integer")}


def _unused_columns(compiled: CompiledMapping, grids, headers, findings: Findings) -> None:
    spec = compiled.spec
    from .parsers import norm_value
    for name, h in headers.items():
        used = compiled.used_headers.get(name, set())
        ignored = {norm_value(x) for x in spec.sources[name].ignore_columns}
        left = [shown for n, shown in zip(h.names, h.shown) if n not in used and n not in ignored
                and norm_value(shown) not in ignored]
        if left:
            what = "key(s)" if h.key_value else "column(s)"
            findings.add(WARNING, "mapping.column_unused", f"{len(left)} {what} no rule of the mapping reads: "
                         + ", ".join(quote(x, 40) for x in left[:30]) + (" ..." if len(left) > 30 else "")
                         + f" (list them under sources.{name}.ignore_columns to say they are not used)",
                         grids[name].source)


def mapping_sql(mapping_path, findings: Findings, data_path=None) -> str | None:
    """The SQL text of a mapping (with DATA: its headers resolved, unpivot groups expanded)."""
    spec = load_mapping_yaml(mapping_path, findings)
    if spec is None:
        return None
    headers = None
    if data_path is not None:
        loaded = load_sources(data_path, spec, findings)
        if loaded is None:
            return None
        headers = loaded[1]
    compiled = compile_mapping(spec, headers, findings)
    return compiled.sql_text() if compiled is not None else None


__all__ = ["read_mapped", "mapping_sql", "run_compiled", "load_sources"]
