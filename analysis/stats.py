"""Statistical primitives shared by the comparison and hypothesis tables.

One place for each formula. Every function works on group summaries (size ``n``, mean
and variance with ``ddof=1``) or on plain arrays, accepts numpy arrays so that many
constructs or pairs are computed at once, and returns ``nan`` where a statistic is
undefined (a zero standard error, a zero pooled standard deviation) instead of raising:
the callers turn those cases into a note in their tables.

The formulas, with the R call each is checked against in ``tests/reference/compare.R``:

Welch's t (two groups, unequal variances), R ``t.test(var.equal = FALSE)``
    :math:`t = (\\bar x_a - \\bar x_b) / \\sqrt{s_a^2/n_a + s_b^2/n_b}`, Welch-Satterthwaite
    :math:`\\nu = (s_a^2/n_a + s_b^2/n_b)^2 / [(s_a^2/n_a)^2/(n_a-1) + (s_b^2/n_b)^2/(n_b-1)]`.
Games-Howell, R ``ptukey(sqrt(2) * abs(t), k, df, lower.tail = FALSE)``
    the Welch t and df of each pair, with the p-value from the studentized range
    distribution for ``k`` groups; already family-wise over the ``k(k-1)/2`` pairs.
Hedges' g and its confidence interval
    :math:`g = J d`, :math:`d = (\\bar x_a - \\bar x_b) / s_p`,
    :math:`s_p = \\sqrt{((n_a-1)s_a^2 + (n_b-1)s_b^2)/(n_a+n_b-2)}`,
    :math:`J = 1 - 3/(4(n_a+n_b) - 9)`; interval
    :math:`g \\pm t_{1-(1-c)/2,\\,n_a+n_b-2} \\cdot SE`,
    :math:`SE = \\sqrt{(n_a+n_b)/(n_a n_b) + g^2/(2(n_a+n_b))}` (the Hedges & Olkin
    normal-approximation standard error with a t critical value, as pingouin's
    ``compute_esci`` and R ``effsize::cohen.d(noncentral = FALSE)`` use).
Welch's ANOVA, R ``oneway.test(var.equal = FALSE)``
    weights :math:`w_i = n_i/s_i^2`, :math:`\\tilde m = \\sum w_i \\bar x_i / \\sum w_i`,
    :math:`\\Lambda = 3 \\sum (1 - w_i/\\sum w)^2/(n_i-1) / (k^2-1)`,
    :math:`F = [\\sum w_i(\\bar x_i - \\tilde m)^2/(k-1)] / [1 + 2\\Lambda(k-2)/3]`,
    :math:`df_1 = k-1`, :math:`df_2 = 1/\\Lambda`.
Omega squared for Welch's ANOVA
    :math:`\\hat\\omega^2 = df_1(F-1) / (df_1(F-1) + N)` (Kroes & Finley 2023), not
    truncated at zero: a negative value means the groups differ less than chance alone
    would make them.
Kruskal-Wallis, R ``kruskal.test``
    :math:`H` on mid-ranks with the tie correction
    :math:`1 - \\sum(t^3-t)/(N^3-N)`, ``df = k - 1``, chi-squared p-value; effect size
    :math:`\\varepsilon^2 = H/(N-1)` (Tomczak & Tomczak 2014).
Design effect of respondents nested in labs (Kish)
    :math:`DE = 1 + (m - 1) ICC` with ``m`` respondents per lab; used by the ICC table
    of :mod:`analysis.multilevel` and by :mod:`analysis.planning`.
Two one-sided tests (TOST) of equivalence, as ``pingouin.tost``
    for a difference ``est`` with standard error ``se`` on ``df`` degrees of freedom and
    the equivalence bounds ``±b``: :math:`p = \\max(P(T > (est + b)/se), P(T < (est -
    b)/se))`; a small p says the difference lies inside ``±b`` (Schuirmann 1987).
p-value adjustment, R ``p.adjust(method = "holm" | "BH")``
    as :func:`pingouin.multicomp` does, which leaves ``nan`` entries out of the family.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from numpy.typing import ArrayLike

__all__ = [
    "ADJUST_METHODS",
    "KruskalResult",
    "WelchAnova",
    "WelchT",
    "adjust_p",
    "design_effect",
    "games_howell_p",
    "hedges_g",
    "kruskal_wallis",
    "omega_squared_welch",
    "tost_p",
    "verdicts",
    "welch_anova",
    "welch_t",
]

#: p-value adjustments offered: Holm (family-wise), Benjamini-Hochberg (FDR), none.
ADJUST_METHODS = ("holm", "fdr_bh", "none")


class WelchT(NamedTuple):
    """Welch's two-sample t-test: difference ``a - b``, its SE, t, df, two-sided p."""

    diff: np.ndarray
    se: np.ndarray
    t: np.ndarray
    df: np.ndarray
    p: np.ndarray


