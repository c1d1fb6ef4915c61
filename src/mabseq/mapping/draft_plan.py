"""The draft's plan: which sources feed which table, stacked or joined, and which columns feed which column.

Rules (see :mod:`.draft_match` for the scores):

- a **key/value** sheet whose keys match the study's columns (``Data cut-off``) feeds ``study``;
- a **repeated column group** (``relapse_{n}_{field}``) is matched on its field names (and prefix) and feeds
  the table it covers completely (disease_events, with ``event_type`` from the prefix), through ``unpivot``;
- the other columns of a sheet feed the best table and then any further table they cover completely;
- two sources feeding one table are **joined** (on patient and, for a table keyed by a date, that date; rows from
  either side kept) when they give different columns, and **stacked** (a list of blocks) when they give the same.
"""
from __future__ import annotations

import dataclasses as _dc
import re
from dataclasses import dataclass, field

from ..cohort.schema import BY_NAME
from ..scan.groups import split_header
from .draft_match import DRAFT_TABLES, TableFit, match_columns, sheet_score
from .vocab import Vocabularies

DATE_KEY = {"assessments": "assessment_date", "toxicity_observations": "observation_date", "doses": "dose_date",
            "disease_events": "event_date", "transplants": "transplant_date", "toxicity_episodes": "onset_date"}


@dataclass
class FieldColumn:
    """A repeated group's field (``date`` of ``relapse_1_date``, ``relapse_2_date`` ...) as one column profile."""
    header: str
    letter: str = ""
    non_empty: int = 0
    empty: int = 0
    inferred: str = "empty"
    values: list = field(default_factory=list)
    patterns: dict = field(default_factory=dict)
    date_formats: dict = field(default_factory=dict)
    id_like: bool = False
    free_text: bool = False
    distinct: int = 0


@dataclass
class Feed:
    """One source's part in a table: the fit (matches) and, for an unpivoted group, the group."""
    source: object          # SourceProfile
    fit: TableFit
    fields: list = field(default_factory=list)  # FieldColumn profiles of the group (unpivot)


@dataclass
class Block:
    table: str
    feeds: list[Feed]                        # feeds[0] is `from`; the others are joined
    join_on: list[dict] = field(default_factory=list)  # per joined feed: {from header: joined header}


@dataclass
class Plan:
    blocks: dict[str, list[Block]] = field(default_factory=dict)  # table -> blocks (stacked)
    study: object = None                     # the key/value SourceProfile feeding study, if any
    study_keys: dict[str, str] = field(default_factory=dict)      # study column -> key
    used: dict[str, set[str]] = field(default_factory=dict)       # source name -> headers used
    unused_sources: list = field(default_factory=list)


def group_fields(sp, group) -> list[FieldColumn]:
    by_header = {c.header: c for c in sp.columns}
    out: dict[str, FieldColumn] = {}
    for h in group.columns:
        parts = split_header(h)
        col = by_header.get(h)
        if parts is None or col is None:
            continue
        fld = parts[3]
        fc = out.setdefault(fld.lower(), FieldColumn(fld))
        fc.non_empty += col.non_empty
        fc.empty += col.empty
        if col.non_empty and fc.inferred in ("empty",):
            fc.inferred = col.inferred
        elif col.non_empty and fc.inferred != col.inferred:
            fc.inferred = "mixed" if {fc.inferred, col.inferred} <= {"integer", "number", "percent", "mixed"} \
                else fc.inferred
        merged = dict(fc.values)
        for v, n in col.values:
            merged[v] = merged.get(v, 0) + n
        fc.values = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
        fc.distinct = len(fc.values)
        for k, n in (col.patterns or {}).items():
            fc.patterns[k] = fc.patterns.get(k, 0) + n
        for k, n in (col.date_formats or {}).items():
            fc.date_formats[k] = fc.date_formats.get(k, 0) + n
    return list(out.values())


def group_prefix(template: str) -> str:
    return " ".join(re.findall(r"[A-Za-z]+", template.replace("{n}", " ").replace("{field}", " ")))


def _eligible(fit: TableFit, first: bool) -> bool:
    if not fit.has_pid():
        return False
    cov, st, named = fit.coverage(), fit.strength(), fit.name_score >= 90
    if first:
        return (named and st > 0) or (cov >= 0.99 and st >= 1.5) or (cov >= 0.5 and st >= 3)
    return (cov >= 0.99 and st >= 2) or (named and cov >= 0.5 and st >= 2)


def _pid_header(fit: TableFit) -> str | None:
    m = fit.columns.get("patient_id")
    return m.header if m else None


