"""Benchmark: ``validate --mapping mapping.yaml`` on a 1,000-patient center workbook (the issue's bound: < 10 s).

Builds the workbook itself from a synthetic cohort (``mabseq.studies.synth``, 1,000 patients: ~22,000 rows in
all) in a center's layout: 10 sheets under the center's names, a title row above each header, headers in upper
case, ids in lower case with stray spaces, sex as m/f, yes/no columns as y/n/unk, follow-up dates as dd/mm/yyyy,
blasts with percent signs, a key/value study sheet, an extra column and an extra sheet; assessments split in two
sheets (morphology and flow) joined on patient and date. Reports, each in a fresh process: the workbook's size,
the time of ``mabseq validate --mapping`` (reading, mapping SQL, coercion, checks) and, for comparison, the time of
``mabseq validate`` on the same cohort as a template CSV folder.

    python benchmarks/bench_mapping.py [--patients 1000]
"""
from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

SEX = {"male": "m", "female": "f", "unknown": "unk"}
YN = {"yes": "y", "no": "n", "unknown": "unk"}
FLOW = ["abnormal_population", "cd19_pct_positive", "cd19_mfi_abnormal", "cd19_mfi_reference", "cd19_call",
        "cd22_pct_positive", "cd22_mfi_abnormal", "cd22_mfi_reference", "cd22_call"]


def text(s: pd.Series, col) -> list:
    if col.type == "date":
        return [None if pd.isna(v) else pd.Timestamp(v).strftime("%Y-%m-%d") for v in s]
    if col.type in ("number", "integer"):
        return [None if pd.isna(v) else (str(int(v)) if float(v).is_integer() else repr(float(v))) for v in s]
    return [None if pd.isna(v) else str(v) for v in s]


def header(c: str) -> str:
    return c.replace("_", " ").upper()


def build(n: int, folder: Path) -> tuple[Path, Path, Path]:
    import openpyxl
    from mabseq.cohort.schema import BY_NAME
    from mabseq.studies.synth import synthesize
    cohort = synthesize(n, 1)
    csv_dir = folder / "template"
    csv_dir.mkdir()
    for name, df in cohort.tables.items():
        t = BY_NAME[name]
        pd.DataFrame({c.name: text(df[c.name], c) for c in t.columns}).to_csv(csv_dir / f"{name}.csv", index=False)
    wb = openpyxl.Workbook(write_only=True)
    lines = ["mabseq_mapping: 1", 'dates: ["%d/%m/%Y"]', "values:", "  yn: {y: 'yes', n: 'no', unk: unknown}",
             "sources:"]
    tables = ["tables:"]

    def sheet(title, cols, data, name, extra=False):
        ws = wb.create_sheet(title)
        ws.append([f"{title}: center B chart review"])
        ws.append([header(c) for c in cols] + (["NOTES"] if extra else []))
        for r in zip(*data):
            ws.append(list(r) + (["free text"] if extra else []))
        lines.append(f'  {name}: {{sheet: "{title}", header_row: 2' + (", ignore_columns: [NOTES]}" if extra
                                                                          else "}"))

    for name, df in cohort.tables.items():
        t = BY_NAME[name]
        cols = [c.name for c in t.columns]
        if name == "study":
            ws = wb.create_sheet("Study info")
            ws.append(["Item", "Value"])
            for c in t.columns:
                v = text(df[c.name], c)[0]
                ws.append([header(c.name), v])
            lines.append('  info: {sheet: "Study info", layout: key_value, key_column: Item, value_column: Value}')
            tables += ["  study:", "    from: info", "    columns:"] + [f'      {c}: "{header(c)}"' for c in cols]
            continue
        data = {c.name: text(df[c.name], c) for c in t.columns}
        data["patient_id"] = ["  " + v.lower() + " " for v in data["patient_id"]]
        spec = {}
        for c in t.columns:
            if c.choices and set(c.codes) == {"yes", "no", "unknown"}:
                data[c.name] = [None if v is None else YN[v] for v in data[c.name]]
                spec[c.name] = f'{{column: "{header(c.name)}", values: yn}}'
        if name == "patients":
            data["sex"] = [SEX[v] for v in data["sex"]]
            spec["sex"] = '{column: "SEX", values: {m: male, f: female, unk: unknown}}'
        if name == "follow_up":
            for c in ("last_contact_date", "death_date"):
                data[c] = [None if v is None else f"{v[8:10]}/{v[5:7]}/{v[:4]}" for v in data[c]]
        if name == "assessments":
            data["bm_blast_pct"] = [None if v is None else v + " %" for v in data["bm_blast_pct"]]
            morph = [c for c in cols if c not in FLOW]
            sheet("Marrow morphology", morph, [data[c] for c in morph], "morph")
            flow = ["patient_id", "assessment_date", "specimen"] + FLOW
            has = np.array([any(data[c][i] is not None for c in FLOW) for i in range(len(df))])
            fdata = [[v for v, h in zip(data[c], has) if h] for c in flow]
            ws_title = "Flow cytometry"
            sheet(ws_title, ["Pt", "Sample date", "Sample"] + FLOW, fdata, "flow")
            tables += ["  assessments:", "    from: morph",
                       "    join: [{source: flow, on: {PATIENT ID: Pt, ASSESSMENT DATE: Sample date, SPECIMEN: Sample}, how: left}]",
                       "    columns:"]
            tables += [f"      {c}: " + spec.get(c, f'"{header(c)}"') for c in morph]
            tables += [f'      {c}: {{source: flow, column: "{header(c)}"' + (", values: yn}" if c in spec else "}")
                       for c in FLOW]
            continue
        sheet(name.replace("_", " ").title(), cols, [data[c] for c in cols], name, extra=name == "patients")
        tables += [f"  {name}:", f"    from: {name}", "    columns:"]
        tables += [f"      {c}: " + spec.get(c, f'"{header(c)}"') for c in cols]
    wb.create_sheet("Read me").append(["how this workbook is kept"])
    book = folder / "center.xlsx"
    wb.save(book)
    mapping = folder / "mapping.yaml"
    mapping.write_text("\n".join(lines + tables) + "\n", encoding="utf-8")
    return book, mapping, csv_dir


def timed(args: list[str]) -> tuple[float, str]:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "mabseq.cli", *args], capture_output=True, text=True)
    return time.perf_counter() - t0, (r.stdout + r.stderr).strip().splitlines()[-1] + f" (exit {r.returncode})"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--patients", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        book, mapping, csv_dir = build(a.patients, Path(tmp))
        print(f"inputs: {a.patients:,} patients; {book.stat().st_size / 1024:.0f} kB workbook, 11 sheets; mapping "
              f"{len(mapping.read_text().splitlines())} lines")
        from mabseq.cohort import load_cohort
        mapped, f = load_cohort(book, mapping=mapping)
        direct, _ = load_cohort(csv_dir)
        print(f"mapped cohort equals the template's: {mapped is not None and mapped.equals(direct)} "
              f"({len(f.errors)} errors, {len(f.warnings)} warnings)")
        for label, args in (("validate --mapping (workbook)", ["validate", str(book), "--mapping", str(mapping)]),
                            ("validate (template CSV folder)", ["validate", str(csv_dir)])):
            runs = [timed(args) for _ in range(a.repeat)]
            best = min(t for t, _ in runs)
            print(f"{label:34s} best {best:6.2f} s of {a.repeat}   {runs[0][1]}")


if __name__ == "__main__":
    main()
