"""Benchmark: the identifier scan (run by every import) and ``deidentify`` on a large cohort.

The cohort is the twin tiled to ``--patients`` patients (ids T01-000001 ...), every table tiled with it: about 24
rows per patient, so 21,000 patients give ~500,000 rows in all. A second case scans a 500,000-row patients table
alone (the largest single id column), and the worst case: every one of those ids an SSN. Reports the best of ``--repeat`` runs.

    python benchmarks/bench_identifiers.py [--patients 21000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).parent))
from _timing import best_of  # noqa: E402

from mabseq.cohort import Findings  # noqa: E402
from mabseq.cohort.identifiers import scan_identifiers  # noqa: E402
from mabseq.cohort.model import Cohort, conform  # noqa: E402
from mabseq.cohort.schema import BY_NAME  # noqa: E402
from mabseq.privacy import deidentify  # noqa: E402
from mabseq.studies.twin import load_twin  # noqa: E402


def tiled(copies: int) -> Cohort:
    twin = load_twin()
    tables = {}
    for name, df in twin.tables.items():
        if "patient_id" not in df.columns:
            tables[name] = df
            continue
        parts = []
        for k in range(copies):
            part = df.copy()
            part["patient_id"] = part["patient_id"] + f"-{k:06d}"
            parts.append(part)
        tables[name] = conform(pd.concat(parts, ignore_index=True), BY_NAME[name])
    return Cohort(tables, "tiled twin")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=21000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    copies = max(1, args.patients // 29)
    t0 = time.perf_counter()
    c = tiled(copies)
    rows = sum(len(df) for df in c.tables.values())
    print(f"cohort: {len(c['patients'])} patients, {rows} rows (built in {time.perf_counter() - t0:.1f} s)")
    scan = best_of(lambda: scan_identifiers(c, Findings()), args.repeat)
    print(f"identifier scan: best {scan:.2f} s ({rows / scan / 1e6:.2f} M rows/s)")
    deid = best_of(lambda: deidentify(c), max(1, args.repeat - 1))
    print(f"deidentify (in memory, new key): best {deid:.2f} s")
    big = c["patients"]
    reps = -(-500_000 // len(big))
    parts = []
    for k in range(reps):
        part = big.copy()
        part["patient_id"] = part["patient_id"] + f"-{k:03d}"
        parts.append(part)
    pts = conform(pd.concat(parts, ignore_index=True).iloc[:500_000], BY_NAME["patients"])
    one = Cohort({"patients": pts}, "patients only")
    t = best_of(lambda: scan_identifiers(one, Findings()), args.repeat)
    print(f"identifier scan of a 500,000-row patients table: best {t:.2f} s")
    ssn = pts.copy()
    ssn["patient_id"] = pd.array([f"{i // 10000:03d}-{(i // 100) % 100:02d}-{i % 10000:04d}" for i in range(len(ssn))],
                                 dtype="string")
    worst = Cohort({"patients": ssn}, "every id an SSN")
    t = best_of(lambda: scan_identifiers(worst, Findings()), args.repeat)
    print(f"identifier scan of 500,000 patient ids that are all SSNs (worst case: every cell matches): best {t:.2f} s")


if __name__ == "__main__":
    main()
