"""Benchmark: Kaplan-Meier + two-group log-rank, mabseq against lifelines, scikit-survival and R survival.

All tools run in the same process run on the same synthetic data (day-resolution times with heavy ties, ~70% events,
two groups), and the table reports each anchor's time as a ratio to mabseq's. Each timing is the best of ``--repeat``
runs after one warm-up; R is timed inside R (system.time around survfit + survdiff), after the data are read, so
file I/O is excluded for every tool.

    python benchmarks/bench_km.py                 # n = 1e5, 1e6, 1e7
    python benchmarks/bench_km.py --sizes 100000  # a quick run
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from mabseq.stats import kaplan_meier, logrank_test

from _timing import best_of  # noqa: E402  (benchmarks/ is on sys.path when run as a script)



def make_data(n: int, seed: int = 2022):
    rng = np.random.default_rng(seed)
    t = np.ceil(rng.exponential(400.0, n)).clip(1, 3650)
    e = (rng.random(n) < 0.7).astype(np.int8)
    g = rng.integers(0, 2, n).astype(np.int64)
    return t, e, g


def run_mabseq(t, e, g):
    kaplan_meier(t, e).table
    return logrank_test(t, e, g).statistic


def run_lifelines(t, e, g):
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test as ll_logrank

    KaplanMeierFitter().fit(t, e)
    a, b = g == 0, g == 1
    return ll_logrank(t[a], t[b], e[a], e[b]).test_statistic


def run_sksurv(t, e, g):
    from sksurv.compare import compare_survival
    from sksurv.nonparametric import kaplan_meier_estimator

    kaplan_meier_estimator(e.astype(bool), t)
    y = np.empty(t.shape[0], dtype=[("event", bool), ("time", float)])
    y["event"] = e.astype(bool)
    y["time"] = t
    return compare_survival(y, g)[0]


R_SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE)
n <- as.integer(args[2]); reps <- as.integer(args[3])
suppressPackageStartupMessages(library(survival))
con <- file(args[1], "rb")
t <- readBin(con, "double", n); e <- readBin(con, "integer", n, size = 1); g <- readBin(con, "integer", n, size = 8)
close(con)
run <- function() { fit <- survfit(Surv(t, e) ~ 1); s <- survdiff(Surv(t, e) ~ g); s$chisq }
stat <- run()
best <- Inf
for (i in seq_len(reps)) best <- min(best, system.time(run())[["elapsed"]])
cat(sprintf("%.6f %.10f\n", best, stat))
"""


def run_r(t, e, g, repeat: int):
    if shutil.which("Rscript") is None:
        return None, None
    with tempfile.TemporaryDirectory() as d:
        data = Path(d) / "data.bin"
        with open(data, "wb") as fh:
            fh.write(t.astype("<f8").tobytes())
            fh.write(e.astype("<i1").tobytes())
            fh.write(g.astype("<i8").tobytes())
        script = Path(d) / "bench.R"
        script.write_text(R_SCRIPT)
        out = subprocess.run(["Rscript", str(script), str(data), str(t.shape[0]), str(repeat)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return None, None
        sec, stat = out.stdout.split()
        return float(sec), float(stat)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[10**5, 10**6, 10**7])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-r", action="store_true", help="skip R even where Rscript exists")
    args = ap.parse_args()

    rows = []
    for n in args.sizes:
        t, e, g = make_data(n)
        reps = args.repeat if n < 10**7 else max(1, args.repeat - 1)
        ours_stat = run_mabseq(t, e, g)
        ours = best_of(lambda: run_mabseq(t, e, g), reps)
        row = {"n": n, "mabseq": ours}
        for name, fn in [("lifelines", run_lifelines), ("scikit-survival", run_sksurv)]:
            try:
                stat = fn(t, e, g)
                row[name] = best_of(lambda fn=fn: fn(t, e, g), reps)
                if not np.isclose(stat, ours_stat, rtol=1e-6):
                    print(f"warning: {name} log-rank statistic {stat} differs from mabseq's {ours_stat}")
            except ImportError:
                row[name] = None
        if not args.no_r:
            r_sec, r_stat = run_r(t, e, g, reps)
            row["R survival"] = r_sec
            if r_stat is not None and not np.isclose(r_stat, ours_stat, rtol=1e-8):
                print(f"warning: R survdiff statistic {r_stat} differs from mabseq's {ours_stat}")
        rows.append(row)
        print(f"n={n:>9,}: " + ", ".join(f"{k} {v:.3f} s" for k, v in row.items() if k != "n" and v is not None),
              flush=True)

    anchors = ["lifelines", "scikit-survival", "R survival"]
    print()
    print("Kaplan-Meier + 2-group log-rank; seconds (best of repeats) and anchor/mabseq ratio")
    header = f"{'n':>10} | {'mabseq':>8} | " + " | ".join(f"{a:>24}" for a in anchors)
    print(header)
    print("-" * len(header))
    for row in rows:
        cells = []
        for a in anchors:
            v = row.get(a)
            cells.append(f"{'n/a':>24}" if v is None else f"{v:>9.3f} s ({v / row['mabseq']:>6.1f}x)".rjust(24))
        print(f"{row['n']:>10,} | {row['mabseq']:>6.3f} s | " + " | ".join(cells))


if __name__ == "__main__":
    main()
