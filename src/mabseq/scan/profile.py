"""The profile of DATA: for every sheet or file, where its table is and what each column holds.

:func:`profile_data` reads DATA through :func:`mabseq.cohort.grid.read_grids` (every visible sheet or CSV file as
text, with the user's row numbers) and, per grid, finds the layout (:mod:`.layout`: header row, units row,
key/value sheet), the columns' profiles (:mod:`.columns`), the repeated column groups (:mod:`.groups`) and the
decimal mark. ``mabseq scan`` writes it as scan.json and scan.html (:mod:`.render`); ``mabseq map draft`` builds
a mapping from it.

``to_json(shareable=True)`` applies the WhiteRabbit rule (:mod:`.share`), so that a scan can be sent to someone
who may not see the data. The JSON is deterministic: sources in DATA's order, columns in sheet order, values by
count then text, keys sorted.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..cohort.findings import WARNING, Findings
from ..cohort.grid import Grid, GridOptions, read_grids
from .columns import ColumnProfile, profile_column
from .groups import RepeatGroup, find_groups
from .layout import footer_start, header_index, key_value_rows, kv_header, units_row
from .xlsx_formats import percent_cells

FORMAT = 1


@dataclass
class SourceProfile:
    name: str
    source: str
    kind: str                        # "sheet" | "file"
    layout: str                      # "table" | "key_value"
    header_row: int                  # the user's row of the header; 0 when there is none (a key/value list)
    skip_rows: list[int] = field(default_factory=list)   # rows after the header that are not data (units, notes)
    n_rows: int = 0                  # data rows (or key rows of a key/value sheet)
    delimiter: str | None = None
    decimal: str = "."
    columns: list[ColumnProfile] = field(default_factory=list)
    groups: list[RepeatGroup] = field(default_factory=list)
    key_values: list[tuple[str, str]] | None = None      # key/value sheets: (key, value) in sheet order
    key_rows: list[int] | None = None                     # key/value sheets: the row of each key
    width: int = 0
    first_row: int = 0               # the user's row of the first data row (0 when none)
    last_row: int = 0
    id_column: str | None = None     # the first id-like column's header (or letter): the table's patient key
    rows_per_id: dict[int, int] = field(default_factory=dict)  # rows per id -> how many ids (1 row: one per patient)


@dataclass
class DataProfile:
    data: str
    sources: list[SourceProfile] = field(default_factory=list)

    def source(self, name: str) -> SourceProfile | None:
        return next((s for s in self.sources if s.name == name), None)

    def to_json(self, shareable: bool = True) -> dict:
        from .share import profile_json
        return profile_json(self, shareable)


def _decimal(columns: list[ColumnProfile], delimiter: str | None) -> str:
    """``","`` when the source writes more decimal-comma numbers (``1,5``) than decimal-point ones (``1.5``)."""
    comma = sum(c.patterns.get("decimal_comma", 0) for c in columns)
    point = sum(c.patterns.get("number", 0) for c in columns)
    return "," if comma > point else "."


def profile_grid(g: Grid, findings: Findings, cache: dict | None = None) -> SourceProfile:
    """The profile of one sheet or file (``cache``: see :func:`.columns.profile_column`)."""
    cache = {} if cache is None else cache
    sp = SourceProfile(g.name, g.source, g.kind, "table", 0, delimiter=g.delimiter, width=g.width)
    if not g.cells:
        findings.add(WARNING, "scan.empty", "the sheet or file holds no data (every row is blank)", g.source)
        return sp
    kv = key_value_rows(g.cells)
    if kv is not None:
        return _profile_key_value(g, sp, *kv, cache)
    h = header_index(g.cells)
    if h < 0:
        findings.add(WARNING, "scan.no_header", "no row reads as a header (text names, no two alike); every row "
                     "is read as data and columns are known by their letters", g.source)
        return _profile_rows(g, sp, 0, -1, findings, cache)
    if h > 0:
        findings.add(WARNING, "scan.rows_above_header", f"{h} row(s) above the header (row {g.rows[h]}) are not "
                     f"read as data: rows {', '.join(str(r) for r in g.rows[:h][:10])}"
                     + (" ..." if h > 10 else ""), g.source)
    sp.header_row = g.rows[h]
    start = h + 1
    if units_row(g.cells, h):
        sp.skip_rows = [g.rows[h + 1]]
        start = h + 2
    return _profile_rows(g, sp, start, h, findings, cache)


def _profile_rows(g: Grid, sp: SourceProfile, start: int, h: int, findings: Findings, cache: dict
                  ) -> SourceProfile:
    """The columns of the data rows ``g.cells[start:]`` (less notes at the end) under the header ``g.cells[h]``
    (none when ``h`` is -1)."""
    header = g.cells[h] if h >= 0 else [""] * g.width
    end = footer_start(g.cells, start)
    if end < len(g.cells):
        sp.skip_rows += g.rows[end:]
        findings.add(WARNING, "scan.footer_rows", f"{len(g.cells) - end} row(s) below the table read as notes, not "
                     f"data: rows {', '.join(str(r) for r in g.rows[end:][:10])}"
                     + (" ..." if len(g.cells) - end > 10 else ""), g.source)
    body = g.cells[start:end]
    sp.n_rows = len(body)
    if body:
        sp.first_row, sp.last_row = g.rows[start], g.rows[end - 1]
    seen: dict[str, int] = {}
    for j in range(g.width):
        name = header[j].strip()
        col = [r[j] for r in body]
        if not name and not any(c.strip() for c in col):
            continue
        if name:
            key = " ".join(name.split()).lower()
            if key in seen:
                findings.add(WARNING, "scan.duplicate_header", f"the header '{name}' is used by columns "
                             f"{g.letter(seen[key])} and {g.letter(j)}", g.source, row=sp.header_row,
                             column=name)
            seen.setdefault(key, j)
        sp.columns.append(profile_column(name, g.letter(j), j, col, cache))
    sp.groups = find_groups([c.header for c in sp.columns if c.header])
    sp.decimal = _decimal(sp.columns, g.delimiter)
    _rows_per_id(sp)
    return sp


def _rows_per_id(sp: SourceProfile) -> None:
    """How many rows each id has (ids compared without surrounding spaces and case): a sheet with one row per
    patient shows ``{1: n}``; a row per cycle or per sample shows more."""
    col = next((c for c in sp.columns if c.id_like), None)
    if col is None:
        return
    per: dict[str, int] = {}
    for v, n in col.values:
        k = " ".join(v.split()).upper()
        per[k] = per.get(k, 0) + n
    hist: dict[int, int] = {}
    for n in per.values():
        hist[n] = hist.get(n, 0) + 1
    sp.id_column = col.header or col.letter
    sp.rows_per_id = dict(sorted(hist.items()))


def _profile_key_value(g: Grid, sp: SourceProfile, start: int, kc: int, vc: int, cache: dict) -> SourceProfile:
    sp.layout = "key_value"
    first = start
    khead, vhead = "", ""
    if kv_header(g.cells, start, kc, vc):
        sp.header_row = g.rows[start]
        khead, vhead = g.cells[start][kc].strip(), g.cells[start][vc].strip()
        first = start + 1
    rows = g.cells[first:]
    sp.key_values = [(r[kc].strip(), r[vc].strip()) for r in rows if r[kc].strip()]
    sp.key_rows = [g.rows[first + i] for i, r in enumerate(rows) if r[kc].strip()]
    sp.n_rows = len(sp.key_values)
    if rows:
        sp.first_row, sp.last_row = g.rows[first], g.rows[-1]
    sp.columns = [profile_column(khead, g.letter(kc), kc, [r[kc] for r in rows], cache),
                  profile_column(vhead, g.letter(vc), vc, [r[vc] for r in rows], cache)]
    sp.decimal = _decimal(sp.columns[1:], g.delimiter)
    return sp


def profile_grids(data: str, grids: list[Grid], findings: Findings) -> DataProfile:
    cache: dict = {}
    return DataProfile(data, [profile_grid(g, findings, cache) for g in grids])


def _mark_excel_percent(path: Path, grids: list[Grid], profile: DataProfile, findings: Findings) -> None:
    """``excel_percent`` of each sheet column (see :mod:`.xlsx_formats`)."""
    books: dict[str, dict] = {}
    for g, sp in zip(grids, profile.sources):
        if g.kind != "sheet":
            continue
        book = g.source[: g.source.rfind(" [sheet ")]
        if book not in books:
            where = path if path.is_file() else path / book
            books[book] = percent_cells(where, findings)
        counts = books[book].get(g.name, {})
        for c in sp.columns:
            c.excel_percent = counts.get(g.first_column + c.position, 0)


def profile_data(path, findings: Findings, options: dict[str, GridOptions] | None = None) -> DataProfile:
    """The profile of every sheet or file of DATA (``path``); problems reading it are added to ``findings``."""
    grids = read_grids(path, findings, options)
    profile = profile_grids(Path(path).name, grids, findings)
    _mark_excel_percent(Path(path), grids, profile, findings)
    return profile


__all__ = ["DataProfile", "SourceProfile", "ColumnProfile", "RepeatGroup", "profile_data", "profile_grid",
           "profile_grids", "FORMAT"]
