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
from collections.abc import Mapping, Sequence
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
    "response_files",
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
    cells = [h if len(h) <= 40 else h[:37] + "..." for h in header[:6] if h]
    shown = ", ".join(cells) + (" ..." if len(header) > 6 else "")
    raise ResponseFileError(
        f"cannot tell which platform wrote this file (header: {shown}); looked for {looked}. "
        "Name it with --platform, or rename columns with --map",
        file=file,
        row=1,
    )


#: Suffixes of the files a folder or pattern contributes to a several-file import.
RESPONSE_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls")


def response_files(source: str | Path | Sequence[str | Path]) -> list[Path]:
    """The files a ``RESPONSES`` argument names: files, folders and glob patterns.

    A folder contributes its response files (:data:`RESPONSE_SUFFIXES`; hidden files and
    Excel's ``~$`` lock files left out), a pattern such as ``answers/*.csv`` the files it
    matches (for shells that do not expand it), both in name order.

    Parameters
    ----------
    source : str, Path or sequence of them
        What the user gave.

    Returns
    -------
    list of Path
        One entry per file, in the order given, none twice.

    Raises
    ------
    ResponseFileError
        A folder without response files, or a pattern that matches nothing.

    Examples
    --------
    >>> [p.name for p in response_files("sample_data/lab_culture_responses.*.csv")][:2]
    ['lab_culture_responses.kobo.csv', 'lab_culture_responses.limesurvey.csv']
    """
    import glob

    items = [source] if isinstance(source, str | Path) else list(source)
    out: list[Path] = []
    for item in items:
        path = Path(item)
        text = str(item)
        if path.is_dir():
            found = sorted(p for p in path.iterdir()
                           if p.is_file() and p.suffix.lower() in RESPONSE_SUFFIXES
                           and not p.name.startswith((".", "~$")))
            if not found:
                raise ResponseFileError(
                    "the folder holds no response files (" + ", ".join(RESPONSE_SUFFIXES)
                    + "); give the files, a folder holding them or a pattern such as "
                    "answers/*.csv", file=text)
        elif not path.exists() and glob.has_magic(text):
            found = sorted(Path(p) for p in glob.glob(text) if Path(p).is_file())
            if not found:
                raise ResponseFileError("no file matches this pattern", file=text)
        else:
            found = [path]
        for p in found:
            if p not in out:
                out.append(p)
    return out


def read_responses(
    source: str | Path | Sequence[str | Path],
    instrument: Instrument,
    *,
    platform: str = "auto",
    mapping: str | Path | Mapping[str, Any] | None = None,
    policy: Policy | None = None,
    encoding: str | None = None,
    sheet: str | None = None,
    keep_personal: bool = False,
) -> ResponseSet:
    """Read and validate a response file from any supported platform.

    Parameters
    ----------
    source : str, Path or a sequence of them
        The export: ``.csv``/``.tsv``/``.txt`` (UTF-8 with or without BOM, UTF-16,
        GB18030/GBK, Windows-1252; ``,`` ``;`` or tab), ``.xlsx`` or ``.xls``. Read once,
        never modified. Several files, a folder or a glob pattern (``answers/*.csv``, as the
        HTML form downloads one file per respondent) are read one by one and merged:
        they must share one layout and answer one instrument (see
        :func:`response_files`). The log then counts rows per file
        (``ImportLog.files``) and names the file of every record.
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
    encoding : str, optional
        The encoding of a text file, instead of deciding it from the bytes
        (see :func:`~survey.responses.tables.decode`).
    sheet : str, optional
        The sheet of a workbook to read (hidden ones included), instead of the visible
        sheet whose header names the instrument's variables.
    keep_personal : bool
        Keep the columns a reader marks as personal data (Wenjuanxing ``来自IP``, a
        respondent name) in ``meta`` and the rejected rows. By default they are dropped
        right after reading, so no output can carry them; the log names them.

    Returns
    -------
    ResponseSet
        Validated data, metadata (``source_row``, ``flags``, platform columns; with
        several files also ``source_file``) and the :class:`ImportLog` (rows read =
        accepted + rejected).

    Raises
    ------
    ResponseFileError
        The file cannot be used at all: unreadable, empty, undecodable, unknown
        platform, or item columns missing (named in the message); with several files,
        also files of different layouts or instruments.

    Examples
    --------
    >>> from survey.instrument import load
    >>> rs = read_responses("sample_data/lab_culture_responses.xlsx", load("lab-culture"))
    ... # doctest: +SKIP
    >>> rs.log.rows_read == rs.log.rows_accepted + rs.log.rows_rejected  # doctest: +SKIP
    True
    """
    from survey.responses.mapping import load_mapping

    files = response_files(source)
    label = str(source) if isinstance(source, str | Path) else ", ".join(
        map(str, list(source)[:3])) + (" ..." if len(list(source)) > 3 else "")
    cmap = load_mapping(mapping) if mapping is not None else None
    if cmap is not None:
        cmap.check(instrument)
        if platform == "auto" and cmap.platform:
            platform = cmap.platform
    if platform != "auto":
        platform_module(platform)  # unknown names fail before the file is parsed
    if len(files) == 1:
        return _read_one(files[0], str(files[0]) if not isinstance(source, str | Path)
                         else str(source), instrument, platform, cmap, policy, encoding, sheet,
                         keep_personal)
    return _read_many(files, label, instrument, platform, cmap, policy, encoding, sheet,
                      keep_personal)


