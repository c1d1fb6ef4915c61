"""Tables as real objects (issue 15): one CSV per table in the report folder, a DataFrame and a great_tables GT in a
notebook, from the results.json the report wrote. Oracles: the cohort's own adsl.csv counted by pandas (Table 1's
male sex), and the report's Word tables (another renderer of the same records)."""
from __future__ import annotations

import io

import pandas as pd
import pytest

from mabseq.render.table_export import table_frame, to_great_tables
from mabseq.results.load import load_results


@pytest.fixture(scope="module")
def report_dir(twin_report):
    return twin_report


def test_one_csv_per_table(report_dir):
    res = load_results(report_dir / "results.json")
    assert res.tables, "the paper preset has tables"
    for tid in res.tables:
        assert (report_dir / "tables" / f"{tid}.csv").is_file(), tid


def test_table1_male_sex_equals_a_count_of_adsl(report_dir):
    # the twin's Table 1, "Male sex", all patients: n (pct) counted from adsl.csv by pandas, half-up to 1 decimal
    adsl = pd.read_csv(report_dir / "adsl.csv")
    n, N = int((adsl["sex"] == "male").sum()), len(adsl)
    pct = f"{100 * n / N + 1e-9:.1f}"
    t1 = pd.read_csv(report_dir / "tables" / "table1.csv", dtype=str, keep_default_na=False)
    row = t1[t1.iloc[:, 0] == "Male sex"].iloc[0]
    assert row.iloc[1] == f"{n} ({pct})"


def test_csv_equals_the_word_tables(report_dir):
    from docx import Document
    doc = Document(str(report_dir / "tables.docx"))
    word = {tuple(c.text for c in t.rows[0].cells): [[c.text for c in r.cells] for r in t.rows[1:]]
            for t in doc.tables}
    res = load_results(report_dir / "results.json")
    compared = 0
    for tid in res.tables:
        df = pd.read_csv(report_dir / "tables" / f"{tid}.csv", dtype=str, keep_default_na=False)
        body = df.drop(columns=["indent", "row_kind"])
        key = tuple(body.columns)
        if key in word:
            assert body.values.tolist() == word[key], tid
            compared += 1
    assert compared >= 3  # Tables 1-3 at least


def test_the_loaded_results_give_the_same_table(report_dir):
    res = load_results(report_dir / "results.json")
    df = table_frame(res, "table1")
    csv = pd.read_csv(io.StringIO((report_dir / "tables" / "table1.csv").read_text()), dtype=str,
                      keep_default_na=False)
    assert df.drop(columns=["indent"]).astype(str).values.tolist() == \
        csv.drop(columns=["indent"]).values.tolist()


def test_great_tables_object(report_dir):
    pytest.importorskip("great_tables")
    res = load_results(report_dir / "results.json")
    gt = to_great_tables(res, "table1")
    html = gt.as_raw_html()
    spec = res.tables["table1"]
    assert spec.title.split()[0] in html
    df = table_frame(res, "table1")
    for cell in df[df["row_kind"] != "header"].iloc[:, 1]:
        if cell:
            assert cell.replace("<", "&lt;") in html
