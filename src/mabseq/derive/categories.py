"""Per-patient categories the paper's Table 3 and Results text count, derived once here (a patient's category is
a derivation, not a study computation) so that each is a column of the analysis dataset and of ``adsl.csv``, and
the preset's filters are plain comparisons the R check translates (results/rfilter.py).

The clinical rules stay in ``criteria/`` (HLA category, GVHD prophylaxis, the conditioning regimen groups); this
module applies them to the values ``patient.py`` derived. Unknown is never no: a category whose inputs are missing
is None (NA in adsl.csv), never a category or False. Every value is a code of a fixed vocabulary (the values below
or the criteria's), never input text, and the explanations name no input text either (they reach ``explain``).

=========================  =====================================================================================
``tx_sex_pair``            recipient-donor sex ('male-female' = male recipient, female donor); None when either sex
                           is not male or female (e.g. a single cord unit without donor sex: Table 3's NA row)
``tx_hla_category``        '10/10', '9/10', '<=8/10' (criteria.transplant.hla_10_category); None when the matched
                           or typed allele count is missing
``tx_regimen``             the Table 3 regimen group of the conditioning agents (criteria.transplant
                           .conditioning_group: 'clo_bu', ..., 'other'); None when no agent is recorded
``tx_cond_flu_cy_thio``    the conditioning contains fludarabine, cyclophosphamide and thiotepa; None without agents
``tx_gvhd_ppx``            the GVHD prophylaxis category (criteria.transplant.gvhd_prophylaxis_category); None when
                           no agent is recorded (unless ex vivo T-cell depletion is 'yes')
``retreat_any``/``_blina``/``_ino``  an antibody (blinatumomab, inotuzumab) given again as a line after mAb2
``cr_after_mab2_blina``/``_ino``/``_cart``  a line of that class after mAb2 reached CR: True; False when each such
                           line's response is known and none is CR; None when no CR and a response is unknown, or
                           when no line of that class was given (not applicable)
=========================  =====================================================================================

The transplant values are None for a patient without a transplant after mAb2 (not applicable).
"""
from __future__ import annotations

import math

from ..criteria.transplant import conditioning_group, conditioning_includes, gvhd_prophylaxis_category, \
    hla_10_category

SEXES = ("male", "female")
# the inputs whose absence leaves a category unknown (a finding names them; derive/patient.py)
UNKNOWN_INPUTS = {"tx_sex_pair": ("sex", "donor_sex"), "tx_hla_category": ("hla_matched", "hla_typed"),
                  "tx_regimen": ("conditioning_agents",), "tx_cond_flu_cy_thio": ("conditioning_agents",),
                  "tx_gvhd_ppx": ("gvhd_prophylaxis", "ex_vivo_tcd"),
                  **{f"cr_after_mab2_{s}": ("salvage_response",) for s in ("blina", "ino", "cart")}}
# the same rules written in R on the inputs adsl.csv releases, so that the R check derives these columns again
# instead of counting mabseq's (results/rfilter.py substitutes them for the column); a second implementation
R_DEFINITIONS = {
    "tx_sex_pair": ('ifelse(.eq(`tx`, TRUE) & .isin(`sex`, c("male", "female")) & '
                    '.isin(`tx_donor_sex`, c("male", "female")), paste(`sex`, `tx_donor_sex`, sep = "-"), NA)'),
    "tx_hla_category": ('ifelse(!.eq(`tx`, TRUE) | is.na(.num(`tx_hla_matched`)) | is.na(.num(`tx_hla_typed`)), NA, '
                        'ifelse(.num(`tx_hla_typed`) == 10 & .num(`tx_hla_matched`) == 10, "10/10", '
                        'ifelse(.num(`tx_hla_typed`) == 10 & .num(`tx_hla_matched`) == 9, "9/10", "<=8/10")))'),
}
FLU_CY_THIO = ("fludarabine", "cyclophosphamide", "thiotepa")
# line classes after mAb2 whose response the text counts, and the suffix of their column
LINE_CLASSES = (("blinatumomab", "blina"), ("inotuzumab", "ino"), ("car_t", "cart"))
TX_COLUMNS = ("tx_sex_pair", "tx_hla_category", "tx_regimen", "tx_cond_flu_cy_thio", "tx_gvhd_ppx")


