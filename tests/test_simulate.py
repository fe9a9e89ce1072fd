"""``survey simulate`` and the shipped sample data.

The recovery tests compute everything by hand here (reverse keying as ``6 - x``, plain
scale means, a one-way ANOVA ICC(1) with n0 for unequal lab sizes, Cronbach's alpha),
independently of :mod:`analysis`. Tolerances were set from 30 seeds of the same design
(100 labs of 25-35 respondents, 2,998 on average): over those seeds the smallest
standardised difference of any hypothesis was 0.23, the mean over hypotheses 0.37-0.49,
the mean ICC(1)/alpha 0.080-0.109 for a planted ICC of 0.10 and 0.213-0.254 for 0.25.
"""

from __future__ import annotations

import io
import re
import shlex
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from click.testing import CliRunner

from survey.cli import cli
from survey.errors import SurveyError
from survey.instrument import load, loads
from survey.simulate import (
    about_rows,
    command_line,
    parse_dif,
    parse_labs,
    parse_range,
    simulate,
    write_simulated,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data" / "lab_culture_responses.xlsx"
SAMPLE_README = ROOT / "sample_data" / "README.md"

BIG = {"labs": {"china": 50, "united_states": 50}, "respondents_per_lab": (25, 35)}


@pytest.fixture(scope="module")
def inst():
    return load("lab-culture")


@pytest.fixture(scope="module")
def big(inst):
    """About 3,000 respondents in 100 labs, default effect 0.5 and ICC 0.10."""
    return simulate(inst, seed=11, **BIG)


# ---- hand-computed statistics ------------------------------------------------------------

def scale_means(frame: pd.DataFrame, instrument) -> pd.DataFrame:
    """Mean of each construct's items per respondent, reverse-keyed items as 6 - x."""
    out = {}
    for c in instrument.constructs:
        cols = []
        for item in c.items:
            x = frame[item.id].astype("float64")
            cols.append(6 - x if item.reverse else x)
        out[c.id] = pd.concat(cols, axis=1).mean(axis=1)
    return pd.DataFrame(out)


def cohen_d(a: pd.Series, b: pd.Series) -> float:
    a, b = a.dropna(), b.dropna()
    pooled = ((len(a) - 1) * a.var() + (len(b) - 1) * b.var()) / (len(a) + len(b) - 2)
    return float((a.mean() - b.mean()) / np.sqrt(pooled))


def icc1(y: pd.Series, groups: pd.Series) -> float:
    """One-way ANOVA ICC(1) = (MSB - MSW) / (MSB + (n0 - 1) MSW), n0 for unequal sizes."""
    d = pd.DataFrame({"y": y, "g": groups}).dropna()
    g = d.groupby("g", observed=True)["y"]
    n_j = g.size()
    big_n, j = len(d), len(n_j)
    msb = float((n_j * (g.mean() - d["y"].mean()) ** 2).sum() / (j - 1))
    msw = float(((d["y"] - g.transform("mean")) ** 2).sum() / (big_n - j))
    n0 = (big_n - float((n_j**2).sum()) / big_n) / (j - 1)
    return (msb - msw) / (msb + (n0 - 1) * msw)


def cronbach_alpha(frame: pd.DataFrame, construct) -> float:
    x = pd.concat(
        [6 - frame[i.id].astype("float64") if i.reverse else frame[i.id].astype("float64")
         for i in construct.items],
        axis=1,
    ).dropna()
    k = x.shape[1]
    return k / (k - 1) * (1 - x.var(ddof=1).sum() / x.sum(axis=1).var(ddof=1))


def test_icc1_hand_formula_matches_methods_reference():
    """ICC(1) on a balanced 3-lab toy, computed by hand (n0 = 3 when labs are equal)."""
    y = pd.Series([1, 2, 3, 4, 5, 6, 7, 8, 9.0])
    g = pd.Series(["a", "a", "a", "b", "b", "b", "c", "c", "c"])
    # lab means 2, 5, 8; grand 5; MSB = 3*(9+0+9)/2 = 27; MSW = 6/6 = 1; n0 = 3
    assert icc1(y, g) == pytest.approx((27 - 1) / (27 + 2 * 1))


# ---- the shipped sample ----------------------------------------------------------------

def recorded_command() -> list[str]:
    lines = [ln for ln in SAMPLE_README.read_text(encoding="utf-8").splitlines()
             if ln.startswith("survey simulate ")]
    assert len(lines) == 1, "sample_data/README.md must record exactly one command"
    return shlex.split(lines[0])


def test_sample_regenerates_byte_for_byte_from_its_recorded_command(tmp_path):
    args = recorded_command()
    assert args[-2:] == ["-o", "sample_data/lab_culture_responses.xlsx"]
    out = tmp_path / "again.xlsx"
    result = CliRunner().invoke(cli, [*args[1:-1], str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == SAMPLE.read_bytes()


def test_sample_matches_what_its_readme_says(inst):
    wb = openpyxl.load_workbook(SAMPLE, read_only=True)
    assert wb.sheetnames == ["responses", "about"]
    about = dict(list(wb["about"].iter_rows(values_only=True))[1:])
    assert "simulated" in about["simulated"]
    assert about["null"] == "H7"
    assert about["midpoint"] == "china=0.25"
    assert about["dif"] == "bb5:united_states=0.8"
    assert about["labs per region"] == "china: 8, united_states: 5, other: 1"
    frame = pd.read_excel(SAMPLE, sheet_name="responses", engine="calamine")
    assert tuple(frame.columns) == inst.columns
    assert 400 <= len(frame) <= 700
    assert frame["lab"].nunique() == 14
    text = SAMPLE_README.read_text(encoding="utf-8")
    assert f"{len(frame)} simulated respondents" in text
    # every hypothesis but the planted null comes out in its predicted direction
    scores = scale_means(frame, inst)
    region = frame["lab_region"]
    for h in inst.hypotheses:
        d = cohen_d(scores.loc[region == h.higher, h.construct],
                    scores.loc[region == h.lower, h.construct])
        if h.id == "H7":
            assert abs(d) < 0.2
        else:
            assert d > 0.1, h.id


# ---- layout, determinism, ranges -------------------------------------------------------

def test_same_seed_same_bytes_other_seed_other_data(inst):
    a = simulate(inst, seed=5, labs=4, respondents_per_lab=(5, 9))
    b = simulate(inst, seed=5, labs=4, respondents_per_lab=(5, 9))
    c = simulate(inst, seed=6, labs=4, respondents_per_lab=(5, 9))
    for suffix in (".xlsx", ".csv"):
        assert write_simulated(a, suffix) == write_simulated(b, suffix)
    assert not a.equals(c)


def test_template_layout_codes_and_ranges(inst, big):
    assert tuple(big.columns) == inst.columns
    ids = big["respondent_id"]
    assert ids.is_unique and ids.str.fullmatch(r"SIM-\d{5}").all()
    assert ids.iloc[0] == "SIM-00001"
    assert big["lab"].str.fullmatch(r"(CN|US)-\d\d").all()
    assert big["lab"].nunique() == 100
    prefix = big["lab"].str[:2].map({"CN": "china", "US": "united_states"})
    assert (prefix == big["lab_region"].astype(str)).all()
    per_lab = big.groupby("lab").agg(n=("respondent_id", "size"),
                                     types=("lab_type", "nunique"))
    assert per_lab["n"].between(25, 35).all()
    assert (per_lab["types"] == 1).all()
    for g in inst.groups:
        if g.type == "choice":
            assert set(big[g.id].dropna().astype(str)) <= set(g.codes), g.id
            assert big[g.id].notna().all(), g.id
    for var in (*inst.item_ids, *inst.check_ids):
        assert str(big[var].dtype) == "Int64"
        assert set(big[var].dropna().unique()) <= set(inst.scale_of(var).points), var
    items = big[list(inst.item_ids)]
    assert items.isna().to_numpy().mean() == pytest.approx(0.02, abs=0.005)
    answered = big["attn1"].dropna()
    fail_share = float((answered != inst.check("attn1").expect).mean())
    # 3 % answer at random and 4 in 5 of them miss the expected answer
    assert fail_share == pytest.approx(0.03 * 0.8, abs=0.01)


def test_students_concentrated_where_student_involvement_is_predicted_higher(inst, big):
    share = (big["student"] == "yes").groupby(big["lab_region"], observed=True).mean()
    assert share["china"] == pytest.approx(0.35, abs=0.04)
    assert share["united_states"] == pytest.approx(0.12, abs=0.04)
    students = big[big["student"] == "yes"]
    assert (students["role"] == "student_intern").mean() == pytest.approx(0.85, abs=0.05)
    assert (big.loc[big["student"] == "no", "role"] == "student_intern").sum() == 0


def test_csv_layout(inst):
    frame = simulate(inst, seed=2, labs=3, respondents_per_lab=(4, 6))
    text = write_simulated(frame, ".csv").decode("utf-8")
    back = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    assert tuple(back.columns) == inst.columns
    assert len(back) == len(frame)
    assert back["respondent_id"].iloc[0] == "SIM-00001"
    assert "\r" not in text


# ---- parameter recovery ----------------------------------------------------------------

def test_recovers_every_planted_direction_with_plain_scale_means(inst, big):
    """Planted latent d = 0.5; observed d is attenuated by reliability (~0.5 * sqrt(alpha))."""
    scores = scale_means(big, inst)
    region = big["lab_region"]
    ds = {}
    for h in inst.hypotheses:
        hi = scores.loc[region == h.higher, h.construct]
        lo = scores.loc[region == h.lower, h.construct]
        assert hi.mean() > lo.mean(), h.id
        ds[h.id] = cohen_d(hi, lo)
        assert ds[h.id] > 0.15, (h.id, ds[h.id])
    alphas = [cronbach_alpha(big, c) for c in inst.constructs]
    expected = 0.5 * np.sqrt(np.mean(alphas))
    assert np.mean(list(ds.values())) == pytest.approx(expected, abs=0.1)


@pytest.mark.parametrize("planted", [0.10, 0.25])
def test_recovers_planted_icc_by_one_way_anova(inst, planted):
    """ICC(1) of region-centred scale means, disattenuated by alpha, is near the planted ICC.

    Measurement error sits within persons, so ICC(1) of observed means is about
    ICC(latent) * reliability; dividing by Cronbach's alpha undoes that.
    """
    frame = simulate(inst, seed=21, icc=planted, **BIG)
    scores = scale_means(frame, inst)
    region = frame["lab_region"]
    raw, corrected = [], []
    for c in inst.constructs:
        s = scores[c.id]
        centred = s - s.groupby(region, observed=True).transform("mean")
        value = icc1(centred, frame["lab"])
        raw.append(value)
        corrected.append(value / cronbach_alpha(frame, c))
    assert np.mean(corrected) == pytest.approx(planted, abs=0.03 if planted < 0.2 else 0.05)
    assert min(raw) > planted / 3
    assert max(raw) < planted * 1.5


def test_null_leaves_no_difference_and_touches_nothing_else(inst, big):
    nulled = simulate(inst, seed=11, null=["H7"], **BIG)
    scores = scale_means(nulled, inst)
    region = nulled["lab_region"]
    d = cohen_d(scores.loc[region == "china", "peer_respect"],
                scores.loc[region == "united_states", "peer_respect"])
    assert abs(d) < 0.15
    others = [i for i in inst.item_ids if not i.startswith("pr")]
    pd.testing.assert_frame_equal(nulled[others], big[others])


def test_midpoint_style_raises_midpoint_share_in_that_region_only(inst, big):
    styled = simulate(inst, seed=11, midpoint={"china": 0.3}, **BIG)
    items = list(inst.item_ids)

    def share(frame, code):
        x = frame.loc[frame["lab_region"] == code, items]
        return float((x == 3).sum().sum() / x.notna().sum().sum())

    base = share(big, "china")
    # 3 % inattentive respondents keep their random answers
    expected = base + 0.3 * 0.97 * (1 - base)
    assert share(styled, "china") == pytest.approx(expected, abs=0.02)
    us = big["lab_region"] == "united_states"
    pd.testing.assert_frame_equal(styled.loc[us, items], big.loc[us, items])


@pytest.mark.parametrize("item", ["ow1", "ow2"])
def test_dif_shifts_that_items_mean_in_that_region(inst, big, item):
    """A positive shift raises the raw answers, on a reverse-keyed item (ow2) too."""
    shifted = simulate(inst, seed=11, dif=[(item, "china", 1.0)], **BIG)
    cn = big["lab_region"] == "china"
    rise = shifted.loc[cn, item].mean() - big.loc[cn, item].mean()
    assert 0.4 < rise < 1.2
    pd.testing.assert_series_equal(shifted.loc[~cn, item], big.loc[~cn, item])
    others = [i for i in inst.item_ids if i != item]
    pd.testing.assert_frame_equal(shifted[others], big[others])


# ---- other instruments -----------------------------------------------------------------

TINY = """
id: tiny
version: "1"
languages: [en]
title: {en: Tiny}
scales:
  agree7: {points: [1, 2, 3, 4, 5, 6, 7], labels: {en: [a, b, c, d, e, f, g]}}
  yn: {points: [0, 1], labels: {en: ["no", "yes"]}}
groups:
  - {id: team, text: {en: Team}, choices: [{code: red, label: {en: Red}},
                                           {code: blue, label: {en: Blue}}]}
constructs:
  - {id: calm, name: {en: Calm}, definition: {en: D}, scale: agree7,
     items: [{id: c1, text: {en: T}}, {id: c2, text: {en: T}, reverse: true}]}
  - {id: binary, name: {en: B}, definition: {en: D}, scale: yn,
     items: [{id: b1, text: {en: T}}]}
checks:
  - {id: chk, text: {en: Pick 6}, scale: agree7, expect: 6}
hypotheses:
  - {id: H1, construct: calm, by: team, predicts: red > blue, source: "s"}
"""


def test_instrument_without_region_or_lab_question():
    tiny = loads(TINY)
    frame = simulate(tiny, seed=3, labs=20, respondents_per_lab=(30, 40), inattentive=0)
    assert tuple(frame.columns) == ("respondent_id", "team", "c1", "c2", "b1", "chk")
    assert set(frame["c1"].dropna()) <= set(range(1, 8))
    assert set(frame["b1"].dropna()) <= {0, 1}
    assert (frame["chk"].dropna() == 6).all()
    # a respondent-level hypothesis is planted too
    calm = (frame["c1"].astype(float) + 8 - frame["c2"].astype(float)) / 2
    assert calm[frame["team"] == "red"].mean() > calm[frame["team"] == "blue"].mean()
    with pytest.raises(SurveyError, match=r"'china' is not a code of team \(red, blue\)"):
        simulate(tiny, midpoint={"china": 0.2})
    assert frame.attrs["simulation"]["lab_counts"] == {"red": 10, "blue": 10}


# An instrument of its own: countries instead of lab_region, teams instead of labs, a
# required department (free text) and a required team-level choice question.
COUNTRIES = """
id: countries
version: "1"
languages: [en]
title: {en: Countries}
scales:
  agree5: {points: [1, 2, 3, 4, 5], labels: {en: [a, b, c, d, e]}}
groups:
  - {id: role, text: {en: Role}, choices: [{code: staff, label: {en: Staff}},
                                           {code: lead, label: {en: Lead}}]}
  - {id: country, required: true, text: {en: Country},
     choices: [{code: germany, label: {en: Germany}}, {code: japan, label: {en: Japan}},
               {code: other, label: {en: Other}}]}
  - {id: team, type: text, required: true, text: {en: Team code}}
  - {id: team_size, required: true, text: {en: Size},
     choices: [{code: small, label: {en: Small}}, {code: large, label: {en: Large}}]}
  - {id: department, type: text, required: true, text: {en: Department}}
  - {id: note, type: text, text: {en: "Anything else?"}}
constructs:
  - {id: calm, name: {en: Calm}, definition: {en: D}, scale: agree5,
     items: [{id: c1, text: {en: T}}, {id: c2, text: {en: T}, reverse: true},
             {id: c3, text: {en: T}}]}
hypotheses:
  - {id: H1, construct: calm, by: country, predicts: germany > japan, source: "s"}
"""


@pytest.fixture(scope="module")
def countries():
    return loads(COUNTRIES, file="countries.yaml")


def test_labs_nest_in_the_by_groups_of_any_instrument(countries):
    """--labs, --midpoint and --dif name codes of --by; every lab sits in one country."""
    frame = simulate(countries, seed=4, by="country", cluster="team",
                     labs={"germany": 6, "japan": 6}, respondents_per_lab=(30, 30),
                     midpoint={"japan": 0.5}, dif=[("c1", "germany", 1.5)],
                     inattentive=0, missing=0)
    assert len(frame) == 360
    per_team = frame.groupby("team").agg(countries=("country", "nunique"),
                                         country=("country", "first"),
                                         sizes=("team_size", "nunique"))
    assert len(per_team) == 12
    assert (per_team["countries"] == 1).all() and (per_team["sizes"] == 1).all()
    assert {t: str(c) for t, c in per_team["country"].items()} == {
        **{f"GE-{k:02d}": "germany" for k in range(1, 7)},
        **{f"JA-{k:02d}": "japan" for k in range(1, 7)}}
    # required answers are given; the optional free text stays blank
    for gid in ("country", "team", "team_size", "department", "role"):
        assert frame[gid].notna().all(), gid
    assert (frame["department"] == "simulated").all()
    assert frame["note"].isna().all()
    # the midpoint style sits in Japan: half of the answers pulled to 3, and more
    japan = frame["country"] == "japan"
    items = frame[["c1", "c2", "c3"]]
    mid_japan = float((items[japan] == 3).to_numpy().mean())
    mid_germany = float((items[~japan] == 3).to_numpy().mean())
    assert mid_japan > 0.5 and mid_japan - mid_germany > 0.3
    # c1 is shifted up in Germany against the construct's other positively keyed item
    gap = frame["c1"].astype(float) - frame["c3"].astype(float)
    assert gap[~japan].mean() - gap[japan & (items != 3).all(axis=1)].mean() > 0.5
    s = frame.attrs["simulation"]
    assert (s["by"], s["cluster"]) == ("country", "team")
    assert about_rows(frame)[4] == ("labs per country", "germany: 6, japan: 6")


def test_default_by_is_the_first_choice_question_and_cluster_the_instruments_key(countries):
    from dataclasses import replace

    frame = simulate(countries, seed=4, labs=3, respondents_per_lab=(5, 5))
    # role is the first choice question: labs nest in roles; no cluster question named lab
    assert frame.attrs["simulation"]["by"] == "role"
    assert frame.attrs["simulation"]["cluster"] is None
    assert (frame["team"] == "simulated").all()  # required free text, not the cluster
    assert set(frame.attrs["simulation"]["lab_counts"]) <= {"staff", "lead"}

    inst = replace(countries, cluster="team")  # as `cluster: team` in the YAML
    frame = simulate(inst, seed=4, by="country", labs={"germany": 2, "japan": 1},
                     respondents_per_lab=(5, 5))
    assert sorted(frame["team"].unique()) == ["GE-01", "GE-02", "JA-01"]
    assert "--cluster" not in command_line(frame)
    assert "--by country" in command_line(frame)


def test_command_line_with_by_and_cluster_makes_the_same_bytes(tmp_path, countries):
    path = tmp_path / "countries.yaml"
    path.write_text(COUNTRIES, encoding="utf-8")
    frame = simulate(countries, seed=7, by="country", cluster="team",
                     labs={"germany": 2, "japan": 2}, respondents_per_lab=(4, 6),
                     midpoint={"japan": 0.2}, dif=[("c2", "japan", -0.5)])
    args = shlex.split(command_line(frame, str(tmp_path / "again.csv")))
    assert args[2:7] == ["countries", "--seed", "7", "--labs", "germany=2,japan=2"]
    assert "--by country" in " ".join(args) and "--cluster team" in " ".join(args)
    args[2] = str(path)
    result = CliRunner().invoke(cli, args[1:])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "again.csv").read_bytes() == write_simulated(frame, ".csv")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"by": "team"}, "--by: 'team' is not a choice question; labs are nested in the "
                         "groups of one (choice questions: role, country, team_size)"),
        ({"by": "contry"}, "--by: no grouping question 'contry' in instrument 'countries'. "
                           "did you mean 'country'?"),
        ({"by": "country", "cluster": "country"},
         "--by: 'country' is the cluster question that holds the lab code; name the "
         "question whose groups the labs belong to"),
        ({"cluster": "teams"}, "--cluster: no grouping question 'teams' in instrument "
                               "'countries'. did you mean 'team'?"),
        ({"by": "country", "labs": {"france": 2}},
         "--labs: 'france' is not a code of country (germany, japan, other)."),
        ({"by": "country", "cluster": "team_size", "labs": 3},
         "--labs: 3 labs, but the cluster question 'team_size' has 2 choices; simulate at "
         "most 2 labs"),
    ],
)
def test_by_and_cluster_errors(countries, options, message):
    with pytest.raises(SurveyError) as err:
        simulate(countries, **options)
    assert str(err.value) == message


