"""The canonical stored form of a cohort: a DuckDB file (default) or a folder of Parquet files, one per table.

Both hold every schema table with typed columns (VARCHAR, BIGINT, DOUBLE, DATE) and a small ``_mabseq`` table /
``_mabseq.json`` with the schema version. Loading either back gives frames identical to the ones written.
Writes go to a temporary path that replaces the target only when complete; the tables go in as Arrow columns
(DuckDB reads them in bulk), never row by row.

A stored cohort is data, not code. Reading one:

- a DuckDB file is opened by :func:`open_duckdb_readonly` only: read-only, no file system, network or extension
  access, configuration locked. Only BASE TABLEs of the ``main`` schema named like a schema table are read. A
  VIEW of that name is refused, and with it the whole file (``stored.view``, naming the file and the view): a view
  is a stored query that could read other files, and mabseq does not run code from a data file (nor materializes
  it: a cohort is refused rather than half-read). Other views, other tables and tables of other schemas get the
  warning files get (``table.unknown``); macros, sequences, types and indexes are not data and are not looked at.
  A generated column (an expression stored in a table, which may call a stored macro) is code too: refused with
  the file (``stored.generated``).
- a file named ``.duckdb``/``.db`` that is not a DuckDB database, a damaged or truncated one, an unreadable or
  damaged Parquet file, or a ``name.parquet`` that is a folder: ``file.format`` / ``file.unreadable`` errors naming
  the file (and table), never a traceback. A damaged file is refused whole (no table of it is read), so that its
  one finding is not buried under the findings of the tables that could be read.
- every column is checked against the schema's type (``stored.column_type``, naming file, table and column):
  text columns must be stored as text; integer and number columns as integers, floats or decimals; date columns
  as dates or time stamps (a time of day is then refused cell by cell). Booleans, binary, nested (list, struct,
  map), time-zone, interval and other types are refused.
- then the values go through the same coercion and checks as a spreadsheet's (:func:`coerce.coerce_table`,
  :func:`validate.build_cohort`), with the location ``cohort.duckdb [table patients]`` (or
  ``folder/patients.parquet``) and the row number (1 = the first row of the table).
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .findings import ERROR, WARNING, CohortError, Findings
from .model import Cohort, RawTable, canonical_column
from .schema import BY_NAME, SCHEMA_VERSION, TABLES

SQL_TYPES = {"string": "VARCHAR", "category": "VARCHAR", "integer": "BIGINT", "number": "DOUBLE", "date": "DATE"}
ARROW_TYPES = {"string": pa.string(), "category": pa.string(), "integer": pa.int64(), "number": pa.float64(),
               "date": pa.date32()}
# what each schema type accepts from a stored column (by the kind of the stored type)
ACCEPTS = {"string": {"text"}, "category": {"text"}, "integer": {"int", "float"}, "number": {"int", "float"},
           "date": {"date", "timestamp"}}
EXPECTED = {"string": "text (VARCHAR)", "category": "text (VARCHAR) holding the codes",
            "integer": "an integer (BIGINT)", "number": "a number (DOUBLE)", "date": "a date (DATE)"}


# ---- writing -------------------------------------------------------------------------------------------------------
def _arrow_table(df: pd.DataFrame, table) -> pa.Table:
    """The table's frame as Arrow columns of the stored types (missing values as nulls)."""
    arrays = []
    n = len(df)
    for c in table.columns:
        s = df[c.name] if c.name in df.columns else pd.Series([None] * n, dtype=object)
        s = canonical_column(s.reset_index(drop=True), c.type)
        if c.type == "date":
            arr = pc.cast(pa.array(s.to_numpy(), type=pa.timestamp("s"), from_pandas=True), pa.date32())
        else:
            arr = pa.array(s, from_pandas=True)
            if isinstance(arr, pa.ChunkedArray):
                arr = arr.combine_chunks()
            arr = pc.cast(arr, ARROW_TYPES[c.type])
        arrays.append(arr)
    schema = pa.schema([(c.name, ARROW_TYPES[c.type]) for c in table.columns])
    return pa.Table.from_arrays(arrays, schema=schema)


