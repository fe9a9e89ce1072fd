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
    cell) -- no type guessing -- with these exceptions: a column whose every non-empty
    cell is a number (a workbook's number column, or a text column of whole numbers
    written plainly, ``4`` not ``04``) is kept as ``float64`` (``NaN`` for empty), so
    numbers are not printed and parsed again and its text reads back unchanged through
    :func:`as_text`; and Excel dates and times are written as ISO 8601 text
    (``2024-03-04`` or ``2024-03-04T09:12:05``). Use :meth:`Table.text` when a column
    must be text. Rows below the header that are wholly empty are kept (validation
    rejects them and counts them as read), except trailing empty rows at the end of the
    file, which are dropped, and runs of more than 100, which are skipped and noted.
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
>>> t.header, [t.text(j).loc[2] for j in range(2)], t.frame[1].dtype.name, t.notes
(['respondent_id', 'sp1'], ['R1', '4'], 'float64', ['encoding: utf-8 with BOM', 'delimiter: ;'])
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

from survey.errors import ResponseFileError, did_you_mean

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
    #: Row -> (reason, message) for rows the file's structure makes unusable (a row of a
    #: text file with more or fewer cells than the header); validation rejects them.
    bad_rows: dict[int, tuple[str, str]] = field(default_factory=dict)
    #: Row -> the cells beyond the header's width, kept for the rejected-rows output.
    extra_cells: dict[int, list[str]] = field(default_factory=dict)
    #: (row, column position, value, reason, message) for cells read as blank that held
    #: something (a formula without a saved result, a spreadsheet error).
    cell_notes: list[tuple[int, int, str, str, str]] = field(default_factory=list)
    #: For a workbook whose sheet was not chosen by its header: which sheet was read and
    #: which others there are, to add to a refusal about the content.
    sheet_hint: str | None = None

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
            bad_rows=dict(self.bad_rows),
            extra_cells=dict(self.extra_cells),
            cell_notes=list(self.cell_notes),
            sheet_hint=self.sheet_hint,
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

#: Encodings ``--encoding`` accepts besides any name Python's codecs know.
_ENCODING_NOTES = {"cp1252": "cp1252 (Windows Western European)"}
#: A valid UTF-8 multi-byte sequence.
_UTF8_SEQ = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}"
                       rb"|[\xf0-\xf4][\x80-\xbf]{3}")
#: A GB18030 character of two or four bytes.
_GB_SEQ = re.compile(rb"[\x81-\xfe](?:[\x30-\x39][\x81-\xfe][\x30-\x39]|[\x40-\x7e\x80-\xfe])")
#: cp1252 leaves these five bytes undefined.
_CP1252_HOLES = frozenset(b"\x81\x8d\x8f\x90\x9d")


def _where(data: bytes, offset: int, encoding: str | None = None) -> tuple[int, str]:
    """Row (lines counted as a text editor counts them) and a description of a byte.

    With ``encoding`` (in which the bytes before ``offset`` decode), the line breaks are
    counted in the decoded text: a UTF-16 character may hold a 0x0a byte.
    """
    before = data[:offset]
    row = (before.decode(encoding).count("\n") if encoding else before.count(b"\n")) + 1
    return row, f"byte 0x{data[offset]:02x} at offset {offset:,}"


def decode(data: bytes, file: str, encoding: str | None = None) -> tuple[str, str]:
    """Decode the bytes of a text file; return ``(text, description of the encoding)``.

    The encoding is decided by evidence, never by trying codecs until one does not fail
    (any byte string is valid Latin-1, and most are valid GB18030):

    1. a byte-order mark decides (UTF-8, UTF-16 LE/BE);
    2. text that is valid UTF-8 is UTF-8;
    3. text that is UTF-8 but for a few stray bytes (two in three of its bytes above 127
       form valid UTF-8 sequences; GBK and Windows-1252 text rarely reach one in three)
       is refused, naming the first stray byte: reading it in another encoding would
       garble every other non-ASCII character ("Zürich" as "Z眉rich");
    4. GB18030/GBK (what Chinese-language Excel writes as "CSV") when it decodes and four
       in five of its two-byte characters are GB2312 hanzi or punctuation (both bytes from
       0xA1), which Western text read as GBK never is;
    5. Windows-1252 (Western European Excel) when it decodes;
    6. otherwise the file is refused.

    Parameters
    ----------
    data : bytes
        The whole file.
    file : str
        The file's name, for messages.
    encoding : str, optional
        Decode with this encoding (``--encoding``), strictly, instead of deciding.

    Returns
    -------
    tuple of (str, str)
        The text and how it was decoded (``"utf-8 with BOM"``, ``"gb18030"``, ...).

    Raises
    ------
    ResponseFileError
        When the evidence is mixed or no encoding fits; the message names the first byte
        at fault, its offset and row.

    Examples
    --------
    >>> decode("Zürich".encode("cp1252"), "r.csv")
    ('Zürich', 'cp1252 (Windows Western European)')
    >>> decode("中国".encode("gbk"), "r.csv")
    ('中国', 'gb18030')
    """
    import codecs

    if encoding is not None:
        try:
            name = codecs.lookup(encoding).name
        except LookupError:
            raise ResponseFileError(
                f"--encoding: unknown encoding '{encoding}'; give one such as utf-8, "
                "gb18030, cp1252, utf-16 or latin-1", file=file) from None
        try:
            text = data.decode(name)
        except UnicodeDecodeError as exc:
            row, what = _where(data, exc.start, name)
            raise ResponseFileError(
                f"cannot decode the file as {name} (--encoding): {what} is not valid "
                f"{name}; give the encoding the file was saved in", file=file, row=row,
            ) from None
        if text.startswith("\ufeff"):
            text = text[1:]
        return text, f"{_ENCODING_NOTES.get(name, name)} (as asked)"
    if data.startswith(b"\xef\xbb\xbf"):
        return _decode_strict(data, 3, "utf-8", file), "utf-8 with BOM"
    if data.startswith(b"\xff\xfe"):
        return _decode_strict(data, 2, "utf-16-le", file), "utf-16 LE"
    if data.startswith(b"\xfe\xff"):
        return _decode_strict(data, 2, "utf-16-be", file), "utf-16 BE"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    nul = data.find(b"\x00")
    if nul >= 0:
        row, what = _where(data, nul)
        raise ResponseFileError(
            f"not a text file: it holds binary data ({what}); export the responses as "
            "CSV or .xlsx", file=file, row=row)
    high = sum(1 for b in data if b > 127) if len(data) < 4096 else \
        len(data) - len(data.translate(None, bytes(range(128, 256))))
    in_utf8 = sum(len(m) for m in _UTF8_SEQ.findall(data))
    if in_utf8 >= 2 * (high - in_utf8):
        row, what = _where(data, first_bad)
        raise ResponseFileError(
            f"cannot decode the file: it is UTF-8 except for {what}, which is not; fix or "
            "delete that byte (reading the file in another encoding would garble every "
            "accented or Chinese character), or name the encoding with --encoding",
            file=file, row=row)
    try:
        text = data.decode("gb18030")
    except UnicodeDecodeError:
        text = None
    if text is not None:
        chars = _GB_SEQ.findall(data)
        gb2312 = sum(1 for c in chars if len(c) == 2 and 0xA1 <= c[0] <= 0xF7 and c[1] >= 0xA1)
        if chars and gb2312 >= 0.8 * len(chars):
            return text, "gb18030"
    hole = next((i for i, b in enumerate(data) if b in _CP1252_HOLES), None)
    if hole is None:
        return data.decode("cp1252"), _ENCODING_NOTES["cp1252"]
    row, what = _where(data, first_bad)
    raise ResponseFileError(
        f"cannot decode the file: {what} is not valid UTF-8, and the file is not GB18030/GBK "
        "or Windows-1252 text either; save it as 'CSV UTF-8' (or UTF-16), or name the "
        "encoding with --encoding", file=file, row=row)


