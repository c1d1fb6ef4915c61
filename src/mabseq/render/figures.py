"""Figures from a :class:`~mabseq.results.ResultSet`: Kaplan-Meier and cumulative-incidence curves with a
numbers-at-risk table, the swimmer plot and the patient-flow (consort) diagram.

Renderers read the results only (curves, records, flow, timelines) and compute nothing statistical: steps, bands,
numbers at risk and p-values are drawn as stored.

* :func:`km_figure` - step curves per group (or per cause for ``kind == "cif"``), pointwise CI bands, "+" censor
  marks, months on the x-axis with 6-month ticks, the test p-value, and a numbers-at-risk table on the same ticks.
* :func:`swimmer_figure` - one lane per patient: therapies as bars, CR / relapse / alloHSCT / death as markers, an
  arrow for patients alive at last contact.
* :func:`flow_svg` - the consort diagram as a self-contained SVG string (no patient ids); :func:`flow_figure` draws
  the same layout with matplotlib for PDF and PNG.
* :func:`figure_bytes` and :func:`write_figures` - byte-identical SVG, PDF and 600-dpi PNG output.

matplotlib is used through :class:`matplotlib.figure.Figure` with the Agg canvas; pyplot is never imported, so no
global figure state is created, and every style setting is applied through ``matplotlib.rc_context``.
"""
from __future__ import annotations

import io
import math
import re
import struct
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle
from matplotlib.textpath import TextToPath

from ..results.format import format_p
from ..results.records import Curve, ResultSet
from ..results.suppression import exclusion_counts

MONTH_DAYS = 30.4375  # display only: months = days / 30.4375 (study-definition 1.5)
TICK_MONTHS = 6
DPI = 600
WIDTHS_CM = (8.0, 17.0)
FONT = "DejaVu Sans"  # ships with matplotlib, so the same glyphs everywhere
SVG_FONT_STACK = "'DejaVu Sans', Verdana, Arial, Helvetica, sans-serif"
HASH_SALT = "mabseq"

# Okabe-Ito: colour-blind safe
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442")
SINGLE = "#222222"

ORIGINS = {"mab1": "mAb1", "mab2": "mAb2", "tx": "alloHSCT", "relapse1": "relapse after mAb1", "cr2": "CR after mAb2"}
ENDPOINTS = {"os": "overall survival", "efs": "event-free survival", "lfs": "leukemia-free survival",
             "pfs": "progression-free survival"}

THERAPY_COLOURS = {
    "blinatumomab": "#0072B2", "inotuzumab": "#009E73", "chemotherapy": "#A6A6A6", "car_t": "#CC79A7",
    "investigational": "#56B4E9", "radiotherapy": "#F0E442", "tki": "#E69F00", "other": "#D9D9D9",
}
THERAPY_LABELS = {
    "blinatumomab": "Blinatumomab", "inotuzumab": "Inotuzumab ozogamicin", "chemotherapy": "Chemotherapy",
    "car_t": "CAR T cells", "investigational": "Investigational agent", "radiotherapy": "Radiotherapy",
    "tki": "TKI", "other": "Other therapy",
}
EXTRA_COLOURS = ("#882255", "#44AA99", "#999933", "#332288", "#AA4499", "#DDCC77")
# swimmer markers: kind -> (legend label, marker, face colour, edge colour, size factor)
EVENT_MARKERS = {
    "response": ("CR", "o", "white", "black", 0.9),
    "relapse": ("Relapse / progression", "^", "#D55E00", "black", 1.0),
    "transplant": ("alloHSCT", "*", "#FFD400", "black", 1.5),
    "death": ("Death", "X", "black", "black", 1.0),
    "alive": ("Alive at last contact", r"$\rightarrow$", "black", "black", 1.3),
}


# ---- style -------------------------------------------------------------------------------------------------------
def _font_size(width_cm: float) -> float:
    return 7.0 if width_cm < 12 else 8.5


def _rc(width_cm: float = 17.0) -> dict:
    fs = _font_size(width_cm)
    small = fs - 0.5
    lw = 0.6 if width_cm < 12 else 0.75
    return {
        "font.family": "sans-serif", "font.sans-serif": [FONT], "mathtext.fontset": "dejavusans",
        "font.size": fs, "axes.labelsize": fs, "axes.titlesize": fs, "xtick.labelsize": small,
        "ytick.labelsize": small, "legend.fontsize": small, "legend.title_fontsize": small,
        "axes.linewidth": lw, "xtick.major.width": lw, "ytick.major.width": lw, "xtick.major.size": 2.5,
        "ytick.major.size": 2.5, "xtick.major.pad": 2.0, "ytick.major.pad": 2.0, "axes.labelpad": 2.5,
        "lines.linewidth": 1.0 if width_cm < 12 else 1.25, "axes.spines.top": False, "axes.spines.right": False,
        "axes.edgecolor": "black", "text.color": "black", "axes.labelcolor": "black", "xtick.color": "black",
        "ytick.color": "black", "legend.frameon": False, "legend.handlelength": 1.6, "legend.borderaxespad": 0.3,
        "legend.handletextpad": 0.5, "legend.labelspacing": 0.3, "legend.columnspacing": 1.2,
        "axes.unicode_minus": True, "figure.facecolor": "white", "axes.facecolor": "white",
        "savefig.facecolor": "white", "figure.dpi": 100,
        # determinism and embedding
        "svg.hashsalt": HASH_SALT, "svg.fonttype": "path", "pdf.fonttype": 3, "pdf.compression": 6,
        "path.simplify": False, "text.hinting": "default",
    }


