"""Are the groups comparable? The report's checks of nesting, invariance and response styles.

:func:`run_checks` runs, for the report's grouping question, the three checks of
:mod:`analysis.multilevel`, :mod:`analysis.invariance` and :mod:`analysis.styles`, and
:func:`hypotheses_table` merges the respondent-level and the lab-aware hypothesis tests
into the report's ``hypotheses`` table.

How a hypothesis is decided
    By :func:`analysis.hypotheses.decide_hypotheses`, the one engine ``survey compare``
    uses as well: with a cluster column (the instrument's ``cluster`` question, ``lab``
    by default), the random-intercept mixed model (REML, t on nlme's degrees of
    freedom) decides (``test`` is ``mixed``), and a hypothesis it cannot decide (one lab
    in a group) is ``not testable``; without one, the respondent-level Welch test
    decides (``test`` is ``welch``). The effect size stays the respondent-level Hedges'
    g with its 95 % CI (``observed_diff``, ``hedges_g``, ``g_ci_low``, ``g_ci_high``, as
    ARCHITECTURE.md defines them); the lab-aware standardised difference with its t
    interval is given beside it (``std_diff``, ``std_ci_low``, ``std_ci_high``). The
    Welch results stay in ``p_adj_welch``, ``verdict_welch`` and ``p_unc_welch``.

``comparison_support``
    ``ok`` when nothing argues against comparing the two groups' means, else the
    reasons joined by ``"; "``: ``few labs (H and L)`` (fewer than :data:`MIN_LABS`
    labs in a group), ``labs not checked (no lab column)``, ``scalar invariance not
    supported: <items>`` (or ``metric``, ``configural``), ``invariance not tested
    (<why>)``. ``not tested`` when the hypothesis itself is not testable. The
    invariance of a hypothesis is that of its construct between its two groups: taken
    from the run for the report's grouping question when that run modelled exactly
    those two groups, else fitted for them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from analysis.hypotheses import DECISION_COLUMNS
from analysis.invariance import (  # the criteria, re-exported under the report's names
    DELTA_CFI,
    DELTA_RMSEA,
    DELTA_SRMR,
    INVARIANCE_CRITERIA,
    MIN_CFI,
)
from analysis.invariance import MIN_GROUP_N as INVARIANCE_MIN_N
from analysis.multilevel import MIN_LABS, without_few_labs
from survey.errors import SurveyError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from survey.responses.model import ResponseSet

__all__ = [
    "DELTA_CFI",
    "DELTA_RMSEA",
    "DELTA_SRMR",
    "HYPOTHESES_REPORT_COLUMNS",
    "INVARIANCE_CRITERIA",
    "INVARIANCE_MIN_N",
    "MIN_CFI",
    "MIN_LABS",
    "CHECK_TABLES",
    "Checks",
    "has_labs",
    "hypotheses_table",
    "group_checks",
    "lab_checks",
    "run_checks",
    "without_few_labs",
]

#: Columns of the report's ``hypotheses`` table: the ten of ARCHITECTURE.md, then the
#: comparability columns, then the details (those of
#: :data:`analysis.hypotheses.DECISION_COLUMNS`).
HYPOTHESES_REPORT_COLUMNS = list(DECISION_COLUMNS)

#: The tables :func:`run_checks` adds to the report, in order.
CHECK_TABLES = (
    "icc", "nested", "rwg", "rwg_labs", "invariance_fits", "invariance_summary",
    "invariance_items", "styles", "style_differences", "acquiescence_sensitivity",
)


@dataclass(frozen=True)
class Checks:
    """What the comparability checks found, besides their tables.

    Attributes
    ----------
    labs : bool
        Whether the responses have a cluster column with values (the lab-aware analysis
        ran).
    unbalanced : tuple of str
        Constructs with unequal numbers of positively and reverse-keyed items (the
        acquiescence correction changes their scores).
    styles_note : str
        Why the acquiescence sensitivity analysis was not run ("" when it was).
    """

    labs: bool
    unbalanced: tuple[str, ...] = ()
    styles_note: str = ""
    #: The cluster question the lab-aware analysis used (``None``: the instrument has
    #: none).
    cluster: str | None = "lab"


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(columns=list(columns))


def has_labs(frame: pd.DataFrame, cluster: str | None = "lab") -> bool:
    """Whether ``frame`` has the cluster column ``cluster`` with at least one value.

    Examples
    --------
    >>> import pandas as pd
    >>> has_labs(pd.DataFrame({"team": ["a", None]}), "team"), has_labs(pd.DataFrame(), None)
    (True, False)
    """
    return cluster is not None and cluster in frame.columns \
        and bool(frame[cluster].notna().any())


def _invariance(responses: ResponseSet, by: str, groups: Sequence[str],
                constructs: Sequence[str] | None = None):
    from analysis.invariance import measurement_invariance

    return measurement_invariance(responses, by, groups=list(groups), constructs=constructs,
                                  **INVARIANCE_CRITERIA)


def run_checks(
    responses: ResponseSet,
    scores: pd.DataFrame,
    by: str,
    groups: Sequence[str],
    *,
    min_group_n: int,
    adjust: str,
    alpha: float,
    min_answered: float,
    cluster: str | None = "lab",
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, pd.DataFrame], Checks]:
    """Run the comparability checks for the groups of ``by``: the nesting in labs
    (:func:`lab_checks`), then measurement invariance and response styles
    (:func:`group_checks`; the report computes the two beside each other).

    Parameters
    ----------
    responses : ResponseSet
        The validated responses.
    scores : pandas.DataFrame
        Their scale scores (:func:`analysis.scoring.score_scales`).
    by : str
        The report's grouping question.
    groups : sequence of str
        The groups the report compares (suppressed groups left out).
    min_group_n, adjust, alpha, min_answered
        The report's settings.
    cluster : str or None
        The cluster column (``None``: no lab-aware analysis).
    progress : callable, optional
        Called with a short message at the start of each step.

    Returns
    -------
    (dict of str to pandas.DataFrame, Checks)
        The tables of :data:`CHECK_TABLES` (empty, with their columns, when a check does
        not apply) and what else the report says about them.
    """
    tables = lab_checks(responses, scores, by, groups, min_group_n=min_group_n,
                        adjust=adjust, cluster=cluster, progress=progress)
    more, checks = group_checks(responses, scores, by, groups, min_group_n=min_group_n,
                                adjust=adjust, alpha=alpha, min_answered=min_answered,
                                cluster=cluster, progress=progress)
    return {**tables, **more}, checks


def group_checks(
    responses: ResponseSet,
    scores: pd.DataFrame,
    by: str,
    groups: Sequence[str],
    *,
    min_group_n: int,
    adjust: str,
    alpha: float,
    min_answered: float,
    cluster: str | None = "lab",
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, pd.DataFrame], Checks]:
    """The checks of :func:`run_checks` after the nesting in labs: measurement invariance
    (``invariance_fits``, ``invariance_summary``, ``invariance_items``) and response
    styles (``styles``, ``style_differences``, ``acquiescence_sensitivity``), with what
    else the report says about the checks. The parameters are those of
    :func:`run_checks`."""
    from analysis import styles

    step = progress or (lambda _message: None)
    inst = responses.instrument
    tables: dict[str, pd.DataFrame] = {}

    step("measurement invariance")
    inv = _invariance(responses, by, groups)
    tables["invariance_fits"] = inv.fits
    tables["invariance_summary"] = inv.summary
    tables["invariance_items"] = inv.items

    step("response styles")
    indices = styles.style_indices(responses.data, inst)
    comparison = styles.compare_styles(indices, inst, by, groups=list(groups),
                                       min_group_n=min_group_n, adjust=adjust)
    tables["styles"] = comparison.descriptives
    tables["style_differences"] = comparison.pairwise
    note = ""
    try:
        tables["acquiescence_sensitivity"] = styles.acquiescence_sensitivity(
            responses.data, inst, min_group_n=min_group_n, alpha=alpha, adjust=adjust,
            min_answered=min_answered)
    except SurveyError as exc:
        note = exc.message
        tables["acquiescence_sensitivity"] = _empty(styles.SENSITIVITY_COLUMNS)
    unbalanced = tuple(
        c.id for c in inst.constructs
        if sum(i.reverse for i in c.items) * 2 != len(c.items)
    )
    return tables, Checks(labs=has_labs(scores, cluster), unbalanced=unbalanced,
                          styles_note=note, cluster=cluster)


def lab_checks(
    responses: ResponseSet,
    scores: pd.DataFrame,
    by: str,
    groups: Sequence[str],
    *,
    min_group_n: int,
    adjust: str,
    cluster: str | None = "lab",
    progress: Callable[[str], None] | None = None,
) -> dict[str, pd.DataFrame]:
    """The tables of the nesting in labs (``icc``, ``nested``, ``rwg``, ``rwg_labs``),
    the first of :func:`run_checks`; empty, with their columns, when the responses have
    no cluster answers. The parameters are those of :func:`run_checks`."""
    from analysis import multilevel

    step = progress or (lambda _message: None)
    inst = responses.instrument
    tables: dict[str, pd.DataFrame] = {}
    step("nesting in labs")
    if has_labs(scores, cluster):
        tables["icc"] = multilevel.lab_icc(scores, inst, lab=cluster, by=by,
                                           groups=list(groups))
        tables["nested"] = multilevel.compare_nested(
            scores, inst, by, lab=cluster, groups=list(groups), min_group_n=min_group_n,
            min_labs=MIN_LABS, adjust=adjust)
        agreement = multilevel.lab_agreement(responses.data, inst, lab=cluster,
                                             min_lab_n=min_group_n)
        tables["rwg"] = multilevel.agreement_summary(agreement)
        tables["rwg_labs"] = agreement
    else:
        tables["icc"] = _empty(multilevel.ICC_COLUMNS)
        tables["nested"] = _empty(multilevel.NESTED_COLUMNS)
        tables["rwg"] = _empty(multilevel.AGREEMENT_SUMMARY_COLUMNS)
        tables["rwg_labs"] = _empty(multilevel.AGREEMENT_COLUMNS)
    return tables


def _invariance_support(row) -> str:
    """The invariance part of ``comparison_support`` from an invariance summary row."""
    level = row["highest_level"]
    items = row["items_differing"] if isinstance(row["items_differing"], str) else ""
    if level == "scalar":
        return ""
    if level == "metric":
        return "scalar invariance not supported" + (f": {items}" if items else "")
    if level == "configural":
        return "metric invariance not supported" + (f": {items}" if items else "")
    if level == "none":
        return "configural invariance not supported"
    status = row["status"]
    why = {"too_few": "groups too small", "too_few_items": "fewer than 3 items"}.get(
        status, str(status).replace("_", " "))
    return f"invariance not tested ({why})"


def hypotheses_table(
    responses: ResponseSet,
    scores: pd.DataFrame,
    invariance_summary: pd.DataFrame | None = None,
    *,
    min_group_n: int,
    adjust: str,
    alpha: float,
    cluster: str | None = None,
    equivalence: float | None = None,
    groups: dict[str, Sequence[str]] | None = None,
    latent: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The hypotheses as ``survey report`` and ``survey compare`` show them.

    :func:`analysis.hypotheses.decide_hypotheses` decides each hypothesis; this adds
    the invariance of its construct between its two groups to ``comparison_support``.

    Parameters
    ----------
    responses : ResponseSet
        The validated responses (for the invariance of each hypothesis's construct).
    scores : pandas.DataFrame
        Scale scores with the grouping columns.
    invariance_summary : pandas.DataFrame, optional
        The invariance summary of the report's grouping question, reused where it
        modelled exactly a hypothesis's two groups (the rest is fitted here).
    min_group_n, adjust, alpha
        The settings.
    cluster : str, optional
        The cluster column (default: the instrument's cluster question).
    equivalence : float, optional
        Equivalence bound in standard deviations (adds the TOST).
    groups : dict, optional
        Groups each grouping question may compare (``survey compare --groups``).
    latent : pandas.DataFrame, optional
        Latent mean differences already computed for the report's groups
        (:attr:`analysis.invariance.PartialInvariance.latent`); the other pairs are
        computed here.

    Returns
    -------
    pandas.DataFrame
        :data:`HYPOTHESES_REPORT_COLUMNS`, one row per hypothesis (see the module
        docstring for which test gives which column), then the latent comparison of
        :func:`analysis.report.measurement.with_latent_means`.
    """
    from analysis.hypotheses import decide_hypotheses

    table = decide_hypotheses(scores, responses.instrument, cluster=cluster,
                              min_group_n=min_group_n, min_labs=MIN_LABS, alpha=alpha,
                              adjust=adjust, equivalence=equivalence, groups=groups)
    if invariance_summary is None:
        from analysis.invariance import SUMMARY_COLUMNS

        invariance_summary = _empty(SUMMARY_COLUMNS)
    summaries: dict = {}
    support = _invariance_lookup(responses, invariance_summary, table, summaries)
    for i, row in enumerate(table.itertuples(index=False)):
        inv = support.get(i, "")
        if inv and row.verdict != "not testable":
            current = row.comparison_support
            table.iat[i, table.columns.get_loc("comparison_support")] = (
                inv if current == "ok" else f"{current}; {inv}")
    from analysis.report.measurement import with_latent_means

    return with_latent_means(table[HYPOTHESES_REPORT_COLUMNS], responses, latent, summaries)


