"""One column's profile: counts, distinct values, patterns, date formats and the type they add up to.

Inference (``inferred``), on the non-empty cells (``n``) of a column, in this order:

1. ``empty``: no non-empty cell;
2. ``id``: :func:`id_like` (below);
3. ``date``: at least 90 % of cells are dates (ISO or a text format);
4. ``percent``: at least 90 % are numbers or percent text (``12 %``), and either some cell carries a ``%`` sign or
   the header says percent (``%``, ``pct``, ``percent``);
5. ``integer``: at least 90 % are integers; ``number``: at least 90 % are integers, numbers or decimal-comma numbers;
6. ``mixed``: at least half the cells are number-like (numbers, percent text, qualifiers ``<5`` ``>95``
   ``approx 40``, fractions, leading numbers) yet none of the above holds: a column that needs a number parser;
7. ``text`` when at least half the distinct values are long (over 40 characters, or 5 words or more): notes and
   causes of death are free text however few they are;
8. ``category``: at most 20 distinct values, fewer distinct values than cells, and at most half as many (3 always
   allowed): the coded columns a value map must cover;
9. ``text``: anything else. A ``text`` column is **free text** (``free_text``).

``id_like``: the header names an identifier (:func:`id_header`: ``ID``, ``Patient``, ``MRN``, ``UPN``,
``Subject``, a last word ``id``, or ``Study no.`` / ``Patient number`` / ``Case no``) and the cells are mostly not
dates; or at least 90 % of the (stripped) cells are distinct, there are at
least 5, and at least 90 % have an id shape (1-4 letters, an optional ``-``/``_``/space, digits: ``P01``,
``B-017``). Distinct values are the cell texts exactly as written (``" p01"`` and ``"P01"`` are two), because a
scan is where stray spaces and case must show; ``patterns["padded"]`` counts cells with leading or trailing spaces.
"""
from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .patterns import NUMBER_LIKE, PATTERNS, classify, date_formats_of, resolve_date_formats

_ID_WORDS = {"id", "ids", "mrn", "upn", "patient", "pt", "subject", "usubjid", "subjid", "pid", "ptid", "patid",
             "patientid", "studyid", "recordid", "studyno"}
_ID_OWNERS = {"patient", "pt", "pat", "study", "subject", "record", "case", "hospital", "participant"}
_ID_NUMBERS = {"no", "nr", "number", "num", "code", "n"}
_ID_SHAPE = re.compile(r"^[A-Za-z]{1,4}[-_ ]?\d{1,6}[A-Za-z]?$")
_PERCENT_HEADER = re.compile(r"%|\bpct\b|percent", re.I)
_DATES = ("iso_date", "text_date")


@dataclass
class ColumnProfile:
    header: str
    letter: str
    position: int                   # 0-based position among the sheet's columns (the grid's column index)
    non_empty: int
    empty: int
    inferred: str
    distinct: int
    values: list[tuple[str, int]] = field(default_factory=list)  # ALL distinct non-empty values (count desc, value)
    patterns: dict[str, int] = field(default_factory=dict)
    date_formats: dict[str, int] = field(default_factory=dict)
    id_like: bool = False
    free_text: bool = False
    value_patterns: dict[str, str] = field(default_factory=dict, repr=False)  # value -> its one pattern
    excel_percent: int = 0          # numeric cells Excel shows as percent (stored 0.12, shown 12%): a fraction


def _classify_cached(value: str, cache: dict) -> tuple[str, tuple[str, ...]]:
    got = cache.get(value)
    if got is None:
        kind = classify(value)
        got = (kind, date_formats_of(value) if kind in _DATES else ())
        cache[value] = got
    return got


def id_header(header: str) -> bool:
    """Whether a header names an identifier: ``ID``, ``MRN``, ``Patient``, ``record_id``, ``Study no.``."""
    words = re.findall(r"[a-z]+", header.lower())
    if not words:
        return False
    if len(words) == 1:
        return words[0] in _ID_WORDS
    if words[-1] in ("id", "ids", "mrn", "upn"):
        return True
    return len(words) == 2 and words[0] in _ID_OWNERS and words[1] in _ID_NUMBERS


def id_like(header: str, values: Counter, kinds: dict[str, str]) -> bool:
    n = sum(values.values())
    if n == 0:
        return False
    dates = sum(c for v, c in values.items() if kinds[v] in _DATES)
    if id_header(header) and dates < 0.5 * n:
        return True
    stripped = Counter()
    for v, c in values.items():
        stripped[v.strip().upper()] += c
    if n < 5 or len(stripped) < 0.9 * n:
        return False
    shaped = sum(c for v, c in stripped.items() if _ID_SHAPE.match(v))
    return shaped >= 0.9 * n


def profile_column(header: str, letter: str, position: int, cells: list[str], cache: dict | None = None
                   ) -> ColumnProfile:
    """The profile of one column from its data cells (text, as the grid gives them). ``cache`` (value ->
    pattern and date formats) is shared by the columns of one scan: each distinct text is classified once."""
    cache = {} if cache is None else cache
    counts = Counter(c for c in cells if c.strip())
    n = sum(counts.values())
    empty = len(cells) - n
    kinds = {}
    patterns = {p: 0 for p in PATTERNS}
    patterns["text"] = 0
    patterns["padded"] = 0
    per_date: list[tuple[tuple[str, ...], int]] = []
    for v, c in counts.items():
        kind, fmts = _classify_cached(v, cache)
        kinds[v] = kind
        patterns[kind] += c
        if fmts:
            per_date.append((fmts, c))
        if v != v.strip():
            patterns["padded"] += c
    values = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    is_id = id_like(header, counts, kinds)
    long_text = sum(1 for v in counts if _long(v)) * 2 >= len(counts) > 0
    inferred = _infer(header, n, len(counts), patterns, is_id, long_text)
    return ColumnProfile(header, letter, position, n, empty, inferred, len(counts), values, patterns,
                         resolve_date_formats(per_date), is_id, inferred == "text", kinds)


def _long(v: str) -> bool:
    return len(v) > 40 or len(v.split()) >= 5


def _infer(header: str, n: int, distinct: int, p: dict[str, int], is_id: bool, long_text: bool) -> str:
    if n == 0:
        return "empty"
    if is_id:
        return "id"
    if p["iso_date"] + p["text_date"] >= 0.9 * n:
        return "date"
    numeric = p["integer"] + p["number"] + p["decimal_comma"]
    if numeric + p["percent_text"] >= 0.9 * n and (p["percent_text"] or _PERCENT_HEADER.search(header)):
        return "percent"
    if p["integer"] >= 0.9 * n:
        return "integer"
    if numeric >= 0.9 * n:
        return "number"
    if sum(p[k] for k in NUMBER_LIKE) >= 0.5 * n:
        return "mixed"
    if long_text:
        return "text"
    if distinct <= 20 and distinct < n and distinct <= max(3, n // 2):
        return "category"
    return "text"


__all__ = ["ColumnProfile", "profile_column", "id_like"]
