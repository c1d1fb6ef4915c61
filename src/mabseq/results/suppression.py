"""Small-cell suppression (``--min-cell K``), decided once here; tables, text, figures and results.json only show
the outcome (:attr:`Record.suppressed` holds what to display instead of the number).

Rules, applied to every count of patients the results hold (count records, the flow diagram's boxes, the
exclusion reasons, the numbers at risk) and repeated until nothing changes:

1. **Primary.** A count from 1 to K-1 is shown as ``<K``. A zero is shown: it discloses no patient (so K = 1
   suppresses nothing).
2. **Secondary**, shown as ``*``, for a count (of K or more, or a zero) from which a small count would follow.
   Each count carries its patients (its provenance), so the rules work on groups of patients, not on names:

   a. *Same group*: a count over exactly the patients of a suppressed count is suppressed (the same number under
      another name: a column size, a flow box, a sentence of the text).
   b. *Difference*: a count whose patients lie inside those of another shown count, or inside its denominator, is
      suppressed when the difference is 1 to K-1 (``29 - 27 = 2``: the complement within the row total; ``0 of
      3``: all three).
   c. *Sum*: the levels of one variable in one table column (when they add up to its denominator), the subgroup
      columns of a table row (when they add up to its first column) and the boxes under one box of the flow
      diagram (when their patients split it) are a partition; a partition with exactly one hidden member has its
      smallest shown non-zero part suppressed too. The excluded patients' reasons add up to the excluded total,
      and included plus excluded to the patients screened.
3. **What follows a count.** A percentage is suppressed with its count (or when the count it implies,
   ``pct x N / 100``, is suppressed by the rules above); a summary (median, quartiles, range) of fewer than K
   patients is suppressed; a denominator, a table header's ``N = x`` and the group size in a figure legend are
   withheld when that group's size is hidden; ``n = x`` in a note or footnote follows rule 1.
4. **Estimates of small groups.** Any estimate over fewer than K patients (a survival of 67% in 3 patients gives
   2 and 1 back; a median time; an interval) is suppressed, and a curve does not draw a group of fewer than K
   patients (its note says so). The per-step counts of every curve (at risk, events, censored) leave the
   results: the curve keeps its estimates, intervals and censor marks as the figure draws them. Numbers at risk
   under a figure follow rule 1 (and at time 0, the group's size, rule 2a).

Not suppressed: p-values, and the estimates of groups of K or more patients.
Residual risk, stated: the rules are one-dimensional (they do not solve systems of equations across tables); two
hidden cells of one partition whose sum is known are each protected only by the range 1..K-1.

Written by hand: statistical disclosure-control packages (sdcTable, tau-Argus) work on explicit hierarchical
tables, not on results that carry their patients; the rules above are short over that provenance.
"""
from __future__ import annotations

import bisect
import re
from collections import defaultdict

import pandas as pd

from .records import Record, ResultSet

COUNT_STATISTICS = {"n", "count_of"}
SUMMARY_STATISTICS = {"median", "q1", "q3", "min", "max", "mean"}
PERCENT_STATISTICS = {"pct"}
SECONDARY = "*"
UNSUPPRESSED = {"p_value"}  # a test of groups gives no count back


def primary_marker(k: int) -> str:
    return f"<{k}"


def footnote(k: int) -> str:
    return (f"Small cells suppressed (--min-cell {k}): <{k}, a count of 1 to {k - 1} patients; *, withheld so "
            f"that such a count cannot be derived (a complement, a sum or the same group elsewhere), or a summary "
            f"of fewer than {k} patients.")


class _Cells:
    """Every count of patients in the results: key -> value, patients (frozenset or None)."""

    def __init__(self):
        self.value: dict[tuple, int] = {}
        self.patients: dict[tuple, frozenset | None] = {}
        self.population: dict[tuple, str] = {}
        self.denominator: dict[tuple, int | None] = {}
        self.hidden: dict[tuple, str] = {}
        self.equations: list[tuple[tuple, list[tuple]]] = []  # (total, parts): total = sum(parts)

    def add(self, key, value, patients=None, population="", denominator=None):
        """A count; ``patients`` None when unknown (a zero's are known: none)."""
        if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            return
        self.value[key] = int(value)
        self.patients[key] = frozenset() if value == 0 else (frozenset(patients) if patients else None)
        self.population[key] = population
        self.denominator[key] = denominator

    def hide(self, key, marker) -> bool:
        if key in self.hidden or key not in self.value:
            return False
        self.hidden[key] = marker
        return True


