"""Beyond the paper (study-definition section 6), on by default and shown beside the paper's numbers, never part of
fidelity: the immortal-time guard, exact intervals for proportions, cumulative incidences after alloHSCT (relapse and
NRM with Gray's test by conditioning intensity, aGVHD grade II-IV and III-IV), treatment-failure incidence from mAb2
beside relapse incidence from CR, and the sensitivity analyses (the ungraded aGVHD case, the EFS definitions;
studies/plan_analyses.py). Every p-value here is exploratory and unadjusted.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..results.records import Record
from ..stats import cox_ph, logrank_test, mantel_byar
from ..stats.distributions import chi2_sf
from .builder import Builder, eq as _eq, mark_not_computed, not_computed
from .paper_immortal import counting_process, landmark_marks, up7
from .plan_analyses import agvhd_ungraded_sensitivity, efs_definition_sensitivity, failure_and_relapse, \
    gray_by_conditioning


SWITCH_TX = "ifelse(.eq(`tx`, TRUE), `days_mab2_tx`, NA)"  # R: the day of alloHSCT after mAb2 (NA: none)


def add_extensions(b: Builder, P: dict) -> None:
    b.extension = True
    _exact_intervals(b, P)
    _immortal_time(b, P)
    _transplant_time_dependent(b, P)
    _cumulative_incidence(b, P)
    b.extension = False


def _exact_intervals(b: Builder, P: dict) -> None:
    b.block = "EXT: exact intervals"
    for id_, pop, var, q in (
        ("ext_cr_mab1", P["FULL"], _eq("resp_mab1", "cr"), "CR after mAb1"),
        ("ext_cr_mab2", P["FULL"], _eq("resp_mab2", "cr"), "CR after mAb2"),
        ("ext_cr_blina_bf", P["BF"], _eq("resp_mab1", "cr"), "CR after blinatumomab mAb1"),
        ("ext_cr_ino_bf", P["BF"], _eq("resp_mab2", "cr"), "CR after inotuzumab mAb2"),
        ("ext_cd19_negdim_bf", P["BF"], _eq("cd19_event1", "negdim"), "CD19-neg/dim relapse after blinatumomab"),
        ("ext_engraft_tx", P["TX"], lambda f: f["engraft_days"].notna(), "neutrophil engraftment"),
        ("ext_agvhd_tx", P["TX"], lambda f: f["agvhd"] == True, "acute GVHD any grade"),  # noqa: E712
        ("ext_agvhd_ge2_tx", P["TX"], lambda f: f["agvhd_ge2"] == True, "acute GVHD grade II-IV"),  # noqa: E712
        ("ext_agvhd_ge3_tx", P["TX"], lambda f: f["agvhd_ge3"] == True, "acute GVHD grade III-IV"),  # noqa: E712
        ("ext_relapse_tx", P["TX"], lambda f: f["tx_relapse_date"].notna(), "relapse after alloHSCT (crude)"),
        ("ext_nrm_tx", P["TX"], lambda f: (f["dead"] == True) & f["tx_relapse_date"].isna(),  # noqa: E712
         "non-relapse mortality (crude)"),
    ):
        b.n_pct(f"{id_}_n", f"{id_}_pct", pop, var, quantity=q, paper=False)
        b.proportion_ci(id_, pop, var, quantity=q)


def _immortal_time(b: Builder, P: dict) -> None:
    """OS from the post-mAb1 relapse with left truncation at the start of mAb2 (survival to mAb2 was required for
    inclusion), beside each naive split of the paper."""
    b.block = "EXT: immortal time"
    for stem, groups, title in (
        ("cd19", [P["BF-CD19N"], P["BF-CD19P"]], "by CD19 at relapse"),
        ("cr_blina", [P["BF-CRB"], P["BF-NCRB"]], "by CR to blinatumomab"),
        ("interim", [P["BF-INT"], P["BF-NOINT"]], "by interim therapy"),
        ("cr_ino", [P["BF-CRI"], P["BF-NCRI"]], "by CR to inotuzumab"),
    ):
        b.km(f"ext_os_relapse1_lt_{stem}", f"OS after post-blinatumomab relapse {title}, left-truncated at mAb2",
             groups, "os_relapse1", entry=True, test_id=f"ext_os_relapse1_lt_{stem}_p", paper_test=False,
             ids={g.name: f"ext_os_relapse1_lt_{stem}_{g.name.lower()}" for g in groups},
             cut_at_risk=b.params.km_min_at_risk)
    # interim therapy as a baseline variable: OS from mAb2
    b.km("ext_os_mab2_interim", "OS after mAb2 by interim therapy (origin at mAb2)", [P["BF-INT"], P["BF-NOINT"]],
         "os_mab2", test_id="ext_os_mab2_interim_p", paper_test=False,
         ids={"BF-INT": "ext_os_mab2_interim_int", "BF-NOINT": "ext_os_mab2_interim_noint"})


def _transplant_time_dependent(b: Builder, P: dict) -> None:
    """alloHSCT after mAb2 as a time-dependent group: Mantel-Byar, Simon-Makuch curves, time-varying Cox, and a
    landmark analysis with the landmark chosen from the data (study-definition 6.1)."""
    b.block = "EXT: immortal time"
    full = P["FULL"]
    d = b.tte(full, "os_mab2").merge(full.frame[["patient_id", "tx", "days_mab2_tx"]], on="patient_id")
    switch = {p: float(u) for p, tx, u in zip(d["patient_id"], d["tx"], d["days_mab2_tx"])
              if tx == True and not pd.isna(u)}  # noqa: E712
    start, stop, event, group, pids = counting_process(d, switch, ("no alloHSCT yet", "after alloHSCT"))
    n_tx, n_no = int((group == "after alloHSCT").sum()), int((group == "no alloHSCT yet").sum())
    # the R check forms the switch from adsl.csv: alloHSCT after mAb2 on day days_mab2_tx (results/rscript.py)
    chk = dict(endpoint="os_mab2", var=SWITCH_TX) if full.expr else None
    if len(set(group)) == 2:
        mb = mantel_byar(start, stop, event, group)
        if chk:
            b._check("ext_mantel_byar_tx_p", "mantel_byar", [full], **chk)
        b.results.add(Record("ext_mantel_byar_tx_p", mb.p_value, "p_value", quantity="OS after mAb2, alloHSCT as a "
                             "time-dependent group (Mantel-Byar)", population="FULL", patients=full.ids, decimals=2,
                             method="Mantel-Byar (log-rank with time-dependent group)", block=b.block,
                             extension=True, note="exploratory, unadjusted"))
        b.time_dependent_km("ext_simon_makuch_tx", "Simon-Makuch: OS after mAb2 with alloHSCT as a time-dependent "
                            "group", pids, start, stop, event, group, population="FULL", endpoint="os_mab2",
                            test_id="ext_mantel_byar_tx_p", note="display only: not survival functions of fixed groups",
                            labels={"no alloHSCT yet": "No alloHSCT yet", "after alloHSCT": "After alloHSCT"})
        n_events = int(event.sum())
        if n_events < 10:
            b.results.add(Record("ext_cox_tx_hr", None, "hr", quantity="Cox, alloHSCT as a time-varying covariate "
                                 "(Efron)", population="FULL", patients=full.ids, block=b.block, extension=True,
                                 note=f"not estimated: {n_events} death{'s' if n_events != 1 else ''} after mAb2, "
                                      "fewer than the 10 a Cox model needs here"))
        else:
            x = (group == "after alloHSCT").astype(float)
            try:
                fit = cox_ph(stop, event, x[:, None], entry=start, names=["alloHSCT (time-varying)"])
                s = fit.summary.iloc[0]
                lr_p = float(chi2_sf(fit.lrt, 1))
                for st, v in (("hr", s["hazard_ratio"]), ("ci_low", s["hr_lower"]), ("ci_high", s["hr_upper"]),
                              ("p", lr_p)):
                    if chk:
                        b._check(f"ext_cox_tx_{st}", "cox_td", [full],
                                 stat={"ci_low": "lower", "ci_high": "upper"}.get(st, st), **chk)
                    b.results.add(Record(f"ext_cox_tx_{st}", float(v), "p_value" if st == "p" else st,
                                         quantity="Cox, alloHSCT as a time-varying covariate (Efron)",
                                         population="FULL", patients=full.ids, decimals=2, method="coxph Efron",
                                         block=b.block, extension=True))
            except (ValueError, np.linalg.LinAlgError) as exc:
                b.results.add(Record("ext_cox_tx_hr", None, "hr", quantity="Cox, alloHSCT time-varying",
                                     population="FULL", note=f"not estimated: {exc}", block=b.block, extension=True))
    else:
        why = (f"not computed: alloHSCT as a time-dependent group needs follow-up both before and after a "
               f"transplant; {n_tx} patient{'s' if n_tx != 1 else ''} transplanted after mAb2 with follow-up after it"
               f" and {n_no} with follow-up before any transplant")
        not_computed(b.results, "ext_mantel_byar_tx", "OS after mAb2, alloHSCT as a time-dependent group "
                     "(Mantel-Byar, Simon-Makuch, time-varying Cox)", why, kind="analysis", block=b.block)
        not_computed(b.results, "ext_simon_makuch_tx", "Simon-Makuch: OS after mAb2 with alloHSCT as a "
                     "time-dependent group", why, kind="figure", block=b.block)
    # landmark at the 75th percentile of days to alloHSCT, rounded up to a multiple of 7
    days = d.loc[d["tx"] == True, "days_mab2_tx"].astype(float).to_numpy()  # noqa: E712
    if len(days) < 2:
        not_computed(b.results, "ext_landmark_tx", "Landmark analysis: OS after mAb2 by alloHSCT before the landmark",
                     f"not computed: the landmark is chosen from the days to alloHSCT, which needs at least 2 "
                     f"transplanted patients with time-to-event data ({len(days)})", kind="analysis", block=b.block)
    else:
        lm = up7(days, 0.75)
        sens = landmark_marks(days, lm)
        rows = []
        for L in sens:
            alive = d[d["time"] > L]
            grp = np.where((alive["tx"] == True) & (alive["days_mab2_tx"] <= L), "alloHSCT by landmark",  # noqa: E712
                           "no alloHSCT by landmark")
            sizes = pd.Series(grp).value_counts()
            ok = len(sizes) == 2 and sizes.min() >= b.params.min_group_n
            p = logrank_test(alive["time"].to_numpy(float) - L, alive["status"].to_numpy(int), grp).p_value if ok \
                else None
            reclass = int(((alive["tx"] == True) & (alive["days_mab2_tx"] > L)).sum())  # noqa: E712
            if p is not None and chk:
                b._check(f"ext_landmark_tx_d{L}_p", "landmark_logrank", [full], time=int(L), **chk)
            rows.append((L, len(d) - len(alive), reclass, dict(sizes), p))
            b.results.add(Record(f"ext_landmark_tx_d{L}_p", p, "p_value",
                                 quantity=f"landmark {L} days after mAb2: OS by alloHSCT before the landmark",
                                 population="FULL alive at landmark", patients=tuple(alive["patient_id"].tolist()),
                                 decimals=2, method="log-rank from the landmark", block=b.block, extension=True,
                                 note=f"{'chosen landmark' if L == lm else 'sensitivity'}; excluded {len(d) - len(alive)}"
                                      f" (event or censored before); reclassified {reclass}; groups "
                                      + ", ".join(f"{k} {int(v)}" for k, v in sizes.items())
                                      + ("" if ok else f"; not tested (a group below {b.params.min_group_n})")))
        b.results.meta["landmark_tx_days"] = lm


def _cumulative_incidence(b: Builder, P: dict) -> None:
    b.block = "EXT: cumulative incidence"
    b.cif("ext_cir_nrm_tx", "Relapse and non-relapse mortality after alloHSCT", P["TX"], "cir_tx",
          causes={1: "relapse", 2: "nrm"}, at=(100, 365, 730), id_stem="ext_tx")
    gray_by_conditioning(b, P["TX-MAC"], P["TX-RIC"], P["TX"])
    failure_and_relapse(b, P["FULL"], P["CR2"], at=(100, 365, 730), failure_curve="ext_failure_mab2",
                        failure_stem="ext_mab2", relapse_curve="ext_cir_nrm_cr2", relapse_stem="ext_cr2")
    b.cif("ext_agvhd24_tx", "Acute GVHD grade II-IV after alloHSCT (death competing)", P["TX"], "agvhd24_tx",
          causes={1: "agvhd2_4", 2: "death"}, at=(100, 180), id_stem="ext_tx")
    _agvhd_left_out(b, P["TX"], "ext_agvhd24_tx", "ext_tx_agvhd2_4_")
    b.cif("ext_agvhd34_tx", "Acute GVHD grade III-IV after alloHSCT (death competing)", P["TX"], "agvhd34_tx",
          causes={1: "agvhd3_4", 2: "death"}, at=(100, 180), id_stem="ext_tx34")
    _agvhd_left_out(b, P["TX"], "ext_agvhd34_tx", "ext_tx34_agvhd3_4_", grade=3)
    b.block = "EXT: sensitivity"
    agvhd_ungraded_sensitivity(b, P["TX"])
    efs_definition_sensitivity(b, b.cohort, b.derive_params, pops=P)


def _agvhd_left_out(b: Builder, tx, curve_id: str, stem: str, grade: int = 2) -> None:
    """The aGVHD incidence needs the date grade II (III) was reached. Patients with a grade >= II (III) but no date
    (a transplant-level maximum grade) and patients whose grade is unknown are left out of it (derive/endpoints.py;
    no date is imputed): counted here, in a record and in the notes of the curve and of its estimates."""
    f = tx.frame
    ge, roman = f"agvhd_ge{grade}", {2: "II", 3: "III"}[grade]
    if not tx.n or ge not in f:
        return
    undated = f[f"{ge}_undated"] == True  # noqa: E712
    unknown = f[ge].isna() & ~undated
    k, u = int(undated.sum()), int(unknown.sum())
    # R counts them from the released columns agvhd_ge2/3 and agvhd_ge2/3_undated (adsl.csv)
    b._check(stem + "undated_n", "count", [tx], var=f".eq(`{ge}_undated`, TRUE)")
    b._check(stem + "unknown_n", "count", [tx], var=f"(is.na(`{ge}`) & (!.eq(`{ge}_undated`, TRUE)))")
    b.count(stem + "undated_n", k, tx, patients=tuple(f["patient_id"][undated].tolist()), paper=False,
            quantity=f"transplanted patients with aGVHD grade >= {roman} recorded without a date (left out of the "
                     "incidence)")
    b.count(stem + "unknown_n", u, tx, patients=tuple(f["patient_id"][unknown].tolist()), paper=False,
            quantity=f"transplanted patients whose aGVHD grade {roman}-IV status is unknown (left out of the "
                     "incidence)")
    parts = []
    if k:
        parts.append(f"{k} patient{'s' if k != 1 else ''} with aGVHD grade >= {roman} but no onset date (a "
                     "transplant-level maximum grade) left out: their curve could not be drawn, and no date is imputed")
    if u:
        parts.append(f"{u} patient{'s' if u != 1 else ''} whose aGVHD grade ({roman}-IV or not) is unknown left out")
    if not parts:
        return
    msg = "; ".join(parts)
    ids = [rid for rid in b.results.records if rid.startswith(stem) and not rid.endswith(("undated_n", "unknown_n"))]
    d = b.tte(tx, f"agvhd{grade}4_tx")
    if k and not (d["status"] == 1).any():
        # every grade II-IV case is undated: an incidence of 0 among the others would be a silent wrong number
        reason = (f"not computed: all {k} aGVHD grade {roman}-IV case{'s' if k != 1 else ''} of '{tx.label}' have no onset "
                  f"date (a transplant-level maximum grade), so no incidence curve can be drawn; {msg}")
        if curve_id in b.results.curves:
            not_computed(b.results, curve_id, b.results.curves.pop(curve_id).title, reason, kind="figure",
                         block=b.block)
        elif curve_id in b.results.meta.get("not_computed", {}):
            b.results.meta["not_computed"][curve_id]["reason"] = reason
        mark_not_computed(b.results, ids, reason)
        return
    if k:
        msg += (f"; the incidence shown is over the {len(d)} patients with a date and underestimates it (the left-out "
                "patients all had the event)")
    if curve_id in b.results.curves:
        c = b.results.curves[curve_id]
        c.note = f"{c.note}; {msg}" if c.note else msg
    nc = b.results.meta.get("not_computed", {}).get(curve_id)
    if nc:
        nc["reason"] = f"{nc['reason']}; {msg}"
    for rid in ids:
        r = b.results.records[rid]
        r.note = f"{r.note}; {msg}" if r.note else msg
