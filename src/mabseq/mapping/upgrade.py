"""``mabseq map upgrade``: the rename-only JSON mapping (``{"tables", "columns", "study"}``) as a YAML mapping of
format 1 that gives the same cohort.

The JSON mapping also matched names implicitly: a sheet (or CSV file) named like a schema table, and a header
named like a schema column, needed no entry. Those are known only from DATA, so with ``data`` every sheet/file the
JSON mapping would read becomes a source and every header it would read a column; without it only the explicit
entries are written (and the caller says so). ``study`` values become a block of constants. The text is built by
hand (a fixed key order, every string quoted) so that it is deterministic and needs no YAML writer.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from ..cohort.findings import Findings
from ..cohort.mapping_file import Mapping, norm_name


def _q(s) -> str:
    return json.dumps(str(s), ensure_ascii=False)  # a JSON string is a valid YAML double-quoted scalar


def _source_name(name: str, used: set[str]) -> str:
    base = re.sub(r"[^0-9a-z]+", "_", name.lower()).strip("_") or "source"
    n, k = base, 2
    while n in used:
        n, k = f"{base}_{k}", k + 1
    used.add(n)
    return n


def upgrade_json(json_path: Path, findings: Findings, data: Path | None = None) -> str | None:
    """The YAML text of the upgraded mapping, or None (with the JSON mapping's ERROR findings)."""
    since = len(findings.errors)
    m = Mapping.load(json_path, findings)
    if len(findings.errors) > since:
        return None
    entries: list[tuple[str, str, str, list[tuple[str, str]]]] = []   # (kind, name, table, [(column, header)])
    if data is not None:
        from ..cohort.grid import read_grids
        for g in read_grids(data, findings):
            name = g.name if g.kind == "sheet" else Path(g.name).stem
            table = m.table_name(name)
            if table is None or not g.cells:
                continue
            cols = []
            for h in g.cells[0]:
                c = m.column_name(table, h) if h.strip() else None
                if c is not None and c not in {x for x, _ in cols}:
                    cols.append((c, h))
            entries.append((g.kind, g.name, table, cols))
        if len(findings.errors) > since:
            return None
    else:
        for key, table in m.tables.items():
            cols = [(c, h) for h, c in m.columns.get(table, {}).items()]
            entries.append(("sheet", key, table, cols))
    lines = ["mabseq_mapping: 1", f"# upgraded from {json_path.name} by mabseq map upgrade", "",
             "ids: {strip: false, case: keep}", "", "sources:"]
    used: set[str] = set()
    names = []
    for kind, name, _, _ in entries:
        s = _source_name(name, used)
        names.append(s)
        lines.append(f"  {s}: {{{kind}: {_q(name)}}}")
    lines += ["", "tables:"]
    by_table: dict[str, list[str]] = {}
    for s, (_, _, table, cols) in zip(names, entries):
        block = [f"    - from: {s}", "      columns:"] + [f"          {c}: {_q(h)}" for c, h in cols]
        if not cols:
            block = block[:1] + ["      columns: {}"]
        by_table.setdefault(table, []).extend(block)
    if m.study:
        by_table.setdefault("study", []).extend(
            ["    - columns:"] + [f"          {k}: {{value: {_q(v)}}}" for k, v in m.study.items()])
    from ..cohort.schema import TABLES
    for t in TABLES:
        if t.name in by_table:
            lines.append(f"  {t.name}:")
            lines += by_table[t.name]
    if len(lines) and lines[-1] == "tables:":
        lines.append("  {}")
    return "\n".join(lines) + "\n"


__all__ = ["upgrade_json", "norm_name"]
