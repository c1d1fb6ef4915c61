"""Adult ALL cytogenetic risk (clinical-criteria spec section 7).

* ``"UKALLXII/ECOG2993"``: Moorman AV et al., Blood 2007;109:3189-3197 (the classification of the MRC UKALLXII /
  ECOG E2993 trial the paper cites for its Table 1). High risk: t(9;22)/BCR::ABL1; t(4;11)/KMT2A::AFF1;
  t(8;14); complex karyotype (>= 5 abnormalities); low hypodiploidy (modal 30-39) / near-triploidy (60-78).
  Everything else is standard, including high hyperdiploidy (51-65).
* ``"NCCN-current"``: the current NCCN poor-risk list (BMJ Best Practice summary; version not verified), a
  generalisation option: Ph+ alone is standard there, the opposite of Moorman.

Values: ``"high"``, ``"standard"``, ``"ambiguous"`` (modal 60-65 without the cytogeneticist's ploidy group, when it
decides the answer), ``"unknown"`` (karyotype failed or not done and no FISH/RT-PCR finding decides it; never
standard) and None (a successful karyotype whose record lacks a needed input; listed in ``missing_inputs``).

Ploidy first: high-hyperdiploid and low-hypodiploid/near-triploid cases are never counted as complex.
The abnormality count is an input (ISCN parsing is out of scope); :func:`count_abnormalities` and
:func:`count_distinct_abnormalities` apply the counting convention (spec 7.1, VERIFY against Moorman 2007).
"""
from __future__ import annotations

from typing import Iterable

from ._logic import and3 as _and, not3 as _not, or3 as _or
from .result import Result

UKALL = "UKALLXII/ECOG2993"
NCCN_CURRENT = "NCCN-current"
CYTO_RULESETS = (UKALL, NCCN_CURRENT)
KMT2A_SCOPES = ("t4_11_only", "any_KMT2A_r")
# The spec header fixes strict Moorman for the rule set named after UKALLXII/ECOG2993; "any_KMT2A_r" is the option.
KMT2A_SCOPE_DEFAULT = "t4_11_only"
PLOIDY_GROUPS = ("near_haploid", "low_hypodiploid", "other", "high_hyperdiploid", "near_triploid")
_VERSIONS = {UKALL: "Moorman 2007 Blood 109:3189", NCCN_CURRENT: "NCCN current (BMJ Best Practice summary; VERIFY)"}
_AFF1_NAMES = ("AFF1", "AF4", "MLLT2", "T(4;11)", "T(4;11)(Q21;Q23)")

# NCCN-current molecular poor-risk lesions (not all visible on a karyotype)
_NCCN_MOLECULAR = ("tp53_mutation", "igh_r", "hlf_r", "znf384_r", "mef2d_r", "ph_like", "pax5_alteration",
                   "iamp21", "ikzf1_alteration")


def ploidy_group_from_modal(modal_number: int | None) -> str | None:
    """Automatic ploidy group (spec 7.1): 24-29 near-haploid; 30-39 low hypodiploid; 51-59 high hyperdiploid;
    66-78 near-triploid; 60-65 ``"ambiguous"`` (both HeH 51-65 and near-triploid 60-78); anything else ``"other"``
    (40-50, including 44-45 hypodiploid and 47-50 low hyperdiploid, and > 78)."""
    if modal_number is None:
        return None
    m = int(modal_number)
    if 24 <= m <= 29:
        return "near_haploid"
    if 30 <= m <= 39:
        return "low_hypodiploid"
    if 51 <= m <= 59:
        return "high_hyperdiploid"
    if 60 <= m <= 65:
        return "ambiguous"
    if 66 <= m <= 78:
        return "near_triploid"
    return "other"


def _consistent(group: str, modal: int) -> bool:
    auto = ploidy_group_from_modal(modal)
    if auto == "ambiguous":
        return group in ("high_hyperdiploid", "near_triploid")
    return auto == group


