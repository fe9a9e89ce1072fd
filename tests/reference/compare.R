# Reference values for tests/test_compare.py and tests/test_hypotheses.py.
#
# Run from the repository root:  Rscript tests/reference/compare.R
# Made with R 4.2 (base stats only: oneway.test, kruskal.test, t.test, ptukey, p.adjust).
#
# Writes
#   compare_data.csv         simulated scale scores (SIM- ids; means of four 1-5 items,
#                            so many ties; some scores missing), seeded below
#   compare_descriptives.csv n, mean, sd, median per grouping x construct x group
#   compare_omnibus.csv      Welch's ANOVA (oneway.test var.equal = FALSE) with
#                            omega^2 = df1 (F - 1) / (df1 (F - 1) + N), and Kruskal-Wallis
#                            (kruskal.test, tie-corrected) with epsilon^2 = H / (N - 1);
#                            p adjusted across constructs per test (holm and BH)
#   compare_pairwise.csv     per pair: Welch t and df; p from ptukey (Games-Howell, k >= 3
#                            groups) or t.test (two groups); Hedges' g with the CI
#                            g +/- qt(.975, na + nb - 2) * sqrt((na + nb)/(na nb) + g^2/(2 (na + nb)));
#                            p adjusted across constructs per pair (holm and BH)
#   compare_hypotheses.csv   Welch t between the two named groups, signed as predicted
#                            (higher minus lower), Holm across the testable hypotheses
#
# The small-cell rule (a group with fewer than 5 respondents is left out) is applied here
# as in analysis/compare.py: region "other" has 3 respondents and is dropped.

set.seed(20240611)
out_dir <- "tests/reference"
fmt <- function(x) ifelse(is.na(x), "", sprintf("%.17g", x))
write_ref <- function(df, name) {
  for (col in names(df)) if (is.numeric(df[[col]])) df[[col]] <- fmt(df[[col]])
  write.csv(df, file.path(out_dir, name), row.names = FALSE, quote = FALSE, na = "")
}

# ---- simulated data -------------------------------------------------------------------
n <- 60
region <- c(rep("china", 26), rep("united_states", 31), rep("other", 3))
type <- sample(c(rep("big_tech", 25), rep("startup", 21), rep("academic_nonprofit", 14)))
score <- function(mu, sd) {
  items <- sapply(1:4, function(i) pmin(5, pmax(1, round(rnorm(n, mu, sd)))))
  rowMeans(items)
}
shift_region <- ifelse(region == "united_states", 0.6, 0)
shift_type <- c(big_tech = 0, startup = 0.3, academic_nonprofit = -0.4)[type]
spread_type <- c(big_tech = 0.8, startup = 1.3, academic_nonprofit = 0.6)[type]
c1 <- score(2.8 + shift_region + shift_type, 1)                 # H1: US > china (supported)
c2 <- score(3.0 + 1.2 * (region == "united_states"), spread_type) # H2: china > US (contrary)
c3 <- score(3.2 + 0.05 * (type == "startup"), 1.1)              # H3: startup > big_tech
c3[sample(n, 7)] <- NA
data <- data.frame(
  respondent_id = sprintf("SIM-%03d", 1:n), lab_region = region, lab_type = type,
  c1 = c1, c2 = c2, c3 = c3
)
write.csv(data, file.path(out_dir, "compare_data.csv"), row.names = FALSE, quote = FALSE,
          na = "")

constructs <- c("c1", "c2", "c3")
orders <- list(lab_region = c("china", "united_states", "other"),
               lab_type = c("big_tech", "startup", "academic_nonprofit"))
min_n <- 5

