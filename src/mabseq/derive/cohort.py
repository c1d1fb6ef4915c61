"""From a validated cohort to the analysis datasets: one row per patient (ADSL-like), one row per patient and
endpoint (ADTTE-like), the excluded patients with reasons, per-patient timelines and explanations."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields, replace

import numpy as np
import pandas as pd

from ..cohort.model import Cohort
from .agvhd import absent_means_none, staged_organs
from .endpoints import TTE_COLUMNS, endpoints_for
from .params import DeriveParams
from .patient import DeferredFlags, DeferredText, Derived, derive_patient
from .patient_rows import PatientData, records_by_patient
from .value_columns import Collector, Columns, RowsView, RowView


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


def _mrd_relapse_patients(cohort: Cohort) -> set:
    ev = cohort.tables.get("disease_events")
    if ev is None or not len(ev) or "event_type" not in ev:
        return set()
    return set(ev.loc[ev["event_type"] == "mrd_relapse", "patient_id"].dropna())


# parameters whose rule reads only some patients' rows: who can change when the parameter does. The other patients'
# values are the same under either value, so a re-derivation reuses them (rules.first_event reads
# mrd_relapse_is_event only for a disease event of type mrd_relapse)
PATIENT_SCOPED_PARAMS = {"mrd_relapse_is_event": _mrd_relapse_patients}


def rederive(cohort: Cohort, base: DerivedCohort | None, params: DeriveParams, *,
             patients=None, endpoints=None) -> DerivedCohort:
    """The cohort derived under ``params``, equal to :func:`derive_cohort` (tests/test_efs_failure_date.py and
    tests/test_scale.py compare them), reusing ``base`` where that is exact: when the parameters differ only in
    :data:`ENDPOINT_PARAMS`, every per-patient value is reused and only the time-to-event rows are built again;
    when they differ also in :data:`PATIENT_SCOPED_PARAMS`, only the patients those parameters can change are
    derived again (a sensitivity analysis costs what it changes, not a second derivation).

    ``patients`` (ids, for an analysis that reads no one else): adsl, adtte and the exclusions hold those patients
    and the ones the changed parameters can change (so a patient who joins the analysis's group under ``params``
    is there), each with the rows the full derivation gives; the other patients' rows are left out.
    ``endpoints`` (names, for an analysis that reads only those): adtte holds those endpoints' rows only."""
    only = None if endpoints is None else frozenset(endpoints)
    if base is None or base.params is None:
        return _only_endpoints(derive_cohort(cohort, params), only)
    changed = {f.name for f in fields(params) if getattr(base.params, f.name) != getattr(params, f.name)}
    if not changed <= ENDPOINT_PARAMS | set(PATIENT_SCOPED_PARAMS):
        return _only_endpoints(derive_cohort(cohort, params), only)
    again: set = set()
    for name in changed & set(PATIENT_SCOPED_PARAMS):
        again |= PATIENT_SCOPED_PARAMS[name](cohort)
    keep = None if patients is None else set(patients) | again
    if not again and base.adtte is not None:
        adsl = base.adsl if keep is None else base.adsl[base.adsl["patient_id"].isin(keep)]
        tte = []
        for pid in adsl["patient_id"].tolist():
            tte.extend(endpoints_for(pid, base.derived[pid].values, params, only))
        adtte = pd.DataFrame(tte, columns=list(TTE_COLUMNS))
        _one_object_per_patient(adtte, [r[0] for r in tte])
        if keep is None:
            return replace(base, adtte=adtte, params=params)
        return replace(base, adsl=adsl, adtte=adtte, params=params,
                       excluded=base.excluded[base.excluded["patient_id"].isin(keep)])
    derived = dict(base.derived)
    if again:
        derived.update(_derive_patients(cohort, [p for p in cohort.patient_ids if p in again], params))
    return _assemble(cohort, derived, params, base.cutoff,
                     None if keep is None else [p for p in cohort.patient_ids if p in keep], only)


