"""The LimeSurvey reader: real "R (data file)" exports, heading styles and the round trip.

The "R (data file)" export in tests/fixtures/platforms/limesurvey was written by hand in
the layout of limonaid's real exports (GPL, see SOURCES.md there), which are checked
themselves when ``LCS_EXTRA_FIXTURES`` points at them; the values asserted below were read
off the files by eye. They carry full question text as headers, so they are read with the
tiny instrument tests/instruments/limesurvey_sample.yaml (whose texts are the fixture's) or
with a ``--map``.
"""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
import pytest
from platform_layouts import (
    ALL_FIXTURE_PLATFORMS,
    PLATFORM_FIXTURES,
    fixture_header,
    fixture_path,
    limesurvey_layout,
    load_sample,
    sample_path,
)

from survey.instrument import load, loads
from survey.responses import limesurvey, read_responses
from survey.responses.validate import Policy

HERE = Path(__file__).resolve().parent
LIME = PLATFORM_FIXTURES / "limesurvey"
needs_fixtures = pytest.mark.skipif(not LIME.is_dir(),
                                    reason="tests/fixtures/platforms is not present")

NA = pd.NA


# ---- real exports -------------------------------------------------------------------------

@needs_fixtures
def test_r_data_file_written_by_hand():
    inst = load(HERE / "instruments" / "limesurvey_sample.yaml")
    rs = read_responses(LIME / "handmade_R_data_file.csv", inst)
    assert rs.log.platform == "limesurvey"
    assert "encoding: utf-8 with BOM" in rs.log.notes
    d = rs.data
    assert d["respondent_id"].tolist() == ["11", "12", "13", "14"]
    assert d["gender"].astype(object).where(d["gender"].notna(), None).tolist() == [
        "woman", None, None, "man"]
    assert d[["open", "consc", "extra", "agree", "emo"]].iloc[0].tolist() == [4, 5, 2, 4, 3]
    assert d[["open", "consc", "extra", "agree", "emo"]].iloc[3].tolist() == [1, 2, 3, 3, 4]
    assert d["open"].isna().tolist() == [False, True, True, False]
    m = rs.meta
    assert m["source_row"].tolist() == [2, 3, 4, 5]
    assert m["finished"].tolist() == [True, False, False, True]
    assert m["flags"].tolist() == ["", "unfinished", "unfinished", ""]
    assert m["duration_seconds"].tolist() == [309.12, 104.4, 0.0, 174.01]
    assert m["Start language"].tolist() == ["en", "de", "en", "de"]
    assert m["Anything else you want to tell us?"].tolist()[3] == (
        'Zeile eins\nZeile zwei, "zitiert"')
    assert "Question time: personality" in m.columns
    rec = [r for r in rs.log.flatten(["row", "column", "value", "reason"])
           if r[3] not in ("unknown_column", "unfinished")]
    assert rec == [[3, "How do you identify?", "-oth-", "unknown_choice"]]
    unknown = {r[0] for r in rs.log.flatten(["column", "reason"]) if r[1] == "unknown_column"}
    assert {"How old are you?", "Where do you live?"} <= unknown
    assert not unknown & {"Response ID", "Date submitted", "Total time",
                          "Group time: Personality"}
    assert (rs.log.rows_read, rs.log.rows_accepted, rs.log.rows_rejected) == (4, 4, 0)

    rs = read_responses(LIME / "handmade_R_data_file.csv", inst,
                        policy=Policy(reject_unfinished=True))
    assert sorted(rs.log.rejected) == [3, 4]
    assert rs.data["respondent_id"].tolist() == ["11", "14"]


def test_r_data_file_full_text_headings():
    inst = load(HERE / "instruments" / "limesurvey_sample.yaml")
    real = fixture_path("limesurvey/limonaid_survey_998192_R_data_file.csv")
    rs = read_responses(real, inst)
    assert rs.log.platform == "limesurvey"
    d = rs.data
    assert d["respondent_id"].tolist() == ["1", "4", "5", "6", "7", "8", "9"]
    assert d["gender"].astype(object).where(d["gender"].notna(), None).tolist() == [
        None, "man", None, None, None, None, "woman"]
    # "Describe yourselves [Openness]" ... matched by the bracketed row text
    assert d[["open", "consc", "extra", "agree", "emo"]].iloc[2].tolist() == [3, 3, 3, 3, 3]
    assert d[["open", "consc", "extra", "agree", "emo"]].iloc[6].tolist() == [1, 2, 3, 3, 4]
    assert d["open"].isna().tolist() == [True, True, False, True, True, True, False]
    m = rs.meta
    assert m["source_row"].tolist() == [2, 3, 4, 5, 6, 7, 8]
    # "Date submitted" is empty for every response but the first and the last
    assert m["finished"].tolist() == [True, False, False, False, False, False, True]
    assert m["flags"].tolist() == ["", "unfinished", "unfinished", "unfinished",
                                   "unfinished", "unfinished", ""]
    assert m["duration_seconds"].tolist() == [339.28, 122.6, 303.88, 0.0, 274.79, 7.74, 58.95]
    assert m["Start language"].tolist()[:3] == ["en", "nl-informal", "nl-informal"]
    assert "Question time: personality" in m.columns
    # LimeSurvey's "other" answer is not a choice of the instrument
    rec = [r for r in rs.log.flatten(["row", "column", "value", "reason"])
           if r[3] not in ("unknown_column", "unfinished")]
    assert rec == [[4, "How do you identify?", "-oth-", "unknown_choice"]]
    unknown = {r[0] for r in rs.log.flatten(["column", "reason"]) if r[1] == "unknown_column"}
    assert "How old are you?" in unknown
    assert not unknown & {"Response ID", "Date submitted", "Total time",
                          "Group time: The third group"}
    assert (rs.log.rows_read, rs.log.rows_accepted, rs.log.rows_rejected) == (7, 7, 0)

    rs = read_responses(real, inst, policy=Policy(reject_unfinished=True))
    assert sorted(rs.log.rejected) == [3, 4, 5, 6, 7]
    assert rs.data["respondent_id"].tolist() == ["1", "9"]


