"""``survey prereg`` and ``survey report --prereg``: the plan before, the check after.

The sampling numbers are compared with ``analysis.planning.plan_study`` (itself checked
against statsmodels in test_planning.py) and with what ``survey plan`` prints; the
instrument hash with ``hashlib`` on the file; every kind of deviation is produced once by
changing one setting (or the file, or the sample) and checked by name.
"""

from __future__ import annotations

import hashlib
import io
import re
from html import unescape

import pandas as pd
import pytest
import yaml
from click.testing import CliRunner

from analysis.planning import plan_study
from survey.cli import cli
from survey.errors import SurveyError
from survey.instrument import load, loads
from survey.prereg import (
    DEVIATION_KINDS,
    EXCLUSIONS,
    Settings,
    check_run,
    load_record,
)
from survey.simulate import simulate

SMALL = """\
id: small
version: "1"
languages: [en, zh]
title: {en: "Small <b>lab</b> survey", zh: 小型实验室调查}
scales:
  agree5:
    points: [1, 2, 3, 4, 5]
    labels:
      en: [Strongly disagree, Disagree, Neither agree nor disagree, Agree, Strongly agree]
      zh: [非常不同意, 不同意, 既不同意也不反对, 同意, 非常同意]
groups:
  - id: lab_region
    required: true
    text: {en: Region, zh: 地区}
    choices:
      - {code: china, label: {en: China, zh: 中国}}
      - {code: united_states, label: {en: United States, zh: 美国}}
  - {id: lab, type: text, required: true, identifying: true, text: {en: Lab, zh: 实验室}}
constructs:
  - id: speaking_up
    name: {en: Speaking up, zh: 敢于发声}
    definition: {en: Speaking up., zh: 发声。}
    scale: agree5
    items:
      - {id: su1, text: {en: People speak up., zh: 人们发声。}, reverse: false}
      - {id: su2, text: {en: People stay quiet., zh: 人们沉默。}, reverse: true}
      - {id: su3, text: {en: People claim credit., zh: 人们争功。}, reverse: false}
checks:
  - {id: attn1, text: {en: Pick agree, zh: 选同意}, scale: agree5, expect: 4}
hypotheses:
  - {id: H1, construct: speaking_up, by: lab_region, predicts: united_states > china,
     source: "the US has a stronger culture of <i>speaking up</i>"}
"""

PLAN = ["--effect", "1.5", "--icc", "0.05", "--per-lab", "10"]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """The small instrument, its preregistration (en) and 3 + 3 simulated labs of 12."""
    folder = tmp_path_factory.mktemp("study")
    inst_path = folder / "instrument.yaml"
    inst_path.write_text(SMALL, encoding="utf-8")
    result = CliRunner().invoke(cli, ["prereg", "-i", str(inst_path), *PLAN,
                                      "--author", "A. Researcher", "--author", "B. Researcher",
                                      "--closing-date", "2026-06-30",
                                      "-o", str(folder / "prereg.md")])
    assert result.exit_code == 0, result.output
    inst = loads(SMALL)
    frame = simulate(inst, seed=4, labs={"china": 3, "united_states": 3},
                     respondents_per_lab=(12, 12), inattentive=0.0)
    frame.to_csv(folder / "responses.csv", index=False)
    return folder, result.output


