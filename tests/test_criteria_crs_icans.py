"""CRS, ICE and ICANS (clinical-criteria spec section 2, ASTCT 2019): every table row, both sides of each boundary."""
from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from mabseq.criteria.crs_icans import crs_grade, ice_score, icans_grade, oxygen_support_category

# fever, normotensive, no vasopressor, no oxygen: the neutral baseline every CRS row starts from
BASE = dict(temp_max_c=38.5, hypotension=False, n_vasopressors_excl_vasopressin=0, vasopressin=False,
            oxygen_support="none")


def crs(**kw):
    return crs_grade(**{**BASE, **kw})


# ---- CRS -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("kw,expected", [
    # fever gate: >= 38.0 inclusive
    (dict(temp_max_c=38.0), 1),
    (dict(temp_max_c=37.9), 0),
    (dict(temp_max_c=38.0, fever_other_cause=True), 0),
    # no fever and untreated: hypotension/hypoxia alone is not CRS
    (dict(temp_max_c=37.0, hypotension=True, n_vasopressors_excl_vasopressin=2), 0),
    (dict(temp_max_c=37.0, oxygen_support="positive_pressure"), 0),
    # haemodynamic rows
    (dict(hypotension=False), 1),
    (dict(hypotension=True), 2),
    (dict(hypotension=True, n_vasopressors_excl_vasopressin=1), 3),
    (dict(hypotension=True, vasopressin=True), 3),  # vasopressin alone counts as one vasopressor
    (dict(hypotension=True, n_vasopressors_excl_vasopressin=1, vasopressin=True), 3),
    (dict(hypotension=True, n_vasopressors_excl_vasopressin=2), 4),
    (dict(hypotension=True, n_vasopressors_excl_vasopressin=2, vasopressin=True), 4),
    (dict(hypotension=True, n_vasopressors_excl_vasopressin=3), 4),
    # oxygen rows
    (dict(oxygen_support="none"), 1),
    (dict(oxygen_support="low_flow"), 2),
    (dict(oxygen_support="high_flow"), 3),
    (dict(oxygen_support="positive_pressure"), 4),
    # grade = max of the two components
    (dict(hypotension=True, vasopressin=True, oxygen_support="low_flow"), 3),  # spec 10 vector
    (dict(hypotension=True, oxygen_support="high_flow"), 3),
    (dict(hypotension=True, oxygen_support="positive_pressure"), 4),
    (dict(hypotension=True, n_vasopressors_excl_vasopressin=2, oxygen_support="low_flow"), 4),
    # grade 5
    (dict(death_due_to_crs=True), 5),
    (dict(temp_max_c=None, death_due_to_crs=True), 5),
    # after tocilizumab/steroids fever is no longer needed
    (dict(temp_max_c=37.0, received_antipyretic_or_anticytokine=True, hypotension=True,
          n_vasopressors_excl_vasopressin=2), 4),  # spec 10 vector
    (dict(temp_max_c=37.0, received_antipyretic_or_anticytokine=True, hypotension=True), 2),
    (dict(temp_max_c=37.0, received_antipyretic_or_anticytokine=True, oxygen_support="low_flow"), 2),
    (dict(temp_max_c=37.0, received_antipyretic_or_anticytokine=True), 0),
    (dict(temp_max_c=39.0, fever_other_cause=True, received_antipyretic_or_anticytokine=True,
          oxygen_support="high_flow"), 3),
    (dict(temp_max_c=39.0, received_antipyretic_or_anticytokine=True), 1),
])
def test_crs_rows(kw, expected):
    r = crs(**kw)
    assert r.value == expected
    assert r.ruleset == "ASTCT-2019" and r.rule == "crs_grade"
    assert r.missing_inputs == ()


@pytest.mark.parametrize("sbp,threshold,expected", [
    (89, 90.0, 2), (90, 90.0, 1), (91, 90.0, 1),  # default: SBP < 90 mmHg
    (95, 100.0, 2), (100, 100.0, 1),  # the threshold is a parameter
])
def test_crs_hypotension_threshold(sbp, threshold, expected):
    r = crs(hypotension=None, sbp_mmhg=sbp, hypotension_sbp_lt=threshold)
    assert r.value == expected


