"""The typer application, its error handling and the options every command shares.

Exit status: 0 on success, 2 on bad input or a refused output path (the message names file, row and column, or the
path), 130 when interrupted (Ctrl-C, SIGTERM, SIGHUP). Nothing is written half-way: every output goes through
:mod:`mabseq.outputs`.
"""
from __future__ import annotations

import functools
import gc
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from .. import __version__
from ..outputs import Interrupted, OutputError, install_signal_cleanup

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="mabseq: outcomes research in relapsed/refractory B-ALL after blinatumomab and inotuzumab.",
)
err = Console(stderr=True, soft_wrap=True)  # a message naming a long path is never broken across lines


class InputError(Exception):
    """Bad input a user can fix; reported with file, row and column, exit status 2."""


def fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, markup=True)
    raise typer.Exit(code=2)


def command(name: str | None = None, **kwargs):
    """``app.command`` whose function turns a refused output (OutputError) into exit 2 and an interruption into
    exit 130, after the temporary outputs have been removed."""
    def wrap(fn):
        @functools.wraps(fn)
        def run(*a, **kw):
            try:
                return fn(*a, **kw)
            except OutputError as exc:
                err.print(f"error: {exc}", highlight=False, markup=False)
                raise typer.Exit(code=2)
            except (KeyboardInterrupt, Interrupted):
                err.print("interrupted: nothing was written", highlight=False, markup=False)
                raise typer.Exit(code=130)
            finally:  # what a study froze (study_cmds.study_or_exit) collectable again for a caller that goes on
                gc.unfreeze()
        return app.command(name, **kwargs)(run)
    return wrap


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mabseq {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """mabseq command line."""
    install_signal_cleanup()


OVERWRITE_HELP = ("Replace an output folder or file that holds things mabseq did not write (never an input; "
                  "without it such outputs are refused).")
MAPPING_HELP = ("Mapping file: a YAML mapping (.yaml, docs/MAPPING.md) or the older rename-only JSON file of the "
                "center's sheet/file and column names.")
REDCAP_HELP = "REDCap data dictionary CSV (for a REDCap records export)."


def overwrite_option():
    return typer.Option(False, "--overwrite", help=OVERWRITE_HELP)


def mapping_option():
    return typer.Option(None, help=MAPPING_HELP)


def redcap_option():
    return typer.Option(None, help=REDCAP_HELP)


def quiet_option():
    return typer.Option(False, "--quiet", help="Print nothing but errors.")


__all__ = ["app", "err", "fail", "command", "InputError", "Path", "Optional"]
