"""mabseq deidentify: a hand-built cohort whose expected changes are worked out by hand below, the bundled twin
(the paper preset's results before and after), the key's round trip, and hostile paths and keys."""
from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mabseq.cli import app
from mabseq.cohort import load_cohort
from mabseq.cohort.schema import BY_NAME
from mabseq.privacy import deidentify, read_key, reidentify

runner = CliRunner()
TWIN = Path(__file__).parent.parent / "src" / "mabseq" / "data" / "twin"
VALID = Path(__file__).parent / "cohort_corpus" / "valid"

# ---- the hand-built cohort ----------------------------------------------------------------------------------------
# Cut-off C = 2020-06-30; enrollment window S = 2012-01-01 .. E = 2019-12-31; shift range R = 365 days.
#
# P01 born 1950-01-01, diagnosed 2016-03-01: age = 24166 / 365.25 (1950-01-01 -> 2016-01-01 is 66 years =
#     66 * 365 + 16 leap days (1952 ... 2012) = 24106 days; + 31 (Jan) + 29 (Feb 2016) = 24166). mAb1 blinatumomab
#     2018-01-10 (inside the window), mAb2 inotuzumab 2018-03-01; transplant 2018-06-01 = 822 days after diagnosis
#     (2016-03-01 -> 2018-03-01 = 730; + 31 + 30 + 31 = 822); died 2019-05-02 = 1157 days after diagnosis
#     (-> 2019-03-01 = 1095; + 31 + 30 + 1). Conditioning regimen
#     "Flu/Mel per Dr. Jane Smith": a titled name, cleared; karyotype, regimen and agents are clean: kept.
#     The relapse note "called John Smith" is free text off the allow-list: cleared.
# P02 age 95 at diagnosis 2018-01-01, died 2020-01-01 (730 days later): 90 or older -> age at diagnosis stored as
#     90 - 730/365.25, so the age on 2020-01-01 reads 90.
# P03 age 89.9 at diagnosis 2019-01-01, last seen 2019-07-01 (181 days: 31+28+31+30+31+30): 89.9 + 181/365.25 =
#     90.3956 >= 90 -> stored as 90 - 181/365.25.
# P04 age 89.9 at diagnosis 2020-06-01, last seen 2020-06-30 (29 days): 89.9 + 29/365.25 = 89.979 < 90 -> kept 89.9.
#     A marrow on 2020-07-15 is after C: removed (so it does not count as P04's latest date either).
# P05 diagnosed 2015-05-05; died 2020-08-01, after C -> alive at C, last contact 2020-06-30 = 1883 days after
#     diagnosis (-> 2020-05-05 = 5 * 365 + 2 leap days = 1827; + 26 + 30). Chemotherapy 2020-05-01 .. 2020-07-25
#     runs at C: ends 2020-06-30. Inotuzumab from 2020-07-01 (after C): removed with its two doses after C and one
#     dose dated before it (2020-06-28, orphaned). An SOS on 2020-06-20 attributed to that course loses the
#     attribution. A relapse on 2020-07-20: removed.
# P06 blinatumomab 2011-12-20, 12 days before S: excluded by the window; the window becomes S - R = 2011-01-01, and
#     P06's shift d must keep mAb1 before it: d <= 12 - 365 - 1 = -354, so d in -365 .. -354.
# P07 inotuzumab 2020-01-10, 10 days after E: the window's end becomes E + R = 2020-12-30; d >= -10 + 365 + 1 = 356,
#     so d in 356 .. 365.
# The patients file also has two columns the schema does not know, MRN and Patient Name: never read, not written.
HAND = {
    "study": """study_name,data_cutoff,center,enrollment_start,enrollment_end
hand,2020-06-30,Hand-built center,2012-01-01,2019-12-31
""",
    "patients": """patient_id,diagnosis,sex,birth_date,age_at_diagnosis,diagnosis_date,karyotype,MRN,Patient Name
P01,b_all,male,1950-01-01,,2016-03-01,"46,XY,t(4;11)(q21;q23)[20]",00123456,Ann Example
P02,b_all,female,,95,2018-01-01,,00123457,Bob Example
P03,b_all,male,,89.9,2019-01-01,,00123458,Cid Example
P04,b_all,female,,89.9,2020-06-01,,00123459,Dee Example
P05,b_all,male,,40,2015-05-05,,00123460,Eve Example
P06,b_all,female,,30,2011-06-01,,00123461,Fay Example
P07,b_all,male,,50,2019-06-01,,00123462,Gus Example
""",
    "therapies": """patient_id,course_id,therapy_class,regimen,agents,start_date,end_date,cycles,intent,disease_state_at_start
P01,C1,chemotherapy,hyper-CVAD,cyclophosphamide;vincristine;doxorubicin;dexamethasone,2016-03-05,2016-09-01,8,frontline,morphologic
P01,C2,blinatumomab,blinatumomab,blinatumomab,2018-01-10,2018-02-07,1,salvage,morphologic
P01,C3,inotuzumab,inotuzumab,inotuzumab;vincristine,2018-03-01,2018-03-22,1,salvage,morphologic
P05,C1,chemotherapy,salvage chemotherapy,cytarabine,2020-05-01,2020-07-25,1,salvage,morphologic
P05,C2,inotuzumab,inotuzumab,inotuzumab,2020-07-01,2020-07-22,1,salvage,morphologic
P06,C1,blinatumomab,blinatumomab,blinatumomab,2011-12-20,2012-01-17,1,salvage,morphologic
P06,C2,inotuzumab,inotuzumab,inotuzumab,2012-03-01,2012-03-22,1,salvage,morphologic
P07,C1,inotuzumab,inotuzumab,inotuzumab,2020-01-10,2020-01-31,1,salvage,morphologic
P07,C2,blinatumomab,blinatumomab,blinatumomab,2020-03-01,2020-03-29,1,salvage,morphologic
""",
    "doses": """patient_id,course_id,dose_date,dose,dose_unit
P01,C3,2018-03-01,0.8,mg_m2
P01,C3,2018-03-08,0.5,mg_m2
P05,C2,2020-06-28,0.8,mg_m2
P05,C2,2020-07-01,0.8,mg_m2
P05,C2,2020-07-08,0.5,mg_m2
""",
    "assessments": """patient_id,assessment_date,specimen,bm_blast_pct,emd_site
P01,2018-01-08,marrow,35,
P01,2018-02-05,marrow,2,
P01,2018-04-01,marrow,1,
P04,2020-07-15,marrow,40,
P05,2020-05-30,marrow,50,Testis
""",
    "transplants": """patient_id,transplant_date,conditioning_start_date,donor_type,graft_source,conditioning_regimen,conditioning_agents,anc_engraftment_date
P01,2018-06-01,2018-05-24,matched_unrelated,pbsc,Flu/Mel per Dr. Jane Smith,fludarabine;melphalan,2018-06-13
""",
    "toxicity_episodes": """patient_id,toxicity,onset_date,grade,course_id,resolution_date
P01,crs,2018-01-11,1,C2,2018-01-13
P05,sos,2020-06-20,3,C2,2020-07-05
""",
    "disease_events": """patient_id,event_date,event_type,site,note
P01,2019-01-15,relapse,marrow,called John Smith
P05,2020-07-20,relapse,marrow,
""",
    "follow_up": """patient_id,last_contact_date,vital_status,death_date,death_cause
P01,2019-05-02,dead,2019-05-02,progression
P02,2020-01-01,dead,2020-01-01,infection
P03,2019-07-01,alive,,
P04,2020-06-30,alive,,
P05,2020-08-01,dead,2020-08-01,progression
P06,2020-06-30,alive,,
P07,2020-06-30,alive,,
""",
}
EXPECTED_CHANGES = {
    "patients": 7,
    "therapies rows after the cut-off removed": 1,
    "doses rows after the cut-off removed": 2,
    "assessments rows after the cut-off removed": 1,
    "disease_events rows after the cut-off removed": 1,
    "doses of courses after the cut-off removed": 1,
    "toxicity episodes attributed to a course after the cut-off: attribution removed": 1,
    "therapies running at the cut-off: end set to the cut-off": 1,
    "deaths after the cut-off: alive at the cut-off": 1,
    "last contacts after the cut-off: set to the cut-off": 1,
    "birth dates removed": 1,
    "ages top-coded: 90 or older at the latest date (stored as 90 at that date)": 2,
    "transplants.conditioning_regimen: cells holding an identifier cleared": 1,
    "disease_events.note: free text cleared (not on the allow-list)": 1,
    "study.center: cleared": 1,
    "columns not in the schema (never read, not written)": 2,
}
SECRETS = ("Smith", "00123456", "Ann Example", "Gus Example", "Hand-built", "1950-01-01")


