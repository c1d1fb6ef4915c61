"""The mapping compiler and its execution, feature by feature: a small hand-built workbook or CSV folder per
feature, and the canonical rows it must give, written out by hand."""
from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import openpyxl

from mabseq.cohort.findings import Findings
from mabseq.mapping.execute import mapping_sql, read_mapped


def book(path, sheets: dict):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def run(tmp_path, sheets, yaml, folder=None):
    data = folder if folder is not None else book(tmp_path / "b.xlsx", sheets)
    m = tmp_path / "m.yaml"
    m.write_text("mabseq_mapping: 1\n" + yaml, encoding="utf-8")
    f = Findings()
    prov = []
    raws = read_mapped(data, m, f, prov)
    return raws, f, (prov[0] if prov else None)


def rows(raw, cols=None):
    """The raw table's rows as tuples (NaN and None as None)."""
    cols = cols or list(raw.frame.columns)
    out = []
    for rec in raw.frame[cols].itertuples(index=False):
        out.append(tuple(None if (v is None or (isinstance(v, float) and math.isnan(v))) else v for v in rec))
    return out


def table(raws, name, k=0):
    return [r for r in raws if r.name == name][k]


def test_header_row_skip_rows_ids_value_maps_constants(tmp_path):
    sheets = {"Demo": [["Center B chart review"], [], ["Study no.", "Gender", "Dx date", "prior SCT?"],
                       ["(id)", "(m/f)", "(dd/mm/yyyy)", ""],
                       [" p-01 ", "m", dt.date(2016, 3, 1), "Yes"],
                       ["P 02", " Female ", "15/07/2015", "unk"],
                       ["p03", "F", "2015-01-02", ""]]}
    yaml = """ids: {remove: ["-", " "]}
dates: ["%d/%m/%Y"]
sources: {demo: {sheet: Demo, header_row: 3, skip_rows: [4]}}
values: {yn: {"yes": "yes", "no": "no", unk: unknown, "": unknown}}
tables:
  patients:
    from: demo
    constants: {diagnosis: b_all}
    columns:
      patient_id: "study NO."
      sex: {column: gender, values: {m: male, f: female, female: female}}
      diagnosis_date: Dx date
      prior_allohsct: {column: "prior SCT?", values: yn}
"""
    raws, f, prov = run(tmp_path, sheets, yaml)
    assert not f.errors, f.summary_text()
    p = table(raws, "patients")
    assert p.rows == [5, 6, 7] and p.source == "b.xlsx [sheet Demo]"
    assert p.header["sex"] == "Gender" and p.header["patient_id"] == "Study no."
    assert rows(p, ["patient_id", "sex", "diagnosis", "diagnosis_date", "prior_allohsct"]) == [
        ("P01", "male", "b_all", "2016-03-01", "yes"),
        ("P02", "female", "b_all", "2015-07-15", "unknown"),
        ("P03", "female", "b_all", "2015-01-02", "unknown")]     # "" -> unknown by the map's "" key
    r = prov[(prov["column"] == "sex") & (prov["row_index"] == 1)].iloc[0]
    assert (r["source_row"], r["source_column"], r["rule"]) == (6, "Gender", 'value map "Female" -> female')


def test_value_map_regex_star_and_unmapped_with_count(tmp_path):
    sheets = {"Resp": [["ID", "Date", "Best response"], ["P1", "2020-01-01", "CR (MRD-neg)"],
                       ["P2", "2020-01-01", "  cr  (mrd-NEG) "], ["P3", "2020-01-01", "PR after C2"],
                       ["P4", "2020-01-01", "SD"], ["P5", "2020-01-01", "SD"], ["P6", "2020-01-01", "weird"]]}
    base = """sources: {r: {sheet: Resp}}
tables:
  assessments:
    from: r
    constants: {specimen: marrow}
    columns:
      patient_id: ID
      assessment_date: Date
      response_recorded: {column: Best response, values: {"CR (MRD-neg)": cr, "re:^pr\\\\b": pr%s}}
"""
    raws, f, _ = run(tmp_path, sheets, base % "")
    errs = [x for x in f.errors if x.rule == "mapping.value_unmapped"]
    # SD twice (first row 5), weird once (row 7): one error per distinct value, with its count and first row
    assert [(x.value, x.row, x.column, x.source) for x in errs] == [
        ("SD", 5, "Best response", "b.xlsx [sheet Resp]"), ("weird", 7, "Best response", "b.xlsx [sheet Resp]")]
    assert "2 row(s)" in errs[0].message and raws == []
    raws, f, _ = run(tmp_path, sheets, base % ', "*": nr')
    assert not f.errors, f.summary_text()
    assert [v for (v,) in rows(table(raws, "assessments"), ["response_recorded"])] == ["cr", "cr", "pr", "nr", "nr",
                                                                                        "nr"]


