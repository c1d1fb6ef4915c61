"""`mabseq report`: run the study, then render report.html, tables.docx and figures/ from the results only.

Figures are drawn in worker processes (one task per figure and width). :class:`FigureWorkers` forks them before the
study runs, so that they import matplotlib and load its fonts while the main process reads the cohort; the results
are sent to them once the study is done. Every output is deterministic, so the order in which workers finish does
not matter.
"""
from __future__ import annotations

import multiprocessing as mp
import os
import pickle

from ..studies.run import StudyRun, fidelity_of, output_files, shared
from .table_export import table_csvs

_CACHE: dict = {}  # in a worker: the results of the current run, unpickled once


def _warm_up() -> None:
    """Worker initialiser: default signal handling (``Pool.terminate`` ends a worker with SIGTERM at once, whatever
    handler the parent installed), then import the figure code and draw a little text, so that fonts and mathtext
    are loaded."""
    import signal
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle; it then terminates the pool
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from . import figures
    fig = Figure(figsize=(1, 1))
    FigureCanvasAgg(fig)
    fig.text(0.1, 0.5, r"n = 29 $\rightarrow$", family=figures.FONT)
    fig.canvas.draw()


def _results(token: str, blob: bytes | None):
    if _CACHE.get("token") != token:
        _CACHE.clear()
        _CACHE.update(token=token, results=pickle.loads(blob))
    return _CACHE["results"]


FIGURE_MODES = ("screen", "publication")
LAYOUT_DPI = {"screen": 72.0, "publication": 600.0}


def _figure_task(arg: tuple) -> dict[str, bytes]:
    """One figure at one width: the SVG at 17 cm (the HTML's, and ``figures/{stem}.svg``), and in publication mode
    PDF and 600-dpi PNG at that width; or the flow diagram's SVG."""
    from .figures import figure_bytes, km_figure, swimmer_figure
    from .flow_diagram import flow_figure, flow_svg
    token, blob, (kind, fid, width, mode) = arg
    res = _results(token, blob)
    if kind == "flow_svg":
        return {"figures/flow.svg": flow_svg(res).encode("utf-8")}
    if kind == "curve":
        fig, stem = km_figure(res, fid, width_cm=width), fid
    elif kind == "swimmer":
        fig, stem = swimmer_figure(res, width_cm=width), "swimmer"
    else:
        fig, stem = flow_figure(res, width_cm=width), "flow"
    dpi = LAYOUT_DPI[mode]
    out = {}
    if mode == "publication":
        out = {f"figures/{stem}_{width:g}cm.{fmt}": figure_bytes(fig, fmt, layout_dpi=dpi) for fmt in ("png", "pdf")}
    if width == 17.0 and kind in ("curve", "swimmer"):
        out[f"svg/{stem}"] = figure_bytes(fig, "svg", layout_dpi=dpi)
    return out


def _figure_tasks(res, mode: str = "screen") -> list[tuple[str, str, float, str]]:
    """The largest first (swimmer, then 17 cm), so that two workers finish close together. Screen: each curve and
    the swimmer plot once, as SVG at 17 cm. Publication: also PDF and 600-dpi PNG at 17 and 8 cm, the flow diagram
    too."""
    if mode not in FIGURE_MODES:
        raise ValueError(f"--figures {mode!r}: use {' or '.join(FIGURE_MODES)}")
    tasks = []
    has_swimmer = res.timelines is not None and len(res.timelines)
    for w in ((17.0, 8.0) if mode == "publication" else (17.0,)):
        if has_swimmer:
            tasks.append(("swimmer", "swimmer", w, mode))
        if res.flow.boxes and mode == "publication":
            tasks.append(("flow", "flow", w, mode))
        tasks += [("curve", cid, w, mode) for cid in res.curves]
    if res.flow.boxes:
        tasks.append(("flow_svg", "flow", 0.0, mode))
    return tasks


