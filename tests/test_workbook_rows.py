"""Rows written as text (``survey.outputs._rows_written_directly``) are the bytes openpyxl
writes element by element: on seeded random sheets of every kind of cell value and style,
with rows openpyxl keeps writing itself (row heights, comments, hyperlinks, formulas,
dates) mixed in, and on the report's workbook of the bundled sample."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import random

import pytest

from survey import outputs

openpyxl = pytest.importorskip("openpyxl")

_CHARS = list("ab Z09 &<>\"'\n\t-=+@.") + ["é", "数", "\u00a0", "😀"]
_SPECIAL = [None, True, False, 0, -1, 10**20, -0.0, 1e-300, 123456789.123456789, math.nan,
            math.inf, -math.inf, "", " ", "  padded  "]
_OTHER = ["=SUM(A1:A2)", dt.datetime(2024, 5, 6, 7, 8, 9), dt.date(2020, 1, 2)]


def _value(rng: random.Random):
    roll = rng.random()
    if roll < 0.3:
        return rng.choice(_SPECIAL)
    if roll < 0.45:
        return rng.uniform(-1e6, 1e6)
    if roll < 0.55:
        return rng.randint(-(10**6), 10**6)
    if roll < 0.95:
        return "".join(rng.choice(_CHARS) for _ in range(rng.randint(0, 12)))
    return rng.choice(_OTHER)


def _without_direct_rows(monkeypatch):
    monkeypatch.setattr(outputs, "_rows_written_directly", contextlib.nullcontext)


def _build(rows, styles, extras):
    from openpyxl import Workbook
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill

    wb = Workbook()
    ws = wb.active
    for r, values in enumerate(rows, start=1):
        ws.append(values)
        for c, style in enumerate(styles[r - 1], start=1):
            if c > len(values) or style == 0:
                continue
            cell = ws.cell(r, c)
            if style == 1:
                cell.number_format = "0.000"
            elif style == 2:
                cell.font = Font(bold=True, color="FFFFFF")
                cell.fill = PatternFill("solid", fgColor="1F4E79")
            elif style == 3:
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                cell.number_format = '[<0.0001]"< .0001";0.0000'
    for kind, r in sorted(extras, key=lambda extra: extra[0] == "merge"):  # merges last
        r = min(r, len(rows)) if rows else 1
        if kind == "height":
            ws.row_dimensions[r].height = 30
        elif kind == "comment":
            ws.cell(r, 1).comment = Comment("a note", "someone")
        elif kind == "link":
            ws.cell(r, 2).hyperlink = "https://example.org/a?b=1&c=2"
        elif kind == "merge":
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=2)
    ws2 = wb.create_sheet("second")
    ws2.append(["only", 1, None, True])
    return wb


@pytest.mark.parametrize("seed", range(120))
def test_rows_written_directly_are_openpyxls_bytes(seed):
    rng = random.Random(seed)
    data = [[_value(rng) for _ in range(rng.randint(0, 6))] for _ in range(rng.randint(0, 8))]
    styles = [[rng.randint(0, 3) for _ in range(6)] for _ in range(8)]
    extras = [(rng.choice(["height", "comment", "link", "merge"]), rng.randint(1, 8))
              for _ in range(rng.randint(0, 3))]
    fast = outputs.workbook_bytes(_build(data, styles, extras))
    with pytest.MonkeyPatch.context() as mp:
        _without_direct_rows(mp)
        slow = outputs.workbook_bytes(_build(data, styles, extras))
    assert fast == slow


def test_plain_cells_are_written_directly():
    """The fast path is taken (not every row handed back to openpyxl), and the method
    is put back afterwards."""
    from openpyxl.worksheet._writer import WorksheetWriter

    before = WorksheetWriter.write_row
    calls = []
    wb = _build([[1, "a", None, 2.5, True, " padded "]] * 3, [[1, 2, 3, 0, 0, 0]] * 8, [])

    def recording(*args):
        calls.append(args)
        return before(*args)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(WorksheetWriter, "write_row", recording)
        outputs.workbook_bytes(wb)
        assert WorksheetWriter.write_row is recording  # put back when the save is done
    assert calls == [] or openpyxl.LXML


def test_special_numbers_as_openpyxl_writes_them():
    wb = _build([[math.nan, math.inf, -math.inf, -0.0, 10**17 + 1]], [[0] * 6] * 8, [])
    fast = outputs.workbook_bytes(wb)
    with pytest.MonkeyPatch.context() as mp:
        _without_direct_rows(mp)
        assert outputs.workbook_bytes(wb) == fast


def test_the_report_workbook_is_the_same(monkeypatch):
    from conftest import SAMPLE_DATA

    from analysis.report.tables import prepare_report
    from analysis.report.workbook import workbook
    from survey.instrument import load
    from survey.responses import read_responses

    data = prepare_report(read_responses(SAMPLE_DATA / "lab_culture_responses.xlsx", load()))
    fast = workbook(data)
    _without_direct_rows(monkeypatch)
    assert workbook(data) == fast
