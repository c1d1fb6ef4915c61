"""A population filter or a variable of the analysis dataset as an R expression on the columns of ``adsl.csv``, so
that the generated R check (``rscript.py``) forms every group and every variable in R itself, from the definition,
not from mabseq's list of patients.

A preset writes its filters as plain pandas functions (``lambda f: f["tx"] == True``). :func:`r_expr` calls such a
function once on a *symbolic* frame: each ``f[col]`` is a :class:`RCol` whose operators build the R text instead of
computing, with pandas' treatment of missing values made explicit (R's ``NA`` propagates where pandas' ``NaN``
gives False):

=========================  ===========================  ============================================
pandas                     missing value gives          R (helpers defined in the generated script)
=========================  ===========================  ============================================
``x == v``                 False                        ``.eq(x, v)``  (``!is.na(x) & x == v``)
``x != v``                 True                         ``!.eq(x, v)``
``x > v`` (<, >=, <=)      False                        ``.cmp(x, v, ">")``
``x.notna()``/``isna()``   -                            ``!is.na(x)`` / ``is.na(x)``
``x.isin([a, b])``         False                        ``.isin(x, c(a, b))``
``a & b``, ``a | b``, ``~a``  (no missing left)         ``(a & b)``, ``(a | b)``, ``(!a)``
``x + y`` (-, *, /)        NaN                          ``(x + y)`` (NA)
=========================  ===========================  ============================================

``x.apply(fn)`` is translated only on a comparison (no missing value): ``ifelse(x, fn(True), fn(False))``;
``f.get(col, default)`` is the column. Anything else (``.str``, numpy calls, a series computed beside the frame
...) has no translation: :func:`r_expr` returns an R comment, ``# no R translation: <why>``, and the R check lists
the records that depend on it as not recomputed, with that reason (never a silent skip).

Written by hand: a few operators over the project's own filters; no library turns pandas lambdas into R.
"""
from __future__ import annotations

import math
from typing import Callable

import pandas as pd

from ..derive.categories import R_DEFINITIONS
from .release import day_name, is_date_column

__all__ = ["RCol", "r_expr", "r_literal", "r_and", "UNTRANSLATABLE", "untranslatable"]

UNTRANSLATABLE = "# no R translation: "  # how r_expr's answer starts for a filter it cannot write in R


def untranslatable(expr: str | None) -> str:
    """Why ``expr`` is no R expression ('' when it is one)."""
    if expr is None:
        return "no definition"
    return expr[len(UNTRANSLATABLE):] if expr.startswith(UNTRANSLATABLE) else ""


class _NoTranslation(Exception):
    pass


