"""The REDCap reader: real record exports, raw and label layouts, completion and round trip.

Files come from tests/fixtures/platforms/redcap (see SOURCES.md there): REDCapR's real
export, and a longitudinal export written by hand in the layout of redcapAPI's (GPL) test
project, which is checked itself when ``LCS_EXTRA_FIXTURES`` points at it. The values
asserted below were read off those files by eye. They answer other projects'
instruments, so they are read with small instruments written for them
(tests/instruments/redcap_sample.yaml and one inline).
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
    redcap_layout,
    sample_path,
)

from survey.instrument import load, loads
from survey.responses import read_responses, redcap
from survey.responses.validate import Policy

HERE = Path(__file__).resolve().parent
REDCAP = PLATFORM_FIXTURES / "redcap"
needs_fixtures = pytest.mark.skipif(not REDCAP.is_dir(),
                                    reason="tests/fixtures/platforms is not present")
NA = pd.NA


def _plain(s: pd.Series) -> list:
    return s.astype(object).where(s.notna(), None).tolist()


def _range_and_check_records(rs) -> list[list]:
    """[row, column, value, reason] of the log's out-of-range and failed-check records."""
    return [r for r in rs.log.flatten(["row", "column", "value", "reason"])
            if r[3] in ("out_of_range", "failed_attention_check")]


# ---- real exports -------------------------------------------------------------------------

@needs_fixtures
def test_survey_project_export():
    """REDCapR's survey project: record id field participant_id, four forms."""
    inst = load(HERE / "instruments" / "redcap_sample.yaml")
    rs = read_responses(REDCAP / "REDCapR_survey_data.csv", inst)
    assert rs.log.platform == "redcap"
    d = rs.data
    assert d["respondent_id"].tolist() == ["1", "2"]  # the first column: participant_id
    assert _plain(d["has_diabetes"]) == ["1", "0"]    # numeric codes kept as they are
    assert d["pmq1"].tolist() == [NA, NA] and d["pmq4"].tolist() == [NA, NA]
    m = rs.meta
    # the prescreening form is Complete (2), the morale questionnaire Incomplete (0)
    assert m["prescreening_survey_complete"].tolist() == ["2", "2"]
    assert m["participant_morale_questionnaire_complete"].tolist() == ["0", "0"]
    assert m["finished"].tolist() == [False, False]
    assert m["participant_morale_questionnaire_timestamp"].tolist() == ["[not completed]",
                                                                         None]
    assert m["prescreening_survey_timestamp"].tolist() == ["2018-03-06 15:52:43",
                                                           "2018-03-06 15:53:15"]
    assert m["consent___1"].tolist() == ["1", "0"]
    unknown = {r[0] for r in rs.log.flatten(["column", "reason"]) if r[1] == "unknown_column"}
    assert {"dob", "email", "pmq2"} <= unknown
    assert not unknown & {"participant_id", "redcap_survey_identifier", "consent___1",
                          "prescreening_survey_timestamp", "completion_data_complete"}
    assert ("finished: prescreening_survey_complete, participant_morale_questionnaire_complete"
            " (0 Incomplete = unfinished; 1 Unverified and 2 Complete = finished)") \
        in rs.log.notes
    assert rs.log.flatten(["row", "reason", "action"])[-2:] == [
        [2, "unfinished", "flagged"], [3, "unfinished", "flagged"]]


API_INSTRUMENT = """\
id: redcap-api
version: "1"
languages: [en]
title: {en: redcapAPI test project}
scales:
  yesno: {points: [0, 1], labels: {en: ["No", "Yes"]}}
  five: {points: [1, 2, 3, 4, 5], labels: {en: [a, b, c, d, e]}}
groups:
  - id: treatment
    type: choice
    text: {en: Treatment}
    choices:
      - {code: control, label: {en: Control}}
      - {code: treated, label: {en: Treatment}}
  - id: prereq_radio
    type: choice
    text: {en: Pre-requisite as a Radio Button}
    choices:
      - {code: "1", label: {en: Radio1}}
      - {code: "2", label: {en: Radio2}}
      - {code: ABC, label: {en: RadioABC}}
      - {code: "4", label: {en: Do not use in branching logic}}
constructs:
  - id: prereq
    name: {en: Prerequisites}
    definition: {en: Pre-requisite fields}
    scale: five
    items:
      - {id: prereq_number, text: {en: Pre-requisite as a number}, reverse: false}
checks:
  - {id: prereq_yesno, text: {en: Pre-requisite as a yes/no}, scale: yesno, expect: 0}
"""


