"""Measurement invariance (analysis/invariance.py), checked against lavaan.

Reference values come from ``tests/reference/invariance.R`` (R 4.2, lavaan 0.6-14, ML with
lavaan's defaults), which fits the Holzinger-Swineford three-factor model grouped by school
and a one-factor six-item model on simulated data (``invariance_data.csv``, made by
:func:`make_reference_data` below) at the configural, metric and scalar levels and at
partial scalar levels (one intercept freed); the per-item tests of loadings are checked
against the partial metric models of ``tests/reference/mgcfa.R``.

Tolerances: chi-square and CFI to 1e-3 absolute, as the issue asks (the agreement seen is
about 1e-8 and 1e-10); RMSEA and SRMR to 1e-5 absolute (seen: 1e-11 and 2e-7; lavaan's own
convergence tolerance limits SRMR); log-likelihood to 1e-3; parameter estimates to 1e-4.
"""

from __future__ import annotations

import doctest
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analysis.invariance as invariance_module
from analysis.cfa import fit_mgcfa
from analysis.invariance import (
    FITS_COLUMNS,
    ITEMS_COLUMNS,
    SUMMARY_COLUMNS,
    measurement_invariance,
)
from survey.errors import SurveyError
from survey.instrument import load, loads
from survey.simulate import simulate

REF = Path(__file__).resolve().parent / "reference"
HS_MODEL = {"visual": ["x1", "x2", "x3"], "textual": ["x4", "x5", "x6"],
            "speed": ["x7", "x8", "x9"]}
SIM_ITEMS = [f"y{j}" for j in range(1, 7)]

INSTRUMENT_YAML = """\
id: invariance_ref
version: "1"
languages: [en]
title: {en: Invariance reference}
scales: {agree5: {points: [1, 2, 3, 4, 5], labels: {en: [a, b, c, d, e]}}}
groups:
  - id: group
    text: {en: Group}
    choices:
      - {code: A, label: {en: A}}
      - {code: B, label: {en: B}}
      - {code: C, label: {en: C}}
constructs:
  - {id: f, name: {en: F}, definition: {en: D}, scale: agree5,
     items: [{id: y1, text: {en: T}, reverse: false}, {id: y2, text: {en: T}, reverse: false},
             {id: y3, text: {en: T}, reverse: false}, {id: y4, text: {en: T}, reverse: false},
             {id: y5, text: {en: T}, reverse: false}, {id: y6, text: {en: T}, reverse: false}]}
  - {id: short, name: {en: S}, definition: {en: D}, scale: agree5,
     items: [{id: y1b, text: {en: T}, reverse: false}, {id: y2b, text: {en: T}, reverse: true}]}
"""


def make_reference_data() -> pd.DataFrame:
    """The simulated data of ``invariance_data.csv`` (written with ``%.3f``).

    One factor, six items, groups A (220), B (180), C (140) with factor means 0, 0.3,
    -0.2 and variances 1, 0.8, 1.2; loadings (1, .8, 1.2, .9, .7, 1.1), intercepts
    (3, 2.8, 3.2, 3.1, 2.9, 3), residual variances (.5, .6, .4, .5, .7, .45); the
    intercept of y4 is 0.6 higher in group B. Values rounded to 3 decimals, then about
    2 % of cells blanked at random.
    """
    rng = np.random.default_rng(20261129)
    lam = np.array([1.0, 0.8, 1.2, 0.9, 0.7, 1.1])
    nu = np.array([3.0, 2.8, 3.2, 3.1, 2.9, 3.0])
    theta = np.array([0.5, 0.6, 0.4, 0.5, 0.7, 0.45])
    spec = {"A": (220, 0.0, 1.0), "B": (180, 0.3, 0.8), "C": (140, -0.2, 1.2)}
    parts = []
    for g, (n, alpha, phi) in spec.items():
        eta = rng.normal(alpha, np.sqrt(phi), size=n)
        shift = np.where(np.arange(6) == 3, 0.6 if g == "B" else 0.0, 0.0)
        x = nu + shift + eta[:, None] * lam + rng.normal(0, 1, (n, 6)) * np.sqrt(theta)
        x = np.round(x, 3)
        x[rng.random((n, 6)) < 0.02] = np.nan
        part = pd.DataFrame(x, columns=SIM_ITEMS)
        part.insert(0, "group", g)
        parts.append(part)
    out = pd.concat(parts, ignore_index=True)
    out.insert(0, "respondent_id", [f"SIM-{i + 1:04d}" for i in range(len(out))])
    return out