def write_hand(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name, text in HAND.items():
        (folder / f"{name}.csv").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def hand(tmp_path):
    """The hand cohort de-identified through the command: (DATA, out folder, key file, loaded output, key)."""
    data = write_hand(tmp_path / "hand")
    out, key = tmp_path / "deid", tmp_path / "secret" / "hand.key.json"
    r = runner.invoke(app, ["deidentify", str(data), "--out", str(out), "--key", str(key)])
    assert r.exit_code == 0, r.output
    cohort, findings = load_cohort(out)
    assert findings.items == [], findings.summary_text()
    return data, out, key, cohort, read_key(key)


def _by_old(cohort, key, table):
    """Rows of ``table`` of the de-identified cohort under the original patient ids."""
    back = {new: old for old, (new, _) in key.patients.items()}
    df = cohort[table].copy()
    df["patient_id"] = df["patient_id"].map(back)
    return df


def _day(s) -> pd.Timestamp:
    return pd.Timestamp(s)


def test_hand_cohort_changes_are_the_hand_worked_ones(hand):
    data, out, key_path, cohort, key = hand
    notes = json.loads((out / "deidentification.json").read_text())
    assert notes["changes"] == EXPECTED_CHANGES
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [f"{t}.csv" for t in ("study", "patients", "therapies", "doses", "assessments", "transplants",
                              "toxicity_episodes", "toxicity_observations", "disease_events", "follow_up")]
        + ["deidentification.json", ".mabseq-output.json"])
    assert sorted(cohort.patient_ids) == [f"D{i:03d}" for i in range(1, 8)]


