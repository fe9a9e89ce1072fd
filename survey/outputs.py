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

__all__ = ["FORMULA_PREFIXES", "csv_bytes", "neutralise", "neutralise_frame", "workbook_bytes"]

#: A text cell starting with one of these is run as a formula by Excel, LibreOffice, Sheets.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_FIXED_TIME = _dt.datetime(2000, 1, 1, 0, 0, 0)


def neutralise(value: Any) -> Any:
    """Prefix a text value that a spreadsheet would run as a formula with ``'``.

    Numbers and other non-text values pass through unchanged.

    Examples
    --------
    >>> neutralise("=HYPERLINK(\\"http://x\\")")
    '\\'=HYPERLINK("http://x")'
    >>> neutralise("-3"), neutralise(-3), neutralise("fine")
    ("'-3", -3, 'fine')
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
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


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """A table as unrounded UTF-8 CSV with ``\\n`` line ends; text cells neutralised.

    The one writer of tidy result tables (scores, comparison and report tables).

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
    return neutralise_frame(frame).to_csv(index=False, lineterminator="\n").encode("utf-8")


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
