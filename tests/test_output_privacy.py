"""What leaves mabseq never leaks a patient and cannot run as a formula (issue 12, "Leaks").

Oracles are independent of the code under test: the true birth dates the test itself puts into the cohort (and an
attacker who tries to recover them from the outputs), sentinel strings planted in every free-text column of the
input, and the OWASP rule read back with Python's csv module.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from mabseq.cli import app
from mabseq.cohort.schema import TABLES
from mabseq.cohort.storage import write_parquet_into
from mabseq.studies.twin import load_twin

runner = CliRunner()
ESC = "\x1b[2J\x1b[31m"
LS = "\u2028"
SCRIPT = "<script>alert(1)</script>"
FORMULA_TEXT = '=HYPERLINK("http://evil.example","click")'
# the free-text columns of the input, read from the schema here (strings that are not identifiers)
FREE_TEXT = [(t.name, c.name) for t in TABLES for c in t.columns
             if c.type == "string" and c.name not in ("patient_id", "course_id")]


def sentinel(i: int) -> str:
    return f"ZqSentinel{i:02d}Xq"


def _ts(d: dt.date) -> pd.Timestamp:
    return pd.Timestamp(d)


def hostile_twin():
    """The twin with (1) birth dates instead of ages at diagnosis, (2) the alive patients followed past the
    cut-off (so their last date is the cut-off), (3) in every free-text column, row by row: a sentinel, a
    <script>, a line separator with a formula, an escape sequence. Returns (cohort, true birth dates)."""
    c = load_twin()
    p = c["patients"]
    births = {}
    for i, r in p.iterrows():
        dx = r["diagnosis_date"].date()
        b = dx - dt.timedelta(days=round(float(r["age_at_diagnosis"]) * 365.25) + 17 * (i % 7))
        births[r["patient_id"]] = b
        p.loc[i, "birth_date"] = _ts(b)
    p["age_at_diagnosis"] = pd.array([None] * len(p), dtype="Float64")
    fu = c["follow_up"]
    cut = c.cutoff.date()
    alive = fu["vital_status"] == "alive"
    fu.loc[alive, "last_contact_date"] = _ts(cut + dt.timedelta(days=60))
    for j, (t, col) in enumerate(FREE_TEXT):
        df = c[t]
        if not len(df):
            continue
        variants = [sentinel(j), sentinel(j) + " " + SCRIPT, sentinel(j) + LS + FORMULA_TEXT,
                    sentinel(j) + ESC]
        df[col] = pd.array([variants[k % len(variants)] for k in range(len(df))], dtype="string")
    return c, births


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """The hostile twin in a Parquet folder whose name holds an escape sequence; `mabseq report` on it, and the
    explanation of every patient."""
    base = tmp_path_factory.mktemp("privacy")
    c, births = hostile_twin()
    data = base / ("coh" + ESC + "ort")
    write_parquet_into(c, data)
    out = base / "out"
    r = runner.invoke(app, ["report", str(data), "--out", str(out)])
    assert r.exit_code == 0, r.output
    from mabseq.studies.run import explain_patient, run_study
    run = run_study(data)
    explained = {pid: explain_patient(run, pid) for pid in run.derived.derived}
    return {"data": data, "out": out, "births": births, "stdout": r.output, "explain": explained, "run": run,
            "cutoff": c.cutoff.date()}


def text_outputs(folder: Path) -> dict[str, str]:
    """Every file of an output folder as text (tables.docx: its XML parts; binary figures are left out: they are
    drawn from the same results as the SVGs in report.html)."""
    import zipfile
    out = {}
    for p in sorted(folder.rglob("*")):
        if not p.is_file():
            continue
        rel = str(p.relative_to(folder))
        if p.suffix == ".docx":
            with zipfile.ZipFile(p) as z:
                out[rel] = "\n".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
        elif p.suffix in (".png", ".pdf"):
            continue
        elif p.suffix == ".parquet":  # provenance.parquet: its cells as CSV text
            import pyarrow.parquet as pq
            out[rel] = pq.read_table(p).to_pandas().to_csv(index=False)
        else:
            out[rel] = p.read_text(encoding="utf-8")
    return out


# ---- 1. no birth date follows from an output ------------------------------------------------------------------
_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _precision(text: str) -> float:
    """Years one printed age stands for: '49' a whole year (completed years), '49.8' a tenth, full precision 0."""
    text = text.strip()
    if "." not in text:
        return 1.0
    return 10.0 ** -len(text.split(".")[1])


def _window(anchor: dt.date, age_text: str) -> tuple[float, float]:
    """Birth dates (as ordinals) consistent with an age printed as ``age_text`` at ``anchor``."""
    a, p = float(age_text), _precision(age_text)
    lo_age, hi_age = (a, a + 1.0) if p == 1.0 else (a - p / 2, a + p / 2)
    return anchor.toordinal() - hi_age * 365.25, anchor.toordinal() - lo_age * 365.25


def attack(rows: list[dict], cutoff: dt.date, at_cutoff: set[str]) -> dict[str, tuple[float, float]]:
    """The attack of issue 12, on one patient-level output: a birth date is an age at mAb1 subtracted from the
    mAb1 date, where the mAb1 date is printed (``mab1_start``) or follows from the cut-off and the follow-up of a
    patient followed to the cut-off (cut-off - days from mAb1 to the last date). Other ages with their own date
    (``age_tx`` with ``tx_date``) narrow it. Returns each patient's window of possible birth dates."""
    out = {}
    for r in rows:
        pid = r.get("patient_id")
        anchors = []
        if r.get("mab1_start") and _ISO.match(str(r["mab1_start"])):
            anchors.append(("age_mab1", dt.date.fromisoformat(str(r["mab1_start"]))))
        elif pid in at_cutoff and str(r.get("last_day", "")).strip().lstrip("-").isdigit():
            anchors.append(("age_mab1", cutoff - dt.timedelta(days=int(r["last_day"]))))
        if r.get("tx_date") and _ISO.match(str(r["tx_date"])):
            anchors.append(("age_tx", dt.date.fromisoformat(str(r["tx_date"]))))
        wins = [_window(d, str(r[col])) for col, d in anchors if str(r.get(col, "")).strip() not in ("", "None")]
        if wins:
            out[pid] = (max(w[0] for w in wins), min(w[1] for w in wins))
    return out


