"""Hepatic sinusoidal obstruction syndrome / veno-occlusive disease (SOS/VOD): revised EBMT criteria for adults.

Clinical-criteria spec section 3. Source: Mohty M et al., Revised diagnosis and severity criteria for SOS/VOD in
adult patients: a new classification from the EBMT, Bone Marrow Transplant 2016;51:906-912 (diagnosis: Table 1;
severity: Table 2, reproduced at http://ashpublications.com/view-large/4463002 with a garbled weight row). The paper
(Wudhikarn et al., Blood Adv 2022) cites these criteria (study-definition 2.9), and prints SOS "grade 3" and
"grade 5": see :func:`sos_paper_grade` (item I29).

Every function is pure and returns a :class:`~mabseq.criteria.result.Result`. A missing input is never taken as
normal: it is tried over its possible values, and when that changes the answer the value is None and the input is
listed in ``missing_inputs``.
"""
from __future__ import annotations

import datetime as _dt
from typing import Any, Callable, Iterable, Sequence

from ._logic import enumerate_missing as _enumerate
from .result import Result

RULESET = "EBMT-adult-2016"
VERSION = "2016 (Mohty, BMT 2016;51:906)"
DIAGNOSES = ("none", "classical", "late_onset")
SEVERITIES = ("mild", "moderate", "severe", "very_severe")
_MILD, _MODERATE, _SEVERE, _VERY_SEVERE = range(4)

# Mohty 2016 Table 3 (spec 3.2 step 7; VERIFY the list against the PDF). Names for documentation and counting.
EBMT_2016_RISK_FACTORS = (
    "unrelated_donor", "hla_mismatched_donor", "non_t_depleted_graft", "myeloablative_conditioning",
    "oral_or_high_dose_busulfan", "high_dose_tbi", "second_hsct", "older_age", "karnofsky_lt_90",
    "advanced_disease", "transaminases_gt_2_5_uln", "bilirubin_gt_1_5_uln", "cirrhosis", "active_viral_hepatitis",
    "abdominal_or_hepatic_irradiation", "prior_gemtuzumab_or_inotuzumab", "hepatotoxic_drugs", "iron_overload",
)


def _r(x: float) -> float:
    return round(x, 9)


def _finish(values, detail, relevant, inputs, flags, rule, labels=None) -> Result:
    labels = labels or {}
    flags = list(flags)
    if len(values) == 1:
        value = next(iter(values))
        met, f = detail[value]
        flags.extend(x for x in f if x not in flags)
        return Result(value, RULESET, VERSION, met, (), inputs, tuple(flags), rule)
    flags.append("possible values: " + ", ".join(sorted(str(v) for v in values)))
    missing = tuple(dict.fromkeys(labels.get(n, n) for n in relevant))
    return Result(None, RULESET, VERSION, (), missing, inputs, tuple(flags), rule)


# ---- 3.1 diagnosis --------------------------------------------------------------------------------------------
def _diag_exact(day_post_hsct, bilirubin_mg_dl, painful_hepatomegaly, ascites, weight_gain_pct, histology_proven,
                hemodynamic_or_ultrasound_evidence, alternative_cause, *, max_day, bili_min, wt_gt):
    bili = bilirubin_mg_dl >= bili_min
    wt = weight_gain_pct > wt_gt
    signs = [label for label, ok in (("painful hepatomegaly", painful_hepatomegaly),
                                     (f"weight gain {weight_gain_pct:g}% > {wt_gt:g}%", wt), ("ascites", ascites))
             if ok]
    bili_text = f"bilirubin {bilirubin_mg_dl:g} >= {bili_min:g} mg/dL"
    classical = bili and len(signs) >= 2
    met: list[str] = []
    if day_post_hsct <= max_day:
        kind, positive = "classical", classical
        if classical:
            met.append(f"classical (day {day_post_hsct:g} <= {max_day}): {bili_text} and " + ", ".join(signs))
    else:
        kind = "late_onset"
        four = ([bili_text] if bili else []) + signs
        routes = []
        if classical:
            routes.append(f"(a) classical criteria after day {max_day}: {bili_text} and " + ", ".join(signs))
        if histology_proven:
            routes.append("(b) histologically proven SOS/VOD")
        if len(four) >= 2 and hemodynamic_or_ultrasound_evidence:
            routes.append("(c) " + ", ".join(four) + " with haemodynamic/ultrasound evidence")
        positive = bool(routes)
        met.extend(f"late onset (day {day_post_hsct:g} > {max_day}): {r}" for r in routes)
    if positive and alternative_cause:
        return "none", met + ["not SOS/VOD: an alternative cause explains the findings"], []
    if positive:
        return kind, met + ["no alternative cause"], []
    return "none", [f"criteria for {kind.replace('_', '-')} SOS/VOD not met"], []


