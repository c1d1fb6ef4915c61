"""The profile as JSON, and the WhiteRabbit rule that makes a scan shareable.

The rule (after OHDSI's WhiteRabbit scan report, which leaves out values seen fewer than 5 times): in a shareable
scan (``shareable=True``, what ``mabseq scan`` writes),

- in an **id-like** or **free-text** column, a value seen fewer than :data:`MIN_COUNT` (5) times is not printed;
  the column says how many distinct values and cells were withheld. mabseq also applies this to **dates** in any
  column: a date seen once or twice (a birth date, a death date among ``alive`` cells) points at a person as
  surely as a name does;
- on a **key/value** sheet, a value is printed only when it is a date, a number or a short code (at most 12
  characters, one word, holding a digit or written in capitals, or a yes/no/unknown word); free text such as a
  name or a note never is. Keys (the sheet's own labels, such as ``Data cut-off``) are printed.

Headers, counts, patterns and date formats are always printed: they describe the columns, not a person.
Determinism: the dict holds lists in a fixed order and is dumped with sorted keys (:func:`dumps`).
"""
from __future__ import annotations

import json
import re

from .. import __version__
from .patterns import classify

MIN_COUNT = 5
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/+%:-]{0,11}$")
_CODE_WORDS = {"yes", "no", "unknown", "unk", "true", "false", "y", "n", "na", "n/a", "none", "male", "female"}
_DATE_KINDS = {"iso_date", "text_date"}
_PRINTABLE_KINDS = {"integer", "number", "decimal_comma", "percent_text", "iso_date", "text_date"}
RULE = (f"WhiteRabbit rule: values seen fewer than {MIN_COUNT} times in id-like or free-text columns, and dates seen "
        f"fewer than {MIN_COUNT} times in any column, are not printed; key/value sheets show only dates, numbers and "
        "short codes")


def printable_value(value: str) -> bool:
    """Whether a key/value sheet's value may be printed in a shareable scan (a date, a number, a short code)."""
    v = value.strip()
    if not v:
        return True
    if classify(v) in _PRINTABLE_KINDS:
        return True
    if v.lower() in _CODE_WORDS:
        return True
    return bool(_CODE.match(v)) and (any(ch.isdigit() for ch in v) or v.upper() == v)


def _column_json(c, shareable: bool, kv_role: str | None) -> dict:
    values = c.values
    withheld_values = withheld_cells = 0
    if shareable:
        if kv_role == "key":
            keep = values
        elif kv_role == "value":
            keep = [(v, n) for v, n in values if printable_value(v)]
        elif c.id_like or c.free_text:
            keep = [(v, n) for v, n in values if n >= MIN_COUNT]
        elif c.patterns.get("iso_date", 0) + c.patterns.get("text_date", 0):
            # a rare date is withheld in any column (a death date among "alive" cells)
            kind = c.value_patterns
            keep = [(v, n) for v, n in values
                    if n >= MIN_COUNT or (kind[v] if v in kind else classify(v)) not in _DATE_KINDS]
        else:
            keep = values
        withheld_values = len(values) - len(keep)
        withheld_cells = sum(n for _, n in values) - sum(n for _, n in keep)
        values = keep
    out = {"header": c.header, "letter": c.letter, "position": c.position, "non_empty": c.non_empty,
           "empty": c.empty, "inferred": c.inferred, "distinct": c.distinct, "id_like": c.id_like,
           "free_text": c.free_text, "patterns": {k: v for k, v in c.patterns.items() if v},
           "date_formats": dict(c.date_formats), "excel_percent": c.excel_percent,
           "values": [[v, n] for v, n in values]}
    if shareable:
        out["withheld"] = {"values": withheld_values, "cells": withheld_cells}
    return out


def source_json(s, shareable: bool) -> dict:
    kv = s.layout == "key_value"
    out = {"name": s.name, "source": s.source, "kind": s.kind, "layout": s.layout, "header_row": s.header_row,
           "skip_rows": list(s.skip_rows), "n_rows": s.n_rows, "first_row": s.first_row, "last_row": s.last_row,
           "width": s.width, "delimiter": s.delimiter, "decimal": s.decimal,
           "columns": [_column_json(c, shareable, ("key", "value")[i] if kv else None)
                       for i, c in enumerate(s.columns)],
           "groups": [g.to_json() for g in s.groups], "key_values": None, "id_column": s.id_column,
           "rows_per_id": {str(k): v for k, v in s.rows_per_id.items()}}
    if s.key_values is not None:
        pairs, withheld = [], 0
        for (k, v), row in zip(s.key_values, s.key_rows or [0] * len(s.key_values)):
            if shareable and not printable_value(v):
                pairs.append({"key": k, "value": None, "row": row, "withheld": True})
                withheld += 1
            else:
                pairs.append({"key": k, "value": v, "row": row})
        out["key_values"] = pairs
        if shareable:
            out["key_values_withheld"] = withheld
    return out


def profile_json(profile, shareable: bool = True) -> dict:
    return {"generator": "mabseq", "kind": "scan", "format": 1, "mabseq_version": __version__,
            "data": profile.data, "shareable": shareable, "rule": RULE if shareable else None,
            "sources": [source_json(s, shareable) for s in profile.sources]}


def dumps(body: dict) -> str:
    """The JSON text of a profile (sorted keys, two-space indent, a final newline): byte-identical per input."""
    return json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


__all__ = ["MIN_COUNT", "RULE", "printable_value", "profile_json", "source_json", "dumps"]
