"""Writing clean responses: the file type follows the suffix.

=========  ===========================================================================
suffix     what is written
=========  ===========================================================================
``.csv``   UTF-8, comma-separated, the template layout (codes, not labels)
``.xlsx``  one sheet ``responses`` in the template layout
``.parquet`` the frame as it is (categoricals and nullable integers kept)
``.sav``   SPSS: variable labels (question text), value labels (scale and choice
           labels); choice groups become numbers 1, 2, ... in the instrument's order
``.dta``   Stata 15: as ``.sav`` (labels cut to Stata's 80 characters)
=========  ===========================================================================

Labels are in the instrument's first language unless ``lang`` is given. Text cells that a
spreadsheet would run as a formula (starting ``=``, ``+``, ``-``, ``@``, and not a number
such as ``-12``) are written to ``.csv`` with a leading ``'`` unless ``verbatim`` is asked
(for analysis software, which never runs formulas). ``.xlsx`` cells hold such text as text
cells, which no spreadsheet runs, so they need no prefix and keep the text as it was. A
cell holding a line break (``\\r`` included) is quoted in ``.csv``. Output is the same
bytes on every run (the timestamps SPSS and Stata files carry are fixed).
"""

from __future__ import annotations

import io
import re
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from survey.errors import ExportError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from survey.instrument import Instrument
    from survey.responses.model import ImportLog, ResponseSet

__all__ = ["SUFFIXES", "formula_cells", "log_table", "write_frame", "write_responses"]

SUFFIXES = (".csv", ".xlsx", ".parquet", ".sav", ".dta")


def write_responses(rs: ResponseSet, suffix: str, *, lang: str | None = None,
                    verbatim: bool = False) -> bytes:
    """Bytes of the clean data of ``rs`` in the format named by ``suffix``.

    Parameters
    ----------
    rs : ResponseSet
        Validated responses.
    suffix : str
        One of :data:`SUFFIXES` (``".sav"`` or a file name ending in it).
    lang : str, optional
        Language of the labels in ``.sav``/``.dta`` (default: the instrument's first).
    verbatim : bool
        Write text starting with ``= + - @`` to ``.csv`` as it is, without the leading
        ``'`` that stops a spreadsheet from running it.

    Raises
    ------
    ExportError
        Unknown suffix.
    """
    name = suffix
    suffix = _suffix(suffix)
    data = rs.data
    inst = rs.instrument
    if suffix in (".csv", ".xlsx"):
        return write_frame(data, name, sheet="responses", verbatim=verbatim)
    if suffix == ".parquet":
        return _parquet(data)
    return _stat(data, inst, suffix, lang or inst.languages[0],
                 None if name.startswith(".") else name)


