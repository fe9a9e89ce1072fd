"""The comparison report: structure, numbers, determinism, escaping, languages and the CLI.

Most tests build a report from a small simulated data set of a two-construct instrument
written inline (three figures, so a build takes about a second); the done-when test runs
the bundled sample through ``survey report``.
"""

from __future__ import annotations

import io
import math
import re
from html import unescape
from html.parser import HTMLParser

import pandas as pd
import pytest
from click.testing import CliRunner
from conftest import SAMPLE_DATA

from analysis.report import build_report
from analysis.report.format import MINUS, parse_shown
from survey.cli import cli
from survey.instrument import loads
from survey.responses.model import ImportLog, LogRecord, ResponseSet
from survey.simulate import simulate

SMALL_YAML = """\
id: small
version: "2.1"
languages: [en, zh]
title: {en: Small lab survey, zh: 小型实验室调查}
scales:
  agree5:
    points: [1, 2, 3, 4, 5]
    labels:
      en: [Strongly disagree, Disagree, Neither agree nor disagree, Agree, Strongly agree]
      zh: [非常不同意, 不同意, 既不同意也不反对, 同意, 非常同意]
groups:
  - id: lab_region
    type: choice
    required: true
    text: {en: Region, zh: 地区}
    choices:
      - {code: china, label: {en: China, zh: 中国}}
      - {code: united_states, label: {en: United States, zh: 美国}}
      - {code: other, label: {en: Other, zh: 其他}}
  - {id: lab, type: text, required: true, text: {en: Lab code, zh: 实验室代码}}
constructs:
  - id: speaking_up
    name: {en: Speaking up, zh: 敢于发声}
    definition: {en: How much people speak up for themselves., zh: 人们为自己发声的程度。}
    scale: agree5
    items:
      - {id: su1, text: {en: People here speak up., zh: 这里的人敢于发声。}, reverse: false}
      - {id: su2, text: {en: People here stay quiet., zh: 这里的人保持沉默。}, reverse: true}
      - {id: su3, text: {en: People here claim credit., zh: 这里的人争取功劳。}, reverse: false}
  - id: teamwork
    name: {en: Teamwork, zh: 团队合作}
    definition: {en: How much work is shared., zh: 工作共享的程度。}
    scale: agree5
    items:
      - {id: tw1, text: {en: We share the work., zh: 我们分担工作。}, reverse: false}
      - {id: tw2, text: {en: We do less glamorous work., zh: 我们做不起眼的工作。}, reverse: false}
      - {id: tw3, text: {en: Each works alone., zh: 各自单干。}, reverse: true}
hypotheses:
  - {id: H1, construct: speaking_up, by: lab_region, predicts: united_states > china, source: "speaking up"}
  - {id: H2, construct: teamwork, by: lab_region, predicts: china > united_states, source: "less glamorous work"}
"""

SCRIPT = "<script>alert(1)</script>"
FORMULA = "=cmd|' /C calc'!A0"


@pytest.fixture(scope="module")
def small_instrument():
    return loads(SMALL_YAML, file="small.yaml")


def _responses(inst, *, seed: int = 5, other: int = 12) -> ResponseSet:
    """Simulated answers: 3 labs in China and in the US with 12 people each, one 'other'
    lab with ``other`` people; one rejected row in the log."""
    frame = simulate(inst, seed=seed, labs={"china": 3, "united_states": 3, "other": 1},
                     respondents_per_lab=(12, 12), effect=0.8)
    rank = frame.groupby("lab").cumcount().to_numpy()
    keep = (frame["lab_region"] != "other").to_numpy() | (rank < other)
    frame = frame[keep].reset_index(drop=True)
    log = ImportLog(file="responses.csv", platform="template", rows_read=len(frame) + 1)
    log.add("duplicate_id", "rejected", "respondent id seen before", row=7,
            column="respondent_id", value="SIM-00003")
    return ResponseSet(frame, inst, log)


