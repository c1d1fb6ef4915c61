"""Statistics kernels: arrays in, results out. They know nothing of leukemia.

Survival: :func:`kaplan_meier`, :func:`median_followup`, :func:`logrank_test`.
Competing risks: :func:`cumulative_incidence` (Aalen-Johansen, cmprsk's variance), :func:`gray_test`,
:func:`fine_gray` (crr's sandwich variance).
Regression and time-dependent groups: :func:`cox_ph`, :func:`mantel_byar`, :func:`simon_makuch`.
Table 1 comparisons: :func:`kruskal_wallis`, :func:`wilcoxon_rank_sum`, :func:`chi_square`, :func:`fisher_exact`,
:func:`compare_categorical`. Descriptives: :func:`quantile`, :func:`summarize`, :func:`clopper_pearson`.
Each function's docstring gives its formula and the R function it equals.
"""
from .competing_risks import CumulativeIncidence, cumulative_incidence, gray_test
from .fine_gray import FineGrayResult, fine_gray
from .cox import CoxResult, cox_ph
from .descriptive import Proportion, Summary, clopper_pearson, quantile, summarize
from .group_tests import (
    TEST_LABELS,
    TESTS,
    TestResult,
    chi_square,
    compare_categorical,
    crosstab,
    expected_counts,
    fisher_exact,
    kruskal_wallis,
    wilcoxon_rank_sum,
)
from .kaplan_meier import KaplanMeier, Quantile, kaplan_meier, median_followup
from .logrank import LogRankResult, logrank_test
from .time_dependent import mantel_byar, simon_makuch
from .truncation import QuasiIndependence, quasi_independence_test

__all__ = [
    "KaplanMeier", "Quantile", "kaplan_meier", "median_followup",
    "LogRankResult", "logrank_test",
    "CumulativeIncidence", "cumulative_incidence", "gray_test", "FineGrayResult", "fine_gray",
    "CoxResult", "cox_ph", "mantel_byar", "simon_makuch", "QuasiIndependence", "quasi_independence_test",
    "TestResult", "TEST_LABELS", "TESTS", "kruskal_wallis", "wilcoxon_rank_sum", "chi_square", "fisher_exact",
    "compare_categorical", "expected_counts", "crosstab",
    "quantile", "summarize", "Summary", "clopper_pearson", "Proportion",
]
