"""Cronbach's alpha, Feldt CI, standardised alpha, omega total and item statistics.

Reference values: ``tests/reference/reliability.R`` (R 4.2.2, psych 2.2.9) computes
``psych::alpha`` (raw_alpha, std.alpha, average_r, item.stats r.drop and n/mean/sd,
alpha.drop raw_alpha), ``psych::response.frequencies``, Feldt's interval written out
with ``qf`` (equal to ``psych::alpha.ci``) and omega total from
``psych::fa(R, nfactors = 1, fm = "ml")`` on:

* ``bfi_subset.csv``: psych's bfi, the 2709 complete cases of the agreeableness items
  (A1 reversed), pooled and by gender;
* ``reliability_missing_data.csv``: bfi rows 1-400 of conscientiousness (C4, C5
  reversed) with 6 % of cells blanked (seeded), pairwise and listwise, pooled and by
  gender.

Tolerances: alpha statistics, item statistics and the CI are compared at ``rtol=1e-6``
(they agree to about 4e-15). Omega is compared at ``atol=1e-5`` (the largest gap over
the seven reference cases is 7e-7): psych's ``fa`` stops its L-BFGS-B search at R's
default ``factr`` (relative change of about 2e-8 in the criterion), so its loadings are
accurate to a few 1e-7; the fit here runs to a tighter optimum.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.reliability import (
    ITEM_COLUMNS,
    RELIABILITY_COLUMNS,
    analyse_items,
    assess_reliability,
    cronbach_alpha,
    fit_one_factor,
    omega_total,
)
from survey.errors import SurveyError
from survey.instrument import loads
from survey.responses.model import ImportLog, ResponseSet

REF = Path(__file__).resolve().parent / "reference"
RTOL = 1e-6
OMEGA_ATOL = 1e-5

BFI_YAML = """\
id: bfi_ref
version: "1"
languages: [en]
title: {en: bfi reference}
scales:
  six: {points: [1, 2, 3, 4, 5, 6], labels: {en: [a, b, c, d, e, f]}}
groups:
  - id: gender
    text: {en: Gender}
    choices:
      - {code: "1", label: {en: male}}
      - {code: "2", label: {en: female}}
constructs:
  - id: agree
    name: {en: Agreeableness}
    definition: {en: bfi}
    scale: six
    items:
      - {id: A1, text: {en: T}, reverse: true}
      - {id: A2, text: {en: T}, reverse: false}
      - {id: A3, text: {en: T}, reverse: false}
      - {id: A4, text: {en: T}, reverse: false}
      - {id: A5, text: {en: T}, reverse: false}
  - id: consc
    name: {en: Conscientiousness}
    definition: {en: bfi}
    scale: six
    items:
      - {id: C1, text: {en: T}, reverse: false}
      - {id: C2, text: {en: T}, reverse: false}
      - {id: C3, text: {en: T}, reverse: false}
      - {id: C4, text: {en: T}, reverse: true}
      - {id: C5, text: {en: T}, reverse: true}
