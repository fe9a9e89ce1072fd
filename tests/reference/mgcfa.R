# Reference values for tests/test_mgcfa.py (analysis.cfa.fit_mgcfa and score_tests).
#
# Run from the repository root:  Rscript tests/reference/mgcfa.R
# Made with R 4.2 and lavaan 0.6-14 (Debian packages); ML with lavaan's defaults
# (estimator = "ML", likelihood = "normal", mean structure in every multi-group model,
# missing = "listwise"), marker-variable identification unless std.lv = TRUE is named.
#
# Reads
#   invariance_data.csv       simulated one-factor data, six items y1..y6, groups A, B, C
#                             (see tests/reference/invariance.R)
#   mgcfa_heywood_data.csv    simulated one-factor data, four items z1..z4, groups A (150)
#                             and B (130), z1 with a true residual variance of 0.02, so
#                             that its ML estimate is negative at every level. Made by
#                             make_heywood_data() in tests/test_mgcfa.py (numpy, seed 3).
# Writes
#   mgcfa_fits.csv            one row per model: dataset, identification, level, partial
#                             (lavaan's group.partial), bounds ("none": lavaan's default;
#                             "nonnegative": every residual and factor variance constrained
#                             to be > 0, see below), chisq, df, pvalue, cfi, rmsea, srmr,
#                             logl, npar, ntotal, and min_var, the smallest residual or
#                             factor variance estimate
#   mgcfa_params.csv          estimates and standard errors (expected information) of the
#                             scalar model of invariance_data.csv with std.lv = TRUE
#   mgcfa_scoretests.csv      lavTestScore of the scalar model of invariance_data.csv
#                             (marker and std.lv): for each item the joint test of releasing
#                             its two intercept constraints (B = A, C = A), 2 df
#
# Models
#   heywood   f =~ z1 + z2 + z3 + z4, group = "group", configural / metric / scalar,
#             unbounded, and with every variance labelled per group and constrained
#             "> 0" (inequality constraints, lavaan's nlminb.constr; bounds = "pos.var"
#             is not applied once group.equal adds equality constraints). The bound is
#             active for z1 in group B only: the script checks that the constrained fit
#             has the chi-square of the model with that variance fixed at 0 (to 1e-4).
#   sim       f =~ y1 + ... + y6, group = "group", std.lv = TRUE: configural, metric,
#             scalar, and metric with one loading free (group.partial = "f=~yj", j = 1..6;
#             under std.lv the first item's loading can be released too)

library(lavaan)
out_dir <- "tests/reference"
fmt <- function(x) ifelse(is.na(x), "", sprintf("%.17g", x))
write_ref <- function(df, name) {
  for (col in names(df)) if (is.numeric(df[[col]])) df[[col]] <- fmt(df[[col]])
  write.csv(df, file.path(out_dir, name), row.names = FALSE, quote = FALSE, na = "")
}

sim <- read.csv(file.path(out_dir, "invariance_data.csv"))
heywood <- read.csv(file.path(out_dir, "mgcfa_heywood_data.csv"))
sim_model <- "f =~ y1 + y2 + y3 + y4 + y5 + y6"
heywood_model <- "f =~ z1 + z2 + z3 + z4"
levels <- list(configural = "", metric = "loadings",
               scalar = c("loadings", "intercepts"))
measures <- c("chisq", "df", "pvalue", "cfi", "rmsea", "srmr", "logl", "npar", "ntotal")

rows <- list()
fit_row <- function(dataset, model, data, level, std_lv = FALSE, partial = character(0),
                    bounds = "none") {
  fit <- suppressWarnings(cfa(model, data = data, group = "group",
                              group.equal = levels[[level]], group.partial = partial,
                              std.lv = std_lv))
  stopifnot(lavInspect(fit, "converged"))
  fm <- fitMeasures(fit, measures)
  pe <- parameterEstimates(fit)
  variances <- pe$est[pe$op == "~~" & pe$lhs == pe$rhs]
  row <- data.frame(dataset = dataset, identification = if (std_lv) "std.lv" else "marker",
                    level = level, partial = paste(partial, collapse = ";"),
                    bounds = bounds)
  for (m in measures) row[[m]] <- unname(fm[m])
  row$min_var <- min(variances)
  rows[[length(rows) + 1]] <<- row
  fit
}
# every variance of the heywood model labelled per group and constrained to be positive
nonnegative <- paste(c(
  heywood_model,
  sprintf("%s ~~ c(%s_a, %s_b)*%s", c(paste0("z", 1:4), "f"), c(paste0("z", 1:4), "f"),
          c(paste0("z", 1:4), "f"), c(paste0("z", 1:4), "f")),
  sprintf("%s_%s > 0", rep(c(paste0("z", 1:4), "f"), each = 2), c("a", "b"))),
  collapse = "\n")
at_zero <- paste0(heywood_model, "\n z1 ~~ c(NA, 0)*z1")

for (level in names(levels)) {
  fit_row("heywood", heywood_model, heywood, level)
  fit_row("heywood", nonnegative, heywood, level, bounds = "nonnegative")
  fixed <- cfa(at_zero, data = heywood, group = "group", group.equal = levels[[level]])
  stopifnot(abs(fitMeasures(fixed, "chisq") - rows[[length(rows)]]$chisq) < 1e-4)
  fit_row("sim", sim_model, sim, level, std_lv = TRUE)
}
for (j in 1:6) fit_row("sim", sim_model, sim, "metric", std_lv = TRUE,
                       partial = paste0("f=~y", j))
write_ref(do.call(rbind, rows), "mgcfa_fits.csv")

scalar_std <- cfa(sim_model, data = sim, group = "group", std.lv = TRUE,
                  group.equal = c("loadings", "intercepts"))
pe <- parameterEstimates(scalar_std)
pe$group <- lavInspect(scalar_std, "group.label")[pe$group]
write_ref(pe[pe$op %in% c("=~", "~~", "~1"), c("lhs", "op", "rhs", "group", "est", "se")],
          "mgcfa_params.csv")

score_rows <- list()
for (std_lv in c(FALSE, TRUE)) {
  fit <- cfa(sim_model, data = sim, group = "group", std.lv = std_lv,
             group.equal = c("loadings", "intercepts"))
  uni <- lavTestScore(fit)$uni
  pt <- parTable(fit)
  op <- sapply(uni$lhs, function(l) pt$op[pt$plabel == l])
  item <- sapply(uni$lhs, function(l) pt$lhs[pt$plabel == l])
  for (it in paste0("y", 1:6)) {
    release <- which(op == "~1" & item == it)
    stopifnot(length(release) == 2)
    test <- lavTestScore(fit, release = release, univariate = FALSE)$test
    score_rows[[length(score_rows) + 1]] <- data.frame(
      identification = if (std_lv) "std.lv" else "marker", item = it, x2 = test$X2,
      df = test$df)
  }
}
write_ref(do.call(rbind, score_rows), "mgcfa_scoretests.csv")
