"""CRS and ICANS grading: ASTCT consensus (Lee et al., Biol Blood Marrow Transplant 2019;25:625-638).

Clinical-criteria spec section 2. The study re-graded CRS and neurotoxicity after blinatumomab with these criteria
(Wudhikarn et al., Blood Adv 2022, Methods; study-definition 2.9), so "ASTCT-2019" is also the paper preset's rule set.

Conventions (spec section 0): every function is pure and returns a :class:`Result`. A missing input that could
change the grade gives ``value=None`` and is listed in ``missing_inputs``. Missing findings are never read as absent
unless the caller passes ``assume_normal_if_missing=True`` (off by default; flagged when used). Grades are per
assessment; the per-episode maximum is taken with :mod:`mabseq.criteria.longitudinal`.
"""
from __future__ import annotations

from itertools import product

from .result import Result

RULESET = "ASTCT-2019"
VERSION = "Lee 2019 BBMT 25:625"

OXYGEN_SUPPORT = ("none", "low_flow", "high_flow", "positive_pressure")
_OXY_COMPONENT = {"none": 1, "low_flow": 2, "high_flow": 3, "positive_pressure": 4}

_DEVICE_CLASS = {
    "none": "none", "room_air": "none",
    "blow_by": "low_flow",
    "high_flow_nasal_cannula": "high_flow", "hfnc": "high_flow", "face_mask": "high_flow",
    "simple_face_mask": "high_flow", "non_rebreather": "high_flow", "venturi": "high_flow",
    "venturi_mask": "high_flow",
    "cpap": "positive_pressure", "bipap": "positive_pressure", "mechanical_ventilation": "positive_pressure",
    "intubation": "positive_pressure",
}


def oxygen_support_category(device: str | None, flow_l_min: float | None = None,
                            low_flow_max_l_min: float = 6.0) -> str | None:
    """Map an oxygen device (and flow) to the ASTCT 2019 oxygen classes (Lee 2019, CRS table footnotes).

    ``low_flow`` = nasal cannula at <= ``low_flow_max_l_min`` (6 L/min) or blow-by; ``high_flow`` = nasal cannula
    above 6 L/min, face mask, non-rebreather or Venturi mask; ``positive_pressure`` = CPAP, BiPAP or intubation
    with mechanical ventilation. A nasal cannula without a recorded flow gives None (the class is unknown).
    """
    if device is None:
        return None
    d = device.strip().lower().replace("-", "_").replace(" ", "_")
    if d == "nasal_cannula":
        if flow_l_min is None:
            return None
        if flow_l_min < 0:
            raise ValueError(f"flow_l_min must be >= 0, got {flow_l_min}")
        return "low_flow" if flow_l_min <= low_flow_max_l_min else "high_flow"
    if d in OXYGEN_SUPPORT:
        return d
    if d not in _DEVICE_CLASS:
        raise ValueError(f"unknown oxygen device {device!r}")
    return _DEVICE_CLASS[d]


# ---- 2.1 CRS --------------------------------------------------------------------------------------------------
def _haemodynamic_set(hypo: bool | None, n_vp: int | None, vasopressin: bool | None) -> set[int]:
    """Possible haemodynamic components (1 = no hypotension .. 4 = >= 2 vasopressors other than vasopressin)."""
    out: set[int] = set()
    if hypo is False and not n_vp and not vasopressin:
        return {1}  # no hypotension: no vasopressor for CRS to count
    n_opts = [n_vp] if n_vp is not None else [0, 1, 2]
    v_opts = [vasopressin] if vasopressin is not None else [False, True]
    h_opts = [hypo] if hypo is not None else [False, True]
    for h, n, v in product(h_opts, n_opts, v_opts):
        if n >= 2:
            out.add(4)
        elif n == 1 or v:
            out.add(3)  # one vasopressor, with or without vasopressin; vasopressin alone counts as one
        else:
            out.add(2 if h else 1)
    return out


