"""The analysis notes, log reasons and layout names in the report's language.

The analysis modules write their notes in English, as data (``note`` columns of the
tables, e.g. ``left out (fewer than 100 complete respondents): other (26)``), and the
import log names its reasons with codes (``failed_attention_check``). The CSV tables keep
them as they are, for scripts; the report shows them to a reader, in English or in
Chinese. :func:`note_text` translates a note part by part (parts are joined by ``"; "``)
with a catalogue of the notes the analysis writes, one regular expression each; the group
codes a note names become the group labels of the report's language. A part the
catalogue does not know is shown as it is (and the Chinese report's test, which scans for
English words, names it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover
    from survey.instrument import Instrument

__all__ = ["group_namer", "note_text", "platform_text", "reason_text"]

#: Names of the response layouts (``ImportLog.platform``).
_PLATFORMS = {
    "en": {"template": "template", "kobo": "KoboToolbox/ODK", "qualtrics": "Qualtrics",
           "limesurvey": "LimeSurvey", "redcap": "REDCap", "wjx": "Wenjuanxing"},
    "zh": {"template": "模板", "kobo": "KoboToolbox/ODK", "qualtrics": "Qualtrics",
           "limesurvey": "LimeSurvey", "redcap": "REDCap", "wjx": "问卷星"},
}

#: The import log's reasons (``survey.responses.model.REASONS``) in words.
_REASONS = {
    "en": {
        "out_of_range": "out of range", "non_numeric": "not a number",
        "unknown_label": "unknown label", "unknown_choice": "unknown choice",
        "missing_id": "no respondent id", "duplicate_id": "repeated respondent id",
        "empty_row": "empty row", "failed_attention_check": "failed attention check",
        "unfinished": "unfinished", "speeder": "too fast (speeder)",
        "unknown_column": "unknown column", "missing_column": "missing column",
        "recoded": "recoded", "other": "other",
        "cell_count": "more or fewer cells than the header",
        "repeated_header": "repeated header row",
        "missing_group_answer": "required group question unanswered",
        "similar_codes": "codes differing only in case or spacing",
        "formula_no_value": "formula without a saved result",
        "error_value": "spreadsheet error in the cell",
    },
    "zh": {
        "out_of_range": "超出范围", "non_numeric": "非数字",
        "unknown_label": "无法识别的选项文字", "unknown_choice": "不在选项中",
        "missing_id": "缺少受访者编号", "duplicate_id": "受访者编号重复",
        "empty_row": "空行", "failed_attention_check": "未通过注意力检查题",
        "unfinished": "未完成作答", "speeder": "作答过快",
        "unknown_column": "无法识别的列", "missing_column": "缺少的列",
        "recoded": "已重新编码", "other": "其他",
        "cell_count": "单元格数与表头不符",
        "repeated_header": "重复的表头行",
        "missing_group_answer": "必答的分组题未作答",
        "similar_codes": "编码仅大小写或空格不同",
        "formula_no_value": "公式没有保存的结果",
        "error_value": "单元格为表格错误值",
    },
}

#: Words inside notes: ``w_``-groups of the catalogue are looked up here.
_WORDS_ZH = {
    "scalar": "标量", "metric": "度量", "configural": "形态",
    "intercept": "截距", "intercepts": "截距", "loading": "载荷", "loadings": "载荷",
    "respondents": "受访者", "scores": "得分", "scores with a lab": "带实验室代码的得分",
}

_END = r"(?=; |$)"

#: (English note part, Chinese template). Named groups: ``n``-like numbers and item ids
#: are copied; ``g_*`` is one group code, ``gl_*`` a list of codes (``a, b`` or
#: ``'a', 'b'``), ``gn_*`` a list of ``code (n)``; ``w_*`` a word of :data:`_WORDS_ZH`;
#: ``t_*`` a nested note, translated in turn.
_CATALOGUE_ZH: tuple[tuple[str, str], ...] = (
    # analysis.invariance
    (r"left out \(fewer than (?P<n>\d+) complete respondents\): (?P<gn_groups>.+?)",
     "未纳入（完整作答者少于 {n} 人）：{gn_groups}"),
    (r"fewer than 100 respondents in (?P<gl_groups>.+?): fit indices are unstable, read "
     r"them as indicative", "{gl_groups}的受访者少于 100 人：拟合指数不稳定，仅供参考"),
    (r"N <= 300: Chen \(2007\) suggests the stricter ΔCFI >= -0\.005 and ΔRMSEA <= "
     r"0\.010; the cut-offs above were applied",
     "N ≤ 300：Chen（2007）建议采用更严格的 ΔCFI ≥ −0.005 与 ΔRMSEA ≤ 0.010；本报告仍采用"
     "上述标准"),
    (r"(?P<k>\d+) items?; a one-factor model needs at least 3",
     "{k} 道题；单因子模型至少需要 3 道题"),
    (r"fewer than 2 groups with at least (?P<n>\d+) complete respondents; invariance not "
     r"tested", "完整作答者不少于 {n} 人的组少于两个；未检验等值性"),
    (r"a variance estimate is held at its lower bound of zero \(Heywood case; lavaan would "
     r"report a negative estimate\)",
     "有一个方差估计值停在下界 0（Heywood 情形；lavaan 会报告负的估计值）"),
    (r"the optimiser did not converge: (?P<message>.+?)", "优化算法未收敛：{message}"),
    (r"holds if CFI >= (?P<x>[\d.]+)", "CFI ≥ {x} 时成立"),
    (r"Chen \(2007\): fails if ΔCFI <= (?P<a>-?[\d.]+) and \(ΔRMSEA >= (?P<b>[\d.]+) or "
     r"ΔSRMR >= (?P<c>[\d.]+)\)",
     "Chen（2007）：ΔCFI ≤ {a} 且（ΔRMSEA ≥ {b} 或 ΔSRMR ≥ {c}）时不成立"),
    (r"no single (?P<w_what>intercept|loading) differs significantly \(Holm, alpha "
     r"(?P<a>[\d.]+)\); the largest is named",
     "没有单个{w_what}差异显著（Holm 校正，α = {a}）；列出差异最大者"),
    (r"(?P<w_step>scalar|metric|configural) invariance fails: (?P<w_what>intercepts|"
     r"loadings) differ most for (?P<items>.+?)",
     "{w_step}等值不成立：{w_what}差异最大的题目为 {items}"),
    # analysis.multilevel
    (r"the comparison rests on few labs \((?P<a>\d+) and (?P<b>\d+); fewer than (?P<k>\d+) "
     r"in a group\): treat it as indicative",
     "比较所依据的实验室较少（{a} 与 {b} 个；某组少于 {k} 个）：结果仅供参考"),
    (r"lab variance estimated at 0", "实验室间方差估计为 0"),
    (r"no scores", "没有得分"),
    (r"fewer than 2 labs", "实验室少于 2 个"),
    (r"every lab has one respondent; no within-lab variance",
     "每个实验室只有一名受访者；没有实验室内方差"),
    (r"no variance within labs; ICC undefined", "实验室内没有方差；ICC 无定义"),
    (r"fewer than (?P<n>\d+) scores with a lab in (?P<gl_groups>.+?)",
     "{gl_groups}中带实验室代码的得分少于 {n} 个"),
    (r"one (?P<unit>\w+) per group: (?P<by>\w+) and (?P<cluster>\w+) are confounded",
     "每组只有一个 {unit}：{by} 与 {cluster} 相混淆，无法区分"),
    (r"one (?P<unit>\w+) in '(?P<g_group>[^']+)': (?P<by>\w+) and (?P<cluster>\w+) are "
     r"confounded", "“{g_group}”只有一个 {unit}：{by} 与 {cluster} 相混淆，无法区分"),
    (r"only (?P<n>\d+) (?P<unit>\w+) in the two groups; the lab-aware comparison needs at "
     r"least 2", "两组共只有 {n} 个 {unit}；考虑实验室的比较至少需要 2 个"),
    (r"only (?P<n>\d+) labs? in the two groups; a lab-level comparison needs at least 3",
     "两组共只有 {n} 个实验室；实验室层面的比较至少需要 3 个"),
    (r"only (?P<n>\d+) lab\(s\) in the two groups; a lab-level comparison needs at least 3",
     "两组共只有 {n} 个实验室；实验室层面的比较至少需要 3 个"),
    # analysis.hypotheses
    (r"no column '(?P<column>\w+)' in the scores", "得分中没有 {column} 列"),
    (r"no score column for construct '(?P<construct>\w+)'", "构念 {construct} 没有得分列"),
    (r"no respondents in '(?P<g_group>[^']+)'", "“{g_group}”没有受访者"),
    (r"(?P<gl_groups>'.+?') not among the groups compared", "{gl_groups}不在比较的组中"),
    (r"'(?P<g_group>[^']+)' suppressed \(fewer than (?P<n>\d+) (?P<w_what>respondents|"
     r"scores with a lab|scores)\)", "“{g_group}”已隐去（{w_what}少于 {n} 个）"),
    (r"both groups have zero variance; no test", "两组方差均为 0；未检验"),
    # analysis.compare
    (r"(?P<n>\d+) respondents? without a value for '(?P<column>\w+)' (?:was|were) left out",
     "{n} 名受访者没有回答 {column}，未纳入"),
    (r"(?P<n>\d+) respondent\(s\) without a value for '(?P<column>\w+)' were left out",
     "{n} 名受访者没有回答 {column}，未纳入"),
    (r"fewer than 2 groups of '(?P<column>\w+)' with at least (?P<n>\d+) respondents "
     r"\((?P<gl_groups>.*?)\); no test computed",
     "{column} 中受访者不少于 {n} 人的组少于两个（{gl_groups}）；未进行检验"),
    (r"fewer than 2 groups with at least (?P<n>\d+) scores \((?P<gl_groups>.*?)\); not "
     r"computed", "得分不少于 {n} 个的组少于两个（{gl_groups}）；未计算"),
    (r"no respondents", "没有受访者"),
    (r"fewer than (?P<n>\d+) respondents?; not reported", "受访者少于 {n} 人；不报告"),
    (r"fewer than (?P<n>\d+) respondents?", "受访者少于 {n} 人"),
    (r"no answers", "没有回答"),
    (r"fewer than (?P<n>\d+) answers", "回答少于 {n} 个"),
    # analysis.reliability
    (r"(?P<n>\d+) respondents?; alpha needs at least 2", "{n} 名受访者；α 至少需要 2 名"),
    (r"one item: alpha and item-total statistics are undefined",
     "只有一道题：α 与题总统计量无定义"),
    (r"some pairs of items were answered together by fewer than 2 respondents; no "
     r"covariance", "部分题目对同时作答的受访者少于 2 人；无法计算协方差"),
    (r"the items have no variance; alpha is undefined", "题目没有方差；α 无定义"),
    (r"(?P<n>\d+) items? without variance; standardised alpha and correlations are "
     r"undefined", "{n} 道题没有方差；标准化 α 与相关无定义"),
    (r"two items: alpha if an item is dropped is undefined", "只有两道题：删除某题后的 α 无定义"),
    (r"Heywood case in the one-factor model \(a uniqueness at its bound 0\.005\)",
     "单因子模型出现 Heywood 情形（某独特方差停在下界 0.005）"),
    (r"the one-factor model did not converge; omega is approximate",
     "单因子模型未收敛；ω 为近似值"),
    (r"no respondent answered every item; nothing to compute",
     "没有受访者作答全部题目；无可计算"),
    (r"all answers are missing; nothing to compute", "所有回答均缺失；无可计算"),
    (r"nothing to compute", "无可计算"),
    # analysis.polychoric, the ordinal part of analysis.reliability
    (r"the polychoric matrix was not positive definite and was smoothed \(as "
     r"psych::cor\.smooth\)", "多分格相关矩阵非正定，已平滑处理（同 psych::cor.smooth）"),
    (r"Heywood case in the ordinal one-factor model", "序数单因子模型出现 Heywood 情形"),
    (r"no ordinal alpha: more than (?P<n>\d+) answer categories",
     "未计算序数 α：答案类别多于 {n} 个"),
    (r"(?P<n>\d+) item\(s\) without variance: no polychoric correlation",
     "{n} 道题没有变异：无多分格相关"),
    (r"some pairs of items were never answered together", "部分题目对从未被同时作答"),
    (r"no complete polychoric matrix", "多分格相关矩阵不完整"),
    # analysis.dimensionality, analysis.cfa, analysis.validity, analysis.invariance
    (r"Heywood case in the one-factor minres fit \(a communality held at 0\.995\)",
     "单因子 minres 拟合出现 Heywood 情形（某共同度停在 0.995）"),
    (r"parallel analysis needs at least 3 items, got (?P<k>\d+)",
     "平行分析至少需要 3 道题，实际 {k} 道"),
    (r"parallel analysis needs more respondents than items \((?P<n>\d+) respondents, "
     r"(?P<k>\d+) items\)", "平行分析需要受访者多于题目（{n} 名受访者，{k} 道题目）"),
    (r"some pairs of items were answered together by fewer than 3 respondents; no "
     r"correlation matrix", "部分题目对同时作答的受访者少于 3 人；无相关矩阵"),
    (r"negative residual variance \(Heywood case\) for (?P<items>.+?)",
     "残差方差为负（Heywood 情形）：{items}"),
    (r"the factor correlation matrix is not positive definite", "因子相关矩阵非正定"),
    (r"too few respondents for the full factor model: (?P<n>\d+) answered every item, and "
     r"the model has (?P<p>\d+) items and (?P<npar>\d+) free parameters \(it needs more "
     r"respondents than either; (?P<need>\d+) for (?P<cut>[\d.]+) per parameter\)",
     "受访者过少，无法拟合完整因子模型：作答全部题目者 {n} 人，而模型有 {p} 道题目、{npar} "
     "个自由参数（受访者需多于两者；每个参数 {cut} 名则需 {need} 名）。"),
    (r"(?P<n>\d+) respondents answered every item: (?P<ratio>[\d.]+) per free parameter "
     r"\((?P<npar>\d+)\), fewer than the (?P<cut>[\d.]+) usually advised; the estimates and "
     r"fit indices are unstable, read them as indicative",
     "{n} 名受访者作答了全部题目：每个自由参数（{npar} 个）约 {ratio} 名，少于通常建议的 "
     "{cut} 名；估计值与拟合指数不稳定，仅供参考。"),
    (r"the full factor model could not be fitted: (?P<t_why>.+?)",
     "无法拟合完整因子模型：{t_why}"),
    (r"constructs with one item are left out of the factor model",
     "只有一道题的构念未纳入因子模型"),
    (r"no construct has two or more items: no factor model",
     "没有构念包含两道及以上题目：无因子模型"),
    (r"metric invariance fails: the loadings differ, so latent means are not comparable",
     "度量等值不成立：载荷不同，潜在均值不可比较"),
    (r"configural invariance fails", "形态等值不成立"),
    (r"freeing another intercept would leave fewer than (?P<n>\d+) items with equal "
     r"intercepts", "再释放一个截距将使截距相等的题目少于 {n} 道"),
    (r"the model did not converge", "模型未收敛"),
    # analysis.report.measurement
    (r"partial invariance not computed: (?P<t_why>.+?)", "未计算部分等值：{t_why}"),
    # comparison_support (analysis.report.comparability)
    (r"ok", "无问题"),
    (r"labs not checked \(no lab column\)", "未检查实验室嵌套（无实验室列）"),
    (r"labs not checked \(no cluster question\)", "未检查实验室嵌套（问卷未指定聚类问题）"),
    (r"labs not checked \(no (?P<column>\w+) column\)", "未检查实验室嵌套（无 {column} 列）"),
    (r"few labs \((?P<a>\d+) and (?P<b>\d+)\)", "实验室较少（{a} 与 {b} 个）"),
    (r"(?P<w_step>scalar|metric|configural) invariance not supported: (?P<items>.+?) "
     r"\(partial invariance not reached\)", "{w_step}等值不成立：{items}（未达到部分等值）"),
    (r"(?P<w_step>scalar|metric|configural) invariance not supported: (?P<items>.+?)",
     "{w_step}等值不成立：{items}"),
    (r"partial invariance \((?P<items>.+?) freed\)", "部分等值（释放 {items}）"),
    (r"invariance not tested \((?P<t_why>.+?)\)", "未检验测量等值（{t_why}）"),
    (r"invariance not tested", "未检验测量等值"),
    (r"respondent-level test only \((?P<t_why>.+?)\)", "仅受访者层面检验（{t_why}）"),
    (r"no lab-aware test", "没有考虑实验室的检验"),
    (r"groups too small", "组样本过小"),
    (r"fewer than 3 items", "题目少于 3 道"),
    (r"not tested", "未检验"),
)
_COMPILED_ZH = tuple((re.compile(pattern + _END), template)
                     for pattern, template in _CATALOGUE_ZH)


def platform_text(platform: str | None, lang: str) -> str:
    """The name of a response layout in the report's language.

    Examples
    --------
    >>> platform_text("template", "zh"), platform_text("kobo", "en")
    ('模板', 'KoboToolbox/ODK')
    """
    name = str(platform or "")
    return _PLATFORMS.get(lang, _PLATFORMS["en"]).get(name, name)


def reason_text(reason: str, lang: str) -> str:
    """An import-log reason in words (a reason this table does not know: its code with
    spaces).

    Examples
    --------
    >>> reason_text("failed_attention_check", "en")
    'failed attention check'
    >>> reason_text("failed_attention_check", "zh")
    '未通过注意力检查题'
    """
    return _REASONS.get(lang, _REASONS["en"]).get(reason, reason.replace("_", " "))


def group_namer(instrument: Instrument, by: str, lang: str) -> Callable[[str], str]:
    """Group code -> its label in ``lang``, for :func:`note_text`.

    A code is looked up among the choices of ``by``, then of the grouping questions the
    hypotheses compare; any other code (a lab's, typed by the respondents) is given as
    it is.

    Examples
    --------
    >>> from survey.instrument import load
    >>> name = group_namer(load("lab-culture"), "lab_region", "zh")
    >>> name("china"), name("CN-03")
    ('中国', 'CN-03')
    """
    groups = [instrument.group(by), *(instrument.group(h.by) for h in instrument.hypotheses
                                      if h.by in instrument.group_ids)]

    def name(code: str) -> str:
        for g in groups:
            if g.type == "choice" and code in g.codes:
                return g.label(code, lang)
        return code

    return name


def note_text(note: object, lang: str, name: Callable[[str], str] | None = None) -> str:
    """An analysis note (or a ``comparison_support`` value) in the report's language.

    Parameters
    ----------
    note : str
        The note as the analysis wrote it (parts joined by ``"; "``); anything else
        (``None``, ``nan``) gives ``""``.
    lang : str
        ``en`` (the note is returned as it is) or ``zh``.
    name : callable, optional
        Group code -> its label in ``lang``; codes are shown as they are without it.

    Returns
    -------
    str

    Examples
    --------
    >>> note_text("left out (fewer than 100 complete respondents): other (26)", "zh",
    ...           {"other": "其他"}.get)
    '未纳入（完整作答者少于 100 人）：其他（26）'
    >>> note_text("scalar invariance fails: intercepts differ most for bb5", "zh")
    '标量等值不成立：截距差异最大的题目为 bb5'
    >>> note_text("few labs (4 and 3); scalar invariance not supported: bb5", "zh")
    '实验室较少（4 与 3 个）；标量等值不成立：bb5'
    """
    if not isinstance(note, str):
        return ""
    if lang != "zh" or not note:
        return note
    label = name or (lambda code: code)
    out: list[str] = []
    rest = note
    while rest:
        for pattern, template in _COMPILED_ZH:
            m = pattern.match(rest)
            if m:
                out.append(template.format(**{
                    key: _value(key, value, label) for key, value in m.groupdict().items()
                }))
                rest = rest[m.end():]
                break
        else:
            part, _, rest = rest.partition("; ")
            out.append(part)
            continue
        rest = rest[2:] if rest.startswith("; ") else rest
    return "；".join(out)


def _value(key: str, value: str | None, label: Callable[[str], str]) -> str:
    value = value or ""
    if key.startswith("g_"):
        return label(value) or value
    if key.startswith("gl_"):
        codes = [c.strip().strip("'") for c in value.split(",") if c.strip()]
        return "、".join(label(c) or c for c in codes) if codes else "无"
    if key.startswith("gn_"):
        parts = re.findall(r"([^,()]+?) \((\d+)\)", value)
        if not parts:
            return value
        return "、".join(f"{label(c.strip()) or c.strip()}（{n}）" for c, n in parts)
    if key.startswith("w_"):
        return _WORDS_ZH.get(value, value)
    if key.startswith("t_"):
        return note_text(value, "zh", label)
    return value
