"""The analysis results: the one place every computed thing lives. Renderers read only this.

* :class:`Record`: one number (or label), with its stable id, population, method and provenance (which patients,
  which rule), and ``paper_ref``: the id in ``published-results.csv`` when it corresponds to a published number.
* :class:`Curve`: Kaplan-Meier or cumulative-incidence steps with intervals, numbers at risk at chosen times, the
  id of the test record that compares its groups, and the display label of each group (set by the preset).
* :class:`Flow`: the patient-flow graph (boxes with counts and patients, edges) and the excluded patients with
  their reasons.
* :class:`TableSpec`: the layout of a table (rows of labels and record ids); cells are rendered from the records.
* ``timelines``: per-patient therapy intervals and events (days from mAb1) for the swimmer plot.
* ``text``: paragraphs as templates whose placeholders are record ids, so every number in a sentence is computed.

``to_json()`` is sorted and stable, so the same input and version give byte-identical files.
"""
from __future__ import annotations

import json
import math
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import pandas as pd

from ..safe_text import frame_to_csv


@dataclass
class Record:
    id: str
    value: Any  # number, string ("NR"), or None when not computable
    statistic: str  # n, pct, median, q1, q3, min, max, p_value, estimate_pct, ci_low_pct, ci_high_pct, days, months
    quantity: str = ""
    denominator: int | None = None
    population: str = ""  # analysis set, e.g. "BF" or "TX"
    method: str = ""  # e.g. "quantile type 7", "Kruskal-Wallis", "Kaplan-Meier S(365), log CI"
    patients: tuple[str, ...] = ()  # provenance: the patients counted / analysed
    rule: str = ""  # the derivation rule or parameters behind it
    paper_ref: str = ""  # id in published-results.csv
    block: str = ""  # "Table 1", "Figure 3A", "EXT: immortal time", ...
    decimals: int | None = None  # display decimals
    note: str = ""
    extension: bool = False  # beyond the paper (EXT): shown, never part of fidelity
    suppressed: str = ""  # small-cell suppression (results/suppression.py): what to show instead; value is None
    # the keys a renderer selects a record by (with population and statistic): the analysis (a table, a curve, a
    # block), the variable (a table row, an endpoint, a cause) and its level (a category, a time point); unset, add()
    # takes the block and the quantity
    analysis: str = ""
    variable: str = ""
    level: str = ""
    footnote: str = ""  # a footnote the value carries wherever it is shown (e.g. 'differs from the published P')
    warning: str = ""  # a caution shown beside the value (e.g. 'unstable: fewer than 5 at risk')


KEY_FIELDS = ("analysis", "population", "variable", "level", "statistic")


# every field but the patients (those go to provenance.parquet: results/provenance.py)
_RECORD_FIELDS = tuple(f.name for f in fields(Record) if f.name != "patients")
# a record in a Results-text template: ``{record_id}`` or ``{record_id:style}`` (render/text.py fills them)
PLACEHOLDER = re.compile(r"\{([a-z0-9_][a-z0-9_-]*)(?::([a-z]+))?\}")


def record_key(r: Record, statistic: str | None = None) -> tuple[str, ...]:
    """The record's key (``KEY_FIELDS``), with another statistic if given: the key of its sibling."""
    return (r.analysis, r.population, r.variable, r.level, r.statistic if statistic is None else statistic)


@dataclass
class Curve:
    id: str
    kind: str  # "km" or "cif"
    title: str
    population: str
    endpoint: str
    steps: pd.DataFrame  # group, time, n_risk, n_event, n_censor, estimate, lower, upper (cif: cause column too)
    at_risk: pd.DataFrame  # group, time, n_risk
    test_id: str = ""
    time_unit: str = "days"
    block: str = ""
    extension: bool = False
    note: str = ""
    labels: dict[str, str] = field(default_factory=dict)  # group (or cause) -> display label, set by the preset
    # a naive grouping's corrected analyses (groups formed after the origin, study-definition 6.1): [label, record
    # id] pairs, set where the corrected analysis is computed; the caption shows them beside the naive test
    corrected: list[list[str]] = field(default_factory=list)


