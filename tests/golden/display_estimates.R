# The Results-text survival estimates and a flat-at-0.5 median, recomputed in R from a report's adsl.csv and
# adtte.csv (groups formed here from adsl columns, not from mabseq's patient lists). Used by
# tests/test_display_defects.py. Usage: Rscript display_estimates.R <report folder>; writes CSV to stdout:
# id, surv, lower, upper, n_risk (S(365) rows) and id, print_median, quantile_median (median rows).
suppressMessages(library(survival))
dir <- commandArgs(trailingOnly = TRUE)[1]
adsl <- read.csv(file.path(dir, "adsl.csv"), stringsAsFactors = FALSE)
adtte <- read.csv(file.path(dir, "adtte.csv"), stringsAsFactors = FALSE)
yes <- function(x) as.character(x) %in% c("True", "TRUE")  # adsl.csv writes Python booleans
bf <- adsl$seq == "BF"
groups <- list(
  txt_efs_1y_after_blina_cd19negdim = list("efs_mab1", bf & adsl$cd19_event1 %in% "negdim"),
  txt_efs_1y_after_blina_cd19pos = list("efs_mab1", bf & adsl$cd19_event1 %in% "pos"),
  txt_os_1y_post_blina_relapse_cd19negdim = list("os_relapse1", bf & adsl$cd19_event1 %in% "negdim"),
  txt_os_1y_post_blina_relapse_cd19pos = list("os_relapse1", bf & adsl$cd19_event1 %in% "pos"),
  txt_os_1y_post_blina_relapse_cr_blina = list("os_relapse1", bf & adsl$resp_mab1 %in% "cr"),
  txt_os_1y_post_blina_relapse_nocr_blina = list("os_relapse1", bf & adsl$resp_mab1 %in% "nr"),
  txt_os_1y_post_blina_relapse_interim = list("os_relapse1", bf & yes(adsl$interim)),
  txt_os_1y_post_blina_relapse_nointerim = list("os_relapse1", bf & !yes(adsl$interim)),
  txt_efs_1y_after_tx = list("efs_tx", yes(adsl$tx)),
  txt_os_1y_after_tx = list("os_tx", yes(adsl$tx)),
  txt_ntx_os_1y_after_mab2 = list("os_mab2", !yes(adsl$tx))
)
fit_of <- function(endpoint, keep) {
  d <- adtte[adtte$endpoint == endpoint & adtte$patient_id %in% adsl$patient_id[keep], ]
  survfit(Surv(time, status) ~ 1, data = d)
}
out <- data.frame()
for (id in names(groups)) {
  g <- groups[[id]]
  s <- summary(fit_of(g[[1]], g[[2]]), times = 365)
  out <- rbind(out, data.frame(id = id, surv = s$surv, lower = s$lower, upper = s$upper, n_risk = s$n.risk))
}
write.csv(out, stdout(), row.names = FALSE)
# the median of OS after mAb2 among non-transplanted patients in CR to further salvage (S stays at 0.5)
salv <- !yes(adsl$tx) & adsl$n_lines_after_mab2 > 0 & yes(adsl$salvage_cr)
f <- fit_of("os_mab2", salv)
cat("id,print_median,quantile_median\n")
cat(sprintf("txt_ntx_os_median_salvage_cr,%.10g,%.10g\n", summary(f)$table[["median"]], quantile(f, 0.5)$quantile))
# alloHSCT after mAb2 as a time-varying covariate (counting-process rows split at the transplant day), Efron ties
os <- merge(adtte[adtte$endpoint == "os_mab2", c("patient_id", "time", "status")],
            adsl[, c("patient_id", "tx", "days_mab2_tx")], by = "patient_id")
rows <- list()
for (i in seq_len(nrow(os))) {
  r <- os[i, ]
  u <- if (yes(r$tx)) r$days_mab2_tx else NA
  if (!is.na(u) && u > 0 && u < r$time) {
    rows[[length(rows) + 1]] <- data.frame(start = c(0, u), stop = c(u, r$time), event = c(0, r$status), x = c(0, 1))
  } else {
    rows[[length(rows) + 1]] <- data.frame(start = 0, stop = r$time, event = r$status,
                                           x = as.numeric(!is.na(u) && u <= 0))
  }
}
cp <- do.call(rbind, rows)
fit <- coxph(Surv(start, stop, event) ~ x, data = cp, ties = "efron")
ci <- exp(confint(fit))
cat("id,hr,ci_low,ci_high,lrt_p\n")
cat(sprintf("ext_cox_tx,%.10g,%.10g,%.10g,%.10g\n", exp(coef(fit))[[1]], ci[1, 1], ci[1, 2],
            summary(fit)$logtest[["pvalue"]]))
# cumulative incidence of relapse (1) and non-relapse mortality (2) 1 year after alloHSCT (cmprsk::cuminc), with the
# log(-log) interval F^exp(+-z se / (F log F))
suppressMessages(library(cmprsk))
d <- adtte[adtte$endpoint == "cir_tx" & adtte$patient_id %in% adsl$patient_id[yes(adsl$tx)], ]
tp <- timepoints(cuminc(d$time, d$status, cencode = 0), 365)
cat("id,estimate,lower,upper\n")
for (k in c("1", "2")) {
  f <- tp$est[paste("1", k), 1]
  se <- sqrt(tp$var[paste("1", k), 1])
  lim <- sort(f^exp(c(-1, 1) * qnorm(0.975) * se / (f * log(f))))
  cat(sprintf("%s,%.10g,%.10g,%.10g\n", c("1" = "ext_tx_relapse_d365", "2" = "ext_tx_nrm_d365")[[k]], f, lim[1], lim[2]))
}
# the corrected estimates beside the naive ones: 1-year OS from the post-blinatumomab relapse, each patient at risk
# only from mAb2 (delayed entry at adtte$entry, the day of mAb2 on the relapse's timeline), log interval
lt <- list(`ext_os_relapse1_lt_cd19_bf-cd19n` = bf & adsl$cd19_event1 %in% "negdim",
           `ext_os_relapse1_lt_cd19_bf-cd19p` = bf & adsl$cd19_event1 %in% "pos",
           `ext_os_relapse1_lt_cr_blina_bf-crb` = bf & adsl$resp_mab1 %in% "cr",
           `ext_os_relapse1_lt_cr_blina_bf-ncrb` = bf & adsl$resp_mab1 %in% "nr",
           `ext_os_relapse1_lt_interim_bf-int` = bf & yes(adsl$interim),
           `ext_os_relapse1_lt_interim_bf-noint` = bf & !yes(adsl$interim))
cat("id,surv,lower,upper\n")
for (id in names(lt)) {
  d <- adtte[adtte$endpoint == "os_relapse1" & adtte$patient_id %in% adsl$patient_id[lt[[id]]], ]
  d <- d[d$time > d$entry, ]
  s <- summary(survfit(Surv(entry, time, status) ~ 1, data = d), times = 365)
  cat(sprintf("%s,%.10g,%.10g,%.10g\n", id, s$surv, s$lower, s$upper))
}
