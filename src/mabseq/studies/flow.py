"""The patient-flow (consort) diagram of a sequential-antibody cohort, shared by the study presets.

Counts are conserved stage by stage (the "Kirchhoff" rule of R's ``consort``): the boxes of a split hold disjoint
parts of the box above them and add up to it; boxes that merge add up to the box they flow into; where patients may
be in two boxes at once (alloHSCT and CAR T cells) or in none, the box above carries a ``note`` that counts them.

Also here: the swimmer plot's timelines (every patient, or a stated random sample in a large cohort).
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..results.records import ResultSet
from .builder import NOBODY, Pop, not_computed


def _ids(frame, mask) -> tuple[str, ...]:
    return tuple(frame["patient_id"][mask.to_numpy(dtype=bool)].tolist())


def _known_true(s):
    return s.apply(lambda v: v is True or v == True).astype(bool)  # noqa: E712


def _known_false(s):
    return s.apply(lambda v: v is False or v == False).astype(bool)  # noqa: E712


def _split(frame, column: str, levels, unknown: str) -> list[tuple[str, str, tuple, str]]:
    """The parts of ``frame`` by ``column``: one (key, label, ids, R condition) per level in ``levels`` (shown even
    when empty), and the patients with any other value (not known) as a last part when there are any. A level is
    (key, label, test, R literal of its value)."""
    parts, seen, known = [], None, []
    for key, label, test, lit in levels:
        mask = test(frame[column])
        seen = mask if seen is None else (seen | mask)
        cond = f".eq(`{column}`, {lit})"
        known.append(cond)
        parts.append((key, label, _ids(frame, mask), cond))
    rest = _ids(frame, ~seen)
    if rest:
        parts.append(("unknown", unknown, rest, f"!({' | '.join(known)})"))
    return parts


def overlap_note(ids, children: list[tuple], unknown=(), *, twice: str = "both", none: str = "neither") -> str:
    """Why the boxes below a box of patients ``ids`` do not add up to it: patients in more than one of them, in
    none of them, and (of those in none) whose status is not known (``children``: the boxes' patient lists), as
    'both: n = 1; neither: n = 4; not known: n = 1'. '' when they are a partition."""
    sets = [set(c) for c in children]
    union = set().union(*sets) if sets else set()
    outside = set(ids) - union
    k_unknown = len(outside & set(unknown))
    counts = ((twice, sum(len(s) for s in sets) - len(union)), (none, len(outside) - k_unknown),
              ("not known", k_unknown))
    return "; ".join(f"{what}: n = {k}" for what, k in counts if k)


def sequence_flow(res: ResultSet, dc, P) -> None:
    """The consort diagram of a two-antibody sequence cohort (paper Figure 1): screened, included (the excluded
    with their reasons beside), then per mAb1 agent the response to mAb1, interim therapy or none, mAb2, the
    response to mAb2, and alloHSCT / CAR T cells after mAb2 of each response group. ``P`` holds the populations
    FULL, BF and IF; every box count is the length of its patient list."""
    f = res.flow
    screened = len(dc.adsl) + len(dc.excluded)
    # the categories only: the per-patient detail (dates) goes to excluded.csv and `explain`, never the results
    f.excluded = dc.excluded[["patient_id", "reason"]].to_dict("records")

    def box(id_, label, ids, level, note="", expr=None):
        b = {"id": id_, "label": label, "n": len(ids), "patients": list(ids), "level": level}
        if note:
            b["note"] = note
        f.boxes.append(b)
        if expr is not None:  # the box's count, recomputed in R from its definition on adsl.csv
            res.checks.append({"id": f"flow/{id_}", "kind": "count", "groups": {"FULL": "TRUE"}, "var": expr,
                               "value": len(ids), "scale": 1})
        return id_

    f.boxes.append({"id": "screened", "label": "Patients in the data set", "n": screened,
                    "patients": sorted(list(dc.adsl["patient_id"].tolist()) + list(dc.excluded["patient_id"].tolist())), "level": 0})
    box("included", "Received both blinatumomab and inotuzumab for R/R B-ALL", P["FULL"].ids, 1, expr="TRUE")
    f.edges.append(("screened", "included"))
    if not P["FULL"].n:  # nobody included: the flow ends here, the exclusion box says why
        return
    cr, nr = (lambda s: s == "cr"), (lambda s: s == "nr")
    for seq, a1, a2 in (("BF", "Blinatumomab", "inotuzumab"), ("IF", "Inotuzumab", "blinatumomab")):
        pop: Pop = P[seq]
        fr = pop.frame
        arm = f'.eq(`seq`, "{seq}")'  # the arm's definition (populations: seq)

        def within(cond, arm=arm):
            return f"({arm} & {cond})"
        box(seq, f"{a1} mAb1", pop.ids, 2, expr=arm)
        f.edges.append(("included", seq))
        # response to mAb1: a split of the arm
        resp1 = [box(f"{seq}_{k}1", lab, ids, 3, expr=within(c)) for k, lab, ids, c in _split(
            fr, "resp_mab1", [("cr", "CR after mAb1", cr, '"cr"'), ("nr", "No response to mAb1", nr, '"nr"')],
            "Response to mAb1 not known")]
        f.edges += [(seq, r) for r in resp1]
        # interim therapy: the same patients split again (every response box flows into both)
        interim = [box(f"{seq}_{k}", lab, ids, 4, expr=within(c)) for k, lab, ids, c in _split(
            fr, "interim", [("int", "Interim therapy before mAb2", _known_true, "TRUE"),
                            ("noint", "No interim therapy", _known_false, "FALSE")], "Interim therapy not known")]
        f.edges += [(r, i) for r in resp1 for i in interim]
        mab2 = box(f"{seq}_mab2", f"{a2.capitalize()} mAb2", pop.ids, 5, expr=arm)
        f.edges += [(i, mab2) for i in interim]
        # response to mAb2, then alloHSCT / CAR T cells after mAb2 within each response group
        for k, lab, ids, c in _split(fr, "resp_mab2", [("cr", "CR after mAb2", cr, '"cr"'),
                                                       ("nr", "No response to mAb2", nr, '"nr"')],
                                     "Response to mAb2 not known"):
            sub = fr[fr["patient_id"].isin(ids)]
            kids = [(f"{seq}_{k}2_tx", "alloHSCT after mAb2", _ids(sub, _known_true(sub["tx"])), "tx"),
                    (f"{seq}_{k}2_cart", "CAR T cells after mAb2", _ids(sub, _known_true(sub["cart_after_mab2"])),
                     "cart_after_mab2")]
            kids = [c for c in kids if k == "cr" or c[2]]  # after CR always shown; otherwise only when it happened
            unknown = _ids(sub, ~(_known_true(sub["tx"]) | _known_false(sub["tx"]))
                           | ~(_known_true(sub["cart_after_mab2"]) | _known_false(sub["cart_after_mab2"])))
            note = overlap_note(ids, [kid[2] for kid in kids], unknown) if kids else ""
            parent = box(f"{seq}_{k}2", lab, ids, 6, note, expr=within(c))
            f.edges.append((mab2, parent))
            for cid, clab, cids, col in kids:
                f.edges.append((parent, box(cid, clab, cids, 7, expr=within(f"{c} & .eq(`{col}`, TRUE)"))))


SWIMMER_MAX_PATIENTS = 200  # more lanes than a page can show: the swimmer plot draws a stated random sample
SWIMMER_SEED = 2022


def set_timelines(res: ResultSet, timelines: pd.DataFrame | None, max_patients: int = SWIMMER_MAX_PATIENTS,
                  seed: int = SWIMMER_SEED) -> None:
    """The swimmer plot's per-patient timelines: every patient up to ``max_patients``; beyond, a simple random sample
    of ``max_patients`` patients without replacement (numpy ``default_rng(seed)``, in the cohort's order), stated in
    ``meta["swimmer_sample"]`` and under the figure. Nothing else reads the timelines: every count and curve uses
    all patients."""
    if timelines is None or not len(timelines):
        res.timelines = timelines
        return
    ids = pd.unique(timelines["patient_id"])
    if len(ids) <= max_patients:
        res.timelines = timelines
        return
    pick = np.sort(np.random.default_rng(seed).choice(len(ids), max_patients, replace=False))
    keep = timelines["patient_id"].isin(set(ids[pick]))
    res.timelines = timelines[keep.to_numpy()].reset_index(drop=True)
    res.meta["swimmer_sample"] = {"patients": int(max_patients), "of": int(len(ids)), "seed": int(seed),
                                  "method": "simple random sample without replacement (numpy default_rng)"}


def swimmer_reason(res: ResultSet) -> None:
    """The swimmer plot needs at least one included patient with a dated course; else it is listed as not
    computed."""
    if res.timelines is None or not len(res.timelines):
        reason = NOBODY if not res.meta.get("n_included") else "not computed: no dated therapy or event after mAb1"
        not_computed(res, "swimmer", "Course of every patient", reason, kind="figure", block="Figures")