def _decode_strict(data: bytes, bom: int, encoding: str, file: str) -> str:
    """Decode ``data`` after its ``bom`` bytes of byte-order mark, or refuse naming the row
    and the file offset of the first byte that is not ``encoding``."""
    body = data[bom:]
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        row, _ = _where(body, exc.start, encoding)
        _, what = _where(data, bom + exc.start)  # its offset in the file, the mark included
        raise ResponseFileError(
            f"the file starts with a {encoding} byte-order mark but {what} is not valid "
            f"{encoding}; save it again from the spreadsheet program",
            file=file, row=row,
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


def prefetch_pandas() -> None:
    """Import pandas on another thread, so that its import (a third of a second) overlaps
    with reading and parsing a file, which need only pyarrow and numpy.

    Whoever imports pandas next waits for this import to finish, as Python's import
    system has it; a failed import is left for that import to report.
    """
    import sys
    import threading

    if "pandas" in sys.modules or any(t.name == "import-pandas"
                                      for t in threading.enumerate()):
        return

    def load() -> None:
        try:
            import pandas  # noqa: F401
        except BaseException:  # noqa: BLE001, S110 - reported by the next import
            pass

    threading.Thread(target=load, name="import-pandas").start()


class _NotTextProblem(Exception):
    """Carries a refusal about the content (not about reading the text) past the
    handler that words text-reading refusals of a file named like a workbook."""

    def __init__(self, error: ResponseFileError) -> None:
        super().__init__(str(error))
        self.error = error


@dataclass
class _TextStream:
    """The fast parser's batches of a text file, and what converting them needs."""

    stream: Any
    size: int      # bytes parsed (bounds the rows)
    quoted: bool   # the text holds a quote (only then can a cell hold a line break)
    delim: str


def _read_text_table(data: bytes, file: str, encoding: str | None = None,
                     use_fast: bool = True) -> tuple[Any, list[str]]:
    """The records of a text file: the fast parser's stream of batches when it can read
    the file (see :func:`_arrow_parse`), else lists of cells from the csv module."""
    text: str | None = None
    if encoding is None and data.isascii() and b"\r\r\n" not in data:
        # plain ASCII is UTF-8 as it is: the checks below look at the bytes, and no
        # decoded copy of the file is made unless the careful reading needs it
        enc = "utf-8"
        if not data or _BLANK_ASCII.fullmatch(data):
            raise ResponseFileError("the file is empty; export the responses again",
                                    file=file)
        notes = [f"encoding: {enc}"]
        delim = sniff_delimiter(data[:65536].decode("ascii"))
        size, quoted = len(data), b'"' in data
        source: Any = data
    else:
        text, enc = decode(data, file, encoding)
        notes = [f"encoding: {enc}"]
        if not text or text.isspace():
            raise ResponseFileError("the file is empty; export the responses again",
                                    file=file)
        changed = "\r\r\n" in text
        if changed:  # CRLF converted to CRLF again: not a blank line per row
            text = text.replace("\r\r\n", "\r\n")
            notes.append("line ends \\r\\r\\n read as one")
        delim = sniff_delimiter(text)
        size, quoted = len(text), '"' in text  # only a quoted cell holds a line break
        if not changed and enc in ("utf-8", "utf-8 with BOM"):
            # the file's own bytes are the text in UTF-8: parse them, and let the
            # decoded text (as large as the file) go first
            source = memoryview(data)[3:] if enc == "utf-8 with BOM" else data
            size = len(source)
            text = None
        else:
            source = text.encode("utf-8")
            size = len(source)
    shown = {"\t": "tab"}.get(delim, delim)
    notes.append("delimiter: " + shown)
    # A free-text answer may be longer than the csv module's default limit (128 KiB);
    # no cell can be longer than the file.
    if csv.field_size_limit() < size:
        csv.field_size_limit(size + 1)
    fast = _arrow_parse(source, delim) if use_fast else None
    if fast is not None:
        return _TextStream(fast, size, quoted, delim), notes
    if text is None:
        text = bytes(source).decode("utf-8")
    del source
    try:
        # strict first: it stops at a quote that is never closed; anything else it
        # dislikes (a quote inside a cell) is read leniently, as spreadsheets do
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True))
    except csv.Error:
        rows = []
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim)
        try:
            for rec in reader:
                rows.append(rec)
        except csv.Error as exc:
            raise ResponseFileError(
                f"cannot read the file as text separated by {shown}: {exc}",
                file=file, row=len(rows) + 1,
            ) from None
        _refuse_open_quote(text, rows, delim, file)
    _refuse_swallowed_rows(rows, delim, file)
    return rows, notes


_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def _refuse_open_quote(text: str, rows: list[list[str]], delim: str, file: str) -> None:
    """A quote still open at the end of the file swallowed everything after it."""
    if not rows:
        return
    check = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=True)
    done = 0
    try:
        for _ in check:
            done += 1
    except csv.Error as exc:
        if "unexpected end of data" not in str(exc):
            return
    else:
        return
    where = min(done, len(rows) - 1)
    cells = rows[where]
    col = next((j for j, c in enumerate(cells) if _LINE_BREAK.search(c)), len(cells) - 1)
    lines = len(_LINE_BREAK.findall(cells[col])) if cells else 0
    raise ResponseFileError(
        f'a quote (") opens in this row and is never closed, so the rest of the file '
        f"({lines} more line{'s' if lines != 1 else ''}) reads as one cell; add the closing "
        "quote or remove the opening one",
        file=file, row=where + 1, column=column_letter(col))