@needs_fixtures
def test_longitudinal_export_written_by_hand():
    """redcap_event_name, checkboxes ___abc, every form Incomplete, -100 out of range."""
    inst = loads(API_INSTRUMENT, file="redcap-api.yaml")
    rs = read_responses(REDCAP / "handmade_longitudinal_data.csv", inst)
    assert rs.log.platform == "redcap"
    d = rs.data
    assert (rs.log.rows_read, rs.log.rows_rejected) == (5, 0)
    assert d["respondent_id"].tolist() == ["1", "2", "3", "10", "11"]
    assert _plain(d["treatment"]) == [None, "control", "treated", None, "control"]
    assert _plain(d["prereq_radio"]) == [None, "1", "ABC", "4", "2"]
    assert d["prereq_number"].tolist() == [NA, 4, 5, 1, NA]
    assert d["prereq_yesno"].tolist() == [NA, 0, 1, 0, 1]
    assert set(rs.meta["redcap_event_name"]) == {"baseline_arm_1"}
    assert rs.meta["prereq_checkbox___abc"].tolist() == ["0", "0", "1", "1", "0"]
    assert rs.meta["notes"].tolist()[2:] == ['follows "plan B", mostly', None, "a, b, c"]
    assert not rs.meta["finished"].any()
    assert _range_and_check_records(rs) == [
        [4, "prereq_yesno", "1", "failed_attention_check"],
        [6, "prereq_number", "-100", "out_of_range"],
        [6, "prereq_yesno", "1", "failed_attention_check"],
    ]


def test_longitudinal_api_export():
    """redcapAPI's test project: redcap_event_name, checkboxes ___abc, all forms Incomplete."""
    from platform_layouts import fixture_path

    inst = loads(API_INSTRUMENT, file="redcap-api.yaml")
    rs = read_responses(fixture_path("redcap/redcapAPI_data.csv"), inst)
    assert rs.log.platform == "redcap"
    d = rs.data
    assert rs.log.rows_read == 24 and rs.log.rows_rejected == 0
    assert d["respondent_id"].tolist()[:5] == ["1", "2", "3", "10", "11"]
    # treatment: REDCap's 1 is the first choice; prereq_radio carries its own codes
    assert _plain(d["treatment"])[:4] == [None, None, "control", None]
    assert _plain(d["prereq_radio"])[3:14] == ["4", "4", "4", "4", "1", "1", "4", "4", "ABC",
                                              "ABC", "4"]
    assert d["prereq_number"].tolist()[16:22] == [5, 5, 1, 1, NA, NA]  # -100: out of range
    assert d["prereq_yesno"].tolist()[12:15] == [0, 1, 1]
    assert set(rs.meta["redcap_event_name"]) == {"event_1_arm_1"}
    assert "prereq_checkbox___abc" in rs.meta.columns
    assert not rs.meta["finished"].any()
    assert _range_and_check_records(rs) == [
        [15, "prereq_yesno", "1", "failed_attention_check"],
        [16, "prereq_yesno", "1", "failed_attention_check"],
        [22, "prereq_number", "-100", "out_of_range"],
        [23, "prereq_number", "-100", "out_of_range"],
    ]


# ---- detection ----------------------------------------------------------------------------

@needs_fixtures
@pytest.mark.parametrize("relative", sorted(ALL_FIXTURE_PLATFORMS))
def test_sniff_claims_only_redcap_files(relative):
    assert redcap.sniff(fixture_header(relative)) is (ALL_FIXTURE_PLATFORMS[relative] == "redcap")


def test_sniff_leaves_the_template_and_kobo_alone():
    assert not redcap.sniff(["respondent_id", "lab_region", "sp1", "task_complete"])
    assert not redcap.sniff(["start", "end", "sp1", "_id", "_uuid", "_submission_time"])
    assert redcap.sniff(["record_id", "sp1", "lab_culture_complete"])
    assert redcap.sniff(["Record ID", "Survey Timestamp", "Agree?", "Complete?"])


# ---- statuses, labels, repeats ------------------------------------------------------------

