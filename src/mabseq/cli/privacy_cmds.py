"""The privacy command: ``deidentify``.

Paths: the de-identified cohort goes to ``--out`` (a new folder, or one mabseq wrote, for ``csv`` and ``parquet``; a
file for ``duckdb``); the key to ``--key``, a separate file that must not lie inside ``--out`` nor be, or lie in,
DATA, the mapping file or the REDCap dictionary. An existing key file is reused when it is this cohort's key (the
same CSV and Parquet outputs, byte for byte; a DuckDB file holds the same tables, but DuckDB writes a few random
header bytes), and refused otherwise; a key file is never overwritten. Both are written through
:mod:`mabseq.outputs`: the key is written while the cohort is still staged, so an error before it leaves nothing;
a key left alone by an interruption between the two renames is this cohort's key, and the next run reuses it.

Identifier findings in patient ids and free text do not stop this command (it removes them); any other error in DATA
does, with exit status 2 and nothing written.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer

from ..outputs import plan_file, plan_folder
from ._app import command, err, fail, mapping_option, overwrite_option, quiet_option, redcap_option
from .cohort_cmds import inputs_of

# findings that de-identification removes (an identifier in a patient id or a free-text cell): not a reason to stop
REMOVED_BY_DEID = ("patient.id_identifier", "identifier.")


def _inside(child: Path, parent: Path) -> bool:
    c, p = Path(os.path.abspath(child)).resolve(), Path(os.path.abspath(parent)).resolve()
    return c == p or p in c.parents


@command("deidentify")
def deidentify_cmd(
    data: Path = typer.Argument(..., help="Cohort (any DATA form: .xlsx, CSV folder, REDCap export, DuckDB, Parquet)."),
    out: Path = typer.Option(..., "--out", help="Where the de-identified cohort goes: a folder (csv, parquet) or a "
                             ".duckdb file."),
    key: Path = typer.Option(..., "--key", help="The key file (old id -> new id, date shift): written when new, "
                             "reused when it is this cohort's key. Keep it apart from the data; never inside --out."),
    fmt: str = typer.Option("csv", "--format", help="csv (a CSV folder), parquet (a Parquet folder) or duckdb."),
    mapping: Optional[Path] = mapping_option(),
    redcap_dictionary: Optional[Path] = redcap_option(),
    overwrite: bool = overwrite_option(),
    quiet: bool = quiet_option(),
) -> None:
    """De-identify a cohort (HIPAA Safe Harbor): new study ids, one random date shift per patient that keeps every
    interval, birth dates removed, ages 90+ grouped, free text cleared unless clinical and clean; the key goes to a
    separate file."""
    from ..cohort import load_cohort
    from ..cohort.storage import is_mabseq_duckdb
    from ..privacy import DeidError, KeyFileError, deidentify, read_key
    from ..privacy.forms import FORMATS, write_into

    if fmt not in FORMATS:
        fail(f"--format must be one of {', '.join(FORMATS)}, not {fmt!r}")
    inputs = inputs_of(data, mapping, redcap_dictionary)
    if _inside(key, out):
        fail(f"--key {key}: the key must not lie inside --out {out} (whoever receives the de-identified cohort "
             "must not receive the key); choose a key file elsewhere")
    for inp in inputs:
        if _inside(key, inp) or _inside(inp, key):
            fail(f"--key {key}: is, or lies inside, the input {inp.name!r}; the key must be a separate file")
    existing = None
    key_plan = None
    if key.exists() or key.is_symlink():
        if key.is_dir():
            fail(f"--key {key}: is a folder; give a file name for the key")
        try:
            existing = read_key(key)
        except KeyFileError as exc:
            fail(f"--key {key}: the file exists and is not a mabseq de-identification key ({exc}); mabseq never "
                 "overwrites it: choose another name")
    else:
        key_plan = plan_file(key, inputs=inputs)
    out_inputs = inputs + [key]
    plan = (plan_file(out, inputs=out_inputs, overwrite=overwrite, owned=is_mabseq_duckdb) if fmt == "duckdb"
            else plan_folder(out, inputs=out_inputs, overwrite=overwrite))

    cohort, findings = load_cohort(data, mapping=mapping, redcap_dictionary=redcap_dictionary)
    blocking = [f for f in findings.errors if not f.rule.startswith(REMOVED_BY_DEID)]
    if cohort is None or blocking:
        err.print(findings.summary_text(limit=40), highlight=False, markup=False)
        raise typer.Exit(code=2)
    if len(findings) and not quiet:
        err.print("findings in DATA (identifiers in patient ids and free text are removed by de-identification):",
                  highlight=False, markup=False)
        err.print(findings.summary_text(limit=40), highlight=False, markup=False)
    try:
        result = deidentify(cohort, existing)
    except (DeidError, KeyFileError) as exc:
        fail(f"{data}: {exc}" if isinstance(exc, DeidError) else f"--key {key}: {exc}")
        return
    ignored = sum(1 for f in findings if f.rule == "column.unknown")
    if ignored:
        result.changes["columns not in the schema (never read, not written)"] = ignored
    with plan.staged() as tmp:
        write_into(result.cohort, tmp, fmt, result.changes, result.key.shift_range)
        if key_plan is not None:
            key_plan.write_bytes(result.key.to_json())
    if not quiet:
        lines = [f"de-identified {result.changes['patients']} patients -> {out} ({fmt})"]
        lines += [f"  {k}: {v}" for k, v in result.changes.items() if k != "patients"]
        lines.append(f"key {'reused' if existing is not None else 'written'}: {key} (keep it apart from the data)")
        typer.echo("\n".join(lines))
