"""Whole-process ``survey report`` on the bundled sample, and where its time goes.

Runs ``survey report sample_data/lab_culture_responses.xlsx -o DIR`` (585 respondents,
48 items, 8 hypotheses) and the same with ``--no-figures``, each ``--repeat`` times as its
own process, and prints the median wall time of each (goals: at most 2.5 s, and at most
1.5 s without figures), the same for ``python -c "import click"`` and ``survey --help``
(goal: ``--help`` under 3 times the bare click import), and the load average.

Then, in one process, the command once more with a clock around each phase (medians of
``--repeat`` runs, each in a fresh process): start-up and imports, reading the file,
the analysis (scores, comparisons, reliability, items, hypotheses), the comparability
checks and the measurement model (computed by a worker beside the comparisons when there
is a core to spare: the time waiting for it counts as comparability), the figures
(starting the workers and waiting for them: the time the figures add), the HTML page,
the workbook (written by a worker beside the page: the time waiting for it adds),
and the rest (tables written, files saved). The phases are the
report's own functions, wrapped by name, so the figures are as a user gets them. Run
with the Python ``survey`` is installed in, from the repository root::

    python bench/report_speed.py [--repeat 3] [--survey CMD] [--responses FILE]

Nothing here is a test; timings depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from common import load_average, median_of, survey_command

REPO = Path(__file__).resolve().parents[1]

#: Runs the report command in this process with a clock around each phase; prints JSON.
PHASES_JOB = r"""
import json, sys, time
t0 = time.perf_counter()
spent = {}
inside = []  # [time spent in clocked calls within] per clocked call under way
def clocked(module, name, phase):
    # clock calls of module.name as phase, less the time of clocked calls within
    import importlib
    mod = importlib.import_module(module)
    real = getattr(mod, name)
    def timed(*args, **kwargs):
        start = time.perf_counter()
        inside.append(0.0)
        try:
            return real(*args, **kwargs)
        finally:
            elapsed = time.perf_counter() - start
            within = inside.pop()
            spent[phase] = spent.get(phase, 0.0) + elapsed - within
            if inside:
                inside[-1] += elapsed
    setattr(mod, name, timed)
    return timed

from survey.cli import cli
import survey.commands.report
import analysis.report.tables as tables
import analysis.report as report
ready = time.perf_counter()
clocked("survey.commands._common", "load_instrument", "read")
survey.commands.report.load_instrument = sys.modules["survey.commands._common"].load_instrument
clocked("survey.responses", "read_responses", "read")
# the whole of the tables' computation is analysis, less the phases clocked within it
# (the imports it needs, scipy's among them, and the hypotheses count here)
report.prepare_report = clocked("analysis.report.tables", "prepare_report", "analysis")
def beside(real, phase_of):
    # clock the start of work done beside this process and the wait for it
    def started(*args, **kwargs):
        phase = phase_of()
        begin = time.perf_counter()
        wait = real(*args, **kwargs)
        elapsed = time.perf_counter() - begin
        spent[phase] = spent.get(phase, 0.0) + elapsed
        if inside:
            inside[-1] += elapsed
        def waited():
            begin = time.perf_counter()
            inside.append(0.0)
            try:
                return wait()
            finally:
                elapsed = time.perf_counter() - begin
                spent[phase] += elapsed - inside.pop()
                if inside:
                    inside[-1] += elapsed
        return waited
    return started
for name in ("score_scales", "compare_groups", "assess_reliability", "analyse_items"):
    module = {"score_scales": "analysis.scoring", "compare_groups": "analysis.compare",
              "assess_reliability": "analysis.reliability",
              "analyse_items": "analysis.reliability"}[name]
    setattr(tables, name, clocked(module, name, "analysis"))
# the checks the worker runs (group_checks; an older version: run_checks, all of them)
import analysis.report.comparability as comparability
checks = "group_checks" if hasattr(comparability, "group_checks") else "run_checks"
setattr(tables, checks, clocked("analysis.report.comparability", checks, "comparability"))
tables.run_measurement = clocked("analysis.report.measurement", "run_measurement",
                                 "measurement model")
