"""Writing files users open in spreadsheets: deterministic bytes, no formula injection.

Shared by every writer of .xlsx or .csv (forms, simulate, import, report) so that the same
input gives the same bytes and no respondent's text runs as a formula.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import io
import math
import re
import zipfile
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from openpyxl import Workbook

__all__ = [
    "FORMULA_PREFIXES",
    "add_about_sheet",
    "csv_bytes",
    "csv_field",
    "csv_pieces",
    "csv_text",
    "is_formula_text",
    "neutralise",
    "neutralise_frame",
    "showable",
    "workbook_text",
    "workbook_bytes",
]

#: A text cell starting with one of these is run as a formula by Excel, LibreOffice, Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
#: Text that reads as a number (``-12``, ``+3.5``, ``-1e3``) is never a formula.
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")

_FIXED_TIME = _dt.datetime(2000, 1, 1, 0, 0, 0)


def is_formula_text(value: Any) -> bool:
    """True for text a spreadsheet would run as a formula when it opens a CSV.

    Text starting with ``= + - @`` (or a tab or carriage return), unless it reads as a
    number: ``-12`` and ``+3.5`` are numbers to every spreadsheet, never formulas.

    Examples
    --------
    >>> is_formula_text("=1+1"), is_formula_text("-12"), is_formula_text("-1+1")
    (True, False, True)
    """
    return (isinstance(value, str) and value.startswith(FORMULA_PREFIXES)
            and _NUMBER.fullmatch(value) is None)


def neutralise(value: Any) -> Any:
    """Prefix a text value that a spreadsheet would run as a formula with ``'``.

    Numbers, text that reads as a number (``-3``) and other values pass through unchanged
    (see :func:`is_formula_text`).

    Examples
    --------
    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise("-3"), neutralise(-3), neutralise("fine"), neutralise("-3 days")
    ('-3', -3, 'fine', "'-3 days")
    """
    if is_formula_text(value):
        return "'" + value
    return value


#: Characters a workbook cannot hold (C0 controls but tab, LF and CR), as openpyxl has it.
ILLEGAL_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: Characters an HTML page or SVG (XML 1.0) may not hold, or no font draws: C0 controls
#: but tab, LF and CR; DEL and the C1 controls; lone surrogates (no UTF-8 file can hold
#: one); U+FFFE and U+FFFF.
UNSHOWABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def showable(text: str) -> str:
    """``text`` with each character of :data:`UNSHOWABLE` shown as U+FFFD: respondents'
    text (a lab code pasted from elsewhere) as the report's page and figures write it.

    Examples
    --------
    >>> showable("CN-\\x0103\\ud800") == "CN-\\ufffd03\\ufffd"
    True
    """
    return UNSHOWABLE.sub("\ufffd", text)


def workbook_text(value: str) -> str:
    """Text as a workbook cell holds it: neutralised (:func:`neutralise`), and each
    control character a workbook cannot hold (respondents' text may have them, pasted
    from elsewhere) shown as U+FFFD instead of stopping the file being written.

    Examples
    --------
    >>> workbook_text("=1+1"), workbook_text("CN-\\x0203") == "CN-\\ufffd03"
    ("'=1+1", True)
    """
    return ILLEGAL_XLSX.sub("\ufffd", neutralise(value))


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with :func:`neutralise` applied to every text cell."""
    out = frame.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or str(s.dtype) in ("string", "str"):
            out[col] = s.map(neutralise, na_action="ignore")
    return out