class FigureWorkers:
    """Worker processes for the figures, forked at once (``fork`` start method) and warming up while the caller
    runs the study. Without ``fork`` (or with one CPU) the figures are drawn in this process."""

    def __init__(self, processes: int | None = None):
        n = processes or min(2, os.cpu_count() or 1)
        self.pool = None
        if n > 1 and "fork" in mp.get_all_start_methods():
            self.pool = mp.get_context("fork").Pool(n, initializer=_warm_up)

    def draw(self, res, mode: str = "screen") -> "_Pending":
        tasks = _figure_tasks(res, mode)
        blob = pickle.dumps(res, protocol=pickle.HIGHEST_PROTOCOL)
        token = f"{os.getpid()}-{id(res)}-{len(blob)}"
        args = [(token, blob, t) for t in tasks]
        if self.pool is None:
            return _Pending(None, [_figure_task(a) for a in args])
        workers = list(getattr(self.pool, "_pool", []))  # the processes now: one that exits has lost its task
        return _Pending(self.pool.map_async(_figure_task, args, chunksize=1), None, workers, args)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.terminate()
            self.pool.join()
            self.pool = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class _Pending:
    """The figures being drawn. A worker that dies (killed from outside, e.g. by the kernel when memory runs out)
    takes its task with it and ``Pool`` would wait for ever: then the figures are drawn here instead (they are
    deterministic, so the bytes are the same)."""

    def __init__(self, async_result, done, workers=(), args=()):
        self._async, self._done, self._workers, self._args = async_result, done, list(workers), list(args)

    def get(self) -> list[dict[str, bytes]]:
        if self._async is None:
            return self._done
        while True:
            try:
                return self._async.get(timeout=0.5)
            except mp.TimeoutError:
                if any(w.exitcode is not None for w in self._workers):
                    return [_figure_task(a) for a in self._args]


def report_files(run: StudyRun, progress=None, workers: FigureWorkers | None = None, *,
                 shareable: bool = False, figures: str = "screen") -> dict[str, str | bytes]:
    """Every output file of the report (name -> content), computed in memory, deterministic; with ``shareable``
    the bundle of results/shareable.py (no swimmer plot, no patient-level file). ``figures``: "screen" (each
    figure once, SVG at 17 cm, in the HTML and figures/) or "publication" (also PDF and 600-dpi PNG at 8 and
    17 cm).

    The figures are handed to the workers first; the results files, Word tables and fidelity are computed in this
    process while they draw."""
    from .docx import docx_bytes
    from .html import render_html

    def step(msg):
        if progress is not None:
            progress(msg)

    own = workers is None
    workers = workers or FigureWorkers()
    try:
        fid = fidelity_of(run.results)
        res = shared(run) if shareable else run.results
        pending = workers.draw(res, figures)  # an unknown mode: ValueError from _figure_tasks
        step("results, fidelity and Word tables")
        files: dict[str, str | bytes] = dict(output_files(run, shareable=shareable))
        files["tables.docx"] = docx_bytes(res)
        files.update(table_csvs(res))  # one CSV per table, to restyle in a notebook (table_export.py)
        step("figures (SVG, PDF and 600-dpi PNG at 8 and 17 cm)" if figures == "publication" else
             "figures (SVG at 17 cm; --figures publication adds PDF and 600-dpi PNG)")
        figs: dict[str, bytes] = {}
        for part in pending.get():
            figs.update(part)
    finally:
        if own:
            workers.close()
    svgs = {k[len("svg/"):]: v.decode("utf-8") for k, v in figs.items() if k.startswith("svg/")}
    flow = figs.pop("figures/flow.svg", b"").decode("utf-8")
    if flow:
        files["figures/flow.svg"] = flow
    for k in sorted(figs):
        if k.startswith("figures/"):
            files[k] = figs[k]
    for stem in sorted(svgs):  # the SVG of every curve and of the swimmer plot, beside the HTML's copy
        files[f"figures/{stem}.svg"] = svgs[stem]
    step("report.html")
    files["report.html"] = render_html(
        res, fidelity=fid,
        figure_svgs={k: _strip_xml_header(v) for k, v in svgs.items() if k in res.curves},
        flow_svg=_strip_xml_header(flow), swimmer_svg=_strip_xml_header(svgs.get("swimmer", "")))
    if shareable:  # the README lists the whole bundle
        from ..results.shareable import readme
        files["README.txt"] = readme(run.results, list(files))
    return files


def _strip_xml_header(svg: str) -> str:
    i = svg.find("<svg")
    return svg[i:] if i >= 0 else svg
