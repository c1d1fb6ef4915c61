"""mabseq scan's rules one by one: cell patterns, date formats, repeated groups, layouts, the WhiteRabbit rule.
Expected values are written out by hand; property tests check the patterns against values built to have them."""
from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from mabseq.cohort.findings import Findings
from mabseq.cohort.grid import Grid
from mabseq.scan import profile_data, profile_grid
from mabseq.scan.columns import id_header, profile_column
from mabseq.scan.groups import find_groups
from mabseq.scan.patterns import classify, date_formats_of, resolve_date_formats
from mabseq.scan.share import dumps, printable_value


def test_each_pattern_by_hand():
    cases = {
        "12": "integer", "-3": "integer", "0.5": "number", "1e-3": "number", "1,5": "decimal_comma",
        "12 %": "percent_text", "0.005%": "percent_text", "12,5 %": "percent_text",
        "<5": "below", "< 0.01 %": "below", "≤5": "below", "<=5": "below",
        ">95": "above", "> 95 %": "above", "≥ 3": "above",
        "approx 40": "approx", "Approx. 40": "approx", "~40": "approx", "ca. 40": "approx", "about 40": "approx",
        "circa 40": "approx", "3/100": "fraction", "3 / 100": "fraction",
        "3 (stopped early)": "leading_number", "2 (C2 incomplete)": "leading_number", "2 cycles": "leading_number",
        "not detected": "negative_word", "Negative": "negative_word", "UNDETECTABLE": "negative_word",
        "2020-03-01": "iso_date", "2020-03-02T14:30:00": "iso_date", "01/03/2020": "text_date",
        "1 Mar 2020": "text_date", "03-Apr-2020": "text_date", "01.03.2020": "text_date", "Mar 1, 2020": "text_date",
        "failed sample": "text", "CR (MRD-neg)": "text", "unrelated 8/8": "text", "46,XY": "text", "cord x2": "text",
        "2020-02-30": "text", "31/02/2020": "text", "CRi": "text",
    }
    got = {v: classify(v) for v in cases}
    assert got == cases


def test_date_formats_by_hand():
    assert date_formats_of("03/04/2020") == ("%d/%m/%Y", "%m/%d/%Y")
    assert date_formats_of("25/04/2020") == ("%d/%m/%Y",)
    assert date_formats_of("04/25/2020") == ("%m/%d/%Y",)
    assert date_formats_of("03/04/20") == ("%d/%m/%y", "%m/%d/%y")
    assert date_formats_of("3.4.2020") == ("%d.%m.%Y", "%m.%d.%Y")
    assert date_formats_of("1 Mar 2020") == ("%d %b %Y",)
    assert date_formats_of("1 March 2020") == ("%d %B %Y",)
    assert date_formats_of("01-MAR-20") == ("%d-%b-%y",)
    assert date_formats_of("2020/03/01") == ("%Y/%m/%d",)
    assert date_formats_of("March 1, 2020") == ("%B %d, %Y",)
    assert date_formats_of("1/2/3") == ()


def test_day_month_resolution():
    amb = ("%d/%m/%Y", "%m/%d/%Y")
    # day-first evidence (25/04) drops month-first; the ambiguous values count under day-first
    assert resolve_date_formats([(amb, 3), (("%d/%m/%Y",), 1)]) == {"%d/%m/%Y": 4}
    assert resolve_date_formats([(amb, 3), (("%m/%d/%Y",), 2)]) == {"%m/%d/%Y": 5}
    # no evidence: both listed
    assert resolve_date_formats([(amb, 3)]) == {"%d/%m/%Y": 3, "%m/%d/%Y": 3}
    # evidence both ways (two conventions in one column): both listed with their own counts
    assert resolve_date_formats([(amb, 1), (("%d/%m/%Y",), 2), (("%m/%d/%Y",), 1)]) == {"%d/%m/%Y": 3,
                                                                                      "%m/%d/%Y": 2}


