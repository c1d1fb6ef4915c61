"""center_c: a SYNTHETIC center's CSV export "from another system" (a folder of files), built from ``design.csv``.

    python tests/centers/center_c/make_center.py                 # rewrites export/ and canonical/ here
    python tests/centers/center_c/make_center.py --patients 1000 --out /tmp/big_c   # scaled up (never committed)

How the other system exports: semicolons, decimal commas, Windows-1252 text (``Kymriah®``, ``Übersicht``), dates
``dd.mm.yyyy``, numeric codes (sex 1/2/9, yes/no/unknown 1/0/9, donor and graft codes), German labels, a
key/value file with the cut-off, one row per course in the therapy file, one row per marrow sample (morphology,
MRD and flow together) and a long-format course file (``verlauf.csv``: one row per event, last contact or death)
that feeds both the disease events and the vital status. MRD is a fraction with a decimal comma, ``n.n.`` (not
detected), ``<0,0001`` or ``nicht auswertbar`` (failed sample). The export ships its code book
(``codebuch.csv``: Feld;Code;Bezeichnung, e.g. ``geschlecht;1;männlich``), as such registries do.
"""
from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import story  # noqa: E402

FOLDER = "export"
SEED = 24
STUDY = {"study_name": "center_c", "data_cutoff": "2020-06-30", "center": "Center C (SYNTHETIC test center)",
         "enrollment_start": "2012-01-01", "enrollment_end": "2019-12-31"}
SUBSTANZ = {"hcvad": ["Hyper-CVAD", "HCVAD"], "pomp": ["POMP"], "flag_ida": ["FLAG-IDA"],
            "blina": ["Blinatumomab", "Blincyto"], "blina_dasatinib": ["Blinatumomab + Dasatinib"],
            "ino": ["Inotuzumab ozogamicin", "Besponsa"], "ino_minihcvd": ["InO + mini-HCVD"],
            "kymriah": ["Kymriah®"], "inv_cart": ["CAR-T (Studie)"]}
SEX = {"male": "1", "female": "2", "unknown": "9"}
YN = {"yes": "1", "no": "0", "": ""}
DONOR = {"msd": "1", "mud": "2", "mud_bm": "2", "mmud": "3", "haplo": "4", "cord2": "5"}
GRAFT = {"bm": "1", "pbsc": "2", "ucb_double": "3"}
ANTIGEN = {"negative": ["neg", "negativ"], "dim": ["schwach"], "positive": ["pos", "positiv"], "": [""]}
EVENT = {"relapse": "1", "refractory": "2", "progression": "3"}
SITE = {"marrow": "1", "cns": "2", "combined": "3", "mrd_only": "4"}
CAUSE = {"progression": ["Progress", "Rezidiv der ALL"], "infection": ["Sepsis"], "gvhd": ["GvHD"],
         "sos": ["VOD"], "organ_toxicity": ["Multiorganversagen"], "": [""]}


def _de(s: str) -> str:
    return dt.date.fromisoformat(s).strftime("%d.%m.%Y") if s else ""


def _comma(v: str) -> str:
    f = float(v)
    text = str(int(f)) if f == int(f) else repr(f)
    return text.replace(".", ",")


def _mrd(r: random.Random, v: str | None) -> str:
    if v is None:
        return ""
    if v == "":
        return "nicht auswertbar"
    if v == "0":
        return r.choice(["n.n.", "<0,0001"])
    return f"{float(v):.5f}".rstrip("0").replace(".", ",")


def _rows(header: list[str], rows: list[list[str]]) -> bytes:
    text = ";".join(header) + "\r\n" + "".join(";".join(r) + "\r\n" for r in rows)
    return text.encode("cp1252")


# the export's code book: field;code;label, as the registry documents its numeric codes (German labels)
CODEBUCH = [
    ("geschlecht", "1", "männlich"), ("geschlecht", "2", "weiblich"), ("geschlecht", "9", "unbekannt"),
    ("diagnose", "1", "B-ALL"), ("diagnose", "2", "T-ALL"),
    ("ph", "0", "negativ"), ("ph", "1", "positiv"), ("ph", "9", "unbekannt"),
    ("induktion", "1", "komplette Remission"), ("induktion", "2", "refraktär"),
    ("ziel", "1", "Erstlinie"), ("ziel", "2", "Rezidivtherapie"),
    ("status_bei_beginn", "1", "morphologisch"), ("status_bei_beginn", "2", "MRD positiv"),
    ("material", "1", "Knochenmark"), ("material", "2", "peripheres Blut"),
    ("pb_blasten", "0", "nein"), ("pb_blasten", "1", "ja"),
    ("emd", "0", "nein"), ("emd", "1", "ja"),
    ("abnorme_pop", "0", "nein"), ("abnorme_pop", "1", "ja"),
    ("spender", "1", "HLA-identisches Geschwister"), ("spender", "2", "Fremdspender HLA-kompatibel"),
    ("spender", "3", "Fremdspender HLA-different"), ("spender", "4", "haploident"),
    ("spender", "5", "Nabelschnurblut"),
    ("quelle", "1", "Knochenmark"), ("quelle", "2", "periphere Blutstammzellen"),
    ("quelle", "3", "Nabelschnurblut doppelt"),
    ("intensitaet", "1", "myeloablativ"), ("intensitaet", "2", "dosisreduziert"),
    ("intensitaet", "3", "nicht-myeloablativ"),
    ("status", "1", "CR MRD negativ"), ("status", "2", "CR MRD positiv"), ("status", "3", "CR MRD unbekannt"),
    ("ereignis", "1", "Rezidiv"), ("ereignis", "2", "refraktär"), ("ereignis", "3", "Progress"),
    ("ereignis", "8", "letzter Kontakt"), ("ereignis", "9", "verstorben"),
    ("ort", "1", "Knochenmark"), ("ort", "2", "ZNS"), ("ort", "3", "kombiniert"), ("ort", "4", "nur MRD"),
]


