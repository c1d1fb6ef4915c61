"""The derivation rules of study-definition section 2, one function each, on one patient's records.

Records are dicts (one per row of a cohort table) with dates as ``datetime.date``. The clinical judgements
(response, MRD, antigen status, cytogenetic risk, CTCAE grades) come from :mod:`mabseq.criteria`.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from ..criteria.response import hematologic_response, mrd_negative, mrd_status, response_any
from .params import MAB_CLASSES, SYSTEMIC_LINE_CLASSES, DeriveParams

ONE_DAY = dt.timedelta(days=1)


def counts_as_line(t: dict) -> bool:
    """A course that counts as a line of therapy (study-definition 2.1): every antibody course, every CAR-T and
    every other systemic salvage line (chemotherapy-based, investigational); IT therapy, radiotherapy, a TKI alone
    and cytoreduction are not lines. The one place this rule is written."""
    return t["therapy_class"] in SYSTEMIC_LINE_CLASSES or t["therapy_class"] in MAB_CLASSES


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
    other = [t for t in before if t.get("intent") != "frontline" and counts_as_line(t)]
    n = int(frontline) + len(other)
    if n == 0 and p.get("prior_lines_recorded") is not None:
        return int(p["prior_lines_recorded"])
    return max(n, 1)


def baseline_marrow(assessments: list[dict], when: dt.date, lookback: int) -> dict:
    """The last marrow within ``lookback`` days before ``when`` (inclusive of the day itself)."""
    lo = shift(when, -lookback)
    cands = [a for a in assessments if a["specimen"] == "marrow" and
             lo <= a["assessment_date"] <= when and a.get("bm_blast_pct") is not None]
    return cands[-1] if cands else {}


def site_at(assessments: list[dict], when: dt.date, lookback: int, mrd_threshold: float = 1e-4) -> str | None:
    """Sites of disease at the start of a course (SD 2.4/2.5): "marrow" (isolated), "extramedullary" (isolated) or
    "both", from the rows of the ``lookback`` days before ``when``; None when the window's rows document no disease.
    Marrow disease = blasts >= 5% or MRD >= ``mrd_threshold`` on any marrow of the window; EMD as
    :func:`shows_emd`. Unknown is never no:

    * ``"unknown_nodata"``: no row at all in the window; ``"unknown_nomarrow"``: EMD but no marrow (isolated EMD
      needs a marrow without disease);
    * when no marrow shows disease, the latest marrow decides: neither a blast count nor an MRD value gives
      ``"unknown"`` (it was once read as 0% blasts), < 5% blasts without an MRD value ``"unknown_mrd"`` (MRD-only
      disease is marrow disease);
    * no row of the window recording EMD present or absent gives ``"unknown_emd"`` ('marrow' and 'both', or
      'extramedullary' and none, cannot be told apart)."""
    lo = shift(when, -lookback)
    win = [a for a in assessments if lo <= a["assessment_date"] <= when]
    if not win:
        return "unknown_nodata"
    marrows = [a for a in win if a["specimen"] == "marrow"]
    marrow = any((a.get("bm_blast_pct") is not None and a["bm_blast_pct"] >= 5) or
                 (a.get("mrd_value") is not None and a["mrd_value"] >= mrd_threshold) for a in marrows)
    emd_rows = [shows_emd(a) for a in win]
    emd = any(e is True for e in emd_rows)
    if not marrows:
        return "unknown_nomarrow" if emd else "unknown_nodata"
    if not marrow:
        last = marrows[-1]
        if last.get("bm_blast_pct") is None and last.get("mrd_value") is None:
            return "unknown"
        if last.get("mrd_value") is None:
            return "unknown_mrd"
    if not emd and not any(e is False for e in emd_rows):
        return "unknown_emd"  # no row of the window says whether there was EMD
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
    starts = [t["start_date"] for t in therapies if t["start_date"] > when and counts_as_line(t)]
    return min(starts) if starts else None


def combination_partner(course: dict) -> str | None:
    """'mini_hyper_cvd', 'vincristine', another ';'-joined partner list, or 'none' (the antibody alone): the
    non-antibody agents given within the antibody course. None (unknown) when the course lists no agents."""
    if not (course.get("agents") or "").strip():
        return None
    agents = {a.strip().lower() for a in course["agents"].split(";") if a.strip()}
    agents -= {course["therapy_class"]}
    if not agents:
        return "none"
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
                t["therapy_class"] != course["therapy_class"] or t["therapy_class"] == "car_t") and \
                counts_as_line(t):
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
    return _judged(a, ruleset)[0]


def _judged(a: dict, ruleset: str) -> tuple[bool | None, tuple[str, ...]]:
    """(response, missing inputs) of one marrow row (:func:`_marrow_cr` on its values)."""
    return _marrow_cr(a.get("bm_blast_pct"), _yes_no(a.get("pb_blasts")), _yes_no(a.get("emd_present")), a.get("anc"),
                      a.get("platelets"), ruleset)


@lru_cache(maxsize=1 << 16)
def _marrow_cr(blasts, pb_blasts, emd_present, anc, platelets, ruleset: str) -> tuple[bool | None, tuple[str, ...]]:
    """Whether one marrow's values are a response (CR, CRh or CRi pooled; None when not determined) and the
    inputs missing for it: :func:`mabseq.criteria.response.hematologic_response`, kept for the values already
    judged. The rule is a pure function of these values, so the same values give the same answer; a patient's
    marrow is judged for each course whose window holds it and again for the state at death (a cohort of 100,000
    patients asked it 2.8 million times)."""
    r = hematologic_response(blasts, pb_blasts=pb_blasts, emd_present=emd_present, anc_e9_l=anc, plt_e9_l=platelets,
                             ruleset=ruleset)
    return response_any(r), tuple(r.missing_inputs)


def shows_emd(a: dict) -> bool | None:
    """Whether an assessment row shows extramedullary disease (EMD present, or CNS2/CNS3 in the CSF: CC 5), False
    when it records EMD absent, None when it records neither. One test for the start state and the site."""
    if a.get("emd_present") == "yes" or a.get("cns_status") in ("cns2", "cns3"):
        return True
    return False if a.get("emd_present") == "no" else None


MORPHOLOGIC_EVENTS = ("relapse", "progression", "refractory")


def state_from_marrow(assessments: list[dict], course: dict, params: DeriveParams,
                      events: list[dict] = ()) -> dict:
    """Disease state at the start of a course (study-definition 2.3, 2.5): the recorded
    ``disease_state_at_start``; when not recorded, derived from the latest marrow within
    ``params.state_marrow_window_days`` before the first dose (the day itself included) and the rows after it:

    * morphologic: blasts >= 5%, circulating blasts, EMD on any row from that marrow's day to the first dose (the
      marrow row of an isolated EMD relapse is clean; EMD seen before that marrow was answered by the course
      between; :func:`shows_emd`), or a relapse/progression/refractoriness dated after the marrow;
    * mrd: blasts < 5% with MRD >= ``mrd_threshold``, or an MRD relapse dated after an MRD-negative marrow;
    * cr_mrd_negative: blasts < 5%, MRD-negative;
    * for mrd and cr_mrd_negative the marrow must record no circulating blasts, and some row from its day must
      record EMD absent (else morphologic cannot be ruled out: unknown).

    None (unknown) when there is no such marrow or its inputs cannot settle it (the missing input named). The
    explanation names the marrow (and the row) used."""
    rec = course.get("disease_state_at_start")
    if rec:
        return {"state": rec, "derived": False, "why": f"recorded {rec}", "missing": None}
    s = course["start_date"]
    lo = shift(s, -params.state_marrow_window_days)
    ms = [a for a in assessments if a["specimen"] == "marrow" and lo <= a["assessment_date"] <= s]
    if not ms:
        return {"state": None, "derived": True, "missing": "marrow",
                "why": f"not recorded, and no marrow from {lo} to {s}"}
    m = ms[-1]
    b = m.get("bm_blast_pct")
    tag = f"marrow {m['assessment_date']}"
    since = [a for a in assessments if m["assessment_date"] <= a["assessment_date"] <= s]
    emd = [a for a in since if shows_emd(a)]
    later = [e for e in events if m["assessment_date"] < e["event_date"] <= s]
    morph_ev = [e for e in later if e["event_type"] in MORPHOLOGIC_EVENTS]
    mrd_ev = [e for e in later if e["event_type"] == "mrd_relapse"]
    if emd or morph_ev or m.get("pb_blasts") == "yes" or (b is not None and b >= 5):
        what = (f"blasts {b:g}%" if b is not None and b >= 5 else "circulating blasts" if m.get("pb_blasts") == "yes"
                else f"extramedullary disease on the {emd[-1]['specimen']} of {emd[-1]['assessment_date']}" if emd
                else f"the {morph_ev[0]['event_type']} of {morph_ev[0]['event_date']} after that marrow")
        return {"state": "morphologic", "derived": True, "missing": None,
                "why": f"not recorded; derived from {tag}: {what}"}
    if b is None:
        return {"state": None, "derived": True, "missing": "bm_blast_pct",
                "why": f"not recorded; {tag} has no blast count"}
    neg = _mrd_negative(m, params.mrd_threshold)
    if neg and mrd_ev:
        return {"state": "mrd", "derived": True, "missing": None,
                "why": f"not recorded; {tag} blasts {b:g}%, MRD-negative, then the MRD relapse of "
                       f"{mrd_ev[0]['event_date']}"}
    if neg is None:
        return {"state": None, "derived": True, "missing": "mrd_value",
                "why": f"not recorded; {tag} blasts {b:g}% (< 5%) without an MRD result"}
    if m.get("pb_blasts") is None or not any(shows_emd(a) is False for a in since):
        # < 5% blasts: morphologic is ruled out only by no circulating blasts and EMD recorded absent (on any row
        # from the marrow's day)
        miss = "pb_blasts" if m.get("pb_blasts") is None else "emd_present"
        return {"state": None, "derived": True, "missing": miss,
                "why": f"not recorded; {tag} blasts {b:g}% (< 5%) but {miss} not recorded"}
    st = "cr_mrd_negative" if neg else "mrd"
    return {"state": st, "derived": True, "missing": None,
            "why": f"not recorded; derived from {tag}: blasts {b:g}% (< 5%), MRD "
                   f"{'negative' if neg else 'positive'} at {params.mrd_threshold:g}"}


def best_response(course: dict, assessments: list[dict], events: list[dict], win_end: dt.date,
                  params: DeriveParams, state: str | None = ...) -> dict:
    """Best response to a course within its window (study-definition 2.3): 'cr', 'nr' or None (unknown), the MRD
    status at CR, and the date. ``state`` is the disease state at the start (default: the recorded one; the
    caller passes :func:`state_from_marrow`'s). Unknown is never no: when no marrow is in CR but one of them
    cannot be judged (a missing input, e.g. ``pb_blasts``), or a marrow in CR needs an MRD conversion whose
    need or result is unknown, the response is None and ``missing`` names the inputs."""
    s = course["start_date"]
    if state is ...:
        state = course.get("disease_state_at_start")
    marrows = [a for a in assessments if a["specimen"] == "marrow" and s < a["assessment_date"] <= win_end]
    relapse_in = [e for e in events if s < e["event_date"] <= win_end and e["event_type"] in EVENT_TYPES]
    if state == "cr_mrd_negative":
        # consolidation in CR: the remission must hold through the course (first dose to 14 days after the last),
        # within the response window; a later relapse is a relapse after the response
        # (a course without an end date is known to run through its first day: a relapse by 14 days after it is
        # a loss, none in the whole window a hold of unknown end, one in between unknown)
        course_end = min(win_end, shift(course.get("end_date") or s, 14))
        lost = [e for e in relapse_in if e["event_date"] <= course_end]
        if course.get("end_date") is None and not lost and relapse_in:
            return {"response": None, "mrd": None, "date": None, "missing": ("end_date",),
                    "why": f"unknown: started in MRD-negative CR, the course has no end date and the "
                           f"{relapse_in[0]['event_type']} of {relapse_in[0]['event_date']} may fall within it"}
        held = not lost
        date = (course_end if course.get("end_date") is not None or course_end == win_end else None) if held else None
        return {"response": "cr" if held else "nr", "mrd": "neg" if held else None,
                "date": date, "missing": (),
                "why": f"started in MRD-negative CR; remission {'held' if held else 'lost'} through "
                       + (str(course_end) if course.get("end_date") is not None or not held else
                          f"the response window's end {win_end} (the course has no end date)")}
    needs_conversion = params.mrd_start_response == "mrd_negativity"
    crs, missing, not_converted, undecided = [], [], [], []
    for a in marrows:
        cr, miss_r = _judged(a, params.response_ruleset)
        if cr is None:
            missing += [m for m in miss_r if m not in missing]
            continue
        if not cr:
            continue
        neg = _mrd_negative(a, params.mrd_threshold)
        if needs_conversion and not neg and state in ("mrd", None):
            if state == "mrd" and neg is False:
                not_converted.append(a)
                continue
            # MRD-only start with no MRD result, or an unknown start state and MRD not negative: undecided
            undecided.append(a)
            continue
        crs.append((a, neg))
    if not crs:
        detail = f"{len(marrows)} marrow(s) assessed"
        if not_converted:
            detail += (f"; {len(not_converted)} with < 5% blasts but MRD not negative ("
                       + ", ".join(str(a["assessment_date"]) for a in not_converted)
                       + "): started with MRD-only disease, so CR requires MRD negativity")
        if not marrows and state is None:
            # no assessment at all and an unknown start: a consolidation in MRD-negative CR (a response when it
            # held) cannot be told from a morphologic start (no response): unknown, not no
            undecided.append(None)
        if missing or undecided:
            miss = list(missing)
            if undecided:
                miss += ["mrd_value" if state == "mrd" else "disease_state_at_start"]
            why = (f"unknown: no marrow in CR from {s} to {win_end} can be confirmed ({detail}); missing "
                   + ", ".join(dict.fromkeys(miss)))
            return {"response": None, "mrd": None, "date": None, "missing": tuple(dict.fromkeys(miss)), "why": why}
        return {"response": "nr", "mrd": None, "date": None, "missing": (),
                "why": f"no marrow in CR from {s} to {win_end} ({detail})"}
    first = crs[0]
    any_neg = any(neg for _, neg in crs)
    mrd = "neg" if any_neg else ("pos" if any(neg is False for _, neg in crs) else "unknown")
    return {"response": "cr", "mrd": mrd, "date": first[0]["assessment_date"], "missing": (),
            "why": f"marrow {first[0]['assessment_date']} blasts {first[0]['bm_blast_pct']:g}% (< 5%), no EMD; "
                   f"MRD {mrd}"}


# ---- antigen status (2.4) ---------------------------------------------------------------------------------------
def antigen_at_event(assessments: list[dict], when: dt.date, next_line: dt.date | None, antigen: str,
                     params: DeriveParams) -> dict:
    """CD19/CD22 at an event: the first flow sample with an abnormal population from 14 days before to 28 days
    after, before the next line; the pathologist's call first, else derived (negative < 20% positive; dim when
    log10 intensity drop >= 1/3 against normal immature B cells), else missing. The explanation states the window;
    ``near`` lists the samples with a result that lie outside it by at most ``params.antigen_near_miss_days`` (not
    used, but worth a warning: a sample a few days out is otherwise lost without a word)."""
    lo = shift(when, -params.antigen_window_before)
    hi = shift(when, params.antigen_window_after)
    window = (f"window {lo} to {hi} (-{params.antigen_window_before}/+{params.antigen_window_after} days"
              + (f", before the next line {next_line}" if next_line else "") + ")")
    near = []
    call_key, pct_key = f"{antigen}_call", f"{antigen}_pct_positive"  # the columns, named once, not once a row
    near_lo, near_hi = shift(lo, -params.antigen_near_miss_days), shift(hi, params.antigen_near_miss_days)
    for a in assessments:
        d = a["assessment_date"]
        if a.get("abnormal_population") == "no":
            continue
        call = a.get(call_key)
        pct = a.get(pct_key)
        if call is None and pct is None:
            continue
        if not (lo <= d <= hi) or (next_line and d >= next_line):
            if near_lo <= d < lo or (hi < d <= near_hi and not (next_line and d >= next_line)):
                near.append(d)
            continue
        status, how = _antigen_status(call, pct, a.get(f"{antigen}_mfi_abnormal"), a.get(f"{antigen}_mfi_reference"),
                                      params)
        if status is None:
            continue
        binary = "negdim" if status in ("negative", "dim") else "pos"
        return {"status": status, "binary": binary, "near": [],
                "why": f"{antigen.upper()} {status} ({how}) on {d}; {window}"}
    why = f"no {antigen.upper()} result in the {window}"
    if near:
        why += "; outside it: " + ", ".join(str(d) for d in near)
    return {"status": None, "binary": None, "near": near, "why": why}


def nonresponse_marrow(assessments: list[dict], course: dict, win_end: dt.date) -> dt.date | None:
    """The date of the marrow documenting non-response to a course (study-definition 2.4: a non-responder without
    a dated progression takes this date, flagged): the last marrow of the response window that is not in CR."""
    s = course["start_date"]
    ds = [a["assessment_date"] for a in assessments if a["specimen"] == "marrow" and s < a["assessment_date"] <= win_end
          and a.get("bm_blast_pct") is not None and a["bm_blast_pct"] >= 5]
    return ds[-1] if ds else None


def _antigen_status(call, pct, mfi_abn, mfi_ref, params: DeriveParams):
    """Via :func:`mabseq.criteria.antigen.antigen_status`: the pathologist's call first, else the flow values."""
    return _antigen_status_of(call, pct, mfi_abn, mfi_ref, params.neg_pct_threshold, params.dim_log_drop)


