"""Hostile and unusual CSV folders and REDCap exports: each case with the finding or behaviour it must produce.

Every case starts from the valid example cohort (tests/cohort_corpus/valid) and breaks one thing."""
from __future__ import annotations

import os
import threading
import time

import pytest
from hostile_support import (assert_plain, cli_validate, csv_folder, csv_text, load_redcap, one, redcap_project,
                             rows_of, valid_rows, with_rule, workbook)

from mabseq.cohort import load_cohort


def _patients(edit) -> str:
    rows = valid_rows("patients")
    edit(rows)
    return csv_text(rows)


def _col(name: str) -> int:
    return valid_rows("patients")[0].index(name)


def _only_source(findings, source: str) -> list:
    return [f for f in findings if f.source == source]


# ------------------------------------------------------------------------------------------------ CSV: the issue

@pytest.mark.parametrize("inside", ["\n", "\r\n", "\u2028", "\x0c", "\u2029\x0b"],
                         ids=["LF", "CRLF", "U+2028", "form-feed", "U+2029+VT"])
def test_line_break_inside_a_quoted_cell_stays_in_the_cell(tmp_path, inside):
    def edit(rows):
        rows[1][_col("karyotype")] = f"46,XY{inside}(re-read 2019)"
        rows[3][_col("sex")] = "martian"  # a finding after the broken line must keep its line number
    folder = csv_folder(tmp_path, patients=_patients(edit))
    cohort, findings = load_cohort(folder)
    f = one(findings, "category.unknown")
    extra = 1 if inside in ("\n", "\r\n") else 0  # a line break inside a cell is a line of the file
    assert (f.source, f.row, f.column, f.value) == ("patients.csv", 4 + extra, "sex", "martian")
    assert [x.rule for x in findings.errors] == ["category.unknown"]
    assert cohort["patients"].set_index("patient_id").at["P01", "karyotype"] == f"46,XY{inside}(re-read 2019)"


@pytest.mark.parametrize("bom", [True, False])
def test_utf16_file_gives_one_finding(tmp_path, bom):
    text = csv_text(valid_rows("patients"))
    data = ("\ufeff" + text).encode("utf-16-le") if bom else text.encode("utf-16-le")
    _, findings = load_cohort(csv_folder(tmp_path, patients=data))
    assert [f.rule for f in findings] == ["file.encoding", "read.stopped"]  # not 1,375 findings
    assert findings.items[0].source == "patients.csv" and "UTF-16" in findings.items[0].message


def test_latin1_text_named_with_its_line_and_character(tmp_path):
    text = _patients(lambda rows: rows[2].__setitem__(_col("karyotype"), "46,XX, café"))
    _, findings = load_cohort(csv_folder(tmp_path, patients=text.encode("cp1252")))
    f = one(findings, "file.encoding")
    assert (f.source, f.row) == ("patients.csv", 3) and "'é'" in f.message and "0xE9" in f.message
    assert "CSV UTF-8" in f.message


def test_semicolon_csv_with_decimal_commas_gets_one_hint(tmp_path):
    rows = valid_rows("patients")
    text = "".join(";".join(r).replace("45.2", "45,2").replace("61.0", "61,0") + "\n" for r in rows)
    _, findings = load_cohort(csv_folder(tmp_path, patients=text))
    assert [f.rule for f in findings] == ["file.delimiter", "read.stopped"]
    mine = _only_source(findings, "patients.csv")
    assert "semicolons (;)" in mine[0].message and "decimal comma ('45,2' on line 2)" in mine[0].message


def test_nul_bytes(tmp_path):
    text = _patients(lambda rows: rows[2].__setitem__(0, "P0\x002"))
    _, findings = load_cohort(csv_folder(tmp_path, patients=text))
    f = one(findings, "file.nul")
    assert (f.source, f.row) == ("patients.csv", 3)
    assert [x for x in findings if x.source == "patients.csv"] == [f]


def test_row_with_too_few_fields(tmp_path):
    text = _patients(lambda rows: rows.__setitem__(2, rows[2][:5]))
    _, findings = load_cohort(csv_folder(tmp_path, patients=text))
    f = one(findings, "row.too_few_fields")
    assert (f.source, f.row, f.severity) == ("patients.csv", 3, "error") and "5 fields for 21 columns" in f.message


def test_duplicate_headers_name_both_spellings(tmp_path):
    def edit(rows):
        rows[0].append("Sex")
        for r in rows[1:]:
            r.append("female")
    _, findings = load_cohort(csv_folder(tmp_path, patients=_patients(edit)))
    f = one(findings, "column.duplicate")
    assert f.column == "Sex" and "'sex' and 'Sex'" in f.message