@pytest.fixture(scope="module")
def small_rs(small_instrument) -> ResponseSet:
    return _responses(small_instrument)


@pytest.fixture(scope="module")
def small_report(small_rs) -> dict[str, bytes]:
    return build_report(small_rs)


class _Cells(HTMLParser):
    """Collect element ids, section ids and the text of every ``data-col`` element."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.stack: list[tuple[str, str | None, str | None]] = []
        self.cells: list[tuple[str | None, str | None, str, str]] = []  # row id, section, col, text
        self._row: str | None = None
        self._section: str | None = None
        self._open: list[list] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "tr":
            self._row = a.get("id")
        if tag == "section" and a.get("id", "").startswith("construct-"):
            self._section = a["id"].removeprefix("construct-")
        if "data-col" in a:
            self._open.append([tag, a["data-col"], ""])

    def handle_endtag(self, tag):
        if self._open and self._open[-1][0] == tag:
            t, col, text = self._open.pop()
            self.cells.append((self._row, self._section, col, text.strip()))

    def handle_data(self, data):
        for o in self._open:
            o[2] += data


def _parse(html: bytes) -> _Cells:
    p = _Cells()
    p.feed(html.decode("utf-8"))
    return p


def _table(files: dict[str, bytes], name: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(files[f"tables/{name}.csv"]))


def _shown_equals(shown: str, value: float, digits: int) -> bool:
    """The displayed text is ``value`` rounded to ``digits`` (or '< .001' for tiny p)."""
    if math.isnan(value):
        return shown == "\u2013"
    if shown.startswith("<"):
        return value < 0.001
    return abs(parse_shown(shown) - value) <= 0.5 * 10 ** -digits + 1e-9


# ---- structure ---------------------------------------------------------------------------

def test_outputs_listed(small_report, small_instrument):
    names = set(small_report)
    assert {"report.html", "report.xlsx"} <= names
    for table in ("scores", "reliability", "descriptives", "omnibus", "pairwise",
                  "hypotheses", "items", "import_log"):
        assert f"tables/{table}.csv" in names
    figures = ["hypotheses_forest", *(f"items_{c.id}" for c in small_instrument.constructs)]
    for fig in figures:
        assert small_report[f"figures/{fig}.png"].startswith(b"\x89PNG")
        assert b"<svg" in small_report[f"figures/{fig}.svg"][:1000]


def test_table_columns_are_those_of_the_architecture(small_report):
    expected = {
        "reliability": ["construct", "group", "n", "k", "alpha", "alpha_ci_low",
                        "alpha_ci_high", "omega"],
        "descriptives": ["construct", "group", "n", "mean", "sd", "median"],
        "omnibus": ["construct", "by", "test", "statistic", "df1", "df2", "p_unc", "p_adj",
                    "effect_size", "effect_size_name"],
        "pairwise": ["construct", "group_a", "group_b", "n_a", "n_b", "mean_a", "mean_b",
                     "diff", "hedges_g", "g_ci_low", "g_ci_high", "test", "statistic", "df",
                     "p_unc", "p_adj"],
        "hypotheses": ["hypothesis", "construct", "by", "predicted", "observed_diff",
                       "hedges_g", "g_ci_low", "g_ci_high", "p_adj", "verdict"],
        "items": ["construct", "item", "reverse", "n", "mean", "sd", "r_drop",
                  "alpha_if_dropped", "p_1", "p_2", "p_3", "p_4", "p_5"],
        "scores": ["respondent_id", "lab_region", "speaking_up", "teamwork"],
        "import_log": ["row", "column", "value", "reason", "action", "message"],
    }
    for name, cols in expected.items():
        got = list(_table(small_report, name).columns)
        assert got[: len(cols)] == cols, name


def test_html_sections_and_every_hypothesis(small_report, small_instrument):
    html = small_report["report.html"].decode()
    cells = _parse(small_report["report.html"])
    for section in ("summary", "hypotheses", "constructs", "methods", "simulated",
                    "figure-hypotheses_forest"):
        assert section in cells.ids
    for c in small_instrument.constructs:
        assert f"construct-{c.id}" in cells.ids
        assert f"figure-items_{c.id}" in cells.ids
        assert c.definition["en"] in html
    for h in small_instrument.hypotheses:
        assert f"hyp-{h.id}" in cells.ids
    # the methods text names the procedures, its references and the software versions
    for needle in ("Welch, 1951", "Games & Howell, 1976", "Hedges, 1981", "Holm, 1979",
                   "McDonald, 1999", "Cronbach, 1951", "Feldt", "pairwise item covariances",
                   "at least 50% of the items", "Cronbach, L. J. (1951)",
                   "Holm, S. (1979)", "pingouin", "pillow"):
        assert needle in unescape(html), needle
    # rows read / accepted / rejected and the reason
    assert "repeated respondent id: 1" in html
    # self-contained: no external reference of any kind
    assert not re.search(r"""(src|href)=["']?(https?:|//)""", html)
    assert "<link" not in html and "@import" not in html


