"""Benchmark: Fine-Gray regression and Aalen-Johansen + Gray's test, mabseq against R cmprsk, comprisk and
scikit-survival, all in the same run on the same synthetic data.

Data: day-resolution times (ties), cause 1 depends on three covariates (normal, binary, uniform), a competing cause
and uniform censoring, three groups. Each timing is the best of ``--repeat`` runs after one warm-up call, so
comprisk's numba compilation is excluded from its timings; its first call in a fresh process (import + compile or
cache load + fit) is measured separately and reported. R is timed inside R (system.time), after reading the data.

    python benchmarks/bench_competing.py                   # the full table (crr at n = 2e4 takes minutes)
    python benchmarks/bench_competing.py --quick           # small sizes only
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from mabseq.stats import cumulative_incidence, fine_gray, gray_test

from _timing import best_of  # noqa: E402  (benchmarks/ is on sys.path when run as a script)



def make_data(n: int, seed: int = 2022):
    rng = np.random.default_rng(seed)
    X = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n), rng.uniform(0, 3, n)]).astype(float)
    lp = 0.3 * X[:, 0] - 0.4 * X[:, 1] + 0.2 * X[:, 2]
    t1 = rng.exponential(600.0 * np.exp(-lp))
    t2 = rng.exponential(900.0, n)
    c = rng.uniform(0, 2500.0, n)
    t = np.minimum(np.minimum(t1, t2), c)
    status = np.where(t == c, 0, np.where(t == t1, 1, 2)).astype(np.int64)
    return np.ceil(t), status, X, rng.integers(0, 3, n).astype(np.int64)


# ---- the tools --------------------------------------------------------------------------------------------------
def fg_mabseq(t, s, X):
    return fine_gray(t, s, X).coef


def fg_comprisk(t, s, X):
    import comprisk
    y = comprisk.Surv.from_arrays(event=s, time=t)
    return comprisk.FineGrayRegression(cause=1, robust_se=True).fit(X, y).coef_


def aj_mabseq(t, s, g):
    cumulative_incidence(t, s, g).table
    return gray_test(t, s, g).statistic.to_numpy()


def aj_comprisk(t, s, g):
    import comprisk
    comprisk.CumulativeIncidence().fit(t, s, group=g)
    return np.array([comprisk.gray_test(t, s, g, cause=c).stat for c in (1, 2)])


def aj_sksurv(t, s, g):
    from sksurv.nonparametric import cumulative_incidence_competing_risks
    for k in np.unique(g):
        cumulative_incidence_competing_risks(s[g == k], t[g == k])
    return None


R_SCRIPT = r"""
args <- commandArgs(trailingOnly = TRUE)
what <- args[2]; n <- as.integer(args[3]); reps <- as.integer(args[4])
suppressPackageStartupMessages(library(cmprsk))
con <- file(args[1], "rb")
t <- readBin(con, "double", n); s <- readBin(con, "integer", n, size = 8); g <- readBin(con, "integer", n, size = 8)
X <- matrix(readBin(con, "double", 3 * n), ncol = 3)
close(con)
run <- if (what == "fg") function() crr(t, s, X)$coef else function() cuminc(t, s, g)$Tests[, "stat"]
val <- run()
best <- Inf
for (i in seq_len(reps)) best <- min(best, system.time(run())[["elapsed"]])
cat(sprintf("%.6f", best), sprintf("%.12g", val), "\n")
"""


def run_r(what, t, s, g, X, repeat: int):
    if shutil.which("Rscript") is None:
        return None, None
    with tempfile.TemporaryDirectory() as d:
        data = Path(d) / "data.bin"
        with open(data, "wb") as fh:
            for arr, dt in [(t, "<f8"), (s, "<i8"), (g, "<i8"), (X.T.ravel(), "<f8")]:
                fh.write(np.ascontiguousarray(arr).astype(dt).tobytes())
        script = Path(d) / "bench.R"
        script.write_text(R_SCRIPT)
        out = subprocess.run(["Rscript", str(script), str(data), what, str(t.shape[0]), str(repeat)],
                             capture_output=True, text=True)
        if out.returncode != 0:
            print(out.stderr, file=sys.stderr)
            return None, None
        parts = out.stdout.split()
        return float(parts[0]), np.array([float(v) for v in parts[1:]])


COLD = r"""
import sys, time
import numpy as np
t0 = time.perf_counter()
import comprisk
n = 1000
rng = np.random.default_rng(0)
t = np.ceil(rng.exponential(600, n)); s = rng.choice([0, 1, 2], n); X = rng.normal(size=(n, 3)); g = rng.integers(0, 3, n)
y = comprisk.Surv.from_arrays(event=s, time=t)
comprisk.FineGrayRegression(cause=1, robust_se=True).fit(X, y)
t1 = time.perf_counter()
comprisk.CumulativeIncidence().fit(t, s, group=g); comprisk.gray_test(t, s, g, cause=1)
t2 = time.perf_counter()
print(t1 - t0, t2 - t1)
"""


def comprisk_cold_start():
    """Seconds for comprisk's first Fine-Gray fit and first AJ + Gray call in a fresh process (n = 1000)."""
    try:
        import comprisk  # noqa: F401
    except ImportError:
        return None
    out = subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True)
    if out.returncode != 0:
        print(out.stderr, file=sys.stderr)
        return None
    return tuple(float(v) for v in out.stdout.split())


