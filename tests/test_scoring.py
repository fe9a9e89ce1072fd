"""Reverse keying and scale scores.

Expected values are worked out by hand in the comments beside each assertion (keyed
answer = 1 + 5 - x for a reverse item on the 1..5 scale; score = mean of the answered
keyed items when at least ``ceil(share * k)`` are answered).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.scoring import keyed_matrix, reverse_key, score_scales
from survey.errors import SurveyError
from survey.instrument import loads
from survey.responses.model import ImportLog, ResponseSet

INSTRUMENT_YAML = """\
id: scoring_test
version: "1"
languages: [en]
title: {en: Scoring test}
scales:
  agree5: {points: [1, 2, 3, 4, 5], labels: {en: [a, b, c, d, e]}}
  agree7: {points: [0, 1, 2, 3, 4, 5, 6], labels: {en: [a, b, c, d, e, f, g]}}
groups:
  - id: lab_region
    text: {en: Region}
    choices:
      - {code: china, label: {en: China}}
      - {code: united_states, label: {en: United States}}
constructs:
  - id: c1
    name: {en: One}
    definition: {en: D}
    scale: agree5
    items:
      - {id: a1, text: {en: T}, reverse: false}
      - {id: a2, text: {en: T}, reverse: true}
      - {id: a3, text: {en: T}, reverse: false}
      - {id: a4, text: {en: T}, reverse: false}
  - id: c2
    name: {en: Two}
    definition: {en: D}
    scale: agree7
    items:
      - {id: b1, text: {en: T}, reverse: true}
      - {id: b2, text: {en: T}, reverse: false}
      - {id: b3, text: {en: T}, reverse: false}