@settings(max_examples=200, deadline=None)
@given(st.dates(dt.date(1900, 1, 1), dt.date(2099, 12, 31)),
       st.sampled_from(["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%Y", "%d-%b-%Y", "%d %B %Y", "%Y-%m-%d", "%d/%m/%y"]))
def test_property_every_written_date_reads_back(d, fmt):
    text = d.strftime(fmt)
    fmts = date_formats_of(text)
    assert fmt in fmts
    assert all(dt.datetime.strptime(text, f) for f in fmts)
    assert classify(text) in ("iso_date", "text_date")


@settings(max_examples=200, deadline=None)
@given(st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False),
       st.sampled_from([("{} %", "percent_text"), ("<{}", "below"), ("> {}", "above"), ("approx {}", "approx"),
                        ("~{}", "approx"), ("{} (stopped early)", "leading_number")]),
       st.booleans())
def test_property_qualified_numbers(x, shape, comma):
    num = str(x)
    if comma:
        num = num.replace(".", ",")
    text, kind = shape
    assert classify(text.format(num)) == kind


@given(st.integers(min_value=0, max_value=10**9))
def test_property_integers(n):
    assert classify(str(n)) == "integer"
    assert classify(f" {n} ") == "integer"


def test_group_spellings():
    (g,) = find_groups(["ID", "relapse_1_date", "relapse_1_site", "relapse_2_date", "relapse_2_site", "Notes"])
    assert (g.template, g.numbers, g.fields) == ("relapse_{n}_{field}", [1, 2], ["date", "site"])
    (g,) = find_groups(["Relapse 1 date", "Relapse 1 site", "Relapse 2 date", "Relapse 3 date"])
    assert (g.template, g.numbers, g.fields) == ("Relapse {n} {field}", [1, 2, 3], ["date", "site"])
    (g,) = find_groups(["date_relapse_1", "site_relapse_1", "date_relapse_2", "site_relapse_2"])
    assert (g.template, g.numbers, g.fields) == ("{field}_relapse_{n}", [1, 2], ["date", "site"])
    (g,) = find_groups(["relapse_date_1", "relapse_site_1", "relapse_date_2", "relapse_site_2"])
    assert (g.template, g.numbers, g.fields) == ("relapse_{field}_{n}", [1, 2], ["date", "site"])
    (g,) = find_groups(["ID", "date_1", "site_1", "date_2", "site_2"])
    assert (g.template, g.numbers, g.fields) == ("{field}_{n}", [1, 2], ["date", "site"])
    (g,) = find_groups(["Date of relapse 1", "Date of relapse 2", "Site of relapse 1"])
    assert (g.template, g.numbers, g.fields) == ("{field} relapse {n}", [1, 2], ["Date of", "Site of"])
    (g,) = find_groups(["relapse1_date", "relapse2_date", "relapse2_site"])
    assert (g.template, g.numbers, g.fields) == ("relapse{n}_{field}", [1, 2], ["date", "site"])
    # two groups side by side, each with its own template
    gs = find_groups(["hct_1_date", "hct_1_donor", "hct_2_date", "relapse_1_date", "relapse_2_date"])
    assert [(g.template, g.numbers) for g in gs] == [("hct_{n}_{field}", [1, 2]), ("relapse_{n}_{field}", [1, 2])]
    # not groups: numbers not starting at 0/1, a single number, no field seen twice
    assert find_groups(["CD19 %", "CD22 %"]) == []
    assert find_groups(["relapse_1_date", "relapse_1_site"]) == []
    assert find_groups(["dose_1_mg", "dose_2_day"]) == []


def test_id_headers():
    yes = ["ID", "Study no.", "Pt ID", "record_id", "MRN", "Patient", "patient number", "Pat-Nr", "subject id", "UPN"]
    no = ["Patient age", "Date", "Idarubicin dose", "Gender", "Ideal weight", "Provided by"]
    assert [h for h in yes if not id_header(h)] == []
    assert [h for h in no if id_header(h)] == []