def _new_figure(width_cm: float, height_in: float, *, layout: str | None = "constrained") -> Figure:
    fig = Figure(figsize=(width_cm / 2.54, height_in), layout=None)
    FigureCanvasAgg(fig)
    if layout == "constrained":
        fig.set_layout_engine("constrained", w_pad=2 / 72, h_pad=2 / 72, hspace=0.0, wspace=0.0)
    fig._mabseq_rc = _rc(width_cm)  # applied again when saving: ticks and layout are made at draw time
    return fig


def _figure_rc(fig: Figure) -> dict:
    return getattr(fig, "_mabseq_rc", None) or _rc(fig.get_figwidth() * 2.54)


# ---- output ------------------------------------------------------------------------------------------------------
_METADATA = {
    "pdf": {"Creator": None, "Producer": None, "CreationDate": None},
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
}


def figure_bytes(fig: Figure, fmt: str) -> bytes:
    """The figure as SVG, PDF or 600-dpi PNG, byte-identical from run to run (no dates or tool versions in the
    metadata, a fixed SVG hash salt, one bundled font)."""
    fmt = fmt.lower()
    if fmt not in _METADATA:
        raise ValueError(f"format {fmt!r}: use svg, pdf or png")
    _settle_layout(fig)
    if fmt == "png":
        return fig._mabseq_png
    buf = io.BytesIO()
    with matplotlib.rc_context(_figure_rc(fig)):
        fig.savefig(buf, format=fmt, dpi=72, metadata=_METADATA[fmt])
    return buf.getvalue()


def _settle_layout(fig: Figure) -> None:
    """Draw the figure once with Agg at :data:`DPI`: that draw runs the layout engine and gives the PNG's pixels.
    The layout engine is then removed, so PDF and SVG reuse the same positions instead of laying out again on a dry
    draw before every save (matplotlib's default), and all formats share one layout whatever the order of calls."""
    if getattr(fig, "_mabseq_png", None) is not None:
        return
    old = fig.dpi
    try:
        fig.set_dpi(DPI)
        with matplotlib.rc_context(_figure_rc(fig)):
            fig.canvas.draw()
        fig._mabseq_png = _png_encode(np.asarray(fig.canvas.buffer_rgba()), DPI)
    finally:
        fig.set_dpi(old)
    fig.set_layout_engine(None)  # None, not "none": a placeholder engine would still trigger the dry draw


def _png_encode(rgba: np.ndarray, dpi: float) -> bytes:
    """RGBA pixels as a PNG (PNG spec, ISO/IEC 15948): IHDR, pHYs with the resolution, one zlib stream of unfiltered
    rows (filter type 0) at level 1, IEND. No time or software chunk, so the bytes depend on the pixels only.
    (Pillow's encoder tries a filter per row, which triples the time for a 600-dpi page.)"""
    h, w = rgba.shape[:2]
    z = zlib.compressobj(1)
    parts = []
    for row in rgba:
        parts.append(z.compress(b"\0"))
        parts.append(z.compress(row))
    parts.append(z.flush())
    ppm = round(dpi / 0.0254)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
            + chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)) + chunk(b"IDAT", b"".join(parts))
            + chunk(b"IEND", b""))


def write_figures(results: ResultSet, folder) -> list[Path]:
    """Write every curve, the swimmer plot and the flow diagram as PDF and 600-dpi PNG at 8 and 17 cm width
    (``{curve_id}_8cm.pdf``, ``{curve_id}_17cm.png``, ``swimmer_8cm.pdf``, ``flow_17cm.png`` ...) plus
    ``flow.svg``. Returns the paths written, sorted."""
    out = Path(folder)
    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    def save(fig: Figure, stem: str) -> None:
        for fmt in ("pdf", "png"):
            p = out / f"{stem}.{fmt}"
            p.write_bytes(figure_bytes(fig, fmt))
            written.append(p)

    for w in WIDTHS_CM:
        tag = f"{w:g}cm"
        for cid in results.curves:
            save(km_figure(results, cid, width_cm=w), f"{cid}_{tag}")
        if results.timelines is not None and len(results.timelines):
            save(swimmer_figure(results, width_cm=w), f"swimmer_{tag}")
        if results.flow.boxes:
            save(flow_figure(results, width_cm=w), f"flow_{tag}")
    if results.flow.boxes:
        p = out / "flow.svg"
        p.write_text(flow_svg(results), encoding="utf-8", newline="\n")
        written.append(p)
    return sorted(written)


