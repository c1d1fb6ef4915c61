"""Validation findings: each names where (file or sheet, row, column), what value, and which rule it broke."""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from ..safe_text import escape_control

ERROR, WARNING = "error", "warning"


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

    def location(self) -> str:
        parts = [self.source or self.table]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column '{self.column}'")
        return ", ".join(p for p in parts if p)

    def __str__(self) -> str:
        """One line for a terminal or a report: control characters from the user's file are shown as escapes."""
        val = f" (value {self.value!r})" if self.value != "" else ""
        return escape_control(f"{self.severity}: {self.location()}: {self.message}{val} [{self.rule}]",
                              keep_newlines=False)


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


class CohortError(Exception):
    """Raised when a cohort has errors: carries the findings (the CLI prints them and exits with status 2)."""

    def __init__(self, findings: Findings):
        self.findings = findings
        first = findings.errors[0] if findings.errors else None
        super().__init__(str(first) if first else "cohort has errors")