def write_duckdb_into(cohort: Cohort, path: str | Path, progress=None) -> None:
    """Write the cohort as a new DuckDB file at ``path`` (which must not exist); see :func:`write_duckdb`."""
    write_chunks_into([cohort], path, as_duckdb=True, table_progress=progress)


def write_chunks_into(chunks, path: str | Path, *, as_duckdb: bool, progress=None, table_progress=None) -> int:
    """Write a cohort that arrives in parts (an iterable of :class:`Cohort`, e.g. ``studies.synth``'s chunks) as a
    new DuckDB file or into a new Parquet folder, one part at a time, so that memory holds one part (a whole
    cohort is the one-part case: :func:`write_duckdb_into`, :func:`write_parquet_into`). ``progress(k)`` is called
    after part k, ``table_progress(message, i, n_tables)`` before each table. Returns the number of parts."""
    path = Path(path)
    con, writers = None, {}
    if as_duckdb:
        import duckdb
        # one DuckDB thread: an insert of a part is mostly one thread's work, and synth's worker processes (the
        # parts' makers) need the other cores meanwhile (synth at a million patients 121.6 -> 112.6 s)
        con = duckdb.connect(str(path), config={"threads": 1})
        for t in TABLES:
            cols = ", ".join(f'"{c.name}" {SQL_TYPES[c.type]}' for c in t.columns)
            con.execute(f'CREATE TABLE "{t.name}" ({cols})')
    else:
        import pyarrow.parquet as pq
        path.mkdir(exist_ok=True)
    k = 0
    try:
        for k, part in enumerate(chunks, 1):
            for i, t in enumerate(TABLES):
                if table_progress:
                    table_progress(f"writing {t.name}", i, len(TABLES))
                src = _arrow_table(part[t.name], t)
                if con is not None:
                    if src.num_rows:
                        con.register("_mabseq_source", src)
                        con.execute(f'INSERT INTO "{t.name}" SELECT * FROM _mabseq_source')
                        con.unregister("_mabseq_source")
                    continue
                if t.name not in writers:
                    writers[t.name] = pq.ParquetWriter(path / f"{t.name}.parquet", src.schema, compression="zstd")
                if src.num_rows or k == 1:  # the first part's (maybe empty) table gives the file its schema
                    writers[t.name].write_table(src)
            if progress:
                progress(k)
        if con is not None:
            con.execute("CREATE TABLE _mabseq (key VARCHAR, value VARCHAR)")
            con.execute("INSERT INTO _mabseq VALUES ('schema_version', ?)", [SCHEMA_VERSION])
        else:
            (path / "_mabseq.json").write_text(json.dumps({"schema_version": SCHEMA_VERSION}, sort_keys=True) + "\n")
        if table_progress:
            table_progress("writing", len(TABLES), len(TABLES))
    finally:
        if con is not None:
            con.close()
        for w in writers.values():
            w.close()
    return k


def write_duckdb(cohort: Cohort, path: str | Path, *, inputs=(), overwrite: bool = False) -> Path:
    """Store the cohort as a DuckDB file, atomically; an existing file is replaced only when mabseq wrote it (or
    with ``overwrite``), never when it is one of ``inputs`` (:mod:`mabseq.outputs`)."""
    from ..outputs import plan_file
    plan = plan_file(path, inputs=inputs, overwrite=overwrite, owned=is_mabseq_duckdb)
    with plan.staged() as tmp:
        write_duckdb_into(cohort, tmp)
    return Path(path)


def write_parquet_into(cohort: Cohort, folder: str | Path, progress=None) -> None:
    """Write the cohort's Parquet files into the (new, empty) ``folder``; see :func:`write_parquet`."""
    write_chunks_into([cohort], folder, as_duckdb=False, table_progress=progress)


