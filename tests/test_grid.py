"""mabseq.cohort.grid: every sheet or file as text cells with the user's row numbers (hand-built inputs, expected
grids written out by hand)."""
from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from mabseq.cohort.findings import Findings
from mabseq.cohort.grid import GridOptions, read_grids, sniff_delimiter


@pytest.fixture
def book(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Labs"
    ws["A1"] = "Center B - laboratory values"            # a title row
    ws["A2"] = "exported by the data office"
    # row 3 blank
    ws.append([])
    for j, h in enumerate(["Patient", "Sample date", "Blasts", "CD19 %", "Seen"], start=1):
        ws.cell(row=4, column=j, value=h)
    ws.cell(row=5, column=1, value="P01")
    ws.cell(row=5, column=2, value=dt.datetime(2020, 3, 1))
    ws.cell(row=5, column=3, value=12)
    ws.cell(row=5, column=4, value=0.5)
    ws.cell(row=5, column=5, value=True)
    ws.cell(row=7, column=1, value="P02")                 # row 6 blank
    ws.cell(row=7, column=2, value=dt.datetime(2020, 3, 2, 14, 30))
    ws.cell(row=7, column=3, value="<5")
    ws.cell(row=7, column=4, value=97.25)
    ws.cell(row=7, column=5, value=False)
    hidden = wb.create_sheet("Old codes")
    hidden["A1"] = "secret"
    hidden.sheet_state = "hidden"
    off = wb.create_sheet("Offset")                       # a table starting at C3
    off["C3"] = "ID"
    off["D3"] = "Value"
    off["C4"] = "B-017"
    off["D4"] = 3
    off["E5"] = "stray"
    path = tmp_path / "book.xlsx"
    wb.save(path)
    return path


def test_workbook_grids(book):
    f = Findings()
    grids = read_grids(book, f)
    assert [g.name for g in grids] == ["Labs", "Offset"]
    labs, off = grids
    assert labs.kind == "sheet" and labs.source == "book.xlsx [sheet Labs]"
    assert labs.rows == [1, 2, 4, 5, 7]                  # blank rows 3 and 6 left out, numbers kept
    assert labs.width == 5 and labs.first_column == 1
    assert labs.cells[0] == ["Center B - laboratory values", "", "", "", ""]
    assert labs.cells[2] == ["Patient", "Sample date", "Blasts", "CD19 %", "Seen"]
    assert labs.cells[3] == ["P01", "2020-03-01", "12", "0.5", "TRUE"]
    assert labs.cells[4] == ["P02", "2020-03-02T14:30:00", "<5", "97.25", "FALSE"]
    assert [labs.letter(j) for j in range(5)] == ["A", "B", "C", "D", "E"]
    # the sheet beginning at column C: its first cell is C, its rows are the user's rows
    assert off.first_column == 3 and off.rows == [3, 4, 5] and off.width == 3
    assert off.cells == [["ID", "Value", ""], ["B-017", "3", ""], ["", "", "stray"]]
    assert [off.letter(j) for j in range(3)] == ["C", "D", "E"]
    # the hidden sheet: warned, not read
    assert [(x.rule, x.source) for x in f.items] == [("sheet.hidden", "book.xlsx [sheet Old codes]")]
    assert not any("secret" in c for g in grids for r in g.cells for c in r)


def test_semicolon_csv_under_a_title_line(tmp_path):
    p = tmp_path / "labs.csv"
    p.write_text("Export from LIS, 2023-07-01\n\nPat-Nr;Datum;Hb\nB-001;03.04.2020;10,2\nB-002;15.04.2020;9,8\n",
                 encoding="utf-8")
    f = Findings()
    (g,) = read_grids(p, f)
    assert not f.items
    assert g.delimiter == ";"          # the title's comma does not win: the lines below agree on ";"
    assert g.kind == "file" and g.rows == [1, 3, 4, 5]
    assert g.cells == [["Export from LIS, 2023-07-01", "", ""], ["Pat-Nr", "Datum", "Hb"],
                       ["B-001", "03.04.2020", "10,2"], ["B-002", "15.04.2020", "9,8"]]


def test_sniff_delimiter_cases():
    assert sniff_delimiter("a;b;c\n1;2,5;3\n") == ";"
    assert sniff_delimiter("a,b,c\n1,2,3\n") == ","
    assert sniff_delimiter("a\tb\n1\t2\n") == "\t"
    assert sniff_delimiter("a|b|c\n1|2|3\n") == "|"
    assert sniff_delimiter("Title, with a comma\na;b;c\n1;2;3\n4;5;6\n") == ";"
    assert sniff_delimiter("one column\nx\n") == ","


def test_latin1_file_with_encoding_option(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "patients.csv").write_bytes("Patient;Geschlecht;Befund\nP01;männlich;unauffällig\n".encode("latin-1"))
    f = Findings()
    assert read_grids(folder, f) == []                   # UTF-8 exactly by default: refused, with a finding
    assert [x.rule for x in f.errors] == ["file.encoding"]
    f = Findings()
    (g,) = read_grids(folder, f, {"patients.csv": GridOptions(encoding="latin-1")})
    assert not f.errors
    assert g.cells == [["Patient", "Geschlecht", "Befund"], ["P01", "männlich", "unauffällig"]]
    assert g.source == "patients.csv" and g.delimiter == ";"


def test_folder_ignores_other_files_with_a_warning(tmp_path):
    (tmp_path / "a.csv").write_text("x,y\n1,2\n", encoding="utf-8")
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04")
    (tmp_path / ".hidden.csv").write_text("x\n", encoding="utf-8")
    f = Findings()
    grids = read_grids(tmp_path, f)
    assert [g.name for g in grids] == ["a.csv"]
    assert [(x.rule, x.source) for x in f.items] == [("file.ignored", "notes.docx")]


def test_missing_and_wrong_kind(tmp_path):
    f = Findings()
    assert read_grids(tmp_path / "nothere.xlsx", f) == []
    assert f.rules() == ["file.missing"]
    p = tmp_path / "report.pdf"
    p.write_bytes(b"%PDF-1.4\n")
    f = Findings()
    assert read_grids(p, f) == []
    assert f.rules() == ["file.format"]


def test_error_cells_read_as_their_text_and_merged_ranges_warned(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Outcomes"
    ws["C2"] = "Relapse 1"                # a group header merged over C2:D2
    ws.merge_cells("C2:D2")
    for j, h in enumerate(["ID", "Time", "date", "site"], start=1):
        ws.cell(row=3, column=j, value=h)
    ws["A4"] = "P01"
    ws["B4"] = dt.time(14, 30)
    ws["C4"] = "#N/A"
    ws["C4"].data_type = "e"              # a cell showing a formula error, as Excel saves it
    ws["B5"] = "#DIV/0!"
    ws["B5"].data_type = "e"              # the only cell of row 5: the row is not blank
    path = tmp_path / "e.xlsx"
    wb.save(path)
    f = Findings()
    (g,) = read_grids(path, f)
    assert g.rows == [2, 3, 4, 5]
    assert g.cells[2] == ["P01", "14:30:00", "#N/A", ""]
    assert g.cells[3] == ["", "#DIV/0!", "", ""]
    got = {x.rule: x for x in f.items}
    assert set(got) == {"cell.formula_error", "cell.merged"} and not f.errors
    assert "B5 #DIV/0!" in got["cell.formula_error"].message and "C4 #N/A" in got["cell.formula_error"].message
    assert "C2:D2" in got["cell.merged"].message
