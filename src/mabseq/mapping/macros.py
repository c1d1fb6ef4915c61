"""The DuckDB macros of a compiled mapping: each parser written once, at the top of the script, called by name.

Why: the same normalisation, date formats, number rules and value maps are used by many columns; written out at
each use the script is kilobytes per line and cannot be reviewed. A DuckDB scalar macro is inlined by the binder,
so calling one costs what the written-out expression costs (``benchmarks/bench_mapping.py`` measures it).

A parser is a Python function of its arguments' SQL (``body(*args) -> SQL``). :meth:`Macros.call` either
registers it as ``CREATE OR REPLACE TEMP MACRO name(params) AS body(*params)`` and returns ``name(args)``, or (an
``inline`` registry, what :data:`INLINE` is) returns ``(body(*args))``: the same text the macro would expand to.
So the SQL run through the macros and the written-out SQL the property tests check come from one definition.

Macros are named by what they do; two different bodies asked for under one name get ``_2``, ``_3`` ... in order
of first use (a body asked for again under the same name reuses its macro). Macros only compute on their arguments: they read no
table or file, so they are created after the sheets are loaded and external access is switched off.
"""
from __future__ import annotations

from dataclasses import dataclass, field


def indent(text: str, by: str = "    ") -> str:
    return "\n".join(by + line if line else line for line in text.split("\n"))


@dataclass
class Macros:
    inline: bool = False
    defs: dict[str, tuple[tuple[str, ...], str, str]] = field(default_factory=dict)   # name -> (params, body, note)
    keys: dict[object, str] = field(default_factory=dict)                             # dedup key -> name
    tables: dict[str, tuple[str, str]] = field(default_factory=dict)                  # lookup name -> (SQL, note)

    def define(self, base: str, params: tuple[str, ...], body: str, note: str = "", key=None) -> str:
        """The name of the macro with this body (defined now when new)."""
        key = (base, params, body) if key is None else key
        if key in self.keys:
            return self.keys[key]
        name, i = base, 1
        while name in self.defs:
            i += 1
            name = f"{base}_{i}"
        self.defs[name] = (params, body, note)
        self.keys[key] = name
        return name

    def call(self, base: str, params: tuple[str, ...], body, args: tuple[str, ...], note: str = "") -> str:
        if self.inline:
            return "(" + body(*args) + ")"
        return f"{self.define(base, params, body(*params), note)}({', '.join(args)})"

    def table(self, base: str, sql_of, note: str = "", key=None) -> str:
        """A lookup table (``sql_of(name)`` -> its CREATE statement) defined once; its name."""
        key = ("table", key)
        if key in self.keys:
            return self.keys[key]
        name, i = base, 1
        while name in self.tables:
            i += 1
            name = f"{base}_{i}"
        self.tables[name] = (sql_of(name), note)
        self.keys[key] = name
        return name

    def statements(self) -> list[str]:
        """Every definition, in order of first use (a macro's own macros come before it)."""
        out = []
        for name, (params, body, note) in self.defs.items():
            head = "".join(f"-- {line}\n" for line in note.split("\n") if line) if note else ""
            out.append(f"{head}CREATE OR REPLACE TEMP MACRO {name}({', '.join(params)}) AS\n{indent(body)}")
        for sql, note in self.tables.values():
            head = "".join(f"-- {line}\n" for line in note.split("\n") if line) if note else ""
            out.append(head + sql)
        return out


INLINE = Macros(inline=True)

__all__ = ["Macros", "INLINE", "indent"]
