"""A generated R script that recomputes the report's numbers from the analysis datasets with base R, ``survival``
and ``cmprsk``, and prints them beside mabseq's values.

Run from the output folder:  ``Rscript check_in_R.R``. It reads ``adsl.csv`` (one row per patient), ``adtte.csv``
(one row per patient and endpoint), ``r_checks.csv`` (how to recompute each record: its kind, each group's definition
as an R expression on the columns of adsl, the variable, the endpoint, time and cause) and ``results.csv``
(mabseq's values). Groups are formed in R from their definitions (results/rfilter.py), never from mabseq's list of
patients.

It prints the groups it formed (name, n, definition), one line per value (id, kind, mabseq, R, ok), the count of
values recomputed by kind, and then LISTS every record of results.csv it does not recompute with the reason (a value
mabseq could not compute or suppressed, a group whose filter has no R translation, a statistic without a check).
Exit status 1 when a value differs by more than 1e-6 relative (counts and numbers at risk: exactly) or when R fails
on a check.

Kinds and the R function that recomputes them: ``count``/``pct`` (sum over the group), ``quantile`` (``quantile``
with the type the check states), ``min``/``max``, ``kruskal`` (``kruskal.test``), ``categorical`` (Pearson
``chisq.test(correct = FALSE)`` when the smallest expected count is at least the stated minimum, else
``fisher.test``: R makes the choice again), ``cp_lower``/``cp_upper`` (``binom.test``), ``km_*`` (``survfit``,
``summary(fit, times)``, its median table), ``logrank`` (``survdiff``), ``logrank_entry`` (the Breslow score test of
``coxph(Surv(entry, time, status) ~ group)``; under tied event times it lacks the log-rank's (n - d)/(n - 1)
factor, so then the statistic is formed from the risk sets in base R and the coxph value shown beside it),
``followup`` (reverse ``survfit``), ``cif_*`` (``cuminc`` and ``timepoints``, log(-log) interval from its variance),
``at_risk`` (``summary(survfit, times, extend = TRUE)$n.risk``); for the checks a preset adds beside the builder:
``wilcoxon`` (``wilcox.test``), ``gray`` (``cuminc(...)$Tests``), ``crr`` and ``cox`` with ``stat`` hr / lower /
upper / p (``crr``, Wald p; ``coxph`` Efron, likelihood-ratio p; the covariate is membership of the second group),
``cox_td`` and ``mantel_byar`` (a group entered on the day ``var``: intervals by ``tmerge``, then ``coxph`` or the
log-rank on the intervals), ``landmark_logrank`` (alive at day ``time``; entered by then or not; ``survdiff``),
``tsai`` with ``stat`` z / p (Tsai's 1990 conditional Kendall test of quasi-independence of entry and time, in base
R from the published statistic, on the rows with entry < time). A ``cif_est`` of a cause without an event is 0:
``cuminc`` draws no curve for it.

Data completeness (results/completeness.py): ``missing`` / ``missing_pct`` (``sum(is.na(x))`` of the adsl.csv column
``var`` in the group, percentage of the group ``den``; a variable whose derivation codes an unknown value as a level
names it in ``stat``, cytogenetic risk 'missing', and that level counts as missing too); ``unknown`` /
``unknown_pct`` (the distinct patients of the group with a row (``var``, ``stat``) = (variable, input) in
unknowns.csv: the values left unknown for want of an input, released by results/release.release_unknowns).

Bounds checks, weaker than a recomputation (counted under their own kind, and the closing line says how many):
adsl.csv releases an age in completed years, f = floor(age + 1e-9) (results/release.py), so the exact age lies in
[f - 1e-9, f + 1). ``quantile_bounds`` (a quantile of the age), ``count_bounds`` / ``pct_bounds`` (a count of, or
percentage with, an age compared with a number: ``.cmp(age, k, op)``) are monotone in the ages, so the exact
statistic lies between its values on f - 1e-6 and on f + 1: R computes both, and the check passes when mabseq's value
lies within [lo, hi] (a quantile widened by half a unit of its last decimal: results/release.py releases an age's
order statistics rounded half-up to their display decimals, the ``decimals`` of results.csv). At an age of exactly
k years on the day (f = k) a comparison ``> k`` is false at f and true at f + 1: that patient is in the bounds, not in
either count. ``categorical_bounds`` (the test of two categories split by such a comparison,
``ifelse(.cmp(age, k, op), "a", "b")``): the patients whose category differs on f - 1e-6 and on f + 1 may have
either, so R forms every table those patients allow (how many of each group fall on each side), recomputes the
test of each (chi-square or Fisher, chosen again) and the check passes when mabseq's p lies within their range.
``kruskal_bounds`` (Kruskal-Wallis of an age in two groups): the exact ages of one completed year are in an unknown
order and may tie, those of different years are ordered; the first group's rank sum lies between its values with the
group lowest and highest within each year, the tie correction between its value with each year all tied and 1, and
``kruskal.test``'s statistic is convex in the rank sum: R bounds the p from both. In more than two groups it stays
listed.

A check is a dict in ``ResultSet.checks``: ``id`` (the record), ``kind``, ``groups`` (name -> R expression,
``Pop.expr``), and as the kind needs ``var``, ``den``, ``endpoint``, ``time``, ``cause``, ``entry``, ``scale``,
``p``, ``qtype``, ``min_expected``, ``stat``, ``value`` (mabseq's value when it is no record, e.g. at risk), and
``reason`` when the check cannot run in R (the record is then listed with it).
"""
from __future__ import annotations

