# Reference values for the measurement-model columns that tests/reference/validity.R does
# not write (tests/test_validity.py, the tests named "..._columns_..."):
#
# Run from the repository root:  Rscript tests/reference/validity_columns.R
# Made with R 4.2.2, psych 2.2.9 and lavaan 0.6-14 (Debian packages). Numbers are written
# with 17 significant digits. Same data and keying as validity.R (validity_sample.csv with
# 6 - x on the reversed items; validity_bfi.csv with 7 - x on psych's bfi.keys).
#
# Writes
#   validity_cfa_columns.csv   lavaan::cfa(model, data, std.lv = TRUE, estimator = "ML" /
#                              "MLM") (listwise), from parameterEstimates: z and pvalue of
#                              every loading (=~) and factor correlation (~~ between
#                              factors); est of every residual variance (~~ of an item with
#                              itself) with the item's R-squared (lavInspect(fit, "r2"))
#   validity_latent_columns.csv  the scalar model of every construct (China vs United
#                              States, std.lv = TRUE) and the partial model of build_vs_buy
#                              (group.partial = "bb5 ~ 1"), as in validity.R: the United
#                              States factor mean's 95 % Wald interval (parameterEstimates'
#                              ci.lower, ci.upper); the observed difference of the
#                              unweighted item means (United States minus China) of the
#                              respondents the model uses (listwise complete on the
#                              construct's items), and that difference over China's SD
#                              (sd(), n - 1); the number of respondents in each group; and
#                              lavTestScore(scalar fit)$uni's df and p.value of the
#                              intercept of every item
#   validity_parallel_random.csv  the random part of psych::fa.parallel(x, fa = "both",
#                              n.iter = 1000) with set.seed(1), on the sample's 48 items and
#                              on self_promotion's 6: per position, the mean, SD and 95th
#                              percentile (quantile(), type 7) of the eigenvalues of the
#                              simulated normal data sets (fa.parallel's $values columns
#                              CSim* and Fsim*). The test compares these with its own random
#                              part (another random stream) within their Monte Carlo error.

source("tests/reference/validity_data.R")  # the data, keying and helpers of validity.R

# ---- the full CFA: z, p, residual variances, R-squared ------------------------------------
rows <- list()
for (name in names(datasets)) {
  ds <- datasets[[name]]
  for (est in c("ML", "MLM")) {
    fit <- cfa(model_syntax(ds$factors), data = ds$data, std.lv = TRUE, estimator = est)
    pe <- parameterEstimates(fit)
    r2 <- lavInspect(fit, "r2")
    factors <- names(ds$factors)
    load <- pe$op == "=~"
    corr <- pe$op == "~~" & pe$lhs != pe$rhs & pe$lhs %in% factors
    resid <- pe$op == "~~" & pe$lhs == pe$rhs & !(pe$lhs %in% factors)
    keep <- load | corr | resid
    rows[[length(rows) + 1]] <- data.frame(
      dataset = name, estimator = est, lhs = pe$lhs[keep], op = pe$op[keep],
      rhs = pe$rhs[keep], est = pe$est[keep],
      z = ifelse(resid[keep], NA, pe$z[keep]), pvalue = ifelse(resid[keep], NA,
                                                               pe$pvalue[keep]),
      r2 = ifelse(resid[keep], r2[pe$lhs[keep]], NA))
  }
}
write_ref(do.call(rbind, rows), "validity_cfa_columns.csv")

# ---- latent means: interval, observed difference, score tests' df and p -------------------
two <- sample[sample$lab_region %in% c("china", "united_states"), ]
latent_rows <- list()
latent_case <- function(construct, model_name, partial, items, fit) {
  pe <- parameterEstimates(fit)
  lm <- pe[pe$op == "~1" & pe$lhs == construct & pe$group == 2, ]
  d <- two[complete.cases(two[, items]), ]
  score <- rowMeans(d[, items])
  ref <- score[d$lab_region == "china"]
  other <- score[d$lab_region == "united_states"]
  ts <- lavTestScore(fit)$uni
  pt <- parTable(fit)
  ints <- sapply(ts$lhs, function(l) pt$op[pt$plabel == l] == "~1")
  data.frame(construct = construct, model = model_name, partial = partial,
             ci_low = lm$ci.lower, ci_high = lm$ci.upper,
             observed_diff = mean(other) - mean(ref),
             observed_std_diff = (mean(other) - mean(ref)) / sd(ref),
             n_reference = length(ref), n_group = length(other),
             item = sapply(ts$lhs[ints], function(l) pt$lhs[pt$plabel == l]),
             score_df = ts$df[ints], score_p = ts$p.value[ints])
}
for (f in names(sample_factors)) {
  items <- sample_factors[[f]]
  fit <- cfa(paste0(f, " =~ ", paste(items, collapse = " + ")),
             data = two[, c("lab_region", items)], group = "lab_region",
             group.equal = c("loadings", "intercepts"), std.lv = TRUE)
  latent_rows[[length(latent_rows) + 1]] <- latent_case(f, "scalar", "", items, fit)
}
items <- sample_factors$build_vs_buy
fit <- cfa(paste0("build_vs_buy =~ ", paste(items, collapse = " + ")),
           data = two[, c("lab_region", items)], group = "lab_region",
           group.equal = c("loadings", "intercepts"), group.partial = c("bb5 ~ 1"),
           std.lv = TRUE)
latent_rows[[length(latent_rows) + 1]] <- latent_case("build_vs_buy", "partial", "bb5",
                                                      items, fit)
write_ref(do.call(rbind, latent_rows), "validity_latent_columns.csv")

# ---- the random part of parallel analysis --------------------------------------------------
random_rows <- list()
for (scope in c("all", "self_promotion")) {
  x <- if (scope == "all") sample[, unlist(sample_factors)] else
    sample[, sample_factors[[scope]]]
  k <- ncol(x)
  set.seed(1)
  invisible(capture.output(pa <- fa.parallel(x, fa = "both", n.iter = 1000, plot = FALSE)))
  v <- pa$values
  comp <- v[, paste0("CSim", 1:k), drop = FALSE]
  fact <- v[, paste0("Fsim", 1:k), drop = FALSE]
  random_rows[[length(random_rows) + 1]] <- data.frame(
    dataset = "sample", scope = scope, n = nrow(x), k = k, n_iter = nrow(v), number = 1:k,
    component_mean = colMeans(comp), component_sd = apply(comp, 2, sd),
    component_q95 = apply(comp, 2, quantile, probs = 0.95),
    factor_mean = colMeans(fact), factor_sd = apply(fact, 2, sd),
    factor_q95 = apply(fact, 2, quantile, probs = 0.95))
}
write_ref(do.call(rbind, random_rows), "validity_parallel_random.csv")
