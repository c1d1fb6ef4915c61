"""``mabseq map sql`` prints SQL a person can review, and that SQL is what runs.

The printed script of the test centers' mappings: no line over 160 characters (a line a reviewer reads on one screen
width without wrapping, and about twice the 80 columns of a terminal), each parser defined once as a DuckDB macro
(the white-space normalisation written once, not per use), a comment per schema column naming the line of the
mapping file it comes from; run by hand in a fresh DuckDB connection over the loaded sheets, the script gives the
same tables as ``read_mapped``. The macro forms of the parsers equal their written-out forms (which the property
tests check against the plain-Python reference).
"""
from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pytest

from mabseq.cohort.findings import Findings
from mabseq.mapping.execute import load_sources, mapping_sql, read_mapped
from mabseq.mapping.load import load_mapping_yaml
from mabseq.mapping.macros import Macros
from mabseq.mapping.parsers import date_text_sql, ident, number_sql, value_map_sql
from mabseq.mapping.spec import NumberSpec, ValueMap

CENTERS = Path(__file__).parent / "centers"
DATA = {"center_b": CENTERS / "center_b" / "center_b.xlsx", "center_c": CENTERS / "center_c" / "export"}
MACRO = re.compile(r"^CREATE OR REPLACE TEMP MACRO ([a-z0-9_]+)\(", re.M)


def _sql(center: str) -> str:
    f = Findings()
    text = mapping_sql(CENTERS / center / "mapping.yaml", f, DATA[center])
    assert text is not None and not f.errors, [x.message for x in f.errors]
    return text


@pytest.mark.parametrize("center", list(DATA))
def test_printed_sql_is_readable(center):
    text = _sql(center)
    long = [(i, len(line)) for i, line in enumerate(text.splitlines(), 1) if len(line) > 160]
    assert long == []
    names = MACRO.findall(text)
    assert names and len(names) == len(set(names))          # each macro defined once
    for name in names:                                       # ... and used somewhere after its definition
        assert text.count(name + "(") >= 2, name
    # the space normalisation is written once (in mabseq_text), every other use calls it
    assert text.count("regexp_replace(") == 1
    assert text.count("\\x{00A0}") == 1
    # every date format list is one macro: each format's regex appears once in the script
    assert text.count("'^[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}$'") == 1   # ISO, the last of each list


@pytest.mark.parametrize("center", list(DATA))
def test_each_column_names_its_mapping_line(center):
    """The comment before a column's expression names a line of mapping.yaml, and that line is where the column is
    written (checked on the YAML text itself, not on the compiler's record of it)."""
    text = _sql(center)
    yaml_lines = (CENTERS / center / "mapping.yaml").read_text(encoding="utf-8").splitlines()
    comments = re.findall(r"^\s*-- (\w+)\.(\w+)  (?:<-|=) .*\(mapping\.yaml line (\d+)\): (.+)$", text, re.M)
    assert len(comments) >= 40
    for table, column, line, how in comments:
        # the column's own line (``cycles: ...``), or a ``constants: {specimen: marrow, ...}`` line naming it
        assert re.search(rf"(^\s*(- )?|[{{,] ?){column}:", yaml_lines[int(line) - 1]), (table, column, line)
    # a column of each kind says how it is read
    kinds = {how.split(" ")[0].rstrip(",") for *_, how in comments}
    assert {"date", "number", "value", "id", "constant"} <= kinds


def _fresh_run(center: str, text: str) -> duckdb.DuckDBPyConnection:
    spec = load_mapping_yaml(CENTERS / center / "mapping.yaml", Findings())
    _, _, tables = load_sources(DATA[center], spec, Findings())
    con = duckdb.connect(":memory:")
    for name, t in tables.items():
        con.register("g", t)
        con.execute(f"CREATE TABLE {ident('src:' + name)} AS SELECT * FROM g")
        con.unregister("g")
    con.execute("SET enable_external_access = false")
    con.execute(text)                      # the printed script, as a person would paste it
    return con