def write_parquet(cohort: Cohort, folder: str | Path, *, inputs=(), overwrite: bool = False) -> Path:
    """Store the cohort as a folder of Parquet files, atomically, under the folder rules of :mod:`mabseq.outputs`."""
    from ..outputs import plan_folder
    plan = plan_folder(folder, inputs=inputs, overwrite=overwrite)
    with plan.staged() as tmp:
        write_parquet_into(cohort, tmp)
    return Path(folder)


# ---- opening -------------------------------------------------------------------------------------------------------
def open_duckdb_readonly(path: str | Path):
    """A read-only connection that treats the file as data: no file system, network or extension access, so a
    view or macro stored in a hostile file cannot read anything outside it."""
    import duckdb
    return duckdb.connect(str(path), read_only=True, config={
        "enable_external_access": False, "autoload_known_extensions": False,
        "autoinstall_known_extensions": False, "lock_configuration": True})


def _has_duckdb_header(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(16)[8:12] == b"DUCK"


def is_mabseq_duckdb(path: str | Path) -> bool:
    """A DuckDB file that mabseq wrote (it holds the ``_mabseq`` table with the schema version)."""
    p = Path(path)
    try:
        if not _has_duckdb_header(p):
            return False
        con = open_duckdb_readonly(p)
    except Exception:  # not a DuckDB file, a newer format, locked ...
        return False
    try:
        rows = con.execute("SELECT value FROM main._mabseq WHERE key = 'schema_version'").fetchall()
        kind = con.execute("SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() AND "
                           "schema_name = 'main' AND table_name = '_mabseq'").fetchall()
        return len(rows) == 1 and kind[0][0] == 1
    except Exception:
        return False
    finally:
        con.close()


def is_duckdb(path: Path) -> bool:
    """A file that is a DuckDB database, or is named like one (then :func:`read_duckdb_tables` says whether it
    really is)."""
    if not path.is_file():
        return False
    try:
        if _has_duckdb_header(path):
            return True
    except OSError:
        pass
    return path.suffix.lower() in (".duckdb", ".db")


def is_parquet_folder(path: Path) -> bool:
    return path.is_dir() and any(path.glob("*.parquet"))


def _reason(exc: Exception, path: Path | None = None) -> str:
    """The first line of an engine's error message, for a finding (the file named as the user named it)."""
    text = str(exc).strip().splitlines()
    line = text[0][:200] if text else ""
    if path is not None:
        line = line.replace(str(path.resolve()), path.name).replace(str(path), path.name)
    return f"{type(exc).__name__}: {line}" if line else type(exc).__name__


# ---- the kinds of stored types -------------------------------------------------------------------------------------
_DUCK_INT = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}
_DUCK_WIDE = {"UBIGINT", "HUGEINT", "UHUGEINT"}
_DUCK_FLOAT = {"FLOAT", "DOUBLE", "REAL"}
_DUCK_TIMESTAMP = {"TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"}


def _duckdb_select(name: str, data_type: str) -> tuple[str | None, str]:
    """``(kind, select expression)`` of a DuckDB column; kind None: a type no schema column accepts."""
    q = '"' + name.replace('"', '""') + '"'
    t = data_type.upper()
    if t == "VARCHAR":
        return "text", q
    if t.startswith("ENUM("):
        return "text", f"CAST({q} AS VARCHAR) AS {q}"
    if t in _DUCK_INT:
        return "int", f"CAST({q} AS BIGINT) AS {q}"
    if t in _DUCK_WIDE or t in _DUCK_FLOAT or t.startswith("DECIMAL"):
        return "float", f"CAST({q} AS DOUBLE) AS {q}"
    if t == "DATE":
        return "date", q
    if t in _DUCK_TIMESTAMP:
        return "timestamp", q
    if t == '"NULL"' or t == "NULL":
        return "null", f"CAST({q} AS VARCHAR) AS {q}"
    return None, q


