"""The cell parsers of a mapping as DuckDB SQL expressions: value maps, numbers, dates, ids.

Each builder takes the SQL expression of a raw text cell and returns SQL text (deterministic: same spec, same
bytes). Rules (``docs/MAPPING.md``):

- **normalised text** ``norm(x)``: runs of white space (tab, newline, vertical tab, form feed, CR, space, no-break
  space) become one space, surrounding spaces go, lower case. Value-map keys, filter values and number words are
  compared this way.
- **number**: on ``norm(x)`` (a decimal comma first turned into a point when the source or column says
  ``decimal: ","``): empty -> missing; a ``missing`` word -> missing; a ``negative`` word -> 0; else, with one
  ``%`` at the end removed, the whole cell must be ``[qualifier] number [/ number]``: qualifier ``<`` ``<=`` ``≤`` (below),
  ``>`` ``>=`` ``≥`` (above), ``~`` ``approx`` ``approx.`` ``approximately`` ``ca.`` ``about`` ``circa``
  (approx); number ``[+-]digits[.digits]`` or ``.digits``, with an optional exponent ``e-05`` (Excel numbers
  arrive as their shortest text: 0.00001 as ``1e-05``). ``a/b`` is the proportion a/b (b = 0 is an error). The
  cell's unit is percent when it has a ``%``, a fraction when it is ``a/b``, else the column's ``unit`` (default:
  the schema's); it is converted to the schema's unit (percent -> fraction: /100; fraction -> percent: *100) on a
  ``%`` or ``fraction`` column; a ``%`` or ``a/b`` on a column of any other unit is an error. Then the
  qualifier's rule: below ``limit`` (x), ``half`` (x/2), ``zero`` (0), ``missing``; above ``limit``/``missing``;
  approx ``value``/``missing``; a qualifier without a rule is an error. Failing all that, with ``leading: true``,
  the number at the start of the cell (no unit sign read). Anything else: an error (rule ``!parse``).
- **date**: on the trimmed cell with spaces collapsed, each format in order (the column's, else the mapping's
  ``dates``), then ISO ``%Y-%m-%d``; a format may use ``%d %m`` (1 or 2 digits), ``%Y`` (4 digits), ``%y``
  (2 digits; 69-99 -> 19xx, 00-68 -> 20xx), ``%b`` (Jan ... Dec), ``%B`` (January ...; month names in any case)
  and ``%%``; the whole cell must match and the date must exist.
- **id**: spaces trimmed and collapsed (``strip``), upper/lower case, ``remove`` characters deleted.

:mod:`.reference` implements the number and date rules again in plain Python, written separately, for the
property tests. Why by hand: these are this format's own rules; DuckDB's ``try_strptime`` and RE2 do the work.
"""
from __future__ import annotations

import re

from .macros import INLINE, Macros
from .spec import IdSpec, NumberSpec, ValueMap

WS_CLASS = "[\\t\\n\\v\\f\\r \\x{00A0}]+"          # RE2 spelling
_WS_PY = re.compile("[\t\n\v\f\r \u00a0]+")
ISO = "%Y-%m-%d"
DIRECTIVES = {"d": "[0-9]{1,2}", "m": "[0-9]{1,2}", "Y": "[0-9]{4}", "y": "[0-9]{2}", "b": "[A-Za-z]{3}",
              "B": "[A-Za-z]+", "%": "%"}
QUALIFIERS = {"<": "below", "<=": "below", "≤": "below", ">": "above", ">=": "above", "≥": "above",
              "~": "approx", "approx": "approx", "approx.": "approx", "approximately": "approx", "ca.": "approx",
              "about": "approx", "circa": "approx"}
_Q = "<=|>=|<|>|≤|≥|~|approximately|approx\\.|approx|ca\\.|about|circa"
_NUM = "[+-]?(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:e[+-]?[0-9]+)?"
_UNS = "(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)"
NUMBER_RE = f"^(?:({_Q}) ?)?({_NUM})(?: ?/ ?({_UNS}))?$"
LEADING_RE = "^([+-]?[0-9]+(?:\\.[0-9]+)?)"