def test_hand_cohort_intervals_kept_and_window_respected(hand):
    _, _, _, c, key = hand
    pt = _by_old(c, key, "patients").set_index("patient_id")
    fu = _by_old(c, key, "follow_up").set_index("patient_id")
    tx = _by_old(c, key, "transplants").set_index("patient_id")
    th = _by_old(c, key, "therapies")
    dx = pt["diagnosis_date"]
    assert (fu.at["P01", "death_date"] - dx["P01"]).days == 1157
    assert (tx.at["P01", "transplant_date"] - dx["P01"]).days == 822
    assert (tx.at["P01", "anc_engraftment_date"] - tx.at["P01", "transplant_date"]).days == 12
    # P05: censored explicitly at the cut-off
    assert fu.at["P05", "vital_status"] == "alive" and pd.isna(fu.at["P05", "death_date"])
    assert pd.isna(fu.at["P05", "death_cause"]) and (fu.at["P05", "last_contact_date"] - dx["P05"]).days == 1883
    p5 = th[th["patient_id"] == "P05"]
    assert list(p5["course_id"]) == ["C1"]
    assert (p5["end_date"].iloc[0] - p5["start_date"].iloc[0]).days == 60  # 2020-05-01 .. 2020-06-30
    tox = _by_old(c, key, "toxicity_episodes").set_index("patient_id")
    assert pd.isna(tox.at["P05", "course_id"])
    assert (tox.at["P05", "resolution_date"] - tox.at["P05", "onset_date"]).days == 15
    # every date moved by the patient's shift, which is never 0
    for pid, (_, d) in key.patients.items():
        assert d != 0 and -365 <= d <= 365
    assert dx["P01"] == _day("2016-03-01") + pd.Timedelta(days=key.shift("P01"))
    # the window: P06 stays before it, P07 after it
    st = c["study"].iloc[0]
    assert st["enrollment_start"] == _day("2011-01-01") and st["enrollment_end"] == _day("2020-12-30")
    assert -365 <= key.shift("P06") <= -354 and 356 <= key.shift("P07") <= 365
    m1 = th[th["course_id"] == "C1"].set_index("patient_id")["start_date"]
    assert m1["P06"] < st["enrollment_start"] and m1["P07"] > st["enrollment_end"]
    # the cut-off moved R..2R days, after every shifted date
    assert _day("2021-06-30") <= st["data_cutoff"] <= _day("2022-06-30")
    assert st["data_cutoff"] - _day("2020-06-30") == pd.Timedelta(days=key.cutoff_shift)
    for df in c.tables.values():
        for col in df.columns:
            if str(df[col].dtype).startswith("datetime") and df[col].notna().any():
                assert df[col].max() <= st["data_cutoff"]


