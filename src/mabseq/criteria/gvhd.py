"""Acute GVHD: organ staging and overall grade under the 1994 Consensus (Keystone) and MAGIC rule sets.

Clinical-criteria spec section 1. Sources (paraphrased, never copied):

* ``Keystone-1994``: Przepiorka D et al., 1994 Consensus Conference on Acute GVHD Grading, Bone Marrow Transplant
  1995;15:825-828 (PMID 7581076); staging table with footnotes reproduced in Holland-Frei Cancer Medicine,
  Table 69-3. This is the rule set the paper's Methods cite, hence the default (study-definition 2.9).
* ``MAGIC-2016``: Harris AC et al., Biol Blood Marrow Transplant 2016;22:4-10, adult/child table as reproduced in
  NCI PDQ (NBK577669, Table 4, "adapted from Harris et al."); data-capture rules from the ASH 2015 abstract
  (Blood 2015;126:3154).

Every function is pure and returns a :class:`~mabseq.criteria.result.Result`. Stage and grade values are integers
(grade 0-4); Roman numerals appear only in the explanation text. A missing input is never taken as normal: every
missing input is tried over all of its possible values, and when that changes the stage (or, for
:func:`agvhd_grade`, the overall grade) the value is None and the inputs that matter are listed in
``missing_inputs``. ``assume_missing_normal=True`` (off by default) takes missing findings as absent and says so in
``flags``.

Boundaries on which sources disagree are keyword parameters:

* ``keystone_strict_gt`` (default False): Keystone writes diarrhea ">500 / >1000 / >1500 mL/day". The default uses
  the MAGIC edges (500-999 stage 1, 1000-1500 stage 2, >1500 stage 3), as the spec's section 0.5 asks; True
  reproduces the literal 1994 text (exactly 500 mL is stage 0, 1000 is stage 1, 1500 is stage 2). VERIFY against
  the 1995 PDF (spec section 10, item 1).
* ``keystone_downgrade_other_cause`` (default False): the 1994 footnotes lower the liver stage by one when another
  cause of hyperbilirubinemia is documented, and the diarrhea stage by one when another cause of diarrhea is. MAGIC
  has no such downgrade (the PDQ footnote), so the option is ignored, with a flag, under MAGIC.
* ``gi_adult_min_weight_kg`` / ``gi_adult_weight_inclusive`` (50 kg, inclusive): MAGIC's ASH rules and the spec
  put children at < 50 kg, so exactly 50 kg is an adult; the PDQ footnote says adult values apply "> 50 kg"
  (``gi_adult_weight_inclusive=False``). ``gi_table`` forces ``"adult"`` or ``"child"`` when weight is unknown.
* ``keystone_child_gi`` (``"ml_per_kg"``): the 1995 text scales diarrhea volume to body-surface area for children
  but gives no numbers. The default uses the MAGIC/COG child mL/kg bands (flagged); ``"adult"`` applies the adult
  volumes to everyone.
* ``magic_bullae_bsa_gt`` (5% BSA): MAGIC skin stage 4 needs bullae/desquamation on more than this; Keystone has
  no % threshold (any bullae with generalized erythroderma).
* ``erythroderma_bsa_gt`` (50% BSA): numeric surrogate of "generalized erythroderma" (spec 1.3).
* ``magic_upper_gi_requires_biopsy`` (False): Harris 2016 stages upper GI on symptoms alone; the COG/PDQ version
  of the table asks for a positive upper-GI biopsy.

Performance status (Glucksberg grades III/IV) is not implemented: the 1994 consensus dropped it (spec 1.3, VERIFY).
"""
from __future__ import annotations

from typing import Any, Callable, Sequence

from ._logic import enumerate_missing as _enumerate
from .result import Result

KEYSTONE = "Keystone-1994"
MAGIC = "MAGIC-2016"
RULESETS = (KEYSTONE, MAGIC)
RULESET_VERSION = {KEYSTONE: "1994 consensus (Przepiorka, BMT 1995;15:825)",
                   MAGIC: "2016 (Harris, BBMT 2016;22:4)"}
ROMAN = {0: "0", 1: "I", 2: "II", 3: "III", 4: "IV"}

_DIARRHEA = "_diarrhea"  # pseudo-input: the diarrhea stage when no stool measure was recorded
_DIARRHEA_LABEL = {MAGIC: "stool_ml_per_day or stool_episodes_per_day", KEYSTONE: "stool_ml_per_day"}
_MEASURED = "measured"


def _r(x: float) -> float:
    """Ratios computed here are cleaned of binary noise (e.g. 1.8/1.2 = 1.5000000000000002)."""
    return round(x, 9)


def _check_ruleset(ruleset: str) -> str:
    if ruleset not in RULESETS:
        raise ValueError(f"ruleset: {ruleset!r} is not one of {RULESETS}")
    return ruleset


def _check_pct(name: str, v):
    if v is not None and not (0 <= v <= 100):
        raise ValueError(f"{name}: {v!r} is not a percentage of body surface area (0-100)")


def _check_nonneg(name: str, v):
    if v is not None and v < 0:
        raise ValueError(f"{name}: {v!r} is negative")


class _Organ:
    """An organ's possible stages, with what was met and what is missing."""

    def __init__(self, values: set, met=(), missing=(), flags=()):
        self.values = set(values)
        self.met = tuple(met)
        self.missing = tuple(missing)
        self.flags = tuple(flags)

    @property
    def value(self):
        return next(iter(self.values)) if len(self.values) == 1 else None


def _assume_normal(given: dict, normals: dict, assume: bool) -> tuple[dict, list[str]]:
    if not assume:
        return given, []
    out = dict(given)
    flags = []
    for name, normal in normals.items():
        if out.get(name) is None and name in out:
            out[name] = normal
            flags.append(f"assumed normal: {name.lstrip('_') if name != _DIARRHEA else 'stool output'}")
    return out, flags


def _organ_from_enum(values, detail, relevant, labels: dict | None = None, extra_flags=()) -> _Organ:
    labels = labels or {}
    missing = [labels.get(n, n) for n in relevant] if len(values) > 1 else []
    if len(values) == 1:
        met, flags = detail[next(iter(values))]
    else:
        met, flags = (), ()
        flags = tuple(f for v in sorted(values) for f in detail[v][1])
    return _Organ(values, met, missing, tuple(dict.fromkeys(tuple(flags) + tuple(extra_flags))))


def _result(organ: _Organ, ruleset: str, inputs: dict, rule: str) -> Result:
    flags = list(organ.flags)
    if organ.value is None:
        flags.append("possible stages: " + ", ".join(str(v) for v in sorted(organ.values)))
    return Result(organ.value, ruleset, RULESET_VERSION[ruleset], organ.met, organ.missing, inputs, tuple(flags),
                  rule)


