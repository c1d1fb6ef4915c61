# The truth of a SYNTHETIC test center, from its design.csv ONLY (never from mabseq's code).
#
#   Rscript tests/centers/truth.R tests/centers/center_b     # writes tests/centers/center_b/truth.csv
#
# Each quantity follows the paper preset's analysis plan (the shared specs' study-definition.md, cited as SD) by a
# simple tally on the per-patient story, and survival by survival::survfit (conf.type = "log", SD 1.6). The
# checks marked stopifnot() assert the properties of the design the tallies rely on (README.md: the design keeps
# clear of the derivation gaps of issue 14); a design that broke one would stop the script instead of giving a
# wrong truth.
suppressPackageStartupMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args)) args[1] else "."
d <- read.csv(file.path(dir, "design.csv"), colClasses = "character", na.strings = character(0))
D <- function(x) as.Date(ifelse(x == "", NA, x))
N <- function(x) suppressWarnings(as.numeric(ifelse(x == "", NA, x)))
cutoff <- as.Date("2020-06-30")                        # SD 3.3
enr <- as.Date(c("2012-01-01", "2019-12-31"))          # SD 0
out <- data.frame(quantity = character(), value = character(), how = character())
put <- function(q, v, how) {
  v <- if (is.na(v)) "NA" else if (is.numeric(v)) format(v, digits = 15) else as.character(v)
  out[nrow(out) + 1, ] <<- c(q, v, how)
}

# ---- inclusion (SD 0), reasons in the plan's order: B-ALL; both antibodies for R/R disease; mAb1 window; age ----
m1 <- D(d$mab1_start); m2 <- D(d$mab2_start)
# the antibody courses given for R/R disease are mab1_* and mab2_* (a frontline blinatumomab course, flb_*, is not)
both <- d$mab1_agent != "" & d$mab2_agent != "" & d$mab1_agent != d$mab2_agent &
  !is.na(m2) & m2 >= m1 & m2 <= cutoff
age_m1 <- as.numeric(m1 - D(d$birth_date)) / 365.25
reason <- ifelse(d$diagnosis != "b_all", "not_ball",
          ifelse(!both, "not_both_rr",
          ifelse(m1 < enr[1] | m1 > enr[2], "mab1_outside_enrollment",
          ifelse(age_m1 < 15, "under_15", ""))))
put("screened", nrow(d), "rows of design.csv")
put("included", sum(reason == ""), "SD 0: B-ALL, both antibodies for R/R disease, mAb1 2012-2019, age >= 15 at mAb1")
for (r in c("not_ball", "not_both_rr", "mab1_outside_enrollment", "under_15"))
  put(paste0("excluded_", r), sum(reason == r), "SD 0: first failed criterion, in the plan's order")
x <- d[reason == "", ]
m1 <- D(x$mab1_start); m2 <- D(x$mab2_start)
bf <- x$mab1_agent == "blinatumomab"
put("bf_n", sum(bf), "SD 0: mAb1 agent blinatumomab")
put("if_n", sum(!bf), "SD 0: mAb1 agent inotuzumab")
put("mrd_at_mab1_n", sum(x$mab1_state == "mrd"), "SD 2.5: disease burden at mAb1 MRD-only (state at start)")
q <- quantile(as.numeric(m2 - m1), c(.25, .5, .75), type = 7)
put("days_mab1_mab2_q1", q[[1]], "SD 1.2: quantile type 7 of mAb2 start - mAb1 start (days)")
put("days_mab1_mab2_median", q[[2]], "SD 1.2: quantile type 7")
put("days_mab1_mab2_q3", q[[3]], "SD 1.2: quantile type 7")

# ---- responses (SD 2.3) ---------------------------------------------------------------------------------------
# The response marrow of each course lies inside its window (before the next line, conditioning, death and the
# cut-off); every other marrow in the window (the next course's baseline, the relapse marrow) has blasts >= 5.
window_ok <- function(k) {
  resp <- D(x[[paste0(k, "_resp_date")]])
  nxt <- if (k == "mab1") pmin(D(x$int_start), m2, na.rm = TRUE) else
    pmin(D(x$salv_start), D(x$tx_cond_start), na.rm = TRUE)
  all(resp > D(x[[paste0(k, "_start")]]) & (is.na(nxt) | resp < nxt) &
        (is.na(D(x$death_date)) | resp < D(x$death_date)) & resp <= cutoff)
}
stopifnot(window_ok("mab1"), window_ok("mab2"))
stopifnot(all(N(x$mab2_base_blasts) >= 5), all(N(x$ev1_blasts) >= 5, na.rm = TRUE),
          all(N(x$ev2_blasts) >= 5, na.rm = TRUE))
