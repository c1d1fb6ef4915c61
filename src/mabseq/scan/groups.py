"""Repeated column groups: ``relapse_1_date, relapse_1_site, relapse_2_date ...`` as one unpivot template.

A header belongs to a group when it reads as a prefix, a number and a field, in one of these spellings:

- ``<prefix><sep><n><sep><field>``: ``relapse_1_date``, ``Relapse 1 date``, ``relapse-2-site``;
- ``<prefix><n><sep><field>``: ``relapse1_date``, ``Relapse1 site``;
- ``<field><sep><prefix><sep><n>``: ``date_relapse_2``, ``site relapse 1``;
- ``<prefix><sep><field><sep><n>``: ``relapse_date_1``, ``relapse_site_2`` (a header ending in its number reads
  either way; the reading that gathers more distinct fields wins);
- ``<field><sep><n>``: ``date_1``, ``site_2`` (no prefix).

The template is written with the header's own spelling (``Relapse {n} {field}``, ``{field}_relapse_{n}``), as the
mapping's ``unpivot: {columns: ...}`` takes it (``docs/MAPPING.md``). Headers of one template form a group when at
least two numbers occur and the numbers begin at 0 or 1 (so ``CD19 %`` beside ``CD22 %`` is no group), and at
least one field occurs under two numbers. Prefixes are compared case-insensitively. Written by hand: three regular
expressions and a grouping, nothing a library offers.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

_SEP = r"[ _\-.]"
_A = re.compile(rf"^(?P<prefix>[A-Za-z][A-Za-z ]*?)(?P<s1>{_SEP})(?P<n>\d{{1,2}})(?P<s2>{_SEP}+)(?P<field>\S.*)$")
_B = re.compile(rf"^(?P<prefix>[A-Za-z][A-Za-z]*?)(?P<n>\d{{1,2}})(?P<s2>{_SEP}+)(?P<field>\S.*)$")
_TRAIL = re.compile(rf"^(?P<stem>[A-Za-z][^\d]*?)(?P<sep>{_SEP})(?P<n>\d{{1,2}})$")


MAX_HEADER = 200  # longer headers are no group member (and the patterns never run on a pasted paragraph)


@dataclass
class RepeatGroup:
    template: str                # e.g. "relapse_{n}_{field}" (as in MAPPING.md unpivot)
    numbers: list[int] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"template": self.template, "numbers": list(self.numbers), "fields": list(self.fields),
                "columns": list(self.columns)}


def _trailing_candidates(h: str) -> list[tuple[str, str, int, str]]:
    """The readings of a header ending in ``<sep><n>``: its stem's first word as prefix, its last word as prefix,
    or (a one-word stem) no prefix at all."""
    m = _TRAIL.match(h)
    if not m:
        return []
    stem, sep, n = m.group("stem"), m.group("sep"), int(m.group("n"))
    words = stem.split(sep)
    if len(words) == 1 or not all(words):
        return [(f"T|{sep}", f"{{field}}{sep}{{n}}", n, stem)]
    first, last = words[0], words[-1]
    return [(f"F|{first.lower()}|{sep}", f"{first}{sep}{{field}}{sep}{{n}}", n, sep.join(words[1:])),
            (f"L|{last.lower()}|{sep}", f"{{field}}{sep}{last}{sep}{{n}}", n, sep.join(words[:-1]))]


def split_header(header: str) -> tuple[str, str, int, str] | None:
    """(template key, template, n, field) of a header with its number inside (``relapse_1_date``,
    ``relapse1_date``), or None (see :func:`find_groups` for headers ending in their number)."""
    h = header.strip()
    if len(h) > MAX_HEADER:
        return None
    m = _A.match(h)
    if m:
        p, s1, s2 = m.group("prefix"), m.group("s1"), m.group("s2")
        return (f"A|{p.lower()}|{s1}|{s2}", f"{p}{s1}{{n}}{s2}{{field}}", int(m.group("n")), m.group("field"))
    m = _B.match(h)
    if m:
        p, s2 = m.group("prefix"), m.group("s2")
        return (f"B|{p.lower()}|{s2}", f"{p}{{n}}{s2}{{field}}", int(m.group("n")), m.group("field"))
    return None


def _readings(headers: list[str]) -> list[tuple[str, tuple[str, str, int, str]]]:
    """Each grouped header with its one reading. A header ending in its number (``relapse_date_1``,
    ``date_relapse_1``) has two: the one whose template gathers more distinct fields wins (first word on a tie),
    so ``relapse_date_1, relapse_site_1`` read as ``relapse_{field}_{n}`` and ``date_relapse_1, site_relapse_1``
    as ``{field}_relapse_{n}``."""
    fields: dict[str, set[str]] = {}
    cands: list[tuple[str, list]] = []
    for h in headers:
        if len(h.strip()) > MAX_HEADER:
            continue
        one = split_header(h)
        options = [one] if one is not None else _trailing_candidates(h.strip())
        for key, _, _, fld in options:
            fields.setdefault(key, set()).add(fld.lower())
        if options:
            cands.append((h, options))
    out = []
    for h, options in cands:
        best = max(options, key=lambda o: len(fields[o[0]]))  # max keeps the first of equals
        out.append((h, best))
    return out


def find_groups(headers: list[str]) -> list[RepeatGroup]:
    """The repeated column groups among ``headers`` (in sheet order), in order of their first column."""
    found: dict[str, dict] = {}
    for h, (key, template, n, fld) in _readings(headers):
        g = found.setdefault(key, {"template": template, "members": []})
        g["members"].append((h, n, fld))
    out = []
    for g in found.values():
        numbers = sorted({n for _, n, _ in g["members"]})
        if len(numbers) < 2 or numbers[0] > 1:
            continue
        by_field: dict[str, set[int]] = {}
        for _, n, fld in g["members"]:
            by_field.setdefault(fld.lower(), set()).add(n)
        if not any(len(ns) >= 2 for ns in by_field.values()):
            continue
        fields: list[str] = []
        seen = set()
        for _, _, fld in g["members"]:
            if fld.lower() not in seen:
                seen.add(fld.lower())
                fields.append(fld)
        out.append(RepeatGroup(g["template"], numbers, fields, [h for h, _, _ in g["members"]]))
    return out


__all__ = ["RepeatGroup", "find_groups", "split_header"]