def mabseq_cold_start():
    code = ("import time; t0 = time.perf_counter(); import numpy as np; from mabseq.stats import fine_gray; "
            "rng = np.random.default_rng(0); n = 1000; t = np.ceil(rng.exponential(600, n)); "
            "s = rng.choice([0, 1, 2], n); X = rng.normal(size=(n, 3)); fine_gray(t, s, X); "
            "print(time.perf_counter() - t0)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    return float(out.stdout) if out.returncode == 0 else None


def fmt(v, ref):
    return f"{'n/a':>22}" if v is None else f"{v:>9.3f} s ({v / ref:>6.1f}x)".rjust(22)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="n <= 1e5 only")
    ap.add_argument("--no-r", action="store_true")
    args = ap.parse_args()
    crr_sizes = [2000, 5000] if args.quick else [2000, 5000, 20000]
    big_sizes = [100000] if args.quick else [100000, 1000000]
    aj_sizes = [100000] if args.quick else [1000000]

    print("Fine-Gray, 3 covariates (coef + sandwich se)", flush=True)
    fg_rows = []
    for n in crr_sizes + big_sizes:
        t, s, X, g = make_data(n)
        ours_coef = fg_mabseq(t, s, X)
        row = {"n": n, "mabseq": best_of(lambda: fg_mabseq(t, s, X), args.repeat)}
        try:
            coef = fg_comprisk(t, s, X)
            row["comprisk"] = best_of(lambda: fg_comprisk(t, s, X), args.repeat)
            if not np.allclose(coef, ours_coef, rtol=1e-5):
                print(f"warning: comprisk coef {coef} differs from mabseq's {ours_coef}")
        except ImportError:
            row["comprisk"] = None
        row["R crr"] = None
        if n in crr_sizes and not args.no_r:
            sec, coef = run_r("fg", t, s, g, X, 1)
            row["R crr"] = sec
            if coef is not None and not np.allclose(coef, ours_coef, rtol=1e-5):
                print(f"warning: crr coef {coef} differs from mabseq's {ours_coef}")
        fg_rows.append(row)
        print(f"  n={n:>9,}: " + ", ".join(f"{k} {v:.3f} s" for k, v in row.items() if k != "n" and v is not None),
              flush=True)

    print("Aalen-Johansen (both causes, 3 groups) + Gray's test", flush=True)
    aj_rows = []
    for n in aj_sizes:
        t, s, X, g = make_data(n)
        ours_stat = aj_mabseq(t, s, g)
        row = {"n": n, "mabseq": best_of(lambda: aj_mabseq(t, s, g), args.repeat)}
        for name, fn in [("comprisk", aj_comprisk), ("scikit-survival (AJ only)", aj_sksurv)]:
            try:
                stat = fn(t, s, g)
                row[name] = best_of(lambda fn=fn: fn(t, s, g), args.repeat)
                if stat is not None and not np.allclose(stat, ours_stat, rtol=1e-6):
                    print(f"warning: {name} Gray statistics {stat} differ from mabseq's {ours_stat}")
            except ImportError:
                row[name] = None
        row["R cuminc"] = None
        if not args.no_r:
            sec, stat = run_r("ci", t, s, g, X, args.repeat)
            row["R cuminc"] = sec
            if stat is not None and not np.allclose(stat, ours_stat, rtol=1e-8):
                print(f"warning: cuminc statistics {stat} differ from mabseq's {ours_stat}")
        aj_rows.append(row)
        print(f"  n={n:>9,}: " + ", ".join(f"{k} {v:.3f} s" for k, v in row.items() if k != "n" and v is not None),
              flush=True)

    cold = comprisk_cold_start()
    ours_cold = mabseq_cold_start()

    print()
    print("Fine-Gray (3 covariates): seconds, best of repeats after a warm-up; ratio = anchor / mabseq")
    anchors = ["R crr", "comprisk"]
    head = f"{'n':>10} | {'mabseq':>9} | " + " | ".join(f"{a:>22}" for a in anchors)
    print(head)
    print("-" * len(head))
    for r in fg_rows:
        print(f"{r['n']:>10,} | {r['mabseq']:>7.3f} s | " + " | ".join(fmt(r.get(a), r["mabseq"]) for a in anchors))
    print()
    print("Aalen-Johansen + Gray's test: seconds; ratio = anchor / mabseq")
    anchors = ["R cuminc", "comprisk", "scikit-survival (AJ only)"]
    head = f"{'n':>10} | {'mabseq':>9} | " + " | ".join(f"{a:>25}" for a in anchors)
    print(head)
    print("-" * len(head))
    for r in aj_rows:
        print(f"{r['n']:>10,} | {r['mabseq']:>7.3f} s | "
              + " | ".join(fmt(r.get(a), r["mabseq"]).rjust(25) for a in anchors))
    print()
    if cold:
        print(f"comprisk first call in a fresh process (import + numba compile or cache load + fit, n = 1000): "
              f"Fine-Gray {cold[0]:.2f} s, then AJ + Gray {cold[1]:.2f} s")
    if ours_cold is not None:
        print(f"mabseq first call in a fresh process (import + fit, n = 1000): Fine-Gray {ours_cold:.2f} s")


if __name__ == "__main__":
    main()
