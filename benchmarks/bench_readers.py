"""Benchmark: the readers alone (no validation) on a 500,000-row sheet, against the floor and the alternatives.

Makes an Excel-like workbook (shared strings, dates as serial numbers with a date style, as Excel saves it) with
one ``patients`` sheet of ``--rows`` rows x 21 columns, and the same rows as a CSV folder. Each measurement is a
fresh process (wall time and peak RSS of that process):

- floor: inflate the sheet XML once and count its rows (what any reader must at least do);
- mabseq's scan of the sheet (real extent, formulas without values, error cells);
- python-calamine: open, parse the sheet, iterate its rows (the cell reader mabseq uses);
- openpyxl read-only, values only (the reader mabseq used before), on ``--openpyxl-rows`` rows, extrapolated;
- mabseq's whole Excel door (``read_raw``: zip checks, scan, calamine, raw tables) and its CSV door;
- hostile files: a small workbook declaring A1:XFD1048576 with an empty formatted row 1048576 (the case that
  took openpyxl ~12 minutes), a zip bomb (300 MiB of XML in ~300 kB), a stray cell at XFD1048576.

    python benchmarks/bench_readers.py [--rows 500000] [--openpyxl-rows 50000]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
COLUMNS = ["patient_id", "diagnosis", "sex", "birth_date", "age_at_diagnosis", "diagnosis_date", "ph_status",
           "karyotype", "modal_number", "n_karyotype_abnormalities", "kmt2a", "kmt2a_partner", "t_8_14",
           "cytogenetic_risk_recorded", "frontline_response", "frontline_cr_date", "prior_lines_recorded",
           "prior_allohsct", "prior_cart", "emd_before_mab1", "no_transplant_reason"]


def _rows(n: int):
    rnd = random.Random(1)
    for i in range(n):
        d = dt.date(2010, 1, 1) + dt.timedelta(days=rnd.randrange(3000))
        yield [f"P{i:06d}", "b_all", rnd.choice(["male", "female"]), None, round(rnd.uniform(18, 80), 1), d,
               "negative", "46,XY", 46, 0, "not_rearranged", None, "no", "standard", "cr",
               d + dt.timedelta(days=40), 1, "no", "no", "no", None]


def _letters(j: int) -> str:
    s, j = "", j + 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def write_excel_like(path: Path, n: int) -> None:
    """A workbook in the form Excel writes: shared strings, r on every row and cell, date style numFmt 14."""
    strings: dict[str, int] = {}
    letters = [_letters(j) for j in range(len(COLUMNS))]
    epoch = dt.date(1899, 12, 30)

    def si(s: str) -> int:
        return strings.setdefault(s, len(strings))

    def row_xml(r: int, values) -> str:
        cells = []
        for col, v in zip(letters, values):
            if v is None:
                continue
            if isinstance(v, str):
                cells.append(f'<c r="{col}{r}" t="s"><v>{si(v)}</v></c>')
            elif isinstance(v, dt.date):
                cells.append(f'<c r="{col}{r}" s="1"><v>{(v - epoch).days}</v></c>')
            else:
                cells.append(f'<c r="{col}{r}"><v>{v}</v></c>')
        return f'<row r="{r}">{"".join(cells)}</row>'

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.'
                   'openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
                   'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/'
                   'xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
                   'officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" '
                   'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
                   '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
                   'officedocument.spreadsheetml.sharedStrings+xml"/><Override PartName="/xl/styles.xml" '
                   'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/></Types>')
        z.writestr("_rels/.rels", f'<Relationships xmlns="{RELS_NS}"><Relationship Id="rId1" Type="{DOC_REL}/'
                   'officeDocument" Target="xl/workbook.xml"/></Relationships>')
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{NS}" xmlns:r="{DOC_REL}"><sheets><sheet name="patients" '
                   'sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels", f'<Relationships xmlns="{RELS_NS}"><Relationship Id="rId1" '
                   f'Type="{DOC_REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="'
                   f'{DOC_REL}/styles" Target="styles.xml"/><Relationship Id="rId3" Type="{DOC_REL}/sharedStrings" '
                   'Target="sharedStrings.xml"/></Relationships>')
        z.writestr("xl/styles.xml", f'<styleSheet xmlns="{NS}"><fonts count="1"><font><sz val="11"/><name '
                   'val="Calibri"/></font></fonts><fills count="1"><fill><patternFill patternType="none"/></fill>'
                   '</fills><borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
                   '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
                   '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/><xf '
                   'numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>'
                   '</styleSheet>')
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><sheetData>'.encode())
            f.write(row_xml(1, COLUMNS).encode())
            buf = []
            for r, values in enumerate(_rows(n), start=2):
                buf.append(row_xml(r, values))
                if len(buf) == 5000:
                    f.write("".join(buf).encode())
                    buf = []
            f.write("".join(buf).encode() + b"</sheetData></worksheet>")
        body = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
        z.writestr("xl/sharedStrings.xml", f'<sst xmlns="{NS}" count="{len(strings)}" uniqueCount="{len(strings)}">'
                   f"{body}</sst>")


def write_csv(folder: Path, n: int) -> None:
    import csv
    folder.mkdir()
    with open(folder / "patients.csv", "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for values in _rows(n):
            w.writerow(["" if v is None else v.isoformat() if isinstance(v, dt.date) else v for v in values])


def write_hostile(d: Path) -> dict[str, Path]:
    """The declared-dimension file, the zip bomb and the stray far cell, from a small valid sheet."""
    import openpyxl
    small = d / "small.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "patients"
    ws.append(COLUMNS)
    for values in _rows(300):
        ws.append(values)
    wb.save(small)
    out = {}
    out["dimension"] = d / "dimension.xlsx"
    with zipfile.ZipFile(small) as zin, zipfile.ZipFile(out["dimension"], "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":  # as Excel writes a formatted last row
                import re
                data = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', data)
                data = data.replace(b"</sheetData>", b'<row r="1048576" ht="20" customHeight="1"/></sheetData>')
            zout.writestr(info.filename, data)
    out["bomb"] = d / "bomb.xlsx"
    with zipfile.ZipFile(small) as zin, zipfile.ZipFile(out["bomb"], "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename != "xl/worksheets/sheet1.xml":
                zout.writestr(info.filename, zin.read(info.filename))
        with zout.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as f:
            f.write(f'<worksheet xmlns="{NS}"><sheetData>'.encode())
            for _ in range(300):
                f.write(b" " * (1 << 20))
            f.write(b"</sheetData></worksheet>")
    ws["XFD1048576"] = "x"
    out["far_cell"] = d / "far_cell.xlsx"
    wb.save(out["far_cell"])
    return out


JOBS = {
    "floor": """
