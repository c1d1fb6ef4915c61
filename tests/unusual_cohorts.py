"""Valid but unusual cohorts, made from the bundled twin (29 patients) by one change each.

Every cohort here passes validation (no error findings); each is a situation a real center can meet (no transplant
yet, nobody dead yet, every patient transplanted, a far-future cut-off, no flow cytometry, ...). ``CASES`` maps a
name to a function that edits the twin's tables in place; :func:`write_cohort` writes one as a CSV folder.

The tables are read as text (``dtype=str``, blanks kept as ''), so a case changes only what it names and the CSV
written back is the twin's byte for byte elsewhere. The helpers compute what a case needs (each patient's mAb1 and
mAb2 start, the transplants after mAb2) from the raw tables by the plan's rule (mAb1 = the first antibody course
for R/R disease, mAb2 = the first course of the other antibody after it), not through mabseq's derivations, so the
tests' hand-worked expectations do not lean on the code under test.
"""
from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Callable

import pandas as pd

from mabseq.studies.twin import twin_folder

TABLES = ("study", "patients", "therapies", "doses", "assessments", "transplants", "toxicity_episodes",
          "toxicity_observations", "disease_events", "follow_up")
DATE_COLUMNS = {"therapies": ("start_date", "end_date"), "doses": ("dose_date",),
                "assessments": ("assessment_date",), "transplants": ("transplant_date", "conditioning_start_date",
                                                                      "anc_engraftment_date"),
                "toxicity_episodes": ("onset_date", "resolution_date"),
                "toxicity_observations": ("observation_date",), "disease_events": ("event_date",)}
MABS = ("blinatumomab", "inotuzumab")

Tables = dict[str, pd.DataFrame]


def twin_tables() -> Tables:
    return {t: pd.read_csv(twin_folder() / f"{t}.csv", dtype=str, keep_default_na=False) for t in TABLES}


def _date(s: str) -> dt.date:
    return dt.date.fromisoformat(s)


def mab_starts(t: Tables) -> dict[str, dict]:
    """Per patient: mAb1 agent, mAb1 start and mAb2 start (dates), by the plan's rule from the therapies table."""
    out = {}
    th = t["therapies"]
    for pid, g in th[th["therapy_class"].isin(MABS) & (th["intent"] != "frontline")].groupby("patient_id"):
        g = g.assign(_d=g["start_date"].map(_date)).sort_values(["_d", "course_id"])
        first = g.iloc[0]
        other = g[(g["therapy_class"] != first["therapy_class"]) & (g["_d"] >= first["_d"])]
        if len(other):
            out[pid] = {"agent1": first["therapy_class"], "mab1": first["_d"], "mab2": other.iloc[0]["_d"],
                        "mab2_course": other.iloc[0]["course_id"], "mab1_course": first["course_id"]}
    return out


def transplanted_after_mab2(t: Tables) -> list[str]:
    """Patients with a transplant after the start of mAb2, on or before the cut-off."""
    starts = mab_starts(t)
    cut = _date(t["study"]["data_cutoff"].iloc[0])
    tx = t["transplants"]
    return sorted({r.patient_id for r in tx.itertuples() if r.patient_id in starts
                   and starts[r.patient_id]["mab2"] < _date(r.transplant_date) <= cut})


def keep_patients(t: Tables, ids) -> None:
    ids = set(ids)
    for name in TABLES:
        if name != "study":
            t[name] = t[name][t[name]["patient_id"].isin(ids)].reset_index(drop=True)


def empty(t: Tables, name: str) -> None:
    t[name] = t[name].iloc[0:0]


def drop_after(t: Tables, pid: str, last: dt.date) -> None:
    """Remove every dated record of ``pid`` after ``last`` (and cap therapy end dates at it), so that a death or last
    contact on ``last`` stays consistent with the records."""
    for name, cols in DATE_COLUMNS.items():
        df = t[name]
        mine = df["patient_id"] == pid
        first = df[cols[0]].map(lambda s: _date(s) > last if s else False).astype(bool)
        t[name] = df[~(mine & first)].reset_index(drop=True)
        df = t[name]
        mine = df["patient_id"] == pid
        for c in cols[1:]:
            late = mine & df[c].map(lambda s: bool(s) and _date(s) > last).astype(bool)
            df.loc[late, c] = "" if name != "therapies" else last.isoformat()
    # a course whose rows are gone takes its doses with it; a dose kept references a kept course
    courses = set(zip(t["therapies"]["patient_id"], t["therapies"]["course_id"]))
    d = t["doses"]
    t["doses"] = d[[(p, c) in courses for p, c in zip(d["patient_id"], d["course_id"])]].reset_index(drop=True)
    te = t["toxicity_episodes"]
    ok = [(not c) or (p, c) in courses for p, c in zip(te["patient_id"], te["course_id"])]
    t["toxicity_episodes"] = te[ok].reset_index(drop=True)