def _missing(v) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v)) or type(v).__name__ == "NAType"


def _int(v):
    return None if _missing(v) else int(v)


def _text(v) -> str:
    return "" if _missing(v) or not isinstance(v, str) else v


def sex_pair(recipient, donor) -> str | None:
    """'recipient-donor' when both sexes are male or female, else None (unknown, the paper's NA row)."""
    if recipient not in SEXES or donor not in SEXES:
        return None
    return f"{recipient}-{donor}"


def prophylaxis_category(agents, ex_vivo_tcd) -> str | None:
    """The GVHD prophylaxis category of a ';'-list of agents and the ex vivo T-cell depletion ('yes'/'no'; any other
    value unknown)."""
    items = [a for a in _text(agents).split(";") if a.strip()]
    return gvhd_prophylaxis_category(items, ex_vivo_tcd={"yes": True, "no": False}.get(ex_vivo_tcd)).value


def transplant_categories(v: dict) -> dict[str, tuple[object, str]]:
    """name -> (value, explanation) of the Table 3 categories of one patient's derived values ``v``."""
    if not v.get("tx"):
        return {c: (None, "") for c in TX_COLUMNS}
    agents = v.get("tx_conditioning_agents")
    pair = sex_pair(v.get("sex"), v.get("tx_donor_sex"))
    return {
        "tx_sex_pair": (pair, "recipient and donor sex" if pair else
                        "unknown: recipient or donor sex not recorded as male or female"),
        "tx_hla_category": _known(hla_10_category(_int(v.get("tx_hla_matched")), _int(v.get("tx_hla_typed"))),
                                  "matched of typed HLA alleles (criteria.transplant.hla_10_category)",
                                  "matched or typed HLA allele count not recorded"),
        "tx_regimen": _known(conditioning_group(_text(agents)),
                             "Table 3 group of the conditioning agents (criteria.transplant.conditioning_group)",
                             "no conditioning agent recorded"),
        "tx_cond_flu_cy_thio": _known(conditioning_includes(_text(agents), FLU_CY_THIO),
                                      "conditioning contains fludarabine, cyclophosphamide and thiotepa",
                                      "no conditioning agent recorded"),
        "tx_gvhd_ppx": _known(prophylaxis_category(v.get("tx_gvhd_prophylaxis"), v.get("tx_ex_vivo_tcd")),
                              "GVHD prophylaxis hierarchy (criteria.transplant.gvhd_prophylaxis_category)",
                              "no GVHD prophylaxis agent recorded"),
    }


def _known(value, why: str, missing: str) -> tuple[object, str]:
    return (value, why) if value is not None else (None, f"unknown: {missing}")


def after_mab2_categories(v: dict) -> dict[str, tuple[object, str]]:
    """name -> (value, explanation) of the antibody re-treatments and the CRs to each line class after mAb2."""
    agents = set(v.get("retreat_agents") or ())
    out: dict[str, tuple[object, str]] = {
        "retreat_any": (bool(agents), "an antibody given again as a line after mAb2"),
        "retreat_blina": ("blinatumomab" in agents, "blinatumomab given again as a line after mAb2"),
        "retreat_ino": ("inotuzumab" in agents, "inotuzumab given again as a line after mAb2"),
    }
    responses = list(v.get("salvage_responses") or ())
    for cls, short in LINE_CLASSES:
        mine = [r for c, r in responses if c == cls]
        if not mine:
            value, why = None, f"no {cls} line after mAb2 (not applicable)"
        elif "cr" in mine:
            value, why = True, f"CR to a {cls} line after mAb2"
        elif None in mine:
            value, why = None, f"unknown: no CR to a {cls} line after mAb2 and a response is unknown"
        else:
            value, why = False, f"no CR to the {cls} line(s) after mAb2"
        out[f"cr_after_mab2_{short}"] = (value, why)
    return out


def categories(v: dict) -> dict[str, tuple[object, str]]:
    return {**transplant_categories(v), **after_mab2_categories(v)}


__all__ = ["categories", "transplant_categories", "after_mab2_categories", "sex_pair", "prophylaxis_category",
           "TX_COLUMNS"]
