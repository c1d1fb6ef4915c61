"""Benchmark: `mabseq map draft` on a 1,000-patient chart-review workbook (issue 13: under 10 s).

The workbook is generated here (7 sheets in a center's own layout: demographics, 3 courses per patient as free
text, marrow and flow sheets, an outcomes sheet with 3 repeated relapse groups and 400 distinct free-text causes
of death, a key/value info sheet). Timed: the whole command path (scan profile, vocabularies, draft, write through
plan_file), best of ``--repeat`` after one warm-up, and its parts once.

    python benchmarks/bench_draft.py [--patients 1000] [--repeat 3]
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from pathlib import Path

import openpyxl

from _timing import best_of  # noqa: E402  (benchmarks/ is on sys.path when run as a script)


def make_book(path: Path, n: int, seed: int = 13) -> None:
    rng = random.Random(seed)
    wb = openpyxl.Workbook(write_only=True)

    def sheet(name, header, rows):
        ws = wb.create_sheet(name)
        ws.append(header)
        for r in rows:
            ws.append(r)
    ids = [f"P{i:04d}" for i in range(n)]
    d0 = dt.date(2015, 1, 1)

    def day(k=2500):
        return d0 + dt.timedelta(rng.randrange(k))
    sheet("Demographics", ["Study no.", "Gender", "Dx date", "DOB", "Ph+", "prior SCT?", "Notes"],
          [[i, rng.choice(["m", "f", "Male", "F"]), day(2000), d0 - dt.timedelta(rng.randrange(20000, 30000)),
            rng.choice(["yes", "no", "?"]), rng.choice(["yes", "no", "unk"]), f"note {rng.randrange(900)}"]
           for i in ids])
    regs = ["HCVAD", "blinatumomab cyc 1", "blinatumomab cyc 2", "InO/mini-HCVD", "Kymriah", "blina+dasatinib",
            "FLAG-IDA", "POMP"]
    sheet("Treatments", ["Patient", "Regimen", "Start", "End", "Cycles", "Intent", "Best response"],
          [[i, rng.choice(regs) + rng.choice(["", f" #{rng.randrange(9)}"]), day().strftime("%d/%m/%Y"), "",
            rng.choice(["1", "2", "3 (stopped early)"]), rng.choice(["salvage", "frontline", "bridge to SCT"]),
            rng.choice(["CR", "CRi", "NR", "PR", "CR (MRD-neg)"])] for i in ids for _ in range(3)])
    sheet("Marrow", ["Patient", "Date", "Blasts %", "Response"],
          [[i, day(), rng.choice(["<5", "12 %", "approx 40", ">95", "3"]), "CR"] for i in ids for _ in range(3)])
    sheet("Flow", ["Pt ID", "Sample date", "MRD", "CD19 %"],
          [[i, day(), rng.choice(["not detected", "<0.01 %", "0.005%", "failed sample"]), rng.randrange(100)]
           for i in ids for _ in range(3)])
    sheet("Outcomes", ["ID"] + [f"relapse_{k}_{f}" for k in (1, 2, 3) for f in ("date", "site")]
          + ["Vital status", "Last contact", "Date of death", "Cause of death"],
          [[i] + [day(), rng.choice(["BM", "CNS", "BM + CNS"])] * 3
           + [rng.choice(["alive", "dead"]), d0 + dt.timedelta(3000), None, f"cause text {rng.randrange(400)}"]
           for i in ids])
    sheet("Info", ["Item", "Value"], [["Data cut-off", "31/12/2023"], ["Center", "B"]])
    wb.save(path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    from mabseq.cli.draft_cmd import draft
    from mabseq.cohort.findings import Findings
    from mabseq.mapping.draft import draft_mapping
    from mabseq.mapping.vocab import load_vocabularies
    from mabseq.scan.profile import profile_data
    with tempfile.TemporaryDirectory() as tmp:
        book = Path(tmp) / "center.xlsx"
        t0 = time.perf_counter()
        make_book(book, a.patients)
        built = time.perf_counter() - t0
        out = Path(tmp) / "mapping.yaml"
        t0 = time.perf_counter()
        draft(book, out)
        first = time.perf_counter() - t0
        best = best_of(lambda: draft(book, out, overwrite=True), a.repeat)
        t0 = time.perf_counter()
        prof = profile_data(book, Findings())
        t1 = time.perf_counter()
        v = load_vocabularies()
        t2 = time.perf_counter()
        d = draft_mapping(prof, v)
        t3 = time.perf_counter()
        lines = out.read_text(encoding="utf-8").count("\n")
    rows = sum(s.n_rows for s in prof.sources)
    print(f"# bench_draft.py, {dt.date.today()}, {a.patients} patients, {rows} rows in 7 sheets "
          f"(built in {built:.1f} s)")
    print(f"map draft (scan + vocabularies + draft + write): first call {first:.2f} s, best of {a.repeat} "
          f"{best:.2f} s")
    print(f"  parts: scan profile {t1 - t0:.2f} s, vocabularies {t2 - t1:.2f} s, draft {t3 - t2:.2f} s")
    print(f"  the draft: {lines} lines, {d.todo} TODO (most: the 400 free-text causes of death)")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    main()