def test_prereg_writes_three_files_from_one_record(study):
    folder, output = study
    record = yaml.safe_load((folder / "prereg.yaml").read_text(encoding="utf-8"))
    expected = hashlib.sha256((folder / "instrument.yaml").read_bytes()).hexdigest()
    assert record["instrument"] == {"id": "small", "version": "1", "file": "instrument.yaml",
                                    "sha256": expected}
    assert record["analysis"] == {"by": "lab_region", "cluster": "lab", "adjust": "holm",
                                  "alpha": 0.05, "min_group_n": 5, "min_answered": 0.5}
    assert record["exclusions"] == EXCLUSIONS
    assert record["authors"] == ["A. Researcher", "B. Researcher"]
    assert record["hypotheses"] == [{"id": "H1", "construct": "speaking_up",
                                     "by": "lab_region", "predicts": "united_states > china"}]
    plan = plan_study(1.5, icc=0.05, per_lab=10)
    assert record["sampling"]["labs"] == [plan.labs_a, plan.labs_b] == [3, 3]
    assert record["sampling"]["respondents"] == [plan.n_a, plan.n_b] == [30, 30]
    assert record["sampling"]["achieved_power"] == round(plan.achieved_power, 4)
    assert record["sampling"]["closing_date"] == "2026-06-30"
    assert "3 + 3 labs x 10 respondents (power 0.942)" in output
    assert load_record(folder / "prereg.yaml") == record


def test_sampling_plan_is_the_one_survey_plan_prints(study):
    folder, _ = study
    md = (folder / "prereg.md").read_text(encoding="utf-8")
    planned = CliRunner().invoke(cli, ["plan", *PLAN])
    assert planned.exit_code == 0
    assert "labs needed: 3 + 3 (6 in all)" in planned.output
    assert "respondents: 30 + 30 (60 in all)" in planned.output
    assert "3 + 3 labs (6 in all) with 10 respondents each: 30 + 30 respondents (60 in all)." \
        in md
    design = re.search(r"design effect 1 \+ \(10 - 1\) x 0.05 = ([\d.]+)", planned.output)
    assert f"the design effect at m = 10 is {design.group(1)}" in md
    power = re.search(r"power ([\d.]+) \(t-test on (\d+) df", planned.output)
    assert f"The plan's power is {power.group(1)}" in md
    assert f"labs − 2 = {power.group(2)} degrees of freedom" in md
    assert "survey plan --effect 1.5 --power 0.8 --alpha 0.05 --icc 0.05 --per-lab 10" in md
    assert "or at the end of 2026-06-30, whichever comes first" in md


def test_prereg_follows_the_osf_template(study):
    folder, _ = study
    md = (folder / "prereg.md").read_text(encoding="utf-8")
    headings = re.findall(r"^##+ (.+)$", md, re.M)
    for section in ("1. Study information", "Hypotheses", "2. Design plan", "Study type",
                    "Blinding", "Study design", "Randomization", "3. Sampling plan",
                    "Existing data", "Data collection procedures", "Sample size",
                    "Sample size rationale", "Stopping rule", "4. Variables",
                    "Manipulated variables", "Measured variables", "Indices",
                    "5. Analysis plan", "Statistical models", "Transformations",
                    "Inference criteria", "Data exclusion", "Missing data",
                    "Exploratory analysis", "6. Other"):
        assert section in headings, section
    assert "H1: Speaking up is higher in United States than in China" in md
    assert "> From the source text: “the US has a stronger culture of \\<i>speaking up\\</i>”" \
        in md
    assert "| su2 | speaking_up | People stay quiet. | reverse |" in md
    assert "Respondents who fail an attention check are kept and flagged." in md
    assert "A. Researcher; B. Researcher" in md
    html = (folder / "prereg.html").read_text(encoding="utf-8")
    assert "<i>speaking up</i>" not in html and "&lt;i&gt;speaking up&lt;/i&gt;" in html
    assert "Small &lt;b&gt;lab&lt;/b&gt; survey" in html
    text = unescape(re.sub(r"<[^>]+>", " ", html))
    assert "3 + 3 labs (6 in all)" in text and "Stopping rule" in text


