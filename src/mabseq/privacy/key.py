"""The de-identification key: which new study id and which date shift each patient got.

The key is the only link between a de-identified cohort and its patients, so it lives in its own file, named by
the user, never inside the de-identified output (``mabseq deidentify`` refuses that). Format (JSON, sorted)::

    {"generator": "mabseq", "kind": "mabseq-deidentify-key", "key_version": 1,
     "shift_range_days": 365, "cutoff_shift_days": 512,
     "patients": [{"patient_id": "P01", "study_id": "D002", "shift_days": -117}, ...]}

Reproducibility and secrecy: a **new** key is drawn from the operating system's random source (:mod:`secrets`): a
random permutation for the study ids (``D001`` ... in random order, so the output order says nothing about the
input order), a shift per patient uniform on ``-shift_range_days .. +shift_range_days`` without 0 (narrowed only
where the enrollment window requires it, see :mod:`mabseq.privacy.dateshift`), and a study-level cut-off shift
uniform on ``R .. 2R``. Nothing of it can be recomputed without the file. Re-running with an **existing** key file
reuses it as it is (it is read, never rewritten) and gives byte-identical outputs; a key made for another cohort
(other patient ids) or whose shifts do not fit this cohort is refused, and a key file is never overwritten.
"""
from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from pathlib import Path

KEY_KIND = "mabseq-deidentify-key"
KEY_VERSION = 1
SHIFT_RANGE_DAYS = 365


class KeyFileError(Exception):
    """A key file that cannot be used (the CLI prints it and exits with status 2)."""


@dataclass
class DeidKey:
    patients: dict[str, tuple[str, int]]  # original patient_id -> (study id, shift in days)
    cutoff_shift: int  # days added to the data cut-off
    shift_range: int = SHIFT_RANGE_DAYS
    reused: bool = field(default=False, compare=False)

    def study_id(self, pid: str) -> str:
        return self.patients[pid][0]

    def shift(self, pid: str) -> int:
        return self.patients[pid][1]

    def to_json(self) -> str:
        body = {"generator": "mabseq", "kind": KEY_KIND, "key_version": KEY_VERSION,
                "note": "This file re-identifies a de-identified cohort: keep it apart from the data, under the "
                        "access rules for patient identifiers. Without it the study ids and dates cannot be "
                        "traced back.",
                "shift_range_days": self.shift_range, "cutoff_shift_days": self.cutoff_shift,
                "patients": [{"patient_id": p, "study_id": s, "shift_days": d}
                             for p, (s, d) in sorted(self.patients.items())]}
        return json.dumps(body, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def new_key(pids: list[str], ranges: dict[str, tuple[int, int]], shift_range: int = SHIFT_RANGE_DAYS) -> DeidKey:
    """A fresh key for ``pids``: random study ids and shifts; ``ranges[pid]`` narrows a patient's shift."""
    n = len(pids)
    width = max(3, len(str(n)))
    numbers = list(range(1, n + 1))
    for i in range(n - 1, 0, -1):  # Fisher-Yates with the OS random source
        j = secrets.randbelow(i + 1)
        numbers[i], numbers[j] = numbers[j], numbers[i]
    out = {}
    for pid, num in zip(sorted(pids), numbers):
        lo, hi = ranges.get(pid, (-shift_range, shift_range))
        out[pid] = (f"D{num:0{width}d}", _draw(lo, hi))
    return DeidKey(out, shift_range + secrets.randbelow(shift_range + 1), shift_range)


def _draw(lo: int, hi: int) -> int:
    """Uniform on lo..hi without 0 (a zero shift would leave the true dates); lo..hi never is {0} alone."""
    choices = hi - lo + 1 - (1 if lo <= 0 <= hi else 0)
    k = secrets.randbelow(choices)
    d = lo + k
    return d + 1 if lo <= 0 <= d else d


def is_key_file(path: str | Path) -> bool:
    try:
        read_key(path)
    except KeyFileError:
        return False
    return True


def read_key(path: str | Path) -> DeidKey:
    """The key in ``path``; :class:`KeyFileError` (naming the file and what is wrong) for anything else."""
    p = Path(path)
    try:
        raw = p.read_bytes()
        if len(raw) > 512 * 1024 * 1024:
            raise KeyFileError(f"{p}: too large for a key file")
        body = json.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise KeyFileError(f"{p}: not a mabseq de-identification key ({type(exc).__name__})") from None
    if not isinstance(body, dict) or body.get("generator") != "mabseq" or body.get("kind") != KEY_KIND:
        raise KeyFileError(f"{p}: not a mabseq de-identification key")
    if body.get("key_version") != KEY_VERSION:
        raise KeyFileError(f"{p}: key version {body.get('key_version')!r}; this mabseq reads version {KEY_VERSION}")
    rng, cut, rows = body.get("shift_range_days"), body.get("cutoff_shift_days"), body.get("patients")
    if not _int(rng) or rng < 1 or not _int(cut) or not (rng <= cut <= 2 * rng) or not isinstance(rows, list):
        raise KeyFileError(f"{p}: damaged key (shift range, cut-off shift or patient list)")
    patients: dict[str, tuple[str, int]] = {}
    seen: set[str] = set()
    for k, r in enumerate(rows, start=1):
        ok = (isinstance(r, dict) and isinstance(r.get("patient_id"), str) and isinstance(r.get("study_id"), str)
              and _int(r.get("shift_days")) and r["shift_days"] != 0 and abs(r["shift_days"]) <= rng)
        if not ok or r["patient_id"] in patients or r["study_id"] in seen:
            raise KeyFileError(f"{p}: damaged key (patient entry {k})")
        patients[r["patient_id"]] = (r["study_id"], r["shift_days"])
        seen.add(r["study_id"])
    return DeidKey(patients, cut, rng, reused=True)


def _int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


__all__ = ["DeidKey", "KeyFileError", "new_key", "read_key", "is_key_file", "KEY_KIND", "SHIFT_RANGE_DAYS"]
