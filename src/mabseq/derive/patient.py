"""Per-patient derivations: the treatment sequence, responses, antigen status, transplant, toxicities, death.

Each derived value is stored with a one-line explanation (inputs, rule, result) so that ``mabseq explain`` can show
how it was reached. Rules follow study-definition section 2; their parameters are in :mod:`.params`.
"""
from __future__ import annotations

import datetime as dt
import json
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


from . import rules
from .agvhd import VALUES as AGVHD_VALUES, derive_agvhd
from .categories import UNKNOWN_INPUTS, categories
from .params import MAB_CLASSES, SYSTEMIC_LINE_CLASSES, DeriveParams
from .patient_rows import PatientData, _d

AGENT_SHORT = {"blinatumomab": "blina", "inotuzumab": "ino"}
# the values derived only for a patient transplanted after mAb2, in the order they are set
TX_VALUES = ("tx_route", "tx_date", "days_mab2_tx", "days_last_ino_tx", "age_tx", "tx_status",
             *(f"tx_{c}" for c in ("graft_source", "donor_type", "donor_sex", "conditioning_regimen",
                                   "conditioning_agents", "conditioning_intensity", "tbi_dose", "gvhd_prophylaxis",
                                   "ex_vivo_tcd", "cd34_dose", "hla_matched", "hla_typed", "busulfan_dose",
                                   "melphalan_dose", "thiotepa_dose")),
             "engraft_days", "tx_prior_hsct", "tx_relapse_date", *AGVHD_VALUES, "sos", "sos_severity", "sos_fatal")


class PackedText(Mapping):
    """A patient's explanations (value name -> sentence), kept compressed once the patient is derived: about 1,750
    characters a patient as 30 separate strings was 3.5 KB of memory a patient; compressed, a few hundred bytes.
    Read-only; a lookup inflates the whole mapping (``explain`` reads one patient, the assembly one sentence of
    each excluded patient)."""

    __slots__ = ("_blob",)

    def __init__(self, texts: dict[str, str]):
        # ASCII JSON: any str, a lone surrogate from a decoded input too, is encoded and comes back exactly
        self._blob = zlib.compress(json.dumps(texts, separators=(",", ":")).encode("ascii"), 1)

    def _texts(self) -> dict[str, str]:
        return json.loads(zlib.decompress(self._blob))

    def __getitem__(self, key: str) -> str:
        return self._texts()[key]

    def __iter__(self):
        return iter(self._texts())

    def __len__(self) -> int:
        return len(self._texts())


class DeferredText(Mapping):
    """A patient's explanations not kept at all: when a large cohort is derived by worker processes
    (derive/parallel.py), an included patient's explanations are neither packed nor sent back (packing them was a
    seventh of a worker's time, and they were a third of the bytes it sent); they are derived again, for this
    patient only, when read (``explain``). The derivation is deterministic, so they are the ones the worker made
    (tests/test_scale.py compares them with the serial run's)."""

    __slots__ = ("_again", "_pid")

    def __init__(self, again, pid: str):
        self._again, self._pid = again, pid  # again(pid) -> {value name: sentence}

    def __getitem__(self, key: str) -> str:
        return self._again(self._pid)[key]

    def __iter__(self):
        return iter(self._again(self._pid))

    def __len__(self) -> int:
        return len(self._again(self._pid))


class DeferredFlags(Sequence):
    """A patient's flags not kept (the parallel path, as :class:`DeferredText`): derived again when read."""

    __slots__ = ("_again", "_pid")

    def __init__(self, again, pid: str):
        self._again, self._pid = again, pid  # again.flags(pid) -> [flag]

    def __getitem__(self, i):
        return self._again.flags(self._pid)[i]

    def __len__(self) -> int:
        return len(self._again.flags(self._pid))


