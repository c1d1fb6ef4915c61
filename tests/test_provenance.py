"""provenance.parquet: the patients behind each number in one table, not in every results row (issue 16).

Oracles: the in-memory ResultSet the run built (each record's ``patients``), which the file must give back exactly;
and the twin's own cohort, whose included and excluded patients the flow boxes must list."""
from __future__ import annotations

import io
import json

import pyarrow.parquet as pq
import pytest

from mabseq.results.load import load_results
from mabseq.results.provenance import FILE, provenance_bytes, read_provenance, records_of
from mabseq.studies.run import explain_patient, output_files, run_study


@pytest.fixture(scope="module")
def twin_out(tmp_path_factory):
    run = run_study(None, study="paper")
    out = tmp_path_factory.mktemp("prov")
    files = output_files(run)
    for name, body in files.items():
        (out / name).write_bytes(body if isinstance(body, bytes) else body.encode("utf-8"))
    return run, out, files


def test_every_record_comes_back_with_its_patients(twin_out):
    run, out, _ = twin_out
    back = load_results(out / "results.json")
    assert set(back.records) == set(run.results.records)
    with_patients = [rid for rid, r in run.results.records.items() if r.patients]
    assert len(with_patients) > 500
    for rid, r in run.results.records.items():
        assert back.records[rid].patients == tuple(map(str, r.patients)), rid
    boxes = {b["id"]: b for b in back.flow.boxes}
    for b in run.results.flow.boxes:
        assert list(boxes[b["id"]].get("patients", [])) == list(map(str, b.get("patients") or [])), b["id"]


def test_results_json_and_csv_carry_no_patient_list(twin_out):
    run, out, files = twin_out
    body = json.loads(files["results.json"])
    assert all("patients" not in r for r in body["records"])
    assert all("patients" not in b for b in body["flow"]["boxes"])
    assert "patients" not in files["results.csv"].splitlines()[0].split(",")
    # the long table holds one row per (record, patient): the sum of the records' sizes, plus the flow boxes'
    t = pq.read_table(io.BytesIO(files[FILE]))
    expected = sum(len(r.patients) for r in run.results.records.values()) + \
        sum(len(b.get("patients") or ()) for b in run.results.flow.boxes)
    assert t.num_rows == expected and t.column_names == ["kind", "id", "patient_id"]


def test_same_results_same_bytes(twin_out):
    run, _, files = twin_out
    assert provenance_bytes(run.results) == files[FILE]


def test_records_of_a_patient_agree_with_explain(twin_out):
    run, out, _ = twin_out
    pid = str(run.derived.adsl["patient_id"].iloc[0])
    mine = [rid for rid, r in run.results.records.items() if pid in map(str, r.patients)]
    got = records_of(out / FILE, pid)
    assert [i for i in got if not i.startswith("flow:")] == mine and len(mine) > 50
    # every included patient is screened, included and in one sequence box (BF or IF)
    flows = {i for i in got if i.startswith("flow:")}
    assert {"flow:screened", "flow:included"} <= flows and len(flows & {"flow:BF", "flow:IF"}) == 1
    assert f"counted in {len(mine)} result records" in explain_patient(run, pid)


def test_read_provenance_keys(twin_out):
    run, out, _ = twin_out
    prov = read_provenance(out / FILE)
    included = set(map(str, run.derived.adsl["patient_id"]))
    rid = next(rid for rid, r in run.results.records.items() if r.population == "FULL" and
               len(r.patients) == len(included))
    assert set(prov[("record", rid)]) == included
