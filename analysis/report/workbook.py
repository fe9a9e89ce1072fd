"""``report.xlsx``: the report's tables, one sheet each, formatted for reading.

Sheets: ``about`` (what was analysed, the settings and the methods text), then one per
table of :data:`~analysis.report.tables.TABLE_NAMES` with the same columns as the CSV
files (the comparability checks included: ``icc``, ``nested``, ``rwg``, ``rwg_labs``,
``invariance_fits``, ``invariance_summary``, ``invariance_items``, ``styles``,
``style_differences``, ``acquiescence_sensitivity``). Cells keep every digit; number
formats round for display only. Headers are bold on a dark fill, frozen, filterable, and
columns are sized to their content. Text cells that a spreadsheet would run as a formula
are neutralised (prefixed with ``'``), and the file's bytes do not depend on the clock
(:func:`survey.outputs.workbook_bytes`).
"""

from __future__ import annotations

import math
import re
from typing import TYPE_CHECKING

from analysis.report.text import file_name, label, methods_paragraphs

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from analysis.report.tables import ReportData

__all__ = ["P_FORMAT", "number_format", "workbook"]

_INT_COLUMNS = {"n", "k", "n_a", "n_b", "n_higher", "n_lower", "row", "df1", "labs", "labs_a",
                "labs_b", "labs_higher", "labs_lower", "n_groups", "items", "n_items",
                "number", "expected", "seed", "n_iter", "components_suggested",
                "factors_suggested", "n_factors", "npar", "baseline_df", "step", "score_df",
                "n_reference", "n_group"}
#: Columns holding p-values.
_P_COLUMNS = {"p", "p_unc", "p_adj", "p_f", "p_z", "welch_p", "delta_p", "p_adj_welch",
              "p_unc_welch", "plain_p_adj", "corrected_p_adj", "p_tost", "p_tost_adj",
              "p_scaled", "score_p", "latent_p"}
#: Four decimals, and ``< .0001`` below that (the cell keeps the full value): a p of
#: 1.3e-15 must not read as 0.0000.
P_FORMAT = '[<0.0001]"< .0001";0.0000'
_SHARE = re.compile(r"^p_m?\d+$")
_HEADER_FILL = "1F4E79"


def number_format(table: str, column: str) -> str | None:
    """The Excel number format of a numeric column (None: leave as is).

    Examples
    --------
    >>> number_format("hypotheses", "p_adj"), number_format("items", "p_3")
    ('[<0.0001]"< .0001";0.0000', '0.0%')
    >>> number_format("invariance_fits", "df"), number_format("pairwise", "df")
    ('0', '0.000')
    """
    if column in _INT_COLUMNS:
        return "0"
    if table == "items" and _SHARE.match(column):
        return "0.0%"
    if (table.startswith("invariance") or table in ("cfa_fit", "partial_invariance")) \
            and column in ("df", "delta_df"):
        return "0"
    if column in _P_COLUMNS:
        return P_FORMAT
    return "0.000"


def _cell(value: object) -> object:
    """A pandas value as an openpyxl cell value (missing -> empty, text neutralised and
    without the control characters a workbook cannot hold: :func:`workbook_text`)."""
    import numpy as np
    import pandas as pd

    from survey.outputs import workbook_text

    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, bool | int | float):
        return value
    return workbook_text(str(value))


def _sheet(wb, name: str, frame: pd.DataFrame) -> None:
    from copy import copy

    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(name)
    columns = [str(c) for c in frame.columns]
    ws.append(columns)
    # a style is given to the first cell of a run and copied to the others (the same
    # style, without looking it up among the workbook's again)
    header = ws[1] if columns else ()
    if header:
        header[0].font = Font(bold=True, color="FFFFFF")
        header[0].fill = PatternFill("solid", fgColor=_HEADER_FILL)
        header[0].alignment = Alignment(vertical="center")
        for cell in header[1:]:
            cell._style = copy(header[0]._style)
    numeric = {c: frame[c].dtype.kind in "iuf" for c in frame.columns}
    formats = {str(c): number_format(name, str(c)) for c in frame.columns if numeric[c]}
    widths = [len(c) for c in columns]
    for values in frame.itertuples(index=False, name=None):
        row = [_cell(v) for v in values]
        ws.append(row)
        for j, v in enumerate(row):
            if v is not None:
                shown = len(f"{v:.3f}") if isinstance(v, float) else len(str(v))
                widths[j] = max(widths[j], shown)
    for j, col in enumerate(columns, start=1):
        fmt = formats.get(col)
        if fmt and len(frame):
            cells = [cell for (cell,) in ws.iter_rows(min_row=2, min_col=j, max_col=j)]
            cells[0].number_format = fmt
            for cell in cells[1:]:
                cell._style = copy(cells[0]._style)
        ws.column_dimensions[get_column_letter(j)].width = min(max(widths[j - 1] + 2, 6), 60)
    ws.freeze_panes = "A2"
    if len(frame):
        ws.auto_filter.ref = ws.dimensions


def _about(wb, data: ReportData) -> None:
    from openpyxl.styles import Alignment, Font

    from survey.outputs import workbook_text

    inst = data.instrument
    log = data.responses.log
    lang = data.lang
    ws = wb.active
    ws.title = "about"
    rows: list[tuple[str, object]] = [
        (label("report", lang), data.text(inst.title)),
        (label("instrument", lang), f"{inst.id} {inst.version}"),
        (label("data_file", lang), file_name(log.file)),
        (label("platform", lang), log.platform),
        (label("rows_read", lang), log.rows_read),
        (label("rows_accepted", lang), log.rows_accepted),
        (label("rows_rejected", lang), log.rows_rejected),
        (label("compared_by", lang), data.by),
        ("min_group_n", data.min_group_n),
        ("adjust", data.adjust),
        ("alpha", data.alpha),
        ("min_answered", data.min_answered),
    ]
    if data.prereg is not None:
        n = len(data.prereg.deviations)
        rows.append((label("prereg", lang), file_name(data.prereg.file)))
        rows.append((label("deviations", lang), n if n else label(
            "as_preregistered", lang).format(file=file_name(data.prereg.file))))
    if data.responses.simulated:
        rows.insert(0, (label("simulated", lang), label("simulated_note", lang)))
    if data.stamp:
        rows.append((label("generated", lang), data.stamp))
    for key, value in rows:
        ws.append([workbook_text(key), _cell(value)])
    ws.append([])
    ws.append([label("methods", lang)])
    ws.cell(ws.max_row, 1).font = Font(bold=True)
    for paragraph in methods_paragraphs(data):
        ws.append([workbook_text(paragraph)])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=2)
        cell = ws.cell(ws.max_row, 1)
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[ws.max_row].height = 15 * (len(paragraph) // 110 + 1)
    for (cell,) in ws.iter_rows(min_row=1, max_row=len(rows), max_col=1):
        cell.font = Font(bold=True)
    ws.column_dimensions["A"].width = 28
    ws.column_dimensions["B"].width = 90


def workbook(data: ReportData) -> bytes:
    """The report workbook as bytes (same input, same bytes)."""
    from openpyxl import Workbook

    from analysis.report.tables import TABLE_NAMES
    from survey.outputs import workbook_bytes

    wb = Workbook()
    _about(wb, data)
    for name in TABLE_NAMES:
        _sheet(wb, name, data.tables[name])
    if data.prereg is not None:
        from analysis.report.tables import deviations_table

        _sheet(wb, "deviations", deviations_table(data.prereg))
    return workbook_bytes(wb)
