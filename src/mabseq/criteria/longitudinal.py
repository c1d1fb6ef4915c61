"""Grades over time: per-date results reduced to episodes and patients (clinical-criteria spec, section 0.6).

Inputs are ``(date, Result)`` pairs whose values are grades (integers, or None when undetermined). Dates are
anything orderable (``datetime.date``, ``pandas.Timestamp``, day numbers).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable

from .result import Result


@dataclass(frozen=True)
class GradeSummary:
    max_grade: int | None  # None when no date could be graded
    max_date: Any  # first date the maximum was reached
    onset_date: Any  # first date with grade >= 1
    n_assessed: int
    n_undetermined: int


def _sorted(dated: Iterable[tuple[Any, Result]]):
    return sorted(dated, key=lambda x: x[0])


def first_date_reaching(dated: Iterable[tuple[Any, Result]], threshold: int):
    """First date whose grade is >= ``threshold`` (None if never)."""
    for d, r in _sorted(dated):
        if r.value is not None and r.value >= threshold:
            return d
    return None


def onset_date(dated: Iterable[tuple[Any, Result]]):
    """First date with grade >= 1."""
    return first_date_reaching(dated, 1)


def summarize_grades(dated: Iterable[tuple[Any, Result]]) -> GradeSummary:
    """Maximum grade (and when), onset, and how many dates were gradeable."""
    items = _sorted(dated)
    graded = [(d, r.value) for d, r in items if r.value is not None]
    n_und = len(items) - len(graded)
    if not graded:
        return GradeSummary(None, None, None, len(items), n_und)
    top = max(g for _, g in graded)
    when = next(d for d, g in graded if g == top)
    onset = next((d for d, g in graded if g >= 1), None)
    return GradeSummary(top, when, onset, len(items), n_und)


def split_episodes(dated: Iterable[tuple[Any, Result]], *, gap) -> list[list[tuple[Any, Result]]]:
    """Episodes: runs of dates with grade >= 1, a new episode starting after more than ``gap`` (same unit as the
    date differences, e.g. ``datetime.timedelta(days=14)``) since the last date with grade >= 1."""
    episodes: list[list[tuple[Any, Result]]] = []
    last_pos = None
    for d, r in _sorted(dated):
        positive = r.value is not None and r.value >= 1
        if not positive:
            if episodes and last_pos is not None:
                episodes[-1].append((d, r))
            continue
        if last_pos is None or d - last_pos > gap:
            episodes.append([])
        episodes[-1].append((d, r))
        last_pos = d
    return episodes


def max_per_episode(dated: Iterable[tuple[Any, Result]], *, gap) -> list[GradeSummary]:
    return [summarize_grades(e) for e in split_episodes(dated, gap=gap)]
