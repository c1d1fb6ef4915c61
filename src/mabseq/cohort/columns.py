"""From a header row and data rows (a sheet or a CSV file) to a :class:`RawTable` under the schema's column names.

Rules:

- a header cell is matched through the mapping file, then by its normalized name (``Dx Date`` -> ``dx_date``);
  one that matches nothing is an unknown column (a warning, in :mod:`mabseq.cohort.coerce`);
- two header cells that land on one schema column: ``column.duplicate`` (error); the second is not read;
- a column with no header that holds values: ``column.no_header`` (warning, with the count and the first row),
  since its values are ignored and nothing may be dropped silently;
- header cells are shown as the user wrote them (a number header ``2020``, not ``2020.0``).
"""
from __future__ import annotations

from itertools import zip_longest

import numpy as np
import pandas as pd

from .findings import ERROR, WARNING, Findings, plain, quote
from .mapping_file import Mapping
from .model import RawTable


def header_text(h) -> str:
    return plain(h).strip()


def _blank(v) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def plan_columns(table: str, header: list, mapping: Mapping, source: str, findings: Findings
                 ) -> tuple[list[str | None], dict[str, str], list[str]]:
    """For each header cell, the schema column it fills (None: not read); the labels; the unknown headers."""
    canon: list[str | None] = []
    labels: dict[str, str] = {}
    unknown: list[str] = []
    for h in header:
        h = header_text(h)
        if not h:
            canon.append(None)
            continue
        name = mapping.column_name(table, h)
        if name is None:
            unknown.append(h)
            canon.append(None)
            continue
        if name in labels:
            findings.add(ERROR, "column.duplicate", f"two columns map to {name} ({quote(labels[name])} and "
                         f"{quote(h)}); keep one", source, table, None, h)
            canon.append(None)
            continue
        labels[name] = h
        canon.append(name)
    return canon, labels, unknown


def _columns(rows) -> list:
    if isinstance(rows, np.ndarray):
        return [rows[:, j] for j in range(rows.shape[1])]
    return list(zip_longest(*rows, fillvalue=None)) if rows else []


def _no_header(columns: list, j: int, numbers: list[int], where: str, source: str, table: str,
               findings: Findings) -> None:
    filled = [i for i, v in enumerate(columns[j]) if not _blank(v)]
    if filled:
        findings.add(WARNING, "column.no_header", f"a column without a header ({where}) holds {len(filled):,} "
                     f"values (first in row {numbers[filled[0]]}); they are ignored", source, table,
                     numbers[filled[0]], where)


def raw_table(table: str, header: list, rows, numbers: list[int], source: str, mapping: Mapping,
              findings: Findings, *, column_name=None, plan=None) -> RawTable:
    """The RawTable of ``rows`` (a list of rows, or a 2-D object array; ``numbers[i]`` is the row number the user
    sees for row ``i``).

    ``column_name(j)`` names column ``j`` in a message when it has no header (a letter in a sheet); ``plan`` is a
    result of :func:`plan_columns` already made."""
    canon, labels, unknown = plan if plan is not None else plan_columns(table, header, mapping, source, findings)
    columns = _columns(rows)
    for j in range(len(columns)):
        if j < len(canon) and (canon[j] is not None or header_text(header[j])):
            continue
        if j >= len(canon) and column_name is None:
            continue  # in a CSV file, fields past the header are row.too_many_fields
        where = column_name(j) if column_name else f"field {j + 1}"
        _no_header(columns, j, numbers, where, source, table, findings)
    picked = [(name, j) for j, name in enumerate(canon) if name]
    n = len(numbers)
    if isinstance(rows, np.ndarray) and picked and all(j < rows.shape[1] for _, j in picked):
        frame = pd.DataFrame(rows[:, [j for _, j in picked]], columns=[name for name, _ in picked],
                             index=range(n), dtype=object)
    else:
        data = {name: (list(columns[j]) if j < len(columns) else [None] * n) for name, j in picked}
        frame = pd.DataFrame(data, index=range(n), dtype=object)
    return RawTable(table, frame, source, list(numbers), labels, unknown)


__all__ = ["plan_columns", "raw_table", "header_text"]
