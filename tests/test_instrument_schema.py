"""The published JSON Schema of ``instrument.yaml`` and the loader agree.

``survey/schema/instrument.schema.json`` is what editors check an instrument against;
``survey check`` (the loader, :func:`survey.instrument.loads`) is what the tools use. They
must never disagree the dangerous way: whatever the loader accepts, the schema accepts.
The schema cannot state every rule (texts in every declared language, references
between sections, unique ids), so some instruments only the loader refuses; they are
listed here one by one, and ``docs/instrument-schema.md`` lists the same rules.

Checked with the ``jsonschema`` library on: the bundled and test instruments (good), a
list of bad instruments both refuse, the list of loader-only rules, and 300 seeded
random mutations of a small instrument.
"""

from __future__ import annotations

import copy
import json
import random
import re
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from survey.cli import cli
from survey.errors import InstrumentError
from survey.instrument import _Builder, bundled_instruments, json_schema, loads

jsonschema = pytest.importorskip("jsonschema", reason="jsonschema checks the schema (test extra)")

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "instrument-schema.md"

GOOD = """
id: tiny
version: "1.0"
languages: [en, zh]
title: {en: Tiny, zh: 小}
description: {en: About, zh: 关于}
translation: {zh: forward translation only}
cluster: lab
scales:
  agree5:
    points: [1, 2, 3, 4, 5]
    labels:
      en: [a, b, c, d, e]
      zh: [甲, 乙, 丙, 丁, 戊]
groups:
  - id: lab_region
    type: choice
    required: true
    text: {en: Region, zh: 地区}
    choices:
      - {code: china, label: {en: China, zh: 中国}}
      - {code: united_states, label: {en: United States, zh: 美国}}
    identifying: true
    bands:
      - {code: any, label: {en: Any region, zh: 任何地区}, choices: [china, united_states]}
  - {id: lab, type: text, required: true, identifying: true, text: {en: Lab, zh: 实验室}}
  - {id: years, text: {en: Years, zh: 年}}
constructs:
  - id: c1
    name: {en: C one, zh: 一}
    definition: {en: D, zh: 定义}
    scale: agree5
    items:
      - {id: i1, text: {en: One, zh: 一}}
      - {id: i2, text: {en: Two, zh: 二}, reverse: true}
      - {id: i3, text: {en: Three, zh: 三}, reverse: false}
checks:
  - {id: attn1, text: {en: Pick d, zh: 选丁}, scale: agree5, expect: 4}
hypotheses:
  - {id: H1, construct: c1, by: lab_region, predicts: china > united_states, source: "s"}
"""


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(json_schema())
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def _loader_ok(data) -> bool:
    try:
        _Builder("x.yaml").build(copy.deepcopy(data))
    except InstrumentError:
        return False
    return True


def _good() -> dict:
    return yaml.safe_load(GOOD)


def _edit(path: str, value=None, delete: bool = False) -> dict:
    """The good instrument with one value at a dotted path replaced (or deleted)."""
    data = _good()
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]
    node = data
    for k in keys[:-1]:
        node = node[k]
    if delete:
        del node[keys[-1]]
    else:
        node[keys[-1]] = value
    return data


def test_good_instruments_pass_both(validator):
    paths = [*bundled_instruments().values(), *sorted((REPO / "tests" / "instruments").glob("*.yaml"))]
    assert paths
    for path in paths:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert validator.is_valid(data), (path, [e.message for e in validator.iter_errors(data)])
        assert _loader_ok(data), path
    assert validator.is_valid(_good()) and _loader_ok(_good())
    one_language = _edit("languages", ["en"])
    for key in ("title", "description"):
        one_language[key] = "Plain text is enough with one language"
    for c in one_language["groups"] + one_language["constructs"]:
        for k in ("text", "label", "name", "definition"):
            if k in c:
                c[k] = c[k]["en"]
    for section in ("groups",):
        for g in one_language[section]:
            for ch in [*g.get("choices", []), *g.get("bands", [])]:
                ch["label"] = ch["label"]["en"]
    for c in one_language["constructs"]:
        for i in c["items"]:
            i["text"] = i["text"]["en"]
    one_language["checks"][0]["text"] = "Pick d"
    del one_language["scales"]["agree5"]["labels"]["zh"]
    one_language["translation"] = None
    assert validator.is_valid(one_language) and _loader_ok(one_language)


