"""What one cell's text looks like: the patterns ``mabseq scan`` counts and the date formats that read it.

Each non-empty cell gets exactly ONE pattern (the first that matches, in :data:`PATTERNS` order), so the counts of
a column add up to its non-empty cells minus the plain text ones (``text``, counted too). The patterns are the cell
shapes a chart review mixes into its number and date columns, each of which a mapping must give a rule for
(``docs/MAPPING.md``, number parser):

- ``iso_date`` ``2020-03-01`` (a real Excel date arrives so), ``text_date`` a date in another format (``01/03/2020``,
  ``1 Mar 2020``, ``01.03.2020``);
- ``integer`` ``12``, ``number`` ``0.5`` / ``-1.25e-3``, ``decimal_comma`` ``1,5``;
- ``percent_text`` ``12 %`` / ``0,005%``; ``below`` ``<5`` / ``< 0.01 %`` / ``≤5``; ``above`` ``>95``;
  ``approx`` ``approx 40``, ``~40``, ``ca. 40``, ``about 40``, ``circa 40``; ``fraction`` ``3/100``;
- ``leading_number`` a number followed by words or a bracket (``3 (stopped early)``, ``2 cycles``);
- ``negative_word`` ``not detected``, ``negative``, ``undetectable``, ``undetected``, ``neg``, ``none detected``;
- ``text`` anything else.

Written by hand: these are a handful of regular expressions over the project's own vocabulary; a general type
sniffer (pandas' inference, dateutil's parser) guesses silently, where a scan must show each shape with its count.
Dates are tried with ``datetime.strptime`` only after a regular expression has said which formats could apply, and
each distinct value is classified once (:func:`classify`, cached by the caller), so a 1,000-patient workbook is
profiled in well under a second per sheet.
"""
from __future__ import annotations

import datetime as _dt
import re

PATTERNS = ("percent_text", "below", "above", "approx", "fraction", "leading_number", "decimal_comma",
            "negative_word", "number", "integer", "iso_date", "text_date")
NUMBER_LIKE = ("integer", "number", "decimal_comma", "percent_text", "below", "above", "approx", "fraction",
               "leading_number")
QUALIFIED = ("below", "above", "approx", "fraction", "leading_number")

_NUM = r"[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)"
_INTEGER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?$")
_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_PERCENT = re.compile(rf"^{_NUM}\s*%$")
_BELOW = re.compile(rf"^(?:<\s*=?|≤|=<)\s*{_NUM}\s*%?$")
_ABOVE = re.compile(rf"^(?:>\s*=?|≥|=>)\s*{_NUM}\s*%?$")
_APPROX = re.compile(rf"^(?:~|≈|approx\.?|approximately|ca\.?|circa|about|c\.)\s*{_NUM}\s*%?$", re.I)
_FRACTION = re.compile(r"^\d+\s*/\s*\d+$")
_LEADING = re.compile(rf"^{_NUM}\s*%?\s*(?:[(\[].*|[A-Za-z].*)$", re.S)
NEGATIVE_WORDS = frozenset({"not detected", "negative", "neg", "undetectable", "undetected", "none detected",
                            "not detectable", "nd", "n.d.", "below detection", "below limit of detection"})
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2})?)?$")

# text date shapes -> the strptime formats that could read them (tried in this order; a 4-digit year is required
# for %Y and a 2-digit one for %y, which strptime alone does not enforce)
_NUMERIC_DATE = re.compile(r"^(\d{1,2})([/.\-])(\d{1,2})\2(\d{2}|\d{4})$")
_YEAR_FIRST = re.compile(r"^(\d{4})([/.])(\d{1,2})\2(\d{1,2})$")
_MONTH_NAME = re.compile(r"^\d{1,2}[ \-./]?[A-Za-z]{3,9}\.?[ \-./,]*(\d{2}|\d{4})$")
_NAME_FIRST = re.compile(r"^[A-Za-z]{3,9}\.? \d{1,2},? (\d{2}|\d{4})$")
_MONTH_NAME_FORMATS = ("%d %b %Y", "%d %B %Y", "%d-%b-%Y", "%d-%B-%Y", "%d%b%Y", "%d.%b.%Y", "%d/%b/%Y",
                       "%d %b %y", "%d-%b-%y", "%d%b%y", "%d/%b/%y")
_NAME_FIRST_FORMATS = ("%b %d, %Y", "%B %d, %Y", "%b %d %Y", "%B %d %Y")