@lru_cache(maxsize=1 << 16)
def _antigen_status_of(call, pct, mfi_abn, mfi_ref, neg_pct_threshold, dim_log_drop):
    """The status of these values, kept for the values already judged (a pure function of them, like
    :func:`_marrow_cr`)."""
    from ..criteria.antigen import antigen_status
    r = antigen_status(pct, mfi_abn, mfi_ref, pathologist_call=call, neg_pct_threshold=neg_pct_threshold,
                       dim_log_drop=dim_log_drop)
    how = "pathologist's call" if call in ("negative", "dim", "positive") else "derived from flow values"
    return (r.value if r.value in ("negative", "dim", "positive") else None), how


# ---- transplant (2.6, 2.7) ----------------------------------------------------------------------------------------
def last_dose(doses: list[dict], course: dict) -> dt.date | None:
    ds = [d["dose_date"] for d in doses if d["course_id"] == course["course_id"]]
    return max(ds) if ds else course.get("end_date")


def tx_status(tx: dict, assessments: list[dict], params: DeriveParams) -> str | None:
    """CR MRD-negative / CR MRD-positive / not in CR at transplant (study-definition 2.6): recorded, else the last
    marrow <= ``params.marrow_lookback_days`` before conditioning, judged by ``params.response_ruleset`` and MRD at
    ``params.mrd_threshold`` (the preset's parameters, not constants). None (unknown) when no marrow is in the
    window or its response cannot be judged (a missing input is never 'not in CR')."""
    rec = tx.get("disease_status")
    if rec:
        return {"cr_mrd_negative": "cr_mrd_neg", "cr_mrd_positive": "cr_mrd_pos", "cr_mrd_unknown": "cr_mrd_pos",
                "not_in_cr": "not_cr"}[rec]
    ref = tx.get("conditioning_start_date") or tx["transplant_date"]
    m = baseline_marrow(assessments, ref, params.marrow_lookback_days)
    if not m:
        return None
    cr = _is_cr(m, params.response_ruleset)
    if cr is None:
        return None
    if not cr:
        return "not_cr"
    return "cr_mrd_neg" if _mrd_negative(m, params.mrd_threshold) else "cr_mrd_pos"


