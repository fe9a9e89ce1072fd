"""Measurement invariance across groups by multi-group confirmatory factor analysis.

Comparing construct means across groups only means something if the items measure the
construct the same way in every group. :func:`measurement_invariance` fits, for every
construct of an instrument, a one-factor model in each group and tests three nested
levels; :func:`fit_mgcfa` is the engine underneath and fits any simple-structure
k-factor model (each item on one factor, factors correlated).

The model
---------
In group *g*, ``x = nu_g + Lambda_g eta + e`` with ``eta ~ N(alpha_g, Phi_g)`` and
``e ~ N(0, Theta_g)``, ``Theta_g`` diagonal, so the implied moments are
``mu_g = nu_g + Lambda_g alpha_g`` and ``Sigma_g = Lambda_g Phi_g Lambda_g' + Theta_g``.
The scale of each factor is set by its first item (marker variable: loading fixed to 1
in every group, as lavaan does by default); fixing the factor variances instead gives
the same fit statistics. The levels, as lavaan's ``group.equal``:

configural
    loadings, intercepts, factor (co)variances and residual variances free in every
    group; factor means 0.
metric
    loadings equal across groups (``group.equal = "loadings"``); the rest as configural.
scalar
    loadings and intercepts equal (``group.equal = c("loadings", "intercepts")``);
    factor means fixed to 0 in the first group and free in the others.

``free_intercepts`` / ``free_loadings`` release single equality constraints (lavaan's
``group.partial``).

Estimation and fit
------------------
Maximum likelihood as lavaan's ``estimator = "ML"`` with ``likelihood = "normal"``:
with ``S_g`` the covariance matrix of group *g* with divisor ``n_g``, ``m_g`` its mean
vector and ``d_g = m_g - mu_g``, the discrepancy

``F = sum_g (n_g / N) [log|Sigma_g| + tr(S_g Sigma_g^-1) - log|S_g| - p + d_g' Sigma_g^-1 d_g]``

is minimised with L-BFGS-B and its analytic gradient, and ``chisq = N * F_min`` (lavaan
multiplies by ``N``, not ``N - 1``, under the normal likelihood). Residual and factor
variances are bounded below by zero: where lavaan would return a negative variance
(a Heywood case) the estimate stays at zero and the result says so.

- ``df`` = ``G (p (p + 3) / 2)`` sample moments minus free parameters.
- ``CFI = 1 - max(chisq - df, 0) / max(chisq - df, chisq_0 - df_0, 0)`` against
  lavaan's baseline: every item uncorrelated, with free variances and means in each
  group (``chisq_0 = sum_g n_g (sum_j log s_jj - log|S_g|)``, ``df_0 = G p (p - 1) / 2``).
  The baseline is the same for all levels, as in lavaan.
- ``RMSEA = sqrt(max(chisq / N / df - 1 / N, 0)) * sqrt(G)`` (lavaan's multi-group
  form; 0 when ``df`` is 0).
- ``SRMR``: lavaan's default (``srmr_bentler`` with the mean structure). In each group,
  with ``s_j = sqrt(s_jj)`` the observed standard deviations,
  ``SRMR_g = sqrt([sum_j ((m_j - mu_j) / s_j)^2
  + sum_{i<=j} ((s_ij - sigma_ij) / (s_i s_j))^2] / (p + p (p + 1) / 2))``,
  and ``SRMR = sum_g (n_g / N) SRMR_g``.
- ``loglik`` = ``-sum_g n_g / 2 [p log(2 pi) + log|Sigma_g| + tr(S_g Sigma_g^-1)
  + d_g' Sigma_g^-1 d_g]``, lavaan's ``logl``.

Every statistic is checked against lavaan 0.6-14 in ``tests/reference/invariance.R``.

Decisions
---------
Per construct (:func:`measurement_invariance`):

- configural holds when the model converges and ``CFI >= 0.90`` (``min_cfi``). RMSEA
  is reported but not used here: with the few degrees of freedom of a six-item model it
  is inflated in small samples (Kenny, Kaniskan & McCoach 2015).
- metric holds when configural holds and the step from configural does not show
  non-invariance by Chen's (2007) rule: a step fails when CFI drops by .010 or more
  (``ΔCFI <= -0.010``) *and* either RMSEA rises by .015 or more (``ΔRMSEA >= 0.015``) or
  SRMR rises by .030 or more (``ΔSRMR >= 0.030``; .010 for the scalar step). Scalar
  holds when metric holds and the step from metric passes the same rule. ΔCFI is the
  primary criterion and ΔRMSEA/ΔSRMR supplement it, as in Chen's paper; requiring both
  ΔCFI and ΔRMSEA to stay within bounds flags clean data far too often, because RMSEA
  jumps from 0 with the few degrees of freedom of a six-item model. Chen suggests the
  stricter ``ΔCFI <= -0.005`` with ``ΔRMSEA >= 0.010`` for small (N <= 300) or unequal
  groups; the note says so when N <= 300, and the ``delta_*_cutoff`` parameters
  change the rule.
- the Δχ² likelihood-ratio test is reported beside the changes; it is not used for the
  decision because it rejects trivial differences in large samples.
- ``mean_comparison_warranted`` is true only when scalar invariance holds.

Which items differ. When the scalar step fails, each item's intercept equality is
released in turn (a partial scalar model, lavaan ``group.partial = "item~1"``) and the
drop in chi-square is its likelihood-ratio test on ``G - 1`` df, asymptotically the same
as lavaan's score test (``lavTestScore``) of that constraint, but exact for the freed
model and checked against lavaan's partial fits. When the metric step fails, each
non-marker item's loading is released the same way. ``items_differing`` lists the items
whose Holm-adjusted p is below .05, largest chi-square first; when none is, the single
largest is named.

Data. Items are reverse-keyed first (``min + max - x`` on the item's scale, by
:func:`analysis.scoring.keyed_matrix`; this changes signs only, not the fit). Missing
answers: listwise within each construct (a respondent counts for a construct when every
item of it is answered), as lavaan's default ``missing = "listwise"``. A group with
fewer than ``min_group_n`` complete respondents (default 100) is left out of that
construct and named in the note; with fewer than two groups left the construct is
reported with ``status`` ``too_few`` (not tested) instead of failing. ML multi-group CFA
needs about 100-200 respondents per group to be stable, and the cut-offs above misfire
in small groups: on clean simulated data (``survey simulate``, two regions,
graded-response items, the instrument's planted mean differences) the share of
constructs not reaching scalar invariance was 3 % (4 of 140) with about 300 per group,
9 % with 155, 16 % with 105 and 31 % with 67.

Partial invariance and latent means (:func:`partial_invariance`). When the scalar step
fails for a construct, its intercepts are released one at a time: each time the item
with the largest score test for releasing its equality constraints (``lavTestScore``
on the current scalar model, :func:`analysis.cfa.score_tests`) is freed in every group
(``group.partial = "item ~ 1"``), until the partial scalar model no longer fails
Chen's rule against the metric model, provided at least two items keep equal
intercepts (Byrne, Shavelson & Muthen 1989); otherwise partial invariance is not
reached and the table says so. The groups are then compared on the latent mean under
that model (or under the full scalar model when scalar invariance holds), identified as
lavaan's ``std.lv = TRUE``: the first group's factor mean fixed at 0 and its variance
at 1, so that each other group's mean, with its SE, z and p from the expected
information, is a standardised latent mean difference. It is reported beside the
observed difference of the scale means (and that difference over the first group's SD).
Checked against ``cfa(..., group.equal = c("loadings", "intercepts"), group.partial =
..., std.lv = TRUE)`` in ``tests/reference/validity.R``.

What is not modelled. Items are treated as continuous and normal (ML, as lavaan's
default), not as ordered categories (WLSMV with thresholds); respondents are treated
as independent, although they are nested in labs; and strict invariance (equal
residual variances) is not tested, as mean comparisons do not need it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from survey.errors import SurveyError, did_you_mean
from survey.wording import count

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from survey.instrument import Instrument
    from survey.responses.model import ResponseSet

__all__ = [
    "FITS_COLUMNS",
    "ITEMS_COLUMNS",
    "LATENT_COLUMNS",
    "LEVELS",
    "PARTIAL_COLUMNS",
    "SUMMARY_COLUMNS",
    "FitResult",
    "Invariance",
    "PartialInvariance",
    "fit_mgcfa",
    "measurement_invariance",
    "partial_invariance",
]

#: The invariance levels, in the order they are tested.
LEVELS: tuple[str, ...] = ("configural", "metric", "scalar")

#: Columns of :attr:`Invariance.fits`, in order.
FITS_COLUMNS = [
    "construct", "by", "level", "n_groups", "n", "chisq", "df", "p", "cfi", "rmsea",
    "srmr", "delta_cfi", "delta_rmsea", "delta_srmr", "delta_chisq", "delta_df",
    "delta_p", "holds", "status", "note",
]
#: Columns of :attr:`Invariance.summary`, in order.
SUMMARY_COLUMNS = [
    "construct", "by", "groups", "n", "highest_level", "mean_comparison_warranted",
    "items_differing", "status", "note",
]
#: Columns of :attr:`Invariance.items`, in order.
ITEMS_COLUMNS = [
    "construct", "by", "parameter", "item", "chisq", "df", "p_unc", "p_adj",
]

#: Columns of :attr:`PartialInvariance.steps` (``partial_invariance.csv``), in order.
PARTIAL_COLUMNS = [
    "construct", "by", "groups", "n", "step", "released", "freed_intercepts",
    "score_chisq", "score_df", "score_p", "chisq", "df", "cfi", "rmsea", "srmr",
    "delta_cfi", "delta_rmsea", "delta_srmr", "fails", "status", "note",
]
#: Columns of :attr:`PartialInvariance.latent` (``latent_means.csv``), in order.
LATENT_COLUMNS = [
    "construct", "by", "reference", "group", "model", "freed_intercepts", "n_reference",
    "n_group", "latent_diff", "se", "z", "p", "ci_low", "ci_high", "observed_diff",
    "observed_std_diff", "status", "note",
]
#: Fewest items whose intercepts must stay equal for partial scalar invariance.
MIN_CONSTRAINED = 2

_HEYWOOD_NOTE = (
    "a variance estimate is held at its lower bound of zero (Heywood case; lavaan would "
    "report a negative estimate)"
)


# ---- results ---------------------------------------------------------------------------

@dataclass(frozen=True)
class FitResult:
    """One multi-group CFA fit.

    Attributes
    ----------
    level : str
        ``configural``, ``metric`` or ``scalar``.
    groups : tuple of str
        Group labels in model order (the first is the reference group of the scalar
        model's factor means).
    n : tuple of int
        Respondents per group after listwise deletion.
    chisq, df, pvalue : float, int, float
        Likelihood-ratio chi-square against the saturated model (``N * F_min``), its
        degrees of freedom and p-value (``nan`` when ``df`` is 0).
    cfi, rmsea, srmr : float
        Fit indices as lavaan computes them (see the module docstring).
    loglik : float
        Log-likelihood of the model.
    baseline_chisq, baseline_df : float, int
        Chi-square and df of the independence (baseline) model.
    npar : int
        Number of free parameters.
    params : pandas.DataFrame
        Estimates in lavaan's notation: ``lhs, op, rhs, group, est`` with ``op`` one of
        ``=~`` (loading), ``~~`` (variance or covariance) and ``~1`` (intercept or mean);
        fixed parameters included.
    converged : bool
        Whether the optimiser reported convergence with a small gradient.
    heywood : bool
        Whether a variance estimate sits at its lower bound of zero.
    message : str
        The optimiser's message.
    free_intercepts, free_loadings : tuple of str
        Items whose intercept or loading was released from the equality constraint.
    """

    level: str
    groups: tuple[str, ...]
    n: tuple[int, ...]
    chisq: float
    df: int
    pvalue: float
    cfi: float
    rmsea: float
    srmr: float
    loglik: float
    baseline_chisq: float
    baseline_df: int
    npar: int
    params: pd.DataFrame = field(repr=False)
    converged: bool
    heywood: bool
    message: str = ""
    free_intercepts: tuple[str, ...] = ()
    free_loadings: tuple[str, ...] = ()


@dataclass(frozen=True)
class Invariance:
    """Result of :func:`measurement_invariance`.

    Attributes
    ----------
    fits : pandas.DataFrame
        One row per construct x level, columns :data:`FITS_COLUMNS`.
    summary : pandas.DataFrame
        One row per construct, columns :data:`SUMMARY_COLUMNS`.
    items : pandas.DataFrame
        The per-item likelihood-ratio tests run when a step fails, columns
        :data:`ITEMS_COLUMNS` (``parameter`` is ``intercept`` or ``loading``).
    """

    fits: pd.DataFrame
    summary: pd.DataFrame
    items: pd.DataFrame


# ---- the engine ------------------------------------------------------------------------

class _Layout:
    """Where each model parameter of each group lives in the free-parameter vector."""

    def __init__(self, p: int, item_factor: np.ndarray, markers: np.ndarray, n_groups: int,
                 level: str, free_int: set[int], free_load: set[int]) -> None:
        import numpy as np

        self.p, self.m, self.G = p, int(item_factor.max()) + 1, n_groups
        self.item_factor = item_factor
        self.markers = markers
        is_marker = set(markers.tolist())
        count = 0

        def new() -> int:
            nonlocal count
            count += 1
            return count - 1

        equal_load = level in ("metric", "scalar")
        equal_int = level == "scalar"
        shared_lam = {j: new() for j in range(p) if j not in is_marker and equal_load
                      and j not in free_load}
        shared_nu = {j: new() for j in range(p) if equal_int and j not in free_int}
        m = self.m
        self.lam, self.phi, self.theta, self.nu, self.alpha = [], [], [], [], []
        for g in range(n_groups):
            lam = np.full(p, -1)
            for j in range(p):
                if j not in is_marker:
                    lam[j] = shared_lam[j] if j in shared_lam else new()
            phi = np.full((m, m), -1)
            for a in range(m):
                for b in range(a + 1):
                    phi[a, b] = phi[b, a] = new()
            theta = np.array([new() for _ in range(p)])
            nu = np.array([shared_nu[j] if j in shared_nu else new() for j in range(p)])
            alpha = np.array([new() if (equal_int and g > 0) else -1 for _ in range(m)])
            self.lam.append(lam)
            self.phi.append(phi)
            self.theta.append(theta)
            self.nu.append(nu)
            self.alpha.append(alpha)
        self.npar = count
        lower = np.full(count, -np.inf)
        for g in range(n_groups):
            lower[self.theta[g]] = 0.0
            lower[np.diag(self.phi[g])] = 0.0
        self.lower = lower

    def matrices(self, x: np.ndarray, g: int):
        import numpy as np

        p, m = self.p, self.m
        lam_vals = np.where(self.lam[g] >= 0, x[np.maximum(self.lam[g], 0)], 1.0)
        Lam = np.zeros((p, m))
        Lam[np.arange(p), self.item_factor] = lam_vals
        Phi = x[self.phi[g]]
        theta = x[self.theta[g]]
        nu = x[self.nu[g]]
        alpha = np.where(self.alpha[g] >= 0, x[np.maximum(self.alpha[g], 0)], 0.0)
        return Lam, Phi, theta, nu, alpha


def _objective(x, layout: _Layout, S, M, w):
    """F without its constant ``-sum_g (n_g / N) log|S_g|``, and its gradient."""
    import numpy as np

    f = 0.0
    grad = np.zeros_like(x)
    p = layout.p
    for g in range(layout.G):
        Lam, Phi, theta, nu, alpha = layout.matrices(x, g)
        LP = Lam @ Phi
        Sigma = LP @ Lam.T + np.diag(theta)
        try:
            C = np.linalg.cholesky(Sigma)
        except np.linalg.LinAlgError:
            return 1e10, np.zeros_like(x)
        Sinv = np.linalg.inv(Sigma)
        mu = nu + Lam @ alpha
        d = M[g] - mu
        Sd = Sinv @ d
        logdet = 2.0 * np.log(np.diag(C)).sum()
        f += w[g] * (logdet + np.sum(Sinv * S[g]) + d @ Sd - p)
        # dF/dSigma (as a full symmetric matrix) and dF/dmu
        W = Sinv - Sinv @ (S[g] + np.outer(d, d)) @ Sinv
        gmu = -2.0 * Sd
        dLam = 2.0 * W @ LP + np.outer(gmu, alpha)
        dPhi = Lam.T @ W @ Lam
        rows = np.arange(p)
        free = layout.lam[g] >= 0
        np.add.at(grad, layout.lam[g][free], w[g] * dLam[rows, layout.item_factor][free])
        # a covariance phi_ab (a != b) appears twice in the symmetric matrix
        np.add.at(grad, layout.phi[g].ravel(), w[g] * dPhi.ravel())
        np.add.at(grad, layout.theta[g], w[g] * np.diag(W))
        np.add.at(grad, layout.nu[g], w[g] * gmu)
        afree = layout.alpha[g] >= 0
        np.add.at(grad, layout.alpha[g][afree], w[g] * (Lam.T @ gmu)[afree])
    return f, grad


def _start(layout: _Layout, S, M, w) -> np.ndarray:
    """Starting values: a one-factor principal-component guess per factor."""
    import numpy as np

    x = np.zeros(layout.npar)
    pooled = sum(wg * Sg for wg, Sg in zip(w, S, strict=True))
    per_group = [*S, pooled]

    def guess(Sg):
        lam = np.ones(layout.p)
        phi = np.zeros(layout.m)
        for f in range(layout.m):
            idx = np.flatnonzero(layout.item_factor == f)
            vals, vecs = np.linalg.eigh(Sg[np.ix_(idx, idx)])
            load = vecs[:, -1] * np.sqrt(max(vals[-1], 1e-12))
            r = list(idx).index(layout.markers[f])
            if abs(load[r]) < 1e-6 * np.sqrt(Sg[idx[r], idx[r]]):
                lam[idx] = 1.0
                phi[f] = 0.5 * np.mean(np.diag(Sg)[idx])
            else:
                lam[idx] = load / load[r]
                phi[f] = load[r] ** 2
        theta = np.maximum(np.diag(Sg) - lam**2 * phi[layout.item_factor],
                           0.1 * np.diag(Sg))
        return lam, phi, theta

    pooled_lam = guess(pooled)[0]
    for g in range(layout.G):
        lam, phi, theta = guess(per_group[g])
        for j in range(layout.p):
            k = layout.lam[g][j]
            if k >= 0:
                shared = any(layout.lam[h][j] == k for h in range(layout.G) if h != g)
                x[k] = pooled_lam[j] if shared else lam[j]
        x[np.diag(layout.phi[g])] = phi
        x[layout.theta[g]] = theta
        x[layout.nu[g]] = M[g]
    # shared intercepts: the reference group's means; factor means from the markers
    for g in range(layout.G):
        for j in range(layout.p):
            k = layout.nu[g][j]
            if any(layout.nu[h][j] == k for h in range(layout.G) if h != g):
                x[k] = M[0][j]
        for f in range(layout.m):
            k = layout.alpha[g][f]
            if k >= 0:
                r = layout.markers[f]
                x[k] = M[g][r] - M[0][r]
    return x


def _prepare(data, groups, factors):
    """Validate the inputs; return item names, item->factor, the group order, X, codes."""
    import numpy as np
    import pandas as pd

    if not isinstance(factors, Mapping) or not factors:
        raise SurveyError("factors must be a non-empty mapping of factor name -> items")
    items: list[str] = []
    item_factor: list[int] = []
    for f_index, (name, its) in enumerate(factors.items()):
        its = list(its)
        if len(its) < 2:
            raise SurveyError(
                f"factor '{name}' has {len(its)} item(s); a factor needs at least 2 items "
                "(3 for a one-factor model to be testable)"
            )
        for it in its:
            if it in items:
                raise SurveyError(
                    f"item '{it}' is listed under two factors; each item must load on "
                    "one factor only"
                )
            if it not in data.columns:
                raise SurveyError(
                    f"no column '{it}' in the data (factor '{name}')."
                    + did_you_mean(str(it), [str(c) for c in data.columns]),
                    column=str(it),
                )
            items.append(it)
            item_factor.append(f_index)
    if isinstance(groups, str):
        if groups not in data.columns:
            raise SurveyError(
                f"no grouping column '{groups}' in the data."
                + did_you_mean(groups, [str(c) for c in data.columns]),
                column=groups,
            )
        groups = data[groups]
    groups = pd.Series(groups)
    if len(groups) != len(data):
        raise SurveyError(
            f"groups has {len(groups)} values but the data has {len(data)} rows; give one "
            "group per row"
        )
    X = np.empty((len(data), len(items)))
    for j, it in enumerate(items):
        col = data[it]
        try:
            X[:, j] = pd.to_numeric(col, errors="raise").astype("Float64").to_numpy(
                dtype=float, na_value=np.nan
            )
        except (TypeError, ValueError) as exc:
            raise SurveyError(f"column '{it}' must be numeric ({exc})", column=str(it)) from exc
    g_values = groups.to_numpy(dtype=object)
    if isinstance(groups.dtype, pd.CategoricalDtype):
        order = [str(c) for c in groups.cat.categories]
    else:
        order = [str(v) for v in dict.fromkeys(v for v in g_values if not pd.isna(v))]
    labels = np.array([None if pd.isna(v) else str(v) for v in g_values], dtype=object)
    keep = ~np.isnan(X).any(axis=1) & np.array([v is not None for v in labels])
    X, labels = X[keep], labels[keep]
    order = [g for g in order if (labels == g).any()]
    return items, np.asarray(item_factor), order, X, labels


def _moments(X, labels, order):
    import numpy as np

    S, M, n = [], [], []
    for g in order:
        Xg = X[labels == g]
        M.append(Xg.mean(axis=0))
        S.append(np.cov(Xg, rowvar=False, bias=True))
        n.append(len(Xg))
    return S, M, n


def fit_mgcfa(
    data: pd.DataFrame,
    groups: pd.Series | str,
    factors: Mapping[str, Sequence[str]],
    level: str = "configural",
    *,
    free_intercepts: Sequence[str] = (),
    free_loadings: Sequence[str] = (),
) -> FitResult:
    """Fit a multi-group confirmatory factor model by maximum likelihood.

    The model, the identification and the fit statistics are described in the module
    docstring; they follow lavaan's ``cfa(model, data, group = ..., group.equal = ...)``
    with its defaults.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent with a numeric column per item. Rows with a missing item
        or a missing group are left out (listwise).
    groups : pandas.Series or str
        Group of each row (aligned with ``data``), or the name of a column of ``data``.
        Groups are taken in the order of a categorical's categories, else in order of
        first appearance (as lavaan); the first is the reference group.
    factors : mapping of str to sequence of str
        Factor name -> its items; the first item of each factor is its marker.
    level : {"configural", "metric", "scalar"}
        Which equality constraints to impose across groups.
    free_intercepts, free_loadings : sequence of str
        Items whose intercept (scalar level) or loading (metric and scalar levels) is
        left free in every group: a partial-invariance model (lavaan ``group.partial``).
        A marker item's loading is fixed to 1 and cannot be freed.

    Returns
    -------
    FitResult

    Raises
    ------
    SurveyError
        When an item or the group column is missing or not numeric, an item is listed
        twice, fewer than two groups have data, a group's covariance matrix is singular
        (fewer respondents than items, or an item that does not vary), or the model has
        negative degrees of freedom.

    Examples
    --------
    Six simulated items of one construct, two regions, equal loadings (R:
    ``cfa("f =~ bb1 + ... + bb6", data, group = "lab_region", group.equal =
    "loadings")``):

    >>> from survey.instrument import load
    >>> from survey.simulate import simulate
    >>> frame = simulate(load("lab-culture"), seed=5, labs={"china": 6,
    ...                  "united_states": 6}, respondents_per_lab=(40, 40))
    >>> items = [f"bb{j}" for j in range(1, 7)]
    >>> fit = fit_mgcfa(frame, "lab_region", {"build_vs_buy": items}, "metric")
    >>> fit.groups, fit.df, fit.converged
    (('china', 'united_states'), 23, True)
    """
    import numpy as np
    import pandas as pd
    from scipy import optimize
    from scipy.stats import chi2

    if level not in LEVELS:
        raise SurveyError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
    items, item_factor, order, X, labels = _prepare(data, groups, factors)
    for name, wanted in (("free_intercepts", free_intercepts),
                         ("free_loadings", free_loadings)):
        for it in wanted:
            if it not in items:
                raise SurveyError(f"{name}: '{it}' is not an item of the model."
                                  + did_you_mean(str(it), [str(i) for i in items]))
    p = len(items)
    markers = np.array([int(np.flatnonzero(item_factor == f)[0])
                        for f in range(item_factor.max() + 1)])
    bad_load = [it for it in free_loadings if items.index(it) in markers]
    if bad_load:
        raise SurveyError(
            f"free_loadings: '{bad_load[0]}' is the marker of its factor (loading fixed "
            "to 1); free another item's loading"
        )
    if len(order) < 2:
        raise SurveyError(
            f"a multi-group model needs at least 2 groups with complete data, got "
            f"{len(order)} ({', '.join(order) or 'none'})"
        )
    S, M, n = _moments(X, labels, order)
    for g, Sg, ng in zip(order, S, n, strict=True):
        if ng <= p or np.linalg.eigvalsh(Sg)[0] <= 1e-10 * max(np.trace(Sg), 1e-300):
            raise SurveyError(
                f"the covariance matrix of group '{g}' is singular ({ng} complete "
                f"respondents, {p} items); a group needs more respondents than items and "
                "every item must vary"
            )
    G = len(order)
    N = float(sum(n))
    w = np.array(n, dtype=float) / N
    layout = _Layout(p, item_factor, markers, G, level,
                     {items.index(i) for i in free_intercepts},
                     {items.index(i) for i in free_loadings})
    df = G * p * (p + 3) // 2 - layout.npar
    if df < 0:
        raise SurveyError(
            f"the model has {layout.npar} free parameters but only {G * p * (p + 3) // 2} "
            "sample moments; it is not identified (add items or constraints)"
        )
    x0 = _start(layout, S, M, w)
    bounds = [(lo if np.isfinite(lo) else None, None) for lo in layout.lower]
    res = optimize.minimize(
        _objective, x0, args=(layout, S, M, w), jac=True, method="L-BFGS-B",
        bounds=bounds, options={"maxiter": 20000, "maxfun": 40000, "ftol": 1e-15,
                                "gtol": 1e-10, "maxcor": 30},
    )
    x = res.x
    fmin, grad = _objective(x, layout, S, M, w)
    at_bound = np.isfinite(layout.lower) & (x <= layout.lower + 1e-8)
    free_grad = np.where(at_bound & (grad > 0), 0.0, grad)
    converged = bool(fmin < 1e9 and np.max(np.abs(free_grad)) < 1e-4)
    heywood = bool(at_bound.any())

    fmin -= float(sum(wg * np.linalg.slogdet(Sg)[1] for wg, Sg in zip(w, S, strict=True)))
    chisq = max(N * fmin, 0.0)
    base = float(sum(ng * (np.log(np.diag(Sg)).sum() - np.linalg.slogdet(Sg)[1])
                     for ng, Sg in zip(n, S, strict=True)))
    base_df = G * p * (p - 1) // 2
    t1, t0 = chisq - df, base - base_df
    denom = max(t1, t0, 0.0)
    cfi = 1.0 - max(t1, 0.0) / denom if denom > 0 else 1.0
    rmsea = float(np.sqrt(max(chisq / N / df - 1.0 / N, 0.0)) * np.sqrt(G)) if df > 0 else 0.0
    srmr = 0.0
    loglik = 0.0
    rows: list[dict[str, Any]] = []
    names = list(factors)
    for g in range(G):
        Lam, Phi, theta, nu, alpha = layout.matrices(x, g)
        Sigma = Lam @ Phi @ Lam.T + np.diag(theta)
        mu = nu + Lam @ alpha
        sd = np.sqrt(np.diag(S[g]))
        res_cov = (S[g] - Sigma) / np.outer(sd, sd)
        res_mean = (M[g] - mu) / sd
        low = np.tril_indices(p)
        srmr += w[g] * np.sqrt((np.sum(res_mean**2) + np.sum(res_cov[low] ** 2))
                               / (p + p * (p + 1) / 2))
        d = M[g] - mu
        Sinv = np.linalg.inv(Sigma)
        loglik += -n[g] / 2.0 * (p * np.log(2 * np.pi) + np.linalg.slogdet(Sigma)[1]
                                 + np.sum(Sinv * S[g]) + d @ Sinv @ d)
        label = order[g]
        for j, it in enumerate(items):
            rows.append({"lhs": names[item_factor[j]], "op": "=~", "rhs": it,
                         "group": label, "est": Lam[j, item_factor[j]]})
        for j, it in enumerate(items):
            rows.append({"lhs": it, "op": "~~", "rhs": it, "group": label, "est": theta[j]})
        for a in range(layout.m):
            for b in range(a, layout.m):
                rows.append({"lhs": names[a], "op": "~~", "rhs": names[b], "group": label,
                             "est": Phi[a, b]})
        for j, it in enumerate(items):
            rows.append({"lhs": it, "op": "~1", "rhs": "", "group": label, "est": nu[j]})
        for a in range(layout.m):
            rows.append({"lhs": names[a], "op": "~1", "rhs": "", "group": label,
                         "est": alpha[a]})
    params = pd.DataFrame(rows, columns=["lhs", "op", "rhs", "group", "est"])
    return FitResult(
        level=level, groups=tuple(order), n=tuple(int(v) for v in n), chisq=float(chisq),
        df=int(df), pvalue=float(chi2.sf(chisq, df)) if df > 0 else float("nan"),
        cfi=float(cfi), rmsea=rmsea, srmr=float(srmr), loglik=float(loglik),
        baseline_chisq=base, baseline_df=int(base_df), npar=int(layout.npar),
        params=params, converged=converged, heywood=heywood, message=str(res.message),
        free_intercepts=tuple(free_intercepts), free_loadings=tuple(free_loadings),
    )


# ---- per construct ---------------------------------------------------------------------

def measurement_invariance(
    responses: ResponseSet | pd.DataFrame,
    by: str,
    *,
    instrument: Instrument | None = None,
    groups: Sequence[str] | None = None,
    constructs: Sequence[str] | None = None,
    min_group_n: int = 100,
    min_cfi: float = 0.90,
    delta_cfi_cutoff: float = -0.010,
    delta_rmsea_cutoff: float = 0.015,
    delta_srmr_cutoff: tuple[float, float] = (0.030, 0.010),
    alpha: float = 0.05,
) -> Invariance:
    """Test configural, metric and scalar invariance of every construct across groups.

    Each construct gets a one-factor model (its first item is the marker) fitted by
    :func:`fit_mgcfa` at the three levels; the decision rules, the item tests and the
    handling of missing answers and small groups are described in the module docstring.

    Parameters
    ----------
    responses : ResponseSet or pandas.DataFrame
        Validated responses, or a frame with the item columns and ``by`` (then
        ``instrument`` is required).
    by : str
        Grouping column, e.g. ``lab_region``.
    instrument : Instrument, optional
        Defaults to ``responses.instrument``.
    groups : sequence of str, optional
        Group codes to compare, in this order (the first is the reference group).
        Default: every group present, in the order of the column's categories.
    constructs : sequence of str, optional
        Construct ids to test (default: all, in instrument order).
    min_group_n : int
        A group needs at least this many complete respondents on a construct (and at
        least the number of items plus two) to enter its model. The default of 100
        follows the usual advice for ML multi-group CFA; lower it knowingly: on clean
        simulated data the share of constructs wrongly flagged rises from about 3 % with
        300 per group to about 9 % with 150, 16 % with 100 and 30 % with 65 (see the
        module docstring).
    min_cfi : float
        CFI the configural model needs for configural invariance to hold.
    delta_cfi_cutoff, delta_rmsea_cutoff : float
        A step fails when ``ΔCFI <= delta_cfi_cutoff`` and either ``ΔRMSEA >=
        delta_rmsea_cutoff`` or ``ΔSRMR`` reaches its cut-off (Chen 2007: -0.010, 0.015).
    delta_srmr_cutoff : (float, float)
        ΔSRMR cut-offs of the metric and the scalar step (Chen 2007: 0.030, 0.010).
    alpha : float
        Level of the Holm-adjusted per-item tests that name the differing items.

    Returns
    -------
    Invariance
        ``fits`` (columns :data:`FITS_COLUMNS`): one row per construct x level with
        ``n_groups`` and ``n`` (complete respondents in the groups modelled), ``chisq``,
        ``df``, ``p``, ``cfi``, ``rmsea``, ``srmr``, the changes against the previous
        level (``delta_*``; ``delta_chisq``/``delta_df``/``delta_p`` are the
        likelihood-ratio test), ``holds`` (boolean, ``<NA>`` when not tested),
        ``status`` (``ok``, ``too_few`` groups with enough respondents,
        ``too_few_items``, ``singular``, ``not_converged``) and ``note``.
        ``summary`` (columns :data:`SUMMARY_COLUMNS`): per construct the groups
        modelled (``|``-separated), ``n``, ``highest_level`` (``scalar``, ``metric``,
        ``configural``, ``none``, or ``not_tested``), ``mean_comparison_warranted``
        (``<NA>`` when not tested), ``items_differing`` (comma-separated, most different
        first), ``status`` and ``note``. ``items`` (columns :data:`ITEMS_COLUMNS`): the
        per-item likelihood-ratio tests behind ``items_differing``.

    Raises
    ------
    SurveyError
        When ``by``, a group or a construct is unknown, or an instrument is missing.

    Examples
    --------
    >>> from survey.instrument import load
    >>> from survey.simulate import simulate
    >>> inst = load("lab-culture")
    >>> frame = simulate(inst, seed=5, labs={"china": 6, "united_states": 6},
    ...                  respondents_per_lab=(40, 40), dif=[("bb5", "united_states", 1.0)])
    >>> result = measurement_invariance(frame, "lab_region", instrument=inst,
    ...                                 constructs=["build_vs_buy"])
    >>> row = result.summary.iloc[0]
    >>> row["highest_level"], bool(row["mean_comparison_warranted"])
    ('metric', False)
    >>> row["items_differing"].split(", ")[0]
    'bb5'
    """
    import numpy as np
    import pandas as pd

    from analysis.scoring import keyed_matrix

    if instrument is None:
        instrument = getattr(responses, "instrument", None)
        if instrument is None:
            raise SurveyError("give instrument= when responses is a plain DataFrame")
    frame = getattr(responses, "data", responses)
    if by not in frame.columns:
        known = [g.id for g in instrument.groups]
        raise SurveyError(f"no grouping column '{by}' in the responses." + did_you_mean(by, known),
                          column=by)
    by_values = frame[by]
    if isinstance(by_values.dtype, pd.CategoricalDtype):
        present = [str(c) for c in by_values.cat.categories]
    else:
        present = [str(v) for v in dict.fromkeys(by_values.dropna())]
    labels = pd.Series([None if pd.isna(v) else str(v) for v in by_values], index=frame.index,
                       dtype=object)
    if groups is not None:
        for g in groups:
            if g not in present:
                raise SurveyError(f"no group '{g}' in column '{by}' (known: "
                                  f"{', '.join(present)})." + did_you_mean(g, present),
                                  column=by)
        order = [str(g) for g in groups]
    else:
        order = [g for g in present if (labels == g).any()]
    all_ids = [c.id for c in instrument.constructs]
    wanted = list(constructs) if constructs is not None else all_ids
    for cid in wanted:
        if cid not in all_ids:
            raise SurveyError(f"no construct '{cid}' in instrument '{instrument.id}'."
                              + did_you_mean(cid, all_ids))

    fit_rows: list[dict] = []
    summary_rows: list[dict] = []
    item_rows: list[dict] = []
    srmr_cut = dict(zip(("metric", "scalar"), delta_srmr_cutoff, strict=True))

    def cut_text(level: str) -> str:
        return (f"Chen (2007): fails if ΔCFI <= {delta_cfi_cutoff:.3f} and (ΔRMSEA >= "
                f"{delta_rmsea_cutoff:.3f} or ΔSRMR >= {srmr_cut[level]:.3f})")

    for construct in (c for c in instrument.constructs if c.id in wanted):
        items = list(construct.item_ids)
        block = pd.DataFrame(keyed_matrix(frame, instrument, construct, on_scale=False),
                             index=frame.index, columns=items)
        complete = block.notna().all(axis=1) & labels.isin(order)
        counts = {g: int((complete & (labels == g)).sum()) for g in order}
        need = max(int(min_group_n), len(items) + 2)
        kept = [g for g in order if counts[g] >= need]
        dropped = [g for g in order if counts[g] < need]
        notes: list[str] = []
        if dropped:
            notes.append("left out (fewer than " + str(need) + " complete respondents): "
                         + ", ".join(f"{g} ({counts[g]})" for g in dropped))
        small = [g for g in kept if counts[g] < 100]
        if small and len(kept) >= 2:
            notes.append("fewer than 100 respondents in " + ", ".join(small)
                         + ": fit indices are unstable, read them as indicative")
        n_total = sum(counts[g] for g in kept)
        if len(kept) >= 2 and n_total <= 300:
            notes.append("N <= 300: Chen (2007) suggests the stricter ΔCFI >= -0.005 and "
                         "ΔRMSEA <= 0.010; the cut-offs above were applied")
        base = {"construct": construct.id, "by": by, "n_groups": len(kept), "n": n_total}
        status = "ok"
        if len(items) < 3:
            status = "too_few_items"
            notes.insert(0, f"{count(len(items), 'item')}; a one-factor model needs at "
                         "least 3")
        elif len(kept) < 2:
            status = "too_few"
            notes.insert(0, f"fewer than 2 groups with at least {need} complete "
                         "respondents; invariance not tested")
        fits: dict[str, FitResult | None] = dict.fromkeys(LEVELS)
        level_status = dict.fromkeys(LEVELS, status)
        level_note = dict.fromkeys(LEVELS, "")
        data = block.loc[complete & labels.isin(kept)]
        grp = pd.Series(pd.Categorical(labels[data.index], categories=kept), index=data.index)
        model = {construct.id: items}
        if status == "ok":
            for level in LEVELS:
                try:
                    fit = fit_mgcfa(data, grp, model, level)
                except SurveyError as exc:
                    level_status[level] = "singular"
                    level_note[level] = exc.message
                    continue
                fits[level] = fit
                if not fit.converged:
                    level_status[level] = "not_converged"
                    level_note[level] = f"the optimiser did not converge: {fit.message}"
                elif fit.heywood:
                    level_note[level] = _HEYWOOD_NOTE

        holds: dict[str, Any] = dict.fromkeys(LEVELS, pd.NA)
        prev: FitResult | None = None
        for level in LEVELS:
            fit = fits[level]
            row = {**base, "level": level, "chisq": np.nan, "df": np.nan, "p": np.nan,
                   "cfi": np.nan, "rmsea": np.nan, "srmr": np.nan, "delta_cfi": np.nan,
                   "delta_rmsea": np.nan, "delta_srmr": np.nan, "delta_chisq": np.nan,
                   "delta_df": np.nan, "delta_p": np.nan}
            ok = fit is not None and level_status[level] == "ok"
            if fit is not None:
                row.update(chisq=fit.chisq, df=fit.df, p=fit.pvalue, cfi=fit.cfi,
                           rmsea=fit.rmsea, srmr=fit.srmr)
            rule = (f"holds if CFI >= {min_cfi:.2f}" if level == "configural"
                    else cut_text(level))
            if level == "configural":
                if ok:
                    holds[level] = bool(fit.cfi >= min_cfi)
            elif prev is not None and fit is not None:
                from scipy.stats import chi2

                dchi = fit.chisq - prev.chisq
                ddf = fit.df - prev.df
                row.update(delta_cfi=fit.cfi - prev.cfi, delta_rmsea=fit.rmsea - prev.rmsea,
                           delta_srmr=fit.srmr - prev.srmr, delta_chisq=dchi, delta_df=ddf,
                           delta_p=float(chi2.sf(max(dchi, 0.0), ddf)))
                before = holds[LEVELS[LEVELS.index(level) - 1]]
                if ok and before is not pd.NA:
                    fails = row["delta_cfi"] <= delta_cfi_cutoff and (
                        row["delta_rmsea"] >= delta_rmsea_cutoff
                        or row["delta_srmr"] >= srmr_cut[level])
                    holds[level] = bool(before and not fails)
            prev = fit if ok else None
            note = "; ".join(t for t in (level_note[level], rule) if t)
            fit_rows.append({**row, "holds": holds[level], "status": level_status[level],
                             "note": note if status == "ok" else "; ".join(notes)})

        # the decision
        if status != "ok" or holds["configural"] is pd.NA:
            highest = "not_tested"
        elif not holds["configural"]:
            highest = "none"
        else:
            highest = "configural"
            for level in ("metric", "scalar"):
                if holds[level] is True:
                    highest = level
                else:
                    break
        failed_step = None
        if highest == "configural" and holds["metric"] is False:
            failed_step = "metric"
        elif highest == "metric" and holds["scalar"] is False:
            failed_step = "scalar"
        differing = ""
        if failed_step is not None:
            tests = _item_tests(data, grp, model, fits[failed_step], failed_step)
            p_adj = _holm([t[3] for t in tests])
            ranked = sorted(zip(tests, p_adj, strict=True), key=lambda t: -t[0][1])
            for (item, chisq, dfree, p_unc), padj in ranked:
                item_rows.append({"construct": construct.id, "by": by,
                                  "parameter": "intercept" if failed_step == "scalar"
                                  else "loading", "item": item, "chisq": chisq, "df": dfree,
                                  "p_unc": p_unc, "p_adj": padj})
            named = [t[0][0] for t in ranked if t[1] < alpha]
            if not named and ranked:
                named = [ranked[0][0][0]]
                notes.append(f"no single {'intercept' if failed_step == 'scalar' else 'loading'}"
                             f" differs significantly (Holm, alpha {alpha:g}); the largest"
                             " is named")
            differing = ", ".join(named)
            what = "intercepts" if failed_step == "scalar" else "loadings"
            notes.insert(0, f"{failed_step} invariance fails: {what} differ most for "
                         f"{differing}")
        if status == "ok" and any(level_status[lv] != "ok" for lv in LEVELS):
            status = next(level_status[lv] for lv in LEVELS if level_status[lv] != "ok")
        warranted: Any = pd.NA if highest == "not_tested" else highest == "scalar"
        if highest == "not_tested" and status == "ok":
            status = "not_converged"
        summary_rows.append({
            "construct": construct.id, "by": by, "groups": "|".join(kept), "n": n_total,
            "highest_level": highest, "mean_comparison_warranted": warranted,
            "items_differing": differing, "status": status, "note": "; ".join(notes),
        })

    fits_df = pd.DataFrame(fit_rows, columns=FITS_COLUMNS)
    summary = pd.DataFrame(summary_rows, columns=SUMMARY_COLUMNS)
    items_df = pd.DataFrame(item_rows, columns=ITEMS_COLUMNS)
    fits_df["holds"] = fits_df["holds"].astype("boolean")
    for col in ("n_groups", "n"):
        fits_df[col] = fits_df[col].astype("int64")
    for col in ("df", "delta_df"):
        fits_df[col] = fits_df[col].astype("Int64")
    summary["mean_comparison_warranted"] = summary["mean_comparison_warranted"].astype("boolean")
    summary["n"] = summary["n"].astype("int64")
    items_df["df"] = items_df["df"].astype("int64")
    return Invariance(fits=fits_df, summary=summary, items=items_df)


def _item_tests(data, grp, model, constrained: FitResult, step: str):
    """Release each item's intercept (scalar) or loading (metric) in turn: LR tests."""
    from scipy.stats import chi2

    items = next(iter(model.values()))
    out = []
    candidates = items if step == "scalar" else items[1:]  # the marker loading is fixed
    for item in candidates:
        kwargs = ({"free_intercepts": [item]} if step == "scalar"
                  else {"free_loadings": [item]})
        try:
            partial = fit_mgcfa(data, grp, model, step, **kwargs)
        except SurveyError:
            continue
        lr = max(constrained.chisq - partial.chisq, 0.0)
        ddf = constrained.df - partial.df
        out.append((item, lr, ddf, float(chi2.sf(lr, ddf))))
    return out


def _holm(p: list[float]) -> list[float]:
    from analysis.stats import adjust_p

    return adjust_p(p, "holm").tolist() if p else []


# ---- partial invariance and latent means -------------------------------------------------

@dataclass(frozen=True)
class PartialInvariance:
    """Result of :func:`partial_invariance`.

    Attributes
    ----------
    steps : pandas.DataFrame
        The freeing sequence of every construct whose scalar step failed, columns
        :data:`PARTIAL_COLUMNS`: step 0 is the full scalar model, each later step frees
        one more intercept (``released``, with its score test) and is judged against
        the metric model; ``status`` of the last step says whether partial invariance was
        reached.
    latent : pandas.DataFrame
        One row per construct and group after the first, columns :data:`LATENT_COLUMNS`:
        the latent mean difference (group minus reference, in reference-group SD
        units) under the scalar or partial scalar model, with ``se``, ``z``, ``p`` and a
        95 % CI, beside the observed difference of scale means; ``status`` is ``ok``,
        ``partial invariance not reached``, ``not warranted`` (metric or configural
        invariance fails), ``not tested`` or ``not converged``.
    """

    steps: pd.DataFrame
    latent: pd.DataFrame


def partial_invariance(
    responses: ResponseSet | pd.DataFrame,
    by: str,
    *,
    instrument: Instrument | None = None,
    groups: Sequence[str] | None = None,
    constructs: Sequence[str] | None = None,
    summary: pd.DataFrame | None = None,
    min_group_n: int = 100,
    min_cfi: float = 0.90,
    delta_cfi_cutoff: float = -0.010,
    delta_rmsea_cutoff: float = 0.015,
    delta_srmr_cutoff: tuple[float, float] = (0.030, 0.010),
    min_constrained: int = MIN_CONSTRAINED,
) -> PartialInvariance:
    """Partial scalar invariance where scalar invariance fails, and latent mean differences.

    The procedure is described in the module docstring.

    Parameters
    ----------
    responses : ResponseSet or pandas.DataFrame
        Validated responses, or a frame with the item columns and ``by`` (then
        ``instrument`` is required).
    by : str
        Grouping column.
    instrument : Instrument, optional
        Defaults to ``responses.instrument``.
    groups : sequence of str, optional
        Groups to compare, in order (the first is the reference). Default: every group
        present.
    constructs : sequence of str, optional
        Construct ids (default all).
    summary : pandas.DataFrame, optional
        The ``summary`` of :func:`measurement_invariance` for the same groups and
        settings (computed here when not given).
    min_group_n, min_cfi, delta_cfi_cutoff, delta_rmsea_cutoff, delta_srmr_cutoff
        As :func:`measurement_invariance`; the scalar cut-off of ``delta_srmr_cutoff``
        judges the partial models.
    min_constrained : int, default 2
        Items whose intercepts must stay equal.

    Returns
    -------
    PartialInvariance

    Raises
    ------
    SurveyError
        As :func:`measurement_invariance`.

    Examples
    --------
    >>> from survey.instrument import load
    >>> from survey.simulate import simulate
    >>> inst = load("lab-culture")
    >>> frame = simulate(inst, seed=5, labs={"china": 6, "united_states": 6},
    ...                  respondents_per_lab=(40, 40), dif=[("bb5", "united_states", 1.0)])
    >>> result = partial_invariance(frame, "lab_region", instrument=inst,
    ...                             constructs=["build_vs_buy"])
    >>> result.latent.loc[0, ["model", "freed_intercepts", "status"]].tolist()
    ['partial scalar', 'bb5', 'ok']
    """
    import numpy as np
    import pandas as pd
    from scipy.special import ndtr

    from analysis.cfa import _fit_moments, _group_moments, score_tests
    from analysis.scoring import keyed_matrix

    if instrument is None:
        instrument = getattr(responses, "instrument", None)
        if instrument is None:
            raise SurveyError("give instrument= when responses is a plain DataFrame")
    frame = getattr(responses, "data", responses)
    if summary is None:
        summary = measurement_invariance(
            frame, by, instrument=instrument, groups=groups, constructs=constructs,
            min_group_n=min_group_n, min_cfi=min_cfi, delta_cfi_cutoff=delta_cfi_cutoff,
            delta_rmsea_cutoff=delta_rmsea_cutoff, delta_srmr_cutoff=delta_srmr_cutoff,
        ).summary
    wanted = list(constructs) if constructs is not None else [c.id for c in
                                                              instrument.constructs]
    label_array = np.array([None if pd.isna(v) else str(v) for v in frame[by]], dtype=object)
    srmr_cut = delta_srmr_cutoff[1]
    step_rows: list[dict] = []
    latent_rows: list[dict] = []

    def fails(fit, metric) -> bool:
        return bool(fit.cfi - metric.cfi <= delta_cfi_cutoff and (
            fit.rmsea - metric.rmsea >= delta_rmsea_cutoff
            or fit.srmr - metric.srmr >= srmr_cut))

    for row in summary.to_dict("records"):
        cid = row["construct"]
        if cid not in wanted:
            continue
        construct = instrument.construct(cid)
        items = list(construct.item_ids)
        kept = [g for g in str(row["groups"]).split("|") if g] if row["groups"] else []
        base = {"construct": cid, "by": by}
        level = row["highest_level"]
        latent_base = {**base, "reference": kept[0] if kept else "", "model": "",
                       "freed_intercepts": "", "n_reference": 0, "n_group": 0}
        nan_stats = dict.fromkeys(("latent_diff", "se", "z", "p", "ci_low", "ci_high",
                                   "observed_diff", "observed_std_diff"), np.nan)
        if level not in ("scalar", "metric") or len(kept) < 2:
            if level == "not_tested" or len(kept) < 2:
                status, note = "not tested", row["note"]
            elif level == "configural":
                status, note = "not warranted", ("metric invariance fails: the loadings "
                                                 "differ, so latent means are not comparable")
            else:
                status, note = "not warranted", "configural invariance fails"
            for g in kept[1:] or [""]:
                latent_rows.append({**latent_base, "group": g, **nan_stats,
                                    "status": status, "note": note})
            continue
        X = keyed_matrix(frame, instrument, construct, on_scale=False)
        lab = label_array.copy()
        lab[~np.isin(lab, kept)] = None
        complete = ~np.isnan(X).any(axis=1) & np.array([v is not None for v in lab])
        X, lab = X[complete], lab[complete]
        item_factor = np.zeros(len(items), dtype=int)
        n_total = int(len(X))

        group_text = "|".join(kept)
        freed: list[str] = []
        note = ""
        try:
            scalar = _fit_moments(*_group_moments(X, lab, kept), items, item_factor,
                                  "scalar")
            final = scalar
            status = "ok"
            if level == "metric":
                metric = _fit_moments(None, None, None, None, items, item_factor, "metric",
                                      start=scalar)
                current = scalar
                released, score = "", (np.nan, np.nan, np.nan)
                step = 0
                while True:
                    failing = fails(current, metric)
                    step_rows.append({
                        **base, "groups": group_text, "n": n_total, "step": step,
                        "released": released, "freed_intercepts": ", ".join(freed),
                        "score_chisq": score[0], "score_df": score[1], "score_p": score[2],
                        "chisq": current.chisq, "df": current.df, "cfi": current.cfi,
                        "rmsea": current.rmsea, "srmr": current.srmr,
                        "delta_cfi": current.cfi - metric.cfi,
                        "delta_rmsea": current.rmsea - metric.rmsea,
                        "delta_srmr": current.srmr - metric.srmr, "fails": failing,
                        "status": "", "note": ""})
                    if not failing:
                        step_rows[-1]["status"] = "partial invariance reached"
                        final = current
                        break
                    if len(items) - len(freed) - 1 < min_constrained:
                        status = "partial invariance not reached"
                        note = (f"freeing another intercept would leave fewer than "
                                f"{min_constrained} items with equal intercepts")
                        step_rows[-1].update(status=status, note=note)
                        final = None
                        break
                    tests = score_tests(current)
                    top = tests.iloc[0]
                    released = str(top["item"])
                    score = (float(top["chisq"]), int(top["df"]), float(top["p"]))
                    freed.append(released)
                    current = _fit_moments(None, None, None, None, items, item_factor,
                                           "scalar", freed, start=current)
                    step += 1
        except SurveyError as exc:
            status, note, final = "not converged", exc.message, None
        if final is not None and not final.converged:
            status, note, final = "not converged", "the model did not converge", None
        ref_scores = X[lab == kept[0]].mean(axis=1)
        for gi, g in enumerate(kept[1:], start=1):
            scores = X[lab == g].mean(axis=1)
            diff = float(scores.mean() - ref_scores.mean())
            stats = {**nan_stats, "observed_diff": diff,
                     "observed_std_diff": diff / float(ref_scores.std(ddof=1))}
            if final is not None:
                est = float(final.latent_means[gi - 1, 0])
                se = float(final.latent_mean_se[gi - 1, 0])
                z = est / se if se > 0 else np.nan
                stats.update(latent_diff=est, se=se, z=z,
                             p=float(2 * ndtr(-abs(z))) if se > 0 else np.nan,
                             ci_low=est - 1.959963984540054 * se,
                             ci_high=est + 1.959963984540054 * se)
            latent_rows.append({
                **latent_base, "group": g,
                "model": ("partial scalar" if freed else "scalar") if final is not None
                else "", "freed_intercepts": ", ".join(freed) if final is not None else "",
                "n_reference": int((lab == kept[0]).sum()), "n_group": int((lab == g).sum()),
                **stats, "status": status, "note": note})

    steps = pd.DataFrame(step_rows, columns=PARTIAL_COLUMNS)
    latent = pd.DataFrame(latent_rows, columns=LATENT_COLUMNS)
    for col in ("n", "step", "df"):
        steps[col] = steps[col].astype("int64")
    steps["score_df"] = steps["score_df"].astype("Int64")
    steps["fails"] = steps["fails"].astype("boolean")
    for col in ("n_reference", "n_group"):
        latent[col] = latent[col].astype("int64")
    return PartialInvariance(steps=steps, latent=latent)
