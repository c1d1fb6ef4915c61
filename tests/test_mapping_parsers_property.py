"""Property tests: the SQL number and date parsers (mabseq.mapping.parsers, run by DuckDB) agree with the plain
Python reference (mabseq.mapping.reference, written separately) on generated cells; plus hand-worked cases."""
from __future__ import annotations

import datetime as dt

import duckdb
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from mabseq.mapping import reference
from mabseq.mapping.parsers import date_sql, ident, number_sql
from mabseq.mapping.spec import NumberSpec

CON = duckdb.connect()


def sql_numbers(cells, spec, unit, dec="."):
    prep, value, rule = number_sql('"x"', spec, unit, dec, "c")
    CON.register("t", pa.table({"i": list(range(len(cells))), "x": cells}))
    p = ", ".join(f"{e} AS {ident(n)}" for n, e in prep)
    got = CON.execute(f"SELECT {value}, {rule} FROM (SELECT *, {p} FROM t) ORDER BY i").fetchall()
    CON.unregister("t")
    return [(v, r != "!parse") for v, r in got]


def sql_dates(cells, formats):
    CON.register("t", pa.table({"i": list(range(len(cells))), "x": cells}))
    got = CON.execute(f"SELECT strftime({date_sql('x', formats)}, '%Y-%m-%d'), trim(coalesce(x, '')) FROM t "
                      "ORDER BY i").fetchall()
    CON.unregister("t")
    out = []
    for v, raw in got:
        empty = raw.strip(" \t\n\r\f\v\u00a0") == "" if raw is not None else True
        out.append((v, v is not None or empty))
    return out


# ---- hand-worked cases (the oracle is the arithmetic written here) -------------------------------------------------
MRD = NumberSpec(unit="percent", below="limit", negative=("not detected", "neg"), missing=("failed sample",))
CASES = [
    # cell, spec, schema unit, expected value, readable
    ("12 %", NumberSpec(), "%", 12.0, True),
    ("0.005%", MRD, "fraction", 0.005 / 100.0, True),
    ("<0.01 %", MRD, "fraction", 0.01 / 100.0, True),
    ("not detected", MRD, "fraction", 0.0, True),
    ("Failed  sample", MRD, "fraction", None, True),
    ("3/100", NumberSpec(), "%", 3.0 / 100.0 * 100.0, True),
    ("approx 40", NumberSpec(approx="value"), "%", 40.0, True),
    ("approx 40", NumberSpec(), "%", None, False),          # a qualifier without a rule is an error
    (">95", NumberSpec(above="limit"), "%", 95.0, True),
    ("<5", NumberSpec(below="half"), "%", 2.5, True),
    ("<5", NumberSpec(below="zero"), "%", 0.0, True),
    ("<5", NumberSpec(below="missing"), "%", None, True),
    ("3 (stopped early)", NumberSpec(leading=True), "cycles", 3.0, True),
    ("3 (stopped early)", NumberSpec(), "cycles", None, False),
    ("1,5", NumberSpec(decimal=","), "x10^9/L", 1.5, True),
    ("12%", NumberSpec(), "x10^9/L", None, False),          # a % sign on a count column
    ("1/0", NumberSpec(), "fraction", None, False),
    ("0.12", NumberSpec(unit="fraction"), "%", 0.12 * 100.0, True),
    ("", NumberSpec(), "%", None, True),
    ("twelve", NumberSpec(), "%", None, False),
    ("1e-05", NumberSpec(), "fraction", 0.00001, True),      # an Excel number's shortest text
    ("2.5E+3", NumberSpec(), "x10^9/L", 2500.0, True),
    ("1e", NumberSpec(), "x10^9/L", None, False),
    ("12%5", NumberSpec(), "%", None, False),               # a % sign only at the end
    ("12 %%", NumberSpec(), "%", None, False),
]


@pytest.mark.parametrize("cell,spec,unit,value,ok", CASES)
def test_number_hand_worked(cell, spec, unit, value, ok):
    assert sql_numbers([cell], spec, unit) == [(value, ok)]
    assert reference.parse_number(cell, spec, unit) == (value, ok)


