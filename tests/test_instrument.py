"""The instrument loader: one test per kind of mistake, each asserting the message."""

from __future__ import annotations

import pytest

from survey.errors import InstrumentError
from survey.instrument import ID_PATTERN, bundled_instruments, load, loads
from tests.conftest import TINY_YAML, extra_fixture


def _error(text: str) -> str:
    with pytest.raises(InstrumentError) as exc:
        loads(text, file="bad.yaml")
    return str(exc.value)


def test_tiny_instrument_loads(tiny_instrument):
    inst = tiny_instrument
    assert inst.columns == ("respondent_id", "lab_region", "lab", "a1", "a2", "attn1")
    assert inst.item("a2").reverse is True
    assert inst.scale_of("a1").points == (1, 2, 3, 4, 5)
    assert inst.scale_of("attn1").label(4, "zh") == "同意"
    assert inst.group("lab_region").codes == ("china", "united_states")
    h = inst.hypotheses[0]
    assert (h.higher, h.lower, h.predicts) == ("china", "united_states", "china > united_states")


def test_less_than_prediction_is_normalised():
    inst = loads(TINY_YAML.replace("china > united_states", "united_states < china"))
    assert inst.hypotheses[0].higher == "china"


def test_missing_translation_names_the_path():
    msg = _error(TINY_YAML.replace("{en: A two, zh: 甲二}", "{en: A two}"))
    assert msg == "bad.yaml: constructs[0].items[1].text.zh: missing"


def test_undeclared_language():
    msg = _error(TINY_YAML.replace("{en: A two, zh: 甲二}", "{en: A two, zh: 甲二, fr: A deux}"))
    assert "constructs[0].items[1].text.fr: language 'fr' is not declared" in msg


def test_bad_identifier():
    msg = _error(TINY_YAML.replace("id: a2,", "id: 2a,"))
    assert "constructs[0].items[1].id: '2a' is not a usable variable name" in msg
    assert "start with a letter" in msg


def test_identifier_too_long():
    long_id = "a" * 33
    msg = _error(TINY_YAML.replace("id: a2,", f"id: {long_id},"))
    assert f"'{long_id}' is not a usable variable name" in msg
    assert ID_PATTERN.match("a" * 32)


def test_duplicate_ids_across_items_and_checks():
    msg = _error(TINY_YAML.replace("id: attn1", "id: a1"))
    assert msg == (
        "bad.yaml: checks[0].id: id 'a1' is already used at constructs[0].items[0].id; ids of "
        "items, groups and checks must be unique (ignoring case)"
    )


def test_duplicate_between_group_and_item():
    msg = _error(TINY_YAML.replace("id: a1,", "id: LAB,"))
    assert "constructs[0].items[0].id: id 'LAB' is already used at groups[1].id" in msg


def test_unknown_scale_with_suggestion():
    msg = _error(TINY_YAML.replace("scale: agree5\n    items", "scale: agre5\n    items"))
    assert "constructs[0].scale: scale 'agre5' is not defined under scales. did you mean 'agree5'?" in msg


def test_hypothesis_unknown_construct():
    msg = _error(TINY_YAML.replace("construct: alpha_c", "construct: alpha_x"))
    assert "hypotheses[0].construct: no construct 'alpha_x'. did you mean 'alpha_c'?" in msg


def test_hypothesis_unknown_group():
    msg = _error(TINY_YAML.replace("by: lab_region", "by: region"))
    assert "hypotheses[0].by: no grouping question 'region'." in msg


def test_hypothesis_on_free_text_group():
    msg = _error(TINY_YAML.replace("by: lab_region", "by: lab"))
    assert "hypotheses[0].by: 'lab' is free text; hypotheses compare choice groups" in msg


def test_hypothesis_unknown_choice_code():
    msg = _error(TINY_YAML.replace("china > united_states", "chinaa > united_states"))
    assert "hypotheses[0].predicts: 'chinaa' is not a choice of 'lab_region'" in msg
    assert "did you mean 'china'?" in msg


def test_predicts_must_parse():
    msg = _error(TINY_YAML.replace("predicts: china > united_states", "predicts: china higher"))
    assert "hypotheses[0].predicts: cannot parse 'china higher'" in msg


def test_reverse_must_be_boolean():
    msg = _error(TINY_YAML.replace("reverse: true", "reverse: 'yes'"))
    assert "constructs[0].items[1].reverse: must be true or false, got 'yes'" in msg


def test_check_expect_must_be_a_point():
    msg = _error(TINY_YAML.replace("expect: 4", "expect: 7"))
    assert "checks[0].expect: 7 is not a point of scale 'agree5' (1, 2, 3, 4, 5)" in msg


