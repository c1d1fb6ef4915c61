"""Clinical criteria as code: one module per domain, each rule a pure function returning a :class:`Result`."""
from .longitudinal import GradeSummary, first_date_reaching, max_per_episode, onset_date, split_episodes, summarize_grades
from .result import Result

__all__ = ["Result", "GradeSummary", "first_date_reaching", "onset_date", "summarize_grades", "split_episodes",
           "max_per_episode"]
