"""The Excel entry template: sheets, header, drop-downs, comments, codebook, round trip.

Structural tests read the workbook back with openpyxl and do not depend on the golden
file. The round trip fills the template the way a person would (codes typed into the
``responses`` sheet, blanks left empty), saves it, and imports it with
``survey.responses.read_responses``.
"""

from __future__ import annotations

import io

import openpyxl
import pytest
from openpyxl.utils import get_column_letter

from survey.errors import ExportError
from survey.forms import export, xlsx
from survey.instrument import load, loads

LAB_CULTURE = load("lab-culture")
AGREE = '"1,2,3,4,5"'


def book(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data))


@pytest.fixture(scope="module")
def data() -> bytes:
    return xlsx.write(LAB_CULTURE, None)


@pytest.fixture(scope="module")
def wb(data):
    return book(data)


def validations(ws) -> dict[str, tuple[str, object]]:
    """Column letter -> (formula, validation) for every data validation on the sheet."""
    out = {}
    for dv in ws.data_validations.dataValidation:
        for rng in dv.sqref.ranges:
            assert rng.min_col == rng.max_col, "one validation range per column"
            assert (rng.min_row, rng.max_row) == (2, 1048576)
            letter = get_column_letter(rng.min_col)
            assert letter not in out, f"two validations on column {letter}"
            out[letter] = (dv.formula1, dv)
    return out


def test_format_is_registered_and_multilingual():
    assert xlsx.FORMAT.name == "xlsx" and xlsx.FORMAT.suffix == ".xlsx"
    assert xlsx.FORMAT.multilingual is True
    assert export(LAB_CULTURE, "xlsx") == xlsx.write(LAB_CULTURE, None)


def test_sheets_in_order_and_responses_holds_only_the_header(wb):
    assert wb.sheetnames == ["responses", "codebook", "instructions"]
    ws = wb["responses"]
    assert [c.value for c in ws[1]] == list(LAB_CULTURE.columns)
    assert ws.max_row == 1
    assert ws.freeze_panes == "B2"
    assert all(c.font.bold for c in ws[1])


def test_dropdown_on_every_item_check_and_choice_column_with_the_valid_codes(wb):
    ws = wb["responses"]
    found = validations(ws)
    expected = {}
    for j, var in enumerate(LAB_CULTURE.columns, start=1):
        letter = get_column_letter(j)
        if var in LAB_CULTURE.item_ids or var in LAB_CULTURE.check_ids:
            expected[letter] = AGREE
        elif var in LAB_CULTURE.group_ids and LAB_CULTURE.group(var).type == "choice":
            expected[letter] = '"' + ",".join(LAB_CULTURE.group(var).codes) + '"'
    assert {k: v[0] for k, v in found.items()} == expected
    assert len(expected) == 48 + 1 + 5  # items, attention check, choice groups
    assert expected["B"] == '"china,united_states,other"'
    assert expected["G"] == '"yes,no"'
    for _, dv in found.values():
        assert dv.type == "list" and dv.allow_blank is True
        assert dv.showErrorMessage is True and dv.errorStyle == "stop"
        assert dv.showDropDown in (False, None)  # None/False = the in-cell arrow is shown
        assert dv.showInputMessage is True and len(dv.prompt) <= 255
    assert found["H"][1].promptTitle == "sp1"
    assert found["H"][1].prompt == (
        "1 = Strongly disagree / 非常不同意; 2 = Disagree / 不同意; 3 = Neither agree nor "
        "disagree / 既不同意也不反对; 4 = Agree / 同意; 5 = Strongly agree / 非常同意")
    assert found["G"][1].prompt == "yes = Yes / 是; no = No / 否"


