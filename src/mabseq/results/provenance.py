"""The patients behind each number, as one compact table: ``provenance.parquet`` beside results.json.

Every record (and every box of the flow diagram) knows the patients it counts or estimates over. Written into each
results row, that list made results.json grow with (records x patients): ~10^9 ids at a million patients. Here it
is one long table instead, a row per (record, patient), with three columns:

``kind``        ``record`` or ``flow_box``
``id``          the record's id (results.json ``records[].id``) or the flow box's id
``patient_id``  a study id (never a name: the same ids adsl.csv carries)

``kind`` and ``id`` are dictionary-encoded, so a record's id is stored once however many patients it has; the
rows come in the results' own order (records as added, then the flow boxes), each record's patients in their
order in the record, so the same results give the same bytes. results.json and results.csv then stay small at any
size.

Written with pyarrow (the Parquet reference implementation for Python); read back by :func:`read_provenance`
(``load_results`` fills each record's ``patients`` from it) and queried per patient by :func:`records_of`
(``mabseq explain --results``).
"""
from __future__ import annotations

import io
import itertools
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

FILE = "provenance.parquet"
COLUMNS = ("kind", "id", "patient_id")


# rows a batch holds while provenance.parquet is written: the file is written batch by batch, so the rows of all
# records are never in memory at once (at 100,000 patients there are 44 million; whole, they added 0.65 GB to the
# peak of `run`)
BATCH_ROWS = 1 << 20


def _batches(res, rows: int = BATCH_ROWS):
    """The (kind, id, patient_id) rows of a ResultSet as tables of about ``rows`` rows: records, then flow boxes,
    a record's patients never split between two tables."""
    runs = [r for r in itertools.chain((("record", r.id, r.patients) for r in res.records.values()),
                                       (("flow_box", str(b.get("id")), b.get("patients") or ())
                                        for b in res.flow.boxes)) if r[2]]
    codes, values = _patient_codes([ps for _, _, ps in runs])
    kinds, ids, parts, n = [], [], [], 0

    def table():
        idx = np.concatenate(parts) if parts else np.zeros(0, dtype=np.int32)
        return pa.table({"kind": _dictionary(kinds), "id": _dictionary(ids), "patient_id": values.take(idx)})

    made = 0
    for kind, key, ps in runs:
        kinds.append((kind, len(ps)))
        ids.append((key, len(ps)))
        parts.append(codes[id(ps)])
        n += len(ps)
        if n >= rows:
            yield table()
            made += 1
            kinds, ids, parts, n = [], [], [], 0
    if parts or not made:  # the rest; or one empty table when no record has patients
        yield table()


def _patient_codes(sets: list) -> tuple[dict[int, np.ndarray], pa.Array]:
    """Each distinct patient-set object coded once, as positions in one array of the ids (the records of a
    ResultSet share their sets: 228 distinct sets behind 8.7 million rows at 20,000 patients), so a batch's
    patient_id column is one ``take`` of that array, equal to the column built id by id."""
    distinct = {id(ps): ps for ps in sets}
    index: dict = {}
    for ps in distinct.values():
        index.update(dict.fromkeys(map(str, ps)))
    for i, k in enumerate(index):
        index[k] = i
    look = index.__getitem__
    codes = {k: np.fromiter(map(look, map(str, ps)), dtype=np.int32, count=len(ps)) for k, ps in distinct.items()}
    return codes, pa.array(list(index), type=pa.string())


def _dictionary(runs: list[tuple[str, int]]) -> pa.DictionaryArray:
    """Run-length input (value, repeat) as a dictionary array: each value stored once."""
    values, codes, index = [], [], {}
    for v, n in runs:
        k = index.setdefault(v, len(values))
        if k == len(values):
            values.append(v)
        codes.append((k, n))
    idx = np.repeat(np.array([k for k, _ in codes], dtype=np.int32), [n for _, n in codes]) if codes else \
        np.zeros(0, dtype=np.int32)
    return pa.DictionaryArray.from_arrays(pa.array(idx, type=pa.int32()), pa.array(values, type=pa.string()))


def provenance_bytes(res) -> bytes:
    """provenance.parquet's bytes (zstd; no pandas metadata, so the bytes depend on the rows only), written a
    batch of rows at a time (:data:`BATCH_ROWS`, a row group each)."""
    buf = io.BytesIO()
    schema = pa.schema([("kind", pa.dictionary(pa.int32(), pa.string())),
                        ("id", pa.dictionary(pa.int32(), pa.string())), ("patient_id", pa.string())])
    with pq.ParquetWriter(buf, schema, compression="zstd", use_dictionary=True, store_schema=False) as w:
        for t in _batches(res):
            w.write_table(t, row_group_size=BATCH_ROWS * 2)
    return buf.getvalue()


def read_provenance(path: str | Path) -> dict[tuple[str, str], tuple[str, ...]]:
    """{(kind, id): patient ids} from a provenance.parquet."""
    t = pq.read_table(path, columns=list(COLUMNS))
    out: dict[tuple[str, str], list[str]] = {}
    for k, i, p in zip(t.column("kind").to_pylist(), t.column("id").to_pylist(), t.column("patient_id").to_pylist()):
        out.setdefault((k, i), []).append(p)
    return {key: tuple(v) for key, v in out.items()}


def records_of(path: str | Path, patient_id: str) -> list[str]:
    """The ids of the records (and flow boxes, as ``flow:<id>``) a patient counts in, in the results' order."""
    t = pq.read_table(path, columns=list(COLUMNS), filters=[("patient_id", "=", str(patient_id))])
    return [i if k == "record" else f"flow:{i}" for k, i in zip(t.column("kind").to_pylist(),
                                                                 t.column("id").to_pylist())]