def write_frame(frame: pd.DataFrame, suffix: str, *, sheet: str = "responses",
                verbatim: bool = False) -> bytes:
    """A plain table as ``.csv`` or ``.xlsx`` bytes, formula text neutralised.

    Categoricals are written as their codes, nullable integers as whole numbers, missing
    values as empty cells.

    Parameters
    ----------
    frame : pandas.DataFrame
        The table; its column names become the header row.
    suffix : str
        ``.csv`` or ``.xlsx`` (or a file name ending in one).
    sheet : str
        Name of the worksheet in an ``.xlsx``.
    verbatim : bool
        In ``.csv``, write formula-like text as it is (no leading ``'``). Workbooks always
        keep text as it is, in text cells.

    Returns
    -------
    bytes
        UTF-8 CSV with LF line ends, or a workbook whose bytes depend only on ``frame``.

    Raises
    ------
    ExportError
        Any other suffix.

    Examples
    --------
    >>> import pandas as pd
    >>> write_frame(pd.DataFrame({"id": ["=1+1", "-2"], "sp1": [4, None]}), ".csv")
    b"id,sp1\\n'=1+1,4\\n-2,\\n"
    """
    import csv

    from survey.outputs import csv_text, neutralise

    file = None if suffix.startswith(".") else suffix
    suffix = _suffix(suffix)
    columns = [str(c) for c in frame.columns]
    if suffix == ".csv":
        if len(columns) > 1:
            return _csv_fast(frame, columns, verbatim)
        cells = _cells(frame)

        def write(end: str) -> str:
            buf = io.StringIO()
            w = csv.writer(buf, lineterminator=end)
            w.writerow(columns if verbatim else [neutralise(c) for c in columns])
            for row in zip(*cells, strict=True) if cells else ():
                w.writerow(["" if v is None else str(v if verbatim else neutralise(v))
                            for v in row])
            return buf.getvalue()

        return csv_text(write).encode("utf-8")
    if suffix == ".xlsx":
        from openpyxl import Workbook

        from survey.outputs import workbook_bytes

        cells = _cells(frame)
        wb = Workbook()
        ws = wb.active
        ws.title = sheet
        ws.append([_xlsx_text(c, file, 1, c) for c in columns])
        for i, row in enumerate(zip(*cells, strict=True) if cells else (), start=2):
            ws.append([_xlsx_text(v, file, i, c) for v, c in zip(row, columns, strict=True)])
        # text is text: a cell openpyxl took for a formula (it starts with =) is a string
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    cell.data_type = "s"
        return workbook_bytes(wb)
    raise ExportError(f"cannot write a plain table as {suffix}; use .csv or .xlsx")


#: The most characters an Excel cell holds.
XLSX_CELL_LIMIT = 32767


def _xlsx_text(value: object, file: str | None, row: int, column: str) -> object:
    """A cell value a workbook can hold: control characters shown as U+FFFD.

    Raises
    ------
    ExportError
        Text longer than Excel's 32,767 characters (write .csv, which has no limit).
    """
    if not isinstance(value, str):
        return value
    if len(value) > XLSX_CELL_LIMIT:
        raise ExportError(
            f"a cell holds {len(value):,} characters, more than the {XLSX_CELL_LIMIT:,} an "
            "Excel cell can; write .csv instead",
            file=file,
            row=row,
            column=column,
        )
    from survey.outputs import ILLEGAL_XLSX

    return ILLEGAL_XLSX.sub("\ufffd", value)


def _csv_fast(frame: pd.DataFrame, columns: list[str], verbatim: bool) -> bytes:
    """CSV bytes column by column: the same bytes as the csv-module writer above.

    Numbers are formatted in bulk and text through its distinct values only, then each
    row is joined once; 100,000 x 60 cells take a fraction of the time cell by cell did.
    """
    from survey.outputs import csv_field, neutralise

    fields = [_csv_column(frame[c], verbatim) for c in frame.columns]
    head = ",".join(csv_field(c if verbatim else str(neutralise(c))) for c in columns)
    lines = [head, *map(",".join, zip(*fields, strict=True))] if fields else [head]
    return ("\n".join(lines) + "\n").encode("utf-8")


