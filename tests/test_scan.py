"""mabseq scan: the profile of a hand-built chart-review workbook and a semicolon/decimal-comma CSV export.

Every expected number below is counted by hand from the rows written in this file (the comments say how), not by
the code under test.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from mabseq.cohort.findings import Findings
from mabseq.scan import profile_data
from mabseq.scan.share import dumps

D = dt.datetime
PLANTED_NAME = "Barnaby Whitlock"          # written once, in a free-text notes cell
PLANTED_PI = "Quillfeather"                # the principal investigator, on the key/value information sheet


def build_center(path):
    """Center B's chart review: 6 visible sheets in its own layout, and a hidden one."""
    wb = openpyxl.Workbook()
    info = wb.active
    info.title = "Study info"
    info["A1"] = "Center B chart review - study information"       # title row
    info.append([])
    info.append(["Item", "Value"])                                    # row 3: a header
    info.append(["Center", "Center B"])
    info.append(["Data cut-off", D(2023, 6, 30)])
    info.append(["Principal investigator", f"Dr Hortensia {PLANTED_PI}"])
    info.append(["Protocol", "CBR-2021-07"])
    info.append(["Patients", 8])

    demo = wb.create_sheet("Demographics")
    demo["A1"] = "Center B - demographics"
    demo["A2"] = "exported 2023-07-01"
    # row 3 blank; row 4 headers; row 5 units
    for j, h in enumerate(["Study no.", "Gender", "DOB", "Dx date", "Age at dx", "prior SCT?", "Notes",
                           "Entered by"], start=1):
        demo.cell(row=4, column=j, value=h)
    for j, u in ((3, "dd/mm/yyyy"), (4, "dd/mm/yyyy"), (5, "years"), (6, "yes/no")):
        demo.cell(row=5, column=j, value=u)
    rows = [
        ["P01", "m", "14/02/1971", "03/04/2020", 49, "no", None, "JS"],
        [" p02", "f", "02/11/1985", "21/06/2020", 34, "yes", None, "JS"],
        ["P03 ", "Male", "30/01/1990", "05/05/2021", "approx 31", "unk",
         f"{PLANTED_NAME}'s sister is the donor", "JS"],
        ["p04", "F", "07/08/1963", "11/12/2019", 56, "no", None, "AK"],
        ["P05", "m", "19/09/1978", "02/03/2021", "42", "no", "referred from another centre after first relapse", "AK"],
        ["P06", "f", "05/05/1999", "28/02/2022", "unk", "yes", None, "JS"],
        ["P07", "m", "12/12/1958", "09/10/2020", 61, "no", None, "JS"],
        ["P08", "f", "01/03/1982", "17/07/2021", 39, None, None, "AK"],
    ]
    for i, r in enumerate(rows):
        for j, v in enumerate(r, start=1):
            demo.cell(row=6 + i, column=j, value=v)

    marrow = wb.create_sheet("Marrow")
    marrow.append(["Patient", "Date", "Blasts", "MRD", "Comment", None])
    for r in [
        ["P01", D(2020, 4, 3), "12 %", "not detected", None, "chk"],
        ["P01", D(2020, 5, 15), "<5", "<0.01 %", None, None],
        ["P02", D(2020, 6, 21), "approx 40", "0.005%", "hemodilute", None],
        ["P03", D(2021, 5, 5), ">95", "3/100", None, "chk"],
        ["P04", D(2019, 12, 11), 30, "failed sample", None, None],
        ["P05", D(2021, 3, 2), 3.5, "negative", None, None],
        ["P06", D(2022, 2, 28), "7", "1.2", None, None],
        ["P07", D(2020, 10, 9), "0", "undetectable", "dry tap", None],
    ]:
        marrow.append(r)
    marrow["A11"] = "* MRD by 8-colour flow cytometry, sensitivity 0.01 %"     # a note under the table (row 10 blank)

    tx = wb.create_sheet("Treatments")
    tx.append(["Treatment log (one row per cycle)"])
    tx.append(["Pt ID", "Regimen", "Start", "End", "Cycles", "Status"])
    for r in [
        ["P01", "blinatumomab cyc 1", "03-Apr-2020", "28-Apr-2020", "1", "given"],
        ["P01", "blinatumomab cyc 2", "12-May-2020", "06-Jun-2020", "1", "given"],
        ["P01", "Blincyto", "20-Jun-2020", "15-Jul-2020", "1", "given"],
        ["P01", "InO/mini-HCVD", "01-Sep-2020", None, "3 (stopped early)", "given"],
        ["P01", "Kymriah", "15-Jan-2021", "15-Jan-2021", "1", "given"],
        ["P02", "inotuzumab ozogamicin", "21-Jun-2020", None, "2 (C2 incomplete)", "given"],
        ["P02", "blina+dasatinib", "02-Oct-2020", None, None, "planned"],
        ["P03", "HCVAD", "05-May-2021", None, "4", "given"],
    ]:
        tx.append(r)

    out = wb.create_sheet("Outcomes")
    out.append(["ID", "relapse_1_date", "relapse_1_site", "relapse_2_date", "relapse_2_site", "Vital status",
                "Date of death", "Cause of death"])
    for r in [
        ["P01", D(2020, 11, 2), "BM", D(2021, 6, 1), "CNS", "dead", D(2021, 9, 9),
         "Progressive leukaemia despite CAR-T"],
        ["P02", D(2020, 9, 15), "BM", None, None, "alive", None, None],
        ["P03", None, None, None, None, "alive", None, None],
        ["P04", D(2020, 6, 30), "BM+CNS", None, None, "dead", D(2020, 12, 24),
         "Sepsis with multi-organ failure in ICU"],
        ["P05", None, None, None, None, "alive", None, None],
        ["P06", D(2022, 8, 1), "BM", None, None, "alive", None, None],
        ["P07", None, None, None, None, "alive", None, None],
        ["P08", None, None, None, None, "alive", None, None],
    ]:
        out.append(r)

    old = wb.create_sheet("Old codes")
    old["A1"] = "hidden lookup"
    old.sheet_state = "hidden"
    wb.save(path)
    return path


