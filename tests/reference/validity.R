# Reference values for the measurement-model tests (tests/test_validity.py):
# analysis/dimensionality.py, analysis/cfa.py, analysis/validity.py,
# analysis/polychoric.py and the partial invariance of analysis/invariance.py.
#
# Run from the repository root:  Rscript tests/reference/validity.R
# Made with R 4.2.2, psych 2.2.9, lavaan 0.6-14, semTools 0.5-6 and GPArotation
# 2022.10-2 (Debian packages). Numbers are written with 17 significant digits.
#
# Data
#   validity_sample.csv   a copy of the bundled simulated sample
#                         (sample_data/lab_culture_responses.xlsx as imported by
#                         `survey import`: respondent_id, the grouping answers, the 48
#                         items as answered and the attention check, blanks for missing
#                         answers; 585 rows), written once with
#                           read_responses(path, load("lab-culture")).data.to_csv(
#                               "tests/reference/validity_sample.csv", index=False)
#                         so that these references do not depend on the sample's bytes
#                         (the tests import it again as a template-layout file).
#   validity_bfi.csv      psych::bfi (2800 rows; the 25 items as answered, 1..6, and
#                         gender), written by this script and read back.
# Keying: reversed items become min + max - x (6 - x on the sample's 1..5 items; 7 - x
# on bfi's 1..6, with psych's bfi.keys: -A1, -C4, -C5, -E1, -E2, -O2, -O5).
#
# Writes
#   validity_parallel.csv      psych::fa.parallel(x, fa = "both", plot = FALSE) on the
#                              keyed items (pairwise correlations, as its default), with
#                              set.seed(1) before each call: observed component
#                              eigenvalues (pc), observed factor eigenvalues (fa: the
#                              eigenvalues of R with the one-factor minres communalities on
#                              the diagonal), and the suggested numbers of factors and
#                              components; scopes: bfi complete cases (all 25 items), the
#                              sample (all 48 items) and each of the sample's constructs.
#                              fa_exact: the factor eigenvalues at psych's minres solution
#                              polished to the optimum (see polish() below).
#   validity_parallel_seeds.csv  the suggested numbers for seeds 1..20 (how stable they are:
#                              student_involvement's number of factors is 1 or 3 by seed)
#   validity_cfa_fit.csv       lavaan::cfa(model, data, std.lv = TRUE, estimator = "ML" /
#                              "MLM") (listwise): fitMeasures, one row per data x estimator
#   validity_cfa_params.csv    the loadings (est, se, std.all and its se from
#                              standardizedSolution) and factor correlations (est, se)
#   validity_cfa_fiml.csv      the same model by full-information ML: cfa(..., missing =
#                              "ml", information = "expected"): fitMeasures
#   validity_cfa_fiml_params.csv  its loadings and factor correlations (est, se, std.all
#                              and se), and se_observed from lavaan's default information
#                              with missing data (observed)
#   validity_modindices.csv    lavaan::modindices(ML fit): the 25 largest cross-loadings
#                              (=~) and residual covariances (~~ between items)
#   validity_semtools.csv      semTools::compRelSEM(fit) and semTools::AVE(fit) per factor
#                              (ML fit; obs.var = TRUE, tau.eq = FALSE defaults): omega and
#                              ave on the default fit; omega_tight and ave_tight on a fit
#                              converged further (optim.method = "BFGS", control =
#                              list(reltol = 1e-14); lavaan's default nlminb stops with
#                              loadings about 1e-6 from the optimum, which moves these by
#                              up to 5e-6, and cannot be tightened much: with rel.tol =
#                              1e-12 it reports no convergence on bfi)
#   validity_htmt.csv          semTools::htmt(model, data) per pair of factors: the default
#                              HTMT2 (geometric means) and htmt2 = FALSE (arithmetic),
#                              both on listwise-complete data (its default) and absolute r;
#                              htmt2_ml with missing = "ml" (EM correlations of everyone)
#   validity_polychoric.csv    psych::polychoric(x)$rho (lower triangles) per construct of
#                              the sample, on all respondents and per region, and per bfi
#                              scale; with ordinal alpha (k/(k-1) (1 - k / sum(rho))) and
#                              ordinal omega ((sum L)^2 / ((sum L)^2 + sum(1 - L^2)) from
#                              psych::fa(rho, 1, fm = "ml"))
#   validity_scoretests.csv    lavTestScore(scalar fit)$uni per item intercept, China vs
#                              United States, each construct of the sample (std.lv = TRUE,
#                              group.equal = c("loadings", "intercepts"))
#   validity_latent.csv        the scalar (and partial) models of each construct: fit
#                              measures and the United States factor mean (est, se, z,
#                              p; China's is fixed at 0 and its variance at 1); partial
#                              model of build_vs_buy with group.partial = "bb5 ~ 1"

