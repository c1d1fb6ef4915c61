"""Hostile and broken column-mapping files: each a clear error naming the mapping file (and the line where JSON
gives one), the data not read with half a mapping, exit 2 from the CLI, no traceback."""
from __future__ import annotations

import json
import os
import threading
import time

import pytest
from hostile_support import assert_plain, cli_validate, csv_folder, one, workbook

from mabseq.cohort import load_cohort

ISSUE_CASES = {
    # name: (file content, rule, words the message must hold)
    "empty_list": ("[]", "mapping.structure", "this file holds a list"),
    "deep": ('{"tables": ' + "[" * 200_000 + "]" * 200_000 + "}", "mapping.unreadable", "nested too deeply"),
    "latin1": ('{"tables": {"Démographie": "patients"}}'.encode("latin-1"), "mapping.encoding", "not UTF-8"),
    "table_name_typo": ('{"tables": {"patients": "patient"}}', "mapping.unknown_table", "did you mean 'patients'?"),
    "top_key_case": ('{"Tables": {"Demographics": "patients"}}', "mapping.unknown_key",
                     "keys are lower case: 'tables'"),
    "number_value": ('{"tables": {"Demographics": 3}}', "mapping.structure", "not a number"),
    "null_column": ('{"columns": {"patients": {"Study ID": null}}}', "mapping.structure", "not null"),
    "study_number": ('{"study": {"data_cutoff": 20200630}}', "mapping.structure", "text in quotes"),
    "sheet_to_list": ('{"tables": {"Demographics": ["patients", "follow_up"]}}', "mapping.structure",
                      "one table name in quotes, not a list"),
    "huge": ('{"study": {"study_name": "' + "x" * (2 << 20) + '"}}', "mapping.too_large", "at most 1.0 MiB"),
}

MY_CASES = {
    "duplicate_key": ('{"tables": {"A": "patients"}, "tables": {"B": "patients"}}', "mapping.duplicate_key",
                      "given twice"),
    "nan": ('{"study": {"study_name": NaN}}', "mapping.unreadable", "NaN is not a JSON value"),
    "empty_file": ("", "mapping.unreadable", "empty"),
    "whitespace": ("  \n ", "mapping.unreadable", "empty"),
    "case_collision": ('{"tables": {"Demographics": "patients", "demographics ": "patients"}}', "mapping.duplicate",
                       "differ only in case"),
    "utf16": ('{"tables": {}}'.encode("utf-16"), "mapping.encoding", "UTF-16"),
    "columns_not_object": ('{"columns": {"patients": "Study ID"}}', "mapping.structure", "must be an object"),
    "top_string": ('"tables"', "mapping.structure", "this file holds text"),
    "unknown_column_table": ('{"columns": {"patient": {"ID": "patient_id"}}}', "mapping.unknown_table",
                             "did you mean 'patients'?"),
    "syntax": ('{"tables": {"A": "patients",}}', "mapping.unreadable", "column 29"),
    "tables_list": ('{"tables": ["patients"]}', "mapping.structure", "tables must be an object"),
    "unknown_key": ('{"tabels": {}}', "mapping.unknown_key", "did you mean 'tables'?"),
    "study_unknown": ('{"study": {"cutoff": "2020-06-30"}}', "mapping.unknown_column", "did you mean"),
}


def _write(tmp_path, body) -> object:
    m = tmp_path / "m.json"
    if isinstance(body, bytes):
        m.write_bytes(body)
    else:
        m.write_text(body, encoding="utf-8")
    return m


@pytest.mark.parametrize("name", list(ISSUE_CASES) + list(MY_CASES))
def test_broken_mapping_is_one_clear_error_naming_the_file(tmp_path, name):
    body, rule, words = {**ISSUE_CASES, **MY_CASES}[name]
    m = _write(tmp_path, body)
    data = csv_folder(tmp_path)
    cohort, findings = load_cohort(data, mapping=m)
    assert cohort is None
    assert findings.errors and all(f.source == "m.json" for f in findings)  # the data was not read
    f = one(findings, rule)
    assert words in f.message, str(f)
    assert str(f).startswith("error: m.json")
    assert_plain(findings)
    r = cli_validate(data, "--mapping", m)
    assert r.exit_code == 2 and "m.json" in r.output and rule in r.output


def test_json_syntax_error_names_line_and_column(tmp_path):
    m = _write(tmp_path, '{\n  "tables": {\n    "A": patients\n  }\n}\n')
    _, findings = load_cohort(csv_folder(tmp_path), mapping=m)
    f = one(findings, "mapping.unreadable")
    assert f.row == 3 and "column 10" in f.message


def test_mapping_is_a_folder(tmp_path):
    (tmp_path / "m.json").mkdir()
    cohort, findings = load_cohort(csv_folder(tmp_path), mapping=tmp_path / "m.json")
    f = one(findings, "mapping.unreadable")
    assert f.source == "m.json" and "folder" in f.message and cohort is None
    r = cli_validate(tmp_path / "data", "--mapping", tmp_path / "m.json")
    assert r.exit_code == 2


def test_mapping_is_a_device_or_a_pipe(tmp_path):
    _, findings = load_cohort(csv_folder(tmp_path), mapping="/dev/zero")
    assert "device" in one(findings, "mapping.unreadable").message
    fifo = tmp_path / "m.json"
    os.mkfifo(fifo)
    stop = time.time() + 20

    def unblock():
        time.sleep(3)
        while time.time() < stop:
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
                return
            except OSError:
                time.sleep(0.2)
    threading.Thread(target=unblock, daemon=True).start()
    _, findings = load_cohort(tmp_path / "data", mapping=fifo)
    assert "named pipe" in one(findings, "mapping.unreadable").message


def test_mapping_missing(tmp_path):
    _, findings = load_cohort(csv_folder(tmp_path), mapping=tmp_path / "nope.json")
    assert one(findings, "mapping.unreadable").message == "mapping file not found"


def test_mapping_with_a_byte_order_mark_is_read(tmp_path):
    """Windows' Notepad saves UTF-8 with a BOM; json.loads used to refuse it."""
    def edit(wb):
        wb["patients"].title = "Demographics"
    src = workbook(tmp_path / "a.xlsx", edit=edit)
    m = _write(tmp_path, "\ufeff" + json.dumps({"tables": {"Demographics": "patients"}}))
    cohort, findings = load_cohort(src, mapping=m)
    assert not findings.errors, findings.summary_text()
    assert len(cohort["patients"]) == 3


def test_valid_mapping_with_own_names_and_two_sheets_for_one_table(tmp_path):
    """Sheets and columns under the center's names; two sheets the mapping names for one table are read together
    (only sheets that land on one table by their own names are table.duplicate)."""
    def edit(wb):
        ws = wb["therapies"]
        ws.title = "Courses 2015-17"
        ws["B1"] = "Course"
        rows = list(ws.iter_rows(values_only=True))
        ws2 = wb.create_sheet("Courses 2018")
        ws2.append(rows[0])
        for r in rows[1:]:
            if str(r[5]).startswith("2018"):
                ws2.append(r)
        for i in range(len(rows), 1, -1):
            if str(rows[i - 1][5]).startswith("2018"):
                ws.delete_rows(i)
    src = workbook(tmp_path / "a.xlsx", edit=edit)
    m = _write(tmp_path, json.dumps({"tables": {"Courses 2015-17": "therapies", "Courses 2018": "therapies"},
                                     "columns": {"therapies": {"Course": "course_id"}}}))
    cohort, findings = load_cohort(src, mapping=m)
    assert not findings.errors, findings.summary_text()
    assert len(cohort["therapies"]) == 6
