"""The cohort in memory: one typed DataFrame per schema table, and the raw tables importers hand over.

Canonical dtypes (so that every storage round trip gives identical frames): ``string`` and ``category`` columns
are pandas ``string``; ``integer`` is ``Int64``; ``number`` is ``Float64``; ``date`` is ``datetime64[s]``. Rows are
sorted by the table's key.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from .schema import BY_NAME, TABLES, Table

DTYPES = {"string": "string", "category": "string", "integer": "Int64", "number": "Float64",
          "date": "datetime64[s]", "boolean": "boolean"}


@dataclass
class RawTable:
    """A table as an importer read it: untyped values under canonical column names, and where each row came from.

    ``rows[i]`` is the row number the user sees for ``frame.iloc[i]`` (spreadsheet row or CSV line); ``header``
    maps each canonical column to the name the user wrote (after the column-mapping file).
    """

    name: str
    frame: pd.DataFrame
    source: str
    rows: list[int]
    header: dict[str, str] = field(default_factory=dict)
    unknown_columns: list[str] = field(default_factory=list)


def empty_frame(table: Table) -> pd.DataFrame:
    return pd.DataFrame({c.name: pd.Series([], dtype=DTYPES[c.type]) for c in table.columns})


def conform(df: pd.DataFrame, table: Table) -> pd.DataFrame:
    """Columns in schema order with canonical dtypes, rows sorted by key (stable), index 0..n-1."""
    out = {}
    for c in table.columns:
        s = df[c.name] if c.name in df.columns else pd.Series([None] * len(df), dtype=object)
        dt = DTYPES[c.type]
        if c.type == "date":
            s = pd.to_datetime(s).astype(dt)
        else:
            s = s.astype(object).where(pd.notna(s), None).astype(dt)
        out[c.name] = s.reset_index(drop=True)
    frame = pd.DataFrame(out, columns=table.column_names)
    if len(frame):
        frame = frame.sort_values(list(table.key), kind="stable", na_position="last").reset_index(drop=True)
    return frame


@dataclass
class Cohort:
    """A validated cohort: ``cohort["patients"]`` etc. Every schema table is present (possibly empty)."""

    tables: dict[str, pd.DataFrame]
    source: str = ""
    locations: dict[str, list[tuple[str, int]]] = field(default_factory=dict, repr=False)
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
        return list(self.tables["patients"]["patient_id"])

    def equals(self, other: "Cohort") -> bool:
        return all(self[t.name].equals(other[t.name]) for t in TABLES)

    def conformed(self) -> "Cohort":
        return Cohort({t.name: conform(self[t.name], BY_NAME[t.name]) for t in TABLES}, self.source)