# psych::bfi as the file the tests read, then the data and helpers both scripts share
bfi_raw <- psych::bfi[, c(paste0(rep(c("A", "C", "E", "N", "O"), each = 5), 1:5), "gender")]
write.csv(bfi_raw, file.path("tests/reference", "validity_bfi.csv"), row.names = FALSE,
          quote = FALSE, na = "")
source("tests/reference/validity_data.R")
suppressPackageStartupMessages(library(semTools))
bfi_complete <- na.omit(bfi[, bfi_items])

# ---- parallel analysis -------------------------------------------------------------------
# psych's minres optimiser (L-BFGS-B on the uniquenesses with an approximate gradient)
# stops about 1e-7 from the optimum; fa_exact polishes its solution by iterating the
# optimum's condition (communalities = diag(L L'), L the first eigenvector of R with the
# communalities on the diagonal) until the uniquenesses change by less than 1e-15.
polish <- function(R, psi) {
  for (i in 1:100000) {
    S <- R; diag(S) <- 1 - psi
    e <- eigen(S, symmetric = TRUE)
    L <- e$vectors[, 1] * sqrt(e$values[1])
    new <- 1 - L^2
    done <- max(abs(new - psi)) < 1e-15
    psi <- new
    if (done) break
  }
  S <- R; diag(S) <- L^2
  eigen(S, symmetric = TRUE)$values
}
pa_rows <- list(); seed_rows <- list()
pa_scope <- function(dataset, scope, x) {
  set.seed(1)
  pa <- fa.parallel(x, fa = "both", plot = FALSE)
  k <- ncol(x)
  R <- cor(x, use = "pairwise")
  f1 <- fa(R, nfactors = 1, rotate = "none", fm = "minres", warnings = FALSE)
  pa_rows[[length(pa_rows) + 1]] <<- data.frame(
    dataset = dataset, scope = scope, n = nrow(x), k = k, number = 1:k,
    pc = pa$pc.values, fa = pa$fa.values, fa_exact = polish(R, f1$uniquenesses),
    nfact = pa$nfact, ncomp = pa$ncomp)
  for (seed in 1:20) {
    set.seed(seed)
    s <- suppressMessages(fa.parallel(x, fa = "both", plot = FALSE))
    seed_rows[[length(seed_rows) + 1]] <<- data.frame(
      dataset = dataset, scope = scope, seed = seed, nfact = s$nfact, ncomp = s$ncomp)
  }
}
invisible(capture.output({
  pa_scope("bfi", "all", bfi_complete)
  pa_scope("sample", "all", sample[, unlist(sample_factors)])
  for (f in names(sample_factors)) pa_scope("sample", f, sample[, sample_factors[[f]]])
}))
write_ref(do.call(rbind, pa_rows), "validity_parallel.csv")
write_ref(do.call(rbind, seed_rows), "validity_parallel_seeds.csv")

# ---- CFA -------------------------------------------------------------------------------
fit_rows <- list(); par_rows <- list(); mi_rows <- list(); st_rows <- list()
measures <- c("npar", "ntotal", "chisq", "df", "pvalue", "cfi", "tli", "rmsea",
              "rmsea.ci.lower", "rmsea.ci.upper", "srmr", "baseline.chisq", "baseline.df")
robust <- c("chisq.scaled", "chisq.scaling.factor", "pvalue.scaled", "cfi.robust",
            "tli.robust", "rmsea.robust", "rmsea.ci.lower.robust", "rmsea.ci.upper.robust",
            "cfi.scaled", "tli.scaled", "rmsea.scaled", "baseline.chisq.scaled",
            "baseline.chisq.scaling.factor")
