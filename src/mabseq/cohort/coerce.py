"""From raw cells to typed values, one finding per cell that cannot be read.

Dates: real spreadsheet dates, or text in ISO form (YYYY-MM-DD, optionally with a midnight time). A bare number in a
date column is refused as a probable Excel serial number (the message gives the date it would be), and any other text
(03/04/2020, 4 Mar 2020) is refused because day and month order cannot be known.
"""
from __future__ import annotations

import datetime as _dt
import math
import re

import pandas as pd

from .findings import ERROR, WARNING, Findings
from .model import DTYPES, RawTable
from .schema import BY_NAME, Column

MISSING_TOKENS = {"", "na", "n/a", "nan", "null", "."}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
_EXCEL_EPOCH = _dt.date(1899, 12, 30)

# unit hints for out-of-range values
_HINTS = {
    "mrd_value": "MRD is a fraction: 0.01% is 0.0001",
    "mrd_lod": "the assay sensitivity is a fraction: 0.01% is 0.0001",
    "bilirubin": "bilirubin is in mg/dL (umol/L / 17.1)",
    "anc": "counts are x10^9/L (1,000/uL is 1.0)",
    "platelets": "counts are x10^9/L (100,000/uL is 100)",
    "tbi_dose": "TBI is in cGy (1 Gy = 100 cGy)",
    "temp_max": "temperature is in degrees Celsius",
}


class _Bad(Exception):
    def __init__(self, rule: str, message: str):
        self.rule, self.message = rule, message


def is_missing(v) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, str) and v.strip().lower() in MISSING_TOKENS


def _as_float(v) -> float:
    if isinstance(v, bool):
        raise _Bad("type.number", "expected a number")
    if isinstance(v, (int, float)):
        return float(v)
    s = str(v).strip()
    if s.endswith("%"):
        raise _Bad("type.number", "expected a number without a % sign (see the column's unit)")
    try:
        return float(s.replace("\u2212", "-"))
    except ValueError:
        raise _Bad("type.number", "expected a number") from None


def parse_integer(v) -> int:
    try:
        f = _as_float(v)
    except _Bad:
        raise _Bad("type.integer", "expected a whole number") from None
    if not math.isfinite(f) or f != math.floor(f):
        raise _Bad("type.integer", "expected a whole number")
    return int(f)


def parse_number(v) -> float:
    f = _as_float(v)
    if not math.isfinite(f):
        raise _Bad("type.number", "expected a finite number")
    return f


def parse_date(v) -> _dt.date:
    if isinstance(v, _dt.datetime):
        if v.time() != _dt.time(0):
            raise _Bad("date.time_of_day", "expected a date without a time of day")
        return v.date()
    if isinstance(v, _dt.date):
        return v
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        raise _excel_serial(float(v))
    s = str(v).strip()
    if re.fullmatch(r"\d{5}(\.0+)?", s):
        raise _excel_serial(float(s))
    m = _ISO.match(s)
    if not m:
        raise _Bad("date.format", "not a YYYY-MM-DD date (day and month order of other formats is ambiguous)")
    try:
        return _dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    except ValueError:
        raise _Bad("date.invalid", "no such calendar date") from None


def _excel_serial(f: float) -> _Bad:
    hint = ""
    if 1 <= f < 100000 and f == math.floor(f):
        hint = f" (as an Excel serial number it would be {(_EXCEL_EPOCH + _dt.timedelta(days=int(f))).isoformat()})"
    return _Bad("date.excel_serial", "a number in a date column; write the date as YYYY-MM-DD" + hint)


def parse_category(v, col: Column) -> str:
    s = str(v).strip()
    if isinstance(v, float) and v == math.floor(v):
        s = str(int(v))
    for code, label in col.choices:
        if s == code:
            return code
    low = s.lower()
    for code, label in col.choices:
        if low == code.lower() or low == label.lower():
            return code
    allowed = ", ".join(col.codes)
    raise _Bad("category.unknown", f"not one of the allowed values: {allowed}")


