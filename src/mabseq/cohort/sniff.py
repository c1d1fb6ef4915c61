"""What a file really is, from its first bytes, so that a refusal says it in the user's terms.

An ``.xls`` renamed ``.xlsx`` used to get "cannot open as an Excel workbook (BadZipFile)". :func:`sniff` tells
apart the files a data manager actually confuses, and :class:`Kind` carries a sentence for each and what to do:

- zip packages: an Excel workbook (``xl/workbook.xml``; .xlsx/.xlsm), an Excel *binary* workbook (``.xlsb``), an
  OpenDocument spreadsheet (``.ods``), a Word or PowerPoint file, any other zip archive;
- OLE2 compound files (``D0 CF 11 E0``): an encrypted, password-protected workbook (Excel stores those as OLE2
  holding ``EncryptionInfo``/``EncryptedPackage``), an Excel 97-2003 workbook (``Workbook``/``Book`` stream),
  another old Office file;
- DuckDB, Parquet, SQLite, PDF, gzip files;
- text: UTF-8 (with or without BOM), UTF-16/UTF-32 (BOM, or NUL bytes in every other place), a web page (some
  systems export HTML tables named .xls), an Excel 2003 XML spreadsheet, and any other text (a CSV);
- an empty file, and anything else (binary).

Written by hand on purpose: libraries that sniff file types (libmagic bindings, ``filetype``, ``puremagic``) say
"zip" or "CDF" for most of these, and none tells an encrypted OOXML workbook from an .xls; what is needed here is
a dozen fixed signatures and the stream names in an OLE2 directory (found by their UTF-16 names, which is enough
for a message: the file is refused either way).

:func:`special_file` names what is not a regular file or folder (a named pipe would block a read forever, a
device never ends), and :func:`zip_entry_count` reads the number of members from the zip's end record without
reading its directory (a zip of ten million members is refused before it costs anything).
"""
from __future__ import annotations

import codecs
import os
import stat
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

HEAD_BYTES = 64 * 1024
OLE_SCAN_BYTES = 16 * 1024 * 1024
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SAVE_XLSX = "open it in Excel (or LibreOffice) and save it as an Excel Workbook (.xlsx)"


@dataclass(frozen=True)
class Kind:
    name: str  # stable id: "xlsx", "xls", "encrypted", "text", ...
    what: str  # "an Excel 97-2003 workbook (.xls)"
    advice: str = ""  # what to do about it, when mabseq cannot read it as it is

    @property
    def is_text(self) -> bool:
        return self.name in ("text", "html", "xml_spreadsheet")


XLSX = Kind("xlsx", "an Excel workbook (.xlsx)")
KINDS = {k.name: k for k in (
    XLSX,
    Kind("xlsb", "an Excel binary workbook (.xlsb)", SAVE_XLSX),
    Kind("ods", "an OpenDocument spreadsheet (.ods)", "open it in LibreOffice and save it as Excel 2007-365 "
         "(.xlsx)"),
    Kind("docx", "a Word document", "copy the tables into an Excel workbook"),
    Kind("pptx", "a PowerPoint file", "copy the tables into an Excel workbook"),
    Kind("zip", "a zip archive", "unzip it and give the workbook or the folder of CSV files inside"),
    Kind("zip_damaged", "a damaged or truncated zip file (an .xlsx is a zip)", "copy or download the file again"),
    Kind("encrypted", "an encrypted (password-protected) workbook",
         "open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password) and "
         "save it again"),
    Kind("xls", "an Excel 97-2003 workbook (.xls)", SAVE_XLSX),
    Kind("ole", "an old Microsoft Office file (not an Excel workbook)", "save the data as an Excel Workbook "
         "(.xlsx)"),
    Kind("duckdb", "a DuckDB database file"),
    Kind("parquet", "a Parquet file", "give the folder of Parquet files that mabseq import wrote"),
    Kind("sqlite", "an SQLite database", "export its tables as CSV files"),
    Kind("pdf", "a PDF document", "give the data as an Excel workbook or CSV files"),
    Kind("gzip", "a gzip-compressed file", "uncompress it first"),
    Kind("utf16", "UTF-16 text (Excel's 'Unicode Text' or a database export)", "save it as 'CSV UTF-8 (Comma "
         "delimited)'"),
    Kind("utf32", "UTF-32 text", "save it as 'CSV UTF-8 (Comma delimited)'"),
    Kind("html", "a web page (HTML), as some systems export 'Excel' files", SAVE_XLSX),
    Kind("xml_spreadsheet", "an Excel 2003 XML spreadsheet", SAVE_XLSX),
    Kind("text", "a CSV or text file", ""),
    Kind("empty", "an empty file", ""),
    Kind("binary", "a binary file of unknown type", "give an Excel workbook (.xlsx) or a folder of CSV files"),
)}


