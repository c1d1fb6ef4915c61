"""The ``mabseq`` command line (typer). ``_app`` holds the application and its error handling; each module below
registers a group of commands. Every output goes through :mod:`mabseq.outputs` (never over an input, never over a
user's files, never half-written)."""
from . import cohort_cmds, map_cmds, privacy_cmds, scan_cmd, study_cmds, survival_cmd  # noqa: F401  (registers the commands)
from ._app import app

__all__ = ["app"]
