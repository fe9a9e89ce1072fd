"""The Wenjuanxing reader on the documented download layouts (tests/fixtures/wjx).

The fixtures are built by tests/fixtures/wjx/make_fixtures.py from the layout public
sources describe (tests/fixtures/SOURCES.md); its docstring lists the six made-up
respondents, whose codes are written out below as the expected data. Every variant (the
three answer encodings, CSV in UTF-8 with BOM and GBK, .xlsx and .xls, each matrix-column
naming) must import to exactly these.
"""

from __future__ import annotations

import csv
import importlib.util
import io
import random
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from survey.cli import cli
from survey.errors import ResponseFileError
from survey.instrument import load
from survey.responses import detect, read_responses, wjx
from survey.responses.tables import read_table
from survey.responses.validate import Policy

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures" / "wjx"
NA = None

EXPECTED = pd.DataFrame({
    "respondent_id": ["1", "2", "3", "4", "5", "6"],
    "lab_region": ["china", "united_states", "china", NA, "other", "china"],
    "lab": ["CN-01", "US-01", "CN-02", NA, "OT-01", "CN-01"],
    "role": ["researcher", "engineer", NA, NA, "student_intern", "other"],
    "cr1": [4, 1, 3, NA, 5, 2],
    "cr2": [2, 5, NA, NA, 5, 4],
    "cr3": [5, 2, 4, NA, 5, 3],
    "tl1": [3, 5, 2, NA, 1, 4],
    "tl2": [3, 4, 2, NA, 1, 5],
    "tl3": [1, 4, 2, NA, 1, 3],
    "attn1": [4, 4, 2, NA, 4, 4],
})
DURATIONS = [152.0, 128.0, 98.0, 41.0, 35.0, 211.0]
VARIANTS = {
    "numbers_utf8_bom.csv": ("encoding: utf-8 with BOM", "numbers"),
    "text_zh_gbk.csv": ("encoding: gb18030", "text"),
    "text_en.xlsx": ("sheet: Sheet1", "text"),
    "scores.xlsx": ("sheet: Sheet1", "numbers"),
    "All_Data_Original.xls": ("format: .xls (Excel 97-2003 workbook)", "numbers"),
}


@pytest.fixture(scope="module")
def inst():
    return load(FIXTURES / "instrument.yaml")


def _plain(frame: pd.DataFrame) -> list[list[object]]:
    return [[None if pd.isna(v) else (int(v) if isinstance(v, int | float) else str(v))
             for v in row] for row in frame.astype(object).itertuples(index=False)]


@pytest.mark.parametrize("name", list(VARIANTS))
def test_every_variant_imports_to_the_same_answers(inst, name):
    rs = read_responses(FIXTURES / name, inst)
    assert rs.log.platform == "wjx"
    assert "platform: wjx (recognised from the header)" in rs.log.notes
    assert list(rs.data.columns) == list(inst.columns)
    assert _plain(rs.data) == _plain(EXPECTED[list(inst.columns)])
    assert (rs.log.rows_read, rs.log.rows_accepted, rs.log.rows_rejected) == (6, 6, 0)
    assert rs.log.rows_read == rs.log.rows_accepted + rs.log.rows_rejected
    # respondent 3 failed the attention check (row 4 of the file; the log names the
    # column as the file heads it); respondent 4 skipped the required region (row 5)
    assert rs.log.flatten(["row", "reason", "action"]) == [
        [4, "failed_attention_check", "flagged"], [5, "missing_group_answer", "flagged"]]
    assert "请对这一题选择“同意”" in rs.log.records[0].column or \
        "please select 'Agree'" in rs.log.records[0].column
    assert rs.meta["duration_seconds"].tolist() == DURATIONS
    assert rs.meta["source_row"].tolist() == [2, 3, 4, 5, 6, 7]
    where, encoding = VARIANTS[name]
    assert where in rs.log.notes
    if encoding == "text":
        assert "wjx: answers as option text (按选项文本), mapped to codes by label" in \
            rs.log.notes
        assert "wjx: 12 cells of (跳过) (skipped) read as unanswered" in rs.log.notes
        assert "wjx: text typed into 1 'other' boxes (〖...〗) moved from the answers to " \
               "role_other in the metadata" in rs.log.notes
        assert rs.meta["role_other"].tolist()[4:] == [None, "博士后" if "zh" in name
                                                     else "postdoc"]
    else:
        assert "wjx: 1 cell of -2 (skipped by logic), 11 cells of -3 (not shown) read as " \
               "unanswered" in rs.log.notes
    # 来自IP is personal data: named in the log, in no output
    assert rs.log.personal == ["来自IP"]
    assert "personal data withheld from every output: 来自IP (--keep-personal-data " \
           "keeps it)" in rs.log.notes
    assert "来自IP" not in rs.meta.columns
    assert not rs.meta.astype(str).apply(lambda s: s.str.contains("203.0.113")).any().any()
    assert {"序号", "提交答卷时间", "所用时间", "来源", "来源详情"} <= set(rs.meta.columns)