@pytest.fixture(scope="module")
def hs() -> pd.DataFrame:
    return pd.read_csv(REF / "invariance_holzinger_swineford.csv")


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return pd.read_csv(REF / "invariance_data.csv")


@pytest.fixture(scope="module")
def ref_fits() -> pd.DataFrame:
    return pd.read_csv(REF / "invariance_fits.csv", keep_default_na=False)


def _dataset(name, hs, sim):
    if name == "hs":
        return hs, "school", HS_MODEL
    if name == "sim":
        return sim, "group", {"f": SIM_ITEMS}
    return sim[sim["group"].isin(["A", "B"])], "group", {"f": SIM_ITEMS}


def test_reference_data_regenerates(sim):
    made = make_reference_data()
    assert list(made.columns) == list(sim.columns)
    assert made["respondent_id"].tolist() == sim["respondent_id"].tolist()
    np.testing.assert_allclose(made[SIM_ITEMS].to_numpy(), sim[SIM_ITEMS].to_numpy(),
                               atol=5e-10)  # NaN positions must match too


def test_reference_rows_cover_every_dataset_and_level(ref_fits):
    plain = ref_fits[ref_fits["free_intercepts"] == ""]
    assert len(plain) == 9
    assert set(zip(plain["dataset"], plain["level"], strict=True)) == {
        (d, lv) for d in ("hs", "sim", "sim_ab") for lv in ("configural", "metric", "scalar")
    }


def test_every_reference_fit_agrees_with_lavaan(ref_fits, hs, sim):
    for _, r in ref_fits.iterrows():
        data, group, model = _dataset(r["dataset"], hs, sim)
        free = tuple(r["free_intercepts"].split(";")) if r["free_intercepts"] else ()
        fit = fit_mgcfa(data, group, model, r["level"], free_intercepts=free)
        what = f"{r['dataset']} {r['level']} {free}"
        assert fit.converged and not fit.heywood, what
        assert fit.df == int(r["df"]), what
        assert fit.npar == int(r["npar"]), what
        assert sum(fit.n) == int(r["ntotal"]), what
        assert fit.chisq == pytest.approx(float(r["chisq"]), abs=1e-3), what
        assert fit.cfi == pytest.approx(float(r["cfi"]), abs=1e-3), what
        assert fit.rmsea == pytest.approx(float(r["rmsea"]), abs=1e-5), what
        assert fit.srmr == pytest.approx(float(r["srmr"]), abs=1e-5), what
        assert fit.pvalue == pytest.approx(float(r["pvalue"]), abs=1e-6), what
        assert fit.loglik == pytest.approx(float(r["logl"]), abs=1e-3), what
        assert fit.baseline_chisq == pytest.approx(float(r["baseline_chisq"]), abs=1e-6), what
        assert fit.baseline_df == int(r["baseline_df"]), what


@pytest.mark.parametrize(
    ("level", "chisq", "df", "cfi"),
    [("configural", 115.851, 48, 0.923), ("metric", 124.044, 54, None),
     ("scalar", 164.103, 60, 0.883)],
)
def test_holzinger_swineford_golden_values(hs, level, chisq, df, cfi):
    """The values quoted in the issue (lavaan tutorial, HS grouped by school).

    The issue's scalar CFI .883 rounds lavaan's 0.88247 up, hence CFI to 1e-3 here.
    """
    fit = fit_mgcfa(hs, "school", HS_MODEL, level)
    assert fit.groups == ("Pasteur", "Grant-White")
    assert round(fit.chisq, 3) == chisq
    assert fit.df == df
    if cfi is not None:
        assert fit.cfi == pytest.approx(cfi, abs=1e-3)


def test_partial_scalar_golden_value(hs):
    """methods.md section 3.1: freeing the x3 and x7 intercepts gives 129.423 on 58 df."""
    fit = fit_mgcfa(hs, "school", HS_MODEL, "scalar", free_intercepts=["x3", "x7"])
    assert round(fit.chisq, 2) == 129.42 and fit.df == 58


