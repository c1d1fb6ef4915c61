"""A long-format course file (one row per event, last contact or death) split between disease_events and follow_up.

Rule: when the event-type column of a drafted ``disease_events`` block holds values that are no event type but a
vital status (its own wording or its code book label, through the ``vital_status`` vocabulary: ``verstorben``,
``last contact``), and no other source feeds ``follow_up``, the draft splits the rows by that column with ``where``
filters: the disease_events block keeps the rows whose value is an event type, and follow_up gets one block per
vital-status value (``where: {column, equals}``, ``constants: {vital_status: ...}``), whose row date is
``last_contact_date`` (and ``death_date`` for the dead), with a cause-of-death column of the same source when one
matches. A value that is neither stays in the event map as TODO (a person decides), so no row is dropped unseen:
the mapping's filters count the rows each block leaves out.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .draft_codebook import label_of
from .draft_values import grouped_values


@dataclass
class Split:
    source: object                  # SourceProfile
    header: str                     # the event-type column
    date_header: str                # the row's date column
    events: list[str] = field(default_factory=list)        # values that are event types
    vital: list[tuple[str, str, int]] = field(default_factory=list)  # (value, alive/dead, rows)


def find_split(vocabs, books, fit, source) -> Split | None:
    """The split of one disease_events feed (``fit``: its TableFit), or None."""
    cols = fit.columns
    if "event_type" not in cols or "event_date" not in cols or fit.group is not None:
        return None
    header = cols["event_type"].header
    col = next((c for c in source.columns if c.header == header), None)
    if col is None:
        return None
    ev = vocabs.for_column("disease_events", "event_type")
    vs = vocabs.for_column("follow_up", "vital_status")
    s = Split(source, header, cols["event_date"].header)
    for spelling, n, _ in grouped_values(col):
        read = label_of(books, header, spelling) or spelling
        e = ev.lookup(read, "disease_events.event_type") if ev else None
        v = vs.lookup(read, "follow_up.vital_status") if vs else None
        if e is None and v is not None:
            s.vital.append((spelling, v.code, n))
        else:
            s.events.append(spelling)
    return s if s.vital and s.events else None


__all__ = ["Split", "find_split"]
