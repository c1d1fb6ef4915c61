"""One pass over a sheet's XML before its cells are read: its real extent, and the cells that would read wrong.

Why a separate pass: the cell reader (calamine) holds a sheet as one dense block from A1 to its last cell, so a
single stray cell at XFD1048576 asks for 17 billion cells and aborts the process; and it reads a formula without
a saved value, or an error value (``#N/A``, ``#DIV/0!``), as an empty cell, which would be a silent blank. The
declared ``<dimension>`` is ignored (a 38 KB file declaring A1:XFD1048576 used to take 12 minutes); only the cells
count.

The pass streams the inflated XML in 4 MiB chunks (a second inflate of the sheet, under 2 s per 300 MB) and
finds, vectorized with numpy over the positions of ``<`` in each chunk:

- the reference of every cell tag (``<c r="AB12"``), hence the real last row and column;
- the longest stretch of bytes between two cell tags, a bound on any cell's inline text, so that the reader checks
  cell lengths one by one only when some cell may be over the limit;
- formula cells without a saved value (``<f>`` and no or an empty ``<v>``, except a cached empty text result
  ``t="str"``) and error cells (``t="e"``), by cell (regular expressions, only on chunks holding ``<f`` or
  ``t="e"``).

The fast form is the one Excel, LibreOffice, openpyxl and XlsxWriter write (``<c r="A1" ...>``, ``<row r="1"
...>``, no namespace prefix). Any other form (prefixed tags, cells or rows without ``r``, attributes in another
order) is scanned by an exact but slower parser (expat, ~10x slower), which follows the positions the way a
reader must: a cell without ``r`` is the one after the previous cell, a row without ``r`` the one after the
previous row. A DTD or entity declaration in the sheet is refused by both.

Written by hand (numpy over bytes, expat): no library reports a sheet's extent without first allocating it, and
openpyxl, which streams, is 30 times slower than the whole read.
"""
from __future__ import annotations

import re
import zipfile
import zlib
from dataclasses import dataclass, field
from xml.parsers import expat

import numpy as np

from .limits import Limits
from .progress import Ticker
from .xlsx_package import Refused

CHUNK = 4 << 20
MAX_LISTED = 200  # cells listed per kind; the rest are counted
_PREFIXED = re.compile(rb':(?:c|row)[\s/>]')  # a namespace-prefixed cell or row tag (or such text: then exact)
_PREFIXED_SI = re.compile(rb':(?:si|t|r)[\s/>]')
_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_FORMULA_ONLY = re.compile(rb'<c r="([A-Z]+)(\d+)"([^>]*)>(?:<f(?:\s[^>]*)?/>|<f(?:\s[^>]*)?>[^<]*</f>)'
                           rb'(?:<v\s*/>|<v>\s*</v>)?</c>')
_ERROR_CELL = re.compile(rb'<c r="([A-Z]+)(\d+)"[^>]*?\st="e"[^>]*>(?:<f(?:\s[^>]*)?/>|<f(?:\s[^>]*)?>[^<]*</f>)?'
                         rb'<v>([^<]*)</v>')
_REF = re.compile(r"^([A-Za-z]{1,7})(\d{1,12})$")


def col_number(letters: bytes | str) -> int:
    """'A' -> 1, 'Z' -> 26, 'AA' -> 27."""
    n = 0
    for ch in letters.upper() if isinstance(letters, str) else letters.decode("ascii").upper():
        n = n * 26 + ord(ch) - 64
    return n


def col_letters(n: int) -> str:
    """1 -> 'A', 27 -> 'AA'."""
    s = ""
    while n > 0:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


