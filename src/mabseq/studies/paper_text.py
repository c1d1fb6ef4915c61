"""The paper preset's Results-text numbers (Abstract, Results, Discussion) and its survival analyses (Figures 2-4).

Ids follow `published-results.csv`. Where the plan settles a contradiction (study-definition 5.3/5.4), the
computed value follows the plan and fidelity shows the printed value beside it.
"""
from __future__ import annotations

import pandas as pd

from ..results.records import Record
from ..results.rfilter import r_expr
from .builder import MONTH_DAYS, Builder, eq as _eq


def _true(col):
    return lambda f: f[col] == True  # noqa: E712


def add_text_records(b: Builder, P: dict, adsl: pd.DataFrame) -> None:
    full, bf, if_ = P["FULL"], P["BF"], P["IF"]
    tx, ntx = P["TX"], P["NTX"]

    # ---- Abstract, Introduction, Methods -------------------------------------------------------------------------
    b.block = "Abstract"
    for id_ in ("abs_n_total", "intro_n_total", "meth_n_total", "txt_n_total"):
        b.count(id_, full.n, full, quantity="patients", patients=full.ids, statistic="count_of")
    b.results.rec("meth_age_eligibility_min", b.results.meta.get("age_min", 15), "min",
                  quantity="eligibility: minimum age (years)", paper_ref="meth_age_eligibility_min",
                  block="Methods", decimals=0, method="inclusion rule (parameter age_min_years)")
    b.n_pct("abs_blina_mab1_n", "abs_blina_mab1_pct", full, _eq("seq", "BF"), quantity="received blinatumomab as mAb1")
    b.n_pct(None, "abs_cd19_negdim_relapse_pct", bf, _eq("cd19_event1", "negdim"), decimals=0,
            quantity="CD19-negative/dim relapse after blinatumomab")
    b.n_pct(None, "abs_cr_ino_after_blina_pct", bf, _eq("resp_mab2", "cr"), decimals=0,
            quantity="CR with inotuzumab for post-blinatumomab relapse")
    b.summary("abs_time_mab1_mab2", "", full, "days_mab1_mab2", stats=("median",), quantity="days mAb1 to mAb2")
    b.n_pct("abs_allohsct_of_cr_mab2_n", "abs_allohsct_of_cr_mab2_pct", P["CR2"], _true("tx"),
            quantity="alloHSCT among CR after mAb2")
    b.summary("abs_time_mab2_allohsct", "", tx, "days_mab2_tx", stats=("median",), decimals=1,
              quantity="days mAb2 to alloHSCT")
    b.n_pct(None, "abs_agvhd_pct", tx, _true("agvhd"), quantity="acute GVHD (any grade)")
    b.n_pct(None, "abs_agvhd_ge3_pct", tx, _true("agvhd_ge3"), decimals=0,
            quantity="acute GVHD grade >= 3")
    b.n_pct(None, "abs_nrm_pct", tx, lambda f: (f["dead"] == True) & f["tx_relapse_date"].isna(),  # noqa: E712
            quantity="non-relapse mortality (crude)")
    b.followup("abs_followup_median", full, "os_mab2", quantity="follow-up after mAb2 (months)")
    b.n_pct("abs_relapsed_n", "abs_relapsed_pct", full, lambda f: f["event2_date"].notna(),
            quantity="relapse or progression after mAb2",
            rule="no firm definition in the paper (I25): any relapse/progression after mAb2")
    b.n_pct("abs_died_n", "abs_died_pct", full, _true("dead"), quantity="died")

    # ---- Results: sequence and response ------------------------------------------------------------------------------
    b.block = "Results"
    b.n_pct("txt_blina_mab1_n", "txt_blina_mab1_pct", full, _eq("seq", "BF"), quantity="blinatumomab as mAb1")
    b.n_pct("txt_ino_mab1_n", "txt_ino_mab1_pct", full, _eq("seq", "IF"), quantity="inotuzumab as mAb1")
    b.n_pct("txt_cr_after_mab1_n", "txt_cr_after_mab1_pct", full, _eq("resp_mab1", "cr"), quantity="CR after mAb1")
    mrdneg1 = lambda f: (f["resp_mab1"] == "cr") & (f["mrd_mab1"] == "neg")  # noqa: E731
    b.n_pct("txt_mrdneg_cr_after_mab1_n", "txt_mrdneg_cr_after_mab1_pct", full, mrdneg1,
            quantity="MRD-negative CR after mAb1")
    b.n_pct("txt_cr_after_blina_mab1_n", None, bf, _eq("resp_mab1", "cr"), quantity="CR after blinatumomab mAb1")
    b.n_pct("txt_cr_after_ino_mab1_n", None, if_, _eq("resp_mab1", "cr"), quantity="CR after inotuzumab mAb1")
    b.n_pct("txt_cr_after_mab2_n", "txt_cr_after_mab2_pct", full, _eq("resp_mab2", "cr"), quantity="CR after mAb2")
    b.n_pct("txt_cr_after_ino_mab2_n", None, bf, _eq("resp_mab2", "cr"), quantity="CR after inotuzumab mAb2")
    b.n_pct("txt_cr_after_blina_mab2_n", None, if_, _eq("resp_mab2", "cr"), quantity="CR after blinatumomab mAb2")
    b.summary("txt_time_mab1_mab2", "", full, "days_mab1_mab2", quantity="days mAb1 to mAb2")
    b.n_pct("txt_interim_n", "txt_interim_pct", full, _true("interim"), quantity="interim therapy before mAb2")
    b.n_pct("txt_allohsct_after_mab2_n", "txt_allohsct_after_mab2_pct", full, _true("tx"),
            quantity="alloHSCT after mAb2")
    b.n_pct("txt_cart_after_mab2_n", None, full, _true("cart_after_mab2"), quantity="CAR T cells after mAb2")
    b.n_pct("txt_cart_then_allohsct_n", None, full, _eq("tx_route", "after_cart"),
            quantity="CAR T cells after mAb2 then alloHSCT")

    # ---- Results: blinatumomab first ---------------------------------------------------------------------------------
    b.count("txt_bl_n", bf.n, bf, quantity="patients with blinatumomab as mAb1", patients=bf.ids,
            statistic="count_of")
    b.n_pct("txt_bl_mrd_at_mab1_n", "txt_bl_mrd_at_mab1_pct", bf, _eq("burden_mab1", "mrd"),
            quantity="MRD-only disease at mAb1")
    b.n_pct("txt_bl_morph_at_mab1_n", "txt_bl_morph_at_mab1_pct", bf, _eq("burden_mab1", "morphologic"),
            quantity="morphologic disease at mAb1")
    b.n_pct("txt_bl_ph_ponatinib_with_blina_n", None, bf, _true("ponatinib_with_blina"),
            quantity="Ph+ on ponatinib with blinatumomab")
    b.summary("txt_bl_blina_cycles", "", bf, "blina_cycles", stats=("median", "min", "max"),
              quantity="blinatumomab mAb1 cycles")
    b.n_pct("txt_bl_cr_blina_n", "txt_bl_cr_blina_pct", bf, _eq("resp_mab1", "cr"), quantity="CR after blinatumomab")
    b.n_pct("txt_bl_mrdneg_cr_blina_n", None, bf, mrdneg1, quantity="MRD-negative CR after blinatumomab")
    b.n_pct(None, "txt_bl_crs_pct", bf, lambda f: f["crs_any_blina"] == True, quantity="CRS any grade")  # noqa: E712
    b.n_pct(None, "txt_bl_icans_pct", bf, lambda f: f["icans_any_blina"] == True,  # noqa: E712
            quantity="ICANS any grade")
    b.n_pct("txt_bl_cd19_negdim_n", "txt_bl_cd19_negdim_pct", bf, _eq("cd19_event1", "negdim"),
            quantity="CD19-neg/dim relapse")
    b.n_pct("txt_bl_cd19_pos_n", "txt_bl_cd19_pos_pct", bf, _eq("cd19_event1", "pos"), quantity="CD19-pos relapse")
    n19, p19 = P["BF-CD19N"], P["BF-CD19P"]
    b.summary("txt_bl_time_to_relapse", "_cd19pos", p19, "days_mab1_event", stats=("median",),
              quantity="days blinatumomab to relapse, CD19 pos")
    b.summary("txt_bl_time_to_relapse", "_cd19negdim", n19, "days_mab1_event", stats=("median",),
              quantity="days blinatumomab to relapse, CD19 neg/dim")
    b.kw("txt_bl_time_to_relapse_cd19_p", [p19, n19], "days_mab1_event", quantity="time to relapse by CD19")
    b.n_pct("txt_bl_allohsct_after_blina_n", "txt_bl_allohsct_after_blina_pct", bf, _true("hsct_between"),
            decimals=0, quantity="alloHSCT after blinatumomab, before inotuzumab")
    b.summary("txt_bl_ino_cycles", "", bf, "ino_cycles", stats=("median", "min", "max"),
              quantity="inotuzumab mAb2 cycles")
    b.summary("txt_bl_ino_total_dose", "", bf, "ino_total_dose", stats=("median", "min", "max"), decimals=1,
              quantity="total inotuzumab mAb2 dose (mg/m2)")
    b.n_pct("txt_bl_ino_plus_chemo_n", "txt_bl_ino_plus_chemo_pct", bf, lambda f: f["ino_plus_chemo"].notna() & (f["ino_plus_chemo"] != "none"),
            quantity="chemotherapy with inotuzumab mAb2")
    b.n_pct("txt_bl_ino_plus_minihcvd_n", None, bf, _eq("ino_plus_chemo", "mini_hyper_cvd"),
            quantity="mini-hyper-CVD with inotuzumab")
    b.n_pct("txt_bl_ino_plus_vcr_n", None, bf, _eq("ino_plus_chemo", "vincristine"), quantity="vincristine with ino")
    b.n_pct("txt_bl_ph_ponatinib_stopped_n", None, bf, lambda f: (f["ph_pos"] == True)  # noqa: E712
            & (f["ponatinib_with_blina"] == True), quantity="Ph+ with ponatinib stopped for inotuzumab",  # noqa: E712
            rule="no TKI overlapping the inotuzumab course")
    b.n_pct("txt_bl_cr_ino_n", "txt_bl_cr_ino_pct", bf, _eq("resp_mab2", "cr"), quantity="CR after inotuzumab")
    mrdneg2 = lambda f: (f["resp_mab2"] == "cr") & (f["mrd_mab2"] == "neg")  # noqa: E731
    mrdpos2 = lambda f: (f["resp_mab2"] == "cr") & (f["mrd_mab2"] != "neg")  # noqa: E731
    b.n_pct(None, "txt_bl_mrdneg_cr_ino_pct", bf, mrdneg2, quantity="MRD-negative CR after inotuzumab")
    for pop, sfx in ((n19, "cd19negdim"), (p19, "cd19pos")):
        b.n_pct(f"txt_bl_cr_ino_n_{sfx}", None, pop, _eq("resp_mab2", "cr"), quantity="CR after inotuzumab")
        b.n_pct(f"txt_bl_mrdneg_cr_ino_n_{sfx}", None, pop, mrdneg2, quantity="MRD-negative CR after inotuzumab")
        b.n_pct(f"txt_bl_mrdpos_cr_ino_n_{sfx}", None, pop, mrdpos2,
                quantity="MRD-positive (or unknown) CR after inotuzumab")
    b.n_pct("txt_bl_interim_n", "txt_bl_interim_pct", bf, _true("interim"), quantity="interim therapy")
    b.summary("txt_bl_interim_lines", "", P["BF-INT"], "interim_lines", stats=("median", "min", "max"),
              quantity="interim lines")
    b.summary("txt_bl_time_mab1_mab2", "", bf, "days_mab1_mab2", stats=("median",), quantity="days mAb1 to mAb2")
    b.summary("txt_bl_time_mab1_mab2", "_cd19negdim", n19, "days_mab1_mab2", stats=("median",),
              quantity="days mAb1 to mAb2, CD19 neg/dim")
    b.summary("txt_bl_time_mab1_mab2", "_cd19pos", p19, "days_mab1_mab2", stats=("median",),
              quantity="days mAb1 to mAb2, CD19 pos")
    b.kw("txt_bl_time_mab1_mab2_cd19_p", [n19, p19], "days_mab1_mab2", quantity="days mAb1 to mAb2 by CD19")
    b.n_pct(None, "txt_bl_cr_ino_pct_interim", P["BF-INT"], _eq("resp_mab2", "cr"), quantity="CR to ino, interim")
    b.n_pct(None, "txt_bl_cr_ino_pct_nointerim", P["BF-NOINT"], _eq("resp_mab2", "cr"),
            quantity="CR to ino, no interim")
    b.categorical("txt_bl_cr_ino_interim_p", [P["BF-NOINT"], P["BF-INT"]], "resp_mab2",
                  quantity="CR to inotuzumab by interim therapy")
    cri = P["BF-CRI"]
    b.n_pct("txt_bl_allohsct_of_cr_ino_n", "txt_bl_allohsct_of_cr_ino_pct", cri, _eq("tx_route", "direct_ino"),
            quantity="consolidative alloHSCT directly after inotuzumab", rule="direct route only (I17)")
    b.n_pct("txt_bl_hepatotox_n", None, bf, lambda f: (f["transaminitis_ino"] == True)  # noqa: E712
            | (f["hyperbili_ino"] == True), quantity="hepatotoxicity during/after inotuzumab")  # noqa: E712
    b.n_pct("txt_bl_transaminitis_n", None, bf, _true("transaminitis_ino"), quantity="transaminitis")
    b.n_pct("txt_bl_hyperbili_n", None, bf, _true("hyperbili_ino"), quantity="hyperbilirubinemia")
    sos = lambda f: f.get("sos", pd.Series(False, index=f.index)) == True  # noqa: E731,E712
    b.n_pct("txt_bl_sos_n", None, bf, sos, quantity="hepatic SOS")
    b.n_pct("txt_bl_sos_grade3_n", None, bf, lambda f: sos(f) & (f.get("sos_fatal") == False),  # noqa: E712 (unknown is not 'non-fatal')
            quantity="SOS severe (grade 3)", rule="EBMT severity severe = the paper's grade 3 (I29)")
    b.n_pct("txt_bl_sos_grade5_n", None, bf, lambda f: sos(f) & (f.get("sos_fatal") == True),  # noqa: E712
            quantity="fatal SOS (grade 5)")
    b.n_pct("txt_bl_died_n", "txt_bl_died_pct", bf, _true("dead"), decimals=0, quantity="died")
    b.n_pct("txt_bl_died_pd_n", None, bf, _eq("death_class", "progression"), quantity="died of progression")
    b.n_pct("txt_bl_died_trm_n", None, bf, _eq("death_class", "treatment_related"),
            quantity="died of treatment-related causes")
    b.n_pct("txt_bl_died_n_cd19negdim", None, n19, _true("dead"), quantity="died, CD19 neg/dim")
    b.n_pct("txt_bl_died_n_cd19pos", None, p19, _true("dead"), quantity="died, CD19 pos")
    b.n_pct("txt_bl_cd22_available_n", "txt_bl_cd22_available_pct", bf, lambda f: f["cd22_event2"].notna(),
            decimals=0, quantity="CD22 known at relapse after inotuzumab")
    b.n_pct("txt_bl_cd22_pos_n", None, P["BF-CD22"], _eq("cd22_event2", "pos"), quantity="CD22 pos")
    b.n_pct("txt_bl_cd22_negdim_n", None, P["BF-CD22"], _eq("cd22_event2", "negdim"), quantity="CD22 neg/dim")

    # ---- Results: inotuzumab first ----------------------------------------------------------------------------------
    b.count("txt_in_n", if_.n, if_, quantity="patients with inotuzumab as mAb1", patients=if_.ids,
            statistic="count_of")
    b.n_pct("txt_in_cr_ino_n", None, if_, _eq("resp_mab1", "cr"), quantity="CR after inotuzumab mAb1")
    b.n_pct("txt_in_persistent_ino_n", None, if_, lambda f: f["resp_mab1"] != "cr", quantity="persistent disease")
    b.n_pct("txt_in_ino_monotherapy_n", None, if_, _eq("ino_plus_chemo", "none"),
            quantity="inotuzumab mAb1 as monotherapy")
    b.n_pct("txt_in_blina_immediately_n", None, if_, lambda f: f["interim"] != True,  # noqa: E712
            quantity="blinatumomab mAb2 without interim therapy")
    if_cr = if_.where("IF-CR1", "IF in CR after mAb1", _eq("resp_mab1", "cr"))
    b.n_pct("txt_in_blina_bridge_tx_n", None, if_cr, _eq("tx_route", "direct_blina"),
            quantity="blinatumomab mAb2 as bridge to alloHSCT")
    b.n_pct("txt_in_blina_consolidation_n", None, if_cr, lambda f: f["tx_route"] != "direct_blina",
            quantity="blinatumomab mAb2 as consolidation")
    b.n_pct("txt_in_refractory_blina_n", None, if_, lambda f: (f["resp_mab1"] != "cr") & (f["resp_mab2"] != "cr"),
            quantity="refractory to both")
    b.summary("txt_in_time_mab1_mab2", "", if_, "days_mab1_mab2", stats=("median", "min", "max"),
              quantity="days mAb1 to mAb2, inotuzumab first")
    b.n_pct("txt_in_cd19_cd22_persistent_n", None, if_,
            lambda f: ((f["cd19_event1"] != "negdim") & (f["cd22_event1"] != "negdim")),
            quantity="persistent CD19 and CD22 at relapse")
    b.n_pct("txt_in_hepatotox_sos_n", None, if_, lambda f: (f["transaminitis_ino"] == True)  # noqa: E712
            | (f["hyperbili_ino"] == True) | sos(f), quantity="hepatotoxicity or SOS after inotuzumab")  # noqa
    b.n_pct("txt_in_crs_icans_g1_n", None, if_, lambda f: (f["crs_blina"] == 1) & (f["icans_blina"] == 1),
            quantity="grade 1 CRS and ICANS after blinatumomab mAb2")
    b.n_pct("txt_in_died_n", None, if_, _true("dead"), quantity="died")
    b.n_pct("txt_in_died_pd_n", None, if_, _eq("death_class", "progression"), quantity="died of progression")
    b.n_pct("txt_in_died_toxicity_n", None, if_, _eq("death_class", "treatment_related"),
            quantity="died of treatment toxicity")
    b.n_pct("txt_in_alive_cr_n", None, if_, _eq("status_last", "cr"), quantity="alive in CR")
    b.n_pct("txt_in_alive_disease_n", None, if_, lambda f: f["status_last"].isin(["active_systemic", "active_cns"]),
            quantity="alive with persistent disease")

    # ---- Results: transplanted after mAb2 -----------------------------------------------------------------------------
    b.count("txt_tx_n", tx.n, tx, quantity="patients transplanted after mAb2", patients=tx.ids, statistic="count_of")
    b.count("fig4_n_allohsct", tx.n, tx, quantity="patients in the post-alloHSCT curves", patients=tx.ids,
            statistic="count_of")
    b.n_pct("txt_tx_after_ino_mab2_n", None, tx, _eq("tx_route", "direct_ino"), quantity="directly after ino mAb2")
    b.n_pct("txt_tx_after_blina_mab2_n", None, tx, _eq("tx_route", "direct_blina"),
            quantity="directly after blina mAb2")
    b.n_pct("txt_tx_after_cart_n", None, tx, _eq("tx_route", "after_cart"), quantity="after CAR T cells")
    b.n_pct("txt_tx_in_cr_n", None, tx, lambda f: f["tx_status"].isin(["cr_mrd_neg", "cr_mrd_pos"]),
            quantity="in CR at alloHSCT")
    b.n_pct("txt_tx_prior_allohsct_n", None, tx, _true("tx_prior_hsct"), quantity="prior alloHSCT")
    b.n_pct("txt_tx_mac_n", None, tx, _eq("tx_conditioning_intensity", "mac"), quantity="myeloablative")
    eng = P["TX-ENG"]
    b.n_pct("txt_tx_tcd_n", None, tx, lambda f: (f["tx_ex_vivo_tcd"] == "yes") & f["engraft_days"].notna(),
            quantity="ex vivo T-cell-depleted graft (engrafted)", rule="I5: evaluable (engrafted) recipients")
    b.n_pct("txt_tx_engraft_n", "txt_tx_engraft_pct", tx, lambda f: f["engraft_days"].notna(),
            quantity="neutrophil engraftment")
    b.summary("txt_tx_engraft_days", "", eng, "engraft_days", quantity="days to neutrophil engraftment")
    b.n_pct("txt_tx_agvhd_n", "txt_tx_agvhd_pct", tx, _true("agvhd"), quantity="acute GVHD")
    b.n_pct("txt_tx_agvhd_ge3_n", None, tx, _true("agvhd_ge3"), quantity="aGVHD grade >= 3")
    for stem, organ, stage in (("gi3", "agvhd_lower_gi_stage", 3), ("gi2", "agvhd_lower_gi_stage", 2),
                               ("liver3", "agvhd_liver_stage", 3)):
        b.n_pct(f"txt_tx_agvhd_ge3_{stem}_n", None, tx,
                lambda f, o=organ, k=stage: (f["agvhd_ge3"] == True) & (f[o] == k),  # noqa: E712
                quantity=f"aGVHD grade >= 3 with {organ.replace('agvhd_', '').replace('_', ' ')} {stage}")
    tcd = eng.where("TX-ENG-TCD", "engrafted, T-cell depleted", lambda f: f["tx_ex_vivo_tcd"] == "yes")
    unm = eng.where("TX-ENG-UNM", "engrafted, unmanipulated", lambda f: f["tx_ex_vivo_tcd"] != "yes")
    b.n_pct(None, "txt_tx_agvhd_pct_tcd", tcd, _true("agvhd"), decimals=0, quantity="aGVHD, T-cell depleted",
            rule="over engrafted recipients of the graft type (I5)")
    b.n_pct(None, "txt_tx_agvhd_pct_unmanip", unm, _true("agvhd"), decimals=0, quantity="aGVHD, unmanipulated",
            rule="over engrafted recipients of the graft type (I5)")
    b.n_pct("txt_tx_sos_n", None, tx, sos, quantity="hepatic SOS")
    b.summary("txt_tx_sos_time_ino_tx", "", P["SOS"], "days_mab2_tx", stats=("median", "min", "max"),
              quantity="days inotuzumab mAb2 to alloHSCT, SOS patients")
    # derive/categories.py: the regimen group (exactly these agents), and a conditioning containing these agents
    b.n_pct("txt_tx_sos_clo_thio_mel_n", None, P["SOS"], _eq("tx_regimen", "clo_mel_thio"),
            quantity="SOS after clofarabine/thiotepa/melphalan")
    b.n_pct("txt_tx_sos_flu_cy_thio_n", None, P["SOS"], _true("tx_cond_flu_cy_thio"),
            quantity="SOS after fludarabine/cyclophosphamide/thiotepa")

    # ---- Results: not transplanted ------------------------------------------------------------------------------------
    b.count("txt_ntx_n", ntx.n, ntx, quantity="patients not transplanted after mAb2", patients=ntx.ids,
            statistic="count_of")
    for stem, code in (("active", "active_disease"), ("pref", "preference"), ("trm", "death")):
        b.n_pct(f"txt_ntx_reason_{stem}_n", None, ntx, _eq("no_tx_reason", code), quantity=f"no alloHSCT: {code}")
    salv = P["NTX-SALV"]
    b.n_pct("txt_ntx_more_salvage_n", "txt_ntx_more_salvage_pct", ntx, lambda f: f["n_lines_after_mab2"] > 0,
            quantity="further salvage after mAb2")
    b.summary("txt_ntx_salvage_lines", "", salv, "n_lines_after_mab2", stats=("median", "min", "max"),
              quantity="salvage lines after mAb2")
    b.n_pct("txt_ntx_cart_n", None, ntx, _true("cart_after_mab2"), quantity="CAR T cells after mAb2")
    # re-treatments and the CRs to each line class after mAb2: derive/categories.py
    b.n_pct("txt_ntx_mab_retreat_n", None, ntx, _true("retreat_any"), quantity="antibody re-treatment")
    b.n_pct("txt_ntx_blina_retreat_n", None, ntx, _true("retreat_blina"), quantity="blinatumomab re-treatment")
    b.n_pct("txt_ntx_ino_retreat_n", None, ntx, _true("retreat_ino"), quantity="inotuzumab re-treatment")
    b.summary("txt_ntx_time_mab2_salvage", "", salv, "days_mab2_first_line",
              quantity="days mAb2 to first further line")
    cart = ntx.where("NTX-CART", "CAR T after mAb2", _true("cart_after_mab2"))
    b.n_pct("txt_ntx_cart_responders_n", None, cart, _true("cr_after_mab2_cart"), quantity="CR to CAR T cells")
    re = ntx.where("NTX-RE", "antibody re-treated", _true("retreat_any"))
    ino_cr = lambda f: (f["seq"] == "IF") & (f["cr_after_mab2_ino"] == True)  # noqa: E731,E712
    blina_cr_ = lambda f: (f["seq"] == "BF") & (f["cr_after_mab2_blina"] == True)  # noqa: E731,E712
    b.n_pct("txt_ntx_retreat_cr_ino_n", None, re, ino_cr, quantity="CR to inotuzumab re-treatment")
    b.n_pct("txt_ntx_retreat_cr_blina_n", None, re, blina_cr_, quantity="CR to blinatumomab re-treatment")

    blina_cr = re.where("NTX-RE-BCR", "blinatumomab re-treatment CR", blina_cr_)
    days = blina_cr.frame["retreat_cr_days"].dropna()
    if len(days) == 1:  # one remission: its duration is the group's only value (R forms the group and takes it)
        b._check("txt_ntx_retreat_cr_blina_duration", "max", [blina_cr],
                 var=r_expr(lambda f: f["retreat_cr_days"] / MONTH_DAYS, frame=blina_cr.frame))
    # the paper describes one remission; with several there is no single duration to print (never the first row's)
    why = ("not computed: no CR after a blinatumomab re-treatment" if not blina_cr.n else
           "not computed: no relapse after the CR to a blinatumomab re-treatment" if not len(days) else
           f"not computed: {len(days)} remissions after a blinatumomab re-treatment (the text describes one)"
           if len(days) > 1 else "")
    b.results.add(Record("txt_ntx_retreat_cr_blina_duration", days.iloc[0] / MONTH_DAYS if len(days) == 1 else None,
                         "months", quantity="duration of remission after blinatumomab re-treatment (months)",
                         population=blina_cr.name, patients=blina_cr.ids, paper_ref="txt_ntx_retreat_cr_blina_duration",
                         decimals=0, method="CR date to the next relapse, days / 30.4375", block=b.block, note=why))

    # ---- Survival paragraph counts --------------------------------------------------------------------------------------
    b.block = "Survival"
    b.followup("txt_followup_median", full, "os_mab2", quantity="follow-up after mAb2 (months)")
    b.n_pct("txt_died_n", "txt_died_pct", full, _true("dead"), quantity="died")
    b.count("txt_surv_n_blina", bf.n, bf, quantity="patients in the blinatumomab-first survival analysis",
            patients=bf.ids, statistic="count_of")
    b.count("txt_surv_n_ino_not_analyzed", if_.n if if_.n < b.params.min_group_n else 0, if_,
            quantity="inotuzumab-first patients not analysed (n < min_group_n)", patients=if_.ids,
            statistic="count_of")
    if if_.expr:  # R: the group's size when it is below the minimum group size, else 0
        b._check("txt_surv_n_ino_not_analyzed", "count", [if_],
                 var=f"(sum(.truth({if_.expr})) < {b.params.min_group_n})")
    b.n_pct("txt_tx_relapse_n", "txt_tx_relapse_pct", tx, lambda f: f["tx_relapse_date"].notna(),
            quantity="relapse after alloHSCT")
    b.followup("txt_tx_followup_median", tx, "os_tx", quantity="follow-up after alloHSCT (months)")
    b.n_pct("txt_tx_died_n", "txt_tx_died_pct", tx, _true("dead"), quantity="died after alloHSCT")
    b.n_pct("txt_tx_died_mac_n", None, P["TX-MAC"], _true("dead"), quantity="died, myeloablative")
    b.n_pct("txt_tx_died_nma_n", None, P["TX-RIC"], _true("dead"), quantity="died, RIC/NMA")
    b.n_pct("txt_tx_alive_n", None, tx, lambda f: f["dead"] != True, quantity="alive")  # noqa: E712
    b.n_pct("txt_tx_alive_remission_n", None, tx, _eq("status_last", "cr"), quantity="alive in remission")
    b.n_pct("txt_tx_alive_active_n", None, tx, lambda f: f["status_last"].isin(["active_systemic", "active_cns"]),
            quantity="alive with active disease")
    dead = P["TX-DEAD"]
    for stem, cause in (("pd", "progression"), ("infection", "infection"), ("agvhd", "gvhd"), ("sos", "sos"),
                        ("organ", "organ_toxicity")):
        b.n_pct(f"txt_tx_cod_{stem}_n", None, dead, _eq("death_cause", cause), quantity=f"cause of death {cause}")
    b.n_pct("txt_ntx_died_n", "txt_ntx_died_pct", ntx, _true("dead"), quantity="died")
    b.n_pct("txt_ntx_died_pd_n", None, ntx, _eq("death_class", "progression"), quantity="died of progression",
            rule="I3: 11 progression + 1 treatment-related")
    b.n_pct("txt_ntx_alive_n", None, ntx, lambda f: f["dead"] != True, quantity="alive")  # noqa: E712
    b.n_pct("txt_ntx_alive_cr_n", None, ntx, _eq("status_last", "cr"), quantity="alive in CR")
    b.n_pct("txt_ntx_alive_disease_n", None, ntx, lambda f: f["status_last"].isin(["active_systemic", "active_cns"]),
            quantity="alive with persistent disease")
    b.n_pct("txt_ntx_alive_systemic_n", None, ntx, _eq("status_last", "active_systemic"),
            quantity="alive with systemic disease")
    b.n_pct("txt_ntx_alive_cns_n", None, ntx, _eq("status_last", "active_cns"), quantity="alive with isolated CNS")

    # ---- Discussion restatements -----------------------------------------------------------------------------------------
    b.block = "Discussion"
    b.n_pct(None, "disc_ino_next_immediate_pct", bf, lambda f: f["interim"] != True, decimals=0,  # noqa: E712
            quantity="inotuzumab as next immediate salvage")
    b.n_pct(None, "disc_cr_ino_after_blina_pct", bf, _eq("resp_mab2", "cr"), decimals=0, quantity="CR to ino")
    b.n_pct(None, "disc_tx_realization_pct", cri, _true("tx"), decimals=0, quantity="transplant realization")
    b.n_pct(None, "disc_cd19_negdim_pct", bf, _eq("cd19_event1", "negdim"), decimals=0, quantity="CD19 neg/dim")
    b.count("disc_n_blina_ino", bf.n, bf, quantity="blinatumomab-then-inotuzumab patients", patients=bf.ids,
            statistic="count_of")
    b.n_pct(None, "disc_cr_ino_pct", bf, _eq("resp_mab2", "cr"), decimals=0, quantity="CR to ino")
    b.n_pct(None, "disc_tx_of_cr_mab2_pct", P["CR2"], _true("tx"), decimals=0, quantity="alloHSCT after CR2")
    b.n_pct(None, "disc_trm_pct", tx, lambda f: (f["dead"] == True) & f["tx_relapse_date"].isna(),  # noqa: E712
            decimals=0, quantity="transplant-related mortality")
    b.n_pct("disc_sos_n", "disc_sos_pct", full, sos, quantity="hepatic SOS")
    b.n_pct("disc_sos_grade5_post_tx_n", None, full, lambda f: sos(f) & (f.get("sos_fatal") == True),  # noqa: E712
            quantity="fatal SOS after alloHSCT")
    ino_tx = tx.where("TX-INO", "transplanted after inotuzumab", lambda f: f["mab2_agent"] == "inotuzumab")
    b.summary("disc_time_ino_tx", "", ino_tx, "days_mab2_tx", stats=("median",),
              quantity="days from the start of inotuzumab to alloHSCT, inotuzumab-treated transplants",
              rule="I12: the Discussion's 40 days counts the 11 patients transplanted after inotuzumab mAb2 (the "
                   "Abstract's 37.5 counts all 12)")


