"""``--mapping mapping.yaml`` through the commands (validate, import, run, explain), ``map sql`` and ``map upgrade``.

The messy workbook is the valid example cohort (tests/cohort_corpus/valid) rewritten the way a center keeps it:
own sheet names, a title row above the headers, headers in other letter case, ids in lower case with stray
spaces, sex as m/f/unk, follow-up dates as dd/mm/yyyy, percent signs, a key/value study sheet, an extra sheet and
an extra column. The oracle is the cohort read directly from the CSV folder: the mapped workbook must give the
same study results, byte for byte."""
from __future__ import annotations

import csv
import json
from pathlib import Path

import duckdb
import openpyxl
import pytest
from hostile_support import TABLE_FILES, VALID, valid_rows, workbook
from typer.testing import CliRunner

from mabseq.cli import app
from mabseq.cohort import load_cohort

runner = CliRunner()
SEX = {"male": "m", "female": "f", "Female": "f", "unknown": "unk"}


def sheet_name(t: str) -> str:
    return t.replace("_", " ").title() + " (center)"


def header(c: str) -> str:
    return c.replace("_", " ").upper()


def dmy(v: str) -> str:
    return f"{v[8:10]}/{v[5:7]}/{v[0:4]}" if len(v) == 10 and v[4] == "-" else v


def messy(tmp_path: Path, change=None) -> tuple[Path, Path]:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    lines = ["mabseq_mapping: 1", 'dates: ["%d/%m/%Y"]', "sources:"]
    tables = ["tables:"]
    for t in TABLE_FILES:
        rows = valid_rows(t)
        head, body = rows[0], rows[1:]
        if t == "study":
            ws = wb.create_sheet("Study info")
            ws.append(["Item", "Value"])
            for c, v in zip(head, body[0]):
                ws.append([header(c), v])
            lines.append('  study: {sheet: "Study info", layout: key_value, key_column: Item, value_column: Value}')
            tables += ["  study:", "    from: study", "    columns:"] + [f'      {c}: "{header(c)}"' for c in head]
            continue
        ws = wb.create_sheet(sheet_name(t))
        ws.append([f"{t} as kept by center B"])
        ws.append([header(c) for c in head] + (["Notes"] if t == "patients" else []))
        for r in body:
            r = list(r)
            for j, c in enumerate(head):
                if c == "patient_id":
                    r[j] = "  " + r[j].lower() + " "
                if t == "patients" and c == "sex":
                    r[j] = SEX[r[j]]
                if t == "follow_up" and c.endswith("_date"):
                    r[j] = dmy(r[j])
                if t == "assessments" and c == "bm_blast_pct" and r[j]:
                    r[j] = r[j] + " %"
            ws.append([v if v != "" else None for v in r] + (["free text"] if t == "patients" else []))
        extra = ", ignore_columns: [Notes]" if t == "patients" else ""
        lines.append(f'  {t}: {{sheet: "{sheet_name(t)}", header_row: 2{extra}}}')
        tables += [f"  {t}:", f"    from: {t}", "    columns:"]
        for c in head:
            if t == "patients" and c == "sex":
                tables.append(f'      sex: {{column: "{header(c).lower()}", values: {{m: male, f: female, '
                              'unk: unknown}}')
            else:
                tables.append(f'      {c}: "{header(c).lower()}"')
    wb.create_sheet("Read me").append(["how we keep this file"])
    if change is not None:
        change(wb)
    data = tmp_path / "center_b.xlsx"
    wb.save(data)
    m = tmp_path / "mapping.yaml"
    m.write_text("\n".join(lines + tables) + "\n", encoding="utf-8")
    return data, m


def invoke(*args):
    r = runner.invoke(app, [str(a) for a in args])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output
    return r


def test_validate_and_run_give_the_cohort_and_results_of_the_template(tmp_path):
    data, m = messy(tmp_path)
    r = invoke("validate", data, "--mapping", m)
    assert r.exit_code == 0, r.output
    mapped, f1 = load_cohort(data, mapping=m)
    direct, f2 = load_cohort(VALID)
    assert mapped is not None and not f1.errors, f1.summary_text()
    assert mapped.equals(direct)
    assert [w.source for w in f1.warnings if w.rule == "mapping.sheet_unused"] == ["center_b.xlsx [sheet Read me]"]
    invoke("run", VALID, "--out", tmp_path / "o1", "--quiet")
    r = invoke("run", data, "--mapping", m, "--out", tmp_path / "o2", "--quiet")
    assert r.exit_code == 0, r.output
    for name in ("adsl.csv", "adtte.csv", "results.csv", "excluded.csv"):
        assert (tmp_path / "o1" / name).read_bytes() == (tmp_path / "o2" / name).read_bytes(), name
    r = invoke("explain", data, "--mapping", m, "--patient", "P01")
    assert r.exit_code == 0 and "P01" in r.output


