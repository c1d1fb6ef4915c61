"""`mabseq map draft`: a complete mapping file (docs/MAPPING.md, format 1) proposed from a scan of DATA.

The draft decides what the profile and the vocabularies settle (:mod:`.draft_plan` for sources and tables,
:mod:`.draft_match` for headers, :mod:`.draft_values` for value maps, number parsers and dates) and writes the
literal ``TODO`` wherever a person must decide, with the number of cells or rows concerned in a comment beside it:
loading the mapping refuses a ``TODO``, so nothing undecided reaches a cohort. Each table opens with a comment
saying what was assigned and how sure (``sure``: a header synonym, a vocabulary term; ``likely``: a similar
name or spelling). Columns assigned nowhere are listed under the source's ``ignore_columns`` so that nothing is
left out unseen. The YAML is written by ruamel.yaml (comments kept, keys in a fixed order), so the same profile and
vocabularies give the same bytes.
"""
from __future__ import annotations

import copy
import dataclasses as _dc
import io
import re
from dataclasses import dataclass, field

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.scalarstring import DoubleQuotedScalarString as Q

from ..cohort.schema import BY_NAME, Column
from .draft_match import Match
from .draft_plan import Block, Plan, plan
from .draft_values import (TODO, Decision, all_integers, cns_rows, date_rule, drug_rows, has_hla_fractions,
                           hla_rows, number_parser, value_rows)
from .vocab import Vocabularies, norm, squash

DRUG_COLUMNS = ("therapy_class", "agents")


@dataclass
class TableReport:
    table: str
    text: str


@dataclass
class Draft:
    text: str                                   # the YAML
    reports: list[str] = field(default_factory=list)  # one line per table (also written as comments)
    todo: int = 0


def _eol(m, text: str, key) -> None:
    m.yaml_add_eol_comment(text, key, column=0)


def _flow(d: dict) -> CommentedMap:
    m = CommentedMap(d)
    m.fa.set_flow_style()
    return m


def _flow_seq(items) -> CommentedSeq:
    s = CommentedSeq(items)
    s.fa.set_flow_style()
    return s


def _q(v):
    return v if v == TODO else Q(str(v))


def literal_key(value: str) -> str:
    """A value-map key that matches exactly ``value``: a source value that looks like one of the map's special
    keys (``*`` any other value, ``re:...`` a regular expression) is written as an anchored regular expression."""
    v = " ".join(value.split())
    if v == "*" or v.casefold().startswith("re:"):
        return "re:^\\s*" + "\\s+".join(re.escape(w) for w in v.split()) + "\\s*$"
    return value


def source_names(profile) -> dict[str, str]:
    """A short, unique name per source: its sheet or file name in lower case with _ for other characters."""
    out, seen = {}, set()
    for sp in profile.sources:
        base = "".join(ch if ch.isalnum() else "_" for ch in sp.name.rsplit(".", 1)[0].casefold()).strip("_")
        base = base or "source"
        if base[0].isdigit():
            base = "s_" + base
        name, i = base, 2
        while name in seen:
            name, i = f"{base}_{i}", i + 1
        seen.add(name)
        out[sp.name] = name
    return out