import re

import pandas as pd

from .records import ResultSet
from .rfilter import untranslatable
from .release import AGE_COLUMNS, AGE_SUMMARY_DECIMALS, DROPPED, FREE_TEXT_ALLOWED, FREE_TEXT_DERIVED

COLUMNS = ["id", "kind", "group", "expr", "var", "den", "endpoint", "time", "cause", "entry", "scale", "p", "qtype",
           "min_expected", "stat", "value", "reason"]

# kinds whose check needs a variable of adsl
_NEEDS_VAR = {"count", "pct", "quantile", "min", "max", "kruskal", "categorical", "cp_lower", "cp_upper", "wilcoxon",
              "cox_td", "mantel_byar", "landmark_logrank", "landmark_n", "landmark_km", "missing", "missing_pct",
              "quantile_bounds", "count_bounds", "pct_bounds", "categorical_bounds", "kruskal_bounds"}
# kinds whose check needs a denominator group
_NEEDS_DEN = {"pct", "pct_bounds", "missing_pct", "unknown_pct"}

R_SCRIPT = r"""# Generated by mabseq: recompute the report's numbers with base R, survival and cmprsk.
# Usage (in the output folder): Rscript check_in_R.R [folder]
# Groups are formed here from their definitions (r_checks.csv: an R expression on the columns of adsl.csv).
suppressPackageStartupMessages({ library(survival); library(cmprsk) })
args <- commandArgs(trailingOnly = TRUE)
dir <- if (length(args) > 0) args[1] else "."
TOL <- 1e-6  # relative; counts and numbers at risk must agree exactly
rd <- function(f) read.csv(file.path(dir, f), stringsAsFactors = FALSE, na.strings = "", check.names = FALSE)
adsl <- rd("adsl.csv"); adtte <- rd("adtte.csv"); res <- rd("results.csv")
unk <- if (file.exists(file.path(dir, "unknowns.csv"))) rd("unknowns.csv") else NULL  # values left unknown
AGE_YEARS <- c(@AGE_YEARS@)  # ages adsl.csv releases in completed years (results/release.py)
chk <- read.csv(file.path(dir, "r_checks.csv"), stringsAsFactors = FALSE, na.strings = "",
                colClasses = c(id = "character", kind = "character", group = "character", expr = "character",
                               var = "character", den = "character", stat = "character", reason = "character"))
ours <- setNames(suppressWarnings(as.numeric(res$value)), res$id)

# pandas' treatment of a missing value, made explicit (results/rfilter.py)
.lg <- function(x, v) if (is.logical(v) && is.character(x)) ifelse(v, "True", "False") else v
.eq <- function(x, v) { r <- x == .lg(x, v); !is.na(r) & r }
.cmp <- function(x, v, op) { r <- match.fun(op)(x, v); !is.na(r) & r }
.isin <- function(x, v) !is.na(x) & x %in% .lg(x, v)
.truth <- function(x) {
  if (is.logical(x)) !is.na(x) & x
  else if (is.numeric(x)) !is.na(x) & x != 0
  else !is.na(x) & x != "" & x != "False"
}
.num <- function(x) suppressWarnings(as.numeric(x))
.ev <- function(e) rep_len(eval(parse(text = e), adsl, globalenv()), nrow(adsl))
members <- list()
group_ids <- function(e) {  # the patients of a group, from its definition
  if (is.null(members[[e]])) members[[e]] <<- adsl$patient_id[.truth(.ev(e))]
  members[[e]]
}
var_of <- function(e, ids) .ev(e)[match(ids, adsl$patient_id)]
tte <- function(ck, ep, entry) {  # adtte rows of the endpoint for each group (delayed entry: time > entry)
  d <- do.call(rbind, lapply(seq_len(nrow(ck)), function(i) {
    x <- adtte[adtte$endpoint == ep & adtte$patient_id %in% group_ids(ck$expr[i]), ]
    if (nrow(x)) x$group <- ck$group[i]
    x
  }))
  if (entry) d <- d[d$time > d$entry, ]
  d
}
km_fit <- function(d, entry)
  if (entry) survfit(Surv(entry, time, status) ~ 1, data = d) else survfit(Surv(time, status) ~ 1, data = d)
lr_entry <- function(d) {  # log-rank statistic on the risk sets entry < t <= time, hypergeometric variance
  gs <- sort(unique(d$group)); k <- length(gs)
  O <- E <- numeric(k); V <- matrix(0, k, k)
  for (t in sort(unique(d$time[d$status == 1]))) {
    nr <- sapply(gs, function(g) sum(d$group == g & d$entry < t & d$time >= t))
    dv <- sapply(gs, function(g) sum(d$group == g & d$time == t & d$status == 1))
    n <- sum(nr); dd <- sum(dv)
    O <- O + dv; E <- E + dd * nr / n
    if (n > 1) V <- V + dd * (n - dd) / (n - 1) * (diag(nr / n, k) - outer(nr / n, nr / n))
  }
  keep <- E > 0
  u <- (O - E)[keep][-1]; v <- V[keep, keep, drop = FALSE][-1, -1, drop = FALSE]
  pchisq(drop(t(u) %*% solve(v, u)), length(u), lower.tail = FALSE)
}
cat_test <- function(tab, min_expected) {  # Pearson without correction, or Fisher below the expected count
  tab <- tab[rowSums(tab) > 0, , drop = FALSE]
  ex <- outer(rowSums(tab), colSums(tab)) / sum(tab)
  if (min(ex) >= min_expected) list(p = suppressWarnings(chisq.test(tab, correct = FALSE)$p.value), kind = "chi_square")
  else list(p = fisher.test(tab, workspace = 2e8)$p.value, kind = "fisher_exact")
}
recompute <- function(ck) {
  kind <- ck$kind[1]; scale <- ck$scale[1]; ep <- ck$endpoint[1]; t <- ck$time[1]
  entry <- isTRUE(as.logical(ck$entry[1])); note <- ""
  g1 <- if (!is.na(ck$expr[1])) group_ids(ck$expr[1]) else character(0)
  if (kind %in% c("count", "pct", "cp_lower", "cp_upper")) {
    n <- sum(.truth(var_of(ck$var[1], g1)))
    N <- if (kind == "pct") length(group_ids(ck$den[1])) else length(g1)
    r <- switch(kind, count = n, pct = 100 * n / N,
                cp_lower = binom.test(n, N)$conf.int[1] * scale, cp_upper = binom.test(n, N)$conf.int[2] * scale)
  } else if (kind %in% c("missing", "missing_pct")) {  # no value in adsl.csv (or the level `stat` says unknown)
    x <- var_of(ck$var[1], g1); n <- sum(is.na(x) | (!is.na(ck$stat[1]) & !is.na(x) & x == ck$stat[1]))
    r <- if (kind == "missing") n else 100 * n / length(group_ids(ck$den[1]))
  } else if (kind %in% c("unknown", "unknown_pct")) {  # distinct patients with (variable, input) in unknowns.csv
    if (is.null(unk)) stop("unknowns.csv is not in the folder")
    n <- length(unique(unk$patient_id[unk$variable == ck$var[1] & unk$input == ck$stat[1] & unk$patient_id %in% g1]))
    r <- if (kind == "unknown") n else 100 * n / length(group_ids(ck$den[1]))
  } else if (kind %in% c("quantile_bounds", "count_bounds", "pct_bounds", "categorical_bounds", "kruskal_bounds")) {
    # ages in completed years f: the exact age lies in [f - 1e-9, f + 1) and the statistic is monotone in it, so
    # it lies between the statistic on f - 1e-6 and on f + 1 (a bounds check, not a recomputation)
    ages <- intersect(all.vars(parse(text = ck$var[1])), AGE_YEARS)
    if (!length(ages)) stop("no age in completed years in ", ck$var[1])
    at <- function(shift, ids = g1) {
      d <- adsl; for (a in ages) d[[a]] <- .num(d[[a]]) + shift
      rep_len(eval(parse(text = ck$var[1]), d, globalenv()), nrow(d))[match(ids, d$patient_id)]
    }
    st <- function(x) if (kind == "quantile_bounds") {
      x <- .num(x); quantile(x[!is.na(x)], ck$p[1], type = ck$qtype[1], names = FALSE)
    } else { n <- sum(.truth(x)); if (kind == "count_bounds") n else 100 * n / length(group_ids(ck$den[1])) }
    if (kind == "categorical_bounds") {
      # two categories split by the comparison: a patient whose category differs on f - 1e-6 and on f + 1 has one
      # of the two, and all such patients of a group move the same way; each count of them moved in each group is a
      # possible table, and R computes its p-value (the test chosen again): the bounds are their range
      lo <- lapply(ck$expr, function(e) as.character(at(-1e-6, group_ids(e))))
      hi <- lapply(ck$expr, function(e) as.character(at(1, group_ids(e))))
      moves <- lapply(seq_along(lo), function(i) which(lo[[i]] != hi[[i]]))
      grid <- expand.grid(lapply(moves, function(m) 0:length(m)))
      if (nrow(grid) > 1e5) stop(nrow(grid), " possible tables: too many to bound")
      ps <- apply(grid, 1, function(k) {
        x <- lapply(seq_along(lo), function(i) { y <- lo[[i]]; m <- moves[[i]][seq_len(k[i])]; y[m] <- hi[[i]][m]; y })
        g <- factor(rep(ck$group, lengths(x)), levels = ck$group); x <- unlist(x); x[is.na(x)] <- "missing"
        cat_test(table(x, g), ck$min_expected[1])$p
      })
      b <- range(ps)
    } else if (kind == "kruskal_bounds") {
      # two groups; the exact ages of one completed year are in an unknown order and may tie (ages of different
      # years cannot): the first group's rank sum R1 lies between its values with that group lowest / highest in
      # each year, and the tie correction C between 1 - sum(b^3 - b) / (N^3 - N) over the years' sizes b and 1.
      # kruskal.test's H = S(R1) / C with S convex in R1 (0 at n1 (N + 1) / 2), and its p decreases in H
      v <- lapply(ck$expr, function(e) { x <- .num(var_of(ck$var[1], group_ids(e))); x[!is.na(x)] })
      if (length(v) != 2) stop("kruskal_bounds needs two groups")
      n1 <- length(v[[1]]); N <- n1 + length(v[[2]]); x <- c(v[[1]], v[[2]]); first <- seq_len(N) <= n1
      Rlo <- Rhi <- off <- ties <- 0
      for (y in sort(unique(x))) {
        b <- sum(x == y); k <- sum(x == y & first)
        Rlo <- Rlo + k * off + k * (k + 1) / 2; Rhi <- Rhi + k * off + k * b - k * (k - 1) / 2
        off <- off + b; ties <- ties + b^3 - b
      }
      S <- function(R1) max(0, 12 / (N * (N + 1)) * (R1^2 / n1 + (N * (N + 1) / 2 - R1)^2 / (N - n1)) - 3 * (N + 1))
      mid <- n1 * (N + 1) / 2
      Smin <- if (Rlo <= mid && mid <= Rhi) 0 else min(S(Rlo), S(Rhi))
      b <- pchisq(c(max(S(Rlo), S(Rhi)) / (1 - ties / (N^3 - N)), Smin), 1, lower.tail = FALSE)
    } else b <- c(st(at(-1e-6)), st(at(1)))
    dec <- if (kind == "quantile_bounds") .num(res$decimals[match(ck$id[1], res$id)]) else NA
    slack <- if (is.na(dec)) 0 else 0.5 * 10^-dec
    return(list(r = NA_real_, kind = kind, lo = min(b), hi = max(b), slack = slack,
                note = sprintf("BOUNDS CHECK: %.12g <= mabseq <= %.12g (R on completed years, and + 1)%s", min(b),
                               max(b), if (slack > 0) sprintf("; +/- %g for its rounding", slack) else "")))
  } else if (kind %in% c("quantile", "min", "max")) {
    x <- .num(var_of(ck$var[1], g1)); x <- x[!is.na(x)]
    r <- switch(kind, quantile = quantile(x, ck$p[1], type = ck$qtype[1], names = FALSE), min = min(x), max = max(x))
  } else if (kind %in% c("kruskal", "categorical")) {
    v <- lapply(seq_len(nrow(ck)), function(i) var_of(ck$var[1], group_ids(ck$expr[i])))
    g <- factor(rep(ck$group, lengths(v)), levels = ck$group)
    if (kind == "kruskal") {
      x <- .num(unlist(v)); r <- kruskal.test(x[!is.na(x)], g[!is.na(x)])$p.value
    } else {
      x <- as.character(unlist(v)); x[is.na(x)] <- "missing"
      ct <- cat_test(table(x, g), ck$min_expected[1]); r <- ct$p; kind <- ct$kind
    }
  } else if (kind %in% c("km_surv", "km_lower", "km_upper", "km_median", "km_median_lower", "km_median_upper")) {
    fit <- km_fit(tte(ck, ep, entry), entry)
    if (kind %in% c("km_surv", "km_lower", "km_upper")) {
      s <- summary(fit, times = t)
      r <- switch(kind, km_surv = s$surv, km_lower = s$lower, km_upper = s$upper) * scale
    } else {  # the median as print(fit) and summary(fit)$table report it (mabseq's KaplanMeier.median)
      tab <- summary(fit)$table
      r <- switch(kind, km_median = tab[["median"]], km_median_lower = tab[["0.95LCL"]],
                  km_median_upper = tab[["0.95UCL"]]) * scale
    }
  } else if (kind == "logrank") {
    d <- tte(ck, ep, FALSE); sd <- survdiff(Surv(time, status) ~ group, data = d)
    r <- pchisq(sd$chisq, length(sd$n) - 1, lower.tail = FALSE)
  } else if (kind == "logrank_entry") {
    d <- tte(ck, ep, TRUE)
    sc <- summary(coxph(Surv(entry, time, status) ~ factor(group), data = d, ties = "breslow"))$sctest[["pvalue"]]
    ev <- d$time[d$status == 1]; tied <- any(duplicated(ev))
    r <- if (tied) lr_entry(d) else sc
    if (tied) note <- sprintf("tied event times: risk sets in base R; coxph score p = %.6g", sc)
  } else if (kind == "followup") {
    d <- tte(ck, ep, FALSE)
    r <- quantile(survfit(Surv(time, 1 - status) ~ 1, data = d), 0.5)$quantile * scale
  } else if (kind %in% c("cif_est", "cif_lower", "cif_upper")) {
    d <- tte(ck, ep, FALSE); key <- paste("1", ck$cause[1])
    if (!any(d$status == ck$cause[1])) {
      # cuminc draws no curve for a cause without an event (and no estimate at all without any event): R's own
      # statement that the cause's incidence is 0 while patients are followed; no interval exists
      if (kind != "cif_est") stop("no interval: no event of cause ", ck$cause[1])
      r <- if (t <= max(d$time)) 0 else NA
      note <- sprintf("no event of cause %s in %d patients: cuminc draws no curve, incidence 0", ck$cause[1], nrow(d))
    } else {
      ci <- cuminc(d$time, d$status); tp <- timepoints(ci, t)
      est <- tp$est[key, 1]; se <- sqrt(tp$var[key, 1])
      b <- est^exp(c(-1, 1) * qnorm(0.975) * se / (est * log(est)))
      r <- switch(kind, cif_est = est, cif_lower = min(b), cif_upper = max(b)) * scale
    }
  } else if (kind == "at_risk") {
    d <- tte(ck, ep, entry)
    fit <- if (entry) survfit(Surv(entry, time, status > 0) ~ 1, data = d) else
      survfit(Surv(time, status > 0) ~ 1, data = d)
    # with delayed entry summary() reports the risk set of the next event time, which counts patients entering
    # between t and that time: the number at risk at t is then counted from its definition (entry < t <= time)
    r <- if (entry) sum(d$entry < t & d$time >= t) else summary(fit, times = t, extend = TRUE)$n.risk
    if (entry) kind <- "at_risk_entry"
  } else if (kind == "wilcoxon") {  # wilcox.test's defaults (exact below 50 per group without ties)
    v <- lapply(1:2, function(i) .num(var_of(ck$var[1], group_ids(ck$expr[i]))))
    r <- suppressWarnings(wilcox.test(v[[1]][!is.na(v[[1]])], v[[2]][!is.na(v[[2]])])$p.value)
  } else if (kind == "gray") {  # Gray's test of the cause's cumulative incidence across the groups
    d <- tte(ck, ep, FALSE); ci <- cuminc(d$time, d$status, factor(d$group, levels = sort(unique(d$group))))
    # the p-value from cuminc's statistic by the upper tail: cuminc's own pv is 1 - pchisq(stat), which cannot go
    # below ~1e-16 (both agree wherever that is not so)
    tst <- ci$Tests[as.character(ck$cause[1]), ]
    r <- pchisq(tst[["stat"]], tst[["df"]], lower.tail = FALSE)
    if (r < 1e-12) note <- sprintf("Gray statistic %.6g on %g df; cuminc's pv (1 - pchisq) = %.3g", tst[["stat"]],
                                   tst[["df"]], tst[["pv"]])
  } else if (kind %in% c("crr", "cox")) {  # one covariate: membership of the second group (vs the first)
    d <- tte(ck, ep, entry); x <- as.numeric(d$group == ck$group[2])
    if (kind == "crr") {
      # converged tighter than crr's default (gtol 1e-6), so that its estimate is good to the tolerance
      fit <- crr(d$time, d$status, cbind(x), failcode = ck$cause[1], cencode = 0, gtol = 1e-12, maxiter = 100)
      b <- fit$coef[[1]]; se <- sqrt(fit$var[1, 1]); p <- 2 * pnorm(-abs(b / se))
    } else {
      fit <- if (entry) coxph(Surv(entry, time, status) ~ x, data = d, ties = "efron") else
        coxph(Surv(time, status) ~ x, data = d, ties = "efron")
      b <- coef(fit)[[1]]; se <- sqrt(vcov(fit)[1, 1]); p <- summary(fit)$logtest[["pvalue"]]
    }
    r <- switch(ck$stat[1], hr = exp(b), lower = exp(b - qnorm(0.975) * se), upper = exp(b + qnorm(0.975) * se),
                p = p)
    kind <- paste(kind, ck$stat[1], sep = "_")
  } else if (kind %in% c("cox_td", "mantel_byar")) {
    # a group entered at the day `var` (NA: never): intervals split by survival::tmerge, then coxph (Efron,
    # likelihood-ratio p) or the log-rank on the intervals (Mantel-Byar)
    d <- tte(ck, ep, FALSE); d$sw <- .num(var_of(ck$var[1], d$patient_id))
    td <- tmerge(d[, c("patient_id", "time", "status", "sw")], d, id = patient_id, dead = event(time, status),
                 grp = tdc(sw))
    if (kind == "cox_td") {
      fit <- coxph(Surv(tstart, tstop, dead) ~ grp, data = td, ties = "efron")
      b <- coef(fit)[[1]]; se <- sqrt(vcov(fit)[1, 1])
      r <- switch(ck$stat[1], hr = exp(b), lower = exp(b - qnorm(0.975) * se), upper = exp(b + qnorm(0.975) * se),
                  p = summary(fit)$logtest[["pvalue"]])
      kind <- paste(kind, ck$stat[1], sep = "_")
    } else {
      iv <- data.frame(entry = td$tstart, time = td$tstop, status = td$dead, group = td$grp)
      r <- if (any(duplicated(iv$time[iv$status == 1]))) lr_entry(iv) else
        summary(coxph(Surv(entry, time, status) ~ group, data = iv, ties = "breslow"))$sctest[["pvalue"]]
    }
  } else if (kind == "tsai") {
    # Tsai (1990, Biometrika 77:169) conditional Kendall test of quasi-independence of entry L and time X, from the
    # published statistic: K = sum over comparable pairs of sign((L_i - L_j)(X_i - X_j)), comparable when both are
    # at risk at the smaller X and it is an event; in risk-set form K = sum over events k of
    # S_k = sum_{j in R_k} sign(L_j - L_k), R_k = {j: L_j < X_k <= X_j} (the risk set of Surv(entry, time): a
    # censoring tied with an event is still at risk, as in survfit). Under quasi-independence the failing patient is
    # a uniform draw from R_k, so Var S_k = mean over i in R_k of s_i^2, s_i = sum_{j in R_k} sign(L_j - L_i); this
    # is Tsai's (r_k^2 - 1)/3 when the entries in R_k are distinct; d events tied at X_k are d draws without
    # replacement (variance times (r - d)/(r - 1)). Z = K / sqrt(V), two-sided normal p. Whole days tie where
    # Tsai's continuous times do not: a patient entering on day x (L_j = x) is not in R_k (Tsai writes L_j <= X_k):
    # the data keep only entry < time, so he could not have been seen to fail on day x, and the failing patient is a
    # uniform draw only from those who could; a censoring on day x is (it was followed through day x), where the
    # pair form's sign(X_i - X_j) = 0 drops the pair (K_pairs, shown in the note).
    d <- tte(ck, ep, FALSE); d <- d[!is.na(d$entry) & d$time > d$entry, ]
    L <- d$entry; X <- d$time; D <- d$status == 1
    K <- 0; V <- 0; V_paper <- 0
    for (x in sort(unique(X[D]))) {
      R <- which(L < x & x <= X); fail <- which(X == x & D); r <- length(R); dd <- length(fail)
      if (r < 2) next
      s <- vapply(R, function(i) sum(sign(L[R] - L[i])), 0)
      K <- K + sum(vapply(fail, function(k) sum(sign(L[R] - L[k])), 0))
      V <- V + mean(s^2) * dd * (r - dd) / (r - 1); V_paper <- V_paper + dd * (r^2 - 1) / 3
    }
    cmp <- outer(seq_along(X), seq_along(X), function(i, j) pmax(L[i], L[j]) < pmin(X[i], X[j]) &
                   ifelse(X[i] < X[j], D[i], ifelse(X[j] < X[i], D[j], FALSE)))
    K_pairs <- sum(sign(outer(L, L, "-") * outer(X, X, "-"))[cmp & upper.tri(cmp)])
    z <- K / sqrt(V)
    r <- switch(ck$stat[1], z = z, p = 2 * pnorm(-abs(z)), K = K, V = V)
    note <- sprintf("K = %g (pairs: %g), V = %.6g (Tsai's (r^2 - 1)/3 without ties: %.6g)", K, K_pairs, V, V_paper)
    kind <- paste(kind, ck$stat[1], sep = "_")
  } else if (kind == "landmark_logrank") {  # alive at day t; group: entered (day `var`) by t; time from t
    d <- tte(ck, ep, FALSE); d$sw <- .num(var_of(ck$var[1], d$patient_id)); d <- d[d$time > t, ]
    d$g <- !is.na(d$sw) & d$sw <= t
    sd <- survdiff(Surv(time - t, status) ~ g, data = d); r <- pchisq(sd$chisq, 1, lower.tail = FALSE)
  } else if (kind %in% c("landmark_n", "landmark_km")) {  # alive at day t (time > t); "with": entered by day t
    d <- tte(ck, ep, FALSE); d$sw <- .num(var_of(ck$var[1], d$patient_id))
    alive <- d$time > t; with <- alive & !is.na(d$sw) & d$sw <= t
    part <- strsplit(ck$stat[1], ":", fixed = TRUE)[[1]]  # landmark_n: excluded | reclassified | with | without
    if (kind == "landmark_n") {
      r <- switch(part[1], excluded = sum(!alive), reclassified = sum(alive & !is.na(d$sw) & d$sw > t),
                  with = sum(with), without = sum(alive & !with))
    } else {  # "with:surv" ...: S(365 from the origin | alive at t) = KM of the time after t at 365 - t (log CI)
      a <- d[if (part[1] == "with") with else alive & !with, ]
      sm <- summary(survfit(Surv(time - t, status) ~ 1, data = a, conf.type = "log"), times = 365 - t)
      r <- scale * switch(part[2], surv = sm$surv, lower = sm$lower, upper = sm$upper)
      kind <- paste(kind, part[2], sep = "_")
    }
  } else stop("unknown kind ", kind)
  list(r = unname(r), kind = kind, note = note)
}

rows <- list(); skipped <- list(); failed <- list()
todo <- chk[is.na(chk$reason), ]
for (id in unique(todo$id)) {
  ck <- todo[todo$id == id, ]
  out <- tryCatch(recompute(ck), error = function(e) list(error = conditionMessage(e)))
  if (!is.null(out$error)) { failed[[length(failed) + 1]] <- data.frame(id = id, kind = ck$kind[1], error = out$error)
    next }
  m <- if (!is.na(ck$value[1])) ck$value[1] else unname(ours[id])
  exact <- ck$kind[1] %in% c("count", "at_risk", "missing", "unknown")
  ok <- if (!is.null(out$lo)) !is.na(m) && !is.na(out$lo) && !is.na(out$hi) &&
    m >= out$lo - out$slack - TOL * max(abs(out$lo), 1e-12) && m <= out$hi + out$slack + TOL * max(abs(out$hi), 1e-12)
    else if (is.na(out$r) || is.na(m)) is.na(out$r) && is.na(m) else
    if (exact) out$r == m else abs(out$r - m) <= TOL * max(abs(out$r), 1e-12)
  rows[[length(rows) + 1]] <- data.frame(id = id, kind = out$kind, mabseq = m, R = out$r, ok = ok, note = out$note)
}
out <- if (length(rows)) do.call(rbind, rows) else  # nothing to recompute (e.g. nobody included)
  data.frame(id = character(), kind = character(), mabseq = numeric(), R = numeric(), ok = logical(),
             note = character())
options(width = 250)
defs <- unique(todo[!is.na(todo$expr), c("group", "expr")])
defs$n <- vapply(defs$expr, function(e) length(group_ids(e)), 0L)
cat("== groups formed in R from their definitions on adsl.csv (name, n, R expression)\n")
for (i in order(defs$group, defs$expr))
  cat(sprintf("GROUP  %-12s n = %-4d %s\n", defs$group[i], defs$n[i], defs$expr[i]))
cat("\n")
cat("== values recomputed in R (tolerance 1e-6 relative; counts and numbers at risk exact)\n")
print(out, row.names = FALSE, digits = 12, right = FALSE)
skip <- unique(chk[!is.na(chk$reason), c("id", "kind", "reason")])
absent <- res[!res$id %in% chk$id, ]  # every record of results.csv is recomputed or listed
if (nrow(absent)) skip <- rbind(skip, data.frame(id = absent$id, kind = absent$statistic, reason = ifelse(
  !is.na(absent$suppressed), paste("suppressed as a small cell, shown as", absent$suppressed),
  "no check in r_checks.csv")))
cat(sprintf("\n== %d records NOT recomputed, with the reason\n", nrow(skip)))
if (nrow(skip)) for (i in seq_len(nrow(skip)))
  cat(sprintf("NOT RECOMPUTED  %s  [%s]  %s\n", skip$id[i], ifelse(is.na(skip$kind[i]), "-", skip$kind[i]),
              skip$reason[i]))
if (length(failed)) {
  f <- do.call(rbind, failed)
  cat(sprintf("\n== %d checks where R failed\n", nrow(f)))
  for (i in seq_len(nrow(f))) cat(sprintf("R FAILED  %s  [%s]  %s\n", f$id[i], f$kind[i], f$error[i]))
}
tab <- table(out$kind)
cat("\n== recomputed by kind:", paste(sprintf("%s %d", names(tab), as.integer(tab)), collapse = ", "), "\n")
bad <- out[!out$ok, ]
if (nrow(bad)) { cat("\n== DISAGREEMENTS\n"); print(bad, row.names = FALSE, digits = 12) }
cat(sprintf(paste0("\n%d values recomputed in R (%s; survival %s, cmprsk %s): %d agree, %d differ; ",
                   "%d not recomputed; %d R failures\n"),
            nrow(out), R.version.string, packageVersion("survival"), packageVersion("cmprsk"),
            nrow(out) - nrow(bad), nrow(bad), nrow(skip), length(failed)))
nb <- sum(grepl("_bounds$", out$kind))
if (nb) cat(sprintf(paste0("%d of these values are bounds checks (kinds *_bounds: an age released in completed years; ",
                           "mabseq's value lies within R's bounds), weaker than a recomputation\n"), nb))
if (nrow(bad) > 0 || length(failed) > 0) quit(status = 1)
"""
R_SCRIPT = R_SCRIPT.replace("@AGE_YEARS@", ", ".join(f'"{a}"' for a in AGE_COLUMNS))