"""


@pytest.fixture(scope="module")
def inst():
    return loads(BFI_YAML)


def _responses(path: Path, inst) -> ResponseSet:
    raw = pd.read_csv(path)
    df = pd.DataFrame({"respondent_id": [f"R{i + 1}" for i in range(len(raw))]})
    df["gender"] = pd.Categorical(raw["gender"].astype(str), categories=["1", "2"])
    for item in inst.item_ids:
        df[item] = raw[item].astype("Int64") if item in raw else pd.array(
            [pd.NA] * len(raw), dtype="Int64")
    return ResponseSet(data=df, instrument=inst,
                       log=ImportLog(file=path.name, platform="template", rows_read=len(df)))


@pytest.fixture(scope="module")
def bfi(inst):
    return _responses(REF / "bfi_subset.csv", inst)


@pytest.fixture(scope="module")
def with_missing(inst):
    return _responses(REF / "reliability_missing_data.csv", inst)


@pytest.fixture(scope="module")
def ref_scales():
    return pd.read_csv(REF / "reliability_scales.csv", dtype={"group": str})


@pytest.fixture(scope="module")
def ref_items():
    return pd.read_csv(REF / "reliability_items.csv", dtype={"group": str})


CASES = [  # (dataset, construct, missing)
    ("bfi_subset", "agree", "pairwise"),
    ("missing", "consc", "pairwise"),
    ("missing", "consc", "listwise"),
]


def _ours(case, bfi, with_missing):
    dataset, construct, missing = case
    rs = bfi if dataset == "bfi_subset" else with_missing
    return assess_reliability(rs, by="gender", missing=missing, constructs=[construct])


@pytest.mark.parametrize("case", CASES, ids=["-".join(c) for c in CASES])
def test_scale_statistics_match_psych(case, bfi, with_missing, ref_scales):
    ours = _ours(case, bfi, with_missing)
    dataset, construct, missing = case
    ref = ref_scales[(ref_scales.dataset == dataset) & (ref_scales.missing == missing)]
    merged = ref.merge(ours, on=["construct", "group"], suffixes=("_r", ""))
    assert len(merged) == len(ref) >= 1
    assert (merged["n_r"] == merged["n"]).all()
    assert (merged["k_r"] == merged["k"]).all()
    for r_col, col in [("raw_alpha", "alpha"), ("std_alpha_r", "std_alpha"),
                       ("average_r", "mean_r"), ("feldt_low", "alpha_ci_low"),
                       ("feldt_high", "alpha_ci_high")]:
        np.testing.assert_allclose(merged[col], merged[r_col], rtol=RTOL, err_msg=col)
    np.testing.assert_allclose(merged["omega"], merged["omega_r"], atol=OMEGA_ATOL)
    assert (merged["missing"] == missing).all()
    assert (merged["ci_method"] == "feldt").all()
    assert (merged["note"] == "").all()


def test_bfi_listwise_matches_the_published_reference(bfi):
    """The published psych values (methods.md §1.5, 4 decimals): agreeableness on the
    2709 complete cases, alpha .7038, Feldt 95 % CI [.6857, .7210]."""
    row = assess_reliability(bfi, constructs=["agree"]).iloc[0]
    assert row["n"] == 2709
    assert row["alpha"] == pytest.approx(0.7038, abs=5e-5)
    assert row["alpha_ci_low"] == pytest.approx(0.6857, abs=5e-5)
    assert row["alpha_ci_high"] == pytest.approx(0.7210, abs=5e-5)


@pytest.mark.parametrize("case", CASES, ids=["-".join(c) for c in CASES])
def test_item_statistics_match_psych(case, bfi, with_missing, ref_items):
    dataset, construct, missing = case
    rs = bfi if dataset == "bfi_subset" else with_missing
    ours = analyse_items(rs, missing=missing, constructs=[construct])
    ref = ref_items[(ref_items.dataset == dataset) & (ref_items.missing == missing)
                    & (ref_items.group == "all")]
    merged = ref.merge(ours, on=["construct", "item"], suffixes=("_r", ""))
    assert len(merged) == 5
    assert (merged["n_r"] == merged["n"]).all()
    for col in ["mean", "sd", "r_drop", "alpha_if_dropped",
                *[f"p_{p}" for p in range(1, 7)]]:
        np.testing.assert_allclose(merged[col], merged[f"{col}_r"], rtol=RTOL, err_msg=col)
    # mean_answered: psych's mean of the keyed item, keyed back by hand (1..6: 7 - mean)
    answered = np.where(merged["reverse"], 7 - merged["mean_r"], merged["mean_r"])
    np.testing.assert_allclose(merged["mean_answered"], answered, rtol=RTOL)


def test_omega_gap_to_psych_is_small(bfi, with_missing, ref_scales):
    """The largest omega difference from psych::fa over all reference cases."""
    gaps = []
    for case in CASES:
        ours = _ours(case, bfi, with_missing)
        ref = ref_scales[(ref_scales.dataset == case[0]) & (ref_scales.missing == case[2])]
        merged = ref.merge(ours, on=["construct", "group"], suffixes=("_r", ""))
        gaps.extend(np.abs(merged["omega"] - merged["omega_r"]))
    assert max(gaps) < OMEGA_ATOL


def test_pingouin_alpha_agrees(with_missing, inst):
    """pingouin 0.7's cronbach_alpha (pairwise = psych) on the keyed items."""
    import pingouin as pg

    from analysis.scoring import reverse_key

    keyed = reverse_key(with_missing.data, inst)[list(inst.construct("consc").item_ids)]
    keyed = keyed.astype(float)
    ours = cronbach_alpha(keyed)
    theirs, ci = pg.cronbach_alpha(keyed)
    assert ours.alpha == pytest.approx(theirs, rel=1e-12)
    np.testing.assert_allclose([ours.ci_low, ours.ci_high], ci, atol=5e-4)  # pg rounds


