"""Scale paths equal the plain ones (issue 16): the parallel derivation equals the serial one on 2,000 synthetic
patients; the vectorized row grouping equals selecting and converting each patient's rows cell by cell."""
from __future__ import annotations

import datetime as dt
import pickle

import pandas as pd
import pytest

from mabseq.derive.cohort import derive_cohort
from mabseq.derive.patient_rows import DATE_COLUMNS, PatientData, records_by_patient


@pytest.fixture(scope="module")
def synth2000():
    from mabseq.studies.synth import synthesize
    return synthesize(2000, seed=3)


def test_parallel_derivation_equals_serial(synth2000):
    one, two = derive_cohort(synth2000, workers=1), derive_cohort(synth2000, workers=2)
    assert len(one.adsl) > 1000
    for name in ("adsl", "adtte", "excluded", "timelines", "unknowns"):
        pd.testing.assert_frame_equal(getattr(one, name), getattr(two, name))
    # the workers drop an included patient's explanations, derived again when read (derive/patient.DeferredText),
    # and keep an excluded one's: every excluded patient (none here) and every tenth included one compared
    from mabseq.derive.patient import DeferredText
    included = list(one.adsl["patient_id"])
    assert all(isinstance(two.derived[p].why, DeferredText) for p in included)
    some = list(one.excluded["patient_id"]) + included[::10]
    assert {p: dict(one.derived[p].why) for p in some} == {p: dict(two.derived[p].why) for p in some}
    assert two.explain(some[-1]) == one.explain(some[-1])


def test_grouped_rows_equal_the_plain_path(synth2000):
    bp = records_by_patient(synth2000)
    cut = synth2000.cutoff.date()
    for pid in list(synth2000.patient_ids)[:200]:
        fast, plain = PatientData(None, pid, cut, bp), PatientData(synth2000, pid, cut)
        for k in ("patient", "therapies", "doses", "assessments", "transplants", "tox", "tox_obs", "events",
                  "follow_up"):
            assert repr(getattr(fast, k)) == repr(getattr(plain, k)), (pid, k)
    assert set(DATE_COLUMNS) <= set(synth2000.tables)


def test_chunked_synthesis_equals_one_cohort_and_stores_alike(tmp_path):
    """synth in chunks: ids numbered across chunks, one study row, every table the concatenation of the chunks;
    the chunk writer's DuckDB file and Parquet folder read back as the joined cohort written in one go."""
    from mabseq.cohort import load_cohort
    from mabseq.cohort.storage import write_chunks_into, write_duckdb_into
    from mabseq.studies.synth import synthesize, synthesize_chunks
    parts = list(synthesize_chunks(50, 4, chunk=20))
    assert [len(p["patients"]) for p in parts] == [20, 20, 10]
    ids = [i for p in parts for i in p["patients"]["patient_id"]]
    assert ids == [f"S{i:02d}" for i in range(1, 51)]
    assert [len(p["study"]) for p in parts] == [1, 0, 0]
    # the first chunk is the cohort a single draw gives (same seed, same cohort as before chunking)
    pd.testing.assert_frame_equal(parts[0]["therapies"], synthesize(20, 4)["therapies"])
    write_chunks_into(iter(parts), tmp_path / "c.duckdb", as_duckdb=True)
    write_chunks_into(iter(parts), tmp_path / "c_parquet", as_duckdb=False)
    joined = pd.concat([p["patients"] for p in parts], ignore_index=True)
    one = type(parts[0])({n: pd.concat([p[n] for p in parts], ignore_index=True) for n in parts[0].tables})
    write_duckdb_into(one, tmp_path / "one.duckdb")
    (a, fa), (b, fb), (c, fc) = (load_cohort(tmp_path / x) for x in ("c.duckdb", "c_parquet", "one.duckdb"))
    assert not (fa.errors or fb.errors or fc.errors)
    assert len(a["patients"]) == len(joined) == 50
    for name in c.tables:
        pd.testing.assert_frame_equal(a[name], c[name], obj=name)
        pd.testing.assert_frame_equal(b[name], c[name], obj=name)


def test_study_results_equal_on_the_duckdb_file_and_the_parquet_folder(tmp_path):
    """2,000 synthetic patients written by `mabseq synth` as a DuckDB file and as a Parquet folder: the same
    results, number for number (the source label and the hash of the input's bytes aside)."""
    import json

    from typer.testing import CliRunner

    from mabseq.cli import app
    from mabseq.studies.run import run_study
    r = CliRunner()
    for out in ("s.duckdb", "s_parquet"):
        res = r.invoke(app, ["synth", "--n", "2000", "--seed", "5", "--out", str(tmp_path / out)])
        assert res.exit_code == 0, res.output
    a = json.loads(run_study(tmp_path / "s.duckdb").results.to_json())
    b = json.loads(run_study(tmp_path / "s_parquet").results.to_json())
    assert a["meta"].get("n_included", 0) > 1000
    a.pop("source"), b.pop("source")
    assert a["meta"].pop("input_hash") != b["meta"].pop("input_hash")  # a hash of the stored bytes: two forms
    assert a == b


