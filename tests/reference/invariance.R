# Reference values for tests/test_invariance.py (analysis/invariance.py).
#
# Run from the repository root:  Rscript tests/reference/invariance.R
# Made with R 4.2 and lavaan 0.6-14 (Debian packages); ML estimation with lavaan's
# defaults: estimator = "ML", likelihood = "normal" (chi-square = N * 2 * F_ML with the
# total N and covariances with divisor n), marker-variable identification (first loading
# of each factor fixed to 1), mean structure in every multi-group model, missing =
# "listwise".
#
# Reads
#   invariance_data.csv              simulated one-factor data, six items y1..y6, groups
#                                    A (220), B (180), C (140); item y4 has its intercept
#                                    raised by 0.6 in group B; about 2 % of cells blank.
#                                    Made by make_reference_data() in
#                                    tests/test_invariance.py (numpy, seed 20261129).
# Writes
#   invariance_holzinger_swineford.csv  lavaan::HolzingerSwineford1939 (id, school,
#                                    x1..x9), the data the Python tests read
#   invariance_fits.csv              one row per data set x model: chisq, df, pvalue,
#                                    cfi, rmsea, srmr, logl, baseline chisq/df, npar, N
#   invariance_params.csv            parameter estimates of the simulated scalar model
#
# Models
#   hs        visual =~ x1 + x2 + x3; textual =~ x4 + x5 + x6; speed =~ x7 + x8 + x9,
#             group = "school" (Pasteur first, as lavaan orders groups by appearance)
#   sim       f =~ y1 + ... + y6, group = "group" (A, B, C)
#   sim_ab    the same on groups A and B only
# at configural (group only), metric (group.equal = "loadings") and scalar
# (group.equal = c("loadings", "intercepts")), plus partial scalar models that free one
# intercept (group.partial = "<item>~1"), whose chi-square the Python code's per-item
# likelihood-ratio tests are checked against.

library(lavaan)
out_dir <- "tests/reference"
fmt <- function(x) ifelse(is.na(x), "", sprintf("%.17g", x))
write_ref <- function(df, name) {
  for (col in names(df)) if (is.numeric(df[[col]])) df[[col]] <- fmt(df[[col]])
  write.csv(df, file.path(out_dir, name), row.names = FALSE, quote = FALSE, na = "")
}

hs <- HolzingerSwineford1939[, c("id", "school", paste0("x", 1:9))]
hs$school <- as.character(hs$school)
write.csv(hs, file.path(out_dir, "invariance_holzinger_swineford.csv"), row.names = FALSE,
          quote = FALSE)  # the data have 8 significant digits; R writes them exactly
hs <- read.csv(file.path(out_dir, "invariance_holzinger_swineford.csv"))
sim <- read.csv(file.path(out_dir, "invariance_data.csv"))

hs_model <- "visual =~ x1 + x2 + x3
             textual =~ x4 + x5 + x6
             speed =~ x7 + x8 + x9"
sim_model <- "f =~ y1 + y2 + y3 + y4 + y5 + y6"

levels <- list(configural = "", metric = "loadings",
               scalar = c("loadings", "intercepts"))
measures <- c("chisq", "df", "pvalue", "cfi", "rmsea", "srmr", "logl",
              "baseline.chisq", "baseline.df", "npar", "ntotal")

rows <- list()
fit_row <- function(dataset, model, data, level, partial = character(0)) {
  fit <- cfa(model, data = data, group = "group_col", group.equal = levels[[level]],
             group.partial = partial)
  stopifnot(lavInspect(fit, "converged"))
  fm <- fitMeasures(fit, measures)
  row <- data.frame(dataset = dataset, level = level,
                    free_intercepts = paste(partial_items(partial), collapse = ";"))
  for (m in measures) row[[gsub(".", "_", m, fixed = TRUE)]] <- unname(fm[m])
  rows[[length(rows) + 1]] <<- row
  fit
}
partial_items <- function(partial) sub("~1", "", partial, fixed = TRUE)

hs$group_col <- hs$school
sim$group_col <- sim$group
sim_ab <- sim[sim$group %in% c("A", "B"), ]

for (level in names(levels)) {
  fit_row("hs", hs_model, hs, level)
  fit_row("sim", sim_model, sim, level)
  fit_row("sim_ab", sim_model, sim_ab, level)
}
for (item in c("x3", "x7")) fit_row("hs", hs_model, hs, "scalar", paste0(item, "~1"))
invisible(fit_row("hs", hs_model, hs, "scalar", c("x3~1", "x7~1")))
for (item in paste0("y", 1:6)) {
  fit_row("sim", sim_model, sim, "scalar", paste0(item, "~1"))
  fit_row("sim_ab", sim_model, sim_ab, "scalar", paste0(item, "~1"))
}
write_ref(do.call(rbind, rows), "invariance_fits.csv")

scalar <- cfa(sim_model, data = sim, group = "group_col",
              group.equal = c("loadings", "intercepts"))
pe <- parameterEstimates(scalar)
pe$group <- lavInspect(scalar, "group.label")[pe$group]
write_ref(pe[pe$op %in% c("=~", "~~", "~1"), c("lhs", "op", "rhs", "group", "est")],
          "invariance_params.csv")
