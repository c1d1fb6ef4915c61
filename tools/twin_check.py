#!/usr/bin/env python
"""Fidelity check (and seeded construction) of the synthetic twin design of Wudhikarn et al., Blood Adv 2022.

    .venv/bin/python tools/twin_check.py              # recompute every published number from the design and compare
    .venv/bin/python tools/twin_check.py --only-fail  # print only the rows that do not match
    .venv/bin/python tools/twin_check.py --search     # rebuild twin_design.csv from the hand-made roster (seeded)

The design (src/mabseq/studies/twin_design.csv) holds one row per synthetic patient with analysis-level variables
(ages, days between events, categories). It is NOT patient data. The rules applied here are those of
shared/specs/study-definition.md: R type-7 quantiles, half-up rounding, Kruskal-Wallis for 2 groups, chi-square
without correction when the smallest expected count is >= 3 (else Fisher), Kaplan-Meier with log CI at S(365),
log-rank, reverse-KM follow-up, the match rule of section 5.1, the exceptions of 5.2, the exclusions of 5.3 and the
readings of 5.4. No randomness is used at check time; --search uses fixed seeds.
"""
from __future__ import annotations

import argparse
import math
import sys
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from mabseq.stats import (  # noqa: E402
    chi_square,
    expected_counts,
    fisher_exact,
    kaplan_meier,
    kruskal_wallis,
    logrank_test,
    median_followup,
    quantile,
)

DESIGN = ROOT / "src" / "mabseq" / "studies" / "twin_design.csv"
PUBLISHED = ROOT / "src" / "mabseq" / "data" / "paper" / "published-results.csv"  # the bundled copy
CUTOFF = date(2020, 6, 30)
MONTH = 30.4375
YEAR = 365

COLUMNS = [
    "pid", "seq", "age_dx", "sex", "cyto_risk", "ph_pos", "kmt2a_r", "emd_before_mab1", "site_mab1", "burden_mab1",
    "blasts_mab1", "frontline", "prior_lines", "prior_hsct", "prior_cart", "days_dx_mab1", "mab1_start",
    "days_mab1_mab2", "blina_cycles", "ino_cycles", "resp_mab1", "mrd_mab1", "days_mab1_event", "site_event1",
    "cns_event1", "cd19_event1", "cd22_event1", "hsct_between", "days_mab1_hsct", "interim_lines", "mab2_intent", "resp_mab2",
    "mrd_mab2", "ino_plus_chemo", "ponatinib", "crs_mab_blina", "icans_mab_blina", "transaminitis_ino",
    "hyperbili_ino", "days_mab2_event2", "cd19_event2", "cd22_event2", "tx", "tx_route", "days_mab2_tx",
    "last_ino_to_tx_days", "age_tx", "tx_status", "graft", "donor", "sex_pair", "hla", "cord_hla", "conditioning",
    "intensity", "prophylaxis", "cd34_dose", "engraft_days", "agvhd_grade", "agvhd_organs", "sos", "sos_severity",
    "days_tx_relapse", "no_tx_reason", "n_salvage_lines_after_mab2", "cart_after_mab2", "retreat_agent",
    "retreat_cr", "retreat_cr_days", "salvage_cr", "days_mab2_first_salvage", "dead", "days_mab2_last",
    "death_cause", "status_last",
]
INT_COLS = [
    "ph_pos", "kmt2a_r", "emd_before_mab1", "prior_lines", "prior_hsct", "prior_cart", "days_dx_mab1",
    "days_mab1_mab2", "blina_cycles", "ino_cycles", "days_mab1_event", "cns_event1", "hsct_between", "days_mab1_hsct", "interim_lines",
    "ponatinib", "crs_mab_blina", "icans_mab_blina", "transaminitis_ino", "hyperbili_ino", "days_mab2_event2", "tx",
    "days_mab2_tx", "last_ino_to_tx_days", "engraft_days", "sos", "days_tx_relapse", "n_salvage_lines_after_mab2",
    "cart_after_mab2", "retreat_cr", "retreat_cr_days", "salvage_cr", "days_mab2_first_salvage", "dead",
    "days_mab2_last",
]
FLOAT_COLS = ["age_dx", "blasts_mab1", "age_tx", "cd34_dose"]


# ---------------------------------------------------------------------------------------------------------------
# rounding and matching (study-definition 1.4, 5.1, 5.2)
# ---------------------------------------------------------------------------------------------------------------
def _dec(x) -> Decimal:
    if isinstance(x, Fraction):
        return Decimal(x.numerator) / Decimal(x.denominator)
    if isinstance(x, (int, np.integer)):
        return Decimal(int(x))
    return Decimal(f"{float(x):.10g}")  # 10 significant digits first: removes binary noise


def half_up(x, decimals: int) -> Decimal:
    q = Decimal(1).scaleb(-decimals)
    if isinstance(x, Fraction):
        # exact: scale, round half away from zero
        scaled = x * (10 ** decimals)
        fl = math.floor(scaled)
        frac = scaled - fl
        r = fl + 1 if frac >= Fraction(1, 2) else fl
        return (Decimal(r) * q).quantize(q)
    return _dec(x).quantize(q, rounding=ROUND_HALF_UP)


def decimals_of(s: str) -> int:
    return len(s.split(".")[1]) if "." in s else 0


def fmt(x) -> str:
    if x is None:
        return "-"
    if isinstance(x, str):
        return x
    if isinstance(x, Fraction):
        return f"{float(x):.4f}".rstrip("0").rstrip(".")
    if isinstance(x, (int, np.integer)):
        return str(int(x))
    if isinstance(x, float) and math.isnan(x):
        return "NR"
    return f"{float(x):.4f}".rstrip("0").rstrip(".")


def is_nan(x) -> bool:
    return isinstance(x, float) and math.isnan(x)


def match(pid: str, stat: str, printed: str, computed) -> bool:
    if computed is None:
        return False
    if printed == "NR":
        return is_nan(computed) or computed == "NR"
    if is_nan(computed) if not isinstance(computed, (str, Fraction)) else False:
        return False
    if stat in ("n", "count_of"):
        return int(computed) == int(printed)
    if pid == "txt_os_1y_after_tx_pct":  # 5.2: [31.15, 31.25], ends included
        return 31.15 - 1e-9 <= float(computed) <= 31.25 + 1e-9
    if stat in ("ci_low_pct", "ci_high_pct"):
        tol = 0.2 if pid == "txt_os_1y_post_blina_relapse_nointerim_ci_high" else 0.1
        return abs(float(computed) - float(printed)) <= tol + 1e-9
    if stat == "p_value":
        got = half_up(computed, 2)
        if pid == "t2_age_gt45_p":
            return got in (Decimal("0.84"), Decimal("0.85"))
        return got == Decimal(printed)
    # pct, estimate_pct, median, q1, q3, min, max, months, days
    return half_up(computed, decimals_of(printed)) == Decimal(printed)


# ---------------------------------------------------------------------------------------------------------------
# statuses (study-definition 5.3 exclusions, 5.4 readings)
# ---------------------------------------------------------------------------------------------------------------
EXCLUDED = {
    "txt_interim_n": "I1", "txt_interim_pct": "I1", "txt_in_blina_immediately_n": "I1",
    "disc_ino_next_immediate_pct": "I1/I27", "txt_tx_relapse_n": "I2", "txt_tx_relapse_pct": "I2",
    "txt_ntx_died_pd_n": "I3", "t2_cr_ino_pct_nointerim": "I6", "t2_nr_ino_pct_nointerim": "I6",
    "t2_ph_pos_pct_interim": "I7", "t3_age_tx_q1": "I8", "t3_age_tx_q3": "I8", "disc_sos_pre_tx_n": "I9",
    "disc_sos_post_tx_n": "I9", "disc_sos_post_tx_timing_n": "I9", "disc_sos_pct": "I10",
    "txt_tx_sos_clo_thio_mel_n": "I11", "txt_os_1y_after_mab2_ci_high": "I13", "txt_cart_after_mab2_n": "I14",
    "txt_bl_ino_total_dose_median": "I15", "txt_bl_ino_total_dose_min": "I15", "txt_bl_ino_total_dose_max": "I15",
    "disc_ino_then_blina_consolidation_n": "I16", "disc_ntx_durable_control_pct": "I19",
    "disc_ntx_durable_control_months": "I19", "t2_mll_r_p": "I21", "t2_cns_relapse_p": "I21",
    "t2_cyto_high_p": "I22", "t2_burden_mab1_p": "I22", "t2_site_mab1_p": "I22",
    "txt_mrdneg_cr_after_mab1_pct": "I23", "abs_relapsed_n": "I25", "abs_relapsed_pct": "I25",
    "disc_trm_pct": "I27", "disc_tx_of_cr_mab2_pct": "I27",
}
# published numbers that no cohort can reproduce together with the asserted ones (docs/TWIN.md, "new findings");
# reported as NO MATCH but they do not fail the exit status
KNOWN_INFEASIBLE = {
    "disc_time_ino_tx_median": "last-dose anchor impossible with 37.5 (Abstract) and the SOS intervals; the "
                               "start-of-mAb2 median over the 11 inotuzumab-mAb2 transplants is 40 in the twin",
}
# 5.4: a mismatch of these is a warning (I24), not a failure
WARN_ONLY = {"txt_bl_time_to_relapse_median_cd19pos", "txt_bl_time_to_relapse_median_cd19negdim",
             "txt_bl_time_to_relapse_cd19_p"}
READING = {
    "txt_bl_time_to_relapse_median_cd19pos": "I24", "txt_bl_time_to_relapse_median_cd19negdim": "I24",
    "txt_bl_time_to_relapse_cd19_p": "I24", "disc_time_ino_tx_median": "I12 last-dose anchor",
    "disc_sos_post_tx_time_last_ino_tx_1": "I12 last-dose anchor", "disc_sos_post_tx_time_last_ino_tx_2": "I12 last-dose anchor",
    "disc_sos_post_tx_time_last_ino_tx_3": "I12 last-dose anchor", "txt_tx_tcd_n": "I5 engrafted TCD",
    "txt_bl_allohsct_of_cr_ino_n": "I17 direct route", "txt_bl_allohsct_of_cr_ino_pct": "I17 direct route",
    "txt_tx_agvhd_n": "I4", "txt_tx_agvhd_pct": "I4", "txt_tx_agvhd_ge3_n": "I4/I18",
    "txt_tx_agvhd_ge3_gi3_n": "I18", "txt_tx_agvhd_ge3_gi2_n": "I18", "txt_tx_agvhd_ge3_liver3_n": "I18",
    "t3_agvhd_grade1_n": "I4", "t3_agvhd_grade2_n": "I4", "t3_agvhd_grade3_n": "I4/I18", "t3_agvhd_grade4_n": "I4/I18",
    "t1_emd_n_all": "I26", "t1_emd_n_blina1": "I26", "t1_emd_n_ino1": "I26", "txt_bl_sos_grade3_n": "I29",
    "txt_bl_sos_grade5_n": "I29", "disc_sos_grade5_post_tx_n": "I29", "meth_age_eligibility_min": "threshold",
}


# ---------------------------------------------------------------------------------------------------------------
# loading and derived variables
# ---------------------------------------------------------------------------------------------------------------
def load_design(path: Path = DESIGN) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return typed(df)


def typed(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in INT_COLS:
        df[c] = pd.to_numeric(df[c].replace("", np.nan)).astype("Float64")
    for c in FLOAT_COLS:
        df[c] = pd.to_numeric(df[c].replace("", np.nan)).astype(float)
    return df


def arr(s) -> np.ndarray:
    return np.asarray(pd.to_numeric(s), dtype=float)


class Cohort:
    """Masks and derived endpoints used by the published blocks."""

    def __init__(self, df: pd.DataFrame):
        self.df = df
        d = df
        self.full = np.ones(len(d), dtype=bool)
        self.bf = (d.seq == "BF").to_numpy()
        self.if_ = (d.seq == "IF").to_numpy()
        self.interim = (d.interim_lines.fillna(0) > 0).to_numpy(dtype=bool)
        self.int_ = self.bf & self.interim
        self.noint = self.bf & ~self.interim
        self.cd19n = self.bf & (d.cd19_event1 == "negdim").to_numpy()
        self.cd19p = self.bf & (d.cd19_event1 == "pos").to_numpy()
        self.cr1 = (d.resp_mab1 == "cr").to_numpy()
        self.cr2 = (d.resp_mab2 == "cr").to_numpy()
        self.crb = self.bf & self.cr1
        self.ncrb = self.bf & ~self.cr1
        self.cri = self.bf & self.cr2
        self.ncri = self.bf & ~self.cr2
        self.tx = (d.tx.fillna(0) == 1).to_numpy(dtype=bool)
        self.ntx = ~self.tx
        self.dead = (d.dead.fillna(0) == 1).to_numpy(dtype=bool)
        self.ntx_salv = self.ntx & (d.n_salvage_lines_after_mab2.fillna(0) > 0).to_numpy(dtype=bool)
        self.salv_cr = (d.salvage_cr.fillna(0) == 1).to_numpy(dtype=bool)
        self.engrafted = self.tx & d.engraft_days.notna().to_numpy()
        self.tcd = self.tx & (d.prophylaxis == "tcd").to_numpy()
        self.agvhd = self.tx & (d.agvhd_grade.isin(["1", "2", "3", "4", "ungraded"])).to_numpy()
        self.sos = self.tx & (d.sos.fillna(0) == 1).to_numpy(dtype=bool)
        # times
        self.t2 = arr(d.days_mab2_last)
        self.ev = self.dead.astype(int)
        self.e1 = arr(d.days_mab1_event)
        self.m12 = arr(d.days_mab1_mab2)
        self.trel = self.m12 - self.e1 + self.t2
        self.mab2_tx = arr(d.days_mab2_tx)
        self.t0 = self.t2 - self.mab2_tx
        self.tx_rel = arr(d.days_tx_relapse)
        relapsed_tx = self.tx & ~np.isnan(self.tx_rel)
        self.tx_efs_t = np.where(relapsed_tx, self.tx_rel, self.t0)
        self.tx_efs_e = (relapsed_tx | self.dead).astype(int)
        self.age_mab1 = arr(d.age_dx) + arr(d.days_dx_mab1) / 365.25


def pct(n: int, N: int) -> Fraction:
    return Fraction(100 * int(n), int(N))


def q7(x, p: float) -> float:
    x = np.asarray(x, dtype=float)
    x = x[~np.isnan(x)]
    return float(quantile(x, [p], type=7)[0])


def km365(t, e):
    fit = kaplan_meier(np.asarray(t, float), np.asarray(e, int))
    row = fit.at([YEAR]).iloc[0]
    return 100 * row.surv, 100 * row.lower, 100 * row.upper


def cat_p(table) -> float:
    """Study-definition 1.7: Pearson chi-square (no correction) if the smallest expected count >= 3, else Fisher."""
    tab = np.asarray(table, dtype=float)
    tab = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0]
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        return float("nan")
    if expected_counts(tab).min() >= 3:
        return chi_square(tab, correct=False).p_value
    return fisher_exact(tab).p_value


