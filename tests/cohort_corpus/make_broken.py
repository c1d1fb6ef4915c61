"""Write the corpus of broken cohorts under tests/cohort_corpus/broken/ (run from the repository root).

Each case is the valid example (tests/cohort_corpus/valid/) with one thing broken, and an ``expected.json`` that
names the finding it must produce: rule, severity, file (or sheet), row and column. ``tests/test_cohort_validation.py``
checks every case. Regenerate after changing the valid example:  python tests/cohort_corpus/make_broken.py
"""
from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

HERE = Path(__file__).parent
VALID = HERE / "valid"
OUT = HERE / "broken"


def read(table):
    with open(VALID / f"{table}.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def write(folder, table, header, rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    (folder / f"{table}.csv").write_text(buf.getvalue(), encoding="utf-8")


def set_cell(table, row, column, value):
    """Mutation: set one cell (row = data row index from 0; the file line is row + 2)."""
    def apply(folder):
        header, rows = read(table)
        rows[row][header.index(column)] = value
        write(folder, table, header, rows)
    return apply


def edit(table, fn):
    def apply(folder):
        header, rows = read(table)
        header, rows = fn(header, rows)
        write(folder, table, header, rows)
    return apply


def drop_file(table):
    def apply(folder):
        (folder / f"{table}.csv").unlink()
    return apply


def raw_file(name, content):
    def apply(folder):
        data = content if isinstance(content, bytes) else content.encode("utf-8")
        (folder / name).write_bytes(data)
    return apply


def E(rule, file, row, column, severity="error"):
    return {"rule": rule, "severity": severity, "source": file, "row": row, "column": column}


def _dup_row(h, r):
    return h, r + [list(r[1])]


def _dup_key(h, r):
    x = list(r[0])
    x[h.index("sex")] = "female"
    return h, r + [x]


def _drop_col(col):
    def fn(h, r):
        j = h.index(col)
        return h[:j] + h[j + 1:], [row[:j] + row[j + 1:] for row in r]
    return fn


def _add_col(name, value):
    def fn(h, r):
        return h + [name], [row + [value] for row in r]
    return fn


def _drop_patient(pid):
    def fn(h, r):
        return h, [row for row in r if row[0] != pid]
    return fn


def _extra_field(h, r):
    r = [list(x) for x in r]
    r[0] = r[0] + ["surplus"]
    return h, r


def _rename_pid(old, new):
    def apply(folder):
        for f in VALID.glob("*.csv"):
            text = f.read_text(encoding="utf-8").replace(old, new)
            (folder / f.name).write_text(text, encoding="utf-8")
    return apply


CASES = {
    "01_date_format": (set_cell("patients", 0, "diagnosis_date", "03/01/2016"),
                       [E("date.format", "patients.csv", 2, "diagnosis_date")]),
    "02_date_invalid": (set_cell("patients", 0, "diagnosis_date", "2016-02-30"),
                        [E("date.invalid", "patients.csv", 2, "diagnosis_date")]),
    "03_date_excel_serial": (set_cell("therapies", 1, "start_date", "43110"),
                             [E("date.excel_serial", "therapies.csv", 3, "start_date")]),
    "04_number_text": (set_cell("assessments", 0, "bm_blast_pct", "many"),
                       [E("type.number", "assessments.csv", 2, "bm_blast_pct")]),
    "05_integer_fraction": (set_cell("therapies", 2, "cycles", "2.5"),
                            [E("type.integer", "therapies.csv", 4, "cycles")]),
    "06_mrd_percent_sign": (set_cell("assessments", 2, "mrd_value", "0.01%"),
                            [E("type.number", "assessments.csv", 4, "mrd_value")]),
    "07_blasts_over_100": (set_cell("assessments", 1, "bm_blast_pct", "150"),
                           [E("range", "assessments.csv", 3, "bm_blast_pct")]),
    "08_mrd_as_percent": (set_cell("assessments", 2, "mrd_value", "5"),
                          [E("range", "assessments.csv", 4, "mrd_value")]),
    "09_bilirubin_umol": (set_cell("toxicity_observations", 1, "bilirubin", "120"),
                          [E("range", "toxicity_observations.csv", 3, "bilirubin")]),
    "10_sex_unknown_code": (set_cell("patients", 1, "sex", "M?"), [E("category.unknown", "patients.csv", 3, "sex")]),
    "11_therapy_class_unknown": (set_cell("therapies", 1, "therapy_class", "blina"),
                                 [E("category.unknown", "therapies.csv", 3, "therapy_class")]),
    "12_required_value_missing": (set_cell("patients", 2, "diagnosis_date", ""),
                                  [E("required.missing", "patients.csv", 4, "diagnosis_date")]),
    "13_required_column_missing": (edit("follow_up", _drop_col("vital_status")),
                                   [E("column.missing", "follow_up.csv", None, "vital_status")]),
    "14_unknown_column": (edit("patients", _add_col("MRN", "")),
                          [E("column.unknown", "patients.csv", None, "MRN", "warning")]),
    "15_table_missing": (drop_file("follow_up"), [E("table.missing", "", None, "")]),
    "16_study_two_rows": (edit("study", lambda h, r: (h, r + [list(r[0])])),
                          [E("row.duplicate", "study.csv", 3, ""), E("study.rows", "study.csv", None, "")]),
    "17_duplicate_row": (edit("therapies", _dup_row), [E("row.duplicate", "therapies.csv", 8, "")]),
    "18_duplicate_patient": (edit("patients", _dup_key), [E("key.duplicate", "patients.csv", 5, "patient_id")]),
    "19_unknown_patient": (set_cell("therapies", 3, "patient_id", "P99"),
                           [E("ref.unknown_patient", "therapies.csv", 5, "patient_id")]),
    "20_unknown_course": (set_cell("doses", 1, "course_id", "C9"),
                          [E("ref.unknown_course", "doses.csv", 3, "course_id")]),
    "21_no_follow_up": (edit("follow_up", _drop_patient("P03")),
                        [E("patient.no_follow_up", "patients.csv", 4, "patient_id")]),
    "22_mrn_as_id": (_rename_pid("P02", "10234567"),
                     [E("patient.id_identifier", "patients.csv", 3, "patient_id", "warning")]),
    "23_no_age": (set_cell("patients", 0, "age_at_diagnosis", ""),
                  [E("patient.no_age", "patients.csv", 2, "birth_date", "warning")]),
    "24_born_after_diagnosis": (set_cell("patients", 0, "birth_date", "2017-01-01"),
                                [E("date.birth_after_diagnosis", "patients.csv", 2, "birth_date")]),
    "25_therapy_ends_before_start": (set_cell("therapies", 1, "end_date", "2017-12-01"),
                                     [E("date.end_before_start", "therapies.csv", 3, "end_date")]),
    "26_death_before_diagnosis": (edit("follow_up", lambda h, r: (h, [r[0][:1] + ["2015-01-01", "dead",
                                                                                   "2015-01-01"] + r[0][4:]]
                                                                   + r[1:])),
                                  [E("date.death_before_diagnosis", "follow_up.csv", 2, "death_date")]),
    "27_assessment_after_death": (set_cell("assessments", 2, "assessment_date", "2019-06-01"),
                                  [E("date.after_death", "assessments.csv", 4, "assessment_date")]),
    "28_event_after_cutoff": (set_cell("disease_events", 2, "event_date", "2020-08-01"),
                              [E("date.after_cutoff", "disease_events.csv", 4, "event_date", "warning")]),
    "29_engraftment_before_day0": (set_cell("transplants", 0, "anc_engraftment_date", "2018-05-30"),
                                   [E("date.engraftment_before_day0", "transplants.csv", 2,
                                      "anc_engraftment_date")]),
    "30_hla_matched_gt_typed": (set_cell("transplants", 0, "hla_typed", "8"),
                                [E("hla.matched_gt_typed", "transplants.csv", 2, "hla_matched")]),
    "31_dead_without_date": (edit("follow_up", lambda h, r: (h, [r[0][:3] + [""] + r[0][4:]] + r[1:])),
                             [E("followup.death_date_missing", "follow_up.csv", 2, "death_date", "warning")]),
    "32_alive_with_death_date": (set_cell("follow_up", 1, "death_date", "2020-05-01"),
                                 [E("followup.death_date_alive", "follow_up.csv", 3, "death_date")]),
    "33_contact_after_death": (set_cell("follow_up", 0, "last_contact_date", "2019-06-01"),
                               [E("followup.contact_after_death", "follow_up.csv", 2, "last_contact_date")]),
    "34_dose_outside_course": (set_cell("doses", 3, "dose_date", "2018-05-05"),
                               [E("dose.outside_course", "doses.csv", 5, "dose_date", "warning")]),
    "35_row_too_many_fields": (edit("disease_events", _extra_field),
                               [E("row.too_many_fields", "disease_events.csv", 2, "")]),
    "36_unknown_file": (raw_file("notes.csv", "a,b\n1,2\n"), [E("table.unknown", "notes.csv", None, "", "warning")]),
    "37_not_utf8": (raw_file("doses.csv", "patient_id,course_id,dose_date\nP01,C3,2018-03-01\nP\xe9,C3,x\n"
                             .encode("latin-1")), [E("file.encoding", "doses.csv", 3, "")]),
    "38_assessment_before_diagnosis": (set_cell("assessments", 3, "assessment_date", "2015-07-01"),
                                       [E("date.before_diagnosis", "assessments.csv", 5, "assessment_date",
                                          "warning")]),
    "39_date_with_time": (set_cell("disease_events", 0, "event_date", "2018-02-10 14:30"),
                          [E("date.format", "disease_events.csv", 2, "event_date")]),
    "40_negative_dose": (set_cell("doses", 0, "dose", "-0.8"), [E("range", "doses.csv", 2, "dose")]),
}


def main() -> None:
    if OUT.exists():
        shutil.rmtree(OUT)
    OUT.mkdir()
    for name, (mutate, expected) in CASES.items():
        folder = OUT / name
        shutil.copytree(VALID, folder)
        mutate(folder)
        (folder / "expected.json").write_text(json.dumps(expected, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(CASES)} broken cohorts to {OUT}")


if __name__ == "__main__":
    main()