def special_file(path: Path) -> str | None:
    """What ``path`` is when it is neither a regular file nor a folder ('a named pipe (FIFO)', ...); None
    otherwise. Links are followed; a broken or looping link or an unreadable path is named too."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be opened ({exc.strerror or type(exc).__name__})"
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a file"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device, not a file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a file"
    return "not a regular file"


def zip_entry_count(path: Path) -> int | None:
    """The number of members the zip's end-of-central-directory record declares (zip64 too); None when the file
    has no such record (damaged, truncated, or not a zip)."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            tail_len = min(size, 65536 + 22)
            f.seek(size - tail_len)
            tail = f.read(tail_len)
            at = tail.rfind(b"PK\x05\x06")
            if at < 0 or len(tail) - at < 22:
                return None
            count = struct.unpack_from("<H", tail, at + 10)[0]
            loc = at - 20
            if loc >= 0 and tail[loc:loc + 4] == b"PK\x06\x07":
                z64_offset = struct.unpack_from("<Q", tail, loc + 8)[0]
                if z64_offset + 56 > size:
                    return None
                f.seek(z64_offset)
                rec = f.read(56)
                if rec[:4] != b"PK\x06\x06":
                    return None
                count = struct.unpack_from("<Q", rec, 32)[0]
            return count
    except OSError:
        return None


def _zip_kind(path: Path, max_parts: int) -> Kind:
    count = zip_entry_count(path)
    if count is None:
        return KINDS["zip_damaged"]
    if count > max_parts:
        return KINDS["zip"]  # the workbook reader names the limit; too many members to list here
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
            mimetype = z.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, ValueError, EOFError):
        return KINDS["zip_damaged"]
    low = {n.lower() for n in names}
    if "xl/workbook.xml" in low:
        return XLSX
    if "xl/workbook.bin" in low:
        return KINDS["xlsb"]
    if b"opendocument.spreadsheet" in mimetype:
        return KINDS["ods"]
    if any(n.startswith("word/") for n in low):
        return KINDS["docx"]
    if any(n.startswith("ppt/") for n in low):
        return KINDS["pptx"]
    return KINDS["zip"]


def _ole_kind(path: Path) -> Kind:
    with open(path, "rb") as f:
        data = f.read(OLE_SCAN_BYTES)
    u = lambda s: s.encode("utf-16-le")  # noqa: E731  (directory entry names are UTF-16LE)
    if u("EncryptedPackage") in data or u("EncryptionInfo") in data:
        return KINDS["encrypted"]
    if u("Workbook") in data or u("Book\x00") in data:
        return KINDS["xls"]
    return KINDS["ole"]


def _text_kind(head: bytes) -> Kind:
    if head.startswith((b"\xff\xfe\x00\x00", b"\x00\x00\xfe\xff")):
        return KINDS["utf32"]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return KINDS["utf16"]
    sample = head[:4096]
    if b"\x00" in sample:
        even, odd = sample[0::2].count(0), sample[1::2].count(0)
        half = len(sample) // 2
        if half and (odd > 0.3 * half or even > 0.3 * half) and min(odd, even) < 0.05 * half:
            return KINDS["utf16"]
        return KINDS["binary"]
    body = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    try:
        text = codecs.getincrementaldecoder("utf-8")().decode(body, final=False)
    except UnicodeDecodeError:
        text = body.decode("cp1252", errors="replace")
    controls = sum(1 for ch in text[:4096] if ord(ch) < 32 and ch not in "\t\r\n\f\v")
    if controls > 0.01 * max(1, len(text[:4096])):
        return KINDS["binary"]
    start = text.lstrip()[:512].lower()
    if start.startswith("<!doctype html") or start.startswith("<html") or "<table" in start[:200]:
        return KINDS["html"]
    if start.startswith("<?xml") and "excel.sheet" in text[:2000].lower():
        return KINDS["xml_spreadsheet"]
    return KINDS["text"]


def sniff(path: Path, max_parts: int = 10_000) -> Kind:
    """The kind of the regular file at ``path`` (see the module docstring)."""
    try:
        with open(path, "rb") as f:
            head = f.read(HEAD_BYTES)
    except OSError:
        return KINDS["binary"]
    if not head:
        return KINDS["empty"]
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")):
        return _zip_kind(path, max_parts)
    if head.startswith(OLE_MAGIC):
        return _ole_kind(path)
    if head[8:12] == b"DUCK":
        return KINDS["duckdb"]
    if head.startswith(b"PAR1"):
        return KINDS["parquet"]
    if head.startswith(b"SQLite format 3\x00"):
        return KINDS["sqlite"]
    if head.startswith(b"%PDF"):
        return KINDS["pdf"]
    if head.startswith(b"\x1f\x8b"):
        return KINDS["gzip"]
    return _text_kind(head)


__all__ = ["Kind", "KINDS", "XLSX", "sniff", "special_file", "zip_entry_count", "SAVE_XLSX"]
