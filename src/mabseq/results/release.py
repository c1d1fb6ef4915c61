"""What leaves mabseq about a patient: the rules every patient-level output follows (adsl.csv, adtte.csv,
excluded.csv, the timelines in results.json, ``mabseq explain``), and the ages in the results.

**No birth date follows from an output.** With an exact age beside a calendar date, the birth date is one
subtraction away (``mab1_start - age_mab1``); with the data cut-off printed in the report, a patient followed to the
cut-off gives away his mAb1 date too (``cut-off - follow-up``). Two rules close both doors:

* *Intervals instead of calendar dates.* Every date of a patient becomes the number of days from the start of mAb1,
  the study's index date (``event1_date`` -> ``event1_day``; ``mab1_start`` itself, day 0, is left out). An event
  date is itself a quasi-identifier (it can be matched against other records of the hospital); the interval keeps
  everything an analysis needs.
* *Ages in completed years, one per patient on the mAb1 timeline.* ``age_mab1`` and ``age_dx`` are written as
  whole years (floor). ``age_tx`` is left out: two ages in whole years at two known days bracket the birthday
  (37 at mAb1, 38 at a transplant 34 days later puts it in those 34 days); it follows from ``age_mab1`` and the
  intervals. So the cut-off attack leaves a whole year of possible birth dates, as HIPAA Safe Harbor does (ages in
  years). No output holds a diagnosis date or an interval from it, so ``age_dx`` cannot be anchored at all.
* In the results, an order statistic (median, quartiles, range) of a single variable is one patient's value: the
  summaries of an age on the mAb1 timeline (``age_mab1``, ``age_tx``) are kept in whole years, of ``age_dx`` at
  their display decimals (as the tables print them).

**Free text never leaves unless the preset needs it, and then through a vocabulary.** A name typed into a
free-text column (``conditioning_regimen``, ``regimen``, ``note``...) must not reach an output. The columns of
the analysis datasets that carry input free text are listed in :data:`FREE_TEXT_DERIVED`; they are dropped, except
those in :data:`FREE_TEXT_ALLOWED`, whose values are mapped onto a fixed vocabulary (anything else becomes
``other``).

Written by hand: these are the project's own disclosure rules over its own columns; no library knows them.
"""
from __future__ import annotations

import datetime as dt
import math
import re

import numpy as np
import pandas as pd

from ..cohort.schema import BY_NAME
from .format import round_half_up
from .records import ResultSet

DATE_ORIGIN = "mab1_start"  # the index date: every patient date is written as days from it

# ages written in completed years (floor); the value is why the column may stay
AGE_COLUMNS = {
    "age_dx": "age at diagnosis: Table 1; no output holds a diagnosis date or an interval from it",
    "age_mab1": "age at the index date: the one age on the mAb1 timeline",
}
# analysis-dataset columns never written to an output, and why
DROPPED = {
    "age_tx": "a second age on the mAb1 timeline brackets the birthday; = age_mab1 + days to the transplant",
    "tx_conditioning_regimen": "free text (the center's name for the regimen); the preset uses the agents",
}


def _vocabulary(table: str, column: str) -> dict[str, str]:
    """The schema's vocabulary of a ';'-list column: code and label (lower case) -> code."""
    out = {}
    for code, label in BY_NAME[table][column].vocabulary:
        out[code.lower()] = code
        out[label.lower()] = code
    return out


# Analysis-dataset columns whose values come from a free-text input column (the input column in the value).
# (The categories derive/categories.py computes from them, tx_regimen and tx_gvhd_ppx, are codes of a fixed
# vocabulary returned by the criteria, never the input's text, and leave as they are.)
FREE_TEXT_DERIVED = {
    "tx_conditioning_regimen": "transplants.conditioning_regimen",
    "tx_conditioning_agents": "transplants.conditioning_agents",
    "tx_gvhd_prophylaxis": "transplants.gvhd_prophylaxis",
    "ino_plus_chemo": "therapies.agents and therapies.regimen (rules.combination_partner)",
}
# The allow-list: free-text-derived columns the preset needs, each with why and the vocabulary its items must
# belong to (an item outside it is written as 'other').
FREE_TEXT_ALLOWED: dict[str, tuple[str, dict[str, str]]] = {
    # Table 3 groups the conditioning regimens by their agents (criteria.transplant.conditioning_group)
    "tx_conditioning_agents": ("Table 3: conditioning regimens by their agents",
                               _vocabulary("transplants", "conditioning_agents")),
    # Table 3 and the text classify the GVHD prophylaxis (criteria.transplant.gvhd_prophylaxis_category)
    "tx_gvhd_prophylaxis": ("Table 3: GVHD prophylaxis category", _vocabulary("transplants", "gvhd_prophylaxis")),
    # the text counts inotuzumab given with mini-hyper-CVD or with vincristine, and any chemotherapy partner
    "ino_plus_chemo": ("Results text: inotuzumab alone (none), with mini-hyper-CVD, vincristine or other chemotherapy",
                       {"mini_hyper_cvd": "mini_hyper_cvd", "vincristine": "vincristine", "none": "none"}),
}
OTHER = "other"