def build_export(design: list[dict]) -> dict[str, bytes]:
    files = {}
    files["codebuch.csv"] = _rows(["Feld", "Code", "Bezeichnung"], [list(r) for r in CODEBUCH])
    files["info.csv"] = _rows(["Parameter", "Wert"], [
        ["Zentrum", STUDY["center"]], ["Stichtag", "30.06.2020"], ["Einschluss von", "01.01.2012"],
        ["Einschluss bis", "31.12.2019"], ["Exportiert aus", "Klinisches Register (Übersicht)"]])
    pat, ther, km, verlauf, tx = [], [], [], [], []
    for p in design:
        r = random.Random(f"center_c:{p['pid']}")
        pid = p["pid"]
        pat.append([pid, SEX[p["sex"]], _de(p["birth_date"]), "1" if p["diagnosis"] == "b_all" else "2",
                    _de(p["diagnosis_date"]), {"positive": "1", "negative": "0", "unknown": "9"}[p["ph"]],
                    "1" if p["frontline_resp"] == "cr" else "2", r.choice(["", "", "s. Akte"])])
        for c in story.courses(p):
            ther.append([pid, c["course_id"][1:], r.choice(SUBSTANZ[c["regimen"]]),
                         "1" if c["intent"] == "frontline" else "2", _de(story._s(c["start"])),
                         _de(story._s(c["end"])), c["cycles"],
                         {"morphologic": "1", "mrd": "2", "": ""}[c["state"]], c["tki"].capitalize()])
        for m in story.marrows(p):
            km.append([pid, _de(m["date"].isoformat()), "1", _comma(m["blasts"]), YN[m["pb"]], YN[m["emd"]],
                       _mrd(r, m["mrd"]), YN[m["abnormal"]], r.choice(ANTIGEN[m["cd19"]]),
                       r.choice(ANTIGEN[m["cd22"]]),
                       {"cr": "CR", "cri": "CRi", "nr": "NR", "relapse": "Rezidiv", "": ""}[m["status"]]])
        for e in story.events(p):
            verlauf.append([pid, _de(story._s(e["date"])), EVENT[e["type"]], SITE[e["site"]], ""])
        if p["vital"] == "dead":
            verlauf.append([pid, _de(p["death_date"]), "9", "", r.choice(CAUSE[p["death_cause"]])])
        else:
            verlauf.append([pid, _de(p["last_contact"]), "8", "", ""])
        if p["tx_date"]:
            tx.append([pid, _de(p["tx_date"]), _de(p["tx_cond_start"]), DONOR[p["tx_donor"]], GRAFT[p["tx_graft"]],
                       story.CONDITIONING[p["tx_conditioning"]][0],
                       {"mac": "1", "ric": "2", "nma": "3"}[p["tx_intensity"]],
                       {"cr_mrd_negative": "1", "cr_mrd_positive": "2", "cr_mrd_unknown": "3"}[p["tx_status"]],
                       {"0": "0", "1": "I", "2": "II", "3": "III", "4": "IV", "": ""}[p["tx_agvhd_grade"]]])
    files["patienten.csv"] = _rows(["pat_nr", "geschlecht", "geb_datum", "diagnose", "diag_datum", "ph",
                                    "induktion", "bemerkung"], pat)
    files["therapie.csv"] = _rows(["pat_nr", "lfd_nr", "Therapie (Übersicht)", "ziel", "beginn", "ende", "zyklen",
                                   "status_bei_beginn", "tki"], ther)
    files["knochenmark.csv"] = _rows(["pat_nr", "datum", "material", "blasten", "pb_blasten", "emd", "mrd",
                                      "abnorme_pop", "cd19", "cd22", "befund"], km)
    files["verlauf.csv"] = _rows(["pat_nr", "datum", "ereignis", "ort", "todesursache"], verlauf)
    files["tx.csv"] = _rows(["pat_nr", "tx_datum", "kond_beginn", "spender", "quelle", "konditionierung",
                             "intensitaet", "status", "agvhd_grad"], tx)
    return files


def write_center(design: list[dict], out: Path) -> None:
    folder = out / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    for name, data in build_export(design).items():
        (folder / name).write_bytes(data)
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
        design = story.generate_design(a.patients, SEED, "1", "{prefix}{i:04d}")
        a.out.mkdir(parents=True, exist_ok=True)
        (a.out / "design.csv").write_text(story.design_csv(design), encoding="utf-8")
        write_center(design, a.out)
        return 0
    write_center(story.read_design(HERE / "design.csv"), a.out or HERE)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
