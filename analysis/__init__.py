"""Pure computation on validated responses: scoring, reliability, comparison, hypotheses.

Nothing here reads a file; every function takes an Instrument and a ResponseSet (or a
DataFrame) and returns DataFrames with the fixed columns documented in each function.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name -> the module that defines it. The modules are imported when a name is
#: first used, so ``import analysis.scoring`` (``survey score``) does not import the
#: comparison, factor-analysis and multilevel modules as well.
_WHERE: dict[str, str] = {
    "CFAFit": "analysis.cfa",
    "GroupFit": "analysis.cfa",
    "fit_cfa": "analysis.cfa",
    "fit_mgcfa": "analysis.cfa",
    "modification_indices": "analysis.cfa",
    "score_tests": "analysis.cfa",
    "Comparison": "analysis.compare",
    "compare_groups": "analysis.compare",
    "compare_responses": "analysis.compare",
    "ParallelAnalysis": "analysis.dimensionality",
    "dimensionality": "analysis.dimensionality",
    "parallel_analysis": "analysis.dimensionality",
    "decide_hypotheses": "analysis.hypotheses",
    "evaluate_hypotheses": "analysis.hypotheses",
    "Invariance": "analysis.invariance",
    "PartialInvariance": "analysis.invariance",
    "measurement_invariance": "analysis.invariance",
    "partial_invariance": "analysis.invariance",
    "agreement_summary": "analysis.multilevel",
    "compare_nested": "analysis.multilevel",
    "evaluate_hypotheses_nested": "analysis.multilevel",
    "fit_random_intercept": "analysis.multilevel",
    "lab_agreement": "analysis.multilevel",
    "lab_icc": "analysis.multilevel",
    "resolve_cluster": "analysis.multilevel",
    "Plan": "analysis.planning",
    "detectable_effect": "analysis.planning",
    "plan_sensitivity": "analysis.planning",
    "plan_study": "analysis.planning",
    "plan_table": "analysis.planning",
    "Polychoric": "analysis.polychoric",
    "ordinal_reliability": "analysis.polychoric",
    "polychoric": "analysis.polychoric",
    "AlphaStats": "analysis.reliability",
    "OneFactor": "analysis.reliability",
    "analyse_items": "analysis.reliability",
    "assess_reliability": "analysis.reliability",
    "cronbach_alpha": "analysis.reliability",
    "fit_one_factor": "analysis.reliability",
    "omega_total": "analysis.reliability",
    "keyed_matrix": "analysis.scoring",
    "reverse_key": "analysis.scoring",
    "score_scales": "analysis.scoring",
    "acquiescence_corrected_scores": "analysis.styles",
    "acquiescence_sensitivity": "analysis.styles",
    "compare_styles": "analysis.styles",
    "style_indices": "analysis.styles",
    "MeasurementModel": "analysis.validity",
    "average_variance_extracted": "analysis.validity",
    "composite_reliability": "analysis.validity",
    "htmt": "analysis.validity",
    "measurement_model": "analysis.validity",
}

if TYPE_CHECKING:  # pragma: no cover
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


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'analysis' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_WHERE})


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
