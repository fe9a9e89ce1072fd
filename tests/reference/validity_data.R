# The data, keying and helpers shared by validity.R and validity_columns.R (sourced by
# both, from the repository root; not run on its own):
#   sample          validity_sample.csv with 6 - x on the reversed items (the 2nd, 4th
#                   and 6th of each construct), sample_factors its eight constructs
#   bfi             validity_bfi.csv (validity.R writes it first, from psych::bfi) with
#                   7 - x on psych's bfi.keys, bfi_factors its five factors
#   model_syntax()  lavaan syntax of a list of factors
#   datasets        both, as list(data, factors)
#   write_ref()     a table with every number to 17 significant digits

suppressPackageStartupMessages({
  library(psych)
  library(lavaan)
})
out_dir <- "tests/reference"
# fa.parallel draws its random data inside parallel::mclapply, whose forked workers do not
# follow set.seed(); one core makes the draws, and so these files, reproducible
options(mc.cores = 1)
fmt <- function(x) ifelse(is.na(x), "", sprintf("%.17g", x))
write_ref <- function(df, name) {
  for (col in names(df)) if (is.numeric(df[[col]])) df[[col]] <- fmt(df[[col]])
  write.csv(df, file.path(out_dir, name), row.names = FALSE, quote = FALSE, na = "")
}

sample <- read.csv(file.path(out_dir, "validity_sample.csv"), stringsAsFactors = FALSE)
prefixes <- c(self_promotion = "sp", student_involvement = "si", build_vs_buy = "bb",
              open_weights = "ow", team_execution = "te", societal_engagement = "se",
              peer_respect = "pr", business_attention = "ba")
sample_factors <- lapply(prefixes, function(p) paste0(p, 1:6))
for (f in sample_factors) for (it in f[c(2, 4, 6)]) sample[[it]] <- 6 - sample[[it]]

bfi <- read.csv(file.path(out_dir, "validity_bfi.csv"))
for (it in c("A1", "C4", "C5", "E1", "E2", "O2", "O5")) bfi[[it]] <- 7 - bfi[[it]]
bfi_factors <- list(agree = paste0("A", 1:5), consc = paste0("C", 1:5),
                    extra = paste0("E", 1:5), neuro = paste0("N", 1:5),
                    open = paste0("O", 1:5))
bfi_items <- unlist(bfi_factors, use.names = FALSE)

model_syntax <- function(factors) {
  paste(sapply(names(factors), function(f) paste0(f, " =~ ", paste(factors[[f]],
                                                                    collapse = " + "))),
        collapse = "\n")
}
datasets <- list(
  sample = list(data = sample[, unlist(sample_factors)], factors = sample_factors),
  bfi = list(data = bfi[, bfi_items], factors = bfi_factors)
)
