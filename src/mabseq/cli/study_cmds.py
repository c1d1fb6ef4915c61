"""The study commands: ``run``, ``report``, ``explain``, ``synth``. What they print passes
:func:`mabseq.safe_text.escape_control` (a file name or a cell with a terminal escape sequence stays visible text)."""
from __future__ import annotations

import gc
from pathlib import Path
from typing import Optional

import typer

from ..outputs import plan_file, plan_folder
from ..safe_text import escape_control
from ._app import command, err, fail, mapping_option, overwrite_option, quiet_option, redcap_option
from .cohort_cmds import inputs_of


def study_or_exit(data, study, mapping=None, redcap_dictionary=None, before_error=lambda: None, min_cell=None):
    """Run the study on DATA (None: the twin); a cohort with errors or a bad option exits with status 2.

    The study runs with Python's cyclic garbage collector paused, and what it built is then moved out of the
    collector's reach (``gc.freeze``: the cohort, the derived values and the results live until this command
    exits). Loading, deriving and analysing make millions of rows, dicts and tuples and no reference cycles to
    speak of, and the collector walked them again and again as they accumulated: at 100,000 patients `run` took
    83 s with it and 76 s without, at the same peak memory (3.72 GB; nothing was left for it to free). Here, in
    the command that owns the process, not in the library (a caller's session keeps its collector)."""
    from ..cohort import CohortError
    from ..studies.run import run_study
    collecting = gc.isenabled()
    gc.disable()
    try:
        return run_study(data, study=study, mapping=mapping, redcap_dictionary=redcap_dictionary,
                         min_cell=min_cell)
    except CohortError as exc:
        before_error()
        err.print(exc.findings.summary_text(limit=40), highlight=False, markup=False)
        raise typer.Exit(code=2)
    except ValueError as exc:
        before_error()
        fail(str(exc))
    finally:
        gc.freeze()
        if collecting:
            gc.enable()


def _check_study(study: str) -> None:
    from ..studies import PRESETS
    if study not in PRESETS:
        fail(f"unknown study {study!r}; known: {', '.join(sorted(PRESETS))}")


def _echo(text: str, **kw) -> None:
    typer.echo(escape_control(text), **kw)


def min_cell_option():
    return typer.Option(None, "--min-cell", metavar="K", help=(
        "Suppress counts of 1 to K-1 patients (shown as <K) in tables, numbers at risk, text and results, and the "
        "cells from which they would follow (shown as *). Default: none, or 5 with --shareable."))


def shareable_option():
    return typer.Option(False, "--shareable", help=(
        "Write only what may leave the center: results without patient ids or calendar dates, small cells "
        "suppressed (--min-cell 5 unless given), no analysis datasets, findings or swimmer plot; README.txt "
        "says what was removed."))


def _min_cell(min_cell: Optional[int], shareable: bool) -> Optional[int]:
    """K for the run: as given, 5 for a shareable bundle without --min-cell; at least 1."""
    from ..results.shareable import DEFAULT_MIN_CELL
    if min_cell is not None and min_cell < 1:
        fail(f"--min-cell must be at least 1, not {min_cell}")
    if shareable and min_cell is None:
        return DEFAULT_MIN_CELL
    return min_cell


def _say_min_cell(k: Optional[int], given: Optional[int], shareable: bool) -> None:
    if shareable:
        _echo(f"shareable bundle: small cells suppressed with K = {k}"
              + (" (the default for --shareable; set it with --min-cell)" if given is None else ""))


def _prepare(study, min_cell, shareable, out, data, mapping, redcap_dictionary, overwrite):
    """Before any work: the preset exists, K is decided, and --out may be written (else exit 2 now)."""
    _check_study(study)
    k = _min_cell(min_cell, shareable)
    return k, plan_folder(out, inputs=inputs_of(data, mapping, redcap_dictionary), overwrite=overwrite)


@command("run")
def run_cmd(
    data: Optional[Path] = typer.Argument(None, help="Cohort (any DATA form). Omit it to run on the bundled twin."),
    study: str = typer.Option("paper", help="Study preset."),
    out: Path = typer.Option(Path("out"), help="Output directory."),
    mapping: Optional[Path] = mapping_option(),
    redcap_dictionary: Optional[Path] = redcap_option(),
    overwrite: bool = overwrite_option(),
    quiet: bool = quiet_option(),
    min_cell: Optional[int] = min_cell_option(),
    shareable: bool = shareable_option(),
) -> None:
    """Run the study: results (JSON and CSV), fidelity table, analysis datasets and an R script that checks them."""
    from ..studies.run import output_files
    k, plan = _prepare(study, min_cell, shareable, out, data, mapping, redcap_dictionary, overwrite)
    run = study_or_exit(data, study, mapping, redcap_dictionary, min_cell=k)
    files = output_files(run, shareable=shareable)
    plan.write(files)
    if not quiet:
        _echo(files["summary.txt"], nl=False)
        _say_min_cell(k, min_cell, shareable)
        _echo(f"wrote {', '.join(sorted(files))} to {out}/")


