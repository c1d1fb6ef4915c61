"""The checks of one block of ``tables`` (from, join, unpivot, where, collapse, constants, columns).

Split from :mod:`.check` to keep each module small; same rules and messages (file and line in every error).
"""
from __future__ import annotations

import re

from ..cohort.schema import BY_NAME
from .check import (BLOCK_KEYS, _code_ok, COLLAPSE_KEYS, COLUMN_KEYS, FILTER_OPS, JOIN_KEYS, _choice, _is_map, _is_seq,
                    _keys, _number, _text, _text_list, _value_map, closest, iline, kline, quote, scalar, vline)
from .parsers import check_date_format, regex_problem
from .spec import BlockSpec, CollapseSpec, ColumnSpec, FilterSpec, JoinSpec

UNPIVOT_FIELDS = re.compile(r"\{n\}|\{field\}")


def _block(node, table, index, ctx, line, sources, values, dates) -> BlockSpec | None:
    where = f"tables.{table}" + (f"[{index}]" if index else "")
    if not _is_map(node):
        ctx.err("mapping.structure", f"{where}: expected a block (from, columns, ...)", line)
        return None
    _keys(node, BLOCK_KEYS, ctx, where)
    if "from" not in node:
        only_constants = not any(k in node for k in ("join", "unpivot", "where", "collapse")) and all(
            _is_map(v) and "value" in v for v in (node.get("columns") or {}).values()) if _is_map(
            node.get("columns") or {}) else False
        if not only_constants:
            ctx.err("mapping.structure", f"{where}: 'from' (the source whose rows become this table's rows) is "
                    "missing (only a block of constants alone may leave it out: it gives one row)", line)
            return None
        frm = None
    else:
        frm = scalar(node["from"])
    if frm is not None and frm not in sources:
        ctx.err("mapping.unknown_source", f"{where}.from: {quote(frm)} is not a source{closest(frm, list(sources))}",
                vline(node, "from"))
        return None
    b = BlockSpec(table, index, frm, line=line)
    t = BY_NAME[table]
    names = {frm}
    for j, jn in enumerate(node.get("join") or []) if _is_seq(node.get("join") or []) else []:
        jl = iline(node["join"], j)
        if not _is_map(jn):
            ctx.err("mapping.structure", f"{where}.join[{j}]: expected {{source, on, how}}", jl)
            continue
        _keys(jn, JOIN_KEYS, ctx, f"{where}.join[{j}]")
        src = scalar(jn.get("source"))
        if src not in sources:
            ctx.err("mapping.unknown_source", f"{where}.join[{j}].source: {quote(src)} is not a source"
                    f"{closest(src, list(sources))}", vline(jn, "source") if "source" in jn else jl)
            continue
        on = jn.get("on")
        if not _is_map(on) or not on:
            ctx.err("mapping.structure", f"{where}.join[{j}].on: expected {{this header: other header, ...}}",
                    vline(jn, "on") if "on" in jn else jl)
            continue
        how = _choice(jn.get("how", "full"), ("full", "left"), ctx, f"{where}.join[{j}].how",
                      vline(jn, "how") if "how" in jn else jl) or "full"
        b.join.append(JoinSpec(src, [(scalar(k), scalar(v)) for k, v in on.items()], how, jl))
        names.add(src)
    if "join" in node and not _is_seq(node["join"]):
        ctx.err("mapping.structure", f"{where}.join: expected a list of {{source, on, how}}", vline(node, "join"))
    if "unpivot" in node:
        u = node["unpivot"]
        pat = scalar(u.get("columns")) if _is_map(u) else None
        if pat is None or "{n}" not in pat or "{field}" not in pat:
            ctx.err("mapping.structure", f"{where}.unpivot: expected {{columns: \"prefix_{{n}}_{{field}}\"}} (the "
                    "pattern holds {n} and {field})", vline(node, "unpivot"))
        else:
            b.unpivot, b.unpivot_line = pat, vline(node, "unpivot")
    wh = node.get("where")
    if wh is not None:
        if not _is_seq(wh):
            ctx.err("mapping.structure", f"{where}.where: expected a list of filters", vline(node, "where"))
        else:
            for i, f in enumerate(wh):
                got = _filter(f, ctx, f"{where}.where[{i}]", iline(wh, i))
                if got:
                    b.where.append(got)
    if "collapse" in node:
        b.collapse = _collapse(node["collapse"], ctx, f"{where}.collapse", vline(node, "collapse"))
    const = node.get("constants")
    if const is not None:
        if not _is_map(const):
            ctx.err("mapping.structure", f"{where}.constants: expected {{column: value}}", vline(node, "constants"))
        else:
            for k, v in const.items():
                col = _target(k, t, ctx, f"{where}.constants", kline(const, k))
                if col and _text(v, ctx, f"{where}.constants.{k}", vline(const, k)) is not None:
                    if _code_ok(scalar(v), table, col, ctx, f"{where}.constants.{k}", vline(const, k)):
                        b.columns[col] = ColumnSpec(col, value=scalar(v), line=vline(const, k))
    cols = node.get("columns")
    if cols is not None and not _is_map(cols):
        ctx.err("mapping.structure", f"{where}.columns: expected {{schema column: column spec}}",
                vline(node, "columns"))
    elif cols is not None:
        for k, v in cols.items():
            col = _target(k, t, ctx, f"{where}.columns", kline(cols, k))
            if col is None:
                continue
            if col in b.columns:
                ctx.err("mapping.conflict", f"{where}: {col} is set twice (in constants and columns)", kline(cols, k))
                continue
            got = _column(v, table, col, ctx, f"{where}.columns.{col}", vline(cols, k), names, frm, values, dates)
            if got is not None:
                b.columns[col] = got
    for c in b.columns.values():
        if c.generate:
            for k in ("within", "order_by"):
                ref = c.generate.get(k)
                if ref is not None and ref not in b.columns:
                    ctx.err("mapping.unknown_column", f"{where}.columns.{c.target}.{k}: {quote(ref)} is not a "
                            f"column this block sets{closest(ref, list(b.columns))}", c.line)
    return b


