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


@dataclass
class Pop:
    """An analysis set: its name (e.g. "BF"), a label for tables, and its rows of the per-patient dataset."""

    name: str
    label: str
    frame: pd.DataFrame

    @property
    def ids(self) -> tuple[str, ...]:
        return tuple(self.frame["patient_id"])

    @property
    def n(self) -> int:
        return len(self.frame)

    def where(self, name: str, label: str, mask) -> "Pop":
        m = mask(self.frame) if callable(mask) else mask
        return Pop(name, label, self.frame[np.asarray(m, dtype=bool)])


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
    if not len(dc.adsl):
        raise ValueError("no patient meets the inclusion criteria; see the excluded patients")
    return dc, res


def eq(col: str, value) -> Callable[[pd.DataFrame], pd.Series]:
    """A population filter: the rows whose ``col`` equals ``value``."""
    return lambda f: f[col] == value


def at_risk_days(max_days: float, every_months: int = 6) -> list[int]:
    """The days at which numbers at risk are counted: every 6 months (whole days, months = days / 30.4375) up to
    the first multiple of 6 months at or after the longest follow-up, i.e. every x tick of the figure."""
    last = every_months * max(1, int(np.ceil(max_days / MONTH_DAYS / every_months - 1e-9)))
    return [int(round(m * MONTH_DAYS)) for m in range(0, last + 1, every_months)]


def _col(frame: pd.DataFrame, var: str | Callable) -> pd.Series:
    return var(frame) if callable(var) else frame[var]


def _truth(s: pd.Series) -> np.ndarray:
    return np.array([bool(v) if v is not None and not (isinstance(v, float) and np.isnan(v)) else False
                     for v in s], dtype=bool)


