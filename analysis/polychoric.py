"""Polychoric correlations of Likert items, and ordinal alpha and omega.

Likert answers are ordered categories, not measurements: a polychoric correlation is
the correlation of two standard normal variables that, cut at thresholds, would give
the two items' answers. :func:`polychoric` follows ``psych::polychoric(x)`` (psych
2.2.9, its defaults ``global = TRUE, smooth = TRUE``):

1. **thresholds** per item from its own answers: ``tau_c = Phi^-1(share of answers
   <= c)`` for each answer category but the last (an empty category gives a repeated
   or infinite threshold);
2. per pair of items, on the respondents who answered both, the **correlation**
   maximising the likelihood ``sum_ab n_ab log P_ab(rho)`` of their cross-table with
   the thresholds held fixed, ``P_ab`` the bivariate normal probability of the
   rectangle of cell ``(a, b)``. psych searches ``(-1, 1)`` with ``optimize`` (to about
   1e-4); here Fisher scoring on ``rho`` (score ``sum_ab n_ab P'_ab / P_ab`` with
   ``P'`` from the bivariate normal density, information ``sum_ab P'_ab^2 / P_ab``)
   converges to 1e-10, with bisection as a safeguard. The bivariate normal
   probabilities come from Plackett's integral over ``[0, asin(rho)]`` by
   Gauss-Legendre quadrature (below ``|rho| = 0.95``; accurate to 1e-15 there) or from
   Owen's T function above;
3. if the matrix of correlations is not positive definite it is **smoothed** as
   ``psych::cor.smooth``: eigenvalues below 1e-12 are set to 1e-10, rescaled to sum to
   the number of items, and the matrix rebuilt and rescaled to a correlation matrix;
   the result says so.

Ordinal reliability (Zumbo, Gadermann & Zeisser 2007; Gadermann, Guhn & Zumbo 2012):
**ordinal alpha** is alpha computed on the polychoric matrix, ``k / (k - 1) (1 - k /
sum(R))``, and **ordinal omega** is omega total of a one-factor maximum-likelihood
model of it (:func:`analysis.reliability.fit_one_factor`, as ``psych::fa(R, 1, fm =
"ml")``). Both describe the reliability of the continuous responses assumed under the
answers, not of the observed sum score.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from survey.errors import SurveyError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np

__all__ = ["Polychoric", "ordinal_reliability", "polychoric", "polychoric_many"]

#: Gauss-Legendre nodes by |rho| (Genz 2004 uses 6, 12 and 20 below .3, .75 and .925).
_GL_RULES = ((0.3, 10), (0.75, 16), (0.95, 24))
_GL: dict = {}
#: Largest |rho| searched; a likelihood still rising there has its maximum at the bound.
_RHO_MAX = 0.9999


def _gauss_legendre(nodes: int):
    """Gauss-Legendre nodes and weights on [-1, 1] (computed once per size)."""
    if nodes not in _GL:
        import numpy as np

        _GL[nodes] = np.polynomial.legendre.leggauss(nodes)
    return _GL[nodes]


@dataclass(frozen=True)
class Polychoric:
    """Result of :func:`polychoric`.

    Attributes
    ----------
    rho : numpy.ndarray
        The k x k correlation matrix (smoothed if needed); ``nan`` where a pair was
        never answered together.
    tau : numpy.ndarray
        Thresholds, k x (categories - 1).
    smoothed : bool
        Whether the matrix was not positive definite and was smoothed.
    notes : tuple of str
        Why something is missing, and the smoothing.
    """

    rho: np.ndarray = field(repr=False)
    tau: np.ndarray = field(repr=False)
    smoothed: bool = False
    notes: tuple[str, ...] = ()


def _bvn_cdf(h: np.ndarray, k: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Bivariate normal ``P(X <= h, Y <= k)`` for finite h, k of shape (pairs, m).

    Plackett's identity ``Phi(h) Phi(k) + (1 / 2 pi) int_0^asin(rho) exp(-(h^2 + k^2 -
    2 h k sin t) / (2 cos^2 t)) dt`` by Gauss-Legendre quadrature (10, 16 or 24 nodes
    by |rho|; checked against Owen's T to 1e-15 below |rho| = 0.95), Owen's T above.
    """
    import numpy as np
    from scipy.special import ndtr

    out = np.empty(h.shape)
    size = np.abs(rho)
    lower = 0.0
    for upper, nodes in _GL_RULES:
        sel = (size >= lower) & (size < upper)
        lower = upper
        if not sel.any():
            continue
        x, weights = _gauss_legendre(nodes)
        half = np.arcsin(rho[sel]) / 2
        sn = np.sin(half[:, None] * (x[None, :] + 1))[:, None, :]
        hs, ks = h[sel], k[sel]
        hh = ((hs * hs + ks * ks) / 2)[..., None]
        hk = (hs * ks)[..., None]
        expo = (hk * sn - hh) / (1 - sn * sn)
        f = np.where(expo > -700.0, np.exp(np.maximum(expo, -700.0)), 0.0)
        out[sel] = ndtr(hs) * ndtr(ks) + half[:, None] * (f @ weights) / (2 * np.pi)
    steep = size >= lower
    if steep.any():
        out[steep] = _bvn_owen(h[steep], k[steep], rho[steep][:, None])
    return out