def _parses(text: str, fmt: str) -> bool:
    try:
        _dt.datetime.strptime(text, fmt)
    except ValueError:
        return False
    return True


def _two_digit_year(yy: int) -> int:
    return 2000 + yy if yy < 69 else 1900 + yy  # strptime's %y rule (POSIX)


def _valid(year: int, month: int, day: int) -> bool:
    """Whether the numbers make a date (as strptime would accept it; checked directly, 20 times faster)."""
    if year < 1 or not 1 <= month <= 12 or day < 1:
        return False
    try:
        _dt.date(year, month, day)
    except ValueError:
        return False
    return True


def date_formats_of(text: str) -> tuple[str, ...]:
    """The strptime formats that read ``text`` as a date (empty when none does). ISO dates give ``%Y-%m-%d``."""
    t = text.strip()
    if _ISO_DATE.match(t):
        return ("%Y-%m-%d",) if _valid(int(t[:4]), int(t[5:7]), int(t[8:10])) else ()
    m = _NUMERIC_DATE.match(t)
    if m:
        a, sep, b, y = int(m.group(1)), m.group(2), int(m.group(3)), m.group(4)
        year = int(y) if len(y) == 4 else _two_digit_year(int(y))
        yf = "%Y" if len(y) == 4 else "%y"
        return tuple(f for f, day, month in ((f"%d{sep}%m{sep}{yf}", a, b), (f"%m{sep}%d{sep}{yf}", b, a))
                     if _valid(year, month, day))
    m = _YEAR_FIRST.match(t)
    if m:
        sep = m.group(2)
        ok = _valid(int(m.group(1)), int(m.group(3)), int(m.group(4)))
        return (f"%Y{sep}%m{sep}%d",) if ok else ()
    m = _MONTH_NAME.match(t)
    if m:
        four = len(m.group(1)) == 4
        return tuple(f for f in _MONTH_NAME_FORMATS if f.endswith("%Y") == four and _parses(t, f))
    m = _NAME_FIRST.match(t)
    if m:
        return tuple(f for f in _NAME_FIRST_FORMATS if _parses(t, f))
    return ()


def classify(text: str) -> str:
    """The one pattern of a non-empty cell (see the module docstring); ``text`` when none applies."""
    t = text.strip()
    if _INTEGER.match(t):
        return "integer"
    if _NUMBER.match(t):
        return "number"
    if _DECIMAL_COMMA.match(t):
        return "decimal_comma"
    if _ISO_DATE.match(t):
        return "iso_date" if date_formats_of(t) else "text"
    if _PERCENT.match(t):
        return "percent_text"
    if _BELOW.match(t):
        return "below"
    if _ABOVE.match(t):
        return "above"
    if _APPROX.match(t):
        return "approx"
    if _FRACTION.match(t):
        return "fraction"
    if t.lower() in NEGATIVE_WORDS:
        return "negative_word"
    if date_formats_of(t):
        return "text_date"
    if _LEADING.match(t):
        return "leading_number"
    return "text"


def resolve_date_formats(per_value: list[tuple[tuple[str, ...], int]]) -> dict[str, int]:
    """Column-level date formats from each distinct value's formats and count (cells), most cells first.

    A format is dropped when the values it reads are a strict subset of those another format reads: ``03/04/2020``
    reads as ``%d/%m/%Y`` and ``%m/%d/%Y``, ``25/04/2020`` only as ``%d/%m/%Y``, so a column holding both is
    day-first; ``1 May 2020`` reads as ``%d %b %Y`` and ``%d %B %Y``, ``1 March 2020`` only as the latter. When no
    value settles it (every value ambiguous), or values settle it both ways (two conventions in one column), all
    the formats stay listed."""
    reads: dict[str, set[int]] = {}
    counts: dict[str, int] = {}
    for i, (fmts, n) in enumerate(per_value):
        for f in fmts:
            reads.setdefault(f, set()).add(i)
            counts[f] = counts.get(f, 0) + n
    kept = {f: n for f, n in counts.items() if not any(reads[f] < reads[g] for g in reads if g != f)}
    return dict(sorted(kept.items(), key=lambda kv: (-kv[1], kv[0])))


__all__ = ["PATTERNS", "NUMBER_LIKE", "QUALIFIED", "NEGATIVE_WORDS", "classify", "date_formats_of",
           "resolve_date_formats"]