def lr_p(t, e, g) -> float:
    return logrank_test(np.asarray(t, float), np.asarray(e, int), np.asarray(g)).p_value


def kw_p(x, g) -> float:
    return kruskal_wallis(np.asarray(x, float), np.asarray(g)).p_value


# ---------------------------------------------------------------------------------------------------------------
# computation of every published id that the design can support
# ---------------------------------------------------------------------------------------------------------------
def compute(df: pd.DataFrame, blocks=("t1", "t2", "t3", "txt", "surv")) -> dict:
    c = Cohort(df)
    d = df
    out: dict[str, object] = {}

    def count(mask):
        return int(np.sum(mask))

    def summ(prefix, values, mask, suffix, stats=("median", "q1", "q3")):
        x = np.asarray(values, float)[mask]
        x = x[~np.isnan(x)]
        for s in stats:
            if s == "median":
                v = q7(x, 0.5)
            elif s == "q1":
                v = q7(x, 0.25)
            elif s == "q3":
                v = q7(x, 0.75)
            elif s == "min":
                v = float(np.min(x))
            else:
                v = float(np.max(x))
            out[f"{prefix}_{s}{suffix}"] = v

    male = (d.sex == "male").to_numpy()
    ph = (d.ph_pos.fillna(0) == 1).to_numpy(dtype=bool)
    mll = (d.kmt2a_r.fillna(0) == 1).to_numpy(dtype=bool)
    emd = (d.emd_before_mab1.fillna(0) == 1).to_numpy(dtype=bool)
    mrd_burden = (d.burden_mab1 == "mrd").to_numpy()
    prior_hsct = (d.prior_hsct.fillna(0) == 1).to_numpy(dtype=bool)
    prior_cart = (d.prior_cart.fillna(0) == 1).to_numpy(dtype=bool)
    age = arr(d.age_dx)
    lines = arr(d.prior_lines)
    blasts = arr(d.blasts_mab1)
    bc = arr(d.blina_cycles)
    ic = arr(d.ino_cycles)

    # ---------------- Table 1 ----------------
    if "t1" in blocks:
        for sfx, m in (("_all", c.full), ("_blina1", c.bf), ("_ino1", c.if_)):
            out[f"t1_n{sfx}"] = count(m)
            summ("t1_age_dx", age, m, sfx)
            out[f"t1_male_n{sfx}"] = count(male & m)
            out[f"t1_male_pct{sfx}"] = pct(count(male & m), count(m))
            for key, lev in (("high", "high"), ("std", "standard"), ("missing", "missing")):
                k = (d.cyto_risk == lev).to_numpy() & m
                out[f"t1_cyto_{key}_n{sfx}"] = count(k)
                out[f"t1_cyto_{key}_pct{sfx}"] = pct(count(k), count(m))
            for key, mask in (("ph_pos", ph), ("emd", emd), ("prior_allohsct", prior_hsct), ("prior_cart", prior_cart),
                              ("mrd_at_mab1", mrd_burden), ("interim", c.interim), ("allohsct_after_mab2", c.tx),
                              ("firstline_relapse_after_cr", (d.frontline == "cr").to_numpy()),
                              ("firstline_refractory", (d.frontline == "refractory").to_numpy())):
                out[f"t1_{key}_n{sfx}"] = count(mask & m)
                out[f"t1_{key}_pct{sfx}"] = pct(count(mask & m), count(m))
            summ("t1_prior_lines", lines, m, sfx, ("median", "min", "max"))
            summ("t1_bm_blast", blasts, m, sfx)
            summ("t1_time_mab1_mab2", c.m12, m, sfx)
            summ("t1_blina_cycles", bc, m, sfx, ("median", "min", "max"))
            summ("t1_ino_cycles", ic, m, sfx, ("median", "min", "max"))

    # ---------------- Table 2 (BF by interim therapy) ----------------
    if "t2" in blocks:
        groups = (("_all", c.bf), ("_nointerim", c.noint), ("_interim", c.int_))
        gvec = np.where(c.int_, "interim", "nointerim")[c.bf]

        def two_by(mask_yes):
            return [[count(mask_yes & c.noint), count(~mask_yes & c.noint)],
                    [count(mask_yes & c.int_), count(~mask_yes & c.int_)]]

        out["t2_n_all"], out["t2_n_nointerim"], out["t2_n_interim"] = count(c.bf), count(c.noint), count(c.int_)
        for sfx, m in groups:
            summ("t2_age_dx", age, m, sfx)
            summ("t2_prior_lines", lines, m, sfx, ("median", "min", "max"))
            summ("t2_blina_cycles", bc, m, sfx, ("median", "min", "max"))
            summ("t2_time_blina_to_relapse", c.e1, m, sfx)
        out["t2_age_dx_p"] = kw_p(age[c.bf], gvec)
        out["t2_prior_lines_p"] = kw_p(lines[c.bf], gvec)
        out["t2_blina_cycles_p"] = kw_p(bc[c.bf], gvec)
        out["t2_time_blina_to_relapse_p"] = kw_p(c.e1[c.bf], gvec)
        binary = {
            "age_gt45": age > 45, "male": male, "prior_allohsct": prior_hsct,
            "cyto_high": (d.cyto_risk == "high").to_numpy(), "ph_pos": ph, "mll_r": mll,
            "cns_relapse": (d.cns_event1.fillna(0) == 1).to_numpy(dtype=bool),
        }
        for key, mask in binary.items():
            for sfx, m in groups:
                out[f"t2_{key}_n{sfx}"] = count(mask & m)
                out[f"t2_{key}_pct{sfx}"] = pct(count(mask & m), count(m))
            out[f"t2_{key}_p"] = cat_p(two_by(mask))
        multi = {
            "burden": ("burden_mab1", {"mrd": "mrd", "morph": "morphologic"}, "t2_burden_mab1_p"),
            "site_mab1": ("site_mab1", {"marrow": "marrow", "em": "extramedullary", "both": "both"}, "t2_site_mab1_p"),
            "best_resp_blina": ("resp_mab1", {"cr": "cr", "nr": "nr"}, "t2_best_resp_blina_p"),
            "site_relapse": ("site_event1", {"marrow": "marrow", "em": "extramedullary", "both": "both"}, "t2_site_relapse_p"),
            "cr_ino": ("resp_mab2", {"cr": "cr", "nr": "nr"}, "t2_cr_ino_p"),
        }
        for key, (column, levels, pid) in multi.items():
            table = []
            for short, lev in levels.items():
                k = (d[column] == lev).to_numpy()
                name = f"t2_{key}_{short}" if key not in ("cr_ino",) else f"t2_{short}_ino"
                for sfx, m in groups:
                    out[f"{name}_n{sfx}"] = count(k & m)
                    out[f"{name}_pct{sfx}"] = pct(count(k & m), count(m))
                table.append([count(k & c.noint), count(k & c.int_)])
            out[pid] = cat_p(np.asarray(table).T)

    # ---------------- Table 3 and the transplant text ----------------
    if "t3" in blocks:
        tx = c.tx
        ntx = count(tx)
        out["t3_n"] = ntx
        out["fig4_n_allohsct"] = ntx
        age_tx = arr(d.age_tx)
        summ("t3_age_tx", age_tx, tx, "")
        cats = {
            "status_mrdneg_cr": ("tx_status", "cr_mrd_neg"), "status_mrdpos_cr": ("tx_status", "cr_mrd_pos"),
            "graft_bm": ("graft", "bm"), "graft_pb": ("graft", "pbsc"), "graft_cord": ("graft", "cord"),
            "donor_mrd_sib": ("donor", "matched_sibling"), "donor_haplo": ("donor", "haploidentical"),
            "donor_unrelated": ("donor", "unrelated"), "donor_cord": ("donor", "cord"),
            "sex_mm": ("sex_pair", "male-male"), "sex_mf": ("sex_pair", "male-female"),
            "sex_fm": ("sex_pair", "female-male"), "sex_ff": ("sex_pair", "female-female"), "sex_na": ("sex_pair", "na"),
            "hla_10of10": ("hla", "10/10"), "hla_9of10": ("hla", "9/10"), "hla_le8of10": ("hla", "<=8/10"),
            "cond_mac_clo_bu": ("conditioning", "clo_bu"), "cond_mac_cy_thio_tbi": ("conditioning", "cy_thio_tbi"),
            "cond_mac_flu_cy_thio_tbi": ("conditioning", "flu_cy_thio_tbi"),
            "cond_mac_clo_mel_thio": ("conditioning", "clo_mel_thio"),
            "cond_ric_flu_cy_tbi200": ("conditioning", "flu_cy_tbi200"), "cond_ric_flu_mel": ("conditioning", "flu_mel"),
            "gvhdppx_tcd": ("prophylaxis", "tcd"), "gvhdppx_ptcy": ("prophylaxis", "ptcy"),
            "gvhdppx_mtx_cni": ("prophylaxis", "mtx_cni"), "gvhdppx_cni_mmf": ("prophylaxis", "cni_mmf"),
        }
        for key, (column, lev) in cats.items():
            k = (d[column] == lev).to_numpy() & tx
            out[f"t3_{key}_n"] = count(k)
            out[f"t3_{key}_pct"] = pct(count(k), ntx)
        rel = tx & d.donor.isin(["matched_sibling", "haploidentical"]).to_numpy()
        out["t3_donor_related_n"], out["t3_donor_related_pct"] = count(rel), pct(count(rel), ntx)
        cord_hla = [v for v in d.cord_hla[tx & (d.sex_pair == "na").to_numpy()] if v]
        if cord_hla:
            out["t3_fn_cord_hla_match_n"] = int(cord_hla[0].split("/")[0])
        summ("t3_cd34_dose", arr(d.cd34_dose), tx, "")
        summ("t3_engraft_anc", arr(d.engraft_days), c.engrafted, "")
        graded = tx & d.agvhd_grade.isin(["1", "2", "3", "4"]).to_numpy()
        for g in "1234":
            k = tx & (d.agvhd_grade == g).to_numpy()
            out[f"t3_agvhd_grade{g}_n"] = count(k)
            out[f"t3_agvhd_grade{g}_pct"] = pct(count(k), count(graded))
        out["t3_sos_n"], out["t3_sos_pct"] = count(c.sos), pct(count(c.sos), ntx)
        rel_tx = tx & ~np.isnan(c.tx_rel)
        out["t3_relapse_after_tx_n"], out["t3_relapse_after_tx_pct"] = count(rel_tx), pct(count(rel_tx), ntx)
        txd = tx & c.dead
        pd_death = txd & (d.death_cause == "progression").to_numpy()
        nrm = txd & ~rel_tx  # operational NRM: death with no relapse since day 0
        out["t3_death_pd_n"], out["t3_death_pd_pct"] = count(pd_death), pct(count(pd_death), count(txd))
        out["t3_death_in_remission_n"], out["t3_death_in_remission_pct"] = count(nrm), pct(count(nrm), count(txd))
        # text of the alloHSCT section and Abstract
        route = d.tx_route.to_numpy()
        out["txt_tx_n"] = ntx
        out["txt_tx_after_ino_mab2_n"] = count(tx & (route == "direct_ino"))
        out["txt_tx_after_blina_mab2_n"] = count(tx & (route == "direct_blina"))
        out["txt_tx_after_cart_n"] = count(tx & (route == "after_cart"))
        out["txt_tx_in_cr_n"] = count(tx & d.tx_status.isin(["cr_mrd_neg", "cr_mrd_pos"]).to_numpy())
        out["txt_tx_prior_allohsct_n"] = count(tx & (prior_hsct | (d.hsct_between.fillna(0) == 1).to_numpy(dtype=bool)))
        out["txt_tx_mac_n"] = count(tx & (d.intensity == "mac").to_numpy())
        out["txt_tx_tcd_n"] = count(c.tcd & c.engrafted)  # I5 reading: engrafted TCD recipients
        out["txt_tx_engraft_n"], out["txt_tx_engraft_pct"] = count(c.engrafted), pct(count(c.engrafted), ntx)
        summ("txt_tx_engraft_days", arr(d.engraft_days), c.engrafted, "")
        out["txt_tx_agvhd_n"], out["txt_tx_agvhd_pct"] = count(c.agvhd), pct(count(c.agvhd), ntx)
        ge3 = tx & d.agvhd_grade.isin(["3", "4"]).to_numpy()
        out["txt_tx_agvhd_ge3_n"] = count(ge3)
        organs = d.agvhd_organs.fillna("").to_numpy()
        for key, org in (("gi3", "gi3"), ("gi2", "gi2"), ("liver3", "liver3")):
            out[f"txt_tx_agvhd_ge3_{key}_n"] = count(ge3 & np.array([org in o.split(";") for o in organs]))
        out["abs_agvhd_pct"] = pct(count(c.agvhd), ntx)
        out["abs_agvhd_ge3_pct"] = pct(count(ge3), ntx)
        out["abs_nrm_pct"] = pct(count(nrm), ntx)
        tcd_e = c.tcd & c.engrafted
        un_e = tx & ~c.tcd & c.engrafted
        out["txt_tx_agvhd_pct_tcd"] = pct(count(c.agvhd & tcd_e), count(tcd_e))
        out["txt_tx_agvhd_pct_unmanip"] = pct(count(c.agvhd & un_e), count(un_e))
        out["txt_tx_sos_n"] = count(c.sos)
        summ("txt_tx_sos_time_ino_tx", c.mab2_tx, c.sos, "", ("median", "min", "max"))
        cond = d.conditioning.to_numpy()
        out["txt_tx_sos_clo_thio_mel_n"] = count(c.sos & (cond == "clo_mel_thio"))
        out["txt_tx_sos_flu_cy_thio_n"] = count(c.sos & (cond == "flu_cy_thio_tbi"))
        out["abs_time_mab2_allohsct_median"] = q7(c.mab2_tx[tx], 0.5)
        out["abs_allohsct_of_cr_mab2_n"] = count(tx & c.cr2)
        out["abs_allohsct_of_cr_mab2_pct"] = pct(count(tx & c.cr2), count(c.cr2))
        # deaths after alloHSCT
        out["txt_tx_died_n"], out["txt_tx_died_pct"] = count(txd), pct(count(txd), ntx)
        mac = tx & (d.intensity == "mac").to_numpy()
        out["txt_tx_died_mac_n"] = count(txd & mac)
        out["txt_tx_died_nma_n"] = count(txd & tx & ~mac)
        alive_tx = tx & ~c.dead
        out["txt_tx_alive_n"] = count(alive_tx)
        out["txt_tx_alive_remission_n"] = count(alive_tx & (d.status_last == "cr").to_numpy())
        out["txt_tx_alive_active_n"] = count(alive_tx & (d.status_last != "cr").to_numpy())
        out["txt_tx_relapse_n"], out["txt_tx_relapse_pct"] = count(rel_tx), pct(count(rel_tx), ntx)
        cause = d.death_cause.to_numpy()
        for key, lev in (("pd", "progression"), ("infection", "infection"), ("agvhd", "agvhd"), ("sos", "sos"),
                         ("organ", "organ_toxicity")):
            out[f"txt_tx_cod_{key}_n"] = count(txd & (cause == lev))
        # last-dose anchor (I12; study-definition 5.4)
        last = arr(d.last_ino_to_tx_days)
        ino2 = tx & c.bf
        if not np.all(np.isnan(last[ino2])):
            out["disc_time_ino_tx_median"] = q7(last[ino2], 0.5)
            sos_last = sorted(last[c.sos][~np.isnan(last[c.sos])])
            # the Discussion lists three SOS patients' intervals in ascending order: 23, 40, 44
            wanted = [23, 40, 44]
            chosen = []
            pool = list(sos_last)
            for w in wanted:
                if w in pool:
                    chosen.append(w)
                    pool.remove(w)
                else:
                    chosen.append(None)
            for i, v in enumerate(chosen, 1):
                out[f"disc_sos_post_tx_time_last_ino_tx_{i}"] = v
        # Discussion SOS counts
        out["disc_sos_n"] = count(c.sos)
        out["disc_sos_pct"] = pct(count(c.sos), count(c.full))
        out["disc_sos_pre_tx_n"] = 0  # all SOS events of the twin are after alloHSCT (I9)
        out["disc_sos_post_tx_n"] = count(c.sos)
        out["disc_sos_post_tx_timing_n"] = count(c.sos)
        out["disc_sos_grade5_post_tx_n"] = count(c.sos & (d.sos_severity == "fatal").to_numpy())
        out["disc_trm_pct"] = pct(count(nrm), ntx)

    # ---------------- text statements ----------------
    if "txt" in blocks:
        N, nbf, nif = count(c.full), count(c.bf), count(c.if_)
        for pid in ("abs_n_total", "intro_n_total", "meth_n_total", "fig1_n_total", "txt_n_total"):
            out[pid] = N
        out["meth_age_eligibility_min"] = 15 if np.nanmin(c.age_mab1) >= 15 else float(np.nanmin(c.age_mab1))
        for pid in ("abs_blina_mab1", "txt_blina_mab1"):
            out[f"{pid}_n"], out[f"{pid}_pct"] = nbf, pct(nbf, N)
        out["fig1_blina_mab1_n"], out["fig1_ino_mab1_n"] = nbf, nif
        out["txt_ino_mab1_n"], out["txt_ino_mab1_pct"] = nif, pct(nif, N)
        out["abs_cd19_negdim_relapse_pct"] = pct(count(c.cd19n), nbf)
        out["disc_cd19_negdim_pct"] = pct(count(c.cd19n), nbf)
        for pid in ("abs_cr_ino_after_blina_pct", "disc_cr_ino_after_blina_pct", "disc_cr_ino_pct"):
            out[pid] = pct(count(c.cri), nbf)
        out["disc_n_blina_ino"] = nbf
        out["abs_time_mab1_mab2_median"] = q7(c.m12, 0.5)
        out["abs_died_n"], out["abs_died_pct"] = count(c.dead), pct(count(c.dead), N)
        out["txt_died_n"], out["txt_died_pct"] = count(c.dead), pct(count(c.dead), N)
        mrdneg1 = c.cr1 & (d.mrd_mab1 == "neg").to_numpy()
        out["txt_cr_after_mab1_n"], out["txt_cr_after_mab1_pct"] = count(c.cr1), pct(count(c.cr1), N)
        out["txt_mrdneg_cr_after_mab1_n"] = count(mrdneg1)
        out["txt_mrdneg_cr_after_mab1_pct"] = pct(count(mrdneg1), N)
        out["txt_cr_after_blina_mab1_n"] = count(c.crb)
        out["txt_cr_after_ino_mab1_n"] = count(c.cr1 & c.if_)
        out["txt_cr_after_mab2_n"], out["txt_cr_after_mab2_pct"] = count(c.cr2), pct(count(c.cr2), N)
        out["txt_cr_after_ino_mab2_n"] = count(c.cri)
        out["txt_cr_after_blina_mab2_n"] = count(c.cr2 & c.if_)
        summ("txt_time_mab1_mab2", c.m12, c.full, "")
        out["txt_interim_n"], out["txt_interim_pct"] = count(c.interim), pct(count(c.interim), N)
        out["txt_allohsct_after_mab2_n"] = count(c.tx)
        out["txt_allohsct_after_mab2_pct"] = pct(count(c.tx), N)
        cart2 = (d.cart_after_mab2.fillna(0) == 1).to_numpy(dtype=bool)
        route = d.tx_route.to_numpy()
        out["txt_cart_after_mab2_n"] = count(cart2)
        out["txt_cart_then_allohsct_n"] = count(cart2 & c.tx & (route == "after_cart"))
        # blinatumomab-first paragraph
        bf = c.bf
        out["txt_bl_n"] = nbf
        out["txt_bl_mrd_at_mab1_n"], out["txt_bl_mrd_at_mab1_pct"] = count(mrd_burden & bf), pct(count(mrd_burden & bf), nbf)
        morph = (d.burden_mab1 == "morphologic").to_numpy() & bf
        out["txt_bl_morph_at_mab1_n"], out["txt_bl_morph_at_mab1_pct"] = count(morph), pct(count(morph), nbf)
        pon = (d.ponatinib.fillna(0) == 1).to_numpy(dtype=bool)
        out["txt_bl_ph_ponatinib_with_blina_n"] = count(bf & ph & pon)
        summ("txt_bl_blina_cycles", bc, bf, "", ("median", "min", "max"))
        out["txt_bl_cr_blina_n"], out["txt_bl_cr_blina_pct"] = count(c.crb), pct(count(c.crb), nbf)
        out["txt_bl_mrdneg_cr_blina_n"] = count(c.crb & (d.mrd_mab1 == "neg").to_numpy())
        crs = arr(d.crs_mab_blina)
        icans = arr(d.icans_mab_blina)
        out["txt_bl_crs_pct"] = pct(count(bf & (crs > 0)), nbf)
        out["txt_bl_icans_pct"] = pct(count(bf & (icans > 0)), nbf)
        out["txt_bl_cd19_negdim_n"], out["txt_bl_cd19_negdim_pct"] = count(c.cd19n), pct(count(c.cd19n), nbf)
        out["txt_bl_cd19_pos_n"], out["txt_bl_cd19_pos_pct"] = count(c.cd19p), pct(count(c.cd19p), nbf)
        out["txt_bl_time_to_relapse_median_cd19pos"] = q7(c.e1[c.cd19p], 0.5)
        out["txt_bl_time_to_relapse_median_cd19negdim"] = q7(c.e1[c.cd19n], 0.5)
        g19 = np.where(c.cd19n, "negdim", "pos")[bf]
        out["txt_bl_time_to_relapse_cd19_p"] = kw_p(c.e1[bf], g19)
        hb = (d.hsct_between.fillna(0) == 1).to_numpy(dtype=bool) & bf
        out["txt_bl_allohsct_after_blina_n"], out["txt_bl_allohsct_after_blina_pct"] = count(hb), pct(count(hb), nbf)
        summ("txt_bl_ino_cycles", ic, bf, "", ("median", "min", "max"))
        chemo = d.ino_plus_chemo.to_numpy()
        pc = bf & np.isin(chemo, ["mini_hyper_cvd", "vincristine"])
        out["txt_bl_ino_plus_chemo_n"], out["txt_bl_ino_plus_chemo_pct"] = count(pc), pct(count(pc), nbf)
        out["txt_bl_ino_plus_minihcvd_n"] = count(bf & (chemo == "mini_hyper_cvd"))
        out["txt_bl_ino_plus_vcr_n"] = count(bf & (chemo == "vincristine"))
        out["txt_bl_ph_ponatinib_stopped_n"] = count(bf & ph & pon)  # the twin never gives a TKI with inotuzumab
        out["txt_bl_cr_ino_pct"], out["txt_bl_cr_ino_n"] = pct(count(c.cri), nbf), count(c.cri)
        mneg2 = (d.mrd_mab2 == "neg").to_numpy()
        mpos2 = (d.mrd_mab2 == "pos").to_numpy()
        out["txt_bl_mrdneg_cr_ino_pct"] = pct(count(c.cri & mneg2), nbf)
        for sfx, m in (("_cd19negdim", c.cd19n), ("_cd19pos", c.cd19p)):
            out[f"txt_bl_cr_ino_n{sfx}"] = count(c.cri & m)
            out[f"txt_bl_mrdneg_cr_ino_n{sfx}"] = count(c.cri & m & mneg2)
            out[f"txt_bl_mrdpos_cr_ino_n{sfx}"] = count(c.cri & m & mpos2)
            out[f"txt_bl_died_n{sfx}"] = count(c.dead & m)
        out["txt_bl_interim_n"], out["txt_bl_interim_pct"] = count(c.int_), pct(count(c.int_), nbf)
        summ("txt_bl_interim_lines", arr(d.interim_lines), c.int_, "", ("median", "min", "max"))
        out["txt_bl_time_mab1_mab2_median"] = q7(c.m12[bf], 0.5)
        out["txt_bl_time_mab1_mab2_median_cd19negdim"] = q7(c.m12[c.cd19n], 0.5)
        out["txt_bl_time_mab1_mab2_median_cd19pos"] = q7(c.m12[c.cd19p], 0.5)
        out["txt_bl_time_mab1_mab2_cd19_p"] = kw_p(c.m12[bf], g19)
        out["txt_bl_cr_ino_pct_interim"] = pct(count(c.cri & c.int_), count(c.int_))
        out["txt_bl_cr_ino_pct_nointerim"] = pct(count(c.cri & c.noint), count(c.noint))
        out["txt_bl_cr_ino_interim_p"] = cat_p([[count(c.cri & c.noint), count(c.noint & ~c.cri)],
                                                [count(c.cri & c.int_), count(c.int_ & ~c.cri)]])
        direct = c.tx & bf & (route == "direct_ino")
        out["txt_bl_allohsct_of_cr_ino_n"] = count(direct & c.cri)
        out["txt_bl_allohsct_of_cr_ino_pct"] = pct(count(direct & c.cri), count(c.cri))
        out["disc_tx_realization_pct"] = pct(count(c.tx & c.cri), count(c.cri))
        tr = (d.transaminitis_ino.fillna(0) == 1).to_numpy(dtype=bool)
        hb_ = (d.hyperbili_ino.fillna(0) == 1).to_numpy(dtype=bool)
        out["txt_bl_hepatotox_n"] = count(bf & (tr | hb_))
        out["txt_bl_transaminitis_n"] = count(bf & tr)
        out["txt_bl_hyperbili_n"] = count(bf & hb_)
        sev = d.sos_severity.to_numpy()
        out["txt_bl_sos_n"] = count(bf & c.sos)
        out["txt_bl_sos_grade3_n"] = count(bf & c.sos & (sev == "severe"))
        out["txt_bl_sos_grade5_n"] = count(bf & c.sos & (sev == "fatal"))
        cause = d.death_cause.to_numpy()
        out["txt_bl_died_n"], out["txt_bl_died_pct"] = count(bf & c.dead), pct(count(bf & c.dead), nbf)
        out["txt_bl_died_pd_n"] = count(bf & c.dead & (cause == "progression"))
        out["txt_bl_died_trm_n"] = count(bf & c.dead & (cause != "progression"))
        cd22 = d.cd22_event2.to_numpy()
        avail = bf & np.isin(cd22, ["pos", "negdim"])
        out["txt_bl_cd22_available_n"], out["txt_bl_cd22_available_pct"] = count(avail), pct(count(avail), nbf)
        out["txt_bl_cd22_pos_n"] = count(bf & (cd22 == "pos"))
        out["txt_bl_cd22_negdim_n"] = count(bf & (cd22 == "negdim"))
        # inotuzumab-first paragraph
        f = c.if_
        intent = d.mab2_intent.to_numpy()
        out["txt_in_n"] = nif
        out["txt_in_cr_ino_n"] = count(f & c.cr1)
        out["txt_in_persistent_ino_n"] = count(f & ~c.cr1)
        out["txt_in_ino_monotherapy_n"] = count(f & (chemo == "none"))
        out["txt_in_blina_immediately_n"] = count(f & ~c.interim)
        out["txt_in_blina_bridge_tx_n"] = count(f & c.cr1 & (intent == "bridge_tx"))
        out["txt_in_blina_consolidation_n"] = count(f & c.cr1 & (intent == "consolidation"))
        out["disc_ino_then_blina_consolidation_n"] = count(f & (intent == "consolidation"))
        out["txt_in_refractory_blina_n"] = count(f & ~c.cr1 & ~c.cr2)
        summ("txt_in_time_mab1_mab2", c.m12, f, "", ("median", "min", "max"))
        out["txt_in_cd19_cd22_persistent_n"] = count(f & (d.cd19_event2 == "pos").to_numpy() & (cd22 == "pos"))
        out["txt_in_hepatotox_sos_n"] = count(f & (tr | hb_ | c.sos))
        out["txt_in_crs_icans_g1_n"] = count(f & (crs == 1) & (icans == 1))
        out["txt_in_died_n"] = count(f & c.dead)
        out["txt_in_died_pd_n"] = count(f & c.dead & (cause == "progression"))
        out["txt_in_died_toxicity_n"] = count(f & c.dead & (cause != "progression"))
        st = d.status_last.to_numpy()
        out["txt_in_alive_cr_n"] = count(f & ~c.dead & (st == "cr"))
        out["txt_in_alive_disease_n"] = count(f & ~c.dead & (st != "cr"))
        out["disc_ino_next_immediate_pct"] = pct(count(c.noint), nbf)
        out["disc_tx_of_cr_mab2_pct"] = pct(count(c.tx & c.cr2), count(c.cr2))
        # not transplanted
        ntx = c.ntx
        nn = count(ntx)
        out["txt_ntx_n"] = nn
        reason = d.no_tx_reason.to_numpy()
        for key, lev in (("active", "active_disease"), ("pref", "preference"), ("trm", "death")):
            out[f"txt_ntx_reason_{key}_n"] = count(ntx & (reason == lev))
        out["txt_ntx_more_salvage_n"], out["txt_ntx_more_salvage_pct"] = count(c.ntx_salv), pct(count(c.ntx_salv), nn)
        summ("txt_ntx_salvage_lines", arr(d.n_salvage_lines_after_mab2), c.ntx_salv, "", ("median", "min", "max"))
        out["txt_ntx_cart_n"] = count(ntx & cart2)
        ra = d.retreat_agent.to_numpy()
        out["txt_ntx_mab_retreat_n"] = count(ntx & np.isin(ra, ["blina", "ino"]))
        out["txt_ntx_blina_retreat_n"] = count(ntx & (ra == "blina"))
        out["txt_ntx_ino_retreat_n"] = count(ntx & (ra == "ino"))
        summ("txt_ntx_time_mab2_salvage", arr(d.days_mab2_first_salvage), c.ntx_salv, "")
        # CAR-T responders: the twin gives CAR-T patients no other line that could induce CR (salvage_cr = CR to CAR-T)
        out["txt_ntx_cart_responders_n"] = count(ntx & cart2 & c.salv_cr)
        rcr = (d.retreat_cr.fillna(0) == 1).to_numpy(dtype=bool)
        out["txt_ntx_retreat_cr_ino_n"] = count(ntx & (ra == "ino") & rcr)
        out["txt_ntx_retreat_cr_blina_n"] = count(ntx & (ra == "blina") & rcr)
        dur = arr(d.retreat_cr_days)[ntx & (ra == "blina") & rcr]
        if dur.size:
            out["txt_ntx_retreat_cr_blina_duration"] = float(dur[0]) / MONTH
        ntxd = ntx & c.dead
        out["txt_ntx_died_n"], out["txt_ntx_died_pct"] = count(ntxd), pct(count(ntxd), nn)
        out["txt_ntx_died_pd_n"] = count(ntxd & (cause == "progression"))
        alive = ntx & ~c.dead
        out["txt_ntx_alive_n"] = count(alive)
        out["txt_ntx_alive_cr_n"] = count(alive & (st == "cr"))
        out["txt_ntx_alive_disease_n"] = count(alive & (st != "cr"))
        out["txt_ntx_alive_systemic_n"] = count(alive & (st == "active_systemic"))
        out["txt_ntx_alive_cns_n"] = count(alive & (st == "active_cns"))
        out["disc_ntx_durable_control_pct"] = pct(count(alive & (st == "cr")), nn)
        out["txt_surv_n_blina"] = nbf
        out["txt_surv_n_ino_not_analyzed"] = nif

    # ---------------- survival ----------------
    if "surv" in blocks:
        survival(c, out)
    return out