def test_label_count_must_match_points():
    msg = _error(TINY_YAML.replace("[非常不同意, 不同意, 既不同意也不反对, 同意, 非常同意]", "[非常不同意, 同意]"))
    assert "scales.agree5.labels.zh: has 2 labels for 5 points" in msg


def test_unknown_key_with_suggestion():
    msg = _error(TINY_YAML.replace("    scale: agree5\n    items", "    scale: agree5\n    itmes: []\n    items"))
    assert "constructs[0].itmes: unknown key" in msg
    assert "did you mean 'items'?" in msg


def test_bad_choice_code():
    msg = _error(TINY_YAML.replace("code: united_states", "code: united states"))
    assert "groups[0].choices[1].code: 'united states' must use only letters, digits and _" in msg


def test_yaml_syntax_error_names_the_line_as_an_editor_does():
    with pytest.raises(InstrumentError) as exc:
        loads("id: x\nversion: 1\nlanguages: [en\ntitle: {en: T}\n", file="broken.yaml")
    assert str(exc.value).startswith("broken.yaml: line 4, column 6: not valid YAML")


def test_several_problems_reported_together():
    text = TINY_YAML.replace("{en: A two, zh: 甲二}", "{en: A two}").replace("expect: 4", "expect: 9")
    msg = _error(text)
    assert msg.startswith("bad.yaml: 2 problems: ")
    assert "text.zh: missing" in msg and "checks[0].expect" in msg


def test_missing_file_and_folder(tmp_path):
    with pytest.raises(InstrumentError, match="no such file, folder or bundled instrument"):
        load(tmp_path / "nothing.yaml")
    with pytest.raises(InstrumentError, match="folder has no instrument.yaml"):
        load(tmp_path)


def test_load_from_folder_and_file(tmp_path):
    (tmp_path / "instrument.yaml").write_text(TINY_YAML, encoding="utf-8")
    assert load(tmp_path).id == "tiny"
    assert load(tmp_path / "instrument.yaml").source == str(tmp_path / "instrument.yaml")


def test_not_utf8(tmp_path):
    p = tmp_path / "instrument.yaml"
    p.write_bytes(TINY_YAML.encode("gb18030"))
    with pytest.raises(InstrumentError, match="not UTF-8 text"):
        load(p)


# ---- the flagship instrument ------------------------------------------------------------

def test_flagship_is_bundled_and_valid():
    assert "lab-culture" in bundled_instruments()
    inst = load("lab-culture")
    assert inst.languages == ("en", "zh")
    ids = [c.id for c in inst.constructs]
    for needed in ("self_promotion", "student_involvement", "build_vs_buy", "open_weights",
                   "team_execution", "societal_engagement", "peer_respect", "business_attention"):
        assert needed in ids
    for c in inst.constructs:
        assert len(c.items) >= 6, c.id
        assert sum(i.reverse for i in c.items) == len(c.items) // 2, c.id
        assert inst.scales[c.scale].points == (1, 2, 3, 4, 5)
    assert set(inst.group_ids) >= {"lab_region", "lab_type", "lab", "role", "years_in_field"}
    assert inst.checks


def test_flagship_hypotheses_follow_the_essay():
    inst = load("lab-culture")
    expected = {
        "self_promotion": "united_states", "societal_engagement": "united_states",
        "business_attention": "united_states", "student_involvement": "china",
        "build_vs_buy": "china", "open_weights": "china", "team_execution": "china",
        "peer_respect": "china",
    }
    got = {h.construct: h.higher for h in inst.hypotheses if h.by == "lab_region"}
    assert got == expected


def test_flagship_hypothesis_sources_are_verbatim_in_the_essay():
    """Optional: the essay is not part of this repository (set LCS_EXTRA_FIXTURES)."""
    inst = load("lab-culture")
    text = extra_fixture("essay.txt").read_text(encoding="utf-8")
    for h in inst.hypotheses:
        assert h.source in text, f"{h.id}: source is not verbatim in the essay"


# ---- the cluster question ---------------------------------------------------------------

def test_cluster_defaults_to_the_lab_question(tiny_instrument):
    assert tiny_instrument.cluster == "lab"
    assert load("lab-culture").cluster == "lab"


def test_cluster_names_another_grouping_question():
    text = TINY_YAML.replace("  - {id: lab, type: text,", "  - {id: team, type: text,")
    assert loads(text).cluster is None  # no 'lab' question, no key: no clustering
    assert loads(text + "cluster: team\n").cluster == "team"
    assert loads(TINY_YAML + "cluster: null\n").cluster is None  # switched off


