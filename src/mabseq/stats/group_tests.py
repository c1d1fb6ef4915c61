"""Group comparisons for a clinical Table 1, each equal to the R function named in its docstring.

All tests are two-sided. Each returns a :class:`TestResult` whose ``test`` field names the test actually used, so
the study layer can say which test each row of a table used (and footnote it).
"""
from __future__ import annotations

from dataclasses import dataclass
import math
from math import lgamma

import numpy as np
from .distributions import average_ranks, chi2_sf, hypergeom_pmf, norm_sf, wilcoxon_exact_cdf

# R's fisher.test counts tables whose probability is within this relative margin of the observed one as "as extreme".
_FISHER_REL_ERR = 1.0 + 1e-7
# 2x2 tables up to this many patients are summed in exact integers (binomials of at most ~600 digits)
_FISHER_EXACT_INTEGERS = 2000


@dataclass(frozen=True)
class TestResult:
    test: str
    statistic: float
    df: float
    p_value: float
    min_expected: float = float("nan")

    @property
    def label(self) -> str:
        return TEST_LABELS[self.test]


TEST_LABELS = {
    "kruskal_wallis": "Kruskal-Wallis rank sum test",
    "wilcoxon_rank_sum": "Wilcoxon rank sum test",
    "chi_square": "Pearson's chi-squared test",
    "chi_square_yates": "Pearson's chi-squared test with Yates' continuity correction",
    "fisher_exact": "Fisher's exact test",
}


def _groups_from(values, group) -> list[np.ndarray]:
    x = np.asarray(values, dtype=float)
    g = np.asarray(group)
    if x.shape[0] != g.shape[0]:
        raise ValueError(f"group: length {g.shape[0]} does not match values length {x.shape[0]}")
    keep = ~np.isnan(x)
    x, g = x[keep], g[keep]
    return [x[g == lev] for lev in np.unique(g)]


def kruskal_wallis(values, group) -> TestResult:
    """Kruskal-Wallis rank sum test with the tie correction (R ``kruskal.test``), for any k >= 2 groups.

    H = [12 / (N(N+1)) sum R_g^2 / n_g - 3(N+1)] / [1 - sum(t^3 - t) / (N^3 - N)], df = k - 1.
    Missing values (NaN) are dropped, as R does.
    """
    samples = [s for s in _groups_from(values, group) if s.size]
    if len(samples) < 2:
        raise ValueError("group: needs at least 2 groups with non-missing values")
    allv = np.concatenate(samples)
    if np.unique(allv).size == 1:
        return TestResult("kruskal_wallis", float("nan"), len(samples) - 1, float("nan"))
    ranks, ties = average_ranks(allv)
    big_n = allv.size
    bounds = np.cumsum([0] + [s.size for s in samples])
    rank_sums = np.array([ranks[a:b].sum() for a, b in zip(bounds[:-1], bounds[1:])])
    sizes = np.diff(bounds)
    h = 12.0 / (big_n * (big_n + 1)) * float((rank_sums**2 / sizes).sum()) - 3.0 * (big_n + 1)
    h /= 1.0 - float((ties.astype(float)**3 - ties).sum()) / (big_n**3 - big_n)
    df = len(samples) - 1
    return TestResult("kruskal_wallis", float(h), df, float(chi2_sf(h, df)))


