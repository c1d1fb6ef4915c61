"""Hostile and damaged stored cohorts (DuckDB files, Parquet folders): data, never code, and checked like files.

Each case starts from the valid example cohort written by mabseq's own writer, then breaks one thing the way
another tool, a careless user or a hostile one would (SQL on the DuckDB file, pyarrow on the Parquet files), and
asserts the exact finding: rule, severity, source, row and column. The oracle is the hand-made mutation: the row
numbers are those of the example (patients P01, P02, P03 are rows 1, 2, 3 of the stored patients table).
"""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from mabseq.cli import app
from mabseq.cohort import load_cohort
from mabseq.cohort.storage import write_duckdb_into, write_parquet_into

CORPUS = Path(__file__).parent / "cohort_corpus"
runner = CliRunner()


@pytest.fixture(scope="module")
def valid():
    cohort, findings = load_cohort(CORPUS / "valid")
    assert not findings.items
    return cohort


def duck(tmp_path: Path, cohort, *sql: str, name: str = "cohort.duckdb") -> Path:
    """mabseq's DuckDB file, then ``sql`` run on it by an ordinary (writable) connection."""
    path = tmp_path / name
    write_duckdb_into(cohort, path)
    con = duckdb.connect(str(path))
    try:
        for q in sql:
            con.execute(q)
    finally:
        con.close()
    return path


def parquet(tmp_path: Path, cohort, table: str | None = None, edit=None, name: str = "pq") -> Path:
    """mabseq's Parquet folder, with ``edit(arrow_table) -> arrow_table`` applied to ``table``."""
    folder = tmp_path / name
    write_parquet_into(cohort, folder)
    if table is not None:
        f = folder / f"{table}.parquet"
        pq.write_table(edit(pq.read_table(f)), f)
    return folder


def replace(column: str, values):
    def edit(t: pa.Table) -> pa.Table:
        return t.set_column(t.schema.get_field_index(column), column, pa.array(values))
    return edit


def keys(findings):
    return {(f.rule, f.severity, f.source, f.row, f.column) for f in findings}


def assert_finding(findings, rule, severity, source, row, column):
    assert (rule, severity, source, row, column) in keys(findings), findings.summary_text()


def assert_cli_refuses(path: Path, *needles: str):
    res = runner.invoke(app, ["validate", str(path)])
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output
    for n in needles:
        assert n in res.output, res.output
    return res


# ---- a stored cohort is data, not code --------------------------------------------------------------------------
def test_view_reading_a_local_file_is_refused_and_its_content_never_read(valid, tmp_path):
    secret = tmp_path / "secret.txt"
    secret.write_text("SECRET-PATIENT-NAME\n")
    db = duck(tmp_path, valid, "DROP TABLE patients",
              f"CREATE VIEW patients AS SELECT content AS patient_id FROM read_text('{secret}')", name="view.duckdb")
    cohort, findings = load_cohort(db)
    assert cohort is None
    assert [(f.rule, f.severity, f.source, f.table) for f in findings.errors] == [
        ("stored.view", "error", "view.duckdb [view patients]", "patients")]
    assert "VIEW" in findings.errors[0].message
    res = assert_cli_refuses(db, "view.duckdb [view patients]", "stored.view")
    assert "SECRET" not in res.output


def test_view_over_another_attached_database_is_refused(valid, tmp_path):
    other = duck(tmp_path, valid, name="other.duckdb")
    db = duck(tmp_path, valid, f"ATTACH '{other}' AS o", "DROP TABLE main.follow_up",
              "CREATE VIEW main.follow_up AS SELECT * FROM o.follow_up", name="attach.duckdb")
    other.unlink()  # the reference now points nowhere: it must never be followed
    cohort, findings = load_cohort(db)
    assert cohort is None
    assert_finding(findings, "stored.view", "error", "attach.duckdb [view follow_up]", None, "")


