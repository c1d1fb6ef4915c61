"""Silent acceptance in validation, and the vectorized coercion and checks.

Each hostile case is the valid example CSV folder with one thing changed by hand; the expected finding (rule,
severity, file, line, column) is worked out from that change: a data row's line is its index + 2. The coercion is
also checked against the per-cell parser (a separate, scalar implementation of the same rules), and its cost is
checked by counting calls, not by timing.
"""
from __future__ import annotations

import csv
import io
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from rich.console import Console
from typer.testing import CliRunner

from mabseq.cli import app
from mabseq.cohort import load_cohort
from mabseq.cohort.schema import BY_NAME

CORPUS = Path(__file__).parent / "cohort_corpus"
VALID = CORPUS / "valid"
runner = CliRunner()


def folder(tmp_path: Path) -> Path:
    out = tmp_path / "cohort"
    shutil.copytree(VALID, out)
    return out


def _rows(path: Path):
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _write(path: Path, header, rows):
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header] + rows)
    path.write_text(buf.getvalue(), encoding="utf-8")


def set_cell(d: Path, table: str, index: int, column: str, value: str) -> None:
    """Data row ``index`` (from 0; the file line is index + 2)."""
    header, rows = _rows(d / f"{table}.csv")
    rows[index][header.index(column)] = value
    _write(d / f"{table}.csv", header, rows)


def add_row(d: Path, table: str, copy_of: int, **changes) -> None:
    header, rows = _rows(d / f"{table}.csv")
    row = list(rows[copy_of])
    for k, v in changes.items():
        row[header.index(k)] = v
    _write(d / f"{table}.csv", header, rows + [row])


def keys(findings):
    return {(f.rule, f.severity, f.source, f.row, f.column) for f in findings}


def only(findings, level="error"):
    return {k for k in keys(findings) if k[1] == level}


# ---- patient ids ------------------------------------------------------------------------------------------------
def test_patient_ids_that_differ_only_in_case(tmp_path):
    d = folder(tmp_path)
    add_row(d, "patients", 0, patient_id="p01")  # line 5
    add_row(d, "follow_up", 0, patient_id="p01")
    _, findings = load_cohort(d)
    assert only(findings) == {("patient.id_case", "error", "patients.csv", 5, "patient_id")}
    msg = findings.errors[0].message
    assert "'p01'" in msg and "'P01'" in msg and "row 2" in msg  # both rows named


def test_reference_in_another_letter_case_gets_a_hint(tmp_path):
    d = folder(tmp_path)
    set_cell(d, "therapies", 0, "patient_id", "p01")
    _, findings = load_cohort(d)
    assert ("ref.unknown_patient", "error", "therapies.csv", 2, "patient_id") in keys(findings)
    f = next(f for f in findings if f.rule == "ref.unknown_patient")
    assert "did you mean 'P01'" in f.message


def test_follow_up_row_in_another_letter_case(tmp_path):
    d = folder(tmp_path)
    set_cell(d, "follow_up", 2, "patient_id", "p03")
    _, findings = load_cohort(d)
    assert only(findings) == {("ref.unknown_patient", "error", "follow_up.csv", 4, "patient_id"),
                              ("patient.no_follow_up", "error", "patients.csv", 4, "patient_id")}
    by_rule = {f.rule: f.message for f in findings}
    assert "did you mean 'P03'" in by_rule["ref.unknown_patient"]
    assert "'p03'" in by_rule["patient.no_follow_up"]


def test_course_id_in_another_letter_case_gets_a_hint(tmp_path):
    d = folder(tmp_path)
    set_cell(d, "doses", 0, "course_id", "c3")
    _, findings = load_cohort(d)
    assert ("ref.unknown_course", "error", "doses.csv", 2, "course_id") in keys(findings)
    assert "did you mean 'C3'" in next(f.message for f in findings if f.rule == "ref.unknown_course")


def test_key_duplicated_after_trimming_names_both_rows(tmp_path):
    d = folder(tmp_path)
    add_row(d, "patients", 1, patient_id=" P02 ", sex="male")  # line 5, same patient as line 3 once trimmed
    _, findings = load_cohort(d)
    assert ("key.duplicate", "error", "patients.csv", 5, "patient_id") in keys(findings)
    assert "row 3" in next(f.message for f in findings if f.rule == "key.duplicate")