@dataclass
class Derived:
    patient_id: str
    values: dict[str, Any] = field(default_factory=dict)
    why: Mapping[str, str] = field(default_factory=dict)  # a dict while deriving, then PackedText (pack())
    flags: list[str] = field(default_factory=list)
    timeline: list[dict] = field(default_factory=list)
    # one row per value left unknown for want of an input: {variable, rule, input} (unknown is never no)
    unknowns: list[dict] = field(default_factory=list)
    # warnings about this patient's data that change nothing but should be read (a sample just outside a window)
    warnings: list[str] = field(default_factory=list)
    # the time-to-event rows made with the patient's values, and the parameters they were made under
    # (derive/cohort.py reuses them where the parameters are the same)
    endpoints: tuple | None = None

    def set(self, name: str, value, why: str = "") -> None:
        self.values[name] = value
        if why:
            self.why[name] = why

    def unknown(self, name: str, rule: str, inputs, why: str, value=None) -> None:
        """``name`` is unknown because ``inputs`` (one name or several) are missing: the value is None (or the
        category that says so, e.g. MRD 'unknown') and a finding names the rule and each input (counted per
        variable in the data-completeness section)."""
        self.set(name, value, why)
        names = ([inputs] if isinstance(inputs, str) else list(inputs)) or ["(unspecified)"]
        for i in names:
            self.unknowns.append({"variable": name, "rule": rule, "input": i})
        self.flags.append(f"{name} unknown ({rule}): missing {', '.join(names)}")

    def pack(self) -> "Derived":
        """Done deriving: the explanations compressed (:class:`PackedText`); values and the rest as they are."""
        if isinstance(self.why, dict):
            self.why = PackedText(self.why)
        return self

    def warn(self, text: str) -> None:
        self.warnings.append(text)
        self.flags.append(f"warning: {text}")


def _days(a, b) -> int | None:
    a, b = _d(a), _d(b)
    return None if a is None or b is None else (b - a).days


def _yes_no(v) -> bool | None:
    """A yes/no/unknown category as True/False/None: 'unknown' and a missing value are both None."""
    return {"yes": True, "no": False}.get(v)


def _flag(D: "Derived", name: str, value: bool | None, rule: str, column: str) -> None:
    """Set a yes/no value; None when its input is missing, with a finding naming the rule and the column (a
    missing input is never read as 'no')."""
    if value is None:
        D.unknown(name, rule, column, f"{column} not recorded")
    else:
        D.set(name, value)


def age_at(p: dict, when: dt.date) -> float | None:
    if p.get("birth_date"):
        return (when - p["birth_date"]).days / 365.25
    if p.get("age_at_diagnosis") is not None and p.get("diagnosis_date"):
        return p["age_at_diagnosis"] + (when - p["diagnosis_date"]).days / 365.25
    return None


def _why_not_both(therapies: list[dict], agents: set, cut: dt.date) -> tuple[str, str]:
    """The first inclusion rule a patient without both antibodies for R/R disease fails, with the values that
    failed it: an antibody never given, given only as frontline therapy, or first given for R/R disease after the
    cut-off (a category for the flow diagram, and the detail for excluded.csv and `explain`)."""
    parts, late = [], []
    for agent in sorted(set(MAB_CLASSES) - agents):
        mine = [t for t in therapies if t["therapy_class"] == agent]
        rr = [t for t in mine if t.get("intent") != "frontline"]
        if rr:
            t = rr[0]
            late.append(f"{agent} (course {t['course_id']}) started {t['start_date']}, after the cut-off {cut}")
        elif mine:
            parts.append(f"{agent} given only as frontline therapy (course {mine[0]['course_id']}, started "
                         f"{mine[0]['start_date']})")
        else:
            parts.append(f"no {agent} course")
    if late and not parts:
        which = "mAb2" if agents else "both antibodies"
        return f"{which} started after the cut-off", "; ".join(late)
    return ("did not receive both antibodies for R/R disease",
            "; ".join(parts + late) + "; inclusion requires blinatumomab and inotuzumab for R/R disease by the "
            "cut-off")