def csv_text(write: Any) -> str:
    """CSV text with ``\\n`` row ends whose every cell holding ``\\r`` or ``\\n`` is quoted.

    Python's csv writer quotes a cell only for the characters of its own line terminator,
    so with ``\\n`` a cell holding a lone ``\\r`` goes out unquoted and a reader splits the
    row there. ``write(lineterminator)`` must write the CSV with the terminator it is
    given; it gets ``\\r\\n`` (so both characters force quoting), and the row ends, which
    are outside quotes, become ``\\n``.

    Examples
    --------
    >>> import csv, io
    >>> def write(end):
    ...     buf = io.StringIO()
    ...     csv.writer(buf, lineterminator=end).writerows([["a\\rb", "c"], ["d\\r\\n", "e"]])
    ...     return buf.getvalue()
    >>> csv_text(write)
    '"a\\rb",c\\n"d\\r\\n",e\\n'
    """
    text = write("\r\n")
    if '"' not in text:
        return text.replace("\r\n", "\n")
    # quotes toggle: the even pieces are outside quoted cells ("" inside one toggles twice)
    parts = text.split('"')
    parts[::2] = [p.replace("\r\n", "\n") for p in parts[::2]]
    return '"'.join(parts)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as unrounded UTF-8 CSV with ``\\n`` line ends; text cells neutralised.

    The one writer of tidy result tables (scores, comparison and report tables). A cell
    holding a line break (``\\r`` included) is quoted, so it reads back as one cell.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; its index is not written.

    Returns
    -------
    bytes

    Examples
    --------
    >>> import pandas as pd
    >>> csv_bytes(pd.DataFrame({"lab": ["=1+1"], "x": [0.1 + 0.2]})).decode()
    "lab,x\\n'=1+1,0.30000000000000004\\n"
    """
    return b"".join(csv_pieces(frame))


def csv_pieces(frame: pd.DataFrame) -> Iterator[bytes]:
    """:func:`csv_bytes` in pieces of a few hundred thousand rows, made as they are read.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; its index is not written.

    Yields
    ------
    bytes
        The header and the rows, in order; joined they are :func:`csv_bytes`.
    """
    kinds = _csv_columnar_kinds(frame)
    if kinds is not None:
        yield from _csv_columnar(frame, kinds)
        return
    safe = neutralise_frame(frame)
    yield csv_text(lambda end: safe.to_csv(index=False, lineterminator=end)).encode("utf-8")


#: Rows formatted at a time by :func:`_csv_columnar` (bounds the memory of a large table).
CSV_CHUNK_ROWS = 200_000


def _csv_columnar_kinds(frame: pd.DataFrame) -> list[str] | None:
    """How :func:`_csv_columnar` writes each column, or None for a table it does not
    write exactly as pandas does (a single column, a column index with levels or
    repeated names, dtypes other than float64, integers, bools, categoricals and text);
    those go through pandas."""
    import pandas as pd

    if len(frame.columns) < 2 or isinstance(frame.columns, pd.MultiIndex) \
            or not frame.columns.is_unique:
        return None
    kinds = [_csv_kind(frame.iloc[:, j]) for j in range(len(frame.columns))]
    return None if None in kinds else kinds


def _csv_columnar(frame: pd.DataFrame, kinds: list[str]) -> Iterator[bytes]:
    """:func:`csv_bytes` column by column in Arrow: the same bytes as pandas' writer.

    Each column is formatted once per distinct value where that pays (scores and codes
    take a few hundred values), text is neutralised and quoted with vectorised string
    kernels, and each row is joined once in C; :data:`CSV_CHUNK_ROWS` rows at a time.
    ``kinds`` is what :func:`_csv_columnar_kinds` says of the table.
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    yield (",".join(csv_field(str(c)) for c in frame.columns) + "\n").encode("utf-8")
    n = len(frame)
    for start in range(0, n, CSV_CHUNK_ROWS):
        block = frame.iloc[start:start + CSV_CHUNK_ROWS]
        cols = [_csv_field_array(block.iloc[:, j], kind)
                for j, kind in enumerate(kinds)]
        text = pa.large_string()
        # the row end goes onto the last field, then each row is joined once
        cols[-1] = pc.binary_join_element_wise(pc.fill_null(cols[-1], ""),
                                               pa.scalar("\n", text), pa.scalar("", text))
        lines = pc.binary_join_element_wise(*cols, pa.scalar(",", text),
                                            null_handling="replace", null_replacement="")
        yield _string_data(lines)


def _csv_kind(s: pd.Series) -> str | None:
    """How :func:`_csv_columnar` writes a column: ``number``, ``bool``, ``category``,
    ``text`` (neutralised), or None when it leaves the table to pandas."""
    import numpy as np
    import pandas as pd

    dtype = s.dtype
    if isinstance(dtype, pd.CategoricalDtype):
        cats = dtype.categories
        return "category" if pd.api.types.infer_dtype(cats, skipna=True) in (
            "string", "empty") else None
    if isinstance(dtype, np.dtype):
        if dtype.kind == "b":
            return "bool"
        if dtype.kind in "iu" or dtype == np.float64:
            return "number"
        if dtype.kind == "O":
            return "text" if pd.api.types.infer_dtype(s, skipna=True) in (
                "string", "empty") else None
        return None
    if pd.api.types.is_integer_dtype(dtype):
        return "number"
    if str(dtype) in ("string", "str"):
        return "text"
    return None


