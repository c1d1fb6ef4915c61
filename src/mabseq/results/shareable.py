"""``--shareable``: the results as they may be sent outside the center.

The bundle holds the tables (report.html, tables.docx), the figures and results.json/csv, with small cells
suppressed (``--min-cell``, 5 unless given). Left out, because each names or locates a patient:

* the patient lists of every record, flow box and curve check (provenance ids) and the excluded patients' ids;
* the per-patient timelines (the swimmer plot and its data);
* every calendar date: the data cut-off is given as its year only;
* the analysis datasets (adsl.csv, adtte.csv, excluded.csv, unknowns.csv), the R check that reads them, the
  validation findings and warnings (they quote cells of the input), the input's file name, and ``explain``'s output.

:func:`shareable_results` makes the stripped copy; :func:`readme` says in the bundle what was removed.
"""
from __future__ import annotations

import copy

import pandas as pd

from .records import ResultSet

DEFAULT_MIN_CELL = 5
REMOVED = [
    "patient lists (the provenance ids of every record, flow box and curve check) and the excluded patients' ids",
    "per-patient timelines (the swimmer plot and its data)",
    "calendar dates: the data cut-off is given as its year only",
    "the analysis datasets (adsl.csv, adtte.csv, excluded.csv, unknowns.csv), r_checks.csv and check_in_R.R, "
    "which read them",
    "the validation findings and warnings (findings.json), which quote cells of the input",
    "the name of the input file",
    "fidelity.csv (the report's fidelity section shows the same comparison, suppressed cells withheld)",
]
SOURCE = "the center's cohort (name withheld)"


def shareable_results(results: ResultSet) -> ResultSet:
    """A deep copy of ``results`` without patient ids, per-patient data or calendar dates (suppress small cells
    first: the copy keeps the markers)."""
    res = copy.deepcopy(results)
    res.source = SOURCE
    for r in res.records.values():
        r.patients = ()
    for b in res.flow.boxes:
        b.pop("patients", None)
    if any("patient_id" in e for e in res.flow.excluded):
        counts: dict[str, int] = {}
        for e in res.flow.excluded:
            reason = str(e.get("reason") or "not stated")
            counts[reason] = counts.get(reason, 0) + 1
        res.flow.excluded = [{"reason": r, "n": n} for r, n in sorted(counts.items())]
    res.timelines = pd.DataFrame()
    res.checks = []
    meta = res.meta
    cutoff = str(meta.pop("cutoff", "") or "")
    if cutoff[:4].isdigit():
        meta["cutoff_year"] = cutoff[:4]
    meta.pop("warnings", None)
    meta["shareable"] = True
    return res


def readme(results: ResultSet, files: list[str]) -> str:
    k = results.meta.get("min_cell", DEFAULT_MIN_CELL)
    lines = [
        f"Shareable results of mabseq study '{results.study}'" + (" (SYNTHETIC data)" if results.synthetic else ""),
        "",
        "This folder was made to be sent outside the center. It holds:",
        *[f"  {f}" for f in sorted(f for f in files if not f.startswith("figures/"))],
        *([f"  figures/: {sum(1 for f in files if f.startswith('figures/'))} files (each figure as PDF and PNG at "
           "8 and 17 cm, the flow diagram also as SVG)"] if any(f.startswith("figures/") for f in files) else []),
        "",
        f"Small cells are suppressed with K = {k}: a count of 1 to {k - 1} patients is shown as <{k}; a count from "
        f"which such a count could be derived (a complement within a total, the other parts of a sum, the same "
        f"group elsewhere), a percentage of a suppressed count and a summary of fewer than {k} patients are shown "
        f"as *. In results.json/csv a suppressed record has no value and says what is shown in 'suppressed'.",
        "",
        "Removed from this bundle:",
        *[f"  - {r}" for r in REMOVED],
        "",
        "Survival and incidence estimates, their intervals, p-values and hazard ratios are not counts and are kept; "
        "times are intervals in days from each patient's own origin (the start of mAb1 or mAb2, or the transplant), "
        "never calendar dates.",
    ]
    return "\n".join(lines) + "\n"


__all__ = ["shareable_results", "readme", "DEFAULT_MIN_CELL", "REMOVED"]