def test_macros_other_views_tables_and_schemas_are_ignored_with_warnings(valid, tmp_path):
    db = duck(tmp_path, valid, "CREATE MACRO evil(x) AS x + 1", "CREATE VIEW summary AS SELECT 1 AS one",
              "CREATE TABLE notes (a INTEGER)", "CREATE SCHEMA archive",
              "CREATE TABLE archive.patients AS SELECT * FROM main.patients", "CREATE SEQUENCE s1")
    cohort, findings = load_cohort(db)
    assert not findings.errors, findings.summary_text()
    assert keys(findings) == {("table.unknown", "warning", "cohort.duckdb [view summary]", None, ""),
                              ("table.unknown", "warning", "cohort.duckdb [table notes]", None, ""),
                              ("table.unknown", "warning", "cohort.duckdb [table archive.patients]", None, "")}
    assert len(cohort["patients"]) == 3


def test_schema_table_only_in_another_schema_is_not_read(valid, tmp_path):
    db = duck(tmp_path, valid, "CREATE SCHEMA other", "CREATE TABLE other.patients AS SELECT * FROM main.patients",
              "DROP TABLE main.patients")
    _, findings = load_cohort(db)
    assert_finding(findings, "table.missing", "error", "cohort.duckdb", None, "")
    assert_finding(findings, "table.unknown", "warning", "cohort.duckdb [table other.patients]", None, "")


def test_generated_column_calling_a_stored_macro_is_refused(valid, tmp_path):
    db = duck(tmp_path, valid, "CREATE MACRO shout(x) AS upper(x)", "ALTER TABLE patients RENAME TO p_old",
              "CREATE TABLE patients (patient_id VARCHAR, diagnosis VARCHAR, "
              "sex VARCHAR GENERATED ALWAYS AS (shout(diagnosis)) VIRTUAL, diagnosis_date DATE)",
              "INSERT INTO patients (patient_id, diagnosis, diagnosis_date) "
              "SELECT patient_id, diagnosis, diagnosis_date FROM p_old", "DROP TABLE p_old")
    cohort, findings = load_cohort(db)
    assert cohort is None
    assert keys(findings) == {("stored.generated", "error", "cohort.duckdb [table patients]", None, "sex")}


# ---- not what the name says, damaged ----------------------------------------------------------------------------
def test_text_file_named_duckdb(tmp_path):
    f = tmp_path / "cohort.duckdb"
    f.write_text("patient_id,sex\nP01,male\n")
    cohort, findings = load_cohort(f)
    assert cohort is None
    assert keys(findings) == {("file.format", "error", "cohort.duckdb", None, "")}
    assert_cli_refuses(f, "cohort.duckdb", "file.format")


def test_sqlite_file_named_db(tmp_path):
    import sqlite3
    f = tmp_path / "cohort.db"
    con = sqlite3.connect(f)
    con.execute("CREATE TABLE patients (patient_id TEXT)")
    con.commit()
    con.close()
    cohort, findings = load_cohort(f)
    assert cohort is None
    assert keys(findings) == {("file.format", "error", "cohort.db", None, "")}


def test_truncated_duckdb_file(valid, tmp_path):
    db = duck(tmp_path, valid)
    cut = tmp_path / "cut.duckdb"
    cut.write_bytes(db.read_bytes()[:5000])
    cohort, findings = load_cohort(cut)
    assert cohort is None
    assert keys(findings) == {("file.unreadable", "error", "cut.duckdb", None, "")}
    assert str(tmp_path) not in findings.errors[0].message  # the file as the user named it
    assert_cli_refuses(cut, "cut.duckdb", "file.unreadable")


def test_duckdb_file_with_a_damaged_body(valid, tmp_path):
    db = duck(tmp_path, valid)
    data = bytearray(db.read_bytes())
    data[4096:] = bytes(len(data) - 4096)  # headers kept, every block zeroed
    bad = tmp_path / "zeroed.duckdb"
    bad.write_bytes(bytes(data))
    cohort, findings = load_cohort(bad)
    assert cohort is None
    assert findings.errors and all(f.rule == "file.unreadable" for f in findings.errors)
    assert all(f.source.startswith("zeroed.duckdb") for f in findings)
    assert_cli_refuses(bad, "zeroed.duckdb")


def test_corrupt_parquet_file(valid, tmp_path):
    folder = parquet(tmp_path, valid)
    (folder / "patients.parquet").write_bytes(b"PAR1" + b"\x00garbage" * 20 + b"PAR1")
    cohort, findings = load_cohort(folder)
    assert cohort is None
    assert keys(findings) == {("file.unreadable", "error", "pq/patients.parquet", None, "")}
    assert_cli_refuses(folder, "pq/patients.parquet", "file.unreadable")


