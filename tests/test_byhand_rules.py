"""Every rule of ``derive/rules.py`` worked by hand (issue 14), in the manner of R survival's ``byhand`` tests.

Each case set is a few literal records; the expected value is worked out in the comments from the words of the
analysis plan (the shared specs' ``study-definition.md``, cited "SD 2.x"; the clinical criteria "CC x"), never
from running the code.

The last section works the preset's calls into :mod:`mabseq.criteria` (response at a marrow, CD19 from %, MFI or
the pathologist's call) through :func:`mabseq.derive.derive_cohort` on hand-made patients.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import pandas as pd
import pytest

from mabseq.cohort.model import Cohort, conform
from mabseq.cohort.schema import BY_NAME
from mabseq.derive import derive_cohort, rules
from mabseq.derive.params import DeriveParams

D = dt.date
P = DeriveParams()  # the paper preset's parameters (SD 7)


def marrow(when, blasts, *, pb="no", emd="no", mrd=None, lod=None, **kw):
    return {"assessment_date": when, "specimen": "marrow", "bm_blast_pct": blasts, "pb_blasts": pb,
            "emd_present": emd, "mrd_value": mrd, "mrd_lod": lod, "mrd_method": "flow" if mrd is not None else None,
            **kw}


def course(cid, cls, start, end=None, **kw):
    return {"course_id": cid, "therapy_class": cls, "start_date": start, "end_date": end, **kw}


# ---- shift (a date moved by whole days, SD 1.5; held at the calendar's ends) -------------------------------------
def test_shift_by_hand():
    assert rules.shift(D(2020, 2, 28), 1) == D(2020, 2, 29)     # 2020 is a leap year
    assert rules.shift(D(2020, 3, 1), -1) == D(2020, 2, 29)
    assert rules.shift(D(2019, 3, 1), -1) == D(2019, 2, 28)
    assert rules.shift(D(9999, 12, 30), 5) == dt.date.max        # a window past 9999-12-31 ends there
    assert rules.shift(D(1, 1, 2), -5) == dt.date.min


# ---- cytogenetic_risk (SD 2.5; CC 7.1, UKALLXII/ECOG2993, t(4;11) only by default) ----------------------------
@pytest.mark.parametrize("patient, expected", [
    # 1. the center's recorded call is used as recorded: high
    ({"cytogenetic_risk_recorded": "high", "ph_status": "negative"}, "high"),
    # 2. recorded "unknown", but BCR::ABL1 positive (Ph+): CC 7.1 item 1, FISH overrides a failed karyotype -> high
    ({"cytogenetic_risk_recorded": "unknown", "ph_status": "positive"}, "high"),
    # 3. KMT2A rearranged with partner AFF1 = t(4;11): CC 7.1 item 2 -> high
    ({"kmt2a": "rearranged", "kmt2a_partner": "AFF1"}, "high"),
    # 4. normal karyotype 46,XX, no abnormality, Ph-, KMT2A not rearranged, no t(8;14): "everything else" -> standard
    ({"karyotype": "46,XX", "modal_number": 46, "n_karyotype_abnormalities": 0, "ph_status": "negative",
      "kmt2a": "not_rearranged", "t_8_14": "no"}, "standard"),
    # 5. five abnormalities outside any ploidy group: complex karyotype (>= 5), CC 7.1 item 4 -> high
    ({"karyotype": "46,XY,...", "modal_number": 46, "n_karyotype_abnormalities": 5, "ph_status": "negative",
      "kmt2a": "not_rearranged", "t_8_14": "no"}, "high"),
    # 6. modal 55 (high hyperdiploid, 51-59 unambiguous) with 9 numerical changes: ploidy first, never complex
    #    -> standard
    ({"karyotype": "55,XX,...", "modal_number": 55, "n_karyotype_abnormalities": 9, "ph_status": "negative",
      "kmt2a": "not_rearranged", "t_8_14": "no"}, "standard"),
    # 7. modal 35: low hypodiploid (30-39), CC 7.1 item 5 -> high
    ({"karyotype": "35,X,...", "modal_number": 35, "n_karyotype_abnormalities": 9}, "high"),
    # 8. KMT2A::MLLT1 t(11;19) with an otherwise simple karyotype: not t(4;11), strict Moorman scope -> standard
    ({"kmt2a": "rearranged", "kmt2a_partner": "MLLT1", "karyotype": "46,XX,t(11;19)", "modal_number": 46,
      "n_karyotype_abnormalities": 1, "ph_status": "negative", "t_8_14": "no"}, "standard"),
    # 9. nothing known (no karyotype, no FISH): SD 2.5 "with a missing level"; CC 7.1 "never standard" -> missing
    ({}, "missing"),
])
def test_cytogenetic_risk(patient, expected):
    assert rules.cytogenetic_risk(patient) == expected


# ---- prior_lines (SD 2.1: frontline = 1 line; every mAb course and CAR-T a line; IT, TKI alone not lines) -------
M1 = D(2018, 1, 10)  # the first dose of mAb1 in every case below


def test_prior_lines_by_hand():
    therapies = [
        course("C1", "chemotherapy", D(2015, 1, 5), intent="frontline"),   # induction      } 1 line
        course("C2", "chemotherapy", D(2015, 4, 1), intent="frontline"),   # consolidation  }
        course("C3", "chemotherapy", D(2015, 9, 1), intent="frontline"),   # maintenance    }
        course("C4", "intrathecal", D(2015, 9, 2), intent="prophylaxis"),  # IT: not a line
        course("C5", "chemotherapy", D(2017, 3, 1), intent="salvage"),     # salvage: line 2
        course("C6", "tki", D(2017, 3, 1), intent="salvage"),              # TKI alone: not a line
        course("C7", "car_t", D(2017, 8, 1), intent="salvage"),            # CAR-T: line 3
        course("C8", "blinatumomab", M1, intent="salvage"),                # mAb1 itself: not before mAb1
    ]
    # 1 (frontline) + 1 (salvage chemotherapy) + 1 (CAR-T) = 3
    assert rules.prior_lines(therapies, M1, {}) == 3
    # frontline only: 1
    assert rules.prior_lines(therapies[:4] + therapies[-1:], M1, {}) == 1
    # a salvage line starting on the first day of mAb1 is not "started before mAb1": still 1
    same_day = therapies[:3] + [course("C9", "chemotherapy", M1, intent="salvage")]
    assert rules.prior_lines(same_day, M1, {}) == 1
    # no therapy row before mAb1 and no recorded count: "minimum 1" -> 1
    assert rules.prior_lines(therapies[-1:], M1, {}) == 1
    # no therapy row before mAb1, the center recorded 3 prior lines: the recorded count -> 3
    assert rules.prior_lines(therapies[-1:], M1, {"prior_lines_recorded": 3}) == 3


# ---- baseline_marrow (SD 2.5: morphologic % on the last marrow <= 30 days before the first dose) ----------------
def test_baseline_marrow_by_hand():
    a = [marrow(D(2017, 12, 1), 60),   # 40 days before: outside
         marrow(D(2017, 12, 21), 30),  # 20 days before
         marrow(D(2018, 1, 7), 12),    # 3 days before: the last one before mAb1 -> 12
         marrow(D(2018, 1, 12), 0)]    # after the first dose: not a baseline marrow
    assert rules.baseline_marrow(a, M1, 30)["bm_blast_pct"] == 12
    # exactly 30 days before (2017-12-11) is "<= 30 days before": included
    assert rules.baseline_marrow([marrow(D(2017, 12, 11), 45)], M1, 30)["bm_blast_pct"] == 45
    # 31 days before (2017-12-10): no baseline marrow
    assert rules.baseline_marrow([marrow(D(2017, 12, 10), 45)], M1, 30) == {}
    # a blood sample is not a marrow
    assert rules.baseline_marrow([{**marrow(D(2018, 1, 7), 45), "specimen": "blood"}], M1, 30) == {}


# ---- site_at (SD 2.4/2.5: isolated marrow, isolated extramedullary (CNS included), or both) ---------------------
def test_site_at_by_hand():
    emd = {"assessment_date": D(2018, 1, 6), "specimen": "imaging", "emd_present": "yes"}
    cns3 = {"assessment_date": D(2018, 1, 6), "specimen": "csf", "cns_status": "cns3"}
    # marrow 40% blasts, no EMD -> isolated marrow
    assert rules.site_at([marrow(D(2018, 1, 5), 40)], M1, 30) == "marrow"
    # marrow 30% and an extramedullary mass -> both
    assert rules.site_at([marrow(D(2018, 1, 5), 30), emd], M1, 30) == "both"
    # marrow in CR (1%, MRD 0) and CNS3 -> isolated extramedullary (CNS included)
    assert rules.site_at([marrow(D(2018, 1, 5), 1, mrd=0.0, lod=1e-4), cns3], M1, 30) == "extramedullary"
    # morphologic CR with MRD 1e-3 (>= 1e-4): MRD-only disease is marrow disease (SD 2.5 disease burden) -> marrow
    assert rules.site_at([marrow(D(2018, 1, 5), 1, mrd=1e-3, lod=1e-4)], M1, 30) == "marrow"
    # 40% blasts 31 days before: outside the window, nothing in it -> unknown (no data), not "no site"
    assert rules.site_at([marrow(D(2017, 12, 10), 40)], M1, 30) == "unknown_nodata"
    # an extramedullary mass and no marrow in the window: isolated or not cannot be told -> unknown_nomarrow
    assert rules.site_at([emd], M1, 30) == "unknown_nomarrow"
    # an older marrow without MRD, the latest one MRD-negative with 1% blasts, CNS3: the latest marrow decides ->
    # isolated extramedullary
    old = {**marrow(D(2017, 12, 20), 1), "mrd_value": None}
    assert rules.site_at([old, marrow(D(2018, 1, 5), 1, mrd=0.0, lod=1e-4), cns3], M1, 30) == "extramedullary"


def test_site_at_missing_blasts_is_not_isolated_emd():
    # the marrow's blast count and MRD are both missing; an extramedullary mass is present. Whether the marrow is
    # involved is unknown, so "isolated extramedullary" (= marrow not involved) cannot be concluded
    a = [marrow(D(2018, 1, 5), None), {"assessment_date": D(2018, 1, 6), "specimen": "imaging", "emd_present": "yes"}]
    assert rules.site_at(a, M1, 30) != "extramedullary"


def test_site_at_unknown_mrd_and_unknown_emd_by_hand():
    img_no = {"assessment_date": D(2018, 1, 6), "specimen": "imaging", "emd_present": "no"}
    # blasts 2% and no MRD value: MRD-only marrow disease cannot be ruled out -> unknown_mrd (not "no site")
    assert rules.site_at([marrow(D(2018, 1, 5), 2), img_no], M1, 30) == "unknown_mrd"
    # the same marrow with 40% blasts is marrow disease whatever the MRD -> marrow
    assert rules.site_at([marrow(D(2018, 1, 5), 40), img_no], M1, 30) == "marrow"
    # marrow 1% MRD 0, and no row of the window says whether there was EMD: 'extramedullary' or no disease ->
    # unknown_emd; with the imaging row saying no EMD -> no disease documented (None)
    m = {**marrow(D(2018, 1, 5), 1, mrd=0.0, lod=1e-4), "emd_present": None}
    assert rules.site_at([m], M1, 30) == "unknown_emd"
    assert rules.site_at([m, img_no], M1, 30) is None


# ---- first_event (SD 2.4: the first relapse/progression/failure after the start, MRD relapse counts) ------------
EV = [{"event_date": D(2018, 1, 10), "event_type": "refractory"},   # on the start day
      {"event_date": D(2018, 2, 1), "event_type": "mrd_relapse"},
      {"event_date": D(2018, 3, 1), "event_type": "relapse"}]


def test_first_event_by_hand():
    s, e = D(2018, 1, 10), D(2018, 6, 1)
    # strictly after the start: the 01-10 failure is on the start day, so the MRD relapse of 02-01
    assert rules.first_event(EV, s, e, True)["event_date"] == D(2018, 2, 1)
    # on the start day too when inclusive
    assert rules.first_event(EV, s, e, True, inclusive=True)["event_date"] == D(2018, 1, 10)
    # mrd_relapse_is_event=False: the MRD relapse is skipped -> the relapse of 03-01
    assert rules.first_event(EV, s, e, False)["event_date"] == D(2018, 3, 1)
    # an event on the end day is "before mAb2" only if through: end 03-01 -> none (MRD off), or 03-01 (through)
    assert rules.first_event(EV, s, D(2018, 3, 1), False) is None
    assert rules.first_event(EV, s, D(2018, 3, 1), False, through=True)["event_date"] == D(2018, 3, 1)


# ---- next_line_after (SD 2.1: IT, TKI alone, cytoreduction are not lines) ---------------------------------------
def test_next_line_after_by_hand():
    t = [course("C1", "intrathecal", D(2018, 2, 3)), course("C2", "tki", D(2018, 2, 5)),
         course("C3", "cytoreduction", D(2018, 2, 6)), course("C4", "chemotherapy", D(2018, 2, 10)),
         course("C5", "inotuzumab", D(2018, 2, 20))]
    # after 02-01: IT (02-03), TKI (02-05), steroids (02-06) are not lines; chemotherapy 02-10 is
    assert rules.next_line_after(t, D(2018, 2, 1)) == D(2018, 2, 10)
    # after 02-10 (strictly): the inotuzumab course of 02-20
    assert rules.next_line_after(t, D(2018, 2, 10)) == D(2018, 2, 20)
    assert rules.next_line_after(t, D(2018, 2, 20)) is None
    assert rules.next_line_after(t, None) is None


# ---- combination_partner (SD 2.1: mini-hyper-CVD 2, vincristine 1; the course is still mAb2) --------------------
@pytest.mark.parametrize("c, expected", [
    (course("C3", "inotuzumab", M1, agents="inotuzumab;cyclophosphamide;vincristine;dexamethasone",
            regimen="mini-hyper-CVD"), "mini_hyper_cvd"),
    (course("C3", "inotuzumab", M1, agents="inotuzumab; vincristine"), "vincristine"),
    (course("C3", "inotuzumab", M1, agents="inotuzumab"), "none"),  # the antibody alone
    (course("C3", "inotuzumab", M1), None),                          # agents not listed: unknown, not "alone"
])
def test_combination_partner(c, expected):
    assert rules.combination_partner(c) == expected


# ---- response_window_end (SD 2.3: to the day before the earliest of next different line, conditioning (day 0 if
# missing), CAR-T, death, cut-off) ---------------------------------------------------------------------------------
CUT = D(2020, 6, 30)


def test_response_window_end_by_hand():
    b = course("C2", "blinatumomab", M1, D(2018, 2, 6))
    same = course("C3", "blinatumomab", D(2018, 2, 15))   # a second course of the same agent: not a different line
    it = course("C4", "intrathecal", D(2018, 1, 20))      # IT: not a line
    chemo = course("C5", "chemotherapy", D(2018, 3, 1))
    th = [b, it, same, chemo]
    # next different line 03-01 -> window ends 02-28
    assert rules.response_window_end(b, th, [], None, CUT) == D(2018, 2, 28)
    # conditioning 02-20 comes first -> 02-19
    assert rules.response_window_end(b, th, [D(2018, 2, 20)], None, CUT) == D(2018, 2, 19)
    # death 02-05 comes first -> 02-04
    assert rules.response_window_end(b, th, [D(2018, 2, 20)], D(2018, 2, 5), CUT) == D(2018, 2, 4)
    # CAR-T on 02-12 -> 02-11
    assert rules.response_window_end(b, th + [course("C6", "car_t", D(2018, 2, 12))], [], None, CUT) == \
        D(2018, 2, 11)
    # nothing after the course: the cut-off (SD 3.3: data up to the cut-off count) -> 2020-06-30
    assert rules.response_window_end(b, [b], [], None, CUT) == CUT


# ---- best_response (SD 2.3) ---------------------------------------------------------------------------------------
END = D(2018, 2, 28)  # window end used below


def test_best_response_morphologic_start_by_hand():
    b = course("C2", "blinatumomab", M1, D(2018, 2, 6), disease_state_at_start="morphologic")
    # 1. day-28 marrow 3% blasts, no circulating blasts, no EMD, MRD 0 at LOD 1e-4: CR, MRD negative (< 1e-4 at
    #    sensitivity <= 1e-4, SD 2.3), dated 02-07
    r = rules.best_response(b, [marrow(D(2018, 2, 7), 3, mrd=0.0, lod=1e-4)], [], END, P)
    assert (r["response"], r["mrd"], r["date"]) == ("cr", "neg", D(2018, 2, 7))
    # 2. 12% blasts: not < 5% -> no response
    assert rules.best_response(b, [marrow(D(2018, 2, 7), 12)], [], END, P)["response"] == "nr"
    # 3. a CR marrow after the window end (03-05 > 02-28) does not count -> no response
    assert rules.best_response(b, [marrow(D(2018, 3, 5), 1)], [], END, P)["response"] == "nr"
    # 4. 2% blasts but circulating blasts: not CR
    assert rules.best_response(b, [marrow(D(2018, 2, 7), 2, pb="yes")], [], END, P)["response"] == "nr"
    # 5. CR without an MRD result: CR, MRD unknown (the two-way split puts unknown with positive, SD 2.3)
    assert rules.best_response(b, [marrow(D(2018, 2, 7), 2)], [], END, P)["mrd"] == "unknown"
    # 6. CR with MRD 1e-3 on 02-07, then MRD 0 on 02-25: any negative marrow in CR in the window -> "neg";
    #    the date of the CR is the first CR marrow (02-07)
    r = rules.best_response(b, [marrow(D(2018, 2, 7), 2, mrd=1e-3, lod=1e-4),
                                marrow(D(2018, 2, 25), 1, mrd=0.0, lod=1e-4)], [], END, P)
    assert (r["response"], r["mrd"], r["date"]) == ("cr", "neg", D(2018, 2, 7))


def test_best_response_mrd_and_consolidation_starts_by_hand():
    # started in morphologic CR with MRD >= 1e-4 (state "mrd"): CR requires conversion to MRD-negative
    m = course("C2", "blinatumomab", M1, D(2018, 2, 6), disease_state_at_start="mrd")
    assert rules.best_response(m, [marrow(D(2018, 2, 7), 1, mrd=5e-4, lod=1e-4)], [], END, P)["response"] == "nr"
    assert rules.best_response(m, [marrow(D(2018, 2, 7), 1, mrd=0.0, lod=1e-4)], [], END, P)["response"] == "cr"
    # the alternative mrd_start_response="morphologic": the morphologic CR counts
    alt = P.with_(mrd_start_response="morphologic")
    assert rules.best_response(m, [marrow(D(2018, 2, 7), 1, mrd=5e-4, lod=1e-4)], [], END, alt)["response"] == "cr"
    # started in MRD-negative CR: CR = the remission held through the course (course end 02-06 + 14 = 02-20)
    c = course("C2", "blinatumomab", M1, D(2018, 2, 6), disease_state_at_start="cr_mrd_negative")
    assert rules.best_response(c, [], [], END, P)["response"] == "cr"
    # a relapse on 02-15, inside the course: no response
    lost = [{"event_date": D(2018, 2, 15), "event_type": "relapse"}]
    assert rules.best_response(c, [], lost, END, P)["response"] == "nr"
    # a relapse on 02-25, after the course (02-20): the remission held -> CR
    later = [{"event_date": D(2018, 2, 25), "event_type": "relapse"}]
    assert rules.best_response(c, [], later, END, P)["response"] == "cr"


def test_best_response_consolidation_without_an_end_date():
    # started in MRD-negative CR, no end date: the course is known to run through its first day M1 = 2018-01-10,
    # so a relapse by 01-24 (+14) is a loss
    c = course("C2", "blinatumomab", M1, None, disease_state_at_start="cr_mrd_negative")
    assert rules.best_response(c, [], [{"event_date": D(2018, 1, 20), "event_type": "relapse"}], END,
                               P)["response"] == "nr"
    # a relapse on 02-25 may fall within the unknown course (+14 days): unknown, missing end_date
    r = rules.best_response(c, [], [{"event_date": D(2018, 2, 25), "event_type": "relapse"}], END, P)
    assert (r["response"], r["missing"]) == (None, ("end_date",))
    # no relapse in the whole window: the remission held whatever the end -> CR, its date unknown
    r = rules.best_response(c, [], [], END, P)
    assert (r["response"], r["date"]) == ("cr", None)


def test_best_response_missing_circulating_blasts_is_not_no_response():
    # the only marrow: 2% blasts, no EMD, circulating blasts not recorded. CR needs "no circulating blasts"
    # (SD 2.3), which is unknown here: the best response is unknown, not "no response"
    b = course("C2", "blinatumomab", M1, D(2018, 2, 6), disease_state_at_start="morphologic")
    assert rules.best_response(b, [marrow(D(2018, 2, 7), 2, pb=None)], [], END, P)["response"] != "nr"


def test_best_response_one_known_cr_is_enough():
    # marrow 02-07 with circulating blasts unknown, marrow 02-20 fully in CR: "CR if any assessment in the window
    # meets it" (SD 2.3) -> CR on 02-20
    b = course("C2", "blinatumomab", M1, D(2018, 2, 6), disease_state_at_start="morphologic")
    r = rules.best_response(b, [marrow(D(2018, 2, 7), 2, pb=None), marrow(D(2018, 2, 20), 1)], [], END, P)
    assert (r["response"], r["date"]) == ("cr", D(2018, 2, 20))


# ---- antigen_at_event (SD 2.4; CC 6.2): -14/+28 days, before the next line, call first, else < 20% negative,
# else log10 drop >= 1/3 dim, else missing ----------------------------------------------------------------------
EVD = D(2018, 3, 1)  # the event


def flow(when, **kw):
    return {"assessment_date": when, "specimen": "marrow", "abnormal_population": "yes", **kw}


@pytest.mark.parametrize("samples, next_line, status, binary", [
    # 15 days before (outside) with a negative call is skipped; 14 days before (02-15), 10% positive: < 20% ->
    # negative (derived), neg/dim
    ([flow(D(2018, 2, 14), cd19_call="negative"), flow(D(2018, 2, 15), cd19_pct_positive=10.0)], None,
     "negative", "negdim"),
    # 28 days after (03-29), the pathologist's call "positive" -> positive; 29 days after would be outside
    ([flow(D(2018, 3, 29), cd19_call="positive")], None, "positive", "pos"),
    ([flow(D(2018, 3, 30), cd19_call="positive")], None, None, None),
    # no abnormal population on 03-01: skipped; 03-05: 95% positive, MFI 1000 vs 3000 on normal immature B cells:
    # drop log10(3000/1000) = 0.477 >= 1/3 -> dim
    ([flow(EVD, abnormal_population="no", cd19_pct_positive=0.0),
      flow(D(2018, 3, 5), cd19_pct_positive=95.0, cd19_mfi_abnormal=1000.0, cd19_mfi_reference=3000.0)], None,
     "dim", "negdim"),
    # 95% positive, MFI 2000 vs 3000: drop log10(1.5) = 0.176 < 1/3 -> positive
    ([flow(EVD, cd19_pct_positive=95.0, cd19_mfi_abnormal=2000.0, cd19_mfi_reference=3000.0)], None,
     "positive", "pos"),
    # exactly 20% is not < 20% (CC 6.2 edge); MFI 2900 vs 3000 (drop 0.015) -> positive
    ([flow(EVD, cd19_pct_positive=20.0, cd19_mfi_abnormal=2900.0, cd19_mfi_reference=3000.0)], None,
     "positive", "pos"),
    # the call beats the values: call "positive" with 5% positive -> positive
    ([flow(EVD, cd19_call="positive", cd19_pct_positive=5.0)], None, "positive", "pos"),
    # a sample on the day the next line starts (03-10) is not "before the next line" -> missing
    ([flow(D(2018, 3, 10), cd19_call="negative")], D(2018, 3, 10), None, None),
    # no sample at all -> missing
    ([], None, None, None),
])
def test_antigen_at_event(samples, next_line, status, binary):
    r = rules.antigen_at_event(samples, EVD, next_line, "cd19", P)
    assert (r["status"], r["binary"]) == (status, binary)


# ---- last_dose (SD 2.6, I12: the last inotuzumab dose) ------------------------------------------------------------
def test_last_dose_by_hand():
    ino = course("C3", "inotuzumab", D(2018, 3, 1), D(2018, 4, 30))
    doses = [{"course_id": "C3", "dose_date": D(2018, 3, 1)}, {"course_id": "C3", "dose_date": D(2018, 3, 22)},
             {"course_id": "C3", "dose_date": D(2018, 3, 8)}, {"course_id": "C9", "dose_date": D(2018, 6, 1)}]
    # doses of C3: 03-01, 03-08, 03-22 -> 03-22 (C9's dose is another course)
    assert rules.last_dose(doses, ino) == D(2018, 3, 22)
    # no dose rows: the course's last day (therapies.end_date is "Last dose") -> 04-30
    assert rules.last_dose([], ino) == D(2018, 4, 30)


# ---- tx_status (SD 2.6: recorded, else the last marrow <= 30 days before conditioning: CR MRD-neg / CR MRD-pos /
# not in CR) -------------------------------------------------------------------------------------------------------
TX = {"transplant_date": D(2018, 6, 10), "conditioning_start_date": D(2018, 6, 3)}


def test_tx_status_by_hand():
    # recorded values are used (MRD unknown goes with positive, SD 2.3)
    assert rules.tx_status({**TX, "disease_status": "cr_mrd_negative"}, [], P) == "cr_mrd_neg"
    assert rules.tx_status({**TX, "disease_status": "cr_mrd_unknown"}, [], P) == "cr_mrd_pos"
    assert rules.tx_status({**TX, "disease_status": "not_in_cr"}, [], P) == "not_cr"
    # marrow 05-20 (14 days before conditioning): 1% blasts, MRD 0 at LOD 1e-4 -> CR MRD-negative
    assert rules.tx_status(TX, [marrow(D(2018, 5, 20), 1, mrd=0.0, lod=1e-4)], P) == "cr_mrd_neg"
    # MRD 2e-4 >= 1e-4 -> CR MRD-positive
    assert rules.tx_status(TX, [marrow(D(2018, 5, 20), 1, mrd=2e-4, lod=1e-4)], P) == "cr_mrd_pos"
    # 20% blasts -> not in CR
    assert rules.tx_status(TX, [marrow(D(2018, 5, 20), 20, pb="yes")], P) == "not_cr"
    # the only marrow 05-01 is 33 days before conditioning -> unknown (None)
    assert rules.tx_status(TX, [marrow(D(2018, 5, 1), 1, mrd=0.0, lod=1e-4)], P) is None
    # no conditioning date: counted back from day 0 (06-10): a marrow of 05-12 (29 days) -> CR MRD-negative
    assert rules.tx_status({"transplant_date": D(2018, 6, 10)}, [marrow(D(2018, 5, 12), 1, mrd=0.0, lod=1e-4)],
                           P) == "cr_mrd_neg"


def test_tx_status_unknown_circulating_blasts():
    # 1% blasts, MRD 0, circulating blasts not recorded: whether this is CR is unknown -> not "not in CR"
    assert rules.tx_status(TX, [marrow(D(2018, 5, 20), 1, pb=None, mrd=0.0, lod=1e-4)], P) != "not_cr"


def test_tx_status_uses_the_mrd_threshold_parameter():
    # with mrd_threshold=1e-3, MRD 5e-4 at LOD 1e-4 is below the threshold -> CR MRD-negative
    assert rules.tx_status(TX, [marrow(D(2018, 5, 20), 1, mrd=5e-4, lod=1e-4)],
                           dataclasses.replace(P, mrd_threshold=1e-3)) == "cr_mrd_neg"


# ---- no_tx_reason_fallback (SD 2.7: treatment-related death -> "salvage TRM"; CR after mAb2 held >= 30 days
# without HSCT -> preference; otherwise active disease) ---------------------------------------------------------
def test_no_tx_reason_fallback_by_hand():
    # died of salvage toxicity -> death (salvage treatment-related mortality), whatever the response
    assert rules.no_tx_reason_fallback({"resp_mab2": "cr"}, {"death_cause": "salvage_toxicity"}) == "death"
    # no CR after mAb2, alive -> active disease
    assert rules.no_tx_reason_fallback({"resp_mab2": "nr"}, {}) == "active_disease"
    # died of progression without CR -> active disease
    assert rules.no_tx_reason_fallback({"resp_mab2": "nr"}, {"death_cause": "progression"}) == "active_disease"
    # CR on 2018-04-01, no relapse, last contact 2018-10-18 (200 days): held >= 30 days -> preference
    v = {"resp_mab2": "cr", "resp_mab2_date": D(2018, 4, 1), "event2_date": None, "last_date": D(2018, 10, 18)}
    assert rules.no_tx_reason_fallback(v, {"last_contact_date": D(2018, 10, 18)}) == "preference"


def test_no_tx_reason_short_cr_is_active_disease():
    # CR on 2018-04-01, relapse on 2018-04-21: held 20 days < 30 -> active disease
    v = {"resp_mab2": "cr", "resp_mab2_date": D(2018, 4, 1), "event2_date": D(2018, 4, 21),
         "last_date": D(2018, 10, 18)}
    assert rules.no_tx_reason_fallback(v, {"last_contact_date": D(2018, 10, 18)}) == "active_disease"


# ---- max_grade_in_window (SD 2.9: CRS/ICANS from the first infusion to 14 days after the last, cut at the next
# line) ----------------------------------------------------------------------------------------------------------
B = course("C2", "blinatumomab", M1, D(2018, 2, 6))  # 14 days after the last infusion: 2018-02-20


def tox(kind, when, grade):
    return {"toxicity": kind, "onset_date": when, "grade": grade}


def test_max_grade_in_window_by_hand():
    t = [tox("crs", D(2018, 1, 11), 1), tox("crs", D(2018, 1, 20), 2),
         tox("icans", D(2018, 2, 20), 3),   # day 14 after the last infusion: inside
         tox("crs", D(2018, 2, 21), 4),     # day 15: outside
         tox("icans", D(2018, 1, 9), 4)]    # the day before the first infusion: outside
    # CRS max(1, 2) = 2; ICANS 3
    assert rules.max_grade_in_window(t, B, [B], 14) == (2, 3)
    # the next line starts 02-15: the window ends 02-14, so the ICANS of 02-20 is out -> ICANS 0
    nxt = course("C3", "chemotherapy", D(2018, 2, 15))
    assert rules.max_grade_in_window(t, B, [B, nxt], 14) == (2, 0)
    # nothing recorded in the window -> (0, 0)
    assert rules.max_grade_in_window([], B, [B], 14) == (0, 0)


def test_max_grade_ungraded_episode_is_not_grade_0():
    # a CRS episode on 01-12, grade not recorded: the patient had CRS ("any grade", SD 2.9) of unknown grade; the
    # maximum grade is not 0
    assert rules.max_grade_in_window([tox("crs", D(2018, 1, 12), None)], B, [B], 14)[0] != 0


def test_toxicity_window_without_an_end_date_by_hand():
    # the same course without an end date (first dose 2018-01-10): the window is known to run to 14 days after the
    # first dose (01-24) and may run to the next line (02-15, so to 02-14)
    nb = {**B, "end_date": None}
    nxt = course("C3", "chemotherapy", D(2018, 2, 15))
    # CRS grade 2 on 01-20 (sure); CRS grade 1 on 02-01 (uncertain stretch) cannot raise the maximum -> 2, any yes
    r = rules.toxicity_in_window([tox("crs", D(2018, 1, 20), 2), tox("crs", D(2018, 2, 1), 1)], nb, [nb, nxt], 14)
    assert (r["crs"]["max"], r["crs"]["any"]) == (2, True)
    # CRS grade 3 on 02-01 could: maximum unknown (end_date), any yes (grade 2 is sure)
    r = rules.toxicity_in_window([tox("crs", D(2018, 1, 20), 2), tox("crs", D(2018, 2, 1), 3)], nb, [nb, nxt], 14)
    assert (r["crs"]["max"], r["crs"]["any"], r["crs"]["missing"]) == (None, True, ("end_date",))
    # only ICANS grade 1 on 02-01: both unknown (not 0, not "no"); nothing in the uncertain stretch: 0 and no
    r = rules.toxicity_in_window([tox("icans", D(2018, 2, 1), 1)], nb, [nb, nxt], 14)
    assert (r["icans"]["max"], r["icans"]["any"]) == (None, None)
    assert (r["crs"]["max"], r["crs"]["any"]) == (0, False)
    # an episode after the next line started (02-20) is never in the window
    r = rules.toxicity_in_window([tox("icans", D(2018, 2, 20), 1)], nb, [nb, nxt], 14)
    assert (r["icans"]["max"], r["icans"]["any"]) == (0, False)


def test_any_grade_of_an_ungraded_episode_is_yes():
    # CRS recorded without a grade on 01-12: it occurred (any grade yes, SD 2.9), its maximum grade is unknown
    r = rules.toxicity_in_window([tox("crs", D(2018, 1, 12), None)], B, [B], 14)
    assert (r["crs"]["max"], r["crs"]["any"], r["crs"]["missing"]) == (None, True, ("grade",))
    # a grade-0 episode is not CRS
    r = rules.toxicity_in_window([tox("crs", D(2018, 1, 12), 0)], B, [B], 14)
    assert (r["crs"]["max"], r["crs"]["any"]) == (0, False)


# ---- hepatotoxicity (SD 2.9: CTCAE v5 grade >= 1, uln_only, first inotuzumab dose -> earliest of last dose + 42,
# the day before the next line, the day before conditioning) -----------------------------------------------------
INO = course("C3", "inotuzumab", D(2018, 3, 1), D(2018, 3, 22))  # last dose 03-22; + 42 days = 2018-05-03
DOSES = [{"course_id": "C3", "dose_date": D(2018, 3, 1)}, {"course_id": "C3", "dose_date": D(2018, 3, 22)}]


def obs(when, **kw):
    return {"observation_date": when, **kw}


def hepat(episodes=(), observations=(), therapies=None, cond=()):
    return rules.hepatotoxicity(list(episodes), list(observations), INO, therapies or [INO], DOSES, list(cond), P)


def test_hepatotoxicity_by_hand():
    # ALT 130 / ULN 40 = 3.25x (grade 2); bilirubin 1.2 / ULN 1.0 = 1.2x (grade 1) on 03-10 -> both
    assert hepat(observations=[obs(D(2018, 3, 10), alt=130.0, alt_uln=40.0, bilirubin=1.2, bilirubin_uln=1.0)]) \
        == (True, True)
    # ALT at the ULN (40/40 = 1.0x, grade 0), bilirubin 1.0/1.0 (grade 0) -> neither
    assert hepat(observations=[obs(D(2018, 3, 10), alt=40.0, alt_uln=40.0, bilirubin=1.0,
                                   bilirubin_uln=1.0)]) == (False, False)
    # AST 45/40 (grade 1) on 05-03 = last dose + 42 days: inside; on 05-04: outside
    # (no bilirubin measured in the window: hyperbilirubinaemia unknown, not 'no')
    assert hepat(observations=[obs(D(2018, 5, 3), ast=45.0, ast_uln=40.0)]) == (True, None)
    assert hepat(observations=[obs(D(2018, 5, 4), ast=45.0, ast_uln=40.0)]) == (False, False)
    # conditioning on 04-10: the window ends 04-09; ALT grade 3 on 04-10 -> outside
    assert hepat(observations=[obs(D(2018, 4, 10), alt=300.0, alt_uln=40.0)], cond=[D(2018, 4, 10)]) == \
        (False, False)
    # next line on 04-01: window ends 03-31; bilirubin grade 2 on 04-02 -> outside, on 03-31 -> inside
    chemo = course("C4", "chemotherapy", D(2018, 4, 1))
    assert hepat(observations=[obs(D(2018, 4, 2), bilirubin=2.0, bilirubin_uln=1.0)], therapies=[INO, chemo]) == \
        (False, False)
    # (no transaminase measured in the window: transaminitis unknown, not 'no')
    assert hepat(observations=[obs(D(2018, 3, 31), bilirubin=2.0, bilirubin_uln=1.0)], therapies=[INO, chemo]) == \
        (None, True)
    # recorded episodes: hyperbilirubinaemia grade 2 on 03-15 -> bilirubin; transaminitis grade 1 on 02-20 (before
    # the first dose) -> not transaminitis
    assert hepat(episodes=[tox("hyperbilirubinemia", D(2018, 3, 15), 2), tox("transaminitis", D(2018, 2, 20), 1)]) \
        == (False, True)


def test_hepatotoxicity_grade_0_episode_is_not_hepatotoxicity():
    # transaminitis recorded with grade 0 on 03-10: CTCAE grade >= 1 is required -> no transaminitis
    assert hepat(episodes=[tox("transaminitis", D(2018, 3, 10), 0)]) == (False, False)


def test_hepatotoxicity_without_uln_is_unknown():
    # ALT 500 on 03-10, no ULN recorded: the CTCAE grade cannot be computed (CC 4: "return None, not a guess");
    # the only liver data of the window say nothing, so transaminitis is unknown, not False
    assert hepat(observations=[obs(D(2018, 3, 10), alt=500.0)])[0] is not False


# ---- death_class (SD 2.8: the recorded primary cause; if missing: progression if the disease was active at
# death, treatment-related otherwise) -----------------------------------------------------------------------------
@pytest.mark.parametrize("fu, expected", [
    ({"death_cause": "progression"}, "progression"),
    ({"death_cause": "infection"}, "treatment_related"),
    ({"death_cause": "gvhd"}, "treatment_related"),
    ({"death_cause": "sos"}, "treatment_related"),
    ({"death_cause": "organ_toxicity"}, "treatment_related"),
    ({"death_cause": "salvage_toxicity"}, "treatment_related"),
    # cause missing, active systemic disease at death -> progression
    ({"death_cause": None, "status_at_last_contact": "active_systemic"}, "progression"),
    # cause missing, in CR at death -> treatment-related (flagged fallback)
    ({"death_cause": None, "status_at_last_contact": "cr"}, "treatment_related"),
])
def test_death_class(fu, expected):
    assert rules.death_class(fu, None, True) == expected


def test_death_class_alive_is_none():
    assert rules.death_class({"death_cause": None}, None, False) is None


def test_death_class_active_after_relapse():
    # relapse after mAb2 on 2018-06-01, no later remission, death with no recorded cause and no status: the disease
    # was active at death -> progression
    ev = {"event_date": D(2018, 6, 1), "event_type": "relapse"}
    assert rules.death_class({"death_cause": None, "status_at_last_contact": None}, ev, True) == "progression"


def test_death_class_reads_the_records_only_when_they_decide():
    # the records (a function returning the state at death) are read only when neither the cause nor the status
    # decides: a recorded cause or status never calls it; without both it is called once and decides
    def never():
        raise AssertionError("the records were read although the recorded value decides")
    calls = []

    def active():
        calls.append(1)
        return {"event_date": D(2018, 6, 1), "event_type": "relapse"}
    assert rules.death_class({"death_cause": "infection"}, never, True) == "treatment_related"
    assert rules.death_class({"death_cause": None, "status_at_last_contact": "cr"}, never, True) == \
        "treatment_related"
    assert rules.death_class({"death_cause": None, "status_at_last_contact": None}, active, True) == "progression"
    assert rules.death_class({"death_cause": None, "status_at_last_contact": None}, lambda: None, True) == \
        "treatment_related"
    assert calls == [1]


def test_kept_marrow_and_antigen_answers_equal_the_criteria():
    # the derivation keeps the answers of criteria it has already asked (rules._marrow_cr, _antigen_status_of);
    # the oracle is the criteria functions themselves, asked afresh for every combination, twice in a row
    from mabseq.criteria.antigen import antigen_status
    from mabseq.criteria.response import hematologic_response, response_any
    for blasts in (None, 0.0, 4.9, 5, 5.0, 30.0):
        for pb in (None, True, False):
            for emd in (None, True, False):
                for ruleset in ("paper-2022", "NCCN/INO-VATE", "Blinatumomab/TOWER"):
                    r = hematologic_response(blasts, pb_blasts=pb, emd_present=emd, anc_e9_l=0.8, plt_e9_l=120.0,
                                             ruleset=ruleset)
                    want = (response_any(r), tuple(r.missing_inputs))
                    for _ in range(2):
                        assert rules._marrow_cr(blasts, pb, emd, 0.8, 120.0, ruleset) == want
    for call in (None, "negative", "dim", "positive"):
        for pct in (None, 5.0, 19.9, 20.0, 90.0):
            for mfi in ((None, None), (100.0, 1000.0), (900.0, 1000.0)):
                r = antigen_status(pct, *mfi, pathologist_call=call, neg_pct_threshold=20.0, dim_log_drop=1 / 3)
                for _ in range(2):
                    got = rules._antigen_status_of(call, pct, *mfi, 20.0, 1 / 3)[0]
                    assert got == (r.value if r.value in ("negative", "dim", "positive") else None)


def test_active_at_death():
    # relapse 2018-06-01; death 2018-09-01. (a) no later marrow -> the relapse is unresolved: active; (b) a marrow
    # on 2018-07-15 with 2% blasts, no circulating blasts, no EMD (CR by the paper's rule) -> resolved: None;
    # (c) that CR marrow after the death date does not count -> active; (d) the death precedes the relapse -> None;
    # (e) CR on 07-15, then a marrow with 40% blasts on 08-20 and no recorded relapse -> active (that marrow)
    ev = {"event_date": D(2018, 6, 1), "event_type": "relapse"}
    cr = {"assessment_date": D(2018, 7, 15), "specimen": "marrow", "bm_blast_pct": 2.0, "pb_blasts": "no",
          "emd_present": "no"}
    late = dict(cr, assessment_date=D(2018, 10, 1))
    blasts = dict(cr, assessment_date=D(2018, 8, 20), bm_blast_pct=40.0, pb_blasts="yes")
    assert rules.active_at([ev], [], D(2018, 9, 1), True) is ev
    assert rules.active_at([ev], [cr], D(2018, 9, 1), True) is None
    assert rules.active_at([ev], [late], D(2018, 9, 1), True) is ev
    assert rules.active_at([ev], [], D(2018, 5, 1), True) is None
    assert rules.active_at([ev], [cr, blasts], D(2018, 9, 1), True) is blasts
    # a recorded status at last contact wins over the records: 'cr' -> treatment-related
    assert rules.death_class({"death_cause": None, "status_at_last_contact": "cr"}, ev, True) == "treatment_related"


# ---- the preset's criteria calls, through derive_cohort on hand-made patients ------------------------------------
# Every patient: B-ALL, age 40 at diagnosis 2015-01-01, frontline chemotherapy; blinatumomab mAb1 2018-01-10 to
# 2018-02-06; inotuzumab mAb2 2018-03-01 to 2018-03-22; alive at 2019-01-01. Cut-off 2020-06-30.
def _cohort(patients: list[dict]) -> Cohort:
    tables: dict[str, list[dict]] = {t: [] for t in BY_NAME}
    tables["study"].append({"study_name": "byhand", "data_cutoff": D(2020, 6, 30), "enrollment_start": D(2012, 1, 1),
                            "enrollment_end": D(2019, 12, 31)})
    for p in patients:
        pid = p["pid"]
        tables["patients"].append({"patient_id": pid, "diagnosis": "b_all", "sex": "female",
                                   "age_at_diagnosis": 40.0, "diagnosis_date": D(2015, 1, 1)})
        tables["therapies"] += [
            {"patient_id": pid, **course("C1", "chemotherapy", D(2015, 1, 5), D(2015, 6, 1), intent="frontline")},
            {"patient_id": pid, **course("C2", "blinatumomab", M1, D(2018, 2, 6), intent="salvage",
                                         disease_state_at_start=p.get("state"))},
            {"patient_id": pid, **course("C3", "inotuzumab", D(2018, 3, 1), D(2018, 3, 22), intent="salvage")}]
        tables["assessments"] += [{"patient_id": pid, **a} for a in p.get("assessments", [])]
        tables["disease_events"] += [{"patient_id": pid, **e} for e in p.get("events", [])]
        tables["follow_up"].append({"patient_id": pid, "last_contact_date": D(2019, 1, 1), "vital_status": "alive"})
    frames = {name: conform(pd.DataFrame(rows, columns=BY_NAME[name].column_names) if rows
                            else pd.DataFrame(columns=BY_NAME[name].column_names), BY_NAME[name])
              for name, rows in tables.items()}
    return Cohort(frames, "byhand")


def _adsl(patients):
    dc = derive_cohort(_cohort(patients))
    assert dc.excluded.empty
    return dc.adsl.set_index("patient_id")


PROG = {"event_date": D(2018, 2, 10), "event_type": "progression", "site": "marrow"}


def test_response_at_a_marrow_through_the_preset():
    a = _adsl([
        # H1: the 02-05 marrow 2% blasts, no circulating blasts, no EMD, MRD 0 at 1e-4 -> CR, MRD negative
        {"pid": "H1", "state": "morphologic", "assessments": [marrow(D(2018, 2, 5), 2, mrd=0.0, lod=1e-4)]},
        # H2: 02-05 marrow 40% blasts, circulating blasts; progression 02-10 -> no response
        {"pid": "H2", "state": "morphologic", "assessments": [marrow(D(2018, 2, 5), 40, pb="yes")],
         "events": [PROG]},
        # H3: started with MRD (recorded "mrd"); 02-05 marrow 1% blasts, MRD 5e-4 -> no conversion -> no response
        {"pid": "H3", "state": "mrd", "assessments": [marrow(D(2018, 2, 5), 1, mrd=5e-4, lod=1e-4)],
         "events": [PROG]},
    ])
    assert list(a.loc[["H1", "H2", "H3"], "resp_mab1"]) == ["cr", "nr", "nr"]
    assert a.loc["H1", "mrd_mab1"] == "neg"


def test_mrd_only_start_derived_from_the_marrow_before():
    # state not recorded; the marrow of 2018-01-05 (5 days before mAb1): 1% blasts, MRD 2e-3 = morphologic CR with
    # MRD >= 1e-4, so the course started MRD-only (SD 2.3; issue 14: derived from the latest marrow before the
    # course). The 02-05 marrow: 1% blasts, MRD 2e-3 -> no conversion -> no response (as H3 above)
    a = _adsl([{"pid": "H4", "state": None, "events": [PROG],
                "assessments": [marrow(D(2018, 1, 5), 1, mrd=2e-3, lod=1e-4),
                                marrow(D(2018, 2, 5), 1, mrd=2e-3, lod=1e-4)]}])
    assert a.loc["H4", "resp_mab1"] == "nr"


def test_cd19_from_percent_mfi_and_call_through_the_preset():
    # each patient progresses on 2018-02-10 (no response); one flow sample on 02-12 (2 days after, in -14/+28)
    def pt(pid, **f):
        return {"pid": pid, "state": "morphologic", "events": [PROG],
                "assessments": [marrow(D(2018, 2, 5), 40, pb="yes"),
                                {"assessment_date": D(2018, 2, 12), "specimen": "blood", "abnormal_population": "yes",
                                 **f}]}
    a = _adsl([
        pt("F1", cd19_pct_positive=8.0),                                    # 8% < 20% -> negative -> neg/dim
        pt("F2", cd19_pct_positive=90.0, cd19_mfi_abnormal=500.0,
           cd19_mfi_reference=2000.0),                                      # log10(4) = 0.602 >= 1/3 -> dim
        pt("F3", cd19_pct_positive=90.0, cd19_mfi_abnormal=1500.0,
           cd19_mfi_reference=2000.0),                                      # log10(1.33) = 0.125 -> positive
        pt("F4", cd19_call="dim", cd19_pct_positive=99.0),                  # the call first -> dim
    ])
    assert list(a.loc[["F1", "F2", "F3", "F4"], "cd19_event1_status"]) == ["negative", "dim", "positive", "dim"]
    assert list(a.loc[["F1", "F2", "F3", "F4"], "cd19_event1"]) == ["negdim", "negdim", "pos", "negdim"]


def test_cd19_of_a_non_responder_without_a_dated_progression():
    # no disease event at all; the 02-05 marrow (40% blasts, circulating blasts) documents non-response and its
    # flow shows 5% CD19-positive blasts: SD 2.4 dates the event at that marrow -> CD19 negative (neg/dim)
    a = _adsl([{"pid": "N1", "state": "morphologic",
                "assessments": [marrow(D(2018, 2, 5), 40, pb="yes", abnormal_population="yes",
                                       cd19_pct_positive=5.0)]}])
    assert a.loc["N1", "resp_mab1"] == "nr"
    assert a.loc["N1", "cd19_event1"] == "negdim"
