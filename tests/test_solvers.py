"""analysis.solvers gives scipy.optimize's and scipy.integrate's numbers to the last bit,
and the report and comparison never load either package.

The reference is scipy itself (the installed version), as for analysis.distributions:
each function replaces a call whose numbers the tables were checked with (against R,
in the tests of the analyses), so it must not change a bit. The problems are seeded:
roots of monotone functions of several shapes (the RMSEA's noncentral chi-squared among
them), minima of smooth and flat functions inside and at the ends of their interval
(the mixed model's restricted likelihood among them), and integrals over finite, half-
and fully infinite ranges.
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import integrate, optimize
from scipy.special import chndtr
from watch_imports import run_watching

from analysis import solvers

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "lab_culture_responses.xlsx"


def _roots(seed: int):
    """Seeded (function, a, b, keywords) root problems, each with a sign change."""
    rng = np.random.default_rng(seed)
    problems = []
    for _ in range(40):
        kind = int(rng.integers(4))
        c = float(rng.uniform(0.1, 5))
        if kind == 0:
            problems.append((lambda x, c=c: x ** 3 - c, 0.0, 3.0))
        elif kind == 1:
            problems.append((lambda x, c=c: math.exp(x) - 1 - c, -1.0, 3.0))
        elif kind == 2:
            problems.append((lambda x, c=c: math.atan(x - c) + 0.1, -10.0, 20.0))
        else:  # the RMSEA's limits: chi-squared observed, df, noncentrality sought
            chisq, df = float(rng.uniform(20, 400)), float(rng.integers(5, 300))
            target = float(rng.choice([0.05, 0.95]))
            hi = max(chisq * 4, 50.0)
            if (chndtr(chisq, df, 0.0) - target) * (chndtr(chisq, df, hi) - target) < 0:
                problems.append((lambda lam, x=chisq, d=df, t=target: chndtr(x, d, lam) - t,
                                 0.0, hi))
    return problems


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("tolerances", [{}, {"xtol": 1e-12, "rtol": 1e-14, "maxiter": 500},
                                        {"xtol": 1e-4, "maxiter": 6}])
def test_brentq_is_scipys(seed, tolerances):
    for f, a, b in _roots(seed):
        try:
            want = optimize.brentq(f, a, b, **tolerances)
        except RuntimeError:  # not converged in maxiter: so must ours
            with pytest.raises(RuntimeError):
                solvers.brentq(f, a, b, **tolerances)
            continue
        got = solvers.brentq(f, a, b, **tolerances)
        assert got == want, (f, a, b)


def test_brentq_refuses_as_scipy():
    with pytest.raises(ValueError, match="sign"):
        solvers.brentq(lambda x: x * x + 1, -1.0, 1.0)
    with pytest.raises(ValueError, match="NaN"):
        solvers.brentq(lambda x: math.nan if x > 0.5 else x - 1, 0.0, 2.0)
    with pytest.raises(ValueError, match="xtol"):
        solvers.brentq(lambda x: x, -1.0, 1.0, xtol=0)
    with pytest.raises(ValueError, match="rtol"):
        solvers.brentq(lambda x: x, -1.0, 1.0, rtol=1e-20)
    # a maxiter that is not a whole number: scipy's TypeError (it was a RuntimeError
    # 'Unable to parse arguments' from the compiled function)
    with pytest.raises(TypeError) as theirs:
        optimize.brentq(lambda x: x, -1.0, 1.0, maxiter=5.0)
    with pytest.raises(TypeError) as ours:
        solvers.brentq(lambda x: x, -1.0, 1.0, maxiter=5.0)
    assert str(ours.value) == str(theirs.value)


def _minima(seed: int):
    rng = np.random.default_rng(seed)
    problems = []
    for _ in range(40):
        kind = int(rng.integers(5))
        c, s = float(rng.uniform(-3, 3)), float(rng.uniform(0.2, 4))
        if kind == 0:
            problems.append((lambda x, c=c, s=s: s * (x - c) ** 2, -5.0, 5.0))
        elif kind == 1:
            problems.append((lambda x, c=c: math.cosh(x - c) + 0.1 * math.sin(7 * x),
                             -4.0, 4.0))
        elif kind == 2:  # minimum at an end of the interval
            problems.append((lambda x, s=s: s * x, -2.0, 3.0))
        elif kind == 3:  # flat: every point is a minimum
            problems.append((lambda x: 1.0, 0.0, 1.0))
        else:  # a restricted log-likelihood in the log variance ratio, as the mixed model's
            n, labs = int(rng.integers(20, 400)), int(rng.integers(2, 20))
            ssb, ssw = float(rng.uniform(1, 50)), float(rng.uniform(50, 500))
            m = n / labs

            def reml(g, n=n, labs=labs, ssb=ssb, ssw=ssw, m=m):
                lam = math.exp(g)
                return (labs * math.log1p(m * lam) + (n - 1)
                        * math.log(ssw + ssb / (1 + m * lam)))
            problems.append((reml, -12.0, 6.0))
    return problems


@pytest.mark.parametrize("seed", range(3))
@pytest.mark.parametrize("options", [{}, {"xatol": 1e-10}, {"xatol": 1e-3, "maxiter": 5}])
def test_minimize_bounded_is_scipys(seed, options):
    for f, lo, hi in _minima(seed):
        res = optimize.minimize_scalar(f, bounds=(lo, hi), method="bounded", options=options)
        x, fun = solvers.minimize_bounded(f, lo, hi, **options)
        assert (x, fun) == (res.x, res.fun), (f, lo, hi)


def test_minimize_bounded_gives_f_what_scipy_gives_it():
    """scipy calls f with numpy floats, on which ``x ** 2`` overflows to inf with a
    warning rather than raising OverflowError as a Python float's does: the points, their
    types and the result are scipy's, here on an interval whose points overflow."""
    def f(x, seen):
        seen.append((type(x), x))
        return (x - 1e300) ** 2 / 1e300

    theirs, ours = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = optimize.minimize_scalar(f, bounds=(-1e307, 1e307), method="bounded",
                                       args=(theirs,))
        x, fun = solvers.minimize_bounded(lambda x: f(x, ours), -1e307, 1e307)
    assert ours == theirs and len(ours) > 30
    assert (x, fun) == (res.x, res.fun) and fun == math.inf


