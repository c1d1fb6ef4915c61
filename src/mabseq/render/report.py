"""`mabseq report`: run the study, then render report.html, tables.docx and figures/ from the results only.

Figures are drawn in parallel worker processes (one task per figure and width); every output is deterministic, so
the order in which workers finish does not matter.
"""
from __future__ import annotations

import multiprocessing as mp
import os
from concurrent.futures import ProcessPoolExecutor

from ..studies.run import StudyRun, output_files

_RESULTS = None  # the ResultSet, inherited by forked workers


def _figure_task(task: tuple[str, str, float]) -> dict[str, bytes]:
    from .figures import figure_bytes, flow_figure, km_figure, swimmer_figure
    kind, fid, width = task
    res = _RESULTS
    if kind == "curve":
        fig, stem = km_figure(res, fid, width_cm=width), fid
    elif kind == "swimmer":
        fig, stem = swimmer_figure(res, width_cm=width), "swimmer"
    else:
        fig, stem = flow_figure(res, width_cm=width), "flow"
    out = {f"figures/{stem}_{width:g}cm.{fmt}": figure_bytes(fig, fmt) for fmt in ("pdf", "png")}
    if width == 17.0 and kind in ("curve", "swimmer"):
        out[f"svg/{stem}"] = figure_bytes(fig, "svg")
    return out


def _render_figures(res) -> dict[str, bytes]:
    global _RESULTS
    tasks = []
    for w in (8.0, 17.0):
        tasks += [("curve", cid, w) for cid in res.curves]
        if res.timelines is not None and len(res.timelines):
            tasks.append(("swimmer", "swimmer", w))
        if res.flow.boxes:
            tasks.append(("flow", "flow", w))
    _RESULTS = res
    out: dict[str, bytes] = {}
    workers = min(len(tasks), os.cpu_count() or 1)
    if workers > 1 and "fork" in mp.get_all_start_methods():
        with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as ex:
            for part in ex.map(_figure_task, tasks):
                out.update(part)
    else:
        for t in tasks:
            out.update(_figure_task(t))
    _RESULTS = None
    return out


def report_files(run: StudyRun, progress=None) -> dict[str, str | bytes]:
    """Every output file of the report (name -> content), computed in memory, deterministic."""
    from ..results import fidelity_table
    from .docx import docx_bytes
    from .figures import flow_svg
    from .html import render_html

    def step(msg):
        if progress is not None:
            progress(msg)

    res = run.results
    files: dict[str, str | bytes] = dict(output_files(run))
    step("figures (PDF and 600-dpi PNG at 8 and 17 cm)")
    figs = _render_figures(res)
    svgs = {k[len("svg/"):]: v.decode("utf-8") for k, v in figs.items() if k.startswith("svg/")}
    for k, v in figs.items():
        if k.startswith("figures/"):
            files[k] = v
    flow = flow_svg(res) if res.flow.boxes else ""
    if flow:
        files["figures/flow.svg"] = flow
    step("report.html")
    fid = res.meta.get("_fidelity_table")
    if fid is None:
        fid = fidelity_table(res)
    files["report.html"] = render_html(
        res, fidelity=fid, figure_svgs={k: _strip_xml_header(v) for k, v in svgs.items() if k in res.curves},
        flow_svg=_strip_xml_header(flow), swimmer_svg=_strip_xml_header(svgs.get("swimmer", "")))
    step("tables.docx")
    files["tables.docx"] = docx_bytes(res)
    return files


def _strip_xml_header(svg: str) -> str:
    i = svg.find("<svg")
    return svg[i:] if i >= 0 else svg
