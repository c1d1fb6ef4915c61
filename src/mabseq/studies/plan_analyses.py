"""Analyses the analysis plan names beside the paper's (study-definition 6.3-6.5; issue 15), as records:

* treatment-failure incidence from mAb2 (every non-responder fails on the date that ended mAb2) and, beside it,
  relapse incidence from the CR date among the patients in CR after mAb2 (``failure_and_relapse``; both presets);
* Gray's test, myeloablative vs reduced-intensity/non-myeloablative conditioning, for relapse and NRM after alloHSCT
  (6.3, only when both groups have ``min_group_n``; ``gray_by_conditioning``), and beside it the Fine-Gray
  subdistribution hazard ratio (with at least 10 events of the cause);
* the aGVHD case without a recorded grade (I4) read as grade I and as grade II (6.4; ``agvhd_ungraded_sensitivity``);
* EFS from mAb1 under the plan's alternative definitions (6.5; ``efs_definition_sensitivity``).

Every p-value is exploratory and unadjusted. Nothing here renders: the records reach report.html through the
extension table (``extension=True``).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..results.records import Record
from ..stats import cumulative_incidence, gray_test, kaplan_meier, logrank_test
from .builder import Builder, Pop, not_computed, patients

EXPLORATORY = "exploratory, unadjusted"
FAILURE_CAUSES = {1: "failure", 2: "death_no_failure"}
CAUSE_LABELS = {"failure": "Treatment failure", "death_no_failure": "Death without treatment failure",
                "agvhd3_4": "Acute GVHD grade III-IV"}
FAILURE_NOTE = ("treatment-failure incidence, not relapse incidence: a non-responder to mAb2 counts as failed on the "
                "date of the progression or non-response that ended mAb2; relapse incidence from the CR date among "
                "patients in CR after mAb2 is shown beside it")


def _rec(b: Builder, id_: str, value, statistic: str, **kw) -> None:
    kw.setdefault("block", b.block)
    kw.setdefault("extension", True)
    b.results.add(Record(id_, value, statistic, **kw))


def _append_note(b: Builder, ids, msg: str) -> None:
    for rid in ids:
        r = b.results.records[rid]
        r.note = f"{r.note}; {msg}" if r.note else msg


def release_endpoint(b: Builder, endpoint: str, origin: str, rows: pd.DataFrame) -> None:
    """The rows (patient_id, time, status[, entry]) an analysis derived, released in adtte.csv as the endpoint
    ``endpoint`` (documented in derive/endpoints.py) so that the R check recomputes the analysis from them."""
    if any("endpoint" in x and bool((x["endpoint"] == endpoint).any()) for x in (b.adtte, *b.extra_tte)):
        raise ValueError(f"endpoint {endpoint!r} is already in adtte")
    d = rows[["patient_id", "time", "status"]].assign(endpoint=endpoint, origin=origin,
                                                      entry=rows["entry"] if "entry" in rows else None)
    for col in ("time", "status"):  # whole days stay whole in adtte.csv (the main rows keep their type)
        if col in b.adtte and len(d) and (d[col] == d[col].round()).all():
            d[col] = d[col].astype(b.adtte[col].dtype)
    b.extra_tte.append(d[["patient_id", "endpoint", "origin", "time", "status", "entry"]].reset_index(drop=True))


# ---- 5. treatment failure vs relapse after mAb2 ------------------------------------------------------------------
def failure_and_relapse(b: Builder, full: Pop, cr2: Pop, *, at, failure_curve: str, failure_stem: str,
                        relapse_curve: str, relapse_stem: str, extension: bool = True) -> None:
    """The incidence of treatment failure from the start of mAb2 over ``full`` (relapse, progression, or the
    documented failure of a non-responder; death without it competing), and the incidence of relapse from the CR
    date over ``cr2`` (patients in CR after mAb2; death in remission competing)."""
    b.results.meta.setdefault("group_labels", {}).update(CAUSE_LABELS)
    before = set(b.results.records)
    b.cif(failure_curve, "Treatment failure after mAb2 (relapse, progression or non-response; death competing)",
          full, "cir_mab2", causes=FAILURE_CAUSES, at=at, id_stem=failure_stem, extension=extension,
          cause_labels={k: v.lower() for k, v in CAUSE_LABELS.items()})
    _append_note(b, [i for i in b.results.records if i not in before], FAILURE_NOTE)
    if failure_curve in b.results.curves:
        c = b.results.curves[failure_curve]
        c.note = f"{c.note}; {FAILURE_NOTE}" if c.note else FAILURE_NOTE
    before = set(b.results.records)
    b.cif(relapse_curve, "Relapse after CR to mAb2, from the CR date (death in remission competing)", cr2, "cir_cr2",
          causes={1: "relapse", 2: "nrm"}, at=at, id_stem=relapse_stem, extension=extension,
          cause_labels={"nrm": "non-relapse mortality"})
    d = b.tte(cr2, "cir_cr2")
    left = sorted(set(cr2.ids) - set(d["patient_id"].tolist()))
    if left:  # a relapse dated on or before the CR date, or a death without a date: never given a time
        msg = (f"{patients(len(left))} in CR after mAb2 left out (a relapse/progression dated on or before the CR "
               f"date, a CR after the last contact, or a death without a date)")
        _append_note(b, [i for i in b.results.records if i not in before], msg)


# ---- 1. Gray's test by conditioning intensity (6.3) --------------------------------------------------------------
def gray_by_conditioning(b: Builder, mac: Pop, ric: Pop, tx: Pop) -> None:
    """Gray's test (rho = 0) of equal cumulative incidence of relapse and of NRM after alloHSCT, myeloablative vs
    reduced-intensity/non-myeloablative, when both groups have ``min_group_n`` patients with data."""
    d = b.tte(tx, "cir_tx")
    grp = np.where(d["patient_id"].isin(mac.ids), "MAC", np.where(d["patient_id"].isin(ric.ids), "RIC/NMA", ""))
    known = grp != ""
    n_mac, n_ric = int((grp == "MAC").sum()), int((grp == "RIC/NMA").sum())
    unknown = int((~known).sum())
    sizes = f"MAC {n_mac}, RIC/NMA {n_ric}" + (f"; {patients(unknown)} with unknown intensity left out"
                                                if unknown else "")
    pts = tuple(d["patient_id"][known].tolist())
    small = n_mac < b.params.min_group_n or n_ric < b.params.min_group_n
    res = None
    if not small:
        res = gray_test(d["time"].to_numpy(float)[known], d["status"].to_numpy(int)[known], grp[known])
    for code, name, what in ((1, "relapse", "relapse"), (2, "nrm", "non-relapse mortality")):
        row = None if res is None else res[res["cause"] == code]
        if small:
            value, note = None, (f"not tested: a conditioning group below the minimum of {b.params.min_group_n} "
                                 f"({sizes})")
        elif row is None or not len(row):
            value, note = None, f"not tested: no {what} event after alloHSCT ({sizes})"
        else:
            v = float(row["p_value"].iloc[0])
            value, note = (v, f"{EXPLORATORY}; {sizes}") if np.isfinite(v) else \
                (None, f"not tested: singular variance ({sizes})")
        if value is not None and mac.expr and ric.expr:  # R: cuminc's Tests over the groups formed from adsl.csv
            b._check(f"ext_gray_tx_{name}_p", "gray", [mac, ric], endpoint="cir_tx", cause=code)
        _rec(b, f"ext_gray_tx_{name}_p", value, "p_value", decimals=2, population="TX-MAC vs TX-RIC",
             quantity=f"cumulative incidence of {what} after alloHSCT, myeloablative vs reduced-intensity/"
                      "non-myeloablative conditioning (Gray's test)", patients=pts,
             method="Gray's test, rho = 0 (cmprsk::cuminc)", note=note)
        _fine_gray(b, d[known], grp[known], code, name, what, mac, ric, sizes, small)


# regression models need this many events of the cause (study-definition 6.6: "Cox models need >= 10 events")
MIN_EVENTS = 10


def _fine_gray(b: Builder, d: pd.DataFrame, grp: np.ndarray, code: int, name: str, what: str, mac: Pop, ric: Pop,
               sizes: str, small: bool) -> None:
    """Fine-Gray subdistribution hazard ratio of ``what`` after alloHSCT, RIC/NMA vs MAC (the other cause
    competing; cmprsk::crr), with its Wald 95% CI and p, beside Gray's test. Not estimated below ``MIN_EVENTS``
    events of the cause or under the minimum group size; the reason is the record's note."""
    t, st = d["time"].to_numpy(float), d["status"].to_numpy(int)
    n_ev = int((st == code).sum())
    q = (f"{what} after alloHSCT, reduced-intensity/non-myeloablative vs myeloablative conditioning: Fine-Gray "
         "subdistribution hazard ratio")
    base = dict(population="TX-RIC vs TX-MAC", quantity=q, patients=tuple(d["patient_id"].tolist()), decimals=2,
                method="Fine-Gray (cmprsk::crr), sandwich variance; Wald 95% CI and p; beyond the plan (6.3 asks "
                       "Gray's test), exploratory")
    values, note = None, ""
    if small:
        note = f"not estimated: a conditioning group below the minimum of {b.params.min_group_n} ({sizes})"
    elif n_ev < MIN_EVENTS:
        note = f"not estimated: {n_ev} {what} event{'s' if n_ev != 1 else ''}, fewer than the {MIN_EVENTS} a " \
               f"regression model needs (SD 6.6; {sizes})"
    else:
        from ..stats import fine_gray
        try:
            fit = fine_gray(t, st, (grp == "RIC/NMA").astype(float)[:, None], cause=code,
                            names=["RIC/NMA vs MAC"])
            row = fit.summary.iloc[0]
            values = {"hr": row["hazard_ratio"], "ci_low": row["lower"], "ci_high": row["upper"],
                      "p": row["p_value"]}
            note = f"{EXPLORATORY}; {sizes}; {n_ev} events"
        except (ValueError, np.linalg.LinAlgError) as exc:
            note = f"not estimated: {exc}"
    rid = f"ext_fg_tx_{name}"
    if values is None:
        _rec(b, f"{rid}_hr", None, "hr", note=note, **base)
        return
    for stat, key in (("hr", "hr"), ("ci_low", "lower"), ("ci_high", "upper"), ("p_value", "p")):
        sfx = "p" if stat == "p_value" else stat
        _rec(b, f"{rid}_{sfx}", float(values["p" if stat == "p_value" else stat]), stat, note=note, **base)
        b._check(f"{rid}_{sfx}", "crr", [mac, ric], endpoint="cir_tx", cause=code, stat=key, scale=1)