def test_parameter_estimates_agree_with_lavaan(sim):
    ref = pd.read_csv(REF / "invariance_params.csv", keep_default_na=False)
    fit = fit_mgcfa(sim, "group", {"f": SIM_ITEMS}, "scalar")
    both = ref.merge(fit.params, on=["lhs", "op", "rhs", "group"], how="outer",
                     suffixes=("_r", "_py"), indicator=True)
    assert (both["_merge"] == "both").all()
    np.testing.assert_allclose(both["est_py"], both["est_r"], atol=1e-4)
    means = fit.params[(fit.params["lhs"] == "f") & (fit.params["op"] == "~1")]
    assert means["est"].iloc[0] == 0.0  # reference group's factor mean is fixed


def test_marker_and_fixed_factor_give_the_same_fit_when_items_are_reordered(sim):
    """Another marker rescales the factor but leaves every fit statistic unchanged."""
    a = fit_mgcfa(sim, "group", {"f": SIM_ITEMS}, "scalar")
    b = fit_mgcfa(sim, "group", {"f": SIM_ITEMS[::-1]}, "scalar")
    assert b.chisq == pytest.approx(a.chisq, abs=1e-5)
    assert b.srmr == pytest.approx(a.srmr, abs=1e-6)


def test_reverse_keying_leaves_the_fit_unchanged(sim):
    flipped = sim.copy()
    flipped["y2"] = 6 - flipped["y2"]
    a = fit_mgcfa(sim, "group", {"f": SIM_ITEMS}, "scalar")
    b = fit_mgcfa(flipped, "group", {"f": SIM_ITEMS}, "scalar")
    assert b.chisq == pytest.approx(a.chisq, abs=1e-5)


# ---- measurement_invariance on the reference data --------------------------------------

@pytest.fixture(scope="module")
def ref_inst():
    return loads(INSTRUMENT_YAML)


@pytest.fixture(scope="module")
def sim_result(ref_inst, sim):
    return measurement_invariance(sim, "group", instrument=ref_inst, constructs=["f"])


def test_columns(sim_result):
    assert list(sim_result.fits.columns) == FITS_COLUMNS
    assert list(sim_result.summary.columns) == SUMMARY_COLUMNS
    assert list(sim_result.items.columns) == ITEMS_COLUMNS


def test_levels_and_changes_agree_with_lavaan(sim_result, ref_fits):
    ref = ref_fits[(ref_fits["dataset"] == "sim") & (ref_fits["free_intercepts"] == "")]
    ref = ref.set_index("level")
    fits = sim_result.fits.set_index("level")
    for level in ("configural", "metric", "scalar"):
        assert fits.loc[level, "chisq"] == pytest.approx(float(ref.loc[level, "chisq"]),
                                                         abs=1e-3)
        assert fits.loc[level, "cfi"] == pytest.approx(float(ref.loc[level, "cfi"]), abs=1e-3)
    assert fits.loc["scalar", "delta_cfi"] == pytest.approx(
        float(ref.loc["scalar", "cfi"]) - float(ref.loc["metric", "cfi"]), abs=1e-3)
    assert fits.loc["scalar", "delta_rmsea"] == pytest.approx(
        float(ref.loc["scalar", "rmsea"]) - float(ref.loc["metric", "rmsea"]), abs=1e-5)
    assert fits.loc["scalar", "delta_df"] == 10
    assert fits["holds"].tolist() == [True, True, False]
    assert "Chen (2007)" in fits.loc["scalar", "note"]


def test_shifted_item_is_named_and_its_test_agrees_with_lavaan(sim_result, ref_fits):
    summary = sim_result.summary.iloc[0]
    assert summary["highest_level"] == "metric"
    assert not summary["mean_comparison_warranted"]
    assert summary["items_differing"] == "y4"
    assert summary["groups"] == "A|B|C"
    items = sim_result.items.set_index("item")
    assert items.index[0] == "y4"
    assert (items["parameter"] == "intercept").all() and (items["df"] == 2).all()
    ref = ref_fits[ref_fits["dataset"] == "sim"].set_index("free_intercepts")
    scalar = float(ref.loc["", "chisq"][ref.loc[""]["level"] == "scalar"].iloc[0])
    for item in SIM_ITEMS:
        lavaan_lr = scalar - float(ref.loc[item, "chisq"])
        assert items.loc[item, "chisq"] == pytest.approx(lavaan_lr, abs=1e-3), item


