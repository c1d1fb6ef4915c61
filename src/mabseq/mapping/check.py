"""The checks of a mapping document (format 1, ``docs/MAPPING.md``): YAML values -> :class:`~.spec.MappingSpec`.

Every fault is an ERROR ``mapping.<rule>`` naming the mapping file and the line of the offending key or value,
with the closest allowed name offered for an unknown key, table, column, code, source or value map. Rules:
``mapping.version``, ``mapping.unknown_key``, ``mapping.structure`` (a value of the wrong kind),
``mapping.unknown_table``, ``mapping.unknown_column``, ``mapping.unknown_source``, ``mapping.unknown_values``,
``mapping.code`` (not a choice of the schema column), ``mapping.todo`` (a decision ``map draft`` left open),
``mapping.source_unused``, ``mapping.regex``, ``mapping.date_format``, ``mapping.conflict``.
"""
from __future__ import annotations

import difflib

from ..cohort.findings import ERROR, Findings, quote
from ..cohort.schema import BY_NAME
from .parsers import check_date_format, norm_value, regex_problem
from .spec import BlockSpec, IdSpec, MappingSpec, NumberSpec, SourceSpec, ValueMap

TOP_KEYS = ("mabseq_mapping", "ids", "dates", "gap_unit", "documentation", "sources", "values", "tables")
ID_KEYS = ("strip", "case", "remove")
SOURCE_KEYS = ("sheet", "file", "header_row", "skip_rows", "ignore_columns", "layout", "key_column", "value_column",
               "delimiter", "decimal", "encoding")
BLOCK_KEYS = ("from", "join", "unpivot", "where", "collapse", "constants", "columns")
JOIN_KEYS = ("source", "on", "how")
COLUMN_KEYS = ("column", "source", "value", "values", "number", "date", "id", "generate", "within", "order_by",
               "format")
NUMBER_KEYS = ("unit", "below", "above", "approx", "negative", "missing", "leading", "decimal")
FILTER_OPS = ("equals", "not_equals", "in", "not_in", "matches", "empty")
COLLAPSE_KEYS = ("within", "same", "order_by", "gap_days", "start", "end", "cycles")
ENCODINGS = ("utf-8", "latin-1", "cp1252", "utf-16")
MAX_VALUE_KEYS = 10_000   # far above any real map (a drug vocabulary is a few hundred), and bounds the SQL
RULES = {"below": ("limit", "half", "zero", "missing"), "above": ("limit", "missing"), "approx": ("value", "missing")}


def closest(name, choices) -> str:
    near = difflib.get_close_matches(str(name).strip().lower(), [str(c).lower() for c in choices], n=1, cutoff=0.6)
    if not near:
        return ""
    orig = next(c for c in choices if str(c).lower() == near[0])
    return f" (did you mean {quote(orig)}?)"


def scalar(v) -> str | None:
    """A YAML scalar as text: YAML 1.2 numbers and booleans as the user wrote them."""
    if v is None:
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    return str(v)


def _is_map(v) -> bool:
    return isinstance(v, dict)


def _is_seq(v) -> bool:
    return isinstance(v, list)


class _Ctx:
    def __init__(self, source: str, findings: Findings):
        self.source, self.findings = source, findings

    def err(self, rule: str, message: str, line: int | None) -> None:
        self.findings.add(ERROR, rule, message, self.source, row=line)


def kline(node, key) -> int | None:
    try:
        return node.lc.key(key)[0] + 1
    except Exception:  # a plain dict, or a key ruamel holds no line for
        return getattr(getattr(node, "lc", None), "line", -1) + 1 or None


def vline(node, key) -> int | None:
    try:
        return node.lc.value(key)[0] + 1
    except Exception:
        return kline(node, key)


def iline(seq, i) -> int | None:
    try:
        return seq.lc.item(i)[0] + 1
    except Exception:
        return getattr(getattr(seq, "lc", None), "line", -1) + 1 or None


def find_todo(node, ctx: _Ctx, path: str = "") -> None:
    """Every key or value ``TODO`` (``map draft``'s open decisions), with its line."""
    if _is_map(node):
        for k, v in node.items():
            where = f"{path}.{k}" if path else str(k)
            if scalar(k) is not None and str(k).strip() == "TODO":
                ctx.err("mapping.todo", f"{where}: a decision is still open (TODO); replace it", kline(node, k))
            if isinstance(v, str) and v.strip().startswith("TODO"):
                ctx.err("mapping.todo", f"{where}: a decision is still open ({quote(v, 60)}); replace it with "
                        "the value to use", vline(node, k))
            elif _is_map(v) or _is_seq(v):
                find_todo(v, ctx, where)
    elif _is_seq(node):
        for i, v in enumerate(node):
            where = f"{path}[{i}]"
            if isinstance(v, str) and v.strip().startswith("TODO"):
                ctx.err("mapping.todo", f"{where}: a decision is still open ({quote(v, 60)}); replace it",
                        iline(node, i))
            elif _is_map(v) or _is_seq(v):
                find_todo(v, ctx, where)