def test_exact_duplicate_row_names_the_first(tmp_path):
    d = folder(tmp_path)
    add_row(d, "therapies", 3)  # line 8 repeats line 5
    _, findings = load_cohort(d)
    assert only(findings) == {("row.duplicate", "error", "therapies.csv", 8, "")}
    assert "row 5" in findings.errors[0].message


def test_duplicate_rows_across_two_files_name_the_other_file(tmp_path):
    d = tmp_path / "split"
    shutil.copytree(VALID, d)
    # a mapping sends a second file to the therapies table: the duplicate's twin is in the other file
    header, rows = _rows(d / "therapies.csv")
    _write(d / "more_therapies.csv", header, [rows[0]])
    mapping = tmp_path / "m.json"
    # (the mapping names both files: two files landing on one table by name alone is an error of its own)
    mapping.write_text('{"tables": {"more_therapies": "therapies", "therapies": "therapies"}}')
    _, findings = load_cohort(d, mapping=mapping)
    f = next(f for f in findings if f.rule == "row.duplicate")
    assert {f.source, f.message.split("(")[-1]} in ({"therapies.csv", "more_therapies.csv row 2)"},
                                                      {"more_therapies.csv", "therapies.csv row 2)"})


# ---- implausible dates and ages ---------------------------------------------------------------------------------
def test_birth_in_1500(tmp_path):
    d = folder(tmp_path)
    set_cell(d, "patients", 0, "birth_date", "1500-03-01")
    _, findings = load_cohort(d)
    assert only(findings) == {("date.implausible", "error", "patients.csv", 2, "birth_date"),
                              ("patient.age_range", "error", "patients.csv", 2, "birth_date")}
    assert "516 years" in next(f.message for f in findings if f.rule == "patient.age_range")


def test_last_contact_in_2150(tmp_path):
    d = folder(tmp_path)
    set_cell(d, "follow_up", 2, "last_contact_date", "2150-06-01")
    _, findings = load_cohort(d)
    assert only(findings) == {("date.implausible", "error", "follow_up.csv", 4, "last_contact_date")}


