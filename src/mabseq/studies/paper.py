"""The `paper` preset: Wudhikarn et al., Blood Adv 2022;6(5):1432, as its analysis plan
(`study-definition.md`) states it. Each block below names its population, origin and statistic; record ids equal
the ids of `published-results.csv` wherever a record corresponds to a printed number.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ..cohort.model import Cohort
from ..derive import DeriveParams
from ..results.records import Record, ResultSet, TableSpec
from ..results.rfilter import r_expr
import re

from .builder import (MONTH_DAYS, NO_TOXICITY, NOBODY, AnalysisParams, Builder, Pop, empty_reason, eq as _eq,
                      mark_not_computed, not_computed, start_study, tables_empty)
from .flow import sequence_flow, set_timelines, swimmer_reason

NAME = "paper"
AGVHD_GRADES = (1, 2, 3, 4)  # the overall grades I-IV (derive/agvhd.py: 'ungraded' and None are no recorded grade)
# display labels of the competing causes of the preset's cumulative-incidence curves (the groups' labels are their
# populations' labels); Builder.cif puts them on each curve, the figures read them from there
CAUSE_LABELS = {"relapse": "Relapse", "nrm": "Non-relapse mortality", "agvhd2_4": "Acute GVHD grade II-IV",
                "agvhd3_4": "Acute GVHD grade III-IV", "death": "Death"}
TITLE = ("Outcomes of relapsed B-cell ALL after sequential treatment with blinatumomab and inotuzumab "
         "(Wudhikarn et al., Blood Adv 2022)")


@dataclass
class PaperParams:
    derive: DeriveParams = field(default_factory=DeriveParams)
    analysis: AnalysisParams = field(default_factory=AnalysisParams)


def populations(adsl: pd.DataFrame) -> dict[str, Pop]:
    full = Pop("FULL", "All patients", adsl)
    bf = full.where("BF", "Blinatumomab mAb1", _eq("seq", "BF"))
    P = {"FULL": full, "BF": bf, "IF": full.where("IF", "Inotuzumab mAb1", _eq("seq", "IF"))}
    P["BF-INT"] = bf.where("BF-INT", "Received interim therapy", lambda f: f["interim"] == True)  # noqa: E712
    P["BF-NOINT"] = bf.where("BF-NOINT", "No interim therapy", lambda f: f["interim"] != True)  # noqa: E712
    P["BF-CD19N"] = bf.where("BF-CD19N", "CD19 neg/dim relapse", _eq("cd19_event1", "negdim"))
    P["BF-CD19P"] = bf.where("BF-CD19P", "CD19 pos relapse", _eq("cd19_event1", "pos"))
    P["BF-CRB"] = bf.where("BF-CRB", "CR to blinatumomab", _eq("resp_mab1", "cr"))
    P["BF-NCRB"] = bf.where("BF-NCRB", "No CR to blinatumomab", _eq("resp_mab1", "nr"))
    P["BF-CRI"] = bf.where("BF-CRI", "CR to inotuzumab", _eq("resp_mab2", "cr"))
    P["BF-NCRI"] = bf.where("BF-NCRI", "No CR to inotuzumab", _eq("resp_mab2", "nr"))
    P["CR2"] = full.where("CR2", "CR after mAb2", _eq("resp_mab2", "cr"))
    P["TX"] = full.where("TX", "alloHSCT after mAb2", lambda f: f["tx"] == True)  # noqa: E712
    P["NTX"] = full.where("NTX", "No alloHSCT after mAb2", lambda f: f["tx"] != True)  # noqa: E712
    tx = P["TX"]
    P["TX-ENG"] = tx.where("TX-ENG", "Engrafted", lambda f: f["engraft_days"].notna())
    P["TX-DEAD"] = tx.where("TX-DEAD", "Died after alloHSCT", lambda f: f["dead"] == True)  # noqa: E712
    P["TX-GR"] = tx.where("TX-GR", "aGVHD with a recorded grade",
                          lambda f: f["agvhd_grade"].isin(AGVHD_GRADES))
    P["SOS"] = tx.where("SOS", "Hepatic SOS", lambda f: f["sos"] == True)  # noqa: E712
    P["NTX-SALV"] = P["NTX"].where("NTX-SALV", "Further lines after mAb2", lambda f: f["n_lines_after_mab2"] > 0)
    P["BF-CD22"] = bf.where("BF-CD22", "CD22 known at relapse after inotuzumab", lambda f: f["cd22_event2"].notna())
    P["TX-MAC"] = tx.where("TX-MAC", "Myeloablative", _eq("tx_conditioning_intensity", "mac"))
    P["TX-RIC"] = tx.where("TX-RIC", "Reduced intensity / non-myeloablative",
                           lambda f: f["tx_conditioning_intensity"].isin(["ric", "nma"]))
    return P


def run(cohort: Cohort, params: PaperParams | None = None, *, synthetic: bool = False,
        source: str = "") -> tuple[ResultSet, object]:
    params = params or PaperParams()
    dc, res = start_study(cohort, params.derive, NAME, TITLE, synthetic=synthetic, source=source)
    res.meta["group_labels"] = dict(CAUSE_LABELS)
    adsl = dc.adsl
    from .paper_paragraphs import PARAGRAPHS
    from .paper_corrected import attach_corrections, explain_absent_placeholders
    if not len(adsl):
        return _nobody_included(res, dc, PARAGRAPHS), dc
    P = populations(adsl)
    b = Builder(res, dc.adtte, params.analysis, cohort=cohort, derive_params=params.derive, derived=dc)
    _flow(res, dc, P)
    _table1(b, P)
    _table2(b, P)
    _table3(b, P)
    _text(b, P, adsl)
    _survival(b, P)
    _extensions(b, P)
    attach_corrections(res)
    if b.extra_tte:  # the sensitivity analyses' own endpoints, into adtte.csv for the R check (plan_analyses.py)
        dc.adtte = pd.concat([dc.adtte, *b.extra_tte], ignore_index=True)
    if tables_empty(cohort, "toxicity_episodes", "toxicity_observations"):
        _toxicity_unknown(res, agvhd_recorded=bool(cohort["transplants"]["agvhd_max_grade"].notna().any()))
    res.text = {k: list(v) for k, v in PARAGRAPHS.items()}
    explain_absent_placeholders(res)
    for section, pop in (("Blinatumomab first", "BF"), ("Inotuzumab first", "IF"),
                         ("Patients transplanted after mAb2", "TX"), ("Patients not transplanted after mAb2", "NTX")):
        if not P[pop].n:
            not_computed(res, section, section, empty_reason(P[pop]), kind="text", block="Results")
    set_timelines(res, dc.timelines)
    swimmer_reason(res)
    return res, dc


# records that count a toxicity of the toxicity tables (not a cause of death, which the follow-up table records)
TOXICITY_ID = re.compile(r"crs|icans|hepatotox|transaminitis|hyperbili|sos|agvhd")


def _toxicity_unknown(res: ResultSet, agvhd_recorded: bool = False) -> None:
    """No toxicity collected at all: every toxicity count, percentage and incidence is unknown, with the reason.
    aGVHD is spared when the transplant rows carry a maximum grade (derive/agvhd.py: its own unknowns stay unknown)."""
    def hit(i):
        return TOXICITY_ID.search(i) and not (agvhd_recorded and "agvhd" in i)
    mark_not_computed(res, [i for i in res.records if hit(i) and "_cod_" not in i], NO_TOXICITY)
    for cid in [c for c in res.curves if hit(c)]:
        not_computed(res, cid, res.curves.pop(cid).title, NO_TOXICITY, kind="figure", block="EXT")
    for cid, entry in res.meta.get("not_computed", {}).items():  # a curve already not drawn: the deeper reason
        if hit(cid) and entry["kind"] == "figure":
            entry["reason"] = NO_TOXICITY


TABLE_TITLES = {"table1": "Table 1. Baseline characteristics of patients who received both blinatumomab and "
                          "inotuzumab",
                "table2": "Table 2. Characteristics of patients who received blinatumomab mAb1 and inotuzumab mAb2 "
                          "stratified according to the receipt of other interim therapy between mAb1 and mAb2",
                "table3": "Table 3. Patients who underwent alloHSCT after mAb2"}


def _nobody_included(res: ResultSet, dc, paragraphs) -> ResultSet:
    """No patient meets the inclusion criteria: the patient flow with every exclusion and its reason, and every
    other section listed as not computed (the report is complete and says why it is empty)."""
    full = Pop("FULL", "All patients", dc.adsl)
    sequence_flow(res, dc, {"FULL": full})
    Builder(res, pd.DataFrame(), block="Figure 1").count(
        "fig1_n_total", 0, full, quantity="patients in the consort diagram", statistic="count_of")
    for tid, title in TABLE_TITLES.items():
        not_computed(res, tid, title, NOBODY, kind="table", block=title.split(".")[0])
    not_computed(res, "survival_figures", "Survival figures (Figures 2-4)", NOBODY, kind="figure",
                 block="Figures 2-4")
    not_computed(res, "extensions", "Beyond the paper", NOBODY, kind="analysis", block="EXT")
    res.text = {k: list(v) for k, v in paragraphs.items()}
    for section in res.text:
        not_computed(res, section, section, NOBODY, kind="text", block="Results")
    set_timelines(res, dc.timelines)
    swimmer_reason(res)
    return res


# ---- Figure 1: patient flow --------------------------------------------------------------------------------------
def _flow(res: ResultSet, dc, P) -> None:
    sequence_flow(res, dc, P)
    b = Builder(res, pd.DataFrame(), block="Figure 1")
    b.count("fig1_n_total", P["FULL"].n, P["FULL"], quantity="patients in the consort diagram",
            patients=P["FULL"].ids, statistic="count_of")
    b.n_pct("fig1_blina_mab1_n", None, P["FULL"], _eq("seq", "BF"), quantity="blinatumomab mAb1 then inotuzumab mAb2")
    b.n_pct("fig1_ino_mab1_n", None, P["FULL"], _eq("seq", "IF"), quantity="inotuzumab mAb1 then blinatumomab mAb2")


# ---- Table 1 -----------------------------------------------------------------------------------------------------
T1_COLS = (("all", "FULL"), ("blina1", "BF"), ("ino1", "IF"))


def _table1(b: Builder, P) -> None:
    b.block = "Table 1"
    rows = []

    def cat(stem, label, var, indent=0):
        for suffix, pop in T1_COLS:
            b.n_pct(f"t1_{stem}_n_{suffix}", f"t1_{stem}_pct_{suffix}", P[pop], var, quantity=label, variable=stem)
        rows.append({"label": label, "kind": "n_pct", "indent": indent,
                     "cells": [f"t1_{stem}_n_{s}" for s, _ in T1_COLS], "p": ""})

    def cont(stem, label, var, stats, decimals=0):
        for suffix, pop in T1_COLS:
            b.summary(f"t1_{stem}", f"_{suffix}", P[pop], var, stats=stats, quantity=label, decimals=decimals,
                      variable=stem)
        kind = "median_iqr" if "q1" in stats else "median_range"
        rows.append({"label": label, "kind": kind, "indent": 0, "cells": [f"t1_{stem}_median_{s}" for s, _ in T1_COLS],
                     "p": "", "decimals": decimals})

    for suffix, pop in T1_COLS:
        b.count(f"t1_n_{suffix}", P[pop].n, P[pop], quantity="column size (patients)", patients=P[pop].ids,
                statistic="count_of")
    cont("age_dx", "Median age at diagnosis (IQR, y)", "age_dx", ("median", "q1", "q3"), 1)
    cat("male", "Male sex", _eq("sex", "male"))
    rows.append({"label": "Cytogenetic stratification*", "kind": "header", "indent": 0, "cells": [], "p": ""})
    cat("cyto_high", "High risk", _eq("cyto_risk", "high"), 1)
    cat("cyto_std", "Standard risk", _eq("cyto_risk", "standard"), 1)
    cat("cyto_missing", "Missing data", _eq("cyto_risk", "missing"), 1)
    cat("ph_pos", "Philadelphia chromosome-positive B-ALL", "ph_pos")
    cat("emd", "Presence of extramedullary disease", "emd_before_mab1")
    rows.append({"label": "Complete response to first-line induction therapy", "kind": "header", "indent": 0,
                 "cells": [], "p": ""})
    cat("firstline_relapse_after_cr", "Relapse after achieving CR", _eq("frontline", "cr"), 1)
    cat("firstline_refractory", "Refractory", _eq("frontline", "refractory"), 1)
    cont("prior_lines", "Median no. of prior treatment lines before first mAb (range, lines)", "prior_lines",
         ("median", "min", "max"))
    cat("prior_allohsct", "Prior alloHSCT before mAb1", "prior_hsct")
    cat("prior_cart", "Prior CD19 CAR T-cell therapy before mAb1", "prior_cart")
    cont("bm_blast", "Median bone marrow blast percentage at mAb1 (IQR, %)", "blasts_mab1", ("median", "q1", "q3"))
    cat("mrd_at_mab1", "MRD at the time of mAb1", _eq("burden_mab1", "mrd"))
    cont("time_mab1_mab2", "Median time from mAb1 to mAb2 (IQR, d)", "days_mab1_mab2", ("median", "q1", "q3"))
    cat("interim", "Received interim treatment between 2 mAbs", "interim")
    cont("blina_cycles", "Median number of blinatumomab cycles (range, cycles)", "blina_cycles",
         ("median", "min", "max"))
    cont("ino_cycles", "Median number of inotuzumab cycles (range, cycles)", "ino_cycles", ("median", "min", "max"))
    cat("allohsct_after_mab2", "alloHSCT after mAb2", "tx")
    b.results.tables["table1"] = TableSpec(
        "table1", "Table 1. Baseline characteristics of patients who received both blinatumomab and inotuzumab",
        ["Characteristic"] + [f"{P[p].label} (N = {P[p].n})" if p == "FULL" else f"{P[p].label} (n = {P[p].n})"
                              for _, p in T1_COLS], rows,
        ["Data are presented as no. (%) unless otherwise indicated.", "*Based on UKALLXII/ECOG2993."], "Table 1")


# ---- Table 2 -----------------------------------------------------------------------------------------------------
T2_COLS = (("all", "BF"), ("nointerim", "BF-NOINT"), ("interim", "BF-INT"))


def _table2(b: Builder, P) -> None:
    b.block = "Table 2"
    if not P["BF"].n:
        not_computed(b.results, "table2", TABLE_TITLES["table2"], empty_reason(P["BF"]), kind="table",
                     block="Table 2")
        return
    rows = []
    groups = [P["BF-NOINT"], P["BF-INT"]]

    def cat(stem, label, var, test=True, indent=0, test_var=None, p_id=None):
        for suffix, pop in T2_COLS:
            b.n_pct(f"t2_{stem}_n_{suffix}", f"t2_{stem}_pct_{suffix}", P[pop], var, quantity=label, variable=stem)
        pid = ""
        if test:
            pid = p_id or f"t2_{stem}_p"
            tv = test_var if test_var is not None else (lambda f, v=var: _as_yes_no(f, v))
            b.categorical(pid, groups, tv, quantity=label)
        rows.append({"label": label, "kind": "n_pct", "indent": indent,
                     "cells": [f"t2_{stem}_n_{s}" for s, _ in T2_COLS], "p": pid})

    def header(label, p_id, var):
        b.categorical(p_id, groups, var, quantity=label)
        rows.append({"label": label, "kind": "header", "indent": 0, "cells": [], "p": p_id})

    def cont(stem, label, var, stats):
        for suffix, pop in T2_COLS:
            b.summary(f"t2_{stem}", f"_{suffix}", P[pop], var, stats=stats, quantity=label, decimals=1
                      if stem == "age_dx" else 0, variable=stem)
        b.kw(f"t2_{stem}_p", groups, var, quantity=label)
        rows.append({"label": label, "kind": "median_iqr" if "q1" in stats else "median_range", "indent": 0,
                     "cells": [f"t2_{stem}_median_{s}" for s, _ in T2_COLS], "p": f"t2_{stem}_p",
                     "decimals": 1 if stem == "age_dx" else 0})

    for suffix, pop in T2_COLS:
        b.count(f"t2_n_{suffix}", P[pop].n, P[pop], quantity="column size (patients)", patients=P[pop].ids,
                statistic="count_of")
    cont("age_dx", "Median age at diagnosis (IQR, y)", "age_dx", ("median", "q1", "q3"))
    cat("age_gt45", "Age >45 y", lambda f: f["age_dx"] > 45)
    cat("male", "Male sex", _eq("sex", "male"))
    cont("prior_lines", "Median number of prior lines of therapy before blinatumomab (range, lines)", "prior_lines",
         ("median", "min", "max"))
    cat("prior_allohsct", "Prior alloHSCT before mAb1", "prior_hsct")
    cat("cyto_high", "High-risk cytogenetic abnormalities", _eq("cyto_risk", "high"))
    cat("ph_pos", "Philadelphia chromosome positive", "ph_pos")
    cat("mll_r", "Presence of MLL rearrangement", "kmt2a_r")
    header("Disease burden at the time of blinatumomab mAb1", "t2_burden_mab1_p", "burden_mab1")
    cat("burden_mrd", "MRD", _eq("burden_mab1", "mrd"), test=False, indent=1)
    cat("burden_morph", "Morphologic disease", _eq("burden_mab1", "morphologic"), test=False, indent=1)
    header("Site of disease at the time of blinatumomab mAb1", "t2_site_mab1_p", "site_mab1")
    cat("site_mab1_marrow", "Isolated marrow", _eq("site_mab1", "marrow"), test=False, indent=1)
    cat("site_mab1_em", "Isolated extramedullary", _eq("site_mab1", "extramedullary"), test=False, indent=1)
    cat("site_mab1_both", "Both", _eq("site_mab1", "both"), test=False, indent=1)
    cont("blina_cycles", "Median no. of blinatumomab mAb1 cycles (range, cycles)", "blina_cycles",
         ("median", "min", "max"))
    header("Best response to blinatumomab mAb1", "t2_best_resp_blina_p", "resp_mab1")
    cat("best_resp_blina_cr", "CR", _eq("resp_mab1", "cr"), test=False, indent=1)
    cat("best_resp_blina_nr", "No response", _eq("resp_mab1", "nr"), test=False, indent=1)
    cont("time_blina_to_relapse", "Median time from blinatumomab to progression/relapse (IQR, d)", "days_mab1_event",
         ("median", "q1", "q3"))
    header("Site of disease at the time of relapse following blinatumomab mAb1", "t2_site_relapse_p", "site_event1")
    cat("site_relapse_marrow", "Isolated marrow", _eq("site_event1", "marrow"), test=False, indent=1)
    cat("site_relapse_em", "Isolated extramedullary", _eq("site_event1", "extramedullary"), test=False, indent=1)
    cat("site_relapse_both", "Both", lambda f: f["site_event1"].isin(["combined", "both"]), test=False, indent=1)
    cat("cns_relapse", "Central nervous system involvement at the time of relapse after blinatumomab mAb1",
        "cns_event1")
    header("Response to inotuzumab mAb2", "t2_cr_ino_p", "resp_mab2")
    cat("cr_ino", "CR", _eq("resp_mab2", "cr"), test=False, indent=1)
    cat("nr_ino", "No response", _eq("resp_mab2", "nr"), test=False, indent=1)
    b.results.tables["table2"] = TableSpec(
        "table2", "Table 2. Characteristics of patients who received blinatumomab mAb1 and inotuzumab mAb2 stratified "
        "according to the receipt of other interim therapy between mAb1 and mAb2",
        ["Characteristic", f"All (N = {P['BF'].n})", f"No interim therapy (n = {P['BF-NOINT'].n})",
         f"Received interim therapy (n = {P['BF-INT'].n})", "P"], rows,
        ["Kruskal-Wallis test for continuous rows; Pearson chi-square without continuity correction when the "
         "smallest expected count is at least 3, otherwise Fisher's exact test (Fisher-Freeman-Halton for larger "
         "tables).", "MLL, mixed lymphoid lineage."], "Table 2", pct_style="percent", p_threshold=P_SIGNIFICANT)
    mark_published_differences(b.results)


P_SIGNIFICANT = 0.05  # the paper's Methods: "A P value < .05 was considered statistically significant"
# study-definition 1.8: the Table 2 P values the printed counts cannot reproduce (ids and codes: data/paper/reference.csv)
PUBLISHED_P_DIFFERS = {
    "I21": "the published P values of the MLL and CNS rows appear swapped (inconsistencies I21)",
    "I22": "the published P cannot be reproduced from the published counts (inconsistencies I22)",
}


def mark_published_differences(res: ResultSet) -> None:
    """The P values study-definition 1.8 names carry a footnote: computed from the data, and why the published one
    differs. Shown wherever the value is shown (Table 2 marks it and prints the footnote)."""
    from ..results.fidelity import reference
    for rid, ref in reference().items():
        code = re.search(r"\b(I2[12])\b", ref["note"]) if ref["assert"] == "no" else None
        if code and rid.startswith("t2_") and rid.endswith("_p") and rid in res.records:
            res.records[rid].footnote = f"P computed from these data; {PUBLISHED_P_DIFFERS[code.group(1)]}."


def _as_yes_no(f: pd.DataFrame, var) -> pd.Series:
    s = var(f) if callable(var) else f[var] == True  # noqa: E712 (a comparison: R translates it, results/rfilter.py)
    return s.apply(lambda v: "yes" if (v is True or v == 1 or v is np.True_) else "no")


# ---- Table 3 -----------------------------------------------------------------------------------------------------
def _table3(b: Builder, P) -> None:
    b.block = "Table 3"
    tx = P["TX"]
    if not tx.n:
        not_computed(b.results, "table3", TABLE_TITLES["table3"], empty_reason(tx), kind="table", block="Table 3")
        return
    rows = []

    def cat(stem, label, var, indent=1, denominator=None, pop=None):
        b.n_pct(f"t3_{stem}_n", f"t3_{stem}_pct", pop or tx, var, quantity=label, denominator=denominator,
                variable=stem)
        rows.append({"label": label, "kind": "n_pct", "indent": indent, "cells": [f"t3_{stem}_n"], "p": ""})

    def head(label):
        rows.append({"label": label, "kind": "header", "indent": 0, "cells": [], "p": ""})

    b.count("t3_n", tx.n, tx, quantity="column size (patients)", patients=tx.ids, statistic="count_of")
    b.summary("t3_age_tx", "", tx, "age_tx", quantity="age at transplantation (years)", decimals=0, variable="age_tx")
    rows.append({"label": "Median age at transplantation (IQR, y)", "kind": "median_iqr", "indent": 0,
                 "cells": ["t3_age_tx_median"], "p": "", "decimals": 0})
    head("Disease status at the time of transplantation")
    cat("status_mrdneg_cr", "MRD-negative CR", _eq("tx_status", "cr_mrd_neg"))
    cat("status_mrdpos_cr", "MRD-positive CR", _eq("tx_status", "cr_mrd_pos"))
    head("Graft source")
    cat("graft_bm", "Bone marrow", _eq("tx_graft_source", "bm"))
    cat("graft_pb", "Peripheral blood", _eq("tx_graft_source", "pbsc"))
    cat("graft_cord", "Cord blood", lambda f: f["tx_graft_source"].isin(["ucb_single", "ucb_double"]))
    head("Donor")
    cat("donor_related", "Related", lambda f: f["tx_donor_type"].isin(["matched_sibling", "haploidentical",
                                                                       "other_related"]))
    cat("donor_mrd_sib", "HLA matched sibling", _eq("tx_donor_type", "matched_sibling"), indent=2)
    cat("donor_haplo", "HLA haploidentical", _eq("tx_donor_type", "haploidentical"), indent=2)
    cat("donor_unrelated", "Unrelated", lambda f: f["tx_donor_type"].isin(["matched_unrelated",
                                                                           "mismatched_unrelated"]))
    cat("donor_cord", "Umbilical cord blood or haploidentical-umbilical cord",
        lambda f: f["tx_donor_type"].isin(["cord", "haplo_cord"]))
    head("Recipient-donor gender relation")
    # recipient-donor sex (derive/categories.py: NA when either sex is not recorded as male or female)
    for stem, lab, val in (("sex_mm", "Male-male", "male-male"), ("sex_mf", "Male-female", "male-female"),
                           ("sex_fm", "Female-male", "female-male"), ("sex_ff", "Female-female", "female-female")):
        cat(stem, lab, _eq("tx_sex_pair", val))
    cat("sex_na", "NA*", lambda f: f["tx_sex_pair"].isna())
    na_pop = tx.where("TX-NOPAIR", "transplanted, recipient-donor sex not available",
                      lambda f: f["tx_sex_pair"].isna())
    na_pair = na_pop.frame
    cord_match = [_int(v) for v in na_pair["tx_hla_matched"] if _int(v) is not None]
    if len(cord_match) == 1:  # the one recorded value = the maximum over the group, formed in R from its definition
        b._check("t3_fn_cord_hla_match_n", "max", [na_pop], var=r_expr("tx_hla_matched", frame=na_pair))
    b.results.add(Record("t3_fn_cord_hla_match_n", cord_match[0] if len(cord_match) == 1 else None, "n",
                         quantity="HLA match (of 6) of the single cord unit without donor sex (Table 3 footnote)",
                         population="TX", patients=tuple(na_pair["patient_id"].tolist()), paper_ref="t3_fn_cord_hla_match_n",
                         decimals=0, method="recorded allele match", block="Table 3",
                         note="" if len(cord_match) == 1 else
                         f"not computed: {len(cord_match)} transplants without donor sex have a recorded HLA match "
                         "(the footnote describes exactly one)"))
    head("Histocompatibility")
    # derive/categories.py: criteria.transplant.hla_10_category of the matched and typed alleles
    cat("hla_10of10", "10/10 (fully HLA matched)", _eq("tx_hla_category", "10/10"))
    cat("hla_9of10", "9/10 (one HLA locus mismatched)", _eq("tx_hla_category", "9/10"))
    cat("hla_le8of10", "<=8/10 (2 or more loci mismatched including haploidentical HLA)",
        _eq("tx_hla_category", "<=8/10"))
    head("Conditioning regimens")
    # derive/categories.py: criteria.transplant.conditioning_group (the regimen's exact set of agents)
    for stem, lab, key in (("cond_mac_clo_bu", "Clofarabine, busulfan 16 mg/kg", "clo_bu"),
                           ("cond_mac_cy_thio_tbi", "Cyclophosphamide, thiotepa, TBI", "cy_thio_tbi"),
                           ("cond_mac_flu_cy_thio_tbi", "Fludarabine, cyclophosphamide, thiotepa, TBI",
                            "flu_cy_thio_tbi"),
                           ("cond_mac_clo_mel_thio", "Clofarabine, melphalan, thiotepa", "clo_mel_thio"),
                           ("cond_ric_flu_cy_tbi200", "Fludarabine, cyclophosphamide, TBI-200", "flu_cy_tbi"),
                           ("cond_ric_flu_mel", "Fludarabine, melphalan", "flu_mel")):
        cat(stem, lab, _eq("tx_regimen", key), indent=2)
    head("GVHD prophylaxis")
    # derive/categories.py: criteria.transplant.gvhd_prophylaxis_category
    for stem, lab, val in (("gvhdppx_tcd", "Ex vivo T-cell depletion (CD34 selection)", "ex_vivo_TCD_or_CD34_selection"),
                           ("gvhdppx_ptcy", "Posttransplant cyclophosphamide", "PTCy_based"),
                           ("gvhdppx_mtx_cni", "Methotrexate, calcineurin inhibitor", "CNI_MTX"),
                           ("gvhdppx_cni_mmf", "Calcineurin inhibitor, mycophenolate mofetil", "CNI_MMF")):
        cat(stem, lab, _eq("tx_gvhd_ppx", val))
    b.summary("t3_cd34_dose", "", tx, "tx_cd34_dose", quantity="CD34+ dose (x10^6 cells/kg)",
              decimals={"median": 2, "q1": 1, "q3": 1}, variable="cd34_dose")  # as printed: 5.02 (4.7-7.4)
    rows.append({"label": "Median number of CD34+ dose (IQR, x10^6 cells/kg)", "kind": "median_iqr", "indent": 0,
                 "cells": ["t3_cd34_dose_median"], "p": "", "decimals": 2})
    b.summary("t3_engraft_anc", "", P["TX-ENG"], "engraft_days",
              quantity="time from infusion to neutrophil engraftment (days)", variable="engraft_anc")
    rows.append({"label": "Median time from infusion to neutrophil engraftment (IQR, d)", "kind": "median_iqr",
                 "indent": 0, "cells": ["t3_engraft_anc_median"], "p": "", "decimals": 0})
    head("GVHD")
    gr = P["TX-GR"]
    for g in (1, 2, 3, 4):
        cat(f"agvhd_grade{g}", f"Grade {g}", lambda f, g=g: f["agvhd_grade"] == g, pop=gr)
    agvhd_notes = _agvhd_table3(b, tx, gr, rows)
    cat("sos", "SOS", "sos", indent=0)
    cat("relapse_after_tx", "Relapse after alloHSCT", lambda f: f["tx_relapse_date"].notna(), indent=0)
    head("Death after alloHSCT")
    dead = P["TX-DEAD"]
    cat("death_pd", "Died of progressive disease", _eq("death_class", "progression"), pop=dead)
    cat("death_in_remission", "Died in remission", lambda f: f["tx_relapse_date"].isna(), pop=dead)
    b.results.tables["table3"] = TableSpec(
        "table3", f"Table 3. Detailed information of {tx.n} patients who underwent alloHSCT after mAb2",
        ["Characteristic", f"N = {tx.n}"], rows,
        ["Data are presented as no. (%) unless otherwise indicated.", "NA, not applicable; TBI, total body irradiation.",
         "*Donor sex not available (e.g. a single cord blood unit).",
         "GVHD grades are over the patients with a recorded grade; causes of death over those who died.",
         *agvhd_notes],
        "Table 3")


def _agvhd_table3(b: Builder, tx: Pop, gr: Pop, rows: list) -> list[str]:
    """What Table 3 adds when a center records aGVHD as a transplant-level maximum grade (derive/agvhd.py): a row
    for the transplants whose aGVHD is unknown (counted in N as missing, never as grade 0), and footnotes saying how
    many grades have no onset date. Nothing is added to a cohort without either (the paper's layout)."""
    f = tx.frame
    unknown = f["agvhd"].isna() if "agvhd" in f else pd.Series(False, index=f.index)
    notes = []
    if unknown.any():
        b.n_pct("t3_agvhd_unknown_n", "t3_agvhd_unknown_pct", tx, lambda fr: fr["agvhd"].isna(), paper=False,
                variable="agvhd_unknown",
                quantity="acute GVHD not recorded (unknown)",
                rule="derive/agvhd.py: no episode, staging or transplant-level maximum grade")
        rows.append({"label": "aGVHD not recorded (unknown)", "kind": "n_pct", "indent": 1,
                     "cells": ["t3_agvhd_unknown_n"], "p": ""})
        notes.append(f"aGVHD is unknown for {int(unknown.sum())} of {tx.n} transplanted patients (nothing recorded); "
                     "they count as missing in N, not as grade 0.")
    if "agvhd_source" in gr.frame:
        k = int((gr.frame["agvhd_source"] == "transplant row").sum())
        if k:
            notes.append(f"{k} of the {gr.n} aGVHD grades are the transplant row's maximum grade, without an onset "
                         "date.")
    return notes


def _int(v):
    return None if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA else int(v)


# ---- Results text numbers ----------------------------------------------------------------------------------------
def _text(b: Builder, P, adsl) -> None:
    from .paper_text import add_text_records
    add_text_records(b, P, adsl)


# ---- survival (Figures 2-4) ----------------------------------------------------------------------------------------
def _survival(b: Builder, P) -> None:
    from .paper_text import add_survival_records
    add_survival_records(b, P)


def _extensions(b: Builder, P) -> None:
    from .paper_extensions import add_extensions
    from .paper_immortal import add_immortal_time
    add_extensions(b, P)
    add_immortal_time(b, P)


__all__ = ["run", "PaperParams", "populations", "NAME", "TITLE", "MONTH_DAYS"]