def survival(c: Cohort, out: dict) -> None:
    """All Kaplan-Meier, log-rank and follow-up numbers (study-definition 3, 4)."""
    full = c.full
    # OS after mAb2 (Figure 2A), follow-up
    s, lo, hi = km365(c.t2, c.ev)
    out["txt_os_1y_after_mab2_pct"], out["txt_os_1y_after_mab2_ci_low"], out["txt_os_1y_after_mab2_ci_high"] = s, lo, hi
    fu = median_followup(c.t2, c.ev).estimate / MONTH
    out["txt_followup_median"] = fu
    out["abs_followup_median"] = fu
    # EFS from blinatumomab mAb1 (Figure 3A): every BF patient had the event before mAb2
    bf = c.bf
    e_efs = np.ones(int(bf.sum()), dtype=int)
    for sfx, m in (("", bf), ("_cd19negdim", c.cd19n), ("_cd19pos", c.cd19p)):
        s, lo, hi = km365(c.e1[m], np.ones(int(m.sum()), dtype=int))
        out[f"txt_efs_1y_after_blina{sfx}_pct"] = s
        out[f"txt_efs_1y_after_blina{sfx}_ci_low"] = lo
        out[f"txt_efs_1y_after_blina{sfx}_ci_high"] = hi
    g19 = np.where(c.cd19n, "negdim", "pos")[bf]
    out["txt_efs_1y_cd19_p"] = lr_p(c.e1[bf], e_efs, g19)
    # OS from the post-mAb1 relapse (Figure 3B, 3C and the two CR splits)
    ev = c.ev[bf]
    t = c.trel[bf]
    splits = {
        "cd19": (("cd19negdim", c.cd19n), ("cd19pos", c.cd19p), "txt_os_cd19_p"),
        "cr_blina": (("cr_blina", c.crb), ("nocr_blina", c.ncrb), "txt_os_cr_blina_p"),
        "interim": (("interim", c.int_), ("nointerim", c.noint), "txt_os_interim_p"),
        "cr_ino": (("cr_ino", c.cri), ("nocr_ino", c.ncri), "txt_os_cr_ino_p"),
    }
    for key, ((n1, m1), (n2, m2), pid) in splits.items():
        for name, m in ((n1, m1), (n2, m2)):
            s, lo, hi = km365(c.trel[m], c.ev[m])
            out[f"txt_os_1y_post_blina_relapse_{name}_pct"] = s
            out[f"txt_os_1y_post_blina_relapse_{name}_ci_low"] = lo
            out[f"txt_os_1y_post_blina_relapse_{name}_ci_high"] = hi
        out[pid] = lr_p(t, ev, np.where(m1, n1, n2)[bf])
    # after alloHSCT, from day 0 (Figure 4)
    tx = c.tx
    s, _, _ = km365(c.tx_efs_t[tx], c.tx_efs_e[tx])
    out["txt_efs_1y_after_tx_pct"] = s
    s, _, _ = km365(c.t0[tx], c.ev[tx])
    out["txt_os_1y_after_tx_pct"] = s
    out["txt_tx_followup_median"] = median_followup(c.t0[tx], c.ev[tx]).estimate / MONTH
    # not transplanted, from mAb2
    ntx = c.ntx
    fit = kaplan_meier(c.t2[ntx], c.ev[ntx])
    med = fit.median
    out["txt_ntx_os_median"] = med.estimate
    out["txt_ntx_os_median_ci_low"] = med.lower
    out["txt_ntx_os_median_ci_high"] = med.upper
    s, lo, hi = km365(c.t2[ntx], c.ev[ntx])
    out["txt_ntx_os_1y_after_mab2_pct"], out["txt_ntx_os_1y_after_mab2_ci_low"], out["txt_ntx_os_1y_after_mab2_ci_high"] = s, lo, hi
    sv = c.ntx_salv
    for name, m in (("cr", sv & c.salv_cr), ("nocr", sv & ~c.salv_cr)):
        out[f"txt_ntx_os_median_salvage_{name}"] = kaplan_meier(c.t2[m], c.ev[m]).median.estimate
    out["txt_ntx_os_salvage_cr_p"] = lr_p(c.t2[sv], c.ev[sv], np.where(c.salv_cr, "cr", "nocr")[sv])