def _csv_column(s: pd.Series, verbatim: bool) -> list[str]:
    """The fields of one column, formatted as :func:`_cells` and the writer would."""
    import numpy as np
    import pandas as pd

    from survey.outputs import csv_field, neutralise

    n = len(s)
    if pd.api.types.is_bool_dtype(s.dtype):
        vals = s.astype(object)
        return ["" if v is pd.NA or v is None else str(bool(v)) for v in vals]
    if pd.api.types.is_integer_dtype(s.dtype):
        mask = s.isna().to_numpy()
        vals = s.to_numpy(dtype=np.int64, na_value=0)
        lo, hi = (int(vals.min()), int(vals.max())) if n else (0, 0)
        if hi - lo <= 4096:  # answer codes: one string per distinct code, not per cell
            lookup = np.array([str(k) for k in range(lo, hi + 1)], dtype=object)
            out = lookup[vals - lo]
        else:
            out = vals.astype(str).astype(object)
        out[mask] = ""
        return out.tolist()
    if pd.api.types.is_float_dtype(s.dtype):
        vals = s.to_numpy(dtype="float64", na_value=np.nan)
        out = np.full(n, "", dtype=object)
        finite = np.isfinite(vals)
        whole = finite & (vals == np.floor(np.where(finite, vals, 0))) & (np.abs(
            np.where(finite, vals, 0)) < 2.0**62)
        out[whole] = vals[whole].astype(np.int64).astype(str)
        rest = ~np.isnan(vals) & ~whole
        out[rest] = [str(int(v)) if float(v).is_integer() else str(float(v))
                     for v in vals[rest]]
        return out.tolist()
    values = s.astype(object)
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        # mixed Python values (True and 1 are equal keys): one at a time
        out = []
        for v in values:
            if _missing(v):
                out.append("")
                continue
            v = v if isinstance(v, int | float | str) else str(v)
            out.append(csv_field(str(v if verbatim else neutralise(v))))
        return out
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    table = []
    for v in uniques:
        v = v if isinstance(v, int | float | str) else str(v)
        table.append(csv_field(str(v if verbatim else neutralise(v))))
    table.append("")  # missing
    lookup = np.array(table, dtype=object)
    return lookup[np.where(codes < 0, len(table) - 1, codes)].tolist()


def formula_cells(frame: pd.DataFrame) -> int:
    """How many text cells of ``frame`` a ``.csv`` writer gives a leading ``'``.

    Examples
    --------
    >>> import pandas as pd
    >>> formula_cells(pd.DataFrame({"a": ["=1", "-2", "@x", None], "b": [1, 2, 3, 4]}))
    2
    """
    import numpy as np
    import pandas as pd

    from survey.outputs import is_formula_text

    n = 0
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_numeric_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            continue
        codes, uniques = pd.factorize(s.astype(object), use_na_sentinel=True)
        hits = [k for k, v in enumerate(uniques) if is_formula_text(v)]
        if hits:
            n += int(np.isin(codes, hits).sum())
    return n


def _cells(frame: pd.DataFrame) -> list[list[object]]:
    """Columns as lists of Python values: None for missing, int for whole numbers."""
    import numpy as np
    import pandas as pd

    out = []
    for c in frame.columns:
        s = frame[c]
        if pd.api.types.is_integer_dtype(s.dtype) or pd.api.types.is_bool_dtype(s.dtype):
            vals = [None if v is pd.NA else (int(v) if not isinstance(v, bool | np.bool_)
                    else bool(v)) for v in s.astype(object)]
        elif pd.api.types.is_float_dtype(s.dtype):
            vals = [None if v != v else (int(v) if float(v).is_integer() else float(v))
                    for v in s.astype(object).fillna(np.nan)]
        else:
            vals = [None if _missing(v) else (v if isinstance(v, int | float | str) else str(v))
                    for v in s.astype(object)]
        out.append(vals)
    return out


def _suffix(s: str) -> str:
    suffix = s if s.startswith(".") and "/" not in s else Path(s).suffix
    suffix = suffix.lower()
    if suffix not in SUFFIXES:
        raise ExportError(
            f"cannot write '{suffix or s}' files; the output name must end in "
            + ", ".join(SUFFIXES),
            file=None if s.startswith(".") else s,
        )
    return suffix


def _missing(v: object) -> bool:
    """None, NaN or pandas' NA (whose ``!=`` is NA, not a bool)."""
    from pandas import NA

    if v is None or v is NA:
        return True
    try:
        return bool(v != v)
    except (TypeError, ValueError):
        return False


