"""Qualtrics response exports (Data & Analysis -> Export, CSV or TSV).

Layouts read:

* the current export: three header rows. Row 1 holds the column names (question export
  tags, ``StartDate``, ``ResponseId``, ...), row 2 the question text in the survey's
  language (``<question> - <statement>`` for a matrix row), row 3 the ImportId as JSON
  (``{"ImportId":"QID5_1"}``). Answers start on row 4.
* the 2016 "Insights" export: the same three rows with a Python-style ImportId
  (``{'ImportId': 'QID4-1-1'}``).
* the legacy export: two header rows, ``V1, V2, ... V10`` followed by question tags on
  row 1 and ``ResponseID, ResponseSet, ..., StartDate, EndDate, Finished`` and question
  text on row 2. The ``V`` columns are named after row 2.

The extra header rows are recognised by their content (an ImportId row; a ``V1, V2,
V3`` header; a question-text row whose ``StartDate`` cell is not a date, when a user
deleted the ImportId row) and dropped; data row numbers stay those of the file (the first answer of
a current export is row 4).

Columns are matched to instrument variables in this order, each variable taking the
first column that matches:

1. the column name equals a variable name (``lab_region``, ``attn1``, ``sp1``);
2. the matrix sub-columns that ``survey export -f qualtrics`` produces,
   ``<construct id>_<n>`` (``self_promotion_2`` is the construct's second item, see
   :func:`survey.forms.qualtrics.item_columns`), and ``<tag>_<n>`` where the tag is the
   construct id without separators or the letters its item ids share (``SP_2`` for
   items ``sp1``... ``sp6``);
3. the question text of row 2 equals the variable's text in any of the instrument's
   languages, or ends with ``- <item text>`` (a matrix statement).

Values: a "numeric values" export gives the recode values, which the Qualtrics form
sets to the scale codes for items and checks, and to 1..n in declared order for the
choices of grouping questions (mapped back with
:func:`survey.forms.qualtrics.choice_codes`; a grouping question whose choice codes are
all numbers keeps the numbers as they are). A "choice text" export gives labels, which
validation maps to codes in any language. ``-99`` ("seen but unanswered", an export
option) reads as unanswered.

Metadata: ``StartDate, EndDate, Status, IPAddress, Progress, Duration (in seconds),
Finished, RecordedDate, ResponseId, Recipient*, ExternalReference, Location*,
DistributionChannel, UserLanguage`` (and the legacy and 2016 names), embedded data and
other columns whose ImportId is not a question (``QID...``), and timing or text-analysis
columns (``Q7_Page Submit``, ``Q2 - Topics``) are kept in ``ResponseSet.meta``.

* ``respondent_id``: a ``respondent_id`` column (e.g. embedded data) when there is one,
  otherwise ``ResponseId`` (``ResponseID`` in older exports).
* finished: ``Finished`` (``1``/``0`` or ``True``/``False``); without it, ``Progress``
  of 100. An unfinished response is flagged (or rejected with ``--reject-unfinished``).
* duration: ``Duration (in seconds)``; without it, ``EndDate - StartDate``.
* survey previews (``Status`` 8) are kept; the import log notes how many and where.
"""

from __future__ import annotations

import ast
import json
import re
from typing import TYPE_CHECKING

from survey.responses.model import RawResponses
from survey.responses.tables import (
    alnum,
    as_text,
    elapsed_seconds,
    final_names,
    find_column,
    normalise_name,
    shared_letters,
)
from survey.wording import count as counted

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from survey.instrument import Instrument
    from survey.responses.tables import Table

__all__ = ["HEADER_NAMES", "LABEL", "META_NAMES", "NAME", "SIGNATURE", "read", "sniff"]

NAME = "qualtrics"
LABEL = "Qualtrics response export (CSV/TSV; three header rows, or legacy V1...V10)"
SIGNATURE = ("Qualtrics columns (ResponseId with StartDate, Finished or Duration (in "
             "seconds); or a legacy V1, V2, V3 header)")
#: Header names that mark the header row (row 1 of every Qualtrics layout).
HEADER_NAMES = ("ResponseId", "ResponseID", "StartDate", "EndDate", "Finished",
                "Duration (in seconds)", "RecordedDate", "V1", "V2")

