"""Nesting in labs: ICCs, design effect, the random-intercept comparison and r_wg(j).

Reference values come from ``tests/reference/multilevel.R`` (R 4.2.2, nlme 3.1-162) run
on ``tests/reference/multilevel_data.csv``, an extract of the simulated sample data:

- ``multilevel_icc.csv``: one-way ANOVA ICC(1) with n0, ICC(2), F test and design effect
  from ``aov()`` and the hand formulas (closed form, compared to ``rtol=1e-9``);
- ``multilevel_lme.csv``: ``nlme::lme(score ~ group, random = ~ 1 | lab,
  method = "REML")``; estimates, standard errors, t and variance components are
  compared to ``rtol=1e-4`` (two optimisers converging on the same optimum), degrees of
  freedom exactly and p-values to ``rtol=1e-3``;
- ``multilevel_icc_conditional.csv``: the ICC conditional on the grouping,
  ``tau2 / (tau2 + sigma2)`` of ``nlme::lme(score ~ lab_region, random = ~ 1 | lab)``
  (``rtol=1e-4``, as the other REML fits);
- ``multilevel_rwg.csv``: r_wg(j) by the James, Demaree & Wolf (1984) formula written out
  in R (``rtol=1e-9``).

The simulation test plants lab intercepts and no group difference with
``survey.simulate`` and checks that the lab-aware test keeps its false-positive rate
near 5 % where the respondent-level Welch test does not.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from analysis.multilevel import (
    AGREEMENT_COLUMNS,
    ICC_COLUMNS,
    NESTED_COLUMNS,
    NESTED_HYPOTHESES_COLUMNS,
    agreement_summary,
    compare_nested,
    evaluate_hypotheses_nested,
    fit_random_intercept,
    lab_agreement,
    lab_icc,
)
from survey.errors import SurveyError
from survey.instrument import load, loads

REF = __import__("pathlib").Path(__file__).resolve().parent / "reference"
CONSTRUCTS = ["self_promotion", "peer_respect"]


@pytest.fixture(scope="module")
def inst():
    return load("lab-culture")


@pytest.fixture(scope="module")
def data():
    return pd.read_csv(REF / "multilevel_data.csv")


def _ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name)


# ---- ICC and design effect ------------------------------------------------------------

def test_icc_matches_r_anova(inst, data):
    got = lab_icc(data, inst, constructs=CONSTRUCTS)
    ref = _ref("multilevel_icc.csv")
    assert list(got.columns) == ICC_COLUMNS
    assert got["construct"].tolist() == ref["construct"].tolist()
    for col in ("n", "labs", "df1", "df2"):
        assert got[col].tolist() == ref[col].tolist()
    for col in ("mean_lab_size", "n0", "msb", "msw", "f", "icc1", "icc2",
                "design_effect", "n_effective"):
        np.testing.assert_allclose(got[col], ref[col], rtol=1e-9, err_msg=col)
    np.testing.assert_allclose(got["p_f"], ref["p_f"], rtol=1e-6)


@pytest.mark.parametrize("groups", [["china", "united_states", "other"],
                                    ["china", "united_states"]])
def test_conditional_icc_matches_nlme(inst, data, groups):
    got = lab_icc(data, inst, constructs=CONSTRUCTS, by="lab_region", groups=groups)
    ref = _ref("multilevel_icc_conditional.csv")
    ref = ref[ref["groups"] == "|".join(groups)]
    assert got["conditional_on"].tolist() == ["lab_region"] * 2
    for col, rcol in (("icc_conditional", "icc_conditional"), ("tau2_conditional", "tau2"),
                      ("sigma2_conditional", "sigma2")):
        np.testing.assert_allclose(got[col], ref[rcol], rtol=1e-4, err_msg=col)
    # on self_promotion (a planted region difference) the unconditional ICC(1) holds
    # the region difference as well and is far larger; peer_respect has none planted
    assert got["icc1"].iloc[0] > 3 * got["icc_conditional"].iloc[0]
    # without a grouping the conditional columns stay empty
    plain = lab_icc(data, inst, constructs=CONSTRUCTS)
    assert plain["icc_conditional"].isna().all() and (plain["conditional_on"] == "").all()


def test_icc_hand_example_with_unequal_labs(inst):
    """Labs of 2, 3 and 4: n0 = (9 - 29/9) / 2 = 2.888889 (not the mean size 3)."""
    scores = pd.DataFrame({
        "lab": ["a"] * 2 + ["b"] * 3 + ["c"] * 4,
        "self_promotion": [1.0, 3.0, 2.0, 3.0, 4.0, 4.0, 5.0, 6.0, 5.0],
    })
    row = lab_icc(scores, inst, constructs=["self_promotion"]).iloc[0]
    # means 2, 3, 5; grand 33/9; SSB = 2(5/3)^2 + 3(2/3)^2 + 4(4/3)^2 = 14
    # SSW = 2 + 2 + 2 = 6; MSB = 7, MSW = 1
    n0 = (9 - 29 / 9) / 2
    assert row["n0"] == pytest.approx(n0)
    assert row["icc1"] == pytest.approx(6 / (7 + (n0 - 1)))
    assert row["icc2"] == pytest.approx(6 / 7)
    assert row["design_effect"] == pytest.approx(1 + 2 * 6 / (7 + (n0 - 1)))


def test_icc_notes_when_not_computable(inst):
    scores = pd.DataFrame({"lab": ["a", "a", "a"], "self_promotion": [1.0, 2.0, 3.0]})
    row = lab_icc(scores, inst, constructs=["self_promotion"]).iloc[0]
    assert np.isnan(row["icc1"]) and row["note"] == "fewer than 2 labs"


# ---- the mixed model -------------------------------------------------------------------

def _pair(ref: pd.DataFrame, construct: str, by: str, a: str, b: str) -> pd.Series:
    hit = ref[(ref.construct == construct) & (ref.by == by) & (ref.group_a == a)
              & (ref.group_b == b)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_nested_comparison_matches_nlme(inst, data):
    got = compare_nested(data, inst, "lab_region", constructs=CONSTRUCTS)
    assert list(got.columns) == NESTED_COLUMNS
    ref = _ref("multilevel_lme.csv")
    cases = [("self_promotion", "china", "united_states"),
             ("peer_respect", "china", "united_states")]
    for construct, a, b in cases:
        row = got[(got.construct == construct) & (got.group_a == a) & (got.group_b == b)]
        row = row.iloc[0]
        r = _pair(ref, construct, "lab_region", a, b)
        for col, rcol in (("estimate", "estimate"), ("se", "se"), ("t", "t"),
                          ("tau2", "tau2"), ("sigma2", "sigma2")):
            assert row[col] == pytest.approx(r[rcol], rel=1e-4), (construct, a, b, col)
        assert row["df"] == r["df"]
        assert row["p_unc"] == pytest.approx(r["p"], rel=1e-3)
        assert row["n_a"] + row["n_b"] == r["n"]
        assert row["labs_a"] + row["labs_b"] == r["labs"]
        assert row["p_method"].startswith("t, df = labs - 2")
        assert row["std_diff"] == pytest.approx(r["estimate"] / np.sqrt(r["tau2"] + r["sigma2"]),
                                                rel=1e-4)


def test_one_lab_in_a_group_is_confounded_but_the_model_still_matches_nlme(inst, data):
    """'other' has one lab (OT-01): the table does not test it, the model agrees with nlme.

    A lab-level group with one lab cannot be told from that lab's random intercept, so
    compare_nested leaves the pair untested; the REML fit itself is still checked
    against nlme's on the same respondents (multilevel_lme.csv, china vs other).
    """
    got = compare_nested(data, inst, "lab_region", constructs=["self_promotion"])
    row = got[(got.group_a == "china") & (got.group_b == "other")].iloc[0]
    assert row["status"] == "not computed"
    assert row["note"] == "one lab in 'other': lab_region and lab are confounded"
    assert np.isnan(row["p_unc"]) and np.isnan(row["p_adj"])
    assert row["diff"] == row["diff"]   # the respondent-level test is still shown

    r = _pair(_ref("multilevel_lme.csv"), "self_promotion", "lab_region", "china", "other")
    d = data[data.lab_region.isin(["china", "other"])].dropna(subset=["self_promotion"])
    x = np.column_stack([np.ones(len(d)), (d.lab_region == "china").to_numpy(float)])
    fit = fit_random_intercept(d["self_promotion"].to_numpy(), x, d["lab"])
    se = np.sqrt(fit.cov_beta[1, 1])
    assert fit.beta[1] == pytest.approx(r["estimate"], rel=1e-4)
    assert se == pytest.approx(r["se"], rel=1e-4)
    assert fit.beta[1] / se == pytest.approx(r["t"], rel=1e-4)
    assert fit.tau2 == pytest.approx(r["tau2"], rel=1e-4)
    assert fit.sigma2 == pytest.approx(r["sigma2"], rel=1e-4)
    assert (fit.n, fit.labs) == (r["n"], r["labs"])


def test_nested_comparison_reports_the_respondent_level_test_beside(inst, data):
    """The Welch columns equal scipy's unequal-variance t-test on the same respondents."""
    from scipy.stats import ttest_ind

    row = compare_nested(data, inst, "lab_region", constructs=["self_promotion"]).iloc[0]
    d = data.dropna(subset=["self_promotion"])
    a = d.loc[d.lab_region == "china", "self_promotion"]
    b = d.loc[d.lab_region == "united_states", "self_promotion"]
    res = ttest_ind(a, b, equal_var=False)
    assert row["diff"] == pytest.approx(a.mean() - b.mean(), rel=1e-12)
    assert row["welch_p"] == pytest.approx(res.pvalue, rel=1e-9)
    assert row["welch_df"] == pytest.approx(res.df, rel=1e-9)
    # the normal p-value statsmodels would report is smaller than nlme's t p-value
    assert row["p_z"] < row["p_unc"]


