"""Loading a YAML mapping: every fault an ERROR naming the mapping file and the line (hand-counted below), the
mapping then not used at all; hostile files (aliases, tags, depth, size, encoding) refused."""
from __future__ import annotations

import pytest

from mabseq.cohort import limits
from mabseq.cohort.findings import Findings
from mabseq.mapping.load import load_mapping_yaml

GOOD = """mabseq_mapping: 1
sources:
  demo: {sheet: Demographics}
tables:
  patients:
    from: demo
    columns:
      patient_id: "Study no."
      sex: {column: Gender, values: {m: male, f: female}}
"""


def load(tmp_path, text, name="m.yaml"):
    p = tmp_path / name
    if isinstance(text, bytes):
        p.write_bytes(text)
    else:
        p.write_text(text, encoding="utf-8")
    f = Findings()
    spec = load_mapping_yaml(p, f)
    return spec, f


def only(f, rule):
    got = [x for x in f.errors if x.rule == rule]
    assert got, f.summary_text()
    assert all(x.source == "m.yaml" for x in f.errors)
    return got[0]


def test_good_mapping_loads(tmp_path):
    spec, f = load(tmp_path, GOOD)
    assert not f.errors and spec is not None
    b = spec.blocks[0]
    assert b.table == "patients" and b.from_ == "demo"
    assert b.columns["sex"].values.exact == {"m": "male", "f": "female"}
    assert b.columns["sex"].line == 9