def test_output_columns(bfi):
    table = assess_reliability(bfi, by="gender")
    assert tuple(table.columns) == RELIABILITY_COLUMNS
    assert table[["construct", "group"]].values.tolist() == [
        ["agree", "all"], ["agree", "1"], ["agree", "2"],
        ["consc", "all"], ["consc", "1"], ["consc", "2"],
    ]
    items = analyse_items(bfi)
    assert tuple(items.columns) == (*ITEM_COLUMNS, "p_1", "p_2", "p_3", "p_4", "p_5", "p_6",
                                    "mean_answered")
    assert items["reverse"].tolist() == [True, False, False, False, False,
                                         False, False, False, True, True]


# ---- edge cases ------------------------------------------------------------------------------

EDGE_YAML = """\
id: edge
version: "1"
languages: [en]
title: {en: Edge cases}
scales:
  agree5: {points: [1, 2, 3, 4, 5], labels: {en: [a, b, c, d, e]}}
  bipolar: {points: [-2, -1, 0, 1, 2], labels: {en: [a, b, c, d, e]}}
groups:
  - id: lab_region
    text: {en: Region}
    choices:
      - {code: china, label: {en: China}}
      - {code: united_states, label: {en: United States}}
      - {code: other, label: {en: Other}}
  - {id: lab, type: text, text: {en: Lab}}
constructs:
  - id: single
    name: {en: Single}
    definition: {en: D}
    scale: agree5
    items: [{id: s1, text: {en: T}, reverse: false}]
  - id: pair
    name: {en: Pair}
    definition: {en: D}
    scale: agree5
    items:
      - {id: p1, text: {en: T}, reverse: false}
      - {id: p2, text: {en: T}, reverse: true}
  - id: triple
    name: {en: Triple}
    definition: {en: D}
    scale: bipolar
    items:
      - {id: t1, text: {en: T}, reverse: false}
      - {id: t2, text: {en: T}, reverse: false}
      - {id: t3, text: {en: T}, reverse: true}
"""


@pytest.fixture(scope="module")
def edge():
    return loads(EDGE_YAML)


