"""The immortal-time analyses of groups formed after the origin (studies/paper_immortal.py, study-definition 6.1):
hand-worked pieces, and every number of the twin's CR-to-inotuzumab and CR-to-salvage analyses recomputed in R
(tests/r/immortal_time_check.R: coxph on (start, stop] intervals, survdiff and survfit from the landmark)."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mabseq.derive import derive_cohort
from mabseq.studies.paper import populations, run
from mabseq.studies.paper_immortal import counting_process, landmark_days
from mabseq.studies.twin import load_twin

R_SCRIPT = Path(__file__).parent / "r" / "immortal_time_check.R"


def test_counting_process_by_hand():
    # A dies at 100 after a CR on day 30: (0,30] without, event 0; (30,100] with, event 1
    # B censored at 50, CR on day 60 (after the end): all (0,50] without
    # C dies at 20, no CR: (0,20] without, event 1
    d = pd.DataFrame({"patient_id": ["A", "B", "C"], "time": [100, 50, 20], "status": [1, 0, 1]})
    start, stop, event, group, _ = counting_process(d, {"A": 30.0, "B": 60.0}, ("no", "yes"))
    assert start.tolist() == [0, 30, 0, 0] and stop.tolist() == [30, 100, 50, 20]
    assert event.tolist() == [0, 1, 0, 1] and group.tolist() == ["no", "yes", "no", "no"]


def test_landmark_days_by_hand():
    # days to response 10, 20, 30, 40: type-7 quantiles 25 (median), 32.5 (75th), 37 (90th) -> rounded up to
    # multiples of 7: 28, 35, 42; chosen 35 when both groups are big enough, else the median 28
    days = np.array([10, 20, 30, 40], float)
    chosen, marks = landmark_days(days, lambda L: [5, 5], 5)
    assert chosen == 35 and marks == [28, 30, 35, 42, 60, 90, 180]
    chosen, _ = landmark_days(days, lambda L: [4, 9], 5)
    assert chosen == 28


@pytest.fixture(scope="module")
def twin_run():
    c = load_twin()
    res, dc = run(c, synthetic=True)
    return res, dc


def _r_values(tmp_path: Path, frame: pd.DataFrame) -> dict[str, float]:
    f = tmp_path / "d.csv"
    frame.to_csv(f, index=False)
    out = subprocess.run(["Rscript", str(R_SCRIPT), str(f)], capture_output=True, text=True, check=True).stdout
    return {k: float(v) for k, v in (line.split(",") for line in out.splitlines() if line)}


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed (make test installs it)")
@pytest.mark.parametrize("stem, pop, date, had", [
    ("cr_ino", "BF", "resp_mab2_date", lambda f: f["resp_mab2"] == "cr"),
    ("salvage_cr", "NTX-SALV", "salvage_cr_date", lambda f: f["salvage_cr"] == True),  # noqa: E712
])
def test_every_number_equals_r(twin_run, tmp_path, stem, pop, date, had):
    res, dc = twin_run
    P = populations(dc.adsl)
    f = P[pop].frame
    tte = dc.adtte[dc.adtte["endpoint"] == "os_mab2"][["patient_id", "time", "status"]]
    # the response date; a CR held from an MRD-negative start counts from day 0 (the start of mAb2)
    held = (f["resp_mab2"] == "cr") & (f["state_mab2"] == "cr_mrd_negative") if stem == "cr_ino" else False
    resp = np.where(held, f["mab2_start"], np.where(had(f), f[date], None))
    frame = f[["patient_id", "mab2_start"]].assign(resp_date=resp).merge(tte, on="patient_id")
    r = _r_values(tmp_path, frame)
    compared = 0
    for name, v in r.items():
        rec = res.records[f"ext_{stem}_{name}"]
        assert rec.value is not None, name
        assert rec.value == pytest.approx(v, rel=1e-8), name
        compared += 1
    # R computed the Cox model where there are >= 10 events, and at least the chosen landmark's counts
    assert compared >= 9, r
    print(f"{stem}: {compared} values equal R")
