"""Acute GVHD after the transplant that follows mAb2, from whatever the center recorded (study-definition 2.9, 6.4).

Centers hold aGVHD in one of two ways, and a cohort may mix them:

* **dated**: ``toxicity_episodes`` rows with ``toxicity = agvhd`` (onset date, recorded grade) and
  ``toxicity_observations`` rows with organ stages;
* **transplant-level**: the chart review's "aGVHD max grade" on the transplant row (``transplants.agvhd_max_grade``,
  with ``agvhd_max_skin_stage`` / ``_liver_`` / ``_gi_`` where known), with no onset date.

Rules, first match wins (dated evidence, when there is any, wins; a recorded overall grade beats one computed from
stages, items I4/I18):

1. **Episodes** after day 0: aGVHD yes; grade = the highest recorded episode grade, else the transplant-level grade,
   else the grade from the organ stages, else "ungraded"; dates from the episodes.
2. **Transplant-level grade** (no episode): 0 = no aGVHD (a known no); 1-4 = aGVHD of that grade, *without a date*.
3. **Organ stages only** (dated observations after day 0, else the transplant-level stages): the 1994 Consensus
   (or MAGIC) grade from them; from dated observations the date of grade >= II is the first observation at which the
   maxima reached so far give it.
4. **Nothing**: unknown (``agvhd`` None, counted as missing), never grade 0. The one exception keeps the convention of
   cohorts that record toxicity as episodes (the twin, the paper): when the cohort's toxicity tables have rows and
   no transplant row carries a maximum grade, a transplant without an aGVHD episode had none.

``agvhd_ge2`` / ``agvhd_ge3`` are three-valued (grade II-IV, III-IV). A patient whose grade >= II (>= III) has no
date (rule 2, or an episode whose onset is aGVHD's but whose grade came from the transplant row) is flagged
``agvhd_ge2_undated`` (``_ge3_``): the cumulative-incidence analysis leaves that patient out and says so; no date is
ever imputed.
"""
from __future__ import annotations

import datetime as dt

from ..criteria.gvhd import agvhd_grade

ORGANS = ("skin_stage", "liver_stage", "lower_gi_stage")
TX_STAGE = {"skin_stage": "agvhd_max_skin_stage", "liver_stage": "agvhd_max_liver_stage",
            "lower_gi_stage": "agvhd_max_gi_stage"}
# the values this module sets, in order (patient.py sets them to None for a patient without a transplant after mAb2)
VALUES = ("agvhd", "agvhd_grade", "agvhd_source", "agvhd_date", "agvhd_skin_stage", "agvhd_liver_stage",
          "agvhd_lower_gi_stage", "agvhd_grade_from_stages", "agvhd_ge2", "agvhd_ge3", "agvhd_ge2_date",
          "agvhd_ge3_date", "agvhd_ge2_undated", "agvhd_ge3_undated")


def absent_means_none(cohort) -> bool:
    """Whether a transplant without any aGVHD record had none: the cohort records toxicity as dated episodes or
    observations (the toxicity tables have rows; both empty = toxicity not collected, builder.NO_TOXICITY) and
    nobody's transplant row carries a maximum aGVHD grade (a cohort that uses that column leaves it empty where
    aGVHD was not recorded). Computed once per cohort."""
    tx = cohort["transplants"]
    if "agvhd_max_grade" in tx.columns and tx["agvhd_max_grade"].notna().any():
        return False
    return bool(len(cohort["toxicity_episodes"]) or len(cohort["toxicity_observations"]))


def staged_organs(cohort) -> frozenset:
    """The organ-stage columns of ``toxicity_observations`` that the cohort records for anyone. In a dated
    observation an organ left empty is stage 0 only when the cohort stages that organ at all (the twin and the paper
    record only the organs involved); an organ nobody's observations stage stays unknown. Computed once per
    cohort."""
    obs = cohort["toxicity_observations"]
    return frozenset(k for k in ORGANS if k in obs.columns and obs[k].notna().any())


def _int(v):
    return None if v is None else int(v)


def _grade(ruleset: str, stages: dict, recorded=None):
    """The overall grade from organ stages (a missing organ tried at all its stages, criteria.gvhd)."""
    kw = dict(skin=stages.get("skin_stage"), liver=stages.get("liver_stage"))
    if ruleset == "MAGIC-2016":
        kw.update(upper_gi=0, lower_gi=stages.get("lower_gi_stage"))
    else:
        kw.update(gut=stages.get("lower_gi_stage"))
    return agvhd_grade(ruleset=ruleset, recorded_grade=recorded, **kw)


