"""Hostile mappings and data through the mapping door: text from the user's files or mapping reaches the SQL only
as quoted literals and identifiers, regular expressions DuckDB cannot run are refused at load with their line,
the SQL cannot read files, and a failure is a finding, never a traceback."""
from __future__ import annotations

import json

import openpyxl

from mabseq.cohort.findings import Findings
from mabseq.mapping.execute import read_mapped
from mabseq.mapping.load import load_mapping_yaml


def book(path, sheets):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)
    return path


def run(tmp_path, sheets, yaml):
    data = book(tmp_path / "b.xlsx", sheets)
    m = tmp_path / "m.yaml"
    m.write_text("mabseq_mapping: 1\n" + yaml, encoding="utf-8")
    f = Findings()
    return read_mapped(data, m, f, []), f


EVIL = "x'); COPY (SELECT 1) TO '/tmp/mabseq_pwned.csv'; --\""


def test_quotes_in_headers_sheet_names_and_values_are_data(tmp_path):
    sheets = {"it's \"A\"": [[EVIL, "Date", "Re'sp"], ["P1", "2020-01-01", EVIL], ["P2", "2020-01-01", "o'k"]]}
    q = json.dumps  # a JSON string is a YAML double-quoted scalar
    yaml = f"""sources: {{a: {{sheet: {q("it's " + chr(34) + "A" + chr(34))}}}}}
tables:
  assessments:
    from: a
    constants: {{specimen: marrow}}
    columns:
      patient_id: {q(EVIL)}
      assessment_date: Date
      response_recorded: {{column: {q("Re'sp")}, values: {{{q(EVIL)}: cr, {q("o'k")}: pr}}}}
"""
    raws, f = run(tmp_path, sheets, yaml)
    assert not f.errors, f.summary_text()
    a = raws[0]
    assert list(a.frame["response_recorded"]) == ["cr", "pr"]
    assert a.header["patient_id"] == EVIL
    import os
    assert not os.path.exists("/tmp/mabseq_pwned.csv")


def test_regex_duckdb_cannot_run_is_refused_with_its_line(tmp_path):
    m = tmp_path / "m.yaml"
    m.write_text("""mabseq_mapping: 1
sources: {a: {sheet: A}}
tables:
  assessments:
    from: a
    where: [{column: X, matches: "(?=a)b"}]
    columns:
      patient_id: ID
      response_recorded: {column: R, values: {"re:(a)\\\\1": cr}}
""")
    f = Findings()
    assert load_mapping_yaml(m, f) is None
    assert sorted((x.rule, x.row) for x in f.errors) == [("mapping.regex", 6), ("mapping.regex", 9)]


def test_the_sql_cannot_read_files(tmp_path, monkeypatch):
    """When the compiled SQL runs, the connection has external access off and its configuration locked."""
    from mabseq.mapping import execute
    seen = {}
    real = execute.run_compiled

    def spy(con, *a, **k):
        seen["access"] = con.execute("SELECT current_setting('enable_external_access')").fetchall()[0][0]
        try:
            con.execute(f"SELECT * FROM read_csv('{tmp_path}/x.csv')")
            seen["read"] = True
        except Exception as exc:  # duckdb.PermissionException
            seen["read"] = type(exc).__name__
        try:
            con.execute("SET enable_external_access = true")
            seen["unlock"] = True
        except Exception as exc:
            seen["unlock"] = type(exc).__name__
        return real(con, *a, **k)
    monkeypatch.setattr(execute, "run_compiled", spy)
    (tmp_path / "x.csv").write_text("a\n1\n")
    sheets = {"A": [["ID", "Date"], ["P1", "2020-01-01"]]}
    yaml = """sources: {a: {sheet: A}}
tables: {assessments: {from: a, constants: {specimen: marrow}, columns: {patient_id: ID, assessment_date: Date}}}
"""
    raws, f = run(tmp_path, sheets, yaml)
    assert not f.errors and len(raws) == 1
    assert seen["access"] is False and seen["read"] is not True and seen["unlock"] is not True


def test_unused_columns_are_one_warning_per_source(tmp_path):
    sheets = {"A": [["ID", "Date", "Notes", "Entered by", "Extra"], ["P1", "2020-01-01", "x", "y", "z"]]}
    yaml = """sources: {a: {sheet: A, ignore_columns: [notes]}}
tables: {assessments: {from: a, constants: {specimen: marrow}, columns: {patient_id: ID, assessment_date: Date}}}
"""
    _, f = run(tmp_path, sheets, yaml)
    w = [x for x in f.warnings if x.rule == "mapping.column_unused"]
    assert len(w) == 1 and "'Entered by', 'Extra'" in w[0].message and "Notes" not in w[0].message