def _load(path: Path, file: str, instrument: Instrument, platform: str, cmap: Any,
          encoding: str | None, sheet: str | None) -> tuple[Any, str, str, RawResponses]:
    """One file: its table, the reader chosen and how, and what the reader found."""
    from survey.responses.tables import prefetch_pandas, read_table

    prefetch_pandas()

    if path.is_dir():
        raise ResponseFileError("is a folder; give the response file", file=file)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ResponseFileError("no such file", file=file) from None
    except OSError as exc:
        raise ResponseFileError(f"cannot read: {exc.strerror}", file=file) from None
    table = read_table(data, file, expected=_expected_headers(instrument, cmap),
                       encoding=encoding, sheet=sheet)
    try:
        chosen, how, raw = _read_raw(table, instrument, platform, cmap)
        from survey.responses.validate import refuse_missing_columns

        refuse_missing_columns(raw, instrument)
    except ResponseFileError as exc:
        if platform != "auto":
            _suggest_platform(exc, table.header, platform)
        raise _with_sheet_hint(exc, table) from None
    return table, chosen, how, raw


def _with_sheet_hint(exc: ResponseFileError, table: Any) -> ResponseFileError:
    if table.sheet_hint and exc.row is not None and exc.row <= table.header_row:
        return ResponseFileError(f"{exc.message}; {table.sheet_hint}", file=exc.file,
                                 row=exc.row, column=exc.column, path=exc.path)
    return exc


def _read_one(path: Path, file: str, instrument: Instrument, platform: str, cmap: Any,
              policy: Policy | None, encoding: str | None, sheet: str | None,
              keep_personal: bool = False) -> ResponseSet:
    from survey.responses.validate import validate

    table, chosen, how, raw = _load(path, file, instrument, platform, cmap, encoding, sheet)
    log = ImportLog(file=file, platform=chosen)
    log.notes.append(f"platform: {chosen} ({how})")
    for row, col, value, reason, message in table.cell_notes:
        log.add(reason, "blanked", message, row=row, column=_header_name(table, col),
                value=value)
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


