"""One verdict per hypothesis, from one engine: ``analysis.hypotheses.decide_hypotheses``.

What is checked, and against what:

- ``survey compare`` and ``survey report`` write the same ``hypotheses.csv`` (byte for
  byte) and print the same verdicts, decided by the lab-aware test when the responses
  have a cluster column, whatever that question is called (``cluster:`` in the
  instrument, ``--cluster`` on the command line);
- a group with one lab makes the lab-aware verdict ``not testable``;
- the sensitivity analysis ``mde``: against ``pingouin.power_ttest`` on lab means (equal
  labs: the lab-level detectable effect times ``sqrt(icc + (1 - icc) / m)``), against the
  model's own standard error (the same precision, another route), and by simulation
  (seed 11): at the planned ``mde`` the lab-aware test rejects in about 80 % of studies;
- the TOST: against ``pingouin.tost`` in the respondent-level case (Welch's test without
  a cluster column, ``correction=True``; Student's with one respondent per lab, where
  the mixed model reduces to the pooled-variance t-test, ``correction=False``), and by
  simulation in the clustered case (seed 23): with the true difference on the bound the
  TOST rejects in about alpha of studies, with no difference in most.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pingouin as pg
import pytest

from analysis.hypotheses import DECISION_COLUMNS, VERDICTS, decide_hypotheses
from analysis.planning import plan_sensitivity
from survey.errors import SurveyError
from survey.instrument import loads

ONE_YAML = """\
id: one
version: "1"
languages: [en]
title: {en: One hypothesis}
scales:
  agree5: {points: [1, 2, 3, 4, 5], labels: {en: [SD, D, N, A, SA]}}
groups:
  - id: region
    type: choice
    required: true
    text: {en: Region}
    choices:
      - {code: east, label: {en: East}}
      - {code: west, label: {en: West}}
  - {id: %(cluster)s, type: text, required: true, text: {en: Cluster}}
%(key)s
constructs:
  - id: c
    name: {en: C}
    definition: {en: C}
    scale: agree5
    items:
      - {id: c1, text: {en: one}, reverse: false}
      - {id: c2, text: {en: two}, reverse: true}
hypotheses:
  - {id: H1, construct: c, by: region, predicts: west > east, source: s}