# kinds whose statistic is monotone in an age: checked within bounds when the age is released in completed years
_BOUNDED = {"quantile": "quantile_bounds", "count": "count_bounds", "pct": "pct_bounds",
            "categorical": "categorical_bounds", "kruskal": "kruskal_bounds"}
# kinds that need no exact age (a missing age is missing in completed years too)
_YEARS_SUFFICE = {"missing", "missing_pct"}
_AGE_CMP = re.compile(r'^\.cmp\(`(?P<age>[^`]+)`, -?\d+(\.\d+)?, "(>|>=|<|<=)"\)$')


def _bounds_kind(check: dict, groups: dict) -> str | None:
    """The bounds kind of a check whose only obstacle is an age released in completed years, when its statistic is
    monotone in that age: a quantile of the age, or a count/percentage of the age compared with a number (groups and
    denominator free of ages). None otherwise."""
    kind = _BOUNDED.get(check["kind"])
    ages = set(AGE_COLUMNS)
    if kind is None or any(_columns(e) & ages for e in groups.values() if isinstance(e, str)) \
            or _columns(check.get("den")) & ages:
        return None
    var = (check.get("var") or "").strip()
    if check["kind"] == "kruskal" and len(groups) != 2:
        return None
    if check["kind"] in ("quantile", "kruskal"):
        return kind if var.strip("`") in ages and var == f"`{var.strip('`')}`" else None
    if check["kind"] == "categorical":  # two categories, split by the comparison: ifelse(.cmp(...), "a", "b")
        m = re.match(r'^ifelse\((?P<cmp>.+), "[^"]*", "[^"]*"\)$', var)
        var = m.group("cmp") if m else ""
    m = _AGE_CMP.match(var)
    return kind if m and m.group("age") in ages else None


