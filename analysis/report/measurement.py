"""The report's Measurement model section: does the instrument measure what it claims?

:func:`run_measurement` computes the section's tables: the dimensionality of the items
(parallel analysis), the full confirmatory factor model by ML and robust ML with its
loadings, factor correlations and modification indices, convergent and discriminant
validity (composite reliability, AVE, Fornell-Larcker, HTMT), and, across the groups
of the report's grouping question, partial scalar invariance where scalar invariance
fails and the latent mean differences (:mod:`analysis.validity`,
:mod:`analysis.dimensionality`, :mod:`analysis.cfa`, :mod:`analysis.invariance`).
:func:`with_latent_means` adds the latent comparison to the hypotheses table, and
:func:`measurement_context`, :func:`methods_paragraph` and :func:`reference_keys` give
the page its words, in English and Chinese, with a plain-language reading of each table.

Nothing here fails the report: a part that cannot be computed (too few respondents for
the full model, or for the 100 per group a multi-group model needs) is left empty and
the section says why.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from survey.errors import SurveyError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from analysis.report.tables import ReportData
    from survey.responses.model import ResponseSet

__all__ = [
    "HYPOTHESIS_LATENT_COLUMNS",
    "LABELS",
    "MEASUREMENT_TABLES",
    "REFERENCES",
    "Measurement",
    "measurement_context",
    "methods_paragraph",
    "reference_keys",
    "run_measurement",
    "with_latent_means",
]

#: The section's tables, in the order of ``tables/`` and the workbook.
MEASUREMENT_TABLES = (
    "dimensionality", "cfa_fit", "cfa_loadings", "factor_correlations",
    "modification_indices", "validity", "htmt", "partial_invariance", "latent_means",
)
#: Columns :func:`with_latent_means` adds to the hypotheses table, after the others.
HYPOTHESIS_LATENT_COLUMNS = ["latent_diff", "latent_se", "latent_p", "freed_intercepts"]
#: Rules of thumb for the fit of the full model (Hu & Bentler 1999; acceptable bounds
#: as commonly used): (CFI/TLI at least, RMSEA at most, SRMR at most).
GOOD_FIT = (0.95, 0.06, 0.08)
ACCEPTABLE_FIT = (0.90, 0.08, 0.10)
#: Standardised loadings below this are pointed out.
LOW_LOADING = 0.40


@dataclass(frozen=True)
class Measurement:
    """What the section found besides its tables.

    Attributes
    ----------
    fitted : bool
        Whether the full factor model was fitted.
    n, npar : int
        Complete respondents and free parameters of the full model.
    seed : int
        Seed of the parallel analysis.
    notes : tuple of str
        Why a part was not computed, and caveats.
    answered : int
        Respondents who answered at least one item (the full model uses those who
        answered all of them).
    """

    fitted: bool
    n: int
    npar: int
    seed: int
    notes: tuple[str, ...] = ()
    answered: int = 0


def run_measurement(
    responses: ResponseSet,
    by: str,
    groups: Sequence[str] | None,
    invariance_summary: pd.DataFrame,
    *,
    progress: Callable[[str], None] | None = None,
    seed: int | None = None,
    missing: str = "listwise",
    min_group_n: int | None = None,
) -> tuple[dict[str, pd.DataFrame], Measurement]:
    """Compute the section's tables (``survey validate`` writes the same ones).

    Parameters
    ----------
    responses : ResponseSet
        The validated responses.
    by : str
        The report's grouping question.
    groups : sequence of str or None
        The groups compared (suppressed groups left out), as for the invariance check;
        None for every group.
    invariance_summary : pandas.DataFrame
        The invariance summary of the comparability checks (same groups and settings).
    progress : callable, optional
        Called with a short message at the start of each step.
    seed, missing : optional
        Of :func:`analysis.validity.measurement_model` (the parallel analysis' seed; how
        missing answers enter the factor model).
    min_group_n : int, optional
        Complete respondents a group needs for the partial models (default: that of
        :data:`~analysis.invariance.INVARIANCE_CRITERIA`).

    Returns
    -------
    (dict of str to pandas.DataFrame, Measurement)
        :data:`MEASUREMENT_TABLES` -> table, and what else the section says.
    """
    import numpy as np

    from analysis.invariance import LATENT_COLUMNS, PARTIAL_COLUMNS
    from analysis.validity import _single_thread, measurement_model

    step = progress or (lambda _message: None)
    step("measurement model")
    model = measurement_model(responses, seed=seed, missing=missing)
    tables = dict(model.tables)
    notes = list(model.notes)
    answered = int(responses.data[[i for c in responses.instrument.constructs
                                   for i in c.item_ids]].notna().any(axis=1).sum())
    step("partial invariance and latent means")
    try:
        with _single_thread():
            partial = _partial(responses, by, None if groups is None else list(groups),
                               invariance_summary, min_group_n=min_group_n)
        tables["partial_invariance"] = partial.steps
        tables["latent_means"] = partial.latent
    except (SurveyError, np.linalg.LinAlgError) as exc:
        notes.append(f"partial invariance not computed: {exc}")
        tables["partial_invariance"] = _empty(PARTIAL_COLUMNS)
        tables["latent_means"] = _empty(LATENT_COLUMNS)
    return tables, Measurement(fitted=model.fitted, n=model.n, npar=model.npar,
                               seed=model.seed, notes=tuple(notes), answered=answered)


def _empty(columns):
    import pandas as pd

    return pd.DataFrame(columns=list(columns))


def _partial(responses, by, groups, summary=None, constructs=None, min_group_n=None):
    """The partial invariance models, judged by the report's invariance criteria."""
    from analysis.invariance import INVARIANCE_CRITERIA, partial_invariance

    criteria = dict(INVARIANCE_CRITERIA)
    if min_group_n is not None:
        criteria["min_group_n"] = min_group_n
    return partial_invariance(responses, by, groups=groups, constructs=constructs,
                              summary=summary, **criteria)


