"""Answers in the template layout written as each platform's export lays them out.

``survey simulate --layout PLATFORM`` uses these writers, so a researcher can dry-run
the import and the report on a file shaped like the one the platform they field on will
give back; the tests use them for round trips through every reader. Each layout is what
the platform exports for the form ``survey export -f <format>`` makes (the column names,
header rows, codes and metadata columns the platform adds):

==============  =================================================================  ===========
layout          what is written                                                    files
==============  =================================================================  ===========
``template``    ``respondent_id``, the grouping questions, items and checks         .csv .xlsx
``kobo``        KoboToolbox "XML values and headers" (or a label export)           .csv .xlsx
``qualtrics``   three header rows (tags, question text, ImportId), numeric values  .csv
``limesurvey``  "Question code" headings, answer codes, timings                    .csv
``redcap``      "CSV raw data" (or labels) of the form, ``<form>_complete`` = 2     .csv
``wjx``         Wenjuanxing download by option number (or option text)            .csv .xlsx
==============  =================================================================  ===========

With ``lang`` set, answers are written as labels in that language (a label or text
export) and, where the platform does so, question text in that language heads the
columns (for Wenjuanxing: the download of the form exported with ``-l lang``).

The platform's own record id carries the respondent id (``SIM-00001`` for simulated
data): Qualtrics ``ResponseId``, LimeSurvey ``id``, REDCap ``record_id``, Wenjuanxing
``序号``; KoboToolbox gets a ``respondent_id`` column as if the researcher had pre-filled
it. Times and durations are made up from the row number (no clock is read), so the same
answers give the same bytes on every run. Text cells a spreadsheet would run as a
formula are neutralised.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from survey.errors import SurveyError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from survey.instrument import Instrument

__all__ = [
    "LAYOUTS",
    "WJX_NAMINGS",
    "Layout",
    "kobo_layout",
    "limesurvey_layout",
    "qualtrics_layout",
    "redcap_layout",
    "wjx_layout",
    "wjx_rows",
    "write_layout",
]

_BASE = dt.datetime(2025, 3, 3, 9, 0, 0)

QUALTRICS_META = (
    ("StartDate", "Start Date", "startDate"),
    ("EndDate", "End Date", "endDate"),
    ("Status", "Response Type", "status"),
    ("IPAddress", "IP Address", "ipAddress"),
    ("Progress", "Progress", "progress"),
    ("Duration (in seconds)", "Duration (in seconds)", "duration"),
    ("Finished", "Finished", "finished"),
    ("RecordedDate", "Recorded Date", "recordedDate"),
    ("ResponseId", "Response ID", "_recordId"),
    ("RecipientLastName", "Recipient Last Name", "recipientLastName"),
    ("RecipientFirstName", "Recipient First Name", "recipientFirstName"),
    ("RecipientEmail", "Recipient Email", "recipientEmail"),
    ("ExternalReference", "External Data Reference", "externalDataReference"),
    ("LocationLatitude", "Location Latitude", "locationLatitude"),
    ("LocationLongitude", "Location Longitude", "locationLongitude"),
    ("DistributionChannel", "Distribution Channel", "distributionChannel"),
    ("UserLanguage", "User Language", "userLanguage"),
)


@dataclass(frozen=True)
class Layout:
    """One response layout that :func:`write_layout` can write.

    Attributes
    ----------
    name : str
        The platform name (a key of :data:`survey.responses.PLATFORMS`).
    label : str
        One line for ``survey simulate --help``.
    suffixes : tuple of str
        The file types it writes.
    """

    name: str
    label: str
    suffixes: tuple[str, ...]


#: Layout name -> what it writes; the order of ``survey simulate --help``.
LAYOUTS: dict[str, Layout] = {
    "template": Layout("template", "the template layout (respondent_id, groups, items)",
                       (".xlsx", ".csv")),
    "kobo": Layout("kobo", "KoboToolbox / ODK export of the XLSForm", (".csv", ".xlsx")),
    "qualtrics": Layout("qualtrics", "Qualtrics CSV export (three header rows)", (".csv",)),
    "limesurvey": Layout("limesurvey", "LimeSurvey CSV export (question codes)", (".csv",)),
    "redcap": Layout("redcap", "REDCap record export (CSV raw data)", (".csv",)),
    "wjx": Layout("wjx", "Wenjuanxing (问卷星) download", (".csv", ".xlsx")),
}


def _missing(v: object) -> bool:
    import pandas as pd

    return v is None or v is pd.NA or (not isinstance(v, str) and bool(pd.isna(v)))


def _cell(v: object) -> str:
    from survey.outputs import neutralise

    if _missing(v):
        return ""
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(neutralise(str(v)))


def _csv(rows: Sequence[Sequence[object]], *, bom: bool = False, quote_all: bool = False,
         encoding: str = "utf-8") -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n",
                   quoting=csv.QUOTE_ALL if quote_all else csv.QUOTE_MINIMAL)
    w.writerows([[_cell(v) for v in r] for r in rows])
    return ("\ufeff" if bom else "").encode(encoding) + buf.getvalue().encode(encoding)


def _xlsx(rows: Sequence[Sequence[object]], sheet: str,
          about: Sequence[tuple[str, str]] | None = None) -> bytes:
    from openpyxl import Workbook

    from survey.outputs import add_about_sheet, neutralise, workbook_bytes

    wb = Workbook()
    ws = wb.active
    ws.title = sheet[:31]
    for r in rows:
        ws.append([None if _missing(v) else (neutralise(v) if isinstance(v, str) else v)
                   for v in r])
    if about:
        add_about_sheet(wb, about)
    return workbook_bytes(wb)


def _times(i: int) -> tuple[dt.datetime, dt.datetime, int]:
    """Start, end and seconds of the i-th response (made up from i)."""
    start = _BASE + dt.timedelta(minutes=7 * i)
    seconds = 240 + (i * 97) % 600
    return start, start + dt.timedelta(seconds=seconds), seconds


def _fmt(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S")


def _flow(instrument: Instrument) -> list[tuple[str, object]]:
    """The questions in the order the forms put them: groups, constructs with checks."""
    from survey.forms.xlsform import check_slots

    slots = check_slots(instrument)
    out: list[tuple[str, object]] = [("group", g) for g in instrument.groups]
    for c in instrument.constructs:
        out.append(("construct", c))
        out.extend(("check", chk) for chk in slots.get(c.id, ()))
    return out


def _group_value(instrument: Instrument, gid: str, v: object, codes: dict | None,
                 lang: str | None) -> str:
    if _missing(v):
        return ""
    g = instrument.group(gid)
    if g.type != "choice":
        return _cell(v)
    if lang is not None:
        return g.label(str(v), lang)
    if codes is None:
        return str(v)
    back = {code: key for key, code in codes[gid].items()}
    return back[str(v)]


def _answer(instrument: Instrument, var: str, v: object, lang: str | None) -> str:
    if _missing(v):
        return ""
    if lang is not None:
        return instrument.scale_of(var).label(int(v), lang)
    return str(int(v))


# ---- Qualtrics -------------------------------------------------------------------------------

def kobo_layout(
    frame: pd.DataFrame,
    instrument: Instrument,
    *,
    lang: str | None = None,
    suffix: str = ".csv",
) -> bytes:
    """Template-layout answers as KoboToolbox exports them (for simulate, tests, samples).

    The columns follow the form ``survey export -f xlsform`` writes, as KoboToolbox's
    exporter lays them out: ``start``, ``end``, then ``respondent_id`` (as a text
    question the researcher pre-fills; our form itself has none, and a real export then
    keys respondents by ``_id``), the grouping questions, one group per construct
    (its never-answered label row ``<construct>_scale``, its items, and the attention
    checks in the middle construct), then the metadata KoboToolbox appends (``_id``,
    ``_uuid``, ``_submission_time``, ``_validation_status``, ``_notes``, ``_status``,
    ``_submitted_by``, ``__version__``, ``_tags``, ``_index``).

    Parameters
    ----------
    frame : pandas.DataFrame
        Answers in the template layout (``ResponseSet.data`` or ``survey simulate``).
    instrument : Instrument
        The instrument.
    lang : str, optional
        None: "XML values and headers" (names with group paths, codes). A language:
        a label export in that language (question labels as headers, without groups,
        choice labels as values).
    suffix : str
        ``.csv`` (``;``-separated, every cell quoted, CRLF, UTF-8, as KoboToolbox
        writes it) or ``.xlsx`` (one sheet named after the form title, 31 characters).

    Returns
    -------
    bytes
        The same bytes for the same input: times and uuids are derived from the row
        position and respondent id, never from the clock.
    """
    import uuid

    from survey.forms.xlsform import check_slots
    from survey.outputs import neutralise

    slots = check_slots(instrument)
    cols: list[tuple[str, str, str]] = []  # (xml header, label header, variable or "")
    cols.append(("start", "start", ""))
    cols.append(("end", "end", ""))
    cols.append(("respondent_id", "respondent_id", "respondent_id"))
    for g in instrument.groups:
        cols.append((g.id, g.text.get(lang or "", g.id), g.id))
    for c in instrument.constructs:
        cols.append((f"{c.id}/{c.id}_scale", f"{c.id}_scale", ""))
        for it in c.items:
            cols.append((f"{c.id}/{it.id}", it.text.get(lang or "", it.id), it.id))
        for chk in slots.get(c.id, ()):
            cols.append((f"{c.id}/{chk.id}", chk.text.get(lang or "", chk.id), chk.id))
    meta_names = ["_id", "_uuid", "_submission_time", "_validation_status", "_notes",
                  "_status", "_submitted_by", "__version__", "_tags", "_index"]
    header = [x if lang is None else lab for x, lab, _ in cols] + meta_names

    base = dt.datetime(2024, 3, 4, 9, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    rows: list[list[str]] = []
    for i, rec in enumerate(frame.to_dict("records")):
        rid = str(rec["respondent_id"])
        start = base + dt.timedelta(minutes=7 * i, milliseconds=(i * 137) % 1000)
        end = start + dt.timedelta(seconds=240 + (i * 37) % 600)
        row = [start.isoformat(timespec="milliseconds"), end.isoformat(timespec="milliseconds")]
        for _, _, var in cols[2:]:
            row.append(_kobo_value(rec.get(var), var, instrument, lang) if var else "")
        row.extend([
            str(i + 1),
            str(uuid.uuid5(uuid.NAMESPACE_URL, f"lab-culture-survey/{rid}")),
            (end.astimezone(dt.UTC) + dt.timedelta(seconds=20)).strftime("%Y-%m-%dT%H:%M:%S"),
            "", "", "submitted_via_web", "", "v1", "", str(i + 1),
        ])
        rows.append([str(neutralise(v)) for v in row])

    if suffix == ".csv":
        buf = io.StringIO()
        w = csv.writer(buf, delimiter=";", quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        w.writerow(header)
        w.writerows(rows)
        return buf.getvalue().encode("utf-8")
    if suffix == ".xlsx":
        from openpyxl import Workbook

        from survey.outputs import workbook_bytes

        wb = Workbook()
        ws = wb.active
        ws.title = instrument.text(instrument.title)[:31]
        ws.append(header)
        for row in rows:
            ws.append([None if v == "" else (int(v) if h in ("_id", "_index") else v)
                       for h, v in zip(header, row, strict=True)])
        return workbook_bytes(wb)
    raise ValueError(f"suffix must be .csv or .xlsx, got {suffix!r}")


def _kobo_value(value: object, var: str, instrument: Instrument, lang: str | None) -> str:
    import pandas as pd

    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if var == "respondent_id":
        return str(value)
    if var in instrument.group_ids:
        g = instrument.group(var)
        if g.type == "choice" and lang is not None:
            return g.label(str(value), lang)
        return str(value)
    code = int(value)
    if lang is not None:
        return instrument.scale_of(var).label(code, lang)
    return str(code)


def qualtrics_layout(data: pd.DataFrame, instrument: Instrument, *, labels: bool = False,
                     lang: str = "en") -> bytes:
    """A Qualtrics CSV export: three header rows, numeric values (or choice text).

    Parameters
    ----------
    data : pandas.DataFrame
        Answers in the template layout.
    instrument : Instrument
        The instrument of the survey (``survey export -f qualtrics``).
    labels : bool
        Write choice text in ``lang`` instead of numeric values.
    lang : str
        Language of the question text row (and of the labels).

    Returns
    -------
    bytes
        UTF-8 CSV with a byte-order mark, CRLF line ends.
    """
    import json

    from survey.forms.qualtrics import choice_codes, item_columns
    from survey.forms.xlsform import matrix_prompt

    names = [m[0] for m in QUALTRICS_META]
    texts = [m[1] for m in QUALTRICS_META]
    ids = [m[2] for m in QUALTRICS_META]
    cols: list[tuple[str, str]] = []  # (kind, variable)
    tag_of = {v: k for k, v in item_columns(instrument).items()}
    qid = 0
    for kind, thing in _flow(instrument):
        qid += 1
        if kind == "construct":
            prompt = matrix_prompt(thing, lang)
            for n, item in enumerate(thing.items, 1):
                names.append(tag_of[item.id])
                texts.append(f"{prompt} - {item.text[lang]}")
                ids.append(f"QID{qid}_{n}")
                cols.append(("item", item.id))
        else:
            names.append(thing.id)
            texts.append(thing.text[lang])
            text_entry = kind == "group" and thing.type == "text"
            ids.append(f"QID{qid}_TEXT" if text_entry else f"QID{qid}")
            cols.append((kind, thing.id))
    rows: list[list[object]] = [
        names, texts, [json.dumps({"ImportId": i}, separators=(",", ":")) for i in ids]]
    codes = choice_codes(instrument)
    shown = lang if labels else None
    for i, rec in enumerate(data.to_dict("records")):
        start, end, seconds = _times(i)
        row: list[object] = [_fmt(start), _fmt(end), "0", "", "100", str(seconds), "1",
                             _fmt(end), _cell(rec["respondent_id"]), "", "", "", "", "",
                             "", "anonymous", lang.upper()]
        for kind, var in cols:
            if kind == "group":
                row.append(_group_value(instrument, var, rec[var], codes, shown))
            else:
                row.append(_answer(instrument, var, rec[var], shown))
        rows.append(row)
    return _csv(rows, bom=True)


# ---- LimeSurvey ------------------------------------------------------------------------------

def limesurvey_layout(data: pd.DataFrame, instrument: Instrument, *, labels: bool = False,
                      lang: str = "en") -> bytes:
    """A LimeSurvey CSV export with "Question code" headings and answer codes (or full
    answers in ``lang``), timings on.

    Returns
    -------
    bytes
        UTF-8 CSV with a byte-order mark, every cell quoted, CRLF line ends.
    """
    from survey.forms.limesurvey import answer_codes, question_codes

    code_of = {v: k for k, v in question_codes(instrument).items()
               if v in set(instrument.columns) or v in {c.id for c in instrument.constructs}}
    sub_of = {v: k for k, v in question_codes(instrument).items()
              if v in set(instrument.item_ids)}
    header = ["id", "submitdate", "lastpage", "startlanguage", "seed", "startdate",
              "datestamp"]
    cols: list[tuple[str, str]] = []
    for kind, thing in _flow(instrument):
        if kind == "construct":
            for item in thing.items:
                header.append(f"{code_of[thing.id]}[{sub_of[item.id]}]")
                cols.append(("item", item.id))
        else:
            header.append(code_of[thing.id])
            cols.append((kind, thing.id))
    header.append("interviewtime")
    codes = answer_codes(instrument)
    shown = lang if labels else None
    pages = 1 + len(instrument.constructs)
    rows: list[list[object]] = [header]
    for i, rec in enumerate(data.to_dict("records")):
        start, end, seconds = _times(i)
        row: list[object] = [_cell(rec["respondent_id"]), _fmt(end), str(pages), lang,
                             str(1000003 + 7919 * i), _fmt(start), _fmt(end)]
        for kind, var in cols:
            if kind == "group":
                row.append(_group_value(instrument, var, rec[var], codes, shown))
            else:
                row.append(_answer(instrument, var, rec[var], shown))
        row.append(f"{seconds}.0")
        rows.append(row)
    return _csv(rows, bom=True, quote_all=True)


# ---- REDCap ----------------------------------------------------------------------------------

def redcap_layout(data: pd.DataFrame, instrument: Instrument, *, labels: bool = False,
                  lang: str = "en") -> bytes:
    """A REDCap record export of a survey: raw data (or labels in ``lang``) of the one
    form.

    Returns
    -------
    bytes
        UTF-8 CSV without a byte-order mark, CRLF line ends.
    """
    from survey.forms.redcap import choice_codes

    form = instrument.id.lower().replace("-", "_").replace(".", "_")
    if labels:
        header = ["Record ID", "Survey Identifier", "Survey Timestamp"]
    else:
        header = ["record_id", "redcap_survey_identifier", f"{form}_timestamp"]
    cols: list[tuple[str, str]] = []
    for kind, thing in _flow(instrument):
        if kind == "construct":
            for item in thing.items:
                header.append(" ".join(item.text[lang].split()) if labels else item.id.lower())
                cols.append(("item", item.id))
        else:
            header.append(" ".join(thing.text[lang].split()) if labels else thing.id.lower())
            cols.append((kind, thing.id))
    header.append("Complete?" if labels else f"{form}_complete")
    codes = choice_codes(instrument)
    shown = lang if labels else None
    rows: list[list[object]] = [header]
    for i, rec in enumerate(data.to_dict("records")):
        _, end, _ = _times(i)
        row: list[object] = [_cell(rec["respondent_id"]), "", _fmt(end)]
        for kind, var in cols:
            if kind == "group":
                row.append(_group_value(instrument, var, rec[var], codes, shown))
            else:
                row.append(_answer(instrument, var, rec[var], shown))
        row.append("Complete" if labels else "2")
        rows.append(row)
    return _csv(rows)


# ---- Wenjuanxing -----------------------------------------------------------------------------

#: The column namings of matrix rows seen in Wenjuanxing downloads.
WJX_NAMINGS = ("第N题(row)", "N(row)", "N、title—row")
#: The metadata columns a Wenjuanxing download starts with.
WJX_META = ("序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP")


def wjx_rows(data: pd.DataFrame, instrument: Instrument, *, answers: str = "numbers",
             lang: str | None = None, naming: str = "第N题(row)",
             form_lang: str | None = None) -> list[list[object]]:
    """The header and rows of a Wenjuanxing download of the form ``survey export -f wjx``.

    Parameters
    ----------
    data : pandas.DataFrame
        Answers in the template layout.
    instrument : Instrument
        The instrument the form was made from.
    answers : str
        ``numbers`` (按选项序号: the option's position), ``scores`` (按分数: the
        column's default score, its position) or ``text`` (按选项文本: the label in
        ``lang``, or in the form's language).
    lang : str, optional
        Language of the labels of a text download (default: the form's language).
    naming : str
        How matrix rows head their columns: one of :data:`WJX_NAMINGS`.
    form_lang : str, optional
        Language of the form, whose texts head the columns (default: Chinese when the
        instrument has it, as ``survey export -f wjx`` writes).

    Returns
    -------
    list of list
        The header, then one row per respondent: ``序号`` (the respondent id),
        ``提交答卷时间``, ``所用时间`` (``152秒``), ``来源``, ``来源详情``, ``来自IP``
        (addresses from the documentation range 203.0.113.0/24), then the questions.
        Numbers are ``int``, unanswered cells ``None``.
    """
    from survey.forms.wjx import default_lang, questions
    from survey.forms.xlsform import matrix_prompt

    if answers not in ("numbers", "scores", "text"):
        raise ValueError(f"answers must be numbers, scores or text, got {answers!r}")
    if naming not in WJX_NAMINGS:
        raise ValueError(f"naming must be one of {WJX_NAMINGS}, got {naming!r}")
    form_lang = form_lang or default_lang(instrument)
    lang = lang or form_lang
    header: list[object] = list(WJX_META)
    cols: list[str] = []
    for q in questions(instrument):
        if q.kind == "matrix":
            c = instrument.construct(q.id)
            title = " ".join(matrix_prompt(c, form_lang).split())
            for var in q.variables:
                thing = (instrument.item(var) if var in instrument.item_ids
                         else instrument.check(var))
                row = " ".join(thing.text[form_lang].split())
                header.append({"第N题(row)": f"第{q.number}题({row})",
                               "N(row)": f"{q.number}({row})",
                               "N、title—row": f"{q.number}、{title}—{row}"}[naming])
                cols.append(var)
        else:
            thing = (instrument.group(q.id) if q.id in instrument.group_ids
                     else instrument.check(q.id))
            header.append(f"{q.number}、{' '.join(thing.text[form_lang].split())}")
            cols.append(q.id)
    rows: list[list[object]] = [header]
    for i, rec in enumerate(data.to_dict("records")):
        _, end, seconds = _times(i)
        row: list[object] = [
            _cell(rec["respondent_id"]),
            f"{end.year}/{end.month}/{end.day} {end:%H:%M:%S}",
            f"{seconds}秒",
            "手机提交" if i % 3 else "链接",
            "直接访问",
            f"203.0.113.{i % 250 + 1}(上海-上海)",
        ]
        for var in cols:
            v = rec.get(var)
            if _missing(v):
                row.append(None)
            elif var in instrument.group_ids:
                g = instrument.group(var)
                if g.type != "choice":
                    row.append(_cell(v))
                elif answers == "text":
                    row.append(g.label(str(v), lang))
                else:
                    row.append(list(g.codes).index(str(v)) + 1)
            else:
                scale = instrument.scale_of(var)
                if answers == "text":
                    row.append(scale.label(int(v), lang))
                else:
                    row.append(list(scale.points).index(int(v)) + 1)
        rows.append(row)
    return rows


def wjx_layout(data: pd.DataFrame, instrument: Instrument, *, suffix: str = ".csv",
               answers: str = "numbers", lang: str | None = None,
               naming: str = "第N题(row)", encoding: str = "utf-8",
               form_lang: str | None = None,
               about: Sequence[tuple[str, str]] | None = None) -> bytes:
    """A Wenjuanxing download as ``.csv`` (UTF-8 with BOM, or ``encoding="gbk"``) or
    ``.xlsx`` (one sheet, plus an ``about`` sheet when ``about`` is given).

    See :func:`wjx_rows` for the columns and the other parameters.

    Examples
    --------
    >>> from survey.instrument import load
    >>> from survey.simulate import simulate
    >>> inst = load("lab-culture")
    >>> data = simulate(inst, seed=1, labs=2, respondents_per_lab=(2, 2))
    >>> header = wjx_layout(data, inst).decode("utf-8-sig").splitlines()[0].split(",")
    >>> header[:6]
    ['序号', '提交答卷时间', '所用时间', '来源', '来源详情', '来自IP']
    >>> header[6]
    '1、您所在的实验室主要位于哪里？'
    """
    rows = wjx_rows(data, instrument, answers=answers, lang=lang, naming=naming,
                    form_lang=form_lang)
    if suffix == ".csv":
        return _csv(rows, bom=encoding.replace("-", "").lower() == "utf8",
                    encoding=encoding)
    if suffix == ".xlsx":
        return _xlsx(rows, "Sheet1", about)
    raise ValueError(f"suffix must be .csv or .xlsx, got {suffix!r}")


# ---- every layout ------------------------------------------------------------------------------

def write_layout(name: str, data: pd.DataFrame, instrument: Instrument, *,
                 suffix: str, lang: str | None = None,
                 about: Sequence[tuple[str, str]] | None = None) -> bytes:
    """Write ``data`` in the layout ``name`` as a ``suffix`` file.

    Parameters
    ----------
    name : str
        A key of :data:`LAYOUTS`.
    data : pandas.DataFrame
        Answers in the template layout (``ResponseSet.data`` or ``survey simulate``).
    instrument : Instrument
        The instrument.
    suffix : str
        One of the layout's :attr:`Layout.suffixes`.
    lang : str, optional
        Write answers as labels in this language (a label or text export); default:
        codes (option numbers for Wenjuanxing).
    about : sequence of (str, str), optional
        Rows of an ``about`` sheet added to ``.xlsx`` files (what the data are).

    Returns
    -------
    bytes

    Raises
    ------
    SurveyError
        Unknown layout, a file type the layout does not write, or a language the
        instrument does not have.
    """
    from survey.errors import did_you_mean

    if name not in LAYOUTS:
        raise SurveyError(f"unknown layout '{name}'; choose one of {', '.join(LAYOUTS)}."
                          + did_you_mean(name, LAYOUTS))
    layout = LAYOUTS[name]
    suffix = suffix.lower()
    if suffix not in layout.suffixes:
        raise SurveyError(f"the {name} layout is written as {' or '.join(layout.suffixes)}; "
                          f"end the output name in {layout.suffixes[0]}")
    if lang is not None and lang not in instrument.languages:
        raise SurveyError(f"language '{lang}' is not in instrument '{instrument.id}'; it has "
                          f"{', '.join(instrument.languages)}")
    if name == "template":
        frame = _labelled(data, instrument, lang) if lang else data
        if suffix == ".csv":
            from survey.responses.writers import write_frame

            return write_frame(frame, ".csv")
        return _xlsx(_template_rows(frame), "responses", about)
    if name == "kobo":
        data_bytes = kobo_layout(data, instrument, lang=lang, suffix=suffix)
        return _with_about(data_bytes, about) if suffix == ".xlsx" and about else data_bytes
    if name == "wjx":
        # a text download of the form exported in ``lang``: its headers and labels
        return wjx_layout(data, instrument, suffix=suffix, form_lang=lang,
                          answers="text" if lang else "numbers", lang=lang, about=about)
    writer: Callable[..., bytes] = {"qualtrics": qualtrics_layout, "limesurvey": limesurvey_layout,
              "redcap": redcap_layout}[name]
    text_lang = lang or ("en" if "en" in instrument.languages else instrument.languages[0])
    return writer(data, instrument, labels=lang is not None, lang=text_lang)


def _template_rows(frame: pd.DataFrame) -> list[list[object]]:
    """Header and rows of a template-layout frame: whole numbers as ``int``."""
    rows: list[list[object]] = [[str(c) for c in frame.columns]]
    for rec in frame.itertuples(index=False, name=None):
        rows.append([None if _missing(v) else (int(v) if isinstance(v, int | float)
                                                and not isinstance(v, bool)
                                                and float(v).is_integer() else v)
                     for v in rec])
    return rows


def _labelled(data: pd.DataFrame, instrument: Instrument, lang: str) -> pd.DataFrame:
    """The template layout with labels in ``lang`` for choices and scale points."""
    frame = data.astype(object).where(data.notna(), None)
    for g in instrument.groups:
        if g.type == "choice":
            frame[g.id] = [None if v is None else g.label(str(v), lang) for v in frame[g.id]]
    for var in (*instrument.item_ids, *instrument.check_ids):
        scale = instrument.scale_of(var)
        frame[var] = [None if v is None else scale.label(int(v), lang) for v in frame[var]]
    return frame


def _with_about(workbook: bytes, about: Sequence[tuple[str, str]]) -> bytes:
    """Add an ``about`` sheet to a workbook."""
    from openpyxl import load_workbook

    from survey.outputs import add_about_sheet, workbook_bytes

    wb = load_workbook(io.BytesIO(workbook))
    add_about_sheet(wb, about)
    return workbook_bytes(wb)
