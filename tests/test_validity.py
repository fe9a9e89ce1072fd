"""The measurement model against R: psych, lavaan and semTools.

Reference values come from ``tests/reference/validity.R`` (R 4.2.2, psych 2.2.9, lavaan
0.6-14, semTools 0.5-6), run on two data sets stored beside it: ``validity_sample.csv``,
a copy of the bundled simulated sample as imported (so these tests do not depend on the
sample's bytes), and ``validity_bfi.csv``, psych's bfi (25 items). Both are keyed
before any model (reversed items as min + max - x).

Tolerances and what was seen (the largest difference over every reported number):

- full CFA, ML and robust ML (MLM), on both data sets: every fit measure to 1e-3 (seen
  5.5e-4 on the scaled chi-square of the sample, about 1e-8 on the rest: lavaan stops
  its optimiser with loadings about 2e-6 from the optimum, which moves the scaled
  chi-square most); loadings, SEs, standardised loadings and their SEs, factor
  correlations and SEs to 1e-3 (seen 5e-6);
- modification indices to 1e-3 on the sample (seen 1e-4); on bfi, where they are in the
  hundreds, to a relative 1e-4 (seen 6e-6 relative, 2.4e-3 absolute: lavaan's own MI for
  N1 ~~ N2 moves from 418.8176 to 418.8122 when its convergence tolerance is tightened to
  1e-13, so the third decimal of an MI that large is lavaan's rounding, not agreement);
- composite reliability and AVE to 1e-6 of semTools on a lavaan fit converged to
  ``rel.tol = 1e-13`` (seen 1e-8), and to 1e-5 on lavaan's default fit (seen 5e-6);
- HTMT to 1e-6 (seen 1e-15);
- parallel analysis: component eigenvalues to 1e-8 (seen 1e-14); factor eigenvalues to
  1e-8 of psych's minres solution polished to its optimum (seen 1e-12) and to 2e-6 of
  psych's own output (its optimiser stops within 1.4e-6); suggested numbers equal to R's
  wherever R's do not depend on its seed (all items of bfi and of the sample, six of the
  eight constructs), R's most frequent answer over 20 seeds where they do;
- polychoric correlations to 1e-3 of psych (seen 2e-5: psych's ``optimize`` tolerance),
  ordinal alpha and omega to 1e-3 (seen 5e-6);
- score tests to 1e-3 (seen 1.2e-4), latent means, SEs, z, p and the fit of the
  partial models to 1e-3 (seen 5e-6);
- full-information ML (lavaan ``missing = "ml"``): every fit measure, estimate and SE to
  1e-3 (seen 1e-4 on the chi-square, 1e-6 on estimates).

The other reported columns come from ``tests/reference/validity_columns.R`` (same R
versions and data): z of loadings and factor correlations to 1e-3 (seen 3.6e-4), their p
to 1e-4 (seen 5.9e-6), residual variances and R-squared to 1e-3 (seen 1.4e-5); the
latent means' Wald interval to 1e-3 (seen 4.8e-6) and the observed differences to 1e-12
(seen 1.3e-15); the score test's p to a relative 1e-3 (seen 1.2e-4); the changes of the
partial steps as differences of lavaan's fits to 1e-3 (seen 5e-8); the random part of
parallel analysis within Monte Carlo error (see its test). Modification-index p values
are the chi-square(1) tail of lavaan's MI (to a relative 1e-3, or 1e-12 absolute for the
tiny ones), and the validity table is rebuilt by hand from semTools' and lavaan's values.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.cfa import fit_cfa, fit_mgcfa, modification_indices, score_tests
from analysis.dimensionality import DEFAULT_SEED, parallel_analysis
from analysis.polychoric import ordinal_reliability, polychoric
from analysis.validity import average_variance_extracted, composite_reliability, htmt
from survey.errors import SurveyError
from survey.instrument import load

REF = Path(__file__).resolve().parent / "reference"
PREFIXES = {"self_promotion": "sp", "student_involvement": "si", "build_vs_buy": "bb",
            "open_weights": "ow", "team_execution": "te", "societal_engagement": "se",
            "peer_respect": "pr", "business_attention": "ba"}
SAMPLE_FACTORS = {c: [f"{p}{i}" for i in range(1, 7)] for c, p in PREFIXES.items()}
BFI_FACTORS = {"agree": [f"A{i}" for i in range(1, 6)], "consc": [f"C{i}" for i in range(1, 6)],
               "extra": [f"E{i}" for i in range(1, 6)], "neuro": [f"N{i}" for i in range(1, 6)],
               "open": [f"O{i}" for i in range(1, 6)]}
BFI_REVERSED = ["A1", "C4", "C5", "E1", "E2", "O2", "O5"]


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    """The sample copy, keyed by the instrument (reversed items 6 - x)."""
    from analysis.scoring import reverse_key

    raw = pd.read_csv(REF / "validity_sample.csv")
    keyed = reverse_key(raw, load("lab-culture"))
    return keyed.astype({i: float for items in SAMPLE_FACTORS.values() for i in items})


@pytest.fixture(scope="module")
def bfi() -> pd.DataFrame:
    data = pd.read_csv(REF / "validity_bfi.csv")
    for item in BFI_REVERSED:
        data[item] = 7 - data[item]
    return data


@pytest.fixture(scope="module")
def data(sample, bfi):
    return {"sample": (sample, SAMPLE_FACTORS), "bfi": (bfi, BFI_FACTORS)}


@pytest.fixture(scope="module")
def fits(data):
    return {(name, est): fit_cfa(frame, factors, estimator=est)
            for name, (frame, factors) in data.items() for est in ("ML", "MLM")}


def _ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name)


# ---- the full CFA --------------------------------------------------------------------------

FIT_MAP = {
    "npar": "npar", "n": "ntotal", "chisq": "chisq", "df": "df", "p": "pvalue", "cfi": "cfi",
    "tli": "tli", "rmsea": "rmsea", "rmsea_ci_low": "rmsea_ci_lower",
    "rmsea_ci_high": "rmsea_ci_upper", "srmr": "srmr", "baseline_chisq": "baseline_chisq",
    "baseline_df": "baseline_df", "chisq_scaled": "chisq_scaled",
    "scaling_factor": "chisq_scaling_factor", "p_scaled": "pvalue_scaled",
    "cfi_robust": "cfi_robust", "tli_robust": "tli_robust", "rmsea_robust": "rmsea_robust",
    "rmsea_robust_ci_low": "rmsea_ci_lower_robust",
    "rmsea_robust_ci_high": "rmsea_ci_upper_robust", "cfi_scaled": "cfi_scaled",
    "tli_scaled": "tli_scaled", "rmsea_scaled": "rmsea_scaled",
    "baseline_chisq_scaled": "baseline_chisq_scaled",
    "baseline_scaling_factor": "baseline_chisq_scaling_factor",
}


@pytest.mark.parametrize("name", ["sample", "bfi"])
@pytest.mark.parametrize("estimator", ["ML", "MLM"])
def test_cfa_fit_measures_match_lavaan(fits, name, estimator):
    """Every fit measure of ``cfa(model, data, std.lv = TRUE, estimator = ...)``."""
    ours = fits[(name, estimator)].fit_table().iloc[0]
    ref = _ref("validity_cfa_fit.csv").set_index(["dataset", "estimator"]).loc[(name, estimator)]
    compared = 0
    for col, rcol in FIT_MAP.items():
        if pd.isna(ref[rcol]):
            assert estimator == "ML" and np.isnan(ours[col]), col
            continue
        assert ours[col] == pytest.approx(ref[rcol], abs=1e-3), col
        compared += 1
    assert compared == (len(FIT_MAP) if estimator == "MLM" else 13)
    assert ours["converged"] and ours["note"] == ""
    # respondents per free parameter, from lavaan's counts
    assert ours["per_parameter"] == pytest.approx(ref["ntotal"] / ref["npar"], rel=1e-12)
    factors = (SAMPLE_FACTORS if name == "sample" else BFI_FACTORS)
    assert ours["n_factors"] == len(factors)
    assert ours["n_items"] == sum(len(items) for items in factors.values())
    # the bundled sample: 228 of 585 respondents answered all 48 items (validity.md)
    if name == "sample":
        assert ours["n"] == 228 and ours["df"] == 1052


@pytest.mark.parametrize("name", ["sample", "bfi"])
@pytest.mark.parametrize("estimator", ["ML", "MLM"])
def test_cfa_estimates_match_lavaan(fits, name, estimator):
    """Loadings with SEs, standardised loadings with delta-method SEs, correlations."""
    fit = fits[(name, estimator)]
    ref = _ref("validity_cfa_params.csv")
    ref = ref[(ref["dataset"] == name) & (ref["estimator"] == estimator)]
    loads = fit.loading_table()
    r = ref[ref["op"] == "=~"]
    assert loads["item"].tolist() == r["rhs"].tolist()
    for ours, theirs in (("loading", "est"), ("se", "se"), ("std_loading", "est_std"),
                         ("std_se", "se_std")):
        assert loads[ours].to_numpy() == pytest.approx(r[theirs].to_numpy(), abs=1e-3), ours
    corr = fit.correlation_table()
    r = ref[ref["op"] == "~~"]
    assert list(zip(corr["factor_a"], corr["factor_b"], strict=True)) == list(
        zip(r["lhs"], r["rhs"], strict=True))
    assert corr["r"].to_numpy() == pytest.approx(r["est"].to_numpy(), abs=1e-3)
    assert corr["se"].to_numpy() == pytest.approx(r["se"].to_numpy(), abs=1e-3)
    # the agreement is in fact much closer than the tolerance
    assert np.abs(loads["std_loading"].to_numpy()
                  - ref[ref["op"] == "=~"]["est_std"].to_numpy()).max() < 1e-5


@pytest.mark.parametrize("name", ["sample", "bfi"])
def test_modification_indices_match_lavaan(fits, name):
    ours = modification_indices(fits[(name, "ML")], top=25)
    ref = _ref("validity_modindices.csv")
    ref = ref[ref["dataset"] == name]
    assert list(zip(ours["lhs"], ours["op"], ours["rhs"], strict=True)) == list(
        zip(ref["lhs"], ref["op"], ref["rhs"], strict=True))
    tol = {"abs": 1e-3} if name == "sample" else {"rel": 1e-4}
    assert ours["mi"].to_numpy() == pytest.approx(ref["mi"].to_numpy(), **tol)
    assert ours["epc"].to_numpy() == pytest.approx(ref["epc"].to_numpy(), abs=1e-3)
    assert ours["sepc_all"].to_numpy() == pytest.approx(ref["sepc_all"].to_numpy(), abs=1e-3)
    assert set(ours["kind"]) <= {"cross-loading", "residual covariance"}


def test_cfa_refuses_bad_input(sample):
    with pytest.raises(SurveyError, match="estimator must be one of ML, MLM"):
        fit_cfa(sample, SAMPLE_FACTORS, estimator="WLSMV")
    with pytest.raises(SurveyError, match="listed under two factors"):
        fit_cfa(sample, {"a": ["sp1", "sp2"], "b": ["sp2", "sp3"]})
    with pytest.raises(SurveyError, match="no column 'sp9'"):
        fit_cfa(sample, {"a": ["sp1", "sp9"]})
    with pytest.raises(SurveyError, match="more respondents than items"):
        fit_cfa(sample.head(30), SAMPLE_FACTORS)


def test_heywood_case_is_reported():
    """A residual variance the data push below zero stays negative (as lavaan) and is
    named: one item is a near copy of another."""
    rng = np.random.default_rng(4)
    f = rng.normal(size=(300, 1))
    x = np.hstack([f + rng.normal(scale=s, size=(300, 1)) for s in (0.01, 1.0, 1.0)])
    x[:, 0] = x[:, 1] * 0.999 + rng.normal(scale=1e-3, size=300) + 0.2 * f[:, 0]
    frame = pd.DataFrame(np.hstack([x, rng.normal(size=(300, 3)) + f]),
                         columns=["a1", "a2", "a3", "b1", "b2", "b3"])
    fit = fit_cfa(frame, {"a": ["a1", "a2", "a3"], "b": ["b1", "b2", "b3"]})
    if (fit.residual_vars < 0).any():
        assert any("Heywood" in n for n in fit.notes)
    else:
        assert not any("Heywood" in n for n in fit.notes)


# ---- convergent and discriminant validity -------------------------------------------------

@pytest.mark.parametrize("name", ["sample", "bfi"])
def test_composite_reliability_and_ave_match_semtools(fits, name):
    fit = fits[(name, "ML")]
    ref = _ref("validity_semtools.csv")
    ref = ref[ref["dataset"] == name]
    assert ref["factor"].tolist() == list(fit.factors)
    omega = composite_reliability(fit)
    ave = average_variance_extracted(fit)
    assert omega == pytest.approx(ref["omega_tight"].to_numpy(), abs=1e-6)
    assert ave == pytest.approx(ref["ave_tight"].to_numpy(), abs=1e-6)
    assert omega == pytest.approx(ref["omega"].to_numpy(), abs=1e-5)
    assert ave == pytest.approx(ref["ave"].to_numpy(), abs=1e-5)


@pytest.mark.parametrize("name", ["sample", "bfi"])
def test_htmt_matches_semtools(data, name):
    frame, factors = data[name]
    ref = _ref("validity_htmt.csv")
    ref = ref[ref["dataset"] == name].set_index(["factor_a", "factor_b"])
    for method, column in (("htmt2", "htmt2"), ("htmt", "htmt")):
        ours = htmt(frame, factors, method=method).set_index(["construct_a", "construct_b"])
        assert len(ours) == len(ref) == len(factors) * (len(factors) - 1) // 2
        theirs = ref[column].reindex(ours.index)
        if name == "sample" and method == "htmt2":
            # sp and bb items include a pair correlated exactly 0 (integer answers): the
            # geometric mean, so HTMT2, is 0; semTools' log() of a rounding residue of
            # about 1e-17 gives 0.024 instead
            zero = ("self_promotion", "build_vs_buy")
            assert ours.loc[zero, "htmt"] == 0.0
            assert theirs.loc[zero] == pytest.approx(0.0242, abs=1e-4)
            ours, theirs = ours.drop(index=[zero]), theirs.drop(index=[zero])
        assert ours["htmt"].to_numpy() == pytest.approx(theirs.to_numpy(), abs=1e-6)
    flags = htmt(frame, factors)
    assert not flags["above_085"].any() and not flags["above_090"].any()
    if name == "sample":       # validity.md: on the sample all pairs are below .21
        assert flags["htmt"].max() < 0.21


def _two_construct_instrument_frame(latent_r: float, seed: int, n: int = 600):
    """Simulated 1..5 answers to three constructs of five items, ``a`` and ``b``
    correlated ``latent_r`` on the latent scale, ``c`` at .3 with both."""
    rng = np.random.default_rng(seed)
    cov = np.array([[1, latent_r, 0.3], [latent_r, 1, 0.3], [0.3, 0.3, 1]])
    eta = rng.multivariate_normal(np.zeros(3), cov, size=n)
    cols = {}
    for f, name in enumerate("abc"):
        for j in range(1, 6):
            y = 0.75 * eta[:, f] + rng.normal(scale=np.sqrt(1 - 0.75**2), size=n)
            cols[f"{name}{j}"] = np.digitize(y, [-1.3, -0.45, 0.45, 1.3]) + 1.0
    return pd.DataFrame(cols), {name: [f"{name}{j}" for j in range(1, 6)] for name in "abc"}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_htmt_flags_a_planted_latent_correlation_of_095(seed):
    frame, factors = _two_construct_instrument_frame(0.95, seed)
    table = htmt(frame, factors).set_index(["construct_a", "construct_b"])
    assert table.loc[("a", "b"), "above_085"]
    assert not table.drop(index=[("a", "b")])["above_085"].any()
    fit = fit_cfa(frame, factors)
    from analysis.validity import validity_table

    val = validity_table(fit, htmt(frame, factors)).set_index("construct")
    assert "HTMT with b above 0.85" in val.loc["a", "note"]
    assert val.loc["c", "note"].find("HTMT") < 0


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_htmt_flags_nothing_on_clean_data(seed):
    frame, factors = _two_construct_instrument_frame(0.5, seed)
    table = htmt(frame, factors)
    assert not table["above_085"].any()
    assert table["htmt"].max() < 0.75


# ---- dimensionality --------------------------------------------------------------------

def _scopes(sample, bfi):
    yield "bfi", "all", bfi[[i for f in BFI_FACTORS.values() for i in f]].dropna()
    yield "sample", "all", sample[[i for f in SAMPLE_FACTORS.values() for i in f]]
    for construct, items in SAMPLE_FACTORS.items():
        yield "sample", construct, sample[items]


def test_parallel_analysis_matches_psych(sample, bfi):
    """psych::fa.parallel(x, fa = "both") with set.seed(1); ours with its default seed."""
    ref = _ref("validity_parallel.csv")
    seeds = _ref("validity_parallel_seeds.csv")
    for dataset, scope, x in _scopes(sample, bfi):
        r = ref[(ref["dataset"] == dataset) & (ref["scope"] == scope)]
        pa = parallel_analysis(x)
        assert (pa.n, pa.k) == (r["n"].iloc[0], r["k"].iloc[0])
        assert pa.components == pytest.approx(r["pc"].to_numpy(), abs=1e-8)
        assert pa.factors == pytest.approx(r["fa_exact"].to_numpy(), abs=1e-8)
        assert pa.factors == pytest.approx(r["fa"].to_numpy(), abs=2e-6)
        assert pa.seed == DEFAULT_SEED
        s = seeds[(seeds["dataset"] == dataset) & (seeds["scope"] == scope)]
        answers = list(zip(s["nfact"], s["ncomp"], strict=True))
        ours = (pa.n_factors, pa.n_components)
        if len(set(answers)) == 1:
            # R gives the same numbers whatever its seed: ours are those
            assert ours == (r["nfact"].iloc[0], r["ncomp"].iloc[0]), (dataset, scope)
        else:
            # a factor eigenvalue near its random threshold: R's answer depends on its
            # seed (student_involvement: 1, 2 or 3 factors; build_vs_buy: 1 or 2); ours
            # is R's most frequent answer over 20 seeds
            assert scope in ("student_involvement", "build_vs_buy"), scope
            assert ours == max(set(answers), key=answers.count), (dataset, scope)
    # bfi, complete cases (validity.md): 6 factors and 5 components; the sample: 8 and 8
    assert parallel_analysis(bfi[[i for f in BFI_FACTORS.values() for i in f]].dropna()
                             ).n_factors == 6


def test_parallel_analysis_is_seeded(sample):
    x = sample[SAMPLE_FACTORS["peer_respect"]]
    a, b = parallel_analysis(x, seed=7), parallel_analysis(x, seed=7)
    assert np.array_equal(a.random_factors_q95, b.random_factors_q95)
    c = parallel_analysis(x, seed=8)
    assert not np.array_equal(a.random_factors_q95, c.random_factors_q95)
    assert c.seed == 8 and c.n_iter == 20
    # the observed part does not depend on the seed
    assert np.array_equal(a.factors, c.factors)


def test_parallel_analysis_refuses_too_little(sample):
    with pytest.raises(SurveyError, match="at least 3 items"):
        parallel_analysis(sample[["sp1", "sp2"]])
    with pytest.raises(SurveyError, match="more respondents than items"):
        parallel_analysis(sample[SAMPLE_FACTORS["self_promotion"]].head(5))
    with pytest.raises(SurveyError, match="n_iter"):
        parallel_analysis(sample[SAMPLE_FACTORS["self_promotion"]], n_iter=1)


# ---- polychoric correlations and ordinal reliability --------------------------------------

def test_polychoric_and_ordinal_reliability_match_psych(sample, bfi):
    ref = _ref("validity_polychoric.csv")
    cases = 0
    for (dataset, scope, group), r in ref.groupby(["dataset", "scope", "group"], sort=False):
        frame = sample if dataset == "sample" else bfi
        items = (SAMPLE_FACTORS if dataset == "sample" else BFI_FACTORS)[scope]
        x = frame[items] if group == "all" else frame[frame["lab_region"] == group][items]
        pc = polychoric(x.to_numpy(dtype=float))
        index = {item: i for i, item in enumerate(items)}
        got = [pc.rho[index[a], index[b]] for a, b in zip(r["item_a"], r["item_b"], strict=True)]
        assert got == pytest.approx(r["rho"].to_numpy(), abs=1e-3), (dataset, scope, group)
        alpha, omega, _ = ordinal_reliability(pc.rho)
        assert alpha == pytest.approx(r["ordinal_alpha"].iloc[0], abs=1e-3)
        assert omega == pytest.approx(r["ordinal_omega"].iloc[0], abs=1e-3)
        cases += 1
    assert cases == 8 * 3 + 5


def test_polychoric_recovers_a_known_correlation_and_checks_categories():
    rng = np.random.default_rng(11)
    z = rng.multivariate_normal([0, 0, 0], [[1, .5, .3], [.5, 1, .4], [.3, .4, 1]], size=5000)
    x = np.digitize(z, [-1.2, -0.3, 0.5, 1.4]) + 1.0
    rho = polychoric(x).rho
    assert rho[0, 1] == pytest.approx(0.5, abs=0.03)
    assert rho[1, 2] == pytest.approx(0.4, abs=0.03)
    with pytest.raises(SurveyError, match="not one of the categories"):
        polychoric(x + 0.5, points=[1, 2, 3, 4, 5])


def test_reliability_table_has_ordinal_columns_from_psych(sample):
    """``assess_reliability`` puts ordinal alpha and omega beside the Pearson ones."""
    from analysis.reliability import RELIABILITY_COLUMNS, assess_reliability

    raw = pd.read_csv(REF / "validity_sample.csv")
    table = assess_reliability(raw, load("lab-culture"), by="lab_region")
    assert list(table.columns) == list(RELIABILITY_COLUMNS)
    assert list(RELIABILITY_COLUMNS[-2:]) == ["ordinal_alpha", "ordinal_omega"]
    ref = _ref("validity_polychoric.csv")
    for (scope, group), r in ref[ref["dataset"] == "sample"].groupby(["scope", "group"]):
        row = table[(table["construct"] == scope) & (table["group"] == group)].iloc[0]
        assert row["ordinal_alpha"] == pytest.approx(r["ordinal_alpha"].iloc[0], abs=1e-3)
        assert row["ordinal_omega"] == pytest.approx(r["ordinal_omega"].iloc[0], abs=1e-3)
        # ordinal alpha exceeds the Pearson alpha of the same answers (Zumbo et al. 2007)
        assert row["ordinal_alpha"] > row["alpha"]


# ---- partial invariance and latent means ---------------------------------------------------

@pytest.fixture(scope="module")
def two_regions(sample):
    two = sample[sample["lab_region"].isin(["china", "united_states"])]
    return two, pd.Series(pd.Categorical(two["lab_region"],
                                         categories=["china", "united_states"]))


def test_multigroup_fits_latent_means_and_score_tests_match_lavaan(two_regions):
    two, groups = two_regions
    latent = _ref("validity_latent.csv")
    scores = _ref("validity_scoretests.csv")
    for construct, items in SAMPLE_FACTORS.items():
        for level in ("metric", "scalar"):
            fit = fit_mgcfa(two, groups, {construct: items}, level, identification="std.lv")
            r = latent[(latent["construct"] == construct) & (latent["model"] == level)].iloc[0]
            assert fit.df == r["df"] and sum(fit.n) == r["n"]
            for ours, theirs in ((fit.chisq, "chisq"), (fit.cfi, "cfi"), (fit.rmsea, "rmsea"),
                                 (fit.srmr, "srmr")):
                assert ours == pytest.approx(r[theirs], abs=1e-3), (construct, level, theirs)
        est, se = fit.latent_means[0, 0], fit.latent_mean_se[0, 0]
        assert est == pytest.approx(r["latent_mean"], abs=1e-3)
        assert se == pytest.approx(r["se"], abs=1e-3)
        assert est / se == pytest.approx(r["z"], abs=1e-3)
        tests = score_tests(fit).set_index("item")
        theirs = scores[scores["construct"] == construct].set_index("item")["x2"]
        assert tests.loc[theirs.index, "chisq"].to_numpy() == pytest.approx(
            theirs.to_numpy(), abs=1e-3)
    # the partial model: bb5's intercept free in both groups
    fit = fit_mgcfa(two, groups, {"build_vs_buy": SAMPLE_FACTORS["build_vs_buy"]}, "scalar",
                    free_intercepts=["bb5"], identification="std.lv")
    r = latent[latent["model"] == "partial"].iloc[0]
    assert fit.df == r["df"] == 27
    for ours, theirs in ((fit.chisq, "chisq"), (fit.cfi, "cfi"), (fit.rmsea, "rmsea"),
                         (fit.srmr, "srmr"), (fit.latent_means[0, 0], "latent_mean"),
                         (fit.latent_mean_se[0, 0], "se")):
        assert ours == pytest.approx(r[theirs], abs=1e-3), theirs
    tests = score_tests(fit).set_index("item")
    theirs = scores[scores["construct"] == "build_vs_buy (bb5 free)"].set_index("item")["x2"]
    assert sorted(tests.index) == sorted(theirs.index) == ["bb1", "bb2", "bb3", "bb4", "bb6"]
    assert tests.loc[theirs.index, "chisq"].to_numpy() == pytest.approx(theirs.to_numpy(),
                                                                         abs=1e-3)


def test_partial_invariance_on_the_reference_sample():
    """bb5 is freed for build_vs_buy (H3) and nothing else; latent means as lavaan."""
    from analysis.invariance import partial_invariance

    raw = pd.read_csv(REF / "validity_sample.csv")
    result = partial_invariance(raw, "lab_region", instrument=load("lab-culture"),
                                groups=["china", "united_states", "other"])
    steps = result.steps
    assert steps["construct"].unique().tolist() == ["build_vs_buy"]
    assert steps["released"].tolist() == ["", "bb5"]
    assert steps["fails"].tolist() == [True, False]
    assert steps["status"].iloc[-1] == "partial invariance reached"
    score = _ref("validity_scoretests.csv").set_index(["construct", "item"])
    assert steps["score_chisq"].iloc[1] == pytest.approx(score.loc[("build_vs_buy", "bb5"),
                                                                   "x2"], abs=1e-3)
    latent = result.latent.set_index("construct")
    assert (latent["reference"] == "china").all() and (latent["group"] == "united_states").all()
    assert latent["freed_intercepts"].to_dict() == {c: ("bb5" if c == "build_vs_buy" else "")
                                                    for c in SAMPLE_FACTORS}
    assert (latent["status"] == "ok").all()
    ref = _ref("validity_latent.csv")
    ref = ref[ref["model"].isin(["scalar", "partial"])].drop_duplicates("construct", keep="last")
    ref = ref.set_index("construct")
    for col, theirs in (("latent_diff", "latent_mean"), ("se", "se"), ("z", "z"), ("p", "p")):
        assert latent[col].to_numpy() == pytest.approx(ref.loc[latent.index, theirs].to_numpy(),
                                                       abs=1e-3), col
    assert latent.loc["build_vs_buy", "model"] == "partial scalar"


def _clean_regions(seed: int, dif=()):
    from survey.simulate import simulate

    inst = load("lab-culture")
    frame = simulate(inst, seed=seed, labs={"china": 6, "united_states": 6},
                     respondents_per_lab=(50, 50), dif=list(dif), missing=0.0,
                     inattentive=0.0)
    return frame, inst


@pytest.mark.slow
def test_partial_invariance_frees_nothing_on_clean_data_at_the_stated_rate():
    """No planted item: across 4 simulated samples of 300 per region (32 constructs) the
    procedure frees an intercept at most as often as the invariance module's stated
    false-flag rate at that size (3 %, i.e. about 1 in 32), and never on most samples;
    with bb5 planted it frees bb5 and nothing else."""
    from analysis.invariance import partial_invariance

    freed = 0
    for seed in (21, 22, 23, 24):
        frame, inst = _clean_regions(seed)
        latent = partial_invariance(frame, "lab_region", instrument=inst).latent
        freed += int((latent["freed_intercepts"] != "").sum())
        assert (latent["status"] == "ok").all()
    assert freed <= 2
    frame, inst = _clean_regions(25, dif=[("bb5", "united_states", 0.8)])
    latent = partial_invariance(frame, "lab_region", instrument=inst).latent
    assert latent.set_index("construct")["freed_intercepts"].to_dict() == {
        c: ("bb5" if c == "build_vs_buy" else "") for c in SAMPLE_FACTORS}


def test_partial_invariance_not_reached_leaves_two_items_constrained():
    """Three of four items shifted: freeing stops before fewer than 2 items stay equal."""
    from analysis.invariance import partial_invariance
    from survey.instrument import loads

    inst = loads("""