def test_dates_hand_worked():
    fm = ("%d/%m/%Y", "%d %b %Y", "%Y-%m-%d")
    cells = ["1/2/2020", "01/02/2020", "3 JAN 2021", " 2020-12-31 ", "31/04/2020", "2020-1-1", "20-01-01", "", "x"]
    want = [("2020-02-01", True), ("2020-02-01", True), ("2021-01-03", True), ("2020-12-31", True), (None, False),
            ("2020-01-01", True), (None, False), (None, True), (None, False)]
    assert sql_dates(cells, fm) == want
    assert [reference.parse_date(c, fm) for c in cells] == want


# ---- generated cells -----------------------------------------------------------------------------------------------
digits = st.text("0123456789", min_size=1, max_size=4)
number_text = st.one_of(
    st.builds(lambda s, a, b: s + a + b, st.sampled_from(["", "+", "-"]), digits,
              st.one_of(st.just(""), st.builds(lambda d: "." + d, st.one_of(st.just(""), digits))))
    .flatmap(lambda n: st.sampled_from([n, n + "e-5", n + "E+02", n + "e"])),
    st.builds(lambda d: "." + d, digits))
cell = st.one_of(
    st.builds(lambda q, sp, n, frac, pct, lead, tail: q + sp + n + frac + pct + lead + tail,
              st.sampled_from(["", "<", "<=", ">", ">=", "~", "approx", "approx.", "ca.", "about", "≤", "Approx"]),
              st.sampled_from(["", " ", "  "]), number_text,
              st.one_of(st.just(""), st.builds(lambda s, n: s + "/" + s + n, st.sampled_from(["", " "]),
                                               number_text)),
              st.sampled_from(["", "%", " %", "%%"]), st.sampled_from(["", " "]),
              st.sampled_from(["", "(stopped early)", "x", ",5"])),
    st.sampled_from(["", " ", "not detected", "Not  Detected", "neg", "failed sample", "n/a", "negative", "-", "."]),
    st.text(" 0123456789.,%<>/~a", max_size=8))
specs = st.builds(NumberSpec, unit=st.sampled_from([None, "percent", "fraction"]),
                  below=st.sampled_from([None, "limit", "half", "zero", "missing"]),
                  above=st.sampled_from([None, "limit", "missing"]), approx=st.sampled_from([None, "value", "missing"]),
                  negative=st.sampled_from([(), ("not detected", "neg")]),
                  missing=st.sampled_from([(), ("failed sample", "n/a")]), leading=st.booleans(),
                  decimal=st.sampled_from([None, ","]))


@settings(max_examples=150, deadline=None)
@given(st.lists(cell, min_size=1, max_size=30), specs, st.sampled_from(["%", "fraction", "cycles"]))
def test_number_sql_equals_reference(cells, spec, unit):
    if unit == "cycles" and spec.unit is not None:
        spec = NumberSpec(**{**spec.__dict__, "unit": None})
    assert sql_numbers(cells, spec, unit) == [reference.parse_number(c, spec, unit) for c in cells]


FORMATS = ["%d/%m/%Y", "%m/%d/%Y", "%d.%m.%y", "%d %b %Y", "%B %d, %Y", "%Y-%m-%d", "%d-%b-%y"]
dates = st.dates(min_value=dt.date(1950, 1, 1), max_value=dt.date(2060, 12, 31))
date_cell = st.one_of(
    st.builds(lambda d, f, case: case(d.strftime(f)), dates, st.sampled_from(FORMATS),
              st.sampled_from([str, str.upper, str.lower])),
    st.builds(lambda d, f: d.strftime(f).lstrip("0").replace("/0", "/"), dates, st.sampled_from(FORMATS[:2])),
    st.text("0123456789/-. JanFebSep", max_size=12))


@settings(max_examples=150, deadline=None)
@given(st.lists(date_cell, min_size=1, max_size=30), st.lists(st.sampled_from(FORMATS), min_size=1, max_size=3,
                                                                unique=True))
def test_date_sql_equals_reference(cells, fmts):
    fm = tuple(fmts) + (("%Y-%m-%d",) if "%Y-%m-%d" not in fmts else ())
    assert sql_dates(cells, fm) == [reference.parse_date(c, fm) for c in cells]
