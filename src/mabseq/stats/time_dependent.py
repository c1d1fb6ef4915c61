"""Comparisons for groups defined by an event after the time origin (transplant, response): no immortal time.

Data come in counting-process form: one row per subject and interval (start, stop], with the group the subject
belongs to during that interval (a subject who changes group at time u has a row (0, u] in the first group and
(u, stop] in the second).

* Mantel-Byar test (Mantel & Byar 1974, JASA 69:81): the log-rank test in which each subject contributes to the
  risk set of the group it belongs to at each event time. It is :func:`logrank_test` on the intervals, with
  ``entry = start``.
* Simon-Makuch estimator (Simon & Makuch 1984, Stat Med 3:35): Kaplan-Meier curves per group from the same
  intervals, each subject entering a group's risk set when it joins the group. It is :func:`kaplan_meier` per group
  with delayed entry, as R's ``survfit(Surv(start, stop, event) ~ group)``.
"""
from __future__ import annotations

import numpy as np

from ._validate import as_codes, as_times
from .kaplan_meier import KaplanMeier, kaplan_meier
from .logrank import LogRankResult, logrank_test




def mantel_byar(start, stop, event, group, *, strata=None) -> LogRankResult:
    """Mantel-Byar test of a time-dependent group from counting-process intervals."""
    return logrank_test(stop, event, group, entry=start, strata=strata)


def simon_makuch(start, stop, event, group, *, conf_type: str = "log",
                 conf_level: float = 0.95) -> dict[object, KaplanMeier]:
    """Simon-Makuch curves: {group label: KaplanMeier} from counting-process intervals."""
    s = as_times(stop, "stop")
    levels, g = as_codes(group, "group", s.shape[0])
    st = as_times(start, "start")
    ev = np.asarray(event)
    return {
        (lev.item() if isinstance(lev, np.generic) else lev): kaplan_meier(
            s[g == j], ev[g == j], entry=st[g == j], conf_type=conf_type, conf_level=conf_level
        )
        for j, lev in enumerate(levels)
    }


__all__ = ["mantel_byar", "simon_makuch"]