def _explain_rows(explained: dict[str, str]) -> list[dict]:
    rows = []
    for pid, text in explained.items():
        r = {"patient_id": pid}
        for line in text.splitlines():
            m = re.match(r"\s+([a-z0-9_]+) = (\S+)", line)
            if m:
                r[m.group(1)] = m.group(2)
        rows.append(r)
    return rows


def _at_cutoff(run, cutoff) -> set[str]:
    """Patients whose last date is the cut-off (found from the cohort, not from the outputs)."""
    fu = run.cohort["follow_up"]
    return {r["patient_id"] for _, r in fu.iterrows()
            if r["vital_status"] == "alive" and r["last_contact_date"].date() >= cutoff}


def test_birth_date_attack_fails_on_adsl_and_explain(hostile):
    """The attacker's best window for each birth date is at least a year wide (ages in completed years, intervals
    instead of calendar dates, one age per patient on the mAb1 timeline), and holds the true birth date."""
    cutoff, births = hostile["cutoff"], hostile["births"]
    at_cut = _at_cutoff(hostile["run"], cutoff)
    assert len(at_cut) >= 3  # the cut-off attack has targets
    adsl = list(csv.DictReader(io.StringIO((hostile["out"] / "adsl.csv").read_text())))
    for name, rows in (("adsl.csv", adsl), ("explain", _explain_rows(hostile["explain"]))):
        wins = attack(rows, cutoff, at_cut)
        assert wins, f"{name}: the attack found no anchor at all (the test would prove nothing)"
        for pid, (lo, hi) in wins.items():
            true = births[pid].toordinal()
            assert lo - 1 <= true <= hi + 1, (name, pid, "the attacker's model is wrong")
            assert hi - lo >= 365, f"{name}: birth date of {pid} narrowed to {hi - lo:.0f} days"


def test_no_exact_age_in_any_output(hostile):
    """No number in any output equals a patient's exact age (days / 365.25) at mAb1, at transplant or at
    diagnosis: the truth is computed from the birth dates the test planted and the dates of the cohort."""
    run = hostile["run"]
    ages = set()
    for pid, d in run.derived.derived.items():
        b = hostile["births"][pid]
        for key in ("mab1_start", "tx_date"):
            when = d.values.get(key)
            if when:
                ages.add((when - b).days / 365.25)
    pt = run.cohort["patients"]
    for _, r in pt.iterrows():
        ages.add((r["diagnosis_date"].date() - hostile["births"][r["patient_id"]]).days / 365.25)
    exact = {round(a, 6) for a in ages if abs(a - round(a, 2)) > 1e-9}  # ages printed at 2 decimals or fewer are
    # not exact; the others must appear nowhere
    number = re.compile(r"-?\d+\.\d{3,}")
    texts = dict(text_outputs(hostile["out"]))
    texts.update({f"explain {p}": t for p, t in hostile["explain"].items()})
    for name, text in texts.items():
        hits = {m.group(0) for m in number.finditer(text) if round(float(m.group(0)), 6) in exact}
        assert not hits, f"{name} holds exact ages {sorted(hits)[:3]}"