def cytogenetic_risk(ruleset: str = UKALL, *, karyotype_available: bool | None = None,
                     modal_number: int | None = None, ploidy_group: str | None = None,
                     n_abnormalities: int | None = None, ph_positive: bool | None = None,
                     kmt2a_rearranged: bool | None = None, kmt2a_partner: str | None = None,
                     t_4_11: bool | None = None, t_8_14: bool | None = None, myc_r: bool | None = None,
                     tp53_mutation: bool | None = None, igh_r: bool | None = None, hlf_r: bool | None = None,
                     znf384_r: bool | None = None, mef2d_r: bool | None = None, ph_like: bool | None = None,
                     pax5_alteration: bool | None = None, iamp21: bool | None = None,
                     ikzf1_alteration: bool | None = None, ikzf1_plus: bool | None = None,
                     antecedent_cml: bool | None = None, kmt2a_scope: str = KMT2A_SCOPE_DEFAULT,
                     complex_min: int = 5, nccn_near_triploid_high: bool = True,
                     assume_untested_absent: bool = False) -> Result:
    """Cytogenetic risk group at diagnosis (spec 7.1).

    ``UKALLXII/ECOG2993`` (Moorman 2007), hierarchy:

    1. High if Ph+ (t(9;22) on karyotype, or BCR::ABL1 by FISH/RT-PCR: ``ph_positive``, which overrides a failed
       karyotype); t(4;11)/KMT2A::AFF1 (``t_4_11``, or ``kmt2a_rearranged`` with partner AFF1); with
       ``kmt2a_scope="any_KMT2A_r"`` any KMT2A rearrangement; t(8;14).
    2. Ploidy group (``ploidy_group`` from the cytogeneticist, else from ``modal_number``): low hypodiploid (30-39)
       or near-triploid (60-78) -> high; high hyperdiploid (51-65) -> standard, never complex. Modal 60-65 without
       a ploidy group -> ``ambiguous``. Near-haploid (24-29) is not a Moorman group: flagged ``other_hypodiploid``
       and counted like any other karyotype.
    3. Complex: ``n_abnormalities >= complex_min`` (5), only outside HeH/Ho-Tr -> high.
    4. Otherwise standard. Karyotype failed / not done (``karyotype_available=False``) -> ``unknown`` unless a
       FISH/RT-PCR finding makes it high.

    ``NCCN-current``: high (poor) if hypodiploidy < 44 (modal < 44, near-haploid, low hypodiploid; near-triploid as
    masked hypodiploidy when ``nccn_near_triploid_high``), TP53 mutation, any KMT2A-r, IGH-r, HLF-r, ZNF384-r,
    MEF2D-r, MYC-r (t(8;14) included), Ph-like, PAX5 alteration, iAMP21, IKZF1 alteration, complex >= 5 (ploidy
    first), or BCR::ABL1 with IKZF1-plus or antecedent CML. Ph+ alone is standard. Standard needs every lesion
    tested negative (``assume_untested_absent=True`` reads untested molecular lesions as absent; flagged).

    With a successful karyotype, translocations it would show (t(9;22), t(4;11) and other 11q23/KMT2A, t(8;14)) are
    read as absent when not recorded (flagged ``inferred_absent_from_karyotype``).
    """
    if ruleset not in CYTO_RULESETS:
        raise ValueError(f"ruleset must be one of {CYTO_RULESETS}, got {ruleset!r}")
    if kmt2a_scope not in KMT2A_SCOPES:
        raise ValueError(f"kmt2a_scope must be one of {KMT2A_SCOPES}, got {kmt2a_scope!r}")
    if ploidy_group is not None and ploidy_group not in PLOIDY_GROUPS:
        raise ValueError(f"ploidy_group must be one of {PLOIDY_GROUPS}, got {ploidy_group!r}")
    if modal_number is not None and not 1 <= modal_number <= 200:
        raise ValueError(f"modal_number out of range: {modal_number}")
    if n_abnormalities is not None and n_abnormalities < 0:
        raise ValueError("n_abnormalities must be >= 0")
    molecular = {"tp53_mutation": tp53_mutation, "igh_r": igh_r, "hlf_r": hlf_r, "znf384_r": znf384_r,
                 "mef2d_r": mef2d_r, "ph_like": ph_like, "pax5_alteration": pax5_alteration, "iamp21": iamp21,
                 "ikzf1_alteration": ikzf1_alteration}
    inputs = {"karyotype_available": karyotype_available, "modal_number": modal_number, "ploidy_group": ploidy_group,
              "n_abnormalities": n_abnormalities, "ph_positive": ph_positive, "kmt2a_rearranged": kmt2a_rearranged,
              "kmt2a_partner": kmt2a_partner, "t_4_11": t_4_11, "t_8_14": t_8_14}
    if ruleset == NCCN_CURRENT:
        inputs.update(molecular, myc_r=myc_r, ikzf1_plus=ikzf1_plus, antecedent_cml=antecedent_cml)
    else:
        inputs["kmt2a_scope"] = kmt2a_scope
    version = _VERSIONS[ruleset]
    met: list[str] = []
    flags: list[str] = []
    missing: list[str] = []

    if karyotype_available is None and (modal_number is not None or ploidy_group is not None
                                        or n_abnormalities is not None):
        karyotype_available = True
    kary = karyotype_available is True

    # translocations: a successful karyotype shows them, so an unrecorded one is absent
    inferred = []

    def from_karyotype(name, v):
        if v is None and kary:
            inferred.append(name)
            return False
        return v

    if t_4_11 is None and kmt2a_rearranged is not None:
        if kmt2a_rearranged is False:
            t_4_11 = False
        elif kmt2a_partner:
            t_4_11 = kmt2a_partner.strip().upper() in _AFF1_NAMES
    if t_4_11 and kmt2a_rearranged is None:
        kmt2a_rearranged = True
    ph = from_karyotype("t(9;22)", ph_positive)
    kmt2a_any = from_karyotype("KMT2A-r", kmt2a_rearranged)
    t411 = t_4_11 if t_4_11 is not None else (False if kmt2a_any is False else None)
    t814 = from_karyotype("t(8;14)", t_8_14)
    if inferred:
        flags.append("inferred_absent_from_karyotype: " + ", ".join(inferred))

    # ploidy group
    group = ploidy_group
    if group is not None and modal_number is not None and not _consistent(group, modal_number):
        flags.append("ploidy_group_disagrees_with_modal_number")
    if group is None:
        group = ploidy_group_from_modal(modal_number)
        if group is not None:
            met.append(f"modal number {modal_number} -> {group}")
    else:
        met.append(f"ploidy group {group} (cytogeneticist)")
    if group == "near_haploid":
        flags.append("other_hypodiploid (near-haploid 24-29)")
    if modal_number is not None and 40 <= modal_number <= 43:
        flags.append("hypodiploid_lt44")

    def complex_state(groups_excluded):
        if not kary:
            return None
        if group is None:
            return None
        if group in groups_excluded or group == "ambiguous":
            return False
        if n_abnormalities is None:
            return None
        return n_abnormalities >= complex_min

    if ruleset == UKALL:
        kmt2a_hr = t411 if kmt2a_scope == "t4_11_only" else _or(t411, kmt2a_any)
        if kmt2a_scope == "t4_11_only" and kmt2a_any and t411 is False:
            flags.append("KMT2A-r other than t(4;11) not counted (kmt2a_scope=t4_11_only)")
        for name, v in (("t(9;22)/BCR::ABL1 (Ph+)", ph), ("t(4;11)/KMT2A::AFF1" if kmt2a_scope == "t4_11_only"
                                                          else "KMT2A rearrangement", kmt2a_hr),
                        ("t(8;14)", t814)):
            if v:
                met.append(name)
        transloc = _or(ph, kmt2a_hr, t814)
        ploidy_hr = None if group in (None, "ambiguous") or not kary else group in ("low_hypodiploid",
                                                                                    "near_triploid")
        if ploidy_hr:
            met.append({"low_hypodiploid": "low hypodiploidy (30-39)",
                        "near_triploid": "near-triploidy (60-78)"}[group])
        cx = complex_state(("high_hyperdiploid", "low_hypodiploid", "near_triploid"))
        if cx:
            met.append(f"complex karyotype: {n_abnormalities} >= {complex_min} abnormalities")
        if group == "high_hyperdiploid" and kary:
            met.append("high hyperdiploidy: not counted as complex")
        high = _or(transloc, ploidy_hr, cx)
        if high:
            return Result("high", ruleset, version, tuple(met), (), inputs, tuple(flags), "cytogenetic_risk")
        if not kary:
            return _unknown(ruleset, version, met, inputs, flags, karyotype_available)
        if group == "ambiguous":
            if transloc is False:
                flags.append("modal 60-65: HeH or near-triploid; ploidy_group needed")
                return Result("ambiguous", ruleset, version, tuple(met), (), inputs, tuple(flags),
                              "cytogenetic_risk")
            missing.append("ploidy_group")
        if high is False:
            met.append("no high-risk feature: standard")
            return Result("standard", ruleset, version, tuple(met), (), inputs, tuple(flags), "cytogenetic_risk")
        if kmt2a_hr is None:
            missing.append("kmt2a_partner" if kmt2a_any else "t_4_11")
        if ph is None:
            missing.append("ph_positive")
        if t814 is None:
            missing.append("t_8_14")
        if group is None:
            missing.append("modal_number")
        elif cx is None:
            missing.append("n_abnormalities")
        return Result(None, ruleset, version, tuple(met), tuple(dict.fromkeys(missing)), inputs, tuple(flags),
                      "cytogenetic_risk")

    # ---- NCCN-current ----
    if assume_untested_absent:
        untested = [k for k, v in molecular.items() if v is None]
        untested += [k for k, v in (("ikzf1_plus", ikzf1_plus), ("antecedent_cml", antecedent_cml)) if v is None]
        if untested:
            flags.append("untested_assumed_absent: " + ", ".join(untested))
        molecular = {k: bool(v) for k, v in molecular.items()}
        ikzf1_plus, antecedent_cml = bool(ikzf1_plus), bool(antecedent_cml)
        if myc_r is None and t814 is not None:
            myc_r = t814
    myc = _or(t814, myc_r)
    hypo_groups = ("near_haploid", "low_hypodiploid") + (("near_triploid",) if nccn_near_triploid_high else ())
    if group is None or not kary:
        hypo = None
    elif group == "ambiguous":
        hypo = None if nccn_near_triploid_high else False
    else:
        hypo = group in hypo_groups or (modal_number is not None and modal_number < 44)
    ph_mod = _or(ikzf1_plus, antecedent_cml)
    ph_hr = _and(ph, ph_mod)
    cx = complex_state(("high_hyperdiploid", "low_hypodiploid", "near_triploid"))
    items = [("hypodiploidy < 44" + (" (near-triploid as masked hypodiploidy)" if group == "near_triploid" else ""),
              hypo), ("KMT2A rearrangement", kmt2a_any), ("MYC rearrangement", myc),
             ("complex karyotype >= %d" % complex_min, cx), ("BCR::ABL1 with IKZF1-plus or antecedent CML", ph_hr)]
    items += [(k, v) for k, v in molecular.items()]
    for name, v in items:
        if v:
            met.append(name)
    if ph and ph_mod is False:
        met.append("Ph+ without IKZF1-plus or antecedent CML: not poor risk")
    high = _or(*(v for _, v in items))
    if high:
        return Result("high", ruleset, version, tuple(met), (), inputs, tuple(flags), "cytogenetic_risk")
    if not kary:
        return _unknown(ruleset, version, met, inputs, flags, karyotype_available)
    if high is False:
        met.append("no poor-risk feature: standard")
        return Result("standard", ruleset, version, tuple(met), (), inputs, tuple(flags), "cytogenetic_risk")
    if group == "ambiguous" and hypo is None:
        if _or(*(v for name, v in items[1:])) is False:
            flags.append("modal 60-65: HeH or near-triploid; ploidy_group needed")
            return Result("ambiguous", ruleset, version, tuple(met), (), inputs, tuple(flags), "cytogenetic_risk")
        missing.append("ploidy_group")
    elif group is None:
        missing.append("modal_number")
    if cx is None and group not in (None, "ambiguous"):
        missing.append("n_abnormalities")
    for name, v in (("ph_positive", ph), ("kmt2a_rearranged", kmt2a_any), ("myc_r", myc)):
        if v is None:
            missing.append(name)
    if ph and ph_mod is None:
        missing += [k for k, v in (("ikzf1_plus", ikzf1_plus), ("antecedent_cml", antecedent_cml)) if v is None]
    missing += [k for k, v in molecular.items() if v is None]
    return Result(None, ruleset, version, tuple(met), tuple(dict.fromkeys(missing)), inputs, tuple(flags),
                  "cytogenetic_risk")


