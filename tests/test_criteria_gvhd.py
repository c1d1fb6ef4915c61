"""Acute GVHD staging and grading (clinical-criteria spec section 1): every table row, both sides of each boundary,
the MAGIC-vs-Keystone differences (a)-(e) of spec 1.4, the section-10 vectors, and missing-input behaviour."""
from __future__ import annotations

import itertools

import pytest
from hypothesis import given, strategies as st

from mabseq.criteria.gvhd import (
    KEYSTONE,
    MAGIC,
    agvhd_grade,
    gut_stage,
    liver_stage,
    lower_gi_stage,
    magic_daily_stool_ml,
    magic_staging_stool_ml,
    overall_grade,
    skin_stage,
    upper_gi_stage,
)
from mabseq.criteria.result import Result

BOTH = (KEYSTONE, MAGIC)
NO_GI4 = dict(severe_abdominal_pain=False, grossly_bloody_stool=False)
KS_GUT_CLEAN = dict(severe_abdominal_pain=False, persistent_nausea_vomiting_anorexia=False)


# ---- skin -----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ruleset", BOTH)
@pytest.mark.parametrize("rash,erythro,bullae,expected", [
    (0, False, 0, 0),        # no active rash
    (0.5, False, 0, 1),
    (24.9, False, 0, 1),     # < 25%
    (25, False, 0, 2),       # 25% is stage 2
    (50, False, 0, 2),       # 50% is still stage 2
    (50.1, False, 0, 3),     # > 50%
    (80, None, 0, 3),        # > 50% is the erythroderma surrogate
    (None, True, 0, 3),      # generalized erythroderma, no bullae
    (90, True, 20, 4),       # erythroderma with extensive bullae: stage 4 under both
])
def test_skin_rows_common(ruleset, rash, erythro, bullae, expected):
    r = skin_stage(rash, erythro, bullae, ruleset=ruleset)
    assert r.value == expected and r.ruleset == ruleset and r.missing_inputs == ()


@pytest.mark.parametrize("bullae,keystone,magic", [
    (0.0, 3, 3),
    (1.0, 4, 3),   # difference (d): Keystone needs any bullae, MAGIC > 5% BSA
    (5.0, 4, 3),   # exactly 5% is not > 5%
    (5.1, 4, 4),
])
def test_skin_stage4_bullae_threshold(bullae, keystone, magic):
    assert skin_stage(60, True, bullae, ruleset=KEYSTONE).value == keystone
    assert skin_stage(60, True, bullae, ruleset=MAGIC).value == magic


def test_skin_bullae_threshold_parameter():
    assert skin_stage(60, True, 3.0, ruleset=MAGIC, magic_bullae_bsa_gt=2.0).value == 4


def test_skin_missing_inputs():
    r = skin_stage(None, True, None)
    assert r.value is None and r.missing_inputs == ("bullae_desquamation_bsa_pct",)
    assert "possible stages: 3, 4" in r.flags
    # rash known and <= 50%: erythroderma and bullae cannot matter
    r = skin_stage(10, None, None)
    assert r.value == 1 and r.missing_inputs == ()
    r = skin_stage()
    assert r.value is None and set(r.missing_inputs) >= {"rash_bsa_pct", "generalized_erythroderma"}
    r = skin_stage(assume_missing_normal=True)
    assert r.value == 0 and any("assumed normal" in f for f in r.flags)


def test_skin_rejects_bad_percentages():
    with pytest.raises(ValueError):
        skin_stage(120)
    with pytest.raises(ValueError):
        skin_stage(10, ruleset="Glucksberg-1974")


# ---- liver ----------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ruleset", BOTH)
@pytest.mark.parametrize("bili,expected", [
    (0.4, 0), (1.99, 0),
    (2.0, 1), (2.5, 1), (3.0, 1),     # 2.0 <= b <= 3.0
    (3.01, 2), (6.0, 2),              # 3.0 < b <= 6.0
    (6.01, 3), (15.0, 3),             # 6.0 < b <= 15.0
    (15.01, 4), (30.0, 4),            # b > 15.0
])
def test_liver_bands(ruleset, bili, expected):
    r = liver_stage(bili, ruleset=ruleset)
    assert r.value == expected and r.ruleset == ruleset


