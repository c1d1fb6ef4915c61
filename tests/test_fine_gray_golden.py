"""Fine-Gray regression against R cmprsk::crr (coefficients and sandwich standard errors)."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import assert_matches, data

from mabseq.stats import fine_gray

BMT = data("bmt")
BMT_X = pd.DataFrame({"aml_low": (BMT.group == 2).astype(float), "aml_high": (BMT.group == 3).astype(float),
                      "z1": BMT.z1, "z2": BMT.z2})
PBC = data("pbc")
PBC_X = PBC[["trt", "age", "log_bili", "albumin", "edema"]]

PUBLIC = [
    ("fg_bmt_relapse", BMT.t2, BMT.cr_status, BMT_X, 2),
    ("fg_bmt_trm", BMT.t2, BMT.cr_status, BMT_X, 1),
    ("fg_bmt_relapse_1cov", BMT.t2, BMT.cr_status, BMT_X[["z1"]], 2),
    ("fg_pbc_transplant", PBC.time, PBC.status, PBC_X, 1),
    ("fg_pbc_death", PBC.time, PBC.status, PBC_X, 2),
]


def check(goldens, case, fit):
    assert_matches(fit.coef, goldens[case, "coef"], f"{case} coef")
    assert_matches(fit.se, goldens[case, "se"], f"{case} se")
    assert_matches(fit.loglik, goldens[case, "loglik"], f"{case} loglik")


@pytest.mark.parametrize("case,t,s,X,cause", PUBLIC, ids=[c[0] for c in PUBLIC])
def test_crr_public(goldens, case, t, s, X, cause):
    check(goldens, case, fine_gray(t, s, X, cause=cause))


RAND = data("fine_gray_cases")


@pytest.mark.parametrize("case", sorted(RAND["case"].unique()))
def test_crr_random(goldens, case):
    d = RAND[RAND.case == case]
    check(goldens, case, fine_gray(d.time, d.status, d[["x1", "x2", "x3"]], cause=int(d.failcode.iloc[0])))


def test_summary_is_tidy():
    fit = fine_gray(BMT.t2, BMT.cr_status, BMT_X, cause=2)
    s = fit.summary
    assert list(s.columns) == ["term", "coef", "hazard_ratio", "se", "z", "p_value", "lower", "upper"]
    assert list(s.term) == ["aml_low", "aml_high", "z1", "z2"]
    np.testing.assert_allclose(s.hazard_ratio, np.exp(fit.coef))
    assert ((s.lower < s.hazard_ratio) & (s.hazard_ratio < s.upper)).all()
    assert ((s.p_value > 0) & (s.p_value < 1)).all()
    stat, df, p = fit.lrt
    assert stat > 0 and df == 4 and 0 < p < 1


def test_invariant_to_order_and_shift():
    fit = fine_gray(BMT.t2, BMT.cr_status, BMT_X, cause=2)
    perm = np.random.default_rng(3).permutation(len(BMT))
    X2 = BMT_X.iloc[perm].reset_index(drop=True) + 100.0  # shifting a covariate changes nothing
    fit2 = fine_gray(BMT.t2.iloc[perm], BMT.cr_status.iloc[perm], X2, cause=2)
    np.testing.assert_allclose(fit2.coef, fit.coef, rtol=1e-9)
    np.testing.assert_allclose(fit2.se, fit.se, rtol=1e-9)


def test_without_competing_events_it_is_cox_breslow():
    from mabseq.stats import cox_ph
    d = data("lung")
    fg = fine_gray(d.time, d.status, d[["age", "sex"]])
    cx = cox_ph(d.time, d.status, d[["age", "sex"]], ties="breslow", robust=True)
    np.testing.assert_allclose(fg.coef, cx.coef, rtol=1e-9)


def test_errors():
    with pytest.raises(ValueError, match="no events of cause 3"):
        fine_gray(BMT.t2, BMT.cr_status, BMT_X, cause=3)
    with pytest.raises(ValueError, match="constant"):
        fine_gray(BMT.t2, BMT.cr_status, np.ones(len(BMT)), cause=2)
    with pytest.raises(ValueError, match="X: value at row 2"):
        x = BMT.z1.to_numpy(dtype=float).copy()
        x[2] = np.nan
        fine_gray(BMT.t2, BMT.cr_status, x, cause=2)
    with pytest.raises(ValueError, match="X: expected"):
        fine_gray(BMT.t2, BMT.cr_status, np.ones(3), cause=2)
    with pytest.raises(ValueError, match="converge"):
        # every cause-1 event has x = 1 and every other subject x = 0: monotone likelihood
        fine_gray([1, 2, 3, 4, 5, 6], [1, 1, 0, 2, 0, 2], [1, 1, 0, 0, 0, 0])


def test_cause_equal_to_censoring_code_is_an_error():
    with pytest.raises(ValueError, match="cause and cens_code"):
        fine_gray(BMT.t2, BMT.cr_status, BMT_X, cause=0, cens_code=0)
