"""Figure renderers: KM / CIF curves with risk tables, swimmer plot, flow diagram, deterministic output.

The ResultSet is built by the real pipeline (Builder.km / Builder.cif) on synthetic time-to-event data; timelines
and flow are small hand-made examples.
"""
from __future__ import annotations

import hashlib
import io
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.figure import Figure
from PIL import Image

from mabseq.render.flow_diagram import flow_figure, flow_svg
from mabseq.render.figures import (
    MONTH_DAYS,
    figure_bytes,
    km_figure,
    swimmer_figure,
    write_figures,
)
from mabseq.results.format import fmt_p
from mabseq.results.records import ResultSet
from mabseq.studies.builder import Builder, Pop

PATIENT_IDS = [f"PT{i:03d}" for i in range(1, 41)]


def make_tte() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The test cohort: one row per patient (adsl) and its time-to-event rows (adtte)."""
    rng = np.random.default_rng(20240611)
    n = len(PATIENT_IDS)
    adsl = pd.DataFrame({"patient_id": PATIENT_IDS, "arm": ["A"] * 20 + ["B"] * 20})
    scale = np.where(adsl["arm"] == "A", 700.0, 350.0)
    event = rng.exponential(scale)
    cens = rng.uniform(60, 1300, n)
    time = np.floor(np.minimum(event, cens)) + 1
    status = (event <= cens).astype(int)
    cause = np.where(status == 1, rng.integers(1, 3, n), 0)
    rows = []
    for i, pid in enumerate(PATIENT_IDS):
        rows.append({"patient_id": pid, "endpoint": "os_mab2", "origin": "mab2", "time": float(time[i]),
                     "status": int(status[i]), "entry": 0.0})
        rows.append({"patient_id": pid, "endpoint": "cir_mab2", "origin": "mab2", "time": float(time[i]),
                     "status": int(cause[i]), "entry": 0.0})
    adtte = pd.DataFrame(rows)
    return adsl, adtte


def make_results() -> ResultSet:
    adsl, adtte = make_tte()
    res = ResultSet("test", synthetic=True)
    full = Pop("FULL", "All patients", adsl)
    a = full.where("A", "Arm A", lambda f: f["arm"] == "A")
    b = full.where("B", "Arm B", lambda f: f["arm"] == "B")
    tiny = full.where("C", "Arm C", lambda f: f["patient_id"].isin(PATIENT_IDS[:3]))
    res.meta["group_labels"] = {"A": "Arm A", "B": "Arm B", "C": "Arm C"}
    bld = Builder(res, adtte)
    bld.km("os_ab", "Overall survival by arm", [a, b], "os_mab2", ids={"A": "os_1y_a", "B": "os_1y_b"},
           test_id="os_ab_p", paper_test=False)
    bld.km("os_all", "Overall survival", [full], "os_mab2", ids={"FULL": "os_1y_all"})
    bld.km("os_a_vs_tiny", "Overall survival, arm A vs a tiny arm", [a, tiny], "os_mab2", test_id="os_tiny_p",
           paper_test=False)
    bld.cif("cir_nrm", "Relapse and non-relapse mortality", full, "cir_mab2", causes={1: "relapse", 2: "nrm"},
            at=(100, 365), id_stem="cif")
    res.timelines = pd.DataFrame([
        ("PT001", "therapy", "blinatumomab", 0, 56), ("PT001", "response", "CR", 40, 40),
        ("PT001", "therapy", "inotuzumab", 120, 180), ("PT001", "transplant", "alloHSCT", 230, 230),
        ("PT001", "alive", "alive at last contact", 900, 900),
        ("PT002", "therapy", "inotuzumab", 0, 63), ("PT002", "therapy", "blinatumomab", 90, 150),
        ("PT002", "relapse", "relapse/progression", 200, 200), ("PT002", "therapy", "car_t", 230, 231),
        ("PT002", "death", "death", 410, 410),
        ("PT003", "therapy", "chemotherapy", -20, 10), ("PT003", "therapy", "blinatumomab", 30, 85),
        ("PT003", "therapy", "inotuzumab", 100, 160), ("PT003", "response", "CR", 140, 140),
        ("PT003", "alive", "alive at last contact", 640, 640),
    ], columns=["patient_id", "kind", "label", "start", "end"])
    f = res.flow
    f.excluded = [{"patient_id": "PT090", "reason": "diagnosis T-ALL is not B-ALL"},
                  {"patient_id": "PT091", "reason": "did not receive both antibodies for R/R disease (no inotuzumab)"},
                  {"patient_id": "PT092", "reason": "did not receive both antibodies for R/R disease (no inotuzumab)"},
                  {"patient_id": "PT093", "reason": "mAb1 started 2009-05-04 outside the enrollment period"}]
    f.boxes = [
        {"id": "screened", "label": "Patients in the data set", "n": 44, "patients": PATIENT_IDS, "level": 0},
        {"id": "included", "label": "Received both blinatumomab and inotuzumab for R/R B-ALL", "n": 40,
         "patients": PATIENT_IDS, "level": 1},
        {"id": "BF", "label": "Blinatumomab mAb1", "n": 20, "patients": PATIENT_IDS[:20], "level": 2},
        {"id": "IF", "label": "Inotuzumab mAb1", "n": 20, "patients": PATIENT_IDS[20:], "level": 2},
        {"id": "BF_cr1", "label": "CR after mAb1", "n": 9, "patients": PATIENT_IDS[:9], "level": 3},
        {"id": "BF_nr1", "label": "No response to mAb1", "n": 11, "patients": PATIENT_IDS[9:20], "level": 3},
        {"id": "IF_cr1", "label": "CR after mAb1", "n": 13, "patients": PATIENT_IDS[20:33], "level": 3},
        {"id": "IF_nr1", "label": "No response to mAb1 & <others>", "n": 7, "patients": PATIENT_IDS[33:],
         "level": 3},
    ]
    f.edges = [("screened", "included"), ("included", "BF"), ("included", "IF"), ("BF", "BF_cr1"),
               ("BF", "BF_nr1"), ("IF", "IF_cr1"), ("IF", "IF_nr1")]
    return res


@pytest.fixture(scope="module")
def results() -> ResultSet:
    return make_results()


def _axes(fig: Figure, label: str):
    hits = [a for a in fig.axes if a.get_label() == label]
    assert len(hits) == 1, [a.get_label() for a in fig.axes]
    return hits[0]


def _texts(ax) -> list[str]:
    return [t.get_text() for t in ax.texts]


# ---- Kaplan-Meier ------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("width", [8.0, 17.0])
def test_km_renders_with_p_value(results, width):
    fig = km_figure(results, "os_ab", width_cm=width)
    assert isinstance(fig, Figure)
    ax = _axes(fig, "curve")
    p = results.value("os_ab_p")
    assert p is not None
    expected = fmt_p(p)
    shown = "P < .01" if expected == "<.01" else f"P = {expected}"
    assert shown in _texts(ax)
    # legend: group labels with n
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Arm A (n = 20)", "Arm B (n = 20)"]
    assert ax.get_ylim() == (0.0, 1.0)
    assert figure_bytes(fig, "png")[:8] == b"\x89PNG\r\n\x1a\n"


def test_km_not_tested_and_single_group(results):
    assert results.value("os_tiny_p") is None
    ax = _axes(km_figure(results, "os_a_vs_tiny"), "curve")
    assert any("not tested" in t for t in _texts(ax))
    ax1 = _axes(km_figure(results, "os_all"), "curve")
    assert not any(t.startswith("P ") for t in _texts(ax1))  # no test record: no p-value
    assert [t.get_text() for t in ax1.get_legend().get_texts()] == ["All patients (n = 40)"]


@pytest.mark.parametrize("curve_id", ["os_ab", "os_all", "cir_nrm"])
def test_ticks_every_six_months(results, curve_id):
    fig = km_figure(results, curve_id, width_cm=8.0)
    ax = _axes(fig, "curve")
    ticks = np.asarray(ax.get_xticks(), float)
    assert len(ticks) >= 2
    assert np.allclose(ticks % 6, 0)
    assert np.allclose(np.diff(ticks), 6)
    assert ax.get_xlim() == (ticks[0], ticks[-1])
    steps = results.curves[curve_id].steps
    assert ticks[-1] >= steps["time"].max() / MONTH_DAYS
    assert ticks[-1] - 6 < steps["time"].max() / MONTH_DAYS
    assert ax.get_xlabel().startswith("Months")


@pytest.mark.parametrize("width", [8.0, 17.0])
def test_risk_table_equals_at_risk(results, width):
    curve = results.curves["os_ab"]
    fig = km_figure(results, "os_ab", width_cm=width)
    ax, rax = _axes(fig, "curve"), _axes(fig, "risk_table")
    ticks = np.asarray(ax.get_xticks(), float)
    assert rax.get_xlim() == ax.get_xlim()  # same axis, same ticks
    shown = {}
    for t in rax.texts:
        x, y = t.get_position()
        shown[(int(round(y)), round(x, 6))] = int(t.get_text())
    groups = list(pd.unique(curve.steps["group"]))
    expected = {}
    for row in curve.at_risk.itertuples(index=False):
        x = row.time / MONTH_DAYS
        if x <= ticks[-1] + 1 / MONTH_DAYS:
            expected[(groups.index(row.group), round(x, 6))] = int(row.n_risk)
    assert shown == expected
    assert len(expected) == 2 * len(ticks)
    # every number sits on a tick (at-risk times are whole days at multiples of 6 months)
    for _, x in shown:
        assert np.min(np.abs(ticks - x)) < 0.02
    if width >= 12:
        assert [t.get_text() for t in rax.get_yticklabels()] == ["Arm A", "Arm B"]


def test_censor_marks(results):
    curve = results.curves["os_ab"]
    ax = _axes(km_figure(results, "os_ab"), "curve")
    marks = [ln for ln in ax.get_lines() if ln.get_marker() == "+"]
    got = sorted(float(x) for ln in marks for x in ln.get_xdata())
    want = sorted((curve.steps.loc[curve.steps["n_censor"] > 0, "time"] / MONTH_DAYS).tolist())
    assert got == pytest.approx(want)


def test_cif_figure(results):
    curve = results.curves["cir_nrm"]
    assert curve.kind == "cif"
    fig = km_figure(results, "cir_nrm", width_cm=17.0)
    ax = _axes(fig, "curve")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["Relapse", "Non-relapse mortality"]
    steps = [ln for ln in ax.get_lines() if ln.get_marker() in ("None", "", None)]
    assert len(steps) == 2
    for ln in steps:
        y = np.asarray(ln.get_ydata(), float)
        assert y[0] == 0.0 and np.all(np.diff(y) >= -1e-12)  # rising from 0
    assert ax.get_ylabel() == "Cumulative incidence"
    assert len(ax.collections) >= 2  # CI bands
    # one numbers-at-risk row for the population: everyone still free of any event and uncensored at the tick
    rax = _axes(fig, "risk_table")
    ticks = np.asarray(ax.get_xticks(), float)
    adtte = make_tte()[1]
    d = adtte[adtte["endpoint"] == "cir_mab2"]
    shown = {round(t.get_position()[0] * MONTH_DAYS): int(t.get_text()) for t in rax.texts}
    assert {int(round(y)) for y in (t.get_position()[1] for t in rax.texts)} == {0}
    want = {int(round(m * MONTH_DAYS)): int((d["time"] >= round(m * MONTH_DAYS)).sum()) for m in ticks}
    assert shown == want and shown[0] == len(d)
    assert [t.get_text() for t in rax.get_yticklabels()] == ["All patients"]
    narrow = km_figure(results, "cir_nrm", width_cm=8.0)
    assert [t.get_text() for t in _axes(narrow, "risk_table").get_yticklabels()] == [""]  # no colour key: one row


# ---- swimmer -----------------------------------------------------------------------------------------------------
def test_swimmer(results):
    fig = swimmer_figure(results, width_cm=17.0)
    ax = _axes(fig, "swimmer")
    ticks = np.asarray(ax.get_xticks(), float)
    assert np.allclose(ticks % 6, 0) and ticks[0] < 0  # therapy before mAb1 is shown
    assert ax.get_ylabel() == "Patients (n = 3)"
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    for want in ("Blinatumomab", "Inotuzumab ozogamicin", "Chemotherapy", "CAR T cells", "CR", "alloHSCT",
                 "Death", "Relapse / progression", "Alive at last contact"):
        assert want in labels
    # lanes sorted by follow-up: the longest (PT001, 900 d) at the top (lane 0)
    lanes = [ln for ln in ax.get_lines() if ln.get_color() == "#8C8C8C"]  # the thin line of each lane
    ends = {int(ln.get_ydata()[0]): ln.get_xdata()[1] for ln in lanes}
    assert ends[0] == pytest.approx(900 / MONTH_DAYS) and ends[2] == pytest.approx(410 / MONTH_DAYS)
    svg = figure_bytes(fig, "svg").decode()
    assert "PT001" not in svg


# ---- flow --------------------------------------------------------------------------------------------------------
def test_flow_svg(results):
    svg = flow_svg(results)
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag.endswith("svg")
    text = " ".join("".join(t.itertext()) for t in root.iter("{http://www.w3.org/2000/svg}text"))
    for b in results.flow.boxes:
        assert f"n = {b['n']}" in text
    assert "Excluded (n = 4)" in text
    assert "diagnosis T-ALL is not B-ALL (n = 1)" in text
    assert "did not receive both antibodies" in text and "(n = 2)" in text
    assert "outside the enrollment period (n = 1)" in text
    assert "2009-05-04" not in svg  # patient-level detail dropped from the reason
    assert "&amp;" in svg and "&lt;others&gt;" in svg and "<others>" in text  # escaped, and parsed back
    for pid in PATIENT_IDS + ["PT090", "PT091", "PT092", "PT093"]:
        assert pid not in svg
    boxes = [g for g in root.iter("{http://www.w3.org/2000/svg}g") if g.get("class") == "box"]
    assert len(boxes) == len(results.flow.boxes) + 1
    paths = [p for p in root.iter("{http://www.w3.org/2000/svg}path") if p.get("marker-end")]
    assert len(paths) == len(results.flow.edges) + 1
    assert flow_svg(results) == svg


def test_flow_figure(results):
    fig = flow_figure(results, width_cm=17.0)
    ax = _axes(fig, "flow")
    text = " ".join(_texts(ax))
    for b in results.flow.boxes:
        assert f"n = {b['n']}" in text
    assert "PT0" not in text


# ---- output ------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("width,pixels", [(8.0, 1890), (17.0, 4016)])
@pytest.mark.parametrize("kind", ["km", "cif", "swimmer", "flow"])
def test_png_600_dpi_width(results, width, pixels, kind):
    fig = {"km": lambda: km_figure(results, "os_ab", width_cm=width),
           "cif": lambda: km_figure(results, "cir_nrm", width_cm=width),
           "swimmer": lambda: swimmer_figure(results, width_cm=width),
           "flow": lambda: flow_figure(results, width_cm=width)}[kind]()
    img = Image.open(io.BytesIO(figure_bytes(fig, "png")))
    assert abs(img.size[0] - pixels) <= 2
    dpi = img.info.get("dpi")
    assert dpi is not None and round(dpi[0]) == 600


@pytest.mark.parametrize("fmt", ["pdf", "png", "svg"])
def test_byte_identical_in_process(results, fmt):
    a = figure_bytes(km_figure(results, "os_ab", width_cm=8.0), fmt)
    b = figure_bytes(km_figure(results, "os_ab", width_cm=8.0), fmt)
    assert a == b
    c = figure_bytes(swimmer_figure(make_results(), width_cm=8.0), fmt)
    d = figure_bytes(swimmer_figure(make_results(), width_cm=8.0), fmt)
    assert c == d
    if fmt == "pdf":
        assert b"CreationDate" not in a and b"Producer" not in a
    if fmt == "svg":
        assert b"<dc:date>" not in a


_HASH_SCRIPT = """
import hashlib, sys
sys.path.insert(0, {tests!r})
from test_render_figures import make_results
from mabseq.render.figures import figure_bytes, km_figure, swimmer_figure
from mabseq.render.flow_diagram import flow_figure, flow_svg
r = make_results()
for name, fig in (("km", km_figure(r, "os_ab", width_cm=8.0)), ("cif", km_figure(r, "cir_nrm", width_cm=17.0)),
                  ("swim", swimmer_figure(r, width_cm=8.0)), ("flow", flow_figure(r, width_cm=8.0))):
    for fmt in ("pdf", "png", "svg"):
        print(name, fmt, hashlib.sha256(figure_bytes(fig, fmt)).hexdigest())