def test_truncated_parquet_file(valid, tmp_path):
    folder = parquet(tmp_path, valid)
    f = folder / "therapies.parquet"
    f.write_bytes(f.read_bytes()[:200])
    _, findings = load_cohort(folder)
    assert keys(findings) == {("file.unreadable", "error", "pq/therapies.parquet", None, "")}


def test_parquet_file_that_is_a_folder(valid, tmp_path):
    folder = parquet(tmp_path, valid)
    (folder / "transplants.parquet").unlink()
    (folder / "transplants.parquet").mkdir()
    shutil.copy(folder / "doses.parquet", folder / "transplants.parquet" / "part-0.parquet")
    cohort, findings = load_cohort(folder)
    assert cohort is None
    assert keys(findings) == {("file.format", "error", "pq/transplants.parquet", None, "")}


def test_parquet_folder_missing_a_required_table(valid, tmp_path):
    folder = parquet(tmp_path, valid)
    (folder / "follow_up.parquet").unlink()
    _, findings = load_cohort(folder)
    assert keys(findings) == {("table.missing", "error", "pq", None, "")}
    assert findings.errors[0].table == "follow_up"


# ---- column types -----------------------------------------------------------------------------------------------
def test_duckdb_dates_stored_as_text(valid, tmp_path):
    db = duck(tmp_path, valid, "ALTER TABLE patients ALTER diagnosis_date TYPE VARCHAR")
    _, findings = load_cohort(db)
    assert keys(findings) == {("stored.column_type", "error", "cohort.duckdb [table patients]", None,
                               "diagnosis_date")}
    assert "VARCHAR" in findings.errors[0].message and "DATE" in findings.errors[0].message


def test_parquet_dates_stored_as_strings(valid, tmp_path):
    folder = parquet(tmp_path, valid, "patients", replace("diagnosis_date", ["2016-03-01", "2015-07-15",
                                                                           "2017-01-10"]))
    _, findings = load_cohort(folder)
    assert keys(findings) == {("stored.column_type", "error", "pq/patients.parquet", None, "diagnosis_date")}


def test_parquet_sex_stored_as_integers(valid, tmp_path):
    folder = parquet(tmp_path, valid, "patients", replace("sex", [1, 2, 1]))
    _, findings = load_cohort(folder)
    assert keys(findings) == {("stored.column_type", "error", "pq/patients.parquet", None, "sex")}
    assert "int64" in findings.errors[0].message


def test_parquet_nested_type(valid, tmp_path):
    folder = parquet(tmp_path, valid, "patients", replace("sex", [["male"], ["female"], ["male"]]))
    _, findings = load_cohort(folder)
    assert keys(findings) == {("stored.column_type", "error", "pq/patients.parquet", None, "sex")}
    assert "list" in findings.errors[0].message


def test_parquet_time_zone_timestamp(valid, tmp_path):
    ts = pa.array([0, 0, 0], type=pa.timestamp("s", tz="UTC"))
    folder = parquet(tmp_path, valid, "follow_up", replace("last_contact_date", ts))
    _, findings = load_cohort(folder)
    assert keys(findings) == {("stored.column_type", "error", "pq/follow_up.parquet", None, "last_contact_date")}


def test_duckdb_boolean_for_a_coded_column(valid, tmp_path):
    db = duck(tmp_path, valid, "ALTER TABLE patients ALTER prior_cart TYPE BOOLEAN USING false")
    _, findings = load_cohort(db)
    assert keys(findings) == {("stored.column_type", "error", "cohort.duckdb [table patients]", None,
                               "prior_cart")}


def test_wrong_type_in_a_table_with_no_rows(valid, tmp_path):
    db = duck(tmp_path, valid, "DELETE FROM transplants",
              "ALTER TABLE transplants ALTER transplant_date TYPE VARCHAR")
    _, findings = load_cohort(db)
    assert keys(findings) == {("stored.column_type", "error", "cohort.duckdb [table transplants]", None,
                               "transplant_date")}