def with_latent_means(
    hypotheses: pd.DataFrame,
    responses: ResponseSet,
    latent: pd.DataFrame | None = None,
    summaries: dict | None = None,
) -> pd.DataFrame:
    """The hypotheses table with the latent comparison of each hypothesis added.

    Adds :data:`HYPOTHESIS_LATENT_COLUMNS` after the table's columns: ``latent_diff``
    (the latent mean of the group predicted higher minus the other's, in SD units of
    the first group of the model), ``latent_se``, ``latent_p`` and ``freed_intercepts``
    (comma-separated, empty under full scalar invariance). Where the latent comparison
    rests on partial invariance, ``comparison_support`` says so (``partial invariance
    (bb5 freed)``) instead of that scalar invariance is not supported; where partial
    invariance was not reached it says that too. A hypothesis whose two groups are not
    the ones in ``latent`` gets its own two-group analysis.

    Parameters
    ----------
    hypotheses : pandas.DataFrame
        The hypotheses table (not modified).
    responses : ResponseSet
        The validated responses.
    latent : pandas.DataFrame, optional
        :attr:`analysis.invariance.PartialInvariance.latent` for some groups, reused
        where a hypothesis compares exactly those.
    summaries : dict, optional
        (grouping question, frozenset of the two groups, construct) -> the invariance
        summary row of that comparison, when already computed.

    Returns
    -------
    pandas.DataFrame
    """
    import numpy as np
    import pandas as pd

    from analysis.validity import _single_thread

    inst = responses.instrument
    table = hypotheses.copy()
    for col in HYPOTHESIS_LATENT_COLUMNS:
        table[col] = "" if col == "freed_intercepts" else np.nan
    found: dict[tuple[str, frozenset, str], dict] = {}
    for r in (latent.to_dict("records") if latent is not None else []):
        found[(r["by"], frozenset((r["reference"], r["group"])), r["construct"])] = r
    wanted: dict[tuple[str, str, str], list[str]] = {}
    for h, row in zip(inst.hypotheses, table.to_dict("records"), strict=True):
        if row.get("verdict") == "not testable":
            continue
        if (h.by, frozenset((h.higher, h.lower)), h.construct) not in found:
            pair = (h.higher, h.lower) if h.higher < h.lower else (h.lower, h.higher)
            wanted.setdefault((h.by, *pair), []).append(h.construct)
    for (h_by, first, second), constructs in wanted.items():
        constructs = list(dict.fromkeys(constructs))
        rows = [summaries.get((h_by, frozenset((first, second)), c))
                for c in constructs] if summaries else []
        summary = pd.DataFrame(rows) if rows and all(r is not None for r in rows) else None
        groups = [first, second]
        if summary is not None and len(summary) and summary.iloc[0]["groups"]:
            groups = str(summary.iloc[0]["groups"]).split("|")
        try:
            with _single_thread():
                extra = _partial(responses, h_by, groups, summary, constructs).latent
        except (SurveyError, np.linalg.LinAlgError):
            continue
        for r in extra.to_dict("records"):
            found[(h_by, frozenset((first, second)), r["construct"])] = r
    for i, h in enumerate(inst.hypotheses):
        if table.iloc[i].get("verdict") == "not testable":
            continue
        r = found.get((h.by, frozenset((h.higher, h.lower)), h.construct))
        if r is None:
            continue
        support = str(table.iloc[i]["comparison_support"])
        if r["status"] == "ok":
            sign = 1.0 if r["reference"] == h.lower else -1.0
            table.iloc[i, table.columns.get_loc("latent_diff")] = sign * r["latent_diff"]
            table.iloc[i, table.columns.get_loc("latent_se")] = r["se"]
            table.iloc[i, table.columns.get_loc("latent_p")] = r["p"]
            table.iloc[i, table.columns.get_loc("freed_intercepts")] = r["freed_intercepts"]
            if r["freed_intercepts"]:
                support = _replace_scalar(support,
                                          f"partial invariance ({r['freed_intercepts']} freed)")
        elif r["status"] == "partial invariance not reached":
            support = _replace_scalar(support, None)
        table.iloc[i, table.columns.get_loc("comparison_support")] = support
    return table


def _replace_scalar(support: str, replacement: str | None) -> str:
    """Rewrite the ``scalar invariance not supported`` reason of a comparison_support."""
    reasons = [r for r in support.split("; ") if r and r != "ok"]
    out = []
    for reason in reasons:
        if reason.startswith("scalar invariance not supported"):
            reason = replacement if replacement is not None else (
                reason + " (partial invariance not reached)")
        out.append(reason)
    return "; ".join(out) or "ok"


# ---- words ------------------------------------------------------------------------------