def _columns(expr) -> set[str]:
    return set(re.findall(r"`([^`]+)`", expr or ""))


def _unreleased(check: dict, expr, *, years_suffice: bool = False) -> str:
    """Why the released adsl.csv cannot give this check's inputs ('' when it can); ``years_suffice``: an age in
    completed years is enough (a missing value, a bounds check)."""
    for col in sorted(_columns(expr) | _columns(check.get("var")) | _columns(check.get("den"))):
        if col in DROPPED:
            return f"uses {col}, which adsl.csv does not release ({DROPPED[col]})"
        if col in FREE_TEXT_DERIVED and col not in FREE_TEXT_ALLOWED:
            return f"uses {col}, free text adsl.csv does not release"
    used = _columns(expr) | _columns(check.get("var")) | _columns(check.get("den"))
    age = used & (set(AGE_SUMMARY_DECIMALS) | set(AGE_COLUMNS))
    if age and not years_suffice:
        why = {"kruskal": ": a rank test of the exact ages is bounded in two groups only",
               "categorical": ": only a test of two categories split by one comparison of the age is bounded"}
        return (f"adsl.csv releases {min(age)} in completed years, mabseq uses the exact age "
                f"(results/release.py){why.get(check['kind'], '')}")
    text = " ".join(x or "" for x in (expr, check.get("var"), check.get("den")))
    for col in sorted(used & set(FREE_TEXT_ALLOWED)):
        vocab = set(FREE_TEXT_ALLOWED[col][1].values())
        for lit in re.findall(rf'`{re.escape(col)}`, "([^"]*)"', text):
            if lit not in vocab:
                return (f"compares {col} with '{lit}', which adsl.csv releases as 'other' (outside the column's "
                        f"vocabulary in results/release.py)")
    return ""


