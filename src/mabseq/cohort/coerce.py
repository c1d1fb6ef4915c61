"""From raw cells to typed values, one finding per cell that cannot be read.

Dates: real spreadsheet dates, or text in ISO form (YYYY-MM-DD, optionally with a midnight time). A bare number in a
date column is refused as a probable Excel serial number (the message gives the date it would be), and any other text
(03/04/2020, 4 Mar 2020) is refused because day and month order cannot be known. A date-time with a time of day
is refused (a date column holds dates).

Numbers: text of the form ``[+-]digits[.digits][e[+-]digits]`` (U+2212 '−' is read as a minus); no thousands
separators, no '%' (the column's unit says what the number means), nothing infinite. A whole number is required in
an integer column. Values outside the column's range are refused with the unit and, for the usual unit mistakes,
a hint. Missing: an empty cell, or one of ``na``, ``n/a``, ``nan``, ``null``, ``.`` (any case), or a NULL / NaN in
a stored form.

How: a column is parsed as a whole (pyarrow compute for text, numpy for numbers and dates, both C loops), and only
the cells that break a rule are visited one by one, to write their findings. Values of any other Python type an
importer may hand over (booleans, times of day, numbers in a text column, ...) go through the per-cell parser
:func:`parse_value`; ``PARSE_CALLS`` counts its calls so that a test can prove the common paths never use it.
"""
from __future__ import annotations

import datetime as _dt
import math
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .findings import ERROR, WARNING, Findings
from .model import RawTable
from .schema import BY_NAME, Column

MISSING_TOKENS = {"", "na", "n/a", "nan", "null", "."}
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$")
_ISO_RE2 = r"^(?P<y>[0-9]{4})-(?P<m>[0-9]{1,2})-(?P<d>[0-9]{1,2})(?:[ T]00:00(?::00(?:\.0+)?)?)?$"
_SERIAL_RE2 = r"^[0-9]{5}(\.0+)?$"
_NUMBER_RE2 = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
_EXCEL_EPOCH = _dt.date(1899, 12, 30)
_TOKENS = pa.array(sorted(MISSING_TOKENS), type=pa.large_string())


def _case_variants(word: str) -> set[str]:
    out = {""}
    for ch in word:
        out = {w + c for w in out for c in {ch.lower(), ch.upper()}}
    return out


# the missing tokens in every letter case (ASCII only: no other character lower-cases to n, a, u or l)
_TOKEN_CASES = pa.array(sorted(set().union(*(_case_variants(w) for w in MISSING_TOKENS))), type=pa.large_string())

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

PARSE_CALLS = [0]  # calls of the per-cell parser (see the module docstring)

# problem codes of the vectorized paths; 0 = read (or missing)
(_OK, _NUMBER, _PERCENT, _FINITE, _INTEGER, _DATE_FORMAT, _DATE_INVALID, _SERIAL, _TIME, _CATEGORY, _RANGE,
 _SCALAR) = range(12)


class _Bad(Exception):
    def __init__(self, rule: str, message: str):
        self.rule, self.message = rule, message


# ---- the per-cell parser: odd types, and the reference the vectorized paths follow ---------------------------------
def is_missing(v) -> bool:
    if v is None:
        return True
    if isinstance(v, float) and math.isnan(v):
        return True
    if v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, str) and v.strip().lower() in MISSING_TOKENS


def _as_float(v) -> float:
    if isinstance(v, (bool, np.bool_)):
        raise _Bad("type.number", "expected a number")
    if isinstance(v, (int, float, np.integer, np.floating)):
        return float(v)
    s = str(v).strip()
    if s.endswith("%"):
        raise _Bad("type.number", "expected a number without a % sign (see the column's unit)")
    if not re.fullmatch(_NUMBER_RE2, s.replace("\u2212", "-")):
        raise _Bad("type.number", "expected a number")
    return float(s.replace("\u2212", "-"))


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
    if isinstance(v, float) and math.isfinite(v) and v == math.floor(v):
        s = str(int(v))
    for code, label in col.choices:
        if s == code:
            return code
    low = s.lower()
    for code, label in col.choices:
        if low == code.lower() or low == label.lower():
            return code
    raise _Bad("category.unknown", _category_message(col))