def _keys(node, allowed, ctx: _Ctx, where: str) -> None:
    for k in node:
        if str(k) not in allowed:
            ctx.err("mapping.unknown_key", f"{where}: unknown key {quote(k)}{closest(k, allowed)}; allowed: "
                    f"{', '.join(allowed)}", kline(node, k))


def _text_list(v, ctx, where, line) -> tuple[str, ...] | None:
    if isinstance(v, (str, int, float)) and not isinstance(v, bool):
        return (scalar(v),)
    if _is_seq(v) and all(isinstance(x, (str, int, float)) and not isinstance(x, bool) for x in v):
        return tuple(scalar(x) for x in v)
    ctx.err("mapping.structure", f"{where}: expected text or a list of text", line)
    return None


def _text(v, ctx, where, line, allow_number=True) -> str | None:
    if isinstance(v, str) or (allow_number and isinstance(v, (int, float)) and not isinstance(v, bool)):
        return scalar(v)
    ctx.err("mapping.structure", f"{where}: expected text, not {type(v).__name__}", line)
    return None


def _choice(v, choices, ctx, where, line) -> str | None:
    s = scalar(v)
    if s not in choices:
        ctx.err("mapping.structure", f"{where}: {quote(s)} is not one of {', '.join(choices)}{closest(s, choices)}",
                line)
        return None
    return s


def check_document(doc, source: str, findings: Findings) -> MappingSpec | None:
    ctx = _Ctx(source, findings)
    if not _is_map(doc):
        ctx.err("mapping.structure", "the mapping file must be a YAML mapping starting with 'mabseq_mapping: 1'", 1)
        return None
    find_todo(doc, ctx)
    _keys(doc, TOP_KEYS, ctx, "top level")
    if "mabseq_mapping" not in doc:
        ctx.err("mapping.version", "the key 'mabseq_mapping: 1' (the format version) is missing", 1)
    elif scalar(doc["mabseq_mapping"]) != "1":
        ctx.err("mapping.version", f"format {quote(doc['mabseq_mapping'])} is not known; this mabseq reads format 1",
                vline(doc, "mabseq_mapping"))
    ids = _ids(doc.get("ids"), ctx, vline(doc, "ids"))
    dates = ()
    if "dates" in doc:
        dates = _text_list(doc["dates"], ctx, "dates", vline(doc, "dates")) or ()
        for f in dates:
            problem = check_date_format(f)
            if problem:
                ctx.err("mapping.date_format", f"dates: {quote(f)}: {problem}", vline(doc, "dates"))
    if "gap_unit" in doc and scalar(doc["gap_unit"]) != "days":
        ctx.err("mapping.structure", "gap_unit: only 'days' is known", vline(doc, "gap_unit"))
    sources = _sources(doc.get("sources"), ctx, kline(doc, "sources") if "sources" in doc else 1)
    documentation: tuple[str, ...] = ()
    if "documentation" in doc:  # sheets/files of DATA that document it (a code book): not data, not warned
        documentation = _text_list(doc["documentation"], ctx, "documentation", vline(doc, "documentation")) or ()
        named = {" ".join(str(s.target).split()).casefold() for s in sources.values()}
        for d in documentation:
            if " ".join(d.split()).casefold() in named:
                ctx.err("mapping.conflict", f"documentation: {quote(d)} is also a source; a sheet or file is data "
                        "or documentation, not both", vline(doc, "documentation"))
    values = {}
    vals = doc.get("values")
    if vals is not None:
        if not _is_map(vals):
            ctx.err("mapping.structure", "values: expected named value maps (name: {source value: code})",
                    vline(doc, "values"))
        else:
            for name, vm in vals.items():
                got = _value_map(vm, ctx, f"values.{name}", vline(vals, name), None, str(name))
                if got is not None:
                    values[str(name)] = got
    blocks: list[BlockSpec] = []
    tables = doc.get("tables")
    if tables is None or not _is_map(tables) or not tables:
        ctx.err("mapping.structure", "tables: expected the schema tables, each with a block (from, columns) or a "
                "list of blocks", kline(doc, "tables") if "tables" in doc else 1)
    else:
        for tname, body in tables.items():
            line = kline(tables, tname)
            if str(tname) not in BY_NAME:
                ctx.err("mapping.unknown_table", f"tables: {quote(tname)} is not a table of the schema"
                        f"{closest(tname, list(BY_NAME))}", line)
                continue
            items = body if _is_seq(body) else [body]
            for i, b in enumerate(items):
                bl = iline(body, i) if _is_seq(body) else vline(tables, tname)
                got = _block(b, str(tname), i, ctx, bl, sources, values, dates)
                if got is not None:
                    blocks.append(got)
    used = {b.from_ for b in blocks} | {j.source for b in blocks for j in b.join}
    for name, s in sources.items():
        if name not in used:
            ctx.err("mapping.source_unused", f"sources.{name}: no table uses this source (remove it: a sheet no "
                    "source names is listed as not used)", s.line)
    return MappingSpec(source, ids, tuple(dates), sources, values, blocks, documentation)


