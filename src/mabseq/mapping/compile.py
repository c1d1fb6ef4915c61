"""A checked mapping -> the SQL that DuckDB runs over the raw sheets (``mabseq map sql`` prints it).

Each source is a text table ``"src:<name>"``: one VARCHAR column per header, named by the header's normalised text
(lower case, spaces collapsed: headers match case- and space-insensitively), and ``_row``, the user's row number
(a key/value source has one row, a column per key, and ``<key>#row`` for each key's own row). Per block:

1. ``"pre:<table>:<i>"``: the source's rows, joined sources attached as one struct column each (named after the
   source; keys compared after id normalisation / date parsing when the key column is an id / date column), and
   unpivoted (one row per non-empty group; fields as ``"~<field>"``, the group number as ``"~{n}"``);
2. (with ``where``) the count of rows each filter leaves out (the first filter a row fails);
3. ``"rows:<table>:<i>"``: kept rows, one column per schema column set by the block, plus ``<col>#rule``,
   ``<col>#row``, ``<col>#raw`` (and ``<col>#hdr`` for unpivoted fields) for provenance and findings; a rule
   ``!unmapped`` / ``!parse`` marks a cell no rule covers;
4. the final rows: collapsed into courses and given generated sequences.

The text is deterministic: same mapping (and same headers) -> same bytes.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..cohort.findings import ERROR, Findings, quote
from ..cohort.schema import BY_NAME
from .check import closest
from .macros import Macros, indent
from .parsers import (_safe, date_formats, date_sql, date_value_rule, id_sql, ident, lit, norm_sql, norm_value,
                      number_sql, text_sql, value_map_lookup, value_map_sql)
from .spec import BlockSpec, ColumnSpec, MappingSpec, ValueMap

_LETTER = re.compile(r"^[A-Za-z]{1,3}$")


@dataclass
class SourceHeaders:
    """The headers of a loaded source: ``names[j]`` the column name in SQL, ``shown[j]`` as the user wrote it."""

    names: list[str]
    shown: list[str]
    letters: list[str]
    key_value: bool = False
    keys: list[str] | None = None   # the normalised header text matched against the mapping (default: names)

    def key_list(self) -> list[str]:
        return self.keys if self.keys is not None else self.names


def struct_name(source: str) -> str:
    """The column holding a joined source's row (a name no header can take: headers never start with '#')."""
    return ident("#src:" + source)


@dataclass
class ColumnOut:
    target: str
    source: str | None        # the source name the cell comes from (None: a constant / generated)
    header: str               # the user's header (or a description)
    kind: str                 # column | constant | generated
    coded: bool = False
    varies: bool = False      # <col>#hdr holds the header per row (unpivot, a full join's key)
    source_varies: bool = False  # <col>#src holds the source per row (a full join's key)


@dataclass
class CompiledBlock:
    spec: BlockSpec
    statements: list[tuple[str, str]] = field(default_factory=list)   # (kind, SQL): pre, filters, rows, final
    columns: list[ColumnOut] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)                   # from first, then joined
    filter_labels: list[str] = field(default_factory=list)
    unpivot_groups: list[str] = field(default_factory=list)

    @property
    def pre(self) -> str:
        return ident(f"pre:{self.spec.table}:{self.spec.index}")

    @property
    def rows(self) -> str:
        return ident(f"rows:{self.spec.table}:{self.spec.index}")

    @property
    def final(self) -> str:
        return ident(f"final:{self.spec.table}:{self.spec.index}")


