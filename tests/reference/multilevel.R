# Reference values for analysis/multilevel.py (tests/test_multilevel.py).
#
# Run from the repository root:  Rscript tests/reference/multilevel.R
# Made with R 4.2.2 and nlme 3.1-162 (Debian packages).
#
# Input: tests/reference/multilevel_data.csv, an extract of the simulated sample data
# (sample_data/lab_culture_responses.xlsx read with survey.responses.read_responses):
# respondent_id, lab_region, lab, role, the items of self_promotion (sp1-sp6) and
# peer_respect (pr1-pr6) as answered, and the two scale scores: the mean of the keyed
# items (reverse-keyed items as 6 - x) over the items answered, blank when fewer than 3
# of the 6 were answered.
#
# Output:
#   multilevel_icc.csv  one-way ANOVA ICC(1) (with n0), ICC(2), F test, design effect,
#                       by hand from aov(), per construct
#   multilevel_lme.csv  nlme::lme(score ~ group, random = ~ 1 | lab, method = "REML")
#                       on the respondents of two groups: estimate (group_a - group_b),
#                       SE, nlme's df, t, p, tau2, sigma2, logLik
#   multilevel_icc_conditional.csv
#                       the ICC conditional on the grouping: tau2 / (tau2 + sigma2) of
#                       nlme::lme(score ~ lab_region, random = ~ 1 | lab, method = "REML")
#                       per construct, on all three regions and on china + united_states
#   multilevel_rwg.csv  r_wg(j) per lab and construct by the James, Demaree & Wolf (1984)
#                       formula with the uniform null variance (A^2 - 1) / 12, A = 5
#                       (the multilevel package is not installed; the formula is written
#                       out below)

suppressPackageStartupMessages(library(nlme))

here <- "tests/reference"
d <- read.csv(file.path(here, "multilevel_data.csv"), stringsAsFactors = FALSE)

# ---- ICC(1), ICC(2), design effect --------------------------------------------------
icc_rows <- list()
for (construct in c("self_promotion", "peer_respect")) {
  x <- d[!is.na(d[[construct]]), c("lab", construct)]
  names(x) <- c("lab", "y")
  x$lab <- factor(x$lab)
  a <- anova(aov(y ~ lab, data = x))
  msb <- a[["Mean Sq"]][1]
  msw <- a[["Mean Sq"]][2]
  n <- nrow(x)
  nj <- as.vector(table(x$lab))
  J <- length(nj)
  n0 <- (n - sum(nj^2) / n) / (J - 1)
  icc1 <- (msb - msw) / (msb + (n0 - 1) * msw)
  icc2 <- (msb - msw) / msb
  m <- n / J
  de <- 1 + (m - 1) * max(icc1, 0)
  icc_rows[[construct]] <- data.frame(
    construct = construct, n = n, labs = J, mean_lab_size = m, n0 = n0, msb = msb,
    msw = msw, f = a[["F value"]][1], df1 = a$Df[1], df2 = a$Df[2],
    p_f = a[["Pr(>F)"]][1], icc1 = icc1, icc2 = icc2, design_effect = de,
    n_effective = n / de)
}
write.csv(do.call(rbind, icc_rows), file.path(here, "multilevel_icc.csv"),
          row.names = FALSE)

# ---- random-intercept model, REML ----------------------------------------------------
fit_pair <- function(construct, by, group_a, group_b) {
  x <- d[!is.na(d[[construct]]) & !is.na(d[[by]]) & d[[by]] %in% c(group_a, group_b),
         c("lab", by, construct)]
  names(x) <- c("lab", "g", "y")
  # group_b is the reference level, so the coefficient is group_a - group_b
  x$g <- factor(x$g, levels = c(group_b, group_a))
  m <- lme(y ~ g, random = ~ 1 | lab, data = x, method = "REML")
  tt <- summary(m)$tTable
  data.frame(
    construct = construct, by = by, group_a = group_a, group_b = group_b,
    n = nrow(x), labs = length(unique(x$lab)),
    estimate = tt[2, "Value"], se = tt[2, "Std.Error"], df = tt[2, "DF"],
    t = tt[2, "t-value"], p = tt[2, "p-value"],
    intercept = tt[1, "Value"], intercept_df = tt[1, "DF"],
    tau2 = as.numeric(getVarCov(m)), sigma2 = m$sigma^2, loglik = as.numeric(logLik(m)))
}
lme_rows <- rbind(
  fit_pair("self_promotion", "lab_region", "china", "united_states"),
  fit_pair("peer_respect", "lab_region", "china", "united_states"),
  fit_pair("self_promotion", "lab_region", "china", "other"),
  # role varies within labs: nlme gives df = N - labs - 1
  fit_pair("peer_respect", "role", "researcher", "engineer")
)
write.csv(lme_rows, file.path(here, "multilevel_lme.csv"), row.names = FALSE)

# ---- the ICC conditional on the grouping ------------------------------------------------
cond_rows <- list()
for (construct in c("self_promotion", "peer_respect")) {
  for (groups in list(c("china", "united_states", "other"), c("china", "united_states"))) {
    x <- d[!is.na(d[[construct]]) & d$lab_region %in% groups, c("lab", "lab_region", construct)]
    names(x) <- c("lab", "g", "y")
    m <- lme(y ~ factor(g), random = ~ 1 | lab, data = x, method = "REML")
    tau2 <- as.numeric(getVarCov(m))
    sigma2 <- m$sigma^2
    cond_rows[[length(cond_rows) + 1]] <- data.frame(
      construct = construct, groups = paste(groups, collapse = "|"), n = nrow(x),
      labs = length(unique(x$lab)), tau2 = tau2, sigma2 = sigma2,
      icc_conditional = tau2 / (tau2 + sigma2))
  }
}
write.csv(do.call(rbind, cond_rows), file.path(here, "multilevel_icc_conditional.csv"),
          row.names = FALSE)

# ---- r_wg(j) -------------------------------------------------------------------------
A <- 5
null_var <- (A^2 - 1) / 12
rwg_rows <- list()
items <- list(self_promotion = paste0("sp", 1:6), peer_respect = paste0("pr", 1:6))
for (construct in names(items)) {
  for (lab in sort(unique(d$lab))) {
    x <- d[d$lab == lab, items[[construct]]]
    v <- sapply(x, var, na.rm = TRUE)
    s2 <- mean(v)
    J <- length(v)
    r <- s2 / null_var
    rwg <- if (r < 1) J * (1 - r) / (J * (1 - r) + r) else 0
    rwg_rows[[length(rwg_rows) + 1]] <- data.frame(
      construct = construct, lab = lab, n = nrow(x), mean_var = s2, rwg_j = rwg)
  }
}
write.csv(do.call(rbind, rwg_rows), file.path(here, "multilevel_rwg.csv"),
          row.names = FALSE)
