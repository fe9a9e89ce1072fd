"""One set of reading options for every command that reads a response file.

``import``, ``score``, ``compare``, ``report``, ``validate`` and ``share`` take the same
``--platform``, ``--map``, ``--encoding``, ``--sheet``, ``--min-duration`` and ``--reject-*``
options (one decorator in
``survey/commands/_common.py``), and the report's methods paragraph states the exclusion
rules that were applied with the number of respondents each removed. The expected counts
are worked out here from the file that is read, not from the import's log.
"""

from __future__ import annotations

import csv
import importlib
import io
import re
from html import unescape

import pytest
from click.testing import CliRunner
from platform_layouts import qualtrics_layout

from survey.cli import COMMANDS, cli
from survey.commands._common import PLATFORM_CHOICES
from survey.instrument import loads
from survey.responses import PLATFORMS
from survey.simulate import simulate

READING = {"platform", "mapping", "encoding", "sheet", "min_duration",
           "reject_failed_checks", "reject_unfinished", "reject_speeders",
           "reject_missing_groups"}

YAML = """\
id: small
version: "1"
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
  - {id: lab, type: text, required: true, text: {en: Lab code, zh: 实验室代码}}
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
  - {id: H1, construct: speaking_up, by: lab_region, predicts: united_states > china, source: x}
"""


@pytest.mark.parametrize("name", ["import", "score", "compare", "report", "validate",
                                  "share"])
def test_every_reading_command_has_the_same_options(name):
    module, attr = COMMANDS[name].split(":")
    cmd = getattr(importlib.import_module(module), attr)
    names = {p.name for p in cmd.params}
    assert READING <= names, READING - names
    platform = next(p for p in cmd.params if p.name == "platform")
    assert tuple(platform.type.choices) == PLATFORM_CHOICES


def test_platform_choices_are_the_readers():
    assert PLATFORM_CHOICES == ("auto", *PLATFORMS)


@pytest.fixture(scope="module")
def qualtrics_file(tmp_path_factory):
    """A Qualtrics export of 96 simulated respondents: rows 0, 5, 10 unfinished, the
    attention check failed by every 7th respondent, durations 240 + (97 i mod 600) s."""
    inst = loads(YAML, file="small.yaml")
    frame = simulate(inst, seed=3, labs={"china": 4, "united_states": 4},
                     respondents_per_lab=(12, 12), inattentive=0.0)
    frame.loc[frame.index % 7 == 3, "attn1"] = 2
    data = qualtrics_layout(frame, inst)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    finished = rows[0].index("Finished")
    for i in (0, 5, 10):
        rows[3 + i][finished] = "0"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    folder = tmp_path_factory.mktemp("qualtrics")
    path = folder / "responses.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    (folder / "instrument.yaml").write_text(YAML, encoding="utf-8")
    n = len(frame)
    unfinished = {0, 5, 10}
    failed = {i for i in range(n) if i % 7 == 3}
    speeder = {i for i in range(n) if 240 + (i * 97) % 600 < 300}
    return folder, {"n": n, "unfinished": unfinished, "failed": failed, "speeder": speeder}


def _methods(folder, lang: str) -> str:
    html = (folder / "report.html").read_text(encoding="utf-8")
    section = html.split('id="methods"', 1)[1]
    return unescape(re.findall(r"<p>(.*?)</p>", section, re.S)[0])


def test_report_applies_the_exclusions_and_says_how_many_each_removed(qualtrics_file,
                                                                      tmp_path):
    folder, truth = qualtrics_file
    unfinished = truth["unfinished"]
    failed = truth["failed"] - unfinished            # counted under the first rule only
    speeder = truth["speeder"] - unfinished - truth["failed"]
    assert unfinished and failed and speeder          # the file exercises every rule
    runner = CliRunner()
    for lang in ("en", "zh"):
        out = tmp_path / lang
        result = runner.invoke(cli, [
            "report", str(folder / "responses.csv"), "-i", str(folder / "instrument.yaml"),
            "--reject-unfinished", "--reject-failed-checks", "--min-duration", "300",
            "--reject-speeders", "--lang", lang, "-q", "-o", str(out)])
        assert result.exit_code == 0, result.output
        text = _methods(out, lang)
        kept = truth["n"] - len(unfinished) - len(failed) - len(speeder)
        if lang == "en":
            assert f"Of {truth['n']} rows read, {kept} were accepted and " \
                   f"{truth['n'] - kept} rejected." in text
            assert (f"responses the platform marks unfinished were excluded "
                    f"({len(unfinished)} removed)") in text
            assert (f"respondents who failed an attention check were excluded "
                    f"({len(failed)} removed)") in text
            assert (f"responses completed in under 300 s (speeders) were excluded "
                    f"({len(speeder)} removed)") in text
        else:
            assert f"共读取 {truth['n']} 行，接受 {kept} 行" in text
            assert f"平台标记为未完成的回答被排除（排除 {len(unfinished)} 人）" in text
            assert f"未通过注意力检查的受访者被排除（排除 {len(failed)} 人）" in text
            assert f"作答时间短于 300 秒的回答（速答）被排除（排除 {len(speeder)} 人）" in text
            assert "failed_attention_check" not in text


def test_report_says_what_was_only_flagged(qualtrics_file, tmp_path):
    folder, truth = qualtrics_file
    result = CliRunner().invoke(cli, [
        "report", str(folder / "responses.csv"), "-i", str(folder / "instrument.yaml"),
        "-q", "-o", str(tmp_path / "r")])
    assert result.exit_code == 0, result.output
    text = _methods(tmp_path / "r", "en")
    assert f"Of {truth['n']} rows read, {truth['n']} were accepted and 0 rejected." in text
    assert (f"responses the platform marks unfinished were kept and flagged "
            f"({len(truth['unfinished'])} flagged)") in text
    failed = truth["failed"]
    assert (f"respondents who failed an attention check were kept and flagged "
            f"({len(failed)} flagged)") in text
    assert "no minimum duration was set, so no response was treated as a speeder" in text
    assert "Flagged respondents were kept in the analysis." in text


@pytest.mark.parametrize("name", ["score", "compare"])
def test_score_and_compare_apply_the_exclusions(qualtrics_file, tmp_path, name):
    folder, truth = qualtrics_file
    out = tmp_path / ("scores.csv" if name == "score" else "cmp")
    result = CliRunner().invoke(cli, [
        name, str(folder / "responses.csv"), "-i", str(folder / "instrument.yaml"),
        "--reject-failed-checks", *(["--by", "lab_region"] if name == "compare" else []),
        "-o", str(out)])
    assert result.exit_code == 0, result.output
    kept = truth["n"] - len(truth["failed"])
    if name == "score":
        assert f"accepted {kept}, rejected {len(truth['failed'])}" in result.output
    else:
        assert f"\n{kept} respondents;" in result.output


def test_validate_applies_the_exclusions_and_accounts_for_every_row(qualtrics_file,
                                                                     tmp_path):
    folder, truth = qualtrics_file
    result = CliRunner().invoke(cli, [
        "validate", str(folder / "responses.csv"), "-i", str(folder / "instrument.yaml"),
        "--platform", "qualtrics", "--reject-failed-checks", "-o", str(tmp_path / "v")])
    assert result.exit_code == 0, result.output
    rejected = len(truth["failed"])
    kept = truth["n"] - rejected
    assert f"responses.csv: {kept} respondents, 3 items, 1 construct" in result.output
    assert (f"note: rows read {truth['n']}, accepted {kept}, rejected {rejected} "
            "(survey import --rejected FILE shows why)") in result.output
