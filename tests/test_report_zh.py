"""The Chinese report says everything in Chinese.

Every text of ``report.html`` in Chinese is scanned for English words. The allowed ones
are listed here and nowhere else: ids and codes (of the instrument, the data, the
file), statistics symbols and the names of tests and coefficients, the names of the
authors the methods text cites and of the software it names. The reference list, the
hypotheses' sources (quotations of the English essay), ``<code>`` and the software
table are left out of the scan, as they are meant to be in their own language.

Two data sets: the small simulated one of ``test_report`` (suppressed group, few labs,
invariance not tested) and a larger one whose notes name groups left out of the
invariance models, a failed scalar step, a midpoint style, flagged and rejected rows.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

from analysis.report import build_report
from analysis.report.measurement import REFERENCES as MEASUREMENT_REFERENCES
from analysis.report.notes import note_text, platform_text, reason_text
from analysis.report.text import REFERENCES, SOFTWARE
from survey.instrument import loads
from survey.responses.model import REASONS, ImportLog, ResponseSet
from survey.simulate import simulate

#: Statistics symbols, tests, coefficients and model names (as Chinese papers write them).
STATISTICS = {
    "n", "N", "M", "SD", "p", "t", "g", "k", "m", "x", "F", "DE", "CI", "ICC", "CFI",
    "RMSEA", "SRMR", "REML", "ARS", "DARS", "ERS", "MRS", "NARS", "r_wg", "j", "Welch",
    "Hedges'", "Cronbach's", "McDonald's", "McDonald", "Games", "Howell", "Kruskal", "Wallis",
    "Holm", "Benjamini", "Hochberg", "Chen", "nlme", "lme", "lavaan", "Heywood", "SIM",
    "R",  # (R) marks a reverse-keyed item
    "d", "TOST",  # the detectable standardised difference; two one-sided tests
    # the measurement model: fit indices, coefficients, estimators and the R functions
    # the methods text names
    "TLI", "AVE", "HTMT", "HTMT2", "MLM", "Pearson", "minres", "c", "psych", "fa",
    "parallel", "polychoric", "cor", "smooth", "semTools", "compRelSEM", "lavTestScore",
}
#: Names of platforms (proper names, as their Chinese users write them).
PLATFORMS = {"KoboToolbox", "ODK", "Qualtrics", "LimeSurvey", "REDCap"}


class _Text(HTMLParser):
    """The text of a page outside the elements that keep their own language."""

    SKIP = {"code", "style", "script"}

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[bool] = []
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        skip = (tag in self.SKIP or tag == "details" or a.get("id") == "software"
                or "refs" in (a.get("class") or "").split())
        if tag in ("br", "img", "meta", "link", "wbr", "hr", "input"):
            return
        self.stack.append(skip or (bool(self.stack) and self.stack[-1]))

    def handle_endtag(self, tag):
        if tag in ("br", "img", "meta", "link", "wbr", "hr", "input"):
            return
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        if not (self.stack and self.stack[-1]):
            self.parts.append(data)


def _english_words(html: str, allowed: set[str]) -> dict[str, str]:
    """English words outside ``allowed`` -> the text they were seen in."""
    parser = _Text()
    parser.feed(html)
    seen: dict[str, str] = {}
    for part in parser.parts:
        text = re.sub(r"[\w./-]*\.(?:svg|png|xlsx|csv|yaml)\b", " ", part)  # file names
        for word in re.findall(r"[A-Za-z][A-Za-z0-9_']*", text):
            if word not in allowed and word.rstrip("'") not in allowed:
                seen.setdefault(word, part.strip()[:120])
    return seen


def _allowed(inst, frame) -> set[str]:
    words = set(STATISTICS) | PLATFORMS | {"Python", "lab-culture-survey", *SOFTWARE}
    words |= set(re.findall(r"[A-Z][A-Za-z'-]+", " ".join(REFERENCES.values())))
    # the authors the measurement model's methods cite (tokenised as the scan: Sörbom)
    words |= set(re.findall(r"[A-Za-z][A-Za-z0-9_']*", " ".join(
        MEASUREMENT_REFERENCES.values())))
    words |= {inst.id, *inst.item_ids, *inst.check_ids, *inst.group_ids,
              *(c.id for c in inst.constructs), *(h.id for h in inst.hypotheses)}
    for g in inst.groups:
        words |= set(g.codes)
    for lab in frame.get("lab", []):
        words |= set(re.findall(r"[A-Za-z0-9_]+", str(lab)))
    # the instrument's own Chinese text (e.g. "AI" in the flagship's title)
    texts = [inst.title.get("zh", "")] + [c.name.get("zh", "") for c in inst.constructs]
    texts += [i.text.get("zh", "") for i in inst.items]
    words |= set(re.findall(r"[A-Za-z][A-Za-z0-9_']*", " ".join(texts)))
    return {w for word in words for w in (word, *re.split(r"[-_]", word)) if w}


def _rs(inst, frame, log: ImportLog) -> ResponseSet:
    return ResponseSet(frame, inst, log)


@pytest.fixture(scope="module")
def small_case():
    from test_report import SMALL_YAML, _responses

    inst = loads(SMALL_YAML, file="small.yaml")
    return inst, _responses(inst, other=3)


@pytest.fixture(scope="module")
def large_case():
    from test_report import SMALL_YAML

    inst = loads(SMALL_YAML, file="small.yaml")
    frame = simulate(inst, seed=8, labs={"china": 4, "united_states": 4, "other": 1},
                     respondents_per_lab=(28, 28), dif=[("su3", "united_states", 1.5)],
                     midpoint={"china": 0.3}, inattentive=0.05)
    log = ImportLog(file="answers.xlsx", platform="kobo", rows_read=len(frame) + 2)
    log.add("duplicate_id", "rejected", "respondent id seen before", row=7,
            column="respondent_id", value="SIM-00003")
    log.add("empty_row", "rejected", "nothing in the row", row=9)
    for row in (3, 4, 5):
        log.add("failed_attention_check", "flagged", "attn1 is not 4", row=row,
                column="attn1", value="2")
    return inst, ResponseSet(frame, inst, log)


@pytest.mark.slow
@pytest.mark.parametrize("case", ["small_case", "large_case"])
def test_chinese_report_has_no_english_words_outside_the_allow_list(case, request):
    inst, rs = request.getfixturevalue(case)
    files = build_report(rs, lang="zh")
    html = files["report.html"].decode("utf-8")
    words = _english_words(html, _allowed(inst, rs.data))
    assert words == {}
    # what used to show as codes or English now reads in Chinese
    for shown in ("格式：", platform_text(rs.log.platform, "zh")):
        assert shown in html
    if case == "large_case":
        assert "未通过注意力检查题：3" in html  # summary and methods paragraph
        assert "受访者编号重复：1" in html and "空行：1" in html
        assert "未纳入（完整作答者少于 100 人）：其他（28）" in html
        assert "标量等值不成立：截距差异最大的题目为 su3" in html
        assert "默许" in html and "否定倾向" in html and "默认同意" not in html


def test_every_reason_and_layout_has_words_in_both_languages():
    for reason in REASONS:
        assert reason_text(reason, "en") != reason or "_" not in reason
        assert not re.search(r"[A-Za-z]", reason_text(reason, "zh")), reason
    for platform in ("template", "kobo", "qualtrics", "limesurvey", "redcap"):
        assert platform_text(platform, "zh")


@pytest.mark.parametrize(
    ("note", "expected"),
    [
        ("left out (fewer than 100 complete respondents): other (26), china (3)",
         "未纳入（完整作答者少于 100 人）：其他（26）、中国（3）"),
        ("scalar invariance fails: intercepts differ most for bb5; left out (fewer than "
         "100 complete respondents): other (21)",
         "标量等值不成立：截距差异最大的题目为 bb5；未纳入（完整作答者少于 100 人）：其他（21）"),
        ("N <= 300: Chen (2007) suggests the stricter ΔCFI >= -0.005 and ΔRMSEA <= 0.010; "
         "the cut-offs above were applied",
         "N ≤ 300：Chen（2007）建议采用更严格的 ΔCFI ≥ −0.005 与 ΔRMSEA ≤ 0.010；本报告仍采用"
         "上述标准"),
        ("'other' suppressed (fewer than 5 respondents)", "“其他”已隐去（受访者少于 5 个）"),
        ("respondent-level test only (only 2 labs in the two groups; a lab-level comparison "
         "needs at least 3); invariance not tested (groups too small)",
         "仅受访者层面检验（两组共只有 2 个实验室；实验室层面的比较至少需要 3 个）；"
         "未检验测量等值（组样本过小）"),
        ("the comparison rests on few labs (3 and 3; fewer than 5 in a group): treat it as "
         "indicative; lab variance estimated at 0",
         "比较所依据的实验室较少（3 与 3 个；某组少于 5 个）：结果仅供参考；实验室间方差估计为 0"),
        ("too few respondents for the full factor model: 40 answered every item, and the "
         "model has 48 items and 124 free parameters (it needs more respondents than "
         "either; 1240 for 10 per parameter)",
         "受访者过少，无法拟合完整因子模型：作答全部题目者 40 人，而模型有 48 道题目、124 "
         "个自由参数（受访者需多于两者；每个参数 10 名则需 1240 名）。"),
        ("228 respondents answered every item: 1.8 per free parameter (124), fewer than the "
         "10 usually advised; the estimates and fit indices are unstable, read them as "
         "indicative",
         "228 名受访者作答了全部题目：每个自由参数（124 个）约 1.8 名，少于通常建议的 10 名；"
         "估计值与拟合指数不稳定，仅供参考。"),
        ("the full factor model could not be fitted: the model did not converge",
         "无法拟合完整因子模型：模型未收敛"),
        ("partial invariance not computed: configural invariance fails; left out (fewer "
         "than 100 complete respondents): other (26)",
         "未计算部分等值：形态等值不成立；未纳入（完整作答者少于 100 人）：其他（26）"),
        ("ok", "无问题"),  # comparison_support values
        ("scalar invariance not supported: bb5", "标量等值不成立：bb5"),
        ("something new the catalogue does not know", "something new the catalogue does not know"),
    ],
)
def test_notes_in_chinese(note, expected):
    names = {"other": "其他", "china": "中国"}
    assert note_text(note, "zh", lambda code: names.get(code, code)) == expected
    assert note_text(note, "en") == note


def test_measurement_notes_name_groups_by_their_labels(small_case):
    """The measurement section's notes and the reason latent means were not compared
    name the groups as the rest of the Chinese report does (labels, Chinese
    separators), not by their codes."""
    import dataclasses

    from analysis.report.measurement import measurement_context
    from analysis.report.tables import prepare_report

    _, rs = small_case
    data = prepare_report(rs, lang="zh")
    latent = data.tables["latent_means"]
    assert latent["note"].str.contains(r"china \(\d+\)").all()
    # every comparison not ok, for a reason other than too few groups (which has its
    # own sentence): the reason is then put together from the notes
    failed = latent.assign(status="configural invariance fails")
    context = measurement_context(dataclasses.replace(
        data, tables={**data.tables, "latent_means": failed}))
    shown = [*context["partial_reading"], *(r["note"] for r in context["latent"])]
    assert len(shown) == 3
    for text in shown:
        assert "中国（" in text and "美国（" in text, text
        assert not re.search(r"china|united_states|other|; ", text), text
