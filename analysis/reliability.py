"""Reliability of each construct: Cronbach's alpha with a CI, omega total, item statistics.

Items are reverse keyed first (``min + max - x`` on the item's declared scale). Then,
per construct, from the item covariance matrix ``C`` (k items):

* ``alpha`` (Cronbach, psych's ``raw_alpha``) = k/(k-1) * (1 - tr(C)/sum(C)).
* ``alpha_ci_low``, ``alpha_ci_high``: Feldt's interval (Feldt, Woodruff & Salih 1987),
  ``1 - (1 - alpha) * F^-1(1 - a/2 | a/2; n - 1, (n - 1)(k - 1))``, as psych's
  ``alpha.ci`` and pingouin compute it (pingouin rounds it to 3 decimals; here it is
  unrounded). ``ci_method`` says ``feldt``.
* ``std_alpha`` (psych's ``std.alpha``) = k/(k-1) * (1 - k/sum(R)), R = cov2cor(C).
* ``mean_r``: the mean inter-item correlation, (sum(R) - k) / (k(k-1)).
* ``omega``: McDonald's omega total, (sum λ)² / ((sum λ)² + sum θ), from a one-factor
  maximum-likelihood factor analysis of R (λ loadings, θ = 1 - λ² uniquenesses), fitted
  as R's ``factanal`` and ``psych::fa(fm = "ml")`` do (see :func:`fit_one_factor`).
  It needs at least 3 items.
* per item: ``r_drop`` (corrected item-total correlation, psych's ``r.drop``) =
  (sum C[, i] - C[i, i]) / sqrt(C[i, i] * sum C[-i, -i]) and ``alpha_if_dropped``
  (alpha of the other k - 1 items; needs k >= 3).

Missing answers: ``missing="pairwise"`` (default, as ``psych::alpha`` and pingouin):
each covariance uses the respondents who answered both items (``cov(x, use =
"pairwise")``), and ``n`` counts respondents who answered at least one of the items
(psych counts every row given, including rows with no answer at all, which carry no
information). ``missing="listwise"``: only respondents who answered every item of the
construct; ``n`` counts them. The ``missing`` column of the output says which was used.

Ordinal reliability (``ordinal_alpha``, ``ordinal_omega``; Zumbo, Gadermann & Zeisser
2007): the same two coefficients computed on the matrix of polychoric correlations of
the items (:mod:`analysis.polychoric`, as ``psych::polychoric``: thresholds from each
item's answers, each correlation on the respondents who answered both items) instead of
the Pearson covariances. They treat the answers as ordered categories cut from a
continuous response, which Likert items are; they are not computed for scales with more
than 8 answer categories (psych refuses those too), and the ``note`` says when the
polychoric matrix had to be smoothed to be positive definite.

Problems do not raise: the statistic that cannot be computed is NaN and the ``note``
column says why (one item, no variance, too few respondents, all answers missing in a
group, ...).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from survey.errors import SurveyError, did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from survey.instrument import Instrument
    from survey.responses.model import ResponseSet

__all__ = [
    "CI_METHOD",
    "ITEM_COLUMNS",
    "MAX_ORDINAL_CATEGORIES",
    "MISSING_METHODS",
    "RELIABILITY_COLUMNS",
    "AlphaStats",
    "OneFactor",
    "analyse_items",
    "assess_reliability",
    "cronbach_alpha",
    "fit_one_factor",
    "omega_total",
]

#: Columns of :func:`assess_reliability` (``reliability.csv``), in order.
RELIABILITY_COLUMNS = (
    "construct", "group", "n", "k", "alpha", "alpha_ci_low", "alpha_ci_high", "omega",
    "std_alpha", "mean_r", "ci_method", "missing", "note", "ordinal_alpha", "ordinal_omega",
)
#: Most answer categories for which polychoric correlations are computed (psych's max.cat).
MAX_ORDINAL_CATEGORIES = 8
#: Leading columns of :func:`analyse_items` (``items.csv``); one ``p_<point>`` column per
#: response point follows.
ITEM_COLUMNS = (
    "construct", "item", "reverse", "n", "mean", "sd", "r_drop", "alpha_if_dropped",
)
#: Ways of handling missing answers.
MISSING_METHODS = ("pairwise", "listwise")
#: Name of the confidence interval method in the ``ci_method`` column.
CI_METHOD = "feldt"
#: Lower bound of a uniqueness in the ML fit (as factanal and psych::fa).
_PSI_MIN = 0.005


@dataclass(frozen=True)
class AlphaStats:
    """Cronbach's alpha and its companions for one set of (keyed) items.

    Attributes
    ----------
    n : int
        Respondents used (see the module docstring for the missing-data rule).
    k : int
        Items.
    alpha, ci_low, ci_high : float
        Raw alpha and its Feldt interval.
    std_alpha, mean_r : float
        Standardised alpha and mean inter-item correlation.
    r_drop, alpha_if_dropped : numpy.ndarray
        Per item, in input order.
    item_n : numpy.ndarray
        Answers per item among the rows used.
    covariance : numpy.ndarray
        The k x k covariance matrix the statistics come from.
    notes : tuple of str
        Why a statistic is NaN, if one is.
    """

    n: int
    k: int
    alpha: float
    ci_low: float
    ci_high: float
    std_alpha: float
    mean_r: float
    r_drop: np.ndarray
    alpha_if_dropped: np.ndarray
    item_n: np.ndarray
    covariance: np.ndarray
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class OneFactor:
    """A one-factor maximum-likelihood solution of a correlation matrix.

    Attributes
    ----------
    loadings : numpy.ndarray
        Standardised loadings λ (the sign is arbitrary; the sum is made non-negative).
    uniquenesses : numpy.ndarray
        θ = 1 - λ².
    converged : bool
        Whether the optimiser reported convergence.
    heywood : bool
        Whether a uniqueness sits at its lower bound (0.005): a Heywood case.
    """

    loadings: np.ndarray
    uniquenesses: np.ndarray
    converged: bool
    heywood: bool

    @property
    def omega(self) -> float:
        """(Σλ)² / ((Σλ)² + Σθ)."""
        s = float(self.loadings.sum()) ** 2
        return s / (s + float(self.uniquenesses.sum()))


# ---- the computations ----------------------------------------------------------------------

def cronbach_alpha(
    items: np.ndarray | pd.DataFrame,
    *,
    missing: str = "pairwise",
    ci: float = 0.95,
) -> AlphaStats:
    """Cronbach's alpha, its Feldt CI, standardised alpha and item-total statistics.

    The one place that computes what ``pingouin.cronbach_alpha`` lacks (item
    statistics, standardised alpha, an unrounded CI); the alpha itself agrees with it.

    Parameters
    ----------
    items : numpy.ndarray or pandas.DataFrame
        Respondents x items, already reverse keyed; NaN (or <NA>) for a missing answer.
    missing : {"pairwise", "listwise"}, default "pairwise"
        See the module docstring.
    ci : float, default 0.95
        Coverage of the Feldt interval.

    Returns
    -------
    AlphaStats

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1, 2, 2], [2, 2, 3], [3, 4, 3], [4, 5, 5], [5, 4, 4.]])
    >>> s = cronbach_alpha(x)
    >>> round(s.alpha, 6), round(s.std_alpha, 6)    # R: psych::alpha(x)$total
    (0.928571, 0.938461)
    >>> np.round(s.r_drop, 6).tolist()               # psych::alpha(x)$item.stats$r.drop
    [0.860946, 0.871784, 0.879304]
    >>> round(s.ci_low, 6), round(s.ci_high, 6)      # psych::alpha.ci(s.alpha, 5, 3)
    (0.639098, 0.992045)
    """
    import numpy as np
    from scipy.special import fdtri  # F quantile; scipy.stats takes ~0.6 s to import

    x = _as_float(items)
    if missing not in MISSING_METHODS:
        raise SurveyError(
            f"missing must be one of {', '.join(MISSING_METHODS)}, got '{missing}'."
            + did_you_mean(str(missing), MISSING_METHODS)
        )
    if not 0 < ci < 1:
        raise SurveyError(f"ci is a coverage between 0 and 1, got {ci}")
    answered = ~np.isnan(x)
    if missing == "listwise":
        x = x[answered.all(axis=1)]
        answered = np.ones(x.shape, dtype=bool)
    else:
        keep = answered.any(axis=1)
        x, answered = x[keep], answered[keep]
    n, k = x.shape
    item_n = answered.sum(axis=0)
    nan_k = np.full(k, np.nan)
    notes: list[str] = []
    C = _covariance(x, answered)
    empty = AlphaStats(n, k, np.nan, np.nan, np.nan, np.nan, np.nan, nan_k, nan_k.copy(),
                       item_n, C, ())
    if n < 2:
        return _with_notes(empty, [f"{_count(n, 'respondent')}; alpha needs at least 2"])
    if k < 2:
        return _with_notes(empty, ["one item: alpha and item-total statistics are undefined"])
    if np.isnan(C).any():
        return _with_notes(empty, ["some pairs of items were answered together by fewer "
                                   "than 2 respondents; no covariance"])
    var = np.diag(C).copy()
    total = C.sum()
    trace = var.sum()
    colsum = C.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = k / (k - 1) * (1 - trace / total) if total > 0 else np.nan
        rest = total - 2 * colsum + var                   # sum C[-i, -i]
        r_drop = (colsum - var) / np.sqrt(var * rest)
        r_drop[~((var > 0) & (rest > 0))] = np.nan
        if k >= 3:
            drop = (k - 1) / (k - 2) * (1 - (trace - var) / rest)
            drop[~(rest > 0)] = np.nan
        else:
            drop = nan_k.copy()
    flat = var <= 0
    if total <= 0:
        notes.append("the items have no variance; alpha is undefined")
    if flat.any() and total > 0:
        notes.append(f"{_count(int(flat.sum()), 'item')} without variance; standardised "
                     "alpha and correlations are undefined")
    if k == 2:
        notes.append("two items: alpha if an item is dropped is undefined")
    if flat.any() or total <= 0:
        std_alpha = mean_r = np.nan
    else:
        sd = np.sqrt(var)
        R = C / np.outer(sd, sd)
        rsum = R.sum()
        std_alpha = k / (k - 1) * (1 - k / rsum)
        mean_r = (rsum - k) / (k * (k - 1))
    low = high = np.nan
    if np.isfinite(alpha):
        df1, df2 = n - 1, (n - 1) * (k - 1)
        tail = (1 - ci) / 2
        low = 1 - (1 - alpha) * fdtri(df1, df2, 1 - tail)
        high = 1 - (1 - alpha) * fdtri(df1, df2, tail)
    return AlphaStats(n, k, float(alpha), float(low), float(high), float(std_alpha),
                      float(mean_r), r_drop, drop, item_n, C, tuple(notes))


def fit_one_factor(corr: np.ndarray) -> OneFactor:
    """One-factor maximum-likelihood factor analysis of a correlation matrix.

    Minimises the ML discrepancy over the uniquenesses ψ (bounded to [0.005, 1]) with
    the loadings concentrated out, the method of R's ``factanal`` and of
    ``psych::fa(fm = "ml")``: for given ψ the loading is ``ψ^½ e √(max(ρ - 1, 0))``,
    ``ρ, e`` the largest eigenvalue and vector of ``ψ^-½ R ψ^-½``, and the criterion is
    ``-(Σ_{j>1} (log ρ_j - ρ_j)) + k - 1`` over the other eigenvalues. Start:
    ``(1 - 0.5/k) / diag(R⁻¹)`` as psych. Minimised by a projected Newton method
    (analytic gradient, Hessian by central differences of it; :func:`_minimise_in_box`),
    which converges to a tighter optimum than psych's ``optim`` and needs no
    ``scipy.optimize`` (whose import alone takes a third of a second).

    Parameters
    ----------
    corr : numpy.ndarray
        A k x k positive definite correlation matrix, k >= 3.

    Returns
    -------
    OneFactor

    Examples
    --------
    >>> import numpy as np
    >>> lam = np.array([0.8, 0.7, 0.6, 0.5])
    >>> R = np.outer(lam, lam); np.fill_diagonal(R, 1)
    >>> np.round(fit_one_factor(R).loadings, 6).tolist()   # the model is recovered
    [0.8, 0.7, 0.6, 0.5]
    """
    import numpy as np

    R = np.asarray(corr, dtype=float)
    k = R.shape[0]
    if k < 3:
        raise SurveyError("a one-factor model needs at least 3 items")

    def parts(psi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        sc = 1 / np.sqrt(psi)
        values, vectors = np.linalg.eigh(sc[:, None] * R * sc[None, :])
        return values, vectors                  # ascending

    def criterion(psi: np.ndarray) -> float:
        values = parts(psi)[0][:-1]
        return float(-(np.sum(np.log(values) - values)) + k - 1)

    def loading(psi: np.ndarray) -> np.ndarray:
        values, vectors = parts(psi)
        return np.sqrt(psi) * vectors[:, -1] * np.sqrt(max(values[-1] - 1, 0.0))

    def gradient(psi: np.ndarray) -> np.ndarray:
        lam = loading(psi)
        g = lam**2 + psi - np.diag(R)
        return g / psi**2

    start = (1 - 0.5 / k) / np.diag(np.linalg.inv(R))
    start = np.clip(start, _PSI_MIN, 1.0)
    psi, converged = _minimise_in_box(criterion, gradient, start, _PSI_MIN, 1.0)
    lam = loading(psi)
    if lam.sum() < 0:
        lam = -lam
    return OneFactor(
        loadings=lam,
        uniquenesses=1 - lam**2,
        converged=converged,
        heywood=bool((psi <= _PSI_MIN * (1 + 1e-6)).any()),
    )


def _minimise_in_box(f, grad, x0: np.ndarray, lo: float, hi: float,
                     *, tol: float = 1e-8, max_iter: int = 100) -> tuple[np.ndarray, bool]:
    """Minimise a smooth ``f`` over the box ``lo <= x <= hi`` by projected Newton.

    Variables at a bound with the gradient pushing outwards are held there; on the free
    ones a Newton step (Hessian from central differences of ``grad``, made positive
    definite by shifting its eigenvalues when needed) is tried with backtracking on the
    projected path. Stops when the projected gradient times ``x`` is below ``tol`` (or
    when no step descends any more and it is below 1e-6). Returns the minimiser and
    whether it converged.
    """
    import numpy as np

    x = np.clip(np.asarray(x0, dtype=float), lo, hi)
    fx, g = f(x), grad(x)
    for _ in range(max_iter):
        held = ((x <= lo) & (g > 0)) | ((x >= hi) & (g < 0))
        free = ~held
        scaled = np.abs(g * x)[free]            # relative: ψ near its bound has a steep g
        if np.max(scaled, initial=0.0) < tol:
            return x, True
        idx = np.flatnonzero(free)
        h = 1e-6
        H = np.empty((idx.size, idx.size))
        for j, i in enumerate(idx):
            step = np.zeros_like(x)
            step[i] = h * max(x[i], 1e-3)
            H[:, j] = (grad(x + step)[idx] - grad(x - step)[idx]) / (2 * step[i])
        H = (H + H.T) / 2
        values, vectors = np.linalg.eigh(H)
        values = np.maximum(values, 1e-8 * max(1.0, float(np.abs(values).max())))
        d = np.zeros_like(x)
        d[idx] = -(vectors @ ((vectors.T @ g[idx]) / values))
        t = 1.0
        while t > 1e-12:
            x_new = np.clip(x + t * d, lo, hi)
            f_new = f(x_new)
            if f_new <= fx + 1e-4 * float(g @ (x_new - x)):
                break
            t /= 2
        else:                                   # no descent left: at the numerical optimum
            return x, bool(np.max(scaled) < 1e-6)
        x, fx, g = x_new, f_new, grad(x_new)
    return x, False


def omega_total(items: np.ndarray | pd.DataFrame, *, missing: str = "pairwise") -> float:
    """McDonald's omega total of keyed items from a one-factor ML model.

    ``(Σλ)² / ((Σλ)² + Σθ)`` on the correlation matrix of the items (pairwise or
    listwise covariances, as in :func:`cronbach_alpha`). NaN when it cannot be computed
    (fewer than 3 items, an item without variance, a matrix that is not positive
    definite); :func:`assess_reliability` says why in its ``note`` column.

    Parameters
    ----------
    items : numpy.ndarray or pandas.DataFrame
        Keyed answers, respondents x items, ``NaN`` missing.
    missing : {"pairwise", "listwise"}, default "pairwise"
        How missing answers enter the covariance matrix.

    Returns
    -------
    float
        Omega total, or ``nan``.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> f = rng.normal(size=(2000, 1))
    >>> x = f * [0.8, 0.7, 0.6] + rng.normal(size=(2000, 3)) * [0.6, 0.714, 0.8]
    >>> round(omega_total(x), 2)       # population value 0.745
    0.75
    """
    s = cronbach_alpha(items, missing=missing)
    return _omega(s)[0]


def _omega(s: AlphaStats) -> tuple[float, str | None]:
    """Omega total from the covariance matrix of ``s`` and a note when it is NaN."""
    import numpy as np

    if s.k < 3:
        return np.nan, "omega needs at least 3 items" if s.k == 2 else None
    C = s.covariance
    var = np.diag(C)
    if s.n < 2 or np.isnan(C).any() or (var <= 0).any():
        return np.nan, None                      # already explained by alpha's notes
    sd = np.sqrt(var)
    R = C / np.outer(sd, sd)
    if np.linalg.eigvalsh(R)[0] <= 1e-10:
        return np.nan, ("the item correlation matrix is not positive definite; omega not "
                        "computed (pairwise covariances can cause this: try listwise)")
    fit = fit_one_factor(R)
    note = None
    if fit.heywood:
        note = "Heywood case in the one-factor model (a uniqueness at its bound 0.005)"
    elif not fit.converged:
        note = "the one-factor model did not converge; omega is approximate"
    return fit.omega, note


# ---- tables ---------------------------------------------------------------------------

def assess_reliability(
    responses: ResponseSet | pd.DataFrame,
    instrument: Instrument | None = None,
    *,
    by: str | None = None,
    missing: str = "pairwise",
    ci: float = 0.95,
    min_group_n: int = 5,
    constructs: Sequence[str] | None = None,
    ordinal: bool = True,
) -> pd.DataFrame:
    """Reliability of every construct, pooled and per group of ``by``.

    Parameters
    ----------
    responses : ResponseSet or pandas.DataFrame
        Validated responses, or a frame in the template layout (answers as given: they
        are reverse keyed here). Not modified.
    instrument : Instrument, optional
        Needed with a DataFrame.
    by : str, optional
        A grouping column; adds one row per group present (in the order of the
        instrument's choices) after the pooled row ``group="all"``.
    missing : {"pairwise", "listwise"}, default "pairwise"
        How missing answers are handled (see the module docstring).
    ci : float, default 0.95
        Coverage of Feldt's interval.
    min_group_n : int, default 5
        A group (or the whole sample) with fewer respondents gets no statistics, only
        its ``n`` and a note, so that no handful of people is described.
    constructs : sequence of str, optional
        Only these constructs (default: all, in instrument order).
    ordinal : bool, default True
        Also compute ordinal alpha and omega from polychoric correlations (always on the
        pairwise-complete answers, as psych).

    Returns
    -------
    pandas.DataFrame
        One row per construct and group, columns :data:`RELIABILITY_COLUMNS`:
        ``construct, group, n, k, alpha, alpha_ci_low, alpha_ci_high, omega,
        std_alpha, mean_r, ci_method, missing, note, ordinal_alpha, ordinal_omega``
        (``note`` empty when all is well).

    Examples
    --------
    >>> import pandas as pd
    >>> from survey.instrument import loads
    >>> inst = loads('''
    ... id: demo
    ... version: "1"
    ... languages: [en]
    ... title: {en: Demo}
    ... scales: {agree5: {points: [1, 2, 3, 4, 5], labels: {en: [a, b, c, d, e]}}}
    ... groups:
    ...   - {id: region, text: {en: R}, choices: [{code: east, label: {en: E}},
    ...                                            {code: west, label: {en: W}}]}
    ... constructs:
    ...   - id: c
    ...     name: {en: C}
    ...     definition: {en: C}
    ...     scale: agree5
    ...     items:
    ...       - {id: i1, text: {en: one}, reverse: false}
    ...       - {id: i2, text: {en: two}, reverse: true}
    ...       - {id: i3, text: {en: three}, reverse: false}
    ... ''')
    >>> df = pd.DataFrame({"region": ["east"] * 5 + ["west"] * 5,
    ...                    "i1": [1, 2, 3, 4, 5, 2, 3, 3, 4, 5],
    ...                    "i2": [4, 4, 2, 1, 2, 5, 3, 3, 2, 1],
    ...                    "i3": [2, 3, 3, 5, 4, 1, 3, 4, 4, 5]})
    >>> table = assess_reliability(df, inst, by="region")
    >>> table[["group", "n", "k", "alpha", "ci_method", "missing"]].round(6)
      group   n  k     alpha ci_method   missing
    0   all  10  3  0.946357     feldt  pairwise
    1  east   5  3  0.928571     feldt  pairwise
    2  west   5  3  0.972727     feldt  pairwise
    >>> # R: psych::alpha(cbind(i1, 6 - i2, i3))$total$raw_alpha, per region subset
    """
    import numpy as np
    import pandas as pd

    from analysis.scoring import _unpack, keyed_matrix

    data, inst = _unpack(responses, instrument)
    chosen = _constructs(inst, constructs)
    if missing not in MISSING_METHODS:
        raise SurveyError(
            f"missing must be one of {', '.join(MISSING_METHODS)}, got '{missing}'."
            + did_you_mean(str(missing), MISSING_METHODS)
        )
    if isinstance(min_group_n, bool) or not isinstance(min_group_n, int) or min_group_n < 2:
        raise SurveyError(f"min_group_n must be a whole number of at least 2, "
                          f"got {min_group_n!r}")
    groups: list[tuple[str, object]] = [("all", slice(None))]
    if by is not None:
        groups.extend(_group_masks(data, inst, by))

    rows = []
    blocks: list[tuple[int, np.ndarray, int]] = []
    for construct in chosen:
        x = keyed_matrix(data, inst, construct)
        scale = inst.scales[construct.scale]
        for name, rows_of in groups:
            block = x[rows_of]
            row = _reliability_row(construct.id, name, block, missing, ci, min_group_n)
            row["ordinal_alpha"] = row["ordinal_omega"] = np.nan
            rows.append(row)
            if ordinal and row["n"] >= min_group_n and block.shape[1] >= 2:
                if len(scale.points) > MAX_ORDINAL_CATEGORIES:
                    _add_note(row, f"no ordinal alpha: more than {MAX_ORDINAL_CATEGORIES} "
                              "answer categories")
                    continue
                codes = np.full(block.shape, np.nan)
                for index, point in enumerate(scale.points):
                    codes[block == point] = index
                if _varies(codes):              # else alpha's note already says why
                    blocks.append((len(rows) - 1, codes, len(scale.points)))
    if blocks:
        _ordinal(rows, blocks)
    return pd.DataFrame(rows, columns=list(RELIABILITY_COLUMNS))


def analyse_items(
    responses: ResponseSet | pd.DataFrame,
    instrument: Instrument | None = None,
    *,
    missing: str = "pairwise",
    constructs: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Item statistics of every construct, on all respondents.

    Parameters
    ----------
    responses : ResponseSet or pandas.DataFrame
        As for :func:`assess_reliability`. Not modified.
    instrument : Instrument, optional
        Needed with a DataFrame.
    missing : {"pairwise", "listwise"}, default "pairwise"
        ``listwise`` computes everything on the respondents who answered every item of
        the construct.
    constructs : sequence of str, optional
        Only these constructs.

    Returns
    -------
    pandas.DataFrame
        One row per item: ``construct, item, reverse, n`` (answers), ``mean, sd`` (of the
        keyed item, as psych reports them), ``r_drop, alpha_if_dropped``, then
        ``p_<point>`` for every response point of the instrument's scales (``p_m1`` for
        -1): the share of each answer *as given on the form* (before keying) among those
        who answered; NaN for a point not on the item's scale; and ``mean_answered``,
        the mean of the answers as given (``min + max - mean`` for a reverse-keyed
        item; the SD is the same keyed or not), so that the mean can be read beside the
        shares on the same scale.

    Examples
    --------
    >>> import pandas as pd
    >>> from survey.instrument import loads
    >>> inst = loads('''
    ... id: demo
    ... version: "1"
    ... languages: [en]
    ... title: {en: Demo}
    ... scales: {agree5: {points: [1, 2, 3, 4, 5], labels: {en: [a, b, c, d, e]}}}
    ... groups:
    ...   - {id: region, text: {en: R}, choices: [{code: east, label: {en: E}},
    ...                                            {code: west, label: {en: W}}]}
    ... constructs:
    ...   - id: c
    ...     name: {en: C}
    ...     definition: {en: C}
    ...     scale: agree5
    ...     items:
    ...       - {id: i1, text: {en: one}, reverse: false}
    ...       - {id: i2, text: {en: two}, reverse: true}
    ...       - {id: i3, text: {en: three}, reverse: false}
    ... ''')
    >>> df = pd.DataFrame({"region": ["east"] * 5 + ["west"] * 5,
    ...                    "i1": [1, 2, 3, 4, 5, 2, 3, 3, 4, 5],
    ...                    "i2": [4, 4, 2, 1, 2, 5, 3, 3, 2, 1],
    ...                    "i3": [2, 3, 3, 5, 4, 1, 3, 4, 4, 5]})
    >>> items = analyse_items(df, inst)
    >>> items[["item", "reverse", "n", "mean", "p_1", "p_5"]]
      item  reverse   n  mean  p_1  p_5
    0   i1    False  10   3.2  0.1  0.2
    1   i2     True  10   3.3  0.2  0.1
    2   i3    False  10   3.4  0.1  0.2
    >>> # mean of the keyed item (6 - i2); p_1, p_5: shares of the answers as given
    >>> items["mean_answered"].tolist()   # i2 as answered: 6 - 3.3
    [3.2, 2.7, 3.4]
    """
    import numpy as np
    import pandas as pd

    from analysis.scoring import _unpack, keyed_matrix

    data, inst = _unpack(responses, instrument)
    chosen = _constructs(inst, constructs)
    points = sorted({p for c in chosen for p in inst.scales[c.scale].points})
    share_cols = [_share_column(p) for p in points]
    frames = []
    for construct in chosen:
        scale = inst.scales[construct.scale]
        x = keyed_matrix(data, inst, construct)
        if missing == "listwise":
            x = x[~np.isnan(x).any(axis=1)]
        s = cronbach_alpha(x, missing=missing)
        answered = ~np.isnan(x)
        n = answered.sum(axis=0)
        filled = np.where(answered, x, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            mean = filled.sum(axis=0) / n
            dev = np.where(answered, x - mean, 0.0)
            sd = np.sqrt((dev**2).sum(axis=0) / (n - 1))
        sd[n < 2] = np.nan
        reverse = np.array([item.reverse for item in construct.items])
        frame = pd.DataFrame({
            "construct": construct.id,
            "item": list(construct.item_ids),
            "reverse": reverse,
            "n": n.astype(np.int64),
            "mean": mean,
            "sd": sd,
            "r_drop": s.r_drop,
            "alpha_if_dropped": s.alpha_if_dropped,
        })
        lohi = scale.min + scale.max
        for p, col in zip(points, share_cols, strict=True):
            if p not in scale.points:
                frame[col] = np.nan
                continue
            keyed_p = np.where(reverse, lohi - p, p)          # raw answer p, keyed
            with np.errstate(invalid="ignore", divide="ignore"):
                frame[col] = (x == keyed_p[None, :]).sum(axis=0) / n
        frame["mean_answered"] = np.where(reverse, lohi - mean, mean)
        frames.append(frame)
    columns = [*ITEM_COLUMNS, *share_cols, "mean_answered"]
    if not frames:
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]


# ---- helpers ------------------------------------------------------------------------------

def _add_note(row: dict, note: str) -> None:
    row["note"] = "; ".join(n for n in (row["note"], note) if n)


def _varies(codes: np.ndarray) -> bool:
    """Whether every item has two different answers and every pair was answered together."""
    import numpy as np

    answered = ~np.isnan(codes)
    if ((answered.T.astype(float) @ answered.astype(float)) == 0).any():
        return False
    for j in range(codes.shape[1]):
        if np.unique(codes[answered[:, j], j]).size < 2:
            return False
    return True


def _ordinal(rows: list[dict], blocks: list[tuple[int, np.ndarray, int]]) -> None:
    """Fill ``ordinal_alpha`` and ``ordinal_omega`` of ``rows`` (polychorics in batches)."""
    from analysis.polychoric import ordinal_reliability, polychoric_many

    by_size: dict[int, list[tuple[int, np.ndarray]]] = {}
    for index, codes, categories in blocks:
        by_size.setdefault(categories, []).append((index, codes))
    for categories, members in by_size.items():
        results = polychoric_many([codes for _, codes in members], categories)
        for (index, _codes), poly in zip(members, results, strict=True):
            alpha, omega, note = ordinal_reliability(poly.rho)
            rows[index]["ordinal_alpha"] = alpha
            rows[index]["ordinal_omega"] = omega
            for text in (*poly.notes, note):
                if text:
                    _add_note(rows[index], text)


def _reliability_row(construct: str, group: str, x: np.ndarray, missing: str, ci: float,
                     min_group_n: int) -> dict[str, object]:
    import numpy as np

    k = x.shape[1]
    base = {"construct": construct, "group": group, "k": k, "ci_method": CI_METHOD,
            "missing": missing}
    nan = {"alpha": np.nan, "alpha_ci_low": np.nan, "alpha_ci_high": np.nan,
           "omega": np.nan, "std_alpha": np.nan, "mean_r": np.nan}
    answered = ~np.isnan(x)
    present = answered.all(axis=1) if missing == "listwise" else answered.any(axis=1)
    n = int(present.sum())
    if n == 0:
        who = "no respondents" if len(x) == 0 else (
            "no respondent answered every item" if missing == "listwise" and answered.any()
            else "all answers are missing")
        return {**base, "n": 0, **nan, "note": f"{who}; nothing to compute"}
    if n < min_group_n:
        return {**base, "n": n, **nan,
                "note": f"fewer than {min_group_n} respondents; not reported"}
    s = cronbach_alpha(x, missing=missing, ci=ci)
    omega, omega_note = _omega(s)
    notes = [*s.notes, *([omega_note] if omega_note else [])]
    return {**base, "n": s.n, "alpha": s.alpha, "alpha_ci_low": s.ci_low,
            "alpha_ci_high": s.ci_high, "omega": omega, "std_alpha": s.std_alpha,
            "mean_r": s.mean_r, "note": "; ".join(notes)}


def _covariance(x: np.ndarray, answered: np.ndarray) -> np.ndarray:
    """Pairwise-complete covariance matrix (R's ``cov(use = "pairwise")``), vectorised.

    For items i, j over the N_ij respondents who answered both:
    ``(Σ x_i x_j - Σ x_i Σ x_j / N_ij) / (N_ij - 1)``; columns are centred first for
    accuracy. With complete data it is the ordinary covariance matrix.
    """
    import numpy as np

    m = answered.astype(np.float64)
    count = m.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        centre = np.where(count > 0, np.where(answered, x, 0.0).sum(axis=0) / count, 0.0)
    z = np.where(answered, x - centre, 0.0)
    N = m.T @ m
    A = z.T @ m                      # A[i, j] = Σ z_i over respondents who answered j
    with np.errstate(invalid="ignore", divide="ignore"):
        C = (z.T @ z - A * A.T / N) / (N - 1)
    C[N < 2] = np.nan
    return (C + C.T) / 2


def _as_float(items: np.ndarray | pd.DataFrame) -> np.ndarray:
    import numpy as np

    if hasattr(items, "to_numpy"):
        x = items.to_numpy(dtype=np.float64, na_value=np.nan)
    else:
        x = np.asarray(items, dtype=np.float64)
    if x.ndim != 2:
        raise SurveyError(f"items must be a 2-D table (respondents x items), got {x.ndim}-D")
    return x


def _with_notes(s: AlphaStats, notes: list[str]) -> AlphaStats:
    from dataclasses import replace

    return replace(s, notes=tuple(notes))


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _share_column(point: int) -> str:
    return f"p_{point}" if point >= 0 else f"p_m{-point}"


def _constructs(inst: Instrument, wanted: Sequence[str] | None) -> list:
    if wanted is None:
        return list(inst.constructs)
    known = [c.id for c in inst.constructs]
    unknown = [c for c in wanted if c not in known]
    if unknown:
        raise SurveyError(
            f"unknown construct(s) {', '.join(repr(c) for c in unknown)}; constructs: "
            f"{', '.join(known)}." + did_you_mean(unknown[0], known)
        )
    return [inst.construct(c) for c in wanted]


def _group_masks(data: pd.DataFrame, inst: Instrument, by: str) -> list[tuple[str, np.ndarray]]:
    """(group code, row mask) per group present, in the order of the instrument's choices
    (text groups sorted); checked against the choices. Vectorised: ``factorize`` once."""
    import pandas as pd

    if by not in data.columns:
        known = [g for g in inst.group_ids if g in data.columns]
        raise SurveyError(
            f"no column '{by}' to group by; grouping columns: {', '.join(known) or 'none'}."
            + did_you_mean(by, known or inst.group_ids)
        )
    keys, uniques = pd.factorize(data[by], use_na_sentinel=True)
    labels = [str(u) for u in uniques]
    present = {label: i for i, label in enumerate(labels)}
    if by in inst.group_ids and inst.group(by).type == "choice":
        codes = inst.group(by).codes
        unknown = sorted(v for v in present if v not in codes)
        if unknown:
            raise SurveyError(
                f"column '{by}' holds values that are not choices of the instrument: "
                f"{', '.join(repr(v) for v in unknown)}; choices: {', '.join(codes)}",
                column=by,
            )
        order = [c for c in codes if c in present]
    else:
        order = sorted(present)
    return [(code, keys == present[code]) for code in order]
