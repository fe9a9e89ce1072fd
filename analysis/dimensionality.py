"""How many dimensions do the items span? Eigenvalues and Horn's parallel analysis.

:func:`parallel_analysis` follows ``psych::fa.parallel(x, fa = "both")`` (psych 2.2.9):

- **components**: the eigenvalues of the item correlation matrix ``R`` (Pearson,
  pairwise-complete, as psych's default ``use = "pairwise"``);
- **factors**: the eigenvalues of ``R`` with the communalities of a one-factor minres
  solution on its diagonal (psych's default ``SMC = FALSE``, ``fm = "minres"``). Minres
  minimises the squared off-diagonal residuals ``sum_{i<j} (r_ij - l_i l_j)^2``; its
  solution is found here by Newton's method on the loadings (psych's optimiser stops
  near the same point, within about 1e-8 on these eigenvalues);
- the **random part**: ``n_iter`` (default 20) data sets of standard normal noise with
  as many rows and columns as the data, their component and factor eigenvalues computed
  the same way. A component (factor) is retained while its observed eigenvalue exceeds
  the 95th percentile (``quantile``) of the random ones at the same position, counted
  from the first; the suggested number is how many are retained before the first that
  is not. This is what psych 2.2.9 computes (its ``quant = .95`` applies to the
  simulated normal data; the resampled data it also draws do not enter the decision),
  although its help page speaks of the mean. The mean of the random eigenvalues is
  reported too. The random numbers come from ``numpy.random.default_rng(seed)``:
  the same seed gives the same result, and the seed is reported. With another random
  stream than R's, a number sitting right at the threshold can come out differently
  from R's for some seeds (R's own answer changes with its seed in those cases).

Respondents: every row with at least one answer to the items counts in ``n`` (psych
counts every row given).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from survey.errors import SurveyError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from survey.instrument import Instrument
    from survey.responses.model import ResponseSet

__all__ = [
    "DIMENSIONALITY_COLUMNS",
    "DEFAULT_SEED",
    "ParallelAnalysis",
    "dimensionality",
    "minres_one_factor",
    "pairwise_correlation",
    "parallel_analysis",
]

#: Columns of :func:`dimensionality` (``dimensionality.csv``), in order.
DIMENSIONALITY_COLUMNS = [
    "scope", "n", "k", "number", "component_eigenvalue", "component_random_mean",
    "component_random_q95", "factor_eigenvalue", "factor_random_mean", "factor_random_q95",
    "components_suggested", "factors_suggested", "expected", "seed", "n_iter", "note",
]
#: Seed of the random part when none is given.
DEFAULT_SEED = 20240611
#: Bounds of a uniqueness in psych's minres fit.
_PSI_MIN, _PSI_MAX = 0.005, 1.0


@dataclass(frozen=True)
class ParallelAnalysis:
    """Result of :func:`parallel_analysis`.

    Attributes
    ----------
    n, k : int
        Respondents and items.
    components, factors : numpy.ndarray
        Observed eigenvalues, largest first.
    random_components_mean, random_components_q95, random_factors_mean,
    random_factors_q95 : numpy.ndarray
        Mean and 95th percentile of the random eigenvalues at each position.
    n_components, n_factors : int
        Suggested numbers.
    seed, n_iter : int
        The random part's settings.
    notes : tuple of str
        Caveats (a Heywood case in the minres fit, smoothing).
    """

    n: int
    k: int
    components: np.ndarray = field(repr=False)
    factors: np.ndarray = field(repr=False)
    random_components_mean: np.ndarray = field(repr=False)
    random_components_q95: np.ndarray = field(repr=False)
    random_factors_mean: np.ndarray = field(repr=False)
    random_factors_q95: np.ndarray = field(repr=False)
    n_components: int
    n_factors: int
    seed: int
    n_iter: int
    notes: tuple[str, ...] = ()


def minres_one_factor(R: np.ndarray) -> tuple[np.ndarray, bool]:
    """One-factor minres loadings of a correlation matrix (``psych::fa(R, 1)``).

    Minimises ``sum_{i<j} (r_ij - l_i l_j)^2`` by Newton's method on the loadings
    (gradient ``-2 sum_{j != i} (r_ij - l_i l_j) l_j``, exact Hessian), from the first
    principal component. psych bounds the uniquenesses to ``[0.005, 1]``; a solution
    outside (a Heywood case) is clipped to communality 0.995 and reported.

    Parameters
    ----------
    R : numpy.ndarray
        A k x k correlation matrix (k >= 3), or a stack of them (``... x k x k``),
        each fitted on its own.

    Returns
    -------
    (numpy.ndarray, bool)
        The loadings (sum made non-negative) and whether a communality was clipped.

    Examples
    --------
    >>> import numpy as np
    >>> lam = np.array([0.8, 0.7, 0.6, 0.5])
    >>> R = np.outer(lam, lam); np.fill_diagonal(R, 1)
    >>> np.round(minres_one_factor(R)[0], 6).tolist()
    [0.8, 0.7, 0.6, 0.5]
    """
    import numpy as np

    R = np.asarray(R, dtype=float)
    single = R.ndim == 2
    Rs = R[None] if single else R.reshape(-1, *R.shape[-2:])
    b, k, _ = Rs.shape
    eye = np.eye(k, dtype=bool)
    off = np.where(eye, 0.0, Rs)
    vals, vecs = np.linalg.eigh(Rs)
    lam = vecs[:, :, -1] * np.sqrt(np.maximum(vals[:, -1] - 1.0, 1e-3) + 0.5)[:, None]
    lam *= np.where(lam.sum(axis=1) < 0, -1.0, 1.0)[:, None]

    def loss(v: np.ndarray, o: np.ndarray) -> np.ndarray:
        res = o - np.where(eye, 0.0, v[:, :, None] * v[:, None, :])
        return (res * res).sum(axis=(1, 2)) / 2

    f = loss(lam, off)
    active = np.ones(b, dtype=bool)
    for _ in range(100):
        idx = np.flatnonzero(active)
        if not idx.size:
            break
        L = lam[idx]
        outer = L[:, :, None] * L[:, None, :]
        res = off[idx] - np.where(eye, 0.0, outer)
        grad = -2.0 * np.matmul(res, L[:, :, None])[:, :, 0]
        sq = L**2
        H = -2.0 * off[idx] + 4.0 * outer
        H[:, eye] = 2.0 * (sq.sum(axis=1)[:, None] - sq)
        try:
            step = -np.linalg.solve(H, grad[:, :, None])[:, :, 0]
        except np.linalg.LinAlgError:
            step = -grad
        slope = np.einsum("bi,bi->b", grad, step)
        bad = slope >= 0
        step[bad] = -grad[bad]
        slope[bad] = -np.einsum("bi,bi->b", grad[bad], grad[bad])
        t = np.ones(idx.size)
        new = L + step
        fn = loss(new, off[idx])
        todo = fn > f[idx] + 1e-4 * t * slope
        for _ in range(40):
            if not todo.any():
                break
            t[todo] /= 2
            new[todo] = L[todo] + t[todo, None] * step[todo]
            fn[todo] = loss(new[todo], off[idx][todo])
            todo = fn > f[idx] + 1e-4 * t * slope
        moved = np.max(np.abs(t[:, None] * step), axis=1)
        lam[idx], f[idx] = new, fn
        active[idx] = moved >= 1e-13
    clipped = bool((lam**2 > 1 - _PSI_MIN).any())
    lam = np.sign(lam) * np.minimum(np.abs(lam), np.sqrt(1 - _PSI_MIN))
    lam *= np.where(lam.sum(axis=1) < 0, -1.0, 1.0)[:, None]
    out = lam[0] if single else lam.reshape(*R.shape[:-1])
    return out, clipped


def _factor_values(R: np.ndarray) -> tuple[np.ndarray, bool]:
    """Eigenvalues (largest first) of ``R`` with the one-factor minres communalities on
    the diagonal; ``R`` may be a stack of matrices."""
    import numpy as np

    lam, clipped = minres_one_factor(R)
    reduced = np.array(R, dtype=float, copy=True)
    k = reduced.shape[-1]
    reduced[..., np.arange(k), np.arange(k)] = lam**2
    return np.linalg.eigvalsh(reduced)[..., ::-1], clipped


def pairwise_correlation(x: np.ndarray) -> np.ndarray:
    """Pearson correlations on pairwise-complete rows (R's ``cor(x, use = "pairwise")``).

    Each correlation uses the means and SDs of the rows where both items are answered.

    Raises
    ------
    SurveyError
        A pair answered together by fewer than 3 respondents, or without variance there.
    """
    import numpy as np

    m = (~np.isnan(x)).astype(float)
    centre = np.nanmean(x, axis=0)
    z = np.where(m > 0, x - centre, 0.0)
    N = m.T @ m
    sx = z.T @ m                        # sx[i, j]: sum of z_i over rows answering j too
    sxx = (z**2).T @ m
    sxy = z.T @ z
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = sxy - sx * sx.T / N
        var = sxx - sx**2 / N
        R = cov / np.sqrt(var * var.T)
    if (N < 3).any():
        raise SurveyError("some pairs of items were answered together by fewer than 3 "
                          "respondents; no correlation matrix")
    if not np.isfinite(R).all() or (var <= 0).any():
        raise SurveyError("an item without variance (among the respondents answering "
                          "another item) has no correlations; drop it first")
    R = (R + R.T) / 2
    np.fill_diagonal(R, 1.0)
    return R


def _retained(observed: np.ndarray, threshold: np.ndarray) -> int:
    """How many leading values exceed their thresholds (psych: which(!(x > t))[1] - 1)."""
    import numpy as np

    below = np.flatnonzero(~(observed > threshold))
    return int(below[0]) if below.size else int(observed.size)


def parallel_analysis(
    items: np.ndarray | pd.DataFrame,
    *,
    n_iter: int = 20,
    seed: int = DEFAULT_SEED,
    quantile: float = 0.95,
) -> ParallelAnalysis:
    """Horn's parallel analysis for components and factors, as ``psych::fa.parallel``.

    Parameters
    ----------
    items : numpy.ndarray or pandas.DataFrame
        Respondents x items (keyed or not: eigenvalues do not depend on the keying);
        ``NaN`` for a missing answer.
    n_iter : int, default 20
        Random data sets (psych's default).
    seed : int
        Seed of the random data; reported with the result.
    quantile : float, default 0.95
        Percentile of the random eigenvalues an observed one must exceed (psych's
        ``quant``).

    Returns
    -------
    ParallelAnalysis

    Raises
    ------
    SurveyError
        Fewer than 3 items, fewer respondents than items, an item without variance or a
        pair of items never answered together.

    Examples
    --------
    Two clear factors of four items each (R: ``fa.parallel(x, fa = "both")``):

    >>> import numpy as np
    >>> rng = np.random.default_rng(3)
    >>> f = rng.normal(size=(500, 2))
    >>> x = np.repeat(f, 4, axis=1) * 0.8 + rng.normal(scale=0.6, size=(500, 8))
    >>> pa = parallel_analysis(x, seed=1)
    >>> pa.n_components, pa.n_factors
    (2, 2)
    """
    result = _parallel_many([items], n_iter=n_iter, seed=seed, quantile=quantile)[0]
    if isinstance(result, SurveyError):
        raise result
    return result


def _parallel_many(
    tables: Sequence[np.ndarray | pd.DataFrame], *, n_iter: int, seed: int, quantile: float
) -> list[ParallelAnalysis | SurveyError]:
    """:func:`parallel_analysis` of several item sets, the random fits done in one batch.

    Each set draws its random data from ``default_rng(seed)`` as if analysed alone; the
    one-factor fits of all random matrices of the same size run together, which is what
    makes the per-construct analyses cheap. A set that cannot be analysed gets the
    :class:`SurveyError` saying why instead of a result.
    """
    import numpy as np

    if not isinstance(n_iter, int) or isinstance(n_iter, bool) or n_iter < 2:
        raise SurveyError(f"n_iter must be a whole number of at least 2, got {n_iter!r}")
    if not 0 < quantile < 1:
        raise SurveyError(f"quantile must be between 0 and 1, got {quantile!r}")
    prepared: list[tuple[int, int, np.ndarray, np.ndarray] | SurveyError] = []
    for items in tables:
        try:
            prepared.append(_observed(items))
        except SurveyError as exc:
            prepared.append(exc)
    random_pc: dict[int, np.ndarray] = {}
    random_fa: dict[int, np.ndarray] = {}
    by_size: dict[int, list[int]] = {}
    stacks: list[np.ndarray] = []
    for index, prep in enumerate(prepared):
        if isinstance(prep, SurveyError):
            continue
        n, k = prep[0], prep[1]
        rng = np.random.default_rng(seed)
        z = rng.standard_normal((n_iter, n, k))
        z -= z.mean(axis=1, keepdims=True)
        Cz = np.matmul(z.transpose(0, 2, 1), z)
        dz = np.sqrt(np.einsum("bii->bi", Cz))
        Rz = Cz / (dz[:, :, None] * dz[:, None, :])
        random_pc[index] = np.linalg.eigvalsh(Rz)[:, ::-1]
        by_size.setdefault(k, []).append(index)
        stacks.append(Rz)
    stack_of = {}
    position = 0
    for index, prep in enumerate(prepared):
        if not isinstance(prep, SurveyError):
            stack_of[index] = stacks[position]
            position += 1
    for members in by_size.values():
        values = _factor_values(np.concatenate([stack_of[i] for i in members]))[0]
        for offset, index in enumerate(members):
            random_fa[index] = values[offset * n_iter:(offset + 1) * n_iter]
    out: list[ParallelAnalysis | SurveyError] = []
    for index, prep in enumerate(prepared):
        if isinstance(prep, SurveyError):
            out.append(prep)
            continue
        n, k, components, R = prep
        factors, clipped = _factor_values(R)
        notes = ["Heywood case in the one-factor minres fit (a communality held at 0.995)"
                 ] if clipped else []
        sim_pc, sim_fa = random_pc[index], random_fa[index]
        q_pc = np.quantile(sim_pc, quantile, axis=0)
        q_fa = np.quantile(sim_fa, quantile, axis=0)
        out.append(ParallelAnalysis(
            n=n, k=k, components=components, factors=factors,
            random_components_mean=sim_pc.mean(axis=0), random_components_q95=q_pc,
            random_factors_mean=sim_fa.mean(axis=0), random_factors_q95=q_fa,
            n_components=_retained(components, q_pc), n_factors=_retained(factors, q_fa),
            seed=int(seed), n_iter=n_iter, notes=tuple(notes),
        ))
    return out


def _observed(items: np.ndarray | pd.DataFrame) -> tuple[int, int, np.ndarray, np.ndarray]:
    """``(n, k, component eigenvalues, R)`` of an item table, or SurveyError why not."""
    import numpy as np

    x = items.to_numpy(dtype=float, na_value=np.nan) if hasattr(items, "to_numpy") \
        else np.asarray(items, dtype=float)
    if x.ndim != 2:
        raise SurveyError(f"items must be a 2-D table (respondents x items), got {x.ndim}-D")
    x = x[(~np.isnan(x)).any(axis=1)]
    n, k = x.shape
    if k < 3:
        raise SurveyError(f"parallel analysis needs at least 3 items, got {k}")
    if n <= k:
        raise SurveyError(f"parallel analysis needs more respondents than items ({n} "
                          f"respondents, {k} items)")
    R = pairwise_correlation(x)
    return n, k, np.linalg.eigvalsh(R)[::-1], R


def dimensionality(
    responses: ResponseSet | pd.DataFrame,
    instrument: Instrument | None = None,
    *,
    seed: int = DEFAULT_SEED,
    n_iter: int = 20,
    constructs: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Parallel analysis of the whole item set and of each construct.

    Parameters
    ----------
    responses : ResponseSet or pandas.DataFrame
        Validated responses (or a frame in the template layout with ``instrument``).
    instrument : Instrument, optional
        Needed with a DataFrame.
    seed : int
        Seed of the random part (each scope starts from it, as R's ``set.seed`` before
        each call).
    n_iter : int, default 20
        Random data sets per scope.
    constructs : sequence of str, optional
        Constructs to include (default all).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`DIMENSIONALITY_COLUMNS`, one row per scope and eigenvalue
        position: ``scope`` (``all`` for the whole item set, else the construct id),
        ``n`` respondents, ``k`` items, ``number`` (1 = largest), the observed
        eigenvalues with the mean and 95th percentile of the random ones, for
        components and factors, the suggested numbers (repeated on each row of the
        scope), ``expected`` (the number of constructs for ``all``, 1 for a construct),
        ``seed``, ``n_iter`` and a ``note`` (why a scope was not analysed, or caveats).
    """
    import numpy as np
    import pandas as pd

    from analysis.reliability import _constructs
    from analysis.scoring import _unpack, keyed_matrix

    data, inst = _unpack(responses, instrument)
    chosen = _constructs(inst, constructs)
    scopes: list[tuple[str, list[str], int]] = [
        ("all", [i for c in chosen for i in c.item_ids], len(chosen))]
    scopes += [(c.id, list(c.item_ids), 1) for c in chosen]
    rows = []
    tables = [keyed_matrix(data, inst, item_ids) for _, item_ids, _ in scopes]
    results = _parallel_many(tables, n_iter=n_iter, seed=int(seed), quantile=0.95)
    for (scope, item_ids, expected), x, pa in zip(scopes, tables, results, strict=True):
        base = {"scope": scope, "k": len(item_ids), "expected": expected, "seed": int(seed),
                "n_iter": n_iter}
        if isinstance(pa, SurveyError):
            n = int((~np.isnan(x)).any(axis=1).sum())
            rows.append({**base, "n": n, "number": 1, "note": pa.message})
            continue
        note = "; ".join(pa.notes)
        for j in range(pa.k):
            rows.append({
                **base, "n": pa.n, "number": j + 1,
                "component_eigenvalue": pa.components[j],
                "component_random_mean": pa.random_components_mean[j],
                "component_random_q95": pa.random_components_q95[j],
                "factor_eigenvalue": pa.factors[j],
                "factor_random_mean": pa.random_factors_mean[j],
                "factor_random_q95": pa.random_factors_q95[j],
                "components_suggested": pa.n_components, "factors_suggested": pa.n_factors,
                "note": note,
            })
    frame = pd.DataFrame(rows, columns=DIMENSIONALITY_COLUMNS)
    for col in ("n", "k", "number", "expected", "seed", "n_iter"):
        frame[col] = frame[col].astype("int64")
    for col in ("components_suggested", "factors_suggested"):
        frame[col] = frame[col].astype("Int64")
    frame["note"] = frame["note"].fillna("")
    return frame
