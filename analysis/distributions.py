"""The distribution functions the statistical tests need, without importing :mod:`scipy.stats`.

Importing ``scipy.stats`` takes about half a second (it loads scipy's sparse matrices,
spatial, interpolation and optimisation packages and builds a hundred distribution
objects), a quarter of a whole ``survey report``. The statistical tests need a dozen of its
methods, and each of those is a thin wrapper around a function of :mod:`scipy.special`
(``scipy.stats.t.sf(x, df)`` is ``scipy.special.stdtr(df, -x)``). The functions of this
module call the same :mod:`scipy.special` function, handle what lies outside the
distribution's domain as the ``scipy.stats`` method does, and so give the same numbers
to the last bit:

- ``nan`` where a parameter is invalid (``df <= 0``, ``df`` ``nan``) or the argument is
  ``nan``;
- outside the support, 0 or 1 without calling the special function (``chi2_sf`` of a
  negative value is 1, ``t_cdf(inf, df)`` is 1);
- a probability outside ``[0, 1]`` has the quantile ``nan``, 0 and 1 the ends of the
  support;
- a scalar in gives a ``numpy.float64`` out, arrays broadcast.

``tests/test_distributions.py`` checks each against the ``scipy.stats`` method named in
its docstring on random grids and on the edge values, as ``numpy.array_equal``.

:func:`studentized_range_sf` integrates scipy's compiled integrand of the studentized
range as ``scipy.stats.studentized_range`` does. The integrand lives in the extension
module ``scipy.stats._stats``, which is loaded on its own (its initialisation names
``scipy.stats``, which is stood in for while it runs, and needs nothing from it); where
that fails (a scipy laid out differently) the function calls
``scipy.stats.studentized_range.sf``, with the same result and the import's cost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    from numpy.typing import ArrayLike

__all__ = [
    "chi2_pdf",
    "chi2_sf",
    "f_sf",
    "nct_cdf",
    "nct_sf",
    "norm_cdf",
    "norm_sf",
    "rankdata",
    "studentized_range_sf",
    "t_cdf",
    "t_isf",
    "t_ppf",
    "t_sf",
]

_INF = float("inf")

# ---- the wrappers of scipy.stats' rv_continuous, for loc = 0 and scale = 1 ---------------
#
# Each mirrors the generic method of scipy.stats' continuous distributions (in
# scipy/stats/_distn_infrastructure.py): which entries get nan, 0 or 1 without a call,
# which are passed (flattened) to the distribution's own function, and what is done to
# its result (a quantile is ``* scale + loc``, which turns -0.0 into 0.0).


def _valid(*conditions: Any) -> np.ndarray:
    """Where the parameters are valid: ``conditions`` all true (nan compares false)."""
    import numpy as np

    cond = np.asarray(True)
    with np.errstate(invalid="ignore"):
        for c in conditions:
            cond = cond & np.asarray(c)
    return cond


def _positive(*args: np.ndarray) -> np.ndarray:
    """scipy's default check of shape parameters: every one ``> 0``."""
    import numpy as np

    return _valid(*(np.asarray(a) > 0 for a in args))


def _reduce(cond: np.ndarray, *args: Any) -> list[np.ndarray]:
    """The entries of ``args`` where ``cond`` holds, flattened (size-1 arguments kept
    whole), as ``scipy.stats._distn_infrastructure.argsreduce``."""
    import numpy as np

    arrays = [np.atleast_1d(a) for a in args]
    if np.all(cond):
        *arrays, cond = np.broadcast_arrays(*arrays, cond)
        return [a.ravel() for a in arrays]
    shape = cond.shape
    return [a if np.size(a) == 1 else np.extract(cond, np.broadcast_to(a, shape))
            for a in arrays]


def _standardise(x: ArrayLike) -> np.ndarray:
    """``(x - loc) / scale`` with ``loc = 0``, ``scale = 1``, as floats (an integer
    argument becomes float; ``-0.0`` stays ``-0.0``)."""
    import numpy as np

    x = np.asarray(x)
    dtype = np.promote_types(x.dtype, np.float64)
    return np.asarray((x - np.asarray(0)) / np.asarray(1), dtype=dtype)


