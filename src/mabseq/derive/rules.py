"""The derivation rules of study-definition section 2, one function each, on one patient's records.

Records are dicts (one per row of a cohort table) with dates as ``datetime.date``. The clinical judgements
(response, MRD, antigen status, cytogenetic risk, CTCAE grades) come from :mod:`mabseq.criteria`.
"""
from __future__ import annotations

import datetime as dt

from ..criteria.response import hematologic_response, mrd_negative, mrd_status, response_any
from .params import MAB_CLASSES, SYSTEMIC_LINE_CLASSES, DeriveParams

ONE_DAY = dt.timedelta(days=1)


def shift(d: dt.date, days: int) -> dt.date:
    """``d`` moved by ``days``, held at the calendar's ends (``date.min``, ``date.max``): a window that would end
    after 9999-12-31 ends there, so that a valid far date (a cut-off of 9999-12-31, a transplant in 2150) never
    overflows. No record can lie beyond those ends, so every comparison keeps its meaning."""
    try:
        return d + dt.timedelta(days=days)
    except OverflowError:
        return dt.date.max if days > 0 else dt.date.min


# ---- baseline ----------------------------------------------------------------------------------------------------
def cytogenetic_risk(p: dict) -> str:
    """high / standard / missing (UKALLXII/ECOG2993, study-definition 2.5): the center's recorded call, else
    derived from the recorded findings by :func:`mabseq.criteria.cytogenetics.cytogenetic_risk`."""
    rec = p.get("cytogenetic_risk_recorded")
    if rec in ("high", "standard"):
        return rec
    from ..criteria.cytogenetics import cytogenetic_risk as crit
    r = crit("UKALLXII/ECOG2993", **_cyto_inputs(p))
    v = r.value
    return v if v in ("high", "standard") else "missing"


def _cyto_inputs(p: dict) -> dict:
    kmt2a = p.get("kmt2a")
    return {"ph_positive": {"positive": True, "negative": False}.get(p.get("ph_status")),
            "kmt2a_rearranged": {"rearranged": True, "not_rearranged": False}.get(kmt2a),
            "kmt2a_partner": p.get("kmt2a_partner"),
            "t_8_14": {"yes": True, "no": False}.get(p.get("t_8_14")),
            "modal_number": p.get("modal_number"),
            "n_abnormalities": p.get("n_karyotype_abnormalities"),
            "karyotype_available": bool(p.get("karyotype")) or p.get("modal_number") is not None}


def prior_lines(therapies: list[dict], mab1_start: dt.date, p: dict) -> int:
    """Lines started before mAb1 (study-definition 2.1): frontline induction, consolidation and maintenance are one
    line; every other systemic course or antibody course or CAR-T is a line; IT therapy, radiotherapy, TKI alone
    and cytoreduction are not. Minimum 1. The center's recorded count is used when no therapy rows precede mAb1."""
    before = [t for t in therapies if t["start_date"] < mab1_start]
    frontline = any(t.get("intent") == "frontline" for t in before)
    other = [t for t in before if t.get("intent") != "frontline" and
             (t["therapy_class"] in SYSTEMIC_LINE_CLASSES or t["therapy_class"] in MAB_CLASSES)]
    n = int(frontline) + len(other)
    if n == 0 and p.get("prior_lines_recorded") is not None:
        return int(p["prior_lines_recorded"])
    return max(n, 1)


def baseline_marrow(assessments: list[dict], when: dt.date, lookback: int) -> dict:
    """The last marrow within ``lookback`` days before ``when`` (inclusive of the day itself)."""
    cands = [a for a in assessments if a["specimen"] == "marrow" and
             shift(when, -lookback) <= a["assessment_date"] <= when and a.get("bm_blast_pct") is not None]
    return cands[-1] if cands else {}


def site_at(assessments: list[dict], when: dt.date, lookback: int) -> str | None:
    """Sites of disease at the start of a course: isolated marrow, isolated extramedullary, or both."""
    win = [a for a in assessments if shift(when, -lookback) <= a["assessment_date"] <= when]
    marrow = any(a["specimen"] == "marrow" and (a.get("bm_blast_pct") or 0) >= 5 or
                 (a["specimen"] == "marrow" and (a.get("mrd_value") or 0) >= 1e-4) for a in win)
    emd = any(a.get("emd_present") == "yes" or a.get("cns_status") in ("cns2", "cns3") for a in win)
    if marrow and emd:
        return "both"
    if emd:
        return "extramedullary"
    if marrow:
        return "marrow"
    return None