def test_number_parser_rules_and_parse_errors(tmp_path):
    sheets = {"M": [["ID", "Date", "Blasts", "MRD"],
                    ["P1", "2020-01-01", "12 %", "<0.01 %"],
                    ["P2", "2020-01-01", "<5", "not detected"],
                    ["P3", "2020-01-01", "approx 40", "0.005%"],
                    ["P4", "2020-01-01", ">95", "3/10000"],
                    ["P5", "2020-01-01", "", "failed sample"]]}
    yaml = """sources: {m: {sheet: M}}
tables:
  assessments:
    from: m
    constants: {specimen: marrow}
    columns:
      patient_id: ID
      assessment_date: Date
      bm_blast_pct: {column: Blasts, number: {below: half, above: limit, approx: value}}
      mrd_value: {column: MRD, number: {unit: percent, below: limit, negative: [not detected],
                                        missing: [failed sample]}}
"""
    raws, f, prov = run(tmp_path, sheets, yaml)
    assert not f.errors, f.summary_text()
    got = rows(table(raws, "assessments"), ["bm_blast_pct", "mrd_value"])
    assert got == [(12.0, 0.01 / 100), (2.5, 0.0), (40.0, 0.005 / 100), (95.0, 3 / 10000), (None, None)]
    rules = list(prov[prov["column"] == "bm_blast_pct"]["rule"])
    assert rules == ["number %", "number below:half", "number approx:value", "number above:limit"]
    # without rules: each qualified cell is an error naming sheet, row, column, value
    raws, f, _ = run(tmp_path, sheets, yaml.replace("{below: half, above: limit, approx: value}", "{}"))
    errs = [(x.source, x.row, x.column, x.value) for x in f.errors if x.rule == "mapping.parse"]
    assert errs == [("b.xlsx [sheet M]", 3, "Blasts", "<5"), ("b.xlsx [sheet M]", 4, "Blasts", "approx 40"),
                    ("b.xlsx [sheet M]", 5, "Blasts", ">95")]
    hints = [x.message for x in f.errors if x.rule == "mapping.parse"]
    assert "(below: limit" in hints[0] and "(approx: value" in hints[1] and "(above: limit" in hints[2]


def test_csv_semicolons_decimal_comma_and_date_formats(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "labs.csv").write_text("Pt;Drawn;ANC;Plt\nA1;03.02.2020;1,5;120\nA2;2020-02-04;0,25;\n",
                                     encoding="utf-8")
    yaml = """sources: {labs: {file: labs.csv, delimiter: ";", decimal: ","}}
dates: ["%d.%m.%Y"]
tables:
  assessments:
    from: labs
    constants: {specimen: blood}
    columns: {patient_id: Pt, assessment_date: Drawn, anc: ANC, platelets: Plt}
"""
    raws, f, _ = run(tmp_path, None, yaml, folder=folder)
    assert not f.errors, f.summary_text()
    a = table(raws, "assessments")
    assert a.rows == [2, 3] and a.source == "labs.csv"
    assert rows(a, ["patient_id", "assessment_date", "anc", "platelets"]) == [
        ("A1", "2020-02-03", 1.5, 120.0), ("A2", "2020-02-04", 0.25, None)]