def r_literal(v) -> str:
    """A Python scalar as an R literal (strings double-quoted with escapes; None and NaN as NA)."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "NA"
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return "TRUE" if bool(v) else "FALSE"
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, (int, float)) or hasattr(v, "item"):
        x = v.item() if hasattr(v, "item") else v
        if isinstance(x, bool):
            return "TRUE" if x else "FALSE"
        if isinstance(x, (int, float)) and math.isfinite(x):
            return repr(x)
    raise _NoTranslation(f"no R literal for {type(v).__name__}")


def _operand(v) -> str:
    return v.r if isinstance(v, RCol) else r_literal(v)


class RCol:
    """A symbolic column (or logical vector) of ``adsl``: its R text in ``r``; ``logical`` when it has no NA."""

    def __init__(self, r: str, logical: bool = False):
        self.r, self.logical = r, logical

    # comparisons: missing gives False (True for !=), as in pandas
    def __eq__(self, v):  # type: ignore[override]
        return RCol(f".eq({self.r}, {_operand(v)})", True)

    def __ne__(self, v):  # type: ignore[override]
        return RCol(f"(!.eq({self.r}, {_operand(v)}))", True)

    def _cmp(self, v, op):
        return RCol(f'.cmp({self.r}, {_operand(v)}, "{op}")', True)

    def __gt__(self, v):
        return self._cmp(v, ">")

    def __ge__(self, v):
        return self._cmp(v, ">=")

    def __lt__(self, v):
        return self._cmp(v, "<")

    def __le__(self, v):
        return self._cmp(v, "<=")

    def notna(self):
        return RCol(f"(!is.na({self.r}))", True)

    notnull = notna

    def isna(self):
        return RCol(f"is.na({self.r})", True)

    isnull = isna

    def isin(self, values):
        return RCol(f".isin({self.r}, c({', '.join(r_literal(v) for v in values)}))", True)

    # logic: both sides must be NA-free logical vectors (comparisons), as pandas' & | ~ on boolean masks
    def _logic(self, other, op):
        if not (isinstance(other, RCol) and self.logical and other.logical):
            raise _NoTranslation("& | ~ on a value that is not a comparison")
        return RCol(f"({self.r} {op} {other.r})", True)

    def __and__(self, other):
        return self._logic(other, "&")

    def __or__(self, other):
        return self._logic(other, "|")

    def __invert__(self):
        if not self.logical:
            raise _NoTranslation("~ on a value that is not a comparison")
        return RCol(f"(!{self.r})", True)

    # arithmetic: NaN and NA both propagate
    def _arith(self, v, op, reverse=False):
        a, b = (_operand(v), self.r) if reverse else (self.r, _operand(v))
        return RCol(f"({a} {op} {b})")

    def __add__(self, v):
        return self._arith(v, "+")

    def __radd__(self, v):
        return self._arith(v, "+", True)

    def __sub__(self, v):
        return self._arith(v, "-")

    def __rsub__(self, v):
        return self._arith(v, "-", True)

    def __mul__(self, v):
        return self._arith(v, "*")

    def __rmul__(self, v):
        return self._arith(v, "*", True)

    def __truediv__(self, v):
        return self._arith(v, "/")

    def __rtruediv__(self, v):
        return self._arith(v, "/", True)

    def apply(self, fn, *args, **kwargs):
        if not self.logical or args or kwargs:
            raise _NoTranslation(".apply of a function on a value that is not a comparison")
        return RCol(f"ifelse({self.r}, {r_literal(fn(True))}, {r_literal(fn(False))})")

    def __bool__(self):  # `if f["x"] ...` or `a and b` cannot be written symbolically
        raise _NoTranslation("a column used as a Python truth value")

    def __hash__(self):
        return hash(self.r)

    def __getattr__(self, name):
        raise _NoTranslation(f"no R translation of .{name}")


class _RFrame:
    """The symbolic ``adsl``: ``f["col"]`` is the column ``col`` of adsl.csv (backquoted, so any name is a valid R
    symbol). Given the analysis dataset ``frame``, a date column is its released ``*_day`` column (days from mAb1,
    results/release.py): its missing values and its order against another date are the same."""

    def __init__(self, frame=None):
        self.frame = frame

    def __getitem__(self, col):
        if not isinstance(col, str):
            raise _NoTranslation("a column selected by something other than its name")
        if col in R_DEFINITIONS:  # a derived category: derived again in R from the inputs adsl.csv releases
            return RCol(f"({R_DEFINITIONS[col]})")
        if self.frame is not None and col in self.frame.columns and is_date_column(self.frame, col):
            col = day_name(col)
        return RCol("`" + col.replace("`", "") + "`")

    def get(self, col, default=None):
        return self[col]

    @property
    def index(self):
        # empty: a default built on it (f.get(col, pd.Series(False, index=f.index))) is never used, and a series
        # computed beside the frame and selected by it comes out as a pandas object, which r_expr refuses
        return pd.RangeIndex(0)

    def __getattr__(self, name):
        raise _NoTranslation(f"no R translation of frame.{name}")


def r_expr(filter_or_column: str | Callable | None, *, logical: bool = False, frame=None) -> str | None:
    """The R expression of a column name or a pandas filter function (None when it has no translation). With
    ``logical``, a result that is not a comparison is read as the builder's truth rule (``_truth``: missing is
    False, otherwise Python's ``bool``), written ``.truth(x)``. ``frame`` (the analysis dataset the filter is
    meant for) tells which columns hold dates."""
    if filter_or_column is None:
        return None
    try:
        if isinstance(filter_or_column, str):
            out = _RFrame(frame)[filter_or_column]
        elif callable(filter_or_column):
            out = filter_or_column(_RFrame(frame))
        else:
            return UNTRANSLATABLE + "a mask of values, not a filter function"
    except _NoTranslation as e:
        return UNTRANSLATABLE + str(e)
    except (TypeError, KeyError, AttributeError, ValueError) as e:
        return UNTRANSLATABLE + f"{type(e).__name__} on the symbolic frame"
    if not isinstance(out, RCol):
        return UNTRANSLATABLE + f"a {type(out).__name__} computed beside the frame, not from the columns of adsl"
    return f".truth({out.r})" if logical and not out.logical else out.r


def r_and(a: str | None, b: str | None) -> str | None:
    """Both filters (the first reason when either has no translation); ``TRUE`` is the whole dataset."""
    for x in (a, b):
        if x is None or untranslatable(x):
            return x
    if a == "TRUE":
        return b
    if b == "TRUE":
        return a
    return f"({a} & {b})"
