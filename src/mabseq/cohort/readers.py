"""The doors into a cohort: an Excel workbook, a folder of CSV files, a REDCap export, or the stored forms.

Each reader returns :class:`RawTable` objects (untyped cells under canonical column names, with the row numbers
the user sees). The column-mapping file (:mod:`mabseq.cohort.mapping_file`) lets a center keep its own sheet, file
and column names. The workbook reader is :mod:`mabseq.cohort.xlsx`; this module holds the CSV-folder reader.

A folder of CSV files (rules; the text of each file is read by :mod:`mabseq.cohort.textfile`):

- each ``*.csv`` file (any case of the extension) is one table, named by the file name or through the mapping;
  a file whose name is no table is ignored with a warning (``table.unknown``), and so is anything else in the
  folder that is not a CSV file (``file.ignored``: a workbook, a subfolder, notes), hidden files and the notes
  mabseq writes beside a cohort (``COMPANION_FILES``) excepted;
- two files that land on one table by their names (``patients.csv`` and ``Patients.csv``) are ``table.duplicate``
  unless the mapping names both (then they are read together);
- a file that is a symbolic link to a file outside the folder is refused (``file.link_outside``): a cohort folder
  holds its own data, and a link could bring in any file of the machine;
- a named pipe or device named like a CSV file is refused (it would block the read or never end);
- when any file cannot be read at all (its encoding, its format, a limit), the reader returns no table and says
  the rest was not checked (``read.stopped``): the checks across tables would only repeat that the file is
  missing, row by row.
"""
from __future__ import annotations

import gc
from pathlib import Path

from . import textfile
from .columns import raw_table
from .findings import ERROR, WARNING, Findings, quote, stop_if_refused
from .mapping_file import Mapping, norm_name
from .model import RawTable
from .xlsx import TEMPLATE_SHEETS, read_excel

_norm = norm_name  # the name redcap.py imports

MAX_NAMED_UNKNOWN = 10


# what mabseq itself writes beside the tables of a cohort folder (``mabseq deidentify``'s notes)
COMPANION_FILES = frozenset({"deidentification.json"})

def _folder_entries(path: Path, findings: Findings) -> list[Path]:
    """The CSV files of the folder, in name order; warnings for everything else."""
    csvs, others = [], []
    try:
        entries = sorted(path.iterdir(), key=lambda p: p.name)
    except OSError as exc:
        findings.add(ERROR, "file.unreadable", f"cannot list the folder ({exc.strerror})", path.name)
        return []
    for p in entries:
        if p.name.startswith(".") or p.name in COMPANION_FILES:
            continue
        if p.suffix.lower() == ".csv":
            csvs.append(p)
        else:
            others.append(p)
    for p in others[:MAX_NAMED_UNKNOWN]:
        what = "a folder" if p.is_dir() else "not a .csv file"
        findings.add(WARNING, "file.ignored", f"{what}; it is ignored (a CSV folder holds one .csv file per table)",
                     p.name)
    if len(others) > MAX_NAMED_UNKNOWN:
        findings.add(WARNING, "file.ignored", f"... and {len(others) - MAX_NAMED_UNKNOWN:,} more entries that are "
                     "not .csv files; they are ignored", path.name)
    return csvs


def _outside(link: Path, folder: Path) -> bool:
    try:
        target = link.resolve(strict=False)
        return not target.is_relative_to(folder.resolve())
    except (OSError, RuntimeError):
        return True


def read_csv_folder(path: Path, mapping: Mapping, findings: Findings) -> list[RawTable]:
    was_enabled = gc.isenabled()
    gc.disable()  # millions of cells become Python objects: the cycle collector would rescan them over and over
    try:
        return _read_csv_folder(path, mapping, findings)
    finally:
        if was_enabled:
            gc.enable()


def _read_csv_folder(path: Path, mapping: Mapping, findings: Findings) -> list[RawTable]:
    since = len(findings.items)
    out = []
    holder: dict[str, Path] = {}
    unknown: list[str] = []
    for f in _folder_entries(path, findings):
        table = mapping.table_name(f.stem)
        if table is None:
            unknown.append(f.name)
            continue
        if f.is_symlink() and _outside(f, path):
            findings.add(ERROR, "file.link_outside", "the file is a symbolic link to a file outside the folder; copy "
                         "the file into the folder instead", f.name, table)
            continue
        other = holder.get(table)
        if other is not None and not (mapping.is_explicit(f.stem) and mapping.is_explicit(other.stem)):
            findings.add(ERROR, "table.duplicate", f"this file and {quote(other.name)} both hold the {table} table; "
                         "keep one (or name both in the mapping file to read them together)", f.name, table)
            continue
        holder[table] = f
        text = textfile.read_text(f, f.name, findings)
        if text is None:
            continue
        recs = textfile.parse_csv(text, f.name, table, findings,
                                  known=lambda h, t=table: mapping.column_name(t, h) is not None)
        if recs is None:
            continue
        out.append(raw_table(table, recs.header, recs.rows, recs.lines, f.name, mapping, findings))
    if len(unknown) <= MAX_NAMED_UNKNOWN:
        for name in unknown:
            findings.add(WARNING, "table.unknown", "file is not a table of the schema; it is ignored", name)
    else:
        shown = ", ".join(quote(n) for n in unknown[:MAX_NAMED_UNKNOWN])
        findings.add(WARNING, "table.unknown", f"{len(unknown):,} files are not tables of the schema and are ignored: "
                     f"{shown} and {len(unknown) - MAX_NAMED_UNKNOWN:,} more", path.name)
    if stop_if_refused(findings, since, path.name):
        return []
    return out


__all__ = ["Mapping", "norm_name", "read_excel", "read_csv_folder", "TEMPLATE_SHEETS"]
