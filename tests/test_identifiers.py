"""The identifier scan every import runs (mabseq.cohort.identifiers): each case names the finding it must produce
(rule, severity, table, column, row) and checks that the identifying value appears nowhere in the findings."""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import pytest

from mabseq.cohort import Findings, load_cohort
from mabseq.cohort.identifiers import (GIVEN_NAMES, MAX_LISTED, detect, header_kind, scan_identifiers)

CORPUS = Path(__file__).parent / "cohort_corpus"
VALID = CORPUS / "valid"
IDENT_RULES = ("identifier.", "patient.id_identifier")


# ---- helpers ---------------------------------------------------------------------------------------------------
def _read(folder: Path, table: str):
    with open(folder / f"{table}.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def _write(folder: Path, table: str, header, rows) -> None:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows([header] + rows)
    (folder / f"{table}.csv").write_text(buf.getvalue(), encoding="utf-8")


def cohort_copy(tmp_path: Path) -> Path:
    d = tmp_path / "cohort"
    shutil.copytree(VALID, d)
    return d


def set_cell(folder: Path, table: str, row: int, column: str, value: str) -> None:
    """row: data row index from 0 (file line row + 2)."""
    header, rows = _read(folder, table)
    rows[row][header.index(column)] = value
    _write(folder, table, header, rows)


def rename_patient(folder: Path, old: str, new: str) -> None:
    for f in folder.glob("*.csv"):
        header, rows = _read(folder, f.stem)
        if "patient_id" in header:
            j = header.index("patient_id")
            for r in rows:
                if r[j] == old:
                    r[j] = new
            _write(folder, f.stem, header, rows)


def add_column(folder: Path, table: str, header_name: str, values: list[str]) -> None:
    header, rows = _read(folder, table)
    header.append(header_name)
    for r, v in zip(rows, values):
        r.append(v)
    _write(folder, table, header, rows)


def ident(findings: Findings):
    return [f for f in findings if f.rule.startswith(IDENT_RULES)]


def the_finding(findings, rule, severity, table, column, row=None):
    hits = [f for f in findings if f.rule == rule and f.severity == severity and f.table == table
            and f.column == column and (row is None or f.row == row)]
    assert hits, f"expected {rule} {severity} {table}.{column} row {row}; got:\n{findings.summary_text()}"
    return hits[0]


def assert_not_echoed(findings: Findings, *secrets: str) -> None:
    """No finding, in any field, in its text or in the JSON, holds the identifying value."""
    text = findings.to_json() + "\n" + findings.summary_text() + "\n" + "\n".join(str(f) for f in findings)
    for s in secrets:
        assert s not in text, f"{s!r} echoed in the findings"
        for f in findings:
            assert s not in (f.value, f.patient_id) and s not in f.message


# ---- patient ids -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("pid, severity, word", [
    ("123-45-6789", "error", "social security"),
    ("jane.doe@example.org", "error", "e-mail"),
    ("MRN 0012345", "error", "medical record"),
    ("JS-1956-03-02", "error", "date"),
    ("JS 3/2/56", "warning", "two-digit year"),
    ("John Smith", "error", "name"),
    ("(212) 555-0199", "error", "phone"),
    ("10234567", "warning", "7 or more digits"),
])
def test_patient_id_that_is_an_identifier(tmp_path, pid, severity, word):
    d = cohort_copy(tmp_path)
    rename_patient(d, "P02", pid)
    _, findings = load_cohort(d)
    f = the_finding(findings, "patient.id_identifier", severity, "patients", "patient_id", row=3)
    assert word in f.message and f.value == ""
    assert_not_echoed(findings, pid)
    # the validator's unmasked check of the same name is replaced, not doubled
    assert sum(1 for x in findings if x.rule == "patient.id_identifier") == 1


def test_ssn_id_masked_in_the_validators_findings_too(tmp_path):
    """A duplicate patient row and an unknown reference both name the id in their text: masked."""
    d = cohort_copy(tmp_path)
    rename_patient(d, "P02", "123-45-6789")
    header, rows = _read(d, "patients")
    again = list(rows[1])
    again[header.index("sex")] = "male"  # P02 again with another sex: key.duplicate names the id in its text
    _write(d, "patients", header, rows + [again])
    set_cell(d, "therapies", 3, "patient_id", "987-65-4321")  # a patient that does not exist
    _, findings = load_cohort(d)
    assert {"key.duplicate", "ref.unknown_patient"} <= set(findings.rules())
    the_finding(findings, "ref.unknown_patient", "error", "therapies", "patient_id", row=5)
    assert_not_echoed(findings, "123-45-6789", "987-65-4321")


