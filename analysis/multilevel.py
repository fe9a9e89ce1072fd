"""Respondents nested in labs: ICCs, design effects, lab-aware tests and agreement.

People from one lab answer alike, so 40 respondents from 3 labs are not 40 independent
observations. This module measures how much the labs matter and re-tests the group
comparisons with the labs taken into account.

ICC(1), ICC(2) and the design effect (:func:`lab_icc`)
    From the one-way ANOVA of a construct's scores on ``lab``, with ``J`` labs of sizes
    ``n_j`` and ``N`` respondents: ``MSB = sum n_j (mean_j - mean)^2 / (J - 1)``,
    ``MSW = sum (y - mean_j)^2 / (N - J)``,

    - ``ICC(1) = (MSB - MSW) / (MSB + (n0 - 1) MSW)`` with the size for unequal labs
      ``n0 = (N - sum n_j^2 / N) / (J - 1)`` (the textbook estimator; Bliese's
      ``multilevel::ICC1`` uses the mean size ``N / J`` instead, which differs slightly
      when labs differ in size). It can be negative; it is reported as it is.
    - ``ICC(2) = (MSB - MSW) / MSB``, the reliability of the lab means.
    - the ``F = MSB / MSW`` test of ICC(1) > 0 on ``(J - 1, N - J)`` df.
    - design effect ``DE = 1 + (m - 1) ICC(1)`` with ``m = N / J`` the mean lab size
      (ICC(1) truncated at 0 here), and the effective sample size ``N / DE``.

    ICC(1) is unconditional: when the groups compared differ, part of the variance
    between labs is the group difference itself. Given the grouping question ``by``,
    :func:`lab_icc` also reports the ICC *conditional* on it, ``tau^2 / (tau^2 +
    sigma^2)`` from the REML fit of ``score ~ C(by) + (1 | lab)`` (the share of the
    variance left between labs of the same group), as
    ``nlme::lme(score ~ by, random = ~ 1 | lab)`` gives it.

The lab-aware comparison (:func:`compare_nested`, :func:`evaluate_hypotheses_nested`)
    A linear mixed model with a random intercept for lab,
    ``score ~ C(group) + (1 | lab)``, fitted by restricted maximum likelihood (REML), as
    R's ``nlme::lme(score ~ group, random = ~ 1 | lab)`` does by default. The one
    variance ratio ``lambda = tau^2 / sigma^2`` is found by maximising the profiled
    restricted likelihood (a grid over ``log lambda`` refined by a bounded Brent
    search, and ``lambda = 0`` tried as well); the fixed effects are then the
    generalised least squares estimates, ``sigma^2 = RSS / (N - p)`` and
    ``Cov(beta) = sigma^2 (X' V^-1 X)^-1``. This is the model statsmodels' ``MixedLM``
    fits; its gradient optimisers (0.15) can stop far from the optimum on well-posed
    data (reporting standard errors of millions), and the one-dimensional profile has
    no such failure, so the fit is computed here and checked against ``nlme`` in
    ``tests/reference/multilevel.R``.

    The test of a difference uses a t distribution with nlme's degrees of freedom
    instead of the normal (z) distribution statsmodels reports: when the grouping is a
    lab-level variable (every lab has one group, as region or lab type),
    ``df = labs - 2`` (labs minus the fixed parameters: intercept and difference);
    when it varies within labs (role, say), ``df = N - labs - 1``. ``p_method`` says
    which was used, and ``p_z`` gives the normal p-value beside it. The standardised
    difference is ``estimate / sqrt(tau^2 + sigma^2)`` (the difference in units of the
    total within-group standard deviation of the model).

    With fewer than ``min_labs`` (default 5) labs in a group the comparison rests on
    few labs: it is computed, but ``status`` is ``few labs`` and the note says so.
    With fewer than 2 labs in a group of a lab-level grouping, the group and its one
    lab cannot be told apart (the group difference is confounded with that lab's
    random intercept): the comparison is not computed and the note says so.

    Sensitivity. For each hypothesis, ``mde`` is the smallest standardised difference
    the lab-aware test detects with 80 % power (two-sided, unadjusted alpha) given the
    labs of each group, their sizes and the model's ICC ``tau^2 / (tau^2 + sigma^2)``
    (:func:`analysis.planning.detectable_effect`, the code of ``survey plan``); for a
    grouping that varies within labs, from the model's standard error of the
    difference.

The clusters
    Every function takes the cluster column as ``lab``; left out, it is the
    instrument's cluster question (``Instrument.cluster``: the ``cluster`` key of the
    YAML, by default the grouping question ``lab``). :func:`resolve_cluster` checks a
    user's choice.

r_wg(j) (:func:`lab_agreement`, :func:`agreement_summary`)
    Within-lab agreement on a construct's ``J`` items (James, Demaree & Wolf 1984):
    ``r_wg(j) = J (1 - s2 / e2) / (J (1 - s2 / e2) + s2 / e2)`` with ``s2`` the mean of
    the lab's item variances (``ddof = 1``) and ``e2 = (A^2 - 1) / 12`` the variance of
    a uniform answer on ``A`` points (2 on a 5-point scale). Set to 0 when
    ``s2 >= e2`` (no more agreement than chance). Reverse keying does not change a
    variance, so raw answers are used. By convention aggregation to lab means is
    supported when the median r_wg(j) is at least .70 (LeBreton & Senter 2008).
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import TYPE_CHECKING, NamedTuple

from survey.errors import SurveyError, did_you_mean
from survey.wording import count

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd
    from numpy.typing import ArrayLike

    from survey.instrument import Instrument

__all__ = [
    "AGREEMENT_COLUMNS",
    "AGREEMENT_SUMMARY_COLUMNS",
    "ICC_COLUMNS",
    "MIN_LABS",
    "NESTED_COLUMNS",
    "NESTED_HYPOTHESES_COLUMNS",
    "RandomInterceptFit",
    "agreement_summary",
    "compare_nested",
    "evaluate_hypotheses_nested",
    "fit_random_intercept",
    "lab_agreement",
    "lab_icc",
    "resolve_cluster",
    "without_few_labs",
]

#: A comparison with fewer labs than this in a group rests on few labs (status ``few labs``).
MIN_LABS = 5

#: Columns of :func:`lab_icc`, in order.
ICC_COLUMNS = [
    "construct", "n", "labs", "mean_lab_size", "n0", "msb", "msw", "f", "df1", "df2",
    "p_f", "icc1", "icc2", "design_effect", "n_effective", "note",
    "conditional_on", "icc_conditional", "tau2_conditional", "sigma2_conditional",
]
#: Columns of :func:`compare_nested`, in order.
NESTED_COLUMNS = [
    "construct", "by", "group_a", "group_b", "n_a", "n_b", "labs_a", "labs_b",
    "diff", "welch_se", "welch_df", "welch_p",
    "estimate", "se", "t", "df", "p_unc", "p_adj", "p_method", "p_z", "std_diff",
    "tau2", "sigma2", "icc_model", "status", "note",
]
#: Columns of :func:`evaluate_hypotheses_nested`, in order.
NESTED_HYPOTHESES_COLUMNS = [
    "hypothesis", "construct", "by", "predicted", "estimate", "se", "df", "t", "p_unc",
    "p_adj", "p_method", "std_diff", "std_ci_low", "std_ci_high", "verdict", "n_higher",
    "n_lower", "labs_higher", "labs_lower", "tau2", "sigma2", "status", "note",
    "icc_model", "mde",
]
#: Columns of :func:`lab_agreement`, in order.
AGREEMENT_COLUMNS = ["construct", "lab", "n", "items", "mean_var", "null_var", "rwg_j"]
#: Columns of :func:`agreement_summary`, in order.
AGREEMENT_SUMMARY_COLUMNS = [
    "construct", "labs", "median_rwg_j", "min_rwg_j", "max_rwg_j", "share_070",
]

class RandomInterceptFit(NamedTuple):
    """A random-intercept linear mixed model fitted by REML.

    ``beta`` and ``cov_beta`` are the fixed effects and their covariance, ``tau2`` the
    lab variance, ``sigma2`` the residual variance, ``n`` and ``labs`` the numbers of
    respondents and labs, ``loglik`` the maximised restricted log-likelihood (as
    ``nlme``'s ``logLik`` for a REML fit).
    """

    beta: np.ndarray
    cov_beta: np.ndarray
    tau2: float
    sigma2: float
    n: int
    labs: int
    loglik: float


def fit_random_intercept(y: ArrayLike, x: ArrayLike, lab: ArrayLike) -> RandomInterceptFit:
    """Fit ``y = X beta + u_lab + e`` by REML (as ``nlme::lme`` with ``method="REML"``).

    Parameters
    ----------
    y : array_like
        Outcome, one value per respondent (no missing values).
    x : array_like
        Fixed-effects design matrix (``n x p``, full column rank), intercept included.
    lab : array_like
        Lab of each respondent (any hashable codes).

    Returns
    -------
    RandomInterceptFit

    Raises
    ------
    SurveyError
        Fewer than 2 labs, no residual degrees of freedom, a rank-deficient design, or
        scores that do not vary once the fixed effects are taken out.

    Examples
    --------
    >>> import numpy as np
    >>> y = np.array([1.0, 2.0, 2.0, 3.0, 4.0, 4.0, 5.0, 6.0])
    >>> x = np.ones((8, 1))
    >>> fit = fit_random_intercept(y, x, ["a", "a", "b", "b", "c", "c", "d", "d"])
    >>> # balanced labs: REML = ANOVA, tau2 = (MSB - MSW) / 2, sigma2 = MSW
    >>> round(float(fit.beta[0]), 6), round(fit.tau2, 6), round(fit.sigma2, 6)
    (3.375, 2.875, 0.375)
    """
    import numpy as np

    from analysis.solvers import minimize_bounded

    y = np.asarray(y, dtype=float)
    x = np.asarray(x, dtype=float)
    if x.ndim == 1:
        x = x[:, None]
    codes, lab_index = np.unique(np.asarray(lab, dtype=object).astype(str), return_inverse=True)
    n, p = x.shape
    n_labs = codes.size
    if n_labs < 2:
        raise SurveyError("a random-intercept model needs at least 2 labs")
    if n - p < 1 or np.linalg.matrix_rank(x) < p:
        raise SurveyError("the mixed model has no residual degrees of freedom or a "
                          "rank-deficient design")
    sizes = np.bincount(lab_index, minlength=n_labs).astype(float)
    s_x = np.zeros((n_labs, p))
    np.add.at(s_x, lab_index, x)
    s_y = np.bincount(lab_index, weights=y, minlength=n_labs)
    xtx, xty, yty = x.T @ x, x.T @ y, float(y @ y)

    def parts(lam: float):
        c = lam / (1.0 + sizes * lam)
        a = xtx - (s_x * c[:, None]).T @ s_x
        b = xty - (s_x * (c * s_y)[:, None]).sum(axis=0)
        beta = np.linalg.solve(a, b)
        rss = yty - float(np.sum(c * s_y**2)) - float(b @ beta)
        return a, beta, max(rss, 1e-300)

    def neg_loglik(lam: float) -> float:
        # restricted log-likelihood with sigma2 profiled out:
        # (N - p) (log(2 pi sigma2) + 1) + sum log(1 + n_j lam) + log|a|, halved
        a, _, rss = parts(lam)
        sigma2 = rss / (n - p)
        _, logdet_a = np.linalg.slogdet(a)
        return 0.5 * ((n - p) * (np.log(2 * np.pi * sigma2) + 1.0)
                      + float(np.sum(np.log1p(sizes * lam))) + logdet_a)

    grid = np.linspace(-14.0, 8.0, 89)
    values = np.array([neg_loglik(float(np.exp(g))) for g in grid])
    k = int(np.argmin(values))
    lo, hi = grid[max(k - 1, 0)], grid[min(k + 1, grid.size - 1)]
    # scipy.optimize.minimize_scalar(method="bounded", options={"xatol": 1e-10})
    x, fun = minimize_bounded(lambda g: neg_loglik(float(np.exp(g))), lo, hi, xatol=1e-10)
    lam, best = float(np.exp(x)), float(fun)
    at_zero = neg_loglik(0.0)
    if at_zero <= best:
        lam, best = 0.0, at_zero
    a, beta, rss = parts(lam)
    sigma2 = rss / (n - p)
    # the fixed effects leave nothing to model (every respondent of a group gave the same
    # score): the variances are 0 up to rounding and any standard error would be too. The
    # residual sum of squares is yty less the fitted part, so its rounding is relative to
    # yty: where every score is the same, var(y) is 0 (or itself rounding) and cannot
    # tell rounding from variation, while rss against yty can
    if ((1.0 + lam) * sigma2 <= 1e-12 * max(float(np.var(y)), 1e-300)
            or rss <= max(1e-12 * yty, 1e-300)):
        raise SurveyError("the scores do not vary within the groups compared, so the "
                          "mixed model has nothing to estimate its variances from")
    # V = sigma2 (I + lam Z Z') and a = X' (I + lam Z Z')^-1 X, so Cov(beta) = sigma2 a^-1.
    # -best is then the maximised restricted log-likelihood, as nlme's logLik.
    cov = sigma2 * np.linalg.inv(a)
    return RandomInterceptFit(beta, cov, lam * sigma2, float(sigma2), n, n_labs, -best)


# ---- ICC and design effect ------------------------------------------------------------

def lab_icc(
    scores: pd.DataFrame,
    instrument: Instrument,
    *,
    lab: str | None = None,
    constructs: Sequence[str] | None = None,
    by: str | None = None,
    groups: Sequence[str] | None = None,
) -> pd.DataFrame:
    """ICC(1), ICC(2) and the design effect of every construct for the labs.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per respondent with the lab column and one column per construct id
        (as :func:`analysis.scoring.score_scales` returns it). Not modified.
    instrument : Instrument
        Gives the constructs, in order, and the default cluster question.
    lab : str, optional
        The lab (cluster) column (default: the instrument's cluster question).
    constructs : sequence of str, optional
        Only these constructs (default: all of the instrument).
    by : str, optional
        A grouping question: the ICC conditional on it is added (see the module
        docstring).
    groups : sequence of str, optional
        The groups of ``by`` the conditional model includes (default: every group
        present).

    Returns
    -------
    pandas.DataFrame
        :data:`ICC_COLUMNS`, one row per construct: respondents ``n`` with a score and a
        lab, ``labs``, ``mean_lab_size`` (``N / J``), ``n0``, ``msb``, ``msw``, the
        ``f`` test of ICC(1) > 0 with ``df1``, ``df2``, ``p_f``, ``icc1``, ``icc2``,
        ``design_effect`` and ``n_effective`` (formulas in the module docstring), a
        ``note`` when something could not be computed, and with ``by``: ``conditional_on``
        (``by``), ``icc_conditional``, ``tau2_conditional`` and ``sigma2_conditional``
        (the REML variance components of ``score ~ C(by) + (1 | lab)`` on the
        respondents of ``groups``; empty without ``by``).

    Raises
    ------
    SurveyError
        No lab column, or a construct column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from survey.instrument import load
    >>> scores = pd.DataFrame({"lab": list("aaabbbccc"),
    ...                        "self_promotion": [1, 2, 3, 2, 3, 4, 4, 5, 6.0]})
    >>> row = lab_icc(scores, load("lab-culture"), constructs=["self_promotion"]).iloc[0]
    >>> # MSB = 7, MSW = 1, n0 = 3: ICC(1) = 6/9, ICC(2) = 6/7, DE = 1 + 2 * 6/9
    >>> [round(float(row[k]), 6) for k in ("icc1", "icc2", "design_effect")]
    [0.666667, 0.857143, 2.333333]
    """
    import numpy as np
    import pandas as pd

    from analysis import stats
    from analysis.compare import _construct_ids, _group_column, _group_order
    from analysis.distributions import f_sf

    labs = _lab_column(scores, _lab_name(instrument, lab))
    ids = _construct_ids(scores, instrument, constructs)
    group_codes = None
    if by is not None:
        column = _group_column(scores, instrument, by)
        order = _group_order(instrument, by, column, groups)
        group_codes = column.isin(order).to_numpy() & column.notna().to_numpy()
        dummies = np.column_stack([(column == g).to_numpy(dtype=float) for g in order[1:]]) \
            if len(order) > 1 else np.empty((len(column), 0))
    rows = []
    for c in ids:
        y = pd.to_numeric(scores[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        keep = ~np.isnan(y) & labs.notna().to_numpy()
        row = dict.fromkeys(ICC_COLUMNS, np.nan)
        row.update(construct=c, n=int(keep.sum()), labs=0, note="",
                   conditional_on=by if by is not None else "")
        rows.append(row)
        if group_codes is not None:
            _conditional_icc(row, y, keep & group_codes, dummies, labs)
        if not keep.any():
            row["note"] = "no scores"
            continue
        yk = y[keep]
        _, idx = np.unique(labs[keep].to_numpy(dtype=object).astype(str), return_inverse=True)
        n_j = np.bincount(idx).astype(float)
        n_total, n_labs = float(yk.size), n_j.size
        row["labs"] = n_labs
        row["mean_lab_size"] = n_total / n_labs
        if n_labs < 2 or n_total <= n_labs:
            row["note"] = ("fewer than 2 labs" if n_labs < 2
                           else "every lab has one respondent; no within-lab variance")
            continue
        means = np.bincount(idx, weights=yk) / n_j
        grand = yk.mean()
        ssb = float(np.sum(n_j * (means - grand) ** 2))
        ssw = float(np.sum((yk - means[idx]) ** 2))
        df1, df2 = n_labs - 1.0, n_total - n_labs
        msb, msw = ssb / df1, ssw / df2
        n0 = (n_total - float(np.sum(n_j**2)) / n_total) / df1
        row.update(n0=n0, msb=msb, msw=msw, df1=df1, df2=df2)
        if not msw > 0:
            row["note"] = "no variance within labs; ICC undefined"
            continue
        f = msb / msw
        icc1 = (msb - msw) / (msb + (n0 - 1.0) * msw)
        de = stats.design_effect(n_total / n_labs, max(icc1, 0.0))
        row.update(f=f, p_f=float(f_sf(f, df1, df2)), icc1=icc1,
                   icc2=(msb - msw) / msb if msb > 0 else np.nan, design_effect=de,
                   n_effective=n_total / de)
    table = pd.DataFrame(rows, columns=ICC_COLUMNS)
    table["n"] = table["n"].astype("int64")
    table["labs"] = table["labs"].astype("int64")
    return table


def _conditional_icc(row: dict, y: np.ndarray, keep: np.ndarray, dummies: np.ndarray,
                     labs: pd.Series) -> None:
    """Fill the conditional ICC of ``row`` from ``y ~ groups + (1 | lab)`` (REML)."""
    import numpy as np

    lab_codes = labs.to_numpy(dtype=object)[keep].astype(str)
    if np.unique(lab_codes).size < 2:
        return
    present = dummies[keep]
    x = np.column_stack([np.ones(int(keep.sum())), present[:, present.any(axis=0)]])
    try:
        fit = fit_random_intercept(y[keep], x, lab_codes)
    except SurveyError:
        return
    total = fit.tau2 + fit.sigma2
    row.update(tau2_conditional=fit.tau2, sigma2_conditional=fit.sigma2,
               icc_conditional=fit.tau2 / total if total > 0 else np.nan)


# ---- the lab-aware comparison ---------------------------------------------------------

class _Nested(NamedTuple):
    estimate: float
    se: float
    t: float
    df: float
    p: float
    p_z: float
    p_method: str
    tau2: float
    sigma2: float


def _nested_difference(y: np.ndarray, is_a: np.ndarray, labs: np.ndarray) -> _Nested:
    """Mixed-model difference ``a - b`` with nlme's df (``y``, ``is_a``, ``labs`` aligned)."""
    import numpy as np

    from analysis.distributions import norm_sf, t_sf

    x = np.column_stack([np.ones(y.size), is_a.astype(float)])
    fit = fit_random_intercept(y, x, labs)
    est = float(fit.beta[1])
    se = float(np.sqrt(fit.cov_beta[1, 1]))
    frame_groups = {}
    for lab_code, a in zip(labs.tolist(), is_a.tolist(), strict=True):
        frame_groups.setdefault(lab_code, set()).add(a)
    between = all(len(v) == 1 for v in frame_groups.values())
    if between:
        df = float(fit.labs - 2)
        method = "t, df = labs - 2 (as nlme::lme; group is constant within labs)"
    else:
        df = float(fit.n - fit.labs - 1)
        method = "t, df = N - labs - 1 (as nlme::lme; group varies within labs)"
    t = est / se if se > 0 else np.nan
    p = float(2 * t_sf(abs(t), df)) if df >= 1 and np.isfinite(t) else np.nan
    p_z = float(2 * norm_sf(abs(t))) if np.isfinite(t) else np.nan
    return _Nested(est, se, float(t), df, p, p_z, method, fit.tau2, fit.sigma2)


def compare_nested(
    scores: pd.DataFrame,
    instrument: Instrument,
    by: str,
    *,
    lab: str | None = None,
    groups: Sequence[str] | None = None,
    constructs: Sequence[str] | None = None,
    min_group_n: int = 5,
    min_labs: int = MIN_LABS,
    adjust: str = "holm",
) -> pd.DataFrame:
    """Compare groups with a random intercept for lab, beside the respondent-level test.

    For every construct and pair of groups of ``by``, the respondents of the two groups
    are compared twice: with Welch's t-test, which treats respondents as independent
    (as :func:`analysis.compare.compare_groups` does), and with the random-intercept
    mixed model of the module docstring, which treats the lab as the unit that was
    sampled.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per respondent with ``by``, the lab column and one column per construct
        id. Not modified.
    instrument : Instrument
        Gives the constructs, the group codes and their order, and the cluster question.
    by : str
        Grouping column, e.g. ``"lab_region"``.
    lab : str, optional
        The lab (cluster) column (default: the instrument's cluster question).
    groups : sequence of str, optional
        Only these groups, in this order (default: every group present).
    constructs : sequence of str, optional
        Only these constructs (default: all of the instrument).
    min_group_n : int
        Groups (and construct cells) with fewer respondents are left out, as in
        :func:`analysis.compare.compare_groups` (default 5).
    min_labs : int
        A pair with fewer labs than this in either group gets ``status`` ``few labs``
        (default 5).
    adjust : {"holm", "fdr_bh", "none"}
        Adjustment of the mixed-model p-values across every row of the table.

    Returns
    -------
    pandas.DataFrame
        :data:`NESTED_COLUMNS`, one row per construct and pair: group sizes and labs;
        the respondent-level ``diff`` (``group_a - group_b``), ``welch_se``,
        ``welch_df``, ``welch_p``; the mixed-model ``estimate``, ``se``, ``t``, ``df``,
        ``p_unc``, ``p_adj``, ``p_method``, the normal ``p_z``, ``std_diff``, the
        variance components ``tau2`` (labs) and ``sigma2`` (residual), their ratio
        ``icc_model = tau2 / (tau2 + sigma2)`` (the ICC within groups), ``status`` (one
        of ``ok``, ``few labs``, ``not computed``) and a ``note``. ``p_adj`` is adjusted
        across every row of this table (all pairs × constructs), a family of its own:
        the hypotheses are adjusted among themselves.

    Raises
    ------
    SurveyError
        ``by`` or ``lab`` is not a column, unknown groups or constructs, or an option is
        out of range.

    Examples
    --------
    >>> import pandas as pd
    >>> from survey.instrument import load
    >>> scores = pd.DataFrame({
    ...     "lab_region": ["china"] * 6 + ["united_states"] * 6,
    ...     "lab": ["CN-01", "CN-01", "CN-02", "CN-02", "CN-03", "CN-03",
    ...             "US-01", "US-01", "US-02", "US-02", "US-03", "US-03"],
    ...     "self_promotion": [2.0, 2.5, 3.0, 2.5, 2.0, 3.5, 3.5, 3.0, 4.0, 4.5, 3.0, 4.0]})
    >>> row = compare_nested(scores, load("lab-culture"), "lab_region",
    ...                      constructs=["self_promotion"]).iloc[0]
    >>> # equal lab sizes: the estimate is the difference of the means of lab means
    >>> round(float(row["estimate"]), 6), float(row["df"]), row["status"]
    (-1.083333, 4.0, 'few labs')
    """
    import numpy as np
    import pandas as pd

    from analysis import stats
    from analysis.compare import (
        _check_options,
        _construct_ids,
        _group_column,
        _group_order,
    )

    _check_options(min_group_n, adjust)
    _check_min_labs(min_labs)
    column = _group_column(scores, instrument, by)
    lab = _lab_name(instrument, lab)
    labs = _lab_column(scores, lab)
    order = _group_order(instrument, by, column, groups)
    ids = _construct_ids(scores, instrument, constructs)
    sizes = column.value_counts()
    kept = [g for g in order if int(sizes.get(g, 0)) >= min_group_n]
    lab_values = labs.to_numpy(dtype=object)
    has_lab = labs.notna().to_numpy()

    rows = []
    for c in ids:
        y_all = pd.to_numeric(scores[c], errors="coerce").to_numpy(dtype=float,
                                                                   na_value=np.nan)
        for ga, gb in combinations(kept, 2):
            row = dict.fromkeys(NESTED_COLUMNS, np.nan)
            row.update(construct=c, by=by, group_a=ga, group_b=gb, p_method="",
                       status="not computed", note="")
            rows.append(row)
            in_a = (column == ga).to_numpy()
            in_b = (column == gb).to_numpy()
            ok = ~np.isnan(y_all) & has_lab
            a_mask, b_mask = in_a & ok, in_b & ok
            ya, yb = y_all[a_mask], y_all[b_mask]
            row.update(n_a=int(ya.size), n_b=int(yb.size),
                       labs_a=len(set(lab_values[a_mask].tolist())),
                       labs_b=len(set(lab_values[b_mask].tolist())))
            small = [g for g, v in ((ga, ya), (gb, yb)) if v.size < min_group_n]
            if small:
                row["note"] = (f"fewer than {min_group_n} scores with a lab in "
                               + ", ".join(f"'{g}'" for g in small))
                continue
            wt = stats.welch_t(ya.size, ya.mean(), ya.var(ddof=1),
                               yb.size, yb.mean(), yb.var(ddof=1))
            row.update(diff=float(wt.diff), welch_se=float(wt.se), welch_df=float(wt.df),
                       welch_p=float(wt.p))
            _fill_nested(row, y_all, a_mask, b_mask, lab_values, min_labs,
                         names=(ga, gb, by, lab))

    table = pd.DataFrame(rows, columns=NESTED_COLUMNS)
    table["p_adj"] = stats.adjust_p(table["p_unc"].to_numpy(dtype=float), adjust)
    for col in ("n_a", "n_b", "labs_a", "labs_b"):
        table[col] = table[col].fillna(0).astype("int64")
    return table


def _fill_nested(row: dict, y_all, a_mask, b_mask, lab_values, min_labs: int,
                 names: tuple[str, str, str, str]) -> None:
    """Fit the mixed model for one pair and write its columns into ``row``.

    ``names`` are the two groups, the grouping question and the cluster question, for
    the notes.
    """
    import numpy as np

    group_a, group_b, by, lab = names
    both = a_mask | b_mask
    labs_a, labs_b = row["labs_a"], row["labs_b"]
    in_a = set(lab_values[a_mask].tolist())
    in_b = set(lab_values[b_mask].tolist())
    between = not (in_a & in_b)
    if between and min(labs_a, labs_b) < 2:
        single = [g for g, k in ((group_a, labs_a), (group_b, labs_b)) if k < 2]
        where = "per group" if len(single) == 2 else f"in '{single[0]}'"
        row["note"] = f"one {lab} {where}: {by} and {lab} are confounded"
        return
    n_labs = len(in_a | in_b)
    if n_labs < 2:
        row["note"] = (f"only {count(n_labs, lab)} in the two groups; the lab-aware "
                       "comparison needs at least 2")
        return
    try:
        r = _nested_difference(y_all[both], a_mask[both], lab_values[both].astype(str))
    except SurveyError as exc:
        row["note"] = str(exc)
        return
    total = r.tau2 + r.sigma2
    row.update(estimate=r.estimate, se=r.se, t=r.t, df=r.df, p_unc=r.p,
               p_method=r.p_method, p_z=r.p_z, tau2=r.tau2, sigma2=r.sigma2,
               icc_model=r.tau2 / total if total > 0 else np.nan,
               std_diff=r.estimate / np.sqrt(total) if total > 0 else np.nan)
    row["status"] = "ok"
    notes = []
    fewest = min(labs_a, labs_b)
    if fewest < min_labs:
        row["status"] = "few labs"
        notes.append(f"the comparison rests on few labs ({labs_a} and {labs_b}; fewer "
                     f"than {min_labs} in a group): treat it as indicative")
    if r.tau2 == 0.0:
        notes.append("lab variance estimated at 0")
    row["note"] = "; ".join(notes)


def evaluate_hypotheses_nested(
    scores: pd.DataFrame,
    instrument: Instrument,
    *,
    lab: str | None = None,
    min_group_n: int = 5,
    min_labs: int = MIN_LABS,
    alpha: float = 0.05,
    adjust: str = "holm",
    power: float = 0.8,
) -> pd.DataFrame:
    """Test every hypothesis of ``instrument`` with labs as the sampled unit.

    The lab-aware counterpart of :func:`analysis.hypotheses.evaluate_hypotheses`, for
    scores with a ``lab`` column: each hypothesis compares its two groups with the
    random-intercept mixed model of the module docstring (fitted on the respondents
    of the two groups), with a two-sided t-test on nlme's degrees of freedom;
    p-values are adjusted across the testable hypotheses and the verdicts follow the
    same rules (``supported``, ``contrary``, ``not supported``, ``not testable``).

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per respondent with the grouping columns, the lab column and one column
        per construct id. Not modified.
    instrument : Instrument
        Its hypotheses are tested, in order.
    lab : str, optional
        The lab (cluster) column (default: the instrument's cluster question).
    min_group_n : int
        Groups with fewer respondents or scores are ``not testable`` (default 5).
    min_labs : int
        Fewer labs than this in a group gives ``status`` ``few labs`` (default 5).
    alpha : float
        Significance level for the adjusted p-values (default 0.05).
    adjust : {"holm", "fdr_bh", "none"}
        Adjustment across the testable hypotheses (default Holm).
    power : float
        Power of the sensitivity analysis ``mde`` (default 0.8).

    Returns
    -------
    pandas.DataFrame
        :data:`NESTED_HYPOTHESES_COLUMNS`, one row per hypothesis. ``estimate`` is the
        predicted-higher group minus the other (positive = as predicted) with ``se``,
        ``df``, ``t``, ``p_unc``, ``p_adj`` and ``p_method``; ``std_diff`` is
        ``estimate / sqrt(tau2 + sigma2)`` with ``std_ci_low``, ``std_ci_high`` the 95 %
        t interval of the estimate divided by the same SD (the SD taken as known);
        ``verdict``; respondents and labs per group; the variance components;
        ``status`` and ``note``; ``icc_model`` (``tau2 / (tau2 + sigma2)``) and ``mde``,
        the smallest standardised difference the test detects with ``power`` at the
        two-sided ``alpha`` before adjustment (module docstring). A group with one lab
        makes the hypothesis ``not testable`` (the group is confounded with its lab).

    Raises
    ------
    SurveyError
        No ``lab`` column, a grouping column holds values that are not choices, or an
        option is out of range.
    """
    import numpy as np
    import pandas as pd

    from analysis import stats
    from analysis.compare import _check_options
    from analysis.distributions import t_ppf
    from analysis.hypotheses import group_problem, hypothesis_inputs

    _check_options(min_group_n, adjust)
    _check_min_labs(min_labs)
    if not 0 < alpha < 1:
        raise SurveyError(f"alpha must be between 0 and 1, got {alpha!r}")
    lab = _lab_name(instrument, lab)
    labs = _lab_column(scores, lab)
    lab_values = labs.to_numpy(dtype=object)
    has_lab = labs.notna().to_numpy()
    columns: dict[str, pd.Series] = {}
    rows = []
    for h in instrument.hypotheses:
        row = dict.fromkeys(NESTED_HYPOTHESES_COLUMNS, np.nan)
        row.update(hypothesis=h.id, construct=h.construct, by=h.by, predicted=h.predicts,
                   p_method="", verdict="not testable", n_higher=0, n_lower=0,
                   labs_higher=0, labs_lower=0, status="not computed", note="")
        rows.append(row)
        column, y, missing = hypothesis_inputs(scores, instrument, h, columns)
        if missing:
            row["note"] = missing
            continue
        ok = ~np.isnan(y) & has_lab
        masks = {}
        problems = []
        for role, g in (("higher", h.higher), ("lower", h.lower)):
            in_group = (column == g).to_numpy()
            mask = in_group & ok
            masks[role] = mask
            row[f"n_{role}"] = int(mask.sum())
            row[f"labs_{role}"] = len(set(lab_values[mask].tolist()))
            problem = group_problem(g, int(in_group.sum()), int(mask.sum()), min_group_n,
                                    scores="scores with a lab")
            if problem:
                problems.append(problem)
        if problems:
            row["note"] = "; ".join(problems)
            continue
        pair = {"labs_a": row["labs_higher"], "labs_b": row["labs_lower"]}
        _fill_nested(pair, y, masks["higher"], masks["lower"], lab_values, min_labs,
                     names=(h.higher, h.lower, h.by, lab))
        row["note"] = pair["note"]
        if pair.get("status") not in ("ok", "few labs"):
            continue
        total = pair["tau2"] + pair["sigma2"]
        crit = t_ppf(0.975, pair["df"])
        sd = np.sqrt(total) if total > 0 else np.nan
        row.update(estimate=pair["estimate"], se=pair["se"], df=pair["df"], t=pair["t"],
                   p_unc=pair["p_unc"], p_method=pair["p_method"],
                   std_diff=pair["std_diff"],
                   std_ci_low=(pair["estimate"] - crit * pair["se"]) / sd,
                   std_ci_high=(pair["estimate"] + crit * pair["se"]) / sd,
                   tau2=pair["tau2"], sigma2=pair["sigma2"], status=pair["status"],
                   icc_model=pair["icc_model"])
        row["mde"] = _detectable(pair, masks["higher"], masks["lower"], lab_values,
                                 power=power, alpha=alpha)

    table = pd.DataFrame(rows, columns=NESTED_HYPOTHESES_COLUMNS)
    table["p_adj"] = stats.adjust_p(table["p_unc"].to_numpy(dtype=float), adjust)
    table["verdict"] = stats.verdicts(table["estimate"], table["p_adj"], alpha)
    for col in ("n_higher", "n_lower", "labs_higher", "labs_lower"):
        table[col] = table[col].astype("int64")
    return table


def without_few_labs(note: object) -> str:
    """A note of this module without its sentence about few labs.

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


def _detectable(pair: dict, a_mask, b_mask, lab_values, *, power: float,
                alpha: float) -> float:
    """The ``mde`` of a fitted pair (module docstring, *Sensitivity*)."""
    import numpy as np

    from analysis.planning import detectable_effect, effective_n

    icc = pair["icc_model"]
    if not np.isfinite(icc):
        return float("nan")
    in_a, in_b = lab_values[a_mask].tolist(), lab_values[b_mask].tolist()
    if set(in_a) & set(in_b):
        # the grouping varies within labs: the precision is the model's standard error
        total = pair["tau2"] + pair["sigma2"]
        n_eff = 2.0 * total / pair["se"] ** 2
        return detectable_effect(n_eff, n_eff, pair["df"], power=power, alpha=alpha)
    sizes_a = list(_counts(in_a).values())
    sizes_b = list(_counts(in_b).values())
    return detectable_effect(effective_n(sizes_a, icc), effective_n(sizes_b, icc),
                             pair["df"], power=power, alpha=alpha)


def _counts(values: list) -> dict:
    out: dict = {}
    for v in values:
        out[v] = out.get(v, 0) + 1
    return out


# ---- agreement ----------------------------------------------------------------------------

def lab_agreement(
    data: pd.DataFrame,
    instrument: Instrument,
    *,
    lab: str | None = None,
    constructs: Sequence[str] | None = None,
    min_lab_n: int = 5,
) -> pd.DataFrame:
    """r_wg(j) within-lab agreement per lab and construct.

    Parameters
    ----------
    data : pandas.DataFrame
        Item answers in the template layout (``ResponseSet.data``): the lab column and
        the construct's item columns (raw answers, missing as NA). Not modified.
    instrument : Instrument
        Gives each construct's items, the number of points ``A`` of its scale and the
        cluster question.
    lab : str, optional
        The lab (cluster) column (default: the instrument's cluster question).
    constructs : sequence of str, optional
        Only these constructs (default: all of the instrument).
    min_lab_n : int
        Labs with fewer respondents are left out (default 5, at least 2): a variance
        needs two answers, and small labs are not described one by one.

    Returns
    -------
    pandas.DataFrame
        :data:`AGREEMENT_COLUMNS`, one row per construct and lab (labs sorted):
        respondents ``n``, ``items`` with a variance, ``mean_var`` (mean of the item
        variances, ``ddof = 1``, each over the lab's answers to that item),
        ``null_var`` (``(A^2 - 1) / 12``) and ``rwg_j`` (0 when ``mean_var >=
        null_var``).

    Examples
    --------
    >>> import pandas as pd
    >>> from survey.instrument import load
    >>> inst = load("lab-culture")
    >>> data = pd.DataFrame({"lab": ["a"] * 5, "sp1": [4, 4, 5, 4, 3], "sp2": [2, 2, 2, 1, 2],
    ...                      "sp3": [4] * 5, "sp4": [2] * 5, "sp5": [5] * 5, "sp6": [1] * 5})
    >>> row = lab_agreement(data, inst, constructs=["self_promotion"]).iloc[0]
    >>> # s2 = (0.5 + 0.2) / 6 items; r = s2 / 2; rwg(j) = 6 (1 - r) / (6 (1 - r) + r)
    >>> round(float(row["mean_var"]), 6), round(float(row["rwg_j"]), 6)
    (0.116667, 0.989781)
    """
    import numpy as np
    import pandas as pd

    if isinstance(min_lab_n, bool) or not isinstance(min_lab_n, int) or min_lab_n < 2:
        raise SurveyError(f"min_lab_n must be a whole number of at least 2, got {min_lab_n!r}")
    labs = _lab_column(data, _lab_name(instrument, lab))
    ids = _known_constructs(instrument, constructs)
    lab_text = labs.astype(object).where(labs.notna(), None)
    codes = sorted({str(v) for v in lab_text.dropna()})
    rows = []
    for c in ids:
        construct = instrument.construct(c)
        items = [i for i in construct.item_ids if i in data.columns]
        missing = [i for i in construct.item_ids if i not in data.columns]
        if missing:
            raise SurveyError(f"no item column(s) {', '.join(missing)} for construct '{c}'")
        a = len(instrument.scales[construct.scale].points)
        null_var = (a**2 - 1) / 12.0
        values = data[items].apply(pd.to_numeric, errors="coerce").to_numpy(
            dtype=float, na_value=np.nan)
        for code in codes:
            in_lab = (lab_text == code).to_numpy()
            n = int(in_lab.sum())
            if n < min_lab_n:
                continue
            block = values[in_lab]
            answered = (~np.isnan(block)).sum(axis=0)
            usable = answered >= 2
            row = {"construct": c, "lab": code, "n": n, "items": int(usable.sum()),
                   "mean_var": np.nan, "null_var": null_var, "rwg_j": np.nan}
            rows.append(row)
            if not usable.any():
                continue
            s2 = float(np.nanvar(block[:, usable], axis=0, ddof=1).mean())
            j = float(usable.sum())
            ratio = s2 / null_var
            row["mean_var"] = s2
            row["rwg_j"] = (j * (1 - ratio) / (j * (1 - ratio) + ratio)
                            if ratio < 1 else 0.0)
    table = pd.DataFrame(rows, columns=AGREEMENT_COLUMNS)
    for col in ("n", "items"):
        table[col] = table[col].astype("int64")
    return table


def agreement_summary(agreement: pd.DataFrame, threshold: float = 0.70) -> pd.DataFrame:
    """Summarise :func:`lab_agreement` per construct.

    Parameters
    ----------
    agreement : pandas.DataFrame
        As returned by :func:`lab_agreement`.
    threshold : float
        The conventional cut-off for aggregation (default .70).

    Returns
    -------
    pandas.DataFrame
        :data:`AGREEMENT_SUMMARY_COLUMNS`: per construct the number of ``labs`` with a
        value, the ``median_rwg_j``, ``min_rwg_j``, ``max_rwg_j`` and ``share_070``,
        the share of those labs with ``rwg_j >= threshold``.

    Examples
    --------
    >>> import pandas as pd
    >>> table = pd.DataFrame({"construct": ["c"] * 4, "rwg_j": [0.5, 0.75, 0.8, 0.9]})
    >>> [float(v) for v in agreement_summary(table).iloc[0][["median_rwg_j", "share_070"]]]
    [0.775, 0.75]
    """
    import pandas as pd

    rows = []
    for c, part in agreement.groupby("construct", sort=False):
        v = part["rwg_j"].dropna()
        rows.append({
            "construct": c, "labs": int(v.size),
            "median_rwg_j": float(v.median()) if v.size else float("nan"),
            "min_rwg_j": float(v.min()) if v.size else float("nan"),
            "max_rwg_j": float(v.max()) if v.size else float("nan"),
            "share_070": float((v >= threshold).mean()) if v.size else float("nan"),
        })
    return pd.DataFrame(rows, columns=AGREEMENT_SUMMARY_COLUMNS)


# ---- input checks -----------------------------------------------------------------------

def resolve_cluster(instrument: Instrument, cluster: str | None = None) -> str | None:
    """The cluster question of an analysis: ``cluster`` if given, else the instrument's.

    Parameters
    ----------
    instrument : Instrument
        Its ``cluster`` is the default (``None`` when it names none).
    cluster : str, optional
        A grouping question chosen by the user (``--cluster``).

    Returns
    -------
    str or None

    Raises
    ------
    SurveyError
        ``cluster`` is not a grouping question of the instrument.

    Examples
    --------
    >>> from survey.instrument import load
    >>> resolve_cluster(load("lab-culture")), resolve_cluster(load("lab-culture"), "role")
    ('lab', 'role')
    """
    if cluster is None:
        return instrument.cluster
    if cluster not in instrument.group_ids:
        raise SurveyError(
            f"cluster '{cluster}' is not a grouping question of instrument "
            f"'{instrument.id}'; grouping questions: {', '.join(instrument.group_ids)}."
            + did_you_mean(cluster, instrument.group_ids))
    return cluster


def _lab_name(instrument: Instrument, lab: str | None) -> str:
    if lab is not None:
        return lab
    if instrument.cluster is None:
        raise SurveyError(
            f"instrument '{instrument.id}' names no cluster question (its 'cluster' key) "
            "and no lab column was given; the lab-aware analysis needs one")
    return instrument.cluster


def _lab_column(frame: pd.DataFrame, lab: str) -> pd.Series:
    if lab not in frame.columns:
        raise SurveyError(
            f"no column '{lab}' with the lab of each respondent; the lab-aware analysis "
            "needs one." + did_you_mean(lab, [str(c) for c in frame.columns])
        )
    return frame[lab]


def _check_min_labs(min_labs: int) -> None:
    if isinstance(min_labs, bool) or not isinstance(min_labs, int) or min_labs < 2:
        raise SurveyError(f"min_labs must be a whole number of at least 2, got {min_labs!r}")


def _known_constructs(instrument: Instrument, requested: Sequence[str] | None) -> list[str]:
    known = [c.id for c in instrument.constructs]
    if requested is None:
        return known
    ids = list(dict.fromkeys(requested))
    unknown = [c for c in ids if c not in known]
    if unknown:
        raise SurveyError(
            f"unknown construct(s) {', '.join(repr(c) for c in unknown)}; constructs: "
            f"{', '.join(known)}." + did_you_mean(unknown[0], known)
        )
    return ids
