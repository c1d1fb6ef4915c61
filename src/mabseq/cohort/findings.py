"""Validation findings: each names where (file or sheet, row, column), what value, and which rule it broke.

Text in a finding comes from the user's files, so it is made safe and plain when the finding is made: the value is
shown as the user would write it (``''`` for a missing one, ``2020-03-01`` for a date, ``45.2`` for a number, never
``None``, ``nan``, ``np.float64(...)`` or ``Timestamp(...)``) and cut to :data:`MAX_VALUE_CHARS`; when a finding is
printed, control characters and the invisible format characters that reorder or hide text (bidirectional
overrides, zero-width spaces, a byte-order mark) are shown as escapes, so that a header cannot recolour a terminal
or disguise itself.
"""
from __future__ import annotations

import datetime as _dt
import json
import math
import re
from dataclasses import asdict, dataclass, field

from ..safe_text import escape_control

ERROR, WARNING = "error", "warning"
MAX_VALUE_CHARS = 200
_FORMAT_CHARS = re.compile("[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]")


def plain(v) -> str:
    """A cell value as text for a message: no Python reprs, missing values as ''."""
    if v is None or v is _NA or v is _NAT:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if hasattr(v, "item") and callable(v.item) and not isinstance(v, (list, tuple, dict)):  # numpy scalars
        try:
            v = v.item()
        except (TypeError, ValueError):
            pass
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)
    if isinstance(v, _dt.datetime):
        return v.date().isoformat() if v.time() == _dt.time(0) else v.isoformat(sep=" ")
    if isinstance(v, _dt.date):
        return v.isoformat()
    if hasattr(v, "isoformat"):  # pandas Timestamp and friends
        try:
            return plain(v.to_pydatetime())
        except (AttributeError, ValueError):
            return str(v)
    return str(v)


def shorten(text: str, limit: int = MAX_VALUE_CHARS) -> str:
    """``text`` cut to ``limit`` characters, saying how long it was."""
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def quote(v, limit: int = 80) -> str:
    """A name or value from the user's file inside a message: in single quotes, plain, shortened."""
    return "'" + shorten(plain(v), limit) + "'"


def escape_display(text: str) -> str:
    """``text`` for one line of a terminal or report: control and invisible format characters as escapes."""
    out = escape_control(text, keep_newlines=False)
    return _FORMAT_CHARS.sub(lambda m: f"\\u{ord(m.group(0)):04x}", out)


try:  # pandas' missing-value singletons, without importing pandas for every finding
    import pandas as _pd
    _NA, _NAT = _pd.NA, _pd.NaT
except ImportError:  # pragma: no cover
    _NA = _NAT = object()


@dataclass(frozen=True)
class Finding:
    severity: str  # "error" stops the run; "warning" goes on and is listed in the report
    rule: str  # stable id, e.g. "date.invalid", "ref.unknown_patient"
    message: str
    source: str = ""  # file, or file and sheet
    table: str = ""
    row: int | None = None  # row number as the user sees it (spreadsheet row / CSV line)
    column: str = ""  # column name as the user wrote it
    value: str = ""
    patient_id: str = ""

    def __post_init__(self):
        # findings are made from cells of every type: keep only plain, bounded text (and an int row)
        set_ = object.__setattr__
        set_(self, "message", shorten(str(self.message), 2000))
        for name in ("source", "table", "column", "patient_id"):
            set_(self, name, shorten(plain(getattr(self, name)), MAX_VALUE_CHARS))
        set_(self, "value", shorten(plain(self.value)))
        if self.row is not None:
            try:
                set_(self, "row", int(self.row))
            except (TypeError, ValueError, OverflowError):  # a missing row number (NaN) is no row number
                set_(self, "row", None)

    def location(self) -> str:
        parts = [self.source or self.table]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(p for p in parts if p)

    def __str__(self) -> str:
        """One line for a terminal or a report: control characters from the user's file are shown as escapes."""
        val = f" (value '{self.value}')" if self.value != "" else ""
        return escape_display(f"{self.severity}: {self.location()}: {self.message}{val} [{self.rule}]")