def crs_grade(*, temp_max_c: float | None = None, fever_other_cause: bool | None = False,
              received_antipyretic_or_anticytokine: bool | None = False, hypotension: bool | None = None,
              sbp_mmhg: float | None = None, n_vasopressors_excl_vasopressin: int | None = None,
              vasopressin: bool | None = None, oxygen_support: str | None = None, death_due_to_crs: bool = False,
              hypotension_sbp_lt: float = 90.0, fever_threshold_c: float = 38.0,
              assume_normal_if_missing: bool = False) -> Result:
    """CRS grade 0-5 for one assessment, ASTCT 2019 (Lee et al. 2019, CRS consensus table; spec 2.1).

    Encoded rule (paraphrased):

    * Gate: CRS needs a temperature >= ``fever_threshold_c`` (38.0 C) not explained by another cause. Once the
      patient has had antipyretic or anti-cytokine treatment (tocilizumab, corticosteroids) for CRS, fever is no
      longer required and grading is driven by hypotension and hypoxia only; with neither, the assessment grades 0.
    * Haemodynamic component: no hypotension 1; hypotension without vasopressor 2; one vasopressor with or without
      vasopressin 3 (vasopressin alone counts as one); >= 2 vasopressors other than vasopressin 4.
    * Oxygen component: none 1; low-flow (nasal cannula <= 6 L/min, blow-by) 2; high-flow 3; positive pressure 4.
    * Grade = max(haemodynamic, oxygen). Grade 5 = death due to CRS. Organ toxicities do not change the grade.

    ASTCT gives no blood-pressure cut-off for hypotension: if ``hypotension`` is not given it is derived from
    ``sbp_mmhg < hypotension_sbp_lt`` (default 90 mmHg for adults; a parameter). A recorded vasopressor implies
    hypotension.
    """
    inputs = {"temp_max_c": temp_max_c, "fever_other_cause": fever_other_cause,
              "received_antipyretic_or_anticytokine": received_antipyretic_or_anticytokine,
              "hypotension": hypotension, "sbp_mmhg": sbp_mmhg,
              "n_vasopressors_excl_vasopressin": n_vasopressors_excl_vasopressin, "vasopressin": vasopressin,
              "oxygen_support": oxygen_support, "death_due_to_crs": death_due_to_crs}
    flags: list[str] = []
    met: list[str] = []
    if oxygen_support is not None and oxygen_support not in OXYGEN_SUPPORT:
        raise ValueError(f"oxygen_support must be one of {OXYGEN_SUPPORT}, got {oxygen_support!r}")
    if n_vasopressors_excl_vasopressin is not None and (
            not isinstance(n_vasopressors_excl_vasopressin, int) or n_vasopressors_excl_vasopressin < 0):
        raise ValueError("n_vasopressors_excl_vasopressin must be a non-negative integer")
    if death_due_to_crs:
        return Result(5, RULESET, VERSION, ("death due to CRS -> grade 5",), (), inputs, (), "crs_grade")

    if assume_normal_if_missing:
        assumed = [k for k, v in (("temp_max_c", temp_max_c), ("fever_other_cause", fever_other_cause),
                                  ("received_antipyretic_or_anticytokine", received_antipyretic_or_anticytokine),
                                  ("hypotension", hypotension if sbp_mmhg is None else sbp_mmhg),
                                  ("n_vasopressors_excl_vasopressin", n_vasopressors_excl_vasopressin),
                                  ("vasopressin", vasopressin), ("oxygen_support", oxygen_support)) if v is None]
        if assumed:
            flags.append("missing_assumed_normal: " + ", ".join(assumed))
        fever_other_cause = False if fever_other_cause is None else fever_other_cause
        received_antipyretic_or_anticytokine = bool(received_antipyretic_or_anticytokine)
        n_vasopressors_excl_vasopressin = n_vasopressors_excl_vasopressin or 0
        vasopressin = bool(vasopressin)
        oxygen_support = oxygen_support or "none"
        if hypotension is None and sbp_mmhg is None:
            hypotension = False

    # hypotension: the recorded judgement first, else the SBP threshold
    hypo = hypotension
    if sbp_mmhg is not None:
        by_sbp = sbp_mmhg < hypotension_sbp_lt
        if hypo is None:
            hypo = by_sbp
            met.append(f"SBP {sbp_mmhg:g} {'<' if by_sbp else '>='} {hypotension_sbp_lt:g} mmHg -> "
                       f"{'hypotension' if by_sbp else 'no hypotension'}")
        elif hypo != by_sbp:
            flags.append("hypotension_disagrees_with_sbp")
    n_vp, vp = n_vasopressors_excl_vasopressin, vasopressin
    if hypo is False and ((n_vp or 0) > 0 or vp):
        flags.append("vasopressor_without_recorded_hypotension")
        hypo = True

    # fever gate
    if temp_max_c is None:
        fever = None if not assume_normal_if_missing else False
    elif temp_max_c >= fever_threshold_c:
        fever = None if fever_other_cause is None else not fever_other_cause
        met.append(f"temperature {temp_max_c:g} C >= {fever_threshold_c:g}" +
                   (" explained by another cause" if fever_other_cause else ""))
    else:
        fever = False
        met.append(f"temperature {temp_max_c:g} C < {fever_threshold_c:g}")

    haem = _haemodynamic_set(hypo, n_vp, vp)
    oxy = {_OXY_COMPONENT[oxygen_support]} if oxygen_support is not None else {1, 2, 3, 4}
    treated = received_antipyretic_or_anticytokine
    grades = set()
    for f, t, h, o in product([fever] if fever is not None else [False, True],
                              [treated] if treated is not None else [False, True], haem, oxy):
        if f:
            grades.add(max(h, o))
        elif t:
            grades.add(max(h, o) if max(h, o) > 1 else 0)
        else:
            grades.add(0)

    if len(haem) == 1:
        h = next(iter(haem))
        met.append({1: "no hypotension -> 1", 2: "hypotension without vasopressor -> 2",
                    3: "one vasopressor (vasopressin alone counts as one) -> 3",
                    4: ">= 2 vasopressors other than vasopressin -> 4"}[h])
    if oxygen_support is not None:
        met.append(f"oxygen {oxygen_support} -> {_OXY_COMPONENT[oxygen_support]}")
    if fever is False and treated:
        met.append("after antipyretic/anti-cytokine treatment: fever not required")
        if grades == {0}:
            flags.append("treated_no_fever_no_hypotension_or_hypoxia")
    elif fever is False and treated is False:
        met.append("fever gate not met -> no CRS")

    if len(grades) == 1:
        g = next(iter(grades))
        if g > 0 and fever:
            met.append(f"grade = max(haemodynamic, oxygen) = {g}")
        return Result(g, RULESET, VERSION, tuple(met), (), inputs, tuple(flags), "crs_grade")
    missing = []
    if fever is None:
        missing += ["temp_max_c"] if temp_max_c is None else ["fever_other_cause"]
    if treated is None:
        missing.append("received_antipyretic_or_anticytokine")
    if len(haem) > 1:
        missing += [k for k, v in (("hypotension", hypo), ("n_vasopressors_excl_vasopressin", n_vp),
                                   ("vasopressin", vp)) if v is None]
    if oxygen_support is None:
        missing.append("oxygen_support")
    flags.append(f"possible_grades={','.join(map(str, sorted(grades)))}")
    return Result(None, RULESET, VERSION, tuple(met), tuple(missing), inputs, tuple(flags), "crs_grade")