def _bvn_owen(h: np.ndarray, k: np.ndarray, rho: np.ndarray) -> np.ndarray:
    """Bivariate normal CDF from Owen's T function (any |rho| < 1; h, k finite)."""
    import numpy as np
    from scipy.special import ndtr, owens_t

    rho = np.broadcast_to(rho, h.shape)
    s = np.sqrt(1 - rho * rho)
    with np.errstate(divide="ignore", invalid="ignore"):
        ah = (k - rho * h) / (h * s)
        ak = (h - rho * k) / (k * s)
        beta = np.where((h * k > 0) | ((h * k == 0) & (h + k >= 0)), 0.0, 0.5)
        out = 0.5 * ndtr(h) + 0.5 * ndtr(k) - owens_t(h, ah) - owens_t(k, ak) - beta
    out = np.where(h == 0, 0.5 * ndtr(k) - owens_t(k, -rho / s), out)
    out = np.where((k == 0) & (h != 0), 0.5 * ndtr(h) - owens_t(h, -rho / s), out)
    return out


def _cells(rho: np.ndarray, tr: np.ndarray, tc: np.ndarray):
    """Cell probabilities and their derivatives in rho, per pair.

    ``rho``: (pairs,); ``tr``, ``tc``: (pairs, C - 1) inner thresholds of the row and
    column item (``-inf``/``+inf`` where a category is empty). Returns ``P, dP`` of
    shape (pairs, C, C).
    """
    import numpy as np
    from scipy.special import ndtr

    pairs, c = tr.shape
    H = np.broadcast_to(tr[:, :, None], (pairs, c, c))
    K = np.broadcast_to(tc[:, None, :], (pairs, c, c))
    finite = np.isfinite(H) & np.isfinite(K)
    h = np.where(finite, H, 0.0)
    k = np.where(finite, K, 0.0)
    margin_r = ndtr(tr)                             # Phi(+-inf) = 1 or 0
    margin_c = ndtr(tc)
    F = np.zeros((pairs, c + 2, c + 2))
    F[:, c + 1, c + 1] = 1.0
    F[:, c + 1, 1:c + 1] = margin_c
    F[:, 1:c + 1, c + 1] = margin_r
    # inner corners with an infinite threshold: 0 at -inf, the other margin at +inf
    inner = np.where(H == np.inf, margin_c[:, None, :], 0.0)
    inner = np.where(K == np.inf, margin_r[:, :, None], inner)
    inner = np.where((H == -np.inf) | (K == -np.inf), 0.0, inner)
    vals = _bvn_cdf(h.reshape(pairs, -1), k.reshape(pairs, -1), rho)
    F[:, 1:c + 1, 1:c + 1] = np.where(finite, vals.reshape(pairs, c, c), inner)
    s2 = (1 - rho * rho)[:, None, None]
    expo = -(h * h - 2 * rho[:, None, None] * h * k + k * k) / (2 * s2)
    dens = np.exp(np.maximum(expo, -700.0)) / (2 * np.pi * np.sqrt(s2))
    dF = np.zeros_like(F)
    dF[:, 1:c + 1, 1:c + 1] = np.where(finite & (expo > -700.0), dens, 0.0)
    P = F[:, 1:, 1:] - F[:, :-1, 1:] - F[:, 1:, :-1] + F[:, :-1, :-1]
    dP = dF[:, 1:, 1:] - dF[:, :-1, 1:] - dF[:, 1:, :-1] + dF[:, :-1, :-1]
    return P, dP


