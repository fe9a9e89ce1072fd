"""The command line: help on every command, check, instruments, codebook export."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from survey.cli import COMMANDS, cli
from survey.instrument import load


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


def test_top_level_help_lists_every_command(runner):
    result = runner.invoke(cli, ["--help"])
    assert result.exit_code == 0
    for name in COMMANDS:
        assert name in result.output


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_has_help(runner, name):
    result = runner.invoke(cli, [name, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output


def _params(name: str) -> dict:
    return {p.name: p for p in cli.get_command(None, name).params}


@pytest.mark.parametrize("name", ["compare", "report", "prereg"])
def test_analysis_options_agree_with_the_library_and_each_other(name):
    """A preregistration records --adjust and --min-answered and the report checks them:
    the commands offer the library's adjustments and share one default."""
    from analysis.stats import ADJUST_METHODS

    params = _params(name)
    assert tuple(params["adjust"].type.choices) == ADJUST_METHODS
    assert params["adjust"].default == "holm"
    assert params["min_answered"].default == 0.5
    if name != "prereg":
        assert params["cluster"].default is None
        assert params["equivalence"].default is None


def test_help_does_not_import_heavy_libraries():
    code = (
        "import sys; from survey.cli import cli\n"
        "try:\n    cli.main(['--help'], standalone_mode=False)\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('pandas', 'numpy', 'pingouin', 'scipy', 'openpyxl', 'matplotlib')"
        " if m in sys.modules]\nprint('HEAVY:' + ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "HEAVY:"


@pytest.mark.parametrize("name", list(COMMANDS))
def test_command_help_does_not_import_heavy_libraries(name):
    """``survey CMD --help`` loads the command's module: it must stay light too."""
    code = (
        "import sys; from survey.cli import cli\n"
        f"try:\n    cli.main([{name!r}, '--help'], standalone_mode=False)\n"
        "except SystemExit:\n    pass\n"
        "heavy = [m for m in ('pandas', 'numpy', 'pingouin', 'scipy', 'openpyxl', 'matplotlib',"
        " 'python_calamine', 'pyreadstat', 'statsmodels') if m in sys.modules]\n"
        "print('HEAVY:' + ','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "HEAVY:"


def test_check_bundled_instrument(runner):
    result = runner.invoke(cli, ["check"])
    assert result.exit_code == 0
    inst = load("lab-culture")
    assert result.output.startswith(f"ok: lab-culture {inst.version}: {len(inst.constructs)} constructs")


def test_check_reports_problems_with_exit_2(runner, tmp_path, tiny_yaml):
    bad = tmp_path / "instrument.yaml"
    bad.write_text(tiny_yaml.replace("expect: 4", "expect: 8"), encoding="utf-8")
    result = runner.invoke(cli, ["check", str(bad)])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        f"error: {bad}: checks[0].expect: 8 is not a point of scale 'agree5' (1, 2, 3, 4, 5)"
    )
    assert "Traceback" not in result.output


def test_check_unknown_instrument(runner):
    result = runner.invoke(cli, ["check", "lab-cultur"])
    assert result.exit_code == 2
    assert "did you mean 'lab-culture'?" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("command", [["check"], ["export", "-f", "codebook", "-o", "c.md"],
                                     ["simulate", "--labs", "2", "-o", "s.csv"]])
def test_instrument_commands_also_take_dash_i(runner, tmp_path, monkeypatch, tiny_yaml,
                                             command):
    """The commands about an instrument take it as INSTRUMENT or as -i, as those reading
    responses do; the same file either way, and two different ones are refused."""
    path = tmp_path / "tiny.yaml"
    path.write_text(tiny_yaml, encoding="utf-8")
    (tmp_path / "out").mkdir()
    monkeypatch.chdir(tmp_path / "out")
    first = runner.invoke(cli, [*command, str(path)])
    made = {p.name: p.read_bytes() for p in Path().iterdir()}
    second = runner.invoke(cli, [*command, "-i", str(path)])
    again = {p.name: p.read_bytes() for p in Path().iterdir()}
    both = runner.invoke(cli, [*command, str(path), "-i", "lab-culture"])
    assert first.exit_code == second.exit_code == 0, (first.output, second.output)
    assert first.output == second.output and made == again
    assert both.exit_code == 2
    assert both.stderr == (f"error: two instruments given ('{path}' and -i 'lab-culture'); "
                           "name it once\n")


def test_instruments_lists_the_flagship(runner):
    result = runner.invoke(cli, ["instruments"])
    assert result.exit_code == 0
    assert result.output.startswith("lab-culture\t")


def test_codebook_export(runner, tmp_path):
    out = tmp_path / "codebook.md"
    result = runner.invoke(cli, ["export", "-f", "codebook", "-o", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    inst = load("lab-culture")
    assert text.startswith("# Codebook: ")
    for item in inst.items:
        rows = [line for line in text.splitlines() if line.startswith(f"| {item.id} |")]
        assert len(rows) == 1, item.id
        keying = "reverse" if item.reverse else "forward"
        assert f"| {keying} | {item.construct} |" in rows[0]
        assert item.text["en"].replace("|", "\\|") in rows[0]
        assert item.text["zh"] in rows[0]
        assert "1 = Strongly disagree / 非常不同意" in rows[0]
    for h in inst.hypotheses:
        assert f"| {h.id} | {h.construct} | {h.by} | {h.higher} > {h.lower} |" in text


def test_codebook_single_language(runner, tmp_path):
    out = tmp_path / "codebook.md"
    result = runner.invoke(cli, ["export", "-f", "codebook", "-l", "zh", "-o", str(out)])
    assert result.exit_code == 0
    text = out.read_text(encoding="utf-8")
    assert "Strongly disagree" not in text and "非常不同意" in text


def test_export_unknown_format_and_language(runner, tmp_path):
    result = runner.invoke(cli, ["export", "-f", "codebok", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: unknown format 'codebok'; choose one of ")
    assert "did you mean 'codebook'?" in result.stderr
    result = runner.invoke(cli, ["export", "-f", "codebook", "-l", "fr", "-o", str(tmp_path / "x")])
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: language 'fr' is not in this instrument; it has en, zh."
    )


@pytest.mark.parametrize("args, message", [
    (["nope"], "error: No such command 'nope'. (see survey --help)"),
    (["compare"], "error: Missing argument 'RESPONSES'. (see survey compare --help)"),
    (["score"], "error: Missing argument 'RESPONSES'. (see survey score --help)"),
    (["compare", "x.csv", "--by"],
     "error: Option '--by' requires an argument. (see survey compare --help)"),
    (["export", "-f"], "error: Option '-f' requires an argument. (see survey export --help)"),
])
def test_usage_mistakes_are_one_line(runner, args, message):
    result = runner.invoke(cli, args, prog_name="survey")
    assert result.exit_code == 2
    assert result.stderr.strip() == message
    assert result.output.strip() == message  # nothing on stdout either


@pytest.mark.parametrize("name", ["import", "score", "compare", "report", "validate",
                                  "share"])
def test_a_file_named_like_an_option_gets_the_same_advice_from_every_command(
        runner, tmp_path, monkeypatch, name):
    """Every command that reads a response file gives the advice ``survey import`` gives."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "-resp.csv").write_text("respondent_id\n", encoding="utf-8")
    result = runner.invoke(cli, [name, "-resp.csv", "-o", "out"], prog_name="survey")
    assert result.exit_code == 2
    assert result.stderr.strip() == (
        "error: No such option '-r'; '-resp.csv' looks like a file: a name starting with - "
        f"goes after --, as in survey {name} -- -resp.csv (see survey {name} --help)")
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("name", list(COMMANDS))
def test_every_command_words_usage_mistakes_as_one_line(name):
    """Every command is a OneLineCommand: a usage mistake is one line naming the command."""
    from survey.commands._common import OneLineCommand

    assert isinstance(cli.get_command(None, name), OneLineCommand)
