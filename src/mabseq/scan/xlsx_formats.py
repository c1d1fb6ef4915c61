"""Which numeric cells of a workbook Excel *shows* as percent: ``0.12`` in the file, ``12%`` on the screen.

The grid holds a number as it is stored (``0.12``, :mod:`mabseq.cohort.grid`), which is right for a mapping, but a
center that typed ``12%`` sees 12 and would map the column as percent: a 100-fold error. So the scan counts, per
sheet column, the numeric cells whose cell style has a percent number format (built-in formats 9 ``0%`` and 10
``0.00%``, or a custom format with ``%`` outside quotes), and the profile reports it (``excel_percent``) beside the
values, so the mapping can say ``unit: fraction`` for that sheet and ``percent`` for another that holds ``12``.

Read: ``xl/styles.xml`` (parsed with defusedxml) for the styles, then each visible worksheet's XML streamed in 1 MiB
pieces and searched for ``<c r=".." s="..">`` cells with a value and no text type. The package was already checked
by :func:`mabseq.cohort.xlsx_package.open_package` (sizes, zip bombs, DTDs) when the grids were read; it is opened
through the same door again here. Written by hand: calamine, the cell reader, does not expose number formats, and
openpyxl would parse every cell a second time (many times slower).
"""
from __future__ import annotations

import re
from pathlib import Path

from defusedxml import ElementTree as DET

from ..cohort.findings import WARNING, Findings
from ..cohort.xlsx_package import open_package

BUILTIN_PERCENT = {9, 10}
_STYLED = re.compile(rb'<c\b([^>]*?)\bs="(\d+)"([^>]*?)(/?)>')
_ATTR = re.compile(rb'\b(r|t)="([^"]*)"')
_REF = re.compile(rb"^([A-Z]{1,3})(\d+)$")
_QUOTED = re.compile(r'"[^"]*"|\\.')
MAX_STYLES_BYTES = 32 << 20


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def percent_style_ids(styles_xml: bytes) -> set[int]:
    """Indexes of ``cellXfs`` whose number format shows a percent."""
    root = DET.fromstring(styles_xml)
    custom: dict[int, str] = {}
    xfs: list[int] = []
    for el in root:
        name = _local(el.tag)
        if name == "numFmts":
            for f in el:
                try:
                    custom[int(f.get("numFmtId", "-1"))] = f.get("formatCode", "")
                except ValueError:
                    continue
        elif name == "cellXfs":
            for xf in el:
                try:
                    xfs.append(int(xf.get("numFmtId", "0")))
                except ValueError:
                    xfs.append(0)
    out = set()
    for i, fid in enumerate(xfs):
        code = custom.get(fid)
        if fid in BUILTIN_PERCENT or (code is not None and "%" in _QUOTED.sub("", code)):
            out.add(i)
    return out


def _styles_part(zf) -> str | None:
    names = set(zf.namelist())
    return "xl/styles.xml" if "xl/styles.xml" in names else None


def _scan_part(zf, part: str, styles: set[bytes]) -> dict[int, int]:
    counts: dict[int, int] = {}
    buf = b""
    with zf.open(part) as fh:
        while True:
            piece = fh.read(1 << 20)
            buf += piece
            if piece:
                cut = buf.rfind(b"</row>")
                if cut < 0:
                    continue
                cut += len(b"</row>")
            else:
                cut = len(buf)
            for m in _STYLED.finditer(buf, 0, cut):
                if m.group(2) not in styles or m.group(4):   # another style, or an empty <c .../>
                    continue
                attrs = dict(_ATTR.findall(m.group(1) + m.group(3)))
                r, t = attrs.get(b"r"), attrs.get(b"t", b"n")
                close = buf.find(b"</c>", m.end(), cut)
                if r is None or t != b"n" or close < 0 or b"<v" not in buf[m.end():close]:
                    continue
                ref = _REF.match(r)
                if ref:
                    col = _col_number(ref.group(1))
                    counts[col] = counts.get(col, 0) + 1
            buf = buf[cut:]
            if not piece:
                break
    return counts


def percent_cells(path: Path, findings: Findings) -> dict[str, dict[int, int]]:
    """Per visible worksheet name: {1-based column number: numeric cells shown as percent}. Empty when the
    workbook has no percent style or cannot be read (the grid reader has already reported why)."""
    pkg = open_package(path, path.name, Findings())
    if pkg is None:
        return {}
    try:
        part = _styles_part(pkg.zip)
        if part is None or pkg.zip.getinfo(part).file_size > MAX_STYLES_BYTES:
            return {}
        styles = {str(i).encode() for i in percent_style_ids(pkg.zip.read(part))}
        if not styles:
            return {}
        out = {}
        for sh in pkg.sheets:
            if sh.state == "visible" and sh.kind == "worksheet" and sh.part is not None:
                out[sh.name] = _scan_part(pkg.zip, sh.part, styles)
        return out
    except Exception as exc:  # noqa: BLE001 - a hint only: a workbook the grid reader accepted, this cannot parse
        findings.add(WARNING, "scan.formats_unread", "the cells' display formats could not be read, so numbers "
                     f"shown as percent in Excel are not marked ({str(exc)[:120]})", path.name)
        return {}
    finally:
        pkg.close()


__all__ = ["percent_cells", "percent_style_ids", "BUILTIN_PERCENT"]