def test_scores_download_keeps_the_total_as_metadata(inst):
    rs = read_responses(FIXTURES / "scores.xlsx", inst)
    assert rs.meta["总分"].tolist() == ["22", "25", "15", "0", "22", "25"]
    assert not rs.log.count(reason="unknown_column")


def test_everything_skipped_is_an_accepted_respondent_without_answers(inst):
    rs = read_responses(FIXTURES / "numbers_utf8_bom.csv", inst)
    row = rs.data.iloc[3]
    assert row["respondent_id"] == "4"
    assert row.drop("respondent_id").isna().all()


def test_speeders_from_the_time_taken(inst):
    rs = read_responses(FIXTURES / "text_zh_gbk.csv", inst, policy=Policy(min_duration=60))
    assert rs.meta["flags"].tolist() == ["", "", "failed_attention_check",
                                         "missing_group_answer;speeder", "speeder", ""]
    rs = read_responses(FIXTURES / "text_zh_gbk.csv", inst,
                        policy=Policy(min_duration=60, reject_speeders=True))
    assert rs.log.rejected == {5: "speeder", 6: "speeder"}
    assert (rs.log.rows_read, rs.log.rows_accepted, rs.log.rows_rejected) == (6, 4, 2)
    rejected = rs.log.rejected_rows
    assert rejected["row"].tolist() == [5, 6]
    assert "来自IP" not in rejected.columns
    assert not rejected.astype(str).apply(lambda s: s.str.contains("203.0.113")).any().any()
    assert rejected["所用时间"].tolist() == ["41秒", "35秒"]


def test_personal_data_kept_only_when_asked(inst):
    rs = read_responses(FIXTURES / "numbers_utf8_bom.csv", inst, keep_personal=True,
                        policy=Policy(min_duration=60, reject_speeders=True))
    assert rs.log.personal == ["来自IP"] and rs.log.personal_kept
    assert rs.meta["来自IP"].tolist() == ["203.0.113.7(上海-上海)", "203.0.113.25(北京-北京)",
                                         "203.0.113.40(广东-深圳)", "203.0.113.7(上海-上海)"]
    assert rs.log.rejected_rows["来自IP"].tolist() == ["203.0.113.41(浙江-杭州)",
                                                        "203.0.113.99(上海-上海)"]
    assert "personal data kept as asked: 来自IP" in rs.log.notes


def test_cli_outputs_carry_no_ip_unless_asked(tmp_path):
    src = FIXTURES / "numbers_utf8_bom.csv"
    before = src.read_bytes()
    inst = str(FIXTURES / "instrument.yaml")
    outs = [tmp_path / n for n in ("clean.csv", "rejected.csv", "log.csv", "clean.xlsx")]
    result = CliRunner().invoke(cli, [
        "import", str(src), "-i", inst, "-o", str(outs[0]), "--rejected", str(outs[1]),
        "--log", str(outs[2]), "--min-duration", "60", "--reject-speeders"])
    assert result.exit_code == 0, result.output
    assert "platform wjx (recognised from the header)" in result.output
    assert "rows read 6, accepted 4, rejected 2" in result.output
    for p in outs[:3]:
        text = p.read_text(encoding="utf-8")
        assert "203.0.113" not in text and "来自IP" not in text
    assert outs[0].read_text(encoding="utf-8").splitlines()[0] == ",".join(
        load(FIXTURES / "instrument.yaml").columns)
    result = CliRunner().invoke(cli, [
        "import", str(src), "-i", inst, "-o", str(outs[3]), "--keep-personal-data"])
    assert result.exit_code == 0, result.output
    frame = pd.read_excel(outs[3], engine="openpyxl")
    assert list(frame.columns)[-1] == "来自IP"
    assert frame["来自IP"].iloc[0] == "203.0.113.7(上海-上海)"
    result = CliRunner().invoke(cli, [
        "import", str(src), "-i", inst, "-o", str(tmp_path / "c.sav"), "--keep-personal-data"])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {tmp_path / 'c.sav'}: --keep-personal-data")
    assert src.read_bytes() == before


