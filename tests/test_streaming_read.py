"""The large-file paths read, validate and write exactly what the careful paths do.

A text file is parsed by pyarrow in batches and converted batch by batch (a column that
holds numbers in the first batches and text later must come out as text, a column empty
in the first batches and numbers later as numbers, empty rows and title rows may fall on
any side of a batch edge). Here the batches are made a few rows long, so that the small
sample files cross many edges, and every outcome is compared with the csv-module reading
of the same file. The table writer that formats columns in Arrow is compared with
pandas' writer on seeded random tables.
"""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from test_import_fast import _same  # the one comparison of two readings

from survey.errors import ResponseFileError
from survey.instrument import load
from survey.outputs import csv_bytes, csv_pieces, csv_text, neutralise_frame
from survey.responses import read_responses
from survey.responses import tables as tables_module
from survey.responses.validate import _stripped, stripped_values

REPO = Path(__file__).resolve().parents[1]
KOBO_INSTRUMENT = REPO / "tests" / "data" / "kobo_formpack_instrument.yaml"
#: Bytes per batch: two to a dozen rows of the sample files.
SMALL_BATCH = 2048


def _read(path: Path, instrument, monkeypatch, *, fast: bool,
          batch: int = SMALL_BATCH, stream: bool = True) -> object:
    with monkeypatch.context() as m:
        if fast:
            m.setattr(tables_module, "ARROW_BLOCK_BYTES", batch)
            if stream:  # as a file too large to parse at once
                m.setattr(tables_module, "ARROW_WHOLE_BYTES", 0)
        else:
            m.setattr(tables_module, "_arrow_parse", lambda text, delim: None)
        try:
            return read_responses(path, instrument)
        except ResponseFileError as exc:
            return str(exc)


TEXT_FILES = [
    *[(p, "lab-culture") for p in sorted((REPO / "sample_data").glob("*.csv"))],
    *[(p, "lab-culture") for p in sorted((REPO / "sample_data" / "broken").glob("*.csv"))],
    *[(p, KOBO_INSTRUMENT) for p in sorted(
        (REPO / "tests" / "fixtures" / "platforms" / "kobo").glob("formpack_*.csv"))],
]


@pytest.mark.parametrize("stream", [True, False], ids=["streamed", "whole"])
@pytest.mark.parametrize(("path", "instrument"), TEXT_FILES,
                         ids=[p.relative_to(REPO).as_posix() for p, _ in TEXT_FILES])
def test_batch_by_batch_agrees_with_the_careful_reading(monkeypatch, path, instrument,
                                                        stream):
    inst = load(instrument)
    _same(_read(path, inst, monkeypatch, fast=True, stream=stream),
          _read(path, inst, monkeypatch, fast=False), path.name)


TINY = """\
id: tiny
version: "1"
languages: [en]
title: {en: Tiny}
scales: {agree5: {points: [1, 2, 3, 4, 5], labels: {en: [SD, D, N, A, SA]}}}
groups:
  - {id: lab, type: text, required: true, text: {en: Lab}}
constructs:
  - {id: c, name: {en: C}, definition: {en: D}, scale: agree5,
     items: [{id: a1, text: {en: One}, reverse: false},
             {id: a2, text: {en: Two}, reverse: true},
             {id: a3, text: {en: Three}, reverse: false}]}
"""


def _rows(n: int, rng: random.Random) -> list[list[str]]:
    return [[f"R{k:04d}", f"CN-{rng.randint(1, 3):02d}", str(rng.randint(1, 5)),
             str(rng.randint(1, 5)), str(rng.randint(1, 5))] for k in range(n)]