def _out(output: np.ndarray) -> np.ndarray | float:
    return output[()] if output.ndim == 0 else output


def _probability(x: ArrayLike, args: tuple[np.ndarray, ...], valid: np.ndarray,
                 support: tuple[float, float], function: Callable[..., Any],
                 *, upper: bool) -> np.ndarray | float:
    """``cdf`` (``upper=False``) or ``sf`` (``upper=True``) of a continuous distribution
    whose own function is ``function(x, *args)`` inside the open support."""
    import numpy as np

    x = _standardise(x)
    a, b = support
    with np.errstate(invalid="ignore"):
        inside = (a < x) & (x < b)
        # at or beyond the end where the probability is 1
        certain = valid & ((x <= a) if upper else (x >= np.asarray(b)))
    cond = valid & inside
    output = np.zeros(np.shape(cond), x.dtype)
    np.place(output, ~valid | np.isnan(x), np.nan)
    np.place(output, certain, 1.0)
    if np.any(cond):
        np.place(output, cond, function(*_reduce(cond, x, *args)))
    return _out(output)


def _density(x: ArrayLike, args: tuple[np.ndarray, ...], valid: np.ndarray,
             support: tuple[float, float], function: Callable[..., Any]) -> np.ndarray | float:
    """``pdf`` of a continuous distribution whose own density is ``function(x, *args)``
    on the closed support."""
    import numpy as np

    x = _standardise(x)
    a, b = support
    scale = np.asarray(1)
    with np.errstate(invalid="ignore"):
        inside = (a <= x) & (x <= b)
    cond = valid & inside
    output = np.zeros(np.shape(cond), x.dtype)
    np.putmask(output, ~valid | np.isnan(x), np.nan)
    if np.any(cond):
        *good, scale = _reduce(cond, x, *args, scale)
        np.place(output, cond, function(*good) / scale)
    return _out(output)


def _quantile(q: ArrayLike, args: tuple[np.ndarray, ...], valid: np.ndarray,
              support: tuple[float, float], function: Callable[..., Any],
              *, upper: bool) -> np.ndarray | float:
    """``ppf`` (``upper=False``) or ``isf`` (``upper=True``) whose own function is
    ``function(q, *args)`` for ``0 < q < 1``."""
    import numpy as np

    q = np.asarray(q)
    scale, loc = np.asarray(1), np.asarray(0)
    a, b = support
    cond = valid & (0 < q) & (q < 1)
    at_lower = valid & (q == (1 if upper else 0))
    at_upper = valid & (q == (0 if upper else 1))
    output = np.full(np.shape(cond), fill_value=np.nan)
    np.place(output, at_lower, _reduce(at_lower, a * scale + loc)[0])
    np.place(output, at_upper, _reduce(at_upper, b * scale + loc)[0])
    if np.any(cond):
        *good, scale, loc = _reduce(cond, q, *args, scale, loc)
        np.place(output, cond, function(*good) * scale + loc)
    return _out(output)


def _arrays(*values: ArrayLike) -> tuple[np.ndarray, ...]:
    import numpy as np

    return tuple(np.asarray(v) for v in values)


# ---- Student's t --------------------------------------------------------------------------

def t_cdf(x: ArrayLike, df: ArrayLike) -> np.ndarray | float:
    """``P(T <= x)`` for Student's t on ``df`` degrees of freedom.

    The same numbers as ``scipy.stats.t.cdf(x, df)``: ``scipy.special.stdtr(df, x)``.

    Parameters
    ----------
    x : array_like
        Where to evaluate.
    df : array_like
        Degrees of freedom, ``> 0`` (``inf`` is the normal distribution).

    Returns
    -------
    numpy.ndarray or numpy.float64
        The probabilities, broadcast; ``nan`` where ``x`` is ``nan`` or ``df`` is not
        positive.

    Examples
    --------
    >>> round(float(t_cdf(-2.0, 10)), 8)   # R: pt(-2, 10)
    0.03669402
    """
    from scipy.special import stdtr

    (df,) = _arrays(df)
    return _probability(x, (df,), _positive(df), (-_INF, _INF),
                        lambda x, df: stdtr(df, x), upper=False)


