"""Searches for the times: days mAb1 -> post-mAb1 event -> mAb2 (STRUCT pins the order statistics) and the days
after mAb2 (survival, transplant, salvage), by seeded simulated annealing against the published medians, S(365)
and log-rank p-values."""
from __future__ import annotations

import math

import numpy as np

from .anneal import Target, anneal
from .kernels import km_at, km_half, km_median, kw2, lr2, q
from .roster import A365_DEAD, FIXED_TX, IF_FIXED, MONTH, STRUCT

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


