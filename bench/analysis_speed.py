"""How long scoring and reliability take for a large sample, next to R psych and bare numpy.

Builds a simulated 100,000-respondent x 60-item CSV in the template layout (a generated
instrument: 10 constructs of 6 items on a 1-5 scale, two of each six reverse keyed, a
region and a lab code; answers from a one-factor model per construct, 2 % blanks), then
prints the best of ``--repeat`` timings of:

Whole processes (start-up, reading the CSV and writing nothing, as a user runs them;
each prints its own split into start-up, reading and analysis):

* ``python``: ``pandas.read_csv`` (no validation, as R's ``read.csv``), or
  ``read_responses`` (every validation check of ``survey import``), then
  ``score_scales`` + ``assess_reliability`` (pooled and per region: alpha, Feldt CI,
  standardised alpha, omega from an ML fit) + ``analyse_items``.
* ``R psych``: ``read.csv`` + ``psych::scoreItems(keys, items, min = 1, max = 5,
  impute = "none")`` (scores, alpha, item correlations; pooled only, no omega), when
  ``Rscript`` is on the PATH.

Inside one Python process, on the data already read:

* ``score_scales`` on the ResponseSet, next to a bare vectorised numpy computation of the
  same scores (keying, counting answers, means with the minimum-share rule), timed both
  from the float array and from the same DataFrame (including the conversion of the
  nullable integer columns);
* ``assess_reliability`` and ``analyse_items``.

Goals: the Python process at least 5 times faster than R's; ``score_scales`` within 2
times of the bare numpy computation. Run from the repository root::

    python bench/analysis_speed.py [--rows 100000] [--items 60] [--repeat 3]

Nothing here is a test; timings depend on the machine.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PER_CONSTRUCT = 6
REVERSED = (1, 4)          # positions (0-based) of the reverse-keyed items in each construct


def make_instrument_yaml(n_items: int) -> str:
    """A generated instrument: constructs of 6 items on a 1-5 scale, region, lab."""
    lines = [
        "id: bench", 'version: "1"', "languages: [en]", "title: {en: Bench}",
        "scales: {agree5: {points: [1, 2, 3, 4, 5], labels: {en: [SD, D, N, A, SA]}}}",
        "groups:",
        "  - {id: lab_region, type: choice, required: true, text: {en: Region},",
        "     choices: [{code: china, label: {en: China}},",
        "               {code: united_states, label: {en: United States}},",
        "               {code: other, label: {en: Other}}]}",
        "  - {id: lab, type: text, required: true, text: {en: Lab}}",
        "constructs:",
    ]
    for c in range(0, n_items, PER_CONSTRUCT):
        lines.append(f"  - {{id: c{c // PER_CONSTRUCT}, name: {{en: C}}, "
                     "definition: {en: D}, scale: agree5, items: [")
        ids = range(c, min(c + PER_CONSTRUCT, n_items))
        lines.append(",\n".join(
            f"      {{id: i{k + 1}, text: {{en: Item {k + 1}}}, "
            f"reverse: {'true' if (k - c) in REVERSED else 'false'}}}" for k in ids) + "]}")
    return "\n".join(lines) + "\n"


def make_csv(path: Path, n_items: int, rows: int, seed: int = 1) -> None:
    """Simulated answers (SIM- ids, CN-/US-/OT- lab codes) written as a template CSV."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n_constructs = -(-n_items // PER_CONSTRUCT)
    latent = rng.normal(size=(rows, n_constructs))
    construct_of = np.arange(n_items) // PER_CONSTRUCT
    sign = np.where(np.isin(np.arange(n_items) % PER_CONSTRUCT, REVERSED), -1.0, 1.0)
    raw = 3 + sign * 0.9 * latent[:, construct_of] + rng.normal(size=(rows, n_items))
    answers = np.clip(np.rint(raw), 1, 5).astype(np.int64)
    region_idx = rng.integers(0, 3, rows)
    regions = np.array(["china", "united_states", "other"])[region_idx]
    prefix = np.array(["CN", "US", "OT"])[region_idx]
    lab = np.char.add(np.char.add(prefix, "-"),
                      np.char.zfill(rng.integers(1, 8, rows).astype(str), 2))
    frame = pd.DataFrame(answers, columns=[f"i{k + 1}" for k in range(n_items)])
    frame = frame.astype("Int64").mask(rng.random((rows, n_items)) < 0.02)
    frame.insert(0, "lab", lab)
    frame.insert(0, "lab_region", regions)
    frame.insert(0, "respondent_id", [f"SIM-{i:06d}" for i in range(1, rows + 1)])
    frame.to_csv(path, index=False)


PYTHON_JOB = """\
import sys, time
t0 = time.perf_counter()
from survey.instrument import load
from analysis.scoring import score_scales
from analysis.reliability import assess_reliability, analyse_items
inst = load(sys.argv[1])
t1 = time.perf_counter()
if sys.argv[3] == "validated":
    from survey.responses import read_responses
    rs = read_responses(sys.argv[2], inst, platform="auto")
else:                       # as R's read.csv: no validation
    import pandas as pd
    rs = pd.read_csv(sys.argv[2])
t2 = time.perf_counter()
scores = score_scales(rs, inst)
rel = assess_reliability(rs, inst, by="lab_region")
items = analyse_items(rs, inst)
t3 = time.perf_counter()
print(f"start-up {t1 - t0:.2f} s, read {t2 - t1:.2f} s, analysis {t3 - t2:.2f} s; "
      f"alpha[c0] {float(rel['alpha'].iloc[0]):.7f}")
"""

