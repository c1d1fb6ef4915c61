"""Benchmark: `mabseq validate` and `mabseq import` on a 500,000-patient cohort (the issue's targets: validate under
60 s, import under 2 minutes, on this 2-core machine), with a floor measured in the same run.

The cohort is the valid example (tests/cohort_corpus/valid: 3 patients, 29 rows) replicated with new study IDs by
vectorized pandas (not `mabseq synth`): 500,000 patients are 4.8 million rows in ten CSV files. Each timing is a
fresh process, as a user runs it (interpreter start, imports, reading, checks, writing), best of ``--repeat``;
peak RSS is that process's maximum resident set. The floor is DuckDB reading the same CSV files once as text
(``read_csv(all_varchar=true)`` into tables; for import, into a DuckDB file): what reading the bytes costs with a
parallel C++ parser, so the ratio says how far mabseq is from the cost of the I/O itself. A second run in one
process splits mabseq's time into its stages (reading the files, typing the values, the checks, writing) with the
progress callback of ``load_cohort``. The xlsx workbook is smaller (``--xlsx-patients``, default 50,000 patients:
about 483,000 rows over the ten sheets) because openpyxl needs minutes to write a larger one; the issue's own case is
measured too: a workbook whose patients sheet has 500,000 rows (with its follow_up and study sheets), validated and
imported.

    python benchmarks/bench_io.py [--patients 500000] [--repeat 2] [--xlsx-patients 50000] [--sheet-rows 500000]
"""
from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
VALID = ROOT / "tests" / "cohort_corpus" / "valid"


def build_csv_cohort(src: Path, out: Path, n: int) -> Path:
    """``n`` patients as a CSV folder: every row of the example's patient k (k = 0, 1, 2) repeated for the new
    patients j with j % 3 == k, whose IDs are S0000000, S0000001, ..."""
    out.mkdir(parents=True, exist_ok=True)
    patients = pd.read_csv(src / "patients.csv", dtype=str, keep_default_na=False)["patient_id"].tolist()
    for f in sorted(src.glob("*.csv")):
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        if "patient_id" not in df.columns:
            df.to_csv(out / f.name, index=False)
            continue
        parts = []
        for k, pid in enumerate(patients):
            rows = df[df["patient_id"] == pid]
            new = np.arange(k, n, len(patients))
            if not len(rows) or not len(new):
                continue
            rep = rows.loc[rows.index.repeat(len(new))].reset_index(drop=True)
            ids = pd.Series(np.tile(new, len(rows))).astype(str).str.zfill(7)
            rep["patient_id"] = ("S" + ids).to_numpy()
            parts.append(rep)
        big = pd.concat(parts, ignore_index=True) if parts else df.iloc[:0]
        big.to_csv(out / f.name, index=False)
    return out


def build_xlsx_cohort(csv_folder: Path, out: Path, tables: tuple[str, ...] | None = None) -> Path:
    """The CSV cohort (or only ``tables`` of it) as a workbook of typed cells (dates as dates, numbers as numbers),
    as a center fills one."""
    import datetime as dt

    import openpyxl

    from mabseq.cohort.schema import BY_NAME
    wb = openpyxl.Workbook(write_only=True)
    for f in sorted(csv_folder.glob("*.csv")):
        if tables is not None and f.stem not in tables:
            continue
        table = BY_NAME[f.stem]
        df = pd.read_csv(f, dtype=str, keep_default_na=False)
        ws = wb.create_sheet(f.stem)
        ws.append(list(df.columns))
        cols = []
        for c in df.columns:
            s = df[c]
            kind = table[c].type
            if kind in ("integer", "number"):
                v = pd.to_numeric(s.replace("", np.nan))
                cols.append([None if pd.isna(x) else (int(x) if kind == "integer" else float(x)) for x in v])
            elif kind == "date":
                d = pd.to_datetime(s.replace("", np.nan))
                cols.append([None if pd.isna(x) else dt.datetime(x.year, x.month, x.day) for x in d])
            else:
                cols.append([x if x != "" else None for x in s])
        for row in zip(*cols):
            ws.append(list(row))
    wb.save(out)
    return out