def test_a_course_id_holding_a_phone_number(tmp_path):
    d = cohort_copy(tmp_path)
    header, rows = _read(d, "therapies")
    j = header.index("course_id")
    old = rows[0][j]
    rows[0][j] = "212-555-0199"
    _write(d, "therapies", header, rows)
    for table in ("doses", "toxicity_episodes"):
        h, rs = _read(d, table)
        for r in rs:
            if r[h.index("course_id")] == old and r[h.index("patient_id")] == rows[0][0]:
                r[h.index("course_id")] = "212-555-0199"
        _write(d, table, h, rs)
    _, findings = load_cohort(d)
    the_finding(findings, "identifier.phone", "error", "therapies", "course_id", row=2)
    assert_not_echoed(findings, "212-555-0199", "555-0199")


# ---- free text ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("table, row, column, text, rule, severity", [
    ("transplants", 0, "conditioning_regimen", "Flu/Mel per Dr. Jane Smith", "identifier.titled_name", "error"),
    ("therapies", 1, "regimen", "John Smith", "identifier.person_name", "error"),
    ("therapies", 1, "regimen", "Smith, John", "identifier.person_name", "error"),
    ("disease_events", 0, "note", "discussed with Maria Lopez at clinic", "identifier.person_name", "warning"),
    ("disease_events", 0, "note", "call back on 212-555-0199", "identifier.phone", "error"),
    ("disease_events", 0, "note", "lives at 123 Main Street", "identifier.address", "error"),
    ("disease_events", 0, "note", "moved to New York, NY 10065", "identifier.zip", "error"),
    ("disease_events", 0, "note", "DOB 1956-03-02", "identifier.birth_date", "error"),
    ("disease_events", 0, "note", "confirmed on 2019-03-04", "identifier.date", "warning"),
    ("disease_events", 0, "note", "MRN: 00123456", "identifier.mrn", "error"),
    ("disease_events", 0, "note", "SSN 123-45-6789 on the form", "identifier.ssn", "error"),
    ("disease_events", 0, "note", "mail j.doe@hospital.example.org", "identifier.email", "error"),
    ("disease_events", 0, "note", "account 88123456", "identifier.long_number", "warning"),
    ("disease_events", 0, "note", "see https://intranet.example.org/chart", "identifier.url", "warning"),
    ("disease_events", 0, "note", "uploaded from 10.20.30.40", "identifier.ip", "warning"),
    ("assessments", 0, "emd_site", "P.O. Box 4411", "identifier.address", "error"),
    ("patients", 0, "karyotype", "46,XY per Prof. Weber", "identifier.titled_name", "error"),
])
def test_identifier_in_a_free_text_column(tmp_path, table, row, column, text, rule, severity):
    d = cohort_copy(tmp_path)
    set_cell(d, table, row, column, text)
    _, findings = load_cohort(d)
    f = the_finding(findings, rule, severity, table, column, row=row + 2)
    assert f.value == "" and f.patient_id and f.source == f"{table}.csv"
    secret = {"identifier.titled_name": text.split(" ")[-1], "identifier.person_name": "Smith"}.get(rule, text)
    if rule == "identifier.person_name" and "Lopez" in text:
        secret = "Lopez"
    assert_not_echoed(findings, text, secret)
    if severity == "warning":
        assert not findings.errors, findings.summary_text()


def test_center_named_after_a_person_is_not_a_finding_but_a_titled_name_is(tmp_path):
    d = cohort_copy(tmp_path)
    set_cell(d, "study", 0, "center", "Fred Hutchinson Cancer Center")
    _, findings = load_cohort(d)
    assert ident(findings) == []
    set_cell(d, "study", 0, "center", "Dr. Smith's clinic")
    _, findings = load_cohort(d)
    the_finding(findings, "identifier.titled_name", "error", "study", "center", row=2)
    assert_not_echoed(findings, "Smith")


def test_a_name_typed_into_a_coded_column_is_masked_in_the_validators_echo(tmp_path):
    d = cohort_copy(tmp_path)
    set_cell(d, "patients", 0, "sex", "John Smith")
    _, findings = load_cohort(d)
    f = the_finding(findings, "category.unknown", "error", "patients", "sex", row=2)
    assert "masked" in f.value
    assert_not_echoed(findings, "John Smith")


