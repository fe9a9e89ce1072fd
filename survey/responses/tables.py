"""Bytes to a decoded table: the one step every platform reader starts from.

:func:`read_table` turns the bytes of a response file into a :class:`Table`. It knows
about files, not platforms: text encodings, delimiters, workbooks (.xlsx and the old
.xls), title rows above the header and Excel dates. Platform readers
(:mod:`survey.responses.kobo`, ...) take a ``Table`` and know nothing about bytes.

The Table
---------
``header`` : list[str]
    The cells of the header row as text, stripped of surrounding whitespace; a blank
    header cell is ``""``. Position ``j`` names column ``j`` of ``frame``.
``frame`` : pandas.DataFrame
    The data rows below the header. Columns are the positions ``0 .. len(header) - 1``
    (not the header text, which may be blank or repeated). The index is each row's
    number in the source file as a spreadsheet program shows it (1-based, header and
    title rows counted), so ``frame.loc[12]`` is the row a user sees as row 12. Every
    cell is the text of the cell (``str``) or missing (``None``/``NaN`` for an empty
    cell) -- no type guessing -- with two exceptions from workbooks: a workbook column
    whose every non-empty cell is a number is kept as ``float64`` (``NaN`` for empty)
    so numbers are not printed and parsed again, and Excel dates and times are written
    as ISO 8601 text (``2024-03-04`` or ``2024-03-04T09:12:05``). Use
    :meth:`Table.text` when a column must be text. Rows below the header that are
    wholly empty are kept (validation rejects them and counts them as read), except
    trailing empty rows at the end of the file, which are dropped.
``header_row`` : int
    Row number of the header in the file (1 unless title rows sit above it).
``file`` : str
    The file name as given (for messages).
``notes`` : list[str]
    What was detected: encoding, delimiter, sheet, header row.

A reader whose platform writes several header rows (Qualtrics: 3) drops the extra rows
itself with ``table.drop_leading_rows(2)``; the row numbers of what remains stay those of
the file.

Examples
--------
>>> t = read_table("respondent_id;sp1\\nR1;4\\n".encode("utf-8-sig"), "r.csv")
>>> t.header, t.frame.loc[2].tolist(), t.notes
(['respondent_id', 'sp1'], ['R1', '4'], ['encoding: utf-8 with BOM', 'delimiter: ;'])
"""

from __future__ import annotations

import csv
import datetime as _dt
import io
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from survey.errors import ResponseFileError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

__all__ = [
    "Table",
    "alnum",
    "as_text",
    "column_letter",
    "decode",
    "elapsed_seconds",
    "find_column",
    "final_names",
    "normalise_name",
    "read_table",
    "shared_letters",
    "sniff_delimiter",
    "unique_names",
]

#: Rows scanned for the header when title rows may sit above it.
HEADER_SCAN_ROWS = 30
DELIMITERS = (",", ";", "\t")
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and other OLE2 files)
_SPACES = re.compile(r"\s+")


def normalise_name(text: object) -> str:
    """Fold a header or label for matching: NFKC, case-folded, inner spaces collapsed.

    Examples
    --------
    >>> normalise_name("  Strongly   Agree ")
    'strongly agree'
    >>> normalise_name("ＳＰ１")
    'sp1'
    """
    s = unicodedata.normalize("NFKC", str(text))
    return _SPACES.sub(" ", s).strip().casefold()


@dataclass
class Table:
    """A decoded table: the header row and the data rows under it (see module docs)."""

    header: list[str]
    frame: pd.DataFrame
    file: str
    header_row: int = 1
    notes: list[str] = field(default_factory=list)

    @property
    def n_rows(self) -> int:
        """Number of data rows."""
        return len(self.frame)

    def text(self, position: int) -> pd.Series:
        """Column ``position`` as text (``str`` cells, missing stays missing).

        Numbers kept as floats come back without a trailing ``.0`` when whole.
        """
        return as_text(self.frame[position])

    def column(self, name: str) -> int | None:
        """Position of the first header cell equal to ``name`` (case-insensitive)."""
        want = normalise_name(name)
        for j, h in enumerate(self.header):
            if normalise_name(h) == want:
                return j
        return None

    def drop_leading_rows(self, n: int) -> Table:
        """The same table without its first ``n`` data rows (extra header rows)."""
        return Table(
            header=list(self.header),
            frame=self.frame.iloc[n:],
            file=self.file,
            header_row=self.header_row,
            notes=list(self.notes),
        )

    def named(self) -> pd.DataFrame:
        """The data with header text as column names (blank/repeated names made unique).

        A blank header becomes ``column_<letter>`` (``column_C``); a repeated one gets
        ``.2``, ``.3``, ... appended, as a spreadsheet user would tell them apart.
        """
        return self.frame.set_axis(unique_names(self.header), axis=1)


