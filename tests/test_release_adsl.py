"""adsl.csv at scale: :func:`release_adsl` works column by column; the per-row :func:`release_values` (the rule
each value follows, used by ``explain``) is the oracle, re-assembled here row by row as the release was first
written. The CSV text must be byte-identical."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from mabseq.cohort import load_cohort
from mabseq.derive import derive_cohort
from mabseq.results.release import DATE_ORIGIN, day_name, is_date, release_adsl, release_values
from mabseq.studies.run import _csv
from mabseq.studies.synth import synthesize

ROOT = Path(__file__).resolve().parents[1]


def by_rows(adsl: pd.DataFrame) -> pd.DataFrame:
    """The row-by-row release: each row through release_values, date columns renamed to *_day, whole days."""
    date_cols = {c for c in adsl.columns if c.endswith("_date") or c == "mab2_start" or
                 any(is_date(v) for v in adsl[c])}
    rows = []
    for rec in adsl.to_dict("records"):
        r = release_values(rec)
        for c in date_cols - {DATE_ORIGIN}:
            if c in r:
                r[day_name(c)] = r.pop(c)
        rows.append(r)
    order = []
    for c in adsl.columns:
        name = day_name(c) if c in date_cols else c
        if name in rows[0] and name not in order:
            order.append(name)
    out = pd.DataFrame(rows, columns=order)
    for c in date_cols - {DATE_ORIGIN}:
        out[day_name(c)] = out[day_name(c)].astype("Int64")
    return out


@pytest.mark.parametrize("source", ["twin", "synthetic", "corpus"])
def test_column_release_equals_row_release(source):
    if source == "twin":
        cohort, _ = load_cohort(ROOT / "src" / "mabseq" / "data" / "twin")
    elif source == "synthetic":
        cohort = synthesize(400, 7)
    else:
        cohort, _ = load_cohort(ROOT / "tests" / "cohort_corpus" / "valid")
    adsl = derive_cohort(cohort).adsl
    assert _csv(release_adsl(adsl)) == _csv(by_rows(adsl))


def test_hand_made_frame_without_an_origin():
    """No mab1_start column: dates cannot become days (blank); ages floor; vocabulary text mapped."""
    adsl = pd.DataFrame({"patient_id": ["a", "b"], "age_mab1": [40.99, None],
                         "relapse_date": [dt.date(2020, 1, 2), None], "n": [1, 2]})
    got = release_adsl(adsl)
    assert list(got.columns) == ["patient_id", "age_mab1", "relapse_day", "n"]
    assert got["age_mab1"].tolist()[0] == 40 and pd.isna(got["relapse_day"]).all()
    assert _csv(got) == _csv(by_rows(adsl))
