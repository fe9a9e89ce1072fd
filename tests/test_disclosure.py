"""Disclosure risk and protections (analysis/disclosure.py).

Reference values: ``tests/reference/disclosure.R`` computes f_k and the risk measures of
a 16-record survey with base R, from the formulas of the sdcMicro documentation (sdcMicro
itself is not packaged for Debian; the script says which formula comes from where), and
writes ``disclosure_fk.csv`` and ``disclosure_summary.csv``. sdcMicro's own test example
(tests/testthat/test_freqCalc.R of sdcTools/sdcMicro) is checked literally. Local
suppression is checked independently: by a plain double loop over the records and by a
plain ``groupby`` on the suppressed data.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from analysis.disclosure import (
    frequency_counts,
    individual_risk,
    protect,
    recode_bands,
    risk_summary,
    suppress_locally,
    suppression_order,
    utility_means,
)
from survey.errors import SurveyError
from survey.instrument import load, loads

REF = Path(__file__).parent / "reference"
KEYS = ["lab", "role", "years", "student"]


def _reference_data() -> pd.DataFrame:
    return pd.read_csv(REF / "disclosure_data.csv", dtype=str, keep_default_na=False) \
        .replace("", None)


def _loop_fk(frame: pd.DataFrame, keys) -> list[int]:
    """f_k by the documented rule, record by record (missing matches anything)."""
    rows = frame[list(keys)].astype(object).where(frame[list(keys)].notna(), None)
    values = rows.to_numpy()
    out = []
    for a in values:
        out.append(sum(all(x is None or y is None or x == y for x, y in zip(a, b, strict=True))
                       for b in values))
    return out


def test_frequency_counts_match_the_sdcmicro_formulas():
    data = _reference_data()
    ref = pd.read_csv(REF / "disclosure_fk.csv")
    fk = frequency_counts(data, KEYS)
    assert fk.tolist() == ref["fk"].tolist()
    np.testing.assert_allclose(individual_risk(fk), ref["risk"], rtol=1e-12)


@pytest.mark.parametrize("k", [2, 3, 5])
def test_risk_summary_matches_the_reference(k):
    ref = pd.read_csv(REF / "disclosure_summary.csv").set_index("k").loc[k]
    got = risk_summary(_reference_data(), KEYS, k=k, stage="x")
    assert got["violating"] == ref["violating"]
    assert got["n"] == 16 and got["keys"] == "lab|role|years|student" and got["stage"] == "x"
    for column in ("max_risk", "expected_reidentifications", "global_risk"):
        assert got[column] == pytest.approx(ref[column], rel=1e-12), column


def test_sdcmicro_test_example():
    """sdcMicro's test_freqCalc.R: f_k 2, 2, 2, 2, 1, and 3, 3, 3, 3, 5 once the widow's
    status is suppressed (a missing value counts for every category)."""
    df = pd.DataFrame({"region": ["A"] * 5,
                       "status": ["single", "married", "married", "single", "widow"],
                       "agegroup": ["5"] * 5})
    keys = ["region", "status", "agegroup"]
    assert frequency_counts(df, keys).tolist() == [2, 2, 2, 2, 1]
    out, cells = suppress_locally(df, keys, k=2)
    assert cells.to_dict("records") == [{"row": 4, "column": "status"}]
    assert frequency_counts(out, keys).tolist() == [3, 3, 3, 3, 5]


def test_no_keys_and_no_rows():
    df = pd.DataFrame({"lab": ["a", "b", "c"]})
    assert frequency_counts(df, []).tolist() == [3, 3, 3]
    assert frequency_counts(df.iloc[:0], ["lab"]).tolist() == []


# ---- local suppression ------------------------------------------------------------------

@pytest.mark.parametrize("k", [2, 3, 5])
def test_local_suppression_reaches_k_anonymity(k):
    data = _reference_data()
    out, cells = suppress_locally(data, KEYS, k=k)
    assert min(_loop_fk(out, KEYS)) >= k
    # every blanked cell was filled before and is blank now; nothing else changed
    before, after = data[KEYS].isna(), out[KEYS].isna()
    changed = {(int(r), c) for r, c in zip(*np.nonzero((after & ~before).to_numpy()),
                                          strict=True)
               for c in [KEYS[c]]}
    assert changed == {(int(r), c) for r, c in zip(cells["row"], cells["column"],
                                                  strict=True)}
    kept = ~after.to_numpy()
    assert (out[KEYS].to_numpy()[kept] == data[KEYS].to_numpy()[kept]).all()
    _groupby_check(out, KEYS, k)


def _groupby_check(frame: pd.DataFrame, keys, k: int) -> None:
    """A plain groupby of the key columns: a combination shared by fewer than k rows is
    k-anonymous only through blanked cells, so the rows with blanks compatible with it
    (equal or blank on every key) must make up the difference."""
    counts = frame[list(keys)].astype(object).where(frame[list(keys)].notna(), None) \
        .groupby(list(keys), dropna=False).size()
    combos = [(tuple(None if v != v else v for v in c), int(n)) for c, n in counts.items()]
    for combo, n in combos:
        if n >= k:
            continue
        compatible = sum(m for other, m in combos if all(
            a is None or b is None or a == b for a, b in zip(combo, other, strict=True)))
        assert compatible >= k, (combo, n, compatible)
        assert compatible > n  # the difference comes from blanked cells


def test_greedy_rule_on_a_hand_traced_example():
    """lab a: x x y y; lab b: x. Record 4 (b, x) has f = 1. Both keys have 2 distinct
    values, so the given order puts lab first: blanking it gives (-, x), f = 3."""
    df = pd.DataFrame({"lab": ["a", "a", "a", "a", "b"], "role": ["x", "x", "y", "y", "x"]})
    out, cells = suppress_locally(df, ["lab", "role"], k=2)
    assert cells.to_dict("records") == [{"row": 4, "column": "lab"}]
    out, cells = suppress_locally(df, ["lab", "role"], k=2, order=["role", "lab"])
    # blanking role of (b, x) leaves f = 1 (lab b is alone), so lab is blanked as well
    assert cells.to_dict("records") == [{"row": 4, "column": "lab"}]
    df.loc[5] = ["b", "y"]
    out, cells = suppress_locally(df, ["lab", "role"], k=2, order=["role", "lab"])
    # records 4 (b, x) and 5 (b, y) both have f = 1; the first is taken: blanking its
    # role makes (b, -), which matches (b, y): both reach f = 2
    assert cells.to_dict("records") == [{"row": 4, "column": "role"}]
    assert _loop_fk(out, ["lab", "role"]) == [2, 2, 2, 2, 2, 2]


def test_suppression_order_and_refusals():
    data = _reference_data()
    # distinct values: role 4, lab 3, years 3, student 2 (ties in the given order)
    assert suppression_order(data, KEYS) == ["role", "lab", "years", "student"]
    assert suppression_order(data, KEYS, last=["lab"]) == ["role", "years", "student", "lab"]
    with pytest.raises(SurveyError, match="3 respondents cannot be 5-anonymous"):
        suppress_locally(data.iloc[:3], KEYS, k=5)
    with pytest.raises(SurveyError, match="key column 'rol' is not in the data"):
        frequency_counts(data, ["rol"])


# ---- the protections together ------------------------------------------------------------

@pytest.fixture(scope="module")
def flagship():
    return load("lab-culture")


def _responses(inst, n_labs: int = 3, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    from survey.simulate import simulate

    data = simulate(inst, seed=seed, labs={"china": n_labs, "united_states": n_labs},
                    respondents_per_lab=(15, 25))
    for g in inst.groups:
        if g.type == "choice":
            data[g.id] = pd.Categorical(data[g.id], categories=list(g.codes))
    meta = pd.DataFrame({"IPAddress": [f"10.0.0.{i % 250}" for i in range(len(data))],
                         "StartDate": ["2025-03-03 09:00:00"] * len(data),
                         "flags": [""] * len(data)}, index=data.index)
    return data, meta


def test_protect_applies_every_default_protection(flagship):
    data, meta = _responses(flagship)
    p = protect(data, flagship, meta=meta, rng=np.random.default_rng(7), id_prefix="SIM-")
    shared = p.data
    assert p.keys == ("lab_type", "lab", "role", "years_in_field", "student")
    assert p.order[-1] == "lab"
    # direct identifiers and metadata are gone; ids are new; rows are reordered
    assert p.dropped == ("IPAddress", "StartDate", "flags") and p.kept == ()
    assert not {"IPAddress", "StartDate", "flags"} & set(shared.columns)
    assert list(shared.columns) == list(data.columns)
    assert shared["respondent_id"].tolist() == [f"SIM-P{i:04d}" for i in range(1, len(data) + 1)]
    assert not set(shared["respondent_id"]) & set(data["respondent_id"])
    # new lab codes: a one-to-one relabelling of the labs (before suppression)
    assert not set(shared["lab"].dropna()) & set(data["lab"])
    assert shared["lab"].dropna().str.fullmatch(r"L\d\d").all()
    # bands
    assert p.banded == ("years_in_field",)
    assert set(shared["years_in_field"].dropna()) <= {"lt3", "y3_10", "y10plus"}
    # k-anonymity, checked by the documented rule record by record
    assert min(_loop_fk(shared, p.keys)) >= 5
    _groupby_check(shared, p.keys, 5)
    assert list(p.risk["stage"]) == ["original", "new lab codes", "bands", "shared"]
    assert p.risk.iloc[-1]["violating"] == 0 and p.risk.iloc[-1]["max_risk"] <= 0.2
    assert p.risk.iloc[0]["violating"] == (np.array(_loop_fk(data, p.keys)) < 5).sum()
    # the list of blanked cells names the shared rows
    for rid, column in p.suppressed.itertuples(index=False):
        assert pd.isna(shared.loc[shared["respondent_id"] == rid, column]).all()
    assert list(p.steps["step"]) == ["new respondent ids", "dropped", "new lab codes", "bands",
                                     "local suppression"]
    # the answers themselves are unchanged: same multiset of item rows
    items = list(flagship.item_ids)
    a = data[items].astype("float").fillna(-1).sort_values(items).to_numpy()
    b = shared[items].astype("float").fillna(-1).sort_values(items).to_numpy()
    assert (a == b).all()


def test_protect_is_deterministic_with_a_seed_and_honours_its_options(flagship):
    data, meta = _responses(flagship)
    a = protect(data, flagship, meta=meta, rng=np.random.default_rng(3))
    b = protect(data, flagship, meta=meta, rng=np.random.default_rng(3))
    pd.testing.assert_frame_equal(a.data, b.data)
    kept = protect(data, flagship, meta=meta, keep=["IPAddress"], keep_lab_codes=True,
                   coarsen=False, rng=np.random.default_rng(3))
    assert "IPAddress" in kept.data and kept.kept == ("IPAddress",)
    assert "not protected" in kept.notes[0]
    assert set(kept.data["lab"].dropna()) <= set(data["lab"])
    assert kept.banded == ()
    assert "lab codes kept" in list(kept.steps["step"])
    with pytest.raises(SurveyError, match=r"--keep 'IPadress'.*did you mean 'IPAddress'"):
        protect(data, flagship, meta=meta, keep=["IPadress"])
    with pytest.raises(SurveyError, match="--suppress-order 'lab_region' is not an identifying"):
        protect(data, flagship, order=["lab_region"])


def test_a_question_a_hypothesis_compares_is_not_banded(flagship, tiny_yaml):
    text = tiny_yaml.replace("constructs:", """\
  - id: years
    identifying: true
    text: {en: Years, zh: 年}
    choices: [{code: a, label: {en: A, zh: 甲}}, {code: b, label: {en: B, zh: 乙}}]
    bands: [{code: ab, label: {en: AB, zh: 甲乙}, choices: [a, b]}]
