"""The cohort validator on the corpus of broken inputs (tests/cohort_corpus/broken/, made by make_broken.py)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from mabseq.cohort import load_cohort

CORPUS = Path(__file__).parent / "cohort_corpus"
CASES = sorted(p for p in (CORPUS / "broken").iterdir() if p.is_dir())


def test_valid_example_has_no_findings():
    cohort, findings = load_cohort(CORPUS / "valid")
    assert findings.items == []
    assert len(cohort["patients"]) == 3 and len(cohort["therapies"]) == 6


def test_corpus_is_large_enough():
    assert len(CASES) >= 30


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_broken_input_gets_its_named_finding(case):
    expected = json.loads((case / "expected.json").read_text())
    cohort, findings = load_cohort(case)
    for exp in expected:
        hits = [f for f in findings if f.rule == exp["rule"] and f.severity == exp["severity"]
                and (not exp["source"] or f.source == exp["source"])
                and f.row == exp["row"] and (not exp["column"] or f.column == exp["column"])]
        assert hits, f"{case.name}: expected {exp}, got:\n{findings.summary_text()}"
        # every finding names its place and says what is wrong
        assert all(str(h).count(":") >= 2 for h in hits)
    if all(e["severity"] == "warning" for e in expected):
        assert not findings.errors, findings.summary_text()