def t_sf(x: ArrayLike, df: ArrayLike) -> np.ndarray | float:
    """``P(T > x)`` for Student's t on ``df`` degrees of freedom.

    The same numbers as ``scipy.stats.t.sf(x, df)``: ``scipy.special.stdtr(df, -x)``.

    Parameters
    ----------
    x : array_like
        Where to evaluate.
    df : array_like
        Degrees of freedom, ``> 0``.

    Returns
    -------
    numpy.ndarray or numpy.float64
        The probabilities; ``nan`` where ``x`` is ``nan`` or ``df`` is not positive.

    Examples
    --------
    >>> round(float(t_sf(2.0, 10)), 8)   # R: pt(2, 10, lower.tail = FALSE)
    0.03669402
    """
    from scipy.special import stdtr

    (df,) = _arrays(df)
    return _probability(x, (df,), _positive(df), (-_INF, _INF),
                        lambda x, df: stdtr(df, -x), upper=True)


def t_ppf(q: ArrayLike, df: ArrayLike) -> np.ndarray | float:
    """The ``q`` quantile of Student's t on ``df`` degrees of freedom.

    The same numbers as ``scipy.stats.t.ppf(q, df)``: ``scipy.special.stdtrit(df, q)``.

    Parameters
    ----------
    q : array_like
        Lower-tail probabilities; 0 gives ``-inf``, 1 gives ``inf``.
    df : array_like
        Degrees of freedom, ``> 0``.

    Returns
    -------
    numpy.ndarray or numpy.float64
        The quantiles; ``nan`` where ``q`` is outside ``[0, 1]`` or ``nan``, or ``df``
        is not positive.

    Examples
    --------
    >>> round(float(t_ppf(0.975, 20)), 6)   # R: qt(0.975, 20)
    2.085963
    """
    from scipy.special import stdtrit

    (df,) = _arrays(df)
    return _quantile(q, (df,), _positive(df), (-_INF, _INF),
                     lambda q, df: stdtrit(df, q), upper=False)


def t_isf(q: ArrayLike, df: ArrayLike) -> np.ndarray | float:
    """The value Student's t on ``df`` degrees of freedom exceeds with probability ``q``.

    The same numbers as ``scipy.stats.t.isf(q, df)``: ``-scipy.special.stdtrit(df, q)``.

    Parameters
    ----------
    q : array_like
        Upper-tail probabilities; 0 gives ``inf``, 1 gives ``-inf``.
    df : array_like
        Degrees of freedom, ``> 0``.

    Returns
    -------
    numpy.ndarray or numpy.float64
        The quantiles; ``nan`` where ``q`` is outside ``[0, 1]`` or ``nan``, or ``df``
        is not positive.

    Examples
    --------
    >>> round(float(t_isf(0.025, 20)), 6)   # R: qt(0.025, 20, lower.tail = FALSE)
    2.085963
    """
    from scipy.special import stdtrit

    (df,) = _arrays(df)
    return _quantile(q, (df,), _positive(df), (-_INF, _INF),
                     lambda q, df: -stdtrit(df, q), upper=True)


# ---- F, chi-squared, normal -------------------------------------------------------------

