"""Shared fixtures: the R golden values and a counter of reference values matched (printed at the end)."""
from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

GOLDEN_DIR = Path(__file__).parent / "golden"
RTOL = 1e-8
ATOL = 1e-13  # only matters for reference values that are exactly zero

_matched = {"values": 0}
_used: dict[tuple[str, str], int] = {}
_all_goldens: list = []


class Goldens:
    """R reference values keyed by (case, quantity); inputs from golden/data/."""

    def __init__(self, path: Path):
        df = pd.read_csv(path, dtype={"case": str, "quantity": str, "idx": np.int64, "value": str},
                         keep_default_na=False)
        vals = np.array([float("nan") if v == "NA" else float(v) for v in df["value"]])
        self._data: dict[tuple[str, str], np.ndarray] = {}
        for (case, qty), idx in df.groupby(["case", "quantity"], sort=False).indices.items():
            self._data[(case, qty)] = vals[idx]
        _all_goldens.append(self)
        self.cases = defaultdict(set)
        for case, qty in self._data:
            self.cases[case].add(qty)

    def __getitem__(self, key):
        value = self._data[key]
        _used[key] = value.size
        return value

    def has(self, case, qty):
        return (case, qty) in self._data


def data(name: str) -> pd.DataFrame:
    return pd.read_csv(GOLDEN_DIR / "data" / f"{name}.csv")


def assert_matches(actual, expected, what: str = "") -> None:
    """Assert equality to R at 1e-8 relative; NaN (R's NA) and infinities must sit at the same positions."""
    a = np.atleast_1d(np.asarray(actual, dtype=float))
    e = np.atleast_1d(np.asarray(expected, dtype=float))
    assert a.shape == e.shape, f"{what}: shape {a.shape} != R's {e.shape}"
    np.testing.assert_array_equal(np.isnan(a), np.isnan(e), err_msg=f"{what}: NA positions differ")
    np.testing.assert_array_equal(np.isinf(a), np.isinf(e), err_msg=f"{what}: Inf positions differ")
    fin = np.isfinite(e)
    np.testing.assert_allclose(a[fin], e[fin], rtol=RTOL, atol=ATOL, err_msg=what)
    _matched["values"] += e.size


@pytest.fixture(scope="session")
def goldens() -> Goldens:
    return Goldens(GOLDEN_DIR / "survival_goldens.csv")


def pytest_terminal_summary(terminalreporter):
    if _matched["values"]:
        total = sum(v.size for g in _all_goldens for v in g._data.values())
        used = sum(_used.values())
        terminalreporter.write_line(
            f"R reference values: {used} of {total} in the goldens read by tests; "
            f"{_matched['values']} comparisons matched at rtol={RTOL:g}"
        )


@pytest.fixture(scope="session")
def twin_report(tmp_path_factory) -> Path:
    """`mabseq report` on the bundled twin, run once for the tests that read its outputs (none writes into it)."""
    from typer.testing import CliRunner

    from mabseq.cli import app
    out = tmp_path_factory.mktemp("twin_report") / "out"
    res = CliRunner().invoke(app, ["report", "--out", str(out), "--quiet"])
    assert res.exit_code == 0, res.output
    return out


@pytest.fixture(scope="session")
def twin_rcheck(twin_report):
    """The generated R check run once in the twin report's folder (the tests that read its output share it; a test
    that changes a file copies the folder first)."""
    import shutil
    import subprocess
    if shutil.which("Rscript") is None:
        pytest.skip("Rscript is not installed")
    return subprocess.run(["Rscript", "check_in_R.R"], cwd=twin_report, capture_output=True, text=True)