def _category_message(col: Column) -> str:
    return f"not one of the allowed values: {', '.join(col.codes)}"


def parse_string(v) -> str:
    if isinstance(v, float) and math.isfinite(v) and v == math.floor(v):
        return str(int(v))  # an ID typed as a number in a spreadsheet
    if isinstance(v, (_dt.datetime, _dt.date)):
        return v.isoformat()[:10]
    return str(v).strip()


def parse_value(v, col: Column):
    """One cell, any Python type: the typed value, or :class:`_Bad` (counted in ``PARSE_CALLS``)."""
    PARSE_CALLS[0] += 1
    if col.type == "integer":
        x = parse_integer(v)
    elif col.type == "number":
        x = parse_number(v)
    elif col.type == "date":
        return parse_date(v)
    elif col.type == "category":
        return parse_category(v, col)
    else:
        return parse_string(v)
    if not _in_range(x, col):
        raise _Bad("range", _range_message(col))
    return x


def _in_range(x: float, col: Column) -> bool:
    return not ((col.min is not None and x < col.min) or (col.max is not None and x > col.max))


def _range_message(col: Column) -> str:
    lo = "" if col.min is None else f"{col.min:g}"
    hi = "" if col.max is None else f"{col.max:g}"
    rng = f"{lo} to {hi}" if lo and hi else (f">= {lo}" if lo else f"<= {hi}")
    hint = f"; {_HINTS[col.name]}" if col.name in _HINTS else ""
    unit = f" {col.unit}" if col.unit else ""
    return f"outside the allowed range {rng}{unit}{hint}"


def show_value(v) -> str:
    """A cell as a finding shows it (dates of any year, whole floats without '.0')."""
    if isinstance(v, (pd.Timestamp, np.datetime64)):
        if pd.isna(v):
            return ""
        d = np.datetime64(v.to_datetime64() if isinstance(v, pd.Timestamp) else v)
        text = str(np.datetime_as_string(d, unit="s"))
        return text[:-9] if text.endswith("T00:00:00") else text
    if isinstance(v, (_dt.datetime, _dt.date)):
        return v.isoformat()
    if isinstance(v, (float, np.floating)) and math.isfinite(v) and v == math.floor(v) and abs(v) < 1e16:
        return str(int(v))
    return str(v)


_show = show_value


# ---- vectorized column paths ---------------------------------------------------------------------------------------
class _Column:
    """The result of one column: canonical values, which input cells were missing, a problem code per cell and the
    per-cell parser's problems ``{position: _Bad}``."""

    def __init__(self, n: int, col: Column):
        self.col = col
        self.missing = np.zeros(n, dtype=bool)
        self.codes = np.zeros(n, dtype=np.int8)
        self.scalar: dict[int, _Bad] = {}
        if col.type in ("string", "category"):
            self.values = np.full(n, None, dtype=object)
        elif col.type == "date":
            self.values = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
        else:
            self.values = np.zeros(n, dtype=np.int64 if col.type == "integer" else np.float64)
        self.valid = np.zeros(n, dtype=bool)  # a value was read (numbers and dates)

    def series(self) -> pd.Series:
        t = self.col.type
        if t in ("string", "category"):
            v = self.values
            if isinstance(v, (pa.Array, pa.ChunkedArray)):
                return pd.Series(pd.arrays.ArrowStringArray(pc.cast(v, pa.large_string())))
            return pd.Series(pd.array(v, dtype="string"))
        if t == "date":
            return pd.Series(self.values)
        if t == "integer":
            return pd.Series(pd.arrays.IntegerArray(self.values.astype(np.int64), ~self.valid))
        return pd.Series(pd.arrays.FloatingArray(self.values.astype(np.float64), ~self.valid))


def _bool(a) -> np.ndarray:
    return np.asarray(pc.fill_null(a, False).to_numpy(zero_copy_only=False), dtype=bool)


