"""``survey score`` on a million respondents: wall time and peak memory of the process.

Writes a simulated 1,000,000-respondent CSV of the bundled lab-culture instrument (48
items; about 150 MB; see ``common.make_lab_culture_csv``), runs ``survey score FILE -o
scores.csv`` ``--repeat`` times, each as its own process, and prints each run's wall time
and peak resident memory (``ru_maxrss`` of that child, from ``os.wait4``), then the
median time and the largest peak.

Goals: at most 8 s and at most 1.5 GB. The load average is printed before and after: the
machine may be shared. Run with the Python ``survey`` is installed in::

    python bench/scale.py [--rows 1000000] [--repeat 3] [--survey CMD] [--keep FILE]

``--keep FILE`` writes the CSV there (and reuses it when it exists) instead of a
temporary folder. Nothing here is a test; timings depend on the machine.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from common import load_average, make_lab_culture_csv, run_measured, survey_command


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--survey", default=None,
                        help="command to time instead of the survey beside this Python")
    parser.add_argument("--keep", default=None, metavar="FILE",
                        help="the CSV to write (or reuse) instead of a temporary one")
    args = parser.parse_args()
    survey = survey_command(args.survey)

    with tempfile.TemporaryDirectory() as tmp:
        data = Path(args.keep) if args.keep else Path(tmp) / "responses.csv"
        if not data.exists():
            make_lab_culture_csv(data, args.rows)
        out = Path(tmp) / "scores.csv"
        print(f"{data.name}: {data.stat().st_size / 1e6:.0f} MB "
              f"({args.rows:,} respondents x 48 items)")
        print(f"load average before: {load_average()}")
        runs = []
        for k in range(args.repeat):
            run = run_measured([*survey, "score", str(data), "-o", str(out)])
            runs.append(run)
            print(f"  run {k + 1}: {run.seconds:6.2f} s, peak {run.peak_mb:6.0f} MB")
        print(f"load average after:  {load_average()}")
        print(f"survey score: median {statistics.median(r.seconds for r in runs):.2f} s "
              "(goal: at most 8 s), largest peak "
              f"{max(r.peak_mb for r in runs) / 1024:.2f} GB (goal: at most 1.5 GB)")


if __name__ == "__main__":
    main()
