"""Benchmark: `mabseq synth`, `validate`, `run` and `report` at growing cohort sizes (issue 16), each a fresh
process as a user runs it, with its wall time and peak resident memory (the child's ``ru_maxrss``), and in the same
run the floor: DuckDB scanning every table of the stored cohort once (``SELECT count(*)`` of each, in a fresh
process). Ratios are stage / floor, so a slower machine moves both.

A stage that does not finish within ``--budget`` seconds is stopped and reported as '> budget' (the measured
distance to its target); the larger sizes are then skipped for that stage. A stage whose memory, extrapolated
linearly from its peak per patient at the largest size measured, would exceed this machine's memory is not
started (the machine would swap or the kernel kill it): it is reported as 'skipped' with that estimate.

    python benchmarks/bench_scale.py [--sizes 29,1000,10000,100000,1000000] [--budget 600]

n = 29 is the bundled twin (no synth; validate/run/report read the bundled folder). The package is byte-compiled
first, as an installed package is (pip compiles what it installs; an editable checkout run with
PYTHONDONTWRITEBYTECODE would otherwise compile every module of mabseq again in every timed process, ~0.2 s).
"""
from __future__ import annotations

import argparse
import compileall
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {("report", 29): 3.0, ("run", 29): 1.0, ("run", 10_000): 10.0, ("run", 100_000): 60.0,
           ("run", 1_000_000): 600.0, ("synth", 1_000_000): 120.0}
FLOOR = """
import sys, duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
tables = [r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()]
print(sum(con.execute(f'select count(*) from "{t}"').fetchone()[0] for t in tables))
"""


def timed(cmd: list[str], budget: float) -> tuple[float | None, float]:
    """Wall seconds (None past the budget) and the peak RSS in MiB of that child (``os.wait4``'s rusage: its own
    maximum, not the largest child so far)."""
    t0 = time.perf_counter()
    # in a session of its own, so that a stage stopped at the budget takes its worker processes with it
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    while True:
        pid, status, ru = os.wait4(p.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - t0 > budget:
            os.killpg(p.pid, signal.SIGKILL)
            os.wait4(p.pid, 0)
            return None, float("nan")
        time.sleep(0.05)
    wall = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise SystemExit(f"{' '.join(cmd[2:])} exited {p.returncode}")
    return wall, ru.ru_maxrss / 1024.0


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="29,1000,10000,100000,1000000")
    ap.add_argument("--budget", type=float, default=600.0)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    import mabseq as package
    compileall.compile_dir(str(Path(package.__file__).parent), quiet=1)
    mabseq = [sys.executable, "-m", "mabseq.cli"]
    rows, stopped, skipped = [], set(), {}
    machine_mib = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**20
    with tempfile.TemporaryDirectory() as d:
        for n in sizes:
            db = Path(d) / f"s{n}.duckdb"
            data: list[str] = []
            data_validate: list[str] = []
            if n != 29:
                if "synth" in stopped:
                    break
                wall, rss = timed(mabseq + ["synth", "--n", str(n), "--seed", "1", "--out", str(db)], args.budget)
                rows.append(("synth", n, wall, rss, None))
                if wall is None:
                    stopped.add("synth")
                    break
                data = data_validate = [str(db)]
                fw, _ = timed([sys.executable, "-c", FLOOR, str(db)], args.budget)
            else:  # the bundled twin: its folder for validate (run and report read it without DATA)
                from mabseq.studies.twin import twin_folder
                fw = None
                data_validate = [str(twin_folder())]
            for stage in ("validate", "run", "report"):
                if stage in stopped:
                    rows.append((stage, n, None, float("nan"), fw))
                    continue
                done = [(m, r) for st, m, w, r, _ in rows if st == stage and w is not None and m > 29]
                if done:
                    m, r = max(done)
                    est = r / m * n
                    if est > 0.8 * machine_mib:
                        skipped[(stage, n)] = est
                        rows.append((stage, n, None, est, fw))
                        continue
                out = Path(d) / f"{stage}{n}"
                cmd = mabseq + [stage, *data_validate] if stage == "validate" else \
                    mabseq + [stage, *data, "--out", str(out), "--quiet"]
                wall, rss = timed(cmd, args.budget)
                rows.append((stage, n, wall, rss, fw))
                if wall is None:
                    stopped.add(stage)
    print(f"# bench_scale.py, {time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores; budget {args.budget:g} s a stage")
    print(f"{'stage':<9}{'n':>9}{'wall s':>10}{'share':>7}{'peak MiB':>10}{'floor s':>9}{'/ floor':>9}"
          f"{'target s':>10}  met")
    total = {}
    for stage, n, wall, rss, fw in rows:  # a stage's share of the four stages' wall time at that size
        total[n] = total.get(n, 0.0) + (wall or 0.0)
    for stage, n, wall, rss, fw in rows:
        tgt = TARGETS.get((stage, n))
        w = ("skipped" if (stage, n) in skipped else f"> {args.budget:g}") if wall is None else f"{wall:.2f}"
        ratio = "" if wall is None or not fw else f"{wall / fw:.0f}x"
        met = "" if tgt is None else ("no" if wall is None or wall > tgt else "yes")
        if (stage, n) in skipped:
            met += f" (est. peak {rss / 1024:.0f} GiB > 80% of {machine_mib / 1024:.0f} GiB)"
        share = "" if wall is None or not total[n] else f"{100 * wall / total[n]:.0f}%"
        peak = f"~{rss:.0f}" if (stage, n) in skipped else f"{rss:.0f}"  # ~: the estimate, not a measurement
        print(f"{stage:<9}{n:>9}{w:>10}{share:>7}{peak:>10}{(f'{fw:.2f}' if fw else ''):>9}{ratio:>9}"
              f"{(f'{tgt:g}' if tgt else ''):>10}  {met}")


if __name__ == "__main__":
    main()