class WelchAnova(NamedTuple):
    """Welch's one-way ANOVA: F, its two degrees of freedom and the p-value."""

    f: float
    df1: float
    df2: float
    p: float


class KruskalResult(NamedTuple):
    """Kruskal-Wallis test: tie-corrected H, df, p and epsilon squared."""

    h: float
    df: float
    p: float
    epsilon_sq: float


def welch_t(
    n_a: ArrayLike,
    mean_a: ArrayLike,
    var_a: ArrayLike,
    n_b: ArrayLike,
    mean_b: ArrayLike,
    var_b: ArrayLike,
) -> WelchT:
    """Welch's unequal-variance t-test from group summaries.

    Parameters
    ----------
    n_a, mean_a, var_a : array_like
        Size, mean and variance (``ddof=1``) of group a.
    n_b, mean_b, var_b : array_like
        The same for group b.

    Returns
    -------
    WelchT
        ``diff`` (mean a minus mean b), ``se``, ``t``, ``df`` (Welch-Satterthwaite) and
        the two-sided ``p``, as arrays; ``nan`` where the standard error is zero.

    Examples
    --------
    >>> r = welch_t(10, 3.2, 0.5, 12, 2.7, 0.9)   # R: t.test(x, y, var.equal = FALSE)
    >>> round(float(r.t), 6), round(float(r.df), 4)
    (1.414214, 19.8)
    """
    import numpy as np

    from analysis.distributions import t_sf

    n_a, mean_a, var_a, n_b, mean_b, var_b = (
        np.asarray(v, dtype=float) for v in (n_a, mean_a, var_a, n_b, mean_b, var_b)
    )
    ua, ub = var_a / n_a, var_b / n_b
    se2 = ua + ub
    diff = mean_a - mean_b
    with np.errstate(divide="ignore", invalid="ignore"):
        se = np.where(se2 > 0, np.sqrt(se2), np.nan)
        t = diff / se
        df = se2**2 / (ua**2 / (n_a - 1) + ub**2 / (n_b - 1))
        df = np.where(se2 > 0, df, np.nan)
    p = 2 * t_sf(np.abs(t), df)
    return WelchT(diff, se, t, df, p)


def games_howell_p(t: ArrayLike, df: ArrayLike, k: int) -> np.ndarray:
    """Games-Howell p-value of a pair's Welch t among ``k`` groups.

    The p-value comes from the studentized range distribution,
    ``P(Q > sqrt(2)|t|)`` with ``k`` groups and the pair's Welch df, so it is already
    adjusted over the ``k(k-1)/2`` pairs. With ``k = 2`` it equals the two-sided Welch
    t p-value.

    Parameters
    ----------
    t, df : array_like
        Welch t and degrees of freedom of each pair (see :func:`welch_t`).
    k : int
        Number of groups compared.

    Returns
    -------
    numpy.ndarray
        p-values; ``nan`` where ``t`` or ``df`` is ``nan``.

    Examples
    --------
    >>> # R: ptukey(sqrt(2) * 2.5, 3, 20.5, lower.tail = FALSE)
    >>> round(float(games_howell_p(2.5, 20.5, 3)), 6)
    0.05263
    """
    import numpy as np

    from analysis.distributions import studentized_range_sf

    t = np.asarray(t, dtype=float)
    df = np.asarray(df, dtype=float)
    out = np.full(np.broadcast(t, df).shape, np.nan)
    ok = np.isfinite(t) & np.isfinite(df)
    if np.any(ok):
        q = np.sqrt(2.0) * np.abs(np.broadcast_to(t, out.shape)[ok])
        out[ok] = studentized_range_sf(q, k, np.broadcast_to(df, out.shape)[ok])
    return out if out.shape else out[()]