@pytest.mark.parametrize("ruleset", BOTH)
def test_liver_not_attributed_to_gvhd(ruleset):
    r = liver_stage(8.0, ruleset=ruleset, liver_gvhd_attributed=False)
    assert r.value == 0
    assert liver_stage(None, ruleset=ruleset, liver_gvhd_attributed=False).value == 0


@pytest.mark.parametrize("bili,other,downgrade,ruleset,expected", [
    (4.0, True, False, KEYSTONE, 2),   # option off by default
    (4.0, True, True, KEYSTONE, 1),    # 1994 footnote: down one stage
    (4.0, False, True, KEYSTONE, 2),
    (16.0, True, True, KEYSTONE, 3),
    (2.0, True, True, KEYSTONE, 0),
    (1.0, True, True, KEYSTONE, 0),    # never below 0
    (4.0, True, True, MAGIC, 2),       # difference (e): MAGIC never downgrades
    (4.0, True, False, MAGIC, 2),
])
def test_liver_other_cause_downgrade(bili, other, downgrade, ruleset, expected):
    r = liver_stage(bili, ruleset=ruleset, other_cause_hyperbilirubinemia=other,
                    keystone_downgrade_other_cause=downgrade)
    assert r.value == expected
    if ruleset == MAGIC and downgrade:
        assert any("ignored" in f for f in r.flags)


def test_liver_downgrade_needs_the_other_cause_input():
    r = liver_stage(4.0, keystone_downgrade_other_cause=True)
    assert r.value is None and r.missing_inputs == ("other_cause_hyperbilirubinemia",)
    # stage 0 cannot be downgraded: the input does not matter
    assert liver_stage(1.0, keystone_downgrade_other_cause=True).value == 0


def test_liver_missing_bilirubin():
    r = liver_stage(None)
    assert r.value is None and r.missing_inputs == ("bilirubin_mg_dl",)
    r = liver_stage(4.0, liver_gvhd_attributed=None)
    assert r.value is None and r.missing_inputs == ("liver_gvhd_attributed",)


# ---- MAGIC lower GI -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ml,expected", [
    (0, 0), (499, 0), (500, 1), (999, 1), (1000, 2), (1500, 2), (1501, 3), (3000, 3),
])
def test_magic_lower_gi_adult_volume(ml, expected):
    assert lower_gi_stage(ml, weight_kg=70, **NO_GI4).value == expected


@pytest.mark.parametrize("episodes,expected", [(0, 0), (2, 0), (3, 1), (4, 1), (5, 2), (7, 2), (8, 3), (12, 3)])
def test_magic_lower_gi_adult_episodes(episodes, expected):
    assert lower_gi_stage(stool_episodes_per_day=episodes, weight_kg=70, **NO_GI4).value == expected


@pytest.mark.parametrize("ml_kg,expected", [(0, 0), (9.9, 0), (10, 1), (19.9, 1), (20, 2), (30, 2), (30.1, 3)])
def test_magic_lower_gi_child_ml_per_kg(ml_kg, expected):
    assert lower_gi_stage(stool_ml_per_kg_per_day=ml_kg, weight_kg=30, **NO_GI4).value == expected


@pytest.mark.parametrize("episodes,expected", [(3, 0), (4, 1), (6, 1), (7, 2), (10, 2), (11, 3)])
def test_magic_lower_gi_child_episodes(episodes, expected):
    assert lower_gi_stage(stool_episodes_per_day=episodes, weight_kg=30, **NO_GI4).value == expected


@pytest.mark.parametrize("kwargs,expected", [
    (dict(stool_ml_per_day=0, severe_abdominal_pain=True, grossly_bloody_stool=False), 4),
    (dict(stool_ml_per_day=0, severe_abdominal_pain=False, grossly_bloody_stool=True), 4),
    (dict(stool_ml_per_day=0, severe_abdominal_pain=False, grossly_bloody_stool=False, ileus=True), 0),
    (dict(stool_ml_per_day=600, stool_episodes_per_day=8, **NO_GI4), 3),    # max of volume and episodes
    (dict(stool_ml_per_day=1600, stool_episodes_per_day=1, **NO_GI4), 3),
    (dict(stool_ml_per_day=400, lower_gi_biopsy_positive=True, **NO_GI4), 0),  # biopsy alone: stays 0
])
def test_magic_lower_gi_stage4_and_combinations(kwargs, expected):
    assert lower_gi_stage(weight_kg=70, **kwargs).value == expected


