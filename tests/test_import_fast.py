"""The columnar fast paths of the import read every file exactly as the careful paths do.

CSV is parsed by pyarrow and workbooks by fastexcel when they can read a file cleanly;
otherwise the csv module and python-calamine read it, with every check. Here each file
is imported both ways (the fast readers switched off for the second) and everything a
user or script sees must be the same: the data, the metadata, every log record, note and
rejection, the rejected rows, or the same one-line refusal. The files are the sample data,
the platform fixtures, and every seeded mutation of the mutation test.
"""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest
import test_import_mutations as mutations

from survey.errors import ResponseFileError
from survey.instrument import load
from survey.responses import read_responses
from survey.responses import tables as tables_module
from survey.responses.writers import write_frame

REPO = Path(__file__).resolve().parents[1]
KOBO_INSTRUMENT = REPO / "tests" / "data" / "kobo_formpack_instrument.yaml"


def _outcome(path: Path, instrument) -> object:
    try:
        rs = read_responses(path, instrument)
    except ResponseFileError as exc:
        return str(exc)
    return rs


def _careful(monkeypatch, path: Path, instrument) -> object:
    with monkeypatch.context() as m:
        m.setattr(tables_module, "_arrow_parse", lambda text, delim: None)
        m.setattr(tables_module, "_read_workbook_fast", lambda *a, **k: None)
        return _outcome(path, instrument)


def _same(fast: object, careful: object, case: str) -> None:
    if isinstance(careful, str) or isinstance(fast, str):
        assert fast == careful, case
        return
    pd.testing.assert_frame_equal(fast.data, careful.data, obj=f"{case} data")
    pd.testing.assert_frame_equal(fast.meta, careful.meta, obj=f"{case} meta")
    assert fast.log.records == careful.log.records, case
    assert fast.log.notes == careful.log.notes, case
    assert fast.log.rejected == careful.log.rejected, case
    assert (fast.log.rows_read, fast.log.rows_accepted) == (careful.log.rows_read,
                                                          careful.log.rows_accepted), case
    pd.testing.assert_frame_equal(fast.log.rejected_rows, careful.log.rejected_rows,
                                  obj=f"{case} rejected rows")
    assert write_frame(fast.data, ".csv") == write_frame(careful.data, ".csv"), case


FILES = [
    *[(p, "lab-culture") for p in sorted((REPO / "sample_data").glob("*.*"))
      if p.suffix in (".csv", ".xlsx")],
    *[(p, "lab-culture") for p in sorted((REPO / "sample_data" / "broken").glob("*.*"))],
    *[(p, KOBO_INSTRUMENT) for p in sorted(
        (REPO / "tests" / "fixtures" / "platforms" / "kobo").glob("formpack_*.*"))
      if p.suffix in (".csv", ".xlsx")],
]


@pytest.mark.parametrize(("path", "instrument"), FILES,
                         ids=[p.relative_to(REPO).as_posix() for p, _ in FILES])
def test_fast_and_careful_readers_agree_on_real_files(monkeypatch, path, instrument):
    inst = load(instrument)
    _same(_outcome(path, inst), _careful(monkeypatch, path, inst), path.name)


def test_the_fast_readers_are_used_where_they_can_be(monkeypatch, tmp_path):
    """Guard against a fast path that silently never runs."""
    calls = {"arrow": 0, "fastexcel": 0}
    real_arrow, real_fast = tables_module._arrow_parse, tables_module._read_workbook_fast

    def arrow(*a, **k):
        out = real_arrow(*a, **k)
        calls["arrow"] += out is not None
        return out

    def fast(*a, **k):
        out = real_fast(*a, **k)
        calls["fastexcel"] += out is not None
        return out

    monkeypatch.setattr(tables_module, "_arrow_parse", arrow)
    monkeypatch.setattr(tables_module, "_read_workbook_fast", fast)
    inst = load("lab-culture")
    read_responses(REPO / "sample_data" / "lab_culture_responses.kobo.csv", inst)
    data = pd.read_excel(REPO / "sample_data" / "lab_culture_responses.xlsx",
                         sheet_name="responses", engine="calamine", dtype=object)
    one_sheet = tmp_path / "one.xlsx"
    one_sheet.write_bytes(write_frame(data, ".xlsx"))
    read_responses(one_sheet, inst)
    assert calls == {"arrow": 1, "fastexcel": 1}


@pytest.mark.slow
def test_fast_and_careful_readers_agree_on_every_mutated_file(monkeypatch, tmp_path):
    inst = mutations.INSTRUMENT
    for layout, seed in mutations._cases():
        rng = random.Random(f"{layout}/{seed}")
        spec = mutations.LAYOUTS[layout]
        original = mutations._respondents(rng)
        clean = spec.write(original, inst)
        pool = mutations.mutations_for(spec.suffix)
        mutate = pool[seed % len(pool)]
        data, _, _ = mutate(rng, clean, original["respondent_id"].tolist())
        path = tmp_path / f"{layout}-{seed}{spec.suffix}"
        path.write_bytes(data)
        _same(_outcome(path, inst), _careful(monkeypatch, path, inst),
              f"{layout}-{seed}-{mutate.__name__}")