def sos_diagnosis(*, day_post_hsct: float | None, bilirubin_mg_dl: float | None = None,
                  painful_hepatomegaly: bool | None = None, ascites: bool | None = None,
                  weight_gain_pct: float | None = None, histology_proven: bool | None = None,
                  hemodynamic_or_ultrasound_evidence: bool | None = None, alternative_cause: bool | None = None,
                  weight_baseline: str | None = None, classical_max_day: int = 21, bilirubin_min_mg_dl: float = 2.0,
                  weight_gain_gt_pct: float = 5.0, assume_missing_normal: bool = False) -> Result:
    """SOS/VOD diagnosis on one evaluation: ``"none"``, ``"classical"`` or ``"late_onset"`` (None if undetermined).

    Revised EBMT criteria for adults (Mohty 2016, Table 1; spec 3.1). Any positive result needs no alternative
    cause (``alternative_cause is False``).

    * Classical (day <= ``classical_max_day`` = 21 after HSCT): bilirubin >= 2 mg/dL (34 umol/L) **and** >= 2 of
      {painful hepatomegaly, weight gain > 5%, ascites}.
    * Late onset (day > 21), any of: (a) the classical criteria; (b) histologically proven SOS/VOD; (c) >= 2 of
      {bilirubin >= 2 mg/dL, painful hepatomegaly, weight gain > 5%, ascites} **and** haemodynamic and/or
      ultrasound evidence of SOS/VOD.

    Edges: weight gain strictly > ``weight_gain_gt_pct`` (exactly 5.0% does not count); bilirubin >= 2.0 inclusive;
    day 21 is classical. ``weight_gain_pct`` is relative to admission or pre-conditioning weight: name the one used
    in ``weight_baseline`` (kept in ``inputs``); :func:`weight_gain_pct` computes it. The diagnosis date is the
    first evaluation with a positive value (:func:`sos_diagnosis_date`). EBMT-2016 is defined after HSCT only;
    inotuzumab-associated SOS outside HSCT needs another rule (Baltimore/modified Seattle, not implemented).
    ``assume_missing_normal=True`` (off by default) takes missing findings as absent.
    """
    for n, v in (("bilirubin_mg_dl", bilirubin_mg_dl),):
        if v is not None and v < 0:
            raise ValueError(f"{n}: {v!r} is negative")
    given = {"day_post_hsct": day_post_hsct, "bilirubin_mg_dl": bilirubin_mg_dl,
             "painful_hepatomegaly": painful_hepatomegaly, "ascites": ascites, "weight_gain_pct": weight_gain_pct,
             "histology_proven": histology_proven,
             "hemodynamic_or_ultrasound_evidence": hemodynamic_or_ultrasound_evidence,
             "alternative_cause": alternative_cause}
    inputs = dict(given, weight_baseline=weight_baseline)
    flags: list[str] = []
    if assume_missing_normal:
        normals = {"bilirubin_mg_dl": 0.0, "painful_hepatomegaly": False, "ascites": False, "weight_gain_pct": 0.0,
                   "histology_proven": False, "hemodynamic_or_ultrasound_evidence": False,
                   "alternative_cause": False}
        for n, normal in normals.items():
            if given[n] is None:
                given[n] = normal
                flags.append(f"assumed normal: {n}")
    if classical_max_day != 21:
        flags.append(f"classical_max_day={classical_max_day}")
    cands = {"day_post_hsct": (classical_max_day, classical_max_day + 1),
             "bilirubin_mg_dl": (0.0, bilirubin_min_mg_dl), "painful_hepatomegaly": (False, True),
             "ascites": (False, True), "weight_gain_pct": (0.0, weight_gain_gt_pct + 1.0),
             "histology_proven": (False, True), "hemodynamic_or_ultrasound_evidence": (False, True),
             "alternative_cause": (False, True)}

    def fn(**kw):
        return _diag_exact(**kw, max_day=classical_max_day, bili_min=bilirubin_min_mg_dl, wt_gt=weight_gain_gt_pct)

    values, detail, relevant = _enumerate(fn, given, cands)
    return _finish(values, detail, relevant, inputs, flags, "sos_diagnosis")


