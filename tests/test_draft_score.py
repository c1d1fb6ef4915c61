"""draft_score: the share of a draft's assignments a person kept, and the lines they edited (hand-counted cases)."""
from __future__ import annotations

from mabseq.mapping.draft_score import assignments, line_diff, score, strip_comment
from ruamel.yaml import YAML

DRAFT = """\
mabseq_mapping: 1
sources:
  demo:        # 4 rows
    sheet: "Demographics"
    header_row: 1
tables:
  patients:
    from: demo
    constants:
      diagnosis: TODO  # TODO: no diagnosis column
    columns:
      patient_id: "Study no."
      sex:
        column: "Gender"
        values:
          "m": "male"      # 2 cells
          "f": "female"    # 1 cell
          "x": TODO        # 1 cell
      diagnosis_date: {column: "Dx date", date: "%d/%m/%Y"}
"""

# the person: renamed the source, decided diagnosis and 'x', corrected the date format
FINAL = """\
mabseq_mapping: 1
sources:
  d:
    sheet: "Demographics"
    header_row: 1
tables:
  patients:
    from: d
    constants:
      diagnosis: b_all
    columns:
      patient_id: "Study no."
      sex:
        column: "Gender"
        values:
          "M": "male"
          "f": "female"
          "x": "unknown"
      diagnosis_date: {column: "Dx date", date: "%m/%d/%Y"}
"""


def test_assignments_ignore_the_short_source_names():
    a = assignments(YAML(typ="safe").load(DRAFT))
    b = assignments(YAML(typ="safe").load(FINAL))
    assert set(a) == set(b)
    assert a[("table", "patients", "sheet:Demographics")] == ((), None)
    assert a[("value", "patients", "sheet:Demographics", "sex", "m")] == "male"


def test_score_by_hand():
    s = score(DRAFT, FINAL)
    # hand count over the finished mapping: source 1 (right); table 1 (right); columns patient_id, sex,
    # diagnosis_date right, diagnosis wrong (TODO) -> 3/4; values m (key 'M' matches 'm'), f right, x wrong -> 2/3;
    # parser date wrong -> 0/1
    assert s.total == {"source": 1, "table": 1, "column": 4, "value": 3, "parser": 1}
    assert s.right == {"source": 1, "table": 1, "column": 3, "value": 2}
    assert abs(s.share() - 7 / 10) < 1e-12
    # lines: "demo:" -> "d:", "from: demo" -> "from: d", diagnosis, "m" -> "M", "x", the date: 6 changed lines
    assert (s.lines_edited, s.lines_added, s.lines_removed) == (6, 0, 0)
    assert "7/10" in s.summary()


def test_a_todo_is_never_right_even_if_the_final_keeps_it():
    s = score(DRAFT, DRAFT)
    assert s.share() < 1 and s.lines_edited == 0
    assert ("column", "patients", "sheet:Demographics", "diagnosis") in s.wrong


def test_line_diff_counts_added_and_removed_lines():
    assert line_diff("a: 1\nb: 2\n", "a: 1\nb: 2\nc: 3\n") == (1, 1, 0)
    assert line_diff("a: 1\nb: 2\nc: 3\n", "a: 1\n") == (2, 0, 2)
    assert line_diff("a: 1  # note\n\n# only a comment\n", "a: 1\n") == (0, 0, 0)


def test_strip_comment_keeps_hashes_in_quotes():
    assert strip_comment('cycles: "# cycles"  # a comment') == 'cycles: "# cycles"'
    assert strip_comment("format: 'C#{n}'") == "format: 'C#{n}'"
    assert strip_comment("a: b#c") == "a: b#c"


def test_command_line(tmp_path, capsys):
    from mabseq.mapping.draft_score import main
    (tmp_path / "d.yaml").write_text(DRAFT, encoding="utf-8")
    (tmp_path / "f.yaml").write_text(FINAL, encoding="utf-8")
    assert main([str(tmp_path / "d.yaml"), str(tmp_path / "f.yaml")]) == 0
    out = capsys.readouterr().out
    assert "7/10" in out and "missed: parser / patients" in out
    (tmp_path / "bad.yaml").write_text("a: [1, 2\n", encoding="utf-8")
    assert main([str(tmp_path / "d.yaml"), str(tmp_path / "bad.yaml")]) == 2
    assert main([]) == 2


def test_named_maps_count_as_their_entries_and_spellings_not_in_the_data_are_not_counted():
    final = FINAL.replace('''        values:
          "M": "male"
          "f": "female"
          "x": "unknown"''', '''        values: sex''') + '''values:
  sex: {"m": "male", "f": "female", "x": "unknown", "Man": "male"}
'''
    s = score(DRAFT, final)
    # 'Man' is not a value the draft lists for this column: not a decision about the data
    assert s.total["value"] == 3 and s.right["value"] == 2


def test_source_defaults_are_not_differences():
    a = "sources:\n  x: {sheet: S, header_row: 1, decimal: '.', encoding: utf-8, skip_rows: []}\n"
    b = "sources:\n  y: {sheet: S}\n"
    assert score(a, b).right == {"source": 1}
    assert score("sources:\n  x: {sheet: S, header_row: 2}\n", b).right == {}
