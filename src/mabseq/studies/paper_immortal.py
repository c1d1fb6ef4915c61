"""Groups formed after the origin (study-definition 6.1), beside the paper's naive splits; EXT, never fidelity.

* **CR to inotuzumab mAb2** (BF) and **CR to salvage after mAb2** (NTX with further lines): the response happens
  after the origin (the start of mAb2), so the group is time-dependent. For each: the Mantel-Byar test, a Cox model
  with the response as a time-varying covariate (Efron; with >= 10 events), and a landmark analysis with the
  landmark chosen from the data: L = the 75th percentile (type 7) of the days to the response among responders,
  rounded up to a multiple of 7 (the median if a landmark group falls below ``min_group_n``), with sensitivity
  landmarks at the median, the 90th percentile and 30, 60, 90 and 180 days. Each landmark reports the patients
  excluded (event or censoring by L), those reclassified as "without" (response after L), the group sizes,
  S(365 from the origin | alive at L) per group, and the log-rank p from L.
* **Figure 3A relabelled**: "EFS from mAb1 by CD19" groups patients by a marker measured at the event that ends EFS.
  It is shown as the descriptive "time to the post-blinatumomab relapse/progression among those later given
  inotuzumab", as Aalen-Johansen curves with CD19-neg/dim, CD19-positive and CD19-unknown relapse as competing event
  types (endpoint ``rel1_cd19_mab1``).
* **Quasi-independence**: left truncation (OS from mAb1 and from the post-mAb1 relapse, entry at mAb2) is valid only
  if entry and survival are quasi-independent; Tsai's test (``stats.truncation``) for each left-truncated endpoint.
"""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
from ..stats.distributions import chi2_sf

from ..results.records import Record
from ..stats import cox_ph, kaplan_meier, logrank_test, mantel_byar, quantile, quasi_independence_test
from .builder import Builder, Pop, not_computed

NOTE = "exploratory, unadjusted"
SENSITIVITY_DAYS = (30, 60, 90, 180)


def add_immortal_time(b: Builder, P: dict) -> None:
    b.extension, b.block = True, "EXT: immortal time"
    # only patients whose group is known: a response that is unknown, or a CR without a date, is left out and
    # counted (it is neither "with" nor "without"); a patient who started mAb2 in MRD-negative CR and held it is
    # in CR from day 0
    bf = P["BF"].frame
    consolidation = (bf["resp_mab2"] == "cr") & (bf["state_mab2"] == "cr_mrd_negative")
    cr_ino = _days_between(bf, "mab2_start", "resp_mab2_date", (bf["resp_mab2"] == "cr") & ~consolidation)
    cr_ino.update({p: 0.0 for p in bf.loc[consolidation, "patient_id"]})
    known = P["BF"].where("BF-RESP2", "Blinatumomab mAb1, response to mAb2 known and dated",
                          lambda f: (f["resp_mab2"] == "nr") | ((f["resp_mab2"] == "cr") & (
                              f["resp_mab2_date"].notna() | (f["state_mab2"] == "cr_mrd_negative"))))
    sw_ino = ('ifelse(.eq(`resp_mab2`, "cr") & .eq(`state_mab2`, "cr_mrd_negative"), 0, '
              'ifelse(.eq(`resp_mab2`, "cr"), `resp_mab2_day` - `mab2_start_day`, NA))')
    switch_analysis(b, "cr_ino", "OS after mAb2 by CR to inotuzumab mAb2", known, "os_mab2", cr_ino,
                    ("no CR to inotuzumab yet", "after CR to inotuzumab"), left_out=P["BF"].n - known.n,
                    switch_r=sw_ino)
    salv = P["NTX-SALV"].frame
    cr_salv = _days_between(salv, "mab2_start", "salvage_cr_date", salv["salvage_cr"] == True)  # noqa: E712
    known = P["NTX-SALV"].where("NTX-SALV-KNOWN", "Further lines after mAb2, salvage response known and dated",
                                lambda f: (f["salvage_cr"] == False) | (  # noqa: E712
                                    (f["salvage_cr"] == True) & f["salvage_cr_date"].notna()))  # noqa: E712
    switch_analysis(b, "salvage_cr", "OS after mAb2 by CR to salvage", known, "os_mab2", cr_salv,
                    ("no CR to salvage yet", "after CR to salvage"), left_out=P["NTX-SALV"].n - known.n,
                    switch_r="ifelse(.eq(`salvage_cr`, TRUE), `salvage_cr_day` - `mab2_start_day`, NA)")
    b.block = "EXT: Figure 3A relabelled"
    causes = {1: ("cd19negdim", "CD19-neg/dim relapse"), 2: ("cd19pos", "CD19-positive relapse"),
              3: ("cd19unknown", "relapse with CD19 unknown")}
    b.cif("ext_rel1_cd19", "Time to the post-blinatumomab relapse/progression by CD19 at it (among those later "
          "given inotuzumab; descriptive)", P["BF"], "rel1_cd19_mab1",
          causes={code: k for code, (k, _) in causes.items()}, at=(90, 180, 365), id_stem="ext_rel1_cd19",
          labels=dict(causes.values()))
    b.block = "EXT: immortal time"
    for endpoint, pop, what in (("os_mab1", P["FULL"], "OS from mAb1"),
                                ("os_relapse1", P["BF"], "OS from the post-blinatumomab relapse")):
        _quasi_independence(b, endpoint, pop, what)
    b.extension = False