def f_sf(x: ArrayLike, dfn: ArrayLike, dfd: ArrayLike) -> np.ndarray | float:
    """``P(F > x)`` for the F distribution on ``dfn`` and ``dfd`` degrees of freedom.

    The same numbers as ``scipy.stats.f.sf(x, dfn, dfd)``:
    ``scipy.special.fdtrc(dfn, dfd, x)``, and 1 for ``x <= 0``.

    Parameters
    ----------
    x : array_like
        Where to evaluate.
    dfn, dfd : array_like
        Numerator and denominator degrees of freedom, ``> 0``.

    Returns
    -------
    numpy.ndarray or numpy.float64
        The probabilities; ``nan`` where ``x`` is ``nan`` or a df is not positive.

    Examples
    --------
    >>> round(float(f_sf(3.5, 2, 17.5)), 8)   # R: pf(3.5, 2, 17.5, lower.tail = FALSE)
    0.05264773
    """
    from scipy.special import fdtrc

    dfn, dfd = _arrays(dfn, dfd)
    return _probability(x, (dfn, dfd), _positive(dfn, dfd), (0.0, _INF),
                        lambda x, dfn, dfd: fdtrc(dfn, dfd, x), upper=True)


def chi2_sf(x: ArrayLike, df: ArrayLike) -> np.ndarray | float:
    """``P(X > x)`` for the chi-squared distribution on ``df`` degrees of freedom.

    The same numbers as ``scipy.stats.chi2.sf(x, df)``: ``scipy.special.chdtrc(df, x)``,
    and 1 for ``x <= 0``.

    Parameters
    ----------
    x : array_like
        Where to evaluate.
    df : array_like
        Degrees of freedom, ``> 0``.

    Returns
    -------
    numpy.ndarray or numpy.float64
        The probabilities; ``nan`` where ``x`` is ``nan`` or ``df`` is not positive.

    Examples
    --------
    >>> round(float(chi2_sf(5.197802, 2)), 8)   # R: pchisq(5.197802, 2, lower.tail = FALSE)
    0.07435525
    """
    from scipy.special import chdtrc

    (df,) = _arrays(df)
    return _probability(x, (df,), _positive(df), (0.0, _INF),
                        lambda x, df: chdtrc(df, x), upper=True)


def _chi2_density(x: np.ndarray, df: np.ndarray) -> np.ndarray:
    import numpy as np
    from scipy.special import gammaln, xlogy

    return np.exp(xlogy(df / 2. - 1, x) - x / 2. - gammaln(df / 2.) - (np.log(2) * df) / 2.)


def chi2_pdf(x: ArrayLike, df: ArrayLike) -> np.ndarray | float:
    """Density of the chi-squared distribution on ``df`` degrees of freedom.

    The same numbers as ``scipy.stats.chi2.pdf(x, df)``:
    ``exp(xlogy(df/2 - 1, x) - x/2 - gammaln(df/2) - log(2) df/2)``, and 0 for ``x < 0``.

    Parameters
    ----------
    x : array_like
        Where to evaluate.
    df : array_like
        Degrees of freedom, ``> 0``.

    Returns
    -------
    numpy.ndarray or numpy.float64
        The densities; ``nan`` where ``x`` is ``nan`` or ``df`` is not positive.

    Examples
    --------
    >>> round(float(chi2_pdf(3.0, 4)), 8)   # R: dchisq(3, 4)
    0.16734762
    """
    (df,) = _arrays(df)
    return _density(x, (df,), _positive(df), (0.0, _INF), _chi2_density)


def norm_cdf(x: ArrayLike) -> np.ndarray | float:
    """``P(Z <= x)`` for the standard normal distribution.

    The same numbers as ``scipy.stats.norm.cdf(x)``: ``scipy.special.ndtr(x)``.

    Parameters
    ----------
    x : array_like
        Where to evaluate.

    Returns
    -------
    numpy.ndarray or numpy.float64
        The probabilities; ``nan`` where ``x`` is ``nan``.

    Examples
    --------
    >>> round(float(norm_cdf(1.96)), 8)   # R: pnorm(1.96)
    0.9750021
    """
    import numpy as np
    from scipy.special import ndtr

    return _probability(x, (), np.asarray(True), (-_INF, _INF), ndtr, upper=False)


