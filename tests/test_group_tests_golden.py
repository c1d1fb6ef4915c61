"""Table 1 comparisons, quantiles and Clopper-Pearson intervals against R (stats package)."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_matches, data

from mabseq.stats import (
    chi_square,
    clopper_pearson,
    compare_categorical,
    fisher_exact,
    kruskal_wallis,
    quantile,
    wilcoxon_rank_sum,
)

TABLES = data("tables")


def table(name):
    t = TABLES[TABLES.case == name]
    m = np.zeros((t.row.max() + 1, t.col.max() + 1))
    m[t.row, t.col] = t["count"]
    return m


@pytest.mark.parametrize("name", list(dict.fromkeys(TABLES.case)))
def test_fisher_and_chisq(goldens, name):
    m = table(name)
    assert_matches(fisher_exact(m).p_value, goldens[f"fisher_{name}", "p_value"], f"fisher {name}")
    # the test is symmetric in rows and columns
    assert_matches(fisher_exact(m.T).p_value, goldens[f"fisher_{name}", "p_value"], f"fisher {name} transposed")
    for corr, suffix in [(False, ""), (True, "_yates")]:
        r = chi_square(m, correct=corr)
        case = f"chisq_{name}{suffix}"
        assert_matches(r.statistic, goldens[case, "statistic"], case)
        assert_matches(r.df, goldens[case, "df"], case)
        assert_matches(r.p_value, goldens[case, "p_value"], case)


def test_automatic_choice_names_the_test():
    m = table("t2x2_paper_ph")  # smallest expected 0.55 -> Fisher under either threshold
    assert compare_categorical(m, min_expected=3).test == "fisher_exact"
    big = table("t2x2_a")
    assert compare_categorical(big, min_expected=5).test == "chi_square"
    # between the thresholds: the paper preset (3) keeps chi-square where gtsummary's 5 switches to Fisher (I22)
    m = np.array([[10, 6], [4, 5]])  # smallest expected count 9 * 11 / 25 = 3.96
    r3, r5 = compare_categorical(m, min_expected=3), compare_categorical(m, min_expected=5)
    assert (r3.test, r5.test) == ("chi_square", "fisher_exact")
    assert r3.min_expected == pytest.approx(3.96)
    assert r3.p_value == chi_square(m).p_value and r5.p_value == fisher_exact(m).p_value


def test_kruskal(goldens):
    lung, vet, aml = data("lung"), data("veteran"), data("aml")
    for case, x, g in [("kw_lung_age_ecog", lung.age, lung.ph_ecog), ("kw_lung_age_sex", lung.age, lung.sex),
                       ("kw_veteran_karno_celltype", vet.karno, vet.celltype), ("kw_aml_time_x", aml.time, aml.x)]:
        r = kruskal_wallis(x, g)
        assert_matches(r.statistic, goldens[case, "statistic"], case)
        assert_matches(r.df, goldens[case, "df"], case)
        assert_matches(r.p_value, goldens[case, "p_value"], case)


def test_wilcoxon(goldens):
    aml, lung, big = data("aml"), data("lung"), data("wilcoxon_large")
    cases = [
        ("wx_exact_small", [1.1, 2.3, 3.7, 8.2, 9.9], [4.4, 5.1, 6.6, 7.0, 10.5, 11.2]),
        ("wx_ties_small", [1, 2, 2, 3, 5], [2, 4, 4, 6, 7, 7]),
        ("wx_aml_time", aml.time[aml.x == "Maintained"], aml.time[aml.x == "Nonmaintained"]),
        ("wx_lung_age_sex", lung.age[lung.sex == 1], lung.age[lung.sex == 2]),
        ("wx_large_no_ties", big.x, big.y),
    ]
    for case, x, y in cases:
        r = wilcoxon_rank_sum(x, y)
        assert_matches(r.statistic, goldens[case, "statistic"], case)
        assert_matches(r.p_value, goldens[case, "p_value"], case)


def test_quantiles(goldens):
    q = data("quantile_inputs")
    probs = goldens["quantile_probs", "probs"]
    for name in dict.fromkeys(q.case):
        x = q.value[q.case == name].to_numpy(dtype=float)
        for ty in (2, 7):
            assert_matches(quantile(x, probs, type=ty), goldens[f"{name}_type{ty}", "quantile"], f"{name} type {ty}")


def test_paper_if_group_quantiles_print_as_published():
    # study-definition §1.2: the IF group's days mAb1->mAb2 print 116 (55-221) only with type 7
    q1, med, q3 = quantile([17, 67, 165, 387], [0.25, 0.5, 0.75], type=7)
    assert (q1, med, q3) == (54.5, 116.0, 220.5)


@pytest.mark.parametrize("x,n", [(0, 10), (1, 10), (10, 25), (13, 25), (25, 25), (3, 4), (17, 29)])
def test_clopper_pearson(goldens, x, n):
    r = clopper_pearson(x, n)
    assert_matches([r.lower, r.upper], goldens[f"binom_{x}_{n}", "conf_int"], f"binom {x}/{n}")
    r90 = clopper_pearson(x, n, conf_level=0.9)
    assert_matches([r90.lower, r90.upper], goldens[f"binom90_{x}_{n}", "conf_int"], f"binom90 {x}/{n}")


def test_fisher_two_rows_equals_full_enumeration():
    """The meet-in-the-middle sum for 2 x c tables equals the complete enumeration of every table (the r x c
    path), on random tables with ties in probability; and a 2 x 6 table with 227 patients is exact and quick."""
    rng = np.random.default_rng(7)
    for _ in range(40):
        c = int(rng.integers(2, 6))
        tab = rng.integers(0, 6, size=(2, c))
        tab[:, tab.sum(axis=0) == 0] = 1
        tab[tab.sum(axis=1) == 0, :] = 1
        assert fisher_exact(tab).p_value == pytest.approx(_enumerate_fisher(tab), rel=1e-10)
        assert fisher_exact(tab.T).p_value == pytest.approx(_enumerate_fisher(tab), rel=1e-10)
    big = np.array([[4, 11, 20, 40, 45, 17], [2, 8, 12, 27, 29, 12]])
    assert fisher_exact(big).p_value == pytest.approx(0.99879744812594273, rel=1e-9)  # R fisher.test


def _enumerate_fisher(tab):
    import itertools
    from math import lgamma

    import numpy as np
    rows, cols = tab.sum(axis=1), tab.sum(axis=0)
    const = sum(lgamma(v + 1) for v in rows) + sum(lgamma(v + 1) for v in cols) - lgamma(rows.sum() + 1)
    lp = lambda t: const - sum(lgamma(v + 1) for v in t)  # noqa: E731
    obs = lp(tab.ravel())
    total = 0.0
    for first in itertools.product(*(range(c + 1) for c in cols)):
        if sum(first) != rows[0]:
            continue
        t = list(first) + [c - a for c, a in zip(cols, first)]
        v = lp(t)
        if v <= obs + np.log(1 + 1e-7):
            total += np.exp(v)
    return min(1.0, total)
