"""Hostile and unusual Excel workbooks: each case with the finding or behaviour it must produce.

The workbooks are built here from the valid example cohort (tests/cohort_corpus/valid) and then broken: by
openpyxl where it can write the fault, by rewriting the zip where it cannot (a forged dimension, a DTD, a bomb)."""
from __future__ import annotations

import datetime as dt
import re
import struct
import zipfile

import pytest
from hostile_support import (assert_plain, cli_validate, one, rewrite_zip, sheet_part, valid_rows, with_rule,
                             workbook)

from mabseq.cohort import load_cohort

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _valid(findings) -> bool:
    return not findings.errors


def _set(ws, ref: str, value) -> None:
    ws[ref] = value


# ------------------------------------------------------------------------------------------------ resources

def test_declared_dimension_is_ignored_real_extent_read(tmp_path):
    """A small workbook declaring A1:XFD1048576, with an empty formatted last row (Excel writes one when a whole
    row is formatted), took ~12 minutes: every row up to 1,048,576 padded to 16,384 columns. Only cells count."""
    from mabseq.cohort import progress
    src = workbook(tmp_path / "a.xlsx")

    def declare(name, b):
        if not name.startswith("xl/worksheets/"):
            return b
        b = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', b)
        return b.replace(b"</sheetData>", b'<row r="1048576" ht="20" customHeight="1"/></sheetData>')
    bad = rewrite_zip(src, tmp_path / "dim.xlsx", declare)
    assert bad.stat().st_size < 40_000
    seen = []
    with progress.reporting(lambda done, total, what: seen.append((done, total, what))):
        cohort, findings = load_cohort(bad)
    assert _valid(findings), findings.summary_text()
    assert len(cohort["patients"]) == 3 and len(cohort["therapies"]) == 6
    reading = [t for d, t, w in seen if w.startswith("reading") and "[sheet patients]" in w]
    assert reading and max(reading) == 4  # rows touched: the header and 3 patients, not 1,048,576


def test_zip_bomb_refused_before_inflating(tmp_path):
    """A small .xlsx holding hundreds of MB of XML is refused from the zip directory (ratio), in no time."""
    src = workbook(tmp_path / "a.xlsx")
    part = sheet_part(src, "doses")
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != part:
                zout.writestr(info.filename, zin.read(info.filename))
        with zout.open(part, "w", force_zip64=True) as f:
            f.write(f'<worksheet xmlns="{NS}"><sheetData>'.encode())
            block = b" " * (1 << 20)
            for _ in range(300):  # 300 MiB of whitespace: deflates about 1000 times
                f.write(block)
            f.write(b"</sheetData></worksheet>")
    assert bomb.stat().st_size < 2_000_000
    cohort, findings = load_cohort(bomb)
    f = one(findings, "xlsx.zip_bomb")
    assert f.source == "bomb.xlsx" and "zip bomb" in f.message and part in f.message
    assert cohort is None
    assert_plain(findings)


def test_entity_expansion_refused(tmp_path):
    """Billion laughs in a sheet: refused by name, no traceback, nothing expanded."""
    src = workbook(tmp_path / "a.xlsx")
    part = sheet_part(src, "patients")
    dtd = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
           + b"".join(b'<!ENTITY lol%d "%s">' % (i + 1, (b"&lol%d;" % i if i else b"&lol;") * 10) for i in range(9))
           + b"]>")
    bad = rewrite_zip(src, tmp_path / "lol.xlsx", lambda n, b: dtd + b.replace(b"<t>male</t>", b"<t>&lol9;</t>", 1)
                      if n == part else b)
    cohort, findings = load_cohort(bad)
    f = one(findings, "xlsx.dtd")
    assert "DTD or entities" in f.message and part in f.message and cohort is None
    r = cli_validate(bad)
    assert r.exit_code == 2 and "xlsx.dtd" in r.output


def test_external_entity_in_shared_strings_refused(tmp_path):
    src = workbook(tmp_path / "a.xlsx")
    xxe = (b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY x SYSTEM "file:///etc/hostname">]>'
           b'<sst xmlns="' + NS.encode() + b'" count="1" uniqueCount="1"><si><t>&x;</t></si></sst>')
    bad = rewrite_zip(src, tmp_path / "xxe.xlsx", add={"xl/sharedStrings.xml": xxe})
    _, findings = load_cohort(bad)
    assert one(findings, "xlsx.dtd").source == "xxe.xlsx"


