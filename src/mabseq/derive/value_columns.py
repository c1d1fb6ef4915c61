"""Records held by column: many patients' values (dicts, or tuples under fixed names), compact and exact, for the
way back from the worker processes (derive/parallel.py) and the datasets assembled from them (derive/cohort.py).

Why by hand: pandas builds a frame from records by inferring each column's dtype from the Python types the column
holds, so frames built from chunks of the records need not concatenate to the frame of all of them (a column all
None in one chunk is ``object``, with numbers in another ``float64``). Here a chunk's column keeps the kinds of
value it holds (:func:`kind_of`), and the frame of several chunks (:func:`frame`) is built from the union of their
kinds by the rule pandas applies to records (``pd.DataFrame(list_of_dicts)``; tests/test_value_columns.py checks
the rule against pandas on generated records split at random). A kind outside the rule's table (a Timestamp, a
tuple, an int beyond int64) falls back to pandas itself on the values, so the rule never guesses.

The values themselves come back exactly, type and value (:class:`RowView`, :meth:`Columns.rows`): ints, floats,
bools, text, dates and None are stored as typed arrays (a date as its ordinal, text as codes into its distinct
values); anything else as the objects.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa


class _Absent:
    """A key a record does not have (pandas reads it as NaN, not None)."""
    __slots__ = ()

    def __repr__(self) -> str:
        return "ABSENT"

    def __reduce__(self):
        return "ABSENT"  # pickled as this module's ABSENT: one marker in every process


ABSENT = _Absent()
_NONE, _GONE = 1, 2  # missing codes: None, absent
_I64 = (-(2 ** 63), 2 ** 63)
_TYPED = ("int", "float", "bool", "str", "date")


def kind_of(v) -> str:
    """The kind of a value as pandas' inference sees it; exact types only (a numpy float or a datetime is
    'other', kept as the object itself)."""
    t = type(v)
    if v is None:
        return "none"
    if v is ABSENT:
        return "absent"
    if t is int:
        return "int" if _I64[0] <= v < _I64[1] else "other"
    if t is float:
        return "float"
    if t is bool:
        return "bool"
    if t is str:
        return "str"
    if t is dt.date:
        return "date"
    return "other"


_KIND = {type(None): "none", _Absent: "absent", int: "int", float: "float", bool: "bool", str: "str", dt.date: "date"}


def _kinds_of(values: list) -> frozenset:
    """{kind_of(v) for v in values}, by the values' types (one pass in C) rather than a call a value."""
    types = set(map(type, values))
    kinds = {_KIND.get(t, "other") for t in types}
    if int in types:
        ints = values if len(types) == 1 else [v for v in values if type(v) is int]
        if min(ints) < _I64[0] or max(ints) >= _I64[1]:
            kinds.add("other")  # beyond int64: pandas' own path (kind_of says 'other' for those values)
            if all(not _I64[0] <= v < _I64[1] for v in ints):
                kinds.discard("int")
    return frozenset(kinds)


class Column:
    """One column of a chunk: ``kinds`` (frozenset of :func:`kind_of`), ``missing`` (int8 a row: 0 a value, 1 None,
    2 absent; None when every row has a value) and the values: when the rows hold one typed kind, a typed array a
    row (``data``, a filler where a value is missing; text as codes into ``cats``, a date as its ordinal), else the
    objects."""

    __slots__ = ("kinds", "missing", "kind", "data", "cats", "objs", "n")

    def __init__(self, values: list):
        self.n = len(values)
        self.kinds = _kinds_of(values)
        present = self.kinds - {"none", "absent"}
        self.missing = None
        if self.kinds & {"none", "absent"}:
            self.missing = np.array([_NONE if v is None else _GONE if v is ABSENT else 0 for v in values],
                                    dtype=np.int8)
        self.data = self.cats = self.objs = None
        self.kind = next(iter(present)) if len(present) == 1 and present <= set(_TYPED) else "objects"
        if self.kind == "objects":
            self.objs = list(values)
            return
        vals = values if self.missing is None else [_FILL[self.kind] if v is None or v is ABSENT else v
                                                    for v in values]
        if self.kind == "str":
            codes, cats = pd.factorize(np.array(vals, dtype=object), use_na_sentinel=False)
            self.cats = [str(c) for c in cats]
            self.data = codes.astype(np.int32)
        elif self.kind == "date":
            self.data = np.array([d.toordinal() for d in vals], dtype=np.int64)
        else:
            self.data = np.array(vals, dtype=_DTYPE[self.kind])

    def objects(self, start: int = 0, stop: int | None = None) -> list:
        """Rows ``start:stop``'s values as the records held them (ABSENT where one had no such key)."""
        k, part = self.kind, slice(start, self.n if stop is None else stop)
        if k == "objects" or self.objs is not None:
            return self.objs[part]
        if k == "str":
            cats = self.cats
            out = [cats[c] for c in self.data[part].tolist()]
        elif k == "date":
            out = [dt.date.fromordinal(o) for o in self.data[part].tolist()]
        else:
            out = self.data[part].tolist()  # Python int, float, bool
        if self.missing is not None:
            miss = self.missing[part]
            for i in np.flatnonzero(miss).tolist():
                out[i] = None if miss[i] == _NONE else ABSENT
        return out

    def take(self, idx: np.ndarray) -> "Column":
        """The rows ``idx``, their kinds counted again (a subset can hold fewer)."""
        if self.kind == "objects":
            return Column([self.objs[i] for i in idx.tolist()])
        out = Column.__new__(Column)
        out.n, out.kind, out.cats, out.objs = len(idx), self.kind, self.cats, None
        out.data = self.data[idx]
        out.missing = None if self.missing is None else self.missing[idx]
        kinds = set()
        if out.missing is None or (out.missing == 0).any():
            kinds.add(self.kind)
        if out.missing is not None:
            kinds |= {"none"} if (out.missing == _NONE).any() else set()
            kinds |= {"absent"} if (out.missing == _GONE).any() else set()
            if not kinds & {"none", "absent"}:
                out.missing = None
        out.kinds = frozenset(kinds)
        return out


