"""The synthetic twin: a deterministic 29-patient cohort in the canonical model, built so that the paper preset
reproduces the published numbers (docs/TWIN.md). SYNTHETIC: no row describes a real patient.

``twin_design.csv`` holds one row of analysis-level facts per patient (sequence, responses, days between events,
transplant details, outcomes). :func:`build_twin` turns it into dated chart-review records (therapies, doses,
marrows with MRD and flow, disease events, transplants, toxicities, follow-up), the way a center's data would look.
The derivation rules then have to recover the design from those records, which the tests check.
"""
from __future__ import annotations

import datetime as dt
from importlib import resources
from pathlib import Path

import pandas as pd

from ..cohort.model import Cohort, conform
from ..cohort.schema import BY_NAME

CUTOFF = dt.date(2020, 6, 30)
TWIN_LABEL = "SYNTHETIC twin of the Wudhikarn et al. 2022 cohort (not patient data)"


def design() -> pd.DataFrame:
    path = resources.files("mabseq") / "studies" / "twin_design.csv"
    with path.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def _i(v, default=None):
    if v is None or v == "" or (isinstance(v, float) and pd.isna(v)):
        return default
    return int(float(v))


def _f(v, default=None):
    if v is None or v == "":
        return default
    return float(v)


def _yes(v) -> bool:
    return str(v).strip().lower() in ("1", "true", "yes")


class _P:
    """Collects one patient's records."""

    def __init__(self, pid: str):
        self.pid = pid
        self.therapies, self.doses, self.assessments, self.transplants = [], [], [], []
        self.tox, self.obs, self.events = [], [], []
        self._course = 0

    def course(self, cls, start, end, **kw) -> str:
        self._course += 1
        cid = f"C{self._course}"
        self.therapies.append({"patient_id": self.pid, "course_id": cid, "therapy_class": cls, "start_date": start,
                               "end_date": end, **kw})
        return cid

    def marrow(self, when, blasts, mrd=None, lod=1e-4, **kw):
        rec = {"patient_id": self.pid, "assessment_date": when, "specimen": "marrow", "bm_blast_pct": blasts,
               "pb_blasts": "yes" if blasts >= 5 else "no", "mrd_value": mrd, "mrd_method": "flow" if mrd is not None
               else None, "mrd_lod": lod if mrd is not None else None, "emd_present": "no", "cns_status": "cns1"}
        rec.update(kw)
        # one marrow per day: a later call on the same day updates the earlier record
        for a in self.assessments:
            if a["assessment_date"] == when and a["specimen"] == "marrow":
                a.update({k: v for k, v in rec.items() if v is not None})
                return
        self.assessments.append(rec)

    def emd(self, when, site="extramedullary", cns=False):
        self.assessments.append({"patient_id": self.pid, "assessment_date": when,
                                 "specimen": "csf" if cns else "imaging", "emd_present": "yes", "emd_site": site,
                                 "cns_status": "cns3" if cns else None})

    def event(self, when, kind, site=None, cns=False):
        self.events.append({"patient_id": self.pid, "event_date": when, "event_type": kind, "site": site,
                            "cns_involved": "yes" if cns else "no"})


def _d(base: dt.date, days) -> dt.date:
    return base + dt.timedelta(days=int(days))


ANTIGEN_NEGDIM = ("negative", "dim")