def _parquet(data: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    data.to_parquet(buf, index=False)
    return buf.getvalue()


def _stat(data: pd.DataFrame, inst: Instrument, suffix: str, lang: str,
          file: str | None = None) -> bytes:
    import numpy as np
    import pandas as pd
    import pyreadstat

    limit = 80 if suffix == ".dta" else 256
    cols: dict[str, object] = {}
    labels: dict[str, str] = {"respondent_id": "Respondent id"}
    values: dict[str, dict[int | float, str]] = {}
    cols["respondent_id"] = data["respondent_id"].astype(object).fillna("").astype(str)
    for g in inst.groups:
        labels[g.id] = g.text.get(lang, g.id)
        s = data[g.id]
        if g.type == "choice":
            num = pd.Series(s.cat.codes.to_numpy(dtype=np.float64) + 1, index=s.index)
            cols[g.id] = num.where(s.notna().to_numpy(), np.nan)
            values[g.id] = {i + 1: c.label.get(lang, c.code) for i, c in enumerate(g.choices)}
        else:
            cols[g.id] = s.astype(object).where(s.notna(), "").astype(str)
    for var in (*inst.item_ids, *inst.check_ids):
        scale = inst.scale_of(var)
        text = inst.item(var).text if var in inst.item_ids else inst.check(var).text
        labels[var] = text.get(lang, var)
        cols[var] = data[var].astype("float64")
        values[var] = {p: scale.label(p, lang) for p in scale.points}
    frame = pd.DataFrame(cols)
    if suffix == ".sav":
        _check_sav_strings(frame, file)
    labels = {k: v[:limit] for k, v in labels.items()}
    values = {k: {c: t[:limit if suffix == ".sav" else 32000] for c, t in v.items()}
              for k, v in values.items()}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"out{suffix}"
        if suffix == ".sav":
            pyreadstat.write_sav(frame, str(path), column_labels=labels,
                                 variable_value_labels=values,
                                 file_label=inst.id[:64])
        else:
            pyreadstat.write_dta(frame, str(path), column_labels=labels,
                                 variable_value_labels=values, version=15,
                                 file_label=inst.id[:80])
        raw = path.read_bytes()
    return _fix_timestamp(raw, suffix)


#: The longest string an SPSS .sav variable holds, in bytes.
SAV_STRING_LIMIT = 32767


def _check_sav_strings(frame: pd.DataFrame, file: str | None) -> None:
    """Refuse text SPSS cannot hold (pyreadstat would write it as empty)."""
    import pandas as pd

    for col in frame.columns:
        if pd.api.types.is_numeric_dtype(frame[col].dtype):
            continue
        sizes = frame[col].map(lambda v: len(v.encode("utf-8")) if isinstance(v, str) else 0)
        if len(sizes) and int(sizes.max()) > SAV_STRING_LIMIT:
            i = int(sizes.to_numpy().argmax())
            raise ExportError(
                f"a text of {int(sizes.iloc[i]):,} bytes is longer than the "
                f"{SAV_STRING_LIMIT:,} an SPSS variable holds; write .dta, .csv or "
                ".parquet instead",
                file=file,
                row=i + 2,
                column=str(col),
            )


def _fix_timestamp(raw: bytes, suffix: str) -> bytes:
    """Replace the creation time SPSS and Stata files carry by a fixed one."""
    if suffix == ".sav" and raw[:4] in (b"$FL2", b"$FL3") and len(raw) > 109:
        return raw[:92] + b"01 Jan 00" + b"00:00:00" + raw[109:]
    if suffix == ".dta":
        return re.sub(rb"<timestamp>.[^<]*</timestamp>",
                      b"<timestamp>\x1101 Jan 2000 00:00</timestamp>", raw, count=1,
                      flags=re.DOTALL)
    return raw


def log_table(log: ImportLog) -> pd.DataFrame:
    """Every record of an import log as a table (row, column, value, reason, action,
    message; preceded by file when several files were read), for ``survey import --log``."""
    import pandas as pd

    cols = ["row", "column", "value", "reason", "action", "message"]
    if log.files:
        cols = ["file", *cols]
    recs = [r.as_dict() for r in log.records]
    frame = pd.DataFrame(recs, columns=cols)
    frame["row"] = frame["row"].astype("Int64")
    return frame