def test_latin1_csv_when_the_source_says_so(tmp_path):
    folder = tmp_path / "d"
    folder.mkdir()
    (folder / "e.csv").write_bytes("Patient;Datum;Anmerkung\nP1;2020-01-01;Kn\xf6chel\n".encode("latin-1"))
    m = tmp_path / "m.yaml"
    m.write_text("""mabseq_mapping: 1
sources: {e: {file: e.csv, encoding: latin-1, ignore_columns: [Anmerkung]}}
tables: {assessments: {from: e, constants: {specimen: marrow}, columns: {patient_id: Patient, assessment_date: Datum}}}
""")
    f = Findings()
    raws = read_mapped(folder, m, f, [])
    assert not f.errors and list(raws[0].frame["patient_id"]) == ["P1"]
    # without the encoding: UTF-8 is required, and the refusal names the file
    m.write_text(m.read_text().replace(", encoding: latin-1", ""))
    f = Findings()
    assert read_mapped(folder, m, f, []) == [] and f.errors[0].source == "e.csv"


def test_mapping_for_a_stored_cohort_is_refused(tmp_path):
    from mabseq.cohort import load_cohort
    db = tmp_path / "c.duckdb"
    db.write_bytes(b"")
    m = tmp_path / "m.yaml"
    m.write_text("mabseq_mapping: 1\n")
    cohort, f = load_cohort(db, mapping=m)
    assert cohort is None and f.errors and f.errors[0].rule in ("mapping.stored_form", "file.format")


def test_names_that_look_like_mabseqs_own_and_repeated_headers(tmp_path):
    # the joined source is called "flow" and the marrow sheet has a column "Flow"; a header "#t:x"; a header "_row"
    sheets = {"M": [["Patient", "Date", "Flow", "#t:x", "_row"], ["P1", "2020-01-01", "done", "1", "9"]],
              "F": [["Pt", "Date", "CD19 %"], ["P1", "2020-01-01", "98"]]}
    yaml = """sources: {m: {sheet: M, ignore_columns: [Flow, "#t:x", _row]}, flow: {sheet: F}}
tables:
  assessments:
    from: m
    join: [{source: flow, on: {Patient: Pt, Date: Date}}]
    constants: {specimen: marrow}
    columns: {patient_id: Patient, assessment_date: Date, cd19_pct_positive: {source: flow, column: "CD19 %"},
              bm_blast_pct: "#t:x", anc: _row}
"""
    raws, f = run(tmp_path, sheets, yaml)
    assert not f.errors, f.summary_text()
    a = raws[0]
    assert (a.frame["cd19_pct_positive"].tolist(), a.frame["bm_blast_pct"].tolist(), a.frame["anc"].tolist()) == (
        [98.0], [1.0], [9.0])
    # two columns headed "Date": naming it is ambiguous, the letter is not
    sheets = {"M": [["Patient", "Date", "Date"], ["P1", "2020-01-01", "2020-02-02"]]}
    yaml = """sources: {m: {sheet: M}}
tables: {assessments: {from: m, constants: {specimen: marrow}, columns: {patient_id: Patient, assessment_date: %s}}}
"""
    _, f = run(tmp_path, sheets, yaml % "Date")
    assert [(x.rule, x.row) for x in f.errors] == [("mapping.ambiguous_header", 3)] and "B, C" in f.errors[0].message
    raws, f = run(tmp_path, sheets, yaml % "C")
    assert not f.errors and raws[0].frame["assessment_date"].tolist() == ["2020-02-02"]


FUZZ_BASE = """mabseq_mapping: 1
ids: {remove: ["-"]}
dates: ["%d/%m/%Y"]
sources: {a: {sheet: A, header_row: 1}, b: {sheet: B}}
values: {yn: {"yes": "yes", "no": "no"}}
tables:
  assessments:
    from: a
    join: [{source: b, on: {ID: Pt, Date: When}}]
    where: [{column: Status, not_in: [x]}]
    constants: {specimen: marrow}
    columns:
      patient_id: ID
      assessment_date: Date
      bm_blast_pct: {column: Blasts, number: {below: limit, unit: percent}}
      pb_blasts: {column: PB, values: yn}
      cd19_pct_positive: {source: b, column: CD19}
"""


