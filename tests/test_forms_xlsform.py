"""XLSForm export, checked with pyxform and ODK Validate; and the ``survey export`` command.

Documentation the checks follow:

- XLSForm specification, https://xlsform.org/en/ : ``survey``/``choices``/``settings``
  sheets; ``label::Language (code)`` columns; ``begin_group``/``end_group``;
  ``select_one <list_name>``; ``required``; ``appearance``; ``settings`` columns
  ``form_title``, ``form_id``, ``version``, ``default_language``.
- ODK documentation, "Form question types" (https://docs.getodk.org/form-question-types/),
  tables/grids: a ``field-list`` group whose first ``select_one`` has appearance ``label``
  and whose other questions have ``list-nolabel``.
- pyxform 4.5 ``pyxform.xls2xform.convert(xlsform, warnings, validate, ...)``, which with
  ``validate=True`` also runs ODK Validate (JavaRosa, the parser of ODK Collect) and
  raises on an invalid form; a label column missing for some rows is a warning.
"""

from __future__ import annotations

import io
import shutil
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from survey.cli import cli
from survey.errors import ExportError
from survey.forms import FORMATS, export, format_module, xlsform
from survey.instrument import load, loads

XF = "{http://www.w3.org/2002/xforms}"
H = "{http://www.w3.org/1999/xhtml}"


def _convert(data: bytes, validate: bool = False):
    from pyxform.xls2xform import convert

    warnings: list[str] = []
    result = convert(data, warnings=warnings, validate=validate, file_type=".xlsx")
    return result, warnings + list(result.warnings)


def _sheets(data: bytes) -> dict[str, list[tuple]]:
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb}


def _instance(xform: str) -> ET.Element:
    root = ET.fromstring(xform)
    inst = root.find(f"{H}head/{XF}model/{XF}instance")
    return inst[0]


def _itext(xform: str) -> dict[str, dict[str, str]]:
    """language -> text id -> text."""
    root = ET.fromstring(xform)
    out: dict[str, dict[str, str]] = {}
    for tr in root.iter(f"{XF}translation"):
        texts = {}
        for t in tr.iter(f"{XF}text"):
            value = t.find(f"{XF}value")
            texts[t.get("id")] = value.text if value is not None else ""
        out[tr.get("lang")] = texts
    return out


@pytest.fixture(scope="module")
def lab_culture():
    return load("lab-culture")


@pytest.fixture(scope="module")
def bilingual(lab_culture):
    return xlsform.write(lab_culture, None)


@pytest.mark.skipif(shutil.which("java") is None, reason="ODK Validate needs Java")
def test_flagship_passes_odk_validate_without_warnings(bilingual, lab_culture, monkeypatch):
    import pyxform.validators.odk_validate as odk

    codes = []
    call = odk._call_validator

    def spy(**kwargs):
        result = call(**kwargs)
        codes.append(result.return_code)
        return result

    monkeypatch.setattr(odk, "_call_validator", spy)
    result, warnings = _convert(bilingual, validate=True)
    assert codes == [0]  # ODK Validate ran and accepted the form
    assert warnings == []
    data = _instance(result.xform)
    assert data.get("id") == "lab_culture"
    assert data.get("version") == lab_culture.version


def test_every_item_once_in_its_construct_group(bilingual, lab_culture):
    result, _ = _convert(bilingual)
    data = _instance(result.xform)
    names = [el.tag.removeprefix(XF) for el in data.iter()]
    for item in lab_culture.items:
        assert names.count(item.id) == 1
        group = data.find(XF + item.construct)
        assert group is not None and group.find(XF + item.id) is not None
    for g in lab_culture.groups:
        assert data.find(XF + g.id) is not None
    for chk in lab_culture.checks:
        assert names.count(chk.id) == 1


def test_both_languages_carry_every_item_text(bilingual, lab_culture):
    result, _ = _convert(bilingual)
    itext = _itext(result.xform)
    assert set(itext) == {"English (en)", "Chinese (zh)"}
    for item in lab_culture.items:
        key = f"/data/{item.construct}/{item.id}:label"
        assert itext["English (en)"][key] == item.text["en"]
        assert itext["Chinese (zh)"][key] == item.text["zh"]


def test_single_language_has_one_label_column(lab_culture):
    data = xlsform.write(lab_culture, "en")
    sheets = _sheets(data)
    assert sheets["survey"][0] == ("type", "name", "label::English (en)", "required",
                                   "appearance")
    assert sheets["choices"][0] == ("list_name", "name", "label::English (en)")
    result, warnings = _convert(data)
    assert warnings == []
    assert set(_itext(result.xform)) == {"English (en)"}


def test_sheets_columns_and_settings(bilingual, lab_culture):
    sheets = _sheets(bilingual)
    assert list(sheets) == ["survey", "choices", "settings"]
    assert sheets["survey"][0] == (
        "type", "name", "label::English (en)", "label::Chinese (zh)", "required", "appearance"
    )
    assert sheets["settings"] == [
        ("form_title", "form_id", "version", "default_language"),
        ("Working Culture in AI Labs", "lab_culture", "1.0.0", "English (en)"),
    ]