@dataclass
class SheetScan:
    max_row: int = 0  # the last row and column holding a cell (1-based): the block a reader allocates
    max_col: int = 0
    no_value: list[tuple[int, int]] = field(default_factory=list)  # (row, col) of formulas without a saved value
    n_no_value: int = 0
    errors: list[tuple[int, int, str]] = field(default_factory=list)  # (row, col, '#N/A')
    n_errors: int = 0
    cell_bytes: int = 1 << 62  # upper bound on one cell's inline text (bytes between two cell tags)

    @property
    def cells(self) -> int:
        return self.max_row * self.max_col

    def set_extent(self, rows: int, cols: int) -> None:
        self.max_row, self.max_col = rows, cols

    def add_no_value(self, row: int, col: int) -> None:
        self.n_no_value += 1
        if len(self.no_value) < MAX_LISTED:
            self.no_value.append((row, col))

    def add_error(self, row: int, col: int, text: str) -> None:
        self.n_errors += 1
        if len(self.errors) < MAX_LISTED:
            self.errors.append((row, col, text))


def _chunks(zf: zipfile.ZipFile, member: str, ticker: Ticker):
    """The part's bytes in chunks that end just before a '<' (so that no tag is split)."""
    tail = b""
    done = 0
    with zf.open(member) as f:
        while True:
            data = f.read(CHUNK)
            if not data:
                break
            done += len(data)
            ticker(done)
            data = tail + data
            cut = data.rfind(b"<")
            if cut <= 0:
                tail = data
                continue
            yield data[:cut]
            tail = data[cut:]
    if tail:
        yield tail


_WS_END = np.zeros(256, dtype=bool)  # what may follow a tag name: space \t \n \r > /
_WS_END[[32, 9, 10, 13, 62, 47]] = True
_PAD = b"\0" * 32


def _at(a: np.ndarray, pos: np.ndarray, off: int, ch: str) -> np.ndarray:
    return a[pos + off] == ord(ch)