fits <- list()
for (name in names(datasets)) {
  ds <- datasets[[name]]
  model <- model_syntax(ds$factors)
  for (est in c("ML", "MLM")) {
    fit <- cfa(model, data = ds$data, std.lv = TRUE, estimator = est)
    if (est == "ML") fits[[name]] <- fit
    fm <- fitMeasures(fit)
    row <- data.frame(dataset = name, estimator = est, t(fm[measures]))
    for (r in robust) row[[gsub(".", "_", r, fixed = TRUE)]] <- if (est == "MLM") fm[[r]] else NA
    names(row) <- gsub(".", "_", names(row), fixed = TRUE)
    fit_rows[[length(fit_rows) + 1]] <- row
    pe <- parameterEstimates(fit)
    ss <- standardizedSolution(fit)
    keep <- pe$op == "=~" | (pe$op == "~~" & pe$lhs != pe$rhs & pe$lhs %in% names(ds$factors))
    par_rows[[length(par_rows) + 1]] <- data.frame(
      dataset = name, estimator = est, lhs = pe$lhs[keep], op = pe$op[keep],
      rhs = pe$rhs[keep], est = pe$est[keep], se = pe$se[keep],
      est_std = ss$est.std[keep], se_std = ss$se[keep])
  }
  mi <- modindices(fits[[name]])
  mi <- mi[mi$op == "=~" | (mi$op == "~~" & mi$lhs != mi$rhs &
                             !(mi$lhs %in% names(ds$factors))), ]
  mi <- mi[order(-mi$mi), ][1:25, ]
  mi_rows[[length(mi_rows) + 1]] <- data.frame(dataset = name, lhs = mi$lhs, op = mi$op,
                                               rhs = mi$rhs, mi = mi$mi, epc = mi$epc,
                                               sepc_all = mi$sepc.all)
  cr <- compRelSEM(fits[[name]])
  ave <- AVE(fits[[name]])
  tight <- cfa(model_syntax(ds$factors), data = ds$data, std.lv = TRUE,
               optim.method = "BFGS", control = list(reltol = 1e-14, maxit = 10000))
  stopifnot(lavInspect(tight, "converged"))
  cr2 <- compRelSEM(tight)
  ave2 <- AVE(tight)
  st_rows[[length(st_rows) + 1]] <- data.frame(dataset = name, factor = names(cr),
                                               omega = as.numeric(cr),
                                               ave = as.numeric(ave[names(cr)]),
                                               omega_tight = as.numeric(cr2[names(cr)]),
                                               ave_tight = as.numeric(ave2[names(cr)]))
}
write_ref(do.call(rbind, fit_rows), "validity_cfa_fit.csv")
write_ref(do.call(rbind, par_rows), "validity_cfa_params.csv")
write_ref(do.call(rbind, mi_rows), "validity_modindices.csv")
write_ref(do.call(rbind, st_rows), "validity_semtools.csv")

# ---- CFA by full-information ML -----------------------------------------------------------
fiml_rows <- list(); fiml_par <- list()
for (name in names(datasets)) {
  ds <- datasets[[name]]
  model <- model_syntax(ds$factors)
  fit <- cfa(model, data = ds$data, std.lv = TRUE, missing = "ml", information = "expected")
  observed <- cfa(model, data = ds$data, std.lv = TRUE, missing = "ml")
  fm <- fitMeasures(fit)
  row <- data.frame(dataset = name, t(fm[measures]))
  names(row) <- gsub(".", "_", names(row), fixed = TRUE)
  fiml_rows[[length(fiml_rows) + 1]] <- row
  pe <- parameterEstimates(fit)
  ss <- standardizedSolution(fit)
  po <- parameterEstimates(observed)
  keep <- pe$op == "=~" | (pe$op == "~~" & pe$lhs != pe$rhs & pe$lhs %in% names(ds$factors))
  fiml_par[[length(fiml_par) + 1]] <- data.frame(
    dataset = name, lhs = pe$lhs[keep], op = pe$op[keep], rhs = pe$rhs[keep],
    est = pe$est[keep], se = pe$se[keep], est_std = ss$est.std[keep], se_std = ss$se[keep],
    se_observed = po$se[keep])
}
write_ref(do.call(rbind, fiml_rows), "validity_cfa_fiml.csv")
write_ref(do.call(rbind, fiml_par), "validity_cfa_fiml_params.csv")

# ---- HTMT ------------------------------------------------------------------------------
ht_rows <- list()
for (name in names(datasets)) {
  ds <- datasets[[name]]
  model <- model_syntax(ds$factors)
  h2 <- htmt(model, ds$data)
  h1 <- htmt(model, ds$data, htmt2 = FALSE)
  hm <- htmt(model, ds$data, missing = "ml")
  fs <- names(ds$factors)
  for (i in 2:length(fs)) for (j in 1:(i - 1)) {
    ht_rows[[length(ht_rows) + 1]] <- data.frame(dataset = name, factor_a = fs[j],
                                                 factor_b = fs[i], htmt2 = h2[fs[i], fs[j]],
                                                 htmt = h1[fs[i], fs[j]],
                                                 htmt2_ml = hm[fs[i], fs[j]])
  }
}
write_ref(do.call(rbind, ht_rows), "validity_htmt.csv")