def _edits():
    """Files whose surprises fall in later batches (name, function of the rows)."""
    def text_late(rows):  # a number column with a word in a late batch
        rows[150][2] = "Agree"
        return rows

    def numbers_late(rows):  # a column empty at first, numbers from a late batch on
        for k, row in enumerate(rows):
            row[3] = "" if k < 120 else row[3]
        return rows

    def never_numbers(rows):  # a column empty throughout
        for row in rows:
            row[4] = ""
        return rows

    def empty_run(rows):  # more than 100 empty rows in the middle, then more answers
        return rows[:40] + [[""] * 5] * 130 + rows[40:]

    def trailing_empty(rows):
        return rows + [[""] * 5] * 60

    def leading_zero_late(rows):  # "04" keeps a column text, even far down
        rows[170][4] = "04"
        return rows

    def long_number_late(rows):  # a whole number too long to be a code
        rows[160][2] = "1234567890123"
        return rows

    def repeated_header_late(rows):
        rows[140] = ["respondent_id", "lab", "a1", "a2", "a3"]
        return rows

    return [text_late, numbers_late, never_numbers, empty_run, trailing_empty,
            leading_zero_late, long_number_late, repeated_header_late]


@pytest.mark.parametrize("edit", _edits(), ids=lambda f: f.__name__)
@pytest.mark.parametrize("title_rows", [0, 2])
def test_surprises_in_later_batches(tmp_path, monkeypatch, edit, title_rows):
    from survey.instrument import loads

    inst = loads(TINY, file="tiny.yaml")
    rows = edit(_rows(200, random.Random(edit.__name__)))
    head = ["Lab survey export,,,,", ",,,,"][:title_rows]
    text = "\n".join([*head, "respondent_id,lab,a1,a2,a3", *(",".join(r) for r in rows)])
    path = tmp_path / "r.csv"
    path.write_text(text + "\n", encoding="utf-8")
    batches, results = [], []
    real = tables_module._table_from_arrow

    def counting(stream, *args, **kwargs):
        results.append(real(_Counted(stream, batches), *args, **kwargs))
        return results[-1]

    monkeypatch.setattr(tables_module, "_table_from_arrow", counting)
    fast = _read(path, inst, monkeypatch, fast=True, batch=256)
    monkeypatch.undo()
    assert len(batches) > 5 and results[0] is not None  # read in many batches, to the end
    _same(fast, _read(path, inst, monkeypatch, fast=False), edit.__name__)


class _Counted:
    """A batch stream that records the batches it hands out."""

    def __init__(self, stream, seen: list) -> None:
        self.stream, self.seen, self.schema = stream, seen, stream.schema

    def __iter__(self):
        for batch in self.stream:
            self.seen.append(batch.num_rows)
            yield batch


def test_a_row_longer_than_a_batch_is_read_carefully(tmp_path, monkeypatch):
    from survey.instrument import loads

    inst = loads(TINY, file="tiny.yaml")
    rows = _rows(50, random.Random(3))
    rows[30][1] = "CN-" + "x" * 5000
    path = tmp_path / "r.csv"
    path.write_text("respondent_id,lab,a1,a2,a3\n" + "\n".join(",".join(r) for r in rows),
                    encoding="utf-8")
    _same(_read(path, inst, monkeypatch, fast=True),
          _read(path, inst, monkeypatch, fast=False), "long row")


def test_stripped_values_in_bulk_as_one_by_one():
    rng = random.Random(5)
    pieces = ["", " ", "\u3000", "\t", "a", "CN-01", "é", "中", "\x1c", "0", " x ", "y\n"]
    values = ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 4)))
              for _ in range(3000)]
    values = list(dict.fromkeys(values))  # distinct, as a column's are
    assert len(values) > 256  # the bulk path
    got, text = stripped_values(values)
    assert text and got == [_stripped(v) for v in values]
    mixed = [*values, 4.0]
    assert stripped_values(mixed) == ([_stripped(v) for v in mixed], False)


def test_single_digit_columns_as_the_general_check():
    rng = random.Random(8)
    for _ in range(200):
        cells = [rng.choice(["1", "5", "0", "9", None, "12", "04", " 3", "x", "٣"])
                 for _ in range(rng.randint(1, 30))]
        arr = pa.array(cells, pa.string())
        for part in (arr, arr.slice(rng.randint(0, len(arr) - 1))):
            got = tables_module._plain_numbers(part)
            filled = [c for c in part.to_pylist() if c is not None]
            plain = filled and all(c.isascii() and c.isdigit() and (c == "0" or c[0] != "0")
                                   for c in filled)
            if not plain:
                assert got is None, part
            else:
                want = [np.nan if c is None else float(c) for c in part.to_pylist()]
                np.testing.assert_array_equal(got, want)