def test_sparse_far_cell_refused_by_real_extent(tmp_path):
    """One stray cell at XFD1048576 makes the used range 17 billion cells: refused, naming the extent."""
    src = workbook(tmp_path / "far.xlsx", edit=lambda wb: _set(wb["patients"], "XFD1048576", "x"))
    cohort, findings = load_cohort(src)
    f = one(findings, "xlsx.too_large")
    assert f.source == "far.xlsx [sheet patients]" and "A1:XFD1048576" in f.message and "Ctrl+End" in f.message


def test_row_cell_and_size_limits(tmp_path):
    from mabseq.cohort.limits import Limits, using
    src = workbook(tmp_path / "a.xlsx")
    with using(Limits(max_rows=2)):
        _, findings = load_cohort(src)
    assert "more than the 2 rows" in with_rule(findings, "xlsx.too_large")[0].message
    with using(Limits(max_cells=50)):
        _, findings = load_cohort(src)
    assert any("cells a sheet may span" in f.message for f in with_rule(findings, "xlsx.too_large"))
    with using(Limits(max_file_bytes=1000)):
        _, findings = load_cohort(src)
    assert one(findings, "file.too_large").source == "a.xlsx"
    with using(Limits(max_parts=3)):
        _, findings = load_cohort(src)
    assert "parts" in one(findings, "xlsx.too_many_parts").message


def test_cell_longer_than_excel_allows(tmp_path):
    """A 300 kB cell: an error naming the cell (Excel itself holds at most 32,767 characters; openpyxl would cut
    the text, so the XML is written here)."""
    src = workbook(tmp_path / "b.xlsx")
    part = sheet_part(src, "patients")
    long = b"46,XX" * 60_000
    src = rewrite_zip(src, tmp_path / "a.xlsx", lambda n, b: re.sub(
        rb'(<c r="H3" t="inlineStr"><is><t>)[^<]*', rb"\g<1>" + long, b) if n == part else b)
    _, findings = load_cohort(src)
    f = one(findings, "cell.too_long")
    assert (f.source, f.row, f.column) == ("a.xlsx [sheet patients]", 3, "karyotype")
    assert "300,000 characters" in f.message and "32,767" in f.message
    assert len(str(f)) < 600
    assert_plain(findings)


def test_progress_is_reported_for_each_sheet(tmp_path):
    from mabseq.cohort import progress
    src = workbook(tmp_path / "a.xlsx")
    seen = []
    with progress.reporting(lambda done, total, what: seen.append((done, total, what))):
        load_cohort(src)
    for t in ("patients", "therapies"):
        mine = [(d, tot) for d, tot, w in seen if w == f"reading a.xlsx [sheet {t}]"]
        assert mine and mine[-1][0] == mine[-1][1] and all(0 <= d <= tot for d, tot in mine)
        assert any(w == f"scanning a.xlsx [sheet {t}]" for _, _, w in seen)


# ------------------------------------------------------------------------------------------------ silent loss

def test_hidden_and_very_hidden_sheets_are_not_read(tmp_path):
    def edit(wb):
        wb["doses"].sheet_state = "veryHidden"
        scratch = wb.create_sheet("scratch")
        scratch.sheet_state = "hidden"
        scratch["A1"] = "old numbers"
    src = workbook(tmp_path / "a.xlsx", edit=edit)
    cohort, findings = load_cohort(src)
    hidden = {f.source: f.message for f in with_rule(findings, "sheet.hidden")}
    assert set(hidden) == {"a.xlsx [sheet doses]", "a.xlsx [sheet scratch]"}
    assert "very hidden" in hidden["a.xlsx [sheet doses]"] and "hidden" in hidden["a.xlsx [sheet scratch]"]
    assert len(cohort["doses"]) == 0 and not findings.errors


