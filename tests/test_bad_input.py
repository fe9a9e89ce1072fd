"""Messy files as researchers have them: one line, exit code 2, and the input untouched.

Every command that reads a file a user gave is run here on the broken versions a
researcher's disk holds (empty files, binary garbage, folders, files cut short, wrong
instruments, malformed mappings, outputs that cannot be written). Each case must end
with exactly one line ``error: FILE: row R, column C: ...`` on stderr (the parts that are
known), exit code 2, no traceback, and the input files byte for byte as they were.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from survey.cli import cli

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
KOBO_CSV = SAMPLE / "lab_culture_responses.kobo.csv"
TEMPLATE_XLSX = SAMPLE / "lab_culture_responses.xlsx"
QUALTRICS_CSV = SAMPLE / "lab_culture_responses.qualtrics.csv"
INSTRUMENT = ROOT / "instruments" / "lab-culture" / "instrument.yaml"


def _digest(folder: Path) -> dict[str, str]:
    """Content hash of every file below ``folder`` (to prove nothing was changed)."""
    out = {}
    for p in sorted(folder.rglob("*")):
        if p.is_file():
            with open(p, "rb") as fh:  # not Path.read_bytes, which a test may fake
                out[str(p.relative_to(folder))] = hashlib.sha256(fh.read()).hexdigest()
    return out


def _fail(args: list[str], cwd: Path, *, after_summary: bool = False) -> str:
    """Run ``survey ARGS`` in ``cwd``; assert exit 2, one stderr line, inputs unchanged.

    Nothing may reach stdout unless ``after_summary`` (the file was read and summarised,
    and writing an output failed). Returns the stderr line without its ``error: ``.
    """
    before = _digest(cwd)
    old = Path.cwd()
    os.chdir(cwd)
    try:
        result = CliRunner().invoke(cli, args)
    finally:
        os.chdir(old)
    assert result.exception is None or isinstance(result.exception, SystemExit), (
        repr(result.exception)
    )
    assert result.exit_code == 2, (result.exit_code, result.output)
    assert after_summary or result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), lines[0]
    after = {k: v for k, v in _digest(cwd).items() if k in before}
    assert after == before, "an input file was changed"
    return lines[0][len("error: "):]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder holding copies of a response file, a mapping and an instrument."""
    shutil.copy(KOBO_CSV, tmp_path / "kobo.csv")
    shutil.copy(INSTRUMENT, tmp_path / "instrument.yaml")
    (tmp_path / "map.yaml").write_text("rename:\n  participant: respondent_id\n",
                                       encoding="utf-8")
    (tmp_path / "folder.csv").mkdir()
    return tmp_path


# ---- outputs ---------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["import", "kobo.csv", "-o", "kobo.csv"],
         "kobo.csv: -o would overwrite the input file kobo.csv; the inputs are never "
         "changed, choose another name"),
        (["import", "kobo.csv", "-o", "./kobo.csv"],
         "./kobo.csv: -o would overwrite the input file kobo.csv; the inputs are never "
         "changed, choose another name"),
        (["import", "kobo.csv", "--rejected", "kobo.csv"],
         "kobo.csv: --rejected would overwrite the input file kobo.csv; the inputs are "
         "never changed, choose another name"),
        (["import", "kobo.csv", "--log", "kobo.csv"],
         "kobo.csv: --log would overwrite the input file kobo.csv; the inputs are never "
         "changed, choose another name"),
        (["import", "kobo.csv", "-o", "hard.csv"],
         "hard.csv: -o would overwrite the input file kobo.csv; the inputs are never "
         "changed, choose another name"),
        (["import", "kobo.csv", "-o", "a.csv", "--rejected", "a.csv"],
         "a.csv: --rejected and -o name the same file; give each its own name"),
        (["import", "kobo.csv", "-o", "folder.csv"],
         "folder.csv: -o is a folder; give a file name"),
        (["import", "kobo.csv", "-o", "clean.txt"],
         "clean.txt: -o: the output name must end in .csv, .xlsx, .parquet, .sav, .dta"),
        (["import", "kobo.csv", "-o", "clean"],
         "clean: -o: the output name must end in .csv, .xlsx, .parquet, .sav, .dta"),
        (["import", "kobo.csv", "--rejected", "rej.sav"],
         "rej.sav: --rejected writes .csv or .xlsx; end the name in one of them"),
        (["import", "kobo.csv", "-o", "kobo.csv/clean.csv"],
         "kobo.csv/clean.csv: cannot write: a file stands where its folder should be"),
        (["export", "instrument.yaml", "-f", "codebook", "-o", "instrument.yaml"],
         "instrument.yaml: -o: the codebook format writes .md files; end the name in .md"),
        (["export", "-f", "xlsx", "-o", "form.csv"],
         "form.csv: -o: the xlsx format writes .xlsx files; end the name in .xlsx"),
        (["export", "-f", "redcap", "-o", "folder.csv"],
         "folder.csv: -o is a folder; give a file name"),
        (["simulate", "-o", "folder.csv"],
         "folder.csv: -o is a folder; give a file name"),
        (["simulate", "-o", "sim.txt"],
         "sim.txt: the output file must end in .xlsx or .csv"),
    ],
    ids=lambda v: " ".join(v) if isinstance(v, list) else "",
)
def test_outputs_that_cannot_be_written(work, args, expected):
    os.link(work / "kobo.csv", work / "hard.csv")
    assert _fail(args, work) == expected
    assert not (work / "a.csv").exists()


