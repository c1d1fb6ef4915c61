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


# ---- gtsummary conventions (reporting-conventions.md 1.1 and 1.3; gtsummary 2.1 style_pvalue / style_percent) -----
def style_pvalue(p, digits: int = 1) -> str:
    """A p-value as gtsummary's ``style_pvalue`` writes it (round half away from zero, leading zero kept).

    digits = 1 (the default): '>0.9' above 0.9; 1 decimal when it rounds to >= 0.2; 2 decimals when it rounds to
    >= 0.1; 3 decimals down to 0.001; '<0.001' below. digits = 2: '>0.99'; 2 decimals when it rounds to >= 0.1;
    3 decimals down to 0.001; '<0.001'. digits = 3: '>0.999'; 3 decimals; '<0.001'. 'NA' outside [0, 1]."""
    if p is None or not (-1e-15 <= float(p) <= 1 + 1e-15):  # R's slack for rounding noise
        return "NA"
    p = min(max(float(p), 0.0), 1.0)
    if digits == 1:
        if p > 0.9:
            return ">0.9"
        if round_half_up(p, 1) >= Decimal("0.2"):
            return f"{round_half_up(p, 1):f}"
        if round_half_up(p, 2) >= Decimal("0.1"):
            return f"{round_half_up(p, 2):f}"
    elif digits == 2:
        if p > 0.99:
            return ">0.99"
        if round_half_up(p, 2) >= Decimal("0.1"):
            return f"{round_half_up(p, 2):f}"
    elif digits == 3:
        if p > 0.999:
            return ">0.999"
    else:
        raise ValueError(f"digits: 1, 2 or 3, not {digits!r}")
    if p >= 0.001:
        return f"{round_half_up(p, 3):f}"
    return "<0.001"


def style_percent(pct) -> str:
    """A percentage (0-100) as gtsummary's ``style_percent(digits = 0)``: no decimal from 10, one decimal from 0.1,
    '<0.1' above 0, '0' at 0."""
    if pct is None or not float(pct) >= 0:  # missing, NaN or negative
        return "NA"
    v = float(pct)
    if v >= 10:
        return f"{round_half_up(pct, 0):f}"
    if v >= 0.1:
        return f"{round_half_up(pct, 1):f}"
    if v > 0:
        return "<0.1"
    return "0"


def format_p(p, conventions: str = "paper") -> str:
    """The p-value in a study's conventions: 'paper' (study-definition 1.4, :func:`fmt_p`) or 'gtsummary'."""
    return style_pvalue(p) if conventions == "gtsummary" else fmt_p(p)