def _csv_field_array(s: pd.Series, kind: str):
    """The CSV fields of one column as an Arrow large_string array (null: empty)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    if kind == "category":
        codes = s.cat.codes.to_numpy()
        table = [csv_field(str(c)) for c in s.cat.categories]
        return _take(table, np.where(codes < 0, len(table), codes))
    if kind == "bool":
        return _take(["False", "True"], s.to_numpy().astype(np.int8))
    if kind == "number":
        if isinstance(s.dtype, np.dtype):
            values, missing = s.to_numpy(), None
        else:  # nullable integers
            missing = s.isna().to_numpy()
            values = s.to_numpy(dtype=np.int64, na_value=0)
        return _numbers(values, missing)
    if hasattr(s.array, "__arrow_array__"):  # Arrow-backed text: no Python strings
        arr = pa.array(s.array)
        arr = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
        arr = arr.cast(pa.large_string())
    else:
        arr = pa.array(s.to_numpy(dtype=object, na_value=None), type=pa.large_string(),
                       from_pandas=True)
    first, chars = _first_and_all_bytes(arr)
    if np.isin(first, _FORMULA_BYTES).any():
        # the few cells starting like a formula: as neutralise says
        risky = pc.match_substring_regex(arr, "^[=+\\-@\t\r]")
        where = pc.indices_nonzero(pc.fill_null(risky, False))
        fixed = [neutralise(v) for v in arr.take(where).to_pylist()]
        arr = pc.replace_with_mask(arr, pc.fill_null(risky, False),
                                   pa.array(fixed, pa.large_string()))
    if any(c in chars for c in (b",", b'"', b"\r", b"\n")):
        quote = pc.match_substring_regex(arr, '[,"\r\n]')
        mark = pa.scalar('"', pa.large_string())
        quoted = pc.binary_join_element_wise(mark, pc.replace_substring(arr, '"', '""'), mark,
                                             pa.scalar("", pa.large_string()))
        arr = pc.if_else(pc.fill_null(quote, False), quoted, arr)
    return arr


#: First bytes of a cell :func:`neutralise` may change (``= + - @``, tab, CR).
_FORMULA_BYTES = [ord(c) for c in FORMULA_PREFIXES]


def _first_and_all_bytes(arr) -> tuple:
    """The first byte of each filled cell of an Arrow large_string array, and all its
    characters as bytes (to look for what needs quoting in one scan)."""
    import numpy as np

    n = len(arr)
    offsets_buf, data_buf = arr.buffers()[1:3]
    if data_buf is None or not n:
        return np.zeros(0, dtype=np.uint8), b""
    offsets = np.frombuffer(offsets_buf, dtype=np.int64, count=arr.offset + n + 1)
    offsets = offsets[arr.offset:]
    chars = data_buf.slice(int(offsets[0]), int(offsets[-1] - offsets[0])).to_pybytes()
    starts = offsets[:-1][np.diff(offsets) > 0] - offsets[0]
    first = np.frombuffer(chars, dtype=np.uint8)[starts] if len(chars) else \
        np.zeros(0, dtype=np.uint8)
    return first, chars


def _numbers(values, missing):
    """Numbers as pandas writes them (``numpy.ndarray.astype(str)``: ``3.0``, ``1e-05``),
    formatted once per distinct value when there are few; missing (NaN or masked) null."""
    import numpy as np
    import pyarrow as pa

    n = len(values)
    if values.dtype.kind == "f":
        nan = np.isnan(values)
        missing = nan if missing is None else (missing | nan)
    if n >= 1000:
        import pandas as pd

        inverse, uniques = pd.factorize(values, use_na_sentinel=True)
        if len(uniques) <= n // 4:
            if missing is not None and missing.any():
                inverse = np.where(missing, len(uniques), inverse)
            else:
                inverse = np.where(inverse < 0, len(uniques), inverse)
            return _take(uniques.astype(str).tolist(), inverse)
    text = values.astype(str)
    return pa.array(text, type=pa.large_string(), mask=missing)


def _take(table: list, codes):
    """``table[code]`` per cell as an Arrow large_string array; code ``len(table)`` null."""
    import pyarrow as pa

    values = pa.array([*table, None], type=pa.large_string())
    return values.take(pa.array(codes, type=pa.int64()))


def _string_data(arr) -> bytes:
    """The characters of an Arrow (large) string array without nulls, end to end."""
    import numpy as np

    if len(arr) == 0:
        return b""
    offsets_buf, data_buf = arr.buffers()[1:3]
    width = 8 if str(arr.type) == "large_string" else 4
    offsets = np.frombuffer(offsets_buf, dtype=np.int64 if width == 8 else np.int32,
                            count=arr.offset + len(arr) + 1)
    lo, hi = int(offsets[arr.offset]), int(offsets[arr.offset + len(arr)])
    return data_buf.slice(lo, hi - lo).to_pybytes() if data_buf is not None else b""


def csv_field(text: str) -> str:
    """A field as Python's csv writer writes it (QUOTE_MINIMAL; a CR or LF is quoted too).

    Examples
    --------
    >>> csv_field("plain"), csv_field('say "hi", then'), csv_field("a\\rb")
    ('plain', '"say ""hi"", then"', '"a\\rb"')
    """
    if "," in text or '"' in text or "\n" in text or "\r" in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def add_about_sheet(wb: Workbook, rows: Iterable[tuple[str, str]],
                    widths: tuple[float, float] | None = None) -> None:
    """Add the sheet ``about`` (what the data are) to a workbook: ``key``/``value`` rows.

    Values a spreadsheet would run as formulas are neutralised (:func:`neutralise`).

    Parameters
    ----------
    wb : openpyxl.Workbook
        The workbook; the sheet is added last.
    rows : iterable of (str, str)
        The keys and values, in order.
    widths : (float, float), optional
        Widths of the key and value columns; default: the spreadsheet's.

    Examples
    --------
    >>> from openpyxl import Workbook
    >>> wb = Workbook()
    >>> add_about_sheet(wb, [("data", "simulated"), ("note", "=1+1")])
    >>> [[c.value for c in r] for r in wb["about"].iter_rows()]
    [['key', 'value'], ['data', 'simulated'], ['note', "'=1+1"]]
    """
    sheet = wb.create_sheet("about")
    sheet.append(["key", "value"])
    for key, value in rows:
        sheet.append([key, neutralise(value)])
    if widths is not None:
        sheet.column_dimensions["A"].width, sheet.column_dimensions["B"].width = widths


def workbook_bytes(wb: Workbook) -> bytes:
    """Save an openpyxl workbook to bytes that depend only on its content.

    openpyxl stamps the creation and modification time into ``docProps/core.xml`` and
    the zip entries; both are fixed here so two runs give byte-identical files.
    """
    wb.properties.created = _FIXED_TIME
    wb.properties.modified = _FIXED_TIME
    wb.properties.lastModifiedBy = None
    wb.properties.creator = "lab-culture-survey"
    raw = io.BytesIO()
    with _rows_written_directly():
        wb.save(raw)
    # Rewrite the archive with fixed entry timestamps (openpyxl uses the clock).
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                # openpyxl sets <dcterms:modified> to the clock at save time.
                data = re.sub(
                    rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rb"\g<1>2000-01-01T00:00:00Z\g<2>",
                    data,
                )
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            dst.writestr(fixed, data)
    return out.getvalue()


@contextlib.contextmanager
def _rows_written_directly() -> Iterator[None]:
    """Within the block, openpyxl writes rows of plain cells as text, not element by
    element: the same bytes in a fraction of the time.

    openpyxl (without lxml) builds an XML element for every cell and serialises it
    through an incremental tree writer, which took half the time of saving the report's
    workbook. A row whose cells hold numbers, booleans, text or nothing (with or
    without a style), with no comment or hyperlink and no row formatting, is written
    here as the string openpyxl would write; any other row is left to openpyxl.
    ``tests/test_outputs.py`` checks that workbooks of every kind of cell come out
    byte for byte as openpyxl writes them.
    """
    import openpyxl
    from openpyxl.worksheet._writer import WorksheetWriter

    original = WorksheetWriter.write_row
    if openpyxl.LXML:  # lxml writes its own way (and quickly)
        yield
        return
    WorksheetWriter.write_row = _write_row_directly(original)  # type: ignore[method-assign]
    try:
        yield
    finally:
        WorksheetWriter.write_row = original  # type: ignore[method-assign]


def _write_row_directly(original: Any) -> Any:
    """``WorksheetWriter.write_row`` for rows of plain cells (see
    :func:`_rows_written_directly`); other rows go to ``original``."""
    from xml.etree import ElementTree

    def write_row(self: Any, xf: Any, row: Any, row_idx: int) -> None:
        write = getattr(xf, "_file", None)
        if write is None or row_idx in self.ws.row_dimensions:
            original(self, xf, row, row_idx)
            return
        parts = []
        for cell in row:
            value = cell._value
            styled = cell.has_style
            if value is None and not styled and not cell._comment:
                continue  # as openpyxl skips it
            kind = cell.data_type
            if (cell._comment is not None or cell.hyperlink is not None
                    or kind not in ("n", "s", "b")
                    or (kind == "s" and value is not None and not isinstance(value, str))):
                original(self, xf, row, row_idx)  # nothing written yet
                return
            start = f'<c r="{cell.coordinate}"'
            if styled:
                start += f' s="{cell.style_id}"'
            start += ' t="inlineStr"' if kind == "s" else f' t="{kind}"'
            if value is None or value == "":
                parts.append(start + " />")
            elif kind == "s":
                stripped = value.strip()
                space = ' xml:space="preserve"' if stripped and value != stripped else ""
                parts.append(f"{start}><is><t{space}>{ElementTree._escape_cdata(value)}"
                             "</t></is></c>")
            else:
                if math.isnan(value) or math.isinf(value):
                    parts.append(f"{start}><v /></c>")  # openpyxl leaves them out
                else:  # openpyxl's safe_string, to the character
                    parts.append(f"{start}><v>{'%.16g' % value}</v></c>")  # noqa: UP031
        write(f'<row r="{row_idx}">' + "".join(parts) + "</row>")

    return write_row
