"""ALL response and disease-status definitions (clinical-criteria spec section 5).

Three hematologic-response rule sets:

* ``"paper-2022"``: the study's own rule (Wudhikarn et al., Blood Adv 2022;6(5):1432, Methods): CR = marrow
  lymphoblasts < 5%, no circulating blasts and no extramedullary disease, with or without count recovery, so CR,
  CRh and CRi are pooled. Values ``"CR"`` or ``"no_response"``. The paper preset's rule set
  (study-definition 2.3).
* ``"NCCN/INO-VATE"``: NCCN ALL guideline and INO-VATE (Kantarjian NEJM 2016;375:740). CR / CRi / other.
* ``"Blinatumomab/TOWER"``: MT103-211 and TOWER (Kantarjian NEJM 2017;376:836). CR / CRh / CRi / BFHBM / other.

Plus MRD status (5.3), CNS status, relapse type and site, progressive disease and mAb refractoriness (5.4).
Every function is pure and returns a :class:`Result`; a missing input that could change the answer gives None.
"""
from __future__ import annotations

from itertools import product

from ._logic import and3 as _and, not3 as _not, or3 as _or
from .result import Result

PAPER = "paper-2022"
NCCN = "NCCN/INO-VATE"
TOWER = "Blinatumomab/TOWER"

# blast cut-off inclusive?  native count comparison strict (>)?  version label
_RULESETS = {
    PAPER: dict(blast_inclusive=False, strict_gt=False,
                version="Wudhikarn 2022 Blood Adv 6:1432 Methods"),
    NCCN: dict(blast_inclusive=False, strict_gt=False,
               version="NCCN ALL (version VERIFY); INO-VATE NEJM 2016;375:740"),
    TOWER: dict(blast_inclusive=True, strict_gt=True, version="TOWER NEJM 2017;376:836"),
}
RESPONSE_RULESETS = tuple(_RULESETS)
RESPONSE_ANY = ("CR", "CRh", "CRi")
CNS_STATUSES = ("CNS1", "CNS2", "CNS3", "unknown")
MRD_METHODS = ("flow", "pcr", "ngs")
RELAPSE_SITES = ("BM_isolated", "EMD_isolated", "CNS_isolated", "combined", "MRD_only")


def _cmp(x, t, strict):
    if x is None:
        return None
    return x > t if strict else x >= t


def _norm_cns(s) -> str | None:
    if isinstance(s, Result):
        s = s.value
    if s is None:
        return None
    u = str(s).strip().upper()
    if u in ("CNS1", "CNS2", "CNS3"):
        return u
    if u == "UNKNOWN":
        return "unknown"
    raise ValueError(f"cns_status must be one of {CNS_STATUSES}, got {s!r}")


def _fmt_thr(t: float) -> str:
    m, e = f"{t:.0e}".split("e")
    return f"{m}e{int(e)}"


