"""The validated responses and the log of how they were read.

A :class:`ResponseSet` is what every platform reader returns and what :mod:`analysis`
takes: one row per accepted respondent in the template layout (``respondent_id``,
grouping columns as categoricals, item and check columns as nullable integers), the
:class:`~survey.instrument.Instrument` it was validated against, and its
:class:`ImportLog`. Rows read = rows accepted + rows rejected, always.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from survey.instrument import Instrument

__all__ = [
    "ACTIONS",
    "REASONS",
    "ImportLog",
    "LogRecord",
    "RawResponses",
    "ResponseSet",
    "SIMULATED_PREFIX",
]

#: Respondent ids written by ``survey simulate`` start with this; reports flag such data.
SIMULATED_PREFIX = "SIM-"

#: What happened to the row or cell a record describes.
ACTIONS = ("rejected", "blanked", "flagged", "warning")

#: Why; a small, fixed vocabulary that scripts can rely on.
REASONS = (
    "out_of_range",
    "non_numeric",
    "unknown_label",
    "unknown_choice",
    "missing_id",
    "duplicate_id",
    "empty_row",
    "failed_attention_check",
    "unfinished",
    "speeder",
    "unknown_column",
    "missing_column",
    "recoded",
    "other",
    "cell_count",
    "repeated_header",
    "missing_group_answer",
    "similar_codes",
    "formula_no_value",
    "error_value",
)


@dataclass(frozen=True)
class LogRecord:
    """One thing the import noticed.

    ``row`` is the row number in the source file as a spreadsheet program shows it
    (header rows counted), so a user can go straight to it. ``file`` names that file when
    one import read several (``None`` otherwise: it is ``ImportLog.file``).
    """

    row: int | None
    column: str | None
    value: str | None
    reason: str
    action: str
    message: str
    file: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The record as a plain mapping (for tables and JSON)."""
        return {
            "row": self.row,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
            "action": self.action,
            "message": self.message,
            "file": self.file,
        }


