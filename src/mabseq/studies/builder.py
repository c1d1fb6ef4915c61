"""Building blocks for a study preset: populations, and the records of counts, summaries, tests and curves.

A preset reads like its analysis plan: it names populations and asks for ``n_pct``, ``summary``, ``compare``,
``km`` ... Each call computes from the analysis datasets with :mod:`mabseq.stats` and adds tidy records (with the
patients behind them) to a :class:`~mabseq.results.ResultSet`. Nothing here renders.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from ..results.records import Curve, Record, ResultSet, TableSpec
from ..results.rfilter import r_and, r_expr
from ..stats import (
    clopper_pearson,
    compare_categorical,
    cumulative_incidence,
    kaplan_meier,
    kruskal_wallis,
    logrank_test,
    median_followup,
    quantile,
)

MONTH_DAYS = 30.4375
# display labels of the usual competing causes (a preset adds its own to results.meta["group_labels"])
CAUSE_LABELS = {"relapse": "Relapse", "nrm": "Non-relapse mortality", "death": "Death"}


@dataclass
class Pop:
    """An analysis set: its name (e.g. "BF"), a label for tables, and its rows of the per-patient dataset.
    ``expr`` is its definition as an R expression on the columns of ``adsl.csv`` (results/rfilter.py), for the R
    check; None when a filter has no R translation. A Pop made directly from a frame is the whole dataset
    ("TRUE"): were it not, the R check would disagree on its counts."""

    name: str
    label: str
    frame: pd.DataFrame
    expr: str | None = "TRUE"

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self.frame["patient_id"].tolist())

    @property
    def n(self) -> int:
        return len(self.frame)

    def where(self, name: str, label: str, mask) -> "Pop":
        m = mask(self.frame) if callable(mask) else mask
        expr = r_and(self.expr, r_expr(mask, logical=True, frame=self.frame))
        return Pop(name, label, self.frame[np.asarray(m, dtype=bool)], expr)


@dataclass
class AnalysisParams:
    quantile_type: int = 7
    chisq_min_expected: float = 3.0
    min_group_n: int = 5
    km_conf_type: str = "log"
    km_conf_level: float = 0.95
    landmark_day: int = 365
    km_min_at_risk: int = 3


def start_study(cohort, derive_params, name: str, title: str, *, synthetic: bool, source: str, **meta):
    """Derive the cohort and open the study's ResultSet with what every report's header shows (title, cut-off,
    patients included and excluded, plus ``meta``). Returns (derived cohort, results); no included patient is an
    error."""
    from ..derive import derive_cohort
    dc = derive_cohort(cohort, derive_params)
    res = ResultSet(name, source, synthetic)
    res.meta.update({"title": title, "cutoff": str(dc.cutoff), "n_included": len(dc.adsl),
                     "n_excluded": len(dc.excluded), **meta})
    return dc, res


# ---- what could not be computed, and why ------------------------------------------------------------------------
# The decision "not computed, because ..." is taken here, once, and stored in the results: a record whose value is
# None carries the reason in its ``note``; a whole table, figure, text section or analysis that cannot be made is
# listed in ``results.meta["not_computed"]`` (id -> kind, title, block, reason). Renderers only show these texts.
NOT_COMPUTED = "not_computed"
NOBODY = "not computed: no patient included"


def not_computed(results: ResultSet, id_: str, title: str, reason: str, *, kind: str, block: str = "") -> None:
    """Record that the table / figure / text / analysis ``id_`` could not be computed, and why (a short sentence
    starting with 'not computed', 'not estimated' or 'not tested')."""
    if kind not in ("table", "figure", "text", "analysis"):
        raise ValueError(f"unknown kind {kind!r}")
    results.meta.setdefault(NOT_COMPUTED, {})[id_] = {"kind": kind, "title": title, "block": block,
                                                       "reason": reason}


def empty_reason(pop: "Pop") -> str:
    """Why nothing can be computed in an empty population."""
    return NOBODY if pop.name == "FULL" else f"not computed: no patient in the group '{pop.label}'"


def patients(n: int) -> str:
    """'1 patient', '3 patients'."""
    return f"{n} patient{'s' if n != 1 else ''}"


def too_small_reason(pop: "Pop", n: int, minimum: int, what: str = "time-to-event data") -> str:
    """Why a group with ``n`` analysable patients (those with ``what``) is not analysed."""
    if pop.n == 0:
        return empty_reason(pop)
    if n == 0:
        return f"not analysed: none of the {patients(pop.n)} of '{pop.label}' has {what}"
    return f"not analysed: '{pop.label}' has {patients(n)} with {what}, below the minimum of {minimum}"


NO_TOXICITY = ("not computed: no toxicity data in the cohort (the toxicity_episodes and toxicity_observations tables "
               "are empty), so CRS, ICANS, liver toxicity, aGVHD and SOS are unknown, not absent")


def tables_empty(cohort, *names: str) -> bool:
    """Whether every one of the cohort tables ``names`` has no row at all: the data were not collected, which is
    not the same as 'none occurred' (unknown is never no)."""
    return all(not len(cohort[n]) for n in names)


def mark_not_computed(results: ResultSet, ids, reason: str) -> None:
    """Records ``ids`` become unknown (value None, the reason as note), with their R checks dropped: for a value the
    cohort cannot support although the arithmetic would give a number (0% CRS when no toxicity was collected)."""
    ids = set(ids)
    for rid in ids:
        r = results.records[rid]
        r.value, r.note = None, reason
    results.checks[:] = [c for c in results.checks if c["id"] not in ids]


def no_value_reason(pop: "Pop") -> str:
    return empty_reason(pop) if pop.n == 0 else \
        f"not computed: no recorded value among the {patients(pop.n)} of '{pop.label}'"


def undated(pop: "Pop") -> str:
    """The deaths without a date in ``pop``: left out of every time-to-event analysis, so counted in its notes."""
    if "death_date_missing" not in pop.frame.columns:
        return ""
    k = int(_truth(pop.frame["death_date_missing"]).sum())
    return f"{k} death{'s' if k != 1 else ''} without a date left out" if k else ""


def eq(col: str, value) -> Callable[[pd.DataFrame], pd.Series]:
    """A population filter: the rows whose ``col`` equals ``value``."""
    return lambda f: f[col] == value


def at_risk_days(max_days: float, every_months: int = 6) -> list[int]:
    """The days at which numbers at risk are counted: every 6 months (whole days, months = days / 30.4375) up to
    the first multiple of 6 months at or after the longest follow-up, i.e. every x tick of the figure."""
    last = every_months * max(1, int(np.ceil(max_days / MONTH_DAYS / every_months - 1e-9)))
    return [int(round(m * MONTH_DAYS)) for m in range(0, last + 1, every_months)]


UNSTABLE = "unstable: fewer than 5 at risk"  # study-definition 6.6
MEDIAN_LEVEL = {"median": "median", "ci_low": "median CI low", "ci_high": "median CI high"}


MEDIAN_RULE = "Kaplan-Meier median as R print(survfit) and summary(survfit)$table give it"
MEDIAN_LIMIT = {"ci_low": "lower", "ci_high": "upper"}


def median_method(fit, key: str) -> tuple[str, str]:
    """How a Kaplan-Meier median (or its limit) was read, and a caution where R's two readings differ. ``fit.median``
    follows print()/summary()$table: the first time S <= 0.5, averaged with the next drop if S is exactly 0.5 there.
    R's quantile() instead takes the midpoint to the curve's last time when S stays at 0.5 to the end of follow-up
    (e.g. 261 against 673.5): then both are named."""
    m, q = fit.median, fit.quantile(0.5)
    table_v, quant_v = (m.estimate, q.estimate) if key == "median" else (getattr(m, MEDIAN_LIMIT[key]),
                                                                         getattr(q, MEDIAN_LIMIT[key]))
    what = "median" if key == "median" else f"{MEDIAN_LIMIT[key]} 95% limit of the median"
    method = MEDIAN_RULE if key == "median" else f"{MEDIAN_RULE} ({what})"
    if np.isfinite(table_v) and np.isfinite(quant_v) and abs(table_v - quant_v) > 1e-9:
        return method, (f"S stays at exactly 0.5 from day {table_v:g} to the end of follow-up: R print(survfit) "
                        f"gives {table_v:g}, R quantile(survfit, 0.5) gives {quant_v:g}")
    return method, ""


def _km_level(statistic: str, rid: str, at, median_ids, group: str) -> str:
    """The level key of a Kaplan-Meier record: the time point of S(at), or which median statistic."""
    for key, mid in (median_ids or {}).get(group, {}).items():
        if mid == rid:
            return MEDIAN_LEVEL[key]
    return f"day {at}"


def _col(frame: pd.DataFrame, var: str | Callable) -> pd.Series:
    return var(frame) if callable(var) else frame[var]


def _truth(s: pd.Series) -> np.ndarray:
    """Each value as a bool, a blank (None, NaN) as False. A column of bools and blanks (the usual flag) in one
    comparison; anything else value by value."""
    if s.dtype == bool:
        return s.to_numpy(dtype=bool)
    vals = s.tolist()
    if set(map(type, vals)) <= {bool, type(None)}:
        return np.asarray(np.array(vals, dtype=object) == True, dtype=bool)  # noqa: E712 (elementwise: None -> False)
    return np.array([bool(v) if v is not None and not (isinstance(v, float) and np.isnan(v)) else False
                     for v in vals], dtype=bool)


@dataclass
class Builder:
    results: ResultSet
    adtte: pd.DataFrame
    params: AnalysisParams = field(default_factory=AnalysisParams)
    block: str = ""
    extension: bool = False
    # the cohort and derivation parameters behind ``adtte``, for analyses that re-derive it under another definition
    # (the plan's sensitivity analyses); None when the preset does not pass them
    cohort: object = None
    derive_params: object = None
    derived: object = None  # the DerivedCohort behind adtte (a sensitivity analysis reuses what it does not change)
    # time-to-event rows an analysis derives beside adtte under an endpoint of its own (plan_analyses.py), written
    # into adtte.csv so that the R check recomputes them
    extra_tte: list = field(default_factory=list)
    # (the adtte it was made from, {endpoint: its rows indexed by patient}): Builder.tte's split, made once
    _tte_split: tuple | None = field(default=None, init=False, repr=False, compare=False)

    def _check(self, rid: str, kind: str, groups: Sequence[Pop], **kw) -> None:
        """How the R check (results/rscript.py) recomputes record ``rid`` from adsl.csv and adtte.csv: its kind,
        each group by its R definition (``Pop.expr``, None when untranslatable) and the kind's arguments."""
        self.results.checks.append({"id": rid, "kind": kind, "groups": {g.name: g.expr for g in groups}, **kw})

    # ---- counts ---------------------------------------------------------------------------------------------------
    def n_pct(self, id_n: str | None, id_pct: str | None, pop: Pop, var, *, quantity: str, paper: bool = True,
              decimals: int = 1, rule: str = "", denominator: Pop | None = None, variable: str = "",
              level: str = "") -> int:
        """Count of ``var`` true in ``pop`` and its percentage of the population (or of ``denominator``). Missing
        counts as 'no' and stays in the denominator (study-definition 1.3)."""
        mask = _truth(_col(pop.frame, var))
        n = int(mask.sum())
        den = denominator.n if denominator is not None else pop.n
        pts = tuple(pop.frame["patient_id"][mask].tolist())
        common = dict(quantity=quantity, denominator=den, population=(denominator or pop).name, patients=pts,
                      rule=rule, block=self.block, extension=self.extension, variable=variable, level=level)
        var_r = r_expr(var, logical=True, frame=pop.frame)
        if id_n:
            self._check(id_n, "count", [pop], var=var_r)
        if id_pct and den:
            self._check(id_pct, "pct", [pop], var=var_r, den=(denominator or pop).expr)
        if id_n:
            self.results.add(Record(id_n, n, "n", paper_ref=id_n if paper else "", decimals=0, method="count",
                                    **common))
        if id_pct:
            pct = float(Fraction(100 * n, den)) if den else None
            self.results.add(Record(id_pct, pct, "pct", paper_ref=id_pct if paper else "", decimals=decimals,
                                    method="100 n / N", note="" if den else empty_reason(denominator or pop),
                                    **common))
        return n

    def count(self, id_: str, value: int, pop: Pop, *, quantity: str, patients=(), paper: bool = True,
              statistic: str = "n", rule: str = "", denominator: int | None = None) -> None:
        if statistic == "count_of" and int(value) == pop.n:  # a group's size: the R check counts the group
            self._check(id_, "count", [pop], var="TRUE")
        self.results.add(Record(id_, int(value), statistic, quantity=quantity, population=pop.name,
                                patients=tuple(patients), paper_ref=id_ if paper else "", decimals=0,
                                denominator=denominator, method="count", rule=rule, block=self.block,
                                extension=self.extension))

    # ---- continuous summaries ---------------------------------------------------------------------------------------
    def summary(self, prefix: str, suffix: str, pop: Pop, var, *, stats: Sequence[str] = ("median", "q1", "q3"),
                quantity: str, decimals: int | dict = 0, paper: bool = True, rule: str = "",
                variable: str = "", level: str = "") -> dict:
        """Median with IQR or range (R quantile type 7); missing values are left out and their number noted.
        ``decimals`` per statistic if a dict (a median printed at 2 decimals, its IQR at 1)."""
        s = pd.to_numeric(_col(pop.frame, var), errors="coerce")
        ok = s.notna().to_numpy()
        x = s[ok].to_numpy(dtype=float)
        pts = tuple(pop.frame["patient_id"][ok].tolist())
        out = {}
        for st in stats:
            if x.size == 0:
                v = None
            elif st in ("median", "q1", "q3"):
                p = {"median": 0.5, "q1": 0.25, "q3": 0.75}[st]
                v = float(quantile(x, [p], type=self.params.quantile_type)[0])
            elif st == "min":
                v = float(x.min())
            else:
                v = float(x.max())
            rid = f"{prefix}_{st}{suffix}"
            if v is not None:
                self._check(rid, "quantile" if st in ("median", "q1", "q3") else st, [pop],
                            var=r_expr(var, frame=pop.frame), p={"median": 0.5, "q1": 0.25, "q3": 0.75}.get(st),
                            qtype=self.params.quantile_type)
            note = no_value_reason(pop) if x.size == 0 else (
                f"n = {x.size} of {pop.n} (missing left out)" if x.size < pop.n else "")
            self.results.add(Record(rid, v, st, quantity=quantity, population=pop.name, patients=pts,
                                    paper_ref=rid if paper else "",
                                    decimals=decimals.get(st, 0) if isinstance(decimals, dict) else decimals,
                                    method=f"R quantile type {self.params.quantile_type}", rule=rule, note=note,
                                    block=self.block, extension=self.extension, denominator=int(x.size),
                                    variable=variable, level=level))
            out[st] = v
        return out

    # ---- group comparisons ------------------------------------------------------------------------------------------
    def kw(self, id_: str, pops: Sequence[Pop], var, *, quantity: str, paper: bool = True) -> float | None:
        vals, grp = [], []
        for i, p in enumerate(pops):
            s = pd.to_numeric(_col(p.frame, var), errors="coerce").dropna()
            vals.extend(s.tolist())
            grp.extend([i] * len(s))
        why = self._untestable(pops)
        if not why and len(set(grp)) < 2:
            why = "not tested: fewer than two groups with a recorded value"
        if not why and len(set(vals)) < 2:
            why = "not tested: every recorded value is the same"
        p_val = None if why else kruskal_wallis(np.array(vals, float), np.array(grp)).p_value
        if p_val is not None:
            self._check(id_, "kruskal", pops, var=r_expr(var, frame=pops[0].frame))
        self._p(id_, p_val, "Kruskal-Wallis" if not why else "not tested", quantity, pops, paper, why)
        return p_val

    def _untestable(self, pops: Sequence[Pop]) -> str:
        """Why groups cannot be compared (a group below the minimum size), or ''."""
        small = [p for p in pops if p.n < self.params.min_group_n]
        if not small:
            return ""
        return "not tested: " + "; ".join(f"'{p.label}' has {patients(p.n)}" for p in small) \
            + f" (minimum {self.params.min_group_n})"

    def categorical(self, id_: str, pops: Sequence[Pop], var, *, quantity: str, paper: bool = True) -> float | None:
        """Pearson chi-square without correction when the smallest expected count is >= 3, else Fisher (2x2) or
        Fisher-Freeman-Halton (r x c) (study-definition 1.7)."""
        levels = sorted({str(v) for p in pops for v in _col(p.frame, var).fillna("missing")})
        table = np.array([[int((_col(p.frame, var).fillna("missing").astype(str) == lv).sum()) for p in pops]
                          for lv in levels])
        table = table[table.sum(axis=1) > 0] if table.size else table.reshape(0, len(pops))
        why = self._untestable(pops) or ("" if table.shape[0] >= 2 else
                                         "not tested: every patient has the same value")
        if why:
            p_val, method = None, "not tested"
        else:
            r = compare_categorical(table, min_expected=self.params.chisq_min_expected)
            p_val, method = r.p_value, r.test
            self._check(id_, "categorical", pops, var=r_expr(var, frame=pops[0].frame),
                        min_expected=self.params.chisq_min_expected, method=method)
        self._p(id_, p_val, method, quantity, pops, paper, why)
        return p_val

    def _p(self, id_, p_val, method, quantity, pops, paper, why=""):
        note = "" if p_val is not None else (why or "not tested")
        self.results.add(Record(id_, p_val, "p_value", quantity=quantity,
                                population=" vs ".join(p.name for p in pops),
                                patients=tuple(i for p in pops for i in p.ids), paper_ref=id_ if paper else "",
                                decimals=2, method=method, note=note, block=self.block, extension=self.extension))

    def proportion_ci(self, id_prefix: str, pop: Pop, var, *, quantity: str) -> None:
        """EXT: Clopper-Pearson 95% interval of a proportion (study-definition 6.2)."""
        mask = _truth(_col(pop.frame, var))
        n, N = int(mask.sum()), pop.n
        if N == 0:
            return
        ci = clopper_pearson(n, N)
        for st, v in (("ci_low_pct", ci.lower), ("ci_high_pct", ci.upper)):
            self._check(f"{id_prefix}_{st}", {"ci_low_pct": "cp_lower", "ci_high_pct": "cp_upper"}[st], [pop],
                        var=r_expr(var, logical=True, frame=pop.frame), scale=100)
            self.results.add(Record(f"{id_prefix}_{st}", 100 * v, st, quantity=f"{quantity} (Clopper-Pearson 95% CI)",
                                    denominator=N, population=pop.name, patients=tuple(pop.frame["patient_id"][mask].tolist()),
                                    decimals=1, method="Clopper-Pearson", block="EXT: exact intervals",
                                    extension=True, variable=quantity))

    # ---- survival ---------------------------------------------------------------------------------------------------
    def tte(self, pop: Pop, endpoint: str) -> pd.DataFrame:
        """The endpoint's rows of ``pop``, in the population's order (one set built once: linear in the rows)."""
        ids = pop.ids
        if self._tte_split is None or self._tte_split[0] is not self.adtte:  # each endpoint's rows, split once
            a = self.adtte
            self._tte_split = (a, {ep: g.set_index("patient_id") for ep, g in a.groupby("endpoint", sort=False)}
                               if len(a) else {})
        sub = self._tte_split[1].get(endpoint)
        if sub is None:
            d = self.adtte.iloc[0:0]
            return d.set_index("patient_id").reset_index() if "patient_id" in d.columns else d
        present = set(sub.index.tolist())
        return sub.loc[[i for i in ids if i in present]].reset_index()

    def km(self, curve_id: str, title: str, groups: Sequence[Pop], endpoint: str, *, at: int | None = 365,
           ids: dict[str, str] | None = None, test_id: str = "", paper_test: bool = True, quantity: str = "",
           entry: bool = False, at_risk_times: Sequence[int] | None = None, median_ids: dict | None = None,
           cut_at_risk: int | None = None, store_curve: bool = True) -> None:
        """Kaplan-Meier curves per group (R survfit, log CI), S(at) with CI as records, the log-rank test.
        ``store_curve=False`` keeps the records only (no figure).

        ``ids`` maps each group name to the record-id stem of its S(at) estimate (e.g. 'txt_efs_1y_after_blina');
        the records are stem + '_pct', '_ci_low', '_ci_high'. A group below ``min_group_n`` gets no curve and no
        estimate (study-definition 1.9). Every value that cannot be estimated is a record with value None and the
        reason in its note; a figure with no group left is listed as not computed.

        With delayed entry (``entry``), a patient whose follow-up ends on the entry day (censored or dead on the
        first day of mAb2) is never at risk after entry: R's ``Surv(entry, time)`` refuses such a row, so it is left
        out of the analysis and counted in the notes."""
        steps, risk = [], []
        labels = self.results.meta.setdefault("group_labels", {})
        for g in groups:
            labels[g.name] = g.label
        ttes, never = {}, {}
        for g in groups:
            d = self.tte(g, endpoint)
            if entry and len(d):
                ok = d["time"].to_numpy(float) > d["entry"].to_numpy(float)
                never[g.name] = int((~ok).sum())
                d = d[ok].reset_index(drop=True)
            ttes[g.name] = d
        months = at_risk_times or at_risk_days(max((float(d["time"].max()) for d in ttes.values() if len(d)),
                                                   default=0.0))
        data, left_out = {}, []

        def with_entry_note(g, note):
            k = never.get(g.name, 0)
            extra = f"{patients(k)} without follow-up after the start of mAb2 left out" if k else ""
            return "; ".join(x for x in (note, extra, undated(g)) if x)

        for g in groups:
            d = ttes[g.name]
            if len(d) < self.params.min_group_n:
                what = "follow-up after the start of mAb2" if never.get(g.name) else "time-to-event data"
                note = too_small_reason(g, len(d), self.params.min_group_n, what)
                if len(d) or not never.get(g.name):
                    note = with_entry_note(g, note)
                left_out.append(note)
                stems = []
                if at is not None and ids and g.name in ids:
                    stems += [(ids[g.name] + sfx, st) for sfx, st in (("_pct", "estimate_pct"),
                                                                       ("_ci_low", "ci_low_pct"),
                                                                       ("_ci_high", "ci_high_pct"))]
                if median_ids and g.name in median_ids:
                    stems += [(rid, "median" if key == "median" else "days") for key, rid in median_ids[g.name].items()]
                for rid, st in stems:
                    self.results.add(Record(rid, None, st, quantity=quantity or title, population=g.name,
                                            patients=tuple(d["patient_id"].tolist()),
                                            paper_ref=rid if not self.extension else "", note=note,
                                            block=self.block, extension=self.extension, analysis=curve_id,
                                            variable=endpoint, level=_km_level(st, rid, at, median_ids, g.name)))
                continue
            data[g.name] = d
            fit = kaplan_meier(d["time"].to_numpy(float), d["status"].to_numpy(int),
                               entry=d["entry"].to_numpy(float) if entry else None,
                               conf_type=self.params.km_conf_type, conf_level=self.params.km_conf_level)
            tab = fit.table.rename(columns={"surv": "estimate"})
            tab.insert(0, "group", g.name)
            if cut_at_risk:
                tab = tab[tab["n_risk"] >= cut_at_risk]
            tab = tab[["group", "time", "n_risk", "n_event", "n_censor", "estimate", "lower", "upper"]]
            # the legend's n: the group's size at the origin, not the patients the steps show (with delayed entry
            # some are never at risk after entry); the curve starts at the first entry
            tab = tab.assign(group_n=g.n)
            if store_curve:  # the legend's n, recomputed in R as the group's size
                self._check(f"{curve_id}/legend_n/{g.name}", "count", [g], var="TRUE", value=g.n, scale=1)
            if entry:
                tab = tab.assign(curve_start=float(d["entry"].min()))
            steps.append(tab)
            t_arr = d["time"].to_numpy(float)
            e_arr = d["entry"].to_numpy(float) if entry else np.zeros(len(d))
            for t in months:
                risk.append({"group": g.name, "time": t, "n_risk": int(((t_arr >= t) & (e_arr < t)).sum()
                                                                      if entry else (t_arr >= t).sum())})
                if store_curve:
                    self._check(f"{curve_id}/at_risk/{g.name}/{t}", "at_risk", [g], endpoint=endpoint, time=t,
                                entry=entry, value=risk[-1]["n_risk"], scale=1)
            if at is not None and ids and g.name in ids:
                stem = ids[g.name]
                longest = float(d["time"].max())
                if longest < at:
                    vals = (None, None, None)
                    note = f"not estimated: follow-up ends before day {at} (longest {longest:g} days)"
                else:
                    row = fit.at([at]).iloc[0]
                    vals = (100 * row["surv"], 100 * row["lower"], 100 * row["upper"])
                    n_at = int(((d["time"] >= at) & (d["entry"] < at)).sum() if entry else (d["time"] >= at).sum())
                    note = UNSTABLE if n_at < 5 else ""
                    if any(v is None or not np.isfinite(v) for v in vals[1:]):
                        note = "; ".join(x for x in (note, "interval not estimable (no variance: every patient "
                                                           "with an event or none)") if x)
                note = with_entry_note(g, note)
                for suffix, st, v in (("_pct", "estimate_pct", vals[0]), ("_ci_low", "ci_low_pct", vals[1]),
                                      ("_ci_high", "ci_high_pct", vals[2])):
                    rid = stem + suffix
                    if v is not None:
                        self.results.checks.append({"id": rid, "kind": {"_pct": "km_surv", "_ci_low": "km_lower",
                                                                         "_ci_high": "km_upper"}[suffix],
                                                    "endpoint": endpoint, "groups": {g.name: g.expr},
                                                    "time": at, "entry": entry, "scale": 100})
                    self.results.add(Record(rid, v, st, quantity=quantity or title, population=g.name,
                                            patients=tuple(d["patient_id"].tolist()), paper_ref=rid if not self.extension else "",
                                            decimals=1, method=f"Kaplan-Meier S({at}), {self.params.km_conf_type} CI",
                                            note=note, block=self.block, extension=self.extension, analysis=curve_id,
                                            variable=endpoint, level=f"day {at}",
                                            warning=UNSTABLE if UNSTABLE in note else ""))
            if median_ids and g.name in median_ids:
                m = fit.median
                for key, v in zip(("median", "ci_low", "ci_high"), (m.estimate, m.lower, m.upper)):
                    rid = median_ids[g.name].get(key)
                    if not rid:
                        continue
                    val = "NR" if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)
                    how, caution = median_method(fit, key)
                    self.results.checks.append({"id": rid, "kind": {"median": "km_median", "ci_low": "km_median_lower",
                                                                     "ci_high": "km_median_upper"}[key],
                                                "endpoint": endpoint, "groups": {g.name: g.expr},
                                                "time": None, "entry": entry, "scale": 1})
                    self.results.add(Record(rid, val, "median" if key == "median" else "days",
                                            quantity=f"median {title} (days)", population=g.name,
                                            patients=tuple(d["patient_id"].tolist()), paper_ref=rid if not self.extension else "",
                                            decimals=0, method=how, block=self.block, warning=caution,
                                            extension=self.extension, note=with_entry_note(g, ""), analysis=curve_id,
                                            variable=endpoint, level=MEDIAN_LEVEL[key]))
        if test_id:
            names = list(data)
            if len(names) >= 2 and len(names) == len(groups):
                allg = pd.concat([data[n].assign(_g=n) for n in names])
                lr = logrank_test(allg["time"].to_numpy(float), allg["status"].to_numpy(int), allg["_g"].to_numpy(),
                                  entry=allg["entry"].to_numpy(float) if entry else None)
                p_val, method, note = lr.p_value, "log-rank" + (" with delayed entry" if entry else ""), ""
                # survdiff takes right-censored data only; with delayed entry: coxph's score test
                self._check(test_id, "logrank_entry" if entry else "logrank", groups, endpoint=endpoint,
                            entry=entry, scale=1)
                if p_val is None or not np.isfinite(p_val):
                    note = "not tested: no event in any group"
            else:
                p_val, method = None, f"not tested (a group below {self.params.min_group_n})"
                note = "not tested: " + "; ".join(x.split(": ", 1)[-1] for x in left_out) if left_out else \
                    "not tested: fewer than two groups"
            self.results.add(Record(test_id, p_val, "p_value", quantity=f"{title} (log-rank)", analysis=curve_id,
                                    population=" vs ".join(g.name for g in groups),
                                    patients=tuple(i for g in groups for i in g.ids),
                                    paper_ref=test_id if paper_test and not self.extension else "", decimals=2,
                                    method=method, block=self.block, extension=self.extension, note=note))
        if not store_curve:
            return
        if steps:
            entry_notes = [f"'{g.label}': {patients(never[g.name])} of {g.n} without follow-up after entry left out"
                           for g in groups if g.name in data and never.get(g.name)]
            self.results.curves[curve_id] = Curve(curve_id, "km", title, " vs ".join(g.name for g in groups),
                                                  endpoint, pd.concat(steps, ignore_index=True), pd.DataFrame(risk),
                                                  test_id, block=self.block, extension=self.extension,
                                                  note="; ".join(left_out + entry_notes),
                                                  labels={g.name: g.label for g in groups})
        else:
            not_computed(self.results, curve_id, title, "; ".join(dict.fromkeys(left_out)), kind="figure",
                         block=self.block)

    def time_dependent_km(self, curve_id: str, title: str, patient_ids, start, stop, event, group, *,
                          population: str, endpoint: str, test_id: str = "", labels: dict | None = None,
                          note: str = "") -> None:
        """Simon-Makuch curves of a group a patient enters after the origin (e.g. at transplant), from
        counting-process intervals (start, stop] with ``event`` at ``stop``, one row per patient and group.

        Per group the steps are Kaplan-Meier with delayed entry (R ``survfit(Surv(start, stop, event) ~ group)``,
        whose ``n_censor`` counts the switches too), plus ``n_switch``: the patients leaving the group at that time
        because they enter another (an interval ending without event where the same patient's next interval
        starts), and ``censored``: whether a true censoring (``n_censor - n_switch > 0``) happens there, so that a
        switch is not drawn as a censor mark. ``curve_start`` is the first entry into the group (the transplant
        curve starts at the first transplant), ``group_n`` the patients ever in the group. The numbers at risk at
        the 6-month ticks t are the intervals with start < t <= stop (at the origin: start <= 0 < stop)."""
        from ..stats import simon_makuch
        pid = np.asarray(patient_ids, dtype=object)
        st, sp = np.asarray(start, float), np.asarray(stop, float)
        ev, grp = np.asarray(event, int), np.asarray(group, dtype=object)
        nxt = {(p, a) for p, a in zip(pid, st)}  # a patient's interval starting at a time
        switch = np.array([e == 0 and (p, b) in nxt for p, b, e in zip(pid, sp, ev)], dtype=bool)
        steps, risk = [], []
        ticks = at_risk_days(float(sp.max()) if len(sp) else 0.0)
        for g, fit in simon_makuch(st, sp, ev, grp).items():
            m = grp == g
            tab = fit.table.rename(columns={"surv": "estimate"})
            sw = pd.Series(sp[m & switch]).value_counts()
            n_switch = tab["time"].map(sw).fillna(0).astype(int)
            tab = tab.assign(group=g, n_switch=n_switch, censored=(tab["n_censor"] - n_switch) > 0,
                             group_n=len(set(pid[m])), curve_start=float(st[m].min()))
            steps.append(tab[["group", "time", "n_risk", "n_event", "n_censor", "n_switch", "censored", "estimate",
                              "lower", "upper", "group_n", "curve_start"]])
            for t in ticks:
                inside = ((st[m] < t) & (t <= sp[m])) if t > 0 else ((st[m] <= 0) & (sp[m] > 0))
                risk.append({"group": g, "time": t, "n_risk": int(inside.sum())})
        self.results.curves[curve_id] = Curve(
            curve_id, "km", title, population, endpoint, pd.concat(steps, ignore_index=True), pd.DataFrame(risk),
            test_id, block=self.block, extension=self.extension, note=note,
            labels={g: (labels or {}).get(g, str(g)) for g in dict.fromkeys(grp)})

    def followup(self, id_: str, pop: Pop, endpoint: str, *, quantity: str, paper: bool = True,
                 months: bool = True) -> None:
        """Median follow-up by reverse Kaplan-Meier (alive = event, death censors)."""
        d = self.tte(pop, endpoint)
        common = dict(quantity=quantity, population=pop.name, patients=tuple(d["patient_id"].tolist()),
                      paper_ref=id_ if paper else "", decimals=1,
                      method="reverse Kaplan-Meier median (months = days / 30.4375)", block=self.block,
                      extension=self.extension)
        if not len(d):
            self.results.add(Record(id_, None, "median", note=too_small_reason(pop, 0, 1), **common))
            return
        q = median_followup(d["time"].to_numpy(float), d["status"].to_numpy(int))
        est = q.estimate if q.estimate is not None and np.isfinite(q.estimate) else None
        v = None if est is None else (est / MONTH_DAYS if months else est)
        note = "" if v is not None else ("not estimated: too few patients alive at last contact for a reverse "
                                         "Kaplan-Meier median")
        if v is not None:
            self._check(id_, "followup", [pop], endpoint=endpoint, entry=False,
                        scale=1 / MONTH_DAYS if months else 1)
        self.results.add(Record(id_, v, "median", note=note, **common))

    def cif(self, curve_id: str, title: str, pop: Pop, endpoint: str, *, causes: dict[int, str],
            at: Sequence[int] = (100, 365, 730), id_stem: str = "", extension: bool = True,
            labels: dict[str, str] | None = None, cause_labels: dict[str, str] | None = None) -> None:
        """Aalen-Johansen cumulative incidence (cmprsk's variance, log(-log) CI) with estimates at ``at`` (EXT in
        the paper preset). A cause without events has incidence 0; a time after the last follow-up is not
        estimated; a population below ``min_group_n`` gets no curve (listed as not computed). The curve's labels:
        ``labels``, else the study's ``meta["group_labels"]``, else :data:`CAUSE_LABELS`, else the cause name."""
        d = self.tte(pop, endpoint)
        word = (cause_labels or {}).get  # a cause's words in the records' quantity (default: its name)

        def add(stem, name, t, v, st, note, patients):
            self.results.add(Record(stem + {"estimate_pct": "_pct", "ci_low_pct": "_ci_low",
                                            "ci_high_pct": "_ci_high"}[st], v, st,
                                    quantity=f"{title}: {word(name, name)} at day {t}", population=pop.name,
                                    patients=patients,
                                    decimals=1, method="Aalen-Johansen, cmprsk variance, log(-log) CI",
                                    block=self.block, extension=extension, note=note, analysis=curve_id,
                                    variable=name, level=f"day {t}"))

        if len(d) < self.params.min_group_n:
            reason = "; ".join(x for x in (too_small_reason(pop, len(d), self.params.min_group_n), undated(pop)) if x)
            not_computed(self.results, curve_id, title, reason, kind="figure", block=self.block)
            for name in causes.values():
                for t in at:
                    for st in ("estimate_pct", "ci_low_pct", "ci_high_pct"):
                        add(f"{id_stem}_{name}_d{t}", name, t, None, st, reason, tuple(d["patient_id"].tolist()))
            return
        ci = cumulative_incidence(d["time"].to_numpy(float), d["status"].to_numpy(int))
        tab = ci.table
        steps = tab.assign(group=tab["cause"].map(causes))[["group", "time", "estimate", "lower", "upper"]]
        t_arr = d["time"].to_numpy(float)
        risk = pd.DataFrame([{"group": pop.name, "time": t, "n_risk": int((t_arr >= t).sum())}
                             for t in at_risk_days(float(t_arr.max()) if len(t_arr) else 0.0)])
        if len(tab):
            for t, n in zip(risk["time"], risk["n_risk"]):
                self._check(f"{curve_id}/at_risk/{pop.name}/{t}", "at_risk", [pop], endpoint=endpoint, time=int(t),
                            entry=False, value=int(n), scale=1)
        self.results.meta.setdefault("group_labels", {})[pop.name] = pop.label
        pts = ci.at(list(at))
        found = {(int(r["cause"]), int(r["time"])): r for _, r in pts.iterrows()} if len(pts) else {}
        longest = float(t_arr.max())
        no_event = [name for code, name in causes.items() if not (d["status"] == code).any()]
        if len(steps):
            known = {**CAUSE_LABELS, **self.results.meta.get("group_labels", {}), **(labels or {})}
            self.results.curves[curve_id] = Curve(
                curve_id, "cif", title, pop.name, endpoint, steps, risk, block=self.block, extension=extension,
                note=("no " + " and no ".join(no_event) + " event: incidence 0 throughout") if no_event else "",
                labels={pop.name: pop.label, **{c: known.get(c, c.replace("_", " ").capitalize())
                                                for c in causes.values()}})
        else:
            not_computed(self.results, curve_id, title, f"not computed: no event ({', '.join(causes.values())}) in "
                         f"the {len(d)} patients of '{pop.label}'", kind="figure", block=self.block)
        for code, name in causes.items():
            for t in at:
                stem = f"{id_stem}_{name}_d{t}"
                row = found.get((code, t))
                if row is None:  # a cause without events: its incidence is 0 while patients are followed
                    vals = (0.0, None, None) if t <= longest else (None, None, None)
                    note = (f"no {name} event: incidence 0, no interval" if t <= longest else
                            f"not estimated: follow-up ends before day {t} (longest {longest:g} days)")
                    if t <= longest:  # R: cuminc draws no curve for the cause, its incidence is 0
                        self._check(stem + "_pct", "cif_est", [pop], endpoint=endpoint, time=int(t), cause=int(code),
                                    entry=False, scale=100)
                else:
                    vals = tuple(None if pd.isna(row[k]) else 100 * float(row[k])
                                 for k in ("estimate", "lower", "upper"))
                    note = "" if vals[0] is not None else \
                        f"not estimated: follow-up ends before day {t} (longest {longest:g} days)"
                    if vals[0] is not None and (vals[1] is None or vals[2] is None):
                        note = f"interval not estimable: no {name} event by day {t}"
                    for sfx, kind, v in (("_pct", "cif_est", vals[0]), ("_ci_low", "cif_lower", vals[1]),
                                         ("_ci_high", "cif_upper", vals[2])):
                        if v is not None:
                            self._check(stem + sfx, kind, [pop], endpoint=endpoint, time=int(t), cause=int(code),
                                        entry=False, scale=100)
                for st, v in zip(("estimate_pct", "ci_low_pct", "ci_high_pct"), vals):
                    add(stem, name, t, v, st, note, tuple(d["patient_id"].tolist()))


def add_table(results: ResultSet, spec: TableSpec) -> None:
    results.tables[spec.id] = spec