def _target(k, t, ctx, where, line) -> str | None:
    name = scalar(k)
    if name not in t:
        ctx.err("mapping.unknown_column", f"{where}: {quote(name)} is not a column of the {t.name} table"
                f"{closest(name, t.column_names)}", line)
        return None
    return name


def _column(v, table, col, ctx, where, line, names, frm, values, dates) -> ColumnSpec | None:
    spec = ColumnSpec(col, line=line)
    if isinstance(v, (str, int, float)) and not isinstance(v, bool):
        spec.column = scalar(v)
        return spec
    if not _is_map(v):
        ctx.err("mapping.structure", f"{where}: expected a source header or a column spec {{column: ...}}", line)
        return None
    _keys(v, COLUMN_KEYS, ctx, where)
    given = [k for k in ("column", "value", "generate") if k in v]
    if len(given) != 1:
        ctx.err("mapping.conflict", f"{where}: give exactly one of 'column', 'value' and 'generate'", line)
        return None
    if "value" in v:
        spec.value = _text(v["value"], ctx, f"{where}.value", vline(v, "value"))
        if spec.value is not None:
            if not _code_ok(spec.value, table, col, ctx, f"{where}.value", vline(v, "value")):
                return None
        return spec
    if "generate" in v:
        if scalar(v["generate"]) != "sequence":
            ctx.err("mapping.structure", f"{where}.generate: only 'sequence' is known", vline(v, "generate"))
            return None
        fmt = scalar(v.get("format", "{n}"))
        if "{n}" not in fmt:
            ctx.err("mapping.structure", f"{where}.format: expected text holding {{n}}, e.g. \"C{{n}}\"",
                    vline(v, "format") if "format" in v else line)
            return None
        spec.generate = {"within": scalar(v.get("within")) if "within" in v else None,
                         "order_by": scalar(v.get("order_by")) if "order_by" in v else None, "format": fmt}
        return spec
    spec.column = _text(v["column"], ctx, f"{where}.column", vline(v, "column"))
    if "source" in v:
        s = scalar(v["source"])
        if s not in names:
            ctx.err("mapping.unknown_source", f"{where}.source: {quote(s)} is not the block's source or a joined "
                    f"one{closest(s, sorted(names))}", vline(v, "source"))
            return None
        spec.source = None if s == frm else s
    if "values" in v:
        vm = v["values"]
        if isinstance(vm, str):
            if vm not in values:
                ctx.err("mapping.unknown_values", f"{where}.values: {quote(vm)} is not a value map under 'values'"
                        f"{closest(vm, list(values))}", vline(v, "values"))
                return None
            spec.values = values[vm]
            for code in list(values[vm].exact.values()) + [c for _, c in values[vm].regex] + \
                    [c for c in (values[vm].empty, values[vm].other) if c is not None]:
                    _code_ok(code, table, col, ctx, f"{where}.values ({vm})", vline(v, "values"))
        else:
            spec.values = _value_map(vm, ctx, f"{where}.values", vline(v, "values"), (table, col))
    ctype = BY_NAME[table][col].type
    if "number" in v:
        if ctype not in ("number", "integer"):
            ctx.err("mapping.structure", f"{where}.number: {table}.{col} is not a number column", vline(v, "number"))
        else:
            spec.number = _number(v["number"], ctx, f"{where}.number", vline(v, "number"), table, col)
    if "date" in v:
        fmts = _text_list(v["date"], ctx, f"{where}.date", vline(v, "date")) or ()
        for f in fmts:
            problem = check_date_format(f)
            if problem:
                ctx.err("mapping.date_format", f"{where}.date: {quote(f)}: {problem}", vline(v, "date"))
        if ctype != "date":
            ctx.err("mapping.structure", f"{where}.date: {table}.{col} is not a date column", vline(v, "date"))
        spec.dates = tuple(fmts)
    if "id" in v:
        if not isinstance(v["id"], bool):
            ctx.err("mapping.structure", f"{where}.id: expected true or false", vline(v, "id"))
        else:
            spec.id = v["id"]
    if spec.values is not None and spec.number is not None:
        ctx.err("mapping.conflict", f"{where}: give 'values' or 'number', not both", line)
    return spec