@dataclass
class Builder:
    results: ResultSet
    adtte: pd.DataFrame
    params: AnalysisParams = field(default_factory=AnalysisParams)
    block: str = ""
    extension: bool = False

    # ---- counts ---------------------------------------------------------------------------------------------------
    def n_pct(self, id_n: str | None, id_pct: str | None, pop: Pop, var, *, quantity: str, paper: bool = True,
              decimals: int = 1, rule: str = "", denominator: Pop | None = None) -> int:
        """Count of ``var`` true in ``pop`` and its percentage of the population (or of ``denominator``). Missing
        counts as 'no' and stays in the denominator (study-definition 1.3)."""
        mask = _truth(_col(pop.frame, var))
        n = int(mask.sum())
        den = denominator.n if denominator is not None else pop.n
        pts = tuple(pop.frame["patient_id"][mask])
        common = dict(quantity=quantity, denominator=den, population=(denominator or pop).name, patients=pts,
                      rule=rule, block=self.block, extension=self.extension)
        if id_n:
            self.results.add(Record(id_n, n, "n", paper_ref=id_n if paper else "", decimals=0, method="count",
                                    **common))
        if id_pct:
            pct = float(Fraction(100 * n, den)) if den else None
            self.results.add(Record(id_pct, pct, "pct", paper_ref=id_pct if paper else "", decimals=decimals,
                                    method="100 n / N", **common))
        return n

    def count(self, id_: str, value: int, pop: Pop, *, quantity: str, patients=(), paper: bool = True,
              statistic: str = "n", rule: str = "", denominator: int | None = None) -> None:
        self.results.add(Record(id_, int(value), statistic, quantity=quantity, population=pop.name,
                                patients=tuple(patients), paper_ref=id_ if paper else "", decimals=0,
                                denominator=denominator, method="count", rule=rule, block=self.block,
                                extension=self.extension))

    # ---- continuous summaries ---------------------------------------------------------------------------------------
    def summary(self, prefix: str, suffix: str, pop: Pop, var, *, stats: Sequence[str] = ("median", "q1", "q3"),
                quantity: str, decimals: int = 0, paper: bool = True, rule: str = "") -> dict:
        """Median with IQR or range (R quantile type 7); missing values are left out and their number noted."""
        s = pd.to_numeric(_col(pop.frame, var), errors="coerce")
        ok = s.notna().to_numpy()
        x = s[ok].to_numpy(dtype=float)
        pts = tuple(pop.frame["patient_id"][ok])
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
            note = f"n = {x.size} of {pop.n} (missing left out)" if x.size < pop.n else ""
            self.results.add(Record(rid, v, st, quantity=quantity, population=pop.name, patients=pts,
                                    paper_ref=rid if paper else "", decimals=decimals,
                                    method=f"R quantile type {self.params.quantile_type}", rule=rule, note=note,
                                    block=self.block, extension=self.extension, denominator=int(x.size)))
            out[st] = v
        return out

    # ---- group comparisons ------------------------------------------------------------------------------------------
    def kw(self, id_: str, pops: Sequence[Pop], var, *, quantity: str, paper: bool = True) -> float | None:
        vals, grp = [], []
        for i, p in enumerate(pops):
            s = pd.to_numeric(_col(p.frame, var), errors="coerce").dropna()
            vals.extend(s.tolist())
            grp.extend([i] * len(s))
        if len(set(grp)) < 2 or min(p.n for p in pops) < self.params.min_group_n:
            p_val = None
        else:
            p_val = kruskal_wallis(np.array(vals, float), np.array(grp)).p_value
        self._p(id_, p_val, "Kruskal-Wallis", quantity, pops, paper)
        return p_val

    def categorical(self, id_: str, pops: Sequence[Pop], var, *, quantity: str, paper: bool = True) -> float | None:
        """Pearson chi-square without correction when the smallest expected count is >= 3, else Fisher (2x2) or
        Fisher-Freeman-Halton (r x c) (study-definition 1.7)."""
        levels = sorted({str(v) for p in pops for v in _col(p.frame, var).fillna("missing")})
        table = np.array([[int((_col(p.frame, var).fillna("missing").astype(str) == lv).sum()) for p in pops]
                          for lv in levels])
        table = table[table.sum(axis=1) > 0]
        if table.shape[0] < 2 or min(p.n for p in pops) < self.params.min_group_n:
            p_val, method = None, "not tested"
        else:
            r = compare_categorical(table, min_expected=self.params.chisq_min_expected)
            p_val, method = r.p_value, r.test
        self._p(id_, p_val, method, quantity, pops, paper)
        return p_val

    def _p(self, id_, p_val, method, quantity, pops, paper):
        note = "" if p_val is not None else f"not tested (a group below {self.params.min_group_n})"
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
            self.results.add(Record(f"{id_prefix}_{st}", 100 * v, st, quantity=f"{quantity} (Clopper-Pearson 95% CI)",
                                    denominator=N, population=pop.name, patients=tuple(pop.frame["patient_id"][mask]),
                                    decimals=1, method="Clopper-Pearson", block="EXT: exact intervals",
                                    extension=True))

    # ---- survival ---------------------------------------------------------------------------------------------------
    def tte(self, pop: Pop, endpoint: str) -> pd.DataFrame:
        d = self.adtte[(self.adtte["endpoint"] == endpoint) & self.adtte["patient_id"].isin(pop.ids)]
        return d.set_index("patient_id").loc[[i for i in pop.ids if i in set(d["patient_id"])]].reset_index()

    def km(self, curve_id: str, title: str, groups: Sequence[Pop], endpoint: str, *, at: int | None = 365,
           ids: dict[str, str] | None = None, test_id: str = "", paper_test: bool = True, quantity: str = "",
           entry: bool = False, at_risk_times: Sequence[int] | None = None, median_ids: dict | None = None,
           cut_at_risk: int | None = None, store_curve: bool = True) -> None:
        """Kaplan-Meier curves per group (R survfit, log CI), S(at) with CI as records, the log-rank test.
        ``store_curve=False`` keeps the records only (no figure).

        ``ids`` maps each group name to the record-id stem of its S(at) estimate (e.g. 'txt_efs_1y_after_blina');
        the records are stem + '_pct', '_ci_low', '_ci_high'. A group below ``min_group_n`` gets no curve and no
        estimate (study-definition 1.9)."""
        steps, risk = [], []
        labels = self.results.meta.setdefault("group_labels", {})
        for g in groups:
            labels[g.name] = g.label
        ttes = {g.name: self.tte(g, endpoint) for g in groups}
        months = at_risk_times or at_risk_days(max((float(d["time"].max()) for d in ttes.values() if len(d)),
                                                   default=0.0))
        data = {}
        for g in groups:
            d = ttes[g.name]
            if len(d) < self.params.min_group_n:
                note = f"not analysed (n = {len(d)} < {self.params.min_group_n})"
                stems = []
                if at is not None and ids and g.name in ids:
                    stems += [(ids[g.name] + sfx, st) for sfx, st in (("_pct", "estimate_pct"),
                                                                       ("_ci_low", "ci_low_pct"),
                                                                       ("_ci_high", "ci_high_pct"))]
                if median_ids and g.name in median_ids:
                    stems += [(rid, "median" if key == "median" else "days") for key, rid in median_ids[g.name].items()]
                for rid, st in stems:
                    self.results.add(Record(rid, None, st, quantity=quantity or title, population=g.name,
                                            patients=tuple(d["patient_id"]),
                                            paper_ref=rid if not self.extension else "", note=note,
                                            block=self.block, extension=self.extension))
                continue
            data[g.name] = d
            fit = kaplan_meier(d["time"].to_numpy(float), d["status"].to_numpy(int),
                               entry=d["entry"].to_numpy(float) if entry else None,
                               conf_type=self.params.km_conf_type, conf_level=self.params.km_conf_level)
            tab = fit.table.rename(columns={"surv": "estimate"})
            tab.insert(0, "group", g.name)
            if cut_at_risk:
                tab = tab[tab["n_risk"] >= cut_at_risk]
            steps.append(tab[["group", "time", "n_risk", "n_event", "n_censor", "estimate", "lower", "upper"]])
            t_arr = d["time"].to_numpy(float)
            e_arr = d["entry"].to_numpy(float) if entry else np.zeros(len(d))
            for t in months:
                risk.append({"group": g.name, "time": t, "n_risk": int(((t_arr >= t) & (e_arr < t)).sum()
                                                                      if entry else (t_arr >= t).sum())})
            if at is not None and ids and g.name in ids:
                stem = ids[g.name]
                if float(d["time"].max()) < at:
                    vals = (None, None, None)
                else:
                    row = fit.at([at]).iloc[0]
                    vals = (100 * row["surv"], 100 * row["lower"], 100 * row["upper"])
                n_at = int((d["time"] >= at).sum())
                note = "unstable: fewer than 5 at risk" if n_at < 5 else ""
                for suffix, st, v in (("_pct", "estimate_pct", vals[0]), ("_ci_low", "ci_low_pct", vals[1]),
                                      ("_ci_high", "ci_high_pct", vals[2])):
                    rid = stem + suffix
                    if v is not None:
                        self.results.checks.append({"id": rid, "kind": {"_pct": "km_surv", "_ci_low": "km_lower",
                                                                         "_ci_high": "km_upper"}[suffix],
                                                    "endpoint": endpoint, "groups": {g.name: list(d["patient_id"])},
                                                    "time": at, "entry": entry, "scale": 100})
                    self.results.add(Record(rid, v, st, quantity=quantity or title, population=g.name,
                                            patients=tuple(d["patient_id"]), paper_ref=rid if not self.extension else "",
                                            decimals=1, method=f"Kaplan-Meier S({at}), {self.params.km_conf_type} CI",
                                            note=note, block=self.block, extension=self.extension))
            if median_ids and g.name in median_ids:
                m = fit.median
                for key, v in zip(("median", "ci_low", "ci_high"), (m.estimate, m.lower, m.upper)):
                    rid = median_ids[g.name].get(key)
                    if not rid:
                        continue
                    val = "NR" if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)
                    self.results.checks.append({"id": rid, "kind": {"median": "km_median", "ci_low": "km_median_lower",
                                                                     "ci_high": "km_median_upper"}[key],
                                                "endpoint": endpoint, "groups": {g.name: list(d["patient_id"])},
                                                "time": None, "entry": entry, "scale": 1})
                    self.results.add(Record(rid, val, "median" if key == "median" else "days",
                                            quantity=f"median {title} (days)", population=g.name,
                                            patients=tuple(d["patient_id"]), paper_ref=rid if not self.extension else "",
                                            decimals=0, method="R quantile.survfit median", block=self.block,
                                            extension=self.extension))
        if test_id:
            names = list(data)
            if len(names) >= 2 and len(names) == len(groups):
                allg = pd.concat([data[n].assign(_g=n) for n in names])
                lr = logrank_test(allg["time"].to_numpy(float), allg["status"].to_numpy(int), allg["_g"].to_numpy(),
                                  entry=allg["entry"].to_numpy(float) if entry else None)
                p_val, method = lr.p_value, "log-rank" + (" with delayed entry" if entry else "")
                if not entry:  # survdiff takes right-censored data only
                    self.results.checks.append({"id": test_id, "kind": "logrank", "endpoint": endpoint,
                                                "groups": {n: list(data[n]["patient_id"]) for n in names},
                                                "time": None, "entry": False, "scale": 1})
            else:
                p_val, method = None, f"not tested (a group below {self.params.min_group_n})"
            self.results.add(Record(test_id, p_val, "p_value", quantity=f"{title} (log-rank)",
                                    population=" vs ".join(g.name for g in groups),
                                    patients=tuple(i for g in groups for i in g.ids),
                                    paper_ref=test_id if paper_test and not self.extension else "", decimals=2,
                                    method=method, block=self.block, extension=self.extension))
        if steps and store_curve:
            self.results.curves[curve_id] = Curve(curve_id, "km", title, " vs ".join(g.name for g in groups),
                                                  endpoint, pd.concat(steps, ignore_index=True), pd.DataFrame(risk),
                                                  test_id, block=self.block, extension=self.extension)

    def followup(self, id_: str, pop: Pop, endpoint: str, *, quantity: str, paper: bool = True,
                 months: bool = True) -> None:
        """Median follow-up by reverse Kaplan-Meier (alive = event, death censors)."""
        d = self.tte(pop, endpoint)
        q = median_followup(d["time"].to_numpy(float), d["status"].to_numpy(int))
        v = q.estimate / MONTH_DAYS if months else q.estimate
        self.results.checks.append({"id": id_, "kind": "followup", "endpoint": endpoint,
                                    "groups": {pop.name: list(d["patient_id"])}, "time": None, "entry": False,
                                    "scale": 1 / MONTH_DAYS if months else 1})
        self.results.add(Record(id_, v, "median", quantity=quantity, population=pop.name,
                                patients=tuple(d["patient_id"]), paper_ref=id_ if paper else "",
                                decimals=1, method="reverse Kaplan-Meier median (months = days / 30.4375)",
                                block=self.block, extension=self.extension))

    def cif(self, curve_id: str, title: str, pop: Pop, endpoint: str, *, causes: dict[int, str],
            at: Sequence[int] = (100, 365, 730), id_stem: str = "") -> None:
        """EXT: Aalen-Johansen cumulative incidence (cmprsk's variance, log(-log) CI) with estimates at ``at``."""
        d = self.tte(pop, endpoint)
        if len(d) < self.params.min_group_n:
            return
        ci = cumulative_incidence(d["time"].to_numpy(float), d["status"].to_numpy(int))
        tab = ci.table
        steps = tab.assign(group=tab["cause"].map(causes))[["group", "time", "estimate", "lower", "upper"]]
        t_arr = d["time"].to_numpy(float)
        risk = pd.DataFrame([{"group": pop.name, "time": t, "n_risk": int((t_arr >= t).sum())}
                             for t in at_risk_days(float(t_arr.max()) if len(t_arr) else 0.0)])
        self.results.meta.setdefault("group_labels", {})[pop.name] = pop.label
        self.results.curves[curve_id] = Curve(curve_id, "cif", title, pop.name, endpoint, steps, risk,
                                              block=self.block, extension=True)
        pts = ci.at(list(at))
        for _, row in pts.iterrows():
            name = causes.get(int(row["cause"]), str(row["cause"]))
            stem = f"{id_stem}_{name}_d{int(row['time'])}"
            if not pd.isna(row["estimate"]):
                self.results.checks.append({"id": stem + "_pct", "kind": "cif_est", "endpoint": endpoint,
                                            "groups": {pop.name: list(d["patient_id"])}, "time": int(row["time"]),
                                            "cause": int(row["cause"]), "entry": False, "scale": 100})
            for suffix, st, v in (("_pct", "estimate_pct", row["estimate"]), ("_ci_low", "ci_low_pct", row["lower"]),
                                  ("_ci_high", "ci_high_pct", row["upper"])):
                self.results.add(Record(stem + suffix, None if pd.isna(v) else 100 * v, st,
                                        quantity=f"{title}: {name} at day {int(row['time'])}", population=pop.name,
                                        patients=tuple(d["patient_id"]), decimals=1,
                                        method="Aalen-Johansen, cmprsk variance, log(-log) CI", block=self.block,
                                        extension=True))


def add_table(results: ResultSet, spec: TableSpec) -> None:
    results.tables[spec.id] = spec
