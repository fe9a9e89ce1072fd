"""The report's Comparability section: nesting in labs, measurement invariance, response
styles, and the hypotheses decided by the lab-aware test.

The statistics themselves are checked against R in test_multilevel.py, test_invariance.py
and test_styles.py; here the report is checked to show what those modules compute (the page
numbers equal the CSV tables as rounded for display, the CSV tables equal the module
calls) and to flag what was planted. Most tests use a simulated data set of the small
two-construct instrument of test_report.py, big enough for a multi-group factor model
(about 120 respondents per region in 6 + 6 labs; a build takes about 2 s); the tests on the
bundled sample are marked slow and share one build.
"""

from __future__ import annotations

import io
import re
from html import unescape
from html.parser import HTMLParser

import pandas as pd
import pytest
from conftest import SAMPLE_DATA
from test_report import FORMULA, SCRIPT, SMALL_YAML, _responses, _shown_equals

from analysis.report import build_report
from survey.instrument import load, loads
from survey.responses.model import ImportLog, ResponseSet
from survey.simulate import simulate

ARCHITECTURE_COLUMNS = ["hypothesis", "construct", "by", "predicted", "observed_diff",
                        "hedges_g", "g_ci_low", "g_ci_high", "p_adj", "verdict"]
NEW_COLUMNS = ["test", "p_adj_welch", "verdict_welch", "labs_higher", "labs_lower",
               "comparison_support"]


@pytest.fixture(scope="module")
def small_instrument():
    return loads(SMALL_YAML, file="small.yaml")


def _planted(inst, **kwargs) -> ResponseSet:
    """6 labs per region, 20-24 respondents each; a midpoint style in China and the item
    su3 shifted up by 1 SD in the United States (a non-invariant intercept)."""
    options = {"seed": 3, "labs": {"china": 6, "united_states": 6},
               "respondents_per_lab": (20, 24), "effect": 0.8, "midpoint": {"china": 0.3},
               "dif": [("su3", "united_states", 1.0)], "inattentive": 0.0}
    options.update(kwargs)
    frame = simulate(inst, **options)
    return ResponseSet(frame, inst, ImportLog("planted.csv", "template", rows_read=len(frame)))


@pytest.fixture(scope="module")
def planted_rs(small_instrument) -> ResponseSet:
    return _planted(small_instrument)


@pytest.fixture(scope="module")
def planted(planted_rs) -> dict[str, bytes]:
    return build_report(planted_rs)


