"""CTCAE v5.0 grades for ALT increased, AST increased and blood bilirubin increased.

Clinical-criteria spec section 4. Source: NCI Common Terminology Criteria for Adverse Events v5.0 (27 Nov 2017),
Investigations SOC (quick reference:
https://ctep.cancer.gov/protocoldevelopment/electronic_applications/docs/CTCAE_v5_Quick_Reference_8.5x11.pdf),
thresholds as tabulated in the spec. The paper preset grades hepatotoxicity with ``baseline_mode="uln_only"``
(study-definition 2.9).
"""
from __future__ import annotations

from .result import Result

RULESET = "CTCAE-5.0"
VERSION = "5.0 (2017-11-27)"

_ANALYTES = {"ALT": "ALT", "SGPT": "ALT", "ALANINE AMINOTRANSFERASE": "ALT",
             "AST": "AST", "SGOT": "AST", "ASPARTATE AMINOTRANSFERASE": "AST",
             "TBILI": "TBILI", "BILI": "TBILI", "BILIRUBIN": "TBILI", "TOTAL BILIRUBIN": "TBILI",
             "BLOOD BILIRUBIN": "TBILI"}
_TERM = {"ALT": "Alanine aminotransferase increased", "AST": "Aspartate aminotransferase increased",
         "TBILI": "Blood bilirubin increased"}

# Upper edges (inclusive) of grades 1, 2, 3; above the last edge is grade 4. The lower edge of grade 1 is
# exclusive (> 1.0x) except for ALT/AST over an abnormal baseline, where it is inclusive (>= 1.5x baseline).
_EDGES = {"ALT": (3.0, 5.0, 20.0), "AST": (3.0, 5.0, 20.0), "TBILI": (1.5, 3.0, 10.0)}


def _r(x: float) -> float:
    """Ratios are cleaned of binary noise, so that an exact multiple of the ULN sits on its edge
    (1.8 / 1.2 = 1.5000000000000002 becomes 1.5)."""
    return round(x, 9)


def _analyte(name: str) -> str:
    key = str(name).strip().upper()
    if key not in _ANALYTES:
        raise ValueError(f"analyte: {name!r} is not ALT, AST or TBILI")
    return _ANALYTES[key]


def _grade_from_ratio(r: float, edges: tuple, grade1_lower: float, grade1_inclusive: bool) -> int:
    if r < grade1_lower or (r == grade1_lower and not grade1_inclusive):
        return 0
    g1, g2, g3 = edges
    if r <= g1:
        return 1
    if r <= g2:
        return 2
    if r <= g3:
        return 3
    return 4


def ctcae5_grade(analyte: str, value: float | None, uln: float | None, baseline: float | None = None,
                 baseline_mode: str = "v5", *, missing_baseline: str = "normal") -> Result:
    """CTCAE v5.0 grade 0-4 of ALT, AST or total bilirubin (``analyte`` "ALT", "AST" or "TBILI").

    ``baseline_abnormal`` is ``baseline > uln``; r_uln = value/ULN, r_bl = value/baseline:

    =====  =================  =========================  =================  =========================
    grade  ALT/AST, baseline  ALT/AST, baseline          bilirubin,         bilirubin,
           normal             abnormal                   baseline normal    baseline abnormal
    =====  =================  =========================  =================  =========================
    1      1.0 < r_uln <= 3   1.5 <= r_bl <= 3.0         1.0 < r_uln <= 1.5 1.0 < r_bl <= 1.5
    2      3 < r_uln <= 5     3.0 < r_bl <= 5.0          1.5 < r_uln <= 3   1.5 < r_bl <= 3.0
    3      5 < r_uln <= 20    5.0 < r_bl <= 20.0         3 < r_uln <= 10    3.0 < r_bl <= 10.0
    4      r_uln > 20         r_bl > 20.0                r_uln > 10         r_bl > 10.0
    =====  =================  =========================  =================  =========================

    The asymmetry is real: over an abnormal baseline, ALT/AST 1.0 < r_bl < 1.5 is grade 0, while bilirubin grade 1
    starts above 1.0x baseline. A value at or below the ULN (normal baseline) or at or below the baseline (abnormal
    baseline) is grade 0. ``baseline_mode="uln_only"`` ignores the baseline (CTCAE v4 style and many retrospective
    papers; the paper preset's choice). Grade 5 (death) is never derived from labs. Without a value or a ULN (take
    it from the same lab and sample) the grade is None, never a guess.

    ``baseline=None`` is read as a normal baseline, as the spec writes it (``missing_baseline="normal"``, flagged
    when it matters); ``missing_baseline="undetermined"`` returns None instead when the value is above the ULN.
    """
    code = _analyte(analyte)
    if baseline_mode not in ("v5", "uln_only"):
        raise ValueError(f"baseline_mode: {baseline_mode!r} is not 'v5' or 'uln_only'")
    if missing_baseline not in ("normal", "undetermined"):
        raise ValueError(f"missing_baseline: {missing_baseline!r} is not 'normal' or 'undetermined'")
    inputs = {"analyte": code, "value": value, "uln": uln, "baseline": baseline, "baseline_mode": baseline_mode}
    for n, v in (("value", value), ("baseline", baseline)):
        if v is not None and v < 0:
            raise ValueError(f"{n}: {v!r} is negative")
    if uln is not None and uln <= 0:
        raise ValueError(f"uln: {uln!r} is not positive")
    missing = tuple(n for n, v in (("value", value), ("uln", uln)) if v is None)
    if missing:
        return Result(None, RULESET, VERSION, (), missing, inputs, (), "ctcae5_grade")
    flags: list[str] = []
    edges = _EDGES[code]
    r_uln = _r(value / uln)
    inputs["x_uln"] = r_uln
    use_baseline = baseline_mode == "v5" and baseline is not None and baseline > uln
    if baseline_mode == "uln_only" and baseline is not None:
        flags.append("baseline ignored (baseline_mode=uln_only)")
    if use_baseline:
        if baseline == 0:  # pragma: no cover (baseline > uln > 0)
            raise ValueError("baseline: 0")
        r_bl = _r(value / baseline)
        inputs["x_baseline"] = r_bl
        if code == "TBILI":
            grade = _grade_from_ratio(r_bl, edges, 1.0, False)
            first = "> 1.0"
        else:
            grade = _grade_from_ratio(r_bl, edges, 1.5, True)
            first = ">= 1.5"
        met = (f"baseline {baseline:g} > ULN {uln:g}: graded against baseline",
               f"{_TERM[code]}: {value:g} = {r_bl:g}x baseline -> grade {grade}"
               + (f" (grade 1 starts {first}x baseline)" if grade == 0 and r_bl > 1.0 else ""))
        return Result(grade, RULESET, VERSION, met, (), inputs, tuple(flags), "ctcae5_grade")
    if baseline_mode == "v5" and baseline is None and r_uln > 1.0:
        if missing_baseline == "undetermined":
            return Result(None, RULESET, VERSION, (), ("baseline",), inputs, tuple(flags), "ctcae5_grade")
        flags.append("baseline not given: taken as normal")
    grade = _grade_from_ratio(r_uln, edges, 1.0, False)
    met = (f"{_TERM[code]}: {value:g} = {r_uln:g}x ULN ({uln:g}) -> grade {grade}",)
    return Result(grade, RULESET, VERSION, met, (), inputs, tuple(flags), "ctcae5_grade")


__all__ = ["RULESET", "ctcae5_grade"]
