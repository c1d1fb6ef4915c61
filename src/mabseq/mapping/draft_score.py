"""How good a draft was: compare a drafted mapping with the finished one a person made from it.

Two measures (the closing note of issue 13 gives both per test center):

- **Share of assignments right**: each mapping is flattened into assignments, keyed so that the two files'
  short source names do not matter (sources are named by their sheet or file): ``source`` (layout: header row,
  skipped rows, key/value, delimiter, decimal), ``table`` (which sources feed a table block, joined or unpivoted),
  ``column`` (schema column -> source header, constant or generated key), ``value`` (source value -> code, value
  keys compared as the mapping matches them: case and spaces ignored) and ``parser`` (number rules, date formats).
  An assignment of the finished mapping is right when the draft has the same key with the same value; a ``TODO``
  is never right. Share = right / assignments of the finished mapping, per kind and overall. A value key of the
  finished mapping that the draft does not list, for a column whose values the draft does list, is a spelling
  the data does not hold (the draft lists every value it holds): it is not counted.
- **Lines edited**: difflib over the two files' lines after normalising (comments and trailing spaces removed,
  blank lines dropped); a changed line counts once, an added or removed line once.

Written by hand: the assignments are this project's own format; difflib does the line comparison.
"""
from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

KINDS = ("source", "table", "column", "value", "parser")


def _norm(v) -> str:
    return " ".join(str(v).split()).casefold()


def _label(sources: dict, name) -> str:
    s = sources.get(name) if isinstance(sources, dict) else None
    if not isinstance(s, dict):
        return f"?{name}"
    return f"sheet:{s['sheet']}" if "sheet" in s else f"file:{s.get('file')}"


def _freeze(v):
    if isinstance(v, dict):
        return tuple(sorted((str(k), _freeze(x)) for k, x in v.items()))
    if isinstance(v, list):
        return tuple(_freeze(x) for x in v)
    return v


def assignments(doc: dict) -> dict[tuple, object]:
    """The flat assignments of a loaded mapping (see the module docstring). A named value map (``values:
    yes_no``) counts as its entries."""
    out: dict[tuple, object] = {}
    sources = doc.get("sources") or {}
    named = doc.get("values") if isinstance(doc.get("values"), dict) else {}
    for name, s in sources.items():
        if isinstance(s, dict):
            lay = {k: s.get(k) for k in ("header_row", "skip_rows", "layout", "key_column", "value_column",
                                         "delimiter", "decimal", "encoding") if s.get(k) not in (None, [])}
            if lay.get("header_row") == 1:  # the first row: what an absent header_row means for most sheets
                lay.pop("header_row")
            if lay.get("decimal") == "." or lay.get("encoding") in ("utf-8", "UTF-8"):  # the defaults
                lay = {k: v for k, v in lay.items() if not (k == "decimal" and v == ".") and
                       not (k == "encoding" and v in ("utf-8", "UTF-8"))}
            out[("source", _label(sources, name))] = _freeze(lay)
    for table, blocks in (doc.get("tables") or {}).items():
        for b in (blocks if isinstance(blocks, list) else [blocks]):
            if not isinstance(b, dict):
                continue
            base = _label(sources, b.get("from"))
            joins = tuple(sorted(_label(sources, j.get("source")) for j in b.get("join") or [] if isinstance(j, dict)))
            unpivot = (b.get("unpivot") or {}).get("columns") if isinstance(b.get("unpivot"), dict) else None
            out[("table", table, base)] = (joins, unpivot)
            specs = dict(b.get("columns") or {})
            for k, v in (b.get("constants") or {}).items():
                specs.setdefault(k, {"value": v})
            for col, spec in specs.items():
                _column(out, table, base, col, spec, sources, named)
    return out


def _column(out: dict, table: str, base: str, col: str, spec, sources: dict, named: dict) -> None:
    key = (table, base, col)
    if isinstance(spec, str) and spec != "TODO":
        out[("column",) + key] = ("column", base, _norm(spec))
        return
    if not isinstance(spec, dict):
        out[("column",) + key] = spec  # TODO, or something malformed: never equal to a real assignment
        return
    if "value" in spec:
        out[("column",) + key] = ("value", _freeze(spec["value"]))
    elif "generate" in spec:
        out[("column",) + key] = ("generate", _freeze(spec))
    else:
        src = _label(sources, spec["source"]) if "source" in spec else base
        out[("column",) + key] = ("column", src, _norm(spec.get("column")))
    values = spec.get("values")
    if isinstance(values, str) and isinstance(named.get(values), dict):
        values = named[values]
    if isinstance(values, dict):
        for k, code in values.items():
            out[("value",) + key + (_norm(k),)] = code
    elif isinstance(values, str):
        out[("value",) + key + ("@named",)] = values
    for p in ("number", "date"):
        if p in spec:
            out[("parser",) + key + (p,)] = _freeze(spec[p])