def derive_patient(pd_: PatientData, params: DeriveParams, enrollment: tuple[dt.date | None, dt.date | None]) -> Derived:
    """All derived values of one patient; ``values['excluded_reason']`` is set when the patient is not included."""
    D = Derived(pd_.pid)
    p = pd_.patient
    cut = pd_.cutoff
    D.set("sex", p.get("sex"))
    D.set("diagnosis", p.get("diagnosis"))

    # ---- inclusion (study-definition 0) ----------------------------------------------------------------------
    if p.get("diagnosis") != "b_all":
        D.set("excluded_reason", "not B-ALL", f"diagnosis {p.get('diagnosis')}; inclusion requires B-ALL")
        return D
    courses = [t for t in pd_.therapies if t["therapy_class"] in MAB_CLASSES and t.get("intent") != "frontline"
               and t["start_date"] <= cut]
    agents = {c["therapy_class"] for c in courses}
    if agents != set(MAB_CLASSES):
        reason, why = _why_not_both(pd_.therapies, agents, cut)
        D.set("excluded_reason", reason, why)
        return D
    mab1 = courses[0]
    other = "inotuzumab" if mab1["therapy_class"] == "blinatumomab" else "blinatumomab"
    mab2 = next(c for c in courses if c["therapy_class"] == other and c["start_date"] >= mab1["start_date"])
    start, end = enrollment
    if start and mab1["start_date"] < start:
        D.set("excluded_reason", "mAb1 outside the enrollment period",
              f"mAb1 started {mab1['start_date']}, before the enrollment start {start} "
              f"(mAb1 = {mab1['therapy_class']} course {mab1['course_id']})")
        return D
    if end and mab1["start_date"] > end:
        D.set("excluded_reason", "mAb1 outside the enrollment period",
              f"mAb1 started {mab1['start_date']}, after the enrollment end {end} "
              f"(mAb1 = {mab1['therapy_class']} course {mab1['course_id']})")
        return D
    age_mab1 = age_at(p, mab1["start_date"])
    if age_mab1 is None:
        D.set("excluded_reason", "age unknown", "no birth date, and no age at diagnosis with a diagnosis date; "
              "inclusion requires an age at mAb1")
        return D
    if age_mab1 < params.age_min_years:
        D.set("excluded_reason", f"younger than {params.age_min_years:g} at mAb1",
              f"age {age_mab1:.1f} at mAb1 < {params.age_min_years:g}")
        return D
    D.set("excluded_reason", None)

    m1, m2 = mab1["start_date"], mab2["start_date"]
    seq = "BF" if mab1["therapy_class"] == "blinatumomab" else "IF"
    D.set("seq", seq, f"mAb1 = {mab1['therapy_class']} course {mab1['course_id']} from {m1}; mAb2 = "
          f"{mab2['therapy_class']} course {mab2['course_id']} from {m2} (first course of the other agent)")
    D.set("mab1_agent", mab1["therapy_class"])
    D.set("mab2_agent", mab2["therapy_class"])
    D.set("mab1_start", m1)
    D.set("mab2_start", m2)
    D.set("days_mab1_mab2", (m2 - m1).days, f"{m1} to {m2}")
    age_dx = p.get("age_at_diagnosis")
    if age_dx is None and p.get("birth_date") and p.get("diagnosis_date"):
        age_dx = (p["diagnosis_date"] - p["birth_date"]).days / 365.25
    D.set("age_dx", age_dx)
    D.set("age_mab1", age_mab1)
    retreats = [c for c in courses if c is not mab1 and c is not mab2 and c["start_date"] > m2]
    D.set("retreatments", [(c["therapy_class"], c["start_date"]) for c in retreats])
    early = [c for c in courses if c is not mab1 and c is not mab2 and c["start_date"] < m2]
    if early:
        D.flags.append("re-treatment with the mAb1 agent before mAb2")
    blina = mab1 if mab1["therapy_class"] == "blinatumomab" else mab2
    ino = mab1 if mab1["therapy_class"] == "inotuzumab" else mab2
    D.set("blina_cycles", blina.get("cycles"))
    D.set("ino_cycles", ino.get("cycles"))
    D.set("ino_total_dose", ino.get("total_dose"))

    # ---- baseline (2.5) -----------------------------------------------------------------------------------------
    # two-valued only where the input says so: a missing or 'unknown' status is unknown, not 'no' (issue 14)
    _flag(D, "ph_pos", {"positive": True, "negative": False}.get(p.get("ph_status")), "Ph status (2.5)",
          "ph_status")
    _flag(D, "kmt2a_r", {"rearranged": True, "not_rearranged": False}.get(p.get("kmt2a")), "KMT2A status (2.5)",
          "kmt2a")
    D.set("cyto_risk", rules.cytogenetic_risk(p), "UKALLXII/ECOG2993")
    front = {"cr": "cr", "refractory": "refractory"}.get(p.get("frontline_response"))
    if front is None:
        D.unknown("frontline", "response to frontline therapy (2.5)", "frontline_response",
                  f"frontline_response {p.get('frontline_response') or 'not recorded'}")
    else:
        D.set("frontline", front)
    prior_lines = rules.prior_lines(pd_.therapies, m1, p)
    D.set("prior_lines", prior_lines, "lines started before mAb1 (frontline = 1; IT, TKI alone not lines)")
    prior_tx = any(t["transplant_date"] < m1 for t in pd_.transplants) or p.get("prior_allohsct") == "yes"
    D.set("prior_hsct", prior_tx)
    prior_cart = any(t["therapy_class"] == "car_t" and t["start_date"] < m1 for t in pd_.therapies) \
        or p.get("prior_cart") == "yes"
    D.set("prior_cart", prior_cart)
    _flag(D, "emd_before_mab1", _yes_no(p.get("emd_before_mab1")), "EMD before mAb1 (2.5)", "emd_before_mab1")
    base = rules.baseline_marrow(pd_.assessments, m1, params.marrow_lookback_days)
    D.set("blasts_mab1", base.get("bm_blast_pct"), f"last marrow <= {params.marrow_lookback_days} days before mAb1")
    states = {k: rules.state_from_marrow(pd_.assessments, c, params, pd_.events) for k, c in (("mab1", mab1), ("mab2", mab2))}
    for k, st in states.items():
        if st["state"] is None:
            D.unknown(f"state_{k}", "disease state at the start of the course (2.3)", st["missing"], st["why"])
        else:
            D.set(f"state_{k}", st["state"], st["why"])
    state = states["mab1"]["state"]
    # disease burden at mAb1 (2.5): the start state, else the baseline blast count; unknown when neither is known
    blasts = base.get("bm_blast_pct")
    burden = "mrd" if state in ("mrd", "cr_mrd_negative") else "morphologic" if state == "morphologic" else \
        None if blasts is None else ("mrd" if blasts < 5 else "morphologic")
    if burden is None:
        D.unknown("burden_mab1", "disease burden at mAb1 (2.5)", ("disease_state_at_start", "bm_blast_pct"),
                  "the start state is unknown and no marrow blast count lies in the window before mAb1")
    else:
        D.set("burden_mab1", burden)
    site = rules.site_at(pd_.assessments, m1, params.marrow_lookback_days, params.mrd_threshold)
    if site == "unknown":
        D.unknown("site_mab1", "site at mAb1 (2.5)", "bm_blast_pct", f"a marrow <= {params.marrow_lookback_days} "
                  "days before mAb1 has neither a blast count nor an MRD value")
    elif site in ("unknown_nodata", "unknown_nomarrow"):
        D.unknown("site_mab1", "site at mAb1 (2.5)", "marrow", f"no {'row' if site == 'unknown_nodata' else 'marrow'}"
                  f" <= {params.marrow_lookback_days} days before mAb1" + (" (extramedullary disease without a "
                  "marrow: isolated or not cannot be told)" if site == "unknown_nomarrow" else ""))
    elif site == "unknown_mrd":
        D.unknown("site_mab1", "site at mAb1 (2.5)", "mrd_value", f"a marrow <= {params.marrow_lookback_days} days "
                  "before mAb1 has < 5% blasts and no MRD value, and nothing else shows marrow disease")
    elif site == "unknown_emd":
        D.unknown("site_mab1", "site at mAb1 (2.5)", "emd_present", f"no row <= {params.marrow_lookback_days} days "
                  "before mAb1 records whether there was extramedullary disease")
    else:
        D.set("site_mab1", site)

    # ---- the post-mAb1 event and interim therapy (2.2, 2.4) ---------------------------------------------------
    ev1 = rules.first_event(pd_.events, m1, m2, params.mrd_relapse_is_event)
    D.set("event1_date", ev1["event_date"] if ev1 else None,
          f"first relapse/progression after mAb1 and before mAb2: {ev1['event_type'] if ev1 else 'none'}")
    D.set("days_mab1_event", _days(m1, ev1["event_date"]) if ev1 else None)
    if ev1 and not ev1.get("site"):
        D.unknown("site_event1", "site of the post-mAb1 event (2.4)", "site",
                  f"the {ev1['event_type']} of {ev1['event_date']} records no site")
    else:
        D.set("site_event1", ev1.get("site") if ev1 else None)
    if ev1:
        _flag(D, "cns_event1", _yes_no(ev1.get("cns_involved")), "CNS at the post-mAb1 event (2.4)", "cns_involved")
    else:
        D.set("cns_event1", None)
    between_tx = [t for t in pd_.transplants if m1 < t["transplant_date"] < m2]
    D.set("hsct_between", bool(between_tx))
    win_start = ev1["event_date"] if (ev1 and params.interim_window_start == "post_mab1_relapse") else \
        (mab1.get("end_date") or m1)
    interim_classes = set(SYSTEMIC_LINE_CLASSES) | ({"tki"} if params.interim_counts_tki_alone else set()) | \
        ({"intrathecal", "radiotherapy"} if params.interim_counts_cns_directed else set())
    interim = [t for t in pd_.therapies if t["therapy_class"] in interim_classes
               and win_start <= t["start_date"] < m2 and t.get("intent") not in ("prophylaxis",)]
    D.set("interim_lines", len(interim), f"non-antibody systemic lines from {win_start} to before mAb2: "
          + (", ".join(f"{t['course_id']} {t['therapy_class']}" for t in interim) or "none"))  # no free text
    D.set("interim", len(interim) > 0)
    partner = rules.combination_partner(ino)
    if partner is None:
        D.unknown("ino_plus_chemo", "chemotherapy with inotuzumab (2.1)", "agents",
                  f"the inotuzumab course {ino['course_id']} lists no agents")
    else:
        D.set("ino_plus_chemo", partner)
    tki = blina.get("concurrent_tki")
    _flag(D, "ponatinib_with_blina", None if tki is None else str(tki).strip().lower() == "ponatinib",
          "ponatinib with blinatumomab (2.5)", "concurrent_tki")

    # ---- responses (2.3) -----------------------------------------------------------------------------------------
    cond_dates = [t.get("conditioning_start_date") or t["transplant_date"] for t in pd_.transplants]
    death = pd_.follow_up.get("death_date")
    windows = {}
    for k, course in (("mab1", mab1), ("mab2", mab2)):
        win_end = rules.response_window_end(course, pd_.therapies, cond_dates, death, cut)
        st = states[k]
        resp = rules.best_response(course, pd_.assessments, pd_.events, win_end, params, st["state"])
        why = resp["why"] + ("; disease state at start " + st["why"] if st["derived"] else "")
        if resp["response"] is None:
            D.unknown(f"resp_{k}", "best response (2.3)", resp["missing"], why)
        else:
            D.set(f"resp_{k}", resp["response"], why)
        windows[k] = win_end
        if resp["response"] == "cr" and resp["mrd"] == "unknown":
            D.unknown(f"mrd_{k}", "MRD status at CR (2.3)", ("mrd_value", "mrd_lod"),
                      "no marrow in CR has an MRD result that can be judged", value="unknown")
        else:
            D.set(f"mrd_{k}", resp["mrd"])
        if resp["response"] == "cr" and resp["date"] is None:
            D.unknown(f"resp_{k}_date", "date of the response (2.3)", "end_date", resp["why"])
        else:
            D.set(f"resp_{k}_date", resp["date"])

    # the date non-response to mAb1 was documented (the last marrow of the response window not in CR): the EFS event
    # of a non-responder under efs_nonresponder="failure_date" (CC 9.2; study-definition 6.5). Unknown when no
    # such marrow is recorded (that EFS then keeps the documented progression date, counted by the analysis)
    if D.values.get("resp_mab1") is None:  # the response itself unknown: so is whether non-response was documented
        D.unknown("nonresponse_mab1_date", "date non-response to mAb1 was documented (6.5)", "resp_mab1",
                  "the response to mAb1 is unknown")
    elif D.values.get("resp_mab1") == "nr":
        nr_date = rules.nonresponse_marrow(pd_.assessments, mab1, windows["mab1"])
        if nr_date is None:
            D.unknown("nonresponse_mab1_date", "date non-response to mAb1 was documented (6.5)", "bm_blast_pct",
                      "no marrow with >= 5% blasts in the response window of mAb1")
        else:
            D.set("nonresponse_mab1_date", nr_date)
    else:
        D.set("nonresponse_mab1_date", None)

    # ---- antigen status at the post-mAb1 event (2.4) --------------------------------------------------------------
    # a non-responder without a dated progression: the marrow documenting non-response (2.4, flagged)
    ev1_date = ev1["event_date"] if ev1 else None
    if ev1 is None and D.values.get("resp_mab1") == "nr":
        ev1_date = rules.nonresponse_marrow(pd_.assessments, mab1, windows["mab1"])
        if ev1_date:
            D.flags.append(f"no dated progression after mAb1: antigen status taken at the marrow documenting "
                           f"non-response ({ev1_date})")
    next_line = rules.next_line_after(pd_.therapies, ev1_date)
    for antigen in ("cd19", "cd22"):
        if ev1_date:
            st = rules.antigen_at_event(pd_.assessments, ev1_date, next_line, antigen, params)
            at = "" if ev1 else f"at the marrow documenting non-response to mAb1 ({ev1_date}): "
            if st["status"] is None:
                D.unknown(f"{antigen}_event1", "antigen at the post-mAb1 event (2.4)", f"{antigen}_call",
                          at + st["why"])
            else:
                D.set(f"{antigen}_event1", st["binary"], at + st["why"])
            D.set(f"{antigen}_event1_status", st["status"])
            for d in st["near"]:
                D.warn(f"{antigen.upper()} flow sample {d} lies just outside the window of the post-mAb1 event "
                       f"({ev1_date}); not used")
        elif ev1 is None and D.values.get("resp_mab1") == "nr":
            D.unknown(f"{antigen}_event1", "antigen at the post-mAb1 event (2.4)", "event_date",
                      "no response to mAb1, no dated progression and no marrow documenting non-response")
            D.set(f"{antigen}_event1_status", None)
        else:  # not applicable: no relapse after mAb1 (set, so that the column exists whatever the cohort)
            D.set(f"{antigen}_event1", None, "no relapse or progression between mAb1 and mAb2")
            D.set(f"{antigen}_event1_status", None)
    # the relapse/progression after mAb2, and CD22/CD19 at it
    ev2 = rules.first_event(pd_.events, m2, cut, params.mrd_relapse_is_event, through=True)
    D.set("event2_date", ev2["event_date"] if ev2 else None)
    D.set("days_mab2_event2", _days(m2, ev2["event_date"]) if ev2 else None)
    nl2 = rules.next_line_after(pd_.therapies, ev2["event_date"]) if ev2 else None
    for antigen in ("cd19", "cd22"):
        if ev2:
            st = rules.antigen_at_event(pd_.assessments, ev2["event_date"], nl2, antigen, params)
            if st["status"] is None:
                D.unknown(f"{antigen}_event2", "antigen at the post-mAb2 event (2.4)", f"{antigen}_call", st["why"])
            else:
                D.set(f"{antigen}_event2", st["binary"], st["why"])
            for d in st["near"]:
                D.warn(f"{antigen.upper()} flow sample {d} lies just outside the window of the post-mAb2 event "
                       f"({ev2['event_date']}); not used")
        else:
            D.set(f"{antigen}_event2", None, "no relapse or progression after mAb2")

    # ---- transplant after mAb2 (2.6) ------------------------------------------------------------------------------
    tx = next((t for t in pd_.transplants if t["transplant_date"] > m2 and t["transplant_date"] <= cut), None)
    D.set("tx", tx is not None, f"first alloHSCT after mAb2: {tx['transplant_date'] if tx else 'none'}")
    if tx:
        d0 = tx["transplant_date"]
        cart_between = [t for t in pd_.therapies if t["therapy_class"] == "car_t" and m2 < t["start_date"] < d0]
        route = "after_cart" if cart_between else ("direct_ino" if mab2["therapy_class"] == "inotuzumab"
                                                   else "direct_blina")
        D.set("tx_route", route)
        D.set("tx_date", d0)
        # the interval's anchor (2.6): mAb2's first dose, or (``tx_interval_anchor="last_dose"``) mAb2's last dose
        if params.tx_interval_anchor == "last_dose":
            last = rules.last_dose(pd_.doses, mab2)
            if last is None:
                D.unknown("days_mab2_tx", "interval mAb2 to alloHSCT (2.6)", "dose_date",
                          "anchor = last dose of mAb2; no dose date or course end recorded")
            else:
                D.set("days_mab2_tx", (d0 - last).days, f"last dose of mAb2 {last} to day 0 {d0}")
        elif params.tx_interval_anchor == "mab2_start":
            D.set("days_mab2_tx", (d0 - m2).days, f"mAb2 start {m2} to day 0 {d0}")
        else:
            raise ValueError(f"tx_interval_anchor must be 'mab2_start' or 'last_dose', not "
                             f"{params.tx_interval_anchor!r}")
        last_ino = rules.last_dose(pd_.doses, ino)
        D.set("days_last_ino_tx", (d0 - last_ino).days if last_ino and mab2 is ino else None)
        D.set("age_tx", age_at(p, d0))
        txs = rules.tx_status(tx, pd_.assessments, params)
        if txs is None:
            D.unknown("tx_status", "disease status at alloHSCT (2.6)", "disease_status",
                      f"not recorded, and no marrow <= {params.marrow_lookback_days} days before conditioning "
                      "that can be judged")
        else:
            D.set("tx_status", txs)
        for col in ("graft_source", "donor_type", "donor_sex", "conditioning_regimen", "conditioning_agents",
                    "conditioning_intensity", "tbi_dose", "gvhd_prophylaxis", "ex_vivo_tcd", "cd34_dose",
                    "hla_matched", "hla_typed", "busulfan_dose", "melphalan_dose", "thiotepa_dose"):
            D.set(f"tx_{col}", tx.get(col))
        eng = tx.get("anc_engraftment_date")
        D.set("engraft_days", (eng - d0).days if eng else None)
        D.set("tx_prior_hsct", any(t["transplant_date"] < d0 for t in pd_.transplants))
        ev_tx = rules.first_event(pd_.events, d0, cut, params.mrd_relapse_is_event, inclusive=False, through=True)
        D.set("tx_relapse_date", ev_tx["event_date"] if ev_tx else None)
        # acute GVHD: dated episodes/stages, else the transplant row's maximum grade; unknown stays unknown (agvhd.py)
        ag, ag_why, ag_flags = derive_agvhd(tx, d0, pd_.tox, pd_.tox_obs, params.agvhd_ruleset,
                                            pd_.agvhd_absent_is_none, pd_.agvhd_staged)
        for name in AGVHD_VALUES:
            D.set(name, ag[name], ag_why.get(name, ""))
        D.flags.extend(ag_flags)
        sos_end = rules.shift(d0, params.sos_post_window)
        sos = [e for e in pd_.tox if e["toxicity"] == "sos" and d0 <= e["onset_date"] <= sos_end]
        D.set("sos", bool(sos))
        if sos and not sos[0].get("severity"):
            D.unknown("sos_severity", "SOS severity (2.6)", "severity", f"the SOS of {sos[0]['onset_date']} "
                      "records no severity")
        else:
            D.set("sos_severity", sos[0].get("severity") if sos else None)
        if sos:
            _flag(D, "sos_fatal", _yes_no(sos[0].get("fatal")), "fatal SOS (2.6)", "fatal")
        else:
            D.set("sos_fatal", False)  # no SOS episode: no fatal SOS
        D.set("no_tx_reason", None)
        D.set("no_tx_reason_source", None)
    else:
        # not applicable without a transplant after mAb2: every transplant value is set to None, in the order
        # above, so that each column exists (and in the same place) whatever the cohort
        for name in TX_VALUES:
            D.set(name, None)
        reason = p.get("no_transplant_reason")
        source = "recorded"
        if reason is None:
            reason = rules.no_tx_reason_fallback(D.values, pd_.follow_up, params, pd_.cutoff)
            source = "derived: the flagged fallback of 2.7 (not recorded)"
            D.flags.append("reason for no transplant derived (not recorded)")
        if reason is None:
            D.unknown("no_tx_reason", "reason for no alloHSCT (2.7)", "resp_mab2",
                      "not recorded; the fallback needs the response to mAb2 and how long a CR held")
            D.set("no_tx_reason_source", None)
        else:
            D.set("no_tx_reason", reason)
            D.set("no_tx_reason_source", source)

    # ---- after mAb2 (2.7) -----------------------------------------------------------------------------------------
    further = [t for t in pd_.therapies if t["start_date"] > m2 and t is not mab2 and rules.counts_as_line(t)
               and t["start_date"] <= cut]
    post_lines = [t for t in further if not tx or t["start_date"] != tx["transplant_date"]]
    D.set("n_lines_after_mab2", len(post_lines))
    D.set("days_mab2_first_line", (post_lines[0]["start_date"] - m2).days if post_lines else None)
    D.set("cart_after_mab2", any(t["therapy_class"] == "car_t" for t in post_lines))
    D.set("retreat_agents", sorted({t["therapy_class"] for t in post_lines if t["therapy_class"] in MAB_CLASSES}))
    salvage_resp, salvage_missing, salvage_dates = [], [], []
    for t in post_lines:
        win_end = rules.response_window_end(t, pd_.therapies, cond_dates, death, cut)
        r = rules.best_response(t, pd_.assessments, pd_.events, win_end, params)
        salvage_resp.append((t["therapy_class"], r["response"]))
        salvage_dates.append(r["date"])
        if r["response"] is None:
            m = r.get("missing") or []
            salvage_missing.extend([m] if isinstance(m, str) else m)
    D.set("salvage_responses", salvage_resp)
    # remission after an antibody re-treatment: how long it lasted (CR to the next relapse), in days
    dur = None
    for t, (cls, resp) in zip(post_lines, salvage_resp):
        if cls in MAB_CLASSES and resp == "cr":
            win_end = rules.response_window_end(t, pd_.therapies, cond_dates, death, cut)
            cr_date = rules.best_response(t, pd_.assessments, pd_.events, win_end, params)["date"]
            nxt = rules.first_event(pd_.events, cr_date, cut, params.mrd_relapse_is_event, through=True)
            if cr_date and nxt:
                dur = (nxt["event_date"] - cr_date).days
            break
    D.set("retreat_cr_days", dur, "from the CR to a re-treatment to the next relapse")
    # any CR to a salvage line: True on a CR, unknown when no CR but a line's response is unknown, else False
    counted = [i for i, t in enumerate(post_lines) if ev2 is None or t["start_date"] >= ev2["event_date"]]
    sal = [salvage_resp[i][1] for i in counted]
    # the date of the first CR to a salvage line (a time-dependent group: study-definition 6.1)
    cr_dates = [salvage_dates[i] for i in counted if salvage_resp[i][1] == "cr" and salvage_dates[i] is not None]
    D.set("salvage_cr_date", min(cr_dates) if cr_dates else None)
    if not post_lines:
        D.set("salvage_cr", None)
    elif "cr" not in sal and None in sal:
        D.unknown("salvage_cr", "salvage CR (2.3)", sorted(set(salvage_missing)),
                  "no salvage line in CR and a salvage line's response is unknown")
    else:
        D.set("salvage_cr", "cr" in sal)

    # ---- toxicities attributed to the antibodies (2.9) ------------------------------------------------------------
    tox_b = rules.toxicity_in_window(pd_.tox, blina, pd_.therapies, params.crs_window_after_days,
                                     [d for d in cond_dates + [death, cut] if d])
    for kind in ("crs", "icans"):
        r = tox_b[kind]
        for name, key in ((f"{kind}_blina", "max"), (f"{kind}_any_blina", "any")):
            if r[key] is None:
                D.unknown(name, "CRS/ICANS in the blinatumomab window (2.9)", r["missing"],
                          f"{kind.upper()} " + ("recorded without a grade in the window" if r["missing"] == ("grade",)
                                                else "recorded after the days known to belong to the window (the "
                                                     "course has no end date)"))
            else:
                D.set(name, r[key])
    transam, hyperbili = rules.hepatotoxicity(pd_.tox, pd_.tox_obs, ino, pd_.therapies, pd_.doses, cond_dates,
                                              params)
    for name, v, cols in (("transaminitis_ino", transam, ("alt_uln", "ast_uln")),
                          ("hyperbili_ino", hyperbili, ("bilirubin", "bilirubin_uln"))):
        if v is None:
            D.unknown(name, "hepatotoxicity after inotuzumab (CC 4)", cols,
                      "lab rows in the window but none graded (a value without its ULN)")
        else:
            D.set(name, v)

    # ---- death, follow-up, status (2.7, 2.8, 3) ----------------------------------------------------------------
    fu = pd_.follow_up
    dead = fu.get("vital_status") == "dead"
    ddate = fu.get("death_date")
    last = ddate if dead and ddate else fu.get("last_contact_date")
    # a death without a date is still a death (unknown is never no: only its date is unknown) when the last
    # contact (the death day, for the center's form) is on or before the cut-off; it is left out of the
    # time-to-event analyses only (endpoints.py), and counted there
    contact = fu.get("last_contact_date")
    dead_by_cut = dead and (ddate <= cut if ddate is not None else (contact is not None and contact <= cut))
    if last is not None and last > cut:
        last = cut
    D.set("dead", dead_by_cut, f"vital status {fu.get('vital_status')}, death {ddate}, last contact "
          f"{fu.get('last_contact_date')}, cut-off {cut}")
    D.set("death_date_missing", dead and ddate is None)
    D.set("last_date", last)
    if dead_by_cut and not fu.get("death_cause"):
        D.unknown("death_cause", "primary cause of death (2.8)", "death_cause", "dead, cause not recorded (the "
                  "class falls back to the disease state at death)")
    else:
        D.set("death_cause", fu.get("death_cause") if dead_by_cut else None)
    def at_death():  # the disease state at death, from the records: read only when the class needs it
        return rules.active_at(pd_.events, pd_.assessments, ddate or contact or cut, params.mrd_relapse_is_event)

    D.set("death_class", rules.death_class(fu, at_death, dead_by_cut) if dead_by_cut else None)
    if not dead_by_cut and not fu.get("status_at_last_contact"):
        D.unknown("status_last", "status at last contact (2.7)", "status_at_last_contact", "alive, status at last "
                  "contact not recorded")
    else:
        D.set("status_last", "dead" if dead_by_cut else fu.get("status_at_last_contact"))
    D.set("days_mab2_last", _days(m2, last))
    for name, (value, why) in categories(D.values).items():  # Table 3 and text categories (categories.py)
        inputs = UNKNOWN_INPUTS.get(name) if value is None and why.startswith("unknown") else None
        if inputs:  # unknown for want of an input (not "not applicable"): a finding, counted in data completeness
            D.unknown(name, f"{name} (categories.py)", inputs, why)
        else:
            D.set(name, value, why)
    return D