#: Qualtrics system columns (current, 2016 and legacy names), kept as metadata.
META_NAMES = (
    "StartDate", "EndDate", "Status", "IPAddress", "Progress", "Duration (in seconds)",
    "Finished", "RecordedDate", "ResponseId", "ResponseID", "ResponseSet",
    "RecipientLastName", "RecipientFirstName", "RecipientEmail", "ExternalReference",
    "ExternalDataReference", "LocationLatitude", "LocationLongitude", "LocationAccuracy",
    "DistributionChannel", "UserLanguage", "Name", "EmailAddress", "Q_RecaptchaScore",
    "Q_RelevantIDDuplicate", "Q_RelevantIDDuplicateScore", "Q_RelevantIDFraudScore",
    "Q_RelevantIDLastStartDate", "Q_BallotBoxStuffing", "Q_TotalDuration",
)
_META = frozenset(normalise_name(m) for m in META_NAMES)
_STRONG = frozenset(normalise_name(m) for m in (
    "StartDate", "EndDate", "Finished", "Progress", "Duration (in seconds)",
    "RecordedDate", "Status", "ResponseSet", "DistributionChannel",
))
_IMPORT_ID = re.compile(r"""^\s*\{\s*['"]ImportId['"]\s*:""")
_LEGACY_V = re.compile(r"^V\d+$")
_TAG_N = re.compile(r"^(.+?)_(\d+)$")
_TIMING = re.compile(r"_(first click|last click|page submit|click count)$")
_TEXT_ANALYSIS = re.compile(r" - (topics|sentiment|sentiment polarity|sentiment score|"
                            r"topic sentiment label|topic sentiment score|parent topics)$")
#: Qualtrics' "recode seen but unanswered questions as -99" export option.
SEEN_UNANSWERED = "-99"


def sniff(header: list[str]) -> bool:
    """True for ``ResponseId`` beside Qualtrics system columns, or a legacy ``V1, V2, V3``.

    Examples
    --------
    >>> sniff(["StartDate", "EndDate", "Finished", "ResponseId", "self_promotion_1"])
    True
    >>> sniff(["V1", "V2", "V3", "V4", "Q1"]), sniff(["respondent_id", "sp1"])
    (True, False)
    """
    names = [normalise_name(h) for h in header]
    have = set(names)
    if "responseid" in have and have & _STRONG:
        return True
    return names[:3] == ["v1", "v2", "v3"]


def read(table: Table, instrument: Instrument) -> RawResponses:
    """Drop the extra header rows and map Qualtrics columns to instrument variables.

    Parameters
    ----------
    table : Table
        The decoded export (row 1 as its header).
    instrument : Instrument
        The instrument the survey was built from.

    Returns
    -------
    RawResponses
        Text cells under instrument variable names, metadata columns named, and
        ``finished`` and ``duration`` per row; the index is the row number in the file.
    """
    import pandas as pd

    notes = list(table.notes)
    width = len(table.header)
    top = table.frame.iloc[:3]
    head = [as_text(top[j]).tolist() for j in range(width)]
    n_head = min(3, table.n_rows)
    import_row = None
    for k in range(min(2, n_head)):  # row 3 of the file, or row 2 when the text row is gone
        if any(isinstance(col[k], str) and _IMPORT_ID.match(col[k]) for col in head):
            import_row = k
            break
    names = list(table.header)
    texts: list[str | None] = [None] * width
    import_ids: list[str | None] = [None] * width
    drop = 0
    if import_row is not None:
        drop = import_row + 1
        import_ids = [_import_id(col[import_row]) for col in head]
        if import_row >= 1:
            texts = [col[import_row - 1] for col in head]
        notes.append(f"qualtrics: {drop + 1} header rows (names, question text, ImportId); "
                     f"answers start on row {table.header_row + drop + 1}")
    elif [normalise_name(h) for h in table.header[:3]] == ["v1", "v2", "v3"] and n_head:
        drop = 1
        texts = [col[0] for col in head]
        names = [t if _LEGACY_V.match(h) and t else h
                 for h, t in zip(table.header, texts, strict=True)]
        notes.append("qualtrics: legacy export with 2 header rows (V1...V10 named after "
                     f"row {table.header_row + 1}); answers start on row "
                     f"{table.header_row + 2}")
    elif n_head and _is_text_row(table.header, [col[0] for col in head]):
        drop = 1
        texts = [col[0] for col in head]
        notes.append(f"qualtrics: row {table.header_row + 1} holds question text (the "
                     f"ImportId row is missing); answers start on row {table.header_row + 2}")
    body = table.drop_leading_rows(drop) if drop else table

    assigned = _match_columns(names, texts, instrument)
    final = final_names(names, assigned)
    frame = body.frame.set_axis(final, axis=1)
    sources = {var: names[j] for j, var in assigned.items()}

    meta: list[str] = []
    for j, name in enumerate(final):
        if j in assigned:
            continue
        n = normalise_name(names[j])
        iid = import_ids[j]
        if (n in _META or _TIMING.search(n) or _TEXT_ANALYSIS.search(n)
                or (iid is not None and not iid.upper().startswith("QID"))):
            meta.append(name)

    frame = _clean_answers(frame, instrument, notes)

    if "respondent_id" not in frame.columns:
        col = find_column(final, names, ("ResponseId", "ResponseID"))
        if col is not None:
            frame = frame.assign(respondent_id=frame[col])
            sources["respondent_id"] = col
            notes.append(f"respondent_id taken from '{col}'")

    finished = None
    col = find_column(final, names, ("Finished",))
    if col is not None:
        finished = _booleans(frame[col])
    else:
        col = find_column(final, names, ("Progress",))
        if col is not None:
            prog = pd.to_numeric(as_text(frame[col]), errors="coerce")
            finished = (prog >= 100).astype("boolean").mask(prog.isna())
            notes.append("finished: taken from Progress (100 = finished)")

    col = find_column(final, names, ("Status",))
    if col is not None:
        status = as_text(frame[col])
        preview = status.isin(["8", "Survey Preview"])
        if preview.any():
            rows = ", ".join(str(r) for r in status.index[preview.to_numpy()][:10])
            notes.append(f"qualtrics: {int(preview.sum())} survey previews (Status 8; rows "
                         f"{rows}{' ...' if preview.sum() > 10 else ''}) kept; they are test "
                         "answers, not respondents")

    duration = None
    col = find_column(final, names, ("Duration (in seconds)",))
    if col is not None:
        duration = pd.to_numeric(as_text(frame[col]), errors="coerce").astype("float64")
    else:
        start = find_column(final, names, ("StartDate",))
        end = find_column(final, names, ("EndDate",))
        if start is not None and end is not None:
            duration = elapsed_seconds(frame[start], frame[end])
            notes.append("duration: EndDate - StartDate (the file has no Duration column)")

    return RawResponses(
        frame=frame,
        file=table.file,
        platform=NAME,
        meta_columns=meta,
        sources=sources,
        finished=finished,
        duration=duration,
        notes=notes,
        bad_rows=_import_id_rows(body),
    )