resp <- function(k) {
  blasts <- N(x[[paste0(k, "_resp_blasts")]]); mrd <- N(x[[paste0(k, "_resp_mrd")]])
  mrdneg <- !is.na(mrd) & mrd < 1e-4                       # SD 2.3: < 1e-4 at sensitivity 1e-4 (flow)
  cr <- blasts < 5 & x[[paste0(k, "_resp_pb")]] == "no" & x[[paste0(k, "_resp_emd")]] == "no" &
    (x[[paste0(k, "_state")]] != "mrd" | mrdneg)          # MRD-only start: CR needs MRD negativity
  list(cr = cr, mrdneg_cr = cr & mrdneg)
}
r1 <- resp("mab1"); r2 <- resp("mab2")
how_cr <- "SD 2.3: marrow blasts < 5%, no circulating blasts, no EMD in the window (MRD-only start: MRD-negative)"
put("cr_mab1_n", sum(r1$cr), how_cr)
put("cr_mab1_bf_n", sum(r1$cr & bf), how_cr)
put("cr_mab1_if_n", sum(r1$cr & !bf), how_cr)
put("mrdneg_cr_mab1_n", sum(r1$mrdneg_cr), "SD 2.3: CR with flow MRD < 1e-4 (failed sample = not negative)")
put("cr_mab2_n", sum(r2$cr), how_cr)
put("cr_mab2_bf_n", sum(r2$cr & bf), how_cr)
put("cr_mab2_if_n", sum(r2$cr & !bf), how_cr)
put("mrdneg_cr_mab2_n", sum(r2$mrdneg_cr), "SD 2.3: CR with flow MRD < 1e-4")

# ---- the post-mAb1 event and CD19 at it (SD 2.4); interim therapy (SD 2.2) --------------------------------------
ev1 <- D(x$ev1_date)
stopifnot(all(!is.na(ev1) & ev1 > m1 & ev1 < m2))      # every included patient: a dated event between the mAbs
put("cd19_negdim_event1_bf_n", sum(bf & x$ev1_cd19 %in% c("negative", "dim")),
    "SD 2.4: pathologist's CD19 call neg/dim on the flow sample at the post-mAb1 event, BF")
put("cd19_pos_event1_bf_n", sum(bf & x$ev1_cd19 == "positive"), "SD 2.4: CD19 positive at the post-mAb1 event, BF")
interim <- x$int_start != "" & D(x$int_start) >= ev1 & D(x$int_start) < m2
put("interim_n", sum(interim), "SD 2.2: a non-antibody systemic line from the post-mAb1 event to before mAb2")

# ---- transplant after mAb2 (SD 2.6) ---------------------------------------------------------------------------
tx <- D(x$tx_date)
put("tx_after_mab2_n", sum(!is.na(tx) & tx > m2 & tx <= cutoff), "SD 2.6: first alloHSCT after mAb2, <= cut-off")

# ---- overall survival from mAb2 (SD 3.1-3.4) --------------------------------------------------------------------
dd <- D(x$death_date)
dead <- x$vital == "dead" & !is.na(dd) & dd <= cutoff    # a death after the cut-off is ignored (SD 3.3)
end <- ifelse(dead, dd, pmin(D(x$last_contact), cutoff))
time <- as.numeric(end - as.numeric(m2))
put("died_n", sum(dead), "SD 3.3: deaths on or before the cut-off")
fit <- survfit(Surv(time, dead) ~ 1, conf.type = "log")
qm <- quantile(fit, probs = 0.5, conf.int = TRUE)
put("os_mab2_median_days", unname(qm$quantile), "survfit + quantile.survfit (SD 1.6); NA = not reached")
put("os_mab2_median_ci_low_days", unname(qm$lower), "quantile.survfit lower limit")
put("os_mab2_median_ci_high_days", unname(qm$upper), "quantile.survfit upper limit; NA = not reached")
s <- summary(fit, times = 365, extend = TRUE)
ok <- max(time) >= 365
put("os_mab2_1y_pct", if (ok) 100 * s$surv else NA, "survfit S(365) x 100 (SD 1.5)")
put("os_mab2_1y_ci_low_pct", if (ok) 100 * s$lower else NA, "survfit log CI x 100")
put("os_mab2_1y_ci_high_pct", if (ok) 100 * s$upper else NA, "survfit log CI x 100, capped at 100")
ntx <- !(!is.na(tx) & tx > m2 & tx <= cutoff)
km_median <- function(t, e, prefix, how) {
  qm <- quantile(survfit(Surv(t, e) ~ 1, conf.type = "log"), probs = 0.5, conf.int = TRUE)
  put(paste0(prefix, "_median_days"), unname(qm$quantile), how)
  put(paste0(prefix, "_median_ci_low_days"), unname(qm$lower), how)
  put(paste0(prefix, "_median_ci_high_days"), unname(qm$upper), how)
}
km_median(time[ntx], dead[ntx], "os_mab2_ntx", "survfit over NTX (no alloHSCT after mAb2), origin mAb2 (SD 3.1)")
s1y <- function(t, e, prefix, how) {
  s <- summary(survfit(Surv(t, e) ~ 1, conf.type = "log"), times = 365, extend = TRUE)
  ok <- max(t) >= 365
  put(paste0(prefix, "_1y_pct"), if (ok) 100 * s$surv else NA, how)
  put(paste0(prefix, "_1y_ci_low_pct"), if (ok) 100 * s$lower else NA, how)
  put(paste0(prefix, "_1y_ci_high_pct"), if (ok) 100 * s$upper else NA, how)
}

