"""Tables as grids of display strings, from a TableSpec and the records (no computation; display rules only). A
suppressed record (results/suppression.py) shows its marker (``<5``, ``*``) instead of a number, and a count's
percentage is then left out."""
from __future__ import annotations

from dataclasses import dataclass, field

from ..results.format import fmt_num, format_p, style_percent
from ..results.records import ResultSet, TableSpec


@dataclass
class Grid:
    title: str
    header: list[str]
    rows: list[list[str]]
    indents: list[int]
    kinds: list[str]
    footnotes: list[str]
    strong: list[list[bool]] = field(default_factory=list)  # per cell: shown in bold (a P below the threshold)


FOOTNOTE_MARKS = ("\u2020", "\u2021", "\u00a7", "\u2016", "\u00b6")  # dagger, double dagger, section, ...


def cell(results: ResultSet, rid: str, kind: str, decimals: int | None = None, pct_style: str = "paren") -> str:
    """Format one cell: 'n (x.x)' for counts, 'median (q1-q3)' or 'median (min-max)' for summaries. The parts are
    the records of the same key with the statistics pct, q1/q3 or min/max (``ResultSet.sibling``), each at its own
    decimals (a row's ``decimals`` sets the median's)."""
    if not rid or rid not in results.records:
        return ""
    r = results.records[rid]
    if r.suppressed:
        return r.suppressed
    if kind == "n_pct":
        pr = results.sibling(r, "pct")
        n = fmt_num(r.value, 0)
        if pr is None or pr.value is None or pr.suppressed:
            return n
        pct = fmt_num(pr.value, pr.decimals if pr.decimals is not None else 1)
        return f"{n} ({pct}%)" if pct_style == "percent" else f"{n} ({pct})"
    if kind in ("median_iqr", "median_range"):
        med = fmt_num(r.value, decimals if decimals is not None else (r.decimals or 0))
        a, b = (results.sibling(r, st) for st in (("q1", "q3") if kind == "median_iqr" else ("min", "max")))
        if a is None or b is None or a.value is None:
            return med
        return f"{med} ({fmt_num(a.value, a.decimals or 0)}-{fmt_num(b.value, b.decimals or 0)})"
    return fmt_num(r.value, r.decimals or 0)


STATISTIC_LABELS = {"pct": "n/N (%), exact 95% CI", "estimate_pct": "estimate, % (95% CI)",
                    "hr": "hazard ratio (95% CI)", "p_value": "P"}
INTERVAL_STATISTICS = {"pct": ("ci_low_pct", "ci_high_pct"), "estimate_pct": ("ci_low_pct", "ci_high_pct"),
                       "hr": ("ci_low", "ci_high")}


def _limits(results: ResultSet, r) -> str:
    """'a-b' from the record's interval siblings, '' if it has none (or they are not estimable)."""
    if r.statistic not in INTERVAL_STATISTICS:
        return ""
    lo, hi = (results.sibling(r, st) for st in INTERVAL_STATISTICS[r.statistic])
    if lo is None or hi is None or lo.value is None or hi.value is None or lo.suppressed or hi.suppressed:
        return ""
    return f"{fmt_num(lo.value, lo.decimals or 0)}-{fmt_num(hi.value, hi.decimals or 0)}"


def with_interval(results: ResultSet, r, conventions: str = "paper") -> str:
    """A value of the analyses beyond the tables, with the interval the results hold for it: 'n/N (x%; exact 95%
    CI, a-b)' for a proportion, 'x% (95% CI, a-b)' for a survival or incidence estimate, 'HR (95% CI, a-b)' for a
    hazard ratio, the formatted P for a test."""
    if r.suppressed:
        return r.suppressed
    if r.value is None:
        return "NA"
    if r.statistic == "p_value":
        return format_p(r.value, conventions)
    if isinstance(r.value, str):
        return r.value
    v = fmt_num(r.value, r.decimals if r.decimals is not None else 2)
    ci = _limits(results, r)
    if r.statistic == "pct":
        n = results.sibling(r, "n")
        if n is not None and n.value is not None and not n.suppressed and r.denominator:
            return f"{fmt_num(n.value, 0)}/{r.denominator} ({v}%" + (f"; exact 95% CI, {ci})" if ci else ")")
        return f"{v}% (exact 95% CI, {ci})" if ci else f"{v}%"
    if r.statistic == "estimate_pct":
        return f"{v}% (95% CI, {ci})" if ci else f"{v}%"
    return f"{v} (95% CI, {ci})" if ci else v


EM_DASH = "\u2014"