def test_hand_cohort_ages(hand):
    _, _, _, c, key = hand
    pt = _by_old(c, key, "patients").set_index("patient_id")
    assert pt["birth_date"].isna().all()
    age = pt["age_at_diagnosis"]
    assert age["P01"] == pytest.approx(24166 / 365.25, abs=1e-12)
    assert age["P02"] == pytest.approx(90 - 730 / 365.25, abs=1e-12)
    assert age["P03"] == pytest.approx(90 - 181 / 365.25, abs=1e-12)
    assert age["P04"] == pytest.approx(89.9, abs=1e-12)
    assert age["P05"] == 40 and age["P06"] == 30
    # no date implies an age over 90
    for pid in ("P02", "P03"):
        last = _by_old(c, key, "follow_up").set_index("patient_id").at[pid, "last_contact_date"]
        assert age[pid] + (last - pt.at[pid, "diagnosis_date"]).days / 365.25 == pytest.approx(90, abs=1e-9)


def test_hand_cohort_free_text_and_ignored_columns(hand):
    data, out, key_path, c, key = hand
    pt = _by_old(c, key, "patients").set_index("patient_id")
    assert pt.at["P01", "karyotype"] == "46,XY,t(4;11)(q21;q23)[20]"
    assert set(c["therapies"]["regimen"]) >= {"hyper-CVAD", "blinatumomab"}
    assert c["transplants"]["conditioning_regimen"].isna().all()
    assert list(c["transplants"]["conditioning_agents"]) == ["fludarabine;melphalan"]
    assert c["disease_events"]["note"].isna().all()
    assert c["study"].iloc[0]["study_name"] == "deidentified" and pd.isna(c["study"].iloc[0]["center"])
    for f in out.iterdir():
        text = f.read_text(encoding="utf-8")
        for s in SECRETS + ("P01", "P07", "MRN", "Patient Name", str(key_path.name)):
            assert s not in text, (f.name, s)


def test_hand_cohort_derivation_same_before_and_after(hand):
    """Exclusion reasons and every non-date derived value of each patient, before and after."""
    from mabseq.derive.cohort import derive_cohort
    data, _, _, c, key = hand
    orig, _ = load_cohort(data)
    a, b = derive_cohort(orig), derive_cohort(c)
    back = {new: old for old, (new, _) in key.patients.items()}
    assert dict(zip(a.excluded["patient_id"], a.excluded["reason"])) == {
        back[p]: r for p, r in zip(b.excluded["patient_id"], b.excluded["reason"])}
    assert "mAb1 outside the enrollment period" in set(a.excluded["reason"])
    assert list(a.adsl["patient_id"]) == ["P01"] and len(b.adsl) == 1
    for col in a.adsl.columns:
        x, y = a.adsl[col].iloc[0], b.adsl[col].iloc[0]
        if col == "patient_id" or "date" in col or col in ("mab1_start", "mab2_start", "retreatments"):
            continue
        if col == "tx_conditioning_regimen":  # the cell named a doctor: cleared by design
            assert x == "Flu/Mel per Dr. Jane Smith" and y is None
            continue
        if isinstance(x, float) and isinstance(y, float):
            assert (math.isnan(x) and math.isnan(y)) or x == pytest.approx(y, rel=1e-12), col
        else:
            assert x == y, col


