"""An .xlsx file as a zip package, checked before any of it is inflated or parsed.

Rules (each refusal is one ERROR finding naming the workbook; the workbook is then not read):

- ``file.format``: not an Excel workbook at all: what it is instead (:mod:`mabseq.cohort.sniff`: an .xls, an
  .xlsb, an .ods, an encrypted workbook, a CSV file named .xlsx ...) and what to do.
- ``file.too_large``: larger on disk than the file limit.
- ``xlsx.too_many_parts``: more members than the limit (read from the zip's end record, before its directory).
- ``xlsx.zip_bomb``: a part whose uncompressed size (from the zip directory, which Python's zipfile and calamine
  both enforce while inflating) is over the part limit, or inflates more than ``max_ratio`` times; or all parts
  together over the total limit. A 1.6 MB file holding 1.5 GiB of XML is refused here in milliseconds.
- ``xlsx.damaged``: two members with the same name (which one a reader takes is not defined), an encrypted zip
  member, a workbook part or sheet that is missing or not well-formed XML.
- ``xlsx.dtd``: a part declaring a DTD or entities (``<!DOCTYPE``, ``<!ENTITY``): Excel never writes one, and it
  is how entity-expansion ("billion laughs") and external-entity attacks are built.

The small parts that say which sheets exist (``xl/workbook.xml`` and its relationships) are parsed with
``defusedxml`` (no DTDs, no entities); each sheet's name, visibility (visible, hidden, very hidden) and the zip
member holding it are returned as :class:`SheetInfo`.
"""
from __future__ import annotations

import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from . import limits as _limits
from . import sniff as _sniff
from .findings import ERROR, Findings, quote
from .limits import size_text