#: Structural mistakes both the schema and the loader refuse.
BOTH_REFUSE = {
    "no id": ("id", None, True),
    "id starts with a digit": ("id", "1tiny", False),
    "unknown top-level key": ("extra", 1, False),
    "version is true": ("version", True, False),
    "no languages": ("languages", [], False),
    "language is not a code": ("languages", ["English"], False),
    "language twice": ("languages", ["en", "en"], False),
    "title blank": ("title", {"en": " ", "zh": "小"}, False),
    "title is a number": ("title", 5, False),
    "control character": ("title", {"en": "Ti\x07ny", "zh": "小"}, False),
    "description is false": ("description", False, False),
    "translation is text": ("translation", "forward only", False),
    "cluster blank": ("cluster", "", False),
    "no scales": ("scales", {}, False),
    "scale id with a space": ("scales", {"agree 5": {"points": [1, 2], "labels": {
        "en": ["a", "b"], "zh": ["甲", "乙"]}}}, False),
    "one point": ("scales.agree5.points", [1], False),
    "no points": ("scales.agree5.points", [], False),
    "point not a whole number": ("scales.agree5.points", [1, 2, 3.5, 4, 5], False),
    "points repeat": ("scales.agree5.points", [1, 2, 2, 4, 5], False),
    "label blank": ("scales.agree5.labels.en", ["a", "", "c", "d", "e"], False),
    "label missing": ("scales.agree5.labels.en", ["a", None, "c", "d", "e"], False),
    "no labels": ("scales.agree5.labels", None, True),
    "unknown scale key": ("scales.agree5.anchors", [1], False),
    "group is text": ("groups.0", "lab_region", False),
    "group id respondent_id": ("groups.2.id", "respondent_id", False),
    "group type unknown": ("groups.0.type", "select", False),
    "choice question without choices": ("groups.0.choices", None, True),
    "no choices": ("groups.0.choices", [], False),
    "text question with choices": ("groups.1.choices", [{"code": "a", "label": {
        "en": "A", "zh": "甲"}}], False),
    "choice code with a space": ("groups.0.choices.0.code", "the china", False),
    "choice code negative": ("groups.0.choices.0.code", -1, False),
    "required is yes": ("groups.0.required", "yes", False),
    "identifying is 1": ("groups.1.identifying", 1, False),
    "unknown group key": ("groups.0.hint", "x", False),
    "bands on a text question": ("groups.1.bands", [{"code": "x", "label": {"en": "X",
                                                     "zh": "叉"}, "choices": []}], False),
    "band without choices": ("groups.0.bands.0.choices", None, True),
    "band code with a space": ("groups.0.bands.0.code", "any region", False),
    "unknown band key": ("groups.0.bands.0.members", ["china"], False),
    "no constructs": ("constructs", [], False),
    "construct without items": ("constructs.0.items", [], False),
    "construct without definition": ("constructs.0.definition", None, True),
    "item id too long": ("constructs.0.items.0.id", "i" * 33, False),
    "item id with a dash": ("constructs.0.items.0.id", "i-1", False),
    "reverse is yes": ("constructs.0.items.0.reverse", "yes", False),
    "unknown item key": ("constructs.0.items.0.keyed", "minus", False),
    "expect is text": ("checks.0.expect", "4", False),
    "expect is true": ("checks.0.expect", True, False),
    "check without scale": ("checks.0.scale", None, True),
    "predicts unparsable": ("hypotheses.0.predicts", "china >> united_states", False),
    "hypothesis without source": ("hypotheses.0.source", None, True),
    "hypotheses is a mapping": ("hypotheses", {"H1": "x"}, False),
}


