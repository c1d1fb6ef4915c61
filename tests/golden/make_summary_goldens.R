# Reference values for mabseq's gtsummary-convention summary tables (mabseq.studies.summary_table), from R's stats
# functions on survival::lung: the statistics gtsummary 2.1 computes for tbl_summary(by =) |> add_overall() |>
# add_p() with its defaults (reporting-conventions.md 1.1-1.2), computed here with base R directly:
#   - median (Q1, Q3): quantile(type = 2), missing values left out;
#   - n (%): the percentage of the non-missing values; 'Unknown': the count of missing values;
#   - p-value: wilcox.test (2 groups) or kruskal.test (> 2) for continuous variables; for categorical ones
#     chisq.test(correct = FALSE) when every expected count is >= 5, otherwise fisher.test.
# Rows with a missing 'by' value are left out first, as gtsummary does.
#
# Regenerate (from the repository root):
#   apt-get install -y r-base-core r-cran-survival
#   Rscript tests/golden/make_summary_goldens.R
# Writes tests/golden/data/lung_summary.csv (the input) and tests/golden/summary_table_goldens.csv
# (id, value, test: ids as mabseq names its records; numbers with 17 significant digits).
suppressPackageStartupMessages(library(survival))

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))

d <- survival::lung
d <- data.frame(patient_id = sprintf("L%03d", seq_len(nrow(d))), inst = d$inst, age = d$age, sex = d$sex,
                ph_ecog = d$ph.ecog, ph_karno = d$ph.karno, pat_karno = d$pat.karno, meal_cal = d$meal.cal,
                wt_loss = d$wt.loss, status = d$status)
out <- d
for (nm in names(out)) if (is.numeric(out[[nm]])) out[[nm]] <- fmt(out[[nm]])
write.csv(out, file.path(here, "data", "lung_summary.csv"), row.names = FALSE, quote = TRUE)

slug <- function(s) gsub("^_+|_+$", "", gsub("[^a-z0-9]+", "_", tolower(as.character(s))))
rows <- list()
put <- function(id, value, test = "") {
  rows[[length(rows) + 1]] <<- data.frame(id = id, value = fmt(as.numeric(value)), test = test)
}

# table id, by column, group names (value -> column name), continuous and categorical variables
cases <- list(
  list(tab = "bysex", by = "sex", groups = c("1" = "m", "2" = "f"),
       cont = c("age", "inst", "meal_cal", "wt_loss"), cat = c("ph_ecog", "ph_karno", "status")),
  list(tab = "byecog", by = "ph_ecog", groups = c("0" = "ecog0", "1" = "ecog1", "2" = "ecog2"),
       cont = c("age", "meal_cal", "wt_loss"), cat = c("sex", "status"))
)
for (cs in cases) {
  dd <- d[!is.na(d[[cs$by]]) & as.character(d[[cs$by]]) %in% names(cs$groups), ]
  g <- factor(as.character(dd[[cs$by]]), levels = names(cs$groups))
  cols <- c(list(overall = rep(TRUE, nrow(dd))), lapply(names(cs$groups), function(v) as.character(g) == v))
  names(cols) <- c("overall", unname(cs$groups))
  for (v in cs$cont) {
    x <- dd[[v]]
    stem <- paste(cs$tab, slug(v), sep = "_")
    for (cn in names(cols)) {
      xs <- x[cols[[cn]]]
      q <- quantile(xs, c(0.5, 0.25, 0.75), type = 2, na.rm = TRUE, names = FALSE)
      put(paste(stem, "median", cn, sep = "_"), q[1]); put(paste(stem, "q1", cn, sep = "_"), q[2])
      put(paste(stem, "q3", cn, sep = "_"), q[3])
      if (any(is.na(x))) put(paste(stem, "unknown", cn, sep = "_"), sum(is.na(xs)))
    }
    ok <- !is.na(x)
    if (nlevels(g) == 2) {
      p <- suppressWarnings(wilcox.test(x[ok] ~ g[ok])$p.value); tst <- "wilcoxon"
    } else {
      p <- kruskal.test(x[ok], g[ok])$p.value; tst <- "kruskal"
    }
    put(paste(stem, "p", sep = "_"), p, tst)
  }
  for (v in cs$cat) {
    x <- dd[[v]]
    stem <- paste(cs$tab, slug(v), sep = "_")
    levs <- sort(unique(x[!is.na(x)]))
    for (cn in names(cols)) {
      xs <- x[cols[[cn]]]
      den <- sum(!is.na(xs))
      for (lv in levs) {
        n <- sum(xs == lv, na.rm = TRUE)
        put(paste(stem, slug(lv), "n", cn, sep = "_"), n)
        put(paste(stem, slug(lv), "pct", cn, sep = "_"), if (den > 0) 100 * n / den else NA)
      }
      if (any(is.na(x))) put(paste(stem, "unknown", cn, sep = "_"), sum(is.na(xs)))
    }
    tab <- table(factor(x, levels = levs), g)
    tab <- tab[rowSums(tab) > 0, colSums(tab) > 0, drop = FALSE]
    expected <- outer(rowSums(tab), colSums(tab)) / sum(tab)
    if (min(expected) >= 5) {
      p <- chisq.test(tab, correct = FALSE)$p.value; tst <- "chisq"
    } else {
      p <- fisher.test(tab, workspace = 2e8)$p.value; tst <- "fisher"
    }
    put(paste(stem, "p", sep = "_"), p, tst)
  }
}
res <- do.call(rbind, rows)
write.csv(res, file.path(here, "summary_table_goldens.csv"), row.names = FALSE, quote = TRUE)
cat(sprintf("wrote %d values\n", nrow(res)))
