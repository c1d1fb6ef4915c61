"""Transplant definitions: conditioning intensity, HLA match category, GVHD prophylaxis, neutrophil engraftment.

Clinical-criteria spec section 8. Every dose threshold is a keyword parameter (the spec marks them VERIFY).
"""
from __future__ import annotations

from typing import Iterable, Sequence

from .result import Result

# ---- 8.1 conditioning intensity -------------------------------------------------------------------------------
_NMA_PATTERNS = (
    ("fludarabine", "cyclophosphamide"),
    ("fludarabine", "cytarabine", "idarubicin"),
    ("cladribine", "cytarabine"),
    ("tli", "atg"),
)


def conditioning_intensity(*, center_reported: str | None = None, agents: Iterable[str] = (),
                           tbi_cgy: float | None = None, tbi_fractionated: bool | None = None,
                           busulfan_mg_kg: float | None = None, busulfan_route: str = "iv",
                           melphalan_mg_m2: float | None = None, thiotepa_mg_kg: float | None = None,
                           cyclophosphamide_mg_kg: float | None = None, bu_mac_po_gt: float = 8.0,
                           mel_mac_gt: float = 140.0, thiotepa_mac_ge: float = 10.0) -> Result:
    """Conditioning intensity: "MAC", "RIC" or "NMA" (Bacigalupo et al., BBMT 2009;15:1628; Giralt et al., BBMT
    2009;15:367).

    Order (first match wins):

    1. The center's reported intensity, when given (CIBMTR practice); the derived value is kept in ``inputs``.
    2. MAC if any: TBI >= 500 cGy single fraction or >= 800 cGy fractionated; busulfan > ``bu_mac_po_gt`` mg/kg PO
       (IV doses count x 1/0.8, so > 6.4 mg/kg IV at the default 8); melphalan > ``mel_mac_gt`` mg/m2; thiotepa
       >= ``thiotepa_mac_ge`` mg/kg; cyclophosphamide with TBI >= 1200 cGy.
    3. NMA if TBI <= 200 cGy with at most fludarabine (and the low-dose cyclophosphamide of the Flu/Cy/TBI-200
       haploidentical platform, which the paper's Table 3 lists with the reduced-intensity/non-myeloablative
       regimens), or a whitelisted low-intensity pattern with no alkylator beyond it: Flu/Cy (+-ATG),
       Flu/AraC/Ida, cladribine/AraC, TLI/ATG.
    4. RIC otherwise. Without any agent or dose, the value is None.
    """
    ag = {a.strip().lower() for a in agents if a and a.strip()}
    inputs = {"center_reported": center_reported, "agents": ";".join(sorted(ag)) or None, "tbi_cgy": tbi_cgy,
              "busulfan_mg_kg": busulfan_mg_kg, "busulfan_route": busulfan_route if busulfan_mg_kg else None,
              "melphalan_mg_m2": melphalan_mg_m2, "thiotepa_mg_kg": thiotepa_mg_kg}
    derived, met = _derive_intensity(ag, tbi_cgy, tbi_fractionated, busulfan_mg_kg, busulfan_route, melphalan_mg_m2,
                                     thiotepa_mg_kg, cyclophosphamide_mg_kg, bu_mac_po_gt, mel_mac_gt,
                                     thiotepa_mac_ge)
    inputs["derived"] = derived
    if center_reported:
        value = center_reported.strip().upper()
        if value not in ("MAC", "RIC", "NMA"):
            raise ValueError(f"center_reported: {center_reported!r} is not MAC, RIC or NMA")
        flags = ("center_differs_from_derived",) if derived and derived != value else ()
        return Result(value, "Bacigalupo-2009", "center", ("center-reported intensity",), (), inputs, flags,
                      "conditioning_intensity")
    missing = () if derived else ("agents or doses",)
    return Result(derived, "Bacigalupo-2009", "2009", tuple(met), missing, inputs, (), "conditioning_intensity")


