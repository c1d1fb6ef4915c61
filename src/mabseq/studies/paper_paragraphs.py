"""The Results text of the paper preset, as templates. Every number is a placeholder ``{record_id}`` (or
``{record_id:pct}`` for 'n (x.x%)' pairs, ``{record_id:p}`` for p-values), so a sentence never holds a typed-in
number: the renderer fills it from the records with each record's display decimals.
"""
from __future__ import annotations

PARAGRAPHS: dict[str, list[str]] = {
    "Patient characteristics and sequence of antibody therapy": [
        "{txt_n_total} patients received both blinatumomab and inotuzumab for relapsed or refractory B-ALL. "
        "{txt_blina_mab1_n} ({txt_blina_mab1_pct}%) received blinatumomab as the first antibody (mAb1) and "
        "inotuzumab as the second (mAb2); {txt_ino_mab1_n} ({txt_ino_mab1_pct}%) received inotuzumab first.",
        "{txt_cr_after_mab1_n} ({txt_cr_after_mab1_pct}%; exact 95% CI, {ext_cr_mab1_ci_low_pct}-"
        "{ext_cr_mab1_ci_high_pct}) patients attained CR after mAb1 (MRD-negative CR in "
        "{txt_mrdneg_cr_after_mab1_n} [{txt_mrdneg_cr_after_mab1_pct}%]): {txt_cr_after_blina_mab1_n} of "
        "{txt_bl_n} after blinatumomab and {txt_cr_after_ino_mab1_n} of {txt_in_n} after inotuzumab. "
        "{txt_cr_after_mab2_n} ({txt_cr_after_mab2_pct}%; exact 95% CI, {ext_cr_mab2_ci_low_pct}-"
        "{ext_cr_mab2_ci_high_pct}) achieved CR after mAb2. The median time between mAb1 and "
        "mAb2 was {txt_time_mab1_mab2_median} days (IQR, {txt_time_mab1_mab2_q1}-{txt_time_mab1_mab2_q3}). "
        "{txt_interim_n} patients ({txt_interim_pct}%) received interim non-antibody salvage before mAb2. "
        "{txt_allohsct_after_mab2_n} ({txt_allohsct_after_mab2_pct}%) underwent alloHSCT after mAb2.",
    ],
    "Blinatumomab first": [
        "Of the {txt_bl_n} patients who received blinatumomab as mAb1, {txt_bl_mrd_at_mab1_n} "
        "({txt_bl_mrd_at_mab1_pct}%) had MRD and {txt_bl_morph_at_mab1_n} ({txt_bl_morph_at_mab1_pct}%) morphologic "
        "disease at its start. The median number of blinatumomab cycles was {txt_bl_blina_cycles_median} (range, "
        "{txt_bl_blina_cycles_min}-{txt_bl_blina_cycles_max}). {txt_bl_cr_blina_n} ({txt_bl_cr_blina_pct}%; "
        "exact 95% CI, {ext_cr_blina_bf_ci_low_pct}-{ext_cr_blina_bf_ci_high_pct}) achieved CR, MRD-negative in "
        "{txt_bl_mrdneg_cr_blina_n}. CRS and ICANS of any grade occurred in "
        "{txt_bl_crs_pct}% and {txt_bl_icans_pct}%.",
        "At relapse or progression after blinatumomab, {txt_bl_cd19_negdim_n} ({txt_bl_cd19_negdim_pct}%) had "
        "CD19-negative/dim disease and {txt_bl_cd19_pos_n} ({txt_bl_cd19_pos_pct}%) CD19-positive disease. The "
        "median time from blinatumomab to relapse was {txt_bl_time_to_relapse_median_cd19pos} days with CD19-positive "
        "and {txt_bl_time_to_relapse_median_cd19negdim} days with CD19-negative/dim relapse "
        "(P = {txt_bl_time_to_relapse_cd19_p:p}).",
        "The CR rate after inotuzumab mAb2 was {txt_bl_cr_ino_pct}% ({txt_bl_cr_ino_n} of {txt_bl_n}; exact 95% CI, "
        "{ext_cr_ino_bf_ci_low_pct}-{ext_cr_ino_bf_ci_high_pct}; MRD-negative CR {txt_bl_mrdneg_cr_ino_pct}%): {txt_bl_cr_ino_n_cd19negdim} of {txt_bl_cd19_negdim_n} after "
        "CD19-negative/dim and {txt_bl_cr_ino_n_cd19pos} of {txt_bl_cd19_pos_n} after CD19-positive relapse. "
        "{txt_bl_interim_n} ({txt_bl_interim_pct}%) received interim therapy before inotuzumab (median "
        "{txt_bl_interim_lines_median} lines, range {txt_bl_interim_lines_min}-{txt_bl_interim_lines_max}); their "
        "CR rate to inotuzumab was {txt_bl_cr_ino_pct_interim}% against {txt_bl_cr_ino_pct_nointerim}% without "
        "(P = {txt_bl_cr_ino_interim_p:p}).",
        "Hepatotoxicity occurred in {txt_bl_hepatotox_n} patients during or after inotuzumab (transaminase "
        "increase {txt_bl_transaminitis_n}, hyperbilirubinemia {txt_bl_hyperbili_n}); {txt_bl_sos_n} developed "
        "hepatic SOS. By the data cut-off {txt_bl_died_n} ({txt_bl_died_pct}%) had died: {txt_bl_died_pd_n} of "
        "progression and {txt_bl_died_trm_n} of treatment-related causes.",
    ],
    "Inotuzumab first": [
        "Of the {txt_in_n} patients who received inotuzumab as mAb1, {txt_in_cr_ino_n} achieved CR and "
        "{txt_in_persistent_ino_n} had persistent disease. The median time to blinatumomab mAb2 was "
        "{txt_in_time_mab1_mab2_median} days (range, {txt_in_time_mab1_mab2_min}-{txt_in_time_mab1_mab2_max}). "
        "{txt_in_died_n} have died.",
    ],
    "Patients transplanted after mAb2": [
        "{txt_tx_n} patients underwent alloHSCT after mAb2: {txt_tx_after_ino_mab2_n} directly after inotuzumab, "
        "{txt_tx_after_blina_mab2_n} directly after blinatumomab and {txt_tx_after_cart_n} after CAR T cells. "
        "{txt_tx_mac_n} received myeloablative conditioning. Neutrophils engrafted in {txt_tx_engraft_n} "
        "({txt_tx_engraft_pct}%) at a median of {txt_tx_engraft_days_median} days (IQR, "
        "{txt_tx_engraft_days_q1}-{txt_tx_engraft_days_q3}). {txt_tx_agvhd_n} ({txt_tx_agvhd_pct}%) developed acute "
        "GVHD, grade 3 or higher in {txt_tx_agvhd_ge3_n}. Hepatic SOS occurred in {txt_tx_sos_n}. The 1-year "
        "cumulative incidence of relapse after alloHSCT was {ext_tx_relapse_d365_pct:est} and of non-relapse mortality "
        "{ext_tx_nrm_d365_pct:est} (Aalen-Johansen, each the other's competing risk).",
    ],
    "Patients not transplanted after mAb2": [
        "{txt_ntx_n} patients were not transplanted after mAb2: {txt_ntx_reason_active_n} because of active "
        "disease, {txt_ntx_reason_pref_n} by patient or physician preference despite CR, and "
        "{txt_ntx_reason_trm_n} because of treatment-related death. {txt_ntx_more_salvage_n} "
        "({txt_ntx_more_salvage_pct}%) received further salvage therapy.",
    ],
    "Survival": [
        "At a median follow-up of {txt_followup_median} months after mAb2, {txt_died_n} patients "
        "({txt_died_pct}%) had died. One-year OS after mAb2 was {txt_os_1y_after_mab2_pct}% (95% CI, "
        "{txt_os_1y_after_mab2_ci_low}-{txt_os_1y_after_mab2_ci_high}).",
        "Among the {txt_surv_n_blina} patients who received blinatumomab first, 12-month EFS was "
        "{txt_efs_1y_after_blina_pct}% (95% CI, {txt_efs_1y_after_blina_ci_low}-{txt_efs_1y_after_blina_ci_high}): "
        "{txt_efs_1y_after_blina_cd19negdim_pct:est} with CD19-negative/dim and "
        "{txt_efs_1y_after_blina_cd19pos_pct:est} with CD19-positive relapse (P = {txt_efs_1y_cd19_p:p}). One-year "
        "OS after the post-blinatumomab relapse was {txt_os_1y_post_blina_relapse_cd19negdim_pct:est} with "
        "CD19-negative/dim and {txt_os_1y_post_blina_relapse_cd19pos_pct:est} with CD19-positive relapse "
        "(P = {txt_os_cd19_p:p}); {txt_os_1y_post_blina_relapse_cr_blina_pct:est} with and "
        "{txt_os_1y_post_blina_relapse_nocr_blina_pct:est} without CR to blinatumomab (P = {txt_os_cr_blina_p:p}); "
        "and {txt_os_1y_post_blina_relapse_interim_pct:est} with and "
        "{txt_os_1y_post_blina_relapse_nointerim_pct:est} without interim therapy (P = {txt_os_interim_p:p}).",
        # the corrected estimates beside the naive ones (study-definition 6.1; paper_corrected.py)
        "A patient enters this cohort only at mAb2, after the relapse: counted at risk from mAb2 (left truncation; "
        "Tsai's test of quasi-independence of entry and survival, P = {ext_quasi_indep_os_relapse1_p:p}), 1-year OS "
        "after the relapse was {ext_os_relapse1_lt_cd19_bf-cd19n_pct:est} with CD19-negative/dim and "
        "{ext_os_relapse1_lt_cd19_bf-cd19p_pct:est} with CD19-positive relapse (P = {ext_os_relapse1_lt_cd19_p:p}); "
        "{ext_os_relapse1_lt_cr_blina_bf-crb_pct:est} with and {ext_os_relapse1_lt_cr_blina_bf-ncrb_pct:est} "
        "without CR to blinatumomab (P = {ext_os_relapse1_lt_cr_blina_p:p}); and "
        "{ext_os_relapse1_lt_interim_bf-int_pct:est} with and {ext_os_relapse1_lt_interim_bf-noint_pct:est} without "
        "interim therapy (P = {ext_os_relapse1_lt_interim_p:p}). CD19 is read at the EFS event itself, so the EFS "
        "comparison by CD19 describes the events: among all {txt_surv_n_blina} blinatumomab-first patients the "
        "1-year cumulative incidence of a CD19-negative/dim relapse or progression was "
        "{ext_rel1_cd19_cd19negdim_d365_pct:est} and of a CD19-positive one {ext_rel1_cd19_cd19pos_d365_pct:est} "
        "(each competing with the other).",
        "After alloHSCT, 1-year EFS was {txt_efs_1y_after_tx_pct:est} and 1-year OS {txt_os_1y_after_tx_pct:est}. "
        "Without alloHSCT, median OS after mAb2 was {txt_ntx_os_median} days (95% CI, {txt_ntx_os_median_ci_low}-"
        "{txt_ntx_os_median_ci_high}) and 1-year OS {txt_ntx_os_1y_after_mab2_pct:est}. alloHSCT is given after "
        "mAb2, so the naive comparison credits the transplanted patients with the time they had to survive to reach "
        "it: with alloHSCT as a time-varying covariate the hazard ratio of death after alloHSCT against before or "
        "without it was {ext_cox_tx_hr} (95% CI, "
        "{ext_cox_tx_ci_low}-{ext_cox_tx_ci_high}; P = {ext_cox_tx_p:p}; Mantel-Byar P = {ext_mantel_byar_tx_p:p}).",
    ],
}