# ---- 2.2 ICE score --------------------------------------------------------------------------------------------
_ICE_ITEMS = (("orientation", 4), ("naming", 3), ("following_commands", 1), ("writing", 1), ("attention", 1))


def ice_score(*, orientation: int | None = None, naming: int | None = None, following_commands: int | None = None,
              writing: int | None = None, attention: int | None = None, total: int | None = None) -> Result:
    """Immune effector cell-associated encephalopathy (ICE) score, 0-10 (Lee 2019, ICE table; spec 2.2).

    Items: orientation to year, month, city, hospital (0-4); naming 3 objects (0-3); following simple commands
    (0-1); writing a standard sentence (0-1); attention, counting back from 100 by 10 (0-1). 10 is normal.
    Each component's range is validated (ValueError). The score is None if any component is missing, unless
    ``total`` is given directly; a given total that contradicts complete components is a ValueError.
    """
    comps = {"orientation": orientation, "naming": naming, "following_commands": following_commands,
             "writing": writing, "attention": attention}
    for name, top in _ICE_ITEMS:
        v = comps[name]
        if v is None:
            continue
        if isinstance(v, bool):
            v = comps[name] = int(v)
        if not isinstance(v, int) or not 0 <= v <= top:
            raise ValueError(f"ICE {name} must be an integer 0-{top}, got {v!r}")
    if total is not None and (isinstance(total, bool) or not isinstance(total, int) or not 0 <= total <= 10):
        raise ValueError(f"ICE total must be an integer 0-10, got {total!r}")
    inputs = dict(comps, total=total)
    missing = tuple(k for k, v in comps.items() if v is None)
    if not missing:
        s = sum(comps.values())
        if total is not None and total != s:
            raise ValueError(f"ICE total {total} disagrees with the sum of its components ({s})")
        return Result(s, RULESET, VERSION, (f"sum of components = {s}",), (), inputs, (), "ice_score")
    if total is not None:
        return Result(total, RULESET, VERSION, (f"total given directly = {total}",), (), inputs,
                      ("components_incomplete",), "ice_score")
    return Result(None, RULESET, VERSION, (), missing, inputs, (), "ice_score")