# ---------------------------------------------------------------------------------------------------------------
# report
# ---------------------------------------------------------------------------------------------------------------
def evaluate(df: pd.DataFrame, pub: pd.DataFrame | None = None) -> pd.DataFrame:
    if pub is None:
        pub = pd.read_csv(PUBLISHED, dtype=str, keep_default_na=False)
    comp = compute(df)
    rows = []
    for r in pub.itertuples(index=False):
        v = comp.get(r.id)
        if r.id in EXCLUDED:
            status = f"excluded ({EXCLUDED[r.id]})"
            ok = match(r.id, r.statistic, r.value, v) if v is not None else None
        elif v is None:
            status, ok = "not computable", None
        else:
            ok = match(r.id, r.statistic, r.value, v)
            if ok:
                status = "match"
            elif r.id in WARN_ONLY:
                status = "warning (I24)"
            elif r.id in KNOWN_INFEASIBLE:
                status = "NO MATCH (infeasible)"
            else:
                status = "NO MATCH"
        shown = fmt(v)
        rows.append({"id": r.id, "statistic": r.statistic, "published": r.value, "computed": shown,
                     "status": status, "reading": READING.get(r.id, "")})
    return pd.DataFrame(rows)


def report(res: pd.DataFrame, only_fail: bool = False) -> str:
    lines = []
    w = max(len(i) for i in res.id)
    lines.append(f"{'id':<{w}} | {'published':>9} | {'computed':>10} | match")
    lines.append("-" * (w + 40))
    for r in res.itertuples(index=False):
        if only_fail and r.status == "match":
            continue
        note = f"  [{r.reading}]" if r.reading else ""
        if r.id in KNOWN_INFEASIBLE:
            note += f"  ({KNOWN_INFEASIBLE[r.id]})"
        lines.append(f"{r.id:<{w}} | {r.published:>9} | {r.computed:>10} | {r.status}{note}")
    n_match = int((res.status == "match").sum())
    n_fail = int(res.status.str.startswith("NO MATCH").sum())
    n_warn = int(res.status.str.startswith("warning").sum())
    n_excl = int(res.status.str.startswith("excluded").sum())
    n_nc = int((res.status == "not computable").sum())
    asserted = n_match + n_fail + n_warn
    lines.append("-" * (w + 40))
    lines.append(f"published ids: {len(res)}")
    lines.append(f"asserted: {asserted}  matched: {n_match}  not matched: {n_fail}  warnings (I24, not failures): {n_warn}")
    lines.append(f"excluded (study-definition 5.3): {n_excl}  not computable from the design: {n_nc}")
    return "\n".join(lines)


