"""Tables as grids of display strings, from a TableSpec and the records (no computation; display rules only)."""
from __future__ import annotations

from dataclasses import dataclass

from ..results.format import fmt_num, fmt_p
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
    if kind == "n_pct":
        pid = _pct_id(rid)
        pr = results.records.get(pid)
        n = fmt_num(r.value, 0)
        if pr is None or pr.value is None:
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


def grid(results: ResultSet, spec: TableSpec) -> Grid:
    rows, indents, kinds = [], [], []
    has_p = spec.columns and spec.columns[-1] == "P"
    for row in spec.rows:
        cells = [row["label"]]
        for rid in row.get("cells", []):
            cells.append(cell(results, rid, row["kind"], row.get("decimals"), spec.pct_style))
        while len(cells) < len(spec.columns) - (1 if has_p else 0):
            cells.append("")
        if has_p:
            p = row.get("p")
            cells.append(fmt_p(results.records[p].value) if p and p in results.records and
                         results.records[p].value is not None else ("" if not p else "NA"))
        rows.append(cells)
        indents.append(row.get("indent", 0))
        kinds.append(row["kind"])
    return Grid(spec.title, list(spec.columns), rows, indents, kinds, list(spec.footnotes))