# ---- 2.3 ICANS ------------------------------------------------------------------------------------------------
CONSCIOUSNESS = {"normal": 0, "awakens_spontaneously": 1, "awakens_to_voice": 2, "awakens_to_touch_only": 3,
                 "unarousable_or_vigorous_stimuli_or_stupor_coma": 4, "unarousable": 4}
SEIZURE = {"none": 0, "rapidly_resolving_clinical_or_EEG_nonconvulsive_resolving_with_intervention": 3,
           "rapidly_resolving": 3,
           "prolonged_gt5min_or_repetitive_without_return_to_baseline": 4, "prolonged_or_repetitive": 4}
MOTOR = {"none": 0, "deep_focal_weakness": 4}
ICP = {"none": 0, "focal_edema_on_imaging": 3, "focal_edema": 3,
       "diffuse_edema_or_posturing_or_CN6_palsy_or_papilledema_or_cushing_triad": 4, "diffuse_edema": 4}


def _ice_domain(score: int, unarousable: bool | None, aphasia: bool | None) -> tuple[set[int], str]:
    if score == 10:
        return {0}, "ICE 10 -> 0"
    if score >= 7:
        return {1}, f"ICE {score} (7-9) -> 1"
    if score >= 3:
        return {2}, f"ICE {score} (3-6) -> 2"
    if score >= 1:
        return {3}, f"ICE {score} (0-2) -> 3"
    if unarousable and aphasia:
        raise ValueError("ICE 0: a patient cannot be both unarousable and awake with global aphasia")
    if unarousable:
        return {4}, "ICE 0, unarousable and cannot be tested -> 4"
    if aphasia:
        return {3}, "ICE 0, awake with global aphasia -> 3"
    if unarousable is False:
        return {3}, "ICE 0, arousable -> 3"
    return {3, 4}, "ICE 0, arousal unknown -> 3 or 4"


def _domain(name: str, value: str | None, table: dict, other_cause: bool | None) -> tuple[set[int], str | None]:
    if value is None:
        return set(range(5)), None
    if value not in table:
        raise ValueError(f"{name} must be one of {tuple(table)}, got {value!r}")
    g = table[value]
    if g == 0:
        return {0}, None
    if other_cause:
        return {0}, f"{name} {value} explained by another cause: excluded"
    if other_cause is None:
        return {0, g}, f"{name} {value} -> {g} unless explained by another cause"
    return {g}, f"{name} {value} -> {g}"