def _edge_frame(n=12, seed=3):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=n)
    def item(lo, hi, sign=1):
        return np.clip(np.round(3 + sign * 1.2 * f + rng.normal(size=n)), lo, hi)
    df = pd.DataFrame({
        "respondent_id": [f"SIM-{i:02d}" for i in range(n)],
        "lab_region": pd.Categorical(["china"] * (n // 2) + ["united_states"] * (n - n // 2),
                                     categories=["china", "united_states", "other"]),
        "lab": ["CN-01"] * (n // 2) + ["US-01"] * (n - n // 2),
        "s1": item(1, 5), "p1": item(1, 5), "p2": item(1, 5, -1),
        "t1": item(1, 5) - 3, "t2": item(1, 5) - 3, "t3": 3 - item(1, 5),
    })
    for c in ["s1", "p1", "p2", "t1", "t2", "t3"]:
        df[c] = df[c].astype("Int64")
    return df


def _row(table, construct, group="all"):
    hit = table[(table.construct == construct) & (table.group == group)]
    assert len(hit) == 1
    return hit.iloc[0]


def test_one_item_construct_gives_nan_with_a_note(edge):
    table = assess_reliability(_edge_frame(), edge)
    row = _row(table, "single")
    assert row["k"] == 1 and row["n"] == 12
    assert np.isnan(row["alpha"]) and np.isnan(row["omega"]) and np.isnan(row["std_alpha"])
    assert row["note"] == "one item: alpha and item-total statistics are undefined"
    items = analyse_items(_edge_frame(), edge, constructs=["single"])
    assert np.isnan(items.loc[0, "r_drop"]) and np.isnan(items.loc[0, "alpha_if_dropped"])
    assert items.loc[0, "n"] == 12


def test_two_items_alpha_but_no_omega(edge):
    df = _edge_frame()
    row = _row(assess_reliability(df, edge), "pair")
    x = np.column_stack([df["p1"].astype(float), 6 - df["p2"].astype(float)])
    c = np.cov(x, rowvar=False)
    # alpha of two items by hand: 2 (1 - (v1 + v2) / (v1 + v2 + 2 c12))
    assert row["alpha"] == pytest.approx(2 * (1 - np.trace(c) / c.sum()), rel=1e-12)
    assert np.isnan(row["omega"])
    assert row["note"] == ("two items: alpha if an item is dropped is undefined; "
                           "omega needs at least 3 items")


def test_zero_variance_item(edge):
    df = _edge_frame()
    df["t2"] = pd.array([1] * len(df), dtype="Int64")
    row = _row(assess_reliability(df, edge), "triple")
    assert np.isfinite(row["alpha"])
    assert np.isnan(row["std_alpha"]) and np.isnan(row["mean_r"]) and np.isnan(row["omega"])
    assert row["note"] == ("1 item without variance; standardised alpha and correlations "
                           "are undefined")
    items = analyse_items(df, edge, constructs=["triple"])
    assert items.loc[1, "sd"] == 0 and np.isnan(items.loc[1, "r_drop"])


def test_no_variance_at_all(edge):
    df = _edge_frame()
    for c in ["t1", "t2", "t3"]:
        df[c] = pd.array([0] * len(df), dtype="Int64")
    row = _row(assess_reliability(df, edge), "triple")
    assert np.isnan(row["alpha"]) and np.isnan(row["alpha_ci_low"])
    assert row["note"].startswith("the items have no variance; alpha is undefined")


def test_all_answers_missing_in_a_group(edge):
    df = _edge_frame()
    china = (df["lab_region"] == "china").to_numpy()
    for c in ["t1", "t2", "t3"]:
        df.loc[china, c] = pd.NA
    table = assess_reliability(df, edge, by="lab_region", constructs=["triple"])
    row = _row(table, "triple", "china")
    assert row["n"] == 0 and np.isnan(row["alpha"])
    assert row["note"] == "all answers are missing; nothing to compute"
    assert _row(table, "triple", "all")["n"] == 6
    # a group with no respondents at all is not listed
    assert "other" not in set(table["group"])


def test_small_group_is_not_reported(edge):
    table = assess_reliability(_edge_frame(), edge, by="lab_region", min_group_n=7,
                               constructs=["pair"])
    row = _row(table, "pair", "china")
    assert row["n"] == 6 and np.isnan(row["alpha"])
    assert row["note"] == "fewer than 7 respondents; not reported"


def test_single_group_and_text_grouping(edge):
    df = _edge_frame()
    df["lab_region"] = pd.Categorical(["china"] * len(df),
                                      categories=["china", "united_states", "other"])
    table = assess_reliability(df, edge, by="lab_region", constructs=["pair"])
    assert table["group"].tolist() == ["all", "china"]
    a, b = table["alpha"]
    assert a == b
    by_lab = assess_reliability(_edge_frame(), edge, by="lab", constructs=["pair"])
    assert by_lab["group"].tolist() == ["all", "CN-01", "US-01"]


def test_grouping_column_errors(edge):
    df = _edge_frame()
    with pytest.raises(SurveyError, match="no column 'lab_regoin' to group by.*"
                                          "did you mean 'lab_region'"):
        assess_reliability(df, edge, by="lab_regoin")
    bad = df.copy()
    bad["lab_region"] = bad["lab_region"].astype(str)
    bad.loc[0, "lab_region"] = "mars"
    with pytest.raises(SurveyError, match="column 'lab_region' holds values that are not "
                                          "choices of the instrument: 'mars'"):
        assess_reliability(bad, edge, by="lab_region")
    with pytest.raises(SurveyError, match="missing must be one of pairwise, listwise"):
        assess_reliability(df, edge, missing="complete")
    with pytest.raises(SurveyError, match="unknown construct.*'tripel'.*did you mean 'triple'"):
        assess_reliability(df, edge, constructs=["tripel"])


def test_listwise_drops_incomplete_respondents(edge):
    df = _edge_frame()
    df.loc[0, "t1"] = pd.NA
    df.loc[1, "t2"] = pd.NA
    pair = assess_reliability(df, edge, constructs=["triple"])
    lw = assess_reliability(df, edge, constructs=["triple"], missing="listwise")
    assert pair.loc[0, "n"] == 12 and lw.loc[0, "n"] == 10
    assert lw.loc[0, "missing"] == "listwise"
    complete = df.iloc[2:]
    assert lw.loc[0, "alpha"] == pytest.approx(
        assess_reliability(complete, edge, constructs=["triple"]).loc[0, "alpha"], rel=1e-12)


def test_negative_points_name_share_columns(edge):
    items = analyse_items(_edge_frame(), edge, constructs=["triple"])
    assert list(items.columns[-6:-1]) == ["p_m2", "p_m1", "p_0", "p_1", "p_2"]
    shares = items[["p_m2", "p_m1", "p_0", "p_1", "p_2"]].to_numpy()
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    raw = _edge_frame()["t3"]                    # reversed item: shares of raw answers
    assert items.loc[2, "p_2"] == pytest.approx((raw == 2).mean())
    all_items = analyse_items(_edge_frame(), edge)
    assert np.isnan(all_items.loc[0, "p_m2"])    # not a point of agree5


def test_inputs_are_not_modified(edge):
    df = _edge_frame()
    before = df.copy()
    assess_reliability(df, edge, by="lab_region")
    analyse_items(df, edge)
    pd.testing.assert_frame_equal(df, before)


def test_one_factor_recovers_a_known_model():
    lam = np.array([0.9, 0.75, 0.6, 0.45, 0.3])
    R = np.outer(lam, lam)
    np.fill_diagonal(R, 1)
    fit = fit_one_factor(R)
    np.testing.assert_allclose(fit.loadings, lam, atol=1e-6)
    assert fit.converged and not fit.heywood
    s = lam.sum() ** 2
    assert fit.omega == pytest.approx(s / (s + (1 - lam**2).sum()), abs=1e-6)


def test_one_factor_needs_three_items():
    with pytest.raises(SurveyError, match="at least 3 items"):
        fit_one_factor(np.eye(2))


def test_omega_total_function(with_missing, inst, ref_scales):
    from analysis.scoring import keyed_matrix

    x = keyed_matrix(with_missing.data, inst, inst.construct("consc"))
    ref = ref_scales[(ref_scales.dataset == "missing") & (ref_scales.group == "all")
                     & (ref_scales.missing == "pairwise")].iloc[0]
    assert omega_total(x) == pytest.approx(ref["omega"], abs=OMEGA_ATOL)
