"""Group comparison: descriptives, Welch's ANOVA, Kruskal-Wallis, Games-Howell, Hedges' g.

Reference values come from ``tests/reference/compare.R`` (R 4.2, base stats:
``oneway.test(var.equal = FALSE)``, ``kruskal.test``, ``t.test``, ``ptukey``,
``p.adjust``), which also simulates the scores in ``compare_data.csv``. The formulas are
stated in that script and in :mod:`analysis.stats`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis import stats
from analysis.compare import (
    DESCRIPTIVES_COLUMNS,
    OMNIBUS_COLUMNS,
    PAIRWISE_COLUMNS,
    SUPPRESSED_COLUMNS,
    compare_groups,
)
from survey.errors import SurveyError
from survey.instrument import loads

REF = Path(__file__).resolve().parent / "reference"
RTOL = 1e-9  # every reference number agrees with R to at least this relative tolerance
ATOL = 1e-12

INSTRUMENT_YAML = """\
id: compare_ref
version: "1"
languages: [en]
title: {en: Comparison reference}
scales: {agree5: {points: [1, 2, 3, 4, 5], labels: {en: [a, b, c, d, e]}}}
groups:
  - id: lab_region
    text: {en: Region}
    choices:
      - {code: china, label: {en: China}}
      - {code: united_states, label: {en: United States}}
      - {code: other, label: {en: Other}}
  - id: lab_type
    text: {en: Type}
    choices:
      - {code: big_tech, label: {en: Big tech}}
      - {code: startup, label: {en: Startup}}
      - {code: academic_nonprofit, label: {en: Academic}}
  - {id: lab, type: text, text: {en: Lab}}
constructs:
  - {id: c1, name: {en: One}, definition: {en: D}, scale: agree5,
     items: [{id: i1, text: {en: T}, reverse: false}]}
  - {id: c2, name: {en: Two}, definition: {en: D}, scale: agree5,
     items: [{id: i2, text: {en: T}, reverse: false}]}
  - {id: c3, name: {en: Three}, definition: {en: D}, scale: agree5,
     items: [{id: i3, text: {en: T}, reverse: false}]}
hypotheses:
  - {id: H1, construct: c1, by: lab_region, predicts: united_states > china, source: s}
  - {id: H2, construct: c2, by: lab_region, predicts: china > united_states, source: s}
  - {id: H3, construct: c3, by: lab_type, predicts: startup > big_tech, source: s}
  - {id: H4, construct: c1, by: lab_region, predicts: other > china, source: s}
