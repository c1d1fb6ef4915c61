"""The number and date parsers of a mapping, again, in plain Python: the oracle of the property tests.

Written from the rules in ``docs/MAPPING.md`` (and :mod:`.parsers`' docstring) without the SQL: character by
character for the number grammar, by hand for the date formats, so that a fault in one is not copied into the
other. Not used by mabseq itself. Returns ``(value, ok)``: ``ok`` False means the cell cannot be read (an error).
"""
from __future__ import annotations

import datetime as _dt

from .spec import NumberSpec

_WS = "\t\n\v\f\r \u00a0"
_MONTHS = ["january", "february", "march", "april", "may", "june", "july", "august", "september", "october",
           "november", "december"]
_Q_BELOW, _Q_ABOVE = ("<=", "<", "≤"), (">=", ">", "≥")
_Q_APPROX = ("approximately", "approx.", "approx", "ca.", "about", "circa", "~")


def _squash(s: str) -> str:
    out, space = [], False
    for ch in s:
        if ch in _WS:
            space = True
            continue
        if space and out:
            out.append(" ")
        space = False
        out.append(ch)
    return "".join(out)


def _unsigned(s: str) -> bool:
    if not s:
        return False
    if s[0] == ".":
        return len(s) > 1 and s[1:].isascii() and s[1:].isdigit()
    head, dot, tail = s.partition(".")
    return head.isascii() and head.isdigit() and (tail == "" or (tail.isascii() and tail.isdigit()))


def _number_body(s: str):
    """(qualifier kind or None, a, b or None) of '[q] a [/ b]', or None."""
    kind = None
    for qs, k in ((_Q_BELOW, "below"), (_Q_ABOVE, "above"), (_Q_APPROX, "approx")):
        for q in qs:
            if s.startswith(q):
                kind, s = k, s[len(q):]
                if s.startswith(" "):
                    s = s[1:]
                break
        if kind:
            break
    a, slash, b = s.partition("/")
    if slash:
        a, b = a[:-1] if a.endswith(" ") else a, b[1:] if b.startswith(" ") else b
        if not _unsigned(b):
            return None
    else:
        b = None
    sign = a[:1] in ("+", "-")
    mant, e, exp = (a[1:] if sign else a).partition("e")
    if not _unsigned(mant):
        return None
    if e:
        digits = exp[1:] if exp[:1] in ("+", "-") else exp
        if not (digits.isascii() and digits.isdigit()):
            return None
    return kind, a, b


def parse_number(cell: str, spec: NumberSpec, schema_unit: str, source_decimal: str = "."):
    t = _squash(cell).lower()
    if (spec.decimal or source_decimal) == ",":
        t = t.replace(",", ".")
    if t == "":
        return None, True
    if t in spec.missing:
        return None, True
    if t in spec.negative:
        return 0.0, True
    pct = t.endswith("%")
    s = t[:-1].strip(" ") if pct else t
    target = {"%": "percent", "fraction": "fraction"}.get(schema_unit)
    body = _number_body(s)
    if body is not None:
        kind, a, b = body
        ok = True
        if (pct or b is not None) and target is None:
            ok = False
        if b is not None and float(b) == 0:
            ok = False
        if ok:
            v = float(a)
            if b is not None:
                v = v / float(b)
            else:
                v = v / 1.0
            unit = "percent" if pct else "fraction" if b is not None else (spec.unit or target)
            if target == "fraction" and unit == "percent":
                v = v / 100.0
            elif target == "percent" and unit == "fraction":
                v = v * 100.0
            if kind is None:
                return v, True
            r = getattr(spec, kind)
            if r is None:
                return None, False
            return {"limit": v, "value": v, "half": v / 2.0, "zero": 0.0, "missing": None}[r], True
        return None, False  # a number that cannot be used here ('leading' reads only cells that are not numbers)
    if spec.leading:
        i = 1 if t[:1] in ("+", "-") else 0
        j = i
        while j < len(t) and t[j].isascii() and t[j].isdigit():
            j += 1
        if j > i:
            k = j
            if k < len(t) and t[k] == "." and k + 1 < len(t) and t[k + 1].isascii() and t[k + 1].isdigit():
                k += 1
                while k < len(t) and t[k].isascii() and t[k].isdigit():
                    k += 1
            v = float(t[:k])
            unit = spec.unit or target
            if target == "fraction" and unit == "percent":
                v = v / 100.0
            elif target == "percent" and unit == "fraction":
                v = v * 100.0
            return v, True
    return None, False


def _date_one(t: str, fmt: str):
    i = k = 0
    y = m = d = None
    while k < len(fmt):
        ch = fmt[k]
        if ch == "%":
            dv = fmt[k + 1]
            k += 2
            if dv in "dm":
                j = i
                while j < len(t) and j < i + 2 and t[j].isascii() and t[j].isdigit():
                    j += 1
                if j == i:
                    return None
                val = int(t[i:j])
                i = j
                if dv == "d":
                    d = val
                else:
                    m = val
            elif dv in "Yy":
                n = 4 if dv == "Y" else 2
                part = t[i:i + n]
                if len(part) != n or not (part.isascii() and part.isdigit()):
                    return None
                i += n
                y = int(part) if dv == "Y" else (1900 + int(part) if int(part) >= 69 else 2000 + int(part))
            elif dv in "bB":
                j = i
                while j < len(t) and t[j].isascii() and t[j].isalpha():
                    j += 1
                word = t[i:j].lower()
                i = j
                names = [x[:3] for x in _MONTHS] if dv == "b" else _MONTHS
                if word not in names:
                    return None
                m = names.index(word) + 1
            elif dv == "%":
                if t[i:i + 1] != "%":
                    return None
                i += 1
        else:
            if t[i:i + 1] != ch:
                return None
            i += 1
            k += 1
    if i != len(t) or None in (y, m, d):
        return None
    try:
        return _dt.date(y, m, d)
    except ValueError:
        return None


def parse_date(cell: str, formats: tuple[str, ...]):
    """(ISO text or None, ok)."""
    t = _squash(cell)
    if t == "":
        return None, True
    for f in formats:
        got = _date_one(t, f)
        if got is not None:
            return got.isoformat(), True
    return None, False


__all__ = ["parse_number", "parse_date"]