def test_key_value_sheet(tmp_path):
    sheets = {"Info": [["Item", "Value"], ["Study", "Center B"], ["Data cut-off", "30 Jun 2021"], ["Center", "B"],
                       ["Entered by", "XY"]]}
    yaml = """sources: {info: {sheet: Info, layout: key_value, key_column: Item, value_column: Value}}
tables:
  study:
    from: info
    columns:
      study_name: study
      data_cutoff: {column: "Data cut-off", date: "%d %b %Y"}
      center: Center
"""
    raws, f, prov = run(tmp_path, sheets, yaml)
    assert not f.errors, f.summary_text()
    assert rows(table(raws, "study")) == [("Center B", "2021-06-30", "B")]
    unused = [x for x in f.warnings if x.rule == "mapping.column_unused"]
    assert len(unused) == 1 and "1 key(s)" in unused[0].message and "'Entered by'" in unused[0].message
    r = prov[prov["column"] == "data_cutoff"].iloc[0]
    assert (r["source_row"], r["source_column"], r["rule"]) == (3, "Data cut-off", "date")


def test_join_full_on_normalised_ids_and_parsed_dates(tmp_path):
    sheets = {"Marrow": [["Patient", "Date", "Blasts"], ["P01", "08/01/2018", "35"], ["P02", "09/01/2018", "5"]],
              "Flow": [["Pt ID", "Sample date", "CD19 %"], [" p01", "2018-01-08", "98"], ["P03", "2018-02-01", "50"]]}
    yaml = """dates: ["%d/%m/%Y"]
sources: {marrow: {sheet: Marrow}, flow: {sheet: Flow}}
tables:
  assessments:
    from: marrow
    join: [{source: flow, on: {Patient: Pt ID, Date: Sample date}}]
    constants: {specimen: marrow}
    columns:
      patient_id: Patient
      assessment_date: Date
      bm_blast_pct: Blasts
      cd19_pct_positive: {source: flow, column: "CD19 %"}
"""
    raws, f, prov = run(tmp_path, sheets, yaml)
    assert not f.errors, f.summary_text()
    a = table(raws, "assessments")
    # the key of the flow-only row (P03) comes from the Flow sheet's own cell
    p = prov[prov["column"] == "patient_id"][["source", "source_row", "source_column"]].values.tolist()
    assert p == [["b.xlsx [sheet Marrow]", 2, "Patient"], ["b.xlsx [sheet Marrow]", 3, "Patient"],
                 ["b.xlsx [sheet Flow]", 3, "Pt ID"]]
    # P01 same day on both sheets -> one row; P02 marrow only; P03 flow only (full join)
    assert rows(a, ["patient_id", "assessment_date", "bm_blast_pct", "cd19_pct_positive"]) == [
        ("P01", "2018-01-08", 35.0, 98.0), ("P02", "2018-01-09", 5.0, None), ("P03", "2018-02-01", None, 50.0)]
    assert a.header["cd19_pct_positive"] == "Flow!CD19 %"
    raws, f, _ = run(tmp_path, sheets, yaml.replace("on: {", "how: left, on: {"))
    assert [r[0] for r in rows(table(raws, "assessments"), ["patient_id"])] == ["P01", "P02"]


def test_stack_of_two_blocks(tmp_path):
    sheets = {"A": [["ID", "Date"], ["P1", "2020-01-01"]], "B": [["Pt", "When"], ["P2", "2020-02-02"]]}
    yaml = """sources: {a: {sheet: A}, b: {sheet: B}}
tables:
  assessments:
    - {from: a, constants: {specimen: marrow}, columns: {patient_id: ID, assessment_date: Date}}
    - {from: b, constants: {specimen: blood}, columns: {patient_id: Pt, assessment_date: When}}
"""
    raws, f, _ = run(tmp_path, sheets, yaml)
    assert not f.errors
    parts = [r for r in raws if r.name == "assessments"]
    assert [rows(p, ["patient_id", "specimen"]) for p in parts] == [[("P1", "marrow")], [("P2", "blood")]]
    assert [p.source for p in parts] == ["b.xlsx [sheet A]", "b.xlsx [sheet B]"]


