"""Degenerate inputs through the library and the CLI (`survey score`, `survey compare`).

Each case of the analysis issue's list, on a tiny instrument written here: a construct
with one item, zero variance, every answer missing in a group, a single group, and a
grouping column with values that are not choices. Statistical degeneracies give notes in
the tables (the suite turns any RuntimeWarning into an error, so none may escape); input
mistakes give one line and exit code 2. Expected numbers are worked out by hand in the
comments.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest
from click.testing import CliRunner

from survey.cli import cli
from survey.errors import SurveyError
from survey.instrument import loads

TINY = """
id: tiny
version: "1"
languages: [en]
title: {en: Tiny}
scales: {a5: {points: [1, 2, 3, 4, 5], labels: {en: [a, b, c, d, e]}}}
groups:
  - {id: region, text: {en: Region}, choices: [{code: east, label: {en: East}},
                                              {code: west, label: {en: West}},
                                              {code: north, label: {en: North}}]}
constructs:
  - id: one
    name: {en: One}
    definition: {en: A single item}
    scale: a5
    items:
      - {id: o1, text: {en: o1}, reverse: false}
  - id: multi
    name: {en: Multi}
    definition: {en: Three items}
    scale: a5
    items:
      - {id: m1, text: {en: m1}, reverse: false}
      - {id: m2, text: {en: m2}, reverse: true}
      - {id: m3, text: {en: m3}, reverse: false}
hypotheses:
  - {id: H1, construct: multi, by: region, predicts: "west > east", source: hand-made}