def _fit_pairs(tables: np.ndarray, tr: np.ndarray, tc: np.ndarray) -> np.ndarray:
    """Maximum-likelihood rho of each pair (tables: (pairs, C, C) proportions).

    Fisher scoring from 0 inside a bracket kept by the sign of the score, bisecting
    when a step leaves it; where a cell with answers gets probability 0 (rho near
    +-1) the likelihood is minus infinity and the bracket closes from that side.
    """
    import numpy as np

    pairs = tables.shape[0]

    def score(rho, idx):
        P, dP = _cells(rho, tr[idx], tc[idx])
        tab = tables[idx]
        use = (P > 0) & (tab > 0)
        with np.errstate(divide="ignore", invalid="ignore"):
            s = np.where(use, tab * dP / P, 0.0).sum(axis=(1, 2))
            info = np.where(P > 1e-300, dP * dP / P, 0.0).sum(axis=(1, 2))
        impossible = ((P <= 0) & (tab > 0)).any(axis=(1, 2))
        s = np.where(impossible, -np.sign(rho), s)
        info = np.where(impossible, np.inf, info)
        return s, info

    lo = np.full(pairs, -_RHO_MAX)
    hi = np.full(pairs, _RHO_MAX)
    rho = np.zeros(pairs)
    active = np.ones(pairs, dtype=bool)
    for _ in range(200):
        idx = np.flatnonzero(active)
        if not idx.size:
            break
        r = rho[idx]
        s, info = score(r, idx)
        lo[idx] = np.where(s > 0, r, lo[idx])
        hi[idx] = np.where(s > 0, hi[idx], r)
        with np.errstate(divide="ignore", invalid="ignore"):
            new = r + np.where((info > 0) & np.isfinite(info), s / info, 0.0)
        outside = ~((new > lo[idx]) & (new < hi[idx])) | ~np.isfinite(new)
        new = np.where(outside, (lo[idx] + hi[idx]) / 2, new)
        rho[idx] = new
        active[idx] = (np.abs(new - r) >= 1e-10) & (hi[idx] - lo[idx] >= 1e-10)
    return rho


def polychoric_many(
    blocks: Sequence[np.ndarray], n_categories: int
) -> list[Polychoric]:
    """:func:`polychoric` of several item blocks at once (the pairs fitted together).

    Parameters
    ----------
    blocks : sequence of numpy.ndarray
        Respondents x items, answers coded ``0 .. n_categories - 1``, ``NaN`` missing.
    n_categories : int
        Number of answer categories.

    Returns
    -------
    list of Polychoric
    """
    import numpy as np
    from scipy.special import ndtri

    C = int(n_categories)
    all_tr, all_tc, all_tab, owner = [], [], [], []
    prepared = []
    for b, x in enumerate(blocks):
        x = np.asarray(x, dtype=float)
        n, k = x.shape
        tau = np.full((k, max(C - 1, 0)), np.nan)
        notes: list[str] = []
        onehot = np.zeros((n, k, C))
        answered = ~np.isnan(x)
        codes = np.where(answered, x, 0).astype(int)
        onehot[np.arange(n)[:, None], np.arange(k)[None, :], codes] = answered
        counts = onehot.sum(axis=0)                       # k x C
        total = counts.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            cum = np.cumsum(counts, axis=1)[:, :-1] / total[:, None]
            tau = ndtri(np.clip(cum, 0.0, 1.0))
        flat = (counts > 0).sum(axis=1) < 2
        if flat.any():
            notes.append(f"{int(flat.sum())} item(s) without variance: no polychoric "
                         "correlation")
        prepared.append((k, tau, notes, flat))
        flat2 = onehot.reshape(n, k * C)
        tabs = (flat2.T @ flat2).reshape(k, C, k, C).transpose(0, 2, 1, 3)  # k, k, C, C
        for i in range(k):
            for j in range(i):
                if flat[i] or flat[j] or tabs[i, j].sum() == 0:
                    continue
                all_tr.append(tau[i])
                all_tc.append(tau[j])
                all_tab.append(tabs[i, j] / tabs[i, j].sum())
                owner.append((b, i, j))
    rho_all = (_fit_pairs(np.array(all_tab), np.array(all_tr), np.array(all_tc))
               if all_tab else np.empty(0))
    out: list[Polychoric] = []
    mats = [np.eye(k) for k, *_ in prepared]
    missing = [np.zeros((k, k), dtype=bool) for k, *_ in prepared]
    for m in missing:
        m |= ~np.eye(m.shape[0], dtype=bool)
    for (b, i, j), r in zip(owner, rho_all, strict=True):
        mats[b][i, j] = mats[b][j, i] = r
        missing[b][i, j] = missing[b][j, i] = False
    for b, (k, tau, notes, _flat) in enumerate(prepared):
        R = mats[b]
        smoothed = False
        if missing[b].any():
            R = np.where(missing[b], np.nan, R)
            notes = [*notes, "some pairs of items were never answered together"]
        else:
            vals, vecs = np.linalg.eigh(R)
            if vals.min() < np.finfo(float).eps:
                vals = np.where(vals < 1e-12, 100 * 1e-12, vals)
                vals = vals * k / vals.sum()
                R = vecs @ np.diag(vals) @ vecs.T
                d = np.sqrt(np.diag(R))
                R = R / np.outer(d, d)
                smoothed = True
                notes = [*notes, "the polychoric matrix was not positive definite and was "
                         "smoothed (as psych::cor.smooth)"]
        out.append(Polychoric(rho=R, tau=tau, smoothed=smoothed, notes=tuple(notes)))
    return out


