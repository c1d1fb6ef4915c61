"""The vocabularies `mabseq map draft` suggests codes from: YAML data files, shipped and the user's own.

The shipped files are ``mabseq/data/vocab/*.yaml``; ``--vocab DIR`` adds every ``*.yaml``/``*.yml`` file of DIR
over them (a file of the user's whose ``vocabulary:`` name is a shipped one extends it, and its terms win). Four
kinds of file (each file's comment header documents its shape):

- **codes** (the default kind): ``codes: {code: [source terms]}``, optional ``patterns`` (regular expressions,
  searched, case-insensitive, in order), ``ambiguous`` (terms to leave TODO) and ``recode`` (a code renamed for
  one column). ``columns: [table.column]`` names the schema columns it serves; every code must be a choice of at
  least one of them (an integer column such as a GVHD grade takes whole numbers in its range).
- **drugs**: agents and regimens -> therapy_class and agents (:mod:`.vocab_drugs`).
- **columns**: header and sheet-name synonyms per schema table.
- **number_words**: words meaning "not detected" (0) or "no result" (empty) in measurement columns.
- **codebook**: the header words of a code book's field, code and label columns (:mod:`.draft_codebook`).

Rules: a term gives one code per vocabulary (two codes for one term in one file is refused, naming the file and
the line, unless the term is listed as ambiguous); matching ignores letter case and repeated or surrounding
spaces, and then (when that is unique) all punctuation ("CR (MRD-neg)" = "cr mrd neg"). Written by hand: the
format is this project's own; ruamel.yaml reads it (with line numbers for errors) and rapidfuzz scores the
near-misses.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from rapidfuzz import fuzz, process
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from ..cohort.schema import BY_NAME

FUZZY_MIN = 88  # a near-miss must score at least this (rapidfuzz ratio, 0-100) to be suggested


class VocabError(Exception):
    """A vocabulary file that cannot be used: the message names the file and, where known, the line."""


def norm(text) -> str:
    """Letter case and repeated/surrounding spaces ignored (the mapping's own value matching rule)."""
    return " ".join(str(text).split()).casefold()


def squash(text) -> str:
    """Only letters and digits, lower case: "Hyper-CVAD" = "hypercvad", "CR (MRD-neg)" = "crmrdneg"."""
    return "".join(ch for ch in str(text).casefold() if ch.isalnum())


def shipped_dir() -> Path:
    return Path(str(resources.files("mabseq") / "data" / "vocab"))


@dataclass(frozen=True)
class Suggestion:
    code: str
    how: str  # "exact" | "pattern" | "similar" (a near-miss: likely, not sure)
    detail: str = ""

    @property
    def sure(self) -> bool:
        return self.how in ("exact", "pattern")


@dataclass
class CodeVocabulary:
    name: str
    columns: list[str]
    terms: dict[str, str] = field(default_factory=dict)          # norm(term) -> code
    patterns: list[tuple[re.Pattern, str]] = field(default_factory=list)
    ambiguous: set[str] = field(default_factory=set)              # norm(term)
    recode: dict[str, dict[str, str]] = field(default_factory=dict)
    files: list[str] = field(default_factory=list)
    _cache: dict = field(default_factory=dict, compare=False, repr=False)  # emptied by every merge

    def _squashed(self) -> dict[str, str | None]:
        if "sq" in self._cache:
            return self._cache["sq"]
        out: dict[str, str | None] = {}
        for t, c in self.terms.items():
            k = squash(t)
            if k:
                out[k] = c if out.get(k, c) == c else None  # None: two codes squash alike -> not used
        self._cache["sq"] = out
        return out

    def codes(self) -> list[str]:
        return sorted(set(self.terms.values()) | {c for _, c in self.patterns})

    def lookup(self, value, column: str | None = None) -> Suggestion | None:
        """The code suggested for a source value (for ``column`` = "table.column": recoded, and only a choice of
        that column), or None (the draft writes TODO)."""
        s = self._lookup(value)
        if s is None:
            return None
        if column is not None:
            code = self.recode.get(column, {}).get(s.code, s.code)
            if not code_valid(column, code):
                return None
            s = Suggestion(code, s.how, s.detail)
        return s

    def _lookup(self, value) -> Suggestion | None:
        n = norm(value)
        if not n or n in self.ambiguous:
            return None
        if n in self.terms:
            return Suggestion(self.terms[n], "exact")
        sq = squash(n)
        squashed = self._squashed()
        if sq and squashed.get(sq):
            return Suggestion(squashed[sq], "exact")
        for rx, code in self.patterns:
            if rx.search(n):
                return Suggestion(code, "pattern", rx.pattern)
        if len(n) >= 5:
            if "sorted" not in self._cache:
                self._cache["sorted"] = sorted(self.terms)
            hit = process.extractOne(n, self._cache["sorted"], scorer=fuzz.ratio, score_cutoff=FUZZY_MIN)
            if hit is not None:
                return Suggestion(self.terms[hit[0]], "similar", hit[0])
        return None


@dataclass
class TableSynonyms:
    sheets: list[str] = field(default_factory=list)
    columns: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class Vocabularies:
    codes: dict[str, CodeVocabulary] = field(default_factory=dict)
    tables: dict[str, TableSynonyms] = field(default_factory=dict)
    negative_words: set[str] = field(default_factory=set)
    missing_words: set[str] = field(default_factory=set)
    drugs: "object" = None  # vocab_drugs.DrugVocabulary
    codebook_headers: dict[str, list[str]] = field(default_factory=dict)  # field/code/label -> header words
    files: list[str] = field(default_factory=list)

    def for_column(self, table: str, column: str) -> CodeVocabulary | None:
        key = f"{table}.{column}"
        found = [v for v in self.codes.values() if key in v.columns]
        return found[-1] if found else None  # the vocabulary named last (a user's) wins


def code_valid(column: str, code: str) -> bool:
    """Whether ``code`` is a value the schema column ``table.column`` takes."""
    table, _, col = column.partition(".")
    t = BY_NAME.get(table)
    if t is None or col not in t:
        return False
    c = t[col]
    if c.type == "category":
        return code in c.codes
    if c.type == "integer":
        if not re.fullmatch(r"-?\d+", code):
            return False
        v = int(code)
        return (c.min is None or v >= c.min) and (c.max is None or v <= c.max)
    return c.type == "string"


# ---- reading files ---------------------------------------------------------------------------------------------
def _line(node, key=None) -> str:
    try:
        if key is not None:
            return f", line {node.lc.key(key)[0] + 1}"
        return f", line {node.lc.line + 1}"
    except (AttributeError, KeyError, TypeError):
        return ""


def _read(path: Path):
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise VocabError(f"{path}: cannot read the vocabulary file ({exc})") from None
    try:
        return YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise VocabError(f"{path}{where}: not valid YAML ({getattr(exc, 'problem', None) or exc})") from None


def _scalar(v, where: str) -> str:
    if isinstance(v, (str, int, float)) and not isinstance(v, bool):
        return str(v)
    if isinstance(v, bool):
        return "true" if v else "false"
    raise VocabError(f"{where}: a term must be text, not {type(v).__name__}")


def _terms(node, where: str) -> list[str]:
    if isinstance(node, (str, int, float)):
        return [_scalar(node, where)]
    if not isinstance(node, list):
        raise VocabError(f"{where}: expected a list of terms")
    return [_scalar(x, where) for x in node]


CODE_KEYS = {"vocabulary", "kind", "columns", "codes", "patterns", "ambiguous", "recode"}


def _merge_codes(vocabs: dict[str, CodeVocabulary], body, path: Path) -> None:
    where = str(path)
    extra = set(body) - CODE_KEYS
    if extra:
        raise VocabError(f"{where}{_line(body, sorted(extra)[0])}: unknown key {sorted(extra)[0]!r} (a coded "
                         f"vocabulary has {', '.join(sorted(CODE_KEYS))})")
    name = body.get("vocabulary")
    if not isinstance(name, str) or not name:
        raise VocabError(f"{where}{_line(body)}: `vocabulary:` (its name) is required")
    v = vocabs.get(name)
    cols = body.get("columns")
    if v is None:
        if not cols:
            raise VocabError(f"{where}{_line(body, 'vocabulary')}: the new vocabulary {name!r} needs `columns:` "
                             "(the schema columns it gives codes for)")
        v = vocabs[name] = CodeVocabulary(name, [])
    for c in _terms(cols or [], f"{where}{_line(body, 'columns') if cols else ''}"):
        table, _, col = c.partition(".")
        if table not in BY_NAME or col not in BY_NAME[table]:
            raise VocabError(f"{where}{_line(body, 'columns')}: {c!r} is not a schema column (table.column)")
        if c not in v.columns:
            v.columns.append(c)
    v.files.append(where)
    v._cache.clear()
    codes = body.get("codes") or {}
    if not isinstance(codes, dict):
        raise VocabError(f"{where}{_line(body, 'codes')}: `codes:` must map each code to a list of terms")
    mine: dict[str, str] = {}
    for code, terms in codes.items():
        code_s = _scalar(code, where)
        loc = f"{where}{_line(codes, code)}"
        if not any(code_valid(col, v.recode.get(col, {}).get(code_s, code_s)) or
                   code_valid(col, _recode_of(body, col, code_s)) for col in v.columns):
            raise VocabError(f"{loc}: {code_s!r} is not a choice of {', '.join(v.columns)}")
        for t in _terms(terms, loc):
            n = norm(t)
            if n in mine and mine[n] != code_s:
                raise VocabError(f"{loc}: the term {t!r} is listed under both {mine[n]!r} and {code_s!r}; a "
                                 "term gives one code (list it under `ambiguous:` to have the draft leave it TODO)")
            mine[n] = code_s
    amb = {norm(t) for t in _terms(body.get("ambiguous") or [], f"{where}{_line(body, 'ambiguous')}")}
    both = sorted(amb & set(mine))
    if both:
        raise VocabError(f"{where}{_line(body, 'ambiguous')}: {both[0]!r} is both ambiguous and given a code")
    v.terms.update(mine)          # a later file (the user's) wins for its own terms ...
    v.ambiguous -= set(mine)
    v.ambiguous |= amb
    for t in amb:
        v.terms.pop(t, None)
    pats = []
    for i, p in enumerate(body.get("patterns") or []):
        loc = f"{where}{_line(body['patterns'], i)}" if hasattr(body["patterns"], "lc") else where
        if not isinstance(p, dict) or set(p) != {"re", "code"}:
            raise VocabError(f"{loc}: a pattern is {{re: '<regular expression>', code: <code>}}")
        try:
            rx = re.compile(str(p["re"]), re.IGNORECASE)
        except re.error as exc:
            raise VocabError(f"{loc}: not a valid regular expression ({exc})") from None
        code_s = _scalar(p["code"], loc)
        if not any(code_valid(col, _recode_of(body, col, code_s)) or code_valid(col, code_s) for col in v.columns):
            raise VocabError(f"{loc}: {code_s!r} is not a choice of {', '.join(v.columns)}")
        pats.append((rx, code_s))
    v.patterns = pats + v.patterns  # ... and its patterns are tried first
    for col, ren in (body.get("recode") or {}).items():
        if col not in v.columns:
            raise VocabError(f"{where}{_line(body['recode'], col)}: recode names {col!r}, not one of the "
                             "vocabulary's columns")
        v.recode.setdefault(col, {}).update({_scalar(a, where): _scalar(b, where) for a, b in ren.items()})


def _recode_of(body, col: str, code: str) -> str:
    ren = (body.get("recode") or {}).get(col) or {}
    return str(ren.get(code, code))


def _merge_columns(vocabs: Vocabularies, body, path: Path) -> None:
    tables = body.get("tables")
    if not isinstance(tables, dict):
        raise VocabError(f"{path}{_line(body)}: a columns vocabulary has `tables: {{table: {{sheets, columns}}}}`")
    for tname, spec in tables.items():
        loc = f"{path}{_line(tables, tname)}"
        if tname not in BY_NAME:
            raise VocabError(f"{loc}: {tname!r} is not a schema table")
        spec = spec or {}
        ts = vocabs.tables.setdefault(tname, TableSynonyms())
        ts.sheets += [s for s in _terms(spec.get("sheets") or [], loc) if s not in ts.sheets]
        cols = spec.get("columns") or {}
        seen: dict[str, str] = {}
        for col, syns in cols.items():
            cloc = f"{path}{_line(cols, col)}"
            if col not in BY_NAME[tname]:
                raise VocabError(f"{cloc}: {col!r} is not a column of {tname}")
            for s in _terms(syns, cloc):
                k = squash(s)
                if k in seen and seen[k] != col:
                    raise VocabError(f"{cloc}: the header {s!r} is listed under both {seen[k]!r} and {col!r} of "
                                     f"{tname}; a header stands for one column")
                seen[k] = col
        for col, syns in cols.items():  # the later file wins: its headers leave the other columns
            mine = _terms(syns, str(path))
            keys = {squash(s) for s in mine}
            for other, lst in ts.columns.items():
                if other != col:
                    ts.columns[other] = [s for s in lst if squash(s) not in keys]
            lst = ts.columns.setdefault(col, [])
            lst += [s for s in mine if s not in lst]


def _merge_number_words(vocabs: Vocabularies, body, path: Path) -> None:
    words = body.get("words") or {}
    if not isinstance(words, dict) or set(words) - {"negative", "missing"}:
        raise VocabError(f"{path}{_line(body)}: number_words has `words: {{negative: [...], missing: [...]}}`")
    neg = {norm(w) for w in _terms(words.get("negative") or [], str(path))}
    mis = {norm(w) for w in _terms(words.get("missing") or [], str(path))}
    if neg & mis:
        raise VocabError(f"{path}: {sorted(neg & mis)[0]!r} is both a negative and a missing word")
    vocabs.negative_words = (vocabs.negative_words - mis) | neg
    vocabs.missing_words = (vocabs.missing_words - neg) | mis


CODEBOOK_ROLES = ("field", "code", "label")


def _merge_codebook(vocabs: Vocabularies, body, path: Path) -> None:
    heads = body.get("headers") or {}
    if not isinstance(heads, dict) or set(heads) - set(CODEBOOK_ROLES):
        raise VocabError(f"{path}{_line(body)}: a codebook vocabulary has `headers: {{field: [...], code: [...], "
                         "label: [...]}}`")
    for role in CODEBOOK_ROLES:
        lst = vocabs.codebook_headers.setdefault(role, [])
        lst += [w for w in _terms(heads.get(role) or [], f"{path}{_line(heads, role) if role in heads else ''}")
                if w not in lst]
    seen: dict[str, str] = {}
    for role in CODEBOOK_ROLES:
        for w in vocabs.codebook_headers[role]:
            if squash(w) in seen and seen[squash(w)] != role:
                raise VocabError(f"{path}: the code book header {w!r} is both a {seen[squash(w)]} and a {role} word")
            seen[squash(w)] = role


_LOCALE = re.compile(r"_(de|fr|es|it|nl|pt|sv|da|fi|pl|cs)$")  # language files (not yes_no!)


def _files(folder: Path) -> list[Path]:
    """The vocabulary files of a folder: by name, a language file (``codes_de.yaml``) after the base files it
    extends."""
    return sorted((p for p in folder.iterdir() if p.suffix.lower() in (".yaml", ".yml") and p.is_file()
                   and not p.name.startswith(".")), key=lambda p: (bool(_LOCALE.search(p.stem)), p.name))


def load_vocabularies(user_dir: str | Path | None = None) -> Vocabularies:
    """The shipped vocabularies, with the files of ``user_dir`` (if given) merged over them."""
    from .vocab_drugs import DrugVocabulary, merge_drugs
    out = Vocabularies(drugs=DrugVocabulary())
    paths = _files(shipped_dir())
    if user_dir is not None:
        d = Path(user_dir)
        if not d.is_dir():
            raise VocabError(f"{d}: --vocab must be a folder of .yaml vocabulary files")
        mine = _files(d)
        if not mine:
            raise VocabError(f"{d}: the folder holds no .yaml vocabulary file")
        paths += mine
    for p in paths:
        body = _read(p)
        if body is None:
            continue
        if not isinstance(body, dict):
            raise VocabError(f"{p}: a vocabulary file is a YAML mapping (see the shipped files for the shape)")
        out.files.append(str(p))
        items = body.get("vocabularies")
        if items is not None:
            if not isinstance(items, list) or set(body) != {"vocabularies"}:
                raise VocabError(f"{p}{_line(body, 'vocabularies')}: `vocabularies:` is a list of vocabularies")
            for item in items:
                if not isinstance(item, dict):
                    raise VocabError(f"{p}{_line(items)}: each item of `vocabularies:` is a mapping")
                _merge_codes(out.codes, item, p)
            continue
        kind = body.get("kind", "codes")
        if kind == "codes":
            _merge_codes(out.codes, body, p)
        elif kind == "columns":
            _merge_columns(out, body, p)
        elif kind == "number_words":
            _merge_number_words(out, body, p)
        elif kind == "drugs":
            merge_drugs(out.drugs, body, p)
        elif kind == "codebook":
            _merge_codebook(out, body, p)
        else:
            raise VocabError(f"{p}{_line(body, 'kind')}: unknown kind {kind!r} (codes, drugs, columns, "
                             "number_words, codebook)")
    return out


__all__ = ["VocabError", "Vocabularies", "CodeVocabulary", "Suggestion", "load_vocabularies", "norm", "squash",
           "code_valid", "shipped_dir"]