def test_unpivot_repeated_groups(tmp_path):
    sheets = {"Out": [["ID", "relapse_1_date", "relapse_1_site", "relapse_2_date", "relapse_2_site", "Status"],
                      ["P1", "2019-01-15", "BM", "2019-06-01", "CNS", "dead"],
                      ["P2", "", "", "", "", "alive"],
                      ["P3", "2020-03-03", "BM", "", "", "alive"]]}
    yaml = """sources: {o: {sheet: Out, ignore_columns: [Status]}}
tables:
  disease_events:
    from: o
    unpivot: {columns: "relapse_{n}_{field}"}
    constants: {event_type: relapse}
    columns:
      patient_id: ID
      event_date: date
      site: {column: site, values: {BM: marrow, CNS: cns}}
"""
    raws, f, prov = run(tmp_path, sheets, yaml)
    assert not f.errors, f.summary_text()
    d = table(raws, "disease_events")
    assert rows(d, ["patient_id", "event_date", "site"]) == [
        ("P1", "2019-01-15", "marrow"), ("P1", "2019-06-01", "cns"), ("P3", "2020-03-03", "marrow")]
    assert d.rows == [2, 2, 4]
    assert list(prov[prov["column"] == "site"]["source_column"]) == ["relapse_1_site", "relapse_2_site",
                                                                      "relapse_1_site"]
    assert not [x for x in f.warnings if x.rule == "mapping.column_unused"]


THERAPY = {"Tx": [["Patient", "Drug", "Start", "End", "Status", "Cycles"],
                  ["P1", "Blincyto", "2018-01-10", "2018-02-07", "", "1"],
                  ["P1", "blincyto", "2018-03-01", "2018-03-28", "", "1 (stopped early)"],
                  ["P1", "InO", "2018-06-01", "", "", ""],
                  ["P1", "Blincyto", "2019-06-01", "2019-06-28", "", "1"],
                  ["P2", "Blincyto", "2018-02-01", "", "planned", ""],
                  ["P2", "Blincyto", "2018-03-01", "", "cancelled", ""],
                  ["P2", "InO", "2018-04-01", "", "", "2"]]}
THERAPY_YAML = """sources: {tx: {sheet: Tx}}
tables:
  therapies:
    from: tx
    where: [{column: Status, not_in: [planned, cancelled]}]
    collapse: {within: Patient, same: [Drug], order_by: Start, gap_days: 42, start: Start, end: End, cycles: %s}
    columns:
      patient_id: Patient
      course_id: {generate: sequence, within: patient_id, order_by: start_date, format: "C{n}"}
      therapy_class: {column: Drug, values: {Blincyto: blinatumomab, InO: inotuzumab}}
      start_date: Start
      end_date: End
      cycles: {column: Cycles, number: {leading: true}}
"""


def test_where_collapse_generate(tmp_path):
    raws, f, prov = run(tmp_path, THERAPY, THERAPY_YAML % "count")
    assert not f.errors, f.summary_text()
    t = table(raws, "therapies")
    # P1: Blincyto rows 2+3 (gap 22 days <= 42) -> one course of 2 cycles; InO; Blincyto 2019 (gap > 42) another
    assert rows(t, ["patient_id", "course_id", "therapy_class", "start_date", "end_date", "cycles"]) == [
        ("P1", "C1", "blinatumomab", "2018-01-10", "2018-03-28", 2.0),
        ("P1", "C2", "inotuzumab", "2018-06-01", None, 1.0),
        ("P1", "C3", "blinatumomab", "2019-06-01", "2019-06-28", 1.0),
        ("P2", "C1", "inotuzumab", "2018-04-01", None, 2.0 - 1.0)]
    assert t.rows == [2, 4, 5, 8]
    filt = [x for x in f.warnings if x.rule == "mapping.filtered"]
    assert len(filt) == 1 and "2 row(s)" in filt[0].message and filt[0].row == 6
    r = prov[(prov["column"] == "cycles") & (prov["row_index"] == 0)].iloc[0]
    assert r["rule"].startswith("collapsed 2 rows")
    raws, f, _ = run(tmp_path, THERAPY, THERAPY_YAML % "sum")
    assert [c for (c,) in rows(table(raws, "therapies"), ["cycles"])] == [2.0, None, 1.0, 2.0]