# ---- 5.2 hematologic response -----------------------------------------------------------------------------------
def hematologic_response(bm_blast_pct: float | None = None, *, pb_blasts: bool | None = None,
                         anc_e9_l: float | None = None, plt_e9_l: float | None = None,
                         emd_present: bool | None = None, cns_status: str | None = None,
                         ruleset: str = PAPER, strict_gt: bool | None = None, blast_cutoff_pct: float = 5.0,
                         blast_cutoff_inclusive: bool | None = None, require_durable_4wk: bool = False,
                         durable_4wk: bool | None = None, bm_blast_source: str = "morphology",
                         transfusion_independent: bool | None = None,
                         cns_disease_statuses: tuple[str, ...] = ("CNS2", "CNS3"),
                         assume_normal_if_missing: bool = False) -> Result:
    """Hematologic response at one assessment (spec 5.2; study-definition 2.3).

    Morphologic remission (MR) = no circulating blasts (``pb_blasts`` False), no extramedullary disease
    (``emd_present`` False; CNS status in ``cns_disease_statuses`` also counts as disease) and marrow blasts under
    the cut-off: < 5% for ``paper-2022`` and ``NCCN/INO-VATE``, <= 5% for ``Blinatumomab/TOWER``
    (``blast_cutoff_inclusive`` overrides).

    * ``paper-2022`` (the paper's Methods): MR -> ``"CR"`` whatever the counts (CR, CRh and CRi pooled); else
      ``"no_response"``.
    * ``NCCN/INO-VATE``: CR = MR with ANC >= 1.0 and PLT >= 100 x10^9/L (NCCN writes > 1000/uL and > 100,000/uL:
      ``strict_gt=True``); CRi = MR with ANC or PLT below that; CRh not defined; else ``"other"``.
    * ``Blinatumomab/TOWER``: CR = MR with ANC > 1.0 and PLT > 100; CRh = ANC > 0.5 and PLT > 50, not CR; CRi =
      PLT > 100 or ANC > 1.0, not CR/CRh; BFHBM (blast-free hypoplastic or aplastic marrow) = the remaining MR
      (PLT <= 50 and/or ANC <= 0.5); else ``"other"``. ``strict_gt=False`` turns every count comparison into >=.

    ``strict_gt=None`` keeps each rule set's own comparison (NCCN >=, TOWER >); the NCCN edge is spec VERIFY
    item 4 (the guideline version the study used was not checked). ``require_durable_4wk`` (default
    False for retrospective data) makes every response need ``durable_4wk=True`` (NCCN: no recurrence for 4
    weeks). ``bm_blast_source="flow"`` (flow % as fallback for morphology) is accepted and flagged. Missing
    circulating-blast or EMD status is not read as absent unless ``assume_normal_if_missing=True`` (flagged).
    A blank ``cns_status`` is not required: ``emd_present`` must cover CNS disease. When MR is established but the
    count category is not (missing counts), the value is None and, where every category would be a response,
    the flag ``response_any`` is set (see :func:`response_any`).
    """
    if ruleset not in _RULESETS:
        raise ValueError(f"ruleset must be one of {RESPONSE_RULESETS}, got {ruleset!r}")
    rs = _RULESETS[ruleset]
    inclusive = rs["blast_inclusive"] if blast_cutoff_inclusive is None else blast_cutoff_inclusive
    strict = rs["strict_gt"] if strict_gt is None else strict_gt
    if bm_blast_pct is not None and not 0 <= bm_blast_pct <= 100:
        raise ValueError(f"bm_blast_pct must be 0-100, got {bm_blast_pct}")
    for name, v in (("anc_e9_l", anc_e9_l), ("plt_e9_l", plt_e9_l)):
        if v is not None and v < 0:
            raise ValueError(f"{name} must be >= 0, got {v}")
    if bm_blast_source not in ("morphology", "flow"):
        raise ValueError("bm_blast_source must be 'morphology' or 'flow'")
    cns = _norm_cns(cns_status)
    inputs = {"bm_blast_pct": bm_blast_pct, "pb_blasts": pb_blasts, "anc_e9_l": anc_e9_l, "plt_e9_l": plt_e9_l,
              "emd_present": emd_present, "cns_status": cns, "transfusion_independent": transfusion_independent,
              "durable_4wk": durable_4wk if require_durable_4wk else None}
    flags: list[str] = []
    met: list[str] = []
    version = rs["version"] + ("" if strict_gt is None else f"; strict_gt={strict}")
    if bm_blast_source == "flow":
        flags.append("bm_blast_pct_from_flow")
    if assume_normal_if_missing:
        assumed = [k for k, v in (("pb_blasts", pb_blasts), ("emd_present", emd_present)) if v is None]
        if assumed:
            flags.append("missing_assumed_normal: " + ", ".join(assumed))
        pb_blasts = bool(pb_blasts)
        emd_present = bool(emd_present)
    if cns in (None, "unknown"):
        flags.append("cns_status_not_assessed")

    op = "<=" if inclusive else "<"
    blasts_ok = None if bm_blast_pct is None else (
        bm_blast_pct <= blast_cutoff_pct if inclusive else bm_blast_pct < blast_cutoff_pct)
    if blasts_ok is not None:
        met.append(f"marrow blasts {bm_blast_pct:g}% {op if blasts_ok else 'not ' + op} {blast_cutoff_pct:g}%")
    no_pb = _not(pb_blasts)
    cns_disease = None if cns in (None, "unknown") else cns in cns_disease_statuses
    no_emd = _not(emd_present) if cns_disease is None else _and(_not(emd_present), not cns_disease)
    if pb_blasts is not None:
        met.append("circulating blasts" if pb_blasts else "no circulating blasts")
    if emd_present is not None:
        met.append("extramedullary disease" if emd_present else "no extramedullary disease")
    if cns in cns_disease_statuses:
        met.append(f"{cns}: CNS disease")
    mr = _and(blasts_ok, no_pb, no_emd)
    if require_durable_4wk:
        mr = _and(mr, durable_4wk)
        if durable_4wk is not None:
            met.append("remission held 4 weeks" if durable_4wk else "remission not held 4 weeks")
    if mr is not None:
        met.append("morphologic remission" if mr else "no morphologic remission")

    gt = ">" if strict else ">="

    def cnt(x, t):
        return _cmp(x, t, strict)

    no = "no_response" if ruleset == PAPER else "other"
    if ruleset == PAPER:
        cats = [("CR", mr)]
        if mr:
            met.append("CR with or without count recovery (CR, CRh, CRi pooled)")
    elif ruleset == NCCN:
        cr = _and(mr, cnt(anc_e9_l, 1.0), cnt(plt_e9_l, 100.0))
        cats = [("CR", cr), ("CRi", _and(mr, _not(cr)))]
        if mr:
            met.append(f"CR needs ANC {gt} 1.0 and PLT {gt} 100")
    else:
        cr = _and(mr, cnt(anc_e9_l, 1.0), cnt(plt_e9_l, 100.0))
        crh = _and(mr, _not(cr), cnt(anc_e9_l, 0.5), cnt(plt_e9_l, 50.0))
        cri = _and(mr, _not(cr), _not(crh), _or(cnt(plt_e9_l, 100.0), cnt(anc_e9_l, 1.0)))
        cats = [("CR", cr), ("CRh", crh), ("CRi", cri), ("BFHBM", _and(mr, _not(cr), _not(crh), _not(cri)))]
        if mr:
            met.append(f"CR: ANC {gt} 1.0 and PLT {gt} 100; CRh: ANC {gt} 0.5 and PLT {gt} 50; "
                       f"CRi: PLT {gt} 100 or ANC {gt} 1.0")
    value = None
    if mr is False:
        value = no
    else:
        for name, state in cats:
            if state is True:
                value = name
                break
            if state is None:
                break
    if value is not None:
        return Result(value, ruleset, version, tuple(met), (), inputs, tuple(flags), "hematologic_response")
    missing = [k for k, v in (("bm_blast_pct", bm_blast_pct), ("pb_blasts", pb_blasts),
                              ("emd_present", emd_present)) if v is None]
    if require_durable_4wk and durable_4wk is None:
        missing.append("durable_4wk")
    if mr is True:
        missing += [k for k, v in (("anc_e9_l", anc_e9_l), ("plt_e9_l", plt_e9_l)) if v is None]
        if ruleset == NCCN:
            flags.append("response_any (CR or CRi; count category undetermined)")
    return Result(None, ruleset, version, tuple(met), tuple(missing), inputs, tuple(flags), "hematologic_response")