"""


def _inst(cluster: str = "lab", key: str = ""):
    return loads(ONE_YAML % {"cluster": cluster, "key": key})


def _clustered(rng, labs: tuple[int, int], per_lab: int, icc: float, diff: float,
               cluster: str = "lab") -> pd.DataFrame:
    """Scores with a lab random intercept (variance icc) and unit total variance;
    ``west`` is ``diff`` (in total-SD units) above ``east``."""
    rows = []
    for region, n_labs, shift in (("east", labs[0], 0.0), ("west", labs[1], diff)):
        for j in range(n_labs):
            u = rng.normal(0.0, math.sqrt(icc))
            y = shift + u + rng.normal(0.0, math.sqrt(1 - icc), per_lab)
            rows += [(region, f"{region[0].upper()}-{j:02d}", v) for v in y]
    return pd.DataFrame(rows, columns=["region", cluster, "c"])


# ---- the engine ----------------------------------------------------------------------------

def test_columns_and_verdicts():
    rng = np.random.default_rng(5)
    table = decide_hypotheses(_clustered(rng, (6, 6), 20, 0.1, 0.8), _inst())
    assert list(table.columns) == DECISION_COLUMNS
    row = table.iloc[0]
    assert row["test"] == "mixed" and row["verdict"] in VERDICTS
    assert row["df"] == 10  # 12 labs - 2, as nlme
    assert row["comparison_support"] == "ok"
    assert 0 < row["mde"] < 2 and 0 <= row["icc_model"] < 1
    assert np.isnan(row["p_tost"]) and np.isnan(row["equivalence_bound"])


def test_without_a_cluster_column_welch_decides_and_says_so():
    rng = np.random.default_rng(5)
    scores = _clustered(rng, (6, 6), 20, 0.1, 0.8).drop(columns="lab")
    row = decide_hypotheses(scores, _inst()).iloc[0]
    assert row["test"] == "welch" and row["p_method"] == "Welch's t"
    assert row["p_adj"] == row["p_adj_welch"] and row["verdict"] == row["verdict_welch"]
    assert row["comparison_support"] == "labs not checked (no lab column)"
    # the sensitivity of the respondent-level test: pingouin, n = 120 + 120
    assert row["mde"] == pytest.approx(pg.power_ttest2n(120, 120, power=0.8), rel=1e-5)
    inst = _inst(key="cluster: null")
    row = decide_hypotheses(_clustered(rng, (6, 6), 20, 0.1, 0.8), inst).iloc[0]
    assert row["test"] == "welch"
    assert row["comparison_support"] == "labs not checked (no cluster question)"


def test_one_lab_in_a_group_is_not_testable():
    rng = np.random.default_rng(5)
    row = decide_hypotheses(_clustered(rng, (1, 6), 30, 0.1, 0.8), _inst()).iloc[0]
    assert row["verdict"] == "not testable" and row["test"] == "mixed"
    assert row["note"] == "one lab in 'east': region and lab are confounded"
    assert row["comparison_support"] == "not tested"
    assert np.isnan(row["p_adj"]) and row["verdict_welch"] in VERDICTS


def test_bad_equivalence_bound():
    rng = np.random.default_rng(5)
    for bad in (0, -0.2, float("inf"), True):
        with pytest.raises(SurveyError, match="equivalence bound must be a standardised"):
            decide_hypotheses(_clustered(rng, (3, 3), 5, 0.1, 0.0), _inst(), equivalence=bad)


# ---- the cluster question need not be called lab -------------------------------------------

def test_the_instruments_cluster_question_is_used():
    rng = np.random.default_rng(7)
    scores = _clustered(rng, (6, 6), 20, 0.2, 0.8, cluster="team")
    named = decide_hypotheses(scores, _inst("team", "cluster: team")).iloc[0]
    # the same data with the column called lab and the default cluster
    plain = decide_hypotheses(scores.rename(columns={"team": "lab"}), _inst()).iloc[0]
    assert named["test"] == "mixed"
    for col in ("estimate", "se", "df", "p_adj", "mde"):
        assert named[col] == pytest.approx(plain[col], rel=1e-12), col
    # without the key nothing names 'team' the cluster: the Welch test decides
    unnamed = decide_hypotheses(scores, _inst("team")).iloc[0]
    assert unnamed["test"] == "welch"
    assert unnamed["comparison_support"] == "labs not checked (no cluster question)"
    # the argument overrides the instrument
    override = decide_hypotheses(scores, _inst("team"), cluster="team").iloc[0]
    assert override["p_adj"] == pytest.approx(plain["p_adj"], rel=1e-12)
    with pytest.raises(SurveyError, match="cluster 'teem' is not a grouping question of "
                                          "instrument 'one'.*did you mean 'team'"):
        decide_hypotheses(scores, _inst("team"), cluster="teem")


# ---- sensitivity: the smallest detectable difference -----------------------------------

def test_mde_is_the_planning_formula_and_the_models_precision():
    """Equal labs: pingouin on lab means; and the model's SE gives the same figure."""
    from analysis.planning import detectable_effect

    rng = np.random.default_rng(9)
    row = decide_hypotheses(_clustered(rng, (7, 7), 15, 0.15, 0.5), _inst()).iloc[0]
    icc = row["icc_model"]
    lab_level = pg.power_ttest(n=7, power=0.8, alpha=0.05)
    assert row["mde"] == pytest.approx(lab_level * math.sqrt(icc + (1 - icc) / 15), rel=1e-5)
    assert row["mde"] == pytest.approx(plan_sensitivity(7, 15, icc=icc), rel=1e-9)
    # another route: the precision of the estimate itself, SE / SD per unit of n_eff
    sd = row["estimate"] / row["std_diff"]
    n_eff = 2 * sd**2 / row["se"] ** 2
    assert row["mde"] == pytest.approx(detectable_effect(n_eff, n_eff, row["df"]), rel=1e-6)


def test_mde_with_labs_of_unequal_size_is_the_models_precision():
    from analysis.planning import detectable_effect

    rng = np.random.default_rng(4)
    parts = [_clustered(rng, (3, 4), m, 0.1, 0.4) for m in (8, 25)]
    parts[1]["lab"] = parts[1]["lab"] + "b"
    row = decide_hypotheses(pd.concat(parts, ignore_index=True), _inst()).iloc[0]
    sd = row["estimate"] / row["std_diff"]
    n_eff = 2 * sd**2 / row["se"] ** 2
    assert row["mde"] == pytest.approx(detectable_effect(n_eff, n_eff, row["df"]), rel=1e-6)