# ---- header rows -------------------------------------------------------------------------

def _import_id_rows(table: Table) -> dict[int, tuple[str, str]]:
    """Rows below the header rows that are ImportId rows (files joined together, or a row
    inserted above the header rows): rejected as repeated headers, never read as answers."""
    import numpy as np

    if not table.n_rows:
        return {}
    hits = np.zeros(table.n_rows, dtype=np.int64)
    filled = np.zeros(table.n_rows, dtype=np.int64)
    for j in range(len(table.header)):
        text = as_text(table.frame[j])
        present = text.notna().to_numpy()
        filled += present
        if present.any():
            hits += text.str.match(_IMPORT_ID.pattern).fillna(False).to_numpy(dtype=bool)
    import_rows = (hits >= 2) & (2 * hits >= filled)
    # a question-text row: its StartDate (EndDate, RecordedDate) cell is text, not a date
    text_rows = np.zeros(table.n_rows, dtype=bool)
    for j, h in enumerate(table.header):
        if normalise_name(h) in ("startdate", "enddate", "recordeddate"):
            cells = as_text(table.frame[j]).str.strip()
            filled_cell = (cells.notna() & (cells != "")).to_numpy(dtype=bool)
            dated = cells.str.match(r"\d").fillna(False).to_numpy(dtype=bool)
            text_rows |= filled_cell & ~dated
            break
    out = {}
    for r in table.frame.index[import_rows]:
        out[int(r)] = ("repeated_header", "the row is a Qualtrics ImportId header row "
                       "(exports joined together with their headers?); row rejected")
    for r in table.frame.index[text_rows & ~import_rows]:
        out[int(r)] = ("repeated_header", "the row is a Qualtrics question-text header row "
                       "(its StartDate is not a date); row rejected")
    return out


def _import_id(cell: object) -> str | None:
    """The ImportId of a row-3 cell: JSON (current) or a Python dict literal (2016)."""
    if not isinstance(cell, str) or not _IMPORT_ID.match(cell):
        return None
    try:
        value = json.loads(cell)
    except ValueError:
        try:
            value = ast.literal_eval(cell.strip())
        except (ValueError, SyntaxError):
            return None
    if isinstance(value, dict) and isinstance(value.get("ImportId"), str):
        return value["ImportId"]
    return None