_DTYPE = {"int": np.int64, "float": np.float64, "bool": np.bool_}
_PY = {"int": int, "float": float, "bool": bool}
_FILL = {"int": 0, "float": 0.0, "bool": False, "str": "", "date": dt.date(1, 1, 1)}


class Columns:
    """A chunk of records by column: a :class:`Column` a key, ``n`` rows, and each row's shape (the keys it has, in
    its own order: ``shapes[shape_of[i]]``), so that a row reads back as the dict it was and a frame of any rows
    has pandas' column order (each key where it first appears)."""

    __slots__ = ("names", "cols", "n", "shapes", "shape_of")

    def __init__(self, cols: dict[str, Column], n: int, shapes: list[tuple], shape_of: np.ndarray):
        self.cols, self.n, self.shapes, self.shape_of = cols, n, shapes, shape_of
        self.names = tuple(_first_seen(shapes, shape_of))

    @classmethod
    def from_dicts(cls, records: list[Mapping]) -> "Columns":
        shape_ids: dict[tuple, int] = {}
        of = np.array([shape_ids.setdefault(tuple(r), len(shape_ids)) for r in records], dtype=np.int32)
        shapes = list(shape_ids)
        if len(shapes) == 1:
            keys = shapes[0]
            lists = [list(c) for c in zip(*(r.values() for r in records))] or [[] for _ in keys]
        else:
            keys = _first_seen(shapes, of)
            lists = [[r.get(k, ABSENT) for r in records] for k in keys]
        return cls({k: Column(v) for k, v in zip(keys, lists)}, len(records), shapes, of)

    @classmethod
    def from_tuples(cls, names: Sequence[str], rows: list[tuple]) -> "Columns":
        lists = [list(c) for c in zip(*rows)] or [[] for _ in names]
        return cls({k: Column(v) for k, v in zip(names, lists)}, len(rows), [tuple(names)],
                   np.zeros(len(rows), dtype=np.int32))

    def column(self, name: str) -> list:
        """``name``'s values, ABSENT for every row when the chunk has no such key."""
        c = self.cols.get(name)
        return [ABSENT] * self.n if c is None else c.objects()

    def row(self, i: int) -> "RowView":
        return RowView(self, i)

    def rows(self, start: int = 0, stop: int | None = None) -> list[dict]:
        """Rows ``start:stop`` as the dicts they were."""
        stop = self.n if stop is None else stop
        vals = {k: c.objects(start, stop) for k, c in self.cols.items()}
        return [{k: vals[k][i] for k in self.shapes[s]} for i, s in enumerate(self.shape_of[start:stop].tolist())]

    def take(self, idx) -> "Columns":
        """The rows ``idx`` (in that order) as a chunk of their own."""
        idx = np.asarray(idx, dtype=np.int64)
        if len(idx) == self.n and (idx == np.arange(self.n)).all():
            return self
        of = self.shape_of[idx]
        keys = _first_seen(self.shapes, of)
        return Columns({k: self.cols[k].take(idx) for k in keys}, len(idx), self.shapes, of)


def _first_seen(shapes: list[tuple], shape_of: np.ndarray) -> list[str]:
    """The keys of the rows in the order each first appears (pandas' column order for records)."""
    if len(shapes) == 1:
        return list(shapes[0]) if len(shape_of) else []
    ids, first = np.unique(shape_of, return_index=True)
    names: dict[str, None] = {}
    for s in ids[np.argsort(first)].tolist():
        names.update(dict.fromkeys(shapes[s]))
    return list(names)


