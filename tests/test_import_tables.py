"""Bytes to a table: encodings, delimiters, workbooks, title rows, Excel dates, bad files."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from survey.errors import ResponseFileError
from survey.responses import read_responses
from survey.responses.tables import decode, read_table, sniff_delimiter

TEXT = ("respondent_id,lab_region,lab,a1,a2,attn1\n"
        "R1,中国,CN-01 心理学,同意,非常同意,4\n"
        "R2,United States,US-02,2,1,4\n")


@pytest.mark.parametrize(
    ("encoding", "note"),
    [
        ("utf-8", "encoding: utf-8"),
        ("utf-8-sig", "encoding: utf-8 with BOM"),
        ("utf-16", "encoding: utf-16 LE"),  # Python writes a little-endian BOM
        ("utf-16-be-bom", "encoding: utf-16 BE"),
        ("gb18030", "encoding: gb18030"),
        ("gbk", "encoding: gb18030"),
    ],
)
def test_encodings(tmp_path, tiny_instrument, encoding, note):
    if encoding == "utf-16-be-bom":
        data = b"\xfe\xff" + TEXT.encode("utf-16-be")
    else:
        data = TEXT.encode(encoding)
    p = tmp_path / "r.csv"
    p.write_bytes(data)
    rs = read_responses(p, tiny_instrument)
    assert note in rs.log.notes
    assert rs.data["lab"].tolist() == ["CN-01 心理学", "US-02"]
    assert rs.data["lab_region"].tolist() == ["china", "united_states"]
    assert rs.data["a1"].tolist() == [4, 2]
    assert rs.data["a2"].tolist() == [5, 1]


def test_undecodable_bytes_name_the_row(tmp_path, tiny_instrument):
    p = tmp_path / "r.csv"
    p.write_bytes(b"respondent_id,lab_region,lab,a1,a2,attn1\nR1,china,CN\x81\xff,4,4,4\n")
    with pytest.raises(ResponseFileError) as exc:
        read_responses(p, tiny_instrument)
    assert str(exc.value) == (
        f"{p}: row 2: cannot decode the file: byte 0x81 at offset 52 is not valid UTF-8, and "
        "the file is not GB18030/GBK or Windows-1252 text either; save it as 'CSV UTF-8' (or "
        "UTF-16), or name the encoding with --encoding"
    )


LATIN = ("respondent_id,lab_region,lab,a1,a2,attn1\n"
         "R1,china,Zürich Müller-Lab,4,4,4\n"
         "R2,united_states,Málaga Ærø,2,1,4\n")


def test_a_stray_byte_in_utf8_is_refused_not_read_as_gb18030(tmp_path, tiny_instrument):
    """One bad byte once made the whole file GB18030: "Zürich" became "Z眉rich"."""
    p = tmp_path / "r.csv"
    data = LATIN.encode("utf-8").replace(b"R2,", b"R2\xa0,")
    p.write_bytes(data)
    with pytest.raises(ResponseFileError) as exc:
        read_responses(p, tiny_instrument)
    offset = data.index(b"\xa0")
    assert str(exc.value) == (
        f"{p}: row 3: cannot decode the file: it is UTF-8 except for byte 0xa0 at offset "
        f"{offset}, which is not; fix or delete that byte (reading the file in another "
        "encoding would garble every accented or Chinese character), or name the encoding "
        "with --encoding")
    rs = read_responses(p, tiny_instrument, encoding="latin-1")  # the user's call
    assert "encoding: iso8859-1 (as asked)" in rs.log.notes
    assert rs.data["respondent_id"].tolist() == ["R1", "R2"]  # ids are stripped


def test_windows_1252_is_recognised_by_evidence(tmp_path, tiny_instrument):
    p = tmp_path / "r.csv"
    p.write_bytes(LATIN.encode("cp1252"))
    rs = read_responses(p, tiny_instrument)
    assert "encoding: cp1252 (Windows Western European)" in rs.log.notes
    assert rs.data["lab"].tolist() == ["Zürich Müller-Lab", "Málaga Ærø"]


def test_encoding_option_decodes_strictly(tmp_path, tiny_instrument):
    p = tmp_path / "r.csv"
    p.write_bytes(TEXT.encode("gbk"))
    rs = read_responses(p, tiny_instrument, encoding="gbk")
    assert rs.data["lab"].tolist() == ["CN-01 心理学", "US-02"]
    with pytest.raises(ResponseFileError, match=r"row 2: cannot decode the file as utf-8 "
                       r"\(--encoding\): byte 0xd6 at offset 44 is not valid utf-8"):
        read_responses(p, tiny_instrument, encoding="utf-8")
    with pytest.raises(ResponseFileError, match="--encoding: unknown encoding 'klingon'"):
        read_responses(p, tiny_instrument, encoding="klingon")


def test_decode_reports_utf16_without_valid_data():
    with pytest.raises(ResponseFileError):
        decode(b"\xff\xfe\x00\xd8", "x.csv")  # a lone surrogate


@pytest.mark.parametrize(("bom", "encoding"), [("utf-8-sig", "utf-8"),
                                               ("utf-16", "utf-16-le")])
def test_a_bad_byte_after_a_byte_order_mark_names_its_row(tmp_path, tiny_instrument, bom,
                                                          encoding):
    """The row is counted in characters: U+010A is the bytes 0a 01 in UTF-16 LE."""
    p = tmp_path / "r.csv"
    good = "respondent_id,lab_region,lab,a1,a2,attn1\nR1,china,CN-01 \u010a,4,4,4\nR2,"
    bad = b"\xff" if encoding == "utf-8" else b"\x00\xdc"  # a stray byte; a lone surrogate
    data = good.encode(bom if bom == "utf-8-sig" else "utf-16") + bad + \
        "china,CN-02,1,1,4\n".encode(encoding)
    p.write_bytes(data)
    with pytest.raises(ResponseFileError) as exc:
        read_responses(p, tiny_instrument)
    offset = len(data) - len(bad) - len("china,CN-02,1,1,4\n".encode(encoding))
    assert str(exc.value) == (
        f"{p}: row 3: the file starts with a {encoding} byte-order mark but byte "
        f"0x{data[offset]:02x} at offset {offset} is not valid {encoding}; save it again from "
        "the spreadsheet program")


def test_encoding_option_counts_utf16_rows_in_characters(tmp_path, tiny_instrument):
    p = tmp_path / "r.csv"
    text = "respondent_id,lab_region,lab,a1,a2,attn1\nR1,china,CN-01 \u010a,4,4,4\n"
    p.write_bytes(text.encode("utf-16-le") + b"\x00\xdc")
    with pytest.raises(ResponseFileError, match=r"row 3: cannot decode the file as utf-16-le "):
        read_responses(p, tiny_instrument, encoding="utf-16-le")


@pytest.mark.parametrize(
    ("text", "delimiter"),
    [
        ("a,b,c\n1,2,3\n", ","),
        ("a;b;c\n1;2,5;3\n", ";"),
        ('"a";"b, c";"d"\n"1";"2";"3"\n', ";"),
        ("a\tb\tc\n1\t2\t3\n", "\t"),
        ("title only\n\na;b;c\n1;2;3\n4;5;6\n", ";"),
        ("a\n1\n", ","),
    ],
)
def test_delimiters(text, delimiter):
    assert sniff_delimiter(text) == delimiter


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_each_delimiter_reads(tmp_path, tiny_instrument, sep):
    p = tmp_path / "r.txt"
    p.write_text(TEXT.replace(",", sep), encoding="utf-8")
    rs = read_responses(p, tiny_instrument)
    assert rs.data["a2"].tolist() == [5, 1]
    assert ("delimiter: " + {"\t": "tab"}.get(sep, sep)) in rs.log.notes


def test_quoted_cells_with_newlines_and_delimiters(tmp_path, tiny_instrument):
    p = tmp_path / "r.csv"
    p.write_text('respondent_id;lab_region;lab;a1;a2;attn1;comment\r\n'
                 '"R1";"china";"CN-01; west";"4";"4";"4";"two\nlines"\r\n'
                 '"R2";"china";"CN-02";"4";"4";"4";""\r\n', encoding="utf-8")
    rs = read_responses(p, tiny_instrument)
    assert rs.data["lab"].tolist() == ["CN-01; west", "CN-02"]
    assert rs.meta["comment"].tolist() == ["two\nlines", None]
    assert rs.meta["source_row"].tolist() == [2, 3]  # a record is one spreadsheet row


def test_title_rows_above_the_header(tmp_path, tiny_instrument):
    p = tmp_path / "r.csv"
    p.write_text("Lab culture survey: responses,,,,,\nexported 2024-03-04,,,,,\n,,,,,\n" + TEXT,
                 encoding="utf-8")
    rs = read_responses(p, tiny_instrument)
    assert "header row: 4 (rows above it skipped)" in rs.log.notes
    assert rs.meta["source_row"].tolist() == [5, 6]
    assert rs.log.rows_read == 2


def test_title_rows_above_the_header_in_a_workbook(tmp_path, tiny_instrument):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["Lab culture survey"])
    ws.append([])
    for line in TEXT.splitlines():
        ws.append(line.split(","))
    p = tmp_path / "r.xlsx"
    wb.save(p)
    rs = read_responses(p, tiny_instrument)
    assert "header row: 3 (rows above it skipped)" in rs.log.notes
    assert rs.meta["source_row"].tolist() == [4, 5]
    assert rs.data["a1"].tolist() == [4, 2]


def test_workbook_numbers_dates_and_blank_rows(tmp_path, tiny_instrument):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = "data"
    ws.append(["respondent_id", "lab_region", "lab", "a1", "a2", "attn1", "submitted", "day",
               "ok"])
    ws.append([101, "china", "CN-01", 4, 5.0, 4, dt.datetime(2024, 3, 4, 9, 12, 5),
               dt.date(2024, 3, 4), True])
    ws.append([None] * 9)
    ws.append([102, "china", "CN-01", 3, 2, 4, dt.datetime(2024, 3, 5, 0, 0, 0, 250000),
               dt.datetime(2024, 3, 5), False])
    p = tmp_path / "r.xlsx"
    wb.save(p)
    rs = read_responses(p, tiny_instrument)
    assert rs.data["respondent_id"].tolist() == ["101", "102"]
    assert rs.data["a2"].tolist() == [5, 2]
    assert rs.log.flatten(["row", "reason"]) == [
        [None, "unknown_column"], [None, "unknown_column"], [None, "unknown_column"],
        [3, "empty_row"],
    ]
    assert rs.meta["submitted"].tolist() == ["2024-03-04T09:12:05", "2024-03-05T00:00:00.250"]
    assert rs.meta["day"].tolist() == ["2024-03-04", "2024-03-05"]
    assert rs.meta["ok"].tolist() == ["TRUE", "FALSE"]
    assert "sheet: data" in rs.log.notes


def test_table_keeps_numbers_as_floats_and_text_as_text():
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["id", "n", "mixed"])
    ws.append(["007", 1, 2])
    ws.append(["008", None, "x"])
    raw = io.BytesIO()
    wb.save(raw)
    t = read_table(raw.getvalue(), "t.xlsx")
    assert t.header == ["id", "n", "mixed"]
    assert str(t.frame[1].dtype) == "float64"
    assert t.frame[0].tolist() == ["007", "008"]
    assert t.text(1).tolist() == ["1", None]
    assert t.frame[2].tolist() == ["2", "x"]
    assert list(t.frame.index) == [2, 3]


def test_empty_file(tmp_path, tiny_instrument):
    p = tmp_path / "r.csv"
    p.write_bytes(b"\n\n  \n")
    with pytest.raises(ResponseFileError) as exc:
        read_responses(p, tiny_instrument)
    assert str(exc.value) == f"{p}: the file is empty; export the responses again"


def test_header_only_file_is_refused(tmp_path, tiny_instrument):
    """No responses is not an import that worked: every later step would be empty."""
    p = tmp_path / "r.csv"
    p.write_text("respondent_id,lab_region,lab,a1,a2,attn1\n", encoding="utf-8")
    with pytest.raises(ResponseFileError) as exc:
        read_responses(p, tiny_instrument)
    assert str(exc.value) == (
        f"{p}: row 2: no responses: the file ends after its header rows; export it again "
        "once responses have come in"
    )


def test_damaged_xls_is_refused_with_advice(tmp_path, tiny_instrument):
    p = tmp_path / "r.xls"
    p.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(ResponseFileError) as exc:
        read_responses(p, tiny_instrument)
    assert str(exc.value) == (
        f"{p}: cannot open as an .xls workbook (Cannot detect file format); save it again "
        "from the spreadsheet program"
    )


def test_html_page_named_xls_is_refused(tmp_path, tiny_instrument):
    p = tmp_path / "r.xls"
    p.write_bytes(b"<html><table><tr><td>respondent_id</td></tr></table></html>")
    with pytest.raises(ResponseFileError, match="named .xls but holds a web page"):
        read_responses(p, tiny_instrument)


def test_broken_workbook(tmp_path, tiny_instrument):
    p = tmp_path / "r.xlsx"
    p.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(ResponseFileError) as exc:
        read_responses(p, tiny_instrument)
    assert "cannot open as an .xlsx workbook" in str(exc.value)


def test_missing_file_and_folder(tmp_path, tiny_instrument):
    with pytest.raises(ResponseFileError, match="no such file"):
        read_responses(tmp_path / "nope.csv", tiny_instrument)
    with pytest.raises(ResponseFileError, match="the folder holds no response files"):
        read_responses(tmp_path, tiny_instrument)