import analysis.report.figures as figures
if not hasattr(figures, "start_figures"):  # a version that draws in make_figures
    clocked("analysis.report.figures", "make_figures", "figures")
start = getattr(figures, "start_figures", None)
if start is not None:
    figures.start_figures = beside(start, lambda: "figures")
clocked("analysis.report.html", "render_html", "html")
clocked("analysis.report.workbook", "workbook", "xlsx")
try:
    import analysis.report.workers as workers
except ImportError:  # a version that writes the workbook here
    workers = None
if workers is not None:
    # work done by a worker beside this process counts as the time it adds here: the
    # workbook's (without figures) as xlsx, the checks' and model's as comparability
    in_book = []
    start_book = workers.start_workbook
    def book(*args, **kwargs):
        in_book.append(1)
        try:
            return start_book(*args, **kwargs)
        finally:
            in_book.pop()
    if hasattr(workers, "fork_call"):
        workers.fork_call = beside(workers.fork_call,
                                   lambda: "xlsx" if in_book else "comparability")
        workers.start_workbook = book
    else:
        workers.start_workbook = beside(start_book, lambda: "xlsx")
try:
    cli.main(sys.argv[1:], prog_name="survey", standalone_mode=False)
except SystemExit:
    pass
end = time.perf_counter()
spent["start-up and imports"] = ready - t0
spent["rest"] = end - ready - sum(v for k, v in spent.items() if k != "start-up and imports")
print(json.dumps(spent))
"""

ORDER = ("start-up and imports", "read", "analysis", "comparability", "measurement model",
         "figures", "html", "xlsx", "rest")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--survey", default=None,
                        help="command to time instead of the survey beside this Python")
    parser.add_argument("--responses", default=str(REPO / "sample_data" /
                                                    "lab_culture_responses.xlsx"))
    args = parser.parse_args()
    survey = survey_command(args.survey)

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "report"
        print(f"survey report {Path(args.responses).name}: median of {args.repeat} runs, "
              "each its own process")
        print(f"load average before: {load_average()}")
        t_full, peak, _ = median_of(args.repeat, [*survey, "report", args.responses,
                                                  "-o", str(out)])
        print(f"  survey report                  {t_full:6.2f} s  (peak {peak:.0f} MB; "
              "goal: at most 2.5 s)")
        try:
            t_bare, peak, _ = median_of(args.repeat, [*survey, "report", args.responses,
                                                      "--no-figures", "-o", str(out)])
            print(f"  survey report --no-figures     {t_bare:6.2f} s  (peak {peak:.0f} MB; "
                  "goal: at most 1.5 s)")
            variants: list[list[str]] = [[], ["--no-figures"]]
        except SystemExit:
            print("  survey report --no-figures     (this version has no --no-figures)")
            variants = [[]]
        t_click, _, _ = median_of(max(args.repeat, 5), [sys.executable, "-c", "import click"])
        t_help, _, _ = median_of(max(args.repeat, 5), [*survey, "--help"])
        print(f"  python -c 'import click'       {t_click:6.3f} s")
        print(f"  survey --help                  {t_help:6.3f} s  ({t_help / t_click:.1f}x "
              "the click import; goal: under 3x)")

        job = Path(tmp) / "phases.py"
        job.write_text(PHASES_JOB, encoding="utf-8")
        # the Python the timed survey runs on: beside its console script, else this one
        beside = Path(survey[0]).with_name("python")
        python = survey[0] if survey[0].endswith("python") else (
            str(beside) if beside.exists() else sys.executable)
        for extra in variants:
            runs = []
            for _ in range(args.repeat):
                done = subprocess.run([python, str(job), "report", args.responses,
                                       *extra, "-q", "-o", str(out)], cwd=tmp,
                                      capture_output=True, text=True, check=True)
                runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"\nwhere the time goes: survey report {' '.join(extra)}"
                  f" (median of {args.repeat}, in-process clock)")
            total = 0.0
            for phase in ORDER:
                values = [r.get(phase, 0.0) for r in runs]
                value = statistics.median(values)
                total += value
                print(f"  {phase:22s} {value:6.3f} s")
            print(f"  {'sum':22s} {total:6.3f} s")
        print(f"load average after:  {load_average()}")


if __name__ == "__main__":
    main()
