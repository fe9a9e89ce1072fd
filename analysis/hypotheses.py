"""One verdict per hypothesis of the instrument.

Each hypothesis names a construct, a grouping question and two of its groups, one
predicted higher (``predicts: united_states > china``). :func:`evaluate_hypotheses` tests
each with a two-sided Welch t-test between the two groups, adjusts the p-values with
Holm's method across the instrument's testable hypotheses, and gives a verdict:

``supported``
    the difference is in the predicted direction and ``p_adj < alpha``;
``contrary``
    the difference is opposite to the prediction and ``p_adj < alpha``;
``not supported``
    ``p_adj >= alpha`` (no difference shown in either direction);
``not testable``
    a group is absent or suppressed (fewer than ``min_group_n`` respondents or scores),
    the grouping or construct column is missing, or both groups have zero variance.

The test is two-sided and its direction is read from the sign afterwards, so a
difference against the prediction can be reported as ``contrary`` rather than hidden by a
one-sided test. ``observed_diff`` and ``hedges_g`` are the predicted-higher group minus
the other, so a positive value is in the predicted direction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from survey.errors import SurveyError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from survey.instrument import Hypothesis, Instrument

__all__ = [
    "HYPOTHESES_COLUMNS",
    "VERDICTS",
    "evaluate_hypotheses",
    "group_problem",
    "hypothesis_inputs",
]

#: Columns of the table :func:`evaluate_hypotheses` returns, in order (the first ten as in
#: ARCHITECTURE.md).
HYPOTHESES_COLUMNS = [
    "hypothesis", "construct", "by", "predicted", "observed_diff", "hedges_g", "g_ci_low",
    "g_ci_high", "p_adj", "verdict", "n_higher", "n_lower", "t", "df", "p_unc", "note",
]
#: The verdicts, in the order a report lists them.
VERDICTS = ("supported", "contrary", "not supported", "not testable")


def evaluate_hypotheses(
    scores: pd.DataFrame,
    instrument: Instrument,
    *,
    min_group_n: int = 5,
    alpha: float = 0.05,
    adjust: str = "holm",
) -> pd.DataFrame:
    """Test every hypothesis of ``instrument`` on a scores table.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per respondent with the grouping columns and one column per construct id
        (as :func:`analysis.scoring.score_scales` returns it). Not modified.
    instrument : Instrument
        Its ``hypotheses`` are tested, in order.
    min_group_n : int
        A group with fewer respondents, or fewer scores on the construct, is suppressed
        and its hypotheses are ``not testable`` (default 5, at least 2).
    alpha : float
        Significance level for the adjusted p-values (default 0.05).
    adjust : {"holm", "fdr_bh", "none"}
        Adjustment across the testable hypotheses (default and recommended: Holm).

    Returns
    -------
    pandas.DataFrame
        :data:`HYPOTHESES_COLUMNS`, one row per hypothesis: ``predicted``
        (``higher > lower``), ``observed_diff`` and ``hedges_g`` with ``g_ci_low``,
        ``g_ci_high`` (95 %) as higher minus lower, ``p_adj``, ``verdict`` (one of
        :data:`VERDICTS`), the group sizes ``n_higher``, ``n_lower``, Welch's ``t`` (same
        sign as ``observed_diff``), ``df``, ``p_unc`` and a ``note`` saying why a
        hypothesis is not testable.

    Raises
    ------
    SurveyError
        A grouping column holds values that are not choices of the instrument, or an
        option is out of range.

    Examples
    --------
    >>> import pandas as pd
    >>> from survey.instrument import load
    >>> inst = load("lab-culture")
    >>> scores = pd.DataFrame({
    ...     "lab_region": ["china"] * 5 + ["united_states"] * 5,
    ...     "self_promotion": [2.0, 2.5, 3.0, 2.25, 2.75, 3.5, 3.25, 4.0, 3.75, 3.0]})
    >>> table = evaluate_hypotheses(scores, inst)
    >>> table.loc[0, ["hypothesis", "predicted", "verdict"]].tolist()
    ['H1', 'united_states > china', 'supported']
    """
    import numpy as np
    import pandas as pd

    from analysis import stats
    from analysis.compare import _check_options

    _check_options(min_group_n, adjust)
    if not 0 < alpha < 1:
        raise SurveyError(f"alpha must be between 0 and 1, got {alpha!r}")

    rows = []
    columns: dict[str, pd.Series] = {}
    for h in instrument.hypotheses:
        row = {
            "hypothesis": h.id, "construct": h.construct, "by": h.by,
            "predicted": h.predicts, "observed_diff": np.nan, "hedges_g": np.nan,
            "g_ci_low": np.nan, "g_ci_high": np.nan, "p_adj": np.nan,
            "verdict": "not testable", "n_higher": 0, "n_lower": 0, "t": np.nan,
            "df": np.nan, "p_unc": np.nan, "note": "",
        }
        rows.append(row)
        column, values, missing = hypothesis_inputs(scores, instrument, h, columns)
        if missing:
            row["note"] = missing
            continue
        cells = {}
        problems = []
        for role, g in (("higher", h.higher), ("lower", h.lower)):
            in_group = (column == g).to_numpy()
            x = values[in_group]
            x = x[~np.isnan(x)]
            n_people = int(in_group.sum())
            row[f"n_{role}"] = int(x.size)
            problem = group_problem(g, n_people, int(x.size), min_group_n)
            if problem:
                problems.append(problem)
            cells[role] = x
        if problems:
            row["note"] = "; ".join(problems)
            continue
        hi, lo = cells["higher"], cells["lower"]
        summary = (hi.size, hi.mean(), hi.var(ddof=1), lo.size, lo.mean(), lo.var(ddof=1))
        wt = stats.welch_t(*summary)
        g, g_lo, g_hi = stats.hedges_g(*summary)
        row.update(observed_diff=float(wt.diff), hedges_g=float(g), g_ci_low=float(g_lo),
                   g_ci_high=float(g_hi), t=float(wt.t), df=float(wt.df), p_unc=float(wt.p))
        if np.isnan(wt.p):
            row["note"] = "both groups have zero variance; no test"

    table = pd.DataFrame(rows, columns=HYPOTHESES_COLUMNS)
    table["p_adj"] = stats.adjust_p(table["p_unc"].to_numpy(dtype=float), adjust)
    table["verdict"] = stats.verdicts(table["observed_diff"], table["p_adj"], alpha)
    for col in ("n_higher", "n_lower"):
        table[col] = table[col].astype("int64")
    return table


def hypothesis_inputs(
    scores: pd.DataFrame,
    instrument: Instrument,
    hypothesis: Hypothesis,
    cache: dict[str, pd.Series],
) -> tuple[pd.Series | None, np.ndarray | None, str]:
    """The grouping column and scores a hypothesis is tested on, or why it cannot be.

    Shared by the respondent-level and the lab-aware hypothesis tables.

    Parameters
    ----------
    scores : pandas.DataFrame
        Scale scores with the grouping columns.
    instrument : Instrument
        Gives the grouping question's codes.
    hypothesis : Hypothesis
        The hypothesis to test.
    cache : dict
        Grouping columns already checked, by id (filled in here).

    Returns
    -------
    tuple
        ``(column, values, note)``: the grouping column, the construct's scores as
        ``float`` (``nan`` when missing) and an empty note; or ``(None, None, note)``
        saying what is missing.
    """
    import numpy as np
    import pandas as pd

    from analysis.compare import _group_column

    h = hypothesis
    if h.by not in scores.columns:
        return None, None, f"no column '{h.by}' in the scores"
    if h.construct not in scores.columns:
        return None, None, f"no score column for construct '{h.construct}'"
    if h.by not in cache:
        cache[h.by] = _group_column(scores, instrument, h.by)
    values = pd.to_numeric(scores[h.construct], errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    return cache[h.by], values, ""


def group_problem(group: str, n_people: int, n_scores: int, min_group_n: int,
                  scores: str = "scores") -> str:
    """Why one side of a hypothesis cannot be tested (``""`` when it can).

    Parameters
    ----------
    group : str
        The group's code.
    n_people : int
        Respondents in the group.
    n_scores : int
        Of those, respondents with a usable score.
    min_group_n : int
        Smallest group (and number of scores) that is described.
    scores : str, default "scores"
        How the usable scores are named in the message.

    Returns
    -------
    str

    Examples
    --------
    >>> group_problem("other", 3, 3, 5)
    "'other' suppressed (fewer than 5 respondents)"
    >>> group_problem("china", 40, 38, 5)
    ''
    """
    if n_people == 0:
        return f"no respondents in '{group}'"
    if n_people < min_group_n:
        return f"'{group}' suppressed (fewer than {min_group_n} respondents)"
    if n_scores < min_group_n:
        return f"'{group}' suppressed (fewer than {min_group_n} {scores})"
    return ""