def norm_sf(x: ArrayLike) -> np.ndarray | float:
    """``P(Z > x)`` for the standard normal distribution.

    The same numbers as ``scipy.stats.norm.sf(x)``: ``scipy.special.ndtr(-x)``.

    Parameters
    ----------
    x : array_like
        Where to evaluate.

    Returns
    -------
    numpy.ndarray or numpy.float64
        The probabilities; ``nan`` where ``x`` is ``nan``.

    Examples
    --------
    >>> round(float(norm_sf(1.96)), 8)   # R: pnorm(1.96, lower.tail = FALSE)
    0.0249979
    """
    import numpy as np
    from scipy.special import ndtr

    return _probability(x, (), np.asarray(True), (-_INF, _INF), lambda x: ndtr(-x),
                        upper=True)


# ---- noncentral t -----------------------------------------------------------------------

def _nct_valid(df: np.ndarray, nc: np.ndarray) -> np.ndarray:
    """scipy's check of the noncentral t's parameters: ``df > 0``, ``nc`` not nan."""
    return _valid(df > 0, nc == nc)  # nan is not equal to itself


def nct_cdf(x: ArrayLike, df: ArrayLike, nc: ArrayLike) -> np.ndarray | float:
    """``P(T <= x)`` for the noncentral t on ``df`` degrees of freedom, noncentrality
    ``nc``.

    The same numbers as ``scipy.stats.nct.cdf(x, df, nc)``:
    ``scipy.special.nctdtr(df, nc, x)``. Like it, this can be ``nan`` far in the lower
    tail with few df and a large ``nc``.

    Parameters
    ----------
    x : array_like
        Where to evaluate.
    df : array_like
        Degrees of freedom, ``> 0``.
    nc : array_like
        Noncentrality.

    Returns
    -------
    numpy.ndarray or numpy.float64
        The probabilities; ``nan`` where ``x`` or ``nc`` is ``nan`` or ``df`` is not
        positive.

    Examples
    --------
    >>> # R: pt(-1.978971, 126, ncp = 2.828427) = 9.345532e-07
    >>> round(float(nct_cdf(-1.978971, 126, 2.828427)) * 1e7, 5)
    9.34553
    """
    from scipy.special import nctdtr

    df, nc = _arrays(df, nc)
    return _probability(x, (df, nc), _nct_valid(df, nc), (-_INF, _INF),
                        lambda x, df, nc: nctdtr(df, nc, x), upper=False)


def _nct_upper(x: np.ndarray, df: np.ndarray, nc: np.ndarray) -> np.ndarray:
    import numpy as np
    from scipy.special._ufuncs import _nct_sf

    with np.errstate(over="ignore"):
        return np.clip(_nct_sf(x, df, nc), 0, 1)


def nct_sf(x: ArrayLike, df: ArrayLike, nc: ArrayLike) -> np.ndarray | float:
    """``P(T > x)`` for the noncentral t on ``df`` degrees of freedom, noncentrality
    ``nc``.

    The same numbers as ``scipy.stats.nct.sf(x, df, nc)``: Boost's upper tail as scipy
    ships it (``scipy.special._ufuncs._nct_sf``), clipped to ``[0, 1]``.

    Parameters
    ----------
    x : array_like
        Where to evaluate.
    df : array_like
        Degrees of freedom, ``> 0``.
    nc : array_like
        Noncentrality.

    Returns
    -------
    numpy.ndarray or numpy.float64
        The probabilities; ``nan`` where ``x`` or ``nc`` is ``nan`` or ``df`` is not
        positive.

    Examples
    --------
    >>> # R: pt(1.978971, 126, ncp = 2.828427, lower.tail = FALSE)
    >>> round(float(nct_sf(1.978971, 126, 2.828427)), 6)
    0.801458
    """
    try:
        from scipy.special._ufuncs import _nct_sf  # noqa: F401
    except ImportError:  # pragma: no cover - a scipy without it: its own nct
        from scipy.stats import nct

        return nct.sf(x, df, nc)
    df, nc = _arrays(df, nc)
    return _probability(x, (df, nc), _nct_valid(df, nc), (-_INF, _INF), _nct_upper,
                        upper=True)


