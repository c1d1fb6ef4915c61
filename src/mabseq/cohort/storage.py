"""The canonical stored form of a cohort: a DuckDB file (default) or a folder of Parquet files, one per table.

Both hold every schema table with typed columns (VARCHAR, BIGINT, DOUBLE, DATE) and a small ``_mabseq`` table /
``_mabseq.json`` with the schema version. Loading either back gives frames identical to the ones written.
Writes go to a temporary path that replaces the target only when complete.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import pandas as pd

from .model import Cohort, conform
from .schema import BY_NAME, SCHEMA_VERSION, TABLES

SQL_TYPES = {"string": "VARCHAR", "category": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "date": "DATE"}


def _plain(df: pd.DataFrame, table) -> pd.DataFrame:
    """Object columns for the engines: str/None, int/None, float/None, date/None."""
    out = {}
    for c in table.columns:
        s = df[c.name]
        if c.type == "date":
            out[c.name] = [None if pd.isna(v) else v.date() for v in s]
        elif c.type == "integer":
            out[c.name] = [None if pd.isna(v) else int(v) for v in s]
        elif c.type == "number":
            out[c.name] = [None if pd.isna(v) else float(v) for v in s]
        else:
            out[c.name] = [None if pd.isna(v) else str(v) for v in s]
    return pd.DataFrame(out, columns=table.column_names, dtype=object)


def write_duckdb(cohort: Cohort, path: str | Path) -> Path:
    import duckdb
    path = Path(path)
    tmp = Path(tempfile.mkdtemp(dir=path.parent if path.parent.exists() else None)) / "cohort.duckdb"
    con = duckdb.connect(str(tmp))
    try:
        for t in TABLES:
            cols = ", ".join(f'"{c.name}" {SQL_TYPES[c.type]}' for c in t.columns)
            con.execute(f'CREATE TABLE "{t.name}" ({cols})')
            df = _plain(cohort[t.name], t)
            if len(df):
                placeholders = ", ".join("?" for _ in t.columns)
                con.executemany(f'INSERT INTO "{t.name}" VALUES ({placeholders})', df.values.tolist())
        con.execute("CREATE TABLE _mabseq (key VARCHAR, value VARCHAR)")
        con.execute("INSERT INTO _mabseq VALUES ('schema_version', ?)", [SCHEMA_VERSION])
    finally:
        con.close()
    os.replace(tmp, path)
    shutil.rmtree(tmp.parent, ignore_errors=True)
    return path


def read_duckdb(path: str | Path) -> Cohort:
    import duckdb
    con = duckdb.connect(str(path), read_only=True)
    try:
        tables = {}
        present = {r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()}
        for t in TABLES:
            if t.name not in present:
                continue
            cur = con.execute(f'SELECT * FROM "{t.name}"')
            names = [d[0] for d in cur.description]
            rows = cur.fetchall()
            tables[t.name] = conform(pd.DataFrame(rows, columns=names, dtype=object), BY_NAME[t.name])
    finally:
        con.close()
    return Cohort(tables, Path(path).name)


def write_parquet(cohort: Cohort, folder: str | Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq
    folder = Path(folder)
    parent = folder.parent if folder.parent.exists() else Path(tempfile.gettempdir())
    tmp = Path(tempfile.mkdtemp(dir=parent))
    arrow = {"string": pa.string(), "category": pa.string(), "integer": pa.int64(), "number": pa.float64(),
             "date": pa.date32()}
    for t in TABLES:
        df = _plain(cohort[t.name], t)
        schema = pa.schema([(c.name, arrow[c.type]) for c in t.columns])
        tbl = pa.Table.from_pydict({c.name: df[c.name].tolist() for c in t.columns}, schema=schema)
        pq.write_table(tbl, tmp / f"{t.name}.parquet", compression="zstd")
    (tmp / "_mabseq.json").write_text(json.dumps({"schema_version": SCHEMA_VERSION}, sort_keys=True) + "\n")
    if folder.exists():
        shutil.rmtree(folder)
    os.replace(tmp, folder)
    return folder


def read_parquet(folder: str | Path) -> Cohort:
    import pyarrow.parquet as pq
    folder = Path(folder)
    tables = {}
    for t in TABLES:
        f = folder / f"{t.name}.parquet"
        if f.exists():
            pa_tbl = pq.read_table(f)
            df = pd.DataFrame({name: pa_tbl.column(name).to_pylist() for name in pa_tbl.column_names},
                              dtype=object)
            tables[t.name] = conform(df, BY_NAME[t.name])
    return Cohort(tables, folder.name)


def is_duckdb(path: Path) -> bool:
    if not path.is_file():
        return False
    with open(path, "rb") as fh:
        head = fh.read(16)
    return head[8:12] == b"DUCK" or path.suffix.lower() in (".duckdb", ".db")


def is_parquet_folder(path: Path) -> bool:
    return path.is_dir() and any(path.glob("*.parquet"))
