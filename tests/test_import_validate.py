"""Every validation rule of the shared import step, with its message and row accounting.

Files are written in the template layout with the tiny instrument of conftest.py
(lab_region, lab, items a1 a2 on 1-5, attention check attn1 expecting 4). Row numbers
are those a spreadsheet shows: the header is row 1.
"""

from __future__ import annotations

import pytest

from survey.errors import ResponseFileError
from survey.responses import read_responses
from survey.responses.model import RawResponses
from survey.responses.validate import Policy, validate

HEADER = "respondent_id,lab_region,lab,a1,a2,attn1\n"


def _read(tmp_path, tiny_instrument, body: str, name="r.csv", **kw):
    p = tmp_path / name
    p.write_text(HEADER + body, encoding="utf-8")
    return read_responses(p, tiny_instrument, **kw)


def _accounting(rs):
    log = rs.log
    assert log.rows_read == log.rows_accepted + log.rows_rejected
    return log.rows_read, log.rows_accepted, log.rows_rejected


def test_clean_file_has_no_records(tmp_path, tiny_instrument):
    rs = _read(tmp_path, tiny_instrument, "R1,china,CN-01,4,2,4\nR2,united_states,US-01,1,5,4\n")
    assert rs.log.flatten(["row", "column", "reason"]) == []
    assert _accounting(rs) == (2, 2, 0)
    assert rs.data["a1"].tolist() == [4, 1]
    assert rs.meta["flags"].tolist() == ["", ""]
    assert rs.meta["source_row"].tolist() == [2, 3]


def test_output_types(tmp_path, tiny_instrument):
    rs = _read(tmp_path, tiny_instrument, "R1,china,CN-01,4,,4\n")
    d = rs.data
    assert list(d.columns) == list(tiny_instrument.columns)
    assert str(d["a1"].dtype) == "Int64" and str(d["attn1"].dtype) == "Int64"
    assert list(d["lab_region"].cat.categories) == ["china", "united_states"]
    assert d["respondent_id"].tolist() == ["R1"]
    assert d["lab"].tolist() == ["CN-01"]
    assert d["a2"].isna().tolist() == [True]


def test_labels_in_any_language_and_case(tmp_path, tiny_instrument):
    body = ("R1,China,CN-01,Strongly agree,非常同意,agree\n"
            "R2, 中国 ,CN-02,  strongly   DISAGREE ,同意,４\n"
            "R3,UNITED_STATES,US-01,３,Neither agree nor disagree,4\n"
            "R4,美国,US-02,既不同意也不反对,不同意,Agree\n")
    rs = _read(tmp_path, tiny_instrument, body)
    assert rs.log.flatten(["row", "column", "reason"]) == []
    assert rs.data["lab_region"].tolist() == ["china", "china", "united_states", "united_states"]
    assert rs.data["a1"].tolist() == [5, 1, 3, 3]
    assert rs.data["a2"].tolist() == [5, 4, 3, 2]
    assert rs.data["attn1"].tolist() == [4, 4, 4, 4]


