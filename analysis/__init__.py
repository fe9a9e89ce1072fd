"""Pure computation on validated responses: scoring, reliability, comparison, hypotheses.

Nothing here reads a file; every function takes an Instrument and a ResponseSet (or a
DataFrame) and returns DataFrames with the fixed columns documented in each function.
"""

from analysis.cfa import (
    CFAFit,
    GroupFit,
    fit_cfa,
    fit_mgcfa,
    modification_indices,
    score_tests,
)
from analysis.compare import Comparison, compare_groups, compare_responses
from analysis.dimensionality import ParallelAnalysis, dimensionality, parallel_analysis
from analysis.hypotheses import decide_hypotheses, evaluate_hypotheses
from analysis.invariance import (
    Invariance,
    PartialInvariance,
    measurement_invariance,
    partial_invariance,
)
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
from analysis.polychoric import Polychoric, ordinal_reliability, polychoric
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
from analysis.validity import (
    MeasurementModel,
    average_variance_extracted,
    composite_reliability,
    htmt,
    measurement_model,
)

__all__: list[str] = [
    "Comparison",
    "compare_groups",
    "compare_responses",
    "decide_hypotheses",
    "evaluate_hypotheses",
    "Invariance",
    "PartialInvariance",
    "measurement_invariance",
    "partial_invariance",
    "CFAFit",
    "GroupFit",
    "fit_cfa",
    "fit_mgcfa",
    "modification_indices",
    "score_tests",
    "ParallelAnalysis",
    "dimensionality",
    "parallel_analysis",
    "Polychoric",
    "ordinal_reliability",
    "polychoric",
    "MeasurementModel",
    "average_variance_extracted",
    "composite_reliability",
    "htmt",
    "measurement_model",
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