def test_empty_file(tmp_path):
    _, findings = load_cohort(csv_folder(tmp_path, doses=""))
    f = one(findings, "file.empty")
    assert (f.source, f.severity) == ("doses.csv", "error")


def test_huge_line(tmp_path):
    """A 200 kB cell passes the csv module's own limit (it used to raise csv.Error): a finding with the line."""
    text = _patients(lambda rows: rows[2].__setitem__(_col("karyotype"), "x" * 200_000))
    _, findings = load_cohort(csv_folder(tmp_path, patients=text))
    f = one(findings, "cell.too_long")
    assert (f.source, f.row) == ("patients.csv", 3)
    r = cli_validate(csv_folder(tmp_path / "b", patients=text))
    assert r.exit_code == 2


def test_cell_over_excels_limit(tmp_path):
    text = _patients(lambda rows: rows[3].__setitem__(_col("karyotype"), "46,XY" * 7000))
    _, findings = load_cohort(csv_folder(tmp_path, patients=text))
    f = one(findings, "cell.too_long")
    assert (f.row, f.column) == (4, "karyotype") and "35,000 characters" in f.message and len(f.value) <= 260


# ------------------------------------------------------------------------------------------------ CSV: my own

@pytest.mark.parametrize("end", ["\r\n", "\r"], ids=["CRLF", "CR"])
def test_crlf_and_cr_only_line_ends(tmp_path, end):
    text = csv_text(valid_rows("patients"), end)
    folder = csv_folder(tmp_path, patients=text.replace("martian", ""))
    rows = valid_rows("therapies")
    rows[3][2] = "potion"
    (folder / "therapies.csv").write_text(csv_text(rows, end), newline="")
    _, findings = load_cohort(folder)
    f = one(findings, "category.unknown")
    assert (f.source, f.row) == ("therapies.csv", 4) and len(findings.errors) == 1


def test_trailing_delimiter_on_every_row(tmp_path):
    rows = valid_rows("therapies")
    text = "".join(",".join(r) + ",\n" for r in rows[:1]) + "".join(",".join(r) + ",\n" for r in rows[1:])
    cohort, findings = load_cohort(csv_folder(tmp_path, therapies=text))
    assert not findings.errors, findings.summary_text()
    assert len(cohort["therapies"]) == 6


def test_trailing_delimiter_on_data_rows_only(tmp_path):
    rows = valid_rows("therapies")
    text = ",".join(rows[0]) + "\n" + "".join(",".join(r) + ",\n" for r in rows[1:])
    cohort, findings = load_cohort(csv_folder(tmp_path, therapies=text))
    f = one(findings, "row.trailing_delimiter")
    assert (f.row, f.severity) == (2, "warning") and "6 rows" in f.message and not findings.errors


def test_two_files_joined_bom_and_header_in_the_middle(tmp_path):
    rows = valid_rows("therapies")
    a, b = csv_text(rows[:4]), csv_text([rows[0]] + rows[4:])
    _, findings = load_cohort(csv_folder(tmp_path, therapies=a + "\ufeff" + b))
    assert one(findings, "text.bom").row == 5
    assert one(findings, "row.header_repeated").row == 5


def test_header_repeated_without_bom(tmp_path):
    rows = valid_rows("therapies")
    _, findings = load_cohort(csv_folder(tmp_path, therapies=csv_text(rows[:3] + [rows[0]] + rows[3:])))
    f = one(findings, "row.header_repeated")
    assert (f.source, f.row) == ("therapies.csv", 4)


