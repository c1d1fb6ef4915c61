"""stats/distributions.py and the rank tests built on it (they left scipy.stats for its import cost, issue 16).

Oracles: cases worked by hand in the comments, and scipy.stats (a separate implementation; imported here only).
The R goldens (test_group_tests_golden.py) check the same tests against R itself.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from scipy import stats

from mabseq.stats import fisher_exact, kruskal_wallis, wilcoxon_rank_sum
from mabseq.stats import distributions as d


def test_wilcoxon_exact_cdf_by_hand():
    # m = n = 2: the C(4, 2) = 6 orderings of xxyy give W = 0, 1, 2, 2, 3, 4 -> P(W <= w) = 1, 2, 4, 5, 6 over 6
    assert d.wilcoxon_exact_cdf(2, 2).tolist() == [1 / 6, 2 / 6, 4 / 6, 5 / 6, 1.0]
    # m = 1, n = 3: W uniform on 0..3
    assert d.wilcoxon_exact_cdf(1, 3).tolist() == [0.25, 0.5, 0.75, 1.0]


def test_fisher_2x2_exact_by_hand():
    # Fisher's tea tasting, [[3, 1], [1, 3]]: P(a) = C(4,a) C(4,4-a) / C(8,4) = 1, 16, 36, 16, 1 over 70;
    # as or less likely than P(3) = 16/70: a = 0, 1, 3, 4 -> 34/70 = 17/35
    assert fisher_exact([[3, 1], [1, 3]]).p_value == float(Fraction(17, 35))
    # every table as likely or less: p is exactly 1
    assert fisher_exact([[2, 2], [2, 2]]).p_value == 1.0


@pytest.mark.parametrize("seed", range(40))
def test_rank_tests_equal_scipy(seed):
    rng = np.random.default_rng(seed)
    m, n = rng.integers(1, 40, 2)
    tied = seed % 2 == 0
    x = rng.integers(0, 30, m).astype(float) if tied else rng.normal(size=m)
    y = rng.integers(0, 30, n).astype(float) if tied else rng.normal(size=n)
    has_ties = np.unique(np.r_[x, y]).size < m + n
    got = wilcoxon_rank_sum(x, y)
    ref = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic" if has_ties else "exact")
    assert got.statistic == ref.statistic
    if not np.isnan(got.p_value):
        assert got.p_value == pytest.approx(ref.pvalue, rel=1e-10)
    values, group = np.r_[x, y], rng.integers(0, 3, m + n)
    if np.unique(group).size > 1 and np.unique(values).size > 1:
        kw = kruskal_wallis(values, group)
        ref_kw = stats.kruskal(*[values[group == g] for g in np.unique(group)])
        assert kw.statistic == pytest.approx(ref_kw.statistic, rel=1e-12)
        assert kw.p_value == pytest.approx(ref_kw.pvalue, rel=1e-10)


def test_distribution_functions_equal_scipy():
    x = np.linspace(0.0, 60.0, 241)
    for df in (1, 2, 7):
        assert np.allclose(d.chi2_sf(x, df), stats.chi2.sf(x, df), rtol=1e-13, atol=0)
    z = np.linspace(-9, 9, 181)
    assert np.allclose(d.norm_sf(z), stats.norm.sf(z), rtol=1e-13, atol=0)
    q = np.array([1e-6, 0.025, 0.5, 0.975])
    assert np.allclose(d.norm_ppf(q), stats.norm.ppf(q), rtol=1e-13)
    for a, b in ((1, 28), (12, 18), (300, 2)):
        assert np.allclose(d.beta_ppf(q, a, b), stats.beta.ppf(q, a, b), rtol=1e-12)
    k = np.arange(0, 40)
    assert np.allclose(d.hypergeom_pmf(k, 1000, 300, 40), stats.hypergeom.pmf(k, 1000, 300, 40), rtol=1e-10)
    # above the exact-integer limit the 2x2 Fisher test sums the log-gamma pmf
    big = [[400, 1100], [700, 800]]
    assert fisher_exact(big).p_value == pytest.approx(stats.fisher_exact(big).pvalue, rel=1e-8)


def test_the_kernels_do_not_import_scipy_stats():
    import subprocess
    import sys
    code = ("import sys, mabseq.stats, mabseq.studies.paper; "
            "print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"