def validate_design(df: pd.DataFrame) -> list[str]:
    """Internal consistency rules a generator of dated records relies on."""
    problems = []
    c = Cohort(df)
    for i, r in df.iterrows():
        pid = r.pid
        start = date.fromisoformat(r.mab1_start)
        if not (date(2012, 1, 1) <= start <= date(2019, 12, 31)):
            problems.append(f"{pid}: mab1_start {start} outside 2012-2019")
        end = start + timedelta(days=int(r.days_mab1_mab2) + int(r.days_mab2_last))
        if end > CUTOFF:
            problems.append(f"{pid}: last contact/death {end} after the cut-off")
        if c.age_mab1[i] < 15:
            problems.append(f"{pid}: age at mAb1 {c.age_mab1[i]:.1f} < 15")
        if r.seq == "BF" and not (0 <= r.days_mab1_event < r.days_mab1_mab2):
            problems.append(f"{pid}: post-mAb1 event not strictly before mAb2")
        if r.tx == 1:
            if not (0 < r.days_mab2_tx < r.days_mab2_last):
                problems.append(f"{pid}: alloHSCT not between mAb2 and last contact")
            if pd.notna(r.days_tx_relapse) and not (0 < r.days_tx_relapse <= r.days_mab2_last - r.days_mab2_tx):
                problems.append(f"{pid}: post-HSCT relapse outside follow-up")
            if pd.notna(r.age_tx) and r.age_tx + 1e-9 < r.age_dx:
                problems.append(f"{pid}: age at alloHSCT below age at diagnosis")
            if pd.notna(r.last_ino_to_tx_days) and r.last_ino_to_tx_days > r.days_mab2_tx:
                problems.append(f"{pid}: last inotuzumab dose before the start of mAb2")
        if pd.notna(r.days_mab2_first_salvage) and r.days_mab2_first_salvage >= r.days_mab2_last:
            problems.append(f"{pid}: first salvage line after last contact")
        if pd.notna(r.days_mab2_first_salvage) and pd.notna(r.days_mab2_event2) and r.tx != 1 \
                and r.days_mab2_event2 >= r.days_mab2_first_salvage:
            problems.append(f"{pid}: salvage line before the post-mAb2 relapse/progression")
        if r.hsct_between == 1 and not (0 < r.days_mab1_hsct < r.days_mab1_event):
            problems.append(f"{pid}: alloHSCT between the mAbs not before the post-mAb1 relapse")
        if pd.notna(r.retreat_cr_days) and not (r.days_mab2_first_salvage + r.retreat_cr_days < r.days_mab2_last):
            problems.append(f"{pid}: CR to re-treatment does not fit before death/last contact")
        if r.dead == 0 and r.status_last == "dead" or r.dead == 1 and r.status_last != "dead":
            problems.append(f"{pid}: dead flag and status_last disagree")
        if pd.notna(r.days_mab2_event2) and r.days_mab2_event2 > r.days_mab2_last:
            problems.append(f"{pid}: post-mAb2 event after last contact")
    return problems



# ===============================================================================================================
# construction of the design: hand-made categorical roster + seeded numeric search (--search)
# ===============================================================================================================
# Categorical allocation, made by hand from Tables 1-3, the text and inconsistencies.md sections C/D (see
# docs/TWIN.md). Patients T01-T11 are blinatumomab-first with a CD19-neg/dim relapse, T12-T25 blinatumomab-first
# with a CD19-pos relapse, T26-T29 inotuzumab-first. "." = blank. Column "int" = interim therapy (I) or not (N);
# "txl" = the transplant's letter in TX_TABLE.
ROSTER_FIELDS = (
    "pid seq sex cyto_risk ph_pos kmt2a_r emd_before_mab1 site_mab1 burden_mab1 frontline prior_hsct prior_cart "
    "resp_mab1 mrd_mab1 site_event1 cns_event1 cd19_event1 cd22_event1 hsct_between int mab2_intent resp_mab2 "
    "mrd_mab2 ino_plus_chemo ponatinib crs_mab_blina icans_mab_blina transaminitis_ino hyperbili_ino cd19_event2 "
    "cd22_event2 txl no_tx_reason salvage cart_after_mab2 retreat_agent retreat_cr salvage_cr dead death_cause "
    "status_last"
).split()
ROSTER = """
T01 BF male high 0 0 0 marrow morphologic cr 0 0 nr . marrow 0 negdim . 0 I salvage cr pos none 0 1 0 1 1 . . f . 0 0 . 0 0 1 organ_toxicity dead
T02 BF female standard 0 0 0 marrow mrd refractory 0 0 nr . marrow 0 negdim . 0 I salvage cr pos none 0 2 1 1 0 . . g . 0 0 . 0 0 1 agvhd dead
T03 BF female standard 0 0 1 extramedullary morphologic cr 0 0 cr pos both 0 negdim . 0 I salvage cr neg none 0 0 0 1 1 . negdim e . 0 0 . 0 0 1 progression dead
T04 BF male high 1 0 0 marrow morphologic cr 0 0 cr pos marrow 0 negdim . 0 N salvage cr neg none 1 1 0 0 0 . pos i . 0 0 . 0 0 1 progression dead
T05 BF female standard 0 0 0 marrow morphologic cr 1 0 nr . marrow 0 negdim . 0 N salvage cr pos none 0 0 0 1 0 . . k . 0 0 . 0 0 1 progression dead
T06 BF male high 0 0 1 marrow morphologic cr 0 0 cr neg both 1 negdim . 1 I salvage cr pos none 0 1 2 0 0 . pos . preference 1 0 . 0 0 1 progression dead
T07 BF male standard 0 0 0 marrow morphologic cr 0 0 cr neg both 0 negdim . 1 I salvage cr neg none 0 0 0 1 0 . negdim . preference 1 0 . 0 1 1 progression dead
T08 BF male missing 0 0 0 marrow morphologic cr 0 0 cr pos marrow 0 negdim . 0 I salvage cr neg vincristine 0 0 0 0 1 . pos . active_disease 0 0 . 0 0 1 progression dead
T09 BF male standard 0 0 0 marrow mrd cr 0 0 nr . marrow 0 negdim . 0 N salvage nr . none 0 2 0 0 0 . . . active_disease 0 0 . 0 0 0 . active_systemic
T10 BF male high 0 0 1 both morphologic refractory 1 0 nr . both 0 negdim . 0 I salvage nr . mini_hyper_cvd 0 1 1 0 0 . pos . active_disease 1 0 . 0 0 1 progression dead
T11 BF female standard 0 0 1 both morphologic cr 0 0 nr . both 0 negdim . 0 N salvage nr . none 0 0 0 0 0 . negdim . active_disease 0 0 . 0 0 1 progression dead
T12 BF female standard 0 0 0 marrow mrd cr 0 0 cr neg marrow 0 pos . 0 I salvage cr pos none 0 1 0 1 0 . negdim j . 0 1 . 0 0 0 . active_systemic
T13 BF male standard 0 0 0 marrow morphologic cr 0 0 nr . marrow 0 pos . 0 N salvage cr neg none 0 0 0 0 0 . . b . 0 0 . 0 0 0 . cr
T14 BF female high 1 0 0 marrow morphologic cr 0 0 nr . marrow 0 pos . 0 N salvage cr neg none 1 1 0 1 1 . . d . 0 0 . 0 0 0 . cr
T15 BF male standard 0 0 0 marrow morphologic cr 0 0 cr pos marrow 0 pos . 0 I salvage cr neg none 0 0 0 1 0 . . h . 0 0 . 0 0 1 agvhd dead
T16 BF female standard 0 0 0 marrow mrd cr 0 0 cr neg marrow 0 pos . 0 N salvage cr neg none 0 2 1 1 1 . . c . 0 0 . 0 0 1 sos dead
T17 BF female high 1 0 0 marrow morphologic cr 0 0 nr . marrow 0 pos . 0 N salvage cr neg none 1 0 0 0 0 . . a . 0 0 . 0 0 1 infection dead
T18 BF male high 0 0 0 marrow mrd cr 0 0 cr neg both 0 pos . 1 I salvage cr neg none 0 1 1 0 0 . pos . preference 1 1 ino 0 0 1 progression dead
T19 BF female standard 0 0 1 marrow mrd cr 0 0 cr neg extramedullary 0 pos . 1 N salvage cr neg none 0 0 0 1 0 . negdim . preference 1 1 blina 0 0 1 progression dead
T20 BF male missing 0 0 0 marrow morphologic cr 0 1 cr pos both 0 pos . 0 N salvage cr neg none 0 0 0 0 0 . pos . active_disease 1 0 . 0 0 1 progression dead
T21 BF female standard 0 0 0 marrow morphologic cr 0 0 cr neg both 0 pos . 1 I salvage nr . none 0 1 0 1 0 . negdim . active_disease 1 0 . 0 1 0 . active_cns
T22 BF female missing 0 0 0 marrow mrd cr 0 0 cr neg marrow 0 pos . 1 N salvage nr . none 0 0 0 0 0 . . . active_disease 1 0 . 0 1 0 . active_cns
T23 BF male high 1 0 0 marrow morphologic refractory 0 0 nr . marrow 0 pos . 0 I salvage nr . none 1 3 2 0 1 . pos . active_disease 1 0 blina 1 1 1 progression dead
T24 BF female high 0 0 0 marrow morphologic cr 1 1 nr . marrow 0 pos . 0 I salvage nr . mini_hyper_cvd 0 0 0 1 0 . negdim . active_disease 1 0 blina 0 0 1 progression dead
T25 BF male high 0 1 1 both morphologic cr 0 1 nr . both 0 pos . 0 N salvage nr . none 0 1 1 0 0 . pos . active_disease 0 0 . 0 0 1 progression dead
T26 IF male standard 0 0 0 marrow morphologic refractory 0 0 cr neg . . . . 0 N bridge_tx cr neg none 0 0 0 0 0 pos pos l . 0 0 . 0 0 1 progression dead
T27 IF male high 0 0 1 both morphologic cr 0 0 cr neg . . . . 0 N consolidation cr neg none 0 1 1 0 0 pos pos . death 1 0 . 0 1 1 salvage_toxicity dead
T28 IF male standard 0 0 1 extramedullary morphologic cr 0 0 cr pos . . . . 0 N consolidation nr . none 0 0 0 0 0 pos pos . active_disease 1 0 ino 1 1 0 . cr
T29 IF male high 0 0 0 marrow morphologic refractory 0 0 nr . marrow 0 pos pos 0 I salvage nr . none 0 0 0 0 0 pos pos . active_disease 1 0 . 0 0 0 . active_systemic
"""
# the 12 transplants after mAb2 (Table 3; I4, I5, I11, I18, I29): letter -> fields
TX_FIELDS = ("conditioning intensity prophylaxis graft donor hla sex_pair cord_hla cd34_dose engraft_days agvhd_grade "
             "agvhd_organs sos sos_severity tx_status").split()
TX_TABLE = """
a cy_thio_tbi mac tcd pbsc unrelated 10/10 female-female . 8.3 . 0 . 0 . cr_mrd_neg
b cy_thio_tbi mac tcd pbsc unrelated 10/10 male-male . 5.04 11 2 skin3 0 . cr_mrd_neg
c clo_mel_thio mac tcd pbsc unrelated 10/10 female-female . 4.9 10 0 . 1 fatal cr_mrd_neg
d clo_mel_thio mac tcd pbsc unrelated 10/10 female-female . 9.5 11 0 . 1 severe cr_mrd_neg
e flu_cy_thio_tbi mac tcd pbsc unrelated 9/10 female-male . 5.9 11 1 skin2 1 severe cr_mrd_neg
f clo_bu mac mtx_cni pbsc unrelated 10/10 male-male . 11.2 12 0 . 1 severe cr_mrd_pos
g clo_bu mac ptcy pbsc unrelated 9/10 female-male . 7.1 15 4 gi3;skin4 0 . cr_mrd_pos
h flu_mel ric_nma ptcy bm haploidentical <=8/10 male-female . 4.6 22 4 liver3;skin4 0 . cr_mrd_neg
i flu_mel ric_nma ptcy bm haploidentical <=8/10 male-female . 4.73 26 3 gi2 0 . cr_mrd_neg
j flu_mel ric_nma mtx_cni pbsc matched_sibling 10/10 female-male . 5.0 12 2 gi1;skin2 0 . cr_mrd_neg
k flu_cy_tbi200 ric_nma cni_mmf cord cord <=8/10 na 4/6 0.25 28 ungraded . 0 . cr_mrd_pos
l flu_cy_tbi200 ric_nma mtx_cni cord cord <=8/10 male-male . 0.31 33 0 . 0 . cr_mrd_neg
"""
# SOS patients: days mAb2 -> alloHSCT (Results: 49-116, median 59) and days last dose -> alloHSCT (Discussion:
# 23, 40, 44; I12), with the inotuzumab cycles that make the two anchors agree (cycle 1 days 1/8/15, later cycles
# every 28 days).
FIXED_TX = {  # pid: (days_mab2_tx, last_ino_to_tx_days, ino_cycles)
    "T01": (116, 40, 4), "T14": (58, 23, 2), "T03": (59, 44, 1), "T16": (49, 35, 1), "T04": (40, 26, 1),
}
IF_FIXED = {  # pid: days_mab1_mab2, blasts (T27: no marrow morphology in the 30-day window), age, lines, cycles
    "T26": dict(days_mab1_mab2=67, blasts_mab1=25.0, age_dx=50.4, prior_lines=1, blina_cycles=1, ino_cycles=2),
    "T27": dict(days_mab1_mab2=17, blasts_mab1=np.nan, age_dx=66.4, prior_lines=1, blina_cycles=5, ino_cycles=2),
    "T28": dict(days_mab1_mab2=165, blasts_mab1=3.0, age_dx=56.0, prior_lines=1, blina_cycles=2, ino_cycles=2),
    "T29": dict(days_mab1_mab2=387, blasts_mab1=91.0, age_dx=83.2, prior_lines=2, blina_cycles=2, ino_cycles=1),
}


