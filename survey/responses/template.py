"""Our own layout: one header row of instrument variable names.

Written by ``survey export -f xlsx`` (the response sheet), the HTML form, ``survey
simulate``, ``survey import -o`` and by hand: ``respondent_id``, the grouping questions,
the items and the attention checks, in any order, each headed by its variable name (case
and surrounding spaces do not matter). Answers may be codes or labels in any of the
instrument's languages; validation maps them to codes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from survey.responses.model import RawResponses
from survey.responses.tables import normalise_name, unique_names

if TYPE_CHECKING:  # pragma: no cover
    from survey.instrument import Instrument
    from survey.responses.tables import Table

__all__ = ["LABEL", "NAME", "SIGNATURE", "read", "sniff"]

NAME = "template"
LABEL = "Template layout (our variable names as headers)"
#: What :func:`sniff` looks for, shown when no reader recognises a file.
SIGNATURE = "a 'respondent_id' column"
#: Header names that mark the header row when title rows sit above it.
HEADER_NAMES = ("respondent_id",)


def sniff(header: list[str]) -> bool:
    """True when a header cell is ``respondent_id`` (any case)."""
    return any(normalise_name(h) == "respondent_id" for h in header)


def read(table: Table, instrument: Instrument) -> RawResponses:
    """Rename header cells that are instrument variables; keep every other column.

    Parameters
    ----------
    table : Table
        The decoded file.
    instrument : Instrument
        The instrument whose variable names head the columns.

    Returns
    -------
    RawResponses
    """
    names = unique_names(table.header)
    known = {normalise_name(c): c for c in instrument.columns}
    rename: list[str] = []
    sources: dict[str, str] = {}
    for original, name in zip(table.header, names, strict=True):
        var = known.get(normalise_name(original))
        if var is not None and var not in sources:
            sources[var] = original
            rename.append(var)
        else:
            rename.append(name)
    frame = table.frame.set_axis(rename, axis=1)
    return RawResponses(
        frame=frame,
        file=table.file,
        platform=NAME,
        sources=sources,
        notes=list(table.notes),
    )