class RowView(Mapping):
    """One record of a :class:`Columns`, read-only, its keys in their order and its values as the record held
    them (a patient's derived values on the way back from a worker: one small object instead of a dict of 130
    entries)."""

    __slots__ = ("_c", "_i")

    def __init__(self, cols: Columns, i: int):
        self._c, self._i = cols, i

    def __getitem__(self, key: str):
        v = self.get(key, ABSENT)
        if v is ABSENT:
            raise KeyError(key)
        return v

    def get(self, key: str, default=None):
        c = self._c.cols.get(key)
        if c is None:
            return default
        objs = c.objs  # the column decoded whole once, and kept: a re-derivation reads a dozen values a patient
        if objs is None:
            objs = c.objs = c.objects()
        v = objs[self._i]
        return default if v is ABSENT else v

    def __contains__(self, key) -> bool:
        return key in self._keys()

    def _keys(self) -> tuple:
        return self._c.shapes[self._c.shape_of[self._i]]

    def __iter__(self):
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __repr__(self) -> str:
        return repr(dict(self))


# the frame of several chunks --------------------------------------------------------------------------------------
def _kinds(parts: list[Columns], name: str) -> set[str]:
    kinds: set[str] = set()
    for p in parts:
        c = p.cols.get(name)
        kinds |= {"absent"} if c is None else c.kinds
    return kinds


def _series(parts: list[Columns], name: str, n: int) -> pd.Series:
    """``name``'s column of all the parts' rows, with the dtype and values pandas gives their records."""
    kinds = _kinds(parts, name)
    present = kinds - {"none", "absent"}
    cols = [p.cols.get(name) for p in parts]
    if kinds == {"int"} or kinds == {"bool"}:  # every row a value of the one kind
        return pd.Series(np.concatenate([c.data for c in cols]), name=name)
    if (present and present <= {"int", "float"}) or kinds == {"none", "absent"}:  # numbers and NaN
        out = []
        for p, c in zip(parts, cols):
            if c is None:
                out.append(np.full(p.n, np.nan))
            elif c.kind in ("int", "float"):
                v = c.data.astype(np.float64)
                if c.missing is not None:
                    v[c.missing != 0] = np.nan
                out.append(v)
            else:  # mixed ints and floats, or no value at all: the objects
                out.append(np.array([np.nan if v is None or v is ABSENT else float(v) for v in c.objects()],
                                    dtype=np.float64))
        return pd.Series(np.concatenate(out), name=name)
    if present == {"str"}:
        return pd.Series(_text(parts, cols), name=name)
    if kinds == {"none"} or (present and "other" not in present):  # dates, bools with a gap, mixed kinds
        arr = np.empty(n, dtype=object)
        arr[:] = [np.nan if v is ABSENT else v for p in parts for v in p.column(name)]
        return pd.Series(arr, name=name)
    # anything else (a Timestamp, a tuple, an int beyond int64): pandas itself on this key's records
    recs = [{} if v is ABSENT else {name: v} for p in parts for v in p.column(name)]
    return pd.DataFrame(recs, columns=[name])[name]


_STR = pd.DataFrame([{"a": "x"}])["a"].dtype  # the dtype pandas infers for text (pandas 3: str, Arrow-backed)


def _text(parts: list[Columns], cols: list[Column | None]):
    """A text column (text and missing values only) as pandas' text array: a chunk's codes decoded by Arrow, no
    Python string a row."""
    chunks = []
    for p, c in zip(parts, cols):
        if c is None or c.kind != "str":  # absent, or None in every row
            chunks.append(pa.nulls(p.n, pa.large_string()))
        else:
            mask = None if c.missing is None else c.missing != 0
            chunks.append(pa.DictionaryArray.from_arrays(pa.array(c.data, mask=mask),
                                                         pa.array(c.cats, pa.large_string())).dictionary_decode())
    return _STR.construct_array_type()._from_sequence(pa.concat_arrays(chunks), dtype=_STR)


def frame(parts: list[Columns], columns: Sequence[str] | None = None) -> pd.DataFrame:
    """The frame ``pd.DataFrame(records)`` gives for all the parts' records in order; with ``columns``, the frame
    ``pd.DataFrame(rows, columns=columns)`` gives for tuples under those names."""
    parts = [p for p in parts if p.n]
    n = sum(p.n for p in parts)
    if columns is not None:
        names = list(columns)
    else:
        names = _first_seen([s for p in parts for s in p.shapes],
                            np.concatenate([p.shape_of + sum(len(q.shapes) for q in parts[:j])
                                            for j, p in enumerate(parts)]) if parts else np.zeros(0, np.int32))
    if n == 0:
        return pd.DataFrame([], columns=names) if columns is not None else pd.DataFrame([])
    return pd.DataFrame({k: _series(parts, k, n) for k in names}, columns=names, index=pd.RangeIndex(n))


