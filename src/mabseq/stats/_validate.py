"""Argument checks shared by the statistics kernels.

Every check raises ``ValueError`` naming the argument and the first offending position, so a caller
(the study layer, a notebook user) can find the bad record without a debugger.
"""
from __future__ import annotations

import numpy as np


def _first_bad(mask: np.ndarray) -> int:
    return int(np.flatnonzero(mask)[0])


def _show(v) -> str:
    """A value as a person reads it (no numpy type wrappers)."""
    return repr(v.item()) if isinstance(v, np.generic) else repr(v)


def as_times(x, name: str, *, allow_negative: bool = False) -> np.ndarray:
    """Return ``x`` as a 1-d float64 array of finite (by default non-negative) times."""
    try:
        arr = np.asarray(x, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: values must be numeric ({exc})") from None
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-d array, got shape {arr.shape}")
    bad = ~np.isfinite(arr)
    if bad.any():
        i = _first_bad(bad)
        raise ValueError(f"{name}: value at position {i} is {_show(arr[i])}; times must be finite numbers")
    if not allow_negative:
        neg = arr < 0
        if neg.any():
            i = _first_bad(neg)
            raise ValueError(f"{name}: value at position {i} is {_show(arr[i])}; times must be >= 0")
    return arr


def as_event(x, name: str, n: int, *, codes: tuple[int, ...] = (0, 1)) -> np.ndarray:
    """Return ``x`` as an int8 array whose values all lie in ``codes``."""
    raw = np.asarray(x)
    if raw.ndim != 1:
        raise ValueError(f"{name}: expected a 1-d array, got shape {raw.shape}")
    if raw.shape[0] != n:
        raise ValueError(f"{name}: length {raw.shape[0]} does not match time length {n}")
    if raw.dtype == np.bool_:
        return raw.astype(np.int8)
    if raw.dtype.kind in "iu" and n and codes == tuple(range(codes[0], codes[-1] + 1)):
        # integer codes: a min/max check is enough (one pass each, no temporaries)
        lo, hi = raw.min(), raw.max()
        if lo >= codes[0] and hi <= codes[-1] and codes[-1] < 128:
            return raw.astype(np.int8, copy=False)
    try:
        arr = raw.astype(np.float64)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: values must be integer codes {codes}") from None
    ok = np.zeros(n, dtype=bool)
    for c in codes:
        ok |= arr == c
    if not ok.all():
        i = _first_bad(~ok)
        raise ValueError(f"{name}: value at position {i} is {_show(raw[i])}; allowed codes are {codes}")
    return arr.astype(np.int8 if max(codes) < 128 else np.int64)


def check_length(x, name: str, n: int) -> np.ndarray:
    arr = np.asarray(x)
    if arr.ndim != 1:
        raise ValueError(f"{name}: expected a 1-d array, got shape {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(f"{name}: length {arr.shape[0]} does not match time length {n}")
    return arr


def as_entry(x, n: int, time: np.ndarray) -> np.ndarray:
    """Delayed-entry times: finite, >= 0 and strictly before the exit time (as R's Surv(start, stop))."""
    check_length(x, "entry", n)
    entry = as_times(x, "entry")
    bad = entry >= time
    if bad.any():
        i = _first_bad(bad)
        raise ValueError(
            f"entry: value at position {i} is {_show(entry[i])}, not before time {_show(time[i])}; "
            "entry must be strictly less than time"
        )
    return entry


def survival_arrays(time, event, entry=None, *, event_name: str = "event", codes: tuple[int, ...] = (0, 1)):
    """The checked (time, event, entry) triple every survival kernel starts from; entry may be None."""
    t = as_times(time, "time")
    n = t.shape[0]
    if n == 0:
        raise ValueError("time: no records")
    e = as_event(event, event_name, n, codes=codes)
    en = as_entry(entry, n, t) if entry is not None else None
    return t, e, en


def as_codes(x, name: str, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Factorise labels into integer codes 0..k-1 (sorted labels, as R's factor levels). No missing labels."""
    arr = check_length(x, name, n)
    if arr.dtype.kind == "f":
        bad = np.isnan(arr)
        if bad.any():
            raise ValueError(f"{name}: value at position {_first_bad(bad)} is missing")
    elif arr.dtype.kind == "O":
        bad = np.array([v is None or (isinstance(v, float) and v != v) for v in arr], dtype=bool)
        if bad.any():
            raise ValueError(f"{name}: value at position {_first_bad(bad)} is missing")
        arr = arr.astype(str)
    if arr.dtype.kind in "iu" and n:
        lo = int(arr.min())
        span = int(arr.max()) - lo + 1
        if span <= max(n, 1 << 16):
            # small integer labels: factorise by counting, no sort or hash
            shifted = arr.astype(np.int64) - lo
            present = np.flatnonzero(np.bincount(shifted, minlength=span))
            lookup = np.zeros(span, dtype=np.int64)
            lookup[present] = np.arange(present.size)
            return (present + lo).astype(arr.dtype), lookup[shifted]
    import pandas as pd

    codes, levels = pd.factorize(arr, sort=True)
    return np.asarray(levels), codes.astype(np.int64)


def conf_z(conf_level: float) -> float:
    from .distributions import norm_ppf

    if not (0.0 < conf_level < 1.0):
        raise ValueError(f"conf_level: {conf_level!r} is not in (0, 1)")
    return float(norm_ppf(1.0 - (1.0 - conf_level) / 2.0))