def test_patient_level_outputs_hold_no_calendar_date(hostile):
    """adsl.csv, adtte.csv, excluded.csv, the timelines and explain carry intervals, never a calendar date; the
    study-level cut-off is the one date the full report prints."""
    iso = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
    out = hostile["out"]
    for name in ("adsl.csv", "adtte.csv", "excluded.csv"):
        assert not iso.search((out / name).read_text()), name
    body = json.loads((out / "results.json").read_text())
    assert not iso.search(json.dumps(body["timelines"]))
    for pid, text in hostile["explain"].items():
        assert not iso.search(text), (pid, iso.search(text).group(0))
    adsl = pd.read_csv(out / "adsl.csv", dtype=str, keep_default_na=False)
    assert "mab1_start" not in adsl and "age_tx" not in adsl and "tx_day" in adsl and "last_day" in adsl
    assert adsl["age_mab1"].str.fullmatch(r"\d+").all()  # completed years


def test_published_numbers_and_r_check_still_agree_on_the_twin(tmp_path):
    r = runner.invoke(app, ["run", "--out", str(tmp_path / "o")])
    assert r.exit_code == 0, r.output
    assert "match 631" in r.output and "differs 0" not in r.output
    fid = pd.read_csv(tmp_path / "o" / "fidelity.csv", dtype=str, keep_default_na=False)
    assert not (fid["status"] == "differs").any()
    row = fid[fid["id"] == "t3_age_tx_median"].iloc[0]
    assert row["status"] == "match" and row["computed"] == "49.0"  # released in whole years


# ---- 2. free text -------------------------------------------------------------------------------------------------
def test_free_text_sentinels_reach_no_output(hostile):
    """A sentinel in every free-text column of the input appears in no output file and no explanation; the
    allow-listed columns show their vocabulary ('other' for anything outside it)."""
    texts = dict(text_outputs(hostile["out"]))
    texts.update({f"explain {p}": t for p, t in hostile["explain"].items()})
    texts["stdout"] = hostile["stdout"]
    for j, (t, col) in enumerate(FREE_TEXT):
        s = sentinel(j).lower()
        for name, text in texts.items():
            assert s not in text.lower(), f"{t}.{col} reaches {name}"
    from mabseq.results.release import FREE_TEXT_ALLOWED
    adsl = pd.read_csv(hostile["out"] / "adsl.csv", dtype=str, keep_default_na=False)
    for col in FREE_TEXT_ALLOWED:
        vals = set(adsl[col]) - {""}
        assert vals and vals <= {"other"}, (col, vals)
    assert "tx_conditioning_regimen" not in adsl


def test_allow_list_says_why_for_every_column():
    from mabseq.results.release import FREE_TEXT_ALLOWED, FREE_TEXT_DERIVED, FREE_TEXT_INPUT
    assert set(FREE_TEXT_INPUT) == set(FREE_TEXT)
    assert set(FREE_TEXT_ALLOWED) <= set(FREE_TEXT_DERIVED)
    for col, (why, vocab) in FREE_TEXT_ALLOWED.items():
        assert len(why) > 20 and vocab, col
    src = Path(__file__).parent.parent / "src" / "mabseq" / "results" / "release.py"
    text = src.read_text()
    for col in FREE_TEXT_ALLOWED:  # a comment above each entry
        assert re.search(rf"#[^\n]*\n\s*\"{col}\"", text), col


def test_script_and_line_separator_in_free_text_reach_no_output(hostile):
    for name, text in text_outputs(hostile["out"]).items():
        assert "<script" not in text.lower(), name
        assert LS not in text, name
        assert "HYPERLINK" not in text, name


# ---- 4. control characters ----------------------------------------------------------------------------------------
def test_escape_sequences_never_reach_the_terminal_or_the_html(hostile):
    """The folder's name (the source the report prints) and free text hold ESC sequences: the printed summary,
    report.html and every explanation show them as visible text."""
    assert "\x1b" not in hostile["stdout"] and "\\x1b[2J" in hostile["stdout"]
    html = (hostile["out"] / "report.html").read_text()
    assert "\x1b" not in html and "\\x1b[2J" in html
    for text in hostile["explain"].values():
        assert "\x1b" not in text and LS not in text