id: tiny
version: "1"
languages: [en]
title: {en: Tiny}
scales: {agree5: {points: [1, 2, 3, 4, 5], labels: {en: [a, b, c, d, e]}}}
groups:
  - {id: region, text: {en: R}, choices: [{code: east, label: {en: E}},
                                           {code: west, label: {en: W}}]}
constructs:
  - id: c
    name: {en: C}
    definition: {en: C}
    scale: agree5
    items:
      - {id: i1, text: {en: one}, reverse: false}
      - {id: i2, text: {en: two}, reverse: false}
      - {id: i3, text: {en: three}, reverse: false}
      - {id: i4, text: {en: four}, reverse: false}
""")
    rng = np.random.default_rng(8)
    rows = []
    for region, shift in (("east", np.zeros(4)), ("west", np.array([0, 1.2, -1.0, 0.9]))):
        eta = rng.normal(size=250)
        y = eta[:, None] * 0.8 + rng.normal(scale=0.6, size=(250, 4)) + shift
        answers = np.clip(np.round(y + 3), 1, 5)
        rows.append(pd.DataFrame(answers, columns=["i1", "i2", "i3", "i4"]).assign(
            region=region))
    frame = pd.concat(rows, ignore_index=True)
    result = partial_invariance(frame, "region", instrument=inst)
    steps = result.steps
    assert steps["status"].iloc[-1] == "partial invariance not reached"
    assert "fewer than 2 items" in steps["note"].iloc[-1]
    assert len(steps.iloc[-1]["freed_intercepts"].split(", ")) == 2
    row = result.latent.iloc[0]
    assert row["status"] == "partial invariance not reached" and np.isnan(row["latent_diff"])


def test_saturated_model_has_no_test_to_correct(sample):
    """One factor of three items: df = 0, chi-square 0, no robust statistics (a
    scaling factor needs degrees of freedom), robust standard errors still given."""
    fit = fit_cfa(sample, {"sp": ["sp1", "sp2", "sp3"]}, estimator="MLM")
    row = fit.fit_table().iloc[0]
    assert row["df"] == 0 and row["chisq"] == pytest.approx(0.0, abs=1e-8)
    assert row["rmsea"] == 0.0 and row["cfi"] == 1.0
    assert np.isnan(row["scaling_factor"]) and np.isnan(row["cfi_robust"])
    assert (fit.loading_table()["se"] > 0).all()


# ---- full-information ML ---------------------------------------------------------------

FIML_MAP = {"npar": "npar", "n": "ntotal", "chisq": "chisq", "df": "df", "p": "pvalue",
            "cfi": "cfi", "tli": "tli", "rmsea": "rmsea", "rmsea_ci_low": "rmsea_ci_lower",
            "rmsea_ci_high": "rmsea_ci_upper", "srmr": "srmr",
            "baseline_chisq": "baseline_chisq", "baseline_df": "baseline_df"}


@pytest.mark.parametrize("name", ["sample", "bfi"])
def test_fiml_matches_lavaan_missing_ml(data, name):
    """``cfa(model, data, std.lv = TRUE, missing = "ml", information = "expected")``:
    everyone with an answer (585 of 585 on the sample instead of 228 listwise)."""
    frame, factors = data[name]
    fit = fit_cfa(frame, factors, missing="fiml")
    ours = fit.fit_table().iloc[0]
    ref = _ref("validity_cfa_fiml.csv").set_index("dataset").loc[name]
    for col, rcol in FIML_MAP.items():
        assert ours[col] == pytest.approx(ref[rcol], abs=1e-3), col
    assert ours["missing"] == "fiml" and np.isnan(ours["chisq_scaled"])
    params = _ref("validity_cfa_fiml_params.csv")
    params = params[params["dataset"] == name]
    loads = fit.loading_table()
    r = params[params["op"] == "=~"]
    for ours_col, theirs in (("loading", "est"), ("se", "se"), ("std_loading", "est_std"),
                             ("std_se", "se_std")):
        assert loads[ours_col].to_numpy() == pytest.approx(r[theirs].to_numpy(), abs=1e-3)
    # lavaan's default (observed) information gives SEs within .01 of the expected ones
    assert np.abs(loads["se"].to_numpy() - r["se_observed"].to_numpy()).max() < 0.01
    corr = fit.correlation_table()
    r = params[params["op"] == "~~"]
    assert corr["r"].to_numpy() == pytest.approx(r["est"].to_numpy(), abs=1e-3)
    assert corr["se"].to_numpy() == pytest.approx(r["se"].to_numpy(), abs=1e-3)
    if name == "sample":
        assert ours["n"] == 585


def test_fiml_refuses_the_robust_estimator(sample):
    with pytest.raises(SurveyError, match="robust ML \\(MLM\\) needs complete data"):
        fit_cfa(sample, SAMPLE_FACTORS, estimator="MLM", missing="fiml")
    with pytest.raises(SurveyError, match="missing must be one of listwise, fiml"):
        fit_cfa(sample, SAMPLE_FACTORS, missing="pairwise")


def test_em_estimates_reproduce_complete_data_moments(sample):
    """Without missing answers EM returns the sample moments in one step."""
    from analysis.cfa import _em_saturated, _missing_patterns

    x = sample[SAMPLE_FACTORS["self_promotion"]].dropna().to_numpy()
    mu, sigma, converged = _em_saturated(_missing_patterns(x), x.shape[1])
    assert converged
    assert mu == pytest.approx(x.mean(axis=0), abs=1e-12)
    assert sigma == pytest.approx(np.cov(x, rowvar=False, bias=True), abs=1e-12)


@pytest.mark.parametrize("name", ["sample", "bfi"])
def test_htmt_from_em_correlations_matches_semtools_missing_ml(data, name):
    """To 1e-4 (seen 7e-6): lavaan's EM for the saturated moments stops at its default
    tolerance, ours runs to 1e-12."""
    frame, factors = data[name]
    ours = htmt(frame, factors, missing="fiml").set_index(["construct_a", "construct_b"])
    ref = _ref("validity_htmt.csv")
    ref = ref[ref["dataset"] == name].set_index(["factor_a", "factor_b"])["htmt2_ml"]
    assert ours["htmt"].to_numpy() == pytest.approx(ref.reindex(ours.index).to_numpy(),
                                                    abs=1e-4)
    assert (ours["n"] == len(frame)).all()


# ---- the remaining reported columns (tests/reference/validity_columns.R) -------------------

@pytest.mark.parametrize("name", ["sample", "bfi"])
@pytest.mark.parametrize("estimator", ["ML", "MLM"])
def test_cfa_columns_z_p_residual_variances_and_r2_match_lavaan(fits, name, estimator):
    """``cfa_loadings`` z, p, residual_var, r2 and ``factor_correlations`` z, p as lavaan's
    parameterEstimates and ``lavInspect(fit, "r2")`` (to 1e-3; p to 1e-5, as lavaan's z
    and p come from its own SEs, which agree to 5e-6)."""
    fit = fits[(name, estimator)]
    ref = _ref("validity_cfa_columns.csv")
    ref = ref[(ref["dataset"] == name) & (ref["estimator"] == estimator)]
    loads = fit.loading_table()
    r = ref[ref["op"] == "=~"]
    assert loads["item"].tolist() == r["rhs"].tolist()
    assert loads["z"].to_numpy() == pytest.approx(r["z"].to_numpy(), abs=1e-3)
    assert loads["p"].to_numpy() == pytest.approx(r["pvalue"].to_numpy(), abs=1e-5)
    resid = ref[(ref["op"] == "~~") & (ref["lhs"] == ref["rhs"])].set_index("lhs")
    assert sorted(resid.index) == sorted(loads["item"])
    theirs = resid.loc[loads["item"]]
    assert loads["residual_var"].to_numpy() == pytest.approx(theirs["est"].to_numpy(),
                                                             abs=1e-3)
    assert loads["r2"].to_numpy() == pytest.approx(theirs["r2"].to_numpy(), abs=1e-3)
    corr = fit.correlation_table()
    r = ref[(ref["op"] == "~~") & (ref["lhs"] != ref["rhs"])]
    assert list(zip(corr["factor_a"], corr["factor_b"], strict=True)) == list(
        zip(r["lhs"], r["rhs"], strict=True))
    assert corr["z"].to_numpy() == pytest.approx(r["z"].to_numpy(), abs=1e-3)
    assert corr["p"].to_numpy() == pytest.approx(r["pvalue"].to_numpy(), abs=1e-5)


@pytest.mark.parametrize("name", ["sample", "bfi"])
def test_modification_index_p_is_chi_square_on_one_df_of_lavaans_mi(fits, name):
    """lavaan's modindices() gives no p: by hand, the chi-square(1) tail of its MI."""
    from scipy.stats import chi2

    ours = modification_indices(fits[(name, "ML")], top=25)
    ref = _ref("validity_modindices.csv")
    ref = ref[ref["dataset"] == name]
    want = chi2.sf(ref["mi"].to_numpy(), 1)
    assert ours["p"].to_numpy() == pytest.approx(want, rel=1e-3, abs=1e-12)