def _only_endpoints(dc: DerivedCohort, only: frozenset | None) -> DerivedCohort:
    if only is None:
        return dc
    return replace(dc, adtte=dc.adtte[dc.adtte["endpoint"].isin(only)].reset_index(drop=True))


# a cohort this large is derived by worker processes, by patient chunks (None: from MABSEQ_WORKERS or the CPUs)
PARALLEL_MIN_PATIENTS = 5000


def derive_cohort(cohort: Cohort, params: DeriveParams | None = None, *, workers: int | None = None) -> DerivedCohort:
    """Every patient derived (:func:`.patient.derive_patient`, one implementation of each rule) and the analysis
    datasets assembled in the cohort's patient order. ``workers`` > 1 derives patient chunks in that many forked
    worker processes (by default when the cohort has :data:`PARALLEL_MIN_PATIENTS` or more); the result is the
    same as the serial run's (tests/test_scale.py)."""
    params = params or DeriveParams()
    cutoff = params.cutoff or cohort.cutoff.date()
    derived = _derive_patients(cohort, cohort.patient_ids, params, workers=workers)
    return _assemble(cohort, derived, params, cutoff)


def _derive_patients(cohort: Cohort, pids: list, params: DeriveParams, *, workers: int | None = None) -> dict:
    """{patient id: Derived} for ``pids``; each Derived carries its swimmer rows (``timeline``) and its
    time-to-event rows (``endpoints``). An included patient's values and rows are held by column, a chunk of
    patients together (derive/value_columns.py: the same objects whether derived here or by the workers)."""
    from .parallel import derive_in_chunks, split, worker_count
    cutoff = params.cutoff or cohort.cutoff.date()
    ctx = (params, cutoff, _enrollment(cohort, params), absent_means_none(cohort), staged_organs(cohort))
    n = worker_count(workers, len(pids), PARALLEL_MIN_PATIENTS)
    if n > 1:
        chunks = split(list(pids), n)
        rows = (cohort, _chunk_of_rows(cohort, chunks))
        out = {}
        again = _Again(cohort, ctx)
        sent = derive_in_chunks(_derive_chunk_of_rows, rows, ctx, list(enumerate(chunks)), n)
        for chunk, part in zip(chunks, sent):
            out.update(_from_columns(part, chunk, params, again))
        return out
    return _from_columns(_by_column(_derive_chunk(records_by_patient(cohort), ctx, pids), pids), pids, params)


def _chunk_of_rows(cohort: Cohort, chunks: list[list]) -> dict[str, np.ndarray]:
    """For every per-patient table, the chunk number of each row's patient (-1: a patient in no chunk), so that a
    worker takes its rows in one vectorized selection (one hash lookup of the ids a table, not a dict a row)."""
    ids = pd.Index([pid for chunk in chunks for pid in chunk])
    number = np.repeat(np.arange(len(chunks), dtype=np.int64), [len(c) for c in chunks])
    out = {}
    for name, df in cohort.tables.items():
        if "patient_id" in df.columns:
            at = ids.get_indexer(df["patient_id"])
            out[name] = np.where(at >= 0, number[at], -1)
    return out


def _derive_chunk_of_rows(rows: tuple, ctx: tuple, chunk: tuple) -> tuple:
    """In a worker: chunk ``i``'s rows of every table grouped by patient (in table order, as the whole cohort's
    grouping has them), then its patients derived without the included patients' explanations, sent back by
    column (:func:`_by_column`)."""
    cohort, chunk_of = rows
    i, pids = chunk
    mine = Cohort({name: df.iloc[np.flatnonzero(chunk_of[name] == i)] if name in chunk_of else df
                   for name, df in cohort.tables.items()}, cohort.source)
    return _by_column(_derive_chunk(records_by_patient(mine), ctx, pids, why=False), pids)