def set_follow_up(t: Tables, pid: str, *, last: dt.date, dead: bool, cause: str = "progression",
                  status: str = "") -> None:
    fu = t["follow_up"]
    i = fu.index[fu["patient_id"] == pid]
    fu.loc[i, "last_contact_date"] = last.isoformat()
    fu.loc[i, "vital_status"] = "dead" if dead else "alive"
    fu.loc[i, "death_date"] = last.isoformat() if dead else ""
    fu.loc[i, "death_cause"] = cause if dead else ""
    fu.loc[i, "status_at_last_contact"] = "" if dead else status


# ---- the cases -------------------------------------------------------------------------------------------------
def no_transplants(t: Tables) -> None:
    """Nobody transplanted (the transplants table is empty); aGVHD and SOS rows go with it."""
    empty(t, "transplants")
    te = t["toxicity_episodes"]
    t["toxicity_episodes"] = te[~te["toxicity"].isin(["agvhd", "sos"])].reset_index(drop=True)


def all_transplanted(t: Tables) -> None:
    """Only the patients transplanted after mAb2 (12 in the twin)."""
    keep_patients(t, transplanted_after_mab2(t))


def no_sos(t: Tables) -> None:
    """No SOS recorded at all."""
    te = t["toxicity_episodes"]
    t["toxicity_episodes"] = te[te["toxicity"] != "sos"].reset_index(drop=True)


def far_cutoff(t: Tables) -> None:
    """A data cut-off far in the future (2099-12-31, the latest validation accepts): follow-up ends at each
    patient's last contact."""
    t["study"].loc[0, "data_cutoff"] = "2099-12-31"


def all_excluded(t: Tables) -> None:
    """Every patient excluded, for three reasons: not B-ALL (T01-T10), under 15 at mAb1 (T11-T20: age at diagnosis
    2, so at most ~8 at mAb1), no age at all (T21-T29)."""
    p = t["patients"]
    n = p["patient_id"].str[1:].astype(int)
    p.loc[n <= 10, "diagnosis"] = "t_all"
    p.loc[(n > 10) & (n <= 20), "age_at_diagnosis"] = "2"
    p.loc[n > 20, "age_at_diagnosis"] = ""
    p.loc[n > 20, "birth_date"] = ""


def zero_patients(t: Tables) -> None:
    """A study table and empty patient tables (a template before data entry)."""
    for name in TABLES:
        if name != "study":
            empty(t, name)


def one_patient(t: Tables) -> None:
    """T01 only: blinatumomab first, transplanted, died."""
    keep_patients(t, ["T01"])


def no_agvhd(t: Tables) -> None:
    """No acute GVHD recorded (no episode, no organ stage)."""
    te = t["toxicity_episodes"]
    t["toxicity_episodes"] = te[te["toxicity"] != "agvhd"].reset_index(drop=True)
    for c in ("skin_stage", "liver_stage", "upper_gi_stage", "lower_gi_stage", "rash_bsa_pct", "stool_volume"):
        t["toxicity_observations"][c] = ""


def no_toxicity(t: Tables) -> None:
    """No toxicity data at all (both toxicity tables empty)."""
    empty(t, "toxicity_episodes")
    empty(t, "toxicity_observations")


def no_cr(t: Tables) -> None:
    """No CR after either antibody: every antibody course starts with morphologic disease and every marrow after
    the first mAb1 shows >= 5% blasts."""
    th = t["therapies"]
    th.loc[th["therapy_class"].isin(MABS), "disease_state_at_start"] = "morphologic"
    starts = mab_starts(t)
    a = t["assessments"]
    late = [r.patient_id in starts and _date(r.assessment_date) > starts[r.patient_id]["mab1"] for r in a.itertuples()]
    marrow = (a["specimen"] == "marrow") & pd.Series(late, index=a.index)
    a.loc[marrow, "bm_blast_pct"] = "50"
    a.loc[marrow, "pb_blasts"] = "yes"


def nobody_dead(t: Tables) -> None:
    """Every patient alive at last contact (the dead ones last seen on their death day)."""
    for pid in t["follow_up"]["patient_id"]:
        fu = t["follow_up"].set_index("patient_id").loc[pid]
        set_follow_up(t, pid, last=_date(fu["last_contact_date"]), dead=False, status="cr")


