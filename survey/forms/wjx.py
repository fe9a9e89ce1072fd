"""Wenjuanxing (问卷星, wjx.cn) survey text, for the designer's text import ("文本导入").

The format is the plain-text survey language Wenjuanxing's own toolkit documents
(repository ``wjxcom/wjx-ai-kit``: ``references/dsl-syntax.md`` and the SDK's
``text-to-survey`` parser; see ``tests/fixtures/SOURCES.md``):

- line 1 is the survey title; the lines after a blank line, up to question 1, are the
  introduction (the instrument's description);
- questions are separated by blank lines and start ``N. text[题型]``; a trailing
  ``（选填）`` (full-width parentheses) makes a question optional, anything else is
  required. Type tags are Chinese whatever the language of the survey;
- each grouping question is ``[单选题]`` with its choices one per line in declared
  order (free-text ones are ``[填空题]``), optional unless the instrument requires it;
- each construct is one ``[矩阵量表题]`` (matrix rating scale) in instrument order:
  its rows are the items, its columns the scale labels. Attention checks go where the
  other forms put them (:func:`~survey.forms.xlsform.check_slots`): as a last row of
  the middle construct's matrix when they use its scale, otherwise as a ``[单选题]``
  right after it. Items and checks are optional (respondents may leave a statement
  blank). ``[矩阵反向量表题]`` (which reverses scores inside the platform) is never
  written: keying belongs to the instrument and the scoring.

A matrix is written in one of the two shapes the parser documents. When every scale
label is one word (Chinese labels: ``非常不同意 不同意 ...``) and there are at least
three, the first body line holds the labels separated by spaces and each further line
is a row; every version of the parser reads this. Labels with spaces inside (English:
``Strongly disagree``) cannot be written that way, so the matrix is written as ``行：``,
one ``- row`` line per row, then one label per line, which the parser reads since the
version that collects column options after the rows (older versions keep the rows and
drop the labels, which then need to be typed into the designer).

The parser strips a single-letter prefix (``A. ``, ``B）``, or a letter and spaces before
more text, so ``A lot`` would become ``lot``) from choice and column lines; where a
label would lose its start that way, every choice of the question is written with a
letter and a space in front (``A A lot``), the one prefix every version of the parser
strips, leaving the label whole. Text that the parser would misread (a line that looks
like a question header, the page-break line ``=== 分页 ===``, an empty choice) is refused
with an :class:`~survey.errors.ExportError` naming it.

Question numbers are fixed by :func:`questions`; the response reader
(:mod:`survey.responses.wjx`) finds columns by these numbers and the texts written here.
The format holds one language; the default is Chinese (``zh``) when the instrument has
it, otherwise its first language.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from survey.errors import ExportError
from survey.forms import FormSpec
from survey.forms.xlsform import check_slots, matrix_prompt

if TYPE_CHECKING:  # pragma: no cover
    from survey.instrument import Instrument

__all__ = [
    "DEFAULT_LANG",
    "FORMAT",
    "OPTIONAL",
    "PAGE_BREAK",
    "QUESTION_LINE",
    "Question",
    "default_lang",
    "questions",
    "write",
]

FORMAT = FormSpec(
    name="wjx",
    suffix=".txt",
    label="Wenjuanxing (问卷星) text import survey (one language; default Chinese)",
    multilingual=False,
)

#: The language written when ``-l`` is not given (if the instrument has it).
DEFAULT_LANG = "zh"

#: The marker of an optional question (full-width parentheses, as the parser requires).
OPTIONAL = "（选填）"

#: The line the parser reads as a page break.
PAGE_BREAK = "=== 分页 ==="

#: A question header as the parser recognises it: number, dot, text, ``[tag]``,
#: optional ``（选填）``.
QUESTION_LINE = re.compile(r"^(\d+)\.\s*(.+?)\s*(\[([^\]]+)\])(\s*（选填）)?\s*$")

#: What the parser strips from the start of a choice or column line (one letter followed
#: by a dot, a Chinese enumeration comma or a closing parenthesis; or by spaces and text).
_LETTER_PREFIX = re.compile(r"^[A-Za-z](?:[.．、)）]|\s+(?=\S))")
_SPACE = re.compile(r"\s")
#: A column line the parser reads as a numeric scale range (``1~5``), not a label.
_RANGE = re.compile(r"^\s*\d+\s*~\s*\d+\s*$")


@dataclass(frozen=True)
class Question:
    """One numbered question of the Wenjuanxing form.

    Attributes
    ----------
    number : int
        The question number (``N.`` in the text, ``N、`` or ``第N题`` in downloads).
    kind : str
        ``choice`` (a grouping question with choices), ``text`` (a free-text grouping
        question), ``matrix`` (a construct) or ``check`` (an attention check written as
        its own single-choice question).
    id : str
        The grouping question, construct or check it asks.
    variables : tuple of str
        The instrument variables it answers, in order: the group or check id, or a
        matrix's rows (the construct's items, then the checks placed in it).
    """

    number: int
    kind: str
    id: str
    variables: tuple[str, ...]


def default_lang(instrument: Instrument) -> str:
    """The language written when none is asked for: Chinese if the instrument has it.

    Examples
    --------
    >>> from survey.instrument import load
    >>> default_lang(load("lab-culture"))
    'zh'
    """
    return DEFAULT_LANG if DEFAULT_LANG in instrument.languages else instrument.languages[0]


def questions(instrument: Instrument) -> tuple[Question, ...]:
    """The form's questions in order, numbered from 1.

    Grouping questions first, then one matrix per construct, each followed by the
    attention checks :func:`~survey.forms.xlsform.check_slots` puts after it that use
    another scale (checks on the construct's own scale are rows of its matrix).

    Examples
    --------
    >>> from survey.instrument import load
    >>> qs = questions(load("lab-culture"))
    >>> [(q.number, q.kind, q.id) for q in qs[:2]]
    [(1, 'choice', 'lab_region'), (2, 'choice', 'lab_type')]
    >>> [q.variables[-2:] for q in qs if q.id == "open_weights"]
    [('ow6', 'attn1')]
    """
    out: list[Question] = []
    for g in instrument.groups:
        kind = "choice" if g.type == "choice" else "text"
        out.append(Question(len(out) + 1, kind, g.id, (g.id,)))
    slots = check_slots(instrument)
    for c in instrument.constructs:
        inside = [chk.id for chk in slots.get(c.id, ()) if chk.scale == c.scale]
        out.append(Question(len(out) + 1, "matrix", c.id, (*c.item_ids, *inside)))
        for chk in slots.get(c.id, ()):
            if chk.scale != c.scale:
                out.append(Question(len(out) + 1, "check", chk.id, (chk.id,)))
    return tuple(out)


def _line(value: str) -> str:
    """One line of text: runs of whitespace (line breaks included) become one space."""
    return " ".join(value.split())


def _check_line(text: str, where: str) -> str:
    """Refuse a body line the parser would read as something else."""
    if not text:
        raise ExportError(f"{where} is empty; Wenjuanxing needs text on every line")
    if QUESTION_LINE.match(text):
        raise ExportError(
            f"{where} ('{text}') reads as a question header ('N. text[type]') in the "
            "Wenjuanxing text format; reword it in the instrument"
        )
    if text == PAGE_BREAK:
        raise ExportError(f"{where} is the page-break line '{PAGE_BREAK}'; reword it")
    return text


def _options(labels: list[str], where: str) -> list[str]:
    """Choice or column lines; all lettered ``A `` ... when one would lose its start."""
    lines = [_check_line(_line(t), f"{where} choice {i}") for i, t in enumerate(labels, 1)]
    if any(_LETTER_PREFIX.match(t) for t in lines):
        if len(lines) > 26:
            raise ExportError(
                f"{where}: a choice starts with a single letter and a space or dot "
                "(which the Wenjuanxing parser strips) and the question has more than 26 "
                "choices to letter; reword the choice in the instrument"
            )
        lines = [f"{chr(65 + i)} {t}" for i, t in enumerate(lines)]
    return lines


def _header(number: int, text: str, tag: str, required: bool, where: str) -> str:
    title = _line(text)
    if not title:
        raise ExportError(f"{where} has no text in this language")
    line = f"{number}. {title}{tag}{'' if required else OPTIONAL}"
    m = QUESTION_LINE.match(line)
    if m is None or m.group(2) != title or m.group(4) != tag[1:-1]:
        raise ExportError(  # pragma: no cover - defensive; the pattern accepts any text
            f"{where} ('{title}') cannot be written as a Wenjuanxing question header"
        )
    return line


def _matrix_body(labels: list[str], rows: list[str], where: str) -> list[str]:
    """The two documented matrix shapes; see the module docs for which is used."""
    cols = [_line(t) for t in labels]
    rows = [_check_line(_line(t), f"{where} row {i}") for i, t in enumerate(rows, 1)]
    for i, t in enumerate(cols, 1):
        _check_line(t, f"{where} scale label {i}")
    if len(cols) >= 3 and not any(_SPACE.search(t) for t in cols):
        return [" ".join(cols), *rows]
    out = ["行：", *(f"- {r}" for r in rows)]
    for i, t in enumerate(cols, 1):
        if t.startswith("- ") or _RANGE.match(t):
            raise ExportError(
                f"{where} scale label {i} ('{t}') would be read as a matrix row or a "
                "numeric range by the Wenjuanxing parser; reword it in the instrument"
            )
    return out + _options(cols, where)


def write(instrument: Instrument, lang: str | None = None) -> bytes:
    """Write the survey text.

    Parameters
    ----------
    instrument : Instrument
        The instrument to write.
    lang : str, optional
        The language to write (default: Chinese when the instrument has it, otherwise
        its first language).

    Returns
    -------
    bytes
        UTF-8 text, LF line ends, ending in a newline.

    Raises
    ------
    ExportError
        Text the Wenjuanxing parser would misread (see the module docs).
    """
    lang = lang or default_lang(instrument)
    title = _line(instrument.title[lang])
    if not title:
        raise ExportError("the instrument has no title in this language")
    out = [title]
    if instrument.description:
        lines = [_line(t) for t in instrument.description[lang].splitlines()]
        for t in lines:
            if QUESTION_LINE.match(t) or t == PAGE_BREAK:
                raise ExportError(
                    f"the description line '{t}' reads as a question header or page "
                    "break in the Wenjuanxing text format; reword it"
                )
        text = "\n".join(lines).strip()
        if text:
            out += ["", text]
    for q in questions(instrument):
        out.append("")
        if q.kind in ("choice", "text"):
            g = instrument.group(q.id)
            where = f"grouping question {g.id}"
            if q.kind == "text":
                out.append(_header(q.number, g.text[lang], "[填空题]", g.required, where))
                continue
            out.append(_header(q.number, g.text[lang], "[单选题]", g.required, where))
            out += _options([c.label[lang] for c in g.choices], where)
        elif q.kind == "matrix":
            c = instrument.construct(q.id)
            where = f"construct {c.id}"
            texts = [instrument.item(v).text[lang] if v in c.item_ids
                     else instrument.check(v).text[lang] for v in q.variables]
            out.append(_header(q.number, matrix_prompt(c, lang), "[矩阵量表题]", False, where))
            out += _matrix_body(list(instrument.scales[c.scale].labels[lang]), texts, where)
        else:
            chk = instrument.check(q.id)
            where = f"attention check {chk.id}"
            out.append(_header(q.number, chk.text[lang], "[单选题]", False, where))
            out += _options(list(instrument.scales[chk.scale].labels[lang]), where)
    return ("\n".join(out) + "\n").encode("utf-8")