def response_any(result: Result) -> bool | None:
    """Composite response (spec 5.2): CR, CRh or CRi. None when not determined."""
    if result.value is not None:
        return result.value in RESPONSE_ANY
    return True if any(f.startswith("response_any") for f in result.flags) else None


# ---- 5.3 MRD ------------------------------------------------------------------------------------------------------
def mrd_status(value: float | None, lod: float | None = None, method: str | None = "flow",
               threshold: float = 1e-4, *, detected: bool | None = None) -> Result:
    """MRD status from one sample (spec 5.3; NCCN, INO-VATE and the blinatumomab trials all use 1e-4).

    ``value`` and ``lod`` are fractions (0.01% = 1e-4); ``detected`` defaults to ``value > 0``.

    * detectable and ``value >= threshold`` -> ``"MRD_pos"`` (exactly 1e-4 is positive).
    * undetectable (or below threshold) with ``lod <= threshold`` -> ``"MRD_neg"``.
    * undetectable with ``lod > threshold`` -> ``"MRD_neg_insufficient_sensitivity"`` (not MRD-negative).
    * detectable but ``value < threshold`` (NGS) -> ``"MRD_pos_below_1e-4"`` (label follows ``threshold``):
      counts as negative at the threshold, flagged. Detection at that level shows the assay reached it.

    ``threshold`` is a parameter: 1e-5 for NGS, 1e-3 for the MRD-positive blinatumomab eligibility setting.
    The study: flow MRD, negative = < 1e-4 at a sensitivity of at least 1e-4 (Methods; study-definition 2.3).
    """
    if method is not None and method not in MRD_METHODS:
        raise ValueError(f"method must be one of {MRD_METHODS}, got {method!r}")
    if value is not None and not 0 <= value <= 1:
        raise ValueError(f"MRD value is a fraction in [0, 1] (0.01% = 1e-4), got {value}")
    if lod is not None and not 0 < lod <= 1:
        raise ValueError(f"MRD lod is a fraction in (0, 1], got {lod}")
    ruleset, version = "NCCN/INO-VATE", f"MRD < {_fmt_thr(threshold)}, LOD <= {_fmt_thr(threshold)}"
    inputs = {"value": value, "lod": lod, "method": method, "threshold": threshold, "detected": detected}
    flags: list[str] = [] if method is not None else ["method_unknown"]
    if value is None:
        return Result(None, ruleset, version, (), ("mrd_value",), inputs, tuple(flags), "mrd_status")
    det = (value > 0) if detected is None else detected
    t = _fmt_thr(threshold)
    if det and value >= threshold:
        return Result("MRD_pos", ruleset, version, (f"detectable, {value:g} >= {t}",), (), inputs, tuple(flags),
                      "mrd_status")
    if det and value > 0:
        if lod is not None and lod > threshold:
            flags.append("value_below_lod")
            return Result("MRD_neg_insufficient_sensitivity", ruleset, version,
                          (f"{value:g} < {t} but reported below the assay LOD {lod:g} > {t}",), (), inputs,
                          tuple(flags), "mrd_status")
        flags.append("counts_negative_at_threshold")
        return Result(f"MRD_pos_below_{t}", ruleset, version, (f"detectable, {value:g} < {t}",), (), inputs,
                      tuple(flags), "mrd_status")
    if lod is None:
        return Result(None, ruleset, version, ("undetectable",), ("mrd_lod",), inputs, tuple(flags), "mrd_status")
    if lod <= threshold:
        return Result("MRD_neg", ruleset, version, (f"undetectable at LOD {lod:g} <= {t}",), (), inputs,
                      tuple(flags), "mrd_status")
    return Result("MRD_neg_insufficient_sensitivity", ruleset, version,
                  (f"undetectable but LOD {lod:g} > {t}",), (), inputs, tuple(flags), "mrd_status")