def norm_value(s) -> str:
    """The normalised text of a value (see the module docstring)."""
    return _WS_PY.sub(" ", str(s)).strip(" ").lower()


def lit(s) -> str:
    """A SQL string literal."""
    return "'" + str(s).replace("'", "''") + "'"


def ident(s) -> str:
    """A SQL identifier."""
    return '"' + str(s).replace('"', '""') + '"'


def squash_sql(x: str, sq: Macros = INLINE) -> str:
    """Spaces collapsed and trimmed, case kept (macro ``mabseq_text``)."""
    return sq.call("mabseq_text", ("x",), lambda x: f"trim(regexp_replace(coalesce({x}, ''), {lit(WS_CLASS)}, ' ', 'g'))",
                   (x,), "the cell's text: runs of white space (tab, newline, no-break space ...) -> one space, trimmed")


def norm_sql(x: str, sq: Macros = INLINE) -> str:
    """The normalised text (macro ``mabseq_key``): :func:`squash_sql` in lower case."""
    return sq.call("mabseq_key", ("x",), lambda x: f"lower({squash_sql(x, sq)})", (x,),
                   "the match key of a cell: its text in lower case (value maps, filters, number words)")


_RE2 = []


def regex_problem(pattern: str) -> str | None:
    """Why DuckDB's RE2 cannot run ``pattern`` (look-arounds, back-references, bad syntax), or None."""
    import duckdb
    if not _RE2:
        _RE2.append(duckdb.connect(":memory:"))
    try:
        _RE2[0].execute("SELECT regexp_matches('', ?, 'i')", [pattern]).fetchall()
    except duckdb.Error as exc:
        return str(exc).split(":", 1)[-1].strip()[:200]
    return None


def check_date_format(fmt: str) -> str | None:
    """Why ``fmt`` cannot be used, or None."""
    i = 0
    seen = set()
    while i < len(fmt):
        if fmt[i] == "%":
            if i + 1 >= len(fmt) or fmt[i + 1] not in DIRECTIVES:
                d = fmt[i:i + 2]
                return f"{d!r} is not a known directive (use %d %m %Y %y %b %B)"
            seen.add(fmt[i + 1])
            i += 2
        else:
            i += 1
    if not ({"Y", "y"} & seen and {"m", "b", "B"} & seen and "d" in seen):
        return "a date format needs a day (%d), a month (%m, %b or %B) and a year (%Y or %y)"
    return None


_RX_SPECIAL = set("\\.^$*+?()[]{}|")   # the characters a regex reads as syntax (RE2 and Python alike)


def format_regex(fmt: str) -> str:
    """The whole-cell pattern a format accepts (both RE2 and Python read it)."""
    out, i = [], 0
    while i < len(fmt):
        if fmt[i] == "%":
            out.append(DIRECTIVES[fmt[i + 1]])
            i += 2
        else:
            out.append("\\" + fmt[i] if fmt[i] in _RX_SPECIAL else fmt[i])
            i += 1
    return "^" + "".join(out) + "$"


def date_formats(column: tuple[str, ...] | None, default: tuple[str, ...]) -> tuple[str, ...]:
    fmts = tuple(column) if column else tuple(default)
    return fmts + (() if ISO in fmts else (ISO,))


def date_sql(x: str, formats: tuple[str, ...], sq: Macros = INLINE) -> str:
    """DATE of the cell, or NULL (empty or unreadable; tell them apart with the text): the first format that reads
    the whole cell (macro per format list, ``mabseq_dates``; one format: ``mabseq_date_as``)."""
    def one(t, fmt, pattern):
        return f"CASE WHEN regexp_full_match({t}, {pattern}) THEN CAST(try_strptime({t}, {fmt}) AS DATE) END"

    def chain(x):
        t = squash_sql(x, sq)
        parts = [sq.call("mabseq_date_as", ("t", "fmt", "pattern"), one, (t, lit(f), lit(format_regex(f))),
                         "the DATE of text t when the whole of t has the format (pattern: the format as a regex)")
                 for f in formats]
        return "coalesce(\n" + ",\n".join("    " + p for p in parts) + "\n)"
    return sq.call("mabseq_dates", ("x",), chain, (x,), "a date cell read with the formats " + ", then ".join(formats))