@pytest.fixture
def center(tmp_path):
    return build_center(tmp_path / "center_b.xlsx")


@pytest.fixture
def profile(center):
    f = Findings()
    p = profile_data(center, f)
    return p, f


def _cols(sp):
    return {c.header: c for c in sp.columns}


def test_sources_and_findings(profile):
    p, f = profile
    assert [s.name for s in p.sources] == ["Study info", "Demographics", "Marrow", "Treatments", "Outcomes"]
    assert [s.layout for s in p.sources] == ["key_value", "table", "table", "table", "table"]
    assert not f.errors
    got = sorted((x.rule, x.source) for x in f.warnings)
    assert got == [("scan.footer_rows", "center_b.xlsx [sheet Marrow]"),
                   ("scan.rows_above_header", "center_b.xlsx [sheet Demographics]"),
                   ("scan.rows_above_header", "center_b.xlsx [sheet Treatments]"),
                   ("sheet.hidden", "center_b.xlsx [sheet Old codes]")]


def test_key_value_sheet(profile):
    p, _ = profile
    info = p.source("Study info")
    assert info.header_row == 3 and info.n_rows == 5
    assert info.key_values == [("Center", "Center B"), ("Data cut-off", "2023-06-30"),
                               ("Principal investigator", f"Dr Hortensia {PLANTED_PI}"),
                               ("Protocol", "CBR-2021-07"), ("Patients", "8")]
    assert info.key_rows == [4, 5, 6, 7, 8]
    body = p.to_json(shareable=True)["sources"][0]
    shown = {kv["key"]: kv["value"] for kv in body["key_values"]}
    # dates, numbers and short codes are printed; the center's name and the PI's name are free text: withheld
    assert shown == {"Center": None, "Data cut-off": "2023-06-30", "Principal investigator": None,
                     "Protocol": "CBR-2021-07", "Patients": "8"}
    assert body["key_values_withheld"] == 2
    assert [v for v, _ in body["columns"][1]["values"]] == ["2023-06-30", "8", "CBR-2021-07"]
    # the keys are the sheet's labels: printed in the key column's profile too
    assert [v for v, _ in body["columns"][0]["values"]] == ["Center", "Data cut-off", "Patients",
                                                            "Principal investigator", "Protocol"]