def everybody_dead(t: Tables) -> None:
    """Every patient dead, of progression, on the day of last contact."""
    for pid in t["follow_up"]["patient_id"]:
        fu = t["follow_up"].set_index("patient_id").loc[pid]
        if fu["vital_status"] != "dead":
            set_follow_up(t, pid, last=_date(fu["last_contact_date"]), dead=True)


def all_blina_first(t: Tables) -> None:
    """Only the patients given blinatumomab first (one mAb1 group)."""
    keep_patients(t, [p for p, s in mab_starts(t).items() if s["agent1"] == "blinatumomab"])


def all_ino_first(t: Tables) -> None:
    """Only the patients given inotuzumab first (3 in the twin): every blinatumomab-first population is empty."""
    keep_patients(t, [p for p, s in mab_starts(t).items() if s["agent1"] == "inotuzumab"])


def four_transplanted(t: Tables) -> None:
    """A group below the paper's minimum of 5: only the first 4 transplanted patients keep their transplant."""
    keep = transplanted_after_mab2(t)[:4]
    tx = t["transplants"]
    t["transplants"] = tx[tx["patient_id"].isin(keep)].reset_index(drop=True)
    te = t["toxicity_episodes"]
    t["toxicity_episodes"] = te[~te["toxicity"].isin(["agvhd", "sos"]) | te["patient_id"].isin(keep)]


def one_ino_first(t: Tables) -> None:
    """A one-patient group: every blinatumomab-first patient and one inotuzumab-first patient."""
    starts = mab_starts(t)
    ino = sorted(p for p, s in starts.items() if s["agent1"] == "inotuzumab")
    keep_patients(t, [p for p, s in starts.items() if s["agent1"] == "blinatumomab"] + ino[:1])


def censored_day0(t: Tables) -> None:
    """Every patient alive and last seen on the first day of mAb2 (nothing recorded after it): every time from mAb2
    is 0, censored."""
    for pid, s in mab_starts(t).items():
        drop_after(t, pid, s["mab2"])
        set_follow_up(t, pid, last=s["mab2"], dead=False, status="active_systemic")


def death_on_mab2_day(t: Tables) -> None:
    """Every patient died on the first day of mAb2 (nothing recorded after it)."""
    for pid, s in mab_starts(t).items():
        drop_after(t, pid, s["mab2"])
        set_follow_up(t, pid, last=s["mab2"], dead=True)


def same_day_deaths(t: Tables) -> None:
    """Every patient died exactly 100 days after the start of mAb2 (all event times tied)."""
    for pid, s in mab_starts(t).items():
        last = s["mab2"] + dt.timedelta(days=100)
        drop_after(t, pid, last)
        set_follow_up(t, pid, last=last, dead=True)


def no_followup_after_mab2(t: Tables) -> None:
    """Nothing recorded after the last day of mAb2's first week: alive, last contact 7 days after mAb2 start."""
    for pid, s in mab_starts(t).items():
        last = s["mab2"] + dt.timedelta(days=7)
        drop_after(t, pid, last)
        set_follow_up(t, pid, last=last, dead=False, status="active_systemic")


def no_flow(t: Tables) -> None:
    """No flow cytometry at all: no CD19/CD22 result, no abnormal-population call, no MRD."""
    a = t["assessments"]
    for c in a.columns:
        if c.startswith(("cd19_", "cd22_", "mrd_")) or c == "abnormal_population":
            a[c] = ""


def no_mrd(t: Tables) -> None:
    """No MRD measured (blasts, counts and flow antigens kept)."""
    a = t["assessments"]
    for c in ("mrd_value", "mrd_method", "mrd_lod"):
        a[c] = ""
    th = t["therapies"]
    th.loc[th["disease_state_at_start"].isin(["mrd", "cr_mrd_negative"]), "disease_state_at_start"] = "morphologic"


def all_ph_positive(t: Tables) -> None:
    """Every patient Philadelphia-positive (and so high cytogenetic risk)."""
    p = t["patients"]
    p["ph_status"] = "positive"
    p["cytogenetic_risk_recorded"] = "high"


def ino_retreatments_only(t: Tables) -> None:
    """Every antibody re-treatment after mAb2 is inotuzumab (blinatumomab re-treatments become inotuzumab)."""
    starts = mab_starts(t)
    th = t["therapies"]
    for i, r in th.iterrows():
        s = starts.get(r["patient_id"])
        if s and r["therapy_class"] == "blinatumomab" and _date(r["start_date"]) > s["mab2"]:
            th.loc[i, ["therapy_class", "regimen", "agents"]] = ["inotuzumab", "inotuzumab", "inotuzumab"]