def test_a_sheet_no_source_names_is_one_warning(tmp_path):
    sheets = {"A": [["ID", "Date"], ["P1", "2020-01-01"]], "Notes": [["free text"]]}
    yaml = """sources: {a: {sheet: A}}
tables: {assessments: {from: a, constants: {specimen: marrow}, columns: {patient_id: ID, assessment_date: Date}}}
"""
    _, f, _ = run(tmp_path, sheets, yaml)
    w = [x for x in f.warnings if x.rule == "mapping.sheet_unused"]
    assert [x.source for x in w] == ["b.xlsx [sheet Notes]"]


def test_unknown_sheet_and_header_name_the_mapping_line(tmp_path):
    sheets = {"Demographics": [["ID", "Sex"], ["P1", "m"]]}
    yaml = """sources: {d: {sheet: Demografics}}
tables: {patients: {from: d, columns: {patient_id: ID}}}
"""
    _, f, _ = run(tmp_path, sheets, yaml)
    e = f.errors[0]
    assert (e.rule, e.row, e.source) == ("mapping.unknown_sheet", 2, "m.yaml") and "Demographics" in e.message
    yaml = """sources: {d: {sheet: Demographics}}
tables: {patients: {from: d, columns: {patient_id: ID, sex: {column: Gender, values: {m: male}}}}}
"""
    _, f, _ = run(tmp_path, sheets, yaml)
    e = f.errors[0]
    assert (e.rule, e.row) == ("mapping.unknown_header", 3) and "'Gender'" in e.message


def test_column_letter(tmp_path):
    sheets = {"A": [["", "Date"], ["P1", "2020-01-01"]]}
    yaml = """sources: {a: {sheet: A}}
tables: {assessments: {from: a, constants: {specimen: marrow}, columns: {patient_id: A, assessment_date: Date}}}
"""
    raws, f, _ = run(tmp_path, sheets, yaml)
    assert not f.errors and rows(table(raws, "assessments"), ["patient_id"]) == [("P1",)]