# ---- events ------------------------------------------------------------------------------------------------------
EVENT_TYPES = ("relapse", "progression", "refractory", "mrd_relapse")


def first_event(events: list[dict], start: dt.date, end: dt.date, mrd_counts: bool, inclusive: bool = False,
                through: bool = False):
    """First relapse/progression/treatment failure strictly after ``start`` (or on it if ``inclusive``) and before
    ``end`` (on or before it if ``through``: "up to the cut-off" is ``end=cutoff, through=True``, never
    ``cutoff + 1 day``, which overflows at 9999-12-31) (study-definition 2.4). MRD relapse counts when
    ``mrd_counts``."""
    for e in events:
        d = e["event_date"]
        if (d > start or (inclusive and d == start)) and (d < end or (through and d == end)):
            if e["event_type"] == "mrd_relapse" and not mrd_counts:
                continue
            return e
    return None


def next_line_after(therapies: list[dict], when: dt.date | None) -> dt.date | None:
    if when is None:
        return None
    starts = [t["start_date"] for t in therapies if t["start_date"] > when and
              (t["therapy_class"] in SYSTEMIC_LINE_CLASSES or t["therapy_class"] in MAB_CLASSES)]
    return min(starts) if starts else None


def combination_partner(course: dict) -> str | None:
    """'mini_hyper_cvd', 'vincristine' or None: non-antibody agents given within the antibody course."""
    agents = {a.strip().lower() for a in (course.get("agents") or "").split(";") if a.strip()}
    agents -= {course["therapy_class"]}
    if not agents:
        return None
    regimen = (course.get("regimen") or "").lower().replace("-", " ")
    if "mini hyper" in regimen or {"cyclophosphamide", "doxorubicin"} & agents:
        return "mini_hyper_cvd"
    if agents == {"vincristine"}:
        return "vincristine"
    return ";".join(sorted(agents))


# ---- response (2.3) ----------------------------------------------------------------------------------------------
def response_window_end(course: dict, therapies: list[dict], cond_dates: list[dt.date], death: dt.date | None,
                        cutoff: dt.date) -> dt.date:
    """Last day of a course's response window: the day before the earliest of the next different line,
    conditioning (or day 0), CAR-T, death, and the cut-off."""
    s = course["start_date"]
    ends = []  # the first day after the window (each > s, so the day before never underflows)
    for t in therapies:
        if t["start_date"] > s and t is not course and (
                t["therapy_class"] != course["therapy_class"] or t["therapy_class"] == "car_t") and (
                t["therapy_class"] in SYSTEMIC_LINE_CLASSES or t["therapy_class"] in MAB_CLASSES):
            ends.append(t["start_date"])
    ends += [d for d in cond_dates if d and d > s]
    if death and death > s:
        ends.append(death)
    return min([cutoff] + [d - ONE_DAY for d in ends])


def _mrd_negative(a: dict, threshold: float) -> bool | None:
    """MRD negative at ``threshold`` (value below it at an assay sensitivity of at least the threshold), via
    :func:`mabseq.criteria.response.mrd_status`; None when not measured."""
    if a.get("mrd_value") is None:
        return None
    r = mrd_status(a["mrd_value"], a.get("mrd_lod"), a.get("mrd_method") or "flow", threshold)
    return mrd_negative(r)


def _yes_no(v):
    return {"yes": True, "no": False}.get(v)


def _is_cr(a: dict, ruleset: str = "paper-2022") -> bool | None:
    """The paper's rule (criteria ``paper-2022``): marrow blasts < 5%, no circulating blasts, no extramedullary
    disease, with or without count recovery (CR, CRh and CRi pooled). None when an input is missing."""
    r = hematologic_response(a.get("bm_blast_pct"), pb_blasts=_yes_no(a.get("pb_blasts")),
                             emd_present=_yes_no(a.get("emd_present")), anc_e9_l=a.get("anc"),
                             plt_e9_l=a.get("platelets"), ruleset=ruleset)
    return response_any(r)