@dataclass
class CompiledMapping:
    spec: MappingSpec
    blocks: list[CompiledBlock]
    used_headers: dict[str, set[str]]
    preamble: list[str] = field(default_factory=list)   # the macros and lookup tables, run before the blocks

    def sql_text(self) -> str:
        out = [f"-- mabseq mapping {self.spec.path_name}: SQL run by DuckDB over the raw sheets loaded as text",
               "-- tables \"src:<source>\": one VARCHAR column per header (lower case, spaces collapsed), _row = the"
               " user's row", "-- each block's result is the view \"final:<table>:<i>\"", "",
               "-- the parsers, each defined once (DuckDB inlines a macro where it is called)"]
        for sql in self.preamble:
            out.append(sql.rstrip() + ";")
            out.append("")
        for b in self.blocks:
            out.append(f"-- {b.spec.label} (from {b.spec.from_ or 'the mapping file: constants'})")
            for kind, sql in b.statements:
                out.append(f"-- {kind}")
                out.append(sql.rstrip() + ";")
            out.append("")
        return "\n".join(out)


class _Refs:
    """Resolves a (source, header) of a block to its SQL in the ``pre`` relation."""

    def __init__(self, spec: MappingSpec, block: BlockSpec, headers: dict[str, SourceHeaders] | None,
                 findings: Findings, used: dict[str, set[str]], sq: Macros):
        self.spec, self.block, self.headers, self.findings, self.used = spec, block, headers, findings, used
        self.sq = sq
        self.fields: dict[str, str] = {}         # normalised unpivot field -> pattern header shown
        self.join_keys: dict[str, list[tuple[str, str, str]]] = {}  # from's key -> [(source, its column, shown)]

    def name(self, source: str, header: str, line: int) -> tuple[str | None, str]:
        """(column name in the source table, the header as shown), or (None, ...) with an ERROR."""
        if not isinstance(header, str):  # `column:` left blank (YAML null) or a number/list where a header goes
            self.findings.add(ERROR, "mapping.missing_header", f"{self.block.label}: a column is named by "
                              f"{'nothing' if header is None else quote(str(header))}, not by a header of the "
                              f"source {source!r}", self.spec.path_name, row=line)
            return None, "" if header is None else str(header)
        h = self.headers.get(source) if self.headers is not None else None
        n = norm_value(header)
        if h is None:
            return n, header
        keys = h.key_list()
        hits = [j for j, k in enumerate(keys) if k == n]
        if len(hits) > 1:
            self.findings.add(ERROR, "mapping.ambiguous_header", f"{self.block.label}: the source {source!r} has "
                              f"{len(hits)} columns headed {quote(header)} (columns "
                              f"{', '.join(h.letters[j] for j in hits)}); name the one to use by its letter",
                              self.spec.path_name, row=line)
            return None, header
        if hits:
            j = hits[0]
            self.used.setdefault(source, set()).add(h.names[j])
            return h.names[j], h.shown[j]
        if _LETTER.match(header.strip()) and header.strip().upper() in h.letters and not h.key_value:
            j = h.letters.index(header.strip().upper())
            self.used.setdefault(source, set()).add(h.names[j])
            return h.names[j], h.shown[j]
        what = "key" if h.key_value else "column"
        self.findings.add(ERROR, "mapping.unknown_header", f"{self.block.label}: the source {source!r} has no "
                          f"{what} {quote(header)}{closest(header, [s for s in h.shown if s])}", self.spec.path_name,
                          row=line)
        return None, header

    def cell(self, source: str | None, header: str, line: int) -> tuple[str, str, str, str | None]:
        """(value SQL, row SQL, header shown, header-per-row SQL or None)."""
        b = self.block
        src = source or b.from_
        n = norm_value(header)
        if src == b.from_ and b.unpivot is not None and (n in self.fields or n == "{n}"):
            key = "~" + n
            return ident(key), "_row", self.fields.get(n, "{n}"), (ident(key + "#hdr") if n != "{n}" else None)
        name, shown = self.name(src, header, line)
        if name is None:
            return "NULL", "NULL", shown, None
        kv = self.spec.sources[src].layout == "key_value"
        if src == b.from_:
            x, row = ident(name), (ident(name + "#row") if kv else "_row")
            others = self.join_keys.get(name, [])
            if others:  # a key of a full join: the joined side's value (and header) where this side has no row
                x = "coalesce(" + ",\n        ".join([x] + [f"CAST(struct_extract({struct_name(s)}, {lit(c)}) AS "
                                                           "VARCHAR)" for s, c, _ in others]) + ")"
                hdr = (f"CASE WHEN NOT {ident('#joined_only')} THEN {lit(shown)}\n        " + "\n        ".join(
                    f"WHEN struct_extract({struct_name(s)}, '_row') IS NOT NULL THEN {lit(sh)}" for s, _, sh in others)
                    + " END")
                return x, row, shown, hdr
            return x, row, shown, None
        s = struct_name(src)
        label = f"{self.spec.sources[src].target}!{shown}"
        return (f"struct_extract({s}, {lit(name)})", f"struct_extract({s}, {lit(name + '#row' if kv else '_row')})",
                label, None)

    def key_source(self, source: str | None, header: str) -> str | None:
        """The source name per row of a full join's key column (None for any other column)."""
        b = self.block
        if (source or b.from_) != b.from_ or self.headers is None and not self.join_keys:
            return None
        others = self.join_keys.get(norm_value(header) if self.headers is None else
                                    self._name_quiet(b.from_, header), [])
        if not others:
            return None
        return (f"CASE WHEN NOT {ident('#joined_only')} THEN {lit(b.from_)}\n        " + "\n        ".join(
            f"WHEN struct_extract({struct_name(s)}, '_row') IS NOT NULL THEN {lit(s)}" for s, _, _ in others) + " END")

    def _name_quiet(self, source: str, header: str) -> str | None:
        h = self.headers.get(source)
        n = norm_value(header)
        if h is None:
            return n
        if n in h.key_list():
            return h.names[h.key_list().index(n)]
        if _LETTER.match(header.strip()) and header.strip().upper() in h.letters:
            return h.names[h.letters.index(header.strip().upper())]
        return None