def test_crs_recorded_hypotension_beats_sbp_and_is_flagged():
    r = crs(hypotension=True, sbp_mmhg=110)
    assert r.value == 2
    assert "hypotension_disagrees_with_sbp" in r.flags


def test_crs_vasopressor_implies_hypotension():
    r = crs(hypotension=False, n_vasopressors_excl_vasopressin=1)
    assert r.value == 3
    assert "vasopressor_without_recorded_hypotension" in r.flags


def test_crs_treated_afebrile_without_hypotension_or_hypoxia_is_flagged():
    r = crs(temp_max_c=36.8, received_antipyretic_or_anticytokine=True)
    assert r.value == 0 and "treated_no_fever_no_hypotension_or_hypoxia" in r.flags


@pytest.mark.parametrize("kw,missing", [
    (dict(temp_max_c=None), ("temp_max_c",)),
    (dict(oxygen_support=None), ("oxygen_support",)),
    (dict(hypotension=None), ("hypotension",)),
    (dict(hypotension=True, n_vasopressors_excl_vasopressin=None, vasopressin=None),
     ("n_vasopressors_excl_vasopressin", "vasopressin")),
    (dict(temp_max_c=38.5, fever_other_cause=None), ("fever_other_cause",)),
    (dict(temp_max_c=37.0, received_antipyretic_or_anticytokine=None, oxygen_support="low_flow"),
     ("received_antipyretic_or_anticytokine",)),
])
def test_crs_missing_is_not_normal(kw, missing):
    r = crs(**kw)
    assert r.value is None
    assert set(missing) <= set(r.missing_inputs)
    assert "result: undetermined" in r.explain()


@pytest.mark.parametrize("kw,expected", [
    # a missing input that cannot change the maximum does not block the grade
    (dict(oxygen_support=None, hypotension=True, n_vasopressors_excl_vasopressin=2), 4),
    (dict(hypotension=None, oxygen_support="low_flow"), 2),  # haemodynamic 1 or 2, oxygen 2
    (dict(hypotension=False, n_vasopressors_excl_vasopressin=None, vasopressin=None), 1),
    (dict(hypotension=True, vasopressin=True, n_vasopressors_excl_vasopressin=None,
          oxygen_support="positive_pressure"), 4),
    (dict(temp_max_c=None, received_antipyretic_or_anticytokine=True, hypotension=True,
          n_vasopressors_excl_vasopressin=2), 4),
])
def test_crs_missing_that_cannot_change_the_grade(kw, expected):
    assert crs(**kw).value == expected


def test_crs_assume_normal_is_explicit_and_flagged():
    r = crs_grade(temp_max_c=39.0)
    assert r.value is None
    r = crs_grade(temp_max_c=39.0, assume_normal_if_missing=True)
    assert r.value == 1
    assert any(f.startswith("missing_assumed_normal") and "oxygen_support" in f for f in r.flags)


def test_crs_explain():
    text = crs(hypotension=True, vasopressin=True, oxygen_support="low_flow").explain()
    assert text.startswith("crs_grade [ASTCT-2019")
    assert "one vasopressor" in text and "oxygen low_flow -> 2" in text and text.endswith("result: 3")


@pytest.mark.parametrize("kw", [dict(oxygen_support="nasal"), dict(n_vasopressors_excl_vasopressin=-1),
                                dict(n_vasopressors_excl_vasopressin=1.5)])
def test_crs_invalid(kw):
    with pytest.raises(ValueError):
        crs(**kw)


@given(st.sampled_from([None, False, True]), st.sampled_from([None, 0, 1, 2]), st.sampled_from([None, False, True]),
       st.sampled_from([None, "none", "low_flow", "high_flow", "positive_pressure"]),
       st.sampled_from([None, 37.0, 38.0]), st.sampled_from([None, False, True]))