"""


@pytest.fixture(scope="module")
def inst():
    return loads(INSTRUMENT_YAML)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(REF / "compare_data.csv")


def _ref(name: str) -> pd.DataFrame:
    return pd.read_csv(REF / name, keep_default_na=False, na_values=[""])


def _close(actual, expected, rtol=RTOL):
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float),
        rtol=rtol, atol=ATOL, equal_nan=True,
    )


# ---- reference values from R ----------------------------------------------------------

@pytest.mark.parametrize("by", ["lab_region", "lab_type"])
def test_descriptives_match_r(inst, data, by):
    res = compare_groups(data, inst, by)
    ref = _ref("compare_descriptives.csv").query("by == @by").reset_index(drop=True)
    got = res.descriptives
    assert list(got.columns) == DESCRIPTIVES_COLUMNS
    assert got[["construct", "group"]].values.tolist() == ref[["construct", "group"]].values.tolist()
    assert got["n"].tolist() == ref["n"].tolist()
    for col in ("mean", "sd", "median"):
        _close(got[col], ref[col])


@pytest.mark.parametrize("adjust, ref_col", [("holm", "p_adj_holm"), ("fdr_bh", "p_adj_bh")])
@pytest.mark.parametrize("by", ["lab_region", "lab_type"])
def test_omnibus_matches_r(inst, data, by, adjust, ref_col):
    res = compare_groups(data, inst, by, adjust=adjust)
    ref = _ref("compare_omnibus.csv").query("by == @by").reset_index(drop=True)
    got = res.omnibus
    assert list(got.columns) == OMNIBUS_COLUMNS
    assert got[["construct", "test"]].values.tolist() == ref[["construct", "test"]].values.tolist()
    assert (got["by"] == by).all()
    assert got["k"].tolist() == ref["k"].tolist()
    assert got["n"].tolist() == ref["n"].tolist()
    for col in ("statistic", "df1", "df2", "p_unc", "effect_size"):
        _close(got[col], ref[col])
    _close(got["p_adj"], ref[ref_col])
    assert got["effect_size_name"].tolist() == ["omega_sq", "epsilon_sq"] * 3


@pytest.mark.parametrize("adjust, ref_col", [("holm", "p_adj_holm"), ("fdr_bh", "p_adj_bh")])
@pytest.mark.parametrize("by", ["lab_region", "lab_type"])
def test_pairwise_matches_r(inst, data, by, adjust, ref_col):
    res = compare_groups(data, inst, by, adjust=adjust)
    ref = _ref("compare_pairwise.csv").query("by == @by").reset_index(drop=True)
    got = res.pairwise
    assert list(got.columns) == PAIRWISE_COLUMNS
    keys = ["construct", "group_a", "group_b", "test"]
    assert got[keys].values.tolist() == ref[keys].values.tolist()
    assert got["n_a"].tolist() == ref["n_a"].tolist()
    assert got["n_b"].tolist() == ref["n_b"].tolist()
    for col in ("diff", "statistic", "df", "p_unc", "hedges_g", "g_ci_low", "g_ci_high"):
        _close(got[col], ref[col])
    _close(got["p_adj"], ref[ref_col])
    _close(got["mean_a"] - got["mean_b"], got["diff"])


@pytest.mark.parametrize("by", ["lab_region", "lab_type"])
def test_pairwise_means_and_se_match_r(inst, data, by):
    """mean_a, mean_b against R's group means; se is the Welch standard error, which R's
    reference gives as diff / t (t.test's statistic)."""
    got = compare_groups(data, inst, by).pairwise
    ref = _ref("compare_pairwise.csv").query("by == @by").reset_index(drop=True)
    means = _ref("compare_descriptives.csv").query("by == @by").set_index(
        ["construct", "group"])["mean"]
    _close(got["mean_a"], [means[(c, g)] for c, g in zip(ref.construct, ref.group_a, strict=True)])
    _close(got["mean_b"], [means[(c, g)] for c, g in zip(ref.construct, ref.group_b, strict=True)])
    _close(got["se"], ref["diff"] / ref["statistic"])


def test_no_adjustment_reports_p_unc(inst, data):
    res = compare_groups(data, inst, "lab_type", adjust="none")
    _close(res.pairwise["p_adj"], res.pairwise["p_unc"], rtol=0)
    _close(res.omnibus["p_adj"], res.omnibus["p_unc"], rtol=0)


def test_games_howell_is_not_adjusted_again_within_a_construct(inst, data):
    # one construct: the family per pair has a single member, so p_adj == p_unc (the
    # Games-Howell p, already family-wise over the three pairs)
    res = compare_groups(data, inst, "lab_type", constructs=["c1"])
    ref = _ref("compare_pairwise.csv").query("by == 'lab_type' and construct == 'c1'")
    _close(res.pairwise["p_adj"], ref["p_unc"])


def test_agrees_with_pingouin_where_pingouin_is_defined(inst, data):
    """Cross-check with pingouin 0.7 (welch_anova, pairwise_gameshowell, kruskal)."""
    import pingouin as pg

    res = compare_groups(data, inst, "lab_type")
    for c in ("c1", "c2", "c3"):
        d = data[["lab_type", c]].dropna()
        w = pg.welch_anova(data=d, dv=c, between="lab_type")
        row = res.omnibus.query("construct == @c and test == 'welch_anova'").iloc[0]
        _close([row["statistic"], row["df2"], row["p_unc"]],
               [w["F"].iloc[0], w["ddof2"].iloc[0], w["p_unc"].iloc[0]])
        kw = pg.kruskal(data=d, dv=c, between="lab_type")
        row = res.omnibus.query("construct == @c and test == 'kruskal'").iloc[0]
        _close([row["statistic"], row["p_unc"]], [kw["H"].iloc[0], kw["p_unc"].iloc[0]])
        gh = pg.pairwise_gameshowell(data=d, dv=c, between="lab_type")
        mine = res.pairwise.query("construct == @c")
        for _, r in gh.iterrows():
            m = mine[((mine.group_a == r["A"]) & (mine.group_b == r["B"]))
                     | ((mine.group_a == r["B"]) & (mine.group_b == r["A"]))].iloc[0]
            sign = 1 if m["group_a"] == r["A"] else -1
            _close([m["statistic"] * sign, m["df"], m["p_unc"], m["hedges_g"] * sign],
                   [r["T"], r["df"], r["pval"], r["hedges"]], rtol=1e-6)


def test_hedges_ci_agrees_with_pingouin_compute_esci():
    import pingouin as pg

    g, lo, hi = stats.hedges_g(14, 3.1, 0.7, 9, 2.6, 1.2)
    ci = pg.compute_esci(stat=float(g), nx=14, ny=9, eftype="hedges", decimals=12)
    _close([lo, hi], ci)


# ---- small cells ------------------------------------------------------------------------

def test_small_group_is_suppressed_everywhere(inst, data):
    res = compare_groups(data, inst, "lab_region")
    assert res.groups == ("china", "united_states")
    assert list(res.suppressed.columns) == SUPPRESSED_COLUMNS
    assert res.suppressed[["group", "n", "reason"]].values.tolist() == [
        ["other", 3, "fewer than 5 respondents"]
    ]
    assert pd.isna(res.suppressed.loc[0, "construct"])
    assert "other" not in set(res.descriptives["group"])
    assert "other" not in set(res.pairwise["group_a"]) | set(res.pairwise["group_b"])
    assert (res.pairwise["test"] == "welch_t").all()


def test_min_group_n_can_keep_the_small_group(inst, data):
    res = compare_groups(data, inst, "lab_region", min_group_n=3)
    assert res.groups == ("china", "united_states", "other")
    assert res.suppressed.empty
    assert set(res.pairwise["test"]) == {"games_howell"}


def test_cell_with_too_few_answers_is_suppressed_for_that_construct_only(inst, data):
    d = data.copy()
    startup = d.index[d["lab_type"] == "startup"]
    d.loc[startup[3:], "c3"] = np.nan  # at most 3 startup answers left on c3
    res = compare_groups(d, inst, "lab_type")
    assert res.suppressed[["group", "construct", "reason"]].values.tolist() == [
        ["startup", "c3", "fewer than 5 answers"]
    ]
    c3 = res.omnibus.query("construct == 'c3'")
    assert c3["k"].tolist() == [2, 2]
    assert res.pairwise.query("construct == 'c3'")[["group_a", "group_b"]].values.tolist() == [
        ["big_tech", "academic_nonprofit"]
    ]
    assert "startup" in set(res.descriptives.query("construct == 'c1'")["group"])
    assert "startup" not in set(res.descriptives.query("construct == 'c3'")["group"])


def test_all_answers_missing_in_a_group(inst, data):
    d = data.copy()
    d.loc[d["lab_type"] == "academic_nonprofit", "c2"] = np.nan
    res = compare_groups(d, inst, "lab_type")
    rows = res.suppressed.query("construct == 'c2'")
    assert rows[["group", "n", "reason"]].values.tolist() == [["academic_nonprofit", 0, "no answers"]]
    # the two remaining groups are compared with Welch's t on c2, Games-Howell elsewhere
    assert res.pairwise.query("construct == 'c2'")["test"].tolist() == ["welch_t"]
    assert set(res.pairwise.query("construct != 'c2'")["test"]) == {"games_howell"}


def test_fewer_than_two_groups_after_suppression(inst, data):
    res = compare_groups(data, inst, "lab_region", min_group_n=27)
    assert res.groups == ("united_states",)
    assert res.pairwise.empty and list(res.pairwise.columns) == PAIRWISE_COLUMNS
    assert res.omnibus["statistic"].isna().all()
    assert res.omnibus["note"].str.contains("fewer than 2 groups").all()
    assert any("fewer than 2 groups of 'lab_region'" in n for n in res.notes)
    assert sorted(res.suppressed["group"]) == ["china", "other"]


def test_single_group(inst, data):
    d = data[data["lab_type"] == "startup"]
    res = compare_groups(d, inst, "lab_type")
    assert res.groups == ("startup",)
    assert len(res.descriptives) == 3
    assert res.omnibus["p_unc"].isna().all()
    assert res.omnibus["note"].str.contains("'startup'").all()
    assert res.pairwise.empty


def test_zero_variance_group(inst, data):
    d = data.copy()
    d.loc[d["lab_type"] == "startup", "c1"] = 4.0
    res = compare_groups(d, inst, "lab_type")
    welch = res.omnibus.query("construct == 'c1' and test == 'welch_anova'").iloc[0]
    assert np.isnan(welch["statistic"])
    assert "zero variance in 'startup'" in welch["note"]
    kw = res.omnibus.query("construct == 'c1' and test == 'kruskal'").iloc[0]
    assert kw["statistic"] > 0 and kw["note"] == ""
    # pairs with one constant group are still defined (the other group carries the SE)
    pairs = res.pairwise.query("construct == 'c1'")
    assert pairs["p_unc"].notna().all()
    assert res.descriptives.query("construct == 'c1' and group == 'startup'")["sd"].iloc[0] == 0
    # the other constructs are unaffected
    ref = _ref("compare_omnibus.csv").query("by == 'lab_type' and construct == 'c2'")
    _close(res.omnibus.query("construct == 'c2'")["statistic"], ref["statistic"])


def test_two_constant_groups(inst):
    scores = pd.DataFrame({
        "lab_region": ["china"] * 5 + ["united_states"] * 5,
        "c1": [3.0] * 5 + [4.0] * 5, "c2": [3.0] * 10, "c3": np.arange(10.0),
    })
    res = compare_groups(scores, inst, "lab_region")
    p = res.pairwise.set_index("construct")
    assert np.isnan(p.loc["c1", "p_unc"]) and "zero variance" in p.loc["c1", "note"]
    assert p.loc["c1", "diff"] == -1.0
    o = res.omnibus.set_index(["construct", "test"])
    assert "every score is the same" in o.loc[("c2", "kruskal"), "note"]
    assert np.isfinite(o.loc[("c3", "welch_anova"), "statistic"])
    # nan tests are left out of the adjustment family: c3 alone, so p_adj == p_unc
    assert o.loc[("c3", "welch_anova"), "p_adj"] == o.loc[("c3", "welch_anova"), "p_unc"]


# ---- bad input --------------------------------------------------------------------------

def test_unknown_group_values_are_named(inst, data):
    d = data.copy()
    d.loc[0, "lab_region"] = "Mars"
    d.loc[1, "lab_region"] = "usa"
    with pytest.raises(SurveyError) as err:
        compare_groups(d, inst, "lab_region")
    msg = str(err.value)
    assert "'Mars', 'usa'" in msg and "choices: china, united_states, other" in msg


def test_unknown_requested_group(inst, data):
    with pytest.raises(SurveyError, match="unknown group.*'startp'.*did you mean 'startup'"):
        compare_groups(data, inst, "lab_type", groups=["big_tech", "startp"])


def test_requested_groups_and_their_order(inst, data):
    res = compare_groups(data, inst, "lab_type", groups=["startup", "big_tech"])
    assert res.groups == ("startup", "big_tech")
    assert set(res.pairwise["test"]) == {"welch_t"}
    ref = _ref("compare_pairwise.csv").query("by == 'lab_type' and group_b == 'startup'"
                                              " and group_a == 'big_tech'")
    _close(res.pairwise["diff"], -ref["diff"])
    _close(res.pairwise["hedges_g"], -ref["hedges_g"])


def test_requested_group_without_respondents_is_named(inst, data):
    d = data[data["lab_region"] != "other"]
    res = compare_groups(d, inst, "lab_region", groups=["china", "united_states", "other"])
    assert res.suppressed[["group", "n", "reason"]].values.tolist() == [
        ["other", 0, "no respondents"]
    ]


def test_unknown_by_column(inst, data):
    with pytest.raises(SurveyError, match="no column 'lab_regoin'.*did you mean 'lab_region'"):
        compare_groups(data, inst, "lab_regoin")


def test_missing_construct_column(inst, data):
    with pytest.raises(SurveyError, match="no column for construct.*'c3'"):
        compare_groups(data.drop(columns="c3"), inst, "lab_type")


@pytest.mark.parametrize("kwargs, match", [
    ({"adjust": "bonferoni"}, "unknown adjustment 'bonferoni'"),
    ({"min_group_n": 1}, "min_group_n must be a whole number of at least 2"),
])
def test_bad_options(inst, data, kwargs, match):
    with pytest.raises(SurveyError, match=match):
        compare_groups(data, inst, "lab_type", **kwargs)


def test_free_text_group_and_missing_group_values(inst, data):
    d = data.copy()
    d["lab"] = np.where(d["lab_type"] == "startup", "CN-03", "US-02")
    d.loc[:2, "lab"] = None
    res = compare_groups(d, inst, "lab")
    assert res.groups == ("CN-03", "US-02")
    assert res.notes[0] == "3 respondents without a value for 'lab' were left out"
    d.loc[1:2, "lab"] = "CN-03"
    assert compare_groups(d, inst, "lab").notes[0] == (
        "1 respondent without a value for 'lab' was left out")


def test_categorical_grouping_column_and_input_untouched(inst, data):
    d = data.copy()
    d["lab_type"] = pd.Categorical(d["lab_type"],
                                   categories=["big_tech", "startup", "academic_nonprofit"])
    d["c1"] = d["c1"].astype("Float64")
    before = d.copy()
    res = compare_groups(d, inst, "lab_type")
    pd.testing.assert_frame_equal(d, before)
    ref = _ref("compare_omnibus.csv").query("by == 'lab_type'")
    _close(res.omnibus["statistic"], ref["statistic"])


# ---- survey compare ---------------------------------------------------------------------

def _pipeline():
    """read_responses and score_scales, or a skip naming what is missing."""
    scoring = pytest.importorskip(
        "analysis.scoring", reason="analysis.scoring (score_scales) is not written yet"
    )
    import survey.responses as responses

    if not hasattr(responses, "read_responses"):
        pytest.skip("survey.responses.read_responses is not written yet")
    return responses.read_responses, scoring.score_scales


@pytest.fixture
def cli_files(tmp_path):
    """The reference instrument as a file and simulated answers in the template layout."""
    yaml_path = tmp_path / "instrument.yaml"
    yaml_path.write_text(INSTRUMENT_YAML, encoding="utf-8")
    rng = np.random.default_rng(7)
    region = ["china"] * 20 + ["united_states"] * 18 + ["other"] * 3
    n = len(region)
    frame = pd.DataFrame({
        "respondent_id": [f"SIM-{i:03d}" for i in range(1, n + 1)],
        "lab_region": region,
        "lab_type": rng.choice(["big_tech", "startup", "academic_nonprofit"], n),
        "lab": [("CN-0" if r == "china" else "US-0" if r == "united_states" else "OT-0")
                + str(1 + i % 2) for i, r in enumerate(region)],
        "i1": rng.integers(1, 6, n) + 0,
        "i2": rng.integers(1, 6, n),
        "i3": rng.integers(1, 6, n),
    })
    frame.loc[frame["lab_region"] == "united_states", "i1"] = np.minimum(
        5, frame.loc[frame["lab_region"] == "united_states", "i1"] + 2)
    csv = tmp_path / "responses.csv"
    frame.to_csv(csv, index=False)
    return csv, yaml_path


def _invoke(args):
    from click.testing import CliRunner

    from survey.cli import cli

    return CliRunner().invoke(cli, args)


def _assert_csv_equals(path, expected: pd.DataFrame):
    got = pd.read_csv(path, keep_default_na=False, na_values=[""])
    assert list(got.columns) == list(expected.columns)
    assert len(got) == len(expected)
    for col in expected.columns:
        e = expected[col]
        if pd.api.types.is_numeric_dtype(e) and not pd.api.types.is_bool_dtype(e):
            _close(got[col], e, rtol=0)
        else:
            def text(values):
                return ["" if pd.isna(v) else str(v) for v in values]

            assert text(got[col]) == text(e)


def test_cli_writes_the_library_tables(cli_files, tmp_path):
    read_responses, score_scales = _pipeline()
    from analysis.multilevel import compare_nested, lab_icc
    from analysis.report.comparability import hypotheses_table

    csv, yaml_path = cli_files
    out = tmp_path / "out"
    result = _invoke(["compare", str(csv), "-i", str(yaml_path), "--by", "lab_region",
                      "-o", str(out)])
    assert result.exit_code == 0, result.output
    inst = loads(INSTRUMENT_YAML)
    scores = score_scales(read_responses(csv, inst, platform="auto"), min_answered=0.5)
    expected = compare_groups(scores, inst, "lab_region")
    for name in ("descriptives", "omnibus", "pairwise", "suppressed"):
        _assert_csv_equals(out / f"{name}.csv", getattr(expected, name))
    rs = read_responses(csv, inst, platform="auto")
    # the hypotheses as survey report decides them: the lab-aware test (there is a lab
    # column), with the Welch test beside it
    _assert_csv_equals(out / "hypotheses.csv", hypotheses_table(
        rs, scores, min_group_n=5, adjust="holm", alpha=0.05))
    _assert_csv_equals(out / "icc.csv", lab_icc(scores, inst, by="lab_region",
                                                groups=["china", "united_states"]))
    _assert_csv_equals(out / "nested.csv", compare_nested(
        scores, inst, "lab_region", groups=["china", "united_states"]))
    from analysis.reliability import analyse_items, assess_reliability

    _assert_csv_equals(out / "reliability.csv", assess_reliability(rs, by="lab_region"))
    _assert_csv_equals(out / "items.csv", analyse_items(rs))
    assert "suppressed: other (fewer than 5 respondents)" in result.output
    assert "note: simulated data" in result.output
    lines = result.output.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("hypothesis "))
    assert lines[header].split() == ["hypothesis", "construct", "predicted", "g", "[95%",
                                     "CI]", "p_adj", "mde", "verdict"]
    assert lines[header - 1].startswith("verdicts: lab-aware test (mixed model with a random "
                                        "intercept for 'lab', REML, t on nlme's df)")
    assert lines[header + 4].startswith("H4") and lines[header + 4].endswith(
        "not testable ('other' suppressed (fewer than 5 respondents))")


