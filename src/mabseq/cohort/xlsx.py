"""The Excel door: an .xlsx/.xlsm workbook, one sheet per table, read fast and within bounds.

Order of work, so that nothing expensive happens before it is known to be bounded:

1. :mod:`mabseq.cohort.xlsx_package` checks the zip (what the file is, sizes and ratios from the zip directory,
   DTDs) and lists the sheets with their visibility;
2. the sheets to read are chosen: a visible worksheet named like a schema table (or through the mapping). A
   hidden or very hidden sheet is not read (``sheet.hidden`` warning naming it; it was read before); a chart
   sheet is not read; a sheet whose name is no table is ignored with a warning (one per sheet, or one listing
   them when there are more than 10); two sheets that both land on one table by their names are
   ``table.duplicate`` (an error: which one is meant is unknown) unless the mapping names both;
3. :mod:`mabseq.cohort.xlsx_scan` scans each chosen sheet's XML: its real extent (never the declared dimension),
   formula cells without a saved value, error cells;
4. python-calamine reads the cells (dates as dates, the workbook's 1900/1904 date system honoured); the header is
   the first non-blank row, and rows are numbered as Excel shows them.

Findings about cells (at most 20 of each rule per sheet, then a count), only for the header row and the columns
that are read:

- ``cell.formula_no_value``: a formula without a saved value ("open and save the workbook in Excel"): it used to
  be a silent blank;
- ``cell.formula_error``: a cell showing an error value such as ``#N/A`` or ``#DIV/0!``;
- ``cell.merged``: merged cells (only the first holds the value; the others would read empty);
- ``cell.too_long``: more characters than a cell may hold (32,767, Excel's own limit).

Why calamine (python-calamine) and not openpyxl: on a 500,000-row, 21-column sheet openpyxl's read-only mode
takes about 230 s, calamine about 7 s and one inflate of the sheet XML alone 0.7 s
(``benchmarks/bench_readers.py``). calamine does not expand entities and enforces the zip's declared sizes, but it
allocates a sheet from A1 to its last cell at once, which is why step 3 bounds the extent first.
"""
from __future__ import annotations

import gc
from pathlib import Path

import numpy as np

from . import limits as _limits
from .columns import header_text, plan_columns, raw_table
from .findings import ERROR, WARNING, CappedFindings, Findings, quote, stop_if_refused
from .mapping_file import Mapping
from .model import RawTable
from .progress import report
from .xlsx_package import Refused, SheetInfo, open_package
from .xlsx_scan import SheetScan, col_letters, scan_sheet, text_bound

TEMPLATE_SHEETS = {"readme", "columns", "choices"}
MAX_NAMED_UNKNOWN = 10


def _choose(sheets: list[SheetInfo], mapping: Mapping, wb_name: str, findings: Findings
            ) -> list[tuple[SheetInfo, str]]:
    chosen: list[tuple[SheetInfo, str]] = []
    unknown: list[str] = []
    holder: dict[str, SheetInfo] = {}
    for sh in sheets:
        source = f"{wb_name} [sheet {sh.name}]"
        table = mapping.table_name(sh.name)
        if sh.state != "visible":
            if table is None and sh.name.strip().lower() in TEMPLATE_SHEETS:
                continue  # the template's own lists (its hidden 'choices' sheet)
            how = "very hidden (shown only in Excel's VBA editor)" if sh.state == "veryHidden" else "hidden"
            findings.add(WARNING, "sheet.hidden", f"the sheet is {how}; it is not read (unhide it in Excel to have "
                         "it read)", source, table or "")
            continue
        if sh.kind != "worksheet":
            if table is not None:
                findings.add(WARNING, "sheet.not_a_worksheet", f"the sheet is a {sh.kind}, not a worksheet of "
                             "cells; it is not read", source, table)
            continue
        if table is None:
            if sh.name.strip().lower() not in TEMPLATE_SHEETS:
                unknown.append(sh.name)
            continue
        if sh.part is None:
            findings.add(ERROR, "xlsx.damaged", "the sheet's part is missing from the workbook; it is damaged",
                         source, table)
            continue
        other = holder.get(table)
        if other is not None and not (mapping.is_explicit(sh.name) and mapping.is_explicit(other.name)):
            findings.add(ERROR, "table.duplicate", f"this sheet and sheet {quote(other.name)} both hold the {table} "
                         "table; keep one (or name both in the mapping file to read them together)", source, table)
            continue
        holder[table] = sh
        chosen.append((sh, table))
    if len(unknown) <= MAX_NAMED_UNKNOWN:
        for name in unknown:
            findings.add(WARNING, "table.unknown", "sheet is not a table of the schema; it is ignored",
                         f"{wb_name} [sheet {name}]")
    else:
        shown = ", ".join(quote(n) for n in unknown[:MAX_NAMED_UNKNOWN])
        findings.add(WARNING, "table.unknown", f"{len(unknown):,} sheets are not tables of the schema and are "
                     f"ignored: {shown} and {len(unknown) - MAX_NAMED_UNKNOWN:,} more", wb_name)
    return chosen