def test_sql_text_is_deterministic(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("mabseq_mapping: 1\n" + THERAPY_YAML % "count")
    a, b = mapping_sql(m, Findings()), mapping_sql(m, Findings())
    assert a == b and 'CREATE OR REPLACE TEMP TABLE "rows:therapies:0"' in a


def test_a_joined_row_used_twice_is_a_warning(tmp_path):
    # two marrow rows of P01 on the same day (marrow and CSF) match the one flow row: said, with the flow row
    sheets = {"Marrow": [["Patient", "Date", "Specimen"], ["P01", "2018-01-08", "marrow"], ["P01", "2018-01-08", "csf"]],
              "Flow": [["Pt ID", "Sample date", "CD19 %"], ["P01", "2018-01-08", "98"]]}
    yaml = """sources: {marrow: {sheet: Marrow}, flow: {sheet: Flow}}
tables:
  assessments:
    from: marrow
    join: [{source: flow, on: {Patient: Pt ID, Date: Sample date}, how: left}]
    columns: {patient_id: Patient, assessment_date: Date, specimen: Specimen,
              cd19_pct_positive: {source: flow, column: "CD19 %"}}
"""
    raws, f, _ = run(tmp_path, sheets, yaml)
    w = [x for x in f.warnings if x.rule == "mapping.join_repeated"]
    assert [(x.source, x.row) for x in w] == [("b.xlsx [sheet Flow]", 2)] and "1 row(s)" in w[0].message
    assert rows(table(raws, "assessments"), ["specimen", "cd19_pct_positive"]) == [("marrow", 98.0), ("csf", 98.0)]


def test_a_large_value_map_gives_the_same_codes(tmp_path):
    # 40 keys (a lookup table joined on the value, not a CASE): v0 -> cr, v1 -> pr, v2 -> cr, ...
    keys = ", ".join(f'"V{i}": {"cr" if i % 2 == 0 else "pr"}' for i in range(40))
    cells = ["v0", " V1", "v39", "v38", "nope", "v7", ""]
    sheets = {"R": [["ID", "Date", "Resp"]] + [[f"P{i}", "2020-01-01", c] for i, c in enumerate(cells)]}
    yaml = f"""sources: {{r: {{sheet: R}}}}
tables:
  assessments:
    from: r
    constants: {{specimen: marrow}}
    columns: {{patient_id: ID, assessment_date: Date, response_recorded: {{column: Resp, values: {{{keys}}}}}}}
"""
    raws, f, _ = run(tmp_path, sheets, yaml)
    assert [(x.value, x.row) for x in f.errors] == [("nope", 6)]
    raws, f, prov = run(tmp_path, sheets, yaml.replace('"V0": cr', '"V0": cr, "*": nr'))
    assert not f.errors, f.summary_text()
    a = table(raws, "assessments")
    assert a.rows == [2, 3, 4, 5, 6, 7, 8]
    assert [v for (v,) in rows(a, ["response_recorded"])] == ["cr", "pr", "pr", "cr", "nr", "pr", None]
    assert list(prov[prov["column"] == "response_recorded"]["rule"])[:2] == ['value map "v0" -> cr',
                                                                            'value map "V1" -> pr']


def test_a_value_map_too_large_is_refused(tmp_path):
    keys = ", ".join(f'"v{i}": cr' for i in range(10_001))
    sheets = {"R": [["ID", "Date", "Resp"], ["P1", "2020-01-01", "v1"]]}
    yaml = f"""sources: {{r: {{sheet: R}}}}
tables:
  assessments:
    from: r
    columns: {{patient_id: ID, response_recorded: {{column: Resp, values: {{{keys}}}}}}}
"""
    _, f, _ = run(tmp_path, sheets, yaml)
    assert [(x.rule, x.row) for x in f.errors] == [("mapping.too_large", 6)]


def test_full_join_keys_in_two_date_formats(tmp_path):
    # Marrow writes dd/mm/yyyy, Flow writes dd.mm.yyyy (its own column format); the same day is one row
    sheets = {"Marrow": [["Patient", "Date", "Blasts"], ["P01", "08/01/2018", "35"]],
              "Flow": [["Pt ID", "Sample date", "CD19 %"], ["p01", "08.01.2018", "98"], ["P03", "01.02.2018", "50"]]}
    yaml = """dates: ["%d/%m/%Y"]
sources: {marrow: {sheet: Marrow}, flow: {sheet: Flow}}
tables:
  assessments:
    from: marrow
    join: [{source: flow, on: {Patient: Pt ID, Date: Sample date}}]
    constants: {specimen: marrow}
    columns:
      patient_id: Patient
      assessment_date: Date
      bm_blast_pct: Blasts
      cd19_pct_positive: {source: flow, column: "CD19 %"}
      cd19_mfi_abnormal: {source: flow, column: "Sample date", date: "%d.%m.%Y"}
"""
    # (cd19_mfi_abnormal is not a date column: the mapping is refused, with its line)
    _, f, _ = run(tmp_path, sheets, yaml)
    assert [(x.rule, x.row) for x in f.errors] == [("mapping.structure", 14)]
    yaml = yaml.replace('      cd19_mfi_abnormal: {source: flow, column: "Sample date", date: "%d.%m.%Y"}\n', "")
    yaml = yaml.replace('dates: ["%d/%m/%Y"]', 'dates: ["%d/%m/%Y", "%d.%m.%Y"]')
    raws, f, _ = run(tmp_path, sheets, yaml)
    assert not f.errors, f.summary_text()
    assert rows(table(raws, "assessments"), ["patient_id", "assessment_date", "bm_blast_pct", "cd19_pct_positive"]) == [
        ("P01", "2018-01-08", 35.0, 98.0), ("P03", "2018-02-01", None, 50.0)]


def test_the_example_of_docs_mapping_md_end_to_end(tmp_path):
    """The reference's own example mapping, run on a folder (a workbook and a semicolon CSV with decimal commas)
    built to its description; every expected row worked out by hand from the cells below."""
    doc = (Path(__file__).parent.parent / "docs" / "MAPPING.md").read_text(encoding="utf-8")
    start = doc.index("```yaml\n") + len("```yaml\n")
    yaml = doc[start:doc.index("```", start)].replace("mabseq_mapping: 1", "", 1)
    folder = tmp_path / "data"
    folder.mkdir()
    book(folder / "book.xlsx", {
        "Demographics": [["Center B chart review"], ["exported 2021"],
                         ["Study no.", "Gender", "Dx date", "prior SCT?", "Notes", "Entered by"],
                         ["(id)", "(m/f)", "(dd/mm/yyyy)", "", "", ""],
                         ["p-01 ", "m", "01/03/2016", "yes", "x", "AB"], ["P02", "Male", "2015-07-15", "unk", "", ""]],
        "Study info": [["Item", "Value"], ["Data cut-off", "30 Jun 2021"]],
        "Marrow": [["Patient", "Date", "Blasts"], ["P01", "08/01/2018", "<5"], ["P02", "09/01/2018", "approx 40"]],
        "Flow cytometry": [["Pt ID", "Sample date", "CD19 %", "MRD"], ["p01", "08/01/2018", "98", "not detected"],
                           ["P02", "2018-01-10", "12 %", "0.005%"]],
        "Outcomes": [["ID", "relapse_1_date", "relapse_1_site", "relapse_2_date", "relapse_2_site"],
                     ["P01", "15/01/2019", "BM", "01/06/2019", "CNS"], ["P02", "", "", "", ""]],
        "Treatments": [["Patient", "Drug", "Start", "End", "Cycles", "Status"],
                       ["P01", "Blincyto", "10/01/2018", "07/02/2018", "1", ""],
                       ["P01", "Blincyto", "01/03/2018", "28/03/2018", "1 (stopped early)", ""],
                       ["P01", "InO/mini-HCVD", "01/06/2018", "", "2", ""],
                       ["P02", "Blincyto", "01/02/2018", "", "", "planned"]]})
    (folder / "labs_export.csv").write_text("ID;Draw date;Blasts seen\nP01;15/01/2018;no\nP02;16/01/2018;Yes\n",
                                            encoding="utf-8")
    raws, f, _ = run(tmp_path, None, yaml, folder=folder)
    assert not f.errors, f.summary_text()
    assert rows(table(raws, "study")) == [("Center B chart review", "2021-06-30")]
    assert rows(table(raws, "patients"), ["patient_id", "sex", "diagnosis", "diagnosis_date", "prior_allohsct"]) == [
        ("P01", "male", "b_all", "2016-03-01", "yes"), ("P02", "male", "b_all", "2015-07-15", "unknown")]
    cols = ["patient_id", "assessment_date", "specimen", "bm_blast_pct", "cd19_pct_positive", "mrd_value"]
    assert rows(table(raws, "assessments", 0), cols) == [
        ("P01", "2018-01-08", "marrow", 5.0, 98.0, 0.0),                 # <5: below limit; not detected: 0
        ("P02", "2018-01-09", "marrow", 40.0, None, None),               # approx 40: value; no flow that day
        ("P02", "2018-01-10", "marrow", None, 12.0, 0.005 / 100)]        # flow alone (full join)
    assert rows(table(raws, "assessments", 1), ["patient_id", "assessment_date", "specimen", "pb_blasts"]) == [
        ("P01", "2018-01-15", "blood", "no"), ("P02", "2018-01-16", "blood", "yes")]
    assert rows(table(raws, "disease_events"), ["patient_id", "event_date", "event_type", "site"]) == [
        ("P01", "2019-01-15", "relapse", "marrow"), ("P01", "2019-06-01", "relapse", "cns")]
    assert rows(table(raws, "therapies"), ["patient_id", "course_id", "therapy_class", "agents", "start_date",
                                           "end_date", "cycles"]) == [
        ("P01", "C1", "blinatumomab", "blinatumomab", "2018-01-10", "2018-03-28", 2.0),   # 22 days apart: one
        ("P01", "C2", "inotuzumab", "inotuzumab;cyclophosphamide;vincristine", "2018-06-01", None, 1.0)]
    assert [x.rule for x in f.warnings] == ["mapping.filtered"]          # P02's planned course, counted