def test_page_numbers_equal_the_tables(small_report):
    cells = _parse(small_report["report.html"])
    hyp = _table(small_report, "hypotheses").set_index("hypothesis")
    digits = {"observed_diff": 2, "hedges_g": 2, "p_adj": 3, "p_adj_welch": 3, "mde": 2}
    seen = 0
    for row, _, col, text in cells.cells:
        if not (row or "").startswith("hyp-"):
            continue
        h = hyp.loc[row.removeprefix("hyp-")]
        if col == "g_ci":
            low, high = text.strip("[]").split(", ")
            assert _shown_equals(low, h["g_ci_low"], 2) and _shown_equals(high, h["g_ci_high"], 2)
        elif col == "comparison_support":
            assert text == h[col]
        else:
            assert _shown_equals(text, h[col], digits[col]), (row, col, text, h[col])
        seen += 1
    # difference, g, CI, p (lab-aware), detectable d, p (respondent level), comparability
    assert seen == 7 * len(hyp)
    # descriptives, per construct section, in table order
    desc = _table(small_report, "descriptives")
    for construct, rows in desc.groupby("construct", sort=False):
        shown = [(col, text) for _, sec, col, text in cells.cells
                 if sec == construct and col in ("mean", "sd", "median")][: 3 * len(rows)]
        expected = [(c, v) for _, r in rows.iterrows() for c, v in
                    (("mean", r["mean"]), ("sd", r["sd"]), ("median", r["median"]))]
        assert [c for c, _ in shown] == [c for c, _ in expected]
        for (_, text), (_, value) in zip(shown, expected, strict=True):
            assert _shown_equals(text, value, 2)


def test_summary_counts_and_verdicts(small_report, small_rs):
    html = small_report["report.html"].decode()
    cells = _parse(small_report["report.html"])
    by_col = {col: text for _, _, col, text in cells.cells if col.startswith("rows_")}
    assert by_col == {"rows_read": str(small_rs.log.rows_read),
                      "rows_accepted": str(small_rs.log.rows_accepted),
                      "rows_rejected": "1"}
    hyp = _table(small_report, "hypotheses")
    for h in hyp.itertuples():
        assert re.search(rf'id="hyp-{h.hypothesis}" data-verdict="{h.verdict}"', html)
    for lab in small_rs.data["lab"].unique():
        assert f"{lab}&nbsp;(" in html


def test_small_groups_are_suppressed_everywhere(small_instrument):
    rs = _responses(small_instrument, other=4)
    files = build_report(rs, min_group_n=5)
    desc = _table(files, "descriptives")
    assert "other" not in set(desc["group"])
    pairs = _table(files, "pairwise")
    assert "other" not in set(pairs["group_a"]) | set(pairs["group_b"])
    supp = _table(files, "suppressed")
    assert supp[["group", "n"]].values.tolist() == [["other", 4]]
    html = files["report.html"].decode()
    assert "Other (Suppressed)" in html
    assert "Other (n=" not in files["figures/items_teamwork.svg"].decode()