def _derive_intensity(ag, tbi, tbi_frac, bu, bu_route, mel, thio, cy, bu_gt, mel_gt, thio_ge):
    if not ag and tbi is None and bu is None and mel is None and thio is None:
        return None, []
    met = []
    if tbi is not None:
        ag = ag | {"tbi"}
        limit = 800.0 if tbi_frac else 500.0
        if tbi_frac is None:
            limit = 800.0  # unknown fractionation: the conservative (fractionated) threshold
        if tbi >= limit:
            met.append(f"TBI {tbi:g} cGy >= {limit:g}")
    if bu is not None:
        po_equiv = bu if bu_route == "po" else bu / 0.8
        if po_equiv > bu_gt:
            met.append(f"busulfan {bu:g} mg/kg {bu_route.upper()} > {bu_gt:g} mg/kg PO-equivalent")
    if mel is not None and mel > mel_gt:
        met.append(f"melphalan {mel:g} mg/m2 > {mel_gt:g}")
    if thio is not None and thio >= thio_ge:
        met.append(f"thiotepa {thio:g} mg/kg >= {thio_ge:g}")
    if tbi is not None and tbi >= 1200 and ("cyclophosphamide" in ag or cy):
        met.append("Cy/TBI >= 1200 cGy")
    if met:
        return "MAC", met
    alkylators = {"busulfan", "melphalan", "thiotepa", "treosulfan", "carmustine", "bcnu"}
    if tbi is not None and tbi <= 200 and not (ag - {"tbi", "fludarabine", "cyclophosphamide", "atg",
                                                     "alemtuzumab"}):
        return "NMA", [f"TBI {tbi:g} cGy <= 200 with at most fludarabine and cyclophosphamide"]
    for pattern in _NMA_PATTERNS:
        if set(pattern) <= ag and not (ag & alkylators) and "tbi" not in ag:
            return "NMA", [f"low-intensity pattern {'/'.join(pattern)}"]
    return "RIC", ["neither myeloablative nor non-myeloablative"]


# ---- 8.3 HLA match categories ---------------------------------------------------------------------------------
def hla_match_category(*, donor_relation: str, matched_10: int | None = None, matched_8: int | None = None,
                       dqb1_typed: bool = True, cord_match_6: int | None = None, haplotype_shared: bool = True,
                       low_resolution: bool = False) -> Result:
    """HLA match category (NMDP/CIBMTR, Dehn et al., Blood 2019;134:924). First match wins:

    ============================================  ========================
    donor                                         category
    ============================================  ========================
    cord                                          UCB (with ``match_6``)
    sibling, 10/10 (8/8 if DQB1 untyped)          MSD
    related, >= 2 mismatches at A/B/C/DRB1        haploidentical
    related, 1 mismatch                           mismatched_related
    unrelated 10/10 / 9/10 / <= 8/10              MUD_10_10 / MMUD_9_10 / MMUD_le_8_10
    ============================================  ========================

    ``matched_8`` counts A, B, C, DRB1 (of 8); ``matched_10`` adds DQB1. With DQB1 untyped only the 8/8 view is
    given (``inputs['category_8']``) and the 10/10 category of an unrelated donor is None.
    """
    rel = donor_relation.strip().lower()
    inputs = {"donor_relation": rel, "matched_10": matched_10, "matched_8": matched_8, "cord_match_6": cord_match_6}
    flags = ("low_resolution",) if low_resolution else ()
    rs = ("NMDP-2019", "2019")
    if rel == "cord":
        inputs["match_6"] = cord_match_6
        return Result("UCB", *rs, ("cord blood donor",), () if cord_match_6 is not None else ("cord_match_6",),
                      inputs, flags, "hla_match_category")
    cat8 = None
    if matched_8 is not None:
        cat8 = "8/8" if matched_8 == 8 else ("7/8" if matched_8 == 7 else "<=6/8")
    inputs["category_8"] = cat8
    if rel in ("sibling", "other_related", "related"):
        if rel == "sibling" and (matched_10 == 10 or (not dqb1_typed and matched_8 == 8)):
            return Result("MSD", *rs, ("sibling, fully matched",), (), inputs, flags, "hla_match_category")
        mism8 = None if matched_8 is None else 8 - matched_8
        mism10 = None if matched_10 is None or not dqb1_typed else 10 - matched_10
        if mism8 is None and mism10 is None:
            return Result(None, *rs, (), ("matched_8 or matched_10",), inputs, flags, "hla_match_category")
        if (mism8 is not None and mism8 >= 2) or (mism8 is None and mism10 is not None and mism10 >= 2):
            if haplotype_shared:
                return Result("haploidentical", *rs, (">= 2 mismatches in a related donor sharing a haplotype",),
                              (), inputs, flags, "hla_match_category")
        return Result("mismatched_related", *rs, ("related donor with a mismatch",), (), inputs, flags,
                      "hla_match_category")
    if rel == "unrelated":
        if not dqb1_typed or matched_10 is None:
            return Result(None, *rs, ("DQB1 untyped: only the 8/8 view",) if cat8 else (),
                          ("matched_10",), inputs, flags, "hla_match_category")
        value = "MUD_10_10" if matched_10 == 10 else ("MMUD_9_10" if matched_10 == 9 else "MMUD_le_8_10")
        return Result(value, *rs, (f"unrelated donor {matched_10}/10",), (), inputs, flags, "hla_match_category")
    raise ValueError(f"donor_relation: {donor_relation!r} is not sibling, other_related, unrelated or cord")