@pytest.mark.parametrize("value, message", [
    ("teams", "cluster: 'teams' is not a grouping question; grouping questions: "
              "lab_region, lab."),
    ("labb", "cluster: 'labb' is not a grouping question; grouping questions: lab_region, "
             "lab. did you mean 'lab'?"),
    ("[lab]", "cluster: must name a grouping question, got ['lab']"),
    ("a1", "cluster: 'a1' is not a grouping question"),
])
def test_cluster_must_name_a_grouping_question(value, message):
    assert message in _error(TINY_YAML + f"cluster: {value}\n")


def test_unquoted_yes_no_labels_are_refused_with_advice():
    """YAML reads an unquoted 'no' as false; the label used to become the text 'False'."""
    text = TINY_YAML.replace("zh: [非常不同意, 不同意, 既不同意也不反对, 同意, 非常同意]",
                             "zh: [非常不同意, 不同意, 既不同意也不反对, 同意, on]")
    assert _error(text) == (
        "bad.yaml: scales.agree5.labels.zh[4]: must be text, got true (YAML reads unquoted "
        "yes, no, on and off as true or false: quote it)")


# ---- quasi-identifiers and their bands ---------------------------------------------------

_YEARS = """\
  - id: years
    identifying: true
    text: {en: Years, zh: 年}
    choices:
      - {code: a, label: {en: A, zh: 甲}}
      - {code: b, label: {en: B, zh: 乙}}
      - {code: c, label: {en: C, zh: 丙}}
    bands:
      - {code: ab, label: {en: A or B, zh: 甲或乙}, choices: [a, b]}
      - {code: c, label: {en: C, zh: 丙}, choices: [c]}
constructs:"""


def _with_years(bands: str | None = None) -> str:
    text = _YEARS if bands is None else _YEARS.split("    bands:")[0] + bands + "constructs:"
    return TINY_YAML.replace("constructs:", text, 1)


def test_identifying_flag_and_bands_load():
    inst = loads(_with_years().replace(
        "{id: lab, type: text, required: true,", "{id: lab, type: text, required: true, "
        "identifying: true,"))
    assert inst.identifying_ids == ("lab", "years")
    assert inst.group("lab_region").identifying is False
    years = inst.group("years")
    assert [(b.code, b.choices, b.label["zh"]) for b in years.bands] == [
        ("ab", ("a", "b"), "甲或乙"), ("c", ("c",), "丙")]
    assert inst.group("lab").bands == ()


@pytest.mark.parametrize(
    ("bands", "message"),
    [
        ("    bands:\n      - {code: ab, label: {en: X, zh: X}, choices: [a, d]}\n"
         "      - {code: c, label: {en: C, zh: C}, choices: [b, c]}\n",
         "groups[2].bands[0].choices[1]: 'd' is not a choice of this question."),
        ("    bands:\n      - {code: ab, label: {en: X, zh: X}, choices: [a, b]}\n"
         "      - {code: bc, label: {en: C, zh: C}, choices: [b, c]}\n",
         "groups[2].bands[1].choices[0]: 'b' is already in band 'ab'; a choice belongs to "
         "one band"),
        ("    bands:\n      - {code: ab, label: {en: X, zh: X}, choices: [a, b]}\n",
         "groups[2].bands: every choice must be in a band; not in any: c"),
        ("    bands:\n      - {code: ab, label: {en: X}, choices: [a, b, c]}\n",
         "groups[2].bands[0].label.zh: missing"),
        ("    bands:\n      - {code: a-b, label: {en: X, zh: X}, choices: [a, b, c]}\n",
         "groups[2].bands[0].code: 'a-b' must use only letters, digits and _"),
    ],
    ids=["unknown-choice", "two-bands", "left-out", "label-language", "bad-code"],
)
def test_band_mistakes(bands, message):
    assert message in _error(_with_years(bands))


def test_identifying_must_be_boolean_and_bands_need_choices():
    msg = _error(_with_years().replace("identifying: true", "identifying: yes please"))
    assert "groups[2].identifying: must be true or false, got 'yes please'" in msg
    msg = _error(TINY_YAML.replace(
        "{id: lab, type: text, required: true,",
        "{id: lab, type: text, required: true, bands: [],"))
    assert "groups[1].bands: only questions of type choice have bands" in msg


def test_flagship_marks_its_quasi_identifiers():
    inst = load("lab-culture")
    assert set(inst.identifying_ids) == {"lab_type", "lab", "role", "years_in_field", "student"}
    bands = inst.group("years_in_field").bands
    assert [b.choices for b in bands] == [("lt1", "y1_3"), ("y3_5", "y5_10"), ("y10plus",)]