# ---- skin -----------------------------------------------------------------------------------------------------
def _skin_exact(rash_bsa_pct, generalized_erythroderma, bullae_desquamation_bsa_pct, *, ruleset,
                magic_bullae_bsa_gt, erythroderma_bsa_gt):
    erythroderma = (generalized_erythroderma is True
                    or (rash_bsa_pct is not None and rash_bsa_pct > erythroderma_bsa_gt))
    if erythroderma:
        why = ("generalized erythroderma" if generalized_erythroderma is True
               else f"rash {rash_bsa_pct:g}% > {erythroderma_bsa_gt:g}% BSA")
        thr = magic_bullae_bsa_gt if ruleset == MAGIC else 0.0
        if bullae_desquamation_bsa_pct > thr:
            return 4, [f"skin stage 4: {why} with bullae/desquamation {bullae_desquamation_bsa_pct:g}% "
                       f"> {thr:g}% BSA"], []
        return 3, [f"skin stage 3: {why}"], []
    r = rash_bsa_pct
    if r <= 0:
        return 0, ["skin stage 0: no active erythematous rash"], []
    if r < 25:
        return 1, [f"skin stage 1: rash {r:g}% < 25% BSA"], []
    if r <= 50:
        return 2, [f"skin stage 2: rash {r:g}% in 25-50% BSA"], []
    return 3, [f"skin stage 3: rash {r:g}% > 50% BSA"], []  # pragma: no cover (erythroderma surrogate above)


def _skin(rash, erythro, bullae, ruleset, magic_bullae_bsa_gt, erythroderma_bsa_gt, assume) -> _Organ:
    _check_pct("rash_bsa_pct", rash)
    _check_pct("bullae_desquamation_bsa_pct", bullae)
    given = {"rash_bsa_pct": rash, "generalized_erythroderma": erythro, "bullae_desquamation_bsa_pct": bullae}
    given, assumed = _assume_normal(given, {"rash_bsa_pct": 0.0, "bullae_desquamation_bsa_pct": 0.0}, assume)
    flags = list(assumed)
    if rash is not None and erythro is True and rash <= erythroderma_bsa_gt:
        flags.append(f"generalized erythroderma recorded with rash {rash:g}% <= {erythroderma_bsa_gt:g}% BSA")
    cands = {"rash_bsa_pct": (0.0, 10.0, 30.0, 60.0), "bullae_desquamation_bsa_pct": (0.0, 3.0, 10.0)}
    if erythro is True:
        cands["rash_bsa_pct"] = (60.0,)  # erythroderma: rash extent no longer matters
    fn = lambda **kw: _skin_exact(**kw, ruleset=ruleset, magic_bullae_bsa_gt=magic_bullae_bsa_gt,  # noqa: E731
                                  erythroderma_bsa_gt=erythroderma_bsa_gt)
    values, detail, relevant = _enumerate(fn, given, cands)
    if len(values) > 1 and given["rash_bsa_pct"] is None and erythro is None:
        relevant = ["rash_bsa_pct", "generalized_erythroderma"] + [n for n in relevant if n != "rash_bsa_pct"]
    return _organ_from_enum(values, detail, relevant, extra_flags=flags)


def skin_stage(rash_bsa_pct: float | None = None, generalized_erythroderma: bool | None = None,
               bullae_desquamation_bsa_pct: float | None = None, *, ruleset: str = KEYSTONE,
               magic_bullae_bsa_gt: float = 5.0, erythroderma_bsa_gt: float = 50.0,
               assume_missing_normal: bool = False) -> Result:
    """Skin stage 0-4 (spec 1.2/1.3).

    ``Keystone-1994`` (Przepiorka 1995 table; BSA by rule of nines or burn chart):

    =====  ================================================================================
    0      no GVHD rash
    1      maculopapular rash < 25% BSA
    2      rash 25-50% BSA
    3      generalized erythroderma (numeric surrogate: rash > ``erythroderma_bsa_gt`` = 50%)
    4      generalized erythroderma with bullous formation and desquamation (no % threshold)
    =====  ================================================================================

    ``MAGIC-2016`` (Harris 2016; only active erythema, bullae and desquamation are counted): stage 1 rash < 25%,
    stage 2 25% <= rash <= 50%, stage 3 rash > 50%, stage 4 generalized erythroderma (> 50%) **plus**
    bullae/desquamation on > ``magic_bullae_bsa_gt`` (5%) BSA.
    """
    _check_ruleset(ruleset)
    organ = _skin(rash_bsa_pct, generalized_erythroderma, bullae_desquamation_bsa_pct, ruleset, magic_bullae_bsa_gt,
                  erythroderma_bsa_gt, assume_missing_normal)
    inputs = {"rash_bsa_pct": rash_bsa_pct, "generalized_erythroderma": generalized_erythroderma,
              "bullae_desquamation_bsa_pct": bullae_desquamation_bsa_pct}
    return _result(organ, ruleset, inputs, "skin_stage")


# ---- liver ----------------------------------------------------------------------------------------------------
def _bili_stage(b: float) -> int:
    if b < 2.0:
        return 0
    if b <= 3.0:
        return 1
    if b <= 6.0:
        return 2
    if b <= 15.0:
        return 3
    return 4


_BILI_BAND = {0: "< 2.0", 1: "2.0-3.0", 2: "> 3.0-6.0", 3: "> 6.0-15.0", 4: "> 15.0"}


def _liver_exact(bilirubin_mg_dl, liver_gvhd_attributed, other_cause_hyperbilirubinemia, *, downgrade):
    if liver_gvhd_attributed is False:
        return 0, ["liver stage 0: hyperbilirubinemia not attributed to GVHD"], []
    s = _bili_stage(bilirubin_mg_dl)
    met = [f"liver stage {s}: bilirubin {bilirubin_mg_dl:g} mg/dL in {_BILI_BAND[s]}"]
    if downgrade and s > 0 and other_cause_hyperbilirubinemia:
        met.append(f"liver stage {s - 1}: downgraded one stage for another documented cause (1994 footnote)")
        s -= 1
    return s, met, []