@dataclass
class ImportLog:
    """Row accounting and every record of one import.

    Attributes
    ----------
    file : str
        The source file as given (for several files: the folder, pattern or list given).
    platform : str
        Which reader read it (``template``, ``kobo``, ...).
    rows_read : int
        Data rows found in the file (header rows not counted).
    rejected : dict
        Original row number -> reason of each rejected row; when several files were read,
        ``(file, row)`` -> reason.
    records : list[LogRecord]
        Everything noticed, in file order.
    notes : list[str]
        File-level remarks (encoding detected, platform chosen, header row found, ...).
    rejected_rows : pandas.DataFrame or None
        The rejected rows as they are in the file (original header, original cell text),
        preceded by ``row`` and ``reason`` columns (and ``file`` when several files were
        read); filled by ``read_responses``.
    files : dict[str, int]
        When several files were read: each file and the data rows read from it, in the
        order they were read (empty for one file).
    personal : list[str]
        Columns of the file holding personal data (Wenjuanxing ``来自IP``, ...): withheld
        from every output, or kept in ``ResponseSet.meta`` and the rejected rows when the
        import was asked to keep them (then ``personal_kept`` is True).
    personal_kept : bool
        Whether the ``personal`` columns were kept.
    """

    file: str
    platform: str
    rows_read: int = 0
    rejected: dict[int | tuple[str, int], str] = field(default_factory=dict)
    records: list[LogRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rejected_rows: pd.DataFrame | None = None
    files: dict[str, int] = field(default_factory=dict)
    personal: list[str] = field(default_factory=list)
    personal_kept: bool = False

    def per_file(self) -> list[tuple[str, int, int, int]]:
        """``(file, rows read, accepted, rejected)`` per file of a several-file import.

        Examples
        --------
        >>> log = ImportLog(file="answers/", platform="template", rows_read=3,
        ...                 files={"a.csv": 2, "b.csv": 1}, rejected={("a.csv", 3): "empty_row"})
        >>> log.per_file()
        [('a.csv', 2, 1, 1), ('b.csv', 1, 1, 0)]
        """
        out = []
        for name, read in self.files.items():
            rejected = sum(1 for k in self.rejected if isinstance(k, tuple) and k[0] == name)
            out.append((name, read, read - rejected, rejected))
        return out

    @property
    def rows_rejected(self) -> int:
        """Number of rejected rows."""
        return len(self.rejected)

    @property
    def rows_accepted(self) -> int:
        """Number of accepted rows; ``rows_read - rows_rejected`` by construction."""
        return self.rows_read - self.rows_rejected

    def add(
        self,
        reason: str,
        action: str,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        value: object = None,
    ) -> None:
        """Record one event; a ``rejected`` action also marks the row rejected.

        Parameters
        ----------
        reason : str
            One of :data:`REASONS`.
        action : str
            One of :data:`ACTIONS` (``rejected``, ``blanked``, ``flagged``, ``warning``).
        message : str
            What happened, for a person.
        row : int, optional
            Row number in the file as a spreadsheet shows it.
        column : str, optional
            Column header as in the file.
        value : object, optional
            The cell's value as read.

        Raises
        ------
        ValueError
            An unknown reason or action (a programming error, not bad input).
        """
        if reason not in REASONS:
            raise ValueError(f"unknown reason {reason!r}")
        if action not in ACTIONS:
            raise ValueError(f"unknown action {action!r}")
        shown = None if value is None else str(value)
        self.records.append(LogRecord(row, column, shown, reason, action, message))
        if action == "rejected" and row is not None and row not in self.rejected:
            self.rejected[row] = reason

    def flatten(self, columns: list[str]) -> list[list[object]]:
        """Records as lists of the named fields, for compact assertions.

        Examples
        --------
        >>> log = ImportLog(file="r.csv", platform="template", rows_read=2)
        >>> log.add("duplicate_id", "rejected", "id R1 seen before", row=3, column="respondent_id")
        >>> log.flatten(["row", "column", "reason"])
        [[3, 'respondent_id', 'duplicate_id']]
        """
        return [[r.as_dict()[c] for c in columns] for r in self.records]

    def count(self, action: str | None = None, reason: str | None = None) -> int:
        """How many records match ``action`` and/or ``reason``.

        Parameters
        ----------
        action : str, optional
            Count only records with this action.
        reason : str, optional
            Count only records with this reason.

        Returns
        -------
        int
        """
        return sum(
            1
            for r in self.records
            if (action is None or r.action == action) and (reason is None or r.reason == reason)
        )


@dataclass(frozen=True)
class ResponseSet:
    """Validated responses of one instrument.

    Attributes
    ----------
    data : pandas.DataFrame
        One row per accepted respondent: ``respondent_id`` (string), grouping columns
        (categorical with the instrument's codes; free-text groups as strings), item and
        attention-check columns (``Int64``, missing as ``<NA>``). Columns in
        ``instrument.columns`` order.
    instrument : Instrument
        What the data were validated against.
    log : ImportLog
        Row accounting and records.
    meta : pandas.DataFrame or None
        Platform metadata kept beside the answers, same index as ``data`` (submission
        times, durations, ``flags``), or None.
    """

    data: pd.DataFrame
    instrument: Instrument
    log: ImportLog
    meta: pd.DataFrame | None = None

    @property
    def n(self) -> int:
        """Number of respondents."""
        return len(self.data)

    @property
    def simulated(self) -> bool:
        """True when every respondent id carries the simulation prefix ``SIM-``."""
        ids = self.data["respondent_id"].astype(str)
        return len(ids) > 0 and bool(ids.str.startswith(SIMULATED_PREFIX).all())


@dataclass
class RawResponses:
    """What a platform reader hands to the shared validation: text cells, nothing judged.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per data row of the file, every cell a ``str`` or ``None`` (no type
        guessing). Columns are renamed to the instrument's variable names where the
        reader recognised them (``respondent_id``, groups, items, checks); every other
        column keeps its original header. The index is the row number in the source file
        as a spreadsheet shows it (header rows counted).
    file : str
        Source file as given (for messages).
    platform : str
        Reader name.
    meta_columns : list[str]
        Columns that are platform metadata (``_uuid``, ``StartDate``, ...): kept in
        ``ResponseSet.meta``, never warned about as unknown.
    sources : dict[str, str]
        Instrument variable -> original header, so messages can name the column the user
        sees.
    finished : pandas.Series or None
        Per row, False for a response the platform marks unfinished (Qualtrics
        ``Finished``, REDCap ``_complete``, LimeSurvey ``submitdate`` empty).
    duration : pandas.Series or None
        Per row, seconds spent, where the platform records it.
    notes : list[str]
        File-level remarks for the import log (encoding, delimiter, header row, ...).
    header_row : int or None
        Row number of the (first) header row in the file, for messages about columns.
    bad_rows : dict of int to (str, str)
        Rows to reject whatever they hold, with reason and message.
    personal_columns : list[str]
        Columns holding personal data the platform adds (Wenjuanxing ``来自IP``, a
        respondent name). The import withholds them from ``ResponseSet.meta`` and the
        rejected rows unless it is asked to keep them.
    """

    frame: pd.DataFrame
    file: str
    platform: str
    meta_columns: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)
    finished: pd.Series | None = None
    duration: pd.Series | None = None
    notes: list[str] = field(default_factory=list)
    header_row: int | None = None
    #: Row -> (reason, message) of rows the file's structure makes unusable (a row with
    #: more or fewer cells than the header, a repeated header row); filled by
    #: ``read_responses`` and rejected by validation before any other check.
    bad_rows: dict[int, tuple[str, str]] = field(default_factory=dict)
    #: When several files were merged: per index value, the ``file`` and ``row`` it came
    #: from (the index itself is then a running number); ``None`` for one file.
    origin: pd.DataFrame | None = None
    personal_columns: list[str] = field(default_factory=list)