def _arrow_kind(t: pa.DataType) -> str | None:
    if pa.types.is_null(t):
        return "null"
    if pa.types.is_dictionary(t):
        return "text" if _arrow_kind(t.value_type) == "text" else None
    if pa.types.is_string(t) or pa.types.is_large_string(t) or getattr(pa.types, "is_string_view", bool)(t):
        return "text"
    if pa.types.is_integer(t):
        return "float" if t == pa.uint64() else "int"
    if pa.types.is_floating(t) or pa.types.is_decimal(t):
        return "float"
    if pa.types.is_date(t):
        return "date"
    if pa.types.is_timestamp(t) and t.tz is None:
        return "timestamp"
    return None


def _column_series(arr, kind: str, n: int) -> pd.Series:
    """An Arrow column of an accepted kind as a typed pandas column for the coercion."""
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks() if arr.num_chunks else pa.array([], type=arr.type)
    if kind == "null":
        return pd.Series([None] * n, dtype=object)
    if kind == "text":
        if pa.types.is_dictionary(arr.type):
            arr = arr.dictionary_decode()
        return pd.Series(pd.arrays.ArrowStringArray(pc.cast(arr, pa.large_string())))
    null = np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)
    if kind == "int":
        vals = np.asarray(pc.fill_null(pc.cast(arr, pa.int64()), 0).to_numpy(zero_copy_only=False), dtype=np.int64)
        return pd.Series(pd.arrays.IntegerArray(vals, null))
    if kind == "float":
        vals = np.asarray(pc.fill_null(pc.cast(arr, pa.float64(), safe=False), 0.0).to_numpy(zero_copy_only=False),
                          dtype=np.float64)
        return pd.Series(pd.arrays.FloatingArray(vals, null))
    if kind == "date":
        days = np.asarray(pc.fill_null(pc.cast(pc.cast(arr, pa.date32()), pa.int32()), 0)
                          .to_numpy(zero_copy_only=False), dtype=np.int64)
        d = days.astype("datetime64[D]").astype("datetime64[s]")
    else:
        unit = arr.type.unit
        ticks = np.asarray(pc.fill_null(pc.cast(arr, pa.int64()), 0).to_numpy(zero_copy_only=False), dtype=np.int64)
        d = ticks.astype(f"datetime64[{unit}]")
    d[null] = np.datetime64("NaT")
    return pd.Series(d)


def _typed_columns(columns: list[tuple[str, str | None, str]], table, source: str, findings: Findings):
    """Split ``(name, kind, type name)`` of a stored table into the schema columns to read, the refused ones
    (reported) and the unknown ones."""
    read, refused, unknown = [], [], []
    for name, kind, type_name in columns:
        if name not in table:
            unknown.append(name)
            continue
        col = table[name]
        if kind == "null" or kind in ACCEPTS[col.type]:
            read.append(name)
        else:
            refused.append(name)
            findings.add(ERROR, "stored.column_type", f"stored as {type_name}; the schema's {col.type} column "
                         f"{name} is stored as {EXPECTED[col.type]}", source, table.name, None, name)
    return read, refused, unknown


def _raw(table, source: str, frame: pd.DataFrame, n: int, refused, unknown) -> RawTable:
    return RawTable(table.name, frame, source, np.arange(1, n + 1), {}, unknown, refused)


# ---- DuckDB --------------------------------------------------------------------------------------------------------
def read_duckdb_tables(path: str | Path, findings: Findings, progress=None) -> list[RawTable]:
    """The schema tables of a DuckDB file as raw tables (typed columns), every problem a finding."""
    import duckdb
    p = Path(path)
    try:
        header_ok = _has_duckdb_header(p)
    except OSError as exc:
        findings.add(ERROR, "file.unreadable", f"cannot read the file ({type(exc).__name__})", p.name)
        return []
    if not header_ok:
        findings.add(ERROR, "file.format", "named like a DuckDB database but is not one (no DuckDB file header); "
                     "give a DuckDB file written by mabseq import, a Parquet folder, an .xlsx workbook or a CSV "
                     "folder", p.name)
        return []
    try:
        con = open_duckdb_readonly(p)
    except Exception as exc:  # damaged, truncated, a newer storage version, locked by a writer
        findings.add(ERROR, "file.unreadable", "cannot open the DuckDB database (damaged, truncated, written by "
                     f"another DuckDB version or in use): {_reason(exc, p)}", p.name)
        return []
    try:
        return _duckdb_tables(con, p, findings, progress)
    except duckdb.Error as exc:
        findings.add(ERROR, "file.unreadable", f"cannot read the DuckDB database: {_reason(exc, p)}", p.name)
        return []
    finally:
        con.close()