def test_output_in_a_missing_folder_is_created(work):
    result = CliRunner().invoke(
        cli, ["simulate", "--labs", "2", "--respondents-per-lab", "3-3",
              "-o", str(work / "new" / "deeper" / "sim.csv")])
    assert result.exit_code == 0, result.output
    assert (work / "new" / "deeper" / "sim.csv").is_file()
    assert [p.name for p in (work / "new" / "deeper").iterdir()] == ["sim.csv"]


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_output_in_a_read_only_folder(work):
    ro = work / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        msg = _fail(["simulate", "-o", "ro/sim.csv"], work)
    finally:
        ro.chmod(0o755)
    assert msg == f"ro/sim.csv: cannot write: folder {ro} is read-only"


def test_failed_write_leaves_no_partial_file(work, monkeypatch):
    """A write that fails half-way leaves neither the output nor its temporary file."""
    def broken(self, data):  # noqa: ARG001 - signature of Path.write_bytes
        Path.write_text(self, "half")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(Path, "write_bytes", broken)
    msg = _fail(["export", "-f", "codebook", "-o", "cb.md"], work)
    assert msg == "cb.md: cannot write: No space left on device"
    assert sorted(p.name for p in work.iterdir()) == [
        "folder.csv", "instrument.yaml", "kobo.csv", "map.yaml"]


def test_real_console_script_gives_one_line(work):
    """The installed ``survey`` script itself (not CliRunner): no traceback, exit 2."""
    exe = Path(sys.executable).with_name("survey")
    if not exe.exists():
        pytest.skip("the survey console script is not installed beside this python")
    before = _digest(work)
    out = subprocess.run([str(exe), "import", "folder.csv"], cwd=work, capture_output=True,
                         text=True, check=False)
    assert out.returncode == 2
    assert out.stderr == ("error: folder.csv: the folder holds no response files (.csv, .tsv, "
                          ".txt, .xlsx, .xlsm, .xls); give the files, a folder holding them or "
                          "a pattern such as answers/*.csv\n")
    assert _digest(work) == before


def test_output_in_a_folder_marked_read_only(work, monkeypatch):
    """As root the permission bits do not stop a write, so the check is faked here."""
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: (
        False if mode == os.W_OK and Path(p).name == "ro" else real(p, mode)))
    (work / "ro").mkdir()
    msg = _fail(["import", "kobo.csv", "-o", "ro/clean.csv"], work)
    assert msg == f"ro/clean.csv: cannot write: folder {work / 'ro'} is read-only"


# ---- response files that cannot be used -------------------------------------------------

def _kobo_lines() -> list[str]:
    return KOBO_CSV.read_text(encoding="utf-8-sig").splitlines()