def test_simulated_answers_import_without_a_flag(tmp_path, countries):
    from survey.responses import read_responses

    frame = simulate(countries, seed=2, by="country", cluster="team",
                     labs={"germany": 2, "japan": 2}, respondents_per_lab=(5, 8))
    path = tmp_path / "answers.csv"
    path.write_bytes(write_simulated(frame, ".csv"))
    rs = read_responses(path, countries)
    assert (rs.log.rows_read, rs.log.rows_accepted) == (len(frame), len(frame))
    assert [r.reason for r in rs.log.records if r.action != "flagged"] == []
    pd.testing.assert_frame_equal(rs.data, frame, check_dtype=False)


# ---- option parsing and CLI errors -----------------------------------------------------

def test_parsers():
    assert parse_range("20-60") == (20, 60)
    assert parse_range("7") == (7, 7)
    assert parse_labs("china=8,united_states=5,other=1") == {
        "china": 8, "united_states": 5, "other": 1}
    assert parse_labs("14") == 14
    assert parse_dif(["ow1:china=0.8", "bb5:united_states=-0.5"]) == [
        ("ow1", "china", 0.8), ("bb5", "united_states", -0.5)]
    for bad in ("9-3", "0-5", "a-b", "3-"):
        with pytest.raises(SurveyError, match="must be A-B"):
            parse_range(bad)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--respondents-per-lab", "9-3"],
         "error: --respondents-per-lab: '9-3' must be A-B with 1 <= A <= B, e.g. 20-60"),
        (["--null", "H5,H77"],
         "error: --null: no hypothesis 'H77' in instrument 'lab-culture' (known: H1, H2, H3, "
         "H4, H5, H6, H7, H8). did you mean 'H7'?"),
        (["--midpoint", "chna=0.3"],
         "error: --midpoint: 'chna' is not a code of lab_region (china, united_states, other)."
         " did you mean 'china'?"),
        (["--dif", "zz9:china=0.5"], "error: --dif: no item 'zz9' in instrument 'lab-culture'."),
        (["--dif", "ow1=0.5"], "error: --dif: 'ow1=0.5' must be ITEM:GROUP=SHIFT, e.g. "
                               "ow1:china=0.8"),
        (["--icc", "1.5"], "error: --icc: 1.5 must satisfy 0 <= icc < 1"),
        (["--effect", "big"], "error: --effect: 'big' is not a number"),
        (["--labs", "mars=3"], "error: --labs: 'mars' is not a code of lab_region (china, "
                               "united_states, other)."),
    ],
)
def test_cli_errors_are_one_line_with_exit_code_2(tmp_path, args, message):
    out = tmp_path / "x.xlsx"
    result = CliRunner().invoke(cli, ["simulate", *args, "-o", str(out)])
    assert result.exit_code == 2
    assert result.output.splitlines() == [message]
    assert not out.exists()