def test_a_bad_value_is_named_by_the_centers_sheet_row_and_column(tmp_path):
    def change(wb):
        ws = wb[sheet_name("follow_up")]
        ws["C3"] = "zombie"  # vital_status of the first data row (row 3: title row, header row)
    data, m = messy(tmp_path, change)
    r = invoke("validate", data, "--mapping", m)
    assert r.exit_code == 2
    _, f = load_cohort(data, mapping=m)
    e = [x for x in f.errors if x.value == "zombie"][0]
    assert (e.source, e.row, e.column) == ("center_b.xlsx [sheet Follow Up (center)]", 3, "VITAL STATUS")
    assert "center_b.xlsx [sheet Follow Up (center)], row 3, column 'VITAL STATUS'" in r.output


def test_an_unmapped_value_is_an_error_with_its_count(tmp_path):
    def change(wb):
        ws = wb[sheet_name("patients")]
        col = [c.value for c in ws[2]].index("SEX") + 1
        ws.cell(3, col).value = "X"
        ws.cell(5, col).value = "x "
    data, m = messy(tmp_path, change)
    r = invoke("validate", data, "--mapping", m)
    assert r.exit_code == 2
    assert "'X' (2 row(s), first row 3) is not covered by the value map of patients.sex" in r.output
    assert "center_b.xlsx [sheet Patients (center)], row 3, column 'SEX'" in r.output


def test_provenance_csv(tmp_path):
    data, m = messy(tmp_path)
    r = invoke("validate", data, "--mapping", m, "--provenance", tmp_path / "prov.csv")
    assert r.exit_code == 0, r.output
    with open(tmp_path / "prov.csv", newline="", encoding="utf-8") as fh:
        prov = list(csv.DictReader(fh))
    first = valid_rows("patients")[1]
    cell = [p for p in prov if p["table"] == "patients" and p["column"] == "sex" and p["patient_id"] == first[0]][0]
    want_code = {"m": "male", "f": "female", "unk": "unknown"}[SEX[first[2]]]
    assert (cell["source"], cell["source_row"], cell["source_column"], cell["rule"]) == (
        "center_b.xlsx [sheet Patients (center)]", "3", "SEX", f'value map "{SEX[first[2]]}" -> {want_code}')
    cut = [p for p in prov if p["table"] == "study" and p["column"] == "data_cutoff"][0]
    assert (cut["source_row"], cut["source_column"], cut["rule"]) == ("3", "DATA CUTOFF", "date")
    blast = [p for p in prov if p["table"] == "assessments" and p["column"] == "bm_blast_pct"][0]
    assert blast["rule"] == "number %"
    # no cell of the cohort without its provenance: one row per non-empty canonical cell
    n_cells = 0
    for t in TABLE_FILES:
        for r_ in valid_rows(t)[1:]:
            n_cells += sum(1 for v in r_ if v != "")
    assert len(prov) == n_cells


def test_import_stores_provenance_and_reads_back(tmp_path):
    data, m = messy(tmp_path)
    db = tmp_path / "c.duckdb"
    assert invoke("import", data, "--mapping", m, "--db", db, "--quiet").exit_code == 0
    con = duckdb.connect(str(db), read_only=True)
    n = con.execute("SELECT count(*) FROM _provenance WHERE \"table\" = 'patients' AND \"column\" = 'sex'"
                    ).fetchall()[0][0]
    con.close()
    assert n == len(valid_rows("patients")) - 1
    cohort, f = load_cohort(db)
    assert not f.errors and not [w for w in f.warnings if w.rule == "table.unknown"]
    assert cohort.equals(load_cohort(VALID)[0])
    pq = tmp_path / "pq"
    assert invoke("import", data, "--mapping", m, "--parquet", pq, "--quiet").exit_code == 0
    assert (pq / "_provenance.parquet").is_file()
    cohort, f = load_cohort(pq)
    assert not f.errors and not [w for w in f.warnings if w.rule == "table.unknown"]