# ---- polychoric correlations and ordinal reliability -------------------------------------
poly_rows <- list()
poly_case <- function(dataset, scope, group, x) {
  pc <- suppressWarnings(polychoric(x))
  rho <- pc$rho
  k <- ncol(x)
  f1 <- fa(rho, nfactors = 1, fm = "ml", n.obs = nrow(x))
  L <- as.numeric(f1$loadings)
  L <- L * sign(sum(L))
  for (i in 2:k) for (j in 1:(i - 1)) {
    poly_rows[[length(poly_rows) + 1]] <<- data.frame(
      dataset = dataset, scope = scope, group = group, item_a = colnames(x)[j],
      item_b = colnames(x)[i], rho = rho[i, j],
      ordinal_alpha = k / (k - 1) * (1 - k / sum(rho)),
      ordinal_omega = sum(L)^2 / (sum(L)^2 + sum(1 - L^2)))
  }
}
for (f in names(sample_factors)) {
  x <- sample[, sample_factors[[f]]]
  poly_case("sample", f, "all", x)
  for (g in c("china", "united_states")) poly_case("sample", f, g, x[sample$lab_region == g, ])
}
for (f in names(bfi_factors)) poly_case("bfi", f, "all", bfi[, bfi_factors[[f]]])
write_ref(do.call(rbind, poly_rows), "validity_polychoric.csv")

# ---- score tests, partial invariance and latent means -------------------------------------
two <- sample[sample$lab_region %in% c("china", "united_states"), ]
score_rows <- list(); latent_rows <- list()
latent_row <- function(construct, model_name, fit, partial) {
  fm <- fitMeasures(fit, c("chisq", "df", "cfi", "rmsea", "srmr", "ntotal"))
  pe <- parameterEstimates(fit)
  lm <- pe[pe$op == "~1" & pe$lhs == construct & pe$group == 2, ]
  data.frame(construct = construct, model = model_name, partial = partial,
             chisq = fm[["chisq"]], df = fm[["df"]], cfi = fm[["cfi"]],
             rmsea = fm[["rmsea"]], srmr = fm[["srmr"]], n = fm[["ntotal"]],
             latent_mean = if (nrow(lm)) lm$est else NA, se = if (nrow(lm)) lm$se else NA,
             z = if (nrow(lm)) lm$z else NA, p = if (nrow(lm)) lm$pvalue else NA)
}
for (f in names(sample_factors)) {
  items <- sample_factors[[f]]
  model <- paste0(f, " =~ ", paste(items, collapse = " + "))
  d <- two[, c("lab_region", items)]
  for (level in c("metric", "scalar")) {
    eq <- if (level == "metric") "loadings" else c("loadings", "intercepts")
    fit <- cfa(model, data = d, group = "lab_region", group.equal = eq, std.lv = TRUE)
    latent_rows[[length(latent_rows) + 1]] <- latent_row(f, level, fit, "")
  }
  ts <- lavTestScore(fit)$uni
  pt <- parTable(fit)
  item_of <- function(label) pt$lhs[pt$plabel == label]
  ints <- sapply(ts$lhs, function(l) { r <- pt[pt$plabel == l, ]; r$op == "~1" })
  score_rows[[length(score_rows) + 1]] <- data.frame(
    construct = f, item = sapply(ts$lhs[ints], item_of), x2 = ts$X2[ints])
}
fit <- cfa("build_vs_buy =~ bb1 + bb2 + bb3 + bb4 + bb5 + bb6",
           data = two[, c("lab_region", sample_factors$build_vs_buy)],
           group = "lab_region", group.equal = c("loadings", "intercepts"),
           group.partial = c("bb5 ~ 1"), std.lv = TRUE)
latent_rows[[length(latent_rows) + 1]] <- latent_row("build_vs_buy", "partial", fit, "bb5")
ts <- lavTestScore(fit)$uni
pt <- parTable(fit)
ints <- sapply(ts$lhs, function(l) pt$op[pt$plabel == l] == "~1")
score_rows[[length(score_rows) + 1]] <- data.frame(
  construct = "build_vs_buy (bb5 free)",
  item = sapply(ts$lhs[ints], function(l) pt$lhs[pt$plabel == l]), x2 = ts$X2[ints])
write_ref(do.call(rbind, score_rows), "validity_scoretests.csv")
write_ref(do.call(rbind, latent_rows), "validity_latent.csv")