def _liver(bili, other_cause, attributed, ruleset, downgrade, assume) -> _Organ:
    _check_nonneg("bilirubin_mg_dl", bili)
    flags = []
    if downgrade and ruleset == MAGIC:
        flags.append("keystone_downgrade_other_cause ignored: MAGIC-2016 makes no other-cause downgrade")
        downgrade = False
    if downgrade:
        flags.append("keystone_downgrade_other_cause")
    given = {"bilirubin_mg_dl": bili, "liver_gvhd_attributed": attributed}
    if downgrade:
        given["other_cause_hyperbilirubinemia"] = other_cause
    else:
        given["other_cause_hyperbilirubinemia"] = False
    given, assumed = _assume_normal(given, {"bilirubin_mg_dl": 0.0, "other_cause_hyperbilirubinemia": False},
                                    assume)
    cands = {"bilirubin_mg_dl": (1.0, 2.5, 4.0, 10.0, 20.0), "liver_gvhd_attributed": (True, False),
             "other_cause_hyperbilirubinemia": (False, True)}
    fn = lambda **kw: _liver_exact(**kw, downgrade=downgrade)  # noqa: E731
    values, detail, relevant = _enumerate(fn, given, cands)
    return _organ_from_enum(values, detail, relevant, extra_flags=flags + assumed)


def liver_stage(bilirubin_mg_dl: float | None = None, *, ruleset: str = KEYSTONE,
                other_cause_hyperbilirubinemia: bool | None = None, liver_gvhd_attributed: bool | None = True,
                keystone_downgrade_other_cause: bool = False, assume_missing_normal: bool = False) -> Result:
    """Liver stage 0-4 from total bilirubin in mg/dL (umol/L / 17.1), the same bands under both rule sets.

    The published bands overlap ("2-3", "3-6", "6-15"); the MAGIC-style continuous edges resolve them (spec 1.2):

    =====  ======================  ===============================
    stage  bilirubin (mg/dL)       umol/L as printed by PDQ/MAGIC
    =====  ======================  ===============================
    0      b < 2.0
    1      2.0 <= b <= 3.0         34-50
    2      3.0 < b <= 6.0          51-102
    3      6.0 < b <= 15.0         103-255
    4      b > 15.0                > 255
    =====  ======================  ===============================

    ``liver_gvhd_attributed=False`` (a clinical attribution, both rule sets) gives stage 0. Under
    ``Keystone-1994`` with ``keystone_downgrade_other_cause=True`` the stage drops by one when
    ``other_cause_hyperbilirubinemia`` is documented (1994 footnote); MAGIC never downgrades (PDQ footnote).
    """
    _check_ruleset(ruleset)
    organ = _liver(bilirubin_mg_dl, other_cause_hyperbilirubinemia, liver_gvhd_attributed, ruleset,
                   keystone_downgrade_other_cause, assume_missing_normal)
    inputs = {"bilirubin_mg_dl": bilirubin_mg_dl, "other_cause_hyperbilirubinemia": other_cause_hyperbilirubinemia,
              "liver_gvhd_attributed": liver_gvhd_attributed}
    return _result(organ, ruleset, inputs, "liver_stage")


# ---- gastrointestinal -----------------------------------------------------------------------------------------
def _is_adult(weight_kg, gi_table, min_kg, inclusive) -> bool:
    if gi_table == "adult":
        return True
    if gi_table == "child":
        return False
    return weight_kg >= min_kg if inclusive else weight_kg > min_kg


def _magic_adult_volume(v):
    return 0 if v < 500 else 1 if v < 1000 else 2 if v <= 1500 else 3


def _magic_adult_episodes(e):
    return 0 if e < 3 else 1 if e < 5 else 2 if e <= 7 else 3


def _magic_child_ml_kg(v):
    return 0 if v < 10 else 1 if v < 20 else 2 if v <= 30 else 3


def _magic_child_episodes(e):
    return 0 if e < 4 else 1 if e < 7 else 2 if e <= 10 else 3


def _keystone_volume(v, strict):
    if strict:
        return 0 if v <= 500 else 1 if v <= 1000 else 2 if v <= 1500 else 3
    return _magic_adult_volume(v)


_MAGIC_BANDS = {
    "adult_ml": {0: "< 500", 1: "500-999", 2: "1000-1500", 3: "> 1500"},
    "adult_ep": {0: "< 3", 1: "3-4", 2: "5-7", 3: "> 7"},
    "child_ml": {0: "< 10", 1: "10-19.9", 2: "20-30", 3: "> 30"},
    "child_ep": {0: "< 4", 1: "4-6", 2: "7-10", 3: "> 10"},
}
_KEYSTONE_STRICT_BAND = {0: "<= 500", 1: "> 500", 2: "> 1000", 3: "> 1500"}


def _volumes(ml_day, ml_kg, weight):
    """Fill mL/day from mL/kg/day (or the reverse) when the weight is known."""
    if ml_day is None and ml_kg is not None and weight is not None:
        ml_day = _r(ml_kg * weight)
    if ml_kg is None and ml_day is not None and weight:
        ml_kg = _r(ml_day / weight)
    return ml_day, ml_kg


def _magic_diarrhea(ml_day, episodes, ml_kg, weight, adult):
    ml_day, ml_kg = _volumes(ml_day, ml_kg, weight)
    parts = []
    if adult:
        if ml_day is not None:
            s = _magic_adult_volume(ml_day)
            parts.append((s, f"stool {ml_day:g} mL/day ({_MAGIC_BANDS['adult_ml'][s]}, adult)"))
        if episodes is not None:
            s = _magic_adult_episodes(episodes)
            parts.append((s, f"{episodes:g} episodes/day ({_MAGIC_BANDS['adult_ep'][s]}, adult)"))
    else:
        if ml_kg is not None:
            s = _magic_child_ml_kg(ml_kg)
            parts.append((s, f"stool {ml_kg:g} mL/kg/day ({_MAGIC_BANDS['child_ml'][s]}, child)"))
        if episodes is not None:
            s = _magic_child_episodes(episodes)
            parts.append((s, f"{episodes:g} episodes/day ({_MAGIC_BANDS['child_ep'][s]}, child)"))
    if not parts:
        return None
    return max(parts, key=lambda p: p[0])


def _lower_gi_exact(stool_ml_per_day, stool_episodes_per_day, stool_ml_per_kg_per_day, weight_kg,
                    severe_abdominal_pain, grossly_bloody_stool, _diarrhea, *, gi_table, min_kg, inclusive):
    adult = _is_adult(weight_kg, gi_table, min_kg, inclusive)
    if severe_abdominal_pain or grossly_bloody_stool:
        why = "severe abdominal pain" if severe_abdominal_pain else "grossly bloody stool"
        return 4, [f"lower GI stage 4: {why} (whatever the volume)"], []
    if _diarrhea != _MEASURED:
        return _diarrhea, [], []
    d = _magic_diarrhea(stool_ml_per_day, stool_episodes_per_day, stool_ml_per_kg_per_day, weight_kg, adult)
    return d[0], [f"lower GI stage {d[0]}: {d[1]}"], []