def test_prereg_is_deterministic_and_speaks_chinese(study, tmp_path):
    folder, _ = study
    args = ["prereg", "-i", str(folder / "instrument.yaml"), *PLAN, "--lang", "zh",
            "--reject-failed-checks", "--min-duration", "90", "--reject-speeders"]
    for name in ("a", "b"):
        result = CliRunner().invoke(cli, [*args, "-o", str(tmp_path / name / "p.html")])
        assert result.exit_code == 0, result.output
    for suffix in (".md", ".html", ".yaml"):
        assert (tmp_path / "a" / f"p{suffix}").read_bytes() == \
            (tmp_path / "b" / f"p{suffix}").read_bytes()
    a = yaml.safe_load((tmp_path / "a" / "p.yaml").read_text(encoding="utf-8"))
    assert a["language"] == "zh"
    assert a["exclusions"] == {"reject_failed_checks": True, "reject_unfinished": False,
                               "min_duration": 90.0, "reject_speeders": True}
    md = (tmp_path / "a" / "p.md").read_text(encoding="utf-8")
    for section in ("## 1. 研究信息", "## 3. 抽样方案",
                    "### 停止规则", "## 5. 分析方案", "### 数据排除"):
        assert section in md, section
    assert "H1：敢于发声在美国高于中国" in md
    assert "未通过注意力检查的受访者被排除。" in md
    assert "作答时间短于 90 秒的回答作为速答被排除。" in md


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--effect", "0.5", "-o", "p.md"], "give --per-lab A or --labs N (not both)"),
        (["--effect", "0.5", "--per-lab", "10", "--labs", "5", "-o", "p.md"],
         "give --per-lab A or --labs N (not both)"),
        (["--effect", "big", "--per-lab", "10", "-o", "p.md"], "--effect: 'big' is not a number"),
        (["--effect", "0.5", "--labs", "2", "-o", "p.md"],
         "with 2 + 2 labs no number of respondents per lab reaches power 0.8"),
        (["--effect", "0.5", "--per-lab", "10", "-o", "p.txt"], "end the name in .md, .html or"),
        (["--effect", "0.5", "--per-lab", "10", "--by", "lab", "-o", "p.md"],
         "--by: 'lab' is not a choice question"),
        (["--effect", "0.5", "--per-lab", "10", "--closing-date", "June", "-o", "p.md"],
         "--closing-date: 'June' is not a date written YYYY-MM-DD"),
        (["--effect", "0.5", "--per-lab", "10", "--closing-date", "2026-13-01", "-o", "p.md"],
         "--closing-date: '2026-13-01' is not a date written YYYY-MM-DD"),
        (["--effect", "0.5", "--per-lab", "10", "--closing-date", "2026-02-30", "-o", "p.md"],
         "--closing-date: '2026-02-30' is not a date written YYYY-MM-DD"),
    ],
    ids=["no-size", "both-sizes", "not-a-number", "infeasible", "suffix", "by", "date",
         "month-13", "february-30"],
)
def test_prereg_mistakes_are_one_line(tmp_path, args, message):
    result = CliRunner().invoke(cli, ["prereg", *[a if a != "p.md" and a != "p.txt" else
                                                  str(tmp_path / a) for a in args]])
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_load_record_refuses_what_is_not_a_record(tmp_path, study):
    folder, _ = study
    bad = tmp_path / "bad.yaml"
    bad.write_text("title: x\n", encoding="utf-8")
    with pytest.raises(SurveyError, match="not a preregistration record"):
        load_record(bad)
    text = (folder / "prereg.yaml").read_text(encoding="utf-8")
    bad.write_text(text.replace("  adjust: holm\n", "  adjust: [holm]\n"), encoding="utf-8")
    with pytest.raises(SurveyError, match="analysis.adjust: missing or not a str"):
        load_record(bad)
    bad.write_text(text.replace("  min_group_n: 5\n", "  min_group_n: true\n"),
                   encoding="utf-8")
    with pytest.raises(SurveyError, match="analysis.min_group_n: missing or not a int"):
        load_record(bad)
    bad.write_text(text + "  : [\n", encoding="utf-8")
    with pytest.raises(SurveyError, match="not valid YAML"):
        load_record(bad)
    with pytest.raises(SurveyError, match="no such file"):
        load_record(tmp_path / "missing.yaml")


