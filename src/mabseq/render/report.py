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


def _figure_tasks(res) -> list[tuple[str, str, float]]:
    tasks = []
    for w in (17.0, 8.0):  # the 17 cm tasks first: they also give the report's SVGs
        tasks += [("curve", cid, w) for cid in res.curves]
        if res.timelines is not None and len(res.timelines):
            tasks.append(("swimmer", "swimmer", w))
        if res.flow.boxes:
            tasks.append(("flow", "flow", w))
    return tasks


def report_files(run: StudyRun, progress=None) -> dict[str, str | bytes]:
    """Every output file of the report (name -> content), computed in memory, deterministic.

    The figure workers start first; the results files, Word tables and fidelity are computed in this process while
    they draw."""
    global _RESULTS
    from ..results import fidelity_table
    from .docx import docx_bytes
    from .figures import flow_svg
    from .html import render_html

    def step(msg):
        if progress is not None:
            progress(msg)

    res = run.results
    tasks = _figure_tasks(res)
    _RESULTS = res
    workers = min(len(tasks), os.cpu_count() or 1)
    pool = None
    if workers > 1 and "fork" in mp.get_all_start_methods():
        pool = ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork"))
        futures = [pool.submit(_figure_task, t) for t in tasks]
    step("results, fidelity and Word tables")
    files: dict[str, str | bytes] = dict(output_files(run))
    files["tables.docx"] = docx_bytes(res)
    flow = flow_svg(res) if res.flow.boxes else ""
    if flow:
        files["figures/flow.svg"] = flow
    step("figures (PDF and 600-dpi PNG at 8 and 17 cm)")
    figs: dict[str, bytes] = {}
    if pool is not None:
        for f in futures:
            figs.update(f.result())
        pool.shutdown()
    else:
        for t in tasks:
            figs.update(_figure_task(t))
    _RESULTS = None
    svgs = {k[len("svg/"):]: v.decode("utf-8") for k, v in figs.items() if k.startswith("svg/")}
    for k in sorted(figs):
        if k.startswith("figures/"):
            files[k] = figs[k]
    step("report.html")
    fid = res.meta.get("_fidelity_table")
    if fid is None:
        fid = fidelity_table(res)
    files["report.html"] = render_html(
        res, fidelity=fid, figure_svgs={k: _strip_xml_header(v) for k, v in svgs.items() if k in res.curves},
        flow_svg=_strip_xml_header(flow), swimmer_svg=_strip_xml_header(svgs.get("swimmer", "")))
    return files


def _strip_xml_header(svg: str) -> str:
    i = svg.find("<svg")
    return svg[i:] if i >= 0 else svg
