"""The ``survey`` command.

A click group whose subcommands live one per module in :mod:`survey.commands` and are
imported only when run (or when their help is shown), so ``survey --help`` never loads
pandas or the statistics stack. This is the only place that turns a
:class:`~survey.errors.SurveyError` into a one-line message and exit code 2.
"""

from __future__ import annotations

import importlib
import sys

import click

from survey import __version__
from survey.errors import SurveyError

__all__ = ["COMMANDS", "cli", "main"]

#: command name -> "module:function", in the order shown by ``survey --help``.
COMMANDS: dict[str, str] = {
    "instruments": "survey.commands.instruments:instruments",
    "check": "survey.commands.instruments:check",
    "export": "survey.commands.export:export",
    "import": "survey.commands.importing:import_",
    "score": "survey.commands.score:score",
    "compare": "survey.commands.compare:compare",
    "report": "survey.commands.report:report",
    "validate": "survey.commands.validate:validate",
    "simulate": "survey.commands.simulate:simulate",
    "plan": "survey.commands.plan:plan",
    "prereg": "survey.commands.prereg:prereg",
    "share": "survey.commands.share:share",
}

#: One-line help per command, so the top-level help needs no imports.
SHORT_HELP: dict[str, str] = {
    "instruments": "List the bundled instruments.",
    "check": "Validate an instrument.",
    "export": "Export an instrument as a form or codebook.",
    "import": "Import and validate a platform's response export.",
    "score": "Score every construct: one scale score per respondent.",
    "compare": "Compare groups on every construct; a verdict per hypothesis.",
    "report": "Write the comparison report: HTML, workbook, figures and tables.",
    "validate": "Check the measurement model: dimensions, full CFA, validity, latent means.",
    "simulate": "Simulate responses from the hypotheses (labelled as simulated).",
    "plan": "Labs and respondents per lab needed to detect a difference.",
    "prereg": "Write the preregistration: hypotheses, sampling and analysis plan.",
    "share": "Write a de-identified data package of the responses to share.",
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when it is needed."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        return getattr(importlib.import_module(module_name), attr)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SHORT_HELP.get(name, "")) for name in COMMANDS]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except SurveyError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)
        except click.UsageError as exc:
            # one line like every other error, not click's usage block
            where = exc.ctx.command_path if exc.ctx is not None else ctx.command_path
            if where == ctx.command_path and ctx.invoked_subcommand:
                where = f"{where} {ctx.invoked_subcommand}"
            message = " ".join(exc.format_message().split())
            click.echo(f"error: {message} (see {where} --help)", err=True)
            ctx.exit(2)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="survey")
def cli() -> None:
    """Survey instruments for comparing the working cultures of AI labs.

    INSTRUMENT is a path to an instrument.yaml or a folder holding one, or the name of
    a bundled instrument (default: lab-culture).

    \b
    Exit codes: 0 success; 1 finished but something needs attention (only with a
    strictness flag); 2 bad input or usage, with a one-line message.
    """


def main() -> None:
    """Entry point of the console script.

    When the command is done the process ends at once, without tearing the interpreter
    down: freeing every module and object of pandas, pyarrow and scipy one by one
    takes a tenth of a second and changes nothing, since every file has been written and
    closed by then. The output streams are flushed first.
    """
    _one_blas_thread()
    _fewer_collections()
    try:
        cli.main(prog_name="survey")
        code = 0
    except SystemExit as exc:
        code = exc.code
    _exit(code)


#: Allocations between two collections of the youngest generation of the cycle collector
#: (Python's default is 700).
GC_THRESHOLD = 50_000


def _fewer_collections() -> None:
    """Look for reference cycles less often than Python does by default.

    With pandas, pyarrow and scipy loaded a process holds a few million objects,
    and each command allocates and frees containers by the hundred thousand: at the
    default threshold the collector runs thousands of times and walks every surviving
    object again and again (a tenth of the report's time on the sample). Nothing a
    command makes lives long enough in a cycle for this to matter to memory: a
    collection still runs every 50,000 allocations. Objects loaded with the modules are
    moved out of the collector's sight before a report forks its workers
    (:func:`analysis.report.workers.fork_map`).
    """
    import gc

    gen0, gen1, gen2 = gc.get_threshold()
    if gen0 and gen0 < GC_THRESHOLD:  # 0: collection turned off by the caller
        gc.set_threshold(GC_THRESHOLD, gen1, gen2)


#: The variables that set how many threads the BLAS (OpenBLAS, MKL, BLIS, Accelerate)
#: runs, and OpenMP's, which they follow when theirs is not set.
BLAS_THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS",
                         "VECLIB_MAXIMUM_THREADS", "OMP_NUM_THREADS")


def _one_blas_thread() -> None:
    """Run the BLAS on one thread unless the user has said otherwise.

    The statistics here multiply and factor matrices of at most a few hundred rows, many
    times over (mixed models, invariance fits, factor models): a multi-threaded BLAS
    only adds overhead to them, and when the machine is busy its threads wait for each
    other (``survey compare`` on the sample took 6.6 s of CPU instead of 2.7 s). Set
    before numpy is imported, as the BLAS reads it once; any of the variables set by the
    user (``OMP_NUM_THREADS=4``) leaves them all alone. OpenMP's own variable is not set,
    so that pyarrow still parses a large file on every core.
    """
    import os

    if any(os.environ.get(name) for name in BLAS_THREAD_VARIABLES):
        return
    for name in BLAS_THREAD_VARIABLES[:-1]:
        os.environ[name] = "1"


def _exit(code: object) -> None:
    """Flush stdout and stderr and end the process with ``code`` as ``sys.exit`` would
    (None is 0, a number is itself, anything else is printed and gives 1)."""
    import os

    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (survey ... | head) or stream
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
