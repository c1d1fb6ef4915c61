"""The mapping's top-level ``documentation:`` (docs/MAPPING.md, Sources): a code book shipped with an export is
documentation, not data: it is not read (its own encoding cannot fail the run) and not warned as unused; a name
that is both documentation and a source is refused."""
from __future__ import annotations

from mabseq.cohort.findings import Findings
from mabseq.mapping.execute import read_mapped

MAPPING = """mabseq_mapping: 1
{doc}
sources:
  pat: {{file: "pat.csv", delimiter: ";"}}
tables:
  study:
    columns: {{study_name: {{value: "x"}}, data_cutoff: {{value: "2020-06-30"}}}}
  patients:
    from: pat
    columns:
      patient_id: "nr"
      sex: {{column: "sex", values: {{"1": male, "2": female}}}}
      diagnosis: {{value: b_all}}
"""


def _folder(tmp_path):
    data = tmp_path / "export"
    data.mkdir()
    (data / "pat.csv").write_text("nr;sex\n1;1\n2;2\n", encoding="utf-8")
    (data / "codebook.csv").write_bytes("field;code;label\nsex;1;männlich\nsex;2;weiblich\n".encode("cp1252"))
    return data


def _validate(tmp_path, doc: str):
    m = tmp_path / "m.yaml"
    m.write_text(MAPPING.format(doc=doc), encoding="utf-8")
    f = Findings()
    tables = read_mapped(_folder(tmp_path), m, f)
    return tables, [f"{x.rule} {x}" for x in f.errors], [f"{x.rule} {x}" for x in f.warnings]


def test_without_documentation_the_code_book_is_read_as_data(tmp_path):
    _, errors, _ = _validate(tmp_path, "")
    assert any("codebook.csv" in e and "file.encoding" in e for e in errors), errors


def test_a_documented_code_book_is_neither_read_nor_warned(tmp_path):
    tables, errors, warnings = _validate(tmp_path, 'documentation: ["CodeBook.csv"]')  # case aside
    assert not errors and tables, errors
    assert not [w for w in warnings if "codebook" in w.casefold() or "sheet_unused" in w], warnings


def test_documentation_that_is_also_a_source_is_refused(tmp_path):
    _, errors, _ = _validate(tmp_path, 'documentation: ["pat.csv"]')
    assert any(e.startswith("mapping.conflict") and "m.yaml" in e for e in errors), errors


def test_documentation_must_be_a_list_of_names(tmp_path):
    _, errors, _ = _validate(tmp_path, "documentation: {a: 1}")
    assert any(e.startswith("mapping.structure") and "documentation" in e for e in errors), errors
