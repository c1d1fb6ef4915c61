"""The R check of the data-completeness records and of the ages adsl.csv releases in completed years.

Oracles: R (check_in_R.R recomputes the missing values from adsl.csv and the unknown values from unknowns.csv), and
for the bounds kinds the exact ages themselves: on a small hand-made folder whose exact ages are known here, the
statistic of the exact ages (numpy, scipy) must lie within the bounds R computes from the completed years, and a
value outside them must fail.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from mabseq.results.completeness import UNKNOWN_LABELS, VARIABLES
from mabseq.results.release import completed_years, release_unknowns
from mabseq.results.rscript import COLUMNS, R_SCRIPT
from mabseq.studies.twin import twin_folder

HAVE_R = shutil.which("Rscript") is not None and subprocess.run(
    ["Rscript", "-e", "library(survival); library(cmprsk)"], capture_output=True).returncode == 0
needs_twin = pytest.mark.skipif(not (twin_folder() / "patients.csv").exists(), reason="the bundled twin is not built")
needs_r = pytest.mark.skipif(not HAVE_R, reason="Rscript with survival and cmprsk not installed")

_ROW = re.compile(r"^\s*(\S+)\s+(\S+)\s+(\S+)\s+(\S+)\s+(TRUE|FALSE)\b(.*)$")
_BOUNDS = re.compile(r"BOUNDS CHECK: (\S+) <= mabseq <= (\S+)")


def _values(stdout: str) -> dict[str, tuple[str, bool, str]]:
    """id -> (kind, ok, note) of each value R recomputed."""
    part = stdout.split("== values recomputed in R", 1)[1].split("\n== ", 1)[0]
    out = {}
    for ln in part.splitlines()[2:]:
        m = _ROW.match(ln)
        if m:
            out[m.group(1)] = (m.group(2), m.group(5) == "TRUE", m.group(6).strip())
    return out


def _listed(stdout: str) -> dict[str, str]:
    return dict(re.findall(r"^NOT RECOMPUTED  (\S+)  \[[^]]*\]  (.+)$", stdout, flags=re.M))


@pytest.fixture(scope="module")
def twin_r(twin_report, twin_rcheck):
    return twin_report, twin_rcheck


# ---- the twin report ----------------------------------------------------------------------------------------------
@needs_twin
@needs_r
def test_r_recomputes_every_completeness_record(twin_r):
    out, r = twin_r
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    res = pd.read_csv(out / "results.csv", dtype=str, keep_default_na=False)
    vals, listed = _values(r.stdout), _listed(r.stdout)
    dq = [i for i in res["id"] if i.startswith("dq_")]
    assert sum(i.startswith("dq_missing_") for i in dq) >= 20 and sum(i.startswith("dq_unknown_") for i in dq) >= 10
    for rid in dq:
        if rid == "dq_followup_completeness_pct":  # the potential person-time is not released
            assert listed[rid].startswith("uses each living patient's days from mAb2 to the data cut-off"), listed
            continue
        assert rid in vals, (rid, listed.get(rid))
        kind, ok, _ = vals[rid]
        want = ("missing" if rid.startswith("dq_missing_") else "unknown") + ("_pct" if rid.endswith("_pct") else "")
        assert (kind, ok) == (want, True), (rid, vals[rid])


@needs_twin
@needs_r
def test_the_ages_are_checked_within_bounds(twin_r):
    out, r = twin_r
    res = pd.read_csv(out / "results.csv", dtype=str, keep_default_na=False)
    vals, listed = _values(r.stdout), _listed(r.stdout)
    ages = [i for i in res["id"] if re.match(r"t[12]_age_(dx|gt45)_", i)]
    assert len(ages) == 26
    assert not set(ages) & set(listed), {k: listed[k] for k in set(ages) & set(listed)}
    for rid in ages:
        kind, ok, note = vals[rid]
        assert kind.endswith("_bounds") and ok, (rid, vals[rid])
        lo, hi = map(float, _BOUNDS.search(note).groups())
        v = float(res.loc[res["id"] == rid, "value"].iloc[0])
        slack = 0.05 if kind == "quantile_bounds" else 1e-9
        assert lo - slack <= v <= hi + slack
        if kind == "quantile_bounds":  # one year wide at most (the completed years and + 1)
            assert hi - lo <= 1 + 1e-5
    assert "values are bounds checks" in r.stdout and "weaker than a recomputation" in r.stdout
    kinds = dict(re.findall(r"(\w+) (\d+)", next(ln for ln in r.stdout.splitlines()
                                                 if ln.startswith("== recomputed by kind:")).split(":", 1)[1]))
    assert int(kinds["quantile_bounds"]) >= 18 and int(kinds["count_bounds"]) >= 3 and int(kinds["pct_bounds"]) >= 3


@needs_twin
@needs_r
@pytest.mark.parametrize("rid,where", [("t1_age_dx_median_all", "above"), ("t1_age_dx_median_all", "below"),
                                       ("t2_age_gt45_n_all", "above"), ("t2_age_gt45_pct_interim", "below")])
def test_a_value_outside_the_bounds_fails(twin_r, tmp_path, rid, where):
    src, r = twin_r
    lo, hi = map(float, _BOUNDS.search(_values(r.stdout)[rid][2]).groups())
    out = tmp_path / "copy"
    shutil.copytree(src, out)
    res = pd.read_csv(out / "results.csv", dtype=str, keep_default_na=False)
    step = 0.2 if rid.startswith("t1") else 1  # beyond the half decimal a rounded quantile may carry
    res.loc[res["id"] == rid, "value"] = repr(hi + step if where == "above" else lo - step)
    res.to_csv(out / "results.csv", index=False)
    r2 = subprocess.run(["Rscript", "check_in_R.R"], cwd=out, capture_output=True, text=True)
    assert r2.returncode == 1
    assert " 1 differ" in r2.stdout and rid in r2.stdout.split("== DISAGREEMENTS", 1)[1]


# ---- unknowns.csv -------------------------------------------------------------------------------------------------
@needs_twin
def test_unknowns_csv_holds_only_study_ids_and_names(twin_report):
    u = pd.read_csv(twin_report / "unknowns.csv", dtype=str, keep_default_na=False)
    assert list(u.columns) == ["patient_id", "variable", "input"] and len(u)
    adsl = pd.read_csv(twin_report / "adsl.csv", dtype=str, keep_default_na=False)
    assert set(u["patient_id"]) <= set(adsl["patient_id"])  # included patients, by their study id
    known = set(UNKNOWN_LABELS) | {v for v, _ in VARIABLES} | set(adsl.columns)
    assert set(u["variable"]) <= known
    res = pd.read_csv(twin_report / "results.csv", dtype=str, keep_default_na=False)
    for var, inp in set(zip(u["variable"], u["input"])):  # each pair is a data-completeness record's name
        assert re.fullmatch(r"[a-z][a-z0-9_]*", inp), inp
        assert (res["id"] == f"dq_unknown_{var}__{inp}").any(), (var, inp)
    assert not u.duplicated().any()
    # the output folder lists it among mabseq's own files
    marker = json.loads((twin_report / ".mabseq-output.json").read_text())
    assert "unknowns.csv" in json.dumps(marker)


def test_release_unknowns_keeps_names_only():
    u = pd.DataFrame([
        {"patient_id": "P1", "variable": "resp_mab1", "rule": "best response (2.3)", "input": "pb_blasts"},
        {"patient_id": "P1", "variable": "resp_mab1", "rule": "best response (2.3) again", "input": "pb_blasts"},
        {"patient_id": "P2", "variable": "cd19_event1", "rule": "x", "input": "Dr. Smith 2021-03-04"},
        {"patient_id": "P3", "variable": "salvage_cr", "rule": "x", "input": "(unspecified)"},
        {"patient_id": "EXCLUDED", "variable": "resp_mab1", "rule": "x", "input": "pb_blasts"},
    ])
    out = release_unknowns(u, ["P1", "P2", "P3"])
    assert list(out.columns) == ["patient_id", "variable", "input"]
    assert out.values.tolist() == [["P1", "resp_mab1", "pb_blasts"], ["P2", "cd19_event1", "other"],
                                   ["P3", "salvage_cr", "(unspecified)"]]
    assert list(release_unknowns(None, []).columns) == ["patient_id", "variable", "input"]


# ---- the bounds against the exact ages ----------------------------------------------------------------------------
def _folder(tmp_path, exact, groups, checks, values):
    """A minimal output folder: adsl.csv with the ages in completed years (as results/release.py writes them)."""
    ids = [f"P{i:02d}" for i in range(len(exact))]
    adsl = pd.DataFrame({"patient_id": ids, "age_dx": [completed_years(a) for a in exact], "grp": groups})
    adsl["age_dx"] = adsl["age_dx"].astype("Int64")
    adsl.to_csv(tmp_path / "adsl.csv", index=False)
    pd.DataFrame(columns=["patient_id", "endpoint", "origin", "time", "status", "entry"]).to_csv(
        tmp_path / "adtte.csv", index=False)
    pd.DataFrame([{"id": k, "statistic": "x", "value": repr(float(v)), "decimals": d, "suppressed": ""}
                  for k, (v, d) in values.items()]).to_csv(tmp_path / "results.csv", index=False)
    pd.DataFrame(checks, columns=COLUMNS).to_csv(tmp_path / "r_checks.csv", index=False)
    (tmp_path / "check_in_R.R").write_text(R_SCRIPT)
    return subprocess.run(["Rscript", "check_in_R.R"], cwd=tmp_path, capture_output=True, text=True)


def _chk(rid, kind, groups, var, **kw):
    return [{"id": rid, "kind": kind, "group": g, "expr": e, "var": var, "entry": False, "scale": 1, **kw}
            for g, e in groups.items()]


@needs_r
@pytest.mark.parametrize("seed", [1, 2, 3])
def test_bounds_hold_the_statistic_of_the_exact_ages(tmp_path, seed):
    """Exact ages (some exactly 45 on the day, some a hair below a birthday): R's bounds from the completed years
    hold the exact statistic (numpy's type 7 quantile, the count > 45, the chi-square/Fisher p of > 45 by group)."""
    rng = np.random.default_rng(seed)
    exact = list(rng.uniform(30, 60, 36).round(4)) + [45.0, 45.0, 46.0, 44.999999999, 45.0000001, np.nan,
                                                       52.25, 52.25, 52.75]  # ties within a year too
    grp = ["a" if i % 2 else "b" for i in range(len(exact))]
    x = np.array(exact, dtype=float)
    ok = ~np.isnan(x)
    a, b = np.array(grp) == "a", np.array(grp) == "b"
    gt = np.where(ok, x, -np.inf) > 45
    tab = np.array([[(gt & a).sum(), (gt & b).sum()], [(~gt & a).sum(), (~gt & b).sum()]])
    exp_ = tab.sum(1, keepdims=True) * tab.sum(0, keepdims=True) / tab.sum()
    p = (stats.chi2_contingency(tab, correction=False)[1] if exp_.min() >= 5 else stats.fisher_exact(tab)[1])
    q = {pp: float(np.quantile(x[ok], pp)) for pp in (0.25, 0.5, 0.75)}
    p_kw = stats.kruskal(x[ok & a], x[ok & b]).pvalue  # tie-corrected, as kruskal.test
    cmp = '.cmp(`age_dx`, 45, ">")'
    everyone = {"ALL": "TRUE"}
    checks = (_chk("q1", "quantile_bounds", everyone, "`age_dx`", p=0.25, qtype=7)
              + _chk("med", "quantile_bounds", everyone, "`age_dx`", p=0.5, qtype=7)
              + _chk("q3", "quantile_bounds", everyone, "`age_dx`", p=0.75, qtype=7)
              + _chk("n_gt45", "count_bounds", everyone, cmp)
              + _chk("pct_gt45", "pct_bounds", {"A": '.eq(`grp`, "a")'}, cmp, den='.eq(`grp`, "a")')
              + _chk("p_gt45", "categorical_bounds", {"A": '.eq(`grp`, "a")', "B": '.eq(`grp`, "b")'},
                     f'ifelse({cmp}, "yes", "no")', min_expected=5)
              + _chk("p_kw", "kruskal_bounds", {"A": '.eq(`grp`, "a")', "B": '.eq(`grp`, "b")'}, "`age_dx`"))
    values = {"q1": (q[0.25], None), "med": (q[0.5], None), "q3": (q[0.75], None), "n_gt45": (int(gt.sum()), 0),
              "pct_gt45": (100 * (gt & a).sum() / a.sum(), 1), "p_gt45": (p, 3), "p_kw": (p_kw, 3)}
    r = _folder(tmp_path, exact, grp, checks, values)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    vals = _values(r.stdout)
    assert set(vals) == set(values) and all(ok for _, ok, _ in vals.values()), vals
    # the patients of exactly 45 on the day are within the bounds of the count, not in its lower end
    lo, hi = map(float, _BOUNDS.search(vals["n_gt45"][2]).groups())
    fl = np.array([completed_years(v) if v == v else -1 for v in exact])
    assert (lo, hi) == ((fl >= 46).sum(), (fl >= 45).sum()) and lo < gt.sum() < hi

    # and a value outside the bounds is a disagreement
    lo, hi = map(float, _BOUNDS.search(vals["med"][2]).groups())
    values["med"] = (hi + 0.01, None)
    values["n_gt45"] = (hi_n := int((fl >= 45).sum()) + 1, 0)
    r = _folder(tmp_path, exact, grp, checks, values)
    assert r.returncode == 1 and " 2 differ" in r.stdout, r.stdout[-2000:]
    bad = r.stdout.split("== DISAGREEMENTS", 1)[1]
    assert "med" in bad and "n_gt45" in bad and hi_n > 0


@needs_twin
def test_unknowns_csv_follows_adsl_csv_under_min_cell_and_shareable():
    """With --min-cell the suppressed completeness records get no R check (they are listed as suppressed); the
    shareable bundle, which holds no adsl.csv, holds no unknowns.csv either."""
    import io

    from mabseq.studies.run import output_files, run_study
    run = run_study(min_cell=5)
    files = output_files(run)
    assert "unknowns.csv" in files and "adsl.csv" in files
    hidden = {rid for rid, r in run.results.records.items() if r.suppressed and rid.startswith("dq_")}
    assert hidden  # the twin has completeness counts below 5
    checks = pd.read_csv(io.StringIO(files["r_checks.csv"]), dtype=str, keep_default_na=False)
    assert not set(checks["id"]) & hidden
    shared = output_files(run, shareable=True)
    assert "adsl.csv" not in shared and "unknowns.csv" not in shared
    assert "unknowns.csv" in shared["README.txt"]