def test_hand_key_round_trip(hand):
    data, _, _, c, key = hand
    orig, _ = load_cohort(data)
    back = reidentify(c, key)
    assert sorted(back.patient_ids) == sorted(orig.patient_ids)
    for t in ("patients", "therapies", "transplants", "toxicity_episodes"):
        b, o = back[t], orig[t]
        date_cols = [col for col in o.columns if str(o[col].dtype).startswith("datetime") and col != "birth_date"]
        keys = list(BY_NAME[t].key)
        m = o.merge(b, on=keys, suffixes=("", "_back"))
        assert len(m) == len(b)
        for col in date_cols:
            if col in keys:
                continue
            changed = (t, col) == ("therapies", "end_date")  # P05 C1 ended at the cut-off
            same = (m[col] == m[f"{col}_back"]) | (m[col].isna() & m[f"{col}_back"].isna())
            assert same.all() or (changed and (~same).sum() == 1), (t, col)
    fu = back["follow_up"].set_index("patient_id")
    assert fu.at["P05", "last_contact_date"] == _day("2020-06-30") and fu.at["P01", "death_date"] == _day("2019-05-02")
    assert back["study"].iloc[0]["data_cutoff"] == _day("2020-06-30")
    assert back["study"].iloc[0]["enrollment_start"] == _day("2012-01-01")


# ---- the twin: the paper preset's results before and after ------------------------------------------------------
@pytest.mark.parametrize("data, study", [(TWIN, "paper"), (TWIN, "sequence"), (VALID, "paper")],
                         ids=["twin-paper", "twin-sequence", "valid-example-paper"])
def test_study_results_identical_after_deidentification(tmp_path, data, study):
    """Every record of the preset is the same on the de-identified cohort, except the follow-up completeness index,
    which measures each patient's distance to the true cut-off (privacy.dateshift explains why no per-patient shift
    can keep it)."""
    from mabseq.studies.run import run_study
    out = tmp_path / "deid"
    r = runner.invoke(app, ["deidentify", str(data), "--out", str(out), "--key", str(tmp_path / "k.json")])
    assert r.exit_code == 0, r.output
    before, after = run_study(None if data == TWIN else data, study=study), run_study(out, study=study)
    ra, rb = before.results.records, after.results.records
    assert set(ra) == set(rb) and len(ra) > 300
    differ = []
    for k, rec in ra.items():
        x, y = rec.value, rb[k].value
        same = x == y or (isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y))
        if not same:
            differ.append(k)
    assert differ == ["dq_followup_completeness_pct"]
    # ... which the de-identified cohort does not claim to know: no value, and the reason
    assert ra["dq_followup_completeness_pct"].value is not None and rb["dq_followup_completeness_pct"].value is None
    assert "shifted per patient" in rb["dq_followup_completeness_pct"].note
    assert len(after.derived.adsl) == len(before.derived.adsl)
    assert list(after.derived.excluded["reason"]) == list(before.derived.excluded["reason"])


def test_twin_key_round_trip_gives_the_original_ids_and_dates(tmp_path):
    from mabseq.studies.twin import load_twin
    out, key = tmp_path / "o", tmp_path / "k.json"
    assert runner.invoke(app, ["deidentify", str(TWIN), "--out", str(out), "--key", str(key)]).exit_code == 0
    deid, _ = load_cohort(out)
    back, orig = reidentify(deid, read_key(key)), load_twin()
    for name in orig.tables:
        cols = [c for c in orig[name].columns if (name, c) not in (("study", "study_name"), ("study", "center"))]
        pd.testing.assert_frame_equal(back[name][cols], orig[name][cols], check_dtype=False)
    assert set(deid.patient_ids).isdisjoint(orig.patient_ids)