def base_roster() -> pd.DataFrame:
    rows = [dict(zip(ROSTER_FIELDS, line.split())) for line in ROSTER.strip().splitlines()]
    tx = {line.split()[0]: dict(zip(TX_FIELDS, line.split()[1:])) for line in TX_TABLE.strip().splitlines()}
    out = []
    for r in rows:
        r = {k: ("" if v == "." else v) for k, v in r.items()}
        letter = r.pop("txl")
        r["tx"] = "1" if letter else "0"
        for k in TX_FIELDS:
            r[k] = ""
        if letter:
            for k, v in tx[letter].items():
                r[k] = "" if v == "." else v
            r["tx_route"] = "direct_blina" if r["seq"] == "IF" else ("after_cart" if r["cart_after_mab2"] == "1" else "direct_ino")
        else:
            r["tx_route"] = ""
        out.append(r)
    df = pd.DataFrame(out)
    return df


# ---------------------------------------------------------------------------------------------------------------
# fast kernels for the search (the final check always uses mabseq.stats)
# ---------------------------------------------------------------------------------------------------------------
Z95 = 1.959963984540054


def _km_steps(t, e):
    t = np.asarray(t, float)
    e = np.asarray(e, int)
    ts = np.sort(t)
    times = np.unique(t)
    n_at = (t.size - np.searchsorted(ts, times, side="left")).astype(float)
    te = np.sort(t[e == 1])
    d = (np.searchsorted(te, times, side="right") - np.searchsorted(te, times, side="left")).astype(float)
    fac = np.where(d > 0, 1 - d / n_at, 1.0)
    surv = np.cumprod(fac)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(d > 0, d / (n_at * (n_at - d)), 0.0)
    var = np.cumsum(term)
    return times, surv, var, d


def km_at(t, e, at=365.0):
    times, surv, var, _ = _km_steps(t, e)
    k = np.searchsorted(times, at, side="right") - 1
    if k < 0:
        return 1.0, 1.0, 1.0
    s, v = surv[k], var[k]
    if s <= 0 or not np.isfinite(v):
        return s, float("nan"), float("nan")
    se = math.sqrt(v)
    return s, s * math.exp(-Z95 * se), min(1.0, s * math.exp(Z95 * se))


def km_median(t, e):
    times, surv, var, d = _km_steps(t, e)
    with np.errstate(invalid="ignore", over="ignore"):
        se = np.sqrt(var)
        lower = surv * np.exp(-Z95 * se)
        upper = np.minimum(1.0, surv * np.exp(Z95 * se))
    lower = np.where(surv <= 0, np.nan, lower)
    upper = np.where(surv <= 0, np.nan, upper)

    def rule(y):
        hit = np.flatnonzero(~np.isnan(y) & (y < 0.5 + 1e-8))
        if not hit.size:
            return float("nan")
        i = hit[0]
        if abs(y[i] - 0.5) < 1e-8:
            later = np.flatnonzero(~np.isnan(y[i:]) & (y[i:] < y[i]))
            if later.size:
                return (times[i] + times[i + later[0]]) / 2
        return float(times[i])

    return rule(surv), rule(lower), rule(upper)


def km_half(t, e):
    """True when the KM curve sits exactly at 0.5 (the median is then a midpoint rule; avoided in the twin)."""
    _, surv, _, _ = _km_steps(t, e)
    return bool(np.any(np.abs(surv - 0.5) < 1e-9))


def lr2(t, e, g):
    """two-group log-rank p (survdiff), vectorised"""
    t = np.asarray(t, float)
    e = np.asarray(e, int)
    g = np.asarray(g, bool)
    u = np.unique(t[e == 1])
    if u.size == 0:
        return float("nan")
    ts = np.sort(t)
    ts1 = np.sort(t[g])
    n = t.size - np.searchsorted(ts, u, side="left")
    n1 = ts1.size - np.searchsorted(ts1, u, side="left")
    te = np.sort(t[e == 1])
    te1 = np.sort(t[(e == 1) & g])
    dd = np.searchsorted(te, u, side="right") - np.searchsorted(te, u, side="left")
    d1 = np.searchsorted(te1, u, side="right") - np.searchsorted(te1, u, side="left")
    frac = n1 / n
    ex = (dd * frac).sum()
    with np.errstate(divide="ignore", invalid="ignore"):
        v = np.where(n > 1, dd * frac * (1 - frac) * (n - dd) / (n - 1), 0.0).sum()
    if v <= 0:
        return float("nan")
    stat = (d1.sum() - ex) ** 2 / v
    return math.erfc(math.sqrt(stat / 2))


def kw2(x, g):
    """two-group Kruskal-Wallis p with tie correction (kruskal.test), fast"""
    from scipy.stats import rankdata

    x = np.asarray(x, float)
    g = np.asarray(g, bool)
    nn = x.size
    r = rankdata(x)
    n1 = g.sum()
    n2 = nn - n1
    r1 = r[g].sum()
    r2 = r[~g].sum()
    h = 12.0 / (nn * (nn + 1)) * (r1 * r1 / n1 + r2 * r2 / n2) - 3 * (nn + 1)
    _, cnt = np.unique(x, return_counts=True)
    corr = 1 - ((cnt ** 3 - cnt).sum()) / (nn ** 3 - nn)
    if corr <= 0:
        return float("nan")
    h /= corr
    return math.erfc(math.sqrt(max(h, 0) / 2))


def hu(x, k=0):
    """half-up rounding of a float for the search (final matching uses Decimal)."""
    if isinstance(x, float) and math.isnan(x):
        return float("nan")
    f = 10 ** k
    return math.floor(x * f + 0.5 + 1e-9) / f


def q(x, p):
    """type-7 quantile (fast path of numpy 'linear')"""
    xs = np.sort(np.asarray(x, float))
    h = (xs.size - 1) * p
    lo = int(math.floor(h))
    hi = min(lo + 1, xs.size - 1)
    return float(xs[lo] + (h - lo) * (xs[hi] - xs[lo]))


class Target:
    """Accumulates a penalty: 0 when a value rounds to its printed target, else 1 + scaled distance."""

    def __init__(self):
        self.pen = 0.0
        self.miss = []

    def val(self, name, x, printed, k=0, scale=1.0, w=1.0):
        if isinstance(x, float) and math.isnan(x):
            self.pen += w * 5
            self.miss.append(name)
            return
        if hu(x, k) != printed:
            self.pen += w * (1 + abs(x - printed) / scale)
            self.miss.append(name)

    def p(self, name, x, printed, w=1.0):
        if isinstance(x, float) and math.isnan(x):
            self.pen += w * 5
            self.miss.append(name)
            return
        if hu(x, 2) != printed:
            self.pen += w * (1 + abs(x - printed) / 0.02)
            self.miss.append(name)

    def rng(self, name, x, lo, hi, scale=10.0, w=1.0):
        if x < lo:
            self.pen += w * (1 + (lo - x) / scale)
            self.miss.append(name)
        elif x > hi:
            self.pen += w * (1 + (x - hi) / scale)
            self.miss.append(name)

    def true(self, name, cond, w=1.0):
        if not cond:
            self.pen += w
            self.miss.append(name)