@pytest.mark.parametrize("case", list(BOTH_REFUSE))
def test_structural_mistakes_are_refused_by_both(validator, case):
    path, value, delete = BOTH_REFUSE[case]
    data = _edit(path, value, delete)
    assert not validator.is_valid(data), case
    assert not _loader_ok(data), case


#: Rules a JSON Schema cannot state: the loader (survey check) refuses, the schema lets
#: through. docs/instrument-schema.md lists each under "Rules survey check adds".
LOADER_ONLY = {
    "text missing a declared language": ("title", {"en": "Tiny"}),
    "text in an undeclared language": ("title", {"en": "T", "zh": "小", "fr": "P"}),
    "plain text with two languages": ("title", "Tiny"),
    "labels missing a declared language": ("scales.agree5.labels", {"en": list("abcde")}),
    "labels in an undeclared language": ("scales.agree5.labels", {
        "en": list("abcde"), "zh": list("甲乙丙丁戊"), "fr": list("abcde")}),
    "labels not one per point": ("scales.agree5.labels.en", ["a", "b", "c"]),
    "points not increasing": ("scales.agree5.points", [5, 4, 3, 2, 1]),
    "construct scale undefined": ("constructs.0.scale", "agree7"),
    "check scale undefined": ("checks.0.scale", "agree7"),
    "expect not a point of the scale": ("checks.0.expect", 9),
    "item id used twice": ("constructs.0.items.1.id", "i1"),
    "ids equal ignoring case": ("constructs.0.items.1.id", "I1"),
    "item id equals a group id": ("constructs.0.items.1.id", "lab"),
    "choice code twice": ("groups.0.choices.1.code", "china"),
    "construct id twice": ("constructs", [
        {"id": "c1", "name": "N", "definition": "D", "scale": "agree5",
         "items": [{"id": "i1", "text": {"en": "x", "zh": "y"}}]},
        {"id": "c1", "name": "N", "definition": "D", "scale": "agree5",
         "items": [{"id": "i2", "text": {"en": "x", "zh": "y"}}]}]),
    "hypothesis id twice": ("hypotheses", [
        {"id": "H1", "construct": "c1", "by": "lab_region",
         "predicts": "china > united_states", "source": "s"},
        {"id": "H1", "construct": "c1", "by": "lab_region",
         "predicts": "united_states > china", "source": "s"}]),
    "hypothesis on an unknown construct": ("hypotheses.0.construct", "c9"),
    "hypothesis by an unknown question": ("hypotheses.0.by", "region"),
    "hypothesis by a text question": ("hypotheses.0.by", "lab"),
    "prediction names a code that is not a choice": ("hypotheses.0.predicts", "china > mars"),
    "prediction compares a group with itself": ("hypotheses.0.predicts", "china > china"),
    "cluster names an unknown question": ("cluster", "team"),
    "band holds a code that is not a choice": ("groups.0.bands.0.choices",
                                               ["china", "united_states", "mars"]),
    "a choice in no band": ("groups.0.bands.0.choices", ["china"]),
    "a choice in two bands": ("groups.0.bands", [
        {"code": "a", "label": {"en": "A", "zh": "甲"}, "choices": ["china", "united_states"]},
        {"code": "b", "label": {"en": "B", "zh": "乙"}, "choices": ["china"]}]),
    "band code twice": ("groups.0.bands", [
        {"code": "a", "label": {"en": "A", "zh": "甲"}, "choices": ["china"]},
        {"code": "a", "label": {"en": "B", "zh": "乙"}, "choices": ["united_states"]}]),
}


@pytest.mark.parametrize("case", list(LOADER_ONLY))
def test_rules_only_the_loader_can_check(validator, case):
    path, value = LOADER_ONLY[case]
    data = _edit(path, value)
    if case == "construct id twice":  # name/definition as plain text would be a 2nd problem
        for c in data["constructs"]:
            c["name"] = c["definition"] = {"en": "N", "zh": "名"}
    assert validator.is_valid(data), (case, [e.message for e in validator.iter_errors(data)])
    assert not _loader_ok(data), case