LABELS: dict[str, dict[str, str]] = {
    "en": {
        "measurement": "Measurement model",
        "ordinal_alpha": "Ordinal α",
        "ordinal_omega": "Ordinal ω",
        "intro": (
            "Does the instrument measure what it claims? This section checks how many "
            "dimensions the items span, fits one confirmatory factor model with every "
            "construct as a correlated factor, asks whether the constructs are distinct "
            "from each other, and, where the groups' item intercepts differ, whether a "
            "partial model still allows their latent means to be compared."
        ),
        "dimensionality": "How many dimensions?",
        "dim_caption": "Parallel analysis (the first eigenvalues of all items)",
        "dim_scopes": "Suggested numbers, all items and per construct",
        "scope": "Items of",
        "all_items": "all items",
        "n": "n",
        "k": "items",
        "expected": "constructs",
        "factors": "factors",
        "components": "components",
        "number": "#",
        "observed": "observed",
        "random_q95": "random, 95th pct.",
        "component_eig": "Component eigenvalue",
        "factor_eig": "Factor eigenvalue",
        "dim_reading_same": (
            "Parallel analysis of all {k} items suggests {f} factors and {c} components: "
            "as many as the instrument's {m} constructs."
        ),
        "dim_reading_diff": (
            "Parallel analysis of all {k} items suggests {f} factors and {c} components, "
            "not the {m} constructs of the instrument: some constructs may not be "
            "distinct, or some items may measure something else."
        ),
        "dim_reading_each": "Within each construct, the items suggest a single factor.",
        "dim_reading_multi": "Within {constructs}, the items suggest more than one factor.",
        "dim_seed": "Random part: {n_iter} data sets of normal noise, seed {seed}.",
        "cfa": "The full factor model",
        "fit_caption": "Fit of the model with every construct as a correlated factor",
        "estimator": "Estimator",
        "ml": "ML",
        "mlm": "Robust ML (Satorra–Bentler)",
        "chisq": "χ²",
        "df": "df",
        "p": "p",
        "fit_reading": (
            "The {m}-factor model fits {quality}: {which}CFI {cfi}, TLI {tli}, RMSEA {rmsea} "
            "[{rmsea_low}, {rmsea_high}], SRMR {srmr} (Hu & Bentler 1999 suggest CFI and TLI "
            "of .95 or more, RMSEA up to .06 and SRMR up to .08; .90 and .08 are common "
            "acceptable bounds)."
        ),
        "robust_which": "robust ",
        "fiml_hint": (
            "Only {n} of the {answered} respondents answered every item, and the full "
            "model uses them alone (listwise, as lavaan's default and as the robust "
            "correction requires); {{cmd}} fits it to every respondent by "
            "full-information ML."
        ),
        "saturated": (
            "The model has as many parameters as the data have variances and covariances "
            "(df = 0): it reproduces them exactly, so its fit cannot be tested."
        ),
        "good": "well",
        "acceptable": "acceptably",
        "poor": "poorly",
        "loadings_caption": "Standardised loadings (robust standard errors)",
        "construct": "Construct",
        "item": "Item",
        "std_loading": "Loading",
        "se": "SE",
        "r2": "R²",
        "loading_reading": (
            "Standardised loadings range from {low} ({low_item}) to {high} ({high_item})."
        ),
        "loading_low": " Below {cut}: {items}.",
        "loading_fine": " All are {cut} or more.",
        "validity": "Are the constructs distinct?",
        "validity_caption": "Convergent and discriminant validity",
        "omega": "ω (CR)",
        "ave": "AVE",
        "sqrt_ave": "√AVE",
        "max_r": "largest r",
        "fornell_larcker": "√AVE > r",
        "max_htmt": "largest HTMT",
        "matrix_caption": (
            "Factor correlations (below the diagonal), √AVE (diagonal) and HTMT (above)"
        ),
        "distinct_reading": (
            "The {m} constructs are distinct: no HTMT above .85 (the largest is {max} for "
            "{a} and {b})"
        ),
        "fl_all": ", and every construct's √AVE exceeds its correlations with the others "
                  "(Fornell–Larcker).",
        "fl_some": "; √AVE does not exceed the correlation with another construct for "
                   "{constructs} (Fornell–Larcker).",
        "not_distinct_reading": (
            "These pairs may not be distinct constructs (HTMT above .85; above .90 is "
            "marked): {pairs}."
        ),
        "convergent_reading": (
            "Composite reliability ranges from {low} to {high}; the average variance "
            "extracted from {ave_low} to {ave_high}."
        ),
        "ave_low_reading": (
            " AVE is below .50 for {count} of {m} constructs: their items share less than "
            "half of their variance with the construct they measure."
        ),
        "ave_fine_reading": " Every construct explains at least half of its items' variance.",
        "yes": "yes",
        "no": "no",
        "modindices": "Where the model fits worst",
        "mi_caption": "Largest modification indices (hints; none applied)",
        "parameter": "Parameter",
        "kind": "Kind",
        "mi": "MI",
        "epc": "Expected change (std.)",
        "cross-loading": "cross-loading",
        "residual covariance": "residual covariance",
        "mi_reading": (
            "Modification indices say how much χ² would drop if a fixed parameter were "
            "freed. They point to where the model fits worst; they are hints to weigh "
            "against the items' content, never changes to make because the numbers "
            "suggest them."
        ),
        "partial": "Partial invariance and latent means",
        "partial_intro": (
            "Where scalar invariance fails between the groups, the intercepts that "
            "differ are released one at a time (largest score test first) until the "
            "partial model no longer fails Chen's rule against the metric model, with at "
            "least two items still constrained. The groups are then compared on the "
            "latent mean, with the first group's mean fixed at 0 and its standard "
            "deviation at 1."
        ),
        "steps_caption": "Releasing intercepts, step by step",
        "step": "Step",
        "released": "Released",
        "score": "Score test χ²",
        "status": "Result",
        "latent_caption": "Latent mean differences beside the observed ones",
        "comparison": "Comparison",
        "model": "Model",
        "freed": "Freed",
        "latent_diff": "Latent diff. (SD) [95% CI]",
        "observed_diff": "Observed diff. (SD)",
        "scalar": "scalar",
        "partial scalar": "partial scalar",
        "partial_reached": (
            "{construct}: scalar invariance fails between {groups}; releasing the "
            "intercept of {items} restores it ({kept} of {k} items keep equal intercepts), "
            "so the latent means can be compared."
        ),
        "partial_not_reached": (
            "{construct}: scalar invariance fails between {groups}, and releasing "
            "intercepts does not restore it while two items keep equal intercepts: "
            "partial invariance is not reached and the means should not be compared."
        ),
        "latent_reading": (
            "{construct}: {group} − {reference} = {diff} SD on the latent mean (p {p}), "
            "against an observed difference of {obs} ({obs_sd} SD)."
        ),
        "no_partial": (
            "Scalar invariance holds for every construct tested: the latent means are "
            "compared under the full scalar model."
        ),
        "not_tested_partial": (
            "Latent means were not compared: {why}."
        ),
        "ok": "ok",
        "partial invariance reached": "partial invariance reached",
        "partial invariance not reached": "partial invariance not reached",
        "not warranted": "not warranted",
        "not tested": "not tested",
        "not converged": "not converged",
    },
    "zh": {
        "measurement": "测量模型",
        "ordinal_alpha": "序数 α",
        "ordinal_omega": "序数 ω",
        "intro": (
            "问卷是否测到了它声称要测的东西？本节检查题目涵盖几个维度；以每个构念为一个相关因子，"
            "拟合一个完整的验证性因子模型；检验各构念之间是否可区分；并在各组题目截距不同时，"
            "检验部分等值模型是否仍允许比较潜在均值。"
        ),
        "dimensionality": "有几个维度？",
        "dim_caption": "平行分析（全部题目的前几个特征值）",
        "dim_scopes": "建议的因子数：全部题目与各构念",
        "scope": "题目范围",
        "all_items": "全部题目",
        "n": "n",
        "k": "题数",
        "expected": "构念数",
        "factors": "因子",
        "components": "成分",
        "number": "#",
        "observed": "观测值",
        "random_q95": "随机数据第 95 百分位",
        "component_eig": "成分特征值",
        "factor_eig": "因子特征值",
        "dim_reading_same": (
            "对全部 {k} 道题目的平行分析建议 {f} 个因子、{c} 个成分，与问卷的 {m} 个构念数目相同。"
        ),
        "dim_reading_diff": (
            "对全部 {k} 道题目的平行分析建议 {f} 个因子、{c} 个成分，而问卷有 {m} 个构念："
            "部分构念可能无法区分，或部分题目可能测到了别的东西。"
        ),
        "dim_reading_each": "在每个构念内部，题目都只指向一个因子。",
        "dim_reading_multi": "在{constructs}内部，题目指向不止一个因子。",
        "dim_seed": "随机部分：{n_iter} 组正态噪声数据，随机种子 {seed}。",
        "cfa": "完整因子模型",
        "fit_caption": "以每个构念为相关因子的模型拟合",
        "estimator": "估计方法",
        "ml": "最大似然",
        "mlm": "稳健最大似然（Satorra–Bentler）",
        "chisq": "χ²",
        "df": "自由度",
        "p": "p",
        "fit_reading": (
            "{m} 因子模型拟合{quality}：{which}CFI {cfi}，TLI {tli}，RMSEA {rmsea} "
            "[{rmsea_low}, {rmsea_high}]，SRMR {srmr}（Hu & Bentler 1999 建议 CFI 与 TLI 不低于 "
            ".95、RMSEA 不高于 .06、SRMR 不高于 .08；.90 与 .08 是常用的可接受界限）。"
        ),
        "robust_which": "稳健 ",
        "fiml_hint": (
            "{answered} 名受访者中只有 {n} 名作答了全部题目，完整模型仅使用这些受访者（列删除，"
            "与 lavaan 默认一致，也是稳健校正所要求的）；{{cmd}} 以完全信息最大似然对全部"
            "受访者拟合该模型。"
        ),
        "saturated": (
            "模型参数与数据的方差和协方差一样多（自由度为 0）：它完全复现数据，无法检验拟合。"
        ),
        "good": "良好",
        "acceptable": "尚可",
        "poor": "不佳",
        "loadings_caption": "标准化载荷（稳健标准误）",
        "construct": "构念",
        "item": "题目",
        "std_loading": "载荷",
        "se": "标准误",
        "r2": "R²",
        "loading_reading": "标准化载荷从 {low}（{low_item}）到 {high}（{high_item}）。",
        "loading_low": "低于 {cut} 的题目：{items}。",
        "loading_fine": "全部不低于 {cut}。",
        "validity": "各构念是否可区分？",
        "validity_caption": "聚合效度与区分效度",
        "omega": "ω（组合信度）",
        "ave": "AVE",
        "sqrt_ave": "√AVE",
        "max_r": "最大相关",
        "fornell_larcker": "√AVE > r",
        "max_htmt": "最大 HTMT",
        "matrix_caption": "因子相关（对角线下方）、√AVE（对角线）与 HTMT（对角线上方）",
        "distinct_reading": (
            "{m} 个构念可以区分：没有 HTMT 高于 .85（最大为 {a} 与 {b} 之间的 {max}）"
        ),
        "fl_all": "，且每个构念的 √AVE 都高于它与其他构念的相关（Fornell–Larcker 准则）。",
        "fl_some": "；{constructs}的 √AVE 未高于其与另一构念的相关（Fornell–Larcker 准则）。",
        "not_distinct_reading": (
            "以下构念对可能无法区分（HTMT 高于 .85；高于 .90 者另有标注）：{pairs}。"
        ),
        "convergent_reading": (
            "组合信度从 {low} 到 {high}；平均提取方差（AVE）从 {ave_low} 到 {ave_high}。"
        ),
        "ave_low_reading": (
            "{m} 个构念中有 {count} 个的 AVE 低于 .50：其题目与所测构念共享的方差不到一半。"
        ),
        "ave_fine_reading": "每个构念都解释了其题目至少一半的方差。",
        "yes": "是",
        "no": "否",
        "modindices": "模型拟合最差之处",
        "mi_caption": "最大的修正指数（仅供参考，未据此修改模型）",
        "parameter": "参数",
        "kind": "类型",
        "mi": "修正指数",
        "epc": "预期变化（标准化）",
        "cross-loading": "交叉载荷",
        "residual covariance": "残差协方差",
        "mi_reading": (
            "修正指数表示若释放某个固定参数，χ² 预计下降多少。它们指出模型拟合最差之处，是需要"
            "结合题目内容权衡的线索，不应仅因数字如此就修改模型。"
        ),
        "partial": "部分等值与潜在均值",
        "partial_intro": (
            "当组间标量等值不成立时，逐一释放存在差异的截距（先释放得分检验最大者），直到部分"
            "等值模型相对于度量等值模型不再违反 Chen 的标准，且至少两道题目仍保持截距相等。"
            "随后在潜在均值上比较各组：第一组的均值固定为 0、标准差固定为 1。"
        ),
        "steps_caption": "逐步释放截距",
        "step": "步骤",
        "released": "释放",
        "score": "得分检验 χ²",
        "status": "结果",
        "latent_caption": "潜在均值差异与观测差异并列",
        "comparison": "比较",
        "model": "模型",
        "freed": "已释放",
        "latent_diff": "潜在差异（SD）[95% CI]",
        "observed_diff": "观测差异（SD）",
        "scalar": "标量",
        "partial scalar": "部分标量",
        "partial_reached": (
            "{construct}：{groups}之间标量等值不成立；释放 {items} 的截距后恢复（{k} 道题目中"
            "有 {kept} 道保持截距相等），因此可以比较潜在均值。"
        ),
        "partial_not_reached": (
            "{construct}：{groups}之间标量等值不成立，且在保留两道题目截距相等的前提下释放截距"
            "也无法恢复：未达到部分等值，不宜比较均值。"
        ),
        "latent_reading": (
            "{construct}：潜在均值上 {group} − {reference} = {diff} SD（p {p}），观测差异为 "
            "{obs}（{obs_sd} SD）。"
        ),
        "no_partial": "所有接受检验的构念均满足标量等值：潜在均值在完全标量模型下比较。",
        "not_tested_partial": "未比较潜在均值：{why}。",
        "too_few_groups": "完整作答者达到 {n} 人的组少于两个，不足以拟合多组因子模型",
        "ok": "正常",
        "partial invariance reached": "达到部分等值",
        "partial invariance not reached": "未达到部分等值",
        "not warranted": "不宜比较",
        "not tested": "未检验",
        "not converged": "未收敛",
    },
}

