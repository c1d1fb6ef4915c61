"""Display rules shared by fidelity and every renderer (study-definition 1.4): half-up rounding, p-values."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


def round_half_up(x, decimals: int = 0) -> Decimal:
    """Round half away from zero at ``decimals``. Floats are first taken to 10 significant digits (to remove binary
    noise); Fractions are exact."""
    if isinstance(x, Fraction):
        d = Decimal(x.numerator) / Decimal(x.denominator)
    else:
        d = Decimal(f"{float(x):.10g}")
    q = Decimal(1).scaleb(-decimals)
    sign = -1 if d < 0 else 1
    return sign * abs(d).quantize(q, rounding=ROUND_HALF_UP)


def fmt_num(x, decimals: int = 0) -> str:
    if x is None:
        return "NA"
    if isinstance(x, str):
        return x
    return f"{round_half_up(x, decimals):f}"


def fmt_pct(n: int, d: int, decimals: int = 1) -> str:
    if not d:
        return "NA"
    return fmt_num(Fraction(100 * n, d), decimals)


def fmt_p(p) -> str:
    """Two decimals, leading zero dropped ('.04', '1.00'); '<.01' when it rounds to 0.00."""
    if p is None:
        return "NA"
    r = round_half_up(p, 2)
    if r == 0:
        return "<.01"
    s = f"{r:.2f}"
    return s[1:] if s.startswith("0") else s
