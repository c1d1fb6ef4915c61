# R reference values for the analyses the plan names beside the paper (tests/test_plan_analyses.py).
#
# Reads the twin's per-patient dataset (data/plan_adsl.csv: one row per included patient, dates ISO, flags 1/0/NA;
# data/plan_adsl_no_mrd_relapse.csv: the same derived with mrd_relapse_is_event = FALSE) and derives every
# time-to-event variable here, in R, from the dates (not from mabseq's adtte). Writes plan_analyses_goldens.csv
# (id, value) in the records' scale (percent for estimates).
#
#   Rscript tests/golden/plan_analyses.R [in_dir] [out_csv]
suppressMessages({library(survival); library(cmprsk)})
args <- commandArgs(trailingOnly = TRUE)
here <- if (length(args) >= 1) args[1] else "tests/golden/data"
out <- if (length(args) >= 2) args[2] else "tests/golden/plan_analyses_goldens.csv"
z <- qnorm(0.975)

read_adsl <- function(f) {
  a <- read.csv(file.path(here, f), stringsAsFactors = FALSE, na.strings = "")
  for (col in grep("_date$|_start$", names(a), value = TRUE)) a[[col]] <- as.Date(a[[col]])
  a[is.na(a$death_date_missing) | a$death_date_missing == 0, ]  # a death without a date has no time
}
days <- function(from, to) as.numeric(to - from)
rows <- list()
put <- function(id, value) rows[[length(rows) + 1]] <<- data.frame(id = id, value = value)

# cumulative incidence at `at` with the log(-log) interval: CI = est^exp(+-z se / (est log est))
cif_at <- function(stem, time, status, causes, at) {
  fit <- cuminc(time, status, cencode = 0)
  tp <- timepoints(fit, at)
  for (code in names(causes)) {
    key <- paste("1", code)
    for (j in seq_along(at)) {
      est <- tp$est[key, j]; v <- tp$var[key, j]
      h <- z * sqrt(v) / (est * log(est))
      base <- sprintf("%s_%s_d%d", stem, causes[[code]], at[j])
      put(paste0(base, "_pct"), 100 * est)
      put(paste0(base, "_ci_low"), 100 * est^exp(-h))
      put(paste0(base, "_ci_high"), 100 * est^exp(h))
    }
  }
}
# competing-risk coding: event 1 on `ev` if it falls on or before the last contact, else 2 for a death, else 0
cr_code <- function(origin, ev, last, dead) {
  hit <- !is.na(ev) & ev <= last
  list(time = ifelse(hit, days(origin, ev), days(origin, last)),
       status = ifelse(hit, 1, ifelse(dead == 1, 2, 0)))
}

a <- read_adsl("plan_adsl.csv")

# treatment failure from mAb2 (all patients): the first relapse/progression/failure after mAb2, death competing
d <- cr_code(a$mab2_start, a$event2_date, a$last_date, a$dead)
cif_at("ext_mab2", d$time, d$status, list("1" = "failure", "2" = "death_no_failure"), c(100, 365, 730))

# relapse from the CR date among patients in CR after mAb2 (a relapse dated on or before the CR date: left out)
cr <- a[!is.na(a$resp_mab2) & a$resp_mab2 == "cr" & !is.na(a$resp_mab2_date) & a$resp_mab2_date <= a$last_date &
        (is.na(a$event2_date) | a$event2_date > a$resp_mab2_date), ]
d <- cr_code(cr$resp_mab2_date, cr$event2_date, cr$last_date, cr$dead)
cif_at("ext_cr2", d$time, d$status, list("1" = "relapse", "2" = "nrm"), c(100, 365, 730))

