"""LimeSurvey response exports (Responses -> Export: CSV, or Excel .xlsx).

Headings read:

* "Question code": ``id, submitdate, lastpage, startlanguage, seed`` (then ``token``,
  ``startdate``, ``datestamp``, ``ipaddr``, ``refurl`` when the survey records them),
  one column per question (``labregion``) and per array row, ``QCODE[SQCODE]``
  (``selfpromotion[sp1]``). The variants ``QCODE_SQCODE``, ``QCODE.SQCODE.`` and
  ``QCODESQCODE`` ("question code and subquestion code" without brackets, R and SPSS
  style) are read the same way.
* "Full question text" (also the R "data file" export): ``Response ID, Date submitted,
  Last page, Start language, Seed, Date started, Date last action``, then question texts,
  with the array row text in brackets (``In my lab ... [People in my lab ...]``).

Columns are matched to instrument variables in this order, each variable taking the
first column that matches: the header equals a variable name; the header is a question
code that ``survey export -f limesurvey`` writes for a variable
(:func:`survey.forms.limesurvey.question_codes`: ``labregion`` is ``lab_region``); an
array row ``QCODE[SQCODE]`` whose subquestion code is an item's (inside the construct
named by ``QCODE`` when it names one: its question code, its id, or the letters its item
ids share, as in ``SP[sp1]``); the full question text, or the bracketed array row text,
equals the variable's text in any of the instrument's languages.

Values: "Answer codes" give the answer codes, which the LimeSurvey form sets to the
scale codes for items and checks and to the choice codes of grouping questions, or to
``A1``, ``A2``, ... where a choice code does not fit LimeSurvey's 5 characters (mapped
back with :func:`survey.forms.limesurvey.answer_codes`). "Full answers" give labels,
which validation maps to codes in any language. ``N/A`` and ``No answer`` read as
unanswered.

Metadata (kept in ``ResponseSet.meta``): the leading columns above, ``interviewtime``
and the per-group and per-question timings (``groupTime12``, ``sp1Time``, ``Total
time``, ``Group time: ...``, ``Question time: ...``).

* ``respondent_id``: a ``respondent_id`` column when there is one, otherwise ``id``
  (``Response ID``).
* finished: ``submitdate`` empty means the respondent did not submit the last page
  (an incomplete response); it is flagged (or rejected with ``--reject-unfinished``).
* duration: ``interviewtime`` (``Total time``) in seconds, when timings were exported.
"""

from __future__ import annotations

import html
import re
from typing import TYPE_CHECKING

