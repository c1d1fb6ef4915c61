"""Run a study on DATA (or on the bundled twin) and produce the files `mabseq run` writes."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .. import __version__
from ..cohort import CohortError, Findings, load_cohort
from ..results import fidelity_summary, fidelity_table
from ..results.completeness import add_completeness
from ..results.provenance import FILE as PROVENANCE, provenance_bytes
from ..results.release import (DATE_ORIGIN, release_adsl, release_age_summaries, release_items, release_text,
                                release_unknowns)
from ..results.rscript import R_SCRIPT, checks_frame
from ..results.shareable import readme, shareable_results
from ..results.suppression import exclusion_counts, suppress_small_cells
from ..safe_text import frame_to_csv
from . import PRESETS
from .twin import TWIN_LABEL, load_twin, twin_folder


@dataclass
class StudyRun:
    study: str
    results: object
    derived: object
    cohort: object
    findings: Findings
    synthetic: bool
    source: str
    input_hash: str


def _hash_folder(path: Path) -> str:
    h = hashlib.sha256()
    files = sorted(path.rglob("*")) if path.is_dir() else [path]
    for f in files:
        if f.is_file():
            h.update(f.name.encode())
            h.update(f.read_bytes())
    return h.hexdigest()[:16]


def run_study(data: str | Path | None = None, *, study: str = "paper", mapping=None,
              redcap_dictionary=None, min_cell: int | None = None) -> StudyRun:
    """Run ``study`` on DATA (None: the twin). The results leave here as every output shows them: ages summarised
    at the precision results/release.py allows and, with ``min_cell``, small cells suppressed
    (results/suppression.py)."""
    if min_cell is not None and min_cell < 1:
        raise ValueError(f"--min-cell must be at least 1, not {min_cell}")
    if study not in PRESETS:
        raise ValueError(f"unknown study {study!r}; known: {', '.join(sorted(PRESETS))}")
    preset = PRESETS[study]
    if data is None:
        cohort = load_twin()
        findings, synthetic, source = Findings(), True, TWIN_LABEL
        ihash = _hash_folder(twin_folder())
    else:
        cohort, findings = load_cohort(data, mapping=mapping, redcap_dictionary=redcap_dictionary)
        if cohort is None or findings.errors:
            raise CohortError(findings)
        synthetic, source = False, Path(data).name
        ihash = _hash_folder(Path(data))
    results, derived = preset.run(cohort, synthetic=synthetic, source=source)
    st = cohort["study"]
    shifted = bool((st["dates_shifted"] == "yes").fillna(False).any())
    add_completeness(results, derived.adsl, derived.cutoff, dates_shifted=shifted, unknowns=derived.unknowns,
                     absent=derived.absent_inputs)
    release_age_summaries(results)
    for r in results.records.values():  # a completeness figure without a value says why, as every record does
        if r.block == "Data completeness" and r.value is None and not r.note:
            r.note = ("not computed: no patient included" if not len(derived.adsl) else
                      "not computed: no follow-up time from mAb2 to the cut-off")
    p = derived.params
    results.meta.update({"mabseq_version": __version__, "input_hash": ihash,
                         # an input the whole cohort lacks is said once, loudly, first among the warnings
                         "absent_inputs": list(derived.absent_inputs),
                         "warnings": [f"MISSING INPUT: {a}" for a in derived.absent_inputs]
                         + derivation_warnings(derived) + [str(f) for f in findings.warnings],
                         "rulesets": f"response {p.response_ruleset} (CR, CRh, CRi pooled); MRD negative < "
                                     f"{p.mrd_threshold:g} by flow; CD19/CD22 negative < {p.neg_pct_threshold:g}% "
                                     f"positive, dim at a log drop >= {p.dim_log_drop:.3f}; aGVHD {p.agvhd_ruleset}; "
                                     "CRS/ICANS ASTCT-2019; SOS EBMT-adult-2016; liver CTCAE-5.0 "
                                     f"({p.ctcae_baseline_mode}); cytogenetics UKALLXII/ECOG2993"})
    if min_cell is not None:
        suppress_small_cells(results, min_cell)
    results.flow.reasons = [{"reason": r, "n": n} for r, n in exclusion_counts(results)]  # what the report shows
    return StudyRun(study, results, derived, cohort, findings, synthetic, source, ihash)


def derivation_warnings(derived) -> list[str]:
    """The derivations' warnings about included patients (a flow sample just outside a window: changes nothing,
    worth reading), one line each, dates as days from mAb1 (results/release.py)."""
    out = []
    for pid in derived.adsl.get("patient_id", []):
        d = derived.derived[pid]
        origin = d.values.get(DATE_ORIGIN)
        for w in d.warnings:
            out.append(f"derivation: patient {pid}: {release_text(w, origin)}")
    return out


def _csv(df: pd.DataFrame) -> str:
    """Every CSV output: lists as 'a;b', dates as ISO, formula-safe cells (``safe_text.frame_to_csv``)."""
    out = df.copy()
    for c in out.columns:
        col = out[c]
        if (pd.api.types.is_numeric_dtype(col.dtype) or pd.api.types.is_bool_dtype(col.dtype)
                or isinstance(col.dtype, pd.StringDtype)):
            continue  # no list, tuple or date among numbers: _cell would return each value as it is
        if col.dtype == object and set(map(type, col.tolist())) <= _PLAIN:
            continue  # text, numbers and blanks only: the same
        out[c] = col.apply(_cell)
    return frame_to_csv(out)


_PLAIN = {str, int, float, bool, type(None)}


def _cell(v):
    if isinstance(v, (list, tuple)):
        return ";".join(":".join(map(str, x)) if isinstance(x, tuple) else str(x) for x in v)
    if isinstance(v, (dt.date, pd.Timestamp)):
        return v.isoformat()[:10]
    return v


def _mask_fidelity(fid: pd.DataFrame, res) -> pd.DataFrame:
    """Fidelity rows of suppressed records: no computed value, status 'suppressed' (a 'match' would give the
    count away)."""
    if not len(fid):
        return fid
    fid = fid.copy()
    hidden = fid["result_id"].map(lambda i: bool(i) and i in res.records and bool(res.records[i].suppressed))
    fid.loc[hidden, "computed"] = None
    fid.loc[hidden, "status"] = "suppressed"
    fid.loc[hidden, "detail"] = ""
    return fid


def _shown_checks(checks: pd.DataFrame, res) -> pd.DataFrame:
    """The R check recomputes the values the results show (not the suppressed ones)."""
    hidden = {rid for rid, r in res.records.items() if r.suppressed}
    return checks[~checks["id"].isin(hidden)] if hidden else checks


def fidelity_of(res) -> pd.DataFrame:
    """The fidelity table of ``res`` (kept in ``meta['_fidelity_table']``, its summary in ``meta['fidelity']``)."""
    if "_fidelity_table" not in res.meta:
        fid = _mask_fidelity(fidelity_table(res), res)
        res.meta["_fidelity_table"] = fid
        res.meta["fidelity"] = fidelity_summary(fid)
    return res.meta["_fidelity_table"]


def shared(run: StudyRun):
    """The results as the shareable bundle holds them (made once per run)."""
    if "_shareable" not in run.results.meta:
        fidelity_of(run.results)
        run.results.meta["_shareable"] = shareable_results(run.results)
    return run.results.meta["_shareable"]


def output_files(run: StudyRun, *, shareable: bool = False) -> dict[str, str]:
    """Every file `mabseq run` writes (name -> text); with ``shareable`` only what may leave the center
    (results/shareable.py)."""
    res = run.results
    fid = fidelity_of(res)
    summary = res.meta["fidelity"]
    if shareable:
        out = shared(run)
        files = {"results.json": out.to_json(), "results.csv": out.to_csv()}
        source, n_in, n_ex = out.source, out.meta.get("n_included"), out.meta.get("n_excluded")
    else:
        files = {
            "results.json": res.to_json(),
            "results.csv": res.to_csv(),
            PROVENANCE: provenance_bytes(res),
            "fidelity.csv": _csv(fid),
            "adsl.csv": _csv(release_adsl(run.derived.adsl)),
            "adtte.csv": _csv(run.derived.adtte),
            # the values left unknown for want of an input: the R check counts the data-completeness records on it
            "unknowns.csv": _csv(release_unknowns(run.derived.unknowns, run.derived.adsl.get("patient_id", []))),
            "excluded.csv": _csv(released_excluded(run)),
            "r_checks.csv": _csv(_shown_checks(checks_frame(res), res)),
            "check_in_R.R": R_SCRIPT,
            "findings.json": run.findings.to_json() + "\n",
        }
        source = run.source
        n_in, n_ex = res.meta.get("n_included", len(run.derived.adsl)), res.meta.get("n_excluded",
                                                                                      len(run.derived.excluded))
    lines = [f"mabseq {__version__}: study '{run.study}' on {source}",
             f"{n_in} patients included, {n_ex} excluded",
             f"{len(res.records)} result records, {len(res.curves)} curves",
             ("fidelity: " if run.synthetic else "comparison with the paper's cohort (informational: this cohort "
              "is not the paper's, a number that differs is not an error): ")
             + ", ".join(f"{k} {v}" for k, v in summary.items()) if len(fid)
             else "fidelity: no published reference for this study"]
    if not shareable:
        for a in res.meta.get("absent_inputs", []):
            lines.append(f"MISSING INPUT: {a}")
        n_warn = sum(1 for w in res.meta.get("warnings", []) if w.startswith("derivation: "))
        if n_warn:
            lines.append(f"derivation warnings: {n_warn} (a sample just outside a window; see the report)")
        unk = run.derived.unknowns
        if unk is not None and len(unk):
            per = unk.groupby(["variable", "input"])["patient_id"].nunique()
            lines.append("unknown for want of an input (patients): " + ", ".join(
                f"{v} ({i}) {n}" for (v, i), n in sorted(per.items())))
    if "min_cell" in res.meta:
        lines.append(f"small cells suppressed below {res.meta['min_cell']}: "
                     f"{res.meta.get('suppressed_records', 0)} records")
    if run.synthetic:
        lines.insert(0, "SYNTHETIC DATA: the bundled twin cohort, not patient data")
    files["summary.txt"] = "\n".join(lines) + "\n"
    if shareable:
        files["README.txt"] = readme(res, list(files) + ["README.txt"])
    return files


def _diagnosis_origin(run: StudyRun, pid: str):
    pt = run.cohort["patients"]
    dx = pt.loc[pt["patient_id"] == pid, "diagnosis_date"]
    return dx.iloc[0].date() if len(dx) and pd.notna(dx.iloc[0]) else None


def released_excluded(run: StudyRun) -> pd.DataFrame:
    """excluded.csv: each excluded patient's reason (the flow diagram's category) and the detail (the first rule
    failed, with the values that failed it), dates as days from diagnosis and ages in completed years
    (results/release.py), as `explain` shows them."""
    ex = run.derived.excluded.copy()
    if "detail" in ex.columns:
        ex["detail"] = [release_text(str(t or ""), _diagnosis_origin(run, pid), label="diagnosis day")
                        for pid, t in zip(ex["patient_id"], ex["detail"])]
    return ex


def explain_patient(run: StudyRun, pid: str) -> str:
    """How each derived value of one patient was reached, under the rules of results/release.py: dates as days
    from mAb1 (from diagnosis when there is no mAb1), ages in completed years, free text withheld."""
    d = run.derived.derived.get(pid)
    if d is None:
        raise KeyError(pid)
    origin, label = d.values.get(DATE_ORIGIN), "day"
    if origin is None:
        pt = run.cohort["patients"]
        dx = pt.loc[pt["patient_id"] == pid, "diagnosis_date"]
        origin = dx.iloc[0].date() if len(dx) and pd.notna(dx.iloc[0]) else None
        label = "diagnosis day"
    elif isinstance(origin, pd.Timestamp):
        origin = origin.date()
    out = [f"patient {pid}" + (" (SYNTHETIC twin)" if run.synthetic else ""),
           "  (dates as days from the start of mAb1" + (", day 0" if label == "day" else
                                                      ": no mAb1, so days from diagnosis")
           + "; ages in completed years; free text withheld)"]
    if d.values.get("excluded_reason"):
        why = release_text(d.why.get("excluded_reason", ""), origin, label=label)
        out.append(f"  excluded: {d.values['excluded_reason']}" + (f"   <- {why}" if why else ""))
    for key, k, v in release_items(d.values):
        if k == "excluded_reason":
            continue
        why = release_text(d.why.get(key, ""), origin, label=label)
        shown = f"{v:.4g}" if isinstance(v, float) else _cell(v)
        out.append(f"  {k} = {shown}" + (f"   <- {why}" if why else ""))
    for f in d.flags:
        out.append(f"  flag: {release_text(str(f), origin, label=label)}")
    # the provenance, as provenance.parquet holds it: the records this patient counts in
    ids = [rid for rid, r in run.results.records.items() if pid in r.patients]
    out.append(f"  counted in {len(ids)} result records" + (f": {', '.join(ids)}" if ids else ""))
    return "\n".join(out)


__all__ = ["run_study", "output_files", "explain_patient", "fidelity_of", "shared", "StudyRun", "json"]
