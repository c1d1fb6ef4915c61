"""Blank data-collection templates generated from the schema.

``write_xlsx_template(path)``: one sheet per table with the header row, drop-down lists for coded columns (the
labels; codes are accepted too), date, whole-number and decimal validation with the schema's ranges, a ``columns``
sheet that explains every column and a ``README`` sheet. The file is byte-identical from run to run (fixed document
properties and zip timestamps).
"""
from __future__ import annotations

import datetime as _dt
import io
import zipfile
from pathlib import Path

from .schema import SCHEMA_VERSION, TABLES, schema_markdown

_FIXED = _dt.datetime(2020, 1, 1)
_ROWS = 2000  # rows that carry the validation


def _col_letter(i: int) -> str:
    from openpyxl.utils import get_column_letter
    return get_column_letter(i)


def _allowed(c) -> str:
    if c.type == "category":
        return "; ".join(f"{label} ({code})" for code, label in c.choices)
    if c.vocabulary:
        return "list separated by ';' of: " + ", ".join(code for code, _ in c.vocabulary) + ", ..."
    if c.min is not None or c.max is not None:
        lo = "" if c.min is None else f"{c.min:g}"
        hi = "" if c.max is None else f"{c.max:g}"
        return f"{lo} to {hi}" if lo and hi else (f">= {lo}" if lo else f"<= {hi}")
    if c.type == "date":
        return "date (YYYY-MM-DD)"
    return ""


def build_xlsx_template():
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    wb = Workbook()
    readme = wb.active
    readme.title = "README"
    n_cols = sum(len(t.columns) for t in TABLES)
    lines = [
        f"mabseq cohort template (schema {SCHEMA_VERSION}): {len(TABLES)} tables, {n_cols} columns.",
        "One sheet per table; one row per record under the header. Keep the sheet and column names.",
        "Use study IDs only: no names, medical record numbers or other identifiers.",
        "Dates as real dates or YYYY-MM-DD text. Coded columns: pick from the drop-down (the code works too).",
        "MRD is a fraction (0.01% = 0.0001); counts x10^9/L; bilirubin mg/dL; TBI cGy.",
        "The 'columns' sheet explains every column. Check a filled workbook with: mabseq validate FILE.xlsx",
    ]
    for i, line in enumerate(lines, start=1):
        readme.cell(row=i, column=1, value=line)
    readme.column_dimensions["A"].width = 110

    doc = wb.create_sheet("columns")
    head = ["table", "column", "type", "unit", "required", "allowed values", "description"]
    for j, h in enumerate(head, start=1):
        doc.cell(row=1, column=j, value=h).font = Font(bold=True)
    r = 2
    for t in TABLES:
        for c in t.columns:
            vals = [t.name, c.name, c.type, c.unit, "yes" if c.required else "", _allowed(c), c.description]
            for j, v in enumerate(vals, start=1):
                doc.cell(row=r, column=j, value=v)
            r += 1
    for j, w in enumerate([20, 28, 10, 10, 9, 60, 80], start=1):
        doc.column_dimensions[_col_letter(j)].width = w
    doc.freeze_panes = "A2"

    choices = wb.create_sheet("choices")
    lists = {}
    k = 1
    for t in TABLES:
        for c in t.columns:
            if c.type != "category":
                continue
            choices.cell(row=1, column=k, value=f"{t.name}.{c.name}")
            for i, (_, label) in enumerate(c.choices, start=2):
                choices.cell(row=i, column=k, value=label)
            letter = _col_letter(k)
            lists[(t.name, c.name)] = f"choices!${letter}$2:${letter}${len(c.choices) + 1}"
            k += 1
    choices.sheet_state = "hidden"

    header_fill = PatternFill("solid", fgColor="DDE5F0")
    for t in TABLES:
        ws = wb.create_sheet(t.name)
        for j, c in enumerate(t.columns, start=1):
            cell = ws.cell(row=1, column=j, value=c.name)
            cell.font = Font(bold=True, color="9C0006" if c.required else "000000")
            cell.fill = header_fill
            cell.alignment = Alignment(horizontal="center")
            letter = _col_letter(j)
            ws.column_dimensions[letter].width = max(12, min(28, len(c.name) + 4))
            rng = f"{letter}2:{letter}{_ROWS}"
            dv = None
            if c.type == "category":
                dv = DataValidation(type="list", formula1=lists[(t.name, c.name)], allow_blank=True)
            elif c.type == "date":
                dv = DataValidation(type="date", operator="between", formula1="DATE(1900,1,1)",
                                    formula2="DATE(2100,12,31)", allow_blank=True)
                for row in range(2, 52):
                    ws.cell(row=row, column=j).number_format = "yyyy-mm-dd"
            elif c.type in ("integer", "number"):
                kind = "whole" if c.type == "integer" else "decimal"
                lo = -1e12 if c.min is None else c.min
                hi = 1e12 if c.max is None else c.max
                dv = DataValidation(type=kind, operator="between", formula1=f"{lo:g}", formula2=f"{hi:g}",
                                    allow_blank=True)
            if dv is not None:
                dv.error = f"{c.name}: {_allowed(c) or c.type}"
                dv.errorTitle = "Value not allowed"
                dv.prompt = c.description + (f" ({c.unit})" if c.unit else "")
                dv.showErrorMessage = True
                dv.showInputMessage = True
                ws.add_data_validation(dv)
                dv.add(rng)
        ws.freeze_panes = "A2"
    wb.properties.creator = "mabseq"
    wb.properties.created = _FIXED
    wb.properties.modified = _FIXED
    wb.properties.lastModifiedBy = "mabseq"
    return wb


def deterministic_xlsx_bytes(wb) -> bytes:
    """Serialise an openpyxl workbook with fixed zip timestamps and member order."""
    wb.properties.created = wb.properties.created or _FIXED
    wb.properties.modified = _FIXED
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in src.namelist():
            data = src.read(name)
            if name == "docProps/core.xml":
                data = _fix_core(data)
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return out.getvalue()


def _fix_core(data: bytes) -> bytes:
    import re
    text = data.decode("utf-8")
    text = re.sub(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)", r"\g<1>2020-01-01T00:00:00Z\g<3>",
                  text)
    return text.encode("utf-8")


def write_xlsx_template(path: str | Path) -> Path:
    path = Path(path)
    path.write_bytes(deterministic_xlsx_bytes(build_xlsx_template()))
    return path


def write_schema_markdown(path: str | Path) -> Path:
    path = Path(path)
    path.write_text(schema_markdown() + "\n", encoding="utf-8")
    return path