def _lower_gi(ml_day, episodes, ml_kg, weight, pain, bloody, gi_table, min_kg, inclusive, assume, ileus=None,
              biopsy=None) -> _Organ:
    for n, v in (("stool_ml_per_day", ml_day), ("stool_episodes_per_day", episodes),
                 ("stool_ml_per_kg_per_day", ml_kg)):
        _check_nonneg(n, v)
    if weight is not None and weight <= 0:
        raise ValueError(f"weight_kg: {weight!r} is not positive")
    if gi_table not in ("auto", "adult", "child"):
        raise ValueError(f"gi_table: {gi_table!r} is not 'auto', 'adult' or 'child'")
    measured = any(v is not None for v in (ml_day, episodes, ml_kg))
    given = {"stool_ml_per_day": ml_day, "stool_episodes_per_day": episodes, "stool_ml_per_kg_per_day": ml_kg,
             "weight_kg": weight, "severe_abdominal_pain": pain, "grossly_bloody_stool": bloody,
             _DIARRHEA: _MEASURED if measured else None}
    given, assumed = _assume_normal(given, {_DIARRHEA: 0, "severe_abdominal_pain": False,
                                            "grossly_bloody_stool": False}, assume)
    cands = {"weight_kg": _weight_candidates(min_kg), "severe_abdominal_pain": (False, True),
             "grossly_bloody_stool": (False, True), _DIARRHEA: (0, 1, 2, 3)}
    flags = list(assumed)
    if gi_table != "auto":
        flags.append(f"gi_table={gi_table}")
    if ileus:
        flags.append("ileus recorded (stage 4 needs severe abdominal pain)")
    if biopsy and measured:
        flags.append("positive colon/rectal biopsy does not raise the stage (PDQ footnote)")
    fn = lambda **kw: _lower_gi_exact(**kw, gi_table=gi_table, min_kg=min_kg, inclusive=inclusive)  # noqa: E731
    values, detail, relevant = _enumerate(fn, given, cands)
    return _organ_from_enum(values, detail, relevant, {_DIARRHEA: _DIARRHEA_LABEL[MAGIC]}, extra_flags=flags)


def _weight_candidates(min_kg: float) -> tuple:
    """Weights tried when ``weight_kg`` is missing: an adult first (the explanation text follows the first
    combination tried), then children down to 2 kg (mL/day -> mL/kg/day)."""
    return (round(min_kg * 1.5, 3), min_kg, round(min_kg * 0.99, 3), 35.0, 20.0, 10.0, 5.0, 2.0)


def lower_gi_stage(stool_ml_per_day: float | None = None, stool_episodes_per_day: float | None = None,
                   stool_ml_per_kg_per_day: float | None = None, weight_kg: float | None = None, *,
                   severe_abdominal_pain: bool | None = None, grossly_bloody_stool: bool | None = None,
                   ileus: bool | None = None, lower_gi_biopsy_positive: bool | None = None, gi_table: str = "auto",
                   gi_adult_min_weight_kg: float = 50.0, gi_adult_weight_inclusive: bool = True,
                   assume_missing_normal: bool = False) -> Result:
    """MAGIC-2016 lower-GI stage 0-4 (Harris 2016, adult/child table via NCI PDQ Table 4).

    =====  ==================================  =======================================
    stage  adult (>= 50 kg): mL/day or ep/day  child (< 50 kg): mL/kg/day or ep/day
    =====  ==================================  =======================================
    0      < 500 mL **and** < 3 ep             < 10 mL/kg and < 4 ep
    1      500-999 mL or 3-4 ep                10-19.9 mL/kg or 4-6 ep
    2      1000-1500 mL or 5-7 ep              20-30 mL/kg or 7-10 ep
    3      > 1500 mL or > 7 ep                 > 30 mL/kg or > 10 ep
    4      severe abdominal pain with or without ileus, or grossly bloody stool, whatever the volume
    =====  ==================================  =======================================

    The stage is the higher of the volume-based and episode-based stages; either measure alone is enough (one
    recorded measure is not "missing" the other). Episode edges for non-integer averages: < 3, < 5, <= 7, > 7
    (adult) and < 4, < 7, <= 10, > 10 (child). A positive colon/rectal biopsy with stool < 500 mL/day
    (< 10 mL/kg/day) stays stage 0 (PDQ footnote). Severe abdominal pain means opioids needed (new or increased)
    and a material fall in performance status. Ileus alone does not make stage 4. The table is picked by
    ``weight_kg`` (adult at >= ``gi_adult_min_weight_kg``, or > with ``gi_adult_weight_inclusive=False``), or
    forced by ``gi_table``; mL/day and mL/kg/day are converted through the weight when needed. See
    :func:`magic_daily_stool_ml` and :func:`magic_staging_stool_ml` for the MAGIC data-capture rules.
    """
    organ = _lower_gi(stool_ml_per_day, stool_episodes_per_day, stool_ml_per_kg_per_day, weight_kg,
                      severe_abdominal_pain, grossly_bloody_stool, gi_table, gi_adult_min_weight_kg,
                      gi_adult_weight_inclusive, assume_missing_normal, ileus, lower_gi_biopsy_positive)
    inputs = {"stool_ml_per_day": stool_ml_per_day, "stool_episodes_per_day": stool_episodes_per_day,
              "stool_ml_per_kg_per_day": stool_ml_per_kg_per_day, "weight_kg": weight_kg,
              "severe_abdominal_pain": severe_abdominal_pain, "grossly_bloody_stool": grossly_bloody_stool,
              "ileus": ileus, "lower_gi_biopsy_positive": lower_gi_biopsy_positive}
    return _result(organ, MAGIC, inputs, "lower_gi_stage")


def _upper_gi_exact(persistent_nausea_vomiting_anorexia, upper_gi_biopsy_positive, *, requires_biopsy):
    if persistent_nausea_vomiting_anorexia and (not requires_biopsy or upper_gi_biopsy_positive):
        extra = " with positive upper-GI biopsy" if requires_biopsy else ""
        return 1, [f"upper GI stage 1: persistent nausea, vomiting or anorexia{extra}"], []
    return 0, ["upper GI stage 0: no persistent nausea, vomiting or anorexia"
               if not persistent_nausea_vomiting_anorexia else "upper GI stage 0: no positive upper-GI biopsy"], []