def test_groups_matrix_rows_and_required(tiny_instrument):
    rows = _sheets(xlsform.write(tiny_instrument, None))["survey"][1:]
    by_name = {r[1]: r for r in rows if r[1]}
    assert by_name["lab_region"][0] == "select_one lab_region"
    assert by_name["lab_region"][4] == "yes"
    assert by_name["lab"][:2] == ("text", "lab")
    assert by_name["alpha_c"][0] == "begin_group"
    assert by_name["alpha_c"][5] == "field-list"
    assert by_name["alpha_c_scale"][5] == "label"
    assert by_name["alpha_c_scale"][2:4] == (xlsform.MATRIX_PROMPT["en"],
                                             xlsform.MATRIX_PROMPT["zh"])
    for name in ("a1", "a2", "attn1"):
        assert by_name[name][0] == "select_one agree5"
        assert by_name[name][4] is None  # items may be left blank
        assert by_name[name][5] == "list-nolabel"
    types = [r[0] for r in rows]
    assert types.count("begin_group") == types.count("end_group") == 1
    # the check sits inside the grid, before end_group
    assert types.index("end_group") > [r[1] for r in rows].index("attn1")


def test_choices_lists(tiny_instrument):
    choices = _sheets(xlsform.write(tiny_instrument, None))["choices"][1:]
    assert [(r[0], r[1]) for r in choices] == [
        ("agree5", "1"), ("agree5", "2"), ("agree5", "3"), ("agree5", "4"), ("agree5", "5"),
        ("lab_region", "china"), ("lab_region", "united_states"),
    ]
    assert choices[0][2:] == ("Strongly disagree", "非常不同意")
    assert choices[6][2:] == ("United States", "美国")


def test_check_with_another_scale_follows_the_grid(tiny_yaml):
    text = tiny_yaml.replace(
        "scales:\n",
        "scales:\n  yes2: {points: [0, 1], labels: {en: ['No', 'Yes'], zh: [否, 是]}}\n",
    ).replace("scale: agree5, expect: 4", "scale: yes2, expect: 1")
    rows = _sheets(xlsform.write(loads(text), None))["survey"][1:]
    names = [r[1] for r in rows]
    attn = rows[names.index("attn1")]
    assert attn[0] == "select_one yes2" and attn[5] == "likert"
    assert [r[0] for r in rows].index("end_group") < names.index("attn1")
    _, warnings = _convert(xlsform.write(loads(text), None))
    assert warnings == []


def test_name_clash_is_an_export_error(tiny_yaml):
    clash = loads(tiny_yaml.replace("alpha_c", "lab"))
    with pytest.raises(ExportError, match="'lab'"):
        xlsform.write(clash, None)


def test_formula_like_text_is_neutralised(tiny_yaml):
    inst = loads(tiny_yaml.replace("{en: A one,", "{en: '=1+1',"))
    rows = _sheets(xlsform.write(inst, None))["survey"]
    assert ("select_one agree5", "a1", "'=1+1", "甲一", None, "list-nolabel") in rows


def test_output_is_deterministic(lab_culture, bilingual):
    assert xlsform.write(lab_culture, None) == bilingual


def test_language_label_and_check_slots(lab_culture):
    assert xlsform.language_label("en") == "English (en)"
    assert xlsform.language_label("tlh") == "tlh (tlh)"
    assert {k: [c.id for c in v] for k, v in xlsform.check_slots(lab_culture).items()} == {
        lab_culture.constructs[3].id: ["attn1"]
    }


# ---- the export command ---------------------------------------------------------------

def test_export_help_lists_every_format():
    result = CliRunner().invoke(cli, ["export", "--help"])
    assert result.exit_code == 0
    for name in FORMATS:
        assert name in result.output
        assert format_module(name).FORMAT.suffix in result.output


def test_unknown_format_is_one_line_exit_2(tmp_path):
    result = CliRunner().invoke(cli, ["export", "-f", "qualtrix", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "unknown format 'qualtrix'" in result.stderr
    assert "did you mean 'qualtrics'?" in result.stderr
    assert not (tmp_path / "x").exists()


def test_unknown_language_is_one_line_exit_2(tmp_path):
    out = tmp_path / "x.txt"
    result = CliRunner().invoke(cli, ["export", "-f", "redcap", "-l", "xx", "-o", str(out)])
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1
    assert "language 'xx' is not in this instrument" in result.stderr
    assert not out.exists()


@pytest.mark.parametrize("name", ["xlsform", "qualtrics", "limesurvey", "redcap"])
def test_export_command_writes_the_library_bytes(tmp_path, name, lab_culture):
    out = tmp_path / f"form{format_module(name).FORMAT.suffix}"
    result = CliRunner().invoke(cli, ["export", "-f", name, "-l", "zh", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == export(lab_culture, name, "zh")
