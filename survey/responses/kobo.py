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

    from survey.instrument import Instrument
    from survey.responses.tables import Table

__all__ = ["LABEL", "NAME", "SIGNATURE", "read", "sniff"]

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