def _make_response_file(kind: str, folder: Path) -> str:
    """Write one kind of broken response file into ``folder``; return its name."""
    rng = bytes((i * 97 + 13) % 256 for i in range(3000))  # fixed binary garbage
    lines = _kobo_lines()
    if kind == "empty":
        (folder / "r.csv").write_bytes(b"")
    elif kind == "blank":
        (folder / "r.csv").write_bytes(b" \r\n\r\n \t\n")
    elif kind == "empty-xlsx":
        (folder / "r.xlsx").write_bytes(b"")
        return "r.xlsx"
    elif kind == "garbage-csv":
        (folder / "r.csv").write_bytes(b"\xff\xfd" + rng)
    elif kind == "garbage-xlsx":
        (folder / "r.xlsx").write_bytes(b"\xff\xfd" + rng)
        return "r.xlsx"
    elif kind == "broken-zip-xlsx":
        (folder / "r.xlsx").write_bytes(TEMPLATE_XLSX.read_bytes()[:2000])
        return "r.xlsx"
    elif kind == "xls":
        (folder / "r.xls").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rng)
        return "r.xls"
    elif kind == "encrypted-xlsx":
        (folder / "r.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rng)
        return "r.xlsx"
    elif kind == "folder":
        (folder / "r.csv").mkdir()
    elif kind == "missing":
        pass
    elif kind == "header-only":
        (folder / "r.csv").write_text(lines[0] + "\n", encoding="utf-8")
    elif kind == "header-and-blank-rows":
        (folder / "r.csv").write_text(lines[0] + "\n;;;\n\n", encoding="utf-8")
    elif kind == "qualtrics-cut-after-row-2":
        q = QUALTRICS_CSV.read_bytes().splitlines(keepends=True)
        (folder / "r.csv").write_bytes(b"".join(q[:2]))
    elif kind == "qualtrics-cut-after-row-1":
        q = QUALTRICS_CSV.read_bytes().splitlines(keepends=True)
        (folder / "r.csv").write_bytes(q[0])
    elif kind == "duplicate-item-column":
        rows = [lines[0] + ';"self_promotion/sp1"'] + [x + ";3" for x in lines[1:6]]
        (folder / "r.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    elif kind == "no-known-layout":
        (folder / "r.csv").write_text("name,age\nAnn,31\n", encoding="utf-8")
    elif kind == "missing-items":
        (folder / "r.csv").write_text("respondent_id,sp1\nR1,3\n", encoding="utf-8")
    else:  # pragma: no cover
        raise AssertionError(kind)
    return "r.csv"


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("empty", "r.csv: the file is empty; export the responses again"),
        ("blank", "r.csv: the file is empty; export the responses again"),
        ("empty-xlsx", "r.xlsx: the file is empty; export the responses again"),
        ("garbage-csv", "r.csv: row 2: not a text file: it holds binary data (byte 0x00 at "
         "offset 213); export the responses as CSV or .xlsx"),
        ("garbage-xlsx", "r.xlsx: not an .xlsx workbook (it is not a zip archive) nor a text "
         "file; save it again from the spreadsheet program as .xlsx or CSV UTF-8"),
        ("broken-zip-xlsx", "r.xlsx: cannot open as an .xlsx workbook ("),
        ("xls", "r.xls: cannot open as an .xls workbook (Cannot detect file format); save it "
         "again from the spreadsheet program"),
        ("encrypted-xlsx", "r.xlsx: the workbook is password-protected (Excel then stores "
         "it in a container that cannot be read without the password); open it in Excel or "
         "LibreOffice, remove the password and save it as .xlsx"),
        ("folder", "r.csv: the folder holds no response files (.csv, .tsv, .txt, .xlsx, "
         ".xlsm, .xls); give the files, a folder holding them or a pattern such as "
         "answers/*.csv"),
        ("missing", "r.csv: no such file"),
        ("header-only", "r.csv: row 2: no responses: the file ends after its header rows; "
         "export it again once responses have come in"),
        ("header-and-blank-rows", "r.csv: row 2: no responses: the file ends after its "
         "header rows; export it again once responses have come in"),
        ("qualtrics-cut-after-row-2", "r.csv: row 3: no responses: the file ends after its "
         "header rows; export it again once responses have come in"),
        ("qualtrics-cut-after-row-1", "r.csv: row 2: no responses: the file ends after its "
         "header rows; export it again once responses have come in"),
        ("duplicate-item-column", "r.csv: row 1, column BY: the header 'self_promotion/sp1' "
         "(sp1) heads two columns (K and BY); a variable must have one column: delete or "
         "rename the other"),
        ("no-known-layout", "r.csv: row 1: cannot tell which platform wrote this file "
         "(header: name, age); looked for kobo: "),
        ("missing-items", "r.csv: row 1: 50 columns of instrument 'lab-culture' missing: "),
    ],
)
def test_response_files_that_cannot_be_used(tmp_path, kind, expected):
    name = _make_response_file(kind, tmp_path)
    msg = _fail(["import", name], tmp_path)
    assert msg.startswith(expected), msg
    assert "Traceback" not in msg


# ---- --map files ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("rename: {a: b\n", "map.yaml: line 2, column 1: not valid YAML: expected ',' or '}', "
         "but got '<stream end>'; check indentation and quoting"),
        ("rename:\n  ID: respondent_id\n\tQ2: sp2\n", "map.yaml: line 3, column 1: not valid "
         "YAML: found character '\\t' that cannot start any token; indent YAML with "
         "spaces, not tabs"),
        ("- rename\n", "map.yaml: a mapping must be a YAML mapping with rename/recode"),
        ("just text\n", "map.yaml: a mapping must be a YAML mapping with rename/recode"),
        ("renames: {}\n", "map.yaml: unknown key 'renames'; allowed: platform, rename, "
         "recode. did you mean 'rename'?"),
        ("rename: [a, b]\n", "map.yaml: rename and recode must be mappings"),
        ("recode:\n  sp1: [1, 2]\n", "map.yaml: recode.sp1 must map values in the file to "
         "codes"),
        ("rename:\n  role: null\n", "map.yaml: rename.role: give the instrument variable "
         "to rename it to"),
        ("rename:\n  role: rolle\n", "map.yaml: rename.role: 'rolle' is not a variable of "
         "instrument 'lab-culture'. did you mean 'role'?"),
        ("rename:\n  Participant: respondent_id\n", "map.yaml: rename.Participant: no "
         "column 'Participant' in kobo.csv; name a column of its header row."),
        ("recode:\n  sp99: {a: 1}\n", "map.yaml: recode.sp99: not a variable of instrument "
         "'lab-culture'. did you mean 'sp1'?"),
        ("platform: qualtrix\n", "map.yaml: platform: unknown platform 'qualtrix'; choose "
         "one of kobo, qualtrics, limesurvey, redcap, wjx, template. did you mean 'qualtrics'?"),
        (b"\xff\xfe\x00garbage", "map.yaml: the mapping is not UTF-8 text"),
    ],
)
def test_mapping_files_that_cannot_be_used(work, text, expected):
    path = work / "map.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    assert _fail(["import", "kobo.csv", "--map", "map.yaml"], work) == expected


@pytest.mark.parametrize("name", ["folder.csv", "nope.yaml"])
def test_mapping_path_that_is_not_a_file(work, name):
    msg = _fail(["import", "kobo.csv", "--map", name], work)
    assert msg in (f"{name}: cannot read the mapping: Is a directory",
                   f"{name}: cannot read the mapping: No such file or directory")


