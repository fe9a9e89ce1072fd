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

One engine for every command
    :func:`decide_hypotheses` is what ``survey compare`` and ``survey report`` both
    show. When the responses have a cluster column (the instrument's ``cluster``
    question, ``lab`` by default, or ``--cluster``), each hypothesis is decided by the
    lab-aware test (:func:`analysis.multilevel.evaluate_hypotheses_nested`: random
    intercept for the cluster, REML, t on nlme's degrees of freedom); the Welch test is
    kept beside it (``p_adj_welch``, ``verdict_welch``) and never decides. Without a
    cluster column the Welch test decides. A hypothesis the lab-aware test cannot
    decide (one lab in a group: the group and its lab are confounded) is ``not
    testable``, with the reason in ``note``.

Sensitivity and equivalence
    ``mde`` is the smallest standardised difference the deciding test detects with
    80 % power at the two-sided ``alpha`` before adjustment (the code of ``survey
    plan``). With ``equivalence=D``, two one-sided tests (TOST, Schuirmann 1987) on the
    same estimate, standard error and degrees of freedom ask whether the difference
    lies inside ``±D`` standard deviations (the model's total SD ``sqrt(tau2 +
    sigma2)`` for the lab-aware test, the pooled SD for Welch's); ``p_tost`` is
    adjusted across the hypotheses like ``p_adj`` and a hypothesis whose difference is
    not significant but whose adjusted TOST p is below ``alpha`` is ``equivalent``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from analysis.multilevel import MIN_LABS
from survey.errors import SurveyError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from survey.instrument import Hypothesis, Instrument

__all__ = [
    "DECISION_COLUMNS",
    "HYPOTHESES_COLUMNS",
    "VERDICTS",
    "decide_hypotheses",
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
VERDICTS = ("supported", "contrary", "equivalent", "not supported", "not testable")
#: Columns of :func:`decide_hypotheses` (the report's and compare's ``hypotheses.csv``):
#: the ten of ARCHITECTURE.md, the comparability columns, then the details.
DECISION_COLUMNS = [
    "hypothesis", "construct", "by", "predicted", "observed_diff", "hedges_g", "g_ci_low",
    "g_ci_high", "p_adj", "verdict",
    "test", "p_adj_welch", "verdict_welch", "labs_higher", "labs_lower",
    "comparison_support",
    "n_higher", "n_lower", "estimate", "se", "t", "df", "p_unc", "p_method", "std_diff",
    "std_ci_low", "std_ci_high", "p_unc_welch", "note",
    "icc_model", "mde", "equivalence_bound", "p_tost", "p_tost_adj",
]


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


def decide_hypotheses(
    scores: pd.DataFrame,
    instrument: Instrument,
    *,
    cluster: str | None = None,
    min_group_n: int = 5,
    min_labs: int = MIN_LABS,
    alpha: float = 0.05,
    adjust: str = "holm",
    equivalence: float | None = None,
    power: float = 0.8,
    groups: Mapping[str, Sequence[str]] | None = None,
) -> pd.DataFrame:
    """One verdict per hypothesis: the lab-aware test when there are clusters.

    The engine of ``survey compare`` and ``survey report`` (see the module docstring).

    Parameters
    ----------
    scores : pandas.DataFrame
        Scale scores with the grouping columns (and the cluster column). Not modified.
    instrument : Instrument
        Its hypotheses are decided, in order.
    cluster : str, optional
        The cluster column (default: the instrument's cluster question). When the scores
        have no such column, or it is empty, the Welch test decides.
    min_group_n : int
        Groups with fewer respondents or scores are ``not testable`` (default 5).
    min_labs : int
        Fewer labs than this in a group marks ``comparison_support`` ``few labs``.
    alpha : float
        Significance level of the adjusted p-values (default 0.05).
    adjust : {"holm", "fdr_bh", "none"}
        Adjustment across the testable hypotheses (default Holm).
    equivalence : float, optional
        Equivalence bound ``D`` in standard deviations (above 0): adds the TOST.
    power : float
        Power of the sensitivity analysis ``mde`` (default 0.8).
    groups : mapping of str to sequence of str, optional
        Groups a grouping question may compare (``survey compare --groups``): a
        hypothesis naming another group of that question is ``not testable``.

    Returns
    -------
    pandas.DataFrame
        :data:`DECISION_COLUMNS`, one row per hypothesis: the respondent-level
        ``observed_diff`` and Hedges' g with its CI; ``p_adj`` and ``verdict`` of the
        deciding test (``test``: ``mixed`` or ``welch``); the Welch ``p_adj_welch``,
        ``verdict_welch`` and ``p_unc_welch``; labs per group; ``comparison_support``
        (``ok``, ``few labs (H and L)``, ``labs not checked (...)`` or ``not tested``);
        the deciding test's ``estimate``, ``se``, ``t``, ``df``, ``p_unc``,
        ``p_method``; the standardised difference with its CI; ``note`` (why a
        hypothesis is not testable, or remarks); ``icc_model``; ``mde``; and with
        ``equivalence`` the bound, ``p_tost`` and ``p_tost_adj``.

    Raises
    ------
    SurveyError
        An option is out of range, a grouping column holds values that are not
        choices, or ``cluster`` is not a grouping question.

    Examples
    --------
    >>> import pandas as pd
    >>> from survey.instrument import load
    >>> scores = pd.DataFrame({
    ...     "lab_region": ["china"] * 4 + ["united_states"] * 4,
    ...     "lab": ["CN-01"] * 4 + ["US-01"] * 4,
    ...     "self_promotion": [2.0, 2.5, 3.0, 2.25, 3.5, 3.25, 4.0, 3.75]})
    >>> table = decide_hypotheses(scores, load("lab-culture"), min_group_n=4)
    >>> table.loc[0, ["test", "verdict", "verdict_welch", "note"]].tolist()
    ['mixed', 'not testable', 'supported', 'one lab per group: lab_region and lab are confounded']
    """
    import numpy as np
    import pandas as pd

    from analysis import stats
    from analysis.multilevel import (
        evaluate_hypotheses_nested,
        resolve_cluster,
        without_few_labs,
    )
    from analysis.planning import detectable_effect

    if equivalence is not None and not (isinstance(equivalence, int | float)
                                        and not isinstance(equivalence, bool)
                                        and 0 < equivalence < float("inf")):
        raise SurveyError(f"the equivalence bound must be a standardised difference above 0, "
                          f"got {equivalence!r}")
    cluster = resolve_cluster(instrument, cluster)
    used, excluded = _restrict(scores, instrument, groups)
    welch = evaluate_hypotheses(used, instrument, min_group_n=min_group_n, alpha=alpha,
                                adjust=adjust)
    clustered = (cluster is not None and cluster in used.columns
                 and bool(used[cluster].notna().any()))
    nested = (evaluate_hypotheses_nested(used, instrument, lab=cluster,
                                         min_group_n=min_group_n, min_labs=min_labs,
                                         alpha=alpha, adjust=adjust, power=power)
              if clustered else None)
    if cluster is None:
        unchecked = "labs not checked (no cluster question)"
    else:
        unchecked = f"labs not checked (no {cluster} column)"

    rows = []
    cache: dict[str, pd.Series] = {}
    for i, (h, w) in enumerate(zip(instrument.hypotheses, welch.to_dict("records"),
                                   strict=True)):
        row = dict.fromkeys(DECISION_COLUMNS, np.nan)
        for col in ("hypothesis", "construct", "by", "predicted", "observed_diff", "hedges_g",
                    "g_ci_low", "g_ci_high", "n_higher", "n_lower", "note"):
            row[col] = w[col]
        row.update(p_adj_welch=w["p_adj"], verdict_welch=w["verdict"], p_unc_welch=w["p_unc"],
                   labs_higher=pd.NA, labs_lower=pd.NA, p_method="")
        reasons = []
        sd = np.nan
        if nested is not None:
            m = nested.iloc[i]
            row.update(test="mixed", labs_higher=int(m["labs_higher"]),
                       labs_lower=int(m["labs_lower"]))
            if m["status"] in ("ok", "few labs"):
                row.update({k: m[k] for k in (
                    "estimate", "se", "t", "df", "p_unc", "p_method", "std_diff",
                    "std_ci_low", "std_ci_high", "icc_model", "mde")})
                sd = float(np.sqrt(m["tau2"] + m["sigma2"]))
                if m["status"] == "few labs":
                    reasons.append(f"few labs ({m['labs_higher']} and {m['labs_lower']})")
                # the few-labs sentence is in comparison_support; other notes are kept
                row["note"] = "; ".join(n for n in (row["note"], without_few_labs(m["note"]))
                                        if n)
            else:
                row["note"] = m["note"] or w["note"]
        else:
            row.update(test="welch", estimate=w["observed_diff"], t=w["t"], df=w["df"],
                       p_unc=w["p_unc"])
            if w["verdict"] != "not testable":
                t = float(w["t"])
                row["se"] = w["observed_diff"] / t if t else np.nan
                row["p_method"] = "Welch's t"
                n_h, n_l = int(w["n_higher"]), int(w["n_lower"])
                row["mde"] = detectable_effect(n_h, n_l, n_h + n_l - 2, power=power,
                                               alpha=alpha)
                sd = _pooled_sd(used, instrument, h, cache)
                reasons.append(unchecked)
        if h.id in excluded:
            row["note"] = excluded[h.id]
        row["comparison_support"] = "; ".join(reasons) or "ok"
        if equivalence is not None and np.isfinite(row["p_unc"]):
            row["equivalence_bound"] = float(equivalence)
            row["p_tost"] = float(stats.tost_p(row["estimate"], row["se"], row["df"],
                                               equivalence * sd))
        rows.append(row)

    table = pd.DataFrame(rows, columns=DECISION_COLUMNS)
    table["p_adj"] = stats.adjust_p(table["p_unc"].to_numpy(dtype=float), adjust)
    p_eq = None
    if equivalence is not None:
        table["p_tost_adj"] = stats.adjust_p(table["p_tost"].to_numpy(dtype=float), adjust)
        p_eq = table["p_tost_adj"].to_numpy(dtype=float)
    table["verdict"] = stats.verdicts(table["estimate"], table["p_adj"], alpha, p_eq)
    table.loc[table["verdict"] == "not testable", "comparison_support"] = "not tested"
    for col in ("labs_higher", "labs_lower"):
        table[col] = table[col].astype("Int64")
    for col in ("n_higher", "n_lower"):
        table[col] = table[col].astype("int64")
    return table


def _restrict(scores: pd.DataFrame, instrument: Instrument,
              groups: Mapping[str, Sequence[str]] | None) -> tuple[pd.DataFrame, dict[str, str]]:
    """Scores with the groups not compared blanked, and the hypotheses that names."""
    if not groups:
        return scores, {}
    used = scores.copy()
    excluded: dict[str, str] = {}
    for by, allowed in groups.items():
        if by not in used.columns:
            continue
        keep = set(allowed)
        used[by] = used[by].where(used[by].isna() | used[by].astype(object).isin(keep))
        for h in instrument.hypotheses:
            if h.by != by:
                continue
            outside = [g for g in (h.higher, h.lower) if g not in keep]
            if outside:
                excluded[h.id] = ", ".join(f"'{g}'" for g in outside) + (
                    " not among the groups compared")
    return used, excluded


def _pooled_sd(scores: pd.DataFrame, instrument: Instrument, h: Hypothesis,
               cache: dict[str, pd.Series]) -> float:
    """Pooled within-group SD of a hypothesis's two groups (Hedges' g's denominator)."""
    import numpy as np

    column, values, missing = hypothesis_inputs(scores, instrument, h, cache)
    if missing:
        return float("nan")
    parts = []
    for g in (h.higher, h.lower):
        x = values[(column == g).to_numpy()]
        parts.append(x[~np.isnan(x)])
    a, b = parts
    pooled = ((a.size - 1) * a.var(ddof=1) + (b.size - 1) * b.var(ddof=1)) / (a.size + b.size - 2)
    return float(np.sqrt(pooled))
