"""Summary tables in gtsummary's conventions (``tbl_summary() |> add_overall() |> add_p()``, gtsummary 2.1), for
studies other than the paper preset (reporting-conventions.md 1.1-1.4).

The rules encoded here, each a function:

* :func:`summary_type` - gtsummary's ``assign_summary_type``: logical, 0/1 and no/yes columns are *dichotomous*
  (one row for TRUE / 1 / yes); numbers with fewer than 10 distinct values are *categorical*; other numbers are
  *continuous*; text is *categorical*.
* :func:`guess_digits` - decimals of a continuous summary from the spread of its 5th-95th percentiles
  (< 0.01: 4; < 0.1: 3; < 10: 2; < 20: 1; otherwise 0); integer columns get 0.
* Statistics: ``n (%)`` with missing values left out of the denominator; ``Median (Q1, Q3)`` by quantile type 2;
  an 'Unknown' row with the count of missing values when a variable has any (``missing = "ifany"``).
* :func:`choose_test` - ``add_p``'s defaults: Wilcoxon rank sum (2 groups) or Kruskal-Wallis (> 2) for continuous
  rows; Pearson's chi-square without correction when every expected count is at least 5, otherwise Fisher's exact
  test, for categorical and dichotomous rows; missing values are left out of every test.

Each statistic is a record (ids ``{table}_{variable}[_{level}]_{stat}_{column}``); the TableSpec only points at
them, and the renderer formats them (style_percent, style_pvalue) because the table says ``conventions =
"gtsummary"``.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass
from fractions import Fraction
from typing import Sequence

import numpy as np
import pandas as pd

from ..results.records import Record, TableSpec
from ..stats import chi_square, fisher_exact, kruskal_wallis, quantile, wilcoxon_rank_sum
from .builder import Builder, Pop, empty_reason

CAT_THRESHOLD = 10  # gtsummary: numbers with fewer distinct values are categorical
MIN_EXPECTED = 5.0  # gtsummary: chi-square when every expected count is >= 5
TEST_LABELS = {"wilcoxon": "Wilcoxon rank sum test", "kruskal": "Kruskal-Wallis rank sum test",
               "chisq": "Pearson's Chi-squared test", "fisher": "Fisher's exact test"}
STAT_LABELS = {"categorical": "n (%)", "dichotomous": "n (%)", "continuous": "Median (Q1, Q3)"}


@dataclass(frozen=True)
class Variable:
    """One row block: a column of the per-patient dataset, its label, and optionally its type and level labels
    (an ordered mapping from code to label, as factor levels; codes not listed are left out as missing)."""

    column: str
    label: str
    type: str | None = None
    levels: dict | None = None


def _present(v) -> bool:
    return v is not None and v is not pd.NA and not (isinstance(v, float) and np.isnan(v))


def _yes(v) -> bool:
    return v is True or v is np.True_ or (isinstance(v, (int, float, np.integer, np.floating)) and v == 1) or \
        (isinstance(v, str) and v.lower() == "yes")


def summary_type(values: pd.Series) -> str:
    """gtsummary's ``assign_summary_type`` for a column without a type given (reporting-conventions.md 1.1), in its
    order: logical -> dichotomous (even when all missing); then, on the non-missing values, numbers that are
    exactly {0, 1} -> dichotomous; text with exactly the two values no/yes (any case) -> dichotomous; all missing
    -> continuous; text -> categorical; numbers or dates with fewer than 10 distinct values -> categorical; other
    numbers or dates -> continuous."""
    if pd.api.types.is_bool_dtype(values.dtype):
        return "dichotomous"
    x = [v for v in values if _present(v)]
    if x and all(isinstance(v, (bool, np.bool_)) for v in x):
        return "dichotomous"
    numbers = all(isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, (bool, np.bool_))
                  for v in x)
    if x and numbers and set(float(v) for v in x) == {0.0, 1.0}:
        return "dichotomous"
    if x and all(isinstance(v, str) for v in x):
        if len(set(x)) == 2 and {v.lower() for v in x} == {"no", "yes"}:
            return "dichotomous"
        return "categorical"
    if not x:
        return "continuous"
    dates = all(isinstance(v, (_dt.date, pd.Timestamp)) for v in x)
    if numbers or dates:
        return "categorical" if len(set(x)) < CAT_THRESHOLD else "continuous"
    return "categorical"


def guess_digits(x: np.ndarray, integer: bool = False) -> int:
    """Decimals for a continuous summary: gtsummary's guess from the 5th-95th percentile spread (R quantile
    type 7); 0 for integer columns."""
    x = np.asarray(x, float)
    x = x[~np.isnan(x)]
    if integer or x.size == 0:
        return 0
    lo, hi = quantile(x, [0.05, 0.95], type=7)
    spread = hi - lo
    for bound, d in ((0.01, 4), (0.1, 3), (10, 2), (20, 1)):
        if spread < bound:
            return d
    return 0


def choose_test(kind: str, n_groups: int, table: np.ndarray | None = None) -> str:
    """add_p's default test: 'wilcoxon' / 'kruskal' for continuous rows; 'chisq' when every expected count of the
    level x group table (declared levels without patients included) is >= 5, else 'fisher'."""
    if kind == "continuous":
        return "wilcoxon" if n_groups == 2 else "kruskal"
    tab = np.asarray(table, dtype=float)  # empty levels kept, as R's table() of a factor keeps them
    exp = np.outer(tab.sum(axis=1), tab.sum(axis=0)) / tab.sum()
    return "chisq" if float(exp.min()) >= MIN_EXPECTED else "fisher"


def level_text(v) -> str:
    """A level as shown: whole numbers without a decimal point (a numeric column with missing values reads as
    float), everything else as text."""
    if isinstance(v, (float, np.floating)) and float(v).is_integer():
        return str(int(v))
    return str(v)


def _slug(s) -> str:
    return re.sub(r"[^a-z0-9]+", "_", level_text(s).lower()).strip("_") or "x"


def tbl_summary(b: Builder, table_id: str, title: str, by: Sequence[Pop], variables: Sequence[Variable], *,
                overall: Pop | None = None, add_p: bool = True, footnotes: Sequence[str] = ()) -> TableSpec:
    """Records and a TableSpec for ``tbl_summary(by =) |> add_overall() |> add_p()`` over ``variables``."""
    cols = ([("overall", overall)] if overall is not None else []) + [(_slug(p.name), p) for p in by]
    rows: list[dict] = []
    tests_used: list[str] = []
    stats_used: list[str] = []

    def rec(rid, value, statistic, quantity, pop, patients, decimals, method, denominator=None):
        # a statistic without a value says why: nobody in the column, or nobody with a known value
        note = "" if value is not None else (empty_reason(pop) if pop.n == 0 else
                                             f"not computed: no known value among the {pop.n} patients of "
                                             f"'{pop.label}'" if pop.n != 1 else
                                             f"not computed: no known value for the one patient of '{pop.label}'")
        b.results.add(Record(rid, value, statistic, quantity=quantity, population=pop.name, patients=patients,
                             decimals=decimals, method=method, denominator=denominator, block=b.block,
                             extension=b.extension, note=note))

    for var in variables:
        if var.column not in by[0].frame.columns:
            raise ValueError(f"{table_id}: no column {var.column!r} in the per-patient dataset")
        allv = pd.concat([p.frame[var.column] for p in by], ignore_index=True)
        if var.levels is not None:
            code = lambda v, lv=var.levels: v if _present(v) and v in lv else None  # noqa: E731
        else:
            code = lambda v: v if _present(v) else None  # noqa: E731
        kind = var.type or ("categorical" if var.levels is not None else summary_type(allv))
        stem = f"{table_id}_{_slug(var.column)}"
        if STAT_LABELS[kind] not in stats_used:
            stats_used.append(STAT_LABELS[kind])
        any_missing = any(code(v) is None for _, p in cols for v in p.frame[var.column])
        p_id = ""
        if kind == "continuous":
            # whole numbers throughout count as an integer column: pandas stores an integer column with missing
            # values as float, which would lose R's integer class (gtsummary: integers get 0 decimals)
            integer = all(float(v).is_integer() for v in allv if _present(v))
            digits = guess_digits(pd.to_numeric(allv, errors="coerce").to_numpy(float), integer)
            for cname, pop in cols:
                s = pd.to_numeric(pop.frame[var.column], errors="coerce")
                ok = s.notna().to_numpy()
                x = s[ok].to_numpy(float)
                pts = tuple(pop.frame["patient_id"][ok])
                qs = quantile(x, [0.5, 0.25, 0.75], type=2) if x.size else [None] * 3
                for st, v in zip(("median", "q1", "q3"), qs):
                    rec(f"{stem}_{st}_{cname}", None if v is None else float(v), st, var.label, pop, pts, digits,
                        "R quantile type 2 (gtsummary)", int(x.size))
            if add_p and len(by) >= 2:
                groups = [pd.to_numeric(p.frame[var.column], errors="coerce").dropna().to_numpy(float) for p in by]
                test = choose_test(kind, len(by))
                if any(g.size == 0 for g in groups):
                    pv = None
                elif test == "wilcoxon":
                    pv = wilcoxon_rank_sum(groups[0], groups[1]).p_value
                else:
                    pv = kruskal_wallis(np.concatenate(groups),
                                        np.concatenate([[i] * g.size for i, g in enumerate(groups)])).p_value
                p_id = _p_record(b, stem, pv, test, var.label, by)
                if pv is not None:
                    tests_used.append(test)
            rows.append({"label": var.label, "kind": "gts_cont", "indent": 0, "p": p_id,
                         "cells": [f"{stem}_median_{c}" for c, _ in cols],
                         "lo": [f"{stem}_q1_{c}" for c, _ in cols], "hi": [f"{stem}_q3_{c}" for c, _ in cols]})
        else:
            if kind == "dichotomous":
                levels = [True]
                level_of = lambda v: None if code(v) is None else _yes(code(v))  # noqa: E731
            else:
                present = sorted({code(v) for v in allv if code(v) is not None}, key=lambda v: (str(type(v)), v))
                levels = list(var.levels) if var.levels is not None else present
                level_of = code
            table = np.array([[sum(1 for v in p.frame[var.column] if level_of(v) == lv) for p in by]
                              for lv in (levels if kind != "dichotomous" else [True, False])])
            for cname, pop in cols:
                vals = [level_of(v) for v in pop.frame[var.column]]
                den = sum(1 for v in vals if v is not None)
                for lv in levels:
                    mask = np.array([v == lv for v in vals], dtype=bool) if len(vals) else np.zeros(0, bool)
                    n = int(mask.sum())
                    lid = stem if kind == "dichotomous" else f"{stem}_{_slug(lv)}"
                    pts = tuple(pop.frame["patient_id"][mask])
                    rec(f"{lid}_n_{cname}", n, "n", f"{var.label}: {lv}", pop, pts, 0, "count", den)
                    rec(f"{lid}_pct_{cname}", float(Fraction(100 * n, den)) if den else None, "pct",
                        f"{var.label}: {lv}", pop, pts, None, "100 n / non-missing N (gtsummary)", den)
            if add_p and len(by) >= 2:
                # the test is chosen on the full level x group table (declared levels without patients included,
                # as R's table() of a factor keeps them), then run on the levels that occur
                t = table[table.sum(axis=1) > 0]
                t = t[:, t.sum(axis=0) > 0]
                if t.shape[0] < 2 or t.shape[1] < 2:
                    pv, test = None, ""
                else:
                    test = choose_test(kind, len(by), table)
                    pv = fisher_exact(t).p_value if test == "fisher" else chi_square(t, correct=False).p_value
                p_id = _p_record(b, stem, pv, test, var.label, by)
                if pv is not None:
                    tests_used.append(test)
            if kind == "dichotomous":
                rows.append({"label": var.label, "kind": "gts_n_pct", "indent": 0, "p": p_id,
                             "cells": [f"{stem}_n_{c}" for c, _ in cols],
                             "pct": [f"{stem}_pct_{c}" for c, _ in cols]})
            else:
                rows.append({"label": var.label, "kind": "header", "indent": 0, "cells": [], "p": p_id})
                for lv in levels:
                    lid = f"{stem}_{_slug(lv)}"
                    lab = var.levels.get(lv, level_text(lv)) if var.levels is not None else level_text(lv)
                    rows.append({"label": lab, "kind": "gts_n_pct", "indent": 1, "p": "",
                                 "cells": [f"{lid}_n_{c}" for c, _ in cols], "pct": [f"{lid}_pct_{c}" for c, _ in cols]})
        if any_missing:
            for cname, pop in cols:
                miss = np.array([code(v) is None for v in pop.frame[var.column]], dtype=bool)
                rec(f"{stem}_unknown_{cname}", int(miss.sum()), "n", f"{var.label}: unknown", pop,
                    tuple(pop.frame["patient_id"][miss]), 0, "count of missing values")
            rows.append({"label": "Unknown", "kind": "gts_count", "indent": 1, "p": "",
                         "cells": [f"{stem}_unknown_{c}" for c, _ in cols]})

    header = ["Characteristic"] + [f"{'Overall' if c == 'overall' else p.label}, N = {p.n}" for c, p in cols]
    if add_p and len(by) >= 2:
        header.append("p-value")
    notes = ["; ".join(stats_used)]
    if tests_used:
        seen = list(dict.fromkeys(tests_used))
        notes.append("p-value: " + "; ".join(TEST_LABELS[t] for t in seen) + ".")
    spec = TableSpec(table_id, title, header, rows, notes + list(footnotes), b.block, pct_style="percent",
                     conventions="gtsummary")
    b.results.tables[table_id] = spec
    return spec


def _p_record(b: Builder, stem: str, p_value, test: str, label: str, by: Sequence[Pop]) -> str:
    rid = f"{stem}_p"
    b.results.add(Record(rid, p_value, "p_value", quantity=f"{label} (group comparison)",
                         population=" vs ".join(p.name for p in by), patients=tuple(i for p in by for i in p.ids),
                         decimals=3, method=TEST_LABELS[test] if p_value is not None else "not testable",
                         note="" if p_value is not None else
                         "not tested: fewer than two levels or groups with values",
                         block=b.block, extension=b.extension))
    return rid