def test_demographics_title_rows_units_row_and_types(profile):
    p, _ = profile
    s = p.source("Demographics")
    assert (s.header_row, s.skip_rows, s.n_rows, s.first_row, s.last_row) == (4, [5], 8, 6, 13)
    c = _cols(s)
    assert list(c) == ["Study no.", "Gender", "DOB", "Dx date", "Age at dx", "prior SCT?", "Notes", "Entered by"]
    assert [c[h].letter for h in c] == list("ABCDEFGH")
    assert {h: c[h].inferred for h in c} == {
        "Study no.": "id", "Gender": "category", "DOB": "date", "Dx date": "date", "Age at dx": "mixed",
        "prior SCT?": "category", "Notes": "text", "Entered by": "category"}
    ids = c["Study no."]
    assert ids.id_like and ids.distinct == 8 and ids.patterns["padded"] == 2     # " p02" and "P03 "
    assert c["Gender"].values == [("f", 3), ("m", 3), ("F", 1), ("Male", 1)]
    # DOB: 14/02, 30/01, 19/09 read only day-first; 02/11, 07/08, 05/05, 12/12, 01/03 either way -> day-first
    assert c["DOB"].date_formats == {"%d/%m/%Y": 8} and c["DOB"].patterns["text_date"] == 8
    assert c["Dx date"].date_formats == {"%d/%m/%Y": 8}
    age = c["Age at dx"]                            # 49 34 "approx 31" 56 "42" "unk" 61 39
    assert (age.patterns["integer"], age.patterns["approx"], age.patterns["text"]) == (6, 1, 1)
    sct = c["prior SCT?"]
    assert (sct.non_empty, sct.empty, sct.values) == (7, 1, [("no", 4), ("yes", 2), ("unk", 1)])
    notes = c["Notes"]
    assert notes.free_text and (notes.non_empty, notes.empty) == (2, 6)
    assert c["Entered by"].values == [("JS", 5), ("AK", 3)]
    assert s.groups == [] and s.decimal == "."
    assert (s.id_column, s.rows_per_id) == ("Study no.", {1: 8})     # " p02" and "P02" would be one id


def test_marrow_qualifiers_and_real_dates(profile):
    p, _ = profile
    s = p.source("Marrow")
    assert (s.header_row, s.skip_rows, s.n_rows, s.last_row) == (1, [11], 8, 9)    # the note in row 11: no data
    c = _cols(s)
    assert list(c) == ["Patient", "Date", "Blasts", "MRD", "Comment", ""]
    assert c["Patient"].inferred == "id" and c["Patient"].values[0] == ("P01", 2)
    assert c["Date"].inferred == "date" and c["Date"].date_formats == {"%Y-%m-%d": 8}
    blasts = c["Blasts"]          # "12 %", "<5", "approx 40", ">95", 30, 3.5, "7", "0"
    assert blasts.inferred == "mixed"
    assert {k: v for k, v in blasts.patterns.items() if v} == {
        "percent_text": 1, "below": 1, "approx": 1, "above": 1, "integer": 3, "number": 1}
    mrd = c["MRD"]                # not detected, <0.01 %, 0.005%, 3/100, failed sample, negative, 1.2, undetectable
    assert mrd.inferred == "mixed"
    assert {k: v for k, v in mrd.patterns.items() if v} == {
        "negative_word": 3, "below": 1, "percent_text": 1, "fraction": 1, "text": 1, "number": 1}
    extra = c[""]                 # the unheaded column F: "chk" twice
    assert (extra.letter, extra.non_empty, extra.empty, extra.inferred) == ("F", 2, 6, "category")