# ---- helpers -----------------------------------------------------------------------------------------------------
def _months(days) -> np.ndarray:
    return np.asarray(days, dtype=float) / MONTH_DAYS


def month_ticks(max_months: float, min_months: float = 0.0) -> np.ndarray:
    """Ticks every 6 months covering [min_months, max_months] (at least one interval)."""
    lo = TICK_MONTHS * math.floor(min(0.0, min_months) / TICK_MONTHS + 1e-9)
    hi = TICK_MONTHS * math.ceil(max(max_months, 0.0) / TICK_MONTHS - 1e-9)
    hi = max(hi, lo + TICK_MONTHS)
    return np.arange(lo, hi + 1e-9, TICK_MONTHS, dtype=float)


def _tick_label(v: float) -> str:
    return f"{v:g}".replace("-", "\u2212")


def _group_label(curve: Curve, name) -> str:
    """A group's (or cause's) label as the curve carries it (set by the study preset), else its name."""
    return str((curve.labels or {}).get(name, name))


def _origin_label(endpoint: str) -> str:
    for key, label in ORIGINS.items():
        if endpoint.endswith("_" + key):
            return label
    return ""


def _y_label(curve: Curve) -> str:
    if curve.kind == "cif":
        return "Cumulative incidence"
    what = ENDPOINTS.get(curve.endpoint.split("_", 1)[0], "")
    return f"Probability of {what}" if what else "Probability"


def _x_label(endpoint: str) -> str:
    origin = _origin_label(endpoint)
    return f"Months from {origin}" if origin else "Months"


def p_text(results: ResultSet, test_id: str) -> str | None:
    """The p-value of a curve's test as shown in the figure, in the study's conventions: 'P = .48', 'P < .01'
    (paper) or 'P = 0.5', 'P > 0.9' (gtsummary), or 'not tested'."""
    if not test_id or test_id not in results.records:
        return None
    rec = results.records[test_id]
    if rec.value is None or isinstance(rec.value, str):
        return "Log-rank test: not tested" if "rank" in (rec.method or "log-rank") else "Test: not tested"
    s = format_p(rec.value, results.meta.get("conventions", "paper"))
    return f"P {s[0]} {s[1:]}" if s[:1] in "<>" else f"P = {s}"


# ---- Kaplan-Meier and cumulative incidence ---------------------------------------------------------------------
def km_figure(results: ResultSet, curve_id: str, *, width_cm: float = 17.0) -> Figure:
    """Kaplan-Meier (``kind == "km"``) or cumulative-incidence (``"cif"``) figure of ``results.curves[curve_id]``
    with CI bands, censor marks, the test p-value, a legend and a numbers-at-risk table aligned to the 6-month
    ticks."""
    curve = results.curves[curve_id]
    rc = _rc(width_cm)
    with matplotlib.rc_context(rc):
        return _km_figure(results, curve, width_cm, rc)


