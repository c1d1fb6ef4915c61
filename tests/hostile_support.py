"""Helpers for the hostile-input tests: the valid example cohort as a CSV folder, a workbook or a REDCap project,
ways to break each, and checks every finding must pass (plain text, a place, no traceback in the CLI)."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import unicodedata
import zipfile
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from mabseq.cli import app
from mabseq.cohort import load_cohort

CORPUS = Path(__file__).parent / "cohort_corpus"
VALID = CORPUS / "valid"
TABLE_FILES = sorted(p.stem for p in VALID.glob("*.csv"))
runner = CliRunner()


def valid_rows(table: str) -> list[list[str]]:
    """The valid example's CSV file of ``table`` as rows (header first)."""
    with open(VALID / f"{table}.csv", newline="", encoding="utf-8") as f:
        return [r for r in csv.reader(f)]


def csv_text(rows: list[list[str]], line_end: str = "\n") -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator=line_end).writerows(rows)
    return buf.getvalue()


def csv_folder(tmp: Path, **files) -> Path:
    """The valid CSV folder in ``tmp/data`` with files replaced (text or bytes) or removed (None)."""
    folder = tmp / "data"
    shutil.copytree(VALID, folder)
    for name, body in files.items():
        p = folder / (name if "." in name else f"{name}.csv")
        if body is None:
            p.unlink()
        elif isinstance(body, bytes):
            p.write_bytes(body)
        else:
            p.write_text(body, encoding="utf-8", newline="")
    return folder


def workbook(path: Path, *, edit=None, tables=None) -> Path:
    """The valid cohort as an .xlsx (one sheet per table, cells as text as a data manager might paste them);
    ``edit(wb)`` changes it before it is saved."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for t in tables or TABLE_FILES:
        ws = wb.create_sheet(t)
        for r in valid_rows(t):
            ws.append([v if v != "" else None for v in r])
    if edit is not None:
        edit(wb)
    wb.save(path)
    return path


def rewrite_zip(src: Path, dst: Path, change=None, add: dict | None = None, drop=()) -> Path:
    """A copy of zip ``src`` at ``dst`` with members changed (``change(name, data) -> data``), added or dropped."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            if info.filename in drop:
                continue
            data = zin.read(info.filename)
            if change is not None:
                data = change(info.filename, data)
            zout.writestr(info.filename, data)
        for name, data in (add or {}).items():
            zout.writestr(name, data)
    return dst


def sheet_part(xlsx: Path, title: str) -> str:
    """The zip member holding the sheet named ``title`` (openpyxl numbers them in order)."""
    wb = openpyxl.load_workbook(xlsx, read_only=True)
    names = wb.sheetnames
    wb.close()
    return f"xl/worksheets/sheet{names.index(title) + 1}.xml"


def redcap_project(tmp: Path) -> Path:
    """A REDCap project made from the valid cohort: records.csv, dictionary.csv, mapping.json (study values)."""
    from mabseq.cohort.redcap import data_dictionary, export_records
    cohort, findings = load_cohort(VALID)
    assert not findings.errors
    (tmp / "dictionary.csv").write_text(data_dictionary(), encoding="utf-8")
    (tmp / "records.csv").write_text(export_records(cohort), encoding="utf-8")
    study = dict(zip(*valid_rows("study")))
    (tmp / "mapping.json").write_text(json.dumps({"study": study}), encoding="utf-8")
    return tmp


def load_redcap(project: Path, records: str | bytes | None = None, dictionary: str | bytes | None = None):
    for name, body in (("records.csv", records), ("dictionary.csv", dictionary)):
        if isinstance(body, bytes):
            (project / name).write_bytes(body)
        elif body is not None:
            (project / name).write_text(body, encoding="utf-8", newline="")
    return load_cohort(project / "records.csv", redcap_dictionary=project / "dictionary.csv",
                       mapping=project / "mapping.json")


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


def with_rule(findings, rule: str) -> list:
    got = [f for f in findings if f.rule == rule]
    assert got, f"no {rule} finding in:\n{findings.summary_text()}"
    return got


def one(findings, rule: str):
    got = with_rule(findings, rule)
    assert len(got) == 1, f"{len(got)} {rule} findings:\n{findings.summary_text()}"
    return got[0]


_REPR = re.compile(r"np\.\w+\(|numpy\.|Timestamp\(|NaT\b|\bNone\b|\bnan\b|<NA>|datetime\.|Traceback|Error\)")


def assert_plain(findings) -> None:
    """Every finding reads as plain text: no Python reprs, no raw control or invisible format characters in its
    printed form, and a place (a source) for every error."""
    for f in findings:
        line = str(f)
        assert not _REPR.search(f.message), line
        assert not _REPR.search(line), line
        bad = [c for c in line if unicodedata.category(c) in ("Cc", "Cf") or c in "\u2028\u2029"]
        assert not bad, (line, bad)
        if f.severity == "error":
            assert f.source, line


def cli_validate(data: Path, *args) -> object:
    """``mabseq validate DATA ...`` in-process: the result (exit code, output)."""
    r = runner.invoke(app, ["validate", str(data), *map(str, args)])
    assert r.exception is None or isinstance(r.exception, SystemExit), repr(r.exception)
    assert "Traceback" not in r.output
    return r
