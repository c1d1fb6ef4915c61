"""One entry point for every kind of DATA: :func:`load_cohort`.

DATA may be a DuckDB file, a folder of Parquet files (the stored forms), an Excel workbook (.xlsx), a folder of CSV
files (one per table, named after the table), or a REDCap export: a records CSV file (or a folder holding
``*_DATA_*.csv``) with its data dictionary (``*DataDictionary*.csv`` next to it, or given explicitly).
"""
from __future__ import annotations

import contextlib
from pathlib import Path

from .findings import ERROR, CohortError, Findings
from .identifiers import scan_identifiers
from .model import Cohort, RawTable
from .readers import Mapping, read_csv_folder, read_excel
from . import progress as _progress
from .sniff import sniff, special_file
from .storage import is_duckdb, is_parquet_folder, read_duckdb_tables, read_parquet_tables
from .validate import build_cohort

import pandas as pd


def _redcap_inputs(path: Path, dictionary: Path | None) -> tuple[Path, Path] | None:
    if path.is_file() and path.suffix.lower() == ".csv":
        if dictionary is None:
            cands = sorted(path.parent.glob("*DataDictionary*.csv")) + sorted(path.parent.glob("*data_dictionary*.csv"))
            dictionary = cands[0] if cands else None
        return (path, dictionary) if dictionary is not None else None
    if path.is_dir():
        recs = sorted(path.glob("*_DATA_*.csv"))
        dicts = sorted(path.glob("*DataDictionary*.csv"))
        if dictionary is not None and not dicts:
            dicts = [dictionary]
        if recs and dicts:
            return recs[0], dicts[0]
    return None


SPREADSHEET_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".xltx", ".xltm")


def read_raw(path: str | Path, findings: Findings, *, mapping: str | Path | None = None,
             redcap_dictionary: str | Path | None = None, progress=None, provenance: list | None = None
             ) -> list[RawTable]:
    """Raw tables from any DATA. Stored forms give typed columns, which go through the same coercion and checks
    as a spreadsheet's (:mod:`.storage`). A mapping ending ``.yaml``/``.yml`` is a declarative mapping
    (:mod:`mabseq.mapping`, ``docs/MAPPING.md``): DATA's sheets are read through it, and its provenance frame is
    appended to ``provenance`` when that is a list; any other mapping is the rename-only JSON file."""
    p = Path(path)
    from ..mapping.load import is_yaml_mapping
    if is_yaml_mapping(mapping):
        return _read_mapped(p, Path(mapping), findings, provenance)
    m = Mapping.load(mapping, findings)
    raws: list[RawTable]
    if findings.errors:  # a faulty mapping file: nothing is read with half a mapping
        return []
    special = special_file(p)
    if special is not None:  # a named pipe would block the read forever, a device never ends
        findings.add(ERROR, "file.not_regular", f"cannot be read: {special}", p.name)
        return []
    if not p.exists():
        findings.add(ERROR, "file.missing", "no such file or folder", str(p))
        return []
    if is_duckdb(p):
        return read_duckdb_tables(p, findings, progress)
    if is_parquet_folder(p):
        return read_parquet_tables(p, findings, progress)
    rc = _redcap_inputs(p, Path(redcap_dictionary) if redcap_dictionary else None)
    if rc is not None:
        from .redcap import read_redcap
        raws = read_redcap(rc[0], rc[1], m, findings)
    elif p.is_file() and (p.suffix.lower() in SPREADSHEET_SUFFIXES or sniff(p).name == "xlsx"):
        raws = read_excel(p, m, findings)  # says what the file is when it is not a workbook
    elif p.is_dir():
        raws = read_csv_folder(p, m, findings)
    elif p.suffix.lower() == ".csv":
        findings.add(ERROR, "file.redcap_dictionary", "a single CSV file is read as a REDCap records export and "
                     "needs its data dictionary (--redcap-dictionary)", p.name)
        return []
    else:
        kind = sniff(p)
        findings.add(ERROR, "file.format", f"the file is {kind.what}; DATA is a DuckDB file, a Parquet folder, an "
                     ".xlsx workbook, a CSV folder or a REDCap export" + (f" ({kind.advice})" if kind.advice else ""),
                     p.name)
        return []
    if m.study and raws:  # (no tables: the reader stopped, and the study values alone would only add noise)
        frame = pd.DataFrame([m.study], dtype=object)
        raws = [r for r in raws] + [RawTable("study", frame, "column mapping [study]", [1],
                                             {k: k for k in m.study})]
    return raws


def _read_mapped(p: Path, mapping: Path, findings: Findings, provenance: list | None) -> list[RawTable]:
    special = special_file(p)
    if special is not None:
        findings.add(ERROR, "file.not_regular", f"cannot be read: {special}", p.name)
        return []
    if not p.exists():
        findings.add(ERROR, "file.missing", "no such file or folder", str(p))
        return []
    if is_duckdb(p) or is_parquet_folder(p):
        findings.add(ERROR, "mapping.stored_form", "a mapping file reads a center's workbook or CSV files; this DATA "
                     "is a stored cohort (already in the schema's form): leave out --mapping", p.name)
        return []
    from ..mapping.execute import read_mapped
    return read_mapped(p, mapping, findings, provenance)


def load_cohort(path: str | Path, *, mapping: str | Path | None = None,
                redcap_dictionary: str | Path | None = None, progress=None, provenance: list | None = None
                ) -> tuple[Cohort | None, Findings]:
    """Read and validate DATA. Returns the cohort (None if it could not be read) and every finding.

    ``provenance``: a list that receives the provenance frame of a YAML mapping (:mod:`mabseq.mapping`).
    ``progress(stage, done, total)``, when given, is called as the reading, coercion and checks go on (``total``
    None while a stage's size is not known), so that a command can show progress on a large cohort.
    """
    findings = Findings()
    if progress:
        progress(f"reading {Path(path).name}", 0, None)
    # the readers report (done, total, what) through a context variable; one callback shape for the caller
    # (without one, a callback the caller installed with progress.reporting stays in place)
    readers_cb = (lambda done, total, what: progress(what, done, total)) if progress else None
    with _progress.reporting(readers_cb) if progress else contextlib.nullcontext():
        got = read_raw(path, findings, mapping=mapping, redcap_dictionary=redcap_dictionary, progress=progress,
                       provenance=provenance)
    if findings.errors and not got:
        return None, findings
    cohort = build_cohort(got, findings, Path(path).name, progress=progress)
    scan_identifiers(cohort, findings, got)
    return cohort, findings


def load_valid_cohort(path: str | Path, **kwargs) -> tuple[Cohort, Findings]:
    """:func:`load_cohort`, raising :class:`CohortError` when there is any error."""
    cohort, findings = load_cohort(path, **kwargs)
    if cohort is None or findings.errors:
        raise CohortError(findings)
    return cohort, findings