# ---- after alloHSCT (SD 2.6, 2.8, 3.1-3.4), origin day 0, over TX -------------------------------------------------
t <- x[!ntx, ]; d0 <- D(t$tx_date)
stopifnot(all(is.na(D(t$salv_start))))                 # nobody transplanted had a further line: ev2 is the relapse
rel <- D(t$ev2_date); rel[!is.na(rel) & (rel <= d0 | rel > cutoff)] <- NA
tdd <- D(t$death_date); tdead <- t$vital == "dead" & !is.na(tdd) & tdd <= cutoff
tend <- as.Date(ifelse(tdead, tdd, pmin(D(t$last_contact), cutoff)), origin = "1970-01-01")
put("tx_relapse_n", sum(!is.na(rel)), "SD 2.8: crude relapse after day 0 (on or before the cut-off), TX")
put("tx_died_n", sum(tdead), "SD 3.3: deaths on or before the cut-off, TX")
put("tx_death_in_remission_n", sum(tdead & is.na(rel)), "SD 2.8: operational NRM, death with no relapse since day 0")
put("days_mab2_tx_median", quantile(as.numeric(d0 - D(t$mab2_start)), .5, type = 7)[[1]],
    "SD 2.6: mAb2 start to day 0, median (type 7), TX")
s1y(as.numeric(tend - d0), tdead, "os_tx", "survfit OS from day 0 over TX, S(365) x 100 (SD 3.2)")
efs_end <- as.Date(ifelse(!is.na(rel), rel, tend), origin = "1970-01-01")
s1y(as.numeric(efs_end - d0), !is.na(rel) | tdead, "efs_tx",
    "survfit EFS (relapse or death) from day 0 over TX, S(365) x 100 (SD 3.2)")
put("tx_followup_median_months",
    unname(quantile(survfit(Surv(as.numeric(tend - d0), !tdead) ~ 1), probs = 0.5, conf.int = FALSE)) / 30.4375,
    "SD 3.4: reverse Kaplan-Meier median from day 0 over TX, days / 30.4375")
put("bf_interim_n", sum(bf & interim), "SD 2.2: BF with interim therapy (BF-INT)")
# acute GVHD (SD 2.9): the transplant sheet's maximum grade, no onset date; an empty cell is not recorded (unknown:
# in N as missing, never grade 0). Grades over TX-GR (grade >= 1), the other counts over TX
g <- N(t$tx_agvhd_grade)
put("tx_agvhd_any_n", sum(g >= 1, na.rm = TRUE), "SD 2.9: maximum aGVHD grade >= 1 over TX (empty = unknown)")
put("tx_agvhd_ge3_n", sum(g >= 3, na.rm = TRUE), "SD 2.9: maximum aGVHD grade >= 3 over TX")
put("tx_agvhd_unknown_n", sum(is.na(g)), "no maximum aGVHD grade recorded over TX: unknown, not grade 0")
for (k in 1:4) put(paste0("tx_agvhd_grade", k, "_n"), sum(g == k, na.rm = TRUE), "SD 2.9: grade k over TX-GR")

rev <- survfit(Surv(time, !dead) ~ 1, conf.type = "log")
put("followup_mab2_median_months", unname(quantile(rev, probs = 0.5, conf.int = FALSE)) / 30.4375,
    "SD 3.4: reverse Kaplan-Meier median, days / 30.4375")
write.csv(out, file.path(dir, "truth.csv"), row.names = FALSE)