def sos_diagnosis_date(dated: Iterable[tuple[Any, Result]]):
    """The diagnosis date: the first date whose :func:`sos_diagnosis` value is classical or late onset (None if
    never)."""
    for d, r in sorted(dated, key=lambda x: x[0]):
        if r.value in ("classical", "late_onset"):
            return d
    return None


def weight_gain_pct(weight_kg: float | None, baseline_weight_kg: float | None) -> float | None:
    """Weight gain above baseline in percent, (weight - baseline) / baseline x 100, cleaned of binary noise so that
    105 kg over 100 kg is exactly 5.0 (which is not > 5%). None when either weight is missing."""
    if weight_kg is None or baseline_weight_kg is None:
        return None
    if baseline_weight_kg <= 0:
        raise ValueError(f"baseline_weight_kg: {baseline_weight_kg!r} is not positive")
    return _r((weight_kg - baseline_weight_kg) / baseline_weight_kg * 100.0)


def bilirubin_doubled_within(measurements: Iterable[tuple[Any, float | None]], *, window=48) -> bool | None:
    """Whether bilirubin doubled within any rolling window (spec 3.2: "doubling within 48 h").

    ``measurements`` are ``(time, value)`` pairs; time is hours (numbers, then ``window`` is hours) or
    ``datetime`` (then ``window`` is hours or a ``timedelta``). True if some later value is >= 2x an earlier one at
    most ``window`` later; None if fewer than two values are known."""
    pts = sorted((t, v) for t, v in measurements if v is not None)
    if len(pts) < 2:
        return None
    win = window
    if pts and isinstance(pts[0][0], (_dt.datetime, _dt.date)) and not isinstance(window, _dt.timedelta):
        win = _dt.timedelta(hours=window)
    for i, (t0, v0) in enumerate(pts):
        for t1, v1 in pts[i + 1:]:
            if t1 - t0 > win:
                break
            if v0 > 0 and v1 >= 2 * v0:
                return True
    return False


# ---- 3.2 severity ---------------------------------------------------------------------------------------------
def _cat_time(d):
    return _SEVERE if d <= 4 else _MODERATE if d <= 7 else _MILD


def _cat_bili(b):
    return None if b < 2 else _MILD if b < 3 else _MODERATE if b < 5 else _SEVERE if b < 8 else _VERY_SEVERE


def _cat_trans(t):
    return _MILD if t <= 2 else _MODERATE if t <= 5 else _SEVERE if t <= 8 else _VERY_SEVERE


def _cat_renal(c):
    return _MILD if c < 1.2 else _MODERATE if c < 1.5 else _SEVERE if c < 2 else _VERY_SEVERE


_WEIGHT_MID = "weight_5_10"


def _cat_weight(w):
    return _MILD if w < 5 else _WEIGHT_MID if w < 10 else _VERY_SEVERE


