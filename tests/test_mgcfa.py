"""The multi-group CFA engine (analysis.cfa.fit_mgcfa, score_tests), checked against lavaan.

Reference values come from ``tests/reference/mgcfa.R`` (R 4.2, lavaan 0.6-14, ML with
lavaan's defaults): the simulated one-factor data of ``invariance_data.csv`` (three
groups) fitted with ``std.lv = TRUE`` (fits, estimates with standard errors, partial
metric models with one loading free, the first item's too) and score tests for
releasing each item's intercepts (both identifications), and the simulated data of
``mgcfa_heywood_data.csv`` (made by :func:`make_heywood_data`), whose residual variance
of z1 lavaan estimates below zero, fitted with lavaan's default and with ``bounds =
"pos.var"`` (variances bounded below by zero), as :func:`fit_mgcfa` fits it.

Tolerances as ``tests/test_invariance.py``: chi-square, CFI and log-likelihood 1e-3
absolute, RMSEA and SRMR 1e-5, estimates 1e-4, standard errors and score tests 1e-3.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cfa import fit_mgcfa, score_tests
from survey.errors import SurveyError

REF = Path(__file__).resolve().parent / "reference"
SIM = {"f": [f"y{j}" for j in range(1, 7)]}
HEYWOOD = {"f": [f"z{j}" for j in range(1, 5)]}


def make_heywood_data() -> pd.DataFrame:
    """The simulated data of ``mgcfa_heywood_data.csv`` (written with ``%.3f``).

    One factor, four items, groups A (150, factor mean 0) and B (130, factor mean 0.4),
    factor variance 1; loadings (1, .9, .8, .7), intercepts 3, residual variances
    (.02, .5, .6, .7): z1 is almost error-free, and with this seed its residual variance
    is estimated below zero at every level.
    """
    rng = np.random.default_rng(3)
    lam = np.array([1.0, 0.9, 0.8, 0.7])
    theta = np.array([0.02, 0.5, 0.6, 0.7])
    parts = []
    for g, n, alpha in (("A", 150, 0.0), ("B", 130, 0.4)):
        eta = rng.normal(alpha, 1.0, size=n)
        x = 3.0 + eta[:, None] * lam + rng.normal(0, 1, (n, 4)) * np.sqrt(theta)
        part = pd.DataFrame(np.round(x, 3), columns=HEYWOOD["f"])
        part.insert(0, "group", g)
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return pd.read_csv(REF / "invariance_data.csv")


@pytest.fixture(scope="module")
def heywood() -> pd.DataFrame:
    return pd.read_csv(REF / "mgcfa_heywood_data.csv")


@pytest.fixture(scope="module")
def ref_fits() -> pd.DataFrame:
    return pd.read_csv(REF / "mgcfa_fits.csv", keep_default_na=False)


def _fit(row, sim, heywood):
    data, factors = (sim, SIM) if row["dataset"] == "sim" else (heywood, HEYWOOD)
    free = [row["partial"].split("=~")[1]] if row["partial"] else []
    return fit_mgcfa(data, "group", factors, row["level"], free_loadings=free,
                     identification=row["identification"])


def test_reference_data_regenerates(heywood):
    made = make_heywood_data()
    assert list(made.columns) == list(heywood.columns)
    assert made["group"].tolist() == heywood["group"].tolist()
    np.testing.assert_allclose(made[HEYWOOD["f"]].to_numpy(),
                               heywood[HEYWOOD["f"]].to_numpy(), atol=5e-10)


def test_std_lv_fits_and_released_loadings_agree_with_lavaan(ref_fits, sim, heywood):
    """std.lv at every level, and the metric model with each loading released in turn:
    the first item's too, which marker identification cannot release."""
    rows = ref_fits[ref_fits["identification"] == "std.lv"]
    assert len(rows) == 9
    for _, r in rows.iterrows():
        fit = _fit(r, sim, heywood)
        what = f"{r['level']} {r['partial']}"
        assert fit.converged and not fit.heywood and fit.notes == (), what
        assert (fit.df, fit.npar, sum(fit.n)) == (int(r["df"]), int(r["npar"]),
                                                 int(r["ntotal"])), what
        assert fit.chisq == pytest.approx(float(r["chisq"]), abs=1e-3), what
        assert fit.pvalue == pytest.approx(float(r["pvalue"]), abs=1e-6), what
        assert fit.cfi == pytest.approx(float(r["cfi"]), abs=1e-3), what
        assert fit.rmsea == pytest.approx(float(r["rmsea"]), abs=1e-5), what
        assert fit.srmr == pytest.approx(float(r["srmr"]), abs=1e-5), what
        assert fit.loglik == pytest.approx(float(r["logl"]), abs=1e-3), what


