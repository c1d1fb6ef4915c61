"""The R check recomputes the flow diagram's box counts and the figures' legend n (issue 15: "flow box counts and
legend n in the R check"): each box's count from its definition on adsl.csv (arm, response, interim therapy,
alloHSCT / CAR T cells, and the 'not known' parts), each legend n as the size of the group R forms. Oracle: R on the
released adsl.csv; a patient moved from CR to no response in adsl.csv alone makes the boxes of both responses
disagree."""
from __future__ import annotations

import json
import shutil
import subprocess

import pandas as pd
import pytest

from test_rscript import needs_r, needs_twin


def _rows(stdout: str) -> dict[str, bool]:
    out = {}
    for ln in stdout.splitlines():
        parts = ln.split()
        if len(parts) >= 5 and ("/legend_n/" in parts[0] or parts[0].startswith("flow/")):
            out[parts[0]] = parts[4] == "TRUE"
    return out


@needs_twin
@needs_r
def test_every_flow_box_and_legend_n_is_recomputed_in_r(twin_report, twin_rcheck):
    r = twin_rcheck
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    rows = _rows(r.stdout)
    body = json.loads((twin_report / "results.json").read_text())
    boxes = [b["id"] for b in body["flow"]["boxes"] if b["id"] != "screened"]  # screened = adsl + excluded.csv
    assert boxes and all(rows.get(f"flow/{b}") is True for b in boxes), \
        [b for b in boxes if rows.get(f"flow/{b}") is not True]
    groups = {(c["id"], g) for c in body["curves"] if c["kind"] == "km" and c["id"] != "ext_simon_makuch_tx"
              for g in {s["group"] for s in c["steps"]}}
    assert groups and all(rows.get(f"{cid}/legend_n/{g}") is True for cid, g in groups), \
        sorted(x for x in groups if rows.get(f"{x[0]}/legend_n/{x[1]}") is not True)


@needs_twin
@needs_r
def test_a_patient_moved_in_adsl_breaks_the_flow_boxes(twin_report, tmp_path):
    out = tmp_path / "copy"
    shutil.copytree(twin_report, out)
    adsl = pd.read_csv(out / "adsl.csv", dtype=str, keep_default_na=False)
    i = adsl.index[(adsl["seq"] == "BF") & (adsl["resp_mab1"] == "cr")][0]
    adsl.loc[i, "resp_mab1"] = "nr"
    adsl.to_csv(out / "adsl.csv", index=False)
    r = subprocess.run(["Rscript", "check_in_R.R"], cwd=out, capture_output=True, text=True)
    assert r.returncode == 1
    rows = _rows(r.stdout)
    assert rows["flow/BF_cr1"] is False and rows["flow/BF_nr1"] is False
    assert rows["flow/BF"] is True and rows["flow/BF_mab2"] is True


@needs_twin
@needs_r
@pytest.mark.parametrize("case", ["zero_patients", "no_cr", "all_transplanted", "same_day_deaths", "one_patient",
                                  "no_transplants"])
def test_unusual_cohorts_pass_the_r_check(tmp_path, case):
    """Valid but unusual cohorts (tests/unusual_cohorts.py) pass their own R check: nothing to recompute is no R
    error ('Error in !out$ok' with zero patients); a test mabseq could not compute (every event on one day, nobody
    to compare) is listed, not sent to R; a date nobody has (no relapse after any transplant) is still released as
    its blank *_day column, so the R expressions that use it run (found by review)."""
    from typer.testing import CliRunner
    from unusual_cohorts import write_cohort

    from mabseq.cli import app
    data = write_cohort(case, tmp_path / "cohort")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["run", str(data), "--study", "paper", "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    r = subprocess.run(["Rscript", "check_in_R.R"], cwd=out, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-2000:]
    assert "0 differ" in r.stdout