def _is_blank(row) -> bool:
    for v in row:
        if v is None or v == "":
            continue
        if isinstance(v, str) and not v.strip():
            continue
        return False
    return True


def _rows_array(sheet) -> np.ndarray:
    """The sheet's cells as a 2-D object array (rows from row 1, columns from the first used column)."""
    rows = list(sheet.iter_rows())
    width = max((len(r) for r in rows), default=0)
    arr = np.empty((len(rows), width), dtype=object)
    arr.fill("")
    if rows and all(len(r) == width for r in rows):
        arr[:, :] = rows if width else arr
    else:  # pragma: no cover - calamine gives equal rows; kept for safety
        for i, r in enumerate(rows):
            arr[i, :len(r)] = r
    return arr


def _read_sheet(wb, sh: SheetInfo, table: str, scan: SheetScan, text_bytes: int, source: str, mapping: Mapping,
                findings: Findings) -> RawTable | None:
    lim = _limits.current()
    report(0, max(1, scan.max_row), f"reading {source}")
    sheet = wb.get_sheet_by_name(sh.name)  # calamine parses the whole sheet here
    start = sheet.start
    if start is None:  # no cells at all
        findings.add(WARNING, "sheet.empty", "the sheet is empty; it is not read", source, table)
        return None
    col0 = start[1]  # calamine's rows begin at row 1 and at the first used column
    letter = lambda j: col_letters(col0 + j + 1)  # noqa: E731
    arr = _rows_array(sheet)
    merged = _merged(sheet)
    del sheet
    candidates = np.flatnonzero(~(arr == "").all(axis=1)) if arr.size else np.array([], dtype=np.int64)
    keep = [i for i in candidates.tolist() if not _is_blank(arr[i])]
    report(max(1, scan.max_row), max(1, scan.max_row), f"reading {source}")
    if not keep:
        findings.add(WARNING, "sheet.empty", "the sheet is empty; it is not read", source, table)
        return None
    header, header_row = list(arr[keep[0]]), keep[0] + 1
    body = arr[keep[1:]] if len(keep) > 1 else np.empty((0, arr.shape[1]), dtype=object)
    numbers = [i + 1 for i in keep[1:]]
    del arr
    if len(numbers) > lim.max_rows:
        findings.add(ERROR, "table.too_many_rows", f"{len(numbers):,} rows, more than the {lim.max_rows:,} a table "
                     "may have", source, table)
        return None
    plan = plan_columns(table, header, mapping, source, findings)
    read_cols = {j for j, name in enumerate(plan[0]) if name}
    label = lambda j: header_text(header[j]) if j < len(header) and header_text(header[j]) else letter(j)  # noqa
    capped = CappedFindings(findings)
    _cell_findings(scan, merged, col0, header_row, read_cols, label, source, table, capped)
    max_chars = lim.max_cell_chars
    if max(scan.cell_bytes, text_bytes) > max_chars:  # some cell may be too long: look at each one
        for j in sorted(read_cols):
            for i in range(len(numbers)):
                v = body[i, j]
                if v.__class__ is str and len(v) > max_chars:
                    capped.add(ERROR, "cell.too_long", f"cell {letter(j)}{numbers[i]} holds {len(v):,} characters, "
                               f"more than the {max_chars:,} a cell may hold (Excel's own limit)", source, table,
                               numbers[i], label(j), v[:60])
                    body[i, j] = ""
    capped.close()
    return raw_table(table, header, body, numbers, source, mapping, findings, column_name=letter, plan=plan)