def _sev_exact(days_since_first_signs, bilirubin_mg_dl, bilirubin_doubled_48h, transaminases_x_uln, weight_gain_pct,
               creatinine_x_baseline, mod_mof, n_sos_risk_factors, *, o):
    names = SEVERITIES
    if mod_mof or (o["renal_2x_is_mod"] and creatinine_x_baseline is not None and creatinine_x_baseline >= 2):
        why = "MOD/MOF" if mod_mof else f"renal failure: creatinine {creatinine_x_baseline:g}x baseline >= 2x"
        return "very_severe", [f"very severe: {why}"], []
    crit: list[tuple[str, Any]] = []
    if days_since_first_signs is not None:
        crit.append((f"time since first signs {days_since_first_signs:g} d", _cat_time(days_since_first_signs)))
    if bilirubin_mg_dl is not None and _cat_bili(bilirubin_mg_dl) is not None:
        crit.append((f"bilirubin {bilirubin_mg_dl:g} mg/dL", _cat_bili(bilirubin_mg_dl)))
    if bilirubin_doubled_48h:
        crit.append(("bilirubin doubling within 48 h", _SEVERE))
    if transaminases_x_uln is not None:
        crit.append((f"transaminases {transaminases_x_uln:g}x ULN", _cat_trans(transaminases_x_uln)))
    if weight_gain_pct is not None:
        crit.append((f"weight gain {weight_gain_pct:g}%", _cat_weight(weight_gain_pct)))
    if creatinine_x_baseline is not None:
        crit.append((f"creatinine {creatinine_x_baseline:g}x baseline", _cat_renal(creatinine_x_baseline)))
    flags: list[str] = []
    met: list[str] = []
    # weight 5-<10%: severe by default, moderate unless enough other criteria are severe or worse (footnote b)
    n_other_severe = sum(1 for _, c in crit if c != _WEIGHT_MID and c >= _SEVERE)
    resolved = []
    for label, c in crit:
        if c == _WEIGHT_MID:
            if n_other_severe >= o["weight_severe_min_other"]:
                c = _SEVERE
            else:
                c = _MODERATE
                flags.append(f"weight 5-<10% re-assigned to moderate (other severe criteria: {n_other_severe} < "
                             f"{o['weight_severe_min_other']})")
        resolved.append((label, c))
    counts = [0, 0, 0, 0]
    for _, c in resolved:
        counts[c] += 1
    if o["time_any_very_severe"] and days_since_first_signs is not None:
        counts[_VERY_SEVERE] += 1
    met.extend(f"{label}: {names[c]}" for label, c in resolved)
    hits = [k for k in range(4) if counts[k] >= 2]
    if hits:
        grade = max(hits)
        met.append(f"{names[grade]}: {counts[grade]} criteria in the category (highest with >= 2)")
    else:
        cum = [sum(1 for _, c in resolved if c >= k) for k in range(4)]
        hits = [k for k in range(4) if cum[k] >= 2]
        grade = max(hits) if hits else _MILD
        flags.append("fallback_used")
        met.append(f"{names[grade]}: no category with >= 2 criteria; cumulative count "
                   + ("(minimum for a diagnosed case)" if not hits else f"{cum[grade]} at or above {names[grade]}"))
    if n_sos_risk_factors is not None and n_sos_risk_factors >= o["risk_factor_min"]:
        cap = _VERY_SEVERE if o["risk_upgrade_to_very_severe"] else _SEVERE
        if grade < cap:
            met.append(f"{names[grade + 1]}: upgraded one category for {n_sos_risk_factors} risk factors "
                       f"(>= {o['risk_factor_min']})")
            grade += 1
        else:
            met.append(f"{n_sos_risk_factors} risk factors: no upgrade beyond {names[grade]}")
    return names[grade], met, flags