def _duckdb_tables(con, path: Path, findings: Findings, progress) -> list[RawTable]:
    """The tables of an open database; nothing (and the reason) when it holds a view named like a schema table or
    a table cannot be read: such a file is refused whole."""
    name = path.name
    here = "database_name = current_database() AND NOT internal AND NOT temporary"
    tables = con.execute(f"SELECT schema_name, table_name FROM duckdb_tables() WHERE {here} "
                         "ORDER BY schema_name, table_name").fetchall()
    views = con.execute(f"SELECT schema_name, view_name FROM duckdb_views() WHERE {here} "
                        "ORDER BY schema_name, view_name").fetchall()
    refused = False
    for schema, view in views:
        source = f"{name} [view {view if schema == 'main' else schema + '.' + view}]"
        if schema == "main" and view in BY_NAME:
            refused = True
            findings.add(ERROR, "stored.view", f"{view} is a VIEW, not a table: a stored cohort holds data only, "
                         "and a view is a query that could read other files, so it is refused (store the data as "
                         f"a table: CREATE TABLE {view} AS SELECT ...); the file is not read", source, view)
        else:
            findings.add(WARNING, "table.unknown", "a view, not a table of the schema; it is ignored", source)
    wanted = []
    for schema, table in tables:
        if schema == "main" and table in BY_NAME:
            wanted.append(table)
        elif not (schema == "main" and table in ("_mabseq", "_provenance")):  # mabseq's own (provenance: mapping)
            shown = table if schema == "main" else f"{schema}.{table}"
            findings.add(WARNING, "table.unknown", "table is not a table of the schema; it is ignored",
                         f"{name} [table {shown}]")
    for tname in wanted:
        for column in _generated_columns(con, tname):
            refused = True
            findings.add(ERROR, "stored.generated", f"column {column} is computed by an expression stored in the "
                         "file (a generated column), not stored data: a stored cohort holds data only, so it is "
                         "refused; the file is not read", f"{name} [table {tname}]", tname, None, column)
    if refused:
        return []
    out = []
    for k, tname in enumerate(sorted(wanted, key=list(BY_NAME).index)):
        if progress:
            progress(f"reading {tname}", k, len(wanted))
        table = BY_NAME[tname]
        source = f"{name} [table {tname}]"
        cols = con.execute("SELECT column_name, data_type FROM duckdb_columns() WHERE database_name = "
                           "current_database() AND schema_name = 'main' AND table_name = ? ORDER BY column_index",
                           [tname]).fetchall()
        kinds = {c: _duckdb_select(c, ty) for c, ty in cols}
        read, refused, unknown = _typed_columns([(c, kinds[c][0], ty) for c, ty in cols], table, source, findings)
        qt = '"' + tname.replace('"', '""') + '"'
        try:
            if read:
                arrow = con.sql(f"SELECT {', '.join(kinds[c][1] for c in read)} FROM main.{qt}").to_arrow_table()
                n = arrow.num_rows
            else:
                arrow, n = None, con.execute(f"SELECT count(*) FROM main.{qt}").fetchall()[0][0]
        except Exception as exc:  # damaged pages, a generated column that fails, a conversion DuckDB refuses
            findings.add(ERROR, "file.unreadable", "cannot read the table (the file is damaged or truncated, or the "
                         f"table cannot be read as data); the file is not read: {_reason(exc, path)}", source,
                         tname)
            return []
        frame = pd.DataFrame({c: _column_series(arrow.column(c), kinds[c][0], n) for c in read}, index=range(n))
        out.append(_raw(table, source, frame, n, refused, unknown))
    return out