def gts_cell(results: ResultSet, row: dict, j: int) -> str:
    """A cell in gtsummary's conventions: 'n (p%)' with style_percent, 'median (Q1, Q3)' at the record's decimals,
    a bare count ('Unknown' rows), or 'estimate% (low%, high%)' for a survival or incidence estimate; an em dash
    when the value cannot be estimated."""
    kind = row["kind"]
    r = results.records.get(row["cells"][j])
    if r is not None and r.suppressed:
        return r.suppressed
    if r is None or r.value is None:
        return EM_DASH
    if kind == "gts_count":
        return fmt_num(r.value, 0)
    if kind == "gts_n_pct":
        pr = results.records.get(row["pct"][j])
        return f"{fmt_num(r.value, 0)} ({style_percent(pr.value)}%)" if pr is not None and pr.value is not None \
            and not pr.suppressed else fmt_num(r.value, 0)
    lo, hi = results.records.get(row["lo"][j]), results.records.get(row["hi"][j])
    if kind == "gts_surv":
        out = f"{style_percent(r.value)}%"
        if lo is not None and lo.value is not None and hi is not None and hi.value is not None:
            out += f" ({style_percent(lo.value)}%, {style_percent(hi.value)}%)"
        return out
    d = r.decimals or 0

    def num(x):  # a median not reached ('NR') is not estimable: an em dash, as tbl_survfit shows it
        return EM_DASH if x is None or isinstance(x, str) else fmt_num(x, d)
    if lo is None or hi is None:
        return num(r.value)
    return f"{num(r.value)} ({num(lo.value)}, {num(hi.value)})"


def _p_cell(results: ResultSet, spec: TableSpec, row: dict) -> tuple[str, bool, str]:
    """The P column of a row: its display text, whether it is bold (below the table's ``p_threshold``) and the
    footnote its record carries."""
    p = row.get("p")
    r = results.records.get(p) if p else None
    if r is None or r.value is None:
        if r is not None and r.suppressed:
            return r.suppressed, False, ""
        return ("" if (not p or spec.conventions == "gtsummary") else "NA"), False, ""  # gtsummary leaves it blank
    bold = spec.p_threshold is not None and r.value < spec.p_threshold
    return format_p(r.value, spec.conventions), bold, r.footnote


def grid(results: ResultSet, spec: TableSpec) -> Grid:
    """The table as display strings. A value whose record carries a footnote gets a mark (dagger, double dagger,
    ... in the order the footnotes first appear) and the footnote joins the table's."""
    rows, indents, kinds, strong = [], [], [], []
    marks: dict[str, str] = {}
    has_p = spec.columns and spec.columns[-1] in ("P", "p-value")
    for row in spec.rows:
        cells = [row["label"]]
        for j, rid in enumerate(row.get("cells", [])):
            if row["kind"].startswith("gts_"):
                cells.append(gts_cell(results, row, j))
            else:
                cells.append(cell(results, rid, row["kind"], row.get("decimals"), spec.pct_style))
        while len(cells) < len(spec.columns) - (1 if has_p else 0):
            cells.append("")
        bold = [False] * len(cells)
        if has_p:
            text, is_bold, note = _p_cell(results, spec, row)
            if note:
                text += marks.setdefault(note, FOOTNOTE_MARKS[len(marks) % len(FOOTNOTE_MARKS)])
            cells.append(text)
            bold.append(is_bold)
        rows.append(cells)
        strong.append(bold)
        indents.append(row.get("indent", 0))
        kinds.append(row["kind"])
    notes = list(spec.footnotes) + [f"{m}{note}" for note, m in marks.items()]
    if spec.p_threshold is not None and any(any(b) for b in strong):
        notes.append(f"P values below {format_p(spec.p_threshold, spec.conventions)} are in bold.")
    return Grid(spec.title, list(spec.columns), rows, indents, kinds, notes, strong)


def na_reasons(results: ResultSet, spec: TableSpec) -> list[str]:
    """Why the table's empty cells (NA, an em dash, a blank p-value) are empty: the notes of the records without a
    value that its rows point at, each once, in row order. The reasons are the results' (set where the value was
    not computed); this only gathers them."""
    out: dict[str, None] = {}
    for row in spec.rows:
        ids = list(row.get("cells", [])) + [row.get("p") or ""]
        for key in ("pct", "lo", "hi"):
            ids += list(row.get(key, []))
        recs = [results.records.get(rid) if rid else None for rid in ids]
        if row.get("kind") in ("n_pct", "median_iqr", "median_range"):
            parts = {"n_pct": ("pct",), "median_iqr": ("q1", "q3"), "median_range": ("min", "max")}[row["kind"]]
            recs += [results.sibling(r, st) for r in recs[:len(row.get("cells", []))] if r is not None
                     for st in parts]
        for r in recs:
            if r is not None and r.value is None and r.note:
                out[r.note] = None
    return list(out)
