"""Sample-size planning for two groups of labs, and ``survey plan``.

References:
- unclustered case: statsmodels ``TTestIndPower`` (power and ``solve_power``), to
  ``rtol=1e-9`` on power and ``1e-6`` on n (statsmodels' own solver tolerance);
- clustered case: pingouin ``power_ttest`` on lab means with the lab-level effect
  ``d / sqrt(icc + (1 - icc) / m)`` (an independent route to the same power), and the
  labs-per-group column of the table in section 8 of the project notes (methods.md)
  (computed there with pingouin: 16.1, 10.2, 18.6, 13.0, 23.6, 18.6 labs);
- a simulation with ``survey.simulate``: the rejection rate of the lab-aware test over
  150 simulated studies against the planned power (tolerance 0.10, about 2.5 standard
  errors of a rate near 0.6 from 150 replications).
"""

from __future__ import annotations

import math

import numpy as np
import pingouin as pg
import pytest
from statsmodels.stats.power import TTestIndPower

from analysis.planning import (
    PLAN_COLUMNS,
    clustered_power,
    detectable_effect,
    effective_n,
    plan_sensitivity,
    plan_study,
    plan_table,
    ttest_power,
    unclustered_n,
)
from survey.errors import SurveyError


@pytest.mark.parametrize("effect, power, alpha, ratio", [
    (0.5, 0.8, 0.05, 1.0), (0.2, 0.9, 0.01, 1.0), (0.8, 0.8, 0.05, 2.0),
    (0.35, 0.85, 0.10, 0.5),
])
def test_unclustered_n_matches_statsmodels(effect, power, alpha, ratio):
    ref = TTestIndPower().solve_power(effect, nobs1=None, alpha=alpha, power=power,
                                      ratio=ratio)
    assert unclustered_n(effect, power, alpha, ratio) == pytest.approx(ref, rel=1e-6)


@pytest.mark.parametrize("effect, n_a, n_b, alpha", [
    (0.5, 64, 64, 0.05), (0.3, 40, 90, 0.05), (1.1, 8, 12, 0.01),
])
def test_ttest_power_matches_statsmodels(effect, n_a, n_b, alpha):
    ref = TTestIndPower().power(effect, n_a, alpha, ratio=n_b / n_a)
    assert ttest_power(effect, n_a, n_b, n_a + n_b - 2, alpha) == pytest.approx(ref, rel=1e-9)


def test_one_respondent_per_lab_without_icc_is_the_plain_t_test():
    plan = plan_study(0.5, icc=0.0, per_lab=1)
    n = TTestIndPower().solve_power(0.5, nobs1=None, alpha=0.05, power=0.8)
    assert plan.labs_a == math.ceil(n) == 64
    assert plan.design_effect == 1.0 and plan.n_effective_a == 64


@pytest.mark.parametrize("icc, per_lab, labs", [
    (0.05, 5, 17), (0.05, 10, 11), (0.10, 5, 19), (0.10, 10, 13), (0.20, 5, 24),
    (0.20, 10, 19),
])
def test_labs_needed_match_the_lab_mean_t_test(icc, per_lab, labs):
    plan = plan_study(0.5, icc=icc, per_lab=per_lab)
    assert (plan.labs_a, plan.labs_b) == (labs, labs)
    d_lab = 0.5 / math.sqrt(icc + (1 - icc) / per_lab)
    assert plan.achieved_power == pytest.approx(pg.power_ttest(d=d_lab, n=labs), rel=1e-9)
    assert pg.power_ttest(d=d_lab, n=labs - 1) < 0.8 <= plan.achieved_power
    assert plan.design_effect == pytest.approx(1 + (per_lab - 1) * icc)
    assert plan.n_a == labs * per_lab
    assert plan.n_effective_a == pytest.approx(labs * per_lab / plan.design_effect)
    assert plan.df == 2 * labs - 2 and plan.feasible and plan.binding == ""


def test_methods_reference_power_example():
    """methods.md: 12 labs x 8 per group, d = .4, ICC .15 -> .46 (naive: .79)."""
    assert clustered_power(0.4, 12, 12, 8, 0.15) == pytest.approx(0.46, abs=0.005)
    assert ttest_power(0.4, 96, 96, 190) == pytest.approx(0.79, abs=0.005)


