"""The twin's hand-written roster and hand-set values (analysis-level facts, SYNTHETIC; see docs/TWIN.md).

Who is blinatumomab-first, CD19-neg/dim, interim, responder, transplanted, dead, the cause and the transplant
platform were written by hand from Tables 1-3, the text and section D of ``inconsistencies.md``; ages and blasts
were built analytically (every quartile is an order statistic). The searches (``search_*``) fill in the rest.
"""
from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

DESIGN = Path(__file__).resolve().parents[1] / "twin_design.csv"
CUTOFF = date(2020, 6, 30)
MONTH = 30.4375

YEAR = 365

COLUMNS = [
    "pid", "seq", "age_dx", "sex", "cyto_risk", "ph_pos", "kmt2a_r", "emd_before_mab1", "site_mab1", "burden_mab1",
    "blasts_mab1", "frontline", "prior_lines", "prior_hsct", "prior_cart", "days_dx_mab1", "mab1_start",
    "days_mab1_mab2", "blina_cycles", "ino_cycles", "resp_mab1", "mrd_mab1", "days_mab1_event", "site_event1",
    "cns_event1", "cd19_event1", "cd22_event1", "hsct_between", "days_mab1_hsct", "interim_lines", "mab2_intent", "resp_mab2",
    "mrd_mab2", "ino_plus_chemo", "ponatinib", "crs_mab_blina", "icans_mab_blina", "transaminitis_ino",
    "hyperbili_ino", "days_mab2_event2", "cd19_event2", "cd22_event2", "tx", "tx_route", "days_mab2_tx",
    "last_ino_to_tx_days", "age_tx", "tx_status", "graft", "donor", "sex_pair", "hla", "cord_hla", "conditioning",
    "intensity", "prophylaxis", "cd34_dose", "engraft_days", "agvhd_grade", "agvhd_organs", "sos", "sos_severity",
    "days_tx_relapse", "no_tx_reason", "n_salvage_lines_after_mab2", "cart_after_mab2", "retreat_agent",
    "retreat_cr", "retreat_cr_days", "salvage_cr", "days_mab2_first_salvage", "dead", "days_mab2_last",
    "death_cause", "status_last",
]
INT_COLS = [
    "ph_pos", "kmt2a_r", "emd_before_mab1", "prior_lines", "prior_hsct", "prior_cart", "days_dx_mab1",
    "days_mab1_mab2", "blina_cycles", "ino_cycles", "days_mab1_event", "cns_event1", "hsct_between", "days_mab1_hsct", "interim_lines",
    "ponatinib", "crs_mab_blina", "icans_mab_blina", "transaminitis_ino", "hyperbili_ino", "days_mab2_event2", "tx",
    "days_mab2_tx", "last_ino_to_tx_days", "engraft_days", "sos", "days_tx_relapse", "n_salvage_lines_after_mab2",
    "cart_after_mab2", "retreat_cr", "retreat_cr_days", "salvage_cr", "days_mab2_first_salvage", "dead",
    "days_mab2_last",
]
FLOAT_COLS = ["age_dx", "blasts_mab1", "age_tx", "cd34_dose"]


# ---------------------------------------------------------------------------------------------------------------

def load_design(path: Path = DESIGN) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    return typed(df)