def date_text_sql(x: str, formats: tuple[str, ...], sq: Macros = INLINE) -> tuple[str, str]:
    """(ISO text of the date, rule) for a date column."""
    return date_value_rule(x, date_sql(x, formats, sq), sq)


def date_value_rule(x: str, d: str, sq: Macros = INLINE) -> tuple[str, str]:
    """(ISO text, rule) of a date column whose cell ``x`` was read as the DATE ``d``."""
    value = f"strftime({d}, '%Y-%m-%d')"
    rule = sq.call("mabseq_date_rule", ("x", "d"), lambda x, d: f"CASE WHEN {squash_sql(x, sq)} = '' THEN NULL "
                   f"WHEN ({d}) IS NULL THEN '!parse' ELSE 'date' END", (x, d),
                   "the rule of a date cell x read as d: empty (NULL), unreadable ('!parse') or 'date'")
    return value, rule


def id_sql(x: str, ids: IdSpec, sq: Macros = INLINE) -> str:
    def body(x):
        e = squash_sql(x, sq) if ids.strip else f"coalesce({x}, '')"
        if ids.case == "upper":
            e = f"upper({e})"
        elif ids.case == "lower":
            e = f"lower({e})"
        for ch in ids.remove:
            e = f"replace({e}, {lit(ch)}, '')"
        return f"nullif({e}, '')"
    what = ", ".join(w for w in ("spaces collapsed" if ids.strip else "", f"case {ids.case}",
                                 ("without " + " ".join(repr(c) for c in ids.remove)) if ids.remove else "") if w)
    return sq.call("mabseq_id", ("x",), body, (x,), f"a patient id as the mapping's ids say ({what}); empty -> NULL")


def text_sql(x: str, sq: Macros = INLINE) -> str:
    """A text cell as it is, empty (or only spaces) -> NULL."""
    return sq.call("mabseq_cell", ("x",), lambda x: f"CASE WHEN trim(coalesce({x}, '')) = '' THEN NULL ELSE {x} END",
                   (x,), "a text cell as it is; empty (or only spaces) -> NULL")


LOOKUP_MIN = 32   # a value map with more exact keys is a lookup table joined on the value (a hash join)