def no_tx_reason_fallback(values: dict, fu: dict, params: DeriveParams | None = None,
                          cutoff: dt.date | None = None) -> str | None:
    """Flagged fallback (2.7), first match wins: treatment-related death -> 'death'; CR after mAb2 held >=
    ``params.preference_cr_days`` (30) days without HSCT -> 'preference'; otherwise 'active_disease'. The CR is
    held from its date to the earliest of the relapse after mAb2, death or last contact, and the cut-off. None
    (unknown) when the response to mAb2 is unknown, or the CR's date or how long it held is unknown."""
    days = (params or DeriveParams()).preference_cr_days
    if fu.get("death_cause") in ("salvage_toxicity", "infection", "organ_toxicity"):
        return "death"
    resp = values.get("resp_mab2")
    if resp is None:
        return None
    if resp != "cr":
        return "active_disease"
    cr = values.get("resp_mab2_date")
    ends = [d for d in (values.get("event2_date"), fu.get("death_date"), fu.get("last_contact_date"), cutoff) if d]
    if cr is None or not ends:
        return None
    return "preference" if (min(ends) - cr).days >= days else "active_disease"


# ---- toxicity (2.9) -------------------------------------------------------------------------------------------
def toxicity_in_window(tox: list[dict], course: dict, therapies: list[dict], after_days: int,
                       stops: list[dt.date] = ()) -> dict[str, dict]:
    """CRS and ICANS attributed to a course (SD 2.9): the episodes from its first infusion to ``after_days`` after
    its end, cut at the next line. For each kind: ``max`` (the highest recorded grade; no episode = 0), ``any``
    (an episode of grade >= 1 or without a grade: the toxicity occurred) and ``missing`` (the inputs that left a
    value unknown). Unknown is never no:

    * episodes only without a grade: ``max`` None (the grade is unknown), ``any`` True;
    * a course without an end date: the window is known to run to ``after_days`` after the first dose, and may run
      to the day before the next line, conditioning, death or the cut-off (``stops``); an episode in that uncertain
      stretch makes ``max`` None when it could raise the maximum,
      and ``any`` None when it is the only evidence of the toxicity."""
    s = course["start_date"]
    end = course.get("end_date")
    nxt = [t["start_date"] for t in therapies if t["start_date"] > s and t is not course and counts_as_line(t)]
    cap = min(nxt) - ONE_DAY if nxt else None
    sure = shift(end or s, after_days)
    if cap is not None:
        sure = min(sure, cap)
    ends = nxt + [d for d in stops if d > s]  # the uncertain stretch also stops at conditioning, death, the cut-off
    maybe = sure if end is not None else max(sure, min(ends) - ONE_DAY) if ends else dt.date.max
    out = {}
    for kind in ("crs", "icans"):
        eps = [x for x in tox if x["toxicity"] == kind and s <= x["onset_date"] <= sure]
        graded = [x["grade"] for x in eps if x.get("grade") is not None]
        top = max(graded) if graded else 0
        ungraded = len(graded) < len(eps)
        r = {"max": None if top < 1 and ungraded else top, "any": top >= 1 or ungraded,
             "missing": ("grade",) if top < 1 and ungraded else ()}
        late = [x for x in tox if x["toxicity"] == kind and sure < x["onset_date"] <= maybe]
        if late:
            late_g = [x["grade"] for x in late if x.get("grade") is not None]
            could_raise = len(late_g) < len(late) or max(late_g) > top
            if r["max"] is not None and could_raise:
                r["max"], r["missing"] = None, ("end_date",)
            if not r["any"] and any(_any_grade(x) for x in late):
                r["any"], r["missing"] = None, tuple(dict.fromkeys(r["missing"] + ("end_date",)))
        out[kind] = r
    return out


