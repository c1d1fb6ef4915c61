"""Every sheet or file of DATA as a grid of text cells, before any header or table is assumed.

``mabseq scan`` profiles these grids and a mapping file (:mod:`mabseq.mapping`) is run over them; neither may
assume the template's layout (one header in row 1, one table per sheet), so this door hands over *all* rows with
the row numbers the user sees, as text:

- a workbook (.xlsx/.xlsm): each visible worksheet, through the same bounded door as the template reader
  (:mod:`.xlsx_package` zip checks, :mod:`.xlsx_scan` real extent, python-calamine cells). Hidden and very hidden
  sheets are not read (``sheet.hidden`` warning), chart sheets are skipped. Cells become text: a real Excel date
  ``YYYY-MM-DD`` (with ``THH:MM:SS`` when it has a time of day), a number its shortest decimal text (``12``,
  ``0.5``), a boolean ``TRUE``/``FALSE``, an empty cell ``""``. Formula cells without a saved value are an ERROR
  (``cell.formula_no_value``), as in the template reader; a cell showing a formula error holds its text
  (``#N/A``) with a ``cell.formula_error`` warning (calamine reads it as empty: a silent blank); merged ranges
  get a ``cell.merged`` warning (only their first cell holds the value);
- a folder: each ``*.csv`` / ``*.tsv`` / ``*.txt`` file (hidden files and mabseq's companion notes excepted),
  decoded as :mod:`.textfile` does (UTF-8 exactly; another encoding only when the caller names it) and split by
  the csv module with the file's delimiter (named by the caller, else sniffed among ``,`` ``;`` tab ``|`` from
  the first non-blank line: the one that splits it into the most fields);
- a single CSV file: that file alone.

Blank rows are kept out of ``cells`` but their numbers are skipped, so ``rows[i]`` is always the user's row.
Why by hand: the readers below are the project's hardened doors; this module only reshapes what they give.
"""
from __future__ import annotations

import csv
import datetime as _dt
import io
import math
from dataclasses import dataclass
from pathlib import Path

from . import limits as _limits
from . import textfile
from .findings import ERROR, WARNING, Findings, stop_if_refused
from .readers import COMPANION_FILES
from .sniff import sniff
from .xlsx_package import Refused, open_package
from .xlsx_scan import col_letters, scan_sheet

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm")
DELIMITERS = (",", ";", "\t", "|")


@dataclass
class Grid:
    """One sheet or file: its non-blank rows as lists of text, and the row number the user sees for each."""

    name: str                    # the sheet name, or the file name
    source: str                  # how findings name it: "book.xlsx [sheet Labs]" or "labs.csv"
    kind: str                    # "sheet" or "file"
    cells: list[list[str]]       # non-blank rows, each padded to ``width`` cells
    rows: list[int]              # rows[i]: the spreadsheet row or CSV line of cells[i]
    width: int = 0
    delimiter: str | None = None  # for a file: the delimiter used
    first_column: int = 1        # 1-based column number of cells[i][0] (a sheet may start at column C)

    def letter(self, j: int) -> str:
        """The spreadsheet column letter of ``cells[i][j]`` (files: A, B, ... as a spreadsheet would show)."""
        return col_letters(self.first_column + j)


@dataclass
class GridOptions:
    delimiter: str | None = None
    encoding: str | None = None   # None: UTF-8 exactly (refused otherwise, with the line and character)


