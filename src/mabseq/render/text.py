"""The Results text: templates from the study preset, filled from the records (each with its display decimals)."""
from __future__ import annotations

import re

from ..results.format import fmt_num, format_p, style_percent
from ..results.records import PLACEHOLDER, ResultSet

PERCENT_STATISTICS = {"pct", "estimate_pct", "ci_low_pct", "ci_high_pct"}
_PLACEHOLDER = PLACEHOLDER
_HIDDEN = "\x00"  # a suppressed record while the sentence is filled
_HIDDEN_PCT = re.compile(r" ?\(\s*\x00%?\)|\x00%")


def _number(results: ResultSet, r, conventions: str) -> str:
    if conventions == "gtsummary" and r.statistic in PERCENT_STATISTICS:
        return style_percent(r.value)  # as the tables show it
    return fmt_num(r.value, r.decimals if r.decimals is not None else 0)


def estimate(results: ResultSet, r, conventions: str = "paper") -> str:
    """``{id:est}``: a percentage estimate with its 95% interval (the records of the same key with the statistics
    ci_low_pct and ci_high_pct) and its warning: '45.5% (95% CI, 24.4-84.6)', '20.0% (95% CI, 3.1-58.0; unstable:
    fewer than 5 at risk)'. The parts are the results'; this only writes them."""
    lo, hi = results.sibling(r, "ci_low_pct"), results.sibling(r, "ci_high_pct")
    inside = []
    if lo is not None and hi is not None and lo.value is not None and hi.value is not None \
            and not lo.suppressed and not hi.suppressed:
        inside.append(f"95% CI, {_number(results, lo, conventions)}-{_number(results, hi, conventions)}")
    if r.warning:
        inside.append(r.warning)
    out = f"{_number(results, r, conventions)}%"
    return f"{out} ({'; '.join(inside)})" if inside else out


def fill(results: ResultSet, template: str) -> str:
    """Each ``{record_id}`` replaced by its value at the record's decimals; p-values in the study's conventions
    (``results.meta["conventions"]``: 'paper' or 'gtsummary'); ``{record_id:est}`` a percentage with its interval
    and warning (:func:`estimate`)."""
    conventions = results.meta.get("conventions", "paper")
    hidden_pct: list[str] = []

    def sub(m):
        rid, style = m.group(1), m.group(2)
        r = results.records.get(rid)
        if r is not None and r.suppressed:  # a count shows its marker; its percentage is left out
            if r.statistic in PERCENT_STATISTICS:
                hidden_pct.append(r.suppressed)
                return _HIDDEN
            return r.suppressed
        if r is None or r.value is None:
            return "NA"
        if style == "est":
            return estimate(results, r, conventions)
        if style == "p" or r.statistic == "p_value":
            return format_p(r.value, conventions)
        if isinstance(r.value, str):
            return r.value
        return _number(results, r, conventions)
    out = _PLACEHOLDER.sub(sub, template)
    if hidden_pct:  # 'n (x%)' -> 'n'; a percentage alone shows the marker
        out = _HIDDEN_PCT.sub(lambda m: "" if m.group(0).startswith((" ", "(")) else "*", out)
        out = out.replace(_HIDDEN, "*")
    return out


def paragraphs(results: ResultSet) -> list[tuple[str, list[str]]]:
    return [(title, [fill(results, t) for t in texts]) for title, texts in results.text.items()]


def na_reasons(results: ResultSet, template: str) -> list[str]:
    """Why the NA placeholders of ``template`` are NA: the notes of the records without a value (each once, in
    order), or 'not computed' for a record the study did not produce."""
    out: dict[str, None] = {}
    for m in _PLACEHOLDER.finditer(template):
        r = results.records.get(m.group(1))
        if r is None:
            out["not computed"] = None
        elif r.value is None:
            out[r.note or "not computed"] = None
    return list(out)


def sections(results: ResultSet) -> list[dict]:
    """The Results text as shown: per section its title and either the reason it was not computed (from
    ``results.meta["not_computed"]``) or its filled paragraphs, each with the reasons of its NA values."""
    nc = results.meta.get("not_computed", {})
    out = []
    for title, texts in results.text.items():
        entry = nc.get(title)
        if entry is not None and entry.get("kind") == "text":
            out.append({"title": title, "reason": entry["reason"], "paragraphs": []})
        else:
            out.append({"title": title, "reason": "",
                        "paragraphs": [(fill(results, t), na_reasons(results, t)) for t in texts]})
    return out