def typed(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    for c in INT_COLS:
        df[c] = pd.to_numeric(df[c].replace("", np.nan)).astype("Float64")
    for c in FLOAT_COLS:
        df[c] = pd.to_numeric(df[c].replace("", np.nan)).astype(float)
    return df


ROSTER_FIELDS = (
    "pid seq sex cyto_risk ph_pos kmt2a_r emd_before_mab1 site_mab1 burden_mab1 frontline prior_hsct prior_cart "
    "resp_mab1 mrd_mab1 site_event1 cns_event1 cd19_event1 cd22_event1 hsct_between int mab2_intent resp_mab2 "
    "mrd_mab2 ino_plus_chemo ponatinib crs_mab_blina icans_mab_blina transaminitis_ino hyperbili_ino cd19_event2 "
    "cd22_event2 txl no_tx_reason salvage cart_after_mab2 retreat_agent retreat_cr salvage_cr dead death_cause "
    "status_last"
).split()
ROSTER = """
T01 BF male high 0 0 0 marrow morphologic cr 0 0 nr . marrow 0 negdim . 0 I salvage cr pos none 0 1 0 1 1 . . f . 0 0 . 0 0 1 organ_toxicity dead
T02 BF female standard 0 0 0 marrow mrd refractory 0 0 nr . marrow 0 negdim . 0 I salvage cr pos none 0 2 1 1 0 . . g . 0 0 . 0 0 1 agvhd dead
T03 BF female standard 0 0 1 extramedullary morphologic cr 0 0 cr pos both 0 negdim . 0 I salvage cr neg none 0 0 0 1 1 . negdim e . 0 0 . 0 0 1 progression dead
T04 BF male high 1 0 0 marrow morphologic cr 0 0 cr pos marrow 0 negdim . 0 N salvage cr neg none 1 1 0 0 0 . pos i . 0 0 . 0 0 1 progression dead
T05 BF female standard 0 0 0 marrow morphologic cr 1 0 nr . marrow 0 negdim . 0 N salvage cr pos none 0 0 0 1 0 . . k . 0 0 . 0 0 1 progression dead
T06 BF male high 0 0 1 marrow morphologic cr 0 0 cr neg both 1 negdim . 1 I salvage cr pos none 0 1 2 0 0 . pos . preference 1 0 . 0 0 1 progression dead
T07 BF male standard 0 0 0 marrow morphologic cr 0 0 cr neg both 0 negdim . 1 I salvage cr neg none 0 0 0 1 0 . negdim . preference 1 0 . 0 1 1 progression dead
T08 BF male missing 0 0 0 marrow morphologic cr 0 0 cr pos marrow 0 negdim . 0 I salvage cr neg vincristine 0 0 0 0 1 . pos . active_disease 0 0 . 0 0 1 progression dead
T09 BF male standard 0 0 0 marrow mrd cr 0 0 nr . marrow 0 negdim . 0 N salvage nr . none 0 2 0 0 0 . . . active_disease 0 0 . 0 0 0 . active_systemic
T10 BF male high 0 0 1 both morphologic refractory 1 0 nr . both 0 negdim . 0 I salvage nr . mini_hyper_cvd 0 1 1 0 0 . pos . active_disease 1 0 . 0 0 1 progression dead
T11 BF female standard 0 0 1 both morphologic cr 0 0 nr . both 0 negdim . 0 N salvage nr . none 0 0 0 0 0 . negdim . active_disease 0 0 . 0 0 1 progression dead
T12 BF female standard 0 0 0 marrow mrd cr 0 0 cr neg marrow 0 pos . 0 I salvage cr pos none 0 1 0 1 0 . negdim j . 0 1 . 0 0 0 . active_systemic
T13 BF male standard 0 0 0 marrow morphologic cr 0 0 nr . marrow 0 pos . 0 N salvage cr neg none 0 0 0 0 0 . . b . 0 0 . 0 0 0 . cr
T14 BF female high 1 0 0 marrow morphologic cr 0 0 nr . marrow 0 pos . 0 N salvage cr neg none 1 1 0 1 1 . . d . 0 0 . 0 0 0 . cr
T15 BF male standard 0 0 0 marrow morphologic cr 0 0 cr pos marrow 0 pos . 0 I salvage cr neg none 0 0 0 1 0 . . h . 0 0 . 0 0 1 agvhd dead
T16 BF female standard 0 0 0 marrow mrd cr 0 0 cr neg marrow 0 pos . 0 N salvage cr neg none 0 2 1 1 1 . . c . 0 0 . 0 0 1 sos dead
T17 BF female high 1 0 0 marrow morphologic cr 0 0 nr . marrow 0 pos . 0 N salvage cr neg none 1 0 0 0 0 . . a . 0 0 . 0 0 1 infection dead
T18 BF male high 0 0 0 marrow mrd cr 0 0 cr neg both 0 pos . 1 I salvage cr neg none 0 1 1 0 0 . pos . preference 1 1 ino 0 0 1 progression dead
T19 BF female standard 0 0 1 marrow mrd cr 0 0 cr neg extramedullary 0 pos . 1 N salvage cr neg none 0 0 0 1 0 . negdim . preference 1 1 blina 0 0 1 progression dead
T20 BF male missing 0 0 0 marrow morphologic cr 0 1 cr pos both 0 pos . 0 N salvage cr neg none 0 0 0 0 0 . pos . active_disease 1 0 . 0 0 1 progression dead
T21 BF female standard 0 0 0 marrow morphologic cr 0 0 cr neg both 0 pos . 1 I salvage nr . none 0 1 0 1 0 . negdim . active_disease 1 0 . 0 1 0 . active_cns
T22 BF female missing 0 0 0 marrow mrd cr 0 0 cr neg marrow 0 pos . 1 N salvage nr . none 0 0 0 0 0 . . . active_disease 1 0 . 0 1 0 . active_cns
T23 BF male high 1 0 0 marrow morphologic refractory 0 0 nr . marrow 0 pos . 0 I salvage nr . none 1 3 2 0 1 . pos . active_disease 1 0 blina 1 1 1 progression dead
T24 BF female high 0 0 0 marrow morphologic cr 1 1 nr . marrow 0 pos . 0 I salvage nr . mini_hyper_cvd 0 0 0 1 0 . negdim . active_disease 1 0 blina 0 0 1 progression dead
T25 BF male high 0 1 1 both morphologic cr 0 1 nr . both 0 pos . 0 N salvage nr . none 0 1 1 0 0 . pos . active_disease 0 0 . 0 0 1 progression dead
T26 IF male standard 0 0 0 marrow morphologic refractory 0 0 cr neg . . . . 0 N bridge_tx cr neg none 0 0 0 0 0 pos pos l . 0 0 . 0 0 1 progression dead
T27 IF male high 0 0 1 both morphologic cr 0 0 cr neg . . . . 0 N consolidation cr neg none 0 1 1 0 0 pos pos . death 1 0 . 0 1 1 salvage_toxicity dead
T28 IF male standard 0 0 1 extramedullary morphologic cr 0 0 cr pos . . . . 0 N consolidation nr . none 0 0 0 0 0 pos pos . active_disease 1 0 ino 1 1 0 . cr
T29 IF male high 0 0 0 marrow morphologic refractory 0 0 nr . marrow 0 pos pos 0 I salvage nr . none 0 0 0 0 0 pos pos . active_disease 1 0 . 0 0 0 . active_systemic
"""
# the 12 transplants after mAb2 (Table 3; I4, I5, I11, I18, I29): letter -> fields
TX_FIELDS = ("conditioning intensity prophylaxis graft donor hla sex_pair cord_hla cd34_dose engraft_days agvhd_grade "
             "agvhd_organs sos sos_severity tx_status").split()
TX_TABLE = """
a cy_thio_tbi mac tcd pbsc unrelated 10/10 female-female . 8.3 . 0 . 0 . cr_mrd_neg
b cy_thio_tbi mac tcd pbsc unrelated 10/10 male-male . 5.04 11 2 skin3 0 . cr_mrd_neg
c clo_mel_thio mac tcd pbsc unrelated 10/10 female-female . 4.9 10 0 . 1 fatal cr_mrd_neg
d clo_mel_thio mac tcd pbsc unrelated 10/10 female-female . 9.5 11 0 . 1 severe cr_mrd_neg
e flu_cy_thio_tbi mac tcd pbsc unrelated 9/10 female-male . 5.9 11 1 skin2 1 severe cr_mrd_neg
f clo_bu mac mtx_cni pbsc unrelated 10/10 male-male . 11.2 12 0 . 1 severe cr_mrd_pos
g clo_bu mac ptcy pbsc unrelated 9/10 female-male . 7.1 15 4 gi3;skin4 0 . cr_mrd_pos
h flu_mel ric_nma ptcy bm haploidentical <=8/10 male-female . 4.6 22 4 liver3;skin4 0 . cr_mrd_neg
i flu_mel ric_nma ptcy bm haploidentical <=8/10 male-female . 4.73 26 3 gi2 0 . cr_mrd_neg
j flu_mel ric_nma mtx_cni pbsc matched_sibling 10/10 female-male . 5.0 12 2 gi1;skin2 0 . cr_mrd_neg
k flu_cy_tbi200 ric_nma cni_mmf cord cord <=8/10 na 4/6 0.25 28 ungraded . 0 . cr_mrd_pos
l flu_cy_tbi200 ric_nma mtx_cni cord cord <=8/10 male-male . 0.31 33 0 . 0 . cr_mrd_neg
"""
# SOS patients: days mAb2 -> alloHSCT (Results: 49-116, median 59) and days last dose -> alloHSCT (Discussion:
# 23, 40, 44; I12), with the inotuzumab cycles that make the two anchors agree (cycle 1 days 1/8/15, later cycles
# every 28 days).
FIXED_TX = {  # pid: (days_mab2_tx, last_ino_to_tx_days, ino_cycles)
    "T01": (116, 40, 4), "T14": (58, 23, 2), "T03": (59, 44, 1), "T16": (49, 35, 1), "T04": (40, 26, 1),
}
IF_FIXED = {  # pid: days_mab1_mab2, blasts (T27: no marrow morphology in the 30-day window), age, lines, cycles
    "T26": dict(days_mab1_mab2=67, blasts_mab1=25.0, age_dx=50.4, prior_lines=1, blina_cycles=1, ino_cycles=2),
    "T27": dict(days_mab1_mab2=17, blasts_mab1=np.nan, age_dx=66.4, prior_lines=1, blina_cycles=5, ino_cycles=2),
    "T28": dict(days_mab1_mab2=165, blasts_mab1=3.0, age_dx=56.0, prior_lines=1, blina_cycles=2, ino_cycles=2),
    "T29": dict(days_mab1_mab2=387, blasts_mab1=91.0, age_dx=83.2, prior_lines=2, blina_cycles=2, ino_cycles=1),
}


def base_roster() -> pd.DataFrame:
    rows = [dict(zip(ROSTER_FIELDS, line.split())) for line in ROSTER.strip().splitlines()]
    tx = {line.split()[0]: dict(zip(TX_FIELDS, line.split()[1:])) for line in TX_TABLE.strip().splitlines()}
    out = []
    for r in rows:
        r = {k: ("" if v == "." else v) for k, v in r.items()}
        letter = r.pop("txl")
        r["tx"] = "1" if letter else "0"
        for k in TX_FIELDS:
            r[k] = ""
        if letter:
            for k, v in tx[letter].items():
                r[k] = "" if v == "." else v
            r["tx_route"] = "direct_blina" if r["seq"] == "IF" else ("after_cart" if r["cart_after_mab2"] == "1" else "direct_ino")
        else:
            r["tx_route"] = ""
        out.append(r)
    df = pd.DataFrame(out)
    return df


# ---------------------------------------------------------------------------------------------------------------
# fast kernels for the search (the final check always uses mabseq.stats)
# ---------------------------------------------------------------------------------------------------------------

AGES = {
    "T06": 28.0, "T07": 32.4, "T08": 82.0, "T10": 24.4, "T01": 47.6, "T02": 45.3, "T03": 36.0, "T12": 45.1,
    "T15": 62.6, "T18": 40.0, "T21": 25.1, "T23": 79.0, "T24": 43.6,  # interim (13)
    "T17": 17.2, "T22": 18.4, "T19": 20.0, "T13": 21.6, "T05": 22.9, "T14": 23.5, "T16": 60.5, "T04": 60.6,
    "T20": 60.7, "T25": 77.9, "T09": 79.0, "T11": 80.5,  # no interim (12)
}
# marrow blasts at mAb1 (%): MRD-only patients and the isolated-extramedullary patient (T03) below 5
BLASTS = {
    "T02": 0, "T12": 0, "T09": 1, "T19": 1, "T18": 2, "T16": 3, "T22": 3, "T03": 4,
    "T04": 5, "T06": 6, "T07": 7, "T08": 8, "T15": 9, "T20": 9, "T21": 10, "T01": 12, "T05": 15, "T10": 18,
    "T11": 20, "T13": 25, "T14": 30, "T17": 45, "T23": 60, "T24": 75, "T25": 88,
}
# inotuzumab cycles of the mAb2 course (BF); transplanted patients went to alloHSCT after 1 cycle unless listed
INO_CYCLES = {
    "T01": 4, "T14": 2, "T12": 2, "T06": 3, "T07": 2, "T08": 2, "T18": 4, "T19": 3, "T20": 5, "T09": 2, "T21": 2,
    "T22": 2, "T24": 2,
}

E365 = {"T06", "T18", "T19", "T22"}        # relapse more than 1 year after blinatumomab (EFS 1/11 and 3/14)
A365_DEAD = {"T01", "T02", "T06", "T07"}   # BF deaths later than 1 year after the post-blinatumomab relapse
SOS_LAST_DOSE_OFFSET = {"T01": 76, "T14": 35, "T03": 15, "T16": 14, "T04": 14}


# Structure of the BF intervals (docs/TWIN.md, "intervals"): pid -> (e_lo, e_hi, m_lo, m_hi), e = days mAb1 -> post-mAb1
# event, m = days mAb1 -> mAb2. The order statistics that Tables 1-2 print pin most of them:
#   7 patients with m <= 35 (4 interim, 3 direct; T24 interim with e = 33 and m = 35), interim Q1 33, no-interim Q1
#   37 (34, 38), medians 73 (interim 7th) and 65 (no-interim 6th+7th = 130), Q3 219/118/290, CD19 medians of m
#   141 (T08) and 52 (P 7th + T15 = 104); the six largest m (> 240) are the four relapses after more than a year
#   (T06, T18, T19, T22) and the two interim patients with e in [290, 365] (T07, T03), which lets the CD19 split of
#   m reach Kruskal-Wallis p = .11.
STRUCT = {
    "T01": (10, 20, 25, 35), "T10": (14, 26, 25, 35), "T23": (20, 30, 28, 35), "T24": (33, 33, 35, 35),
    "T25": (34, 34, 35, 35), "T17": (10, 30, 11, 34), "T14": (10, 30, 11, 34),
    "T13": (38, 43, 39, 44), "T16": (38, 43, 39, 44),
    "T02": (35, 60, 240, 240), "T15": (36, 60, 55, 66), "T08": (73, 73, 141, 141),
    "T12": (74, 218, 100, 239), "T21": (74, 218, 100, 239),
    "T07": (290, 290, 440, 700), "T03": (291, 365, 293, 600), "T06": (366, 700, 520, 1100), "T18": (366, 700, 374, 850),
    "T05": (44, 84, 45, 99), "T09": (44, 84, 45, 99), "T11": (44, 84, 45, 99),
    "T20": (84, 84, 100, 114), "T04": (219, 219, 220, 239), "T19": (366, 800, 367, 830), "T22": (366, 800, 367, 830),
}