def _days_between(frame: pd.DataFrame, origin: str, date: str, had: pd.Series) -> dict[str, float]:
    """Days from ``origin`` to ``date`` for the patients with ``had`` and a date (others: no switch)."""
    out = {}
    for pid, a, d, h in zip(frame["patient_id"], frame[origin], frame[date], had):
        if h and d is not None and not pd.isna(d) and a is not None and not pd.isna(a):
            out[pid] = float((pd.Timestamp(d) - pd.Timestamp(a)).days)
    return out


def counting_process(d: pd.DataFrame, switch: dict[str, float], labels: tuple[str, str]):
    """(start, stop, event, group, patient) intervals: a patient who switches at u (0 < u < t) contributes (0, u]
    to the first group and (u, t] to the second; a switch at or before 0 puts the whole follow-up in the second, one
    at or after the end none of it."""
    before, after = labels
    start, stop, event, group, pids = [], [], [], [], []
    for pid, t, e in zip(d["patient_id"], d["time"].astype(float), d["status"].astype(int)):
        u = switch.get(pid)
        if u is not None and 0 < u < t:
            start += [0.0, u]
            stop += [u, t]
            event += [0, e]
            group += [before, after]
            pids += [pid, pid]
        else:
            start.append(0.0)
            stop.append(t)
            event.append(e)
            group.append(after if u is not None and u <= 0 else before)
            pids.append(pid)
    return tuple(np.asarray(x) for x in (start, stop, event, group, pids))