def test_map_sql_is_byte_identical(tmp_path):
    data, m = messy(tmp_path)
    a = invoke("map", "sql", m)
    b = invoke("map", "sql", m, "--data", data)
    c = invoke("map", "sql", m, "--data", data)
    assert a.exit_code == 0 and b.exit_code == 0
    assert b.stdout == c.stdout and 'FROM "src:patients"' in b.stdout
    r = invoke("map", "sql", tmp_path / "nope.yaml")
    assert r.exit_code == 2


def test_map_upgrade_gives_the_same_cohort(tmp_path):
    def edit(wb):
        ws = wb["patients"]
        ws.title = "Demographics"
        ws["A1"] = "Study ID"
        ws2 = wb["therapies"]
        ws2.title = "Courses"
        ws2["B1"] = "Course"
    src = workbook(tmp_path / "a.xlsx", edit=edit)
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"tables": {"Demographics": "patients", "Courses": "therapies"},
                               "columns": {"patients": {"Study ID": "patient_id"},
                                           "therapies": {"Course": "course_id"}}}))
    r = invoke("map", "upgrade", old, "--out", tmp_path / "new.yaml", "--data", src)
    assert r.exit_code == 0, r.output
    before, f1 = load_cohort(src, mapping=old)
    after, f2 = load_cohort(src, mapping=tmp_path / "new.yaml")
    assert not f1.errors and not f2.errors, f2.summary_text()
    assert after.equals(before)
    # the YAML file is now the user's to edit: written again only with --overwrite
    assert invoke("map", "upgrade", old, "--out", tmp_path / "new.yaml").exit_code == 2


def test_report_and_deidentify_take_the_mapping(tmp_path):
    data, m = messy(tmp_path)
    r = invoke("report", data, "--mapping", m, "--out", tmp_path / "rep", "--quiet")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "rep" / "report.html").is_file()
    r = invoke("deidentify", data, "--mapping", m, "--out", tmp_path / "deid", "--key", tmp_path / "key.json")
    assert r.exit_code == 0, r.output


def _csv_folder_with_study_values(tmp_path):
    """tests/test_cohort_roundtrip.py's fixture: a CSV folder with a renamed file and column, study in the mapping."""
    folder = tmp_path / "center"
    folder.mkdir()
    for f in VALID.glob("*.csv"):
        text = f.read_text()
        if f.stem == "patients":
            (folder / "Demographics.csv").write_text(text.replace("diagnosis_date", "Dx date", 1))
        elif f.stem != "study":
            (folder / f.name).write_text(text)
    body = {"tables": {"Demographics": "patients"}, "columns": {"patients": {"Dx date": "diagnosis_date"}},
            "study": {"study_name": "example", "data_cutoff": "2020-06-30", "center": "Example center",
                      "enrollment_start": "2012-01-01", "enrollment_end": "2019-12-31"}}
    return folder, body


def _two_sheets_for_one_table(tmp_path):
    """tests/test_hostile_mapping.py's fixture: the courses in two sheets the mapping names for one table."""
    def edit(wb):
        ws = wb["therapies"]
        ws.title = "Courses 2015-17"
        ws["B1"] = "Course"
        rows_ = list(ws.iter_rows(values_only=True))
        ws2 = wb.create_sheet("Courses 2018")
        ws2.append(rows_[0])
        for r in rows_[1:]:
            if str(r[5]).startswith("2018"):
                ws2.append(r)
        for i in range(len(rows_), 1, -1):
            if str(rows_[i - 1][5]).startswith("2018"):
                ws.delete_rows(i)
    src = workbook(tmp_path / "a.xlsx", edit=edit)
    return src, {"tables": {"Courses 2015-17": "therapies", "Courses 2018": "therapies"},
                 "columns": {"therapies": {"Course": "course_id"}}}


@pytest.mark.parametrize("fixture", [_csv_folder_with_study_values, _two_sheets_for_one_table])
def test_map_upgrade_of_the_suites_json_fixtures(tmp_path, fixture):
    data, body = fixture(tmp_path)
    old = tmp_path / "old.json"
    old.write_text(json.dumps(body))
    r = invoke("map", "upgrade", old, "--out", tmp_path / "new.yaml", "--data", data)
    assert r.exit_code == 0, r.output
    before, f1 = load_cohort(data, mapping=old)
    after, f2 = load_cohort(data, mapping=tmp_path / "new.yaml")
    assert not f1.errors and not f2.errors, f2.summary_text()
    assert after.equals(before) and after.equals(load_cohort(VALID)[0])