# ---- ranks --------------------------------------------------------------------------------

def rankdata(a: ArrayLike) -> np.ndarray:
    """Ranks of the values of ``a`` (flattened), ties given the mean of their ranks.

    The same numbers as ``scipy.stats.rankdata(a)`` (``method="average"``): ranks from
    1, floats; every rank ``nan`` when a value is ``nan``.

    Parameters
    ----------
    a : array_like
        The values.

    Returns
    -------
    numpy.ndarray
        One rank per value, flattened, in the order of ``a``.

    Examples
    --------
    >>> rankdata([3, 1, 4, 1, 5]).tolist()   # R: rank(c(3, 1, 4, 1, 5))
    [3.0, 1.5, 4.0, 1.5, 5.0]
    """
    import numpy as np

    x = np.ravel(np.asarray(a))
    if x.size == 0:
        return np.empty(0, dtype=float)
    order = np.argsort(x, kind="stable")
    ordered = x[order]
    first = np.concatenate([[True], ordered[:-1] != ordered[1:]])
    starts = np.flatnonzero(first)
    counts = np.diff(starts, append=x.size)
    # a run of ties from position s (counted from 0) of length c has ranks s+1 .. s+c,
    # whose mean is s + 1 + (c - 1)/2 (exact in floating point)
    mean_ranks = (starts + 1).astype(float) + (counts.astype(float) - 1) / 2
    ranks = np.empty(x.size, dtype=float)
    ranks[order] = np.repeat(mean_ranks, counts)
    if x.dtype.kind in "fc" and np.isnan(x).any():
        ranks[:] = np.nan
    return ranks


# ---- the studentized range --------------------------------------------------------------

#: The extension module holding scipy's integrand of the studentized range, once loaded
#: (``False``: it could not be; scipy.stats is used instead).
_SR_EXTENSION: Any = None

#: scipy.stats.studentized_range switches to the infinite-df integral from this df on.
_SR_ASYMPTOTIC_DF = 100000


def _load_stats_extension() -> Any:
    """``scipy.stats._stats``, loaded without running ``scipy/stats/__init__.py``.

    The extension's initialisation imports ``scipy.stats`` (for a function none of this
    module calls), so a bare module stands in for the package while it runs and is
    removed again; the extension keeps only the ``scipy`` package. Raises whatever
    goes wrong (missing file, a different layout, a failing initialisation).
    """
    import importlib
    import importlib.machinery
    import importlib.util
    import sys
    import types
    from pathlib import Path

    import scipy

    name = "scipy.stats._stats"
    if name in sys.modules:
        return sys.modules[name]
    if "scipy.stats" in sys.modules:  # loaded anyway: the ordinary import costs nothing
        return importlib.import_module(name)
    folder = Path(scipy.__file__).parent / "stats"
    paths = [folder / f"_stats{suffix}" for suffix in importlib.machinery.EXTENSION_SUFFIXES]
    path = next((p for p in paths if p.is_file()), None)
    if path is None:
        raise ImportError(f"no compiled {name} in {folder}")
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or not isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
        raise ImportError(f"{path} is not an extension module")
    module = importlib.util.module_from_spec(spec)
    stand_in = types.ModuleType("scipy.stats", "stands in while scipy.stats._stats loads")
    sys.modules["scipy.stats"] = stand_in
    loaded = False
    try:
        spec.loader.exec_module(module)
        loaded = True
    finally:
        if sys.modules.get("scipy.stats") is stand_in:
            del sys.modules["scipy.stats"]
        if vars(scipy).get("stats") is stand_in:  # pragma: no cover - not seen
            delattr(scipy, "stats")
        if not loaded and sys.modules.get(name) is module:
            del sys.modules[name]
    # The extension enters itself in sys.modules. Left there, a later import of
    # scipy.stats would take it from there without making it the package's attribute
    # ``_stats``; taken out, that import makes it again. A Cython module made twice
    # is the same module (it says so to create_module): then it is taken out, so that
    # the later import makes it the package's attribute as usual.
    if sys.modules.get(name) is module and spec.loader.create_module(spec) is module:
        del sys.modules[name]
    return module


