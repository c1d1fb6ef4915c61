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


def norm_sql(x: str) -> str:
    return f"lower(trim(regexp_replace(coalesce({x}, ''), {lit(WS_CLASS)}, ' ', 'g')))"


def squash_sql(x: str) -> str:
    """Spaces collapsed and trimmed, case kept."""
    return f"trim(regexp_replace(coalesce({x}, ''), {lit(WS_CLASS)}, ' ', 'g'))"


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


def format_regex(fmt: str) -> str:
    """The whole-cell pattern a format accepts (both RE2 and Python read it)."""
    out, i = [], 0
    while i < len(fmt):
        if fmt[i] == "%":
            out.append(DIRECTIVES[fmt[i + 1]])
            i += 2
        else:
            out.append(re.escape(fmt[i]) if not fmt[i].isalnum() else fmt[i])
            i += 1
    return "^" + "".join(out) + "$"


def date_formats(column: tuple[str, ...] | None, default: tuple[str, ...]) -> tuple[str, ...]:
    fmts = tuple(column) if column else tuple(default)
    return fmts + (() if ISO in fmts else (ISO,))


def date_sql(x: str, formats: tuple[str, ...]) -> str:
    """DATE of the cell, or NULL (empty or unreadable; tell them apart with the text)."""
    t = squash_sql(x)
    whens = []
    for f in formats:
        p = f"try_strptime({t}, {lit(f)})"
        whens.append(f"WHEN regexp_full_match({t}, {lit(format_regex(f))}) AND {p} IS NOT NULL THEN CAST({p} AS DATE)")
    return "CASE " + " ".join(whens) + " END"


def date_text_sql(x: str, formats: tuple[str, ...]) -> tuple[str, str]:
    """(ISO text of the date, rule) for a date column."""
    d = date_sql(x, formats)
    t = squash_sql(x)
    value = f"strftime({d}, '%Y-%m-%d')"
    rule = f"CASE WHEN {t} = '' THEN NULL WHEN ({d}) IS NULL THEN '!parse' ELSE 'date' END"
    return value, rule


def id_sql(x: str, ids: IdSpec) -> str:
    e = squash_sql(x) if ids.strip else f"coalesce({x}, '')"
    if ids.case == "upper":
        e = f"upper({e})"
    elif ids.case == "lower":
        e = f"lower({e})"
    for ch in ids.remove:
        e = f"replace({e}, {lit(ch)}, '')"
    return f"nullif({e}, '')"


def text_sql(x: str) -> str:
    """A text cell as it is, empty (or only spaces) -> NULL."""
    return f"CASE WHEN trim(coalesce({x}, '')) = '' THEN NULL ELSE {x} END"


LOOKUP_MIN = 32   # a value map with more exact keys is a lookup table joined on the value (a hash join)


def value_map_lookup(x: str, vm: ValueMap, tag: str) -> tuple[str, str] | None:
    """(JOIN clause, code column) for a large value map, or None (small maps are CASE expressions)."""
    if len(vm.exact) <= LOOKUP_MIN:
        return None
    rows = ", ".join(f"({lit(k)}, {lit(v)})" for k, v in vm.exact.items())
    k, code = ident(f"#vm-key:{tag}"), ident(f"#vm-code:{tag}")
    return (f"LEFT JOIN (VALUES {rows}) AS {ident('vm:' + tag)}({k}, {code}) ON {k} = {norm_sql(x)}", code)


def value_map_sql(x: str, vm: ValueMap, matched_rule: str | None = None, lookup: str | None = None
                  ) -> tuple[str, str]:
    """(code, rule) of a value map; the rule is '!unmapped' for a non-empty value no key covers (``matched_rule``:
    the rule text of a covered value, instead of 'value map "<value>" -> <code>'). ``lookup``: the code column of
    the map's joined lookup table (:func:`value_map_lookup`) instead of a CASE over the exact keys."""
    n = norm_sql(x)
    cases_v, cases_r = [], []
    empty_v = lit(vm.empty) if vm.empty is not None else "NULL"
    empty_r = lit(f'value map "" -> {vm.empty}') if vm.empty is not None else "NULL"
    cases_v.append(f"WHEN {n} = '' THEN {empty_v}")
    cases_r.append(f"WHEN {n} = '' THEN {empty_r}")
    if lookup is not None:
        cases_v.append(f"WHEN {lookup} IS NOT NULL THEN {lookup}")
        cases_r.append(f"WHEN {lookup} IS NOT NULL THEN " + (lit(matched_rule) if matched_rule else
                       f"'value map \"' || {squash_sql(x)} || '\" -> ' || {lookup}"))
    elif vm.exact:
        inner = " ".join(f"WHEN {lit(k)} THEN {lit(v)}" for k, v in vm.exact.items())
        keys = ", ".join(lit(k) for k in vm.exact)
        cases_v.append(f"WHEN {n} IN ({keys}) THEN CASE {n} {inner} END")
        cases_r.append(f"WHEN {n} IN ({keys}) THEN " + (lit(matched_rule) if matched_rule else
                       f"'value map \"' || {squash_sql(x)} || '\" -> ' || CASE {n} {inner} END"))
    for pat, code in vm.regex:
        cond = f"regexp_matches({squash_sql(x)}, {lit(pat)}, 'i')"
        cases_v.append(f"WHEN {cond} THEN {lit(code)}")
        cases_r.append(f"WHEN {cond} THEN {lit(f'value map re:{pat} -> {code}')}")
    other_v = lit(vm.other) if vm.other is not None else "NULL"
    other_r = lit(f"value map * -> {vm.other}") if vm.other is not None else "'!unmapped'"
    return ("CASE " + " ".join(cases_v) + f" ELSE {other_v} END",
            "CASE " + " ".join(cases_r) + f" ELSE {other_r} END")


