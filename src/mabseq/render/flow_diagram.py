"""The patient-flow (consort) diagram of a :class:`~mabseq.results.ResultSet`, drawn from ``results.flow`` only:
:func:`flow_svg` a self-contained SVG string (no patient ids), :func:`flow_figure` the same layout with matplotlib
for PDF and PNG. The box counts, notes and exclusion counts are the results' (studies/flow.py computes them;
results/suppression.py marks small ones); this module lays them out. Split from figures.py, whose figure set-up,
fonts and byte-stable writers it shares."""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from ..results.records import ResultSet
from ..results.suppression import exclusion_counts
from .figures import SVG_FONT_STACK, _new_figure, _rc, _text_width


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