def _upper_gi(nva, biopsy, requires_biopsy, assume) -> _Organ:
    given = {"persistent_nausea_vomiting_anorexia": nva,
             "upper_gi_biopsy_positive": biopsy if requires_biopsy else False}
    given, assumed = _assume_normal(given, {"persistent_nausea_vomiting_anorexia": False,
                                            "upper_gi_biopsy_positive": False}, assume)
    cands = {"persistent_nausea_vomiting_anorexia": (False, True), "upper_gi_biopsy_positive": (False, True)}
    fn = lambda **kw: _upper_gi_exact(**kw, requires_biopsy=requires_biopsy)  # noqa: E731
    values, detail, relevant = _enumerate(fn, given, cands)
    flags = assumed + (["magic_upper_gi_requires_biopsy"] if requires_biopsy else [])
    return _organ_from_enum(values, detail, relevant, extra_flags=flags)


def upper_gi_stage(persistent_nausea_vomiting_anorexia: bool | None = None, *,
                   upper_gi_biopsy_positive: bool | None = None, magic_upper_gi_requires_biopsy: bool = False,
                   assume_missing_normal: bool = False) -> Result:
    """MAGIC-2016 upper-GI stage: 0 (none, or intermittent nausea/vomiting/anorexia) or 1 (persistent).

    Persistent means meeting the MAGIC threshold (ASH 2015): anorexia with weight loss, nausea, and/or vomiting
    >= 2 episodes/day, lasting >= 3 days. MAGIC needs no biopsy; ``magic_upper_gi_requires_biopsy=True``
    reproduces the COG/PDQ table, which asks for a positive upper-GI biopsy.
    """
    organ = _upper_gi(persistent_nausea_vomiting_anorexia, upper_gi_biopsy_positive, magic_upper_gi_requires_biopsy,
                      assume_missing_normal)
    inputs = {"persistent_nausea_vomiting_anorexia": persistent_nausea_vomiting_anorexia,
              "upper_gi_biopsy_positive": upper_gi_biopsy_positive}
    return _result(organ, MAGIC, inputs, "upper_gi_stage")


def _gut_exact(stool_ml_per_day, stool_ml_per_kg_per_day, weight_kg, severe_abdominal_pain,
               persistent_nausea_vomiting_anorexia, upper_gi_biopsy_positive, other_cause_diarrhea, _diarrhea, *,
               strict, downgrade, child_gi, gi_table, min_kg, inclusive):
    met = []
    if _diarrhea != _MEASURED:
        d = _diarrhea
    else:
        adult = child_gi == "adult" or _is_adult(weight_kg, gi_table, min_kg, inclusive)
        ml_day, ml_kg = _volumes(stool_ml_per_day, stool_ml_per_kg_per_day, weight_kg)
        if adult:
            d = _keystone_volume(ml_day, strict)
            band = _KEYSTONE_STRICT_BAND[d] if strict else _MAGIC_BANDS["adult_ml"][d]
            met.append(f"diarrhea {ml_day:g} mL/day ({band}) -> gut stage {d}")
        else:
            d = _magic_child_ml_kg(ml_kg)
            met.append(f"diarrhea {ml_kg:g} mL/kg/day ({_MAGIC_BANDS['child_ml'][d]}, child mL/kg bands) "
                       f"-> gut stage {d}")
        if downgrade and d > 0 and other_cause_diarrhea:
            d -= 1
            met.append(f"diarrhea stage downgraded to {d} for another documented cause (1994 footnote)")
    stage, why = d, None
    if persistent_nausea_vomiting_anorexia and upper_gi_biopsy_positive and stage < 1:
        stage, why = 1, "gut stage 1: persistent nausea with histological GVHD of stomach/duodenum"
    if severe_abdominal_pain:
        stage, why = 4, "gut stage 4: severe abdominal pain with or without ileus"
    if why:
        met.append(why)
    elif not met:
        met.append(f"gut stage {stage}")
    return stage, met, []


def _gut(ml_day, episodes, ml_kg, weight, pain, nva, biopsy, other_cause, bloody, strict, downgrade, child_gi,
         gi_table, min_kg, inclusive, assume) -> _Organ:
    for n, v in (("stool_ml_per_day", ml_day), ("stool_episodes_per_day", episodes),
                 ("stool_ml_per_kg_per_day", ml_kg)):
        _check_nonneg(n, v)
    if weight is not None and weight <= 0:
        raise ValueError(f"weight_kg: {weight!r} is not positive")
    if child_gi not in ("ml_per_kg", "adult"):
        raise ValueError(f"keystone_child_gi: {child_gi!r} is not 'ml_per_kg' or 'adult'")
    if gi_table not in ("auto", "adult", "child"):
        raise ValueError(f"gi_table: {gi_table!r} is not 'auto', 'adult' or 'child'")
    measured = ml_day is not None or ml_kg is not None
    given = {"stool_ml_per_day": ml_day, "stool_ml_per_kg_per_day": ml_kg, "weight_kg": weight,
             "severe_abdominal_pain": pain, "persistent_nausea_vomiting_anorexia": nva,
             "upper_gi_biopsy_positive": biopsy, "other_cause_diarrhea": other_cause if downgrade else False,
             _DIARRHEA: _MEASURED if measured else None}
    if nva is False:
        given["upper_gi_biopsy_positive"] = False  # histology matters only with persistent nausea
    given, assumed = _assume_normal(given, {_DIARRHEA: 0, "severe_abdominal_pain": False,
                                            "persistent_nausea_vomiting_anorexia": False,
                                            "upper_gi_biopsy_positive": False, "other_cause_diarrhea": False},
                                    assume)
    cands = {"weight_kg": _weight_candidates(min_kg), "severe_abdominal_pain": (False, True),
             "persistent_nausea_vomiting_anorexia": (False, True), "upper_gi_biopsy_positive": (False, True),
             "other_cause_diarrhea": (False, True), _DIARRHEA: (0, 1, 2, 3)}
    flags = list(assumed)
    if strict:
        flags.append("keystone_strict_gt")
    if downgrade:
        flags.append("keystone_downgrade_other_cause")
    if episodes is not None:
        flags.append("stool_episodes_per_day not used by Keystone-1994")
    if bloody:
        flags.append("grossly bloody stool is not a Keystone-1994 stage-4 criterion")
    if nva and biopsy is False:
        flags.append("persistent nausea without upper-GI histology is not staged under Keystone-1994")
    fn = lambda **kw: _gut_exact(**kw, strict=strict, downgrade=downgrade, child_gi=child_gi,  # noqa: E731
                                 gi_table=gi_table, min_kg=min_kg, inclusive=inclusive)
    values, detail, relevant = _enumerate(fn, given, cands)
    if measured and child_gi == "ml_per_kg" and (gi_table == "child" or (
            gi_table == "auto" and weight is not None and not _is_adult(weight, "auto", min_kg, inclusive))):
        flags.append("Keystone child diarrhea staged with the MAGIC/COG mL/kg bands (1995 text: scale to BSA)")
    return _organ_from_enum(values, detail, relevant, {_DIARRHEA: _DIARRHEA_LABEL[KEYSTONE]}, extra_flags=flags)


