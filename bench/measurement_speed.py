"""How long the report's Measurement model section takes on the bundled sample.

Prints the best of ``--repeat`` timings (CPU and wall clock, in one Python process, on
responses already read) of each step the section runs on
``sample_data/lab_culture_responses.xlsx`` (585 respondents, 48 items, 8 constructs):

* parallel analysis of all items and of each construct (20 random data sets each);
* the full CFA by ML, then the robust ML statistics from the same estimates;
* the modification indices, HTMT and the validity table;
* partial invariance and latent means across the regions (one multi-group model per
  construct, plus the freeing sequence where scalar invariance fails);
* the ordinal alpha and omega the reliability table gains (polychoric correlations for
  every construct, pooled and per region);

and the whole section as ``analysis.report.measurement.run_measurement`` runs it. With
``--r`` and ``Rscript`` on the PATH it also times the same chain in R (psych
``fa.parallel``, lavaan ``cfa`` with ``estimator = "ML"`` and ``"MLM"``, ``modindices``,
semTools ``compRelSEM``/``AVE``/``htmt``, and the partial model with ``lavTestScore``).

Run from the repository root::

    python bench/measurement_speed.py [--repeat 5] [--r]

Nothing here is a test; timings depend on the machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

R_CHAIN = r"""
suppressPackageStartupMessages({library(psych); library(lavaan); library(semTools)})
d <- read.csv(commandArgs(TRUE)[1])
t0 <- Sys.time()
p <- c(sp="sp", si="si", bb="bb", ow="ow", te="te", se="se", pr="pr", ba="ba")
f <- lapply(p, function(x) paste0(x, 1:6))
for (x in f) for (it in x[c(2, 4, 6)]) d[[it]] <- 6 - d[[it]]
items <- unlist(f)
set.seed(1); invisible(capture.output(fa.parallel(d[, items], fa = "both", plot = FALSE)))
for (x in f) { set.seed(1); invisible(capture.output(fa.parallel(d[, x], fa = "both",
                                                               plot = FALSE))) }
m <- paste(sapply(names(f), function(k) paste0(k, " =~ ", paste(f[[k]], collapse = "+"))),
           collapse = "\n")
ml <- cfa(m, d[, items], std.lv = TRUE); mlm <- cfa(m, d[, items], std.lv = TRUE,
                                                   estimator = "MLM")
invisible(fitMeasures(mlm)); invisible(modindices(ml)); invisible(compRelSEM(ml))
invisible(AVE(ml)); invisible(htmt(m, d[, items]))
two <- d[d$lab_region %in% c("china", "united_states"), ]
for (k in names(f)) {
  mk <- paste0(k, " =~ ", paste(f[[k]], collapse = "+"))
  s <- cfa(mk, two, group = "lab_region", group.equal = c("loadings", "intercepts"),
           std.lv = TRUE)
  if (k == "bb") { invisible(lavTestScore(s)); invisible(cfa(mk, two, group = "lab_region",
    group.equal = "loadings", std.lv = TRUE)); invisible(cfa(mk, two, group = "lab_region",
    group.equal = c("loadings", "intercepts"), group.partial = "bb5~1", std.lv = TRUE)) }
}
for (x in f) for (g in c("china", "united_states", "other"))  # psych fails on some small
  invisible(try(suppressWarnings(polychoric(d[d$lab_region == g, x])), silent = TRUE))
for (x in f) invisible(suppressWarnings(polychoric(d[, x])))
cat(sprintf("%.2f\n", as.numeric(Sys.time() - t0, units = "secs")))
"""


def _best(fn, repeat: int) -> tuple[float, float]:
    cpu = wall = float("inf")
    for _ in range(repeat):
        c, w = time.process_time(), time.perf_counter()
        fn()
        cpu = min(cpu, time.process_time() - c)
        wall = min(wall, time.perf_counter() - w)
    return cpu, wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--r", action="store_true", help="also time the chain in R")
    args = parser.parse_args()

    import pandas as pd

    from analysis import cfa
    from analysis.dimensionality import dimensionality
    from analysis.invariance import measurement_invariance
    from analysis.reliability import assess_reliability
    from analysis.report.measurement import _partial, run_measurement
    from analysis.scoring import keyed_matrix
    from analysis.validity import _single_thread, htmt, validity_table
    from survey.instrument import load
    from survey.responses import read_responses

    inst = load("lab-culture")
    rs = read_responses(ROOT / "sample_data" / "lab_culture_responses.xlsx", inst)
    groups = ["china", "united_states", "other"]
    summary = measurement_invariance(rs, "lab_region", groups=groups).summary
    factors = {c.id: list(c.item_ids) for c in inst.constructs}
    items = [i for c in inst.constructs for i in c.item_ids]
    keyed = pd.DataFrame(keyed_matrix(rs.data, inst, items), columns=items)
    fit = cfa.fit_cfa(keyed, factors)
    table = htmt(keyed, factors)
    steps = [
        ("parallel analysis (9 scopes)", lambda: dimensionality(rs.data, inst)),
        ("full CFA, ML", lambda: cfa.fit_cfa(keyed, factors)),
        ("robust ML from the ML estimates",
         lambda: cfa.fit_cfa(keyed, factors, estimator="MLM", start=fit)),
        ("modification indices", lambda: cfa.modification_indices(fit)),
        ("HTMT + validity table", lambda: validity_table(fit, htmt(keyed, factors))),
        ("partial invariance + latent means",
         lambda: _partial(rs, "lab_region", groups, summary)),
    ]
    print(f"sample: {rs.n} respondents, {len(items)} items; best of {args.repeat}")
    with _single_thread():
        for label, fn in steps:
            cpu, wall = _best(fn, args.repeat)
            print(f"  {label:38s} cpu {cpu * 1000:7.1f} ms   wall {wall * 1000:7.1f} ms")
        ordinal = _best(lambda: assess_reliability(rs, by="lab_region"), args.repeat)
        plain = _best(lambda: assess_reliability(rs, by="lab_region", ordinal=False),
                      args.repeat)
    print(f"  {'ordinal alpha/omega (reliability)':38s} cpu "
          f"{(ordinal[0] - plain[0]) * 1000:7.1f} ms   wall "
          f"{(ordinal[1] - plain[1]) * 1000:7.1f} ms")
    cpu, wall = _best(lambda: run_measurement(rs, "lab_region", groups, summary), args.repeat)
    print(f"  {'whole section (run_measurement)':38s} cpu {cpu * 1000:7.1f} ms   wall "
          f"{wall * 1000:7.1f} ms")
    del table
    if args.r:
        if not shutil.which("Rscript"):
            print("R: Rscript not found")
            return
        with tempfile.TemporaryDirectory() as tmp:
            csv = Path(tmp) / "sample.csv"
            rs.data.to_csv(csv, index=False)
            script = Path(tmp) / "chain.R"
            script.write_text(R_CHAIN)
            out = subprocess.run(["Rscript", str(script), str(csv)], capture_output=True,
                                 text=True, check=True)
        print(f"  {'R (psych, lavaan, semTools), same chain':38s} wall "
              f"{float(out.stdout.strip()) * 1000:7.0f} ms (after loading the packages)")


if __name__ == "__main__":
    main()
