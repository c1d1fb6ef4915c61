"""The draft's per-column decisions beyond the header: value maps, number parsers and date formats.

- **Value maps** list EVERY distinct source value of a coded column (values that differ only in case or spaces
  are one key, since the mapping matches them alike), most frequent first, each with its cell count, and the code
  the vocabulary suggests for it, or ``TODO``. A value that is already the schema's code or label is mapped to
  that code. Empty cells are not mapped: they stay empty (missing), never "no".
- **Number parsers** follow the patterns the scan counted: percent text -> ``unit: percent``; ``<x``/``>x``/
  ``approx x`` -> ``below``/``above``/``approx: TODO`` (a person chooses the rule: it changes the numbers); words
  of the negative list -> ``negative: [...]`` (value 0), of the missing list -> ``missing: [...]``; any other word
  -> ``missing: [TODO]``; ``3 (stopped early)`` -> ``leading: true``; ``1,5`` -> ``decimal: ","``. A fraction
  column (MRD) whose cells carry no ``%`` and whose header does not say percent gets ``unit: TODO``: 0.01 may be a
  fraction or a percent, and only the center knows.
- **Dates**: text dates get the column's formats; a column that both day-first and month-first read, with no
  cell that only one of them reads, gets ``date: TODO``. Real Excel dates (ISO text) need no format.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..cohort.schema import Column
from ..scan.patterns import classify
from .vocab import Vocabularies, norm

TODO = "TODO"
_PERCENT_HEADER = re.compile(r"%|\bpct\b|percent", re.I)


@dataclass
class Decision:
    """One drafted item: what it is, whether a person must decide (todo) and whether it is sure."""
    todo: int = 0
    likely: int = 0
    notes: list[str] = field(default_factory=list)


@dataclass
class ValueRow:
    key: str          # the source value as written (its most frequent spelling)
    count: int
    code: str         # a code, or TODO
    note: str = ""    # how the code was found ("similar to ...", "pattern", "other spellings ...")


def grouped_values(col) -> list[tuple[str, int, list[str]]]:
    """(spelling, cells, other spellings) per value, grouped as the mapping matches (case and spaces ignored)."""
    groups: dict[str, list] = {}
    for v, n in col.values:
        k = norm(v)
        if not k:
            continue
        g = groups.setdefault(k, [v.strip(), 0, []])
        if v.strip() != g[0] and v.strip() not in g[2]:
            g[2].append(v.strip())
        g[1] += n
    out = [(g[0], g[1], g[2]) for g in groups.values()]
    out.sort(key=lambda t: (-t[1], t[0]))
    return out


def _label_code(sc: Column, value: str) -> str | None:
    n = norm(value)
    for code, label in sc.choices:
        if n in (norm(code), norm(label)):
            return code
    return None


def value_rows(vocabs: Vocabularies, table: str, sc: Column, col, d: Decision, books=()) -> list[ValueRow]:
    """The value map of a coded column (also an integer column whose cells are words, such as a GVHD grade).
    ``books``: the code books of DATA (:mod:`.draft_codebook`); a value they list is read through its label."""
    from .draft_codebook import label_of
    key = f"{table}.{sc.name}"
    vocab = vocabs.for_column(table, sc.name)
    rows = []
    for spelling, n, others in grouped_values(col):
        note = f"also written {', '.join(repr(o) for o in others)}" if others else ""
        label = label_of(books, col.header, spelling) if books else None
        if label is not None:
            note = "; ".join(x for x in (f"code book: {label!r}", note) if x)
            spelling_read = label
        else:
            spelling_read = spelling
        code = _label_code(sc, spelling_read) if sc.type == "category" else None
        how = "exact"
        if code is None and sc.type == "integer" and label is None and re.fullmatch(r"\d+", spelling.strip()):
            code = str(int(spelling))
        if code is None and vocab is not None:
            s = vocab.lookup(spelling_read, key)
            if s is not None:
                code, how = s.code, s.how
        if code is None:
            rows.append(ValueRow(spelling, n, TODO, note))
            d.todo += 1
            continue
        if how == "similar":
            d.likely += 1
            note = "; ".join(x for x in ("similar to a known term", note) if x)
        rows.append(ValueRow(spelling, n, code, note))
    return rows


def drug_rows(vocabs: Vocabularies, what: str, col, d: Decision) -> list[ValueRow]:
    """therapy_class (``what="class"``), agents (``"agents"``: every agent, ';'-separated) or the regimen
    (``"regimen"``: the vocabulary's names of the parts, joined by " + ") for every distinct free-text course."""
    rows = []
    for spelling, n, others in grouped_values(col):
        m = vocabs.drugs.lookup(spelling)
        note = f"also written {', '.join(repr(o) for o in others)}" if others else ""
        if m is None and what == "regimen":  # a name the vocabulary does not know is kept as the center wrote it
            rows.append(ValueRow(spelling, n, spelling, "; ".join(x for x in ("kept as written", note) if x)))
            continue
        if m is None:
            rows.append(ValueRow(spelling, n, TODO, note))
            d.todo += 1
            continue
        if not m.sure and what == "regimen":
            note = "; ".join(x for x in (f"read as {' + '.join(m.parts)} (similar name)", note) if x)
        elif not m.sure:
            d.likely += 1
            note = "; ".join(x for x in (f"read as {' + '.join(m.parts)} (similar name)", note) if x)
        code = m.therapy_class if what == "class" else (";".join(m.agents) if what == "agents" else
                                                         " + ".join(m.parts))
        rows.append(ValueRow(spelling, n, code, note))
    return rows


_HLA = re.compile(r"(\d{1,2})\s*/\s*(\d{1,2})")


def hla_rows(which: str, col, d: Decision) -> list[ValueRow]:
    """hla_matched (``which="matched"``) or hla_typed from wording such as ``8/8``, ``7/8 MMUD``, ``10/10``: the
    numerator or the denominator (a number parser would read 7/8 as 0.875). A value without a fraction is TODO
    (a bare number is the matched count; what was typed is then unknown)."""
    rows = []
    for spelling, n, others in grouped_values(col):
        note = f"also written {', '.join(repr(o) for o in others)}" if others else ""
        m = _HLA.search(spelling)
        code = None
        if m:
            code = str(int(m.group(1) if which == "matched" else m.group(2)))
        elif which == "matched" and re.fullmatch(r"\s*\d{1,2}\s*", spelling):
            code = str(int(spelling))
        if code is None:
            d.todo += 1
            code = TODO
        rows.append(ValueRow(spelling, n, code, note))
    return rows


def cns_rows(vocabs: Vocabularies, col, d: Decision, books=()) -> list[ValueRow]:
    """cns_involved from the site wording of an event: "yes" when the site names the CNS (``CNS``, ``BM + CNS``),
    "no" when it names an isolated site that is not the CNS (``BM``, ``MRD only``, ``testis``); anything else
    (``combined`` without saying where) is TODO."""
    from .draft_codebook import label_of
    v = vocabs.for_column("disease_events", "site")
    rows = []
    for spelling, n, others in grouped_values(col):
        note = f"also written {', '.join(repr(o) for o in others)}" if others else ""
        label = label_of(books, col.header, spelling) if books else None
        read = spelling if label is None else label
        if label is not None:
            note = "; ".join(x for x in (f"code book: {label!r}", note) if x)
        s = v.lookup(read, "disease_events.site") if v else None
        if re.search(r"\b(cns|csf|cerebr|mening|brain|zns|liquor)", read, re.I):
            code = "yes"
        elif s is not None and s.code in ("marrow", "mrd_only", "extramedullary"):
            code = "no"
        else:
            code = TODO
            d.todo += 1
        rows.append(ValueRow(spelling, n, code, note))
    return rows


def has_hla_fractions(col) -> bool:
    return any(_HLA.search(v) for v, _ in col.values)


def all_integers(col) -> bool:
    return all(re.fullmatch(r"\s*[+-]?\d+\s*", v) for v, _ in col.values)


def number_parser(vocabs: Vocabularies, sc: Column, col, header: str, decimal: str, d: Decision
                  ) -> tuple[dict, list[str]]:
    """The ``number:`` rules for a number column (empty dict: plain numbers need none) and comments."""
    spec: dict = {}
    notes: list[str] = []
    kinds: dict[str, list[tuple[str, int]]] = {}
    for v, n in col.values:
        kinds.setdefault(classify(v), []).append((v.strip(), n))

    def count(kind: str) -> int:
        return sum(n for _, n in kinds.get(kind, []))

    # a cell with a % sign is always read as percent: `unit` is about the bare numbers only
    bare = sum(n for v, n in col.values if "%" not in v and classify(v) in
               ("integer", "number", "decimal_comma", "below", "above", "approx", "leading_number"))
    pct_cells = sum(n for v, n in col.values if "%" in v)
    if sc.unit == "fraction" and bare:
        if _PERCENT_HEADER.search(header):
            spec["unit"] = "percent"
            notes.append("unit: percent (the header says %)")
        else:
            spec["unit"] = TODO
            d.todo += 1
            ex = next(v.strip() for v, n in col.values if "%" not in v and classify(v) in
                      ("integer", "number", "decimal_comma", "below", "above", "approx", "leading_number"))
            notes.append(f"unit: TODO: {bare} cells are bare numbers (e.g. {ex!r}): fraction (0.0001) or percent "
                         f"(0.01)?" + (f" ({pct_cells} cells with a % sign are read as percent)" if pct_cells else ""))
    elif sc.unit == "%" and bare and not _PERCENT_HEADER.search(header) and \
            all(_small(v) for v, _ in col.values if "%" not in v and classify(v) in ("integer", "number")):
        spec["unit"] = TODO
        d.todo += 1
        notes.append("unit: TODO: every bare number is at most 1: percent (0.5 %) or fraction (50 %)?")
    for kind, key, example in (("below", "below", "<x"), ("above", "above", ">x"), ("approx", "approx", "approx x")):
        n = count(kind)
        if n:
            spec[key] = TODO
            d.todo += 1
            shown = ", ".join(repr(v) for v, _ in kinds[kind][:3])
            choices = "limit, half, zero or missing" if key == "below" else (
                "limit or missing" if key == "above" else "value or missing")
            notes.append(f"{key}: TODO ({n} cells like {shown}): choose {choices}")
    neg, mis, other = [], [], []
    for kind in ("negative_word", "text", "text_date"):
        for v, n in kinds.get(kind, []):
            k = norm(v)
            if k in vocabs.negative_words or kind == "negative_word":
                neg.append((v, n))
            elif k in vocabs.missing_words:
                mis.append((v, n))
            else:
                other.append((v, n))
    lead = kinds.get("leading_number", [])
    if lead:
        spec["leading"] = True
        notes.append(f"leading: true ({sum(n for _, n in lead)} cells like {lead[0][0]!r} are read as their "
                     "leading number)")
    if neg:
        spec["negative"] = [v for v, _ in neg]
        notes.append(f"negative: {sum(n for _, n in neg)} cells read as 0")
        if sc.name == "mrd_value":
            notes.append("the assay's limit of detection goes in mrd_lod")
    if mis or other:
        spec["missing"] = [v for v, _ in mis] + ([TODO] if other else [])
        if mis:
            notes.append(f"missing: {sum(n for _, n in mis)} cells without a result stay empty")
        if other:
            d.todo += 1
            shown = ", ".join(f"{v!r} ({n})" for v, n in other[:5]) + (" ..." if len(other) > 5 else "")
            notes.append(f"TODO: {sum(n for _, n in other)} cells are not numbers: {shown}; list each under "
                         "negative (0) or missing (empty), or correct the sheet")
    if decimal != "," and count("decimal_comma"):
        spec["decimal"] = ","
        notes.append(f'decimal: "," ({count("decimal_comma")} cells like {kinds["decimal_comma"][0][0]!r})')
    return spec, notes


def _small(v: str) -> bool:
    try:
        return float(v) <= 1
    except ValueError:
        return False


def date_rule(col, elsewhere: dict[str, int] | None = None) -> tuple[object, list[str], int]:
    """(the ``date:`` value or None, comments, TODO count) for a date column. ``elsewhere``: the formats other
    columns of DATA read without doubt, named in the comment of an undecided column (never chosen for it: a
    center's sheets may be written differently)."""
    fmts = {f: n for f, n in (col.date_formats or {}).items() if f != "%Y-%m-%d"}
    notes = []
    if not fmts:
        return None, notes, 0
    twins = [f for f in fmts if _twin(f) in fmts]
    if twins:
        a, b = sorted(twins)[:2]
        notes.append(f"date: TODO: {fmts[a]} cells read as {a} and {fmts[b]} as {b}; no cell settles day or "
                     "month first")
        hint = [f for f in (a, b) if (elsewhere or {}).get(f)]
        if len(hint) == 1:
            notes.append(f"other columns of DATA are written {hint[0]} ({elsewhere[hint[0]]} cells)")
        return TODO, notes, 1
    chosen = sorted(fmts, key=lambda f: (-fmts[f], f))
    notes.append("text dates: " + ", ".join(f"{f} ({fmts[f]} cells)" for f in chosen))
    return (chosen[0] if len(chosen) == 1 else chosen), notes, 0


def _twin(fmt: str) -> str | None:
    if fmt.startswith("%d") and fmt[3:5] == "%m":
        return "%m" + fmt[2] + "%d" + fmt[5:]
    if fmt.startswith("%m") and fmt[3:5] == "%d":
        return "%d" + fmt[2] + "%m" + fmt[5:]
    return None


__all__ = ["TODO", "Decision", "ValueRow", "value_rows", "drug_rows", "hla_rows", "has_hla_fractions", "number_parser", "date_rule",
           "grouped_values", "all_integers"]