def test_formula_without_saved_value_is_an_error_naming_the_cell(tmp_path):
    src = workbook(tmp_path / "a.xlsx", edit=lambda wb: _set(wb["patients"], "E3", "=40+21"))
    _, findings = load_cohort(src)
    f = one(findings, "cell.formula_no_value")
    assert (f.source, f.row, f.column, f.severity) == ("a.xlsx [sheet patients]", 3, "age_at_diagnosis", "error")
    assert "cell E3" in f.message and "formula without a saved value; open and save the workbook in Excel" in f.message


def test_cached_formula_values_are_read(tmp_path):
    """A formula Excel saved with its value is read as that value (no finding)."""
    src = workbook(tmp_path / "a.xlsx")
    part = sheet_part(src, "patients")
    bad = rewrite_zip(src, tmp_path / "f.xlsx", lambda n, b: b.replace(
        b'<c r="E3" t="inlineStr"><is><t>61.0</t></is></c>', b'<c r="E3"><f>60+1</f><v>61</v></c>') if n == part else b)
    cohort, findings = load_cohort(bad)
    assert _valid(findings), findings.summary_text()
    assert float(cohort["patients"].set_index("patient_id").at["P02", "age_at_diagnosis"]) == 61.0


def test_error_value_in_a_text_column(tmp_path):
    """#N/A saved in a text column used to pass as the text '#N/A'."""
    src = workbook(tmp_path / "a.xlsx")
    part = sheet_part(src, "patients")
    bad = rewrite_zip(src, tmp_path / "e.xlsx", lambda n, b: re.sub(
        rb'<c r="H2" t="inlineStr"><is><t>[^<]*</t></is></c>', b'<c r="H2" t="e"><f>VLOOKUP(A2,X!A:B,2,0)</f>'
        b'<v>#N/A</v></c>', b) if n == part else b)
    _, findings = load_cohort(bad)
    f = one(findings, "cell.formula_error")
    assert (f.row, f.column, f.value) == (2, "karyotype", "#N/A") and "cell H2" in f.message


def test_merged_cells_in_the_table(tmp_path):
    src = workbook(tmp_path / "a.xlsx", edit=lambda wb: wb["therapies"].merge_cells("K2:K4"))
    _, findings = load_cohort(src)
    f = one(findings, "cell.merged")
    assert (f.source, f.row, f.column) == ("a.xlsx [sheet therapies]", 2, "intent") and "K2:K4" in f.message