def _collect(results: ResultSet) -> _Cells:
    cells = _Cells()
    for r in results.records.values():
        if r.statistic in COUNT_STATISTICS:
            cells.add(("rec", r.id), r.value, r.patients, r.population, r.denominator)
    boxes = {b.get("id"): b for b in results.flow.boxes}
    for bid, b in boxes.items():
        cells.add(("box", bid), b.get("n"), b.get("patients"))
    children = defaultdict(list)
    for a, b in results.flow.edges:
        children[a].append(b)
    for parent, kids in children.items():
        sets = [cells.patients.get(("box", c)) for c in kids]
        whole = cells.patients.get(("box", parent))
        if len(kids) > 1 and whole is not None and all(s is not None for s in sets) and \
                sum(len(s) for s in sets) == len(whole) and frozenset().union(*sets) == whole:
            cells.equations.append((("box", parent), [("box", c) for c in kids]))
    ex = [e for e in results.flow.excluded if "patient_id" in e]
    if ex:
        by_reason = defaultdict(list)
        for e in ex:
            by_reason[str(e.get("reason") or "not stated")].append(e["patient_id"])
        for reason, pts in by_reason.items():
            cells.add(("excl", reason), len(pts), pts)
        cells.add(("excl_total",), len(ex), [e["patient_id"] for e in ex])
        cells.equations.append((("excl_total",), [("excl", r) for r in by_reason]))
        if ("box", "screened") in cells.value and ("box", "included") in cells.value:
            cells.equations.append((("box", "screened"), [("box", "included"), ("excl_total",)]))
    for spec in results.tables.values():
        _table_equations(spec, results, cells)
    return cells


def _count_id(results: ResultSet, rid: str) -> str | None:
    r = results.records.get(rid)
    return rid if r is not None and r.statistic in COUNT_STATISTICS else None


def _table_equations(spec, results: ResultSet, cells: _Cells) -> None:
    rows = spec.rows
    # subgroup columns of a row add up to its first column
    for row in rows:
        ids = [_count_id(results, rid) for rid in row.get("cells", [])]
        if len(ids) >= 3 and all(ids):
            keys = [("rec", i) for i in ids]
            sets = [cells.patients.get(k) for k in keys]
            if all(s is not None for s in sets) and sum(len(s) for s in sets[1:]) == len(sets[0]) and \
                    frozenset().union(*sets[1:]) == sets[0]:
                cells.equations.append((keys[0], keys[1:]))
    # levels under a header, per column, that add up to their denominator
    i = 0
    while i < len(rows):
        if rows[i].get("kind") != "header":
            i += 1
            continue
        j = i + 1
        group = []
        while j < len(rows) and rows[j].get("indent", 0) > rows[i].get("indent", 0) and rows[j].get("kind") != "header":
            group.append(rows[j])
            j += 1
        ncols = max([len(r.get("cells", [])) for r in group] or [0])
        for c in range(ncols):
            ids = [_count_id(results, r["cells"][c]) if c < len(r.get("cells", [])) else None for r in group]
            ids = [x for x in ids if x]
            if len(ids) < 2:
                continue
            recs = [results.records[x] for x in ids]
            dens = {r.denominator for r in recs}
            if len(dens) == 1 and None not in dens and sum(int(r.value or 0) for r in recs) == dens.pop():
                total = ("pop", recs[0].population)
                sets = [cells.patients.get(("rec", x)) for x in ids]
                if all(s is not None for s in sets):
                    cells.add(total, recs[0].denominator, frozenset().union(*sets), recs[0].population)
                else:
                    cells.add(total, recs[0].denominator, None, recs[0].population)
                cells.equations.append((total, [("rec", x) for x in ids]))
        i = j


