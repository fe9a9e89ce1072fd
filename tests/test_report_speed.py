"""What the faster report is made of gives what the slower one gave.

- Figures drawn by forked worker processes are the bytes drawn one after the other in
  this process, and the page built around stand-ins for them is the page built with them.
- A figure drawn in another process (another hash seed, fonts looked up anew) has the
  same bytes.
- The comparability checks and measurement model computed by a worker beside the
  comparison are those computed in this process, with the same progress messages.
- The workbook written by a forked worker (without figures) is the one written here.
- A worker that dies is not waited for: its work is done here.
- Answer charts started as soon as the groups are known (``prepare_report(figures=True)``)
  give the report drawn at the end, and the groups they use are those compared.
- ``--no-figures`` leaves out the figures and nothing else: the same tables and workbook,
  a page without charts.
- The p-value adjustment (Holm, Benjamini-Hochberg), done without importing pingouin,
  gives pingouin 0.7's numbers to the last bit, on seeded random families with ties and
  missing values.
- The console script asks for one BLAS thread unless the user set a thread count.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import SAMPLE_DATA
from watch_imports import run_watching

from analysis.report import figures as figures_module
from analysis.report import render_report
from analysis.report.tables import prepare_report
from analysis.stats import adjust_p
from survey.cli import cli
from tests.test_report import SMALL_YAML, _responses, _write_sample


@pytest.fixture(scope="module")
def report_data():
    from survey.instrument import loads

    return prepare_report(_responses(loads(SMALL_YAML, file="small.yaml")))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux")
def test_figures_from_workers_are_the_figures_drawn_here(report_data):
    here = figures_module.make_figures(report_data, processes=1)
    there = figures_module.make_figures(report_data, processes=2)
    assert list(there) == list(here) == [name for name, _ in
                                         figures_module.figure_jobs(report_data)]
    assert there == here


def test_the_page_with_stand_ins_is_the_page_with_the_figures(report_data, monkeypatch):
    from analysis.report.html import render_html

    drawn = figures_module.make_figures(report_data, processes=1)
    files = render_report(report_data)
    assert files["report.html"] == render_html(report_data, drawn)
    for name, (png, svg) in drawn.items():
        assert files[f"figures/{name}.png"] == png and files[f"figures/{name}.svg"] == svg


def test_no_figures_leaves_out_the_figures_only(report_data):
    full = render_report(report_data)
    bare = render_report(report_data, figures=False)
    assert not any(p.startswith("figures/") for p in bare)
    assert {p for p in full if not p.startswith("figures/")} == set(bare)
    for path, content in bare.items():
        if path != "report.html":
            assert content == full[path], path
    assert b'<figure id="figure-' in full["report.html"]
    assert b'<figure id="figure-' not in bare["report.html"]


def test_cli_no_figures(tmp_path):
    from survey.instrument import loads

    inst = tmp_path / "small.yaml"
    inst.write_text(SMALL_YAML, encoding="utf-8")
    data = tmp_path / "responses.csv"
    _write_sample(inst, _responses(loads(SMALL_YAML, file="small.yaml")), data)
    res = CliRunner().invoke(cli, ["report", str(data), "-i", str(inst), "--no-figures",
                                   "-o", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert res.output.strip().splitlines()[-1].endswith(
        "report.xlsx, no figures (--no-figures) and 28 tables")
    assert not (tmp_path / "out" / "figures").exists()
    assert (tmp_path / "out" / "report.html").exists()


def test_figures_are_the_same_bytes_in_another_process(report_data):
    """Drawn in a fresh interpreter (another hash seed, fonts looked up anew), every
    figure has the bytes drawn here."""
    import hashlib

    here = {name: [hashlib.sha256(b).hexdigest() for b in pair]
            for name, pair in figures_module.make_figures(report_data, processes=1).items()}
    code = (
        "import hashlib, json\n"
        "from analysis.report import figures\n"
        "from analysis.report.tables import prepare_report\n"
        "from survey.instrument import loads\n"
        "from tests.test_report import SMALL_YAML, _responses\n"
        "data = prepare_report(_responses(loads(SMALL_YAML, file='small.yaml')))\n"
        "drawn = figures.make_figures(data, processes=1)\n"
        "print(json.dumps({n: [hashlib.sha256(b).hexdigest() for b in p] "
        "for n, p in drawn.items()}))\n")
    import json

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = {**os.environ, "PYTHONHASHSEED": "12345",
           "PYTHONPATH": os.pathsep.join([root, os.path.join(root, "tests")])}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, check=True, cwd=root)
    assert json.loads(out.stdout) == here


@pytest.mark.parametrize("processes", [1, 2])
def test_workbook_from_a_worker_is_the_workbook_written_here(report_data, processes):
    from analysis.report.workbook import workbook
    from analysis.report.workers import start_workbook

    wait = start_workbook(report_data, processes=processes)
    assert wait() == workbook(report_data)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="workers are forked on Linux")
def test_checks_and_model_from_a_worker_are_those_computed_here(monkeypatch):
    """The comparability checks and measurement model, computed by a worker beside the
    comparison: the same tables, findings and progress messages, in the same order."""
    from analysis.report import workers
    from survey.instrument import loads

    rs = _responses(loads(SMALL_YAML, file="small.yaml"))
    runs = {}
    for cores in (2, 1):
        monkeypatch.setattr(workers, "cores", lambda cores=cores: cores)
        steps: list[str] = []
        runs[cores] = (prepare_report(rs, progress=steps.append), steps)
    (there, steps_there), (here, steps_here) = runs[2], runs[1]
    assert steps_there == steps_here
    assert there.tables.keys() == here.tables.keys()
    for name, table in here.tables.items():
        assert there.tables[name].equals(table), name
    assert there.checks == here.checks and there.measurement == here.measurement


def test_fork_call_gives_the_result_or_the_error_here():
    from analysis.report.workers import fork_call
    from survey.errors import SurveyError

    for processes in (1, 2):
        assert fork_call(lambda: {"a": [1.5, None]}, processes=processes)() == {"a": [1.5, None]}
        calls: list[int] = []

        def fails(calls: list[int] = calls) -> None:
            calls.append(1)
            raise SurveyError("bad input", column="x")

        wait = fork_call(fails, processes=processes)
        with pytest.raises(SurveyError, match="bad input"):
            wait()
        assert calls == [1]  # raised here (a worker's call is not seen here)


def test_a_worker_that_dies_is_not_waited_for(report_data, monkeypatch):
    """A worker killed while it works (out of memory, a signal) ends the pool instead of
    leaving the report waiting for it forever; the work is then done here, with the
    same bytes."""
    from analysis.report.workers import fork_call

    parent = os.getpid()
    real = figures_module.draw_figure

    def dies_in_a_worker(data, construct):
        if os.getpid() != parent:
            os._exit(9)
        return real(data, construct)

    expected = figures_module.make_figures(report_data, processes=1)
    monkeypatch.setattr(figures_module, "draw_figure", dies_in_a_worker)
    assert figures_module.make_figures(report_data, processes=2) == expected

    def work() -> str:
        if os.getpid() != parent:
            os._exit(9)
        return "done here"

    assert fork_call(work, processes=2)() == "done here"


def test_charts_started_with_the_groups_are_the_report_drawn_after(report_data):
    """prepare_report(figures=True) starts the answer charts before the comparisons are
    computed: the same tables, group shares and files as drawing them at the end."""
    from survey.instrument import loads

    early = prepare_report(_responses(loads(SMALL_YAML, file="small.yaml")), figures=True)
    assert early.drawing is not None and report_data.drawing is None
    assert early.comparison.groups == report_data.comparison.groups
    assert early.group_shares.equals(report_data.group_shares)
    for name, table in report_data.tables.items():
        assert early.tables[name].equals(table), name
    assert set(early.drawing()) == {name for name, _ in
                                    figures_module.answer_chart_jobs(report_data)}
    assert render_report(early) == render_report(report_data)
    assert render_report(early, figures=False) == render_report(report_data, figures=False)


def test_charts_not_started_when_the_groups_cannot_be_told():
    """A grouping question that cannot be compared starts nothing: the comparison gives
    its error as before."""
    from survey.errors import SurveyError
    from survey.instrument import loads

    rs = _responses(loads(SMALL_YAML, file="small.yaml"))
    with pytest.raises(SurveyError, match="min_group_n"):
        prepare_report(rs, min_group_n=1, figures=True)


def test_reported_groups_are_the_groups_compared():
    from analysis.compare import compare_groups, reported_groups
    from analysis.scoring import score_scales
    from survey.instrument import loads

    inst = loads(SMALL_YAML, file="small.yaml")
    for other, min_n in [(12, 5), (3, 5), (3, 3), (12, 13)]:
        scores = score_scales(_responses(inst, other=other))
        want = compare_groups(scores, inst, "lab_region", min_group_n=min_n).groups
        assert reported_groups(scores, inst, "lab_region", min_group_n=min_n) == want
    assert reported_groups(scores, inst, "lab_region", min_group_n=5) == (
        "china", "united_states", "other")
    assert reported_groups(scores, inst, "lab_region", min_group_n=13) == (
        "china", "united_states")
    assert reported_groups(scores, inst, "lab_region", min_group_n=37) == ()


@pytest.mark.parametrize("method", ["holm", "fdr_bh"])
def test_adjusted_p_values_are_pingouins(method):
    from pingouin import multicomp

    rng = np.random.default_rng(11)
    for _ in range(500):
        p = rng.random(int(rng.integers(1, 14))) ** int(rng.integers(1, 5))
        if rng.random() < 0.3:
            p = np.round(p, 2)  # ties
        if rng.random() < 0.3:
            p[rng.random(p.size) < 0.3] = np.nan
        if np.isnan(p).all():
            continue
        want = np.asarray(multicomp(p.copy(), method=method)[1], dtype=float)
        got = adjust_p(p, method)
        np.testing.assert_array_equal(got, want)


def test_report_imports_no_pingouin_nor_matplotlib(tmp_path):
    """Neither is loaded by a report with its figures drawn, in the main process or its
    workers."""
    out = tmp_path / "report"
    sample = SAMPLE_DATA / "lab_culture_responses.xlsx"
    run = run_watching(tmp_path, [["report", str(sample), "-o", str(out), "-q"]],
                       ["pingouin", "matplotlib"])
    assert run.imported == "" and run.loaded == []
    assert (out / "figures" / "hypotheses_forest.png").is_file()


@pytest.mark.parametrize(("given", "expected"), [
    ({}, "1"),
    ({"OMP_NUM_THREADS": "3"}, None),
    ({"OPENBLAS_NUM_THREADS": "2"}, "2"),
])
def test_one_blas_thread_unless_the_user_says(given, expected):
    code = ("import os\n"
            "from survey.cli import _one_blas_thread\n"
            "_one_blas_thread()\n"
            "print(os.environ.get('OPENBLAS_NUM_THREADS'), os.environ.get('OMP_NUM_THREADS'))\n")
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                        "VECLIB_MAXIMUM_THREADS", "OMP_NUM_THREADS")}
    env.update(given)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env=env, check=True)
    blas, omp = done.stdout.split()
    assert blas == str(expected)
    assert omp == given.get("OMP_NUM_THREADS", "None")