def schema_codes(col) -> ValueMap:
    """A column's codes and labels as a value map (any letter case, spaces collapsed), each to its code."""
    vm = ValueMap(f"(codes of {col.name})")
    for code, label in col.choices:
        vm.exact.setdefault(norm_value(code), code)
        vm.exact.setdefault(norm_value(label), code)
    return vm


def _kind_of(block: BlockSpec, source: str, header: str) -> ColumnSpec | None:
    """The column spec of the block that reads (source, header), if any (to normalise join keys like it)."""
    for c in block.columns.values():
        if c.column is not None and (c.source or block.from_) == source and norm_value(c.column) == norm_value(header):
            return c
    return None


def _as_kind(c: ColumnSpec, like: ColumnSpec | None) -> ColumnSpec:
    """``c``'s formats with the id/date role of ``like`` (the column the key is read as)."""
    if like is None or c is like:
        return c
    return ColumnSpec(like.target, column=c.column, dates=c.dates or like.dates, id=like.id)


def _key_sql(x: str, c: ColumnSpec | None, table: str, spec: MappingSpec, sq: Macros) -> str:
    if c is not None and (c.id or c.target == "patient_id"):
        return id_sql(x, spec.ids, sq)
    if c is not None and BY_NAME[table][c.target].type == "date":
        return date_sql(x, date_formats(c.dates, spec.dates), sq)
    return f"nullif({norm_sql(x, sq)}, '')"


def compile_mapping(spec: MappingSpec, headers: dict[str, SourceHeaders] | None, findings: Findings
                    ) -> CompiledMapping | None:
    """The SQL of every block; None (with ERROR findings naming the mapping line) when a header is not found."""
    since = len(findings.errors)
    used: dict[str, set[str]] = {}
    sq = Macros()
    blocks = [_compile_block(spec, b, headers, findings, used, sq) for b in spec.blocks]
    if len(findings.errors) > since:
        return None
    return CompiledMapping(spec, blocks, used, sq.statements())


def _items(items: list[str], by: str = "    ") -> str:
    """A SELECT list, one item per line (an item may start with its comment lines)."""
    return ",\n".join(indent(i, by) for i in items)