def _secondary(cells: _Cells, k: int) -> None:
    """Rules 2a-c, each pass decided on the cells hidden when it starts (so the outcome does not depend on the order
    of the results), until a pass hides nothing new."""
    by_set: dict[frozenset, list] = defaultdict(list)
    for key, s in cells.patients.items():
        if s:
            by_set[s].append(key)
    sized = sorted(((len(s), key) for key, s in cells.patients.items() if s), key=lambda t: (t[0], str(t[1])))
    sizes = [t[0] for t in sized]
    while True:
        hidden = set(cells.hidden)
        new = set()
        # a. the same group of patients
        for key in hidden:
            s = cells.patients.get(key)
            new.update(o for o in by_set.get(s, []) if s and o not in hidden)
        # b. a difference of 1..K-1 to the denominator, or to a shown count of a superset of the patients
        for key, v in cells.value.items():
            if key in hidden:
                continue
            den = cells.denominator.get(key)
            if den is not None and 1 <= den - v <= k - 1:
                new.add(key)
                continue
            s = cells.patients.get(key)
            if not s:
                continue
            for size, other in sized[bisect.bisect_right(sizes, len(s)):]:
                if size - len(s) > k - 1:
                    break
                if other not in hidden and s < cells.patients[other]:
                    new.add(key)
                    break
        # c. a partition with exactly one hidden member: its smallest shown non-zero part too
        for total, parts in cells.equations:
            if sum(1 for m in [total] + parts if m in hidden) != 1:
                continue
            shown = sorted(((cells.value[p], str(p)), p) for p in parts
                           if p not in hidden and cells.value.get(p, 0) > 0)
            if shown:
                new.add(shown[0][1])
            elif total not in hidden:
                new.add(total)
        new -= hidden
        if not new:
            return
        for key in new:
            cells.hide(key, SECONDARY)


_N_EQ = re.compile(r"\b([nN]\s?=\s?)(\d+)\b")
_OF_N = re.compile(r"\b(of\s)(\d+)\b")


def scrub_counts(text: str, k: int, hidden_sizes: set[int] = frozenset(), *, of: bool = False) -> str:
    """``n = x`` (and with ``of``, ``of x``) in a label or note: x replaced when 1 <= x < K (``<K``), or when it is
    the size of a hidden group (``*``)."""
    def sub(m):
        x = int(m.group(2))
        if 1 <= x <= k - 1:
            return m.group(1) + primary_marker(k)
        if x in hidden_sizes:
            return m.group(1) + SECONDARY
        return m.group(0)
    text = _N_EQ.sub(sub, text)
    return _OF_N.sub(sub, text) if of else text


# a whole number in running text (not part of a decimal, an id, a date or a range)
_INTEGER = re.compile(r"(?<![\w.\-/<])(\d+)(?![\w.\-/%]|\.\d)")
# the words after which a small number is no count of patients: a day, a grade, a rule's threshold or a section
_NOT_A_COUNT = re.compile(r"(?:\bday|\bdays|\bSD|\bgrade|\bthan|\bminimum of|\bminimum|\bsection|\bCC|\bd|"
                          r"\blines?|\bcycles?|\brho =|\bstage|\bmonths?|\byears?|\btype)\s*$", re.I)


def scrub_small_integers(text: str, k: int) -> str:
    """Every whole number 1..K-1 in a note, rule or footnote replaced by ``<K`` unless it follows a word that makes
    it no count (day, grade, SD, 'fewer than', ...): notes say '2 of 211 non-responders', 'excluded 1', '1 patient
    with aGVHD of no recorded grade', counts the records they annotate may hide."""
    if not text or k <= 1:
        return text

    def sub(m):
        x = int(m.group(1))
        if not 1 <= x <= k - 1 or _NOT_A_COUNT.search(text[:m.start()]):
            return m.group(0)
        return primary_marker(k)
    return _INTEGER.sub(sub, text)


