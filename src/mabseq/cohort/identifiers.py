"""The identifier scan: every import is searched for things that identify a person, by rule, and every finding
names the table, column and row without ever showing the identifying value.

It runs inside :func:`mabseq.cohort.load_cohort` (so ``validate``, ``import``, ``run``, ``report`` and
``deidentify`` all get it), on the typed cohort, after the validator.

What is scanned, by column class:

- **id**: ``patients.patient_id`` and every ``course_id`` (the schema's id columns). In ``patient_id`` the rule id
  is ``patient.id_identifier`` whatever the pattern (the message names it); the validator has no check of its
  own (it once caught only 7+ digit strings and dates, and echoed the value).
- **label**: ``study.study_name`` and ``study.center``. Institutions are often named after people (Fred
  Hutchinson, Sloan Kettering), so only patterns that no institution name matches apply.
- **text**: every other ``string`` column of the schema (karyotype, regimen, agents, conditioning regimen, ...,
  ``disease_events.note``): the free-text columns. Category columns hold codes and are not scanned; a value that is
  not a code is refused by the validator, and its echo is masked by the sweep below.
- **headers**: the column headers the user wrote. A column the schema does not know (already ignored) whose header
  says Name / MRN / SSN / Address / Phone / E-mail / DOB / ZIP is reported as an identifier column; so is a schema
  column read from such a header through a mapping (e.g. ``"MRN": "patient_id"``).

Rule table (kind -> severity in id / text / label columns; ``-`` = not applied):

=======================  =======  =============  =======  ===================================================
rule                     id       text           label    matches
=======================  =======  =============  =======  ===================================================
identifier.ssn           error    error          error    ###-##-#### (a US social security number)
identifier.email         error    error          warning  name@domain.tld
identifier.phone         error    error          warning  (###) ###-####, ###-###-####, ###.###.####, +CC ...
identifier.mrn           error    error          error    a number labelled MRN / MR# / medical record (no.)
identifier.birth_date    error    error          error    a date labelled DOB / date of birth / born
identifier.titled_name   error    error          error    Dr. / Mr. / Mrs. / Ms. / Prof. + a capitalised word
identifier.person_name   error    error/warning  -        a common given name + a capitalised word: the whole
                                                          cell is a name -> error; inside longer text -> warning
identifier.address       error    error          warning  a number, capitalised words and a street suffix
                                                          (123 Main Street, 4 Elm Ave); P.O. Box ##
identifier.zip           error    error          warning  ZIP+4 (#####-####), or a state code + 5 digits
identifier.date          error    warning        -        a full date with a 4-digit year: YYYY-MM-DD, D/M/YYYY,
                                                          M/D/YYYY, 3 Mar 2020, Mar 3, 2020
identifier.short_date    warning  -              -        D/M/YY (in text it is more often a dosing schedule)
identifier.long_number   warning  warning        -        7 or more digits in a row (an MRN, account or SSN
                                                          without dashes; registries also use long numbers)
identifier.url           warning  warning        -        http(s)://... or www....
identifier.ip            warning  warning        -        an IPv4 address
identifier.column        warning (headers)                a header naming an identifier (ignored column, or a
                                                          schema column mapped from such a header)
=======================  =======  =============  =======  ===================================================

Why these severities: an error stops every command but ``deidentify``, so it is kept for patterns with (almost) no
false positive on clinical text and whose value would travel into outputs: a social security number, e-mail
address, phone number, labelled MRN or birth date, a titled name, a street address, a ZIP+4 are never a study id
nor a regimen. In an id column every pattern but a bare long number is an error: an id is copied into every output,
and an id built from a date is most often a birth date. A bare 7+ digit number stays a warning (as before): an MRN
and a registry's numeric research id look alike. In free text a date, a given name followed by a capitalised word,
a long number, a URL or an IP address are warnings: they are often innocent ("relapse 2019-03-04"), and the outputs
keep free text only through an allow-list. ``mabseq deidentify`` clears every flagged free-text cell.

Low false positives on clinical text: patterns are case-sensitive where capitals carry the meaning, the name rule
needs a given name from a list purged of drug and regimen abbreviations (Mel, Flu, Cy, Dex, Ara, Bu, Dana, ...)
followed by a capitalised word joined by a space (so Flu/Mel, Clo/Mel/Thio, hyper-CVAD, mini-HCVD, CD19 CAR T,
inotuzumab;vincristine, CNS, HLA 8/8 and ISCN karyotypes such as 46,XY,t(4;11)(q21;q23)[20] match nothing); a bare
5-digit number is not taken for a ZIP code. Limits: a surname alone, initials, or a name not in the list is not
found; the scan is a safety net, not a guarantee, which is why ``deidentify`` keeps only allow-listed free text.

No value is echoed: findings carry an empty ``value`` and describe the match ("an e-mail address", digits shown as
``#``). After the scan, :func:`mask_findings` sweeps every finding of the import (validator's included): a
``patient_id`` flagged here is masked wherever it appears, and a finding value or patient id that itself matches a
pattern (a name typed into a coded column, echoed by ``category.unknown``) is masked.

Cost: one vectorized pass per column with a combined pattern (pyarrow's RE2, linear in the text), then the single
patterns only on the cells the combined pass picked; findings are listed for the first 20 rows of a column and rule
and counted for the rest. Written by hand: NER libraries (spaCy, Presidio) need downloaded models and run per cell
in Python, too slow for 500,000-row cohorts and not available offline; no library ships a clinical-safe name list.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .findings import ERROR, WARNING, Finding, Findings
from .model import Cohort, RawTable
from .schema import TABLES

MAX_LISTED = 20  # findings listed per table, column and rule; the rest are counted in one more finding

# ---- given names ---------------------------------------------------------------------------------------------------
# Common given names (English, Spanish, Portuguese, French, Italian, German, Dutch, Scandinavian, Slavic, Arabic,
# Hebrew, Indian, Korean, Chinese and Japanese romanised), without words that are also drug, regimen or clinical
# abbreviations or common capitalised words (Mel, Flu, Cy, Ara, Dex, Bu, Dana, Max, May, June, Will, Mark, Hope, ...).
_GIVEN = """
Aaron Abdul Abigail Abraham Adam Adrian Adriana Agnes Ahmed Aisha Alan Albert Alberto Alejandro Alessandro Alex
Alexander Alexandra Alexis Alfred Alfredo Ali Alice Alicia Alison Allison Alma Amanda Amber Amelia Amina Amir Amit
Amy Ana Anders Andrea Andreas Andrew Andrzej Angel Angela Angelica Anil Anita Ann Anna Anne Annie Anthony Antoine
Antonio Anya Arjun Arthur Arturo Ashley Astrid Aurora Austin Barbara Beatriz Benjamin Bernard Bertha Beth Betty
Beverly Bianca Bjorn Blanca Bonnie Brandon Brenda Brian Bridget Brittany Bruce Bruno Bryan Camila Carl Carla Carlos
Carmen Carol Carole Caroline Carolyn Catherine Cecilia Charles Charlotte Chen Cheryl Chloe Christian Christina
Christine Christopher Cindy Claire Clara Claude Claudia Colin Connor Craig Cristina Crystal Cynthia Daniel Daniela
Danielle Darius David Deborah Debra Denise Dennis Diana Diane Diego Dmitri Dolores Dominic Donald Donna Doris
Dorothy Douglas Duncan Dylan Edgar Eduardo Edward Eileen Elena Eli Elias Elijah Elisa Elizabeth Ella Ellen Elsa
Emily Emma Emmanuel Enrique Eric Erica Erik Erin Ernesto Esther Ethan Eugene Eva Evelyn Fatima Felipe Felix Fernando
Fiona Francesca Francesco Francis Francisco Frank Franz Fred Frederick Gabriel Gabriela Gary Gavin Geoffrey George
Georgia Gerald Gerardo Gerhard Gillian Gina Giorgio Giovanni Giulia Giuseppe Gloria Gordon Graham Gregory Guillermo
Gustavo Hana Hannah Hans Harold Harry Hassan Heather Hector Heidi Helen Helena Henry Hiroshi Hugo Hussein Ian Ibrahim
Ignacio Ingrid Irene Iris Isaac Isabel Isabella Ivan Jack Jacob Jacqueline Jaime James Jamie Jan Jane Janet Janice
Jason Javier Jean Jeffrey Jennifer Jeremy Jerome Jessica Jesus Joan Joanna Joanne Joao Joaquin Joel Johan Johann John
Johnny Jonathan Jordan Jorge Jose Josef Joseph Josephine Joshua Juan Judith Judy Julia Julian Julie Julio Justin
Kaitlyn Karen Karin Karl Katarzyna Kate Katherine Kathleen Kathryn Katie Keith Kelly Kenji Kenneth Kevin Kimberly
Klaus Kristen Kyle Laura Lauren Laurent Lawrence Leah Leonardo Leslie Li Lillian Linda Lisa Logan Lois Lorenzo Lori
Louis Louise Lucas Lucia Luis Luisa Luke Lynn Madison Manuel Marco Marcus Margaret Maria Marie Marilyn Mario Marion
Marisol Marta Martha Martin Mary Mateo Matthew Maurice Megan Melissa Michael Michelle Miguel Mikhail Mildred Mohamed
Mohammed Monica Muhammad Nadia Nancy Natalia Natalie Nathan Nicholas Nicole Nikolai Noah Norma Olga Oliver Olivia
Omar Oscar Pablo Pamela Paola Patricia Patrick Paul Paula Pedro Peter Philip Philippe Pierre Piotr Priya Rachel Rafael
Rahul Raj Ramon Randy Raquel Raul Raymond Rebecca Regina Ricardo Richard Rita Robert Roberto Robin Rodrigo Roger
Roman Ronald Rosa Rose Ruth Ryan Sabrina Sally Samantha Samuel Sandra Sara Sarah Scott Sean Sebastian Sergei Sergio
Sharon Shirley Simon Sofia Sonia Sophie Stanley Stefan Stephanie Stephen Steven Susan Suzanne Sven Takeshi Tamara
Teresa Theresa Thomas Timothy Tomas Tyler Valentina Vanessa Veronica Victor Victoria Vincent Virginia Walter Wanda
Wei Wendy William Wolfgang Xavier Yasmin Yolanda Yuki Yusuf Zachary Zoe
"""
GIVEN_NAMES = tuple(sorted(set(_GIVEN.split())))
_NAME_RE = "(?:" + "|".join(GIVEN_NAMES) + ")"
_CAPWORD = r"[A-Z][a-z]+(?:[-'][A-Z]?[a-z]+)?"
_TITLES = r"(?:Dr|Mr|Mrs|Ms|Mx|Prof|Miss|Dra|Drs|Sra|Sr)"
_SUFFIX = (r"(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Place|Pl|Terrace|Way|Parkway|"
           r"Pkwy|Highway|Hwy|Square|Sq|Circle|Cir|Calle|Rua|Strasse|Straße)")
_STATES = ("AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC "
           "ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR").split()
_MONTH = r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?"


@dataclass(frozen=True, eq=False)
class Pattern:
    kind: str  # rule id is "identifier.<kind>"
    what: str  # how a finding names the match (never the value)
    regex: str  # RE2 syntax (pyarrow), so no look-arounds
    severity: dict  # column class -> severity; a class not listed is not scanned for this pattern
    ignore_case: bool = False
    shape: bool = False  # show the match's shape (digits as #) in the message


_E, _W = ERROR, WARNING
_DATE_RE = (r"\b(?:1[89]|20)\d\d[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])\b"
            r"|\b(?:0?[1-9]|[12]\d|3[01])[-/.](?:0?[1-9]|1[0-2])[-/.](?:1[89]|20)\d\d\b"
            r"|\b(?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12]\d|3[01])[-/.](?:1[89]|20)\d\d\b"
            rf"|\b\d{{1,2}}[ -]{_MONTH}[ ,-]*(?:1[89]|20)\d\d\b|\b{_MONTH} \d{{1,2}},? (?:1[89]|20)\d\d\b")
_SHORT_DATE_RE = r"\b\d{1,2}/\d{1,2}/\d\d\b"  # 3/4/56: only in ids (in text, "days 1/8/15" is a schedule)

PATTERNS: tuple[Pattern, ...] = (
    Pattern("ssn", "a US social security number", r"\b\d\d\d-\d\d-\d\d\d\d\b", {"id": _E, "text": _E, "label": _E},
            shape=True),
    Pattern("email", "an e-mail address", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+",
            {"id": _E, "text": _E, "label": _W}),
    Pattern("phone", "a phone number",
            r"\(\d\d\d\) ?\d\d\d[-. ]\d\d\d\d\b|\b\d\d\d[-.]\d\d\d[-.]\d\d\d\d\b"
            r"|\+\d{1,3}[ .-]?\(?\d{1,4}\)?[ .-]?\d{2,4}[ .-]?\d{3,4}\b"
            r"|(?i:\b(?:tel|phone|ph|mobile|cell|fax)\b[ .:#]*\+?\d[\d ().-]{6,}\d)",
            {"id": _E, "text": _E, "label": _W}, shape=True),
    Pattern("mrn", "a medical record number",
            r"\b(?:mrn|mr ?#|mr no|med(?:ical)?[ _-]?rec(?:ord)?s?(?:[ _-]?(?:no|num|number|#))?|hospital (?:no|number)"
            r"|chart (?:no|number))\b[ :#.=-]*\d{4,}", {"id": _E, "text": _E, "label": _E}, ignore_case=True),
    Pattern("birth_date", "a date of birth",
            r"\b(?:dob|d\.o\.b\.?|date of birth|birth ?date|born(?: on)?)\b[ :=.-]*(?:\d|" + _MONTH + ")",
            {"id": _E, "text": _E, "label": _E}, ignore_case=True),
    Pattern("titled_name", "a title and a name (Dr./Mr./Mrs./Ms. ...)", rf"\b{_TITLES}\.? +{_CAPWORD}\b",
            {"id": _E, "text": _E, "label": _E}),
    Pattern("person_name", "a person's name",
            rf"^ *(?:{_NAME_RE} +(?:[A-Z]\. *)?{_CAPWORD}|{_CAPWORD}, *{_NAME_RE}) *$",
            {"id": _E, "text": _E}),
    Pattern("person_name", "what may be a person's name", rf"\b{_NAME_RE} +(?:[A-Z]\. *)?{_CAPWORD}\b",
            {"id": _E, "text": _W}),
    Pattern("address", "a street address",
            rf"\b\d{{1,6}}[A-Za-z]? +(?:{_CAPWORD}\.? +){{1,4}}{_SUFFIX}\b|\bP\.? ?O\.? +Box +\d+",
            {"id": _E, "text": _E, "label": _W}),
    Pattern("zip", "a ZIP code", r"\b\d\d\d\d\d-\d\d\d\d\b|\b(?:" + "|".join(_STATES) + r") +\d\d\d\d\d\b",
            {"id": _E, "text": _E, "label": _W}, shape=True),
    Pattern("ip", "an IP address", r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b",
            {"id": _W, "text": _W}),
    Pattern("date", "a full date", _DATE_RE, {"id": _E, "text": _W}, shape=True),
    Pattern("short_date", "what may be a date with a two-digit year", _SHORT_DATE_RE, {"id": _W}, shape=True),
    Pattern("long_number", "a number of 7 or more digits (a medical record or account number?)", r"\b\d{7,}\b",
            {"id": _W, "text": _W}, shape=True),
    Pattern("url", "a web address", r"\bhttps?://|\bwww\.[a-z0-9-]+\.", {"id": _W, "text": _W}, ignore_case=True),
)
_ORDER = {p: i for i, p in enumerate(PATTERNS)}


def _combined(cls: str) -> str:
    parts = [("(?i:" + p.regex + ")") if p.ignore_case else "(?:" + p.regex + ")" for p in PATTERNS
             if cls in p.severity]
    return "|".join(parts)


_COMBINED = {cls: _combined(cls) for cls in ("id", "text", "label")}

# ---- column classes ------------------------------------------------------------------------------------------------
ID_COLUMNS = {"patient_id", "course_id"}
LABEL_COLUMNS = {("study", "study_name"), ("study", "center")}


def column_class(table: str, column: str) -> str | None:
    """'id', 'label' or 'text' for a string column of the schema; None for columns that are not scanned."""
    t = next((t for t in TABLES if t.name == table), None)
    if t is None or column not in t or t[column].type != "string":
        return None
    if column in ID_COLUMNS:
        return "id" if (column != "patient_id" or table == "patients") else None
    return "label" if (table, column) in LABEL_COLUMNS else "text"


def free_text_columns() -> list[tuple[str, str]]:
    """The schema's free-text columns: string columns that are not ids (the label columns included)."""
    return [(t.name, c.name) for t in TABLES for c in t.columns
            if c.type == "string" and column_class(t.name, c.name) in ("text", "label")]