class RowsView(Sequence):
    """Rows ``start:stop`` of a :class:`Columns` (one patient's time-to-event, timeline or unknown rows on the way
    back from a worker), read as dicts (less the keys in ``hide``), or as tuples of the columns' values with
    ``as_tuples``."""

    __slots__ = ("cols", "start", "stop", "as_tuples", "hide")

    def __init__(self, cols: Columns, start: int, stop: int, as_tuples: bool = False, hide: tuple = ()):
        self.cols, self.start, self.stop, self.as_tuples, self.hide = cols, start, stop, as_tuples, hide

    def _all(self) -> list:
        rows = self.cols.rows(self.start, self.stop)
        if self.as_tuples:
            return [tuple(r.values()) for r in rows]
        return [{k: v for k, v in r.items() if k not in self.hide} for r in rows] if self.hide else rows

    def __getitem__(self, i):
        return self._all()[i]

    def __len__(self) -> int:
        return self.stop - self.start

    def __iter__(self):
        return iter(self._all())


class Collector:
    """Records gathered in order, from views into chunks (:class:`RowView`, :class:`RowsView`) and as plain
    records (dicts, or tuples under ``names``), into one frame (:func:`frame`); ``ids`` the patient of each row.

    The rows of one chunk become one piece however they interleave with others (a sensitivity analysis's
    patients are every other patient of a chunk, beside patients derived again): pieces by source, one frame of
    them, then the rows put back in the order they came. Row order changes no column's dtype (that is the union
    of the kinds), and the column order is the one the rows in their order give."""

    def __init__(self, names: Sequence[str] | None = None):
        self.names = names
        self._number_of: dict[int, int] = {}  # id(source) -> its number, the index in _sources
        self._sources: list = []  # each chunk read from, and the list of plain records
        self._src: list[np.ndarray] = []  # each added block's source number, local rows
        self._local: list[np.ndarray] = []
        self._plain: list = []
        self.ids: list = []

    def _number(self, source) -> int:
        k = self._number_of.get(id(source))
        if k is None:
            k = self._number_of[id(source)] = len(self._sources)
            self._sources.append(source)
        return k

    def view(self, cols: Columns, start: int, stop: int, pid) -> None:
        if stop <= start:
            return
        k = self._number(cols)
        self._src.append(np.full(stop - start, k, np.int64))
        self._local.append(np.arange(start, stop, dtype=np.int64))
        self.ids.extend([pid] * (stop - start))

    def records(self, recs: list, pid) -> None:
        if not recs:
            return
        k = self._number(self._plain)
        self._src.append(np.full(len(recs), k, np.int64))
        self._local.append(np.arange(len(self._plain), len(self._plain) + len(recs), dtype=np.int64))
        self._plain.extend(recs)
        self.ids.extend([pid] * len(recs))

    def add(self, rows, pid) -> None:
        """A patient's rows: a view or a list of plain records."""
        if isinstance(rows, RowsView):
            self.view(rows.cols, rows.start, rows.stop, pid)
        elif isinstance(rows, RowView):
            self.view(rows._c, rows._i, rows._i + 1, pid)
        else:
            self.records(rows, pid)

    def frame(self) -> pd.DataFrame:
        if not self._src:
            return frame([], self.names)
        src, local = np.concatenate(self._src), np.concatenate(self._local)
        plain = None
        if self._plain:
            plain = (Columns.from_dicts(self._plain) if self.names is None else
                     Columns.from_tuples(self.names, self._plain))
        parts, firsts = [], []
        order = np.argsort(src, kind="stable")  # rows grouped by source, each source's rows in their order
        bounds = np.flatnonzero(np.diff(src[order])) + 1
        for rows in np.split(order, bounds):
            source = self._sources[int(src[rows[0]])]
            cols = plain if source is self._plain else source
            parts.append(cols.take(local[rows]))
            firsts.append(rows)
        if self.names is not None:
            names = list(self.names)
        else:  # each key where it first appears among the rows in their order
            shapes = [sh for p in parts for sh in p.shapes]
            offset = np.cumsum([0] + [len(p.shapes) for p in parts[:-1]])
            of = np.empty(len(src), dtype=np.int64)
            for p, rows, off in zip(parts, firsts, offset):
                of[rows] = p.shape_of + off
            names = _first_seen(shapes, of)
        out = frame(parts, names)
        if (order != np.arange(len(order))).any():  # back to the order the rows came in
            out = out.iloc[np.argsort(order, kind="stable")].reset_index(drop=True)
        return out
