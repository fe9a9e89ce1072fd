# Reference values for analysis/disclosure.py (tests/test_disclosure.py).
#
# Run from the repository root:  Rscript tests/reference/disclosure.R
# Made with R 4.2.2, base R only. sdcMicro is not packaged for Debian (r-cran-sdcmicro
# does not exist), so its formulas are written out here from its documentation:
#
#   * freqCalc (sdcMicro reference manual): "The function considers the case of missing
#     values in the data. A missing value stands for any of the possible categories of
#     the variable considered." f_k of record i = number of records j (i included) that,
#     on every key variable, have the same value as i or a missing value on either side.
#   * measure_risk / indivRisk without sampling weights (every weight 1, so F_k = f_k):
#     the individual risk is 1 / f_k; the expected number of re-identifications is the
#     sum of the individual risks, and the global risk that sum divided by n
#     (Templ, Kowarik & Meindl 2015, J. Stat. Softw. 67(4), section 3; the IHSN guide
#     "Statistical Disclosure Control for Microdata: A Practice Guide").
#   * k-anonymity is violated by the records with f_k < k (print.freqCalc: "obs.
#     violate 2-anonymity" counts f_k = 1).
#
# The 16 records below are a small survey with four key variables; NA is an unanswered
# or suppressed answer. f_k is computed with an explicit double loop, not a grouping, so
# the wildcard rule is applied record by record as the documentation states it.
#
# Output:
#   disclosure_data.csv     the records (NA written as an empty cell)
#   disclosure_fk.csv       per record: f_k and the individual risk 1 / f_k
#   disclosure_summary.csv  per k in 2, 3, 5: violating records, largest individual
#                           risk, expected re-identifications, global risk

here <- "tests/reference"
d <- data.frame(
  lab     = c("L1", "L1", "L1", "L1", "L1", "L2", "L2", "L2", "L2", "L2",
              "L3", "L3", "L3", NA,   "L3", "L2"),
  role    = c("researcher", "researcher", "engineer", "engineer", "student_intern",
              "researcher", "researcher", "researcher", "engineer", NA,
              "manager", "engineer", "engineer", "engineer", "researcher", "researcher"),
  years   = c("lt3", "lt3", "y3_10", "y3_10", "lt3", "y3_10", "y3_10", "y10plus",
              "lt3", "lt3", "y10plus", "y3_10", NA, "y3_10", "lt3", "y3_10"),
  student = c("no", "no", "no", "no", "yes", "no", "no", "no", "no", "no", "no", "no",
              "no", "no", NA, "no"),
  stringsAsFactors = FALSE
)
keys <- c("lab", "role", "years", "student")
n <- nrow(d)
fk <- integer(n)
for (i in seq_len(n)) {
  count <- 0L
  for (j in seq_len(n)) {
    same <- TRUE
    for (key in keys) {
      a <- d[i, key]
      b <- d[j, key]
      if (!is.na(a) && !is.na(b) && a != b) {
        same <- FALSE
        break
      }
    }
    if (same) count <- count + 1L
  }
  fk[i] <- count
}
risk <- 1 / fk
write.csv(d, file.path(here, "disclosure_data.csv"), row.names = FALSE, na = "")
write.csv(data.frame(row = seq_len(n) - 1L, fk = fk, risk = sprintf("%.15g", risk)),
          file.path(here, "disclosure_fk.csv"), row.names = FALSE, quote = FALSE)
summary <- do.call(rbind, lapply(c(2L, 3L, 5L), function(k) data.frame(
  k = k,
  violating = sum(fk < k),
  max_risk = sprintf("%.15g", max(risk)),
  expected_reidentifications = sprintf("%.15g", sum(risk)),
  global_risk = sprintf("%.15g", sum(risk) / n)
)))
write.csv(summary, file.path(here, "disclosure_summary.csv"), row.names = FALSE,
          quote = FALSE)
