"""Time-to-event data per patient and endpoint (study-definition section 3).

Times are whole days from the origin; status 0 = censored, 1 = event, 2 = competing event. ``entry`` is the
delayed-entry time (left truncation) where an analysis guards against immortal time (EXT), else None.

Endpoints (adtte.csv): ``os_mab2``, ``os_mab1`` (entry at mAb2), ``efs_mab1``, ``rel1_cd19_mab1`` (1 CD19-neg/dim,
2 CD19-positive, 3 CD19 unknown), ``os_relapse1`` (entry at mAb2), ``cir_mab2`` (1 treatment failure, 2 death),
``cir_cr2`` (from the CR date after mAb2), ``os_tx``, ``efs_tx``, ``cir_tx`` (1 relapse, 2 NRM), ``agvhd24_tx`` and
``agvhd34_tx`` (1 aGVHD grade II-IV / III-IV, 2 death). Beside them the paper preset's sensitivity analyses release
the rows they re-derive (studies/plan_analyses.py, for the R check): ``agvhd2_4_i4_as_grade1`` and
``agvhd2_4_i4_as_grade2`` (``agvhd24_tx`` with each aGVHD case of no recorded grade read as grade I, then II; origin
hsct), ``efs_day0``, ``efs_failure_date`` and ``efs_no_mrd_relapse`` (``efs_mab1`` of the blinatumomab-first
patients with non-responders failing at day 0, or at the marrow documenting non-response, or an MRD relapse not an
event; origin mab1).
"""
from __future__ import annotations

from .params import DeriveParams


def _days(a, b):
    return None if a is None or b is None else (b - a).days


# the fields of each row endpoints_for returns (a tuple a row: the frame is built from tuples, not dicts)
TTE_COLUMNS = ("patient_id", "endpoint", "origin", "time", "status", "entry")


def endpoints_for(pid: str, v: dict, params: DeriveParams, only: frozenset | None = None) -> list[tuple]:
    """The patient's time-to-event rows, each a tuple of :data:`TTE_COLUMNS` (of the endpoints in ``only``, when
    given: a sensitivity analysis that reads one endpoint builds that one)."""
    out = []
    last, dead = v.get("last_date"), bool(v.get("dead"))
    if last is None or v.get("death_date_missing"):
        return out  # a death without a date is excluded from time-to-event analyses and counted

    def add(endpoint, origin_name, origin, time, status, entry=None):
        if time is None or (only is not None and endpoint not in only):
            return
        if time < 0:
            raise ValueError(f"patient {pid}: {endpoint} has an event before its origin ({origin_name} {origin})")
        out.append((pid, endpoint, origin_name, time, status, entry))

    m1, m2 = v["mab1_start"], v["mab2_start"]
    ev1, ev2 = v.get("event1_date"), v.get("event2_date")
    # OS from mAb2 and from mAb1
    add("os_mab2", "mab2", m2, _days(m2, last), int(dead))
    add("os_mab1", "mab1", m1, _days(m1, last), int(dead), entry=_days(m1, m2))
    # EFS from mAb1: the post-mAb1 relapse/progression, else death, else censored
    efs_origin = m1 if params.efs_mab1_origin == "mab1_start" else (ev1 or m1)
    if ev1 is not None:
        t = _days(efs_origin, ev1)
        if params.efs_nonresponder == "day0" and v.get("resp_mab1") == "nr":
            t = 0
        elif params.efs_nonresponder == "failure_date" and v.get("resp_mab1") == "nr" \
                and v.get("nonresponse_mab1_date") is not None and v["nonresponse_mab1_date"] <= ev1:
            # the marrow documenting non-response, when it comes before the documented progression
            t = _days(efs_origin, v["nonresponse_mab1_date"])
        add("efs_mab1", "mab1", efs_origin, t, 1)
    else:
        add("efs_mab1", "mab1", efs_origin, _days(efs_origin, last), int(dead))
    # time to the post-mAb1 relapse/progression by CD19 at it (study-definition 6.1, Fig 3A relabelled): competing
    # event types 1 = CD19-neg/dim, 2 = CD19-positive, 3 = CD19 unknown; without such an event, censored at the start
    # of mAb2 (the event is the one between mAb1 and mAb2)
    if v.get("seq") == "BF":
        if ev1 is not None:
            add("rel1_cd19_mab1", "mab1", m1, _days(m1, ev1),
                {"negdim": 1, "pos": 2}.get(v.get("cd19_event1"), 3))
        else:
            add("rel1_cd19_mab1", "mab1", m1, _days(m1, m2), 0)
    # OS from the post-mAb1 relapse (entry = mAb2 start for the immortal-time guard)
    if ev1 is not None:
        add("os_relapse1", "post_mab1_relapse", ev1, _days(ev1, last), int(dead), entry=_days(ev1, m2))
    # cumulative incidence of treatment failure after mAb2 (relapse, progression, or the documented failure of a
    # non-responder), death without it competing
    if ev2 is not None and ev2 <= last:
        add("cir_mab2", "mab2", m2, _days(m2, ev2), 1)
    else:
        add("cir_mab2", "mab2", m2, _days(m2, last), 2 if dead else 0)
    # relapse from the CR reached after mAb2 (EXT): origin the CR date, among patients in CR after mAb2; a
    # non-responder's treatment failure is not a relapse and is not counted here (cir_mab2 counts it)
    cr2 = v.get("resp_mab2_date") if v.get("resp_mab2") == "cr" else None
    if cr2 is not None and cr2 <= last and (ev2 is None or ev2 > cr2):
        if ev2 is not None and ev2 <= last:
            add("cir_cr2", "cr_mab2", cr2, _days(cr2, ev2), 1)
        else:
            add("cir_cr2", "cr_mab2", cr2, _days(cr2, last), 2 if dead else 0)
    # after alloHSCT
    if v.get("tx"):
        d0 = v["tx_date"]
        rel = v.get("tx_relapse_date")
        add("os_tx", "hsct", d0, _days(d0, last), int(dead))
        if rel is not None and rel <= last:
            add("efs_tx", "hsct", d0, _days(d0, rel), 1)
            add("cir_tx", "hsct", d0, _days(d0, rel), 1)
        else:
            add("efs_tx", "hsct", d0, _days(d0, last), int(dead))
            add("cir_tx", "hsct", d0, _days(d0, last), 2 if dead else 0)
        # aGVHD grade II-IV / III-IV (study-definition 6.4): needs the date the grade was reached. A patient whose
        # grade is unknown, or reached without a date (a transplant-level maximum grade), is left out, never given
        # a date; the analysis counts them in its note (studies/paper_extensions.py)
        for k, endpoint in ((2, "agvhd24_tx"), (3, "agvhd34_tx")):
            ge, date = v.get(f"agvhd_ge{k}"), v.get(f"agvhd_ge{k}_date")
            if ge is None or v.get(f"agvhd_ge{k}_undated"):
                continue
            if date is not None and date <= last:
                add(endpoint, "hsct", d0, _days(d0, date), 1)
            else:
                add(endpoint, "hsct", d0, _days(d0, last), 2 if dead else 0)
    return out
