"""Issue 15, the figure defects, each with the test that would have caught it.

1. The legend n of a group is its size at the origin (patients of the group in adsl), not the patients the drawn
   steps show (left-truncated curves cut at 3 at risk showed 9 of the 11 CD19 neg/dim patients).
2. A CI band runs to the curve's last time, also before a final drop to 0 where R gives no interval (Fig 3B ended
   at 18.8 months; R's band, a step function, holds the interval of day 571 until day 1033).
3. Simon-Makuch: the transplant curve starts at the first transplant, group switches are not censor marks, and a
   numbers-at-risk table (computed into the curve) is drawn under it.
4. The flow diagram conserves counts: the boxes of each stage add up to the boxes above them, or the box above
   carries a note that counts the patients in two boxes or in none.
5. Group labels come with the curves (set by the preset); the renderer knows no study.

Oracles: adsl/adtte read with plain pandas (group sizes, transplant days, censorings, risk sets), R's survfit for
the band, and hand-worked intervals with the arithmetic in comments.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mabseq.render.figures import MONTH_DAYS, figure_bytes, flow_figure, flow_svg, km_figure
from mabseq.results.records import Curve, ResultSet
from mabseq.studies import paper
from mabseq.studies.builder import Builder
from mabseq.studies.twin import load_twin

FIGURES_PY = Path(__file__).resolve().parents[1] / "src" / "mabseq" / "render" / "figures.py"


@pytest.fixture(scope="module")
def twin():
    res, dc = paper.run(load_twin(), synthetic=True)
    return res, dc


def _is_true(s: pd.Series) -> pd.Series:
    return s.apply(lambda v: v is True or v == True)  # noqa: E712


# the size of each group at its origin, from adsl by plain pandas (the plan's definitions, not the preset's code)
GROUP_SIZE = {
    "FULL": lambda a: len(a),
    "BF": lambda a: (a.seq == "BF").sum(),
    "TX": lambda a: _is_true(a.tx).sum(),
    "NTX": lambda a: (~_is_true(a.tx)).sum(),
    "BF-CD19N": lambda a: ((a.seq == "BF") & (a.cd19_event1 == "negdim")).sum(),
    "BF-CD19P": lambda a: ((a.seq == "BF") & (a.cd19_event1 == "pos")).sum(),
    "BF-CRB": lambda a: ((a.seq == "BF") & (a.resp_mab1 == "cr")).sum(),
    "BF-NCRB": lambda a: ((a.seq == "BF") & (a.resp_mab1 == "nr")).sum(),
    "BF-CRI": lambda a: ((a.seq == "BF") & (a.resp_mab2 == "cr")).sum(),
    "BF-NCRI": lambda a: ((a.seq == "BF") & (a.resp_mab2 == "nr")).sum(),
    "BF-INT": lambda a: ((a.seq == "BF") & _is_true(a.interim)).sum(),
    "BF-NOINT": lambda a: ((a.seq == "BF") & ~_is_true(a.interim)).sum(),
    "NTX-SALV-CR": lambda a: (~_is_true(a.tx) & (a.n_lines_after_mab2 > 0) & _is_true(a.salvage_cr)).sum(),
    "NTX-SALV-NCR": lambda a: (~_is_true(a.tx) & (a.n_lines_after_mab2 > 0) & ~_is_true(a.salvage_cr)).sum(),
}


def _os_mab2(dc) -> pd.DataFrame:
    """Per patient: OS after mAb2 (time, status) and the day of alloHSCT after mAb2 (NaN without)."""
    t = dc.adtte[dc.adtte.endpoint == "os_mab2"][["patient_id", "time", "status"]]
    a = dc.adsl[["patient_id", "tx", "days_mab2_tx"]]
    d = t.merge(a, on="patient_id")
    d["u"] = np.where(_is_true(d.tx), pd.to_numeric(d.days_mab2_tx, errors="coerce"), np.nan)
    return d


def _simon_makuch_size(dc, group: str) -> int:
    d = _os_mab2(dc)
    after = (d.u > 0) & (d.u < d.time) | (d.u <= 0)
    return int(after.sum()) if group == "after alloHSCT" else int((~((d.u <= 0) & d.u.notna())).sum())


def _legend(fig) -> dict[str, int]:
    ax = next(a for a in fig.axes if a.get_label() == "curve")
    out = {}
    for t in ax.get_legend().get_texts():
        m = re.fullmatch(r"(.*) \(n = (\d+)\)", t.get_text())
        assert m, t.get_text()
        out[m.group(1)] = int(m.group(2))
    return out


def _steps_count(d: pd.DataFrame) -> int:
    """What the old renderer showed: the patients the drawn steps account for."""
    return max(int(d.n_risk.iloc[0]), int(d.n_event.sum() + d.n_censor.sum()))


# ---- 1. legend n -------------------------------------------------------------------------------------------------
def test_legend_n_is_the_group_size_at_the_origin(twin):
    res, dc = twin
    checked, caught = 0, 0
    for cid, c in res.curves.items():
        if c.kind != "km":
            continue
        legend = _legend(km_figure(res, cid, width_cm=8.0))
        for g, d in c.steps.groupby("group", sort=False):
            label = c.labels[g]
            if cid == "ext_simon_makuch_tx":
                want = _simon_makuch_size(dc, g)
            else:
                assert g in GROUP_SIZE, f"{cid}: no oracle for group {g}"
                want = int(GROUP_SIZE[g](dc.adsl))
            assert legend[label] == want, (cid, g, legend[label], want)
            checked += 1
            caught += _steps_count(d) != want
    assert checked >= 30
    # the defect: in 5 of the 8 left-truncated groups the steps account for fewer patients than the group has
    assert caught >= 5
    lt = res.curves["ext_os_relapse1_lt_cd19"]
    d = lt.steps[lt.steps.group == "BF-CD19N"]
    assert (_steps_count(d), _legend(km_figure(res, lt.id, width_cm=8.0))["CD19 neg/dim relapse"]) == (9, 11)


# ---- 2. bands to the last time -----------------------------------------------------------------------------------
def _bands(fig) -> list[np.ndarray]:
    """The vertices of each group's band (PolyCollection 'band'), in the order of the groups."""
    ax = next(a for a in fig.axes if a.get_label() == "curve")
    return [np.concatenate([p.vertices for p in col.get_paths()]) for col in ax.collections
            if col.get_label() == "band"]


