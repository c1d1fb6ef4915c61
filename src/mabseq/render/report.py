"""`mabseq report`: run the study, then render report.html, tables.docx and figures/ from the results only."""
from __future__ import annotations

import tempfile
from pathlib import Path

from ..studies.run import StudyRun, output_files


def report_files(run: StudyRun, progress=None) -> dict[str, str | bytes]:
    """Every output file of the report (name -> content), computed in memory, deterministic."""
    from ..results import fidelity_table
    from .docx import docx_bytes
    from .figures import figure_bytes, flow_svg, km_figure, swimmer_figure, write_figures
    from .html import render_html

    def step(msg):
        if progress is not None:
            progress(msg)

    res = run.results
    files: dict[str, str | bytes] = dict(output_files(run))
    step("figures")
    svgs = {}
    for cid in res.curves:
        svgs[cid] = figure_bytes(km_figure(res, cid, width_cm=17.0), "svg").decode("utf-8")
    swimmer = figure_bytes(swimmer_figure(res, width_cm=17.0), "svg").decode("utf-8") if len(res.timelines) else ""
    flow = flow_svg(res)
    step("report.html")
    fid = fidelity_table(res)
    files["report.html"] = render_html(res, fidelity=fid, figure_svgs={k: _strip_xml_header(v) for k, v in svgs.items()},
                                       flow_svg=_strip_xml_header(flow), swimmer_svg=_strip_xml_header(swimmer))
    step("tables.docx")
    files["tables.docx"] = docx_bytes(res)
    step("figures/ (PDF and 600-dpi PNG at 8 and 17 cm)")
    with tempfile.TemporaryDirectory() as tmp:
        write_figures(res, tmp)
        for f in sorted(Path(tmp).iterdir()):
            files[f"figures/{f.name}"] = f.read_bytes()
    return files


def _strip_xml_header(svg: str) -> str:
    i = svg.find("<svg")
    return svg[i:] if i >= 0 else svg