@pytest.mark.slow
def test_at_the_mde_the_lab_aware_test_has_80_percent_power():
    """200 studies of 8 + 8 labs of 20, ICC 0.10, true difference = the planned mde
    (0.5737 SD; seed 11). Measured: 162 of 200 reject (0.810), and the mde the report
    computes from each study's own estimates averages 0.562. Asserted: within 0.08 of
    0.80 (about 3 standard errors of a rate near 0.8 from 200 studies) and the mean
    reported mde within 0.05 of the planned one."""
    d = plan_sensitivity(8, 20, icc=0.10)
    assert d == pytest.approx(0.5737, abs=1e-4)
    rng = np.random.default_rng(11)
    inst = _inst()
    hits = 0
    reps = 200
    reported = []
    for _ in range(reps):
        row = decide_hypotheses(_clustered(rng, (8, 8), 20, 0.10, d), inst).iloc[0]
        hits += row["verdict"] == "supported"
        reported.append(row["mde"])
    assert abs(hits / reps - 0.80) <= 0.08
    assert abs(np.mean(reported) - d) <= 0.05


# ---- equivalence: two one-sided tests ------------------------------------------------------

def test_tost_without_clusters_is_pingouins_welch_tost():
    rng = np.random.default_rng(3)
    scores = _clustered(rng, (4, 4), 12, 0.0, 0.1).drop(columns="lab")
    scores.loc[scores["region"] == "west", "c"] *= 1.6   # unequal variances
    row = decide_hypotheses(scores, _inst(), equivalence=0.5).iloc[0]
    x = scores.loc[scores["region"] == "west", "c"].to_numpy()
    y = scores.loc[scores["region"] == "east", "c"].to_numpy()
    sp = math.sqrt(((x.size - 1) * x.var(ddof=1) + (y.size - 1) * y.var(ddof=1))
                   / (x.size + y.size - 2))
    ref = pg.tost(x, y, bound=0.5 * sp, correction=True)
    assert row["p_tost"] == pytest.approx(ref.at["TOST", "pval"], rel=1e-9)
    assert row["df"] == pytest.approx(ref.at["TOST", "dof"], rel=1e-9)
    assert row["p_tost_adj"] == row["p_tost"]  # one hypothesis: a family of one


def test_tost_with_one_respondent_per_lab_is_pingouins_student_tost():
    """Every lab of size 1: the random-intercept model is the pooled-variance t-test
    (REML cannot tell tau2 from sigma2, only their sum), on N - 2 = labs - 2 df."""
    rng = np.random.default_rng(8)
    scores = _clustered(rng, (30, 25), 1, 0.0, 0.15)
    row = decide_hypotheses(scores, _inst(), equivalence=0.6).iloc[0]
    assert row["test"] == "mixed" and row["df"] == 53
    x = scores.loc[scores["region"] == "west", "c"].to_numpy()
    y = scores.loc[scores["region"] == "east", "c"].to_numpy()
    sp = math.sqrt(((x.size - 1) * x.var(ddof=1) + (y.size - 1) * y.var(ddof=1))
                   / (x.size + y.size - 2))
    assert row["estimate"] / row["std_diff"] == pytest.approx(sp, rel=1e-6)
    ref = pg.tost(x, y, bound=0.6 * sp, correction=False)
    assert row["p_tost"] == pytest.approx(ref.at["TOST", "pval"], rel=1e-6)
    assert row["verdict"] == ("equivalent" if ref.at["TOST", "pval"] < 0.05
                              else "not supported")