def test_identifications_give_the_same_fit(sim):
    for level in ("configural", "metric", "scalar"):
        marker = fit_mgcfa(sim, "group", SIM, level)
        std = fit_mgcfa(sim, "group", SIM, level, identification="std.lv")
        assert (marker.df, marker.npar) == (std.df, std.npar)
        assert std.chisq == pytest.approx(marker.chisq, abs=1e-6)
        assert std.srmr == pytest.approx(marker.srmr, abs=1e-8)


def test_std_lv_estimates_and_latent_means_agree_with_lavaan(sim):
    ref = pd.read_csv(REF / "mgcfa_params.csv", keep_default_na=False)
    fit = fit_mgcfa(sim, "group", SIM, "scalar", identification="std.lv")
    both = ref.merge(fit.params, on=["lhs", "op", "rhs", "group"], how="outer",
                     suffixes=("_r", "_py"), indicator=True)
    assert (both["_merge"] == "both").all() and len(both) == 3 * (6 + 6 + 1 + 6 + 1)
    np.testing.assert_allclose(both["est_py"], both["est_r"], atol=1e-4)
    means = ref[(ref["lhs"] == "f") & (ref["op"] == "~1")].set_index("group")
    np.testing.assert_allclose(fit.latent_means[:, 0], means.loc[["B", "C"], "est"],
                               atol=1e-4)
    np.testing.assert_allclose(fit.latent_mean_se[:, 0], means.loc[["B", "C"], "se"],
                               atol=1e-3)
    variances = ref[(ref["lhs"] == "f") & (ref["op"] == "~~")].set_index("group")
    np.testing.assert_allclose(fit.latent_vars[:, 0], variances.loc[["A", "B", "C"], "est"],
                               atol=1e-4)
    assert fit.latent_vars[0, 0] == 1.0


@pytest.mark.parametrize("identification", ["marker", "std.lv"])
def test_score_tests_in_three_groups_agree_with_lavaan(sim, identification):
    """Each item's two intercept constraints released jointly (lavTestScore, 2 df)."""
    ref = pd.read_csv(REF / "mgcfa_scoretests.csv")
    ref = ref[ref["identification"] == identification].set_index("item")
    fit = fit_mgcfa(sim, "group", SIM, "scalar", identification=identification)
    tests = score_tests(fit).set_index("item")
    assert tests.index[0] == "y4" and (tests["df"] == 2).all()
    np.testing.assert_allclose(tests.loc[ref.index, "chisq"], ref["x2"], atol=1e-3)


def test_heywood_case_is_held_at_zero_as_lavaan_with_nonnegative_variances(ref_fits,
                                                                          heywood):
    """lavaan's unbounded estimate of z1's residual variance in group B is negative at
    every level; bounded at zero, the fit is lavaan's with every variance constrained
    to be positive, and it says so."""
    rows = ref_fits[ref_fits["dataset"] == "heywood"]
    for level in ("configural", "metric", "scalar"):
        free = rows[(rows["level"] == level) & (rows["bounds"] == "none")].iloc[0]
        bounded = rows[(rows["level"] == level) & (rows["bounds"] == "nonnegative")].iloc[0]
        assert float(free["min_var"]) < 0
        fit = fit_mgcfa(heywood, "group", HEYWOOD, level)
        assert fit.converged and fit.heywood, level
        assert any("Heywood case" in note for note in fit.notes)
        params = fit.params.set_index(["lhs", "op", "rhs", "group"])["est"]
        assert params[("z1", "~~", "z1", "B")] == 0.0
        assert params[("z1", "~~", "z1", "A")] > 0.01
        assert fit.df == int(bounded["df"])
        assert fit.chisq == pytest.approx(float(bounded["chisq"]), abs=1e-3), level
        assert fit.chisq > float(free["chisq"])
        assert fit.cfi == pytest.approx(float(bounded["cfi"]), abs=1e-3), level
        assert fit.rmsea == pytest.approx(float(bounded["rmsea"]), abs=1e-5), level
        assert fit.srmr == pytest.approx(float(bounded["srmr"]), abs=1e-5), level
        assert fit.loglik == pytest.approx(float(bounded["logl"]), abs=1e-3), level