def wilcoxon_rank_sum(x, y, *, exact: bool | None = None, correct: bool = True) -> TestResult:
    """Wilcoxon rank sum (Mann-Whitney) test as R ``wilcox.test(x, y)``.

    The statistic is R's W = rank sum of x - n_x(n_x+1)/2. As in R, the exact null distribution is used when both
    samples have fewer than 50 values and there are no ties (``exact=None``); otherwise the normal approximation
    with tie-corrected variance and, by default, a continuity correction.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    if x.size == 0 or y.size == 0:
        raise ValueError("x, y: each sample needs at least one non-missing value")
    ties = np.unique(np.concatenate([x, y])).size < x.size + y.size
    if exact is None:
        exact = x.size < 50 and y.size < 50
    m, n = x.size, y.size
    ranks, sizes = average_ranks(np.concatenate([x, y]))
    w = float(ranks[:m].sum()) - m * (m + 1) / 2.0
    if exact and not ties:
        # P(W >= w) = P(W <= mn - w) by symmetry, so both tails come from the lower one without cancellation
        cdf = wilcoxon_exact_cdf(m, n)
        p = 2.0 * float(cdf[int(round(min(w, m * n - w)))])
        return TestResult("wilcoxon_rank_sum", w, float("nan"), min(1.0, p))
    # normal approximation: z = (W - mn/2 - sign * 0.5) / sigma, sigma^2 = mn/12 [(N+1) - sum(t^3-t) / (N(N-1))]
    big_n = m + n
    z = w - m * n / 2.0
    sigma = math.sqrt(m * n / 12.0 * ((big_n + 1) - float((sizes.astype(float)**3 - sizes).sum())
                                      / (big_n * (big_n - 1))))
    if sigma == 0.0:
        return TestResult("wilcoxon_rank_sum", w, float("nan"), float("nan"))
    z = (z - (math.copysign(0.5, z) if (correct and z != 0) else 0.0)) / sigma
    p = 2.0 * float(norm_sf(abs(z)))
    return TestResult("wilcoxon_rank_sum", w, float("nan"), min(1.0, p))


def _as_table(table) -> np.ndarray:
    tab = np.asarray(table, dtype=float)
    if tab.ndim != 2:
        raise ValueError(f"table: expected a 2-d contingency table, got shape {tab.shape}")
    if (tab < 0).any() or (tab != np.floor(tab)).any():
        raise ValueError("table: counts must be non-negative integers")
    tab = tab[tab.sum(axis=1) > 0][:, tab.sum(axis=0) > 0]
    return tab


def _expected(tab: np.ndarray) -> np.ndarray:
    return np.outer(tab.sum(axis=1), tab.sum(axis=0)) / tab.sum()


def expected_counts(table) -> np.ndarray:
    """Expected counts under independence, after dropping all-zero rows and columns."""
    return _expected(_as_table(table))


def chi_square(table, *, correct: bool = False) -> TestResult:
    """Pearson's chi-squared test of independence (R ``chisq.test``).

    ``correct=True`` applies Yates' continuity correction to 2x2 tables, moving each |O - E| by min(0.5, |O - E|)
    as R does. All-zero rows and columns are dropped first.
    """
    tab = _as_table(table)
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        return TestResult("chi_square_yates" if correct else "chi_square", float("nan"), 0, float("nan"))
    exp = _expected(tab)
    is_2x2 = tab.shape == (2, 2)
    dev = np.abs(tab - exp)
    if correct and is_2x2:
        dev = dev - np.minimum(0.5, dev)
    stat = float((dev**2 / exp).sum())
    df = (tab.shape[0] - 1) * (tab.shape[1] - 1)
    name = "chi_square_yates" if (correct and is_2x2) else "chi_square"
    return TestResult(name, stat, df, float(chi2_sf(stat, df)), float(exp.min()))


def _log_table_prob_const(rows: np.ndarray, cols: np.ndarray) -> float:
    total = rows.sum()
    return sum(lgamma(r + 1) for r in rows) + sum(lgamma(c + 1) for c in cols) - lgamma(total + 1)


def _enumerate_columns(rows: np.ndarray, cols: np.ndarray):
    """Yield sum(log n_ij!) for every table with the given margins (depth-first over columns, then rows)."""
    r = rows.shape[0]
    lf = [lgamma(i + 1) for i in range(int(rows.max()) + 2)]

    def fill_column(j, remaining, acc):
        if j == cols.shape[0] - 1:
            # the last column is determined by the remaining row totals
            yield acc + sum(lf[int(v)] for v in remaining)
            return
        yield from fill_cell(j, 0, remaining, int(cols[j]), acc, int(sum(remaining[1:])))

    def fill_cell(j, i, remaining, left, acc, cap_after):
        if i == r - 1:
            if left <= remaining[i]:
                new = remaining.copy()
                new[i] -= left
                yield from fill_column(j + 1, new, acc + lf[left])
            return
        lo = max(0, left - cap_after)
        hi = min(left, remaining[i])
        for v in range(lo, hi + 1):
            new = remaining.copy()
            new[i] -= v
            yield from fill_cell(j, i + 1, new, left - v, acc + lf[v], cap_after - remaining[i + 1])

    yield from fill_column(0, [int(v) for v in rows], 0.0)


def _first_row_states(c: list[int], r1: int, lf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every first row over the columns ``c`` with a total of at most ``r1``: (total, sum_j [log a_j! +
    log (c_j - a_j)!])."""
    sums = np.zeros(1, dtype=np.int64)
    acc = np.zeros(1)
    for cj in c:
        v = np.arange(cj + 1)
        s = (sums[:, None] + v[None, :]).ravel()
        a = (acc[:, None] + (lf[v] + lf[cj - v])[None, :]).ravel()
        keep = s <= r1
        sums, acc = s[keep], a[keep]
    return sums, acc