def _read_many(files: list[Path], label: str, instrument: Instrument, platform: str,
               cmap: Any, policy: Policy | None, encoding: str | None,
               sheet: str | None, keep_personal: bool = False) -> ResponseSet:
    """Several files of one layout: read each, check they agree, validate them as one."""
    import dataclasses

    import pandas as pd

    from survey.responses.validate import validate

    loaded = []
    for path in files:
        loaded.append(_load(path, str(path), instrument, platform, cmap, encoding, sheet))
    first_table, first_platform, how, first_raw = loaded[0]
    known = set(instrument.columns)
    first_vars = sorted(known & set(first_raw.frame.columns))
    for table, chosen, _, raw in loaded[1:]:
        if chosen != first_platform:
            raise ResponseFileError(
                f"a {chosen} export among {first_platform} files ({first_table.file} is "
                f"{first_platform}); import the files of one layout together",
                file=table.file)
        found = sorted(known & set(raw.frame.columns))
        if found != first_vars:
            extra = sorted(set(found) - set(first_vars))
            lacking = sorted(set(first_vars) - set(found))
            what = "; ".join(part for part in (
                f"it has {', '.join(extra[:6])}" if extra else "",
                f"it lacks {', '.join(lacking[:6])}" if lacking else "") if part)
            raise ResponseFileError(
                f"its columns differ from those of {first_table.file} ({what}); import "
                "files of one instrument and one layout together", file=table.file)

    frames, origins, finished, duration = [], [], [], []
    bad: dict[int, tuple[str, str]] = {}
    start = 0
    log = ImportLog(file=label, platform=first_platform)
    log.notes.append(f"platform: {first_platform} ({how})")
    log.notes.append(f"files: {len(files)}")
    for table, _, _, raw in loaded:
        n = len(raw.frame)
        index = pd.RangeIndex(start, start + n)
        local = raw.frame.index
        frames.append(raw.frame.set_axis(index, axis=0))
        origins.append(pd.DataFrame({"file": table.file, "row": local.to_numpy()},
                                    index=index))
        finished.append(None if raw.finished is None else
                        raw.finished.reindex(local).set_axis(index))
        duration.append(None if raw.duration is None else
                        raw.duration.reindex(local).set_axis(index))
        position = dict(zip(local, index, strict=True))
        bad.update({position[r]: v for r, v in raw.bad_rows.items()})
        for row, col, value, reason, message in table.cell_notes:
            log.records.append(dataclasses.replace(
                _record(reason, message, row, _header_name(table, col), value),
                file=table.file))
        log.files[table.file] = n
        for note in raw.notes:
            shown = note if all(note in r.notes for _, _, _, r in loaded) \
                else f"{table.file}: {note}"
            if shown not in log.notes:
                log.notes.append(shown)
        start += n
    merged = RawResponses(
        frame=pd.concat(frames, axis=0, sort=False),
        file=label,
        platform=first_platform,
        meta_columns=list(dict.fromkeys(c for *_, r in loaded for c in r.meta_columns)),
        sources=dict(first_raw.sources),
        finished=None if all(f is None for f in finished) else pd.concat(
            [f if f is not None else pd.Series(pd.NA, index=o.index, dtype="boolean")
             for f, o in zip(finished, origins, strict=True)]).astype("boolean"),
        duration=None if all(d is None for d in duration) else pd.concat(
            [d if d is not None else pd.Series(float("nan"), index=o.index)
             for d, o in zip(duration, origins, strict=True)]),
        notes=[],
        header_row=first_raw.header_row,
        bad_rows=bad,
        origin=pd.concat(origins),
        personal_columns=list(dict.fromkeys(c for *_, r in loaded
                                            for c in r.personal_columns)),
    )
    withheld = _personal(merged, keep_personal, log)
    for note in merged.notes:
        if note not in log.notes:
            log.notes.append(note)
    kept = len(log.records)
    rs = validate(merged, instrument, policy, log=log)
    origin = merged.origin
    # records and rejections name the file and its own row numbers
    for k in range(kept, len(log.records)):
        rec = log.records[k]
        if rec.row is not None:
            log.records[k] = dataclasses.replace(
                rec, row=int(origin.at[rec.row, "row"]), file=str(origin.at[rec.row, "file"]))
    log.rejected = {(str(origin.at[r, "file"]), int(origin.at[r, "row"])): reason
                    for r, reason in log.rejected.items()}
    rs.meta.insert(0, "source_file", origin["file"].to_numpy()[
        rs.meta["source_row"].to_numpy()].astype(object))
    rs.meta["source_row"] = origin["row"].to_numpy()[rs.meta["source_row"].to_numpy()]
    log.rejected_rows = _rejected_rows_many(loaded, log, withheld)
    return rs


def _record(reason: str, message: str, row: int, column: str, value: str) -> LogRecord:
    log = ImportLog(file="", platform="")
    log.add(reason, "blanked", message, row=row, column=column, value=value)
    return log.records[0]


def _rejected_rows_many(loaded: list, log: ImportLog, withheld: set[str] = frozenset()) -> Any:
    """The rejected rows of every file, each file's as :func:`_rejected_rows` gives them,
    stacked with a ``file`` column first."""
    import pandas as pd

    parts = []
    for table, *_ in loaded:
        sub = ImportLog(file=table.file, platform=log.platform)
        sub.rejected = {row: reason for (f, row), reason in log.rejected.items()
                        if f == table.file}
        sub.records = [r for r in log.records if r.file == table.file]
        if not sub.rejected:
            continue
        part = _rejected_rows(table, sub, withheld)
        part.insert(0, "file", table.file)
        parts.append(part)
    if not parts:
        return pd.DataFrame({"file": pd.Series([], dtype=object),
                             "row": pd.Series([], dtype="int64"),
                             "reason": pd.Series([], dtype=object),
                             "message": pd.Series([], dtype=object)})
    return pd.concat(parts, ignore_index=True, sort=False)