def test_few_labs_is_said(inst, data):
    got = compare_nested(data, inst, "lab_region", constructs=["self_promotion"])
    main = got[(got.group_a == "china") & (got.group_b == "united_states")].iloc[0]
    assert main["status"] == "ok" and main["note"] == ""
    # with min_labs=9 even China (8 labs) counts as few
    strict = compare_nested(data, inst, "lab_region", constructs=["self_promotion"],
                            groups=["china", "united_states"], min_labs=9)
    assert strict["status"].tolist() == ["few labs"]


def test_within_lab_grouping_uses_nlme_inner_df(inst, data):
    got = compare_nested(data, inst, "role", groups=["researcher", "engineer"],
                         constructs=["peer_respect"]).iloc[0]
    r = _pair(_ref("multilevel_lme.csv"), "peer_respect", "role", "researcher", "engineer")
    assert got["df"] == r["df"] == 262
    assert got["p_method"].startswith("t, df = N - labs - 1")
    for col in ("estimate", "se", "tau2", "sigma2"):
        assert got[col] == pytest.approx(r[col], rel=1e-4), col
    assert got["p_unc"] == pytest.approx(r["p"], rel=1e-3)


def test_fit_random_intercept_loglik_and_intercept_match_nlme(data):
    r = _pair(_ref("multilevel_lme.csv"), "self_promotion", "lab_region", "china",
              "united_states")
    d = data[data.lab_region.isin(["china", "united_states"])].dropna(subset=["self_promotion"])
    x = np.column_stack([np.ones(len(d)), (d.lab_region == "china").to_numpy(float)])
    fit = fit_random_intercept(d["self_promotion"].to_numpy(), x, d["lab"])
    assert fit.beta[0] == pytest.approx(r["intercept"], rel=1e-5)
    assert fit.loglik == pytest.approx(r["loglik"], rel=1e-7)
    assert (fit.n, fit.labs) == (555, 13)