def test_far_future_cutoff_is_refused_by_validate_and_run(tmp_path):
    d = folder(tmp_path)
    set_cell(d, "study", 0, "data_cutoff", "9999-12-31")
    _, findings = load_cohort(d)
    assert only(findings) == {("date.implausible", "error", "study.csv", 2, "data_cutoff")}
    assert "cut-off" in findings.errors[0].message
    res = runner.invoke(app, ["validate", str(d)])
    assert res.exit_code == 2 and "data_cutoff" in res.output and "Traceback" not in res.output
    res = runner.invoke(app, ["run", str(d), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit)
    assert not (tmp_path / "out").exists()


def test_cutoff_before_1900(tmp_path):
    d = folder(tmp_path)
    set_cell(d, "study", 0, "data_cutoff", "1850-06-30")
    _, findings = load_cohort(d)
    assert ("date.implausible", "error", "study.csv", 2, "data_cutoff") in keys(findings)


def test_date_window_bounds(tmp_path):
    d = folder(tmp_path)
    set_cell(d, "patients", 0, "birth_date", "1900-01-01")  # the first plausible day: age 116 at 2016
    set_cell(d, "patients", 2, "birth_date", "1899-12-31")  # one day before
    set_cell(d, "patients", 2, "diagnosis_date", "1905-01-10")
    _, findings = load_cohort(d)
    implausible = {k for k in keys(findings) if k[0] == "date.implausible"}
    assert implausible == {("date.implausible", "error", "patients.csv", 4, "birth_date")}
    assert ("patient.age_range", "error", "patients.csv", 2, "birth_date") in keys(findings)


def test_age_from_birth_date_beyond_the_schema_range(tmp_path):
    d = folder(tmp_path)
    set_cell(d, "patients", 1, "birth_date", "1904-07-14")  # 111.0 years at 2015-07-15
    set_cell(d, "patients", 0, "birth_date", "1906-03-02")  # 109.99 years at 2016-03-01: allowed
    _, findings = load_cohort(d)
    assert only(findings) == {("patient.age_range", "error", "patients.csv", 3, "birth_date")}
    assert "111 years" in findings.errors[0].message


def test_no_rule_reads_the_clock():
    """Findings must be the same whatever day they are made: no module of validation looks at today's date."""
    import mabseq.cohort.coerce as co
    import mabseq.cohort.storage as sto
    import mabseq.cohort.validate as va
    for mod in (co, va, sto):
        text = Path(mod.__file__).read_text()
        assert "today(" not in text and "now(" not in text and "time.time" not in text, mod.__name__


# ---- number and date syntax -------------------------------------------------------------------------------------
@pytest.mark.parametrize("table,index,column,value,rule", [
    ("assessments", 0, "bm_blast_pct", "\u0663\u0665", "type.number"),   # Arabic-Indic digits: float() reads 35
    ("assessments", 0, "platelets", "1_000", "type.number"),             # float() reads 1000
    ("patients", 0, "diagnosis_date", "\uff12\uff10\uff11\uff16-\uff10\uff13-\uff10\uff11", "date.format"),
    ("therapies", 0, "cycles", "\u0668", "type.integer"),
])
def test_non_ascii_digits_and_separators_are_refused(tmp_path, table, index, column, value, rule):
    d = folder(tmp_path)
    set_cell(d, table, index, column, value)
    _, findings = load_cohort(d)
    assert only(findings) == {(rule, "error", f"{table}.csv", index + 2, column)}
    assert findings.errors[0].value == value


# ---- the vectorized coercion equals the per-cell rules ----------------------------------------------------------
TEXT = st.one_of(
    st.sampled_from(["", " ", "NA", "n/a", ".", "null", "nan", "male", " Female ", "MALE", "b_all", "B-ALL",
                     "2020-02-29", "2019-02-29", "2020-1-5", "2020-01-05 00:00:00", "2020-01-05T00:00",
                     "2020-01-05 10:00", "43110", "43110.0", "03/04/2020", "12", "12.5", "-3", "+4", ".5", "5.",
                     "1e3", "1e999", "inf", "50%", "\u22122", "1,5", "0x10", "46", "0", "100", "101", "-0.0"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12))
COLUMNS = [BY_NAME["patients"]["sex"], BY_NAME["patients"]["diagnosis"], BY_NAME["patients"]["diagnosis_date"],
           BY_NAME["patients"]["age_at_diagnosis"], BY_NAME["patients"]["modal_number"],
           BY_NAME["patients"]["karyotype"], BY_NAME["toxicity_observations"]["weight_gain_pct"]]


@settings(max_examples=150, deadline=None)
@given(values=st.lists(TEXT, min_size=1, max_size=8), k=st.integers(0, len(COLUMNS) - 1))
def test_vectorized_text_coercion_equals_the_per_cell_parser(values, k):
    import datetime as dt

    from mabseq.cohort import coerce as co
    col = COLUMNS[k]
    res = co.coerce_column(pd.Series(values, dtype=object), col)
    got = res.series().tolist()
    for i, v in enumerate(values):
        if co.is_missing(v):
            assert res.missing[i] and pd.isna(got[i]), (v, col.name)
            continue
        try:
            want = co.parse_value(v, col)
        except co._Bad as bad:
            rule, _ = co._problem(int(res.codes[i]), i, col, res, v) if res.codes[i] else ("", "")
            assert rule == bad.rule, (v, col.name, rule, bad.rule)
            assert pd.isna(got[i])
            continue
        assert res.codes[i] == 0, (v, col.name, res.codes[i])
        if isinstance(want, dt.date):
            want = pd.Timestamp(want)
        assert got[i] == want, (v, col.name, got[i], want)


def test_spreadsheet_cells_of_mixed_types(tmp_path):
    """Cells a workbook hands over (numbers, booleans, date-times, times) go by type; odd ones cell by cell."""
    import datetime as dt

    from mabseq.cohort import coerce as co
    from mabseq.cohort.findings import Findings
    from mabseq.cohort.model import RawTable
    frame = pd.DataFrame({
        "patient_id": pd.Series([1001.0, "P2", 1003, "P4"], dtype=object),
        "observation_date": pd.Series([dt.datetime(2020, 1, 1), dt.datetime(2020, 1, 2, 8, 30), dt.date(2020, 1, 3),
                                       dt.time(8, 0)], dtype=object),
        "alt": pd.Series([12, True, "13", 14.5], dtype=object)})
    f = Findings()
    out = co.coerce_table(RawTable("toxicity_observations", frame, "w.xlsx [sheet x]", [2, 3, 4, 5]), f)
    assert out["patient_id"].tolist() == ["1001", "P2", "1003", "P4"]
    assert out["alt"].tolist()[0] == 12 and out["alt"].tolist()[2] == 13 and out["alt"].tolist()[3] == 14.5
    assert keys(f) == {("date.time_of_day", "error", "w.xlsx [sheet x]", 3, "observation_date"),
                       ("date.format", "error", "w.xlsx [sheet x]", 5, "observation_date"),
                       ("type.number", "error", "w.xlsx [sheet x]", 3, "alt")}


# ---- progress and cost ------------------------------------------------------------------------------------------
def test_progress_callback_reports_each_stage():
    seen = []
    cohort, findings = load_cohort(VALID, progress=lambda stage, done, total: seen.append((stage, done, total)))
    assert not findings.items
    stages = [s for s, _, _ in seen]
    assert stages[0] == "reading valid" and stages[-1] == "checked"
    assert "reading values of patients" in stages and "checking references" in stages
    assert all(total is None or 0 <= done <= total for _, done, total in seen)


def test_cli_shows_progress_on_a_terminal(tmp_path, monkeypatch):
    import mabseq.cli.cohort_cmds as cmds
    buf = io.StringIO()
    monkeypatch.setattr(cmds, "err", Console(file=buf, force_terminal=True, width=100))
    res = runner.invoke(app, ["import", str(VALID), "--db", str(tmp_path / "c.duckdb")])
    assert res.exit_code == 0, res.output
    text = buf.getvalue()
    assert "checking" in text and "writing" in text
    buf.truncate(0)
    res = runner.invoke(app, ["validate", str(VALID), "--quiet"])
    assert res.exit_code == 0 and "checking" not in buf.getvalue()


def _big_folder(tmp_path: Path, n: int) -> Path:
    """The valid example replicated to ``n`` patients with new ids (vectorized, as benchmarks/bench_io.py)."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "benchmarks"))
    try:
        from bench_io import build_csv_cohort
    finally:
        sys.path.pop(0)
    return build_csv_cohort(VALID, tmp_path / f"c{n}", n)


def _calls_from(modules: tuple[str, ...], fn) -> int:
    """Calls (Python and C) made from code in ``modules`` while ``fn`` runs: a per-row loop there shows up as
    calls proportional to the rows."""
    count = [0]

    def prof(frame, event, arg):
        if event in ("call", "c_call"):
            caller = frame.f_back if event == "call" else frame
            if caller is not None and caller.f_code.co_filename.endswith(modules):
                count[0] += 1
    sys.setprofile(prof)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return count[0]


MINE = tuple(f"/mabseq/cohort/{m}.py" for m in ("coerce", "validate", "storage", "model", "load"))


def test_validation_cost_does_not_grow_per_row(tmp_path):
    """The complexity test: four times the patients must not mean more calls from coercion, checks and storage
    (a per-cell or per-row Python loop would), and the per-cell parser is never called on plain text cells."""
    from mabseq.cohort import coerce as co
    from mabseq.cohort.storage import write_duckdb_into
    small, big = _big_folder(tmp_path, 150), _big_folder(tmp_path, 600)
    got = {}
    for name, path in (("small", small), ("big", big)):
        co.PARSE_CALLS[0] = 0
        holder = {}
        got[name] = _calls_from(MINE, lambda: holder.update(r=load_cohort(path)))
        cohort, findings = holder["r"]
        assert not findings.errors and co.PARSE_CALLS[0] == 0
        db = tmp_path / f"{name}.duckdb"
        got[name + "_write"] = _calls_from(MINE, lambda: write_duckdb_into(cohort, db))
        got[name + "_read"] = _calls_from(MINE, lambda: holder.update(r=load_cohort(db)))
        assert len(holder["r"][0]["patients"]) == (150 if name == "small" else 600)
    for stage in ("", "_write", "_read"):  # 450 more patients, 4,350 more rows: one call per row would show
        assert got["big" + stage] - got["small" + stage] <= 100, got
