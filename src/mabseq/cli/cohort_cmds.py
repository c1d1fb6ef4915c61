"""The cohort commands: ``validate``, ``import``, ``template``, ``schema``."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Optional

import typer

from ..outputs import owned_json, plan_file, plan_folder
from ._app import command, err, fail, mapping_option, overwrite_option, quiet_option, redcap_option


@contextmanager
def progress_display(quiet: bool):
    """A progress callback drawn on the terminal (stderr) while a cohort is read, checked and written; None (no
    display) with --quiet or when stderr is not a terminal."""
    if quiet or not err.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    with Progress(TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(), console=err,
                  transient=True) as bar:
        task = bar.add_task("reading", total=None)

        def update(stage: str, done: int, total: int | None) -> None:
            bar.update(task, description=stage, completed=done, total=total)
            bar.refresh()  # every stage is drawn, however fast it goes (the clock ticks between stages)
        yield update


def load_or_exit(data: Path, mapping: Optional[Path], redcap_dictionary: Optional[Path], quiet: bool,
                 json_plan=None, json_name: str | None = None, progress=None, provenance: list | None = None):
    """Read and validate DATA; print the findings; exit 2 on any error (after writing the JSON findings if asked).
    ``provenance``: a list receiving a YAML mapping's provenance frame."""
    from ..cohort import load_cohort
    cohort, findings = load_cohort(data, mapping=mapping, redcap_dictionary=redcap_dictionary, progress=progress,
                                   **({"provenance": provenance} if provenance is not None else {}))
    if json_plan is not None:
        json_plan.write_bytes(findings.to_json() + "\n")
    if findings.errors or cohort is None:
        err.print(findings.summary_text(limit=40, json_path=json_name), highlight=False, markup=False)
        raise typer.Exit(code=2)
    if findings.warnings and not quiet:
        err.print(findings.summary_text(limit=40, json_path=json_name), highlight=False, markup=False)
    return cohort, findings


def inputs_of(data, mapping=None, redcap_dictionary=None) -> list:
    return [p for p in (data, mapping, redcap_dictionary) if p is not None]


@command("validate")
def validate_cmd(
    data: Path = typer.Argument(..., help="Cohort: .xlsx, CSV folder, REDCap export, DuckDB file or Parquet folder."),
    mapping: Optional[Path] = mapping_option(),
    redcap_dictionary: Optional[Path] = redcap_option(),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the findings as JSON here."),
    provenance_out: Optional[Path] = typer.Option(None, "--provenance", help="With a YAML --mapping: write the "
                                                  "provenance of every cell (source sheet, row, column, rule) as CSV."),
    overwrite: bool = overwrite_option(),
    quiet: bool = quiet_option(),
) -> None:
    """Check a cohort against the schema: every finding names file or sheet, row, column, value and rule."""
    plan = prov_plan = None
    inputs = inputs_of(data, mapping, redcap_dictionary)
    if json_out is not None:
        plan = plan_file(json_out, inputs=inputs, overwrite=overwrite, owned=owned_json)
    prov: list | None = None
    if provenance_out is not None:
        from ..mapping.load import is_yaml_mapping
        if not is_yaml_mapping(mapping):
            fail("--provenance needs a YAML mapping (--mapping mapping.yaml): without one every cell is its own "
                 "source")
        prov_plan = plan_file(provenance_out, inputs=inputs + ([json_out] if json_out else []), overwrite=overwrite)
        prov = []
    with progress_display(quiet) as progress:
        cohort, findings = load_or_exit(data, mapping, redcap_dictionary, True, plan,
                                        str(json_out) if json_out else None, progress, prov)
    if prov_plan is not None and prov:
        from ..safe_text import frame_to_csv
        prov_plan.write_bytes(frame_to_csv(prov[0]))
    if not quiet:
        typer.echo(findings.summary_text(json_path=str(json_out) if json_out else None))
        n = len(cohort["patients"])
        typer.echo(f"{data.name}: {n} patients; valid" + (" with warnings" if findings.warnings else ""))


@command("import")
def import_cmd(
    data: Path = typer.Argument(..., help="Cohort: .xlsx, CSV folder or REDCap export (or a stored form)."),
    db: Optional[Path] = typer.Option(None, help="Write the cohort to this DuckDB file (default cohort.duckdb)."),
    parquet: Optional[Path] = typer.Option(None, help="Write the cohort as a folder of Parquet files instead."),
    mapping: Optional[Path] = mapping_option(),
    redcap_dictionary: Optional[Path] = redcap_option(),
    overwrite: bool = overwrite_option(),
    quiet: bool = quiet_option(),
) -> None:
    """Validate a cohort and store it in the canonical form (DuckDB file or Parquet folder)."""
    from ..cohort.storage import is_mabseq_duckdb, write_duckdb_into, write_parquet_into
    if parquet is not None and db is not None:
        fail("give --db or --parquet, not both")
    inputs = inputs_of(data, mapping, redcap_dictionary)
    if parquet is not None:
        plan = plan_folder(parquet, inputs=inputs, overwrite=overwrite)
    else:
        plan = plan_file(db or Path("cohort.duckdb"), inputs=inputs, overwrite=overwrite, owned=is_mabseq_duckdb)
    prov: list = []
    with progress_display(quiet) as progress:
        cohort, findings = load_or_exit(data, mapping, redcap_dictionary, quiet, progress=progress, provenance=prov)
        with plan.staged() as tmp:
            (write_parquet_into if parquet is not None else write_duckdb_into)(
                cohort, tmp, **({"progress": progress} if progress else {}))
            if prov:  # a YAML mapping: where every cell came from, beside the cohort
                from ..mapping.provenance import write_provenance_duckdb, write_provenance_parquet
                (write_provenance_parquet if parquet is not None else write_provenance_duckdb)(tmp, prov[0])
    if not quiet:
        counts = ", ".join(f"{name} {len(df)}" for name, df in cohort.tables.items())
        typer.echo(f"wrote {parquet or db or 'cohort.duckdb'} ({counts} rows)")


@command("template")
def template_cmd(
    kind: str = typer.Argument(..., help="xlsx (a blank workbook) or redcap (a REDCap data dictionary)."),
    out: Optional[Path] = typer.Option(None, help="Output file (default mabseq-template.xlsx or "
                                       "mabseq-redcap-dictionary.csv)."),
    overwrite: bool = overwrite_option(),
) -> None:
    """Write a blank data-collection template generated from the schema."""
    from ..cohort.templates import build_xlsx_template, deterministic_xlsx_bytes
    if kind == "xlsx":
        path = out or Path("mabseq-template.xlsx")
        plan_file(path, overwrite=overwrite).write_bytes(deterministic_xlsx_bytes(build_xlsx_template()))
    elif kind == "redcap":
        from ..cohort.redcap import data_dictionary
        path = out or Path("mabseq-redcap-dictionary.csv")
        plan_file(path, overwrite=overwrite).write_bytes(data_dictionary())
    else:
        fail(f"template kind must be xlsx or redcap, not {kind!r}")
        return
    typer.echo(f"wrote {path}")


@command("schema")
def schema_cmd(
    markdown: bool = typer.Option(True, "--markdown/--summary", help="The full column reference, or counts."),
) -> None:
    """Print the cohort schema (the column reference in docs/COHORT_SCHEMA.md)."""
    from ..cohort.schema import TABLES, schema_markdown
    if markdown:
        typer.echo(schema_markdown())
    else:
        for t in TABLES:
            typer.echo(f"{t.name}: {len(t.columns)} columns")
