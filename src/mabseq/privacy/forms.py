"""The de-identified cohort on disk, in the canonical forms every command reads.

- ``csv``: a folder with one CSV file per schema table (every column, dates as YYYY-MM-DD), like
  ``tests/cohort_corpus/valid``; cells through :func:`mabseq.safe_text.frame_to_csv`.
- ``parquet``: the stored Parquet folder (:func:`mabseq.cohort.storage.write_parquet_into`).
- ``duckdb``: the stored DuckDB file (:func:`mabseq.cohort.storage.write_duckdb_into`).

The folder forms also hold ``deidentification.json``: the rules applied and what they changed (counts only; no id,
no shift, nothing of the key). The DuckDB form is one file and holds the cohort alone.
"""
from __future__ import annotations

import json
from pathlib import Path

from .. import __version__
from ..cohort.model import Cohort
from ..cohort.schema import TABLES
from ..safe_text import frame_to_csv

FORMATS = ("csv", "parquet", "duckdb")
NOTES = "deidentification.json"


def csv_files(cohort: Cohort) -> dict[str, str]:
    files = {}
    for t in TABLES:
        df = cohort[t.name].copy()
        for c in t.columns:
            if c.type == "date":
                df[c.name] = df[c.name].dt.strftime("%Y-%m-%d").astype(object).where(df[c.name].notna(), None)
        files[f"{t.name}.csv"] = frame_to_csv(df)
    return files


def notes_json(changes: dict[str, int], shift_range: int) -> str:
    body = {"generator": "mabseq", "kind": "mabseq-deidentified-cohort", "mabseq_version": __version__,
            "rules": [
                "patient ids replaced by random study ids; the key is kept in a separate file",
                "nothing after the data cut-off is kept; deaths after it are alive at the cut-off, last contacts "
                "and running therapies end at it",
                f"every date of a patient shifted by one random number of days (-{shift_range}..+{shift_range}, "
                "never 0): intervals within a patient are kept; the cut-off and enrollment window are moved so "
                "that they keep every patient's follow-up, inclusion and exclusion",
                "birth dates removed after computing the age at diagnosis",
                "age_at_diagnosis of a patient 90 or older at the latest date is stored so that the age at that "
                "date reads 90 (the category '90 or older'); such ages are lower bounds",
                "free text kept only in allow-listed clinical columns and only where the identifier scan finds "
                "nothing; other free text cleared; the study name is 'deidentified'",
                "the follow-up completeness index (distance to the true cut-off) cannot be computed from this "
                "cohort"],
            "changes": changes}
    return json.dumps(body, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def write_into(cohort: Cohort, tmp: Path, fmt: str, changes: dict[str, int], shift_range: int) -> None:
    """Write ``cohort`` in form ``fmt`` at the (new) temporary path ``tmp`` a plan of :mod:`mabseq.outputs` gave."""
    from ..cohort.storage import write_duckdb_into, write_parquet_into
    if fmt == "duckdb":
        write_duckdb_into(cohort, tmp)
        return
    tmp.mkdir(exist_ok=True)
    if fmt == "parquet":
        write_parquet_into(cohort, tmp)
    else:
        for name, text in csv_files(cohort).items():
            (tmp / name).write_text(text, encoding="utf-8", newline="\n")
    (tmp / NOTES).write_text(notes_json(changes, shift_range), encoding="utf-8", newline="\n")


__all__ = ["FORMATS", "NOTES", "csv_files", "notes_json", "write_into"]
