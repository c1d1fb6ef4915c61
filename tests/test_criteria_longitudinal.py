"""Longitudinal helpers: maximum grade per patient and per episode, onset, first date reaching a threshold."""
from __future__ import annotations

import datetime as dt

from mabseq.criteria import Result, first_date_reaching, max_per_episode, onset_date, summarize_grades


def g(v):
    return Result(v, "test")


D = dt.date


def test_summary_max_onset_and_undetermined():
    dated = [(D(2020, 1, 5), g(2)), (D(2020, 1, 1), g(0)), (D(2020, 1, 3), g(1)), (D(2020, 1, 9), g(None)),
             (D(2020, 1, 7), g(2))]
    s = summarize_grades(dated)
    assert s.max_grade == 2 and s.max_date == D(2020, 1, 5) and s.onset_date == D(2020, 1, 3)
    assert s.n_assessed == 5 and s.n_undetermined == 1
    assert onset_date(dated) == D(2020, 1, 3)
    assert first_date_reaching(dated, 2) == D(2020, 1, 5)
    assert first_date_reaching(dated, 3) is None


def test_all_undetermined_is_not_grade_zero():
    s = summarize_grades([(1, g(None)), (2, g(None))])
    assert s.max_grade is None and s.n_undetermined == 2


def test_episodes_split_on_gaps():
    dated = [(1, g(1)), (2, g(3)), (3, g(0)), (30, g(2)), (31, g(1))]
    eps = max_per_episode(dated, gap=14)
    assert [e.max_grade for e in eps] == [3, 2]
    assert [e.onset_date for e in eps] == [1, 30]
