"""Repeated column groups: ``relapse_1_date, relapse_1_site, relapse_2_date ...`` as one unpivot template.

A header belongs to a group when it reads as a prefix, a number and a field, in one of three spellings:

- ``<prefix><sep><n><sep><field>``: ``relapse_1_date``, ``Relapse 1 date``, ``relapse-2-site``;
- ``<prefix><n><sep><field>``: ``relapse1_date``, ``Relapse1 site``;
- ``<field><sep><prefix><sep><n>``: ``date_relapse_2``, ``site relapse 1``.

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
_C = re.compile(rf"^(?P<field>[A-Za-z][^\d]*?)(?P<s1>{_SEP}+)(?P<prefix>[A-Za-z]+)(?P<s2>{_SEP})(?P<n>\d{{1,2}})$")


@dataclass
class RepeatGroup:
    template: str                # e.g. "relapse_{n}_{field}" (as in MAPPING.md unpivot)
    numbers: list[int] = field(default_factory=list)
    fields: list[str] = field(default_factory=list)
    columns: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"template": self.template, "numbers": list(self.numbers), "fields": list(self.fields),
                "columns": list(self.columns)}


def split_header(header: str) -> tuple[str, str, int, str] | None:
    """(template key, template, n, field) of a header in one of the group spellings, or None."""
    h = header.strip()
    m = _A.match(h)
    if m:
        p, s1, s2 = m.group("prefix"), m.group("s1"), m.group("s2")
        return (f"A|{p.lower()}|{s1}|{s2}", f"{p}{s1}{{n}}{s2}{{field}}", int(m.group("n")), m.group("field"))
    m = _B.match(h)
    if m:
        p, s2 = m.group("prefix"), m.group("s2")
        return (f"B|{p.lower()}|{s2}", f"{p}{{n}}{s2}{{field}}", int(m.group("n")), m.group("field"))
    m = _C.match(h)
    if m:
        p, s1, s2 = m.group("prefix"), m.group("s1"), m.group("s2")
        return (f"C|{p.lower()}|{s1}|{s2}", f"{{field}}{s1}{p}{s2}{{n}}", int(m.group("n")), m.group("field"))
    return None


def find_groups(headers: list[str]) -> list[RepeatGroup]:
    """The repeated column groups among ``headers`` (in sheet order), in order of their first column."""
    found: dict[str, dict] = {}
    for h in headers:
        parts = split_header(h)
        if parts is None:
            continue
        key, template, n, fld = parts
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
