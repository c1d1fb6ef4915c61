"""Tsai's quasi-independence test (stats/truncation.py), worked by hand (no R package for it is in Debian)."""
from __future__ import annotations

import math

import numpy as np
import pytest

from mabseq.stats import quasi_independence_test


def test_by_hand_four_patients():
    # (entry L, time X, event): A (0, 10, 1), B (2, 20, 1), C (5, 30, 0), D (1, 40, 1)
    # X=10 (A fails): R = {j: L_j < 10 <= X_j} = {A, B, C, D}; L = 0, 2, 5, 1
    #   S = sign(2-0) + sign(5-0) + sign(1-0) = 3
    #   s_i over R: A: +1+1+1 = 3; B: -1+1-1 = -1; C: -1-1-1 = -3; D: -1+1+1 = 1 -> Var = (9+1+9+1)/4 = 5
    #   (no ties: (r^2 - 1)/3 = 15/3 = 5)
    # X=20 (B fails): R = {B, C, D}; L = 2, 5, 1: S = sign(5-2) + sign(1-2) = 0; Var = (r^2-1)/3 = 8/3
    # X=40 (D fails): R = {D} alone: no information
    # K = 3, V = 5 + 8/3 = 23/3, Z = 3 / sqrt(23/3)
    r = quasi_independence_test([10, 20, 30, 40], [1, 1, 0, 1], [0, 2, 5, 1])
    assert r.statistic == 3 and r.variance == pytest.approx(23 / 3, rel=1e-14)
    assert r.z == pytest.approx(3 / math.sqrt(23 / 3), rel=1e-14)
    assert r.p_value == pytest.approx(math.erfc(abs(r.z) / math.sqrt(2)), rel=1e-12)
    assert r.n_events == 2


def test_ties_in_entry_by_hand():
    # A (0, 10, 1), B (0, 20, 1), C (3, 30, 1): at X=10, R = {A, B, C}, L = 0, 0, 3:
    #   S = sign(0-0) + sign(3-0) = 1; s: A 0+1 = 1, B 0+1 = 1, C -1-1 = -2 -> Var = (1+1+4)/3 = 2
    # at X=20, R = {B, C}: S = sign(3-0) = 1; s: B 1, C -1 -> Var = 1; at X=30, C alone
    r = quasi_independence_test([10, 20, 30], [1, 1, 1], [0, 0, 3])
    assert (r.statistic, r.variance) == (2, 3)


def test_tied_event_times_by_hand():
    # A (0, 10, 1), B (2, 10, 1), C (5, 30, 1): at X=10 both A and B fail, R = {A, B, C}, L = 0, 2, 5
    #   S_A = sign(2-0) + sign(5-0) = 2, S_B = sign(0-2) + sign(5-2) = 0 -> K = 2 (C alone at 30)
    #   s: A 2, B 0, C -2 -> sigma^2 = 8/3; two drawn of three without replacement: V = 2 * 8/3 * (3-2)/(3-1) = 8/3
    r = quasi_independence_test([10, 10, 30], [1, 1, 1], [0, 2, 5])
    assert r.statistic == 2 and r.variance == pytest.approx(8 / 3, rel=1e-14) and r.n_events == 2


def test_null_is_calibrated():
    # entry independent of survival (quasi-independence holds): about 5% of p-values below .05 (400 samples,
    # binomial 95% range 11-29)
    rng = np.random.default_rng(3)
    hits = 0
    for _ in range(400):
        L, X = rng.uniform(0, 50, 200), rng.exponential(60, 200)
        keep = L < X
        hits += quasi_independence_test(X[keep], np.ones(keep.sum(), int), L[keep]).p_value < 0.05
    assert 8 <= hits <= 32


def test_dependence_is_detected():
    # X = 150 - L + small exponential (observed where L < X): a late entry means an early failure (negative
    # association); at each failure the others at risk entered earlier than the one who fails: K < 0, p tiny
    rng = np.random.default_rng(4)
    L = rng.uniform(0, 100, 150)
    X = 150 - L + rng.exponential(5, 150)
    k = L < X
    r = quasi_independence_test(X[k], np.ones(k.sum(), int), L[k])
    assert r.statistic < 0 and r.p_value < 1e-6


def test_a_memoryless_residual_is_quasi_independent():
    # X = L + exponential: f(l, x) = g(l) e^{l} * e^{-x} factorises on l < x, so quasi-independence HOLDS (Tsai's
    # test must not reject although L and X are correlated); p well above .05
    rng = np.random.default_rng(4)
    L = rng.uniform(0, 100, 150)
    X = L + rng.exponential(5, 150)
    assert quasi_independence_test(X, np.ones(150, int), L).p_value > 0.2


def _by_definition(X, e, L):
    """K and V straight from the module's definitions, patient by patient (O(n^2) a time): the oracle of the
    sweep over entry-value counts."""
    K = V = 0.0
    used = 0
    for x in sorted(set(X[e == 1])):
        risk = [j for j in range(len(X)) if L[j] < x <= X[j]]
        fail = [k for k in range(len(X)) if X[k] == x and e[k] == 1]
        r, d = len(risk), len(fail)
        if r < 2:
            continue
        K += sum(np.sign(L[j] - L[k]) for k in fail for j in risk)
        s2 = [sum(np.sign(L[j] - L[i]) for j in risk) ** 2 for i in risk]
        V += sum(s2) / r * d * (r - d) / (r - 1)
        used += d
    return K, V, used


def test_the_sweep_equals_the_definition_with_ties_in_entry_and_time():
    rng = np.random.default_rng(16)
    for i in range(60):
        n = int(rng.integers(2, 40))
        L = rng.integers(0, 8, n).astype(float)  # whole days: many ties in entry and in time
        X = L + rng.integers(1, 15, n)
        if i % 4 == 0:  # continuous times: no ties
            L = L + rng.random(n)
            X = L + 0.5 + rng.random(n) * 20
        e = rng.integers(0, 2, n)
        r = quasi_independence_test(X, e, L)
        K, V, used = _by_definition(X, e, L)
        assert r.statistic == K and r.n_events == used
        assert r.variance == pytest.approx(V, rel=1e-12, abs=1e-12)