def _starts(a: np.ndarray, lt: np.ndarray, first: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of the start tags ``<c`` and ``<row`` (followed by space, '>' or '/') among the '<' at ``lt``;
    ``first`` is the byte after each '<'."""
    cand = lt[first == 99]  # 'c'
    cells = cand[_WS_END[a[cand + 2]]]
    cand = lt[first == 114]  # 'r'
    rows = cand[(a[cand + 2] == 111) & (a[cand + 3] == 119) & _WS_END[a[cand + 4]]]
    return cells, rows


def _extent(a: np.ndarray, cells: np.ndarray) -> tuple[int, int] | None:
    """The last row and column referenced by the cell tags ``<c r="AB12"`` at ``cells``; None when any tag is
    not in that form. Only the references with the most letters (digits) are turned into numbers."""
    if not (_at(a, cells, 2, " ") & _at(a, cells, 3, "r") & _at(a, cells, 4, "=") & _at(a, cells, 5, '"')).all():
        return None
    p = cells + 6
    up = [(a[p + k] - 65) <= 25 for k in range(4)]  # uint8 arithmetic: bytes below 'A' wrap above 25
    if not up[0].all() or (up[1] & up[2] & up[3]).any():
        return None  # no letter, or four letters (beyond XFD): the exact parser names it
    n_letters = 1 + up[1].astype(np.int8) + (up[1] & up[2]).astype(np.int8)
    top = int(n_letters.max())
    sel = p[n_letters == top]
    col = np.zeros(len(sel), dtype=np.int64)
    for k in range(top):
        col = col * 26 + (a[sel + k].astype(np.int64) - 64)
    q = p + n_letters
    n_digits = np.zeros(len(cells), dtype=np.int8)
    going = np.ones(len(cells), dtype=bool)
    for k in range(9):
        going &= (a[q + k] - 48) <= 9
        if not going.any():
            break
        n_digits += going
    if (n_digits == 0).any() or (n_digits > 8).any() or not _at(a, q + n_digits, 0, '"').all():
        return None
    most = int(n_digits.max())
    sel = q[n_digits == most]
    row = np.zeros(len(sel), dtype=np.int64)
    for k in range(most):
        row = row * 10 + (a[sel + k].astype(np.int64) - 48)
    return int(row.max()), int(col.max())


def _fast(zf, member: str, ticker: Ticker) -> SheetScan | None:
    """The fast scan (vectorized over the positions of '<'); None as soon as the XML is not in the form it
    handles. Every cell reference is read, so the extent is exact."""
    scan = SheetScan()
    rows_max = cols_max = 0
    offset, last_cell, gap = 0, None, 0
    first = True
    for chunk in _chunks(zf, member, ticker):
        if first:
            if _DTD.search(chunk[:1 << 20]):
                raise Refused("xlsx.dtd", "the sheet declares a DTD or entities, which Excel never writes; the "
                              "workbook is refused")
            first = False
        if _PREFIXED.search(chunk):
            return None
        a = np.frombuffer(chunk + _PAD, dtype=np.uint8)
        lt = np.flatnonzero(a[:len(chunk)] == 60)
        cells, rows = _starts(a, lt, a[lt + 1])
        if len(rows) and not (_at(a, rows, 4, " ") & _at(a, rows, 5, "r") & _at(a, rows, 6, "=")).all():
            return None  # a row without r="...": positions follow from counting, which the exact parser does
        if len(cells):
            ext = _extent(a, cells)
            if ext is None:
                return None
            rows_max, cols_max = max(rows_max, ext[0]), max(cols_max, ext[1])
            starts = cells + offset
            if last_cell is not None:
                gap = max(gap, int(starts[0] - last_cell))
            if len(starts) > 1:
                gap = max(gap, int(np.diff(starts).max()))
            last_cell = int(starts[-1])
        if b"<f" in chunk:
            for letters, digits, attrs in _FORMULA_ONLY.findall(chunk):
                if b't="str"' not in attrs:
                    scan.add_no_value(int(digits), col_number(letters))
        if b't="e"' in chunk:
            for letters, digits, text in _ERROR_CELL.findall(chunk):
                scan.add_error(int(digits), col_number(letters), text.decode("utf-8", "replace").strip())
        offset += len(chunk)
    if last_cell is not None:
        gap = max(gap, offset - last_cell)
    scan.set_extent(rows_max, cols_max)
    scan.cell_bytes = gap
    return scan


def text_bound(zf: zipfile.ZipFile, member: str | None) -> int:
    """An upper bound on the characters of one shared string: the longest stretch between two ``<si`` tags of
    the shared-strings part (its whole size when the part is in a form this does not follow)."""
    if member is None:
        return 0
    size = zf.getinfo(member).file_size
    try:
        return _text_bound(zf, member, size)
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, ValueError):
        return size  # unreadable here: the reader will check each cell (and say what is wrong)


def _text_bound(zf: zipfile.ZipFile, member: str, size: int) -> int:
    offset, last, gap, found = 0, None, 0, False
    for chunk in _chunks(zf, member, Ticker(0, "", 1 << 62)):
        if _PREFIXED_SI.search(chunk):
            return size
        a = np.frombuffer(chunk + _PAD, dtype=np.uint8)
        lt = np.flatnonzero(a[:len(chunk)] == 60)
        cand = lt[a[lt + 1] == 115]  # 's'
        starts = cand[(a[cand + 2] == 105) & _WS_END[a[cand + 3]]] + offset
        if len(starts):
            found = True
            if last is not None:
                gap = max(gap, int(starts[0] - last))
            if len(starts) > 1:
                gap = max(gap, int(np.diff(starts).max()))
            last = int(starts[-1])
        offset += len(chunk)
    if not found:
        return size
    return max(gap, offset - last)


class _ExactScanner:
    """expat over any well-formed sheet XML, following positions as a reader does."""

    def __init__(self):
        self.scan = SheetScan()
        self.rows = self.cols = 0
        self.row = 0
        self.col = 0
        self.cell = None  # [row, col, type, has_f, has_v, text]
        self.in_v = False

    @staticmethod
    def _local(name: str) -> str:
        return name.rsplit(":", 1)[-1]

    def start(self, name, attrs):
        tag = self._local(name)
        if tag == "row":
            r = attrs.get("r")
            self.row = int(r) if r and r.isdigit() else self.row + 1
            self.col = 0
        elif tag == "c":
            ref = _REF.match(attrs.get("r", "") or "")
            if ref:
                self.col, row = col_number(ref.group(1)), int(ref.group(2))
            else:
                self.col, row = self.col + 1, self.row
            self.cell = [row, self.col, attrs.get("t", ""), False, False, ""]
            self.rows = max(self.rows, row)
            self.cols = max(self.cols, self.col)
        elif self.cell is not None:
            if tag == "f":
                self.cell[3] = True
            elif tag in ("v", "is"):
                self.cell[4] = True
                self.in_v = tag == "v"

    def end(self, name):
        tag = self._local(name)
        if tag == "v":
            self.in_v = False
        elif tag == "c" and self.cell is not None:
            row, col, typ, has_f, has_v, text = self.cell
            if typ == "e":
                self.scan.add_error(row, col, text.strip())
            elif has_f and (not has_v or (not text.strip() and typ != "str")):
                self.scan.add_no_value(row, col)
            self.cell = None

    def chars(self, data):
        if self.in_v and self.cell is not None:
            self.cell[5] += data

    @staticmethod
    def refuse(*_args):
        raise Refused("xlsx.dtd", "the sheet declares a DTD or entities, which Excel never writes; the workbook is "
                      "refused")


def _exact(zf, member: str, ticker: Ticker) -> SheetScan:
    s = _ExactScanner()
    p = expat.ParserCreate()
    p.StartElementHandler, p.EndElementHandler, p.CharacterDataHandler = s.start, s.end, s.chars
    p.StartDoctypeDeclHandler = s.refuse
    p.EntityDeclHandler = s.refuse
    try:
        p.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    except AttributeError:  # pragma: no cover
        pass
    try:
        for chunk in _chunks(zf, member, ticker):
            p.Parse(chunk, False)
        p.Parse(b"", True)
    except expat.ExpatError as exc:
        raise Refused("xlsx.damaged", f"the sheet's XML is not well-formed (line {exc.lineno}); the workbook is "
                      "damaged") from None
    s.scan.set_extent(s.rows, s.cols)
    s.scan.cell_bytes = zf.getinfo(member).file_size  # not measured here: the reader checks every cell
    return s.scan


def scan_sheet(zf: zipfile.ZipFile, member: str, lim: Limits, what: str) -> SheetScan:
    """The scan of sheet part ``member``; :class:`Refused` when it is over a limit or not well-formed."""
    size = zf.getinfo(member).file_size
    ticker = Ticker(size, what, max(1, size // 50))
    try:
        scan = _fast(zf, member, ticker)
        if scan is None:
            scan = _exact(zf, member, Ticker(size, what, max(1, size // 50)))
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, ValueError):
        raise Refused("xlsx.damaged", "the sheet's part cannot be inflated (its data does not match the zip's "
                      "record of it); the workbook is damaged: copy or download it again") from None
    ticker.finish()
    last = f"{col_letters(scan.max_col)}{scan.max_row}"
    if scan.max_col > lim.max_columns:
        raise Refused("xlsx.too_large", f"the sheet has cells as far right as column {col_letters(scan.max_col)} "
                      f"({scan.max_col:,} columns), more than the {lim.max_columns:,} a sheet may have; delete the "
                      "stray cells (Ctrl+End in Excel shows the last one)")
    if scan.max_row > lim.max_rows + 1:
        raise Refused("xlsx.too_large", f"the sheet has cells down to row {scan.max_row:,}, more than the "
                      f"{lim.max_rows:,} rows a table may have; delete the stray cells (Ctrl+End in Excel shows the "
                      "last one)")
    if scan.cells > lim.max_cells:
        raise Refused("xlsx.too_large", f"the sheet's cells span A1:{last} ({scan.max_row:,} rows x "
                      f"{scan.max_col:,} columns = {scan.max_row * scan.max_col:,} cells), more than the "
                      f"{lim.max_cells:,} cells a sheet may span; delete stray cells far below or right of the table "
                      "(Ctrl+End in Excel shows the last one)")
    return scan


__all__ = ["SheetScan", "scan_sheet", "col_letters", "col_number"]
