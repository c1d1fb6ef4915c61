"""The whole design from the roster: hand-set values + the seeded searches (deterministic, about a minute)."""
from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from .roster import AGES, BLASTS, COLUMNS, CUTOFF, FIXED_TX, IF_FIXED, INO_CYCLES, base_roster
from .search_baseline import search_small_ints
from .search_times import search_intervals, search_survival

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


