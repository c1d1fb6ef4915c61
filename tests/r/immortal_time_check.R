# Recomputes the immortal-time analyses of studies/paper_immortal.py in R (survival) from the per-patient data the
# test writes: one row per patient of the analysis population with os_mab2 time/status, the start of mAb2 and the
# response date (empty when the patient never entered the group). Prints "name,value" lines.
suppressMessages(library(survival))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1], stringsAsFactors = FALSE)
d$u <- as.numeric(as.Date(d$resp_date) - as.Date(d$mab2_start))
out <- function(name, v) cat(sprintf("%s,%.17g\n", name, v))
# counting process: (0, u] without, (u, t] with; a switch at or after the end is no switch
rows <- list()
for (i in seq_len(nrow(d))) {
  u <- d$u[i]; t <- d$time[i]; e <- d$status[i]
  if (!is.na(u) && u > 0 && u < t) {
    rows[[length(rows) + 1]] <- data.frame(start = c(0, u), stop = c(u, t), event = c(0, e), x = c(0, 1))
  } else {
    rows[[length(rows) + 1]] <- data.frame(start = 0, stop = t, event = e, x = as.numeric(!is.na(u) && u <= 0))
  }
}
cp <- do.call(rbind, rows)
if (sum(cp$event) >= 10) {
  fit <- coxph(Surv(start, stop, event) ~ x, data = cp, ties = "efron")
  s <- summary(fit)
  out("cox_hr", s$conf.int[1, "exp(coef)"])
  out("cox_ci_low", s$conf.int[1, "lower .95"])
  out("cox_ci_high", s$conf.int[1, "upper .95"])
  out("cox_p", s$logtest["pvalue"])
}
# landmarks: 75th percentile (type 7) of the days to the response, rounded up to a multiple of 7; median; 90th;
# 30, 60, 90, 180 (the min-size fallback is checked in Python)
u <- d$u[!is.na(d$u)]
up7 <- function(p) 7 * ceiling(quantile(u, p, type = 7, names = FALSE) / 7)
marks <- sort(unique(c(up7(0.5), up7(0.75), up7(0.9), 30, 60, 90, 180)))
for (L in marks) {
  a <- d[d$time > L, ]
  a$grp <- ifelse(!is.na(a$u) & a$u <= L, "with", "without")
  out(sprintf("landmark_d%d_excluded_n", L), sum(d$time <= L))
  out(sprintf("landmark_d%d_with_n", L), sum(a$grp == "with"))
  out(sprintf("landmark_d%d_without_n", L), sum(a$grp == "without"))
  if (min(table(factor(a$grp, levels = c("with", "without")))) >= 5) {
    sd <- survdiff(Surv(time - L, status) ~ grp, data = a)
    out(sprintf("landmark_d%d_p", L), pchisq(sd$chisq, 1, lower.tail = FALSE))
  }
  for (g in c("with", "without")) {
    b <- a[a$grp == g, ]
    if (L < 365 && nrow(b) >= 5) {
      sm <- summary(survfit(Surv(time - L, status) ~ 1, data = b, conf.type = "log"), times = 365 - L)
      if (length(sm$surv)) {
        out(sprintf("landmark_d%d_%s_s365_pct", L, g), 100 * sm$surv)
        out(sprintf("landmark_d%d_%s_s365_ci_low", L, g), 100 * sm$lower)
        out(sprintf("landmark_d%d_%s_s365_ci_high", L, g), 100 * sm$upper)
      }
    }
  }
}