# ---- headers -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("header, value, word", [
    ("Patient Name", "Ann Example", "name"), ("MRN", "00123456", "medical record"), ("SSN", "123-45-6789", "social"),
    ("Home address", "1 Elm Road", "address"), ("Phone", "212-555-0199", "phone"), ("E-mail", "a@b.example", "e-mail"),
    ("DOB", "1956-03-02", "birth"), ("ZIP", "10065", "ZIP"),
])
def test_unknown_identifier_column_is_reported_and_ignored(tmp_path, header, value, word):
    d = cohort_copy(tmp_path)
    add_column(d, "patients", header, [value] * 3)
    cohort, findings = load_cohort(d)
    f = the_finding(findings, "identifier.column", "warning", "patients", header)
    assert word in f.message and "ignored" in f.message and "never reaches an output" in f.message
    assert not findings.errors
    assert_not_echoed(findings, value)
    assert all(value not in str(v) for df in cohort.tables.values() for v in df.astype(str).to_numpy().ravel())


def test_schema_column_mapped_from_an_identifier_header(tmp_path):
    d = cohort_copy(tmp_path)
    rename_patient(d, "P01", "A1")
    for f in d.glob("*.csv"):
        text = f.read_text(encoding="utf-8")
        f.write_text(text.replace("patient_id,", "MRN,", 1) if f.stem == "patients" else text, encoding="utf-8")
    m = tmp_path / "map.json"
    m.write_text(json.dumps({"columns": {"patients": {"MRN": "patient_id"}}}))
    _, findings = load_cohort(d, mapping=m)
    f = the_finding(findings, "identifier.column", "warning", "patients", "MRN")
    assert "patient_id is read from a column" in f.message


def test_header_rules_spare_clinical_headers():
    clinical = ("regimen name", "drug_name", "center name", "Study name", "cell dose", "addressed", "cytogenetics",
                "visit", "zipper", "named_patient_program", "hla_typed")
    assert [h for h in clinical if header_kind(h)] == []
    assert all(header_kind(h) for h in ("name", "Last name", "first_name", "pt name", "MRN", "Medical record number",
                                        "hospital_no", "SSN", "street", "zip_code", "postcode", "telephone", "fax",
                                        "email", "e-mail", "dob", "Date of birth", "birthdate"))


# ---- stored forms and large columns ------------------------------------------------------------------------------
def test_stored_form_is_scanned(tmp_path):
    from mabseq.cohort.storage import write_duckdb
    d = cohort_copy(tmp_path)
    rename_patient(d, "P03", "555-12-3456")
    cohort, _ = load_cohort(d)
    db = write_duckdb(cohort, tmp_path / "c.duckdb")
    _, findings = load_cohort(db)
    f = the_finding(findings, "patient.id_identifier", "error", "patients", "patient_id")
    assert f.row is not None
    assert_not_echoed(findings, "555-12-3456")


def _cohort_with_notes(notes: list[str]):
    from mabseq.cohort.model import Cohort, conform
    from mabseq.cohort.schema import BY_NAME
    import pandas as pd
    ev = pd.DataFrame({"patient_id": [f"P{i:05d}" for i in range(len(notes))],
                       "event_date": pd.to_datetime(["2019-01-01"] * len(notes)),
                       "event_type": ["relapse"] * len(notes), "note": notes})
    return Cohort({"disease_events": conform(ev, BY_NAME["disease_events"])}, "notes",
                  {"disease_events": [("notes.csv", i + 2) for i in range(len(notes))]},
                  {"disease_events": "notes.csv"})


def test_many_flagged_rows_are_listed_up_to_a_limit_and_counted():
    n = MAX_LISTED + 7
    c = _cohort_with_notes(["ok"] * 5 + ["call 212-555-0199"] * n)
    findings = Findings()
    scan_identifiers(c, findings)
    listed = [f for f in findings if f.rule == "identifier.phone" and f.row is not None]
    more = [f for f in findings if f.rule == "identifier.phone" and f.row is None]
    assert len(listed) == MAX_LISTED and len(more) == 1 and "7 more rows" in more[0].message


def test_scan_cost_does_not_grow_with_rows(monkeypatch):
    """Regex passes per column are fixed (one combined pass, then one per pattern on the cells it picked): the
    number of calls is the same for 100 and 10,000 rows."""
    import mabseq.cohort.identifiers as ids
    calls = []
    real = ids.pc.match_substring_regex
    monkeypatch.setattr(ids.pc, "match_substring_regex", lambda arr, *a, **k: calls.append(len(arr)) or real(arr, *a, **k))

    def count(n):
        calls.clear()
        scan_identifiers(_cohort_with_notes((["hyper-CVAD", "call 212-555-0199"] * n)[:n]), Findings())
        return len(calls)

    assert count(100) == count(10_000) <= 2 * (len(ids.PATTERNS) + 1)