def test_nested_hypotheses_match_nlme_with_the_predicted_sign(inst, data):
    got = evaluate_hypotheses_nested(data, inst)
    assert list(got.columns) == NESTED_HYPOTHESES_COLUMNS
    ref = _ref("multilevel_lme.csv")
    h1 = got[got.hypothesis == "H1"].iloc[0]   # united_states > china on self_promotion
    h7 = got[got.hypothesis == "H7"].iloc[0]   # china > united_states on peer_respect
    r1 = _pair(ref, "self_promotion", "lab_region", "china", "united_states")
    r7 = _pair(ref, "peer_respect", "lab_region", "china", "united_states")
    assert h1["estimate"] == pytest.approx(-r1["estimate"], rel=1e-4)
    assert h7["estimate"] == pytest.approx(r7["estimate"], rel=1e-4)
    assert (h1["df"], h7["df"]) == (11, 11)
    # Holm over the two testable hypotheses: 2 p(1), then max(that, p(2))
    p1, p7 = r1["p"], r7["p"]
    assert h1["p_adj"] == pytest.approx(2 * p1, rel=1e-3)
    assert h7["p_adj"] == pytest.approx(max(2 * p1, p7), rel=1e-3)
    assert (h1["verdict"], h7["verdict"]) == ("supported", "not supported")
    sd1 = np.sqrt(r1["tau2"] + r1["sigma2"])
    from scipy.stats import t as t_dist

    crit = t_dist.ppf(0.975, 11)
    assert h1["std_diff"] == pytest.approx(-r1["estimate"] / sd1, rel=1e-4)
    assert h1["std_ci_low"] == pytest.approx((-r1["estimate"] - crit * r1["se"]) / sd1,
                                             rel=1e-4)
    assert (h1["labs_higher"], h1["labs_lower"]) == (5, 8)
    others = got[~got.hypothesis.isin(["H1", "H7"])]
    assert set(others["verdict"]) == {"not testable"}
    assert others["note"].iloc[0] == "no score column for construct 'student_involvement'"


