"""The generated R check (check_in_R.R) forms every group in R from its definition on adsl.csv and recomputes the
report's numbers with base R, survival and cmprsk; it must agree with mabseq, fail on a disagreement, and list by
name every record it does not recompute.

Oracles: R itself (the script's values), and for the filter translation (results/rfilter.py) R evaluating the
translated expression on a small CSV against pandas evaluating the original filter on the same rows.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from mabseq.cli import app
from mabseq.results.rfilter import UNTRANSLATABLE, r_and, r_expr, untranslatable
from mabseq.results.rscript import R_SCRIPT
from mabseq.studies.twin import twin_folder

HAVE_R = shutil.which("Rscript") is not None and subprocess.run(
    ["Rscript", "-e", "library(survival); library(cmprsk)"], capture_output=True).returncode == 0
needs_twin = pytest.mark.skipif(not (twin_folder() / "patients.csv").exists(), reason="the bundled twin is not built")
needs_r = pytest.mark.skipif(not HAVE_R, reason="Rscript with survival and cmprsk not installed")

# every reason the R check may give for not recomputing a record (a new kind of reason must be named here)
KNOWN_REASONS = (
    "no R recipe for this statistic",  # computed by the preset outside the builder (Cox, Mantel-Byar, completeness)
    "no number to check",  # mabseq has no value (its note says why)
    "a parameter of the analysis",  # a setting the report states (the minimum age of the inclusion rule)
    "the variable: ",  # a variable computed beside the frame, or with .fillna/.apply (rfilter has no translation)
    "group '",  # a group whose filter has no translation
    "the denominator: ",
    "adsl.csv releases ",  # ages in completed years (results/release.py)
    "uses ",  # a column adsl.csv does not release
    "compares ",  # a free-text value released as 'other'
    "suppressed as a small cell",  # --min-cell
)


# ---- the filter translation, without R ------------------------------------------------------------------------
def test_filters_become_r_expressions():
    assert r_expr(lambda f: f["seq"] == "BF") == '.eq(`seq`, "BF")'
    assert r_expr(lambda f: f["tx"] != True) == "(!.eq(`tx`, TRUE))"  # noqa: E712
    assert r_expr(lambda f: (f["n"] > 0) & f["d"].notna()) == '(.cmp(`n`, 0, ">") & (!is.na(`d`)))'
    assert r_expr(lambda f: f["x"].isin(["a", 'b"c'])) == '.isin(`x`, c("a", "b\\"c"))'
    assert r_expr("tx", logical=True) == ".truth(`tx`)"
    assert r_expr(lambda f: f["a"] / 30.4375) == "(`a` / 30.4375)"
    assert r_expr(lambda f: (f["a"] == 1).apply(lambda v: "yes" if v else "no")) == \
        'ifelse(.eq(`a`, 1), "yes", "no")'


def test_untranslatable_filters_say_why():
    side = pd.Series([1, 2])
    assert r_expr(lambda f: f.get("sos", pd.Series(False, index=f.index)) == True) == ".eq(`sos`, TRUE)"  # noqa
    for f, why in ((lambda f: side.loc[f.index] == 1, "computed beside the frame"),
                   (lambda f: f["x"].fillna(0) > 1, ".fillna"),
                   (lambda f: f["x"].apply(len) > 0, ".apply"),
                   (np.array([True, False]), "a mask of values")):
        e = r_expr(f)
        assert e.startswith(UNTRANSLATABLE) and why in untranslatable(e), e
    assert untranslatable(r_and('.eq(`a`, 1)', r_expr(lambda f: f["x"].fillna(0) > 1))) != ""
    assert r_and("TRUE", '.eq(`a`, 1)') == '.eq(`a`, 1)'
    assert untranslatable('.eq(`a`, 1)') == ""


def _r_helpers() -> str:
    """The helper functions of the generated script (from '.lg' to '.num')."""
    start = R_SCRIPT.index(".lg <- ")
    return R_SCRIPT[start:R_SCRIPT.index(".ev <- ")]


@needs_r
def test_translated_filters_select_what_pandas_selects(tmp_path):
    """pandas' missing-value rules (NaN == v is False, NaN != v is True, NaN > v is False) hold in R's translation:
    the same rows, on a frame with missing values in every column kind."""
    df = pd.DataFrame({"s": ["a", None, "b", "a", None], "b": [True, None, False, True, False],
                       "x": [1.5, np.nan, 3.0, 0.0, 7.0], "m": ["True", "unknown", "False", None, "True"]})
    filters = {
        "eq_str": lambda f: f["s"] == "a", "ne_str": lambda f: f["s"] != "a",
        "eq_bool": lambda f: f["b"] == True,  # noqa: E712
        "ne_bool": lambda f: f["b"] != True, "gt": lambda f: f["x"] > 1, "le": lambda f: f["x"] <= 3,  # noqa: E712
        "notna": lambda f: f["x"].notna(), "isna": lambda f: f["s"].isna(), "isin": lambda f: f["s"].isin(["b"]),
        "and_or": lambda f: (f["s"] == "a") | ~(f["x"] > 2) & f["b"].notna(),
        "arith": lambda f: f["x"] * 2 >= 6,
    }
    (tmp_path / "d.csv").write_text(df.to_csv(index=False))
    lines = [_r_helpers(), 'adsl <- read.csv("d.csv", stringsAsFactors = FALSE, na.strings = "")']
    for name, f in filters.items():
        lines.append(f'cat("{name}", as.integer(.truth(eval(parse(text = {r_expr(f)!r}), adsl))), "\\n")')
    r = subprocess.run(["Rscript", "-e", "\n".join(lines)], cwd=tmp_path, capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    got = {ln.split()[0]: [int(v) for v in ln.split()[1:]] for ln in r.stdout.strip().splitlines()}
    for name, f in filters.items():
        assert got[name] == [int(v) for v in f(df)], name


# ---- the whole report, in R -------------------------------------------------------------------------------------
def _run_and_check(out, *cli_args, command: str = "run") -> subprocess.CompletedProcess:
    res = CliRunner().invoke(app, [command, *cli_args, "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    return subprocess.run(["Rscript", "check_in_R.R"], cwd=out, capture_output=True, text=True)


def _by_kind(stdout: str) -> Counter:
    line = next(ln for ln in stdout.splitlines() if ln.startswith("== recomputed by kind:"))
    return Counter({k: int(n) for k, n in re.findall(r"(\w+) (\d+)", line.split(":", 1)[1])})


def _not_recomputed(stdout: str) -> dict[str, str]:
    out = {}
    for ln in stdout.splitlines():
        m = re.match(r"NOT RECOMPUTED  (\S+)  \[[^]]*\]  (.+)$", ln)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def _assert_agrees(r: subprocess.CompletedProcess, minimum: dict[str, int], max_not: int) -> Counter:
    assert r.returncode == 0, r.stdout[-4000:] + r.stderr[-2000:]
    assert re.search(r": (\d+) agree, 0 differ; \d+ not recomputed; 0 R failures", r.stdout), r.stdout[-2000:]
    kinds = _by_kind(r.stdout)
    print("recomputed in R by kind:", dict(sorted(kinds.items())), "total", sum(kinds.values()))
    for kind, n in minimum.items():
        assert kinds[kind] >= n, (kind, kinds[kind], n)
    skipped = _not_recomputed(r.stdout)
    print(f"not recomputed: {len(skipped)}", Counter(re.sub(r"[:(].*", "", v) for v in skipped.values()))
    assert len(skipped) <= max_not
    for rid, why in skipped.items():
        assert why.startswith(KNOWN_REASONS), (rid, why)
    return kinds


# what every run of the paper preset must recompute, at least (the smaller of the twin's and synth 500's counts)
PAPER_MINIMUM = {"count": 330, "pct": 190, "quantile": 71, "min": 21, "max": 21, "kruskal": 5, "chi_square": 6,
                 "cp_lower": 11, "cp_upper": 11, "km_surv": 28, "km_lower": 28, "km_upper": 28, "km_median": 3,
                 "logrank": 11, "logrank_entry": 4, "followup": 3, "cif_est": 39, "cif_lower": 35, "cif_upper": 35,
                 "at_risk": 177, "at_risk_entry": 64, "gray": 2, "mantel_byar": 3, "cox_td_hr": 2, "cox_td_p": 2,
                 "landmark_logrank": 10, "landmark_n": 48, "landmark_km_surv": 15, "tsai_z": 2, "tsai_p": 2,
                 "missing": 11, "missing_pct": 11, "unknown": 7, "unknown_pct": 7, "quantile_bounds": 18,
                 "count_bounds": 3, "pct_bounds": 3, "categorical_bounds": 1, "kruskal_bounds": 1}
# the only records the R check may leave: no value to compare (the note says why), an input adsl.csv does not
# release (the age at transplant; the potential follow-up of Clark's index), a parameter of the plan
LEFT_ONLY = ("no number to check", "uses age_tx, which adsl.csv does not release",
             "uses each living patient's days from mAb2 to the data cut-off", "a parameter of the analysis")


def _left_only(r, allowed=LEFT_ONLY) -> None:
    for rid, why in _not_recomputed(r.stdout).items():
        assert why.startswith(allowed), (rid, why)


@pytest.fixture(scope="module")
def twin_paper(tmp_path_factory):
    """`mabseq report` on the twin: the outputs of the report itself (report.html beside check_in_R.R)."""
    out = tmp_path_factory.mktemp("rcheck") / "paper"
    return out, _run_and_check(out, "--study", "paper", command="report")


@needs_twin
@needs_r
def test_r_recomputes_the_twin_report(twin_paper):
    _, r = twin_paper
    kinds = _assert_agrees(r, {**PAPER_MINIMUM, "fisher_exact": 6}, max_not=55)
    _left_only(r)
    assert sum(kinds.values()) >= 1314  # 1314 in this version (26 of them bounds checks of an age in years)


@needs_twin
@needs_r
def test_r_recomputes_the_sequence_preset(tmp_path):
    """The sequence preset's survival analyses and its gtsummary tables (studies/summary_table.py: counts,
    percentages, Unknown rows, type 2 quartiles) are recomputed; the rest is listed, each by name (the data
    completeness records, the age at diagnosis released in completed years, the values under the minimum size)."""
    r = _run_and_check(tmp_path / "out", "--study", "sequence")
    # the 4 inotuzumab-first patients get no estimate and no test under the minimum group size (SD 6.6)
    kinds = _assert_agrees(r, {"km_surv": 6, "km_median": 6, "at_risk": 26, "at_risk_entry": 10, "cif_est": 2,
                               "count": 132, "pct": 96, "quantile": 18, "quantile_bounds": 9, "missing": 11,
                               "unknown": 7}, max_not=49)
    _left_only(r)
    assert kinds["logrank"] == 0 and kinds["logrank_entry"] == 0
    assert sum(kinds.values()) >= 375


@needs_twin
@needs_r
def test_r_recomputes_a_synthetic_cohort_of_500(tmp_path):
    db = tmp_path / "synthetic.duckdb"
    res = CliRunner().invoke(app, ["synth", "--n", "500", "--seed", "1", "--out", str(db)])
    assert res.exit_code == 0, res.output
    r = _run_and_check(tmp_path / "out", str(db), "--study", "paper")
    kinds = _assert_agrees(r, {**PAPER_MINIMUM, "crr_hr": 2, "crr_p": 2}, max_not=33)
    _left_only(r)
    assert sum(kinds.values()) >= 1384  # 1384 in this version


@needs_twin
@needs_r
def test_a_changed_value_is_a_disagreement(twin_paper, tmp_path):
    """The check can fail: one value of results.csv moved by 1e-4 relative exits 1 and names the record."""
    src, _ = twin_paper
    out = tmp_path / "copy"
    shutil.copytree(src, out)
    res = pd.read_csv(out / "results.csv", dtype=str, keep_default_na=False)
    i = res.index[res["id"] == "t1_cd19_dim_neg_pct_blina1"] if (res["id"] == "t1_cd19_dim_neg_pct_blina1").any() \
        else res.index[res["statistic"] == "pct"][:1]
    rid = res.loc[i[0], "id"]
    res.loc[i[0], "value"] = repr(float(res.loc[i[0], "value"]) * (1 + 1e-4))
    res.to_csv(out / "results.csv", index=False)
    r = subprocess.run(["Rscript", "check_in_R.R"], cwd=out, capture_output=True, text=True)
    assert r.returncode == 1
    assert " 1 differ" in r.stdout and rid in r.stdout.split("== DISAGREEMENTS", 1)[1]


@needs_twin
@needs_r
def test_groups_come_from_adsl_not_from_a_list(twin_paper, tmp_path):
    """Move one patient from blinatumomab-first to inotuzumab-first in adsl.csv only: R forms the groups again
    from their definitions, so the group sizes it recomputes no longer match (exit 1)."""
    src, _ = twin_paper
    out = tmp_path / "copy"
    shutil.copytree(src, out)
    adsl = pd.read_csv(out / "adsl.csv", dtype=str, keep_default_na=False)
    first = adsl.index[adsl["seq"] == "BF"][0]
    adsl.loc[first, "seq"] = "IF"
    adsl.to_csv(out / "adsl.csv", index=False)
    r = subprocess.run(["Rscript", "check_in_R.R"], cwd=out, capture_output=True, text=True)
    assert r.returncode == 1
    bad = r.stdout.split("== DISAGREEMENTS", 1)[1]
    assert "t1_n_blina1" in bad or "fig1_blina_mab1_n" in bad


# ---- the kinds a preset adds beside the builder: Gray, Fine-Gray, Cox, time-dependent Cox, Mantel-Byar, landmark
SWITCH_TX = "ifelse(.eq(`tx`, TRUE), `days_mab2_tx`, NA)"  # the day alloHSCT after mAb2 was given (NA: never)
MAC = '(.eq(`tx`, TRUE) & .eq(`tx_conditioning_intensity`, "mac"))'
RIC = '(.eq(`tx`, TRUE) & (!.eq(`tx_conditioning_intensity`, "mac")))'


def _row(id_, kind, groups, value=None, **kw):
    return [{"id": id_, "kind": kind, "group": g, "expr": e, "value": value, "entry": kw.pop("entry", False),
             "scale": 1, **kw} for g, e in groups.items()]


@needs_twin
@needs_r
def test_r_recipes_for_regression_and_competing_risk_kinds(twin_paper, tmp_path):
    """Checks of the kinds the builder does not make (the immortal-time records of paper_extensions.py, and Gray /
    Fine-Gray / Cox / Wilcoxon values computed here with mabseq.stats on the released datasets) agree in R."""
    from mabseq.stats import cox_ph, fine_gray, gray_test, wilcoxon_rank_sum
    src, _ = twin_paper
    out = tmp_path / "copy"
    shutil.copytree(src, out)
    res = pd.read_csv(out / "results.csv", dtype=str, keep_default_na=False).set_index("id")["value"]
    adsl = pd.read_csv(out / "adsl.csv")
    adtte = pd.read_csv(out / "adtte.csv")
    rows = []
    # the reported immortal-time records (their values come from results.csv)
    for stat, rid in (("hr", "ext_cox_tx_hr"), ("lower", "ext_cox_tx_ci_low"), ("upper", "ext_cox_tx_ci_high"),
                      ("p", "ext_cox_tx_p")):
        if res.get(rid, ""):
            rows += _row(rid, "cox_td", {"FULL": "TRUE"}, endpoint="os_mab2", var=SWITCH_TX, stat=stat)
    rows += _row("ext_mantel_byar_tx_p", "mantel_byar", {"FULL": "TRUE"}, endpoint="os_mab2", var=SWITCH_TX)
    landmarks = [rid for rid in res.index if re.fullmatch(r"ext_landmark_tx_d\d+_p", rid) and res[rid]]
    for rid in landmarks:
        rows += _row(rid, "landmark_logrank", {"FULL": "TRUE"}, endpoint="os_mab2", var=SWITCH_TX,
                     time=int(re.search(r"_d(\d+)_", rid).group(1)))
    # Gray, Fine-Gray and Cox by conditioning intensity; Wilcoxon of the blast count by sequence
    tx = adsl[adsl["tx"] == True]  # noqa: E712
    d = adtte[adtte["endpoint"] == "cir_tx"].merge(tx[["patient_id", "tx_conditioning_intensity"]])
    g = np.where(d["tx_conditioning_intensity"] == "mac", "a_mac", "b_ric")
    gray = gray_test(d["time"], d["status"], g)
    for cause in (1, 2):
        rows += _row(f"gray_c{cause}", "gray", {"a_mac": MAC, "b_ric": RIC}, endpoint="cir_tx", cause=cause,
                     value=float(gray.loc[gray["cause"] == cause, "p_value"].iloc[0]))
    x = (g == "b_ric").astype(float)[:, None]
    fg = fine_gray(d["time"], d["status"], x, cause=1).summary.iloc[0]
    os_ = adtte[adtte["endpoint"] == "os_tx"].merge(tx[["patient_id", "tx_conditioning_intensity"]])
    xc = (os_["tx_conditioning_intensity"] != "mac").astype(float).to_numpy()[:, None]
    cx = cox_ph(os_["time"], os_["status"], xc)
    cs = cx.summary.iloc[0]
    from scipy.stats import chi2
    for stat, fgv, cxv in (("hr", "hazard_ratio", "hazard_ratio"), ("lower", "lower", "hr_lower"),
                           ("upper", "upper", "hr_upper"), ("p", "p_value", None)):
        rows += _row(f"crr_{stat}", "crr", {"a_mac": MAC, "b_ric": RIC}, endpoint="cir_tx", cause=1, stat=stat,
                     value=float(fg[fgv]))
        rows += _row(f"cox_{stat}", "cox", {"a_mac": MAC, "b_ric": RIC}, endpoint="os_tx", stat=stat,
                     value=float(cs[cxv]) if cxv else float(chi2.sf(cx.lrt, 1)))
    bl = pd.to_numeric(adsl["blasts_mab1"], errors="coerce")
    w = wilcoxon_rank_sum(bl[adsl["seq"] == "BF"], bl[adsl["seq"] == "IF"]).p_value
    rows += _row("wilcoxon_blasts", "wilcoxon", {"BF": '.eq(`seq`, "BF")', "IF": '.eq(`seq`, "IF")'},
                 var="`blasts_mab1`", value=w)
    extra = pd.DataFrame(rows)
    chk = pd.read_csv(out / "r_checks.csv", dtype=str, keep_default_na=False)
    chk = chk[~chk["id"].isin(set(extra["id"]))]  # these records are listed as not recomputed without the rows
    pd.concat([chk, extra.astype(object)], ignore_index=True).to_csv(out / "r_checks.csv", index=False)
    r = subprocess.run(["Rscript", "check_in_R.R"], cwd=out, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    kinds = _by_kind(r.stdout)
    print({k: v for k, v in kinds.items() if k.startswith(("cox", "crr", "gray", "mantel", "landmark", "wilcox"))})
    # beside the rows added here, the report's own checks of the groups formed after mAb2 (paper_immortal.py)
    own = pd.read_csv(out / "r_checks.csv", dtype=str, keep_default_na=False)
    own = own[~own["id"].isin(set(extra["id"]))].drop_duplicates("id")["kind"].value_counts()
    assert kinds["gray"] == 2 + own.get("gray", 0) and kinds["wilcoxon"] == 1 + own.get("wilcoxon", 0)
    assert kinds["mantel_byar"] == 1 + own.get("mantel_byar", 0)
    assert kinds["landmark_logrank"] == len(landmarks) + own.get("landmark_logrank", 0) >= 1
    assert all(kinds[f"{k}_{s}"] == 1 for k in ("crr", "cox") for s in ("hr", "lower", "upper", "p"))
    assert sum(kinds[f"cox_td_{s}"] for s in ("hr", "lower", "upper", "p")) == own.get("cox_td", 0) + \
        sum(1 for rid in ("ext_cox_tx_hr", "ext_cox_tx_ci_low", "ext_cox_tx_ci_high", "ext_cox_tx_p") if res.get(rid))


@needs_twin
@needs_r
def test_suppressed_records_are_listed_not_dropped(tmp_path):
    """With --min-cell the suppressed records have no value to compare: each is listed by name, none vanishes."""
    r = _run_and_check(tmp_path / "out", "--study", "paper", "--min-cell", "5")
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-2000:]
    skipped = _not_recomputed(r.stdout)
    res = pd.read_csv(tmp_path / "out" / "results.csv", dtype=str, keep_default_na=False)
    hidden = set(res.loc[res["suppressed"] != "", "id"])
    assert hidden and all(skipped[rid].startswith("suppressed as a small cell") for rid in hidden)
    listed = set(skipped) | {ln.split()[0] for ln in r.stdout.split("== values recomputed", 1)[1].splitlines()[2:]
                             if ln.strip() and not ln.startswith("==")}
    assert set(res["id"]) <= listed  # every record recomputed or listed
