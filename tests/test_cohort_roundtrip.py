"""Round trips: template -> filled workbook -> DuckDB / Parquet -> frames, all identical; and the CLI doors."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from mabseq.cli import app
from mabseq.cohort import TABLES, load_cohort
from mabseq.cohort.schema import BY_NAME
from mabseq.cohort.storage import read_duckdb, read_parquet, write_duckdb, write_parquet
from mabseq.cohort.templates import write_xlsx_template

CORPUS = Path(__file__).parent / "cohort_corpus"
runner = CliRunner()


@pytest.fixture(scope="module")
def valid():
    cohort, findings = load_cohort(CORPUS / "valid")
    assert not findings.items
    return cohort


def fill_template(cohort, path: Path, *, labels: bool) -> Path:
    """What a data manager does: open the blank template and type the cohort in (dates as dates, labels picked
    from the drop-downs)."""
    write_xlsx_template(path)
    wb = openpyxl.load_workbook(path)
    for t in TABLES:
        ws = wb[t.name]
        header = [c.value for c in ws[1]]
        assert header == t.column_names
        df = cohort[t.name]
        for i in range(len(df)):
            for j, c in enumerate(t.columns, start=1):
                v = df.at[i, c.name]
                if pd.isna(v):
                    continue
                if c.type == "date":
                    v = dt.datetime(v.year, v.month, v.day)
                elif c.type == "integer":
                    v = int(v)
                elif c.type == "number":
                    v = float(v)
                elif c.type == "category" and labels:
                    v = dict(c.choices)[v]
                else:
                    v = str(v)
                ws.cell(row=i + 2, column=j, value=v)
    wb.save(path)
    return path


def assert_same(a, b):
    for t in TABLES:
        pd.testing.assert_frame_equal(a[t.name], b[t.name], check_exact=True, obj=t.name)


def test_template_workbook_round_trip(valid, tmp_path):
    xlsx = fill_template(valid, tmp_path / "filled.xlsx", labels=True)
    from_xlsx, findings = load_cohort(xlsx)
    assert not findings.items, findings.summary_text()
    assert_same(from_xlsx, valid)
    db = write_duckdb(from_xlsx, tmp_path / "cohort.duckdb")
    assert_same(read_duckdb(db), valid)
    pq = write_parquet(from_xlsx, tmp_path / "cohort_parquet")
    assert_same(read_parquet(pq), valid)
    # and both stored forms are valid DATA for every command
    for stored in (db, pq):
        again, f2 = load_cohort(stored)
        assert not f2.errors
        assert_same(again, valid)


def test_stored_forms_are_byte_stable(valid, tmp_path):
    a = write_parquet(valid, tmp_path / "a")
    b = write_parquet(valid, tmp_path / "b")
    for f in sorted(a.iterdir()):
        assert f.read_bytes() == (b / f.name).read_bytes(), f.name


def test_template_is_deterministic_and_documented(tmp_path):
    a = write_xlsx_template(tmp_path / "a.xlsx").read_bytes()
    b = write_xlsx_template(tmp_path / "b.xlsx").read_bytes()
    assert a == b
    wb = openpyxl.load_workbook(tmp_path / "a.xlsx")
    cols = wb["columns"]
    documented = {(r[0], r[1]) for r in cols.iter_rows(min_row=2, values_only=True)}
    assert documented == {(t.name, c.name) for t in TABLES for c in t.columns}
    # every coded column carries a drop-down
    ws = wb["patients"]
    ranges = " ".join(str(dv.sqref) for dv in ws.data_validations.dataValidation)
    for j, c in enumerate(BY_NAME["patients"].columns, start=1):
        if c.type == "category":
            assert f"{openpyxl.utils.get_column_letter(j)}2:" in ranges


def test_excel_serial_number_in_a_date_cell(valid, tmp_path):
    xlsx = fill_template(valid, tmp_path / "f.xlsx", labels=False)
    wb = openpyxl.load_workbook(xlsx)
    wb["therapies"]["F3"] = 43110  # start_date pasted as a plain number (General format)
    wb["therapies"]["F3"].number_format = "General"
    wb.create_sheet("Sheet1")
    wb.save(xlsx)
    _, findings = load_cohort(xlsx)
    f = [x for x in findings if x.rule == "date.excel_serial"]
    assert f and f[0].source == "f.xlsx [sheet therapies]" and f[0].row == 3 and f[0].column == "start_date"
    assert "2018-01-10" in f[0].message
    assert any(x.rule == "table.unknown" and x.source == "f.xlsx [sheet Sheet1]" for x in findings)


def test_mapping_file_renames_sheets_and_columns(tmp_path):
    folder = tmp_path / "center"
    folder.mkdir()
    for f in (CORPUS / "valid").glob("*.csv"):
        text = f.read_text()
        if f.stem == "patients":
            (folder / "Demographics.csv").write_text(text.replace("diagnosis_date", "Dx date", 1))
        elif f.stem != "study":
            (folder / f.name).write_text(text)
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"tables": {"Demographics": "patients"},
                                   "columns": {"patients": {"Dx date": "diagnosis_date"}},
                                   "study": {"study_name": "example", "data_cutoff": "2020-06-30",
                                             "center": "Example center", "enrollment_start": "2012-01-01",
                                             "enrollment_end": "2019-12-31"}}))
    mapped, findings = load_cohort(folder, mapping=mapping)
    assert not findings.items, findings.summary_text()
    ref, _ = load_cohort(CORPUS / "valid")
    assert_same(mapped, ref)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"columns": {"patients": {"x": "no_such_column"}}}))
    _, f2 = load_cohort(folder, mapping=bad)
    assert "mapping.unknown_column" in f2.rules()


# ---- the command line ------------------------------------------------------------------------------------------
def test_cli_validate_and_import(tmp_path):
    res = runner.invoke(app, ["validate", str(CORPUS / "valid"), "--json", str(tmp_path / "v.json")])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "v.json").read_text())["errors"] == 0
    db = tmp_path / "c.duckdb"
    res = runner.invoke(app, ["import", str(CORPUS / "valid"), "--db", str(db)])
    assert res.exit_code == 0 and db.exists()
    res = runner.invoke(app, ["validate", str(db)])
    assert res.exit_code == 0


def test_cli_errors_exit_2_and_write_nothing(tmp_path):
    case = CORPUS / "broken" / "02_date_invalid"
    db = tmp_path / "c.duckdb"
    res = runner.invoke(app, ["import", str(case), "--db", str(db)])
    assert res.exit_code == 2
    assert "patients.csv, row 2, column 'diagnosis_date'" in res.output
    assert "date.invalid" in res.output
    assert not db.exists() and list(tmp_path.iterdir()) == []
    res = runner.invoke(app, ["validate", str(case), "--json", str(tmp_path / "f.json")])
    assert res.exit_code == 2
    body = json.loads((tmp_path / "f.json").read_text())
    assert body["errors"] >= 1 and body["findings"][0]["rule"] == "date.invalid"


def test_cli_templates(tmp_path):
    res = runner.invoke(app, ["template", "xlsx", "--out", str(tmp_path / "t.xlsx")])
    assert res.exit_code == 0 and (tmp_path / "t.xlsx").exists()
    res = runner.invoke(app, ["template", "nonsense"])
    assert res.exit_code == 2


def test_schema_doc_is_current():
    from mabseq.cohort.schema import schema_markdown
    doc = Path(__file__).parents[1] / "docs" / "COHORT_SCHEMA.md"
    assert doc.read_text() == schema_markdown() + "\n", "regenerate: mabseq schema > docs/COHORT_SCHEMA.md"