def test_two_item_construct_is_not_tested(ref_inst):
    frame = pd.DataFrame({"group": ["A"] * 150 + ["B"] * 150,
                          "y1b": np.tile([1, 2, 3, 4, 5], 60),
                          "y2b": np.tile([2, 3, 1, 5, 4], 60)})
    result = measurement_invariance(frame, "group", instrument=ref_inst,
                                    constructs=["short"])
    summary = result.summary.iloc[0]
    assert summary["status"] == "too_few_items"
    assert summary["highest_level"] == "not_tested"
    assert pd.isna(summary["mean_comparison_warranted"])
    assert result.fits["holds"].isna().all()
    assert result.fits["chisq"].isna().all()


def test_small_group_is_left_out_and_named(ref_inst, sim):
    result = measurement_invariance(sim, "group", instrument=ref_inst, constructs=["f"],
                                    min_group_n=140)
    summary = result.summary.iloc[0]
    assert summary["groups"] == "A|B"
    assert "C (131)" in summary["note"]
    assert summary["status"] == "ok"
    assert summary["items_differing"].split(", ")[0] == "y4"


def test_too_few_groups_says_so_and_does_not_fail(ref_inst, sim):
    result = measurement_invariance(sim, "group", instrument=ref_inst, constructs=["f"],
                                    min_group_n=180)
    summary = result.summary.iloc[0]
    assert summary["status"] == "too_few"
    assert summary["highest_level"] == "not_tested"
    assert pd.isna(summary["mean_comparison_warranted"])
    assert "fewer than 2 groups with at least 180" in summary["note"]
    assert (result.fits["status"] == "too_few").all()


def test_requested_groups_and_order(ref_inst, sim, ref_fits):
    result = measurement_invariance(sim, "group", instrument=ref_inst, constructs=["f"],
                                    groups=["A", "B"])
    ref = ref_fits[(ref_fits["dataset"] == "sim_ab") & (ref_fits["free_intercepts"] == "")]
    assert result.fits["chisq"].to_numpy() == pytest.approx(
        ref["chisq"].astype(float).to_numpy(), abs=1e-3)


def test_singular_group_is_reported(ref_inst, sim):
    flat = sim.copy()
    flat.loc[flat["group"] == "B", "y3"] = 3.0
    result = measurement_invariance(flat, "group", instrument=ref_inst, constructs=["f"])
    assert result.summary.iloc[0]["status"] == "singular"
    assert "group 'B' is singular" in result.fits.iloc[0]["note"]


def test_input_is_not_changed(ref_inst, sim):
    before = sim.copy()
    measurement_invariance(sim, "group", instrument=ref_inst, constructs=["f"])
    pd.testing.assert_frame_equal(sim, before)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"by": "grop"}, "did you mean 'group'"),
     ({"by": "group", "groups": ["A", "D"]}, "no group 'D'"),
     ({"by": "group", "constructs": ["g"]}, "no construct 'g'")],
)
def test_bad_arguments(ref_inst, sim, kwargs, message):
    with pytest.raises(SurveyError, match=message):
        measurement_invariance(sim, instrument=ref_inst, **kwargs)


def test_plain_frame_needs_an_instrument(sim):
    with pytest.raises(SurveyError, match="give instrument="):
        measurement_invariance(sim, "group")


@pytest.mark.parametrize(
    ("factors", "kwargs", "message"),
    [({"f": ["y1", "y2", "y9"]}, {}, "no column 'y9'"),
     ({"f": ["y1", "y2"], "g": ["y2", "y3"]}, {}, "listed under two factors"),
     ({"f": ["y1"]}, {}, "at least 2 items"),
     ({"f": SIM_ITEMS}, {"level": "strict"}, "level must be one of"),
     ({"f": SIM_ITEMS}, {"free_loadings": ["y1"]}, "is the marker"),
     ({"f": SIM_ITEMS}, {"free_intercepts": ["x1"]}, "'x1' is not an item")],
)
def test_fit_mgcfa_input_errors(sim, factors, kwargs, message):
    with pytest.raises(SurveyError, match=message):
        fit_mgcfa(sim, "group", factors, **kwargs)


