"""Derivations: from a validated cohort to analysis datasets (study-definition sections 2-3).

``derive_cohort(cohort, params)`` gives the per-patient dataset (mAb1/mAb2 sequence, interim therapy, responses,
antigen status, transplant, toxicities, death), the time-to-event rows per endpoint, the excluded patients with
their reasons, per-patient timelines and the explanation of every derived value.
"""
from .cohort import DerivedCohort, derive_cohort
from .params import PAPER, DeriveParams

__all__ = ["DerivedCohort", "derive_cohort", "DeriveParams", "PAPER"]
