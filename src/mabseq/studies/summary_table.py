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

Each record with a value gets its R check (results/rscript.py), written from these rules on the columns of adsl.csv
(the variable as an R expression, results/rfilter.py; a derived column by the preset's definition, ``r_columns``):
a level's count is ``count`` of ``.eq(x, level)``, its percentage ``pct`` over the group's patients with a known
value (a declared level, or not NA); the Unknown row ``count`` of the rest; median and quartiles ``quantile`` with
type 2; the p-value ``wilcoxon`` / ``kruskal`` on the groups, or ``categorical`` (R chooses chi-square or Fisher
again with the minimum expected count 5) on each group's patients with a known value.
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
from ..results.rfilter import UNTRANSLATABLE, r_and, r_expr, r_literal
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
                overall: Pop | None = None, add_p: bool = True, footnotes: Sequence[str] = (),
                r_columns: dict[str, str] | None = None) -> TableSpec:
    """Records and a TableSpec for ``tbl_summary(by =) |> add_overall() |> add_p()`` over ``variables``.
    ``r_columns``: the R expression on adsl.csv of a column the preset derives (default: the column itself)."""
    cols = ([("overall", overall)] if overall is not None else []) + [(_slug(p.name), p) for p in by]
    rows: list[dict] = []
    tests_used: list[str] = []
    stats_used: list[str] = []

    def rec(rid, value, statistic, quantity, pop, patients, decimals, method, denominator=None, check=None):
        # a statistic without a value says why: nobody in the column, or nobody with a known value
        note = "" if value is not None else (empty_reason(pop) if pop.n == 0 else
                                             f"not computed: no known value among the {pop.n} patients of "
                                             f"'{pop.label}'" if pop.n != 1 else
                                             f"not computed: no known value for the one patient of '{pop.label}'")
        b.results.add(Record(rid, value, statistic, quantity=quantity, population=pop.name, patients=patients,
                             decimals=decimals, method=method, denominator=denominator, block=b.block,
                             extension=b.extension, note=note))
        if check is not None and value is not None:
            _add_check(b, rid, check)

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
        x_r = (r_columns or {}).get(var.column) or r_expr(var.column, frame=by[0].frame)
        known_r = _known_r(x_r, var)
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
                pts = tuple(pop.frame["patient_id"][ok].tolist())
                qs = quantile(x, [0.5, 0.25, 0.75], type=2) if x.size else [None] * 3
                for st, v in zip(("median", "q1", "q3"), qs):
                    rec(f"{stem}_{st}_{cname}", None if v is None else float(v), st, var.label, pop, pts, digits,
                        "R quantile type 2 (gtsummary)", int(x.size),
                        check=dict(kind="quantile", groups={pop.name: pop.expr}, var=x_r,
                                   p={"median": 0.5, "q1": 0.25, "q3": 0.75}[st], qtype=2))
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
                    _add_check(b, p_id, dict(kind=test, groups={p.name: p.expr for p in by}, var=x_r))
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
            table_levels = levels if kind != "dichotomous" else [True, False]
            table = np.array([[sum(1 for v in p.frame[var.column] if level_of(v) == lv) for p in by]
                              for lv in table_levels])
            for cname, pop in cols:
                vals = [level_of(v) for v in pop.frame[var.column]]
                den = sum(1 for v in vals if v is not None)
                for lv in levels:
                    mask = np.array([v == lv for v in vals], dtype=bool) if len(vals) else np.zeros(0, bool)
                    n = int(mask.sum())
                    lid = stem if kind == "dichotomous" else f"{stem}_{_slug(lv)}"
                    pts = tuple(pop.frame["patient_id"][mask].tolist())
                    lv_r = _level_r(x_r, kind, lv, allv)
                    rec(f"{lid}_n_{cname}", n, "n", f"{var.label}: {lv}", pop, pts, 0, "count", den,
                        check=dict(kind="count", groups={pop.name: pop.expr}, var=lv_r))
                    rec(f"{lid}_pct_{cname}", float(Fraction(100 * n, den)) if den else None, "pct",
                        f"{var.label}: {lv}", pop, pts, None, "100 n / non-missing N (gtsummary)", den,
                        check=dict(kind="pct", groups={pop.name: pop.expr}, var=lv_r, den=r_and(pop.expr, known_r)))
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
                    _add_check(b, p_id, _categorical_check(x_r, known_r, kind, by, table_levels, table, test,
                                                            allv))
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
                    tuple(pop.frame["patient_id"][miss].tolist()), 0, "count of missing values",
                    check=dict(kind="count", groups={pop.name: pop.expr}, var=_not_r(known_r)))
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