def _describe(spec: MappingSpec, b: BlockSpec, c: ColumnSpec, col, shown: str, how: str) -> str:
    """The comment line of a schema column: where it comes from in the mapping file and how it is read."""
    return f"-- {b.table}.{c.target}  <- {quote(shown)} ({spec.path_name} line {c.line}): {how}"


def _number_how(n, unit: str) -> str:
    if n is None:
        return "number" + (f" ({unit})" if unit else "")
    parts = [f"unit {n.unit}" if n.unit else ""] + [f"{k}: {getattr(n, k)}" for k in ("below", "above", "approx")
                                                    if getattr(n, k)]
    parts += ["negative words" if n.negative else "", "missing words" if n.missing else "",
              "leading" if n.leading else "", f"decimal {n.decimal!r}" if n.decimal else ""]
    return "number" + "".join(", " + p for p in parts if p)


def _compile_block(spec: MappingSpec, b: BlockSpec, headers, findings: Findings, used, sq: Macros
                   ) -> CompiledBlock:
    out = CompiledBlock(b, sources=([b.from_] if b.from_ else []) + [j.source for j in b.join])
    refs = _Refs(spec, b, headers, findings, used, sq)
    src_t = ident(f"src:{b.from_}") if b.from_ is not None else "(SELECT CAST(1 AS BIGINT) AS _row)"
    # 1. pre: joins and unpivot
    if b.join:
        a_keys, joins = [], []
        for k, j in enumerate(b.join):
            conds, bkeys = [], []
            for i, (ha, hb) in enumerate(j.on):
                na, _ = refs.name(b.from_, ha, j.line)
                nb, shown_b = refs.name(j.source, hb, j.line)
                if na is None or nb is None:
                    continue
                # keys compared as the block reads them: ids normalised, dates parsed (each side with its own
                # column's formats when it has one), other text case- and space-insensitively
                spec_a, spec_b = _kind_of(b, b.from_, ha), _kind_of(b, j.source, hb)
                ca = spec_a or spec_b
                cb = spec_b if spec_b is not None and spec_b.dates else ca
                kname = f"#k{k}.{i}"
                if j.how == "full":  # where only the joined side has the row, its key (already normalised) is used
                    refs.join_keys.setdefault(na, []).append((j.source, kname, shown_b))
                a_keys.append(f"{_key_sql(ident(na), ca, b.table, spec, sq)} AS {ident(kname)}")
                bkeys.append(f"{_key_sql(ident(nb), ca if cb is None else _as_kind(cb, ca), b.table, spec, sq)} AS "
                             f"{ident(kname)}")
                conds.append(f"a.{ident(f'#k{k}.{i}')} = {struct_name(j.source)}.{ident(f'#k{k}.{i}')}")
            how = "FULL OUTER JOIN" if j.how == "full" else "LEFT JOIN"
            joins.append(f"{how} (\n    SELECT *,\n{_items(bkeys or ['NULL AS k'], '        ')}\n    FROM "
                         f"{ident('src:' + j.source)}\n) AS {struct_name(j.source)}\n    ON "
                         + ("\n    AND ".join(conds) or "FALSE"))
        row = "coalesce(a._row, " + ", ".join(f"struct_extract({struct_name(j.source)}, '_row')" for j in b.join) + ")"
        keycols = [struct_name(j.source) for j in b.join]
        head = ["a.* EXCLUDE (_row)", f"{row} AS _row", f"a._row IS NULL AS {ident('#joined_only')}"] + keycols
        base = (f"SELECT\n{_items(head)}\nFROM (\n    SELECT *,\n{_items(a_keys or ['NULL AS k'], '        ')}\n"
                f"    FROM {src_t}\n) AS a\n" + "\n".join(joins))
    else:
        base = f"SELECT * FROM {src_t}"
    if b.unpivot is not None:
        base = _unpivot(spec, b, base, headers, refs, out, findings)
    ties = "".join(f", struct_extract({struct_name(j.source)}, '_row')" for j in b.join)
    first = f"{ident('#joined_only')}, " if b.join else ""  # rows of the joined sources alone come last
    if b.unpivot is not None:
        ties += f", CAST({ident('~{n}')} AS INTEGER)"
    out.statements.append(("pre", f"CREATE OR REPLACE TEMP TABLE {out.pre} AS\nSELECT *, row_number() OVER (ORDER BY "
                                  f"{first}_row{ties}) AS _seq\nFROM (\n{indent(base)}\n)\nORDER BY _seq"))
    for j in b.join:  # a joined row used twice, or a row matching several joined rows: said, never silent
        r = f"struct_extract({struct_name(j.source)}, '_row')"
        out.statements.append((f"join check {j.source}",
                               f"SELECT 'joined' AS side, count(*) AS n, min(r) AS first_row\nFROM (SELECT {r} AS r "
                               f"FROM {out.pre}\n      WHERE {r} IS NOT NULL GROUP BY r HAVING count(*) > 1)\n"
                               f"UNION ALL\nSELECT 'from', count(*), min(r)\nFROM (SELECT _row AS r FROM {out.pre} "
                               f"WHERE NOT {ident('#joined_only')}\n      GROUP BY r HAVING count(DISTINCT {r}) > 1)"))
    # 2. filters
    conds = []
    for f in b.where:
        x, _, shown, _ = refs.cell(None, f.column, f.line)
        conds.append(_filter_sql(x, f, sq))
        out.filter_labels.append(f"{shown} {f.op} " + (", ".join(f.arg) if isinstance(f.arg, tuple) else
                                                       str(f.arg).lower() if isinstance(f.arg, bool) else str(f.arg)))
    if conds:
        first = "CASE\n" + "\n".join(f"    WHEN NOT coalesce({c}, FALSE) THEN {i}" for i, c in enumerate(conds)) + "\nEND"
        out.statements.append(("filters", f"SELECT\n{indent(first)} AS k,\n    count(*) AS n,\n    min(_row) AS "
                                          f"first_row\nFROM {out.pre}\nGROUP BY k ORDER BY k"))
    # 3. rows
    prep, sel, lookups = [], ["_row", "_seq"], []
    t = BY_NAME[b.table]
    for name, c in b.columns.items():
        col = t[name]
        if c.value is not None:
            sel += [f"-- {b.table}.{name}  = {lit(c.value)} ({spec.path_name} line {c.line}): constant\n"
                    f"{lit(c.value)} AS {ident(name)}", f"'constant' AS {ident(name + '#rule')}",
                    f"_row AS {ident(name + '#row')}", f"NULL AS {ident(name + '#raw')}"]
            out.columns.append(ColumnOut(name, None, f"(constant {name})", "constant"))
            continue
        if c.generate is not None:
            out.columns.append(ColumnOut(name, None, f"(generated {name})", "generated"))
            continue
        x, row, shown, hdr = refs.cell(c.source, c.column, c.line)
        if x.startswith("coalesce("):  # a full join's key: either side's cell, computed once in the step before
            prep.append((f"#x:{name}", x))
            x = ident(f"#x:{name}")
        if c.values is not None or col.type == "category":
            # no value map: the cells must hold the schema's codes or labels
            vm, said = (c.values, None) if c.values is not None else (schema_codes(col), "column")
            base = ("map_" + _safe(vm.name) if c.values is not None and vm.name else
                    f"map_{_safe(b.table)}_{_safe(name)}" if c.values is not None else f"codes_{_safe(name)}")
            prep.append((f"#k:{name}", norm_sql(x, sq)))   # the match key, computed once per cell
            k = ident(f"#k:{name}")
            lk = value_map_lookup(k, vm, name, sq, base, key=k)
            if lk is not None:
                lookups.append(lk[0])
            label = (f"value map {vm.name} ({spec.path_name} line {vm.line})" if c.values is not None and vm.name
                     else f"value map of {b.table}.{name} ({spec.path_name} line {c.line})" if c.values is not None
                     else f"the codes and labels of {b.table}.{name} (the schema's; no value map given)")
            value, rule = value_map_sql(x, vm, said, lk[1] if lk else None, sq, base, label, key=k)
            how = (f"value map {vm.name}" if c.values is not None and vm.name else "value map (its own)"
                   if c.values is not None else "the schema's codes or labels")
        elif c.number is not None or col.type in ("number", "integer"):
            from .spec import NumberSpec
            dec = spec.sources[c.source or b.from_].decimal
            p, value, rule = number_sql(x, c.number or NumberSpec(), col.unit, dec, name, sq)
            prep += p
            how = _number_how(c.number, col.unit)
        elif col.type == "date":
            fmts = date_formats(c.dates, spec.dates)
            prep.append((f"#d:{name}", date_sql(x, fmts, sq)))   # the DATE, read once per cell
            value, rule = date_value_rule(x, ident(f"#d:{name}"), sq)
            how = "date " + ", ".join(fmts)
        elif c.id or name == "patient_id":
            value = id_sql(x, spec.ids, sq)
            rule = f"CASE WHEN {value} IS NULL THEN NULL ELSE 'column, id' END"
            how = "id"
        else:
            value = text_sql(x, sq)
            rule = f"CASE WHEN {value} IS NULL THEN NULL ELSE 'column' END"
            how = "text"
        sel += [f"{_describe(spec, b, c, col, shown, how)}\n{value} AS {ident(name)}",
                f"{rule} AS {ident(name + '#rule')}", f"{row} AS {ident(name + '#row')}",
                f"{x} AS {ident(name + '#raw')}"]
        if hdr is not None:
            sel.append(f"{hdr} AS {ident(name + '#hdr')}")
        srcx = refs.key_source(c.source, c.column)
        if srcx is not None:
            sel.append(f"{srcx} AS {ident(name + '#src')}")
        out.columns.append(ColumnOut(name, c.source or b.from_, shown, "column", c.values is not None or
                                     c.number is not None or col.type in ("number", "integer", "date", "category"),
                                     hdr is not None, srcx is not None))
    if b.collapse is not None:
        keys = _collapse_keys(spec, b, refs)
        sel += ["-- keys of the collapse into courses\n" + keys[0]] + keys[1:]
    kept = f"SELECT * FROM {out.pre}" + ("\nWHERE " + "\n  AND ".join(f"coalesce({c}, FALSE)" for c in conds)
                                          if conds else "")
    if prep:
        kept = (f"SELECT *,\n{_items([f'{e} AS {ident(n)}' for n, e in prep])}\nFROM (\n{indent(kept)}\n)")
    if lookups:
        kept = f"SELECT * FROM (\n{indent(kept)}\n) AS kept\n" + "\n".join(lookups)
    out.statements.append(("rows", f"CREATE OR REPLACE TEMP TABLE {out.rows} AS\nSELECT\n{_items(sel)}\nFROM (\n"
                                   f"{indent(kept)}\n)\nORDER BY _seq"))
    # 4. final
    out.statements.append(("final", f"CREATE OR REPLACE TEMP VIEW {out.final} AS\n{_final_sql(b, out)}"))
    return out


