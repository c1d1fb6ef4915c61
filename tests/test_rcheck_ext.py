"""The R check (check_in_R.R) of the records beyond the paper (the EXT blocks of paper_extensions.py,
paper_immortal.py and plan_analyses.py): the report's own r_checks.csv carries their recipes, and R recomputes each
from adsl.csv / adtte.csv (the sensitivity analyses' re-derived rows are endpoints of adtte.csv of their own).

Oracles: R (survival, cmprsk, base R) on the released datasets; for Tsai's test, values worked by hand from the
published statistic (Tsai 1990) on a three-patient case, run through the generated script.
"""
from __future__ import annotations

import re
import shutil
import subprocess

import pandas as pd
import pytest

from mabseq.results.rscript import COLUMNS, R_SCRIPT
from mabseq.studies.twin import twin_folder

HAVE_R = shutil.which("Rscript") is not None and subprocess.run(
    ["Rscript", "-e", "library(survival); library(cmprsk)"], capture_output=True).returncode == 0
needs_twin = pytest.mark.skipif(not (twin_folder() / "patients.csv").exists(), reason="the bundled twin is not built")
needs_r = pytest.mark.skipif(not HAVE_R, reason="Rscript with survival and cmprsk not installed")

# the records of the EXT blocks R must recompute on the twin (each id: a regular expression over results.csv ids)
EXT_IDS = (r"ext_mantel_byar_tx_p", r"ext_cox_tx_(hr|ci_low|ci_high|p)", r"ext_landmark_tx_d\d+_p",
           r"ext_gray_tx_(relapse|nrm)_p", r"ext_tx_agvhd2_4_(undated|unknown)_n",
           r"ext_tx34_agvhd3_4_(undated|unknown)_n", r"ext_i4_grade[12]_agvhd2_4_d(100|180)_(pct|ci_low|ci_high)",
           r"ext_efs_(day0|no_mrd_relapse)_(s365_(pct|ci_low|ci_high)|cd19_p)", r"ext_rel1_cd19_cd19unknown_d\d+_pct",
           r"ext_quasi_indep_(os_mab1|os_relapse1)_(z|p)")
NEW_ENDPOINTS = ("agvhd2_4_i4_as_grade1", "agvhd2_4_i4_as_grade2", "efs_day0", "efs_no_mrd_relapse")


def _recomputed(stdout: str) -> dict[str, str]:
    """id -> ok (TRUE/FALSE) of the values R recomputed."""
    body = stdout.split("== values recomputed", 1)[1].split("\n==", 1)[0]
    out = {}
    for ln in body.splitlines()[2:]:
        parts = ln.split()
        if len(parts) >= 5:
            out[parts[0]] = parts[4]
    return out


def _not_recomputed(stdout: str) -> dict[str, str]:
    return {m.group(1): m.group(2) for m in re.finditer(r"^NOT RECOMPUTED  (\S+)  \[[^]]*\]  (.*)$", stdout, re.M)}


@pytest.fixture(scope="module")
def twin_run(twin_report, twin_rcheck):
    """The twin report (conftest) and its R check's output."""
    return twin_report, twin_rcheck


@needs_twin
@needs_r
def test_r_recomputes_every_ext_record_of_the_twin(twin_run):
    out, r = twin_run
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    res = pd.read_csv(out / "results.csv", dtype=str, keep_default_na=False)
    valued = res.loc[res["value"] != "", "id"]
    wanted = {i for i in valued if any(re.fullmatch(p, i) for p in EXT_IDS)}
    for p in EXT_IDS:  # each family has at least one record with a value on the twin
        assert any(re.fullmatch(p, i) for i in wanted), p
    done, listed = _recomputed(r.stdout), _not_recomputed(r.stdout)
    assert not wanted & set(listed), {i: listed[i] for i in wanted & set(listed)}
    assert {i: done.get(i) for i in wanted} == {i: "TRUE" for i in wanted}
    # the records of these families without a value stay listed, with their reason
    for i in set(res["id"]) - set(valued):
        if any(re.fullmatch(p, i) for p in EXT_IDS):
            assert listed[i].startswith("no number to check"), (i, listed.get(i))


@needs_twin
@needs_r
def test_the_sensitivity_endpoints_are_in_adtte(twin_run):
    """The re-derived rows are released as endpoints of their own, and the checks read them (not the main rows)."""
    out, _ = twin_run
    adtte = pd.read_csv(out / "adtte.csv")
    chk = pd.read_csv(out / "r_checks.csv", dtype=str, keep_default_na=False)
    for ep in NEW_ENDPOINTS:
        assert (adtte["endpoint"] == ep).sum() > 0, ep
        assert (chk["endpoint"] == ep).any(), ep
        assert not adtte[adtte["endpoint"] == ep].duplicated("patient_id").any()
    main = adtte[adtte["endpoint"] == "agvhd24_tx"]
    for g in (1, 2):  # the ungraded case(s) added to the main rows
        assert len(adtte[adtte["endpoint"] == f"agvhd2_4_i4_as_grade{g}"]) >= len(main)
    assert set(chk.loc[chk["id"].str.startswith("ext_i4_grade1_"), "endpoint"]) == {"agvhd2_4_i4_as_grade1"}
    assert set(chk.loc[chk["id"].str.startswith("ext_efs_day0_"), "endpoint"]) == {"efs_day0"}