def test_one_lab_per_group_is_not_computed(inst):
    scores = pd.DataFrame({
        "lab_region": ["china"] * 5 + ["united_states"] * 5,
        "lab": ["CN-01"] * 5 + ["US-01"] * 5,
        "self_promotion": [2.0, 2.5, 3.0, 2.25, 2.75, 3.5, 3.25, 4.0, 3.75, 3.0],
    })
    row = compare_nested(scores, inst, "lab_region", constructs=["self_promotion"]).iloc[0]
    assert row["status"] == "not computed"
    assert row["note"] == "one lab per group: lab_region and lab are confounded"
    assert row["diff"] == pytest.approx(-1.0)   # the respondent-level test is still there
    assert np.isnan(row["p_adj"])


def test_inputs_are_not_changed_and_bad_input_raises(inst, data):
    before = data.copy()
    compare_nested(data, inst, "lab_region", constructs=["self_promotion"])
    lab_agreement(data, inst, constructs=["self_promotion"])
    pd.testing.assert_frame_equal(data, before)
    with pytest.raises(SurveyError, match="no column 'labs' with the lab"):
        compare_nested(data, inst, "lab_region", lab="labs")
    with pytest.raises(SurveyError, match="min_labs must be"):
        compare_nested(data, inst, "lab_region", min_labs=1)
    with pytest.raises(SurveyError, match="unknown construct"):
        lab_agreement(data, inst, constructs=["self_promo"])


# ---- r_wg(j) -----------------------------------------------------------------------------

def test_rwg_matches_r_formula(inst, data):
    got = lab_agreement(data, inst, constructs=CONSTRUCTS)
    assert list(got.columns) == AGREEMENT_COLUMNS
    ref = _ref("multilevel_rwg.csv")
    assert got[["construct", "lab", "n"]].values.tolist() == ref[
        ["construct", "lab", "n"]].values.tolist()
    np.testing.assert_allclose(got["mean_var"], ref["mean_var"], rtol=1e-9)
    np.testing.assert_allclose(got["rwg_j"], ref["rwg_j"], rtol=1e-9)
    summary = agreement_summary(got)
    for construct, part in ref.groupby("construct", sort=False):
        row = summary[summary.construct == construct].iloc[0]
        assert row["median_rwg_j"] == pytest.approx(float(np.median(part["rwg_j"])))
        assert row["share_070"] == pytest.approx(float((part["rwg_j"] >= 0.7).mean()))
        assert row["labs"] == 14


def test_rwg_truncates_and_skips_small_labs(inst):
    # lab a: answers spread over 1 and 5 (variance 4.8 > 2), so r_wg(j) = 0;
    # lab b has 3 respondents and is left out with the default min_lab_n = 5
    spread = [1, 5, 1, 5, 1, 5]
    data = pd.DataFrame({"lab": ["a"] * 6 + ["b"] * 3,
                         **{f"sp{k}": spread + [3, 3, 3] for k in range(1, 7)}})
    got = lab_agreement(data, inst, constructs=["self_promotion"])
    assert got["lab"].tolist() == ["a"]
    assert got["mean_var"].iloc[0] == pytest.approx(4.8)
    assert got["rwg_j"].iloc[0] == 0.0
    small = lab_agreement(data, inst, constructs=["self_promotion"], min_lab_n=3)
    assert small["rwg_j"].tolist() == [0.0, 1.0]