# ---- every kind of deviation --------------------------------------------------------------

_CHANGES = {
    "instrument": ({"sha256": "0" * 64}, "SHA-256 " + "0" * 64),
    "by": ({"by": "lab_type"}, "lab_type"),
    "cluster": ({"cluster": "team"}, "team"),
    "adjust": ({"adjust": "fdr_bh"}, "fdr_bh"),
    "alpha": ({"alpha": 0.01}, "0.01"),
    "min_group_n": ({"min_group_n": 10}, "10"),
    "min_answered": ({"min_answered": 0.75}, "0.75"),
    "reject_failed_checks": ({"exclusions": {"reject_failed_checks": True}}, "yes"),
    "reject_unfinished": ({"exclusions": {"reject_unfinished": True}}, "yes"),
    "min_duration": ({"exclusions": {"min_duration": 60.0}}, "60"),
    "reject_speeders": ({"exclusions": {"reject_speeders": True}}, "yes"),
    "sample_size": ({"observed": {"china": (2, 24)}}, "china: 2 labs, 24 respondents"),
}


def test_every_kind_of_deviation_is_covered():
    assert set(_CHANGES) == set(DEVIATION_KINDS)


@pytest.mark.parametrize("kind", DEVIATION_KINDS)
def test_each_kind_of_deviation(study, kind):
    folder, _ = study
    record = load_record(folder / "prereg.yaml")
    sha = record["instrument"]["sha256"]
    observed = {"china": (3, 36), "united_states": (3, 36)}
    assert check_run(record, sha256=sha, settings=Settings(by="lab_region"),
                     observed=observed) == []
    change, used = _CHANGES[kind]
    settings = {"by": "lab_region", "exclusions": dict(EXCLUSIONS)}
    for key, value in change.items():
        if key == "exclusions":
            settings["exclusions"].update(value)
        elif key == "sha256":
            sha = value
        elif key == "observed":
            observed.update(value)
        else:
            settings[key] = value
    got = check_run(record, sha256=sha, settings=Settings(**settings), observed=observed)
    assert [d.kind for d in got] == [kind]
    assert got[0].used == used


# ---- survey report --prereg -------------------------------------------------------------

