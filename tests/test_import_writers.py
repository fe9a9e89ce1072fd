"""The column-wise CSV writer gives the bytes the csv module would, for any table."""

from __future__ import annotations

import csv
import io
import random

import numpy as np
import pandas as pd

from survey.outputs import csv_text, neutralise
from survey.responses.writers import _cells, write_frame

POOL = ["a", "=1+1", "-3", "x,y", 'q"t', "line\nbreak", "cr\ronly", " sp ", "", None,
        "中文", "+R2", "@x", np.nan, "2.5", "007"]


def _reference(frame: pd.DataFrame, verbatim: bool) -> bytes:
    """The writer as it was: the csv module, one cell at a time."""
    columns = [str(c) for c in frame.columns]
    cells = _cells(frame)

    def write(end: str) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator=end)
        w.writerow(columns if verbatim else [neutralise(c) for c in columns])
        for row in zip(*cells, strict=True):
            w.writerow(["" if v is None else str(v if verbatim else neutralise(v))
                        for v in row])
        return buf.getvalue()

    return csv_text(write).encode("utf-8")


def _frame(rng: random.Random) -> pd.DataFrame:
    n = rng.randint(0, 9)

    def pick(pool):
        return [rng.choice(pool) for _ in range(n)]

    return pd.DataFrame({
        "id": pick(POOL),
        "=group": pd.Categorical(pick(["china", "=x", None]), categories=["china", "=x"]),
        "item": pd.array(pick([1, 2, None, 5, -1, 10**12]), dtype="Int64"),
        "score": pick([1.0, 2.5, np.nan, 1e20, -0.0, 3, float("inf"), 0.1 + 0.2]),
        "mixed": pd.Series(pick([1, 2.5, "t", None, True, 2.0, "-4"]), dtype=object),
        "flag": pd.array(pick([True, False, None]), dtype="boolean"),
        "text": pd.Series(pick(POOL), dtype="str"),
        "other": pd.Series(pick(POOL), dtype=object),
    })


def test_column_wise_csv_is_byte_identical_to_the_csv_module():
    rng = random.Random(20240)
    for _ in range(400):
        frame = _frame(rng)
        for verbatim in (False, True):
            assert write_frame(frame, ".csv", verbatim=verbatim) == _reference(frame, verbatim)


def test_one_column_tables_keep_the_csv_module():
    frame = pd.DataFrame({"id": ["", "a"]})
    assert write_frame(frame, ".csv") == b'id\n""\na\n'


def test_pandas_na_in_a_text_column_is_a_blank_cell_not_the_text_na():
    frame = pd.DataFrame({"mixed": pd.Series(["x", pd.NA, 1], dtype=object),
                          "text": pd.Series(["x", pd.NA, "y"], dtype=object)})
    assert write_frame(frame, ".csv") == b"mixed,text\nx,x\n,\n1,y\n"
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(write_frame(frame, ".xlsx"))).active
    assert [[c.value for c in r] for r in sheet.iter_rows()] == [
        ["mixed", "text"], ["x", "x"], [None, None], [1, "y"]]
