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
from ..results.rscript import R_SCRIPT, checks_frame
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
              redcap_dictionary=None) -> StudyRun:
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
    add_completeness(results, derived.adsl, derived.cutoff)
    for r in results.records.values():  # a completeness figure without a value says why, as every record does
        if r.block == "Data completeness" and r.value is None and not r.note:
            r.note = ("not computed: no patient included" if not len(derived.adsl) else
                      "not computed: no follow-up time from mAb2 to the cut-off")
    p = derived.params
    results.meta.update({"mabseq_version": __version__, "input_hash": ihash,
                         "warnings": [str(f) for f in findings.warnings],
                         "rulesets": f"response {p.response_ruleset} (CR, CRh, CRi pooled); MRD negative < "
                                     f"{p.mrd_threshold:g} by flow; CD19/CD22 negative < {p.neg_pct_threshold:g}% "
                                     f"positive, dim at a log drop >= {p.dim_log_drop:.3f}; aGVHD {p.agvhd_ruleset}; "
                                     "CRS/ICANS ASTCT-2019; SOS EBMT-adult-2016; liver CTCAE-5.0 "
                                     f"({p.ctcae_baseline_mode}); cytogenetics UKALLXII/ECOG2993"})
    return StudyRun(study, results, derived, cohort, findings, synthetic, source, ihash)


def _csv(df: pd.DataFrame) -> str:
    out = df.copy()
    for c in out.columns:
        out[c] = out[c].apply(_cell)
    return out.to_csv(index=False, lineterminator="\n")


def _cell(v):
    if isinstance(v, (list, tuple)):
        return ";".join(":".join(map(str, x)) if isinstance(x, tuple) else str(x) for x in v)
    if isinstance(v, (dt.date, pd.Timestamp)):
        return v.isoformat()[:10]
    return v


def output_files(run: StudyRun) -> dict[str, str]:
    res = run.results
    fid = fidelity_table(res)
    res.meta["_fidelity_table"] = fid
    summary = fidelity_summary(fid)
    res.meta["fidelity"] = summary
    files = {
        "results.json": res.to_json(),
        "results.csv": res.to_csv(),
        "fidelity.csv": _csv(fid),
        "adsl.csv": _csv(run.derived.adsl),
        "adtte.csv": _csv(run.derived.adtte),
        "excluded.csv": _csv(run.derived.excluded),
        "r_checks.csv": _csv(checks_frame(res)),
        "check_in_R.R": R_SCRIPT,
        "findings.json": run.findings.to_json() + "\n",
    }
    lines = [f"mabseq {__version__}: study '{run.study}' on {run.source}",
             f"{len(run.derived.adsl)} patients included, {len(run.derived.excluded)} excluded",
             f"{len(res.records)} result records, {len(res.curves)} curves",
             ("fidelity: " + ", ".join(f"{k} {v}" for k, v in summary.items())) if len(fid)
             else "fidelity: no published reference for this study"]
    if run.synthetic:
        lines.insert(0, "SYNTHETIC DATA: the bundled twin cohort, not patient data")
    files["summary.txt"] = "\n".join(lines) + "\n"
    return files


def explain_patient(run: StudyRun, pid: str) -> str:
    d = run.derived.derived.get(pid)
    if d is None:
        raise KeyError(pid)
    out = [f"patient {pid}" + (" (SYNTHETIC twin)" if run.synthetic else "")]
    if d.values.get("excluded_reason"):
        out.append(f"  excluded: {d.values['excluded_reason']}")
    for k, v in d.values.items():
        if k == "excluded_reason":
            continue
        why = d.why.get(k, "")
        shown = f"{v:.4g}" if isinstance(v, float) else _cell(v)
        out.append(f"  {k} = {shown}" + (f"   <- {why}" if why else ""))
    for f in d.flags:
        out.append(f"  flag: {f}")
    return "\n".join(out)


__all__ = ["run_study", "output_files", "explain_patient", "StudyRun", "json"]
