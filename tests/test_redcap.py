"""REDCap: the generated data dictionary, the records-export reader and the export helper."""
from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from mabseq.cohort import load_cohort
from mabseq.cohort.findings import ERROR, WARNING, Findings
from mabseq.cohort.readers import Mapping
from mabseq.cohort.redcap import (DICTIONARY_HEADER, INSTRUMENTS, REPEATING_INSTRUMENTS, column_of_field,
                                  data_dictionary, export_records, field_name, read_dictionary)
from mabseq.cohort.schema import BY_NAME, TABLES

CORPUS = Path(__file__).parent / "cohort_corpus"
VALID = CORPUS / "valid"
REDCAP = CORPUS / "redcap"
STANDARD_HEADER = ["Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
                   "Choices, Calculations, OR Slider Labels", "Field Note",
                   "Text Validation Type OR Show Slider Number", "Text Validation Min", "Text Validation Max",
                   "Identifier?", "Branching Logic (Show field only if...)", "Required Field?", "Custom Alignment",
                   "Question Number (surveys only)", "Matrix Group Name", "Matrix Ranking?", "Field Annotation"]


def _rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def _csv(rows: list[list[str]]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    return buf.getvalue()


@pytest.fixture(scope="module")
def dictionary() -> list[dict[str, str]]:
    rows = _rows(data_dictionary())
    return [dict(zip(rows[0], r)) for r in rows[1:]]


@pytest.fixture(scope="module")
def valid():
    cohort, findings = load_cohort(VALID)
    assert cohort is not None and not findings.errors
    return cohort, findings


@pytest.fixture
def project(tmp_path):
    """A REDCap project's files in tmp_path: the dictionary and a mapping with the study values."""
    (tmp_path / "dictionary.csv").write_text(data_dictionary(), encoding="utf-8")
    study = pd.read_csv(VALID / "study.csv", dtype=str).iloc[0].to_dict()
    (tmp_path / "mapping.json").write_text(json.dumps({"study": study}), encoding="utf-8")
    return tmp_path


def _load(project: Path, records: str):
    (project / "records.csv").write_text(records, encoding="utf-8")
    return load_cohort(project / "records.csv", redcap_dictionary=project / "dictionary.csv",
                       mapping=project / "mapping.json")


def _with_rule(findings: Findings, rule: str):
    got = [f for f in findings if f.rule == rule]
    assert got, f"no {rule} finding in:\n{findings.summary_text()}"
    return got


# ------------------------------------------------------------------------------------------------ dictionary

def test_dictionary_has_the_18_standard_columns(dictionary):
    assert _rows(data_dictionary())[0] == STANDARD_HEADER == list(DICTIONARY_HEADER)
    assert all(len(r) == 18 for r in _rows(data_dictionary()))


def test_field_names_are_valid_and_unique(dictionary):
    names = [r["Variable / Field Name"] for r in dictionary]
    assert len(names) == len(set(names))
    for n in names:
        assert re.fullmatch(r"^[a-z][a-z0-9_]*$", n) and len(n) <= 26, n
        assert not n.endswith("_complete"), n  # REDCap's instrument status fields
    assert names[0] == "patient_id" and dictionary[0]["Form Name"] == "patients"
    assert names.count("patient_id") == 1


def test_one_instrument_per_table_except_study(dictionary):
    forms = list(dict.fromkeys(r["Form Name"] for r in dictionary))
    assert forms == [t.name for t in TABLES if t.name != "study"] == list(INSTRUMENTS)
    assert set(REPEATING_INSTRUMENTS) == set(INSTRUMENTS) - {"patients", "follow_up"}
    n_columns = sum(len(t.columns) - (t.name != "patients") for t in TABLES if t.name != "study")
    assert len(dictionary) == n_columns


def test_field_naming_and_its_inverse(dictionary):
    by_name = {r["Variable / Field Name"]: r for r in dictionary}
    for t in TABLES:
        if t.name == "study":
            continue
        for c in t.columns:
            f = field_name(t.name, c.name)
            if c.name == "patient_id":
                assert f == "patient_id"
                continue
            assert f in by_name and by_name[f]["Form Name"] == t.name
            assert column_of_field(f) == (t.name, c.name)
            if t.name == "patients":
                assert f == c.name
            else:
                assert re.fullmatch(r"[a-z]{2}_" + re.escape(c.name), f)
    assert field_name("therapies", "start_date") == "th_start_date"
    assert column_of_field("fu_vital_status") == ("follow_up", "vital_status")
    assert column_of_field("no_such_field") is None
    with pytest.raises(KeyError):
        field_name("study", "study_name")


def test_field_types_follow_the_schema(dictionary):
    by_name = {r["Variable / Field Name"]: r for r in dictionary}
    n_dropdown = n_checkbox = 0
    for t in TABLES:
        if t.name == "study":
            continue
        for c in t.columns:
            r = by_name[field_name(t.name, c.name)]
            assert r["Field Label"] == c.description
            assert r["Required Field?"] == ("y" if c.required else "")
            assert r["Field Note"] == c.unit
            choices = r["Choices, Calculations, OR Slider Labels"]
            pairs = [tuple(p.strip() for p in item.split(",", 1)) for item in choices.split("|")] if choices else []
            if c.type == "category":
                n_dropdown += 1
                assert r["Field Type"] == "dropdown"
                assert pairs == list(c.choices)
            elif c.vocabulary:
                n_checkbox += 1
                assert r["Field Type"] == "checkbox"
                assert pairs == list(c.vocabulary)
                assert all(re.fullmatch(r"[a-z0-9_]+", code) for code, _ in pairs)
            elif c.type == "date":
                assert (r["Field Type"], r["Text Validation Type OR Show Slider Number"]) == ("text", "date_ymd")
            elif c.type in ("integer", "number"):
                assert (r["Field Type"], r["Text Validation Type OR Show Slider Number"]) == ("text", c.type)
                for key, bound in (("Text Validation Min", c.min), ("Text Validation Max", c.max)):
                    assert (r[key] == "") if bound is None else float(r[key]) == bound
            else:
                assert r["Field Type"] in ("text", "notes") and not r["Text Validation Type OR Show Slider Number"]
    n_category = sum(c.type == "category" for t in TABLES if t.name != "study" for c in t.columns)
    assert n_checkbox == 2 and n_dropdown == n_category > 0
    assert by_name["tx_conditioning_agents"]["Field Type"] == "checkbox"
    assert by_name["de_note"]["Field Type"] == "notes"
    assert [r["Variable / Field Name"] for r in dictionary if r["Identifier?"] == "y"] == ["birth_date"]


def test_generated_dictionary_reads_back_onto_every_column(tmp_path):
    p = tmp_path / "dictionary.csv"
    p.write_text(data_dictionary(), encoding="utf-8")
    findings = Findings()
    dd = read_dictionary(p, Mapping(), findings)
    assert not len(findings) and dd.record_id == "patient_id"
    placed = {(f.table, f.column) for f in dd.fields.values()}
    expected = {(t.name, c.name) for t in TABLES if t.name != "study" for c in t.columns if c.name != "patient_id"}
    assert placed == expected


# ------------------------------------------------------------------------------------------------ round trip

@pytest.mark.parametrize("labels", [False, True], ids=["raw", "labels"])
def test_round_trip_gives_the_csv_folder_cohort(project, valid, labels):
    cohort, folder_findings = valid
    records = export_records(cohort, labels=labels)
    if labels:
        assert "Checked" in records and "Matched unrelated" in records and ",Therapies," in records
    else:
        assert ",matched_unrelated," in records and ",therapies," in records
    got, findings = _load(project, records)
    assert not findings.errors, findings.summary_text()
    assert sorted(findings.rules()) == sorted(folder_findings.rules())
    for t in TABLES:
        if t.name != "study":
            pd.testing.assert_frame_equal(got[t.name], cohort[t.name], obj=t.name)
    assert got["transplants"]["conditioning_agents"].tolist() == ["clofarabine;melphalan;thiotepa"]
    # every row is located at its line of the records file
    lines = _rows(records)
    for name in ("patients", "therapies", "follow_up"):
        for (source, line), pid in zip(got.locations[name], got[name]["patient_id"]):
            assert source == "records.csv" and lines[line - 1][0] == pid


def test_export_orders_rows_as_redcap_does(valid):
    rows = _rows(export_records(valid[0]))
    head = rows[0]
    assert head[:3] == ["patient_id", "redcap_repeat_instrument", "redcap_repeat_instance"]
    assert "patients_complete" in head and "tx_gvhd_prophylaxis___ptcy" in head
    p01 = [r for r in rows[1:] if r[0] == "P01"]
    assert p01[0][1:3] == ["", ""]  # the non-repeating row first
    assert [r[2] for r in p01 if r[1] == "therapies"] == ["1", "2", "3"]


# ------------------------------------------------------------------------------------------------ broken inputs

@pytest.fixture
def export_rows(valid):
    return _rows(export_records(valid[0]))


def _line(rows, pid, instrument="", instance=""):
    """The CSV line (header = 1) of a row; no cell of the export spans lines."""
    for i, r in enumerate(rows):
        if r[0] == pid and r[1] == instrument and r[2] == instance:
            return i + 1
    raise AssertionError((pid, instrument, instance))


def _set(rows, line, field, value):
    rows[line - 1][rows[0].index(field)] = value


def test_unknown_repeat_instrument_is_an_error_naming_the_row(project, export_rows):
    line = _line(export_rows, "P01", "therapies", "2")
    _set(export_rows, line, "redcap_repeat_instrument", "labs")
    _, findings = _load(project, _csv(export_rows))
    [f] = _with_rule(findings, "redcap.instrument")
    assert (f.severity, f.row, f.value, f.patient_id, f.source) == (ERROR, line, "labs", "P01", "records.csv")


def test_field_not_in_the_dictionary_is_a_warning(project, export_rows):
    export_rows[0].append("favourite_colour")
    for r in export_rows[1:]:
        r.append("blue")
    cohort, findings = _load(project, _csv(export_rows))
    [f] = _with_rule(findings, "column.unknown")
    assert (f.severity, f.column) == (WARNING, "favourite_colour")
    assert not findings.errors and cohort is not None


def test_bad_dropdown_code_names_its_line(project, export_rows):
    line = _line(export_rows, "P02")
    _set(export_rows, line, "sex", "m")
    _, findings = _load(project, _csv(export_rows))
    [f] = _with_rule(findings, "category.unknown")
    assert (f.severity, f.table, f.row, f.column, f.value, f.patient_id) == (ERROR, "patients", line, "sex", "m",
                                                                             "P02")


def test_bad_date_in_a_repeating_instrument_row(project, export_rows):
    line = _line(export_rows, "P01", "therapies", "3")
    _set(export_rows, line, "th_start_date", "2018-02-30")
    _, findings = _load(project, _csv(export_rows))
    [f] = _with_rule(findings, "date.invalid")
    assert (f.table, f.row, f.column, f.value, f.patient_id) == ("therapies", line, "th_start_date", "2018-02-30",
                                                                 "P01")


def test_line_numbers_count_line_breaks_inside_cells(project, export_rows):
    _set(export_rows, _line(export_rows, "P01"), "karyotype", "46,XY\n(re-read 2019)")
    line = _line(export_rows, "P02", "disease_events", "1")
    _set(export_rows, line, "de_event_date", "01/06/2016")
    _, findings = _load(project, _csv(export_rows))
    [f] = _with_rule(findings, "date.format")
    assert (f.table, f.row, f.column) == ("disease_events", line + 1, "de_event_date")


def test_bad_checkbox_value(project, export_rows):
    line = _line(export_rows, "P01", "transplants", "1")
    _set(export_rows, line, "tx_conditioning_agents___tbi", "yes")
    _, findings = _load(project, _csv(export_rows))
    [f] = _with_rule(findings, "redcap.checkbox")
    assert (f.row, f.column, f.value) == (line, "tx_conditioning_agents___tbi", "yes")


def test_record_without_patient_data_is_named_at_its_first_line(project, export_rows):
    row = list(export_rows[_line(export_rows, "P03") - 1])
    new = ["P04"] + ["" for _ in row[1:]]
    new[export_rows[0].index("fu_last_contact_date")] = "2020-01-01"
    new[export_rows[0].index("fu_vital_status")] = "alive"
    export_rows.append(new)
    _, findings = _load(project, _csv(export_rows))
    missing = {f.column for f in _with_rule(findings, "required.missing") if f.row == len(export_rows)}
    assert {"diagnosis", "sex", "diagnosis_date"} <= missing
    assert "ref.unknown_patient" not in findings.rules()


def test_not_a_redcap_dictionary(tmp_path, valid):
    (tmp_path / "records.csv").write_text(export_records(valid[0]), encoding="utf-8")
    cohort, findings = load_cohort(tmp_path / "records.csv", redcap_dictionary=VALID / "patients.csv")
    [f] = _with_rule(findings, "redcap.dictionary")
    assert (f.severity, f.source) == (ERROR, "patients.csv")
    assert cohort is None


# ------------------------------------------------------------------------------------------------ another project

def test_dictionary_of_another_project():
    """Forms and fields mapped by the mapping file, numeric codes, events, DAGs, a multi-line note."""
    cohort, findings = load_cohort(REDCAP / "foreign_records.csv", redcap_dictionary=REDCAP / "foreign_dictionary.csv",
                                   mapping=REDCAP / "foreign_mapping.json")
    assert not findings.errors, findings.summary_text()
    assert sorted((f.rule, f.column) for f in findings) == [("column.unknown", "comments"),
                                                            ("column.unknown", "height_cm")]
    pats = cohort["patients"]
    assert pats["diagnosis"].tolist() == ["b_all", "t_all"] and pats["sex"].tolist() == ["female", "male"]
    assert pats["prior_allohsct"].tolist() == ["no", "yes"]
    th = cohort["therapies"]
    assert th["therapy_class"].tolist() == ["chemotherapy", "blinatumomab"]
    assert [line for _, line in cohort.locations["therapies"]] == [4, 5]
    tx = cohort["transplants"].iloc[0]
    assert (tx["donor_type"], tx["graft_source"], tx["conditioning_agents"]) == ("matched_unrelated", "pbsc",
                                                                                 "tbi;ATG-Fresenius")
    fu = cohort["follow_up"]
    assert fu["vital_status"].tolist() == ["dead", "alive"]
    assert [line for _, line in cohort.locations["follow_up"]] == [7, 9]
