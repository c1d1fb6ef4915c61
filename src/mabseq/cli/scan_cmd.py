"""``mabseq scan DATA --out DIR``: a shareable profile of every sheet or file (scan.html and scan.json)."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..outputs import plan_folder
from ._app import command, err, fail, overwrite_option, quiet_option


def _options(data: Path, delimiter: str | None, encoding: str | None) -> dict:
    from ..cohort.grid import GridOptions
    if delimiter is None and encoding is None:
        return {}
    if delimiter is not None and delimiter not in (",", ";", "\t", "|", "tab"):
        fail(f"--delimiter must be one of , ; tab | (not {delimiter!r})")
    opt = GridOptions("\t" if delimiter == "tab" else delimiter, encoding)
    names = [p.name for p in data.iterdir()] if data.is_dir() else [data.name]
    return {n: opt for n in names}


def _summary(s) -> str:
    if s.layout == "key_value":
        return f"{s.source}: key/value sheet, {s.n_rows} keys"
    if not s.columns:
        return f"{s.source}: empty"
    kinds: dict[str, int] = {}
    for c in s.columns:
        kinds[c.inferred] = kinds.get(c.inferred, 0) + 1
    shown = ", ".join(f"{k} {n}" for k, n in sorted(kinds.items(), key=lambda kv: (-kv[1], kv[0])))
    line = f"{s.source}: header row {s.header_row}"
    if s.skip_rows:
        line += f" (rows {', '.join(map(str, s.skip_rows))} skipped: units or notes)"
    line += f", {s.n_rows} data rows, {len(s.columns)} columns ({shown})"
    if s.groups:
        line += "; repeated groups " + ", ".join(f"{g.template} x{len(g.numbers)}" for g in s.groups)
    if s.decimal == ",":
        line += "; decimal comma"
    return line


@command("scan")
def scan_cmd(
    data: Path = typer.Argument(..., help="The center's data: an .xlsx workbook, a CSV file or a folder of them."),
    out: Path = typer.Option(Path("mabseq-scan"), "--out", help="Folder for scan.html and scan.json."),
    delimiter: Optional[str] = typer.Option(None, help="CSV delimiter (default: sniffed among , ; tab |)."),
    encoding: Optional[str] = typer.Option(None, help="Text encoding of CSV files (default UTF-8 exactly)."),
    overwrite: bool = overwrite_option(),
    quiet: bool = quiet_option(),
) -> None:
    """Profile every sheet or file of DATA: columns, types, values, patterns, date formats, repeated groups,
    key/value sheets. Values seen fewer than 5 times in id-like, free-text or date columns are left out, so the
    scan can be shared."""
    from ..cohort.findings import Findings
    from ..scan import profile_data
    from ..scan.render import scan_files
    plan = plan_folder(out, inputs=[data], overwrite=overwrite)
    findings = Findings()
    profile = profile_data(data, findings, _options(data, delimiter, encoding) if data.exists() else None)
    if findings.errors:
        err.print(findings.summary_text(limit=40), highlight=False, markup=False)
        raise typer.Exit(code=2)
    if not profile.sources:
        fail(f"{data}: holds no sheet or CSV file to scan")
    plan.write(scan_files(profile, findings))
    if findings.warnings and not quiet:
        err.print(findings.summary_text(limit=40), highlight=False, markup=False)
    if not quiet:
        for s in profile.sources:
            typer.echo(_summary(s))
        typer.echo(f"wrote {out / 'scan.html'} and {out / 'scan.json'}")