def _text(a: pa.Array, col: Column, out: _Column, where: np.ndarray | None = None) -> None:
    """Parse the text cells ``a`` (large_string, nulls allowed) into ``out`` at positions ``where`` (all if None)."""
    n = len(a)
    codes = np.zeros(n, dtype=np.int8)
    if a.null_count == n:  # an empty column: nothing to parse
        if col.type in ("string", "category"):
            _put(out, where, np.ones(n, dtype=bool), codes, pa.nulls(n, pa.large_string()), None)
        else:
            _put(out, where, np.ones(n, dtype=bool), codes, _no_values(col, n), np.zeros(n, dtype=bool))
        return
    t = pc.utf8_trim_whitespace(a)
    missing = _bool(pc.or_kleene(pc.is_null(a), pc.is_in(t, value_set=_TOKEN_CASES)))
    valid = ~missing
    if col.type == "string":
        vals = pc.if_else(pa.array(missing), pa.scalar(None, pa.large_string()), t)
        valid_out = None
    elif col.type == "category":
        vals = _category(t, valid, col, codes)
        valid_out = None
    elif col.type in ("integer", "number"):
        t2 = pc.replace_substring(t, "\u2212", "-")
        ok = _bool(pc.match_substring_regex(t2, _NUMBER_RE2)) & valid
        bad = valid & ~ok
        codes[bad] = _INTEGER if col.type == "integer" else _NUMBER
        if col.type == "number" and bad.any():
            codes[bad & _bool(pc.ends_with(t, "%"))] = _PERCENT
        f = pc.cast(pc.if_else(pa.array(ok), t2, pa.scalar(None, pa.large_string())), pa.float64())
        f = np.asarray(pc.fill_null(f, 0.0).to_numpy(zero_copy_only=False), dtype=np.float64)
        vals, valid_out = _numbers(f, ok, col, codes)
    else:
        vals, valid_out = _dates(t, valid, codes)
    _put(out, where, missing, codes, vals, valid_out)


def _no_values(col: Column, n: int) -> np.ndarray:
    """``n`` missing values of a number or date column."""
    if col.type == "date":
        return np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    return np.zeros(n, dtype=np.int64 if col.type == "integer" else np.float64)


def _category(t: pa.Array, valid: np.ndarray, col: Column, codes: np.ndarray) -> pa.Array:
    """Codes of the cells: the code itself, else code or label in any letter case (only the cells that are not
    written as a code are lower-cased)."""
    exact = pa.array(list(col.codes), type=pa.large_string())
    idx = np.asarray(pc.fill_null(pc.index_in(t, value_set=exact), -1).to_numpy(zero_copy_only=False),
                     dtype=np.int64)
    rest = np.flatnonzero(valid & (idx < 0))
    if len(rest):
        lower: dict[str, int] = {}
        for k, (code, label) in enumerate(col.choices):
            lower.setdefault(code.lower(), k)
            lower.setdefault(label.lower(), k)
        low = pc.utf8_lower(pc.take(t, pa.array(rest)))
        hit = pc.index_in(low, value_set=pa.array(list(lower), type=pa.large_string()))
        hit = np.asarray(pc.fill_null(hit, -1).to_numpy(zero_copy_only=False), dtype=np.int64)
        targets = np.array(list(lower.values()) + [-1], dtype=np.int64)
        idx[rest] = targets[hit]
    codes[valid & (idx < 0)] = _CATEGORY
    return pc.take(exact, pa.array(idx, mask=idx < 0))


