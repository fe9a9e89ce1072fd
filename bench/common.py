"""What the benchmark scripts share: the data they time, and how they time a process.

Run the scripts with the Python of the environment ``survey`` is installed in (a fresh,
non-editable ``pip install .`` is what the README's figures come from); ``survey`` is
looked for beside that Python, or given with ``--survey``.
"""

from __future__ import annotations

import os
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path


def survey_command(given: str | None = None) -> list[str]:
    """The ``survey`` command to time: ``--survey`` as given, else the one installed
    beside this Python, else ``python -m survey.cli``."""
    if given:
        return shlex.split(given)
    beside = Path(sys.executable).with_name("survey")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("survey")
    return [found] if found else [sys.executable, "-m", "survey.cli"]


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``uptime`` shows them."""
    try:
        return " ".join(f"{v:.2f}" for v in os.getloadavg())
    except OSError:  # pragma: no cover - not on every platform
        return "n/a"


@dataclass
class Run:
    """One process: wall time (seconds), peak resident memory (MB), its output."""

    seconds: float
    peak_mb: float
    stdout: str


def run_measured(cmd: list[str], *, env: dict[str, str] | None = None,
                 cwd: Path | None = None) -> Run:
    """Run ``cmd`` to the end: its wall time and its own peak RSS (``os.wait4``)."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env, cwd=cwd)
    # read the pipes in threads so a chatty child cannot block, then reap it ourselves
    import threading

    chunks: dict[str, bytes] = {}

    def drain(name: str, pipe) -> None:
        chunks[name] = pipe.read()

    readers = [threading.Thread(target=drain, args=(n, p))
               for n, p in (("out", proc.stdout), ("err", proc.stderr))]
    for t in readers:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    for t in readers:
        t.join()
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        raise SystemExit(f"{shlex.join(cmd)} failed ({proc.returncode}):\n"
                         f"{chunks.get('err', b'').decode(errors='replace')}")
    return Run(seconds, usage.ru_maxrss / 1024, chunks.get("out", b"").decode(
        errors="replace"))


def median_of(repeat: int, cmd: list[str], **kwargs) -> tuple[float, float, list[Run]]:
    """Median wall time and largest peak RSS of ``repeat`` runs of ``cmd``."""
    runs = [run_measured(cmd, **kwargs) for _ in range(repeat)]
    return (statistics.median(r.seconds for r in runs), max(r.peak_mb for r in runs), runs)


def make_lab_culture_csv(path: Path, rows: int, seed: int = 1) -> None:
    """Simulated answers to the bundled lab-culture instrument, in the template layout.

    ``SIM-`` respondent ids, labs coded like ``CN-03`` nested in the three regions, the
    six grouping questions, the 48 items (1-5, about 2 % blank, answers of a construct
    correlated) and the attention check (about 3 % fail it): the shape ``survey simulate``
    writes, made with numpy so that a million rows take seconds.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from survey.instrument import load

    inst = load("lab-culture")
    rng = np.random.default_rng(seed)
    groups = {g.id: g for g in inst.groups}
    region_codes = np.array(groups["lab_region"].codes, dtype=object)
    prefix = {"china": "CN", "united_states": "US", "other": "OT"}
    region = rng.integers(0, len(region_codes), rows)
    lab_no = rng.integers(1, 8, rows)
    labs = np.array([f"{prefix.get(r, 'XX')}-{k:02d}" for r in region_codes
                     for k in range(1, 8)], dtype=object)
    columns: dict[str, object] = {
        "respondent_id": [f"SIM-{i:07d}" for i in range(1, rows + 1)],
        "lab_region": region_codes[region],
    }
    for g in inst.groups:
        if g.id == "lab_region":
            continue
        if g.id == "lab":
            columns["lab"] = labs[region * 7 + lab_no - 1]
            continue
        codes = np.array(g.codes, dtype=object)
        columns[g.id] = codes[rng.integers(0, len(codes), rows)]
    for construct in inst.constructs:
        latent = rng.normal(size=rows)
        for item in construct.items:
            sign = -1.0 if item.reverse else 1.0
            raw = np.clip(np.rint(3 + sign * 0.9 * latent + rng.normal(size=rows)), 1, 5)
            values = pa.array(raw.astype(np.int64), mask=rng.random(rows) < 0.02)
            columns[item.id] = values
    for check in inst.checks:
        answers = np.full(rows, int(check.expect))
        careless = rng.random(rows) < 0.03
        answers[careless] = rng.integers(1, 6, int(careless.sum()))
        columns[check.id] = answers
    table = pa.table({k: pa.array(v) if not isinstance(v, pa.Array) else v
                      for k, v in columns.items()})
    with open(path, "wb") as out:
        out.write((",".join(table.column_names) + "\n").encode())
        pacsv.write_csv(table, out, pacsv.WriteOptions(include_header=False,
                                                       quoting_style="none"))


def item_keys() -> dict[str, object]:
    """The bundled instrument's constructs, items, keying and scale ends (for scripts
    that score without the package)."""
    from survey.instrument import load

    inst = load("lab-culture")
    out = []
    for c in inst.constructs:
        out.append({"id": c.id, "items": [i.id for i in c.items],
                    "reverse": [bool(i.reverse) for i in c.items],
                    "min": [inst.scales[i.scale].min for i in c.items],
                    "max": [inst.scales[i.scale].max for i in c.items]})
    return {"constructs": out}
