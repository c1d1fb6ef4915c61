"""CSV text as the user saved it: decoded exactly, split into records exactly, or refused with one clear finding.

Rules (each refusal is one ERROR finding naming the file and, where there is one, the line; the file is then not
read further, so that one fault does not bury itself under a thousand consequences):

- **Not a text file**: a named pipe, a device or a folder; a workbook, PDF or database file with a .csv name
  (named after :mod:`mabseq.cohort.sniff`); a few NUL bytes in text (``file.nul``, line named); binary data.
- **Encoding**: UTF-8, with or without a byte-order mark. UTF-16/UTF-32 text gets one finding (``file.encoding``);
  other bytes that are not UTF-8 get one finding naming the line and the character it is in Windows-1252/Latin-1
  (``'é'``), because guessing an encoding could change a value silently. A byte-order mark *inside* the file (two
  files joined together) is an error at its line (``text.bom``) and is then ignored.
- **Records**: the csv module's own parser on the whole text (``newline=''``), so a newline, U+2028 or a form feed
  inside a quoted cell stays in that cell (``str.splitlines`` used to split rows there). Strict quoting: a quote
  never closed, or text after a closing quote, is ``csv.malformed`` at its line. Line numbers are the line a
  record starts on, counting the line breaks inside quoted cells.
- **Shape**: the header is the first non-blank line (trailing empty header cells from a trailing delimiter are
  dropped); a row with more fields than the header is ``row.too_many_fields`` unless the extra fields are all
  empty (one ``row.trailing_delimiter`` warning per file); a row with fewer fields is ``row.too_few_fields``; a
  line repeating the header is ``row.header_repeated``; a cell longer than the cell limit is ``cell.too_long``.
  At most 20 findings of each rule per file are listed, then a count.
- **Delimiter**: a header that is one cell holding ``;``, tabs or ``|`` between known column names gets one
  ``file.delimiter`` finding naming the delimiter and, when the numbers are written with a decimal comma (as
  Excel saves CSV in many European settings), the decimal mark with an example.
"""
from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import limits as _limits
from . import sniff as _sniff
from .findings import ERROR, WARNING, CappedFindings, Findings, quote
from .limits import size_text
from .progress import Ticker

_DECIMAL_COMMA = re.compile(r"^[+-]?\d+,\d+$")
_DELIMITER_NAMES = {";": "semicolons (;)", "\t": "tabs", "|": "vertical bars (|)"}


def _line_of(data, pos: int) -> int:
    nl = b"\n" if isinstance(data, bytes) else "\n"
    return data.count(nl, 0, pos) + 1


