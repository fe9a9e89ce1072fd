"""Sample size for comparing two groups of labs: how many labs, how many per lab.

Before fielding, a study comparing two regions needs to know how many labs to recruit
and how many people to ask in each, to detect a standardised difference ``d`` with a
given power. Respondents in one lab answer alike (intraclass correlation ``icc``), so
each extra respondent in a lab adds less than an independent one.

The model
---------
Groups a and b with ``J_a`` and ``J_b = ceil(ratio * J_a)`` labs of ``m`` respondents
each. The design effect is ``DE = 1 + (m - 1) icc`` and the effective sample size of a
group ``n_eff = J m / DE``. The comparison is the two-sided t-test of the lab-aware
analysis (:mod:`analysis.multilevel`; with equal lab sizes the random-intercept model's
test equals a t-test on lab means) with ``df = J_a + J_b - 2`` and noncentrality
``delta = d sqrt(n_eff_a n_eff_b / (n_eff_a + n_eff_b))``; power is
``P(|T| > t_crit)`` for the noncentral t. This is the same as powering a t-test on the
lab means with the lab-level effect ``d / sqrt(icc + (1 - icc) / m)``.

The unclustered reference is the ordinary two-sample t-test on ``n_a + n_b - 2`` df
(statsmodels' ``TTestIndPower``), the sample size a calculation that ignores the labs
would give.

What a design can detect
------------------------
The same model read the other way round is a sensitivity analysis: given the labs of
each group, their sizes ``m_j`` and the ICC, :func:`detectable_effect` finds the
smallest standardised difference the lab-aware test detects with the target power. With
labs of unequal size the effective size of a group is
``sum_j m_j / (1 + (m_j - 1) icc)`` (:func:`effective_n`); that is exactly the
precision of the random-intercept model's estimate of the group mean when the variance
components are known, so the report's per-hypothesis ``mde`` and ``survey plan``'s
sensitivity mode are one formula.

When the labs bind
------------------
However many respondents a lab has, ``n_eff`` per lab is at most ``1 / icc``
(``m / DE`` tends to it as ``m`` grows). With ``J`` labs per group the power is
therefore capped at the power of ``J / icc`` effective respondents on ``2J - 2`` df.
When that cap is below the target, no number of respondents per lab is enough: the
number of labs is the binding constraint, and the plan says how many labs are needed
at least.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from analysis.stats import design_effect
from survey.errors import SurveyError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "PLAN_COLUMNS",
    "Plan",
    "clustered_power",
    "detectable_effect",
    "effective_n",
    "plan_sensitivity",
    "plan_study",
    "plan_table",
    "ttest_power",
    "unclustered_n",
]

#: Columns of :func:`plan_table` (the fields of :class:`Plan`, in order).
PLAN_COLUMNS = [
    "effect", "power", "alpha", "icc", "ratio", "n_unclustered_a", "n_unclustered_b",
    "per_lab", "design_effect", "labs_a", "labs_b", "n_a", "n_b", "n_effective_a",
    "n_effective_b", "df", "achieved_power", "max_power", "min_labs_a", "min_labs_b",
    "binding", "feasible",
]

_MAX = 10_000_000


@dataclass(frozen=True)
class Plan:
    """A sample-size plan for two groups of labs.

    Attributes
    ----------
    effect, power, alpha, icc, ratio : float
        The inputs: standardised difference, target power, two-sided alpha, ICC and
        the ratio of group b to group a (labs, and respondents when unclustered).
    n_unclustered_a, n_unclustered_b : float
        Respondents per group a t-test ignoring the labs would need (not rounded).
    per_lab : int or None
        Respondents per lab (``None`` when no number is enough).
    design_effect : float or None
        ``1 + (per_lab - 1) icc``.
    labs_a, labs_b : int
        Labs per group.
    n_a, n_b : int or None
        Respondents per group (``labs * per_lab``).
    n_effective_a, n_effective_b : float or None
        ``n / design_effect``.
    df : int
        Degrees of freedom of the lab-level test, ``labs_a + labs_b - 2``.
    achieved_power : float or None
        Power of the plan.
    max_power : float
        Power with these labs and unlimited respondents per lab.
    min_labs_a, min_labs_b : int
        Fewest labs per group that reach the power with unlimited respondents per lab.
    binding : str
        ``"labs"`` when the number of labs caps the power below the target, else ``""``.
    feasible : bool
        Whether the plan reaches the target power.
    """

    effect: float
    power: float
    alpha: float
    icc: float
    ratio: float
    n_unclustered_a: float
    n_unclustered_b: float
    per_lab: int | None
    design_effect: float | None
    labs_a: int
    labs_b: int
    n_a: int | None
    n_b: int | None
    n_effective_a: float | None
    n_effective_b: float | None
    df: int
    achieved_power: float | None
    max_power: float
    min_labs_a: int
    min_labs_b: int
    binding: str
    feasible: bool

    def as_dict(self) -> dict[str, object]:
        """The plan as a mapping in :data:`PLAN_COLUMNS` order.

        Returns
        -------
        dict
            Field name to value, keys in :data:`PLAN_COLUMNS` order (one row of
            :func:`plan_table`).
        """
        return {k: getattr(self, k) for k in PLAN_COLUMNS}


def ttest_power(effect: float, n_eff_a: float, n_eff_b: float, df: float,
                alpha: float = 0.05) -> float:
    """Two-sided power of a two-sample t-test with effective sizes and given df.

    ``P(|T| > t_{1-alpha/2, df})`` for ``T`` noncentral t with noncentrality
    ``effect * sqrt(n_a n_b / (n_a + n_b))``.

    Parameters
    ----------
    effect : float
        Standardised difference (Cohen's d); its sign does not matter.
    n_eff_a, n_eff_b : float
        Effective sizes of the two groups (respondents divided by the design effect).
    df : float
        Degrees of freedom of the test.
    alpha : float, default 0.05
        Two-sided significance level.

    Returns
    -------
    float
        Power; ``nan`` when ``df <= 0``.

    Examples
    --------
    >>> # statsmodels: TTestIndPower().power(0.5, 64, 0.05) = 0.801460
    >>> round(ttest_power(0.5, 64, 64, 126), 6)
    0.80146
    """
    from analysis.distributions import nct_cdf, nct_sf, t_isf

    if df <= 0:
        return float("nan")
    ncp = abs(effect) * math.sqrt(n_eff_a * n_eff_b / (n_eff_a + n_eff_b))
    crit = float(t_isf(alpha / 2, df))
    if ncp - crit > 40:  # beyond where scipy's noncentral t is accurate; power is 1
        return 1.0
    upper = float(nct_sf(crit, df, ncp))
    lower = float(nct_cdf(-crit, df, ncp))
    if not math.isfinite(upper):
        upper = _nct_tail(crit, df, ncp, upper=True)
    if not math.isfinite(lower):
        # scipy's far lower tail fails (nan) with few df and a large ncp
        lower = _nct_tail(-crit, df, ncp, upper=False)
    return upper + lower


def _nct_tail(x: float, df: float, ncp: float, *, upper: bool) -> float:
    """P(T > x) or P(T < x) for noncentral t, from its definition.

    ``T = (Z + ncp) / sqrt(V / df)`` with ``V`` chi-squared on ``df``, so
    ``P(T < x) = E_V[Phi(x sqrt(V / df) - ncp)]``, integrated numerically; used where
    scipy's noncentral t returns nan.
    """
    from analysis.distributions import chi2_pdf, norm_cdf
    from analysis.solvers import nquad

    def below(v: float) -> float:
        return float(norm_cdf(x * math.sqrt(v / df) - ncp)) * float(chi2_pdf(v, df))

    # scipy.integrate.quad(below, 0, inf, limit=200) with its default tolerances
    p = nquad(below, [(0.0, math.inf)], epsabs=1.49e-8, epsrel=1.49e-8, limit=200)
    p = min(max(p, 0.0), 1.0)
    return 1.0 - p if upper else p


def clustered_power(effect: float, labs_a: int, labs_b: int, per_lab: float, icc: float,
                    alpha: float = 0.05) -> float:
    """Power of the lab-level comparison (see the module docstring).

    ``per_lab`` may be ``math.inf`` for the cap with unlimited respondents per lab.

    Parameters
    ----------
    effect : float
        Standardised difference between the groups.
    labs_a, labs_b : int
        Labs in each group.
    per_lab : float
        Respondents per lab, or ``math.inf``.
    icc : float
        Intraclass correlation of the labs, ``0 <= icc < 1``.
    alpha : float, default 0.05
        Two-sided significance level.

    Returns
    -------
    float
        Power of the t-test on ``labs_a * m_eff`` and ``labs_b * m_eff`` effective
        respondents, ``m_eff = per_lab / (1 + (per_lab - 1) icc)``, with
        ``labs_a + labs_b - 2`` df.

    Examples
    --------
    >>> # methods reference: 12 labs x 8 per group, d = .4, ICC .15 -> power .46
    >>> round(clustered_power(0.4, 12, 12, 8, 0.15), 2)
    0.46
    """
    per_lab_eff = (1.0 / icc if icc > 0 else math.inf) if math.isinf(per_lab) else (
        per_lab / design_effect(per_lab, icc))
    if math.isinf(per_lab_eff):
        return 1.0
    return ttest_power(effect, labs_a * per_lab_eff, labs_b * per_lab_eff,
                       labs_a + labs_b - 2, alpha)


def effective_n(sizes: Sequence[float], icc: float) -> float:
    """Effective number of independent respondents of labs of the given sizes.

    ``sum_j m_j / (1 + (m_j - 1) icc)``: each lab of ``m_j`` respondents counts as its
    size divided by its design effect (:func:`analysis.stats.design_effect`).

    Parameters
    ----------
    sizes : sequence of float
        Respondents in each lab of the group.
    icc : float
        Intraclass correlation, ``0 <= icc < 1``.

    Returns
    -------
    float

    Examples
    --------
    >>> effective_n([10, 10], 0.1)   # 2 x 10 / 1.9
    10.526315789473685
    >>> round(effective_n([25, 60], 0.0), 6)
    85.0
    """
    return float(sum(m / design_effect(m, icc) for m in sizes))


def detectable_effect(n_eff_a: float, n_eff_b: float, df: float, *, power: float = 0.8,
                      alpha: float = 0.05) -> float:
    """Smallest standardised difference a two-sided t-test detects with ``power``.

    The inverse of :func:`ttest_power` in the effect: the ``d`` with
    ``ttest_power(d, n_eff_a, n_eff_b, df, alpha) = power``.

    Parameters
    ----------
    n_eff_a, n_eff_b : float
        Effective sizes of the two groups (:func:`effective_n` for labs).
    df : float
        Degrees of freedom of the test (labs - 2 for the lab-level comparison).
    power : float, default 0.8
        Target power.
    alpha : float, default 0.05
        Two-sided significance level.

    Returns
    -------
    float
        The detectable standardised difference; ``nan`` when ``df < 1`` or a size is
        not positive.

    Examples
    --------
    >>> # pingouin: power_ttest(n=64, power=0.8) gives d = 0.4991
    >>> round(detectable_effect(64, 64, 126), 4)
    0.4991
    """
    from analysis.solvers import brentq

    _check(1.0, power, alpha, 0.0, 1.0)
    if not (df >= 1 and n_eff_a > 0 and n_eff_b > 0):
        return float("nan")

    def gap(d: float) -> float:
        return ttest_power(d, n_eff_a, n_eff_b, df, alpha) - power

    hi = 1.0
    while gap(hi) < 0:
        hi *= 2
        if hi > 1e6:  # pragma: no cover - needs an absurd design
            return float("inf")
    return float(brentq(gap, 0.0, hi, xtol=1e-12, rtol=1e-12))


def plan_sensitivity(labs: int, per_lab: int, *, power: float = 0.8, alpha: float = 0.05,
                     icc: float = 0.10, ratio: float = 1.0) -> float:
    """Smallest standardised difference a planned design detects with ``power``.

    Group a has ``labs`` labs and group b ``ceil(ratio * labs)``, each of ``per_lab``
    respondents; the test is the lab-aware t-test on ``labs_a + labs_b - 2`` df.

    Parameters
    ----------
    labs : int
        Labs in group a (at least 2).
    per_lab : int
        Respondents per lab (at least 1).
    power, alpha, icc, ratio : float
        As :func:`plan_study`.

    Returns
    -------
    float

    Examples
    --------
    >>> # pingouin: power_ttest(n=13, power=0.8) * sqrt(0.1 + 0.9 / 10) = 0.49926
    >>> # (the lab-level effect of 13 + 13 labs, in respondent-level SD units)
    >>> round(plan_sensitivity(13, 10), 5)
    0.49926
    """
    _check(1.0, power, alpha, icc, ratio)
    _whole(labs, "the number of labs", 2)
    _whole(per_lab, "respondents per lab", 1)
    labs_b = _labs_b(labs, ratio)
    return detectable_effect(effective_n([per_lab] * labs, icc),
                             effective_n([per_lab] * labs_b, icc), labs + labs_b - 2,
                             power=power, alpha=alpha)


def unclustered_n(effect: float, power: float = 0.8, alpha: float = 0.05,
                  ratio: float = 1.0) -> float:
    """Respondents in group a for a two-sample t-test ignoring clustering (not rounded).

    Group b has ``ratio`` times as many; the same as statsmodels'
    ``TTestIndPower().solve_power(effect, nobs1=None, alpha=alpha, power=power,
    ratio=ratio)``.

    Parameters
    ----------
    effect : float
        Standardised difference, above 0.
    power : float, default 0.8
        Target power.
    alpha : float, default 0.05
        Two-sided significance level.
    ratio : float, default 1.0
        Size of group b relative to group a.

    Returns
    -------
    float
        Respondents in group a, not rounded up.

    Raises
    ------
    SurveyError
        For an option out of range.

    Examples
    --------
    >>> round(unclustered_n(0.5), 4)
    63.7656
    """
    from analysis.solvers import brentq

    _check(effect, power, alpha, 0.0, ratio)

    def gap(n: float) -> float:
        return ttest_power(effect, n, ratio * n, n + ratio * n - 2, alpha) - power

    lo = max(2.0, 1.0 / ratio + 1.0) + 1e-9
    if gap(lo) >= 0:
        return lo
    hi = 2 * lo
    while gap(hi) < 0:
        lo, hi = hi, 2 * hi
    return float(brentq(gap, lo, hi, xtol=1e-10, rtol=1e-12))


def _labs_b(labs_a: int, ratio: float) -> int:
    return max(1, math.ceil(ratio * labs_a - 1e-9))


def _smallest(ok, start: int) -> int | None:
    """Smallest integer >= start with ok(k) true (ok monotone), None if beyond _MAX."""
    if ok(start):
        return start
    hi = start
    while not ok(hi):
        if hi >= _MAX:
            return None
        hi = min(hi * 2, _MAX)
    lo = hi // 2 if hi // 2 >= start else start
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid
    return hi


def plan_study(
    effect: float,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    icc: float = 0.10,
    per_lab: int | None = None,
    labs: int | None = None,
    ratio: float = 1.0,
) -> Plan:
    """Plan labs and respondents per lab to detect ``effect`` between two groups.

    Give ``per_lab`` to get the labs needed, or ``labs`` (per group a; group b gets
    ``ceil(ratio * labs)``) to get the respondents per lab needed.

    Parameters
    ----------
    effect : float
        Standardised difference to detect (Cohen's d on the respondent level).
    power : float
        Target power (default 0.8).
    alpha : float
        Two-sided significance level (default 0.05).
    icc : float
        Intraclass correlation of the construct within labs (default 0.10).
    per_lab : int, optional
        Respondents per lab.
    labs : int, optional
        Labs in group a.
    ratio : float
        Group b relative to group a (default 1).

    Returns
    -------
    Plan

    Raises
    ------
    SurveyError
        Both or neither of ``per_lab`` and ``labs``, or a value out of range.

    Examples
    --------
    >>> p = plan_study(0.5, icc=0.10, per_lab=10)
    >>> # pingouin: power_ttest(d=0.5 / sqrt(0.1 + 0.9 / 10), n=13) = 0.8012 (12: 0.7659)
    >>> p.labs_a, p.n_a, round(p.design_effect, 2), round(p.achieved_power, 4)
    (13, 130, 1.9, 0.8012)
    >>> q = plan_study(0.5, icc=0.10, labs=4)
    >>> # cap: power_ttest(d=0.5 / sqrt(0.1), n=4) = 0.4674; 8 labs are needed at least
    >>> q.binding, q.feasible, q.min_labs_a, round(q.max_power, 4)
    ('labs', False, 8, 0.4674)
    """
    _check(effect, power, alpha, icc, ratio)
    if (per_lab is None) == (labs is None):
        raise SurveyError("give either the respondents per lab or the number of labs, "
                          "not both or neither")
    n_a = unclustered_n(effect, power, alpha, ratio)

    def reaches(labs_a: int, m: float) -> bool:
        return clustered_power(effect, labs_a, _labs_b(labs_a, ratio), m, icc,
                               alpha) >= power

    min_labs = _smallest(lambda j: reaches(j, math.inf), 2)
    if min_labs is None:  # pragma: no cover - needs an absurdly small effect
        raise SurveyError(f"effect {effect:g} is too small to plan for")
    base = {"effect": float(effect), "power": float(power), "alpha": float(alpha),
            "icc": float(icc), "ratio": float(ratio), "n_unclustered_a": n_a,
            "n_unclustered_b": ratio * n_a, "min_labs_a": min_labs,
            "min_labs_b": _labs_b(min_labs, ratio)}
    if per_lab is not None:
        _whole(per_lab, "respondents per lab", 1)
        labs_a = _smallest(lambda j: reaches(j, per_lab), 2)
        if labs_a is None:  # pragma: no cover
            raise SurveyError("no number of labs reaches that power")
        m: int | None = per_lab
    else:
        _whole(labs, "the number of labs", 2)
        labs_a = int(labs)
        m = _smallest(lambda k: reaches(labs_a, k), 1) if reaches(labs_a, math.inf) else None
    labs_b = _labs_b(labs_a, ratio)
    max_power = clustered_power(effect, labs_a, labs_b, math.inf, icc, alpha)
    if m is None:
        return Plan(**base, per_lab=None, design_effect=None, labs_a=labs_a, labs_b=labs_b,
                    n_a=None, n_b=None, n_effective_a=None, n_effective_b=None,
                    df=labs_a + labs_b - 2, achieved_power=None, max_power=max_power,
                    binding="labs", feasible=False)
    de = design_effect(m, icc)
    return Plan(**base, per_lab=int(m), design_effect=de, labs_a=labs_a, labs_b=labs_b,
                n_a=labs_a * m, n_b=labs_b * m, n_effective_a=labs_a * m / de,
                n_effective_b=labs_b * m / de, df=labs_a + labs_b - 2,
                achieved_power=clustered_power(effect, labs_a, labs_b, m, icc, alpha),
                max_power=max_power, binding="", feasible=True)


def plan_table(
    effect: float,
    *,
    power: float = 0.8,
    alpha: float = 0.05,
    icc: float = 0.10,
    per_lab_values: tuple[int, ...] = (5, 10, 15, 20, 30, 50),
    ratio: float = 1.0,
) -> pd.DataFrame:
    """Plans for several lab sizes, one row each (:data:`PLAN_COLUMNS`).

    Parameters
    ----------
    effect : float
        Standardised difference to detect.
    power, alpha, icc, ratio : float
        As :func:`plan_study`.
    per_lab_values : tuple of int
        Respondents per lab, one plan each.

    Returns
    -------
    pandas.DataFrame
        One row per lab size, columns :data:`PLAN_COLUMNS`: ``effect, power, alpha, icc,
        ratio, n_unclustered_a, n_unclustered_b, per_lab, design_effect, labs_a, labs_b,
        n_a, n_b, n_effective_a, n_effective_b, df, achieved_power, max_power,
        min_labs_a, min_labs_b, binding, feasible``.

    Examples
    --------
    >>> t = plan_table(0.5, per_lab_values=(5, 10))
    >>> t["labs_a"].tolist()
    [19, 13]
    """
    import pandas as pd

    rows = [plan_study(effect, power=power, alpha=alpha, icc=icc, per_lab=m,
                       ratio=ratio).as_dict() for m in per_lab_values]
    return pd.DataFrame(rows, columns=PLAN_COLUMNS)


# ---- checks -------------------------------------------------------------------------------

def _check(effect: float, power: float, alpha: float, icc: float, ratio: float) -> None:
    checks = [
        (_finite(effect) and effect > 0, f"the effect must be a standardised difference "
                                         f"above 0, got {effect!r}"),
        (_finite(alpha) and 0 < alpha < 1, f"alpha must be between 0 and 1, got {alpha!r}"),
        (_finite(power) and 0 < power < 1 and (not _finite(alpha) or power > alpha),
         f"power must be between alpha and 1, got {power!r}"),
        (_finite(icc) and 0 <= icc < 1, f"the ICC must satisfy 0 <= icc < 1, got {icc!r}"),
        (_finite(ratio) and ratio > 0, f"the ratio must be above 0, got {ratio!r}"),
    ]
    for ok, message in checks:
        if not ok:
            raise SurveyError(message)


def _finite(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _whole(value: object, what: str, low: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise SurveyError(f"{what} must be a whole number of at least {low}, got {value!r}")
