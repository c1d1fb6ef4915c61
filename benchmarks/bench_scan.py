"""Benchmark: ``mabseq scan`` on a 1,000-patient, 8-sheet chart-review workbook it builds itself (target < 10 s).

The workbook has a center's traits at a center's size: a key/value information sheet, title rows and a units row,
ids with stray spaces, text dates in two formats and real Excel dates, percent text and qualifiers, per-cycle
treatment rows, repeated relapse columns, free-text notes. Measured (best of ``--repeat`` after one warm-up):

- floor: :func:`mabseq.cohort.grid.read_grids` alone (zip checks, sheet scan, calamine cells as text);
- the profile: :func:`mabseq.scan.profile_data` (read_grids + layout, column profiles, groups);
- the whole command's work: the profile plus scan.json and scan.html (:func:`mabseq.scan.render.scan_files`);
- ``mabseq scan DATA --out DIR`` as a user runs it: a fresh process, imports and the atomic write included.

    python benchmarks/bench_scan.py [--patients 1000] [--repeat 3] [--out benchmarks/results/bench_scan.txt]
"""
from __future__ import annotations

import argparse
import datetime as dt
import platform
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _timing import best_of  # noqa: E402


def build(path: Path, n: int) -> dict[str, int]:
    import openpyxl
    from openpyxl.cell import WriteOnlyCell
    rnd = random.Random(13)
    wb = openpyxl.Workbook(write_only=True)
    pct_sheet = wb.create_sheet("_styles")  # WriteOnlyCell needs a sheet; removed below
    wb.remove(pct_sheet)

    def pct(v):  # a fraction Excel shows as percent (as a center that typed 12% keeps it)
        c = WriteOnlyCell(pct_sheet, value=v)
        c.number_format = "0%"
        return c
    rows: dict[str, int] = {}

    def sheet(name, header, body, title=None, units=None):
        ws = wb.create_sheet(name)
        if title:
            ws.append([title])
            ws.append([])
        ws.append(header)
        if units:
            ws.append(units)
        k = 0
        for r in body:
            ws.append(r)
            k += 1
        rows[name] = k

    day = lambda: dt.datetime(2015, 1, 1) + dt.timedelta(days=rnd.randrange(3000))  # noqa: E731
    pid = lambda i: rnd.choice(["P{:04d}", " p{:04d}", "P{:04d} "]).format(i)        # noqa: E731
    sheet("Study info", ["Item", "Value"], [["Center", "Center B"], ["Data cut-off", dt.datetime(2023, 6, 30)],
                                            ["Patients", n], ["Protocol", "CBR-2021-07"]], title="Study information")
    sheet("Demographics", ["Study no.", "Gender", "DOB", "Dx date", "Age at dx", "Ph", "prior SCT?", "ECOG",
                           "Karyotype", "Notes", "Entered by", "Site"],
          ([pid(i), rnd.choice(["m", "f", "Male", "F"]), day().strftime("%d/%m/%Y"), day().strftime("%d/%m/%Y"),
            rnd.choice([str(rnd.randrange(18, 80)), "approx 40", "unk"]), rnd.choice(["pos", "neg", "unk"]),
            rnd.choice(["yes", "no", "unk", None]), rnd.randrange(0, 4), rnd.choice(["46,XY", "46,XX", "complex"]),
            rnd.choice([None, None, f"note {rnd.randrange(10**6)} written by the treating physician"]),
            rnd.choice(["JS", "AK"]), rnd.choice(["A", "B"])] for i in range(n)),
          title="Center B demographics", units=["", "", "dd/mm/yyyy", "dd/mm/yyyy", "years"] + [""] * 7)
    sheet("Marrow", ["Patient", "Date", "Blasts", "MRD", "Cellularity", "Comment"],
          ([f"P{rnd.randrange(n):04d}", day(), rnd.choice(["12 %", "<5", "approx 40", ">95", rnd.randrange(100)]),
            rnd.choice(["not detected", "<0.01 %", "0.005%", "3/100", "failed sample", str(rnd.random())]),
            pct(rnd.randrange(10, 90) / 100), rnd.choice([None, "dry tap", "hemodilute"])] for _ in range(4 * n)))
    sheet("Flow", ["Pt ID", "Sample date", "CD19 %", "CD22 %", "Lab"],
          ([f"P{rnd.randrange(n):04d}", day().strftime("%d-%b-%Y"), f"{rnd.randrange(100)} %",
            rnd.randrange(100), rnd.choice(["central", "local"])] for _ in range(3 * n)))
    sheet("Treatments", ["Pt ID", "Regimen", "Start", "End", "Cycles", "Status"],
          ([f"P{rnd.randrange(n):04d}", rnd.choice(["blinatumomab cyc 1", "Blincyto", "InO/mini-HCVD", "Kymriah",
                                                    "HCVAD", "FLAG-IDA", "POMP", "blina+dasatinib"]),
            day().strftime("%d-%b-%Y"), day().strftime("%d-%b-%Y"),
            rnd.choice(["1", "2", "3 (stopped early)"]), rnd.choice(["given", "planned"])] for _ in range(5 * n)),
          title="Treatment log (one row per cycle)")
    sheet("Transplant", ["Patient", "HCT date", "Donor", "Graft", "Max aGVHD"],
          ([f"P{i:04d}", day(), rnd.choice(["haplo", "unrelated 8/8", "MSD", "cord x2"]),
            rnd.choice(["PB", "BM", "cord"]), rnd.choice(["II", "2", "grade 3", "none", "IV"])]
           for i in range(0, n, 2)))
    sheet("Outcomes", ["ID"] + [f"relapse_{k}_{f}" for k in (1, 2, 3) for f in ("date", "site")]
          + ["Vital status", "Date of death", "Cause of death", "Last contact"],
          ([f"P{i:04d}"] + [v for _ in range(3) for v in (rnd.choice([None, day()]), rnd.choice([None, "BM", "CNS"]))]
           + [rnd.choice(["alive", "dead"]), rnd.choice([None, day()]),
              rnd.choice([None, f"progressive disease after cycle {rnd.randrange(9)} with infection"]), day()]
           for i in range(n)))
    sheet("Labs", ["Patient", "Date", "WBC", "Hb", "Plt", "LDH"],
          ([f"P{rnd.randrange(n):04d}", day(), f"{rnd.uniform(0.1, 50):.1f}", round(rnd.uniform(6, 16), 1),
            rnd.randrange(5, 400), rnd.randrange(100, 3000)] for _ in range(3 * n)))
    wb.save(path)
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "bench_scan.txt")
    args = ap.parse_args(argv)
    from mabseq.cohort.findings import Findings
    from mabseq.cohort.grid import read_grids
    from mabseq.scan import profile_data
    from mabseq.scan.render import scan_files

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "center_1000.xlsx"
        rows = build(path, args.patients)
        size = path.stat().st_size
        f = Findings()
        prof = profile_data(path, f)
        n_cells = sum(s.n_rows * len(s.columns) for s in prof.sources)
        floor = best_of(lambda: read_grids(path, Findings()), args.repeat)
        profile_t = best_of(lambda: profile_data(path, Findings()), args.repeat)
        whole = best_of(lambda: scan_files(profile_data(path, Findings())), args.repeat)
        files = scan_files(prof, f)
        import os
        import subprocess
        import time
        env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(Path(__file__).resolve().parents[1] / "src"),
                                                           os.environ.get("PYTHONPATH", "")]))
        cli = float("inf")
        for k in range(args.repeat):
            t0 = time.perf_counter()
            r = subprocess.run([sys.executable, "-m", "mabseq.cli", "scan", str(path), "--out",
                                str(Path(tmp) / f"out{k}"), "--quiet"], env=env, capture_output=True, text=True)
            cli = min(cli, time.perf_counter() - t0)
            if r.returncode != 0:
                raise SystemExit(f"mabseq scan failed: {r.stderr}")
    lines = [
        f"bench_scan: mabseq scan of a {args.patients:,}-patient, {len(rows)}-sheet workbook "
        f"({size / 1e6:.2f} MB; rows per sheet: " + ", ".join(f"{k} {v:,}" for k, v in rows.items()) + ")",
        f"python {platform.python_version()} on {platform.machine()}; best of {args.repeat} after a warm-up",
        f"profiled data cells: {n_cells:,}; layouts: " + ", ".join(f"{s.name}={s.layout}" for s in prof.sources),
        "cells shown as percent in Excel: " + ", ".join(f"{s.name} {c.header} {c.excel_percent:,}"
                                                        for s in prof.sources for c in s.columns if c.excel_percent),
        f"floor (read_grids alone):           {floor:7.3f} s",
        f"profile_data (read + profile):      {profile_t:7.3f} s  ({profile_t - floor:.3f} s over the floor)",
        f"scan (profile + scan.json + .html): {whole:7.3f} s  (target < 10 s: {'met' if whole < 10 else 'MISSED'})",
        f"mabseq scan DATA --out DIR, a fresh process (imports included): {cli:.3f} s",
        f"outputs: scan.json {len(files['scan.json'].encode()):,} bytes, scan.html "
        f"{len(files['scan.html'].encode()):,} bytes",
    ]
    text = "\n".join(lines) + "\n"
    print(text, end="")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