from survey.responses.model import RawResponses
from survey.responses.tables import (
    alnum,
    as_text,
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

NAME = "limesurvey"
LABEL = "LimeSurvey response export (question codes or full question text; CSV or XLSX)"
SIGNATURE = ("LimeSurvey columns (submitdate with lastpage or startlanguage; or Date "
             "submitted with Last page)")
#: Header names that mark the header row.
HEADER_NAMES = ("id", "submitdate", "lastpage", "startlanguage", "Response ID",
                "Date submitted", "Last page", "Start language")

#: LimeSurvey's own response columns (code and full-text headings), kept as metadata.
META_NAMES = (
    "id", "submitdate", "lastpage", "startlanguage", "seed", "token", "startdate",
    "datestamp", "ipaddr", "refurl", "interviewtime",
    "Response ID", "Date submitted", "Last page", "Start language", "Seed", "Token",
    "Access code", "Date started", "Date last action", "IP address", "Referrer URL",
    "Total time",
)
_META = frozenset(normalise_name(m) for m in META_NAMES)
_ID = ("id", "Response ID")
_SUBMIT = ("submitdate", "Date submitted")
_TOTAL_TIME = ("interviewtime", "Total time")
_TIMING = re.compile(r"^(grouptime\d*|group time: .*|question time: .*|.+time)$")
_BRACKET = re.compile(r"^(.*?)\s*\[([^\[\]]*)\]$")
_TAG = re.compile(r"<[^>]+>")
#: Answers LimeSurvey writes for a question not answered or not shown.
UNANSWERED = ("N/A", "No answer")


def sniff(header: list[str]) -> bool:
    """True for ``submitdate`` with ``lastpage`` or ``startlanguage`` (or their full text).

    Examples
    --------
    >>> sniff(["id", "submitdate", "lastpage", "startlanguage", "selfpromotion[sp1]"])
    True
    >>> sniff(["Response ID", "Date submitted", "Last page"]), sniff(["respondent_id", "id"])
    (True, False)
    """
    names = {normalise_name(h) for h in header}
    if "submitdate" in names and names & {"lastpage", "startlanguage"}:
        return True
    return "date submitted" in names and bool(names & {"last page", "start language"})


def read(table: Table, instrument: Instrument) -> RawResponses:
    """Map LimeSurvey headings (codes or full text) to instrument variables.

    Parameters
    ----------
    table : Table
        The decoded export.
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
    names = list(table.header)
    assigned = _match_columns(names, instrument)
    final = final_names(names, assigned)
    frame = table.frame.set_axis(final, axis=1)
    sources = {var: names[j] for j, var in assigned.items()}

    meta = [final[j] for j, h in enumerate(names)
            if j not in assigned and (normalise_name(h) in _META
                                      or _TIMING.match(normalise_name(h)))]

    frame = _clean_answers(frame, instrument, notes)

    if "respondent_id" not in frame.columns:
        col = find_column(final, names, _ID)
        if col is not None:
            frame = frame.assign(respondent_id=frame[col])
            sources["respondent_id"] = col
            notes.append(f"respondent_id taken from '{col}'")

    finished = None
    col = find_column(final, names, _SUBMIT)
    if col is not None:
        submitted = as_text(frame[col]).map(lambda v: isinstance(v, str) and bool(v.strip()))
        finished = pd.Series(submitted.to_numpy(dtype=bool), index=frame.index,
                             dtype="boolean")

    duration = None
    col = find_column(final, names, _TOTAL_TIME)
    if col is not None:
        duration = pd.to_numeric(as_text(frame[col]), errors="coerce").astype("float64")

    return RawResponses(
        frame=frame,
        file=table.file,
        platform=NAME,
        meta_columns=meta,
        sources=sources,
        finished=finished,
        duration=duration,
        notes=notes,
    )


# ---- columns -> variables ------------------------------------------------------------------





def _plain(text: str) -> str:
    """Header text without HTML tags and entities, folded for matching."""
    return normalise_name(html.unescape(_TAG.sub(" ", text)))


def _match_columns(names: list[str], instrument: Instrument) -> dict[int, str]:
    """Column position -> instrument variable (see the module docs for the order)."""
    from survey.forms.limesurvey import question_codes

    columns = set(instrument.columns)
    by_name = {normalise_name(c): c for c in instrument.columns}
    codes = question_codes(instrument)
    by_code = {normalise_name(k): v for k, v in codes.items() if v in columns}
    item_ids = set(instrument.item_ids)
    # subquestion lookup: folded subquestion code / item id -> item id
    by_subq = {normalise_name(k): v for k, v in codes.items() if v in item_ids}
    for i in instrument.item_ids:
        by_subq.setdefault(normalise_name(i), i)
        by_subq.setdefault(alnum(i), i)
    construct_keys: dict[str, set[str]] = {}
    code_of = {v: k for k, v in codes.items()}
    for c in instrument.constructs:
        for key in (normalise_name(c.id), alnum(c.id),
                    normalise_name(code_of.get(c.id, "")), shared_letters(c.item_ids)):
            if key:
                construct_keys.setdefault(key, set()).update(c.item_ids)
    by_text: dict[str, str] = {}
    for thing in (*instrument.items, *instrument.groups, *instrument.checks):
        for t in thing.text.values():
            by_text.setdefault(_plain(t), thing.id)

    assigned: dict[int, str] = {}
    taken: set[str] = set()

    def take(j: int, var: str | None) -> None:
        if var is not None and var not in taken and j not in assigned:
            assigned[j] = var
            taken.add(var)

    for j, h in enumerate(names):
        n = normalise_name(h)
        take(j, by_name.get(n) or by_code.get(n))
    for j, h in enumerate(names):
        take(j, _subquestion(normalise_name(h), by_subq, construct_keys))
    for j, h in enumerate(names):
        n = _plain(h)
        var = by_text.get(n)
        if var is None:
            m = _BRACKET.match(n)
            if m is not None and m.group(2).strip() in by_text:
                var = by_text[m.group(2).strip()]
                if var not in item_ids:
                    var = None
        take(j, var)
    return assigned


def _subquestion(n: str, by_subq: dict[str, str],
                 construct_keys: dict[str, set[str]]) -> str | None:
    """Item of an array-row header: ``Q[SQ]``, ``Q_SQ``, ``Q.SQ.`` or ``QSQ``."""
    m = _BRACKET.match(n)
    if m is not None:
        q, sq = m.group(1).strip(), m.group(2).strip()
        item = by_subq.get(sq)
        if item is None:
            return None
        allowed = construct_keys.get(q) or construct_keys.get(alnum(q))
        return item if allowed is None or item in allowed else None
    for key in sorted(construct_keys, key=len, reverse=True):
        if not n.startswith(key) or len(n) == len(key):
            continue
        rest = n[len(key):]
        for candidate in (rest, rest.lstrip("_.").rstrip(".")):
            item = by_subq.get(candidate)
            if item is not None and item in construct_keys[key]:
                return item
    return None






# ---- values ----------------------------------------------------------------------------------



def _clean_answers(frame: pd.DataFrame, instrument: Instrument,
                   notes: list[str]) -> pd.DataFrame:
    """``N/A`` -> unanswered; shortened answer codes of grouping questions -> choice codes."""
    import pandas as pd

    from survey.forms.limesurvey import answer_codes

    frame = frame.copy()
    blank = [v for u in UNANSWERED for v in (u, u.lower(), u.upper())]
    count = 0
    for var in (*instrument.group_ids, *instrument.item_ids, *instrument.check_ids):
        if var not in frame.columns or pd.api.types.is_numeric_dtype(frame[var].dtype):
            continue
        s = frame[var]
        mask = s.isin(blank)
        if mask.any():
            count += int(mask.sum())
            frame[var] = s.mask(mask)
    if count:
        notes.append(f"limesurvey: {counted(count, 'answer')} of N/A or 'No answer' read as "
                     "unanswered")
    for gid, table in answer_codes(instrument).items():
        if gid not in frame.columns or all(k == v for k, v in table.items()):
            continue
        folded = {normalise_name(k): v for k, v in table.items()}
        frame[gid] = as_text(frame[gid]).map(
            lambda v, t=folded: t.get(normalise_name(v), v) if isinstance(v, str) else v,
            na_action="ignore").astype(object)
    return frame