def switch_analysis(b: Builder, stem: str, title: str, pop: Pop, endpoint: str, switch: dict[str, float],
                    labels: tuple[str, str], left_out: int = 0, switch_r: str | None = None) -> None:
    """Mantel-Byar, time-varying Cox and the landmark analyses of a group entered at a time after the origin.
    ``left_out`` patients of the wider population had an unknown group (said in every record's note);
    ``switch_r`` is the switch day as an R expression on adsl.csv, for the R check (results/rscript.py)."""
    d = b.tte(pop, endpoint)
    rid = f"ext_{stem}"
    note = NOTE + (f"; {left_out} patient{'s' if left_out != 1 else ''} left out: response unknown or undated"
                   if left_out else "")
    if not len(d):
        not_computed(b.results, f"{rid}_td", f"{title} (time-dependent group)", f"not computed: no patient of "
                     f"'{pop.label}' has time-to-event data", kind="analysis", block=b.block)
        return
    start, stop, event, group, _ = counting_process(d, switch, labels)
    ids = tuple(d["patient_id"].tolist())
    if len(set(group)) < 2:
        not_computed(b.results, f"{rid}_td", f"{title} (time-dependent group)", f"not computed: every patient of "
                     f"'{pop.label}' is in one group ({group[0]})", kind="analysis", block=b.block)
    else:
        chk = dict(endpoint=endpoint, var=switch_r) if switch_r and pop.expr else None
        if chk:
            b._check(f"{rid}_mantel_byar_p", "mantel_byar", [pop], **chk)
        mb = mantel_byar(start, stop, event, group)
        b.results.add(Record(f"{rid}_mantel_byar_p", mb.p_value, "p_value", quantity=f"{title}: Mantel-Byar",
                             population=pop.name, patients=ids, decimals=2, method="Mantel-Byar (log-rank with "
                             "the group as a time-dependent covariate, hypergeometric variance)", block=b.block,
                             extension=True, note=note))
        if _time_varying_cox(b, rid, title, pop, ids, start, stop, event, group == labels[1], note) and chk:
            for st, stat in (("hr", "hr"), ("ci_low", "lower"), ("ci_high", "upper"), ("p", "p")):
                b._check(f"{rid}_cox_{st}", "cox_td", [pop], stat=stat, **chk)
    _landmarks(b, rid, title, pop, d, switch, labels, note,
               dict(endpoint=endpoint, var=switch_r) if switch_r and pop.expr else None)


def _time_varying_cox(b, rid, title, pop, ids, start, stop, event, x, note: str) -> bool:
    """The Cox model's records; whether it was estimated."""
    n_events = int(event.sum())
    q = f"{title}: Cox, response as a time-varying covariate (Efron)"
    if n_events < 10:
        b.results.add(Record(f"{rid}_cox_hr", None, "hr", quantity=q, population=pop.name, patients=ids,
                             block=b.block, extension=True, note=f"not estimated: {n_events} event"
                             f"{'s' if n_events != 1 else ''}, fewer than the 10 a Cox model needs (SD 6.1)"))
        return False
    try:
        fit = cox_ph(stop, event, x.astype(float)[:, None], entry=start, names=["response (time-varying)"])
    except (ValueError, np.linalg.LinAlgError) as exc:
        b.results.add(Record(f"{rid}_cox_hr", None, "hr", quantity=q, population=pop.name, patients=ids,
                             block=b.block, extension=True, note=f"not estimated: {exc}"))
        return False
    s = fit.summary.iloc[0]
    for st, v in (("hr", s["hazard_ratio"]), ("ci_low", s["hr_lower"]), ("ci_high", s["hr_upper"]),
                  ("p", float(chi2_sf(fit.lrt, 1)))):
        b.results.add(Record(f"{rid}_cox_{st}", float(v), "p_value" if st == "p" else st, quantity=q,
                             population=pop.name, patients=ids, decimals=2, method="coxph (start, stop], Efron; "
                             "HR with Wald 95% CI, likelihood-ratio p", block=b.block, extension=True, note=note))
    return True


def up7(days: np.ndarray, p: float) -> int:
    """The p-quantile (type 7) of ``days`` rounded up to a multiple of 7 days (SD 6.1's landmark)."""
    return int(7 * math.ceil(float(quantile(days, [p])[0]) / 7))


def landmark_marks(days: np.ndarray, chosen: int) -> list[int]:
    """The landmarks reported: the chosen one, the median, the 75th and 90th percentiles, 30, 60, 90, 180 days."""
    return sorted({chosen, up7(days, 0.5), up7(days, 0.75), up7(days, 0.9), *SENSITIVITY_DAYS})