def test_form_status_codes_and_labels(tmp_path, tiny_instrument):
    p = tmp_path / "raw.csv"
    p.write_text("record_id,redcap_survey_identifier,tiny_timestamp,lab_region,lab,a1,a2,"
                 "attn1,tiny_complete\n"
                 "1,,2025-01-01 10:00:00,1,CN-01,4,2,4,2\n"
                 "2,,2025-01-01 10:00:00,2,US-01,3,,4,1\n"
                 "3,,[not completed],2,US-02,,,,0\n", encoding="utf-8")
    rs = read_responses(p, tiny_instrument)
    assert rs.data["lab_region"].tolist() == ["china", "united_states", "united_states"]
    assert rs.meta["finished"].tolist() == [True, True, False]
    rs = read_responses(p, tiny_instrument, policy=Policy(reject_unfinished=True))
    assert rs.log.rejected == {4: "unfinished"}

    p = tmp_path / "labels.csv"
    p.write_text('"Record ID","Survey Identifier","Survey Timestamp","Region","Lab code",'
                 '"A one","A two","Pick agree","Complete?"\n'
                 '"1","","2025-01-01 10:00","China","CN-01","Agree","不同意","Agree",'
                 '"Complete"\n'
                 '"2","","[not completed]","美国","US-01","","","","Incomplete"\n'
                 '"3","","","United States","US-01","Strongly agree","","","Unverified"\n',
                 encoding="utf-8")
    rs = read_responses(p, tiny_instrument)
    assert rs.log.platform == "redcap"
    assert rs.data["respondent_id"].tolist() == ["1", "2", "3"]
    assert rs.data["lab_region"].tolist() == ["china", "united_states", "united_states"]
    assert rs.data["a1"].tolist() == [4, NA, 5] and rs.data["a2"].tolist() == [2, NA, NA]
    assert rs.meta["finished"].tolist() == [True, False, True]
    assert rs.log.flatten(["row", "reason"]) == [[3, "unfinished"]]


def test_records_repeating_across_events(tmp_path, tiny_instrument):
    p = tmp_path / "events.csv"
    p.write_text("record_id,redcap_event_name,lab_region,lab,a1,a2,attn1,tiny_complete\n"
                 "1,baseline_arm_1,1,CN-01,4,2,4,2\n"
                 "1,followup_arm_1,,,,,,0\n"
                 "2,baseline_arm_1,2,US-01,5,1,4,2\n", encoding="utf-8")
    rs = read_responses(p, tiny_instrument)
    assert rs.data["respondent_id"].tolist() == ["1", "2"]
    assert rs.log.rejected == {3: "duplicate_id"}
    assert ("redcap: records repeat across events or instances; only the first row of each "
            "record is kept (export one event or instance)") in rs.log.notes


# ---- the simulated sample -----------------------------------------------------------------

@pytest.fixture(scope="module")
def sample():
    return load_sample()


@pytest.mark.parametrize(("labels", "lang"), [(False, "en"), (True, "en"), (True, "zh")])
def test_round_trip(tmp_path, sample, labels, lang):
    inst, data = sample
    p = tmp_path / "export.csv"
    p.write_bytes(redcap_layout(data, inst, labels=labels, lang=lang))
    rs = read_responses(p, inst)
    assert rs.log.platform == "redcap"
    pd.testing.assert_frame_equal(rs.data, data)


def test_shipped_sample_is_the_template_sample(sample):
    """sample_data/lab_culture_responses.redcap.csv: same bytes as regenerated, same data
    and flags as the template file, no unknown columns."""
    inst, data = sample
    path = sample_path("redcap")
    assert path.read_bytes() == redcap_layout(data, inst)
    rs = read_responses(path, inst)
    pd.testing.assert_frame_equal(rs.data, data)
    template = read_responses(path.with_name("lab_culture_responses.xlsx"), inst)
    assert rs.log.flatten(["row", "column", "value", "reason"]) == \
        template.log.flatten(["row", "column", "value", "reason"])
    assert rs.meta["finished"].all()
    assert rs.meta["lab_culture_complete"].eq("2").all()


def test_cli_import_names_the_platform(tmp_path):
    from click.testing import CliRunner

    from survey.cli import cli

    out = tmp_path / "clean.csv"
    result = CliRunner().invoke(cli, ["import", str(sample_path("redcap")), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "platform redcap (recognised from the header)" in result.output
    assert "rows read 585, accepted 585, rejected 0" in result.output
    assert out.is_file()
