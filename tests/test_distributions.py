"""analysis.distributions gives the numbers of the scipy.stats methods it stands in for,
to the last bit, and the commands that use it never import scipy.stats.

The reference here is scipy.stats itself (the installed version): each function must be
a drop-in replacement for the call it replaced, so that no table changes by a single
bit, including the nan, 0 and 1 scipy.stats gives outside a distribution's domain. The
values themselves are checked against R in the docstrings' examples and in the tests of
the analyses that use them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest
from scipy import stats
from watch_imports import run_watching

from analysis import distributions

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "lab_culture_responses.xlsx"

INF, NAN = np.inf, np.nan

#: Arguments where a probability is evaluated: the support's ends, both zeros, nan,
#: subnormal and huge values, and a seeded spread.
X_EDGES = np.array([-INF, -1e300, -1e6, -40.0, -3.0, -1.0, -1e-300, -5e-324, -0.0, 0.0,
                    5e-324, 1e-300, 1e-8, 0.5, 1.0, 1.96, 3.0, 8.0, 40.0, 1e6, 1e300, INF,
                    NAN])
#: Degrees of freedom: tiny, the small integers, large, inf, and invalid ones.
DF_EDGES = np.array([1e-300, 1e-3, 0.5, 1.0, 2.0, 3.0, 4.5, 10.0, 30.0, 126.0, 1e4, 1e8,
                     1e15, INF, 0.0, -0.0, -1.0, -INF, NAN])
#: Probabilities: both ends, the middle, the smallest ones, outside [0, 1], nan.
Q_EDGES = np.array([0.0, -0.0, 5e-324, 1e-300, 1e-12, 0.001, 0.025, 0.05, 0.5, 0.95, 0.975,
                    0.999, 1 - 1e-12, 1 - 2**-53, 1.0, -0.1, 1.1, -INF, INF, NAN])


def _grid(seed: int, n: int = 400) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Seeded values of an argument, a df and a probability."""
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(0, 3, n // 2), rng.standard_cauchy(n // 2)])
    df = np.exp(rng.uniform(np.log(0.05), np.log(1e5), n))
    q = rng.uniform(0, 1, n)
    return x, df, q


def _same(ours: object, theirs: object) -> bool:
    """The same type, dtype, shape, values (nan where nan) and signs of zero."""
    if type(ours) is not type(theirs):
        return False
    a, b = np.asarray(ours), np.asarray(theirs)
    return (a.dtype == b.dtype and a.shape == b.shape
            and np.array_equal(a, b, equal_nan=True)
            and np.array_equal(np.signbit(a), np.signbit(b)))


def _check(ours, theirs, *args) -> None:
    """``ours(*args)`` equals ``theirs(*args)`` bit for bit, with the same warnings."""
    with warnings.catch_warnings(record=True) as ours_warned:
        warnings.simplefilter("always")
        got = ours(*args)
    with warnings.catch_warnings(record=True) as theirs_warned:
        warnings.simplefilter("always")
        want = theirs(*args)
    assert _same(got, want), (ours.__name__, args, got, want)
    assert ([(w.category, str(w.message)) for w in ours_warned]
            == [(w.category, str(w.message)) for w in theirs_warned])


#: Each function of analysis.distributions with the scipy.stats method it replaces and
#: the kind of its arguments: x (argument), q (probability), df (a positive parameter),
#: nc (any real).
PAIRS = [
    (distributions.t_cdf, stats.t.cdf, "x df"),
    (distributions.t_sf, stats.t.sf, "x df"),
    (distributions.t_ppf, stats.t.ppf, "q df"),
    (distributions.t_isf, stats.t.isf, "q df"),
    (distributions.f_sf, stats.f.sf, "x df df"),
    (distributions.chi2_sf, stats.chi2.sf, "x df"),
    (distributions.chi2_pdf, stats.chi2.pdf, "x df"),
    (distributions.norm_cdf, stats.norm.cdf, "x"),
    (distributions.norm_sf, stats.norm.sf, "x"),
    (distributions.nct_cdf, stats.nct.cdf, "x df nc"),
    (distributions.nct_sf, stats.nct.sf, "x df nc"),
]
IDS = [ours.__name__ for ours, _, _ in PAIRS]


def _edges(kinds: str) -> list[np.ndarray]:
    """Every combination of the edge values of each argument (broadcast)."""
    values = {"x": X_EDGES, "q": Q_EDGES, "df": DF_EDGES,
              "nc": np.array([-40.0, -2.5, -0.0, 0.0, 1.0, 2.83, 37.5, INF, NAN])}
    names = kinds.split()
    arrays = []
    for i, name in enumerate(names):
        shape = [1] * len(names)
        shape[i] = -1
        v = values[name]
        if name == "df" and i > 1:  # F's second df: a shorter list keeps the grid small
            v = v[::3]
        arrays.append(v.reshape(shape))
    return arrays


@pytest.mark.parametrize(("ours", "theirs", "kinds"), PAIRS, ids=IDS)
def test_edge_values_as_scipy_stats(ours, theirs, kinds):
    """Every combination of edge values: support ends, +-0, nan, inf, invalid df."""
    _check(ours, theirs, *_edges(kinds))


@pytest.mark.parametrize(("ours", "theirs", "kinds"), PAIRS, ids=IDS)
@pytest.mark.parametrize("seed", [1, 2])
def test_random_values_as_scipy_stats(ours, theirs, kinds, seed):
    """Seeded grids of valid values (where scipy.stats passes the arrays whole), and the
    same with invalid entries mixed in (where it picks out the valid ones)."""
    x, df, q = _grid(seed)
    rng = np.random.default_rng(seed + 100)
    values = {"x": x, "q": q, "df": df, "nc": rng.normal(0, 4, x.size)}
    args = [values[k] if i < 2 or k != "df" else df[::-1] for i, k in
            enumerate(kinds.split())]
    _check(ours, theirs, *args)
    mixed = [a.copy() for a in args]
    mixed[0][::7] = NAN
    if len(mixed) > 1:
        mixed[1][3::11] = -1.0
    _check(ours, theirs, *mixed)


@pytest.mark.parametrize(("ours", "theirs", "kinds"), PAIRS, ids=IDS)
def test_scalars_and_integers_as_scipy_stats(ours, theirs, kinds):
    """Python and numpy scalars give a numpy float64 as scipy.stats does; integer
    arguments are taken as floats; a scalar broadcasts against an array."""
    scalar = {"x": 2, "q": 0.975, "df": 12, "nc": 1}
    args = [scalar[k] for k in kinds.split()]
    _check(ours, theirs, *args)
    _check(ours, theirs, *[np.float64(a) for a in args])
    _check(ours, theirs, *[np.int64(a) for a in args])
    first = {"x": np.array([-2, 0, 3]), "q": np.array([0, 1, 0.3])}[kinds.split()[0]]
    _check(ours, theirs, first, *args[1:])
    if len(args) > 1:
        _check(ours, theirs, args[0], np.array([0.5, 3, 40]), *args[2:])


def test_quantiles_of_one_half_are_positive_zero():
    """scipy.stats adds the location (0) to a quantile, which makes -0.0 0.0."""
    assert not np.signbit(distributions.t_isf(0.5, 7.0))
    assert not np.signbit(distributions.t_ppf(0.5, 7.0))
    assert _same(distributions.t_isf(np.array([0.5]), 7.0), stats.t.isf(np.array([0.5]), 7.0))


def test_the_callers_values_as_scipy_stats():
    """What the analyses pass: ``2 * sf(|t|)`` of Welch tests, the t quantile of an
    interval, Welch's F and Kruskal-Wallis' H, the power calculation's noncentral t
    and the integrand of its fallback (chi-squared density times a normal cdf)."""
    x, df, q = _grid(7, 200)
    t = np.abs(x)
    assert _same(2 * distributions.t_sf(t, df), 2 * stats.t.sf(t, df))
    assert _same(distributions.t_ppf(1 - (1 - 0.95) / 2, df + 2),
                 stats.t.ppf(1 - (1 - 0.95) / 2, df + 2))
    for f, d1, d2 in zip(t[:50], np.arange(1, 51) % 5 + 1.0, df[:50], strict=True):
        assert _same(float(distributions.f_sf(f, d1, d2)), float(stats.f.sf(f, d1, d2)))
        assert _same(float(distributions.chi2_sf(f, d1)), float(stats.chi2.sf(f, d1)))
    for v in np.linspace(0.01, 30, 40):
        assert _same(float(distributions.norm_cdf(2.1 * np.sqrt(v / 3) - 8.25))
                     * float(distributions.chi2_pdf(v, 3)),
                     float(stats.norm.cdf(2.1 * np.sqrt(v / 3) - 8.25))
                     * float(stats.chi2.pdf(v, 3)))
    for d, ncp in [(126, 2.8284), (2, 15.5), (2, 8.25), (4.0, 40.0), (1e6, 3.0)]:
        crit = float(distributions.t_isf(0.025, d))
        assert crit == float(stats.t.isf(0.025, d))
        assert _same(distributions.nct_sf(crit, d, ncp), stats.nct.sf(crit, d, ncp))
        assert _same(distributions.nct_cdf(-crit, d, ncp), stats.nct.cdf(-crit, d, ncp))


# ---- ranks ---------------------------------------------------------------------------------

@pytest.mark.parametrize("seed", [3, 4, 5])
def test_rankdata_as_scipy_stats(seed):
    """Mid-ranks of ties, in the input's order, as scipy.stats.rankdata (average)."""
    rng = np.random.default_rng(seed)
    cases = [
        rng.integers(1, 6, 300).astype(float),            # Likert-like: many ties
        rng.normal(size=250),                             # no ties
        rng.integers(0, 3, 40),                           # integers
        np.round(rng.normal(size=(6, 7)), 1),             # 2-D: flattened
        np.array([0.0, -0.0, 1.0, -0.0, INF, -INF, INF]),  # signed zeros tie
        np.array([2.0, NAN, 1.0]),                        # nan: every rank nan
        np.array([5.0]),
        np.array([], dtype=float),
        np.array([True, False, True]),
        [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5],
    ]
    for values in cases:
        assert _same(distributions.rankdata(values), stats.rankdata(values)), values


# ---- the studentized range -----------------------------------------------------------------

#: Where the studentized range is checked: q (with the support's end and nan), df (with
#: the switch to the asymptotic integral at 100000 and invalid ones), k.
SR_Q = np.array([-1.0, -0.0, 0.0, 1e-3, 0.7, 2.0, 3.5355, 5.0, 9.0, 40.0, INF, NAN])
SR_DF = np.array([1.0, 2.0, 5.5, 20.5, 99999.0, 100000.0, 3e6, INF, 0.0, NAN])
SR_K = np.array([1.0, 1.5, 2.0, 3.0, 4.0, 12.0])


def _studentized_cases() -> list[tuple[np.ndarray, ...]]:
    q, df = SR_Q[:, None], SR_DF[None, :]
    return [
        (q, np.array(3), df),                                   # q x df, k = 3
        (np.array([0.5, 3.0, 6.0])[:, None], SR_K[None, :], np.array(12.0)),
        (np.array(3.2), np.array(4), np.array(20.5)),           # a scalar
        (np.array([2.5, 3.0, 3.5]), np.array(3), np.array([4.2, 17.3, 250.0])),
    ]


def test_studentized_range_sf_as_scipy_stats():
    """Through the loaded extension: the same numbers as scipy.stats, nan and the
    support's end included, on both sides of the asymptotic switch at df 100000."""
    for q, k, df in _studentized_cases():
        _check(distributions.studentized_range_sf, stats.studentized_range.sf, q, k, df)
    assert distributions._stats_extension() is not None


def test_studentized_range_fallback_is_scipy_stats(monkeypatch):
    """When the extension cannot be loaded on its own, scipy.stats gives the numbers."""
    def cannot(*_):
        raise ImportError("a scipy laid out differently")

    monkeypatch.setattr(distributions, "_SR_EXTENSION", None)
    monkeypatch.setattr(distributions, "_load_stats_extension", cannot)
    for q, k, df in _studentized_cases()[2:]:
        _check(distributions.studentized_range_sf, stats.studentized_range.sf, q, k, df)
    assert distributions._SR_EXTENSION is False


def test_studentized_range_fallback_when_the_integrand_is_missing(monkeypatch):
    """A module without scipy's integrand is not used."""
    import types

    monkeypatch.setattr(distributions, "_SR_EXTENSION", None)
    monkeypatch.setattr(distributions, "_load_stats_extension",
                        lambda: types.ModuleType("scipy.stats._stats"))
    q, k, df = _studentized_cases()[3]
    _check(distributions.studentized_range_sf, stats.studentized_range.sf, q, k, df)
    assert distributions._SR_EXTENSION is False


def test_studentized_range_without_scipy_stats():
    """In a process that never imports scipy.stats, the extension is loaded on its own:
    scipy.stats stays out of sys.modules, the numbers are scipy.stats' (computed here,
    in a process that has it), and a later import of scipy.stats works as usual."""
    script = textwrap.dedent("""
        import json, sys
        import numpy as np
        from analysis.distributions import studentized_range_sf
        q = np.array([0.0, 0.7, 2.0, 3.5355, 9.0, np.nan])
        df = np.array([2.0, 20.5, 99999.0, 100000.0, 3e6, 7.0])
        p = studentized_range_sf(q, 3, df)
        out = {"p": p.tobytes().hex(), "stats": "scipy.stats" in sys.modules}
        import scipy.stats
        out["later"] = float(scipy.stats.studentized_range.sf(3.0, 4, 12.0))
        out["same_module"] = (scipy.stats._stats
                              is sys.modules["scipy.stats._stats"])
        print(json.dumps(out))
    """)
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, check=True)
    out = json.loads(run.stdout)
    assert out["stats"] is False
    want = stats.studentized_range.sf(np.array([0.0, 0.7, 2.0, 3.5355, 9.0, np.nan]), 3,
                                      np.array([2.0, 20.5, 99999.0, 100000.0, 3e6, 7.0]))
    assert np.array_equal(np.frombuffer(bytes.fromhex(out["p"])), want, equal_nan=True)
    assert out["later"] == float(stats.studentized_range.sf(3.0, 4, 12.0))
    assert out["same_module"] is True


# ---- the commands ---------------------------------------------------------------------------

@pytest.mark.slow
def test_commands_never_import_scipy_stats(tmp_path):
    """survey report (the comparability worker forked beside it included), survey
    compare by a three-group question (Games-Howell: the studentized range) and survey
    plan (the noncentral t, and its tail integrated where it fails) run without
    scipy.stats."""
    commands = [
        ["report", str(SAMPLE), "-o", str(tmp_path / "report"), "--no-figures", "-q"],
        ["compare", str(SAMPLE), "--by", "lab_type", "-o", str(tmp_path / "compare")],
        ["plan", "--effect", "1.5", "--labs", "2", "--icc", "0.6"],
        # so few df that the noncentral t's lower tail is integrated (normal, chi-squared)
        ["plan", "--labs", "2", "--per-lab", "2", "--icc", "0.2", "--power", "0.99",
         "--alpha", "0.001"],
    ]
    run = run_watching(tmp_path, commands, ["scipy.stats"])
    assert run.imported == "" and run.loaded == []
    assert (tmp_path / "report" / "report.html").is_file()
    pairwise = (tmp_path / "compare" / "pairwise.csv").read_text()
    assert "games_howell" in pairwise
