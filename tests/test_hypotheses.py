"""One verdict per hypothesis: Welch's t, Hedges' g signed as predicted, Holm across them.

Reference values come from ``tests/reference/compare.R`` (R 4.2: ``t.test(var.equal =
FALSE)``, Hedges' g with the Hedges-Olkin standard error, ``p.adjust(method = "holm")``),
on the simulated scores in ``compare_data.csv``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.hypotheses import HYPOTHESES_COLUMNS, VERDICTS, evaluate_hypotheses
from survey.errors import SurveyError
from survey.instrument import loads

REF = Path(__file__).resolve().parent / "reference"
RTOL = 1e-9

INSTRUMENT_YAML = """\
id: hypotheses_ref
version: "1"
languages: [en]
title: {en: Hypotheses reference}
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


def _close(actual, expected, rtol=RTOL):
    np.testing.assert_allclose(np.asarray(actual, dtype=float), np.asarray(expected, dtype=float),
                               rtol=rtol, atol=1e-12, equal_nan=True)


def test_matches_r(inst, data):
    got = evaluate_hypotheses(data, inst)
    ref = pd.read_csv(REF / "compare_hypotheses.csv")
    assert list(got.columns) == HYPOTHESES_COLUMNS
    assert got["hypothesis"].tolist() == ["H1", "H2", "H3", "H4"]
    assert got["verdict"].tolist() == ref["verdict"].tolist() == [
        "supported", "contrary", "not supported", "not testable"
    ]
    for col in ("observed_diff", "hedges_g", "g_ci_low", "g_ci_high", "t", "df", "p_unc",
                "p_adj"):
        _close(got[col], ref[col])
    assert got["predicted"].tolist() == [
        "united_states > china", "china > united_states", "startup > big_tech", "other > china"
    ]
    assert got["by"].tolist() == ["lab_region", "lab_region", "lab_type", "lab_region"]
    assert got.loc[3, "note"] == "'other' suppressed (fewer than 5 respondents)"
    assert got.loc[0, ["n_higher", "n_lower"]].tolist() == [31, 26]
    assert set(got["verdict"]) <= set(VERDICTS)


def test_sign_follows_the_prediction(inst, data):
    got = evaluate_hypotheses(data, inst).set_index("hypothesis")
    d = data
    us = d.loc[d.lab_region == "united_states", "c1"].mean()
    cn = d.loc[d.lab_region == "china", "c1"].mean()
    assert got.loc["H1", "observed_diff"] == pytest.approx(us - cn, rel=1e-12)
    assert got.loc["H1", "hedges_g"] > 0  # as predicted
    assert got.loc["H2", "observed_diff"] < 0 and got.loc["H2", "g_ci_high"] < 0  # against


def test_alpha_decides_significance(inst, data):
    got = evaluate_hypotheses(data, inst, alpha=1e-12)
    # H2 has p_adj 1.8e-11: no longer significant; H1 neither
    assert got["verdict"].tolist() == [
        "not supported", "not supported", "not supported", "not testable"
    ]


def test_group_with_no_respondents(inst, data):
    d = data[data["lab_type"] != "startup"]
    got = evaluate_hypotheses(d, inst).set_index("hypothesis")
    assert got.loc["H3", "verdict"] == "not testable"
    assert got.loc["H3", "note"] == "no respondents in 'startup'"
    # Holm now runs over H1 and H2 only
    # Holm over two p-values, by hand: the smaller doubled, the larger kept (H2 < H1 here)
    p1, p2 = got.loc["H1", "p_unc"], got.loc["H2", "p_unc"]
    assert p2 < p1
    _close(got.loc[["H1", "H2"], "p_adj"], [max(p1, 2 * p2), 2 * p2])


def test_group_with_too_few_scores(inst, data):
    d = data.copy()
    d.loc[d["lab_type"] == "startup", "c3"] = np.nan
    got = evaluate_hypotheses(d, inst).set_index("hypothesis")
    assert got.loc["H3", "verdict"] == "not testable"
    assert got.loc["H3", "note"] == "'startup' suppressed (fewer than 5 scores)"
    assert got.loc["H3", "n_higher"] == 0


def test_missing_columns_make_hypotheses_untestable(inst, data):
    got = evaluate_hypotheses(data.drop(columns=["lab_type", "c2"]), inst).set_index("hypothesis")
    assert got.loc["H2", "note"] == "no score column for construct 'c2'"
    assert got.loc["H3", "note"] == "no column 'lab_type' in the scores"
    assert got.loc[["H2", "H3"], "verdict"].tolist() == ["not testable"] * 2
    assert got.loc["H1", "verdict"] == "supported"


def test_both_groups_constant(inst):
    scores = pd.DataFrame({"lab_region": ["china"] * 5 + ["united_states"] * 5,
                           "c1": [3.0] * 10, "c2": [2.0] * 5 + [3.0] * 5})
    got = evaluate_hypotheses(scores, inst).set_index("hypothesis")
    assert got.loc["H1", "verdict"] == "not testable"
    assert got.loc["H1", "note"] == "both groups have zero variance; no test"
    assert got.loc["H2", "observed_diff"] == -1.0


def test_unknown_group_values_raise(inst, data):
    d = data.copy()
    d.loc[4, "lab_region"] = "=cmd"
    with pytest.raises(SurveyError, match="not choices of the instrument: '=cmd'"):
        evaluate_hypotheses(d, inst)


@pytest.mark.parametrize("kwargs, match", [
    ({"alpha": 0}, "alpha must be between 0 and 1"),
    ({"min_group_n": 0}, "min_group_n"),
    ({"adjust": "bh"}, "unknown adjustment"),
])
def test_bad_options(inst, data, kwargs, match):
    with pytest.raises(SurveyError, match=match):
        evaluate_hypotheses(data, inst, **kwargs)


def test_instrument_without_hypotheses(data):
    inst = loads(INSTRUMENT_YAML.split("hypotheses:")[0])
    got = evaluate_hypotheses(data, inst)
    assert got.empty and list(got.columns) == HYPOTHESES_COLUMNS


def test_decided_table_carries_the_welch_columns_of_r(inst, data):
    """Without a cluster column ``decide_hypotheses`` (``hypotheses.csv``) decides by Welch:
    its deciding and its ``_welch`` columns are R's t-test values, Holm-adjusted in R."""
    from analysis.hypotheses import decide_hypotheses

    got = decide_hypotheses(data, inst)
    ref = pd.read_csv(REF / "compare_hypotheses.csv")
    assert (got["test"] == "welch").all()
    for col in ("observed_diff", "hedges_g", "g_ci_low", "g_ci_high", "t", "df", "p_unc",
                "p_adj"):
        _close(got[col], ref[col])
    _close(got["p_unc_welch"], ref["p_unc"])
    _close(got["p_adj_welch"], ref["p_adj"])
    assert got["verdict"].tolist() == got["verdict_welch"].tolist() == ref["verdict"].tolist()