def _filter_sql(x: str, f, sq: Macros) -> str:
    n = norm_sql(x, sq)
    if f.op == "equals":
        return f"{n} = {lit(norm_value(f.arg))}"
    if f.op == "not_equals":
        return f"{n} <> {lit(norm_value(f.arg))}"
    if f.op in ("in", "not_in"):
        vals = ", ".join(lit(norm_value(v)) for v in f.arg)
        return f"{n} {'NOT ' if f.op == 'not_in' else ''}IN ({vals})"
    if f.op == "matches":
        return f"regexp_matches(coalesce({x}, ''), {lit(f.arg)}, 'i')"
    return f"({n} = '') = {'TRUE' if f.arg else 'FALSE'}"


def _unpivot(spec, b: BlockSpec, base: str, headers, refs: _Refs, out: CompiledBlock, findings) -> str:
    pat = norm_value(b.unpivot)
    rx = "^" + re.escape(pat).replace(re.escape("{n}"), "([0-9]+)").replace(re.escape("{field}"), "(.+?)") + "$"
    n_first = pat.index("{n}") < pat.index("{field}")
    h = (headers or {}).get(b.from_)
    if h is None:
        findings.add(ERROR, "mapping.needs_data", f"{b.label}.unpivot: the groups of {quote(b.unpivot)} are known only "
                     "from the data: give --data", spec.path_name, row=b.unpivot_line)
        return base
    groups: dict[int, dict[str, tuple[str, str]]] = {}
    for name, key, shown in zip(h.names, h.key_list(), h.shown):
        m = re.match(rx, key)
        if m:
            n, fld = (m.group(1), m.group(2)) if n_first else (m.group(2), m.group(1))
            groups.setdefault(int(n), {})[fld] = (name, shown)
            refs.used.setdefault(b.from_, set()).add(name)
    if not groups:
        findings.add(ERROR, "mapping.unknown_header", f"{b.label}.unpivot: no header of the source {b.from_!r} "
                     f"matches {quote(b.unpivot)}", spec.path_name, row=b.unpivot_line)
        return base
    fields = sorted({f for g in groups.values() for f in g})
    refs.fields = {f: b.unpivot.replace("{field}", f) for f in fields}
    parts = []
    for n in sorted(groups):
        g = groups[n]
        cols = [f"{lit(str(n))} AS {ident('~{n}')}"]
        nonempty = []
        for f in fields:
            if f in g:
                cols += [f"{ident(g[f][0])} AS {ident('~' + f)}", f"{lit(g[f][1])} AS {ident('~' + f + '#hdr')}"]
                nonempty.append(f"trim(coalesce({ident(g[f][0])}, '')) <> ''")
            else:
                cols += [f"NULL AS {ident('~' + f)}", f"NULL AS {ident('~' + f + '#hdr')}"]
        parts.append(f"-- group {n}\nSELECT *,\n{_items(cols)}\nFROM base\nWHERE "
                     + ("\n   OR ".join(nonempty) or "FALSE"))
        out.unpivot_groups.append(str(n))
    return f"WITH base AS (\n{indent(base)}\n)\n" + "\nUNION ALL\n".join(parts)