# ---- instruments -------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("- id: x\n- version: 1\n", "bad.yaml: must be a YAML mapping with id, version, "
         "languages, title, scales, groups, constructs"),
        ("hello\n", "bad.yaml: must be a YAML mapping with id, version, languages, title, "
         "scales, groups, constructs"),
        ("", "bad.yaml: must be a YAML mapping with id, version, languages, title, scales, "
         "groups, constructs"),
        ("id: x\n\tversion: 1\n", "bad.yaml: line 2, column 1: not valid YAML: found "
         "character '\\t' that cannot start any token; indent YAML with spaces, not tabs"),
        ("id: [unclosed\n", "bad.yaml: line 2, column 1: not valid YAML: expected ',' or "
         "']', but got '<stream end>'; check indentation and quoting"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "bad.yaml: a workbook or other binary file, not an "
         "instrument YAML; give the instrument.yaml"),
        (b"id: caf\xe9\n", "bad.yaml: not UTF-8 text (invalid continuation byte at byte 7); "
         "save the file as UTF-8"),
        (b"PK\x03\x04" + b"\x00" * 40, "bad.yaml: a workbook or other binary file, not an "
         "instrument YAML; give the instrument.yaml"),
    ],
)
@pytest.mark.parametrize("command", ["check", "import", "export", "simulate"])
def test_instrument_files_that_cannot_be_used(work, content, expected, command):
    path = work / "bad.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    args = {
        "check": ["check", "bad.yaml"],
        "import": ["import", "kobo.csv", "-i", "bad.yaml"],
        "export": ["export", "bad.yaml", "-f", "codebook", "-o", "cb.md"],
        "simulate": ["simulate", "bad.yaml", "-o", "sim.csv"],
    }[command]
    assert _fail(args, work) == expected


@pytest.mark.parametrize(
    ("arg", "expected"),
    [
        ("lab-cultur", "lab-cultur: no such file, folder or bundled instrument; bundled: "
         "lab-culture. did you mean 'lab-culture'?"),
        ("folder.csv", "folder.csv: folder has no instrument.yaml; point to the YAML file "
         "or a folder holding one"),
        ("kobo.csv", "kobo.csv: line 1, column 8: not valid YAML: expected "
         "'<document start>', but found '<scalar>'; check indentation and quoting"),
    ],
)
def test_wrong_instrument_argument(work, arg, expected):
    assert _fail(["import", "kobo.csv", "-i", arg], work) == expected


# ---- files that are odd but usable: read right, every row accounted for --------------------

def _import(path: Path, *extra: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["import", str(path), *extra])
    return result.exit_code, result.output


def _summary(output: str) -> tuple[int, int, int]:
    line = next(x for x in output.splitlines() if x.startswith("rows read "))
    words = line.replace(",", "").split()
    return int(words[2]), int(words[4]), int(words[6])


def _lf_lines() -> list[bytes]:
    return KOBO_CSV.read_bytes().replace(b"\r\n", b"\n").splitlines()


@pytest.mark.parametrize(
    ("kind", "note"),
    [
        ("lf", "delimiter: ;"),
        ("crlf", "delimiter: ;"),
        ("cr", "delimiter: ;"),
        ("crcrlf", "line ends \\r\\r\\n read as one"),
        ("csv-named-xlsx", "named .xlsx but holds delimited text, read as such"),
        ("bom", "encoding: utf-8 with BOM"),
    ],
)
def test_line_endings_and_disguises(tmp_path, kind, note):
    lines = _lf_lines()
    body = {
        "lf": b"\n".join(lines) + b"\n",
        "crlf": b"\r\n".join(lines) + b"\r\n",
        "cr": b"\r".join(lines) + b"\r",
        "crcrlf": b"\r\r\n".join(lines) + b"\r\r\n",
        "csv-named-xlsx": b"\r\n".join(lines) + b"\r\n",
        "bom": b"\xef\xbb\xbf" + b"\n".join(lines) + b"\n",
    }[kind]
    path = tmp_path / ("r.xlsx" if kind == "csv-named-xlsx" else "r.csv")
    path.write_bytes(body)
    code, out = _import(path)
    assert code == 0, out
    assert note in out
    assert _summary(out) == (585, 585, 0)
    assert path.read_bytes() == body


def test_workbook_named_csv_is_read_as_a_workbook(tmp_path):
    path = tmp_path / "r.csv"
    shutil.copy(TEMPLATE_XLSX, path)
    code, out = _import(path)
    assert code == 0, out
    assert "named like a text file but is an .xlsx workbook, read as such" in out
    assert _summary(out) == (585, 585, 0)