def suppress_small_cells(results: ResultSet, k: int) -> None:
    """Apply the rules of this module to ``results`` in place, once, before anything renders them."""
    results.meta["min_cell"] = int(k)
    if k <= 1:
        return
    cells = _collect(results)
    for key, v in cells.value.items():
        if 1 <= v <= k - 1:
            cells.hide(key, primary_marker(k))
    _secondary(cells, k)
    hidden = cells.hidden
    recs = results.records

    # groups whose size is hidden: by population name, and the sizes themselves
    hidden_pops = {cells.population[key] for key in hidden if key[0] == "pop" or
                   (key[0] == "rec" and recs[key[1]].statistic == "count_of")}
    hidden_sizes = {cells.value[key] for key in hidden if key[0] in ("pop",) or
                    (key[0] == "rec" and recs[key[1]].statistic == "count_of")}

    # counts, then what follows them
    by_group = {}
    for r in recs.values():
        if r.statistic in COUNT_STATISTICS and ("rec", r.id) in hidden:
            by_group[(frozenset(r.patients), r.denominator, r.population)] = hidden[("rec", r.id)]
    for r in recs.values():
        marker = None
        if r.statistic in COUNT_STATISTICS:
            marker = hidden.get(("rec", r.id))
        elif r.statistic in PERCENT_STATISTICS and isinstance(r.value, (int, float)) and r.denominator:
            marker = by_group.get((frozenset(r.patients), r.denominator, r.population))
            implied = round(r.value * r.denominator / 100)
            if marker is None and (1 <= implied <= k - 1 or 1 <= r.denominator - implied <= k - 1
                                   or r.population in hidden_pops or r.denominator < k):
                marker = SECONDARY
        elif r.statistic in SUMMARY_STATISTICS and r.denominator is not None and r.denominator < k:
            marker = SECONDARY
        elif r.statistic not in UNSUPPRESSED and r.patients and len(set(r.patients)) <= k - 1:
            marker = SECONDARY  # an estimate over fewer than K patients (a survival of 2/3 gives 3 and 1 back)
        if marker is not None:
            _withhold(r, marker)
        if r.denominator is not None and (r.denominator < k or r.population in hidden_pops):
            r.denominator = None
        if r.note:
            r.note = scrub_small_integers(scrub_counts(r.note, k, hidden_sizes, of=True), k)
        for f in ("rule", "warning", "footnote"):
            if getattr(r, f):
                setattr(r, f, scrub_small_integers(getattr(r, f), k))

    for b in results.flow.boxes:
        m = hidden.get(("box", b.get("id")))
        if m is not None:
            b["n"] = m
            b["patients"] = []
        if b.get("note"):
            b["note"] = scrub_counts(b["note"], k, hidden_sizes)
    _aggregate_excluded(results, cells)
    _meta_counts(results, cells, k)
    for spec in results.tables.values():
        _scrub_table(spec, results, k, hidden_pops, hidden_sizes)
    for c in results.curves.values():
        _suppress_curve(c, k, hidden_sizes, hidden_pops)
        c.note = scrub_small_integers(scrub_counts(c.note, k, hidden_sizes), k)
    for entry in results.meta.get("not_computed", {}).values():  # the reasons of what was not computed
        if entry.get("reason"):
            entry["reason"] = scrub_small_integers(entry["reason"], k)
    results.meta["suppressed_records"] = sum(1 for r in recs.values() if r.suppressed)
    results.checks = [c for c in results.checks if _check_shows_only_what_is_shown(results, c, k)]


def _check_shows_only_what_is_shown(results: ResultSet, c: dict, k: int) -> bool:
    """An R check that carries its own value (a flow box, a number at risk, a legend's n) is kept only when the
    report shows that value: a hidden one would come back through r_checks.csv and results.json."""
    if c.get("value") is None:
        rec = results.records.get(c["id"])
        return rec is None or not rec.suppressed
    v = c["value"]
    if isinstance(v, (int, float)) and 1 <= v <= k - 1:
        return False
    parts = str(c["id"]).split("/")
    if parts[0] == "flow" and len(parts) == 2:
        box = next((b for b in results.flow.boxes if b.get("id") == parts[1]), None)
        return box is not None and not isinstance(box.get("n"), str)
    curve = results.curves.get(parts[0])
    if curve is None or len(parts) < 3:
        return True
    if parts[1] == "at_risk" and curve.at_risk is not None and "shown" in curve.at_risk:
        ar = curve.at_risk
        row = ar[(ar["group"].astype(str) == parts[2]) & (ar["time"].astype(float) == float(parts[3]))]
        return bool(len(row)) and str(row["shown"].iloc[0]) == str(int(v))
    if parts[1] == "legend_n" and curve.steps is not None and "group_n" in curve.steps:
        st = curve.steps[curve.steps["group"].astype(str) == parts[2]]
        return bool(len(st)) and str(st["group_n"].iloc[0]) == str(int(v))
    return True


def _withhold(r: Record, marker: str) -> None:
    r.value = None
    r.suppressed = marker
    r.patients = ()


def _aggregate_excluded(results: ResultSet, cells: _Cells) -> None:
    """The excluded patients as reasons with counts (suppressed where the rules say), without patient ids."""
    ex = [e for e in results.flow.excluded if "patient_id" in e]
    if not ex:
        return
    counts = defaultdict(int)
    for e in ex:
        counts[str(e.get("reason") or "not stated")] += 1
    results.flow.excluded = [{"reason": r, "n": cells.hidden.get(("excl", r), n)} for r, n in sorted(counts.items())]