# ---- detection -----------------------------------------------------------------------------------------------------
def _arrow(values) -> pa.Array:
    if isinstance(values, pd.Series):
        values = values.array
    try:
        arr = pa.array(values, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        arr = pa.array([None if v is None or (not isinstance(v, str) and pd.isna(v)) else str(v) for v in values],
                       type=pa.string())
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    return arr


def _match(arr: pa.Array, regex: str, ignore_case: bool = False) -> np.ndarray:
    m = pc.match_substring_regex(arr, regex, ignore_case=ignore_case)
    return np.asarray(m.fill_null(False).to_numpy(zero_copy_only=False), dtype=bool)


@dataclass(frozen=True, eq=False)
class Hit:
    """The strongest pattern one cell matched, and every kind it matched (for the message)."""

    pattern: Pattern
    severity: str
    kinds: tuple[str, ...]
    shape: str = ""


class Hits(Mapping):
    """The cells of a column that matched, as a read-only mapping position -> :class:`Hit`, kept as arrays: the
    positions (ascending), the strongest pattern of each and the pattern matrix; a :class:`Hit` (with its kinds and
    the match's shape) is built only for the cells a finding names, so a column where every cell matches costs a few
    vectorized passes, not a Python loop per cell."""

    def __init__(self, positions: np.ndarray, best: np.ndarray, matrix: np.ndarray, pats: list[Pattern],
                 texts: pa.Array | None, cls: str):
        self.positions, self.best, self._matrix, self._pats = positions, best, matrix, pats
        self._texts, self._cls = texts, cls
        self._index = {int(p): k for k, p in enumerate(positions)} if len(positions) <= 4096 else None

    def _k(self, i: int) -> int:
        if self._index is not None:
            return self._index[i]
        k = int(np.searchsorted(self.positions, i))
        if k >= len(self.positions) or self.positions[k] != i:
            raise KeyError(i)
        return k

    def __getitem__(self, i: int) -> Hit:
        k = self._k(int(i))
        best = self._pats[int(self.best[k])]
        kinds = tuple(dict.fromkeys(p.kind for p, on in zip(self._pats, self._matrix[k]) if on))
        shape = ""
        if best.shape and self._texts is not None:
            text = self._texts[k].as_py() or ""
            m = re.search(best.regex, text, re.I if best.ignore_case else 0)  # the RE2 subset used is valid re
            shape = re.sub(r"\d", "#", m.group(0)) if m else ""
        return Hit(best, best.severity[self._cls], kinds, shape)

    def __contains__(self, i) -> bool:
        try:
            self._k(int(i))
        except (KeyError, TypeError, ValueError):
            return False
        return True

    def __iter__(self):
        return (int(p) for p in self.positions)

    def __len__(self) -> int:
        return len(self.positions)

    def severities(self) -> np.ndarray:
        return np.array([self._pats[b].severity[self._cls] for b in range(len(self._pats))], dtype=object)[self.best]

    def kinds_of_best(self) -> np.ndarray:
        return np.array([p.kind for p in self._pats], dtype=object)[self.best]


_NO_HITS = Hits(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros((0, 0), dtype=bool), [], None, "text")


def detect(values, cls: str) -> Hits:
    """Positions in ``values`` (a Series or list of str/None) that match a pattern applicable to column class
    ``cls``, with the strongest hit: errors before warnings, then the order of :data:`PATTERNS`."""
    if cls not in _COMBINED:
        return _NO_HITS
    arr = _arrow(values)
    if len(arr) == 0:
        return _NO_HITS
    cand = np.flatnonzero(_match(arr, _COMBINED[cls]))
    if not len(cand):
        return _NO_HITS
    sub = arr.take(pa.array(cand))
    pats = [p for p in PATTERNS if cls in p.severity]
    matrix = np.column_stack([_match(sub, p.regex, p.ignore_case) for p in pats])
    rank = np.array([(0 if p.severity[cls] == ERROR else 1) * 1000 + _ORDER[p] for p in pats])
    keyed = np.where(matrix, rank[None, :], 10 ** 6)
    best = keyed.argmin(axis=1)
    keep = keyed.min(axis=1) < 10 ** 6  # the combined pattern and the single ones agree; guard all the same
    return Hits(cand[keep], best[keep], matrix[keep], pats, sub.filter(pa.array(keep)), cls)


def flag_cells(series: pd.Series, cls: str) -> np.ndarray:
    """A boolean mask of the cells of ``series`` that the scan flags (any severity)."""
    mask = np.zeros(len(series), dtype=bool)
    mask[detect(series, cls).positions] = True
    return mask


def describe(hit: Hit) -> str:
    more = [k for k in hit.kinds if k != hit.pattern.kind]
    shape = f" ({hit.shape})" if hit.shape else ""
    extra = f"; it also looks like: {', '.join(k.replace('_', ' ') for k in more)}" if more else ""
    return f"{hit.pattern.what}{shape}{extra}"


# ---- headers -------------------------------------------------------------------------------------------------------
_HEADER_RULES = (
    ("a person's name", r"^(?:patient|pt|first|last|given|family|middle|full|maiden|mother'?s|father'?s|donor)?"
                        r"_?(?:name|names|surname|forename|initials)$|^name_?(?:first|last|full)$"),
    ("a medical record number", r"(?:^|_)(?:mrn|mr_?no|mr_?number|medical_?record|med_?rec|hospital_?(?:no|number|id)|"
                                r"chart_?(?:no|number)|nhs_?(?:no|number)|hn)(?:$|_)"),
    ("a social security or national id number", r"(?:^|_)(?:ssn|social_?security|sin|national_?id|passport|"
                                                r"insurance_?(?:no|number|id)|driver'?s?_?licen[cs]e)(?:$|_)"),
    ("an address", r"(?:^|_)(?:address|addr|street|city|town|county)(?:$|_)"),
    ("a ZIP or postal code", r"(?:^|_)(?:zip|zipcode|zip_?code|postcode|postal_?code|plz)(?:$|_)"),
    ("a phone or fax number", r"(?:^|_)(?:phone|telephone|tel|mobile|cell_?phone|fax)(?:$|_)"),
    ("an e-mail address", r"(?:^|_)(?:email|e_?mail|mail)(?:$|_)"),
    ("a date of birth", r"(?:^|_)(?:dob|date_?of_?birth|birth_?date|birthdate|birthday)(?:$|_)"),
)


def header_kind(header: str) -> str | None:
    """What identifier a column header names, or None."""
    norm = re.sub(r"[^0-9a-z']+", "_", str(header).strip().lower()).strip("_")
    for what, rx in _HEADER_RULES:
        if re.search(rx, norm):
            return what
    return None


# ---- the scan ------------------------------------------------------------------------------------------------------
def scan_identifiers(cohort: Cohort | None, findings: Findings, raws: list[RawTable] | None = None) -> None:
    """Add the identifier findings of ``cohort`` (and of the headers in ``raws``) to ``findings`` and mask
    identifying values in every finding."""
    new: list[Finding] = []
    labels = _labels(raws)
    flagged_ids: set[str] = set()
    if raws:
        new += _header_findings(raws)
    if cohort is not None:
        for t in TABLES:
            df = cohort.tables.get(t.name)
            if df is None or not len(df):
                continue
            for c in t.columns:
                cls = column_class(t.name, c.name)
                if cls is None or c.name not in df.columns:
                    continue
                hits = detect(df[c.name], cls)
                if not hits:
                    continue
                if c.name == "patient_id":
                    flagged_ids.update(str(v) for v in df[c.name].to_numpy(dtype=object)[hits.positions])
                label = labels.get((t.name, c.name), c.name)
                new += _cell_findings(cohort, t.name, c.name, label, cls, df, hits)
    findings.items.extend(new)
    mask_findings(findings, flagged_ids)


def _labels(raws) -> dict[tuple[str, str], str]:
    out: dict[tuple[str, str], str] = {}
    for r in raws or []:
        for canon, user in r.header.items():
            out.setdefault((r.name, canon), user)
    return out


def _header_findings(raws: list[RawTable]) -> list[Finding]:
    out = []
    for r in raws:
        for h in r.unknown_columns:
            what = header_kind(h)
            if what:
                out.append(Finding(WARNING, "identifier.column", f"the column header says it holds {what}; the "
                                   "column is not in the schema, so it is ignored and never reaches an output (remove "
                                   "it from files you share)", r.source, r.name, None, h))
        for canon, user in r.header.items():
            what = header_kind(user)
            if what and canon != "birth_date" and header_kind(canon) is None:
                out.append(Finding(WARNING, "identifier.column", f"{canon} is read from a column whose header says "
                                   f"it holds {what}; use study data only", r.source, r.name, None, user))
    return out


MASKED_ID = "[masked id]"


def _cell_findings(cohort, table, column, label, cls, df, hits: Hits) -> list[Finding]:
    locs = cohort.locations.get(table, [])
    src_default = cohort.table_sources.get(table, table)
    pids = df["patient_id"].to_numpy(dtype=object) if "patient_id" in df.columns else None
    kinds, sevs = hits.kinds_of_best(), hits.severities()
    out = []
    for kind, sev in dict.fromkeys(zip(kinds, sevs)):
        rows = hits.positions[(kinds == kind) & (sevs == sev)]
        rule = "patient.id_identifier" if column == "patient_id" else f"identifier.{kind}"
        for i in rows[:MAX_LISTED].tolist():
            h = hits[i]
            src, row = locs[i] if i < len(locs) else (src_default, None)
            pid = "" if pids is None or pd.isna(pids[i]) else str(pids[i])
            if column == "patient_id":
                msg = f"patient_id looks like {describe(h)}; use study IDs only (mabseq deidentify replaces them)"
                pid = MASKED_ID
            elif cls == "id":
                msg = f"{column} looks like {describe(h)}; use codes that identify no one"
            else:
                msg = (f"the text holds {describe(h)}; free text must not identify a person (mabseq deidentify "
                       "clears such cells)")
            out.append(Finding(sev, rule, msg, src, table, row, label, "", pid))
        if len(rows) > MAX_LISTED:
            out.append(Finding(sev, rule, f"... and {len(rows) - MAX_LISTED} more rows of this column match "
                               f"({hits[int(rows[0])].pattern.what})", src_default, table, None, label))
    return out


def _strong(hits: Hits) -> set[int]:
    """The values that hold a strong identifier (an error in free text): masked in any finding."""
    return set(hits.positions[hits.severities() == ERROR].tolist())


def mask_findings(findings: Findings, flagged_ids: set[str] | None = None) -> None:
    """Mask identifying values in every finding: the patient ids the scan flagged wherever they appear (patient
    id, value, message), any patient id that matches an id pattern, and any value holding a strong identifier
    (a name typed into a coded column, echoed by ``category.unknown``). Dates in date columns stay: they are the
    user's own data, shown where it needs fixing."""
    flagged = set(flagged_ids or ())
    items = findings.items
    if not items:
        return
    val_hits = detect([f.value for f in items], "text")
    bad_val = _strong(val_hits)
    bad_pid = detect([f.patient_id for f in items], "id")
    flagged.update(items[k].patient_id for k in bad_pid)
    out = []
    for k, f in enumerate(items):
        changes = {}
        msg = f.message
        if f.patient_id and f.patient_id in flagged:
            changes["patient_id"] = MASKED_ID
            msg = msg.replace(f.patient_id, MASKED_ID)
        if f.value and (f.value in flagged or k in bad_val):
            masked = f"[masked: {describe(val_hits[k])}]" if k in bad_val else MASKED_ID
            changes["value"] = masked
            msg = msg.replace(f.value, masked)
        if msg != f.message:
            changes["message"] = msg
        out.append(replace(f, **changes) if changes else f)
    findings.items = out


__all__ = ["scan_identifiers", "detect", "flag_cells", "column_class", "free_text_columns", "header_kind",
           "mask_findings", "PATTERNS", "GIVEN_NAMES", "MAX_LISTED"]