def test_prompt_falls_back_to_one_language_then_to_codes():
    codes = ["1", "2"]
    assert xlsx._prompt(codes, {"en": ["a", "b"], "zh": ["甲", "乙"]}) == "1 = a / 甲; 2 = b / 乙"
    long = {"en": ["x" * 100, "y" * 100], "zh": ["甲" * 100, "乙" * 100]}
    assert xlsx._prompt(codes, long) == f"1 = {'x' * 100}; 2 = {'y' * 100}"
    assert xlsx._prompt(codes, {"en": ["x" * 200, "y" * 200]}) == "1, 2"


def test_no_dropdown_on_id_and_free_text_columns_which_are_text_formatted(wb):
    ws = wb["responses"]
    found = validations(ws)
    for var in ("respondent_id", "lab"):
        letter = get_column_letter(LAB_CULTURE.columns.index(var) + 1)
        assert letter not in found
        assert ws.column_dimensions[letter].number_format == "@"


def test_header_comments_carry_the_question_in_both_languages(wb):
    ws = wb["responses"]
    for j, var in enumerate(LAB_CULTURE.columns, start=1):
        comment = ws.cell(row=1, column=j).comment
        assert comment is not None, var
        assert comment.text.startswith(var + "\n")
    for item in LAB_CULTURE.items:
        j = LAB_CULTURE.columns.index(item.id) + 1
        text = ws.cell(row=1, column=j).comment.text
        assert item.text["en"] in text and item.text["zh"] in text
        assert f"[{item.construct}" in text
        assert ("reverse-keyed" in text) == item.reverse
    region = ws["B1"].comment.text
    assert region.splitlines() == [
        "lab_region", "Where is your lab mainly based?", "您所在的实验室主要位于哪里？ (required / 必答)",
        "china = China / 中国", "united_states = United States / 美国", "other = Other / 其他",
    ]
    attn = ws.cell(row=1, column=len(LAB_CULTURE.columns)).comment.text
    assert "a careful respondent answers 4" in attn


def test_column_widths_fit_the_names(wb):
    ws = wb["responses"]
    for j, var in enumerate(LAB_CULTURE.columns, start=1):
        assert ws.column_dimensions[get_column_letter(j)].width >= len(var) + 2, var


def test_codebook_has_one_row_per_variable_with_labels_values_keying_construct(wb):
    rows = list(wb["codebook"].iter_rows(values_only=True))
    assert rows[0] == ("variable", "type", "label (en)", "label (zh)", "values", "keying",
                       "construct")
    by_var = {r[0]: r for r in rows[1:]}
    assert [r[0] for r in rows[1:]] == list(LAB_CULTURE.columns)
    agree = ("1 = Strongly disagree / 非常不同意; 2 = Disagree / 不同意; 3 = Neither agree nor "
             "disagree / 既不同意也不反对; 4 = Agree / 同意; 5 = Strongly agree / 非常同意")
    for item in LAB_CULTURE.items:
        assert by_var[item.id] == (item.id, "item", item.text["en"], item.text["zh"], agree,
                                   "reverse" if item.reverse else "forward", item.construct)
    assert by_var["attn1"][1::4] == ("check", "expect 4")
    assert by_var["lab_region"][4] == "china = China / 中国; united_states = United States / 美国; other = Other / 其他"
    assert by_var["lab"][1:2] == ("text",)
    assert by_var["respondent_id"][1] == "id"


def test_instructions_explain_codes_blanks_and_import_in_both_languages(wb):
    lines = [r[0] for r in wb["instructions"].iter_rows(values_only=True) if r[0]]
    text = "\n".join(lines)
    assert lines[0] == "Working Culture in AI Labs / AI实验室工作文化调查 (lab-culture 1.0.0)"
    assert "leave the cell blank" in text and "单元格留空" in text
    assert "1 = Strongly disagree, 2 = Disagree" in text and "1 = 非常不同意" in text
    assert "Free-text columns (lab)" in text
    assert "survey import FILE.xlsx -i lab-culture -o clean.csv" in text