def source_feeds(sp, vocabs: Vocabularies) -> list[Feed]:
    """The tables one table-layout source feeds, best first."""
    feeds: list[Feed] = []
    in_groups = {h for g in sp.groups for h in g.columns}
    plain = [c for c in sp.columns if c.header and c.header not in in_groups]
    taken: set[str] = set()
    for g in sp.groups:
        fields = group_fields(sp, g)
        prefix = group_prefix(g.template)
        best = None
        for t in DRAFT_TABLES:
            pid = [m for m in match_columns(vocabs, t, plain) if m.column == "patient_id"]
            ms = [m for m in match_columns(vocabs, t, fields, prefix=prefix) if m.column != "patient_id"]
            fit = TableFit(t, pid + ms, max(sheet_score(vocabs, prefix, t), 0), g)
            if fit.has_pid() and fit.coverage() >= 0.99 and fit.strength() >= 1 and \
                    (best is None or fit.rank() > best.fit.rank()):
                best = Feed(sp, fit, fields)
        if best is not None:
            feeds.append(best)
    first = True
    many = _many_rows_per_id(sp)
    while True:
        cands = []
        for t in DRAFT_TABLES:
            if any(f.fit.table == t and f.fit.group is None for f in feeds):
                continue
            if many and BY_NAME[t].one_row_per_patient:
                continue  # a sheet with several rows per patient cannot be a one-row-per-patient table
            pid_used = {_pid_header(f.fit) for f in feeds}
            exclude = taken - pid_used
            fit = TableFit(t, match_columns(vocabs, t, plain, exclude=exclude), sheet_score(vocabs, sp.name, t))
            if _eligible(fit, first):
                cands.append(fit)
        if not cands:
            break
        best = max(cands, key=lambda f: (f.rank(), -DRAFT_TABLES.index(f.table)))
        feeds.append(Feed(sp, best))
        taken |= {m.header for m in best.matches if m.column != "patient_id"}
        first = False
    return feeds


def _many_rows_per_id(sp) -> bool:
    """Whether more than a fifth of the source's patients have several rows (the scan's ``rows_per_id``)."""
    per = getattr(sp, "rows_per_id", None) or {}
    ids = sum(per.values())
    multi = sum(n for k, n in per.items() if int(k) > 1)
    return ids > 0 and multi > 0.2 * ids


def _study_keys(sp, vocabs: Vocabularies) -> dict[str, str]:
    from .draft_match import name_score, synonyms
    out: dict[str, str] = {}
    cands = []
    for i, (k, _) in enumerate(sp.key_values or []):
        for j, c in enumerate(BY_NAME["study"].columns):
            s, sure = name_score(k, synonyms(vocabs, "study", c.name))
            if sure or s >= 85:
                cands.append((-s, j, i, c.name, k))
    cands.sort()
    for _, _, _, col, k in cands:
        if col not in out and k not in out.values():
            out[col] = k
    return out


def by_letter(sp) -> None:
    """A blank or repeated header cannot name its column: such columns are named by their letter (the mapping
    takes a column letter wherever it takes a header)."""
    seen: dict[str, int] = {}
    for c in sp.columns:
        k = " ".join(c.header.split()).casefold()
        seen[k] = seen.get(k, 0) + 1
    for i, c in enumerate(sp.columns):
        k = " ".join(c.header.split()).casefold()
        if (not k or seen[k] > 1) and c.letter:
            sp.columns[i] = _dc.replace(c, header=c.letter)


def plan(profile, vocabs: Vocabularies, skip: frozenset = frozenset()) -> Plan:
    """``skip``: (kind, name) of sources that are documentation (a code book), fed to no table."""
    p = Plan()
    per_table: dict[str, list[Feed]] = {}
    for sp in profile.sources:
        if (sp.kind, sp.name) in skip:
            continue
        if sp.layout != "key_value":
            by_letter(sp)
        if sp.layout == "key_value":
            keys = _study_keys(sp, vocabs)
            if keys and (p.study is None or len(keys) > len(p.study_keys)):
                if p.study is not None:
                    p.unused_sources.append(p.study)
                p.study, p.study_keys = sp, keys
            else:
                p.unused_sources.append(sp)
            continue
        feeds = source_feeds(sp, vocabs)
        if not feeds:
            p.unused_sources.append(sp)
            continue
        for f in feeds:
            per_table.setdefault(f.fit.table, []).append(f)
            used = p.used.setdefault(sp.name, set())
            used |= {m.header for m in f.fit.matches if f.fields == [] or m.column == "patient_id"}
            if f.fit.group is not None:
                used |= set(f.fit.group.columns)
    for t in DRAFT_TABLES:
        feeds = per_table.get(t)
        if feeds:
            p.blocks[t] = combine(t, feeds)
    return p


def combine(table: str, feeds: list[Feed]) -> list[Block]:
    """Join feeds that give different columns (same patient, same date); stack the rest."""
    blocks: list[Block] = []
    key = DATE_KEY.get(table)
    for f in sorted(feeds, key=lambda f: (-len(f.fit.matches), -f.source.n_rows)):
        cols = set(f.fit.columns) - {"patient_id", key}
        placed = False
        for b in blocks:
            have = set()
            for g in b.feeds:
                have |= set(g.fit.columns) - {"patient_id", key}
            base = b.feeds[0]
            can_key = key is None or (key in base.fit.columns and key in f.fit.columns)
            one_row = BY_NAME[table].one_row_per_patient
            if (have & cols) or not can_key or f.fields or base.fields or not (key or one_row):
                continue
            on = {base.fit.columns["patient_id"].header: f.fit.columns["patient_id"].header}
            if key:
                on[base.fit.columns[key].header] = f.fit.columns[key].header
            b.feeds.append(f)
            b.join_on.append(on)
            placed = True
            break
        if not placed:
            blocks.append(Block(table, [f]))
    return blocks


__all__ = ["Plan", "Block", "Feed", "FieldColumn", "plan", "combine", "group_fields", "group_prefix", "DATE_KEY"]