def _has_todo(v) -> bool:
    if isinstance(v, tuple):
        return any(_has_todo(x) for x in v)
    return v == "TODO"


@dataclass
class Score:
    right: dict[str, int] = field(default_factory=dict)
    total: dict[str, int] = field(default_factory=dict)
    lines_edited: int = 0
    lines_added: int = 0
    lines_removed: int = 0
    wrong: list[tuple] = field(default_factory=list)   # assignments of the finished mapping the draft missed

    def share(self, kind: str | None = None) -> float:
        r = sum(self.right.values()) if kind is None else self.right.get(kind, 0)
        t = sum(self.total.values()) if kind is None else self.total.get(kind, 0)
        return r / t if t else 1.0

    def summary(self) -> str:
        parts = [f"{k} {self.right.get(k, 0)}/{self.total.get(k, 0)}" for k in KINDS if self.total.get(k)]
        return (f"assignments right: {sum(self.right.values())}/{sum(self.total.values())} "
                f"({100 * self.share():.1f} %; " + ", ".join(parts) + f"); lines edited: {self.lines_edited} "
                f"({self.lines_added} added, {self.lines_removed} removed, the rest changed)")


def strip_comment(line: str) -> str:
    """The line without its YAML comment (a # outside quotes, at the start or after a space)."""
    quote = None
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = None
        elif ch in "\"'":
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            return line[:i].rstrip()
    return line.rstrip()


def normalised_lines(text: str) -> list[str]:
    return [s for s in (strip_comment(x) for x in text.splitlines()) if s.strip()]


def line_diff(draft_text: str, final_text: str) -> tuple[int, int, int]:
    """(lines edited, added, removed) from the draft to the finished mapping."""
    a, b = normalised_lines(draft_text), normalised_lines(final_text)
    edited = added = removed = 0
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "replace":
            edited += max(i2 - i1, j2 - j1)
            added += max(0, (j2 - j1) - (i2 - i1))
            removed += max(0, (i2 - i1) - (j2 - j1))
        elif op == "insert":
            edited += j2 - j1
            added += j2 - j1
        elif op == "delete":
            edited += i2 - i1
            removed += i2 - i1
    return edited, added, removed


def score(draft_text: str, final_text: str) -> Score:
    y = YAML(typ="safe")
    d, f = assignments(y.load(draft_text) or {}), assignments(y.load(final_text) or {})
    s = Score()
    listed = {k[1:4] for k in d if k[0] == "value"}  # the columns whose values the draft lists
    for key, want in f.items():
        kind = key[0]
        if kind == "value" and key[1:4] in listed and key not in d:
            continue  # a spelling the data does not hold (the draft lists every value the data holds)
        s.total[kind] = s.total.get(kind, 0) + 1
        got = d.get(key, None)
        if key in d and got == want and not _has_todo(got):
            s.right[kind] = s.right.get(kind, 0) + 1
        else:
            s.wrong.append(key)
    s.lines_edited, s.lines_added, s.lines_removed = line_diff(draft_text, final_text)
    return s


def main(argv: list[str] | None = None) -> int:
    """``python -m mabseq.mapping.draft_score DRAFT.yaml FINAL.yaml``: print the score (and what was missed)."""
    import sys
    from pathlib import Path
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m mabseq.mapping.draft_score DRAFT.yaml FINAL.yaml", file=sys.stderr)
        return 2
    try:
        texts = [Path(a).read_text(encoding="utf-8") for a in args]
        s = score(*texts)
    except (OSError, UnicodeDecodeError, ValueError, YAMLError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(s.summary())
    for key in s.wrong:
        print("  missed:", " / ".join(str(k) for k in key))
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())


__all__ = ["main", "score", "Score", "assignments", "line_diff", "normalised_lines", "strip_comment", "KINDS"]