def best_response(course: dict, assessments: list[dict], events: list[dict], win_end: dt.date,
                  params: DeriveParams) -> dict:
    """Best response to a course within its window: 'cr' or 'nr', the MRD status at CR, and the date."""
    s = course["start_date"]
    state = course.get("disease_state_at_start")
    marrows = [a for a in assessments if a["specimen"] == "marrow" and s < a["assessment_date"] <= win_end]
    relapse_in = [e for e in events if s < e["event_date"] <= win_end and e["event_type"] in EVENT_TYPES]
    if state == "cr_mrd_negative":
        # consolidation in CR: the remission must hold through the course (first dose to 14 days after the last),
        # within the response window; a later relapse is a relapse after the response
        course_end = min(win_end, shift(course.get("end_date") or s, 14))
        lost = [e for e in relapse_in if e["event_date"] <= course_end]
        held = not lost
        return {"response": "cr" if held else "nr", "mrd": "neg" if held else None,
                "date": course_end if held else None,
                "why": f"started in MRD-negative CR; remission {'held' if held else 'lost'} through {course_end}"}
    crs = []
    for a in marrows:
        cr = _is_cr(a, params.response_ruleset)
        if not cr:
            continue
        neg = _mrd_negative(a, params.mrd_threshold)
        if state == "mrd" and params.mrd_start_response == "mrd_negativity" and not neg:
            continue
        crs.append((a, neg))
    if not crs:
        return {"response": "nr", "mrd": None, "date": None,
                "why": f"no marrow in CR from {s} to {win_end} ({len(marrows)} marrow(s) assessed)"}
    first = crs[0]
    any_neg = any(neg for _, neg in crs)
    mrd = "neg" if any_neg else ("pos" if any(neg is False for _, neg in crs) else "unknown")
    return {"response": "cr", "mrd": mrd, "date": first[0]["assessment_date"],
            "why": f"marrow {first[0]['assessment_date']} blasts {first[0]['bm_blast_pct']:g}% (< 5%), no EMD; "
                   f"MRD {mrd}"}


# ---- antigen status (2.4) ---------------------------------------------------------------------------------------
def antigen_at_event(assessments: list[dict], when: dt.date, next_line: dt.date | None, antigen: str,
                     params: DeriveParams) -> dict:
    """CD19/CD22 at an event: the first flow sample with an abnormal population from 14 days before to 28 days
    after, before the next line; the pathologist's call first, else derived (negative < 20% positive; dim when
    log10 intensity drop >= 1/3 against normal immature B cells), else missing."""
    lo = shift(when, -params.antigen_window_before)
    hi = shift(when, params.antigen_window_after)
    for a in assessments:
        d = a["assessment_date"]
        if not (lo <= d <= hi) or (next_line and d >= next_line):
            continue
        if a.get("abnormal_population") == "no":
            continue
        call = a.get(f"{antigen}_call")
        pct = a.get(f"{antigen}_pct_positive")
        if call is None and pct is None:
            continue
        status, how = _antigen_status(call, pct, a.get(f"{antigen}_mfi_abnormal"), a.get(f"{antigen}_mfi_reference"),
                                      params)
        if status is None:
            continue
        binary = "negdim" if status in ("negative", "dim") else "pos"
        return {"status": status, "binary": binary, "why": f"{antigen.upper()} {status} ({how}) on {d}"}
    return {"status": None, "binary": None, "why": f"no {antigen.upper()} result from {lo} to {hi}"}


def _antigen_status(call, pct, mfi_abn, mfi_ref, params: DeriveParams):
    """Via :func:`mabseq.criteria.antigen.antigen_status`: the pathologist's call first, else the flow values."""
    from ..criteria.antigen import antigen_status
    r = antigen_status(pct, mfi_abn, mfi_ref, pathologist_call=call, neg_pct_threshold=params.neg_pct_threshold,
                       dim_log_drop=params.dim_log_drop)
    how = "pathologist's call" if call in ("negative", "dim", "positive") else "derived from flow values"
    return (r.value if r.value in ("negative", "dim", "positive") else None), how


# ---- transplant (2.6, 2.7) ----------------------------------------------------------------------------------------
def last_dose(doses: list[dict], course: dict) -> dt.date | None:
    ds = [d["dose_date"] for d in doses if d["course_id"] == course["course_id"]]
    return max(ds) if ds else course.get("end_date")