@pytest.mark.slow
def test_tost_on_clustered_data_holds_its_level():
    """200 studies each of 8 + 8 labs of 20, ICC 0.10 (seed 23), bound D = 0.8.

    True difference on the bound (0.8 SD): the TOST rejects (p_tost < .05, the
    difference wrongly shown inside the bounds) in about alpha of studies; measured 9 of
    200 (0.045); asserted <= 0.10 (if the true rate were .05, P(X >= 20 of 200) = 0.003).
    No difference: measured 181 of 200 (0.905) called equivalent; asserted >= 0.8. The
    respondent-level TOST on the same boundary studies ignores the labs and rejects far
    too often (measured 33 of 200, 0.165; asserted >= 0.10), which is why the TOST runs on
    the lab-aware model.
    """
    rng = np.random.default_rng(23)
    inst = _inst()
    reps = 200
    on_bound = at_zero = naive = 0
    for _ in range(reps):
        scores = _clustered(rng, (8, 8), 20, 0.10, 0.8)
        on_bound += decide_hypotheses(scores, inst, equivalence=0.8).iloc[0]["p_tost"] < .05
        naive += decide_hypotheses(scores.drop(columns="lab"), inst,
                                   equivalence=0.8).iloc[0]["p_tost"] < 0.05
        scores = _clustered(rng, (8, 8), 20, 0.10, 0.0)
        at_zero += decide_hypotheses(scores, inst, equivalence=0.8).iloc[0][
            "verdict"] == "equivalent"
    assert on_bound / reps <= 0.10
    assert at_zero / reps >= 0.8
    assert naive / reps >= 0.10


# ---- groups left out of a comparison --------------------------------------------------------

def test_groups_not_compared_make_their_hypotheses_not_testable():
    rng = np.random.default_rng(5)
    scores = _clustered(rng, (6, 6), 20, 0.1, 1.5)
    row = decide_hypotheses(scores, _inst(), groups={"region": ["east"]}).iloc[0]
    assert row["verdict"] == "not testable"
    assert row["note"] == "'west' not among the groups compared"
    assert row["verdict_welch"] == "not testable"
    both = decide_hypotheses(scores, _inst(), groups={"region": ["west", "east"]}).iloc[0]
    assert both["verdict"] == "supported"


# ---- the command line: compare and report agree --------------------------------------------

def _run(args):
    from click.testing import CliRunner

    from survey.cli import cli

    return CliRunner().invoke(cli, [str(a) for a in args])


def _write_study(tmp_path, *, cluster: str = "lab", key: str = "", labs=(6, 6), seed=2):
    """An instrument file and simulated answers to it (ids SIM-...): 2 items, 1 keyed
    in reverse, a latent difference of 0.8 SD, ICC 0.2."""
    yaml_path = tmp_path / "one.yaml"
    yaml_path.write_text(ONE_YAML % {"cluster": cluster, "key": key}, encoding="utf-8")
    rng = np.random.default_rng(seed)
    scores = _clustered(rng, labs, 15, 0.2, 0.8, cluster=cluster)
    y = scores["c"].to_numpy()
    c1 = np.clip(np.rint(3 + y + rng.normal(0, 0.5, y.size)), 1, 5).astype(int)
    c2 = np.clip(np.rint(3 - y + rng.normal(0, 0.5, y.size)), 1, 5).astype(int)
    frame = pd.DataFrame({"respondent_id": [f"SIM-{i:04d}" for i in range(1, y.size + 1)],
                          "region": scores["region"], cluster: scores[cluster],
                          "c1": c1, "c2": c2})
    data = tmp_path / "answers.csv"
    frame.to_csv(data, index=False)
    return yaml_path, data


def test_compare_and_report_give_the_same_verdicts(tmp_path):
    yaml_path, data = _write_study(tmp_path)
    cmp = _run(["compare", data, "-i", yaml_path, "--by", "region", "-o", tmp_path / "c"])
    rep = _run(["report", data, "-i", yaml_path, "-o", tmp_path / "r"])
    assert cmp.exit_code == 0, cmp.output
    assert rep.exit_code == 0, rep.output
    same = (tmp_path / "c" / "hypotheses.csv").read_bytes()
    assert same == (tmp_path / "r" / "tables" / "hypotheses.csv").read_bytes()
    assert (tmp_path / "c" / "nested.csv").read_bytes() == (
        tmp_path / "r" / "tables" / "nested.csv").read_bytes()
    table = pd.read_csv(tmp_path / "c" / "hypotheses.csv")
    assert table.loc[0, "test"] == "mixed"
    # both print which test decided, the same way, and the same verdict lines
    line = ("verdicts: lab-aware test (mixed model with a random intercept for 'lab', REML, "
            "t on nlme's df); p_adj: Holm across the 1 testable hypothesis")
    for result in (cmp, rep):
        lines = result.output.splitlines()
        assert line in lines
    tail = cmp.output.splitlines().index(line)
    head = rep.output.splitlines().index(line)
    assert cmp.output.splitlines()[tail:tail + 3] == rep.output.splitlines()[head:head + 3]
    # compare says which of its own tables ignore the labs
    assert ("note: pairwise.csv and omnibus.csv treat respondents as independent; "
            "nested.csv compares the groups with a random intercept for 'lab'") in cmp.output


