"""Parameters of the derivation rules (study-definition section 7). The paper preset's values are the defaults."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace

MAB_CLASSES = ("blinatumomab", "inotuzumab")
# non-antibody systemic salvage lines (study-definition 2.2): what counts as interim therapy and as a further line
SYSTEMIC_LINE_CLASSES = ("chemotherapy", "car_t", "investigational")


@dataclass(frozen=True)
class DeriveParams:
    age_min_years: float = 15.0
    enrollment_start: dt.date | None = None  # None: taken from the study table
    enrollment_end: dt.date | None = None
    cutoff: dt.date | None = None  # None: the study table's data_cutoff
    interim_window_start: str = "post_mab1_relapse"  # or "mab1_end"
    interim_counts_tki_alone: bool = False  # True: a TKI alone (therapy_class tki) counts as an interim line
    interim_counts_cns_directed: bool = False  # True: IT therapy and radiotherapy count as interim lines
    mrd_relapse_is_event: bool = True
    mrd_start_response: str = "mrd_negativity"  # or "morphologic"
    response_ruleset: str = "paper-2022"
    mrd_threshold: float = 1e-4
    antigen_window_before: int = 14
    antigen_window_after: int = 28
    dim_log_drop: float = 1.0 / 3.0
    neg_pct_threshold: float = 20.0
    tx_interval_anchor: str = "mab2_start"  # or "last_dose" (of mAb2): days_mab2_tx counts from it
    efs_nonresponder: str = "progression_date"  # "day0", "failure_date"
    efs_mab1_origin: str = "mab1_start"
    marrow_lookback_days: int = 30
    state_marrow_window_days: int = 30  # disease state at a course's start from the latest marrow this far before
    antigen_near_miss_days: int = 14  # a flow sample this close outside the antigen window gets a warning
    preference_cr_days: int = 30  # no-HSCT fallback: a CR after mAb2 held this long -> "preference despite CR"
    crs_window_after_days: int = 14
    hepatotox_window_after_last_dose: int = 42
    sos_post_window: int = 100
    ctcae_baseline_mode: str = "uln_only"
    agvhd_ruleset: str = "Keystone-1994"
    extra: dict = field(default_factory=dict)

    def with_(self, **kwargs) -> "DeriveParams":
        return replace(self, **kwargs)


PAPER = DeriveParams()