def hla_10_category(matched: int | None, typed: int | None) -> str | None:
    """The paper's Table 3 histocompatibility rows: '10/10', '9/10' or '<=8/10' (haploidentical and cord
    included in the last), from matched/typed allele counts; None when either is missing."""
    if matched is None or typed is None:
        return None
    mism = typed - matched
    if typed == 10 and mism == 0:
        return "10/10"
    if typed == 10 and mism == 1:
        return "9/10"
    return "<=8/10"


# ---- the paper's conditioning regimens (Table 3) ----------------------------------------------------------------
# Table 3 groups the conditioning regimens by their exact set of agents (a regimen with any further or missing agent
# is 'other'); the key names the agents, the table's row adds the intensity the paper prints beside it
REGIMEN_GROUPS = {
    "clo_bu": frozenset({"clofarabine", "busulfan"}),
    "cy_thio_tbi": frozenset({"cyclophosphamide", "thiotepa", "tbi"}),
    "flu_cy_thio_tbi": frozenset({"fludarabine", "cyclophosphamide", "thiotepa", "tbi"}),
    "clo_mel_thio": frozenset({"clofarabine", "melphalan", "thiotepa"}),
    "flu_cy_tbi": frozenset({"fludarabine", "cyclophosphamide", "tbi"}),
    "flu_mel": frozenset({"fludarabine", "melphalan"}),
}


def _agent_set(agents: str | Iterable[str] | None) -> frozenset:
    items = agents.split(";") if isinstance(agents, str) else (agents or ())
    return frozenset(a.strip() for a in items if a and a.strip())


def conditioning_group(agents: str | Iterable[str] | None) -> str | None:
    """The Table 3 regimen group of a conditioning (a ';'-list or an iterable of agent codes): the key of
    :data:`REGIMEN_GROUPS` whose agents are exactly these, 'other' for any other combination, None when no agent
    is recorded (unknown, not 'other')."""
    a = _agent_set(agents)
    if not a:
        return None
    return next((k for k, v in REGIMEN_GROUPS.items() if a == v), "other")


def conditioning_includes(agents: str | Iterable[str] | None, required: Iterable[str]) -> bool | None:
    """Whether the conditioning contains every agent of ``required`` (others may be added); None when no agent is
    recorded."""
    a = _agent_set(agents)
    return None if not a else frozenset(required) <= a


# ---- 8.4 GVHD prophylaxis ---------------------------------------------------------------------------------------
PROPHYLAXIS_ORDER = ("PTCy_based", "ex_vivo_TCD_or_CD34_selection", "CNI_MTX", "CNI_MMF", "CNI_sirolimus",
                     "CNI_alone", "other")


