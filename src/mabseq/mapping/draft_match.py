"""Which source column stands for which schema column, and which sheet feeds which table (for `map draft`).

Header rule: a header that is a synonym of a schema column (``columns.yaml``, or the column's own name), ignoring
case, spaces, punctuation and a trailing unit in brackets, is a **sure** match (score 100). Otherwise the best
rapidfuzz score against the synonyms (the larger of ``ratio`` on the squashed text and ``token_sort_ratio`` on
the words) is a **likely** match when it reaches 85. A match is kept only when the column's content fits the
schema type (a date column must hold dates, a number column numbers or number-like text, a code column must not
hold dates); for coded columns, a header scoring 60-84 whose values the column's vocabulary mostly knows (80 %)
is also a likely match. Each source column is assigned once per table, best score first (ties: schema order,
then sheet order); the drug column of a therapy sheet also gives therapy_class and agents.

Table rule: a source feeds the table it covers best (sheet name among the table's sheet names, share of the
table's required columns found, and the weight of the matched columns); it feeds a further table only when that
table's required columns are all found (or are constants) among the columns not yet used, so that one outcomes
sheet can give disease events (through its repeated relapse columns) and follow-up.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from rapidfuzz import fuzz

from ..cohort.schema import BY_NAME, Column, Table
from .vocab import Vocabularies, squash

SURE, LIKELY_MIN, CONTENT_MIN = 100, 85, 60
_UNIT = re.compile(r"\s*[(\[][^)\]]*[)\]]\s*$")
# tables drafted from table-layout sources (study comes from a key/value sheet)
DRAFT_TABLES = ("patients", "therapies", "doses", "assessments", "transplants", "toxicity_episodes",
                "toxicity_observations", "disease_events", "follow_up")
# required columns a draft can give as a constant or generate, so that their absence does not count against a table
CONSTANT_OK = {("therapies", "course_id"), ("assessments", "specimen"), ("disease_events", "event_type"),
               ("patients", "diagnosis"), ("toxicity_episodes", "toxicity")}


@dataclass
class Match:
    header: str          # the source header (after unpivot: the group's field name)
    column: str          # schema column
    score: int
    sure: bool
    how: str             # "synonym" | "similar name" | "content"


@dataclass
class TableFit:
    table: str
    matches: list[Match] = field(default_factory=list)
    name_score: int = 0
    group: object = None  # the RepeatGroup unpivoted for this table, if any

    @property
    def columns(self) -> dict[str, Match]:
        return {m.column: m for m in self.matches}

    def coverage(self) -> float:
        t = BY_NAME[self.table]
        req = [c.name for c in t.columns if c.required and c.name != "patient_id"]
        if not req:
            return 1.0
        have = self.columns
        got = sum(1 for c in req if c in have or (self.table, c) in CONSTANT_OK)
        return got / len(req)

    def strength(self) -> float:
        return sum(1.0 if m.sure else 0.6 for m in self.matches if m.column != "patient_id")

    def has_pid(self) -> bool:
        return "patient_id" in self.columns

    def rank(self) -> float:
        return (2.0 if self.name_score >= 90 else 0.0) + 2.0 * self.coverage() + self.strength()


def header_keys(header: str) -> set[str]:
    h = str(header)
    return {k for k in (squash(h), squash(_UNIT.sub("", h))) if k}


# a header naming the cycle NUMBER of a per-cycle row (not the number of cycles of a course)
CYCLE_INDEX = frozenset({"cycle", "cycleno", "cyclenumber", "cyclenr", "cyc", "cycleindex", "cyclenum"})
SHARED = ("patient_id", "course_id")  # columns whose synonyms hold in every table that has them


def synonyms(vocabs: Vocabularies, table: str, column: str) -> list[str]:
    ts = vocabs.tables.get(table)
    out = [column.replace("_", " ")]
    if ts is not None:
        out += ts.columns.get(column, [])
    if column in SHARED:
        for name in sorted(vocabs.tables):
            out += [s for s in vocabs.tables[name].columns.get(column, []) if s not in out]
    return out


def name_score(header: str, syns: list[str]) -> tuple[int, bool]:
    """(score 0-100, sure) of a header against a column's synonyms."""
    keys = header_keys(header)
    best = 0
    words = " ".join(re.findall(r"[a-z0-9]+", _UNIT.sub("", str(header)).casefold()))
    for s in syns:
        sk = squash(s)
        if sk in keys:
            return SURE, True
        sw = " ".join(re.findall(r"[a-z0-9]+", s.casefold()))
        best = max(best, int(fuzz.ratio(squash(_UNIT.sub("", str(header))), sk)),
                   int(fuzz.token_sort_ratio(words, sw)))
    return best, False


