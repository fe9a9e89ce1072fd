"""Wenjuanxing (问卷星, wjx.cn) response downloads: CSV, ``.xlsx`` and the older ``.xls``.

Wenjuanxing downloads answers "按选项序号" (option numbers), "按选项文本" (option text)
or "按分数" (scores). What is read here comes from public descriptions of the download
(the ``wenjuanxing()`` reader of ``gasongjian/reportgen``, Wenjuanxing's own toolkit
``wjxcom/wjx-ai-kit`` and scripts that drop the metadata columns by name; see
``tests/fixtures/SOURCES.md``); no live account was available to check it against.

Columns
-------
* Metadata, in this order where present: ``序号`` (sequence number), ``提交答卷时间``
  (submission time, e.g. ``2026/9/3 12:00:00``), ``所用时间`` (time taken, e.g.
  ``152秒``), ``来源`` (channel), ``来源详情``, ``来自IP`` (the respondent's IP address and
  place) and, in some downloads, ``总分`` (total score). They are kept in
  ``ResponseSet.meta`` -- except the personal data ``来自IP`` and a respondent name
  column (``姓名``, ``填写者``), which the import withholds from every output unless it
  is asked to keep them (``survey import --keep-personal-data``).
* A single question: ``N、question text`` (also ``N：`` or ``N:`` after the number).
* A matrix row (one column per row): ``第N题(row text)``, ``N(row text)`` or
  ``N、matrix title—row text``, with half- or full-width parentheses.

A column belongs to an instrument variable when its text equals the variable's text in
any of the instrument's languages (grouping questions and separate attention checks for
single questions, items and checks in a matrix for rows), compared after folding width,
case, quotes and whitespace (``（`` = ``(``, ``？`` = ``?``). When two variables share a
text, the one whose question number (:func:`survey.forms.wjx.questions`) equals ``N``
wins. A column already named after a variable (``sp1``, e.g. after ``--map``) is taken
as it is. A download in which an item or a required grouping question has no column is
refused, naming the questions that did not match and the columns left over.

Values
------
* ``-2`` (skipped by logic) and ``-3`` (not shown) in number and score downloads, and
  ``(跳过)`` (skipped) in text downloads, are unanswered -- never a value. The import log
  counts them.
* Text downloads carry the option and column labels as written in the form, in the
  form's language; validation maps them to codes in any of the instrument's languages.
  Text typed into an option's box (``其他〖博士后〗``) leaves the answer (``其他``) and is
  kept in the metadata as ``<question>_other`` (``role_other``).
* Number downloads carry each option's position: the k-th choice of a grouping question
  and the k-th column of a matrix (the k-th point of the scale). Score downloads carry
  the score Wenjuanxing gives the column, by default its position too. A scale whose
  points are not 1..n is read by position unless its numbers include a point outside
  1..n and none outside the points (then they are taken as scores set equal to the
  codes); the log says which.
  A download is taken as text when most answers to choice questions, items and checks
  are not numbers (so a stray word in a number download is reported, not misread).

Respondents and durations
-------------------------
* ``respondent_id``: a column named ``respondent_id`` (a custom link parameter renamed,
  or added with ``--map``) when there is one, otherwise ``序号``.
* duration: ``所用时间`` in seconds (``152秒``, ``2分32秒``, ``1小时2分3秒`` or a bare number),
  which the speeder rule (``--min-duration``) uses.
* Wenjuanxing downloads hold submitted answers only, so none is marked unfinished.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import TYPE_CHECKING

from survey.errors import ResponseFileError
from survey.responses.model import RawResponses
from survey.responses.tables import as_text, final_names, find_column, normalise_name
from survey.wording import count as counted

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from survey.instrument import Instrument
    from survey.responses.tables import Table

__all__ = [
    "HEADER_NAMES",
    "LABEL",
    "META_NAMES",
    "NAME",
    "PERSONAL_NAMES",
    "SHAPES",
    "SIGNATURE",
    "SKIPPED",
    "fold",
    "parse_duration",
    "read",
    "sniff",
]

NAME = "wjx"
LABEL = "Wenjuanxing (问卷星) download (CSV, .xlsx or .xls; option numbers, text or scores)"
SIGNATURE = "Wenjuanxing columns (序号 with 提交答卷时间 or 所用时间)"
#: Wenjuanxing's metadata columns, in the order downloads put them.
META_NAMES = ("序号", "提交答卷时间", "所用时间", "来源", "来源详情", "来自IP", "总分")
#: Header names that mark the header row.
HEADER_NAMES = META_NAMES
#: Columns holding personal data: withheld from outputs unless the import is asked.
PERSONAL_NAMES = ("来自IP", "姓名", "填写者")
#: Cells that mean "not answered": skipped by logic, not shown, skipped (text download).
SKIPPED = {"-2": "-2 (skipped by logic)", "-3": "-3 (not shown)", "(跳过)": "(跳过) (skipped)"}
#: The column shapes looked for, as the refusal names them.
SHAPES = "'N、question', '第N题(row)', 'N(row)', 'N、title—row'"

_META = frozenset(normalise_name(m) for m in META_NAMES)
_PERSONAL = frozenset(normalise_name(m) for m in PERSONAL_NAMES)
_MATRIX_ROW = re.compile(r"^第\s*(\d+)\s*题\s*\((.*)\)$", re.DOTALL)
_NUMBER_ROW = re.compile(r"^(\d+)\s*\((.*)\)$", re.DOTALL)
_SINGLE = re.compile(r"^(\d+)\s*[、:.]\s*(.*)$", re.DOTALL)
_DASH = "—–-―－~"
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "「": '"',
                         "」": '"', "『": '"', "』": '"'})
_TAGS = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"\s+")
_OTHER_TEXT = re.compile(r"〖.*?〗", re.DOTALL)
_DURATION = re.compile(r"^(?:(\d+)\s*(?:小时|时))?\s*(?:(\d+)\s*分(?:钟)?)?\s*"
                       r"(?:(\d+(?:\.\d+)?)\s*秒)?$")


def fold(text: object) -> str:
    """A question or row text folded for matching: width, case, quotes, tags, spaces.

    Examples
    --------
    >>> fold("实验室代码（由研究人员提供给您）") == fold("实验室代码(由研究人员提供给您)")
    True
    >>> fold("  “Agree”  for <b>this</b> ")
    '"agree"forthis'
    """
    s = unicodedata.normalize("NFKC", _TAGS.sub("", str(text))).translate(_QUOTES)
    return _SPACE.sub("", s).casefold()


def parse_duration(text: object) -> float | None:
    """Seconds of a ``所用时间`` cell (``152秒``, ``2分32秒``, ``1小时2分``, ``152``).

    Examples
    --------
    >>> parse_duration("152秒"), parse_duration("2分32秒"), parse_duration("1小时0分5秒")
    (152.0, 152.0, 3605.0)
    >>> parse_duration(" 90 "), parse_duration("--"), parse_duration(None)
    (90.0, None, None)
    """
    if text is None:
        return None
    s = unicodedata.normalize("NFKC", str(text)).strip()
    if not s:
        return None
    try:
        value = float(s)
    except ValueError:
        pass
    else:
        return value if math.isfinite(value) and value >= 0 else None
    m = _DURATION.match(s)
    if m is None or not any(m.groups()):
        return None
    h, mi, sec = m.groups()
    return float(h or 0) * 3600 + float(mi or 0) * 60 + float(sec or 0)


def sniff(header: list[str]) -> bool:
    """True for ``序号`` beside ``提交答卷时间`` or ``所用时间``, or three of the metadata
    columns.

    Examples
    --------
    >>> sniff(["序号", "提交答卷时间", "所用时间", "1、您所在的实验室主要位于哪里？"])
    True
    >>> sniff(["respondent_id", "sp1"])
    False
    """
    have = {normalise_name(h) for h in header}
    if "序号" in have and have & {"提交答卷时间", "所用时间"}:
        return True
    return len(have & _META) >= 3


def _shape(header: str) -> tuple[str, int, str] | None:
    """``(shape, number, text)`` of a question column, or None."""
    h = unicodedata.normalize("NFKC", header).strip()
    for shape, pattern in (("matrix", _MATRIX_ROW), ("row", _NUMBER_ROW),
                           ("single", _SINGLE)):
        m = pattern.match(h)
        if m:
            return shape, int(m.group(1)), m.group(2)
    return None


def _texts(instrument: Instrument) -> tuple[dict, dict, dict]:
    """Folded text -> [variables] for single questions and matrix rows; variable ->
    question number."""
    from survey.forms.wjx import questions

    single: dict[str, list[str]] = {}
    rows: dict[str, list[str]] = {}
    number: dict[str, int] = {}
    for q in questions(instrument):
        for var in q.variables:
            number[var] = q.number
            if q.kind == "matrix":
                thing = (instrument.item(var) if var in instrument.item_ids
                         else instrument.check(var))
                target = rows
            elif q.kind == "check":
                thing, target = instrument.check(var), single
            else:
                thing, target = instrument.group(var), single
            for t in thing.text.values():
                target.setdefault(fold(t), [])
                if var not in target[fold(t)]:
                    target[fold(t)].append(var)
    return single, rows, number


def _pick(candidates: list[str], n: int, number: dict[str, int]) -> str | None:
    if not candidates:
        return None
    for var in candidates:
        if number.get(var) == n:
            return var
    return candidates[0]


def _match_columns(names: list[str], instrument: Instrument) -> tuple[dict[int, str], list[int]]:
    """Column position -> variable, and the positions of question columns not matched."""
    single, rows, number = _texts(instrument)
    by_name = {normalise_name(c): c for c in instrument.columns}
    assigned: dict[int, str] = {}
    taken: set[str] = set()
    unmatched: list[int] = []

    def take(j: int, var: str | None) -> bool:
        if var is None or var in taken:
            return False
        assigned[j] = var
        taken.add(var)
        return True

    for j, h in enumerate(names):
        take(j, by_name.get(normalise_name(h)))
    for j, h in enumerate(names):
        if j in assigned:
            continue
        found = _shape(h)
        if found is None:
            continue
        shape, n, text = found
        key = fold(text)
        if shape == "single":
            var = _pick(single.get(key, []), n, number)
            if var is None:  # N、title—row text
                hits = [v for t, vs in rows.items() if t and key.endswith(t)
                        and key[:-len(t)].endswith(tuple(_DASH)) for v in vs]
                var = _pick(hits, n, number)
        else:
            var = _pick(rows.get(key, []), n, number)
        if not take(j, var):
            unmatched.append(j)
    return assigned, unmatched


def read(table: Table, instrument: Instrument) -> RawResponses:
    """Map a Wenjuanxing download's columns and answers to the instrument.

    Parameters
    ----------
    table : Table
        The decoded download (row 1 as its header).
    instrument : Instrument
        The instrument the survey was built from (``survey export -f wjx``).

    Returns
    -------
    RawResponses
        Answers under instrument variable names (option numbers already turned into
        codes; labels left for validation), metadata and personal-data columns named,
        and the duration per row.

    Raises
    ------
    ResponseFileError
        An item or required grouping question has no column (the message names the
        questions and the columns that did not match).
    """
    import pandas as pd

    notes = list(table.notes)
    names = list(table.header)
    assigned, unmatched = _match_columns(names, instrument)
    _refuse_missing(table, instrument, assigned, unmatched)
    final = final_names(names, assigned)
    frame = table.frame.set_axis(final, axis=1)
    sources = {var: names[j] for j, var in assigned.items()}
    meta: list[str] = []
    personal: list[str] = []
    for j, name in enumerate(final):
        if j in assigned:
            continue
        n = normalise_name(names[j])
        if n in _PERSONAL:
            personal.append(name)
        elif n in _META:
            meta.append(name)

    frame = _clean_answers(frame, instrument, notes, meta)

    if "respondent_id" not in frame.columns:
        col = find_column(final, names, ("序号",))
        if col is not None:
            frame = frame.assign(respondent_id=as_text(frame[col]))
            sources["respondent_id"] = col
            notes.append(f"respondent_id taken from '{col}'")

    duration = None
    col = find_column(final, names, ("所用时间",))
    if col is not None:
        text = as_text(frame[col])
        duration = pd.Series([parse_duration(v) for v in text], index=frame.index,
                             dtype="float64")
        bad = int((text.notna() & duration.isna()).sum())
        notes.append("duration: 所用时间 in seconds" + (
            f" ({bad} cells not a time, left blank)" if bad else ""))

    return RawResponses(
        frame=frame,
        file=table.file,
        platform=NAME,
        meta_columns=meta,
        sources=sources,
        duration=duration,
        notes=notes,
        personal_columns=personal,
    )


def _refuse_missing(table: Table, instrument: Instrument, assigned: dict[int, str],
                    unmatched: list[int]) -> None:
    """Refuse a download without a column for an item or a required grouping question."""
    from survey.forms.wjx import default_lang, questions

    got = set(assigned.values())
    lang = default_lang(instrument)
    missing = []
    for q in questions(instrument):
        for var in q.variables:
            if var in got:
                continue
            if var in instrument.check_ids:
                continue
            if var in instrument.group_ids and not instrument.group(var).required:
                continue
            if q.kind == "matrix":
                thing = (instrument.item(var) if var in instrument.item_ids
                         else instrument.check(var))
                missing.append(f"{var} (question {q.number} row '{_cut(thing.text[lang])}')")
            else:
                missing.append(f"{var} (question {q.number} "
                               f"'{_cut(instrument.group(var).text[lang])}')")
    if not missing:
        return
    total = len(instrument.item_ids) + sum(g.required for g in instrument.groups)
    shown = ", ".join(missing[:4]) + (f" and {len(missing) - 4} more" if len(missing) > 4
                                      else "")
    left = [f"'{_cut(table.header[j])}'" for j in unmatched[:3]]
    if unmatched:
        extra = (f"; columns that matched no question: {', '.join(left)}"
                 + (f" and {len(unmatched) - 3} more" if len(unmatched) > 3 else ""))
    else:
        extra = "; the download has no other question columns"
    what = ("does not match instrument" if len(missing) == total
            else "is not a complete download of instrument")
    raise ResponseFileError(
        f"this Wenjuanxing download {what} '{instrument.id}': {len(missing)} of its "
        f"{total} items and required questions have no column: {shown}{extra}. Columns "
        f"are matched by question number and text ({SHAPES}); export the form with "
        "'survey export -f wjx', or rename columns with --map",
        file=table.file,
        row=table.header_row,
    )


def _cut(text: str, limit: int = 30) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit] + "…"


def _clean_answers(frame: pd.DataFrame, instrument: Instrument, notes: list[str],
                   meta: list[str]) -> pd.DataFrame:
    """Skip markers -> unanswered; option numbers -> codes (see the module docs)."""
    import pandas as pd

    frame = frame.copy()
    answer_vars = [v for v in (*instrument.group_ids, *instrument.item_ids,
                               *instrument.check_ids) if v in frame.columns]
    counts = dict.fromkeys(SKIPPED, 0)
    other_text = 0
    other_columns: list[str] = []
    for var in answer_vars:
        s = frame[var]
        if pd.api.types.is_numeric_dtype(s.dtype):
            for key in ("-2", "-3"):
                mask = (s == float(key)).to_numpy()
                counts[key] += int(mask.sum())
                s = s.mask(mask)
            frame[var] = s
            continue
        text = s.astype(object).where(s.notna(), None)
        folded = text.map(lambda v: unicodedata.normalize("NFKC", v).strip()
                          if isinstance(v, str) else v, na_action="ignore")
        for key in SKIPPED:
            mask = (folded == key).to_numpy()
            counts[key] += int(mask.sum())
            text = text.mask(mask)
        if var in instrument.group_ids:
            has_other = text.map(lambda v: isinstance(v, str) and "〖" in v)
            if has_other.any():
                other_text += int(has_other.sum())
                typed = text.map(lambda v: "".join(_OTHER_TEXT.findall(v))[1:-1].replace(
                    "〗〖", " ") if isinstance(v, str) and "〖" in v else None)
                frame[f"{var}_other"] = typed.astype(object)
                other_columns.append(f"{var}_other")
                text = text.map(lambda v: _OTHER_TEXT.sub("", v).strip()
                                if isinstance(v, str) else v, na_action="ignore")
        frame[var] = text.astype(object)
    meta.extend(other_columns)
    done = [f"{counted(n, 'cell')} of {SKIPPED[k]}" for k, n in counts.items() if n]
    if done:
        notes.append("wjx: " + ", ".join(done) + " read as unanswered")
    if other_text:
        notes.append(f"wjx: text typed into {other_text} 'other' boxes (〖...〗) moved from "
                     f"the answers to {', '.join(other_columns)} in the metadata")

    coded = [v for v in answer_vars
             if not (v in instrument.group_ids and instrument.group(v).type != "choice")]
    numeric = words = 0
    for var in coded:
        t = as_text(frame[var]).dropna()
        is_number = pd.to_numeric(t, errors="coerce").notna()
        numeric += int(is_number.sum())
        words += int((~is_number).sum())
    textual = words > numeric
    if textual:
        notes.append("wjx: answers as option text (按选项文本), mapped to codes by label")
        return frame
    notes.append("wjx: answers as option numbers (按选项序号) or scores (按分数)")

    for g in instrument.groups:
        if g.id not in frame.columns or g.type != "choice":
            continue
        table = {str(k): c.code for k, c in enumerate(g.choices, 1)}
        frame[g.id] = as_text(frame[g.id]).map(
            lambda v, t=table: t.get(v.strip(), v) if isinstance(v, str) else v,
            na_action="ignore").astype(object)

    by_scale: dict[str, list[str]] = {}
    for var in coded:
        if var in instrument.group_ids:
            continue
        by_scale.setdefault(instrument.scale_of(var).id, []).append(var)
    for sid, cols in by_scale.items():
        points = list(instrument.scales[sid].points)
        n = len(points)
        if points == list(range(1, n + 1)):
            continue  # positions, default scores and codes coincide
        values = pd.concat([pd.to_numeric(as_text(frame[c]), errors="coerce")
                            for c in cols]).dropna().unique()
        if len(values) and set(values) <= set(points) and not set(values) <= set(
                range(1, n + 1)):
            notes.append(f"wjx: numbers of scale '{sid}' read as scores equal to its "
                         f"codes ({', '.join(map(str, points))})")
            continue
        notes.append(f"wjx: numbers of scale '{sid}' read as option positions (1 = "
                     f"'{points[0]}', ..., {n} = '{points[-1]}')")
        lookup = {str(k): str(p) for k, p in enumerate(points, 1)}
        for c in cols:
            frame[c] = as_text(frame[c]).map(
                lambda v, t=lookup: t.get(v.strip(), f"option {v.strip()}")
                if isinstance(v, str) else v, na_action="ignore").astype(object)
    return frame
