"""Qualtrics Advanced Format TXT export, parsed back with the format's documented rules.

Documentation: Qualtrics Support, "Import and Export Surveys", section "Preparing an
Advanced Format TXT File"
(https://www.qualtrics.com/support/survey-platform/survey-module/survey-tools/import-and-export-surveys/#PreparingAnAdvancedFormatTXTFile).
The rules the parser below applies:

- the file begins with ``[[AdvancedFormat]]``;
- ``[[Block:name]]`` starts a block, ``[[PageBreak]]`` a page;
- ``[[Question:Type]]`` (``MC``, ``MC:SingleAnswer:Vertical|Horizontal``, ``Matrix``,
  ``TE:SingleLine``, ``DB``, ...) starts a question, optionally followed by
  ``[[ID:tag]]`` (the export tag), then the question text;
- ``[[Choices]]`` is followed by one choice per line (a matrix's statements);
  ``[[AdvancedChoices]]`` by ``[[Choice]]``/``[[Choice:recode]]`` entries;
- a matrix's scale points follow ``[[Answers]]``, or ``[[AdvancedAnswers]]`` with
  ``[[Answer]]``/``[[Answer:recode]]`` entries.

Translations cannot be imported from TXT, so the format is single-language.
"""

from __future__ import annotations

import html
import re

import pytest

from survey.errors import ExportError
from survey.forms import qualtrics
from survey.instrument import load, loads

TAG = re.compile(r"^\[\[([A-Za-z]+)(?::(.*))?\]\]$")


def parse(data: bytes) -> list[dict]:
    """Parse an Advanced Format file into blocks of questions."""
    lines = data.decode("utf-8").split("\n")
    assert lines[0] == "[[AdvancedFormat]]"
    blocks: list[dict] = []
    question: dict | None = None
    section = None
    for line in lines[1:]:
        m = TAG.match(line)
        if m:
            tag, arg = m.groups()
            if tag == "Block":
                blocks.append({"name": arg, "questions": [], "page_breaks": 0})
                question, section = None, None
            elif tag == "PageBreak":
                blocks[-1]["page_breaks"] += 1
                question, section = None, None
            elif tag == "Question":
                question = {"type": arg, "id": None, "text": [], "choices": [],
                            "answers": [], "advanced_choices": False,
                            "advanced_answers": False}
                blocks[-1]["questions"].append(question)
                section = "text"
            elif tag == "ID":
                question["id"] = arg
            elif tag in ("Choices", "AdvancedChoices"):
                section = "choices"
                question["advanced_choices"] = tag == "AdvancedChoices"
            elif tag in ("Answers", "AdvancedAnswers"):
                section = "answers"
                question["advanced_answers"] = tag == "AdvancedAnswers"
            elif tag in ("Choice", "Answer"):
                key = "choices" if tag == "Choice" else "answers"
                question[key].append([arg, None])
            else:
                pytest.fail(f"undocumented tag {line}")
            continue
        if not line.strip() or question is None:
            continue
        text = html.unescape(line)
        if section == "text":
            question["text"].append(text)
        else:
            key = section
            advanced = question[f"advanced_{key}"]
            if advanced:
                assert question[key][-1][1] is None, "one line per advanced entry here"
                question[key][-1][1] = text
            else:
                question[key].append([None, text])
    return blocks


@pytest.fixture(scope="module")
def lab_culture():
    return load("lab-culture")


@pytest.fixture(scope="module")
def blocks(lab_culture):
    return parse(qualtrics.write(lab_culture, None))


def test_format_is_single_language():
    assert qualtrics.FORMAT.multilingual is False
    assert qualtrics.FORMAT.suffix == ".txt"


def test_one_matrix_per_construct_with_items_and_recoded_answers(blocks, lab_culture):
    matrices = {q["id"]: q for b in blocks for q in b["questions"] if q["type"] == "Matrix"}
    assert list(matrices) == [c.id for c in lab_culture.constructs]
    for c in lab_culture.constructs:
        q = matrices[c.id]
        assert [text for _, text in q["choices"]] == [i.text["en"] for i in c.items]
        scale = lab_culture.scales[c.scale]
        assert q["answers"] == [[str(p), scale.labels["en"][i]]
                                for i, p in enumerate(scale.points)]
        assert q["text"] == ["How much do you agree with each statement?"]


def test_one_block_per_construct_after_the_background(blocks, lab_culture):
    assert [b["name"] for b in blocks] == ["background", *[c.id for c in lab_culture.constructs]]
    assert all(len([q for q in b["questions"] if q["type"] == "Matrix"]) == 1
               for b in blocks[1:])
    assert blocks[0]["page_breaks"] == 1


def test_grouping_questions_and_recodes(blocks, lab_culture):
    background = {q["id"]: q for q in blocks[0]["questions"]}
    assert list(background) == ["intro", *lab_culture.group_ids]
    assert background["intro"]["type"] == "DB"
    region = background["lab_region"]
    assert region["type"] == "MC:SingleAnswer:Vertical"
    assert region["text"] == ["Where is your lab mainly based?"]
    assert region["choices"] == [["1", "China"], ["2", "United States"], ["3", "Other"]]
    codes = qualtrics.choice_codes(lab_culture)["lab_region"]
    assert [codes[n] for n, _ in region["choices"]] == ["china", "united_states", "other"]
    assert background["lab"]["type"] == "TE:SingleLine"
    assert background["lab"]["choices"] == []


def test_attention_check_in_the_middle_block(blocks, lab_culture):
    found = [(b["name"], q) for b in blocks for q in b["questions"] if q["id"] == "attn1"]
    assert len(found) == 1
    block, q = found[0]
    assert block == lab_culture.constructs[(len(lab_culture.constructs) - 1) // 2].id
    assert q["type"] == "MC:SingleAnswer:Horizontal"
    assert [n for n, _ in q["choices"]] == ["1", "2", "3", "4", "5"]


def test_every_item_once_and_columns_map_back(lab_culture, blocks):
    columns = qualtrics.item_columns(lab_culture)
    assert sorted(columns.values()) == sorted(lab_culture.item_ids)
    assert columns["self_promotion_1"] == "sp1"
    statements = [text for b in blocks for q in b["questions"] if q["type"] == "Matrix"
                  for _, text in q["choices"]]
    assert len(statements) == len(lab_culture.items)


def test_language_choice(lab_culture):
    zh = parse(qualtrics.write(lab_culture, "zh"))
    region = next(q for q in zh[0]["questions"] if q["id"] == "lab_region")
    assert region["text"] == ["您所在的实验室主要位于哪里？"]
    assert qualtrics.write(lab_culture, None) == qualtrics.write(lab_culture, "en")


def test_html_is_escaped_and_tags_refused(tiny_yaml):
    inst = loads(tiny_yaml.replace("{en: A one,", "{en: 'R&D <b>fast</b>',"))
    data = qualtrics.write(inst, "en")
    assert b"R&amp;D &lt;b&gt;fast&lt;/b&gt;" in data
    matrix = parse(data)[1]["questions"][0]
    assert matrix["choices"][0][1] == "R&D <b>fast</b>"
    bad = loads(tiny_yaml.replace("{en: A one,", "{en: 'see [[PageBreak]]',"))
    with pytest.raises(ExportError, match=r"item a1 contains '\[\['"):
        qualtrics.write(bad, "en")


def test_deterministic(lab_culture):
    assert qualtrics.write(lab_culture, "zh") == qualtrics.write(lab_culture, "zh")