def test_unknown_survey_is_refused_naming_what_did_not_match(inst):
    with pytest.raises(ResponseFileError) as exc:
        read_responses(FIXTURES / "unknown_survey.csv", inst)
    assert str(exc.value) == (
        f"{FIXTURES / 'unknown_survey.csv'}: row 1: this Wenjuanxing download does not "
        "match instrument 'wjx-sample': 8 of its 8 items and required questions have no "
        "column: lab_region (question 1 '您所在的实验室主要位于哪里？'), lab (question 2 "
        "'实验室代码（由研究人员提供给您）'), cr1 (question 4 row '我们实验室的人会主动为自己的工作争取外界关注。'), "
        "cr2 (question 4 row '在我们实验室，一个模型的功劳归于整个团队。') and 4 more; columns that "
        "matched no question: '1、您的性别', '2、您的年级', '第3题(我对学校食堂的饭菜感到满意)' and 1 more. "
        "Columns are matched by question number and text ('N、question', '第N题(row)', "
        "'N(row)', 'N、title—row'); export the form with 'survey export -f wjx', or "
        "rename columns with --map")
    result = CliRunner().invoke(cli, ["import", str(FIXTURES / "unknown_survey.csv"), "-i",
                                      str(FIXTURES / "instrument.yaml")])
    assert result.exit_code == 2
    assert len(result.output.splitlines()) == 1


def _edited(tmp_path: Path) -> Path:
    """The numbers download with one matrix row's text edited in the designer."""
    text = (FIXTURES / "numbers_utf8_bom.csv").read_bytes().decode("utf-8-sig")
    text = text.replace("第4题(我们实验室的人会主动为自己的工作争取外界关注。)", "第4题(我们实验室的人会争取外界关注)")
    p = tmp_path / "edited.csv"
    p.write_bytes(("\ufeff" + text).encode("utf-8"))
    return p


def test_an_edited_row_is_named_and_map_fixes_it(tmp_path, inst):
    p = _edited(tmp_path)
    with pytest.raises(ResponseFileError, match=r"is not a complete download of instrument "
                       r"'wjx-sample': 1 of its 8 items and required questions have no "
                       r"column: cr1 \(question 4 row '我们实验室的人会主动为自己的工作争取外界关注。'\); "
                       r"columns that matched no question: '第4题\(我们实验室的人会争取外界关注\)'\."):
        read_responses(p, inst)
    rs = read_responses(p, inst, mapping={"rename": {"第4题(我们实验室的人会争取外界关注)": "cr1"}})
    assert rs.log.platform == "wjx"
    assert _plain(rs.data) == _plain(EXPECTED[list(inst.columns)])


def test_detection_and_explicit_platform(inst):
    header = read_table((FIXTURES / "numbers_utf8_bom.csv").read_bytes(), "x.csv").header
    assert detect(header) == "wjx"
    assert wjx.sniff(["序号", "所用时间"]) and wjx.sniff(["来源", "来源详情", "来自IP"])
    assert not wjx.sniff(["序号", "sp1"])
    rs = read_responses(FIXTURES / "text_en.xlsx", inst, platform="wjx")
    assert "platform: wjx (as asked)" in rs.log.notes


@pytest.mark.parametrize(("header", "shape"), [
    ("第12题(row text)", ("matrix", 12, "row text")),
    ("第 4 题（全角（括号））", ("matrix", 4, "全角(括号)")),
    ("7(a (b) c)", ("row", 7, "a (b) c")),
    ("3、问题", ("single", 3, "问题")),
    ("3：问题", ("single", 3, "问题")),
    ("3:问题", ("single", 3, "问题")),
    ("序号", None),
    ("Q3 问题", None),
])
def test_column_shapes(header, shape):
    assert wjx._shape(header) == shape


