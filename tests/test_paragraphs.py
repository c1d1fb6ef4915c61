"""Every placeholder in the preset's Results text names a record the preset computes (no typed-in numbers)."""
from __future__ import annotations

import re
from pathlib import Path

from mabseq.cohort import load_cohort
from mabseq.studies import paper
from mabseq.studies.paper_paragraphs import PARAGRAPHS


def test_placeholders_are_records_and_no_digits_are_typed_in():
    cohort, _ = load_cohort(Path(__file__).parent / "cohort_corpus" / "valid")
    res, _ = paper.run(cohort)
    for title, paras in PARAGRAPHS.items():
        for text in paras:
            for name in re.findall(r"\{([a-z0-9_][a-z0-9_-]*)(?::[a-z]+)?\}", text):
                assert name in res.records, f"{title}: {{{name}}} is not a record"
            bare = re.sub(r"\{[^}]*\}", "", text)
            # the only digits allowed outside placeholders are parts of fixed names (e.g. 'CD19', 'mAb2', '95% CI')
            stripped = re.sub(r"(CD19|CD22|mAb1|mAb2|95% CI|12-month|1-year|grade 3)", "", bare)
            assert not re.search(r"\d", stripped), f"{title}: a number typed into the text: {bare!r}"