def _km_figure(results: ResultSet, curve: Curve, width_cm: float, rc: dict) -> Figure:
    fs = rc["font.size"]
    small = fs - 0.5
    cif = curve.kind == "cif"
    steps = curve.steps.copy()
    steps["time"] = pd.to_numeric(steps["time"], errors="coerce")
    groups = [g for g in pd.unique(steps["group"])]
    risk = curve.at_risk if curve.at_risk is not None else pd.DataFrame(columns=["group", "time", "n_risk"])
    show_risk = len(risk) > 0
    risk_groups = [g for g in groups if g in set(risk["group"])] + \
                  [g for g in pd.unique(risk["group"]) if g not in groups] if show_risk else []

    w_in = width_cm / 2.54
    main_h = w_in * (0.66 if width_cm < 12 else 0.52)
    row_h = small * 1.55 / 72
    risk_h = (len(risk_groups) + 0.6) * row_h + (fs * 1.6) / 72 if show_risk else 0.0
    fig = _new_figure(width_cm, main_h + risk_h + 0.15)
    if show_risk:
        gs = fig.add_gridspec(2, 1, height_ratios=[main_h, risk_h])
        ax = fig.add_subplot(gs[0])
        rax = fig.add_subplot(gs[1], sharex=ax)
    else:
        ax = fig.add_subplot(1, 1, 1)
        rax = None
    ax.set_label("curve")

    colours = {g: (SINGLE if len(groups) == 1 else PALETTE[i % len(PALETTE)]) for i, g in enumerate(groups)}
    for g in risk_groups:  # a cumulative-incidence figure has one risk row for its population: black
        colours.setdefault(g, SINGLE if cif else PALETTE[len(colours) % len(PALETTE)])
    t_max = float(np.nanmax(steps["time"])) if len(steps) else 0.0
    if show_risk:
        t_max = max(t_max, 0.0)
    ticks = month_ticks(t_max / MONTH_DAYS)
    start = 0.0 if cif else 1.0
    ms = 3.5 if width_cm < 12 else 4.5
    handles = []
    for g in groups:
        d = steps[steps["group"] == g].sort_values("time", kind="mergesort")
        t = _months(d["time"])
        est = d["estimate"].to_numpy(float)
        lo = d["lower"].to_numpy(float) if "lower" in d else np.full(len(d), np.nan)
        hi = d["upper"].to_numpy(float) if "upper" in d else np.full(len(d), np.nan)
        if cif:  # no interval while nothing has happened: the band is the point 0
            lo = np.where(np.isnan(lo) & (est == 0), 0.0, lo)
            hi = np.where(np.isnan(hi) & (est == 0), 0.0, hi)
        x0 = _curve_start(d, cif)
        x = np.concatenate([[x0], t])
        y = np.concatenate([[start], est])
        ylo = np.concatenate([[start], lo])
        yhi = np.concatenate([[start], hi])
        c = colours[g]
        bx, blo, bhi, bok = band_segments(x, ylo, yhi)
        ax.fill_between(bx, blo, bhi, where=bok, color=c, alpha=0.14, linewidth=0, zorder=1, label="band")
        ax.step(x, y, where="post", color=c, zorder=3, clip_on=False, solid_joinstyle="miter")
        # censor marks: a curve with group switches (Simon-Makuch) stores which censorings are true ones
        if "censored" in d or "n_censor" in d:
            cens = d["censored"].to_numpy(bool) if "censored" in d else d["n_censor"].to_numpy(float) > 0
            if cens.any():
                ax.plot(t[cens], est[cens], linestyle="none", marker="+", markersize=ms,
                        markeredgewidth=rc["lines.linewidth"] * 0.7, color=c, zorder=4, clip_on=False)
        n = d["group_n"].iloc[0] if "group_n" in d else None  # the size the results store (suppressed: as shown)
        label = _group_label(curve, g) + (f" (n = {n})" if n is not None and n != "" else "")
        handles.append(Line2D([], [], color=c, label=label))

    ax.set_xlim(ticks[0], ticks[-1])
    ax.set_xticks(ticks)
    ax.set_xticklabels([_tick_label(v) for v in ticks])
    ax.set_ylim(0, 1.0)
    yt = np.linspace(0, 1, 6)
    ax.set_yticks(yt)
    ax.set_yticklabels(["0"] + [f"{v:.1f}" for v in yt[1:]])
    ax.set_xlabel(_x_label(curve.endpoint))
    ax.set_ylabel(_y_label(curve))
    ax.spines["left"].set_bounds(0, 1)
    ax.tick_params(labelsize=small)

    if handles:
        ax.legend(handles=handles, loc="upper left" if cif else "upper right", fontsize=small,
                  handlelength=1.6, borderaxespad=0.2)
    pt = p_text(results, curve.test_id)
    if pt:
        if cif:
            ax.text(0.98, 0.04, pt, transform=ax.transAxes, ha="right", va="bottom", fontsize=small)
        else:
            ax.text(0.03, 0.04, pt, transform=ax.transAxes, ha="left", va="bottom", fontsize=small)

    if rax is not None:
        _risk_table(rax, risk, risk_groups, ticks, colours, curve, width_cm, small, legend_key=not cif)
    return fig


def _curve_start(d: pd.DataFrame, cif: bool) -> float:
    """Where a group's curve starts: the time the results store (the first entry into a group entered after the
    origin, e.g. the first transplant), else the origin; with suppressed counts a delayed-entry group starts at its
    first step."""
    if "curve_start" in d and len(d) and pd.notna(d["curve_start"].iloc[0]):
        return float(d["curve_start"].iloc[0]) / MONTH_DAYS
    if not cif and len(d) and "delayed_entry" in d and bool(d["delayed_entry"].iloc[0]):
        return float(d["time"].iloc[0]) / MONTH_DAYS
    return 0.0


def band_segments(x: np.ndarray, lo: np.ndarray, hi: np.ndarray):
    """A pointwise band as a step function to draw: the interval stored at ``x[i]`` holds until ``x[i + 1]`` (R's
    ``plot.survfit(conf.int = TRUE)``), so the band before a final drop to 0 (where R gives no interval) runs to the
    last time. Returns the segment ends ``x[0], x[1], x[1], x[2], ..., x[-1], x[-1]``, the lower and upper limit of
    each and whether the segment is drawn (both limits known)."""
    x, lo, hi = (np.asarray(v, dtype=float) for v in (x, lo, hi))
    if not len(x):
        return x, lo, hi, np.zeros(0, dtype=bool)
    ends = np.column_stack([x, np.append(x[1:], x[-1])]).ravel()
    ok = np.repeat(np.isfinite(lo) & np.isfinite(hi), 2)
    return ends, np.repeat(np.nan_to_num(lo), 2), np.repeat(np.nan_to_num(hi), 2), ok