@dataclass
class Flow:
    boxes: list[dict] = field(default_factory=list)  # id, label, n, patients, level (+ note: why its children do not
    #                                                 sum to it, e.g. patients in two boxes)
    edges: list[tuple[str, str]] = field(default_factory=list)
    excluded: list[dict] = field(default_factory=list)  # patient_id, reason
    # the excluded patients counted by reason (reason, n), most frequent first, as the report shows them (n is the
    # marker when suppressed); set once the results are final (studies/run.py)
    reasons: list[dict] = field(default_factory=list)


@dataclass
class TableSpec:
    id: str
    title: str
    columns: list[str]  # header labels (first is the row label column)
    rows: list[dict]  # {"label": str, "cells": [record id or "" ...], "p": record id or "", "indent": int,
    #                    "kind": "n_pct" | "median_iqr" | "median_range" | "header", or in gtsummary's
    #                    conventions "gts_n_pct" (+ "pct": ids) | "gts_cont" (+ "lo", "hi": ids) | "gts_count"
    #                    | "gts_surv" (+ "lo", "hi": ids)}
    footnotes: list[str] = field(default_factory=list)
    block: str = ""
    pct_style: str = "paren"  # "paren": n (x.x); "percent": n (x.x%)
    conventions: str = "paper"  # "paper" (study-definition 1.4) or "gtsummary" (reporting-conventions 1.1-1.3)
    p_threshold: float | None = None  # P values below it are shown in bold (the plan's significance level)