def test_treatments_text_dates_leading_numbers(profile):
    p, _ = profile
    s = p.source("Treatments")
    assert (s.header_row, s.n_rows, s.first_row) == (2, 8, 3)
    c = _cols(s)
    assert c["Pt ID"].inferred == "id" and c["Pt ID"].values == [("P01", 5), ("P02", 2), ("P03", 1)]
    assert c["Regimen"].inferred == "text" and c["Regimen"].distinct == 8
    assert c["Start"].date_formats == {"%d-%b-%Y": 8} and c["Start"].inferred == "date"
    assert (c["End"].non_empty, c["End"].date_formats) == (4, {"%d-%b-%Y": 4})   # rows 3, 4, 5, 7
    cyc = c["Cycles"]             # "1" x4, "3 (stopped early)", "2 (C2 incomplete)", "", "4"
    assert cyc.inferred == "mixed"
    assert (cyc.patterns["integer"], cyc.patterns["leading_number"], cyc.empty) == (5, 2, 1)
    assert c["Status"].values == [("given", 7), ("planned", 1)] and c["Status"].inferred == "category"
    # P01 has 5 rows (a row per cycle), P02 2, P03 1
    assert (s.id_column, s.rows_per_id) == ("Pt ID", {1: 1, 2: 1, 5: 1})


def test_outcomes_repeat_group_and_free_text(profile):
    p, _ = profile
    s = p.source("Outcomes")
    (g,) = s.groups
    assert g.template == "relapse_{n}_{field}"
    assert (g.numbers, g.fields) == ([1, 2], ["date", "site"])
    assert g.columns == ["relapse_1_date", "relapse_1_site", "relapse_2_date", "relapse_2_site"]
    c = _cols(s)
    assert (c["relapse_1_date"].non_empty, c["relapse_1_date"].inferred) == (4, "date")
    assert c["relapse_1_site"].values == [("BM", 3), ("BM+CNS", 1)]
    assert c["Vital status"].values == [("alive", 6), ("dead", 2)]
    cod = c["Cause of death"]
    assert cod.free_text and cod.inferred == "text" and cod.non_empty == 2


def test_whiterabbit_rule_in_the_shareable_json(profile):
    p, _ = profile
    body = p.to_json(shareable=True)
    text = dumps(body)
    assert PLANTED_NAME not in text and PLANTED_PI not in text and "sister" not in text
    assert "Sepsis" not in text and "Progressive leukaemia" not in text        # causes of death: free text
    assert "14/02/1971" not in text                                              # a birth date
    for pid in ("p02", "P03 ", "p04", "P05", "P06", "P07", "P08"):
        assert f'"{pid}"' not in text
    src = {s["name"]: s for s in body["sources"]}
    demo = {c["header"]: c for c in src["Demographics"]["columns"]}
    assert demo["Study no."]["values"] == [] and demo["Study no."]["withheld"] == {"values": 8, "cells": 8}
    assert demo["Notes"]["withheld"] == {"values": 2, "cells": 2}
    assert demo["DOB"]["withheld"] == {"values": 8, "cells": 8}
    assert demo["Gender"]["values"] == [["f", 3], ["m", 3], ["F", 1], ["Male", 1]]   # coded: all printed
    tx = {c["header"]: c for c in src["Treatments"]["columns"]}
    # P01 has 5 rows (printed); P02 (2 rows) and P03 (1 row) are withheld
    assert tx["Pt ID"]["values"] == [["P01", 5]] and tx["Pt ID"]["withheld"] == {"values": 2, "cells": 3}
    full = dumps(p.to_json(shareable=False))
    assert PLANTED_NAME in full and PLANTED_PI in full              # the oracle: the private profile has them


def test_profile_json_is_deterministic(center, tmp_path):
    a = dumps(profile_data(center, Findings()).to_json())
    b = dumps(profile_data(center, Findings()).to_json())
    assert a == b
    json.loads(a)


def build_csv_folder(folder):
    folder.mkdir()
    (folder / "labs_export.csv").write_text(
        "Export from LIS, 2023-07-01\n\n"
        "Pat-Nr;Datum;Blasten %;Hb;Befund\n"
        "B-001;03.04.2020;12,5;10,2;\n"
        "B-002;15.04.2020;<5;9,8;\n"
        "B-003;21.05.2020;0,5;11;\n"
        "B-004;02.06.2020;7,25 %;12,4;\n"
        "b-005 ;30.06.2020;40;8,9;\n"
        "B-006;01.07.2020;;10,0;\n", encoding="utf-8")
    return folder


