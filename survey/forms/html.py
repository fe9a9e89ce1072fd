"""A self-contained questionnaire page: filled in a browser, or printed and filled on paper.

One HTML file with its stylesheet and script inline; it makes no network request and
works from a ``file://`` URL, offline. Layout, top to bottom:

- a header with the title, the instrument id and version, a language switch (when the
  page carries more than one language), a print button and the ``respondent_id`` field;
- the description, then the grouping questions: choice questions as ``<select>``
  drop-downs, free-text questions (``lab``) as text inputs; required ones are marked ``*``;
- one section per construct, headed "Part n of N" and the matrix prompt: a table with one
  row per item and one column per scale point (code and label in the column head) of
  radio buttons. Construct names are not shown, so that section titles do not suggest
  answers (the codebook carries them). Attention checks sit as rows of the middle
  construct's table when they use its scale, otherwise as a one-row table of their own
  right after it (:func:`survey.forms.xlsform.check_slots`, as in the other forms);
- the download button.

**In a browser.** Every language's text is in the page; ``data-lang`` on ``<html>``
picks the one shown (CSS), and the switch changes it (JS, which also relabels the
drop-down options). ``#lang=zh`` in the URL opens the page in that language. The
respondent types the ``respondent_id`` they were given, or leaves it empty and gets a
random ``R-`` + 8 hex digits when downloading (shown in the field, so a second download
keeps it). On paper the field is an empty line for the researcher.

"Download answers" writes ``<instrument id>-<respondent_id>.csv`` in the template layout
that ``survey import`` reads: a header of ``instrument.columns`` in order and one row of
codes (scale points for items and checks, choice codes for grouping questions, the typed
text for free-text questions, blank when unanswered). UTF-8 with a byte-order mark (so
Excel opens Chinese text correctly), CRLF line ends, fields quoted as RFC 4180 says
(when they hold ``"``, ``,``, a line break or surrounding space); free text starting with
``= + - @``, tab or carriage return is prefixed with ``'`` so a spreadsheet does not run
it. Before downloading, the page checks the required answers (the grouping questions
marked required): when some are missing it lists them on the page,
outlines them, and asks whether to download anyway -- an incomplete file can still be
sent, and import reports what is missing. Statements left blank are allowed (the
instructions say so) and only counted in the message after the download.

**On paper.** The print stylesheet starts each construct on a new page, draws a box
for each answer (a ticked box where the browser form was already filled), lists the
choices of each grouping question as boxes instead of a drop-down, draws a line for
free text, and repeats the instrument id and version at the top of each section. It
prints the language currently shown.

All instrument text is escaped by jinja2's autoescape; the page's settings reach the
script as JSON through jinja2's ``tojson`` (which escapes ``<``, ``>``, ``&`` and ``'``).
With ``lang`` set, only that language's text is written and there is no switch.

The page's own words (buttons, messages) exist in English and Chinese; other languages
get the English ones (:data:`UI`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from survey.forms import FormSpec
from survey.forms.xlsform import LANGUAGES, MATRIX_PROMPT, check_slots

if TYPE_CHECKING:  # pragma: no cover
    from survey.instrument import Instrument

__all__ = ["FORMAT", "LANGUAGE_NAMES", "UI", "write"]

FORMAT = FormSpec(
    name="html",
    suffix=".html",
    label="Self-contained web and paper form; downloads answers as a template CSV",
    multilingual=True,
)

#: Names of languages as their speakers write them, for the language switch.
LANGUAGE_NAMES: dict[str, str] = {code: names[1] for code, names in LANGUAGES.items()}

#: The page's own words per language; languages missing here get the English ones.
UI: dict[str, dict[str, str]] = {
    "en": {
        "language": "Language",
        "print": "Print",
        "respondent_id": "Respondent ID",
        "respondent_hint": "Enter the ID the researcher gave you, or leave it empty: one "
                           "is made up when you download your answers.",
        "required": "required",
        "required_legend": "Questions marked * must be answered.",
        "about_you": "About you and your lab",
        "choose": "(choose one)",
        "part": "Part {n} of {total}",
        "tick": "Choose one answer per statement. On paper: tick one box per row.",
        "download": "Download answers (CSV)",
        "download_hint": "Saves your answers as a file on this computer. Send that file "
                         "to the researcher.",
        "missing": "Required answers missing:",
        "confirm": "Required answers are missing:",
        "confirm_tail": "Download the answers anyway?",
        "done": "Saved as {file}. Send this file to the researcher.",
        "blank": "{n} statements left blank.",
        "blank_one": "1 statement left blank.",
        "noscript": "This page needs JavaScript to save answers. Without it, print the "
                    "page and fill it in on paper.",
    },
    "zh": {
        "language": "语言",
        "print": "打印",
        "respondent_id": "受访者编号",
        "respondent_hint": "请填写研究人员给您的编号；如留空，下载答案时会自动生成一个。",
        "required": "必答",
        "required_legend": "标有 * 的问题必须回答。",
        "about_you": "关于您和您的实验室",
        "choose": "（请选择）",
        "part": "第 {n} 部分，共 {total} 部分",
        "tick": "每个陈述请选择一个答案。纸质填写：每行勾选一个方框。",
        "download": "下载答案（CSV）",
        "download_hint": "将您的答案保存为本机上的一个文件。请把该文件发送给研究人员。",
        "missing": "以下必答题尚未回答：",
        "confirm": "以下必答题尚未回答：",
        "confirm_tail": "仍要下载答案吗？",
        "done": "已保存为 {file}。请把此文件发送给研究人员。",
        "blank": "有 {n} 个陈述未作答。",
        "blank_one": "有 1 个陈述未作答。",
        "noscript": "本页面需要 JavaScript 才能保存答案。如无法使用，请打印本页并在纸上填写。",
    },
}


def _ui(langs: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """Key -> language -> text of the page's own words."""
    keys = UI["en"]
    return {k: {lang: UI.get(lang, UI["en"])[k] for lang in langs} for k in keys}


