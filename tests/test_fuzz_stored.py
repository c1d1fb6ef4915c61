"""Property-based fuzzing of the stored-form importers (DuckDB file, Parquet folder), within a fixed budget.

Hypothesis builds a stored cohort from the valid example and then breaks it: columns replaced by random Arrow
arrays of any type (text with huge strings and control characters, extreme integers, NaN and infinities, dates far
outside any calendar a clinic uses, time stamps, booleans, lists, nulls), columns dropped or added, tables emptied,
dropped or added, views over the tables (DuckDB), and files replaced by garbage. For every case:

- ``load_cohort`` never raises, and every finding names its place (a source);
- a case known to be invalid (a refused column type, a missing required table or column, a view named like a
  schema table, a damaged file) gives at least one error;
- ``mabseq validate`` exits 2 exactly when there are errors (0 otherwise), without a traceback.

Budget: ``max_examples`` below per form, no deadline (the CI machine is shared); about 15 s in all.
"""
from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from typer.testing import CliRunner

from mabseq.cli import app
from mabseq.cohort import load_cohort
from mabseq.cohort.schema import BY_NAME, SCHEMA_VERSION, TABLES
from mabseq.cohort.storage import write_parquet_into

CORPUS = Path(__file__).parent / "cohort_corpus"
runner = CliRunner()
EXAMPLES = 20


@pytest.fixture(scope="module")
def base_tables(tmp_path_factory):
    cohort, findings = load_cohort(CORPUS / "valid")
    assert not findings.items
    folder = tmp_path_factory.mktemp("base") / "pq"
    write_parquet_into(cohort, folder)
    return {t.name: pq.read_table(folder / f"{t.name}.parquet") for t in TABLES}


# the schema types each kind of stored column may hold (the storage rule, written out here as the oracle)
HOLDS = {"text": {"string", "category"}, "int": {"integer", "number"}, "float": {"integer", "number"},
         "date": {"date"}, "timestamp": {"date"}, "bool": set(), "list": set(),
         "null": {"string", "category", "integer", "number", "date"}}


TEXT = st.one_of(st.none(), st.text(max_size=12), st.sampled_from(
    ["male", "b_all", "2020-01-01", "nan", "NA", "inf", "-1", "1e400", "43110", "P01", " P01 ", "p01", "\x1b[31m",
     "=HYPERLINK(\"x\")", "x" * 100_000, "\u2028", "\x00"]))
KINDS = {
    "text": (TEXT, pa.string()),
    "int": (st.one_of(st.none(), st.integers(-2 ** 63, 2 ** 63 - 1), st.integers(-5, 120)), pa.int64()),
    "float": (st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.floats(-5, 120)),
              pa.float64()),
    "date": (st.one_of(st.none(), st.integers(-10 ** 8, 10 ** 8), st.integers(-30_000, 60_000)), pa.date32()),
    "timestamp": (st.one_of(st.none(), st.integers(-10 ** 17, 10 ** 17)), pa.timestamp("us")),
    "bool": (st.one_of(st.none(), st.booleans()), pa.bool_()),
    "list": (st.one_of(st.none(), st.lists(st.integers(0, 9), max_size=3)), pa.list_(pa.int64())),
    "null": (st.none(), pa.null()),
}


@st.composite
def arrays(draw, n: int):
    kind = draw(st.sampled_from(sorted(KINDS)))
    values, typ = KINDS[kind]
    return kind, pa.array(draw(st.lists(values, min_size=n, max_size=n)), type=typ)


@st.composite
def operations(draw, tables: dict, duck: bool):
    """A list of breakages, each with whether it alone makes the cohort invalid."""
    ops = []
    for _ in range(draw(st.integers(1, 3))):
        name = draw(st.sampled_from(sorted(tables)))
        t = BY_NAME[name]
        n = tables[name].num_rows
        what = draw(st.sampled_from(["set", "set", "set", "drop_column", "add_column", "empty", "drop_table",
                                     "extra_table", "view", "garbage"]))
        if what == "set":
            col = draw(st.sampled_from(t.column_names))
            kind, arr = draw(arrays(n))
            ops.append(("set", name, col, arr, t[col].type not in HOLDS[kind]))
        elif what == "drop_column":
            col = draw(st.sampled_from(t.column_names))
            ops.append(("drop_column", name, col, None, t[col].required))
        elif what == "add_column":
            ops.append(("add_column", name, draw(st.sampled_from(["extra", "MRN", "sex2", "é"])),
                        draw(arrays(n))[1], False))
        elif what == "empty":
            ops.append(("empty", name, None, None, False))
        elif what == "drop_table":
            ops.append(("drop_table", name, None, None, name in ("study", "patients", "follow_up")))
        elif what == "extra_table":
            names = ["notes", "_tmp"] + ([] if duck else ["Patients"])  # DuckDB names ignore case
            ops.append(("extra_table", draw(st.sampled_from(names)), None, draw(arrays(2))[1], False))
        elif what == "view":
            ops.append(("view", name, None, None, duck))
        else:
            ops.append(("garbage", name, None, draw(st.binary(max_size=64)), True))
    return ops