def test_inference_order():
    assert profile_column("x", "A", 0, ["", " "]).inferred == "empty"
    assert profile_column("Code", "A", 0, ["P01", "P02", "P03", "P04", "P05"]).inferred == "id"   # by shape
    assert profile_column("Code", "A", 0, ["P01", "P02", "P03", "P04"]).inferred == "text"       # < 5 cells
    assert profile_column("n", "A", 0, ["1", "2", "3"] * 4).inferred == "integer"
    assert profile_column("n", "A", 0, ["1", "2.5", "3,5"] * 4).inferred == "number"
    assert profile_column("CD19 %", "A", 0, ["12", "97", "50", "3", "88"]).inferred == "percent"
    assert profile_column("CD19", "A", 0, ["12 %", "97", "50", "3", "88"]).inferred == "percent"
    assert profile_column("CD19", "A", 0, ["12", "97", "50", "3", "88"]).inferred == "integer"
    assert profile_column("s", "A", 0, ["m", "f", "m", "f", "Male"]).inferred == "category"
    assert profile_column("s", "A", 0, ["a", "b"]).inferred == "text"         # every value once
    long = ["The patient declined further therapy", "Moved abroad, lost to follow-up", "died at home"] * 3
    assert profile_column("note", "A", 0, long).inferred == "text"           # few but long: free text


def _grid(cells, name="S"):
    width = max(len(r) for r in cells)
    cells = [r + [""] * (width - len(r)) for r in cells]
    return Grid(name, f"b.xlsx [sheet {name}]", "sheet", cells, list(range(1, len(cells) + 1)), width)


def test_key_value_without_a_header():
    g = _grid([["Data cut-off", "2023-06-30"], ["Center", "B"], ["Version", "3"]])
    sp = profile_grid(g, Findings())
    assert (sp.layout, sp.header_row, sp.n_rows) == ("key_value", 0, 3)
    assert sp.key_values == [("Data cut-off", "2023-06-30"), ("Center", "B"), ("Version", "3")]


def test_two_column_table_of_patients_is_not_key_value():
    g = _grid([["Patient", "Date of death"], ["P01", "2020-01-01"], ["P02", "2021-03-04"], ["P03", ""]])
    sp = profile_grid(g, Findings())
    assert (sp.layout, sp.header_row, sp.n_rows) == ("table", 1, 3)


def test_units_row_needs_units():
    data = [["ID", "Age", "Blasts"], ["P01", "34", "12"], ["P02", "40", "3"]]
    sp = profile_grid(_grid([data[0], ["", "(years)", "%"]] + data[1:]), Findings())
    assert sp.skip_rows == [2] and sp.n_rows == 2
    # a first data row of text (sex, response) is data, not units
    g = _grid([["ID", "Sex", "Response"], ["P01", "m", "CR"], ["P02", "f", "PR"], ["P03", "m", "CR"]])
    sp = profile_grid(g, Findings())
    assert sp.skip_rows == [] and sp.n_rows == 3


def test_empty_and_duplicate_headers_are_findings():
    f = Findings()
    sp = profile_grid(Grid("E", "b.xlsx [sheet E]", "sheet", [], [], 0), f)
    assert (sp.n_rows, sp.columns) == (0, [])
    f2 = Findings()
    profile_grid(_grid([["ID", "Date", "date"], ["P01", "2020-01-01", "2020-02-01"], ["P02", "", ""]]), f2)
    assert f.rules() == ["scan.empty"]
    dup = [x for x in f2 if x.rule == "scan.duplicate_header"]
    assert len(dup) == 1 and "columns B and C" in dup[0].message


def test_printable_key_values():
    for v in ("2023-06-30", "30/06/2023", "46", "0.5", "CBR-2021-07", "MSK", "v2", "yes", ""):
        assert printable_value(v), v
    for v in ("Center B", "Smith", "Dr Hortensia Quillfeather", "see protocol amendment", "Memorial"):
        assert not printable_value(v), v


