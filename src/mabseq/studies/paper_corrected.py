"""The corrected analyses beside the naive ones (study-definition 6.1): where the paper compares groups formed after
the origin (alloHSCT or a CR after mAb2, a CR to salvage), groups followed from a relapse but counted only once
they reached mAb2 (left truncation), or groups by a marker read at the event itself (CD19 at the EFS event), the
figure's caption names the analysis that corrects it and shows its estimate: the time-dependent (Mantel-Byar,
time-varying Cox) and landmark analyses of ``paper_immortal`` / ``paper_extensions``, the left-truncated estimates
and Tsai's test of the quasi-independence they assume, the relabelled Figure 3A (cumulative incidence of relapse
by CD19 at it).

Only record ids are attached here (Curve.corrected); the records are computed where the analyses are, and the
renderer only shows them. The chosen landmark is the one the analysis stored in ``meta`` (never parsed from a note).
"""
from __future__ import annotations

import re

from ..results.records import PLACEHOLDER, Record, ResultSet

TSAI = ("Tsai's test of quasi-independence of entry and survival", "ext_quasi_indep_os_relapse1_p")


def _left_truncated(stem: str, groups: tuple[str, str], scope: str = "") -> list[tuple[str, str]]:
    """OS from the post-blinatumomab relapse counted from mAb2 (each patient at risk once in the cohort)."""
    return [*((f"1-year OS left-truncated at mAb2{scope}, {{{g}}}", f"{stem}_{g.lower()}_pct") for g in groups),
            ("log-rank with delayed entry", f"{stem}_p"), TSAI]


def _time_dependent(stem: str, landmark: int | None, origin: str = "") -> list[tuple[str, str]]:
    """A response reached after the origin as a time-dependent group (``origin``: when it differs from the
    figure's)."""
    out = [(f"Mantel-Byar{origin} (response as time-dependent)", f"ext_{stem}_mantel_byar_p"),
           (f"time-varying Cox HR{origin}", f"ext_{stem}_cox_hr")]
    if landmark is not None:
        out.append((f"landmark day {landmark}{origin} log-rank", f"ext_{stem}_landmark_d{landmark}_p"))
    return out


def corrections(res: ResultSet) -> dict[str, list[tuple[str, str]]]:
    """Curve id -> (label, record id) of its corrected analyses; labels in braces are group names."""
    lm = res.meta.get("landmarks", {})
    tx_lm = res.meta.get("landmark_tx_days")
    lt = "ext_os_relapse1_lt"
    return {
        "fig2b_os_mab2_tx": [("Mantel-Byar (alloHSCT as time-dependent)", "ext_mantel_byar_tx_p"),
                             ("time-varying Cox HR", "ext_cox_tx_hr"),
                             *([(f"landmark day {tx_lm} log-rank", f"ext_landmark_tx_d{tx_lm}_p")]
                               if tx_lm is not None else [])],
        "fig3a_efs_cd19": [("CD19 is read at the EFS event itself, so the groups describe the events: cumulative "
                            "incidence by 1 year of a CD19-neg/dim relapse or progression (CD19-positive ones "
                            "competing; all blinatumomab-first patients)", "ext_rel1_cd19_cd19negdim_d365_pct"),
                           ("of a CD19-positive one", "ext_rel1_cd19_cd19pos_d365_pct")],
        "fig3b_os_cd19": _left_truncated(f"{lt}_cd19", ("BF-CD19N", "BF-CD19P")),
        "txt_os_cr_blina": _left_truncated(f"{lt}_cr_blina", ("BF-CRB", "BF-NCRB")),
        "fig3c_os_interim": _left_truncated(f"{lt}_interim", ("BF-INT", "BF-NOINT")),
        # a CR to inotuzumab comes after mAb2: the time-dependent analyses correct it; left truncation at mAb2 only
        # removes the survival guaranteed up to mAb2
        "txt_os_cr_ino": _time_dependent("cr_ino", lm.get("ext_cr_ino"), " (OS from mAb2)")
        + _left_truncated(f"{lt}_cr_ino", ("BF-CRI", "BF-NCRI"), " (corrects the time to mAb2 only)"),
        "txt_ntx_os_salvage": _time_dependent("salvage_cr", lm.get("ext_salvage_cr")),
    }


def attach_corrections(res: ResultSet) -> None:
    """Set each naive curve's corrected analyses (those the results hold; group names in labels become the
    groups' display labels)."""
    names = res.meta.get("group_labels", {})
    for cid, pairs in corrections(res).items():
        c = res.curves.get(cid)
        if c is None:
            continue
        c.corrected = [[re.sub(r"\{([^}]+)\}", lambda m: names.get(m.group(1), m.group(1)), label), rid]
                       for label, rid in pairs if rid in res.records]


# an analysis whose records are absent shares the reason of the one computed with it (the time-varying Cox model
# and Mantel-Byar need the same follow-up before and after a transplant)
SAME_REASON = {"ext_cox_tx": "ext_mantel_byar_tx"}
_STATISTIC = (("_ci_low", "ci_low"), ("_ci_high", "ci_high"), ("_hr", "hr"), ("_p", "p_value"),
              ("_pct", "estimate_pct"))


def explain_absent_placeholders(res: ResultSet) -> None:
    """A placeholder of the Results text whose record the study did not make (its analysis was not computed for
    this cohort) becomes a record without a value whose note is that analysis' reason, so the text shows NA and
    says why (never a silent gap)."""
    nc = res.meta.get("not_computed", {})
    for texts in res.text.values():
        for t in texts:
            for rid in (m.group(1) for m in PLACEHOLDER.finditer(t)):
                if rid in res.records:
                    continue
                keys = [k for k in nc if rid.startswith(k)]
                keys += [SAME_REASON[k] for k in SAME_REASON if rid.startswith(k) and SAME_REASON[k] in nc]
                reason = nc[max(keys, key=len)]["reason"] if keys else "not computed for this cohort"
                stat = next((st for sfx, st in _STATISTIC if rid.endswith(sfx)), "n")
                res.add(Record(rid, None, stat, note=reason, block="Results", extension=rid.startswith("ext_")))
