"""LimeSurvey tab-separated survey structure (.txt), for Create survey -> Import.

A UTF-8 file of tab-separated rows with the header LimeSurvey's own "Survey structure
(.txt)" export starts with (``id, related_id, class, type/scale, name, relevance, text,
help, language, validation, mandatory, other, default, same_default``); the importer
reads columns by name, so the question-attribute columns it also knows are left out.
Rows, in the order LimeSurvey exports them:

- ``S``: survey settings: base ``language``, ``additional_languages``, ``format`` ``G``
  (one page per group), ``anonymized`` ``Y``;
- ``SL``: per language, the title and description;
- per question group, the group (``G``) and its questions in the first language, then
  the same rows in each further language, with the same ids and codes.

Groups: the first holds the grouping questions (named after the instrument's title);
then one group per construct, named after the construct, holding one array question
(type ``F``, "Array") whose subquestions (``SQ``) are the items, with subquestion codes
equal to item ids, and whose answer options (``A``) are the scale points, with answer
codes equal to the scale codes. Attention checks are list questions (``L``) in the group
of the middle construct. Free-text grouping questions are short text (``S``).

LimeSurvey's limits, and how codes are mapped to meet them (:func:`question_codes` and
:func:`answer_codes` map back, for the response reader):

- question codes must start with a letter, hold only letters and digits, and be at
  most 20 characters long: ``lab_region`` becomes ``labregion``, ``self_promotion``
  ``selfpromotion`` (a digit is appended if two ids would collide);
- subquestion codes hold only letters and digits: item ids that do are kept;
- answer codes hold at most 5 letters or digits: scale codes are kept; the choices of a
  grouping question keep their codes when all of them fit, otherwise the question's
  choices become ``A1``, ``A2``, ... in declared order.

Language codes are LimeSurvey's: ``zh`` is written as ``zh-Hans`` (simplified Chinese),
which is also what LimeSurvey reports as a response's ``startlanguage``. Question,
subquestion and answer texts and the description are HTML in LimeSurvey, so ``&``, ``<``
and ``>`` are escaped there; the survey title and group names are plain text.
"""

from __future__ import annotations

import csv
import html
import io
import re
from typing import TYPE_CHECKING

from survey.errors import ExportError
from survey.forms import FormSpec
from survey.forms.xlsform import check_slots, matrix_prompt

if TYPE_CHECKING:  # pragma: no cover
    from survey.instrument import Group, Instrument

__all__ = [
    "FORMAT",
    "HEADER",
    "LANGUAGE_CODES",
    "answer_codes",
    "question_codes",
    "write",
]

FORMAT = FormSpec(
    name="limesurvey",
    suffix=".txt",
    label="LimeSurvey survey structure, tab-separated (both languages)",
)

#: The leading columns of LimeSurvey's survey structure export, in its order.
HEADER = (
    "id", "related_id", "class", "type/scale", "name", "relevance", "text", "help",
    "language", "validation", "mandatory", "other", "default", "same_default",
)

#: Instrument language code -> LimeSurvey language code, where they differ.
LANGUAGE_CODES: dict[str, str] = {"zh": "zh-Hans"}

_ANSWER_CODE = re.compile(r"^[A-Za-z0-9]{1,5}$")
_MAX_QUESTION_CODE = 20


def _ls_lang(code: str) -> str:
    return LANGUAGE_CODES.get(code, code)


def _codes(instrument: Instrument) -> tuple[dict[str, str], dict[str, str]]:
    """(question id -> code, item id -> subquestion code)."""
    taken: set[str] = set()
    questions: dict[str, str] = {}

    def make(ident: str) -> str:
        base = re.sub(r"[^A-Za-z0-9]", "", ident)[:_MAX_QUESTION_CODE]
        if not base or not base[0].isalpha():
            base = ("Q" + base)[:_MAX_QUESTION_CODE]
        code, n = base, 1
        while code.lower() in taken:
            n += 1
            code = base[: _MAX_QUESTION_CODE - len(str(n))] + str(n)
        taken.add(code.lower())
        return code

    for g in instrument.groups:
        questions[g.id] = make(g.id)
    for c in instrument.constructs:
        questions[c.id] = make(c.id)
    for chk in instrument.checks:
        questions[chk.id] = make(chk.id)

    subquestions: dict[str, str] = {}
    for c in instrument.constructs:
        used: set[str] = set()
        for item in c.items:
            code = re.sub(r"[^A-Za-z0-9]", "", item.id)
            n = 1
            base = code
            while code.lower() in used:
                n += 1
                code = f"{base}{n}"
            used.add(code.lower())
            subquestions[item.id] = code
    return questions, subquestions


def question_codes(instrument: Instrument) -> dict[str, str]:
    """LimeSurvey question or subquestion code -> instrument id.

    Questions (grouping questions, constructs, checks) and subquestions (items) share
    this mapping; subquestion codes appear in response exports as ``QCODE[SQCODE]``.

    Examples
    --------
    >>> from survey.instrument import load
    >>> codes = question_codes(load("lab-culture"))
    >>> codes["labregion"], codes["selfpromotion"], codes["sp1"]
    ('lab_region', 'self_promotion', 'sp1')
    """
    questions, subquestions = _codes(instrument)
    out = {code: ident for ident, code in questions.items()}
    out.update({code: ident for ident, code in subquestions.items()})
    return out


def _group_answer_codes(group: Group) -> dict[str, str]:
    """Short code -> choice code for one grouping question."""
    if all(_ANSWER_CODE.match(c.code) for c in group.choices):
        return {c.code: c.code for c in group.choices}
    return {f"A{n}": c.code for n, c in enumerate(group.choices, 1)}