def max_grade_in_window(tox: list[dict], course: dict, therapies: list[dict], after_days: int):
    """(CRS, ICANS) maximum grades of :func:`toxicity_in_window` (None = unknown)."""
    r = toxicity_in_window(tox, course, therapies, after_days)
    return r["crs"]["max"], r["icans"]["max"]


def _any_grade(x: dict) -> bool:
    g = x.get("grade")
    return g is None or g >= 1


def hepatotoxicity(tox, obs, course, therapies, doses, cond_dates, params: DeriveParams):
    """Any-grade transaminase and bilirubin increase (CTCAE v5, baseline_mode uln_only) from the first inotuzumab
    dose to the earliest of last dose + 42 days, the day before the next line, the day before conditioning.

    Each answer is three-valued: True on a recorded episode (grade >= 1 or ungraded) or a lab value of grade >= 1;
    False when no episode was recorded and every lab row of the window that could speak is graded; None when lab
    rows lie in the window but none of them can be graded for that analyte (a value without its ULN, or no value
    at all) and nothing else shows the toxicity: CC 4 "return None, not a guess", so a missing ULN is never 'no'.
    A patient without any lab row in the window keeps False (no recorded episode)."""
    s = course["start_date"]
    last = last_dose(doses, course) or s
    e = shift(last, params.hepatotox_window_after_last_dose)
    nxt = [t["start_date"] for t in therapies if t["start_date"] > s and t is not course and counts_as_line(t)]
    ends = [e] + [d - ONE_DAY for d in nxt] + [d - ONE_DAY for d in cond_dates if d and d > s]
    e = min(ends)
    # a recorded episode counts at grade >= 1 or without a grade (an episode was recorded); a recorded grade 0
    # is "no toxicity" and never counts (it once did: ``(grade or 1) >= 1`` read 0 as 1)
    transam = any(x["toxicity"] == "transaminitis" and s <= x["onset_date"] <= e and _any_grade(x) for x in tox)
    bili = any(x["toxicity"] == "hyperbilirubinemia" and s <= x["onset_date"] <= e and _any_grade(x) for x in tox)
    from ..criteria.ctcae import ctcae5_grade
    rows = graded_t = graded_b = 0
    for o in obs:
        if not (s <= o["observation_date"] <= e):
            continue
        rows += 1
        for analyte, key, uln in (("ALT", "alt", "alt_uln"), ("AST", "ast", "ast_uln")):
            if o.get(key) is not None and o.get(uln):
                g = ctcae5_grade(analyte, o[key], o[uln], baseline_mode=params.ctcae_baseline_mode).value
                graded_t += g is not None
                transam = transam or (g is not None and g >= 1)
        if o.get("bilirubin") is not None and o.get("bilirubin_uln"):
            g = ctcae5_grade("TBILI", o["bilirubin"], o["bilirubin_uln"], baseline_mode=params.ctcae_baseline_mode).value
            graded_b += g is not None
            bili = bili or (g is not None and g >= 1)
    if rows and not transam and not graded_t:
        transam = None
    if rows and not bili and not graded_b:
        bili = None
    return transam, bili