VISIT = """\
id: visit
version: "1"
languages: [en]
title: {en: Visit}
scales:
  age6: {points: [1, 2, 3, 4, 5, 6], labels: {en: [a, b, c, d, e, f]}}
groups:
  - id: country
    type: choice
    required: true
    text: {en: Country}
    choices:
      - {code: netherlands, label: {en: Netherlands}}
      - {code: other, label: {en: Other}}
constructs:
  - id: age
    name: {en: Age}
    definition: {en: Age band}
    scale: age6
    items:
      - {id: age_band, text: {en: Age band}, reverse: false}
"""
#: The R data files name their questions in full and code the countries af00, nl00.
VISIT_MAP = {"rename": {"Where do you live?": "country", "How old are you?": "age_band"},
             "recode": {"country": {"af00": "other", "nl00": "netherlands"}}}


@needs_fixtures
def test_r_data_file_written_by_hand_with_a_map():
    inst = loads(VISIT, file="visit.yaml")
    rs = read_responses(LIME / "handmade_R_data_file.csv", inst, mapping=VISIT_MAP)
    assert rs.log.platform == "limesurvey"
    assert rs.data["respondent_id"].tolist() == ["11", "12", "13", "14"]
    assert rs.data["country"].astype(object).where(rs.data["country"].notna(), None).tolist() \
        == ["netherlands", "other", None, None]
    assert rs.data["age_band"].tolist() == [3, 2, NA, 5]
    assert rs.meta["finished"].tolist() == [True, False, False, True]
    assert rs.meta["Last page"].tolist() == ["3", "2", "1", "3"]


def test_r_data_file_with_a_map():
    inst = loads(VISIT, file="visit.yaml")
    rs = read_responses(fixture_path("limesurvey/limonaid_survey_100001_R_data_file.csv"),
                        inst, mapping=VISIT_MAP)
    assert rs.log.platform == "limesurvey"
    assert rs.data["respondent_id"].tolist() == ["1", "2", "3"]
    assert rs.data["country"].astype(object).where(rs.data["country"].notna(), None).tolist() \
        == ["other", None, "netherlands"]
    assert rs.data["age_band"].tolist() == [3, NA, 4]
    assert rs.meta["finished"].tolist() == [True, False, True]
    assert rs.meta["duration_seconds"].tolist() == [29.1, 0.0, 75.55]
    assert rs.meta["Last page"].tolist() == ["60", None, "60"]


# ---- detection ----------------------------------------------------------------------------

@needs_fixtures
@pytest.mark.parametrize("relative", sorted(ALL_FIXTURE_PLATFORMS))
def test_sniff_claims_only_limesurvey_files(relative):
    assert limesurvey.sniff(fixture_header(relative)) is (
        ALL_FIXTURE_PLATFORMS[relative] == "limesurvey")


def test_sniff_leaves_the_template_and_kobo_alone():
    assert not limesurvey.sniff(["respondent_id", "lab_region", "sp1", "id"])
    assert not limesurvey.sniff(["start", "end", "sp1", "_id", "_uuid", "_submission_time"])
    assert limesurvey.sniff(["id", "submitdate", "lastpage", "startlanguage", "seed"])


# ---- heading styles and values ------------------------------------------------------------

@pytest.mark.parametrize("style", ["{q}[{sq}]", "{q}_{sq}", "{q}.{sq}.", "{q}{sq}",
                                   "ALPHAC[{sq}]", "A[{sq}]", "A_{sq}", "A{sq}", "{sq}"])