def _by_column(derived: dict, pids: list) -> tuple:
    """A chunk's patients as a worker sends them back: each excluded patient whole (values and explanations:
    excluded.csv shows the rule that excluded them); the included ones' values, time-to-event, timeline and
    unknown rows each as one :class:`.value_columns.Columns` (typed arrays, not a dict of 130 values a patient:
    a fraction of the bytes, and no dict to build again in the parent), with each patient's row counts; their
    explanations (None from a worker) and flags, and the warnings of those that have any."""
    excluded, inc = {}, []
    for j, pid in enumerate(pids):
        d = derived[pid]
        if d.values.get("excluded_reason"):
            excluded[j] = d
        else:
            inc.append(j)
    ds = [derived[pids[j]] for j in inc]
    values = Columns.from_dicts([d.values for d in ds])
    tte = Columns.from_tuples(TTE_COLUMNS, [r for d in ds for r in d.endpoints])
    timelines = Columns.from_dicts([r for d in ds for r in d.timeline])
    unknowns = Columns.from_dicts([{"patient_id": d.patient_id, **u} for d in ds for u in d.unknowns])
    counts = np.array([(len(d.endpoints), len(d.timeline), len(d.unknowns)) for d in ds],
                      dtype=np.int64).reshape(-1, 3)
    why = None if all(d.why is None for d in ds) else [d.why for d in ds]
    flags = None if why is None else [d.flags for d in ds]
    warnings = {k: d.warnings for k, d in enumerate(ds) if d.warnings}
    return excluded, np.array(inc, dtype=np.int64), values, tte, timelines, unknowns, counts, why, flags, warnings


def _from_columns(sent: tuple, pids: list, params: DeriveParams, again: "_Again | None" = None) -> dict:
    """{pid: Derived} in the chunk's order from what :func:`_by_column` sent: an included patient's values a
    :class:`.value_columns.RowView`, their rows views into the chunk's columns; explanations and flags not sent
    are derived again when read (``again``)."""
    excluded, inc, values, tte, timelines, unknowns, counts, why, flags, warnings = sent
    ends = np.cumsum(counts, axis=0).tolist()
    starts = [[0, 0, 0]] + ends[:-1]
    out = {}
    k = 0
    inc = inc.tolist()
    for j, pid in enumerate(pids):
        if j in excluded:
            out[pid] = excluded[j]
            continue
        assert inc[k] == j
        (e0, t0, u0), (e1, t1, u1) = starts[k], ends[k]
        d = Derived(pid, RowView(values, k), DeferredText(again, pid) if why is None else why[k],
                    DeferredFlags(again, pid) if flags is None else flags[k],
                    RowsView(timelines, t0, t1), RowsView(unknowns, u0, u1, hide=("patient_id",)),
                    warnings.get(k, []),
                    (params, RowsView(tte, e0, e1, as_tuples=True)))
        out[pid] = d
        k += 1
    return out


def _derive_chunk(by_patient: dict, ctx: tuple, pids, *, why: bool = True) -> dict:
    """{pid: Derived}, each with its time-to-event rows; with ``why`` False an included patient's explanations
    and flags are dropped (None), an excluded patient's kept."""
    params, cutoff, enrollment, agvhd_absent_is_none, agvhd_staged = ctx
    out = {}
    for pid in pids:
        data = PatientData(None, pid, cutoff, by_patient)
        data.agvhd_absent_is_none, data.agvhd_staged = agvhd_absent_is_none, agvhd_staged
        d = derive_patient(data, params, enrollment)
        if not d.values.get("excluded_reason"):
            d.timeline = timeline_for(pid, data, d.values)
            d.endpoints = endpoints_for(pid, d.values, params)
            if not why:
                d.why = d.flags = None
        out[pid] = d.pack()
    return out


