"""Resource limits of the readers: every input is bounded before it is read, and a refusal names the limit.

A hostile or damaged file must not take minutes or gigabytes: a workbook declaring a million-row dimension, a zip
bomb (a small .xlsx holding gigabytes of XML), a stray cell at XFD1048576, a 300 kB cell, a CSV of one endless line.
Each reader checks these numbers *before* the expensive step (the uncompressed sizes in the zip directory before
anything is inflated, a sheet's real extent before its cells are allocated) and refuses with an error saying which
limit was passed and how to get under it.

The defaults fit the largest cohort the project plans for (500,000 patients, a sheet of 1,048,576 rows, Excel's
own row limit) on a 24 GB machine:

=====================  ===============  ===========================================================================
limit                  default          why
=====================  ===============  ===========================================================================
max_file_bytes         1 GiB            any input file as stored on disk (workbook, CSV, REDCap export)
max_part_bytes         2 GiB            one uncompressed part of a workbook (a 1,048,576-row sheet is ~0.7 GiB)
max_total_bytes        3 GiB            all uncompressed parts of a workbook together
max_ratio              100              uncompressed / compressed size of one part (Excel's sheets inflate 5-30x;
                                        Apache POI refuses past 100x too); applies past ``ratio_grace_bytes``
ratio_grace_bytes      16 MiB           below this a part may compress as well as it likes
max_parts              10,000           files inside a workbook (1,000 sheets are ~1,000 parts)
max_rows               2,000,000        data rows of one sheet or CSV file (Excel stops at 1,048,576)
max_columns            16,384           columns of one sheet or CSV file (Excel's own limit, XFD)
max_cells              50,000,000       rows x columns of one sheet's used range (its cells are held in memory)
max_cell_chars         32,767           characters in one cell (Excel's own limit)
max_mapping_bytes      1 MiB            the column-mapping file (a real one is a few kB)
=====================  ===============  ===========================================================================

Tests and callers with other needs use :func:`using` (a context manager) instead of changing the defaults.
"""
from __future__ import annotations

import contextlib
import contextvars
from dataclasses import dataclass

KiB, MiB, GiB = 1 << 10, 1 << 20, 1 << 30


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int = 1 * GiB
    max_part_bytes: int = 2 * GiB
    max_total_bytes: int = 3 * GiB
    max_ratio: float = 100.0
    ratio_grace_bytes: int = 16 * MiB
    max_parts: int = 10_000
    max_rows: int = 2_000_000
    max_columns: int = 16_384
    max_cells: int = 50_000_000
    max_cell_chars: int = 32_767
    max_mapping_bytes: int = 1 * MiB


DEFAULT = Limits()
_current: contextvars.ContextVar[Limits] = contextvars.ContextVar("mabseq_reader_limits", default=DEFAULT)


def current() -> Limits:
    """The limits in force (the defaults unless inside :func:`using`)."""
    return _current.get()


@contextlib.contextmanager
def using(limits: Limits):
    """Read with other limits inside the ``with`` block."""
    token = _current.set(limits)
    try:
        yield limits
    finally:
        _current.reset(token)


def size_text(n: int) -> str:
    """A byte count for a message: '1.5 GiB', '38 kB'."""
    if n >= GiB:
        return f"{n / GiB:.1f} GiB"
    if n >= MiB:
        return f"{n / MiB:.1f} MiB"
    if n >= KiB:
        return f"{n / KiB:.0f} kB"
    return f"{n} bytes"


__all__ = ["Limits", "DEFAULT", "current", "using", "size_text"]
