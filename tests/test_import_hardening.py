"""What a fuzz run of the importer found, and the data-entry mistakes that once passed.

Each test builds the broken file from a good one, names the mistake, and checks that the
import either reads every respondent with every kept answer unchanged or refuses the file
in one line naming where (exit code 2).
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from survey.cli import cli
from survey.errors import ResponseFileError
from survey.responses import read_responses
from survey.responses.validate import Policy

HEADER = "respondent_id,lab_region,lab,a1,a2,attn1\n"
ROWS = ["R1,china,CN-01,4,2,4\n", "R2,united_states,US-01,5,1,4\n",
        "R3,china,CN-02,3,3,4\n", "R4,united_states,US-02,2,4,4\n"]


def _csv(tmp_path: Path, text: str | bytes, name: str = "r.csv") -> Path:
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return p


def _run(*args, cwd=None):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _tiny(tmp_path: Path, tiny_yaml: str) -> Path:
    p = tmp_path / "tiny.yaml"
    p.write_text(tiny_yaml, encoding="utf-8")
    return p


def _one_line_error(result) -> str:
    assert result.exit_code == 2, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    return lines[0]


# ---- workbooks -----------------------------------------------------------------------------

def _workbook(tmp_path: Path, sheets: dict[str, list[list[object]]],
              hidden: tuple[str, ...] = ()) -> Path:
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
        if name in hidden:
            ws.sheet_state = "hidden"
    p = tmp_path / "r.xlsx"
    wb.save(p)
    return p


def _rows(text: str) -> list[list[object]]:
    out = []
    for line in text.splitlines():
        out.append([int(c) if c.isdigit() else (c or None) for c in line.split(",")])
    return out


def _rezip(path: Path, member: str, change) -> None:
    src = zipfile.ZipFile(io.BytesIO(path.read_bytes()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            dst.writestr(info, change(data) if info.filename == member else data)
    path.write_bytes(out.getvalue())


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda x: re.sub(rb'<c r="D2"([^>]*)><v>4</v></c>', rb'<c r="D2" t="b"><v>2</v></c>',
                          x), "Unrecognized boolean cell value: 2"),
        (lambda x: x[: len(x) // 2], "not found before end of input"),
    ],
    ids=["boolean-2", "sheet-xml-cut-short"],
)
def test_a_damaged_sheet_in_a_valid_workbook_is_one_line(tmp_path, tiny_yaml, change,
                                                         expected):
    path = _workbook(tmp_path, {"responses": _rows(HEADER + "".join(ROWS))})
    _rezip(path, "xl/worksheets/sheet1.xml", change)
    line = _one_line_error(_run("import", path, "-i", _tiny(tmp_path, tiny_yaml)))
    assert line.startswith(f"error: {path}: sheet 'responses' is damaged and cannot be read (")
    assert expected in line
    assert line.endswith("); open the workbook in Excel or LibreOffice and save it again")


def test_hidden_sheet_in_front_is_not_read(tmp_path, tiny_instrument):
    old = _rows(HEADER + "OLD1,china,CN-09,1,1,1\n")
    path = _workbook(tmp_path, {"old": old, "notes": [["read me"]],
                                "responses": _rows(HEADER + "".join(ROWS))}, hidden=("old",))
    rs = read_responses(path, tiny_instrument)
    assert rs.data["respondent_id"].tolist() == ["R1", "R2", "R3", "R4"]
    assert "sheet: responses" in rs.log.notes
    assert "sheet 'responses' read: its header names the instrument's variables" in rs.log.notes
    assert "hidden sheet 'old' not read (name one with --sheet to read it)" in rs.log.notes
    asked = read_responses(path, tiny_instrument, sheet="old")
    assert asked.data["respondent_id"].tolist() == ["OLD1"]
    assert "sheet: old (hidden; as asked)" in asked.log.notes
    with pytest.raises(ResponseFileError, match=r"--sheet: no sheet named 'respones'; the "
                       r"workbook has 'old', 'notes', 'responses'\. did you mean 'responses'\?"):
        read_responses(path, tiny_instrument, sheet="respones")


def test_no_sheet_with_the_instruments_header_names_the_sheets(tmp_path, tiny_instrument):
    path = _workbook(tmp_path, {"Sheet1": [["name", "age"], ["Ann", 31]],
                                "Sheet2": [["x", "y"], [1, 2]]})
    with pytest.raises(ResponseFileError) as exc:
        read_responses(path, tiny_instrument)
    message = str(exc.value)
    assert "cannot tell which platform wrote this file (header: name, age)" in message
    assert message.endswith("; read sheet 'Sheet1' (no sheet has a header naming the "
                            "instrument's variables; the workbook has 'Sheet1', 'Sheet2'); "
                            "name the sheet with --sheet")


def test_formulas_without_results_and_error_cells_are_logged(tmp_path, tiny_instrument):
    path = _workbook(tmp_path, {"responses": _rows(HEADER + "".join(ROWS))})

    def change(xml: bytes) -> bytes:
        xml = re.sub(rb'<c r="D3"([^>]*)><v>5</v></c>', rb'<c r="D3"><f>B7+1</f></c>', xml)
        return re.sub(rb'<c r="E4"([^>]*)><v>3</v></c>', rb'<c r="E4" t="e"><v>#N/A</v></c>',
                      xml)

    _rezip(path, "xl/worksheets/sheet1.xml", change)
    rs = read_responses(path, tiny_instrument)
    assert rs.data["a1"].tolist()[1] is pd.NA and rs.data["a2"].tolist()[2] is pd.NA
    assert rs.log.flatten(["row", "column", "value", "reason", "action"]) == [
        [3, "a1", "=B7+1", "formula_no_value", "blanked"],
        [4, "a2", "#N/A", "error_value", "blanked"],
    ]
    assert rs.log.records[0].message.startswith("'=B7+1' is a formula saved without its result")
    assert rs.log.records[1].message == ("the cell holds the spreadsheet error #N/A; cell read "
                                         "as blank")


def test_a_stray_cell_far_below_makes_no_million_rows(tmp_path, tiny_instrument):
    rows = _rows(HEADER + "".join(ROWS))
    rows += [[None] * 6] * 5000 + [["x"]]
    path = _workbook(tmp_path, {"responses": rows})
    rs = read_responses(path, tiny_instrument)
    log = rs.log
    # the stray cell is read (as a respondent "x" who answered nothing), the gap is not
    assert (log.rows_read, log.rows_accepted, log.rows_rejected) == (5, 5, 0)
    assert rs.meta["source_row"].tolist() == [2, 3, 4, 5, 5006]
    assert "rows 6-5005 are empty (5,000 rows) and were skipped, not counted as responses" \
        in log.notes


# ---- text files ----------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (HEADER + ROWS[0] + 'R2,united_states,"US-01,5,1,4\n' + ROWS[2]
         + 'R4,united_states,"US-02",2,4,4\n' + ROWS[0].replace("R1", "R5"),
         'row 3, column C: a quote (") opens in column C of this row and runs over 2 line '
         "breaks, taking 1 more row of the file into one cell"),
        (HEADER + ROWS[0] + 'R2,united_states,"US-01,5,1,4\n',
         'row 3, column C: a quote (") opens in this row and is never closed, so the rest of '
         "the file (1 more line) reads as one cell"),
    ],
    ids=["swallows-rows", "never-closed"],
)
def test_an_unbalanced_quote_is_refused_where_it_opens(tmp_path, tiny_instrument, body,
                                                       expected):
    path = _csv(tmp_path, body)
    with pytest.raises(ResponseFileError) as exc:
        read_responses(path, tiny_instrument)
    assert str(exc.value).startswith(f"{path}: {expected}")


def test_a_quote_in_an_all_quoted_file_cannot_move_answers(tmp_path, tiny_instrument):
    """Kobo and LimeSurvey quote every cell; a lost quote shifts cells, never silently."""
    quoted = ['"' + '","'.join(r.strip().split(",")) + '"\n' for r in [HEADER, *ROWS]]
    quoted[2] = quoted[2].replace('"US-01"', '"US-01')  # the closing quote is lost
    path = _csv(tmp_path, "".join(quoted))
    rs = read_responses(path, tiny_instrument)
    assert rs.log.rejected == {3: "cell_count"}
    assert rs.data["respondent_id"].tolist() == ["R1", "R3", "R4"]
    assert rs.data["a1"].tolist() == [4, 3, 2]


def test_repeated_header_rows_are_rejected(tmp_path, tiny_instrument):
    path = _csv(tmp_path, HEADER + "".join(ROWS[:2]) + HEADER + "".join(ROWS[2:]))
    rs = read_responses(path, tiny_instrument)
    assert rs.log.rejected == {4: "repeated_header"}
    assert rs.data["respondent_id"].tolist() == ["R1", "R2", "R3", "R4"]
    assert rs.log.records[0].message == ("the row repeats the file's header (exports joined "
                                         "together with their headers?); row rejected")


def test_digits_of_any_script_are_digits(tmp_path, tiny_instrument):
    path = _csv(tmp_path, HEADER + "R1,china,CN-01,٤,２,४\n")
    rs = read_responses(path, tiny_instrument)
    assert rs.data[["a1", "a2", "attn1"]].iloc[0].tolist() == [4, 2, 4]
    assert rs.log.records == []


# ---- data-entry mistakes -----------------------------------------------------------------------

def test_blank_required_group_answers_are_flagged_or_rejected(tmp_path, tiny_yaml):
    inst = _tiny(tmp_path, tiny_yaml)
    path = _csv(tmp_path, HEADER + ROWS[0] + "R2,,US-01,5,1,4\n" + "R3,USA,CN-02,3,3,4\n")
    r = _run("import", path, "-i", inst)
    assert r.exit_code == 0, r.output
    assert "  flagged: 2 (missing_group_answer 2)" in r.output.splitlines()
    from survey.instrument import load

    rs = read_responses(path, load(inst))
    assert rs.meta["flags"].tolist() == ["", "missing_group_answer", "missing_group_answer"]
    assert rs.log.records[-1].message == (
        "the required group question 'lab_region' is unanswered (its answer 'USA' is not a "
        "choice); row kept and flagged (it counts in no comparison by lab_region; "
        "--reject-missing-groups rejects it)")
    r = _run("import", path, "-i", inst, "--reject-missing-groups")
    assert "rows read 3, accepted 1, rejected 2" in r.output
    assert "  rejected: missing_group_answer 2" in r.output


def test_near_duplicate_lab_codes_are_named(tmp_path, tiny_yaml):
    inst = _tiny(tmp_path, tiny_yaml)
    path = _csv(tmp_path, HEADER + "".join(
        f"R{i},china,{lab},4,2,4\n" for i, lab in enumerate(
            ["CN-01", "CN-01", "cn-01", "ＣＮ－01", "CN 01", "US-01", "us-01 "], 1)))
    r = _run("import", path, "-i", inst)
    assert r.exit_code == 0, r.output
    assert ("  warning: lab answers 'CN-01' (2 rows), 'CN 01' (1 row), 'cn-01' (1 row), "
            "'ＣＮ－01' (1 row) differ only in case, spaces, dashes or character width, so "
            "they count "
            "as 4 different labs; correct them in the file or recode them with --map"
            ) in r.output.splitlines()
    assert "'US-01' (1 row), 'us-01' (1 row)" in r.output


def test_the_commonest_unknown_values_are_named_in_the_summary(tmp_path, tiny_yaml):
    inst = _tiny(tmp_path, tiny_yaml)
    rows = [f"R{i},USA,US-01,4,2,4\n" for i in range(214)] + ["X1,Cn,CN-01,4,maybe,4\n"]
    r = _run("import", _csv(tmp_path, HEADER + "".join(rows)), "-i", inst)
    assert r.exit_code == 0, r.output
    assert ("  blanked: 216 (unknown_choice 215 (lab_region: 'USA' 214, 'Cn' 1), "
            "unknown_label 1 (a2: 'maybe' 1))") in r.output.splitlines()


def test_a_missing_group_column_is_called_a_group_question(tmp_path, tiny_instrument):
    path = _csv(tmp_path, "respondent_id,lab_region,a1,a2,attn1\nR1,china,4,2,4\n")
    with pytest.raises(ResponseFileError) as exc:
        read_responses(path, tiny_instrument)
    assert str(exc.value) == (
        f"{path}: row 1, column lab: no column for the required group question 'lab'; the "
        "header row must name it (or use --map to rename a column, or mark the question "
        "required: false in the instrument).")


def test_a_file_named_like_an_option_gets_advice(tmp_path, tiny_yaml, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _csv(tmp_path, HEADER + "".join(ROWS), name="-resp.csv")
    r = _run("import", "-resp.csv", "-i", _tiny(tmp_path, tiny_yaml))
    assert _one_line_error(r) == (
        "error: No such option '-r'; '-resp.csv' looks like a file: a name starting with - "
        "goes after --, as in survey import -- -resp.csv (see survey import --help)")
    assert _run("import", "-i", _tiny(tmp_path, tiny_yaml), "--", "-resp.csv").exit_code == 0


def test_binary_garbage_is_refused_in_a_short_line(tmp_path, tiny_yaml):
    import random

    rng = random.Random(3)
    junk = bytes(rng.randrange(32, 127) for _ in range(8000))
    r = _run("import", _csv(tmp_path, junk), "-i", _tiny(tmp_path, tiny_yaml))
    assert len(_one_line_error(r)) < 1200


def test_policy_defaults_keep_rows():
    assert Policy().reject_missing_groups is False


def test_near_duplicate_codes_of_the_instruments_own_cluster_question(tmp_path, tiny_yaml):
    """An instrument naming its cluster question (cluster: team) is checked on that one;
    cluster: null checks none."""
    yaml = tiny_yaml.replace("  - {id: lab, type: text, required: true, text: {en: Lab code, "
                             "zh: 实验室代码}}",
                             "  - {id: lab, type: text, required: true, text: {en: Lab code, "
                             "zh: 实验室代码}}\n  - {id: team, type: text, text: {en: Team, "
                             "zh: 团队}}")
    rows = "".join(f"R{i},china,CN-01,4,2,4,{team}\n" for i, team in
                   enumerate(["T-1", "t-1", "T-1"]))
    body = "respondent_id,lab_region,lab,a1,a2,attn1,team\n" + rows
    path = tmp_path / "r.csv"
    path.write_text(body, encoding="utf-8")
    from survey.instrument import loads

    rs = read_responses(path, loads(yaml.replace("groups:", "cluster: team\ngroups:", 1)))
    assert [(r.reason, r.column) for r in rs.log.records] == [("similar_codes", "team")]
    rs = read_responses(path, loads(yaml.replace("groups:", "cluster: null\ngroups:", 1)))
    assert rs.log.records == []


@pytest.mark.parametrize("keep", [600, 3630, 5000])
def test_a_cut_short_xls_is_refused_before_calamine_panics(tmp_path, tiny_yaml, keep):
    """calamine panics (a BaseException, with a Rust report on stderr) on an OLE2 file
    that ends before its sectors; the import refuses it first, from the header."""
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("responses")
    for i, row in enumerate([HEADER.strip().split(","), *(r.strip().split(",") for r in ROWS)]):
        for j, v in enumerate(row):
            ws.write(i, j, int(v) if v.isdigit() else v)
    whole = io.BytesIO()
    wb.save(whole)
    assert len(whole.getvalue()) == 5632  # header, allocation table, directory, sheet, ...
    path = tmp_path / "r.xls"
    path.write_bytes(whole.getvalue()[:keep])
    r = _run("import", path, "-i", _tiny(tmp_path, tiny_yaml))
    assert r.exit_code == 2
    assert _one_line_error(r).startswith(
        f"error: {path}: the workbook is cut short (it ends at byte {keep:,} but its ")
    assert _one_line_error(r).endswith(": an incomplete download or copy; download or copy "
                                       "it again")
    path.write_bytes(whole.getvalue())
    assert _run("import", path, "-i", _tiny(tmp_path, tiny_yaml)).exit_code == 0