# (text, rule, line, words in the message); lines counted by hand
CASES = {
    "unknown_top_key": (GOOD + "tabels: {}\n", "mapping.unknown_key", 10, "did you mean 'tables'?"),
    "unknown_table": (GOOD + "  patient: {from: demo}\n", "mapping.unknown_table", 10, "did you mean 'patients'?"),
    "unknown_column": (GOOD.replace("      sex:", "      sexx:"), "mapping.unknown_column", 9, "did you mean 'sex'?"),
    "unknown_code": (GOOD.replace("f: female", "f: femal"), "mapping.code", 9, "did you mean 'female'?"),
    "label_not_code": (GOOD.replace("m: male", "m: Male"), "mapping.code", 9, "write its code 'male'"),
    "unknown_source": (GOOD.replace("from: demo", "from: dem"), "mapping.unknown_source", 6, "did you mean 'demo'?"),
    "unknown_values": (GOOD.replace("{m: male, f: female}", "yes_no"), "mapping.unknown_values", 9, "yes_no"),
    "todo_value": (GOOD.replace("f: female", "f: TODO"), "mapping.todo", 9, "still open"),
    "todo_header": (GOOD.replace('"Study no."', "TODO (46 rows)"), "mapping.todo", 8, "TODO (46 rows)"),
    "version": (GOOD.replace("mabseq_mapping: 1", "mabseq_mapping: 2"), "mapping.version", 1, "format 1"),
    "no_version": (GOOD.replace("mabseq_mapping: 1\n", ""), "mapping.version", 1, "missing"),
    "duplicate_key": (GOOD.replace("      sex:", "      patient_id: x\n      sex:"), "mapping.duplicate_key", 9,
                      "given twice"),
    "both_sheet_and_file": (GOOD.replace("{sheet: Demographics}", "{sheet: D, file: d.csv}"), "mapping.structure", 3,
                            "exactly one of 'sheet' and 'file'"),
    "bad_regex": (GOOD.replace("f: female", "'re:([': female"), "mapping.regex", 9, "regular expression"),
    "bad_date_format": (GOOD + "dates: ['%d/%q/%Y']\n", "mapping.date_format", 10, "'%q' is not a known directive"),
    "number_on_text": (GOOD.replace("sex: {column: Gender, values: {m: male, f: female}}",
                                    "karyotype: {column: K, number: {}}"), "mapping.structure", 9, "not a number column"),
    "bad_rule": (GOOD.replace("sex: {column: Gender, values: {m: male, f: female}}",
                              "age_at_diagnosis: {column: Age, number: {below: halve}}"), "mapping.structure", 9,
                 "did you mean 'half'?"),
    "source_unused": (GOOD.replace("  demo: {sheet: Demographics}", "  demo: {sheet: Demographics}\n  x: {sheet: X}"),
                      "mapping.source_unused", 4, "no table uses"),
    "column_and_value": (GOOD.replace("{column: Gender, values: {m: male, f: female}}", "{column: G, value: male}"),
                         "mapping.conflict", 9, "exactly one of"),
    "yaml_syntax": (GOOD + "  bad: [\n", "mapping.yaml", 11, "not valid YAML"),
    "alias": (GOOD + "values:\n  a: &x {y: yes}\n  b: *x\n", "mapping.alias", 11, "anchors and aliases"),
    "python_tag": (GOOD + "gap_unit: !!python/object/apply:os.system ['echo hi']\n", "mapping.tag", 10,
                   "python/object"),
    "custom_tag": (GOOD.replace('"Study no."', '!env "Study no."'), "mapping.tag", 8, "'!env'"),
    "deep": ("mabseq_mapping: 1\nx: " + "[" * 40 + "]" * 40 + "\n", "mapping.depth", 2, "nested more than"),
    "not_utf8": (GOOD.replace("Gender", "Géneró").encode("latin-1"), "mapping.encoding", 9, "not UTF-8"),
    "utf16": (GOOD.encode("utf-16"), "mapping.encoding", None, "UTF-16"),
    "list_top": ("- 1\n", "mapping.structure", 1, "YAML mapping"),
    "empty": ("", "mapping.unreadable", None, "empty"),
    "generate_unknown": (GOOD.replace("tables:\n", "tables:\n  therapies:\n    from: demo\n    columns:\n"
                                      "      course_id: {generate: sequence, within: patient, order_by: start_date}\n"),
                         "mapping.unknown_column", 8, "not a column this block sets"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_each_fault_names_file_and_line(tmp_path, name):
    text, rule, line, words = CASES[name]
    spec, f = load(tmp_path, text)
    assert spec is None  # a mapping with any error is not used at all
    got = only(f, rule)
    assert got.row == line, (got.row, str(got))
    assert words in got.message, got.message


def test_billion_laughs_is_refused_before_expansion(tmp_path):
    lines = ["mabseq_mapping: 1", "a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    spec, f = load(tmp_path, "\n".join(lines) + "\n")
    assert spec is None and only(f, "mapping.alias").row == 2


def test_too_large(tmp_path):
    with limits.using(limits.Limits(max_mapping_bytes=100)):
        spec, f = load(tmp_path, GOOD)
    assert spec is None and "at most 100 bytes" in only(f, "mapping.too_large").message


def test_a_folder_and_a_missing_file(tmp_path):
    (tmp_path / "d.yaml").mkdir()
    f = Findings()
    assert load_mapping_yaml(tmp_path / "d.yaml", f) is None and f.errors[0].rule == "mapping.unreadable"
    f = Findings()
    assert load_mapping_yaml(tmp_path / "nope.yaml", f) is None and "not found" in f.errors[0].message


def test_every_todo_is_listed(tmp_path):
    text = GOOD.replace("f: female", "f: TODO").replace('"Study no."', "TODO")
    _, f = load(tmp_path, text)
    assert sorted(x.row for x in f.errors if x.rule == "mapping.todo") == [8, 9]


def test_the_example_of_docs_mapping_md_loads(tmp_path):
    """The reference's example (the contract other parts build on) is a valid mapping."""
    from pathlib import Path
    doc = (Path(__file__).parent.parent / "docs" / "MAPPING.md").read_text(encoding="utf-8")
    start = doc.index("```yaml\n") + len("```yaml\n")
    spec, f = load(tmp_path, doc[start:doc.index("```", start)])
    assert not f.errors, f.summary_text()
    assert [b.label for b in spec.blocks] == ["tables.study", "tables.patients", "tables.assessments",
                                              "tables.assessments[1]", "tables.disease_events", "tables.therapies"]