def _report(folder, out, *args):
    result = CliRunner().invoke(cli, ["report", str(folder / "responses.csv"), "-i",
                                      str(folder / "instrument.yaml"), "--prereg",
                                      str(folder / "prereg.yaml"), *args, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return result.output


def _methods(out) -> str:
    html = (out / "report.html").read_text(encoding="utf-8")
    section = html.split('id="methods"', 1)[1]
    return unescape(" ".join(re.findall(r"<p>(.*?)</p>", section, re.S)))


@pytest.mark.slow
def test_report_analysed_as_preregistered(study, tmp_path):
    folder, _ = study
    output = _report(folder, tmp_path / "en")
    assert "analysed as preregistered (prereg.yaml)" in output
    html = (tmp_path / "en" / "report.html").read_text(encoding="utf-8")
    section = re.search(r'<section id="prereg" data-deviations="0">(.*?)</section>', html, re.S)
    assert section and "Analysed as preregistered" in section.group(1)
    assert "The analysis followed the preregistration." in _methods(tmp_path / "en")
    assert pd.read_csv(tmp_path / "en" / "tables" / "deviations.csv").empty
    _report(folder, tmp_path / "zh", "--lang", "zh")
    assert "分析按预注册进行。" in _methods(tmp_path / "zh")


def test_report_lists_the_deviations(study, tmp_path):
    from openpyxl import load_workbook

    folder, _ = study
    changed = tmp_path / "instrument.yaml"
    changed.write_text("# edited after registration\n" + SMALL, encoding="utf-8")
    (tmp_path / "responses.csv").write_bytes((folder / "responses.csv").read_bytes())
    (tmp_path / "prereg.yaml").write_bytes((folder / "prereg.yaml").read_bytes())
    output = _report(tmp_path, tmp_path / "out", "--adjust", "none", "--reject-failed-checks")
    lines = [line for line in output.splitlines() if line.startswith("deviation from")]
    assert [line.split(": ")[1] for line in lines] == ["instrument", "adjust",
                                                       "reject_failed_checks"]
    table = pd.read_csv(tmp_path / "out" / "tables" / "deviations.csv")
    assert table.to_dict("records")[1:] == [
        {"kind": "adjust", "preregistered": "holm", "used": "none"},
        {"kind": "reject_failed_checks", "preregistered": "no", "used": "yes"}]
    sha = hashlib.sha256(changed.read_bytes()).hexdigest()
    assert table.loc[0, "used"] == f"SHA-256 {sha}"
    html = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "<h2>Deviations from the preregistration</h2>" in html
    assert re.findall(r'<tr data-kind="(\w+)">', html) == ["instrument", "adjust",
                                                           "reject_failed_checks"]
    assert '<a href="#prereg">Deviations from the preregistration</a>' in html
    methods = _methods(tmp_path / "out")
    assert "The analysis deviates from it in 3 respects" in methods
    assert "multiplicity adjustment: preregistered holm, used none" in methods
    wb = load_workbook(io.BytesIO((tmp_path / "out" / "report.xlsx").read_bytes()))
    assert wb.sheetnames[-1] == "deviations"
    assert [c.value for c in wb["deviations"][1]] == ["kind", "preregistered", "used"]


def test_report_names_a_sample_below_the_plan(study, tmp_path):
    folder, _ = study
    frame = pd.read_csv(folder / "responses.csv")
    labs = sorted(frame.loc[frame["lab_region"] == "china", "lab"].unique())
    frame[frame["lab"] != labs[0]].to_csv(tmp_path / "responses.csv", index=False)
    (tmp_path / "instrument.yaml").write_bytes((folder / "instrument.yaml").read_bytes())
    (tmp_path / "prereg.yaml").write_bytes((folder / "prereg.yaml").read_bytes())
    output = _report(tmp_path, tmp_path / "out", "--lang", "zh")
    assert ("deviation from prereg.yaml: sample_size: preregistered china: 3 labs, 30 "
            "respondents, used china: 2 labs, 24 respondents") in output
    methods = _methods(tmp_path / "out")
    assert "样本量（实验室，受访者）：预注册为 中国：3 个实验室、30 名受访者，实际为 中国：2 个实验室、" \
           "24 名受访者" in methods
    page = (tmp_path / "out" / "report.html").read_text(encoding="utf-8")
    assert "中国：3 个实验室、30 名受访者" in page and "china:" not in page


def test_report_refuses_a_bad_record(study, tmp_path):
    folder, _ = study
    bad = tmp_path / "bad.yaml"
    bad.write_text("format: something else\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["report", str(folder / "responses.csv"), "-i",
                                      str(folder / "instrument.yaml"), "--prereg", str(bad),
                                      "-o", str(tmp_path / "out")])
    assert result.exit_code == 2
    assert result.output.startswith(f"error: {bad}: not a preregistration record")
    assert not (tmp_path / "out").exists()


def test_flagship_prereg_names_its_quasi_identifiers(tmp_path):
    result = CliRunner().invoke(cli, ["prereg", "--effect", "0.5", "--per-lab", "10",
                                      "-o", str(tmp_path / "p.md")])
    assert result.exit_code == 0, result.output
    md = (tmp_path / "p.md").read_text(encoding="utf-8")
    inst = load("lab-culture")
    for h in inst.hypotheses:
        assert h.source.replace("<", "\\<") in md
    assert "| years_in_field (identifying) |" in md
    assert "13 + 13 labs (26 in all) with 10 respondents each" in md