def test_magic_lower_gi_child_volume_conversion():
    # 600 mL/day at 30 kg = 20 mL/kg/day: child stage 2 (the adult table would say 1)
    assert lower_gi_stage(600, weight_kg=30, **NO_GI4).value == 2
    assert lower_gi_stage(600, weight_kg=70, **NO_GI4).value == 1


@pytest.mark.parametrize("weight,inclusive,expected", [
    (50.0, True, 1),    # >= 50 kg: adult, 3 episodes = stage 1
    (50.0, False, 0),   # PDQ "> 50 kg": 50 kg is a child, 3 episodes = stage 0
    (49.9, True, 0),
    (50.1, False, 1),
])
def test_magic_adult_child_weight_boundary(weight, inclusive, expected):
    r = lower_gi_stage(stool_episodes_per_day=3, weight_kg=weight, gi_adult_weight_inclusive=inclusive, **NO_GI4)
    assert r.value == expected


def test_magic_lower_gi_missing():
    # weight unknown: 1000 mL/day is stage 2 for an adult but stage 3 for a child
    r = lower_gi_stage(1000, **NO_GI4)
    assert r.value is None and r.missing_inputs == ("weight_kg",)
    assert lower_gi_stage(1000, gi_table="adult", **NO_GI4).value == 2
    assert lower_gi_stage(0, **NO_GI4).value == 0  # no weight can change zero output
    # stage-4 findings unknown
    r = lower_gi_stage(600, weight_kg=70, severe_abdominal_pain=False)
    assert r.value is None and r.missing_inputs == ("grossly_bloody_stool",)
    # stage 4 known: volume does not matter
    assert lower_gi_stage(weight_kg=70, severe_abdominal_pain=True).value == 4
    r = lower_gi_stage(weight_kg=70, **NO_GI4)
    assert r.value is None and r.missing_inputs == ("stool_ml_per_day or stool_episodes_per_day",)
    assert lower_gi_stage(weight_kg=70, assume_missing_normal=True).value == 0


# ---- MAGIC upper GI -------------------------------------------------------------------------------------------
@pytest.mark.parametrize("nva,biopsy,requires,expected", [
    (False, None, False, 0),
    (True, None, False, 1),      # MAGIC: no biopsy needed
    (True, False, False, 1),
    (True, False, True, 0),      # COG/PDQ variant
    (True, True, True, 1),
    (True, None, True, None),
    (None, None, False, None),
])
def test_magic_upper_gi(nva, biopsy, requires, expected):
    r = upper_gi_stage(nva, upper_gi_biopsy_positive=biopsy, magic_upper_gi_requires_biopsy=requires)
    assert r.value == expected and r.ruleset == MAGIC
    if expected is None:
        assert r.missing_inputs


# ---- Keystone gut ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize("ml,strict,expected", [
    (499, False, 0), (500, False, 1), (999, False, 1), (1000, False, 2), (1500, False, 2), (1501, False, 3),
    (500, True, 0), (501, True, 1), (1000, True, 1), (1001, True, 2), (1500, True, 2), (1501, True, 3),
])
def test_keystone_gut_volume_edges(ml, strict, expected):
    r = gut_stage(ml, weight_kg=70, keystone_strict_gt=strict, **KS_GUT_CLEAN)
    assert r.value == expected and r.ruleset == KEYSTONE


@pytest.mark.parametrize("kwargs,expected", [
    (dict(stool_ml_per_day=0, severe_abdominal_pain=True, persistent_nausea_vomiting_anorexia=False), 4),
    (dict(stool_ml_per_day=0, severe_abdominal_pain=False, persistent_nausea_vomiting_anorexia=True,
          upper_gi_biopsy_positive=True), 1),
    (dict(stool_ml_per_day=0, severe_abdominal_pain=False, persistent_nausea_vomiting_anorexia=True,
          upper_gi_biopsy_positive=False), 0),
    (dict(stool_ml_per_day=1200, severe_abdominal_pain=False, persistent_nausea_vomiting_anorexia=True,
          upper_gi_biopsy_positive=True), 2),
    (dict(stool_ml_per_day=0, grossly_bloody_stool=True, **KS_GUT_CLEAN), 0),   # not a Keystone criterion
])
def test_keystone_gut_rows(kwargs, expected):
    assert gut_stage(weight_kg=70, **kwargs).value == expected


