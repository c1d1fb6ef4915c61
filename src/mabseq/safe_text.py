"""Text that leaves mabseq safely: CSV/XLSX cells that a spreadsheet cannot run, and terminal/HTML text without
control characters.

- **Formula injection** (OWASP, "CSV Injection"): a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a
  carriage return is run as a formula by Excel, LibreOffice and Google Sheets (``=HYPERLINK(...)``,
  ``+cmd|' /C calc'!A0``). :func:`neutralize_formula` prefixes such a cell with a single quote, which every
  spreadsheet shows as text; numbers (``-0.5`` as a float) are not text and stay as they are.
- **Control characters**: C0/C1 controls (ESC sequences that recolour or rewrite a terminal, BEL, backspace), and
  the line and paragraph separators U+2028/U+2029, are shown as ``\\xNN`` / ``\\uNNNN`` escapes by
  :func:`escape_control`; tab and newline are kept only where the caller allows.

Written by hand: the rules are a few lines, and the CSV writers (pandas, csv) and jinja2's HTML escaping do
neither.
"""
from __future__ import annotations

import re

import pandas as pd

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
_CONTROL_ALL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def neutralize_formula(value):
    """``value`` with a leading ``'`` if it is text a spreadsheet would run as a formula; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _escape(m: re.Match) -> str:
    c = ord(m.group(0))
    return f"\\x{c:02x}" if c < 0x100 else f"\\u{c:04x}"


def escape_control(text: str, *, keep_newlines: bool = True) -> str:
    """``text`` with control characters as visible escapes (newline and tab kept when ``keep_newlines``)."""
    return (_CONTROL if keep_newlines else _CONTROL_ALL).sub(_escape, str(text))


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text cells (and column names) cannot run as formulas."""
    out = df.copy()
    out.columns = [neutralize_formula(str(c)) for c in out.columns]
    for c in out.columns:
        col = out[c]
        if isinstance(col.dtype, pd.StringDtype):  # text only: prefix just the cells that start a formula
            hit = col.str.startswith(FORMULA_START).fillna(False).to_numpy(dtype=bool)
            if hit.any():
                out[c] = col.where(~hit, "'" + col)
        elif col.dtype == object or pd.api.types.is_string_dtype(col.dtype):
            vals = col.tolist()
            if set(map(type, vals)) <= {str, type(None)}:  # text and blanks: rewritten only when a cell would run
                if any(v is not None and v.startswith(FORMULA_START) for v in vals):
                    out[c] = pd.Series([neutralize_formula(v) for v in vals], index=col.index, dtype=object)
            else:  # mixed values: as before, mapped (pandas infers the column's type again, e.g. ints and blanks)
                out[c] = col.map(neutralize_formula)
    return out


def frame_to_csv(df: pd.DataFrame) -> str:
    """The one CSV writer for outputs: formula-safe cells, ``\\n`` line ends, no index."""
    return safe_frame(df).to_csv(index=False, lineterminator="\n")


__all__ = ["neutralize_formula", "escape_control", "safe_frame", "frame_to_csv", "FORMULA_START"]
