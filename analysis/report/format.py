"""How numbers are shown in the report: one place, so the page and its tests agree.

The tables in ``tables/`` keep every digit; the HTML report rounds with these functions.
Conventions (APA style): means, SDs, differences and effect sizes with two decimals and
a leading zero; p-values with three decimals and no leading zero (``< .001`` below it);
coefficients bounded by one (alpha, omega, correlations) with two decimals and no leading
zero. Negative numbers carry a true minus sign (U+2212). Missing values show as an en
dash.
"""

from __future__ import annotations

import math

__all__ = ["MINUS", "MISSING", "fmt_ci", "fmt_coef", "fmt_int", "fmt_num", "fmt_p", "parse_shown"]

#: The minus sign used in the page.
MINUS = "\u2212"
#: What a missing number shows as.
MISSING = "\u2013"


def _missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def fmt_num(value: object, digits: int = 2) -> str:
    """A number with ``digits`` decimals and a true minus sign.

    Examples
    --------
    >>> fmt_num(-0.125), fmt_num(3.14159, 3), fmt_num(float("nan"))
    ('−0.12', '3.142', '–')
    """
    if _missing(value):
        return MISSING
    text = f"{float(value):.{digits}f}"  # type: ignore[arg-type]
    if text.startswith("-"):
        if float(text) == 0:
            text = text[1:]
        else:
            text = MINUS + text[1:]
    return text


def fmt_coef(value: object, digits: int = 2) -> str:
    """A coefficient bounded by one, without the leading zero.

    Examples
    --------
    >>> fmt_coef(0.8712), fmt_coef(-0.05), fmt_coef(1.0)
    ('.87', '−.05', '1.00')
    """
    text = fmt_num(value, digits)
    if text.startswith("0."):
        return text[1:]
    if text.startswith(MINUS + "0."):
        return MINUS + text[2:]
    return text


def fmt_p(value: object) -> str:
    """A p-value: three decimals without the leading zero, ``< .001`` below that.

    Examples
    --------
    >>> fmt_p(0.04567), fmt_p(0.0002), fmt_p(1.0)
    ('.046', '< .001', '1.000')
    """
    if _missing(value):
        return MISSING
    p = float(value)  # type: ignore[arg-type]
    if p < 0.001:
        return "< .001"
    return fmt_coef(p, 3)


def fmt_ci(low: object, high: object, digits: int = 2, coef: bool = False) -> str:
    """A confidence interval as ``[low, high]``.

    Examples
    --------
    >>> fmt_ci(-0.051, 0.3)
    '[−0.05, 0.30]'
    """
    f = fmt_coef if coef else fmt_num
    if _missing(low) or _missing(high):
        return MISSING
    return f"[{f(low, digits)}, {f(high, digits)}]"


def fmt_int(value: object) -> str:
    """A count.

    Examples
    --------
    >>> fmt_int(585.0), fmt_int(None)
    ('585', '–')
    """
    if _missing(value):
        return MISSING
    return str(int(float(value)))  # type: ignore[arg-type]


def parse_shown(text: str) -> float:
    """The number a formatted cell shows (inverse of the ``fmt_*`` functions), for checks.

    ``< .001`` is read as 0.0005; an en dash as NaN.

    Examples
    --------
    >>> parse_shown("−.05"), parse_shown("< .001"), parse_shown("1.20")
    (-0.05, 0.0005, 1.2)
    """
    t = text.strip().replace(MINUS, "-")
    if t == MISSING:
        return math.nan
    if t.startswith("<"):
        return 0.0005
    if t.startswith("-."):
        t = "-0" + t[1:]
    elif t.startswith("."):
        t = "0" + t
    return float(t)