def run_cli(args: list[str], repeat: int) -> tuple[float, float]:
    """Best wall time (s) and the largest peak RSS (MiB) of ``repeat`` fresh ``mabseq`` processes."""
    best, rss = float("inf"), 0.0
    for _ in range(repeat):
        t0 = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "mabseq.cli", *args], stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"mabseq {' '.join(args)} failed:\n{err[-2000:]}")
        best = min(best, wall)
        rss = max(rss, usage.ru_maxrss / 1024)
        if args[0] == "import":  # the next run writes a new file
            for a in args:
                if a.endswith(".duckdb") and Path(a).exists():
                    Path(a).unlink()
    return best, rss


def floor(csv_folder: Path, db: Path | None) -> float:
    """DuckDB reading every CSV file once as text (into memory, or into the file ``db``)."""
    import duckdb
    t0 = time.perf_counter()
    con = duckdb.connect(str(db) if db else ":memory:")
    for f in sorted(csv_folder.glob("*.csv")):
        con.execute(f'CREATE TABLE "{f.stem}" AS SELECT * FROM read_csv(?, all_varchar = true, header = true)',
                    [str(f)])
    con.close()
    return time.perf_counter() - t0


STAGES = r"""
import sys, time
from mabseq.cohort import load_cohort
from mabseq.cohort.storage import write_duckdb_into
marks = []
def cb(stage, done, total):
    if not marks or marks[-1][0] != stage:
        marks.append((stage, time.perf_counter()))
t0 = time.perf_counter()
cohort, findings = load_cohort(sys.argv[1], progress=cb)
t1 = time.perf_counter()
write_duckdb_into(cohort, sys.argv[2])
t2 = time.perf_counter()
marks.append(("end", t1))
def span(prefix):
    return sum(b[1] - a[1] for a, b in zip(marks, marks[1:]) if a[0].startswith(prefix))
print(f"{span('reading ') - span('reading values'):.1f} {span('reading values'):.1f} {span('check'):.1f} "
      f"{t2 - t1:.1f} {len(findings.errors)}")
"""


def stages(data: Path, db: Path) -> list[str]:
    out = subprocess.run([sys.executable, "-c", STAGES, str(data), str(db)], capture_output=True, text=True,
                         check=True).stdout.split()
    db.unlink(missing_ok=True)
    return out