def _ids(node, ctx, line) -> IdSpec:
    spec = IdSpec()
    if node is None:
        return spec
    if not _is_map(node):
        ctx.err("mapping.structure", "ids: expected a mapping (strip, case, remove)", line)
        return spec
    _keys(node, ID_KEYS, ctx, "ids")
    if "strip" in node:
        if not isinstance(node["strip"], bool):
            ctx.err("mapping.structure", "ids.strip: expected true or false", vline(node, "strip"))
        else:
            spec.strip = node["strip"]
    if "case" in node:
        spec.case = _choice(node["case"], ("upper", "lower", "keep"), ctx, "ids.case", vline(node, "case")) or "upper"
    if "remove" in node:
        spec.remove = _text_list(node["remove"], ctx, "ids.remove", vline(node, "remove")) or ()
    return spec


def _sources(node, ctx, line) -> dict[str, SourceSpec]:
    out: dict[str, SourceSpec] = {}
    if not _is_map(node) or not node:
        ctx.err("mapping.structure", "sources: expected the center's sheets or files, each with a short name "
                "(name: {sheet: ...} or {file: ...})", line)
        return out
    for name, body in node.items():
        where, line = f"sources.{name}", kline(node, name)
        if not _is_map(body):
            ctx.err("mapping.structure", f"{where}: expected a mapping with 'sheet' or 'file'", line)
            continue
        _keys(body, SOURCE_KEYS, ctx, where)
        s = SourceSpec(str(name), line=line)
        if ("sheet" in body) == ("file" in body):
            ctx.err("mapping.structure", f"{where}: give exactly one of 'sheet' and 'file'", line)
        if "sheet" in body:
            s.sheet = _text(body["sheet"], ctx, f"{where}.sheet", vline(body, "sheet"))
        if "file" in body:
            s.file = _text(body["file"], ctx, f"{where}.file", vline(body, "file"))
        if "header_row" in body:
            v = body["header_row"]
            if not isinstance(v, int) or isinstance(v, bool) or v < 1:
                ctx.err("mapping.structure", f"{where}.header_row: expected a row number (1, 2, ...)",
                        vline(body, "header_row"))
            else:
                s.header_row = int(v)
        if "skip_rows" in body:
            v = body["skip_rows"]
            v = [v] if isinstance(v, int) else v
            if not _is_seq(v) or not all(isinstance(x, int) and not isinstance(x, bool) and x >= 1 for x in v):
                ctx.err("mapping.structure", f"{where}.skip_rows: expected a list of row numbers",
                        vline(body, "skip_rows"))
            else:
                s.skip_rows = tuple(int(x) for x in v)
        if "ignore_columns" in body:
            s.ignore_columns = _text_list(body["ignore_columns"], ctx, f"{where}.ignore_columns",
                                          vline(body, "ignore_columns")) or ()
        if "layout" in body:
            s.layout = _choice(body["layout"], ("table", "key_value"), ctx, f"{where}.layout",
                               vline(body, "layout")) or "table"
        for k in ("key_column", "value_column"):
            if k in body:
                setattr(s, k, _text(body[k], ctx, f"{where}.{k}", vline(body, k)))
        if "delimiter" in body:
            d = _text(body["delimiter"], ctx, f"{where}.delimiter", vline(body, "delimiter"))
            if d is not None and (len(d) != 1 or d in "\"\r\n"):
                ctx.err("mapping.structure", f"{where}.delimiter: expected one character such as , ; | or a tab",
                        vline(body, "delimiter"))
            else:
                s.delimiter = d
        if "decimal" in body:
            s.decimal = _choice(body["decimal"], (".", ","), ctx, f"{where}.decimal", vline(body, "decimal")) or "."
        if "encoding" in body:
            s.encoding = _choice(str(body["encoding"]).lower(), ENCODINGS, ctx, f"{where}.encoding",
                                 vline(body, "encoding"))
        out[str(name)] = s
    return out