@pytest.mark.parametrize("name", ["sample", "bfi"])
def test_validity_table_columns_from_lavaan_and_semtools(fits, data, name):
    """``validity.csv`` by hand from the references: sqrt_ave = √(semTools' AVE); max_r,
    max_r_with = the largest absolute lavaan factor correlation of each construct;
    fornell_larcker = sqrt_ave > max_r; max_htmt, max_htmt_with from semTools' HTMT2."""
    from analysis.validity import validity_table

    frame, factors = data[name]
    table = validity_table(fits[(name, "ML")], htmt(frame, factors)).set_index("construct")
    sem = _ref("validity_semtools.csv")
    sem = sem[sem["dataset"] == name].set_index("factor")
    params = _ref("validity_cfa_params.csv")
    cor = params[(params["dataset"] == name) & (params["estimator"] == "ML")
                 & (params["op"] == "~~")]
    ht = _ref("validity_htmt.csv")
    ht = ht[ht["dataset"] == name]
    if name == "sample":
        # semTools' 0.024 for an HTMT2 that is exactly 0 (test_htmt_matches_semtools)
        zero = (ht["factor_a"] == "self_promotion") & (ht["factor_b"] == "build_vs_buy")
        ht = ht.assign(htmt2=ht["htmt2"].where(~zero, 0.0))
    for construct in factors:
        row = table.loc[construct]
        assert row["sqrt_ave"] == pytest.approx(np.sqrt(sem.loc[construct, "ave_tight"]),
                                                abs=1e-6)
        mine = cor[(cor["lhs"] == construct) | (cor["rhs"] == construct)]
        top = mine.iloc[int(np.argmax(np.abs(mine["est"].to_numpy())))]
        assert row["max_r"] == pytest.approx(abs(top["est"]), abs=1e-3), construct
        assert row["max_r_with"] == (top["rhs"] if top["lhs"] == construct else top["lhs"])
        assert row["fornell_larcker"] == (np.sqrt(sem.loc[construct, "ave_tight"])
                                          > abs(top["est"]))
        mine = ht[(ht["factor_a"] == construct) | (ht["factor_b"] == construct)]
        top = mine.iloc[int(np.argmax(mine["htmt2"].to_numpy()))]
        assert row["max_htmt"] == pytest.approx(top["htmt2"], abs=1e-6), construct
        assert row["max_htmt_with"] == (top["factor_b"] if top["factor_a"] == construct
                                        else top["factor_a"])