def active_at(events: list[dict], assessments: list[dict], when: dt.date | None, mrd_counts: bool,
              ruleset: str = "paper-2022") -> dict | None:
    """The disease state at ``when`` (the death) from the records (2.8, "active at death"): the latest of the
    relapses/progressions/treatment failures and the marrows whose CR status is known, on or before ``when``. The
    disease was active when that latest record is an event (the last relapse not followed by a CR) or a marrow not
    in CR; the record is returned. None when the latest is a marrow in CR, or there is no record. On one day an
    event counts after the marrow. An MRD relapse counts when ``mrd_counts``."""
    if when is None:
        return None
    recs = [(e["event_date"], 1, e) for e in events
            if e["event_date"] <= when and (mrd_counts or e["event_type"] != "mrd_relapse")]
    for a in assessments:
        d = a.get("assessment_date")
        if d is not None and d <= when and a.get("specimen", "marrow") == "marrow":
            cr = _is_cr(a, ruleset)
            if cr is not None:
                recs.append((d, 0, None if cr else a))
    if not recs:
        return None
    return max(recs, key=lambda r: (r[0], r[1]))[2]


def death_class(fu: dict, last_event: dict | None, dead: bool) -> str | None:
    """'progression' or 'treatment_related' from the recorded primary cause (2.8); when missing: progression if
    the disease was active at death, treatment-related otherwise. The disease state at death is the recorded
    status at last contact; when that is missing too, ``last_event`` (the record showing active disease,
    :func:`active_at`; or a function of no argument returning it, called only then) says the disease was active."""
    if not dead:
        return None
    cause = fu.get("death_cause")
    if cause == "progression":
        return "progression"
    if cause in ("infection", "gvhd", "sos", "organ_toxicity", "salvage_toxicity"):
        return "treatment_related"
    status = fu.get("status_at_last_contact")
    if status in ("active_systemic", "active_cns"):
        return "progression"
    if status is None and callable(last_event):  # the records are read only when they decide
        last_event = last_event()
    if status is None and last_event is not None:
        return "progression"
    return "treatment_related"