def _fisher_two_rows(rows: np.ndarray, cols: np.ndarray, const: float, thresh: float, max_tables: int) -> float:
    """The Freeman-Halton sum for a 2 x c table by meeting in the middle.

    A table is its first row (a_1..a_c) with 0 <= a_j <= c_j and sum a_j = r_1; its log probability is
    const - sum_j [log a_j! + log (c_j - a_j)!]. The columns are split in two halves; each half's partial rows are
    enumerated with arrays, and for every left part the right parts that complete it (total r_1 - s) with a
    probability at most the threshold are a suffix of that total's right parts sorted by their log term, so one
    binary search and a suffix sum give their share. The work grows with the square root of the number of tables."""
    r1 = int(rows[0])
    c = sorted((int(v) for v in cols), reverse=True)
    lf = np.array([lgamma(i + 1) for i in range(max(c) + 1)])
    sizes = np.cumprod([v + 1 for v in c], dtype=float)
    k = int(np.searchsorted(sizes, np.sqrt(sizes[-1]))) + 1
    k = min(max(k, 1), len(c) - 1)
    ls, la = _first_row_states(c[:k], r1, lf)
    rs, ra = _first_row_states(c[k:], r1, lf)
    if ls.size + ra.size > max_tables:
        raise ValueError(f"table: more than {max_tables} partial tables share these margins; exact test too large")
    need = const - thresh  # a table counts when acc_left + acc_right >= need
    order = np.lexsort((ra, rs))
    rs, ra = rs[order], ra[order]
    starts = np.searchsorted(rs, np.arange(r1 + 2))
    total = 0.0
    for s_left in np.unique(ls):
        g = r1 - int(s_left)
        lo, hi = starts[g], starts[g + 1]
        if lo == hi:
            continue
        acc_r = ra[lo:hi]  # ascending
        m = acc_r[0]
        suffix = np.concatenate([np.cumsum(np.exp(m - acc_r)[::-1])[::-1], [0.0]])
        acc_l = la[ls == s_left]
        idx = np.searchsorted(acc_r, need - acc_l, side="left")
        total += float(np.sum(np.exp(const - acc_l - m) * suffix[idx]))
    return float(min(1.0, total))