def test_keystone_gut_nausea_without_histology_is_undetermined():
    r = gut_stage(0, weight_kg=70, severe_abdominal_pain=False, persistent_nausea_vomiting_anorexia=True)
    assert r.value is None and r.missing_inputs == ("upper_gi_biopsy_positive",)


@pytest.mark.parametrize("ml,other,downgrade,pain,expected", [
    (1200, True, False, False, 2),
    (1200, True, True, False, 1),
    (1200, False, True, False, 2),
    (600, True, True, False, 0),
    (1200, True, True, True, 4),   # the downgrade applies to the diarrhea volume, not to pain
])
def test_keystone_gut_downgrade(ml, other, downgrade, pain, expected):
    r = gut_stage(ml, weight_kg=70, severe_abdominal_pain=pain, persistent_nausea_vomiting_anorexia=False,
                  other_cause_diarrhea=other, keystone_downgrade_other_cause=downgrade)
    assert r.value == expected


def test_keystone_gut_episodes_are_not_a_criterion():
    r = gut_stage(stool_episodes_per_day=8, weight_kg=70, **KS_GUT_CLEAN)
    assert r.value is None and r.missing_inputs == ("stool_ml_per_day",)
    assert any("episodes" in f for f in r.flags)


@pytest.mark.parametrize("child_gi,expected", [("ml_per_kg", 2), ("adult", 1)])
def test_keystone_child_gut(child_gi, expected):
    # 600 mL/day at 30 kg: 20 mL/kg/day (MAGIC/COG child band 2) or the adult 500-999 band (1)
    r = gut_stage(600, weight_kg=30, keystone_child_gi=child_gi, **KS_GUT_CLEAN)
    assert r.value == expected


# ---- overall grade --------------------------------------------------------------------------------------------
@pytest.mark.parametrize("skin,liver,gut,expected", [
    (0, 0, 0, 0),
    (1, 0, 0, 1), (2, 0, 0, 1),
    (3, 0, 0, 2), (0, 1, 0, 2), (0, 0, 1, 2), (3, 1, 1, 2), (2, 1, 0, 2),
    (0, 2, 0, 3), (0, 3, 0, 3), (0, 0, 2, 3), (0, 0, 3, 3), (0, 0, 4, 3), (3, 3, 4, 3),
    (4, 0, 0, 4), (0, 4, 0, 4), (4, 0, 4, 4), (1, 4, 1, 4),
])
def test_keystone_grade_rows(skin, liver, gut, expected):
    r = agvhd_grade(ruleset=KEYSTONE, skin=skin, liver=liver, gut=gut)
    assert r.value == expected and r.missing_inputs == ()
    assert overall_grade(ruleset=KEYSTONE, skin=skin, liver=liver, gut=gut) == expected


@pytest.mark.parametrize("skin,liver,upper,lower,expected", [
    (0, 0, 0, 0, 0),
    (1, 0, 0, 0, 1), (2, 0, 0, 0, 1),
    (3, 0, 0, 0, 2), (0, 1, 0, 0, 2), (0, 0, 1, 0, 2), (0, 0, 0, 1, 2), (2, 0, 1, 0, 2),
    (0, 2, 0, 0, 3), (0, 3, 0, 0, 3), (0, 0, 0, 2, 3), (0, 0, 0, 3, 3), (3, 1, 1, 3, 3),
    (4, 0, 0, 0, 4), (0, 4, 0, 0, 4), (0, 0, 0, 4, 4), (0, 0, 1, 4, 4),
])
def test_magic_grade_rows(skin, liver, upper, lower, expected):
    r = agvhd_grade(ruleset=MAGIC, skin=skin, liver=liver, upper_gi=upper, lower_gi=lower)
    assert r.value == expected and r.missing_inputs == ()


_KS_CONTRIB = {"skin": (0, 1, 1, 2, 4), "liver": (0, 2, 3, 3, 4), "gut": (0, 2, 3, 3, 3)}
_MG_CONTRIB = {"skin": (0, 1, 1, 2, 4), "liver": (0, 2, 3, 3, 4), "upper": (0, 2), "lower": (0, 2, 3, 3, 4)}


