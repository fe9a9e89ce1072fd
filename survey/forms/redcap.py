"""REDCap data dictionary (CSV), for Designer -> Data Dictionary -> Upload.

The 18 columns REDCap's own download has, with its exact headers, in its order. One
instrument (form) named after the instrument id (lower case, ``-`` and ``.`` become
``_``). Fields, in order:

- ``record_id`` (text), the record key REDCap requires as the first field;
- ``intro``, a ``descriptive`` field with the instrument's description (when it has one);
- one field per grouping question: ``radio`` for choice questions, ``text`` for
  free-text ones; ``Required Field?`` is ``y`` where the instrument says so;
- per construct, one ``radio`` field per item, all with the same ``Matrix Group Name``
  (the construct id) and the same choices, so REDCap shows them as one matrix; the
  first carries the construct's name as ``Section Header``. Items are not required
  (respondents may leave a statement blank). ``Field Annotation`` notes reverse keying;
- attention checks as ``radio`` fields after the middle construct's items, in its
  matrix when they use its scale.

Choices are ``code, label | code, label``. Items and checks keep their numeric scale
codes. Grouping questions' codes are words (``china``), which REDCap would accept, but
REDCap's own advice and most of its tools expect numbers, so they are coded 1..n in
declared order and :func:`choice_codes` maps them back. Field and matrix group names are
lower-cased (REDCap's rule: ``[a-z][a-z0-9_]*``).

REDCap holds one language per project, so ``-l`` picks it (default: the instrument's
first). Cells are quoted when they hold a space, comma, quote or line break, as
REDCap's own download does; text cells starting with ``= + - @`` are prefixed with
``'`` so that a spreadsheet does not run them.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from survey.errors import ExportError
from survey.forms import FormSpec
from survey.forms.xlsform import check_slots

if TYPE_CHECKING:  # pragma: no cover
    from survey.instrument import Instrument, Scale

__all__ = ["FORMAT", "HEADERS", "choice_codes", "write"]

FORMAT = FormSpec(
    name="redcap",
    suffix=".csv",
    label="REDCap data dictionary CSV (one language)",
    multilingual=False,
)

#: REDCap's data dictionary headers, exactly and in order (as the UI downloads them).
HEADERS = (
    "Variable / Field Name",
    "Form Name",
    "Section Header",
    "Field Type",
    "Field Label",
    "Choices, Calculations, OR Slider Labels",
    "Field Note",
    "Text Validation Type OR Show Slider Number",
    "Text Validation Min",
    "Text Validation Max",
    "Identifier?",
    "Branching Logic (Show field only if...)",
    "Required Field?",
    "Custom Alignment",
    "Question Number (surveys only)",
    "Matrix Group Name",
    "Matrix Ranking?",
    "Field Annotation",
)

_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def choice_codes(instrument: Instrument) -> dict[str, dict[str, str]]:
    """Raw REDCap code -> choice code for every grouping question with choices.

    Examples
    --------
    >>> from survey.instrument import load
    >>> choice_codes(load("lab-culture"))["student"]
    {'1': 'yes', '2': 'no'}
    """
    return {
        g.id: {str(n): c.code for n, c in enumerate(g.choices, 1)}
        for g in instrument.groups
        if g.type == "choice"
    }


def _cell(value: str) -> str:
    """One CSV cell, quoted like REDCap's download, formula prefixes neutralised."""
    from survey.outputs import neutralise

    value = neutralise(value)
    if any(ch in value for ch in ' ,"\n\r\t'):
        return '"' + value.replace('"', '""') + '"'
    return value


def _label(value: str) -> str:
    return " ".join(value.split())


def _choice_text(pairs: list[tuple[str, str]], where: str) -> str:
    parts = []
    for code, label in pairs:
        if "|" in label:
            raise ExportError(
                f"{where}: the label '{label}' contains '|', which REDCap uses to separate "
                "choices; remove it from the instrument text"
            )
        parts.append(f"{code}, {_label(label)}")
    return " | ".join(parts)


def _scale_choices(scale: Scale, lang: str) -> str:
    return _choice_text(
        [(str(p), scale.labels[lang][i]) for i, p in enumerate(scale.points)],
        f"scale {scale.id}",
    )


def write(instrument: Instrument, lang: str | None = None) -> bytes:
    """Write the data dictionary.

    Parameters
    ----------
    instrument : Instrument
        The instrument to write.
    lang : str, optional
        The language of labels (default: the instrument's first language).

    Returns
    -------
    bytes
        UTF-8 CSV, LF line ends, REDCap's header row first.
    """
    lang = lang or instrument.languages[0]
    form = re.sub(r"[^a-z0-9_]", "_", instrument.id.lower())
    rows: list[dict[str, str]] = []
    seen: dict[str, str] = {}

    def field(name: str, what: str, ftype: str, label: str, **extra: str) -> None:
        fname = name.lower()
        if not _NAME.match(fname):
            raise ExportError(f"{what} '{name}' is not a REDCap field name ([a-z][a-z0-9_]*)")
        if fname in seen:
            raise ExportError(
                f"REDCap field names must be unique (ignoring case), but {what} '{name}' "
                f"clashes with {seen[fname]}; rename one of them in the instrument"
            )
        seen[fname] = f"{what} '{name}'"
        row = {"Variable / Field Name": fname, "Form Name": form, "Field Type": ftype,
               "Field Label": label}
        row.update(extra)
        rows.append(row)

    field("record_id", "the record id", "text", "Record ID")
    if instrument.description:
        field("intro", "the introduction", "descriptive", _label(instrument.description[lang]))
    for g in instrument.groups:
        req = {"Required Field?": "y"} if g.required else {}
        if g.type == "choice":
            choices = _choice_text(
                [(str(n), c.label[lang]) for n, c in enumerate(g.choices, 1)],
                f"grouping question {g.id}",
            )
            field(g.id, "grouping question", "radio", _label(g.text[lang]),
                  **{"Choices, Calculations, OR Slider Labels": choices}, **req)
        else:
            field(g.id, "grouping question", "text", _label(g.text[lang]), **req)

    slots = check_slots(instrument)
    for c in instrument.constructs:
        matrix = c.id.lower()
        choices = _scale_choices(instrument.scales[c.scale], lang)
        for k, item in enumerate(c.items):
            extra = {"Choices, Calculations, OR Slider Labels": choices,
                     "Matrix Group Name": matrix}
            if k == 0:
                extra["Section Header"] = _label(c.name[lang])
            if item.reverse:
                extra["Field Annotation"] = "reverse-keyed"
            field(item.id, "item", "radio", _label(item.text[lang]), **extra)
        for chk in slots.get(c.id, ()):
            extra = {
                "Choices, Calculations, OR Slider Labels":
                    _scale_choices(instrument.scales[chk.scale], lang),
                "Field Annotation": f"attention check; expected answer {chk.expect}",
            }
            if chk.scale == c.scale:
                extra["Matrix Group Name"] = matrix
            field(chk.id, "attention check", "radio", _label(chk.text[lang]), **extra)

    lines = [",".join(_cell(h) for h in HEADERS)]
    for row in rows:
        lines.append(",".join(_cell(row.get(h, "")) for h in HEADERS))
    return ("\n".join(lines) + "\n").encode("utf-8")