def polychoric(items: np.ndarray, points: Sequence[float] | None = None) -> Polychoric:
    """Polychoric correlation matrix of ordinal items (``psych::polychoric(x)$rho``).

    Parameters
    ----------
    items : numpy.ndarray
        Respondents x items, answers as numbers (keyed or not), ``NaN`` missing.
    points : sequence of float, optional
        The answer categories in order (default: every whole number from the smallest
        to the largest answer, as psych).

    Returns
    -------
    Polychoric

    Raises
    ------
    SurveyError
        An answer that is not one of the ``points``, or fewer than 2 categories.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> z = rng.multivariate_normal([0, 0], [[1, 0.6], [0.6, 1]], size=2000)
    >>> x = np.digitize(z, [-1.0, -0.3, 0.4, 1.2]) + 1.0      # five categories
    >>> round(float(polychoric(x).rho[0, 1]), 2)
    0.6
    """
    import numpy as np

    x = np.asarray(items, dtype=float)
    if x.ndim != 2:
        raise SurveyError(f"items must be a 2-D table (respondents x items), got {x.ndim}-D")
    if points is None:
        seen = x[~np.isnan(x)]
        if seen.size == 0:
            raise SurveyError("no answers: no polychoric correlations")
        points = np.arange(np.floor(seen.min()), np.floor(seen.max()) + 1)
    points = np.asarray(points, dtype=float)
    if points.size < 2:
        raise SurveyError("polychoric correlations need at least 2 answer categories")
    index = {float(p): i for i, p in enumerate(points)}
    codes = np.full(x.shape, np.nan)
    for value, i in index.items():
        codes[x == value] = i
    stray = ~np.isnan(x) & np.isnan(codes)
    if stray.any():
        bad = x[stray][0]
        raise SurveyError(f"answer {bad:g} is not one of the categories "
                          f"{', '.join(f'{p:g}' for p in points)}")
    return polychoric_many([codes], points.size)[0]


def ordinal_reliability(R: np.ndarray) -> tuple[float, float, str]:
    """Ordinal alpha and omega of a polychoric matrix, and a note when one is NaN.

    Parameters
    ----------
    R : numpy.ndarray
        A k x k polychoric correlation matrix (k >= 2).

    Returns
    -------
    (float, float, str)
        ``alpha = k/(k-1) (1 - k/sum(R))``; omega from a one-factor ML model (``nan``
        with fewer than 3 items, silently, as the Pearson omega); a note saying why a
        value is missing or what happened (a Heywood case), else ``""``.

    Examples
    --------
    >>> import numpy as np
    >>> lam = np.array([0.8, 0.7, 0.6])
    >>> R = np.outer(lam, lam); np.fill_diagonal(R, 1)
    >>> a, w, note = ordinal_reliability(R)
    >>> round(a, 4), round(w, 4)
    (0.7399, 0.7449)
    """
    import numpy as np

    from analysis.reliability import fit_one_factor

    k = R.shape[0]
    if k < 2 or np.isnan(R).any():
        return np.nan, np.nan, "no complete polychoric matrix"
    alpha = k / (k - 1) * (1 - k / R.sum())
    if k < 3:
        return float(alpha), np.nan, ""           # as omega: needs 3 items
    fit = fit_one_factor(R)
    note = "Heywood case in the ordinal one-factor model" if fit.heywood else ""
    return float(alpha), float(fit.omega), note
