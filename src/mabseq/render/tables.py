"""Tables as grids of display strings, from a TableSpec and the records (no computation; display rules only). A
suppressed record (results/suppression.py) shows its marker (``<5``, ``*``) instead of a number, and a count's
percentage is then left out."""
from __future__ import annotations

from dataclasses import dataclass

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


def _pct_id(n_id: str) -> str:
    return n_id.replace("_n_", "_pct_", 1) if "_n_" in n_id else (n_id[:-2] + "_pct" if n_id.endswith("_n") else "")


def cell(results: ResultSet, rid: str, kind: str, decimals: int | None = None, pct_style: str = "paren") -> str:
    """Format one cell: 'n (x.x)' for counts, 'median (q1-q3)' or 'median (min-max)' for summaries."""
    if not rid or rid not in results.records:
        return ""
    r = results.records[rid]
    if r.suppressed:
        return r.suppressed
    if kind == "n_pct":
        pid = _pct_id(rid)
        pr = results.records.get(pid)
        n = fmt_num(r.value, 0)
        if pr is None or pr.value is None or pr.suppressed:
            return n
        pct = fmt_num(pr.value, pr.decimals if pr.decimals is not None else 1)
        return f"{n} ({pct}%)" if pct_style == "percent" else f"{n} ({pct})"
    if kind in ("median_iqr", "median_range"):
        base = rid[: -len("_median")] if rid.endswith("_median") else rid.rsplit("_median", 1)[0]
        suffix = "" if rid.endswith("_median") else rid.rsplit("_median", 1)[1]
        lo, hi = ("q1", "q3") if kind == "median_iqr" else ("min", "max")
        d = decimals if decimals is not None else (r.decimals or 0)
        med = fmt_num(r.value, d)
        a = results.records.get(f"{base}_{lo}{suffix}")
        b = results.records.get(f"{base}_{hi}{suffix}")
        if a is None or b is None or a.value is None:
            return med
        dd = 1 if (base.endswith("cd34_dose") and kind == "median_iqr") else d
        return f"{med} ({fmt_num(a.value, dd)}-{fmt_num(b.value, dd)})"
    return fmt_num(r.value, r.decimals or 0)


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


def grid(results: ResultSet, spec: TableSpec) -> Grid:
    rows, indents, kinds = [], [], []
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
        if has_p:
            p = row.get("p")
            untested = "" if (not p or spec.conventions == "gtsummary") else "NA"  # gtsummary leaves it blank
            cells.append(format_p(results.records[p].value, spec.conventions) if p and p in results.records and
                         results.records[p].value is not None else untested)
        rows.append(cells)
        indents.append(row.get("indent", 0))
        kinds.append(row["kind"])
    return Grid(spec.title, list(spec.columns), rows, indents, kinds, list(spec.footnotes))


def na_reasons(results: ResultSet, spec: TableSpec) -> list[str]:
    """Why the table's empty cells (NA, an em dash, a blank p-value) are empty: the notes of the records without a
    value that its rows point at, each once, in row order. The reasons are the results' (set where the value was
    not computed); this only gathers them."""
    out: dict[str, None] = {}
    for row in spec.rows:
        ids = list(row.get("cells", [])) + [row.get("p") or ""]
        for key in ("pct", "lo", "hi"):
            ids += list(row.get(key, []))
        if row.get("kind") == "n_pct":
            ids += [_pct_id(i) for i in row.get("cells", []) if i]
        for rid in ids:
            r = results.records.get(rid) if rid else None
            if r is not None and r.value is None and r.note:
                out[r.note] = None
    return list(out)