def cell_text(v) -> str:
    """A calamine cell value as text (see the module docstring)."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return ""
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    if isinstance(v, _dt.datetime):
        if (v.hour, v.minute, v.second, v.microsecond) == (0, 0, 0, 0):
            return v.date().isoformat()
        return v.replace(microsecond=0).isoformat()
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, _dt.time):
        return v.replace(microsecond=0).isoformat()
    if isinstance(v, _dt.timedelta):
        return str(v)
    return str(v)


def _pad(rows: list[list[str]]) -> tuple[list[list[str]], int]:
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) if len(r) < width else r for r in rows], width


def _blank(row) -> bool:
    return not any(c.strip() for c in row)


def _error_cells(scan, col0: int, source: str, findings: Findings) -> dict[int, list[tuple[int, str]]]:
    """Error cells (``#N/A``, ``#DIV/0!``) by row: calamine reads them as empty, so the grid holds their text
    instead (a silent blank would pass for a missing value); one warning per sheet lists them. More error cells
    than the scan lists is an ERROR: the rest would be silent blanks."""
    out: dict[int, list[tuple[int, str]]] = {}
    for row, col, text in scan.errors:
        out.setdefault(row, []).append((col - 1 - col0, text or "#?"))
    if scan.n_errors:
        where = ", ".join(f"{col_letters(c)}{r} {t or '#?'}" for r, c, t in scan.errors[:10])
        more = f" and {scan.n_errors - 10:,} more" if scan.n_errors > 10 else ""
        findings.add(WARNING, "cell.formula_error", f"{scan.n_errors:,} cell(s) show a formula error, read as "
                     f"their text: {where}{more}", source)
    if scan.n_errors > len(scan.errors):
        findings.add(ERROR, "cell.formula_error", f"{scan.n_errors:,} cells show a formula error, too many to "
                     "read each as its text; correct the formulas or clear the cells", source)
    return out


def _merged_cells(sheet, source: str, findings: Findings) -> None:
    """A warning naming merged ranges: only their first cell holds the value, the others read as empty."""
    try:
        merged = list(sheet.merged_cell_ranges or [])
    except Exception:  # a calamine version without merged cells
        return
    if merged:
        refs = [f"{col_letters(c0 + 1)}{r0 + 1}:{col_letters(c1 + 1)}{r1 + 1}" for (r0, c0), (r1, c1) in merged]
        findings.add(WARNING, "cell.merged", f"{len(refs)} merged range(s) ({', '.join(sorted(refs)[:10])}"
                     f"{' ...' if len(refs) > 10 else ''}): only the first cell of each holds the value, the "
                     "others read as empty", source)


def read_workbook_grids(path: Path, findings: Findings) -> list[Grid]:
    lim = _limits.current()
    since = len(findings.items)
    pkg = open_package(path, path.name, findings)
    if pkg is None:
        return []
    chosen = []
    try:
        for sh in pkg.sheets:
            source = f"{path.name} [sheet {sh.name}]"
            if sh.state != "visible":
                how = "very hidden (shown only in Excel's VBA editor)" if sh.state == "veryHidden" else "hidden"
                findings.add(WARNING, "sheet.hidden", f"the sheet is {how}; it is not read (unhide it in Excel to "
                             "have it read)", source)
                continue
            if sh.kind != "worksheet" or sh.part is None:
                continue
            try:
                scan = scan_sheet(pkg.zip, sh.part, lim, f"scanning {source}")
            except Refused as r:
                findings.add(ERROR, r.rule, r.message, source)
                continue
            for row, col in scan.no_value[:20]:
                findings.add(ERROR, "cell.formula_no_value", f"cell {col_letters(col)}{row} holds a formula without "
                             "a saved value; open and save the workbook in Excel (the value would read as empty)",
                             source, row=row)
            chosen.append((sh, source, scan))
    except Refused as r:
        findings.add(ERROR, r.rule, r.message, path.name)
        return []
    finally:
        pkg.close()
    if stop_if_refused(findings, since, path.name):
        return []
    import python_calamine
    try:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine's own error types
        findings.add(ERROR, "xlsx.damaged", f"the workbook cannot be read ({str(exc)[:200]})", path.name)
        return []
    out = []
    try:
        for sh, source, scan in chosen:
            try:
                sheet = wb.get_sheet_by_name(sh.name)
            except Exception as exc:
                findings.add(ERROR, "xlsx.damaged", f"the sheet cannot be read ({str(exc)[:200]})", source)
                continue
            start = sheet.start
            cells, rows = [], []
            if start is not None:
                row0, col0 = start
                shown = _error_cells(scan, col0, source, findings)
                _merged_cells(sheet, source, findings)
                for i, r in enumerate(sheet.iter_rows()):
                    texts = [cell_text(v) for v in r]
                    for j, text in shown.get(i + 1, ()):
                        if 0 <= j < len(texts):
                            texts[j] = text
                    if not _blank(texts):
                        cells.append(texts)
                        rows.append(i + 1)  # calamine's rows begin at row 1 (the first used column is col0)
                first = col0 + 1
            else:
                first = 1
            cells, width = _pad(cells)
            if len(cells) > lim.max_rows:
                findings.add(ERROR, "table.too_many_rows", f"{len(cells):,} rows, more than the {lim.max_rows:,} a "
                             "sheet may have", source)
                continue
            out.append(Grid(sh.name, source, "sheet", cells, rows, width, None, first))
    finally:
        wb.close()
    return out


def sniff_delimiter(text: str) -> str:
    """The delimiter among ``, ; tab |`` that splits the first non-blank lines most consistently.

    Each candidate is scored on the first 20 non-blank lines: the number of lines sharing its most common field
    count (above 1), then that count; ties go to the earlier candidate. Scoring only the first line chose a comma
    for a semicolon export under a title line such as ``Export from LIS, 2023-07-01``."""
    lines = [ln for ln in io.StringIO(text[:200_000], newline="") if ln.strip()][:20]
    best, score = ",", (0, 0)
    for d in DELIMITERS:
        try:
            counts = [len(r) for r in csv.reader(lines, delimiter=d)]
        except csv.Error:
            continue
        tally: dict[int, int] = {}
        for n in counts:
            if n > 1:
                tally[n] = tally.get(n, 0) + 1
        if not tally:
            continue
        n_fields, n_lines = max(tally.items(), key=lambda kv: (kv[1], kv[0]))
        if (n_lines, n_fields) > score:
            best, score = d, (n_lines, n_fields)
    return best


def _decode(path: Path, source: str, findings: Findings, encoding: str | None) -> str | None:
    if encoding is None or encoding.lower().replace("_", "-") in ("utf-8", "utf8"):
        return textfile.read_text(path, source, findings)
    try:
        data = path.read_bytes()
        return data.decode(encoding)
    except (OSError, LookupError, UnicodeDecodeError) as exc:
        findings.add(ERROR, "file.encoding", f"cannot be read as {encoding} ({exc})", source)
        return None


def read_text_grid(path: Path, findings: Findings, options: GridOptions | None = None) -> Grid | None:
    lim = _limits.current()
    options = options or GridOptions()
    source = path.name
    text = _decode(path, source, findings, options.encoding)
    if text is None:
        return None
    text = text.lstrip("\ufeff")
    d = options.delimiter or sniff_delimiter(text)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=d, strict=True)
    cells, rows = [], []
    end = 0
    try:
        for row in reader:
            start, end = end + 1, reader.line_num
            if row and not _blank(row):
                if len(row) > lim.max_columns:
                    findings.add(ERROR, "table.too_many_columns", f"{len(row):,} fields on one line, more than the "
                                 f"{lim.max_columns:,} a table may have", source, row=start)
                    return None
                cells.append(row)
                rows.append(start)
                if len(cells) > lim.max_rows:
                    findings.add(ERROR, "table.too_many_rows", f"more than {lim.max_rows:,} rows", source, row=start)
                    return None
    except csv.Error as exc:
        findings.add(ERROR, "csv.malformed", f"the line cannot be read as CSV ({exc})", source, row=end + 1)
        return None
    cells, width = _pad(cells)
    return Grid(path.name, source, "file", cells, rows, width, d, 1)


def read_grids(path: str | Path, findings: Findings, options: dict[str, GridOptions] | None = None,
               skip: frozenset[str] = frozenset()) -> list[Grid]:
    """Every sheet (a workbook) or text file (a folder, or one file) of DATA as a :class:`Grid`.

    ``options`` by file name (delimiter, encoding) for text files; ``skip``: file names of a folder not to read
    (lower case; a mapping's ``documentation:`` files, such as a code book in its own encoding)."""
    p = Path(path)
    options = options or {}
    if not p.exists():
        findings.add(ERROR, "file.missing", "no such file or folder", str(p))
        return []
    if p.is_file():
        if p.suffix.lower() in SPREADSHEET_SUFFIXES or sniff(p).name == "xlsx":
            return read_workbook_grids(p, findings)
        if p.suffix.lower() in TEXT_SUFFIXES:
            g = read_text_grid(p, findings, options.get(p.name))
            return [g] if g is not None else []
        kind = sniff(p)
        findings.add(ERROR, "file.format", f"the file is {kind.what}; scan and mappings read an .xlsx workbook, a "
                     "CSV file or a folder of CSV files", p.name)
        return []
    out = []
    for f in sorted(p.iterdir(), key=lambda q: q.name):
        if f.name.startswith(".") or f.name in COMPANION_FILES or f.name.casefold() in skip:
            continue
        if f.is_file() and f.suffix.lower() in TEXT_SUFFIXES:
            g = read_text_grid(f, findings, options.get(f.name))
            if g is not None:
                out.append(g)
        elif f.is_file() and f.suffix.lower() in SPREADSHEET_SUFFIXES:
            out.extend(read_workbook_grids(f, findings))
        else:
            findings.add(WARNING, "file.ignored", "not a .csv/.tsv/.txt file or workbook; it is ignored", f.name)
    return out


__all__ = ["Grid", "GridOptions", "read_grids", "read_text_grid", "read_workbook_grids", "cell_text",
           "sniff_delimiter"]