def sos_severity(*, days_since_first_signs: float | None = None, bilirubin_mg_dl: float | None = None,
                 bilirubin_doubled_48h: bool | None = None, transaminases_x_uln: float | None = None,
                 alt_x_uln: float | None = None, ast_x_uln: float | None = None,
                 weight_gain_pct: float | None = None, creatinine_x_baseline: float | None = None,
                 mod_mof: bool | None = None, n_sos_risk_factors: int | None = None,
                 missing_criteria: str = "undetermined", weight_severe_min_other: int = 1,
                 renal_2x_is_mod: bool = True, time_any_counts_for_very_severe: bool = False,
                 risk_factor_min: int = 2, risk_upgrade_to_very_severe: bool = False) -> Result:
    """Severity of diagnosed SOS/VOD in adults: ``"mild"``, ``"moderate"``, ``"severe"`` or ``"very_severe"``.

    EBMT 2016 (Mohty, Table 2; spec 3.2). Criterion-to-category map:

    ==========================  ==========  =============  ==================  ==========================
    criterion                   mild        moderate       severe              very severe (MOD/MOF)
    ==========================  ==========  =============  ==================  ==========================
    time since first signs      > 7 d       5-7 d          <= 4 d              any
    bilirubin mg/dL (umol/L)    2-<3        3-<5           5-<8                >= 8 (>= 136)
                                (34-<51)    (51-<85)       (85-<136)
    bilirubin kinetics                                     doubling in 48 h
    transaminases (x ULN)       <= 2        > 2 and <= 5   > 5 and <= 8        > 8
    weight above baseline       < 5%        5-<10% (b)     5-<10% (b)          >= 10%
    creatinine vs transplant    < 1.2x      1.2-<1.5x      1.5-<2x             >= 2x or other MOD/MOF
    ==========================  ==========  =============  ==================  ==========================

    Algorithm: MOD/MOF (``mod_mof``, or creatinine >= 2x baseline with ``renal_2x_is_mod``) is very severe.
    Otherwise each criterion falls in one category (transaminases = max(ALT, AST)/ULN; bilirubin < 2 counts in
    none; time: <= 4 severe, > 4 to 7 moderate, > 7 mild) and the grade is the highest category holding >= 2
    criteria. (b) Weight gain 5-<10% counts as severe only when at least ``weight_severe_min_other`` (1) other
    criterion is severe or worse, else as moderate: Mohty's footnote, "if patients do not fulfil other criteria for
    severe ... moderate" (the ASH reproduction's ">5%" mild and "≥5% and >10%" severe cells are transcription
    errors; ``weight_severe_min_other=2`` reproduces the spec's step 5 read literally). VERIFY against Mohty Table 2.
    When no category holds 2 criteria (the source is silent), criteria are counted cumulatively (each supports its
    category and every lower one), the highest with >= 2 is taken, at least mild, and ``fallback_used`` is flagged.
    Finally ``n_sos_risk_factors`` >= ``risk_factor_min`` (2) moves up one category. The source table shows the
    upgrade only as mild -> moderate and moderate -> severe (very severe means MOD/MOF), so severe is not upgraded
    unless ``risk_upgrade_to_very_severe=True``. Risk factors: :data:`EBMT_2016_RISK_FACTORS` (Mohty Table 3,
    VERIFY); prior inotuzumab is one, so every transplanted patient of this cohort has at least one.

    ``time_any_counts_for_very_severe=True`` reads the "any" time cell as a criterion of very severe (one further
    very-severe criterion then suffices). Missing criteria: with ``missing_criteria="undetermined"`` (default) each
    missing criterion is tried over all its categories and the value is None when that changes it; with
    ``"ignore"`` the grade uses the criteria given (spec 3.2 step 2 read literally) and flags what was not counted.
    """
    if missing_criteria not in ("undetermined", "ignore"):
        raise ValueError(f"missing_criteria: {missing_criteria!r} is not 'undetermined' or 'ignore'")
    o = dict(weight_severe_min_other=weight_severe_min_other, renal_2x_is_mod=renal_2x_is_mod,
             time_any_very_severe=time_any_counts_for_very_severe, risk_factor_min=risk_factor_min,
             risk_upgrade_to_very_severe=risk_upgrade_to_very_severe)
    inputs = {"days_since_first_signs": days_since_first_signs, "bilirubin_mg_dl": bilirubin_mg_dl,
              "bilirubin_doubled_48h": bilirubin_doubled_48h, "transaminases_x_uln": transaminases_x_uln,
              "alt_x_uln": alt_x_uln, "ast_x_uln": ast_x_uln, "weight_gain_pct": weight_gain_pct,
              "creatinine_x_baseline": creatinine_x_baseline, "mod_mof": mod_mof,
              "n_sos_risk_factors": n_sos_risk_factors}
    flags: list[str] = []
    for n, v in o.items():
        default = {"weight_severe_min_other": 1, "renal_2x_is_mod": True, "time_any_very_severe": False,
                   "risk_factor_min": 2, "risk_upgrade_to_very_severe": False}[n]
        if v != default:
            flags.append(f"{n}={v}")
    # transaminases: max(ALT, AST)/ULN; with one of the two missing the other is a lower bound
    labels = {"transaminases_x_uln": "transaminases_x_uln (or alt_x_uln and ast_x_uln)"}
    trans_cands: tuple = (1.0, 3.0, 6.0, 9.0)
    trans = transaminases_x_uln
    if trans is None:
        known = [v for v in (alt_x_uln, ast_x_uln) if v is not None]
        if len(known) == 2:
            trans = max(known)
        elif len(known) == 1:
            lo = known[0]
            trans_cands = (lo,) + tuple(c for c in (3.0, 6.0, 9.0) if c > lo)
            labels["transaminases_x_uln"] = "ast_x_uln" if alt_x_uln is not None else "alt_x_uln"
            if missing_criteria == "ignore":
                trans = lo
    if trans is not None and trans < 0:
        raise ValueError(f"transaminases: {trans!r} is negative")
    given = {"days_since_first_signs": days_since_first_signs, "bilirubin_mg_dl": bilirubin_mg_dl,
             "bilirubin_doubled_48h": bilirubin_doubled_48h, "transaminases_x_uln": trans,
             "weight_gain_pct": weight_gain_pct, "creatinine_x_baseline": creatinine_x_baseline,
             "mod_mof": mod_mof, "n_sos_risk_factors": n_sos_risk_factors}

    def fn(**kw):
        return _sev_exact(**kw, o=o)

    very = mod_mof is True or (renal_2x_is_mod and creatinine_x_baseline is not None and creatinine_x_baseline >= 2)
    if missing_criteria == "ignore" or very:
        not_counted = [n for n, v in given.items() if v is None]
        if not_counted and not very:
            flags.append("graded on available criteria; not counted: " + ", ".join(not_counted))
        value, met, f = fn(**given)
        flags.extend(x for x in f if x not in flags)
        return Result(value, RULESET, VERSION, tuple(met), (), inputs, tuple(flags), "sos_severity")
    cands = {"days_since_first_signs": (10.0, 6.0, 2.0), "bilirubin_mg_dl": (2.5, 1.0, 4.0, 6.0, 9.0),
             "bilirubin_doubled_48h": (False, True), "transaminases_x_uln": trans_cands,
             "weight_gain_pct": (0.0, 7.0, 12.0), "creatinine_x_baseline": (1.0, 1.3, 1.7, 2.5),
             "mod_mof": (False, True), "n_sos_risk_factors": (0, risk_factor_min)}
    values, detail, relevant = _enumerate(fn, given, cands)
    return _finish(values, detail, relevant, inputs, flags, "sos_severity", labels)