def anneal(x0, lo, hi, objective, iters, seed, step=None, t0=2.0, t1=0.01, log=None):
    """Seeded simulated annealing over an integer vector; stops at objective 0."""
    rng = np.random.default_rng(seed)
    x = np.array(x0, dtype=np.int64)
    lo = np.asarray(lo, np.int64)
    hi = np.asarray(hi, np.int64)
    x = np.clip(x, lo, hi)
    f = objective(x)
    best, fbest = x.copy(), f
    step = np.maximum(1, (hi - lo) // 6) if step is None else np.asarray(step)
    free = np.flatnonzero(hi > lo)
    for it in range(iters):
        if fbest == 0:
            break
        temp = t0 * (t1 / t0) ** (it / max(1, iters - 1))
        y = x.copy()
        for _ in range(1 + (rng.random() < 0.3)):
            i = free[rng.integers(free.size)]
            if rng.random() < 0.15:
                y[i] = rng.integers(lo[i], hi[i] + 1)
            else:
                s = int(step[i]) if np.ndim(step) else int(step)
                y[i] = np.clip(y[i] + rng.integers(-s, s + 1), lo[i], hi[i])
        fy = objective(y)
        if fy <= f or rng.random() < math.exp(-(fy - f) / temp):
            x, f = y, fy
            if f < fbest:
                best, fbest = x.copy(), f
                if log:
                    log(it, fbest)
    return best, fbest



# ---------------------------------------------------------------------------------------------------------------
# numeric sub-searches (each seeded; objective 0 = every targeted published number matches)
# ---------------------------------------------------------------------------------------------------------------
def _masks(df):
    bf = (df.seq == "BF").to_numpy()
    intm = (df["int"] == "I").to_numpy()
    cd19n = (df.cd19_event1 == "negdim").to_numpy()
    return bf, intm, cd19n


AGE_START = {  # a structured start (every quantile already right, see docs/TWIN.md); the search moves it to KW .46
    "noint": [17.0, 18.5, 20.0, 21.6, 25.1, 38.7, 45.3, 55.2, 62.6, 72.2, 74.5, 77.9],
    "int": [19.0, 22.0, 24.4, 32.4, 35.0, 40.0, 43.6, 45.1, 46.5, 47.6, 60.7, 64.0, 70.3],
}


def search_ages(df, seed=11, iters=60000):
    bf, intm, _ = _masks(df)
    idx = np.flatnonzero(bf)
    g_int = intm[idx]
    if_ages = np.array([IF_FIXED[p]["age_dx"] for p in df.pid[~bf]])

    def obj(x):
        a = x / 10.0
        T = Target()
        for name, m, (med, q1, q3) in (("all", np.ones(25, bool), (43.6, 24.4, 60.7)),
                                       ("noint", ~g_int, (42.0, 21.2, 65.0)), ("int", g_int, (43.6, 32.4, 47.6))):
            T.val(name + "med", q(a[m], .5), med, 1, 0.5)
            T.val(name + "q1", q(a[m], .25), q1, 1, 0.5)
            T.val(name + "q3", q(a[m], .75), q3, 1, 0.5)
        allv = np.concatenate([a, if_ages])
        T.val("29med", q(allv, .5), 45.3, 1, 0.5)
        T.val("29q1", q(allv, .25), 25.1, 1, 0.5)
        T.val("29q3", q(allv, .75), 62.6, 1, 0.5)
        T.val("gt45n", float((a[~g_int] > 45).sum()), 6, 0, 1)
        T.val("gt45i", float((a[g_int] > 45).sum()), 6, 0, 1)
        T.p("kw", kw2(a, g_int), 0.46, w=2)
        return T.pen

    x0 = np.zeros(idx.size, np.int64)
    x0[~g_int] = np.round(np.array(AGE_START["noint"]) * 10)
    x0[g_int] = np.round(np.array(AGE_START["int"]) * 10)
    lo = np.full(idx.size, 170)  # >= 17.0 years at diagnosis
    hi = np.full(idx.size, 780)
    best, f = anneal(x0, lo, hi, obj, iters, seed, step=25, t0=1.0)
    return idx, best / 10.0, f


def search_small_ints(df, seed=12):
    """prior lines and blinatumomab cycles (Table 1/2 medians, ranges, Kruskal-Wallis .04 and .53)."""
    from itertools import product

    bf, intm, _ = _masks(df)
    idx = np.flatnonzero(bf)
    g = intm[idx]
    prior_cart = ((df.prior_cart == "1") | (df.prior_hsct == "1")).to_numpy()[idx]  # earlier HSCT/CAR-T: more lines
    res = {}
    # prior lines: enumerate the composition of each group, then place values (CAR-T patients get >= 2)
    best = None
    for n1, n2 in product(range(0, 7), range(0, 12)):  # no-interim: n1 ones, n2 twos, rest threes (max 3)
        n3 = 12 - n1 - n2
        if n3 < 1:
            continue
        a = np.array([1] * n1 + [2] * n2 + [3] * n3)
        if hu(q(a, .5)) != 2:
            continue
        for m1, m2, m3, m4 in product(range(7, 13), range(0, 6), range(0, 6), range(0, 4)):
            m5 = 13 - m1 - m2 - m3 - m4
            if m5 < 1:
                continue
            b = np.array([1] * m1 + [2] * m2 + [3] * m3 + [4] * m4 + [5] * m5)
            allv = np.concatenate([a, b])
            if hu(q(allv, .5)) != 1 or hu(q(np.concatenate([allv, [1, 1, 1, 2]]), .5)) != 1:
                continue
            x = np.concatenate([a, b])
            gg = np.array([False] * 12 + [True] * 13)
            p = kw2(x, gg)
            if hu(p, 2) == 0.04:
                cand = (abs(p - 0.04), (n1, n2, n3), (m1, m2, m3, m4, m5))
                if best is None or cand < best:
                    best = cand
    (_, (n1, n2, n3), (m1, m2, m3, m4, m5)) = best
    vals = np.zeros(idx.size, int)
    for grp, comp in ((~g, [1] * n1 + [2] * n2 + [3] * n3), (g, [1] * m1 + [2] * m2 + [3] * m3 + [4] * m4 + [5] * m5)):
        pos = np.flatnonzero(grp)
        # patients with an earlier HSCT or CAR-T get the largest values first, the rest follow the roster order
        order = sorted(pos, key=lambda i: (not prior_cart[i], i))
        for i, v in zip(order, sorted(comp, reverse=True)):
            vals[i] = v
    res["prior_lines"] = vals
    # blinatumomab cycles (mAb1 course): no-interim 1 (1-6), interim 1 (1-4); all 29 with IF (1,5,2,2) median 1
    best = None
    for n1, n2, n3 in product(range(6, 12), range(0, 6), range(0, 4)):
        rest = 12 - n1 - n2 - n3
        if rest < 1:
            continue
        a = np.array([1] * n1 + [2] * n2 + [3] * n3 + [4] * (rest - 1) + [6])
        for m1, m2, m3 in product(range(7, 13), range(0, 6), range(0, 4)):
            m4 = 13 - m1 - m2 - m3
            if m4 < 1:
                continue
            b = np.array([1] * m1 + [2] * m2 + [3] * m3 + [4] * m4)
            x = np.concatenate([a, b])
            if hu(q(x, .5)) != 1 or hu(q(np.concatenate([x, [1, 5, 2, 2]]), .5)) != 1:
                continue
            gg = np.array([False] * 12 + [True] * 13)
            p = kw2(x, gg)
            if hu(p, 2) == 0.53:
                cand = (abs(p - 0.53), tuple(a), tuple(b))
                if best is None or cand < best:
                    best = cand
    _, a, b = best
    vals = np.zeros(idx.size, int)
    # responders (CR to blinatumomab) receive the larger numbers of cycles
    crb = (df.resp_mab1 == "cr").to_numpy()[idx]
    for grp, comp in ((~g, a), (g, b)):
        pos = np.flatnonzero(grp)
        order = sorted(pos, key=lambda i: (not crb[i], i))
        for i, v in zip(order, sorted(comp, reverse=True)):
            vals[i] = v
    res["blina_cycles"] = vals
    return idx, res



# ages at diagnosis, built analytically (docs/TWIN.md): every Table 1/2 quantile, the >45 counts and KW p = .4627
AGES = {
    "T06": 28.0, "T07": 32.4, "T08": 82.0, "T10": 24.4, "T01": 47.6, "T02": 45.3, "T03": 36.0, "T12": 45.1,
    "T15": 62.6, "T18": 40.0, "T21": 25.1, "T23": 79.0, "T24": 43.6,  # interim (13)
    "T17": 17.2, "T22": 18.4, "T19": 20.0, "T13": 21.6, "T05": 22.9, "T14": 23.5, "T16": 60.5, "T04": 60.6,
    "T20": 60.7, "T25": 77.9, "T09": 79.0, "T11": 80.5,  # no interim (12)
}
# marrow blasts at mAb1 (%): MRD-only patients and the isolated-extramedullary patient (T03) below 5
BLASTS = {
    "T02": 0, "T12": 0, "T09": 1, "T19": 1, "T18": 2, "T16": 3, "T22": 3, "T03": 4,
    "T04": 5, "T06": 6, "T07": 7, "T08": 8, "T15": 9, "T20": 9, "T21": 10, "T01": 12, "T05": 15, "T10": 18,
    "T11": 20, "T13": 25, "T14": 30, "T17": 45, "T23": 60, "T24": 75, "T25": 88,
}
# inotuzumab cycles of the mAb2 course (BF); transplanted patients went to alloHSCT after 1 cycle unless listed
INO_CYCLES = {
    "T01": 4, "T14": 2, "T12": 2, "T06": 3, "T07": 2, "T08": 2, "T18": 4, "T19": 3, "T20": 5, "T09": 2, "T21": 2,
    "T22": 2, "T24": 2,
}

E365 = {"T06", "T18", "T19", "T22"}        # relapse more than 1 year after blinatumomab (EFS 1/11 and 3/14)
A365_DEAD = {"T01", "T02", "T06", "T07"}   # BF deaths later than 1 year after the post-blinatumomab relapse
SOS_LAST_DOSE_OFFSET = {"T01": 76, "T14": 35, "T03": 15, "T16": 14, "T04": 14}


# Structure of the BF intervals (docs/TWIN.md, "intervals"): pid -> (e_lo, e_hi, m_lo, m_hi), e = days mAb1 -> post-mAb1
# event, m = days mAb1 -> mAb2. The order statistics that Tables 1-2 print pin most of them:
#   7 patients with m <= 35 (4 interim, 3 direct; T24 interim with e = 33 and m = 35), interim Q1 33, no-interim Q1
#   37 (34, 38), medians 73 (interim 7th) and 65 (no-interim 6th+7th = 130), Q3 219/118/290, CD19 medians of m
#   141 (T08) and 52 (P 7th + T15 = 104); the six largest m (> 240) are the four relapses after more than a year
#   (T06, T18, T19, T22) and the two interim patients with e in [290, 365] (T07, T03), which lets the CD19 split of
#   m reach Kruskal-Wallis p = .11.
STRUCT = {
    "T01": (10, 20, 25, 35), "T10": (14, 26, 25, 35), "T23": (20, 30, 28, 35), "T24": (33, 33, 35, 35),
    "T25": (34, 34, 35, 35), "T17": (10, 30, 11, 34), "T14": (10, 30, 11, 34),
    "T13": (38, 43, 39, 44), "T16": (38, 43, 39, 44),
    "T02": (35, 60, 240, 240), "T15": (36, 60, 55, 66), "T08": (73, 73, 141, 141),
    "T12": (74, 218, 100, 239), "T21": (74, 218, 100, 239),
    "T07": (290, 290, 440, 700), "T03": (291, 365, 293, 600), "T06": (366, 700, 520, 1100), "T18": (366, 700, 374, 850),
    "T05": (44, 84, 45, 99), "T09": (44, 84, 45, 99), "T11": (44, 84, 45, 99),
    "T20": (84, 84, 100, 114), "T04": (219, 219, 220, 239), "T19": (366, 800, 367, 830), "T22": (366, 800, 367, 830),
}


def search_intervals(df, seed=19, iters=40000, log=None):
    pid = list(df.pid[df.seq == "BF"])
    bfm = (df.seq == "BF").to_numpy()
    g_int = (df["int"] == "I").to_numpy()[bfm]
    g_n = (df.cd19_event1 == "negdim").to_numpy()[bfm]
    m_if = np.array([IF_FIXED[p]["days_mab1_mab2"] for p in df.pid[~bfm]], float)
    dead_b = (df.dead == "1").to_numpy()[bfm]
    tx_b = (df.tx == "1").to_numpy()[bfm]
    lo = np.array([STRUCT[p][0] for p in pid] + [STRUCT[p][2] for p in pid])
    hi = np.array([STRUCT[p][1] for p in pid] + [STRUCT[p][3] for p in pid])

    def obj(x, detail=False):
        e = x[:25].astype(float)
        m = x[25:].astype(float)
        T = Target()
        for k, p in enumerate(pid):
            T.rng("r_" + p, m[k] - e[k], 2 if g_int[k] else 1, 10000, scale=1)
            # room for the survival roles: deaths within a year of the post-mAb1 relapse need a short gap to mAb2
            if dead_b[k] and p not in A365_DEAD:
                T.rng("rmax_" + p, m[k] - e[k], 0, 150 if tx_b[k] else 250, scale=10)
            elif p in A365_DEAD and p != "T01":
                T.rng("rmin_" + p, m[k] - e[k], 150, 10000, scale=10)
        for name, msk, (md, q1, q3) in (("e_all", np.ones(25, bool), (73, 34, 219)), ("e_no", ~g_int, (65, 37, 118)),
                                        ("e_in", g_int, (73, 33, 290))):
            T.val(name + "md", q(e[msk], .5), md, 0, 5)
            T.val(name + "q1", q(e[msk], .25), q1, 0, 5)
            T.val(name + "q3", q(e[msk], .75), q3, 0, 5)
        T.p("kw_e_int", kw2(e, g_int), 0.85)
        T.p("lr_efs", lr2(e, np.ones(25, int), g_n), 0.48)
        T.val("efs_n", float((e[g_n] > 365).sum()), 1, 0, 1)
        T.val("efs_p", float((e[~g_n] > 365).sum()), 3, 0, 1)
        # I24 (warning only): the CD19-neg/dim median 73 is kept; the CD19-pos median 65 cannot hold together with the
        # CD19-pos median of 52 days from mAb1 to mAb2 (each patient's relapse precedes mAb2), and the KW p (.74) is
        # left free
        T.val("e_md_n", q(e[g_n], .5), 73, 0, 5)
        allm = np.concatenate([m, m_if])
        for name, v in (("m_bf", m), ("m_all", allm)):
            T.val(name + "md", q(v, .5), 99, 0, 5)
            T.val(name + "q1", q(v, .25), 35, 0, 5)
            T.val(name + "q3", q(v, .75), 240, 0, 5)
        T.val("m_md_n", q(m[g_n], .5), 141, 0, 5)
        T.val("m_md_p", q(m[~g_n], .5), 52, 0, 5)
        T.p("kw_m_cd19", kw2(m, g_n), 0.11)
        return T.miss if detail else T.pen

    rng = np.random.default_rng(seed)
    x0 = np.array([rng.integers(a, b + 1) for a, b in zip(lo, hi)])
    best, f = anneal(x0, lo, hi, obj, iters, seed, step=np.maximum(1, (hi - lo) // 6), t0=2.0, t1=0.01, log=log)
    e = dict(zip(pid, best[:25].tolist()))
    m = dict(zip(pid, best[25:].tolist()))
    return e, m, f, obj(best, detail=True)


# days from mAb2 to death after alloHSCT, by cause (day 0 anchor): graft failure with infection early, SOS early
TX_DEATH_WINDOW = {"infection": (20, 100), "sos": (14, 60), "agvhd": (60, 300), "progression": (60, 364)}


def SALVAGE_WINDOW(r) -> tuple[int, int]:
    """days mAb2 -> first further line: soon after a failed mAb2, later after a relapse from CR (docs/TWIN.md)."""
    if r.pid == "T27":
        return 215, 300  # blinatumomab consolidation (5 cycles) held CR; relapse, then salvage
    if r.pid == "T28":
        return 35, 120  # remission lost during blinatumomab, inotuzumab re-treatment
    if r.resp_mab2 == "nr":
        # alive non-responders with slowly progressive disease (T21, T22) may start a line later
        return (38, 260) if r.dead == "0" else (38, 150)
    if r.no_tx_reason == "preference":
        return 60, 400  # CR held >= 30 days before the relapse
    return 45, 400


def search_survival(df, e_map, m_map, seed=2022, iters=150000, log=None):
    """Days mAb2 -> last contact/death, mAb2 -> alloHSCT (free ones) and mAb2 -> first salvage line, given e and m."""
    pid = df.pid.to_numpy()
    n = len(df)
    P = {p: i for i, p in enumerate(pid)}
    bf = (df.seq == "BF").to_numpy()
    intm = (df["int"] == "I").to_numpy()
    cd19n = (df.cd19_event1 == "negdim").to_numpy()
    crb = bf & (df.resp_mab1 == "cr").to_numpy()
    cri = bf & (df.resp_mab2 == "cr").to_numpy()
    dead = (df.dead == "1").to_numpy()
    tx = (df.tx == "1").to_numpy()
    salv = (df.salvage == "1").to_numpy()
    scr = (df.salvage_cr == "1").to_numpy()
    ib = np.flatnonzero(bf)
    isv = np.flatnonzero(salv & ~tx)
    r_b = np.array([m_map[p] - e_map[p] for p in pid[ib]], float)
    mtx_fixed = {p: v[0] for p, v in FIXED_TX.items()}
    mtx_free = [p for p in pid[tx] if p not in mtx_fixed]  # T02 T05 T13 T15 T17 T26 (<= 35) and T12 (CAR-T)
    o_t, o_m = 0, n
    o_s = o_m + len(mtx_free)
    size = o_s + len(isv)
    lo = np.zeros(size, np.int64)
    hi = np.zeros(size, np.int64)
    for i in range(n):
        if tx[i]:
            lo[o_t + i], hi[o_t + i] = 30, 1300
        elif dead[i]:
            lo[o_t + i], hi[o_t + i] = 10, 364
        elif bf[i]:
            lo[o_t + i], hi[o_t + i] = 366, 1300
        else:  # T28, T29: alive, followed for less than a year after blinatumomab mAb2
            lo[o_t + i], hi[o_t + i] = 150, 364
    for k, p in enumerate(mtx_free):
        lo[o_m + k], hi[o_m + k] = (80, 170) if p == "T12" else (28, 35)
    for k, i in enumerate(isv):
        lo[o_s + k], hi[o_s + k] = SALVAGE_WINDOW(df.iloc[i])
    g_int, g_n, g_crb, g_cri = intm[ib], cd19n[ib], crb[ib], cri[ib]
    dead_b = dead[ib].astype(int)
    ev = dead.astype(int)
    ntx = ~tx
    sg = salv & ntx

    def unpack(x):
        t2 = x[o_t:o_t + n].astype(float)
        mtx = np.full(n, np.nan)
        for p, v in mtx_fixed.items():
            mtx[P[p]] = v
        for k, p in enumerate(mtx_free):
            mtx[P[p]] = x[o_m + k]
        sv = np.full(n, np.nan)
        sv[isv] = x[o_s:o_s + len(isv)]
        return t2, mtx, sv

    def obj(x, detail=False):
        t2, mtx, sv = unpack(x)
        T = Target()
        t0 = t2 - mtx
        for i in np.flatnonzero(tx):
            p = pid[i]
            if p == "T01":  # the one death more than a year after alloHSCT (EFS 3/12 at 1 year)
                T.rng("t0_" + p, t0[i], 366, 900)
            elif p in ("T26", "T12"):  # before 1 year from day 0, after 1 year from mAb2
                T.rng("t0_" + p, t0[i], 20, 364)
                T.rng("t2_" + p, t2[i], 365, 2000)
            elif dead[i]:
                T.rng("t0_" + p, t0[i], *TX_DEATH_WINDOW.get(df.death_cause.iat[i], (60, 364)))
                T.rng("t2_" + p, t2[i], 0, 364)
            else:
                T.rng("t0_" + p, t0[i], 366, 2000)
        trel = r_b + t2[ib]
        for k, i in enumerate(ib):
            p = pid[i]
            if dead[i]:
                if p in A365_DEAD:
                    T.rng("a365_" + p, trel[k], 366, 5000)
                else:
                    T.rng("a365_" + p, trel[k], 0, 365)
            else:
                T.rng("a365_" + p, trel[k], 365, 5000)
        # the only censorings before 1 year after mAb2 are T28 and T29 (inconsistencies.md C; docs/TWIN.md):
        # 11 non-transplant deaths before them and 1 after; 6 transplant deaths before them and 1 after (< 365)
        c_lo = min(t2[P["T28"]], t2[P["T29"]])
        c_hi = max(t2[P["T28"]], t2[P["T29"]])
        nd = ntx & dead
        T.val("ntx_before_c", float((t2[nd] < c_lo).sum()), 11, 0, 1)
        T.val("ntx_after_c", float(((t2[nd] > c_hi) & (t2[nd] < 365)).sum()), 1, 0, 1)
        td = tx & dead
        T.val("tx_before_c", float((t2[td] < c_lo).sum()), 6, 0, 1)
        T.val("tx_after_c", float(((t2[td] > c_hi) & (t2[td] < 365)).sum()), 1, 0, 1)
        # OS from the post-mAb1 relapse
        T.p("lr_cd19", lr2(trel, dead_b, g_n), 0.73)
        T.p("lr_crb", lr2(trel, dead_b, g_crb), 0.61)
        T.p("lr_int", lr2(trel, dead_b, g_int), 0.82)
        T.p("lr_cri", lr2(trel, dead_b, g_cri), 0.71)
        # OS after mAb2, follow-up
        s_, lo_, _ = km_at(t2, ev)
        T.val("os2", 100 * s_, 33.1, 1, 1)
        T.true("os2lo", abs(100 * lo_ - 19.4) <= 0.1)
        T.val("fu", km_median(t2, 1 - ev)[0] / MONTH, 16.8, 1, 0.3)
        s_, lo_, hi_ = km_at(t2[ntx], ev[ntx])
        T.val("ntx1y", 100 * s_, 26.5, 1, 1)
        T.true("ntx1ylo", abs(100 * lo_ - 11.2) <= 0.1)
        T.true("ntx1yhi", abs(100 * hi_ - 62.4) <= 0.1)
        md, mlo, mhi = km_median(t2[ntx], ev[ntx])
        T.val("ntxmd", md, 203, 0, 5)
        T.val("ntxmdlo", mlo, 140, 0, 5)
        T.true("ntxmdhi", math.isnan(mhi))
        for name, msk in (("ntx", ntx), ("salv_nocr", sg & ~scr)):
            T.true("half_" + name, not km_half(t2[msk], ev[msk]), w=0.5)
        T.val("salv_cr_md", km_median(t2[sg & scr], ev[sg & scr])[0], 261, 0, 5)
        T.val("salv_nocr_md", km_median(t2[sg & ~scr], ev[sg & ~scr])[0], 145, 0, 5)
        T.p("lr_salv", lr2(t2[sg], ev[sg], scr[sg]), 0.06)
        # first salvage line after mAb2
        for i in isv:
            p = pid[i]
            gap = {"T23": 130, "T27": 30, "T28": 60}.get(p, 10)
            T.rng("s_" + p, sv[i], 0, t2[i] - gap)
        x_s = sv[isv]
        T.val("s_md", q(x_s, .5), 100, 0, 5)
        T.val("s_q1", q(x_s, .25), 61, 0, 5)
        T.val("s_q3", q(x_s, .75), 198, 0, 5)
        # after alloHSCT
        s_, _, _ = km_at(t0[tx], ev[tx])
        T.true("os_tx", 31.15 <= 100 * s_ <= 31.25 + 1e-9)
        T.val("fu_tx", km_median(t0[tx], 1 - ev[tx])[0] / MONTH, 18, 0, 0.3)
        T.val("mtx_md", q(mtx[tx], .5), 37.5, 1, 1)
        T.true("mtx_max_short", max(mtx[P[p]] for p in mtx_free if p != "T12") == 35)
        return T.miss if detail else T.pen

    rng = np.random.default_rng(seed)
    x0 = np.array([rng.integers(lo[i], hi[i] + 1) for i in range(size)])
    best, f = anneal(x0, lo, hi, obj, iters, seed, step=np.maximum(1, (hi - lo) // 8), t0=3.0, t1=0.02, log=log)
    t2, mtx, sv = unpack(best)
    return t2, mtx, sv, f, obj(best, detail=True)



SALVAGE_LINES = {"T23": 2, "T27": 1, "T07": 2, "T28": 1, "T21": 2, "T22": 1, "T06": 1, "T10": 2, "T18": 2, "T19": 3,
                 "T24": 2, "T20": 1, "T29": 3}
# seeds are tried in order; the first whose objective reaches 0 wins (104 and 200 do; the rest are fallbacks)
SEEDS = {"intervals": [104] + list(range(100, 140)), "survival": list(range(200, 240)), "dates": 7}


def _fmt_num(v, dec=None):
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if dec is None:
        return str(int(round(v)))
    return f"{v:.{dec}f}"


def build_design(log=print) -> pd.DataFrame:
    """The whole design from the roster: hand-set values + the seeded searches (deterministic)."""
    df = base_roster()
    pid = df.pid.tolist()
    P = {p: i for i, p in enumerate(pid)}
    bf = (df.seq == "BF").to_numpy()
    num: dict[str, dict[str, float]] = {c: {} for c in COLUMNS}
    # baseline numbers
    for p in pid:
        if p in IF_FIXED:
            for k, v in IF_FIXED[p].items():
                num[k][p] = v
        else:
            num["age_dx"][p] = AGES[p]
            num["blasts_mab1"][p] = float(BLASTS[p])
            num["ino_cycles"][p] = INO_CYCLES.get(p, 1)
    idx, small = search_small_ints(df)
    for k, i in enumerate(idx):
        num["prior_lines"][pid[i]] = int(small["prior_lines"][k])
        num["blina_cycles"][pid[i]] = int(small["blina_cycles"][k])
    # intervals mAb1 -> event -> mAb2
    log("searching intervals ...")
    for seed in SEEDS["intervals"]:
        e_map, m_map, f, miss = search_intervals(df, seed=seed, iters=80000)
        log(f"  seed {seed}: objective {f:.3f}; unmatched: {miss}")
        if f == 0:
            break
    for p in e_map:
        num["days_mab1_event"][p] = e_map[p]
        num["days_mab1_mab2"][p] = m_map[p]
    num["days_mab1_event"]["T29"] = 35  # progression on inotuzumab mAb1 (refractory), before interim therapy
    for p in pid:  # alloHSCT in CR after blinatumomab mAb1: 3 weeks after the last cycle, >= 35 days before relapse
        if df.loc[P[p], "hsct_between"] == "1":
            num["days_mab1_hsct"][p] = min(42 * num["blina_cycles"][p] + 21, num["days_mab1_event"][p] - 35)
    log("searching survival times ...")
    for seed in SEEDS["survival"]:
        t2, mtx, sv, f, miss = search_survival(df, e_map, m_map, seed=seed, iters=120000)
        log(f"  seed {seed}: objective {f:.3f}; unmatched: {miss}")
        if f == 0:
            break
    rng = np.random.default_rng(SEEDS["dates"])
    for i, p in enumerate(pid):
        num["days_mab2_last"][p] = int(t2[i])
        if not math.isnan(mtx[i]):
            num["days_mab2_tx"][p] = int(mtx[i])
        if not math.isnan(sv[i]):
            num["days_mab2_first_salvage"][p] = int(sv[i])
    # transplant details that follow from the times
    for p, (d_tx, last, cyc) in FIXED_TX.items():
        num["last_ino_to_tx_days"][p] = last
        num["ino_cycles"][p] = cyc
    for i, p in enumerate(pid):
        r = df.iloc[i]
        if r.tx != "1":
            continue
        d_tx = num["days_mab2_tx"][p]
        t0 = num["days_mab2_last"][p] - d_tx
        if r.seq == "BF" and p not in FIXED_TX:
            offset = 35 if p == "T12" else 14  # last dose: day 15 of cycle 1 (day 15 of cycle 2 for T12)
            num["last_ino_to_tx_days"][p] = d_tx - offset
        relapsed = r.death_cause == "progression" or r.status_last not in ("cr", "dead")
        if relapsed:
            num["days_tx_relapse"][p] = int(t0 - (60 if r.dead == "0" else max(14, round(0.3 * t0))))
    # post-mAb2 event (first relapse/progression after mAb2)
    for i, p in enumerate(pid):
        r = df.iloc[i]
        t_last = num["days_mab2_last"][p]
        s = num["days_mab2_first_salvage"].get(p)
        if r.tx == "1":
            if p in num["days_tx_relapse"]:
                num["days_mab2_event2"][p] = num["days_mab2_tx"][p] + num["days_tx_relapse"][p]
            continue
        if p == "T28":
            ev2 = 30  # remission lost during blinatumomab consolidation
        elif r.resp_mab2 == "nr":
            ev2 = min(35, (s - 3) if s else t_last - 3)
        elif s:  # relapse after CR to mAb2, salvage a week later
            ev2 = s - 7
        else:  # relapse after a short CR (< 30 days of remission), no further line
            ev2 = min(50, t_last - 30)
        num["days_mab2_event2"][p] = int(ev2)
    # salvage lines, re-treatment CR duration, interim lines
    for p in pid:  # further lines after mAb2 in the non-transplanted (0 = none); blank for the transplanted
        if df.loc[P[p], "tx"] == "0":
            num["n_salvage_lines_after_mab2"][p] = SALVAGE_LINES.get(p, 0)
    num["retreat_cr_days"]["T23"] = 91  # CR to blinatumomab re-treatment lasting 3 months
    intm = [p for p in pid if df.loc[P[p], "int"] == "I"]
    r_int = {p: num["days_mab1_mab2"][p] - num["days_mab1_event"][p] for p in intm}
    quick = [p for p in intm if p in ("T01", "T10", "T23", "T24", "T29")]
    rest = sorted([p for p in intm if p not in quick], key=lambda p: -r_int[p])
    for p in quick:
        num["interim_lines"][p] = 1
    for p, v in zip(rest, [5, 4, 3, 3, 2, 2, 2, 2, 2]):
        num["interim_lines"][p] = v
    num["interim_lines"]["T29"] = 2
    for p in pid:
        num["interim_lines"].setdefault(p, 0)
    # dates: alive patients were last seen 0-21 days before the cut-off; deaths spread over 2015-2020
    for p in pid:
        span = num["days_mab1_mab2"][p] + num["days_mab2_last"][p]
        if df.loc[P[p], "dead"] == "0":
            last = CUTOFF - timedelta(days=int(rng.integers(0, 22)))
        else:
            earliest = date(2015, 1, 1) + timedelta(days=span)
            latest = min(CUTOFF, date(2019, 12, 31) + timedelta(days=span))
            last = earliest + timedelta(days=int(rng.integers(0, (latest - earliest).days + 1)))
        num["mab1_start"][p] = (last - timedelta(days=span)).isoformat()
    # diagnosis -> mAb1 (years of prior therapy), then age at alloHSCT (median 49)
    for p in pid:
        r = df.loc[P[p]]
        base = 150 if r.frontline == "refractory" else 420
        num["days_dx_mab1"][p] = int(base + 300 * (num["prior_lines"][p] - 1) + rng.integers(0, 200))
    tx_p = [p for p in pid if df.loc[P[p], "tx"] == "1"]

    def age_tx(p):
        d = num["days_dx_mab1"][p] + num["days_mab1_mab2"][p] + num["days_mab2_tx"][p]
        return round(num["age_dx"][p] + d / 365.25, 1)

    # T12 and T02 are the 6th and 7th oldest at alloHSCT: place them at 48.8 and 49.2 years
    for p, target in (("T12", 48.8), ("T02", 49.2)):
        rest_days = num["days_mab1_mab2"][p] + num["days_mab2_tx"][p]
        num["days_dx_mab1"][p] = int(round((target - num["age_dx"][p]) * 365.25 - rest_days))
    for p in tx_p:
        num["age_tx"][p] = age_tx(p)
    # assemble
    out = df.copy()
    for c in COLUMNS:
        if c not in out.columns:
            out[c] = ""
    for c, vals in num.items():
        for p, v in vals.items():
            if c in ("mab1_start",):
                out.loc[P[p], c] = v
            elif c in ("age_dx", "age_tx", "blasts_mab1"):
                out.loc[P[p], c] = _fmt_num(v, 1) if c != "blasts_mab1" else _fmt_num(v)
            else:
                out.loc[P[p], c] = _fmt_num(v)
    out["cd34_dose"] = out["cd34_dose"].replace(".", "")
    return out[COLUMNS]


def write_design(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False, lineterminator="\n")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--design", type=Path, default=DESIGN)
    ap.add_argument("--only-fail", action="store_true", help="print only rows that do not match")
    ap.add_argument("--search", action="store_true", help="rebuild the design from the roster (seeded) and write it")
    args = ap.parse_args(argv)
    if args.search:
        design = build_design()
        args.design.parent.mkdir(parents=True, exist_ok=True)
        write_design(design, args.design)
        print(f"wrote {args.design}")
    df = load_design(args.design)
    problems = validate_design(df)
    res = evaluate(df)
    print(report(res, only_fail=args.only_fail))
    if problems:
        print("\ndesign consistency problems:")
        for p in problems:
            print("  " + p)
    return 0 if not problems and not (res.status == "NO MATCH").any() else 1  # known-infeasible rows do not fail


if __name__ == "__main__":
    raise SystemExit(main())
