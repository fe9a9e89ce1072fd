"""Shared fixtures: paths to the repository, the shared fixtures and a tiny instrument."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PLATFORM_FIXTURES = SHARED / "fixtures" / "platforms"
SAMPLE_DATA = REPO / "sample_data"

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