def _code_ok(code: str, table: str | None, column: str | None, ctx, where, line) -> bool:
    if table is None or column is None:
        return True
    col = BY_NAME[table][column]
    if col.type == "category":
        if code not in col.codes:
            label = next((c for c, lab in col.choices if lab.lower() == code.lower() or c.lower() == code.lower()),
                         None)
            hint = f" (write its code {quote(label)})" if label else closest(code, col.codes)
            ctx.err("mapping.code", f"{where}: {quote(code)} is not a code of {table}.{column}{hint}; codes: "
                    f"{', '.join(col.codes)}", line)
            return False
    elif col.type in ("integer", "number"):
        try:
            float(code)
        except ValueError:
            ctx.err("mapping.code", f"{where}: {quote(code)} is not a number ({table}.{column} is a number column)",
                    line)
            return False
    return True


def _value_map(node, ctx, where, line, target: tuple[str, str] | None, name: str = "") -> ValueMap | None:
    if not _is_map(node):
        ctx.err("mapping.structure", f"{where}: expected a value map (source value: code)", line)
        return None
    if len(node) > MAX_VALUE_KEYS:
        ctx.err("mapping.too_large", f"{where}: {len(node):,} keys; a value map may hold at most {MAX_VALUE_KEYS:,} "
                "(use 're:' keys for families of values)", line)
        return None
    vm = ValueMap(name, line=line)
    table, column = target if target else (None, None)
    seen: dict[str, int | None] = {}
    for k, v in node.items():
        kl = kline(node, k)
        key = scalar(k) if k is not None else ""
        code = scalar(v)
        if code is None or _is_map(v) or _is_seq(v):
            ctx.err("mapping.structure", f"{where}: {quote(key)} needs one code as its value", kl)
            continue
        if key.strip() == "TODO" or code.strip().startswith("TODO"):
            continue  # reported by find_todo
        if target and not _code_ok(code, table, column, ctx, f"{where}: {quote(key)}", vline(node, k)):
            continue
        if key == "":
            vm.empty = code
        elif key == "*":
            vm.other = code
        elif key.startswith("re:"):
            pat = key[3:]
            problem = regex_problem(pat)
            if problem:
                ctx.err("mapping.regex", f"{where}: {quote(key)} is not a regular expression DuckDB can run "
                        f"({problem})", kl)
                continue
            vm.regex.append((pat, code))
        else:
            n = norm_value(key)
            if n in seen and vm.exact.get(n) != code:
                ctx.err("mapping.duplicate", f"{where}: {quote(key)} and another key are the same value (case and "
                        f"spaces are ignored) with different codes (line {seen[n]})", kl)
                continue
            seen[n] = kl
            vm.exact[n] = code
    return vm


def _number(node, ctx, where, line, table, column) -> NumberSpec | None:
    if node is True or node is None:
        return NumberSpec()
    if not _is_map(node):
        ctx.err("mapping.structure", f"{where}: expected a number parser (unit, below, above, ...)", line)
        return None
    _keys(node, NUMBER_KEYS, ctx, where)
    n = NumberSpec()
    unit = BY_NAME[table][column].unit
    if "unit" in node:
        n.unit = _choice(node["unit"], ("percent", "fraction"), ctx, f"{where}.unit", vline(node, "unit"))
        if n.unit and unit not in ("%", "fraction"):
            ctx.err("mapping.structure", f"{where}.unit: {table}.{column} is not a percent or fraction column "
                    f"(its unit is {unit or 'none'})", vline(node, "unit"))
    for k, allowed in RULES.items():
        if k in node:
            setattr(n, k, _choice(node[k], allowed, ctx, f"{where}.{k}", vline(node, k)))
    for k in ("negative", "missing"):
        if k in node:
            setattr(n, k, tuple(norm_value(x) for x in (_text_list(node[k], ctx, f"{where}.{k}", vline(node, k))
                                                        or ())))
    if "leading" in node:
        if not isinstance(node["leading"], bool):
            ctx.err("mapping.structure", f"{where}.leading: expected true or false", vline(node, "leading"))
        else:
            n.leading = node["leading"]
    if "decimal" in node:
        n.decimal = _choice(node["decimal"], (".", ","), ctx, f"{where}.decimal", vline(node, "decimal"))
    return n


from .check_block import _block  # noqa: E402  (the block checks use the helpers above)

__all__ = ["check_document", "closest", "scalar", "kline", "vline", "iline"]