def gut_stage(stool_ml_per_day: float | None = None, stool_ml_per_kg_per_day: float | None = None,
              weight_kg: float | None = None, *, severe_abdominal_pain: bool | None = None,
              persistent_nausea_vomiting_anorexia: bool | None = None, upper_gi_biopsy_positive: bool | None = None,
              other_cause_diarrhea: bool | None = None, stool_episodes_per_day: float | None = None,
              grossly_bloody_stool: bool | None = None, ileus: bool | None = None,
              keystone_strict_gt: bool = False, keystone_downgrade_other_cause: bool = False,
              keystone_child_gi: str = "ml_per_kg", gi_table: str = "auto", gi_adult_min_weight_kg: float = 50.0,
              gi_adult_weight_inclusive: bool = True, assume_missing_normal: bool = False) -> Result:
    """Keystone-1994 gut stage 0-4: one GI organ (Przepiorka 1995, spec 1.3).

    =====  ========================================================  =============================
    stage  1994 text                                                 default edges (MAGIC-style)
    =====  ========================================================  =============================
    1      diarrhea > 500 mL/day, **or** persistent nausea with      500 <= v < 1000
           histological GVHD in stomach or duodenum (1994 addition)
    2      diarrhea > 1000 mL/day                                    1000 <= v <= 1500
    3      diarrhea > 1500 mL/day                                    v > 1500
    4      severe abdominal pain with or without ileus               same
    =====  ========================================================  =============================

    ``keystone_strict_gt=True`` uses the literal ">" edges (500 -> 0, 1000 -> 1, 1500 -> 2). Persistent nausea
    counts only with ``upper_gi_biopsy_positive`` true. Episode counts and grossly bloody stool are not Keystone
    criteria (they are recorded as flags). ``keystone_downgrade_other_cause=True`` lowers the diarrhea stage by one
    when ``other_cause_diarrhea`` is documented (1994 footnote; applied to the volume stage, not to the pain or
    histology criteria). Children (< 50 kg): the 1995 text scales volume to body-surface area without numbers;
    ``keystone_child_gi="ml_per_kg"`` (default) uses the MAGIC/COG child bands, ``"adult"`` the adult volumes.
    """
    organ = _gut(stool_ml_per_day, stool_episodes_per_day, stool_ml_per_kg_per_day, weight_kg, severe_abdominal_pain,
                 persistent_nausea_vomiting_anorexia, upper_gi_biopsy_positive, other_cause_diarrhea,
                 grossly_bloody_stool, keystone_strict_gt, keystone_downgrade_other_cause, keystone_child_gi, gi_table,
                 gi_adult_min_weight_kg, gi_adult_weight_inclusive, assume_missing_normal)
    inputs = {"stool_ml_per_day": stool_ml_per_day, "stool_ml_per_kg_per_day": stool_ml_per_kg_per_day,
              "weight_kg": weight_kg, "severe_abdominal_pain": severe_abdominal_pain, "ileus": ileus,
              "persistent_nausea_vomiting_anorexia": persistent_nausea_vomiting_anorexia,
              "upper_gi_biopsy_positive": upper_gi_biopsy_positive, "other_cause_diarrhea": other_cause_diarrhea,
              "stool_episodes_per_day": stool_episodes_per_day, "grossly_bloody_stool": grossly_bloody_stool}
    return _result(organ, KEYSTONE, inputs, "gut_stage")


# ---- overall grade --------------------------------------------------------------------------------------------
def _grade_keystone(skin, liver, gut):
    if skin == 4 or liver == 4:
        return 4, "grade IV: skin stage 4 or liver stage 4"
    if liver in (2, 3) or gut >= 2:
        return 3, "grade III: liver stage 2-3 or gut stage 2-4"
    if skin == 3 or liver == 1 or gut == 1:
        return 2, "grade II: skin stage 3, liver stage 1 or gut stage 1"
    if skin in (1, 2):
        return 1, "grade I: skin stage 1-2 without liver or gut involvement"
    return 0, "grade 0: no organ staged"


def _grade_magic(skin, liver, upper_gi, lower_gi):
    if skin == 4 or liver == 4 or lower_gi == 4:
        return 4, "grade IV: skin, liver or lower GI stage 4"
    if liver in (2, 3) or lower_gi in (2, 3):
        return 3, "grade III: liver stage 2-3 or lower GI stage 2-3"
    if skin == 3 or liver == 1 or upper_gi == 1 or lower_gi == 1:
        return 2, "grade II: skin stage 3, liver stage 1, upper GI stage 1 or lower GI stage 1"
    if skin in (1, 2):
        return 1, "grade I: skin stage 1-2 alone"
    return 0, "grade 0: no organ staged"


def overall_grade(*, ruleset: str = KEYSTONE, skin: int, liver: int, gut: int | None = None,
                  upper_gi: int | None = None, lower_gi: int | None = None) -> int:
    """The overall grade 0-4 from complete organ stages (spec 1.4; first match wins).

    ``Keystone-1994``: IV if skin 4 or liver 4; III if liver 2-3 or gut 2-4; II if skin 3, liver 1 or gut 1;
    I if skin 1-2; else 0. ``MAGIC-2016``: IV if skin 4, liver 4 or lower GI 4; III if liver 2-3 or lower GI
    2-3; II if skin 3, liver 1, upper GI 1 or lower GI 1; I if skin 1-2; else 0.
    """
    _check_ruleset(ruleset)
    if ruleset == KEYSTONE:
        return _grade_keystone(skin, liver, gut)[0]
    return _grade_magic(skin, liver, upper_gi, lower_gi)[0]


_ORGAN_RANGE = {"skin": range(5), "liver": range(5), "gut": range(5), "lower_gi": range(5), "upper_gi": range(2)}


def _given_stage(name: str, stage) -> _Organ:
    if isinstance(stage, bool) or int(stage) != stage or int(stage) not in _ORGAN_RANGE[name]:
        raise ValueError(f"{name}: stage {stage!r} is not in {list(_ORGAN_RANGE[name])}")
    return _Organ({int(stage)}, (f"{name} stage {int(stage)} (given)",))


def _parse_grade(g) -> int:
    if isinstance(g, str):
        s = g.strip().upper()
        table = {"0": 0, "I": 1, "II": 2, "III": 3, "IV": 4, "1": 1, "2": 2, "3": 3, "4": 4}
        if s not in table:
            raise ValueError(f"recorded_grade: {g!r} is not a grade 0-IV")
        return table[s]
    if isinstance(g, bool) or int(g) != g or not 0 <= int(g) <= 4:
        raise ValueError(f"recorded_grade: {g!r} is not a grade 0-4")
    return int(g)


