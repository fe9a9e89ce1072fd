"""Counted nouns are singular for one: '1 attention check', 'With 1 respondent per lab',
'1 simulated respondent in 1 lab' (they used to read '1 attention checks', '1 respondents')."""

from __future__ import annotations

import re

from click.testing import CliRunner

from survey.cli import cli
from survey.wording import count


def test_count():
    assert [count(n, "lab") for n in (0, 1, 2)] == ["0 labs", "1 lab", "2 labs"]
    assert count(1, "hypothesis", "hypotheses") == "1 hypothesis"
    assert count(2, "hypothesis", "hypotheses") == "2 hypotheses"


def test_check_counts_in_the_singular(tmp_path, tiny_yaml):
    path = tmp_path / "tiny.yaml"
    path.write_text(tiny_yaml, encoding="utf-8")
    res = CliRunner().invoke(cli, ["check", str(path)])
    assert res.exit_code == 0, res.output
    assert res.output == ("ok: tiny 0.1: 1 construct, 2 items (1 reverse-keyed), 2 grouping "
                          "questions, 1 attention check, 1 hypothesis; languages en, zh\n")


def test_plan_with_one_respondent_per_lab():
    res = CliRunner().invoke(cli, ["plan", "--effect", "0.8", "--per-lab", "1"])
    assert res.exit_code == 0, res.output
    assert "With 1 respondent per lab: design effect 1 + (1 - 1) x 0.1 = 1" in res.output


def test_simulate_one_lab_of_one(tmp_path, tiny_yaml):
    path = tmp_path / "tiny.yaml"
    path.write_text(tiny_yaml, encoding="utf-8")
    out = tmp_path / "one.csv"
    res = CliRunner().invoke(cli, ["simulate", str(path), "--labs", "china=1",
                                   "--respondents-per-lab", "1", "-o", str(out)])
    assert res.exit_code == 0, res.output
    assert re.fullmatch(r"wrote .*one\.csv \(1 simulated respondent in 1 lab, seed 1\)\n",
                        res.output)
