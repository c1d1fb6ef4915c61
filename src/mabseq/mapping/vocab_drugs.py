"""Drug and regimen names -> therapy_class and agents (the ``kind: drugs`` vocabulary, ``data/vocab/drugs.yaml``).

A chart review writes a course as free text: a brand (``Kymriah``), an abbreviation (``blina``, ``InO``), a
regimen (``HCVAD``, ``FLAG-IDA``), a cycle number (``blinatumomab cyc 3``) or a combination (``InO/mini-HCVD``,
``blina+dasatinib``). The rule, in order: the whole text; the text without cycle numbers and parentheses; the
parts of a combination (split at ``+ / & , ;`` and the words and/with/plus), each by name and then by
similarity (rapidfuzz, >= 88). A combination's class is the first of its parts' classes in ``class_priority``
(an antibody or CAR-T over the chemotherapy or TKI given with it); its agents are all of the parts' agents, in
order, without repeats. Any part not found leaves the whole value TODO: the draft never guesses half a course.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from rapidfuzz import fuzz, process

from ..cohort.schema import THERAPIES

CLASSES = THERAPIES["therapy_class"].codes
FUZZY_MIN = 88

_CYCLE = re.compile(r"\((?:[^)]*)\)|\[(?:[^\]]*)\]|\b(?:cycles?|cyc|cy|course|crs|c|#|no\.?|block|day|d)\s*\d+\b"
                    r"|\bx\s*\d+\b|\b\d+\s*x\b|\s\d+$|#", re.IGNORECASE)
_SPLIT = re.compile(r"\s*(?:\+|/|&|,|;|\band\b|\bwith\b|\bplus\b|\bw/)\s*", re.IGNORECASE)


def _squash(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


@dataclass(frozen=True)
class DrugMatch:
    therapy_class: str
    agents: tuple[str, ...]
    how: str            # "exact" | "similar"
    parts: tuple[str, ...] = ()  # the names found, as the vocabulary spells them

    @property
    def sure(self) -> bool:
        return self.how == "exact"


@dataclass
class DrugVocabulary:
    agent_class: dict[str, str] = field(default_factory=dict)                 # generic -> class
    regimens: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)  # name -> (class, agents)
    names: dict[str, tuple[str, str]] = field(default_factory=dict)           # squash(name) -> (kind, key)
    class_priority: list[str] = field(default_factory=lambda: list(CLASSES))
    _sorted: list[str] = field(default_factory=list, compare=False, repr=False)

    def _entry(self, kind: str, key: str) -> tuple[str, tuple[str, ...]]:
        if kind == "agent":
            return self.agent_class[key], (key,)
        return self.regimens[key]

    def _one(self, text: str) -> tuple[str, tuple[str, ...], str, str] | None:
        for t in (text, _CYCLE.sub(" ", text)):
            k = _squash(t)
            if k and k in self.names:
                kind, key = self.names[k]
                c, a = self._entry(kind, key)
                return c, a, "exact", key
        k = _squash(_CYCLE.sub(" ", text))
        if len(k) >= 5:
            if len(self._sorted) != len(self.names):  # names only grow (a merge adds or replaces)
                self._sorted = sorted(self.names)
            hit = process.extractOne(k, self._sorted, scorer=fuzz.ratio, score_cutoff=FUZZY_MIN)
            if hit is not None:
                kind, key = self.names[hit[0]]
                c, a = self._entry(kind, key)
                return c, a, "similar", key
        return None

    def lookup(self, text) -> DrugMatch | None:
        """therapy_class and agents for a free-text course, or None (the draft writes TODO)."""
        s = " ".join(str(text).split())
        if not s:
            return None
        one = self._one(s)
        if one is not None:
            return DrugMatch(one[0], one[1], one[2], (one[3],))
        parts = [p for p in _SPLIT.split(_CYCLE.sub(" ", s)) if _squash(p)]
        if len(parts) < 2:
            return None
        found = [self._one(p) for p in parts]
        if any(f is None for f in found):
            return None
        order = {c: i for i, c in enumerate(self.class_priority)}
        cls = min((f[0] for f in found), key=lambda c: order.get(c, len(order)))
        agents: list[str] = []
        for f in found:
            agents += [a for a in f[1] if a not in agents]
        how = "exact" if all(f[2] == "exact" for f in found) else "similar"
        return DrugMatch(cls, tuple(agents), how, tuple(f[3] for f in found))


def merge_drugs(v: DrugVocabulary, body, path: Path) -> None:
    """Merge one ``kind: drugs`` file into ``v`` (a later file's entries and names win)."""
    from .vocab import VocabError, _line, _terms
    extra = set(body) - {"vocabulary", "kind", "agents", "regimens", "class_priority"}
    if extra:
        raise VocabError(f"{path}{_line(body, sorted(extra)[0])}: unknown key {sorted(extra)[0]!r}")
    if "class_priority" in body:
        pri = _terms(body["class_priority"], str(path))
        bad = [c for c in pri if c not in CLASSES]
        if bad:
            raise VocabError(f"{path}{_line(body, 'class_priority')}: {bad[0]!r} is not a therapy_class")
        v.class_priority = pri + [c for c in CLASSES if c not in pri]
    mine: dict[str, tuple[str, str]] = {}

    def claim(name: str, kind: str, key: str, loc: str) -> None:
        k = _squash(name)
        if not k:
            return
        if k in mine and mine[k] != (kind, key):
            raise VocabError(f"{loc}: the name {name!r} is given to both {mine[k][1]!r} and {key!r}; a name "
                             "stands for one agent or regimen")
        mine[k] = (kind, key)

    agents = body.get("agents") or {}
    for gen, spec in agents.items():
        loc = f"{path}{_line(agents, gen)}"
        if not isinstance(spec, dict) or spec.get("class") not in CLASSES:
            raise VocabError(f"{loc}: an agent is {{class: <therapy_class>, names: [...]}}; class must be one of "
                             f"{', '.join(CLASSES)}")
        v.agent_class[str(gen)] = spec["class"]
        for n in [str(gen)] + _terms(spec.get("names") or [], loc):
            claim(n, "agent", str(gen), loc)
    regs = body.get("regimens") or {}
    for name, spec in regs.items():
        loc = f"{path}{_line(regs, name)}"
        if not isinstance(spec, dict) or spec.get("class") not in CLASSES:
            raise VocabError(f"{loc}: a regimen is {{class: <therapy_class>, agents: [...], names: [...]}}")
        ag = tuple(_terms(spec.get("agents") or [], loc))
        v.regimens[str(name)] = (spec["class"], ag)
        for n in [str(name)] + _terms(spec.get("names") or [], loc):
            claim(n, "regimen", str(name), loc)
    v.names.update(mine)


__all__ = ["DrugVocabulary", "DrugMatch", "merge_drugs"]