constructs:""", 1).replace("by: lab_region, predicts: china > united_states",
                           "by: years, predicts: a > b")
    inst = loads(text)
    data = pd.DataFrame({"respondent_id": [f"R{i}" for i in range(10)],
                         "lab_region": ["china"] * 10, "lab": ["x"] * 10,
                         "years": ["a", "b"] * 5, "a1": [1] * 10, "a2": [2] * 10,
                         "attn1": [4] * 10})
    p = protect(data, inst, rng=np.random.default_rng(0))
    assert p.banded == ()
    assert p.notes == ["'years' not banded: a hypothesis compares its choices"]


def test_recode_bands_counts_changed_cells(flagship):
    df = pd.DataFrame({"years_in_field": ["lt1", "y1_3", None, "y10plus", "y5_10"]})
    out, changed = recode_bands(df, flagship, ["years_in_field"])
    assert [None if pd.isna(v) else v for v in out["years_in_field"]] == [
        "lt3", "lt3", None, "y10plus", "y3_10"]
    assert changed == 3


def test_utility_means_by_hand(flagship):
    construct = flagship.constructs[0].id
    original = pd.DataFrame({
        "years_in_field": ["lt1"] * 3 + ["y1_3"] * 3 + ["y3_5"] * 2,
        construct: [1.0, 2.0, 3.0, 4.0, 5.0, 3.0, 2.0, 2.0]})
    shared = original.copy()
    shared["years_in_field"] = ["lt3"] * 5 + [None] + ["y3_10"] * 2
    table = utility_means(original, shared, flagship, bands=["years_in_field"], min_group_n=2)
    row = table[(table["by"] == "years_in_field") & (table["group"] == "lt3")
                & (table["construct"] == construct)].iloc[0]
    assert (row["n_original"], row["n_shared"]) == (6, 5)
    assert row["mean_original"] == pytest.approx(18 / 6)
    assert row["mean_shared"] == pytest.approx(15 / 5)
    assert row["diff"] == pytest.approx(0.0)
    small = table[(table["group"] == "y10plus") & (table["construct"] == construct)].iloc[0]
    assert small["n_original"] == 0 and np.isnan(small["mean_original"])


def test_an_instrument_without_quasi_identifiers_says_so(tiny_instrument):
    data = pd.DataFrame({"respondent_id": [f"R{i}" for i in range(6)],
                         "lab_region": ["china"] * 6, "lab": ["x"] * 6,
                         "a1": [1] * 6, "a2": [2] * 6, "attn1": [4] * 6})
    p = protect(data, tiny_instrument, rng=np.random.default_rng(0))
    assert p.keys == () and len(p.suppressed) == 0
    assert p.risk.iloc[-1]["violating"] == 0 and p.risk.iloc[-1]["max_risk"] == 1 / 6
    assert p.notes[0].startswith("the instrument marks no question identifying")
