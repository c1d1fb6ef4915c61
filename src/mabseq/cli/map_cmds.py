"""``mabseq map``: the mapping-file commands. ``map sql`` prints the SQL a YAML mapping compiles to; ``map upgrade``
rewrites a rename-only JSON mapping as a YAML mapping. ``map draft`` is registered from ``draft_cmd.py`` (when
present) through :data:`map_app`."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..outputs import OutputError, plan_file
from ._app import app, err, overwrite_option

map_app = typer.Typer(no_args_is_help=True, help="Mapping files: a center's own workbook layout -> the schema.")
app.add_typer(map_app, name="map")


def _findings_or_exit(findings) -> None:
    if findings.errors:
        err.print(findings.summary_text(limit=40), highlight=False, markup=False)
        raise typer.Exit(code=2)


@map_app.command("sql")
def sql_cmd(
    mapping: Path = typer.Argument(..., help="The YAML mapping file."),
    data: Optional[Path] = typer.Option(None, help="DATA, to resolve column letters and unpivot groups."),
) -> None:
    """Print the SQL that DuckDB runs for a mapping (deterministic: the same mapping gives the same text)."""
    from ..cohort.findings import Findings
    from ..mapping.execute import mapping_sql
    from ..mapping.load import is_yaml_mapping
    findings = Findings()
    if not is_yaml_mapping(mapping):
        err.print(f"error: {mapping.name}: map sql reads a YAML mapping (.yaml or .yml); upgrade a JSON mapping "
                  "with: mabseq map upgrade OLD.json --out mapping.yaml", highlight=False, markup=False)
        raise typer.Exit(code=2)
    text = mapping_sql(mapping, findings, data)
    _findings_or_exit(findings)
    typer.echo(text, nl=False)


@map_app.command("upgrade")
def upgrade_cmd(
    old: Path = typer.Argument(..., help="The rename-only JSON mapping."),
    out: Path = typer.Option(..., "--out", help="The YAML mapping to write."),
    data: Optional[Path] = typer.Option(None, help="DATA the JSON mapping was used with (its sheets and headers "
                                        "matched by name are then written out too)."),
    overwrite: bool = overwrite_option(),
) -> None:
    """Rewrite a rename-only JSON mapping as a YAML mapping (format 1) giving the same cohort."""
    from ..cohort.findings import Findings
    from ..mapping.upgrade import upgrade_json
    try:
        plan = plan_file(out, inputs=[p for p in (old, data) if p is not None], overwrite=overwrite)
    except OutputError as exc:
        err.print(f"error: {exc}", highlight=False, markup=False)
        raise typer.Exit(code=2)
    findings = Findings()
    text = upgrade_json(old, findings, data)
    _findings_or_exit(findings)
    plan.write_bytes(text.encode("utf-8"))
    if data is None:
        err.print("note: without --data only the JSON file's own entries are written; sheets and headers it matched "
                  "by their names are not", highlight=False, markup=False)
    typer.echo(f"wrote {out}")


import importlib.util as _util  # noqa: E402

if _util.find_spec("mabseq.cli.draft_cmd") is not None:  # map draft lives in its own module (issue 13, part 3)
    from . import draft_cmd as _draft
    _draft.register(map_app)

__all__ = ["map_app"]