def test_cli_options_reach_the_library(cli_files, tmp_path):
    read_responses, score_scales = _pipeline()
    csv, yaml_path = cli_files
    out = tmp_path / "out"
    result = _invoke(["compare", str(csv), "-i", str(yaml_path), "--by", "lab_type",
                      "--groups", "startup, big_tech", "--adjust", "fdr_bh",
                      "--min-group-n", "3", "-o", str(out)])
    assert result.exit_code == 0, result.output
    inst = loads(INSTRUMENT_YAML)
    scores = score_scales(read_responses(csv, inst, platform="auto"), min_answered=0.5)
    expected = compare_groups(scores, inst, "lab_type", groups=["startup", "big_tech"],
                              min_group_n=3, adjust="fdr_bh")
    _assert_csv_equals(out / "pairwise.csv", expected.pairwise)
    _assert_csv_equals(out / "omnibus.csv", expected.omnibus)


@pytest.mark.parametrize("args, message", [
    (["--by", "lab_regoin"], "error: 'lab_regoin' is not a grouping question of the "
                             "instrument; grouping questions: lab_region, lab_type, lab. "
                             "did you mean 'lab_region'?"),
    (["--by", "lab_type", "--groups", "startp"], "error: unknown group(s) of 'lab_type': 'startp'"),
])
def test_cli_bad_input_is_one_line(cli_files, tmp_path, args, message):
    _pipeline()
    csv, yaml_path = cli_files
    result = _invoke(["compare", str(csv), "-i", str(yaml_path), *args,
                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("args", [
    ["--adjust", "bonferroni"], ["--min-group-n", "1"], ["--alpha", "1.5"],
])
def test_cli_rejects_bad_options_before_reading(tmp_path, args):
    result = _invoke(["compare", str(tmp_path / "none.csv"), "--by", "lab_region",
                      *args, "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert "Invalid value" in result.stderr


def test_cli_adjust_choices_match_the_library():
    from analysis.stats import ADJUST_METHODS
    from survey.commands.compare import ADJUST_CHOICES

    assert ADJUST_CHOICES == ADJUST_METHODS


def test_cli_csv_neutralises_formula_like_group_names():
    from survey.outputs import csv_bytes as _csv_bytes

    frame = pd.DataFrame({"group": ["=HYPERLINK(1)", "CN-03", "-1"], "mean": [-1.5, 2.0, 3.0]})
    assert _csv_bytes(frame).decode().splitlines() == [
        "group,mean", "'=HYPERLINK(1),-1.5", "CN-03,2.0", "-1,3.0",  # a number is never a formula
    ]