def _stats_extension() -> Any:
    """The loaded extension with the integrand, or None (scipy.stats is used instead)."""
    global _SR_EXTENSION
    if _SR_EXTENSION is None:
        try:
            module = _load_stats_extension()
            capi = module.__pyx_capi__
            for symbol in ("_studentized_range_cdf", "_studentized_range_cdf_asymptotic"):
                capi[symbol]  # noqa: B018 - raises KeyError when missing
            if not callable(module._studentized_range_cdf_logconst):
                raise TypeError("no _studentized_range_cdf_logconst")
            _SR_EXTENSION = module
        except Exception:  # noqa: BLE001 - any failure: scipy.stats does it
            _SR_EXTENSION = False
    return _SR_EXTENSION or None


def _studentized_range_cdf(module: Any) -> Callable[..., np.ndarray]:
    """``studentized_range._cdf`` of scipy.stats: the double integral (a single one
    from df 100000 on) as ``scipy.integrate.nquad`` computes it
    (:func:`analysis.solvers.nquad`), per value, clipped to [0, 1]."""
    import ctypes

    import numpy as np
    from scipy import LowLevelCallable

    from analysis.solvers import nquad

    def single(q: float, k: float, df: float) -> float:
        if df < _SR_ASYMPTOTIC_DF:
            symbol = "_studentized_range_cdf"
            log_const = module._studentized_range_cdf_logconst(k, df)
            data = np.array([q, k, df, log_const], float)
            ranges = [(-np.inf, np.inf), (0, np.inf)]
        else:
            symbol = "_studentized_range_cdf_asymptotic"
            data = np.array([q, k], float)
            ranges = [(-np.inf, np.inf)]
        function = LowLevelCallable.from_cython(
            module, symbol, data.ctypes.data_as(ctypes.c_void_p))
        return nquad(function, ranges, epsabs=1e-11, epsrel=1e-12)

    each = np.frompyfunc(single, 3, 1)

    def cdf(q: np.ndarray, k: np.ndarray, df: np.ndarray) -> np.ndarray:
        return np.clip(np.asarray(each(q, k, df), dtype=np.float64)[()], 0, 1)

    return cdf


def studentized_range_sf(q: ArrayLike, k: ArrayLike, df: ArrayLike) -> np.ndarray | float:
    """``P(Q > q)`` for the range of ``k`` standard normal values studentized by an
    independent estimate of their standard deviation on ``df`` degrees of freedom.

    The same numbers as ``scipy.stats.studentized_range.sf(q, k, df)``: one minus its
    cdf, scipy's compiled integrand integrated by ``scipy.integrate.nquad`` with its
    tolerances (a single integral for ``df >= 100000``), and 1 for ``q <= 0``. Each
    value takes a few milliseconds.

    Parameters
    ----------
    q : array_like
        Where to evaluate.
    k : array_like
        Number of groups, ``> 1``.
    df : array_like
        Degrees of freedom, ``> 0``.

    Returns
    -------
    numpy.ndarray or numpy.float64
        The probabilities; ``nan`` where ``q`` is ``nan``, ``k <= 1`` or ``df <= 0``.

    Examples
    --------
    >>> # R: ptukey(sqrt(2) * 2.5, 3, 20.5, lower.tail = FALSE)
    >>> round(float(studentized_range_sf(2 ** 0.5 * 2.5, 3, 20.5)), 6)
    0.05263
    """
    module = _stats_extension()
    if module is None:
        from scipy.stats import studentized_range

        return studentized_range.sf(q, k, df)
    k, df = _arrays(k, df)
    cdf = _studentized_range_cdf(module)
    valid = _valid(k > 1, df > 0)
    return _probability(q, (k, df), valid, (0.0, _INF),
                        lambda q, k, df: 1.0 - cdf(q, k, df), upper=True)
