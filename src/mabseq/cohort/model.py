"""The cohort in memory: one typed DataFrame per schema table, and the raw tables importers hand over.

Canonical dtypes (so that every storage round trip gives identical frames): ``string`` and ``category`` columns
are pandas ``string``; ``integer`` is ``Int64``; ``number`` is ``Float64``; ``date`` is ``datetime64[s]``. Rows are
sorted by the table's key.

Where each row came from is kept as arrays (:class:`RowLocations`), not one tuple per row, so that a cohort of
millions of rows costs no per-row Python objects until a finding asks for one location.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .schema import BY_NAME, TABLES, Table

DTYPES = {"string": "string", "category": "string", "integer": "Int64", "number": "Float64",
          "date": "datetime64[s]", "boolean": "boolean"}


@dataclass
class RawTable:
    """A table as an importer read it: untyped values under canonical column names, and where each row came from.

    ``rows[i]`` is the row number the user sees for ``frame.iloc[i]`` (spreadsheet row or CSV line); ``header``
    maps each canonical column to the name the user wrote (after the column-mapping file). ``refused_columns``
    are columns the importer found but could not hand over (a stored column of the wrong type, already reported):
    they are not reported again as missing.
    """

    name: str
    frame: pd.DataFrame
    source: str
    rows: list[int]
    header: dict[str, str] = field(default_factory=dict)
    unknown_columns: list[str] = field(default_factory=list)
    refused_columns: list[str] = field(default_factory=list)


class RowLocations:
    """``(source, row)`` of every row of a table, held as two arrays: ``part[i]`` indexes ``sources``."""

    def __init__(self, sources, part, row):
        self.sources = list(sources)
        self.part = np.asarray(part, dtype=np.int32)
        self.row = np.asarray(row, dtype=np.int64)

    @classmethod
    def single(cls, source: str, rows) -> "RowLocations":
        rows = np.asarray(rows, dtype=np.int64)
        return cls([source], np.zeros(len(rows), dtype=np.int32), rows)

    def take(self, order) -> "RowLocations":
        return RowLocations(self.sources, self.part[order], self.row[order])

    def __len__(self) -> int:
        return len(self.row)

    def __getitem__(self, i: int) -> tuple[str, int]:
        return self.sources[int(self.part[i])], int(self.row[i])

    def __iter__(self):
        for p, r in zip(self.part.tolist(), self.row.tolist()):
            yield self.sources[p], r


def empty_frame(table: Table) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series([], dtype=DTYPES[c.type]) for c in table.columns})


def canonical_column(s: pd.Series, type_: str) -> pd.Series:
    """``s`` in the canonical dtype of a column of ``type_`` (no copy when it already is)."""
    dt = DTYPES[type_]
    if s.dtype == dt:
        return s
    if type_ == "date":
        return pd.to_datetime(s).astype(dt)
    if dt == "Float64" and s.dtype in (np.float64, np.float32, np.int64, np.int32):
        return s.astype(dt)  # numpy numbers to Float64 directly: NaN becomes NA, as through Python objects
    return s.astype(object).where(pd.notna(s), None).astype(dt)


def key_order(frame: pd.DataFrame, table: Table) -> np.ndarray:
    """Positions of ``frame``'s rows sorted by the table's key (stable, missing values last; text by code point)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    keys = [k for k in table.key if k in frame.columns]
    if not len(frame) or not keys:
        return np.arange(len(frame), dtype=np.int64)
    arrays = {}
    for k in keys:
        a = pa.array(canonical_column(frame[k], table[k].type).reset_index(drop=True), from_pandas=True)
        arrays[k] = a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a
    order = pc.sort_indices(pa.table(arrays), sort_keys=[(k, "ascending") for k in keys])
    return np.asarray(order.to_numpy(zero_copy_only=False), dtype=np.int64)


def conform(df: pd.DataFrame, table: Table, order: np.ndarray | None = None) -> pd.DataFrame:
    """Columns in schema order with canonical dtypes, rows sorted by key (stable, or in ``order``), index 0..n-1."""
    n = len(df)
    out = {}
    for c in table.columns:
        s = df[c.name] if c.name in df.columns else pd.Series([None] * n, dtype=object)
        out[c.name] = canonical_column(s.reset_index(drop=True), c.type)
    frame = pd.DataFrame(out, columns=table.column_names)
    if n:
        if order is None:
            order = key_order(frame, table)
        if not np.array_equal(order, np.arange(n)):
            frame = frame.take(order).reset_index(drop=True)
    return frame


@dataclass
class Cohort:
    """A validated cohort: ``cohort["patients"]`` etc. Every schema table is present (possibly empty)."""

    tables: dict[str, pd.DataFrame]
    source: str = ""
    locations: dict[str, RowLocations] = field(default_factory=dict, repr=False)
    table_sources: dict[str, str] = field(default_factory=dict, repr=False)

    def __post_init__(self):
        for t in TABLES:
            df = self.tables.get(t.name)
            self.tables[t.name] = empty_frame(t) if df is None else df

    def __getitem__(self, name: str) -> pd.DataFrame:
        return self.tables[name]

    @property
    def cutoff(self):
        return self.tables["study"]["data_cutoff"].iloc[0]

    @property
    def patient_ids(self) -> list[str]:
        return list(self.tables["patients"]["patient_id"].tolist())

    def equals(self, other: "Cohort") -> bool:
        return all(self[t.name].equals(other[t.name]) for t in TABLES)

    def conformed(self) -> "Cohort":
        return Cohort({t.name: conform(self[t.name], BY_NAME[t.name]) for t in TABLES}, self.source)