# ---- 3. the aGVHD case without a grade, both ways (6.4, I4) ------------------------------------------------------
def _days(a, b) -> float:
    return float((pd.Timestamp(b) - pd.Timestamp(a)).days)


def ungraded_agvhd(tx: Pop) -> pd.DataFrame:
    """Transplanted patients with acute GVHD whose grade II-IV status is unknown (no recorded grade)."""
    f = tx.frame
    if not tx.n or "agvhd_ge2" not in f:
        return f.iloc[0:0]
    return f[(f["agvhd"] == True) & f["agvhd_ge2"].isna() & (f["agvhd_ge2_undated"] != True)]  # noqa: E712


def _as_grade(row, grade: int) -> tuple[float, int] | None:
    """(time, status) of the grade II-IV endpoint for an ungraded case read as ``grade`` (1 or 2), by the rule of
    derive/endpoints.py: grade II on the aGVHD onset date; grade I never reaches II (death competes). None when read
    as grade II without an onset date (no date is imputed)."""
    last, dead = row["last_date"], row["dead"] == True  # noqa: E712
    onset = row["agvhd_date"]
    if grade >= 2:
        if onset is None or pd.isna(onset):
            return None
        if pd.Timestamp(onset) <= pd.Timestamp(last):
            return _days(row["tx_date"], onset), 1
    return _days(row["tx_date"], last), 2 if dead else 0