_DTD = re.compile(rb"<!\s*(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_ROOT = re.compile(rb"<[A-Za-z_]")
PROLOGUE_LIMIT = 1 << 20


@dataclass
class SheetInfo:
    name: str
    state: str  # "visible", "hidden" or "veryHidden"
    kind: str  # "worksheet", "chartsheet", "dialogsheet", "macrosheet" or "unknown"
    part: str | None  # the zip member holding it


@dataclass
class Package:
    path: Path
    zip: zipfile.ZipFile
    sheets: list[SheetInfo] = field(default_factory=list)

    def close(self) -> None:
        self.zip.close()


class Refused(Exception):
    def __init__(self, rule: str, message: str):
        super().__init__(message)
        self.rule, self.message = rule, message


def _check_sizes(zf: zipfile.ZipFile, lim: _limits.Limits) -> None:
    infos = zf.infolist()
    names: dict[str, str] = {}
    total = 0
    for info in infos:
        key = info.filename.lower()
        if key in names:
            raise Refused("xlsx.damaged", f"the workbook holds two parts named {quote(info.filename)}; it is "
                          "damaged or was made to mislead a reader")
        names[key] = info.filename
        if info.flag_bits & 0x1:
            raise Refused("xlsx.damaged", f"the part {quote(info.filename)} is encrypted inside the zip; this is "
                          "not a workbook Excel saved")
        size, packed = info.file_size, max(1, info.compress_size)
        total += size
        if size > lim.max_part_bytes:
            raise Refused("xlsx.zip_bomb", f"the part {quote(info.filename)} inflates to {size_text(size)}, more "
                          f"than the {size_text(lim.max_part_bytes)} one part of a workbook may hold")
        if size > lim.ratio_grace_bytes and size / packed > lim.max_ratio:
            raise Refused("xlsx.zip_bomb", f"the part {quote(info.filename)} would inflate from "
                          f"{size_text(packed)} to {size_text(size)} ({size / packed:,.0f} times; Excel's sheets "
                          f"inflate 5 to 30 times): refused as a zip bomb")
    if total > lim.max_total_bytes:
        raise Refused("xlsx.zip_bomb", f"the workbook inflates to {size_text(total)} in all, more than the "
                      f"{size_text(lim.max_total_bytes)} a workbook may hold")


def _check_prologue(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> None:
    """Refuse a DTD before the root element of an XML part (reading only up to that element)."""
    buf = b""
    with zf.open(info) as f:
        while len(buf) < PROLOGUE_LIMIT:
            chunk = f.read(4096)
            if not chunk:
                break
            buf += chunk
            m = _ROOT.search(buf)
            if m:
                buf = buf[:m.start()]
                break
    if _DTD.search(buf):
        raise Refused("xlsx.dtd", f"the part {quote(info.filename)} declares a DTD or entities, which Excel never "
                      "writes (it is how entity-expansion and external-entity attacks are made); the workbook is "
                      "refused")


def _parse_xml(zf: zipfile.ZipFile, name: str, lim: _limits.Limits):
    from defusedxml import DefusedXmlException
    from defusedxml.ElementTree import ParseError, fromstring
    try:
        data = zf.read(name)
    except KeyError:
        raise Refused("xlsx.damaged", f"the workbook has no part {quote(name)}; it is damaged") from None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, ValueError) as exc:
        raise Refused("xlsx.damaged", f"the part {quote(name)} cannot be inflated ({_short(exc)})") from None
    try:
        return fromstring(data)
    except DefusedXmlException:
        raise Refused("xlsx.dtd", f"the part {quote(name)} declares a DTD or entities; the workbook is "
                      "refused") from None
    except (ParseError, ValueError):
        raise Refused("xlsx.damaged", f"the part {quote(name)} is not well-formed XML; the workbook is "
                      "damaged") from None


def _short(exc: BaseException) -> str:
    """What went wrong, in words (never an exception's class name)."""
    if isinstance(exc, EOFError):
        return "the file ends too early"
    if isinstance(exc, zlib.error):
        return "its compressed data is damaged"
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return text[:160] if isinstance(exc, zipfile.BadZipFile) and text else "its data is damaged"


def _resolve(base_dir: str, target: str) -> str:
    if target.startswith("/"):
        return posixpath.normpath(target.lstrip("/"))
    return posixpath.normpath(posixpath.join(base_dir, target))


def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _attr(el, name: str) -> str | None:
    """An attribute by its local name, whatever its namespace (transitional or strict OOXML)."""
    for k, v in el.attrib.items():
        if _local(k) == name:
            return v
    return None


def _sheets(zf: zipfile.ZipFile, lim: _limits.Limits) -> list[SheetInfo]:
    members = {n.lower(): n for n in zf.namelist()}
    wb_name = members.get("xl/workbook.xml")
    if wb_name is None:
        raise Refused("xlsx.damaged", "the workbook has no xl/workbook.xml part; it is damaged")
    wb = _parse_xml(zf, wb_name, lim)
    rels_name = members.get("xl/_rels/workbook.xml.rels")
    rels = {}
    if rels_name is not None:
        for rel in _parse_xml(zf, rels_name, lim).iter():
            if _local(rel.tag) == "Relationship":
                rels[rel.get("Id")] = (rel.get("Type") or "", rel.get("Target") or "")
    out = []
    for sh in wb.iter():
        if _local(sh.tag) != "sheet":
            continue
        name = sh.get("name") or ""
        state = sh.get("state") or "visible"
        rtype, target = rels.get(_attr(sh, "id"), ("", ""))
        kind = rtype.rsplit("/", 1)[-1] if rtype else "unknown"
        part = members.get(_resolve("xl", target).lower()) if target else None
        out.append(SheetInfo(name, state, kind, part))
    return out


def open_package(path: Path, source: str, findings: Findings) -> Package | None:
    """The checked package of the workbook at ``path``; None (with one ERROR finding) when it is refused."""
    lim = _limits.current()

    def refuse(rule: str, message: str) -> None:
        findings.add(ERROR, rule, message, source)

    size = path.stat().st_size
    if size > lim.max_file_bytes:
        refuse("file.too_large", f"the workbook is {size_text(size)}, more than the {size_text(lim.max_file_bytes)} "
               "a workbook may be")
        return None
    count = _sniff.zip_entry_count(path) if size else None
    if count is not None and count > lim.max_parts:
        refuse("xlsx.too_many_parts", f"the workbook holds {count:,} parts, more than the {lim.max_parts:,} a "
               "workbook may hold")
        return None
    kind = _sniff.sniff(path, lim.max_parts)
    if kind.name != "xlsx":
        if kind.name == "text":
            refuse("file.format", "the file is a CSV or text file, not an Excel workbook (.xlsx): give a folder of "
                   "CSV files (one per table), or open it in Excel and save it as an Excel Workbook (.xlsx)")
        else:
            advice = f"; {kind.advice}" if kind.advice else ""
            refuse("file.format", f"the file is {kind.what}, not an Excel workbook (.xlsx){advice}")
        return None
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        refuse("xlsx.damaged", f"the workbook cannot be opened as a zip package ({_short(exc)}); it is damaged")
        return None
    try:
        _check_sizes(zf, lim)
        for info in zf.infolist():
            if info.filename.lower().endswith((".xml", ".rels", ".vml")):
                _check_prologue(zf, info)
        sheets = _sheets(zf, lim)
    except Refused as r:
        zf.close()
        refuse(r.rule, r.message)
        return None
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, RuntimeError, ValueError, NotImplementedError) as exc:
        zf.close()
        refuse("xlsx.damaged", f"the workbook cannot be read ({_short(exc)}); it is damaged")
        return None
    return Package(path, zf, sheets)


__all__ = ["Package", "SheetInfo", "Refused", "open_package"]
