"""The ``mabseq`` command line.

Exit status: 0 on success, 2 on bad input (the message names file, row and column); nothing is written half-way.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
import typer
from rich.console import Console

from . import __version__

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="mabseq: outcomes research in relapsed/refractory B-ALL after blinatumomab and inotuzumab.",
)
err = Console(stderr=True)


class InputError(Exception):
    """Bad input a user can fix; reported with file, row and column, exit status 2."""


def _fail(message: str) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code=2)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mabseq {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """mabseq command line."""


def _read_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    try:
        df = pd.read_csv(path)
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise InputError(f"{path}: cannot be read as CSV ({exc})") from None
    for col in columns:
        if col not in df.columns:
            raise InputError(f"{path}: column {col!r} not found (columns: {', '.join(map(str, df.columns))})")
    return df


def _numeric_column(df: pd.DataFrame, path: Path, col: str) -> np.ndarray:
    values = pd.to_numeric(df[col], errors="coerce")
    bad = values.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(f"{path}: row {i + 2}, column {col!r}: value {df[col].iloc[i]!r} is not a number")
    return values.to_numpy(dtype=float)


def _locate(exc: ValueError, path: Path, columns: dict[str, str]) -> InputError:
    """Turn a kernel's 'arg: value at position i ...' into 'file: row r, column c: ...' (row 1 is the header)."""
    msg = str(exc)
    arg, _, rest = msg.partition(": ")
    col = columns.get(arg)
    if col and rest.startswith("value at position "):
        pos = int(rest.split()[3])
        detail = rest.split(" is ", 1)[1]
        return InputError(f"{path}: row {pos + 2}, column {col!r}: value {detail}")
    return InputError(f"{path}: {msg}")


