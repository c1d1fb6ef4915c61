"""Records by column (derive/value_columns.py) against pandas itself: the frame of records split into chunks at
random is the frame ``pd.DataFrame(records)`` gives for all of them, dtype and values; every row reads back as
the dict it was, type and value; a subset taken from a chunk is the frame of those records."""
from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from mabseq.derive.value_columns import ABSENT, Columns, frame, kind_of

SETTINGS = settings(max_examples=300, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

# every kind a derived value can be, and some it never is (they take pandas' own path)
VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.integers(-(2 ** 64), 2 ** 64),
    st.floats(allow_infinity=False), st.sampled_from(["cr", "nr", "", "blina;ino"]),
    st.dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)),
    st.sampled_from([dt.datetime(2020, 1, 2), (1, 2), np.float64(1.5), pd.Timestamp("2021-03-04")]),
)
KEYS = ["a", "b", "c", "d"]


@st.composite
def records_and_cuts(draw):
    # a few columns each of one or two kinds, as derived values are; a key left out of some records
    kinds = {k: draw(st.lists(VALUES, min_size=1, max_size=3)) for k in KEYS}
    n = draw(st.integers(0, 12))
    recs = []
    for _ in range(n):
        keys = draw(st.permutations(KEYS)) if draw(st.booleans()) else KEYS
        recs.append({k: draw(st.sampled_from(kinds[k])) for k in keys if draw(st.integers(0, 5))})
    cuts = sorted(draw(st.lists(st.integers(0, n), max_size=4)))
    return recs, cuts


def _pieces(recs, cuts):
    bounds = [0, *cuts, len(recs)]
    return [recs[a:b] for a, b in zip(bounds, bounds[1:])]


def _same_value(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, float) and math.isnan(a):
        return math.isnan(b)
    return bool(a == b) if not isinstance(a, tuple) else a == b


@SETTINGS
@given(records_and_cuts())
def test_frame_of_chunks_is_pandas_frame_of_all_records(rc):
    recs, cuts = rc
    parts = [Columns.from_dicts(p) for p in _pieces(recs, cuts)]
    want = pd.DataFrame(recs)
    got = frame(parts)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    # every row back as the dict it was: keys in its order, each value's type and value
    back = [dict(p.row(i)) for p in parts for i in range(p.n)]
    assert [list(r) for r in back] == [list(r) for r in recs]
    for b, r in zip(back, recs):
        assert all(_same_value(b[k], r[k]) for k in r), (b, r)
    assert [r for p in parts for r in p.rows()] == back or all(
        all(_same_value(x[k], y[k]) for k in y) for x, y in zip([r for p in parts for r in p.rows()], back))


@SETTINGS
@given(records_and_cuts(), st.randoms(use_true_random=False))
def test_rows_taken_from_a_chunk_are_the_frame_of_those_records(rc, rnd):
    recs, _ = rc
    idx = sorted(rnd.sample(range(len(recs)), rnd.randint(0, len(recs))))
    part = Columns.from_dicts(recs).take(idx)
    pd.testing.assert_frame_equal(frame([part]), pd.DataFrame([recs[i] for i in idx]), check_exact=True)


@SETTINGS
@given(st.lists(st.tuples(VALUES, VALUES), max_size=10), st.integers(0, 10))
def test_tuples_under_fixed_names(rows, cut):
    names = ("x", "y")
    parts = [Columns.from_tuples(names, rows[:cut]), Columns.from_tuples(names, rows[cut:])]
    pd.testing.assert_frame_equal(frame(parts, names), pd.DataFrame(rows, columns=list(names)), check_exact=True)


def test_byhand_a_column_none_in_one_chunk_and_numbers_in_another():
    # chunk 1: days None (object alone), chunk 2: days 3 (int64 alone); together pandas gives float64 [nan, 3.0]
    one, two = Columns.from_dicts([{"days": None}]), Columns.from_dicts([{"days": 3}])
    assert pd.DataFrame([{"days": None}])["days"].dtype == object
    got = frame([one, two])["days"]
    assert got.dtype == np.float64 and math.isnan(got[0]) and got[1] == 3.0
    assert kind_of(ABSENT) == "absent" and kind_of(2 ** 63) == "other" and kind_of(True) == "bool"


@pytest.mark.parametrize("recs", [[], [{}], [{"a": 1}, {}]])
def test_edges(recs):
    pd.testing.assert_frame_equal(frame([Columns.from_dicts(recs)]), pd.DataFrame(recs))


@SETTINGS
@given(records_and_cuts(), records_and_cuts(), st.randoms(use_true_random=False))
def test_rows_gathered_from_interleaved_chunks_are_the_frame_of_those_records(a, b, rnd):
    """Collector (the assembly's): rows of two chunks, in any interleaving, some skipped, with plain records
    between them (a sensitivity analysis's patients beside patients derived again), give the frame pandas gives
    those records in that order."""
    from mabseq.derive.value_columns import Collector, RowView
    one, two = Columns.from_dicts(a[0]), Columns.from_dicts(b[0])
    picks = [(one, i, r) for i, r in enumerate(a[0])] + [(two, i, r) for i, r in enumerate(b[0])]
    rnd.shuffle(picks)
    got, want = Collector(), []
    for cols, i, rec in picks:
        if rnd.random() < 0.3:
            continue
        if rnd.random() < 0.3:
            got.records([rec], "p")  # a record derived again, held as a dict
        else:
            got.add(RowView(cols, i), "p")
        want.append(rec)
    pd.testing.assert_frame_equal(got.frame(), pd.DataFrame(want), check_exact=True)
    assert got.ids == ["p"] * len(want)