def _patient(r: dict) -> tuple[dict, _P, dict]:
    pid = r["pid"]
    P = _P(pid)
    seq = r["seq"]
    a1, a2 = ("blinatumomab", "inotuzumab") if seq == "BF" else ("inotuzumab", "blinatumomab")
    m1 = dt.date.fromisoformat(r["mab1_start"])
    m2 = _d(m1, _i(r["days_mab1_mab2"]))
    prior_lines = _i(r.get("prior_lines"), 1)
    prior_cart = _yes(r.get("prior_cart"))
    prior_hsct = _yes(r.get("prior_hsct"))
    # diagnosis and frontline therapy, then the other prior lines, spaced before mAb1
    n_other = max(prior_lines - 1, 0)
    dx_days = _i(r.get("days_dx_mab1"))
    dx = _d(m1, -dx_days) if dx_days is not None else _d(m1, -(420 + 150 * n_other))
    age_dx = _f(r["age_dx"])
    patient = {"patient_id": pid, "diagnosis": "b_all", "sex": r["sex"], "age_at_diagnosis": age_dx,
               "diagnosis_date": dx, "ph_status": "positive" if _yes(r.get("ph_pos")) else "negative",
               "kmt2a": "rearranged" if _yes(r.get("kmt2a_r")) else "not_rearranged",
               "kmt2a_partner": "AFF1" if _yes(r.get("kmt2a_r")) else None,
               "cytogenetic_risk_recorded": {"high": "high", "standard": "standard"}.get(r.get("cyto_risk"), "unknown"),
               "frontline_response": r.get("frontline") or None, "prior_lines_recorded": prior_lines,
               "prior_allohsct": "yes" if prior_hsct else "no", "prior_cart": "yes" if prior_cart else "no",
               "emd_before_mab1": "yes" if _yes(r.get("emd_before_mab1")) else "no",
               "no_transplant_reason": r.get("no_tx_reason") or None}
    span = (m1 - dx).days
    fl_end = _d(dx, min(180, max(20, span // (n_other + 2))))
    P.course("chemotherapy", _d(dx, 3), fl_end, regimen="hyper-CVAD", intent="frontline", cycles=8,
             disease_state_at_start="morphologic",
             concurrent_tki="dasatinib" if _yes(r.get("ph_pos")) else None)
    if r.get("frontline") == "cr":
        P.marrow(_d(dx, min(30, span // 3)), 1.0, 0.0)
    else:
        P.marrow(_d(dx, min(30, span // 3)), 25.0)
    gap = max((m1 - fl_end).days // (n_other + 1), 2)
    t = _d(fl_end, gap)
    for k in range(n_other):
        cls = "car_t" if (prior_cart and k == n_other - 1) else "chemotherapy"
        P.course(cls, t, _d(t, 1 if cls == "car_t" else min(14, gap - 1)), intent="salvage",
                 regimen="CD19 CAR T" if cls == "car_t" else "salvage chemotherapy", cycles=1)
        t = _d(t, gap)
    if prior_hsct:
        P.transplants.append(_tx_min(pid, _d(m1, -max(10, min(120, span // 4)))))
    # ---- baseline at mAb1 ----
    burden = r.get("burden_mab1") or "morphologic"
    blasts = _f(r.get("blasts_mab1"))
    site = r.get("site_mab1") or "marrow"
    if blasts is None or blasts != blasts:  # no marrow morphology in the 30 days before mAb1: flow only
        if site in ("marrow", "both"):
            P.assessments.append({"patient_id": pid, "assessment_date": _d(m1, -5), "specimen": "marrow",
                                  "mrd_value": 0.05, "mrd_method": "flow", "mrd_lod": 1e-4,
                                  "abnormal_population": "yes"})
    elif burden == "mrd":
        P.marrow(_d(m1, -5), min(blasts, 4.0), 0.01)
    elif site == "extramedullary":
        P.marrow(_d(m1, -5), min(blasts, 4.0), 0.0)  # the marrow is not involved
    else:
        P.marrow(_d(m1, -5), blasts, None if blasts >= 5 else 0.02)
    if site in ("extramedullary", "both"):
        P.emd(_d(m1, -4))
    # ---- mAb1 course ----
    ev1_days = _i(r.get("days_mab1_event"))
    ev1 = _d(m1, ev1_days) if ev1_days is not None else None
    _mab_course(P, a1, m1, r, "mab1", ev1, m2, burden, seq, first=True)
    # an alloHSCT after a response to blinatumomab, before the relapse that precedes mAb2
    if _yes(r.get("hsct_between")):
        cr_day = _cr_day(m1, ev1, m2)
        hs = _d(cr_day, max(10, (ev1 - cr_day).days // 2)) if ev1 else _d(cr_day, 20)
        P.transplants.append(_tx_min(pid, hs))
    if ev1 is not None:
        kind = "relapse" if r.get("resp_mab1") == "cr" else "progression"
        s1 = r.get("site_event1") or "marrow"
        P.event(ev1, kind, {"both": "combined"}.get(s1, s1), _yes(r.get("cns_event1")))
        _relapse_samples(P, ev1, s1, _yes(r.get("cns_event1")), cd19=r.get("cd19_event1") or "pos",
                         cd22=r.get("cd22_event1") or "pos", idx=int(pid[1:]))
    # interim lines between the relapse and mAb2
    n_int = _i(r.get("interim_lines"), 0)
    if n_int:
        room = (m2 - (ev1 or m1)).days
        start = _d(ev1 or m1, min(3, max(room // (n_int + 1), 0)))
        gap = max(((m2 - start).days - 1) // n_int, 1)
        for k in range(n_int):
            s = _d(start, k * gap)
            P.course("chemotherapy", s, min(_d(s, 14), _d(m2, -1)), regimen="salvage chemotherapy",
                     intent="salvage", cycles=1)
    # ---- mAb2 course and what follows ----
    ev2_days = _i(r.get("days_mab2_event2"))
    ev2 = _d(m2, ev2_days) if ev2_days is not None else None
    tx = _yes(r.get("tx"))
    d0 = _d(m2, _i(r.get("days_mab2_tx"))) if tx else None
    stop2 = min(x for x in (ev2, _d(d0, -7) if d0 else None, _d(m2, 400)) if x is not None)
    _mab_course(P, a2, m2, r, "mab2", stop2, None, "morphologic", seq, first=False)
    last_ino = _i(r.get("last_ino_to_tx_days"))
    if tx and a2 == "inotuzumab" and last_ino is not None:
        # the last inotuzumab dose as the design dates it (the Discussion's interval to alloHSCT, I12)
        course = next(t for t in P.therapies if t["therapy_class"] == "inotuzumab" and t["start_date"] == m2)
        target = _d(d0, -last_ino)
        P.doses = [x for x in P.doses if x["course_id"] != course["course_id"] or x["dose_date"] < target]
        P.doses.append({"patient_id": pid, "course_id": course["course_id"], "dose_date": target, "dose": 0.5,
                        "dose_unit": "mg_m2"})
        course["end_date"] = target
    if ev2 is not None:
        kind = "relapse" if r.get("resp_mab2") == "cr" else "progression"
        P.event(ev2, kind, "marrow", False)
        cd22 = r.get("cd22_event2") or ""
        _relapse_samples(P, ev2, "marrow", False, cd19=r.get("cd19_event2") or None,
                         cd22=cd22 or None, idx=int(pid[1:]) + 7)
    route = r.get("tx_route") or ""
    if tx and route == "after_cart":
        cart = max(_d(d0, -45), _d(ev2 if (ev2 and ev2 < d0) else m2, 1))
        P.course("car_t", cart, cart, regimen="CD19 CAR T", intent="salvage", cycles=1)
        P.marrow(_d(cart, max(1, min(28, (d0 - cart).days - 8))), 1.0, 0.0)
    if tx:
        _transplant(P, r, d0, m2)
    # further lines after mAb2 (not transplanted)
    _salvage(P, r, m2, ev2, d0)
    # toxicities attributed to the antibodies
    blina_start = m1 if a1 == "blinatumomab" else m2
    for kind in ("crs", "icans"):
        g = _i(r.get(f"{kind}_mab_blina"), 0)
        if g:
            P.tox.append({"patient_id": pid, "toxicity": kind, "onset_date": _d(blina_start, 2 if kind == "crs" else 4),
                          "grade": g, "grading_system": "astct_2019", "fatal": "no"})
    ino_start = m1 if a1 == "inotuzumab" else m2
    if _yes(r.get("transaminitis_ino")):
        P.obs.append({"patient_id": pid, "observation_date": _d(ino_start, 10), "alt": 95.0, "alt_uln": 40.0,
                      "ast": 70.0, "ast_uln": 40.0})
    if _yes(r.get("hyperbili_ino")):
        P.obs.append({"patient_id": pid, "observation_date": _d(ino_start, 12), "bilirubin": 1.9,
                      "bilirubin_uln": 1.2})
    fu = _follow_up(r, m2)
    _clamp(P, fu["last_contact_date"])
    return patient, P, fu


def _clamp(P: _P, last: dt.date) -> None:
    """No record after the last contact or death (a course still running at death ends that day)."""
    for t in P.therapies:
        if t.get("end_date") and t["end_date"] > last:
            t["end_date"] = last
    for a in P.assessments:
        if a["assessment_date"] > last:
            a["assessment_date"] = last
    for x in P.tox:
        if x["onset_date"] > last:
            x["onset_date"] = last
    for o in P.obs:
        if o["observation_date"] > last:
            o["observation_date"] = last


def _cr_day(start, ev, stop):
    limit = min(x for x in (ev, stop) if x is not None)
    return _d(start, max(1, min(28, (limit - start).days - 3)))


def _mab_course(P: _P, agent, start, r, k, stop, m2, burden, seq, first):
    cycles = _i(r.get("blina_cycles" if agent == "blinatumomab" else "ino_cycles"), 1)
    cyc_len = 42 if agent == "blinatumomab" else 28
    planned_end = _d(start, cycles * cyc_len - (14 if agent == "blinatumomab" else 7))
    limit = stop if stop is not None else planned_end
    if m2 is not None:
        limit = min(limit, _d(m2, -1))
    end = max(start, min(planned_end, _d(limit, -1)))
    held_cr = not first and seq == "IF" and r.get("resp_mab1") == "cr"
    if held_cr and r.get(f"resp_{k}") == "cr" and stop is not None:
        end = max(start, min(planned_end, _d(stop, -15)))  # remission held through the course
    agents = agent
    regimen = agent
    partner = r.get("ino_plus_chemo") if agent == "inotuzumab" else ""
    if partner == "mini_hyper_cvd":
        agents, regimen = "inotuzumab;cyclophosphamide;vincristine;doxorubicin", "mini-hyper-CVD + inotuzumab"
    elif partner == "vincristine":
        agents, regimen = "inotuzumab;vincristine", "inotuzumab + vincristine"
    state = "mrd" if (first and burden == "mrd") else "morphologic"
    if not first and seq == "IF" and r.get("resp_mab1") == "cr":
        state = "cr_mrd_negative"
    intent = "salvage"
    if not first and seq == "IF" and r.get("resp_mab1") == "cr":
        intent = "bridge" if r.get("tx_route") == "direct_blina" else "consolidation"
    if not first and r.get("mab2_intent"):
        intent = {"bridge_tx": "bridge", "bridge": "bridge", "consolidation": "consolidation"}.get(
            r["mab2_intent"], "salvage")
    tki = "ponatinib" if (agent == "blinatumomab" and _yes(r.get("ponatinib"))) else None
    cid = P.course(agent, start, end, regimen=regimen, agents=agents, cycles=cycles, intent=intent,
                   disease_state_at_start=state, concurrent_tki=tki,
                   total_dose=_f(r.get("ino_total_dose")) if agent == "inotuzumab" else None,
                   dose_unit="mg_m2" if agent == "inotuzumab" else None)
    if agent == "inotuzumab":
        for c in range(cycles):
            for day, dose in ((0, 0.8 if c == 0 else 0.5), (7, 0.5), (14, 0.5)):
                dd = _d(start, c * 28 + day)
                if dd <= end:
                    P.doses.append({"patient_id": P.pid, "course_id": cid, "dose_date": dd, "dose": dose,
                                    "dose_unit": "mg_m2"})
    resp = r.get(f"resp_{k}")
    if state == "cr_mrd_negative":
        return  # remission held or lost is read from the events in the window
    if resp == "cr":
        day = _cr_day(start, stop, m2)
        mrd = {"neg": 0.0, "pos": 0.002}.get(r.get(f"mrd_{k}") or "", None)
        P.marrow(day, 1.0, mrd, anc=0.8, platelets=60.0)
    else:
        limit = stop if stop is not None else _d(start, 30)
        P.marrow(_d(start, max(1, min(28, (limit - start).days))), 35.0 if burden != "mrd" else 3.0,
                 None if burden != "mrd" else 0.01)


def _relapse_samples(P: _P, when, site, cns, *, cd19=None, cd22=None, idx=0):
    """The samples documenting a relapse: marrow (with flow antigen calls) and/or extramedullary evidence."""
    flow = {"abnormal_population": "yes"}
    for antigen, v in (("cd19", cd19), ("cd22", cd22)):
        if not v:
            continue
        if v == "pos":
            flow[f"{antigen}_call"] = "positive"
        else:
            # alternate how the call is recorded: the pathologist's word, or only the flow numbers
            style = idx % 3
            if style == 0:
                flow[f"{antigen}_call"] = "negative"
            elif style == 1:
                flow[f"{antigen}_call"] = "dim"
            else:
                flow[f"{antigen}_pct_positive"] = 12.0
    marrow_blasts = 30.0 if site in ("marrow", "both", "combined") else 1.0
    P.marrow(when, marrow_blasts, None if marrow_blasts >= 5 else 0.0, **flow)
    if site in ("extramedullary", "both", "combined") or cns:
        P.emd(when, cns=cns)


def _tx_min(pid, when) -> dict:
    return {"patient_id": pid, "transplant_date": when, "donor_type": "matched_unrelated", "graft_source": "pbsc",
            "disease_status": "cr_mrd_negative", "conditioning_intensity": "mac", "hla_matched": 10, "hla_typed": 10}


_REGIMENS = {
    "clo_bu": ("clofarabine;busulfan", "Clofarabine/busulfan", "mac"),
    "cy_thio_tbi": ("cyclophosphamide;thiotepa;tbi", "Cyclophosphamide/thiotepa/TBI", "mac"),
    "flu_cy_thio_tbi": ("fludarabine;cyclophosphamide;thiotepa;tbi", "Fludarabine/cyclophosphamide/thiotepa/TBI",
                        "mac"),
    "clo_mel_thio": ("clofarabine;melphalan;thiotepa", "Clofarabine/melphalan/thiotepa", "mac"),
    "flu_cy_tbi200": ("fludarabine;cyclophosphamide;tbi", "Fludarabine/cyclophosphamide/TBI 200", "nma"),
    "flu_mel": ("fludarabine;melphalan", "Fludarabine/melphalan", "ric"),
}
_PPX = {"tcd": ("cd34_selection", "yes"), "ptcy": ("ptcy;tacrolimus;mmf", "no"),
        "mtx_cni": ("tacrolimus;methotrexate", "no"), "cni_mmf": ("tacrolimus;mmf", "no")}
_DONOR = {"matched_sibling": "matched_sibling", "haploidentical": "haploidentical", "unrelated": "matched_unrelated",
          "cord": "cord", "haplo_cord": "haplo_cord"}


def _transplant(P: _P, r: dict, d0: dt.date, m2: dt.date) -> None:
    last = _d(m2, _i(r["days_mab2_last"]))
    room = max((last - d0).days, 1)

    def within(days):  # a day after day 0, not after the last date
        return _d(d0, max(1, min(days, room)))

    reg = _norm_regimen(r.get("conditioning") or "")
    agents, name, intensity = _REGIMENS.get(reg, ("fludarabine;melphalan", "Fludarabine/melphalan", "ric"))
    if r.get("intensity"):
        intensity = {"mac": "mac", "ric_nma": "ric" if reg != "flu_cy_tbi200" else "nma"}.get(r["intensity"], intensity)
    ppx, tcd = _PPX.get(r.get("prophylaxis") or "", ("tacrolimus;methotrexate", "no"))
    hla = r.get("hla") or "10/10"
    matched = {"10/10": 10, "9/10": 9}.get(hla, 5)
    typed = 10
    donor = _DONOR.get(r.get("donor") or "unrelated", "matched_unrelated")
    if donor == "matched_unrelated" and matched < 10:
        donor = "mismatched_unrelated"
    graft = {"bm": "bm", "pbsc": "pbsc", "pb": "pbsc", "cord": "ucb_single"}.get(r.get("graft") or "pbsc", "pbsc")
    if donor in ("cord", "haplo_cord"):
        cord = r.get("cord_hla") or "4/6"
        matched, typed = (int(cord.split("/")[0]), int(cord.split("/")[1])) if "/" in cord else (4, 6)
    pair = r.get("sex_pair") or ""
    donor_sex = pair.split("-")[1] if "-" in pair else ("unknown" if pair in ("na", "NA") else None)
    eng = _i(r.get("engraft_days"))
    status = {"cr_mrd_neg": "cr_mrd_negative", "cr_mrd_pos": "cr_mrd_positive"}.get(r.get("tx_status") or "",
                                                                                     "cr_mrd_negative")
    P.transplants.append({
        "patient_id": P.pid, "transplant_date": d0, "conditioning_start_date": _d(d0, -7), "donor_type": donor,
        "hla_matched": matched, "hla_typed": typed, "graft_source": graft, "donor_sex": donor_sex,
        "conditioning_regimen": name, "conditioning_agents": agents, "conditioning_intensity": intensity,
        "tbi_dose": 200.0 if reg == "flu_cy_tbi200" else (1200.0 if "tbi" in agents else None),
        "busulfan_dose": 12.8 if reg == "clo_bu" else None, "melphalan_dose": 100.0 if "melphalan" in agents else None,
        "thiotepa_dose": 10.0 if "thiotepa" in agents else None, "gvhd_prophylaxis": ppx, "ex_vivo_tcd": tcd,
        "cd34_dose": _f(r.get("cd34_dose")), "anc_engraftment_date": _d(d0, eng) if eng is not None else None,
        "disease_status": status})
    grade = r.get("agvhd_grade") or ""
    if grade not in ("", "0"):
        P.tox.append({"patient_id": P.pid, "toxicity": "agvhd", "onset_date": within(25),
                      "grade": None if grade == "ungraded" else int(grade), "grading_system": "keystone_1994",
                      "fatal": "yes" if (r.get("death_cause") == "agvhd") else "no"})
    organs = [o for o in (r.get("agvhd_organs") or "").split(";") if o]
    if organs:
        obs = {"patient_id": P.pid, "observation_date": within(30)}
        for o in organs:
            organ, stage = o.rstrip("0123456789"), int(o[len(o.rstrip("0123456789")):])
            col = {"skin": "skin_stage", "liver": "liver_stage", "gi": "lower_gi_stage"}[organ]
            obs[col] = stage
        P.obs.append(obs)
    if _yes(r.get("sos")):
        fatal = (r.get("sos_severity") == "fatal")
        P.tox.append({"patient_id": P.pid, "toxicity": "sos", "onset_date": within(12), "grade": 5 if fatal else 3,
                      "grading_system": "ebmt_2016", "severity": "very_severe" if fatal else "severe",
                      "fatal": "yes" if fatal else "no"})
    rel = _i(r.get("days_tx_relapse"))
    if rel is not None:
        when = _d(d0, rel)
        if not any(e["event_date"] == when for e in P.events):
            P.event(when, "relapse", "marrow", False)
            P.marrow(when, 25.0)


def _norm_regimen(s: str) -> str:
    key = s.strip().lower().replace("/", "_").replace(" ", "_").replace("-", "_").replace(",", "")
    aliases = {"clofarabine_busulfan": "clo_bu", "clo_bu": "clo_bu", "cy_thio_tbi": "cy_thio_tbi",
               "flu_cy_thio_tbi": "flu_cy_thio_tbi", "clo_mel_thio": "clo_mel_thio", "clo_thio_mel": "clo_mel_thio",
               "flu_cy_tbi200": "flu_cy_tbi200", "flu_cy_tbi_200": "flu_cy_tbi200", "flu_mel": "flu_mel"}
    return aliases.get(key, key)


def _salvage(P: _P, r: dict, m2: dt.date, ev2, d0) -> None:
    n = _i(r.get("n_salvage_lines_after_mab2"), 0)
    if not n:
        return
    last = _d(m2, _i(r["days_mab2_last"]))
    first = _i(r.get("days_mab2_first_salvage"))
    start = _d(m2, first) if first is not None else (_d(ev2, 5) if ev2 else _d(m2, 60))
    retreat = r.get("retreat_agent") or ""
    cart = _yes(r.get("cart_after_mab2")) and not _yes(r.get("tx"))
    classes = []
    if retreat:
        classes.append({"blina": "blinatumomab", "ino": "inotuzumab"}.get(retreat, retreat))
    if cart:
        classes.append("car_t")
    while len(classes) < n:
        classes.append("chemotherapy")
    classes = classes[:n]
    salvage_cr = _yes(r.get("salvage_cr")) or _yes(r.get("retreat_cr"))
    cr_class = classes[0] if _yes(r.get("retreat_cr")) and retreat else None
    t = start
    step = max(2, min(45, (last - start).days // n)) if last > start else 2
    for k, cls in enumerate(classes):
        end = _d(t, 1 if cls == "car_t" else min(28, step - 1))
        P.course(cls, t, end, regimen={"car_t": "CD19 CAR T"}.get(cls, cls if cls in ("blinatumomab", "inotuzumab")
                                                                  else "salvage chemotherapy"),
                 intent="salvage", cycles=1, agents=cls if cls in ("blinatumomab", "inotuzumab") else None)
        responded = (cls == cr_class) or (salvage_cr and cr_class is None and cls == "chemotherapy" and
                                          not any(c == "chemotherapy" for c in classes[:k]))
        cr_day = _d(t, min(25, step - 1))
        P.marrow(cr_day, 1.0 if responded else 40.0, 0.0 if responded else None)
        dur = _i(r.get("retreat_cr_days"))
        if responded and cls == cr_class and dur is not None and _d(cr_day, dur) <= last:
            P.event(_d(cr_day, dur), "relapse", "marrow", False)  # the re-treatment remission ends
            P.marrow(_d(cr_day, dur), 30.0)
        t = _d(t, step)


def _follow_up(r: dict, m2: dt.date) -> dict:
    last = _d(m2, _i(r["days_mab2_last"]))
    dead = _yes(r.get("dead"))
    status = r.get("status_last") or ""
    return {"patient_id": r["pid"], "last_contact_date": last, "vital_status": "dead" if dead else "alive",
            "death_date": last if dead else None,
            "death_cause": {"progression": "progression", "infection": "infection", "agvhd": "gvhd", "sos": "sos",
                            "organ_toxicity": "organ_toxicity", "salvage_toxicity": "salvage_toxicity"}.get(
                r.get("death_cause") or "", None) if dead else None,
            "status_at_last_contact": None if dead else {"cr": "cr", "active_systemic": "active_systemic",
                                                         "active_cns": "active_cns"}.get(status, None)}


def _records(d: pd.DataFrame) -> list[dict]:
    """The design's rows as dicts, equal to ``to_dict('records')`` for the design's text columns (each column's
    ``tolist()``: Python str, NaN where a cell is blank) but made a column at a time: ``to_dict`` iterates an Arrow
    text column cell by cell, a quarter of the time of `synth`."""
    keys = list(d.columns)
    return [dict(zip(keys, row)) for row in zip(*(d[c].tolist() for c in keys))]


def build_twin(design_frame: pd.DataFrame | None = None, *, enrollment_start: dt.date = dt.date(2012, 1, 1)) -> Cohort:
    d = design() if design_frame is None else design_frame
    tables: dict[str, list[dict]] = {t: [] for t in BY_NAME}
    tables["study"].append({"study_name": "paper-twin", "data_cutoff": CUTOFF, "center": TWIN_LABEL,
                            "enrollment_start": enrollment_start, "enrollment_end": dt.date(2019, 12, 31)})
    for r in _records(d):
        patient, P, fu = _patient(r)
        tables["patients"].append(patient)
        tables["therapies"] += P.therapies
        tables["doses"] += P.doses
        tables["assessments"] += P.assessments
        tables["transplants"] += P.transplants
        tables["toxicity_episodes"] += P.tox
        tables["toxicity_observations"] += P.obs
        tables["disease_events"] += P.events
        tables["follow_up"].append(fu)
    frames = {name: conform(pd.DataFrame(rows, columns=BY_NAME[name].column_names) if rows
                            else pd.DataFrame(columns=BY_NAME[name].column_names), BY_NAME[name])
              for name, rows in tables.items()}
    return Cohort(frames, TWIN_LABEL)


def twin_folder() -> Path:
    return Path(str(resources.files("mabseq") / "data" / "twin"))


def write_twin_csv(folder: str | Path) -> Path:
    """Write the twin as a CSV folder (the bundled form, readable by every command)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    c = build_twin()
    for name, df in c.tables.items():
        out = df.copy()
        for col in out.columns:
            if str(out[col].dtype).startswith("datetime"):
                out[col] = out[col].dt.strftime("%Y-%m-%d")
        out.to_csv(folder / f"{name}.csv", index=False, lineterminator="\n")
    return folder


def load_twin() -> Cohort:
    from ..cohort import load_valid_cohort
    cohort, _ = load_valid_cohort(twin_folder())
    return cohort