def answer_codes(instrument: Instrument) -> dict[str, dict[str, str]]:
    """Grouping question id -> {LimeSurvey answer code: choice code}.

    Scale points are written with their own codes and are not listed.

    Examples
    --------
    >>> from survey.instrument import load
    >>> codes = answer_codes(load("lab-culture"))
    >>> codes["lab_region"]
    {'A1': 'china', 'A2': 'united_states', 'A3': 'other'}
    >>> codes["student"]
    {'yes': 'yes', 'no': 'no'}
    """
    return {g.id: _group_answer_codes(g) for g in instrument.groups if g.type == "choice"}


def _plain(value: str) -> str:
    """A one-line plain-text cell (survey title, group name: LimeSurvey escapes these)."""
    return " ".join(value.split())


def _html(value: str) -> str:
    """An HTML cell (question, subquestion and answer texts, description)."""
    return html.escape(value.strip(), quote=False).replace("\r\n", "\n").replace("\n", "<br />")


def write(instrument: Instrument, lang: str | None = None) -> bytes:
    """Write the tab-separated survey structure.

    Parameters
    ----------
    instrument : Instrument
        The instrument to write.
    lang : str, optional
        Write only this language (default: every language of the instrument; the first
        one is LimeSurvey's base language).

    Returns
    -------
    bytes
        UTF-8 text with CRLF line ends, as LimeSurvey writes it.
    """
    langs = (lang,) if lang else instrument.languages
    for scale in instrument.scales.values():
        for p in scale.points:
            if not _ANSWER_CODE.match(str(p)):
                raise ExportError(
                    f"scale '{scale.id}' has the code {p}, but LimeSurvey answer codes are "
                    "1-5 letters or digits; use codes such as 1..5 or 0..4"
                )
    qcodes, sqcodes = _codes(instrument)
    gcodes = answer_codes(instrument)

    rows: list[dict[str, str]] = []

    def add(**cells: str | int) -> None:
        rows.append({k.replace("type_scale", "type/scale"): str(v) for k, v in cells.items()})

    add(**{"class": "S", "name": "language", "text": _ls_lang(langs[0])})
    add(**{"class": "S", "name": "additional_languages",
           "text": " ".join(_ls_lang(x) for x in langs[1:])})
    add(**{"class": "S", "name": "format", "text": "G"})
    add(**{"class": "S", "name": "anonymized", "text": "Y"})
    for x in langs:
        add(**{"class": "SL", "name": "surveyls_language", "text": _ls_lang(x),
               "language": _ls_lang(x)})
        add(**{"class": "SL", "name": "surveyls_title", "text": _plain(instrument.title[x]),
               "language": _ls_lang(x)})
        if instrument.description:
            add(**{"class": "SL", "name": "surveyls_description",
                   "text": _html(instrument.description[x]), "language": _ls_lang(x)})

    # Build the groups once, language-independent, then render per language.
    next_qid = 0

    def new_qid() -> int:
        nonlocal next_qid
        next_qid += 1
        return next_qid

    slots = check_slots(instrument)
    groups: list[tuple[int, dict[str, str], list[tuple]]] = []
    background = []
    for g in instrument.groups:
        background.append(("group", g, new_qid()))
    groups.append((1, dict(instrument.title), background))
    for gi, c in enumerate(instrument.constructs, 2):
        entries: list[tuple] = [
            ("construct", c, new_qid(), [(item, new_qid()) for item in c.items])
        ]
        for chk in slots.get(c.id, ()):
            entries.append(("check", chk, new_qid()))
        groups.append((gi, dict(c.name), entries))

    def question(qid: int, qtype: str, code: str, text: str, x: str, mandatory: bool) -> None:
        add(id=qid, **{"class": "Q", "type/scale": qtype, "name": code, "relevance": "1",
                       "text": text, "language": _ls_lang(x),
                       "mandatory": "Y" if mandatory else "N", "other": "N",
                       "same_default": "0"})

    def answer(qid: int, code: str, text: str, x: str) -> None:
        add(id=qid, **{"class": "A", "type/scale": "0", "name": code, "text": text,
                       "language": _ls_lang(x)})

    for gid, name, entries in groups:
        for x in langs:
            add(id=gid, **{"class": "G", "type/scale": "0", "name": _plain(name[x]),
                           "relevance": "1", "language": _ls_lang(x)})
            for entry in entries:
                kind, obj, qid = entry[0], entry[1], entry[2]
                if kind == "group":
                    if obj.type == "choice":
                        question(qid, "L", qcodes[obj.id], _html(obj.text[x]), x, obj.required)
                        short = {code: s for s, code in gcodes[obj.id].items()}
                        for ch in obj.choices:
                            answer(qid, short[ch.code], _html(ch.label[x]), x)
                    else:
                        question(qid, "S", qcodes[obj.id], _html(obj.text[x]), x, obj.required)
                elif kind == "construct":
                    question(qid, "F", qcodes[obj.id], _html(matrix_prompt(obj, x)), x, False)
                    for item, sqid in entry[3]:
                        add(id=sqid,
                            **{"class": "SQ", "type/scale": "0", "name": sqcodes[item.id],
                               "relevance": "1", "text": _html(item.text[x]),
                               "language": _ls_lang(x), "same_default": "0"})
                    scale = instrument.scales[obj.scale]
                    for i, p in enumerate(scale.points):
                        answer(qid, str(p), _html(scale.labels[x][i]), x)
                else:
                    question(qid, "L", qcodes[obj.id], _html(obj.text[x]), x, False)
                    scale = instrument.scales[obj.scale]
                    for i, p in enumerate(scale.points):
                        answer(qid, str(p), _html(scale.labels[x][i]), x)

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=HEADER, delimiter="\t", lineterminator="\r\n",
                            restval="")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")
