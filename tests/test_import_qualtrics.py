"""The Qualtrics reader: real exports, header layouts, column matching and the round trip.

Real files come from tests/fixtures/platforms/qualtrics (see SOURCES.md there); the
values asserted below were read off those files by eye (a CSV viewer), not produced by
the reader. Row numbers are the file's: the first answer of a three-header-row export is
row 4, of a legacy export row 3.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from platform_layouts import (
    ALL_FIXTURE_PLATFORMS,
    PLATFORM_FIXTURES,
    fixture_header,
    load_sample,
    qualtrics_layout,
    sample_path,
)

from survey.instrument import load, loads
from survey.responses import qualtrics, read_responses
from survey.responses.validate import Policy

HERE = Path(__file__).resolve().parent
QUALTRICS = PLATFORM_FIXTURES / "qualtrics"
needs_fixtures = pytest.mark.skipif(not QUALTRICS.is_dir(),
                                    reason="tests/fixtures/platforms is not present")

ONE_ITEM = """\
id: q
version: "1"
languages: [en]
title: {en: Q}
scales:
  three: {points: [1, 2, 3], labels: {en: [one, two, three]}}
groups: []
constructs:
  - id: mc
    name: {en: MC}
    definition: {en: MC}
    scale: three
    items:
      - {id: %s, text: {en: This is a multiple choice question.}, reverse: false}
