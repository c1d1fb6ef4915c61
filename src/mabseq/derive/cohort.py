"""From a validated cohort to the analysis datasets: one row per patient (ADSL-like), one row per patient and
endpoint (ADTTE-like), the excluded patients with reasons, per-patient timelines and explanations."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace

import pandas as pd

from ..cohort.model import Cohort
from .agvhd import absent_means_none, staged_organs
from .endpoints import endpoints_for
from .params import DeriveParams
from .patient import Derived, PatientData, derive_patient, records_by_patient


@dataclass
class DerivedCohort:
    adsl: pd.DataFrame  # included patients, one row each
    adtte: pd.DataFrame  # patient_id, endpoint, origin, time, status, entry
    excluded: pd.DataFrame  # patient_id, reason
    derived: dict[str, Derived] = field(default_factory=dict)
    params: DeriveParams | None = None
    cutoff: dt.date | None = None
    timelines: pd.DataFrame | None = None
    # values left unknown for want of an input, one row per (patient, variable, input); and the inputs the whole
    # cohort lacks (a column with no value at all) that a rule needs, each said once
    unknowns: pd.DataFrame | None = None
    absent_inputs: list[str] = field(default_factory=list)

    def explain(self, pid: str) -> list[tuple[str, object, str]]:
        d = self.derived[pid]
        return [(k, v, d.why.get(k, "")) for k, v in d.values.items()]


def _enrollment(cohort: Cohort, params: DeriveParams):
    st = cohort["study"]
    start = params.enrollment_start or (st["enrollment_start"].iloc[0].date() if len(st) and
                                        pd.notna(st["enrollment_start"].iloc[0]) else None)
    end = params.enrollment_end or (st["enrollment_end"].iloc[0].date() if len(st) and
                                    pd.notna(st["enrollment_end"].iloc[0]) else None)
    return start, end


# parameters only the time-to-event rows read (derive/endpoints.py): changing them needs no new per-patient values
ENDPOINT_PARAMS = frozenset({"efs_nonresponder", "efs_mab1_origin"})


def rederive(cohort: Cohort, base: DerivedCohort | None, params: DeriveParams) -> DerivedCohort:
    """The cohort derived under ``params``. When ``base`` was derived under parameters that differ from ``params``
    only in :data:`ENDPOINT_PARAMS`, its per-patient values are reused and only the time-to-event rows are built
    again (a sensitivity analysis of an endpoint definition costs the endpoints, not a second derivation); the
    result equals :func:`derive_cohort` (tests/test_efs_failure_date.py compares them)."""
    if base is None or base.params is None or not _differ_only_in(base.params, params, ENDPOINT_PARAMS):
        return derive_cohort(cohort, params)
    tte = []
    for pid in base.adsl["patient_id"]:
        tte.extend(endpoints_for(pid, base.derived[pid].values, params))
    adtte = pd.DataFrame(tte, columns=["patient_id", "endpoint", "origin", "time", "status", "entry"])
    return replace(base, adtte=adtte, params=params)


def _differ_only_in(a: DeriveParams, b: DeriveParams, names) -> bool:
    return all(getattr(a, f.name) == getattr(b, f.name) for f in fields(a) if f.name not in names)


def derive_cohort(cohort: Cohort, params: DeriveParams | None = None) -> DerivedCohort:
    params = params or DeriveParams()
    cutoff = params.cutoff or cohort.cutoff.date()
    enrollment = _enrollment(cohort, params)
    derived, rows, excluded, tte, timelines, unknowns = {}, [], [], [], [], []
    by_patient = records_by_patient(cohort)
    agvhd_absent_is_none, agvhd_staged = absent_means_none(cohort), staged_organs(cohort)
    for pid in cohort.patient_ids:
        data = PatientData(cohort, pid, cutoff, by_patient)
        data.agvhd_absent_is_none, data.agvhd_staged = agvhd_absent_is_none, agvhd_staged
        d = derive_patient(data, params, enrollment)
        derived[pid] = d
        if d.values.get("excluded_reason"):
            excluded.append({"patient_id": pid, "reason": d.values["excluded_reason"],
                             "detail": d.why.get("excluded_reason", "")})
            continue
        unknowns.extend({"patient_id": pid, **u} for u in d.unknowns)
        rows.append({"patient_id": pid, **{k: v for k, v in d.values.items() if k != "excluded_reason"}})
        tte.extend(endpoints_for(pid, d.values, params))
        timelines.extend(timeline_for(pid, data, d.values))
    adsl = pd.DataFrame(rows) if rows else pd.DataFrame(columns=["patient_id"])  # nobody included: still a table
    adtte = pd.DataFrame(tte, columns=["patient_id", "endpoint", "origin", "time", "status", "entry"])
    exc = pd.DataFrame(excluded, columns=["patient_id", "reason", "detail"])
    tl = pd.DataFrame(timelines, columns=["patient_id", "kind", "label", "start", "end"])
    unk = pd.DataFrame(unknowns, columns=["patient_id", "variable", "rule", "input"])
    return DerivedCohort(adsl, adtte, exc, derived, params, cutoff, tl, unk, absent_inputs(cohort))


# inputs a rule needs, by table and column, with the derived values that need them (study-definition 2)
RULE_INPUTS = (
    ("assessments", "bm_blast_pct", "the response to each mAb (2.3), blasts and site at mAb1 (2.5) and the disease "
                                    "state at a course's start"),
    ("assessments", "pb_blasts", "the response to each mAb (2.3: CR needs no circulating blasts)"),
    ("assessments", "emd_present", "the response to each mAb (2.3: CR needs no extramedullary disease)"),
    ("assessments", "mrd_value", "MRD at CR and the conversion from MRD-only disease (2.3)"),
    ("assessments", "cd19_call", "CD19 at relapse (2.4; or cd19_pct_positive)"),
    ("follow_up", "last_contact_date", "follow-up and every time-to-event endpoint (3)"),
)


def absent_inputs(cohort: Cohort) -> list[str]:
    """A sentence for each input a rule needs that the cohort does not have at all (the column has no value in
    any row of a non-empty table): said once, in the report and in `run`'s summary, not once per patient."""
    out = []
    for table, col, uses in RULE_INPUTS:
        df = cohort.tables.get(table)
        if df is None or not len(df):
            continue
        if col == "cd19_call":
            if any(c in df.columns and df[c].notna().any() for c in ("cd19_call", "cd19_pct_positive")):
                continue
        elif col in df.columns and df[col].notna().any():
            continue
        if table == "assessments" and col in ("bm_blast_pct", "pb_blasts", "emd_present", "mrd_value"):
            if "specimen" in df.columns and not (df["specimen"] == "marrow").any():
                continue
        out.append(f"{table}.{col} is empty in every row; needed by {uses}. Those values are unknown, not 'no'")
    return out