@pytest.fixture(scope="module")
def reference_partial():
    from analysis.invariance import partial_invariance

    raw = pd.read_csv(REF / "validity_sample.csv")
    return partial_invariance(raw, "lab_region", instrument=load("lab-culture"),
                              groups=["china", "united_states", "other"])


def test_latent_means_columns_match_lavaan(reference_partial):
    """``latent_means.csv``: ci_low, ci_high as lavaan's ci.lower/ci.upper (to 1e-3);
    observed_diff, observed_std_diff and both groups' n of the respondents the model uses,
    computed in R (to 1e-12)."""
    latent = reference_partial.latent.set_index("construct")
    ref = _ref("validity_latent_columns.csv")
    ref = ref[ref["model"].isin(["scalar", "partial"])]
    ref = ref.drop_duplicates("construct", keep="last").set_index("construct")
    assert sorted(ref.index) == sorted(latent.index)
    ref = ref.loc[latent.index]
    for col in ("ci_low", "ci_high"):
        assert latent[col].to_numpy() == pytest.approx(ref[col].to_numpy(), abs=1e-3), col
    for col in ("observed_diff", "observed_std_diff"):
        assert latent[col].to_numpy() == pytest.approx(ref[col].to_numpy(), abs=1e-12), col
    assert latent["n_reference"].tolist() == ref["n_reference"].tolist()
    assert latent["n_group"].tolist() == ref["n_group"].tolist()


