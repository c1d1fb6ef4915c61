"""``mabseq survival``: Kaplan-Meier, medians, follow-up and the log-rank test for one CSV file."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import numpy as np
import pandas as pd
import typer

from .. import __version__
from ..outputs import plan_folder
from ..safe_text import escape_control, frame_to_csv
from ._app import InputError, command, fail, overwrite_option


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
    if not len(df):
        raise InputError(f"{path}: the file has a header but no data rows")
    return df


def _numeric_column(df: pd.DataFrame, path: Path, col: str) -> np.ndarray:
    values = pd.to_numeric(df[col], errors="coerce")
    bad = values.isna()
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raw = df[col].iloc[i]
        if pd.isna(raw):
            raise InputError(f"{path}: row {i + 2}, column {col!r}: value is missing")
        raise InputError(f"{path}: row {i + 2}, column {col!r}: value {str(raw)!r} is not a number")
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


@command()
def survival(
    data: Path = typer.Argument(..., help="CSV file with one row per patient."),
    time: str = typer.Option(..., help="Column with the follow-up time (days)."),
    event: str = typer.Option(..., help="Column with the event indicator (1 = event, 0 = censored)."),
    group: Optional[str] = typer.Option(None, help="Column defining the groups to compare (log-rank)."),
    entry: Optional[str] = typer.Option(None, help="Column with delayed-entry times (left truncation)."),
    conf_type: str = typer.Option("log", help="Confidence interval: log, log-log or plain."),
    out: Path = typer.Option(Path("out"), help="Output directory."),
    overwrite: bool = overwrite_option(),
    quiet: bool = typer.Option(False, "--quiet", help="Print nothing but errors."),
) -> None:
    """Kaplan-Meier curves, medians, median follow-up and the log-rank test for one CSV file."""
    from ..stats import kaplan_meier, logrank_test, median_followup

    if not data.is_file():
        fail(f"{data}: file not found")
    plan = plan_folder(out, inputs=[data], overwrite=overwrite)
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
        fail(str(exc))
        return

    files = {
        "km.csv": frame_to_csv(pd.concat(curves, ignore_index=True)),  # group labels are the user's text
        "medians.csv": frame_to_csv(pd.DataFrame(medians)),
    }
    lines = [f"mabseq {__version__}: survival analysis of {data.name} (time={time}, event={event})"]
    for m in medians:
        lines.append(
            f"  {m['group']}: n={m['n']}, events={m['events']}, median {m['median']:g} "
            f"(95% CI {m['median_lower']:g}-{m['median_upper']:g}), median follow-up {m['median_followup']:g}"
        )
    if lr is not None:
        files["logrank.csv"] = frame_to_csv(pd.DataFrame(
            {"statistic": [lr.statistic], "df": [lr.df], "p_value": [lr.p_value]}))
        lines.append(f"  log-rank: chi-square {lr.statistic:.4f} on {lr.df} df, p = {lr.p_value:.4g}")
    files["summary.txt"] = "\n".join(lines) + "\n"
    plan.write(files)
    if not quiet:
        typer.echo(escape_control(files["summary.txt"]), nl=False)
        typer.echo(escape_control(f"wrote {', '.join(sorted(files))} to {out}/"))