def test_symlink_to_a_file_outside_the_folder_is_refused(tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text(csv_text(valid_rows("doses")))
    folder = csv_folder(tmp_path, doses=None)
    os.symlink(secret, folder / "doses.csv")
    cohort, findings = load_cohort(folder)
    f = one(findings, "file.link_outside")
    assert f.source == "doses.csv" and cohort is None and findings.rules() == ["file.link_outside", "read.stopped"]


def test_fifo_named_like_a_table_does_not_block(tmp_path):
    folder = csv_folder(tmp_path, doses=None)
    fifo = folder / "doses.csv"
    os.mkfifo(fifo)
    stop = time.time() + 20

    def unblock():  # a reader that opened the pipe would wait forever: give it an end of file after a while
        time.sleep(3)
        while time.time() < stop:
            try:
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
                return
            except OSError:
                time.sleep(0.2)
    threading.Thread(target=unblock, daemon=True).start()
    _, findings = load_cohort(folder)
    f = one(findings, "file.not_regular")
    assert f.source == "doses.csv" and "named pipe" in f.message


def test_folder_named_like_a_table(tmp_path):
    folder = csv_folder(tmp_path, doses=None)
    (folder / "doses.csv").mkdir()
    _, findings = load_cohort(folder)
    assert "folder" in one(findings, "file.not_regular").message


def test_upper_case_extension_is_read(tmp_path):
    folder = csv_folder(tmp_path)
    (folder / "patients.csv").rename(folder / "patients.CSV")
    cohort, findings = load_cohort(folder)
    assert not findings.errors, findings.summary_text()
    assert len(cohort["patients"]) == 3


def test_other_files_in_the_folder_are_named(tmp_path):
    folder = csv_folder(tmp_path)
    (folder / "notes.txt").write_text("to do")
    workbook(folder / "cohort.xlsx")
    (folder / ".DS_Store").write_bytes(b"\0")
    _, findings = load_cohort(folder)
    assert {f.source for f in with_rule(findings, "file.ignored")} == {"notes.txt", "cohort.xlsx"}


def test_two_files_named_like_one_table(tmp_path):
    folder = csv_folder(tmp_path)
    (folder / "Patients.csv").write_text(csv_text(valid_rows("patients")[:1] + [["P09", "b_all", "male"]]))
    _, findings = load_cohort(folder)
    f = one(findings, "table.duplicate")
    assert f.source == "patients.csv" and "'Patients.csv'" in f.message  # files are read in name order


def _therapies_lines() -> list[str]:
    return csv_text(valid_rows("therapies")).splitlines()


def test_unclosed_quote(tmp_path):
    """An opening quote never closed used to swallow nothing visible (each line was parsed alone); the strict
    parser names the line where the quote opens."""
    lines = _therapies_lines()
    lines[2] = lines[2].replace(",C2,", ',"C2,', 1)
    _, findings = load_cohort(csv_folder(tmp_path, therapies="\n".join(lines) + "\n"))
    f = one(findings, "csv.malformed")
    assert (f.source, f.row) == ("therapies.csv", 3) and "never closed" in f.message


def test_text_after_a_closing_quote(tmp_path):
    lines = _therapies_lines()
    lines[3] = lines[3].replace(",C3,", ',"C"3,', 1)
    _, findings = load_cohort(csv_folder(tmp_path, therapies="\n".join(lines) + "\n"))
    f = one(findings, "csv.malformed")
    assert (f.source, f.row) == ("therapies.csv", 4) and "written twice" in f.message


def test_blank_first_line(tmp_path):
    cohort, findings = load_cohort(csv_folder(tmp_path, patients="\n\n" + csv_text(valid_rows("patients"))))
    assert not findings.errors, findings.summary_text()
    assert len(cohort["patients"]) == 3


def test_workbook_named_csv(tmp_path):
    wb = workbook(tmp_path / "x.xlsx")
    _, findings = load_cohort(csv_folder(tmp_path, patients=wb.read_bytes()))
    f = one(findings, "file.format")
    assert f.source == "patients.csv" and "an Excel workbook (.xlsx)" in f.message


def test_data_is_a_fifo_or_a_device(tmp_path):
    fifo = tmp_path / "cohort.xlsx"
    os.mkfifo(fifo)
    _, findings = load_cohort(fifo)
    assert "named pipe" in one(findings, "file.not_regular").message
    _, findings = load_cohort("/dev/zero")
    assert "device" in one(findings, "file.not_regular").message
    r = cli_validate(fifo)
    assert r.exit_code == 2


def test_csv_file_limits(tmp_path):
    from mabseq.cohort.limits import Limits, using
    folder = csv_folder(tmp_path)
    with using(Limits(max_rows=2)):
        _, findings = load_cohort(folder)
    assert {f.source for f in with_rule(findings, "table.too_many_rows")} >= {"patients.csv", "therapies.csv"}
    with using(Limits(max_file_bytes=100)):
        _, findings = load_cohort(folder)
    assert "therapies.csv" in {f.source for f in with_rule(findings, "file.too_large")}
    with using(Limits(max_columns=5)):
        _, findings = load_cohort(folder)
    assert "patients.csv" in {f.source for f in with_rule(findings, "table.too_many_columns")}


# ------------------------------------------------------------------------------------------------ REDCap

@pytest.fixture
def project(tmp_path):
    return redcap_project(tmp_path)


def _records(project):
    return rows_of((project / "records.csv").read_text())


def _dictionary(project):
    return rows_of((project / "dictionary.csv").read_text())


def test_redcap_records_utf16(project):
    _, findings = load_redcap(project, records=(project / "records.csv").read_text().encode("utf-16-le"))
    assert [f.rule for f in findings] == ["file.encoding"] and findings.items[0].source == "records.csv"


def test_redcap_records_with_semicolons(project):
    rows = _records(project)
    _, findings = load_redcap(project, records="".join(";".join(r) + "\n" for r in rows))
    f = one(findings, "file.delimiter")
    assert f.source == "records.csv" and "semicolons" in f.message and findings.rules() == ["file.delimiter"]


def test_redcap_repeat_instrument_the_dictionary_lacks_counted_once(project):
    rows = _records(project)
    lines = [i + 1 for i, r in enumerate(rows) if r[1] == "doses"]
    for i in lines:
        rows[i - 1][1] = "labs"
    _, findings = load_redcap(project, records=csv_text(rows))
    f = one(findings, "redcap.instrument")
    assert (f.row, f.value, f.severity) == (lines[0], "labs", "error") and f"{len(lines)} rows" in f.message


def test_redcap_repeat_instrument_of_a_form_the_schema_lacks_is_a_warning(project):
    d = _dictionary(project)
    d.append(["lab_value", "labs"] + [""] * 16)
    d[-1][3] = "text"
    rows = _records(project)
    rows[0].append("lab_value")
    for r in rows[1:]:
        r.append("")
    rows.append(["P01", "labs", "1"] + [""] * (len(rows[0]) - 4) + ["7.2"])
    cohort, findings = load_redcap(project, records=csv_text(rows), dictionary=csv_text(d))
    f = one(findings, "redcap.instrument_ignored")
    assert (f.row, f.severity) == (len(rows), "warning") and not findings.errors


def test_redcap_dictionary_with_a_field_defined_twice(project):
    d = _dictionary(project)
    sex = next(r for r in d if r[0] == "sex")
    dup = list(sex)
    dup[1] = "follow_up"
    d.append(dup)
    _, findings = load_redcap(project, dictionary=csv_text(d))
    f = one(findings, "redcap.dictionary_duplicate")
    assert (f.source, f.row, f.value) == ("dictionary.csv", len(d), "sex") and "first on line" in f.message
    assert "required.missing" not in findings.rules()


def test_redcap_dictionary_choices_without_codes(project):
    d = _dictionary(project)
    i = next(i for i, r in enumerate(d) if r[0] == "sex")
    d[i][5] = "male | female"
    _, findings = load_redcap(project, dictionary=csv_text(d))
    f = one(findings, "redcap.choices")
    assert (f.source, f.row) == ("dictionary.csv", i + 1)


def test_redcap_record_with_too_few_fields(project):
    rows = _records(project)
    rows[3] = rows[3][:10]
    _, findings = load_redcap(project, records=csv_text(rows))
    f = one(findings, "row.too_few_fields")
    assert (f.source, f.row) == ("records.csv", 4)


def test_redcap_checkbox_column_with_odd_values_is_counted(project):
    rows = _records(project)
    col = rows[0].index("tx_conditioning_agents___tbi")
    for _ in range(30):
        extra = list(next(r for r in rows if r[1] == "transplants"))
        extra[2] = str(int(extra[2]) + 100 + _)
        extra[col] = "yes"
        rows.append(extra)
    _, findings = load_redcap(project, records=csv_text(rows))
    got = with_rule(findings, "redcap.checkbox")
    assert len(got) == 21 and "30 in all" in got[-1].message
    assert (got[0].column, got[0].value) == ("tx_conditioning_agents___tbi", "yes")


def test_redcap_dictionary_is_a_workbook(project):
    wb = workbook(project / "x.xlsx")
    _, findings = load_redcap(project, dictionary=wb.read_bytes())
    f = one(findings, "file.format")
    assert f.source == "dictionary.csv" and "Excel workbook" in f.message


def test_redcap_records_nul_and_bom_in_the_middle(project):
    text = (project / "records.csv").read_text()
    lines = text.splitlines(keepends=True)
    _, findings = load_redcap(project, records="".join(lines[:3] + ["\ufeff"] + lines[3:]))
    assert one(findings, "text.bom").row == 4
    _, findings = load_redcap(project, records=text.replace("P02", "P\x0002", 1))
    assert one(findings, "file.nul").source == "records.csv"


def test_every_text_message_is_plain(tmp_path):
    def edit(rows):
        rows[0].append("note\x1b[2J\u202e")
        for r in rows[1:]:
            r.append("x")
        rows[2][_col("age_at_diagnosis")] = "nan"
        rows[3][_col("diagnosis_date")] = "4/3/2020"
    _, findings = load_cohort(csv_folder(tmp_path, patients=_patients(edit)))
    assert findings.errors
    assert_plain(findings)
