"""Data completeness, computed into the results (the report only renders it).

* Missing values per analysis variable among the included patients.
* Follow-up completeness (Clark's completeness index, Lancet 2002;359:1309): observed person-time divided by the
  person-time each patient would have had to the data cut-off, from the start of mAb2.

Each record gets its R check (results/rscript.py): ``missing`` / ``missing_pct`` count the missing values of the
released adsl.csv column, ``unknown`` / ``unknown_pct`` the distinct patients of unknowns.csv (the values left
unknown for want of an input, results/release.release_unknowns). Clark's index stays listed: its potential
person-time needs each patient's days from mAb2 to the cut-off, which no output releases.
"""
from __future__ import annotations

import pandas as pd

from .records import Record, ResultSet, TableSpec
from .release import day_name, is_date

# the group of every completeness figure: the included patients, all rows of adsl.csv (R: TRUE)
_ALL = {"FULL": "TRUE"}
# a derived variable that codes an unknown value as a level (not as a missing value): variable -> that level
MISSING_LEVEL = {"cyto_risk": "missing"}
# why Clark's index is not recomputed in R (an R check's reason: results/rscript.py lists the record with it)
CLARK_NOT_RELEASED = ("uses each living patient's days from mAb2 to the data cut-off (the potential person-time), "
                      "which adsl.csv does not release: with the cut-off date the report prints it gives the "
                      "patient's mAb1 date (results/release.py); the observed person-time alone is not the index")


def is_missing(s: pd.Series, var: str) -> pd.Series:
    """A missing value of ``var``: no value, or the level the derivation gives an unknown value
    (:data:`MISSING_LEVEL`, e.g. cytogenetic risk 'missing')."""
    level = MISSING_LEVEL.get(var)
    return s.isna() | (s == level) if level is not None else s.isna()

VARIABLES = [
    ("age_dx", "Age at diagnosis"), ("sex", "Sex"), ("cyto_risk", "Cytogenetic risk"), ("blasts_mab1",
                                                                                       "Marrow blasts at mAb1"),
    ("blina_cycles", "Blinatumomab cycles"), ("ino_cycles", "Inotuzumab cycles"),
    ("resp_mab1", "Response to mAb1"), ("resp_mab2", "Response to mAb2"),
    ("cd19_event1", "CD19 at the relapse after mAb1"), ("cd22_event2", "CD22 at the relapse after mAb2"),
    ("last_date", "Last contact or death"),
]


# labels of the other derived values that can be unknown for want of an input (their rows name the input)
UNKNOWN_LABELS = {
    "cd22_event1": "CD22 at the relapse after mAb1", "cd19_event2": "CD19 at the relapse after mAb2",
    "site_mab1": "Site of disease at mAb1", "burden_mab1": "Disease burden at mAb1", "tx_status": "Disease status at alloHSCT",
    "no_tx_reason": "Reason for no alloHSCT", "crs_blina": "CRS grade with blinatumomab",
    "icans_blina": "ICANS grade with blinatumomab", "days_mab2_tx": "Days from mAb2 to alloHSCT",
    "crs_any_blina": "CRS (any grade) with blinatumomab", "icans_any_blina": "ICANS (any grade) with blinatumomab",
    "mrd_mab1": "MRD status at CR after mAb1", "mrd_mab2": "MRD status at CR after mAb2",
    "resp_mab1_date": "Date of the response to mAb1", "resp_mab2_date": "Date of the response to mAb2",
    "nonresponse_mab1_date": "Date non-response to mAb1 was documented (EFS sensitivity 'failure_date')",
    "tx_sex_pair": "Recipient-donor sex", "tx_hla_category": "HLA match (of 10)",
    "tx_regimen": "Conditioning regimen", "tx_cond_flu_cy_thio": "Conditioning with fludarabine, cyclophosphamide "
    "and thiotepa", "tx_gvhd_ppx": "GVHD prophylaxis", "cr_after_mab2_blina": "CR to blinatumomab after mAb2",
    "cr_after_mab2_ino": "CR to inotuzumab after mAb2", "cr_after_mab2_cart": "CR to CAR T cells after mAb2",
    "state_mab1": "Disease state at the start of mAb1", "state_mab2": "Disease state at the start of mAb2",
    "site_event1": "Site of the relapse after mAb1", "frontline": "Response to frontline therapy",
    "ino_plus_chemo": "Chemotherapy with inotuzumab", "sos_severity": "SOS severity",
    "death_cause": "Primary cause of death", "status_last": "Status at last contact",
    "salvage_cr": "CR to salvage after mAb2", "ph_pos": "Ph-positive", "kmt2a_r": "KMT2A rearranged",
    "emd_before_mab1": "Extramedullary disease before mAb1", "cns_event1": "CNS at the relapse after mAb1",
    "ponatinib_with_blina": "Ponatinib with blinatumomab", "sos_fatal": "Fatal SOS",
    "transaminitis_ino": "Transaminase increase after inotuzumab", "hyperbili_ino": "Bilirubin increase after "
    "inotuzumab",
}

SHIFTED = ("not computed: the dates are shifted per patient (a de-identified cohort), so the time from each "
           "patient's dates to the cut-off is not known")