def _context(instrument: Instrument, langs: tuple[str, ...]) -> dict[str, Any]:
    """Everything the template shows, as plain dicts and lists."""
    ui = _ui(langs)
    prompt = {lang: MATRIX_PROMPT.get(lang, "") for lang in langs}
    slots = check_slots(instrument)
    blocks: list[dict[str, Any]] = []
    number = 0

    def scale_view(scale_id: str) -> dict[str, Any]:
        scale = instrument.scales[scale_id]
        return {
            "id": scale.id,
            "points": [
                {"code": p, "label": {lang: scale.labels[lang][k] for lang in langs}}
                for k, p in enumerate(scale.points)
            ],
        }

    for construct in instrument.constructs:
        number_rows = []
        for item in construct.items:
            number += 1
            number_rows.append({"id": item.id, "n": number, "text": item.text, "kind": "item"})
        blocks.append({"construct": construct.id, "scale": scale_view(construct.scale),
                       "rows": number_rows, "name": construct.name})
        own = []
        for chk in slots.get(construct.id, ()):
            number += 1
            row = {"id": chk.id, "n": number, "text": chk.text, "kind": "check"}
            if chk.scale == construct.scale:
                number_rows.append(row)
            else:
                own.append((chk, row))
        for chk, row in own:
            blocks.append({"construct": None, "scale": scale_view(chk.scale), "rows": [row],
                           "name": None})
    total = sum(1 for b in blocks if b["construct"] is not None)
    part = 0
    for b in blocks:
        if b["construct"] is not None:
            part += 1
        b["part"] = {lang: ui["part"][lang].format(n=part, total=total) for lang in langs}
        b["continued"] = b["construct"] is None
    groups = [
        {
            "id": g.id,
            "type": g.type,
            "required": g.required,
            "text": g.text,
            "choices": [{"code": c.code, "label": c.label} for c in g.choices],
        }
        for g in instrument.groups
    ]
    config = {
        "id": instrument.id,
        "version": instrument.version,
        "columns": list(instrument.columns),
        "required": [g.id for g in instrument.groups if g.required],
        "text": ["respondent_id", *(g.id for g in instrument.groups if g.type == "text")],
        "answers": [*instrument.item_ids, *instrument.check_ids],
        "langs": list(langs),
        "title": {lang: instrument.title[lang] for lang in langs},
        "ui": {k: ui[k] for k in ("confirm", "confirm_tail", "done", "blank", "blank_one")},
    }
    return {
        "instrument": instrument,
        "langs": langs,
        "lang0": langs[0],
        "lang_names": {lang: LANGUAGE_NAMES.get(lang, lang) for lang in langs},
        "ui": ui,
        "prompt": prompt,
        "description": instrument.description or None,
        "groups": groups,
        "blocks": blocks,
        "config": config,
    }


def write(instrument: Instrument, lang: str | None = None) -> bytes:
    """Render the questionnaire page as UTF-8 HTML.

    Parameters
    ----------
    instrument : Instrument
        The instrument to render.
    lang : str, optional
        Write only this language (no language switch); default: every language, the
        first one shown.

    Returns
    -------
    bytes

    Examples
    --------
    >>> from survey.instrument import load
    >>> page = write(load("lab-culture"), "zh").decode("utf-8")
    >>> page.startswith("<!DOCTYPE html>"), 'data-lang="zh"' in page
    (True, True)
    """
    import jinja2

    langs = (lang,) if lang else tuple(instrument.languages)
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("survey.forms", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    page = env.get_template("form.html.j2").render(**_context(instrument, langs))
    return page.encode("utf-8")
