"""Wenjuanxing survey text, parsed back by the rules Wenjuanxing's toolkit documents.

Sources (repository, path, commit in tests/fixtures/SOURCES.md): the DSL reference
``wjx-ai-kit/wjx-cli/wjx-skills/wjx-cli-use/references/dsl-syntax.md`` and the SDK's
text parser ``text-to-survey.ts`` with its tests ``text-to-survey.test.mjs``, in the
repository ``wjxcom/wjx-ai-kit``. The parser below restates those rules (it is written
from the documented behaviour, not translated from the TypeScript):

- the first non-empty line is the title; the lines after it up to the first question
  header (or page break) are the description, joined by line breaks and trimmed;
- a question header is ``N. text[tag]`` with an optional ``（选填）`` after the tag
  (which makes the question optional); the tag is the last bracketed group;
- ``=== 分页 ===`` is a page break; an unnumbered line between questions is a paragraph;
- a question's body runs until the next header, page break, or blank line; matrix
  questions continue across blank lines unless only headers, page breaks or the end
  follow (the current parser; the older one stops at the first blank line);
- choice lines (single choice, drop-down, ...) lose a one-letter prefix: a letter and
  ``.``, ``．``, ``、``, ``)`` or ``）``, or a letter, spaces and more text (the older
  parser: a letter and spaces);
- a matrix body is either ``行：`` followed by ``- row`` lines, then (current parser
  only) a numeric range ``a~b`` or one column label per line (prefix stripped as for
  choices); or a first line of at least three space-separated column labels followed by
  one row per line.
"""

from __future__ import annotations

import re

import pytest

from survey.errors import ExportError
from survey.forms import wjx
from survey.instrument import load, loads

HEADER = re.compile(r"^(\d+)\.\s*(.+?)\s*(\[([^\]]+)\])(\s*（选填）)?\s*$")
PAGE_BREAK = "=== 分页 ==="
PREFIX = {"current": re.compile(r"^[A-Za-z][.．、)）]\s*|^[A-Za-z]\s+(?=\S)"),
          "older": re.compile(r"^[A-Za-z]\s+")}
MATRIX_TAGS = {"矩阵题", "矩阵量表题", "矩阵单选题", "矩阵多选题", "矩阵填空题"}
CHOICE_TAGS = {"单选题", "下拉框", "下拉单选", "多选题", "判断题", "排序题", "评分单选",
               "评分多选", "商品题", "情景题"}


def parse(text: str, version: str = "current") -> dict:
    """Title, description and questions of a survey text, by the documented rules."""
    lines = text.split("\n")
    i = 0
    while i < len(lines) and not lines[i].strip():
        i += 1
    title = lines[i].strip() if i < len(lines) else ""
    i += 1
    desc = []
    while i < len(lines):
        line = lines[i].strip()
        if HEADER.match(line) or line == PAGE_BREAK:
            break
        desc.append(line)
        i += 1
    questions: list[dict] = []
    while i < len(lines):
        line = lines[i].strip()
        if not line or line == PAGE_BREAK:
            i += 1
            continue
        m = HEADER.match(line)
        if m is None:
            questions.append({"type": "paragraph", "title": line})
            i += 1
            continue
        tag = m.group(4)
        i += 1
        body: list[str] = []
        while i < len(lines):
            line = lines[i].strip()
            if line == PAGE_BREAK or HEADER.match(line):
                break
            if not line:
                j = i + 1
                while j < len(lines) and not lines[j].strip():
                    j += 1
                if (j >= len(lines) or HEADER.match(lines[j].strip())
                        or lines[j].strip() == PAGE_BREAK):
                    break
                if tag in MATRIX_TAGS and version == "current":
                    i += 1
                    continue
                break
            body.append(line)
            i += 1
        q = {"number": int(m.group(1)), "title": m.group(2).strip(), "tag": tag,
             "required": not m.group(5)}
        strip = PREFIX[version]
        if tag in CHOICE_TAGS:
            q["options"] = [strip.sub("", b, count=1) for b in body if b]
        elif tag in MATRIX_TAGS:
            q["rows"], q["columns"] = [], []
            if body and (body[0] == "行：" or body[0].lower() == "rows:"):
                for b in body[1:]:
                    if b.startswith("- "):
                        q["rows"].append(b[2:].strip())
                    elif version == "current":
                        parts = b.split("~")
                        if len(parts) == 2 and all(p.strip().isdigit() for p in parts):
                            q["range"] = [p.strip() for p in parts]
                        else:
                            q["columns"].append(strip.sub("", b, count=1))
            elif len(body) >= 2 and len(body[0].split()) >= 3:
                q["columns"] = body[0].split()
                q["rows"] = [b for b in body[1:] if b]
            else:
                q["rows"] = [b[2:].strip() if b.startswith("- ") else b for b in body]
        questions.append(q)
    return {"title": title, "description": "\n".join(desc).strip(), "questions": questions}


