"""KoboToolbox / ODK exports (``.csv`` with ``;`` or ``,``, and ``.xlsx``).

Handles what KoboToolbox's exporter (formpack) writes:

* "XML values and headers": headers are the form's names, with the group path when
  "Include groups in headers" is on (``self_promotion/sp1``); answers are choice names
  (``4``, ``china``). ODK Central's ``grp-item`` headers are matched the same way.
* label exports: headers are question labels in one language (``I share my research on
  social media.``, ``我会在社交媒体上分享我的研究。``), answers are choice labels
  (``Strongly agree``, ``中国``). A header is matched to an instrument variable when it
  equals the variable's text in any language (case and spacing ignored).
* metadata columns (``start``, ``end``, ``_id``, ``_uuid``, ``_submission_time``,
  ``_validation_status``, ``_notes``, ``_status``, ``_submitted_by``, ``__version__``,
  ``_tags``, ``_index``, ``meta/instanceID``, ...): kept in ``ResponseSet.meta``.
* ``respondent_id``: the form's own ``respondent_id`` question when it has one,
  otherwise the submission's ``_id`` (then ``_uuid``, then ``meta/instanceID``).
* duration: ``end - start`` in seconds, when both are present.
* legacy KoBoCAT exports write ``n/a`` for unanswered questions; it reads as empty.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from survey.responses.model import RawResponses
from survey.responses.tables import elapsed_seconds, normalise_name, unique_names

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from survey.instrument import Instrument
    from survey.responses.tables import Table

__all__ = ["LABEL", "NAME", "SIGNATURE", "read", "sniff", "write_layout"]

NAME = "kobo"
LABEL = "KoboToolbox / ODK export (XML values or labels, CSV or XLSX)"
SIGNATURE = ("KoboToolbox/ODK metadata columns (_uuid, _submission_time, _index, "
             "meta/instanceID, KEY + SubmissionDate)")

#: Columns every Kobo export appends (formpack COPY_FIELDS + _index) and ODK metadata.
META_NAMES = (
    "start", "end", "today", "deviceid", "username", "simserial", "subscriberid",
    "phonenumber", "audit", "_id", "_uuid", "_submission_time", "_validation_status",
    "_notes", "_status", "_submitted_by", "__version__", "_version_", "_tags",
    "meta/rootuuid", "meta/instanceid", "meta/instancename", "meta/deprecatedid",
    "_index", "_parent_index", "_parent_table_name", "_attachments", "_geolocation",
    "_xform_id_string", "_media_count", "_total_media", "_media_all_received",
    "submissiondate", "key", "submitterid", "submittername", "attachmentspresent",
    "attachmentsexpected", "status", "reviewstate", "deviceid", "edits", "formversion",
    "meta-instanceid",
)
_META = frozenset(META_NAMES)
HEADER_NAMES = ("_id", "_uuid", "_submission_time", "_index", "start", "end",
                "meta/instanceID")
_STRONG = ("_uuid", "_submission_time", "meta/instanceid", "_xform_id_string")
_ID_SOURCES = ("_id", "_uuid", "meta/instanceid", "key")


def sniff(header: list[str]) -> bool:
    """True when the header has Kobo/ODK submission metadata (``_uuid`` and friends)."""
    names = {normalise_name(h) for h in header}
    if names & set(_STRONG):
        return True
    if "_id" in names and "_index" in names:
        return True
    return "key" in names and "submissiondate" in names


def _is_meta(name: str) -> bool:
    n = normalise_name(name)
    return n in _META or (n.startswith("_") and n not in ("_",))


def read(table: Table, instrument: Instrument) -> RawResponses:
    """Map Kobo headers (names, group paths, labels) to instrument variables.

    Parameters
    ----------
    table : Table
        The decoded export.
    instrument : Instrument
        The instrument the form was made from.

    Returns
    -------
    RawResponses
        Cells as text; ``_uuid``, ``_submission_time`` and the other metadata columns
        kept as metadata; durations from ``start``/``end`` where both are present.
    """
    import numpy as np

    names = unique_names(table.header)
    by_name = {normalise_name(c): c for c in instrument.columns}
    by_label: dict[str, str] = {}
    for it in instrument.items:
        for t in it.text.values():
            by_label.setdefault(normalise_name(t), it.id)
    for g in instrument.groups:
        for t in g.text.values():
            by_label.setdefault(normalise_name(t), g.id)
    for c in instrument.checks:
        for t in c.text.values():
            by_label.setdefault(normalise_name(t), c.id)

    # the never-answered label row of each construct grid (see survey.forms.xlsform)
    label_rows = {f"{c.id}_scale".casefold() for c in instrument.constructs}
    rename: list[str] = []
    sources: dict[str, str] = {}
    meta: list[str] = []
    for original, name in zip(table.header, names, strict=True):
        var = _match(original, by_name, by_label)
        if var is not None and var not in sources:
            sources[var] = original
            rename.append(var)
            continue
        rename.append(name)
        last = normalise_name(original).rsplit("/", 1)[-1]
        if _is_meta(original) or last in label_rows:
            meta.append(name)
    frame = table.frame.set_axis(rename, axis=1)
    # legacy KoBoCAT: "n/a" for unanswered
    for c in frame.columns:
        s = frame[c]
        if s.dtype == object:
            na = np.array(s.to_numpy(dtype=object) == "n/a", dtype=bool)
            if na.any():
                frame[c] = s.mask(na)

    notes = list(table.notes)
    if "respondent_id" not in frame.columns:
        lookup = {normalise_name(c): c for c in frame.columns}
        for cand in _ID_SOURCES:
            if cand in lookup:
                col = lookup[cand]
                frame = frame.assign(respondent_id=frame[col])
                sources["respondent_id"] = col
                notes.append(f"respondent_id taken from '{col}'")
                break

    duration = None
    lookup = {normalise_name(c): c for c in frame.columns}
    if "start" in lookup and "end" in lookup:
        duration = elapsed_seconds(frame[lookup["start"]], frame[lookup["end"]])
    return RawResponses(
        frame=frame,
        file=table.file,
        platform=NAME,
        meta_columns=meta,
        sources=sources,
        duration=duration,
        notes=notes,
    )


def _match(header: str, by_name: dict[str, str], by_label: dict[str, str]) -> str | None:
    n = normalise_name(header)
    if n in by_name:
        return by_name[n]
    for sep in ("/", "-"):
        if sep in n:
            last = n.rsplit(sep, 1)[-1]
            if last in by_name and not _is_meta(header):
                return by_name[last]
    if n in by_label:
        return by_label[n]
    if "/" in n:  # "Group label/Item label" (hierarchy in labels)
        last = n.rsplit("/", 1)[-1]
        if last in by_label:
            return by_label[last]
    return None


def write_layout(
    frame: pd.DataFrame,
    instrument: Instrument,
    *,
    lang: str | None = None,
    suffix: str = ".csv",
) -> bytes:
    """Write template-layout answers as KoboToolbox would export them (for tests, samples).

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
    import csv
    import datetime as dt
    import io
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
            row.append(_layout_value(rec.get(var), var, instrument, lang) if var else "")
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


def _layout_value(value: object, var: str, instrument: Instrument, lang: str | None) -> str:
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
