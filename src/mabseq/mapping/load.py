"""Reading a mapping file (YAML, format 1) into a checked :class:`~.spec.MappingSpec`, or findings.

The file is a door like any data file, so it is bounded before it is parsed:

- not a regular file, larger than ``limits.max_mapping_bytes``, not UTF-8 (the line of the first bad byte): refused;
- YAML is parsed with ruamel.yaml's round-trip loader, which builds plain mappings, lists and scalars only (no
  Python objects: ``!!python/object`` cannot run anything) and keeps every key's line. Before that, the event
  stream is read once: **any tag** (``!!python/...``, ``!foo``) is refused (a mapping file needs none), **anchors
  and aliases** are refused (a "billion laughs" file expands a few lines into gigabytes; a mapping has no need to
  repeat a node: name a value map under ``values`` instead), and nesting deeper than :data:`MAX_DEPTH` is refused;
- a key given twice in one mapping is refused with its line (ruamel's duplicate-key check).

Then :mod:`.check` checks the structure. Every problem is an ERROR ``mapping.*`` naming the mapping file and the
line, and a mapping with any error is not used at all (half a mapping gives misleading findings).
Why by hand: ruamel.yaml parses; the checks of this format are this project's.
"""
from __future__ import annotations

from pathlib import Path

from ..cohort.findings import ERROR, Findings, quote
from ..cohort.mapping_file import read_mapping_text
from .spec import MappingSpec

MAX_DEPTH = 12


def read_yaml(path: Path, findings: Findings):
    """The parsed YAML document of ``path`` (ruamel CommentedMap), or None with ERROR findings."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError
    source = path.name

    def bad(rule: str, message: str, row=None):
        findings.add(ERROR, rule, message, source, row=row)
        return None

    text = read_mapping_text(path, source, findings, "YAML")
    if text is None:
        return None
    if "\x00" in text:
        return bad("mapping.encoding", "the mapping file holds NUL characters: it is not a text file",
                   text.count("\n", 0, text.index("\x00")) + 1)
    if not text.strip():
        return bad("mapping.unreadable", "the mapping file is empty; it must start with 'mabseq_mapping: 1'")
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    # 1. the event stream: tags, anchors/aliases and depth, before anything is built
    try:
        depth = 0
        for ev in yaml.parse(text):
            line = ev.start_mark.line + 1 if ev.start_mark is not None else None
            name = type(ev).__name__
            if name == "AliasEvent" or getattr(ev, "anchor", None):
                return bad("mapping.alias", "YAML anchors and aliases (&name, *name) are not allowed in a mapping "
                           "file (they can expand a small file into gigabytes); write the value out, or name a "
                           "value map under 'values' and use its name", line)
            tag = getattr(ev, "tag", None)
            if tag is not None and not (name == "ScalarEvent" and tag in ("!", None)) \
                    and not (name == "DocumentStartEvent"):
                return bad("mapping.tag", f"the YAML tag {quote(tag)} is not allowed in a mapping file (a mapping "
                           "holds plain text, numbers, lists and mappings only)", line)
            if name in ("MappingStartEvent", "SequenceStartEvent"):
                depth += 1
                if depth > MAX_DEPTH:
                    return bad("mapping.depth", f"nested more than {MAX_DEPTH} levels deep: not a mapping file",
                               line)
            elif name in ("MappingEndEvent", "SequenceEndEvent"):
                depth -= 1
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        return bad("mapping.yaml", f"not valid YAML: {exc.problem or exc.context}",
                   mark.line + 1 if mark is not None else None)
    except YAMLError as exc:
        return bad("mapping.yaml", f"not valid YAML: {str(exc)[:200]}")
    except RecursionError:
        return bad("mapping.depth", "nested too deeply to read: not a mapping file")
    # 2. the document (round-trip types keep each key's line)
    try:
        docs = list(yaml.load_all(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        row = mark.line + 1 if mark is not None else None
        problem = str(exc.problem or exc.context or "")
        if "duplicate key" in problem:
            key = problem.split('"')[1] if problem.count('"') >= 2 else ""
            return bad("mapping.duplicate_key", f"the key {quote(key)} is given twice in one mapping (only one can "
                       "hold)", row)
        return bad("mapping.yaml", f"not valid YAML: {problem}", row)
    except YAMLError as exc:
        return bad("mapping.yaml", f"not valid YAML: {str(exc)[:200]}")
    except RecursionError:
        return bad("mapping.depth", "nested too deeply to read: not a mapping file")
    except TypeError:  # a complex key ("? " then a mapping or list as the key): the YAML reader cannot hash it
        return bad("mapping.yaml", "a key is itself a mapping or a list (YAML's '?' complex key): a mapping file's "
                   "keys are plain text")
    if len(docs) != 1:
        return bad("mapping.yaml", f"the file holds {len(docs)} YAML documents; a mapping file holds one")
    return docs[0]


def load_mapping_yaml(path: str | Path, findings: Findings) -> MappingSpec | None:
    """The checked mapping of a YAML file, or None (with ERROR findings) when it has any fault."""
    from .check import check_document
    p = Path(path)
    since = len(findings.errors)
    doc = read_yaml(p, findings)
    if doc is None:
        return None
    spec = check_document(doc, p.name, findings)
    if len(findings.errors) > since:
        return None
    return spec


def is_yaml_mapping(path) -> bool:
    return path is not None and Path(path).suffix.lower() in (".yaml", ".yml")


__all__ = ["read_yaml", "load_mapping_yaml", "is_yaml_mapping", "MAX_DEPTH"]