def test_grades_equal_max_of_organ_contributions_exhaustively():
    """Independent formulation: the 1994 table gives the minimum organ involvement conferring each grade, so the
    overall grade is the maximum of what each organ alone confers."""
    for s, l, g in itertools.product(range(5), repeat=3):
        want = max(_KS_CONTRIB["skin"][s], _KS_CONTRIB["liver"][l], _KS_CONTRIB["gut"][g])
        assert overall_grade(ruleset=KEYSTONE, skin=s, liver=l, gut=g) == want
    for s, l, u, lo in itertools.product(range(5), range(5), range(2), range(5)):
        want = max(_MG_CONTRIB["skin"][s], _MG_CONTRIB["liver"][l], _MG_CONTRIB["upper"][u], _MG_CONTRIB["lower"][lo])
        assert overall_grade(ruleset=MAGIC, skin=s, liver=l, upper_gi=u, lower_gi=lo) == want


@given(st.integers(0, 4), st.integers(0, 4), st.integers(0, 4), st.integers(0, 4))
def test_keystone_grade_monotone_in_each_organ(skin, liver, gut, bump):
    base = overall_grade(ruleset=KEYSTONE, skin=skin, liver=liver, gut=gut)
    for k in ("skin", "liver", "gut"):
        stages = dict(skin=skin, liver=liver, gut=gut)
        stages[k] = max(stages[k], bump)
        assert overall_grade(ruleset=KEYSTONE, **stages) >= base


# ---- spec 1.4 differences (a)-(e) and the section-10 vectors ---------------------------------------------------
def test_difference_a_lower_gi_stage4_section10_vector():
    """Section 10: skin 0, liver 0, lower GI 4 -> MAGIC IV, Keystone III."""
    assert agvhd_grade(ruleset=MAGIC, skin=0, liver=0, upper_gi=0, lower_gi=4).value == 4
    assert agvhd_grade(ruleset=KEYSTONE, skin=0, liver=0, gut=4).value == 3
    raw = dict(rash_bsa_pct=0, bilirubin_mg_dl=0.5, stool_ml_per_day=200, weight_kg=70, severe_abdominal_pain=True,
               grossly_bloody_stool=False, persistent_nausea_vomiting_anorexia=False)
    assert agvhd_grade(ruleset=MAGIC, **raw).value == 4
    assert agvhd_grade(ruleset=KEYSTONE, **raw).value == 3


def test_section10_1000_ml_magic_2_keystone_strict_1():
    assert lower_gi_stage(1000, weight_kg=70, **NO_GI4).value == 2
    assert gut_stage(1000, weight_kg=70, keystone_strict_gt=True, **KS_GUT_CLEAN).value == 1
    assert gut_stage(1000, weight_kg=70, **KS_GUT_CLEAN).value == 2  # Keystone with the default MAGIC edges


@pytest.mark.parametrize("ruleset,biopsy,expected", [
    (MAGIC, None, 2),      # MAGIC: upper GI stage 1 on symptoms -> grade II
    (KEYSTONE, False, 0),  # Keystone: nausea without histology is not staged
    (KEYSTONE, True, 2),   # with histology: gut stage 1 -> grade II
    (KEYSTONE, None, None),
])
def test_difference_b_upper_gi(ruleset, biopsy, expected):
    r = agvhd_grade(ruleset=ruleset, rash_bsa_pct=0, bilirubin_mg_dl=1.0, stool_ml_per_day=0, weight_kg=70,
                    severe_abdominal_pain=False, grossly_bloody_stool=False,
                    persistent_nausea_vomiting_anorexia=True, upper_gi_biopsy_positive=biopsy)
    assert r.value == expected


def test_difference_c_episodes_and_child_bands():
    kw = dict(skin=0, liver=0, stool_episodes_per_day=8, weight_kg=70, severe_abdominal_pain=False,
              grossly_bloody_stool=False, persistent_nausea_vomiting_anorexia=False)
    assert agvhd_grade(ruleset=MAGIC, **kw).value == 3          # > 7 episodes: lower GI 3
    r = agvhd_grade(ruleset=KEYSTONE, **kw)
    assert r.value is None and r.missing_inputs == ("stool_ml_per_day",)
    # pediatric mL/kg bands under MAGIC: 25 mL/kg/day at 30 kg is stage 2 -> grade III
    assert agvhd_grade(ruleset=MAGIC, skin=0, liver=0, upper_gi=0, stool_ml_per_kg_per_day=25, weight_kg=30,
                       severe_abdominal_pain=False, grossly_bloody_stool=False).value == 3


