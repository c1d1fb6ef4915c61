"""Figures from a :class:`~mabseq.results.ResultSet`: Kaplan-Meier and cumulative-incidence curves with a
numbers-at-risk table and the swimmer plot (the patient-flow diagram: ``flow_diagram.py``).

Renderers read the results only (curves, records, flow, timelines) and compute nothing statistical: steps, bands,
numbers at risk and p-values are drawn as stored.

* :func:`km_figure` - step curves per group (or per cause for ``kind == "cif"``), pointwise CI bands, "+" censor
  marks, months on the x-axis with 6-month ticks, the test p-value, and a numbers-at-risk table on the same ticks.
* :func:`swimmer_figure` - one lane per patient: therapies as bars, CR / relapse / alloHSCT / death as markers, an
  arrow for patients alive at last contact.
* the patient-flow (consort) diagram: ``render/flow_diagram.py`` (:func:`flow_svg`, :func:`flow_figure`).
* :func:`figure_bytes` and :func:`write_figures` - byte-identical SVG, PDF and 600-dpi PNG output.

matplotlib is used through :class:`matplotlib.figure.Figure` with the Agg canvas; pyplot is never imported, so no
global figure state is created, and every style setting is applied through ``matplotlib.rc_context``.
"""
from __future__ import annotations

import io
import math
import struct
import zlib
from functools import lru_cache
from pathlib import Path

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


def figure_bytes(fig: Figure, fmt: str, *, layout_dpi: float = DPI) -> bytes:
    """The figure as SVG, PDF or 600-dpi PNG, byte-identical from run to run (no dates or tool versions in the
    metadata, a fixed SVG hash salt, one bundled font). The layout is settled once, at ``layout_dpi`` (the PNG's
    600 dpi for publication figures; the screen report's SVG-only figures settle at 72 dpi, without drawing 600-dpi
    pixels nobody asked for)."""
    fmt = fmt.lower()
    if fmt not in _METADATA:
        raise ValueError(f"format {fmt!r}: use svg, pdf or png")
    _settle_layout(fig, layout_dpi)
    if fmt == "png":
        if getattr(fig, "_mabseq_png", None) is None:  # laid out at another resolution: the pixels at DPI now
            _draw_at(fig, DPI, keep_png=True)
        return fig._mabseq_png
    buf = io.BytesIO()
    with matplotlib.rc_context(_figure_rc(fig)):
        fig.savefig(buf, format=fmt, dpi=72, metadata=_METADATA[fmt])
    return buf.getvalue()


def _draw_at(fig: Figure, dpi: float, *, keep_png: bool, render: bool = True) -> None:
    """Draw at ``dpi`` (Agg), keeping the pixels as PNG with ``keep_png``; with ``render`` False the layout engine
    runs on a draw that renders nothing (no pixels wanted at that resolution)."""
    old = fig.dpi
    try:
        fig.set_dpi(dpi)
        with matplotlib.rc_context(_figure_rc(fig)):
            if render:
                fig.canvas.draw()
            else:
                fig.draw_without_rendering()
        if keep_png:
            fig._mabseq_png = _png_encode(np.asarray(fig.canvas.buffer_rgba()), dpi)
    finally:
        fig.set_dpi(old)


def _settle_layout(fig: Figure, dpi: float = DPI) -> None:
    """Draw the figure once with Agg at ``dpi`` (:data:`DPI` by default): that draw runs the layout engine (and, at
    :data:`DPI`, gives the PNG's pixels). The layout engine is then removed, so PDF and SVG reuse the same positions
    instead of laying out again on a dry draw before every save (matplotlib's default), and all formats share one
    layout whatever the order of calls."""
    if getattr(fig, "_mabseq_settled", False):
        return
    _draw_at(fig, dpi, keep_png=dpi == DPI, render=dpi == DPI)  # pixels only at the PNG's resolution
    fig._mabseq_settled = True
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
    from .flow_diagram import flow_figure, flow_svg
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