#: References the section cites (English, as papers cite them).
REFERENCES: dict[str, str] = {
    "brosseau2012": "Brosseau-Liard, P. E., Savalei, V., & Li, L. (2012). An investigation "
                    "of the sample performance of two nonnormality corrections for RMSEA. "
                    "Multivariate Behavioral Research, 47(6), 904–930.",
    "brosseau2014": "Brosseau-Liard, P. E., & Savalei, V. (2014). Adjusting incremental fit "
                    "indices for nonnormality. Multivariate Behavioral Research, 49(5), "
                    "460–470.",
    "byrne1989": "Byrne, B. M., Shavelson, R. J., & Muthén, B. (1989). Testing for the "
                 "equivalence of factor covariance and mean structures: The issue of partial "
                 "measurement invariance. Psychological Bulletin, 105(3), 456–466.",
    "fornell1981": "Fornell, C., & Larcker, D. F. (1981). Evaluating structural equation "
                   "models with unobservable variables and measurement error. Journal of "
                   "Marketing Research, 18(1), 39–50.",
    "henseler2015": "Henseler, J., Ringle, C. M., & Sarstedt, M. (2015). A new criterion for "
                    "assessing discriminant validity in variance-based structural equation "
                    "modeling. Journal of the Academy of Marketing Science, 43(1), 115–135.",
    "horn1965": "Horn, J. L. (1965). A rationale and test for the number of factors in "
                "factor analysis. Psychometrika, 30(2), 179–185.",
    "hu1999": "Hu, L., & Bentler, P. M. (1999). Cutoff criteria for fit indexes in "
              "covariance structure analysis: Conventional criteria versus new alternatives. "
              "Structural Equation Modeling, 6(1), 1–55.",
    "raykov1997": "Raykov, T. (1997). Estimation of composite reliability for congeneric "
                  "measures. Applied Psychological Measurement, 21(2), 173–184.",
    "roemer2021": "Roemer, E., Schuberth, F., & Henseler, J. (2021). HTMT2 – an improved "
                  "criterion for assessing discriminant validity in structural equation "
                  "modeling. Industrial Management & Data Systems, 121(12), 2637–2650.",
    "rosseel2012": "Rosseel, Y. (2012). lavaan: An R package for structural equation "
                   "modeling. Journal of Statistical Software, 48(2), 1–36.",
    "satorra1994": "Satorra, A., & Bentler, P. M. (1994). Corrections to test statistics and "
                   "standard errors in covariance structure analysis. In A. von Eye & C. C. "
                   "Clogg (Eds.), Latent variables analysis: Applications for developmental "
                   "research (pp. 399–419). Thousand Oaks, CA: Sage.",
    "sorbom1989": "Sörbom, D. (1989). Model modification. Psychometrika, 54(3), 371–384.",
    "zumbo2007": "Zumbo, B. D., Gadermann, A. M., & Zeisser, C. (2007). Ordinal versions of "
                 "coefficients alpha and theta for Likert rating scales. Journal of Modern "
                 "Applied Statistical Methods, 6(1), 21–29.",
}


