"""Root finding, bounded minimisation and integration as scipy does them, without loading
:mod:`scipy.optimize` or :mod:`scipy.integrate`.

A report needs three small things from those packages: a root of a monotone function
(the RMSEA's confidence limits), the minimum of a function of one variable on an
interval (the mixed models' variance ratio) and a double integral (the studentized range
of the Games-Howell test). Loading the two packages takes 0.16 s, on the one core the
report has before its work is shared out; what is used of them takes well under a
millisecond to load:

- :func:`brentq`: scipy's compiled Brent root finder, from the extension
  ``scipy.optimize._zeros`` loaded on its own, with ``scipy.optimize.brentq``'s checks;
- :func:`minimize_bounded`: ``scipy.optimize.minimize_scalar(method="bounded")`` (Brent's
  ``fminbound``), the same steps in the same order on the same floating-point numbers;
- :func:`nquad`: ``scipy.integrate.nquad``'s nesting of ``quad`` over QUADPACK, from the
  extension ``scipy.integrate._quadpack`` loaded on its own.

Each gives scipy's numbers to the last bit (``tests/test_solvers.py`` compares them on
seeded problems), and :func:`brentq` and :func:`nquad` call scipy's own functions where
the extensions are not laid out as expected, or take other arguments than these do.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["brentq", "load_extension", "minimize_bounded", "nquad"]

#: Extensions loaded so far (False: could not be loaded, scipy's package is used).
_LOADED: dict[str, Any] = {}


def load_extension(package: str, name: str) -> Any:
    """The compiled module ``scipy.<package>.<name>``, loaded without running the
    package's ``__init__.py``; None when it cannot be (then use the package).

    Parameters
    ----------
    package : str
        The scipy subpackage (``optimize``, ``integrate``).
    name : str
        The extension module's name in it (``_zeros``, ``_quadpack``).
    """
    import importlib
    import importlib.machinery
    import importlib.util
    import sys
    from pathlib import Path

    full = f"scipy.{package}.{name}"
    if full in _LOADED:
        return _LOADED[full] or None
    if f"scipy.{package}" in sys.modules:  # loaded anyway: the ordinary import is free
        module = importlib.import_module(full)
        _LOADED[full] = module
        return module
    try:
        import scipy

        folder = Path(scipy.__file__).parent / package
        path = next(p for p in (folder / f"{name}{suffix}"
                                for suffix in importlib.machinery.EXTENSION_SUFFIXES)
                    if p.is_file())
        spec = importlib.util.spec_from_file_location(full, path)
        if spec is None or not isinstance(spec.loader, importlib.machinery.ExtensionFileLoader):
            raise ImportError(f"{path} is not an extension module")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        # CPython enters a single-phase extension in sys.modules as it loads it; left
        # there without its package, a later import of the package would take it from
        # there and never set it as the package's attribute (scipy.optimize._zeros
        # would be an AttributeError). Removed, the package's import loads it as usual
        if sys.modules.get(full) is module:
            del sys.modules[full]
    except Exception:  # noqa: BLE001 - any other layout: the package does it
        _LOADED[full] = False
        return None
    _LOADED[full] = module
    return module


#: Whether each extension loaded takes the arguments these calls give it (a scipy whose
#: compiled functions take others is left to its own functions).
_FITS: dict[Any, bool] = {}


def _fits(module: Any) -> Any:
    """``module`` if its compiled functions take the arguments :func:`brentq` and
    :func:`_quad` give them, else None (and scipy's functions are called instead).

    Each is tried once on a trivial function, rather than a TypeError of the real call
    being taken for another scipy: that would also catch a TypeError raised by the
    caller's function, and run it all again under scipy.
    """
    if module is None:
        return None
    if module not in _FITS:
        try:
            if hasattr(module, "_brentq"):
                module._brentq(float, -1.0, 1.0, 2e-12, 8.881784197001252e-16, 100, (),
                               False, True)
            else:
                module._qagse(math.exp, 0.0, 1.0, (), 0, 1.49e-8, 1.49e-8, 50)
                module._qagie(math.exp, 0.0, -1, (), 0, 1.49e-8, 1.49e-8, 50)
            _FITS[module] = True
        except Exception:  # noqa: BLE001 - _zeros says RuntimeError, _quadpack TypeError
            _FITS[module] = False
    return module if _FITS[module] else None


def brentq(f: Callable[[float], float], a: float, b: float, *, xtol: float = 2e-12,
           rtol: float = 8.881784197001252e-16, maxiter: int = 100) -> float:
    """A root of ``f`` between ``a`` and ``b`` (where ``f`` changes sign), as
    ``scipy.optimize.brentq(f, a, b, xtol=xtol, rtol=rtol, maxiter=maxiter)``.

    Raises
    ------
    ValueError
        ``f`` has the same sign at both ends, is NaN somewhere on the way, or the
        tolerances are out of range (as scipy).
    RuntimeError
        No convergence in ``maxiter`` iterations (as scipy).

    Examples
    --------
    >>> brentq(lambda x: x * x - 2, 0.0, 2.0, xtol=1e-12)
    1.4142135623731364
    """
    zeros = _fits(load_extension("optimize", "_zeros"))
    if zeros is None:
        from scipy.optimize import brentq as scipy_brentq

        return float(scipy_brentq(f, a, b, xtol=xtol, rtol=rtol, maxiter=maxiter))
    maxiter = operator.index(maxiter)
    if xtol <= 0:
        raise ValueError(f"xtol too small ({xtol:g} <= 0)")
    if rtol < 8.881784197001252e-16:
        raise ValueError(f"rtol too small ({rtol:g} < {8.881784197001252e-16:g})")

    def checked(x: float) -> float:
        value = f(x)
        if math.isnan(value):
            raise ValueError(f"The function value at x={x} is NaN; solver cannot continue.")
        return value

    return zeros._brentq(checked, a, b, xtol, rtol, maxiter, (), False, True)


def minimize_bounded(f: Callable[[float], float], lo: float, hi: float, *,
                     xatol: float = 1e-5, maxiter: int = 500) -> tuple[float, float]:
    """The minimum of ``f`` on ``[lo, hi]`` by Brent's method: ``(x, f(x))``, as
    ``scipy.optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded",
    options={"xatol": xatol, "maxiter": maxiter})`` gives them (``res.x``, ``res.fun``).

    The steps are scipy's (``_minimize_scalar_bounded``), in the same order and on the
    same numbers; scipy's ``np.abs`` and ``np.sign`` of a float are ``abs`` and
    ``copysign`` here, which give the same values. ``f`` is given each point as a
    :class:`numpy.float64`, as scipy gives it: a Python float would make ``x ** 2`` past
    1e154 an OverflowError and ``1 / x`` at 0 a ZeroDivisionError where scipy's ``f``
    returns inf.

    Examples
    --------
    >>> x, fx = minimize_bounded(lambda x: (x - 1.5) ** 2, 0.0, 4.0)
    >>> print(round(x, 6), round(fx, 12))
    1.5 0.0
    """
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError("Optimization bounds must be finite scalars.")
    if lo > hi:
        raise ValueError("The lower bound exceeds the upper bound.")
    from numpy import float64

    def sign(v: float) -> float:  # np.sign: 0 at 0
        return 0.0 if v == 0 else math.copysign(1.0, v)

    sqrt_eps = math.sqrt(2.2e-16)
    golden_mean = 0.5 * (3.0 - math.sqrt(5.0))
    a, b = float(lo), float(hi)
    fulc = a + golden_mean * (b - a)
    nfc, xf = fulc, fulc
    rat = e = 0.0
    x = xf
    fx = f(float64(x))
    num = 1
    fu = math.inf
    ffulc = fnfc = fx
    xm = 0.5 * (a + b)
    tol1 = sqrt_eps * abs(xf) + xatol / 3.0
    tol2 = 2.0 * tol1
    while abs(xf - xm) > (tol2 - 0.5 * (b - a)):
        golden = True
        if abs(e) > tol1:  # a parabolic step, if acceptable
            golden = False
            r = (xf - nfc) * (fx - ffulc)
            q = (xf - fulc) * (fx - fnfc)
            p = (xf - fulc) * q - (xf - nfc) * r
            q = 2.0 * (q - r)
            if q > 0.0:
                p = -p
            q = abs(q)
            r = e
            e = rat
            if abs(p) < abs(0.5 * q * r) and p > q * (a - xf) and p < q * (b - xf):
                rat = (p + 0.0) / q
                x = xf + rat
                if (x - a) < tol2 or (b - x) < tol2:
                    rat = tol1 * (sign(xm - xf) + ((xm - xf) == 0))
            else:
                golden = True
        if golden:  # a golden-section step
            e = (a - xf) if xf >= xm else (b - xf)
            rat = golden_mean * e
        x = xf + (sign(rat) + (rat == 0)) * max(abs(rat), tol1)
        fu = f(float64(x))
        num += 1
        if fu <= fx:
            if x >= xf:
                a = xf
            else:
                b = xf
            fulc, ffulc = nfc, fnfc
            nfc, fnfc = xf, fx
            xf, fx = x, fu
        else:
            if x < xf:
                a = x
            else:
                b = x
            if fu <= fnfc or nfc == xf:
                fulc, ffulc = nfc, fnfc
                nfc, fnfc = x, fu
            elif fu <= ffulc or fulc == xf or fulc == nfc:
                fulc, ffulc = x, fu
        xm = 0.5 * (a + b)
        tol1 = sqrt_eps * abs(xf) + xatol / 3.0
        tol2 = 2.0 * tol1
        if num >= maxiter:
            break
    return xf, fx


def nquad(function: Any, ranges: Sequence[tuple[float, float]], *, epsabs: float,
          epsrel: float, limit: int = 50) -> float:
    """The integral of ``function`` over ``ranges`` (the innermost variable first, as
    ``scipy.integrate.nquad`` takes them), as ``scipy.integrate.nquad(function, ranges,
    opts={"epsabs": epsabs, "epsrel": epsrel, "limit": limit})[0]``: each variable by
    QUADPACK's ``qagse`` (finite range) or ``qagie`` (infinite), the outermost first.

    ``function`` is a Python function or a :class:`scipy.LowLevelCallable` of the
    variables. Where QUADPACK reports a difficulty, scipy warns; so does this, with
    scipy's warning class when scipy.integrate is loaded, else :class:`IntegrationWarning`
    (both :class:`UserWarning`); invalid input is refused with scipy's reason.

    Examples
    --------
    >>> round(nquad(lambda x, y: x * y, [(0, 1), (0, 2)], epsabs=1e-12, epsrel=1e-12), 12)
    1.0
    """
    quadpack = _fits(load_extension("integrate", "_quadpack"))
    opts = {"epsabs": epsabs, "epsrel": epsrel, "limit": limit}
    if quadpack is None:
        from scipy import integrate

        return float(integrate.nquad(function, ranges=list(ranges), opts=opts)[0])
    depths = len(ranges)

    def integrate_at(depth: int, *args: float) -> float:
        low, high = ranges[-(depth + 1)]
        inner = function if depth + 1 == depths else (
            lambda *inner_args: integrate_at(depth + 1, *inner_args))
        return _quad(quadpack, inner, float(low), float(high), args, epsabs, epsrel, limit)

    return integrate_at(0)


def _quad(quadpack: Any, func: Any, a: float, b: float, args: tuple, epsabs: float,
          epsrel: float, limit: int) -> float:
    """``scipy.integrate.quad(func, a, b, args, epsabs=, epsrel=, limit=)[0]`` for the
    calls :func:`nquad` makes (no weight, no break points)."""
    if a == b:
        return 0.0
    flip, a, b = b < a, min(a, b), max(a, b)
    if b != math.inf and a != -math.inf:
        value, _, ier = quadpack._qagse(func, a, b, args, 0, epsabs, epsrel, limit)
    else:
        if b == math.inf and a != -math.inf:
            infbounds, bound = 1, a
        elif b == math.inf and a == -math.inf:
            infbounds, bound = 2, 0
        else:
            infbounds, bound = -1, b
        value, _, ier = quadpack._qagie(func, bound, infbounds, args, 0, epsabs, epsrel,
                                        limit)
    if flip:
        value = -value
    if ier != 0:
        _warn(ier, limit, epsabs, epsrel)
    return value


class IntegrationWarning(UserWarning):
    """QUADPACK's result falls short of the tolerance asked: scipy.integrate's warning
    class, where that package is not loaded (a :class:`UserWarning`, as scipy's)."""


def _warn(ier: int, limit: int, epsabs: float, epsrel: float) -> None:
    """What scipy's ``quad`` does for QUADPACK's error code ``ier``: a warning for a
    result it returns anyway (1-5, 7), else an error (for invalid input, ``ier`` 6, with
    scipy's reason)."""
    import sys
    import warnings

    messages = {
        80: "A Python error occurred possibly while calling the function.",
        1: f"The maximum number of subdivisions ({limit}) has been achieved.",
        2: "The occurrence of roundoff error is detected, which prevents the requested "
           "tolerance from being achieved.  The error may be underestimated.",
        3: "Extremely bad integrand behavior occurs at some points of the integration "
           "interval.",
        4: "The algorithm does not converge.  Roundoff error is detected in the "
           "extrapolation table.  It is assumed that the requested tolerance cannot be "
           "achieved, and that the returned result (if full_output = 1) is the best "
           "which can be obtained.",
        5: "The integral is probably divergent, or slowly convergent.",
        6: "The input is invalid.",
    }
    message = messages.get(ier, "Unknown error.")
    if ier == 6 and epsabs <= 0:
        if epsrel < max(50 * sys.float_info.epsilon, 5e-29):
            message = ("If 'epsabs'<=0, 'epsrel' must be greater than both 5e-29 and "
                       "50*(machine epsilon).")
    elif ier == 6:
        message = "Invalid 'limit' argument. There must be at least one subinterval"
    if ier not in (1, 2, 3, 4, 5, 7):
        raise ValueError(message)
    category: type[Warning] = IntegrationWarning
    if "scipy.integrate" in sys.modules:
        category = sys.modules["scipy.integrate"].IntegrationWarning
    warnings.warn(message, category, stacklevel=4)