def test_a_cluster_question_of_another_name(tmp_path):
    """'team' named by the instrument, or by --cluster: the same lab-aware verdicts."""
    yaml_path, data = _write_study(tmp_path, cluster="team", key="cluster: team")
    ref = _run(["compare", data, "-i", yaml_path, "--by", "region", "-o", tmp_path / "a"])
    assert ref.exit_code == 0, ref.output
    named = pd.read_csv(tmp_path / "a" / "hypotheses.csv")
    assert named.loc[0, "test"] == "mixed" and named.loc[0, "labs_higher"] == 6
    assert "random intercept for 'team'" in ref.output
    # the same instrument without the key: only --cluster makes team the cluster
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "one.yaml").write_text(ONE_YAML % {"cluster": "team", "key": ""},
                                    encoding="utf-8")
    res = _run(["compare", data, "-i", plain / "one.yaml", "--by", "region",
                "-o", tmp_path / "b"])
    assert "labs not checked (no cluster question)" in pd.read_csv(
        tmp_path / "b" / "hypotheses.csv").loc[0, "comparison_support"]
    assert "Welch's t between respondents (the instrument names no cluster question)" \
        in res.output
    res = _run(["report", data, "-i", plain / "one.yaml", "--cluster", "team",
                "-o", tmp_path / "r"])
    assert res.exit_code == 0, res.output
    got = pd.read_csv(tmp_path / "r" / "tables" / "hypotheses.csv")
    assert got.loc[0, "p_adj"] == pytest.approx(named.loc[0, "p_adj"], rel=1e-12)
    assert len(pd.read_csv(tmp_path / "r" / "tables" / "icc.csv")) == 1
    methods = (tmp_path / "r" / "report.html").read_text(encoding="utf-8")
    assert "(the labs are the answers to &#39;team&#39;)" in methods
    for command in (["compare", data, "-i", yaml_path, "--by", "region"],
                    ["report", data, "-i", yaml_path]):
        res = _run([*command, "--cluster", "tema", "-o", tmp_path / "x"])
        assert res.exit_code == 2
        assert res.stderr == ("error: cluster 'tema' is not a grouping question of "
                              "instrument 'one'; grouping questions: region, team. did you "
                              "mean 'team'?\n")


def test_simulated_one_lab_per_group_is_not_testable_on_the_console(tmp_path):
    """The workflow of the issue: survey simulate --labs china=1,united_states=1, then
    survey report: the verdicts are 'not testable' with the reason, on the console too."""
    from test_report import SMALL_YAML

    yaml_path = tmp_path / "small.yaml"
    yaml_path.write_text(SMALL_YAML, encoding="utf-8")
    data = tmp_path / "one_lab_each.csv"
    res = _run(["simulate", yaml_path, "--labs", "china=1,united_states=1",
                "--respondents-per-lab", "40-40", "--effect", "0.8", "-o", data])
    assert res.exit_code == 0, res.output
    for command, out in ((["report", data, "-i", yaml_path], "r"),
                         (["compare", data, "-i", yaml_path, "--by", "lab_region"], "c")):
        res = _run([*command, "-o", tmp_path / out])
        assert res.exit_code == 0, res.output
        lines = [line for line in res.output.splitlines() if line.startswith(("H1 ", "H2 "))]
        assert len(lines) == 2
        for line in lines:
            assert line.endswith("not testable (one lab per group: lab_region and lab are "
                                 "confounded)"), line
        assert "supported" not in "".join(lines)


def test_compare_groups_leaves_the_other_hypotheses_untested(tmp_path):
    yaml_path, data = _write_study(tmp_path, labs=(6, 6))
    res = _run(["compare", data, "-i", yaml_path, "--by", "region", "--groups", "east",
                "-o", tmp_path / "c"])
    assert res.exit_code == 0, res.output
    assert "no test computed" in res.output
    line = next(x for x in res.output.splitlines() if x.startswith("H1 "))
    assert line.endswith("not testable ('west' not among the groups compared)")
    assert "supported" not in res.output