def test_rows_with_too_many_or_too_few_cells_are_rejected(tmp_path):
    """A cell too many (an unquoted comma in a lab name) once shifted every later answer
    one column right; now such a row is rejected with its row number, as is a short one."""
    lines = [x.decode() for x in _lf_lines()]
    short = lines[2].rsplit(";", 12)[0]  # loses the metadata cells and ba5, ba6
    rows = [lines[0], lines[1] + ';"extra";"x"', short, *lines[3:6],
            lines[6] + ";;"]  # empty cells past the header are harmless
    path = tmp_path / "r.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "log.csv"
    rejected = tmp_path / "rejected.csv"
    code, text = _import(path, "--log", str(out), "--rejected", str(rejected))
    assert code == 0, text
    assert _summary(text) == (6, 4, 2)
    assert "  rejected: cell_count 2" in text
    log = out.read_text(encoding="utf-8").splitlines()
    assert [x.split(",")[0:4:3] for x in log[1:]] == [["2", "cell_count"], ["3", "cell_count"]]
    assert "the row has 78 cells, the header 76 (an unquoted comma or delimiter inside a " \
        "cell?); row rejected so that no answer is read from the wrong column" in log[1]
    assert "the row has 64 cells, the header 76 (cut short, or a line break inside an " \
        "unquoted cell?); row rejected" in log[2]
    import pandas as pd

    back = pd.read_csv(rejected, dtype=str, keep_default_na=False)
    assert back["row"].tolist() == ["2", "3"]
    assert back[["column_BY", "column_BZ"]].values.tolist()[0] == ["extra", "x"]


def test_merged_cells_take_their_first_value(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.load_workbook(TEMPLATE_XLSX)
    ws = wb["responses"]
    ws.insert_rows(1)
    ws.cell(1, 1).value = "Lab culture survey (simulated)"
    ws.merge_cells("A1:F1")
    assert ws.cell(3, 2).value == ws.cell(4, 2).value == ws.cell(5, 2).value == "china"
    ws.merge_cells("B3:B5")  # the region of three respondents typed once
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    clean = tmp_path / "clean.csv"
    code, out = _import(path, "-o", str(clean))
    assert code == 0, out
    assert "merged cells A1:F1, B3:B5 read as their first cell's value" in out
    assert "header row: 2 (rows above it skipped)" in out
    assert _summary(out) == (585, 585, 0)
    rows = clean.read_text(encoding="utf-8").splitlines()
    assert [r.split(",")[1] for r in rows[1:4]] == ["china", "china", "china"]


def test_huge_cells_are_read_not_refused(tmp_path):
    lines = [x.decode() for x in _lf_lines()]
    header = lines[0].split(";")
    cells = lines[1].split(";")
    lab = header.index('"lab"')
    sp1 = header.index('"self_promotion/sp1"')
    cells[lab] = '"' + "L" * 300_000 + '"'
    cells[sp1] = '"' + "9" * 200_000 + '"'
    path = tmp_path / "r.csv"
    path.write_text(lines[0] + "\n" + ";".join(cells) + "\n" + lines[2] + "\n",
                    encoding="utf-8")
    log = tmp_path / "log.csv"
    code, out = _import(path, "--log", str(log))
    assert code == 0, out
    assert _summary(out) == (2, 2, 0)
    assert "blanked: 1 (non_numeric 1)" in out
    assert len(out) < 2000  # the summary does not repeat the cell
    assert 200_000 < log.stat().st_size < 201_000  # the value once, the message cut


def _data_rows(path: Path) -> int:
    """Rows below the header that hold anything, counted without the project's code."""
    import csv

    if path.suffix == ".xlsx":
        import openpyxl

        wb = openpyxl.load_workbook(path, read_only=True)
        rows = list(wb.worksheets[0].iter_rows(values_only=True))
        wb.close()
    else:
        raw = path.read_bytes()
        for enc in ("utf-8-sig", "gb18030"):
            try:
                text = raw.decode(enc)
                break
            except UnicodeDecodeError:
                continue
        delim = max((",", ";", "\t"), key=lambda d: text.splitlines()[0].count(d))
        rows = list(csv.reader(text.splitlines(), delimiter=delim))
    while rows and not any(c not in (None, "") for c in rows[-1]):
        rows.pop()
    first = next(i for i, r in enumerate(rows)
                 if any(str(c).strip().lower() in ("respondent_id", "record_id",
                                                  "responseid", "id", "participant",
                                                  "start", "序号") for c in r if c is not None))
    extra = 2 if "qualtrics" in path.name else 0  # its question-text and ImportId rows
    return len(rows) - first - 1 - extra


@pytest.mark.parametrize(
    "name",
    [p.name for p in sorted(SAMPLE.glob("*.*")) if p.suffix in (".csv", ".xlsx")]
    + [f"broken/{p.name}" for p in sorted((SAMPLE / "broken").glob("*.*"))],
)
def test_rows_read_are_accepted_plus_rejected(name):
    path = SAMPLE / name
    from survey.errors import ResponseFileError
    from survey.instrument import load
    from survey.responses import read_responses

    try:
        rs = read_responses(path, load("lab-culture"))
    except ResponseFileError as exc:
        assert name in {"broken/missing_item_columns.csv", "broken/unknown_layout.csv"}, exc
        return
    log = rs.log
    assert log.rows_read == log.rows_accepted + log.rows_rejected
    assert log.rows_accepted == rs.n
    assert log.rows_read == _data_rows(path)
    assert sorted(log.rejected) == sorted(set(log.rejected))
    expected = {"broken/bad_codes_and_duplicates.csv": (8, 5, 3)}.get(name)
    if expected is None and not name.startswith("broken/"):
        expected = (585, 585, 0)
    if expected is not None:
        assert (log.rows_read, log.rows_accepted, log.rows_rejected) == expected


# ---- untrusted text in what we write ------------------------------------------------------

FORMULA_START = ("=", "+", "-", "@")


def _cells_of(path: Path) -> list[str]:
    """Every text cell of a .csv, or every cell of an .xlsx we wrote that a spreadsheet
    would run as a formula (a formula cell, or text starting with = + - @ in a cell whose
    type is not text)."""
    import csv

    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as fh:
            return [c for row in csv.reader(fh) for c in row]
    import openpyxl

    wb = openpyxl.load_workbook(path)
    out = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
           if isinstance(c.value, str) and c.data_type != "s"]
    wb.close()
    return out


