"""Whole-process ``survey score`` against R ``psych::scoreItems`` and a bare numpy script.

Writes a simulated 100,000-respondent CSV of the bundled lab-culture instrument (48
items, 8 constructs, the template layout ``survey simulate`` writes; see
``common.make_lab_culture_csv``), then runs each of these as its own process, ``--repeat``
times, and prints the median wall time:

* ``survey score FILE -o scores.csv``: start-up, reading and validating the file (every
  check of ``survey import``, the import log), keying, the missing-data rule, the means,
  writing the scores, as a user runs it;
* ``Rscript``: ``read.csv`` + ``psych::scoreItems(keys, items, min, max, impute =
  "none")`` (the same keying; the same means, to which the script applies the same rule:
  a score needs half the construct's items answered) + ``write.csv`` of the scores, when
  ``Rscript`` with psych is installed (skipped with a message otherwise);
* a bare script: ``pyarrow.csv.read_csv``, the same scores in a few lines of numpy,
  ``pyarrow.csv.write_csv``: no validation, no log, the floor a tool could reach.

Then it prints the ratios (goal: ``survey score`` at least 3 times faster than R,
moonshot 5 times) and the largest difference between the scores each wrote (goal: below
1e-9; R writes 15 significant digits). The load average is printed before and after:
the machine may be shared, so compare ratios measured in the same run. Run with the
Python ``survey`` is installed in::

    python bench/analysis_speed.py [--rows 100000] [--repeat 5] [--survey CMD]

Nothing here is a test; timings depend on the machine.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import item_keys, load_average, make_lab_culture_csv, median_of, survey_command

R_JOB = r"""
suppressPackageStartupMessages(library(psych))
args <- commandArgs(trailingOnly = TRUE)
d <- read.csv(args[1])
lines <- readLines(args[2])
keys <- list(); need <- c(); cols <- c(); lo <- c(); hi <- c()
for (line in lines) {
  f <- strsplit(line, "\t")[[1]]
  ids <- strsplit(f[2], ",")[[1]]
  rev <- as.logical(strsplit(f[3], ",")[[1]])
  keys[[f[1]]] <- ifelse(rev, paste0("-", ids), ids)
  need[f[1]] <- ceiling(0.5 * length(ids) - 1e-9)
  cols <- c(cols, ids)
  lo <- c(lo, as.numeric(strsplit(f[4], ",")[[1]]))
  hi <- c(hi, as.numeric(strsplit(f[5], ",")[[1]]))
}
items <- d[, cols]
s <- scoreItems(keys, items, min = lo, max = hi, impute = "none")
scores <- s$scores
for (k in names(keys)) {
  ids <- sub("^-", "", keys[[k]])
  scores[rowSums(!is.na(d[, ids, drop = FALSE])) < need[k], k] <- NA
}
write.csv(data.frame(respondent_id = d$respondent_id, scores), args[3], row.names = FALSE)
"""

NUMPY_JOB = r"""
import json, sys
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

spec = json.loads(open(sys.argv[2]).read())
table = pacsv.read_csv(sys.argv[1])
out = {"respondent_id": table["respondent_id"]}
for c in spec["constructs"]:
    x = np.column_stack([table[i].to_numpy(zero_copy_only=False).astype(float)
                         for i in c["items"]])
    rev = np.array(c["reverse"])
    x[:, rev] = (np.array(c["min"]) + np.array(c["max"]))[rev] - x[:, rev]
    answered = ~np.isnan(x)
    counts = answered.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = np.where(answered, x, 0.0).sum(axis=1) / counts
    means[counts < np.ceil(0.5 * x.shape[1] - 1e-9)] = np.nan
    out[c["id"]] = pa.array(means, from_pandas=True)