@pytest.mark.parametrize("case,expected", [
    ("xls", "an Excel 97-2003 workbook (.xls)"),
    ("encrypted", "an encrypted (password-protected) workbook"),
    ("xlsb", "an Excel binary workbook (.xlsb)"),
    ("ods", "an OpenDocument spreadsheet (.ods)"),
    ("csv", "a CSV or text file"),
    ("truncated", "a damaged or truncated zip file"),
    ("empty", "an empty file"),
])
def test_not_really_an_xlsx_says_what_it_is(tmp_path, case, expected):
    p = tmp_path / "cohort.xlsx"
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504
    if case == "xls":
        p.write_bytes(ole + "Workbook".encode("utf-16-le") + b"\0" * 2000)
    elif case == "encrypted":
        p.write_bytes(ole + "EncryptionInfo".encode("utf-16-le") + b"\0" * 64
                      + "EncryptedPackage".encode("utf-16-le") + b"\0" * 2000)
    elif case in ("xlsb", "ods"):
        with zipfile.ZipFile(p, "w") as z:
            if case == "xlsb":
                z.writestr("xl/workbook.bin", b"\x83\x01\x00")
            else:
                z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
                z.writestr("content.xml", "<office:document-content/>")
    elif case == "csv":
        p.write_text("patient_id,sex\nP01,male\n")
    elif case == "truncated":
        full = workbook(tmp_path / "full.xlsx").read_bytes()
        p.write_bytes(full[: len(full) // 2])
    else:
        p.write_bytes(b"")
    cohort, findings = load_cohort(p)
    f = one(findings, "file.format")
    assert f.source == "cohort.xlsx" and expected in f.message and cohort is None
    assert "BadZipFile" not in f.message
    r = cli_validate(p)
    assert r.exit_code == 2 and expected in " ".join(r.output.split())


# ------------------------------------------------------------------------------------------------ my own cases

def test_header_not_in_the_first_row_and_table_offset(tmp_path):
    """A title row, a blank row, then the table starting at column B: rows keep Excel's numbers."""
    def edit(wb):
        ws = wb["patients"]
        ws.insert_rows(1, 2)
        ws.insert_cols(1)
        ws["A1"] = None
        ws["D5"] = "martian"  # sex of the third patient (header on row 3)
    src = workbook(tmp_path / "a.xlsx", edit=edit)
    _, findings = load_cohort(src)
    f = one(findings, "category.unknown")
    assert (f.source, f.row, f.column, f.value) == ("a.xlsx [sheet patients]", 5, "sex", "martian")
    assert [x.rule for x in findings.errors] == ["category.unknown"]


def test_two_sheets_named_like_one_table(tmp_path):
    def edit(wb):
        ws = wb.create_sheet("Patients ")
        ws.append(valid_rows("patients")[0])
        ws.append(["P04", "b_all", "male", None, "50", "2017-01-01"])
    _, findings = load_cohort(workbook(tmp_path / "a.xlsx", edit=edit))
    f = one(findings, "table.duplicate")
    assert f.source == "a.xlsx [sheet Patients ]" and "'patients'" in f.message
    assert "patient.no_follow_up" not in findings.rules()  # the second sheet was not merged in


def test_a_thousand_sheets_one_summary_warning(tmp_path):
    def edit(wb):
        for i in range(997):
            wb.create_sheet(f"Sheet{i}")
    cohort, findings = load_cohort(workbook(tmp_path / "a.xlsx", edit=edit))
    f = one(findings, "table.unknown")
    assert "997 sheets" in f.message and "'Sheet0'" in f.message and not findings.errors
    assert len(cohort["patients"]) == 3


def test_sheet_and_header_names_cannot_reorder_or_hide_text(tmp_path):
    """A sheet name with a right-to-left override and a header with a zero-width space and ESC."""
    def edit(wb):
        wb.create_sheet("notes\u202eslx.exe")
        wb["patients"]["V1"] = "remark\u200b_x001B_[31m"
        wb["patients"]["V2"] = "x"
    _, findings = load_cohort(workbook(tmp_path / "a.xlsx", edit=edit))
    texts = [str(f) for f in findings]
    assert any("notes\\u202eslx.exe" in t for t in texts)
    assert any("remark\\u200b\\x1b[31m" in t for t in texts)
    assert_plain(findings)


def test_column_without_header_holding_values(tmp_path):
    def edit(wb):
        ws = wb["patients"]
        ws["W2"], ws["W4"] = "see notes", "x"
    _, findings = load_cohort(workbook(tmp_path / "a.xlsx", edit=edit))
    f = one(findings, "column.no_header")
    assert (f.row, f.column, f.severity) == (2, "W", "warning") and "2 values" in f.message


def test_empty_sheet_named_like_a_table(tmp_path):
    def edit(wb):
        del wb["doses"]
        wb.create_sheet("doses")
    cohort, findings = load_cohort(workbook(tmp_path / "a.xlsx", edit=edit))
    assert one(findings, "sheet.empty").source == "a.xlsx [sheet doses]"
    assert not findings.errors


def test_two_parts_with_one_name(tmp_path):
    src = workbook(tmp_path / "a.xlsx")
    part = sheet_part(src, "patients")
    dup = tmp_path / "dup.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dup, "w") as zout:
        for info in zin.infolist():
            zout.writestr(info.filename, zin.read(info.filename))
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            zout.writestr(part.upper(), b"<worksheet/>")
    _, findings = load_cohort(dup)
    assert "two parts named" in one(findings, "xlsx.damaged").message


def test_encrypted_zip_member(tmp_path):
    src = workbook(tmp_path / "a.xlsx")
    data = bytearray(src.read_bytes())
    for sig, off in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):  # set the 'encrypted' flag on every member
        i = data.find(sig)
        while i >= 0:
            struct.pack_into("<H", data, i + off, struct.unpack_from("<H", data, i + off)[0] | 1)
            i = data.find(sig, i + 4)
    (tmp_path / "enc.xlsx").write_bytes(bytes(data))
    _, findings = load_cohort(tmp_path / "enc.xlsx")
    assert "encrypted inside the zip" in one(findings, "xlsx.damaged").message


def test_namespace_prefixed_sheet_xml_is_read_exactly(tmp_path):
    """XML written with a prefix (x:c, x:row), rows without r and (where no cell is empty) cells without r: the
    exact scanner runs and the cohort is the same."""
    src = workbook(tmp_path / "a.xlsx")
    parts = {sheet_part(src, "follow_up"): "rows", sheet_part(src, "study"): "cells"}

    def prefix(name, b):
        if name not in parts:
            return b
        b = b.replace(f'<worksheet xmlns="{NS}"'.encode(), f'<x:worksheet xmlns:x="{NS}"'.encode())
        b = re.sub(rb"<(/?)(sheetData|row|c|is|t|v|dimension|sheetViews|sheetView|selection|sheetFormatPr|"
                   rb"pageMargins|sheetPr|outlinePr|pageSetUpPr|worksheet)\b", rb"<\1x:\2", b)
        if parts[name] == "rows":
            return re.sub(rb'(<x:row) r="\d+"', rb"\1", b)
        return re.sub(rb'(<x:c) r="[A-Z]+\d+"', rb"\1", b)
    bad = rewrite_zip(src, tmp_path / "pfx.xlsx", prefix)
    cohort, findings = load_cohort(bad)
    assert _valid(findings), findings.summary_text()
    ref, _ = load_cohort(src)
    assert cohort["follow_up"].equals(ref["follow_up"]) and cohort["study"].equals(ref["study"])


def test_dates_as_real_dates_and_1904_system(tmp_path):
    def edit(wb):
        wb.epoch = openpyxl_epoch_1904()
        wb["patients"]["F2"] = dt.datetime(2016, 3, 1)
    cohort, findings = load_cohort(workbook(tmp_path / "a.xlsx", edit=edit))
    assert _valid(findings), findings.summary_text()
    assert str(cohort["patients"].set_index("patient_id").at["P01", "diagnosis_date"])[:10] == "2016-03-01"


def openpyxl_epoch_1904():
    from openpyxl.utils.datetime import CALENDAR_MAC_1904
    return CALENDAR_MAC_1904


def test_every_excel_message_is_plain(tmp_path):
    def edit(wb):
        ws = wb["patients"]
        ws["E2"] = "=1/0"
        ws["B3"] = float("nan")
        ws["F4"] = dt.datetime(2016, 3, 1, 13, 30)
    _, findings = load_cohort(workbook(tmp_path / "a.xlsx", edit=edit))
    assert findings.errors
    assert_plain(findings)


@pytest.mark.parametrize("cut", [40, 200])
def test_damaged_zip_member_is_named_in_words(tmp_path, cut):
    """A member whose compressed data ends early (as the fuzz test found): a plain 'damaged', never an exception's
    class name such as EOFError."""
    src = workbook(tmp_path / "a.xlsx")
    data = bytearray(src.read_bytes())
    name = sheet_part(src, "patients").encode()
    i = data.find(b"PK\x01\x02")
    while i >= 0:
        n = struct.unpack_from("<H", data, i + 28)[0]
        if bytes(data[i + 46:i + 46 + n]) == name:
            struct.pack_into("<I", data, i + 20, struct.unpack_from("<I", data, i + 20)[0] - cut)
        i = data.find(b"PK\x01\x02", i + 4)
    (tmp_path / "bad.xlsx").write_bytes(bytes(data))
    cohort, findings = load_cohort(tmp_path / "bad.xlsx")
    assert cohort is None and findings.errors
    assert_plain(findings)
    assert any("damaged" in f.message for f in findings.errors)


def test_fuzz_found_workbook_ending_early():
    """tests/hostile_corpus/fuzz_eof.xlsx: the workbook the fuzz test found whose reading ends in EOFError; it
    used to be reported as '(EOFError)'."""
    from pathlib import Path
    cohort, findings = load_cohort(Path(__file__).parent / "hostile_corpus" / "fuzz_eof.xlsx")
    f = one(findings, "xlsx.damaged")
    assert cohort is None and "the file ends too early" in f.message
    assert_plain(findings)