def _texts_of(path: Path) -> list[str]:
    """Every text cell of an .xlsx, as stored."""
    import openpyxl

    wb = openpyxl.load_workbook(path)
    out = [c.value for ws in wb.worksheets for row in ws.iter_rows() for c in row
           if isinstance(c.value, str)]
    wb.close()
    return out


def _dangerous(cells: list[str]) -> list[str]:
    return [c for c in cells if isinstance(c, str) and c.startswith(FORMULA_START)]


def test_import_outputs_neutralise_formulas(tmp_path, tiny_yaml):
    inst = tmp_path / "tiny.yaml"
    inst.write_text(tiny_yaml, encoding="utf-8")
    resp = tmp_path / "r.csv"
    resp.write_text(
        "respondent_id,lab_region,lab,a1,a2,attn1,comment\n"
        "=1+1,china,@SUM(A1),4,2,4,-2+3\n"
        "+R2,china,CN-01,=HYPERLINK(\"http://x\"),2,4,fine\n"
        "+R2,united_states,US-01,4,2,4,again\n",
        encoding="utf-8",
    )
    outs = {}
    for suffix in (".csv", ".xlsx"):
        outs[f"clean{suffix}"] = ["-o"]
        outs[f"rejected{suffix}"] = ["--rejected"]
        outs[f"log{suffix}"] = ["--log"]
    for suffix in (".csv", ".xlsx"):
        args = ["import", str(resp), "-i", str(inst)]
        for name, (flag,) in outs.items():
            if name.endswith(suffix):
                args += [flag, str(tmp_path / name)]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
    for name in outs:
        cells = _cells_of(tmp_path / name)
        assert _dangerous(cells) == [], name
    clean = _cells_of(tmp_path / "clean.csv")
    assert "'=1+1" in clean and "'@SUM(A1)" in clean and "'+R2" in clean
    assert "'+R2" in _cells_of(tmp_path / "rejected.csv")
    # workbooks hold the text as it was, in text cells that no spreadsheet runs
    assert {"=1+1", "@SUM(A1)", "+R2"} <= set(_texts_of(tmp_path / "clean.xlsx"))
    assert "=HYPERLINK(\"http://x\")" in _texts_of(tmp_path / "log.xlsx")