def fisher_exact(table, *, max_tables: int = 20_000_000) -> TestResult:
    """Fisher's exact test for 2x2 and r x c tables (Freeman-Halton), by complete enumeration (R ``fisher.test``).

    The two-sided p-value sums the probabilities of all tables with the observed margins whose probability is at
    most the observed one times (1 + 1e-7), R's relative tolerance. All-zero rows and columns are dropped first.
    """
    tab = _as_table(table)
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        return TestResult("fisher_exact", float("nan"), float("nan"), 1.0)
    tab = tab.astype(np.int64)
    if tab.shape[0] > tab.shape[1]:
        tab = tab.T  # fewer rows -> shallower recursion
    rows, cols = tab.sum(axis=1), tab.sum(axis=0)
    const = _log_table_prob_const(rows, cols)
    if tab.shape == (2, 2):
        # hypergeometric distribution of the top-left cell
        a_lo = max(0, int(cols[0] - rows[1]))
        a_hi = min(int(rows[0]), int(cols[0]))
        total, r0, c0 = int(rows.sum()), int(rows[0]), int(cols[0])
        if total <= _FISHER_EXACT_INTEGERS:
            # exact: weights C(r0, a) C(total - r0, c0 - a) as integers, "as extreme" decided in integers
            # (w <= w_obs (1 + 1e-7)), one correctly rounded division by C(total, c0)
            weights = [math.comb(r0, a) * math.comb(total - r0, c0 - a) for a in range(a_lo, a_hi + 1)]
            w_obs = weights[int(tab[0, 0]) - a_lo]
            num = sum(w for w in weights if w * 10**7 <= w_obs * (10**7 + 1))
            return TestResult("fisher_exact", float("nan"), float("nan"), min(1.0, num / math.comb(total, c0)))
        pmf = hypergeom_pmf(np.arange(a_lo, a_hi + 1), total, r0, c0)
        p_obs = pmf[int(tab[0, 0]) - a_lo]
        p = float(pmf[pmf <= p_obs * _FISHER_REL_ERR].sum())
        return TestResult("fisher_exact", float("nan"), float("nan"), min(1.0, p))
    log_obs = const - sum(lgamma(v + 1) for v in tab.ravel())
    thresh = log_obs + np.log(_FISHER_REL_ERR)
    if tab.shape[0] == 2:
        return TestResult("fisher_exact", float("nan"), float("nan"),
                          _fisher_two_rows(rows, cols, const, thresh, max_tables))
    total = 0.0
    count = 0
    for s in _enumerate_columns(rows, cols):
        count += 1
        if count > max_tables:
            raise ValueError(f"table: more than {max_tables} tables share these margins; exact test too large")
        lp = const - s
        if lp <= thresh:
            total += np.exp(lp)
    return TestResult("fisher_exact", float("nan"), float("nan"), float(min(1.0, total)))


def compare_categorical(table, *, min_expected: float = 5.0) -> TestResult:
    """Chi-squared without correction, or Fisher's exact test when the smallest expected count is below
    ``min_expected`` (5 as gtsummary; the paper preset uses 3). The result names the test chosen."""
    tab = _as_table(table)
    if tab.shape[0] < 2 or tab.shape[1] < 2:
        return TestResult("chi_square", float("nan"), 0, float("nan"))
    exp = _expected(tab)
    if exp.min() < min_expected:
        r = fisher_exact(tab)
        return TestResult(r.test, r.statistic, r.df, r.p_value, float(exp.min()))
    return chi_square(tab, correct=False)


def crosstab(values, group) -> np.ndarray:
    """Contingency table (levels of ``values`` x levels of ``group``, both sorted) from two label vectors."""
    v = np.asarray(values)
    g = np.asarray(group)
    if v.shape[0] != g.shape[0]:
        raise ValueError(f"group: length {g.shape[0]} does not match values length {v.shape[0]}")
    lv, iv = np.unique(v, return_inverse=True)
    lg, ig = np.unique(g, return_inverse=True)
    tab = np.zeros((lv.size, lg.size), dtype=np.int64)
    np.add.at(tab, (iv, ig), 1)
    return tab


TESTS = {
    "kruskal_wallis": kruskal_wallis,
    "wilcoxon_rank_sum": wilcoxon_rank_sum,
    "chi_square": lambda table: chi_square(table, correct=False),
    "chi_square_yates": lambda table: chi_square(table, correct=True),
    "fisher_exact": fisher_exact,
}

__all__ = [
    "TestResult", "TEST_LABELS", "TESTS", "kruskal_wallis", "wilcoxon_rank_sum", "chi_square", "fisher_exact",
    "compare_categorical", "expected_counts", "crosstab",
]
