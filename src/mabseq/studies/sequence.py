"""The `sequence` preset: the next study like the paper, in gtsummary's conventions.

Any cohort of adults given both blinatumomab and inotuzumab, compared by the antibody given first (mAb1). It uses
the same cohort model, clinical criteria and derivations as the paper preset, and reports in the conventions that
R users get from gtsummary (reporting-conventions.md 1.1-1.4): Table 1 as ``tbl_summary(by = mAb1) |> add_overall()
|> add_p()``; Table 2 the responses, antigen escape, transplant and toxicities in the same form; Table 3 the
12-month survival estimates and medians as ``tbl_survfit`` shows them (``estimate% (low%, high%)``, log-rank p);
Kaplan-Meier figures by mAb1, the cumulative incidence of treatment failure after mAb2 and, beside it, of relapse
from the CR date among the patients in CR after mAb2. There is no published reference, so the report has no fidelity
table.

The analysis plan, in one place:

* populations: all included patients; blinatumomab mAb1 (BF); inotuzumab mAb1 (IF);
* summaries: n (%) over non-missing values; median (Q1, Q3) by quantile type 2; 'Unknown' rows for missing values;
* tests: Wilcoxon rank sum (two groups) or Kruskal-Wallis; Pearson chi-square without correction when every expected
  count is >= 5, otherwise Fisher's exact test; log-rank for survival;
* survival: Kaplan-Meier with log intervals (R survfit's default), estimates at day 365; medians by R's rule;
* the plan's minimum group size (study-definition 6.6, ``min_group_n=5``): no test and no curve for a group of fewer
  than 5 patients; its counts and summaries are still shown;
* selection artefacts flagged: a comparison that differs between the groups by how the cohort is selected (every
  patient had to receive both antibodies) carries the flag in its record's note and in a table footnote.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from ..cohort.model import Cohort
from ..derive import DeriveParams
from ..results.records import Record, ResultSet, TableSpec
from ..results.rfilter import r_expr, untranslatable
from .builder import (MONTH_DAYS, NO_TOXICITY, NOBODY, AnalysisParams, Builder, Pop, empty_reason, eq,
                      mark_not_computed, not_computed, start_study, tables_empty)
from .flow import sequence_flow, set_timelines, swimmer_reason
from .plan_analyses import failure_and_relapse
from .summary_table import Variable, tbl_summary

NAME = "sequence"
TITLE = "Outcomes after sequential blinatumomab and inotuzumab, by the antibody given first"
CONVENTIONS = "gtsummary"


@dataclass
class SequenceParams:
    derive: DeriveParams = field(default_factory=DeriveParams)
    analysis: AnalysisParams = field(default_factory=lambda: AnalysisParams(
        quantile_type=2, chisq_min_expected=5.0, min_group_n=5))


def populations(adsl: pd.DataFrame) -> dict[str, Pop]:
    full = Pop("FULL", "All patients", adsl)
    return {"FULL": full,
            "BF": full.where("BF", "Blinatumomab first", eq("seq", "BF")),
            "IF": full.where("IF", "Inotuzumab first", eq("seq", "IF"))}


TOXICITY_COLUMNS = ("crs_any", "icans_any", "hepatotox_ino", "sos_after_tx")


def _known(f, col):  # an MRD status 'unknown' (a CR without an MRD result) is not known
    return f[col].notna() & (f[col] != "unknown")


def _liver(f):
    return (f["transaminitis_ino"] == True) | (f["hyperbili_ino"] == True)  # noqa: E712


# The yes/no outcome columns the tables summarise, each defined once as (yes, known): filters on the per-patient
# dataset, so that pandas computes the column and the R check writes it (results/rfilter.py) from the same
# definition; known None: always known. A value that cannot be known is missing (Unknown, out of the percentage).
OUTCOMES = {
    "cr_mab1": (lambda f: f["resp_mab1"] == "cr", lambda f: _known(f, "resp_mab1")),
    # MRD-negative CR: unknown for a CR without an MRD result
    "mrdneg_cr_mab1": (lambda f: (f["resp_mab1"] == "cr") & (f["mrd_mab1"] == "neg"),
                       lambda f: _known(f, "resp_mab1") & ((f["resp_mab1"] != "cr") | _known(f, "mrd_mab1"))),
    "cr_mab2": (lambda f: f["resp_mab2"] == "cr", lambda f: _known(f, "resp_mab2")),
    "mrdneg_cr_mab2": (lambda f: (f["resp_mab2"] == "cr") & (f["mrd_mab2"] == "neg"),
                       lambda f: _known(f, "resp_mab2") & ((f["resp_mab2"] != "cr") | _known(f, "mrd_mab2"))),
    "relapse_mab1": (lambda f: f["event1_date"].notna(), None),
    "crs_any": (lambda f: f["crs_blina"] >= 1, lambda f: _known(f, "crs_blina")),
    "icans_any": (lambda f: f["icans_blina"] >= 1, lambda f: _known(f, "icans_blina")),
    "hepatotox_ino": (_liver, lambda f: _liver(f) | (_known(f, "transaminitis_ino") & _known(f, "hyperbili_ino"))),
    # after alloHSCT only
    "sos_after_tx": (lambda f: f["sos"] == True, lambda f: (f["tx"] == True) & _known(f, "sos")),  # noqa: E712
}
MONTHS = {"months_mab1_mab2": lambda f: f["days_mab1_mab2"] / MONTH_DAYS}


def analysis_frame(adsl: pd.DataFrame, toxicity_collected: bool = True) -> pd.DataFrame:
    """The per-patient dataset with the yes/no outcome columns the tables summarise (:data:`OUTCOMES`). A value
    that cannot be known (a CR without an MRD result, a missing grade, SOS in a patient not transplanted, any
    toxicity when the cohort has no toxicity data at all) stays missing, so it is shown as Unknown and left out of
    the percentage."""
    f = adsl.copy()
    for col, (yes, known) in OUTCOMES.items():
        out = pd.Series(yes(f).to_numpy(bool), index=f.index, dtype=object)
        if known is not None:
            out[~known(f).to_numpy(bool)] = None
        f[col] = out
    for col, fn in MONTHS.items():
        f[col] = fn(f)
    if not toxicity_collected:
        for c in TOXICITY_COLUMNS:
            f[c] = pd.Series([None] * len(f), index=f.index, dtype=object)
    return f


def r_columns(adsl: pd.DataFrame, toxicity_collected: bool = True) -> dict[str, str]:
    """The columns :func:`analysis_frame` adds, as R expressions on adsl.csv from the same definitions (a yes/no
    outcome: ``ifelse(known, yes, NA)``; a toxicity the cohort did not collect: NA)."""
    out = {}
    for col, (yes, known) in OUTCOMES.items():
        y = r_expr(yes, frame=adsl)
        k = r_expr(known, frame=adsl) if known is not None else None
        bad = next((e for e in (y, k) if e is not None and untranslatable(e)), None)
        out[col] = bad if bad else (f"ifelse({k}, {y}, NA)" if k else y)
    for col, fn in MONTHS.items():
        out[col] = r_expr(fn, frame=adsl)
    if not toxicity_collected:
        out.update({c: "NA" for c in TOXICITY_COLUMNS})
    return out


# age, marrow blasts and months between the antibodies are continuous whatever their number of distinct values
# (gtsummary makes a number with fewer than 10 distinct values categorical: a small cohort would lose its median)
TABLE1 = (
    Variable("age_dx", "Age at diagnosis, years", type="continuous"),
    Variable("sex", "Sex", levels={"female": "Female", "male": "Male"}),
    Variable("cyto_risk", "Cytogenetic risk (UKALLXII/ECOG2993)", levels={"standard": "Standard", "high": "High"}),
    Variable("ph_pos", "Philadelphia chromosome-positive"),
    Variable("kmt2a_r", "KMT2A rearrangement"),
    Variable("frontline", "First-line induction", levels={"cr": "CR, later relapse", "refractory": "Refractory"}),
    Variable("prior_lines", "Prior lines of therapy"),
    Variable("prior_hsct", "Prior alloHSCT"),
    Variable("prior_cart", "Prior CD19 CAR T cells"),
    Variable("emd_before_mab1", "Extramedullary disease before mAb1"),
    Variable("burden_mab1", "Disease burden at mAb1", levels={"mrd": "MRD only", "morphologic": "Morphologic"}),
    Variable("blasts_mab1", "Marrow blasts at mAb1, %", type="continuous"),
    Variable("months_mab1_mab2", "Months from mAb1 to mAb2", type="continuous"),
    Variable("interim", "Other therapy between the antibodies"),
)

# yes/no by construction: dichotomous even when every value is unknown (R: a logical column of NAs)
TABLE2 = (
    Variable("cr_mab1", "CR/CRh/CRi after mAb1", type="dichotomous"),
    Variable("mrdneg_cr_mab1", "MRD-negative CR after mAb1", type="dichotomous"),
    Variable("relapse_mab1", "Relapse or progression after mAb1", type="dichotomous"),
    Variable("cd19_event1", "CD19 at relapse after mAb1", levels={"pos": "Positive", "negdim": "Negative or dim"}),
    Variable("cr_mab2", "CR/CRh/CRi after mAb2", type="dichotomous"),
    Variable("mrdneg_cr_mab2", "MRD-negative CR after mAb2", type="dichotomous"),
    Variable("tx", "alloHSCT after mAb2", type="dichotomous"),
    Variable("cart_after_mab2", "CAR T cells after mAb2", type="dichotomous"),
    Variable("crs_any", "CRS with blinatumomab, any grade (ASTCT)", type="dichotomous"),
    Variable("icans_any", "ICANS with blinatumomab, any grade (ASTCT)", type="dichotomous"),
    Variable("hepatotox_ino", "Liver toxicity with inotuzumab (CTCAE)", type="dichotomous"),
    Variable("sos_after_tx", "Hepatic SOS after alloHSCT (EBMT)", type="dichotomous"),
    Variable("dead", "Died", type="dichotomous"),
)

# Table 3 rows: (endpoint, label, curve id)
# Table 3 rows: (endpoint, label, curve id, delayed entry). Overall survival from mAb1 counts a patient at risk from
# the start of mAb2 only (left truncation): inclusion requires having lived to receive both antibodies, and
# counting the time before mAb2 as survival would be immortal time. Event-free survival from mAb1 keeps its origin:
# its events (relapse, progression) do occur before mAb2.
SURVIVAL = (("os_mab1", "Overall survival from mAb1", "os_mab1_by_mab1", True),
            ("efs_mab1", "Event-free survival from mAb1", "efs_mab1_by_mab1", False),
            ("os_mab2", "Overall survival from mAb2", "os_mab2_by_mab1", False))


def run(cohort: Cohort, params: SequenceParams | None = None, *, synthetic: bool = False,
        source: str = "") -> tuple[ResultSet, object]:
    params = params or SequenceParams()
    dc, res = start_study(cohort, params.derive, NAME, TITLE, synthetic=synthetic, source=source,
                          conventions=CONVENTIONS,
                          strobe_bias="Table 3: overall survival from mAb1 left-truncated at mAb2 (immortal-time guard)")
    if not len(dc.adsl):
        return _nobody_included(res, dc), dc
    toxicity = not tables_empty(cohort, "toxicity_episodes", "toxicity_observations")
    P = populations(analysis_frame(dc.adsl, toxicity))
    r_cols = r_columns(dc.adsl, toxicity)
    groups = [p for p in (P["BF"], P["IF"]) if p.n]
    b = Builder(res, dc.adtte, params.analysis)
    sequence_flow(res, dc, P)
    b.block = "Table 1"
    tbl_summary(b, "table1", f"Table 1. Patient characteristics by the antibody given first (N = {P['FULL'].n})",
                groups, TABLE1, overall=P["FULL"], r_columns=r_cols)
    b.block = "Table 2"
    tbl_summary(b, "table2", "Table 2. Response, antigen escape, transplant and toxicity by the antibody given first",
                groups, TABLE2, overall=P["FULL"], r_columns=r_cols,
                footnotes=[f"Response by the {params.derive.response_ruleset} rule set (CR, CRh and CRi pooled); "
                           "MRD negative below the study's threshold by flow cytometry.",
                           "Unknown: CD19 at relapse is not applicable without a relapse after mAb1 (or was not "
                           "tested); hepatic SOS is assessed after alloHSCT only."])
    if not toxicity:  # every toxicity row unknown: its counts and test carry the reason (the Unknown counts stay)
        mark_not_computed(res, [i for i in res.records if i.startswith(tuple(f"table2_{c}_" for c in TOXICITY_COLUMNS))
                                and "_unknown_" not in i], NO_TOXICITY)
    _min_size_rule(b, groups, ("table1", "table2"))
    _survival(b, P, groups)
    _flag_artefacts(b)
    _text(res, uncompared=too_small(b, groups) if len(groups) > 1 else "")
    set_timelines(res, dc.timelines)
    swimmer_reason(res)
    return res, dc


TITLES = {"table1": "Table 1. Patient characteristics by the antibody given first",
          "table2": "Table 2. Response, antigen escape, transplant and toxicity by the antibody given first",
          "table3": "Table 3. Survival by the antibody given first"}


def _nobody_included(res: ResultSet, dc) -> ResultSet:
    """No patient meets the inclusion criteria: the patient flow with every exclusion and its reason; every table,
    figure and paragraph listed as not computed."""
    sequence_flow(res, dc, {"FULL": Pop("FULL", "All patients", dc.adsl)})
    for tid, title in TITLES.items():
        not_computed(res, tid, title, NOBODY, kind="table", block=title.split(".")[0])
    for _, label, curve_id, entry in SURVIVAL:
        not_computed(res, curve_id, f"{label} by the antibody given first", NOBODY, kind="figure", block="Table 3")
    not_computed(res, "failure_mab2", "Treatment failure after mAb2", NOBODY, kind="figure", block="Figures")
    not_computed(res, "cir_nrm_cr2", "Relapse after CR to mAb2, from the CR date", NOBODY, kind="figure",
                 block="Figures")
    _text(res)
    for section in res.text:
        not_computed(res, section, section, NOBODY, kind="text", block="Results")
    set_timelines(res, dc.timelines)
    swimmer_reason(res)
    return res


def _survival(b: Builder, P, groups) -> None:
    b.block = "Table 3"
    cols = [("overall", P["FULL"])] + [(g.name.lower(), g) for g in groups]
    rows = []
    for endpoint, label, curve_id, entry in SURVIVAL:
        stem = f"t3_{endpoint}"
        b.km(f"{curve_id}_overall", f"{label} (all patients)", [P["FULL"]], endpoint, entry=entry,
             ids={"FULL": f"{stem}_12m_overall"}, paper_test=False, store_curve=False,
             median_ids={"FULL": {k: f"{stem}_median_{k}_overall" for k in ("median", "ci_low", "ci_high")}})
        b.km(curve_id, f"{label} by the antibody given first" + (", left-truncated at mAb2" if entry else ""),
             groups, endpoint, entry=entry,
             ids={g.name: f"{stem}_12m_{g.name.lower()}" for g in groups}, test_id=f"{stem}_p" if len(groups) > 1
             else "", paper_test=False,
             median_ids={g.name: {k: f"{stem}_median_{k}_{g.name.lower()}" for k in ("median", "ci_low", "ci_high")}
                         for g in groups})
        rows.append({"label": label, "kind": "header", "indent": 0, "cells": [], "p": f"{stem}_p"
                     if len(groups) > 1 else ""})
        rows.append({"label": "12 months", "kind": "gts_surv", "indent": 1, "p": "",
                     "cells": [f"{stem}_12m_{c}_pct" for c, _ in cols],
                     "lo": [f"{stem}_12m_{c}_ci_low" for c, _ in cols],
                     "hi": [f"{stem}_12m_{c}_ci_high" for c, _ in cols]})
        rows.append({"label": "Median, days (95% CI)", "kind": "gts_cont", "indent": 1, "p": "",
                     "cells": [f"{stem}_median_median_{c}" for c, _ in cols],
                     "lo": [f"{stem}_median_ci_low_{c}" for c, _ in cols],
                     "hi": [f"{stem}_median_ci_high_{c}" for c, _ in cols]})
    header = ["Outcome"] + [f"{'Overall' if c == 'overall' else p.label}, N = {p.n}" for c, p in cols]
    if len(groups) > 1:
        header.append("p-value")
    b.results.tables["table3"] = TableSpec(
        "table3", "Table 3. Survival by the antibody given first", header, rows,
        ["Kaplan-Meier estimate % (95% CI, log transformation); median by R's survfit rule; \u2014, not "
         "reached or not estimable.",
         "Overall survival from mAb1 is left-truncated at the start of mAb2 (a patient counts as at risk from mAb2 "
         "on), which guards against immortal time: every patient had to live to receive both antibodies.",
         "p-value: log-rank test (with delayed entry for overall survival from mAb1)."],
        "Table 3", pct_style="percent", conventions=CONVENTIONS)
    b.block = "Figures"
    cr2 = P["FULL"].where("CR2", "CR after mAb2", eq("resp_mab2", "cr"))
    failure_and_relapse(b, P["FULL"], cr2, at=(365,), failure_curve="failure_mab2", failure_stem="cif_mab2",
                        relapse_curve="cir_nrm_cr2", relapse_stem="cif_cr2", extension=False)
    _absent_group(b, P, groups)


def _absent_group(b: Builder, P, groups) -> None:
    """With one mAb1 group only, the other group's survival estimates and every log-rank test are records without
    a value, each with the reason (the text and figures name them)."""
    missing = [P[k] for k in ("BF", "IF") if not P[k].n]
    if not missing:
        return
    why = "; ".join(empty_reason(p) for p in missing)
    for endpoint, label, _, _ in SURVIVAL:
        stem = f"t3_{endpoint}"
        b.results.add(Record(f"{stem}_p", None, "p_value", quantity=f"{label} (log-rank)",
                             population=" vs ".join(g.name for g in groups), method="not tested",
                             note="not tested: only one group (" + why.replace("not computed: ", "") + ")",
                             block=b.block))
        for pop in missing:
            c = pop.name.lower()
            for rid, st in ((f"{stem}_12m_{c}_pct", "estimate_pct"), (f"{stem}_12m_{c}_ci_low", "ci_low_pct"),
                            (f"{stem}_12m_{c}_ci_high", "ci_high_pct"), (f"{stem}_median_median_{c}", "median"),
                            (f"{stem}_median_ci_low_{c}", "days"), (f"{stem}_median_ci_high_{c}", "days")):
                b.results.add(Record(rid, None, st, quantity=label, population=pop.name, note=empty_reason(pop),
                                     block=b.block))


def too_small(b: Builder, groups) -> str:
    """Why the mAb1 groups are not compared (a group below ``min_group_n``; study-definition 6.6), or ''."""
    small = [g for g in groups if g.n < b.params.min_group_n]
    if not small:
        return ""
    return ("not tested: " + "; ".join(f"'{g.label}' has {g.n} patient{'s' if g.n != 1 else ''}" for g in small)
            + f", below the minimum of {b.params.min_group_n} (study-definition 6.6)")


def _min_size_rule(b: Builder, groups, table_ids) -> None:
    """No test for a group of fewer than ``min_group_n``: the tables' p-values become records without a value and
    the reason (gtsummary's add_p ignores group size; the plan does not), and the p-value footnote says so."""
    why = too_small(b, groups)
    if not why or len(groups) < 2:
        return
    for tid in table_ids:
        spec = b.results.tables[tid]
        ids = [r["p"] for r in spec.rows if r.get("p")]
        mark_not_computed(b.results, ids, why)
        for rid in ids:
            b.results.records[rid].method = "not tested"
        spec.footnotes = [f for f in spec.footnotes if not f.startswith("p-value:")] + \
            [f"No p-values: {why.removeprefix('not tested: ')}."]


# comparisons by mAb1 that the cohort's selection decides (every patient had to receive both antibodies): the flag
# goes into the record's note (and a footnote), whether or not the test could be run
SELECTION_ARTEFACT = (
    "selection artefact: every patient had to receive mAb2, and the second antibody follows the failure of the first "
    "in most patients given blinatumomab first (inotuzumab is given for relapsed or refractory disease), while "
    "patients given inotuzumab first can receive blinatumomab in remission (MRD or consolidation); a difference in "
    "relapse after mAb1 reflects how the cohort was selected, not the antibodies' effect")
ARTEFACT_RECORDS = ("table2_relapse_mab1_p", "t3_efs_mab1_p")  # EFS from mAb1 ends at that relapse


def _flag_artefacts(b: Builder, ids=ARTEFACT_RECORDS) -> None:
    for rid in ids:
        r = b.results.records.get(rid)
        if r is not None:
            r.note = f"{r.note}; {SELECTION_ARTEFACT}" if r.note else SELECTION_ARTEFACT
    spec = b.results.tables.get("table2")
    if spec is not None and "table2_relapse_mab1_p" in ids:
        spec.footnotes = list(spec.footnotes) + [
            "Relapse or progression after mAb1 by the antibody given first: " + SELECTION_ARTEFACT + "."]


PARAGRAPHS = {
    "Patients": [
        "The patients who received both antibodies had a median age at diagnosis of {table1_age_dx_median_overall} "
        "years (Q1-Q3, {table1_age_dx_q1_overall}-{table1_age_dx_q3_overall}). {table2_cr_mab1_n_overall} "
        "({table2_cr_mab1_pct_overall}%) attained CR, CRh or CRi after mAb1 and {table2_cr_mab2_n_overall} "
        "({table2_cr_mab2_pct_overall}%) after mAb2. {table2_tx_n_overall} ({table2_tx_pct_overall}%) underwent "
        "alloHSCT after mAb2.",
    ],
    "Survival": [
        "One-year overall survival from mAb1, counting patients at risk from the start of mAb2, was "
        "{t3_os_mab1_12m_overall_pct}% (95% CI, {t3_os_mab1_12m_overall_ci_low}%-{t3_os_mab1_12m_overall_ci_high}%): "
        "{t3_os_mab1_12m_bf_pct}% with blinatumomab first and {t3_os_mab1_12m_if_pct}% with inotuzumab first "
        "(log-rank P = {t3_os_mab1_p}). One-year event-free survival from mAb1 was {t3_efs_mab1_12m_overall_pct}%.",
        "The cumulative incidence of treatment failure (relapse, progression or no response) one year after mAb2 was "
        "{cif_mab2_failure_d365_pct}%, and of death without it {cif_mab2_death_no_failure_d365_pct}%. Among the "
        "patients in CR after mAb2, the cumulative incidence of relapse one year after the CR date was "
        "{cif_cr2_relapse_d365_pct}% and of non-relapse mortality {cif_cr2_nrm_d365_pct}%.",
    ],
}
# the survival sentence when the groups cannot be compared (a group below the minimum size): no group estimates
SURVIVAL_UNCOMPARED = (
    "One-year overall survival from mAb1, counting patients at risk from the start of mAb2, was "
    "{t3_os_mab1_12m_overall_pct}% (95% CI, {t3_os_mab1_12m_overall_ci_low}%-{t3_os_mab1_12m_overall_ci_high}%); "
    "the groups by the antibody given first were not compared ({why}). One-year event-free survival "
    "from mAb1 was {t3_efs_mab1_12m_overall_pct}%.")


def _text(res: ResultSet, uncompared: str = "") -> None:
    """The Results paragraphs; ``uncompared`` (why the mAb1 groups are not compared) replaces the comparison."""
    res.text = {k: list(v) for k, v in PARAGRAPHS.items()}
    if uncompared:
        why = uncompared.removeprefix("not tested: ").replace("{", "(").replace("}", ")")
        res.text["Survival"][0] = SURVIVAL_UNCOMPARED.replace("{why}", why)


__all__ = ["run", "SequenceParams", "populations", "analysis_frame", "NAME", "TITLE", "TABLE1", "TABLE2"]