def test_a_wrong_by_is_worded_the_same_by_report_and_compare(tmp_path):
    yaml_path, data = _write_study(tmp_path)
    expected = ("error: 'regoin' is not a grouping question of the instrument; grouping "
                "questions: region, lab. did you mean 'region'?\n")
    for command in (["compare", data, "-i", yaml_path, "--by", "regoin"],
                    ["report", data, "-i", yaml_path, "--by", "regoin"]):
        res = _run([*command, "-o", tmp_path / "x"])
        assert res.exit_code == 2 and res.stderr == expected
    for command in (["compare", data, "-i", yaml_path, "--by", "c1"],
                    ["report", data, "-i", yaml_path, "--by", "c1"]):
        res = _run([*command, "-o", tmp_path / "x"])
        assert res.stderr.startswith("error: 'c1' is not a grouping question of the "
                                     "instrument; grouping questions: region, lab.")


def test_equivalence_option_on_both_commands(tmp_path):
    yaml_path, data = _write_study(tmp_path)
    runs = ((["compare", data, "-i", yaml_path, "--by", "region"], tmp_path / "c",
             tmp_path / "c" / "hypotheses.csv"),
            (["report", data, "-i", yaml_path], tmp_path / "r",
             tmp_path / "r" / "tables" / "hypotheses.csv"))
    for command, out, table in runs:
        res = _run([*command, "--equivalence", "3", "-o", out])
        assert res.exit_code == 0, res.output
        got = pd.read_csv(table)
        assert got.loc[0, "equivalence_bound"] == 3.0 and got.loc[0, "p_tost"] < 0.05
        assert "equivalent: TOST inside ±3 SD, adjusted the same way" in res.output
    assert (tmp_path / "c" / "hypotheses.csv").read_bytes() == (
        tmp_path / "r" / "tables" / "hypotheses.csv").read_bytes()
    res = _run(["compare", data, "-i", yaml_path, "--by", "region", "--equivalence", "0",
                "-o", tmp_path / "z"])
    assert res.exit_code == 2 and "--equivalence" in res.stderr


@pytest.mark.slow
def test_compare_on_the_sample_gives_the_reports_verdicts(tmp_path):
    """The sample: compare used to support H1, H2, H4, H5 and H8 with Welch's test, while
    the report (lab-aware) supports H1 and H8. Now compare decides as the report does,
    and keeps the respondent-level verdicts beside them. sample_data/README.md: the
    detectable differences are about 0.45 to 0.7 SD, and --equivalence 0.7 shows the
    planted null H7 (and H3, H6) as equivalent, while ±0.5 is too narrow."""
    from conftest import SAMPLE_DATA

    from analysis.stats import adjust_p, tost_p

    data = SAMPLE_DATA / "lab_culture_responses.xlsx"
    res = _run(["compare", data, "--by", "lab_region", "--equivalence", "0.7",
                "-o", tmp_path])
    assert res.exit_code == 0, res.output
    hyp = pd.read_csv(tmp_path / "hypotheses.csv").set_index("hypothesis")
    assert (hyp["test"] == "mixed").all()
    assert hyp.index[hyp["verdict"] == "supported"].tolist() == ["H1", "H8"]
    assert hyp.index[hyp["verdict"] == "equivalent"].tolist() == ["H3", "H6", "H7"]
    assert hyp.index[hyp["verdict_welch"] == "supported"].tolist() == [
        "H1", "H2", "H4", "H5", "H8"]
    # bb5's intercept freed, the latent comparison of H3 is warranted (partial invariance)
    assert hyp.loc["H3", "comparison_support"] == "partial invariance (bb5 freed)"
    assert hyp.loc["H3", "freed_intercepts"] == "bb5"
    assert hyp["mde"].between(0.45, 0.70).all()
    assert "verdicts: lab-aware test" in res.output
    sd = hyp["estimate"] / hyp["std_diff"]
    narrow = adjust_p(tost_p(hyp["estimate"], hyp["se"], hyp["df"], 0.5 * sd), "holm")
    assert (narrow >= 0.05).all()
