"""The mapping file as checked values (format 1, ``docs/MAPPING.md``): what the compiler reads.

:mod:`.load` builds these from the YAML; every value here has passed its checks, and ``line`` is the line of the
mapping file it came from (for findings raised later, when the data is known: a header that is not in the sheet).
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class IdSpec:
    strip: bool = True
    case: str = "upper"            # upper | lower | keep
    remove: tuple[str, ...] = ()


@dataclass
class SourceSpec:
    name: str
    sheet: str | None = None
    file: str | None = None
    header_row: int | None = None
    skip_rows: tuple[int, ...] = ()
    ignore_columns: tuple[str, ...] = ()
    layout: str = "table"          # table | key_value
    key_column: str | None = None
    value_column: str | None = None
    delimiter: str | None = None
    decimal: str = "."
    encoding: str | None = None
    line: int = 0

    @property
    def target(self) -> str:
        return self.sheet if self.sheet is not None else str(self.file)


@dataclass
class ValueMap:
    """source value -> code. ``exact`` is keyed by the normalised source value (lower case, spaces collapsed)."""

    name: str                                   # the named map, or "" for an inline one
    exact: dict[str, str] = field(default_factory=dict)
    regex: list[tuple[str, str]] = field(default_factory=list)   # (pattern, code) in file order
    empty: str | None = None                    # what an empty cell becomes ("" key)
    other: str | None = None                    # what any other value becomes ("*" key)
    line: int = 0


@dataclass
class NumberSpec:
    unit: str | None = None         # percent | fraction | None (the schema's)
    below: str | None = None        # limit | half | zero | missing
    above: str | None = None        # limit | missing
    approx: str | None = None       # value | missing
    negative: tuple[str, ...] = ()
    missing: tuple[str, ...] = ()
    leading: bool = False
    decimal: str | None = None      # None: the source's


@dataclass
class ColumnSpec:
    target: str                     # the schema column
    column: str | None = None       # the source header (or column letter)
    source: str | None = None       # a joined source (None: the block's from)
    value: str | None = None        # a constant
    values: ValueMap | None = None
    number: NumberSpec | None = None
    dates: tuple[str, ...] | None = None
    id: bool = False
    generate: dict | None = None    # {within, order_by, format}
    line: int = 0


@dataclass
class JoinSpec:
    source: str
    on: list[tuple[str, str]]       # (this header, other header)
    how: str = "full"
    line: int = 0


@dataclass
class FilterSpec:
    column: str
    op: str                         # equals | not_equals | in | not_in | matches | empty
    arg: object = None
    line: int = 0

    @property
    def label(self) -> str:
        a = self.arg
        shown = ", ".join(map(str, a)) if isinstance(a, (list, tuple)) else str(a).lower() if isinstance(a, bool) \
            else str(a)
        return f"{self.column} {self.op} {shown}"


@dataclass
class CollapseSpec:
    within: tuple[str, ...]
    same: tuple[str, ...]
    order_by: str
    gap_days: int
    start: str
    end: str | None
    cycles: str | None              # count | sum | None
    line: int = 0


@dataclass
class BlockSpec:
    table: str
    index: int
    from_: str
    join: list[JoinSpec] = field(default_factory=list)
    unpivot: str | None = None
    unpivot_line: int = 0
    where: list[FilterSpec] = field(default_factory=list)
    collapse: CollapseSpec | None = None
    columns: dict[str, ColumnSpec] = field(default_factory=dict)
    line: int = 0

    @property
    def label(self) -> str:
        return f"tables.{self.table}" + (f"[{self.index}]" if self.index else "")


@dataclass
class MappingSpec:
    path_name: str
    ids: IdSpec
    dates: tuple[str, ...]
    sources: dict[str, SourceSpec]
    values: dict[str, ValueMap]
    blocks: list[BlockSpec]
    documentation: tuple[str, ...] = ()   # sheets/files of DATA that document it (a code book): not read, not warned


__all__ = ["IdSpec", "SourceSpec", "ValueMap", "NumberSpec", "ColumnSpec", "JoinSpec", "FilterSpec",
           "CollapseSpec", "BlockSpec", "MappingSpec"]