def _is_text_row(header: list[str], row: list[object]) -> bool:
    """True when the first data row is a question-text row: its StartDate (or EndDate,
    RecordedDate) cell is filled but is not a date (dates start with a digit)."""
    for j, h in enumerate(header):
        if normalise_name(h) in ("startdate", "enddate", "recordeddate"):
            v = row[j]
            if isinstance(v, str) and v.strip():
                return not v.strip()[0].isdigit()
    return False


# ---- columns -> variables ------------------------------------------------------------------





def _match_columns(names: list[str], texts: list[str | None],
                   instrument: Instrument) -> dict[int, str]:
    """Column position -> instrument variable (see the module docs for the order)."""
    from survey.forms.qualtrics import item_columns

    by_name = {normalise_name(c): c for c in instrument.columns}
    by_tag = {normalise_name(k): v for k, v in item_columns(instrument).items()}
    tags: dict[str, tuple[str, ...]] = {}
    for c in instrument.constructs:
        for key in (normalise_name(c.id), alnum(c.id), shared_letters(c.item_ids)):
            if key:
                tags.setdefault(key, c.item_ids)
    by_text: dict[str, str] = {}
    for thing in (*instrument.items, *instrument.groups, *instrument.checks):
        for t in thing.text.values():
            by_text.setdefault(normalise_name(t), thing.id)

    assigned: dict[int, str] = {}
    taken: set[str] = set()

    def take(j: int, var: str | None) -> None:
        if var is not None and var not in taken and j not in assigned:
            assigned[j] = var
            taken.add(var)

    for j, h in enumerate(names):
        take(j, by_name.get(normalise_name(h)))
    for j, h in enumerate(names):
        n = normalise_name(h)
        var = by_tag.get(n)
        if var is None:
            m = _TAG_N.match(n)
            if m is not None:
                items = tags.get(m.group(1)) or tags.get(alnum(m.group(1)))
                k = int(m.group(2))
                if items and 1 <= k <= len(items):
                    var = items[k - 1]
        take(j, var)
    for j, t in enumerate(texts):
        if not t:
            continue
        n = normalise_name(t)
        var = by_text.get(n)
        if var is None:
            for text, v in by_text.items():
                if n.endswith(" - " + text) or n.endswith("-" + text):
                    var = v
                    break
        take(j, var)
    return assigned






# ---- values ----------------------------------------------------------------------------------



def _clean_answers(frame: pd.DataFrame, instrument: Instrument,
                   notes: list[str]) -> pd.DataFrame:
    """``-99`` -> unanswered; grouping answers given as recode values -> choice codes."""
    import pandas as pd

    from survey.forms.qualtrics import choice_codes

    frame = frame.copy()
    seen = 0
    for var in (*instrument.group_ids, *instrument.item_ids, *instrument.check_ids):
        if var not in frame.columns:
            continue
        s = frame[var]
        if pd.api.types.is_numeric_dtype(s.dtype):
            mask = s == float(SEEN_UNANSWERED)
        else:
            mask = s.isin([SEEN_UNANSWERED, f" {SEEN_UNANSWERED}", f"{SEEN_UNANSWERED} "])
        if mask.any():
            seen += int(mask.sum())
            frame[var] = s.mask(mask)
    if seen:
        notes.append(f"qualtrics: {counted(seen, 'answer')} of -99 (seen but unanswered) read as "
                     "unanswered")
    recodes = choice_codes(instrument)
    for g in instrument.groups:
        if g.id not in frame.columns or g.id not in recodes:
            continue
        text = as_text(frame[g.id])
        given = {v.strip() for v in text.dropna()}
        if all(c.isdigit() for c in g.codes) or (given and given <= set(g.codes)):
            continue  # the file carries the instrument's own codes
        table = recodes[g.id]
        frame[g.id] = text.map(
            lambda v, t=table: t.get(v.strip(), v) if isinstance(v, str) else v,
            na_action="ignore").astype(object)
    return frame


def _booleans(s: pd.Series) -> pd.Series:
    """``1``/``0``, ``True``/``False`` (any case) -> boolean; anything else missing."""
    import pandas as pd

    table = {"1": True, "0": False, "true": True, "false": False}
    vals = as_text(s).map(lambda v: table.get(v.strip().casefold()) if isinstance(v, str)
                        else None, na_action="ignore")
    return pd.Series(vals.astype(object).where(vals.notna(), None), index=s.index,
                     dtype="boolean")
