"""Counted nouns for the messages a user reads: ``1 attention check``, ``2 labs``.

Examples
--------
>>> count(1, "attention check"), count(3, "hypothesis", "hypotheses")
('1 attention check', '3 hypotheses')
"""

from __future__ import annotations

__all__ = ["count"]


def count(n: int, noun: str, plural: str | None = None) -> str:
    """``n`` and ``noun``, in the singular for 1 and the plural otherwise.

    Parameters
    ----------
    n : int
        How many.
    noun : str
        The singular.
    plural : str, optional
        The plural (default: ``noun + "s"``).

    Returns
    -------
    str

    Examples
    --------
    >>> count(0, "respondent"), count(1, "respondent"), count(1250, "row")
    ('0 respondents', '1 respondent', '1250 rows')
    """
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"