def _meta_counts(results: ResultSet, cells: _Cells, k: int) -> None:
    meta = results.meta
    inc = cells.hidden.get(("box", "included"))
    if inc is None and isinstance(meta.get("n_included"), int) and 1 <= meta["n_included"] <= k - 1:
        inc = primary_marker(k)
    if inc is not None:
        meta["n_included"] = inc
    exc = cells.hidden.get(("excl_total",))
    if exc is None and isinstance(meta.get("n_excluded"), int) and 1 <= meta["n_excluded"] <= k - 1:
        exc = primary_marker(k)
    if exc is not None:
        meta["n_excluded"] = exc


def _scrub_table(spec, results: ResultSet, k: int, hidden_pops: set, hidden_sizes: set) -> None:
    cols = list(spec.columns)
    for j in range(1, len(cols)):
        pops = {results.records[row["cells"][j - 1]].population for row in spec.rows
                if len(row.get("cells", [])) >= j and row["cells"][j - 1] in results.records}
        sizes = hidden_sizes if pops & hidden_pops else set()
        cols[j] = scrub_counts(cols[j], k, sizes, of=True)
    spec.columns = cols
    spec.footnotes = [scrub_small_integers(scrub_counts(f, k), k) for f in spec.footnotes] + [footnote(k)]
    for row in spec.rows:
        row["label"] = scrub_counts(row.get("label", ""), k)


def _suppress_curve(c, k: int, hidden_sizes: set, hidden_pops: set) -> None:
    """Numbers at risk as display strings (``shown``); the steps without their counts (``censored`` marks, the
    ``delayed_entry`` of a group and its size as the legend shows it)."""
    def shown(n, at_start):
        if n is None or pd.isna(n):
            return ""
        n = int(n)
        if 1 <= n <= k - 1:
            return primary_marker(k)
        return SECONDARY if at_start and n in hidden_sizes else str(n)

    if c.at_risk is not None and len(c.at_risk):
        ar = c.at_risk.copy()
        first = ar.groupby("group", sort=False)["time"].transform("min")
        ar["shown"] = [shown(n, t == t0) for n, t, t0 in zip(ar["n_risk"], ar["time"], first)]
        ar["n_risk"] = [None if s in ("", SECONDARY) or s.startswith("<") else int(s) for s in ar["shown"]]
        c.at_risk = ar
    st = c.steps
    if st is None or not len(st) or not {"n_risk", "n_event", "n_censor"} <= set(st.columns):
        return
    st = st.copy()
    parts, small = [], []
    for g, d in st.groupby("group", sort=False):
        d = d.sort_values("time", kind="mergesort").copy()
        first = int(d["n_risk"].iloc[0])
        leaving = int(d["n_event"].sum() + d["n_censor"].sum())
        if max(first, leaving) <= k - 1:  # a curve of fewer than K patients gives its counts back: not drawn
            small.append(str(g))
            continue
        d["delayed_entry"] = first < leaving
        # the legend's n: the group's size as the study stored it (at the origin), else the patients of the steps
        d["group_n"] = shown(d["group_n"].iloc[0] if "group_n" in d else max(first, leaving), True)
        parts.append(d)
    st = pd.concat(parts).sort_index(kind="mergesort") if parts else \
        st.iloc[0:0].assign(delayed_entry=False, group_n="")
    if small:
        if c.at_risk is not None and len(c.at_risk):
            c.at_risk = c.at_risk[~c.at_risk["group"].astype(str).isin(small)].reset_index(drop=True)
        c.note = (c.note + "; " if c.note else "") + f"groups of fewer than {k} patients not drawn"
    if "censored" not in st:  # a curve with group switches says itself which censorings are true ones
        st["censored"] = st["n_censor"] > 0
    c.steps = st.drop(columns=[x for x in ("n_risk", "n_event", "n_censor", "n_switch") if x in st])


def exclusion_counts(results: ResultSet) -> list[tuple[str, int | str]]:
    """(reason, count) of the excluded patients, most frequent first; the count is a display string when
    suppressed. Works on the patient list or on the aggregated form :func:`suppress_small_cells` leaves."""
    counts: dict[str, int | str] = {}
    for e in results.flow.excluded:
        r = str(e.get("reason") or "not stated")
        if "patient_id" in e:
            counts[r] = int(counts.get(r, 0)) + 1
        else:
            counts[r] = e.get("n", "")
    return sorted(counts.items(), key=lambda kv: (-(kv[1] if isinstance(kv[1], int) else 0), kv[0]))


__all__ = ["suppress_small_cells", "exclusion_counts", "scrub_counts", "scrub_small_integers", "primary_marker", "footnote", "SECONDARY"]