def _risk_table(rax, risk: pd.DataFrame, groups: list, ticks: np.ndarray, colours: dict, curve: Curve,
                width_cm: float, small: float, legend_key: bool = True) -> None:
    """Numbers at risk (as stored in curve.at_risk) under the x ticks, one row per group. A narrow figure labels
    the rows with the group's line colour (``legend_key``) or, for the single population row of a
    cumulative-incidence figure, not at all."""
    rax.set_label("risk_table")
    for s in rax.spines.values():
        s.set_visible(False)
    rax.tick_params(axis="x", bottom=False, labelbottom=False)
    shown = risk["shown"] if "shown" in risk else pd.Series(  # suppressed numbers show their marker ('<5')
        ["" if pd.isna(v) else f"{int(v)}" for v in risk["n_risk"]], index=risk.index, dtype=object)
    digits = max([len(v) for v in shown if v] or [1])
    rax.tick_params(axis="y", left=False, pad=_text_width("0" * digits, small) / 2 + 0.6 * small)
    n = len(groups)
    rax.set_ylim(n - 0.5, -0.6)
    rax.set_yticks(range(n))
    compact = width_cm < 12
    labels = rax.set_yticklabels([("\u25ac\u25ac" if legend_key else "") if compact else _group_label(curve, g)
                                  for g in groups],
                                 fontsize=small)
    for lab, g in zip(labels, groups):
        lab.set_color(colours.get(g, "black"))
    rax.set_title("Number at risk", loc="left", fontsize=small, pad=2)
    lo, hi = ticks[0] - 1 / MONTH_DAYS, ticks[-1] + 1 / MONTH_DAYS  # the counts are at whole days near the ticks
    for row, g in enumerate(groups):
        d = risk[risk["group"] == g].sort_values("time", kind="mergesort")
        for t, nr in zip(d["time"], shown[d.index]):
            x = float(t) / MONTH_DAYS
            if not (lo <= x <= hi) or not nr:
                continue
            rax.text(x, row, nr, ha="center", va="center", fontsize=small, color="black")


# ---- swimmer plot ------------------------------------------------------------------------------------------------
def swimmer_figure(results: ResultSet, *, width_cm: float = 17.0) -> Figure:
    """One lane per patient (longest follow-up at the top): therapies as coloured bars, CR, relapse/progression,
    alloHSCT and death as markers, an arrow after the last contact of patients alive; months from mAb1. No patient
    ids are shown."""
    rc = _rc(width_cm)
    with matplotlib.rc_context(rc):
        return _swimmer(results, width_cm, rc)