def tx_status(tx: dict, assessments: list[dict], lookback: int) -> str | None:
    """CR MRD-negative / CR MRD-positive / not in CR at transplant: recorded, else the last marrow <= 30 days
    before conditioning."""
    rec = tx.get("disease_status")
    if rec:
        return {"cr_mrd_negative": "cr_mrd_neg", "cr_mrd_positive": "cr_mrd_pos", "cr_mrd_unknown": "cr_mrd_pos",
                "not_in_cr": "not_cr"}[rec]
    ref = tx.get("conditioning_start_date") or tx["transplant_date"]
    m = baseline_marrow(assessments, ref, lookback)
    if not m:
        return None
    if not _is_cr(m):
        return "not_cr"
    return "cr_mrd_neg" if _mrd_negative(m, 1e-4) else "cr_mrd_pos"


def no_tx_reason_fallback(values: dict, fu: dict) -> str:
    """Flagged fallback (2.7): treatment-related death -> 'death'; CR after mAb2 held >= 30 days -> 'preference';
    otherwise 'active_disease'."""
    if fu.get("death_cause") in ("salvage_toxicity", "infection", "organ_toxicity"):
        return "death"
    if values.get("resp_mab2") == "cr":
        return "preference"
    return "active_disease"


# ---- toxicity (2.9) -------------------------------------------------------------------------------------------
def max_grade_in_window(tox: list[dict], course: dict, therapies: list[dict], after_days: int):
    """Maximum CRS and ICANS grade from the course's first infusion to ``after_days`` after its end, cut at the
    next line (recorded grades; None when nothing was recorded means grade 0 only if the course is documented)."""
    s = course["start_date"]
    e = shift(course.get("end_date") or s, after_days)
    nxt = [t["start_date"] for t in therapies if t["start_date"] > s and t is not course and
           (t["therapy_class"] in SYSTEMIC_LINE_CLASSES or t["therapy_class"] in MAB_CLASSES)]
    if nxt:
        e = min(e, min(nxt) - ONE_DAY)
    out = []
    for kind in ("crs", "icans"):
        grades = [x.get("grade") or 0 for x in tox if x["toxicity"] == kind and s <= x["onset_date"] <= e]
        out.append(max(grades) if grades else 0)
    return out[0], out[1]


def hepatotoxicity(tox, obs, course, therapies, doses, cond_dates, params: DeriveParams):
    """Any-grade transaminase and bilirubin increase (CTCAE v5, baseline_mode uln_only) from the first inotuzumab
    dose to the earliest of last dose + 42 days, the day before the next line, the day before conditioning."""
    s = course["start_date"]
    last = last_dose(doses, course) or s
    e = shift(last, params.hepatotox_window_after_last_dose)
    nxt = [t["start_date"] for t in therapies if t["start_date"] > s and t is not course and
           (t["therapy_class"] in SYSTEMIC_LINE_CLASSES or t["therapy_class"] in MAB_CLASSES)]
    ends = [e] + [d - ONE_DAY for d in nxt] + [d - ONE_DAY for d in cond_dates if d and d > s]
    e = min(ends)
    transam = any(x["toxicity"] == "transaminitis" and s <= x["onset_date"] <= e and (x.get("grade") or 1) >= 1
                  for x in tox)
    bili = any(x["toxicity"] == "hyperbilirubinemia" and s <= x["onset_date"] <= e and (x.get("grade") or 1) >= 1
               for x in tox)
    from ..criteria.ctcae import ctcae5_grade
    for o in obs:
        if not (s <= o["observation_date"] <= e):
            continue
        for analyte, key, uln in (("ALT", "alt", "alt_uln"), ("AST", "ast", "ast_uln")):
            if o.get(key) is not None and o.get(uln):
                g = ctcae5_grade(analyte, o[key], o[uln], baseline_mode=params.ctcae_baseline_mode).value
                transam = transam or (g is not None and g >= 1)
        if o.get("bilirubin") is not None and o.get("bilirubin_uln"):
            g = ctcae5_grade("TBILI", o["bilirubin"], o["bilirubin_uln"], baseline_mode=params.ctcae_baseline_mode).value
            bili = bili or (g is not None and g >= 1)
    return transam, bili


def death_class(fu: dict, last_event: dict | None, dead: bool) -> str | None:
    """'progression' or 'treatment_related' from the recorded primary cause (2.8); when missing: progression if
    the disease was active at death, treatment-related otherwise."""
    if not dead:
        return None
    cause = fu.get("death_cause")
    if cause == "progression":
        return "progression"
    if cause in ("infection", "gvhd", "sos", "organ_toxicity", "salvage_toxicity"):
        return "treatment_related"
    return "progression" if fu.get("status_at_last_contact") in ("active_systemic", "active_cns") else \
        "treatment_related"