def _unknown(ruleset, version, met, inputs, flags, karyotype_available):
    why = "karyotype failed or not done" if karyotype_available is False else "karyotype status unknown"
    return Result("unknown", ruleset, version, tuple(met + [f"{why}; no FISH/RT-PCR finding decides it"]),
                  ("karyotype",), inputs, tuple(flags), "cytogenetic_risk")


def count_abnormalities(*, numerical_gains: int = 0, numerical_losses: int = 0, structural: int = 0,
                        markers: int = 0) -> int:
    """Abnormality count for "complex karyotype" (spec 7.1 counting convention; VERIFY against Moorman 2007):
    each numerical gain or loss 1, each structural rearrangement 1 (a balanced translocation is one; der() one),
    each marker chromosome 1. Counts are of distinct abnormalities over related subclones (see
    :func:`count_distinct_abnormalities`)."""
    parts = (numerical_gains, numerical_losses, structural, markers)
    if any(isinstance(x, bool) or not isinstance(x, int) or x < 0 for x in parts):
        raise ValueError("abnormality counts must be non-negative integers")
    return sum(parts)


def count_distinct_abnormalities(clones: Iterable[Iterable[str]]) -> int:
    """Number of distinct abnormalities over related subclones (each counted once, spec 7.1).

    ``clones`` holds one collection of abnormality labels per clone, already split by the caller (e.g.
    ``[["+4", "+10", "t(9;22)(q34;q11)"], ["+4", "+10", "t(9;22)(q34;q11)", "+der(22)t(9;22)"]]``); labels are
    compared after stripping whitespace. No ISCN parsing is done here: "+2mar" must be given as two labels.
    """
    seen: set[str] = set()
    for clone in clones:
        if isinstance(clone, str):
            raise TypeError("each clone must be a collection of labels, not a string")
        for label in clone:
            lab = str(label).strip()
            if lab:
                seen.add(lab)
    return len(seen)