def test_rare_dates_withheld_in_a_coded_column(tmp_path):
    p = tmp_path / "o.csv"
    p.write_text("ID,Death\n" + "".join(f"X{i},alive\n" for i in range(6)) + "X7,2021-09-09\nX8,2020-12-24\n",
                 encoding="utf-8")
    prof = profile_data(p, Findings())
    death = prof.sources[0].columns[1]
    assert death.inferred == "category"
    text = dumps(prof.to_json())
    assert "2021-09-09" not in text and "2020-12-24" not in text and '"alive"' in text
    assert "2021-09-09" in dumps(prof.to_json(shareable=False))


def test_huge_cells_and_headers_profile_quickly(tmp_path):
    long_header = "a" * 5000 + " " + "b" * 5000 + " 1"
    big = "x" * 30000
    p = tmp_path / "big.csv"
    p.write_text(f"ID,{long_header},relapse_1_{'z' * 300}\n" + "".join(f"P{i},{big},{'9' * 5000} \n"
                                                                       for i in range(20)), encoding="utf-8")
    prof = profile_data(p, Findings())
    (s,) = prof.sources
    assert s.n_rows == 20 and s.groups == [] and s.columns[1].inferred == "text"
    assert s.columns[2].patterns["integer"] == 20          # "999...9 " (a trailing space) is still an integer


def test_footer_notes_and_id_only_rows():
    head = [["ID", "Date", "Blasts"], ["P01", "2020-01-01", "5"], ["P02", "2020-02-01", "7"]]
    sp = profile_grid(_grid(head + [["Source: chart review 2023, abstracted by two reviewers", "", ""],
                                    ["NB", "", ""]]), Findings())
    assert (sp.n_rows, sp.skip_rows, sp.last_row) == (2, [4, 5], 3)
    # a last row holding only a patient id is data
    sp = profile_grid(_grid(head + [["P03", "", ""]]), Findings())
    assert (sp.n_rows, sp.skip_rows) == (3, [])


def test_numbers_shown_as_percent_in_excel(tmp_path):
    import openpyxl
    wb = openpyxl.Workbook()
    a = wb.active
    a.title = "Marrow"
    a["B1"], a["C1"], a["D1"] = "Patient", "Blasts", "CD19"         # the table starts at column B
    for i, (blasts, cd19) in enumerate([(0.12, 0.5), (0.05, 0.97), (0.4, 0.2)], start=2):
        a.cell(row=i, column=2, value=f"P0{i}")
        a.cell(row=i, column=3, value=blasts).number_format = "0%"
        a.cell(row=i, column=4, value=cd19).number_format = '0.0"%"'   # a quoted % is literal text, not percent
    a["C5"] = "<5%"                                                 # text: not a percent-formatted number
    a["C5"].number_format = "0%"
    b = wb.create_sheet("Flow")
    b.append(["Patient", "CD19 %"])
    for i, v in enumerate([12, 97, 50]):
        b.append([f"P0{i}", v])
    b["B4"].number_format = "0.00%"                                 # one cell of Flow shown as percent
    folder = tmp_path / "center"
    folder.mkdir()
    wb.save(folder / "book.xlsx")
    for data in (folder / "book.xlsx", folder):                    # one workbook, or a folder holding it
        prof = profile_data(data, Findings())
        m, fl = prof.source("Marrow"), prof.source("Flow")
        assert [(c.header, c.letter, c.excel_percent) for c in m.columns] == [
            ("Patient", "B", 0), ("Blasts", "C", 3), ("CD19", "D", 0)]
        assert [c.excel_percent for c in fl.columns] == [0, 1]
        assert '"excel_percent": 3' in dumps(prof.to_json())


_CELLS = st.one_of(st.sampled_from(["", " ", "P01", " p02", "12 %", "<5", "approx 40", ">95", "3/100", "1,5", "0.5",
                                    "12", "not detected", "03/04/2020", "25/12/2021", "2020-01-01", "m", "f", "CR",
                                    "3 (stopped early)", "relapse_1_date", "Notes about the patient and family",
                                    "(%)", "* note"]),
                   st.text(max_size=12))