def _swimmer(results: ResultSet, width_cm: float, rc: dict) -> Figure:
    fs = rc["font.size"]
    small = fs - 0.5
    tl = results.timelines
    if tl is None or not len(tl):
        fig = _new_figure(width_cm, 1.0)
        ax = fig.add_subplot(1, 1, 1)
        ax.set_axis_off()
        ax.text(0.5, 0.5, "No patient timelines", ha="center", va="center", transform=ax.transAxes)
        return fig
    tl = tl.copy()
    tl["start"] = pd.to_numeric(tl["start"], errors="coerce")
    tl["end"] = pd.to_numeric(tl["end"], errors="coerce").fillna(tl["start"])
    tl["patient_id"] = tl["patient_id"].astype(str)
    last = {}
    for pid, d in tl.groupby("patient_id", sort=True):
        contact = d[d["kind"].isin(["alive", "death"])]["start"].dropna()
        vals = contact if len(contact) else pd.concat([d["start"], d["end"]]).dropna()
        last[pid] = float(vals.max()) if len(vals) else 0.0
    order = sorted(last, key=lambda p: (-last[p], p))
    lane = {p: i for i, p in enumerate(order)}
    n = len(order)

    lane_in = 0.075 if width_cm < 12 else 0.11
    fig = _new_figure(width_cm, max(n * lane_in, 1.1) + 1.25)
    ax = fig.add_subplot(1, 1, 1)
    ax.set_label("swimmer")
    x_min = min(0.0, float(np.nanmin(tl["start"])) / MONTH_DAYS) if tl["start"].notna().any() else 0.0
    x_max = max(last.values()) / MONTH_DAYS if last else 0.0
    ticks = month_ticks(x_max, x_min)
    span = ticks[-1] - ticks[0]
    bar_h = 0.62
    ms = max(2.0, min(lane_in * 72 * 0.62, 5.5))
    lw = rc["axes.linewidth"]

    for p in order:
        y = lane[p]
        d = tl[tl["patient_id"] == p]
        s0 = min(0.0, float(d["start"].min()) / MONTH_DAYS) if d["start"].notna().any() else 0.0
        ax.plot([s0, last[p] / MONTH_DAYS], [y, y], color="#8C8C8C", linewidth=lw * 0.6, zorder=1,
                solid_capstyle="butt")

    therapy_labels = []
    extra = iter(EXTRA_COLOURS)
    colours = dict(THERAPY_COLOURS)
    th = tl[tl["kind"] == "therapy"].dropna(subset=["start"])
    for lab in sorted(set(th["label"].astype(str)), key=lambda s: (list(THERAPY_COLOURS).index(s)
                                                                   if s in THERAPY_COLOURS else 99, s)):
        therapy_labels.append(lab)
        if lab not in colours:
            colours[lab] = next(extra, "#BBBBBB")
    min_w = span * 0.004
    for row in th.sort_values(["patient_id", "start", "label"], kind="mergesort").itertuples(index=False):
        s = row.start / MONTH_DAYS
        e = row.end / MONTH_DAYS if not pd.isna(row.end) else s
        ax.add_patch(Rectangle((s, lane[row.patient_id] - bar_h / 2), max(e - s, min_w), bar_h,
                               facecolor=colours[str(row.label)], edgecolor="none", zorder=2))

    kinds_present = []
    for kind, (label, marker, face, edge, size) in EVENT_MARKERS.items():
        d = tl[(tl["kind"] == kind)].dropna(subset=["start"])
        if not len(d):
            continue
        kinds_present.append(kind)
        x = d["start"].to_numpy(float) / MONTH_DAYS
        y = d["patient_id"].map(lane).to_numpy(float)
        if kind == "alive":
            x = x + span * 0.012
        ax.plot(x, y, linestyle="none", marker=marker, markersize=ms * size, markerfacecolor=face,
                markeredgecolor=edge, markeredgewidth=lw * (0.0 if kind in ("alive",) else 0.7),
                color=edge, zorder=5 if kind != "alive" else 4, clip_on=False)

    ax.set_xlim(ticks[0], ticks[-1] + span * 0.03)
    ax.set_xticks(ticks)
    ax.set_xticklabels([_tick_label(v) for v in ticks])
    ax.spines["bottom"].set_bounds(ticks[0], ticks[-1])
    ax.set_ylim(n - 0.4, -0.6)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    ax.set_xlabel("Months from mAb1")
    ax.set_ylabel(f"Patients (n = {n})")
    ax.tick_params(labelsize=small)

    handles = [Patch(facecolor=colours[lab], edgecolor="none", label=THERAPY_LABELS.get(lab, lab.replace("_", " ")))
               for lab in therapy_labels]
    for kind in kinds_present:
        label, marker, face, edge, size = EVENT_MARKERS[kind]
        handles.append(Line2D([], [], linestyle="none", marker=marker, markersize=ms * size, markerfacecolor=face,
                              markeredgecolor=edge, markeredgewidth=lw * (0.0 if kind == "alive" else 0.7),
                              color=edge, label=label))
    if handles:
        fig.legend(handles=handles, loc="outside lower center", ncols=2 if width_cm < 12 else 5, fontsize=small,
                   handlelength=1.2, columnspacing=1.0)
    return fig


# ---- patient flow ------------------------------------------------------------------------------------------------
@dataclass
class _Box:
    x: float  # left
    y: float  # top
    w: float
    h: float
    lines: list = field(default_factory=list)  # (text, style: "" | "bold" | "italic", align)
    id: str = ""


@dataclass
class _FlowLayout:
    width: float
    height: float
    fs: float
    boxes: dict
    excluded: _Box | None
    edges: list  # polylines [(x, y), ...], arrow at the last point
    ex_edge: list | None  # polyline to the exclusion box


_TTP = TextToPath()


@lru_cache(maxsize=4096)
def _text_width(s: str, size: float, bold: bool = False, italic: bool = False) -> float:
    """Width of ``s`` in the units of ``size`` (DejaVu Sans metrics, the font of every figure)."""
    if not s:
        return 0.0
    prop = FontProperties(family=FONT, size=size, weight="bold" if bold else "normal",
                          style="italic" if italic else "normal")
    w, _, _ = _TTP.get_text_width_height_descent(s, prop, ismath=False)
    return float(w)


def _wrap(text: str, width: float, size: float, bold: bool = False, indent: str = "", italic: bool = False) -> list[str]:
    words = [w for w in re.split(r" +", str(text).replace("\n", " ")) if w]
    lines, cur = [], ""
    for w in words:
        cand = f"{cur} {w}" if cur else (indent + w if lines else w)
        if cur and _text_width(cand, size, bold, italic) > width:
            lines.append(cur)
            cur = indent + w
        else:
            cur = cand
    if cur or not lines:
        lines.append(cur)
    return [ln.replace(NBSP, " ") for ln in lines]


NBSP = "\u00a0"


def _n(k) -> str:
    """'n = k' kept together when wrapping."""
    return f"n{NBSP}={NBSP}{k}"


_DATE = re.compile(r"\s*\b\d{4}-\d{2}-\d{2}\b")
_AGE = re.compile(r"\bage \d+(?:\.\d+)? <")