def test_mutated_mappings_never_raise(tmp_path):
    """Random edits of a valid mapping: each gives cohort rows or findings, never an exception (fixed budget)."""
    from hypothesis import HealthCheck, given, settings, strategies as st
    data = book(tmp_path / "b.xlsx", {
        "A": [["ID", "Date", "Blasts", "PB", "Status"], ["P-1", "01/02/2020", "<5", "yes", ""]],
        "B": [["Pt", "When", "CD19"], ["p1", "01/02/2020", "12"]]})
    m = tmp_path / "m.yaml"
    m.write_text(FUZZ_BASE, encoding="utf-8")
    f = Findings()
    raws = read_mapped(data, m, f, [])   # the unedited mapping is valid: "P-1" and "p1" are one patient
    assert not f.errors and raws[0].frame.to_dict("records") == [
        {"specimen": "marrow", "patient_id": "P1", "assessment_date": "2020-02-01", "bm_blast_pct": 5.0,
         "pb_blasts": "yes", "cd19_pct_positive": 12.0}]
    alphabet = "{}[]:,-'\" \n\t&*!#%|>?@`xyz0129"

    # derandomize: the same 200 edits in every run (CI must not pass or fail by chance); the examples it found are
    # kept as tests below, and a local run with derandomize=False looks for new ones
    @settings(max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
    @given(st.lists(st.tuples(st.integers(0, len(FUZZ_BASE)), st.integers(0, 3), st.text(alphabet, max_size=3)),
                    min_size=1, max_size=4))
    def check(edits):
        text = FUZZ_BASE
        for pos, cut, ins in edits:
            pos = min(pos, len(text))
            text = text[:pos] + ins + text[pos + cut:]
        m.write_text(text, encoding="utf-8")
        f = Findings()
        read_mapped(data, m, f, [])
        assert all(x.source for x in f.errors)
    check()


def test_a_complex_key_is_a_mapping_error(tmp_path):
    """Found by the fuzz test above (CI, edits=[(317, 0, '?')]): a '?' before a key makes YAML read a mapping as a
    key, which the YAML reader cannot hash (TypeError); it is a mapping error."""
    data = book(tmp_path / "b.xlsx", {
        "A": [["ID", "Date", "Blasts", "PB", "Status"], ["P-1", "01/02/2020", "<5", "yes", ""]],
        "B": [["Pt", "When", "CD19"], ["p1", "01/02/2020", "12"]]})
    m = tmp_path / "m.yaml"
    m.write_text(FUZZ_BASE[:317] + "?" + FUZZ_BASE[317:], encoding="utf-8")
    f = Findings()
    read_mapped(data, m, f, [])
    assert [x.rule for x in f.errors] == ["mapping.yaml"] and "complex key" in f.errors[0].message
    assert all(x.source for x in f.errors)


def test_a_blank_column_name_is_a_mapping_error(tmp_path):
    """Found by the fuzz test above: `where: [{column: , ...}]` (a YAML null where a header goes) raised
    AttributeError in the compiler; it is a mapping error naming the line."""
    data = book(tmp_path / "b.xlsx", {
        "A": [["ID", "Date", "Blasts", "PB", "Status"], ["P-1", "01/02/2020", "<5", "yes", ""]],
        "B": [["Pt", "When", "CD19"], ["p1", "01/02/2020", "12"]]})
    text = FUZZ_BASE
    for pos, cut in ((261, 3), (261, 3)):
        text = text[:pos] + text[pos + cut:]
    assert "{column: , not_in" in text
    m = tmp_path / "m.yaml"
    m.write_text(text, encoding="utf-8")
    f = Findings()
    read_mapped(data, m, f, [])
    assert "mapping.missing_header" in [x.rule for x in f.errors]
    assert all(x.source and x.row for x in f.errors if x.rule == "mapping.missing_header")


def test_a_join_on_an_empty_header_is_a_mapping_error(tmp_path):
    """Found by the fuzz test above: a join key `"": "When"` (or a header left empty) raised AttributeError in the
    compiler; it is a mapping error naming the line."""
    data = book(tmp_path / "b.xlsx", {
        "A": [["ID", "Date", "Blasts", "PB", "Status"], ["P-1", "01/02/2020", "<5", "yes", ""]],
        "B": [["Pt", "When", "CD19"], ["p1", "01/02/2020", "12"]]})
    text = FUZZ_BASE.replace("Date: When}", "Date: }")
    assert text != FUZZ_BASE
    m = tmp_path / "m.yaml"
    m.write_text(text, encoding="utf-8")
    f = Findings()
    assert read_mapped(data, m, f, []) == []
    assert any(x.rule == "mapping.structure" and "empty header" in x.message and x.row for x in f.errors)


def test_any_cell_text_gives_rows_or_findings(tmp_path):
    """Arbitrary cell text (control characters, quotes, unicode) in every mapped column: rows or findings, never an
    exception (fixed budget)."""
    from hypothesis import HealthCheck, given, settings, strategies as st
    m = tmp_path / "m.yaml"
    m.write_text(FUZZ_BASE, encoding="utf-8")
    cell = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=30)

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(st.tuples(cell, cell, cell, cell, cell), min_size=1, max_size=5), cell)
    def check(rows_a, cd19):
        data = tmp_path / "b.xlsx"
        import openpyxl.utils.exceptions as ox
        try:
            book(data, {"A": [["ID", "Date", "Blasts", "PB", "Status"]] + [list(r) for r in rows_a],
                        "B": [["Pt", "When", "CD19"], ["p1", "01/02/2020", cd19]]})
        except ox.IllegalCharacterError:
            return
        f = Findings()
        read_mapped(data, m, f, [])
    check()
