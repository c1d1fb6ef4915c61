"""Helpers shared by the rule modules: three-valued logic (None = unknown) and the missing-input enumerator."""
from __future__ import annotations

from collections import defaultdict
from itertools import product
from typing import Any, Callable, Sequence


def and3(*xs):
    """Kleene AND: False if any is False, else None if any is unknown, else True."""
    if any(x is False for x in xs):
        return False
    if any(x is None for x in xs):
        return None
    return True


def or3(*xs):
    """Kleene OR: True if any is True, else None if any is unknown, else False."""
    if any(x is True for x in xs):
        return True
    if any(x is None for x in xs):
        return None
    return False


def not3(x):
    return None if x is None else not x


def enumerate_missing(fn: Callable[..., tuple], given: dict[str, Any], candidates: dict[str, Sequence]):
    """Run ``fn(**values)`` over every combination of candidate values of the inputs that are None.

    ``fn`` returns ``(value, met, flags)``. Returns the set of values, one ``(met, flags)`` per value (from the first
    combination giving it: candidates list the unremarkable value first), and the missing inputs whose value can
    change the result with the others held fixed."""
    free = [n for n, v in given.items() if v is None and n in candidates]
    fixed = {n: v for n, v in given.items() if n not in free}
    outcomes: dict[tuple, Any] = {}
    detail: dict[Any, tuple] = {}
    for combo in product(*(candidates[n] for n in free)):
        value, met, flags = fn(**fixed, **dict(zip(free, combo)))
        outcomes[combo] = value
        detail.setdefault(value, (tuple(met), tuple(flags)))
    relevant = []
    for i, name in enumerate(free):
        groups: dict[tuple, set] = defaultdict(set)
        for combo, value in outcomes.items():
            groups[combo[:i] + combo[i + 1:]].add(value)
        if any(len(g) > 1 for g in groups.values()):
            relevant.append(name)
    return set(outcomes.values()), detail, relevant