def mrd_negative(result: Result) -> bool | None:
    """True for MRD_neg and MRD_pos_below_<threshold>; False for MRD_pos and insufficient sensitivity."""
    if result.value is None:
        return None
    return result.value == "MRD_neg" or result.value.startswith("MRD_pos_below_")


def cr_mrd_negative(response: Result, mrd: Result) -> Result:
    """``CR_MRDneg`` only when there is a morphologic response (CR/CRh/CRi, or the paper's pooled CR) and MRD is
    negative (spec 5.3). Value True / False / None."""
    r, m = response_any(response), mrd_negative(mrd)
    v = _and(r, m)
    missing = tuple(n for n, x in (("response", r), ("mrd", m)) if x is None) if v is None else ()
    met = []
    if r is not None:
        met.append(f"response {response.value}")
    if m is not None:
        met.append(f"MRD {mrd.value}")
    return Result(v, response.ruleset, response.ruleset_version, tuple(met), missing,
                  {"response": response.value, "mrd": mrd.value}, (), "cr_mrd_negative")


# ---- 5.4 CNS status --------------------------------------------------------------------------------------------
def cns_status(*, csf_blasts: bool | None = None, csf_wbc_per_ul: float | None = None,
               csf_rbc_per_ul: float | None = None, blood_wbc_e9_l: float | None = None,
               blood_rbc_e12_l: float | None = None, clinical_signs: bool | None = None,
               cns3_wbc_per_ul: float = 5.0, traumatic_rbc_per_ul: float = 10.0) -> Result:
    """CNS status CNS1/CNS2/CNS3 (COG/NCCN, spec 5.4).

    * CNS1: no blasts in CSF, whatever the WBC.
    * CNS2: CSF WBC < 5/uL with blasts.
    * CNS3: CSF WBC >= 5/uL with blasts, or clinical signs of CNS leukaemia (cranial nerve palsy, brain or eye
      involvement, hypothalamic syndrome).
    * Traumatic tap (CSF RBC >= 10/uL) with WBC >= 5 and blasts: CNS3 only if CSF WBC/RBC > 2 x blood WBC/RBC
      (Steinherz/Bleyer algorithm; blood WBC in 10^9/L and RBC in 10^12/L are converted to per uL); else CNS2.

    Clinical signs are not assumed absent: pass ``clinical_signs=False`` when they were looked for.
    """
    inputs = {"csf_blasts": csf_blasts, "csf_wbc_per_ul": csf_wbc_per_ul, "csf_rbc_per_ul": csf_rbc_per_ul,
              "blood_wbc_e9_l": blood_wbc_e9_l, "blood_rbc_e12_l": blood_rbc_e12_l, "clinical_signs": clinical_signs}
    rs, ver = "COG/NCCN", "Steinherz/Bleyer traumatic-tap rule"

    def res(v, met, missing=()):
        return Result(v, rs, ver, tuple(met), tuple(missing), inputs, (), "cns_status")

    if clinical_signs:
        return res("CNS3", ["clinical signs of CNS leukaemia"])
    csf = None
    met: list[str] = []
    missing: list[str] = []
    if csf_blasts is None:
        missing.append("csf_blasts")
    elif not csf_blasts:
        csf = "CNS1"
        met.append("no blasts in CSF")
    elif csf_wbc_per_ul is None:
        missing.append("csf_wbc_per_ul")
    elif csf_wbc_per_ul < cns3_wbc_per_ul:
        csf = "CNS2"
        met.append(f"CSF blasts, WBC {csf_wbc_per_ul:g} < {cns3_wbc_per_ul:g}/uL")
    elif csf_rbc_per_ul is None:
        missing.append("csf_rbc_per_ul")
    elif csf_rbc_per_ul < traumatic_rbc_per_ul:
        csf = "CNS3"
        met.append(f"CSF blasts, WBC {csf_wbc_per_ul:g} >= {cns3_wbc_per_ul:g}/uL, "
                   f"RBC {csf_rbc_per_ul:g} < {traumatic_rbc_per_ul:g}/uL (not traumatic)")
    elif blood_wbc_e9_l is None or blood_rbc_e12_l is None:
        missing += [k for k, v in (("blood_wbc_e9_l", blood_wbc_e9_l), ("blood_rbc_e12_l", blood_rbc_e12_l))
                    if v is None]
        met.append(f"traumatic tap (CSF RBC {csf_rbc_per_ul:g} >= {traumatic_rbc_per_ul:g}/uL)")
    else:
        blood_wbc_ul, blood_rbc_ul = blood_wbc_e9_l * 1e3, blood_rbc_e12_l * 1e6
        # CSF WBC/RBC > 2 x blood WBC/RBC, cross-multiplied to keep the boundary exact
        csf = "CNS3" if csf_wbc_per_ul * blood_rbc_ul > 2 * blood_wbc_ul * csf_rbc_per_ul else "CNS2"
        met.append(f"traumatic tap: CSF WBC/RBC {csf_wbc_per_ul / csf_rbc_per_ul:.4g} "
                   f"{'>' if csf == 'CNS3' else '<='} 2 x blood WBC/RBC {2 * blood_wbc_ul / blood_rbc_ul:.4g}")
    if csf == "CNS3":
        return res("CNS3", met)
    if clinical_signs is None:
        missing.append("clinical_signs")
    if missing:
        return res(None, met, missing)
    return res(csf, met + ["no clinical signs"])