def test_bad_cells_are_blanked_and_warned(tmp_path, tiny_instrument):
    body = ("R1,china,CN-01,7,2.5,4\n"      # out of range, not a point
            "R2,china,CN-01,maybe,?,4\n"     # unknown label, non-numeric
            "R3,mars,CN-01,0,3,4\n")        # unknown choice, out of range
    rs = _read(tmp_path, tiny_instrument, body)
    assert rs.log.flatten(["row", "column", "value", "reason", "action"]) == [
        [2, "a1", "7", "out_of_range", "blanked"],
        [2, "a2", "2.5", "out_of_range", "blanked"],
        [3, "a1", "maybe", "unknown_label", "blanked"],
        [3, "a2", "?", "non_numeric", "blanked"],
        [4, "lab_region", "mars", "unknown_choice", "blanked"],
        # the required region is now blank: the respondent is flagged
        [4, "lab_region", "mars", "missing_group_answer", "flagged"],
        [4, "a1", "0", "out_of_range", "blanked"],
    ]
    assert _accounting(rs) == (3, 3, 0)
    assert rs.data["a1"].isna().all()
    assert rs.data["a2"].tolist()[2] == 3
    assert rs.data["lab_region"].isna().tolist() == [False, False, True]
    msgs = [r.message for r in rs.log.records]
    assert msgs[0] == "'7' is not a point of scale 'agree5' (1-5); cell left blank"
    assert msgs[2] == ("'maybe' is neither a code (1-5) nor a label of scale 'agree5' in any "
                       "language; cell left blank")
    assert msgs[3] == "'?' is not a number; scale 'agree5' takes 1-5; cell left blank"
    assert msgs[4] == ("'mars' is not a choice of 'lab_region' (china, united_states) in any "
                       "language; cell left blank")


def test_missing_id_empty_row_and_duplicates_are_rejected(tmp_path, tiny_instrument):
    body = ("R1,china,CN-01,4,2,4\n"
            ",china,CN-01,4,2,4\n"           # row 3: no id
            ",,,,,\n"                        # row 4: empty
            "R1,china,CN-02,1,1,4\n"         # row 5: duplicate of row 2
            "  \n"                           # row 6: a blank line is an empty row
            "R2,china,CN-02,1,1,4\n"
            "R1,china,CN-03,1,1,4\n")        # row 8: duplicate again
    rs = _read(tmp_path, tiny_instrument, body)
    assert rs.log.flatten(["row", "column", "reason", "action"]) == [
        [3, "respondent_id", "missing_id", "rejected"],
        [4, None, "empty_row", "rejected"],
        [5, "respondent_id", "duplicate_id", "rejected"],
        [6, None, "empty_row", "rejected"],
        [8, "respondent_id", "duplicate_id", "rejected"],
    ]
    assert _accounting(rs) == (7, 2, 5)
    assert rs.log.rejected == {3: "missing_id", 4: "empty_row", 5: "duplicate_id",
                               6: "empty_row", 8: "duplicate_id"}
    assert rs.data["respondent_id"].tolist() == ["R1", "R2"]
    assert rs.data["lab"].tolist() == ["CN-01", "CN-02"]
    assert rs.log.records[2].message == ("respondent_id 'R1' already used in row 2; the first "
                                         "occurrence is kept")


def test_trailing_blank_lines_are_not_rows(tmp_path, tiny_instrument):
    rs = _read(tmp_path, tiny_instrument, "R1,china,CN-01,4,2,4\n\n\n,,,,,\n")
    assert _accounting(rs) == (1, 1, 0)


def test_failed_attention_check_flagged_by_default(tmp_path, tiny_instrument):
    body = "R1,china,CN-01,4,2,2\nR2,china,CN-01,4,2,4\nR3,china,CN-01,4,2,\n"
    rs = _read(tmp_path, tiny_instrument, body)
    assert rs.log.flatten(["row", "column", "value", "reason", "action"]) == [
        [2, "attn1", "2", "failed_attention_check", "flagged"],
    ]
    assert _accounting(rs) == (3, 3, 0)
    assert rs.meta["flags"].tolist() == ["failed_attention_check", "", ""]
    assert rs.log.records[0].message == ("attention check 'attn1' answered 2, expected 4; row "
                                         "kept and flagged")


def test_failed_attention_check_rejected_on_request(tmp_path, tiny_instrument):
    body = "R1,china,CN-01,4,2,Disagree\nR2,china,CN-01,4,2,4\n"
    rs = _read(tmp_path, tiny_instrument, body, policy=Policy(reject_failed_checks=True))
    assert rs.log.flatten(["row", "column", "reason", "action"]) == [
        [2, "attn1", "failed_attention_check", "rejected"],
    ]
    assert _accounting(rs) == (2, 1, 1)
    assert rs.data["respondent_id"].tolist() == ["R2"]