def _safe(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")[:40] or "map"


def value_map_lookup(x: str, vm: ValueMap, tag: str, sq: Macros = INLINE, base: str = "", key: str | None = None
                     ) -> tuple[str, str] | None:
    """(JOIN clause, code column) for a large value map, or None (small maps are CASE expressions). With macros the
    map's keys are one lookup table ``"map:<name>"`` defined once; the clause joins it."""
    if len(vm.exact) <= LOOKUP_MIN:
        return None
    k, code = ident(f"#vm-key:{tag}"), ident(f"#vm-code:{tag}")
    if sq.inline:
        rows = ", ".join(f"({lit(k)}, {lit(v)})" for k, v in vm.exact.items())
        table = f"(VALUES {rows}) AS {ident('vm:' + tag)}({k}, {code})"
    else:
        def create(name):
            rows = ",\n".join(f"    ({lit(a)}, {lit(b)})" for a, b in vm.exact.items())
            return f"CREATE OR REPLACE TEMP TABLE {ident(name)}(key, code) AS VALUES\n{rows}"
        name = sq.table("map:" + (base or _safe(vm.name or tag)), create,
                        f"value map {vm.name or base or tag}: its {len(vm.exact)} exact keys (match keys) -> codes",
                        key=tuple(vm.exact.items()))
        table = f"(SELECT key AS {k}, code AS {code} FROM {ident(name)}) AS {ident('vm:' + tag)}"
    return f"LEFT JOIN {table} ON {k} = {key or norm_sql(x, sq)}", code


def value_map_sql(x: str, vm: ValueMap, matched_rule: str | None = None, lookup: str | None = None,
                  sq: Macros = INLINE, base: str = "map", label: str = "", key: str | None = None
                  ) -> tuple[str, str]:
    """(code, rule) of a value map; the rule is '!unmapped' for a non-empty value no key covers (``matched_rule``:
    the rule text of a covered value, instead of 'value map "<value>" -> <code>'). ``lookup``: the code column of
    the map's joined lookup table (:func:`value_map_lookup`) instead of a CASE over the exact keys; ``key``: the
    cell's match key computed in a step before (default: computed here). With macros:
    ``mabseq_map_<base>`` (code) and ``..._rule``, over ``..._exact(k)`` (exact keys) and ``..._re(x)`` (the
    number of the first regular expression that matches)."""
    name = "mabseq_" + base
    what = label or (f"value map {vm.name}" if vm.name else f"value map of {base}")
    dedup = (tuple(vm.exact.items()) if lookup is None else "lookup:" + base, tuple(vm.regex), vm.empty, vm.other,
             matched_rule)

    def exact(k):
        if lookup is not None:
            return lookup
        if not vm.exact:
            return "NULL"
        whens = "\n".join(f"    WHEN {lit(a)} THEN {lit(b)}" for a, b in vm.exact.items())
        body = lambda k: f"CASE {k}\n{whens}\nEND"  # noqa: E731
        return sq.call(name + "_exact", ("k",), body, (k,), f"{what}: the code of an exact key (NULL: none)")

    def regex(x):
        whens = "\n".join(f"    WHEN regexp_matches({squash_sql(x, sq)}, {lit(p)}, 'i') THEN {i}"
                          for i, (p, _) in enumerate(vm.regex, 1))
        return f"CASE\n{whens}\nEND"

    params = ("x", "k") if lookup is None else ("x", "k", "found")

    def value(x, k, found=None):
        ex = exact(k) if lookup is None else found
        parts = ([ex] if lookup is not None or vm.exact else [])
        if vm.regex:
            r = sq.call(name + "_re", ("x",), regex, (x,), f"{what}: which regular expression (1, 2 ...) matches")
            parts.append("[" + ", ".join(lit(c) for _, c in vm.regex) + f"][{r}]")
        if vm.other is not None or not parts:
            parts.append(lit(vm.other) if vm.other is not None else "NULL")
        empty = lit(vm.empty) if vm.empty is not None else "NULL"
        return (f"CASE WHEN {k} = '' THEN {empty}\n    ELSE " +
                (f"coalesce({', '.join(parts)})" if len(parts) > 1 else parts[0]) + " END")

    def rule(x, k, found=None):
        ex = exact(k) if lookup is None else found
        empty = lit(f'value map "" -> {vm.empty}') if vm.empty is not None else "NULL"
        lines = [f"WHEN {k} = '' THEN {empty}"]
        if lookup is not None or vm.exact:
            lines.append(f"WHEN {ex} IS NOT NULL THEN" + (" " + lit(matched_rule) if matched_rule else
                         f"\n        'value map \"' || {squash_sql(x, sq)} || '\" -> ' || {ex}"))
        if vm.regex:
            r = sq.call(name + "_re", ("x",), regex, (x,), f"{what}: which regular expression (1, 2 ...) matches")
            lines.append(f"WHEN {r} IS NOT NULL THEN\n        [" + ",\n         ".join(
                lit(f"value map re:{p} -> {c}") for p, c in vm.regex) + f"][{r}]")
        other = lit(f"value map * -> {vm.other}") if vm.other is not None else "'!unmapped'"
        return "CASE\n" + "\n".join("    " + ln for ln in lines) + f"\n    ELSE {other}\nEND"

    k = key or norm_sql(x, sq)
    args = (x, k) if lookup is None else (x, k, lookup)
    if sq.inline:
        return "(" + value(*args) + ")", "(" + rule(*args) + ")"
    n = sq.define(name, params, value(*params), f"{what}: the code of cell x (match key k)" + (
        " (found: its exact key's code from the lookup table)" if lookup is not None else ""), key=("v",) + dedup)
    r = sq.define(n + "_rule", params, rule(*params), f"{what}: the rule of cell x (provenance; '!unmapped': no key "
                  "covers it)", key=("r",) + dedup)
    return f"{n}({', '.join(args)})", f"{r}({', '.join(args)})"


def _unit_of(schema_unit: str) -> str | None:
    return {"%": "percent", "fraction": "fraction"}.get(schema_unit)


def _when_lines(whens: list[str], tail: str = "") -> str:
    return "CASE\n" + "\n".join("    " + w for w in whens) + (f"\n    {tail}" if tail else "") + "\nEND"


def _in_list(words) -> str:
    """``('a', 'b', ...)`` wrapped so that no line is longer than about 100 characters."""
    out, line = [], ""
    for w in (lit(w) for w in words):
        if line and len(line) + len(w) > 90:
            out.append(line)
            line = ""
        line += (", " if line else "") + w
    out.append(line)
    return "(" + ",\n        ".join(out) + ")"


def _split_lit(s: str, width: int = 70) -> str:
    """A long string literal as a concatenation of pieces (DuckDB folds it to one constant), one piece a line."""
    if len(s) <= width:
        return lit(s)
    return "\n    || ".join(lit(s[i:i + width]) for i in range(0, len(s), width))


def number_text_sql(x: str, dec: str, sq: Macros = INLINE) -> str:
    """The text the number parser reads: the match key, a decimal comma as a point."""
    t = norm_sql(x, sq)
    return f"replace({t}, ',', '.')" if dec == "," else t


def number_parts_sql(t: str, sq: Macros = INLINE) -> str:
    """STRUCT(q, a, b): the qualifier, the number and the divisor of ``a/b`` ('' when absent; a = '' : not a number)."""
    return sq.call("mabseq_number_parts", ("t",), lambda t: (
        f"regexp_extract(trim(CASE WHEN suffix({t}, '%') THEN left({t}, length({t}) - 1) ELSE {t} END),\n"
        f"    {_split_lit(NUMBER_RE)},\n    ['q', 'a', 'b'])"), (t,),
        "a number cell's parts: q the qualifier (< > ~ approx ...), a the number, b the divisor of a/b\n"
        "('' when absent; a = '': the cell is not [qualifier] number [/ number] [%])")


def number_sql(x: str, spec: NumberSpec, schema_unit: str, source_decimal: str, tag: str, sq: Macros = INLINE
               ) -> tuple[list[tuple[str, str]], str, str]:
    """(prep columns, value, rule) of the number parser. ``prep`` are (name, expression) pairs computed in a step
    before (so that the normalised text and the regex match are computed once); ``tag`` makes their names unique.
    With macros: ``mabseq_number(t, m)`` and ``..._rule`` per distinct parser (t: the text, m: its parts)."""
    dec = spec.decimal or source_decimal
    tn, mn = f"#t:{tag}", f"#m:{tag}"
    prep = [(tn, number_text_sql(x, dec, sq)), (mn, number_parts_sql(ident(tn), sq))]
    target = _unit_of(schema_unit)
    declared = spec.unit or target

    def conv(src: str | None) -> str:
        if target == "fraction" and src == "percent":
            return " / 100.0"
        if target == "percent" and src == "fraction":
            return " * 100.0"
        return ""

    def ratio(M):
        return sq.call("mabseq_number_ratio", ("m",), lambda m: (
            f"TRY_CAST(({m}).a AS DOUBLE) / CASE WHEN ({m}).b <> '' THEN TRY_CAST(({m}).b AS DOUBLE) ELSE 1.0 END"),
            (M,), "the number of parts m: a, or a/b")

    def scaled(T, M):
        base = ratio(M)
        if target is None:
            return base
        return (f"CASE WHEN suffix({T}, '%') THEN {base}{conv('percent')}\n    WHEN ({M}).b <> '' THEN "
                f"{base}{conv('fraction')}\n    ELSE {base}{conv(declared)} END")

    def bad(T, M):
        zero_div = f"(({M}).b <> '' AND TRY_CAST(({M}).b AS DOUBLE) = 0)"
        return zero_div if target is not None else f"(suffix({T}, '%') OR ({M}).b <> '' OR {zero_div})"

    def qual(M):
        return sq.call("mabseq_number_qualifier", ("m",), lambda m: (
            f"CASE WHEN ({m}).q IN ('<', '<=', '≤') THEN 'below'\n    WHEN ({m}).q IN ('>', '>=', '≥') THEN 'above'\n"
            f"    WHEN ({m}).q IN ('~', 'approximately', 'approx.', 'approx', 'ca.', 'about', 'circa') THEN 'approx'"
            " END"), (M,), "the kind of a number's qualifier: below, above, approx (NULL: none)")

    unit_note = (f"unit {declared or 'as written'} -> {schema_unit}" if target else
                 f"read as written ({schema_unit or 'a plain number'})")
    s_call = lambda T, M: sq.call(f"mabseq_number_to_{target or 'plain'}", ("t", "m"), scaled, (T, M),  # noqa: E731
                                  f"a number cell (text t, parts m) in the column's unit: {unit_note}")
    b_call = lambda T, M: sq.call("mabseq_number_unreadable", ("t", "m"), bad, (T, M),  # noqa: E731
                                  "a number cell that cannot be read: a/0" + (
                                      "" if target is not None else ", or a % or a/b on a column of no such unit"))

    def cases(T, M, rule: bool) -> str:
        full = f"({M}).a <> ''"
        q = qual(M)
        S, B = s_call(T, M), b_call(T, M)
        rule_v = {"limit": S, "value": S, "half": f"({S}) / 2.0", "zero": "0.0", "missing": "NULL"}
        w = [f"WHEN {T} = '' THEN NULL"]
        if spec.missing:
            w.append(f"WHEN {T} IN {_in_list(spec.missing)} THEN " + ("'number missing word'" if rule else "NULL"))
        if spec.negative:
            w.append(f"WHEN {T} IN {_in_list(spec.negative)} THEN " + ("'number negative word'" if rule else "0.0"))
        for kind in ("below", "above", "approx"):
            r = getattr(spec, kind)
            if r is None:
                w.append(f"WHEN {full} AND {q} = '{kind}' THEN " + ("'!parse'" if rule else "NULL"))
            else:
                w.append(f"WHEN {full} AND {q} = '{kind}' AND NOT {B} THEN " +
                         (lit(f"number {kind}:{r}") if rule else rule_v[r]))
        w.append(f"WHEN {full} AND NOT {B} THEN " + (
            f"'number'\n        || CASE WHEN suffix({T}, '%') THEN ' %' ELSE '' END\n        || CASE WHEN ({M}).b "
            "<> '' THEN ' a/b' ELSE '' END" if rule else S))
        if spec.leading:
            lead = f"regexp_extract({T}, {lit(LEADING_RE)}, 1)"
            w.append(f"WHEN NOT ({full}) AND {lead} <> ''\n        THEN " + (
                "'number leading'" if rule else f"TRY_CAST({lead} AS DOUBLE){conv(declared)}"))
        return _when_lines(w, "ELSE '!parse'" if rule else "")

    T, M = ident(tn), ident(mn)
    if sq.inline:
        return prep, "(" + cases(T, M, False) + ")", "(" + cases(T, M, True) + ")"
    rules = ", ".join(f"{k}: {getattr(spec, k)}" for k in ("below", "above", "approx") if getattr(spec, k))
    note = (f"number parser ({unit_note}" + (f"; {rules}" if rules else "") +
            (f"; missing words {', '.join(spec.missing)}" if spec.missing else "") +
            (f"; negative words (0) {', '.join(spec.negative)}" if spec.negative else "") +
            ("; else the leading number" if spec.leading else "") + "): the value of text t with parts m")
    vbody, rbody = cases("t", "m", False), cases("t", "m", True)
    n = sq.define("mabseq_number", ("t", "m"), vbody, note, key=("nv", vbody, rbody))
    r = sq.define(n + "_rule", ("t", "m"), rbody, note.replace(": the value", ": the rule"), key=("nr", vbody, rbody))
    return prep, f"{n}({T}, {M})", f"{r}({T}, {M})"


__all__ = ["norm_value", "lit", "ident", "norm_sql", "squash_sql", "check_date_format", "format_regex",
           "date_formats", "date_sql", "date_text_sql", "date_value_rule", "id_sql", "text_sql", "value_map_sql", "value_map_lookup",
           "number_sql", "number_text_sql", "number_parts_sql",
           "NUMBER_RE", "QUALIFIERS", "ISO"]