def derive_agvhd(tx: dict, d0: dt.date, tox: list[dict], tox_obs: list[dict], ruleset: str,
                 absent_is_none: bool, staged: frozenset = frozenset(ORGANS)) -> tuple[dict, dict, list[str]]:
    """(values, explanations, flags) of aGVHD after the transplant ``tx`` (day 0 ``d0``); see the module rules."""
    v = dict.fromkeys(VALUES)
    why: dict[str, str] = {}
    flags: list[str] = []
    ep = [e for e in tox if e["toxicity"] == "agvhd" and e["onset_date"] > d0]
    ep_grades = [int(e["grade"]) for e in ep if e.get("grade") is not None]
    tx_grade = _int(tx.get("agvhd_max_grade"))
    # organ stages: the maxima of the dated observations after day 0 (an organ the cohort stages but this row leaves
    # empty = 0 there, as the twin and the paper record only the organs involved; an organ the cohort never stages
    # stays unknown, see staged_organs), else the transplant-level maxima (a missing organ stays unknown)
    dated_obs = [o for o in tox_obs if o["observation_date"] > d0 and any(o.get(k) is not None for k in ORGANS)]
    stages: dict = {}
    for o in dated_obs:
        for k in ORGANS:
            if o.get(k) is not None:
                stages[k] = max(stages.get(k, 0), int(o[k]))
    if dated_obs:
        stages = {k: stages.get(k, 0) for k in ORGANS if k in staged or k in stages}
        stage_src = f"{len(dated_obs)} dated staging observation(s)"
    else:
        stages = {k: _int(tx.get(c)) for k, c in TX_STAGE.items() if tx.get(c) is not None}
        stage_src = "the transplant row's maximum organ stages"
    for k in ORGANS:
        v[f"agvhd_{k}"] = stages.get(k)
    recorded = max(ep_grades) if ep_grades else tx_grade
    if stages:
        g = _grade(ruleset, stages, recorded)
        v["agvhd_grade_from_stages"] = g.value
        why["agvhd_grade_from_stages"] = f"from {stage_src}: {g.explain()}"
    from_stages = _grade(ruleset, stages).value if stages else None

    if ep:
        v["agvhd"] = True
        v["agvhd_date"] = ep[0]["onset_date"]
        if ep_grades:
            v["agvhd_grade"], src = max(ep_grades), "episodes"
        elif tx_grade is not None and tx_grade >= 1:
            v["agvhd_grade"], src = tx_grade, "episodes; grade from the transplant row"
        elif from_stages is not None and from_stages >= 1:
            v["agvhd_grade"], src = from_stages, "episodes; grade from organ stages"
        else:
            v["agvhd_grade"], src = "ungraded", "episodes"
        v["agvhd_source"] = src
        why["agvhd"] = (f"{len(ep)} aGVHD episode(s) after day 0 {d0}, first {ep[0]['onset_date']}; grade "
                        f"{v['agvhd_grade']} ({src})")
        if tx_grade is not None and ep_grades and tx_grade != max(ep_grades):
            flags.append(f"aGVHD: the transplant row's maximum grade {tx_grade} differs from the episodes' highest "
                         f"grade {max(ep_grades)}; the dated episodes are used")
        elif tx_grade == 0:
            flags.append("aGVHD: the transplant row's maximum grade 0 contradicts the recorded aGVHD episode(s); the "
                         "dated episodes are used")
        dated = [(e["onset_date"], int(e["grade"])) for e in ep if e.get("grade") is not None]
    elif tx_grade is not None:
        v["agvhd"] = tx_grade >= 1
        v["agvhd_grade"] = tx_grade if tx_grade >= 1 else None
        v["agvhd_source"] = "transplant row"
        why["agvhd"] = (f"no aGVHD episode after day 0 {d0}; the transplant row records a maximum grade {tx_grade} "
                        "(no onset date)")
        dated = []
    elif from_stages is not None:
        v["agvhd"] = from_stages >= 1
        v["agvhd_grade"] = from_stages if from_stages >= 1 else None
        v["agvhd_source"] = "organ stages"
        why["agvhd"] = f"no aGVHD episode or recorded grade; grade {from_stages} from {stage_src}"
        dated = _dated_stage_grades(dated_obs, ruleset, staged) if dated_obs else []
        if dated and from_stages >= 1:
            v["agvhd_date"] = next(d for d, g in dated if g >= 1)
    elif stages:  # stages that leave the grade undetermined
        why["agvhd"] = f"unknown: the stages of {stage_src} do not determine the grade"
        dated = []
    elif absent_is_none:
        v["agvhd"] = False
        v["agvhd_source"] = "no record (the cohort records aGVHD as episodes)"
        why["agvhd"] = f"no aGVHD episode or staging after day 0 {d0} in a cohort that records aGVHD as episodes"
        dated = []
    else:
        why["agvhd"] = (f"unknown: no aGVHD episode, staging or transplant-level maximum grade for the transplant "
                        f"of {d0}")
        flags.append("aGVHD unknown: nothing recorded for the transplant after mAb2")
        dated = []

    grade = v["agvhd_grade"] if isinstance(v["agvhd_grade"], int) else None
    for k in (2, 3):
        if v["agvhd"] is None:
            continue
        if v["agvhd"] is False:
            v[f"agvhd_ge{k}"] = False
            continue
        v[f"agvhd_ge{k}"] = None if grade is None else grade >= k
        date = next((d for d, g in dated if g >= k), None)
        v[f"agvhd_ge{k}_date"] = date
        v[f"agvhd_ge{k}_undated"] = bool(v[f"agvhd_ge{k}"]) and date is None
    return v, why, flags


def _dated_stage_grades(obs: list[dict], ruleset: str, staged: frozenset) -> list[tuple[dt.date, int]]:
    """(date, grade) at each dated observation, from the maxima of the organ stages recorded up to that day (an
    organ the cohort never stages stays unknown)."""
    out, running = [], {k: 0 for k in ORGANS if k in staged}
    for o in obs:
        for k in ORGANS:
            if o.get(k) is not None:
                running[k] = max(running.get(k, 0), int(o[k]))
        g = _grade(ruleset, dict(running)).value
        if g is not None:
            out.append((o["observation_date"], g))
    return out