# ---- determinism -------------------------------------------------------------------------

def test_two_builds_give_the_same_bytes(small_rs, small_report):
    again = build_report(small_rs)
    assert list(again) == list(small_report)
    for path, content in small_report.items():
        assert again[path] == content, path
    svg = small_report["figures/hypotheses_forest.svg"].decode()
    assert "<dc:date>" not in svg
    assert b"tIME" not in small_report["figures/hypotheses_forest.png"]


def test_stamp_is_shown_only_when_given(small_rs, small_report):
    stamped = build_report(small_rs, stamp="2030-01-02 03:04 UTC")
    assert "2030-01-02 03:04 UTC" in stamped["report.html"].decode()
    assert "2030-01-02" not in small_report["report.html"].decode()
    assert stamped["tables/hypotheses.csv"] == small_report["tables/hypotheses.csv"]


# ---- untrusted text ------------------------------------------------------------------------

def test_lab_codes_and_log_text_are_escaped_and_neutralised(small_instrument):
    from openpyxl import load_workbook

    rs = _responses(small_instrument)
    data = rs.data.copy()
    labs = data["lab"].astype(str)
    first, second = labs.unique()[:2]
    data["lab"] = labs.replace({first: SCRIPT, second: FORMULA})
    log = ImportLog(file="<img src=x onerror=alert(2)>.csv", platform="template",
                    rows_read=len(data))
    log.records.append(LogRecord(3, "lab", FORMULA, "other", "warning", SCRIPT))
    files = build_report(ResponseSet(data, small_instrument, log), include_group_answers=True)

    html = files["report.html"].decode()
    assert "<script" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;.csv" in html
    assert "=cmd|&#39; /C calc&#39;!A0" in html

    scores = _table(files, "scores")
    assert f"'{FORMULA}" in set(scores["lab"])
    assert SCRIPT in set(scores["lab"])
    logcsv = _table(files, "import_log")
    assert logcsv.loc[0, "value"] == f"'{FORMULA}"

    wb = load_workbook(io.BytesIO(files["report.xlsx"]))
    assert wb.sheetnames[:3] == ["about", "hypotheses", "reliability"]
    lab_col = [c.value for c in wb["scores"]["C"]]
    assert lab_col[0] == "lab"
    assert f"'{FORMULA}" in lab_col
    for row in wb["scores"].iter_rows():
        for cell in row:
            assert cell.data_type != "f"
    assert wb["import_log"]["C2"].value == f"'{FORMULA}"


def test_scores_ship_no_identifying_answers_unless_asked(small_report, small_rs):
    """tables/scores.csv and the Scores sheet hold the id, the grouping answer and the
    scores; the lab (and any other grouping answer) only with include_group_answers."""
    from openpyxl import load_workbook

    expected = ["respondent_id", "lab_region", "speaking_up", "teamwork"]
    assert list(_table(small_report, "scores").columns) == expected
    sheet = load_workbook(io.BytesIO(small_report["report.xlsx"]))["scores"]
    assert [c.value for c in sheet[1]] == expected
    assert len(_table(small_report, "scores")) == small_rs.n

    wide = build_report(small_rs, include_group_answers=True)
    assert list(_table(wide, "scores").columns) == [
        "respondent_id", "lab_region", "lab", "speaking_up", "teamwork"]
    assert list(_table(wide, "scores")["lab"]) == list(small_rs.data["lab"])