def tx_before_mab1_only(t: Tables) -> None:
    """Every transplant moved to 200 days before mAb1 (prior alloHSCT only; none after mAb2)."""
    starts = mab_starts(t)
    tx = t["transplants"]
    for i, r in tx.iterrows():
        m1 = starts[r["patient_id"]]["mab1"]
        d0 = m1 - dt.timedelta(days=200 + 60 * int((tx["patient_id"].iloc[:i] == r["patient_id"]).sum()))
        tx.loc[i, "transplant_date"] = d0.isoformat()
        tx.loc[i, "conditioning_start_date"] = (d0 - dt.timedelta(days=7)).isoformat()
        tx.loc[i, "anc_engraftment_date"] = (d0 + dt.timedelta(days=14)).isoformat()
    te = t["toxicity_episodes"]
    t["toxicity_episodes"] = te[~te["toxicity"].isin(["agvhd", "sos"])].reset_index(drop=True)
    for c in ("skin_stage", "liver_stage", "upper_gi_stage", "lower_gi_stage"):
        t["toxicity_observations"][c] = ""


def two_transplants(t: Tables) -> None:
    """Every transplanted patient alive 200 days after the transplant gets a second transplant on day 150."""
    tx = t["transplants"]
    fu = t["follow_up"].set_index("patient_id")
    extra = []
    for _, r in tx.iterrows():
        d0 = _date(r["transplant_date"])
        if _date(fu.loc[r["patient_id"], "last_contact_date"]) >= d0 + dt.timedelta(days=200):
            second = r.copy()
            d1 = d0 + dt.timedelta(days=150)
            second["transplant_date"] = d1.isoformat()
            second["conditioning_start_date"] = (d1 - dt.timedelta(days=5)).isoformat()
            second["anc_engraftment_date"] = (d1 + dt.timedelta(days=15)).isoformat()
            extra.append(second)
    t["transplants"] = pd.concat([tx, pd.DataFrame(extra)], ignore_index=True)


def no_disease_events(t: Tables) -> None:
    """No relapse or progression recorded (the disease_events table is empty)."""
    empty(t, "disease_events")


def no_assessments(t: Tables) -> None:
    """No marrow or flow assessment at all: responses, MRD, antigen status and burden are all unknown."""
    empty(t, "assessments")


def no_doses(t: Tables) -> None:
    """No per-dose rows (the doses table is empty)."""
    empty(t, "doses")


def deaths_undated(t: Tables) -> None:
    """Every patient dead, none with a death date: no patient has time-to-event data (each is left out of the
    survival analyses, which the report says)."""
    fu = t["follow_up"]
    fu["vital_status"] = "dead"
    fu["death_date"] = ""
    fu["status_at_last_contact"] = ""
    fu.loc[fu["death_cause"] == "", "death_cause"] = "progression"


def early_cutoff(t: Tables) -> None:
    """A cut-off (2016-01-01) before most mAb2 starts: patients without both antibodies by then are excluded."""
    t["study"].loc[0, "data_cutoff"] = "2016-01-01"


def all_female(t: Tables) -> None:
    """Every patient female."""
    t["patients"]["sex"] = "female"


def agvhd_ungraded(t: Tables) -> None:
    """aGVHD recorded without a grade, and no organ stages."""
    te = t["toxicity_episodes"]
    te.loc[te["toxicity"] == "agvhd", "grade"] = ""
    te.loc[te["toxicity"] == "agvhd", "grading_system"] = ""
    for c in ("skin_stage", "liver_stage", "upper_gi_stage", "lower_gi_stage"):
        t["toxicity_observations"][c] = ""


CASES: dict[str, Callable[[Tables], None]] = {f.__name__: f for f in (
    # the cases
    no_transplants, all_transplanted, no_sos, far_cutoff, all_excluded, zero_patients, one_patient, no_agvhd,
    no_toxicity, no_cr, nobody_dead, everybody_dead, all_blina_first, four_transplanted, one_ino_first,
    # more of our own
    all_ino_first, censored_day0, death_on_mab2_day, same_day_deaths, no_followup_after_mab2, no_flow, no_mrd,
    all_ph_positive, ino_retreatments_only, tx_before_mab1_only, two_transplants, no_disease_events, no_assessments,
    no_doses, deaths_undated, early_cutoff, all_female, agvhd_ungraded,
)}


def cohort_tables(name: str) -> Tables:
    t = twin_tables()
    CASES[name](t)
    return t


def write_cohort(name: str, folder: Path) -> Path:
    """The cohort ``name`` as a CSV folder (created); returns the folder."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for tname, df in cohort_tables(name).items():
        df.to_csv(folder / f"{tname}.csv", index=False, lineterminator="\n")
    return folder