# the free-text columns of the input (strings that are not identifiers): the sentinel test plants text in each
FREE_TEXT_INPUT = tuple((t.name, c.name) for t in BY_NAME.values() for c in t.columns
                        if c.type == "string" and c.name not in ("patient_id", "course_id"))

ORDER_STATISTICS = {"median", "q1", "q3", "min", "max"}
# order statistics of these variables are released at most at this many decimals (None: the display decimals)
AGE_SUMMARY_DECIMALS = {"age_mab1": 0, "age_tx": 0, "age_dx": None}


def is_date(v) -> bool:
    return isinstance(v, dt.date) and v is not pd.NaT


def _as_date(v) -> dt.date:
    return v.date() if isinstance(v, (pd.Timestamp, dt.datetime)) else v


def day_name(column: str) -> str:
    """``event1_date`` -> ``event1_day``; ``mab2_start`` -> ``mab2_start_day``."""
    return column[: -len("_date")] + "_day" if column.endswith("_date") else column + "_day"


def completed_years(age) -> int | None:
    if age is None or (isinstance(age, float) and math.isnan(age)):
        return None
    return int(math.floor(float(age) + 1e-9))


def allowed_free_text(column: str, value):
    """``value`` of an allow-listed column with every item outside its vocabulary written as 'other'."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    vocab = FREE_TEXT_ALLOWED[column][1]
    out: list[str] = []
    for item in str(value).split(";"):
        item = item.strip().lower()
        if not item:
            continue
        code = vocab.get(item, OTHER)
        if code not in out:
            out.append(code)
    return ";".join(out) if out else None


def _days(v, origin):
    """A date (also inside a list or tuple) as days from ``origin``; None when there is no origin."""
    if is_date(v):
        return None if origin is None else (_as_date(v) - origin).days
    if isinstance(v, (list, tuple)):
        return type(v)(_days(x, origin) for x in v)
    return v


def release_items(values: dict) -> list[tuple[str, str, object]]:
    """One patient's derived values as they may leave mabseq, as (name in the analysis dataset, name in the output,
    value): dates as days from mAb1 (``*_day``), ages in completed years, free text dropped or mapped onto its
    vocabulary."""
    origin = values.get(DATE_ORIGIN)
    origin = _as_date(origin) if is_date(origin) else None
    out = []
    for k, v in values.items():
        if k in DROPPED or k == DATE_ORIGIN:
            continue
        if k in FREE_TEXT_DERIVED and k not in FREE_TEXT_ALLOWED:
            continue
        if k in FREE_TEXT_ALLOWED:
            out.append((k, k, allowed_free_text(k, v)))
        elif k in AGE_COLUMNS:
            out.append((k, k, completed_years(v)))
        elif is_date(v) or (v is None and (k.endswith("_date") or k == "mab2_start")):
            out.append((k, day_name(k), _days(v, origin)))
        else:
            out.append((k, k, _days(v, origin)))
    return out


def release_values(values: dict) -> dict:
    """:func:`release_items` as a dict (output name -> value)."""
    return {new: v for _, new, v in release_items(values)}


def is_date_column(adsl: pd.DataFrame, c: str) -> bool:
    """A date column of the analysis dataset: by its name (``*_date``, ``mab2_start``), or by its values. By name
    too, so that a date nobody has (no relapse after any transplant) still becomes its ``*_day`` column, blank."""
    if c.endswith("_date") or c == "mab2_start":
        return True
    col = adsl[c]
    if col.dtype != object and not str(col.dtype).startswith(("date", "timestamp")):
        return False
    return any(is_date(v) for v in col)


_NOT_DATES = {str, int, float, bool, type(None)}  # values _days returns as they are


def _ordinals(vals: list) -> tuple[np.ndarray, np.ndarray]:
    """Plain dates and blanks as proleptic ordinals (int64) and a mask of the blanks."""
    blank = np.array([v is None for v in vals], dtype=bool)
    days = np.zeros(len(vals), dtype=np.int64)
    days[~blank] = np.fromiter((v.toordinal() for v in vals if v is not None), dtype=np.int64,
                               count=int((~blank).sum()))
    return days, blank


def _column_days(col: pd.Series, origin: np.ndarray, origin_days=None) -> list:
    """A column through :func:`_days` against each row's origin (``origin``: ``datetime.date`` or None;
    ``origin_days``: its :func:`_ordinals`, when every origin is a plain date or blank). A column of plain dates and
    blanks (the usual one) is one subtraction of ordinals, a column without dates is returned as it is; any other
    (lists of dates, timestamps) goes value by value."""
    vals = col.tolist()
    kinds = set(map(type, vals))
    if kinds <= _NOT_DATES:
        return vals
    if origin_days is not None and kinds <= {dt.date, type(None)}:
        days, blank = _ordinals(vals)
        blank |= origin_days[1]
        return [None if b else d for d, b in zip((days - origin_days[0]).tolist(), blank.tolist())]
    return [_days(v, o) for v, o in zip(vals, origin)]


def release_adsl(adsl: pd.DataFrame) -> pd.DataFrame:
    """adsl.csv: the analysis dataset with every value as :func:`release_values` writes it (the columns in the order
    of the analysis dataset; a date column becomes its ``*_day`` column even where a patient has no such date).

    Column by column, each column's rule applied once to its values (linear in the patients; the per-row
    :func:`release_values` is the reference, tests/test_release_adsl.py compares the two)."""
    kept = [c for c in adsl.columns if c not in DROPPED and c != DATE_ORIGIN and not
            (c in FREE_TEXT_DERIVED and c not in FREE_TEXT_ALLOWED)]
    if not len(adsl):
        return pd.DataFrame(columns=kept)
    origin = np.array([_as_date(v) if is_date(v) else None for v in adsl[DATE_ORIGIN].tolist()]
                      if DATE_ORIGIN in adsl.columns else [None] * len(adsl), dtype=object)
    origins = origin.tolist()
    origin_days = _ordinals(origins) if set(map(type, origins)) <= {dt.date, type(None)} else None
    out: dict[str, object] = {}
    for c in kept:
        col = adsl[c]
        if c in FREE_TEXT_ALLOWED:
            memo: dict = {}
            vals = []
            for v in col.tolist():
                key = v if isinstance(v, str) else None
                if key is None:
                    vals.append(allowed_free_text(c, v))
                else:
                    if key not in memo:
                        memo[key] = allowed_free_text(c, v)
                    vals.append(memo[key])
            out[c] = vals
        elif c in AGE_COLUMNS:
            out[c] = [completed_years(v) for v in col.tolist()]
        elif is_date_column(adsl, c):
            out[day_name(c)] = pd.array(_column_days(col, origin, origin_days), dtype="Int64")
        elif col.dtype == object:
            out[c] = _column_days(col, origin, origin_days)
        else:
            out[c] = col.to_numpy()
    return pd.DataFrame(out, columns=list(out))


# a variable or input name in unknowns.csv: a column or rule name of mabseq (never a value of the input)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$|^\(unspecified\)$")
UNKNOWN_COLUMNS = ["patient_id", "variable", "input"]


def release_unknowns(unknowns: pd.DataFrame | None, included) -> pd.DataFrame:
    """unknowns.csv: the values left unknown for want of an input (derive/cohort.py), one row per included patient,
    variable and input: the study id and two names of mabseq's (a derived variable, the missing input), nothing
    else (no rule text, no value, no date). A name that is not a plain identifier is written as 'other'. Written
    beside adsl.csv, and like it never in the shareable bundle."""
    if unknowns is None or not len(unknowns):
        return pd.DataFrame(columns=UNKNOWN_COLUMNS)
    u = unknowns[unknowns["patient_id"].isin(set(included))][UNKNOWN_COLUMNS].copy()
    for c in ("variable", "input"):
        u[c] = u[c].map(lambda v: v if isinstance(v, str) and _NAME.match(v) else OTHER)
    return u.drop_duplicates().sort_values(UNKNOWN_COLUMNS, kind="stable").reset_index(drop=True)


_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_AGE_IN_TEXT = re.compile(r"\bage (\d+(?:\.\d+)?)")


def release_text(text: str, origin: dt.date | None, *, label: str = "day") -> str:
    """A sentence about one patient (an explanation) with each ISO date as ``day N`` from ``origin`` (``a date``
    when there is none) and each 'age x.y' in completed years."""
    def date(m):
        try:
            d = dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        except ValueError:
            return "a date"
        return f"{label} {(d - origin).days}" if origin is not None else "a date"
    text = _ISO_DATE.sub(date, text)
    return _AGE_IN_TEXT.sub(lambda m: f"age {completed_years(float(m.group(1)))}", text)


def _age_variable(record_id: str) -> str | None:
    for var in AGE_SUMMARY_DECIMALS:
        if re.search(rf"(^|_){var}(_|$)", record_id):
            return var
    return None


def release_age_summaries(results: ResultSet) -> None:
    """Order statistics of an age kept at the precision :data:`AGE_SUMMARY_DECIMALS` allows (in place, before
    anything reads the results, so tables, text, fidelity and results.json agree)."""
    for r in results.records.values():
        if r.statistic not in ORDER_STATISTICS or not isinstance(r.value, (int, float)) or isinstance(r.value, bool):
            continue
        var = _age_variable(r.id)
        if var is None:
            continue
        cap = AGE_SUMMARY_DECIMALS[var]
        d = r.decimals if r.decimals is not None else 1
        d = d if cap is None else min(d, cap)
        r.value = float(round_half_up(r.value, d))


__all__ = ["release_items", "release_values", "release_adsl", "release_unknowns",
           "release_text", "release_age_summaries", "FREE_TEXT_ALLOWED",
           "FREE_TEXT_DERIVED", "FREE_TEXT_INPUT", "AGE_COLUMNS", "DROPPED", "DATE_ORIGIN", "day_name",
           "completed_years", "allowed_free_text"]