def _dates(t: pa.Array, valid: np.ndarray, codes: np.ndarray):
    """Dates of the cells: YYYY-MM-DD by a fixed-width parse, the other ISO forms by the full pattern."""
    n = len(t)
    vals = np.full(n, np.datetime64("NaT"), dtype="datetime64[s]")
    good = np.zeros(n, dtype=bool)
    plain = _bool(pc.match_substring_regex(t, r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")) & valid
    if plain.any():
        sub = pc.take(t, pa.array(np.flatnonzero(plain)))
        ymd = [np.asarray(pc.cast(pc.utf8_slice_codeunits(sub, lo, hi), pa.int64()).to_numpy(zero_copy_only=False),
                          dtype=np.int64) for lo, hi in ((0, 4), (5, 7), (8, 10))]
        sub_codes = np.zeros(len(sub), dtype=np.int8)
        v, g = _calendar(*ymd, np.ones(len(sub), dtype=bool), sub_codes)
        where = np.flatnonzero(plain)
        vals[where], good[where], codes[where] = v, g, sub_codes
    other = valid & ~plain
    if other.any():
        where = np.flatnonzero(other)
        sub = pc.take(t, pa.array(where))
        m = pc.extract_regex(sub, _ISO_RE2)
        ok = _bool(pc.is_valid(m))
        sub_codes = np.where(ok, _OK, _DATE_FORMAT).astype(np.int8)
        sub_codes[~ok & _bool(pc.match_substring_regex(sub, _SERIAL_RE2))] = _SERIAL
        ymd = []
        for k in ("y", "m", "d"):
            field = pc.struct_field(m, k)
            num = pc.cast(pc.if_else(pa.array(ok), field, pa.scalar(None, field.type)), pa.int64())
            ymd.append(np.asarray(pc.fill_null(num, 1).to_numpy(zero_copy_only=False), dtype=np.int64))
        v, g = _calendar(*ymd, ok, sub_codes)
        vals[where], good[where], codes[where] = v, g, sub_codes
    return vals, good


def _put(out: _Column, where, missing, codes, vals, valid) -> None:
    if where is None:
        out.missing, out.codes, out.values = missing, codes, vals
        if valid is not None:
            out.valid = valid
        return
    out.missing[where], out.codes[where] = missing, codes
    if isinstance(vals, (pa.Array, pa.ChunkedArray)):
        vals = vals.to_numpy(zero_copy_only=False)
    out.values[where] = vals
    if valid is not None:
        out.valid[where] = valid


def _calendar(y, m, d, ok, codes):
    """datetime64[s] of year/month/day where ``ok``; no such day gives date.invalid."""
    good = ok & (y >= 1) & (m >= 1) & (m <= 12) & (d >= 1)
    month = np.where(good, (y - 1970) * 12 + (m - 1), 0).astype("datetime64[M]")
    first = month.astype("datetime64[D]")
    length = ((month + 1).astype("datetime64[D]") - first).astype(np.int64)
    good &= d <= length
    codes[ok & ~good] = _DATE_INVALID
    vals = np.where(good, (first + np.where(good, d - 1, 0)).astype("datetime64[s]"), np.datetime64("NaT", "s"))
    return vals, good


def _numbers(f: np.ndarray, ok: np.ndarray, col: Column, codes: np.ndarray):
    """Finite, whole (integer columns) and in range, where ``ok``; the values and which were read."""
    finite = np.isfinite(f)
    if col.type == "integer":
        bad = ok & (~finite | (np.floor(np.where(finite, f, 0.0)) != np.where(finite, f, 0.0)))
        codes[bad] = _INTEGER
    else:
        bad = ok & ~finite
        codes[bad] = _FINITE
    good = ok & ~bad
    lo = -np.inf if col.min is None else col.min
    hi = np.inf if col.max is None else col.max
    out_of_range = good & ((f < lo) | (f > hi))
    codes[out_of_range] = _RANGE
    good &= ~out_of_range
    if col.type == "integer":  # beyond int64 (only a column without bounds could get here)
        huge = good & (np.abs(np.where(good, f, 0.0)) >= 2.0 ** 63)
        codes[huge] = _RANGE
        good &= ~huge
    safe = np.where(good, f, 0.0)
    return (safe.astype(np.int64) if col.type == "integer" else safe), good


def _from_numbers(f: np.ndarray, null: np.ndarray, col: Column, out: _Column, where, raw) -> None:
    """Numeric cells (float64 with ``null`` marking missing; NaN is missing too)."""
    missing = null | np.isnan(f)
    codes = np.zeros(len(f), dtype=np.int8)
    if col.type in ("integer", "number"):
        vals, valid = _numbers(np.where(missing, 0.0, f), ~missing, col, codes)
        _put(out, where, missing, codes, vals, valid)
    elif col.type == "date":
        codes[~missing] = _SERIAL
        _put(out, where, missing, codes, np.full(len(f), np.datetime64("NaT"), dtype="datetime64[s]"),
             np.zeros(len(f), dtype=bool))
    else:  # a number in a text column: exact text of the original value, cell by cell
        _scalar(raw, np.flatnonzero(~missing), col, out, where, missing)


def _from_datetimes(d: np.ndarray, col: Column, out: _Column, where, raw) -> None:
    """datetime64 cells of any unit (NaT is missing): dates at midnight, anything else is a time of day."""
    missing = np.isnat(d)
    if col.type != "date":
        _scalar(raw, np.flatnonzero(~missing), col, out, where, missing)
        return
    codes = np.zeros(len(d), dtype=np.int8)
    day = d.astype("datetime64[D]")
    timed = ~missing & (d != day.astype(d.dtype))
    codes[timed] = _TIME
    good = ~missing & ~timed
    vals = np.where(good, day.astype("datetime64[s]"), np.datetime64("NaT", "s"))
    _put(out, where, missing, codes, vals, good)


def _scalar(raw, positions: np.ndarray, col: Column, out: _Column, where, missing) -> None:
    """The per-cell parser for ``raw[positions]`` (positions within this part); ``raw`` may be a function that
    gives the cells (made only when needed: a typed column seldom has a cell that needs it)."""
    if callable(raw):
        raw = raw()
    n = len(raw)
    vals = np.full(n, None, dtype=object)
    codes = np.zeros(n, dtype=np.int8)
    valid = np.zeros(n, dtype=bool)
    for i in positions.tolist():
        try:
            vals[i] = parse_value(raw[i], col)
            valid[i] = True
        except _Bad as bad:
            codes[i] = _SCALAR
            out.scalar[int(i if where is None else where[i])] = bad
    if col.type == "date":
        vals = np.array([np.datetime64("NaT", "s") if v is None else np.datetime64(v, "s") for v in vals],
                        dtype="datetime64[s]")
    elif col.type in ("integer", "number"):
        vals = np.array([0 if v is None else v for v in vals], dtype=np.int64 if col.type == "integer"
                        else np.float64)
    _put(out, where, missing, codes, vals, valid if col.type in ("integer", "number", "date") else None)


_TEXT_TYPES = (str,)
_NUMBER_TYPES = (int, float, np.integer, np.floating)


def coerce_column(s: pd.Series, col: Column) -> _Column:
    """Parse one column of any dtype an importer hands over."""
    n = len(s)
    out = _Column(n, col)
    dt = s.dtype
    if isinstance(dt, pd.StringDtype) or (isinstance(dt, pd.ArrowDtype) and pa.types.is_string(dt.pyarrow_dtype)):
        _text(_one_chunk(pc.cast(pa.array(s, from_pandas=True), pa.large_string())), col, out)
        return out
    if pd.api.types.is_datetime64_dtype(dt):
        _from_datetimes(s.to_numpy(), col, out, None, lambda: s.to_numpy(dtype=object))
        return out
    if pd.api.types.is_numeric_dtype(dt) and not pd.api.types.is_bool_dtype(dt):
        null = s.isna().to_numpy()
        f = s.to_numpy(dtype=np.float64, na_value=np.nan)
        _from_numbers(f, null, col, out, None, lambda: s.to_numpy(dtype=object))
        return out
    raw = s.to_numpy(dtype=object)
    inferred = pd.api.types.infer_dtype(raw, skipna=True)
    if inferred in ("integer", "floating", "mixed-integer-float"):  # a spreadsheet's number column
        null = np.asarray(pd.isna(raw), dtype=bool)
        f = np.where(null, 0.0, raw).astype(np.float64) if null.any() else raw.astype(np.float64)
        if np.all(np.abs(f) < 2.0 ** 62) or inferred == "floating":
            _from_numbers(f, null, col, out, None, raw)
            return out
    elif inferred in ("date", "datetime") and not any(getattr(v, "tzinfo", None) for v in raw):
        _from_datetimes(np.array(raw, dtype="datetime64[us]"), col, out, None, raw)  # None is NaT
        return out
    try:
        a = pa.array(raw, type=pa.large_string(), from_pandas=True)
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        _mixed(raw, col, out)
        return out
    _text(a, col, out)
    return out


def _one_chunk(a):
    return a.combine_chunks() if isinstance(a, pa.ChunkedArray) else a


def _mixed(raw: np.ndarray, col: Column, out: _Column) -> None:
    """An object column of several Python types (a spreadsheet): text, numbers and date-times each as a block."""
    kind = np.array([_kind(v) for v in raw], dtype=np.int8)
    for k in np.unique(kind).tolist():
        where = np.flatnonzero(kind == k)
        part = raw[where]
        if k == 0:  # missing
            out.missing[where] = True
        elif k == 1:
            _text(pa.array(part, type=pa.large_string()), col, out, where)
        elif k == 2:
            f = np.array(part, dtype=np.float64)
            _from_numbers(f, np.zeros(len(part), dtype=bool), col, out, where, part)
        elif k == 3:
            d = np.array([np.datetime64(v.replace(tzinfo=None) if isinstance(v, _dt.datetime) else v, "us")
                          for v in part], dtype="datetime64[us]")
            _from_datetimes(d, col, out, where, part)
        else:
            _scalar(part, np.arange(len(part)), col, out, where, np.zeros(len(part), dtype=bool))


def _kind(v) -> int:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
        return 0
    if isinstance(v, np.datetime64):
        return 0 if np.isnat(v) else 3
    if isinstance(v, str):
        return 1
    if isinstance(v, _NUMBER_TYPES) and not isinstance(v, (bool, np.bool_)):
        return 2 if abs(float(v)) < 2.0 ** 62 or not isinstance(v, int) else 4
    if isinstance(v, (_dt.datetime, _dt.date, pd.Timestamp)) and not (
            isinstance(v, _dt.datetime) and v.tzinfo is not None):
        return 3
    return 4


_MESSAGES = {
    _NUMBER: ("type.number", "expected a number"),
    _PERCENT: ("type.number", "expected a number without a % sign (see the column's unit)"),
    _FINITE: ("type.number", "expected a finite number"),
    _INTEGER: ("type.integer", "expected a whole number"),
    _DATE_FORMAT: ("date.format", "not a YYYY-MM-DD date (day and month order of other formats is ambiguous)"),
    _DATE_INVALID: ("date.invalid", "no such calendar date"),
    _TIME: ("date.time_of_day", "expected a date without a time of day"),
}


def _problem(code: int, pos: int, col: Column, res: _Column, raw_value) -> tuple[str, str]:
    if code == _SCALAR:
        bad = res.scalar[pos]
        return bad.rule, bad.message
    if code == _CATEGORY:
        return "category.unknown", _category_message(col)
    if code == _RANGE:
        return "range", _range_message(col)
    if code == _SERIAL:
        try:
            f = float(str(raw_value).strip()) if isinstance(raw_value, str) else float(raw_value)
        except (TypeError, ValueError, OverflowError):
            f = math.nan
        bad = _excel_serial(f)
        return bad.rule, bad.message
    return _MESSAGES[code]


def coerce_table(raw: RawTable, findings: Findings) -> pd.DataFrame:
    """Typed frame of ``raw`` (canonical dtypes, ``raw``'s row order); every unreadable cell becomes a finding and
    a missing value."""
    table = BY_NAME[raw.name]
    src = raw.source
    frame = raw.frame
    for name in raw.unknown_columns:
        findings.add(WARNING, "column.unknown", "column not in the schema; it is ignored", src, raw.name,
                     None, name)
    for c in table.columns:
        if c.required and c.name not in frame.columns and c.name not in raw.refused_columns:
            findings.add(ERROR, "column.missing", "required column is missing", src, raw.name, None, c.name)
    out = {}
    pid_values = None
    rows = np.asarray(raw.rows, dtype=np.int64)
    for c in table.columns:
        if c.name not in frame.columns:
            continue
        res = coerce_column(frame[c.name], c)
        out[c.name] = res.series()
        if c.name == "patient_id":
            pid_values = out[c.name]
        report = res.codes != _OK
        if c.required:
            report |= res.missing
        hits = np.flatnonzero(report)
        if not len(hits):
            continue
        label = raw.header.get(c.name, c.name)
        if pid_values is None and "patient_id" in frame.columns:
            pid_values = coerce_column(frame["patient_id"], table["patient_id"]).series()
        pids = [""] * len(hits) if pid_values is None else pid_values.iloc[hits].fillna("").tolist()
        raws = frame[c.name].iloc[hits].tolist()
        for i, pid, v in zip(hits.tolist(), pids, raws):
            code = int(res.codes[i])
            if code == _OK:
                findings.add(ERROR, "required.missing", "required value is missing", src, raw.name,
                             int(rows[i]), label, "", pid)
                continue
            rule, message = _problem(code, i, c, res, v)
            findings.add(ERROR, rule, message, src, raw.name, int(rows[i]), label, show_value(v), pid)
    return pd.DataFrame(out, index=range(len(frame)))