def _generated_columns(con, table: str) -> list[str]:
    """The generated (computed) columns of a main-schema table."""
    import duckdb
    try:
        rows = con.execute("SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() AND "
                           "schema_name = 'main' AND table_name = ? AND is_generated ORDER BY column_index",
                           [table]).fetchall()
    except duckdb.BinderException:  # a DuckDB without is_generated: a generated column has a default expression
        sql = con.execute("SELECT sql FROM duckdb_tables() WHERE database_name = current_database() AND "
                          "schema_name = 'main' AND table_name = ?", [table]).fetchall()
        return ["(a generated column)"] if sql and "GENERATED ALWAYS" in (sql[0][0] or "").upper() else []
    return [r[0] for r in rows]


def read_duckdb(path: str | Path) -> Cohort:
    """The cohort of a DuckDB file, validated like every DATA; :class:`CohortError` when it has errors."""
    return _validated(read_duckdb_tables, path)


def _validated(read_tables, path: str | Path) -> Cohort:
    from .validate import build_cohort
    findings = Findings()
    raws = read_tables(path, findings)
    cohort = build_cohort(raws, findings, Path(path).name)
    if findings.errors:
        raise CohortError(findings)
    return cohort


# ---- Parquet -------------------------------------------------------------------------------------------------------
def read_parquet_tables(folder: str | Path, findings: Findings, progress=None) -> list[RawTable]:
    """The schema tables of a Parquet folder as raw tables (typed columns), every problem a finding."""
    import pyarrow.parquet as pq
    folder = Path(folder)
    files = sorted(folder.glob("*.parquet"))
    out = []
    broken = False
    for k, f in enumerate(files):
        source = f"{folder.name}/{f.name}"
        if f.stem == "_provenance":  # written by mabseq import --mapping (mapping/provenance.py): not a table
            continue
        if f.stem not in BY_NAME:
            findings.add(WARNING, "table.unknown", "file is not a table of the schema; it is ignored", source)
            continue
        if progress:
            progress(f"reading {f.name}", k, len(files))
        table = BY_NAME[f.stem]
        if not f.is_file():
            findings.add(ERROR, "file.format", "a folder, not a Parquet file (a partitioned data set is not a "
                         "stored cohort; write one file per table)", source, table.name)
            broken = True
            continue
        try:
            pf = pq.ParquetFile(f)
            schema = pf.schema_arrow
        except Exception as exc:  # not Parquet, damaged, truncated
            findings.add(ERROR, "file.unreadable", f"not a readable Parquet file: {_reason(exc, f)}", source,
                         table.name)
            broken = True
            continue
        names = list(schema.names)
        dup = sorted({x for x in names if names.count(x) > 1})
        for d in dup:
            findings.add(ERROR, "column.duplicate", f"two columns are named {d!r}", source, table.name, None, d)
        cols = [(nm, _arrow_kind(schema.field(nm).type), str(schema.field(nm).type)) for nm in names
                if nm not in dup]
        read, refused, unknown = _typed_columns(cols, table, source, findings)
        refused += [d for d in dup if d in table]
        try:
            data = pf.read(columns=read) if read else None
            n = data.num_rows if read else pf.metadata.num_rows
        except Exception as exc:
            findings.add(ERROR, "file.unreadable", f"cannot read the Parquet data: {_reason(exc, f)}", source,
                         table.name)
            broken = True
            continue
        kinds = dict((nm, kd) for nm, kd, _ in cols)
        frame = pd.DataFrame({c: _column_series(data.column(c), kinds[c], n) for c in read}, index=range(n))
        out.append(_raw(table, source, frame, n, refused, unknown))
    return [] if broken else out  # a damaged file: the folder is refused whole, with every file's reason


def read_parquet(folder: str | Path) -> Cohort:
    """The cohort of a Parquet folder, validated like every DATA; :class:`CohortError` when it has errors."""
    return _validated(read_parquet_tables, folder)