def test_date_stored_as_timestamp_with_a_time_of_day(valid, tmp_path):
    db = duck(tmp_path, valid, "ALTER TABLE follow_up ALTER last_contact_date TYPE TIMESTAMP",
              "UPDATE follow_up SET last_contact_date = last_contact_date + INTERVAL 9 HOUR WHERE patient_id = 'P02'")
    _, findings = load_cohort(db)
    assert keys(findings) == {("date.time_of_day", "error", "cohort.duckdb [table follow_up]", 2,
                               "last_contact_date")}
    assert findings.errors[0].value == "2020-05-01T09:00:00"


def test_timestamp_at_midnight_and_enum_are_accepted(valid, tmp_path):
    db = duck(tmp_path, valid, "ALTER TABLE follow_up ALTER last_contact_date TYPE TIMESTAMP",
              "CREATE TYPE sexes AS ENUM ('male', 'female', 'unknown')",
              "ALTER TABLE patients ALTER sex TYPE sexes")
    cohort, findings = load_cohort(db)
    assert not findings.items, findings.summary_text()
    for t in valid.tables:
        assert cohort[t].equals(valid[t]), t


# ---- values: the same rules as files ----------------------------------------------------------------------------
def test_duckdb_sex_martian_and_negative_age(valid, tmp_path):
    db = duck(tmp_path, valid, "UPDATE patients SET sex = 'martian' WHERE patient_id = 'P02'",
              "UPDATE patients SET age_at_diagnosis = -40 WHERE patient_id = 'P01'")
    _, findings = load_cohort(db)
    assert keys(findings.errors) == {
        ("category.unknown", "error", "cohort.duckdb [table patients]", 2, "sex"),
        ("range", "error", "cohort.duckdb [table patients]", 1, "age_at_diagnosis")}
    assert_cli_refuses(db, "cohort.duckdb [table patients], row 2, column 'sex'")


def test_parquet_sex_martian(valid, tmp_path):
    folder = parquet(tmp_path, valid, "patients", replace("sex", ["male", "martian", "male"]))
    _, findings = load_cohort(folder)
    assert keys(findings) == {("category.unknown", "error", "pq/patients.parquet", 2, "sex")}
    assert findings.errors[0].patient_id == "P02" and findings.errors[0].value == "martian"


def test_duckdb_dropped_required_column(valid, tmp_path):
    db = duck(tmp_path, valid, "ALTER TABLE patients DROP COLUMN sex")
    _, findings = load_cohort(db)
    assert keys(findings) == {("column.missing", "error", "cohort.duckdb [table patients]", None, "sex")}


def test_parquet_dropped_required_column(valid, tmp_path):
    folder = parquet(tmp_path, valid, "follow_up", lambda t: t.drop_columns(["vital_status"]))
    _, findings = load_cohort(folder)
    assert keys(findings) == {("column.missing", "error", "pq/follow_up.parquet", None, "vital_status")}


def test_null_in_a_required_column(valid, tmp_path):
    db = duck(tmp_path, valid, "UPDATE therapies SET start_date = NULL WHERE patient_id = 'P02' AND course_id = 'C2'")
    _, findings = load_cohort(db)
    assert keys(findings) == {("required.missing", "error", "cohort.duckdb [table therapies]", 5, "start_date")}


def test_parquet_extra_column_is_a_warning(valid, tmp_path):
    folder = parquet(tmp_path, valid, "patients", lambda t: t.append_column("full_name", pa.array(["a", "b", "c"])))
    cohort, findings = load_cohort(folder)
    # ignored, and (a header naming a person's name) reported by the identifier scan as well
    assert keys(findings) == {("column.unknown", "warning", "pq/patients.parquet", None, "full_name"),
                              ("identifier.column", "warning", "pq/patients.parquet", None, "full_name")}
    assert "full_name" not in cohort["patients"].columns


def test_column_named_in_another_letter_case(valid, tmp_path):
    db = duck(tmp_path, valid, 'ALTER TABLE patients RENAME sex TO "Sex"')
    _, findings = load_cohort(db)
    assert keys(findings) == {("column.unknown", "warning", "cohort.duckdb [table patients]", None, "Sex"),
                              ("column.missing", "error", "cohort.duckdb [table patients]", None, "sex")}


