"""Several response files in one import: files, a folder or a pattern, merged with
per-file accounting; mixed layouts or instruments refused in one line."""

from __future__ import annotations

import random
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from survey.cli import cli
from survey.errors import ResponseFileError
from survey.responses import read_responses, response_files
from survey.responses.validate import Policy
from tests.test_import_mutations import (
    INSTRUMENT,
    LAYOUTS,
    _respondents,
    mutations_for,
)

#: Random cuts of one export per layout; the seeds are fixed.
SPLITS_PER_LAYOUT = 4

HEADER = "respondent_id,lab_region,lab,a1,a2,attn1\r\n"


@pytest.fixture
def answers(tmp_path: Path) -> Path:
    """What the HTML form's downloads look like: one file per respondent."""
    folder = tmp_path / "answers"
    folder.mkdir()
    for name, row in (("tiny-R1.csv", "R1,china,CN-01,4,2,4"),
                      ("tiny-R2.csv", "R2,united_states,US-01,5,x,4"),
                      ("tiny-R3.csv", "R1,china,CN-02,1,1,4"),     # R1 again
                      ("tiny-R4.csv", ",,,,,\r\nR4,china,CN-01,2,2,4")):
        (folder / name).write_bytes(("\ufeff" + HEADER + row + "\r\n").encode("utf-8"))
    (folder / "notes.md").write_text("not a response file", encoding="utf-8")
    (folder / "~$tiny-R1.csv").write_text("Excel lock file", encoding="utf-8")
    return folder


def test_a_folder_a_pattern_and_a_list_give_the_same_import(answers, tiny_instrument):
    files = sorted(answers.glob("tiny-*.csv"))
    assert response_files(answers) == files
    assert response_files(str(answers / "tiny-*.csv")) == files
    results = [read_responses(src, tiny_instrument)
               for src in (answers, str(answers / "tiny-*.csv"), files)]
    for rs in results:
        pd.testing.assert_frame_equal(rs.data, results[0].data)
    rs = results[0]
    log = rs.log
    assert (log.rows_read, log.rows_accepted, log.rows_rejected) == (5, 3, 2)
    assert log.files == {str(f): n for f, n in zip(files, (1, 1, 1, 2), strict=True)}
    assert log.per_file() == [(str(files[0]), 1, 1, 0), (str(files[1]), 1, 1, 0),
                              (str(files[2]), 1, 0, 1), (str(files[3]), 2, 1, 1)]
    assert log.rejected == {(str(files[2]), 2): "duplicate_id",
                            (str(files[3]), 2): "empty_row"}
    assert log.flatten(["file", "row", "column", "reason"]) == [
        [str(files[1]), 2, "a2", "unknown_label"],
        [str(files[2]), 2, "respondent_id", "duplicate_id"],
        [str(files[3]), 2, None, "empty_row"],
    ]
    assert log.records[1].message == (f"respondent_id 'R1' already used in row 2 of "
                                      f"{files[0]}; the first occurrence is kept")
    assert rs.data["respondent_id"].tolist() == ["R1", "R2", "R4"]
    assert rs.meta["source_file"].tolist() == [str(files[0]), str(files[1]), str(files[3])]
    assert rs.meta["source_row"].tolist() == [2, 2, 3]
    assert log.rejected_rows[["file", "row", "reason", "respondent_id", "lab"]].values.tolist() \
        == [[str(files[2]), 2, "duplicate_id", "R1", "CN-02"],
            [str(files[3]), 2, "empty_row", None, None]]


