"""Property-based fuzzing of every door, within a fixed budget (examples fixed, derandomized: the same inputs on
every run, CI-friendly: 40 workbooks, 40 CSV folders, 25 REDCap projects and 40 mapping files, about 20-45 s
in all on the 2-core machine).

For each importer (an xlsx workbook, a CSV folder, a REDCap export with its dictionary, the mapping file), built
from random or mutated valid inputs:

- ``mabseq validate`` (hence ``load_cohort``) never raises: exit 2 on invalid input, 0 on valid input, never 1,
  never a traceback;
- invalid input gives at least one error, every error names its source, and an error about a cell names its row
  and column; every message is plain text (no reprs, no raw control characters).
"""
from __future__ import annotations

import datetime as dt
import json
import tempfile
import zipfile
from pathlib import Path

import openpyxl
from hostile_support import TABLE_FILES, assert_plain, cli_validate, csv_text, valid_rows, workbook
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mabseq.cohort import load_cohort
from mabseq.cohort.findings import Finding, Findings
from mabseq.cohort.redcap import data_dictionary, export_records
from mabseq.cohort.templates import deterministic_xlsx_bytes

FUZZ = settings(max_examples=40, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
CELL_RULES = {"type.integer", "type.number", "date.format", "date.invalid", "date.excel_serial", "date.time_of_day",
              "category.unknown", "range", "required.missing", "cell.too_long", "cell.formula_no_value",
              "cell.formula_error", "cell.merged", "redcap.checkbox"}


def check(path: Path, **kw) -> None:
    """The property every door must have (see the module docstring). One run of ``mabseq validate --json``: the
    command calls ``load_cohort`` (an exception would surface as exit 1 with the exception kept), and its JSON
    holds every finding."""
    args = []
    if kw.get("mapping"):
        args += ["--mapping", kw["mapping"]]
    if kw.get("redcap_dictionary"):
        args += ["--redcap-dictionary", kw["redcap_dictionary"]]
    out = path.parent / "findings.json"
    r = cli_validate(path, *args, "--json", out)
    assert r.exit_code in (0, 2), r.output
    body = json.loads(out.read_text())
    findings = Findings([Finding(**f) for f in body["findings"]])
    assert (r.exit_code == 2) == bool(findings.errors), r.output
    assert_plain(findings)
    for f in findings.errors:
        assert f.source, str(f)
        if f.rule in CELL_RULES:
            assert f.row is not None and f.column, str(f)


# ------------------------------------------------------------------------------------------------ strategies

NAMES = st.sampled_from(TABLE_FILES + ["Patients", "patients ", "PATIENTS", "notes", "readme", "Sheet1",
                                       "therapies\u202e", "doses (2)"])
CELL = st.one_of(
    st.none(),
    st.integers(-10**6, 10**9),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
    st.sampled_from(["P01", "P02", "male", "b_all", "2016-03-01", "03/04/2020", "=1+1", "=A1", "#N/A", " ",
                     "45,2", "yes", "unknown", "NA", "-5"]),
    st.dates(dt.date(1500, 1, 1), dt.date(2200, 1, 1)),
    st.booleans(),
)


def _valid_sheet_rows(table: str) -> list[list]:
    return [[v if v != "" else None for v in r] for r in valid_rows(table)]


@st.composite
def workbooks(draw):
    """A workbook: the valid one with random cells changed, sheets added, hidden or renamed; or random sheets."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    if draw(st.booleans()):
        for t in TABLE_FILES:
            if draw(st.integers(0, 9)) == 0:
                continue  # a table left out
            ws = wb.create_sheet(t)
            rows = _valid_sheet_rows(t)
            for _ in range(draw(st.integers(0, 3))):
                i, j = draw(st.integers(0, len(rows) - 1)), draw(st.integers(0, len(rows[0]) - 1))
                rows[i][j] = draw(CELL)
            for r in rows:
                ws.append(r)
            if draw(st.integers(0, 12)) == 0:
                ws.sheet_state = "hidden"
    for _ in range(draw(st.integers(0 if wb.sheetnames else 1, 3))):
        name = draw(NAMES)
        if name.strip().lower() in {n.strip().lower() for n in wb.sheetnames}:
            continue
        ws = wb.create_sheet(name)
        for r in draw(st.lists(st.lists(CELL, max_size=8), max_size=6)):
            ws.append(r)
        if draw(st.booleans()):
            ws.merge_cells("A2:B3")
    if all(ws.sheet_state != "visible" for ws in wb.worksheets):
        wb.worksheets[0].sheet_state = "visible"  # openpyxl will not save a workbook with no visible sheet
    data = deterministic_xlsx_bytes(wb)  # the same bytes on every run: the damage below replays exactly
    damage = draw(st.integers(0, 5))
    if damage == 0:  # flip bytes anywhere in the zip
        data = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        data = bytes(data)
    elif damage == 1:
        data = data[: draw(st.integers(0, len(data)))]
    return data


@given(workbooks())
@FUZZ
def test_fuzz_xlsx(data):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "cohort.xlsx"
        p.write_bytes(data)
        check(p)


SEPARATORS = st.sampled_from(list(',;"\n\r\t \x00\x0c\u2028\ufeffab01P.-é') + ["P01", "2016-03-01", "male", ",,"])


@st.composite
def csv_bodies(draw):
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return draw(st.binary(max_size=300))
    if kind == 1:
        return "".join(draw(st.lists(SEPARATORS, max_size=80)))
    table = draw(st.sampled_from(TABLE_FILES))
    text = csv_text(valid_rows(table))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(SEPARATORS) + text[at + draw(st.integers(0, 3)):]
    return text.encode(draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252"])), errors="replace")


@given(st.dictionaries(st.sampled_from(TABLE_FILES + ["notes", "Patients"]), csv_bodies(), max_size=3),
       st.booleans())
@FUZZ
def test_fuzz_csv_folder(files, start_valid):
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d) / "data"
        folder.mkdir()
        if start_valid:
            for t in TABLE_FILES:
                (folder / f"{t}.csv").write_text(csv_text(valid_rows(t)))
        for name, body in files.items():
            (folder / f"{name}.csv").write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
        check(folder)


_COHORT = None


def _valid_export() -> tuple[str, str, dict]:
    global _COHORT
    if _COHORT is None:
        _COHORT = load_cohort(Path(__file__).parent / "cohort_corpus" / "valid")[0]
    study = dict(zip(*valid_rows("study")))
    return export_records(_COHORT), data_dictionary(), study


def _mutate_csv(draw, text: str) -> str:
    rows = [r.split(",") for r in text.splitlines()]  # crude on purpose: quoted commas get broken too
    for _ in range(draw(st.integers(0, 4))):
        op = draw(st.integers(0, 3))
        i = draw(st.integers(0, len(rows) - 1))
        if op == 0 and rows[i]:
            rows[i][draw(st.integers(0, len(rows[i]) - 1))] = draw(st.one_of(
                st.sampled_from(["", "x", "labs", "2", "Checked", "2016-13-01", "P99", "therapies", "\u2028",
                                 '"', "a;b", "-1"]), st.text(max_size=6)))
        elif op == 1:
            rows.insert(i, list(rows[i]))
        elif op == 2 and len(rows) > 1:
            del rows[i]
        elif rows[i]:
            rows[i] = rows[i][: draw(st.integers(0, len(rows[i])))]
    return "\n".join(",".join(r) for r in rows) + "\n"


@st.composite
def redcap_exports(draw):
    records, dictionary, _ = _valid_export()
    if draw(st.booleans()):
        records = _mutate_csv(draw, records)
    if draw(st.integers(0, 2)) == 0:
        dictionary = _mutate_csv(draw, dictionary)
    return records, dictionary


@given(redcap_exports())
@settings(FUZZ, max_examples=25)  # each example validates a whole project: fewer, for the budget
def test_fuzz_redcap(export):
    records, dictionary = export
    _, _, study = _valid_export()
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        (d / "records.csv").write_text(records, encoding="utf-8")
        (d / "dictionary.csv").write_text(dictionary, encoding="utf-8")
        (d / "mapping.json").write_text(json.dumps({"study": study}))
        check(d / "records.csv", redcap_dictionary=d / "dictionary.csv", mapping=d / "mapping.json")


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=8), c, max_size=3),
                    max_leaves=12)
KEYS = st.sampled_from(["tables", "columns", "study", "Tables", "tabels"])
NAMED = st.sampled_from(TABLE_FILES + ["patient", "Demographics", "Sheet1", "study_name", "data_cutoff",
                                       "patient_id", "sex"])


@st.composite
def mapping_bodies(draw):
    kind = draw(st.integers(0, 3))
    if kind == 0:
        return json.dumps(draw(JSON))
    if kind == 1:
        return draw(st.text(max_size=60))
    body = {}
    for key in draw(st.lists(KEYS, max_size=3, unique=True)):
        body[key] = draw(st.dictionaries(NAMED, st.one_of(NAMED, JSON, st.dictionaries(NAMED, NAMED, max_size=2)),
                                         max_size=3))
    return json.dumps(body)


@given(mapping_bodies())
@FUZZ
def test_fuzz_mapping(body):
    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        xlsx = workbook(d / "cohort.xlsx")
        (d / "m.json").write_text(body, encoding="utf-8")
        check(xlsx, mapping=d / "m.json")


def test_fuzz_inputs_are_what_they_claim():
    """The fixtures the properties start from are valid, so that the properties test the doors, not the data."""
    with tempfile.TemporaryDirectory() as d:
        p = workbook(Path(d) / "c.xlsx")
        _, findings = load_cohort(p)
        assert not findings.errors
        assert zipfile.is_zipfile(p)