desc <- list(); omni <- list(); pairs <- list()
for (by in names(orders)) {
  sizes <- table(data[[by]])
  kept <- Filter(function(g) g %in% names(sizes) && sizes[[g]] >= min_n, orders[[by]])
  k <- length(kept)
  for (cn in constructs) {
    d <- data[data[[by]] %in% kept & !is.na(data[[cn]]), ]
    y <- d[[cn]]; g <- factor(d[[by]], levels = kept)
    for (grp in kept) {
      x <- y[g == grp]
      desc[[length(desc) + 1]] <- data.frame(by = by, construct = cn, group = grp,
        n = length(x), mean = mean(x), sd = sd(x), median = median(x))
    }
    w <- oneway.test(y ~ g, var.equal = FALSE)
    f <- unname(w$statistic); df1 <- unname(w$parameter[1]); df2 <- unname(w$parameter[2])
    N <- length(y)
    omni[[length(omni) + 1]] <- data.frame(by = by, construct = cn, test = "welch_anova",
      statistic = f, df1 = df1, df2 = df2, p_unc = w$p.value,
      effect_size = df1 * (f - 1) / (df1 * (f - 1) + N), k = k, n = N)
    kt <- kruskal.test(y ~ g)
    omni[[length(omni) + 1]] <- data.frame(by = by, construct = cn, test = "kruskal",
      statistic = unname(kt$statistic), df1 = unname(kt$parameter), df2 = NA,
      p_unc = kt$p.value, effect_size = unname(kt$statistic) / (N - 1), k = k, n = N)
    for (i in 1:(k - 1)) for (j in (i + 1):k) {
      a <- y[g == kept[i]]; b <- y[g == kept[j]]
      na <- length(a); nb <- length(b)
      ua <- var(a) / na; ub <- var(b) / nb
      tt <- (mean(a) - mean(b)) / sqrt(ua + ub)
      df <- (ua + ub)^2 / (ua^2 / (na - 1) + ub^2 / (nb - 1))
      if (k >= 3) {
        p <- ptukey(sqrt(2) * abs(tt), k, df, lower.tail = FALSE); test <- "games_howell"
      } else {
        r <- t.test(a, b, var.equal = FALSE)
        stopifnot(abs(r$statistic - tt) < 1e-12, abs(r$parameter - df) < 1e-9)
        p <- r$p.value; test <- "welch_t"
      }
      sp <- sqrt(((na - 1) * var(a) + (nb - 1) * var(b)) / (na + nb - 2))
      gg <- (mean(a) - mean(b)) / sp * (1 - 3 / (4 * (na + nb) - 9))
      se <- sqrt((na + nb) / (na * nb) + gg^2 / (2 * (na + nb)))
      crit <- qt(0.975, na + nb - 2)
      pairs[[length(pairs) + 1]] <- data.frame(by = by, construct = cn, group_a = kept[i],
        group_b = kept[j], n_a = na, n_b = nb, diff = mean(a) - mean(b), statistic = tt,
        df = df, test = test, p_unc = p, hedges_g = gg, g_ci_low = gg - crit * se,
        g_ci_high = gg + crit * se)
    }
  }
}
desc <- do.call(rbind, desc); omni <- do.call(rbind, omni); pairs <- do.call(rbind, pairs)

# Families: omnibus = one test over the constructs of one grouping; pairwise = one pair of
# groups over the constructs of one grouping.
omni$p_adj_holm <- ave(omni$p_unc, omni$by, omni$test, FUN = function(p) p.adjust(p, "holm"))
omni$p_adj_bh <- ave(omni$p_unc, omni$by, omni$test, FUN = function(p) p.adjust(p, "BH"))
pairs$p_adj_holm <- ave(pairs$p_unc, pairs$by, pairs$group_a, pairs$group_b,
                        FUN = function(p) p.adjust(p, "holm"))
pairs$p_adj_bh <- ave(pairs$p_unc, pairs$by, pairs$group_a, pairs$group_b,
                      FUN = function(p) p.adjust(p, "BH"))
write_ref(desc, "compare_descriptives.csv")
write_ref(omni, "compare_omnibus.csv")
write_ref(pairs, "compare_pairwise.csv")

# ---- hypotheses ----------------------------------------------------------------------
hyp <- data.frame(
  hypothesis = c("H1", "H2", "H3", "H4"),
  construct = c("c1", "c2", "c3", "c1"),
  by = c("lab_region", "lab_region", "lab_type", "lab_region"),
  higher = c("united_states", "china", "startup", "other"),
  lower = c("china", "united_states", "big_tech", "china")
)
res <- list()
for (i in seq_len(nrow(hyp))) {
  h <- hyp[i, ]
  x <- data[[h$construct]]; grp <- data[[h$by]]
  a <- x[grp == h$higher & !is.na(x)]; b <- x[grp == h$lower & !is.na(x)]
  if (sum(grp == h$higher) < min_n || sum(grp == h$lower) < min_n) {
    res[[i]] <- data.frame(hypothesis = h$hypothesis, observed_diff = NA, hedges_g = NA,
      g_ci_low = NA, g_ci_high = NA, t = NA, df = NA, p_unc = NA)
    next
  }
  r <- t.test(a, b, var.equal = FALSE)
  na <- length(a); nb <- length(b)
  sp <- sqrt(((na - 1) * var(a) + (nb - 1) * var(b)) / (na + nb - 2))
  gg <- (mean(a) - mean(b)) / sp * (1 - 3 / (4 * (na + nb) - 9))
  se <- sqrt((na + nb) / (na * nb) + gg^2 / (2 * (na + nb)))
  crit <- qt(0.975, na + nb - 2)
  res[[i]] <- data.frame(hypothesis = h$hypothesis, observed_diff = mean(a) - mean(b),
    hedges_g = gg, g_ci_low = gg - crit * se, g_ci_high = gg + crit * se,
    t = unname(r$statistic), df = unname(r$parameter), p_unc = r$p.value)
}
res <- do.call(rbind, res)
res$p_adj <- p.adjust(res$p_unc, "holm")  # NA entries are left out of the family
res$verdict <- ifelse(is.na(res$p_adj), "not testable",
  ifelse(res$p_adj >= 0.05, "not supported",
    ifelse(res$observed_diff > 0, "supported", "contrary")))
write_ref(res, "compare_hypotheses.csv")
