"""Run survey commands in a fresh interpreter and record which modules they import.

Used by the tests that a command never loads a package it no longer needs (scipy.stats,
scipy.optimize, scipy.integrate, matplotlib): the commands run one after the other in one
process, through the click group as the console script runs them, and every process (the
forked report workers too) that imports a watched module writes where from into a log.

Usage::

    from watch_imports import run_watching

    run = run_watching(tmp_path, [["report", str(SAMPLE), "-o", str(out), "-q"]],
                       ["scipy.stats"])
    assert run.imported == "" and run.loaded == []
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

#: The script run: argv is the log file, the watched names (comma-separated), then each
#: command's arguments joined by \x1f. After the commands' own output it prints
#: ``LOADED`` and the watched modules (and their submodules) this process ended with as
#: JSON, then what ``after`` prints.
_SCRIPT = textwrap.dedent("""
    import json, os, sys, traceback
    LOG, WATCHED = sys.argv[1], tuple(sys.argv[2].split(","))

    class Recorder:
        def find_spec(self, name, path=None, target=None):
            if name in WATCHED:
                with open(LOG, "a") as fh:
                    fh.write(f"process {os.getpid()} imports {name}:\\n"
                             + "".join(traceback.format_stack(limit=12)))
            return None

    sys.meta_path.insert(0, Recorder())
    from survey.cli import cli
    for command in sys.argv[3:]:
        code = cli.main(args=command.split("\\x1f"), prog_name="survey",
                        standalone_mode=False)
        if code:  # a command that failed (its one line is on stderr) fails the run
            sys.stderr.flush()
            os._exit(code)
    print("LOADED " + json.dumps(sorted(
        m for m in sys.modules if m in WATCHED or m.startswith(tuple(w + "." for w in WATCHED)))))
""")


@dataclass
class Watched:
    """What :func:`run_watching` saw."""

    #: The log of every import of a watched module, with its stack ("" when none).
    imported: str
    #: The watched modules and submodules the main process ended with.
    loaded: list[str]
    #: The lines ``after`` printed.
    after: list[str]


def run_watching(tmp_path: Path, commands: list[list[str]], watched: list[str], *,
                 after: str = "") -> Watched:
    """Run ``commands`` (survey arguments each) in one fresh interpreter in ``tmp_path``,
    watching the imports of ``watched``; ``after`` is Python run at the end in that
    process (its printed lines are returned). Fails the test when the process fails."""
    log = tmp_path / "imports.log"
    script = _SCRIPT + textwrap.dedent(after) + "\nsys.stdout.flush()\nos._exit(0)\n"
    env = {k: v for k, v in os.environ.items() if k != "PYTHONWARNINGS"}
    run = subprocess.run(
        [sys.executable, "-c", script, str(log), ",".join(watched),
         *("\x1f".join(c) for c in commands)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=300)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("LOADED "))
    return Watched(imported=log.read_text() if log.exists() else "",
                   loaded=json.loads(lines[start].removeprefix("LOADED ")),
                   after=[line for line in lines[start + 1:] if line])
