"""The hypothesis verdicts on the console, worded the same by ``compare`` and ``report``."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = ["ADJUST_NAMES", "decision_line", "verdict_table"]

#: How each ``--adjust`` choice is named on the console.
ADJUST_NAMES = {"holm": "Holm", "fdr_bh": "Benjamini-Hochberg", "none": "not adjusted"}


def _p(value: float) -> str:
    if value != value:  # nan
        return "-"
    if value < 0.001:
        return "<.001"
    return f"{value:.3f}".lstrip("0")


def _num(value: float) -> str:
    return "-" if value != value else f"{value:.2f}"


def decision_line(hypotheses: pd.DataFrame, cluster: str | None, adjust: str,
              equivalence: float | None = None) -> str:
    """One line naming the test that decided the verdicts and the family of ``p_adj``.

    Parameters
    ----------
    hypotheses : pandas.DataFrame
        :func:`analysis.hypotheses.decide_hypotheses` (or the report's table).
    cluster : str or None
        The cluster question.
    adjust : str
        The adjustment used.
    equivalence : float, optional
        The equivalence bound of the TOST.

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"test": ["mixed"] * 2, "p_unc": [0.01, float("nan")]})
    >>> decision_line(table, "lab", "holm")  # doctest: +NORMALIZE_WHITESPACE
    "verdicts: lab-aware test (mixed model with a random intercept for 'lab', REML, t on
    nlme's df); p_adj: Holm across the 1 testable hypothesis"
    """
    testable = int(hypotheses["p_unc"].notna().sum())
    family = (f"p_adj: {ADJUST_NAMES[adjust]} across the {testable} testable "
              f"hypothes{'is' if testable == 1 else 'es'}")
    if (hypotheses["test"] == "mixed").any():
        test = (f"lab-aware test (mixed model with a random intercept for '{cluster}', REML, "
                "t on nlme's df)")
    elif cluster is None:
        test = "Welch's t between respondents (the instrument names no cluster question)"
    else:
        test = f"Welch's t between respondents (no '{cluster}' column: labs not checked)"
    tost = "" if equivalence is None else (
        f"; equivalent: TOST inside ±{equivalence:g} SD, adjusted the same way")
    return f"verdicts: {test}; {family}{tost}"


def verdict_table(hypotheses: pd.DataFrame) -> str:
    """The verdicts as aligned text, one line per hypothesis.

    Columns: hypothesis, construct, prediction, Hedges' g [95 % CI], the deciding test's
    adjusted p, the smallest detectable standardised difference (``mde``) and the
    verdict, followed by the reason when it is ``not testable`` and by what argues
    against comparing the means (``comparison_support``) otherwise.

    Parameters
    ----------
    hypotheses : pandas.DataFrame
        :func:`analysis.hypotheses.decide_hypotheses` (or the report's table).

    Returns
    -------
    str
    """
    rows = [("hypothesis", "construct", "predicted", "g [95% CI]", "p_adj", "mde", "verdict")]
    for _, h in hypotheses.iterrows():
        if h["hedges_g"] == h["hedges_g"]:
            g = f"{h['hedges_g']:.2f} [{h['g_ci_low']:.2f}, {h['g_ci_high']:.2f}]"
        else:
            g = "-"
        verdict = h["verdict"]
        note = h["note"] if isinstance(h["note"], str) else ""
        support = h.get("comparison_support", "ok")
        if verdict == "not testable" and note:
            verdict += f" ({note})"
        elif isinstance(support, str) and support not in ("ok", "not tested"):
            verdict += f" [{support}]"
        rows.append((h["hypothesis"], h["construct"], h["predicted"], g, _p(h["p_adj"]),
                     _num(h.get("mde", float("nan"))), verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(6)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r[:6], widths, strict=True)) + "  " + r[6]
        for r in rows
    )