def hedges_g(
    n_a: ArrayLike,
    mean_a: ArrayLike,
    var_a: ArrayLike,
    n_b: ArrayLike,
    mean_b: ArrayLike,
    var_b: ArrayLike,
    confidence: float = 0.95,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hedges' g of ``a - b`` with its confidence interval.

    Parameters
    ----------
    n_a, mean_a, var_a, n_b, mean_b, var_b : array_like
        Group summaries (variance with ``ddof=1``).
    confidence : float
        Coverage of the interval (default 0.95).

    Returns
    -------
    tuple of numpy.ndarray
        ``(g, ci_low, ci_high)``. The standard deviation is the pooled one and the small
        sample correction is ``J = 1 - 3/(4(n_a + n_b) - 9)``; the interval is
        ``g ± t_crit * sqrt((n_a+n_b)/(n_a n_b) + g²/(2(n_a+n_b)))`` with ``t_crit`` on
        ``n_a + n_b - 2`` df. ``nan`` where the pooled standard deviation is zero.

    Examples
    --------
    >>> g, lo, hi = hedges_g(10, 3.2, 0.5, 12, 2.7, 0.9)
    >>> round(float(g), 6), round(float(lo), 6), round(float(hi), 6)
    (0.566879, -0.343894, 1.477652)
    """
    import numpy as np

    from analysis.distributions import t_ppf

    n_a, mean_a, var_a, n_b, mean_b, var_b = (
        np.asarray(v, dtype=float) for v in (n_a, mean_a, var_a, n_b, mean_b, var_b)
    )
    n = n_a + n_b
    pooled = ((n_a - 1) * var_a + (n_b - 1) * var_b) / (n - 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        sp = np.where(pooled > 0, np.sqrt(pooled), np.nan)
        g = (mean_a - mean_b) / sp * (1 - 3 / (4 * n - 9))
        se = np.sqrt(n / (n_a * n_b) + g**2 / (2 * n))
    crit = t_ppf(1 - (1 - confidence) / 2, n - 2)
    return g, g - crit * se, g + crit * se


def welch_anova(n: ArrayLike, mean: ArrayLike, var: ArrayLike) -> WelchAnova:
    """Welch's one-way ANOVA from group summaries.

    Parameters
    ----------
    n, mean, var : array_like
        Size, mean and variance (``ddof=1``) of each of ``k >= 2`` groups.

    Returns
    -------
    WelchAnova
        ``f``, ``df1 = k - 1``, ``df2`` and ``p``; all ``nan`` when a group has fewer than
        2 values or zero variance (the weights ``n/s²`` are then undefined).

    Examples
    --------
    >>> r = welch_anova([10, 12, 8], [3.2, 2.7, 3.6], [0.5, 0.9, 0.4])
    >>> round(r.f, 6), round(r.df2, 4)   # R: oneway.test(y ~ g, var.equal = FALSE)
    (3.132271, 17.7373)
    """
    import numpy as np

    from analysis.distributions import f_sf

    n, mean, var = (np.asarray(v, dtype=float) for v in (n, mean, var))
    k = n.size
    if k < 2 or np.any(n < 2) or np.any(~(var > 0)):
        return WelchAnova(np.nan, np.nan, np.nan, np.nan)
    w = n / var
    sw = w.sum()
    m = (w * mean).sum() / sw
    lam = 3 * ((1 - w / sw) ** 2 / (n - 1)).sum() / (k**2 - 1)
    f = ((w * (mean - m) ** 2).sum() / (k - 1)) / (1 + 2 * lam * (k - 2) / 3)
    df1, df2 = float(k - 1), float(1 / lam)
    return WelchAnova(float(f), df1, df2, float(f_sf(f, df1, df2)))


def omega_squared_welch(f: float, df1: float, n_total: float) -> float:
    """Estimated omega squared from Welch's F: ``df1 (F - 1) / (df1 (F - 1) + N)``.

    Not truncated at zero (Kroes & Finley 2023, *Psychological Methods*).

    Parameters
    ----------
    f : float
        Welch's F.
    df1 : float
        Its numerator degrees of freedom, ``k - 1``.
    n_total : float
        Respondents over all groups.

    Returns
    -------
    float
        Omega squared; negative when F < 1.

    Examples
    --------
    >>> round(omega_squared_welch(3.1322714531, 2, 30), 6)
    0.124459
    """
    a = df1 * (f - 1)
    return float(a / (a + n_total))


def design_effect(m: float, icc: float) -> float:
    """Kish's design effect ``1 + (m - 1) icc`` of clusters of ``m`` respondents.

    Parameters
    ----------
    m : float
        Respondents per cluster (lab); the mean size for unequal clusters.
    icc : float
        Intraclass correlation of the clusters.

    Returns
    -------
    float
        The factor by which clustering inflates the variance of a mean; the effective
        sample size is ``N / DE``.

    Examples
    --------
    >>> design_effect(10, 0.1)   # 1 + 9 * 0.1
    1.9
    """
    return 1.0 + (m - 1.0) * icc


def kruskal_wallis(samples: Sequence[ArrayLike]) -> KruskalResult:
    """Kruskal-Wallis rank test with the tie correction, and epsilon squared.

    Parameters
    ----------
    samples : sequence of array_like
        The values of each group (no missing values).

    Returns
    -------
    KruskalResult
        ``h``, ``df = k - 1``, ``p`` (chi-squared) and ``epsilon_sq = H / (N - 1)``;
        all ``nan`` when every value is the same (no ranks to compare) or ``k < 2``.

    Examples
    --------
    >>> r = kruskal_wallis([[1, 2, 2, 3], [3, 4, 4, 5], [2, 3, 5, 5]])
    >>> round(r.h, 6), r.df   # R: kruskal.test(list(...))
    (5.197802, 2.0)
    """
    import numpy as np

    from analysis.distributions import chi2_sf, rankdata

    arrays = [np.asarray(s, dtype=float) for s in samples]
    k = len(arrays)
    values = np.concatenate(arrays) if arrays else np.array([])
    n_total = values.size
    if k < 2 or n_total < 2:
        return KruskalResult(np.nan, np.nan, np.nan, np.nan)
    ranks = rankdata(values)
    _, counts = np.unique(values, return_counts=True)
    correction = 1 - (counts**3 - counts).sum() / (n_total**3 - n_total)
    if correction <= 0:
        return KruskalResult(np.nan, float(k - 1), np.nan, np.nan)
    bounds = np.cumsum([0] + [a.size for a in arrays])
    rank_sums = np.array([ranks[bounds[i]:bounds[i + 1]].sum() for i in range(k)])
    sizes = np.diff(bounds)
    h = (12 / (n_total * (n_total + 1)) * (rank_sums**2 / sizes).sum() - 3 * (n_total + 1))
    h /= correction
    df = float(k - 1)
    return KruskalResult(float(h), df, float(chi2_sf(h, df)), float(h / (n_total - 1)))


def adjust_p(p: ArrayLike, method: str = "holm") -> np.ndarray:
    """Adjust a family of p-values for multiplicity.

    Parameters
    ----------
    p : array_like
        The family's p-values; ``nan`` entries (tests not computed) are left out of the
        family and stay ``nan``.
    method : {"holm", "fdr_bh", "none"}
        Holm's step-down (family-wise error), Benjamini-Hochberg (false discovery rate)
        or no adjustment.

    Returns
    -------
    numpy.ndarray
        Adjusted p-values in the input order.

    Examples
    --------
    >>> adjust_p([0.01, 0.02, 0.03, 0.04], "holm").tolist()  # R: p.adjust(p, "holm")
    [0.04, 0.06, 0.06, 0.06]
    >>> adjust_p([0.01, float("nan"), 0.04], "fdr_bh").tolist()
    [0.02, nan, 0.04]
    """
    import numpy as np

    if method not in ADJUST_METHODS:
        raise ValueError(f"unknown adjustment {method!r}; use one of {', '.join(ADJUST_METHODS)}")
    arr = np.asarray(p, dtype=float).copy()
    if method == "none" or arr.size == 0 or np.all(np.isnan(arr)):
        return arr
    # the finite p-values are the family; each step as pingouin.multicomp (0.7) takes
    # it, so the numbers are the same to the last bit (and pingouin is not imported)
    finite = ~np.isnan(arr)
    family = arr[finite]
    adjusted = np.full(arr.shape, np.nan)
    if method == "holm":
        # the running maximum of the sorted p-values times m, m - 1, ..., 1
        order = np.argsort(family)
        out = np.empty(family.size)
        out[order] = np.maximum.accumulate(family[order] * np.arange(family.size, 0, -1))
        adjusted[finite] = np.clip(out, None, 1)
    else:  # fdr_bh, as scipy.stats.false_discovery_control(method="bh")
        m = family.size
        if m <= 1:
            adjusted[finite] = family
        else:
            order = np.argsort(family)
            sorted_ps = family[order] * (m / np.arange(1, m + 1, dtype=float))
            np.minimum.accumulate(sorted_ps[::-1], out=sorted_ps[::-1])
            out = np.empty(m)
            out[order] = sorted_ps
            adjusted[finite] = np.clip(out, 0.0, 1.0)
    return adjusted


def tost_p(estimate: ArrayLike, se: ArrayLike, df: ArrayLike, bound: ArrayLike) -> np.ndarray:
    """p-value of the two one-sided tests (TOST) that a difference lies inside ``±bound``.

    Parameters
    ----------
    estimate : array_like
        The estimated difference.
    se : array_like
        Its standard error.
    df : array_like
        Degrees of freedom of its t distribution.
    bound : array_like
        The equivalence bound (positive, in the units of ``estimate``).

    Returns
    -------
    numpy.ndarray
        ``max(P(T > (estimate + bound) / se), P(T < (estimate - bound) / se))``;
        ``nan`` where an input is missing or ``se`` is not positive.

    Examples
    --------
    >>> # pingouin.tost([4, 7, 8, 6, 3, 2], [6, 8, 7, 10, 11, 9], bound=1,
    >>> #               correction=False): pval = 0.965097 (Student t, 10 df)
    >>> import numpy as np
    >>> a, b = np.array([4, 7, 8, 6, 3, 2.0]), np.array([6, 8, 7, 10, 11, 9.0])
    >>> se = np.sqrt(((5 * a.var(ddof=1) + 5 * b.var(ddof=1)) / 10) * (1 / 6 + 1 / 6))
    >>> round(float(tost_p(a.mean() - b.mean(), se, 10, 1.0)), 6)
    0.965097
    """
    import numpy as np

    from analysis.distributions import t_cdf, t_sf

    est, se, df, bound = (np.asarray(v, dtype=float) for v in (estimate, se, df, bound))
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = (se > 0) & (df > 0) & np.isfinite(est) & np.isfinite(bound)
        se_ok = np.where(ok, se, 1.0)
        df_ok = np.where(ok, df, 1.0)
        lower = t_sf((est + bound) / se_ok, df_ok)
        upper = t_cdf((est - bound) / se_ok, df_ok)
    out = np.where(ok, np.maximum(lower, upper), np.nan)
    return out if out.shape else out[()]


def verdicts(effect: ArrayLike, p_adj: ArrayLike, alpha: float = 0.05,
             p_equivalence: ArrayLike | None = None) -> np.ndarray:
    """The verdict of each directional hypothesis from its signed effect and adjusted p.

    ``effect`` is signed so that positive means as predicted. A hypothesis whose
    ``p_adj`` is ``nan`` was not tested.

    Parameters
    ----------
    effect : array_like
        Predicted-higher group minus the other (difference, estimate or g).
    p_adj : array_like
        Adjusted two-sided p-values.
    alpha : float, default 0.05
        Significance level after adjustment.
    p_equivalence : array_like, optional
        Adjusted TOST p-values (:func:`tost_p`): a hypothesis whose difference is not
        significant but whose TOST p is below ``alpha`` is ``equivalent``.

    Returns
    -------
    numpy.ndarray of str
        ``supported`` (as predicted, significant), ``contrary`` (opposite, significant),
        ``equivalent`` (not significant, and shown to lie inside the equivalence
        bounds), ``not supported`` (not significant) or ``not testable``.

    Examples
    --------
    >>> verdicts([0.4, -0.5, 0.1, 0.3], [0.01, 0.02, 0.40, float("nan")]).tolist()
    ['supported', 'contrary', 'not supported', 'not testable']
    >>> verdicts([0.4, 0.02, 0.1], [0.01, 0.80, 0.40], p_equivalence=[0.9, 0.01, 0.2]).tolist()
    ['supported', 'equivalent', 'not supported']
    """
    import numpy as np

    eff = np.asarray(effect, dtype=float)
    p = np.asarray(p_adj, dtype=float)
    out = np.full(p.shape, "not testable", dtype=object)
    tested = ~np.isnan(p)
    significant = tested & (p < alpha)
    out[tested] = "not supported"
    if p_equivalence is not None:
        p_eq = np.asarray(p_equivalence, dtype=float)
        with np.errstate(invalid="ignore"):
            out[tested & ~significant & (p_eq < alpha)] = "equivalent"
    out[significant & (eff > 0)] = "supported"
    out[significant & (eff < 0)] = "contrary"
    return out
