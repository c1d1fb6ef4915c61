"""Formula injection and control characters (issue 12): hand-written expectations."""
from __future__ import annotations

import pandas as pd

from mabseq.cohort.findings import Finding
from mabseq.safe_text import escape_control, frame_to_csv, neutralize_formula


def test_formula_cells_are_quoted_numbers_are_not():
    for cell in ("=HYPERLINK(\"http://x\",\"click\")", "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tx", "\rx"):
        assert neutralize_formula(cell) == "'" + cell
    for cell in ("P01", "a=b", "", " =x"):
        assert neutralize_formula(cell) == cell
    assert neutralize_formula(-0.5) == -0.5 and neutralize_formula(None) is None


def test_frame_to_csv_neutralizes_text_cells_and_headers():
    df = pd.DataFrame({"=id": ["=1+1", "P2"], "x": [-1.5, 2.0]})
    assert frame_to_csv(df) == "'=id,x\n'=1+1,-1.5\nP2,2.0\n"


def test_control_characters_escaped():
    assert escape_control("a\x1b[31mred\x07") == "a\\x1b[31mred\\x07"
    assert escape_control("line\u2028sep\x85") == "line\\u2028sep\\x85"
    assert escape_control("a\nb\tc") == "a\nb\tc"
    assert escape_control("a\nb", keep_newlines=False) == "a\\x0ab"


def test_finding_text_escapes_a_hostile_header():
    f = Finding("warning", "column.unknown", "column not in the schema", "x.csv", "patients", None,
                "\x1b]0;owned\x07name")
    assert "\x1b" not in str(f) and "\\x1b]0;owned\\x07name" in str(f)