class _Again:
    """One patient derived again, from their own rows only, for explanations and flags not kept
    (patient.DeferredText, DeferredFlags)."""

    def __init__(self, cohort: Cohort, ctx: tuple):
        self.cohort, self.ctx = cohort, ctx
        self.last: tuple = (None, {}, [])  # the last patient's: reading them one by one derives once

    def _one(self, pid: str) -> tuple:
        if self.last[0] != pid:
            one = Cohort({k: df[df["patient_id"] == pid] if "patient_id" in df.columns else df
                          for k, df in self.cohort.tables.items()}, self.cohort.source)
            d = _derive_chunk(records_by_patient(one), self.ctx, [pid])[pid]
            self.last = (pid, dict(d.why), list(d.flags))
        return self.last

    def __call__(self, pid: str) -> dict:
        return self._one(pid)[1]

    def flags(self, pid: str) -> list:
        return self._one(pid)[2]


def _assemble(cohort: Cohort, derived: dict, params: DeriveParams, cutoff, pids=None,
              only: frozenset | None = None) -> DerivedCohort:
    """ADSL, ADTTE, exclusions, timelines and unknowns from the per-patient values, in the cohort's order (of
    ``pids`` only, when given; ADTTE of the endpoints in ``only``, when given). Each frame is built from the
    patients' columns (derive/value_columns.py: the frame pandas gives their records), so a chunk derived by a
    worker is taken whole."""
    values, tte, timelines = Collector(), Collector(TTE_COLUMNS), Collector()
    unknowns, excluded = Collector(), []
    for pid in cohort.patient_ids if pids is None else pids:
        d = derived[pid]
        if d.values.get("excluded_reason"):
            excluded.append({"patient_id": pid, "reason": d.values["excluded_reason"],
                             "detail": d.why.get("excluded_reason", "")})
            continue
        if isinstance(d.unknowns, RowsView):
            unknowns.add(d.unknowns, pid)
        else:
            unknowns.records([{"patient_id": pid, **u} for u in d.unknowns], pid)
        values.add(d.values if isinstance(d.values, RowView) else [d.values], pid)
        e = d.endpoints
        if e is not None and only is None and (e[0] is params or e[0] == params):
            tte.add(e[1], pid)
        else:
            tte.records(endpoints_for(pid, d.values, params, only), pid)
        timelines.add(d.timeline, pid)
    if values.ids:  # the values themselves, in their order, less excluded_reason; patient_id first
        adsl = values.frame().drop(columns="excluded_reason", errors="ignore")
        adsl.insert(0, "patient_id", pd.Series(values.ids, dtype=object))
    else:
        adsl = pd.DataFrame(columns=["patient_id"])  # nobody included: still a table
    adtte = tte.frame()
    exc = pd.DataFrame(excluded, columns=["patient_id", "reason", "detail"])
    tl = timelines.frame()
    unk = unknowns.frame()
    if not len(tl):
        tl = pd.DataFrame([], columns=["patient_id", "kind", "label", "start", "end"])
    if not len(unk):
        unk = pd.DataFrame([], columns=["patient_id", "variable", "rule", "input"])
    for df, col in ((adtte, tte.ids), (exc, [r["patient_id"] for r in excluded]), (tl, timelines.ids),
                    (unk, unknowns.ids)):
        _one_object_per_patient(df, col)
    return DerivedCohort(adsl, adtte, exc, derived, params, cutoff, tl, unk, absent_inputs(cohort))


def _one_object_per_patient(df: pd.DataFrame, ids: list) -> None:
    """The ``patient_id`` column held as Python objects: ``ids``, the ``str`` objects the rows carry, one per
    patient and shared by every frame built here. Under pandas 3 a text column is Arrow-backed and every
    ``tolist()`` of it makes new ``str`` objects: the records' provenance tuples, taken from these frames, held 5.8
    million copies of 20,000 ids (about 370 MB) before this; they now hold references to the shared ids."""
    if len(df):
        df["patient_id"] = pd.Series(ids, index=df.index, dtype=object)


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