def _pandas_csv(frame: pd.DataFrame) -> bytes:
    safe = neutralise_frame(frame)
    return csv_text(lambda end: safe.to_csv(index=False, lineterminator=end)).encode("utf-8")


def _random_frame(rng: random.Random, n: int) -> pd.DataFrame:
    nprng = np.random.default_rng(rng.randint(0, 2**32 - 1))
    texts = ["a", "b,c", 'q"uote', "=1+1", "-3", "+x", "@y", "\ttab", "line\nbreak",
             "cr\rhere", "中文", "٣", " spaced ", "", "-1e3", "x" * 40]
    specials = [0.0, -0.0, 1e-5, 1e-4, 123456789012345678.0, 1e16, 1e15 + 0.5, np.inf,
                -np.inf, np.nan, 2.5, 1 / 3, 0.1 + 0.2, 5e-324]
    columns = {}
    for k in range(rng.randint(2, 7)):
        kind = rng.choice(["float", "few_floats", "int", "Int64", "bool", "category",
                           "text", "str"])
        if kind == "float":
            values = nprng.normal(size=n) * 10.0 ** nprng.integers(-8, 20, n)
            values[nprng.random(n) < 0.2] = rng.choice(specials)
        elif kind == "few_floats":
            values = nprng.integers(6, 31, n) / 6.0
            values[nprng.random(n) < 0.1] = np.nan
        elif kind == "int":
            values = nprng.integers(-10**12, 10**12, n)
        elif kind == "Int64":
            values = pd.array(nprng.integers(1, 6, n), dtype="Int64")
            values[nprng.random(n) < 0.3] = pd.NA
        elif kind == "bool":
            values = nprng.random(n) < 0.5
        elif kind == "category":
            values = pd.Categorical([rng.choice([*texts[:6], None]) for _ in range(n)])
        elif kind == "text":
            values = np.array([rng.choice([*texts, None]) for _ in range(n)], dtype=object)
        else:
            values = pd.array([rng.choice([*texts, None]) for _ in range(n)], dtype="str")
        columns[f"{kind} {k}" if k % 3 else f"c,{k}"] = values
    return pd.DataFrame(columns)


@pytest.mark.parametrize("seed", range(12))
def test_table_writer_writes_what_pandas_writes(seed, monkeypatch):
    rng = random.Random(seed)
    monkeypatch.setattr("survey.outputs.CSV_CHUNK_ROWS", 700)  # several pieces
    frame = _random_frame(rng, rng.choice([3, 1500, 2500]))
    assert csv_bytes(frame) == _pandas_csv(frame)
    assert b"".join(csv_pieces(frame)) == _pandas_csv(frame)


def test_table_writer_falls_back_for_what_it_does_not_know():
    frame = pd.DataFrame({"when": pd.to_datetime(["2024-01-02", None]), "x": [1.5, 2.0]})
    assert csv_bytes(frame) == _pandas_csv(frame)
    single = pd.DataFrame({"only": ["", "a"]})
    assert csv_bytes(single) == _pandas_csv(single)


@pytest.mark.slow
def test_batch_by_batch_agrees_on_every_mutated_text_file(monkeypatch, tmp_path):
    from tests import test_import_mutations as mutations

    inst = mutations.INSTRUMENT
    for layout, seed in mutations._cases():
        spec = mutations.LAYOUTS[layout]
        if spec.suffix in (".xlsx", ".xls"):  # workbooks: not read in text batches
            continue
        rng = random.Random(f"{layout}/{seed}")
        original = mutations._respondents(rng)
        clean = spec.write(original, inst)
        mutate = mutations.TEXT_MUTATIONS[seed % len(mutations.TEXT_MUTATIONS)]
        data, _, _ = mutate(rng, clean, original["respondent_id"].tolist())
        path = tmp_path / f"{layout}-{seed}{spec.suffix}"
        path.write_bytes(data)
        _same(_read(path, inst, monkeypatch, fast=True, batch=128),
              _read(path, inst, monkeypatch, fast=False), f"{layout}-{seed}-{mutate.__name__}")