def agvhd_grade(*, ruleset: str = KEYSTONE,
                skin: int | None = None, liver: int | None = None, gut: int | None = None,
                upper_gi: int | None = None, lower_gi: int | None = None,
                rash_bsa_pct: float | None = None, generalized_erythroderma: bool | None = None,
                bullae_desquamation_bsa_pct: float | None = None,
                bilirubin_mg_dl: float | None = None, other_cause_hyperbilirubinemia: bool | None = None,
                liver_gvhd_attributed: bool | None = True,
                stool_ml_per_day: float | None = None, stool_episodes_per_day: float | None = None,
                stool_ml_per_kg_per_day: float | None = None, weight_kg: float | None = None,
                severe_abdominal_pain: bool | None = None, ileus: bool | None = None,
                grossly_bloody_stool: bool | None = None, persistent_nausea_vomiting_anorexia: bool | None = None,
                upper_gi_biopsy_positive: bool | None = None, other_cause_diarrhea: bool | None = None,
                lower_gi_biopsy_positive: bool | None = None,
                recorded_grade: int | str | None = None,
                keystone_strict_gt: bool = False, keystone_downgrade_other_cause: bool = False,
                keystone_child_gi: str = "ml_per_kg", gi_table: str = "auto", gi_adult_min_weight_kg: float = 50.0,
                gi_adult_weight_inclusive: bool = True, magic_bullae_bsa_gt: float = 5.0,
                erythroderma_bsa_gt: float = 50.0, magic_upper_gi_requires_biopsy: bool = False,
                assume_missing_normal: bool = False) -> Result:
    """Overall acute GVHD grade 0-4 (value is an int; Roman numerals only in the explanation).

    Each organ is taken from its stage when given (``skin``, ``liver``, and ``gut`` under Keystone-1994 or
    ``upper_gi``/``lower_gi`` under MAGIC-2016), otherwise staged from the raw inputs of spec 1.1 with
    :func:`skin_stage`, :func:`liver_stage`, :func:`gut_stage` or :func:`upper_gi_stage`/:func:`lower_gi_stage`.
    An organ with neither is missing. Grades (spec 1.4; first match wins):

    =====  ======================================  ===============================================
    grade  Keystone-1994 (one gut organ)           MAGIC-2016 (upper and lower GI separate)
    =====  ======================================  ===============================================
    IV     skin 4 or liver 4                       skin 4, liver 4 or lower GI 4
    III    liver 2-3 or gut 2-4                    liver 2-3 or lower GI 2-3
    II     skin 3, liver 1 or gut 1                skin 3, liver 1, upper GI 1 or lower GI 1
    I      skin 1-2                                skin 1-2
    0      otherwise                               otherwise
    =====  ======================================  ===============================================

    So lower-GI stage 4 is grade IV under MAGIC but III under Keystone. Every missing organ or input is tried at all
    of its possible stages: when that changes the grade the value is None and the inputs that matter are listed;
    when it cannot (e.g. skin 4 makes grade IV whatever the gut), the grade stands and the undetermined organ is
    flagged. ``recorded_grade`` (a grade the source recorded, 0-4 or "0".."IV") wins over the computed one
    (study-definition 2.9, items I4/I18); the computed grade is kept in ``inputs`` and a disagreement is flagged.
    The boundary parameters are those of the organ functions (module docstring).
    """
    _check_ruleset(ruleset)
    if ruleset == KEYSTONE and (upper_gi is not None or lower_gi is not None):
        raise ValueError("Keystone-1994 stages one gut organ: pass gut=, not upper_gi=/lower_gi=")
    if ruleset == MAGIC and gut is not None:
        raise ValueError("MAGIC-2016 stages upper and lower GI separately: pass upper_gi=/lower_gi=, not gut=")

    organs: dict[str, _Organ] = {}
    flags: list[str] = []

    def missing_organ(name):
        if assume_missing_normal:
            flags.append(f"assumed normal: {name} stage")
            return _Organ({0}, (f"{name} stage 0 (assumed)",))
        return _Organ(set(_ORGAN_RANGE[name]), (), (f"{name}_stage",))

    # skin
    if skin is not None:
        organs["skin"] = _given_stage("skin", skin)
    elif any(v is not None for v in (rash_bsa_pct, generalized_erythroderma, bullae_desquamation_bsa_pct)):
        organs["skin"] = _skin(rash_bsa_pct, generalized_erythroderma, bullae_desquamation_bsa_pct, ruleset,
                               magic_bullae_bsa_gt, erythroderma_bsa_gt, assume_missing_normal)
    else:
        organs["skin"] = missing_organ("skin")
    # liver
    if liver is not None:
        organs["liver"] = _given_stage("liver", liver)
    elif bilirubin_mg_dl is not None or other_cause_hyperbilirubinemia is not None or liver_gvhd_attributed is False:
        organs["liver"] = _liver(bilirubin_mg_dl, other_cause_hyperbilirubinemia, liver_gvhd_attributed, ruleset,
                                 keystone_downgrade_other_cause, assume_missing_normal)
    else:
        organs["liver"] = missing_organ("liver")
        if keystone_downgrade_other_cause and ruleset == MAGIC:
            flags.append("keystone_downgrade_other_cause ignored: MAGIC-2016 makes no other-cause downgrade")
    # GI
    if ruleset == KEYSTONE:
        raw = (stool_ml_per_day, stool_ml_per_kg_per_day, stool_episodes_per_day, severe_abdominal_pain,
               persistent_nausea_vomiting_anorexia, upper_gi_biopsy_positive, other_cause_diarrhea,
               grossly_bloody_stool)
        if gut is not None:
            organs["gut"] = _given_stage("gut", gut)
        elif any(v is not None for v in raw):
            organs["gut"] = _gut(stool_ml_per_day, stool_episodes_per_day, stool_ml_per_kg_per_day, weight_kg,
                                 severe_abdominal_pain, persistent_nausea_vomiting_anorexia, upper_gi_biopsy_positive,
                                 other_cause_diarrhea, grossly_bloody_stool, keystone_strict_gt,
                                 keystone_downgrade_other_cause, keystone_child_gi, gi_table, gi_adult_min_weight_kg,
                                 gi_adult_weight_inclusive, assume_missing_normal)
        else:
            organs["gut"] = missing_organ("gut")
    else:
        if upper_gi is not None:
            organs["upper_gi"] = _given_stage("upper_gi", upper_gi)
        elif persistent_nausea_vomiting_anorexia is not None or upper_gi_biopsy_positive is not None:
            organs["upper_gi"] = _upper_gi(persistent_nausea_vomiting_anorexia, upper_gi_biopsy_positive,
                                           magic_upper_gi_requires_biopsy, assume_missing_normal)
        else:
            organs["upper_gi"] = missing_organ("upper_gi")
        raw = (stool_ml_per_day, stool_episodes_per_day, stool_ml_per_kg_per_day, severe_abdominal_pain,
               grossly_bloody_stool)
        if lower_gi is not None:
            organs["lower_gi"] = _given_stage("lower_gi", lower_gi)
        elif any(v is not None for v in raw):
            organs["lower_gi"] = _lower_gi(stool_ml_per_day, stool_episodes_per_day, stool_ml_per_kg_per_day,
                                           weight_kg, severe_abdominal_pain, grossly_bloody_stool, gi_table,
                                           gi_adult_min_weight_kg, gi_adult_weight_inclusive, assume_missing_normal,
                                           ileus, lower_gi_biopsy_positive)
        else:
            organs["lower_gi"] = missing_organ("lower_gi")

    grade_fn = _grade_keystone if ruleset == KEYSTONE else _grade_magic
    names = list(organs)
    given = {n: None if organs[n].value is None else organs[n].value for n in names}
    cands = {n: tuple(sorted(organs[n].values)) for n in names}

    def fn(**stages):
        g, why = grade_fn(**stages)
        return g, [why], []

    values, detail, relevant = _enumerate(fn, given, cands)
    grade = next(iter(values)) if len(values) == 1 else None

    met: list[str] = []
    missing: list[str] = []
    for n in names:
        o = organs[n]
        flags.extend(f for f in o.flags if f not in flags)
        if o.value is not None:
            met.extend(o.met)
        elif n in relevant:
            missing.extend(m for m in o.missing if m not in missing)
        else:
            flags.append(f"{n} stage undetermined ({min(o.values)}-{max(o.values)}) but cannot change the grade")
    if grade is not None:
        met.extend(detail[grade][0])
    else:
        flags.append("possible grades: " + ", ".join(ROMAN[g] for g in sorted(values)))

    inputs = {"rash_bsa_pct": rash_bsa_pct, "generalized_erythroderma": generalized_erythroderma,
              "bullae_desquamation_bsa_pct": bullae_desquamation_bsa_pct, "bilirubin_mg_dl": bilirubin_mg_dl,
              "other_cause_hyperbilirubinemia": other_cause_hyperbilirubinemia,
              "liver_gvhd_attributed": liver_gvhd_attributed if liver_gvhd_attributed is not True else None,
              "stool_ml_per_day": stool_ml_per_day, "stool_episodes_per_day": stool_episodes_per_day,
              "stool_ml_per_kg_per_day": stool_ml_per_kg_per_day, "weight_kg": weight_kg,
              "severe_abdominal_pain": severe_abdominal_pain, "ileus": ileus,
              "grossly_bloody_stool": grossly_bloody_stool,
              "persistent_nausea_vomiting_anorexia": persistent_nausea_vomiting_anorexia,
              "upper_gi_biopsy_positive": upper_gi_biopsy_positive, "other_cause_diarrhea": other_cause_diarrhea,
              "lower_gi_biopsy_positive": lower_gi_biopsy_positive}
    for n in names:
        inputs[f"{n}_stage"] = organs[n].value
    version = RULESET_VERSION[ruleset]
    if recorded_grade is not None:
        rec = _parse_grade(recorded_grade)
        inputs["computed_grade"] = grade
        inputs["recorded_grade"] = rec
        if grade is not None and grade != rec:
            flags.append(f"recorded grade {ROMAN[rec]} differs from computed grade {ROMAN[grade]}")
        met = [f"recorded overall grade {ROMAN[rec]} (wins over organ stages; study-definition 2.9)"] + met
        return Result(rec, ruleset, version + "; recorded", tuple(met), (), inputs, tuple(flags), "agvhd_grade")
    return Result(grade, ruleset, version, tuple(met), tuple(missing), inputs, tuple(flags), "agvhd_grade")


