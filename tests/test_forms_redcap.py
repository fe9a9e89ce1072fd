"""REDCap data dictionary export, parsed back with csv and compared with a real download.

Documentation: REDCap's data dictionary (Project Setup -> Data Dictionary; the
"Data Dictionary" help page of each REDCap installation and the REDCap API
``export_metadata`` reference): 18 columns in a fixed order; ``Field Type`` one of
``text, notes, radio, dropdown, checkbox, yesno, truefalse, calc, file, slider,
descriptive, sql``; choices as ``code, label`` pairs joined by `` | ``; ``Required
Field?`` ``y`` or blank; consecutive ``radio`` fields with the same ``Matrix Group
Name`` and identical choices form a matrix whose header is the first field's
``Section Header``; field names lower case ``[a-z][a-z0-9_]*``; the first field is the
record id.

The reference file is a dictionary downloaded from REDCap's user interface
(``tests/fixtures/platforms/redcap/REDCapR_survey_dictionary.csv``; see SOURCES.md there).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from survey.errors import ExportError
from survey.forms import redcap
from survey.instrument import load, loads

FIXTURE = (
    Path(__file__).resolve().parent / "fixtures" / "platforms" / "redcap"
    / "REDCapR_survey_dictionary.csv"
)
TYPES = {"text", "notes", "radio", "dropdown", "checkbox", "yesno", "truefalse", "calc",
         "file", "slider", "descriptive", "sql"}
CHOICES = "Choices, Calculations, OR Slider Labels"
AGREE = ("1, Strongly disagree | 2, Disagree | 3, Neither agree nor disagree | 4, Agree | "
         "5, Strongly agree")


def parse(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    return rows[0], [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def choices(cell: str) -> list[tuple[str, str]]:
    out = []
    for part in cell.split("|"):
        code, _, label = part.strip().partition(",")
        out.append((code.strip(), label.strip()))
    return out


@pytest.fixture(scope="module")
def lab_culture():
    return load("lab-culture")


@pytest.fixture(scope="module")
def data(lab_culture):
    return redcap.write(lab_culture, None)


@pytest.fixture(scope="module")
def parsed(data):
    return parse(data)


def test_headers_exact_and_in_order(parsed):
    header, _ = parsed
    assert header == [
        "Variable / Field Name", "Form Name", "Section Header", "Field Type", "Field Label",
        "Choices, Calculations, OR Slider Labels", "Field Note",
        "Text Validation Type OR Show Slider Number", "Text Validation Min",
        "Text Validation Max", "Identifier?", "Branching Logic (Show field only if...)",
        "Required Field?", "Custom Alignment", "Question Number (surveys only)",
        "Matrix Group Name", "Matrix Ranking?", "Field Annotation",
    ]


def test_header_line_is_byte_identical_to_a_real_download(data):
    assert data.split(b"\n")[0] == FIXTURE.read_bytes().split(b"\n")[0]


def test_one_form_record_id_first_valid_names_and_types(parsed):
    _, rows = parsed
    assert rows[0]["Variable / Field Name"] == "record_id"
    assert {r["Form Name"] for r in rows} == {"lab_culture"}
    names = [r["Variable / Field Name"] for r in rows]
    assert len(names) == len(set(names))
    for r in rows:
        assert r["Field Type"] in TYPES
        assert r["Required Field?"] in ("", "y")


def test_every_item_once_with_scale_choices_in_a_matrix(parsed, lab_culture):
    _, rows = parsed
    by_name = {r["Variable / Field Name"]: r for r in rows}
    names = [r["Variable / Field Name"] for r in rows]
    for c in lab_culture.constructs:
        block = [by_name[i] for i in c.item_ids]
        # consecutive, radio, same matrix group, identical choices
        first = names.index(c.item_ids[0])
        assert names[first:first + len(c.items)] == list(c.item_ids)
        for item, r in zip(c.items, block, strict=True):
            assert names.count(item.id) == 1
            assert r["Field Type"] == "radio"
            assert r["Field Label"] == item.text["en"]
            assert r[CHOICES] == AGREE
            assert r["Matrix Group Name"] == c.id
            assert r["Required Field?"] == ""
            assert r["Field Annotation"] == ("reverse-keyed" if item.reverse else "")
        assert block[0]["Section Header"] == c.name["en"]
        assert all(r["Section Header"] == "" for r in block[1:])
        assert choices(block[0][CHOICES]) == [
            ("1", "Strongly disagree"), ("2", "Disagree"), ("3", "Neither agree nor disagree"),
            ("4", "Agree"), ("5", "Strongly agree")]


def test_grouping_questions_numeric_codes_and_required(parsed, lab_culture):
    _, rows = parsed
    by_name = {r["Variable / Field Name"]: r for r in rows}
    codes = redcap.choice_codes(lab_culture)
    for g in lab_culture.groups:
        r = by_name[g.id]
        assert r["Required Field?"] == ("y" if g.required else "")
        assert r["Field Label"] == g.text["en"]
        if g.type == "choice":
            assert r["Field Type"] == "radio"
            pairs = choices(r[CHOICES])
            assert [codes[g.id][code] for code, _ in pairs] == list(g.codes)
            assert [label for _, label in pairs] == [c.label["en"] for c in g.choices]
        else:
            assert r["Field Type"] == "text" and r[CHOICES] == ""
    assert choices(by_name["lab_region"][CHOICES]) == [
        ("1", "China"), ("2", "United States"), ("3", "Other")]


def test_attention_check_joins_the_middle_matrix(parsed, lab_culture):
    _, rows = parsed
    names = [r["Variable / Field Name"] for r in rows]
    middle = lab_culture.constructs[(len(lab_culture.constructs) - 1) // 2]
    i = names.index("attn1")
    assert names[i - 1] == middle.item_ids[-1]
    assert rows[i]["Matrix Group Name"] == middle.id
    assert rows[i][CHOICES] == AGREE
    assert rows[i]["Field Annotation"] == "attention check; expected answer 4"


def test_language_choice(lab_culture):
    _, rows = parse(redcap.write(lab_culture, "zh"))
    by_name = {r["Variable / Field Name"]: r for r in rows}
    assert by_name["lab_region"]["Field Label"] == "您所在的实验室主要位于哪里？"
    assert by_name["sp1"][CHOICES].startswith("1, 非常不同意 | 2, 不同意")
    assert redcap.FORMAT.multilingual is False


def test_formula_text_is_neutralised(tiny_yaml):
    inst = loads(tiny_yaml.replace("{en: A one,", "{en: '@SUM(1)',"))
    _, rows = parse(redcap.write(inst, "en"))
    assert next(r for r in rows if r["Variable / Field Name"] == "a1")["Field Label"] == \
        "'@SUM(1)"


def test_bar_in_a_choice_label_is_refused(tiny_yaml):
    inst = loads(tiny_yaml.replace("{en: China,", "{en: 'China | HK',"))
    with pytest.raises(ExportError, match="grouping question lab_region"):
        redcap.write(inst, "en")


def test_case_clash_is_refused(tiny_yaml):
    inst = loads(tiny_yaml.replace("- {id: a2,", "- {id: Record_ID,"))
    with pytest.raises(ExportError, match="Record_ID"):
        redcap.write(inst, "en")


def test_deterministic_lf(data, lab_culture):
    assert b"\r" not in data and data.endswith(b"\n")
    assert redcap.write(lab_culture, None) == data