def test_numbers_are_never_neutralised_and_verbatim_csv_keeps_text(tmp_path, tiny_yaml):
    inst = tmp_path / "tiny.yaml"
    inst.write_text(tiny_yaml, encoding="utf-8")
    resp = tmp_path / "r.csv"
    resp.write_text("respondent_id,lab_region,lab,a1,a2,attn1,comment\n"
                    "-12,china,=1+1,4,2,4,+3.5\n", encoding="utf-8")
    out = tmp_path / "clean.csv"
    result = CliRunner().invoke(cli, ["import", str(resp), "-i", str(inst), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines()[1] == "-12,china,'=1+1,4,2,4"
    assert ("  1 text cell starting with = + - @ written with a leading ' in "
            f"{out} (--verbatim-text writes text as read)") in result.output.splitlines()
    result = CliRunner().invoke(cli, ["import", str(resp), "-i", str(inst), "-o", str(out),
                                      "--verbatim-text"])
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8").splitlines()[1] == "-12,china,=1+1,4,2,4"
    assert "leading '" not in result.output


def test_simulated_files_and_template_neutralise_formulas(tmp_path, tiny_yaml):
    hostile = (tiny_yaml
               .replace("{en: Lab code, zh: 实验室代码}", "{en: \"=Lab code\", zh: \"+实验室\"}")
               .replace("{en: A one, zh: 甲一}", "{en: \"@A one\", zh: \"-甲一\"}")
               .replace("{en: China, zh: 中国}", "{en: \"=China\", zh: \"-中国\"}")
               .replace("title: {en: Tiny, zh: 小}", "title: {en: \"=Tiny\", zh: \"@小\"}"))
    inst = tmp_path / "tiny.yaml"
    inst.write_text(hostile, encoding="utf-8")
    for args in (["simulate", str(inst), "--labs", "2", "--respondents-per-lab", "3-3",
                  "-o", str(tmp_path / "sim.csv")],
                 ["simulate", str(inst), "--labs", "2", "--respondents-per-lab", "3-3",
                  "-o", str(tmp_path / "sim.xlsx")],
                 ["export", str(inst), "-f", "xlsx", "-o", str(tmp_path / "template.xlsx")],
                 ["export", str(inst), "-f", "xlsform", "-o", str(tmp_path / "form.xlsx")]):
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 0, result.output
        out = Path(args[-1])
        cells = _cells_of(out)
        assert _dangerous(cells) == [], out.name
    template = _texts_of(tmp_path / "template.xlsx")
    assert "'=Lab code" in template


def test_html_form_escapes_instrument_text(tmp_path, tiny_yaml):
    hostile = tiny_yaml.replace(
        "{en: A one, zh: 甲一}",
        "{en: \"<script>alert(1)</script> & <b>\", zh: \"</textarea><img src=x onerror=1>\"}")
    inst = tmp_path / "tiny.yaml"
    inst.write_text(hostile, encoding="utf-8")
    out = tmp_path / "form.html"
    result = CliRunner().invoke(cli, ["export", str(inst), "-f", "html", "-o", str(out)])
    assert result.exit_code == 0, result.output
    page = out.read_text(encoding="utf-8")
    assert "<script>alert(1)" not in page
    assert "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &lt;b&gt;" in page


# ---- usage mistakes -----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["import"], "Missing argument 'RESPONSES...'. (see survey import --help)"),
        (["import", "kobo.csv", "--platform", "qualtrix"],
         "Invalid value for '--platform': 'qualtrix' is not one of 'auto', 'kobo', "
         "'qualtrics', 'limesurvey', 'redcap', 'wjx', 'template'. (see survey import --help)"),
        (["import", "kobo.csv", "--min-duration", "-3"],
         "Invalid value for '--min-duration': -3.0 is not in the range x>=0. "
         "(see survey import --help)"),
        (["import", "kobo.csv", "--nope"], "No such option '--nope'. (see survey import "
         "--help)"),
        (["export", "-o", "a.md"], "Missing option '-f' / '--format'. (see survey export "
         "--help)"),
        (["simulate"], "Missing option '-o' / '--output'. (see survey simulate --help)"),
        (["check", "a", "b"], "Got unexpected extra argument (b) (see survey check --help)"),
        (["simulate", "--seed", "x", "-o", "s.csv"], "--seed: 'x' is not a whole number"),
    ],
)
def test_usage_mistakes_are_one_line(work, args, expected):
    assert _fail(args, work) == expected


@pytest.mark.parametrize("asked", ["template", "limesurvey", "qualtrics"])
def test_a_file_from_another_platform_names_the_platform_it_looks_like(work, asked):
    """--platform naming the wrong platform: the refusal says which one the header fits."""
    msg = _fail(["import", "kobo.csv", "--platform", asked, "-o", "clean.csv"], work)
    assert msg.startswith("kobo.csv: row 1: ")
    assert msg.endswith("; the header looks like a kobo export: use --platform kobo or "
                        "leave --platform out")


def test_the_right_platform_named_gets_no_hint(tmp_path):
    """A header no reader recognises, named as a template: no platform is suggested."""
    (tmp_path / "r.csv").write_text("respondent_id,lab_region,lab\nR1,china,CN-01\n",
                                    encoding="utf-8")
    msg = _fail(["import", "r.csv", "--platform", "template", "-o", "c.csv"], tmp_path)
    assert "missing" in msg and "looks like" not in msg


def test_line_breaks_in_a_header_stay_on_one_line(tmp_path):
    """A header cell holding a line break is shown as \\n, so the error is one line."""
    (tmp_path / "r.csv").write_text('name,"Q1\nfirst"\nAnn,4\n', encoding="utf-8")
    msg = _fail(["import", "r.csv"], tmp_path)
    assert msg.startswith("r.csv: row 1: cannot tell which platform wrote this file "
                          "(header: name, Q1\\nfirst); looked for kobo: ")


def test_huge_numbers_in_a_workbook(tmp_path, tiny_yaml):
    """1e20 typed into Excel is read as that number, not wrapped round int64."""
    openpyxl = pytest.importorskip("openpyxl")
    (tmp_path / "tiny.yaml").write_text(tiny_yaml, encoding="utf-8")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["respondent_id", "lab_region", "lab", "a1", "a2", "attn1"])
    ws.append([10**20, "china", 1e20, 1e20, 2, 4])
    ws.append(["R2", "china", "CN-01", 4, 2, 4])
    wb.save(tmp_path / "r.xlsx")
    clean = tmp_path / "clean.csv"
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "r.xlsx"), "-i",
                                      str(tmp_path / "tiny.yaml"), "-o", str(clean)])
    assert result.exit_code == 0, result.output
    assert "blanked: 1 (out_of_range 1)" in result.output
    rows = clean.read_text(encoding="utf-8").splitlines()
    assert rows[1] == "100000000000000000000,china,100000000000000000000,,2,4"


# ---- characters a workbook cannot hold ---------------------------------------------------

