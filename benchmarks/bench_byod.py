"""Benchmark: "bring your own data" on the two test centers (issue 13, Done when): ``mabseq scan``, ``mabseq map
draft`` and ``mabseq validate --mapping edited.yaml``, each as a fresh process (interpreter start, imports and the
atomic write included), on the committed centers (46 and 44 patients) and on their 1,000-patient copies built by
``make_center.py --patients N --out DIR`` (never committed). The target is < 10 s per command on the 1,000-patient
copies; the floor is :func:`mabseq.cohort.grid.read_grids` alone in a fresh process (reading the workbook or the
CSV folder as text grids, which every command does first). Each time is the median of ``--repeat`` runs.

``validate`` uses the center's committed ``edited.yaml`` (the draft of the committed center after a person's
edits); on a scaled copy it meets spellings the small center's draft never listed, which are errors
(``mapping.value_unmapped``, exit 2, their count reported: the time is still the whole command's, every row read
and parsed). For a run that ends valid on the scaled copy, ``validate`` with the center's hand-written
``mapping.yaml`` (which lists every spelling the generator uses) is timed too. The scaled copy's own draft may
differ from the committed one: only its time is measured.

    python benchmarks/bench_byod.py [--patients 1000] [--repeat 5] [--out benchmarks/results/bench_byod.txt]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CENTERS = ROOT / "tests" / "centers"
FORMS = {"center_b": ("center_b.xlsx", []), "center_c": ("export", ["--encoding", "cp1252"])}
TARGET = 10.0
FLOOR = ("import sys; from mabseq.cohort.findings import Findings; from mabseq.cohort.grid import GridOptions, "
         "read_grids; from pathlib import Path; p = Path(sys.argv[1]); enc = sys.argv[2] or None; "
         "opts = {q.name: GridOptions(None, enc) for q in p.iterdir()} if p.is_dir() else {}; "
         "f = Findings(); g = read_grids(p, f, opts); assert g and not f.errors, f.summary_text()")


def _env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT / "src") + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _time(cmd: list[str], repeat: int) -> tuple[float, int, str]:
    """(median wall seconds, exit status of the last run, its last output line)."""
    times, rc, last = [], 0, ""
    for _ in range(repeat):
        t0 = time.perf_counter()
        r = subprocess.run(cmd, capture_output=True, text=True, env=_env())
        times.append(time.perf_counter() - t0)
        rc = r.returncode
        lines = (r.stdout + r.stderr).strip().splitlines()
        counts = [x for x in lines if "error(s)," in x]  # validate's summary; otherwise the last line
        last = counts[0] if counts else (lines[-1] if lines else "")
    return statistics.median(times), rc, last


def measure(center: str, folder: Path, repeat: int, work: Path) -> list[tuple[str, float, int, str]]:
    form, opts = FORMS[center]
    data = folder / form
    enc = opts[1] if opts else ""
    mabseq = [sys.executable, "-m", "mabseq.cli"]
    edited = CENTERS / center / "edited.yaml"
    rows = [("floor: read_grids", *_time([sys.executable, "-c", FLOOR, str(data), enc], repeat))]
    rows.append(("scan", *_time(mabseq + ["scan", str(data), "--out", str(work / "scan"), "--overwrite",
                                          "--quiet"] + opts, repeat)))
    rows.append(("map draft", *_time(mabseq + ["map", "draft", str(data), "--out", str(work / "draft.yaml"),
                                               "--overwrite"] + opts, repeat)))
    rows.append(("validate --mapping edited.yaml", *_time(mabseq + ["validate", "--mapping", str(edited),
                                                                    str(data)], repeat)))
    rows.append(("validate --mapping mapping.yaml", *_time(mabseq + ["validate", "--mapping",
                                                                     str(CENTERS / center / "mapping.yaml"),
                                                                     str(data)], repeat)))
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--out", type=Path, help="also write the report to this file")
    a = ap.parse_args(argv)
    lines = [f"# bench_byod.py, {dt.date.today().isoformat()}, {platform.python_version()}, {os.cpu_count()} cores "
             f"(shared); median of {a.repeat} fresh processes per line; target < {TARGET:.0f} s at "
             f"{a.patients} patients",
             f"# python benchmarks/bench_byod.py --patients {a.patients} --repeat {a.repeat}"]
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for center in FORMS:
            big = tmp / f"{center}_{a.patients}"
            t0 = time.perf_counter()
            subprocess.run([sys.executable, str(CENTERS / center / "make_center.py"), "--patients",
                            str(a.patients), "--out", str(big)], check=True, env=_env())
            built = time.perf_counter() - t0
            for label, folder in (("committed", CENTERS / center), (f"{a.patients} patients", big)):
                form = folder / FORMS[center][0]
                size = sum(p.stat().st_size for p in form.rglob("*")) if form.is_dir() else form.stat().st_size
                head = f"{center} ({label}, {size / 1024:.0f} kB" + (f", built in {built:.1f} s)"
                                                                      if folder == big else ")")
                lines.append(head)
                work = tmp / f"work_{center}_{label.split()[0]}"
                work.mkdir()
                rows = measure(center, folder, a.repeat, work)
                floor = rows[0][1]
                for name, sec, rc, last in rows:
                    verdict = "" if name.startswith("floor") else (
                        f"  {'under' if sec < TARGET else 'OVER'} {TARGET:.0f} s; {sec / floor:.1f}x the floor")
                    lines.append(f"  {name:32s} {sec:6.2f} s  exit {rc}{verdict}   {last[:90]}")
                print("\n".join(lines[-len(rows) - 1:]), flush=True)
    text = "\n".join(lines) + "\n"
    if a.out:
        a.out.parent.mkdir(parents=True, exist_ok=True)
        a.out.write_text(text, encoding="utf-8")
    else:
        print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