def test_cli_refuses_other_suffixes(tmp_path):
    out = tmp_path / "x.json"
    result = CliRunner().invoke(cli, ["simulate", "-o", str(out)])
    assert result.exit_code == 2
    assert result.output == f"error: {out}: the output file must end in .xlsx or .csv\n"


def test_cli_writes_what_the_library_gives(tmp_path, inst):
    out = tmp_path / "s.csv"
    result = CliRunner().invoke(
        cli, ["simulate", "--seed", "4", "--labs", "3", "--respondents-per-lab", "5-7",
              "--midpoint", "china=0.2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert re.fullmatch(r"wrote .*s\.csv \(\d+ simulated respondents in 3 labs, seed 4\)\n",
                        result.output)
    expected = simulate(inst, seed=4, labs=3, respondents_per_lab=(5, 7),
                        midpoint={"china": 0.2})
    assert out.read_bytes() == write_simulated(expected, ".csv")


def test_help():
    result = CliRunner().invoke(cli, ["simulate", "--help"])
    assert result.exit_code == 0
    assert "--respondents-per-lab" in result.output


def test_csv_answers_are_whole_numbers(inst):
    """Answers are written as 3, not 3.0, even in columns with blanks (one CSV writer)."""
    import csv
    import io

    frame = simulate(inst, seed=3, labs=3, respondents_per_lab=(8, 8), missing=0.2)
    rows = list(csv.reader(io.StringIO(write_simulated(frame, ".csv").decode("utf-8"))))
    header, body = rows[0], rows[1:]
    items = [header.index(i) for i in inst.item_ids]
    cells = {r[j] for r in body for j in items}
    assert "" in cells
    assert cells <= {"", "1", "2", "3", "4", "5"}


def test_extreme_effect_saturates_without_overflow(inst):
    """--effect 1e308 pushes every answer to the ends of the scale, with no overflow
    warning (warnings are errors in this suite)."""
    frame = simulate(inst, seed=2, labs={"china": 1, "united_states": 1},
                     respondents_per_lab=(5, 5), effect=1e308, missing=0.0, inattentive=0.0)
    h = inst.hypotheses[0]
    item = next(i for i in inst.construct(h.construct).items if not i.reverse)
    higher = frame.loc[frame["lab_region"] == h.higher, item.id].astype(int)
    lower = frame.loc[frame["lab_region"] == h.lower, item.id].astype(int)
    scale = inst.scale_of(item.id)
    assert set(higher) == {scale.max} and set(lower) == {scale.min}