def _filter(node, ctx, where, line) -> FilterSpec | None:
    if not _is_map(node) or "column" not in node:
        ctx.err("mapping.structure", f"{where}: expected {{column: header, equals/not_equals/in/not_in/matches/"
                "empty: ...}}", line)
        return None
    _keys(node, ("column",) + FILTER_OPS, ctx, where)
    ops = [k for k in FILTER_OPS if k in node]
    if len(ops) != 1:
        ctx.err("mapping.structure", f"{where}: give exactly one of {', '.join(FILTER_OPS)}", line)
        return None
    op, arg = ops[0], node[ops[0]]
    if op in ("in", "not_in"):
        arg = _text_list(arg, ctx, f"{where}.{op}", vline(node, op))
    elif op == "empty":
        if not isinstance(arg, bool):
            ctx.err("mapping.structure", f"{where}.empty: expected true or false", vline(node, op))
            return None
    else:
        arg = _text(arg, ctx, f"{where}.{op}", vline(node, op))
        if op == "matches" and arg is not None:
            problem = regex_problem(arg)
            if problem:
                ctx.err("mapping.regex", f"{where}.matches: not a regular expression DuckDB can run ({problem})",
                        vline(node, op))
                return None
    if arg is None:
        return None
    return FilterSpec(scalar(node["column"]), op, arg, line)


def _collapse(node, ctx, where, line) -> CollapseSpec | None:
    if not _is_map(node):
        ctx.err("mapping.structure", f"{where}: expected {{within, same, order_by, gap_days, start, end, cycles}}",
                line)
        return None
    _keys(node, COLLAPSE_KEYS, ctx, where)
    for k in ("within", "start", "gap_days"):
        if k not in node:
            ctx.err("mapping.structure", f"{where}: '{k}' is missing", line)
            return None
    gap = node["gap_days"]
    if not isinstance(gap, int) or isinstance(gap, bool) or gap < 0:
        ctx.err("mapping.structure", f"{where}.gap_days: expected a whole number of days (0 or more)",
                vline(node, "gap_days"))
        return None
    within = _text_list(node["within"], ctx, f"{where}.within", vline(node, "within")) or ()
    same = _text_list(node.get("same", []), ctx, f"{where}.same", vline(node, "same") if "same" in node else line)
    cycles = None
    if "cycles" in node:
        cycles = _choice(node["cycles"], ("count", "sum"), ctx, f"{where}.cycles", vline(node, "cycles"))
    start = scalar(node["start"])
    return CollapseSpec(tuple(within), tuple(same or ()), scalar(node.get("order_by", start)), int(gap), start,
                        scalar(node["end"]) if "end" in node else None, cycles, line)


__all__ = ["_block"]
