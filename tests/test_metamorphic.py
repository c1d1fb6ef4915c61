"""Metamorphic tests of the paper preset (issue 14): transformations of a cohort that the analysis plan makes
irrelevant must leave every result unchanged, and dropping an optional column may only make values unknown.

The oracle is the same pipeline on the untransformed cohort, so no value is typed in; what is checked is a
property the plan states. Cohorts: the bundled twin (29 patients) and a synthetic cohort (``synth.synthesize``,
60 patients, seed 7). Each variant is run once (module-scoped fixtures); the whole file takes well under 60 s.

Properties:
(a) shuffling the rows of every table (in memory, without the loader's re-sorting; and through CSV files and the
    loader, byte for byte);
(b) renaming every patient id by a bijection (results compared after mapping the ids back);
(c) shifting every date of every patient and of the study (cut-off, enrollment) by one constant; and shifting each
    patient whose records all lie before the cut-off earlier by a patient-specific constant that keeps mAb1 in the
    enrollment period (SD 1.5: whole calendar days between dates; nothing depends on the calendar);
(d) adding irrelevant rows: an AML patient (excluded as not B-ALL) and, for every included patient, toxicity
    records dated before mAb1, outside every attribution window (SD 2.9): only the exclusion counts change, by
    exactly the added patient;
(e) dropping one optional column at a time (all values missing, as the loader gives a column the center does not
    have): every per-patient derived value stays or becomes unknown; none moves to another known value (a yes or
    unknown never becomes a no).
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import math

import numpy as np
import pandas as pd
import pytest

from mabseq.cohort.model import Cohort
from mabseq.cohort.schema import TABLES
from mabseq.derive import derive_cohort
from mabseq.results.completeness import add_completeness
from mabseq.studies import paper
from mabseq.studies.synth import synthesize
from mabseq.studies.twin import load_twin

N_SYNTH = 60  # synthetic patients (seed 7): enough to fill every population, small enough to stay fast
DATE_COLS = {t.name: [c.name for c in t.columns if c.type == "date"] for t in TABLES}


# ---- running the preset and comparing its results ---------------------------------------------------------------
def run_paper(cohort: Cohort):
    res, dc = paper.run(cohort, synthetic=True, source="metamorphic")
    add_completeness(res, dc.adsl, dc.cutoff)
    return res, dc


def _norm(x, ids: dict[str, str], pids: frozenset):
    """``x`` (results.json as a dict) with patient ids mapped through ``ids`` and lists of patients (and of
    per-patient rows) sorted, so that an order that follows the ids or the rows does not count as a difference."""
    if isinstance(x, str):
        return ids.get(x, x)
    if isinstance(x, dict):
        return {k: _norm(v, ids, pids) for k, v in x.items()}
    if isinstance(x, (list, tuple)):
        out = [_norm(v, ids, pids) for v in x]
        if out and all(isinstance(v, str) and v in pids for v in out):
            return sorted(out)
        if out and all(isinstance(v, dict) and "patient_id" in v for v in out):
            return sorted(out, key=lambda d: json.dumps(d, sort_keys=True, default=str))
        return out
    if isinstance(x, float) and not math.isfinite(x):
        return None
    return x


def results_view(res, ids: dict[str, str] | None = None) -> dict:
    d = json.loads(res.to_json())
    d.pop("source", None)
    # the patients behind each record and box (provenance.parquet, not results.json) belong to the view too
    for r in d["records"]:
        r["patients"] = list(res.records[r["id"]].patients)
    for b, orig in zip(d["flow"]["boxes"], res.flow.boxes):
        if "patients" in orig:
            b["patients"] = list(orig["patients"])
    ids = ids or {}
    pids = frozenset(res.flow.excluded and [e["patient_id"] for e in res.flow.excluded] or []) | \
        frozenset(p for r in res.records.values() for p in r.patients) | frozenset(ids.values())
    return _norm(d, ids, pids | frozenset(ids))


def diff_records(a: dict, b: dict) -> dict[str, tuple]:
    """{record id: (value in a, value in b)} for every record that differs in any field."""
    ra = {r["id"]: r for r in a["records"]}
    rb = {r["id"]: r for r in b["records"]}
    out = {}
    for k in sorted(set(ra) | set(rb)):
        if ra.get(k) != rb.get(k):
            out[k] = ((ra.get(k) or {}).get("value"), (rb.get(k) or {}).get("value"))
    return out


def assert_same_results(base: dict, other: dict, *, calendar_meta: bool = True) -> None:
    """Every record, curve, table, flow box, text, timeline and R check equal; ``meta`` too, except (when
    ``calendar_meta`` is False) the cut-off date, which a calendar shift moves by design."""
    d = diff_records(base, other)
    assert not d, f"{len(d)} records differ, e.g. {dict(list(d.items())[:8])}"
    for part in ("curves", "flow", "tables", "text", "timelines", "r_checks"):
        assert base[part] == other[part], f"{part} differs"
    skip = set() if calendar_meta else {"cutoff"}
    assert {k: v for k, v in base["meta"].items() if k not in skip} == \
        {k: v for k, v in other["meta"].items() if k not in skip}


# ---- the transformations -------------------------------------------------------------------------------------------
def copy_cohort(c: Cohort) -> Cohort:
    return Cohort({k: v.copy() for k, v in c.tables.items()}, c.source)


def shuffled(c: Cohort, seed: int = 11) -> Cohort:
    rng = np.random.default_rng(seed)
    return Cohort({k: v.iloc[rng.permutation(len(v))].reset_index(drop=True) for k, v in c.tables.items()},
                  c.source)


def renamed(c: Cohort) -> tuple[Cohort, dict[str, str]]:
    """Every patient id replaced by another (a bijection that reverses the order of the ids); returns the map back
    from new id to old."""
    old = list(c["patients"]["patient_id"])
    new = {p: f"R{len(old) - i:04d}x" for i, p in enumerate(old)}
    out = copy_cohort(c)
    for name, df in out.tables.items():
        if "patient_id" in df.columns:
            df["patient_id"] = df["patient_id"].map(lambda p: new.get(p, p)).astype("string")
    return out, {v: k for k, v in new.items()}


def shifted_all(c: Cohort, days: int) -> Cohort:
    out = copy_cohort(c)
    delta = pd.Timedelta(days=days)
    for name, df in out.tables.items():
        for col in DATE_COLS[name]:
            df[col] = df[col] + delta
    return out


def shifted_per_patient(c: Cohort) -> tuple[Cohort, list[str]]:
    """Each patient whose every date lies on or before the cut-off moved earlier by 7, 14, ... 35 days, when mAb1
    stays inside the enrollment period."""
    cut = pd.Timestamp(c.cutoff)
    enrol = pd.Timestamp(c["study"]["enrollment_start"].iloc[0])
    last = {}
    for name, df in c.tables.items():
        if "patient_id" not in df.columns or name == "study":
            continue
        for col in DATE_COLS[name]:
            m = df.groupby("patient_id")[col].max()
            for p, v in m.items():
                if pd.notna(v):
                    last[p] = max(last.get(p, v), v)
    th = c["therapies"]
    first_mab = th[th["therapy_class"].isin(["blinatumomab", "inotuzumab"])].groupby("patient_id")["start_date"].min()
    moves = {}
    for i, p in enumerate(c["patients"]["patient_id"]):
        k = 7 * (i % 5 + 1)
        if p in last and last[p] <= cut and p in first_mab and first_mab[p] - pd.Timedelta(days=k) >= enrol:
            moves[p] = pd.Timedelta(days=-k)
    out = copy_cohort(c)
    for name, df in out.tables.items():
        if "patient_id" not in df.columns or name == "study":
            continue
        delta = df["patient_id"].map(lambda p: moves.get(p, pd.Timedelta(0)))
        for col in DATE_COLS[name]:
            df[col] = (df[col] + pd.to_timedelta(delta.values)).astype(df[col].dtype)
    return out, sorted(moves)


def with_irrelevant_rows(c: Cohort, dc) -> Cohort:
    """An AML patient (a copy of the first included patient's rows under a new id), and for every included
    patient a toxicity observation (ALT 10x ULN, bilirubin 5x ULN, skin stage 3) and toxicity episodes (CRS
    grade 3, transaminitis grade 3, SOS) 20 days before the first dose of mAb1: before every attribution window."""
    out = copy_cohort(c)
    src = dc.adsl["patient_id"].iloc[0]
    for name, df in c.tables.items():
        if "patient_id" in df.columns:
            extra = df[df["patient_id"] == src].copy()
            extra["patient_id"] = "ZZ-AML"
            if name == "patients":
                extra["diagnosis"] = "aml"
            out.tables[name] = pd.concat([out.tables[name], extra], ignore_index=True)
    obs, eps = [], []
    for pid, m1 in zip(dc.adsl["patient_id"], dc.adsl["mab1_start"]):
        day = pd.Timestamp(m1) - pd.Timedelta(days=20)
        obs.append({"patient_id": pid, "observation_date": day, "alt": 400.0, "alt_uln": 40.0, "ast": 400.0,
                    "ast_uln": 40.0, "bilirubin": 5.0, "bilirubin_uln": 1.0, "skin_stage": 3})
        for kind, grade in (("crs", 3), ("transaminitis", 3), ("sos", None)):
            eps.append({"patient_id": pid, "toxicity": kind, "onset_date": day, "grade": grade})
    for name, rows in (("toxicity_observations", obs), ("toxicity_episodes", eps)):
        add = pd.DataFrame(rows).astype({k: out.tables[name][k].dtype for k in rows[0]})
        out.tables[name] = pd.concat([out.tables[name], add], ignore_index=True)
    return out


# ---- fixtures: each cohort and its baseline run once ---------------------------------------------------------------
@pytest.fixture(scope="module", params=["twin", "synth"])
def case(request):
    c = load_twin() if request.param == "twin" else synthesize(N_SYNTH, 7)
    res, dc = run_paper(c)
    return request.param, c, results_view(res), dc


def test_a_shuffled_rows_give_the_same_results(case):
    _, c, base, _ = case
    res, _ = run_paper(shuffled(c))
    assert_same_results(base, results_view(res))


def test_a_shuffled_csv_files_give_byte_identical_results(tmp_path):
    # through the files and the loader (what a center does when it sorts its sheets differently)
    from mabseq.studies.run import output_files, run_study
    from mabseq.studies.twin import twin_folder
    rng = np.random.default_rng(5)
    for f in sorted(twin_folder().glob("*.csv")):
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        df.iloc[rng.permutation(len(df))].to_csv(tmp_path / f.name, index=False, lineterminator="\n")
    a = output_files(run_study(twin_folder()))
    b = output_files(run_study(tmp_path))
    for name in ("adsl.csv", "adtte.csv", "excluded.csv", "fidelity.csv", "r_checks.csv"):
        assert a[name] == b[name], name
    # results.json: byte-identical but for the hash of the input files, which do differ
    ja, jb = json.loads(a["results.json"]), json.loads(b["results.json"])
    assert ja["meta"].pop("input_hash") != jb["meta"].pop("input_hash")
    assert (ja.pop("source"), jb.pop("source")) == ("twin", tmp_path.name)  # the folder's name
    assert json.dumps(ja, sort_keys=True) == json.dumps(jb, sort_keys=True)


def test_b_renamed_ids_give_the_same_results(case):
    _, c, base, _ = case
    r, back = renamed(c)
    res, _ = run_paper(r)
    assert_same_results(base, results_view(res, back))


def test_c_every_date_shifted_by_a_constant_gives_the_same_results(case):
    # 1000 days later: crosses leap days (e.g. 2020-02-29 for the cut-off's distance) and calendar years
    _, c, base, _ = case
    res, _ = run_paper(shifted_all(c, 1000))
    other = results_view(res)
    assert other["meta"]["cutoff"] == str(c.cutoff.date() + dt.timedelta(days=1000))
    assert_same_results(base, other, calendar_meta=False)


def test_c_each_patient_shifted_earlier_gives_the_same_results(case):
    _, c, base, _ = case
    s, moved = shifted_per_patient(c)
    assert len(moved) >= len(c["patients"]) // 3  # the property is exercised on many patients
    res, _ = run_paper(s)
    other = results_view(res)
    # Clark's follow-up completeness is observed / potential follow-up up to the cut-off: moving a patient away
    # from the cut-off raises the potential follow-up, so it must move (and down); everything else is unchanged
    key = "dq_followup_completeness_pct"
    a, b = (next(r["value"] for r in x["records"] if r["id"] == key) for x in (base, other))
    assert b < a
    base, other = ({**x, "records": [r for r in x["records"] if r["id"] != key]} for x in (base, other))
    assert_same_results(base, other)


def test_d_irrelevant_rows_change_only_the_exclusion_counts(case):
    _, c, base, dc = case
    base = copy.deepcopy(base)  # the fixture's view is shared with the other tests
    res, dc2 = run_paper(with_irrelevant_rows(c, dc))
    other = results_view(res)
    assert list(dc2.excluded["patient_id"]) == list(dc.excluded["patient_id"]) + ["ZZ-AML"]
    assert dc2.excluded.set_index("patient_id").loc["ZZ-AML", "reason"] == "not B-ALL"
    d = diff_records(base, other)
    # records that count patients before inclusion (screened / excluded) may move, each by exactly 1
    assert all(isinstance(a, int) and b == a + 1 for a, b in d.values()), d
    for part in ("curves", "tables", "text", "timelines", "r_checks"):
        assert base[part] == other[part], f"{part} differs"
    # the flow: a box that changes (the screened box, an exclusion box) gains exactly the added patient
    bb = {b["id"]: b for b in base["flow"]["boxes"]}
    ob = {b["id"]: b for b in other["flow"]["boxes"]}
    assert set(bb) <= set(ob)
    changed = [k for k in ob if bb.get(k) != ob[k]]
    assert changed, "the screened count did not change"
    for k in changed:
        old = bb.get(k, {"n": 0, "patients": []})
        assert ob[k]["n"] == old["n"] + 1 and sorted(ob[k]["patients"]) == sorted(old["patients"] + ["ZZ-AML"]), k
    assert other["flow"]["excluded"] == base["flow"]["excluded"] + [{"patient_id": "ZZ-AML", "reason": "not B-ALL"}]
    assert set(map(tuple, base["flow"]["edges"])) <= set(map(tuple, other["flow"]["edges"]))
    assert other["meta"].pop("n_excluded") == base["meta"].pop("n_excluded") + 1
    assert other["meta"] == base["meta"]
    pd.testing.assert_frame_equal(dc.adsl, dc2.adsl)
    pd.testing.assert_frame_equal(dc.adtte, dc2.adtte)


# ---- (e) dropping one optional column: values move only to unknown ------------------------------------------------
MISSING_WORDS = {"unknown", "missing", "ungraded"}


def _missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    return isinstance(v, str) and v in MISSING_WORDS


def _plain(v):
    return v.item() if isinstance(v, np.generic) else v


def _same_or_unknown(u, v) -> bool:
    if isinstance(u, tuple) and isinstance(v, tuple) and len(u) == len(v):
        return all(_same_or_unknown(p, q) for p, q in zip(u, v))
    return v is None or u == v


def _moved_to_known(before: pd.DataFrame, after: pd.DataFrame, excluded_after: pd.DataFrame) -> list[str]:
    """(patient, variable, before -> after) for every derived value that changed into another known value. A
    patient no longer included is allowed only when excluded for an unknown input (e.g. "age unknown")."""
    bad = []
    a = {r["patient_id"]: r for r in after.to_dict("records")}
    exc = dict(zip(excluded_after["patient_id"], excluded_after["reason"]))
    for rb in before.to_dict("records"):
        p = rb["patient_id"]
        if p not in a:
            if "unknown" not in str(exc.get(p, "")):
                bad.append(f"{p}: excluded ({exc.get(p)})")
            continue
        for col, x in rb.items():
            if col.endswith("_missing") or col.endswith("_source"):  # a flag saying an input is missing may turn
                continue                                               # on; a note of where a value came from moves
            x, y = _plain(x), _plain(a[p].get(col))
            if str(a[p].get(f"{col}_source") or "").startswith("derived"):
                continue  # a flagged fallback of the plan took over from the dropped recorded value (SD 2.7)
            if col.endswith("_undated") and y is True:  # a grade still known, its date no longer: towards unknown
                continue
            if _missing(y):
                continue
            if isinstance(x, (list, tuple)) or isinstance(y, (list, tuple)):
                # element by element: an element (or a field of a tuple element) may move to None (unknown)
                same = isinstance(x, (list, tuple)) and isinstance(y, (list, tuple)) and len(x) == len(y) and \
                    all(_same_or_unknown(u, v) for u, v in zip(x, y))
            else:
                same = (not _missing(x)) and x == y
            if not same:
                bad.append(f"{p}.{col}: {x!r} -> {y!r}")
    return bad


def dropped(c: Cohort, table: str, column: str) -> Cohort:
    out = copy_cohort(c)
    df = out.tables[table]
    df[column] = pd.Series([None] * len(df), dtype=df[column].dtype)
    return out


OPTIONAL = [(t.name, col.name) for t in TABLES if t.name != "study" for col in t.columns
            if not col.required and col.name not in t.key]

@pytest.fixture(scope="module")
def twin_base():
    c = load_twin()
    return c, derive_cohort(c)


@pytest.mark.parametrize("table, column", OPTIONAL)
def test_e_dropping_an_optional_column_moves_values_only_to_unknown_twin(twin_base, table, column):
    c, dc = twin_base
    if c[table][column].isna().all():
        pytest.skip(f"{table}.{column} is empty in the twin")
    dc2 = derive_cohort(dropped(c, table, column))
    bad = _moved_to_known(dc.adsl, dc2.adsl, dc2.excluded)
    assert not bad, f"{len(bad)} values moved to a known value, e.g. {bad[:10]}"


SYNTH_DROPS = [("assessments", "pb_blasts"), ("assessments", "mrd_value"), ("assessments", "cd19_call"),
               ("therapies", "disease_state_at_start"), ("patients", "cytogenetic_risk_recorded"),
               ("assessments", "emd_present"), ("toxicity_episodes", "grade"), ("follow_up", "death_cause")]


@pytest.fixture(scope="module")
def synth_base():
    c = synthesize(N_SYNTH, 7)
    return c, derive_cohort(c)


@pytest.mark.parametrize("table, column", SYNTH_DROPS)
def test_e_dropping_an_optional_column_moves_values_only_to_unknown_synth(synth_base, table, column):
    c, dc = synth_base
    dc2 = derive_cohort(dropped(c, table, column))
    bad = _moved_to_known(dc.adsl, dc2.adsl, dc2.excluded)
    assert not bad, f"{len(bad)} values moved to a known value, e.g. {bad[:10]}"


def test_e_the_check_can_fail():
    # the comparison itself: a CR that becomes 'nr' and a True that becomes False are reported; a value that
    # becomes None or 'unknown' is not
    before = pd.DataFrame({"patient_id": ["A", "B", "C"], "resp": ["cr", "cr", None], "tx": [True, True, None]})
    after = pd.DataFrame({"patient_id": ["A", "B", "C"], "resp": ["nr", None, "unknown"], "tx": [False, True, False]})
    assert _moved_to_known(before, after, pd.DataFrame(columns=["patient_id", "reason"])) == [
        "A.resp: 'cr' -> 'nr'", "A.tx: True -> False", "C.tx: None -> False"]
    # a value the plan's flagged fallback derived (its _source says so) may differ from the recorded one it replaces
    after["resp_source"] = ["derived: fallback", None, None]
    assert _moved_to_known(before, after, pd.DataFrame(columns=["patient_id", "reason"])) == [
        "A.tx: True -> False", "C.tx: None -> False"]


def test_the_results_comparison_can_fail(case):
    # the oracle of (a)-(d): one record changed, or one curve step, is reported
    _, _, base, _ = case
    other = copy.deepcopy(base)
    rec = next(r for r in other["records"] if isinstance(r["value"], int) and not isinstance(r["value"], bool))
    rec["value"] += 1
    assert diff_records(base, other) == {rec["id"]: (rec["value"] - 1, rec["value"])}
    other = copy.deepcopy(base)
    other["curves"][0]["steps"][0]["n_risk"] += 1
    with pytest.raises(AssertionError, match="curves differs"):
        assert_same_results(base, other)


@pytest.fixture(scope="module")
def corpus_base():
    # the hand-made example cohort fills columns the twin leaves empty (karyotype, modal number, t(8;14), MFIs)
    from pathlib import Path

    from mabseq.cohort import load_cohort
    c, findings = load_cohort(Path(__file__).parent / "cohort_corpus" / "valid")
    assert not findings.errors
    return c, derive_cohort(c)


@pytest.mark.parametrize("table, column", OPTIONAL)
def test_e_dropping_an_optional_column_moves_values_only_to_unknown_corpus(corpus_base, table, column):
    c, dc = corpus_base
    if c[table][column].isna().all():
        pytest.skip(f"{table}.{column} is empty in the example cohort")
    dc2 = derive_cohort(dropped(c, table, column))
    bad = _moved_to_known(dc.adsl, dc2.adsl, dc2.excluded)
    assert not bad, f"{len(bad)} values moved to a known value, e.g. {bad[:10]}"


# ---- every value a rule leaves unknown is counted, under a label (issue 14: "counted per variable") ---------------
# Columns that copy one input through unchanged (their missing values are the input's own, shown as "Unknown" in
# the tables) or follow a parent variable that carries the finding (the date or MRD status of a response that is
# unknown), so a move to None there needs no finding of its own. Every other derived value that a dropped column
# turns into None must come with a finding naming the rule and the input.
PASS_THROUGH = {"blasts_mab1", "blina_cycles", "ino_cycles", "cyto_risk", "engraft_days",
                *(f"tx_{c}" for c in ("busulfan_dose", "cd34_dose", "conditioning_agents", "conditioning_intensity",
                                      "conditioning_regimen", "donor_sex", "ex_vivo_tcd", "gvhd_prophylaxis",
                                      "hla_matched", "hla_typed", "melphalan_dose", "tbi_dose", "thiotepa_dose")),
                "agvhd_skin_stage", "agvhd_liver_stage", "agvhd_lower_gi_stage", "agvhd_grade_from_stages"}
CHILD_OF = {"mrd_mab1": "resp_mab1", "resp_mab1_date": "resp_mab1", "mrd_mab2": "resp_mab2",
            "resp_mab2_date": "resp_mab2", "cd19_event1_status": "cd19_event1", "cd22_event1_status": "cd22_event1",
            "retreat_cr_days": "salvage_cr", "salvage_cr_date": "salvage_cr", "agvhd_ge2_date": "agvhd_ge2", "agvhd_ge3_date": "agvhd_ge3"}


def _silent_unknowns(dc, dc2) -> list[str]:
    unk = set(zip(dc2.unknowns["patient_id"], dc2.unknowns["variable"]))
    after = {r["patient_id"]: r for r in dc2.adsl.to_dict("records")}
    bad = []
    for rb in dc.adsl.to_dict("records"):
        p = rb["patient_id"]
        if p not in after:
            continue
        for col, x in rb.items():
            if col.endswith(("_source", "_missing", "_undated")) or col in PASS_THROUGH:
                continue
            if _missing(_plain(x)) or not _missing(_plain(after[p].get(col))):
                continue
            parent = CHILD_OF.get(col)
            # a child whose parent is unknown (with its finding) or is no longer a response (an unknown MRD
            # conversion makes 'cr' -> None; a date of a response that is now unknown)
            if col.endswith("_date") and after[p].get(col.replace("_date", "_undated")) is True:
                continue  # the grade is known, its date no longer: the _undated flag says so (agvhd.py)
            if (p, col) in unk or (parent and ((p, parent) in unk or _missing(_plain(after[p].get(parent))))):
                continue
            bad.append(f"{p}.{col}: {x!r} -> None")
    return bad


@pytest.mark.parametrize("table, column", OPTIONAL)
def test_every_value_turned_unknown_is_counted_twin(twin_base, table, column):
    from mabseq.results.completeness import UNKNOWN_LABELS, VARIABLES
    c, dc = twin_base
    if c[table][column].isna().all():
        pytest.skip(f"{table}.{column} is empty in the twin")
    dc2 = derive_cohort(dropped(c, table, column))
    bad = _silent_unknowns(dc, dc2)
    assert not bad, f"{len(bad)} values became unknown without a finding, e.g. {bad[:10]}"
    labels = {**dict(VARIABLES), **UNKNOWN_LABELS}
    unlabelled = sorted(set(dc2.unknowns["variable"]) - set(labels))
    assert not unlabelled, f"unknowns without a label in the data-completeness section: {unlabelled}"


def test_silent_unknown_check_can_fail():
    # a value that turns None with no finding is reported; with a finding it is not
    class DC:  # the two attributes the check reads
        def __init__(self, adsl, unknowns):
            self.adsl, self.unknowns = adsl, unknowns
    none = pd.DataFrame(columns=["patient_id", "variable", "rule", "input"])
    before = DC(pd.DataFrame({"patient_id": ["A"], "site_event1": ["marrow"]}), none)
    after = DC(pd.DataFrame({"patient_id": ["A"], "site_event1": [None]}), none)
    assert _silent_unknowns(before, after) == ["A.site_event1: 'marrow' -> None"]
    after.unknowns = pd.DataFrame([{"patient_id": "A", "variable": "site_event1", "rule": "r", "input": "site"}])
    assert _silent_unknowns(before, after) == []