def test_full_width_punctuation_and_spaces_do_not_matter(inst):
    assert wjx.fold("为了表明您在认真阅读，请对这一题选择“同意”。") == wjx.fold(
        "为了表明您在认真阅读, 请对这一题选择\"同意\"。")
    assert wjx.fold("In my lab, credit  for a model") == wjx.fold("in my lab,credit for a model")


@pytest.mark.parametrize(("text", "seconds"), [
    ("152秒", 152.0), ("2分32秒", 152.0), ("1小时2分3秒", 3723.0), ("2分钟", 120.0),
    ("１５２秒", 152.0), ("152", 152.0), ("12.5秒", 12.5), ("--", None), ("", None),
    ("-5", None), ("秒", None), (None, None), ("inf", None), ("NaN", None),
])
def test_time_taken(text, seconds):
    assert wjx.parse_duration(text) == seconds


def test_numbers_on_a_scale_that_is_not_one_to_n(tmp_path):
    """Positions map to the points; numbers outside 1..n but on the scale are scores."""
    from survey.instrument import loads

    inst = loads(
        "id: z\nversion: '1'\nlanguages: [zh]\ntitle: {zh: 测试}\n"
        "scales:\n  s: {points: [0, 1, 2], labels: {zh: [没有, 有些, 很多]}}\n"
        "groups: []\n"
        "constructs:\n  - {id: c, name: {zh: 甲}, definition: {zh: 甲}, scale: s, items: "
        "[{id: i1, text: {zh: 题一}, reverse: false}, {id: i2, text: {zh: 题二}, "
        "reverse: false}]}\n")
    head = "序号,提交答卷时间,所用时间,第1题(题一),第1题(题二)\r\n"
    positions = tmp_path / "p.csv"
    positions.write_text(head + "1,2026/9/3 12:00:00,10秒,1,3\r\n2,2026/9/3 12:00:00,10秒,4,2\r\n",
                         encoding="utf-8")
    rs = read_responses(positions, inst)
    assert _plain(rs.data) == [["1", 0, 2], ["2", None, 1]]
    assert "wjx: numbers of scale 's' read as option positions (1 = '0', ..., 3 = '2')" in \
        rs.log.notes
    assert rs.log.flatten(["row", "column", "value", "reason"]) == [
        [3, "第1题(题一)", "option 4", "unknown_label"]]
    scores = tmp_path / "s.csv"
    scores.write_text(head + "1,2026/9/3 12:00:00,10秒,0,2\r\n", encoding="utf-8")
    rs = read_responses(scores, inst)
    assert _plain(rs.data) == [["1", 0, 2]]
    assert "wjx: numbers of scale 's' read as scores equal to its codes (0, 1, 2)" in \
        rs.log.notes


# ---- mutations ---------------------------------------------------------------------------------

BAD_CELLS = {"7": "out_of_range", "0": "out_of_range", "2.5": "out_of_range",
             "?": "non_numeric", "很好": "unknown_label"}


def _mutant(rng: random.Random, inst) -> tuple[bytes, str, dict, list[tuple[int, str]], dict]:
    """A Wenjuanxing download with shuffled columns, mixed namings, widths and encodings,
    skip codes and bad cells; returns bytes, suffix, the expected codes and bad cells."""
    from survey.responses.layouts import wjx_rows

    kind = rng.choice(["numbers", "text"])
    naming = rng.choice(["第N题(row)", "N(row)", "N、title—row"])
    expected = EXPECTED.head(3).copy()
    expected.loc[[0, 1, 2], "respondent_id"] = ["R1", "R2", "R3"]
    rows = wjx_rows(expected, inst, answers=kind, naming=naming)
    header, body = rows[0], [list(r) for r in rows[1:]]
    codes: dict[tuple[int, str], object] = {}
    bad: list[tuple[int, str]] = []
    var_of = {j: v for j, v in enumerate(["", "", "", "", "", "", *_order(inst)])}
    for i, row in enumerate(body):
        for j in range(6, len(header)):
            var = var_of[j]
            roll = rng.random()
            if roll < 0.15:
                row[j] = rng.choice(["-2", "-3"] if kind == "numbers" else ["(跳过)", "（跳过）"])
                codes[(i, var)] = None
            elif roll < 0.25 and var not in ("lab", "lab_region", "role"):
                cell = rng.choice(list(BAD_CELLS))
                if kind == "text" and cell in ("7", "0", "2.5"):
                    cell = "很好"
                row[j] = cell
                codes[(i, var)] = None
                bad.append((i, var))
            else:
                v = expected.loc[i, var]
                codes[(i, var)] = None if pd.isna(v) else v
    if rng.random() < 0.5:
        header = [h.replace("(", "（").replace(")", "）") if h.startswith("第") else h
                  for h in header]
    order = list(range(6)) + rng.sample(range(6, len(header)), len(header) - 6)
    table = [[r[j] for j in order] for r in [header, *body]]
    var_by_header = {header[j]: var_of[j] for j in range(6, len(header))}
    suffix = rng.choice([".csv", ".csv-gbk", ".xlsx", ".xls"])
    if suffix == ".xlsx":
        return _to_xlsx(table), ".xlsx", codes, bad, var_by_header
    if suffix == ".xls":
        return _to_xls(table), ".xls", codes, bad, var_by_header
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerows(
        [["" if v is None else v for v in r] for r in table])
    if suffix == ".csv-gbk":
        return buf.getvalue().encode("gbk"), ".csv", codes, bad, var_by_header
    return ("\ufeff" + buf.getvalue()).encode("utf-8"), ".csv", codes, bad, var_by_header