def _raw(tiny_instrument, finished=None, duration=None):
    import pandas as pd

    frame = pd.DataFrame(
        {"respondent_id": ["R1", "R2", "R3"], "lab_region": ["china"] * 3,
         "lab": ["CN-01"] * 3, "a1": ["4", "4", "4"], "a2": ["2", "2", "2"],
         "attn1": ["4", "4", "4"]},
        index=[2, 3, 4], dtype=object,
    )
    idx = frame.index
    return RawResponses(
        frame=frame, file="r.csv", platform="test",
        finished=None if finished is None else pd.Series(finished, index=idx),
        duration=None if duration is None else pd.Series(duration, index=idx),
    )


def test_unfinished_flagged_by_default(tiny_instrument):
    rs = validate(_raw(tiny_instrument, finished=[True, False, True]), tiny_instrument)
    assert rs.log.flatten(["row", "column", "reason", "action"]) == [
        [3, None, "unfinished", "flagged"],
    ]
    assert rs.meta["flags"].tolist() == ["", "unfinished", ""]
    assert rs.meta["finished"].tolist() == [True, False, True]
    assert (rs.log.rows_read, rs.log.rows_accepted) == (3, 3)


def test_unfinished_rejected_on_request(tiny_instrument):
    rs = validate(_raw(tiny_instrument, finished=[True, False, True]), tiny_instrument,
                  Policy(reject_unfinished=True))
    assert rs.log.flatten(["row", "reason", "action"]) == [[3, "unfinished", "rejected"]]
    assert (rs.log.rows_read, rs.log.rows_accepted, rs.log.rows_rejected) == (3, 2, 1)


def test_speeders(tiny_instrument):
    raw = _raw(tiny_instrument, duration=[300.0, 45.0, 59.9])
    assert validate(raw, tiny_instrument).log.records == []  # no --min-duration: no check
    rs = validate(_raw(tiny_instrument, duration=[300.0, 45.0, 60.0]), tiny_instrument,
                  Policy(min_duration=60))
    assert rs.log.flatten(["row", "value", "reason", "action"]) == [
        [3, "45", "speeder", "flagged"],
    ]
    assert rs.log.records[0].message == "took 45 s, under the minimum of 60 s; row kept and flagged"
    rs = validate(_raw(tiny_instrument, duration=[300.0, 45.0, 60.0]), tiny_instrument,
                  Policy(min_duration=60, reject_speeders=True))
    assert rs.log.flatten(["row", "reason", "action"]) == [[3, "speeder", "rejected"]]
    assert rs.n == 2


def test_negative_or_infinite_durations_are_unknown(tiny_instrument):
    """A time below zero (an end before its start) or infinite ('inf' in a Qualtrics or
    LimeSurvey column) neither makes nor clears a speeder; the log says how many rows."""
    raw = _raw(tiny_instrument, duration=[-5.0, float("inf"), 45.0])
    rs = validate(raw, tiny_instrument, Policy(min_duration=60, reject_speeders=True))
    assert rs.log.flatten(["row", "reason", "action"]) == [[4, "speeder", "rejected"]]
    assert ("durations negative or infinite in 2 rows: taken as unknown (no speeder check "
            "for those rows)") in rs.log.notes
    assert rs.meta["duration_seconds"].isna().tolist() == [True, True]
    assert (rs.log.rows_read, rs.log.rows_accepted, rs.log.rows_rejected) == (3, 2, 1)


def test_min_duration_without_durations_is_noted(tmp_path, tiny_instrument):
    rs = _read(tmp_path, tiny_instrument, "R1,china,CN-01,4,2,4\n",
               policy=Policy(min_duration=60))
    assert "speeder check skipped: the file records no durations" in rs.log.notes
    assert rs.log.records == []