@command("report")
def report_cmd(
    data: Optional[Path] = typer.Argument(None, help="Cohort (any DATA form). Omit it to run on the bundled twin."),
    study: str = typer.Option("paper", help="Study preset."),
    out: Path = typer.Option(Path("out"), help="Output directory."),
    mapping: Optional[Path] = mapping_option(),
    redcap_dictionary: Optional[Path] = redcap_option(),
    overwrite: bool = overwrite_option(),
    quiet: bool = quiet_option(),
    min_cell: Optional[int] = min_cell_option(),
    shareable: bool = shareable_option(),
    figures: str = typer.Option("screen", metavar="screen|publication",
                                help="screen: each figure once, as SVG (in report.html and figures/); "
                                     "publication: also PDF and 600-dpi PNG at 8 and 17 cm width."),
) -> None:
    """Run the study and render it: report.html, tables.docx, figures/ (SVG; PDF and PNG with --figures
    publication), plus everything `run` writes."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from ..render.report import FIGURE_MODES, FigureWorkers, report_files
    if figures not in FIGURE_MODES:
        fail(f"--figures {figures!r}: use {' or '.join(FIGURE_MODES)}")
    k, plan = _prepare(study, min_cell, shareable, out, data, mapping, redcap_dictionary, overwrite)
    # the figure workers are forked first: they load matplotlib while this process runs the study
    with FigureWorkers() as workers, Progress(SpinnerColumn(), TextColumn("{task.description}"), console=err,
                                              transient=True, disable=quiet) as prog:
        task = prog.add_task("reading and validating the cohort")
        run = study_or_exit(data, study, mapping, redcap_dictionary, before_error=prog.stop, min_cell=k)
        files = report_files(run, progress=lambda m: prog.update(task, description=f"rendering {m}"),
                             workers=workers, shareable=shareable, figures=figures)
        prog.update(task, description="writing")
        plan.write(files)
    if not quiet:
        _echo(files["summary.txt"], nl=False)
        _say_min_cell(k, min_cell, shareable)
        n_fig = sum(1 for f in files if f.startswith("figures/"))
        _echo(f"wrote report.html, tables.docx, {n_fig} figure files and {len(files) - n_fig - 2} other files "
              f"to {out}/")


@command("explain")
def explain_cmd(
    data: Optional[Path] = typer.Argument(None, help="Cohort (any DATA form). Omit it for the bundled twin."),
    patient: str = typer.Option(..., help="Study ID of the patient."),
    study: str = typer.Option("paper", help="Study preset."),
    mapping: Optional[Path] = mapping_option(),
) -> None:
    """Show how each derived value of one patient was reached (inputs, rule, result)."""
    from ..studies.run import explain_patient
    _check_study(study)
    run = study_or_exit(data, study, mapping)
    try:
        _echo(explain_patient(run, patient))
    except KeyError:
        fail(f"patient {patient!r} is not in the cohort")


@command("synth")
def synth_cmd(
    n: int = typer.Option(1000, help="Number of patients."),
    seed: int = typer.Option(1, help="Random seed (same seed, same cohort)."),
    out: Path = typer.Option(Path("synthetic.duckdb"), help="A .duckdb file, or a folder for Parquet files."),
    overwrite: bool = overwrite_option(),
) -> None:
    """Write a larger SYNTHETIC cohort drawn from the twin's patterns, in the canonical stored form."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from ..cohort.storage import is_mabseq_duckdb, write_chunks_into
    from ..studies.synth import CHUNK, synthesize_chunks
    if n < 1:
        fail("--n must be at least 1")
    as_db = out.suffix.lower() in (".duckdb", ".db")
    plan = (plan_file(out, overwrite=overwrite, owned=is_mabseq_duckdb) if as_db
            else plan_folder(out, overwrite=overwrite))
    parts = -(-n // CHUNK)
    # one chunk of patients in memory at a time, written as it is made; a bar when there is more than one
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err, transient=True, disable=parts < 2) as prog, plan.staged() as tmp:
        task = prog.add_task(f"synthesizing {n} patients in chunks of {CHUNK}", total=parts)
        write_chunks_into(synthesize_chunks(n, seed, workers=None), tmp, as_duckdb=as_db,
                          progress=lambda k: prog.update(task, completed=k))
    typer.echo(f"wrote {n} synthetic patients to {out}")