def gvhd_prophylaxis_category(agents: Iterable[str], *, ex_vivo_tcd: bool | None = None) -> Result:
    """Hierarchical GVHD-prophylaxis category (spec 8.4; first match wins): PTCy-based; ex vivo T-cell depletion or
    CD34 selection; CNI + methotrexate; CNI + MMF; CNI + sirolimus; CNI alone; other. In vivo T-cell depletion
    (ATG, alemtuzumab) is a separate flag, and abatacept is flagged."""
    ag = {a.strip().lower() for a in agents if a and a.strip()}
    inputs = {"agents": ";".join(sorted(ag)) or None, "ex_vivo_tcd": ex_vivo_tcd}
    if not ag and not ex_vivo_tcd:  # no agent recorded: unknown, whether or not ex vivo TCD is known to be 'no'
        return Result(None, "CIBMTR-prophylaxis", "hierarchy", (), ("agents",), inputs, (), "gvhd_prophylaxis")
    cni = bool(ag & {"tacrolimus", "cyclosporine", "cyclosporin", "csa", "tac"})
    flags = tuple(f for f, hit in (("in_vivo_tcd", bool(ag & {"atg", "alemtuzumab"})),
                                   ("abatacept", "abatacept" in ag)) if hit)
    if ag & {"ptcy", "post-transplant cyclophosphamide"}:
        value = "PTCy_based"
    elif ex_vivo_tcd or ag & {"cd34_selection", "ex_vivo_tcd"}:
        value = "ex_vivo_TCD_or_CD34_selection"
    elif cni and "methotrexate" in ag:
        value = "CNI_MTX"
    elif cni and ag & {"mmf", "mycophenolate"}:
        value = "CNI_MMF"
    elif cni and "sirolimus" in ag:
        value = "CNI_sirolimus"
    elif cni:
        value = "CNI_alone"
    else:
        value = "other"
    return Result(value, "CIBMTR-prophylaxis", "hierarchy", (value,), (), inputs, flags, "gvhd_prophylaxis")


# ---- 8.2 engraftment ---------------------------------------------------------------------------------------------
def neutrophil_engraftment_day(days: Sequence[int], anc: Sequence[float | None], *, threshold: float = 0.5,
                               run: int = 3, nadir_day: int | None = None, allow_gaps: bool = False,
                               death_day: int | None = None) -> Result:
    """Neutrophil engraftment (ASTCT consensus, Kharfan-Dabaja et al., TCT 2021;27:642): the first of ``run``
    consecutive calendar days with ANC >= ``threshold`` x10^9/L after the nadir. A day without a count breaks the
    run unless ``allow_gaps``; counts on or before ``nadir_day`` do not count. Death before meeting it: not
    engrafted (value None with criteria 'died before engraftment')."""
    pairs = sorted((int(d), a) for d, a in zip(days, anc))
    inputs = {"n_counts": len(pairs), "threshold": threshold, "nadir_day": nadir_day}
    start, count, prev = None, 0, None
    for d, a in pairs:
        if nadir_day is not None and d <= nadir_day:
            continue
        if a is None:
            if not allow_gaps:
                start, count = None, 0
            prev = d
            continue
        gap_break = prev is not None and d - prev > 1 and not allow_gaps
        if gap_break:
            start, count = None, 0
        if a >= threshold:
            if count == 0:
                start = d
            count += 1
            if count >= run:
                return Result(start, "ASTCT-2021", "2021", (f"ANC >= {threshold:g} on {run} consecutive days from day "
                                                            f"{start}",), (), inputs, (), "neutrophil_engraftment")
        else:
            start, count = None, 0
        prev = d
    if death_day is not None:
        return Result(None, "ASTCT-2021", "2021", ("died before engraftment",), (), inputs, ("not_engrafted",),
                      "neutrophil_engraftment")
    return Result(None, "ASTCT-2021", "2021", (), ("further ANC counts",), inputs, ("not_engrafted_yet",),
                  "neutrophil_engraftment")