def landmark_days(days: np.ndarray, sizes_at, min_n: int) -> tuple[int, list[int]]:
    """The chosen landmark (75th percentile, type 7, rounded up to a multiple of 7; the median when a landmark
    group falls below ``min_n``) and the sorted set of landmarks reported."""
    chosen = up7(days, 0.75)
    if min(sizes_at(chosen), default=0) < min_n:
        chosen = up7(days, 0.5)
    return chosen, landmark_marks(days, chosen)


def _landmarks(b: Builder, rid: str, title: str, pop: Pop, d: pd.DataFrame, switch: dict, labels,
               note: str, chk: dict | None = None) -> None:
    """Each landmark L: the patients followed beyond L (an event or censoring on day L or before is excluded);
    a response on day L or before puts a patient in the "with" group."""
    in_d = set(d["patient_id"].tolist())
    days = np.array([u for pid, u in switch.items() if pid in in_d], float)
    if len(days) < 2:
        not_computed(b.results, f"{rid}_landmark", f"{title}: landmark analysis", f"not computed: the landmark is "
                     f"chosen from the days to the response, which needs at least 2 responders with time-to-event "
                     f"data ({len(days)})", kind="analysis", block=b.block)
        return
    before, after = labels
    t = d["time"].to_numpy(float)
    e = d["status"].to_numpy(int)
    u = np.array([switch.get(p, np.nan) for p in d["patient_id"]], float)

    def groups_at(L):
        alive = t > L
        grp = np.where(alive & (u <= L), "with", "without")  # u NaN compares False: without
        return alive, grp

    def sizes_at(L):
        alive, grp = groups_at(L)
        return [int((alive & (grp == g)).sum()) for g in ("with", "without")]

    chosen, marks = landmark_days(days, sizes_at, b.params.min_group_n)
    b.results.meta.setdefault("landmarks", {})[rid] = chosen
    for L in marks:
        alive, grp = groups_at(L)
        excluded = int((~alive).sum())
        reclassified = int((alive & (u > L)).sum())
        n_with, n_without = sizes_at(L)
        ok = min(n_with, n_without) >= b.params.min_group_n
        stem = f"{rid}_landmark_d{L}"
        kind = "chosen landmark" if L == chosen else "sensitivity landmark"
        base = dict(population=f"{pop.name} alive at day {L}", patients=tuple(d.loc[alive, "patient_id"]),
                    block=b.block, extension=True)
        why = "" if ok else f"not tested: a group below {b.params.min_group_n} patients (SD 6.6)"
        p = logrank_test(t[alive] - L, e[alive], grp[alive]).p_value if ok else None
        if ok and chk:
            b._check(f"{stem}_p", "landmark_logrank", [pop], time=int(L), **chk)
        b.results.add(Record(f"{stem}_p", p, "p_value", quantity=f"{title}: landmark day {L} ({kind}), log-rank "
                             "from the landmark", decimals=2, method="log-rank on the patients alive at the "
                             "landmark, groups fixed at it (excluded: event or censoring on or before day L)",
                             note="; ".join(x for x in (note, why) if x), **base))
        pid = d["patient_id"].to_numpy()
        for st, v, q, who in (
                ("excluded_n", excluded, "excluded: event or censoring by the landmark", ~alive),
                ("reclassified_n", reclassified, "reclassified as without: response after the landmark",
                 alive & (u > L)),
                ("with_n", n_with, f"{after} by the landmark", alive & (grp == "with")),
                ("without_n", n_without, f"{before} at the landmark", alive & (grp == "without"))):
            b.results.add(Record(f"{stem}_{st}", v, "n", quantity=f"{title}: landmark day {L}: {q}", decimals=0,
                                 **{**base, "patients": tuple(pid[who])}))
            if chk:
                b._check(f"{stem}_{st}", "landmark_n", [pop], time=int(L), stat=st[:-2], **chk)
        for g, label in (("with", after), ("without", before)):
            m = alive & (grp == g)
            if _conditional_s365(b, f"{stem}_{g}_s365", f"{title}: S(365 from the origin | alive at day {L}), "
                                 f"{label}", t[m], e[m], L, base) and chk:
                for suffix, st in (("_pct", "surv"), ("_ci_low", "lower"), ("_ci_high", "upper")):
                    b._check(f"{stem}_{g}_s365{suffix}", "landmark_km", [pop], time=int(L), stat=f"{g}:{st}",
                             scale=100, **chk)


