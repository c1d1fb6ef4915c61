"""The twin search (``mabseq.studies.twin_search``, issue 15): its fast kernels against :mod:`mabseq.stats` (whose
own oracle is R, tests/golden), and the twin check, which is the paper preset run on the design.

The search itself (``--search``, several minutes on 2 cores) was rerun when it moved here from tools/twin_check.py
and rebuilt ``twin_design.csv`` byte for byte; it is not rerun in CI.
"""
from __future__ import annotations

import numpy as np
import pytest

from mabseq.stats import kaplan_meier, kruskal_wallis, logrank_test, quantile
from mabseq.studies.twin_search import kernels
from mabseq.studies.twin_search.check import fidelity_of_design
from mabseq.studies.twin_search.roster import base_roster, load_design
from mabseq.studies.twin_search.validate import validate_design

SEEDS = range(40)


def _data(seed, n=None):
    # the search's sizes (25-29 patients), integer days with ties, about 60% events, two groups
    rng = np.random.default_rng(seed)
    n = n or int(rng.integers(8, 30))
    t = rng.integers(1, 400, n).astype(float)
    e = (rng.random(n) < 0.6).astype(int)
    g = rng.random(n) < 0.5
    g[0], g[1] = True, False
    return t, e, g


@pytest.mark.parametrize("seed", SEEDS)
def test_km_at_and_median_equal_mabseq_stats(seed):
    t, e, _ = _data(seed)
    fit = kaplan_meier(t, e)  # log interval, 95%, as the search
    row = fit.at([365.0]).iloc[0]
    s, lo, hi = kernels.km_at(t, e, 365.0)
    if not np.isnan(row["surv"]) and row["surv"] > 0:
        np.testing.assert_allclose([s, lo, hi], [row["surv"], row["lower"], row["upper"]], rtol=1e-10)
    med = fit.median
    np.testing.assert_allclose(kernels.km_median(t, e), [med.estimate, med.lower, med.upper], rtol=1e-12)


@pytest.mark.parametrize("seed", SEEDS)
def test_lr2_equals_logrank_test(seed):
    t, e, g = _data(seed)
    if e.sum() == 0:
        e[0] = 1
    ref = logrank_test(t, e, g.astype(int)).p_value
    assert kernels.lr2(t, e, g) == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize("seed", SEEDS)
def test_kw2_equals_kruskal_wallis(seed):
    rng = np.random.default_rng(1000 + seed)
    x = rng.integers(0, 12, 25).astype(float)  # heavy ties, as prior lines and cycles
    g = rng.random(25) < 0.5
    g[0], g[1] = True, False
    ref = kruskal_wallis(x, g.astype(int)).p_value
    assert kernels.kw2(x, g) == pytest.approx(ref, rel=1e-10)


@pytest.mark.parametrize("p", [0.25, 0.5, 0.75, 0.1, 0.9])
def test_q_equals_type_7_quantile(p):
    rng = np.random.default_rng(5)
    for n in (1, 2, 7, 25, 29):
        x = rng.integers(0, 100, n).astype(float)
        assert kernels.q(x, p) == pytest.approx(float(quantile(x, [p], type=7)[0]), rel=1e-12)


def test_hu_rounds_half_up_by_hand():
    # 2.5 -> 3 and 0.045 at 2 decimals -> 0.05 (half up, the paper's rounding, SD 1.6); 0.044 -> 0.04
    assert kernels.hu(2.5) == 3 and kernels.hu(0.045, 2) == 0.05 and kernels.hu(0.044, 2) == 0.04


def test_the_roster_is_the_design():
    # the hand-written roster holds the design's categorical columns: the search only fills in numbers
    ros, des = base_roster(), load_design()
    assert list(ros["pid"]) == list(des["pid"])
    for col in ("seq", "sex", "cyto_risk", "resp_mab1", "resp_mab2", "cd19_event1", "death_cause", "status_last"):
        assert list(ros[col].fillna("")) == list(des[col].fillna("").astype(str)), col


def test_the_design_is_consistent():
    assert validate_design(load_design()) == []


def test_the_twin_check_is_the_preset_on_the_design():
    # the paper preset run on the records built from the design: the counts docs/TWIN.md states (631 match, 35
    # excluded, 2 warnings of I24, 3 not computed), and nothing differs
    fid = fidelity_of_design()
    counts = fid["status"].value_counts().to_dict()
    assert counts == {"match": 631, "excluded": 35, "differs (warning only)": 2, "not computed": 3}