def icans_grade(*, ice_score: int | Result | None = None, ice_not_assessable: bool = False,
                unarousable: bool | None = None, awake_global_aphasia: bool | None = None,
                consciousness: str | None = None, seizure: str | None = None, motor: str | None = None,
                icp: str | None = None, ice_other_cause: bool | None = False,
                consciousness_other_cause: bool | None = False, seizure_other_cause: bool | None = False,
                motor_other_cause: bool | None = False, icp_other_cause: bool | None = False,
                assume_normal_if_missing: bool = False) -> Result:
    """ICANS grade 0-4 for one assessment, ASTCT 2019 (Lee et al. 2019, ICANS table and footnotes; spec 2.3).

    Domains (grade = max over domains):

    * ICE: 10 -> 0; 7-9 -> 1; 3-6 -> 2; 0-2 -> 3. ICE 0 because the patient is unarousable and cannot be tested
      -> 4; ICE 0 in an awake patient with global aphasia -> 3.
    * Depressed consciousness: awakens spontaneously 1; to voice 2; to touch only 3; unarousable / vigorous or
      repetitive stimuli / stupor or coma 4.
    * Seizure: any clinical seizure that resolves rapidly, or non-convulsive seizures on EEG resolving with
      intervention 3; prolonged (> 5 min) or repetitive seizures without return to baseline 4.
    * Motor: deep focal weakness (hemiparesis, paraparesis) 4.
    * Raised ICP / cerebral oedema: focal/local oedema on imaging 3; diffuse oedema, decerebrate/decorticate
      posturing, CN VI palsy, papilloedema or Cushing's triad 4.

    Each finding with ``*_other_cause=True`` (e.g. sedating drugs) is excluded. Tremor, myoclonus, intracranial
    haemorrhage and headache are not ICANS (grade them with CTCAE; pass ``icp_other_cause=True`` for oedema due to
    haemorrhage). If ICE cannot be assessed (``ice_not_assessable``: intubated or sedated), the grade comes from the
    other domains and is flagged. A missing domain that could raise the maximum makes the grade None.
    """
    if isinstance(ice_score, Result):
        ice_score = ice_score.value
    if ice_score is not None and (isinstance(ice_score, bool) or not isinstance(ice_score, int)
                                  or not 0 <= ice_score <= 10):
        raise ValueError(f"ice_score must be an integer 0-10, got {ice_score!r}")
    inputs = {"ice_score": ice_score, "ice_not_assessable": ice_not_assessable or None, "unarousable": unarousable,
              "awake_global_aphasia": awake_global_aphasia, "consciousness": consciousness, "seizure": seizure,
              "motor": motor, "icp": icp}
    flags: list[str] = []
    met: list[str] = []
    if assume_normal_if_missing:
        assumed = [k for k, v in (("consciousness", consciousness), ("seizure", seizure), ("motor", motor),
                                  ("icp", icp)) if v is None]
        if ice_score is None and not ice_not_assessable:
            assumed.insert(0, "ice_score")
            ice_score = 10
        if assumed:
            flags.append("missing_assumed_normal: " + ", ".join(assumed))
        consciousness = consciousness or "normal"
        seizure = seizure or "none"
        motor = motor or "none"
        icp = icp or "none"

    domains: dict[str, set[int]] = {}
    if ice_not_assessable:
        flags.append("ICE_not_assessable: graded from the other domains")
        domains["ice_score"] = {0}
    elif ice_score is None:
        domains["ice_score"] = set(range(5))
    else:
        s, text = _ice_domain(ice_score, unarousable, awake_global_aphasia)
        if ice_other_cause and s != {0}:
            s, text = {0}, f"ICE {ice_score} explained by another cause: excluded"
        elif ice_other_cause is None and s != {0}:
            s, text = s | {0}, text + " unless explained by another cause"
        domains["ice_score"] = s
        met.append(text)
    for name, value, table, oc in (("consciousness", consciousness, CONSCIOUSNESS, consciousness_other_cause),
                                   ("seizure", seizure, SEIZURE, seizure_other_cause),
                                   ("motor", motor, MOTOR, motor_other_cause),
                                   ("icp", icp, ICP, icp_other_cause)):
        s, text = _domain(name, value, table, oc)
        domains[name] = s
        if text:
            met.append(text)
    lo = max(min(s) for s in domains.values())
    hi = max(max(s) for s in domains.values())
    if lo == hi:
        met.append(f"grade = max over domains = {lo}")
        return Result(lo, RULESET, VERSION, tuple(met), (), inputs, tuple(flags), "icans_grade")
    missing = [k for k, s in domains.items() if len(s) > 1 and max(s) > lo]
    missing = [("unarousable" if k == "ice_score" and ice_score == 0 else k) for k in missing]
    for k, oc in (("consciousness", consciousness_other_cause), ("seizure", seizure_other_cause),
                  ("motor", motor_other_cause), ("icp", icp_other_cause), ("ice_score", ice_other_cause)):
        if k in missing and oc is None and inputs.get(k) is not None:
            missing[missing.index(k)] = f"{k}_other_cause"
    flags.append(f"possible_grades={lo}-{hi}")
    return Result(None, RULESET, VERSION, tuple(met), tuple(missing), inputs, tuple(flags), "icans_grade")
