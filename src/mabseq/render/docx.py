"""tables.docx: the report's tables as real Word tables in journal style (python-docx), byte-stable. Text passes
:func:`mabseq.safe_text.escape_control` (XML cannot hold most control characters; a terminal sequence stays
visible), and the document carries no creation date."""
from __future__ import annotations

import datetime as dt
import io
import re
import zipfile

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from ..results.records import ResultSet
from ..safe_text import escape_control
from .tables import grid

FIXED = dt.datetime(2020, 1, 1)


def _border(cell, top=None, bottom=None):
    tc_pr = cell._tc.get_or_add_tcPr()
    borders = OxmlElement("w:tcBorders")
    for edge, size in (("top", top), ("bottom", bottom)):
        if size:
            el = OxmlElement(f"w:{edge}")
            el.set(qn("w:val"), "single")
            el.set(qn("w:sz"), str(size))
            el.set(qn("w:color"), "000000")
            borders.append(el)
    tc_pr.append(borders)


def build_docx(results: ResultSet, table_ids=("table1", "table2", "table3", "completeness")) -> Document:
    doc = Document()
    style = doc.styles["Normal"]
    style.font.name = "Arial"
    style.font.size = Pt(9)
    sec = doc.sections[0]
    sec.left_margin = sec.right_margin = Cm(2)
    if results.synthetic:
        p = doc.add_paragraph()
        p.add_run("SYNTHETIC DATA: bundled twin of the published cohort, not patient data.").bold = True
    nc = results.meta.get("not_computed", {})
    for tid in table_ids:
        if tid not in results.tables:
            if tid in nc:  # not computed: the title and the reason the results give
                doc.add_paragraph().add_run(nc[tid]["title"]).bold = True
                doc.add_paragraph(nc[tid]["reason"] + ".").runs[0].italic = True
                doc.add_paragraph()
            continue
        g = grid(results, results.tables[tid])
        title = doc.add_paragraph()
        title.add_run(escape_control(g.title, keep_newlines=False)).bold = True
        t = doc.add_table(rows=1 + len(g.rows), cols=len(g.header))
        cells = [r.cells for r in t.rows]  # once: Table.cell() walks the whole table on every call
        for j, h in enumerate(g.header):
            c = cells[0][j]
            c.text = escape_control(h, keep_newlines=False)
            c.paragraphs[0].runs[0].bold = True
            _border(c, top=12, bottom=6)
        strong = g.strong or [[False] * len(r) for r in g.rows]
        for i, (row, ind, kind, bold) in enumerate(zip(g.rows, g.indents, g.kinds, strong), start=1):
            for j, v in enumerate(row):
                c = cells[i][j]
                c.text = escape_control(v, keep_newlines=False)
                para = c.paragraphs[0]
                if j == 0:
                    para.paragraph_format.left_indent = Cm(0.35 * ind)
                    if kind == "header" and para.runs:
                        para.runs[0].bold = True
                else:
                    para.alignment = WD_ALIGN_PARAGRAPH.CENTER
                    if bold[j] and para.runs:  # a P below the table's threshold
                        para.runs[0].bold = True
                if i == len(g.rows):
                    _border(c, bottom=12)
        for f in g.footnotes:
            fp = doc.add_paragraph(escape_control(f, keep_newlines=False))
            fp.runs[0].font.size = Pt(8)
        doc.add_paragraph()
    cp = doc.core_properties
    cp.author = "mabseq"
    cp.created = FIXED
    cp.modified = FIXED
    cp.last_modified_by = "mabseq"
    cp.revision = 1
    return doc


def docx_bytes(results: ResultSet) -> bytes:
    """The document with fixed zip timestamps and core properties, so the same results give the same bytes."""
    buf = io.BytesIO()
    build_docx(results).save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name in sorted(src.namelist(), key=lambda n: (n != "[Content_Types].xml", n)):
            data = src.read(name)
            if name == "docProps/core.xml":  # no date at all: byte-stable, and nothing dated leaves
                data = re.sub(rb"<dcterms:(created|modified)[^>]*>[^<]*</dcterms:\1>", b"", data)
            info = zipfile.ZipInfo(name, date_time=(2020, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
    return out.getvalue()