def sheet_score(vocabs: Vocabularies, sheet: str, table: str) -> int:
    ts = vocabs.tables.get(table)
    syns = [table.replace("_", " ")] + (ts.sheets if ts else [])
    s, sure = name_score(sheet, syns)
    return SURE if sure else s


def _date_share(col) -> float:
    n = col.non_empty or 0
    if n == 0:
        return 0.0
    p = col.patterns or {}
    return (p.get("iso_date", 0) + p.get("text_date", 0)) / n


def _number_share(col) -> float:
    n = col.non_empty or 0
    if n == 0:
        return 0.0
    p = col.patterns or {}
    keys = ("integer", "number", "decimal_comma", "percent_text", "below", "above", "approx", "fraction",
            "leading_number", "negative_word")
    return sum(p.get(k, 0) for k in keys) / n


def fits(col, sc: Column) -> bool:
    """Whether a source column's content can feed the schema column ``sc`` (an empty column fits anything)."""
    if not col.non_empty:
        return True
    inferred = col.inferred
    if sc.type == "date":
        return inferred == "date" or _date_share(col) >= 0.5
    if _date_share(col) >= 0.5:
        return False
    if sc.type in ("number", "integer"):  # calls such as "neg"/"dim"/"pos" under a "CD19" header are no numbers
        return inferred in ("integer", "number", "percent", "mixed") or _number_share(col) >= 0.5
    if sc.name == "patient_id":
        return inferred in ("id", "integer", "category", "text", "mixed")
    return True


def _coded_number(vocabs: Vocabularies, table: str, sc: Column, col) -> bool:
    """An integer column written in words or numerals a vocabulary knows (a GVHD grade as 'IV', 'two', 'none'):
    it fits although its cells are no numbers (the value map turns them into numbers)."""
    if sc.type != "integer":
        return False
    v = vocabs.for_column(table, sc.name)
    return content_share(col, v, f"{table}.{sc.name}") >= 0.8


def content_share(col, vocab, key: str) -> float:
    """Share of a column's non-empty cells whose value the vocabulary gives a code for ``key`` (table.column)."""
    if vocab is None or not col.non_empty:
        return 0.0
    known = sum(n for v, n in col.values if vocab.lookup(v, key) is not None)
    return known / col.non_empty


def match_columns(vocabs: Vocabularies, table: str, columns: list, exclude: set[str] = frozenset(),
                  prefix: str = "") -> list[Match]:
    """The one-to-one assignment of ``columns`` (ColumnProfile-like, ``header`` names) to ``table``'s columns.

    ``prefix``: for the fields of a repeated group, its prefix ("relapse"), also tried before the field name."""
    t: Table = BY_NAME[table]
    cands = []
    for j, col in enumerate(columns):
        h = col.header
        if not h or h in exclude:
            continue
        for i, sc in enumerate(t.columns):
            if table == "therapies" and sc.name == "cycles" and squash(h) in CYCLE_INDEX:
                continue
            syns = synonyms(vocabs, table, sc.name)
            s, sure = name_score(h, syns)
            if prefix:
                s2, sure2 = name_score(f"{prefix} {h}", syns)
                if (s2, sure2) > (s, sure):
                    s, sure = s2, sure2
            how = "synonym" if sure else "similar name"
            if not fits(col, sc) and not _coded_number(vocabs, table, sc, col):
                continue
            if sc.name == "patient_id" and not sure and getattr(col, "id_like", False):
                s, how = max(s, LIKELY_MIN), "content"
            if not sure and s < LIKELY_MIN:
                if sc.type != "category" or s < CONTENT_MIN:
                    continue
                v = vocabs.for_column(table, sc.name)
                if content_share(col, v, f"{table}.{sc.name}") < 0.8:
                    continue
                how = "content"
                s = LIKELY_MIN
            cands.append((-s, i, j, Match(h, sc.name, s, sure, how)))
    cands.sort(key=lambda c: c[:3])
    used_cols: set[str] = set()
    used_heads: set[str] = set()
    out: list[Match] = []
    for _, _, _, m in cands:
        if m.column in used_cols or m.header in used_heads:
            continue
        used_cols.add(m.column)
        used_heads.add(m.header)
        out.append(m)
    return out


__all__ = ["Match", "TableFit", "match_columns", "name_score", "sheet_score", "fits", "DRAFT_TABLES",
           "CONSTANT_OK", "synonyms", "header_keys"]