def test_partial_invariance_steps_columns_match_lavaan(reference_partial):
    """``partial_invariance.csv``: the score test's df and p (lavTestScore), and the
    changes against the metric model as differences of lavaan's fit measures."""
    steps = reference_partial.steps.set_index("released")
    score = _ref("validity_latent_columns.csv")
    score = score[score["model"] == "scalar"].set_index(["construct", "item"])
    bb5 = score.loc[("build_vs_buy", "bb5")]
    assert steps.loc["bb5", "score_df"] == bb5["score_df"] == 1
    assert steps.loc["bb5", "score_p"] == pytest.approx(bb5["score_p"], rel=1e-3)
    assert pd.isna(steps.loc["", "score_df"]) and np.isnan(steps.loc["", "score_p"])
    fits = _ref("validity_latent.csv")
    fits = fits[fits["construct"] == "build_vs_buy"].set_index("model")
    for released, model in (("", "scalar"), ("bb5", "partial")):
        for measure in ("cfi", "rmsea", "srmr"):
            want = fits.loc[model, measure] - fits.loc["metric", measure]
            assert steps.loc[released, f"delta_{measure}"] == pytest.approx(want, abs=1e-3)
        assert steps.loc[released, "chisq"] == pytest.approx(fits.loc[model, "chisq"],
                                                             abs=1e-3)
        assert steps.loc[released, "df"] == fits.loc[model, "df"]


