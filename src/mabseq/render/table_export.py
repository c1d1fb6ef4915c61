"""Tables as objects a user can restyle: a table of the results as a pandas DataFrame of display strings, as one CSV
per table, or as a great_tables ``GT`` object (the Python port of R's gt, which gtsummary tables become), so a
statistician can restyle Table 1 in a notebook without re-running the study.

Nothing is computed here: the cells are those of :func:`mabseq.render.tables.grid` (the same strings the report and
tables.docx show); this only changes the container. ``great_tables`` is optional (``pip install great_tables``).

    from mabseq.results.load import load_results
    from mabseq.render.table_export import to_great_tables
    gt = to_great_tables(load_results("out/results.json"), "table1")
"""
from __future__ import annotations

import pandas as pd

from ..results.records import ResultSet
from ..safe_text import frame_to_csv
from .tables import grid


def table_frame(results: ResultSet, table_id: str) -> pd.DataFrame:
    """One row per table row: the header's columns as display strings, then ``indent`` (0 = top level) and
    ``row_kind`` ("header" for a section row without numbers, else how its cells were formatted)."""
    if table_id not in results.tables:
        raise KeyError(f"no table {table_id!r}; the results hold {', '.join(results.tables) or 'none'}")
    g = grid(results, results.tables[table_id])
    df = pd.DataFrame(g.rows, columns=g.header)
    df["indent"] = g.indents
    df["row_kind"] = g.kinds
    return df


def table_csvs(results: ResultSet) -> dict[str, str]:
    """``tables/<id>.csv`` for every table (formula-safe cells, ``safe_text.frame_to_csv``), and the footnotes of each
    in ``tables/<id>_footnotes.txt`` when it has any."""
    out = {}
    for tid, spec in results.tables.items():
        out[f"tables/{tid}.csv"] = frame_to_csv(table_frame(results, tid))
        if spec.footnotes:
            out[f"tables/{tid}_footnotes.txt"] = "\n".join(spec.footnotes) + "\n"
    return out


def to_great_tables(results: ResultSet, table_id: str):
    """The table as a ``great_tables.GT``: title, the row labels as the stub (indented as in the report), section
    rows as row groups, footnotes as source notes."""
    try:
        from great_tables import GT
    except ImportError as e:  # optional: the rest of mabseq does not need it
        raise ImportError("to_great_tables needs the great_tables package: pip install great_tables") from e
    spec = results.tables[table_id]
    df = table_frame(results, table_id)
    label = df.columns[0]
    group, groups = "", []
    for kind, text in zip(df["row_kind"], df[label]):
        group = text if kind == "header" else group
        groups.append(group)
    df = df.assign(_group=groups)
    body = df[df["row_kind"] != "header"].reset_index(drop=True)
    has_groups = bool(body["_group"].ne("").any())
    gt = GT(body.drop(columns=["row_kind"] + ([] if has_groups else ["_group"])), rowname_col=label,
            groupname_col="_group" if has_groups else None)
    gt = gt.tab_header(title=spec.title).cols_hide(columns=["indent"])
    for level in sorted(set(body["indent"]) - {0}):
        gt = gt.tab_stub_indent(rows=[int(i) for i in body.index[body["indent"] == level]], indent=int(level) * 2)
    for note in spec.footnotes:
        gt = gt.tab_source_note(note)
    return gt