def _cif_records(b: Builder, stem: str, quantity: str, d: pd.DataFrame, cause: int, at, pop: str, note: str,
                 check: tuple[Pop, str] | None = None):
    """Estimate and log(-log) 95% interval at ``at`` of ``cause`` over the rows ``d`` (time, status, patient_id).
    ``check``: (population, endpoint) whose adtte.csv rows are ``d``, for the R check."""
    t, s = d["time"].to_numpy(float), d["status"].to_numpy(int)
    tab = cumulative_incidence(t, s).at(list(at)) if (s > 0).any() else None
    for day in at:
        row = None if tab is None else tab[(tab["cause"] == cause) & (tab["time"] == day)]
        if day > t.max():
            vals, why = (None, None, None), f"not estimated: follow-up ends before day {day}"
        elif row is None or not len(row):
            vals, why = (0.0, None, None), "no event: incidence 0, no interval"
        else:
            r = row.iloc[0]
            vals = tuple(None if pd.isna(r[k]) else 100 * float(r[k]) for k in ("estimate", "lower", "upper"))
            why = "" if vals[1] is not None else "interval not estimable"
        for sfx, st, v in zip(("_pct", "_ci_low", "_ci_high"), ("estimate_pct", "ci_low_pct", "ci_high_pct"), vals):
            if v is not None and check:
                b._check(f"{stem}_d{day}{sfx}", {"_pct": "cif_est", "_ci_low": "cif_lower", "_ci_high": "cif_upper"}[
                    sfx], [check[0]], endpoint=check[1], time=int(day), cause=int(cause), entry=False, scale=100)
            _rec(b, f"{stem}_d{day}{sfx}", v, st, decimals=1, population=pop, patients=tuple(d["patient_id"].tolist()),
                 quantity=f"{quantity} at day {day}", method="Aalen-Johansen, cmprsk variance, log(-log) CI",
                 note="; ".join(x for x in (note, why) if x))