"""


def _instrument(item_id: str):
    return loads(ONE_ITEM % item_id, file="q.yaml")


# ---- real exports -------------------------------------------------------------------------

@needs_fixtures
def test_current_export_three_header_rows():
    rs = read_responses(QUALTRICS / "qualtRics_sample.csv", _instrument("Q1"))
    assert rs.log.platform == "qualtrics"
    assert rs.data["respondent_id"].tolist() == ["R_2YPOQ602ER1jkf1"]
    assert rs.data["Q1"].tolist() == [2]
    meta = rs.meta.iloc[0]
    assert meta["source_row"] == 4
    assert bool(meta["finished"]) is True
    assert meta["duration_seconds"] == 38.0
    assert (meta["StartDate"], meta["UserLanguage"]) == ("2017-07-18 08:28:09", "DE")
    assert meta["LocationLatitude"] == "47.115097045898"
    assert meta["Q2"] == "Hello World!"
    # Q2 (free text) is not in the instrument; "Q2 - Topics" is text analysis, metadata
    assert rs.log.flatten(["column", "reason"]) == [["Q2", "unknown_column"]]
    assert ("qualtrics: 3 header rows (names, question text, ImportId); answers start on "
            "row 4") in rs.log.notes
    assert (rs.log.rows_read, rs.log.rows_accepted, rs.log.rows_rejected) == (1, 1, 0)


@needs_fixtures
def test_column_found_by_question_text():
    """Row 2 (German UI, English question) names the item when the tag does not."""
    rs = read_responses(QUALTRICS / "qualtRics_sample.csv", _instrument("choice"))
    assert rs.data["choice"].tolist() == [2]
    assert rs.log.flatten(["column", "reason"]) == [["Q2", "unknown_column"]]


@needs_fixtures
def test_legacy_export_two_header_rows():
    rs = read_responses(QUALTRICS / "qualtRics_sample_legacy.csv", _instrument("Q1"))
    assert rs.log.platform == "qualtrics"
    assert rs.data["respondent_id"].tolist() == ["R_2YPOQ602ER1jkf1"]
    assert rs.data["Q1"].tolist() == [2]
    meta = rs.meta.iloc[0]
    assert meta["source_row"] == 3
    assert bool(meta["finished"]) is True
    # no Duration column: EndDate 08:28:48 - StartDate 08:28:09
    assert meta["duration_seconds"] == 39.0
    assert (meta["ResponseSet"], meta["Name"]) == ("Standard-Antwortsatz", "Anonym")
    assert "encoding: utf-8 with BOM" in rs.log.notes
    assert any(n.startswith("qualtrics: legacy export with 2 header rows") for n in rs.log.notes)


@needs_fixtures
def test_2016_export_python_style_import_ids():
    inst = load(HERE / "instruments" / "qualtrics_sample.yaml")
    rs = read_responses(QUALTRICS / "QualtricsTools_Better_Sample_Survey.csv", inst)
    d = rs.data
    assert rs.log.rows_read == 10 and rs.log.rows_rejected == 0
    assert d["respondent_id"].tolist()[:3] == [
        "R_9RWrgh1F9m7488l", "R_01HREuYKcsQtj5r", "R_7U6eBR7waV8xr0N"]
    # q2_favorite recodes 1..3 -> the instrument's choice codes
    assert d["q2_favorite"].tolist() == [
        "cantaloupe", "cantaloupe", "kiwi", "pomegranate", "cantaloupe",
        "kiwi", "kiwi", "kiwi", "kiwi", "cantaloupe"]
    # q4_rank_1..3 by the <construct id>_<n> rule; -1 is not a rank
    assert d["rank_cantaloupe"].tolist() == [pd.NA, pd.NA, 2, 2, pd.NA, 2, 3, 1, pd.NA, pd.NA]
    assert d["rank_kiwi"].tolist() == [pd.NA, pd.NA, 2, 3, pd.NA, 2, 3, 2, pd.NA, pd.NA]
    assert d["rank_pomegranate"].tolist() == [pd.NA, pd.NA, 1, pd.NA, pd.NA, 3, pd.NA, 2,
                                              pd.NA, pd.NA]
    # Q8_1..3 by the row-2 text "<question>-Click to write Statement n"
    assert d["st2"].tolist() == [pd.NA, pd.NA, 1, 1, pd.NA, 1, 1, 1, 1, pd.NA]
    assert rs.meta["source_row"].tolist() == list(range(4, 14))
    assert rs.meta["finished"].tolist() == [True] * 10
    bad = [r for r in rs.log.flatten(["row", "column", "value", "reason"])
           if r[3] != "unknown_column"]
    assert bad == [
        [7, "q4_rank_3", "-1", "out_of_range"],
        [10, "q4_rank_3", "-1", "out_of_range"],
        [12, "q4_rank_1", "-1", "out_of_range"],
        [12, "q4_rank_2", "-1", "out_of_range"],
        [12, "q4_rank_3", "-1", "out_of_range"],
    ]
    # system columns are metadata, not unknown columns; other questions are unknown
    unknown = {r[0] for r in rs.log.flatten(["column", "reason"]) if r[1] == "unknown_column"}
    assert {"ResponseID", "StartDate", "Finished", "LocationLatitude"}.isdisjoint(unknown)
    assert "q5_position" in unknown and "Q8_1" not in unknown


# ---- detection ----------------------------------------------------------------------------

@needs_fixtures
@pytest.mark.parametrize("relative", sorted(ALL_FIXTURE_PLATFORMS))
def test_sniff_claims_only_qualtrics_files(relative):
    assert qualtrics.sniff(fixture_header(relative)) is (
        ALL_FIXTURE_PLATFORMS[relative] == "qualtrics")


def test_sniff_leaves_the_template_and_kobo_alone():
    assert not qualtrics.sniff(["respondent_id", "lab_region", "sp1", "StartDate"])
    assert not qualtrics.sniff(["start", "end", "sp1", "_id", "_uuid", "_submission_time"])
    assert qualtrics.sniff(["StartDate", "EndDate", "Finished", "ResponseId", "sp1"])
    assert qualtrics.sniff(["V1", "V2", "V3", "V4", "Q1"])


# ---- layouts and values -------------------------------------------------------------------

HEAD3 = ('StartDate,EndDate,Progress,Duration (in seconds),Finished,ResponseId,{cols}\n'
         'Start Date,End Date,Progress,Duration (in seconds),Finished,Response ID,{texts}\n'
         '"{{""ImportId"":""startDate""}}","{{""ImportId"":""endDate""}}",'
         '"{{""ImportId"":""progress""}}","{{""ImportId"":""duration""}}",'
         '"{{""ImportId"":""finished""}}","{{""ImportId"":""_recordId""}}",{ids}\n')


def _write(tmp_path, cols, texts, ids, body, name="q.csv"):
    ids_csv = ",".join(f'"{{""ImportId"":""{i}""}}"' for i in ids)
    text = HEAD3.format(cols=",".join(cols), texts=",".join(texts), ids=ids_csv) + body
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def test_tag_n_by_item_order_and_choice_recodes(tmp_path, tiny_instrument):
    """``A_1, A_2`` are the tiny instrument's a1, a2 (the letters its item ids share)."""
    p = _write(tmp_path, ["lab_region", "lab", "A_1", "A_2", "attn1"],
               ["Region", "Lab code", "Q - A one", "Q - A two", "Pick agree"],
               ["QID1", "QID2_TEXT", "QID3_1", "QID3_2", "QID4"],
               "2025-01-01 10:00:00,2025-01-01 10:05:00,100,300,1,R_1,1,CN-01,5,-99,4\n"
               "2025-01-01 11:00:00,2025-01-01 11:01:00,40,60,0,R_2,2,US-01,,,\n")
    rs = read_responses(p, tiny_instrument)
    assert rs.log.platform == "qualtrics"
    assert rs.data["lab_region"].tolist() == ["china", "united_states"]
    assert rs.data["a1"].tolist() == [5, pd.NA]
    assert rs.data["a2"].tolist() == [pd.NA, pd.NA]  # -99: seen but unanswered
    assert rs.meta["duration_seconds"].tolist() == [300.0, 60.0]
    assert rs.meta["flags"].tolist() == ["", "unfinished"]
    assert rs.log.flatten(["row", "reason", "action"]) == [[5, "unfinished", "flagged"]]
    assert "qualtrics: 1 answer of -99 (seen but unanswered) read as unanswered" in rs.log.notes

    rs = read_responses(p, tiny_instrument, policy=Policy(reject_unfinished=True))
    assert rs.log.rejected == {5: "unfinished"}
    assert (rs.log.rows_read, rs.log.rows_accepted, rs.log.rows_rejected) == (2, 1, 1)