def _random_reference(scope: str) -> pd.DataFrame:
    ref = _ref("validity_parallel_random.csv")
    return ref[(ref["dataset"] == "sample") & (ref["scope"] == scope)]


@pytest.mark.parametrize("scope", ["all", "self_promotion"])
def test_parallel_analysis_random_part_matches_psych_within_monte_carlo_error(sample, scope):
    """The random eigenvalues come from another random stream than R's, so they agree
    within Monte Carlo error: psych's fa.parallel with 1000 data sets against ours with
    1000, per position within 4 standard errors of the difference (the SE of a 95th
    percentile taken as 2.11 SD / sqrt(n), its normal-theory value). Seen: at most 2.5
    SE. Swapping mean and percentile would be off by at least 14 SE.

    One known gap, asserted as such: the mean of the first random *factor* eigenvalue of
    a 6-item scope is 0.505 here (4000 data sets, four seeds: 0.503 to 0.513) against
    psych's 0.563. On noise the one-factor minres problem has several optima, some at a
    Heywood boundary (eigenvalue about 1.0, others about 0.2); our Newton iteration and
    psych's L-BFGS-B land on different ones (of 300 random 585 x 6 data sets, psych's
    objective was lower in 179 and ours in 104). The 95th percentile, which decides the
    number of factors, is the boundary value in both (1.016) and agrees."""
    items = [i for f in SAMPLE_FACTORS.values() for i in f] if scope == "all" \
        else SAMPLE_FACTORS[scope]
    ref = _random_reference(scope)
    n_iter = 1000
    pa = parallel_analysis(sample[items], n_iter=n_iter)
    m = ref["n_iter"].iloc[0]
    for what, mean, q95 in (("component", pa.random_components_mean, pa.random_components_q95),
                            ("factor", pa.random_factors_mean, pa.random_factors_q95)):
        sd = ref[f"{what}_sd"].to_numpy()
        se = sd * np.sqrt(1 / n_iter + 1 / m)
        gap = np.abs(mean - ref[f"{what}_mean"].to_numpy())
        if what == "factor" and scope != "all":
            assert 0.02 < ref[f"{what}_mean"].iloc[0] - mean[0] < 0.1
            gap, se = gap[1:], se[1:]
        assert (gap < 4 * se).all(), what
        assert (np.abs(q95 - ref[f"{what}_q95"].to_numpy()) < 4 * 2.11 * sd
                * np.sqrt(1 / n_iter + 1 / m)).all(), what


