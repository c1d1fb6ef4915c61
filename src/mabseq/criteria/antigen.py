"""Flow cytometric antigen status of CD19 and CD22 (clinical-criteria spec section 6; study-definition 2.4).

Rule set ``"Wudhikarn-2022"`` (Blood Adv 2022;6(5):1432, Methods): "negative" if < 20% of the abnormal cells are
positive above the internal negative controls; "dim" if the median expression is at least one-third of a log lower
than on normal immature B cells; negative and dim pooled as "neg/low" against "pos".

One-third of a log decade is a 10^(1/3) = 2.15-fold drop, whereas the Methods' gloss "(~3-fold)" is log10(3) = 0.477
log. The study definition keeps the literal "one-third of a log" (``DIM_LOG_DROP_THIRD_LOG``, default) and names the
gloss as the alternative (``DIM_LOG_DROP_THREE_FOLD``).
"""
from __future__ import annotations

import math

from .result import Result

RULESET = "Wudhikarn-2022"
VERSION = "Blood Adv 2022;6(5):1432 Methods"
NEG_PCT_THRESHOLD = 20.0
DIM_LOG_DROP_THIRD_LOG = 1.0 / 3.0
DIM_LOG_DROP_THREE_FOLD = math.log10(3.0)
STATUSES = ("negative", "dim", "positive", "not_evaluable")
_LOG_TOL = 1e-9  # floating-point tolerance on the log-drop boundary ("at least" one-third of a log)

_CALLS = {"negative": "negative", "neg": "negative", "dim": "dim", "low": "dim", "positive": "positive",
          "pos": "positive", "not_evaluable": "not_evaluable", "ne": "not_evaluable"}


def antigen_status(pct_abnormal_positive: float | None = None, mfi_abnormal: float | None = None,
                   mfi_reference: float | None = None, abnormal_population_detected: bool | None = True,
                   pathologist_call: str | None = None, neg_pct_threshold: float = NEG_PCT_THRESHOLD,
                   dim_log_drop: float = DIM_LOG_DROP_THIRD_LOG, *, antigen: str | None = None,
                   mfi_floor: float = 1e-3, mfi_reference_source: str | None = None,
                   abc_molecules_per_cell: float | None = None) -> Result:
    """CD19/CD22 status: ``negative``, ``dim``, ``positive`` or ``not_evaluable`` (spec 6.2; study-definition 2.4).

    Source order (study-definition 2.4): (1) the haematopathologist's call (``pathologist_call``; ``neg``/``low``/
    ``pos`` accepted as synonyms); (2) otherwise derived from the flow values:

    1. no abnormal population detected -> ``not_evaluable``;
    2. ``pct_abnormal_positive < neg_pct_threshold`` (20) -> ``negative`` (exactly 20% is not negative);
    3. ``log10(mfi_reference) - log10(mfi_abnormal) >= dim_log_drop`` (1/3; log10(3) = 0.477 is the "~3-fold"
       alternative) -> ``dim``;
    4. else ``positive``;

    (3) otherwise None with the missing inputs listed. MFI <= 0 (compensated data) is clipped to ``mfi_floor`` and
    flagged. MFIs should come from one instrument, panel and fluorochrome; without ``mfi_reference_source`` a
    derived dim/positive call is flagged. When a call is given, a contradicting derivation is flagged.
    Derived flags: ``partial_expression`` (20 <= pct < 90), ``pct_ge90`` (pct >= 90, INO-VATE's CD22 split).
    """
    if pct_abnormal_positive is not None and not 0 <= pct_abnormal_positive <= 100:
        raise ValueError(f"pct_abnormal_positive must be 0-100, got {pct_abnormal_positive}")
    if dim_log_drop <= 0 or not 0 < neg_pct_threshold <= 100:
        raise ValueError("dim_log_drop must be > 0 and neg_pct_threshold in (0, 100]")
    call = None
    if pathologist_call is not None:
        key = str(pathologist_call).strip().lower().replace("-", "_").replace(" ", "_")
        if key not in _CALLS:
            raise ValueError(f"pathologist_call must be one of {STATUSES}, got {pathologist_call!r}")
        call = _CALLS[key]
    inputs = {"antigen": antigen, "pathologist_call": call, "pct_abnormal_positive": pct_abnormal_positive,
              "mfi_abnormal": mfi_abnormal, "mfi_reference": mfi_reference,
              "abnormal_population_detected": abnormal_population_detected,
              "mfi_reference_source": mfi_reference_source, "abc_molecules_per_cell": abc_molecules_per_cell}
    version = f"{VERSION}; neg < {neg_pct_threshold:g}%, dim log drop >= {dim_log_drop:.4g}"
    derived, met, missing, flags = _derive(pct_abnormal_positive, mfi_abnormal, mfi_reference,
                                           abnormal_population_detected, neg_pct_threshold, dim_log_drop, mfi_floor,
                                           mfi_reference_source)
    if call is not None:
        if derived is not None and derived != call:
            flags.append(f"derived_disagrees: {derived}")
        return Result(call, RULESET, version, ("source: pathologist's call",), (), inputs, tuple(flags),
                      "antigen_status")
    met = ["source: derived from flow values"] + met
    return Result(derived, RULESET, version, tuple(met), tuple(missing) if derived is None else (), inputs,
                  tuple(flags), "antigen_status")


def _derive(pct, mfi_abn, mfi_ref, detected, neg_thr, dim_drop, floor, ref_source):
    met: list[str] = []
    flags: list[str] = []
    if detected is False:
        return "not_evaluable", ["no abnormal population detected"], [], flags
    if detected is None:
        return None, met, ["abnormal_population_detected"], flags
    if pct is None:
        return None, met, ["pct_abnormal_positive"], flags
    if pct < neg_thr:
        return "negative", [f"{pct:g}% of abnormal cells positive < {neg_thr:g}%"], [], flags
    met.append(f"{pct:g}% of abnormal cells positive >= {neg_thr:g}%")
    if pct < 90:
        flags.append("partial_expression")
    else:
        flags.append("pct_ge90")
    missing = [k for k, v in (("mfi_abnormal", mfi_abn), ("mfi_reference", mfi_ref)) if v is None]
    if missing:
        return None, met, missing, flags
    if mfi_abn <= 0:
        flags.append("mfi_abnormal_clipped")
        mfi_abn = floor
    if mfi_ref <= 0:
        flags.append("mfi_reference_clipped")
        mfi_ref = floor
    if ref_source is None:
        flags.append("mfi_reference_source_unrecorded")
    drop = math.log10(mfi_ref) - math.log10(mfi_abn)
    if drop >= dim_drop - _LOG_TOL:
        met.append(f"log10 intensity drop {drop:.3f} >= {dim_drop:.3f}")
        return "dim", met, [], flags
    met.append(f"log10 intensity drop {drop:.3f} < {dim_drop:.3f}")
    return "positive", met, [], flags


def binary(status: str | Result | None) -> str | None:
    """The paper's two groups: ``"neg_low"`` (negative or dim) vs ``"pos"``; None for not_evaluable or missing."""
    if isinstance(status, Result):
        status = status.value
    if status in ("negative", "dim"):
        return "neg_low"
    if status == "positive":
        return "pos"
    if status in (None, "not_evaluable"):
        return None
    raise ValueError(f"unknown antigen status {status!r}")