def reference_keys(data: ReportData) -> list[str]:
    """Keys of :data:`REFERENCES` the methods paragraph cites."""
    return sorted(REFERENCES)


def _fit_quality(cfi: float, rmsea: float, srmr: float) -> str:
    if cfi >= GOOD_FIT[0] and rmsea <= GOOD_FIT[1] and srmr <= GOOD_FIT[2]:
        return "good"
    if cfi >= ACCEPTABLE_FIT[0] and rmsea <= ACCEPTABLE_FIT[1] and srmr <= ACCEPTABLE_FIT[2]:
        return "acceptable"
    return "poor"


def _join(items: Sequence[str], lang: str) -> str:
    items = list(items)
    if lang == "zh":
        return "、".join(items)
    if len(items) < 2:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def measurement_context(data: ReportData) -> dict[str, Any]:
    """Everything the section's template part needs, formatted, in the report's language."""
    import numpy as np

    from analysis.report.format import fmt_ci, fmt_coef, fmt_int, fmt_num, fmt_p
    from analysis.report.notes import group_namer, note_text

    lang = data.lang
    L = LABELS[lang]
    t = data.tables
    inst = data.instrument
    info: Measurement | None = getattr(data, "measurement", None)

    def name(cid: object) -> str:
        try:
            return data.text(inst.construct(str(cid)).name)
        except (KeyError, SurveyError):
            return str(cid)

    group = group_namer(inst, data.by, lang)
    notes = [note_text(n, lang, group) for n in info.notes] \
        if info is not None else []
    fiml_hint = None
    if info is not None and info.fitted and info.n < 0.9 * info.answered:
        before, after = L["fiml_hint"].format(n=info.n, answered=info.answered).split("{cmd}")
        fiml_hint = {"before": before, "command": "survey validate --missing fiml",
                     "after": after}

    # dimensionality
    dim = t["dimensionality"]
    scopes, eig_rows, dim_reading = [], [], []
    for scope, rows in dim.groupby("scope", sort=False):
        first = rows.iloc[0]
        scopes.append({
            "id": scope, "label": L["all_items"] if scope == "all" else name(scope),
            "n": fmt_int(first["n"]), "k": fmt_int(first["k"]),
            "expected": fmt_int(first["expected"]),
            "factors": fmt_int(first["factors_suggested"]),
            "components": fmt_int(first["components_suggested"]),
            "flag": bool(not _missing(first["factors_suggested"])
                         and int(first["factors_suggested"]) != int(first["expected"])),
            "note": note_text(first["note"], lang),
        })
    whole = dim[dim["scope"] == "all"]
    if len(whole) and not _missing(whole.iloc[0]["factors_suggested"]):
        w = whole.iloc[0]
        f, c, m = int(w["factors_suggested"]), int(w["components_suggested"]), int(w["expected"])
        key = "dim_reading_same" if f == m else "dim_reading_diff"
        dim_reading.append(L[key].format(k=int(w["k"]), f=f, c=c, m=m))
        show = min(len(whole), max(f, c, m) + 2)
        for r in whole.head(show).itertuples(index=False):
            eig_rows.append({
                "number": int(r.number),
                "pc": fmt_num(r.component_eigenvalue), "pc_q": fmt_num(r.component_random_q95),
                "fa": fmt_num(r.factor_eigenvalue), "fa_q": fmt_num(r.factor_random_q95),
                "pc_kept": r.component_eigenvalue > r.component_random_q95 and r.number <= c,
                "fa_kept": r.factor_eigenvalue > r.factor_random_q95 and r.number <= f,
            })
    per = [s for s in scopes if s["id"] != "all" and s["factors"] not in ("", "—")]
    multi = [s["label"] for s in per if s["flag"]]
    if per:
        dim_reading.append(L["dim_reading_multi"].format(constructs=_join(multi, lang))
                           if multi else L["dim_reading_each"])
    seed_text = ""
    if len(dim):
        seed_text = L["dim_seed"].format(n_iter=int(dim.iloc[0]["n_iter"]),
                                         seed=int(dim.iloc[0]["seed"]))

    # fit
    fit = t["cfa_fit"]
    fit_rows, fit_reading = [], ""
    for r in fit.itertuples(index=False):
        robust = r.estimator == "MLM"
        fit_rows.append({
            "estimator": L["mlm"] if robust else L["ml"], "code": r.estimator,
            "n": fmt_int(r.n),
            "chisq": fmt_num(r.chisq_scaled if robust else r.chisq),
            "df": fmt_int(r.df), "p": fmt_p(r.p_scaled if robust else r.p),
            "cfi": fmt_coef(r.cfi_robust if robust else r.cfi, 3),
            "tli": fmt_coef(r.tli_robust if robust else r.tli, 3),
            "rmsea": fmt_coef(r.rmsea_robust if robust else r.rmsea, 3),
            "rmsea_ci": fmt_ci(r.rmsea_robust_ci_low if robust else r.rmsea_ci_low,
                               r.rmsea_robust_ci_high if robust else r.rmsea_ci_high,
                               3, coef=True),
            "srmr": fmt_coef(r.srmr, 3),
            "scaling": fmt_num(r.scaling_factor, 3) if robust else "",
        })
    if len(fit):
        r = fit.iloc[-1]
        robust = r["estimator"] == "MLM" and not _missing(r["cfi_robust"])
        if int(r["df"]) == 0:
            fit_reading = L["saturated"]
        else:
            cfi = r["cfi_robust"] if robust else r["cfi"]
            rmsea = r["rmsea_robust"] if robust else r["rmsea"]
            quality = _fit_quality(cfi, rmsea, r["srmr"])
            fit_reading = L["fit_reading"].format(
                m=int(r["n_factors"]), quality=L[quality],
                which=L["robust_which"] if robust else "", cfi=fmt_coef(cfi, 3),
                tli=fmt_coef(r["tli_robust"] if robust else r["tli"], 3),
                rmsea=fmt_coef(rmsea, 3),
                rmsea_low=fmt_coef(r["rmsea_robust_ci_low"] if robust else r["rmsea_ci_low"],
                                   3),
                rmsea_high=fmt_coef(r["rmsea_robust_ci_high"] if robust
                                    else r["rmsea_ci_high"], 3),
                srmr=fmt_coef(r["srmr"], 3))

    # loadings
    loads = t["cfa_loadings"]
    loading_rows, loading_reading = [], ""
    previous = None
    for r in loads.itertuples(index=False):
        loading_rows.append({
            "construct": name(r.factor), "first": r.factor != previous, "item": r.item,
            "std": fmt_coef(r.std_loading), "se": fmt_coef(r.std_se, 3),
            "r2": fmt_coef(r.r2), "low": bool(r.std_loading < LOW_LOADING)})
        previous = r.factor
    if len(loads):
        lo = loads.iloc[int(np.argmin(loads["std_loading"].to_numpy()))]
        hi = loads.iloc[int(np.argmax(loads["std_loading"].to_numpy()))]
        loading_reading = L["loading_reading"].format(
            low=fmt_coef(lo["std_loading"]), low_item=lo["item"],
            high=fmt_coef(hi["std_loading"]), high_item=hi["item"])
        low = loads[loads["std_loading"] < LOW_LOADING]
        loading_reading += (L["loading_low"].format(
            cut=fmt_coef(LOW_LOADING), items=_join(
                [f"{it} ({fmt_coef(v)})" for it, v in zip(low["item"], low["std_loading"],
                                                         strict=True)], lang))
            if len(low) else L["loading_fine"].format(cut=fmt_coef(LOW_LOADING)))

    # validity
    val = t["validity"]
    ht = t["htmt"]
    corr = t["factor_correlations"]
    validity_rows, matrix, validity_reading = [], [], []
    factors = list(val["construct"])
    for r in val.itertuples(index=False):
        fl = None if _missing(r.fornell_larcker) else bool(r.fornell_larcker)
        validity_rows.append({
            "construct": name(r.construct), "omega": fmt_coef(r.omega),
            "ave": fmt_coef(r.ave), "sqrt_ave": fmt_coef(r.sqrt_ave),
            "max_r": fmt_coef(r.max_r), "max_r_with": name(r.max_r_with) if r.max_r_with
            else "", "fl": "" if fl is None else (L["yes"] if fl else L["no"]),
            "fl_fails": fl is False, "max_htmt": fmt_coef(r.max_htmt),
            "max_htmt_with": name(r.max_htmt_with) if r.max_htmt_with else "",
            "htmt_flag": bool(not _missing(r.max_htmt) and r.max_htmt > 0.85),
            "ave_low": bool(r.ave < 0.5)})
    if factors:
        rvals = {(a, b): v for a, b, v in zip(corr["factor_a"], corr["factor_b"], corr["r"],
                                             strict=True)}
        hvals = {(a, b): v for a, b, v in zip(ht["construct_a"], ht["construct_b"],
                                             ht["htmt"], strict=True)}
        sqrt_ave = dict(zip(val["construct"], val["sqrt_ave"], strict=True))
        for i, a in enumerate(factors):
            cells = []
            for j, b in enumerate(factors):
                if i == j:
                    cells.append({"value": fmt_coef(sqrt_ave[a]), "kind": "diag", "flag": False})
                elif i > j:
                    v = rvals.get((b, a), rvals.get((a, b), np.nan))
                    cells.append({"value": fmt_coef(v), "kind": "r",
                                  "flag": bool(abs(v) >= sqrt_ave[a] or abs(v) >= sqrt_ave[b])})
                else:
                    v = hvals.get((a, b), hvals.get((b, a), np.nan))
                    cells.append({"value": fmt_coef(v), "kind": "htmt",
                                  "flag": bool(not _missing(v) and v > 0.85)})
            matrix.append({"construct": name(a), "id": a, "cells": cells})
        above = ht[ht["htmt"] > 0.85]
        m = len(factors)
        if len(ht) and not len(above):
            top = ht.iloc[int(np.argmax(ht["htmt"].to_numpy()))]
            text = L["distinct_reading"].format(m=m, max=fmt_coef(top["htmt"]),
                                                a=name(top["construct_a"]),
                                                b=name(top["construct_b"]))
            fails = [name(c) for c, ok in zip(val["construct"], val["fornell_larcker"],
                                              strict=True) if not _missing(ok) and not ok]
            text += L["fl_some"].format(constructs=_join(fails, lang)) if fails \
                else L["fl_all"]
            validity_reading.append(text)
        elif len(above):
            pairs = [f"{name(a)} – {name(b)} ({fmt_coef(v)}{' > .90' if v > 0.9 else ''})"
                     for a, b, v in zip(above["construct_a"], above["construct_b"],
                                        above["htmt"], strict=True)]
            validity_reading.append(L["not_distinct_reading"].format(
                pairs=("；" if lang == "zh" else "; ").join(pairs)))
        text = L["convergent_reading"].format(
            low=fmt_coef(val["omega"].min()), high=fmt_coef(val["omega"].max()),
            ave_low=fmt_coef(val["ave"].min()), ave_high=fmt_coef(val["ave"].max()))
        low_ave = int((val["ave"] < 0.5).sum())
        text += L["ave_low_reading"].format(count=low_ave, m=m) if low_ave \
            else L["ave_fine_reading"]
        validity_reading.append(text)

    # modification indices
    mi_rows = []
    for r in t["modification_indices"].itertuples(index=False):
        mi_rows.append({
            "parameter": f"{r.lhs} {r.op} {r.rhs}", "kind": L.get(r.kind, r.kind),
            "mi": fmt_num(r.mi, 1), "sepc": fmt_coef(r.sepc_all)})

    # partial invariance and latent means
    steps = t["partial_invariance"]
    step_rows, partial_reading = [], []
    previous = None
    for r in steps.itertuples(index=False):
        step_rows.append({
            "construct": name(r.construct), "first": r.construct != previous,
            "step": int(r.step), "released": r.released,
            "score": fmt_num(r.score_chisq) if not _missing(r.score_chisq) else "",
            "cfi": fmt_coef(r.cfi, 3), "rmsea": fmt_coef(r.rmsea, 3),
            "srmr": fmt_coef(r.srmr, 3), "delta_cfi": fmt_coef(r.delta_cfi, 3),
            "delta_rmsea": fmt_coef(r.delta_rmsea, 3), "delta_srmr": fmt_coef(r.delta_srmr, 3),
            "fails": bool(r.fails) if not _missing(r.fails) else False,
            "status": L.get(r.status, r.status) if r.status else ""})
        previous = r.construct
    for cid, rows in steps.groupby("construct", sort=False):
        last = rows.iloc[-1]
        groups = _join([data.group_label(data.by, g) for g in str(last["groups"]).split("|")],
                       lang)
        k = len(inst.construct(cid).items)
        freed = [x for x in str(last["freed_intercepts"]).split(", ") if x]
        if last["status"] == "partial invariance reached":
            partial_reading.append(L["partial_reached"].format(
                construct=name(cid), groups=groups, items=_join(freed, lang),
                kept=k - len(freed), k=k))
        else:
            partial_reading.append(L["partial_not_reached"].format(construct=name(cid),
                                                                   groups=groups))
    latent = t["latent_means"]
    latent_rows, latent_reading = [], []
    for r in latent.itertuples(index=False):
        ok = r.status == "ok"
        latent_rows.append({
            "construct": name(r.construct), "id": r.construct,
            "comparison": (f"{data.group_label(data.by, r.group)} − "
                           f"{data.group_label(data.by, r.reference)}") if r.group else "",
            "model": L.get(r.model, r.model) if r.model else "",
            "freed": r.freed_intercepts,
            "n": f"{r.n_group} / {r.n_reference}" if r.n_reference else "",
            "latent": (f"{fmt_num(r.latent_diff)} {fmt_ci(r.ci_low, r.ci_high)}" if ok
                       else ""),
            "se": fmt_num(r.se, 3) if ok else "", "p": fmt_p(r.p) if ok else "",
            "observed": (f"{fmt_num(r.observed_diff)} ({fmt_num(r.observed_std_diff)})"
                         if not _missing(r.observed_diff) else ""),
            "status": L.get(r.status, r.status), "ok": ok,
            "note": note_text(r.note, lang, group)})
        if ok and r.freed_intercepts:
            latent_reading.append(L["latent_reading"].format(
                construct=name(r.construct), group=data.group_label(data.by, r.group),
                reference=data.group_label(data.by, r.reference), diff=fmt_num(r.latent_diff),
                p=fmt_p(r.p), obs=fmt_num(r.observed_diff),
                obs_sd=fmt_num(r.observed_std_diff)))
    if len(latent) and not len(steps) and (latent["status"] == "ok").all():
        partial_reading.append(L["no_partial"])
    if len(latent) and not (latent["status"] == "ok").any():
        why = ("；" if lang == "zh" else "; ").join(dict.fromkeys(
            note_text(n, lang, group) for n in latent["note"] if n)) or \
            L["not tested"]
        if lang == "zh" and (latent["status"] == "not tested").all():
            from analysis.report.comparability import INVARIANCE_MIN_N

            why = L["too_few_groups"].format(n=INVARIANCE_MIN_N)
        partial_reading.append(L["not_tested_partial"].format(why=why))

    return {
        "L": L, "notes": notes, "fiml_hint": fiml_hint,
        "fitted": bool(info.fitted) if info is not None else False,
        "scopes": scopes, "eigen": eig_rows, "dim_reading": dim_reading,
        "seed_text": seed_text, "fit": fit_rows, "fit_reading": fit_reading,
        "loadings": loading_rows, "loading_reading": loading_reading,
        "validity": validity_rows, "matrix": matrix, "factors": [name(f) for f in factors],
        "validity_reading": validity_reading, "modindices": mi_rows, "steps": step_rows,
        "partial_reading": partial_reading, "latent": latent_rows,
        "latent_reading": latent_reading,
    }