import zipfile
n = 0
with zipfile.ZipFile(PATH).open("xl/worksheets/sheet1.xml") as f:
    while True:
        b = f.read(1 << 22)
        if not b:
            break
        n += b.count(b"<row")
RESULT = f"{n - 1:,} rows"
""",
    "mabseq scan": """
import zipfile
from mabseq.cohort.limits import DEFAULT
from mabseq.cohort.xlsx_scan import scan_sheet
s = scan_sheet(zipfile.ZipFile(PATH), "xl/worksheets/sheet1.xml", DEFAULT, "")
RESULT = f"extent A1:{s.max_col} cols x {s.max_row:,} rows"
""",
    "calamine": """
import python_calamine
sheet = python_calamine.CalamineWorkbook.from_path(PATH).get_sheet_by_name("patients")
n = sum(1 for _ in sheet.iter_rows())
RESULT = f"{n - 1:,} rows"
""",
    "openpyxl read-only": """
import openpyxl
ws = openpyxl.load_workbook(PATH, read_only=True, data_only=True)["patients"]
n = 0
for _ in ws.iter_rows(values_only=True):
    n += 1
RESULT = f"{n - 1:,} rows"
""",
    "mabseq Excel door": """
from mabseq.cohort.findings import Findings
from mabseq.cohort.load import read_raw
f = Findings()
raws = read_raw(PATH, f)
RESULT = f"{sum(len(r.frame) for r in raws):,} rows; {len(f.errors)} errors: " + "; ".join(x.rule for x in f.errors)
""",
    "mabseq CSV door": """
from mabseq.cohort.findings import Findings
from mabseq.cohort.load import read_raw
f = Findings()
raws = read_raw(PATH, f)
RESULT = f"{sum(len(r.frame) for r in raws):,} rows; {len(f.errors)} errors"
""",
}


def run(job: str, path: Path) -> tuple[float, float, str]:
    """Wall seconds, peak RSS (MB) and the job's result line, in a fresh process."""
    code = (f"import time\nPATH = {str(path)!r}\nt0 = time.perf_counter()\n" + JOBS[job]
            + "\nprint(f'{time.perf_counter() - t0:.3f}|{RESULT}')\n")
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    out = p.stdout.read()
    _, status, usage = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        raise RuntimeError(f"{job} failed")
    seconds, result = out.strip().splitlines()[-1].split("|", 1)
    return float(seconds), usage.ru_maxrss / 1024, result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=500_000)
    ap.add_argument("--openpyxl-rows", type=int, default=50_000)
    args = ap.parse_args()
    lines = []

    def show(label: str, seconds: float, rss: float, result: str, note: str = "") -> None:
        line = f"{label:<34} {seconds:8.2f} s {rss:8.0f} MB   {result}{note}"
        print(line, flush=True)
        lines.append(line)

    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        xlsx, small, csv_dir = d / "patients.xlsx", d / "openpyxl.xlsx", d / "csv"
        t0 = time.perf_counter()
        write_excel_like(xlsx, args.rows)
        write_excel_like(small, args.openpyxl_rows)
        write_csv(csv_dir, args.rows)
        with zipfile.ZipFile(xlsx) as z:
            info = z.getinfo("xl/worksheets/sheet1.xml")
        print(f"made the inputs in {time.perf_counter() - t0:.1f} s: {xlsx.stat().st_size / 2**20:.1f} MiB xlsx "
              f"({info.file_size / 2**20:.0f} MiB of sheet XML), "
              f"{(csv_dir / 'patients.csv').stat().st_size / 2**20:.0f} MiB CSV", flush=True)
        lines.append(f"inputs: {args.rows:,} rows x {len(COLUMNS)} columns; {xlsx.stat().st_size / 2**20:.1f} MiB "
                     f"xlsx holding {info.file_size / 2**20:.0f} MiB of sheet XML; "
                     f"{(csv_dir / 'patients.csv').stat().st_size / 2**20:.0f} MiB CSV")
        for job in ("floor", "mabseq scan", "calamine", "mabseq Excel door"):
            show(job, *run(job, xlsx))
        s, rss, result = run("openpyxl read-only", small)
        show("openpyxl read-only", s * args.rows / args.openpyxl_rows, rss, result,
             f" (measured {s:.2f} s on {args.openpyxl_rows:,} rows, scaled to {args.rows:,})")
        show("mabseq CSV door", *run("mabseq CSV door", csv_dir))
        for name, path in write_hostile(d).items():
            show(f"hostile: {name} ({path.stat().st_size / 1024:,.0f} kB)", *run("mabseq Excel door", path))
    print("\n".join(["", "# copy into benchmarks/results/bench_readers.txt"] + lines))


if __name__ == "__main__":
    main()
