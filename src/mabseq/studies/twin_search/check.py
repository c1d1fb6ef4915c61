"""The twin check: the records built from the design (:func:`mabseq.studies.twin.build_twin`) run through the paper
preset, and its fidelity table (the plan's match rule, ``results/fidelity.py``) against the published numbers."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .roster import DESIGN


def fidelity_of_design(design: Path = DESIGN) -> pd.DataFrame:
    """The paper preset's fidelity table on the cohort built from ``design`` (columns as in fidelity.csv)."""
    from ...results.fidelity import fidelity_table
    from ..paper import run
    from ..twin import build_twin

    design_df = pd.read_csv(design, dtype=str, keep_default_na=False)
    res, _ = run(build_twin(design_df), synthetic=True)
    return fidelity_table(res)


def summary(fid: pd.DataFrame) -> str:
    counts = fid["status"].value_counts().sort_index()
    return "\n".join(f"{k:>16}: {v}" for k, v in counts.items())