@pytest.mark.parametrize("flag", ["-o", "--rejected", "--log"])
def test_control_characters_reach_a_workbook_as_replacement_marks(tmp_path, tiny_yaml, flag):
    (tmp_path / "tiny.yaml").write_text(tiny_yaml, encoding="utf-8")
    (tmp_path / "r.csv").write_bytes(
        b"respondent_id,lab_region,lab,a1,a2,attn1\n"
        b"R\x01,china,C\x0bN,4,2,4\nR\x01,china,x\x1f,\x02,2,4\n")
    out = tmp_path / "out.xlsx"
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "r.csv"), "-i",
                                      str(tmp_path / "tiny.yaml"), flag, str(out)])
    assert result.exit_code == 0, result.output
    cells = _texts_of(out)
    assert not [c for c in cells if any(ord(ch) < 32 and ch not in "\t\n\r" for ch in c)]
    assert "R\ufffd" in cells


def test_cell_too_long_for_excel(tmp_path, tiny_yaml):
    (tmp_path / "tiny.yaml").write_text(tiny_yaml, encoding="utf-8")
    (tmp_path / "r.csv").write_text(
        "respondent_id,lab_region,lab,a1,a2,attn1\nR1,china," + "L" * 40000 + ",4,2,4\n",
        encoding="utf-8")
    msg = _fail(["import", "r.csv", "-i", "tiny.yaml", "-o", "clean.xlsx"], tmp_path,
                after_summary=True)
    assert msg == ("clean.xlsx: row 2, column lab: a cell holds 40,000 characters, more than "
                   "the 32,767 an Excel cell can; write .csv instead")
    assert not (tmp_path / "clean.xlsx").exists()


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("{en: A one, zh: 甲一}", '{en: "A\\x01one", zh: 甲一}',
         "bad.yaml: constructs[0].items[0].text.en: holds the control character U+0001, "
         "which forms and spreadsheets cannot show; remove it"),
        ("Strongly disagree, Disagree", '"Strongly\\x7f disagree", Disagree',
         "bad.yaml: scales.agree5.labels.en[0]: holds the control character U+007F, which "
         "forms and spreadsheets cannot show; remove it"),
        # a YAML escape makes a lone surrogate, which no UTF-8 file can hold
        ("{en: A one, zh: 甲一}", '{en: "A\\ud800one", zh: 甲一}',
         "bad.yaml: constructs[0].items[0].text.en: holds the character U+D800, which "
         "forms and spreadsheets cannot show; remove it"),
        ("{en: A one, zh: 甲一}", '{en: "A\\uffffone", zh: 甲一}',
         "bad.yaml: constructs[0].items[0].text.en: holds the character U+FFFF, which "
         "forms and spreadsheets cannot show; remove it"),
    ],
)
def test_instrument_text_with_control_characters(tmp_path, tiny_yaml, old, new, expected):
    (tmp_path / "bad.yaml").write_text(tiny_yaml.replace(old, new), encoding="utf-8")
    assert _fail(["export", "bad.yaml", "-f", "xlsx", "-o", "t.xlsx"], tmp_path) == expected


def test_text_too_long_for_spss(tmp_path, tiny_yaml):
    """pyreadstat writes an over-long SPSS string as empty: refuse instead of losing it."""
    (tmp_path / "tiny.yaml").write_text(tiny_yaml, encoding="utf-8")
    (tmp_path / "r.csv").write_text(
        "respondent_id,lab_region,lab,a1,a2,attn1\nR1,china,CN-01,4,2,4\n"
        "R2,china," + "实" * 11000 + ",4,2,4\n", encoding="utf-8")
    msg = _fail(["import", "r.csv", "-i", "tiny.yaml", "-o", "clean.sav"], tmp_path,
                after_summary=True)
    assert msg == ("clean.sav: row 3, column lab: a text of 33,000 bytes is longer than the "
                   "32,767 an SPSS variable holds; write .dta, .csv or .parquet instead")
    result = CliRunner().invoke(cli, ["import", str(tmp_path / "r.csv"), "-i",
                                      str(tmp_path / "tiny.yaml"), "-o",
                                      str(tmp_path / "clean.dta")])
    assert result.exit_code == 0, result.output


def test_unreadable_response_file(work, monkeypatch):
    """A file without read permission (faked: root reads anything)."""
    real = Path.read_bytes

    def deny(self):
        if self.name == "kobo.csv":
            raise PermissionError(13, "Permission denied")
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    assert _fail(["import", "kobo.csv"], work) == "kobo.csv: cannot read: Permission denied"


@pytest.mark.parametrize(
    ("instrument", "expected"),
    [
        ("tiny.yaml", "kobo.csv: row 1: 2 columns of instrument 'tiny' missing: a1, a2; none of "
         "its items is in the file: name the instrument the file answers with -i (or rename "
         "columns with --map)."),
    ],
)
def test_responses_to_another_instrument(work, tiny_yaml, instrument, expected):
    (work / "tiny.yaml").write_text(tiny_yaml, encoding="utf-8")
    assert _fail(["import", "kobo.csv", "-i", instrument], work) == expected


def test_read_only_output_file_is_not_replaced(work, monkeypatch):
    """A file the user made read-only is left alone (faked: root may write anything)."""
    (work / "old.csv").write_text("keep me\n", encoding="utf-8")
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: (
        False if mode == os.W_OK and Path(p).name == "old.csv" else real(p, mode)))
    msg = _fail(["import", "kobo.csv", "-o", "old.csv"], work)
    assert msg == "old.csv: cannot write: the file is read-only"
    assert (work / "old.csv").read_text(encoding="utf-8") == "keep me\n"