# ---- simulation: the lab-aware test keeps its level -------------------------------------

SIM_YAML = """\
id: simone
version: "1"
languages: [en]
title: {en: One construct}
scales:
  agree5:
    points: [1, 2, 3, 4, 5]
    labels: {en: [SD, D, N, A, SA]}
groups:
  - id: lab_region
    type: choice
    required: true
    text: {en: Region}
    choices:
      - {code: china, label: {en: China}}
      - {code: united_states, label: {en: United States}}
  - {id: lab, type: text, required: true, text: {en: Lab}}
constructs:
  - id: c1
    name: {en: C1}
    definition: {en: C1}
    scale: agree5
    items:
      - {id: c1a, text: {en: a}, reverse: false}
      - {id: c1b, text: {en: b}, reverse: true}
      - {id: c1c, text: {en: c}, reverse: false}
      - {id: c1d, text: {en: d}, reverse: true}
hypotheses:
  - {id: H1, construct: c1, by: lab_region, predicts: china > united_states, source: "x"}
"""


def _scores(frame: pd.DataFrame, instrument) -> pd.DataFrame:
    """Mean of keyed items (reverse as 6 - x), written out here independently."""
    c = instrument.constructs[0]
    x = frame[list(c.item_ids)].to_numpy(dtype=float, na_value=np.nan)
    rev = np.array([i.reverse for i in c.items])
    out = frame[["lab_region", "lab"]].copy()
    out[c.id] = np.where(rev, 6 - x, x).mean(axis=1)
    return out


def test_lab_aware_test_holds_its_level_where_welch_does_not():
    """60 data sets, 6 + 6 labs of 15, ICC 0.3, no planted difference (seeds 1-60).

    Measured: lab-aware false-positive rate 4/60 = 0.067, Welch 22/60 = 0.37 (the mean
    observed ICC(1) is 0.22, a design effect of about 1 + 14 * 0.22 = 4.1). Asserted:
    lab-aware <= 0.12 (if the true rate were .05, P(X >= 8 of 60) = 0.01) and
    Welch >= 0.20.
    """
    from survey.simulate import simulate

    inst = loads(SIM_YAML)
    hits_lab = hits_welch = 0
    reps = 60
    for seed in range(1, reps + 1):
        frame = simulate(inst, seed=seed, labs={"china": 6, "united_states": 6},
                         respondents_per_lab=(15, 15), effect=0.0, icc=0.3,
                         missing=0.0, inattentive=0.0)
        row = compare_nested(_scores(frame, inst), inst, "lab_region").iloc[0]
        hits_lab += row["p_unc"] < 0.05
        hits_welch += row["welch_p"] < 0.05
    assert hits_lab / reps <= 0.12
    assert hits_welch / reps >= 0.20