def test_rerun_with_the_key_is_byte_identical_and_a_new_key_differs(tmp_path):
    key = tmp_path / "k.json"
    for fmt in ("csv", "parquet"):
        a, b = tmp_path / f"a-{fmt}", tmp_path / f"b-{fmt}"
        for o in (a, b):
            r = runner.invoke(app, ["deidentify", str(TWIN), "--out", str(o), "--key", str(key), "--format", fmt])
            assert r.exit_code == 0, r.output
        files = sorted(p.name for p in a.iterdir())
        assert files == sorted(p.name for p in b.iterdir())
        for f in files:
            assert (a / f).read_bytes() == (b / f).read_bytes(), (fmt, f)
    key_bytes = key.read_bytes()
    d1, d2 = tmp_path / "c.duckdb", tmp_path / "d.duckdb"
    for o in (d1, d2):
        assert runner.invoke(app, ["deidentify", str(TWIN), "--out", str(o), "--key", str(key),
                                   "--format", "duckdb"]).exit_code == 0
    c1, c2, c3 = load_cohort(d1)[0], load_cohort(d2)[0], load_cohort(tmp_path / "a-csv")[0]
    assert c1.equals(c2) and c1.equals(c3)  # DuckDB's file holds a random header; its tables are identical
    assert key.read_bytes() == key_bytes  # reused, never rewritten
    k2 = tmp_path / "k2.json"
    assert runner.invoke(app, ["deidentify", str(TWIN), "--out", str(tmp_path / "n"), "--key", str(k2)]).exit_code == 0
    one, two = read_key(key), read_key(k2)
    assert one.patients != two.patients  # a fresh secret: ~1 in 29! * 730^29 to be equal


# ---- hostile paths, keys and cohorts -----------------------------------------------------------------------------
def _deid(*args):
    r = runner.invoke(app, ["deidentify", *map(str, args)])
    r.text = " ".join(r.output.split())  # the terminal wraps long messages
    return r


def test_key_inside_out_is_refused(tmp_path):
    out = tmp_path / "o"
    r = _deid(TWIN, "--out", out, "--key", out / "key.json")
    assert r.exit_code == 2 and "must not lie inside --out" in r.text
    assert not out.exists()
    r = _deid(TWIN, "--out", out, "--key", out)
    assert r.exit_code == 2 and not out.exists()


def test_key_equal_to_or_inside_data_is_refused(tmp_path):
    from mabseq.cohort.storage import write_duckdb
    data = tmp_path / "twin"
    shutil.copytree(TWIN, data)
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    for key in (data, data / "patients.csv", data / "new.key"):
        r = _deid(data, "--out", tmp_path / "o", "--key", key)
        assert r.exit_code == 2 and "the key must be a separate file" in r.text, r.output
    assert {p.name: p.read_bytes() for p in data.iterdir()} == before
    db = write_duckdb(load_cohort(data)[0], tmp_path / "c.duckdb")
    raw = db.read_bytes()
    r = _deid(db, "--out", tmp_path / "o", "--key", db)
    assert r.exit_code == 2 and db.read_bytes() == raw and not (tmp_path / "o").exists()


def test_out_equal_to_data_is_refused(tmp_path):
    data = tmp_path / "twin"
    shutil.copytree(TWIN, data)
    before = {p.name: p.read_bytes() for p in data.iterdir()}
    r = _deid(data, "--out", data, "--key", tmp_path / "k.json")
    assert r.exit_code == 2 and "never writes over its input" in r.text
    assert {p.name: p.read_bytes() for p in data.iterdir()} == before and not (tmp_path / "k.json").exists()


def test_an_existing_key_of_another_cohort_is_refused(tmp_path):
    key = tmp_path / "k.json"
    assert _deid(write_hand(tmp_path / "hand"), "--out", tmp_path / "a", "--key", key).exit_code == 0
    raw = key.read_bytes()
    r = _deid(TWIN, "--out", tmp_path / "b", "--key", key)
    assert r.exit_code == 2 and "made for another cohort" in r.text
    assert key.read_bytes() == raw and not (tmp_path / "b").exists()


def test_a_key_path_holding_another_file_is_never_overwritten(tmp_path):
    key = tmp_path / "notes.json"
    key.write_text('{"my": "notes"}')
    r = _deid(TWIN, "--out", tmp_path / "o", "--key", key)
    assert r.exit_code == 2 and "never overwrites it" in r.text
    assert key.read_text() == '{"my": "notes"}' and not (tmp_path / "o").exists()
    key.write_text(json.dumps({"generator": "mabseq", "kind": "mabseq-deidentify-key", "key_version": 1,
                               "shift_range_days": 365, "cutoff_shift_days": 400, "patients": [
                                   {"patient_id": "T01", "study_id": "D1", "shift_days": 0}]}))
    r = _deid(TWIN, "--out", tmp_path / "o", "--key", key)
    assert r.exit_code == 2 and "damaged key" in r.text


