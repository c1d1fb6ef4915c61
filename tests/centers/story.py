"""The clinical story of a SYNTHETIC test center (no real person): one row per patient of ``design.csv``, and the
same story in mabseq's canonical template form (docs/COHORT_SCHEMA.md).

``design.csv`` is the source of truth of a test center. It was generated once by :func:`generate_design` (seeded)
and then committed; ``make_center.py`` of each center turns it into that center's messy layout and into the
canonical CSV folder. ``truth.R`` reads ``design.csv`` only. ``generate_design`` is also how ``--patients N`` builds
a scaled-up center for benchmarks.

The stories are built so that they avoid the derivation gaps tracked in issue 14 (see tests/centers/README.md):
every non-responder to an antibody has a dated refractory/progression event on the marrow that documents it, with a
flow sample carrying the antigen call the same day; every antibody course states ``disease_state_at_start``; every
marrow gives ``pb_blasts`` and ``emd_present``; aGVHD grades stay on the transplant sheet only; every mAb2 starts
before the cut-off.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import random

CUTOFF = dt.date(2020, 6, 30)
ENROLL = (dt.date(2012, 1, 1), dt.date(2019, 12, 31))

DESIGN_COLUMNS = [
    "pid", "rows", "diagnosis", "sex", "birth_date", "diagnosis_date", "ph", "frontline_resp",
    "fl_start", "fl_cycles", "fl_end", "flb_start", "flb_end", "maint_start", "maint_end",
    "relapse0_date", "relapse0_site",
    "ps_regimen", "ps_start", "ps_cycles", "ps_end",
    "mab1_agent", "mab1_form", "mab1_start", "mab1_cycles", "mab1_end", "mab1_state",
    "mab1_base_date", "mab1_base_blasts", "mab1_base_pb", "mab1_base_mrd",
    "mab1_resp_date", "mab1_resp_blasts", "mab1_resp_pb", "mab1_resp_emd", "mab1_resp_mrd",
    "ev1_date", "ev1_type", "ev1_site", "ev1_blasts", "ev1_cd19", "ev1_cd22",
    "int_regimen", "int_start", "int_cycles", "int_end",
    "mab2_agent", "mab2_form", "mab2_start", "mab2_cycles", "mab2_end", "mab2_state",
    "mab2_base_date", "mab2_base_blasts",
    "mab2_resp_date", "mab2_resp_blasts", "mab2_resp_pb", "mab2_resp_emd", "mab2_resp_mrd",
    "ev2_date", "ev2_type", "ev2_site", "ev2_blasts",
    "salv_regimen", "salv_start", "salv_cycles", "salv_end",
    "tx_cond_start", "tx_date", "tx_donor", "tx_graft", "tx_conditioning", "tx_intensity", "tx_status",
    "tx_agvhd_grade",
    "vital", "last_contact", "death_date", "death_cause",
]

# regimen key -> (therapy_class, regimen name, agents, days from a cycle's start to its end, days between cycles)
REGIMENS = {
    "hcvad": ("chemotherapy", "hyper-CVAD",
              "cyclophosphamide;vincristine;doxorubicin;dexamethasone;methotrexate;cytarabine", 20, 21),
    "pomp": ("chemotherapy", "POMP", "mercaptopurine;vincristine;methotrexate;prednisone", None, None),
    "flag_ida": ("chemotherapy", "FLAG-IDA", "fludarabine;cytarabine;idarubicin", 4, 28),
    "blina": ("blinatumomab", "blinatumomab", "blinatumomab", 27, 42),
    "blina_dasatinib": ("blinatumomab", "blinatumomab + dasatinib", "blinatumomab;dasatinib", 27, 42),
    "ino": ("inotuzumab", "inotuzumab", "inotuzumab", 14, 28),
    "ino_minihcvd": ("inotuzumab", "mini-hyper-CVD + inotuzumab",
                     "inotuzumab;cyclophosphamide;vincristine;dexamethasone", 14, 28),
    "kymriah": ("car_t", "tisagenlecleucel", "tisagenlecleucel", 0, 0),
    "inv_cart": ("car_t", "investigational CD22 CAR-T", "cd22 car-t", 0, 0),
}
DONORS = {  # design key -> (donor_type, graft_source)
    "haplo": ("haploidentical", "pbsc"), "mud": ("matched_unrelated", "pbsc"), "mud_bm": ("matched_unrelated", "bm"),
    "msd": ("matched_sibling", "pbsc"), "cord2": ("cord", "ucb_double"), "mmud": ("mismatched_unrelated", "pbsc"),
}
CONDITIONING = {"flu_bu4": ("Flu/Bu4", "mac"), "tbi_cy": ("TBI/Cy", "mac"), "flu_mel": ("Flu/Mel", "ric"),
                "cy_flu_tbi200": ("Cy/Flu/TBI 200", "nma")}
EXCLUSION_KINDS = ("not_ball", "only_blina", "frontline_blina", "before_enrollment", "under15", "only_ino")


def _d(s: str) -> dt.date | None:
    return dt.date.fromisoformat(s) if s else None


def _s(d) -> str:
    return "" if d is None else (d.isoformat() if isinstance(d, dt.date) else str(d))


def course_end(regimen: str, start: dt.date, cycles: int) -> dt.date:
    _, _, _, length, period = REGIMENS[regimen]
    return start + dt.timedelta(days=period * (cycles - 1) + length)


def cycle_dates(regimen: str, start: dt.date, cycles: int) -> list[tuple[dt.date, dt.date]]:
    """(start, end) of each cycle: the per-cycle rows of a center that records one row per cycle."""
    _, _, _, length, period = REGIMENS[regimen]
    out = []
    for k in range(cycles):
        s = start + dt.timedelta(days=period * k)
        out.append((s, s + dt.timedelta(days=length)))
    return out


# ---- the seeded generator (run once for the committed design; again for --patients N) --------------------------
def _patient(r: random.Random, pid: str, kind: str) -> dict:
    D = dt.timedelta
    p = {c: "" for c in DESIGN_COLUMNS}
    p["pid"] = pid
    p["rows"] = "cycle" if r.random() < 0.35 else "course"
    p["diagnosis"] = "t_all" if kind == "not_ball" else "b_all"
    p["sex"] = r.choice(["male", "female"])
    ph = "positive" if r.random() < 0.2 else ("unknown" if r.random() < 0.06 else "negative")
    p["ph"] = ph
    cr_fl = r.random() < 0.8
    p["frontline_resp"] = "cr" if cr_fl else "refractory"
    if kind == "before_enrollment":
        m1 = dt.date(2011, 3, 1) + D(days=r.randint(0, 250))
    else:
        m1 = dt.date(2012, 3, 1) + D(days=r.randint(0, 2380))
    # backwards from mAb1: prior salvage, the relapse (or refractory frontline), maintenance, frontline
    if r.random() < 0.3:
        c = r.randint(1, 2)
        ps_end = m1 - D(days=r.randint(21, 40))
        ps_start = ps_end - D(days=28 * (c - 1) + 4)
        p.update(ps_regimen="flag_ida", ps_start=_s(ps_start), ps_cycles=str(c), ps_end=_s(ps_end))
        disease = ps_start - D(days=7)
    else:
        disease = m1 - D(days=r.randint(10, 30))
    fl_cycles = 8 if cr_fl else 4
    if cr_fl:
        p.update(relapse0_date=_s(disease), relapse0_site="combined" if r.random() < 0.15 else "marrow")
        if kind == "frontline_blina":
            flb_end = disease - D(days=r.randint(120, 400))
            flb_start = flb_end - D(days=27)
            p.update(flb_start=_s(flb_start), flb_end=_s(flb_end))
            fl_end = flb_start - D(days=14)
        elif p["rows"] == "course" and r.random() < 0.5:
            maint_end = disease - D(days=r.randint(60, 300))
            maint_start = maint_end - D(days=r.randint(200, 500))
            p.update(maint_start=_s(maint_start), maint_end=_s(maint_end))
            fl_end = maint_start - D(days=14)
        else:
            fl_end = disease - D(days=r.randint(90, 500))
    else:
        fl_end = disease - D(days=7)
    fl_start = fl_end - D(days=21 * fl_cycles - 1)
    p.update(fl_start=_s(fl_start), fl_cycles=str(fl_cycles), fl_end=_s(fl_end))
    dx = fl_start - D(days=4)
    if kind == "under15":
        birth = m1 - D(days=round(r.uniform(13.0, 14.8) * 365.25))
    else:
        birth = dx - D(days=round(r.uniform(18, 72) * 365.25))
    p.update(birth_date=_s(birth), diagnosis_date=_s(dx))

    # mAb1
    bf = kind in ("only_blina",) or (kind not in ("only_ino", "frontline_blina") and r.random() < 0.75)
    a1 = "blinatumomab" if bf else "inotuzumab"
    form1 = ("blina_dasatinib" if ph == "positive" else "blina") if bf else \
        ("ino_minihcvd" if r.random() < 0.2 else "ino")
    state1 = "mrd" if r.random() < 0.2 else "morphologic"
    cr1 = r.random() < 0.55
    c1 = (r.randint(1, 4) if bf else r.randint(1, 3)) if cr1 else (1 if bf else r.randint(1, 2))
    m1_end = course_end(form1, m1, c1)
    p.update(mab1_agent=a1, mab1_form=form1, mab1_start=_s(m1), mab1_cycles=str(c1), mab1_end=_s(m1_end),
             mab1_state=state1, mab1_base_date=_s(m1 - D(days=r.randint(3, 14))))
    if state1 == "mrd":
        p.update(mab1_base_blasts=r.choice(["1", "2", "3"]), mab1_base_pb="no",
                 mab1_base_mrd=r.choice(["0.002", "0.0125", "0.0008"]))
    else:
        p.update(mab1_base_blasts=r.choice(["12", "40", "95", "60", "25", "8", "78"]),
                 mab1_base_pb=r.choice(["yes", "yes", "no"]))
    resp1 = m1 + D(days=21)
    p["mab1_resp_date"] = _s(resp1)
    antigen_call = lambda: r.choice(["negative", "dim", "positive", "positive"])  # noqa: E731
    if cr1:
        mrd = "0" if state1 == "mrd" else r.choice(["0", "0", "0.00005", "0.002", "0.012", ""])
        p.update(mab1_resp_blasts=r.choice(["1", "2", "3", "2.5"]), mab1_resp_pb="no", mab1_resp_emd="no",
                 mab1_resp_mrd=mrd)
        ev1 = m1_end + D(days=r.randint(30, 200))
        p.update(ev1_date=_s(ev1), ev1_type="relapse", ev1_site="combined" if r.random() < 0.15 else "marrow",
                 ev1_blasts=r.choice(["12", "40", "95", "60", "25"]))
    else:
        if state1 == "mrd":  # persistent MRD: no response (conversion to MRD-negative is required)
            p.update(mab1_resp_blasts="2", mab1_resp_pb="no", mab1_resp_emd="no", mab1_resp_mrd="0.003")
            site = "mrd_only"
        else:
            p.update(mab1_resp_blasts=r.choice(["35", "60", "95", "40"]), mab1_resp_pb="yes", mab1_resp_emd="no")
            site = "marrow"
        ev1 = resp1
        p.update(ev1_date=_s(ev1), ev1_type="refractory", ev1_site=site)
    if bf:
        p["ev1_cd19"] = antigen_call()
    else:
        p["ev1_cd22"] = antigen_call()

    if kind in ("only_blina", "only_ino", "frontline_blina"):
        # a single antibody: chemotherapy salvage after it, then death
        s = ev1 + D(days=r.randint(7, 20))
        p.update(salv_regimen="flag_ida", salv_start=_s(s), salv_cycles="1", salv_end=_s(course_end("flag_ida", s, 1)))
        death = s + D(days=r.randint(30, 200))
        p.update(vital="dead", last_contact=_s(death), death_date=_s(death), death_cause="progression")
        return p

    # interim therapy, mAb2
    if r.random() < 0.45:
        reg = r.choice(["flag_ida", "hcvad", "inv_cart"])
        s = ev1 + D(days=r.randint(5, 12))
        c = 1
        p.update(int_regimen=reg, int_start=_s(s), int_cycles=str(c), int_end=_s(course_end(reg, s, c)))
        m2 = course_end(reg, s, c) + D(days=r.randint(20, 40))
    else:
        m2 = ev1 + D(days=r.randint(10, 25))
    a2 = "inotuzumab" if bf else "blinatumomab"
    form2 = ("ino_minihcvd" if r.random() < 0.25 else "ino") if bf else \
        ("blina_dasatinib" if ph == "positive" else "blina")
    cr2 = r.random() < 0.65
    c2 = (r.randint(1, 4) if cr2 else r.randint(1, 2)) if a2 == "inotuzumab" else (r.randint(1, 3) if cr2 else 1)
    m2_end = course_end(form2, m2, c2)
    resp2 = m2 + D(days=21)
    p.update(mab2_agent=a2, mab2_form=form2, mab2_start=_s(m2), mab2_cycles=str(c2), mab2_end=_s(m2_end),
             mab2_state="morphologic", mab2_base_date=_s(m2 - D(days=r.randint(2, 7))),
             mab2_base_blasts=r.choice(["12", "40", "95", "60", "25", "8"]), mab2_resp_date=_s(resp2))
    death = None
    last_event = resp2
    if cr2:
        mrd2 = r.choice(["0", "0", "0.00005", "0.002", "0.012", ""])
        p.update(mab2_resp_blasts=r.choice(["1", "2", "3", "2.5"]), mab2_resp_pb="no", mab2_resp_emd="no",
                 mab2_resp_mrd=mrd2)
        if r.random() < 0.6:
            cond = m2_end + D(days=r.randint(14, 35))
            tx = cond + D(days=6)
            donor = r.choice(list(DONORS))
            cond_key = "cy_flu_tbi200" if donor == "cord2" else r.choice(["flu_bu4", "tbi_cy", "flu_mel"])
            status = {"0": "cr_mrd_negative", "0.00005": "cr_mrd_negative", "": "cr_mrd_unknown"}.get(
                mrd2, "cr_mrd_positive")
            p.update(tx_cond_start=_s(cond), tx_date=_s(tx), tx_donor=donor, tx_graft=DONORS[donor][1],
                     tx_conditioning=cond_key, tx_intensity=CONDITIONING[cond_key][1], tx_status=status,
                     tx_agvhd_grade=r.choice(["0", "1", "2", "3", "4", "", "0"]))
            last_event = tx
            if r.random() < 0.35:
                ev2 = tx + D(days=r.randint(60, 400))
                p.update(ev2_date=_s(ev2), ev2_type="relapse", ev2_site=r.choice(["marrow", "marrow", "cns"]),
                         ev2_blasts=r.choice(["12", "40", "60"]))
                last_event = ev2
                if r.random() < 0.8:
                    death = ev2 + D(days=r.randint(20, 200))
                    p["death_cause"] = "progression"
            elif r.random() < 0.3:
                death = tx + D(days=r.randint(30, 300))
                p["death_cause"] = r.choice(["infection", "gvhd", "sos", "organ_toxicity"])
        else:
            if r.random() < 0.6:
                ev2 = m2_end + D(days=r.randint(30, 250))
                p.update(ev2_date=_s(ev2), ev2_type="relapse", ev2_site="marrow", ev2_blasts=r.choice(["12", "40"]))
                last_event = ev2
                if r.random() < 0.7:
                    death = ev2 + D(days=r.randint(30, 250))
                    p["death_cause"] = "progression"
    else:
        p.update(mab2_resp_blasts=r.choice(["35", "60", "95", "40"]), mab2_resp_pb="yes", mab2_resp_emd="no")
        ev2 = resp2
        p.update(ev2_date=_s(ev2), ev2_type=r.choice(["refractory", "progression"]), ev2_site="marrow")
        if r.random() < 0.85:
            death = ev2 + D(days=r.randint(30, 300))
            p["death_cause"] = "progression"
    if p["ev2_date"] and not p["tx_date"] and r.random() < 0.6:  # a further line after the post-mAb2 event
        reg = r.choice(["kymriah", "flag_ida", "blina" if a2 == "inotuzumab" else "ino"])
        s = _d(p["ev2_date"]) + D(days=r.randint(7, 20))
        c = 1 if reg == "kymriah" else r.randint(1, 2)
        if s <= CUTOFF and (death is None or course_end(reg, s, c) < death - D(days=5)):
            p.update(salv_regimen=reg, salv_start=_s(s), salv_cycles=str(c), salv_end=_s(course_end(reg, s, c)))
            last_event = max(last_event, course_end(reg, s, c))
    if death is not None:
        p.update(vital="dead", last_contact=_s(death), death_date=_s(death))
    else:
        lo = last_event + D(days=30)
        hi = max(lo, CUTOFF + D(days=90))
        p.update(vital="alive", last_contact=_s(lo + D(days=r.randint(0, (hi - lo).days))))
    return p


def generate_design(n: int, seed: int, prefix: str, id_format: str = "{prefix}-{i:02d}") -> list[dict]:
    """``n`` patients; every 7th (from the 5th) is built to fail exactly one inclusion criterion, cycling through
    :data:`EXCLUSION_KINDS`."""
    out = []
    k = 0
    for i in range(1, n + 1):
        kind = ""
        if i % 7 == 5:
            kind = EXCLUSION_KINDS[k % len(EXCLUSION_KINDS)]
            k += 1
        r = random.Random(f"{seed}:{i}")
        out.append(_patient(r, id_format.format(prefix=prefix, i=i), kind))
    return out


def read_design(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def design_csv(rows: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=DESIGN_COLUMNS, lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue()


# ---- the story as records (shared by every layout and by the canonical form) ----------------------------------
def courses(p: dict) -> list[dict]:
    """The therapy courses of one patient in start order: regimen key, start, end, cycles, intent, state, tki."""
    out = []

    def add(reg, start, end, cycles, intent, state="", tki=""):
        if start:
            out.append({"regimen": reg, "start": _d(start), "end": _d(end), "cycles": cycles, "intent": intent,
                        "state": state, "tki": tki})

    add("hcvad", p["fl_start"], p["fl_end"], p["fl_cycles"], "frontline")
    add("blina", p["flb_start"], p["flb_end"], "1", "frontline")
    add("pomp", p["maint_start"], p["maint_end"], "", "frontline")
    add(p["ps_regimen"], p["ps_start"], p["ps_end"], p["ps_cycles"], "salvage")
    for k in ("mab1", "mab2"):
        form = p[f"{k}_form"]
        add(form, p[f"{k}_start"], p[f"{k}_end"], p[f"{k}_cycles"], "salvage", p[f"{k}_state"],
            "dasatinib" if form == "blina_dasatinib" else "")
    add(p["int_regimen"], p["int_start"], p["int_end"], p["int_cycles"], "salvage")
    add(p["salv_regimen"], p["salv_start"], p["salv_end"], p["salv_cycles"], "salvage")
    out.sort(key=lambda c: c["start"])
    for i, c in enumerate(out, 1):
        c["course_id"] = f"C{i}"
    return out


def marrows(p: dict) -> list[dict]:
    """The marrow samples of one patient (morphology and, where taken, flow the same day), in date order."""
    out = {}

    def add(date, blasts, pb, emd="no", mrd=None, cd19="", cd22="", abnormal="", status=""):
        if not date:
            return
        if date in out:
            raise ValueError(f"{p['pid']}: two marrows on {date}")
        out[date] = {"date": _d(date), "blasts": blasts, "pb": pb, "emd": emd, "mrd": mrd, "cd19": cd19,
                     "cd22": cd22, "abnormal": abnormal, "status": status}

    def resp_status(k):  # the center's own remission call at a response marrow (kept, not used for the truth)
        if p[f"{k}_resp_pb"] == "yes" or (p[f"{k}_state"] == "mrd" and p[f"{k}_resp_mrd"] not in ("0", "0.00005")):
            return "nr"
        return "cri" if p[f"{k}_resp_blasts"] == "3" else "cr"

    if p["mab1_base_date"]:
        add(p["mab1_base_date"], p["mab1_base_blasts"], p["mab1_base_pb"],
            mrd=p["mab1_base_mrd"] if p["mab1_state"] == "mrd" else None)
    ev1_here = p["ev1_date"] == p["mab1_resp_date"]
    add(p["mab1_resp_date"], p["mab1_resp_blasts"], p["mab1_resp_pb"], p["mab1_resp_emd"],
        mrd=p["mab1_resp_mrd"] if p["mab1_resp_pb"] == "no" else None,
        cd19=p["ev1_cd19"] if ev1_here else "", cd22=p["ev1_cd22"] if ev1_here else "",
        abnormal="yes" if ev1_here else "", status=resp_status("mab1"))
    if p["ev1_date"] and not ev1_here:
        add(p["ev1_date"], p["ev1_blasts"], "yes", "yes" if p["ev1_site"] == "combined" else "no",
            cd19=p["ev1_cd19"], cd22=p["ev1_cd22"], abnormal="yes", status="relapse")
    if p["mab2_start"]:
        add(p["mab2_base_date"], p["mab2_base_blasts"], "yes")
        add(p["mab2_resp_date"], p["mab2_resp_blasts"], p["mab2_resp_pb"], p["mab2_resp_emd"],
            mrd=p["mab2_resp_mrd"] if p["mab2_resp_pb"] == "no" else None, status=resp_status("mab2"))
        if p["ev2_date"] and p["ev2_date"] != p["mab2_resp_date"] and p["ev2_site"] != "cns":
            add(p["ev2_date"], p["ev2_blasts"], "yes", status="relapse")
    return [out[k] for k in sorted(out)]


def events(p: dict) -> list[dict]:
    out = []
    for k in ("relapse0", "ev1", "ev2"):
        date = p[f"{k}_date"]
        if date:
            out.append({"date": _d(date), "type": p.get(f"{k}_type") or "relapse", "site": p[f"{k}_site"]})
    return out



# ---- the canonical template form (docs/COHORT_SCHEMA.md) ------------------------------------------------------------
CANONICAL_COLUMNS = {
    "study": ["study_name", "data_cutoff", "center", "enrollment_start", "enrollment_end"],
    "patients": ["patient_id", "diagnosis", "sex", "birth_date", "diagnosis_date", "ph_status", "frontline_response"],
    "therapies": ["patient_id", "course_id", "therapy_class", "regimen", "agents", "start_date", "end_date", "cycles",
                  "intent", "disease_state_at_start", "concurrent_tki"],
    "assessments": ["patient_id", "assessment_date", "specimen", "bm_blast_pct", "pb_blasts", "mrd_value",
                    "mrd_method", "mrd_lod", "emd_present", "abnormal_population", "cd19_call", "cd22_call",
                    "response_recorded"],
    "transplants": ["patient_id", "transplant_date", "conditioning_start_date", "donor_type", "graft_source",
                    "conditioning_regimen", "conditioning_intensity", "disease_status", "agvhd_max_grade"],
    "disease_events": ["patient_id", "event_date", "event_type", "site", "cns_involved"],
    "follow_up": ["patient_id", "last_contact_date", "vital_status", "death_date", "death_cause"],
}


def _mrd_fraction(v: str | None) -> str:
    return "" if not v else repr(float(v))


def canonical_tables(design: list[dict], study: dict) -> dict[str, list[dict]]:
    """The design in the canonical schema (a center that records one row per cycle has as many rows as cycles)."""
    t = {name: [] for name in CANONICAL_COLUMNS}
    t["study"].append(study)
    for p in design:
        pid = p["pid"]
        t["patients"].append({"patient_id": pid, "diagnosis": p["diagnosis"], "sex": p["sex"],
                              "birth_date": p["birth_date"], "diagnosis_date": p["diagnosis_date"],
                              "ph_status": p["ph"], "frontline_response": p["frontline_resp"]})
        for c in courses(p):
            cls, name, agents, _, _ = REGIMENS[c["regimen"]]
            t["therapies"].append({"patient_id": pid, "course_id": c["course_id"], "therapy_class": cls,
                                   "regimen": name, "agents": agents, "start_date": _s(c["start"]),
                                   "end_date": _s(c["end"]), "cycles": c["cycles"], "intent": c["intent"],
                                   "disease_state_at_start": c["state"], "concurrent_tki": c["tki"]})
        for m in marrows(p):
            t["assessments"].append({
                "patient_id": pid, "assessment_date": _s(m["date"]), "specimen": "marrow",
                "bm_blast_pct": repr(float(m["blasts"])), "pb_blasts": m["pb"],
                "mrd_value": _mrd_fraction(m["mrd"]), "mrd_method": "flow", "mrd_lod": "0.0001",
                "emd_present": m["emd"], "abnormal_population": m["abnormal"], "cd19_call": m["cd19"],
                "cd22_call": m["cd22"], "response_recorded": m["status"]})
        if p["tx_date"]:
            donor, graft = DONORS[p["tx_donor"]]
            reg, intensity = CONDITIONING[p["tx_conditioning"]]
            t["transplants"].append({"patient_id": pid, "transplant_date": p["tx_date"],
                                     "conditioning_start_date": p["tx_cond_start"], "donor_type": donor,
                                     "graft_source": graft, "conditioning_regimen": reg,
                                     "conditioning_intensity": intensity, "disease_status": p["tx_status"],
                                     "agvhd_max_grade": p["tx_agvhd_grade"]})
        for e in events(p):
            t["disease_events"].append({"patient_id": pid, "event_date": _s(e["date"]), "event_type": e["type"],
                                        "site": e["site"],
                                        "cns_involved": "yes" if e["site"] in ("combined", "cns") else "no"})
        t["follow_up"].append({"patient_id": pid, "last_contact_date": p["last_contact"], "vital_status": p["vital"],
                               "death_date": p["death_date"], "death_cause": p["death_cause"]})
    return t


def table_csv(name: str, rows: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=CANONICAL_COLUMNS[name], lineterminator="\n")
    w.writeheader()
    w.writerows(rows)
    return buf.getvalue().encode("utf-8")