def read_text(path: Path, source: str, findings: Findings, *, missing_rule: str = "file.missing") -> str | None:
    """The text of the CSV file at ``path``; None (with one ERROR finding) when it cannot be read as text."""
    lim = _limits.current()
    special = _sniff.special_file(path)
    if special is not None:
        findings.add(ERROR, "file.not_regular", f"cannot be read: {special}", source)
        return None
    if path.is_dir():
        findings.add(ERROR, "file.not_regular", "is a folder, not a CSV file", source)
        return None
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        findings.add(ERROR, missing_rule, "file not found", source)
        return None
    except OSError as exc:
        findings.add(ERROR, "file.unreadable", f"cannot read the file ({exc.strerror})", source)
        return None
    if size > lim.max_file_bytes:
        findings.add(ERROR, "file.too_large", f"the file is {size_text(size)}, more than the "
                     f"{size_text(lim.max_file_bytes)} a CSV file may be", source)
        return None
    kind = _sniff.sniff(path, lim.max_parts)
    if kind.name in ("utf16", "utf32"):
        findings.add(ERROR, "file.encoding", f"the file is {kind.what}, not UTF-8; {kind.advice}", source)
        return None
    if kind.name not in ("text", "empty", "binary"):
        advice = f"; {kind.advice}" if kind.advice else ""
        findings.add(ERROR, "file.format", f"the file is {kind.what}, not a CSV text file{advice}", source)
        return None
    try:
        data = path.read_bytes()
    except OSError as exc:
        findings.add(ERROR, "file.unreadable", f"cannot read the file ({exc.strerror})", source)
        return None
    nul = data.find(b"\x00")
    if nul >= 0 and data.count(b"\x00") <= max(16, len(data) // 100):
        findings.add(ERROR, "file.nul", "the file holds NUL bytes (a damaged export, not CSV text); the first is on "
                     "this line", source, row=_line_of(data, nul))
        return None
    if kind.name == "binary":
        findings.add(ERROR, "file.format", f"the file is {kind.what}, not a CSV text file; {kind.advice}", source)
        return None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = data[exc.start:exc.start + 1]
        as_1252 = bad.decode("cp1252", errors="replace")
        findings.add(ERROR, "file.encoding", f"not UTF-8 text: byte 0x{bad.hex().upper()} is {quote(as_1252)} "
                     "in Windows-1252/Latin-1 (an 'ANSI' file); save the file as 'CSV UTF-8 (Comma delimited)'",
                     source, row=_line_of(data, exc.start))
        return None


@dataclass
class Records:
    """A parsed CSV file: the header, its line, and each non-blank row with the line it starts on."""

    header: list[str]
    header_line: int
    rows: list[list[str]]
    lines: list[int]


_CSV_ERRORS = (
    ("unexpected end of data", "a quoted cell opened here is never closed (a missing closing \")"),
    ("expected after", "text follows a closing quote; a quote inside a quoted cell is written twice (\"\")"),
    ("field larger than field limit", None),
)


def _csv_error_message(exc: csv.Error) -> str | None:
    text = str(exc)
    for key, message in _CSV_ERRORS:
        if key in text:
            return message
    return "the line cannot be read as CSV"


def delimiter_hint(first_line: str, header: list[str], text: str, known: Callable[[str], bool]) -> str | None:
    """The message for a file whose columns are separated by something other than commas; None if they are not.

    ``known(name)`` says whether a header name is a column mabseq knows (through the mapping)."""
    known_comma = sum(1 for h in header if h.strip() and known(h))
    for d in (";", "\t", "|"):
        if d not in first_line:
            continue
        fields = next(csv.reader([first_line], delimiter=d), [])
        known_d = sum(1 for h in fields if h.strip() and known(h))
        if len(fields) >= 2 and (known_d > known_comma or (len(header) == 1 and len(fields) >= 3)):
            message = f"the columns are separated by {_DELIMITER_NAMES[d]}, not commas"
            example = _decimal_comma_example(text, d)
            if example:
                message += (f", and numbers are written with a decimal comma ({quote(example[0])} on line "
                            f"{example[1]})")
            return (message + "; save the file as 'CSV UTF-8 (Comma delimited)' with a decimal point (in Excel's "
                    "options, set the decimal separator to '.' before saving), or export it again that way")
    return None


def _decimal_comma_example(text: str, delimiter: str) -> tuple[str, int] | None:
    reader = csv.reader(io.StringIO(text[:1_000_000], newline=""), delimiter=delimiter)
    try:
        for _, row in zip(range(2000), reader):
            for v in row:
                if _DECIMAL_COMMA.match(v.strip()):
                    return v.strip(), reader.line_num
    except csv.Error:
        return None
    return None


def parse_csv(text: str, source: str, table: str, findings: Findings, *,
              known: Callable[[str], bool] = lambda h: False, what: str | None = None) -> Records | None:
    """The records of CSV ``text`` (see the module docstring); None with an ERROR finding when the file cannot be
    read on (empty, wrong delimiter, malformed quoting, over a limit)."""
    lim = _limits.current()
    if not text.strip():
        findings.add(ERROR, "file.empty", "the file is empty: it needs a header line naming the columns", source,
                     table)
        return None
    bom = text.find("\ufeff")
    if bom >= 0:
        findings.add(ERROR, "text.bom", "a byte-order mark (U+FEFF) inside the file, as when two files are joined "
                     "together; check this line and remove it", source, table, _line_of(text, bom))
        text = text.replace("\ufeff", "")
    capped = CappedFindings(findings)
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []
    header: list[str] | None = None
    header_line = 0
    width = 0
    end = 0
    trailing = [0, 0]  # rows with empty extra fields, first such line
    total_lines = text.count("\n") + 1
    ticker = Ticker(total_lines, what or f"reading {source}", max(1, total_lines // 100))
    max_chars = lim.max_cell_chars
    try:
        for row in reader:
            start, end = end + 1, reader.line_num
            if not row or (not row[0].strip() and not any(v.strip() for v in row)):
                continue
            if len(row) > lim.max_columns:
                findings.add(ERROR, "table.too_many_columns", f"{len(row):,} fields on one line, more than the "
                             f"{lim.max_columns:,} columns a table may have", source, table, start)
                return None
            if max(map(len, row)) > max_chars:
                j = max(range(len(row)), key=lambda k: len(row[k]))
                col = header[j] if header is not None and j < len(header) else f"field {j + 1}"
                capped.add(ERROR, "cell.too_long", f"the cell holds {len(row[j]):,} characters, more than the "
                           f"{max_chars:,} a cell may hold (Excel's own limit)", source, table, start, col,
                           row[j][:60])
                row = [v if len(v) <= max_chars else "" for v in row]
            if header is None:
                header, header_line = [h.strip() for h in row], start
                while header and not header[-1]:
                    header.pop()
                width = len(header)
                if len(header) <= 1 or not any(known(h) for h in header):
                    first = next((ln for ln in io.StringIO(text, newline="") if ln.strip()), "").rstrip("\r\n")
                    hint = delimiter_hint(first, header, text, known)
                    if hint:
                        findings.add(ERROR, "file.delimiter", hint, source, table, header_line)
                        return None
                continue
            if len(rows) >= lim.max_rows:
                findings.add(ERROR, "table.too_many_rows", f"more than {lim.max_rows:,} rows; the file is not read "
                             "further", source, table, start)
                return None
            if len(row) > width:
                if any(v.strip() for v in row[width:]):
                    capped.add(ERROR, "row.too_many_fields", f"{len(row)} fields for {width} columns", source,
                               table, start)
                else:
                    trailing[0] += 1
                    trailing[1] = trailing[1] or start
                    row = row[:width]
            elif len(row) < width:
                capped.add(ERROR, "row.too_few_fields", f"{len(row)} fields for {width} columns (a line broken in "
                           "two, or cells missing)", source, table, start)
            if row[0].strip() == header[0] and [v.strip() for v in row[:width]] == header:
                capped.add(ERROR, "row.header_repeated", "this line repeats the header, as when two files are "
                           "joined together", source, table, start)
                continue
            rows.append(row)
            lines.append(start)
            if len(rows) & 0x3FFF == 0:
                ticker(end)
    except csv.Error as exc:
        message = _csv_error_message(exc)
        line = end + 1 if message and "never closed" in message else reader.line_num
        if message is None:
            findings.add(ERROR, "cell.too_long", f"a cell longer than {csv.field_size_limit():,} characters (a cell "
                         f"may hold {max_chars:,}); the file is not read further", source, table, end + 1)
        else:
            findings.add(ERROR, "csv.malformed", message + "; the file is not read further", source, table, line)
        capped.close()
        return None
    capped.close()
    ticker.finish()
    if header is None:
        findings.add(ERROR, "file.empty", "the file is empty: it needs a header line naming the columns", source,
                     table)
        return None
    if trailing[0]:
        findings.add(WARNING, "row.trailing_delimiter", f"{trailing[0]:,} rows end with an extra empty field (a "
                     "trailing delimiter); it is ignored", source, table, trailing[1])
    return Records(header, header_line, rows, lines)


__all__ = ["read_text", "parse_csv", "Records", "delimiter_hint"]
