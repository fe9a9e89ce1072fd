"""LimeSurvey tab-separated survey structure export, parsed back and compared with a real one.

Documentation: LimeSurvey Manual, "Tab Separated Value survey structure"
(https://manual.limesurvey.org/Tab_Separated_Value_survey_structure): a tab-separated
file with a header row (``class``, ``type/scale``, ``name``, ``relevance``, ``text``,
``help``, ``language``, ``validation``, ``mandatory``, ``other``, ``default``,
``same_default`` and, in newer versions, leading ``id`` and ``related_id``), read by
column name; row classes ``S`` (survey setting), ``SL`` (language setting), ``G``
(group), ``Q`` (question, ``type/scale`` = type letter, ``F`` = array), ``SQ``
(subquestion), ``A`` (answer option); a multilingual survey repeats each group's rows
per language with the same codes. Code limits from the manual's question and answer
pages: question codes start with a letter and hold letters and digits only;
subquestion codes letters and digits; answer codes at most 5 letters or digits.

The reference is a two-language survey written by hand in that layout
(``tests/fixtures/platforms/limesurvey/handmade_survey_structure.txt``; see SOURCES.md
there). A genuine export in two languages (limonaid's ``testing-multilingual-export.txt``,
GPL) is checked the same way when ``LCS_EXTRA_FIXTURES`` points at it.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pytest

from survey.errors import ExportError
from survey.forms import limesurvey
from survey.instrument import load, loads

FIXTURE = (
    Path(__file__).resolve().parent / "fixtures" / "platforms" / "limesurvey"
    / "handmade_survey_structure.txt"
)
#: A genuine export (GPL), used when LCS_EXTRA_FIXTURES holds it.
REAL_EXPORT = "limesurvey/limonaid_testing-multilingual-export.txt"


def parse(data: bytes) -> tuple[list[str], list[dict[str, str]]]:
    text = data.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", quotechar='"')
    rows = list(reader)
    header = [h.strip() for h in rows[0]]
    return header, [dict(zip(header, r, strict=False)) for r in rows[1:]]


@pytest.fixture(scope="module")
def lab_culture():
    return load("lab-culture")


@pytest.fixture(scope="module")
def parsed(lab_culture):
    return parse(limesurvey.write(lab_culture, None))


@pytest.fixture(scope="module", params=["handmade", "real"])
def reference(request):
    if request.param == "real":
        from tests.conftest import extra_fixture

        return parse(extra_fixture(REAL_EXPORT).read_bytes())
    return parse(FIXTURE.read_bytes())


def test_header_is_the_leading_columns_of_a_real_export(parsed, reference):
    header, _ = parsed
    ref_header, _ = reference
    assert header == ref_header[: len(header)]
    assert header[:3] == ["id", "related_id", "class"]


def test_row_classes_and_order_match_a_real_export(parsed, reference):
    _, rows = parsed
    _, ref_rows = reference

    def shape(rows):
        out = []
        for r in rows:
            if not out or out[-1] != r["class"]:
                out.append(r["class"])
        return out

    # S block, SL block, then groups: G, Q, (SQ), A ... repeated per language
    assert shape(ref_rows)[:3] == ["S", "SL", "G"]
    assert shape(rows)[:3] == ["S", "SL", "G"]
    assert set(r["class"] for r in rows) == {"S", "SL", "G", "Q", "SQ", "A"}
    ref_settings = {r["name"] for r in ref_rows if r["class"] in ("S", "SL")}
    ours = {r["name"] for r in rows if r["class"] in ("S", "SL")}
    assert ours <= ref_settings


def test_settings(parsed):
    _, rows = parsed
    s = {r["name"]: r["text"] for r in rows if r["class"] == "S"}
    assert s == {"language": "en", "additional_languages": "zh-Hans", "format": "G",
                 "anonymized": "Y"}
    titles = {r["language"]: r["text"] for r in rows
              if r["class"] == "SL" and r["name"] == "surveyls_title"}
    assert titles == {"en": "Working Culture in AI Labs", "zh-Hans": "AI实验室工作文化调查"}


def test_one_array_per_construct_with_items_as_subquestions(parsed, lab_culture):
    _, rows = parsed
    codes = limesurvey.question_codes(lab_culture)
    for lang, ls_lang in (("en", "en"), ("zh", "zh-Hans")):
        current = None
        arrays: dict[str, dict] = {}
        for r in rows:
            if r["language"] != ls_lang:
                continue
            if r["class"] == "Q":
                current = r
                if r["type/scale"] == "F":
                    arrays[codes[r["name"]]] = {"sq": [], "a": []}
            elif r["class"] in ("SQ", "A") and current["type/scale"] == "F":
                key = "sq" if r["class"] == "SQ" else "a"
                arrays[codes[current["name"]]][key].append((r["name"], r["text"]))
        assert list(arrays) == [c.id for c in lab_culture.constructs]
        for c in lab_culture.constructs:
            assert arrays[c.id]["sq"] == [(i.id, i.text[lang]) for i in c.items]
            scale = lab_culture.scales[c.scale]
            assert arrays[c.id]["a"] == [(str(p), scale.labels[lang][k])
                                         for k, p in enumerate(scale.points)]


def test_every_item_once_per_language(parsed, lab_culture):
    _, rows = parsed
    for ls_lang in ("en", "zh-Hans"):
        sq = [r["name"] for r in rows if r["class"] == "SQ" and r["language"] == ls_lang]
        assert sorted(sq) == sorted(lab_culture.item_ids)


def test_languages_repeat_groups_with_the_same_ids_and_codes(parsed):
    _, rows = parsed
    body = [r for r in rows if r["class"] in ("G", "Q", "SQ", "A")]
    en = [(r["id"], r["class"], r["name"] if r["class"] != "G" else "")
          for r in body if r["language"] == "en"]
    zh = [(r["id"], r["class"], r["name"] if r["class"] != "G" else "")
          for r in body if r["language"] == "zh-Hans"]
    assert en == zh
    # each group's rows come in the first language, then the second
    groups = [(r["id"], r["language"]) for r in rows if r["class"] == "G"]
    assert groups[:4] == [("1", "en"), ("1", "zh-Hans"), ("2", "en"), ("2", "zh-Hans")]
    # question and subquestion ids are unique within a language
    ids = [r["id"] for r in body if r["class"] in ("Q", "SQ") and r["language"] == "en"]
    assert len(ids) == len(set(ids))


def test_codes_meet_limesurvey_limits(parsed):
    _, rows = parsed
    for r in rows:
        if r["class"] == "Q":
            assert re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,19}", r["name"]), r["name"]
        elif r["class"] == "SQ":
            assert re.fullmatch(r"[A-Za-z0-9]+", r["name"]), r["name"]
        elif r["class"] == "A":
            assert re.fullmatch(r"[A-Za-z0-9]{1,5}", r["name"]), r["name"]


def test_grouping_questions_and_answer_code_mapping(parsed, lab_culture):
    _, rows = parsed
    codes = limesurvey.answer_codes(lab_culture)
    assert codes["lab_region"] == {"A1": "china", "A2": "united_states", "A3": "other"}
    assert codes["student"] == {"yes": "yes", "no": "no"}
    qcodes = limesurvey.question_codes(lab_culture)
    by_q: dict[str, list[tuple[str, str]]] = {}
    current = None
    for r in rows:
        if r["language"] != "en":
            continue
        if r["class"] == "Q":
            current = qcodes[r["name"]]
            by_q[current] = [("Q", r["type/scale"], r["mandatory"])]
        elif r["class"] == "A":
            by_q[current].append((r["name"], r["text"]))
    assert by_q["lab_region"] == [("Q", "L", "Y"), ("A1", "China"), ("A2", "United States"),
                                  ("A3", "Other")]
    assert by_q["lab"] == [("Q", "S", "Y")]
    assert by_q["role"][0] == ("Q", "L", "N")
    assert by_q["attn1"][0] == ("Q", "L", "N")
    for c in lab_culture.constructs:
        assert by_q[c.id][0] == ("Q", "F", "N")
    for g in lab_culture.groups:
        if g.type == "choice":
            shorts = [a for a, _ in by_q[g.id][1:]]
            assert [codes[g.id][s] for s in shorts] == list(g.codes)


def test_question_codes_drop_underscores(lab_culture):
    codes = limesurvey.question_codes(lab_culture)
    assert codes["labregion"] == "lab_region"
    assert codes["selfpromotion"] == "self_promotion"
    assert codes["attn1"] == "attn1"


def test_colliding_codes_get_a_number(tiny_yaml):
    inst = loads(tiny_yaml.replace("- {id: lab, type: text", "- {id: labregion, type: text"))
    codes = limesurvey.question_codes(inst)
    assert codes["labregion"] == "lab_region"
    assert codes["labregion2"] == "labregion"


def test_single_language(lab_culture):
    _, rows = parse(limesurvey.write(lab_culture, "zh"))
    assert {r["language"] for r in rows if r["class"] != "S"} == {"zh-Hans"}
    s = {r["name"]: r["text"] for r in rows if r["class"] == "S"}
    assert s["language"] == "zh-Hans" and s["additional_languages"] == ""


def test_text_is_html_escaped_and_tabs_survive(tiny_yaml):
    inst = loads(tiny_yaml.replace("{en: A one,", "{en: \"R&D\\tlab <fast>\",")
                 .replace("name: {en: Alpha,", "name: {en: R&D,"))
    _, rows = parse(limesurvey.write(inst, "en"))
    sq = next(r for r in rows if r["class"] == "SQ" and r["name"] == "a1")
    assert sq["text"] == "R&amp;D\tlab &lt;fast&gt;"
    # group names are plain text: LimeSurvey escapes them itself
    assert [r["name"] for r in rows if r["class"] == "G"] == ["Tiny", "R&D"]


def test_scale_codes_that_cannot_be_answer_codes_are_refused(tiny_yaml):
    inst = loads(tiny_yaml.replace("points: [1, 2, 3, 4, 5]", "points: [-2, -1, 0, 1, 2]")
                 .replace("expect: 4", "expect: 1"))
    with pytest.raises(ExportError, match="LimeSurvey answer codes"):
        limesurvey.write(inst, None)


def test_crlf_and_deterministic(lab_culture):
    data = limesurvey.write(lab_culture, None)
    assert data.count(b"\r\n") == data.count(b"\n")
    assert data == limesurvey.write(lab_culture, None)
