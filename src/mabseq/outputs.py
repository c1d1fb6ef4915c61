"""Where mabseq may write, and how: outputs never destroy a user's files and never appear half-written.

Rules (every command that writes goes through :func:`plan_folder` or :func:`plan_file`):

- **Never an input.** An output that is, contains or lies inside one of the command's inputs (DATA, the mapping
  file, the REDCap dictionary) is refused, even with ``overwrite``.
- **A folder** may be written when it does not exist, is empty, or was written by mabseq before: it holds the
  marker ``.mabseq-output.json`` listing the files mabseq put there, and nothing else. A folder holding anything
  mabseq did not write is refused unless ``overwrite`` is given; a path that is a file is always refused.
- **A file** may be written when it does not exist or ``owned(path)`` recognises it as mabseq's own output of the
  same kind (a DuckDB cohort with its ``_mabseq`` table, findings JSON with ``"generator": "mabseq"``); anything
  else needs ``overwrite``; a folder is always refused.
- **Atomic.** Everything is written to a hidden temporary path beside the target (``.NAME.mabseq-tmp-*``) and
  renamed into place when complete. On any error, Ctrl-C, SIGTERM or SIGHUP the temporary path and any parent
  folders made for it are removed, and the target is left as it was.

The checks run twice: when the command starts (so that a refused ``--out`` costs nothing) and again just before the
rename. Written by hand because no library combines the marker rule, the input guard and signal-safe clean-up.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

MARKER = ".mabseq-output.json"
_TMP_TAG = ".mabseq-tmp-"


class OutputError(Exception):
    """An output path mabseq refuses to write (the CLI prints it and exits with status 2)."""


class Interrupted(BaseException):
    """SIGTERM or SIGHUP during a command: raised so that clean-up code runs (like KeyboardInterrupt)."""

    def __init__(self, signum: int):
        self.signum = signum
        super().__init__(f"interrupted by signal {signum}")


# ---- signals ---------------------------------------------------------------------------------------------------
_MAIN_PID: int | None = None


def _raise_interrupted(signum, frame):  # pragma: no cover - exercised through a subprocess test
    if os.getpid() != _MAIN_PID:  # a forked worker: die as the signal would have killed it
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)
        return
    raise Interrupted(signum)


def install_signal_cleanup() -> None:
    """Turn SIGTERM and SIGHUP into :class:`Interrupted` in this process, so ``finally`` blocks remove temporary
    outputs (Ctrl-C already raises KeyboardInterrupt). Forked children keep the default behaviour."""
    global _MAIN_PID
    _MAIN_PID = os.getpid()
    for sig in (signal.SIGTERM, signal.SIGHUP):
        try:
            signal.signal(sig, _raise_interrupted)
        except (ValueError, OSError):  # not the main thread, or a platform without the signal
            pass


# ---- the input guard -------------------------------------------------------------------------------------------
def _resolve(p: str | os.PathLike) -> Path:
    return Path(os.path.abspath(Path(p).expanduser())).resolve()


def _within(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def _check_inputs(target: Path, inputs: Iterable[Path], shown: str) -> None:
    for inp in inputs:
        if _within(target, inp):
            what = "is" if target == inp else "lies inside"
            raise OutputError(f"{shown}: the output {what} the input {inp.name!r}; mabseq never writes over its "
                              "input. Choose another output path")
        if _within(inp, target):
            raise OutputError(f"{shown}: the output would replace a folder that holds the input {inp.name!r}; "
                              "choose another output path")


def _inputs(inputs: Iterable) -> list[Path]:
    return [_resolve(p) for p in inputs if p is not None and str(p) != ""]


# ---- plans -----------------------------------------------------------------------------------------------------
def read_marker(folder: Path) -> list[str] | None:
    """The files a mabseq-written folder lists in its marker, or None when it has no valid marker."""
    m = folder / MARKER
    if not m.is_file():
        return None
    try:
        body = json.loads(m.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(body, dict) or body.get("generator") != "mabseq" or not isinstance(body.get("files"), list):
        return None
    return [str(f) for f in body["files"]]


def _foreign_files(folder: Path) -> list[str]:
    """Files under ``folder`` that mabseq's marker does not list (the marker itself excluded)."""
    listed = read_marker(folder)
    present = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file() or p.is_symlink())
    present = [p for p in present if p != MARKER]
    if listed is None:
        return present
    allowed = set(listed)
    return [p for p in present if p not in allowed]


def _missing_parents(path: Path) -> list[Path]:
    """The parent folders of ``path`` that do not exist yet (nearest last); refuses a parent that is a file."""
    out = []
    p = path.parent
    while not p.exists():
        out.append(p)
        if p.parent == p:
            break
        p = p.parent
    if not p.is_dir():
        raise OutputError(f"{path}: {p} is a file, not a folder")
    if not os.access(p, os.W_OK | os.X_OK):
        raise OutputError(f"{path}: cannot write in {p} (permission denied)")
    return list(reversed(out))