def test_question_text_row_without_import_ids(tmp_path, tiny_instrument):
    """Row 3 deleted by hand: row 2 is still recognised as question text."""
    p = tmp_path / "two.csv"
    p.write_text("StartDate,Finished,ResponseId,lab_region,lab,A_1,A_2\n"
                 "Anfangsdatum,Beendet,Antwort-ID,Region,Lab code,Q - A one,Q - A two\n"
                 "2025-01-01 10:00:00,1,R_1,1,CN-01,2,3\n", encoding="utf-8")
    rs = read_responses(p, tiny_instrument)
    assert rs.data[["a1", "a2"]].iloc[0].tolist() == [2, 3]
    assert rs.meta["source_row"].tolist() == [3]
    assert ("qualtrics: row 2 holds question text (the ImportId row is missing); answers "
            "start on row 3") in rs.log.notes


def test_embedded_respondent_id_wins_over_response_id(tmp_path, tiny_instrument):
    p = _write(tmp_path, ["respondent_id", "lab_region", "lab", "a1", "a2"],
               ["respondent_id", "Region", "Lab code", "A one", "A two"],
               ["respondent_id", "QID1", "QID2_TEXT", "QID3_1", "QID3_2"],
               "2025-01-01 10:00:00,2025-01-01 10:05:00,100,300,True,R_1,P-7,China,CN-01,"
               "Agree,Strongly agree\n")
    rs = read_responses(p, tiny_instrument)
    assert rs.data["respondent_id"].tolist() == ["P-7"]
    assert rs.data[["a1", "a2"]].iloc[0].tolist() == [4, 5]
    assert rs.meta["ResponseId"].tolist() == ["R_1"]
    assert rs.meta["finished"].tolist() == [True]


def test_progress_stands_in_for_finished(tmp_path, tiny_instrument):
    p = tmp_path / "p.csv"
    p.write_text("ResponseId,StartDate,Status,Progress,lab_region,lab,a1,a2\n"
                 "R_1,2025-01-01 10:00:00,8,100,1,CN-01,1,2\n"
                 "R_2,2025-01-01 10:00:00,0,57,1,CN-01,3,\n", encoding="utf-8")
    rs = read_responses(p, tiny_instrument)
    assert ("qualtrics: 1 survey previews (Status 8; rows 2) kept; they are test answers, "
            "not respondents") in rs.log.notes
    assert rs.log.platform == "qualtrics"
    assert rs.meta["finished"].tolist() == [True, False]
    assert rs.meta["source_row"].tolist() == [2, 3]  # one header row: nothing dropped
    assert "finished: taken from Progress (100 = finished)" in rs.log.notes


# ---- the simulated sample -----------------------------------------------------------------

@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.mark.parametrize(("labels", "lang", "encoding", "sep"), [
    (False, "en", "utf-8-sig", ","),      # numeric values, as shipped
    (True, "en", "utf-8-sig", ","),       # choice text
    (True, "zh", "utf-16", "\t"),         # choice text in Chinese, TSV export (UTF-16)
])
def test_round_trip(tmp_path, sample, labels, lang, encoding, sep):
    inst, data = sample
    text = qualtrics_layout(data, inst, labels=labels, lang=lang).decode("utf-8-sig")
    if sep != ",":
        import csv
        import io

        rows = list(csv.reader(io.StringIO(text, newline="")))
        buf = io.StringIO()
        csv.writer(buf, delimiter=sep, lineterminator="\r\n").writerows(rows)
        text = buf.getvalue()
    p = tmp_path / "export.csv"
    p.write_bytes(text.encode(encoding))
    rs = read_responses(p, inst)
    assert rs.log.platform == "qualtrics"
    pd.testing.assert_frame_equal(rs.data, data)
    assert rs.meta["source_row"].iloc[0] == 4


def test_shipped_sample_is_the_template_sample(sample):
    """sample_data/lab_culture_responses.qualtrics.csv: same bytes as regenerated, same data,
    same flags (row numbers shifted by the two extra header rows)."""
    inst, data = sample
    path = sample_path("qualtrics")
    assert path.read_bytes() == qualtrics_layout(data, inst)
    rs = read_responses(path, inst)
    pd.testing.assert_frame_equal(rs.data, data)
    template = read_responses(path.with_name("lab_culture_responses.xlsx"), inst)
    assert [[r - 2, c, v, why] for r, c, v, why in
            rs.log.flatten(["row", "column", "value", "reason"])] == \
        template.log.flatten(["row", "column", "value", "reason"])
    assert rs.meta["finished"].all()
    assert rs.meta["duration_seconds"].between(240, 840).all()


def test_cli_import_names_the_platform(tmp_path):
    from click.testing import CliRunner

    from survey.cli import cli

    out = tmp_path / "clean.csv"
    result = CliRunner().invoke(cli, ["import", str(sample_path("qualtrics")), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "platform qualtrics (recognised from the header)" in result.output
    assert "rows read 585, accepted 585, rejected 0" in result.output
    assert out.is_file()