def test_semicolon_decimal_comma_folder(tmp_path):
    folder = build_csv_folder(tmp_path / "export")
    f = Findings()
    p = profile_data(folder, f)
    (s,) = p.sources
    assert (s.kind, s.delimiter, s.decimal, s.header_row, s.n_rows) == ("file", ";", ",", 3, 6)
    c = _cols(s)
    assert c["Pat-Nr"].inferred == "id" and c["Pat-Nr"].patterns["padded"] == 1
    # 03.04 02.06 01.07 read either way; 15.04 21.05 30.06 only day-first
    assert c["Datum"].date_formats == {"%d.%m.%Y": 6}
    bl = c["Blasten %"]           # 12,5  <5  0,5  "7,25 %"  40  (empty)
    assert (bl.non_empty, bl.empty) == (5, 1)
    assert {k: v for k, v in bl.patterns.items() if v} == {"decimal_comma": 2, "below": 1, "percent_text": 1,
                                                          "integer": 1}
    hb = c["Hb"]                  # 10,2 9,8 11 12,4 8,9 10,0
    assert hb.inferred == "number" and (hb.patterns["decimal_comma"], hb.patterns["integer"]) == (5, 1)
    assert c["Befund"].inferred == "empty"
    assert [x.rule for x in f.warnings] == ["scan.rows_above_header"]


# ---- the command -------------------------------------------------------------------------------------------------
SRC = Path(__file__).resolve().parents[1] / "src"