def test_a_refused_out_writes_no_key(tmp_path):
    out = tmp_path / "thesis"
    out.mkdir()
    (out / "chapter1.docx").write_bytes(b"mine")
    r = _deid(TWIN, "--out", out, "--key", tmp_path / "k.json")
    assert r.exit_code == 2 and not (tmp_path / "k.json").exists()
    assert (out / "chapter1.docx").read_bytes() == b"mine"


def test_ssn_patient_ids_are_replaced_and_never_written(tmp_path):
    data = write_hand(tmp_path / "hand")
    for f in data.glob("*.csv"):
        f.write_text(f.read_text().replace("P03", "123-45-6789"), encoding="utf-8")
    assert runner.invoke(app, ["validate", str(data)]).exit_code == 2  # an error for every other command
    out, key = tmp_path / "o", tmp_path / "k.json"
    r = _deid(data, "--out", out, "--key", key)
    assert r.exit_code == 0, r.output
    assert "123-45-6789" not in r.text
    for f in out.iterdir():
        assert "123-45-6789" not in f.read_text(encoding="utf-8")
    assert "123-45-6789" in read_key(key).patients  # only the key links them
    assert load_cohort(out)[1].items == []


def test_identifier_in_a_course_id_is_refused_and_nothing_written(tmp_path):
    data = write_hand(tmp_path / "hand")
    for name in ("therapies", "doses", "toxicity_episodes"):
        f = data / f"{name}.csv"
        f.write_text(f.read_text().replace("P01,C2,", "P01,212-555-0199,"), encoding="utf-8")
    r = _deid(data, "--out", tmp_path / "o", "--key", tmp_path / "k.json")
    assert r.exit_code == 2 and "course_id" in r.text and "phone number" in r.text
    assert "212-555-0199" not in r.text
    assert not (tmp_path / "o").exists() and not (tmp_path / "k.json").exists()


def test_a_cohort_with_other_errors_is_refused(tmp_path):
    data = write_hand(tmp_path / "hand")
    f = data / "patients.csv"
    f.write_text(f.read_text().replace("P02,b_all,female", "P02,b_all,martian"), encoding="utf-8")
    r = _deid(data, "--out", tmp_path / "o", "--key", tmp_path / "k.json")
    assert r.exit_code == 2 and "category.unknown" in r.text
    assert not (tmp_path / "o").exists() and not (tmp_path / "k.json").exists()


def test_patients_with_no_dates_at_all(tmp_path):
    """Through the API (a valid file always has a diagnosis and a last-contact date): a patient whose every date is
    missing keeps no date, gets a shift in the key, and the age is kept as given."""
    from mabseq.cohort.model import Cohort, conform
    from mabseq.cohort.schema import BY_NAME
    data = write_hand(tmp_path / "hand")
    c, _ = load_cohort(data)
    tables = {k: v.copy() for k, v in c.tables.items()}
    p = tables["patients"]
    extra = p.iloc[[3]].copy()
    extra["patient_id"] = "P99"
    extra["diagnosis_date"] = pd.NaT
    tables["patients"] = conform(pd.concat([p, extra], ignore_index=True), BY_NAME["patients"])
    fu = tables["follow_up"]
    e2 = fu.iloc[[3]].copy()
    e2["patient_id"], e2["last_contact_date"] = "P99", pd.NaT
    tables["follow_up"] = conform(pd.concat([fu, e2], ignore_index=True), BY_NAME["follow_up"])
    res = deidentify(Cohort(tables, "x"))
    new = res.key.study_id("P99")
    pt = res.cohort["patients"].set_index("patient_id")
    assert pd.isna(pt.at[new, "diagnosis_date"]) and pt.at[new, "age_at_diagnosis"] == pytest.approx(89.9)
    assert res.key.shift("P99") != 0


def test_far_future_cutoff(tmp_path):
    data = write_hand(tmp_path / "hand")
    f = data / "study.csv"
    f.write_text(f.read_text().replace("2020-06-30", "9999-12-31"), encoding="utf-8")
    c, findings = load_cohort(data)
    res = deidentify(c)
    assert res.cohort["study"].iloc[0]["data_cutoff"] == pd.Timestamp("9999-12-31")
    assert "deaths after the cut-off: alive at the cut-off" not in res.changes
