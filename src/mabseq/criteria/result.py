"""What every clinical rule returns: the value, and enough to explain it.

Clinical-criteria spec, section 0: a rule never returns a bare number. It returns the value with the criteria that
were met, the inputs that were missing, and the rule set's name and version, so that any grade in a report can be
explained and regenerated under another rule set. A missing input is never taken as normal: when it could change
the answer, the value is None and the input is listed in ``missing_inputs``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Result:
    value: Any
    ruleset: str
    ruleset_version: str = ""
    criteria_met: tuple[str, ...] = ()
    missing_inputs: tuple[str, ...] = ()
    inputs: dict[str, Any] = field(default_factory=dict)
    flags: tuple[str, ...] = ()
    rule: str = ""  # the function that produced it, e.g. "agvhd_grade"

    @property
    def determined(self) -> bool:
        return self.value is not None

    def explain(self) -> str:
        """A short explanation: rule, inputs, what was met, what was missing, result."""
        name = f"{self.rule} " if self.rule else ""
        version = f" {self.ruleset_version}" if self.ruleset_version else ""
        shown = ", ".join(f"{k}={_fmt(v)}" for k, v in self.inputs.items() if v is not None)
        parts = [f"{name}[{self.ruleset}{version}]"]
        if shown:
            parts.append(f"inputs: {shown}")
        if self.criteria_met:
            parts.append("met: " + "; ".join(self.criteria_met))
        if self.missing_inputs:
            parts.append("missing: " + ", ".join(self.missing_inputs))
        if self.flags:
            parts.append("flags: " + ", ".join(self.flags))
        parts.append(f"result: {_fmt(self.value)}")
        return " | ".join(parts)

    def as_dict(self) -> dict:
        return {"rule": self.rule, "ruleset": self.ruleset, "ruleset_version": self.ruleset_version,
                "value": self.value, "criteria_met": list(self.criteria_met),
                "missing_inputs": list(self.missing_inputs), "flags": list(self.flags),
                "inputs": dict(self.inputs)}


def _fmt(v) -> str:
    if v is None:
        return "undetermined"
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)