def _conditional_s365(b: Builder, stem: str, quantity: str, t, e, L: int, base: dict) -> bool:
    """S(365 | alive at L) = the Kaplan-Meier of the time after L at 365 - L among those alive at L (log CI);
    whether it was estimated (all three values)."""
    vals, note = (None, None, None), ""
    if L >= 365:
        note = f"not estimated: the landmark (day {L}) is not before day 365"
    elif len(t) < b.params.min_group_n:
        note = f"not estimated: {len(t)} patients alive at the landmark, fewer than {b.params.min_group_n}"
    else:
        row = kaplan_meier(t - L, e).at([365.0 - L]).iloc[0]
        if pd.isna(row["surv"]):
            note = "not estimated: follow-up ends before day 365"
        else:
            vals = tuple(100 * float(row[k]) if not pd.isna(row[k]) else None for k in ("surv", "lower", "upper"))
            if row["n_risk"] < 5:
                note = f"unstable: {int(row['n_risk'])} at risk at day 365 (fewer than 5, SD 6.6)"
    for suffix, st, v in (("_pct", "estimate_pct", vals[0]), ("_ci_low", "ci_low_pct", vals[1]),
                          ("_ci_high", "ci_high_pct", vals[2])):
        b.results.add(Record(stem + suffix, v, st, quantity=quantity, decimals=1, method="Kaplan-Meier from the "
                             "landmark, log CI", note=note, **base))
    return all(v is not None for v in vals)


def _quasi_independence(b: Builder, endpoint: str, pop: Pop, what: str) -> None:
    all_ = b.tte(pop, endpoint)
    d = all_[all_["entry"].notna() & (all_["time"].astype(float) > all_["entry"].astype(float))]
    rid = f"ext_quasi_indep_{endpoint}"
    q = f"{what}, left-truncated at mAb2: Tsai's test of quasi-independence of entry and survival"
    gone = len(all_) - len(d)
    left = f"; {gone} patient{'s' if gone != 1 else ''} without follow-up after the start of mAb2 left out" \
        if gone else ""
    base = dict(population=pop.name, patients=tuple(d["patient_id"].tolist()), block=b.block, extension=True)
    if len(d) < b.params.min_group_n or not (d["status"] == 1).any():
        b.results.add(Record(f"{rid}_p", None, "p_value", quantity=q, note=f"not tested: {len(d)} patients, "
                             f"{int((d['status'] == 1).sum())} events", **base))
        return
    r = quasi_independence_test(d["time"].to_numpy(float), d["status"].to_numpy(int), d["entry"].to_numpy(float))
    note = ("a small p means entry and survival are associated: the left-truncated estimate is then itself "
            "biased" if r.p_value == r.p_value else "not testable: no event with two or more at risk") + left
    if r.p_value == r.p_value:  # the R check recomputes Tsai's statistic from adtte.csv (results/rscript.py)
        for st in ("z", "p"):
            b._check(f"{rid}_{st}", "tsai", [pop], endpoint=endpoint, stat=st)
    b.results.add(Record(f"{rid}_z", r.z if r.z == r.z else None, "z", quantity=q, decimals=2,
                         method="Tsai 1990 conditional Kendall statistic K / sqrt(V)", note=note, **base))
    b.results.add(Record(f"{rid}_p", r.p_value if r.p_value == r.p_value else None, "p_value", quantity=q,
                         decimals=2, method="Tsai 1990, two-sided normal", note=note, **base))