def test_crs_determined_only_when_every_completion_agrees(hypo, n, vp, oxy, temp, treated):
    """A grade given with missing inputs must equal the grade of every completion of those inputs (a recorded
    absence of hypotension rules out an unrecorded vasopressor)."""
    kw = dict(temp_max_c=temp, hypotension=hypo, n_vasopressors_excl_vasopressin=n, vasopressin=vp,
              oxygen_support=oxy, received_antipyretic_or_anticytokine=treated)
    r = crs_grade(**kw)
    completions = []
    for h in ([hypo] if hypo is not None else [False, True]):
        for nn in ([n] if n is not None else [0, 1, 2]):
            for v in ([vp] if vp is not None else [False, True]):
                for o in ([oxy] if oxy is not None else ["none", "low_flow", "high_flow", "positive_pressure"]):
                    for t in ([temp] if temp is not None else [37.0, 38.0]):
                        for tr in ([treated] if treated is not None else [False, True]):
                            if h is False and (nn or v) and (n is None or vp is None) and not (n or vp):
                                continue  # no hypotension means no vasopressor for CRS was needed
                            completions.append(crs_grade(temp_max_c=t, hypotension=h, n_vasopressors_excl_vasopressin=nn,
                                                         vasopressin=v, oxygen_support=o,
                                                         received_antipyretic_or_anticytokine=tr).value)
    grades = set(completions)
    assert None not in grades
    if r.value is not None:
        assert grades == {r.value}
    else:
        assert len(grades) > 1


@pytest.mark.parametrize("device,flow,expected", [
    ("nasal_cannula", 6.0, "low_flow"), ("nasal_cannula", 6.1, "high_flow"), ("nasal_cannula", 2, "low_flow"),
    ("nasal cannula", None, None), ("blow-by", None, "low_flow"), ("face_mask", None, "high_flow"),
    ("non_rebreather", None, "high_flow"), ("venturi", None, "high_flow"), ("high_flow_nasal_cannula", 40, "high_flow"),
    ("CPAP", None, "positive_pressure"), ("bipap", None, "positive_pressure"),
    ("mechanical_ventilation", None, "positive_pressure"), ("room_air", None, "none"), (None, None, None),
])
def test_oxygen_support_category(device, flow, expected):
    assert oxygen_support_category(device, flow) == expected


def test_oxygen_support_category_threshold_parameter_and_invalid():
    assert oxygen_support_category("nasal_cannula", 5, low_flow_max_l_min=4) == "high_flow"
    with pytest.raises(ValueError):
        oxygen_support_category("helmet")


# ---- ICE -----------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("comps,expected", [
    ((4, 3, 1, 1, 1), 10), ((4, 3, 1, 1, 0), 9), ((3, 2, 1, 1, 0), 7), ((3, 2, 0, 1, 0), 6),
    ((1, 1, 1, 0, 0), 3), ((1, 1, 0, 0, 0), 2), ((0, 0, 0, 0, 0), 0), ((4, 0, 0, 0, 0), 4), ((0, 3, True, False, 1), 5),
])
def test_ice_score_sums(comps, expected):
    names = ("orientation", "naming", "following_commands", "writing", "attention")
    r = ice_score(**dict(zip(names, comps)))
    assert r.value == expected and r.missing_inputs == ()


@pytest.mark.parametrize("kw", [dict(orientation=5), dict(naming=4), dict(following_commands=2), dict(writing=2),
                                dict(attention=2), dict(orientation=-1), dict(naming=1.5), dict(total=11),
                                dict(total=-1)])
def test_ice_score_ranges_validated(kw):
    with pytest.raises(ValueError):
        ice_score(**kw)


def test_ice_score_missing_and_total():
    r = ice_score(orientation=4, naming=3, following_commands=1, writing=1)
    assert r.value is None and r.missing_inputs == ("attention",)
    r = ice_score(orientation=4, total=8)
    assert r.value == 8 and "components_incomplete" in r.flags
    assert ice_score(total=0).value == 0
    with pytest.raises(ValueError):
        ice_score(orientation=4, naming=3, following_commands=1, writing=1, attention=1, total=9)


# ---- ICANS ---------------------------------------------------------------------------------------------------------
NORMAL = dict(consciousness="normal", seizure="none", motor="none", icp="none")


def icans(**kw):
    return icans_grade(**{**NORMAL, **kw})


@pytest.mark.parametrize("ice,extra,expected", [
    (10, {}, 0), (9, {}, 1), (7, {}, 1), (6, {}, 2), (3, {}, 2), (2, {}, 3), (1, {}, 3),
    (0, dict(awake_global_aphasia=True), 3),  # spec 10 vector
    (0, dict(unarousable=True), 4),  # spec 10 vector
    (0, dict(unarousable=False), 3),
])
def test_icans_ice_bands(ice, extra, expected):
    r = icans(ice_score=ice, **extra)
    assert r.value == expected


