"""Every layout the import reads, end to end: form export -> ``survey simulate --layout``
-> ``survey import`` -> report numbers equal to the template layout's.

The same simulated respondents (one seed) are written in each layout, as codes and as
labels, read back, and the report's tables (hypotheses, reliability, descriptives,
omnibus and pairwise tests, items, comparability checks, scores) must equal those of the
template layout exactly. Each layout is also converted to an old Excel ``.xls`` workbook
(written with xlwt) and must import to the same data.
"""

from __future__ import annotations

import csv
import importlib.util
import io
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from survey.cli import cli
from survey.instrument import load
from survey.responses import read_responses
from survey.responses.layouts import LAYOUTS

SIMULATE = ["--seed", "4", "--labs", "4", "--respondents-per-lab", "6-8"]
#: (layout, file type, --labels) -> the form format the layout answers.
CASES = {
    ("template", ".csv", None): "xlsx",
    ("template", ".xlsx", "zh"): "xlsx",
    ("kobo", ".csv", None): "xlsform",
    ("kobo", ".xlsx", "zh"): "xlsform",
    ("qualtrics", ".csv", None): "qualtrics",
    ("qualtrics", ".csv", "en"): "qualtrics",
    ("limesurvey", ".csv", None): "limesurvey",
    ("redcap", ".csv", None): "redcap",
    ("redcap", ".csv", "en"): "redcap",
    ("wjx", ".csv", None): "wjx",
    ("wjx", ".xlsx", "zh"): "wjx",
    ("wjx", ".csv", "en"): "wjx",
}
IDS = [f"{layout}{suffix}{'-' + lang if lang else ''}" for layout, suffix, lang in CASES]


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    """The template layout's import and report tables."""
    from analysis.report import prepare_report

    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.xlsx"
    _run("simulate", *SIMULATE, "-o", str(path))
    rs = read_responses(path, load("lab-culture"))
    return rs, prepare_report(rs).tables


def test_every_layout_is_covered():
    assert {layout for layout, _, _ in CASES} == set(LAYOUTS)
    from survey.responses import PLATFORMS

    assert set(LAYOUTS) == set(PLATFORMS)


def _same_tables(got: dict, want: dict) -> None:
    assert set(got) == set(want)
    for name in want:
        if name == "import_log":
            continue
        pd.testing.assert_frame_equal(got[name], want[name], check_exact=True, obj=name)


@pytest.mark.parametrize(("layout", "suffix", "lang"), list(CASES), ids=IDS)
def test_round_trip_gives_the_template_numbers(tmp_path, template, layout, suffix, lang):
    from analysis.report import prepare_report

    fmt = CASES[(layout, suffix, lang)]
    form_suffix = {"xlsx": ".xlsx", "xlsform": ".xlsx"}.get(fmt, ".txt" if fmt in (
        "qualtrics", "limesurvey", "wjx") else ".csv")
    _run("export", "-f", fmt, "-o", str(tmp_path / f"form{form_suffix}"))
    path = tmp_path / f"answers{suffix}"
    args = ["simulate", *SIMULATE, "--layout", layout, "-o", str(path)]
    if lang:
        args += ["--labels", lang]
    assert _run(*args).startswith(f"wrote {path} (")
    out = _run("import", str(path), "-o", str(tmp_path / "clean.csv"))
    assert f"platform {layout} (recognised from the header)" in out
    rs = read_responses(path, load("lab-culture"))
    want_rs, want_tables = template
    assert rs.log.platform == layout
    assert rs.simulated
    pd.testing.assert_frame_equal(rs.data, want_rs.data)
    assert rs.meta["flags"].tolist() == want_rs.meta["flags"].tolist()
    assert (rs.log.rows_read, rs.log.rows_accepted) == (want_rs.n, want_rs.n)
    if lang is None:
        # the report is a function of the data, flags and ids compared above; compute it
        # once per layout (the label variants import to the same frame)
        _same_tables(prepare_report(rs).tables, want_tables)


def _rows(path: Path) -> list[list[object]]:
    """Every row of a written layout file, cells as they are."""
    data = path.read_bytes()
    if path.suffix == ".xlsx":
        from openpyxl import load_workbook

        ws = load_workbook(io.BytesIO(data)).worksheets[0]
        return [list(r) for r in ws.iter_rows(values_only=True)]
    text = data.decode("utf-8-sig")
    delimiter = ";" if text.startswith('"start";') else ","
    return [list(r) for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]


@pytest.mark.skipif(importlib.util.find_spec("xlwt") is None,
                    reason="xlwt (test extra) writes the .xls files")
@pytest.mark.parametrize(("layout", "suffix", "lang"), list(CASES), ids=IDS)
def test_every_layout_as_an_old_xls_workbook(tmp_path, template, layout, suffix, lang):
    import xlwt

    path = tmp_path / f"answers{suffix}"
    args = ["simulate", *SIMULATE, "--layout", layout, *(["--labels", lang] if lang else [])]
    _run(*args, "-o", str(path))
    again = tmp_path / f"again{suffix}"
    _run(*args, "-o", str(again))
    assert again.read_bytes() == path.read_bytes()  # same seed, same bytes
    wb = xlwt.Workbook(encoding="utf-8")
    ws = wb.add_sheet("Sheet1")
    for i, row in enumerate(_rows(path)):
        for j, v in enumerate(row):
            if v not in (None, ""):
                ws.write(i, j, v)
    xls = tmp_path / "answers.xls"
    wb.save(str(xls))
    rs = read_responses(xls, load("lab-culture"))
    assert rs.log.platform == layout
    assert "format: .xls (Excel 97-2003 workbook)" in rs.log.notes
    pd.testing.assert_frame_equal(rs.data, template[0].data)


@pytest.mark.slow
def test_wjx_report_through_the_cli_equals_the_template_report(tmp_path, template):
    """The issue's full path: survey export -f wjx -> simulate --layout wjx -> import ->
    report; every table the report writes equals the template layout's, byte for byte."""
    from survey.outputs import csv_bytes

    _run("export", "-f", "wjx", "-o", str(tmp_path / "form.txt"))
    path = tmp_path / "answers.csv"
    _run("simulate", *SIMULATE, "--layout", "wjx", "-o", str(path))
    _run("import", str(path), "-o", str(tmp_path / "clean.csv"))
    out = _run("report", str(path), "-o", str(tmp_path / "report"))
    assert "note: simulated data (every respondent id starts with SIM-)" in out
    tables = tmp_path / "report" / "tables"
    names = sorted(p.stem for p in tables.iterdir())
    assert names == sorted(template[1])
    for name in names:
        if name != "import_log":
            assert (tables / f"{name}.csv").read_bytes() == csv_bytes(template[1][name]), name