def unique_names(header: list[str]) -> list[str]:
    """Header cells made usable as column names (see :meth:`Table.named`)."""
    out: list[str] = []
    seen: dict[str, int] = {}
    for j, h in enumerate(header):
        name = h if h else f"column_{column_letter(j)}"
        if name in seen:
            seen[name] += 1
            name = f"{name}.{seen[name]}"
        else:
            seen[name] = 1
        out.append(name)
    return out


def final_names(names: list[str], assigned: dict[int, str]) -> list[str]:
    """Column names after a reader matched some columns to instrument variables.

    Parameters
    ----------
    names : list of str
        The header cells.
    assigned : dict of int to str
        Column position -> instrument variable, for the columns the reader recognised.

    Returns
    -------
    list of str
        The variable for matched columns; for the rest their header made unique (see
        :func:`unique_names`), with ``(column C)`` added where it would clash with a
        variable.

    Examples
    --------
    >>> final_names(["Q1", "sp1", ""], {0: "sp1"})
    ['sp1', 'sp1 (column B)', 'column_C']
    """
    base = unique_names(names)
    used = set(assigned.values())
    out = []
    for j, name in enumerate(base):
        if j in assigned:
            out.append(assigned[j])
            continue
        if name in used:
            name = f"{name} (column {column_letter(j)})"
        used.add(name)
        out.append(name)
    return out


def find_column(final: list[str], names: list[str], wanted: Iterable[str]) -> str | None:
    """Final name of the first column whose header is one of ``wanted`` (any case).

    Parameters
    ----------
    final : list of str
        Column names as :func:`final_names` gave them.
    names : list of str
        The header cells, in the same order.
    wanted : iterable of str
        Header names to look for.

    Returns
    -------
    str or None

    Examples
    --------
    >>> find_column(["respondent_id", "Finished"], ["ResponseId", "Finished"],
    ...             ("ResponseID",))
    'respondent_id'
    """
    want = {normalise_name(w) for w in wanted}
    for f, n in zip(final, names, strict=True):
        if normalise_name(n) in want:
            return f
    return None


def alnum(text: str) -> str:
    """Letters and digits of a folded name only (``SP[sp1]`` -> ``spsp1``).

    Examples
    --------
    >>> alnum("Self-Promotion 1")
    'selfpromotion1'
    """
    return re.sub(r"[^0-9a-z]", "", normalise_name(text))


def shared_letters(ids: tuple[str, ...]) -> str:
    """The leading letters every item id shares (``sp`` for ``sp1`` ... ``sp6``).

    Examples
    --------
    >>> shared_letters(("sp1", "sp2", "spx3"))
    'sp'
    """
    if not ids:
        return ""
    first = re.match(r"[A-Za-z]*", ids[0]).group(0).casefold()
    for i in ids[1:]:
        lead = re.match(r"[A-Za-z]*", i).group(0).casefold()
        while first and not lead.startswith(first):
            first = first[:-1]
    return first


def column_letter(position: int) -> str:
    """Spreadsheet column letter of a 0-based position (0 -> A, 27 -> AB)."""
    s = ""
    n = position + 1
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


# ---- text ----------------------------------------------------------------------------