def apply(tables: dict, ops) -> tuple[dict, list, list]:
    tables = dict(tables)
    views, garbage = [], []
    for op, name, col, arg, _ in ops:
        t = tables.get(name)
        if op == "set" and t is not None and col in t.column_names:
            tables[name] = t.set_column(t.schema.get_field_index(col), col, arg)
        elif op == "drop_column" and t is not None and col in t.column_names:
            tables[name] = t.drop_columns([col])
        elif op == "add_column" and t is not None and col not in t.column_names:
            tables[name] = t.append_column(col, arg)
        elif op == "empty" and t is not None:
            tables[name] = t.slice(0, 0)
        elif op == "drop_table":
            tables.pop(name, None)
        elif op == "extra_table":
            tables[name] = pa.table({"x": arg})
        elif op == "view":
            views.append(name)
        elif op == "garbage":
            garbage.append((name, arg))
    return tables, views, garbage


def write_duckdb(path: Path, tables: dict, views: list, garbage: list) -> None:
    con = duckdb.connect(str(path))
    try:
        for name, tbl in tables.items():
            con.register("src", tbl)
            target = f"{name}_data" if name in views else name
            con.execute(f'CREATE TABLE "{target}" AS SELECT * FROM src')
            con.unregister("src")
        for name in views:
            source = f"{name}_data" if name in tables else "study" if "study" in tables else None
            con.execute(f'CREATE VIEW "{name}" AS SELECT * FROM "{source}"' if source else
                        f'CREATE VIEW "{name}" AS SELECT 1 AS x')
        con.execute("CREATE TABLE _mabseq (key VARCHAR, value VARCHAR)")
        con.execute("INSERT INTO _mabseq VALUES ('schema_version', ?)", [SCHEMA_VERSION])
    finally:
        con.close()
    if garbage:  # a damaged file: cut it short
        data = path.read_bytes()
        path.write_bytes(data[:max(16, len(garbage[0][1]) * 64)])


def write_parquet(folder: Path, tables: dict, garbage: list) -> None:
    folder.mkdir()
    for name, tbl in tables.items():
        pq.write_table(tbl, folder / f"{name}.parquet")
    for name, data in garbage:
        (folder / f"{name}.parquet").write_bytes(data)
    if not any(folder.glob("*.parquet")):
        (folder / "notes.parquet").write_bytes(b"")


def check(path: Path, invalid: bool) -> None:
    cohort, findings = load_cohort(path)  # never raises
    assert all(f.source for f in findings), findings.summary_text()
    if invalid:
        assert findings.errors, findings.summary_text()
    res = runner.invoke(app, ["validate", str(path), "--quiet"])
    assert res.exception is None or isinstance(res.exception, SystemExit), repr(res.exception)
    assert "Traceback" not in res.output
    assert res.exit_code == (2 if findings.errors or cohort is None else 0), res.output


SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                           HealthCheck.data_too_large])


@SETTINGS
@given(data=st.data())
def test_fuzz_duckdb_file(base_tables, tmp_path_factory, data):
    ops = data.draw(operations(base_tables, duck=True))
    tables, views, garbage = apply(base_tables, ops)
    path = tmp_path_factory.mktemp("duck") / "cohort.duckdb"
    write_duckdb(path, tables, views, garbage)
    check(path, any(op[-1] for op in ops))


@SETTINGS
@given(data=st.data())
def test_fuzz_parquet_folder(base_tables, tmp_path_factory, data):
    ops = data.draw(operations(base_tables, duck=False))
    tables, _, garbage = apply(base_tables, ops)
    folder = tmp_path_factory.mktemp("pq") / "cohort"
    write_parquet(folder, tables, garbage)
    check(folder, any(op[-1] for op in ops))