def test_start_reuses_the_moments_and_reaches_the_same_fit(sim):
    configural = fit_mgcfa(sim, "group", SIM, "configural", identification="std.lv")
    metric = fit_mgcfa(None, None, SIM, "metric", identification="std.lv",
                       start=configural)
    direct = fit_mgcfa(sim, "group", SIM, "metric", identification="std.lv")
    assert metric.groups == direct.groups and metric.n == direct.n
    assert metric.chisq == pytest.approx(direct.chisq, abs=1e-8)
    other = fit_mgcfa(None, None, SIM, "metric", start=configural)  # other identification
    assert other.identification == "marker"
    assert other.chisq == pytest.approx(direct.chisq, abs=1e-8)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"identification": "stdlv"}, "did you mean 'std.lv'"),
     ({"level": "scalar", "free_intercepts": SIM["f"]}, "every intercept of factor 'f'"),
     ({"level": "metric", "free_loadings": SIM["f"], "identification": "std.lv"},
      "every loading of factor 'f'"),
     ({"groups": ["A", "B"]}, "groups has 2 values but the data has 540 rows"),
     ({"groups": "grp"}, "no grouping column 'grp'"),
     ({"data": None, "groups": None}, "give data and groups, or start")],
)
def test_input_errors(sim, kwargs, message):
    args = {"data": sim, "groups": "group", "factors": SIM, **kwargs}
    with pytest.raises(SurveyError, match=message):
        fit_mgcfa(**args)


@pytest.mark.parametrize("identification", ["marker", "std.lv"])
@pytest.mark.parametrize("level", ["configural", "metric", "scalar"])
def test_hessian_is_the_derivative_of_the_gradient(sim, level, identification):
    """The exact Hessian the Newton steps use, against central differences of the
    analytic gradient (step 1e-6) away from the optimum, where misfit terms matter."""
    fit = fit_mgcfa(sim, "group", SIM, level, identification=identification)
    model = fit._model
    x = fit._x + np.random.default_rng(0).normal(0.0, 0.05, fit._x.size)
    numeric = np.empty((x.size, x.size))
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = 1e-6
        numeric[:, i] = (model.objective(x + e)[1] - model.objective(x - e)[1]) / 2e-6
    np.testing.assert_allclose(model.hessian(x), numeric, atol=1e-7)


HEYWOOD_INSTRUMENT = """\
id: heywood_ref
version: "1"
languages: [en]
title: {en: Heywood reference}
scales: {agree5: {points: [1, 2, 3, 4, 5], labels: {en: [a, b, c, d, e]}}}
groups:
  - id: group
    text: {en: Group}
    choices: [{code: A, label: {en: A}}, {code: B, label: {en: B}}]
constructs:
  - {id: f, name: {en: F}, definition: {en: D}, scale: agree5,
     items: [{id: z1, text: {en: T}, reverse: false}, {id: z2, text: {en: T}, reverse: false},
             {id: z3, text: {en: T}, reverse: false}, {id: z4, text: {en: T}, reverse: false}]}
"""


def test_invariance_tables_carry_the_heywood_note(heywood):
    """The bounded variance reaches the reader: in every level's note of the fits table
    and in the note of the latent comparison, whose status stays ok."""
    from analysis.cfa import _HEYWOOD_NOTE
    from analysis.invariance import measurement_invariance, partial_invariance
    from survey.instrument import loads

    inst = loads(HEYWOOD_INSTRUMENT)
    result = measurement_invariance(heywood, "group", instrument=inst)
    assert (result.fits["status"] == "ok").all()
    assert result.fits["note"].str.startswith(_HEYWOOD_NOTE).all()
    assert result.summary.iloc[0]["highest_level"] == "scalar"
    latent = partial_invariance(heywood, "group", instrument=inst,
                                summary=result.summary).latent.iloc[0]
    assert latent["status"] == "ok" and latent["note"] == _HEYWOOD_NOTE