@pytest.mark.parametrize("center", list(DATA))
def test_printed_sql_run_by_hand_gives_the_mapped_tables(center):
    text = _sql(center)
    con = _fresh_run(center, text)
    raws = read_mapped(DATA[center], CENTERS / center / "mapping.yaml", Findings())
    finals = re.findall(r'^CREATE OR REPLACE TEMP VIEW "(final:[^"]+)" AS$', text, re.M)
    assert len(finals) == len(raws) >= 8
    total = 0
    for name, raw in zip(finals, raws):
        assert name.split(":")[1] == raw.name
        got = con.execute(f'SELECT * FROM "{name}"').fetch_df()
        assert got["_row"].astype("int64").tolist() == raw.rows
        mine = got[list(raw.frame.columns)].reset_index(drop=True)
        pd.testing.assert_frame_equal(mine.astype(object).where(mine.notna(), None),
                                      raw.frame.astype(object).where(raw.frame.notna(), None), check_dtype=False)
        total += len(raw.frame)
    assert total > 100


@pytest.mark.parametrize("center", list(DATA))
def test_printed_sql_is_byte_identical(center):
    assert _sql(center).encode() == _sql(center).encode()


# ---- the macro forms equal the written-out forms ---------------------------------------------------------------
CELLS = ["12", "12 %", " 12% ", "<5", "<=0.01 %", ">95", "approx 40", "~3", "ca. 7", "3/100", "1/0", "0.005%",
         "not detected", "failed sample", "3 (stopped early)", "1e-05", "1,5", "", None, "abc", "-2", ".5", "x 3",
         "CR (MRD-neg)", "cri", " Haplo ", "cr", "Partial", "relapse 2", "01/02/2020", "2020-02-01", "1 Feb 2020",
         "31/02/2020", "2020-1-5", "12 feb 20", "5.3.21"]


def _both(build):
    """(written out, through macros) results of ``build(sq) -> [(name, expr)]`` over CELLS."""
    con = duckdb.connect()
    con.register("t", pa.table({"i": list(range(len(CELLS))), "x": CELLS}))
    out = []
    for sq in (Macros(inline=True), Macros()):
        prep, exprs = build(sq)
        for s in sq.statements():
            con.execute(s)
        p = "".join(f", {e} AS {ident(n)}" for n, e in prep)
        out.append(con.execute(f"SELECT {', '.join(exprs)} FROM (SELECT *{p} FROM t) ORDER BY i").fetchall())
    return out


@pytest.mark.parametrize("spec,unit,dec", [
    (NumberSpec(), "%", "."),
    (NumberSpec(unit="fraction", below="half", above="limit", approx="value", negative=("not detected",),
                missing=("failed sample",)), "%", "."),
    (NumberSpec(below="zero", leading=True), "", ","),
    (NumberSpec(unit="percent", below="limit", approx="missing"), "fraction", "."),
])
def test_number_macros_equal_the_written_out_parser(spec, unit, dec):
    def build(sq):
        prep, v, r = number_sql('"x"', spec, unit, dec, "c", sq)
        return prep, [v, r]
    inline, macros = _both(build)
    assert macros == inline
    assert any(v is not None for v, _ in inline) and any(r == "!parse" for _, r in inline)


def test_value_map_and_date_macros_equal_the_written_out_forms():
    vm = ValueMap("response", exact={"cr (mrd-neg)": "cr", "cri": "cri", "haplo": "haplo"},
                  regex=[("^PR\\b|partial", "pr"), ("relapse", "relapse")], empty="unknown", other=None)

    def build(sq):
        v, r = value_map_sql('"x"', vm, None, None, sq, "map_response")
        dv, dr = date_text_sql('"x"', ("%d/%m/%Y", "%d %b %y", "%d.%m.%y", "%Y-%m-%d"), sq)
        return [], [v, r, dv, dr]
    inline, macros = _both(build)
    assert macros == inline
    got = {c: row for c, row in zip(CELLS, inline)}
    assert got["CR (MRD-neg)"][:2] == ("cr", 'value map "CR (MRD-neg)" -> cr')
    assert got["Partial"][:2] == ("pr", "value map re:^PR\\b|partial -> pr")
    assert got[""][:2] == ("unknown", 'value map "" -> unknown') and got["abc"][:2] == (None, "!unmapped")
    assert got["01/02/2020"][2:] == ("2020-02-01", "date") and got["12 feb 20"][2] == "2020-02-12"
    assert got["5.3.21"][2] == "2021-03-05" and got["31/02/2020"][2:] == (None, "!parse")