def exclusion_reasons(results: ResultSet) -> list[tuple[str, int | str]]:
    """Exclusion reasons with their counts, most frequent first (a suppressed count as its marker). Patient-specific
    details in a reason (dates, exact ages) are dropped so that the figure shows categories, never individuals."""
    counts: dict[str, int | str] = {}
    for r, k in exclusion_counts(results):
        r = re.sub(r"\s+", " ", _AGE.sub("age <", _DATE.sub("", r))).strip()
        counts[r] = (counts.get(r, 0) + k) if isinstance(k, int) and isinstance(counts.get(r, 0), int) else k
    return sorted(counts.items(), key=lambda kv: (-(kv[1] if isinstance(kv[1], int) else 0), kv[0]))


def _flow_layout(results: ResultSet, width: float, fs: float) -> _FlowLayout:
    flow = results.flow
    margin = 0.6 * fs
    pad = 0.5 * fs
    line_h = 1.25 * fs
    hgap = 1.0 * fs
    vgap = 2.4 * fs
    inner = width - 2 * margin
    levels = sorted({int(b.get("level", 0)) for b in flow.boxes})
    boxes: dict[str, _Box] = {}
    rows: dict[int, tuple[float, float]] = {}
    y = margin
    excluded = None
    ex_edge = None
    reasons = exclusion_reasons(results)
    for li, lv in enumerate(levels):
        bs = [b for b in flow.boxes if int(b.get("level", 0)) == lv]
        slot = inner / len(bs)
        made = []
        for j, b in enumerate(bs):
            bw = min(slot - hgap, inner * 0.62)
            lines = [(s, "", "middle") for s in _wrap(b.get("label", ""), bw - 2 * pad, fs)]
            lines.append((f"n = {b.get('n', '')}", "bold", "middle"))  # its own line
            # why the boxes below do not add up to this one (patients in two of them, in none): stored with the flow
            note = re.sub(r"\bn = (\S+)", lambda m: _n(m.group(1)), str(b.get("note") or ""))
            lines += [(s, "italic", "middle") for s in _wrap(note, bw - 2 * pad, fs, italic=True) if note]
            need = max(_text_width(s, fs, st == "bold", st == "italic") for s, st, _ in lines) + 2 * pad
            bw = min(max(bw, need), slot - 0.3 * hgap)
            cx = margin + slot * (j + 0.5)
            made.append(_Box(cx - bw / 2, y, bw, 2 * pad + len(lines) * line_h, lines, str(b.get("id", ""))))
        row_h = max(m.h for m in made)
        for m in made:
            m.h = row_h
            boxes[m.id] = m
        rows[lv] = (y, y + row_h)
        y += row_h + vgap
        if li == 0 and reasons:
            top = made[0] if len(made) == 1 else None
            cx = top.x + top.w / 2 if top else width / 2
            ex_x = cx + 1.5 * fs
            ex_w = min(inner * 0.46, width - margin - ex_x)
            total = sum(k for _, k in reasons) if all(isinstance(k, int) for _, k in reasons) else \
                results.meta.get("n_excluded", "")  # suppressed: the total as the results show it
            lines = [(s, "bold", "start") for s in _wrap(f"Excluded ({_n(total)})", ex_w - 2 * pad, fs, True)]
            for r, k in reasons:
                lines += [(s, "", "start") for s in _wrap(f"\u2022 {r} ({_n(k)})", ex_w - 2 * pad, fs,
                                                          indent="\u2002\u2002")]
            ex_w = min(ex_w, max(_text_width(t, fs, st == "bold") for t, st, _ in lines) + 2 * pad + 0.5 * fs)
            ex_y = y - vgap + 0.6 * vgap
            excluded = _Box(ex_x, ex_y, ex_w, 2 * pad + len(lines) * line_h, lines, "excluded")
            ex_edge = [(cx, ex_y + excluded.h / 2), (ex_x, ex_y + excluded.h / 2)]
            y = ex_y + excluded.h + 0.6 * vgap
    height = y - vgap + margin
    edges = []
    for a, b in flow.edges:
        if a not in boxes or b not in boxes:
            continue
        A, B = boxes[a], boxes[b]
        xa, ya = A.x + A.w / 2, A.y + A.h
        xb, yb = B.x + B.w / 2, B.y
        if abs(xa - xb) < 0.5:
            edges.append([(xa, ya), (xb, yb)])
        else:
            ym = yb - vgap / 2
            edges.append([(xa, ya), (xa, ym), (xb, ym), (xb, yb)])
    return _FlowLayout(width, height, fs, boxes, excluded, edges, ex_edge)


def _f(v: float) -> str:
    s = f"{v:.1f}"
    return s[:-2] if s.endswith(".0") else s