def test_the_records_hold_one_id_object_per_patient():
    """Memory at scale: every record's and flow box's patients are references to one ``str`` object per patient
    (a pandas 3 text column makes new ``str`` objects at each ``tolist()``: before this, 20,000 patients' records
    held 2.7 million copies of their ids). Counted on a study run of 300 synthetic patients: the distinct objects
    equal the distinct ids, and the same id is the same object in the ADSL frame and in the records."""
    from mabseq.studies import PRESETS
    from mabseq.studies.synth import synthesize
    res, derived = PRESETS["paper"].run(synthesize(300, seed=9), synthetic=True, source="synth")
    refs = [p for r in res.records.values() for p in r.patients]
    assert len(refs) > 10 * 300  # the check is not vacuous: ids are referenced many times over
    assert len({id(p) for p in refs}) == len(set(refs))
    canonical = {p: p for r in res.records.values() for p in r.patients}
    in_adsl = [p for p in derived.adsl["patient_id"].array if p in canonical]
    assert in_adsl and all(canonical[p] is p for p in in_adsl)


def test_synth_chunks_made_by_workers_equal_the_serial_ones():
    """synth's chunks made in two spawned worker processes (yielded in order, a bounded number ahead) are the
    serial chunks, table by table: each chunk depends only on (n, seed, k)."""
    from mabseq.studies.synth import synthesize_chunks
    serial = list(synthesize_chunks(130, 11, chunk=30, workers=1))
    parallel = list(synthesize_chunks(130, 11, chunk=30, workers=2))
    assert len(serial) == len(parallel) == 5
    for a, b in zip(serial, parallel):
        for name in a.tables:
            pd.testing.assert_frame_equal(a[name], b[name], check_exact=True)


def test_explanations_are_kept_compressed_and_read_back_whole(synth2000):
    """After derivation each patient's explanations are one compressed blob (derive/patient.PackedText), and read
    back they are the sentences the rules wrote: compared with the plain path's unpacked dict on 100 patients."""
    from mabseq.derive.agvhd import absent_means_none, staged_organs
    from mabseq.derive.cohort import _enrollment
    from mabseq.derive.params import DeriveParams
    from mabseq.derive.patient import PackedText, derive_patient
    dc = derive_cohort(synth2000, workers=1)
    cut, params = synth2000.cutoff.date(), DeriveParams()
    for pid in list(synth2000.patient_ids)[:100]:
        packed = dc.derived[pid].why
        data = PatientData(synth2000, pid, cut)
        data.agvhd_absent_is_none, data.agvhd_staged = absent_means_none(synth2000), staged_organs(synth2000)
        plain = derive_patient(data, params, _enrollment(synth2000, params)).why
        assert isinstance(packed, PackedText) and isinstance(plain, dict) and plain
        assert dict(packed) == plain and packed == plain and len(packed) == len(plain)
        k = next(iter(plain))
        assert packed[k] == plain[k] and packed.get("no such value", "x") == "x"


def test_a_study_command_leaves_the_callers_collector_as_it_was(tmp_path):
    """`run` pauses Python's cyclic garbage collector while the study runs and freezes what it built
    (cli/study_cmds.study_or_exit); a caller that goes on after the command, as a test or a notebook does, gets
    its collector back on, with nothing left frozen, and one with the collector off keeps it off."""
    import gc

    from typer.testing import CliRunner

    from mabseq.cli import app
    for was in (True, False):
        (gc.enable if was else gc.disable)()
        try:
            res = CliRunner().invoke(app, ["run", "--out", str(tmp_path / f"out{was}"), "--quiet"])
            assert res.exit_code == 0, res.output
            assert gc.isenabled() is was and gc.get_freeze_count() == 0
        finally:
            gc.enable()


def test_column_values_equal_the_cell_by_cell_conversion():
    """records_by_patient converts a column at once (derive/patient_rows._column_values); the oracle is the plain
    path's conversion of each cell (_v, _d): a Float64 column holding NA and a 0/0, an
    object column with NaN, None and text, a datetime column with NaT, and text with NA."""
    import numpy as np
    from mabseq.derive.patient_rows import _column_values, _d, _v
    f = pd.array([1.5, None, 0.0, 2.0], dtype="Float64")
    f = f / pd.array([1.0, 1.0, 0.0, 1.0], dtype="Float64")  # 0/0: NaN (NA too, where pandas reads NaN as NA)
    cases = [(pd.Series(f), False), (pd.Series([np.nan, None, "a", 3], dtype=object), False),
             (pd.Series(pd.to_datetime(["2020-01-02", None])), True), (pd.Series(["x", None], dtype="string"), False),
             (pd.Series([1, None], dtype="Int64"), False)]
    for s, as_date in cases:
        plain = [_d(_v(x)) if as_date else _v(x) for x in s.tolist()]
        got = _column_values(s, as_date)
        assert repr(got) == repr(plain), (s.dtype, got, plain)


