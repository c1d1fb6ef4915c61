"""The patient-flow (consort) diagram of a sequential-antibody cohort, shared by the study presets."""
from __future__ import annotations

from ..results.records import ResultSet
from .builder import NOBODY, Pop, eq as _eq, not_computed


def sequence_flow(res: ResultSet, dc, P) -> None:
    """The consort diagram of a two-antibody sequence cohort (paper Figure 1): screened, included, then per mAb1
    agent the response to mAb1, interim therapy, mAb2, response to mAb2, and alloHSCT or CAR T cells after mAb2.
    ``P`` holds the populations FULL, BF and IF; every box count is the length of its patient list."""
    f = res.flow
    screened = len(dc.adsl) + len(dc.excluded)
    # the categories only: the per-patient detail (dates) goes to excluded.csv and `explain`, never the results
    f.excluded = dc.excluded[["patient_id", "reason"]].to_dict("records")

    def box(id_, label, pop_or_ids, level):
        ids = pop_or_ids.ids if isinstance(pop_or_ids, Pop) else tuple(pop_or_ids)
        f.boxes.append({"id": id_, "label": label, "n": len(ids), "patients": list(ids), "level": level})

    f.boxes.append({"id": "screened", "label": "Patients in the data set", "n": screened,
                    "patients": sorted(list(dc.adsl["patient_id"]) + list(dc.excluded["patient_id"])), "level": 0})
    box("included", "Received both blinatumomab and inotuzumab for R/R B-ALL", P["FULL"], 1)
    f.edges.append(("screened", "included"))
    if not P["FULL"].n:  # nobody included: the flow ends here, the exclusion box says why
        return
    for seq, a1, a2 in (("BF", "Blinatumomab", "inotuzumab"), ("IF", "Inotuzumab", "blinatumomab")):
        pop = P[seq]
        box(seq, f"{a1} mAb1", pop, 2)
        f.edges.append(("included", seq))
        cr = pop.where(f"{seq}-CR1", "", _eq("resp_mab1", "cr"))
        box(f"{seq}_cr1", "CR after mAb1", cr, 3)
        box(f"{seq}_nr1", "No response to mAb1", pop.where("x", "", _eq("resp_mab1", "nr")), 3)
        f.edges += [(seq, f"{seq}_cr1"), (seq, f"{seq}_nr1")]
        box(f"{seq}_int", "Interim therapy before mAb2", pop.where("x", "", lambda d: d["interim"] == True), 4)  # noqa
        box(f"{seq}_mab2", f"{a2.capitalize()} mAb2", pop, 5)
        box(f"{seq}_cr2", "CR after mAb2", pop.where("x", "", _eq("resp_mab2", "cr")), 6)
        box(f"{seq}_nr2", "No response to mAb2", pop.where("x", "", _eq("resp_mab2", "nr")), 6)
        box(f"{seq}_tx", "alloHSCT after mAb2", pop.where("x", "", lambda d: d["tx"] == True), 7)  # noqa: E712
        box(f"{seq}_cart", "CAR T cells after mAb2", pop.where("x", "", lambda d: d["cart_after_mab2"] == True), 7)  # noqa
        f.edges += [(f"{seq}_cr1", f"{seq}_int"), (f"{seq}_nr1", f"{seq}_int"), (f"{seq}_int", f"{seq}_mab2"),
                    (f"{seq}_mab2", f"{seq}_cr2"), (f"{seq}_mab2", f"{seq}_nr2"), (f"{seq}_cr2", f"{seq}_tx"),
                    (f"{seq}_cr2", f"{seq}_cart")]


def swimmer_reason(res: ResultSet) -> None:
    """The swimmer plot needs at least one included patient with a dated course; else it is listed as not
    computed."""
    if res.timelines is None or not len(res.timelines):
        reason = NOBODY if not res.meta.get("n_included") else "not computed: no dated therapy or event after mAb1"
        not_computed(res, "swimmer", "Course of every patient", reason, kind="figure", block="Figures")
