"""Pure computation on validated responses: scoring, reliability, comparison, hypotheses.

Nothing here reads a file; every function takes an Instrument and a ResponseSet (or a
DataFrame) and returns DataFrames with the fixed columns documented in each function.
"""

from analysis.compare import Comparison, compare_groups, compare_responses
from analysis.hypotheses import decide_hypotheses, evaluate_hypotheses
from analysis.invariance import FitResult, Invariance, fit_mgcfa, measurement_invariance
from analysis.multilevel import (
    agreement_summary,
    compare_nested,
    evaluate_hypotheses_nested,
    fit_random_intercept,
    lab_agreement,
    lab_icc,
    resolve_cluster,
)
from analysis.planning import (
    Plan,
    detectable_effect,
    plan_sensitivity,
    plan_study,
    plan_table,
)
from analysis.reliability import (
    AlphaStats,
    OneFactor,
    analyse_items,
    assess_reliability,
    cronbach_alpha,
    fit_one_factor,
    omega_total,
)
from analysis.scoring import keyed_matrix, reverse_key, score_scales
from analysis.styles import (
    acquiescence_corrected_scores,
    acquiescence_sensitivity,
    compare_styles,
    style_indices,
)

__all__: list[str] = [
    "Comparison",
    "compare_groups",
    "compare_responses",
    "decide_hypotheses",
    "evaluate_hypotheses",
    "FitResult",
    "Invariance",
    "fit_mgcfa",
    "measurement_invariance",
    "agreement_summary",
    "compare_nested",
    "evaluate_hypotheses_nested",
    "fit_random_intercept",
    "lab_agreement",
    "lab_icc",
    "resolve_cluster",
    "acquiescence_corrected_scores",
    "acquiescence_sensitivity",
    "compare_styles",
    "style_indices",
    "Plan",
    "detectable_effect",
    "plan_sensitivity",
    "plan_study",
    "plan_table",
    "AlphaStats",
    "OneFactor",
    "analyse_items",
    "assess_reliability",
    "cronbach_alpha",
    "fit_one_factor",
    "omega_total",
    "keyed_matrix",
    "reverse_key",
    "score_scales",
]