# ---- 5.4 relapse -------------------------------------------------------------------------------------------------
def _site(bm: bool, emd: bool, cns: bool, mrd: bool) -> str:
    if bm and (emd or cns):
        return "combined"
    if bm:
        return "BM_isolated"
    if emd:
        return "EMD_isolated"  # with or without CNS: extramedullary only
    if cns:
        return "CNS_isolated"
    if mrd:
        return "MRD_only"
    return "no_relapse"


def _relevant_components(comps: dict) -> set[str]:
    """Unknown components whose value can change the site for some completion of the other unknowns."""
    names = list(comps)
    unknown = [n for n in names if comps[n] is None]
    out = set()
    for n in unknown:
        others = [m for m in unknown if m != n]
        for combo in product([False, True], repeat=len(others)):
            fixed = dict(comps, **dict(zip(others, combo)))
            if _site(*[fixed[m] if m != n else False for m in names]) != \
                    _site(*[fixed[m] if m != n else True for m in names]):
                out.add(n)
                break
    return out


def relapse_type(*, bm_blast_pct: float | None = None, pb_blasts: bool | None = None, new_emd: bool | None = None,
                 cns_status: str | Result | None = None, cns_clinical_signs: bool | None = None,
                 prior_mrd_negative: bool | None = None, mrd_value: float | None = None,
                 mrd_method: str | None = None, prior_mrd_method: str | None = None,
                 mrd_confirm_value: float | None = None, mrd_first_positive_date=None,
                 require_confirmation: bool = True, mrd_threshold: float = 1e-4,
                 bm_relapse_pct: float = 5.0, bm_relapse_inclusive: bool = False,
                 cns_relapse_statuses: tuple[str, ...] = ("CNS3",)) -> Result:
    """Relapse after CR/CRh/CRi and its site (spec 5.4), at one post-remission assessment.

    * Hematologic relapse: marrow blasts > ``bm_relapse_pct`` (default > 5%, NCCN/CIBMTR; ``bm_relapse_inclusive``
      gives >= 5%, the complement of the paper's CR rule, study-definition 2.4; > vs >= is spec VERIFY item 4;
      BBMT 2010 uses 25%), or
      unexplained circulating blasts (``pb_blasts``).
    * Extramedullary relapse: new biopsy- or imaging-proven EMD (``new_emd``) at any site other than the CNS.
    * CNS relapse: new status in ``cns_relapse_statuses`` (default CNS3) or clinical signs of CNS leukaemia.
    * MRD-only (molecular) relapse: after documented MRD negativity, MRD >= ``mrd_threshold`` by the same method,
      with no hematologic, extramedullary or CNS relapse; ``require_confirmation`` needs a second sample >= the
      threshold. The event date is the first positive sample (``mrd_first_positive_date``, kept in ``inputs``).

    Site taxonomy: ``BM_isolated``, ``EMD_isolated`` (extramedullary only, CNS included when there is another
    extramedullary site), ``CNS_isolated``, ``combined`` (marrow plus extramedullary/CNS), ``MRD_only``; else
    ``no_relapse``. When a relapse is certain but its site depends on a missing input, the value is None and the
    flag ``relapse_established`` is set (see :func:`relapsed`).
    """
    for name, v in (("mrd_method", mrd_method), ("prior_mrd_method", prior_mrd_method)):
        if v is not None and v not in MRD_METHODS:
            raise ValueError(f"{name} must be one of {MRD_METHODS}, got {v!r}")
    cns = _norm_cns(cns_status)
    inputs = {"bm_blast_pct": bm_blast_pct, "pb_blasts": pb_blasts, "new_emd": new_emd, "cns_status": cns,
              "cns_clinical_signs": cns_clinical_signs, "prior_mrd_negative": prior_mrd_negative,
              "mrd_value": mrd_value, "mrd_method": mrd_method, "prior_mrd_method": prior_mrd_method,
              "mrd_confirm_value": mrd_confirm_value if require_confirmation else None,
              "mrd_first_positive_date": mrd_first_positive_date}
    met: list[str] = []
    op = ">=" if bm_relapse_inclusive else ">"
    blasts_rel = None if bm_blast_pct is None else (
        bm_blast_pct >= bm_relapse_pct if bm_relapse_inclusive else bm_blast_pct > bm_relapse_pct)
    if blasts_rel is not None:
        met.append(f"marrow blasts {bm_blast_pct:g}% {op if blasts_rel else 'not ' + op} {bm_relapse_pct:g}%")
    if pb_blasts:
        met.append("unexplained circulating blasts")
    bm = _or(blasts_rel, pb_blasts)
    emd = new_emd
    if emd:
        met.append("new extramedullary disease")
    cns_by_status = None if cns in (None, "unknown") else cns in cns_relapse_statuses
    cnsr = _or(cns_by_status, cns_clinical_signs)
    if cnsr:
        met.append(f"CNS relapse ({cns if cns_by_status else 'clinical signs'})")
    same = None if mrd_method is None or prior_mrd_method is None else mrd_method == prior_mrd_method
    mrd_pos = None if mrd_value is None else mrd_value >= mrd_threshold
    confirm = True
    if require_confirmation:
        confirm = None if mrd_confirm_value is None else mrd_confirm_value >= mrd_threshold
    mrd = _and(prior_mrd_negative, mrd_pos, same, confirm)
    if mrd:
        met.append(f"MRD {mrd_value:g} >= {_fmt_thr(mrd_threshold)} after MRD negativity, same method ({mrd_method})"
                   + (", confirmed" if require_confirmation else "")
                   + (f"; event date {mrd_first_positive_date}" if mrd_first_positive_date else ""))
    comps = {"marrow": bm, "emd": emd, "cns": cnsr, "mrd": mrd}
    options = [[v] if v is not None else [False, True] for v in comps.values()]
    values = {_site(*combo) for combo in product(*options)}
    version = f"relapse marrow blasts {op} {bm_relapse_pct:g}%; MRD >= {_fmt_thr(mrd_threshold)}"
    if len(values) == 1:
        v = values.pop()
        return Result(v, "NCCN/CIBMTR", version, tuple(met), (), inputs, (), "relapse_type")
    relevant = _relevant_components(comps)
    missing = []
    if "marrow" in relevant:
        missing += [k for k, x in (("bm_blast_pct", bm_blast_pct), ("pb_blasts", pb_blasts)) if x is None]
    if "emd" in relevant:
        missing.append("new_emd")
    if "cns" in relevant:
        missing += [k for k, x in (("cns_status", None if cns == "unknown" else cns),
                                   ("cns_clinical_signs", cns_clinical_signs)) if x is None]
    if "mrd" in relevant:
        missing += [k for k, x in (("prior_mrd_negative", prior_mrd_negative), ("mrd_value", mrd_value),
                                   ("mrd_method", mrd_method), ("prior_mrd_method", prior_mrd_method),
                                   ("mrd_confirm_value", mrd_confirm_value if require_confirmation else 0))
                    if x is None]
    flags = ["relapse_established"] if "no_relapse" not in values else []
    flags.append("possible=" + ",".join(sorted(values)))
    return Result(None, "NCCN/CIBMTR", version, tuple(met), tuple(missing), inputs, tuple(flags), "relapse_type")