def _run(*args, cwd=None):
    """The command as a user runs it: a fresh process (exit status, stdout and stderr as they are)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in (str(SRC), os.environ.get("PYTHONPATH")) if p))
    return subprocess.run([sys.executable, "-m", "mabseq.cli", *map(str, args)], capture_output=True, text=True,
                          cwd=cwd, env=env)


def test_cli_writes_shareable_html_and_json(center, tmp_path):
    out = tmp_path / "scan1"
    r = _run("scan", center, "--out", out)
    assert r.returncode == 0, r.stderr
    assert "Demographics]: header row 4 (rows 5 skipped: units or notes), 8 data rows" in r.stdout
    assert "relapse_{n}_{field} x2" in r.stdout
    assert "sheet.hidden" in r.stderr
    assert sorted(p.name for p in out.iterdir()) == [".mabseq-output.json", "scan.html", "scan.json"]
    for name in ("scan.html", "scan.json"):
        data = (out / name).read_bytes()
        assert PLANTED_NAME.encode() not in data and PLANTED_PI.encode() not in data
        assert b"P07" not in data and b"14/02/1971" not in data
    html = (out / "scan.html").read_text(encoding="utf-8")
    assert "<script" not in html and "http://" not in html and "https://" not in html
    assert "relapse_{n}_{field}" in html and "Data cut-off" in html and "2023-06-30" in html
    # the same input gives the same bytes (a second folder, and the first one rewritten)
    out2 = tmp_path / "scan2"
    assert _run("scan", center, "--out", out2).returncode == 0
    assert _run("scan", center, "--out", out).returncode == 0
    for name in ("scan.html", "scan.json"):
        assert (out / name).read_bytes() == (out2 / name).read_bytes()


def test_cli_html_escapes_values(tmp_path):
    folder = tmp_path / "data"
    folder.mkdir()
    rows = "\n".join(["<b>x</b>,\x1b[31mred,code"] + ["<script>alert(1)</script>,a,v"] * 6)
    (folder / "t.csv").write_text("Header <i>,Other,Code\n" + rows + "\n", encoding="utf-8")
    out = tmp_path / "o"
    r = _run("scan", folder, "--out", out)
    assert r.returncode == 0, r.stderr
    html = (out / "scan.html").read_text(encoding="utf-8")
    assert "<script>" not in html and "<i>" not in html and "\x1b" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "Header &lt;i&gt;" in html
    assert "\\x1b[31mred" in html


def test_cli_bad_data_exits_2_and_writes_nothing(tmp_path):
    out = tmp_path / "o"
    r = _run("scan", tmp_path / "nothere.xlsx", "--out", out)
    assert r.returncode == 2 and "no such file or folder" in r.stderr and "Traceback" not in r.stderr
    assert not out.exists()
    bad = tmp_path / "fake.xlsx"
    bad.write_bytes(b"this is not a zip file")
    r = _run("scan", bad, "--out", out)
    assert r.returncode == 2 and "Traceback" not in r.stderr and not out.exists()
    empty = tmp_path / "empty"
    empty.mkdir()
    r = _run("scan", empty, "--out", out)
    assert r.returncode == 2 and "no sheet or CSV file" in r.stderr and not out.exists()


def test_cli_refuses_to_write_over_an_input(tmp_path):
    folder = build_csv_folder(tmp_path / "export")
    before = sorted(p.name for p in folder.iterdir())
    for target in (folder, folder / "sub"):
        r = _run("scan", folder, "--out", target, "--overwrite")
        assert r.returncode == 2 and "never writes over its input" in r.stderr, r.stderr
    assert sorted(p.name for p in folder.iterdir()) == before
    # a folder holding the user's own file is refused without --overwrite
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "keep.txt").write_text("mine", encoding="utf-8")
    r = _run("scan", folder, "--out", mine)
    assert r.returncode == 2 and "did not write" in r.stderr
    assert (mine / "keep.txt").read_text(encoding="utf-8") == "mine"


def test_cli_outputs_hold_no_paths(center, tmp_path):
    out = tmp_path / "o"
    assert _run("scan", center, "--out", out).returncode == 0
    for name in ("scan.html", "scan.json"):
        assert str(tmp_path).encode() not in (out / name).read_bytes()


def test_cli_formula_without_value_exits_2(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["ID", "Blasts"])
    ws.append(["P01", "=10+2"])          # openpyxl saves no cached value: Excel would show it, a reader cannot
    path = tmp_path / "f.xlsx"
    wb.save(path)
    out = tmp_path / "o"
    r = _run("scan", path, "--out", out)
    assert r.returncode == 2 and "cell.formula_no_value" in r.stderr and "B2" in r.stderr
    assert "Traceback" not in r.stderr and not out.exists()


def test_cli_malformed_csv_names_the_line(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text('ID,Note\nP01,ok\nP02,"never closed\nP03,x\n', encoding="utf-8")
    out = tmp_path / "o"
    r = _run("scan", p, "--out", out)
    assert r.returncode == 2 and "csv.malformed" in r.stderr and "bad.csv" in r.stderr
    assert "Traceback" not in r.stderr and not out.exists()


def test_cli_encoding_and_delimiter_options(tmp_path):
    folder = tmp_path / "latin"
    folder.mkdir()
    (folder / "p.csv").write_bytes("Patient|Geschlecht\nP01|männlich\nP02|weiblich\nP03|männlich\n".encode("latin-1"))
    out = tmp_path / "o"
    r = _run("scan", folder, "--out", out)
    assert r.returncode == 2 and "file.encoding" in r.stderr and not out.exists()
    r = _run("scan", folder, "--out", out, "--encoding", "latin-1", "--delimiter", "|")
    assert r.returncode == 0, r.stderr
    body = json.loads((out / "scan.json").read_text(encoding="utf-8"))
    (src,) = body["sources"]
    assert src["delimiter"] == "|" and [c["header"] for c in src["columns"]] == ["Patient", "Geschlecht"]
    assert src["columns"][1]["values"] == [["männlich", 2], ["weiblich", 1]]
    r = _run("scan", folder, "--out", tmp_path / "o2", "--delimiter", "x")
    assert r.returncode == 2 and "--delimiter" in r.stderr and not (tmp_path / "o2").exists()


def test_cli_out_is_a_file(center, tmp_path):
    target = tmp_path / "scan.txt"
    target.write_text("mine", encoding="utf-8")
    r = _run("scan", center, "--out", target)
    assert r.returncode == 2 and "is a file" in r.stderr
    assert target.read_text(encoding="utf-8") == "mine"
