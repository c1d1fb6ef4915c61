"""Benchmark: wall time of `mabseq report` on the bundled twin (the issue's target: under 10 s on 2 cores).

Each run is a fresh process, as a user runs it (interpreter start, imports, study, rendering, writing). Reports
the best and the median of ``--repeat`` runs.

    python benchmarks/bench_report.py [--repeat 3]
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    times = []
    with tempfile.TemporaryDirectory() as d:
        for i in range(args.repeat):
            out = Path(d) / f"out{i}"
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "mabseq.cli", "report", "--out", str(out), "--quiet"], check=True)
            times.append(time.perf_counter() - t0)
        files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    print(f"mabseq report on the twin: best {min(times):.2f} s, median {statistics.median(times):.2f} s "
          f"over {len(times)} runs; {len(files)} files")
    for f in files:
        print("  " + f)


if __name__ == "__main__":
    main()