def _order(inst) -> list[str]:
    from survey.forms.wjx import questions

    return [v for q in questions(inst) for v in q.variables]


def _to_xlsx(table) -> bytes:
    """The table as a workbook, cells as they are (as Wenjuanxing writes them)."""
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    for r in table:
        ws.append(r)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _to_xls(table) -> bytes:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Sheet1")
    for i, r in enumerate(table):
        for j, v in enumerate(r):
            if v is not None:
                ws.write(i, j, v)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


needs_xlwt = pytest.mark.skipif(importlib.util.find_spec("xlwt") is None,
                                reason="xlwt (test extra) writes the .xls files")


@needs_xlwt
@pytest.mark.parametrize("seed", range(40))
def test_mutated_downloads(tmp_path, inst, seed):
    """Shuffled columns, any naming, half or full width, any encoding or file type, skip
    codes and bad cells: every row is accounted for, every untouched answer survives,
    every bad cell is blanked with a record naming its row and column."""
    rng = random.Random(seed)
    data, suffix, codes, bad, var_by_header = _mutant(rng, inst)
    p = tmp_path / f"m{suffix}"
    p.write_bytes(data)
    rs = read_responses(p, inst)
    assert rs.log.platform == "wjx"
    assert (rs.log.rows_read, rs.log.rows_accepted, rs.log.rows_rejected) == (3, 3, 0)
    for (i, var), want in codes.items():
        got = rs.data.loc[i, var]
        if want is None:
            assert pd.isna(got), (i, var, got)
        else:
            assert got == want, (i, var, got, want)
    blanked = sorted((r.row - 2, var_by_header[r.column]) for r in rs.log.records
                     if r.action == "blanked")
    assert blanked == sorted(bad)


# ---- the shipped sample ---------------------------------------------------------------------

SAMPLE = HERE.parent / "sample_data" / "lab_culture_responses.xlsx"


@pytest.mark.skipif(not SAMPLE.is_file(), reason=f"no sample data: {SAMPLE}")
def test_shipped_sample_is_the_template_sample():
    """sample_data/lab_culture_responses.wjx.csv: the bytes the writer gives, the same data,
    records and flags as the template file (python tests/platform_layouts.py wjx remakes
    it)."""
    from platform_layouts import load_sample, sample_path

    from survey.responses.layouts import wjx_layout

    inst, data = load_sample()
    path = sample_path("wjx")
    assert path.read_bytes() == wjx_layout(data, inst)
    rs = read_responses(path, inst)
    pd.testing.assert_frame_equal(rs.data, data)
    template = read_responses(SAMPLE, inst)
    assert [[r, v, why] for r, _, v, why in rs.log.flatten(["row", "column", "value", "reason"])] \
        == [[r, v, why] for r, _, v, why in template.log.flatten(["row", "column", "value",
                                                                  "reason"])]
    assert rs.meta["flags"].tolist() == template.meta["flags"].tolist()
    assert rs.meta["duration_seconds"].between(240, 840).all()
    assert rs.simulated and rs.log.personal == ["来自IP"]