def relapsed(result: Result) -> bool | None:
    """Whether a relapse (of any type) occurred, from a :func:`relapse_type` result."""
    if result.value is not None:
        return result.value != "no_relapse"
    return True if "relapse_established" in result.flags else None


# ---- 5.4 progressive disease and refractoriness ---------------------------------------------------------------------
def progressive_disease(*, baseline_bm_blast_pct: float | None = None, bm_blast_pct: float | None = None,
                        baseline_pb_blast_abs: float | None = None, pb_blast_abs: float | None = None,
                        baseline_emd_burden: float | None = None, emd_burden: float | None = None,
                        new_emd: bool | None = None, rise_fraction: float = 0.25) -> Result:
    """Progressive disease (NCCN / BBMT 2010; spec 5.4): a rise of >= 25% (``rise_fraction``) in absolute marrow
    or circulating blasts or in EMD burden, or new EMD. A rise from 0 counts and is flagged. PD is False only
    when every criterion could be assessed."""
    inputs = {"baseline_bm_blast_pct": baseline_bm_blast_pct, "bm_blast_pct": bm_blast_pct,
              "baseline_pb_blast_abs": baseline_pb_blast_abs, "pb_blast_abs": pb_blast_abs,
              "baseline_emd_burden": baseline_emd_burden, "emd_burden": emd_burden, "new_emd": new_emd}
    met, flags, missing, states = [], [], [], []
    for name, b, c in (("bm_blast_pct", baseline_bm_blast_pct, bm_blast_pct),
                       ("pb_blast_abs", baseline_pb_blast_abs, pb_blast_abs),
                       ("emd_burden", baseline_emd_burden, emd_burden)):
        if b is None or c is None:
            states.append(None)
            missing += [k for k, x in ((f"baseline_{name}", b), (name, c)) if x is None]
            continue
        if b == 0:
            s = c > 0
            if s:
                flags.append(f"{name}_rise_from_zero")
        else:
            s = c >= b * (1 + rise_fraction) - 1e-12
        states.append(s)
        if s:
            met.append(f"{name} {b:g} -> {c:g} (rise >= {rise_fraction:.0%})")
    states.append(new_emd)
    if new_emd is None:
        missing.append("new_emd")
    elif new_emd:
        met.append("new extramedullary disease")
    v = _or(*states)
    return Result(v, "NCCN/BBMT-2010", "", tuple(met), tuple(missing) if v is None else (), inputs, tuple(flags),
                  "progressive_disease")