def flow_svg(results: ResultSet) -> str:
    """The patient-flow diagram as a self-contained SVG string: boxes by level (top to bottom) with "n = X", arrows
    for the edges, and an exclusion box with reasons and counts (no patient ids)."""
    if not results.flow.boxes:
        return ('<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="300" '
                'height="40" viewBox="0 0 300 40"><text x="10" y="24" font-family=' + quoteattr(SVG_FONT_STACK)
                + ' font-size="12">No patient flow</text></svg>\n')
    L = _flow_layout(results, 760.0, 12.0)
    fs = L.fs
    line_h = 1.25 * fs
    pad = 0.5 * fs
    out = ['<?xml version="1.0" encoding="UTF-8"?>',
           f'<svg xmlns="http://www.w3.org/2000/svg" width="{_f(L.width)}" height="{_f(L.height)}" '
           f'viewBox="0 0 {_f(L.width)} {_f(L.height)}" font-family={quoteattr(SVG_FONT_STACK)} '
           f'font-size="{_f(fs)}" role="img" aria-label="Patient flow diagram">',
           '<title>Patient flow</title>',
           '<defs><marker id="mabseq-flow-arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" '
           'markerHeight="7" markerUnits="userSpaceOnUse" orient="auto"><path d="M0,0 L10,5 L0,10 z" '
           'fill="#000"/></marker></defs>',
           f'<rect x="0" y="0" width="{_f(L.width)}" height="{_f(L.height)}" fill="#fff"/>']
    out.append('<g fill="none" stroke="#000" stroke-width="1">')
    for pts in L.edges:
        d = "M" + " L".join(f"{_f(x)},{_f(y)}" for x, y in pts)
        out.append(f'<path d="{d}" marker-end="url(#mabseq-flow-arrow)"/>')
    if L.ex_edge:
        d = "M" + " L".join(f"{_f(x)},{_f(y)}" for x, y in L.ex_edge)
        out.append(f'<path d="{d}" marker-end="url(#mabseq-flow-arrow)"/>')
    out.append("</g>")

    def box_svg(b: _Box) -> None:
        out.append(f'<g class="box" data-box={quoteattr(b.id)}>')
        out.append(f'<rect x="{_f(b.x)}" y="{_f(b.y)}" width="{_f(b.w)}" height="{_f(b.h)}" fill="#fff" '
                   f'stroke="#000" stroke-width="1"/>')
        for i, (s, style, align) in enumerate(b.lines):
            yb = b.y + pad + line_h * (i + 0.5) + 0.36 * fs
            x = b.x + b.w / 2 if align == "middle" else b.x + pad
            weight = {"bold": ' font-weight="bold"', "italic": ' font-style="italic"'}.get(style, "")
            out.append(f'<text x="{_f(x)}" y="{_f(yb)}" text-anchor="{align}"{weight} '
                       f'xml:space="preserve">{escape(s)}</text>')
        out.append("</g>")

    for b in L.boxes.values():
        box_svg(b)
    if L.excluded is not None:
        box_svg(L.excluded)
    out.append("</svg>")
    return "\n".join(out) + "\n"


def flow_figure(results: ResultSet, *, width_cm: float = 17.0) -> Figure:
    """The same patient-flow layout as :func:`flow_svg`, drawn with matplotlib (for PDF and PNG)."""
    rc = _rc(width_cm)
    with matplotlib.rc_context(rc):
        W = width_cm / 2.54 * 72
        fs = 6.5 if width_cm < 12 else 8.0
        if not results.flow.boxes:
            fig = _new_figure(width_cm, 0.6, layout=None)
            ax = fig.add_axes((0, 0, 1, 1))
            ax.set_axis_off()
            ax.text(0.5, 0.5, "No patient flow", ha="center", va="center", transform=ax.transAxes)
            return fig
        L = _flow_layout(results, W, fs)
        fig = _new_figure(width_cm, L.height / 72, layout=None)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.set_label("flow")
        ax.set_axis_off()
        ax.set_xlim(0, L.width)
        ax.set_ylim(L.height, 0)
        lw = 0.6 if width_cm < 12 else 0.75
        line_h = 1.25 * fs
        pad = 0.5 * fs
        head = 0.55 * fs
        for pts in L.edges + ([L.ex_edge] if L.ex_edge else []):
            xs, ys = zip(*pts)
            (x1, y1), (x0, y0) = pts[-1], pts[-2]
            ax.plot(xs, ys, color="black", linewidth=lw, solid_capstyle="butt", zorder=1)
            ax.annotate("", xy=(x1, y1), xytext=(x0, y0),
                        arrowprops=dict(arrowstyle=f"-|>,head_length={head / fs:.2f},head_width={head / fs / 2.2:.2f}",
                                        mutation_scale=fs, color="black", linewidth=lw, shrinkA=0, shrinkB=0),
                        zorder=2)
        for b in list(L.boxes.values()) + ([L.excluded] if L.excluded is not None else []):
            ax.add_patch(Rectangle((b.x, b.y), b.w, b.h, facecolor="white", edgecolor="black", linewidth=lw,
                                   zorder=3))
            for i, (s, style, align) in enumerate(b.lines):
                yb = b.y + pad + line_h * (i + 0.5) + 0.36 * fs
                x = b.x + b.w / 2 if align == "middle" else b.x + pad
                ax.text(x, yb, s, ha="center" if align == "middle" else "left", va="baseline", fontsize=fs,
                        fontweight="bold" if style == "bold" else "normal",
                        fontstyle="italic" if style == "italic" else "normal", zorder=4)
        return fig
