"""Writing files users open in spreadsheets: deterministic bytes, no formula injection.

Shared by every writer of .xlsx or .csv (forms, simulate, import, report) so that the same
input gives the same bytes and no respondent's text runs as a formula.
"""

from __future__ import annotations

import datetime as _dt
import io
import re
import zipfile
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    from openpyxl import Workbook

__all__ = [
    "FORMULA_PREFIXES",
    "csv_bytes",
    "csv_text",
    "is_formula_text",
    "neutralise",
    "neutralise_frame",
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
    safe = neutralise_frame(frame)
    return csv_text(lambda end: safe.to_csv(index=False, lineterminator=end)).encode("utf-8")


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