def _collapse_keys(spec, b: BlockSpec, refs: _Refs) -> list[str]:
    c = b.collapse
    sq = refs.sq
    sel = []
    for i, h in enumerate(c.within):
        x, _, _, _ = refs.cell(None, h, c.line)
        sel.append(f"{id_sql(x, spec.ids, sq)} AS {ident(f'#cw{i}')}")
    for i, h in enumerate(c.same):
        x, _, _, _ = refs.cell(None, h, c.line)
        sel.append(f"{norm_sql(x, sq)} AS {ident(f'#cs{i}')}")
    for key, h in (("#cstart", c.start), ("#cend", c.end), ("#corder", c.order_by)):
        if h is None:
            sel.append(f"NULL::DATE AS {ident(key)}")
            continue
        x, _, _, _ = refs.cell(None, h, c.line)
        spec_c = _kind_of(b, b.from_, h)
        sel.append(f"{date_sql(x, date_formats(spec_c.dates if spec_c else None, spec.dates), sq)} AS {ident(key)}")
    return sel


def _final_sql(b: BlockSpec, out: CompiledBlock) -> str:
    names = [c.target for c in out.columns if c.kind != "generated"]
    src = out.rows
    if b.collapse is not None:
        c = b.collapse
        part = ", ".join(ident(f"#cw{i}") for i in range(len(c.within))) + "".join(
            f", {ident(f'#cs{i}')}" for i in range(len(c.same)))
        order = f'{ident("#corder")} NULLS LAST, _seq'
        prev = (f"SELECT *,\n    lag(coalesce({ident('#cend')}, {ident('#cstart')}))\n        OVER (PARTITION BY "
                f"{part} ORDER BY {order}) AS {ident('#prev')}\nFROM {src}")
        gap = (f"CASE WHEN {ident('#prev')} IS NULL OR {ident('#cstart')} IS NULL\n        OR date_diff('day', "
               f"{ident('#prev')}, {ident('#cstart')}) > {c.gap_days} THEN 1 ELSE 0 END")
        grouped = (f"-- a new course where the gap to the previous row is more than {c.gap_days} days\n"
                   f"SELECT *,\n    sum({gap})\n        OVER (PARTITION BY {part} ORDER BY {order} ROWS UNBOUNDED "
                   f"PRECEDING) AS {ident('#grp')}\nFROM (\n{indent(prev)}\n)")
        ends = {cc.target for cc in out.columns if cc.kind == "column" and c.end is not None
                and norm_value(b.columns[cc.target].column) == norm_value(c.end)}
        sel = [f"first(_row ORDER BY {order}) AS _row", f"first(_seq ORDER BY {order}) AS _seq",
               f"count(*) AS {ident('#n')}"]
        for name in names:
            agg = "last" if name in ends else "first"
            if name == "cycles" and c.cycles in ("count", "sum"):
                v = "CAST(count(*) AS DOUBLE)" if c.cycles == "count" else f"sum({ident(name)})"
            else:
                v = f"{agg}({ident(name)} ORDER BY {order})"
            sel += [f"{v} AS {ident(name)}",
                    f"CASE WHEN count(*) > 1 THEN 'collapsed ' || count(*) || ' rows: ' ||\n        "
                    f"{agg}({ident(name + '#rule')} ORDER BY {order})\n        ELSE first({ident(name + '#rule')}) END "
                    f"AS {ident(name + '#rule')}",
                    f"{agg}({ident(name + '#row')} ORDER BY {order}) AS {ident(name + '#row')}",
                    f"{agg}({ident(name + '#raw')} ORDER BY {order}) AS {ident(name + '#raw')}"]
            if any(cc.target == name and cc.varies for cc in out.columns):
                sel.append(f"{agg}({ident(name + '#hdr')} ORDER BY {order}) AS {ident(name + '#hdr')}")
            if any(cc.target == name and cc.source_varies for cc in out.columns):
                sel.append(f"{agg}({ident(name + '#src')} ORDER BY {order}) AS {ident(name + '#src')}")
        src = (f"(\n    SELECT\n{_items(sel, '        ')}\n    FROM (\n{indent(grouped, '        ')}\n    )\n"
               f"    GROUP BY {part}, {ident('#grp')}\n)")
    gens = []
    for cc in out.columns:
        if cc.kind != "generated":
            continue
        g = b.columns[cc.target].generate
        pre, _, post = g["format"].partition("{n}")
        within = f"PARTITION BY {ident(g['within'])} " if g.get("within") else ""
        order = (f"{ident(g['order_by'])} NULLS LAST, _seq" if g.get("order_by") else "_seq")
        gens += [f"{lit(pre)} || CAST(row_number() OVER ({within}ORDER BY {order}) AS VARCHAR) || {lit(post)} AS "
                 f"{ident(cc.target)}", f"'generated sequence' AS {ident(cc.target + '#rule')}",
                 f"_row AS {ident(cc.target + '#row')}", f"NULL AS {ident(cc.target + '#raw')}"]
    return f"SELECT *{''.join(',' + chr(10) + '    ' + g for g in gens)}\nFROM {src}\nORDER BY _seq"


__all__ = ["compile_mapping", "CompiledMapping", "CompiledBlock", "ColumnOut", "SourceHeaders"]