def test_array_row_headings(tmp_path, tiny_instrument, style):
    """Question code + subquestion code in the ways LimeSurvey writes them; ``A`` is the
    letter the tiny instrument's item ids share, ``alphac`` its construct's question code."""
    heads = [style.format(q="alphac", sq=sq) for sq in ("a1", "a2")]
    p = tmp_path / "ls.csv"
    p.write_text(f"id,submitdate,lastpage,startlanguage,labregion,lab,{','.join(heads)},"
                 "attn1\n1,2025-01-01 10:00:00,3,en,china,CN-01,4,2,4\n", encoding="utf-8")
    rs = read_responses(p, tiny_instrument)
    assert rs.log.platform == "limesurvey"
    assert rs.data[["a1", "a2", "attn1"]].iloc[0].tolist() == [4, 2, 4]
    assert rs.log.flatten(["column", "reason"]) == []
    assert rs.data["lab_region"].tolist() == ["china"]


def test_array_row_of_another_construct_is_not_taken(tmp_path, tiny_instrument):
    p = tmp_path / "ls.csv"
    p.write_text("id,submitdate,lastpage,labregion,lab,other[a1],a1,a2\n"
                 "1,,2,china,CN-01,5,4,2\n", encoding="utf-8")
    rs = read_responses(p, tiny_instrument)
    assert rs.data[["a1", "a2"]].iloc[0].tolist() == [4, 2]
    assert rs.log.flatten(["column", "reason"]) == [
        ["attn1", "missing_column"], ["other[a1]", "unknown_column"], [None, "unfinished"]]


def test_shortened_answer_codes_and_no_answer(tmp_path):
    """Choice codes longer than 5 characters were written as A1, A2, ... by the form."""
    from survey.forms.limesurvey import answer_codes

    inst = load("lab-culture")
    assert answer_codes(inst)["lab_region"] == {"A1": "china", "A2": "united_states",
                                                "A3": "other"}
    cols = ["labregion", "labtype", "lab", "role", "yearsinfield", "student"]
    items = [f"{c.id.replace('_', '')}[{i}]" for c in inst.constructs for i in c.item_ids]
    row = ["A2", "A3", "US-01", "N/A", "A5", "no"] + ["3"] * len(items)
    p = tmp_path / "ls.csv"
    p.write_text(",".join(["id", "submitdate", "lastpage", "startlanguage", *cols, *items,
                           "attn1"]) + "\n"
                 + ",".join(["7", "2025-01-01", "9", "en", *row, "No answer"]) + "\n",
                 encoding="utf-8")
    rs = read_responses(p, inst)
    got = rs.data.iloc[0]
    assert (got["lab_region"], got["lab_type"], got["years_in_field"], got["student"]) == (
        "united_states", "academic_nonprofit", "y10plus", "no")
    assert pd.isna(got["role"]) and pd.isna(got["attn1"])
    assert got["sp1"] == 3
    assert rs.log.flatten(["column", "reason"]) == []
    assert "limesurvey: 2 answers of N/A or 'No answer' read as unanswered" in rs.log.notes


# ---- the simulated sample -----------------------------------------------------------------

@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.mark.parametrize(("labels", "lang"), [(False, "en"), (True, "en"), (True, "zh")])
def test_round_trip(tmp_path, sample, labels, lang):
    inst, data = sample
    p = tmp_path / "export.csv"
    p.write_bytes(limesurvey_layout(data, inst, labels=labels, lang=lang))
    rs = read_responses(p, inst)
    assert rs.log.platform == "limesurvey"
    pd.testing.assert_frame_equal(rs.data, data)


def test_round_trip_xlsx(tmp_path, sample):
    """The Excel export: numbers stored as numbers."""
    inst, data = sample
    text = limesurvey_layout(data, inst).decode("utf-8-sig")
    frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)
    for col in frame.columns:
        nums = pd.to_numeric(frame[col].replace("", None), errors="coerce")
        if nums.notna().sum() == (frame[col] != "").sum():
            frame[col] = nums
    p = tmp_path / "export.xlsx"
    frame.to_excel(p, index=False, engine="openpyxl")
    rs = read_responses(p, inst)
    assert rs.log.platform == "limesurvey"
    pd.testing.assert_frame_equal(rs.data, data)


def test_shipped_sample_is_the_template_sample(sample):
    """sample_data/lab_culture_responses.limesurvey.csv: same bytes as regenerated, same
    data and flags as the template file."""
    inst, data = sample
    path = sample_path("limesurvey")
    assert path.read_bytes() == limesurvey_layout(data, inst)
    rs = read_responses(path, inst)
    pd.testing.assert_frame_equal(rs.data, data)
    template = read_responses(path.with_name("lab_culture_responses.xlsx"), inst)
    assert rs.log.flatten(["row", "column", "value", "reason"]) == \
        template.log.flatten(["row", "column", "value", "reason"])
    assert rs.meta["finished"].all()
    assert rs.meta["startlanguage"].eq("en").all()


def test_cli_import_names_the_platform(tmp_path):
    from click.testing import CliRunner

    from survey.cli import cli

    out = tmp_path / "clean.csv"
    result = CliRunner().invoke(cli, ["import", str(sample_path("limesurvey")), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "platform limesurvey (recognised from the header)" in result.output
    assert "rows read 585, accepted 585, rejected 0" in result.output
    assert out.is_file()
