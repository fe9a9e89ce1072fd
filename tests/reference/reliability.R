# Reference values for analysis/reliability.py (tests/test_reliability.py).
#
# Run from the repository root:  Rscript tests/reference/reliability.R
# Made with R 4.2.2 and psych 2.2.9 (Debian packages).
#
# Data (written by this script once, then read back, so the inputs are stored beside the
# outputs; the bfi data set ships with psych 2.2.9):
#   bfi_subset.csv                 psych::bfi, the 2709 respondents who answered all five
#                                  agreeableness items A1-A5, with gender (1 male,
#                                  2 female). Answers 1..6 as given (A1 not yet reversed).
#   reliability_missing_data.csv   psych::bfi rows 1-400, conscientiousness C1-C5 and
#                                  gender, with 6 % of the item cells blanked at random
#                                  (set.seed(20240611)); no row is left without answers.
#
# Keys (reversed as 1 + 6 - x, the declared 1..6 scale): agree = -A1 A2 A3 A4 A5,
# conscientious = C1 C2 C3 -C4 -C5 (psych's bfi.keys).
#
# Output:
#   reliability_scales.csv  one row per case (dataset, construct, group, missing):
#     n, k                    rows used (psych counts every row given) and items
#     raw_alpha, std_alpha,   psych::alpha(x)$total: raw_alpha, std.alpha, average_r,
#     average_r               with covariances cov(x, use = "pairwise") (the psych default)
#                             or, for missing == "listwise", on na.omit(x)
#     feldt_low, feldt_high   Feldt's 95 % interval written out by hand:
#                               1 - (1 - alpha) * qf(0.975 | 0.025, n - 1, (n - 1) (k - 1))
#                             (equal to psych::alpha.ci, which alpha() prints)
#     omega                   McDonald's omega total from a one-factor maximum-likelihood
#                             model: psych::fa(R, nfactors = 1, fm = "ml", n.obs = n) on
#                             R = cov2cor(C), C the covariance matrix above;
#                             omega = (sum L)^2 / ((sum L)^2 + sum(uniquenesses)).
#                             (psych::omega itself needs GPArotation, not installed here.)
#     fa_converged            1 when fa's optimiser reported convergence
#   reliability_items.csv   one row per case and item: n (answers), mean and sd of the
#     keyed item, r_drop (alpha()$item.stats$r.drop), alpha_if_dropped
#     (alpha()$alpha.drop$raw_alpha), p_1..p_6 (psych::response.frequencies, as in
#     alpha()$response.freq, but of the answers as given, before keying: the share of
#     each answer among those who answered the item)

suppressPackageStartupMessages(library(psych))

here <- "tests/reference"
data(bfi, package = "psych")

agree <- c("A1", "A2", "A3", "A4", "A5")
consc <- c("C1", "C2", "C3", "C4", "C5")

subset <- bfi[complete.cases(bfi[, agree]), c(agree, "gender")]
write.csv(subset, file.path(here, "bfi_subset.csv"), row.names = FALSE)

set.seed(20240611)
m <- bfi[1:400, c(consc, "gender")]
cells <- as.matrix(m[, consc])
blank <- matrix(runif(length(cells)) < 0.06, nrow = nrow(cells))
cells[blank] <- NA
m[, consc] <- cells
m <- m[rowSums(!is.na(m[, consc])) > 0, ]
write.csv(m, file.path(here, "reliability_missing_data.csv"), row.names = FALSE,
          na = "")

bfi_subset <- read.csv(file.path(here, "bfi_subset.csv"))
missing_data <- read.csv(file.path(here, "reliability_missing_data.csv"))

key <- function(x, reversed) {
  for (v in reversed) x[[v]] <- 1 + 6 - x[[v]]
  x
}

feldt <- function(a, n, k, p) 1 - (1 - a) * qf(p, n - 1, (n - 1) * (k - 1))

one_case <- function(dataset, construct, group, missing, x, reversed) {
  x <- x
  if (missing == "listwise") x <- na.omit(x)
  keyed <- key(x, reversed)
  a <- alpha(keyed, warnings = FALSE)          # pairwise covariances, no check.keys
  n <- nrow(x)
  k <- ncol(x)
  C <- cov(keyed, use = "pairwise")
  R <- cov2cor(C)
  f <- fa(R, nfactors = 1, fm = "ml", n.obs = n)
  L <- as.numeric(f$loadings[, 1])
  u <- as.numeric(f$uniquenesses)
  omega <- sum(L)^2 / (sum(L)^2 + sum(u))
  raw <- a$total$raw_alpha
  scales <- data.frame(
    dataset = dataset, construct = construct, group = group, missing = missing,
    n = n, k = k, raw_alpha = raw, std_alpha = a$total$std.alpha,
    average_r = a$total$average_r,
    feldt_low = feldt(raw, n, k, 0.975), feldt_high = feldt(raw, n, k, 0.025),
    omega = omega, fa_converged = as.integer(f$convergence == 0 || is.null(f$convergence))
  )
  freq <- response.frequencies(x)[, as.character(1:6), drop = FALSE]
  colnames(freq) <- paste0("p_", 1:6)
  items <- data.frame(
    dataset = dataset, construct = construct, group = group, missing = missing,
    item = colnames(x), n = a$item.stats$n, mean = a$item.stats$mean,
    sd = a$item.stats$sd, r_drop = a$item.stats$r.drop,
    alpha_if_dropped = a$alpha.drop$raw_alpha, freq, row.names = NULL
  )
  list(scales = scales, items = items)
}

cases <- list(
  one_case("bfi_subset", "agree", "all", "pairwise", bfi_subset[, agree], "A1"),
  one_case("bfi_subset", "agree", "1", "pairwise",
           bfi_subset[bfi_subset$gender == 1, agree], "A1"),
  one_case("bfi_subset", "agree", "2", "pairwise",
           bfi_subset[bfi_subset$gender == 2, agree], "A1"),
  one_case("missing", "consc", "all", "pairwise", missing_data[, consc], c("C4", "C5")),
  one_case("missing", "consc", "all", "listwise", missing_data[, consc], c("C4", "C5")),
  one_case("missing", "consc", "1", "pairwise",
           missing_data[missing_data$gender == 1, consc], c("C4", "C5")),
  one_case("missing", "consc", "2", "pairwise",
           missing_data[missing_data$gender == 2, consc], c("C4", "C5"))
)

scales <- do.call(rbind, lapply(cases, `[[`, "scales"))
items <- do.call(rbind, lapply(cases, `[[`, "items"))
write.csv(scales, file.path(here, "reliability_scales.csv"), row.names = FALSE)
write.csv(items, file.path(here, "reliability_items.csv"), row.names = FALSE)
options(digits = 10)
print(scales)