def test_dimensionality_table_random_columns_match_psych(sample):
    """``dimensionality.csv`` as reported (20 data sets): its random means and 95th
    percentiles lie within 4 Monte Carlo SEs (of 20 draws against psych's 1000) of psych's;
    its observed eigenvalues are those of fa.parallel."""
    from analysis.dimensionality import dimensionality

    raw = pd.read_csv(REF / "validity_sample.csv")
    table = dimensionality(raw, load("lab-culture"))
    observed = _ref("validity_parallel.csv")
    for scope in ("all", "self_promotion"):
        rows = table[table["scope"] == scope]
        ref = _random_reference(scope)
        assert rows["n_iter"].iloc[0] == 20
        assert rows["number"].tolist() == ref["number"].tolist()
        for what in ("component", "factor"):
            se = ref[f"{what}_sd"].to_numpy() * np.sqrt(1 / 20 + 1 / 1000)
            got = rows[f"{what}_random_mean"].to_numpy()
            assert (np.abs(got - ref[f"{what}_mean"].to_numpy()) < 4 * se).all(), what
            got = rows[f"{what}_random_q95"].to_numpy()
            assert (np.abs(got - ref[f"{what}_q95"].to_numpy()) < 4 * 2.11 * se).all(), what
        obs = observed[(observed["dataset"] == "sample") & (observed["scope"] == scope)]
        assert rows["component_eigenvalue"].to_numpy() == pytest.approx(
            obs["pc"].to_numpy(), abs=1e-8)
        assert rows["factor_eigenvalue"].to_numpy() == pytest.approx(
            obs["fa_exact"].to_numpy(), abs=1e-8)
        assert rows["components_suggested"].iloc[0] == obs["ncomp"].iloc[0]
        assert rows["factors_suggested"].iloc[0] == obs["nfact"].iloc[0]
