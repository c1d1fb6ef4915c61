"""Cox regression, Mantel-Byar and Simon-Makuch against R survival (coxph, survfit on counting-process data)."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_matches, data

from mabseq.stats import cox_ph, mantel_byar, simon_makuch

LUNG = data("lung")
VET = data("veteran")
HEART = data("heart")

CASES = [
    ("cox_lung_efron", LUNG, "time", "status", ["age", "sex"], {}),
    ("cox_lung_breslow", LUNG, "time", "status", ["age", "sex"], {"ties": "breslow"}),
    ("cox_lung_robust", LUNG, "time", "status", ["age", "sex"], {"robust": True}),
    ("cox_lung_entry_strata_efron", LUNG, "time", "status", ["age", "sex"], {"entry": "entry", "strata": "ph_ecog"}),
    ("cox_lung_entry_strata_breslow", LUNG, "time", "status", ["age", "sex"],
     {"entry": "entry", "strata": "ph_ecog", "ties": "breslow"}),
    ("cox_veteran", VET, "time", "status", ["trt", "karno", "age"], {}),
    ("cox_heart_td", HEART, "stop", "event", ["age", "year", "surgery", "transplant"], {"entry": "start"}),
    ("cox_heart_td_cluster", HEART, "stop", "event", ["age", "year", "surgery", "transplant"],
     {"entry": "start", "cluster": "id"}),
    ("cox_heart_td_cluster_breslow", HEART, "stop", "event", ["age", "surgery", "transplant"],
     {"entry": "start", "cluster": "id", "ties": "breslow"}),
]


@pytest.mark.parametrize("case,d,t,e,xs,opts", CASES, ids=[c[0] for c in CASES])
def test_coxph(goldens, case, d, t, e, xs, opts):
    kw = {k: (d[v] if k in ("entry", "strata", "cluster") else v) for k, v in opts.items()}
    r = cox_ph(d[t], d[e], d[xs], **kw)
    assert_matches(r.coef, goldens[case, "coef"], f"{case} coef")
    assert_matches(r.se, goldens[case, "se"], f"{case} se")
    assert_matches(np.sqrt(np.diag(r.naive_var)), goldens[case, "naive_se"], f"{case} naive se")
    assert_matches(list(r.loglik), goldens[case, "loglik"], f"{case} loglik")
    assert_matches(r.score, goldens[case, "score"], f"{case} score test")
    assert_matches(r.wald, goldens[case, "wald"], f"{case} wald test")
    s = r.summary
    assert list(s.term) == xs
    np.testing.assert_allclose(s.hazard_ratio, np.exp(r.coef))
    assert (s.hr_lower < s.hazard_ratio).all() and (s.hazard_ratio < s.hr_upper).all()


def test_mantel_byar(goldens):
    r = mantel_byar(HEART.start_u, HEART.stop_u, HEART.event, HEART.transplant)
    assert_matches(r.statistic, goldens["mantel_byar_heart", "statistic"], "Mantel-Byar")
    assert_matches(r.p_value, goldens["mantel_byar_heart", "p_value"], "Mantel-Byar p")


def test_simon_makuch(goldens):
    curves = simon_makuch(HEART.start, HEART.stop, HEART.event, HEART.transplant)
    for g, fit in curves.items():
        key = f"simon_makuch_heart_{int(g)}"
        assert_matches(fit.table.time, goldens[key, "time"], key)
        assert_matches(fit.table.surv, goldens[key, "surv"], key)
        assert_matches(fit.table.n_risk, goldens[key, "n_risk"], key)


def test_cox_invalid_input():
    with pytest.raises(ValueError, match=r"X: value at row 1, column 0 is not finite"):
        cox_ph([1, 2, 3], [1, 0, 1], [[1.0], [np.nan], [2.0]])
    with pytest.raises(ValueError, match=r"ties"):
        cox_ph([1, 2, 3], [1, 0, 1], [1.0, 2.0, 3.0], ties="exact")
    with pytest.raises(ValueError, match=r"X: 2 rows do not match time length 3"):
        cox_ph([1, 2, 3], [1, 0, 1], [1.0, 2.0])


def test_robust_changes_se_not_coef():
    # the sandwich variance changes the standard errors, never the point estimates
    r0 = cox_ph(LUNG.time, LUNG.status, LUNG[["age", "sex"]])
    r1 = cox_ph(LUNG.time, LUNG.status, LUNG[["age", "sex"]], robust=True)
    np.testing.assert_array_equal(r0.coef, r1.coef)
    assert not np.allclose(r0.se, r1.se)
