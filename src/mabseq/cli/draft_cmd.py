"""``mabseq map draft DATA --out mapping.yaml``: propose a mapping file from a scan of DATA.

``register(map_app)`` adds the command to the ``map`` typer group (made in :mod:`.map_cmds`). The draft is written
through :func:`mabseq.outputs.plan_file`: never over an input (DATA, the --vocab folder), never over an existing
file without --overwrite, never half-written. A DATA that cannot be read, or a vocabulary file that cannot be
used, is a clear error (file, line) with exit status 2.
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..outputs import Interrupted, OutputError, plan_file


def _options(data: Path, delimiter: str | None, encoding: str | None) -> dict:
    """Grid options for every text file of DATA (as ``mabseq scan`` takes them)."""
    from ..cohort.grid import GridOptions
    if delimiter is None and encoding is None:
        return {}
    if delimiter is not None and delimiter not in (",", ";", "\t", "|", "tab"):
        raise DraftInputError(f"--delimiter must be one of , ; tab | (not {delimiter!r})")
    if encoding is not None and encoding.lower() not in ENCODINGS:
        raise DraftInputError(f"--encoding must be one of {', '.join(ENCODINGS)} (not {encoding!r})")
    opt = GridOptions("\t" if delimiter == "tab" else delimiter, encoding)
    names = [p.name for p in data.iterdir()] if data.is_dir() else [data.name]
    return {n: opt for n in names}


ENCODINGS = ("utf-8", "latin-1", "cp1252", "utf-16")  # the mapping's `encoding:` choices (docs/MAPPING.md)


def draft(data: Path, out: Path, vocab: Optional[Path] = None, overwrite: bool = False,
          delimiter: str | None = None, encoding: str | None = None) -> str:
    """Draft the mapping of ``data`` into ``out``; returns the summary printed to the terminal.
    Raises OutputError (refused --out), VocabError or DraftInputError (unreadable DATA)."""
    from ..cohort.findings import Findings
    from ..mapping.draft import draft_mapping
    from ..mapping.vocab import load_vocabularies
    from ..cohort.grid import read_grids
    from ..scan.profile import _mark_excel_percent, profile_grids
    plan = plan_file(out, inputs=[p for p in (data, vocab) if p is not None], overwrite=overwrite)
    vocabs = load_vocabularies(vocab)
    findings = Findings()
    grids = read_grids(data, findings, _options(data, delimiter, encoding) if data.exists() else None)
    profile = profile_grids(Path(data).name, grids, findings)  # as profile_data, keeping the grids (code books)
    _mark_excel_percent(Path(data), grids, profile, findings)
    if findings.errors or not profile.sources:
        raise DraftInputError(findings.summary_text(limit=20) if findings.errors else
                              f"{data}: no sheet or file with data to draft a mapping from")
    d = draft_mapping(profile, vocabs, encoding=encoding.lower() if encoding else None, grids=grids)
    plan.write_bytes(d.text)
    lines = [str(w) for w in findings.warnings]  # sheets not read, rows above a header: never silent
    lines += d.reports + [f"{out}: {d.todo} TODO to decide before the mapping can be used"]
    return "\n".join(lines)


class DraftInputError(Exception):
    """DATA could not be read (the message lists the findings)."""


def register(map_app: typer.Typer) -> None:
    """Add ``draft`` to the ``map`` command group."""

    @map_app.command("draft")
    def draft_cmd(
        data: Path = typer.Argument(..., help="The center's workbook (.xlsx), CSV file or folder of CSV files."),
        out: Path = typer.Option(..., "--out", help="Write the drafted mapping (YAML) here."),
        vocab: Optional[Path] = typer.Option(None, "--vocab", help="A folder of your own vocabulary .yaml files, "
                                             "added over the shipped ones (yours win)."),
        overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing file at --out (never an "
                                       "input)."),
        delimiter: Optional[str] = typer.Option(None, help="Delimiter of CSV files: , ; tab | (default: sniffed)."),
        encoding: Optional[str] = typer.Option(None, help="Text encoding of CSV files: utf-8 (default), latin-1, "
                                               "cp1252, utf-16; written into the mapping's file sources."),
    ) -> None:
        """Propose a complete mapping: sheets -> tables, columns -> columns, every value listed beside its
        suggested code; each decision it cannot make is TODO (validate refuses the mapping until it is decided)."""
        from ..mapping.vocab import VocabError
        from ._app import err
        try:
            summary = draft(data, out, vocab, overwrite, delimiter, encoding)
        except (OutputError, VocabError, DraftInputError) as exc:
            err.print(f"error: {exc}", highlight=False, markup=False)
            raise typer.Exit(code=2)
        except (KeyboardInterrupt, Interrupted):
            err.print("interrupted: nothing was written", highlight=False, markup=False)
            raise typer.Exit(code=130)
        typer.echo(summary)


__all__ = ["register", "draft", "DraftInputError"]