R_JOB = """\
suppressPackageStartupMessages(library(psych))
args <- commandArgs(trailingOnly = TRUE)
t0 <- proc.time()[["elapsed"]]
d <- read.csv(args[1])
t1 <- proc.time()[["elapsed"]]
n_items <- as.integer(args[2])
items <- d[, paste0("i", 1:n_items)]
keys <- list()
for (c in seq(0, n_items - 1, by = 6)) {
  ids <- paste0("i", (c + 1):min(c + 6, n_items))
  pos <- seq_along(ids) - 1
  ids[pos %in% c(1, 4)] <- paste0("-", ids[pos %in% c(1, 4)])
  keys[[paste0("c", c %/% 6)]] <- ids
}
s <- scoreItems(keys, items, min = 1, max = 5, impute = "none")
t2 <- proc.time()[["elapsed"]]
cat(sprintf("read %.2f s, scoreItems %.2f s; alpha[c0] %.7f\\n", t1 - t0, t2 - t1,
            s$alpha[1]))
"""


def best_of(repeat: int, fn) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run(cmd: list[str]) -> str:
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{cmd[0]} failed:\n{done.stderr}")
    return done.stdout.strip()


def bare_scores(x, lo_hi, reverse, starts, sizes, min_answered=0.5):
    """Scale means with keying and the minimum-share rule, in plain numpy."""
    import numpy as np

    keyed = np.where(reverse, lo_hi - x, x)
    answered = ~np.isnan(keyed)
    totals = np.add.reduceat(np.where(answered, keyed, 0.0), starts, axis=1)
    counts = np.add.reduceat(answered, starts, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = totals / counts
    means[counts < np.ceil(min_answered * sizes)] = np.nan
    return means


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--items", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()

    import numpy as np

    from analysis.reliability import analyse_items, assess_reliability
    from analysis.scoring import score_scales
    from survey.instrument import loads
    from survey.responses import read_responses

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        inst_path = folder / "instrument.yaml"
        inst_path.write_text(make_instrument_yaml(args.items), encoding="utf-8")
        csv = folder / "responses.csv"
        make_csv(csv, args.items, args.rows)
        inst = loads(inst_path.read_text(encoding="utf-8"))
        print(f"{args.rows:,} respondents x {args.items} items "
              f"({len(inst.constructs)} constructs), CSV {csv.stat().st_size / 1e6:.1f} MB; "
              f"best of {args.repeat}")

        print("\nwhole process")
        job = folder / "job.py"
        job.write_text(PYTHON_JOB, encoding="utf-8")
        t_py, out = best_of(args.repeat, lambda: run([sys.executable, str(job),
                                                      str(inst_path), str(csv), "plain"]))
        print(f"  python: read_csv + score + reliability + items  {t_py:6.2f} s   [{out}]")
        t_val, out_val = best_of(args.repeat, lambda: run([sys.executable, str(job),
                                                           str(inst_path), str(csv),
                                                           "validated"]))
        print(f"  python: read_responses (validated) + the same   {t_val:6.2f} s   [{out_val}]")
        rscript = shutil.which("Rscript")
        if rscript:
            rjob = folder / "job.R"
            rjob.write_text(R_JOB, encoding="utf-8")
            t_r, out = best_of(args.repeat, lambda: run([rscript, str(rjob), str(csv),
                                                         str(args.items)]))
            print(f"  R: read.csv + psych::scoreItems             {t_r:6.2f} s   [{out}]")
            print(f"  R / python: {t_r / t_py:.1f}x plain read, {t_r / t_val:.1f}x validated "
                  "read (goal: at least 5x)")
        else:
            print("  R psych: Rscript not found; skipped")

        print("\ninside one process")
        t_read, rs = best_of(1, lambda: read_responses(csv, inst, platform="auto"))
        print(f"  read_responses                               {t_read:8.3f} s")
        t_score, scores = best_of(args.repeat, lambda: score_scales(rs))
        ids = list(inst.item_ids)
        lo_hi = np.array([inst.scales[inst.item(i).scale].min
                          + inst.scales[inst.item(i).scale].max for i in ids], dtype=float)
        reverse = np.array([inst.item(i).reverse for i in ids])
        sizes = np.array([len(c.items) for c in inst.constructs])
        starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
        x = rs.data[ids].to_numpy(dtype=float, na_value=np.nan)
        t_bare, bare = best_of(args.repeat,
                               lambda: bare_scores(x, lo_hi, reverse, starts, sizes))

        def bare_from_frame():
            y = rs.data[ids].to_numpy(dtype=float, na_value=np.nan)
            return bare_scores(y, lo_hi, reverse, starts, sizes)

        t_bare_df, _ = best_of(args.repeat, bare_from_frame)
        same = np.allclose(scores[[c.id for c in inst.constructs]].to_numpy(), bare,
                           equal_nan=True, rtol=1e-12)
        print(f"  score_scales                                 {t_score:8.3f} s"
              f"   (same scores as bare numpy: {same})")
        print(f"  bare numpy from the float array              {t_bare:8.3f} s"
              f"   score_scales / bare: {t_score / t_bare:.1f}x (goal: at most 2x)")
        print(f"  bare numpy from the DataFrame (with .to_numpy) {t_bare_df:6.3f} s"
              f"   score_scales / bare: {t_score / t_bare_df:.1f}x")
        t_rel, _ = best_of(args.repeat, lambda: assess_reliability(rs, by="lab_region"))
        print(f"  assess_reliability (pooled + 3 regions)      {t_rel:8.3f} s")
        t_items, _ = best_of(args.repeat, lambda: analyse_items(rs))
        print(f"  analyse_items                                {t_items:8.3f} s")


if __name__ == "__main__":
    main()