def agvhd_ungraded_sensitivity(b: Builder, tx: Pop, at=(100, 180)) -> None:
    """Acute GVHD grade II-IV incidence with each case of unknown grade read as grade I, then as grade II (I4)."""
    ung = ungraded_agvhd(tx)
    title = "Acute GVHD grade II-IV after alloHSCT, the case(s) without a recorded grade read as grade I and as II"
    if not len(ung):
        not_computed(b.results, "ext_i4_agvhd", title, "not computed: no acute GVHD case without a recorded grade",
                     kind="analysis", block=b.block)
        return
    base = b.tte(tx, "agvhd24_tx")
    if len(base) + len(ung) < b.params.min_group_n:
        not_computed(b.results, "ext_i4_agvhd", title, f"not computed: fewer than {b.params.min_group_n} "
                     "transplanted patients with data", kind="analysis", block=b.block)
        return
    for grade, word in ((1, "I"), (2, "II")):
        rows, lost = [], []
        for _, r in ung.iterrows():
            ts = _as_grade(r, grade)
            if ts is None:
                lost.append(r["patient_id"])
            else:
                rows.append({"patient_id": r["patient_id"], "time": ts[0], "status": ts[1]})
        d = pd.concat([base[["patient_id", "time", "status"]], pd.DataFrame(rows, columns=["patient_id", "time",
                                                                                           "status"])],
                      ignore_index=True)
        # the note counts patients and never names them (ids stay in the provenance: results/release.py)
        note = (f"sensitivity (I4): {patients(len(ung))} with aGVHD of no recorded grade read as grade {word}"
                + (f"; {patients(len(lost))} of them left out (no onset date)" if lost else "")
                + "; the main estimate leaves them out")
        endpoint = f"agvhd2_4_i4_as_grade{grade}"
        release_endpoint(b, endpoint, "hsct", d)
        _cif_records(b, f"ext_i4_grade{grade}_agvhd2_4", f"acute GVHD grade II-IV, ungraded case as grade {word}",
                     d, 1, at, "TX", note, check=(tx, endpoint) if tx.expr else None)


