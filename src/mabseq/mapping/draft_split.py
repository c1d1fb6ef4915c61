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

import copy

from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString as Q

from ..cohort.schema import BY_NAME
from .draft_codebook import label_of
from .draft_match import match_columns
from .draft_values import TODO, Decision, grouped_values
from .vocab import norm


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


def split_events(w, b, columns, d: Decision):
    """The ``where`` of a disease_events block (``b``, drafted by the writer ``w`` into ``columns``) whose event
    column also holds vital-status rows, with those values taken out of its value map; None: no split."""
    if len(b.feeds) != 1 or w.split is not None:
        return None
    s = find_split(w.vocabs, w.books, b.feeds[0].fit, b.feeds[0].source)
    if s is None:
        return None
    w.split = s
    spec = columns.get("event_type")
    vm = spec.get("values") if isinstance(spec, dict) else None
    if isinstance(vm, dict):
        gone = {norm(v) for v, _, _ in s.vital}
        for k in [k for k in vm if norm(k) in gone]:
            d.todo -= vm[k] == TODO
            del vm[k]
    where = CommentedSeq([_flow({"column": Q(s.header), "in": _flow_seq([Q(v) for v in s.events])})])
    where.yaml_add_eol_comment(f"rows of {', '.join(repr(v) for v, _, _ in s.vital)}: follow_up", 0, column=0)
    return where


def follow_up_blocks(w, tables) -> None:
    """follow_up (one block per vital-status value) from the rows :func:`split_events` left out of disease_events."""
    s = w.split
    if s is None or "follow_up" in tables:
        return
    sp = s.source
    de = tables["disease_events"]
    pid = de["columns"]["patient_id"]
    date = de["columns"]["event_date"]
    used = w.p.used.setdefault(sp.name, set())
    free = [c for c in sp.columns if c.header not in used]
    cause = next((m for m in match_columns(w.vocabs, "follow_up", free) if m.column == "death_cause"), None)
    d = Decision()
    blocks = CommentedSeq()
    for value, code, n in s.vital:
        blk = CommentedMap()
        blk["from"] = w.names[sp.name]
        blk["where"] = CommentedSeq([_flow({"column": Q(s.header), "equals": Q(value)})])
        blk["constants"] = _flow({"vital_status": code})
        cols = CommentedMap()
        cols["patient_id"] = copy.deepcopy(pid)
        cols["last_contact_date"] = copy.deepcopy(date)
        if code == "dead":
            cols["death_date"] = copy.deepcopy(date)
            if cause is not None:
                col = next(c for c in sp.columns if c.header == cause.header)
                spec, notes = w.column_spec("follow_up", BY_NAME["follow_up"]["death_cause"], col,
                                            cause.header, None, sp.decimal, d)
                cols["death_cause"] = spec
                used.add(cause.header)
                if notes:
                    _eol(cols, "; ".join(notes), "death_cause")
        blk["columns"] = cols
        blocks.append(blk)
    tables["follow_up"] = blocks
    vital = ", ".join(f"{v!r} {c} ({n} rows)" for v, c, n in s.vital)
    line = (f'follow_up <- {sp.kind} "{sp.name}", the rows of "{s.header}" that give a vital status: {vital}; '
            f"{d.todo} TODO")
    w.todo += d.todo
    w.reports.append(line)
    tables.yaml_set_comment_before_after_key("follow_up", before=line, indent=2)


def _flow(d):
    from .draft import _flow as f
    return f(d)


def _flow_seq(items):
    from .draft import _flow_seq as f
    return f(items)


def _eol(m, text, key):
    m.yaml_add_eol_comment(text, key, column=0)


__all__ = ["Split", "find_split", "split_events", "follow_up_blocks"]