def test_difference_d_skin_bullae():
    kw = dict(liver=0, rash_bsa_pct=70, generalized_erythroderma=True, bullae_desquamation_bsa_pct=3)
    assert agvhd_grade(ruleset=KEYSTONE, gut=0, **kw).value == 4
    assert agvhd_grade(ruleset=MAGIC, upper_gi=0, lower_gi=0, **kw).value == 2


def test_difference_e_other_cause_downgrade():
    kw = dict(skin=0, bilirubin_mg_dl=4.0, other_cause_hyperbilirubinemia=True, keystone_downgrade_other_cause=True)
    assert agvhd_grade(ruleset=KEYSTONE, gut=0, **kw).value == 2     # liver 2 -> 1: grade II
    assert agvhd_grade(ruleset=MAGIC, upper_gi=0, lower_gi=0, **kw).value == 3  # no downgrade: grade III


def test_paper_i18_severe_cases_need_skin4_for_grade_iv():
    # Keystone: stage 3 lower GI or stage 3 liver alone is grade III; with skin 4 it is grade IV
    assert agvhd_grade(skin=1, liver=0, gut=3).value == 3
    assert agvhd_grade(skin=0, liver=3, gut=0).value == 3
    assert agvhd_grade(skin=4, liver=0, gut=3).value == 4


# ---- grade from raw inputs, missing organs, recorded grade ------------------------------------------------------
@pytest.mark.parametrize("ruleset,raw,expected", [
    (KEYSTONE, dict(rash_bsa_pct=30, bilirubin_mg_dl=1.0, stool_ml_per_day=100), 1),
    (KEYSTONE, dict(rash_bsa_pct=30, bilirubin_mg_dl=2.0, stool_ml_per_day=100), 2),
    (KEYSTONE, dict(rash_bsa_pct=30, bilirubin_mg_dl=1.0, stool_ml_per_day=500), 2),
    (KEYSTONE, dict(rash_bsa_pct=30, bilirubin_mg_dl=1.0, stool_ml_per_day=500, keystone_strict_gt=True), 1),
    (KEYSTONE, dict(rash_bsa_pct=60, bullae_desquamation_bsa_pct=0, bilirubin_mg_dl=3.0, stool_ml_per_day=1000,
                    keystone_strict_gt=True), 2),
    (KEYSTONE, dict(rash_bsa_pct=60, bullae_desquamation_bsa_pct=0, bilirubin_mg_dl=3.01, stool_ml_per_day=100), 3),
    (KEYSTONE, dict(rash_bsa_pct=0, bilirubin_mg_dl=15.01, stool_ml_per_day=100), 4),
    (MAGIC, dict(rash_bsa_pct=30, bilirubin_mg_dl=1.0, stool_ml_per_day=499), 1),
    (MAGIC, dict(rash_bsa_pct=30, bilirubin_mg_dl=1.0, stool_ml_per_day=500), 2),
    (MAGIC, dict(rash_bsa_pct=30, bilirubin_mg_dl=1.0, stool_ml_per_day=1500), 3),
    (MAGIC, dict(rash_bsa_pct=30, bilirubin_mg_dl=6.0, stool_ml_per_day=100), 3),
    (MAGIC, dict(rash_bsa_pct=30, bilirubin_mg_dl=15.0, stool_ml_per_day=100), 3),
    (MAGIC, dict(rash_bsa_pct=30, bilirubin_mg_dl=15.01, stool_ml_per_day=100), 4),
])
def test_grade_from_raw_inputs(ruleset, raw, expected):
    clean = dict(weight_kg=70, severe_abdominal_pain=False, grossly_bloody_stool=False,
                 persistent_nausea_vomiting_anorexia=False)
    r = agvhd_grade(ruleset=ruleset, **clean, **raw)
    assert r.value == expected and r.missing_inputs == ()


def test_missing_organ_that_can_change_the_grade():
    r = agvhd_grade(skin=1, liver=0)
    assert r.value is None and r.missing_inputs == ("gut_stage",)
    assert "possible grades: I, II, III" in r.flags


def test_missing_organ_that_cannot_change_the_grade():
    r = agvhd_grade(skin=4)
    assert r.value == 4 and r.missing_inputs == ()
    assert any("liver stage undetermined" in f for f in r.flags)
    # liver 2 makes at least III; only skin 4 could make IV, so the gut is not needed
    r = agvhd_grade(liver=2)
    assert r.value is None and r.missing_inputs == ("skin_stage",)