def test_survey_import_takes_several_files(answers, tmp_path, tiny_yaml):
    inst = tmp_path / "tiny.yaml"
    inst.write_text(tiny_yaml, encoding="utf-8")
    files = sorted(answers.glob("tiny-*.csv"))
    log = tmp_path / "log.csv"
    rejected = tmp_path / "rejected.csv"
    r = CliRunner().invoke(cli, ["import", *map(str, files), "-i", str(inst), "--log",
                                 str(log), "--rejected", str(rejected)])
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert lines[0].endswith(", 4 files: platform template (recognised from the header)")
    assert "rows read 5, accepted 3, rejected 2" in lines
    assert f"  {files[2]}: rows read 1, rejected 1" in lines
    assert f"  {files[3]}: rows read 2, rejected 1" in lines
    table = pd.read_csv(log, dtype=str, keep_default_na=False)
    assert list(table.columns) == ["file", "row", "column", "value", "reason", "action",
                                   "message"]
    assert table[["file", "row", "reason"]].values.tolist() == [
        [str(files[1]), "2", "unknown_label"], [str(files[2]), "2", "duplicate_id"],
        [str(files[3]), "2", "empty_row"]]
    back = pd.read_csv(rejected, dtype=str, keep_default_na=False)
    assert back[["file", "row", "respondent_id"]].values.tolist() == [
        [str(files[2]), "2", "R1"], [str(files[3]), "2", ""]]
    r = CliRunner().invoke(cli, ["import", str(answers), "-i", str(inst)])
    assert r.output.splitlines()[0] == (f"{answers}, 4 files: platform template (recognised "
                                        "from the header)")


def test_files_of_another_layout_are_refused(answers, tiny_instrument):
    kobo = answers / "kobo.csv"
    kobo.write_text("respondent_id;lab_region;lab;a1;a2;attn1;_uuid;_submission_time\n"
                    "K1;china;CN-01;4;2;4;u1;2024-01-01\n", encoding="utf-8")
    with pytest.raises(ResponseFileError) as exc:
        read_responses(answers, tiny_instrument)
    first = answers / "tiny-R1.csv"  # read after kobo.csv, in name order
    assert str(exc.value) == (f"{first}: a template export among kobo files ({kobo} is "
                              "kobo); import the files of one layout together")


def test_files_of_another_instrument_are_refused(answers, tiny_instrument):
    other = answers / "tiny-R9.csv"
    other.write_text("respondent_id,lab_region,lab,b1,b2\nR9,china,CN-01,4,2\n",
                     encoding="utf-8")
    with pytest.raises(ResponseFileError) as exc:
        read_responses(answers, tiny_instrument)
    assert str(exc.value) == (f"{other}: row 1: 2 columns of instrument 'tiny' missing: a1, "
                              "a2; none of its items is in the file: name the instrument the "
                              "file answers with -i (or rename columns with --map).")
    other.write_text("respondent_id,lab_region,lab,a1,a2\nR9,china,CN-01,4,2\n",
                     encoding="utf-8")
    with pytest.raises(ResponseFileError) as exc:
        read_responses(answers, tiny_instrument)
    assert str(exc.value) == (
        f"{other}: its columns differ from those of {sorted(answers.glob('*.csv'))[0]} (it "
        "lacks attn1); import files of one instrument and one layout together")


def test_nothing_to_read(tmp_path, tiny_instrument):
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ResponseFileError, match="the folder holds no response files"):
        read_responses(empty, tiny_instrument)
    with pytest.raises(ResponseFileError, match="no file matches this pattern"):
        read_responses(str(tmp_path / "nothing-*.csv"), tiny_instrument)


