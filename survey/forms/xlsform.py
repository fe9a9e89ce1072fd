"""XLSForm for KoboToolbox, ODK and SurveyCTO: ``survey``, ``choices`` and ``settings`` sheets.

Layout of the ``survey`` sheet:

- a ``note`` named ``intro`` with the instrument's description (when it has one);
- one question per grouping question: ``select_one <group id>`` for choice questions,
  ``text`` for free-text ones; ``required`` is ``yes`` where the instrument says so;
- one ``begin_group``/``end_group`` per construct, named after the construct, labelled
  with its name, with ``appearance`` ``field-list`` (one screen). Its first row is a
  ``select_one <scale>`` named ``<construct>_scale`` with ``appearance`` ``label`` and the
  prompt as its label: it shows the scale labels as column heads. Then come the items,
  one ``select_one <scale>`` each, named after the item, with ``appearance``
  ``list-nolabel`` (radio buttons only). This is the grid pattern the ODK documentation
  gives for Likert matrices; ODK Collect and Enketo (the web client of KoboToolbox and
  ODK Central) both render it as a table. ``table-list`` is a shortcut for the same
  thing, but pyxform expands it into two generated questions per group whose names
  carry a row counter (``reserved_name_for_field_list_labels_10``), so they would move
  whenever the form changes; the explicit label row has a stable name and carries the
  prompt. The label row is never answered, so its export column stays empty and the
  response readers ignore it;
- attention checks sit inside the grid of the middle construct (see :func:`check_slots`)
  when they use its scale, otherwise right after it with ``appearance`` ``likert``.

Items are not required: the instrument tells respondents they may leave a statement
blank. No ``respondent_id`` question is written: every platform that reads XLSForms
keys submissions itself (KoboToolbox ``_id``/``_uuid``, ODK Central ``KEY`` /
``meta/instanceID``), and the response readers take the respondent key from there.

Labels are in ``label::English (en)``/``label::Chinese (zh)`` columns (the code in
parentheses is the language code clients use); ``settings`` gives ``form_title``,
``form_id`` (the instrument id with ``-`` replaced by ``_``), ``version`` and
``default_language``. With ``lang`` set only that language's column is written.

This module also holds the small layout rules that the other platform writers share
(language names, where attention checks go, the matrix prompt).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from survey.errors import ExportError
from survey.forms import FormSpec

if TYPE_CHECKING:  # pragma: no cover
    from survey.instrument import Check, Construct, Instrument

__all__ = [
    "FORMAT",
    "LANGUAGES",
    "LANGUAGE_NAMES",
    "MATRIX_PROMPT",
    "check_slots",
    "language_label",
    "matrix_prompt",
    "write",
]

FORMAT = FormSpec(
    name="xlsform",
    suffix=".xlsx",
    label="XLSForm for KoboToolbox, ODK and SurveyCTO (both languages)",
)

#: Language code -> (English name, the name its speakers use). The one table of language
#: names: XLSForm headers use the English name, the HTML form's switch the own name.
LANGUAGES: dict[str, tuple[str, str]] = {
    "en": ("English", "English"),
    "zh": ("Chinese", "中文"),
    "de": ("German", "Deutsch"),
    "es": ("Spanish", "Español"),
    "fr": ("French", "Français"),
    "ja": ("Japanese", "日本語"),
    "ko": ("Korean", "한국어"),
    "nl": ("Dutch", "Nederlands"),
    "pt": ("Portuguese", "Português"),
    "ru": ("Russian", "Русский"),
}

#: English names of language codes, used in ``label::Name (code)`` headers.
LANGUAGE_NAMES: dict[str, str] = {code: names[0] for code, names in LANGUAGES.items()}

#: The question put to respondents above each construct's grid, per language.
MATRIX_PROMPT: dict[str, str] = {
    "en": "How much do you agree with each statement?",
    "zh": "您在多大程度上同意以下各项说法？",
}


def language_label(code: str) -> str:
    """XLSForm language name for a code: ``English (en)``; unknown codes name themselves.

    Examples
    --------
    >>> language_label("zh"), language_label("xx")
    ('Chinese (zh)', 'xx (xx)')
    """
    return f"{LANGUAGE_NAMES.get(code, code)} ({code})"


def matrix_prompt(construct: Construct, lang: str) -> str:
    """Question text above a construct's grid: the prompt, or the construct's name.

    Languages without a prompt in :data:`MATRIX_PROMPT` get the construct's name, which
    every instrument gives in all its languages, rather than text in another language.

    Parameters
    ----------
    construct : Construct
        The construct whose items form the grid.
    lang : str
        A language of the instrument.

    Returns
    -------
    str
    """
    return MATRIX_PROMPT.get(lang) or construct.name[lang]


def check_slots(instrument: Instrument) -> dict[str, tuple[Check, ...]]:
    """Where attention checks go: construct id -> the checks placed right after its items.

    All checks follow the middle construct (index ``(n - 1) // 2``), so that they are
    neither the first nor the last thing a respondent sees.

    Examples
    --------
    >>> from survey.instrument import load
    >>> inst = load("lab-culture")
    >>> {k: [c.id for c in v] for k, v in check_slots(inst).items()}
    {'open_weights': ['attn1']}
    """
    if not instrument.checks:
        return {}
    middle = instrument.constructs[(len(instrument.constructs) - 1) // 2]
    return {middle.id: tuple(instrument.checks)}


def _claim(name: str, what: str, seen: dict[str, str]) -> None:
    if name in seen:
        raise ExportError(
            f"XLSForm names must be unique, but {what} '{name}' has the same name as "
            f"{seen[name]}; rename one of them in the instrument"
        )
    seen[name] = f"{what} '{name}'"


def write(instrument: Instrument, lang: str | None = None) -> bytes:
    """Write the XLSForm workbook.

    Parameters
    ----------
    instrument : Instrument
        The instrument to write.
    lang : str, optional
        Write only this language's label column (default: every language).

    Returns
    -------
    bytes
        An .xlsx file that ``pyxform`` converts without warnings.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from survey.outputs import neutralise, workbook_bytes

    langs = (lang,) if lang else instrument.languages
    label_cols = [f"label::{language_label(x)}" for x in langs]

    def labels(mapping) -> list[str]:
        return [mapping[x] for x in langs]

    seen: dict[str, str] = {}
    survey: list[list] = []

    def row(qtype: str, name: str, texts: list[str], required: bool = False,
            appearance: str = "") -> None:
        survey.append([qtype, name, *texts, "yes" if required else "", appearance])

    if instrument.description:
        _claim("intro", "the introduction note", seen)
        row("note", "intro", labels(instrument.description))

    # choice lists: one per scale, one per choice question
    lists: dict[str, list[tuple[str, list[str]]]] = {}
    for sid, scale in instrument.scales.items():
        lists[sid] = [
            (str(p), [scale.labels[x][i] for x in langs]) for i, p in enumerate(scale.points)
        ]
    group_lists: dict[str, str] = {}
    for g in instrument.groups:
        if g.type != "choice":
            continue
        list_name = g.id if g.id not in lists else f"{g.id}_choices"
        group_lists[g.id] = list_name
        lists[list_name] = [(c.code, labels(c.label)) for c in g.choices]

    for g in instrument.groups:
        _claim(g.id, "grouping question", seen)
        qtype = f"select_one {group_lists[g.id]}" if g.type == "choice" else "text"
        row(qtype, g.id, labels(g.text), required=g.required)

    slots = check_slots(instrument)
    for c in instrument.constructs:
        _claim(c.id, "construct", seen)
        row("begin_group", c.id, labels(c.name), appearance="field-list")
        header = f"{c.id}_scale"
        _claim(header, "label row", seen)
        row(f"select_one {c.scale}", header, [matrix_prompt(c, x) for x in langs],
            appearance="label")
        for item in c.items:
            _claim(item.id, "item", seen)
            row(f"select_one {c.scale}", item.id, labels(item.text), appearance="list-nolabel")
        after = []
        for chk in slots.get(c.id, ()):
            _claim(chk.id, "attention check", seen)
            if chk.scale == c.scale:
                row(f"select_one {chk.scale}", chk.id, labels(chk.text),
                    appearance="list-nolabel")
            else:
                after.append(chk)
        row("end_group", "", ["" for _ in langs])
        for chk in after:
            row(f"select_one {chk.scale}", chk.id, labels(chk.text), appearance="likert")

    wb = Workbook()
    bold = Font(bold=True)
    ws = wb.active
    ws.title = "survey"
    ws.append(["type", "name", *label_cols, "required", "appearance"])
    for r in survey:
        ws.append([neutralise(v) if v != "" else None for v in r])

    ch = wb.create_sheet("choices")
    ch.append(["list_name", "name", *label_cols])
    for list_name, entries in lists.items():
        for name, texts in entries:
            ch.append([list_name, name, *[neutralise(t) for t in texts]])

    st = wb.create_sheet("settings")
    st.append(["form_title", "form_id", "version", "default_language"])
    st.append([
        neutralise(instrument.title[langs[0]]),
        instrument.id.replace("-", "_").replace(".", "_"),
        instrument.version,
        language_label(langs[0]),
    ])

    for sheet in (ws, ch, st):
        sheet.freeze_panes = "A2"
        for cell in sheet[1]:
            cell.font = bold
        for col, width in zip("ABCDEFG", (18, 22, 60, 60, 10, 12, 12), strict=False):
            sheet.column_dimensions[col].width = width
    return workbook_bytes(wb)