# ---- 4. EFS definitions (6.5) -------------------------------------------------------------------------------------
EFS_VARIANTS = (("day0", {"efs_nonresponder": "day0"}, "non-responders fail at day 0 (efs_nonresponder='day0')"),
                ("failure_date", {"efs_nonresponder": "failure_date"},
                 "non-responders fail on the date non-response was documented (efs_nonresponder='failure_date')"),
                ("no_mrd_relapse", {"mrd_relapse_is_event": False},
                 "MRD relapse not an event (mrd_relapse_is_event=False)"))
# the derivation reads these values of efs_nonresponder; any other is not implemented (derive/endpoints.py)
EFS_IMPLEMENTED = ("progression_date", "day0", "failure_date")


def efs_definition_sensitivity(b: Builder, cohort, derive_params, at: int = 365, pops: dict | None = None) -> None:
    """EFS from mAb1 after blinatumomab recomputed under each alternative definition: S(365) with its log 95% CI over
    the blinatumomab-first patients and the log-rank p by CD19 at the post-mAb1 relapse (the paper's Figure 3A).
    Each variant's EFS rows are released in adtte.csv as the endpoint ``efs_<variant>`` (e.g. ``efs_day0``);
    ``pops`` (BF, BF-CD19N, BF-CD19P of the main analysis) are the groups the R check forms from adsl.csv."""
    from ..derive.cohort import rederive
    if cohort is None or derive_params is None:
        return
    a = b.derived.adsl
    bf = a.loc[a["seq"] == "BF", "patient_id"].tolist() if "seq" in a else []  # the variants' rows: theirs only
    for key, change, label in EFS_VARIANTS:
        stem = f"ext_efs_{key}"
        what = f"EFS from blinatumomab mAb1, {label}"
        if change.get("efs_nonresponder", "progression_date") not in EFS_IMPLEMENTED:
            why = (f"not computed: efs_nonresponder={change['efs_nonresponder']!r} is not implemented by the "
                   "derivation (derive/endpoints.py dates non-responders by 'progression_date' or 'day0' only), so "
                   "it would silently equal the main analysis")
            not_computed(b.results, stem, what, why, kind="analysis", block=b.block)
            continue
        dc = rederive(cohort, b.derived, derive_params.with_(**change), patients=bf, endpoints=("efs_mab1",))
        if change.get("efs_nonresponder") == "failure_date":
            label += _failure_date_fallbacks(dc.adsl)
        _efs_variant(b, dc, stem, what, label, at, f"efs_{key}", pops)


def _failure_date_fallbacks(adsl: pd.DataFrame) -> str:
    """The blinatumomab-first non-responders whose EFS keeps the documented progression date under 'failure_date':
    no marrow documents the non-response, or it comes after the progression (derive/endpoints.py)."""
    bf = adsl[(adsl["seq"] == "BF") & (adsl["resp_mab1"] == "nr")]
    if "nonresponse_mab1_date" not in bf:
        return f"; all {patients(len(bf))} non-responders keep the progression date (no non-response date)"
    nr, ev = bf["nonresponse_mab1_date"], bf["event1_date"]
    kept = int((nr.isna() | (ev.notna() & nr.notna() & (nr > ev))).sum())
    return f"; {kept} of {len(bf)} non-responders keep the progression date (no earlier marrow documents the " \
           "non-response)" if kept else f"; all {len(bf)} non-responders dated by the marrow documenting non-response"


def _same_groups(e: pd.DataFrame, bf: pd.DataFrame, pops: dict | None) -> bool:
    """Whether the groups of the main analysis (``pops``, formed again in R from adsl.csv) hold the variant's
    patients with the same CD19 at the post-mAb1 relapse: only then can the R check recompute the variant."""
    if not pops or not all(pops.get(k) is not None and pops[k].expr for k in ("BF", "BF-CD19N", "BF-CD19P")):
        return False
    main = pops["BF"].frame.set_index("patient_id")["cd19_event1"]
    ids = list(e["patient_id"].tolist())
    if not set(ids) <= set(main.index):
        return False
    var = bf.set_index("patient_id")["cd19_event1"]
    a, v = main.reindex(ids).astype(object), var.reindex(ids).astype(object)
    return bool(((a.isna() & v.isna()) | (a.notna() & v.notna() & (a.fillna("") == v.fillna("")))).all())