def _reason(check: dict, group: str, expr) -> str:
    """Why a check cannot run in R ('' when it can)."""
    if check.get("reason"):
        return check["reason"]
    if untranslatable(expr):
        return f"group '{group}': {untranslatable(expr)}"
    if check["kind"] in _NEEDS_VAR and untranslatable(check.get("var")):
        return f"the variable: {untranslatable(check.get('var'))}"
    if check["kind"] in _NEEDS_DEN and untranslatable(check.get("den")):
        return f"the denominator: {untranslatable(check.get('den'))}"
    return _unreleased(check, expr, years_suffice=check["kind"] in _YEARS_SUFFICE or check["kind"].endswith("_bounds"))


def _no_check_reason(rec) -> str:
    """Why a record has no R check."""
    if rec.suppressed:
        return f"suppressed as a small cell, shown as {rec.suppressed}"
    if rec.value is None or isinstance(rec.value, str):
        why = rec.note or "no value"
        return f"no number to check ({rec.value if isinstance(rec.value, str) else 'None'}: {why})"
    what = rec.method or rec.statistic
    if "(parameter " in what:  # a setting of the analysis plan the report states, not a statistic of the data
        return f"a parameter of the analysis, not computed from the data ({what}; {rec.block or 'no block'})"
    return f"no R recipe for this statistic ({what}; {rec.block or 'no block'})"


