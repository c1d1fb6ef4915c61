"""`mabseq map draft` with a code book in DATA (mapping/draft_codebook.py) and a long-format events file split
between disease_events and follow_up (mapping/draft_split.py). The expectations are worked by hand from the small
files below."""
from __future__ import annotations

import pandas as pd
from ruamel.yaml import YAML
from typer.testing import CliRunner

from mabseq.cli import app
from mabseq.cohort.findings import Findings
from mabseq.mapping.execute import read_mapped

PATIENTS = "Patient no,Sex,Date of diagnosis\nP01,1,2019-04-03\nP02,2,2019-05-15\nP03,3,2019-06-20\nP04,1,2019-07-01\n"
# the field is named once over its codes (as code books often are); code 3 of Sex is not listed
CODEBOOK = ("Variable,Value,Label\nSex,1,Male\n,2,Female\nevent,1,Relapse\n,2,Refractory\n,8,Last contact\n"
            ",9,Died\n")
EVENTS = ("Patient no,Event date,Event,Cause of death\nP01,2019-05-01,1,\nP01,2020-01-01,9,sepsis\n"
          "P02,2019-06-01,2,\nP02,2020-03-01,8,\nP03,2020-02-01,8,\nP04,2020-02-02,8,\n")


def _data(tmp_path, with_book=True):
    data = tmp_path / "export"
    data.mkdir()
    (data / "patients.csv").write_text(PATIENTS, encoding="utf-8")
    (data / "events.csv").write_text(EVENTS, encoding="utf-8")
    if with_book:
        (data / "codebook.csv").write_text(CODEBOOK, encoding="utf-8")
    return data


def _draft(tmp_path, with_book=True):
    data = _data(tmp_path, with_book)
    out = tmp_path / "draft.yaml"
    r = CliRunner().invoke(app, ["map", "draft", str(data), "--out", str(out)])
    assert r.exit_code == 0, r.output
    text = out.read_text(encoding="utf-8")
    return data, out, text, YAML(typ="safe").load(text)


def _values(spec):
    return {str(k): v for k, v in spec["values"].items()}


def test_codes_are_mapped_through_the_code_book_labels(tmp_path):
    _, _, text, m = _draft(tmp_path)
    assert _values(m["tables"]["patients"]["columns"]["sex"]) == {"1": "male", "2": "female", "3": "TODO"}
    assert "code book: 'Male'" in text and "code book: 'Female'" in text  # the field carried down to code 2
    assert m["documentation"] == ["codebook.csv"] and "codebook" not in m["sources"]
    assert 'Code book used: file "codebook.csv" (6 codes of 2 fields)' in text


def test_without_a_code_book_the_codes_stay_todo(tmp_path):
    _, _, _, m = _draft(tmp_path, with_book=False)
    assert _values(m["tables"]["patients"]["columns"]["sex"]) == {"1": "TODO", "2": "TODO", "3": "TODO"}
    assert "documentation" not in m


def test_an_events_file_with_vital_status_rows_is_split(tmp_path):
    _, _, _, m = _draft(tmp_path)
    de = m["tables"]["disease_events"]
    assert de["where"] == [{"column": "Event", "in": ["1", "2"]}]
    assert _values(de["columns"]["event_type"]) == {"1": "relapse", "2": "refractory"}
    fu = m["tables"]["follow_up"]
    assert [b["where"] for b in fu] == [[{"column": "Event", "equals": "8"}], [{"column": "Event", "equals": "9"}]]
    alive, dead = fu
    assert alive["constants"] == {"vital_status": "alive"} and dead["constants"] == {"vital_status": "dead"}
    assert set(alive["columns"]) == {"patient_id", "last_contact_date"}
    assert dead["columns"]["death_date"] == dead["columns"]["last_contact_date"]
    assert dead["columns"]["death_cause"] == {"column": "Cause of death", "values": {"sepsis": "infection"}}
    assert "Cause of death" not in m["sources"]["events"].get("ignore_columns", [])


def test_the_decided_draft_reads_every_row_once(tmp_path):
    """Code 3 decided (unknown): the events file gives 2 events and 4 follow-up rows, hand-counted."""
    data, out, _, m = _draft(tmp_path)
    m["tables"]["patients"]["columns"]["sex"]["values"]["3"] = "unknown"
    m["tables"]["patients"]["constants"]["diagnosis"] = "b_all"
    m["tables"]["study"] = {"columns": {"study_name": {"value": "x"}, "data_cutoff": {"value": "2021-01-01"}}}
    y = YAML(typ="safe")
    with open(out, "w", encoding="utf-8") as fh:
        y.dump(m, fh)
    f = Findings()
    raw = read_mapped(data, out, f)
    assert not f.errors, [str(e) for e in f.errors]
    tables = {name: pd.concat([t.frame for t in raw if t.name == name]) for name in {t.name for t in raw}}
    fu = tables["follow_up"]
    assert sorted(zip(fu.patient_id, fu.vital_status)) == [("P01", "dead"), ("P02", "alive"), ("P03", "alive"),
                                                           ("P04", "alive")]
    assert sorted(tables["disease_events"].event_type) == ["refractory", "relapse"]
    assert not [w for w in f.warnings if "codebook" in str(w)]


def test_a_codebook_vocabulary_word_in_two_roles_is_refused(tmp_path):
    import pytest

    from mabseq.mapping.vocab import VocabError, load_vocabularies
    mine = tmp_path / "vocab"
    mine.mkdir()
    (mine / "book.yaml").write_text("vocabulary: codebook\nkind: codebook\nheaders:\n  label: [Variable]\n",
                                    encoding="utf-8")
    with pytest.raises(VocabError, match="both a field and a label word"):
        load_vocabularies(mine)
    (mine / "book.yaml").write_text("vocabulary: codebook\nkind: codebook\nheaders:\n  code: [Kürzel]\n",
                                    encoding="utf-8")
    assert "Kürzel" in load_vocabularies(mine).codebook_headers["code"]


def _study_dates(tmp_path, info: str):
    from mabseq.mapping.draft import draft_mapping
    from mabseq.mapping.vocab import load_vocabularies
    from mabseq.scan.profile import profile_data
    data = tmp_path / "d"
    data.mkdir(parents=True)
    (data / "patients.csv").write_text(PATIENTS, encoding="utf-8")
    (data / "info.csv").write_text(info, encoding="utf-8")
    m = YAML(typ="safe").load(draft_mapping(profile_data(data, Findings()), load_vocabularies()).text)
    return m["tables"]["study"]["columns"]


def test_a_key_value_date_is_settled_by_the_other_dates_of_its_sheet(tmp_path):
    """01.02.2012 reads day- or month-first; 31.12.2019 in the same value column only day-first."""
    cols = _study_dates(tmp_path, "Item;Value\nData cut-off;30.06.2020\nEnrollment start;01.02.2012\n"
                                  "Enrollment end;31.12.2019\n")
    assert cols["enrollment_start"] == {"column": "Enrollment start", "date": "%d.%m.%Y"}
    assert cols["data_cutoff"] == {"column": "Data cut-off", "date": "%d.%m.%Y"}
    cols = _study_dates(tmp_path / "b", "Item;Value\nData cut-off;05.06.2020\nEnrollment start;01.02.2012\n")
    assert cols["enrollment_start"]["date"] == "TODO" and cols["data_cutoff"]["date"] == "TODO"  # nothing settles
