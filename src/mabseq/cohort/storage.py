"""The canonical stored form of a cohort: a DuckDB file (default) or a folder of Parquet files, one per table.

Both hold every schema table with typed columns (VARCHAR, BIGINT, DOUBLE, DATE) and a small ``_mabseq`` table /
``_mabseq.json`` with the schema version. Loading either back gives frames identical to the ones written.
Writes go to a temporary path that replaces the target only when complete.
"""
from __future__ import annotations

import json
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


def write_duckdb_into(cohort: Cohort, path: str | Path) -> None:
    """Write the cohort as a new DuckDB file at ``path`` (which must not exist); see :func:`write_duckdb`."""
    import duckdb
    con = duckdb.connect(str(path))
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


def write_duckdb(cohort: Cohort, path: str | Path, *, inputs=(), overwrite: bool = False) -> Path:
    """Store the cohort as a DuckDB file, atomically; an existing file is replaced only when mabseq wrote it (or
    with ``overwrite``), never when it is one of ``inputs`` (:mod:`mabseq.outputs`)."""
    from ..outputs import plan_file
    plan = plan_file(path, inputs=inputs, overwrite=overwrite, owned=is_mabseq_duckdb)
    with plan.staged() as tmp:
        write_duckdb_into(cohort, tmp)
    return Path(path)


def open_duckdb_readonly(path: str | Path):
    """A read-only connection that treats the file as data: no file system, network or extension access, so a
    view or macro stored in a hostile file cannot read anything outside it."""
    import duckdb
    return duckdb.connect(str(path), read_only=True, config={
        "enable_external_access": False, "autoload_known_extensions": False,
        "autoinstall_known_extensions": False, "lock_configuration": True})


def is_mabseq_duckdb(path: str | Path) -> bool:
    """A DuckDB file that mabseq wrote (it holds the ``_mabseq`` table with the schema version)."""
    p = Path(path)
    try:
        with open(p, "rb") as fh:
            if fh.read(16)[8:12] != b"DUCK":
                return False
        con = open_duckdb_readonly(p)
    except Exception:  # not a DuckDB file, a newer format, locked ...
        return False
    try:
        rows = con.execute("SELECT value FROM _mabseq WHERE key = 'schema_version'").fetchall()
        return len(rows) == 1
    except Exception:
        return False
    finally:
        con.close()


def read_duckdb(path: str | Path) -> Cohort:
    import duckdb
    con = open_duckdb_readonly(path)
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


def write_parquet_into(cohort: Cohort, folder: str | Path) -> None:
    """Write the cohort's Parquet files into the (new, empty) ``folder``; see :func:`write_parquet`."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    folder = Path(folder)
    folder.mkdir(exist_ok=True)
    arrow = {"string": pa.string(), "category": pa.string(), "integer": pa.int64(), "number": pa.float64(),
             "date": pa.date32()}
    for t in TABLES:
        df = _plain(cohort[t.name], t)
        schema = pa.schema([(c.name, arrow[c.type]) for c in t.columns])
        tbl = pa.Table.from_pydict({c.name: df[c.name].tolist() for c in t.columns}, schema=schema)
        pq.write_table(tbl, folder / f"{t.name}.parquet", compression="zstd")
    (folder / "_mabseq.json").write_text(json.dumps({"schema_version": SCHEMA_VERSION}, sort_keys=True) + "\n")


def write_parquet(cohort: Cohort, folder: str | Path, *, inputs=(), overwrite: bool = False) -> Path:
    """Store the cohort as a folder of Parquet files, atomically, under the folder rules of :mod:`mabseq.outputs`."""
    from ..outputs import plan_folder
    plan = plan_folder(folder, inputs=inputs, overwrite=overwrite)
    with plan.staged() as tmp:
        write_parquet_into(cohort, tmp)
    return Path(folder)


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