def _arrow_parse(text: str | bytes | memoryview, delim: str) -> Any:
    """Parse delimited text with pyarrow's CSV reader, every cell as text; None when it
    cannot read the file as a clean table. ``text`` is a ``str``, or its UTF-8 bytes.

    pyarrow reads quoting exactly as the csv module's lenient mode does (doubled quotes,
    line breaks inside quoted cells, a quote inside an unquoted cell kept as text), but
    in C and column by column. It refuses what needs the careful reading below: rows
    with another cell count than the first (title rows above the header, a cell too
    many or too few), a quote never closed, a cell longer than its block; then the csv
    module reads the file and every check applies. ``""`` comes back as null, which is
    how the csv path's empty cells end up too.

    The result is a stream of record batches of about :data:`ARROW_BLOCK_BYTES` each
    (parsed ahead on the other cores), so that a large file is never held as text cells
    whole: :func:`_table_from_arrow` converts each batch and lets it go. A refusal can
    come part-way through the stream; the careful reading then starts over.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv

    raw = text.encode("utf-8") if isinstance(text, str) else text
    try:
        # the first record only: lines are cut lazily, the text is never copied whole
        first = next(csv.reader(_lines(raw), delimiter=delim), None)
    except csv.Error:
        return None
    if not first:
        return None
    names = [f"c{j}" for j in range(len(first))]
    parse = pacsv.ParseOptions(delimiter=delim, quote_char='"', double_quote=True,
                               escape_char=False, newlines_in_values=True,
                               ignore_empty_lines=False)
    convert = pacsv.ConvertOptions(column_types={c: pa.string() for c in names},
                                   strings_can_be_null=True, null_values=[""],
                                   quoted_strings_can_be_null=True)
    size = len(raw) if not isinstance(raw, memoryview) else raw.nbytes
    if size > ARROW_WHOLE_BYTES:
        try:
            return pacsv.open_csv(
                pa.BufferReader(pa.py_buffer(raw)),
                read_options=pacsv.ReadOptions(column_names=names,
                                               block_size=ARROW_BLOCK_BYTES),
                parse_options=parse, convert_options=convert)
        except pa.ArrowException:
            return None
    # a smaller file at once, its blocks parsed side by side on every core (a row
    # longer than a block: once more as one block)
    block = max(ARROW_BLOCK_BYTES, size // 4)
    for size_of_block in dict.fromkeys((block, max(block, size + 1))):
        try:
            return _Batches(pacsv.read_csv(
                pa.BufferReader(pa.py_buffer(raw)),
                read_options=pacsv.ReadOptions(column_names=names, block_size=size_of_block),
                parse_options=parse, convert_options=convert))
        except pa.ArrowException:
            continue
    return None


class _Batches:
    """A parsed table handed out as record batches, as the streaming reader does."""

    def __init__(self, table: Any) -> None:
        self.schema = table.schema
        self._table = table

    def __iter__(self) -> Any:
        table, self._table = self._table, None
        batches = table.to_batches()
        del table
        while batches:
            yield batches.pop(0)


#: Bytes of text per batch of the fast CSV parser streaming a large file (a row longer
#: than this is read carefully).
ARROW_BLOCK_BYTES = 1 << 20
#: Files up to this size are parsed whole (in parallel), larger ones streamed in batches.
ARROW_WHOLE_BYTES = 1 << 25
#: ASCII text that :meth:`str.isspace` calls blank (it counts \x1c-\x1f as spaces).
_BLANK_ASCII = re.compile(rb"[ \t\n\r\x0b\x0c\x1c-\x1f]*")
#: A line end: ``\r\n``, ``\r`` or ``\n``.
_LINE_END = re.compile(rb"\r\n|\r|\n")


def _lines(raw: bytes | memoryview):
    """The lines of UTF-8 text with their line ends, one at a time, as
    ``io.StringIO(text, newline="")`` gives them (no byte of a multi-byte character is a
    line end, so the bytes are cut where the text is)."""
    start, n = 0, len(raw)
    while start < n:
        m = _LINE_END.search(raw, start)
        end = m.end() if m else n
        yield bytes(raw[start:end]).decode("utf-8")
        start = end


def _refuse_swallowed_arrow(table: Any, delim: str, file: str, first: int = 0) -> None:
    """:func:`_refuse_swallowed_rows` for an Arrow table or batch whose first row is row
    ``first`` of the parsed text (0-based): only its cells with line breaks are looked at."""
    import pyarrow.compute as pc

    width = table.num_columns
    if width < 3:
        return
    rows: dict[int, list[str]] = {}
    for j, col in enumerate(table.columns):
        hit = pc.or_(pc.match_substring(col, "\n"), pc.match_substring(col, "\r"))
        if not pc.any(hit).as_py():
            continue
        for i in pc.indices_nonzero(pc.fill_null(hit, False)).to_pylist():
            rows.setdefault(first + i, [""] * width)[j] = col[i].as_py()
    if rows:
        _refuse_swallowed_rows([rows[i] for i in sorted(rows)], delim, file, width=width,
                               numbers=sorted(rows))


def _refuse_swallowed_rows(rows: list[list[str]], delim: str, file: str,
                           width: int | None = None,
                           numbers: list[int] | None = None) -> None:
    """A cell holding whole rows of the file: a quote opened where it should not be.

    A quote opened by mistake (``"CN-01,,3,...``) runs on to the next quote in the file,
    taking the rows between into one cell. A cell with line breaks is ordinary (a long
    answer); a cell with a line that splits into exactly as many cells as the header has
    is rows of the file, and reading on would give their answers to the wrong person.
    """
    if not rows:
        return
    width = len(rows[0]) if width is None else width
    if width < 3:
        return
    for i, rec in zip(range(len(rows)) if numbers is None else numbers, rows, strict=True):
        for j, cell in enumerate(rec or ()):
            if ("\n" not in cell and "\r" not in cell) or cell.count(delim) < width - 1:
                continue
            inner = _LINE_BREAK.split(cell)
            swallowed = [line for line in inner[1:]
                         if len(next(csv.reader([line], delimiter=delim), [])) == width]
            if swallowed:
                raise ResponseFileError(
                    f'a quote (") opens in column {column_letter(j)} of this row and runs '
                    f"over {len(inner) - 1} line break{'s' if len(inner) > 2 else ''}, taking "
                    f"{len(swallowed)} more row{'s' if len(swallowed) > 1 else ''} of the "
                    "file into one cell; remove that quote or close it where the cell ends",
                    file=file, row=i + 1, column=column_letter(j))


# ---- workbooks -------------------------------------------------------------------------

@dataclass
class _Sheet:
    """What :func:`_read_workbook` found: the rows of the chosen sheet and about it."""

    rows: list[list[Any]]
    notes: list[str]
    name: str
    #: (row index, column index, value, reason, message) of cells read as blank
    cells: list[tuple[int, int, str, str, str]]
    #: Appended to refusals about the content when the sheet was not chosen by its header.
    hint: str | None


def _calamine_failed(exc: BaseException) -> bool:
    """True for calamine's failures on a damaged file: its exceptions, and the panics of
    its Rust code (pyo3's ``PanicException`` derives from ``BaseException``)."""
    return isinstance(exc, Exception) or type(exc).__name__ == "PanicException"


def _ole_cut_short(data: bytes) -> str | None:
    """Why an OLE2 file (a legacy ``.xls``) is cut short, or None.

    The header gives the sector size and where the allocation table lies; the table
    gives the last sector in use. A file ending before it is an incomplete download or
    copy (on which calamine panics instead of failing). Only the header's own 109
    table entries are looked at; files needing more are left to calamine.
    """
    import struct

    if len(data) < 512:
        return None  # not even a header: calamine says it cannot tell the format
    shift = struct.unpack_from("<H", data, 0x1E)[0]
    if shift not in (9, 12):
        return None
    size = 1 << shift
    whole = len(data) // size - 1  # sectors after the header sector
    count = struct.unpack_from("<I", data, 0x2C)[0]
    table = [t for t in struct.unpack_from("<109I", data, 0x4C)[:count] if t < 0xFFFFFFFA]
    per = size // 4
    last = -1
    for k, t in enumerate(table):
        if t >= whole:
            return (f"it ends at byte {len(data):,} but its allocation table reaches byte "
                    f"{(t + 2) * size:,}")
        entries = struct.unpack_from(f"<{per}I", data, (t + 1) * size)
        used = [i for i, e in enumerate(entries) if e != 0xFFFFFFFF]
        if used:
            last = k * per + used[-1]
    if last < whole:
        return None
    return f"it ends at byte {len(data):,} but its sectors reach byte {(last + 2) * size:,}"


def _calamine_problem(exc: BaseException) -> str:
    """calamine's message, one line, cut short (it may quote a whole XML fragment)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _read_workbook(data: bytes, file: str, expected: Iterable[str] = (),
                   sheet: str | None = None, kind: str = ".xlsx") -> _Sheet:
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except BaseException as exc:  # noqa: BLE001 - calamine raises several unrelated types
        if not _calamine_failed(exc):
            raise
        raise ResponseFileError(
            f"cannot open as an {kind} workbook ({_calamine_problem(exc)}); save it again "
            "from the spreadsheet program",
            file=file,
        ) from None
    names = list(wb.sheet_names)
    if not names:
        raise ResponseFileError("the workbook has no sheets", file=file)
    hidden = set()
    try:
        for meta in wb.sheets_metadata:
            if "visible" not in str(meta.visible).lower().rsplit(".", 1)[-1]:
                hidden.add(meta.name)
    except BaseException as exc:  # noqa: BLE001 - visibility is a nicety; all count as visible
        if not _calamine_failed(exc):
            raise

    opened: dict[str, Any] = {}  # calamine parses the whole sheet on opening: once each

    def load(name: str, limit: int | None = None) -> list[list[Any]]:
        try:
            if name not in opened:
                opened[name] = wb.get_sheet_by_name(name)
            got = opened[name]
            if limit is None:
                return got.to_python(skip_empty_area=False)
            out = []
            for row in got.iter_rows():
                out.append(list(row))
                if len(out) >= limit:
                    break
            return out
        except BaseException as exc:  # noqa: BLE001 - calamine raises several unrelated types
            if not _calamine_failed(exc):
                raise
            raise ResponseFileError(
                f"sheet '{name}' is damaged and cannot be read ({_calamine_problem(exc)}); "
                "open the workbook in Excel or LibreOffice and save it again",
                file=file,
            ) from None

    def merged(name: str) -> list[Any]:
        try:
            return list(getattr(opened[name], "merged_cell_ranges", None) or ())
        except BaseException as exc:  # noqa: BLE001 - merged ranges are optional
            if not _calamine_failed(exc):
                raise
            return []

    notes: list[str] = []
    hint = None
    if sheet is not None:
        if sheet not in names:
            shown = ", ".join(f"'{n}'" for n in names)
            raise ResponseFileError(
                f"--sheet: no sheet named '{sheet}'; the workbook has {shown}."
                + did_you_mean(sheet, names), file=file)
        chosen = sheet
        rows = load(chosen)
        notes.append(f"sheet: {chosen}" + (" (hidden; as asked)" if chosen in hidden else ""))
    else:
        visible = [n for n in names if n not in hidden]
        want = _wanted(expected)
        scored = []
        first_filled = None
        for name in visible:
            head = load(name, HEADER_SCAN_ROWS)
            if not any(any(c not in ("", None) for c in r) for r in head):
                continue
            if first_filled is None:
                first_filled = name
            scored.append((_header_hits(head, want)[1], name))
        if not scored:
            if hidden:
                raise ResponseFileError(
                    "the workbook has no data in any visible sheet; hidden sheets ("
                    + ", ".join(f"'{n}'" for n in sorted(hidden))
                    + ") are read only when named with --sheet", file=file)
            raise ResponseFileError("the workbook has no data in any sheet", file=file)
        need = min(2, len(want)) if want else 1
        best = max(h for h, _ in scored)
        if want and best >= need:
            chosen = next(n for h, n in scored if h == best)
        else:
            chosen = first_filled
            if len(names) > 1:
                hint = (f"read sheet '{chosen}' (no sheet has a header naming the "
                        "instrument's variables; the workbook has "
                        + ", ".join(f"'{n}'" + (" (hidden)" if n in hidden else "")
                                    for n in names)
                        + "); name the sheet with --sheet")
        rows = load(chosen)
        notes.append(f"sheet: {chosen}")
        if chosen != names[0]:
            notes.append(f"sheet '{chosen}' read: its header names the instrument's "
                         "variables" if hint is None else f"sheet '{chosen}' read")
        if hidden:
            notes.append("hidden sheet" + ("s " if len(hidden) > 1 else " ")
                         + ", ".join(f"'{n}'" for n in sorted(hidden))
                         + " not read (name one with --sheet to read it)")
    filled = _fill_merged(rows, merged(chosen))
    if filled:
        shown = ", ".join(filled[:5]) + (" ..." if len(filled) > 5 else "")
        notes.append(f"merged cells {shown} read as their first cell's value")
    return _Sheet(rows=rows, notes=notes, name=chosen, cells=_blank_cells(data, chosen),
                  hint=hint)


_FASTEXCEL_TYPES = ("double", "int64", "string", "large_string", "null")
_FIRST_CELL = re.compile(rb"<(?:\w+:)?c\b[^>]*?\br=\"([A-Z]+\d+)\"")
_DEDUP = re.compile(r"^(.*)_(\d+)$")


def _read_workbook_fast(data: bytes, file: str, expected: Iterable[str],
                        sheet: str | None) -> Table | None:
    """A workbook read column by column through fastexcel (Arrow), or None.

    fastexcel parses the sheet with calamine too but hands each column over as one Arrow
    array, so a column of numbers never becomes a million Python floats. It is used only
    where it reads exactly what :func:`_read_workbook` would: one visible sheet (or the
    one ``--sheet`` names) starting at A1 with its header in row 1, no merged cells,
    every column of numbers or of text only (``strict`` types, all rows sampled), header
    cells that fastexcel did not have to rename (blank or repeated ones). Anything else
    (title rows, dates, booleans, mixed columns, several sheets to choose from) goes to
    :func:`_read_workbook`, which handles every case, so the two agree on every file.
    """
    import logging

    import numpy as np
    import pandas as pd

    try:
        import fastexcel
        from python_calamine import CalamineWorkbook
    except ImportError:  # pragma: no cover - both are dependencies
        return None
    # fastexcel logs (to stderr, through Python's last-resort handler) when a column
    # is all blank; the import says what it needs to in its own log
    logging.getLogger("fastexcel").addHandler(logging.NullHandler())
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = list(wb.sheet_names)
        visible = [m.name for m in wb.sheets_metadata
                   if "visible" in str(m.visible).lower().rsplit(".", 1)[-1]]
    except BaseException as exc:  # noqa: BLE001 - the careful path says what is wrong
        if not _calamine_failed(exc):
            raise
        return None
    if sheet is not None:
        if sheet not in names:
            return None
        chosen = sheet
    elif len(visible) == 1 and len(names) == 1:
        chosen = visible[0]
    else:
        return None
    # The sheet's XML is read for what fastexcel does not tell (where the range starts,
    # merged cells, formulas without results, error cells) in a thread, while fastexcel
    # parses the sheet with the GIL released: on two cores the scan costs no time.
    scan: dict[str, Any] = {}

    def look() -> None:
        xml = _sheet_xml(data, chosen)
        if xml is None:
            return
        end = xml.rfind(b"</sheetData>")
        first = _FIRST_CELL.search(xml[:65536])
        scan["ok"] = (first is not None and first.group(1) == b"A1"
                      and b"<mergeCell" not in xml[max(end, 0):])
        if scan["ok"]:
            scan["cells"] = _blank_cells(data, chosen, xml)

    import threading

    worker = threading.Thread(target=look, name="sheet-xml-scan", daemon=True)
    worker.start()
    try:
        got = fastexcel.read_excel(data).load_sheet(
            chosen, header_row=0, dtype_coercion="strict", schema_sample_rows=None,
            skip_whitespace_tail_rows=False, whitespace_as_null=False).to_arrow()
    except BaseException as exc:  # noqa: BLE001 - mixed columns, odd cells: the careful path
        if not _calamine_failed(exc):
            raise
        got = None
    worker.join()
    if got is None or not scan.get("ok"):
        return None
    header = [str(c) for c in got.schema.names]
    if any(h.startswith("__UNNAMED__") for h in header):
        return None
    seen = set(header)
    for h in header:
        m = _DEDUP.match(h)
        if m is not None and m.group(1) in seen:
            return None
    if any(str(t) not in _FASTEXCEL_TYPES for t in got.schema.types):
        return None
    if any(h != h.strip() or not h for h in header):
        return None
    want = _wanted(expected)
    if want and _header_hits([header], want)[1] < min(2, len(want)):
        return None
    cols: dict[int, Any] = {}
    n = got.num_rows
    for j, col in enumerate(got.columns):
        kind = str(col.type)
        if kind in ("double", "int64"):
            cols[j] = col.to_numpy(zero_copy_only=False).astype(np.float64, copy=False)
        elif kind == "null":
            cols[j] = np.full(n, None, dtype=object)
        else:
            values = col.to_numpy(zero_copy_only=False)
            if values.dtype != object:
                values = values.astype(object)
            blank = values == ""
            if blank.any():
                values[blank] = None
            cols[j] = values
    # trailing empty rows, then long runs of empty rows, as the careful path does
    empty = np.ones(n, dtype=bool)
    for v in cols.values():
        if v.dtype == object:
            empty &= np.array([x is None or (isinstance(x, str) and not x.strip())
                               for x in v], dtype=bool) if v.size else empty
        else:
            empty &= np.isnan(v)
    end = n
    while end and empty[end - 1]:
        end -= 1
    notes = [f"sheet: {chosen}" + (" (hidden; as asked)" if chosen not in visible else "")]
    keep = _empty_runs(empty[:end], 2, notes)
    numbers = np.arange(2, end + 2, dtype=np.int64)[keep]
    index = pd.Index(numbers, dtype="int64")
    frame = pd.DataFrame({j: pd.Series(v[:end][keep], index=index, dtype=v.dtype, copy=False)
                          for j, v in cols.items()})
    kept = set(numbers.tolist())
    cells = [(r + 1, c, v, reason, msg) for r, c, v, reason, msg in scan["cells"]
             if r + 1 in kept and c < len(header)]
    if sheet is None and names[0] != chosen:  # pragma: no cover - one sheet only
        notes.append(f"sheet '{chosen}' read")
    return Table(header=header, frame=frame, file=file, header_row=1, notes=notes,
                 cell_notes=cells)


_XML_SHEET = re.compile(rb"<(?:\w+:)?sheet\b([^>]*)/?>")
_XML_ATTR = re.compile(rb'([\w:]+)="([^"]*)"')
_XML_CELL = re.compile(rb"<(?:\w+:)?c\b([^>]*?)(?:/>|>(.*?)</(?:\w+:)?c>)", re.S)
_XML_FORMULA = re.compile(rb"<(?:\w+:)?f\b[^>]*?(?:/>|>(.*?)</(?:\w+:)?f>)", re.S)
_XML_VALUE = re.compile(rb"<(?:\w+:)?v\b[^>]*>(.*?)</(?:\w+:)?v>", re.S)
_CELL_REF = re.compile(r"([A-Z]+)(\d+)")


def _sheet_xml(data: bytes, sheet: str) -> bytes | None:
    """The worksheet XML of ``sheet`` (None when the workbook is laid out otherwise)."""
    import html
    import zipfile
    import zlib

    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        workbook = zf.read("xl/workbook.xml")
        rels = zf.read("xl/_rels/workbook.xml.rels")
        rid = None
        for m in _XML_SHEET.finditer(workbook):
            attrs = {k.split(b":")[-1]: v for k, v in _XML_ATTR.findall(m.group(1))}
            if html.unescape(attrs.get(b"name", b"").decode("utf-8")) == sheet:
                rid = attrs.get(b"id")
                break
        if rid is None:
            return None
        target = None
        for m in re.finditer(rb"<Relationship\b([^>]*)/?>", rels):
            attrs = dict(_XML_ATTR.findall(m.group(1)))
            if attrs.get(b"Id") == rid:
                target = attrs.get(b"Target", b"").decode("utf-8")
        if not target:
            return None
        path = target.lstrip("/") if target.startswith("/") else "xl/" + target
        return zf.read(path)
    except (KeyError, ValueError, OSError, zipfile.BadZipFile, zlib.error, RuntimeError):
        return None


def _blank_cells(data: bytes, sheet: str,
                 xml: bytes | None = None) -> list[tuple[int, int, str, str, str]]:
    """Cells of ``sheet`` that calamine reads as blank but that hold something.

    A formula saved without its result (files written by programs that do not calculate)
    and a cell holding a spreadsheet error (``#N/A``, ``#DIV/0!``) both read as empty; the
    import log should say so rather than let an answer vanish. Best effort: a workbook
    laid out in a way this scan does not follow gives no records.
    """
    import html

    if xml is None:
        xml = _sheet_xml(data, sheet)
    if xml is None:
        return []
    if not _has_formula(xml) and b't="e"' not in xml:
        return []
    out = []
    for m in _XML_CELL.finditer(xml):
        attrs = dict(_XML_ATTR.findall(m.group(1)))
        ref = _CELL_REF.fullmatch(attrs.get(b"r", b"").decode("ascii", "replace"))
        inner = m.group(2) or b""
        if ref is None:
            continue
        row = int(ref.group(2)) - 1
        col = _column_index(ref.group(1))
        value = _XML_VALUE.search(inner)
        if attrs.get(b"t") == b"e":
            err = html.unescape(value.group(1).decode("utf-8", "replace")) if value else "#N/A"
            out.append((row, col, err, "error_value",
                        f"the cell holds the spreadsheet error {err}; cell read as blank"))
            continue
        formula = _XML_FORMULA.search(inner)
        if formula is not None and (value is None or not value.group(1).strip()):
            text = html.unescape((formula.group(1) or b"").decode("utf-8", "replace"))
            shown = f"={text}" if text else "a shared formula"
            out.append((row, col, shown, "formula_no_value",
                        f"{shown!r} is a formula saved without its result (the program that "
                        "wrote the file does not calculate); open and save the workbook in "
                        "Excel or LibreOffice to keep the result; cell read as blank"))
    return out


def _has_formula(xml: bytes) -> bool:
    """True when a cell of the worksheet XML holds a formula element (``<f>``); the
    ``<formula1>`` of a data validation does not count. Fast: ``bytes.find`` only."""
    for tag in (b"<f", b"<x:f"):
        i = xml.find(tag)
        while i >= 0:
            if xml[i + len(tag):i + len(tag) + 1] in (b" ", b">", b"/"):
                return True
            i = xml.find(tag, i + len(tag))
    return False


def _column_index(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n - 1


def _read_xls(data: bytes, file: str, expected: Iterable[str] = (),
              sheet: str | None = None) -> _Sheet:
    """An old Excel (BIFF, ``.xls``) workbook, which calamine reads as it reads .xlsx.

    An OLE2 file calamine cannot open and that is named ``.xlsx`` is most often a
    password-protected workbook (Excel encrypts it into an OLE2 container).
    """
    cut = _ole_cut_short(data)
    if cut is not None:
        raise ResponseFileError(
            f"the workbook is cut short ({cut}): an incomplete download or copy; download "
            "or copy it again", file=file)
    try:
        book = _read_workbook(data, file, expected, sheet, kind=".xls")
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
    book.notes.insert(0, "format: .xls (Excel 97-2003 workbook)")
    return book


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

#: A run of more wholly empty rows than this inside the data is skipped, not counted (a
#: stray cell far below the data would otherwise make a million empty rows).
EMPTY_RUN_LIMIT = 100


def read_table(
    data: bytes,
    file: str,
    *,
    expected: Iterable[str] = (),
    encoding: str | None = None,
    sheet: str | None = None,
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
        after the last ``/``); when no row qualifies, row 1 is the header. In a workbook
        the visible sheet whose header holds most of them is read.
    encoding : str, optional
        Decode a text file with this encoding instead of deciding (see :func:`decode`).
    sheet : str, optional
        Read this sheet of a workbook (hidden ones included) instead of choosing.

    Returns
    -------
    Table

    Raises
    ------
    ResponseFileError
        Empty file, undecodable text, a quote that swallows rows, unreadable or
        password-protected workbook or sheet, an HTML page named ``.xls``.
    """
    if not data or data.isspace():
        raise ResponseFileError("the file is empty; export the responses again", file=file)
    name = str(file).lower()
    hint = None
    blank_cells: list[tuple[int, int, str, str, str]] = []
    if data.startswith(_OLE_MAGIC):
        book = _read_xls(data, file, expected, sheet)
        rows, notes, hint, blank_cells = book.rows, book.notes, book.hint, book.cells
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
        fast = _read_workbook_fast(data, file, expected, sheet)
        if fast is not None:
            if name.endswith((".csv", ".tsv", ".txt")):
                fast.notes.insert(0, "named like a text file but is an .xlsx workbook, read "
                                  "as such")
            elif name.endswith(".xls"):
                fast.notes.insert(0, "named .xls but is an .xlsx workbook, read as such")
            return fast
        book = _read_workbook(data, file, expected, sheet)
        rows, notes, hint, blank_cells = book.rows, book.notes, book.hint, book.cells
        if name.endswith((".csv", ".tsv", ".txt")):
            notes.insert(0, "named like a text file but is an .xlsx workbook, read as such")
        elif name.endswith(".xls"):
            notes.insert(0, "named .xls but is an .xlsx workbook, read as such")
        from_workbook = True
    else:
        named_workbook = name.endswith((".xlsx", ".xlsm", ".xls"))
        try:
            rows, notes = _read_text_table(data, file, encoding)
            fast = None
            if not isinstance(rows, list):
                try:
                    fast = _table_from_arrow(rows.stream, notes, file, expected, rows.size,
                                             rows.quoted, rows.delim)
                except ResponseFileError as exc:
                    if not getattr(exc, "reading_text", False):
                        raise _NotTextProblem(exc) from None
                    raise
                if fast is None:  # the fast parser refused a row part-way: read carefully
                    rows, _ = _read_text_table(data, file, encoding, use_fast=False)
        except _NotTextProblem as wrapped:
            raise wrapped.error from None
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
        if fast is not None:
            return fast
        from_workbook = False

    import pandas as pd

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
    body = rows[h + 1:]
    numbers = list(range(h + 2, h + 2 + len(body)))
    body, numbers = _skip_empty_runs(body, numbers, notes)
    bad_rows: dict[int, tuple[str, str]] = {}
    extra_cells: dict[int, list[str]] = {}
    if not from_workbook:
        body = _check_cell_counts(header, body, numbers, notes, bad_rows, extra_cells)
    width = max([len(header), *(len(r) for r in body)]) if body else len(header)
    header += [""] * (width - len(header))
    if from_workbook:
        frame = _workbook_frame(body, width, numbers)
    else:
        if any(len(r) != width for r in body):
            body = [r + [""] * (width - len(r)) for r in body]
        frame = pd.DataFrame(body, columns=range(width) if body else None, dtype=object)
        if not body:
            frame = pd.DataFrame({j: pd.Series([], dtype=object) for j in range(width)})
        frame.index = pd.Index(numbers, dtype="int64")
        frame = frame.mask(frame == "")
    # trim wholly blank trailing header columns with no data under them
    while width and header[-1] == "" and frame[width - 1].isna().all():
        frame = frame.drop(columns=width - 1)
        header.pop()
        width -= 1
    kept = set(numbers)
    cell_notes = [(r + 1, c, v, reason, msg) for r, c, v, reason, msg in blank_cells
                  if r + 1 in kept and c < width]
    return Table(header=header, frame=frame, file=file, header_row=h + 1, notes=notes,
                 bad_rows=bad_rows, extra_cells=extra_cells, cell_notes=cell_notes,
                 sheet_hint=hint)


def _text_objects(body: Any) -> Any:
    """A column of text as an object array (str, None for empty).

    A column with few distinct texts (a region, a role) holds one ``str`` per distinct
    text, shared by its cells, rather than one per cell: a tenth of the memory, and
    later look-ups hash each text once.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if isinstance(body, pa.ChunkedArray):
        body = body.combine_chunks()
    n = len(body)
    # ids and free text are (nearly) all distinct: a look at the first rows tells
    if n < 1000 or pc.count_distinct(body.slice(0, 1000)).as_py() > 250:
        return body.to_numpy(zero_copy_only=False)
    encoded = pc.dictionary_encode(body)
    if len(encoded.dictionary) > n // 4:
        return body.to_numpy(zero_copy_only=False)
    lookup = np.empty(len(encoded.dictionary) + 1, dtype=object)
    lookup[:-1] = encoded.dictionary.to_numpy(zero_copy_only=False)
    lookup[-1] = None
    codes = encoded.indices.fill_null(len(lookup) - 1).to_numpy(zero_copy_only=False)
    return lookup[codes]


def _single_digits(body: Any) -> Any:
    """float64 of a text column whose every filled cell is one ASCII digit (answer codes
    1-9, the common case), read straight from Arrow's buffers; None for anything else.

    A filled cell has at least one character (an empty one is null), so when the
    characters of the column number as many as its filled cells, each holds one, and
    they lie end to end in row order.
    """
    import numpy as np
    import pyarrow as pa

    if isinstance(body, pa.ChunkedArray):
        body = body.combine_chunks()
    n = len(body)
    filled = n - body.null_count
    if not filled or body.type != pa.string():
        return None
    validity, offsets_buf, data_buf = body.buffers()
    offsets = np.frombuffer(offsets_buf, dtype=np.int32, count=2, offset=4 * body.offset)
    first = int(offsets[0])
    last = int(np.frombuffer(offsets_buf, dtype=np.int32, count=1,
                             offset=4 * (body.offset + n))[0])
    if last - first != filled or data_buf is None:
        return None
    digits = np.frombuffer(data_buf, dtype=np.uint8, count=filled, offset=first) - 48
    if (digits > 9).any():  # not a digit (uint8: below '0' wraps round)
        return None
    if filled == n:
        return digits.astype(np.float64)
    valid = np.unpackbits(np.frombuffer(validity, dtype=np.uint8), bitorder="little",
                          count=body.offset + n)[body.offset:].view(bool)
    codes = np.full(n, np.nan)
    codes[valid] = digits
    return codes


def _empty_runs(empty: Any, first: int, notes: list[str]) -> Any:
    """Rows to keep: all but runs of more than :data:`EMPTY_RUN_LIMIT` empty rows (noted).

    ``empty`` flags each body row; ``first`` is the row number of the first.
    """
    import numpy as np

    empty = np.asarray(empty, dtype=bool)
    keep = np.ones(len(empty), dtype=bool)
    if len(empty) <= EMPTY_RUN_LIMIT or empty.sum() <= EMPTY_RUN_LIMIT:
        return keep
    edges = np.flatnonzero(np.diff(np.concatenate(([0], empty.astype(np.int8), [0]))))
    for a, b in zip(edges[::2], edges[1::2], strict=True):
        if b - a > EMPTY_RUN_LIMIT:
            keep[a:b] = False
            notes.append(f"rows {first + a}-{first + b - 1} are empty ({b - a:,} rows) and "
                         "were skipped, not counted as responses")
    return keep



def _table_from_arrow(stream: Any, notes: list[str], file: str, expected: Iterable[str],
                      size: int, quoted: bool = True, delim: str = ",") -> Table | None:
    """:func:`read_table`'s steps on the fast parser's batches of text cells, batch by batch.

    The same header search, trailing and long runs of empty rows, and trimming of blank
    trailing columns as for lists of cells; every row has the header's cell count (the
    fast parser refuses anything else). A column whose every filled cell is a whole
    number written plainly (``4``, ``12``, not ``04``, ``+4``, `` 4``) becomes float64, as
    a workbook's number column does: its text reads back unchanged through
    :func:`as_text`, and validation checks it in bulk. Other columns are text.

    Each batch is converted and let go: the numbers go straight into the one block the
    frame keeps (sized from ``size``, the bytes parsed; see :class:`_NumberBlock`). None
    when the parser refuses a batch part-way; the careful reading then reads the file.
    pandas is only needed at the end (see :func:`prefetch_pandas`).
    """
    import numpy as np
    import pyarrow as pa

    batches = iter(stream)
    head: list[Any] = []
    try:
        for batch in batches:
            head.append(batch)
            if sum(b.num_rows for b in head) > HEADER_SCAN_ROWS:
                break
    except pa.ArrowException:
        return None
    width = len(stream.schema)
    top = pa.Table.from_batches(head, schema=stream.schema).slice(0, HEADER_SCAN_ROWS)
    head_rows = [list(r) for r in zip(*top.to_pydict().values(), strict=True)]
    # an empty row never holds the expected names: searching past the last filled row
    # (not known yet) finds the same header
    h = _find_header(head_rows, expected) if head_rows else 0
    skip = h + 1  # parsed rows before the data
    block = _NumberBlock(width, _rows_estimate(head, size, width))
    builders = [_ColumnBuilder(block) for _ in range(width)]
    empty_parts: list[Any] = []
    seen = 0

    def consume(batch: Any) -> None:
        nonlocal seen
        if quoted:
            try:
                _refuse_swallowed_arrow(batch, delim, file, seen)
            except ResponseFileError as exc:
                exc.reading_text = True  # as the text reading's refusals (read_table)
                raise
        empty_parts.append(_empty_batch_rows(batch))
        body = batch.slice(skip - seen) if seen < skip else batch
        seen += batch.num_rows
        if body.num_rows:
            for builder, col in zip(builders, body.columns, strict=True):
                builder.add(col)

    for batch in head:
        consume(batch)
    head.clear()
    try:
        for batch in batches:
            consume(batch)
    except pa.ArrowException:
        return None
    del batches, stream
    pa.default_memory_pool().release_unused()  # the batches' memory, for what comes next
    empty = np.concatenate(empty_parts) if empty_parts else np.ones(0, dtype=bool)
    filled = np.flatnonzero(~empty)
    end = int(filled[-1]) + 1 if len(filled) else 0
    if not end:
        raise ResponseFileError("the file is empty; export the responses again", file=file)
    if h > 0:
        notes.append(f"header row: {h + 1} (rows above it skipped)")
    header = [_header_text(c) for c in head_rows[h]]
    keep = _empty_runs(empty[h + 1:end], h + 2, notes)
    numbers = np.arange(h + 2, end + 1, dtype=np.int64)
    take = None
    if not keep.all():
        numbers = numbers[keep]
        take = np.flatnonzero(keep)
    rows = max(end - h - 1, 0)
    import pandas as pd

    index = pd.Index(numbers, dtype="int64")
    if width:
        frame = block.frame([b.values(rows, take) for b in builders], index)
    else:
        frame = pd.DataFrame({j: pd.Series([], dtype=object) for j in range(width)})
    while width and header[-1] == "" and frame[width - 1].isna().all():
        frame = frame.drop(columns=width - 1)
        header.pop()
        width -= 1
    return Table(header=header, frame=frame, file=file, header_row=h + 1, notes=notes)


def _empty_batch_rows(batch: Any) -> Any:
    """Per row of a batch of text cells: True when every cell is empty or spaces."""
    import numpy as np
    import pyarrow.compute as pc

    empty = np.ones(batch.num_rows, dtype=bool)
    # the fullest columns first: once no row is empty in them, the rest cannot change it
    for col in sorted(batch.columns, key=lambda c: c.null_count):
        blank = pc.fill_null(pc.utf8_is_space(col), True)  # "" is null here
        empty &= blank.to_numpy(zero_copy_only=False)
        if not empty.any():
            break
    return empty


def _rows_estimate(head: list[Any], size: int, width: int) -> int:
    """Rows of a file of ``size`` bytes, from the bytes per row of its first batches
    (cells plus delimiters), with a margin; exact when they hold the whole file."""
    import numpy as np

    rows = sum(b.num_rows for b in head)
    used = rows * max(width, 1)
    for batch in head:
        for col in batch.columns:
            offsets = np.frombuffer(col.buffers()[1], dtype=np.int32,
                                    count=col.offset + len(col) + 1)
            used += int(offsets[-1]) - int(offsets[col.offset])
    if not rows or used >= size:
        return rows
    return int(size / (used / rows) * 1.05) + 1024


class _NumberBlock:
    """The two-dimensional float64 block the numeric columns of a parsed file share.

    Each column found to hold numbers gets a row of the block and is written into it
    batch by batch, and the frame takes the block without a copy. The block is sized
    from an estimate of the file's rows and grown (once, copying) if the file has more.
    """

    def __init__(self, width: int, capacity: int) -> None:
        self.width = width
        self.capacity = max(capacity, 1)
        self.data: Any = None
        self.used = 0

    def slot(self) -> int:
        """A fresh row of the block, for a column that turned out to hold numbers."""
        import numpy as np

        if self.data is None:
            self.data = np.empty((self.width, self.capacity))
        self.used += 1
        return self.used - 1

    def fit(self, rows: int) -> None:
        """Make room for ``rows`` rows."""
        import numpy as np

        if rows <= self.capacity:
            return
        capacity = max(rows, int(self.capacity * 1.5))
        grown = np.empty((self.width, capacity))
        grown[:self.used, :self.capacity] = self.data[:self.used]
        self.data, self.capacity = grown, capacity

    def frame(self, columns: list[Any], index: Any) -> pd.DataFrame:
        """The frame of the finished columns (float64 views of block rows, or objects)."""
        import numpy as np
        import pandas as pd

        n = len(index)
        rows = [k for k, v in enumerate(columns) if v.dtype == np.float64]
        texts = [k for k, v in enumerate(columns) if v.dtype != np.float64]
        base = self.data
        if len(texts) > _MAX_TEXT_INSERTS or len(rows) < 2 or base is None:
            return pd.DataFrame({k: pd.Series(v, index=index, dtype=v.dtype, copy=False)
                                 for k, v in enumerate(columns)})
        # the block rows of the numeric columns, in column order, as one 2-D view
        start = base.__array_interface__["data"][0]
        first = [(columns[k].__array_interface__["data"][0] - start) // base.strides[0]
                 if np.shares_memory(columns[k], base) else -1 for k in rows]
        if first == list(range(first[0], first[0] + len(rows))) and first[0] >= 0 and \
                all(columns[k].strides == (8,) and len(columns[k]) == n for k in rows):
            values = base[first[0]:first[0] + len(rows), :n]
        else:  # a column that changed kind part-way, or rows left out: one copy
            values = np.stack([columns[k] for k in rows])
        frame = pd.DataFrame(values.T, index=index, columns=rows, copy=False)
        for k in texts:
            frame.insert(k, k, pd.Series(columns[k], index=index, dtype=object, copy=False))
        return frame


#: Text columns placed one by one among the numbers by :meth:`_NumberBlock.frame`; with
#: more, the frame is built as pandas does (each insertion adds a block).
_MAX_TEXT_INSERTS = 40


class _ColumnBuilder:
    """One column of the fast parser's batches as numpy, judged on the whole column:
    float64 while every filled cell is a whole number written plainly (see
    :func:`_plain_numbers`), text (objects) once any is not, all None when nothing is
    filled."""

    def __init__(self, block: _NumberBlock) -> None:
        self.block = block
        self.kind = "null"
        self.n = 0          # rows added
        self.slot = -1      # this column's row of the block, while it holds numbers
        self.texts: list[Any] = []

    def add(self, col: Any) -> None:
        import numpy as np

        n = len(col)
        if col.null_count == n:
            if self.kind == "number":
                self.block.fit(self.n + n)
                self.block.data[self.slot, self.n:self.n + n] = np.nan
            elif self.kind == "text":
                self.texts.append(np.full(n, None, dtype=object))
            self.n += n
            return
        values = _plain_numbers(col) if self.kind != "text" else None
        if values is not None:
            if self.kind == "null":
                self.slot = self.block.slot()
                self.block.fit(self.n + n)
                self.block.data[self.slot, :self.n] = np.nan
                self.kind = "number"
            self.block.fit(self.n + n)
            self.block.data[self.slot, self.n:self.n + n] = values
        else:
            if self.kind == "number":  # the numbers so far are written back as their text
                import pandas as pd

                numbers = self.block.data[self.slot, :self.n]
                self.texts = [as_text(pd.Series(numbers)).to_numpy()]
            elif self.kind == "null":
                self.texts = [np.full(self.n, None, dtype=object)]
            self.kind = "text"
            self.texts.append(_text_objects(col))
        self.n += n

    def values(self, rows: int, take: Any) -> Any:
        """The finished column: its first ``rows`` rows (then ``take`` of them)."""
        import numpy as np

        if self.kind == "number":
            out = self.block.data[self.slot, :rows]
        elif self.kind == "text":
            out = np.concatenate(self.texts)[:rows] if len(self.texts) > 1 else \
                self.texts[0][:rows]
        else:
            out = np.full(rows, None, dtype=object)
        return out if take is None else out[take]


def _plain_numbers(body: Any) -> Any:
    """float64 of a column of text cells when every filled cell is a whole number
    written plainly, so that it reads back as the same text; else None.

    Plainly: ASCII digits only (no sign, space or other script), no leading zero, at most
    18 digits; ``04``, ``+4``, `` 4`` and ``٤`` keep the column text.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    digits = _single_digits(body)
    if digits is not None:
        return digits
    filled = len(body) - body.null_count
    if filled and pc.all(pc.utf8_is_digit(body)).as_py() \
            and pc.max(pc.utf8_length(body)).as_py() <= 18 \
            and not pc.any(pc.and_(pc.starts_with(body, "0"),
                                   pc.greater(pc.utf8_length(body), 1))).as_py():
        try:
            ints = pc.cast(body, pa.int64())
        except pa.ArrowInvalid:  # digits of another script
            return None
        return ints.to_numpy(zero_copy_only=False).astype(np.float64)
    return None


def _skip_empty_runs(body: list[list[Any]], numbers: list[int],
                     notes: list[str]) -> tuple[list[list[Any]], list[int]]:
    """Leave out runs of more than :data:`EMPTY_RUN_LIMIT` wholly empty rows (noted)."""
    if len(body) <= EMPTY_RUN_LIMIT:
        return body, numbers
    keep = _empty_runs([_row_empty(r) for r in body], numbers[0], notes)
    if keep.all():
        return body, numbers
    return ([r for r, k in zip(body, keep, strict=True) if k],
            [n for n, k in zip(numbers, keep, strict=True) if k])


def _check_cell_counts(header: list[str], body: list[list[Any]], numbers: list[int],
                       notes: list[str], bad_rows: dict[int, tuple[str, str]],
                       extra_cells: dict[int, list[str]]) -> list[list[Any]]:
    """Rows of a text file whose cell count is not the header's: rejected, not shifted.

    A row with a cell too many (an unquoted comma in a lab name) would hand every later
    answer to the next column; one with too few (cut short, a line break in an unquoted
    cell) would leave answers in the wrong place too. Both are marked in ``bad_rows``
    (and validation rejects them); the cells beyond the header are kept in
    ``extra_cells`` for the rejected-rows output and cut from the row. Empty cells past
    the header (a trailing delimiter) are not a problem, and when most rows agree on a
    width other than the header's, that width is the file's (named columns missing from
    the header, or never-filled trailing columns) and only a note is made.
    """
    named = len(header)
    last = max((j for j, h in enumerate(header) if h), default=-1) + 1
    long_rows, short_rows = [], []
    for i, r in enumerate(body):
        if _row_empty(r):
            continue
        if len(r) > named and any(c.strip() for c in r[named:]):
            long_rows.append(i)
        elif len(r) < last:
            short_rows.append(i)
    filled = sum(1 for r in body if not _row_empty(r))
    if short_rows and 2 * len(short_rows) > filled:
        shown = ", ".join(str(numbers[i]) for i in short_rows[:5]) + (
            " ..." if len(short_rows) > 5 else "")
        notes.append(f"row{'s' if len(short_rows) > 1 else ''} {shown}: fewer cells than the "
                     "header (a line break inside an unquoted cell?); the missing cells "
                     "read as blank")
        short_rows = []
    if long_rows and 2 * len(long_rows) > filled:
        long_rows = []
    for i in short_rows:
        n = len(body[i])
        bad_rows[numbers[i]] = ("cell_count", (
            f"the row has {n} cell{'s' if n != 1 else ''}, the header {last} (cut short, or a "
            "line break inside an unquoted cell?); row rejected so that no answer is read "
            "from the wrong column"))
    if not long_rows:
        return body
    body = list(body)
    for i in long_rows:
        r = body[i]
        n = len(r)
        bad_rows[numbers[i]] = ("cell_count", (
            f"the row has {n} cells, the header {named} (an unquoted comma or delimiter "
            "inside a cell?); row rejected so that no answer is read from the wrong column"))
        extra_cells[numbers[i]] = list(r[named:])
        body[i] = list(r[:named])
    return body


def _row_empty(row: list[Any]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in row)


def _header_text(cell: Any) -> str:
    if cell is None:
        return ""
    if isinstance(cell, float) and cell.is_integer():
        return str(int(cell))
    return str(cell).strip()


def _wanted(expected: Iterable[str]) -> set[str]:
    return {normalise_name(e) for e in expected if e}


def _header_hits(rows: list[list[Any]], want: set[str]) -> tuple[int, int]:
    """(index of the first row with the most expected names, how many it has)."""
    best = (0, 0)
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        hits = 0
        for c in row:
            if c is None or c == "":
                continue
            n = normalise_name(c)
            if n in want or n.rsplit("/", 1)[-1] in want:
                hits += 1
        if hits > best[1]:
            best = (i, hits)
    return best


def _find_header(rows: list[list[Any]], expected: Iterable[str]) -> int:
    want = _wanted(expected)
    if not want:
        return 0
    need = min(2, len(want))
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        if _header_hits([row], want)[1] >= need:
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


def _workbook_frame(body: list[list[Any]], width: int, numbers: list[int]) -> pd.DataFrame:
    """Workbook rows to a frame: empty -> missing, all-number columns -> float64,
    dates and other cells -> text (one pass per column, vectorised where it counts)."""
    import numpy as np
    import pandas as pd

    index = pd.Index(numbers, dtype="int64")
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
    # object columns stay object (pandas 3 would make them its str dtype), as text files'
    return pd.DataFrame({j: pd.Series(col, index=index, dtype=col.dtype, copy=False)
                         for j, col in out.items()})


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