def _unit_of(schema_unit: str) -> str | None:
    return {"%": "percent", "fraction": "fraction"}.get(schema_unit)


def number_sql(x: str, spec: NumberSpec, schema_unit: str, source_decimal: str, tag: str
               ) -> tuple[list[tuple[str, str]], str, str]:
    """(prep columns, value, rule) of the number parser. ``prep`` are (name, expression) pairs computed in a step
    before (so that the normalised text and the regex match are computed once); ``tag`` makes their names unique."""
    dec = spec.decimal or source_decimal
    t = norm_sql(x)
    if dec == ",":
        t = f"replace({t}, ',', '.')"
    tn, mn = f"#t:{tag}", f"#m:{tag}"
    body = f"trim(CASE WHEN suffix({t}, '%') THEN left({t}, length({t}) - 1) ELSE {t} END)"
    prep = [(tn, t), (mn, f"regexp_extract({body}, {lit(NUMBER_RE)}, ['q', 'a', 'b'])")]
    T, M = ident(tn), ident(mn)
    q, a, b = f"({M}).q", f"({M}).a", f"({M}).b"
    target = _unit_of(schema_unit)
    declared = spec.unit or target
    pct = f"suffix({T}, '%')"
    frac = f"{b} <> ''"
    base = f"(TRY_CAST({a} AS DOUBLE) / CASE WHEN {frac} THEN TRY_CAST({b} AS DOUBLE) ELSE 1.0 END)"

    def conv(src: str | None) -> str:
        if target == "fraction" and src == "percent":
            return " / 100.0"
        if target == "percent" and src == "fraction":
            return " * 100.0"
        return ""
    # the cell's unit: % sign -> percent; a/b -> fraction; else declared
    if target is None:
        converted = base
        unit_bad = f"({pct} OR {frac})"
    else:
        converted = (f"CASE WHEN {pct} THEN {base}{conv('percent')} WHEN {frac} THEN {base}{conv('fraction')} "
                     f"ELSE {base}{conv(declared)} END")
        unit_bad = "FALSE"
    kinds = {"below": f"{q} IN ('<', '<=', '≤')", "above": f"{q} IN ('>', '>=', '≥')",
             "approx": f"{q} IN ('~', 'approximately', 'approx.', 'approx', 'ca.', 'about', 'circa')"}
    rule_v = {"limit": converted, "value": converted, "half": f"({converted}) / 2.0", "zero": "0.0",
              "missing": "NULL"}
    val_cases, rule_cases = [], []
    full = f"{a} <> ''"
    zero_div = f"({frac} AND TRY_CAST({b} AS DOUBLE) = 0)"
    bad = f"({unit_bad} OR {zero_div})"
    for kind, cond in kinds.items():
        r = getattr(spec, kind)
        if r is None:
            val_cases.append(f"WHEN {full} AND {cond} THEN NULL")
            rule_cases.append(f"WHEN {full} AND {cond} THEN '!parse'")
        else:
            val_cases.append(f"WHEN {full} AND {cond} AND NOT {bad} THEN {rule_v[r]}")
            rule_cases.append(f"WHEN {full} AND {cond} AND NOT {bad} THEN {lit(f'number {kind}:{r}')}")
    val_cases.append(f"WHEN {full} AND NOT {bad} THEN {converted}")
    rule_cases.append(f"WHEN {full} AND NOT {bad} THEN 'number' || CASE WHEN {pct} THEN ' %' ELSE '' END || "
                      f"CASE WHEN {frac} THEN ' a/b' ELSE '' END")
    head_v = [f"WHEN {T} = '' THEN NULL"]
    head_r = [f"WHEN {T} = '' THEN NULL"]
    if spec.missing:
        words = ", ".join(lit(w) for w in spec.missing)
        head_v.append(f"WHEN {T} IN ({words}) THEN NULL")
        head_r.append(f"WHEN {T} IN ({words}) THEN 'number missing word'")
    if spec.negative:
        words = ", ".join(lit(w) for w in spec.negative)
        head_v.append(f"WHEN {T} IN ({words}) THEN 0.0")
        head_r.append(f"WHEN {T} IN ({words}) THEN 'number negative word'")
    tail_v, tail_r = [], []
    if spec.leading:
        lead = f"regexp_extract({T}, {lit(LEADING_RE)}, 1)"
        tail_v.append(f"WHEN NOT ({full}) AND {lead} <> '' THEN TRY_CAST({lead} AS DOUBLE){conv(declared)}")
        tail_r.append(f"WHEN NOT ({full}) AND {lead} <> '' THEN 'number leading'")
    value = "CASE " + " ".join(head_v + val_cases + tail_v) + " END"
    rule = "CASE " + " ".join(head_r + rule_cases + tail_r) + " ELSE '!parse' END"
    return prep, value, rule


__all__ = ["norm_value", "lit", "ident", "norm_sql", "squash_sql", "check_date_format", "format_regex",
           "date_formats", "date_sql", "date_text_sql", "id_sql", "text_sql", "value_map_sql", "value_map_lookup",
           "number_sql",
           "NUMBER_RE", "QUALIFIERS", "ISO"]
