"""Are the groups comparable? The report's checks of nesting, invariance and response styles.

:func:`run_checks` runs, for the report's grouping question, the three checks of
:mod:`analysis.multilevel`, :mod:`analysis.invariance` and :mod:`analysis.styles`, and
:func:`hypotheses_table` merges the respondent-level and the lab-aware hypothesis tests
into the report's ``hypotheses`` table.

How a hypothesis is decided
    With a ``lab`` column, each hypothesis is tested with the random-intercept mixed
    model (REML, t on nlme's degrees of freedom; :func:`analysis.multilevel.
    evaluate_hypotheses_nested`): ``test`` is ``mixed`` and ``p_adj`` and ``verdict``
    come from it, adjusted across the hypotheses. Without a lab column, or when the
    mixed model cannot be fitted for a hypothesis (fewer than 3 labs in its two groups),
    the respondent-level Welch test decides (``test`` is ``welch``); the adjustment then
    runs over the p-values of the tests actually used. The effect size stays the
    respondent-level Hedges' g with its 95 % CI (``observed_diff``, ``hedges_g``,
    ``g_ci_low``, ``g_ci_high``, as ARCHITECTURE.md defines them); the lab-aware
    standardised difference with its t interval is given beside it (``std_diff``,
    ``std_ci_low``, ``std_ci_high``). The Welch results stay in ``p_adj_welch``,
    ``verdict_welch`` and ``p_unc_welch``.

``comparison_support``
    ``ok`` when nothing argues against comparing the two groups' means, else the
    reasons joined by ``"; "``: ``few labs (H and L)`` (fewer than :data:`MIN_LABS`
    labs in a group), ``respondent-level test only (...)``, ``labs not checked (no lab
    column)``, ``scalar invariance not supported: <items>`` (or ``metric``,
    ``configural``), ``invariance not tested (<why>)``. ``not tested`` when the
    hypothesis itself is not testable. The invariance of a hypothesis is that of its
    construct between its two groups: taken from the run for the report's grouping
    question when that run modelled exactly those two groups, else fitted for them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from survey.errors import SurveyError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from survey.responses.model import ResponseSet

__all__ = [
    "DELTA_CFI",
    "DELTA_RMSEA",
    "DELTA_SRMR",
    "HYPOTHESES_REPORT_COLUMNS",
    "INVARIANCE_MIN_N",
    "MIN_CFI",
    "MIN_LABS",
    "CHECK_TABLES",
    "Checks",
    "has_labs",
    "hypotheses_table",
    "run_checks",
    "without_few_labs",
]

#: A group with fewer labs makes a lab-aware comparison rest on few labs.
MIN_LABS = 5
#: Complete respondents a group needs to enter a multi-group factor model.
INVARIANCE_MIN_N = 100
#: CFI the configural model needs.
MIN_CFI = 0.90
#: Chen (2007): a step fails when ΔCFI <= DELTA_CFI and (ΔRMSEA >= DELTA_RMSEA or
#: ΔSRMR >= the step's DELTA_SRMR).
DELTA_CFI = -0.010
DELTA_RMSEA = 0.015
#: ΔSRMR cut-offs of the metric and the scalar step.
DELTA_SRMR = (0.030, 0.010)

#: Columns of the report's ``hypotheses`` table: the ten of ARCHITECTURE.md, then the
#: comparability columns, then the details.
HYPOTHESES_REPORT_COLUMNS = [
    "hypothesis", "construct", "by", "predicted", "observed_diff", "hedges_g", "g_ci_low",
    "g_ci_high", "p_adj", "verdict",
    "test", "p_adj_welch", "verdict_welch", "labs_higher", "labs_lower",
    "comparison_support",
    "n_higher", "n_lower", "estimate", "se", "t", "df", "p_unc", "p_method", "std_diff",
    "std_ci_low", "std_ci_high", "p_unc_welch", "note",
]

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
        Whether the responses have a ``lab`` column with values (the lab-aware analysis
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


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(columns=list(columns))


def without_few_labs(note: object) -> str:
    """A note of :mod:`analysis.multilevel` without its sentence about few labs.

    Examples
    --------
    >>> without_few_labs("the comparison rests on few labs (3 and 3; fewer than 5 in a "
    ...                  "group): treat it as indicative; lab variance estimated at 0")
    'lab variance estimated at 0'
    """
    import re

    text = note if isinstance(note, str) else ""
    text = re.sub(r"the comparison rests on few labs \([^)]*\): treat it as indicative(; )?",
                  "", text)
    return text.strip().removesuffix(";").strip()


def has_labs(frame: pd.DataFrame) -> bool:
    """Whether ``frame`` has a ``lab`` column with at least one value."""
    return "lab" in frame.columns and bool(frame["lab"].notna().any())


def _invariance(responses: ResponseSet, by: str, groups: Sequence[str],
                constructs: Sequence[str] | None = None):
    from analysis.invariance import measurement_invariance

    return measurement_invariance(
        responses, by, groups=list(groups), constructs=constructs,
        min_group_n=INVARIANCE_MIN_N, min_cfi=MIN_CFI, delta_cfi_cutoff=DELTA_CFI,
        delta_rmsea_cutoff=DELTA_RMSEA, delta_srmr_cutoff=DELTA_SRMR,
    )


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
    progress: Callable[[str], None] | None = None,
) -> tuple[dict[str, pd.DataFrame], Checks]:
    """Run the comparability checks for the groups of ``by``.

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
    progress : callable, optional
        Called with a short message at the start of each step.

    Returns
    -------
    (dict of str to pandas.DataFrame, Checks)
        The tables of :data:`CHECK_TABLES` (empty, with their columns, when a check does
        not apply) and what else the report says about them.
    """
    from analysis import multilevel, styles

    step = progress or (lambda _message: None)
    inst = responses.instrument
    tables: dict[str, pd.DataFrame] = {}
    labs = has_labs(scores)

    step("nesting in labs")
    if labs:
        tables["icc"] = multilevel.lab_icc(scores, inst)
        tables["nested"] = multilevel.compare_nested(
            scores, inst, by, groups=list(groups), min_group_n=min_group_n,
            min_labs=MIN_LABS, adjust=adjust)
        agreement = multilevel.lab_agreement(responses.data, inst, min_lab_n=min_group_n)
        tables["rwg"] = multilevel.agreement_summary(agreement)
        tables["rwg_labs"] = agreement
    else:
        tables["icc"] = _empty(multilevel.ICC_COLUMNS)
        tables["nested"] = _empty(multilevel.NESTED_COLUMNS)
        tables["rwg"] = _empty(multilevel.AGREEMENT_SUMMARY_COLUMNS)
        tables["rwg_labs"] = _empty(multilevel.AGREEMENT_COLUMNS)

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
    return tables, Checks(labs=labs, unbalanced=unbalanced, styles_note=note)


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
    welch: pd.DataFrame,
    invariance_summary: pd.DataFrame,
    *,
    min_group_n: int,
    adjust: str,
    alpha: float,
) -> pd.DataFrame:
    """The report's hypotheses: verdicts from the lab-aware test when there are labs.

    Parameters
    ----------
    responses : ResponseSet
        The validated responses (for the invariance of hypotheses on other groups).
    scores : pandas.DataFrame
        Scale scores with the grouping columns.
    welch : pandas.DataFrame
        :func:`analysis.hypotheses.evaluate_hypotheses` of ``scores``.
    invariance_summary : pandas.DataFrame
        The invariance summary of the report's grouping question.
    min_group_n, adjust, alpha
        The report's settings.

    Returns
    -------
    pandas.DataFrame
        :data:`HYPOTHESES_REPORT_COLUMNS`, one row per hypothesis (see the module
        docstring for which test gives which column).
    """
    import numpy as np
    import pandas as pd

    from analysis import stats
    from analysis.multilevel import evaluate_hypotheses_nested

    inst = responses.instrument
    labs = has_labs(scores)
    nested = (evaluate_hypotheses_nested(scores, inst, min_group_n=min_group_n,
                                         min_labs=MIN_LABS, alpha=alpha, adjust=adjust)
              if labs else None)
    support = _invariance_lookup(responses, invariance_summary, welch)

    rows = []
    for i, w in enumerate(welch.to_dict("records")):
        row = dict.fromkeys(HYPOTHESES_REPORT_COLUMNS, np.nan)
        for col in ("hypothesis", "construct", "by", "predicted", "observed_diff", "hedges_g",
                    "g_ci_low", "g_ci_high", "n_higher", "n_lower", "t", "df", "note"):
            row[col] = w[col]
        row.update(p_adj_welch=w["p_adj"], verdict_welch=w["verdict"], p_unc_welch=w["p_unc"],
                   p_unc=w["p_unc"], labs_higher=pd.NA, labs_lower=pd.NA, test="welch",
                   p_method="Welch's t" if w["verdict"] != "not testable" else "",
                   estimate=w["observed_diff"])
        t = float(w["t"])
        row["se"] = w["observed_diff"] / t if t and not np.isnan(t) else np.nan
        reasons = []
        if nested is not None:
            m = nested.iloc[i]
            row.update(labs_higher=int(m["labs_higher"]), labs_lower=int(m["labs_lower"]))
            if m["status"] in ("ok", "few labs"):
                row.update(test="mixed", estimate=m["estimate"], se=m["se"], t=m["t"],
                           df=m["df"], p_unc=m["p_unc"], p_method=m["p_method"],
                           std_diff=m["std_diff"], std_ci_low=m["std_ci_low"],
                           std_ci_high=m["std_ci_high"])
                if m["status"] == "few labs":
                    reasons.append(f"few labs ({m['labs_higher']} and {m['labs_lower']})")
                # the few-labs sentence is in comparison_support; other notes are kept
                row["note"] = "; ".join(n for n in (row["note"], without_few_labs(m["note"]))
                                        if n)
            elif w["verdict"] != "not testable":
                reasons.append("respondent-level test only (" + (m["note"] or "no lab-aware "
                               "test") + ")")
        elif w["verdict"] != "not testable":
            reasons.append("labs not checked (no lab column)")
        if w["verdict"] != "not testable":
            inv = support.get(i, "")
            if inv:
                reasons.append(inv)
        row["comparison_support"] = ("; ".join(reasons) or "ok") \
            if w["verdict"] != "not testable" or row["test"] == "mixed" else "not tested"
        rows.append(row)

    table = pd.DataFrame(rows, columns=HYPOTHESES_REPORT_COLUMNS)
    table["p_adj"] = stats.adjust_p(table["p_unc"].to_numpy(dtype=float), adjust)
    tested = table["p_adj"].notna()
    significant = tested & (table["p_adj"] < alpha)
    table["verdict"] = "not testable"
    table.loc[tested, "verdict"] = "not supported"
    table.loc[significant & (table["estimate"] > 0), "verdict"] = "supported"
    table.loc[significant & (table["estimate"] < 0), "verdict"] = "contrary"
    for col in ("labs_higher", "labs_lower"):
        table[col] = table[col].astype("Int64")
    for col in ("n_higher", "n_lower"):
        table[col] = table[col].astype("int64")
    return table


def _invariance_lookup(responses: ResponseSet, summary: pd.DataFrame,
                       welch: pd.DataFrame) -> dict[int, str]:
    """Hypothesis row -> the invariance part of its ``comparison_support``."""
    inst = responses.instrument
    found: dict[tuple[str, frozenset[str], str], object] = {}
    for r in summary.to_dict("records"):
        groups = frozenset(str(r["groups"]).split("|")) if r["groups"] else frozenset()
        found[(r["by"], groups, r["construct"])] = r
    # hypotheses whose two groups were not modelled on their own: fit them, once per pair
    wanted: dict[tuple[str, str, str], list[str]] = {}
    for h, w in zip(inst.hypotheses, welch.to_dict("records"), strict=True):
        if w["verdict"] == "not testable":
            continue
        if (h.by, frozenset((h.higher, h.lower)), h.construct) not in found:
            wanted.setdefault((h.by, h.higher, h.lower), []).append(h.construct)
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