class Lines(list):
    """The table, printed line by line as it is measured (a long run keeps what it has if stopped)."""

    def append(self, line: str) -> None:
        super().append(line)
        print(line, flush=True)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=500_000)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--xlsx-patients", type=int, default=50_000, help="0: no 10-sheet workbook")
    ap.add_argument("--sheet-rows", type=int, default=500_000, help="0: no workbook with one big sheet")
    ap.add_argument("--out", type=Path, default=None, help="Keep the generated cohorts here.")
    args = ap.parse_args()
    work = args.out or Path(tempfile.mkdtemp(prefix="bench_io_"))
    try:
        lines = Lines()
        t0 = time.perf_counter()
        csv_dir = build_csv_cohort(VALID, work / f"csv_{args.patients}", args.patients)
        n_rows = sum(max(sum(1 for _ in open(f, encoding="utf-8")) - 1, 0) for f in csv_dir.glob("*.csv"))
        size = sum(f.stat().st_size for f in csv_dir.glob("*.csv")) / 2 ** 20
        lines.append(f"cohort: {args.patients:,} patients, {n_rows:,} rows in 10 CSV files ({size:.0f} MiB), "
                     f"built in {time.perf_counter() - t0:.0f} s")
        lines.append(f"machine: {os.cpu_count()} cores, Python {platform.python_version()}, "
                     f"load average before the run {os.getloadavg()[0]:.1f}")
        lines.append("")
        lines.append(f"{'what':<44}{'best s':>9}{'peak RSS MiB':>14}{'floor s':>9}{'ratio':>8}")
        db = work / "bench.duckdb"
        fl_read = floor(csv_dir, None)
        fl_import = floor(csv_dir, work / "floor.duckdb")
        (work / "floor.duckdb").unlink()
        v, v_rss = run_cli(["validate", str(csv_dir), "--quiet"], args.repeat)
        lines.append(f"{'mabseq validate CSV folder':<44}{v:>9.1f}{v_rss:>14.0f}{fl_read:>9.1f}{v / fl_read:>8.1f}")
        i, i_rss = run_cli(["import", str(csv_dir), "--db", str(db), "--quiet"], args.repeat)
        lines.append(f"{'mabseq import CSV folder -> DuckDB':<44}{i:>9.1f}{i_rss:>14.0f}{fl_import:>9.1f}"
                     f"{i / fl_import:>8.1f}")
        subprocess.run([sys.executable, "-m", "mabseq.cli", "import", str(csv_dir), "--db", str(db), "--quiet"],
                       check=True)
        s, s_rss = run_cli(["validate", str(db), "--quiet"], args.repeat)
        lines.append(f"{'mabseq validate the DuckDB file':<44}{s:>9.1f}{s_rss:>14.0f}{'':>9}{'':>8}")
        st = stages(csv_dir, work / "stages.duckdb")
        lines.append("")
        lines.append(f"stages of validate + import (one process): reading the CSV files (readers) {st[0]} s, "
                     f"typing the values (coercion) {st[1]} s, checks {st[2]} s, writing DuckDB {st[3]} s")
        st = stages(db, work / "stages.duckdb")
        lines.append(f"the same from the DuckDB file: reading {st[0]} s, typing {st[1]} s, checks {st[2]} s")
        if args.xlsx_patients:
            t0 = time.perf_counter()
            xdir = build_csv_cohort(VALID, work / f"csv_{args.xlsx_patients}", args.xlsx_patients)
            xlsx = build_xlsx_cohort(xdir, work / f"cohort_{args.xlsx_patients}.xlsx")
            x_rows = sum(max(sum(1 for _ in open(f, encoding="utf-8")) - 1, 0) for f in xdir.glob("*.csv"))
            lines.append("")
            lines.append(f"workbook: {args.xlsx_patients:,} patients, {x_rows:,} rows over 10 sheets "
                         f"({xlsx.stat().st_size / 2 ** 20:.0f} MiB), built in {time.perf_counter() - t0:.0f} s")
            x, x_rss = run_cli(["validate", str(xlsx), "--quiet"], 1)
            fl_x = floor(xdir, None)
            lines.append(f"{'mabseq validate .xlsx (10 sheets)':<44}{x:>9.1f}{x_rss:>14.0f}{fl_x:>9.1f}"
                         f"{x / fl_x:>8.1f}   (floor: the same rows as CSV)")
            st = stages(xlsx, work / "stages.duckdb")
            lines.append(f"stages: reading the workbook {st[0]} s, typing {st[1]} s, checks {st[2]} s")
        if args.sheet_rows:
            # the case: a sheet of 500,000 rows (the patients sheet, with its follow_up and study sheets)
            t0 = time.perf_counter()
            sdir = csv_dir if args.sheet_rows == args.patients else build_csv_cohort(
                VALID, work / f"csv_{args.sheet_rows}", args.sheet_rows)
            sx = build_xlsx_cohort(sdir, work / f"sheet_{args.sheet_rows}.xlsx", ("study", "patients", "follow_up"))
            lines.append("")
            lines.append(f"workbook: a patients sheet of {args.sheet_rows:,} rows (21 columns), follow_up "
                         f"{args.sheet_rows:,} rows, study 1 row ({sx.stat().st_size / 2 ** 20:.0f} MiB), built in "
                         f"{time.perf_counter() - t0:.0f} s")
            x, x_rss = run_cli(["validate", str(sx), "--quiet"], args.repeat)
            lines.append(f"{'mabseq validate .xlsx (500,000-row sheet)':<44}{x:>9.1f}{x_rss:>14.0f}")
            x, x_rss = run_cli(["import", str(sx), "--db", str(work / "sheet.duckdb"), "--quiet"], args.repeat)
            lines.append(f"{'mabseq import .xlsx (500,000-row sheet)':<44}{x:>9.1f}{x_rss:>14.0f}")
    finally:
        if args.out is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