class ResultSet:
    def __init__(self, study: str, source: str = "", synthetic: bool = False):
        self.study = study
        self.source = source
        self.synthetic = synthetic
        self.records: dict[str, Record] = {}
        self.curves: dict[str, Curve] = {}
        self.tables: dict[str, TableSpec] = {}
        self.flow = Flow()
        self.timelines = pd.DataFrame()
        self.text: dict[str, list[str]] = {}
        self.meta: dict[str, Any] = {}
        # how to recompute survival and competing-risk records in R from the analysis datasets (see rscript.py)
        self.checks: list[dict] = []
        self._index: dict[tuple, list[str]] = {}
        self._indexed = 0
        self._ids: dict[str, str] = {}
        self._tuples: dict[tuple, tuple] = {}  # each distinct patient tuple once, as its canonical form

    # ---- adding -----------------------------------------------------------------------------------------------
    def add(self, rec: Record) -> Record:
        if rec.id in self.records:
            raise ValueError(f"result id {rec.id!r} added twice")
        rec.value = _clean(rec.value)  # NaN and numpy scalars become None and plain numbers
        rec.analysis = rec.analysis or rec.block
        rec.variable = rec.variable or rec.quantity
        if rec.patients:  # one str object per patient, however the tuple was made (see _canonical_ids)
            rec.patients = self._canonical_ids(rec.patients)
        self.records[rec.id] = rec
        return rec

    def _canonical_ids(self, patients) -> tuple:
        """The patients as references to one ``str`` object per patient id. A text column under pandas 3 is
        Arrow-backed, and each ``tolist()`` of it makes new ``str`` objects: at 20,000 patients the records held
        2.7 million copies of the ids (about 170 MB). Records with the same patients share one tuple: a
        20,000-patient run has 1,029 records with patients but 228 distinct patient sets, so a set is looked up
        (hashed and compared in C) instead of rebuilt id by id, and equal sets become one object
        (results/provenance.py codes each distinct object once)."""
        key = patients if type(patients) is tuple else tuple(patients)
        out = self._tuples.get(key)
        if out is None:
            ids = self._ids
            out = tuple(map(ids.setdefault, key, key))
            self._tuples[out] = out  # keyed by the canonical tuple: a copy's str objects are not kept alive
        return out

    # ---- selecting by key -----------------------------------------------------------------------------------------
    def find(self, key: tuple) -> Record | None:
        """The record with this key (``record_key``), None if there is none; an ambiguous key is an error (two
        records a table could show in one cell)."""
        if getattr(self, "_indexed", -1) != len(self.records):
            self._index = {}
            for r in self.records.values():
                self._index.setdefault(record_key(r), []).append(r.id)
            self._indexed = len(self.records)
        ids = self._index.get(tuple(key), [])
        if len(ids) > 1:
            raise LookupError(f"records {ids} share the key {tuple(key)}")
        return self.records[ids[0]] if ids else None

    def sibling(self, r: Record, statistic: str) -> Record | None:
        """The record of the same analysis, population, variable and level with another statistic (the percentage
        of a count, the interval of an estimate)."""
        return self.find(record_key(r, statistic))

    def rec(self, id: str, value, statistic: str, **kw) -> Record:
        return self.add(Record(id, _clean(value), statistic, **kw))

    def get(self, id: str) -> Record:
        return self.records[id]

    def value(self, id: str):
        return self.records[id].value

    # ---- output -------------------------------------------------------------------------------------------------
    def records_frame(self) -> pd.DataFrame:
        rows = []
        for r in self.records.values():
            rows.append(_fields_of(r))
        # the patients behind each record are in provenance.parquet (results/provenance.py), not in every row
        cols = ["id", "block", "analysis", "population", "variable", "level", "quantity", "statistic", "value",
                "suppressed", "denominator", "decimals", "method", "rule", "paper_ref", "extension", "note",
                "footnote", "warning"]
        return pd.DataFrame(rows, columns=cols)

    def to_csv(self) -> str:
        """results.csv: one row per record, formula-safe (``safe_text.frame_to_csv``)."""
        return frame_to_csv(self.records_frame())

    def to_dict(self) -> dict:
        return {
            "study": self.study,
            "source": self.source,
            "synthetic": self.synthetic,
            "meta": {k: v for k, v in self.meta.items() if not k.startswith("_")},
            "records": [_record_json(r) for r in self.records.values()],
            "curves": [{"id": c.id, "kind": c.kind, "title": c.title, "population": c.population,
                        "endpoint": c.endpoint, "test_id": c.test_id, "time_unit": c.time_unit, "block": c.block,
                        "extension": c.extension, "note": c.note, "labels": dict(sorted(c.labels.items())),
                        "corrected": [list(x) for x in c.corrected],
                        "steps": _frame_json(c.steps), "at_risk": _frame_json(c.at_risk)}
                       for c in self.curves.values()],
            "tables": [asdict(t) for t in self.tables.values()],
            "flow": {"boxes": [{k: v for k, v in b.items() if k != "patients"} for b in self.flow.boxes], "edges": [list(e) for e in self.flow.edges],
                     "excluded": self.flow.excluded, "reasons": self.flow.reasons},
            "timelines": _frame_json(self.timelines),
            "text": self.text,
            "r_checks": self.checks,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=1, sort_keys=True, default=_default, allow_nan=False) + "\n"


def _clean(v):
    if v is None:
        return None
    if isinstance(v, float) and not math.isfinite(v):
        return None
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            return v.item()
        except (AttributeError, ValueError):
            return v
    return v


def _fields_of(r: Record) -> dict:
    """The record's fields as a dict, shallow (``dataclasses.asdict`` deep-copies every patient id: a third of the
    time of writing results at 1,000 patients); the fields hold plain values only."""
    return {name: getattr(r, name) for name in _RECORD_FIELDS}


def _record_json(r: Record) -> dict:
    return _fields_of(r)


def _frame_json(df: pd.DataFrame) -> list[dict]:
    if df is None or not len(df):
        return []
    out = []
    for rec in df.to_dict("records"):
        out.append({k: _clean(v) if not isinstance(v, float) or math.isfinite(v) else None for k, v in rec.items()})
    return out


def _default(o):
    if hasattr(o, "isoformat"):
        return o.isoformat()
    if hasattr(o, "item"):
        return o.item()
    if isinstance(o, (set, tuple)):
        return list(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