def test_remaining_nested_columns_against_nlme_and_by_hand(inst, data):
    """Columns the tests above leave out: icc_model, p_z and welch_se of compare_nested,
    std_ci_high of the nested hypotheses, items/null_var of lab_agreement, min/max of
    agreement_summary. Each from nlme's values (multilevel_lme.csv) or written out."""
    from scipy.stats import norm
    from scipy.stats import t as t_dist

    ref = _ref("multilevel_lme.csv")
    got = compare_nested(data, inst, "lab_region", constructs=["self_promotion"])
    row = got[(got.group_a == "china") & (got.group_b == "united_states")].iloc[0]
    r = _pair(ref, "self_promotion", "lab_region", "china", "united_states")
    # icc_model = tau2 / (tau2 + sigma2) with nlme's variance components
    assert row["icc_model"] == pytest.approx(r["tau2"] / (r["tau2"] + r["sigma2"]), rel=1e-4)
    # p_z: the normal (Wald z) p-value of nlme's estimate / se
    assert row["p_z"] == pytest.approx(2 * norm.sf(abs(r["estimate"] / r["se"])), rel=1e-3)
    # welch_se: sqrt(s_a^2 / n_a + s_b^2 / n_b) on the respondents of the pair
    d = data.dropna(subset=["self_promotion"])
    a = d.loc[d.lab_region == "china", "self_promotion"]
    b = d.loc[d.lab_region == "united_states", "self_promotion"]
    assert row["welch_se"] == pytest.approx(np.sqrt(a.var() / a.size + b.var() / b.size),
                                            rel=1e-12)

    h1 = evaluate_hypotheses_nested(data, inst).set_index("hypothesis").loc["H1"]
    sd1 = np.sqrt(r["tau2"] + r["sigma2"])
    crit = t_dist.ppf(0.975, 11)
    assert h1["std_ci_high"] == pytest.approx((-r["estimate"] + crit * r["se"]) / sd1,
                                              rel=1e-4)

    agreement = lab_agreement(data, inst, constructs=CONSTRUCTS)
    rwg = _ref("multilevel_rwg.csv")
    # 6 items per construct; uniform null on 5 points: (A^2 - 1) / 12 = 2
    assert set(agreement["items"]) == {6}
    assert set(agreement["null_var"]) == {2.0}
    summary = agreement_summary(agreement).set_index("construct")
    for construct, part in rwg.groupby("construct", sort=False):
        assert summary.loc[construct, "min_rwg_j"] == pytest.approx(part["rwg_j"].min(),
                                                                    rel=1e-9)
        assert summary.loc[construct, "max_rwg_j"] == pytest.approx(part["rwg_j"].max(),
                                                                    rel=1e-9)


def test_scores_that_do_not_vary_within_the_groups_are_refused():
    """Every respondent of a group gives the same score: the residual and lab variances
    are 0 and a t-test's standard error with them; the model says so instead of a
    standardised difference of about 1e40 (and 'supported'). A little variation is
    fitted (here the labs explain none of it: tau2 0, sigma2 the within-pair 0.1^2 * 6/5
    on 10 residual df, 12 * 0.01 / 10)."""
    x = np.column_stack([np.ones(12), np.repeat([1.0, 0.0], 6)])
    labs = list("aabbccddeeff")
    flat = np.repeat([5.0, 1.0], 6)
    with pytest.raises(SurveyError, match="do not vary within the groups"):
        fit_random_intercept(flat, x, labs)
    fit = fit_random_intercept(flat + np.tile([0.1, -0.1], 6), x, labs)
    assert fit.tau2 == 0.0 and fit.sigma2 == pytest.approx(12 * 0.01 / 10, rel=1e-12)


@pytest.mark.parametrize("value", [5.0, 1 / 3, 2.0, 0.0, 22.0])
def test_scores_that_do_not_vary_at_all_are_refused(value):
    """Every respondent of both groups gives the same score (a ceiling: all answer 5):
    there is no variance to estimate and the difference is 0. var(y) is then exactly 0,
    so a threshold relative to it alone let rounding through: the fixed effect came out
    as about 1e-16 on a standard error of about 1e-151, t of about 1e135 and a verdict
    of 'supported' or 'contrary' by the sign of the rounding."""
    rng = np.random.default_rng(7)
    for _ in range(20):
        n = int(rng.integers(10, 60))
        labs = rng.integers(0, 5, n).astype(str)
        group = (np.arange(n) % 2).astype(float)
        x = np.column_stack([np.ones(n), group])
        with pytest.raises(SurveyError, match="do not vary within the groups"):
            fit_random_intercept(np.full(n, value), x, labs)


def test_scores_alike_but_one_are_fitted():
    """Twelve respondents answering alike but one, who is a quarter point higher (a
    four-item mean): variation a survey really has is fitted, not refused. By hand, with
    the lab variance at 0 (at the boundary, REML = OLS): SSW = 0.25^2 * 5/6 in the first
    group, sigma2 = SSW / (12 - 2)."""
    x = np.column_stack([np.ones(12), np.repeat([1.0, 0.0], 6)])
    labs = list("abcdefghijkl")  # one respondent per lab: tau2 and sigma2 not separable
    y = np.repeat([4.0, 2.0], 6)
    y[0] = 4.25
    fit = fit_random_intercept(y, x, labs)
    assert fit.tau2 + fit.sigma2 == pytest.approx(0.25 ** 2 * 5 / 6 / 10, rel=1e-6)
    assert fit.beta[1] == pytest.approx(2.0 + 0.25 / 6, rel=1e-12)