print("flow svg", hashlib.sha256(flow_svg(r).encode()).hexdigest())
"""


def test_byte_identical_across_processes(results):
    script = _HASH_SCRIPT.format(tests=str(Path(__file__).parent))
    outs = []
    for seed in ("1", "4242"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        p = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=300)
        assert p.returncode == 0, p.stderr
        outs.append(p.stdout)
    assert outs[0] == outs[1]
    assert len(outs[0].splitlines()) == 13
    here = hashlib.sha256(figure_bytes(km_figure(results, "os_ab", width_cm=8.0), "pdf")).hexdigest()
    assert f"km pdf {here}" in outs[0].splitlines()


def test_write_figures(results, tmp_path):
    paths = write_figures(results, tmp_path)
    names = {p.name for p in paths}
    for stem in list(results.curves) + ["swimmer", "flow"]:
        for w in ("8cm", "17cm"):
            for fmt in ("pdf", "png"):
                assert f"{stem}_{w}.{fmt}" in names
    assert "flow.svg" in names
    assert len(names) == (len(results.curves) + 2) * 4 + 1
    for p in paths:
        assert p.stat().st_size > 0
    assert (tmp_path / "os_ab_8cm.pdf").read_bytes()[:5] == b"%PDF-"
    write_figures(results, tmp_path / "again")
    for p in paths:
        assert (tmp_path / "again" / p.name).read_bytes() == p.read_bytes(), p.name


def test_png_pixels_are_the_agg_drawing(results):
    """The hand-written PNG encoder: Pillow reads back exactly the pixels Agg drew, at 600 dpi, with no chunk that
    could vary between runs (time, software, text)."""
    import matplotlib
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = km_figure(results, "os_ab", width_cm=8.0)
    png = figure_bytes(fig, "png")
    img = Image.open(io.BytesIO(png))
    assert img.mode == "RGBA" and round(img.info["dpi"][0]) == 600
    # the same figure drawn again by matplotlib's own Agg canvas, at the same dpi and layout
    fig.set_dpi(600)
    canvas = FigureCanvasAgg(fig)
    with matplotlib.rc_context(fig._mabseq_rc):
        canvas.draw()
    assert np.array_equal(np.asarray(img), np.asarray(canvas.buffer_rgba()))
    chunks, pos = [], 8
    while pos < len(png):
        n = int.from_bytes(png[pos:pos + 4], "big")
        chunks.append(png[pos + 4:pos + 8].decode())
        pos += 12 + n
    assert chunks == ["IHDR", "pHYs", "IDAT", "IEND"]


def test_figure_workers_equal_serial_drawing(results):
    """The report's figure workers (forked processes, results sent pickled) give the bytes drawn in-process."""
    from mabseq.render.report import FigureWorkers
    with FigureWorkers(processes=2) as pool:
        forked = pool.draw(results, "publication").get()
    with FigureWorkers(processes=1) as serial:
        assert serial.pool is None
        inproc = serial.draw(results, "publication").get()
    merge = lambda parts: {k: v for p in parts for k, v in p.items()}  # noqa: E731
    a, b = merge(forked), merge(inproc)
    assert a == b
    assert {"figures/flow.svg", "svg/os_ab", "figures/swimmer_8cm.png", "figures/os_ab_17cm.pdf"} <= set(a)
