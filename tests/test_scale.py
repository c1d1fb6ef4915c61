"""Scale paths equal the plain ones (issue 16): the parallel derivation equals the serial one on 2,000 synthetic
patients; the vectorized row grouping equals selecting and converting each patient's rows cell by cell."""
from __future__ import annotations

import pandas as pd
import pytest

from mabseq.derive.cohort import derive_cohort
from mabseq.derive.patient_rows import DATE_COLUMNS, PatientData, records_by_patient


@pytest.fixture(scope="module")
def synth2000():
    from mabseq.studies.synth import synthesize
    return synthesize(2000, seed=3)


def test_parallel_derivation_equals_serial(synth2000):
    one, two = derive_cohort(synth2000, workers=1), derive_cohort(synth2000, workers=2)
    assert len(one.adsl) > 1000
    for name in ("adsl", "adtte", "excluded", "timelines", "unknowns"):
        pd.testing.assert_frame_equal(getattr(one, name), getattr(two, name))
    assert {p: d.why for p, d in one.derived.items()} == {p: d.why for p, d in two.derived.items()}


def test_grouped_rows_equal_the_plain_path(synth2000):
    bp = records_by_patient(synth2000)
    cut = synth2000.cutoff.date()
    for pid in list(synth2000.patient_ids)[:200]:
        fast, plain = PatientData(None, pid, cut, bp), PatientData(synth2000, pid, cut)
        for k in ("patient", "therapies", "doses", "assessments", "transplants", "tox", "tox_obs", "events",
                  "follow_up"):
            assert repr(getattr(fast, k)) == repr(getattr(plain, k)), (pid, k)
    assert set(DATE_COLUMNS) <= set(synth2000.tables)