def timeline_for(pid: str, data: PatientData, v: dict) -> list[dict]:
    """Swimmer-plot rows in days from mAb1: therapies as intervals; response, relapse, transplant, death and last
    contact as points (end = start)."""
    m1 = v["mab1_start"]
    out = []

    def day(d):
        return None if d is None else (d - m1).days

    for t in data.therapies:
        if t["start_date"] > data.cutoff or t["therapy_class"] in ("intrathecal", "tki", "cytoreduction"):
            continue
        if t["start_date"] < m1:  # the course of each patient is drawn from mAb1 on
            continue
        end = t.get("end_date") or t["start_date"]
        out.append({"patient_id": pid, "kind": "therapy", "label": t["therapy_class"], "start": day(t["start_date"]),
                    "end": day(min(end, data.cutoff))})
    for k in ("mab1", "mab2"):
        if v.get(f"resp_{k}") == "cr" and v.get(f"resp_{k}_date"):
            dd = day(v[f"resp_{k}_date"])
            out.append({"patient_id": pid, "kind": "response", "label": "CR", "start": dd, "end": dd})
    for key in ("event1_date", "event2_date", "tx_relapse_date"):
        if v.get(key):
            dd = day(v[key])
            if not any(o["kind"] == "relapse" and o["start"] == dd for o in out):
                out.append({"patient_id": pid, "kind": "relapse", "label": "relapse/progression", "start": dd,
                            "end": dd})
    if v.get("tx"):
        dd = day(v["tx_date"])
        out.append({"patient_id": pid, "kind": "transplant", "label": "alloHSCT", "start": dd, "end": dd})
    last = day(v.get("last_date"))
    if last is not None:
        kind = "death" if v.get("dead") else "alive"
        out.append({"patient_id": pid, "kind": kind, "label": "death" if v.get("dead") else "alive at last contact",
                    "start": last, "end": last})
    return out