def test_several_flags_join(tiny_instrument):
    import pandas as pd

    raw = _raw(tiny_instrument, finished=[False, True, True], duration=[10.0, 300.0, 300.0])
    raw.frame.loc[2, "attn1"] = "1"
    rs = validate(raw, tiny_instrument, Policy(min_duration=60))
    assert rs.meta["flags"].tolist() == ["unfinished;failed_attention_check;speeder", "", ""]
    assert rs.log.flatten(["row", "column", "reason"]) == [
        [2, "attn1", "failed_attention_check"],
        [2, None, "unfinished"],
        [2, None, "speeder"],
    ]
    assert isinstance(rs.meta, pd.DataFrame)


def test_unknown_columns_are_kept_and_warned(tmp_path, tiny_instrument):
    p = tmp_path / "r.csv"
    p.write_text("respondent_id,lab_region,lab,a1,a2,attn1,notes,a3\n"
                 "R1,china,CN-01,4,2,4,hello,9\n", encoding="utf-8")
    rs = read_responses(p, tiny_instrument)
    assert rs.log.flatten(["row", "column", "reason", "action"]) == [
        [None, "notes", "unknown_column", "warning"],
        [None, "a3", "unknown_column", "warning"],
    ]
    assert rs.meta["notes"].tolist() == ["hello"]
    assert rs.meta["a3"].tolist() == ["9"]


def test_missing_check_column_is_a_warning(tmp_path, tiny_instrument):
    p = tmp_path / "r.csv"
    p.write_text("respondent_id,lab_region,lab,a1,a2\nR1,china,CN-01,4,2\n", encoding="utf-8")
    rs = read_responses(p, tiny_instrument)
    assert rs.log.flatten(["row", "column", "reason", "action"]) == [
        [None, "attn1", "missing_column", "warning"],
    ]
    assert rs.data["attn1"].isna().all()


def test_missing_item_columns_refuse_the_file(tmp_path, tiny_instrument):
    p = tmp_path / "r.csv"
    p.write_text("respondent_id,lab_region,lab,attn1\nR1,china,CN-01,4\n", encoding="utf-8")
    with pytest.raises(ResponseFileError) as exc:
        read_responses(p, tiny_instrument)
    assert str(exc.value) == (
        f"{p}: row 1: 2 columns of instrument 'tiny' missing: a1, a2; none of its items is in "
        "the file: name the instrument the file answers with -i (or rename columns with --map)."
    )


def test_missing_columns_name_the_header_row_below_title_rows(tmp_path, tiny_instrument):
    p = tmp_path / "r.csv"
    p.write_text("Lab survey export\n\nrespondent_id,lab_region,lab,a1,attn1\n"
                 "R1,china,CN-01,4,4\n", encoding="utf-8")
    with pytest.raises(ResponseFileError) as exc:
        read_responses(p, tiny_instrument)
    assert str(exc.value).startswith(f"{p}: row 3, column a2: 1 column of instrument 'tiny'")


def test_one_missing_column_is_named_with_a_suggestion(tmp_path, tiny_instrument):
    p = tmp_path / "r.csv"
    p.write_text("respondent_id,lab_region,lab,a1,a_2,attn1\nR1,china,CN-01,4,2,4\n",
                 encoding="utf-8")
    with pytest.raises(ResponseFileError) as exc:
        read_responses(p, tiny_instrument)
    assert exc.value.column == "a2"
    assert str(exc.value).endswith("did you mean 'a_2'?")
    assert "row 1, column a2: 1 column of instrument 'tiny' missing: a2;" in str(exc.value)


def test_ids_are_text_and_keep_leading_zeros(tmp_path, tiny_instrument):
    rs = _read(tmp_path, tiny_instrument, "007,china,CN-01,4,2,4\n 8 ,china,CN-01,4,2,4\n")
    assert rs.data["respondent_id"].tolist() == ["007", "8"]
