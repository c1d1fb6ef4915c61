"""Progress of long reads: the readers call ``progress(done, total, what)`` and a front end shows it.

``what`` names the step and its unit ("scanning cohort.xlsx [sheet patients]" counts bytes of sheet XML,
"reading cohort.xlsx [sheet patients]" counts rows); ``done`` runs from 0 to ``total``. The callback is installed
for a block with :func:`reporting` (a context variable, so that no reader signature has to carry it) and is
called a few hundred times per file at most. Without a callback, :func:`report` does nothing.

    with progress.reporting(lambda done, total, what: print(what, done, total)):
        cohort, findings = load_cohort("big.xlsx")
"""
from __future__ import annotations

import contextlib
import contextvars
from typing import Callable

Callback = Callable[[int, int, str], None]
_current: contextvars.ContextVar[Callback | None] = contextvars.ContextVar("mabseq_progress", default=None)


@contextlib.contextmanager
def reporting(callback: Callback | None):
    """Send the readers' progress to ``callback`` inside the ``with`` block."""
    token = _current.set(callback)
    try:
        yield
    finally:
        _current.reset(token)


def report(done: int, total: int, what: str) -> None:
    cb = _current.get()
    if cb is not None:
        cb(int(done), int(total), what)


class Ticker:
    """Reports every ``every`` units (and at the end) without calling back for each row; silent when ``what`` is
    empty (a pass that is not worth showing)."""

    def __init__(self, total: int, what: str, every: int):
        self.total, self.what, self.every = total, what, max(1, every)
        self.next = 0
        self.active = bool(what) and _current.get() is not None

    def __call__(self, done: int) -> None:
        if self.active and done >= self.next:
            report(done, self.total, self.what)
            self.next = done + self.every

    def finish(self) -> None:
        if self.active:
            report(self.total, self.total, self.what)


__all__ = ["reporting", "report", "Ticker", "Callback"]