def _efs_variant(b: Builder, dc, stem: str, what: str, label: str, at: int, endpoint: str = "",
                 pops: dict | None = None) -> None:
    a = dc.adsl
    bf = a[a["seq"] == "BF"]
    e = dc.adtte[(dc.adtte["endpoint"] == "efs_mab1") & dc.adtte["patient_id"].isin(bf["patient_id"])]
    rule = f"sensitivity (study-definition 6.5): {label}"
    pts = tuple(e["patient_id"].tolist())
    check = bool(endpoint) and _same_groups(e, bf, pops)
    if endpoint:
        release_endpoint(b, endpoint, "mab1", e)
    if len(e) < b.params.min_group_n:
        for sfx, st in (("_pct", "estimate_pct"), ("_ci_low", "ci_low_pct"), ("_ci_high", "ci_high_pct")):
            _rec(b, f"{stem}_s{at}{sfx}", None, st, population="BF", patients=pts, rule=rule,
                 quantity=f"{what}: S({at})", note=f"not estimated: {patients(len(e))} with EFS data")
    else:
        t, s = e["time"].to_numpy(float), e["status"].to_numpy(int)
        row = kaplan_meier(t, s, conf_type=b.params.km_conf_type, conf_level=b.params.km_conf_level).at([at]).iloc[0]
        n_at = int((t >= at).sum())
        note = "; ".join(x for x in (rule, "unstable: fewer than 5 at risk" if n_at < 5 else "",
                                     f"not estimated: follow-up ends before day {at}" if t.max() < at else "") if x)
        for sfx, st, k in (("_pct", "estimate_pct", "surv"), ("_ci_low", "ci_low_pct", "lower"),
                           ("_ci_high", "ci_high_pct", "upper")):
            v = None if t.max() < at or pd.isna(row[k]) else 100 * float(row[k])
            if v is not None and check:
                b._check(f"{stem}_s{at}{sfx}", {"surv": "km_surv", "lower": "km_lower", "upper": "km_upper"}[k],
                         [pops["BF"]], endpoint=endpoint, time=int(at), entry=False, scale=100)
            _rec(b, f"{stem}_s{at}{sfx}", v, st, decimals=1, population="BF", patients=pts, rule=rule,
                 quantity=f"{what}: S({at})", method=f"Kaplan-Meier S({at}), {b.params.km_conf_type} CI", note=note)
    cd19 = bf.set_index("patient_id")["cd19_event1"]
    g = e["patient_id"].map(cd19)
    ok = g.isin(["negdim", "pos"]).to_numpy()
    sizes = {lv: int((g == lv).sum()) for lv in ("negdim", "pos")}
    size_txt = f"CD19-neg/dim {sizes['negdim']}, CD19-pos {sizes['pos']}"
    if min(sizes.values()) < b.params.min_group_n:
        p, note = None, f"not tested: a CD19 group below the minimum of {b.params.min_group_n} ({size_txt})"
    else:
        lr = logrank_test(e["time"].to_numpy(float)[ok], e["status"].to_numpy(int)[ok], g.to_numpy()[ok])
        if check:
            b._check(f"{stem}_cd19_p", "logrank", [pops["BF-CD19N"], pops["BF-CD19P"]], endpoint=endpoint,
                     entry=False, scale=1)
        p, note = lr.p_value, f"{EXPLORATORY}; {rule}; {size_txt}"
    _rec(b, f"{stem}_cd19_p", p, "p_value", decimals=2, population="BF-CD19N vs BF-CD19P",
         patients=tuple(e["patient_id"][ok].tolist()), rule=rule, method="log-rank" if p is not None else "not tested",
         quantity=f"{what}, by CD19 at the post-mAb1 relapse (log-rank)", note=note)
