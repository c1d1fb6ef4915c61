"""Complexity, not timing (issue 16): the work a stage does grows linearly with the patients. Work is counted as the
Python and C function calls the interpreter makes (``sys.setprofile``: deterministic for a given input, the same on
any machine), at n and 2n patients; a linear stage makes at most ``SLACK`` times twice the calls, a quadratic one
four times. The old ``Builder.tte`` (a set of the present patients rebuilt for every patient) fails the first test.
"""
from __future__ import annotations

import sys

import pandas as pd

from mabseq.results.records import Record, ResultSet
from mabseq.studies.builder import Builder, Pop

SLACK = 1.15  # 2n patients may cost up to 2 x 1.15 the calls of n (fixed costs make it less)


def calls(fn) -> int:
    n = 0

    def prof(frame, event, arg):
        nonlocal n
        if event in ("call", "c_call"):
            n += 1
    sys.setprofile(prof)
    try:
        fn()
    finally:
        sys.setprofile(None)
    return n


def _linear(work, n: int) -> tuple[int, int]:
    a, b = calls(lambda: work(n)), calls(lambda: work(2 * n))
    assert b <= 2 * SLACK * a, f"{n} -> {a} calls, {2 * n} -> {b} calls: more than linear"
    return a, b


def _cohort(n: int):
    ids = [f"P{i:06d}" for i in range(n)]
    adsl = pd.DataFrame({"patient_id": ids})
    adtte = pd.DataFrame({"patient_id": ids * 2, "endpoint": ["os"] * n + ["efs"] * n,
                          "time": [float(i % 400 + 1) for i in range(2 * n)], "status": [i % 2 for i in range(2 * n)],
                          "entry": [None] * (2 * n)})
    return adsl, adtte


def test_time_to_event_rows_of_a_population_are_linear():
    def work(n):
        adsl, adtte = _cohort(n)
        Builder(ResultSet("x"), adtte).tte(Pop("ALL", "all", adsl), "os")
    _linear(work, 2000)


def test_writing_results_is_linear_in_records_and_patients():
    def work(n):
        res = ResultSet("x")
        ids = tuple(f"P{i:06d}" for i in range(n))
        for k in range(20):
            res.add(Record(f"r{k}", k, "n", patients=ids, population="ALL"))
        res.to_json()
        res.to_csv()
    _linear(work, 2000)


def test_deriving_the_cohort_is_linear():
    from mabseq.derive import derive_cohort
    from mabseq.studies.synth import synthesize
    cohorts = {n: synthesize(n, 1) for n in (40, 80)}
    a, b = calls(lambda: derive_cohort(cohorts[40])), calls(lambda: derive_cohort(cohorts[80]))
    assert b <= 2 * SLACK * a, (a, b)


def test_landmark_analysis_is_linear():
    """The landmark analysis (paper_immortal._landmarks): once it rebuilt the set of the population's patients for
    every responder (155 of 258 s at 10,000 patients)."""
    from mabseq.studies.paper_immortal import _landmarks

    def work(n):
        adsl, adtte = _cohort(n)
        d = adtte[adtte["endpoint"] == "os"].reset_index(drop=True)
        switch = {f"P{i:06d}": float(i % 90 + 1) for i in range(0, n, 2)}  # half respond, days 1-90
        _landmarks(Builder(ResultSet("x"), adtte), "ext_x", "x", Pop("ALL", "all", adsl), d, switch,
                   ("without", "with"), "note")
    _linear(work, 1000)


def test_releasing_the_analysis_dataset_is_linear():
    import datetime as dt

    from mabseq.results.release import release_adsl

    def work(n):
        release_adsl(pd.DataFrame({"patient_id": [f"P{i:06d}" for i in range(n)],
                                   "mab1_start": [dt.date(2020, 1, 1)] * n,
                                   "relapse_date": [dt.date(2020, 3, 1) if i % 2 else None for i in range(n)],
                                   "age_mab1": [40.5] * n}))
    _linear(work, 2000)
