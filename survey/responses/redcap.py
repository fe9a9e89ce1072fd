"""REDCap record exports (Data Exports: "CSV / Microsoft Excel (raw data)" and "(labels)").

Layouts read:

* raw data: headers are field names (``record_id``, ``lab_region``, ``sp1``), answers are
  the choice codes. REDCap adds ``redcap_event_name`` (longitudinal projects),
  ``redcap_repeat_instrument``, ``redcap_repeat_instance``,
  ``redcap_data_access_group``, ``redcap_survey_identifier`` and ``<form>_timestamp``
  (surveys), one ``<field>___<code>`` column per checkbox choice, and
  ``<form>_complete`` after each form's fields.
* labels: headers are field labels (``Record ID``, ``Where is your lab mainly
  based?``), REDCap's own columns are ``Event Name``, ``Repeat Instrument``, ``Repeat
  Instance``, ``Data Access Group``, ``Survey Identifier``, ``Survey Timestamp`` and
  ``Complete?``, checkbox columns read ``<label> (choice=<label>)``, and answers are choice
  labels (``Agree``, ``Complete``).

Columns are matched to instrument variables by field name (REDCap field names are lower
case; case does not matter here), then by field label: a header equal to the variable's
text in any of the instrument's languages. Each variable takes the first column that
matches.

Values: raw items and checks carry the scale codes the REDCap form sets; grouping
questions carry 1..n in declared order (mapped back with
:func:`survey.forms.redcap.choice_codes`; a grouping question whose choice codes are all
numbers keeps them as they are). Labels are mapped to codes by validation, in any of the
instrument's languages.

Metadata (kept in ``ResponseSet.meta``): the record id column, the ``redcap_*`` columns,
``<form>_timestamp``, ``<form>_complete``, checkbox columns and their label-export
equivalents.

* ``respondent_id``: a ``respondent_id`` field when there is one, otherwise
  ``record_id`` (``Record ID``), otherwise the first column, which REDCap always fills with
  the record id field whatever its name.
* finished: ``<form>_complete`` of each form holding instrument variables (the forms
  are the runs of columns each ``_complete`` column closes). REDCap sets 0
  (Incomplete) while a survey is only partly answered, 2 (Complete) when it is
  submitted, and 1 (Unverified) only when staff entered or edited the record; so 0 marks
  a response unfinished, and 1 and 2 finished. With several forms, a response is
  finished when none of them is Incomplete.
* duration: REDCap does not record when a survey was started, so there is none.

Longitudinal and repeating exports have one row per record and event (or instance); a
record that repeats is kept once (its first row) and its later rows are rejected as
duplicate ids, so export the one event or instance that holds the questionnaire.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from survey.responses.model import RawResponses
from survey.responses.tables import (
    final_names,
    normalise_name,
)

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from survey.instrument import Instrument
    from survey.responses.tables import Table

__all__ = ["HEADER_NAMES", "LABEL", "NAME", "SIGNATURE", "read", "sniff"]

NAME = "redcap"
LABEL = "REDCap record export (raw data or labels)"
SIGNATURE = ("REDCap columns (redcap_event_name, redcap_survey_identifier, ... or "
             "<form>_complete beside record_id or <form>_timestamp; labels: Complete? "
             "beside Record ID or Survey Timestamp)")
#: Header names that mark the header row.
HEADER_NAMES = ("record_id", "redcap_event_name", "redcap_survey_identifier",
                "redcap_repeat_instrument", "redcap_repeat_instance",
                "redcap_data_access_group", "Record ID", "Complete?", "Survey Identifier",
                "Survey Timestamp", "Event Name")

_REDCAP = frozenset(("redcap_event_name", "redcap_repeat_instrument",
                     "redcap_repeat_instance", "redcap_data_access_group",
                     "redcap_survey_identifier"))
_LABEL_META = frozenset(("record id", "event name", "repeat instrument", "repeat instance",
                         "data access group", "survey identifier", "survey timestamp",
                         "complete?"))
_COMPLETE = re.compile(r"^[a-z][a-z0-9_]*_complete$")
_TIMESTAMP = re.compile(r"^[a-z][a-z0-9_]*_timestamp$")
_CHECKBOX = re.compile(r"^[a-z][a-z0-9_]*___[a-z0-9_]+$")
_CHOICE = re.compile(r"\(choice=.*\)$")
#: Form status codes and their labels; 0 is the only unfinished one (see module docs).
STATUS = {"0": False, "1": True, "2": True,
          "incomplete": False, "unverified": True, "complete": True}


def sniff(header: list[str]) -> bool:
    """True for ``redcap_*`` columns, ``<form>_complete`` beside ``record_id`` or a
    ``<form>_timestamp``, or the label export's ``Complete?`` beside ``Record ID``,
    ``Survey Identifier`` or ``Survey Timestamp``.

    Examples
    --------
    >>> sniff(["record_id", "redcap_survey_identifier", "lab_culture_timestamp", "sp1"])
    True
    >>> sniff(["Record ID", "Survey Timestamp", "Complete?"]), sniff(["respondent_id", "sp1"])
    (True, False)
    """
    names = [normalise_name(h) for h in header]
    have = set(names)
    if have & _REDCAP:
        return True
    if any(_COMPLETE.match(n) for n in names) and (
            (names and names[0] == "record_id") or any(_TIMESTAMP.match(n) for n in names)):
        return True
    return "complete?" in have and bool(
        have & {"record id", "survey identifier", "survey timestamp", "event name"})


def read(table: Table, instrument: Instrument) -> RawResponses:
    """Map REDCap field names or labels to instrument variables.

    Parameters
    ----------
    table : Table
        The decoded export.
    instrument : Instrument
        The instrument the project was built from.

    Returns
    -------
    RawResponses
        Text cells under instrument variable names, metadata columns named, and
        ``finished`` per row; the index is the row number in the file.
    """
    import pandas as pd

    notes = list(table.notes)
    names = list(table.header)
    folded = [normalise_name(h) for h in names]
    assigned = _match_columns(names, instrument)
    final = final_names(names, assigned)
    frame = table.frame.set_axis(final, axis=1)
    sources = {var: names[j] for j, var in assigned.items()}

    status_cols = [j for j, n in enumerate(folded) if _COMPLETE.match(n) or n == "complete?"]
    meta = [final[j] for j, n in enumerate(folded)
            if j not in assigned and (n in _REDCAP or n in _LABEL_META or n == "record_id"
                                      or j in status_cols or _TIMESTAMP.match(n)
                                      or _CHECKBOX.match(n) or _CHOICE.search(n))]

    frame = _recode_groups(frame, instrument)

    if "respondent_id" not in frame.columns and len(final):
        col = None
        for j, n in enumerate(folded):
            if n in ("record_id", "record id"):
                col = final[j]
                break
        if col is None:
            col = final[0]
            meta.insert(0, col)
        frame = frame.assign(respondent_id=frame[col])
        sources["respondent_id"] = col
        notes.append(f"respondent_id taken from '{col}'")
        if frame[col].duplicated().any() and any(n in _REDCAP or n in _LABEL_META
                                                 for n in folded):
            notes.append("redcap: records repeat across events or instances; only the first "
                         "row of each record is kept (export one event or instance)")

    finished = None
    if status_cols:
        mine = _forms_with_variables(status_cols, assigned)
        use = mine or status_cols
        parts = []
        for j in use:
            parts.append(frame[final[j]].map(_status).astype(object))
        done = pd.concat(parts, axis=1)
        known = done.notna().all(axis=1).to_numpy()
        incomplete = (done.astype(object) == False).any(axis=1).to_numpy()  # noqa: E712
        finished = pd.Series(~incomplete, index=frame.index, dtype="boolean")
        finished = finished.mask(~known & ~incomplete)
        shown = ", ".join(names[j] for j in use)
        notes.append(f"finished: {shown} (0 Incomplete = unfinished; 1 Unverified and "
                     "2 Complete = finished)")

    return RawResponses(
        frame=frame,
        file=table.file,
        platform=NAME,
        meta_columns=meta,
        sources=sources,
        finished=finished,
        notes=notes,
    )


def _match_columns(names: list[str], instrument: Instrument) -> dict[int, str]:
    """Column position -> instrument variable: field name first, then field label."""
    by_name = {normalise_name(c): c for c in instrument.columns}
    by_text: dict[str, str] = {}
    for thing in (*instrument.items, *instrument.groups, *instrument.checks):
        for t in thing.text.values():
            by_text.setdefault(normalise_name(t), thing.id)
    assigned: dict[int, str] = {}
    taken: set[str] = set()
    for lookup in (by_name, by_text):
        for j, h in enumerate(names):
            var = lookup.get(normalise_name(h))
            if var is not None and var not in taken and j not in assigned:
                assigned[j] = var
                taken.add(var)
    return assigned




def _forms_with_variables(status_cols: list[int], assigned: dict[int, str]) -> list[int]:
    """The status columns that close a form holding an instrument variable."""
    out = []
    start = 0
    for j in status_cols:
        if any(start <= k < j for k in assigned):
            out.append(j)
        start = j + 1
    return out


def _recode_groups(frame: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """Grouping answers given as REDCap's 1..n codes -> the instrument's choice codes."""
    from survey.forms.redcap import choice_codes

    frame = frame.copy()
    recodes = choice_codes(instrument)
    for g in instrument.groups:
        if g.id not in frame.columns or g.id not in recodes:
            continue
        if all(c.isdigit() for c in g.codes) or _already_codes(frame[g.id], g.codes):
            continue  # the file carries the instrument's own codes
        table = recodes[g.id]
        frame[g.id] = frame[g.id].map(
            lambda v, t=table: t.get(_code_text(v), v), na_action="ignore").astype(object)
    return frame


def _status(v: object) -> bool | None:
    """A form status cell (``0``/``1``/``2`` or its label) -> finished, or None."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    return STATUS.get(normalise_name(_code_text(v)))


def _already_codes(s: pd.Series, codes: tuple[str, ...]) -> bool:
    """True when every answer in the column is one of the instrument's choice codes."""
    values = {_code_text(v) for v in s.dropna()}
    return bool(values) and values <= set(codes)


def _code_text(v: object) -> str:
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()