def test_minimize_bounded_refuses_as_scipy():
    with pytest.raises(ValueError, match="finite"):
        solvers.minimize_bounded(lambda x: x, 0.0, math.inf)
    with pytest.raises(ValueError, match="lower bound"):
        solvers.minimize_bounded(lambda x: x, 2.0, 1.0)


def _integrands(seed: int):
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(12):
        a, b = sorted(rng.uniform(-3, 3, 2))
        s = float(rng.uniform(0.3, 2))
        cases.append((lambda x, s=s: math.exp(-s * x * x), [(a, b)]))
        cases.append((lambda x, s=s: math.exp(-s * x * x), [(-math.inf, math.inf)]))
        cases.append((lambda x, y, s=s: math.exp(-s * (x * x + y)) * (1 + y),
                      [(-math.inf, math.inf), (0, math.inf)]))
        cases.append((lambda x, y, s=s: math.exp(s * x) * math.cos(y),
                      [(a, b), (-math.inf, float(b))]))
        cases.append((lambda x, s=s: 1 / (1 + x * x), [(float(b), float(a))]))  # reversed
    return cases


@pytest.mark.parametrize("seed", range(2))
def test_nquad_is_scipys(seed):
    opts = {"epsabs": 1e-11, "epsrel": 1e-12}
    for f, ranges in _integrands(seed):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = integrate.nquad(f, ranges=ranges, opts=opts)[0]
            got = solvers.nquad(f, ranges, **opts)
        assert got == want, ranges


def test_nquad_warns_where_scipy_warns():
    """An integral QUADPACK cannot bring to the tolerance: scipy's warning, scipy's
    number."""
    def f(x):
        return math.sin(50 * x) / math.sqrt(abs(x) + 1e-12)
    with pytest.warns(integrate.IntegrationWarning):
        want = integrate.nquad(f, ranges=[(-1, 1)], opts={"epsabs": 1e-14, "epsrel": 1e-14,
                                                           "limit": 5})[0]
    with pytest.warns(integrate.IntegrationWarning):
        got = solvers.nquad(f, [(-1, 1)], epsabs=1e-14, epsrel=1e-14, limit=5)
    assert got == want


def test_nquad_refuses_invalid_input_with_scipys_reason(monkeypatch):
    """QUADPACK's 'invalid input' (ier 6) is explained as scipy explains it, and where
    scipy.integrate is not loaded a difficulty warns with a UserWarning named as scipy's
    (it was 'The input is invalid.' and a RuntimeWarning)."""
    for options in ({"epsabs": 1e-8, "epsrel": 1e-8, "limit": 0},
                    {"epsabs": 0.0, "epsrel": 1e-30},
                    {"epsabs": -1.0, "epsrel": 1e-30}):
        with pytest.raises(ValueError) as theirs:
            integrate.nquad(math.exp, ranges=[(0.0, 1.0)], opts=options)
        with pytest.raises(ValueError) as ours:
            solvers.nquad(math.exp, [(0.0, 1.0)], **options)
        assert str(ours.value) == str(theirs.value) != "The input is invalid."
    monkeypatch.delitem(sys.modules, "scipy.integrate")
    with pytest.warns(UserWarning) as record:
        solvers.nquad(lambda x: 1 / x, [(0.0, 1.0)], epsabs=1.49e-8, epsrel=1.49e-8)
    assert [type(w.message).__name__ for w in record] == ["IntegrationWarning"]
    assert str(record[0].message) == "The maximum number of subdivisions (50) has been achieved."