def _add_check(b: Builder, rid: str, check: dict) -> None:
    """The record's R check (results/rscript.py): ``groups`` maps each group's name to its R expression."""
    b.results.checks.append({"id": rid, **check})


def _known_r(x_r: str | None, var: Variable) -> str | None:
    """R: the patient's value of the variable is known (a declared level when levels are declared, else not NA)."""
    if x_r is None or x_r.startswith(UNTRANSLATABLE):
        return x_r
    if var.levels is not None:
        return f".isin({x_r}, c({', '.join(r_literal(v) for v in var.levels)}))"
    return f"(!is.na({x_r}))"


def _not_r(e: str | None) -> str | None:
    return e if e is None or e.startswith(UNTRANSLATABLE) else f"(!{e})"


def _level_r(x_r: str | None, kind: str, level, values: pd.Series) -> str | None:
    """R: the patient's value is ``level`` (dichotomous: TRUE, 1 or yes in any case, as :func:`_yes`)."""
    if x_r is None or x_r.startswith(UNTRANSLATABLE):
        return x_r
    if kind != "dichotomous":
        return f".eq({x_r}, {r_literal(level)})"
    if any(isinstance(v, str) for v in values if _present(v)):
        return f'.eq(tolower({x_r}), "yes")'
    return f".eq({x_r}, TRUE)"


def _categorical_check(x_r, known_r, kind: str, by: Sequence[Pop], levels, table: np.ndarray, test: str,
                       values: pd.Series) -> dict:
    """The R check of a categorical p-value: each group's patients with a known value, the variable as its level
    (dichotomous: yes or not), R choosing chi-square or Fisher again from the expected counts of the levels that
    occur. A declared level without patients changes the choice (gtsummary keeps a factor's empty levels; the
    check's table has no row for it) only when the levels that occur would give the chi-square: then no check."""
    var = _level_r(x_r, kind, True, values) if kind == "dichotomous" else x_r
    occurring = table[table.sum(axis=1) > 0]
    if test == "fisher" and len(occurring) < len(table) and choose_test(kind, len(by), occurring) == "chisq":
        empty = ", ".join(f"'{level_text(lv)}'" for lv, row in zip(levels, table) if not row.sum())
        var = (UNTRANSLATABLE + f"Fisher's test chosen for the declared level {empty} without patients (gtsummary "
               "keeps a factor's empty levels); the R check chooses on the levels that occur, which give chi-square")
    return dict(kind="categorical", groups={p.name: r_and(p.expr, known_r) for p in by}, var=var,
                min_expected=MIN_EXPECTED)


def _p_record(b: Builder, stem: str, p_value, test: str, label: str, by: Sequence[Pop]) -> str:
    rid = f"{stem}_p"
    b.results.add(Record(rid, p_value, "p_value", quantity=f"{label} (group comparison)",
                         population=" vs ".join(p.name for p in by), patients=tuple(i for p in by for i in p.ids),
                         decimals=3, method=TEST_LABELS[test] if p_value is not None else "not testable",
                         note="" if p_value is not None else
                         "not tested: fewer than two levels or groups with values",
                         block=b.block, extension=b.extension))
    return rid