@dataclass
class Findings:
    """An ordered collection of findings with the summaries a data manager reads."""

    items: list[Finding] = field(default_factory=list)

    def add(self, *args, **kwargs) -> None:
        self.items.append(Finding(*args, **kwargs))

    def extend(self, other: "Findings") -> None:
        self.items.extend(other.items)

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.items if f.severity == ERROR]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.items if f.severity == WARNING]

    def __len__(self) -> int:
        return len(self.items)

    def __iter__(self):
        return iter(self.items)

    def rules(self) -> list[str]:
        return [f.rule for f in self.items]

    def sorted(self) -> list[Finding]:
        order = {ERROR: 0, WARNING: 1}
        return sorted(self.items, key=lambda f: (order[f.severity], f.source, f.table, f.row or 0, f.column, f.rule))

    def to_json(self) -> str:
        body = {"generator": "mabseq", "errors": len(self.errors), "warnings": len(self.warnings),
                "findings": [asdict(f) for f in self.sorted()]}
        return json.dumps(body, indent=2, sort_keys=True)

    def summary_text(self, limit: int | None = None, json_path: str | None = None) -> str:
        items = self.sorted()
        lines = [f"{len(self.errors)} error(s), {len(self.warnings)} warning(s)"]
        shown = items if limit is None else items[:limit]
        lines += [str(f) for f in shown]
        if len(shown) < len(items):
            where = (f"all of them are in {json_path}" if json_path
                     else "give --json FILE to write all of them")
            lines.append(f"... and {len(items) - len(shown)} more ({where})")
        return "\n".join(lines)


# Findings that mean a whole file or sheet could not be read. A reader that made one stops there: the checks
# across tables would only report the missing file again, row by row (a UTF-16 patients file used to bury its one
# finding under 1,375 unknown-patient errors).
FILE_REFUSALS = frozenset({
    "file.encoding", "file.nul", "file.format", "file.not_regular", "file.too_large", "file.unreadable",
    "file.delimiter", "file.empty", "file.link_outside", "csv.malformed", "table.too_many_rows",
    "table.too_many_columns", "table.duplicate", "xlsx.damaged", "xlsx.dtd", "xlsx.zip_bomb", "xlsx.too_large",
    "xlsx.too_many_parts", "redcap.records", "redcap.dictionary",
})


def stop_if_refused(findings: "Findings", since: int, source: str) -> bool:
    """Whether a file-level refusal was added after position ``since``; if so, adds one warning saying the rest
    was not checked (so that a reader can return nothing)."""
    if not any(f.severity == ERROR and f.rule in FILE_REFUSALS for f in findings.items[since:]):
        return False
    findings.add(WARNING, "read.stopped", "the other tables were not checked, because a file or sheet above could "
                 "not be read; correct it and run again", source)
    return True


class CappedFindings:
    """Adds at most ``cap`` findings of one rule for one source, then (on :meth:`close`) one finding counting the
    rest: a file with the same fault on every row gets a few examples and a count, not 500,000 lines."""

    def __init__(self, findings: Findings, cap: int = 20):
        self.findings, self.cap = findings, cap
        self.counts: dict[tuple, int] = {}
        self.first: dict[tuple, Finding] = {}

    def add(self, severity: str, rule: str, message: str, source: str = "", table: str = "", row=None,
            column: str = "", value="", patient_id: str = "") -> None:
        key = (severity, rule, source, table)
        n = self.counts.get(key, 0) + 1
        self.counts[key] = n
        if n <= self.cap:
            self.findings.add(severity, rule, message, source, table, row, column, value, patient_id)

    def close(self) -> None:
        for (severity, rule, source, table), n in self.counts.items():
            if n > self.cap:
                self.findings.add(severity, rule, f"... and {n - self.cap:,} more like the {self.cap} above "
                                  f"({n:,} in all)", source, table)
        self.counts.clear()


class CohortError(Exception):
    """Raised when a cohort has errors: carries the findings (the CLI prints them and exits with status 2)."""

    def __init__(self, findings: Findings):
        self.findings = findings
        first = findings.errors[0] if findings.errors else None
        super().__init__(str(first) if first else "cohort has errors")