def _invariance_lookup(responses: ResponseSet, summary: pd.DataFrame,
                       decided: pd.DataFrame, found: dict | None = None) -> dict[int, str]:
    """Hypothesis row -> the invariance part of its ``comparison_support``.

    ``found`` (filled here) receives the invariance summary row of each (grouping
    question, pair of groups, construct) used.
    """
    inst = responses.instrument
    found = {} if found is None else found
    for r in summary.to_dict("records"):
        groups = frozenset(str(r["groups"]).split("|")) if r["groups"] else frozenset()
        found[(r["by"], groups, r["construct"])] = r
    # hypotheses whose two groups were not modelled on their own: fit them, once per pair
    wanted: dict[tuple[str, str, str], list[str]] = {}
    for h, w in zip(inst.hypotheses, decided.to_dict("records"), strict=True):
        if w["verdict"] == "not testable":
            continue
        if (h.by, frozenset((h.higher, h.lower)), h.construct) not in found:
            # one fit per pair of groups, whichever the prediction calls higher
            pair = (h.higher, h.lower) if h.higher < h.lower else (h.lower, h.higher)
            wanted.setdefault((h.by, *pair), []).append(h.construct)
    for (h_by, higher, lower), constructs in wanted.items():
        extra = _invariance(responses, h_by, [higher, lower],
                            constructs=list(dict.fromkeys(constructs)))
        for r in extra.summary.to_dict("records"):
            found[(h_by, frozenset((higher, lower)), r["construct"])] = r
    out = {}
    for i, h in enumerate(inst.hypotheses):
        r = found.get((h.by, frozenset((h.higher, h.lower)), h.construct))
        if r is not None:
            out[i] = _invariance_support(r)
    return out