pacsv.write_csv(pa.table(out), sys.argv[3])
"""


def r_available() -> str | None:
    """Why R cannot be timed, or None when Rscript with psych is there."""
    rscript = shutil.which("Rscript")
    if rscript is None:
        return "Rscript not found"
    done = subprocess.run([rscript, "-e", "library(psych)"], capture_output=True, check=False)
    return None if done.returncode == 0 else "R has no psych package"


def largest_difference(ours: Path, theirs: Path, constructs: list[str]) -> tuple[float, int]:
    """Largest absolute difference between two score files (matched on respondent_id),
    and the number of cells where one is blank and the other not."""
    import numpy as np
    import pandas as pd

    a = pd.read_csv(ours, usecols=["respondent_id", *constructs]).set_index("respondent_id")
    b = pd.read_csv(theirs, usecols=["respondent_id", *constructs]).set_index("respondent_id")
    b = b.reindex(a.index)
    x, y = a[constructs].to_numpy(float), b[constructs].to_numpy(float)
    blank_mismatch = int((np.isnan(x) != np.isnan(y)).sum())
    both = ~np.isnan(x) & ~np.isnan(y)
    return (float(np.abs(x[both] - y[both]).max()) if both.any() else 0.0), blank_mismatch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--survey", default=None,
                        help="command to time instead of the survey beside this Python, "
                             "e.g. 'env PYTHONPATH=OLD python -m survey.cli'")
    args = parser.parse_args()
    survey = survey_command(args.survey)
    spec = item_keys()
    constructs = [c["id"] for c in spec["constructs"]]

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        data = folder / "responses.csv"
        make_lab_culture_csv(data, args.rows)
        print(f"{args.rows:,} respondents x 48 items ({len(constructs)} constructs), "
              f"CSV {data.stat().st_size / 1e6:.1f} MB; median of {args.repeat} runs, "
              "each its own process")
        print(f"load average before: {load_average()}")

        ours = folder / "scores.csv"
        t_survey, peak, _ = median_of(args.repeat, [*survey, "score", str(data),
                                                    "-o", str(ours)])
        print(f"  survey score                      {t_survey:6.2f} s  (peak {peak:.0f} MB)")

        keys = folder / "keys.json"
        keys.write_text(json.dumps(spec), encoding="utf-8")
        job = folder / "bare.py"
        job.write_text(NUMPY_JOB, encoding="utf-8")
        bare = folder / "bare.csv"
        t_bare, _, _ = median_of(args.repeat, [sys.executable, str(job), str(data),
                                               str(keys), str(bare)])
        print(f"  bare pyarrow + numpy script       {t_bare:6.2f} s")

        why_not = r_available()
        t_r = None
        if why_not is None:
            rjob = folder / "score.R"
            rjob.write_text(R_JOB, encoding="utf-8")
            rkeys = folder / "keys.tsv"
            rkeys.write_text("".join(
                f"{c['id']}\t{','.join(c['items'])}\t"
                f"{','.join(str(r).upper() for r in c['reverse'])}\t"
                f"{','.join(map(str, c['min']))}\t{','.join(map(str, c['max']))}\n"
                for c in spec["constructs"]), encoding="utf-8")
            rout = folder / "r.csv"
            t_r, _, _ = median_of(args.repeat, ["Rscript", str(rjob), str(data), str(rkeys),
                                                str(rout)])
            print(f"  Rscript psych::scoreItems         {t_r:6.2f} s")
        else:
            print(f"  R psych: skipped ({why_not})")
        print(f"load average after:  {load_average()}")

        print()
        if t_r is not None:
            print(f"R / survey score:      {t_r / t_survey:5.2f}x  (goal: at least 3x; "
                  "moonshot 5x)")
        print(f"survey score / bare:   {t_survey / t_bare:5.2f}x  (the bare script validates "
              "nothing and writes no log)")
        if t_r is not None:
            diff, blanks = largest_difference(ours, folder / "r.csv", constructs)
            print(f"largest |survey - R| score difference:    {diff:.2e}  "
                  f"(blank in one only: {blanks}; goal < 1e-9)")
        diff, blanks = largest_difference(ours, bare, constructs)
        print(f"largest |survey - bare| score difference: {diff:.2e}  "
              f"(blank in one only: {blanks})")


if __name__ == "__main__":
    main()
