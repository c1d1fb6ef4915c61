"""The synthetic twin: regenerated identically, recovered by the derivations, and faithful to the paper."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from mabseq.cohort import load_cohort
from mabseq.studies.twin import build_twin, design, twin_folder

pytestmark = pytest.mark.skipif(not (twin_folder() / "patients.csv").exists(),
                                reason="the bundled twin is not built yet")

# published ids the twin does not reproduce, each with the reason (kept empty unless documented in docs/TWIN.md)
KNOWN_MISSES: dict[str, str] = {}  # none: every published number the plan asserts is reproduced


@pytest.fixture(scope="module")
def run():
    from mabseq.studies.run import run_study
    return run_study(None)


def test_bundled_twin_is_the_generated_one(tmp_path):
    from mabseq.studies.twin import write_twin_csv
    write_twin_csv(tmp_path)
    for f in sorted(twin_folder().glob("*.csv")):
        assert f.read_text() == (tmp_path / f.name).read_text(), f.name


def test_twin_validates_without_errors():
    cohort, findings = load_cohort(twin_folder())
    assert not findings.errors, findings.summary_text()
    assert len(cohort["patients"]) == 29


def test_derivations_recover_the_design(run):
    d = design().set_index("pid")
    adsl = run.derived.adsl.set_index("patient_id")
    assert sorted(adsl.index) == sorted(d.index)
    checks = {"seq": str, "days_mab1_mab2": int, "resp_mab1": str, "resp_mab2": str, "interim_lines": int,
              "days_mab2_last": int}
    known: set = set()  # (patient, column) pairs allowed to differ; none
    for col, cast in checks.items():
        got = adsl[col].map(cast)
        want = d[col].map(cast)
        bad = got[(got != want.loc[got.index]) & ~got.index.map(lambda p, c=col: (p, c) in known)]
        assert bad.empty, f"{col}: derived {dict(bad)} vs design {dict(want.loc[bad.index])}"
    tx = d["tx"].map(lambda v: v in ("1", "True", "true"))
    assert (adsl["tx"].astype(bool) == tx.loc[adsl.index]).all()


def test_fidelity(run):
    from mabseq.results import fidelity_table
    fid = fidelity_table(run.results)
    differs = fid[fid["status"] == "differs"]
    unexpected = differs[~differs["id"].isin(KNOWN_MISSES)]
    assert unexpected.empty, unexpected[["id", "published", "computed", "detail"]].to_string()


def test_synth_is_deterministic_and_runs():
    from mabseq.studies import paper
    from mabseq.studies.synth import synthesize
    a = synthesize(60, 3)
    b = synthesize(60, 3)
    for name in a.tables:
        pd.testing.assert_frame_equal(a[name], b[name])
    res, dc = paper.run(a)
    assert len(dc.adsl) + len(dc.excluded) == 60
    assert len(res.curves) >= 5


def test_explain_and_synth_commands(tmp_path):
    from typer.testing import CliRunner

    from mabseq.cli import app
    r = CliRunner().invoke(app, ["explain", "--patient", "T03"])
    assert r.exit_code == 0 and "SYNTHETIC" in r.output and "mAb1 = blinatumomab course" in r.output
    assert CliRunner().invoke(app, ["explain", "--patient", "nobody"]).exit_code == 2
    out = tmp_path / "s.duckdb"
    r = CliRunner().invoke(app, ["synth", "--n", "40", "--seed", "2", "--out", str(out)])
    assert r.exit_code == 0 and out.exists()
    assert CliRunner().invoke(app, ["validate", str(out), "--quiet"]).exit_code == 0


# ---- every published id the twin is expected to match does match (issue 14) ------------------------------------
# `test_fidelity` above only fails on "differs": a result that disappears ("not computed") passed silently. The
# oracle here is the plan, not the code: study-definition 5.3 lists the ids excluded from fidelity (typed here
# from the plan, not imported from results/fidelity.py), 5.4 the ids asserted only under a reading the twin may not
# meet (I24: warn only; I12: only with last-dose dates); every other published id must be "match". The frozen list
# tests/golden/twin_fidelity_matched.txt (631 ids) pins the exact set on top of that.
PLAN_5_3_EXCLUDED = set("""
txt_interim_n txt_interim_pct txt_in_blina_immediately_n disc_ino_next_immediate_pct txt_tx_relapse_n
txt_tx_relapse_pct txt_ntx_died_pd_n t2_cr_ino_pct_nointerim t2_nr_ino_pct_nointerim t2_ph_pos_pct_interim
t3_age_tx_q1 t3_age_tx_q3 disc_sos_pre_tx_n disc_sos_post_tx_n disc_sos_post_tx_timing_n disc_sos_pct
txt_tx_sos_clo_thio_mel_n txt_os_1y_after_mab2_ci_high txt_cart_after_mab2_n txt_bl_ino_total_dose_median
txt_bl_ino_total_dose_min txt_bl_ino_total_dose_max disc_ino_then_blina_consolidation_n
disc_ntx_durable_control_pct disc_ntx_durable_control_months t2_mll_r_p t2_cns_relapse_p t2_cyto_high_p
t2_burden_mab1_p t2_site_mab1_p txt_mrdneg_cr_after_mab1_pct abs_relapsed_n abs_relapsed_pct disc_trm_pct
disc_tx_of_cr_mab2_pct""".split())
PLAN_5_4_CONDITIONAL = {
    # I24: a mismatch warns
    "txt_bl_time_to_relapse_median_cd19pos", "txt_bl_time_to_relapse_median_cd19negdim",
    "txt_bl_time_to_relapse_cd19_p",
    # I12: only when last-dose dates exist; the twin's doses give the median but not the three SOS cases
    "disc_sos_post_tx_time_last_ino_tx_1", "disc_sos_post_tx_time_last_ino_tx_2",
    "disc_sos_post_tx_time_last_ino_tx_3"}
EXPECTED_MATCHED = frozenset(
    (Path(__file__).parent / "golden" / "twin_fidelity_matched.txt").read_text().split())


def _not_matched(fid: pd.DataFrame) -> dict[str, str]:
    """Published ids the plan asserts on the twin that are not 'match', with their status."""
    asserted = fid[~fid["id"].isin(PLAN_5_3_EXCLUDED | PLAN_5_4_CONDITIONAL)]
    bad = asserted[asserted["status"] != "match"]
    return dict(zip(bad["id"], bad["status"]))


def test_every_asserted_published_id_is_matched(run):
    from mabseq.results import fidelity_table
    fid = fidelity_table(run.results)
    assert len(fid) == 671  # published-results.csv: one row per published number
    assert set(fid.loc[fid["status"] == "excluded", "id"]) == PLAN_5_3_EXCLUDED
    assert _not_matched(fid) == {}
    matched = set(fid.loc[fid["status"] == "match", "id"])
    assert len(EXPECTED_MATCHED) == 631
    gone = sorted(EXPECTED_MATCHED - matched)
    assert not gone, f"published ids no longer matched: {dict(fid.set_index('id').loc[gone, 'status'])}"
    new = sorted(matched - EXPECTED_MATCHED)
    assert not new, f"newly matched ids (add them to tests/golden/twin_fidelity_matched.txt): {new}"


def test_a_result_that_disappears_fails_the_match_check(run):
    # the check above can fail: drop one asserted record's value and it reports that id as 'not computed'
    import copy

    from mabseq.results import fidelity_table
    res = copy.deepcopy(run.results)
    rec = next(r for r in res.records.values() if r.paper_ref == "txt_cr_after_blina_mab2_n")
    rec.value = None
    fid = fidelity_table(res)
    assert _not_matched(fid) == {"txt_cr_after_blina_mab2_n": "not computed"}
    assert "txt_cr_after_blina_mab2_n" not in set(fid.loc[fid["status"] == "match", "id"])
    # and today's test_fidelity would not have noticed
    assert fid[fid["status"] == "differs"].empty