def test_fit_mgcfa_needs_two_groups(sim):
    with pytest.raises(SurveyError, match="at least 2 groups"):
        fit_mgcfa(sim[sim["group"] == "A"], "group", {"f": SIM_ITEMS})


def test_free_loading_lowers_df_by_groups_minus_one(sim):
    metric = fit_mgcfa(sim, "group", {"f": SIM_ITEMS}, "metric")
    partial = fit_mgcfa(sim, "group", {"f": SIM_ITEMS}, "metric", free_loadings=["y3"])
    assert metric.df - partial.df == 2
    assert partial.chisq <= metric.chisq + 1e-6


def test_failed_metric_step_tests_every_loading_against_lavaan(ref_inst, sim):
    """Cut-offs that fail any metric step: each item's loading, the first one's too, is
    released in turn; the likelihood-ratio tests are the differences of lavaan's
    chi-squares of the metric model and its partial models (``std.lv = TRUE``,
    ``group.partial = "f=~yj"``, from ``tests/reference/mgcfa.R``)."""
    from scipy.stats import chi2

    result = measurement_invariance(sim, "group", instrument=ref_inst, constructs=["f"],
                                    delta_cfi_cutoff=1.0, delta_rmsea_cutoff=-1.0)
    summary = result.summary.iloc[0]
    assert summary["highest_level"] == "configural"
    assert summary["note"].startswith("metric invariance fails: loadings differ most for")
    ref = pd.read_csv(REF / "mgcfa_fits.csv", keep_default_na=False)
    ref = ref[(ref["dataset"] == "sim") & (ref["level"] == "metric")].set_index("partial")
    items = result.items.set_index("item")
    assert sorted(items.index) == SIM_ITEMS and (items["parameter"] == "loading").all()
    for item in SIM_ITEMS:
        lr = float(ref.loc["", "chisq"]) - float(ref.loc[f"f=~{item}", "chisq"])
        assert items.loc[item, "chisq"] == pytest.approx(lr, abs=1e-3), item
        assert items.loc[item, "df"] == 2
        assert items.loc[item, "p_unc"] == pytest.approx(chi2.sf(lr, 2), rel=1e-4)


# ---- simulation: planted non-invariance is found, clean data stays quiet ---------------

@pytest.fixture(scope="module")
def lab_culture():
    return load("lab-culture")


def _simulated(inst, seed, dif=()):
    return simulate(inst, seed=seed, labs={"china": 7, "united_states": 7},
                    respondents_per_lab=(40, 45), dif=list(dif))


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_planted_intercept_shift_is_found_and_named_first(lab_culture, seed):
    """bb5 answered 1 latent SD higher in the US: scalar fails, bb5 is named first.

    Over seeds 1-20 (about 600 respondents, 300 per region) the shift of 1.0 was found
    20 times of 20 with bb5 named first every time; a shift of 0.5 was found 16 times.
    """
    frame = _simulated(lab_culture, seed, dif=[("bb5", "united_states", 1.0)])
    result = measurement_invariance(frame, "lab_region", instrument=lab_culture,
                                    constructs=["build_vs_buy"])
    summary = result.summary.iloc[0]
    assert summary["highest_level"] == "metric"
    assert not summary["mean_comparison_warranted"]
    assert summary["items_differing"].split(", ")[0] == "bb5"
    assert "other" not in summary["groups"]  # no respondents there


def test_clean_constructs_stay_quiet(lab_culture):
    """Without planted DIF, scalar invariance holds on (almost) every construct.

    Over seeds 1-20 and the seven constructs without DIF (140 tests, about 300 per
    region) 4 fell short of scalar invariance (2.9 %); the chi-square difference test of
    the scalar step rejected at the nominal 5 % rate (7 of 140). Here: seeds 1-5, all
    eight constructs (40 tests); seen 0 false alarms, at most 3 allowed (7.5 %).
    """
    alarms = 0
    for seed in range(1, 6):
        result = measurement_invariance(_simulated(lab_culture, seed), "lab_region",
                                        instrument=lab_culture)
        assert (result.summary["status"] == "ok").all()
        alarms += int((result.summary["highest_level"] != "scalar").sum())
    assert alarms <= 3


