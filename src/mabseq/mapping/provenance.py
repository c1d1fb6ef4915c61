"""The provenance of a mapped cohort: for every canonical cell that has a value, its source cell and rule.

One row per (table, block, row, column) with a value: ``table``, ``part`` (the block: 0, 1, ... in the mapping's
order), ``row_index`` (the row within that block's raw table), ``patient_id``, ``column`` (the schema's),
``source`` (the center's sheet or file), ``source_row`` (the user's row), ``source_column`` (the user's header),
``rule`` (``column``, ``value map "CR (MRD-neg)" -> cr``, ``number below:limit``, ``date``, ``constant``,
``generated sequence``, ``collapsed 3 rows: ...``). Built per column with array operations (no loop per cell).
``mabseq import --mapping`` stores it as the table ``_provenance``; ``validate --provenance FILE.csv`` writes it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

COLUMNS = ["table", "part", "row_index", "patient_id", "column", "source", "source_row", "source_column", "rule"]


def provenance_frame(blocks) -> pd.DataFrame:
    """``blocks``: (compiled block, final frame, {source name: label}) triples."""
    cols: dict[str, list] = {c: [] for c in COLUMNS}
    for cb, frame, labels in blocks:
        n = len(frame)
        if not n:
            continue
        pid = (frame["patient_id"].astype(object).where(frame["patient_id"].notna(), None).to_numpy(dtype=object)
               if "patient_id" in frame.columns else np.full(n, None, dtype=object))
        for c in cb.columns:
            idx = np.flatnonzero(frame[c.target].notna().to_numpy())
            if not len(idx):
                continue
            k = len(idx)
            if c.varies:
                hdr = frame[c.target + "#hdr"].to_numpy(dtype=object)[idx]
            elif c.kind == "column":
                hdr = np.full(k, c.header.split("!", 1)[-1] if c.source != cb.spec.from_ else c.header, dtype=object)
            else:
                hdr = np.full(k, "", dtype=object)
            src = labels.get(c.source) if c.source else labels.get(cb.spec.from_)
            if c.source_varies:  # a full join's key: the sheet of the row's own cell
                srcs = pd.Series(frame[c.target + "#src"].to_numpy(dtype=object)[idx]).map(labels).to_numpy(
                    dtype=object)
            cols["table"].append(np.full(k, cb.spec.table, dtype=object))
            cols["part"].append(np.full(k, cb.spec.index, dtype=np.int64))
            cols["row_index"].append(idx.astype(np.int64))
            cols["patient_id"].append(pid[idx])
            cols["column"].append(np.full(k, c.target, dtype=object))
            cols["source"].append(srcs if c.source_varies else np.full(k, src, dtype=object))
            cols["source_row"].append(pd.to_numeric(frame[c.target + "#row"]).to_numpy(dtype="float64",
                                                                                      na_value=np.nan)[idx])
            cols["source_column"].append(hdr)
            cols["rule"].append(frame[c.target + "#rule"].to_numpy(dtype=object)[idx])
    if not cols["table"]:
        return pd.DataFrame({c: pd.Series([], dtype=object) for c in COLUMNS})
    out = {c: (pd.array(np.concatenate(v)).astype("Int64") if c == "source_row" else np.concatenate(v))
           for c, v in cols.items()}
    return pd.DataFrame(out, columns=COLUMNS)


def write_provenance_duckdb(path, frame: pd.DataFrame) -> None:
    """Add the table ``_provenance`` to the (new) DuckDB file at ``path``."""
    import duckdb
    import pyarrow as pa
    con = duckdb.connect(str(path))
    try:
        t = pa.Table.from_pandas(_typed(frame), preserve_index=False)
        con.register("_mabseq_prov", t)
        con.execute("CREATE TABLE _provenance AS SELECT * FROM _mabseq_prov")
        con.unregister("_mabseq_prov")
    finally:
        con.close()


def write_provenance_parquet(folder, frame: pd.DataFrame) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq
    from pathlib import Path
    pq.write_table(pa.Table.from_pandas(_typed(frame), preserve_index=False), Path(folder) / "_provenance.parquet",
                   compression="zstd")


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for c in ("table", "patient_id", "column", "source", "source_column", "rule"):
        out[c] = out[c].astype("string")
    out["part"] = out["part"].astype("int64")
    out["row_index"] = out["row_index"].astype("int64")
    out["source_row"] = out["source_row"].astype("Int64")
    return out


__all__ = ["provenance_frame", "write_provenance_duckdb", "write_provenance_parquet", "COLUMNS"]