def test_explain_command_escapes_an_id_with_control_characters(tmp_path):
    c = load_twin()
    for t in c.tables.values():
        if "patient_id" in t and len(t):
            t["patient_id"] = t["patient_id"].replace({"T03": "T03\x1b]0;owned\x07"})
    write_parquet_into(c, tmp_path / "d")
    r = runner.invoke(app, ["explain", str(tmp_path / "d"), "--patient", "T03\x1b]0;owned\x07"])
    assert r.exit_code == 0, r.output
    assert "\x1b" not in r.output and "\x07" not in r.output and "\\x1b]0;owned\\x07" in r.output


def test_header_with_escape_sequence_is_escaped_in_report_and_findings(tmp_path):
    """A column header holding ``ESC[2J`` (an unknown column: a warning) shows as text in report.html.
    (Already so at 7899fe6, where the findings text escapes control characters: kept as a regression test.)"""
    from mabseq.studies.twin import twin_folder
    d = tmp_path / "d"
    shutil.copytree(twin_folder(), d)
    p = pd.read_csv(d / "patients.csv", dtype=str, keep_default_na=False)
    p["\x1b[2Jevil"] = "1"
    p.to_csv(d / "patients.csv", index=False)
    from mabseq.render.html import render_html
    from mabseq.studies.run import output_files, run_study
    run = run_study(d)
    files = output_files(run)
    html = render_html(run.results, fidelity=run.results.meta["_fidelity_table"])
    assert "\x1b" not in html and "\\x1b[2Jevil" in html
    assert "\x1b" not in files["findings.json"] and "\x1b" not in files["summary.txt"]


def test_docx_holds_control_characters_as_text():
    """python-docx refuses control characters (not XML): a table label with one is written escaped."""
    from mabseq.render.docx import docx_bytes
    from mabseq.studies.run import run_study
    run = run_study()
    run.results.tables["table1"].rows[0]["label"] = "Age\x1b[31m" + LS
    data = docx_bytes(run.results)
    import zipfile
    xml = zipfile.ZipFile(io.BytesIO(data)).read("word/document.xml").decode()
    assert "Age\\x1b[31m\\u2028" in xml
    assert "dcterms:created" not in zipfile.ZipFile(io.BytesIO(data)).read("docProps/core.xml").decode()


# ---- 3. formula injection ---------------------------------------------------------------------------------------
HOSTILE_IDS = {"T01": "=1+1", "T02": "-P01", "T03": "@x", "T04": "+cmd|' /C calc'!A0", "T05": "=HYPERLINK(\"h\")",
               "T06": "-2+3"}


@pytest.fixture(scope="module")
def formula_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("formula")
    c = load_twin()
    for t in c.tables.values():
        if "patient_id" in t and len(t):
            t["patient_id"] = t["patient_id"].replace(HOSTILE_IDS)
    c["transplants"]["conditioning_agents"] = pd.array(
        ["=cmd|'/C calc'!A0;busulfan"] * len(c["transplants"]), dtype="string")
    write_parquet_into(c, base / "d")
    out = base / "out"
    r = runner.invoke(app, ["run", str(base / "d"), "--out", str(out), "--quiet"])
    assert r.exit_code == 0, r.output
    return out


def _formula_cells(text: str) -> list[str]:
    bad = []
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            if cell.startswith(("=", "+", "-", "@", "\t", "\r")):
                try:
                    float(cell)  # a number is not a formula
                except ValueError:
                    bad.append(cell)
    return bad


def test_no_csv_cell_can_run_as_a_formula(formula_run):
    files = sorted(formula_run.glob("*.csv"))
    assert {f.name for f in files} >= {"results.csv", "adsl.csv", "adtte.csv", "excluded.csv", "fidelity.csv",
                                       "r_checks.csv"}
    for f in files:
        assert _formula_cells(f.read_text()) == [], f.name
    adsl = pd.read_csv(formula_run / "adsl.csv", dtype=str, keep_default_na=False)
    assert set(HOSTILE_IDS.values()) <= {v[1:] for v in adsl["patient_id"] if v.startswith("'")}
    assert set(adsl.loc[adsl["tx_conditioning_agents"] != "", "tx_conditioning_agents"]) == {"other;busulfan"}