def decode(data: bytes, file: str) -> tuple[str, str]:
    """Decode the bytes of a text file; return ``(text, description of the encoding)``.

    A byte-order mark decides (UTF-8, UTF-16 LE/BE); otherwise UTF-8, then GB18030 (a
    superset of GBK, what Chinese-language Excel writes as "CSV"), are tried in turn.

    Parameters
    ----------
    data : bytes
        The whole file.
    file : str
        The file's name, for messages.

    Returns
    -------
    tuple of (str, str)
        The text and how it was decoded (``"utf-8 with BOM"``, ``"gb18030"``, ...).

    Raises
    ------
    ResponseFileError
        When none of them decodes the file.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return _decode_strict(data[3:], "utf-8", file), "utf-8 with BOM"
    if data.startswith(b"\xff\xfe"):
        return _decode_strict(data[2:], "utf-16-le", file), "utf-16 LE"
    if data.startswith(b"\xfe\xff"):
        return _decode_strict(data[2:], "utf-16-be", file), "utf-16 BE"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    row = data[: utf8_error.start].count(b"\n") + 1
    raise ResponseFileError(
        f"cannot decode the file: byte 0x{data[utf8_error.start]:02x} is not valid UTF-8 "
        "and the file is not GB18030/GBK either; save it as 'CSV UTF-8' (or UTF-16) and "
        "try again",
        file=file,
        row=row,
    )


def _decode_strict(data: bytes, encoding: str, file: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as exc:
        raise ResponseFileError(
            f"the file starts with a {encoding} byte-order mark but byte {exc.start} is not "
            f"valid {encoding}; save it again from the spreadsheet program",
            file=file,
        ) from None


def sniff_delimiter(text: str) -> str:
    """Pick the delimiter (``,`` ``;`` or tab) that splits the first lines most evenly.

    Each candidate parses the first 50 lines; the one whose most common field count is
    highest (more than 1), with ties broken by how many lines share that count, wins.
    A file with one column gives ``,``.

    Examples
    --------
    >>> sniff_delimiter('"a";"b,c"\\n"1";"2"\\n')
    ';'
    >>> sniff_delimiter("a\\tb\\n1\\t2\\n")
    '\\t'
    """
    head = text[:65536]
    lines = head.splitlines(keepends=True)[:50]
    if len(head) == 65536 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut
    best = (0, 0, ",")
    for d in DELIMITERS:
        counts: dict[int, int] = {}
        try:
            for rec in csv.reader(lines, delimiter=d):
                if rec:
                    counts[len(rec)] = counts.get(len(rec), 0) + 1
        except csv.Error:
            continue
        if not counts:
            continue
        # the widest field count shared by at least two lines (or the only line)
        shared = [k for k, v in counts.items() if v >= 2 or len(lines) <= 2]
        width = max(shared) if shared else max(counts)
        score = (width, counts.get(width, 0), d)
        if width > 1 and (score[0], score[1]) > (best[0], best[1]):
            best = score
    return best[2]


def _read_text_table(data: bytes, file: str) -> tuple[list[list[Any]], list[str]]:
    text, enc = decode(data, file)
    notes = [f"encoding: {enc}"]
    if not text.strip():
        raise ResponseFileError("the file is empty; export the responses again", file=file)
    if "\r\r\n" in text:  # CRLF converted to CRLF again: not a blank line per row
        text = text.replace("\r\r\n", "\r\n")
        notes.append("line ends \\r\\r\\n read as one")
    delim = sniff_delimiter(text)
    notes.append("delimiter: " + {"\t": "tab"}.get(delim, delim))
    # A free-text answer may be longer than the csv module's default limit (128 KiB);
    # no cell can be longer than the file.
    if csv.field_size_limit() < len(text):
        csv.field_size_limit(len(text) + 1)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
    rows: list[list[Any]] = []
    try:
        for rec in reader:
            rows.append(rec)
    except csv.Error as exc:
        raise ResponseFileError(
            f"cannot read the file as text separated by {notes[-1].split(': ')[1]}: {exc}",
            file=file, row=len(rows) + 1,
        ) from None
    return rows, notes


# ---- workbooks -------------------------------------------------------------------------

def _read_workbook(data: bytes, file: str,
                   kind: str = ".xlsx") -> tuple[list[list[Any]], list[str]]:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - calamine raises several unrelated types
        raise ResponseFileError(
            f"cannot open as an {kind} workbook ({str(exc).splitlines()[0]}); save it again "
            "from the spreadsheet program",
            file=file,
        ) from None
    names = wb.sheet_names
    if not names:
        raise ResponseFileError("the workbook has no sheets", file=file)
    # the first sheet with anything in it (platform exports put the data first)
    for name in names:
        sheet = wb.get_sheet_by_name(name)
        rows = sheet.to_python(skip_empty_area=False)
        if any(any(c not in ("", None) for c in r) for r in rows[:HEADER_SCAN_ROWS]):
            notes = [f"sheet: {name}"]
            filled = _fill_merged(rows, getattr(sheet, "merged_cell_ranges", None) or ())
            if filled:
                shown = ", ".join(filled[:5]) + (" ..." if len(filled) > 5 else "")
                notes.append(f"merged cells {shown} read as their first cell's value")
            return rows, notes
    raise ResponseFileError("the workbook has no data in any sheet", file=file)


def _read_xls(data: bytes, file: str) -> tuple[list[list[Any]], list[str]]:
    """An old Excel (BIFF, ``.xls``) workbook, which calamine reads as it reads .xlsx.

    An OLE2 file calamine cannot open and that is named ``.xlsx`` is most often a
    password-protected workbook (Excel encrypts it into an OLE2 container).
    """
    try:
        rows, notes = _read_workbook(data, file, kind=".xls")
    except ResponseFileError as exc:
        if not str(file).lower().endswith((".xlsx", ".xlsm")) or "cannot open" not in \
                exc.message:
            raise
        raise ResponseFileError(
            "the workbook is password-protected (Excel then stores it in a container "
            "that cannot be read without the password); open it in Excel or LibreOffice, "
            "remove the password and save it as .xlsx",
            file=file,
        ) from None
    return rows, ["format: .xls (Excel 97-2003 workbook)", *notes]


def _fill_merged(rows: list[list[Any]], ranges: Iterable[Any]) -> list[str]:
    """Give every cell of a merged range the value of its top-left cell, in place.

    A spreadsheet shows a merged range's value across all its cells (a researcher who
    merges the region cells of three respondents means all three), but the file stores
    it in the first cell only. Returns the ranges filled, as ``B2:B4``.
    """
    done = []
    for (r0, c0), (r1, c1) in ranges:
        if r0 >= len(rows) or c0 >= len(rows[r0]):
            continue
        value = rows[r0][c0]
        for r in range(r0, min(r1, len(rows) - 1) + 1):
            row = rows[r]
            for c in range(c0, c1 + 1):
                if c < len(row) and row[c] in ("", None):
                    row[c] = value
        done.append(f"{column_letter(c0)}{r0 + 1}:{column_letter(c1)}{r1 + 1}")
    return done


def _looks_like_workbook(data: bytes) -> bool:
    return data.startswith(_ZIP_MAGIC)


# ---- the table ------------------------------------------------------------------------

def read_table(
    data: bytes,
    file: str,
    *,
    expected: Iterable[str] = (),
) -> Table:
    """Decode the bytes of a response file into a :class:`Table`.

    Parameters
    ----------
    data : bytes
        The whole file. Workbooks are recognised by their content: ``.xlsx`` is a zip
        archive, an old Excel ``.xls`` (97-2003, BIFF) an OLE2 file; both are read with
        calamine, whatever the file is named. Anything else is read as delimited text.
    file : str
        The file name, for messages and to recognise an HTML page saved as ``.xls``.
    expected : iterable of str
        Header names (variable names, labels, platform column names) that mark the
        header row. The header is the first of the first 30 rows holding at least
        ``min(2, len(expected))`` of them (compared with :func:`normalise_name`, also
        after the last ``/``); when no row qualifies, row 1 is the header.

    Returns
    -------
    Table

    Raises
    ------
    ResponseFileError
        Empty file, undecodable text, unreadable or password-protected workbook, an
        HTML page named ``.xls``.
    """
    import pandas as pd

    if not data or not data.strip():
        raise ResponseFileError("the file is empty; export the responses again", file=file)
    name = str(file).lower()
    if data.startswith(_OLE_MAGIC):
        rows, notes = _read_xls(data, file)
        if name.endswith((".xlsx", ".xlsm", ".csv", ".tsv", ".txt")):
            notes.insert(0, f"named .{name.rsplit('.', 1)[-1]} but is an old .xls "
                         "workbook, read as such")
        from_workbook = True
    elif name.endswith(".xls") and data.lstrip()[:1] == b"<":
        raise ResponseFileError(
            "named .xls but holds a web page (HTML), not a workbook; open it in Excel or "
            "LibreOffice and save it as .xlsx or CSV UTF-8",
            file=file,
        )
    elif _looks_like_workbook(data):
        rows, notes = _read_workbook(data, file)
        if name.endswith((".csv", ".tsv", ".txt")):
            notes.insert(0, "named like a text file but is an .xlsx workbook, read as such")
        elif name.endswith(".xls"):
            notes.insert(0, "named .xls but is an .xlsx workbook, read as such")
        from_workbook = True
    else:
        named_workbook = name.endswith((".xlsx", ".xlsm", ".xls"))
        try:
            rows, notes = _read_text_table(data, file)
        except ResponseFileError as exc:
            if not named_workbook:
                raise
            what = "an old Excel file" if name.endswith(".xls") else "a zip archive"
            raise ResponseFileError(
                f"not an .{name.rsplit('.', 1)[-1]} workbook (it is not {what}) nor a text "
                "file; save it again from the spreadsheet program as .xlsx or CSV UTF-8",
                file=file,
            ) from exc
        if named_workbook:
            notes.insert(0, f"named .{name.rsplit('.', 1)[-1]} but holds delimited text, "
                         "read as such")
        from_workbook = False

    # drop trailing empty rows (spreadsheets and CSV writers leave them)
    end = len(rows)
    while end and _row_empty(rows[end - 1]):
        end -= 1
    rows = rows[:end]
    if not rows:
        raise ResponseFileError("the file is empty; export the responses again", file=file)

    h = _find_header(rows, expected)
    if h > 0:
        notes.append(f"header row: {h + 1} (rows above it skipped)")
    header = [_header_text(c) for c in rows[h]]
    named = len(header)
    body = rows[h + 1:]
    width = max([len(header), *(len(r) for r in body)]) if body else len(header)
    header += [""] * (width - len(header))
    # trim wholly blank trailing header columns with no data under them
    if from_workbook:
        frame = _workbook_frame(body, width, h + 2)
    else:
        short = [h + 2 + i for i, r in enumerate(body)
                 if len(r) < named and not _row_empty(r)]
        if short:
            shown = ", ".join(map(str, short[:5])) + (" ..." if len(short) > 5 else "")
            notes.append(f"row{'s' if len(short) > 1 else ''} {shown}: fewer cells than the "
                         "header (a line break inside an unquoted cell?); the missing cells "
                         "read as blank")
        if any(len(r) != width for r in body):
            body = [r + [""] * (width - len(r)) for r in body]
        frame = pd.DataFrame(body, columns=range(width) if body else None, dtype=object)
        if not body:
            frame = pd.DataFrame({j: pd.Series([], dtype=object) for j in range(width)})
        frame.index = pd.RangeIndex(h + 2, h + 2 + len(body))
        frame = frame.mask(frame == "")
    while width and header[-1] == "" and frame[width - 1].isna().all():
        frame = frame.drop(columns=width - 1)
        header.pop()
        width -= 1
    return Table(header=header, frame=frame, file=file, header_row=h + 1, notes=notes)


def _row_empty(row: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in row)


def _header_text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _find_header(rows: list[list[Any]], expected: Iterable[str]) -> int:
    want: set[str] = set()
    for e in expected:
        if e:
            want.add(normalise_name(e))
    if not want:
        return 0
    need = min(2, len(want))
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        hits = 0
        for c in row:
            if c is None or c == "":
                continue
            n = normalise_name(c)
            if n in want or n.rsplit("/", 1)[-1] in want:
                hits += 1
        if hits >= need:
            return i
    return 0


def _excel_cell_text(v: Any) -> Any:
    """Text of one workbook cell that is not a plain number or string."""
    if isinstance(v, _dt.datetime):
        if v.microsecond:
            return v.isoformat(timespec="milliseconds")
        if v.hour == v.minute == v.second == 0:
            return v.date().isoformat()
        return v.isoformat(timespec="seconds")
    if isinstance(v, _dt.date):
        return v.isoformat()
    if isinstance(v, _dt.time):
        return v.isoformat(timespec="seconds")
    if isinstance(v, _dt.timedelta):
        return str(v.total_seconds())
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float):
        return _float_text(v)
    return str(v)


def _float_text(v: float) -> str:
    return str(int(v)) if v.is_integer() else repr(v)


def _workbook_frame(body: list[list[Any]], width: int, start_row: int) -> pd.DataFrame:
    """Workbook rows to a frame: empty -> missing, all-number columns -> float64,
    dates and other cells -> text (one pass per column, vectorised where it counts)."""
    import numpy as np
    import pandas as pd

    index = pd.RangeIndex(start_row, start_row + len(body))
    if not body:
        return pd.DataFrame({j: pd.Series([], dtype=object) for j in range(width)})
    if any(len(r) != width for r in body):
        body = [list(r) + [""] * (width - len(r)) for r in body]
    # Row-major work first: cells were created row by row, so this order is cache-friendly.
    grid = np.empty((len(body), width), dtype=object)
    grid[:] = body
    empty = grid == ""
    if not isinstance(empty, np.ndarray):  # pragma: no cover - defensive
        empty = np.zeros(grid.shape, dtype=bool)
    grid[empty] = None
    out: dict[int, Any] = {}
    for j in range(width):
        col = grid[:, j]
        e = empty[:, j]
        if e.all():
            out[j] = np.full(len(col), None, dtype=object)
            continue
        kind = pd.api.types.infer_dtype(col, skipna=True)
        if kind in ("floating", "integer", "mixed-integer-float"):
            col = col.copy()
            col[e] = np.nan
            out[j] = col.astype(np.float64)
            continue
        if kind != "string":
            col = np.array([v if v is None or isinstance(v, str) else _excel_cell_text(v)
                            for v in col], dtype=object)
        else:
            col = col.copy()
        out[j] = col
    return pd.DataFrame(out, index=index)


def as_text(s: pd.Series) -> pd.Series:
    """A column as text cells: whole numbers without ``.0``, missing stays ``None``.

    Parameters
    ----------
    s : pandas.Series
        A column of a :class:`Table` (``float64`` from a workbook, or text).

    Returns
    -------
    pandas.Series
        ``object`` dtype holding ``str`` or ``None``.

    Examples
    --------
    >>> import pandas as pd
    >>> as_text(pd.Series([4.0, 2.5, None, 1e20, float("inf")])).tolist()
    ['4', '2.5', None, '100000000000000000000', 'inf']
    """
    import numpy as np
    import pandas as pd

    if pd.api.types.is_float_dtype(s.dtype):
        vals = s.to_numpy()
        out = np.empty(len(vals), dtype=object)
        ok = ~np.isnan(vals)
        finite = np.isfinite(vals)
        # whole numbers that fit in int64 the fast way; 1e20 and the like through int()
        whole = finite & (vals == np.floor(np.where(finite, vals, 0)))
        small = whole & (np.abs(np.where(finite, vals, 0)) < 2.0**62)
        out[small] = vals[small].astype(np.int64).astype(str)
        big = whole & ~small
        out[big] = [str(int(v)) for v in vals[big]]
        rest = ok & ~whole
        out[rest] = [repr(float(v)) for v in vals[rest]]
        out[~ok] = None
        return pd.Series(out, index=s.index, dtype=object)
    if pd.api.types.is_numeric_dtype(s.dtype):
        return as_text(s.astype("float64"))
    return s.astype(object).where(s.notna(), None)


def elapsed_seconds(start: pd.Series, end: pd.Series) -> pd.Series:
    """Seconds from ``start`` to ``end``, two columns of ISO 8601 timestamps.

    Timestamps with a zone are compared in UTC; those without one are taken as being in
    the same (unknown) zone, which leaves their difference unchanged. A cell that is not
    a timestamp gives ``NaN``.

    Parameters
    ----------
    start, end : pandas.Series
        Columns of a :class:`Table` (text, or numbers that are not times).

    Returns
    -------
    pandas.Series
        ``float64`` seconds, same index as ``start``.

    Examples
    --------
    >>> import pandas as pd
    >>> elapsed_seconds(pd.Series(["2024-05-01T10:00:00+08:00", "2024-05-01 09:00:00", None]),
    ...                 pd.Series(["2024-05-01T02:05:00Z", "2024-05-01 09:00:30", "x"])).tolist()
    [300.0, 30.0, nan]
    """
    import pandas as pd

    def parse(s: pd.Series) -> pd.Series:
        return pd.to_datetime(as_text(s), errors="coerce", utc=True, format="ISO8601")

    delta = parse(end) - parse(start)
    return pd.Series(delta.dt.total_seconds().to_numpy(dtype=float), index=start.index)