@settings(max_examples=150, deadline=None)
@given(st.lists(st.lists(_CELLS, min_size=1, max_size=6), min_size=1, max_size=25))
def test_property_any_grid_profiles_consistently(rows):
    width = max(len(r) for r in rows)
    cells = [r + [""] * (width - len(r)) for r in rows]
    keep = [(i, r) for i, r in enumerate(cells) if any(c.strip() for c in r)]
    g = Grid("S", "b.xlsx [sheet S]", "sheet", [r for _, r in keep], [i + 1 for i, _ in keep], width)
    sp = profile_grid(g, Findings())
    assert sp.layout in ("table", "key_value")
    for c in sp.columns:
        assert c.non_empty + c.empty == sp.n_rows
        assert sum(n for _, n in c.values) == c.non_empty == sum(
            v for k, v in c.patterns.items() if k != "padded")
        assert c.distinct == len(c.values)
        assert c.values == sorted(c.values, key=lambda kv: (-kv[1], kv[0]))
    from mabseq.scan.profile import DataProfile
    body = DataProfile("b.xlsx", [sp]).to_json(shareable=True)
    for c, cj in zip(sp.columns, body["sources"][0]["columns"]):
        if sp.layout == "table" and (c.id_like or c.free_text):
            assert all(n >= 5 for _, n in cj["values"])
        assert cj["withheld"]["cells"] + sum(n for _, n in cj["values"]) == c.non_empty


def test_a_two_column_list_of_names_is_no_key_value_sheet():
    # names beside phone numbers (all text) or beside dates (all dates): a table; its names are withheld
    for values in (["555-1234", "555-9876", "555-0000"], ["1970-01-01", "1982-03-04", "1990-05-06"]):
        g = _grid([["Hortensia Quillfeather", values[0]], ["Barnaby Whitlock", values[1]],
                   ["Ada Smith", values[2]]])
        sp = profile_grid(g, Findings())
        assert sp.layout == "table", values
        from mabseq.scan.profile import DataProfile
        text = dumps(DataProfile("b.xlsx", [sp]).to_json())
        assert "Whitlock" not in text and "Ada Smith" not in text
    # a list headed Item / Value is a key/value sheet whatever its values
    g = _grid([["Item", "Value"], ["Center", "B"], ["Registry", "EBMT"]])
    assert profile_grid(g, Findings()).layout == "key_value"


def test_a_table_without_header_row_prints_no_values_as_headers():
    rows = [["Hortensia Quillfeather", "1970-01-01", "12"], ["Barnaby Whitlock", "1982-03-04", "7"],
            ["Ada Smith", "1990-05-06", "3"]]
    f = Findings()
    sp = profile_grid(_grid(rows), f)
    assert (sp.layout, sp.header_row, sp.n_rows, sp.first_row) == ("table", 0, 3, 1)
    assert [(c.header, c.letter, c.inferred) for c in sp.columns] == [("", "A", "text"), ("", "B", "date"),
                                                                     ("", "C", "integer")]
    assert f.rules() == ["scan.no_header"]
    from mabseq.scan.profile import DataProfile
    text = dumps(DataProfile("b.xlsx", [sp]).to_json())
    assert "Quillfeather" not in text and "1970-01-01" not in text
    # a one-column list keeps its first cell as header; a sheet of headers alone has its header row
    sp = profile_grid(_grid([["Drug"], ["Blincyto"], ["Kymriah"]]), Findings())
    assert (sp.header_row, sp.n_rows, sp.columns[0].header) == (1, 2, "Drug")
    sp = profile_grid(_grid([["ID", "Date", "Blasts"]]), Findings())
    assert (sp.header_row, sp.n_rows, [c.header for c in sp.columns]) == (1, 0, ["ID", "Date", "Blasts"])