def test_cli_include_group_answers(tmp_path, cli_inputs):
    inst_path, data = cli_inputs
    for flag, columns in (([], ["respondent_id", "lab_region", "speaking_up", "teamwork"]),
                          (["--include-group-answers"],
                           ["respondent_id", "lab_region", "lab", "speaking_up", "teamwork"])):
        out = tmp_path / ("wide" if flag else "narrow")
        res = CliRunner().invoke(cli, ["report", str(data), "-i", str(inst_path), "-q",
                                       *flag, "-o", str(out)])
        assert res.exit_code == 0, res.output
        assert list(pd.read_csv(out / "tables" / "scores.csv").columns) == columns


def test_workbook_layout(small_report):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(small_report["report.xlsx"]))
    assert wb.sheetnames == ["about", "hypotheses", "reliability", "descriptives", "omnibus",
                             "pairwise", "items", "icc", "nested", "rwg", "rwg_labs",
                             "invariance_fits", "invariance_summary", "invariance_items",
                             "styles", "style_differences", "acquiescence_sensitivity",
                             "dimensionality", "cfa_fit", "cfa_loadings",
                             "factor_correlations", "modification_indices", "validity", "htmt",
                             "partial_invariance", "latent_means",
                             "suppressed", "scores", "import_log"]
    ws = wb["hypotheses"]
    assert ws.freeze_panes == "A2"
    assert ws["A1"].font.bold
    header = [c.value for c in ws[1]]
    hyp = _table(small_report, "hypotheses")
    assert header == list(hyp.columns)
    g = header.index("hedges_g") + 1
    p = header.index("p_adj") + 1
    assert ws.cell(2, g).value == pytest.approx(hyp.loc[0, "hedges_g"], rel=1e-12)
    assert ws.cell(2, g).number_format == "0.000"
    assert ws.cell(2, p).number_format == '[<0.0001]"< .0001";0.0000'
    assert ws.column_dimensions["A"].width >= len("hypothesis")
    assert wb["items"].cell(2, 9).number_format == "0.0%"


# ---- language ------------------------------------------------------------------------------

def test_chinese_report(small_rs, small_instrument):
    files = build_report(small_rs, lang="zh")
    html = files["report.html"].decode()
    assert '<html lang="zh-Hans">' in html
    for text in ("假设一览", "各构念结果", "方法", "敢于发声", "团队合作", "这里的人敢于发声。",
                 "中国", "美国", "模拟数据"):
        assert text in html, text
    for english in ("Hypotheses at a glance", "Speaking up", "People here speak up."):
        assert english not in html
    # the tables keep codes whatever the language
    assert files["tables/hypotheses.csv"] == build_report(small_rs)["tables/hypotheses.csv"]
    assert "敢于发声" in files["figures/hypotheses_forest.svg"].decode()


def test_chinese_figures_without_a_chinese_font(small_rs, monkeypatch):
    """A machine with no CJK font draws ids and codes, with no missing-glyph warning."""
    from analysis.report import figures

    monkeypatch.setattr(figures, "_cjk_font", lambda: None)
    files = build_report(small_rs, lang="zh")  # filterwarnings=error: a glyph warning fails
    svg = files["figures/hypotheses_forest.svg"].decode()
    assert "敢于发声" not in svg
    assert "H1" in svg
    assert "敢于发声" in files["report.html"].decode()  # the page itself stays Chinese


def test_not_simulated_has_no_banner(small_instrument):
    rs = _responses(small_instrument)
    data = rs.data.copy()
    data["respondent_id"] = data["respondent_id"].str.replace("SIM-", "R-")
    files = build_report(ResponseSet(data, small_instrument, rs.log))
    assert 'id="simulated"' not in files["report.html"].decode()


def test_bad_options_raise_survey_errors(small_rs):
    from survey.errors import SurveyError

    with pytest.raises(SurveyError, match="not 'fr'"):
        build_report(small_rs, lang="fr")
    with pytest.raises(SurveyError, match="'region' is not a grouping question of the "
                                          "instrument; grouping questions: lab_region"):
        build_report(small_rs, by="region")


# ---- command line --------------------------------------------------------------------------