# ---- the paper's printed grades (item I29) ----------------------------------------------------------------------
_PAPER_GRADE = {"mild": 1, "moderate": 2, "severe": 3, "very_severe": 4}


def sos_paper_grade(severity: Result | str | None, *, died_of_sos: bool | None = False) -> Result:
    """The paper's SOS "grade" (Wudhikarn 2022 Results: "three with grade 3, and one with grade 5").

    This is **the paper's mapping**, not part of EBMT 2016, whose scale runs mild to very severe: "grade 3" is
    severe, and "grade 5" is CTCAE shorthand for death from SOS (inconsistencies item I29; study-definition 2.9).
    ``died_of_sos`` gives 5 whatever the severity. Mild, moderate and very severe map to 1, 2 and 4 by order only;
    the paper prints no such case, so those values are flagged as an extension.
    """
    sev = severity.value if isinstance(severity, Result) else severity
    if sev is not None and sev not in _PAPER_GRADE:
        raise ValueError(f"severity: {sev!r} is not one of {SEVERITIES}")
    inputs = {"severity": sev, "died_of_sos": died_of_sos}
    rs = (RULESET, VERSION + "; paper mapping I29")
    if died_of_sos:
        return Result(5, *rs, ("death from SOS: grade 5 (paper mapping, I29)",), (), inputs, (), "sos_paper_grade")
    if sev is None or died_of_sos is None:
        missing = tuple(n for n, v in (("severity", sev), ("died_of_sos", died_of_sos)) if v is None)
        return Result(None, *rs, (), missing, inputs, (), "sos_paper_grade")
    g = _PAPER_GRADE[sev]
    flags = () if g == 3 else (f"grade {g} for {sev} is an ordinal extension; the paper prints only 3 and 5",)
    return Result(g, *rs, (f"{sev}: grade {g} (paper mapping, I29)",), (), inputs, flags, "sos_paper_grade")


__all__ = ["RULESET", "SEVERITIES", "DIAGNOSES", "EBMT_2016_RISK_FACTORS", "sos_diagnosis", "sos_diagnosis_date",
           "sos_severity", "sos_paper_grade", "weight_gain_pct", "bilirubin_doubled_within"]