def expected(inst, lang: str) -> list[dict]:
    """The questions the instrument should become, in order."""
    from survey.forms.xlsform import check_slots, matrix_prompt

    out = []
    for g in inst.groups:
        if g.type == "choice":
            out.append({"title": g.text[lang], "tag": "单选题", "required": g.required,
                        "options": [c.label[lang] for c in g.choices]})
        else:
            out.append({"title": g.text[lang], "tag": "填空题", "required": g.required})
    slots = check_slots(inst)
    for c in inst.constructs:
        scale = inst.scales[c.scale]
        rows = [it.text[lang] for it in c.items]
        rows += [chk.text[lang] for chk in slots.get(c.id, ()) if chk.scale == c.scale]
        out.append({"title": matrix_prompt(c, lang), "tag": "矩阵量表题", "required": False,
                    "rows": rows, "columns": list(scale.labels[lang])})
        for chk in slots.get(c.id, ()):
            if chk.scale != c.scale:
                out.append({"title": chk.text[lang], "tag": "单选题", "required": False,
                            "options": list(inst.scales[chk.scale].labels[lang])})
    for n, q in enumerate(out, 1):
        q["number"] = n
    return out


@pytest.fixture(scope="module")
def lab_culture():
    return load("lab-culture")


def _without_range(questions):
    return [{k: v for k, v in q.items() if k != "range"} for q in questions]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_round_trip_every_item_label_and_the_order(lab_culture, lang):
    text = wjx.write(lab_culture, lang).decode("utf-8")
    parsed = parse(text)
    assert parsed["title"] == lab_culture.title[lang]
    assert parsed["description"] == " ".join(lab_culture.description[lang].split())
    assert _without_range(parsed["questions"]) == expected(lab_culture, lang)
    assert all("range" not in q for q in parsed["questions"])
    # every item once, in instrument order, and the attention check in the middle matrix
    rows = [r for q in parsed["questions"] for r in q.get("rows", [])]
    items = [it.text[lang] for it in lab_culture.items]
    assert [r for r in rows if r in items] == items
    middle = parsed["questions"][len(lab_culture.groups) + (len(lab_culture.constructs) - 1) // 2]
    assert middle["rows"][-1] == lab_culture.checks[0].text[lang]


def test_chinese_is_the_default_and_the_tags_are_chinese(lab_culture):
    assert wjx.write(lab_culture) == wjx.write(lab_culture, "zh")
    assert wjx.FORMAT.multilingual is False and wjx.FORMAT.suffix == ".txt"
    en = parse(wjx.write(lab_culture, "en").decode("utf-8"))
    assert {q["tag"] for q in en["questions"]} == {"单选题", "填空题", "矩阵量表题"}
    assert b"\xe7\x9f\xa9\xe9\x98\xb5\xe5\x8f\x8d\xe5\x90\x91" not in wjx.write(lab_culture)  # 矩阵反向
    only_en = loads(TINY_EN)
    assert wjx.default_lang(only_en) == "en"
    assert wjx.write(only_en).startswith(b"Tiny\n")


def test_matrix_shapes(lab_culture):
    zh = wjx.write(lab_culture, "zh").decode("utf-8")
    assert "\n非常不同意 不同意 既不同意也不反对 同意 非常同意\n" in zh
    assert "行：" not in zh
    en = wjx.write(lab_culture, "en").decode("utf-8")
    block = en.split("\n\n")[8].split("\n")
    assert block[0] == "7. How much do you agree with each statement?[矩阵量表题]（选填）"
    assert block[1] == "行："
    assert block[2] == "- People in my lab actively seek outside attention for their own work."
    assert block[-5:] == ["Strongly disagree", "Disagree", "Neither agree nor disagree",
                          "Agree", "Strongly agree"]


def test_older_parser_reads_the_chinese_text_whole_and_the_english_rows(lab_culture):
    zh = wjx.write(lab_culture, "zh").decode("utf-8")
    assert parse(zh, "older") == parse(zh, "current")
    en = wjx.write(lab_culture, "en").decode("utf-8")
    old = parse(en, "older")["questions"]
    want = expected(lab_culture, "en")
    assert [q.get("rows") for q in old] == [q.get("rows") for q in want]
    assert [q.get("options") for q in old] == [q.get("options") for q in want]


def test_questions_numbering_matches_the_text(lab_culture):
    parsed = parse(wjx.write(lab_culture).decode("utf-8"))["questions"]
    qs = wjx.questions(lab_culture)
    assert [q["number"] for q in parsed] == [q.number for q in qs]
    assert [q.kind for q in qs[:6]] == ["choice", "choice", "text", "choice", "choice",
                                       "choice"]
    assert sum(len(q.variables) for q in qs) == len(lab_culture.columns) - 1


TINY_EN = """\
id: tiny-en
version: "0.1"
languages: [en]
title: {en: Tiny}
scales:
  yn: {points: [0, 1], labels: {en: ["No", "Yes"]}}
  agree3: {points: [1, 2, 3], labels: {en: [A little, Somewhat, B. very much]}}
groups:
  - id: region
    type: choice
    required: true
    text: {en: Region}
    choices:
      - {code: a, label: {en: A lot of places}}
      - {code: b, label: {en: Elsewhere}}
constructs:
  - id: alpha
    name: {en: Alpha}
    definition: {en: First}
    scale: agree3
    items:
      - {id: a1, text: {en: "- starts with a dash"}, reverse: false}
      - {id: a2, text: {en: "Two\\nlines"}, reverse: false}
checks:
  - {id: attn1, text: {en: Say yes}, scale: yn, expect: 1}
"""


def test_prefixes_dashes_line_breaks_and_checks_on_another_scale():
    inst = loads(TINY_EN)
    text = wjx.write(inst).decode("utf-8")
    assert "A A lot of places\nB Elsewhere" in text
    parsed = parse(text)["questions"]
    assert parsed == [
        {"number": 1, "title": "Region", "tag": "单选题", "required": True,
         "options": ["A lot of places", "Elsewhere"]},
        {"number": 2, "title": "How much do you agree with each statement?", "tag": "矩阵量表题", "required": False,
         "rows": ["- starts with a dash", "Two lines"],
         "columns": ["A little", "Somewhat", "B. very much"]},
        {"number": 3, "title": "Say yes", "tag": "单选题", "required": False,
         "options": ["No", "Yes"]},
    ]
    assert [q.kind for q in wjx.questions(inst)] == ["choice", "matrix", "check"]
    assert parse(text, "older")["questions"][0]["options"] == ["A lot of places", "Elsewhere"]


@pytest.mark.parametrize(("old", "new", "message"), [
    ("{en: Elsewhere}", "{en: '2. Other[单选题]'}", r"reads as a question header"),
    ("{en: Elsewhere}", "{en: '=== 分页 ==='}", r"page-break line"),
    ("[A little, Somewhat, B. very much]", "['1~3', Somewhat, B. very much]",
     r"scale label 1 \('1~3'\) would be read as a matrix row or a numeric range"),
    ("{en: \"- starts with a dash\"}", "{en: '3. x[填空题]'}", r"construct alpha row 1"),
])
def test_text_the_parser_would_misread_is_refused(old, new, message):
    inst = loads(TINY_EN.replace(old, new))
    with pytest.raises(ExportError, match=message):
        wjx.write(inst)


def test_deterministic(lab_culture):
    assert wjx.write(lab_culture, "en") == wjx.write(lab_culture, "en")