def test_missing_raw_input_is_listed_by_name():
    # > 50% rash without the bullae input: skin could be stage 4 (grade IV)
    r = agvhd_grade(skin=None, rash_bsa_pct=60, liver=0, gut=0)
    assert r.value is None and r.missing_inputs == ("bullae_desquamation_bsa_pct",)
    r = agvhd_grade(skin=0, bilirubin_mg_dl=None, other_cause_hyperbilirubinemia=False, gut=0)
    assert r.value is None and r.missing_inputs == ("bilirubin_mg_dl",)
    r = agvhd_grade(skin=0, liver=0, stool_ml_per_day=300, weight_kg=70, persistent_nausea_vomiting_anorexia=False)
    assert r.value is None and r.missing_inputs == ("severe_abdominal_pain",)


def test_assume_missing_normal_is_explicit():
    r = agvhd_grade(skin=1, assume_missing_normal=True)
    assert r.value == 1
    assert any("assumed normal: liver" in f for f in r.flags) and any("assumed normal: gut" in f for f in r.flags)


def test_recorded_grade_wins_and_disagreement_is_flagged():
    r = agvhd_grade(skin=0, liver=0, gut=3, recorded_grade="IV")
    assert r.value == 4 and r.inputs["computed_grade"] == 3
    assert any("differs" in f for f in r.flags)
    assert agvhd_grade(recorded_grade=2).value == 2


@pytest.mark.parametrize("kwargs", [
    dict(ruleset="Glucksberg-1974", skin=0, liver=0, gut=0),
    dict(ruleset=MAGIC, skin=0, liver=0, gut=0),
    dict(ruleset=KEYSTONE, skin=0, liver=0, lower_gi=0),
    dict(skin=5, liver=0, gut=0),
    dict(ruleset=MAGIC, skin=0, liver=0, upper_gi=2, lower_gi=0),
    dict(skin=0, liver=0, gut=0, recorded_grade="V"),
])
def test_invalid_arguments(kwargs):
    with pytest.raises(ValueError):
        agvhd_grade(**kwargs)


def test_result_type_and_explain_text():
    r = agvhd_grade(ruleset=KEYSTONE, rash_bsa_pct=30, bilirubin_mg_dl=4.0, stool_ml_per_day=100, weight_kg=70,
                    severe_abdominal_pain=False, persistent_nausea_vomiting_anorexia=False)
    assert isinstance(r, Result) and r.rule == "agvhd_grade" and r.ruleset == "Keystone-1994" and r.ruleset_version
    text = r.explain()
    assert "rash_bsa_pct=30" in text and "bilirubin_mg_dl=4" in text and "stool_ml_per_day=100" in text
    assert "liver stage 2" in text and "grade III" in text and text.endswith("result: 3")
    assert isinstance(r.value, int)
    u = agvhd_grade(skin=1, liver=0)
    assert "missing: gut_stage" in u.explain() and u.explain().endswith("result: undetermined")
    s = skin_stage(30, ruleset=MAGIC)
    assert s.ruleset == "MAGIC-2016" and "rash_bsa_pct=30" in s.explain() and s.explain().endswith("result: 2")


# ---- MAGIC data-capture helpers -------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs,expected", [
    (dict(liquid_stool_ml=300, unquantified_liquid_episodes=2, mixed_stool_urine_ml=400, weight_kg=70), 900.0),
    (dict(liquid_stool_ml=0, unquantified_liquid_episodes=2, weight_kg=20), 120.0),   # 3 mL/kg per episode
    (dict(liquid_stool_ml=250), 250.0),
    (dict(unquantified_liquid_episodes=1), None),   # episode size depends on weight
])
def test_magic_daily_stool(kwargs, expected):
    assert magic_daily_stool_ml(**kwargs) == expected


def test_magic_staging_stool_window():
    days = [100, 900, 500, 700]
    assert magic_staging_stool_ml(days, at_onset=True) == 900
    assert magic_staging_stool_ml(days, at_onset=False) == 700
    assert magic_staging_stool_ml([900, None, 500], at_onset=True) is None
    assert magic_staging_stool_ml([900, 500], at_onset=False) is None