def add_completeness(results: ResultSet, adsl: pd.DataFrame, cutoff, *, dates_shifted: bool = False,
                     unknowns: pd.DataFrame | None = None, absent: list[str] | None = None) -> None:
    """The missing-value counts, and Clark's index unless ``dates_shifted`` (then a record without a value and
    the reason: a per-patient date shift keeps intervals within a patient, not the distance to the cut-off).

    ``unknowns`` (patient_id, variable, rule, input: the derivations' findings) adds, per derived variable and
    missing input, the number of included patients whose value is unknown for want of that input (e.g. the
    response to mAb1 unknown because ``pb_blasts`` is missing); ``absent`` lists the inputs the whole cohort
    lacks, each one row, said once."""
    n = len(adsl)
    rows = []
    labels = {**dict(VARIABLES), **UNKNOWN_LABELS}
    if unknowns is not None and len(unknowns):
        inc = set(adsl["patient_id"].tolist()) if "patient_id" in adsl.columns else set()
        u = unknowns[unknowns["patient_id"].isin(inc)]
        for (var, inp), g in sorted(u.groupby(["variable", "input"])["patient_id"], key=lambda kv: kv[0]):
            ids = tuple(sorted(set(g)))
            rid = f"dq_unknown_{var}__{inp}"
            label = f"{labels.get(var, var)} unknown: missing {inp}"
            results.add(Record(rid, len(ids), "n", quantity=label, denominator=n, population="FULL", patients=ids,
                               decimals=0, method=f"values of {var} left unknown "
                               f"for want of {inp}", block="Data completeness"))
            results.add(Record(rid + "_pct", 100 * len(ids) / n if n else None, "pct", quantity=label,
                               denominator=n, population="FULL", decimals=1, block="Data completeness"))
            rows.append({"label": label, "kind": "n_pct", "indent": 0, "cells": [rid], "p": ""})
            for kind, cid in (("unknown", rid), ("unknown_pct", rid + "_pct")):
                results.checks.append({"id": cid, "kind": kind, "groups": dict(_ALL), "var": var, "stat": inp,
                                       "den": _ALL["FULL"]})
    for i, text in enumerate(absent or []):
        rid = f"dq_absent_input_{i + 1}"
        results.add(Record(rid, None, "n", quantity="input absent from the whole cohort", population="FULL",
                           decimals=0, block="Data completeness", note=f"MISSING INPUT: {text}"))
        rows.append({"label": f"MISSING INPUT: {text}", "kind": "value", "indent": 0, "cells": [rid], "p": ""})
    for var, label in VARIABLES:
        if var not in adsl.columns:
            continue
        s = adsl[var]
        mask = is_missing(s, var)
        miss = int(mask.sum())
        rid = f"dq_missing_{var}"
        results.add(Record(rid, miss, "n", quantity=f"missing: {label}", denominator=n, population="FULL",
                           patients=tuple(adsl.loc[mask, "patient_id"]),
                           decimals=0, method="count of missing values", block="Data completeness"))
        results.add(Record(rid + "_pct", 100 * miss / n if n else None, "pct", quantity=f"missing: {label}",
                           denominator=n, population="FULL", decimals=1, block="Data completeness"))
        rows.append({"label": label, "kind": "n_pct", "indent": 0, "cells": [rid], "p": ""})
        # adsl.csv's name of the column (a date is released as days from mAb1: last_date -> last_day)
        col = day_name(var) if var.endswith("_date") or s.map(is_date).any() else var
        for kind, cid in (("missing", rid), ("missing_pct", rid + "_pct")):
            results.checks.append({"id": cid, "kind": kind, "groups": dict(_ALL), "var": f"`{col}`",
                                   "stat": MISSING_LEVEL.get(var), "den": _ALL["FULL"]})
    # Clark's completeness index from mAb2
    obs = pot = 0
    cols = [adsl[c].tolist() for c in ("mab2_start", "last_date", "dead")] if n else [[], [], []]
    for start, last, dead in zip(*cols):
        if start is None or last is None or pd.isna(start) or pd.isna(last):
            continue
        obs += (last - start).days
        pot += (cutoff - start).days if not dead else (last - start).days
    # deaths are complete follow-up: their potential time ends at death
    ci = 100 * obs / pot if pot and not dates_shifted else None
    results.add(Record("dq_followup_completeness_pct", ci, "pct", quantity="follow-up completeness (Clark's C) from "
                       "mAb2 to the cut-off", population="FULL", patients=tuple(adsl["patient_id"].tolist()), decimals=1,
                       method="observed / potential person-time", block="Data completeness",
                       note=SHIFTED if dates_shifted else ""))
    if ci is not None:
        results.checks.append({"id": "dq_followup_completeness_pct", "kind": "clark", "groups": dict(_ALL),
                               "reason": CLARK_NOT_RELEASED})
    rows.append({"label": "Follow-up completeness to the cut-off (Clark's C, %)", "kind": "value", "indent": 0,
                 "cells": ["dq_followup_completeness_pct"], "p": ""})
    results.tables["completeness"] = TableSpec(
        "completeness", "Data completeness", ["Variable", f"Missing, n (%) of {n}"], rows,
        ["Clark's completeness index: observed person-time over the person-time to the data cut-off (deaths count "
         "as complete)."], "Data completeness")