def _split(rng: random.Random, layout: str, folder: Path) -> tuple[pd.DataFrame, list[int],
                                                                    list[Path], Path]:
    """One export of a few respondents (a failed check, maybe an id used twice) written
    whole and cut at random into 2-4 files of the same layout, in name order."""
    spec = LAYOUTS[layout]
    n = rng.randint(3, 9)
    original = _respondents(rng, n)
    for k in rng.sample(range(n), rng.randint(1, 2)):
        original.loc[k, "attn1"] = 2
    if rng.random() < 0.7:
        j = rng.randrange(1, n)
        original.loc[j, "respondent_id"] = original.loc[rng.randrange(j), "respondent_id"]
    bounds = [0, *sorted(rng.sample(range(1, n), rng.randint(1, min(3, n - 1)))), n]
    parts = folder / "parts"
    parts.mkdir(parents=True)
    files = []
    for k in range(len(bounds) - 1):
        path = parts / f"part{k:02d}{spec.suffix}"
        piece = original.iloc[bounds[k]:bounds[k + 1]].reset_index(drop=True)
        path.write_bytes(spec.write(piece, INSTRUMENT))
        files.append(path)
    whole = folder / f"whole{spec.suffix}"
    whole.write_bytes(spec.write(original, INSTRUMENT))
    return original, bounds, files, whole


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_an_export_cut_into_files_imports_as_the_whole_export(tmp_path, layout):
    """However one export is cut into files, importing the files together gives the whole
    export's data and rejections, each named by its own file and row, and every row counted
    (rows read = accepted + rejected, in total and per file)."""
    policy = Policy(reject_failed_checks=True)
    for seed in range(SPLITS_PER_LAYOUT):
        rng = random.Random(f"many/{layout}/{seed}")
        original, bounds, files, whole_path = _split(rng, layout, tmp_path / str(seed))
        whole = read_responses(whole_path, INSTRUMENT, policy=policy)
        many = read_responses(files[0].parent, INSTRUMENT, policy=policy)
        log = many.log
        case = (layout, seed, bounds)
        assert log.rows_read == log.rows_accepted + log.rows_rejected == len(original), case
        assert (log.rows_accepted, log.rows_rejected) == (whole.log.rows_accepted,
                                                          whole.log.rows_rejected), case
        assert log.rows_rejected >= 1, case  # the failed check at least
        sizes = [b - a for a, b in zip(bounds, bounds[1:], strict=False)]
        assert log.files == {str(f): k for f, k in zip(files, sizes, strict=True)}, case
        per_file = log.per_file()
        assert [read for _, read, _, _ in per_file] == sizes, case
        assert all(read == acc + rej for _, read, acc, rej in per_file), case
        assert sum(rej for *_, rej in per_file) == log.rows_rejected, case
        pd.testing.assert_frame_equal(many.data.reset_index(drop=True),
                                      whole.data.reset_index(drop=True), obj=str(case))
        # the whole export's rows, accepted and rejected, are its first data row onwards;
        # the i-th respondent, in the k-th file, is that many rows below the first there
        rows = sorted([*whole.meta["source_row"], *whole.log.rejected])
        first = rows[0]
        assert rows == list(range(first, first + len(original))), case
        expect = {}
        for row, reason in whole.log.rejected.items():
            k = max(j for j in range(len(files)) if bounds[j] <= row - first)
            expect[(str(files[k]), row - bounds[k])] = reason
        assert log.rejected == expect, case
        assert many.meta["source_file"].tolist() == [
            str(files[max(j for j in range(len(files)) if bounds[j] <= r - first)])
            for r in whole.meta["source_row"]], case
        assert len(log.rejected_rows) == log.rows_rejected, case
        assert set(log.rejected_rows["file"]) <= {str(f) for f in files}, case


@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_a_damaged_file_among_several_is_refused_or_counted_as_alone(tmp_path, layout):
    """One of several files damaged (the mutations of test_import_mutations): the import
    refuses in one line naming that file, or reads each file's rows as that file alone
    reads them, with rows read = accepted + rejected."""
    spec = LAYOUTS[layout]
    pool = mutations_for(spec.suffix)
    for seed in range(len(pool)):
        rng = random.Random(f"many-damaged/{layout}/{seed}")
        original, bounds, files, _ = _split(rng, layout, tmp_path / str(seed))
        victim = rng.choice(files)
        clean = victim.read_bytes()
        ids = [i for i in original["respondent_id"] if i.encode() in clean]
        data, _, _ = pool[seed](rng, clean, ids)
        victim.write_bytes(data)
        case = (layout, seed, pool[seed].__name__, victim.name)
        try:
            alone = read_responses(victim, INSTRUMENT)
        except ResponseFileError as exc:
            alone = None
            alone_text = str(exc)
        try:
            many = read_responses(files[0].parent, INSTRUMENT)
        except ResponseFileError as exc:
            text = str(exc)
            assert "\n" not in text and "\r" not in text, (case, text)
            assert text.startswith(f"{victim}: "), (case, text)
            if alone is None:
                assert text == alone_text, case
            continue
        assert alone is not None, (case, "refused alone, read among others", alone_text)
        log = many.log
        assert log.rows_read == log.rows_accepted + log.rows_rejected, case
        assert log.rows_read == sum(log.files.values()), case
        assert log.files[str(victim)] == alone.log.rows_read, case
        sizes = [b - a for a, b in zip(bounds, bounds[1:], strict=False)]
        assert [log.files[str(f)] for f in files if f != victim] == [
            k for f, k in zip(files, sizes, strict=True) if f != victim], case
        assert all(read == acc + rej for _, read, acc, rej in log.per_file()), case
        assert victim.read_bytes() == data, (case, "the source file was changed")