class _Writer:
    def __init__(self, profile, vocabs: Vocabularies, p: Plan, books=()):
        self.profile, self.vocabs, self.p = profile, vocabs, p
        self.books = list(books)  # code books of DATA (documentation, not data)
        self.split = None         # a long-format events file split with follow_up (draft_split)
        self.names = source_names(profile)
        self.todo = 0
        self.reports: list[str] = []
        self.collapse_used: set[tuple[str, str]] = set()
        self.encoding: str | None = None
        self.sure_formats: dict[str, int] = {}  # formats that columns read without a day/month doubt
        for sp in profile.sources:
            for c in sp.columns:
                f = {k: n for k, n in (c.date_formats or {}).items() if k != "%Y-%m-%d"}
                from .draft_values import _twin
                for k, n in f.items():
                    if _twin(k) not in f:
                        self.sure_formats[k] = self.sure_formats.get(k, 0) + n

    # ---- one column ----
    def column_spec(self, table: str, sc: Column, col, header: str, source: str | None, decimal: str,
                    d: Decision):
        """The spec of schema column ``sc`` fed by ``col`` and its comment lines."""
        spec = CommentedMap()
        spec["column"] = Q(header)
        if source is not None:
            spec["source"] = source
        notes: list[str] = []
        if sc.name == "patient_id":
            padded = (col.patterns or {}).get("padded", 0)
            cased = len({norm(v) for v, _ in col.values}) < len({v.strip() for v, _ in col.values})
            if padded or cased:
                notes.append("ids differ in spaces or letter case: normalised as `ids:` says")
        elif table == "disease_events" and sc.name == "cns_involved" and col.header == self._site_header(col):
            spec["values"] = self.value_map(cns_rows(self.vocabs, col, d, self.books))
        elif table == "transplants" and sc.name in ("hla_matched", "hla_typed") and has_hla_fractions(col):
            spec["values"] = self.value_map(hla_rows("matched" if sc.name == "hla_matched" else "typed", col, d))
        elif table == "therapies" and sc.name in DRUG_COLUMNS + ("regimen",):
            what = {"therapy_class": "class", "agents": "agents", "regimen": "regimen"}[sc.name]
            if what != "regimen" or any(self.vocabs.drugs.lookup(v) for v, _ in col.values):
                spec["values"] = self.value_map(drug_rows(self.vocabs, what, col, d))
        elif sc.type == "category" or (sc.type == "integer" and col.values and not all_integers(col)
                                       and self.vocabs.for_column(table, sc.name) is not None):
            spec["values"] = self.value_map(value_rows(self.vocabs, table, sc, col, d, self.books))
        elif sc.type == "date":
            rule, n, t = date_rule(col, self.sure_formats)
            notes += n
            d.todo += t
            if rule is not None:
                spec["date"] = _flow_seq(rule) if isinstance(rule, list) else rule
        elif sc.type in ("number", "integer"):
            rules, n = number_parser(self.vocabs, sc, col, header, decimal, d)
            notes += n
            if rules:
                spec["number"] = _flow({k: (_flow_seq(v) if isinstance(v, list) else v) for k, v in rules.items()})
        if col.non_empty == 0:
            notes.append("the column is empty")
        if len(spec) == 1 and "column" in spec:
            return Q(header), notes
        if "values" not in spec:
            spec.fa.set_flow_style()
        return spec, notes

    @staticmethod
    def _site_header(col) -> str | None:
        from .vocab import squash as _sq
        return col.header if _sq(col.header) in ("site", "relapsesite", "siteofrelapse", "location", "ort",
                                                 "lokalisation", "rezidivort", "befall") or \
            "site" in _sq(col.header) else None

    def value_map(self, rows) -> CommentedMap:
        m = CommentedMap()
        for r in rows:
            key = Q(literal_key(r.key))
            m[key] = _q(r.code)
            cells = f"{r.count} cell{'s' if r.count != 1 else ''}"
            _eol(m, f"{cells}{'; ' + r.note if r.note else ''}", key)
        return m

    # ---- one block ----
    def block(self, b: Block) -> tuple[list[CommentedMap], str]:
        """The block(s) of one plan block (two when a therapy sheet mixes per-course and per-cycle rows) and the
        table's report line."""
        table = BY_NAME[b.table]
        base = b.feeds[0]
        head = CommentedMap()
        head["from"] = self.names[base.source.name]
        if b.join_on:
            joins = CommentedSeq()
            for f, on in zip(b.feeds[1:], b.join_on):
                j = CommentedMap()
                j["source"] = self.names[f.source.name]
                j["on"] = _flow({Q(k): Q(v) for k, v in on.items()})
                j["how"] = "full"
                joins.append(j)
            head["join"] = joins
        if base.fit.group is not None:
            head["unpivot"] = _flow({"columns": Q(base.fit.group.template)})
        d = Decision()
        collapse, idx = (self.collapse(base, d) if b.table == "therapies" else (None, None))
        constants = CommentedMap()
        columns = CommentedMap()
        assigned = {}
        for i, f in enumerate(b.feeds):
            by_header = {c.header: c for c in (f.fields or []) + list(f.source.columns)}
            for m in f.fit.matches:
                if m.column in assigned:
                    continue
                col = by_header.get(m.header)
                if col is None:
                    continue
                assigned[m.column] = (m, col, None if i == 0 else self.names[f.source.name], f.source)
        drug = assigned.get("regimen") or assigned.get("therapy_class") or assigned.get("agents")
        if b.table == "therapies" and drug is not None:
            for c in DRUG_COLUMNS + ("regimen",):
                assigned.setdefault(c, drug)
        for a, b_ in (("hla_matched", "hla_typed"), ("hla_typed", "hla_matched")):
            if b.table == "transplants" and a in assigned and b_ not in assigned and has_hla_fractions(assigned[a][1]):
                assigned[b_] = assigned[a]  # "7/8": matched and typed from one column
        if b.table == "disease_events" and "site" in assigned and "cns_involved" not in assigned:
            m, col, src, sp = assigned["site"]
            assigned["cns_involved"] = (Match(m.header, "cns_involved", m.score, False, "from the site wording"),
                                        col, src, sp)
        by_source_col: dict[tuple, bool] = {}
        for sc in table.columns:
            if sc.name in assigned:
                m, col, src, sp = assigned[sc.name]
                spec, notes = self.column_spec(b.table, sc, col, m.header, src, sp.decimal, d)
                columns[sc.name] = spec
                k = (sp.name, m.header)
                by_source_col[k] = by_source_col.get(k, True) and m.sure
                if not m.sure:
                    notes.insert(0, f"likely ({m.how}" + (f", score {m.score})" if m.how != "from the site wording"
                                                          else ")"))
                if col.empty and sc.required and col.non_empty:
                    notes.append(f"{col.empty} empty cells stay empty (missing)")
                if notes:
                    _eol(columns, "; ".join(notes), sc.name)
                continue
            const = self.constant(b, sc, d, assigned)
            if const is not None:
                value, note = const
                into = columns if isinstance(value, dict) else constants  # a generated key is a column spec
                into[sc.name] = value
                if note:
                    _eol(into, note, sc.name)
            elif sc.required:
                columns[sc.name] = TODO
                d.todo += 1
                _eol(columns, f"TODO: required; no column found ({self._rows(b)} rows)", sc.name)
        where = self._split_events(b, columns, d) if b.table == "disease_events" else None
        blocks = []
        if collapse is None:
            blocks.append(self._assemble(head, where, None, constants, columns))
        else:
            split = idx.empty > 0 and idx.non_empty > 0
            if split:  # rows without a cycle number are courses already
                blocks.append(self._assemble(head, self._where(idx, True), None, constants, columns))
            cols = copy.deepcopy(columns)
            if "cycles" not in cols:  # the collapse writes its count into `cycles`, which must be set
                cols["cycles"] = _flow({"value": 1})
                _eol(cols, "replaced by the number of rows the collapse joins", "cycles")
            blocks.append(self._assemble(copy.deepcopy(head), self._where(idx, False) if split else None,
                                         collapse, copy.deepcopy(constants), cols))
        sure = sum(1 for v in by_source_col.values() if v)
        likely = len(by_source_col) - sure
        heads = {m.header for f in b.feeds for m in f.fit.matches} | ({idx.header} if idx is not None else set())
        n_cols = sum(len(f.source.columns) for f in b.feeds)
        used = sum(1 for f in b.feeds for c in f.source.columns
                   if c.header in heads or (f.fit.group is not None and c.header in f.fit.group.columns))
        where = " + ".join(f'{f.source.kind} "{f.source.name}"' for f in b.feeds)
        how = " joined" if b.join_on else ""
        line = (f"{b.table} <- {where}{how}: {used} of {n_cols} columns assigned ({sure} sure, {likely} likely), "
                f"{d.todo} TODO" + (f", {d.likely} value(s) by similar spelling" if d.likely else ""))
        if len(blocks) == 2:
            line += f' (two blocks: rows with and without "{idx.header}")'
        self.todo += d.todo
        return blocks, line

    def _split_events(self, b: Block, columns, d: Decision):
        from .draft_split import split_events
        return split_events(self, b, columns, d)

    def follow_up_blocks(self, tables) -> None:
        from .draft_split import follow_up_blocks
        follow_up_blocks(self, tables)

    @staticmethod
    def _where(idx, empty: bool) -> CommentedSeq:
        return CommentedSeq([_flow({"column": Q(idx.header), "empty": empty})])

    @staticmethod
    def _assemble(head, where, collapse, constants, columns) -> CommentedMap:
        out = CommentedMap()
        for k, v in head.items():
            out[k] = v
        if where is not None:
            out["where"] = where
        if collapse is not None:
            out["collapse"] = collapse
        if constants:
            out["constants"] = constants
        out["columns"] = columns
        return out

    def collapse(self, base, d: Decision):
        """(collapse block, cycle-number column) for a therapy sheet with a column numbering the cycles, whose gap
        is TODO; (None, None) otherwise."""
        from .draft_match import CYCLE_INDEX
        idx = next((c for c in base.source.columns if squash(c.header) in CYCLE_INDEX and c.non_empty), None)
        cols = base.fit.columns
        if idx is None or "patient_id" not in cols or "start_date" not in cols:
            return None, None
        drug = cols.get("regimen") or cols.get("therapy_class") or cols.get("agents")
        c = CommentedMap()
        c["within"] = Q(cols["patient_id"].header)
        if drug is not None:
            c["same"] = _flow_seq([Q(drug.header)])
        c["order_by"] = Q(cols["start_date"].header)
        c["gap_days"] = TODO
        c["start"] = Q(cols["start_date"].header)
        if "end_date" in cols:
            c["end"] = Q(cols["end_date"].header)
        c["cycles"] = "count"
        d.todo += 1
        _eol(c, f'TODO: {idx.non_empty} rows have a cycle number in "{idx.header}": rows of one course are at most '
                "how many days apart? (delete this block's collapse if each row is a course)", "gap_days")
        if drug is not None:
            _eol(c, "rows collapse when this text is the same (case and spaces aside): 'blina cyc 1' and "
                    "'blina cyc 2' differ", "same")
        self.collapse_used.add((base.source.name, idx.header))
        return c, idx

    def _rows(self, b: Block) -> int:
        return b.feeds[0].source.n_rows

    def constant(self, b: Block, sc: Column, d: Decision, assigned: dict):
        """(value, comment) for a schema column no source column gives, or None."""
        t = b.table
        rows = self._rows(b)
        if t == "therapies" and sc.name == "course_id":
            return _flow({"generate": "sequence", "within": "patient_id", "order_by": "start_date",
                          "format": Q("C{n}")}), "no course column: courses numbered by start date"
        if t == "assessments" and sc.name == "specimen":
            v = self.vocabs.for_column("assessments", "specimen")
            for f in b.feeds:
                s = v.lookup(f.source.name, "assessments.specimen") if v else None
                if s is not None:
                    return s.code, f'from the sheet name "{f.source.name}"'
            d.todo += 1
            return TODO, f"TODO: which specimen? ({rows} rows)"
        if t == "disease_events" and sc.name == "event_type":
            v = self.vocabs.for_column("disease_events", "event_type")
            g = b.feeds[0].fit.group
            from .draft_plan import group_prefix
            for name in ([group_prefix(g.template)] if g is not None else []) + [b.feeds[0].source.name]:
                s = v.lookup(name, "disease_events.event_type") if v else None
                if s is not None:
                    return s.code, f'from "{name}"'
            d.todo += 1
            return TODO, f"TODO: which event type? ({rows} rows)"
        if t == "toxicity_episodes" and sc.name == "toxicity":
            v = self.vocabs.for_column(t, "toxicity")
            s = v.lookup(b.feeds[0].source.name, "toxicity_episodes.toxicity") if v else None
            if s is not None:
                return s.code, f'from the sheet name "{b.feeds[0].source.name}"'
        if t == "assessments" and sc.name == "mrd_method" and "mrd_value" in assigned:
            v = self.vocabs.for_column(t, "mrd_method")
            sp = assigned["mrd_value"][3]
            s = v.lookup(sp.name, "assessments.mrd_method") if v else None
            if s is not None:
                return s.code, f'from the sheet name "{sp.name}"'
        if t == "assessments" and sc.name == "mrd_lod" and "mrd_value" in assigned:
            col = assigned["mrd_value"][1]
            neg = sum(n for v, n in col.values if norm(v) in self.vocabs.negative_words)
            if neg:
                d.todo += 1
                return TODO, (f"TODO: the assay's limit of detection (a fraction, e.g. 0.0001) for the {neg} MRD "
                              "cells read as 0; delete the line if it is not known")
        if t == "patients" and sc.name == "diagnosis":
            d.todo += 1
            return TODO, f"TODO: no diagnosis column; b_all if all {rows} patients have B-ALL"
        return None

    # ---- the file ----
    def study(self) -> CommentedMap | None:
        sp = self.p.study
        out = CommentedMap()
        cols = CommentedMap()
        if sp is None:
            out["from"] = TODO
            _eol(out, "TODO: no key/value sheet holds the cut-off; name the source", "from")
        else:
            out["from"] = self.names[sp.name]
        values = dict(sp.key_values or []) if sp is not None else {}
        for c in BY_NAME["study"].columns:
            key = self.p.study_keys.get(c.name)
            if key is not None:
                spec = CommentedMap()
                spec["column"] = Q(key)
                if c.type == "date":
                    from ..scan.patterns import date_formats_of
                    fmts = [f for f in date_formats_of(values.get(key, "")) if f != "%Y-%m-%d"]
                    settled = self._kv_settled(values, fmts)
                    if settled is not None:
                        spec["date"] = settled
                        _eol(cols, f"{values.get(key)!r} reads as {' or '.join(fmts)}: {settled}, as other dates "
                                   "of this sheet", c.name)
                    elif len(fmts) == 1:
                        spec["date"] = fmts[0]
                    elif len(fmts) > 1:
                        spec["date"] = TODO
                        self.todo += 1
                        _eol(cols, f"TODO: {values.get(key)!r} reads as {' or '.join(fmts)}",
                                                  c.name)
                spec.fa.set_flow_style()
                cols[c.name] = spec if len(spec) > 1 else Q(key)
            elif c.required:
                cols[c.name] = _flow({"value": TODO}) if c.name == "study_name" else TODO
                self.todo += 1
                _eol(cols, "TODO: required; give a value" if c.name == "study_name" else
                                          "TODO: required; no key found", c.name)
        out["columns"] = cols
        keys = sorted(set(self.p.study_keys.values()))
        self.reports.append("study <- " + (f'{sp.kind} "{sp.name}" (key/value): {len(keys)} of '
                                            f'{len(sp.key_values or [])} keys assigned' if sp is not None
                                            else "no source") + f", {sum(1 for v in cols.values() if v == TODO or (isinstance(v, dict) and TODO in v.values()))} TODO")
        return out

    @staticmethod
    def _kv_settled(values: dict, fmts: list[str]) -> str | None:
        """For a key/value sheet's date that reads both day-first and month-first: the one of the two that the
        sheet's other values read without that doubt (its values are one column: the column rule of date_rule),
        or None."""
        from ..scan.patterns import date_formats_of
        if len(fmts) != 2:
            return None
        sure = set()
        for v in values.values():
            got = [f for f in date_formats_of(v) if f in fmts]
            if len(got) == 1 and len(date_formats_of(v)) == 1:
                sure.add(got[0])
        return sure.pop() if len(sure) == 1 else None

    def sources(self) -> CommentedMap:
        out = CommentedMap()
        used_names = {f.source.name for bl in self.p.blocks.values() for b in bl for f in b.feeds}
        if self.p.study is not None:
            used_names.add(self.p.study.name)
        for sp in self.profile.sources:
            if sp.name not in used_names:
                continue
            s = CommentedMap()
            s["sheet" if sp.kind == "sheet" else "file"] = Q(sp.name)
            if sp.layout == "key_value":
                s["layout"] = "key_value"
                if sp.header_row:
                    s["header_row"] = sp.header_row
                k, v = (sp.columns + [None, None])[:2]
                if k is not None and sp.header_row:
                    s["key_column"] = Q(k.header or k.letter)
                    s["value_column"] = Q(v.header or v.letter)
                elif k is not None:
                    s["key_column"], s["value_column"] = Q(k.letter), Q(v.letter)
                if sp is self.p.study:  # the sheet is one row whose columns are its keys
                    left = [key for key, _ in sp.key_values or [] if key not in self.p.study_keys.values()]
                    if left:
                        s["ignore_columns"] = _flow_seq([Q(x) for x in left])
                        _eol(s, f"{len(left)} key(s) assigned to no study column: check them", "ignore_columns")
            else:
                if sp.header_row:
                    s["header_row"] = sp.header_row
                if sp.skip_rows:
                    s["skip_rows"] = _flow_seq(list(sp.skip_rows))
                used = self.p.used.get(sp.name, set())
                ignored = [c.header or c.letter for c in sp.columns
                           if c.header not in used and (sp.name, c.header) not in self.collapse_used]
                if ignored:
                    s["ignore_columns"] = _flow_seq([Q(h) for h in ignored])
                    _eol(s, f"{len(ignored)} column(s) assigned to no table: check them",
                                           "ignore_columns")
            if sp.kind == "file" and sp.delimiter:
                s["delimiter"] = Q(sp.delimiter)
            if sp.kind == "file" and self.encoding and self.encoding != "utf-8":
                s["encoding"] = self.encoding
            if sp.decimal == ",":
                s["decimal"] = Q(",")
            out[self.names[sp.name]] = s
            _eol(out, f"{sp.n_rows} {'keys' if sp.layout == 'key_value' else 'rows'}",
                                     self.names[sp.name])
        return out

    def id_dashes(self) -> int:
        """How many ids match across sources only once '-' is removed (0: keep the dashes)."""
        per_source = []
        for bl in self.p.blocks.values():
            for b in bl:
                for f in b.feeds:
                    m = f.fit.columns.get("patient_id")
                    col = next((c for c in f.source.columns if m and c.header == m.header), None)
                    if col is not None:
                        per_source.append({norm(v).upper() for v, _ in col.values})
        if len(per_source) < 2:
            return 0
        def undash(ids):
            return {x.replace("-", "") for x in ids}
        gained: set[str] = set()
        for i, a in enumerate(per_source):
            for b in per_source[i + 1:]:
                gained |= (undash(a) & undash(b)) - undash(a & b)
        return len(gained)

    def document(self) -> CommentedMap:
        doc = CommentedMap()
        doc["mabseq_mapping"] = 1
        ids = {"strip": True, "case": "upper"}
        remove = self.id_dashes()
        if remove:
            ids["remove"] = _flow_seq([Q("-")])
        doc["ids"] = _flow(ids)
        if remove:
            _eol(doc, f"{remove} patient ids are written with and without '-' in different sheets "
                      "(e.g. P-01 and P01): the dash is removed", "ids")
        fmts: dict[str, int] = {}
        for bl in self.p.blocks.values():
            for b in bl:
                for f in b.feeds:
                    for c in list(f.source.columns) + list(f.fields):
                        for k, n in (c.date_formats or {}).items():
                            if k != "%Y-%m-%d":
                                fmts[k] = fmts.get(k, 0) + n
        tables = CommentedMap()
        study = self.study()
        tables["study"] = study
        for t, blocks in self.p.blocks.items():
            built = [self.block(b) for b in blocks]
            maps = [m for ms, _ in built for m in ms]
            tables[t] = maps[0] if len(maps) == 1 else CommentedSeq(maps)
            lines = [line for _, line in built]
            self.reports += lines
            tables.yaml_set_comment_before_after_key(t, before="\n".join(lines), indent=2)
        self.follow_up_blocks(tables)
        tables.yaml_set_comment_before_after_key("study", before=self.reports[0], indent=2)
        if self.books:
            doc["documentation"] = _flow_seq([Q(b.name) for b in self.books])
            _eol(doc, "the code book: documentation, not data", "documentation")
        doc["sources"] = self.sources()
        ordered = sorted(fmts, key=lambda f: (-fmts[f], f))
        from .draft_values import _twin
        if ordered and not any(_twin(f) in fmts for f in ordered):
            doc["dates"] = _flow_seq([Q(f) for f in ordered])
        doc["tables"] = tables
        head = ["Drafted by `mabseq map draft` from " + str(self.profile.data) + " (docs/MAPPING.md, format 1).",
                "Every TODO is a decision for a person: mabseq refuses the mapping while one is left.",
                "Comments beside values give the number of cells; 'likely' marks a match by similar name or spelling."]
        for sp in self.p.unused_sources:
            head.append(f'Not used: {sp.kind} "{sp.name}" ({sp.n_rows} rows): it matched no table.')
        for b in self.books:
            head.append(f'Code book used: {b.kind} "{b.name}" ({b.n_codes} codes of {len(b.fields)} fields): coded '
                        "values it lists are read through their labels.")
        head.append(f"{self.todo} TODO in all.")
        doc.yaml_set_start_comment("\n".join(head))
        return doc


def draft_mapping(profile, vocabs: Vocabularies, encoding: str | None = None, grids=None) -> Draft:
    """The drafted mapping (text and per-table report lines) for a :class:`mabseq.scan.profile.DataProfile`;
    ``encoding``: the text encoding the CSV files were read with (written into each file source); ``grids``: the
    grids the profile was made from, to read a code book in DATA (:mod:`.draft_codebook`; None: none is read)."""
    from .draft_codebook import find_code_books
    books = find_code_books(profile, grids, vocabs) if grids is not None else []
    profile = _dc.replace(profile, sources=[_dc.replace(sp, columns=list(sp.columns)) for sp in profile.sources])
    p = plan(profile, vocabs, skip=frozenset((b.kind, b.name) for b in books))
    w = _Writer(profile, vocabs, p, books)  # a copy: the plan may rename blank/repeated headers
    w.encoding = encoding
    doc = w.document()
    y = YAML(typ="rt")
    y.width = 200
    y.indent(mapping=2, sequence=4, offset=2)
    buf = io.StringIO()
    y.dump(doc, buf)
    return Draft(buf.getvalue(), w.reports, w.todo)


__all__ = ["Draft", "draft_mapping", "source_names", "TODO"]