def test_every_band_runs_to_the_curves_last_time(twin):
    res, _ = twin
    n_final_drop = 0
    for cid, c in res.curves.items():
        fig = km_figure(res, cid, width_cm=8.0)
        groups = list(pd.unique(c.steps["group"]))
        bands = _bands(fig)
        assert len(bands) == len(groups), cid
        for g, v in zip(groups, bands):
            d = c.steps[c.steps.group == g]
            last = float(d.time.max()) / MONTH_DAYS
            assert v[:, 0].max() == pytest.approx(last, rel=1e-12), (cid, g)
            n_final_drop += bool(c.kind == "km" and d.estimate.iloc[-1] == 0 and np.isnan(d.upper.iloc[-1]))
    assert n_final_drop >= 5  # curves ending in a drop to 0 (no interval at S = 0) are among them


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="Rscript not installed")
def test_band_before_a_final_drop_matches_R(twin, tmp_path):
    """Fig 3B, CD19 neg/dim: R's survfit gives the interval of the step before the drop to 0 and none at the drop;
    as a step function that interval holds until the last time, so the band ends there with R's limits."""
    res, dc = twin
    ids = dc.adsl.patient_id[(dc.adsl.seq == "BF") & (dc.adsl.cd19_event1 == "negdim")]
    d = dc.adtte[(dc.adtte.endpoint == "os_relapse1") & dc.adtte.patient_id.isin(ids)][["time", "status"]]
    d.to_csv(tmp_path / "d.csv", index=False)
    script = tmp_path / "band.R"
    script.write_text(
        'suppressMessages(library(survival))\n'
        'd <- read.csv(commandArgs(TRUE)[1])\n'
        'f <- survfit(Surv(time, status) ~ 1, data = d, conf.type = "log")\n'
        'k <- max(which(is.finite(f$lower)))\n'
        'cat(sprintf("%.17g", c(max(f$time), f$time[k], f$lower[k], f$upper[k], f$surv[length(f$surv)])), '
        'sep = "\\n")\n')
    r = subprocess.run(["Rscript", str(script), str(tmp_path / "d.csv")], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    t_last, t_band, lo, hi, s_last = map(float, r.stdout.split())
    assert s_last == 0 and t_band < t_last  # the case of the defect: no interval at the last time
    c = res.curves["fig3b_os_cd19"]
    g = list(pd.unique(c.steps.group)).index("BF-CD19N")
    v = _bands(km_figure(res, c.id, width_cm=8.0))[g]
    assert v[:, 0].max() == pytest.approx(t_last / MONTH_DAYS, rel=1e-12)
    # the band over [t_band, t_last]: R's limits at t_band
    seg = v[np.isclose(v[:, 0], t_last / MONTH_DAYS, rtol=1e-12)]
    assert sorted({round(y, 12) for y in seg[:, 1]}) == pytest.approx(sorted([lo, hi]), rel=1e-8)


# ---- 3. Simon-Makuch ---------------------------------------------------------------------------------------------
def _curve_lines(fig, label: str | None = None):
    ax = next(a for a in fig.axes if a.get_label() == "curve")
    return ax, [ln for ln in ax.get_lines() if ln.get_linestyle() != "None"], \
        [ln for ln in ax.get_lines() if ln.get_marker() == "+"]


def test_simon_makuch_transplant_curve_starts_at_the_first_transplant(twin):
    res, dc = twin
    d = _os_mab2(dc)
    first_tx = float(d.u[(d.u > 0) & (d.u < d.time)].min())  # adsl: the first alloHSCT with follow-up after it
    c = res.curves["ext_simon_makuch_tx"]
    groups = list(pd.unique(c.steps.group))
    _, lines, _ = _curve_lines(km_figure(res, c.id))
    starts = {g: float(ln.get_xdata()[0]) for g, ln in zip(groups, lines)}
    assert starts["after alloHSCT"] == pytest.approx(first_tx / MONTH_DAYS, rel=1e-12)
    assert first_tx == 28
    assert starts["no alloHSCT yet"] == 0.0


def test_simon_makuch_switches_are_not_censor_marks(twin):
    res, dc = twin
    d = _os_mab2(dc)
    switched = (d.u > 0) & (d.u < d.time)
    # true censorings: alive at last contact; before alloHSCT for those never transplanted during follow-up
    true_cens = {"no alloHSCT yet": sorted(set(d.time[~switched & (d.status == 0) & ~(d.u <= 0)])),
                 "after alloHSCT": sorted(set(d.time[(switched | (d.u <= 0)) & (d.status == 0)]))}
    c = res.curves["ext_simon_makuch_tx"]
    groups = list(pd.unique(c.steps.group))
    _, _, marks = _curve_lines(km_figure(res, c.id))
    assert len(marks) == len(groups)
    for g, m in zip(groups, marks):
        assert sorted(np.round(np.asarray(m.get_xdata()) * MONTH_DAYS, 6)) == pytest.approx(true_cens[g]), g
    # the defect: the transplant days are censorings of the 'no alloHSCT yet' KM fit and were drawn as marks
    before = c.steps[c.steps.group == "no alloHSCT yet"]
    assert int(before.n_switch.sum()) == int(switched.sum()) > 0
    assert set(before.time[before.n_censor > 0]) - set(true_cens["no alloHSCT yet"])


def test_simon_makuch_numbers_at_risk(twin):
    res, dc = twin
    d = _os_mab2(dc)
    switched = (d.u > 0) & (d.u < d.time)
    c = res.curves["ext_simon_makuch_tx"]
    ticks = sorted(set(c.at_risk.time))
    assert ticks[0] == 0 and len(ticks) >= 3

    def oracle(g, t):  # the group a patient is in just before t (at the origin: just after 0)
        stop_before = np.where(switched, d.u, d.time)
        if g == "no alloHSCT yet":
            inside = (stop_before >= t) if t > 0 else (stop_before > 0)
            return int((inside & ~(d.u <= 0)).sum())
        start_after = np.where(switched, d.u, np.where(d.u <= 0, 0.0, np.inf))
        return int(((start_after < t) & (t <= d.time)).sum()) if t > 0 else int(((start_after <= 0) & (d.time > 0)).sum())

    want = {(g, t): oracle(g, t) for g in ("no alloHSCT yet", "after alloHSCT") for t in ticks}
    got = {(r.group, r.time): r.n_risk for r in c.at_risk.itertuples()}
    assert got == want
    assert want[("no alloHSCT yet", 0)] == len(d) and want[("after alloHSCT", 0)] == 0
    fig = km_figure(res, c.id)
    rax = next(a for a in fig.axes if a.get_label() == "risk_table")
    shown = sorted(t.get_text() for t in rax.texts)
    assert shown == sorted(str(v) for v in want.values())


def test_time_dependent_km_by_hand():
    """Four patients, origin 0; 'after' is entered at a switch.
    P1 (0, 30] no -> switch -> (30, 100] after, dies at 100
    P2 (0, 50] no, censored at 50          P3 (0, 80] no, dies at 80
    P4 (0, 20] no -> switch -> (20, 60] after, censored at 60
    'no': at risk 4, 3, 2, 1 at days 20, 30, 50, 80; the KM fit censors at 20, 30 (switches) and 50 (true):
          n_switch 1, 1, 0, 0; true censor marks only at 50; S(80) = 1 * 1 * 1 * (1 - 1/1) = 0.
    'after': enters at 20 (P4) and 30 (P1): the curve starts at day 20; at risk 2 at day 60 (20 < 60 <= 60 and
          30 < 60 <= 100), censored (true) at 60; at risk 1 at day 100, dies: S(100) = 0.
    Numbers at risk at the ticks 0 and 183 (longest stop 100 -> one 6-month interval): at 0 'no' has the 4 patients
    with start <= 0 < stop, 'after' 0; at 183 nobody."""
    res = ResultSet("hand")
    b = Builder(res, pd.DataFrame())
    b.time_dependent_km("sm", "hand", ["P1", "P1", "P2", "P3", "P4", "P4"], [0, 30, 0, 0, 0, 20],
                        [30, 100, 50, 80, 20, 60], [0, 1, 0, 1, 0, 0], ["no", "after", "no", "no", "no", "after"],
                        population="ALL", endpoint="os", labels={"no": "Not yet", "after": "After"})
    c = res.curves["sm"]
    no, after = (c.steps[c.steps.group == g].reset_index(drop=True) for g in ("no", "after"))
    assert list(no.time) == [20, 30, 50, 80] and list(no.n_risk) == [4, 3, 2, 1]
    assert list(no.n_censor) == [1, 1, 1, 0] and list(no.n_switch) == [1, 1, 0, 0]
    assert list(no.censored) == [False, False, True, False] and list(no.estimate) == [1, 1, 1, 0]
    assert list(after.time) == [60, 100] and list(after.n_risk) == [2, 1] and list(after.censored) == [True, False]
    assert (no.curve_start.iloc[0], after.curve_start.iloc[0]) == (0, 20)
    assert (no.group_n.iloc[0], after.group_n.iloc[0]) == (4, 2)
    assert {(r.group, r.time): r.n_risk for r in c.at_risk.itertuples()} == \
        {("no", 0): 4, ("no", 183): 0, ("after", 0): 0, ("after", 183): 0}
    assert c.labels == {"no": "Not yet", "after": "After"}
    fig = km_figure(res, "sm")
    assert set(_legend(fig)) == {"Not yet", "After"}
    _, lines, marks = _curve_lines(fig)
    xs = {round(float(x) * MONTH_DAYS, 9) for m in marks for x in m.get_xdata()}
    assert xs == {50.0, 60.0}  # no mark at the switches (20, 30)


# ---- 4. flow conservation ----------------------------------------------------------------------------------------
def _stages(flow) -> list[tuple[list[str], list[str]]]:
    """The edges grouped into stages: connected parts of the parent -> child graph (a split, a merge, or parents
    that all flow into the same children)."""
    parent = {}

    def find(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x
    for a, b in flow.edges:
        parent[find(("p", a))] = find(("c", b))
    comp = defaultdict(lambda: (set(), set()))
    for a, b in flow.edges:
        comp[find(("c", b))][0].add(a)
        comp[find(("c", b))][1].add(b)
    return [(sorted(p), sorted(c)) for p, c in comp.values()]


def _check_conservation(flow) -> int:
    boxes = {b["id"]: b for b in flow.boxes}
    n_notes = 0
    for parents, children in _stages(flow):
        up = set().union(*(set(boxes[p]["patients"]) for p in parents))
        kids = [set(boxes[c]["patients"]) for c in children]
        assert all(boxes[c]["n"] == len(k) for c, k in zip(children, kids))
        if parents == ["screened"]:  # the excluded patients leave to the side box
            kids.append({e["patient_id"] for e in flow.excluded})
        down = set().union(*kids)
        assert down <= up, (parents, children)
        total_up = sum(boxes[p]["n"] for p in parents)
        total_down = sum(map(len, kids))
        partition = sum(map(len, kids)) == len(down) == len(up)
        if total_up == total_down and partition:
            continue
        # not conserved: the box above says why, with the counts of patients in two boxes and in none
        assert len(parents) == 1, (parents, children)
        note = boxes[parents[0]].get("note", "")
        assert note, f"{parents} -> {children}: {total_up} -> {total_down} without a note"
        counts = dict((w, int(k)) for w, k in re.findall(r"(both|neither|not known): n = (\d+)", note))
        twice, none = sum(map(len, kids)) - len(down), len(up) - len(down)
        assert counts.get("both", 0) == twice and counts.get("neither", 0) + counts.get("not known", 0) == none, note
        n_notes += 1
    return n_notes


def test_flow_boxes_are_conserved_or_noted(twin):
    res, dc = twin
    f = res.flow
    boxes = {b["id"]: b for b in f.boxes}
    assert boxes["screened"]["n"] == boxes["included"]["n"] + len(f.excluded)
    n_notes = _check_conservation(f)
    assert n_notes == 2  # after CR to mAb2 (BF: 1 received both alloHSCT and CAR T cells, 4 neither; IF: 1 neither)
    assert boxes["BF_cr2"]["note"] == "both: n = 1; neither: n = 4"
    # by adsl: BF patients in CR after mAb2 with both alloHSCT and CAR T cells after mAb2
    a = dc.adsl[(dc.adsl.seq == "BF") & (dc.adsl.resp_mab2 == "cr")]
    assert (_is_true(a.tx) & _is_true(a.cart_after_mab2)).sum() == 1
    assert (~_is_true(a.tx) & ~_is_true(a.cart_after_mab2)).sum() == 4
    # the note is drawn
    assert ">both: n = 1; neither: n = 4<" in flow_svg(res)
    texts = " ".join(t.get_text() for ax in flow_figure(res, width_cm=17.0).axes for t in ax.texts)
    assert "both: n = 1; neither: n = 4" in texts


def test_old_flow_would_fail_the_conservation_check():
    """The former diagram: both response boxes (13 + 12) flowed into one 'interim' box of 13, which flowed into
    mAb2 (25), with no note."""
    from mabseq.results.records import Flow
    ids = [f"P{i:02d}" for i in range(25)]
    f = Flow(boxes=[{"id": "BF", "n": 25, "patients": ids, "level": 2},
                    {"id": "cr1", "n": 13, "patients": ids[:13], "level": 3},
                    {"id": "nr1", "n": 12, "patients": ids[13:], "level": 3},
                    {"id": "int", "n": 13, "patients": ids[6:19], "level": 4},
                    {"id": "mab2", "n": 25, "patients": ids, "level": 5}],
             edges=[("BF", "cr1"), ("BF", "nr1"), ("cr1", "int"), ("nr1", "int"), ("int", "mab2")])
    with pytest.raises(AssertionError):
        _check_conservation(f)


def test_flow_note_is_suppressed_with_min_cell(twin):
    import copy
    from mabseq.results.suppression import suppress_small_cells
    res = copy.deepcopy(twin[0])
    suppress_small_cells(res, 5)
    notes = [b["note"] for b in res.flow.boxes if b.get("note")]
    assert notes and all(not re.search(r"n = [1-4]\b", n) for n in notes), notes


# ---- 5. labels from the results ----------------------------------------------------------------------------------
def test_every_curve_carries_its_labels(twin):
    res, _ = twin
    for cid, c in res.curves.items():
        groups = set(c.steps.group) | set(c.at_risk.group if len(c.at_risk) else [])
        assert groups <= set(c.labels), (cid, groups - set(c.labels))
        assert all(c.labels[g] and c.labels[g] != g for g in groups), cid  # a label, not the bare name
    assert res.curves["ext_cir_nrm_tx"].labels["nrm"] == "Non-relapse mortality"
    assert res.curves["fig3b_os_cd19"].labels["BF-CD19N"] == "CD19 neg/dim relapse"


def test_renderer_knows_no_study():
    src = FIGURES_PY.read_text(encoding="utf-8")
    for word in ("GROUP_LABELS", "CD19", "Blinatumomab mAb1", "BF-", "NTX", "Non-relapse mortality"):
        assert word not in src, word
    # a curve named like a paper group shows the label it carries, or its bare name
    steps = pd.DataFrame({"group": ["BF", "IF"], "time": [100.0, 200.0], "n_risk": [3, 3], "n_event": [1, 1],
                          "n_censor": [0, 0], "estimate": [0.6, 0.6], "lower": [0.2, 0.2], "upper": [1.0, 1.0],
                          "group_n": [3, 3]})
    res = ResultSet("x")
    res.curves["c"] = Curve("c", "km", "t", "BF vs IF", "os_mab2", steps, pd.DataFrame(),
                            labels={"BF": "Arm one"})
    assert _legend(km_figure(res, "c")) == {"Arm one": 3, "IF": 3}


# ---- byte stability of the changed figures ------------------------------------------------------------------------
def test_changed_figures_are_byte_stable(twin):
    res, _ = twin
    for fmt in ("svg", "pdf"):
        a = figure_bytes(km_figure(res, "ext_simon_makuch_tx", width_cm=8.0), fmt)
        b = figure_bytes(km_figure(res, "ext_simon_makuch_tx", width_cm=8.0), fmt)
        assert a == b, fmt
        assert figure_bytes(flow_figure(res, width_cm=8.0), fmt) == figure_bytes(flow_figure(res, width_cm=8.0), fmt)
    assert flow_svg(res) == flow_svg(res)


def test_flow_with_unknown_values_by_hand():
    """Six blinatumomab-first patients (unknown is never no: it gets its own box, or 'not known' in a note):
    P1 CR1, interim, CR2, alloHSCT and CAR T      P2 CR1, no interim, CR2, neither
    P3 NR1, interim unknown, CR2, alloHSCT unknown   P4 response 1 unknown, interim, NR2, alloHSCT
    P5 NR1, no interim, response 2 unknown          P6 CR1, interim, NR2, neither
    CR after mAb1 {P1, P2, P6}, no response {P3, P5}, not known {P4}; interim {P1, P4, P6}, none {P2, P5}, not known
    {P3}; CR after mAb2 {P1, P2, P3} -> alloHSCT {P1}, CAR T {P1}: both 1 (P1), outside {P2, P3}: neither 1 (P2),
    not known 1 (P3); NR2 {P4, P6} -> alloHSCT {P4} (an empty CAR T box is not drawn after no response), neither 1
    (P6); response 2 not known {P5}: no box below."""
    from types import SimpleNamespace

    from mabseq.studies.builder import Pop
    from mabseq.studies.flow import sequence_flow
    adsl = pd.DataFrame({
        "patient_id": ["P1", "P2", "P3", "P4", "P5", "P6"], "seq": ["BF"] * 6,
        "resp_mab1": ["cr", "cr", "nr", None, "nr", "cr"],
        "interim": [True, False, None, True, False, True],
        "resp_mab2": ["cr", "cr", "cr", "nr", None, "nr"],
        "tx": [True, False, None, True, False, False],
        "cart_after_mab2": [True, False, False, False, False, False]})
    dc = SimpleNamespace(adsl=adsl, excluded=pd.DataFrame({"patient_id": ["X1"], "reason": ["not B-ALL"]}))
    full = Pop("FULL", "All", adsl)
    P = {"FULL": full, "BF": full.where("BF", "BF", adsl.seq == "BF"), "IF": full.where("IF", "IF", adsl.seq == "IF")}
    res = ResultSet("hand")
    sequence_flow(res, dc, P)
    boxes = {b["id"]: b for b in res.flow.boxes}
    got = {k: sorted(boxes[k]["patients"]) for k in ("BF_cr1", "BF_nr1", "BF_unknown1", "BF_int", "BF_noint",
                                                      "BF_unknown", "BF_cr2", "BF_cr2_tx", "BF_cr2_cart",
                                                      "BF_nr2_tx", "BF_unknown2")}
    assert got == {"BF_cr1": ["P1", "P2", "P6"], "BF_nr1": ["P3", "P5"], "BF_unknown1": ["P4"],
                   "BF_int": ["P1", "P4", "P6"], "BF_noint": ["P2", "P5"], "BF_unknown": ["P3"],
                   "BF_cr2": ["P1", "P2", "P3"], "BF_cr2_tx": ["P1"], "BF_cr2_cart": ["P1"], "BF_nr2_tx": ["P4"],
                   "BF_unknown2": ["P5"]}
    assert "BF_nr2_cart" not in boxes
    assert boxes["BF_unknown1"]["label"] == "Response to mAb1 not known"
    assert boxes["BF_cr2"]["note"] == "both: n = 1; neither: n = 1; not known: n = 1"
    assert boxes["BF_nr2"]["note"] == "neither: n = 1"
    assert "note" not in boxes["BF_unknown2"]
    assert boxes["screened"]["n"] == 7
    _check_conservation(res.flow)


def test_every_curve_names_its_origin_on_the_time_axis(twin):
    """The x axis says from when the months count, from the endpoint's origin column in adtte (relapse from the CR
    date after mAb2 read 'Months', as if from nothing)."""
    from mabseq.render.figures import _x_label
    res, dc = twin
    origins = dc.adtte.groupby("endpoint")["origin"].first().to_dict()
    said = {"mab1": "mAb1", "mab2": "mAb2", "hsct": "alloHSCT", "post_mab1_relapse": "relapse after mAb1",
            "cr_mab2": "CR after mAb2"}
    for c in res.curves.values():
        label = _x_label(c.endpoint)
        assert label == f"Months from {said[origins[c.endpoint]]}", (c.id, c.endpoint, label)