def test_parquet_two_columns_with_one_name(valid, tmp_path):
    folder = parquet(tmp_path, valid, "patients", lambda t: t.append_column("sex", pa.array(["x", "y", "z"])))
    _, findings = load_cohort(folder)
    assert keys(findings) == {("column.duplicate", "error", "pq/patients.parquet", None, "sex")}


def test_key_duplicated_only_after_trimming(valid, tmp_path):
    db = duck(tmp_path, valid, "INSERT INTO follow_up SELECT ' P03 ', last_contact_date, vital_status, death_date, "
              "death_cause, status_at_last_contact FROM follow_up WHERE patient_id = 'P03'")
    _, findings = load_cohort(db)
    assert keys(findings) == {("row.duplicate", "error", "cohort.duckdb [table follow_up]", 4, "")}
    assert "row 3" in findings.errors[0].message  # both rows named


def test_infinite_number_and_nan(valid, tmp_path):
    db = duck(tmp_path, valid, "UPDATE assessments SET mrd_value = 'inf'::DOUBLE WHERE assessment_date = '2018-04-25'",
              "UPDATE assessments SET platelets = 'nan'::DOUBLE WHERE assessment_date = '2016-03-01'")
    cohort, findings = load_cohort(db)
    assert keys(findings) == {("type.number", "error", "cohort.duckdb [table assessments]", 3, "mrd_value")}
    assert findings.errors[0].message == "expected a finite number"
    assert cohort["assessments"]["platelets"].isna().sum() == 1  # a stored NaN is a missing value, as 'nan' in a file


def test_integer_overflow(valid, tmp_path):
    db = duck(tmp_path, valid, "ALTER TABLE patients ALTER modal_number TYPE HUGEINT",
              "UPDATE patients SET modal_number = 170141183460469231731687303715884105727 WHERE patient_id = 'P01'")
    _, findings = load_cohort(db)
    assert keys(findings) == {("range", "error", "cohort.duckdb [table patients]", 1, "modal_number")}


def test_parquet_unsigned_integer_beyond_int64(valid, tmp_path):
    big = pa.array([2 ** 64 - 1, 1, 0], type=pa.uint64())
    folder = parquet(tmp_path, valid, "patients", replace("n_karyotype_abnormalities", big))
    _, findings = load_cohort(folder)
    assert keys(findings) == {("range", "error", "pq/patients.parquet", 1, "n_karyotype_abnormalities")}


def test_fractional_value_in_an_integer_column(valid, tmp_path):
    db = duck(tmp_path, valid, "ALTER TABLE therapies ALTER cycles TYPE DOUBLE",
              "UPDATE therapies SET cycles = 2.5 WHERE patient_id = 'P02' AND course_id = 'C1'")
    _, findings = load_cohort(db)
    assert keys(findings) == {("type.integer", "error", "cohort.duckdb [table therapies]", 4, "cycles")}


def test_infinity_date(valid, tmp_path):
    db = duck(tmp_path, valid, "UPDATE therapies SET end_date = 'infinity' WHERE patient_id = 'P02' AND course_id = 'C1'")
    _, findings = load_cohort(db)
    assert ("date.implausible", "error", "cohort.duckdb [table therapies]", 4, "end_date") in keys(findings.errors)


def test_all_null_column_in_parquet(valid, tmp_path):
    folder = parquet(tmp_path, valid, "patients", replace("sex", pa.nulls(3)))
    _, findings = load_cohort(folder)
    assert keys(findings) == {("required.missing", "error", "pq/patients.parquet", r, "sex") for r in (1, 2, 3)}


def test_import_from_a_hostile_stored_form_writes_nothing(valid, tmp_path):
    db = duck(tmp_path, valid, "UPDATE patients SET sex = 'martian'")
    out = tmp_path / "out.duckdb"
    res = runner.invoke(app, ["import", str(db), "--db", str(out)])
    assert res.exit_code == 2 and "category.unknown" in res.output and "Traceback" not in res.output
    assert not out.exists()


def test_stored_round_trip_keeps_frames_identical(valid, tmp_path):
    for path in (duck(tmp_path, valid), parquet(tmp_path, valid)):
        cohort, findings = load_cohort(path)
        assert not findings.items
        for t in valid.tables:
            assert cohort[t].equals(valid[t]) and list(cohort[t].dtypes) == list(valid[t].dtypes), (path, t)
