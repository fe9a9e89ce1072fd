"""Reading what the platforms give back: one reader per platform, one validation.

:func:`read_responses` is the single way in: it reads the file's bytes once (never
changing the file), decodes them into a :class:`~survey.responses.tables.Table`, picks
the platform reader (``--platform auto`` asks each reader's ``sniff`` in
:data:`PLATFORMS` order), lets the reader find the columns, and hands the result to
:func:`~survey.responses.validate.validate`, which applies every shared check.

A reader is one module with ``NAME``, ``LABEL``, ``SIGNATURE`` (what ``sniff`` looks
for, shown when nothing matches), optional ``HEADER_NAMES`` (names that mark its
header row), ``sniff(header) -> bool`` and ``read(table, instrument) -> RawResponses``.
Adding a platform is adding such a module and one line to :data:`PLATFORMS`.

See :mod:`survey.responses.model` for :class:`ResponseSet` and :class:`ImportLog`.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

from survey.errors import ResponseFileError, did_you_mean
from survey.responses.model import ImportLog, LogRecord, RawResponses, ResponseSet

if TYPE_CHECKING:  # pragma: no cover
    from survey.instrument import Instrument
    from survey.responses.validate import Policy

__all__ = [
    "PLATFORMS",
    "ImportLog",
    "LogRecord",
    "RawResponses",
    "ResponseSet",
    "detect",
    "platform_module",
    "read_responses",
]

#: Platform name -> reader module, in the order ``--platform auto`` tries them. The
#: platforms with distinctive metadata columns come first; ``template`` (a plain
#: ``respondent_id`` column, which a platform export may also carry) comes last.
PLATFORMS: dict[str, str] = {
    "kobo": "survey.responses.kobo",
    "qualtrics": "survey.responses.qualtrics",
    "limesurvey": "survey.responses.limesurvey",
    "redcap": "survey.responses.redcap",
    "wjx": "survey.responses.wjx",
    "template": "survey.responses.template",
}


def platform_module(name: str) -> ModuleType:
    """Import a reader by platform name.

    Parameters
    ----------
    name : str
        A key of :data:`PLATFORMS`.

    Returns
    -------
    module
        The reader (``NAME``, ``sniff``, ``read``, ...).

    Raises
    ------
    ResponseFileError
        Unknown name (with the nearest one suggested).
    """
    if name not in PLATFORMS:
        raise ResponseFileError(
            f"unknown platform '{name}'; choose auto or one of {', '.join(PLATFORMS)}."
            + did_you_mean(name, PLATFORMS)
        )
    return importlib.import_module(PLATFORMS[name])


def _available() -> dict[str, ModuleType]:
    """Readers that are importable (a platform being written may be absent)."""
    out = {}
    for name, path in PLATFORMS.items():
        try:
            out[name] = importlib.import_module(path)
        except ModuleNotFoundError as exc:
            if exc.name != path:
                raise
    return out


def detect(header: list[str], *, file: str | None = None) -> str:
    """Name of the first reader whose ``sniff`` recognises ``header``.

    Parameters
    ----------
    header : list of str
        The header row of the file.
    file : str, optional
        The file's name, for the message.

    Returns
    -------
    str
        A key of :data:`PLATFORMS`.

    Raises
    ------
    ResponseFileError
        When none does; the message lists what each reader looked for.

    Examples
    --------
    >>> detect(["respondent_id", "sp1"])
    'template'
    >>> detect(["start", "end", "sp1", "_id", "_uuid", "_submission_time"])
    'kobo'
    """
    modules = _available()
    for name, mod in modules.items():
        try:
            if mod.sniff(header):
                return name
        except Exception:  # noqa: BLE001, S112 - a sniff must never stop detection
            continue
    looked = "; ".join(
        f"{name}: {getattr(mod, 'SIGNATURE', (mod.sniff.__doc__ or '').strip())}"
        for name, mod in modules.items()
    )
    shown = ", ".join(h for h in header[:6] if h) + (" ..." if len(header) > 6 else "")
    raise ResponseFileError(
        f"cannot tell which platform wrote this file (header: {shown}); looked for {looked}. "
        "Name it with --platform, or rename columns with --map",
        file=file,
        row=1,
    )


def read_responses(
    source: str | Path,
    instrument: Instrument,
    *,
    platform: str = "auto",
    mapping: str | Path | Mapping[str, Any] | None = None,
    policy: Policy | None = None,
    keep_personal: bool = False,
) -> ResponseSet:
    """Read and validate a response file from any supported platform.

    Parameters
    ----------
    source : str or Path
        The export: ``.csv``/``.tsv``/``.txt`` (UTF-8 with or without BOM, UTF-16,
        GB18030/GBK; ``,`` ``;`` or tab), ``.xlsx`` or ``.xls``. Read once, never
        modified.
    instrument : Instrument
        The instrument the responses answer.
    platform : str
        ``auto`` (recognise it from the header) or a key of :data:`PLATFORMS`.
    mapping : str, Path or mapping, optional
        A ``--map`` YAML (see :mod:`survey.responses.mapping`) renaming columns and
        recoding values before validation.
    policy : Policy, optional
        What to do with unfinished responses, failed attention checks and speeders
        (default: keep and flag; see :class:`~survey.responses.validate.Policy`).
    keep_personal : bool
        Keep the columns a reader marks as personal data (Wenjuanxing ``来自IP``, a
        respondent name) in ``meta`` and the rejected rows. By default they are dropped
        right after reading, so no output can carry them; the log names them.

    Returns
    -------
    ResponseSet
        Validated data, metadata (``source_row``, ``flags``, platform columns) and the
        :class:`ImportLog` (rows read = accepted + rejected).

    Raises
    ------
    ResponseFileError
        The file cannot be used at all: unreadable, empty, undecodable, unknown
        platform, or item columns missing (named in the message).

    Examples
    --------
    >>> from survey.instrument import load
    >>> rs = read_responses("sample_data/lab_culture_responses.xlsx", load("lab-culture"))
    ... # doctest: +SKIP
    >>> rs.log.rows_read == rs.log.rows_accepted + rs.log.rows_rejected  # doctest: +SKIP
    True
    """
    from survey.responses.mapping import load_mapping
    from survey.responses.tables import read_table
    from survey.responses.validate import validate

    path = Path(source)
    file = str(source)
    if path.is_dir():
        raise ResponseFileError("is a folder; give the response file", file=file)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ResponseFileError("no such file", file=file) from None
    except OSError as exc:
        raise ResponseFileError(f"cannot read: {exc.strerror}", file=file) from None

    cmap = load_mapping(mapping) if mapping is not None else None
    if cmap is not None:
        cmap.check(instrument)
        if platform == "auto" and cmap.platform:
            platform = cmap.platform
    if platform != "auto":
        platform_module(platform)  # unknown names fail before the file is parsed

    table = read_table(data, file, expected=_expected_headers(instrument, cmap))
    if cmap is not None:
        cmap.check_header(table.header, file)
        table.header = cmap.apply_header(table.header)
    if platform == "auto":
        chosen = detect(table.header, file=file)
        how = "recognised from the header"
    else:
        chosen = platform
        how = "as asked"
    module = platform_module(chosen)
    raw = module.read(table, instrument)
    if raw.header_row is None:
        raw.header_row = table.header_row
    if raw.frame.empty:
        after = int(table.frame.index[-1]) + 1 if table.n_rows else table.header_row + 1
        raise ResponseFileError(
            "no responses: the file ends after its header rows; export it again once "
            "responses have come in",
            file=file,
            row=after,
        )
    _refuse_repeated_columns(table, raw)
    if cmap is not None:
        cmap.apply_values(raw)
    log = ImportLog(file=file, platform=chosen)
    log.notes.append(f"platform: {chosen} ({how})")
    withheld = _personal(raw, keep_personal, log)
    rs = validate(raw, instrument, policy, log=log)
    log.rejected_rows = _rejected_rows(table, log, withheld)
    return rs


def _personal(raw: RawResponses, keep: bool, log: ImportLog) -> set[str]:
    """Keep or drop the personal-data columns a reader named; return those dropped."""
    cols = [c for c in raw.personal_columns if c in raw.frame.columns]
    log.personal = list(cols)
    log.personal_kept = keep and bool(cols)
    if not cols:
        return set()
    shown = ", ".join(cols)
    if keep:
        raw.meta_columns = [*raw.meta_columns, *cols]
        raw.notes.append(f"personal data kept as asked: {shown}")
        return set()
    raw.frame = raw.frame.drop(columns=cols)
    raw.notes.append(f"personal data withheld from every output: {shown} "
                     "(--keep-personal-data keeps it)")
    return set(cols)


def _refuse_repeated_columns(table: Any, raw: RawResponses) -> None:
    """An instrument variable whose header appears in two columns is ambiguous."""
    from survey.responses.tables import column_letter, normalise_name

    folded = [normalise_name(h) for h in table.header]
    for var, source in raw.sources.items():
        where = [j for j, h in enumerate(folded) if h and h == normalise_name(source)]
        if len(where) > 1:
            letters = " and ".join(column_letter(j) for j in where[:2])
            raise ResponseFileError(
                f"the header '{source}' ({var}) heads two columns ({letters}); a variable "
                "must have one column: delete or rename the other",
                file=raw.file,
                row=table.header_row,
                column=column_letter(where[1]),
            )


def _rejected_rows(table: Any, log: ImportLog, withheld: set[str] = frozenset()) -> Any:
    """Rejected rows with their original header and cell text, plus row and reason
    (without the personal-data columns ``withheld``)."""
    import pandas as pd

    from survey.responses.tables import unique_names

    rows = sorted(log.rejected)
    reasons = {}
    for rec in log.records:
        if rec.action == "rejected" and rec.row in log.rejected and rec.row not in reasons:
            reasons[rec.row] = rec.message
    cols: dict[str, Any] = {
        "row": pd.Series(rows, dtype="int64"),
        "reason": pd.Series([log.rejected[r] for r in rows], dtype=object),
        "message": pd.Series([reasons.get(r, "") for r in rows], dtype=object),
    }
    sub = table.frame.loc[rows] if rows else table.frame.iloc[:0]
    names = unique_names(table.header)
    for j, name in enumerate(names):
        if name in withheld:
            continue
        key = name if name not in cols else f"{name} (file)"
        text = table.__class__(header=table.header, frame=sub, file=table.file).text(j)
        cols[key] = text.reset_index(drop=True)
    return pd.DataFrame(cols)


def _expected_headers(instrument: Instrument, cmap: Any) -> list[str]:
    """Names that mark the header row: variables, their texts, platform columns."""
    names: list[str] = list(instrument.columns)
    for it in instrument.items:
        names.extend(it.text.values())
    for g in instrument.groups:
        names.extend(g.text.values())
    for c in instrument.checks:
        names.extend(c.text.values())
    for mod in _available().values():
        names.extend(getattr(mod, "HEADER_NAMES", ()))
    if cmap is not None:
        names.extend(cmap.rename)
    return names