def test_without_the_extensions_scipys_functions_are_used(monkeypatch):
    monkeypatch.setattr(solvers, "load_extension", lambda package, name: None)
    f, a, b = _roots(0)[0]
    assert solvers.brentq(f, a, b) == optimize.brentq(f, a, b)
    g = _integrands(0)[2]
    assert solvers.nquad(g[0], g[1], epsabs=1e-11, epsrel=1e-12) == integrate.nquad(
        g[0], ranges=g[1], opts={"epsabs": 1e-11, "epsrel": 1e-12})[0]


@pytest.mark.parametrize("refusal", [TypeError("_brentq() takes 10 arguments"),
                                     # what scipy's compiled _brentq says to other arguments
                                     RuntimeError("Unable to parse arguments")])
def test_extensions_taking_other_arguments_fall_back_to_scipy(monkeypatch, refusal):
    """A scipy whose compiled functions take other arguments: scipy's own functions are
    called, with the same numbers."""
    class Changed:
        def _brentq(self, *args):
            raise refusal

        def _qagse(self, *args):
            raise TypeError("_qagse() takes 9 arguments")

        _qagie = _qagse

    monkeypatch.setattr(solvers, "load_extension", lambda package, name: Changed())
    f, a, b = _roots(1)[0]
    assert solvers.brentq(f, a, b) == optimize.brentq(f, a, b)
    for g, ranges in _integrands(1)[:3]:
        assert solvers.nquad(g, ranges, epsabs=1e-11, epsrel=1e-12) == integrate.nquad(
            g, ranges=ranges, opts={"epsabs": 1e-11, "epsrel": 1e-12})[0]


def test_a_type_error_of_the_function_is_its_own():
    """A TypeError raised by the function solved or integrated reaches the caller from
    the call that raised it. It was taken for a compiled function of another scipy
    taking other arguments, and everything was run again by scipy's own functions (the
    function called anew, scipy.optimize or scipy.integrate loaded)."""
    calls = []

    def f(x):
        calls.append(x)
        if len(calls) == 3:
            raise TypeError("not a number")
        return x - 0.3

    with pytest.raises(TypeError, match="not a number"):
        solvers.brentq(f, 0.0, 1.0)
    assert len(calls) == 3
    calls.clear()
    with pytest.raises(TypeError, match="not a number"):
        solvers.nquad(f, [(0.0, 1.0)], epsabs=1e-11, epsrel=1e-12)
    assert len(calls) == 3


@pytest.mark.slow
def test_report_and_compare_load_neither_package(tmp_path):
    """A report with figures (its workers too) and a comparison by a three-group
    question (Games-Howell: the studentized range, integrated) load neither
    scipy.optimize nor scipy.integrate."""
    commands = [["report", str(SAMPLE), "-o", str(tmp_path / "report"), "-q"],
                ["compare", str(SAMPLE), "--by", "lab_type", "-o", str(tmp_path / "compare")]]
    after = """
        from analysis import solvers
        print(sorted(name for name, module in solvers._LOADED.items() if module))
    """
    run = run_watching(tmp_path, commands, ["scipy.optimize", "scipy.integrate"],
                       after=after)
    assert run.imported == ""
    # only the two compiled modules, loaded on their own (and not left in sys.modules)
    assert run.loaded == []
    assert run.after == ["['scipy.integrate._quadpack', 'scipy.optimize._zeros']"]
    assert "games_howell" in (tmp_path / "compare" / "pairwise.csv").read_text()


def test_scipy_imported_after_the_extensions_is_whole():
    """The extensions loaded on their own, then scipy.optimize and scipy.integrate
    imported in the same process: each package has its compiled module as an attribute,
    as always (it was left out: CPython had entered the module in sys.modules without its
    package, and ``scipy.optimize._zeros._brentq`` was an AttributeError), scipy's
    functions give the numbers they give alone, and so do ours, still."""
    script = textwrap.dedent("""
        import math, sys
        from analysis import solvers
        cube = lambda x: x ** 3 - 2
        gauss = lambda x, y: math.exp(-x * x - y * y)
        ranges = [(-math.inf, math.inf), (0.0, 1.0)]
        before = (solvers.brentq(cube, 0.0, 3.0),
                  solvers.nquad(gauss, ranges, epsabs=1e-11, epsrel=1e-12))
        assert "scipy.optimize" not in sys.modules and "scipy.integrate" not in sys.modules
        import scipy.optimize._zeros
        import scipy.integrate._quadpack
        assert callable(scipy.optimize._zeros._brentq)
        assert callable(scipy.integrate._quadpack._qagse)
        theirs = (scipy.optimize.brentq(cube, 0.0, 3.0),
                  scipy.integrate.nquad(gauss, ranges,
                                        opts={"epsabs": 1e-11, "epsrel": 1e-12})[0])
        after = (solvers.brentq(cube, 0.0, 3.0),
                 solvers.nquad(gauss, ranges, epsabs=1e-11, epsrel=1e-12))
        assert before == theirs == after, (before, theirs, after)
        print("ok")
    """)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "ok"