def _write_atomically(out: Path, files: dict) -> None:
    """Write all files (text or bytes; names may contain a subfolder) into a temporary directory beside ``out``,
    then move them into place together: a failure never leaves half an output."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for name, content in files.items():
            target = tmp / name
            target.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(content, bytes):
                target.write_bytes(content)
            else:
                target.write_text(content, encoding="utf-8", newline="\n")
        if out.exists():
            backup = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.replace(out, backup / out.name)
            os.replace(tmp, out)
            shutil.rmtree(backup)
        else:
            os.replace(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)


@app.command()
def survival(
    data: Path = typer.Argument(..., help="CSV file with one row per patient."),
    time: str = typer.Option(..., help="Column with the follow-up time (days)."),
    event: str = typer.Option(..., help="Column with the event indicator (1 = event, 0 = censored)."),
    group: Optional[str] = typer.Option(None, help="Column defining the groups to compare (log-rank)."),
    entry: Optional[str] = typer.Option(None, help="Column with delayed-entry times (left truncation)."),
    conf_type: str = typer.Option("log", help="Confidence interval: log, log-log or plain."),
    out: Path = typer.Option(Path("out"), help="Output directory."),
    quiet: bool = typer.Option(False, "--quiet", help="Print nothing but errors."),
) -> None:
    """Kaplan-Meier curves, medians, median follow-up and the log-rank test for one CSV file."""
    from .stats import kaplan_meier, logrank_test, median_followup

    try:
        cols = [time, event] + [c for c in (group, entry) if c]
        df = _read_csv(data, cols)
        columns = {"time": time, "event": event, "group": group or "", "entry": entry or ""}
        t = _numeric_column(df, data, time)
        e = _numeric_column(df, data, event)
        en = _numeric_column(df, data, entry) if entry else None
        if group:
            missing = df[group].isna()
            if missing.any():
                i = int(np.flatnonzero(missing.to_numpy())[0])
                raise InputError(f"{data}: row {i + 2}, column {group!r}: value is missing")
            labels = df[group].astype(str).to_numpy()
        else:
            labels = np.full(t.shape[0], "all")
        try:
            curves, medians = [], []
            for lev in np.unique(labels):
                sel = labels == lev
                fit = kaplan_meier(t[sel], e[sel], entry=None if en is None else en[sel], conf_type=conf_type)
                tab = fit.table
                tab.insert(0, "group", lev)
                curves.append(tab)
                m = fit.median
                fu = median_followup(t[sel], e[sel])
                medians.append({"group": lev, "n": int(sel.sum()), "events": int(e[sel].sum()),
                                "median": m.estimate, "median_lower": m.lower, "median_upper": m.upper,
                                "median_followup": fu.estimate})
            lr = logrank_test(t, e, labels, entry=en) if group else None
        except ValueError as exc:
            raise _locate(exc, data, columns) from None
    except InputError as exc:
        _fail(str(exc))
        return

    files = {
        "km.csv": pd.concat(curves, ignore_index=True).to_csv(index=False, lineterminator="\n"),
        "medians.csv": pd.DataFrame(medians).to_csv(index=False, lineterminator="\n"),
    }
    lines = [f"mabseq {__version__}: survival analysis of {data.name} (time={time}, event={event})"]
    for m in medians:
        lines.append(
            f"  {m['group']}: n={m['n']}, events={m['events']}, median {m['median']:g} "
            f"(95% CI {m['median_lower']:g}-{m['median_upper']:g}), median follow-up {m['median_followup']:g}"
        )
    if lr is not None:
        files["logrank.csv"] = pd.DataFrame(
            {"statistic": [lr.statistic], "df": [lr.df], "p_value": [lr.p_value]}
        ).to_csv(index=False, lineterminator="\n")
        lines.append(f"  log-rank: chi-square {lr.statistic:.4f} on {lr.df} df, p = {lr.p_value:.4g}")
    files["summary.txt"] = "\n".join(lines) + "\n"
    _write_atomically(out, files)
    if not quiet:
        typer.echo(files["summary.txt"], nl=False)
        typer.echo(f"wrote {', '.join(sorted(files))} to {out}/")


# ---- the cohort: import, validate, templates ------------------------------------------------------------------
def _load_or_fail(data: Path, mapping: Optional[Path], redcap_dictionary: Optional[Path], quiet: bool,
                  json_out: Optional[Path] = None):
    from .cohort import load_cohort
    cohort, findings = load_cohort(data, mapping=mapping, redcap_dictionary=redcap_dictionary)
    if json_out is not None:
        _write_file_atomically(json_out, findings.to_json() + "\n")
    if findings.errors or cohort is None:
        err.print(findings.summary_text(limit=40), highlight=False, markup=False)
        raise typer.Exit(code=2)
    if findings.warnings and not quiet:
        err.print(findings.summary_text(limit=40), highlight=False, markup=False)
    return cohort, findings


def _write_file_atomically(path: Path, text: str | bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "wb") as fh:
        fh.write(text.encode("utf-8") if isinstance(text, str) else text)
    os.replace(tmp, path)


MAPPING_HELP = "JSON file mapping the center's sheet/file and column names to the schema's."
REDCAP_HELP = "REDCap data dictionary CSV (for a REDCap records export)."


@app.command("validate")
def validate_cmd(
    data: Path = typer.Argument(..., help="Cohort: .xlsx, CSV folder, REDCap export, DuckDB file or Parquet folder."),
    mapping: Optional[Path] = typer.Option(None, help=MAPPING_HELP),
    redcap_dictionary: Optional[Path] = typer.Option(None, help=REDCAP_HELP),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the findings as JSON here."),
    quiet: bool = typer.Option(False, "--quiet", help="Print nothing but errors."),
) -> None:
    """Check a cohort against the schema: every finding names file or sheet, row, column, value and rule."""
    cohort, findings = _load_or_fail(data, mapping, redcap_dictionary, True, json_out)
    if not quiet:
        typer.echo(findings.summary_text())
        n = len(cohort["patients"])
        typer.echo(f"{data.name}: {n} patients; valid" + (" with warnings" if findings.warnings else ""))


@app.command("import")
def import_cmd(
    data: Path = typer.Argument(..., help="Cohort: .xlsx, CSV folder or REDCap export (or a stored form)."),
    db: Optional[Path] = typer.Option(None, help="Write the cohort to this DuckDB file (default cohort.duckdb)."),
    parquet: Optional[Path] = typer.Option(None, help="Write the cohort as a folder of Parquet files instead."),
    mapping: Optional[Path] = typer.Option(None, help=MAPPING_HELP),
    redcap_dictionary: Optional[Path] = typer.Option(None, help=REDCAP_HELP),
    quiet: bool = typer.Option(False, "--quiet", help="Print nothing but errors."),
) -> None:
    """Validate a cohort and store it in the canonical form (DuckDB file or Parquet folder)."""
    from .cohort.storage import write_duckdb, write_parquet
    cohort, findings = _load_or_fail(data, mapping, redcap_dictionary, quiet)
    if parquet is not None and db is not None:
        _fail("give --db or --parquet, not both")
    if parquet is not None:
        target = write_parquet(cohort, parquet)
    else:
        target = write_duckdb(cohort, db or Path("cohort.duckdb"))
    if not quiet:
        counts = ", ".join(f"{name} {len(df)}" for name, df in cohort.tables.items())
        typer.echo(f"wrote {target} ({counts} rows)")


@app.command("template")
def template_cmd(
    kind: str = typer.Argument(..., help="xlsx (a blank workbook) or redcap (a REDCap data dictionary)."),
    out: Optional[Path] = typer.Option(None, help="Output file (default mabseq-template.xlsx or "
                                       "mabseq-redcap-dictionary.csv)."),
) -> None:
    """Write a blank data-collection template generated from the schema."""
    from .cohort.templates import build_xlsx_template, deterministic_xlsx_bytes
    if kind == "xlsx":
        path = out or Path("mabseq-template.xlsx")
        _write_file_atomically(path, deterministic_xlsx_bytes(build_xlsx_template()))
    elif kind == "redcap":
        from .cohort.redcap import data_dictionary
        path = out or Path("mabseq-redcap-dictionary.csv")
        _write_file_atomically(path, data_dictionary())
    else:
        _fail(f"template kind must be xlsx or redcap, not {kind!r}")
        return
    typer.echo(f"wrote {path}")


@app.command("schema")
def schema_cmd(
    markdown: bool = typer.Option(True, "--markdown/--summary", help="The full column reference, or counts."),
) -> None:
    """Print the cohort schema (the column reference in docs/COHORT_SCHEMA.md)."""
    from .cohort.schema import TABLES, schema_markdown
    if markdown:
        typer.echo(schema_markdown())
    else:
        for t in TABLES:
            typer.echo(f"{t.name}: {len(t.columns)} columns")


# ---- the study: run, report, explain, synth --------------------------------------------------------------------
def _study_or_fail(data, study, mapping=None, redcap_dictionary=None, before_error=lambda: None):
    """Run the study on DATA (None: the twin); a cohort with errors or a bad option exits with status 2."""
    from .cohort import CohortError
    from .studies.run import run_study
    try:
        return run_study(data, study=study, mapping=mapping, redcap_dictionary=redcap_dictionary)
    except CohortError as exc:
        before_error()
        err.print(exc.findings.summary_text(limit=40), highlight=False, markup=False)
        raise typer.Exit(code=2)
    except ValueError as exc:
        before_error()
        _fail(str(exc))


@app.command("run")
def run_cmd(
    data: Optional[Path] = typer.Argument(None, help="Cohort (any DATA form). Omit it to run on the bundled twin."),
    study: str = typer.Option("paper", help="Study preset."),
    out: Path = typer.Option(Path("out"), help="Output directory."),
    mapping: Optional[Path] = typer.Option(None, help=MAPPING_HELP),
    redcap_dictionary: Optional[Path] = typer.Option(None, help=REDCAP_HELP),
    quiet: bool = typer.Option(False, "--quiet", help="Print nothing but errors."),
) -> None:
    """Run the study: results (JSON and CSV), fidelity table, analysis datasets and an R script that checks them."""
    from .studies.run import output_files
    run = _study_or_fail(data, study, mapping, redcap_dictionary)
    files = output_files(run)
    _write_atomically(out, files)
    if not quiet:
        typer.echo(files["summary.txt"], nl=False)
        typer.echo(f"wrote {', '.join(sorted(files))} to {out}/")


@app.command("report")
def report_cmd(
    data: Optional[Path] = typer.Argument(None, help="Cohort (any DATA form). Omit it to run on the bundled twin."),
    study: str = typer.Option("paper", help="Study preset."),
    out: Path = typer.Option(Path("out"), help="Output directory."),
    mapping: Optional[Path] = typer.Option(None, help=MAPPING_HELP),
    redcap_dictionary: Optional[Path] = typer.Option(None, help=REDCAP_HELP),
    quiet: bool = typer.Option(False, "--quiet", help="Print nothing but errors."),
) -> None:
    """Run the study and render it: report.html, tables.docx, figures/ (PDF and PNG), plus everything `run` writes."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from .render.report import FigureWorkers, report_files
    # the figure workers are forked first: they load matplotlib while this process runs the study
    with FigureWorkers() as workers, Progress(SpinnerColumn(), TextColumn("{task.description}"), console=err,
                                              transient=True, disable=quiet) as prog:
        task = prog.add_task("reading and validating the cohort")
        run = _study_or_fail(data, study, mapping, redcap_dictionary, before_error=prog.stop)
        files = report_files(run, progress=lambda m: prog.update(task, description=f"rendering {m}"),
                             workers=workers)
        prog.update(task, description="writing")
        _write_atomically(out, files)
    if not quiet:
        typer.echo(files["summary.txt"], nl=False)
        n_fig = sum(1 for k in files if k.startswith("figures/"))
        typer.echo(f"wrote report.html, tables.docx, {n_fig} figure files and {len(files) - n_fig - 2} other files "
                   f"to {out}/")