def _merged(sheet) -> list:
    """The merged ranges of a sheet, ((row0, col0), (row1, col1)) 0-based."""
    try:
        return list(sheet.merged_cell_ranges or [])
    except Exception:  # a calamine version without merged cells
        return []


def _cell_findings(scan: SheetScan, merged, col0: int, header_row: int, read_cols: set[int], label, source: str,
                   table: str, capped: CappedFindings) -> None:
    def wanted(row: int, col: int) -> int | None:
        j = col - 1 - col0
        return j if row >= header_row and (j in read_cols or row == header_row) else None

    for row, col in scan.no_value:
        j = wanted(row, col)
        if j is not None:
            capped.add(ERROR, "cell.formula_no_value", f"cell {col_letters(col)}{row} holds a formula without a "
                       "saved value; open and save the workbook in Excel (the value would read as empty)", source,
                       table, row, label(j))
    for row, col, text in scan.errors:
        j = wanted(row, col)
        if j is not None:
            capped.add(ERROR, "cell.formula_error", f"cell {col_letters(col)}{row} shows the error {text or '#?'}; "
                       "correct the formula or clear the cell", source, table, row, label(j), text)
    for (r0, c0), (r1, c1) in merged:
        js = [c - col0 for c in range(c0, c1 + 1)]
        if r1 + 1 < header_row or not any(j in read_cols for j in js):
            continue
        ref = f"{col_letters(c0 + 1)}{r0 + 1}:{col_letters(c1 + 1)}{r1 + 1}"
        j = next(j for j in js if j in read_cols)
        capped.add(ERROR, "cell.merged", f"cells {ref} are merged: only the first holds the value and the others "
                   "would read as empty; unmerge them and fill each cell", source, table, r0 + 1, label(j))


def read_excel(path: Path, mapping: Mapping, findings: Findings) -> list[RawTable]:
    """Raw tables from the workbook at ``path`` (see the module docstring)."""
    lim = _limits.current()
    since = len(findings.items)
    pkg = open_package(path, path.name, findings)
    if pkg is None:
        return []
    try:
        chosen = _choose(pkg.sheets, mapping, path.name, findings)
        text_bytes = text_bound(pkg.zip, _shared_strings(pkg)) if chosen else 0
        scans = {}
        for sh, table in chosen:
            source = f"{path.name} [sheet {sh.name}]"
            try:
                scans[sh.name] = scan_sheet(pkg.zip, sh.part, lim, f"scanning {source}")
            except Refused as r:
                findings.add(ERROR, r.rule, r.message, source, table)
    except Refused as r:
        findings.add(ERROR, r.rule, r.message, path.name)
        return []
    finally:
        pkg.close()
    todo = [(sh, table) for sh, table in chosen if sh.name in scans]
    if stop_if_refused(findings, since, path.name) or not todo:
        return []
    import python_calamine
    out = []
    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine's own error types; the message names the fault
        findings.add(ERROR, "xlsx.damaged", f"the workbook cannot be read ({_calamine_message(exc)})", path.name)
        return []
    was_enabled = gc.isenabled()
    gc.disable()  # millions of cells become Python objects: the cycle collector would rescan them over and over
    try:
        for sh, table in todo:
            source = f"{path.name} [sheet {sh.name}]"
            try:
                raw = _read_sheet(wb, sh, table, scans[sh.name], text_bytes, source, mapping, findings)
            except Exception as exc:  # a sheet calamine cannot parse (bad XML, an entity, a missing part)
                findings.add(ERROR, "xlsx.damaged", f"the sheet cannot be read ({_calamine_message(exc)})", source,
                             table)
                continue
            if raw is not None:
                out.append(raw)
    finally:
        if was_enabled:
            gc.enable()
        wb.close()
    if stop_if_refused(findings, since, path.name):
        return []
    return out


def _shared_strings(pkg) -> str | None:
    names = {n.lower(): n for n in pkg.zip.namelist()}
    return names.get("xl/sharedstrings.xml")


def _calamine_message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    name = type(exc).__name__
    if "entity" in text.lower():
        return "it uses an XML entity, which Excel never writes; refused"
    if "password" in text.lower() or name == "PasswordError":
        return "it is password-protected; remove the password in Excel and save it again"
    return text[:160] if text and not text.endswith("Error") else "its data is damaged"


__all__ = ["read_excel", "TEMPLATE_SHEETS"]