def test_a_chunk_sent_back_by_a_worker_is_the_chunk_derived():
    """A worker sends its chunk by column (derive/cohort._by_column: the included patients' values, time-to-event,
    timeline and unknown rows as typed columns; an excluded patient whole); read back (_from_columns), each
    patient's values are the dict they were, in their order (explain lists them so), type and value, and each
    patient's rows are theirs."""
    from mabseq.derive.cohort import _by_column, _from_columns
    from mabseq.derive.params import DeriveParams
    from mabseq.derive.patient import Derived
    tte = lambda pid, t: [(pid, "os_mab2", "mab2", t, 1, None)]  # noqa: E731
    a = Derived("P1", {"sex": "female", "seq": "BF", "mab1_start": dt.date(2019, 1, 2), "age": 61.5, "n": 2},
                flags=["f"], timeline=[{"patient_id": "P1", "kind": "therapy", "start": 0}],
                unknowns=[{"variable": "seq", "rule": "r", "input": "i"}], warnings=["w"], endpoints=tte("P1", 30))
    b = Derived("P2", {"sex": "male", "seq": "IF", "mab1_start": None, "age": None, "n": 3}, endpoints=[])
    c = Derived("P3", {"sex": None, "excluded_reason": "not B-ALL"}, why={"excluded_reason": "diagnosis t_all"})
    d = Derived("P4", {"seq": "BF", "sex": "male", "mab1_start": None, "tx": True}, endpoints=tte("P4", 7),
                timeline=[{"patient_id": "P4", "kind": "death", "start": 7}])  # other names, another order
    ids = ["P1", "P2", "P3", "P4"]
    sent = _by_column({x.patient_id: x for x in (a, b, c, d)}, ids)
    back = pickle.loads(pickle.dumps(sent, protocol=pickle.HIGHEST_PROTOCOL))
    params = DeriveParams()
    got = _from_columns(back, ids, params)
    assert list(got) == ids
    for x in (a, b, c, d):
        y = got[x.patient_id]
        assert list(y.values.items()) == list(x.values.items()), x.patient_id
        assert [type(v) for v in y.values.values()] == [type(v) for v in x.values.values()]
        assert list(y.timeline) == list(x.timeline) and list(y.unknowns) == list(x.unknowns)
        assert list(y.warnings) == list(x.warnings) and list(y.flags) == list(x.flags)
    assert list(got["P1"].endpoints[1]) == tte("P1", 30) and list(got["P2"].endpoints[1]) == []
    assert got["P3"].why["excluded_reason"] == "diagnosis t_all"


def _dies_on_chunk_one(data, ctx, chunk):
    import os
    if chunk == 1 and os.getpid() != data:
        os._exit(3)  # a worker killed mid-task (as by the kernel, or a crash in a library)
    return ("chunk", chunk, ctx)


def test_a_worker_that_dies_does_not_hang_the_derivation():
    """derive/parallel.derive_in_chunks: a worker process that dies while deriving a chunk (here: os._exit in the
    worker given chunk 1) does not hang the run, as multiprocessing.Pool would; the chunks not sent back are
    derived in the main process, with a warning, and every chunk's result is there, in order."""
    import os
    from mabseq.derive.parallel import derive_in_chunks
    with pytest.warns(RuntimeWarning, match="worker process died"):
        got = derive_in_chunks(_dies_on_chunk_one, os.getpid(), "ctx", [0, 1, 2, 3, 4, 5], 2)
    assert got == [("chunk", i, "ctx") for i in range(6)]


def test_numbers_reach_their_schema_dtype_as_through_python_values():
    """cohort.model.canonical_column takes a numpy number column to Float64 directly (synth spent a tenth of its
    time going through Python objects); the oracle is that slower path, cell for cell, NaN and edge values too."""
    import numpy as np
    from mabseq.cohort.model import canonical_column
    cases = [pd.Series([1.5, np.nan, -0.0, np.inf, -np.inf, 1e308, 5e-324, 3.0]),
             pd.Series([1, 2**53 + 1, -7, 0], dtype="int64"), pd.Series([0.25, np.nan], dtype="float32"),
             pd.Series([7, -1], dtype="int32"), pd.Series([], dtype="float64")]
    for s in cases:
        want = s.astype(object).where(pd.notna(s), None).astype("Float64")
        got = canonical_column(s, "number")
        pd.testing.assert_series_equal(got, want, check_exact=True)
        assert [repr(x) for x in got.tolist()] == [repr(x) for x in want.tolist()]
