"""Fidelity: every published number beside this cohort's, with the study-definition match rule (section 5).

Rules: counts exact; percentages, medians, quartiles, ranges, months and survival estimates equal after half-up
rounding to the printed decimals; Kaplan-Meier CI limits within 0.1 percentage points; p-values (reproducible ids
only) equal at 2 decimals; plus the named exceptions (5.2). Ids the plan excludes (5.3) are shown with the reason,
never asserted.
"""
from __future__ import annotations

import math
from decimal import Decimal
from importlib import resources

import pandas as pd

from .format import round_half_up
from .records import ResultSet

# study-definition 5.3: excluded ids (contradicted by the paper itself) -> reason
EXCLUDED = {}
for _ids, _why in [
    ("txt_interim_n txt_interim_pct txt_in_blina_immediately_n disc_ino_next_immediate_pct", "I1, I27"),
    ("txt_tx_relapse_n txt_tx_relapse_pct", "I2"), ("txt_ntx_died_pd_n", "I3"),
    ("t2_cr_ino_pct_nointerim t2_nr_ino_pct_nointerim", "I6 (misprint)"), ("t2_ph_pos_pct_interim", "I7"),
    ("t3_age_tx_q1 t3_age_tx_q3", "I8"), ("disc_sos_pre_tx_n disc_sos_post_tx_n disc_sos_post_tx_timing_n", "I9"),
    ("disc_sos_pct", "I10"), ("txt_tx_sos_clo_thio_mel_n", "I11"), ("txt_os_1y_after_mab2_ci_high", "I13"),
    ("txt_cart_after_mab2_n", "I14"),
    ("txt_bl_ino_total_dose_median txt_bl_ino_total_dose_min txt_bl_ino_total_dose_max", "I15"),
    ("disc_ino_then_blina_consolidation_n", "I16"),
    ("disc_ntx_durable_control_pct disc_ntx_durable_control_months", "I19"),
    ("t2_mll_r_p t2_cns_relapse_p", "I21 (swapped)"), ("t2_cyto_high_p t2_burden_mab1_p t2_site_mab1_p", "I22"),
    ("txt_mrdneg_cr_after_mab1_pct", "I23 (truncated)"), ("abs_relapsed_n abs_relapsed_pct", "I25 (undefined)"),
    ("disc_trm_pct disc_tx_of_cr_mab2_pct", "I27"),
]:
    for _id in _ids.split():
        EXCLUDED[_id] = _why

# 5.4: asserted only under a stated reading -> a mismatch warns instead of failing
WARN_ONLY = {"txt_bl_time_to_relapse_median_cd19pos", "txt_bl_time_to_relapse_median_cd19negdim",
             "txt_bl_time_to_relapse_cd19_p"}

P_ASSERTED = {"txt_bl_time_to_relapse_cd19_p", "t2_age_gt45_p", "t2_male_p", "t2_prior_allohsct_p", "t2_ph_pos_p", "t2_best_resp_blina_p",
              "t2_site_relapse_p", "t2_cr_ino_p", "txt_bl_cr_ino_interim_p", "t2_age_dx_p", "t2_prior_lines_p",
              "t2_blina_cycles_p", "t2_time_blina_to_relapse_p", "txt_bl_time_mab1_mab2_cd19_p",
              "txt_efs_1y_cd19_p", "txt_os_cd19_p", "txt_os_cr_blina_p", "txt_os_interim_p", "txt_os_cr_ino_p",
              "txt_ntx_os_salvage_cr_p"}


def published() -> pd.DataFrame:
    path = resources.files("mabseq") / "data" / "paper" / "published-results.csv"
    with path.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def _decimals(s: str) -> int:
    return len(s.split(".")[1]) if "." in s else 0


def match(pub_id: str, pub_value: str, statistic: str, computed) -> tuple[str, str]:
    """('match' | 'differs' | 'not computed', detail)."""
    if computed is None or (isinstance(computed, float) and not math.isfinite(computed)):
        return "not computed", ""
    if pub_value == "NR":
        return ("match", "") if computed == "NR" else ("differs", "published NR (not reached)")
    if isinstance(computed, str):
        return ("match", "") if computed == pub_value else ("differs", "")
    dec = _decimals(pub_value)
    pub = Decimal(pub_value)
    if statistic in ("ci_low_pct", "ci_high_pct"):
        tol = Decimal("0.2") if pub_id == "txt_os_1y_post_blina_relapse_nointerim_ci_high" else Decimal("0.1")
        diff = abs(Decimal(f"{float(computed):.10g}") - pub)
        return ("match" if diff <= tol + Decimal("1e-9") else "differs", f"|diff| {diff:.3f}")
    if pub_id == "t2_age_gt45_p":
        r = round_half_up(computed, 2)
        return ("match" if r in (Decimal("0.84"), Decimal("0.85")) else "differs", "accepts .84 or .85 (I22)")
    if pub_id == "txt_os_1y_after_tx_pct":
        ok = Decimal("31.15") <= Decimal(f"{float(computed):.10g}") <= Decimal("31.25")
        return ("match" if ok else "differs", "accepts [31.15, 31.25]")
    if statistic in ("n", "count_of"):
        return ("match" if Decimal(f"{float(computed):.10g}") == pub else "differs", "")
    r = round_half_up(computed, dec)
    return ("match" if r == pub else "differs", f"rounds to {r}")


PUBLISHED_STUDIES = {"paper"}  # the study presets whose published numbers are bundled (data/paper/)
COLUMNS = ["id", "source", "quantity", "statistic", "published", "computed", "status", "detail", "result_id"]


def fidelity_table(results: ResultSet) -> pd.DataFrame:
    """One row per published id: published, computed, status (match / differs / not computed / excluded). Empty
    for a study without a published reference."""
    if results.study not in PUBLISHED_STUDIES:
        return pd.DataFrame(columns=COLUMNS)
    pub = published()
    by_ref = {}
    for r in results.records.values():
        if r.paper_ref and not r.extension:
            by_ref.setdefault(r.paper_ref, r)
    rows = []
    for _, p in pub.iterrows():
        rec = by_ref.get(p["id"])
        computed = None if rec is None else rec.value
        if p["id"] in EXCLUDED:
            status, detail = "excluded", EXCLUDED[p["id"]]
        elif p["statistic"] == "p_value" and p["id"] not in P_ASSERTED:
            status, detail = "not asserted", "p-value not among the reproducible ids (5.1)"
        else:
            status, detail = match(p["id"], p["value"], p["statistic"], computed)
            if status == "differs" and p["id"] in WARN_ONLY:
                status = "differs (warning only)"
        rows.append({"id": p["id"], "source": p["source"], "quantity": p["quantity"], "statistic": p["statistic"],
                     "published": p["value"], "computed": computed, "status": status, "detail": detail,
                     "result_id": rec.id if rec else ""})
    return pd.DataFrame(rows, columns=COLUMNS)


def fidelity_summary(table: pd.DataFrame) -> dict:
    counts = table["status"].value_counts().to_dict()
    return {k: int(v) for k, v in sorted(counts.items())}
