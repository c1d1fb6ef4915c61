"""Code books in DATA (for `mabseq map draft`): a sheet or file documenting an export's numeric codes.

Rule: a table-layout sheet or file is a **code book** when its headers name exactly one column of each role of the
``codebook`` vocabulary (field/variable, code/value, label/meaning; English and German words in
``data/vocab/codebook*.yaml``). Each row gives (field, code) -> label; a row with an empty field continues the field
above it (code books often name a field once, over its codes). A code book is documentation, not data: the draft
feeds no table from it and lists it under the mapping's ``documentation:``; for a coded column whose header is a
field of the code book, each value listed there is mapped through its label (the label goes through the column's
vocabulary, so ``geschlecht;1;männlich`` gives ``"1": male``), and a value the code book does not list is left to
the vocabulary as usual. Fields and headers are compared ignoring case, spaces and punctuation; codes ignoring case
and surrounding spaces (as the mapping matches values).

Written by hand: the code book layout is a convention of export systems, not a format a library reads.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .vocab import CODEBOOK_ROLES, Vocabularies, norm, squash


@dataclass
class CodeBook:
    name: str                                   # the sheet or file name
    kind: str                                   # "sheet" | "file"
    fields: dict[str, dict[str, str]] = field(default_factory=dict)  # squash(field) -> {norm(code): label}
    n_codes: int = 0

    def label(self, header: str, value: str) -> str | None:
        return self.fields.get(squash(header), {}).get(norm(value))


def roles(sp, vocabs: Vocabularies) -> dict[str, str] | None:
    """{role: column letter} when the source's headers name one column of each role, else None."""
    words = {role: {squash(w) for w in vocabs.codebook_headers.get(role, [])} for role in CODEBOOK_ROLES}
    found: dict[str, list[str]] = {r: [] for r in CODEBOOK_ROLES}
    for c in sp.columns:
        for r in CODEBOOK_ROLES:
            if c.header and squash(c.header) in words[r]:
                found[r].append(c.letter)
    if all(len(found[r]) == 1 for r in CODEBOOK_ROLES):
        return {r: found[r][0] for r in CODEBOOK_ROLES}
    return None


def read_code_book(sp, grid, at: dict[str, str]) -> CodeBook:
    """The (field, code) -> label rows of a code book source, read from its grid (rows after the header)."""
    col = {r: next(j for j in range(grid.width) if grid.letter(j) == at[r]) for r in CODEBOOK_ROLES}
    book = CodeBook(sp.name, sp.kind)
    start = next((i + 1 for i, r in enumerate(grid.rows) if r == sp.header_row), 1)
    current = ""
    for cells in grid.cells[start:]:
        f, code, label = (cells[col[r]].strip() for r in CODEBOOK_ROLES)
        current = f or current
        if not current or not code or not label:
            continue
        entries = book.fields.setdefault(squash(current), {})
        if norm(code) not in entries:
            entries[norm(code)] = label
            book.n_codes += 1
    return book


def find_code_books(profile, grids, vocabs: Vocabularies) -> list[CodeBook]:
    """Every code book among the profiled sources (``grids``: the grids the profile was made from)."""
    by_name = {(g.kind, g.name): g for g in grids}
    out = []
    for sp in profile.sources:
        if sp.layout == "key_value":
            continue
        at = roles(sp, vocabs)
        g = by_name.get((sp.kind, sp.name))
        if at is not None and g is not None:
            book = read_code_book(sp, g, at)
            if book.n_codes:
                out.append(book)
    return out


def label_of(books: list[CodeBook], header: str, value: str) -> str | None:
    for b in books:
        got = b.label(header, value)
        if got is not None:
            return got
    return None


__all__ = ["CodeBook", "find_code_books", "label_of", "roles", "read_code_book"]