def test_docstring_examples():
    failures, tried = doctest.testmod(invariance_module, optionflags=doctest.ELLIPSIS)
    assert tried > 0 and failures == 0


def test_response_set_input_and_small_group_note(lab_culture):
    from survey.responses.model import ImportLog, ResponseSet

    frame = simulate(lab_culture, seed=4, labs={"china": 3, "united_states": 3},
                     respondents_per_lab=(25, 25))
    responses = ResponseSet(data=frame, instrument=lab_culture,
                            log=ImportLog(file="sim.csv", platform="template"))
    default = measurement_invariance(responses, "lab_region", constructs=["open_weights"])
    assert default.summary.iloc[0]["status"] == "too_few"  # 75 per region < 100
    lowered = measurement_invariance(responses, "lab_region", constructs=["open_weights"],
                                     min_group_n=50)
    summary = lowered.summary.iloc[0]
    assert summary["status"] == "ok" and summary["groups"] == "china|united_states"
    assert "fit indices are unstable" in summary["note"]
    assert "N <= 300" in summary["note"]


def test_table_columns_agree_with_lavaan(sim_result, ref_fits):
    """Every number of the fits and items tables against lavaan's fits of the same data:
    p, RMSEA, SRMR per level; the changes (Δχ², Δdf, its chi-square p, ΔSRMR) as
    differences of lavaan's values; the per-item tests' p from chi-square on 2 df and
    Holm's adjustment written out."""
    from scipy.stats import chi2

    ref = ref_fits[(ref_fits["dataset"] == "sim") & (ref_fits["free_intercepts"] == "")]
    ref = ref.set_index("level").astype({c: float for c in ("chisq", "pvalue", "rmsea",
                                                            "srmr", "df")})
    fits = sim_result.fits.set_index("level")
    assert fits["n"].tolist() == [int(ref_fits.loc[ref_fits.dataset == "sim", "ntotal"]
                                      .iloc[0])] * 3
    for level in ("configural", "metric", "scalar"):
        assert fits.loc[level, "df"] == ref.loc[level, "df"]
        assert fits.loc[level, "p"] == pytest.approx(ref.loc[level, "pvalue"], abs=1e-6)
        assert fits.loc[level, "rmsea"] == pytest.approx(ref.loc[level, "rmsea"], abs=1e-5)
        assert fits.loc[level, "srmr"] == pytest.approx(ref.loc[level, "srmr"], abs=1e-5)
    for level, before in (("metric", "configural"), ("scalar", "metric")):
        d_chisq = ref.loc[level, "chisq"] - ref.loc[before, "chisq"]
        d_df = ref.loc[level, "df"] - ref.loc[before, "df"]
        assert fits.loc[level, "delta_chisq"] == pytest.approx(d_chisq, abs=1e-3)
        assert fits.loc[level, "delta_df"] == d_df
        assert fits.loc[level, "delta_p"] == pytest.approx(chi2.sf(d_chisq, d_df), abs=1e-5)
        assert fits.loc[level, "delta_srmr"] == pytest.approx(
            ref.loc[level, "srmr"] - ref.loc[before, "srmr"], abs=1e-5)
    assert np.isnan(fits.loc["configural", "delta_chisq"])

    partial = ref_fits[ref_fits["dataset"] == "sim"].set_index("free_intercepts")
    scalar = ref.loc["scalar", "chisq"]
    items = sim_result.items.set_index("item")
    lr = {item: scalar - float(partial.loc[item, "chisq"]) for item in SIM_ITEMS}
    p = {item: chi2.sf(v, 2) for item, v in lr.items()}
    for item in SIM_ITEMS:
        assert items.loc[item, "p_unc"] == pytest.approx(p[item], rel=1e-4, abs=1e-12)
    # Holm by hand: sort ascending, multiply by (m - rank), running maximum, cap at 1
    ordered = sorted(SIM_ITEMS, key=p.get)
    running = 0.0
    for rank, item in enumerate(ordered):
        running = max(running, min(1.0, (len(ordered) - rank) * p[item]))
        assert items.loc[item, "p_adj"] == pytest.approx(running, rel=1e-4, abs=1e-12)
