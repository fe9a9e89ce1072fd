"""Qualtrics Advanced Format TXT, for Survey -> Tools -> Import/Export -> Import survey.

The file starts with ``[[AdvancedFormat]]``. Then come:

- a block ``background``: the instrument's description as a descriptive-text question
  (``[[Question:DB]]``, id ``intro``) and a ``[[PageBreak]]``, then one question per
  grouping question: ``[[Question:MC:SingleAnswer:Vertical]]`` with
  ``[[AdvancedChoices]]`` for choice questions, ``[[Question:TE:SingleLine]]`` for
  free-text ones;
- one block per construct (``[[Block:<construct id>]]``) holding one
  ``[[Question:Matrix]]``: the statements (items) under ``[[Choices]]`` and the scale
  points under ``[[AdvancedAnswers]]`` as ``[[Answer:<code>]]``, so recode values equal
  the scale codes;
- attention checks as ``[[Question:MC:SingleAnswer:Horizontal]]`` questions with
  ``[[Choice:<code>]]`` recodes, in the block of the middle construct.

Every question carries ``[[ID:<id>]]`` so exports name its column after the instrument:
grouping questions and checks export as their id; matrix statements export as
``<construct id>_<n>`` (Qualtrics numbers a matrix's statements from 1), mapped back by
:func:`item_columns`. Qualtrics recode values are numbers, so choice questions recode
their choices 1..n in declared order (:func:`choice_codes` maps them back). Question
text is HTML in Qualtrics, so ``&``, ``<`` and ``>`` are escaped.

The format holds one language (translations cannot be imported from TXT), so ``-l``
picks it; the default is the instrument's first language. Required answers ("force
response") cannot be set in the TXT format and must be switched on after import for
the grouping questions the instrument marks as required.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from survey.errors import ExportError
from survey.forms import FormSpec
from survey.forms.xlsform import check_slots, matrix_prompt

if TYPE_CHECKING:  # pragma: no cover
    from survey.instrument import Instrument, Scale

__all__ = ["FORMAT", "choice_codes", "item_columns", "write"]

FORMAT = FormSpec(
    name="qualtrics",
    suffix=".txt",
    label="Qualtrics Advanced Format TXT survey (one language)",
    multilingual=False,
)


def choice_codes(instrument: Instrument) -> dict[str, dict[str, str]]:
    """Recode value -> choice code for every choice question.

    Examples
    --------
    >>> from survey.instrument import load
    >>> choice_codes(load("lab-culture"))["lab_region"]
    {'1': 'china', '2': 'united_states', '3': 'other'}
    """
    return {
        g.id: {str(n): c.code for n, c in enumerate(g.choices, 1)}
        for g in instrument.groups
        if g.type == "choice"
    }


def item_columns(instrument: Instrument) -> dict[str, str]:
    """Export column -> item id for the matrix statements (``self_promotion_1`` -> ``sp1``).

    Examples
    --------
    >>> from survey.instrument import load
    >>> item_columns(load("lab-culture"))["self_promotion_2"]
    'sp2'
    """
    return {
        f"{c.id}_{n}": item.id for c in instrument.constructs for n, item in enumerate(c.items, 1)
    }


def _text(value: str, where: str, multiline: bool = True) -> str:
    """HTML-escape one text; refuse text that would read as a tag."""
    if "[[" in value:
        raise ExportError(
            f"{where} contains '[[', which the Qualtrics Advanced Format reads as a tag; "
            "remove it from the instrument text"
        )
    out = html.escape(value.strip(), quote=False)
    if multiline:
        return out.replace("\r\n", "\n").replace("\n", "<br>")
    return " ".join(out.split())


def _answers(scale: Scale, lang: str, tag: str) -> list[str]:
    out = [f"[[Advanced{tag}s]]"]
    for i, p in enumerate(scale.points):
        out.append(f"[[{tag}:{p}]]")
        out.append(_text(scale.labels[lang][i], f"scale {scale.id} label {p}"))
    return out


def write(instrument: Instrument, lang: str | None = None) -> bytes:
    """Write the Advanced Format TXT file.

    Parameters
    ----------
    instrument : Instrument
        The instrument to write.
    lang : str, optional
        The language to write (default: the instrument's first language).

    Returns
    -------
    bytes
        UTF-8 text, LF line ends.
    """
    lang = lang or instrument.languages[0]
    out: list[str] = ["[[AdvancedFormat]]", "", "[[Block:background]]", ""]
    if instrument.description:
        out += ["[[Question:DB]]", "[[ID:intro]]",
                _text(instrument.description[lang], "description"), "", "[[PageBreak]]", ""]
    for g in instrument.groups:
        where = f"grouping question {g.id}"
        if g.type == "choice":
            out += ["[[Question:MC:SingleAnswer:Vertical]]", f"[[ID:{g.id}]]",
                    _text(g.text[lang], where), "[[AdvancedChoices]]"]
            for n, c in enumerate(g.choices, 1):
                out += [f"[[Choice:{n}]]", _text(c.label[lang], f"{where} choice {c.code}")]
        else:
            out += ["[[Question:TE:SingleLine]]", f"[[ID:{g.id}]]", _text(g.text[lang], where)]
        out.append("")

    slots = check_slots(instrument)
    for c in instrument.constructs:
        scale = instrument.scales[c.scale]
        out += [f"[[Block:{c.id}]]", "", "[[Question:Matrix]]", f"[[ID:{c.id}]]",
                _text(matrix_prompt(c, lang), f"construct {c.id}"), "[[Choices]]"]
        out += [_text(item.text[lang], f"item {item.id}", multiline=False) for item in c.items]
        out += _answers(scale, lang, "Answer")
        out.append("")
        for chk in slots.get(c.id, ()):
            out += ["[[Question:MC:SingleAnswer:Horizontal]]", f"[[ID:{chk.id}]]",
                    _text(chk.text[lang], f"attention check {chk.id}")]
            out += _answers(instrument.scales[chk.scale], lang, "Choice")
            out.append("")
    return "\n".join(out).encode("utf-8")