class _Cells(HTMLParser):
    """Every ``data-col`` element: (row id, column, data-group, data-value, text)."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.cells: list[tuple[str | None, str, str | None, str | None, str]] = []
        self._row: str | None = None
        self._open: list[list] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag == "tr":
            self._row = a.get("id")
        if "data-col" in a:
            self._open.append([tag, a["data-col"], a.get("data-group"), a.get("data-value"), ""])

    def handle_endtag(self, tag):
        if self._open and self._open[-1][0] == tag:
            _, col, group, value, text = self._open.pop()
            self.cells.append((self._row, col, group, value, text.strip()))

    def handle_data(self, data):
        for o in self._open:
            o[4] += data


def _parse(files: dict[str, bytes]) -> _Cells:
    p = _Cells()
    p.feed(files["report.html"].decode("utf-8"))
    return p


def _table(files: dict[str, bytes], name: str) -> pd.DataFrame:
    return pd.read_csv(io.BytesIO(files[f"tables/{name}.csv"]), keep_default_na=False,
                       na_values=[""])


def _row_cells(cells: _Cells, prefix: str) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for row, col, group, _, text in cells.cells:
        if row and row.startswith(prefix):
            key = col if group is None else f"{col}:{group}"
            out.setdefault(row.removeprefix(prefix), {})[key] = text
    return out


#: Decimals each column is shown with (as analysis.report.html formats them).
DIGITS = {
    "icc1": 3, "icc_conditional": 3, "icc2": 2, "design_effect": 2, "n_effective": 0, "median_rwg_j": 2,
    "share_070": 2, "n": 0, "labs": 0,
    "diff": 2, "welch_p": 3, "estimate": 2, "se": 2, "t": 2, "df": 0, "p_unc": 3, "p_adj": 3,
    "chisq": 2, "cfi": 3, "rmsea": 3, "srmr": 3, "delta_cfi": 3, "delta_rmsea": 3,
    "delta_srmr": 3, "mean": 2, "sd": 2, "hedges_g": 2,
    "plain_diff": 2, "plain_g": 2, "plain_p_adj": 3, "corrected_diff": 2, "corrected_g": 2,
    "corrected_p_adj": 3,
}


def _check_row(shown: dict[str, str], row: pd.Series, where: str) -> int:
    checked = 0
    for col, text in shown.items():
        name = col.split(":")[0]
        if name == "g_ci":
            low, high = text.strip("[]").split(", ")
            assert _shown_equals(low, row["g_ci_low"], 2), where
            assert _shown_equals(high, row["g_ci_high"], 2), where
        elif name == "items_differing":
            expected = row[name] if isinstance(row[name], str) else ""
            assert text == expected, where
        elif name == "highest_level":
            continue  # a translated word; its code is checked through data-value
        else:
            assert _shown_equals(text, float(row[name]), DIGITS[name]), (where, col, text,
                                                                         row[name])
        checked += 1
    return checked


def _check_page_against_tables(files: dict[str, bytes]) -> None:
    cells = _parse(files)
    icc = _table(files, "icc").set_index("construct")
    rwg = _table(files, "rwg").set_index("construct")
    for construct, shown in _row_cells(cells, "icc-").items():
        row = pd.concat([icc.loc[construct], rwg.loc[construct].drop("labs")])
        assert _check_row(shown, row, f"icc-{construct}") == 9
    nested = _table(files, "nested")
    shown_nested = _row_cells(cells, "nested-")
    assert len(shown_nested) == len(nested)
    for i, shown in shown_nested.items():
        assert _check_row(shown, nested.iloc[int(i)], f"nested-{i}") == 8
    summary = _table(files, "invariance_summary").set_index("construct")
    for construct, shown in _row_cells(cells, "inv-").items():
        _check_row(shown, summary.loc[construct], f"inv-{construct}")
    values = {(row, v) for row, col, _, v, _ in cells.cells if col == "highest_level"}
    assert values == {(f"inv-{c}", lv) for c, lv in summary["highest_level"].items()}
    fits = _table(files, "invariance_fits")
    shown_fits = _row_cells(cells, "fit-")
    for r in fits.itertuples():
        key = f"{r.construct}-{r.level}"
        if key in shown_fits:
            _check_row(shown_fits[key], fits.loc[r.Index], f"fit-{key}")
    items = _table(files, "invariance_items")
    for i, shown in _row_cells(cells, "invitem-").items():
        _check_row(shown, items.iloc[int(i)], f"invitem-{i}")
    styles = _table(files, "styles").set_index(["style", "group"])
    for style, shown in _row_cells(cells, "style-").items():
        for key, text in shown.items():
            col, group = key.split(":")
            assert _shown_equals(text, styles.loc[(style, group), col], 2), (style, key)
    diffs = _table(files, "style_differences")
    shown_diffs = _row_cells(cells, "stylediff-")
    assert len(shown_diffs) == len(diffs)
    for i, shown in shown_diffs.items():
        _check_row(shown, diffs.iloc[int(i)], f"stylediff-{i}")
    sens = _table(files, "acquiescence_sensitivity").set_index("hypothesis")
    for h, shown in _row_cells(cells, "sens-").items():
        assert _check_row(shown, sens.loc[h], f"sens-{h}") == 6


# ---- the section on a planted data set -----------------------------------------------------

def test_section_headings_and_tables(planted):
    cells = _parse(planted)
    html = planted["report.html"].decode()
    for section in ("comparability", "nesting", "invariance", "styles", "icc-table",
                    "nested-table", "invariance-summary-table", "invariance-fits-table",
                    "invariance-items-table", "styles-table", "style-differences-table",
                    "sensitivity-table"):
        assert section in cells.ids, section
    for heading in ("<h2>Comparability</h2>", "<h3 id=\"nesting\">Respondents nested in labs",
                    "<h3 id=\"invariance\">Measurement invariance",
                    "<h3 id=\"styles\">Response styles"):
        assert heading in html, heading
    assert '<a href="#comparability">Comparability</a>' in html
    # the section sits between the hypotheses and the constructs
    assert html.index('id="hypotheses"') < html.index('id="comparability"') \
        < html.index('id="constructs"')
    # Chen's cut-offs are named with their values
    assert "Chen's (2007) cut-offs when ΔCFI ≤ −.010 together with ΔRMSEA ≥ .015" \
        in unescape(html)


def test_page_numbers_equal_the_tables(planted):
    _check_page_against_tables(planted)


def test_tables_are_the_module_results(planted, planted_rs, small_instrument):
    from analysis.invariance import measurement_invariance
    from analysis.multilevel import compare_nested, lab_icc
    from analysis.scoring import score_scales
    from analysis.styles import compare_styles, style_indices

    inst = small_instrument
    scores = score_scales(planted_rs, min_answered=0.5)
    icc = lab_icc(scores, inst)
    got = _table(planted, "icc")
    for col in ("n", "labs", "icc1", "icc2", "design_effect", "n_effective", "p_f"):
        assert got[col].tolist() == pytest.approx(icc[col].tolist(), rel=1e-12), col
    nested = compare_nested(scores, inst, "lab_region", groups=["china", "united_states"])
    got = _table(planted, "nested")
    assert got["estimate"].tolist() == pytest.approx(nested["estimate"].tolist(), rel=1e-12)
    assert got["p_adj"].tolist() == pytest.approx(nested["p_adj"].tolist(), rel=1e-12)
    inv = measurement_invariance(planted_rs, "lab_region")
    fits = _table(planted, "invariance_fits")
    assert fits["chisq"].tolist() == pytest.approx(inv.fits["chisq"].tolist(), rel=1e-9)
    assert fits["cfi"].tolist() == pytest.approx(inv.fits["cfi"].tolist(), rel=1e-9)
    styles = compare_styles(style_indices(planted_rs.data, inst), inst, "lab_region")
    got = _table(planted, "style_differences")
    assert got["hedges_g"].tolist() == pytest.approx(styles.pairwise["hedges_g"].tolist(),
                                                     rel=1e-12)


def test_planted_checks_are_flagged(planted):
    html = unescape(planted["report.html"].decode())
    # the item with a shifted intercept in the US: scalar invariance fails, su3 named
    summary = _table(planted, "invariance_summary").set_index("construct")
    assert summary.loc["speaking_up", "highest_level"] == "metric"
    assert not summary.loc["speaking_up", "mean_comparison_warranted"]
    assert summary.loc["speaking_up", "items_differing"] == "su3"
    assert ("The mean comparison of Speaking up between China and United States is not "
            "warranted: scalar invariance fails; intercepts differ most for su3.") in html
    assert 'data-warranted="not-warranted"' in html
    # ... and in the construct's own section
    section = html.split('id="construct-speaking_up"', 1)[1].split("</section>", 1)[0]
    assert "Mean comparison not warranted: scalar invariance fails (su3)." in section
    hyp = _table(planted, "hypotheses").set_index("hypothesis")
    # freeing su3's intercept restores (partial) scalar invariance: the latent
    # comparison is the warranted one (the Measurement model section)
    assert hyp.loc["H1", "comparison_support"] == "partial invariance (su3 freed)"
    # the midpoint style planted in China
    diffs = _table(planted, "style_differences").set_index("style")
    assert diffs.loc["mrs", ["group_a", "group_b"]].tolist() == ["china", "united_states"]
    assert diffs.loc["mrs", "diff"] > 0 and diffs.loc["mrs", "p_adj"] < 0.001
    assert "MRS (midpoint): China higher than United States" in html


def test_hypotheses_use_the_lab_aware_test(planted, planted_rs, small_instrument):
    from analysis.hypotheses import evaluate_hypotheses
    from analysis.multilevel import evaluate_hypotheses_nested
    from analysis.scoring import score_scales

    hyp = _table(planted, "hypotheses")
    assert list(hyp.columns[:16]) == ARCHITECTURE_COLUMNS + NEW_COLUMNS
    scores = score_scales(planted_rs, min_answered=0.5)
    mixed = evaluate_hypotheses_nested(scores, small_instrument)
    welch = evaluate_hypotheses(scores, small_instrument)
    assert hyp["test"].tolist() == ["mixed", "mixed"]
    assert hyp["p_adj"].tolist() == pytest.approx(mixed["p_adj"].tolist(), rel=1e-12)
    assert hyp["verdict"].tolist() == mixed["verdict"].tolist()
    assert hyp["df"].tolist() == [10.0, 10.0]  # 12 labs - 2, as nlme
    assert hyp["p_adj_welch"].tolist() == pytest.approx(welch["p_adj"].tolist(), rel=1e-12)
    assert hyp["verdict_welch"].tolist() == welch["verdict"].tolist()
    # the effect size stays the respondent-level Hedges' g
    assert hyp["hedges_g"].tolist() == pytest.approx(welch["hedges_g"].tolist(), rel=1e-12)
    assert hyp[["labs_higher", "labs_lower"]].values.tolist() == [[6, 6], [6, 6]]
    html = planted["report.html"].decode()
    assert 'id="hyp-H1" data-verdict="supported" data-test="mixed"' in html
    methods = unescape(html.split('id="methods"', 1)[1])
    for needle in ("random intercept for lab", "restricted maximum likelihood",
                   "labs − 2 when the two groups are lab-level", "Pinheiro & Bates, 2000",
                   "verdicts rest on these lab-aware tests",
                   "respondent-level two-sided Welch t-test", "ICC(1) and ICC(2)",
                   "1 + (m − 1) × ICC(1)", "Kish, 1965", "James, Demaree & Wolf, 1984",
                   "LeBreton & Senter, 2008", "multi-group confirmatory factor analysis",
                   "Chen, 2007", "Baumgartner & Steenkamp, 2001",
                   "Chen, F. F. (2007)", "Baumgartner, H., & Steenkamp",
                   "James, L. R., Demaree, R. G., & Wolf, G. (1984)"):
        assert needle in methods, needle


def test_few_labs_are_said(small_instrument):
    # 3 labs per region: the lab-aware comparison rests on few labs
    files = build_report(_responses(small_instrument))
    hyp = _table(files, "hypotheses")
    assert hyp["test"].tolist() == ["mixed", "mixed"]
    assert hyp["comparison_support"].tolist() == [
        "few labs (3 and 3); invariance not tested (groups too small)"] * 2
    # said once, in comparison_support; the other note of the model stays
    assert hyp["note"].tolist() == ["lab variance estimated at 0"] * 2
    html = unescape(files["report.html"].decode())
    assert "treat it as indicative" not in html.split('id="nested-table"', 1)[1]
    assert ("These comparisons rest on few labs (fewer than 5 labs in a group), so the "
            "lab-aware result is indicative only: China − United States.") in html
    # 'other' has one lab: its pairs are not compared, and the table says why
    nested = _table(files, "nested")
    other = nested[nested["group_b"] == "other"]
    assert (other["status"] == "not computed").all() and other["p_adj"].isna().all()
    assert set(other["note"]) == {"one lab in 'other': lab_region and lab are confounded"}
    assert ("Invariance not tested for Speaking up, Teamwork: fewer than two groups have "
            "100 complete respondents") in html
    assert 'id="invariance-fits-table"' not in html  # nothing was fitted
    _check_page_against_tables(files)


def test_without_labs_the_welch_test_decides(small_instrument):
    rs = _responses(small_instrument)
    data = rs.data.assign(lab=pd.NA)
    files = build_report(ResponseSet(data, small_instrument, rs.log))
    hyp = _table(files, "hypotheses")
    assert hyp["test"].tolist() == ["welch", "welch"]
    assert hyp["p_adj"].tolist() == hyp["p_adj_welch"].tolist()
    assert hyp["labs_higher"].isna().all()
    assert hyp["comparison_support"].str.startswith("labs not checked (no lab column)").all()
    assert len(_table(files, "icc")) == 0 and len(_table(files, "nested")) == 0
    html = unescape(files["report.html"].decode())
    assert 'id="no-labs"' in html and 'id="icc-table"' not in html
    assert "so nesting in labs was not checked and every test treats respondents" in html
    assert "Kish" not in html  # no reference for a check that did not run


def test_one_lab_per_group_is_not_testable(small_instrument):
    """Region and lab cannot be told apart with one lab per region: the lab-aware verdict
    is 'not testable' and that is the verdict shown, whatever the Welch test says."""
    rs = _planted(small_instrument, labs={"china": 1, "united_states": 1},
                  respondents_per_lab=(30, 30))
    files = build_report(rs)
    hyp = _table(files, "hypotheses")
    assert hyp["test"].tolist() == ["mixed", "mixed"]
    assert hyp["verdict"].tolist() == ["not testable", "not testable"]
    assert hyp["note"].tolist() == [
        "one lab per group: lab_region and lab are confounded"] * 2
    assert hyp["comparison_support"].tolist() == ["not tested", "not tested"]
    assert hyp["p_adj"].isna().all() and hyp["mde"].isna().all()
    # the respondent-level test is still shown beside it, and does not decide
    assert "supported" in set(hyp["verdict_welch"])
    html = unescape(files["report.html"].decode())
    for h in ("H1", "H2"):
        assert f'id="hyp-{h}" data-verdict="not testable" data-test="mixed"' in html
    assert "one lab per group: lab_region and lab are confounded" in html
    methods = html.split('id="methods"', 1)[1]
    assert "comes from a single lab was not tested" in methods
    assert "tested with a two-sided Welch" not in methods


def test_balanced_keying_is_explained(planted, small_instrument):
    html = unescape(planted["report.html"].decode())
    # the small instrument has 2 positive + 1 reversed item per construct: not balanced
    assert ("Constructs with unequal numbers of positively and reverse-keyed items, where "
            "the correction changes the scores: Speaking up, Teamwork.") in html
    sens = _table(planted, "acquiescence_sensitivity")
    assert (sens["plain_diff"] != sens["corrected_diff"]).all()


def test_untrusted_lab_codes_in_the_checks(small_instrument):
    rs = _responses(small_instrument)
    data = rs.data.copy()
    labs = data["lab"].astype(str)
    first, second = labs.unique()[:2]
    data["lab"] = labs.replace({first: SCRIPT, second: FORMULA})
    files = build_report(ResponseSet(data, small_instrument, rs.log), by="lab")
    html = files["report.html"].decode()
    assert "<script" not in html and "&lt;script&gt;" in html
    # the measurement section names the labs left out of the multi-group models
    measurement = html.split('<section id="measurement">', 1)[1].split("</section>", 1)[0]
    assert "&lt;script&gt;alert(1)&lt;/script&gt; (" in measurement
    assert "=cmd|&#39; /C calc&#39;!A0 (" in measurement
    rwg = _table(files, "rwg_labs")
    assert f"'{FORMULA}" in set(rwg["lab"]) and SCRIPT in set(rwg["lab"])
    nested = _table(files, "nested")
    assert f"'{FORMULA}" in set(nested["group_a"]) | set(nested["group_b"])


def test_workbook_sheets_of_the_checks(planted):
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(planted["report.xlsx"]))
    for name in ("icc", "nested", "rwg", "rwg_labs", "invariance_fits", "invariance_summary",
                 "invariance_items", "styles", "style_differences", "acquiescence_sensitivity"):
        ws = wb[name]
        assert ws.freeze_panes == "A2" and ws["A1"].font.bold
        assert [c.value for c in ws[1]] == list(_table(planted, name).columns)
    ws = wb["invariance_fits"]
    header = [c.value for c in ws[1]]
    fits = _table(planted, "invariance_fits")
    chisq = header.index("chisq") + 1
    assert ws.cell(4, chisq).value == pytest.approx(fits.loc[2, "chisq"], rel=1e-12)
    assert ws.cell(4, header.index("df") + 1).number_format == "0"
    assert ws.cell(4, header.index("delta_p") + 1).number_format == '[<0.0001]"< .0001";0.0000'
    hyp = [c.value for c in wb["hypotheses"][1]]
    assert hyp[10:16] == NEW_COLUMNS


def test_two_builds_give_the_same_bytes(planted_rs, planted):
    again = build_report(planted_rs)
    for path, content in planted.items():
        assert again[path] == content, path


def test_chinese_headings(planted_rs):
    files = build_report(planted_rs, lang="zh")
    html = unescape(files["report.html"].decode())
    for text in ("<h2>可比性检验</h2>", "受访者嵌套于实验室", "测量等值性", "作答风格",
                 "校正默许后的敏感性分析", "敢于发声在中国与美国之间的均值比较不宜进行",
                 "部分等值（释放 su3）", "考虑实验室的检验", "MRS（中间反应）：中国高于美国",
                 "线性混合模型", "Chen, 2007", "Baumgartner & Steenkamp, 2001"):
        assert text in html, text
    body = html.split('id="references"', 1)[0].split("<ol class=\"refs\">", 1)[0]
    for english in ("Comparability", "Measurement invariance", "Response styles",
                    "not warranted", "few labs"):
        assert english not in body, english


# ---- the bundled sample ----------------------------------------------------------------------

@pytest.fixture(scope="module")
def sample():
    from survey.responses import read_responses

    path = SAMPLE_DATA / "lab_culture_responses.xlsx"
    if not path.exists():
        pytest.skip("sample_data/lab_culture_responses.xlsx is absent")
    return build_report(read_responses(path, load("lab-culture")))


@pytest.mark.slow
def test_sample_flags_what_was_planted(sample):
    """sample_data/README.md: bb5 shifted up by 0.8 SD in the US, a midpoint style in
    China (p = .25 per answer), a lab intercept with ICC .10, H7 a planted null."""
    html = unescape(sample["report.html"].decode())
    # the non-invariant item: with about 230 and 260 complete respondents per region the
    # scalar step fails for build_vs_buy only (ΔCFI -.107, ΔRMSEA +.086), and bb5 is named
    summary = _table(sample, "invariance_summary").set_index("construct")
    assert summary.loc["build_vs_buy", ["highest_level", "items_differing"]].tolist() == [
        "metric", "bb5"]
    others = summary.drop(index="build_vs_buy")
    assert (others["highest_level"] == "scalar").all()
    assert others["mean_comparison_warranted"].all()
    assert (summary["groups"] == "china|united_states").all()  # 'other' (30) is left out
    assert summary["note"].str.contains(r"left out \(fewer than 100 complete").all()
    items = _table(sample, "invariance_items")
    assert items.loc[0, "item"] == "bb5" and items.loc[0, "p_adj"] < 0.001
    assert (items.loc[1:, "p_adj"] > 0.05).all()
    assert ("The mean comparison of Build rather than buy between China and United States "
            "is not warranted: scalar invariance fails; intercepts differ most for bb5.") in html
    # the midpoint style: MRS higher in China, and with it fewer extreme answers
    diffs = _table(sample, "style_differences")
    cn_us = diffs[(diffs["group_a"] == "china") & (diffs["group_b"] == "united_states")]
    cn_us = cn_us.set_index("style")
    assert cn_us.loc["mrs", "hedges_g"] > 1.5 and cn_us.loc["mrs", "p_adj"] < 0.001
    assert cn_us.loc["ers", "diff"] < 0 and cn_us.loc["ers", "p_adj"] < 0.001
    assert "MRS (midpoint): China higher than United States" in html
    # clustering: 14 labs, every ICC(1) above 0 and its F test significant
    icc = _table(sample, "icc")
    assert (icc["labs"] == 14).all() and (icc["icc1"] > 0).all() and (icc["p_f"] < 0.001).all()
    assert (icc["design_effect"] > 2).all()
    # sample_data/README.md: the ICC conditional on region is near the planted .10
    # (.04 to .12), while ICC(1) also holds the region differences (.18, .23)
    icc = icc.set_index("construct")
    assert icc["icc_conditional"].between(0.04, 0.13).all()
    assert icc["icc_conditional"].mean() < 0.10
    for construct in ("self_promotion", "business_attention"):
        assert icc.loc[construct, "icc1"] > 0.15 > icc.loc[construct, "icc_conditional"]
    # 'other' is one lab: its pairs are not compared (region and lab are confounded)
    nested = _table(sample, "nested")
    one = nested["group_b"] == "other"
    assert (nested.loc[one, "status"] == "not computed").all()
    assert (nested.loc[one, "note"]
            == "one lab in 'other': lab_region and lab are confounded").all()
    assert (nested.loc[~one, "status"] == "ok").all()
    assert (nested.loc[~one, "df"] == 11).all()  # 13 labs - 2
    assert 'id="few-labs"' not in html
    # balanced keying: the correction cancels within each score
    assert "the correction cancels within each score" in html
    _check_page_against_tables(sample)


@pytest.mark.slow
def test_sample_hypotheses_from_the_mixed_model(sample):
    hyp = _table(sample, "hypotheses").set_index("hypothesis")
    assert list(hyp.reset_index().columns[:16]) == ARCHITECTURE_COLUMNS + NEW_COLUMNS
    assert (hyp["test"] == "mixed").all()
    assert (hyp[["labs_higher", "labs_lower"]].min(axis=1) == 5).all()
    effects = hyp.drop(index="H7")
    # every planted effect in the predicted direction, by the lab-aware estimate and by
    # the respondent-level difference
    assert (effects["estimate"] > 0).all() and (effects["observed_diff"] > 0).all()
    assert set(effects["verdict"]) <= {"supported", "not supported"}
    # with 13 labs the mixed model is more cautious than Welch: H1 and H8 stay supported
    assert hyp.index[hyp["verdict"] == "supported"].tolist() == ["H1", "H8"]
    assert hyp.index[hyp["verdict_welch"] == "supported"].tolist() == [
        "H1", "H2", "H4", "H5", "H8"]
    assert hyp.loc["H7", "verdict"] == "not supported"
    assert hyp.loc["H7", "verdict_welch"] == "not supported"
    # what the lab-aware test could detect with 8 + 5 labs (sample_data/README.md)
    assert hyp["mde"].between(0.45, 0.70).all()
    # comparability: only H3 (build_vs_buy, the non-invariant bb5) is flagged; freeing
    # bb5's intercept restores partial scalar invariance, so its latent comparison holds
    assert hyp.loc["H3", "comparison_support"] == "partial invariance (bb5 freed)"
    assert (hyp.drop(index="H3")["comparison_support"] == "ok").all()
    html = sample["report.html"].decode()
    row = html.split('id="hyp-H3"', 1)[1].split("</tr>", 1)[0]
    assert re.search(r'data-col="comparison_support" data-value="partial invariance \(bb5 '
                     r'freed\)">partial invariance \(bb5 freed\)<', row)


# ---- which tests each adjusted p was adjusted with ------------------------------------------

def _tables_with_adjusted_p(html: str) -> list[tuple[str, str]]:
    """(table id or class, caption text) of every table that shows an adjusted p."""
    found = []
    for chunk in html.split("<table")[1:]:
        body = chunk.split("</table>", 1)[0]
        if 'data-col="p_adj"' not in body and "p_adj" not in body and \
                'data-col="p_tost_adj"' not in body:
            continue
        name = re.match(r'\s*(?:id|class)="([^"]+)"', body)
        caption = re.search(r"<caption>(.*?)</caption>", body, re.S)
        found.append((name.group(1) if name else "?",
                      unescape(caption.group(1)) if caption else ""))
    return found


@pytest.mark.parametrize("lang, marker", [("en", "p (adj.):"), ("zh", "校正 p：")])
def test_every_adjusted_p_names_its_family(planted_rs, lang, marker):
    files = build_report(planted_rs, lang=lang)
    html = files["report.html"].decode()
    tables = _tables_with_adjusted_p(html)
    names = {name for name, _ in tables}
    assert {"hypotheses-table", "nested-table", "invariance-items-table",
            "style-differences-table", "sensitivity-table", "omnibus",
            "pairwise"} <= names
    for name, caption in tables:
        assert marker in caption, (name, caption)
    captions = dict(tables)
    nested = _table(files, "nested")
    if lang == "en":
        assert "Holm's method across the 2 testable hypotheses" in captions["hypotheses-table"]
        assert (f"Holm's method across all {nested['p_unc'].notna().sum()} pair × construct "
                "tests of this table, a family of its own") in captions["nested-table"]
        assert "per pair of groups across the 2 constructs" in captions["pairwise"]
        methods = unescape(html.split('id="methods"', 1)[1])
        assert "adjusted with Holm's step-down method (Holm, 1979) as one family" in methods
        assert "across all pairs and constructs of that table" in methods
    else:
        assert "在 2 个可检验假设之间采用 Holm 法校正" in captions["hypotheses-table"]
        assert f"在本表全部 {nested['p_unc'].notna().sum()} 个组对 × 构念检验之间" \
            in captions["nested-table"]
        methods = unescape(html.split('id="methods"', 1)[1])
        assert "作为一个族采用" in methods and "另成一族" in methods


def test_conditional_icc_beside_the_unconditional_one(planted, planted_rs, small_instrument):
    from analysis.multilevel import lab_icc
    from analysis.scoring import score_scales

    icc = _table(planted, "icc")
    scores = score_scales(planted_rs, min_answered=0.5)
    ref = lab_icc(scores, small_instrument, by="lab_region", groups=["china", "united_states"])
    assert icc["conditional_on"].tolist() == ["lab_region"] * 2
    assert icc["icc_conditional"].tolist() == pytest.approx(
        ref["icc_conditional"].tolist(), rel=1e-12)
    html = unescape(planted["report.html"].decode())
    assert "ICC(1), unconditional" in html and "ICC conditional on lab_region" in html
    assert "share of the variance that lies between labs of the same group of lab_region" \
        in html


def test_sensitivity_and_equivalence_in_the_report(planted_rs):
    files = build_report(planted_rs, equivalence=0.5)
    hyp = _table(files, "hypotheses")
    assert (hyp["equivalence_bound"] == 0.5).all() and hyp["p_tost"].notna().all()
    html = unescape(files["report.html"].decode())
    assert "Detectable d (80%)" in html and "TOST p (adj.)" in html
    assert "two one-sided tests that the difference lies inside ±0.5 standard deviations" \
        in html
    methods = html.split('id="methods"', 1)[1]
    for needle in ("two one-sided tests (TOST; Schuirmann, 1987; Lakens, Scheel & Isager, "
                   "2018)", "As a sensitivity analysis (Lakens, 2022)",
                   "Schuirmann, D. J. (1987)", "Lakens, D. (2022). Sample size justification"):
        assert needle in methods, needle
    cells = _parse(files)
    shown = _row_cells(cells, "hyp-")
    for h, row in hyp.set_index("hypothesis").iterrows():
        assert _shown_equals(shown[h]["mde"], row["mde"], 2)
        assert _shown_equals(shown[h]["p_tost_adj"], row["p_tost_adj"], 3)
    zh = unescape(build_report(planted_rs, lang="zh", equivalence=0.5)[
        "report.html"].decode())
    assert "可检测的 d（80%）" in zh and "双单侧检验（TOST" in zh