@app.command("explain")
def explain_cmd(
    data: Optional[Path] = typer.Argument(None, help="Cohort (any DATA form). Omit it for the bundled twin."),
    patient: str = typer.Option(..., help="Study ID of the patient."),
    study: str = typer.Option("paper", help="Study preset."),
    mapping: Optional[Path] = typer.Option(None, help=MAPPING_HELP),
) -> None:
    """Show how each derived value of one patient was reached (inputs, rule, result)."""
    from .studies.run import explain_patient
    run = _study_or_fail(data, study, mapping)
    try:
        typer.echo(explain_patient(run, patient))
    except KeyError:
        _fail(f"patient {patient!r} is not in the cohort")


@app.command("synth")
def synth_cmd(
    n: int = typer.Option(1000, help="Number of patients."),
    seed: int = typer.Option(1, help="Random seed (same seed, same cohort)."),
    out: Path = typer.Option(Path("synthetic.duckdb"), help="A .duckdb file, or a folder for Parquet files."),
) -> None:
    """Write a larger SYNTHETIC cohort drawn from the twin's patterns, in the canonical stored form."""
    from .cohort.storage import write_duckdb, write_parquet
    from .studies.synth import synthesize
    if n < 1:
        _fail("--n must be at least 1")
    cohort = synthesize(n, seed)
    if out.suffix.lower() in (".duckdb", ".db"):
        write_duckdb(cohort, out)
    else:
        write_parquet(cohort, out)
    typer.echo(f"wrote {n} synthetic patients to {out}")


if __name__ == "__main__":  # pragma: no cover
    app()