# Gray's test, myeloablative vs reduced-intensity/non-myeloablative, relapse and NRM after alloHSCT
tx <- a[!is.na(a$tx) & a$tx == 1, ]
d <- cr_code(tx$tx_date, tx$tx_relapse_date, tx$last_date, tx$dead)
grp <- ifelse(tx$tx_conditioning_intensity == "mac", "MAC",
              ifelse(tx$tx_conditioning_intensity %in% c("ric", "nma"), "RIC", NA))
k <- !is.na(grp)
tests <- cuminc(d$time[k], d$status[k], group = grp[k], cencode = 0)$Tests
put("ext_gray_tx_relapse_p", tests["1", "pv"])
put("ext_gray_tx_nrm_p", tests["2", "pv"])

# aGVHD grade II-IV and III-IV from day 0, death competing; unknown or undated grades left out
agvhd <- function(ge, date, undated) {
  keep <- !is.na(tx[[ge]]) & (is.na(tx[[undated]]) | tx[[undated]] == 0)
  t <- tx[keep, ]
  c(list(ids = t$patient_id), cr_code(t$tx_date, t[[date]], t$last_date, t$dead))
}
g2 <- agvhd("agvhd_ge2", "agvhd_ge2_date", "agvhd_ge2_undated")
cif_at("ext_tx", g2$time, g2$status, list("1" = "agvhd2_4", "2" = "death"), c(100, 180))
g3 <- agvhd("agvhd_ge3", "agvhd_ge3_date", "agvhd_ge3_undated")
cif_at("ext_tx34", g3$time, g3$status, list("1" = "agvhd3_4", "2" = "death"), c(100, 180))

# I4: the aGVHD case without a recorded grade read as grade I (never reaches II) and as grade II (on its onset)
ung <- tx[!is.na(tx$agvhd) & tx$agvhd == 1 & is.na(tx$agvhd_ge2) &
          (is.na(tx$agvhd_ge2_undated) | tx$agvhd_ge2_undated == 0), ]
as_1 <- cr_code(ung$tx_date, as.Date(rep(NA, nrow(ung))), ung$last_date, ung$dead)
as_2 <- cr_code(ung$tx_date, ung$agvhd_date, ung$last_date, ung$dead)
cif_at("ext_i4_grade1", c(g2$time, as_1$time), c(g2$status, as_1$status), list("1" = "agvhd2_4"), c(100, 180))
cif_at("ext_i4_grade2", c(g2$time, as_2$time), c(g2$status, as_2$status), list("1" = "agvhd2_4"), c(100, 180))

# EFS from blinatumomab mAb1: S(365) with the log interval, and the log-rank p by CD19 at the post-mAb1 relapse
efs <- function(stem, b, day0) {
  ev <- !is.na(b$event1_date)
  time <- ifelse(ev, days(b$mab1_start, b$event1_date), days(b$mab1_start, b$last_date))
  if (day0) time[ev & b$resp_mab1 == "nr"] <- 0
  status <- ifelse(ev, 1, b$dead)
  s <- summary(survfit(Surv(time, status) ~ 1, conf.type = "log"), times = 365)
  put(paste0(stem, "_s365_pct"), 100 * s$surv)
  put(paste0(stem, "_s365_ci_low"), 100 * s$lower)
  put(paste0(stem, "_s365_ci_high"), 100 * s$upper)
  k <- !is.na(b$cd19_event1) & b$cd19_event1 %in% c("negdim", "pos")
  lr <- survdiff(Surv(time[k], status[k]) ~ b$cd19_event1[k])
  put(paste0(stem, "_cd19_p"), pchisq(lr$chisq, length(lr$n) - 1, lower.tail = FALSE))
}
efs("ext_efs_day0", a[a$seq == "BF", ], TRUE)
nm <- read_adsl("plan_adsl_no_mrd_relapse.csv")
efs("ext_efs_no_mrd_relapse", nm[nm$seq == "BF", ], FALSE)

res <- do.call(rbind, rows)
res$value <- formatC(res$value, digits = 17, format = "g")
write.csv(res, out, row.names = FALSE, quote = FALSE)