def test_the_documentation_lists_every_key_and_every_loader_only_rule(validator):
    doc = DOC.read_text(encoding="utf-8")
    example = re.search(r"## An example\n\n```yaml\n(.*?)```", doc, flags=re.S).group(1)
    assert validator.is_valid(yaml.safe_load(example))
    inst = loads(example)
    assert inst.cluster == "team" and inst.group("team").identifying
    schema = json.loads(json_schema())
    keys = set(schema["properties"])
    for definition in schema["$defs"].values():
        keys |= set(definition.get("properties", {}))
    documented = set(re.findall(r"^\| `([A-Za-z_]+)`", doc, flags=re.M))
    assert keys <= documented, sorted(keys - documented)
    section = doc.split("## Rules `survey check` adds", 1)[1]
    for phrase in ("every declared language", "one label per point", "increasing",
                   "defined under `scales`", "point of its scale", "unique",
                   "choice codes of `by`", "grouping question", "exactly one band"):
        assert phrase in section, phrase


# ---- random mutations ----------------------------------------------------------------------

_VALUES = [None, "", " ", 0, 7, 2.5, True, False, "x y", "ok", "Zz9", [], {}, ["a"],
           {"en": "x"}, {"en": "x", "zh": "y"}, "\x07", "A" * 40, [1, 2], "china > mars"]


def _nodes(data, path=()):
    """Every (container, key) pair of a YAML tree, depth first."""
    if isinstance(data, dict):
        for k in list(data):
            yield data, k
            yield from _nodes(data[k], (*path, k))
    elif isinstance(data, list):
        for i in range(len(data)):
            yield data, i
            yield from _nodes(data[i], (*path, i))


def _mutate(data, rng: random.Random) -> dict:
    data = copy.deepcopy(data)
    for _ in range(rng.choice((1, 1, 2, 3))):
        nodes = list(_nodes(data))
        container, key = rng.choice(nodes)
        op = rng.random()
        if op < 0.25 and isinstance(container, dict):
            del container[key]
        elif op < 0.35 and isinstance(container, dict):
            container[rng.choice(["zz", "note", "type", "required", "reverse"])] = \
                copy.deepcopy(rng.choice(_VALUES))
        elif op < 0.45 and isinstance(container, list):
            container.append(copy.deepcopy(container[key]))
        else:
            container[key] = copy.deepcopy(rng.choice(_VALUES))
    return data


def test_seeded_mutations_never_pass_the_loader_and_fail_the_schema(validator):
    """Whatever survey check accepts, an editor checking against the schema accepts too;
    what the schema refuses, survey check refuses."""
    rng = random.Random(20240611)
    outcomes = {"both ok": 0, "both refuse": 0, "loader only refuses": 0}
    disagreements = []
    for _ in range(300):
        data = _mutate(_good(), rng)
        schema_ok, loader_ok = validator.is_valid(data), _loader_ok(data)
        if loader_ok and not schema_ok:
            disagreements.append((data, [e.message for e in validator.iter_errors(data)]))
        elif loader_ok:
            outcomes["both ok"] += 1
        elif schema_ok:
            outcomes["loader only refuses"] += 1
        else:
            outcomes["both refuse"] += 1
    assert disagreements == []
    # the mutations exercise all three outcomes
    assert min(outcomes.values()) >= 10, outcomes


def test_check_prints_the_schema_and_refuses_a_bad_file_in_one_line(tmp_path):
    result = CliRunner().invoke(cli, ["check", "--schema"])
    assert result.exit_code == 0
    assert json.loads(result.output) == json.loads(json_schema())
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("reverse: true", "reverse: yes please"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(bad)])
    assert result.exit_code == 2
    assert result.output == (f"error: {bad}: constructs[0].items[1].reverse: must be true or "
                             "false, got 'yes please'\n")
    good = tmp_path / "good.yaml"
    good.write_text(GOOD, encoding="utf-8")
    assert CliRunner().invoke(cli, ["check", str(good)]).exit_code == 0
    assert loads(GOOD).cluster == "lab" and loads(GOOD).group("lab").identifying
