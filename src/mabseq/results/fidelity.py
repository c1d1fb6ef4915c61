"""Fidelity: every published number beside this cohort's, with the study-definition match rule (section 5).

Generic rules by statistic: counts exact; percentages, medians, quartiles, ranges, months and survival estimates
equal after half-up rounding to the printed decimals; Kaplan-Meier CI limits within 0.1 percentage points; p-values
equal at 2 decimals, asserted only where the reference says so. What is particular to a paper lives in its preset's
reference file beside its published numbers (``data/paper/reference.csv``: id, assert yes / no / warn, a special
rule ``abs_diff:D``, ``one_of:A|B`` or ``range:LO|HI``, and the note that says why, e.g. the plan's exclusion 5.3 or
reading 5.4). Excluded ids are shown with the reason, never asserted.
"""
from __future__ import annotations

import math
from decimal import Decimal
from importlib import resources

import pandas as pd

from .format import round_half_up
from .records import ResultSet

def _bundled(name: str) -> pd.DataFrame:
    path = resources.files("mabseq") / "data" / "paper" / name
    with path.open("r", encoding="utf-8") as fh:
        return pd.read_csv(fh, dtype=str, keep_default_na=False)


def published() -> pd.DataFrame:
    return _bundled("published-results.csv")


def reference() -> dict[str, dict]:
    """The paper preset's reference file: id -> {assert, rule, note}."""
    return {r["id"]: r for r in _bundled("reference.csv").to_dict("records")}


def _decimals(s: str) -> int:
    return len(s.split(".")[1]) if "." in s else 0


def match(pub_value: str, statistic: str, computed, rule: str = "") -> tuple[str, str]:
    """('match' | 'differs' | 'not computed', detail) under the generic rule of ``statistic`` or the reference
    file's special ``rule``."""
    if computed is None or (isinstance(computed, float) and not math.isfinite(computed)):
        return "not computed", ""
    if pub_value == "NR":
        return ("match", "") if computed == "NR" else ("differs", "published NR (not reached)")
    if isinstance(computed, str):
        return ("match", "") if computed == pub_value else ("differs", "")
    dec = _decimals(pub_value)
    pub = Decimal(pub_value)
    exact = Decimal(f"{float(computed):.10g}")
    kind, _, arg = rule.partition(":")
    if kind == "one_of":
        r = round_half_up(computed, dec)
        return ("match" if r in {Decimal(a) for a in arg.split("|")} else "differs", f"accepts {arg.replace('|', ' or ')}")
    if kind == "range":
        lo, hi = (Decimal(a) for a in arg.split("|"))
        return ("match" if lo <= exact <= hi else "differs", f"accepts [{lo}, {hi}]")
    if statistic in ("ci_low_pct", "ci_high_pct") or kind == "abs_diff":
        tol = Decimal(arg) if kind == "abs_diff" else Decimal("0.1")
        diff = abs(exact - pub)
        return ("match" if diff <= tol + Decimal("1e-9") else "differs", f"|diff| {diff:.3f}")
    if statistic in ("n", "count_of"):
        return ("match" if exact == pub else "differs", "")
    r = round_half_up(computed, dec)
    return ("match" if r == pub else "differs", f"rounds to {r}")


PUBLISHED_STUDIES = {"paper"}  # the study presets whose published numbers are bundled (data/paper/)
COLUMNS = ["id", "source", "quantity", "statistic", "published", "computed", "status", "detail", "result_id"]


def fidelity_table(results: ResultSet) -> pd.DataFrame:
    """One row per published id: published, computed, status (match / differs / not computed / excluded). Empty
    for a study without a published reference."""
    if results.study not in PUBLISHED_STUDIES:
        return pd.DataFrame(columns=COLUMNS)
    pub, ref = published(), reference()
    by_ref = {}
    for r in results.records.values():
        if r.paper_ref and not r.extension:
            by_ref.setdefault(r.paper_ref, r)
    rows = []
    for _, p in pub.iterrows():
        rec = by_ref.get(p["id"])
        computed = None if rec is None else rec.value
        spec = ref.get(p["id"], {"assert": "", "rule": "", "note": ""})
        if spec["assert"] == "no":
            status, detail = "excluded", spec["note"]
        elif p["statistic"] == "p_value" and spec["assert"] not in ("yes", "warn"):
            status, detail = "not asserted", "p-value not among the reproducible ids (5.1)"
        else:
            status, detail = match(p["value"], p["statistic"], computed, spec["rule"])
            if status == "differs" and spec["assert"] == "warn":
                status = "differs (warning only)"
        rows.append({"id": p["id"], "source": p["source"], "quantity": p["quantity"], "statistic": p["statistic"],
                     "published": p["value"], "computed": computed, "status": status, "detail": detail,
                     "result_id": rec.id if rec else ""})
    return pd.DataFrame(rows, columns=COLUMNS)


def fidelity_summary(table: pd.DataFrame) -> dict:
    counts = table["status"].value_counts().to_dict()
    return {k: int(v) for k, v in sorted(counts.items())}
