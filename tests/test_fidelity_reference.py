"""The paper preset's reference file (data/paper/reference.csv, issue 15): what is particular to the paper (the
plan's exclusions 5.3, readings 5.4, special rules 5.2, the reproducible p-values 5.1) is data beside the
published numbers, and the generic match rule reads it. Expected values worked by hand."""
from __future__ import annotations

from mabseq.results.fidelity import match, published, reference


def test_every_reference_row_names_a_published_id_and_a_known_rule():
    pub, ref = set(published()["id"]), reference()
    assert set(ref) <= pub
    assert {r["assert"] for r in ref.values()} <= {"yes", "no", "warn"}
    assert {r["rule"].partition(":")[0] for r in ref.values()} <= {"", "abs_diff", "one_of", "range"}
    assert all(r["note"] for r in ref.values())  # every exception says why
    # the plan's counts (study-definition 5.3: 35 excluded; 5.4: 3 conditional readings)
    assert sum(r["assert"] == "no" for r in ref.values()) == 35
    assert sum(r["assert"] == "warn" for r in ref.values()) == 3


def test_match_rules_by_hand():
    # a count is exact: 12 vs 12.0 match, 11 differs
    assert match("12", "n", 12.0)[0] == "match" and match("12", "n", 11)[0] == "differs"
    # a percentage rounds half up to the printed decimals: 41.25 -> 41.3 (41.2 printed: differs)
    assert match("41.3", "pct", 41.25)[0] == "match" and match("41.2", "pct", 41.25)[0] == "differs"
    # a CI limit within 0.1 points: 26.0 printed, 26.09 matches, 26.11 does not; abs_diff:0.2 allows 26.15
    assert match("26.0", "ci_low_pct", 26.09)[0] == "match" and match("26.0", "ci_low_pct", 26.11)[0] == "differs"
    assert match("26.0", "ci_high_pct", 26.15, "abs_diff:0.2")[0] == "match"
    # one_of: .8475 rounds to 0.85, accepted beside 0.84; range: 31.2 printed, 31.18 inside [31.15, 31.25]
    assert match(".84", "p_value", 0.8475, "one_of:0.84|0.85")[0] == "match"
    assert match(".84", "p_value", 0.8475)[0] == "differs"
    assert match("31.2", "pct", 31.18, "range:31.15|31.25")[0] == "match"
    assert match("31.2", "pct", 31.26, "range:31.15|31.25")[0] == "differs"
    # nothing computed; NR
    assert match("5", "n", None)[0] == "not computed" and match("NR", "months", "NR")[0] == "match"
