"""The profile of one `mabseq run` (issue 16: "no stage above a third of the time that is not the floor"): wall
seconds by pipeline stage, each stage's own time (a stage called inside another is subtracted from it), as a share
of the whole process.

    python benchmarks/profile_run.py DATA [--out DIR]      # e.g. a cohort made by `mabseq synth --n 100000`

Stages, by the function that does each (timed in this process, around the command's own call):
load (``cohort.load.read_raw``), validate (``build_cohort``), derive (``derive.cohort.derive_cohort``), the
sensitivity analyses' re-derivation (``rederive``), the study's extensions (``studies.paper._extensions``), the
paper's tables, text and survival (the rest of ``studies.paper.run``), results (the rest of ``run_study``:
completeness, release, suppression), output files (``studies.run.output_files``: CSV, JSON, Parquet text), and
the rest (start-up, imports, writing the files).
"""
from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import time
from pathlib import Path

STAGES = [("mabseq.cohort.load", "read_raw", "load"), ("mabseq.cohort.load", "build_cohort", "validate"),
          ("mabseq.derive.cohort", "derive_cohort", "derive"),
          ("mabseq.derive.cohort", "rederive", "sensitivity re-derivation"),
          ("mabseq.studies.paper", "_extensions", "study: extensions"),
          ("mabseq.studies.paper", "run", "study: tables, text, survival"),
          ("mabseq.studies.run", "run_study", "results (completeness, release)"),
          ("mabseq.studies.run", "output_files", "outputs: files")]


def main() -> None:
    t0 = time.perf_counter()
    ap = argparse.ArgumentParser()
    ap.add_argument("data")
    ap.add_argument("--out", default=None)
    args = ap.parse_args()
    own: dict[str, float] = {}
    stack: list[float] = []

    def timed(f, stage):
        def g(*a, **k):
            t = time.perf_counter()
            stack.append(0.0)
            try:
                return f(*a, **k)
            finally:
                el, inner = time.perf_counter() - t, stack.pop()
                own[stage] = own.get(stage, 0.0) + el - inner
                if stack:
                    stack[-1] += el
        return g

    for mod, attr, stage in STAGES:
        m = importlib.import_module(mod)
        setattr(m, attr, timed(getattr(m, attr), stage))
    import mabseq.derive as derive_pkg  # the study imports derive_cohort from the package
    derive_pkg.derive_cohort = importlib.import_module("mabseq.derive.cohort").derive_cohort
    from mabseq.cli._app import app
    with tempfile.TemporaryDirectory() as d:
        out = args.out or str(Path(d) / "out")
        sys.argv = ["mabseq", "run", args.data, "--out", out, "--quiet"]
        try:
            app()
        except SystemExit as exc:
            if exc.code:
                raise
    total = time.perf_counter() - t0
    own["start-up, writing, other"] = total - sum(own.values())
    print(f"# profile_run.py: mabseq run {Path(args.data).name}, {total:.2f} s")
    print(f"{'stage':<34}{'s':>8}{'share':>8}")
    for stage, s in own.items():
        print(f"{stage:<34}{s:>8.2f}{100 * s / total:>7.1f}%")


if __name__ == "__main__":
    main()