def _write_sample(inst_path, rs, path):
    from survey.responses.writers import write_responses

    path.write_bytes(write_responses(rs, ".csv"))


@pytest.fixture
def cli_inputs(tmp_path, small_rs):
    inst_path = tmp_path / "small.yaml"
    inst_path.write_text(SMALL_YAML, encoding="utf-8")
    data = tmp_path / "responses.csv"
    _write_sample(inst_path, small_rs, data)
    return inst_path, data


def test_cli_writes_the_same_bytes_twice(tmp_path, cli_inputs):
    inst_path, data = cli_inputs
    runner = CliRunner()
    outs = []
    for name in ("a", "b"):
        out = tmp_path / name
        res = runner.invoke(cli, ["report", str(data), "-i", str(inst_path), "-o", str(out)])
        assert res.exit_code == 0, res.output
        outs.append(out)
    assert "rows read" in res.output
    assert re.search(r"^H1 +speaking_up ", res.output, re.MULTILINE)
    assert "survey report:" not in res.output  # no progress when not on a terminal
    # three figures, each as PNG and SVG, are three figures, not six
    assert res.output.splitlines()[-1].endswith(
        ", 3 figures (PNG and SVG) and 28 tables")
    files_a = sorted(p.relative_to(outs[0]) for p in outs[0].rglob("*") if p.is_file())
    files_b = sorted(p.relative_to(outs[1]) for p in outs[1].rglob("*") if p.is_file())
    assert files_a == files_b and len(files_a) == 2 + 2 * 3 + 9 + 10 + 9
    for rel in files_a:
        assert (outs[0] / rel).read_bytes() == (outs[1] / rel).read_bytes(), rel
    assert not list(outs[0].rglob(".*.part"))


def test_cli_quiet_and_options(tmp_path, cli_inputs):
    inst_path, data = cli_inputs
    res = CliRunner().invoke(cli, ["report", str(data), "-i", str(inst_path), "--quiet",
                                   "--lang", "zh", "--adjust", "fdr_bh", "--min-group-n", "13",
                                   "-o", str(tmp_path / "zh")])
    assert res.exit_code == 0, res.output
    assert res.output == ""
    html = (tmp_path / "zh" / "report.html").read_text(encoding="utf-8")
    assert "Benjamini" in html and "其他 (已隐去)" in html


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.csv"], "missing.csv"),
        (["{data}", "--by", "lab_regoin"], "did you mean 'lab_region'"),
        (["{data}", "--platform", "spss"], "'spss' is not one of 'auto', 'kobo'"),
        (["{data}", "--lang", "fr"], "'fr' is not one of 'en', 'zh'"),
        (["{data}", "--min-group-n", "1"], "1 is not in the range x>=2"),
    ],
    ids=["missing-file", "unknown-by", "unknown-platform", "unknown-lang", "min-group-n"],
)
def test_cli_bad_input_exits_2(tmp_path, cli_inputs, args, message):
    inst_path, data = cli_inputs
    argv = ["report", *(a.format(data=data) for a in args), "-i", str(inst_path),
            "-o", str(tmp_path / "out")]
    res = CliRunner().invoke(cli, argv)
    assert res.exit_code == 2
    assert message in res.output
    assert "Traceback" not in res.output


def test_cli_refuses_a_file_as_output_folder(tmp_path, cli_inputs):
    inst_path, data = cli_inputs
    res = CliRunner().invoke(cli, ["report", str(data), "-i", str(inst_path), "-o", str(data)])
    assert res.exit_code == 2
    assert not (tmp_path / "report.html").exists()


@pytest.mark.parametrize("name", ["x.html", "report.PDF", "out.xlsx"])
def test_cli_refuses_a_file_name_for_the_report_folder(tmp_path, cli_inputs, name):
    inst_path, data = cli_inputs
    out = tmp_path / name
    res = CliRunner().invoke(cli, ["report", str(data), "-i", str(inst_path), "-o", str(out)])
    assert res.exit_code == 2
    stem = out.with_suffix("")
    assert res.output == (
        f"error: {out}: -o names a folder (the report is report.html, report.xlsx, figures/ "
        f"and tables/), not a {out.suffix} file; give a folder, e.g. -o {stem}\n")
    assert not out.exists()


