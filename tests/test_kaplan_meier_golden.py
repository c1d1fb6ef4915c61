"""Kaplan-Meier, quantiles, summary(times=) and reverse-KM follow-up against R survival 3.x goldens."""
from __future__ import annotations

import numpy as np
import pytest
from conftest import assert_matches, data

from mabseq.stats import kaplan_meier, median_followup

CONF = ["log", "log-log", "plain"]


def check_km(goldens, case, fit):
    tab = fit.table
    assert_matches(tab["time"], goldens[case, "time"], f"{case} time")
    assert_matches(tab["n_risk"], goldens[case, "n_risk"], f"{case} n_risk")
    assert_matches(tab["n_event"], goldens[case, "n_event"], f"{case} n_event")
    assert_matches(tab["n_censor"], goldens[case, "n_censor"], f"{case} n_censor")
    assert_matches(tab["surv"], goldens[case, "surv"], f"{case} surv")
    assert_matches(fit.std_err_log, goldens[case, "std_err_log"], f"{case} std.err")
    assert_matches(tab["lower"], goldens[case, "lower"], f"{case} lower")
    assert_matches(tab["upper"], goldens[case, "upper"], f"{case} upper")
    assert_matches(list(fit.median), goldens[case, "median_table"], f"{case} median table")
    probs = goldens[case, "quantile_probs"]
    qs = [fit.quantile(p) for p in probs]
    assert_matches([q.estimate for q in qs], goldens[case, "quantile_est"], f"{case} quantile")
    assert_matches([q.lower for q in qs], goldens[case, "quantile_lower"], f"{case} quantile lower")
    assert_matches([q.upper for q in qs], goldens[case, "quantile_upper"], f"{case} quantile upper")
    if goldens.has(case, "at_times"):
        r_times = goldens[case, "at_times"]
        at = fit.at(r_times)
        for col, qty in [("time", "at_times"), ("n_risk", "at_n_risk"), ("n_event", "at_n_event"),
                         ("n_censor", "at_n_censor"), ("surv", "at_surv"), ("std_err", "at_std_err"),
                         ("lower", "at_lower"), ("upper", "at_upper")]:
            assert_matches(at[col], goldens[case, qty], f"{case} summary(times=) {col}")


@pytest.mark.parametrize("conf_type", CONF)
def test_lung(goldens, conf_type):
    d = data("lung")
    check_km(goldens, f"km_lung_{conf_type}", kaplan_meier(d.time, d.status, conf_type=conf_type))


@pytest.mark.parametrize("conf_type", CONF)
def test_lung_delayed_entry(goldens, conf_type):
    d = data("lung")
    fit = kaplan_meier(d.time, d.status, entry=d.entry, conf_type=conf_type)
    check_km(goldens, f"km_lung_entry_{conf_type}", fit)


@pytest.mark.parametrize("conf_type", CONF)
def test_bmt(goldens, conf_type):
    d = data("bmt")
    check_km(goldens, f"km_bmt_{conf_type}", kaplan_meier(d.t2, d.d3, conf_type=conf_type))
    check_km(goldens, f"km_bmt_entry_{conf_type}", kaplan_meier(d.t2, d.d3, entry=d.entry, conf_type=conf_type))


def test_by_group(goldens):
    d = data("lung")
    for g in sorted(d.sex.unique()):
        s = d[d.sex == g]
        check_km(goldens, f"km_lung_sex{g}", kaplan_meier(s.time, s.status))
    a = data("aml")
    for g in sorted(a.x.unique()):
        s = a[a.x == g]
        check_km(goldens, f"km_aml_{g}", kaplan_meier(s.time, s.status))
    v = data("veteran")
    for g in sorted(v.celltype.unique()):
        s = v[v.celltype == g]
        check_km(goldens, f"km_veteran_{g}", kaplan_meier(s.time, s.status))
    b = data("bmt")
    for g in sorted(b.group.unique()):
        s = b[b.group == g]
        check_km(goldens, f"km_bmt_group{g}", kaplan_meier(s.t2, s.d3))


def test_median_followup(goldens):
    for name, t, e in [("lung", "time", "status"), ("bmt", "t2", "d3"), ("veteran", "time", "status")]:
        d = data(name)
        assert_matches(list(median_followup(d[t], d[e])), goldens[f"followup_{name}", "median_table"], name)


SMALL = data("small_cases")
SMALL_CASES = list(dict.fromkeys(SMALL.case))


@pytest.mark.parametrize("name", SMALL_CASES)
def test_small_and_edge_cases(goldens, name):
    s = SMALL[SMALL.case == name]
    for ct in CONF:
        check_km(goldens, f"small_{name}_{ct}", kaplan_meier(s.time.to_numpy(), s.status.to_numpy(), conf_type=ct))


def test_flat_half_documented_difference():
    # S = .75, .5, .5, .5: summary()$table gives 2, quantile.survfit gives 3 (the midpoint of the flat stretch)
    fit = kaplan_meier([1, 2, 3, 4], [1, 1, 0, 0])
    assert fit.median.estimate == 2.0
    assert fit.quantile(0.5).estimate == 3.0