@pytest.mark.parametrize("pid", sorted(HOSTILE_IDS.values()))
def test_hostile_id_is_neutralised_in_every_patient_file(formula_run, pid):
    """Each hostile id is written with a leading quote wherever it appears (and nowhere raw). r_checks.csv holds
    no patient at all: the R check forms its groups from their definitions on adsl.csv."""
    for name in ("adsl.csv", "adtte.csv", "r_checks.csv", "results.csv"):
        cells = [c for row in csv.reader(io.StringIO((formula_run / name).read_text())) for c in row]
        assert not any(c == pid or c.startswith(pid + ";") for c in cells), name
        if name not in ("results.csv", "r_checks.csv"):
            assert "'" + pid in cells, name
        if name == "r_checks.csv":
            assert not any(pid in c for c in cells), name


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not installed")
def test_r_check_agrees_with_formula_ids(formula_run):
    """R reads the neutralised ids consistently in adtte.csv and r_checks.csv and recomputes every value."""
    r = subprocess.run(["Rscript", "check_in_R.R"], cwd=formula_run, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert " 0 differ" in r.stdout


def test_survival_command_csvs_are_formula_safe(tmp_path):
    src = tmp_path / "s.csv"
    src.write_text('time,event,arm\n10,1,=HYPERLINK("x")\n20,0,=HYPERLINK("x")\n30,1,@B\n40,1,@B\n')
    r = runner.invoke(app, ["survival", str(src), "--time", "time", "--event", "event", "--group", "arm",
                            "--out", str(tmp_path / "o"), "--quiet"])
    assert r.exit_code == 0, r.output
    for f in (tmp_path / "o").glob("*.csv"):
        assert _formula_cells(f.read_text()) == [], f.name


# ---- explain of an excluded patient, min-cell option checks ----------------------------------------------------------
def test_explain_of_excluded_patients_counts_days_from_diagnosis(tmp_path):
    """Excluded before mAb1 is set: the explanation counts days from diagnosis and gives the age in completed
    years ('mAb1 started 2013-...; enrollment ...' and 'age 6.4 at mAb1' today)."""
    from mabseq.studies.run import explain_patient, run_study
    twin = run_study()
    first = min(twin.derived.adsl["mab1_start"])
    early = twin.derived.adsl.loc[twin.derived.adsl["mab1_start"] == first, "patient_id"].iloc[0]
    c = load_twin()
    c["study"].loc[0, "enrollment_start"] = _ts(first + dt.timedelta(days=1))
    young = "T07" if early != "T07" else "T08"
    c["patients"].loc[c["patients"]["patient_id"] == young, "age_at_diagnosis"] = 5.0
    write_parquet_into(c, tmp_path / "d")
    run = run_study(tmp_path / "d")
    text = explain_patient(run, early)
    assert "excluded: mAb1 outside the enrollment period" in text
    assert "days from diagnosis" in text and "mAb1 started diagnosis day" in text
    assert not re.search(r"\d{4}-\d{2}-\d{2}", text)
    text = explain_patient(run, young)
    assert "younger than 15" in text and re.search(r"age \d+ at mAb1", text) and not re.search(r"age \d+\.", text)


@pytest.mark.parametrize("k", ["0", "-3"])
def test_min_cell_below_one_is_refused(tmp_path, k):
    r = runner.invoke(app, ["run", "--min-cell", k, "--out", str(tmp_path / "o")])
    assert r.exit_code == 2 and "at least 1" in r.output
    assert not (tmp_path / "o").exists()


def test_completed_years_and_day_names():
    from mabseq.results.release import completed_years, day_name, release_text
    assert [completed_years(x) for x in (49.99, 50.0, 15.0 - 1e-12, None, math.nan)] == [49, 50, 15, None, None]
    assert day_name("event1_date") == "event1_day" and day_name("mab2_start") == "mab2_start_day"
    assert release_text("from 2018-01-10 to 2018-02-07, age 14.93 <", dt.date(2018, 1, 10)) == \
        "from day 0 to day 28, age 14 <"


# ---- found while testing: a figure worker killed from outside hung `mabseq report` for ever ------------------------
def test_report_does_not_hang_when_a_figure_worker_dies():
    """``Pool.map_async`` waits for ever for the task of a worker the kernel killed (seen here under memory
    pressure from other processes): the figures are then drawn in the main process."""
    import multiprocessing as mp

    from mabseq.render import report

    class Never:
        def get(self, timeout=None):
            raise mp.TimeoutError

    class Dead:
        exitcode = -9

    calls = []
    orig = report._figure_task
    report._figure_task = lambda a: calls.append(a) or {"figures/x.png": b"x"}
    try:
        got = report._Pending(Never(), None, [Dead()], [("t", b"", ("curve", "c", 8.0))]).get()
    finally:
        report._figure_task = orig
    assert got == [{"figures/x.png": b"x"}] and len(calls) == 1