def _read_raw(table: Any, instrument: Instrument, platform: str,
              cmap: Any) -> tuple[str, str, RawResponses]:
    """Pick the reader, let it find the columns, mark the rows the structure spoils."""
    file = table.file
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
    present = set(raw.frame.index)
    bad = {r: v for r, v in table.bad_rows.items() if r in present}
    for found in (raw.bad_rows, _repeated_headers(table, raw)):
        bad.update({r: v for r, v in found.items() if r in present and r not in bad})
    raw.bad_rows = bad
    return chosen, how, raw


def _suggest_platform(exc: ResponseFileError, header: list[str], asked: str) -> None:
    """When a reader named with --platform fails on a header another reader recognises,
    say so in the message (a file from another platform is an ordinary mistake)."""
    try:
        found = detect(header)
    except ResponseFileError:
        return
    if found != asked:
        exc.message = (f"{exc.message.rstrip('.')}; the header looks like a {found} export: "
                       f"use --platform {found} or leave --platform out")
        exc.args = (exc.message,)


def _header_name(table: Any, position: int) -> str:
    from survey.responses.tables import column_letter

    name = table.header[position] if position < len(table.header) else ""
    return name or f"column_{column_letter(position)}"


def _repeated_headers(table: Any, raw: RawResponses) -> dict[int, tuple[str, str]]:
    """Data rows that repeat a header row (exports joined with their headers).

    A row is a header repeat when at least two of its cells, and at least half of its
    non-empty ones, equal the header row's cell in the same column (or, for platforms
    with several header rows, the cell of one of the rows the reader took as headers).
    """
    import numpy as np
    import pandas as pd

    from survey.responses.tables import as_text
    from survey.responses.validate import stripped_values

    frame = table.frame
    rows = raw.frame.index
    if not len(rows) or not len(frame.columns):
        return {}
    dropped = frame.index[frame.index < rows[0]]  # extra header rows the reader took
    heads = [[(h or "").strip() for h in table.header]]
    for r in dropped:
        heads.append([("" if pd.isna(v) else str(v).strip()) for v in frame.loc[r]])
    sub = frame if rows.equals(frame.index) else frame.loc[frame.index.isin(rows)]
    best = np.zeros(len(sub), dtype=np.int64)
    filled = np.zeros(len(sub), dtype=np.int64)
    equal = [np.zeros(len(sub), dtype=np.int64) for _ in heads]
    text_codes: dict[object, np.ndarray] = {}
    hits = [0] * len(heads)  # per header row: columns where some cell equals its cell
    # only text columns under a header cell can repeat it; those with the fewest distinct
    # values (cheapest to look through) first, so that once too few columns are left for
    # any row to repeat two cells, the rest (ids, free text) need not be looked at
    columns = [j for j in sub.columns if not pd.api.types.is_numeric_dtype(sub[j].dtype)
               and any(j < len(head) and head[j] for head in heads)]
    columns.sort(key=lambda j: len(pd.unique(sub[j].iloc[:1000])))
    for left, j in zip(range(len(columns), 0, -1), columns, strict=True):
        if max(hits) + left < 2:
            return {}
        col = sub[j]
        # through the distinct values of the column, not cell by cell
        codes, uniques = pd.factorize(col if col.dtype == object else as_text(col),
                                      use_na_sentinel=True)
        text_codes[j] = codes
        where = np.where(codes < 0, len(uniques), codes)
        stripped = [v if isinstance(v, str) else "" for v in stripped_values(uniques)[0]]
        for k, head in enumerate(heads):
            h = head[j] if j < len(head) else ""
            if h and h in stripped:
                hit = np.array([v == h for v in stripped] + [False], dtype=bool)
                equal[k] += hit[where]
                hits[k] += 1
    if max(hits, default=0) < 2:  # no row can repeat two cells of a header
        return {}
    for j in sub.columns:
        filled += text_codes[j] >= 0 if j in text_codes else sub[j].notna().to_numpy()
    for eq in equal:
        best = np.maximum(best, eq)
    hit = (best >= 2) & (2 * best >= filled)
    return {int(r): ("repeated_header",
                     "the row repeats the file's header (exports joined together with their "
                     "headers?); row rejected")
            for r in sub.index[hit]}


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

    from survey.responses.tables import column_letter, unique_names

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
    # cells beyond the header of rows rejected for their cell count, in their own columns
    extra = [table.extra_cells.get(r, []) for r in rows]
    for k in range(max((len(e) for e in extra), default=0)):
        key = f"column_{column_letter(len(names) + k)}"
        cols[key] = pd.Series([e[k] if k < len(e) and e[k] != "" else None for e in extra],
                              dtype=object)
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