def _moved(src, tmp_path, rid: str, factor: float) -> subprocess.CompletedProcess:
    out = tmp_path / "copy"
    shutil.copytree(src, out)
    res = pd.read_csv(out / "results.csv", dtype=str, keep_default_na=False)
    i = res.index[res["id"] == rid]
    assert len(i) == 1 and res.loc[i[0], "value"] != ""
    res.loc[i[0], "value"] = repr(float(res.loc[i[0], "value"]) * factor)
    res.to_csv(out / "results.csv", index=False)
    return subprocess.run(["Rscript", "check_in_R.R"], cwd=out, capture_output=True, text=True)


@needs_twin
@needs_r
@pytest.mark.parametrize("rid", ["ext_quasi_indep_os_mab1_z", "ext_quasi_indep_os_relapse1_p"])
def test_the_tsai_check_fails_on_a_moved_value(twin_run, tmp_path, rid):
    src, _ = twin_run
    r = _moved(src, tmp_path, rid, 1 + 1e-4)
    assert r.returncode == 1
    assert " 1 differ" in r.stdout and rid in r.stdout.split("== DISAGREEMENTS", 1)[1]


@needs_twin
@needs_r
def test_a_zero_incidence_moved_is_a_disagreement(twin_run, tmp_path):
    """A cause without events: R says 0 (cuminc draws no curve); any other value disagrees."""
    src, _ = twin_run
    out = tmp_path / "copy"
    shutil.copytree(src, out)
    res = pd.read_csv(out / "results.csv", dtype=str, keep_default_na=False)
    i = res.index[res["id"] == "ext_rel1_cd19_cd19unknown_d90_pct"]
    res.loc[i[0], "value"] = "1e-4"
    res.to_csv(out / "results.csv", index=False)
    r = subprocess.run(["Rscript", "check_in_R.R"], cwd=out, capture_output=True, text=True)
    assert r.returncode == 1 and "ext_rel1_cd19_cd19unknown_d90_pct" in r.stdout.split("== DISAGREEMENTS", 1)[1]


# ---- Tsai's statistic worked by hand ----------------------------------------------------------------------------
# entries L, times X (all deaths). Distinct entries L = (0, 1, 2), X = (5, 4, 3):
#   X = 3: risk set {1, 2, 3} (L < 3 <= X), the failing L = 2: S = sign(0 - 2) + sign(1 - 2) = -2; s = (2, 0, -2),
#          Var = 8/3 = (3^2 - 1)/3;  X = 4: risk set {1, 2}: S = sign(0 - 1) = -1, Var = 1 = (2^2 - 1)/3;
#   X = 5: one at risk, no information.  K = -3, V = 11/3, z = -3 / sqrt(11/3).
# Tied entries L = (0, 0, 2), same X: X = 3: S = -2, s = (1, 1, -2), Var = 2 (not 8/3); X = 4: S = 0, Var = 0.
#   K = -2, V = 2, z = -sqrt(2).
HAND = {"distinct": ((0, 1, 2), -3 / (11 / 3) ** 0.5), "tied": ((0, 0, 2), -(2 ** 0.5))}


@needs_r
@pytest.mark.parametrize("case", sorted(HAND))
def test_the_tsai_recipe_gives_the_hand_worked_value(tmp_path, case):
    from scipy.stats import norm
    entries, z = HAND[case]
    ids = ["P1", "P2", "P3"]
    pd.DataFrame({"patient_id": ids, "seq": ["BF"] * 3}).to_csv(tmp_path / "adsl.csv", index=False)
    pd.DataFrame({"patient_id": ids, "endpoint": "os_x", "origin": "o", "time": [5, 4, 3], "status": 1,
                  "entry": list(entries)}).to_csv(tmp_path / "adtte.csv", index=False)
    p = 2 * norm.sf(abs(z))
    pd.DataFrame({"id": ["tz", "tp", "tz_off"], "value": [z, p, z * (1 + 1e-4)], "statistic": ["z", "p_value", "z"],
                  "suppressed": ""}).to_csv(tmp_path / "results.csv", index=False)
    rows = [{"id": rid, "kind": "tsai", "group": "ALL", "expr": "TRUE", "endpoint": "os_x", "entry": False,
             "scale": 1, "stat": st} for rid, st in (("tz", "z"), ("tp", "p"), ("tz_off", "z"))]
    pd.DataFrame(rows, columns=COLUMNS).to_csv(tmp_path / "r_checks.csv", index=False)
    (tmp_path / "check_in_R.R").write_text(R_SCRIPT)
    r = subprocess.run(["Rscript", "check_in_R.R"], cwd=tmp_path, capture_output=True, text=True)
    done = _recomputed(r.stdout)
    assert done.get("tz") == "TRUE" and done.get("tp") == "TRUE", r.stdout[-2000:] + r.stderr[-1000:]
    assert done.get("tz_off") == "FALSE" and r.returncode == 1  # 1e-4 relative off: a disagreement