@dataclass
class _Plan:
    target: Path
    shown: str
    inputs: list[Path]
    overwrite: bool
    is_folder: bool
    owned: Callable[[Path], bool] | None = None
    made: list[Path] = field(default_factory=list)

    def check(self) -> None:
        t = self.target
        _check_inputs(t, self.inputs, self.shown)
        if self.is_folder:
            if _within(_resolve(os.getcwd()), t):
                raise OutputError(f"{self.shown}: the output would replace the folder you are working in (or one "
                                  "that holds it); choose a new folder")
            if t.exists() or t.is_symlink():
                if not t.is_dir() or t.is_symlink():
                    raise OutputError(f"{self.shown}: is a file, not a folder; give a folder for the outputs")
                foreign = _foreign_files(t)
                if foreign and not self.overwrite:
                    shown = ", ".join(repr(f) for f in foreign[:3]) + (" ..." if len(foreign) > 3 else "")
                    raise OutputError(f"{self.shown}: the folder holds {len(foreign)} file(s) mabseq did not write "
                                      f"({shown}); choose a new folder, or give --overwrite to replace it")
            else:
                _missing_parents(t)
        else:
            if t.is_dir():
                raise OutputError(f"{self.shown}: is a folder; give a file name")
            if t.exists() or t.is_symlink():
                if not self.overwrite and not (self.owned is not None and self.owned(t)):
                    raise OutputError(f"{self.shown}: the file exists and was not written by mabseq; choose "
                                      "another name, or give --overwrite to replace it")
            else:
                _missing_parents(t)

    def _make_parents(self) -> None:
        for p in _missing_parents(self.target):
            try:
                p.mkdir()
            except OSError as exc:
                raise OutputError(f"{self.shown}: cannot make the folder {p} ({exc.strerror})") from None
            self.made.append(p)

    def _remove_made_parents(self) -> None:
        for p in reversed(self.made):
            try:
                p.rmdir()
            except OSError:
                break
        self.made.clear()

    def _temp(self) -> Path:
        parent = self.target.parent
        try:
            if self.is_folder:
                return Path(tempfile.mkdtemp(prefix=f".{self.target.name}{_TMP_TAG}", dir=parent))
            fd, name = tempfile.mkstemp(prefix=f".{self.target.name}{_TMP_TAG}", dir=parent)
            os.close(fd)
            os.unlink(name)  # the writer creates it (DuckDB refuses an existing empty file)
            return Path(name)
        except OSError as exc:
            raise OutputError(f"{self.shown}: cannot write in {parent} ({exc.strerror})") from None

    @contextmanager
    def staged(self) -> Iterator[Path]:
        """A temporary path to write into; renamed onto the target when the block ends without an error."""
        self.check()
        self._make_parents()
        tmp = None
        try:
            tmp = self._temp()
            yield tmp
            if self.is_folder:
                _write_marker(tmp)
            self.check()  # nothing changed under us while we computed
            self._commit(tmp)
            tmp = None
        finally:
            if tmp is not None:
                _remove(tmp)
                self._remove_made_parents()

    def _commit(self, tmp: Path) -> None:
        t = self.target
        try:
            if self.is_folder and t.is_dir() and any(t.iterdir()):
                # the old folder is moved aside first and restored if the new one cannot take its place
                old = Path(tempfile.mkdtemp(prefix=f".{t.name}{_TMP_TAG}old-", dir=t.parent))
                os.replace(t, old / t.name)
                try:
                    os.replace(tmp, t)
                except BaseException:
                    os.replace(old / t.name, t)
                    raise
                _remove(old)
            else:
                os.replace(tmp, t)  # a file, a missing folder, or an empty folder (rename replaces it)
        except OSError as exc:
            raise OutputError(f"{self.shown}: cannot write ({exc.strerror})") from None

    def write(self, files: dict[str, str | bytes]) -> None:
        """Folder plans: write ``files`` (relative names, subfolders allowed) and move them into place together."""
        with self.staged() as tmp:
            for name, content in files.items():
                rel = Path(name)
                if rel.is_absolute() or ".." in rel.parts or name == MARKER:
                    raise OutputError(f"{self.shown}: refusing the output name {name!r}")
                target = tmp / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                if isinstance(content, bytes):
                    target.write_bytes(content)
                else:
                    target.write_text(content, encoding="utf-8", newline="\n")

    def write_bytes(self, content: str | bytes) -> None:
        """File plans: write one file."""
        data = content.encode("utf-8") if isinstance(content, str) else content
        with self.staged() as tmp:
            tmp.write_bytes(data)


def _write_marker(folder: Path) -> None:
    files = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    body = {"generator": "mabseq", "note": "written by mabseq; it may replace this folder, and only while every "
            "file in it is one of these", "files": files}
    (folder / MARKER).write_text(json.dumps(body, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        try:
            p.unlink()
        except FileNotFoundError:
            pass
        except OSError:  # pragma: no cover
            pass
    # DuckDB writes a write-ahead log beside its file
    wal = p.with_name(p.name + ".wal")
    if wal.exists():
        wal.unlink()


def plan_folder(out: str | os.PathLike, *, inputs: Iterable = (), overwrite: bool = False) -> _Plan:
    """Check now that ``out`` may receive a folder of outputs; :meth:`_Plan.write` writes it atomically."""
    plan = _Plan(_resolve(out), str(out), _inputs(inputs), overwrite, True)
    plan.check()
    return plan


def plan_file(path: str | os.PathLike, *, inputs: Iterable = (), overwrite: bool = False,
              owned: Callable[[Path], bool] | None = None) -> _Plan:
    """Check now that ``path`` may receive one output file; ``owned`` tells mabseq's own earlier output."""
    plan = _Plan(_resolve(path), str(path), _inputs(inputs), overwrite, False, owned)
    plan.check()
    return plan


def owned_json(path: Path) -> bool:
    """A JSON file mabseq wrote (its top level carries ``"generator": "mabseq"``)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 20)
        body = json.loads(head.decode("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(body, dict) and body.get("generator") == "mabseq"


__all__ = ["OutputError", "Interrupted", "MARKER", "plan_folder", "plan_file", "owned_json", "read_marker",
           "install_signal_cleanup"]