def mab_refractory(agent: str, *, response_any_in_window: bool | None, cycles_completed: int | None = None,
                   days_from_start: int | None = None, discontinued: bool | None = False,
                   died_before_first_assessment: bool = False, blina_cycles: int = 2, blina_days: int = 84,
                   ino_cycles: int = 3) -> Result:
    """Refractoriness to one antibody course (spec 5.4): no CR/CRh/CRi by the end of the evaluation window.

    Window: blinatumomab ``blina_cycles`` (2) cycles or ``blina_days`` (84 = 12 weeks) from the start, as in TOWER;
    inotuzumab ``ino_cycles`` (3) cycles (spec VERIFY: the label stops inotuzumab without CR/CRi within 3 cycles).
    A course stopped without response (``discontinued``) also closes the window. Death before the first
    assessment is ``"early_death"``, never refractory. Values: ``responder``, ``refractory``, ``early_death``,
    ``window_open``.
    """
    if agent not in ("blinatumomab", "inotuzumab"):
        raise ValueError("agent must be 'blinatumomab' or 'inotuzumab'")
    inputs = {"agent": agent, "response_any_in_window": response_any_in_window, "cycles_completed": cycles_completed,
              "days_from_start": days_from_start, "discontinued": discontinued,
              "died_before_first_assessment": died_before_first_assessment or None}
    ver = f"blinatumomab {blina_cycles} cycles or {blina_days} d; inotuzumab {ino_cycles} cycles"

    def res(v, met, missing=()):
        return Result(v, "TOWER/INO-VATE", ver, tuple(met), tuple(missing), inputs, (), "mab_refractory")

    if response_any_in_window:
        return res("responder", ["CR/CRh/CRi in the window"])
    if died_before_first_assessment:
        return res("early_death", ["death before the first response assessment"])
    if response_any_in_window is None:
        return res(None, [], ["response_any_in_window"])
    n = blina_cycles if agent == "blinatumomab" else ino_cycles
    closed = [_cmp(cycles_completed, n, False), discontinued]
    if agent == "blinatumomab":
        closed.append(_cmp(days_from_start, blina_days, False))
    done = _or(*closed)
    if done:
        return res("refractory", [f"no CR/CRh/CRi after >= {n} cycles" + (f" or {blina_days} days" if agent ==
                                                                            "blinatumomab" else "")
                                  + " or discontinuation"])
    if done is False:
        return res("window_open", ["no response yet; evaluation window not complete"])
    return res(None, ["no response yet"], [k for k, x in (("cycles_completed", cycles_completed),
                                                           ("days_from_start", days_from_start),
                                                           ("discontinued", discontinued)) if x is None])