def test_cli_help():
    res = CliRunner().invoke(cli, ["report", "--help"])
    assert res.exit_code == 0
    assert "--lang [en|zh]" in res.output and "--stamp" in res.output


# ---- done when: the bundled sample ---------------------------------------------------------

def _planted_null() -> str:
    readme = (SAMPLE_DATA / "README.md").read_text(encoding="utf-8")
    found = re.findall(r"\*\*(H\d+) \([^)]*\)\*\*: a planted null", readme)
    assert len(found) == 1, "sample_data/README.md should name one planted null"
    return found[0]


@pytest.mark.slow
def test_sample_report_shows_planted_effects_and_null(tmp_path):
    sample = SAMPLE_DATA / "lab_culture_responses.xlsx"
    if not sample.exists():
        pytest.skip("sample_data/lab_culture_responses.xlsx is absent")
    res = CliRunner().invoke(cli, ["report", str(sample), "-o", str(tmp_path)])
    assert res.exit_code == 0, res.output
    hyp = pd.read_csv(tmp_path / "tables" / "hypotheses.csv")
    null = _planted_null()
    assert null == "H7"
    effects = hyp[hyp["hypothesis"] != null]
    assert len(effects) == 7
    # every planted effect is in the predicted direction (positive = as predicted) ...
    assert (effects["observed_diff"] > 0).all() and (effects["hedges_g"] > 0).all()
    assert set(effects["verdict"]) <= {"supported", "not supported"}
    # ... and the planted null is not supported
    assert hyp.set_index("hypothesis").loc[null, "verdict"] == "not supported"
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert f'id="hyp-{null}" data-verdict="not supported"' in html
    assert 'id="simulated"' in html
    for h in effects.itertuples():
        assert f'id="hyp-{h.hypothesis}" data-verdict="{h.verdict}"' in html
        assert MINUS not in _row_text(html, h.hypothesis, "hedges_g")


def _row_text(html: str, hypothesis: str, col: str) -> str:
    row = html.split(f'id="hyp-{hypothesis}"', 1)[1].split("</tr>", 1)[0]
    return row.split(f'data-col="{col}">', 1)[1].split("<", 1)[0]


def test_progress_names_each_long_step(small_rs):
    steps: list[str] = []
    build_report(small_rs, progress=steps.append)
    assert steps == ["scoring", "comparing groups", "reliability", "nesting in labs",
                     "measurement invariance", "response styles", "measurement model",
                     "partial invariance and latent means", "drawing figures",
                     "writing report.html", "writing report.xlsx"]


def test_hypotheses_without_a_group_are_not_testable(small_rs, small_instrument):
    data = small_rs.data[small_rs.data["lab_region"] != "united_states"].reset_index(drop=True)
    files = build_report(ResponseSet(data, small_instrument, small_rs.log))
    hyp = _table(files, "hypotheses")
    assert hyp["verdict"].tolist() == ["not testable", "not testable"]
    cells = _parse(files["report.html"])
    shown = {(row, col): text for row, _, col, text in cells.cells if (row or "").startswith("hyp-")}
    assert shown[("hyp-H1", "hedges_g")] == "\u2013" and shown[("hyp-H1", "g_ci")] == ""
    assert "no respondents in &#39;united_states&#39;" in files["report.html"].decode()
    assert "not testable" in files["figures/hypotheses_forest.svg"].decode()


# ---- the item table: keyed and as answered, said so ----------------------------------------