def test_icans_ice_zero_with_unknown_arousal_is_undetermined():
    r = icans(ice_score=0)
    assert r.value is None and "unarousable" in r.missing_inputs
    assert icans(ice_score=0, consciousness="unarousable_or_vigorous_stimuli_or_stupor_coma").value == 4


@pytest.mark.parametrize("domain,value,expected", [
    ("consciousness", "awakens_spontaneously", 1), ("consciousness", "awakens_to_voice", 2),
    ("consciousness", "awakens_to_touch_only", 3),
    ("consciousness", "unarousable_or_vigorous_stimuli_or_stupor_coma", 4),
    ("seizure", "rapidly_resolving_clinical_or_EEG_nonconvulsive_resolving_with_intervention", 3),
    ("seizure", "prolonged_gt5min_or_repetitive_without_return_to_baseline", 4),
    ("seizure", "rapidly_resolving", 3), ("seizure", "prolonged_or_repetitive", 4),
    ("motor", "deep_focal_weakness", 4),
    ("icp", "focal_edema_on_imaging", 3),
    ("icp", "diffuse_edema_or_posturing_or_CN6_palsy_or_papilledema_or_cushing_triad", 4),
])
def test_icans_domains(domain, value, expected):
    assert icans(ice_score=10, **{domain: value}).value == expected
    # explained by another cause: excluded
    r = icans(ice_score=10, **{domain: value, f"{domain}_other_cause": True})
    assert r.value == 0
    assert any("explained by another cause" in c for c in r.criteria_met)
    # attribution unknown: the grade is 0 or the domain's, so undetermined
    r = icans(ice_score=10, **{domain: value, f"{domain}_other_cause": None})
    assert r.value is None and f"{domain}_other_cause" in r.missing_inputs


def test_icans_max_over_domains():
    # spec example: ICE 3 with a generalised seizure -> 3
    assert icans(ice_score=3, seizure="rapidly_resolving").value == 3
    assert icans(ice_score=8, consciousness="awakens_to_voice").value == 2
    assert icans(ice_score=8, icp="focal_edema_on_imaging", motor="deep_focal_weakness").value == 4


def test_icans_ice_other_cause():
    assert icans(ice_score=2, ice_other_cause=True).value == 0


def test_icans_ice_not_assessable_grades_other_domains_and_flags():
    r = icans(ice_not_assessable=True, consciousness="awakens_to_voice")
    assert r.value == 2 and any(f.startswith("ICE_not_assessable") for f in r.flags)
    r = icans(ice_not_assessable=True)
    assert r.value == 0 and any(f.startswith("ICE_not_assessable") for f in r.flags)


@pytest.mark.parametrize("kw,expected,missing", [
    (dict(ice_score=9), None, {"consciousness", "seizure", "motor", "icp"}),
    (dict(ice_score=9, motor="deep_focal_weakness"), 4, set()),
    (dict(ice_score=None, **NORMAL), None, {"ice_score"}),
    (dict(ice_score=None, **{**NORMAL, "seizure": "prolonged_or_repetitive"}), 4, set()),
])
def test_icans_missing_domains(kw, expected, missing):
    r = icans_grade(**kw)
    assert r.value == expected
    assert missing <= set(r.missing_inputs)


def test_icans_assume_normal_and_result_input_and_invalid():
    r = icans_grade(ice_score=8, assume_normal_if_missing=True)
    assert r.value == 1 and any(f.startswith("missing_assumed_normal") for f in r.flags)
    ice = ice_score(orientation=4, naming=3, following_commands=1, writing=1, attention=0)
    assert icans(ice_score=ice).value == 1
    with pytest.raises(ValueError):
        icans(ice_score=11)
    with pytest.raises(ValueError):
        icans(ice_score=5, seizure="myoclonus")
    with pytest.raises(ValueError):
        icans(ice_score=0, unarousable=True, awake_global_aphasia=True)


def test_icans_explain():
    text = icans(ice_score=0, awake_global_aphasia=True).explain()
    assert "[ASTCT-2019" in text and "awake with global aphasia -> 3" in text and text.endswith("result: 3")