def test_labs_as_the_binding_constraint():
    plan = plan_study(0.5, icc=0.10, labs=4)
    assert not plan.feasible and plan.binding == "labs" and plan.per_lab is None
    # a lab counts for at most 1/ICC = 10 respondents: pingouin with d / sqrt(icc)
    cap = pg.power_ttest(d=0.5 / math.sqrt(0.10), n=4)
    assert plan.max_power == pytest.approx(cap, rel=1e-9)
    assert plan.min_labs_a == 8
    assert pg.power_ttest(d=0.5 / math.sqrt(0.10), n=7) < 0.8
    assert pg.power_ttest(d=0.5 / math.sqrt(0.10), n=8) >= 0.8


def test_respondents_per_lab_for_given_labs():
    plan = plan_study(0.5, icc=0.10, labs=10)
    assert plan.feasible and plan.per_lab == 22

    def power(m):
        return pg.power_ttest(d=0.5 / math.sqrt(0.1 + 0.9 / m), n=10)

    assert power(21) < 0.8 <= power(22)
    assert plan.achieved_power == pytest.approx(power(22), rel=1e-9)


def test_unequal_groups():
    plan = plan_study(0.5, icc=0.10, per_lab=10, ratio=2.0)
    assert plan.labs_b == 2 * plan.labs_a
    ref = TTestIndPower().power(0.5 / math.sqrt(0.19), plan.labs_a, 0.05, ratio=2.0)
    assert plan.achieved_power == pytest.approx(ref, rel=1e-9)
    one_less = TTestIndPower().power(0.5 / math.sqrt(0.19), plan.labs_a - 1, 0.05, ratio=2.0)
    assert one_less < 0.8


def test_plan_table_rows():
    table = plan_table(0.5, per_lab_values=(5, 10))
    assert table.columns.tolist() == PLAN_COLUMNS
    assert table["labs_a"].tolist() == [19, 13]


@pytest.mark.parametrize("kwargs, message", [
    ({"per_lab": 10, "labs": 4}, "either the respondents per lab or the number of labs"),
    ({}, "either the respondents per lab or the number of labs"),
    ({"per_lab": 0}, "respondents per lab must be a whole number of at least 1"),
    ({"labs": 1}, "the number of labs must be a whole number of at least 2"),
    ({"per_lab": 5, "icc": 1.0}, "the ICC must satisfy 0 <= icc < 1"),
    ({"per_lab": 5, "power": 0.01}, "power must be between alpha and 1"),
])
def test_bad_input(kwargs, message):
    with pytest.raises(SurveyError, match=message):
        plan_study(0.5, **kwargs)
    with pytest.raises(SurveyError, match="effect must be a standardised difference above 0"):
        plan_study(0.0, per_lab=5)


def test_planned_power_matches_a_simulation_with_survey_simulate():
    """150 simulated studies of 6 + 6 labs of 10, latent effect 0.8, latent ICC 0.2.

    The observed-scale effect and ICC come from the same runs (mean REML estimates:
    d = 0.712, ICC = 0.145). Measured: the lab-aware test rejects in 89 of 150 (0.593);
    the plan gives 0.639; a calculation ignoring labs gives 0.972 (and Welch's test on
    respondents rejects in 85 %).
    """
    from analysis.multilevel import compare_nested
    from survey.instrument import loads
    from survey.simulate import simulate
    from tests.test_multilevel import SIM_YAML, _scores

    inst = loads(SIM_YAML)
    rows = []
    for seed in range(1, 151):
        frame = simulate(inst, seed=seed, labs={"china": 6, "united_states": 6},
                         respondents_per_lab=(10, 10), effect=0.8, icc=0.2,
                         missing=0.0, inattentive=0.0)
        rows.append(compare_nested(_scores(frame, inst), inst, "lab_region").iloc[0])
    tau2 = np.mean([r["tau2"] for r in rows])
    sigma2 = np.mean([r["sigma2"] for r in rows])
    d = np.mean([r["estimate"] for r in rows]) / np.sqrt(tau2 + sigma2)
    icc = tau2 / (tau2 + sigma2)
    empirical = np.mean([r["p_unc"] < 0.05 for r in rows])
    planned = clustered_power(d, 6, 6, 10, icc)
    naive = ttest_power(d, 60, 60, 118)
    assert abs(empirical - planned) <= 0.10
    assert empirical < naive - 0.2