# ---- MAGIC data-capture helpers (spec 1.1) ---------------------------------------------------------------------
def magic_daily_stool_ml(*, liquid_stool_ml: float = 0.0, unquantified_liquid_episodes: int = 0,
                         mixed_stool_urine_ml: float = 0.0, weight_kg: float | None = None,
                         ml_per_episode_adult: float = 200.0, ml_per_kg_per_episode_child: float = 3.0,
                         child_weight_lt_kg: float = 50.0, mixed_stool_fraction: float = 0.5) -> float | None:
    """One day's diarrhea volume in mL under the MAGIC data-capture rules (ASH 2015 abstract; PDQ footnote).

    Pass only liquid stool (formed or mostly formed stools are excluded by the caller). Each unquantified liquid
    episode counts 200 mL (3 mL/kg for patients < 50 kg); a stool/urine mix counts 50% as stool. Returns None when
    unquantified episodes need a weight that is missing.
    """
    for n, v in (("liquid_stool_ml", liquid_stool_ml), ("unquantified_liquid_episodes", unquantified_liquid_episodes),
                 ("mixed_stool_urine_ml", mixed_stool_urine_ml)):
        _check_nonneg(n, v)
    per_episode = ml_per_episode_adult
    if unquantified_liquid_episodes:
        if weight_kg is None:
            return None
        if weight_kg < child_weight_lt_kg:
            per_episode = ml_per_kg_per_episode_child * weight_kg
    return _r(liquid_stool_ml + unquantified_liquid_episodes * per_episode
              + mixed_stool_fraction * mixed_stool_urine_ml)


def magic_staging_stool_ml(daily_ml: Sequence[float | None], *, at_onset: bool,
                           window_days: int = 3) -> float | None:
    """The volume MAGIC stages on, from daily volumes ending on the assessment day (oldest first).

    At onset: the highest daily volume of the ``window_days`` (3) days before diagnosis. Later: the 3-day average.
    None when any day of the window is missing or fewer than ``window_days`` days are given.
    """
    window = list(daily_ml)[-window_days:]
    if len(window) < window_days or any(v is None for v in window):
        return None
    return _r(max(window)) if at_onset else _r(sum(window) / window_days)


__all__ = ["KEYSTONE", "MAGIC", "RULESETS", "skin_stage", "liver_stage", "gut_stage", "lower_gi_stage",
           "upper_gi_stage", "agvhd_grade", "overall_grade", "magic_daily_stool_ml", "magic_staging_stool_ml"]