def test_item_table_shows_keyed_and_answered_means_and_says_which(small_report, small_rs):
    items = _table(small_report, "items")
    inst = small_rs.instrument
    data = small_rs.data
    for r in items.itertuples():
        answers = pd.to_numeric(data[r.item], errors="coerce").dropna()
        # the as-answered mean is the mean of the raw answers, which the shares describe
        assert r.mean_answered == pytest.approx(answers.mean(), rel=1e-12)
        shares = sum(p * getattr(r, f"p_{p}") for p in (1, 2, 3, 4, 5))
        assert r.mean_answered == pytest.approx(shares, rel=1e-12)
        keyed = 6 - answers if inst.item(r.item).reverse else answers
        assert r.mean == pytest.approx(keyed.mean(), rel=1e-12)
    reversed_items = items[items["reverse"]]
    assert len(reversed_items) and (reversed_items["mean"]
                                    == 6 - reversed_items["mean_answered"]).all()
    html = unescape(small_report["report.html"].decode())
    assert ("M (keyed) and SD: reverse-keyed items (R) recoded min + max − x, as in the "
            "scores. M (as answered) and the shares of each answer: as given on the form")\
        in html
    cells = _parse(small_report["report.html"])
    shown = [text for _, sec, col, text in cells.cells if col == "mean_answered"]
    assert len(shown) == len(items)
    for text, value in zip(shown, items["mean_answered"], strict=True):
        assert _shown_equals(text, value, 2)
    zh = unescape(build_report(small_rs, lang="zh")["report.html"].decode())
    assert "均值（计分后）" in zh and "均值（原始作答）" in zh


def test_tiny_p_values_are_not_shown_as_zero_in_the_workbook():
    from openpyxl import Workbook, load_workbook

    from analysis.report.workbook import P_FORMAT, _sheet

    wb = Workbook()
    _sheet(wb, "hypotheses", pd.DataFrame({"hypothesis": ["H1", "H2"],
                                           "p_adj": [1.3e-15, 0.0312]}))
    buf = io.BytesIO()
    wb.save(buf)
    ws = load_workbook(io.BytesIO(buf.getvalue()))["hypotheses"]
    assert ws["B2"].value == 1.3e-15 and ws["B3"].value == 0.0312  # full precision kept
    assert ws["B2"].number_format == ws["B3"].number_format == P_FORMAT
    # below .0001 the cell reads "< .0001"; above it, four decimals
    assert P_FORMAT == '[<0.0001]"< .0001";0.0000'


def test_respondents_control_characters_do_not_stop_the_report(small_instrument):
    """Lab codes and ids are respondents' text: pasted from elsewhere they can hold control
    characters, which no workbook or SVG can. Grouped by lab, the report is written; the
    workbook shows each such character as U+FFFD, the page escapes the markup, and every
    figure is well-formed XML."""
    import xml.etree.ElementTree as ET

    from openpyxl import load_workbook

    rs = _responses(small_instrument)
    frame = rs.data.copy()
    first = frame["lab"] == frame["lab"].iloc[0]
    frame.loc[first, "lab"] = "CN-\x01<b>&\x0b01"
    frame["respondent_id"] = frame["respondent_id"].astype(str) + "\x02"
    files = build_report(ResponseSet(frame, small_instrument, rs.log), by="lab",
                         include_group_answers=True)
    book = load_workbook(io.BytesIO(files["report.xlsx"]))
    scores = [[c.value for c in row] for row in book["scores"].iter_rows(min_row=2)]
    assert all(row[0].endswith("\ufffd") for row in scores)
    assert "CN-\ufffd<b>&\ufffd01" in {v for row in scores for v in row}
    page = files["report.html"].decode()
    # escaped, and each control shown as U+FFFD as in the workbook and figures (it was
    # written as is: a parse error of the page for every occurrence)
    assert "<b>&" not in page and "CN-\ufffd&lt;b&gt;&amp;\ufffd01" in page
    assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", page)
    for name, content in files.items():
        if name.endswith(".svg"):
            ET.fromstring(content)
