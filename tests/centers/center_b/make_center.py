"""center_b: a SYNTHETIC center's chart-review workbook (8 sheets, its own layout), built from ``design.csv``.

    python tests/centers/center_b/make_center.py                 # rewrites center_b.xlsx and canonical/ here
    python tests/centers/center_b/make_center.py --patients 1000 --out /tmp/big_b   # a scaled-up copy (never committed)

What makes it messy, on purpose (issue 13, "What real chart reviews look like"): its own sheet and column names;
title rows above the headers and a units row under one; coded values written the center's way; free-text regimens
(brand names, abbreviations, cycle numbers, combinations) and intents; cells that mix numbers and text (blasts
``12 %``, ``<5``, ``approx 40``, ``>95``; MRD ``not detected``, ``<0.01 %``, ``0.005%``, a bare fraction, ``failed
sample``; cycles ``3 (stopped early)``); one row per cycle for some patients and one per course for others;
relapses in repeated column groups ``relapse_{n}_{field}``; a key/value sheet with the cut-off; marrow morphology
and flow cytometry on two sheets (same-day rows); one outcomes sheet feeding relapses and vital status; ids with
stray spaces and mixed case; text dates in a different format on each sheet next to real Excel dates; columns to
ignore and a sheet of drop-down lists that no table uses.

Every choice of spelling is drawn from a generator seeded by the patient id, so the bytes are the same on every run.
The canonical form (``canonical/``) is the same story in mabseq's template schema; ``mapping.yaml`` is what a person
writes to read the workbook as that canonical form.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from pathlib import Path

import openpyxl

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE.parents[2] / "src"))

import story  # noqa: E402
from mabseq.cohort.templates import deterministic_xlsx_bytes  # noqa: E402

WORKBOOK = "center_b.xlsx"
STUDY = {"study_name": "center_b", "data_cutoff": "2020-06-30", "center": "Center B (SYNTHETIC test center)",
         "enrollment_start": "2012-01-01", "enrollment_end": "2019-12-31"}

SPELL = {
    "regimen": {"hcvad": ["HCVAD", "hyper-CVAD", "Hyper-CVAD A/B"], "pomp": ["POMP", "POMP maintenance"],
                "flag_ida": ["FLAG-IDA", "FLAG-Ida", "Flag/Ida"], "blina": ["Blincyto", "blinatumomab", "blina"],
                "blina_dasatinib": ["blina+dasatinib", "Blincyto + dasatinib"],
                "ino": ["inotuzumab ozogamicin", "Besponsa", "InO"],
                "ino_minihcvd": ["InO/mini-HCVD", "mini-HCVD + InO"],
                "kymriah": ["Kymriah", "Kymriah", "tisagenlecleucel (Kymriah)"],
                "inv_cart": ["CD22 CAR-T (trial)", "investigational CAR-T"]},
    "intent_frontline": {"hcvad": ["induction", "1st line"], "pomp": ["maintenance"], "blina": ["consolidation"]},
    "intent_salvage": ["salvage", "R/R", "relapse", "2nd salvage", "refractory disease"],
    "state": {"morphologic": ["overt relapse", "morph."], "mrd": ["MRD+", "MRD only"]},
    "sex": {"male": ["m", "Male", "M"], "female": ["f", "Female", "F"]},
    "diagnosis": {"b_all": ["B-ALL", "pre-B ALL"], "t_all": ["T-ALL"]},
    "ph": {"positive": ["yes", "pos"], "negative": ["no"], "unknown": ["unk"]},
    "frontline": {"cr": ["CR", "CR1"], "refractory": ["refractory", "primary refractory"]},
    "yn": {"yes": ["yes", "y"], "no": ["no", "n"], "": [""]},
    "remission": {"cr": ["CR"], "cri": ["CRi"], "nr": ["NR", "refractory"], "relapse": ["relapse", "Relapse"],
                  "": [""]},
    "antigen": {"negative": ["neg", "negative"], "dim": ["dim", "weak"], "positive": ["pos", "positive", "+"],
                "": [""]},
    "donor": {"haplo": ["haplo", "haploidentical"], "mud": ["unrelated 8/8", "MUD 10/10"],
              "mud_bm": ["unrelated 8/8", "MUD 10/10"], "msd": ["MSD", "sibling"], "cord2": ["cord x2"],
              "mmud": ["unrelated 7/8", "MMUD"]},
    "graft": {"pbsc": ["PBSC", "PB"], "bm": ["BM"], "ucb_double": ["double cord", "dUCB"]},
    "intensity": {"mac": ["MAC", "myeloablative"], "ric": ["RIC"], "nma": ["NMA"]},
    "tx_status": {"cr_mrd_negative": ["CR MRD-neg", "CR (MRD-neg)"], "cr_mrd_positive": ["CR MRD+", "CR MRD pos"],
                  "cr_mrd_unknown": ["CR, MRD n/a"]},
    "agvhd": {"0": ["none", "0"], "1": ["1", "I", "one"], "2": ["2", "II", "two"], "3": ["III", "3", "three"],
              "4": ["IV", "4"], "": [""]},
    "site": {"marrow": ["BM", "marrow"], "combined": ["BM + CNS"], "cns": ["CNS"], "mrd_only": ["MRD only"]},
    "event": {"relapse": ["relapse", "Relapse"], "refractory": ["refractory", "no response"],
              "progression": ["PD", "progression"]},
    "vital": {"alive": ["Alive", "alive"], "dead": ["Dead", "died"]},
    "cause": {"progression": ["relapsed ALL", "progressive disease", "disease progression"],
              "infection": ["sepsis", "fungal pneumonia"], "gvhd": ["GVHD (gut)", "acute GvHD"],
              "sos": ["VOD/SOS"], "organ_toxicity": ["multiorgan failure"], "": [""]},
}
BLASTS_TEXT = {"2.5": "<5", "95": ">95", "40": "approx 40", "12": "12 %", "8": "8%"}
MRD_TEXT = {"0.00005": "0.005%", "0.002": "0.002", "0.012": "1.2%", "0.0125": "1.25 %", "0.0008": "0.08%",
            "0.003": "0.3%", "": "failed sample"}


def _date(s: str) -> dt.datetime | None:
    return dt.datetime.fromisoformat(s) if s else None


def _txt(s: str, fmt: str) -> str:
    return dt.date.fromisoformat(s).strftime(fmt) if s else ""


class Spell:
    """Deterministic choices of spelling for one patient (seeded by the id)."""

    def __init__(self, pid: str):
        self.r = random.Random(f"center_b:{pid}")
        self.pid = pid
        n = pid.split("-")[1]
        self.ids = {}
        self._variants = [pid, pid.lower(), f" {pid}", f"{pid} ", f"Cb-{n}", f"cb-{n} "]

    def id(self, sheet: str) -> str:  # one variant per patient and sheet (rows of a course group on the raw id)
        if sheet not in self.ids:
            self.ids[sheet] = self.r.choice(self._variants)
        return self.ids[sheet]

    def one(self, group: str, key: str | None = None) -> str:
        options = SPELL[group] if key is None else SPELL[group][key]
        return self.r.choice(options)


def _cycles_cell(sp: Spell, cycles: str):
    if not cycles:
        return None
    if int(cycles) >= 2 and sp.r.random() < 0.25:
        return f"{cycles} (stopped early)"
    return int(cycles)


def _blasts_cell(v: str):
    if v in BLASTS_TEXT:
        return BLASTS_TEXT[v]
    f = float(v)
    return int(f) if f == int(f) else f


def _mrd_cell(sp: Spell, v: str | None):
    if v is None:
        return None
    if v == "0":
        return sp.r.choice(["not detected", "<0.01 %"])
    return MRD_TEXT[v]


def build_workbook(design: list[dict]) -> openpyxl.Workbook:
    wb = openpyxl.Workbook()
    info = wb.active
    info.title = "Study info"
    info.append(["CENTER B - ALL antibody chart review (SYNTHETIC TEST DATA, no real person)"])
    info.append([])
    info.append(["Item", "Value"])
    for k, v in (("Center", STUDY["center"]), ("Data cut-off", "30 Jun 2020"), ("mAb1 window from", "01 Jan 2012"),
                 ("mAb1 window to", "31 Dec 2019"), ("Version", "v3"), ("Prepared", "research office")):
        info.append([k, v])

    pts = wb.create_sheet("Pts")
    pts.append(["Patient list"])
    pts.append(["(synthetic test center)"])
    pts.append(["Study no.", "Gender", "DOB", "Diagnosis", "Dx date", "Ph+", "Induction response", "Comments",
                "Entered by"])
    tr = wb.create_sheet("Treatments")
    tr.append(["Systemic therapy log (one row per course, or per cycle where the cycle no. is given)"])
    tr.append(["Patient", "Regimen", "Intent", "Cycle no.", "Start date", "Stop date", "No. cycles",
               "Disease at start", "TKI", "Best resp", "Comment"])
    bm = wb.create_sheet("Marrow")
    bm.append(["Pt ID", "Date of BM", "Blasts %", "PB blasts", "EMD", "Remission status", "Cellularity %"])
    bm.append(["", "dd.mm.yyyy", "%", "y/n", "y/n", "", "%"])
    fl = wb.create_sheet("Flow")
    fl.append(["Patient", "Sample date", "MRD", "Abnormal pop.", "CD19", "CD22", "Tube panel"])
    tx = wb.create_sheet("Transplant")
    tx.append(["alloHSCT"])
    tx.append(["Pt", "Cond. start", "SCT date", "Donor", "Stem cell source", "Conditioning", "Intensity",
               "Disease status at SCT", "aGVHD max grade", "CMV"])
    oc = wb.create_sheet("Outcomes")
    oc.append(["ID"] + [f"relapse_{n}_{f}" for n in (1, 2, 3) for f in ("date", "site", "type")]
              + ["Vital status", "Last FU", "Date of death", "Cause of death", "Status at last FU"])
    lists = wb.create_sheet("Lists")
    lists.append(["Donor options", "Intensity options"])
    for a, b in (("haplo", "MAC"), ("MSD", "RIC"), ("unrelated 8/8", "NMA"), ("cord x2", "")):
        lists.append([a, b])

    for p in design:
        sp = Spell(p["pid"])
        pts.append([sp.id("Pts"), sp.one("sex", p["sex"]), _date(p["birth_date"]), sp.one("diagnosis", p["diagnosis"]),
                    _txt(p["diagnosis_date"], "%d/%m/%Y"), sp.one("ph", p["ph"]),
                    sp.one("frontline", p["frontline_resp"]), sp.r.choice(["", "", "see notes"]), "data manager"])
        for c in story.courses(p):
            reg = c["regimen"]
            spelling = sp.one("regimen", reg)
            if p["rows"] == "course" and reg == "blina" and c["cycles"] and sp.r.random() < 0.4:
                spelling = f"blinatumomab cyc {c['cycles']}"
            if c["intent"] == "frontline":
                intent = sp.one("intent_frontline", reg)
            else:
                intent = sp.one("intent_salvage")
            state = sp.one("state", c["state"]) if c["state"] else None
            tki = c["tki"] or None
            if p["rows"] == "cycle" and c["cycles"]:
                for k, (s, e) in enumerate(story.cycle_dates(reg, c["start"], int(c["cycles"])), 1):
                    tr.append([sp.id("Treatments"), spelling, intent, f"C{k}", dt.datetime(s.year, s.month, s.day),
                               dt.datetime(e.year, e.month, e.day), None, state, tki, None, None])
            else:
                tr.append([sp.id("Treatments"), spelling, intent, None, _date(story._s(c["start"])),
                           _date(story._s(c["end"])), _cycles_cell(sp, c["cycles"]), state, tki,
                           sp.r.choice(["", "CR (MRD-neg)", "CRi", "PR", "NR"]), None])
        for m in story.marrows(p):
            iso = m["date"].isoformat()
            status = m["status"]
            if status == "cr" and m["mrd"] in ("0", "0.00005"):
                rem = "CR (MRD-neg)"
            else:
                rem = sp.one("remission", status)
            bm.append([sp.id("Marrow"), _txt(iso, "%d.%m.%Y"), _blasts_cell(m["blasts"]), sp.one("yn", m["pb"]),
                       sp.one("yn", m["emd"]), rem, sp.r.choice([30, 50, 70])])
            if m["mrd"] is not None or m["abnormal"]:
                fl.append([sp.id("Flow"), dt.datetime.fromisoformat(iso), _mrd_cell(sp, m["mrd"]),
                           m["abnormal"] or None, sp.one("antigen", m["cd19"]) or None,
                           sp.one("antigen", m["cd22"]) or None, "B-ALL MRD 8-colour"])
        if p["tx_date"]:
            tx.append([sp.id("Transplant"), _txt(p["tx_cond_start"], "%d-%b-%Y"), _txt(p["tx_date"], "%d-%b-%Y"),
                       sp.one("donor", p["tx_donor"]), sp.one("graft", p["tx_graft"]),
                       story.CONDITIONING[p["tx_conditioning"]][0], sp.one("intensity", p["tx_intensity"]),
                       sp.one("tx_status", p["tx_status"]), sp.one("agvhd", p["tx_agvhd_grade"]) or None,
                       sp.r.choice(["R+/D-", "R-/D-", "R+/D+"])])
        row = [sp.id("Outcomes")]
        evs = story.events(p)
        for n in range(3):
            if n < len(evs):
                e = evs[n]
                row += [dt.datetime(e["date"].year, e["date"].month, e["date"].day), sp.one("site", e["site"]),
                        sp.one("event", e["type"])]
            else:
                row += [None, None, None]
        row += [sp.one("vital", p["vital"]), _txt(p["last_contact"], "%d/%m/%Y"), _txt(p["death_date"], "%d/%m/%Y"),
                sp.one("cause", p["death_cause"]) or None,
                "" if p["vital"] == "dead" else sp.r.choice(["CR", "on treatment", "active disease"])]
        oc.append(row)
    for ws in (pts, tr, fl, oc):
        for col in ws.iter_cols():
            for cell in col:
                if isinstance(cell.value, dt.datetime):
                    cell.number_format = "yyyy-mm-dd" if ws.title != "Flow" else "dd/mm/yy"
    return wb


def write_center(design: list[dict], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    (out / WORKBOOK).write_bytes(deterministic_xlsx_bytes(build_workbook(design)))
    canon = out / "canonical"
    canon.mkdir(exist_ok=True)
    for name, rows in story.canonical_tables(design, STUDY).items():
        (canon / f"{name}.csv").write_bytes(story.table_csv(name, rows))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--patients", type=int, help="build a scaled-up center of N patients (seeded) instead")
    ap.add_argument("--out", type=Path, help="folder to write into (required with --patients)")
    a = ap.parse_args(argv)
    if a.patients:
        if not a.out:
            ap.error("--patients needs --out (scaled-up centers are never written into the repository)")
        design = story.generate_design(a.patients, 12, "CB", "{prefix}-{i:04d}")
        a.out.mkdir(parents=True, exist_ok=True)
        (a.out / "design.csv").write_text(story.design_csv(design), encoding="utf-8")
        write_center(design, a.out)
        return 0
    write_center(story.read_design(HERE / "design.csv"), a.out or HERE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