def _missing(value: object) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def methods_paragraph(data: ReportData) -> str:
    """The section's methods paragraph (estimator, criteria, references)."""
    import numpy as np

    from analysis.report.comparability import INVARIANCE_MIN_N
    from analysis.validity import MIN_PER_PARAMETER

    info: Measurement | None = getattr(data, "measurement", None)
    seed = info.seed if info is not None else 0
    dim = data.tables["dimensionality"]
    n_iter = int(dim.iloc[0]["n_iter"]) if len(dim) else 20
    fit = data.tables["cfa_fit"]
    n = int(fit.iloc[0]["n"]) if len(fit) else 0
    npar = int(fit.iloc[0]["npar"]) if len(fit) else (info.npar if info is not None else 0)
    ratio = n / npar if npar else np.nan
    if data.lang == "zh":
        text = (
            "测量模型：题目维度以 Horn（1965）的平行分析检验（按 psych::fa.parallel："
            "成分为 Pearson 相关矩阵的特征值，因子为对角线替换为单因子 minres 共同度后的特征值；"
            f"保留观测特征值超过 {n_iter} 组同规模正态随机数据对应特征值第 95 百分位的因子，"
            f"随机种子 {seed}）。以每个构念为一个相关因子、每道题只负荷于其构念，"
            "拟合完整验证性因子模型（因子方差固定为 1），采用最大似然估计及 Satorra–Bentler "
            "校正的稳健最大似然估计（Satorra & Bentler, 1994；即 lavaan 的 MLM，Rosseel, 2012），"
            "仅纳入作答全部题目的受访者（列删除"
        )
        text += f"，n = {n}，{npar} 个自由参数" if n else ""
        text += (
            "）；报告 χ²、CFI、TLI、RMSEA 及其 90% 置信区间与 SRMR，稳健版本的 CFI、TLI 与 RMSEA "
            "按 Brosseau-Liard & Savalei（2014）及 Brosseau-Liard, Savalei & Li（2012）计算，以 "
            "Hu & Bentler（1999）的标准解读；修正指数（Sörbom, 1989）仅作提示。每个自由参数少于 "
            f"{MIN_PER_PARAMETER} 名受访者时结果仅供参考。聚合效度以组合信度（Raykov, 1997；"
            "semTools::compRelSEM）与平均提取方差（AVE；Fornell & Larcker, 1981）衡量，区分效度以 "
            "Fornell–Larcker 准则与异质–单质比（HTMT2，Roemer, Schuberth & Henseler, 2021）衡量，"
            "HTMT 高于 .85（严格）或 .90（宽松）视为可能无法区分（Henseler, Ringle & Sarstedt, "
            "2015）。标量等值不成立时，按 lavTestScore 得分检验从大到小逐一释放截距，直到相对于度量"
            "模型不再违反 Chen（2007）的标准，且至少两道题目保持截距相等（Byrne, Shavelson & "
            "Muthén, 1989）；随后在第一组均值为 0、方差为 1 的条件下比较潜在均值（每组至少 "
            f"{INVARIANCE_MIN_N} 名完整作答者）。信度表还报告基于多分格相关（psych::polychoric）的"
            "序数 α 与序数 ω（Zumbo, Gadermann & Zeisser, 2007）。"
        )
        if not np.isnan(ratio) and ratio < MIN_PER_PARAMETER:
            text += f"本次每个自由参数约 {ratio:.1f} 名受访者，结果仅供参考。"
        return text
    text = (
        "Measurement model: the dimensionality of the items was examined with Horn's (1965) "
        "parallel analysis as psych::fa.parallel computes it (components: eigenvalues of the "
        "Pearson correlation matrix; factors: eigenvalues with the one-factor minres "
        "communalities on the diagonal), retaining the factors and components whose observed "
        "eigenvalue exceeds the 95th percentile of those of "
        f"{n_iter} normal random data sets of the same size (seed {seed}). One confirmatory "
        "factor model with every construct as a correlated factor (each item loading on its "
        "own construct only; factor variances fixed at 1) was fitted by maximum likelihood and "
        "by robust maximum likelihood with the Satorra–Bentler correction (Satorra & Bentler, "
        "1994; lavaan's MLM, Rosseel, 2012) to the respondents who answered every item "
        "(listwise"
    )
    text += f"; n = {n}, {npar} free parameters" if n else ""
    text += (
        "). We report χ², CFI, TLI, RMSEA with its 90% confidence interval and SRMR, the "
        "robust CFI, TLI and RMSEA as defined by Brosseau-Liard and Savalei (2014) and "
        "Brosseau-Liard, Savalei and Li (2012), read against Hu and Bentler's (1999) "
        "criteria; modification indices (Sörbom, 1989) are reported as hints only. Results "
        f"with fewer than {MIN_PER_PARAMETER} respondents per free parameter are flagged as "
        "indicative. Convergent validity was assessed with composite reliability (Raykov, "
        "1997; semTools::compRelSEM) and the average variance extracted (AVE; Fornell & "
        "Larcker, 1981), discriminant validity with the Fornell–Larcker criterion and the "
        "heterotrait–monotrait ratio (HTMT2, Roemer, Schuberth & Henseler, 2021), a pair "
        "above .85 (strict) or .90 (liberal) being taken as possibly not distinct (Henseler, "
        "Ringle & Sarstedt, 2015). Where scalar invariance failed, intercepts were released "
        "one at a time in the order of their score tests (lavTestScore) until the partial "
        "model no longer failed Chen's (2007) rule against the metric model, with at least "
        "two items keeping equal intercepts (Byrne, Shavelson & Muthén, 1989); the groups "
        "were then compared on the latent mean, the first group's mean fixed at 0 and its "
        f"variance at 1 (groups of at least {INVARIANCE_MIN_N} complete respondents). The "
        "reliability tables also give ordinal alpha and omega from polychoric correlations "
        "(psych::polychoric; Zumbo, Gadermann & Zeisser, 2007)."
    )
    if not np.isnan(ratio) and ratio < MIN_PER_PARAMETER:
        text += (f" Here there were {ratio:.1f} respondents per free parameter, so the "
                 "factor model's results are indicative.")
    return text
