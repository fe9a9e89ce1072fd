"""``survey import``: exit codes, one-line errors, summary, -o by suffix, --rejected, --log."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from click.testing import CliRunner

from survey.cli import cli
from survey.responses import read_responses

BODY = ("respondent_id,lab_region,lab,a1,a2,attn1,note\n"
        "R1,china,=HYPERLINK(\"x\"),4,Agree,4,fine\n"       # row 2
        "R2,中国,CN-02,9,2,2,\n"                           # row 3: out of range, failed check
        "R1,china,CN-03,1,1,4,dup\n"                       # row 4: duplicate
        ",,,,,,\n"                                         # row 5: empty
        "R4,united_states,US-01,5,非常同意,4,+1\n")          # row 6


@pytest.fixture
def files(tmp_path, tiny_yaml):
    inst = tmp_path / "tiny.yaml"
    inst.write_text(tiny_yaml, encoding="utf-8")
    resp = tmp_path / "responses.csv"
    resp.write_text(BODY, encoding="utf-8")
    return tmp_path, inst, resp


def _run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def _sha(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_summary_and_source_unchanged(files):
    tmp, inst, resp = files
    before = _sha(resp)
    r = _run("import", resp, "-i", inst)
    assert r.exit_code == 0, r.output
    assert r.output.splitlines() == [
        f"{resp}: platform template (recognised from the header)",
        "  encoding: utf-8; delimiter: ,",
        "rows read 5, accepted 3, rejected 2",
        "  rejected: duplicate_id 1, empty_row 1",
        "  blanked: 1 (out_of_range 1)",
        "  flagged: 1 (failed_attention_check 1)",
        "  warning: 1 (unknown_column 1)",
    ]
    assert _sha(resp) == before


def test_strict_exit_code_and_reject_flags(files):
    tmp, inst, resp = files
    assert _run("import", resp, "-i", inst, "--strict").exit_code == 1
    r = _run("import", resp, "-i", inst, "--reject-failed-checks")
    assert "rows read 5, accepted 2, rejected 3" in r.output


def test_rejected_file_keeps_original_cells(files):
    tmp, inst, resp = files
    out = tmp / "rejected.csv"
    r = _run("import", resp, "-i", inst, "--rejected", out)
    assert r.exit_code == 0, r.output
    assert out.read_text(encoding="utf-8").splitlines() == [
        "row,reason,message,respondent_id,lab_region,lab,a1,a2,attn1,note",
        "4,duplicate_id,respondent_id 'R1' already used in row 2; the first occurrence is "
        "kept,R1,china,CN-03,1,1,4,dup",
        "5,empty_row,every cell is empty; row rejected,,,,,,,",
    ]
    xlsx = tmp / "rejected.xlsx"
    assert _run("import", resp, "-i", inst, "--rejected", xlsx).exit_code == 0
    frame = pd.read_excel(xlsx, engine="calamine", dtype=str)
    assert frame["row"].tolist() == ["4", "5"]
    assert frame["lab"].tolist() == ["CN-03", None] or frame["lab"].iloc[0] == "CN-03"


def test_log_file(files):
    tmp, inst, resp = files
    out = tmp / "log.csv"
    assert _run("import", resp, "-i", inst, "--log", out).exit_code == 0
    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "row,column,value,reason,action,message"
    assert [ln.split(",")[:5] for ln in lines[1:]] == [
        ["", "note", "", "unknown_column", "warning"],
        ["3", "a1", "9", "out_of_range", "blanked"],
        ["3", "attn1", "2", "failed_attention_check", "flagged"],
        ["4", "respondent_id", "R1", "duplicate_id", "rejected"],
        ["5", "", "", "empty_row", "rejected"],
    ]


def test_clean_csv_matches_the_library_and_neutralises_formulas(files, tiny_instrument):
    tmp, inst, resp = files
    out = tmp / "clean.csv"
    assert _run("import", resp, "-i", inst, "-o", out).exit_code == 0
    assert out.read_text(encoding="utf-8").splitlines() == [
        "respondent_id,lab_region,lab,a1,a2,attn1",
        "R1,china,\"'=HYPERLINK(\"\"x\"\")\",4,4,4",
        "R2,china,CN-02,,2,2",
        "R4,united_states,US-01,5,5,4",
    ]
    # importing the clean file gives the library's data back
    rs = read_responses(resp, tiny_instrument)
    back = read_responses(out, tiny_instrument)
    assert back.data.drop(columns="lab").equals(rs.data.drop(columns="lab"))


@pytest.mark.parametrize("suffix", [".xlsx", ".parquet"])
def test_clean_xlsx_and_parquet(files, tiny_instrument, suffix):
    tmp, inst, resp = files
    out = tmp / f"clean{suffix}"
    r = _run("import", resp, "-i", inst, "-o", out)
    assert r.exit_code == 0, r.output
    rs = read_responses(resp, tiny_instrument)
    if suffix == ".parquet":
        back = pd.read_parquet(out)
        assert back["a1"].tolist()[:1] == [4]
        assert str(back["a1"].dtype) == "Int64"
        assert list(back["lab_region"].cat.categories) == ["china", "united_states"]
        pd.testing.assert_frame_equal(back, rs.data, check_dtype=False,
                                      check_categorical=False)
    else:
        back = read_responses(out, tiny_instrument)
        # a text cell: no spreadsheet runs it, so the text is kept as it was
        assert back.data["lab"].tolist()[0] == "=HYPERLINK(\"x\")"
        assert back.data.equals(rs.data)


@pytest.mark.parametrize("suffix", [".sav", ".dta"])
def test_spss_and_stata_labels(files, suffix):
    import pyreadstat

    tmp, inst, resp = files
    out = tmp / f"clean{suffix}"
    assert _run("import", resp, "-i", inst, "-o", out).exit_code == 0
    read = pyreadstat.read_sav if suffix == ".sav" else pyreadstat.read_dta
    df, meta = read(str(out))
    assert df["respondent_id"].tolist() == ["R1", "R2", "R4"]
    assert df["lab_region"].tolist() == [1, 1, 2]
    assert df["a1"].tolist()[0] == 4 and pd.isna(df["a1"].tolist()[1])
    labels = meta.column_names_to_labels
    assert labels["a1"] == "A one"
    assert labels["lab_region"] == "Region"
    vl = meta.variable_value_labels
    assert {int(k): v for k, v in vl["lab_region"].items()} == {1: "China", 2: "United States"}
    assert {int(k): v for k, v in vl["a2"].items()} == {
        1: "Strongly disagree", 2: "Disagree", 3: "Neither agree nor disagree", 4: "Agree",
        5: "Strongly agree"}
    # deterministic: a second run gives the same bytes
    first = out.read_bytes()
    assert _run("import", resp, "-i", inst, "-o", out).exit_code == 0
    assert out.read_bytes() == first


def test_missing_columns_exit_2_one_line(files):
    tmp, inst, resp = files
    bad = tmp / "bad.csv"
    bad.write_text("respondent_id,lab_region,lab,attn1\nR1,china,CN-01,4\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["import", str(bad), "-i", str(inst)])
    assert r.exit_code == 2
    assert r.output == (f"error: {bad}: row 1: 2 columns of instrument 'tiny' missing: a1, a2; none "
                        "of its items is in the file: name the instrument the file answers with "
                        "-i (or rename columns with --map).\n")


def test_unknown_platform_exit_2(files):
    tmp, inst, resp = files
    odd = tmp / "odd.csv"
    odd.write_text("id,q1,q2\n1,2,3\n", encoding="utf-8")
    r = CliRunner().invoke(cli, ["import", str(odd), "-i", str(inst)])
    assert r.exit_code == 2
    assert r.output.startswith(f"error: {odd}: row 1: cannot tell which platform wrote this "
                               "file (header: id, q1, q2); looked for kobo: ")
    assert "template: a 'respondent_id' column" in r.output
    assert r.output.count("\n") == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty; export the responses again"),
        (b"respondent_id\nR\x81\xff\n", "row 2: cannot decode the file"),
    ],
)
def test_bad_files_exit_2(files, content, expected):
    tmp, inst, resp = files
    bad = tmp / "bad.csv"
    bad.write_bytes(content)
    r = CliRunner().invoke(cli, ["import", str(bad), "-i", str(inst)])
    assert r.exit_code == 2
    assert r.output.startswith(f"error: {bad}: {expected}")
    assert "Traceback" not in r.output


def test_output_suffix_checked_and_input_protected(files):
    tmp, inst, resp = files
    r = _run("import", resp, "-i", inst, "-o", tmp / "clean.json")
    assert r.exit_code == 2
    assert "the output name must end in .csv, .xlsx, .parquet, .sav, .dta" in r.output
    r = _run("import", resp, "-i", inst, "-o", resp)
    assert r.exit_code == 2
    assert "would overwrite the input file" in r.output
    r = _run("import", resp, "-i", inst, "--rejected", tmp / "rej.sav")
    assert r.exit_code == 2
    assert r.output == (f"error: {tmp / 'rej.sav'}: --rejected writes .csv or .xlsx; "
                        "end the name in one of them\n")


def test_platform_option_and_map(files, tmp_path):
    tmp, inst, resp = files
    odd = tmp / "odd.csv"
    odd.write_text("ID,Region,Lab code,Q1,Q2,Check\n1,CN,CN-01,SA,2,4\n2,US,US-01,SD,1,4\n",
                   encoding="utf-8")
    mapping = tmp / "map.yaml"
    mapping.write_text(
        "rename: {ID: respondent_id, Region: lab_region, Lab code: lab, Q1: a1, Q2: a2, "
        "Check: attn1}\n"
        "recode:\n  lab_region: {CN: china, US: united_states}\n  a1: {SA: 5, SD: 1}\n",
        encoding="utf-8")
    out = tmp / "clean.csv"
    r = _run("import", odd, "-i", inst, "--map", mapping, "-o", out)
    assert r.exit_code == 0, r.output
    assert out.read_text(encoding="utf-8").splitlines()[1:] == [
        "1,china,CN-01,5,2,4", "2,united_states,US-01,1,1,4"]
    r = _run("import", resp, "-i", inst, "--platform", "kobo")
    assert r.exit_code == 0
    assert r.output.splitlines()[0] == f"{resp}: platform kobo"
    bad_map = tmp / "bad.yaml"
    bad_map.write_text("rename: {ID: respondent}\n", encoding="utf-8")
    r = _run("import", odd, "-i", inst, "--map", bad_map)
    assert r.exit_code == 2
    assert r.output == (f"error: {bad_map}: rename.ID: 'respondent' is not a variable of "
                        "instrument 'tiny'. did you mean 'respondent_id'?\n") or \
        "is not a variable of instrument 'tiny'" in r.output


def test_help_states_policies():
    r = _run("import", "--help")
    assert r.exit_code == 0
    for text in ("reject the later rows, keep the first", "blank the cell, warn",
                 "keep and flag", "--reject-failed-checks", "--min-duration",
                 "--reject-unfinished", "UTF-16", "GB18030"):
        assert text in r.output, text


def test_line_breaks_inside_cells_round_trip_through_every_csv_output(tmp_path, tiny_yaml):
    """A lone CR inside a text answer once went out unquoted and split the respondent."""
    inst = tmp_path / "tiny.yaml"
    inst.write_text(tiny_yaml, encoding="utf-8")
    resp = tmp_path / "r.csv"
    resp.write_bytes(b'respondent_id,lab_region,lab,a1,a2,attn1\n'
                     b'one,china,"CN\r01",4,2,4\n'
                     b'two,china,"US\r\n02",4,"x\ry",4\n'
                     b'two,china,"dup\rlicate",4,2,4\n')
    out = {name: tmp_path / f"{name}.csv" for name in ("clean", "rejected", "log")}
    r = _run("import", resp, "-i", inst, "-o", out["clean"], "--rejected", out["rejected"],
             "--log", out["log"])
    assert r.exit_code == 0, r.output
    from survey.instrument import load

    back = read_responses(out["clean"], load(inst))
    assert back.data["respondent_id"].tolist() == ["one", "two"]
    assert back.data["lab"].tolist() == ["CN\r01", "US\r\n02"]
    rejected = pd.read_csv(out["rejected"], dtype=str, keep_default_na=False)
    assert rejected[["row", "respondent_id", "lab"]].values.tolist() == [
        ["4", "two", "dup\rlicate"]]
    log = pd.read_csv(out["log"], dtype=str, keep_default_na=False)
    assert log[["row", "value", "reason"]].values.tolist() == [
        ["3", "x\ry", "unknown_label"], ["4", "two", "duplicate_id"]]