def add_survival_records(b: Builder, P: dict) -> None:
    full, bf = P["FULL"], P["BF"]
    b.block = "Figure 2"
    b.km("fig2a_os_mab2", "Overall survival after mAb2", [full], "os_mab2",
         ids={"FULL": "txt_os_1y_after_mab2"}, quantity="1-year OS after mAb2")
    b.km("fig2b_os_mab2_tx", "Overall survival after mAb2 by alloHSCT (naive grouping)", [P["TX"], P["NTX"]],
         "os_mab2", ids={"NTX": "txt_ntx_os_1y_after_mab2"}, test_id="fig2b_os_tx_p", paper_test=False,
         median_ids={"NTX": {"median": "txt_ntx_os_median", "ci_low": "txt_ntx_os_median_ci_low",
                             "ci_high": "txt_ntx_os_median_ci_high"}})
    b.block = "Figure 3"
    n19, p19 = P["BF-CD19N"], P["BF-CD19P"]
    b.km("fig3_efs_mab1", "EFS after blinatumomab mAb1", [bf], "efs_mab1", ids={"BF": "txt_efs_1y_after_blina"})
    b.km("fig3a_efs_cd19", "EFS after blinatumomab mAb1 by CD19 at relapse", [n19, p19], "efs_mab1",
         ids={"BF-CD19N": "txt_efs_1y_after_blina_cd19negdim", "BF-CD19P": "txt_efs_1y_after_blina_cd19pos"},
         test_id="txt_efs_1y_cd19_p")
    b.km("fig3b_os_cd19", "OS after post-blinatumomab relapse by CD19", [n19, p19], "os_relapse1",
         ids={"BF-CD19N": "txt_os_1y_post_blina_relapse_cd19negdim",
              "BF-CD19P": "txt_os_1y_post_blina_relapse_cd19pos"}, test_id="txt_os_cd19_p")
    b.km("txt_os_cr_blina", "OS after post-blinatumomab relapse by CR to blinatumomab", [P["BF-CRB"], P["BF-NCRB"]],
         "os_relapse1", ids={"BF-CRB": "txt_os_1y_post_blina_relapse_cr_blina",
                             "BF-NCRB": "txt_os_1y_post_blina_relapse_nocr_blina"}, test_id="txt_os_cr_blina_p")
    b.km("fig3c_os_interim", "OS after post-blinatumomab relapse by interim therapy", [P["BF-INT"], P["BF-NOINT"]],
         "os_relapse1", ids={"BF-INT": "txt_os_1y_post_blina_relapse_interim",
                             "BF-NOINT": "txt_os_1y_post_blina_relapse_nointerim"}, test_id="txt_os_interim_p")
    b.km("txt_os_cr_ino", "OS after post-blinatumomab relapse by CR to inotuzumab", [P["BF-CRI"], P["BF-NCRI"]],
         "os_relapse1", ids={"BF-CRI": "txt_os_1y_post_blina_relapse_cr_ino",
                             "BF-NCRI": "txt_os_1y_post_blina_relapse_nocr_ino"}, test_id="txt_os_cr_ino_p")
    b.block = "Figure 4"
    tx = P["TX"]
    b.km("fig4a_efs_tx", "EFS after alloHSCT", [tx], "efs_tx", ids={"TX": "txt_efs_1y_after_tx"})
    b.km("fig4b_os_tx", "OS after alloHSCT", [tx], "os_tx", ids={"TX": "txt_os_1y_after_tx"})
    b.block = "Survival"
    salv = P["NTX-SALV"]
    b.km("txt_ntx_os_salvage", "OS after mAb2 by CR to salvage", [
        salv.where("NTX-SALV-CR", "CR to salvage", lambda f: f["salvage_cr"] == True),  # noqa: E712
        salv.where("NTX-SALV-NCR", "No CR to salvage", lambda f: f["salvage_cr"] != True)],  # noqa: E712
         "os_mab2", at=None, test_id="txt_ntx_os_salvage_cr_p",
         median_ids={"NTX-SALV-CR": {"median": "txt_ntx_os_median_salvage_cr"},
                     "NTX-SALV-NCR": {"median": "txt_ntx_os_median_salvage_nocr"}})