"""

HEADER = ["respondent_id", "region", "o1", "m1", "m2", "m3"]


@pytest.fixture()
def tiny(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(TINY, encoding="utf-8")
    return path


def _write(tmp_path, name, rows):
    path = tmp_path / name
    lines = [",".join(HEADER)] + [",".join("" if v is None else str(v) for v in r) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _run(args):
    return CliRunner().invoke(cli, [str(a) for a in args])


# Six people per region, two regions. East answers o1 = 1..5,3 and the multi items so
# that its keyed scores are 1..5,3 too; west answers everything 2 points higher (capped).
EAST = [[f"E{i}", "east", v, v, 6 - v, v] for i, v in enumerate([1, 2, 3, 4, 5, 3])]
WEST = [[f"W{i}", "west", v, v, 6 - v, v] for i, v in enumerate([3, 4, 5, 5, 5, 4])]


def test_one_item_construct_is_scored_and_its_reliability_is_a_note(tmp_path, tiny):
    data = _write(tmp_path, "one.csv", EAST + WEST)
    scores_csv = tmp_path / "scores.csv"
    result = _run(["score", data, "-i", tiny, "-o", scores_csv])
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(scores_csv)
    # the score of a one-item construct is the answer itself
    assert scores["one"].tolist() == [1, 2, 3, 4, 5, 3, 3, 4, 5, 5, 5, 4]
    out = tmp_path / "out"
    result = _run(["compare", data, "-i", tiny, "--by", "region", "-o", out])
    assert result.exit_code == 0, result.output
    rel = pd.read_csv(out / "reliability.csv", keep_default_na=False)
    one = rel[rel["construct"] == "one"]
    assert set(one["note"]) == {"one item: alpha and item-total statistics are undefined"}
    assert (one["alpha"] == "").all() and (one["k"] == 1).all()
    # the comparison of the one-item construct is computed as usual:
    # east 1,2,3,4,5,3: mean 3, var 10/5 = 2; west 3,4,5,5,5,4: mean 26/6, var (10/3)/5 =
    # 2/3. Welch by hand: se = sqrt(2/6 + (2/3)/6) = sqrt(4/9) = 2/3,
    # t = (3 - 26/6) / (2/3) = -2, df = (4/9)^2 / ((1/3)^2/5 + (1/9)^2/5) = 8
    pair = pd.read_csv(out / "pairwise.csv").set_index("construct").loc["one"]
    assert pair["statistic"] == pytest.approx(-2.0, abs=1e-12)
    assert pair["df"] == pytest.approx(8.0, abs=1e-12)


def test_zero_variance_gives_notes_not_numbers(tmp_path, tiny):
    rows = [[f"R{i}", "east" if i % 2 else "west", 3, 3, 3, 3] for i in range(12)]
    data = _write(tmp_path, "flat.csv", rows)
    out = tmp_path / "out"
    result = _run(["compare", data, "-i", tiny, "--by", "region", "-o", out])
    assert result.exit_code == 0, result.output
    omnibus = pd.read_csv(out / "omnibus.csv", keep_default_na=False)
    welch = omnibus[omnibus["test"] == "welch_anova"]
    assert all(n.startswith("zero variance in 'east', 'west'") for n in welch["note"])
    assert (welch["statistic"] == "").all()
    kw = omnibus[omnibus["test"] == "kruskal"]
    assert set(kw["note"]) == {"every score is the same; Kruskal-Wallis is undefined"}
    pairwise = pd.read_csv(out / "pairwise.csv", keep_default_na=False)
    assert set(pairwise["note"]) == {"both groups have zero variance; no test"}
    rel = pd.read_csv(out / "reliability.csv", keep_default_na=False)
    assert set(rel.loc[rel["construct"] == "multi", "note"]) == {
        "the items have no variance; alpha is undefined"}
    hyp = pd.read_csv(out / "hypotheses.csv", keep_default_na=False)
    assert hyp.loc[0, "verdict"] == "not testable"
    assert "H1" in result.output and "not testable (both groups have zero variance" \
        in result.output


def test_all_answers_missing_in_a_group(tmp_path, tiny):
    west = [[r[0], "west", r[2], None, None, None] for r in WEST]
    data = _write(tmp_path, "gap.csv", EAST + west)
    scores_csv = tmp_path / "scores.csv"
    result = _run(["score", data, "-i", tiny, "-o", scores_csv])
    assert result.exit_code == 0, result.output
    assert "blank scores (fewer than 0.5 of the items answered): multi 6" in result.output
    out = tmp_path / "out"
    result = _run(["compare", data, "-i", tiny, "--by", "region", "-o", out])
    assert result.exit_code == 0, result.output
    assert "suppressed: west on multi (no answers)" in result.output
    suppressed = pd.read_csv(out / "suppressed.csv")
    assert suppressed.to_dict("records") == [
        {"by": "region", "group": "west", "construct": "multi", "n": 0, "reason": "no answers"}]
    rel = pd.read_csv(out / "reliability.csv", keep_default_na=False).set_index(
        ["construct", "group"])
    assert rel.loc[("multi", "west"), "note"] == "all answers are missing; nothing to compute"
    hyp = pd.read_csv(out / "hypotheses.csv", keep_default_na=False)
    assert hyp.loc[0, "note"] == "'west' suppressed (fewer than 5 scores)"


def test_a_single_group_is_described_but_not_tested(tmp_path, tiny):
    data = _write(tmp_path, "single.csv", EAST)
    out = tmp_path / "out"
    result = _run(["compare", data, "-i", tiny, "--by", "region", "-o", out])
    assert result.exit_code == 0, result.output
    assert ("note: fewer than 2 groups of 'region' with at least 5 respondents ('east'); "
            "no test computed") in result.output
    desc = pd.read_csv(out / "descriptives.csv").set_index("construct")
    # east's scores 1, 2, 3, 4, 5, 3: mean 3, sd sqrt(10/5), median 3
    assert desc.loc["one", "mean"] == 3 and desc.loc["one", "median"] == 3
    assert desc.loc["one", "sd"] == pytest.approx(math.sqrt(2), abs=1e-12)
    assert len(pd.read_csv(out / "pairwise.csv")) == 0
    omnibus = pd.read_csv(out / "omnibus.csv", keep_default_na=False)
    assert all("fewer than 2 groups" in n for n in omnibus["note"])
    hyp = pd.read_csv(out / "hypotheses.csv", keep_default_na=False)
    assert hyp.loc[0, "note"] == "no respondents in 'west'"


def test_unknown_group_values_are_named(tmp_path, tiny):
    rows = [r[:] for r in EAST + WEST]
    rows[0][1] = rows[6][1] = "sout"
    data = _write(tmp_path, "unknown.csv", rows)
    out = tmp_path / "out"
    result = _run(["compare", data, "-i", tiny, "--by", "region", "-o", out])
    assert result.exit_code == 0, result.output
    assert ("note: 2 answers to 'region' that are not among its choices were left blank "
            "at import and those respondents left out: 'sout'") in result.output
    desc = pd.read_csv(out / "descriptives.csv")
    assert desc.loc[desc["construct"] == "one", "n"].tolist() == [5, 5]


def test_library_refuses_unknown_group_values():
    from analysis.compare import compare_groups

    inst = loads(TINY)
    scores = pd.DataFrame({"region": ["east"] * 5 + ["sout"] * 5, "one": [1.0] * 10,
                           "multi": [2.0] * 10})
    with pytest.raises(SurveyError, match="column 'region' holds values that are not "
                                          "choices of the instrument: 'sout'"):
        compare_groups(scores, inst, "region")


@pytest.mark.parametrize("args, message", [
    (["--by", "respondent_id"], "error: 'respondent_id' is not a grouping question of the "
                                "instrument; grouping questions: region."),
    (["--by", "m1"], "error: 'm1' is not a grouping question of the instrument"),
    (["--by", "regoin"], "error: 'regoin' is not a grouping question of the instrument; "
                         "grouping questions: region. did you mean 'region'?"),
    (["--by", "region", "--groups", "east,sout"], "error: unknown group(s) of 'region': 'sout'"),
    (["--by", "region", "--groups", " , "], "error: --groups: give group codes"),
])
def test_compare_usage_mistakes_are_one_line(tmp_path, tiny, args, message):
    data = _write(tmp_path, "ok.csv", EAST + WEST)
    result = _run(["compare", data, "-i", tiny, *args, "-o", tmp_path / "out"])
    assert result.exit_code == 2
    assert result.stderr.startswith(message)
    assert len(result.stderr.strip().splitlines()) == 1


def test_score_off_scale_answer_is_one_line(tmp_path, tiny):
    rows = [r[:] for r in EAST]
    rows[2][3] = 3.5
    data = _write(tmp_path, "off.csv", rows)
    result = _run(["score", data, "-i", tiny, "-o", tmp_path / "s.csv"])
    # the import blanks an answer that is not a point of the scale and says so
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(tmp_path / "s.csv")
    # E2 keeps m2, m3 (keyed 3, 3): mean 3
    assert scores.loc[2, "multi"] == 3


@pytest.mark.parametrize("share", [0, 1.5])
def test_one_message_for_a_share_out_of_range(share):
    from analysis.scoring import score_scales
    from analysis.styles import acquiescence_corrected_scores

    inst = loads(TINY)
    frame = pd.DataFrame(EAST, columns=HEADER)
    message = f"min_answered is a share of a construct's items, 0 < share <= 1; got {share}"
    for call in (score_scales, acquiescence_corrected_scores):
        with pytest.raises(SurveyError, match=message.replace("(", r"\(")):
            call(frame, inst, min_answered=share)
