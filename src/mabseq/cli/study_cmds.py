"""The study commands: ``run``, ``report``, ``explain``, ``synth``."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..outputs import plan_file, plan_folder
from ._app import command, err, fail, mapping_option, overwrite_option, quiet_option, redcap_option
from .cohort_cmds import inputs_of


def study_or_exit(data, study, mapping=None, redcap_dictionary=None, before_error=lambda: None):
    """Run the study on DATA (None: the twin); a cohort with errors or a bad option exits with status 2."""
    from ..cohort import CohortError
    from ..studies.run import run_study
    try:
        return run_study(data, study=study, mapping=mapping, redcap_dictionary=redcap_dictionary)
    except CohortError as exc:
        before_error()
        err.print(exc.findings.summary_text(limit=40), highlight=False, markup=False)
        raise typer.Exit(code=2)
    except ValueError as exc:
        before_error()
        fail(str(exc))


def _check_study(study: str) -> None:
    from ..studies import PRESETS
    if study not in PRESETS:
        fail(f"unknown study {study!r}; known: {', '.join(sorted(PRESETS))}")


@command("run")
def run_cmd(
    data: Optional[Path] = typer.Argument(None, help="Cohort (any DATA form). Omit it to run on the bundled twin."),
    study: str = typer.Option("paper", help="Study preset."),
    out: Path = typer.Option(Path("out"), help="Output directory."),
    mapping: Optional[Path] = mapping_option(),
    redcap_dictionary: Optional[Path] = redcap_option(),
    overwrite: bool = overwrite_option(),
    quiet: bool = quiet_option(),
) -> None:
    """Run the study: results (JSON and CSV), fidelity table, analysis datasets and an R script that checks them."""
    from ..studies.run import output_files
    _check_study(study)
    plan = plan_folder(out, inputs=inputs_of(data, mapping, redcap_dictionary), overwrite=overwrite)
    run = study_or_exit(data, study, mapping, redcap_dictionary)
    files = output_files(run)
    plan.write(files)
    if not quiet:
        typer.echo(files["summary.txt"], nl=False)
        typer.echo(f"wrote {', '.join(sorted(files))} to {out}/")


@command("report")
def report_cmd(
    data: Optional[Path] = typer.Argument(None, help="Cohort (any DATA form). Omit it to run on the bundled twin."),
    study: str = typer.Option("paper", help="Study preset."),
    out: Path = typer.Option(Path("out"), help="Output directory."),
    mapping: Optional[Path] = mapping_option(),
    redcap_dictionary: Optional[Path] = redcap_option(),
    overwrite: bool = overwrite_option(),
    quiet: bool = quiet_option(),
) -> None:
    """Run the study and render it: report.html, tables.docx, figures/ (PDF and PNG), plus everything `run` writes."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from ..render.report import FigureWorkers, report_files
    _check_study(study)
    plan = plan_folder(out, inputs=inputs_of(data, mapping, redcap_dictionary), overwrite=overwrite)
    # the figure workers are forked first: they load matplotlib while this process runs the study
    with FigureWorkers() as workers, Progress(SpinnerColumn(), TextColumn("{task.description}"), console=err,
                                              transient=True, disable=quiet) as prog:
        task = prog.add_task("reading and validating the cohort")
        run = study_or_exit(data, study, mapping, redcap_dictionary, before_error=prog.stop)
        files = report_files(run, progress=lambda m: prog.update(task, description=f"rendering {m}"),
                             workers=workers)
        prog.update(task, description="writing")
        plan.write(files)
    if not quiet:
        typer.echo(files["summary.txt"], nl=False)
        n_fig = sum(1 for k in files if k.startswith("figures/"))
        typer.echo(f"wrote report.html, tables.docx, {n_fig} figure files and {len(files) - n_fig - 2} other files "
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
        typer.echo(explain_patient(run, patient))
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
    from ..cohort.storage import is_mabseq_duckdb, write_duckdb_into, write_parquet_into
    from ..studies.synth import synthesize
    if n < 1:
        fail("--n must be at least 1")
    as_db = out.suffix.lower() in (".duckdb", ".db")
    plan = (plan_file(out, overwrite=overwrite, owned=is_mabseq_duckdb) if as_db
            else plan_folder(out, overwrite=overwrite))
    cohort = synthesize(n, seed)
    with plan.staged() as tmp:
        (write_duckdb_into if as_db else write_parquet_into)(cohort, tmp)
    typer.echo(f"wrote {n} synthetic patients to {out}")