# ---- false positives ---------------------------------------------------------------------------------------------
CLINICAL_TEXT = [
    "46,XY,t(4;11)(q21;q23)[20]", "46,XX,t(9;22)(q34;q11.2)[18]/46,XX[2]", "47,XY,+21[5]/46,XY[15]",
    "45,XX,-7[10]", "46,XY,del(9)(p13p24)[12]", "hypodiploid 38", "t(1;19)(q23;p13.3)", "complex (>=5 abnormalities)",
    "hyper-CVAD", "mini-HCVD", "mini-hyper-CVD + inotuzumab", "Hyper-CVAD A/B", "CALGB 10403", "GRAALL-2005",
    "augmented BFM", "Dana Farber 00-01", "Larson regimen", "FLAG-IDA", "7+3", "R-CHOP", "POMP maintenance",
    "inotuzumab;vincristine", "inotuzumab;cyclophosphamide;vincristine;doxorubicin", "blinatumomab", "CD19 CAR T",
    "tisagenlecleucel", "brexucabtagene autoleucel", "ponatinib", "dasatinib", "Flu/Mel", "Flu/Mel/ATG", "Flu Mel ATG",
    "Clo/Mel/Thio", "Clofarabine/busulfan", "Fludarabine/cyclophosphamide/TBI 200", "Cy/TBI 1200 cGy",
    "TBI 200 400 1200", "Bu/Cy", "Flu/Bu4", "ATG 4.5 mg/kg", "tacrolimus;methotrexate", "ptcy;tacrolimus;mmf",
    "cd34_selection", "CNS", "CNS3", "testis", "skin", "mediastinal mass", "Central nervous system", "breast",
    "HLA 8/8", "10/10 matched", "9/10 (DQB1 mismatch)", "AFF1", "MLLT1", "KMT2A::AFF1", "BCR::ABL1 p190",
    "relapse in marrow, CNS negative", "MRD 0.01% by flow", "CD22 dim", "Ara-C 3 g/m2", "HD-MTX 1 g/m2 x 2",
    "Grade 3 CRS after dose 2", "Ph-like", "IKZF1 deletion", "TP53 mutated", "SYNTHETIC twin of the Wudhikarn et al. "
    "2022 cohort (not patient data)", "Example center", "Memorial Sloan Kettering", "MD Anderson", "City of Hope",
    "dose 0.8 mg/m2 day 1, 0.5 mg/m2 days 8 and 15", "cycle 2 delayed 14 days", "version 1.2", "days 1-8-15",
    "days 1/8/15", "d1,8,15", "1-3-5", "q3-4wk", "ANC 0.5 x3 days", "45,X,-Y[4]/46,XY[16]", "MRD 1x10-4",
]


STUDY_IDS = ["T01", "P01", "C1", "C12", "MSK-001", "2019-001", "BMT12-345", "S01-P003", "ALL-0042", "00123", "D001",
             "D000001", "site3-pt17", "R/R-ALL-05", "UPN 4321", "1-2", "CRID 123456"]


def test_clinical_text_and_study_ids_give_no_finding():
    for cls in ("text", "label"):
        hits = detect(CLINICAL_TEXT, cls)
        assert not hits, {CLINICAL_TEXT[i]: h.pattern.kind for i, h in hits.items()}
    hits = detect(STUDY_IDS, "id")
    assert not hits, {STUDY_IDS[i]: h.pattern.kind for i, h in hits.items()}


def test_twin_and_valid_example_have_no_identifier_finding():
    from mabseq.studies.twin import twin_folder
    _, twin_findings = load_cohort(twin_folder())
    assert ident(twin_findings) == [] and not twin_findings.errors
    _, findings = load_cohort(VALID)
    assert findings.items == []


def test_given_name_list_holds_no_clinical_abbreviation():
    clinical = {"Mel", "Flu", "Cy", "Bu", "Ara", "Dex", "Clo", "Thio", "Vin", "Dox", "Ida", "Dana", "Max", "May",
                "June", "April", "August", "Will", "Mark", "Hope", "Grace", "Bill", "Pat", "Tac", "Gem", "Len"}
    assert not clinical & set(GIVEN_NAMES)
    assert {"John", "Jane", "Maria", "Mohammed", "Wei"} <= set(GIVEN_NAMES)
