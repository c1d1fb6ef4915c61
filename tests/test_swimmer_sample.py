"""The swimmer plot of a large cohort: a stated simple random sample of patients, each with all its rows."""
from __future__ import annotations

import pandas as pd

from mabseq.results.records import ResultSet
from mabseq.studies.flow import set_timelines


def timelines(n: int) -> pd.DataFrame:
    ids = [f"P{i:04d}" for i in range(n)]
    return pd.DataFrame({"patient_id": [p for p in ids for _ in range(3)],
                         "kind": ["therapy", "cr", "alive"] * n, "label": ["blina", "", ""] * n,
                         "start": [0, 30, 100] * n, "end": [28, None, None] * n})


def test_small_cohort_keeps_every_patient_and_states_nothing():
    res = ResultSet("test")
    tl = timelines(200)
    set_timelines(res, tl)
    assert res.timelines is tl and "swimmer_sample" not in res.meta


def test_large_cohort_draws_a_stated_sample_of_whole_patients():
    res = ResultSet("test")
    tl = timelines(1000)
    set_timelines(res, tl, seed=5)
    got = res.timelines
    ids = list(pd.unique(got["patient_id"]))
    assert len(ids) == 200 and ids == sorted(ids)  # the cohort's order
    assert (got.groupby("patient_id").size() == 3).all()  # every row of a sampled patient
    assert res.meta["swimmer_sample"] == {"patients": 200, "of": 1000, "seed": 5, "method":
                                          "simple random sample without replacement (numpy default_rng)"}
    again = ResultSet("test")
    set_timelines(again, tl, seed=5)
    assert again.timelines.equals(got)
    other = ResultSet("test")
    set_timelines(other, tl, seed=6)
    assert set(other.timelines["patient_id"]) != set(ids)
    # a sample, not the first 200: the ids spread over the cohort
    assert max(int(i[1:]) for i in ids) > 900 and min(int(i[1:]) for i in ids) < 100


def test_report_states_the_sample():
    from mabseq.render.html import render_html
    from mabseq.studies.run import run_study
    res = run_study().results
    set_timelines(res, res.timelines, max_patients=10, seed=1)
    html = render_html(res)
    assert "Course of 10 patients, a random sample" in html
    assert "A simple random sample of 10 of the 29 patients with a timeline (seed 1)" in html