def test_one_language_when_asked():
    wb = book(xlsx.write(LAB_CULTURE, "zh"))
    header = [c.value for c in wb["codebook"][1]]
    assert header == ["variable", "type", "label (zh)", "values", "keying", "construct"]
    comment = wb["responses"]["H1"].comment.text
    assert LAB_CULTURE.item("sp1").text["zh"] in comment
    assert LAB_CULTURE.item("sp1").text["en"] not in comment
    text = "\n".join(r[0] for r in wb["instructions"].iter_rows(values_only=True) if r[0])
    assert "How to enter data" not in text and "数据录入说明" in text
    # the drop-downs do not depend on the language
    assert validations(wb["responses"]).keys() == validations(book(xlsx.write(LAB_CULTURE, None))["responses"]).keys()


def test_deterministic(data):
    assert xlsx.write(LAB_CULTURE, None) == data


TINY = """\
id: tiny
version: "1"
languages: [en]
title: {en: Tiny}
scales:
  s3: {points: [-1, 0, 1], labels: {en: ["no", maybe, "yes"]}}
groups:
  - id: region
    text: {en: Region}
    choices: {choices}
constructs:
  - id: c1
    name: {en: C}
    definition: {en: D}
    scale: s3
    items: [{id: i1, text: {en: "=HYPERLINK(\\"http://x\\")"}, reverse: true}]
"""


def test_formula_text_is_neutralised_and_negative_codes_listed():
    inst = loads(TINY.replace("{choices}", "[{code: a, label: {en: '+A'}}]"))
    wb = book(xlsx.write(inst, None))
    rows = {r[0]: r for r in wb["codebook"].iter_rows(values_only=True)}
    assert rows["i1"][2] == "'=HYPERLINK(\"http://x\")"
    assert rows["region"][3] == "a = +A"  # inside a longer text: harmless, kept
    assert {v[0] for v in validations(wb["responses"]).values()} == {'"-1,0,1"', '"a"'}


def test_too_many_codes_for_a_dropdown_is_an_export_error():
    choices = "[" + ", ".join(f"{{code: code_number_{k:03d}, label: {{en: L{k}}}}}"
                              for k in range(20)) + "]"
    inst = loads(TINY.replace("{choices}", choices))
    with pytest.raises(ExportError, match="column 'region' take 319 characters.*at most 255"):
        xlsx.write(inst, None)


def _read_responses():
    try:
        from survey.responses import read_responses
    except ImportError:
        pytest.skip("importer not available yet")
    return read_responses


def test_filled_template_imports_unchanged(data, tmp_path):
    import pandas as pd

    read_responses = _read_responses()
    wb = book(data)
    ws = wb["responses"]
    answered = [*LAB_CULTURE.item_ids, *LAB_CULTURE.check_ids]
    filled = []
    for r in range(3):
        row: dict[str, object] = {"respondent_id": f"P-{r + 1:03d}"}
        for k, g in enumerate(LAB_CULTURE.groups):
            row[g.id] = f"US-0{r + 1}" if g.type == "text" else g.codes[(k + r) % len(g.codes)]
        for k, var in enumerate(answered):
            row[var] = None if (k + r) % 7 == 0 else (k + r) % 5 + 1  # some blanks
        row["attn1"] = 4
        filled.append(row)
    for row in filled:
        ws.append([row[c] for c in LAB_CULTURE.columns])
    path = tmp_path / "entered.xlsx"
    wb.save(path)
    rs = read_responses(path, LAB_CULTURE)
    assert rs.log.platform == "template"
    assert (rs.log.rows_read, rs.log.rows_accepted, rs.log.rows_rejected) == (3, 3, 0)
    assert list(rs.data.columns) == list(LAB_CULTURE.columns)
    for i, row in enumerate(filled):
        got = rs.data.iloc[i]
        for col, want in row.items():
            value = got[col]
            if want is None:
                assert pd.isna(value), (i, col)
            else:
                assert str(value) == str(want), (i, col)
