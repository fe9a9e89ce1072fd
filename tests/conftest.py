"""Shared fixtures: paths to the repository, its test fixtures and a tiny instrument.

Every file a test needs is in ``tests/fixtures/`` (provenance and licence in
``tests/fixtures/SOURCES.md``). Some checks can also run on files this repository may not
hold (platform exports under a copyleft licence, the essay the flagship instrument quotes):
point the environment variable ``LCS_EXTRA_FIXTURES`` at a folder holding them and
:func:`extra_fixture` finds them there; without it those checks skip and say why.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"
PLATFORM_FIXTURES = FIXTURES / "platforms"
SAMPLE_DATA = REPO / "sample_data"
#: Names the environment variable that points at the optional extra fixtures.
EXTRA_FIXTURES_VARIABLE = "LCS_EXTRA_FIXTURES"


def extra_fixture(relative: str) -> Path:
    """The optional file ``relative`` from the folder ``$LCS_EXTRA_FIXTURES``, or skip.

    The folder may hold the file directly (``kobo/kobocat_good.csv``), under
    ``platforms/`` or under ``fixtures/platforms/`` (the layout of the project notes, so
    a copy of the project notes works); ``essay.txt`` sits at its top.
    """
    root = os.environ.get(EXTRA_FIXTURES_VARIABLE)
    if not root:
        pytest.skip(f"optional check on {relative}: set {EXTRA_FIXTURES_VARIABLE} to a folder "
                    "holding it (see tests/fixtures/SOURCES.md)")
    for base in (Path(root), Path(root) / "platforms", Path(root) / "fixtures" / "platforms"):
        if (base / relative).is_file():
            return base / relative
    pytest.skip(f"optional check: {relative} is not in {EXTRA_FIXTURES_VARIABLE}={root}")

TINY_YAML = """\
id: tiny
version: "0.1"
languages: [en, zh]
title: {en: Tiny, zh: 小}
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
  - id: alpha_c
    name: {en: Alpha, zh: 甲}
    definition: {en: First, zh: 第一}
    scale: agree5
    items:
      - {id: a1, text: {en: A one, zh: 甲一}, reverse: false}
      - {id: a2, text: {en: A two, zh: 甲二}, reverse: true}
checks:
  - {id: attn1, text: {en: Pick agree, zh: 选同意}, scale: agree5, expect: 4}
hypotheses:
  - {id: H1, construct: alpha_c, by: lab_region, predicts: china > united_states, source: "x"}
"""


@pytest.fixture
def tiny_yaml() -> str:
    """The YAML text of a two-item bilingual instrument."""
    return TINY_YAML


@pytest.fixture
def tiny_instrument():
    """A loaded two-item bilingual instrument."""
    from survey.instrument import loads

    return loads(TINY_YAML, file="tiny.yaml")