def parse_string(v) -> str:
    if isinstance(v, float) and v == math.floor(v) and math.isfinite(v):
        return str(int(v))  # an ID typed as a number in a spreadsheet
    if isinstance(v, (_dt.datetime, _dt.date)):
        return v.isoformat()[:10]
    return str(v).strip()


def _parse(v, col: Column):
    if col.type == "integer":
        return parse_integer(v)
    if col.type == "number":
        return parse_number(v)
    if col.type == "date":
        return parse_date(v)
    if col.type == "category":
        return parse_category(v, col)
    return parse_string(v)


def _show(v) -> str:
    if isinstance(v, (_dt.datetime, _dt.date)):
        return v.isoformat()
    if isinstance(v, float) and v == math.floor(v) and math.isfinite(v):
        return str(int(v))
    return str(v)


def coerce_table(raw: RawTable, findings: Findings) -> pd.DataFrame:
    """Typed, conformed frame of ``raw``; every unreadable cell becomes a finding and a missing value."""
    table = BY_NAME[raw.name]
    src = raw.source
    for name in raw.unknown_columns:
        findings.add(WARNING, "column.unknown", "column not in the schema; it is ignored", src, raw.name,
                     None, name)
    for c in table.columns:
        if c.required and c.name not in raw.frame.columns:
            findings.add(ERROR, "column.missing", "required column is missing", src, raw.name, None, c.name)
    out = {}
    pids = raw.frame["patient_id"].tolist() if "patient_id" in raw.frame.columns else None

    def pid_at(i: int) -> str:
        return "" if pids is None or is_missing(pids[i]) else parse_string(pids[i])

    for c in table.columns:
        if c.name not in raw.frame.columns:
            continue
        label = raw.header.get(c.name, c.name)
        values = []
        for i, v in enumerate(raw.frame[c.name].tolist()):
            if is_missing(v):
                if c.required:
                    findings.add(ERROR, "required.missing", "required value is missing", src, raw.name,
                                 raw.rows[i], label, "", pid_at(i))
                values.append(None)
                continue
            try:
                x = _parse(v, c)
            except _Bad as bad:
                findings.add(ERROR, bad.rule, bad.message, src, raw.name, raw.rows[i], label, _show(v), pid_at(i))
                values.append(None)
                continue
            if c.type in ("integer", "number"):
                if (c.min is not None and x < c.min) or (c.max is not None and x > c.max):
                    lo = "" if c.min is None else f"{c.min:g}"
                    hi = "" if c.max is None else f"{c.max:g}"
                    rng = f"{lo} to {hi}" if lo and hi else (f">= {lo}" if lo else f"<= {hi}")
                    hint = f"; {_HINTS[c.name]}" if c.name in _HINTS else ""
                    unit = f" {c.unit}" if c.unit else ""
                    findings.add(ERROR, "range", f"outside the allowed range {rng}{unit}{hint}", src, raw.name,
                                 raw.rows[i], label, _show(v), pid_at(i))
                    values.append(None)
                    continue
            values.append(x)
        out[c.name] = values
    frame = pd.DataFrame(out, index=range(len(raw.frame)))
    return frame


def conform_index(frame: pd.DataFrame, table) -> list[int]:
    """The positions of ``frame``'s rows in the order :func:`conform` puts them (stable sort by key)."""
    keyed = pd.DataFrame({k: _typed_col(frame, table, k) for k in table.key})
    keyed["__i"] = range(len(frame))
    if len(keyed):
        keyed = keyed.sort_values(list(table.key), kind="stable", na_position="last")
    return keyed["__i"].tolist()


def _typed_col(frame, table, name):
    c = table[name]
    s = frame[name] if name in frame.columns else pd.Series([None] * len(frame), dtype=object)
    if c.type == "date":
        return pd.to_datetime(s).astype(DTYPES["date"]).reset_index(drop=True)
    return s.astype(object).where(pd.notna(s), None).astype(DTYPES[c.type]).reset_index(drop=True)