# ---- survey plan ----------------------------------------------------------------------

def _invoke(args):
    from click.testing import CliRunner

    from survey.cli import cli

    return CliRunner().invoke(cli, ["plan", *args])


def test_cli_per_lab():
    result = _invoke(["--effect", "0.5", "--per-lab", "10"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1] == "Ignoring labs: 63.8 + 63.8 respondents (two-sample t-test)"
    assert lines[2] == "With 10 respondents per lab: design effect 1 + (10 - 1) x 0.1 = 1.9"
    assert lines[3] == "  labs needed: 13 + 13 (26 in all)"
    assert lines[5] == "  power 0.801 (t-test on 24 df: labs - 2)"


def test_cli_labs_binding():
    result = _invoke(["--effect", "0.5", "--labs", "4"])
    assert result.exit_code == 0, result.output
    assert ("With 4 + 4 labs even unlimited respondents per lab reach power 0.467 at most: "
            "the number of labs is the binding constraint. At least 8 + 8 labs are needed."
            ) in result.output


def test_cli_table_without_lab_size():
    result = _invoke(["--effect", "0.5", "--icc", "0.2"])
    assert result.exit_code == 0, result.output
    rows = [line for line in result.output.splitlines() if line.strip().startswith("10 |")]
    assert rows and "19 + 19" in rows[0]


@pytest.mark.parametrize("args, message", [
    (["--effect", "x"], "error: --effect: 'x' is not a number"),
    (["--effect", "0.5", "--labs", "4", "--per-lab", "3"],
     "error: give --per-lab or --labs, not both; without --effect, both give the smallest "
     "detectable difference"),
    (["--labs", "4"], "error: give --effect D to plan a study, or --labs and --per-lab "
                      "without --effect for the smallest detectable difference"),
    (["--effect", "0.5", "--icc", "1.2"], "error: the ICC must satisfy 0 <= icc < 1, got 1.2"),
    (["--effect", "0.5", "--labs", "2.5"], "error: --labs: '2.5' is not a whole number"),
])
def test_cli_bad_input_is_one_line(args, message):
    result = _invoke(args)
    assert result.exit_code == 2
    assert result.output.strip() == message


def test_cli_help():
    result = _invoke(["--help"])
    assert result.exit_code == 0 and "--per-lab" in result.output


def test_plan_columns_of_the_second_group_and_the_unclustered_sizes():
    """The plan's own copies of the sizes against statsmodels and arithmetic written out."""
    plan = plan_study(0.5, icc=0.10, per_lab=10, ratio=2.0)
    n = TTestIndPower().solve_power(0.5, nobs1=None, alpha=0.05, power=0.8, ratio=2.0)
    assert plan.n_unclustered_a == pytest.approx(n, rel=1e-6)
    assert plan.n_unclustered_b == pytest.approx(2 * n, rel=1e-6)
    assert plan.n_b == plan.labs_b * 10
    assert plan.n_effective_b == pytest.approx(plan.labs_b * 10 / 1.9)   # DE = 1 + 9 * .1
    assert plan.df == plan.labs_a + plan.labs_b - 2
    # fewest labs (infinitely many respondents each): a lab counts for 1 / ICC = 10
    cap = TTestIndPower()
    assert cap.power(0.5 / math.sqrt(0.1), plan.min_labs_a, 0.05, ratio=2.0) >= 0.8
    assert cap.power(0.5 / math.sqrt(0.1), plan.min_labs_a - 1, 0.05, ratio=2.0) < 0.8
    assert plan.min_labs_b == 2 * plan.min_labs_a


# ---- sensitivity: the smallest detectable difference ----------------------------------

@pytest.mark.parametrize("n_a, n_b, alpha, power", [
    (64, 64, 0.05, 0.8), (20, 35, 0.05, 0.9), (12, 12, 0.01, 0.8),
])
def test_detectable_effect_matches_pingouin(n_a, n_b, alpha, power):
    """pingouin.power_ttest2n solves the same noncentral-t equation for d."""
    ref = pg.power_ttest2n(n_a, n_b, power=power, alpha=alpha)
    got = detectable_effect(n_a, n_b, n_a + n_b - 2, power=power, alpha=alpha)
    assert got == pytest.approx(ref, rel=1e-5)
    assert ttest_power(got, n_a, n_b, n_a + n_b - 2, alpha) == pytest.approx(power, abs=1e-9)


@pytest.mark.parametrize("labs, per_lab, icc", [(13, 10, 0.10), (6, 25, 0.05), (4, 40, 0.2)])
def test_plan_sensitivity_is_the_lab_mean_t_test(labs, per_lab, icc):
    """Equal labs: the detectable lab-level d of pingouin.power_ttest on labs, times the SD
    of a lab mean in respondent SD units, sqrt(icc + (1 - icc) / m)."""
    lab_level = pg.power_ttest(n=labs, power=0.8, alpha=0.05)
    expected = lab_level * math.sqrt(icc + (1 - icc) / per_lab)
    assert plan_sensitivity(labs, per_lab, icc=icc) == pytest.approx(expected, rel=1e-5)
    # and it is the inverse of the plan: that effect needs exactly these labs
    d = plan_sensitivity(labs, per_lab, icc=icc)
    assert plan_study(d * 1.0001, icc=icc, per_lab=per_lab).labs_a == labs


def test_effective_n_by_hand():
    # 25 / (1 + 24 * .1) + 60 / (1 + 59 * .1) = 7.352941 + 8.695652
    assert effective_n([25, 60], 0.1) == pytest.approx(25 / 3.4 + 60 / 6.9, rel=1e-12)
    assert effective_n([25, 60], 0.0) == 85.0


def test_power_with_few_df_and_a_large_effect_is_finite():
    """scipy's noncentral t lower tail is nan here (2 df, ncp 15.5); the power is checked
    against the definition integrated numerically: T = (Z + ncp) / sqrt(V / df), so
    P(T > c) = E_V[P(Z > c sqrt(V / df) - ncp)] with V chi-squared on df."""
    from scipy import integrate, stats

    ncp, df = 4.0 * math.sqrt(15), 2
    crit = stats.t.isf(0.025, df)
    upper, _ = integrate.quad(
        lambda v: stats.norm.sf(crit * math.sqrt(v / df) - ncp) * stats.chi2.pdf(v, df),
        0, np.inf)
    assert ttest_power(4.0, 30, 30, df) == pytest.approx(upper, rel=1e-9)
    assert math.isfinite(detectable_effect(8.0, 8.0, 2))
    # ncp 8.25 on 2 df, where scipy's lower tail is nan too (2 + 2 labs of 6 at a large
    # ICC in a report): the integral gives what scipy gives a little further in
    lower, _ = integrate.quad(
        lambda v: stats.norm.cdf(-crit * math.sqrt(v / df) - 8.25) * stats.chi2.pdf(v, df),
        0, np.inf)
    n = 2 * (8.25 / 3.0) ** 2   # effect 3.0 with n + n gives ncp 8.25
    assert ttest_power(3.0, n, n, df) == pytest.approx(
        stats.nct.sf(crit, df, 8.25) + lower, rel=1e-9)
    assert math.isfinite(detectable_effect(3.0, 3.0, 2))


def test_cli_sensitivity_and_cluster_name():
    result = _invoke(["--labs", "13", "--per-lab", "10"])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Two groups of 13 + 13 labs of 10 respondents, ICC 0.1, two-sided alpha = 0.05, "
        "power 0.8",
        "Smallest detectable standardised difference: d = 0.499 (t-test on 24 df: labs - 2; "
        "design effect 1 + (10 - 1) x 0.1 = 1.9)",
    ]
    result = _invoke(["--effect", "0.5", "--per-lab", "10", "--cluster", "team"])
    assert result.exit_code == 0, result.output
    assert "  teams needed: 13 + 13 (26 in all)" in result.output.splitlines()
    assert "Teams are the floor: at ICC 0.1 a team counts" in result.output
    assert " lab" not in result.output