def checks_frame(results: ResultSet) -> pd.DataFrame:
    """r_checks.csv: one row per check and group (its definition in ``expr``), and one row per record the R check
    does not recompute, with the reason."""
    rows, checked = [], set()
    for c in results.checks:
        rec = results.records.get(c["id"])
        if rec is not None and rec.value is None:  # no number to check: listed below with its note
            continue
        groups = c.get("groups") or {}
        if any(isinstance(v, (list, tuple)) for v in groups.values()):  # a list of patients is no definition
            groups = {g: None for g in groups}
        checked.add(c["id"])
        bounded = _bounds_kind(c, groups)
        if bounded and _unreleased(c, None).startswith("adsl.csv releases ") and \
                not any(_reason({**c, "kind": bounded}, g, e) for g, e in groups.items()):
            c = {**c, "kind": bounded}  # an age in completed years: checked within bounds
        for group, expr in groups.items():
            rows.append({"id": c["id"], "kind": c["kind"], "group": group, "expr": expr, "var": c.get("var"),
                         "den": c.get("den"), "endpoint": c.get("endpoint"), "time": c.get("time"),
                         "cause": c.get("cause"), "entry": bool(c.get("entry")), "scale": c.get("scale", 1),
                         "p": c.get("p"), "qtype": c.get("qtype"), "min_expected": c.get("min_expected"),
                         "stat": c.get("stat"),
                         "value": c.get("value"), "reason": _reason(c, group, expr) or None})
    for rid, rec in results.records.items():
        if rid not in checked:
            rows.append({"id": rid, "kind": rec.statistic, "reason": _no_check_reason(rec)})
    out = pd.DataFrame(rows, columns=COLUMNS)
    # a check some of whose groups cannot be formed cannot run at all
    bad = out.dropna(subset=["reason"]).groupby("id")["reason"].first()
    out.loc[out["id"].isin(bad.index) & out["reason"].isna(), "reason"] = out["id"].map(bad)
    return out


def not_recomputed(results: ResultSet) -> dict[str, str]:
    """Record id -> why the R check does not recompute it."""
    f = checks_frame(results).dropna(subset=["reason"])
    return dict(zip(f["id"], f["reason"]))


__all__ = ["R_SCRIPT", "checks_frame", "not_recomputed"]