"""


@pytest.fixture(scope="module")
def inst():
    return loads(INSTRUMENT_YAML)


def _frame() -> pd.DataFrame:
    region = pd.Categorical(["china", "united_states", "china", "united_states"],
                            categories=["china", "united_states"])
    items = pd.DataFrame(
        {
            "a1": [5, 4, None, None],
            "a2": [1, None, 2, None],
            "a3": [4, 4, None, None],
            "a4": [5, 2, 3, 1],
            "b1": [0, 6, None, 3],
            "b2": [6, None, None, 3],
            "b3": [6, None, 2, 3],
        },
        dtype="Int64",
    )
    return pd.concat(
        [pd.DataFrame({"respondent_id": ["R1", "R2", "R3", "R4"], "lab_region": region}),
         items], axis=1,
    )


def _rs(df, inst) -> ResponseSet:
    return ResponseSet(data=df, instrument=inst,
                       log=ImportLog(file="x", platform="template", rows_read=len(df)))


def test_reverse_key_uses_the_declared_scale_and_keeps_missing(inst):
    df = _frame()
    out = reverse_key(df, inst)
    assert out["a2"].tolist() == [5, pd.NA, 4, pd.NA]        # 1 + 5 - x
    assert out["b1"].tolist() == [6, 0, pd.NA, 3]            # 0 + 6 - x
    assert out["a1"].equals(df["a1"])                         # not reversed
    assert str(out["a2"].dtype) == "Int64"
    assert df["a2"].tolist()[0] == 1                          # input untouched


def test_reverse_key_twice_is_the_identity(inst):
    df = _frame()
    pd.testing.assert_frame_equal(reverse_key(reverse_key(df, inst), inst), df)


def test_mean_scores_by_hand(inst):
    scores = score_scales(_rs(_frame(), inst))
    assert list(scores.columns) == ["respondent_id", "lab_region", "c1", "c2"]
    assert isinstance(scores["lab_region"].dtype, pd.CategoricalDtype)
    # R1 c1: 5, 6-1=5, 4, 5 -> 19/4; c2: 6-0=6, 6, 6 -> 6
    # R2 c1: 4, -, 4, 2 -> 3 answered of 4 >= 2 -> 10/3; c2: 6-6=0 only, 1 of 3 < 2 -> NaN
    # R3 c1: a2 -> 4, a4 -> 3: 2 of 4 = half -> 3.5; c2: b3=2 only -> NaN
    # R4 c1: a4 only -> NaN; c2: 3, 3, 3 -> 3
    expected_c1 = [19 / 4, 10 / 3, 3.5, np.nan]
    expected_c2 = [6.0, np.nan, np.nan, 3.0]
    np.testing.assert_allclose(scores["c1"], expected_c1, rtol=1e-15)
    np.testing.assert_allclose(scores["c2"], expected_c2, rtol=1e-15)


def test_min_answered_share_rounds_up(inst):
    # c1 has 4 items: 0.6 * 4 = 2.4 -> 3 answers needed, so R3 (2 answers) is missing
    scores = score_scales(_rs(_frame(), inst), min_answered=0.6)
    assert np.isnan(scores["c1"].iloc[2])
    assert scores["c1"].iloc[1] == pytest.approx(10 / 3)
    # 1.0: every item needed
    all_items = score_scales(_rs(_frame(), inst), min_answered=1.0)
    np.testing.assert_allclose(all_items["c1"], [19 / 4, np.nan, np.nan, np.nan])
    # a tiny share: one answer is enough
    one = score_scales(_rs(_frame(), inst), min_answered=0.01)
    np.testing.assert_allclose(one["c2"], [6.0, 0.0, 2.0, 3.0])


def test_prorated_sum_is_mean_times_k(inst):
    scores = score_scales(_rs(_frame(), inst), method="sum")
    # R1: plain sum 19 (all answered); R2: 10/3 * 4 = 13.33 (3 answered, prorated)
    np.testing.assert_allclose(scores["c1"], [19.0, 40 / 3, 14.0, np.nan])
    np.testing.assert_allclose(scores["c2"], [18.0, np.nan, np.nan, 9.0])


def test_dataframe_input_and_index_kept(inst):
    df = _frame()
    df.index = [10, 11, 12, 13]
    scores = score_scales(df, inst)
    assert list(scores.index) == [10, 11, 12, 13]
    with pytest.raises(SurveyError, match="pass the instrument"):
        score_scales(df)


def test_object_columns_are_read_as_numbers(inst):
    df = _frame().astype({"a1": object})
    df.loc[0, "a1"] = "5"
    scores = score_scales(df, inst)
    assert scores["c1"].iloc[0] == pytest.approx(19 / 4)


def test_bad_input_messages(inst):
    df = _frame()
    with pytest.raises(SurveyError, match="method must be one of mean, sum, got 'median'"):
        score_scales(df, inst, method="median")
    with pytest.raises(SurveyError, match="0 < share <= 1; got 0"):
        score_scales(df, inst, min_answered=0)
    with pytest.raises(SurveyError, match="no column for item 'a3'"):
        score_scales(df.drop(columns="a3"), inst)
    text = df.astype({"a1": object})
    text.loc[2, "a1"] = "agree"
    with pytest.raises(SurveyError, match=r"row 3, column a1: answer 'agree' is not a "
                                          r"number \(respondent R3\)"):
        score_scales(text, inst)
    off = df.copy()
    off.loc[1, "b2"] = 7
    with pytest.raises(SurveyError, match=r"row 2, column b2: answer 7 is not on the scale "
                                          r"'agree7' \(0, 1, 2, 3, 4, 5, 6\) \(respondent R2\)"):
        score_scales(off, inst)


def test_keyed_matrix_matches_reverse_key(inst):
    df = _frame()
    x = keyed_matrix(df, inst, ["a1", "a2", "b1"])
    expected = reverse_key(df, inst)[["a1", "a2", "b1"]].to_numpy(dtype=float,
                                                                   na_value=np.nan)
    np.testing.assert_array_equal(x, expected)


def test_no_respondents(inst):
    scores = score_scales(_frame().iloc[:0], inst)
    assert list(scores.columns) == ["respondent_id", "lab_region", "c1", "c2"]
    assert len(scores) == 0


def test_flagship_instrument_scores_every_construct():
    from survey.instrument import load

    inst = load("lab-culture")
    rng = np.random.default_rng(1)
    n = 50
    items = pd.DataFrame(rng.integers(1, 6, size=(n, len(inst.item_ids))),
                         columns=list(inst.item_ids)).astype("Int64")
    df = pd.concat([pd.DataFrame({"respondent_id": [f"SIM-{i}" for i in range(n)]}), items],
                   axis=1)
    scores = score_scales(df, inst)
    keyed = reverse_key(items, inst)
    for c in inst.constructs:
        np.testing.assert_allclose(
            scores[c.id], keyed[list(c.item_ids)].astype(float).mean(axis=1), rtol=1e-14
        )


# ---- survey score ----------------------------------------------------------------------

SAMPLE = Path(__file__).resolve().parents[1] / "sample_data" / "lab_culture_responses.xlsx"


def _read_responses():
    responses = pytest.importorskip("survey.responses", reason="survey.responses missing")
    if not hasattr(responses, "read_responses"):
        pytest.skip("survey.responses.read_responses is not written yet")
    if not SAMPLE.exists():
        pytest.skip(f"sample data {SAMPLE.name} not present")
    return responses.read_responses


@pytest.mark.parametrize("args, method", [([], "mean"), (["--sum", "--min-answered", "0.8"],
                                                          "sum")])
def test_cli_score_writes_what_the_library_computes(tmp_path, args, method):
    from click.testing import CliRunner

    from survey.cli import cli
    from survey.instrument import load

    read_responses = _read_responses()
    out = tmp_path / "scores.csv"
    result = CliRunner().invoke(cli, ["score", str(SAMPLE), *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "wrote" in result.output and "simulated data" in result.output
    written = pd.read_csv(out, dtype={"respondent_id": str})
    inst = load("lab-culture")
    share = 0.8 if args else 0.5
    expected = score_scales(read_responses(SAMPLE, inst, platform="auto"),
                            min_answered=share, method=method)
    assert list(written.columns) == list(expected.columns)
    assert written["respondent_id"].tolist() == expected["respondent_id"].tolist()
    for c in inst.constructs:   # unrounded: the CSV text round-trips the floats exactly
        np.testing.assert_array_equal(written[c.id].to_numpy(), expected[c.id].to_numpy())


def test_cli_score_xlsx(tmp_path):
    from click.testing import CliRunner
    from openpyxl import load_workbook

    from survey.cli import cli

    _read_responses()
    out = tmp_path / "scores.xlsx"
    result = CliRunner().invoke(cli, ["score", str(SAMPLE), "-o", str(out)])
    assert result.exit_code == 0, result.output
    ws = load_workbook(out).active
    assert ws.title == "scores"
    assert next(ws.iter_rows(values_only=True))[0] == "respondent_id"


def test_cli_score_bad_input(tmp_path):
    from click.testing import CliRunner

    from survey.cli import cli

    runner = CliRunner()
    missing = runner.invoke(cli, ["score", str(tmp_path / "none.csv"), "-o",
                                  str(tmp_path / "s.csv")])
    assert missing.exit_code == 2
    assert missing.output.strip().endswith("none.csv: no such file")
    suffix = runner.invoke(cli, ["score", str(SAMPLE), "-o", str(tmp_path / "s.txt")])
    assert suffix.exit_code == 2
    assert "the output name must end in .csv or .xlsx" in suffix.output
    share = runner.invoke(cli, ["score", str(SAMPLE), "--min-answered", "0", "-o",
                                str(tmp_path / "s.csv")])
    assert share.exit_code == 2
    assert "Traceback" not in missing.output + suffix.output + share.output
