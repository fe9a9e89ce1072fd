"""The preregistration: written from the instrument, checked against the analysis.

:func:`write_preregistration` turns an instrument, a sample-size plan (the same
:func:`analysis.planning.plan_study` as ``survey plan``) and the analysis settings into
three files, following the sections of the OSF Preregistration template (Bowman,
DeHaven, Errington, Hardwicke, Mellor, Nosek & Soderberg 2020): study information,
design plan, sampling plan, variables, analysis plan, other.

``<name>.md``    the preregistration as Markdown, ready to paste into the OSF form
``<name>.html``  the same content as a printable page
``<name>.yaml``  the machine-readable record: every choice that changes a number (the
                 grouping question, the cluster, the adjustment, alpha, the minimum group
                 size, the scoring rule, the exclusion options, the sampling plan) and the
                 SHA-256 of the instrument file

:func:`check_run` compares an analysis with such a record and returns its
:class:`Deviation`\\ s; ``survey report --prereg`` shows them in the report. Nothing here
reads the clock, so the same inputs give the same bytes; only :func:`load_record` opens
a file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from survey.errors import SurveyError

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from analysis.planning import Plan
    from survey.instrument import Instrument

__all__ = [
    "DEVIATION_KINDS",
    "EXCLUSIONS",
    "FORMAT",
    "Deviation",
    "PreregCheck",
    "Settings",
    "check_run",
    "instrument_sha256",
    "load_record",
    "observed_sample",
    "record",
    "write_preregistration",
]

#: The record's format; ``load_record`` refuses others.
FORMAT = "lab-culture-survey preregistration 1"

#: The exclusion options a record holds, with their defaults.
EXCLUSIONS: dict[str, object] = {
    "reject_failed_checks": False,
    "reject_unfinished": False,
    "min_duration": None,
    "reject_speeders": False,
}

#: Every kind of deviation :func:`check_run` reports, in the order it reports them.
DEVIATION_KINDS = ("instrument", "by", "cluster", "adjust", "alpha", "min_group_n",
                   "min_answered", *EXCLUSIONS, "sample_size")


@dataclass(frozen=True)
class Settings:
    """The analysis choices a preregistration fixes (those of ``survey report``).

    Attributes
    ----------
    by : str
        The grouping question compared.
    cluster : str
        The question respondents are nested in (the lab).
    adjust : str
        Multiplicity adjustment across hypotheses (``holm``, ``fdr_bh``, ``none``).
    alpha : float
        Significance level of the verdicts.
    min_group_n : int
        Groups and cells with fewer respondents are left out.
    min_answered : float
        Share of a construct's items a respondent must answer to get a score.
    exclusions : mapping
        The exclusion options of :data:`EXCLUSIONS`.
    """

    by: str
    cluster: str = "lab"
    adjust: str = "holm"
    alpha: float = 0.05
    min_group_n: int = 5
    min_answered: float = 0.5
    exclusions: Mapping[str, object] = field(default_factory=lambda: dict(EXCLUSIONS))


@dataclass(frozen=True)
class Deviation:
    """One way an analysis differs from its preregistration.

    ``kind`` is one of :data:`DEVIATION_KINDS`; ``preregistered`` and ``used`` are the two
    values as text (for ``sample_size``: the planned and the achieved labs and
    respondents of the group that fell short).
    """

    kind: str
    preregistered: str
    used: str


@dataclass(frozen=True)
class PreregCheck:
    """The outcome of checking an analysis against a preregistration record.

    Attributes
    ----------
    file : str
        The record's file name.
    sha256 : str
        The preregistered instrument hash.
    deviations : tuple of Deviation
        Empty when the analysis follows the preregistration.
    """

    file: str
    sha256: str
    deviations: tuple[Deviation, ...] = ()


def instrument_sha256(data: bytes) -> str:
    """The SHA-256 of an instrument file's bytes, as hex.

    Examples
    --------
    >>> instrument_sha256(b"id: x\\n")[:12]
    '52b881e6cd7c'
    """
    return hashlib.sha256(data).hexdigest()


def _g(x: float) -> str:
    return f"{x:g}"


def record(instrument: Instrument, sha256: str, settings: Settings, plan: Plan, *,
           title: str, authors: Sequence[str] = (), lang: str = "en",
           closing_date: str | None = None) -> dict[str, Any]:
    """The machine-readable record of a preregistration (``prereg.yaml``).

    Parameters
    ----------
    instrument : Instrument
        The instrument to be fielded.
    sha256 : str
        The SHA-256 of its file.
    settings : Settings
        The analysis choices.
    plan : Plan
        The sampling plan (:func:`analysis.planning.plan_study`).
    title : str
        The study's title.
    authors : sequence of str
        Its authors.
    lang : str
        The language the preregistration is written in.
    closing_date : str, optional
        The last day of data collection (``YYYY-MM-DD``).

    Returns
    -------
    dict
        Plain data (text, numbers, lists), in a fixed order.
    """
    from survey import __version__

    return {
        "format": FORMAT,
        "written_by": f"lab-culture-survey {__version__}",
        "title": title,
        "authors": list(authors),
        "language": lang,
        "instrument": {"id": instrument.id, "version": instrument.version,
                       "file": Path(instrument.source).name if instrument.source else None,
                       "sha256": sha256},
        "analysis": {"by": settings.by, "cluster": settings.cluster,
                     "adjust": settings.adjust, "alpha": float(settings.alpha),
                     "min_group_n": int(settings.min_group_n),
                     "min_answered": float(settings.min_answered)},
        "exclusions": {k: settings.exclusions.get(k, v) for k, v in EXCLUSIONS.items()},
        "hypotheses": [{"id": h.id, "construct": h.construct, "by": h.by,
                        "predicts": h.predicts} for h in instrument.hypotheses],
        "sampling": {
            "effect": float(plan.effect), "power": float(plan.power),
            "alpha": float(plan.alpha), "icc": float(plan.icc), "ratio": float(plan.ratio),
            "per_lab": plan.per_lab, "labs": [plan.labs_a, plan.labs_b],
            "respondents": [plan.n_a, plan.n_b],
            "achieved_power": round(float(plan.achieved_power), 4),
            "df": plan.df, "closing_date": closing_date,
        },
    }


# ---- loading and checking ----------------------------------------------------------------

def load_record(path: str | Path) -> dict[str, Any]:
    """Read and check a ``prereg.yaml`` written by ``survey prereg``.

    Parameters
    ----------
    path : str or Path
        The record.

    Returns
    -------
    dict
        The record.

    Raises
    ------
    SurveyError
        The file is missing, not YAML, not such a record, or a value has the wrong type
        (one line naming the file and the key).
    """
    import yaml

    from survey.errors import yaml_problem

    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise SurveyError("no such file", file=file) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise SurveyError(f"cannot read: {reason}", file=file) from None
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        message, row, column = yaml_problem(exc)
        raise SurveyError(message, file=file, row=row, column=column) from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise SurveyError(f"not a preregistration record (format: {FORMAT}); write one with "
                          "survey prereg", file=file)
    wanted: dict[str, dict[str, tuple[type, ...]]] = {
        "instrument": {"sha256": (str,)},
        "analysis": {"by": (str,), "cluster": (str,), "adjust": (str,),
                     "alpha": (int, float), "min_group_n": (int,),
                     "min_answered": (int, float)},
        "exclusions": {"reject_failed_checks": (bool,), "reject_unfinished": (bool,),
                       "min_duration": (int, float, type(None)), "reject_speeders": (bool,)},
        "sampling": {"labs": (list,), "respondents": (list,)},
    }
    for section, keys in wanted.items():
        part = data.get(section)
        if not isinstance(part, dict):
            raise SurveyError(f"{section}: missing", file=file)
        for key, types in keys.items():
            value = part.get(key)
            if key not in part or not isinstance(value, types) or (
                    isinstance(value, bool) and bool not in types):
                raise SurveyError(f"{section}.{key}: missing or not a "
                                  f"{'/'.join(t.__name__ for t in types)}", file=file)
    return data


def observed_sample(data: pd.DataFrame, by: str, cluster: str,
                    groups: Sequence[str]) -> dict[str, tuple[int, int]]:
    """Labs and respondents per group, for the sample-size check.

    Parameters
    ----------
    data : pandas.DataFrame
        The responses (``ResponseSet.data``).
    by : str
        The grouping question.
    cluster : str
        The lab question (labs are not counted without it).
    groups : sequence of str
        The groups to count.

    Returns
    -------
    dict of str to (int, int)
        Group -> (labs, respondents); labs is -1 when there is no lab column.
    """
    out = {}
    if by not in data:
        return out
    column = data[by].astype(object)
    for g in groups:
        members = data[column == g]
        labs = int(members[cluster].nunique(dropna=True)) if cluster in data else -1
        out[g] = (labs, len(members))
    return out


def _same(a: object, b: object) -> bool:
    if isinstance(a, float | int) and isinstance(b, float | int) \
            and not isinstance(a, bool) and not isinstance(b, bool):
        return abs(float(a) - float(b)) <= 1e-12 * max(1.0, abs(float(a)))
    return a == b


def _shown(value: object) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return _g(value)
    return str(value)


def check_run(prereg: Mapping[str, Any], *, sha256: str, settings: Settings,
              observed: Mapping[str, tuple[int, int]] | None = None) -> list[Deviation]:
    """Every way an analysis differs from its preregistration.

    Parameters
    ----------
    prereg : mapping
        The record (:func:`load_record`).
    sha256 : str
        The SHA-256 of the instrument file the analysis used.
    settings : Settings
        The analysis choices used.
    observed : mapping, optional
        Labs and respondents per group of the preregistered grouping question
        (:func:`observed_sample`); each group compared by a hypothesis must reach the
        planned labs and respondents of the smaller planned group.

    Returns
    -------
    list of Deviation
        In :data:`DEVIATION_KINDS` order; empty when the analysis is as preregistered.

    Examples
    --------
    >>> rec = {"instrument": {"sha256": "ab"}, "analysis": {"by": "lab_region",
    ...        "cluster": "lab", "adjust": "holm", "alpha": 0.05, "min_group_n": 5,
    ...        "min_answered": 0.5}, "exclusions": dict(EXCLUSIONS),
    ...        "sampling": {"labs": [2, 2], "respondents": [20, 20]}, "hypotheses": []}
    >>> check_run(rec, sha256="ab", settings=Settings(by="lab_region"))
    []
    >>> check_run(rec, sha256="ab", settings=Settings(by="lab_region", adjust="none"))
    [Deviation(kind='adjust', preregistered='holm', used='none')]
    """
    out: list[Deviation] = []
    planned = prereg["instrument"]["sha256"]
    if planned != sha256:
        out.append(Deviation("instrument", f"SHA-256 {planned}", f"SHA-256 {sha256}"))
    analysis = prereg["analysis"]
    used = {"by": settings.by, "cluster": settings.cluster, "adjust": settings.adjust,
            "alpha": settings.alpha, "min_group_n": settings.min_group_n,
            "min_answered": settings.min_answered}
    for key, value in used.items():
        if not _same(analysis[key], value):
            out.append(Deviation(key, _shown(analysis[key]), _shown(value)))
    exclusions = prereg["exclusions"]
    for key, default in EXCLUSIONS.items():
        planned_value = exclusions.get(key, default)
        value = settings.exclusions.get(key, default)
        if not (planned_value is None and value is None) and (
                planned_value is None or value is None or not _same(planned_value, value)):
            out.append(Deviation(key, _shown(planned_value), _shown(value)))
    if observed:
        sampling = prereg["sampling"]
        labs = min(int(x) for x in sampling["labs"])
        people = min(int(x) for x in sampling["respondents"] if x is not None) \
            if any(x is not None for x in sampling["respondents"]) else 0
        groups = [g for h in prereg.get("hypotheses", []) if h.get("by") == analysis["by"]
                  for g in str(h.get("predicts", "")).replace(" ", "").split(">")]
        for g in dict.fromkeys(groups):
            if g not in observed:
                continue
            got_labs, got_people = observed[g]
            if (got_labs >= 0 and got_labs < labs) or got_people < people:
                shown_labs = "?" if got_labs < 0 else str(got_labs)
                out.append(Deviation("sample_size", f"{g}: {labs} labs, {people} respondents",
                                     f"{g}: {shown_labs} labs, {got_people} respondents"))
    return out


# ---- the document ------------------------------------------------------------------------

@dataclass(frozen=True)
class Block:
    """A piece of a section: ``p`` (text), ``ul`` (items), ``quote`` (text), ``table``
    (a header and rows) or ``kv`` (label, text pairs)."""

    kind: str
    text: str = ""
    items: tuple[str, ...] = ()
    header: tuple[str, ...] = ()
    rows: tuple[tuple[str, ...], ...] = ()
    pairs: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Section:
    """A heading (level 2 or 3) and its blocks."""

    title: str
    level: int
    blocks: tuple[Block, ...] = ()


def _p(text: str) -> Block:
    return Block("p", text=text)


def _ul(items: Sequence[str]) -> Block:
    return Block("ul", items=tuple(items))


_T: dict[str, dict[str, Any]] = {
    "en": {
        "doc_title": "Preregistration: {title}",
        "intro": ("Written by survey prereg (lab-culture-survey {version}) from the "
                  "instrument {id} version {iversion} (file {file}, SHA-256 {sha}), "
                  "following the sections of the OSF Preregistration template (Bowman et "
                  "al., 2020). The machine-readable record of every choice below is "
                  "{yaml}; survey report --prereg {yaml} checks an analysis against it and "
                  "reports every deviation."),
        "s1": "1. Study information", "title": "Title", "authors": "Authors",
        "no_authors": "(to be added before registration)",
        "description": "Description",
        "describe": ("The study compares the groups of {by} (“{by_text}”: {groups}) on "
                     "{n_constructs} constructs measured by {n_items} items, with "
                     "respondents nested in labs ({cluster})."),
        "hypotheses": "Hypotheses",
        "hyp": "{id}: {construct} is higher in {higher} than in {lower} ({predicts}).",
        "hyp_source": "From the source text: “{source}”",
        "hyp_two_sided": ("Each hypothesis predicts a direction. It is tested two-sided and "
                          "judged by the sign of the difference (see Inference criteria)."),
        "s2": "2. Design plan", "study_type": "Study type",
        "study_type_text": ("Observational study: a cross-sectional survey. No variable is "
                            "manipulated."),
        "blinding": "Blinding",
        "blinding_text": ("No blinding is involved. The questionnaire does not state the "
                          "hypotheses."),
        "design": "Study design",
        "design_text": ("Between-groups comparison of the groups of {by}. Respondents are "
                        "nested in labs: each respondent answers about their own lab, which "
                        "gives them a lab code ({cluster}), so labs rather than respondents "
                        "are the units the groups are compared on. The questionnaire is "
                        "fielded in {languages}."),
        "translation": "Translation ({lang}): {note}",
        "randomization": "Randomization",
        "randomization_text": "None: the groups are observed, not assigned.",
        "s3": "3. Sampling plan", "existing": "Existing data",
        "existing_text": ("Registration prior to creation of data: no response has been "
                          "collected when this plan is registered."),
        "procedures": "Data collection procedures",
        "procedures_text": ("Labs are recruited in each group of {by}; the researchers give "
                            "each lab a code that its respondents enter. The questionnaire "
                            "is answered online or on paper (survey export writes the "
                            "forms); the answers are read with survey import, which "
                            "validates every answer against the instrument."),
        "size": "Sample size",
        "size_text": ("{labs_a} + {labs_b} labs ({labs_total} in all) with {per_lab} "
                      "respondents each: {n_a} + {n_b} respondents ({n_total} in all)."),
        "rationale": "Sample size rationale",
        "rationale_text": (
            "Computed by the same code as survey plan: to detect a standardised "
            "difference d = {effect} between two groups with a two-sided test at α = "
            "{alpha} and power {power}, given an intraclass correlation of {icc} within "
            "labs. A lab of m respondents counts as m / (1 + (m − 1) × ICC) independent "
            "respondents: the design effect at m = {per_lab} is {de}, and each group's "
            "effective size is {neff}. The test has labs − 2 = {df} degrees of freedom, "
            "as the lab-aware comparison. The plan's power is {achieved}. Ignoring the "
            "labs, {naive} respondents per group would seem enough."),
        "floor": ("At ICC {icc} a lab counts for at most 1/ICC = {cap} respondents, so "
                  "fewer than {min_a} + {min_b} labs cannot reach power {power} however "
                  "many answer in each."),
        "reproduce": "The plan is reproduced by: {command}",
        "stopping": "Stopping rule",
        "stopping_text": ("Data collection stops when each group has {labs} labs with at "
                          "least {per_lab} respondents each{closing}. The hypotheses are "
                          "not tested before data collection stops. A group with fewer labs "
                          "or respondents than planned is analysed as it is and reported as "
                          "a deviation."),
        "closing": ", or at the end of {date}, whichever comes first",
        "s4": "4. Variables", "manipulated": "Manipulated variables",
        "manipulated_text": "None.",
        "measured": "Measured variables",
        "groups_table": "Grouping questions",
        "variable": "variable", "question": "question", "answers": "answers",
        "construct": "construct", "text": "text", "keying": "keying",
        "forward": "forward", "reverse": "reverse", "free_text": "free text",
        "identifying": " (identifying)",
        "items_intro": "Every item is answered on the scale {scale}.",
        "checks_text": "Attention check {id}: a careful respondent answers {expect}.",
        "indices": "Indices",
        "indices_text": ("Each construct's score is the mean of its items after reverse-keyed "
                         "items are recoded as min + max − x, computed when at least {share} "
                         "of the construct's items are answered and missing otherwise."),
        "constructs_header": ("construct", "name", "items", "reverse-keyed"),
        "s5": "5. Analysis plan", "models": "Statistical models",
        "model_mixed": (
            "Each hypothesis: the two groups it names are compared on the construct score "
            "with a linear mixed model with a random intercept for lab (score ~ group + (1 | "
            "{cluster}), restricted maximum likelihood); the difference is tested two-sided "
            "with t on the degrees of freedom of nlme::lme (labs − 2 when every lab belongs "
            "to one group). A hypothesis one of whose groups comes from a single lab is not "
            "tested (that group cannot be told apart from its lab), and the report says so; "
            "the respondent-level test never decides in its place. Beside each verdict, the "
            "smallest standardised difference the test detects with 80% power given the "
            "labs obtained."),
        "model_welch": ("Beside it: the respondent-level two-sided Welch t-test with its own "
                        "adjusted p and verdict, and Hedges' g with its 95% confidence "
                        "interval as the effect size (the predicted-higher group minus the "
                        "other)."),
        "model_adjust": ("The p-values of the testable hypotheses are adjusted across the "
                         "{n} hypotheses with {adjust}."),
        "model_all": ("Every construct, as description: Welch's ANOVA and Kruskal–Wallis "
                      "across the groups of {by}, Games–Howell (three or more groups) or "
                      "Welch pairs with Hedges' g, and reliability (Cronbach's α with "
                      "Feldt's CI, McDonald's ω)."),
        "gates": "Comparability checks and what happens when one fails",
        "gate_labs": ("Nesting in labs: ICC(1), ICC(2), the design effect and r_wg(j) per "
                      "construct. A comparison with fewer than {min_labs} labs in a group is "
                      "reported as resting on few labs: its verdict is stated but marked "
                      "indicative."),
        "gate_invariance": (
            "Measurement invariance: a multi-group confirmatory factor analysis of each "
            "construct across the groups with at least {inv_n} complete respondents, at the "
            "configural (CFI ≥ {cfi}), metric and scalar levels; a step fails by Chen's "
            "(2007) cut-offs (ΔCFI ≤ {dcfi} together with ΔRMSEA ≥ {drmsea} or ΔSRMR ≥ "
            "{dsrmr_m} for metric, {dsrmr_s} for scalar). When scalar invariance fails, the "
            "mean comparison is marked not warranted and the items whose intercepts differ "
            "are named: the verdict is reported with that flag and is not taken as evidence "
            "for or against the hypothesis. Groups too small for the model are reported as "
            "not tested."),
        "gate_styles": ("Response styles: acquiescence, disacquiescence, extreme and midpoint "
                        "responding per group, and the hypotheses re-tested on "
                        "acquiescence-corrected scores; the report shows whether each "
                        "verdict stays the same."),
        "transformations": "Transformations",
        "transformations_text": ("Reverse-keyed items are recoded as min + max − x on their "
                                 "scale before scoring; no other transformation."),
        "inference": "Inference criteria",
        "inference_text": (
            "On the adjusted p of the lab-aware test: supported when the difference is in "
            "the predicted direction and p < {alpha}; contrary when p < {alpha} in the "
            "opposite direction; not supported when p ≥ {alpha}; not testable when a group "
            "is absent or has fewer than {min_n} respondents."),
        "exclusion": "Data exclusion",
        "excl_rows": ("Rows that are empty, have no respondent id or repeat an earlier id are "
                      "rejected (the first of repeated ids is kept)."),
        "excl_unfinished_reject": "Responses the platform marks unfinished are excluded.",
        "excl_unfinished_flag": ("Responses the platform marks unfinished are kept and "
                                 "flagged."),
        "excl_checks_reject": "Respondents who fail an attention check are excluded.",
        "excl_checks_flag": "Respondents who fail an attention check are kept and flagged.",
        "excl_no_checks": "The instrument has no attention check.",
        "excl_speed_none": "No minimum duration: no response is treated as a speeder.",
        "excl_speed_reject": ("Responses completed in under {s} seconds are excluded as "
                              "speeders."),
        "excl_speed_flag": ("Responses completed in under {s} seconds are kept and flagged "
                            "as speeders."),
        "excl_cells": ("Answers that are not a point of the scale are left blank. Groups and "
                       "cells with fewer than {min_n} respondents are left out of every "
                       "statistic (their hypotheses are not testable)."),
        "excl_order": ("The exclusion rules are applied in this order, and the report "
                       "states how many respondents each removed."),
        "missing": "Missing data",
        "missing_text": ("No value is imputed. A scale score needs at least {share} of the "
                         "construct's items answered; reliability uses pairwise item "
                         "covariances."),
        "exploratory": "Exploratory analysis",
        "exploratory_text": ("Everything the report shows beyond the hypothesis tests above "
                             "(omnibus and pairwise tests of every construct, item "
                             "statistics, response styles, the acquiescence-corrected "
                             "tests) is exploratory."),
        "s6": "6. Other",
        "other_text": ("The analysis is run with survey report {command}; with --prereg "
                       "{yaml} it checks the instrument file's SHA-256, the grouping "
                       "question, the lab question, the adjustment, α, the minimum group "
                       "size, the scoring rule, the exclusion options and the sample size "
                       "against this record, and lists every deviation."),
        "reference": ("Bowman, S. D., DeHaven, A. C., Errington, T. M., Hardwicke, T. E., "
                      "Mellor, D. T., Nosek, B. A., & Soderberg, C. K. (2020). OSF Prereg "
                      "Template. MetaArXiv. https://doi.org/10.31222/osf.io/epgjd"),
        "adjust_holm": "Holm's step-down method",
        "adjust_fdr_bh": "the Benjamini–Hochberg false discovery rate method",
        "adjust_none": "no adjustment",
        "and": " and ",
    },
    "zh": {
        "doc_title": "预注册：{title}",
        "intro": ("本文件由 survey prereg（lab-culture-survey {version}）根据问卷 {id} 版本 "
                  "{iversion}（文件 {file}，SHA-256 {sha}）生成，章节依照 OSF 预注册模板"
                  "（Bowman 等，2020）。下文每一项选择的机器可读记录为 {yaml}；"
                  "survey report --prereg {yaml} 会据此检查分析并列出所有偏离。"),
        "s1": "1. 研究信息", "title": "标题", "authors": "作者",
        "no_authors": "（注册前补充）",
        "description": "研究简介",
        "describe": ("本研究按 {by}（“{by_text}”：{groups}）分组，比较 {n_constructs} 个构念，"
                     "共 {n_items} 道题目；受访者嵌套于实验室（{cluster}）。"),
        "hypotheses": "假设",
        "hyp": "{id}：{construct}在{higher}高于{lower}（{predicts}）。",
        "hyp_source": "出处原文：“{source}”",
        "hyp_two_sided": "每个假设预测一个方向；检验为双侧，并依据差值的符号判断（见推断标准）。",
        "s2": "2. 设计方案", "study_type": "研究类型",
        "study_type_text": "观察性研究：横断面问卷调查，不操纵任何变量。",
        "blinding": "盲法",
        "blinding_text": "不涉及盲法。问卷中不陈述研究假设。",
        "design": "研究设计",
        "design_text": ("按 {by} 分组的组间比较。受访者嵌套于实验室：每位受访者回答其所在实验室的"
                        "情况，并填写研究人员提供的实验室代码（{cluster}），因此组间比较的单位是"
                        "实验室而非受访者。问卷语言：{languages}。"),
        "translation": "翻译（{lang}）：{note}",
        "randomization": "随机化",
        "randomization_text": "无：分组为观察所得，而非分配。",
        "s3": "3. 抽样方案", "existing": "已有数据",
        "existing_text": "在收集数据之前注册：注册本方案时尚未收集任何回答。",
        "procedures": "数据收集程序",
        "procedures_text": ("在 {by} 的每个组中招募实验室；研究人员为每个实验室提供一个代码，"
                            "由其受访者填写。问卷可在线或纸质作答（由 survey export "
                            "生成表单）；回答由 survey import 读取，并逐一依照问卷校验。"),
        "size": "样本量",
        "size_text": ("{labs_a} + {labs_b} 个实验室（共 {labs_total} 个），每个实验室 {per_lab} "
                      "名受访者：{n_a} + {n_b} 名受访者（共 {n_total} 名）。"),
        "rationale": "样本量依据",
        "rationale_text": (
            "由与 survey plan 相同的代码计算：在实验室内组内相关系数为 {icc} 的条件下，以双侧"
            "检验、α = {alpha}、检验力 {power} 检测两组之间 d = {effect} 的标准化差异。"
            "m 名受访者的实验室相当于 m / (1 + (m − 1) × ICC) 名独立受访者：m = {per_lab} "
            "时设计效应为 {de}，每组有效样本量为 {neff}。检验的自由度为 实验室数 − 2 = {df}，"
            "与考虑实验室的比较相同。本方案的检验力为 {achieved}。若忽略实验室，每组 {naive} "
            "名受访者似乎就已足够。"),
        "floor": ("ICC 为 {icc} 时，一个实验室至多相当于 1/ICC = {cap} 名受访者，因此少于 "
                  "{min_a} + {min_b} 个实验室时，无论每个实验室有多少人作答，都无法达到检验力 "
                  "{power}。"),
        "reproduce": "可用以下命令重现本方案：{command}",
        "stopping": "停止规则",
        "stopping_text": ("当每组都有 {labs} 个实验室、且每个实验室至少有 {per_lab} 名受访者时"
                          "停止收集数据{closing}。数据收集停止之前不检验假设。实验室或受访者少于"
                          "计划的组按实际数据分析，并作为偏离报告。"),
        "closing": "；或至 {date} 结束时停止，以先到者为准",
        "s4": "4. 变量", "manipulated": "操纵变量",
        "manipulated_text": "无。",
        "measured": "测量变量",
        "groups_table": "分组问题",
        "variable": "变量", "question": "问题", "answers": "选项",
        "construct": "构念", "text": "题干", "keying": "计分方向",
        "forward": "正向", "reverse": "反向", "free_text": "自由文本",
        "identifying": "（可识别身份）",
        "items_intro": "所有题目均采用以下量表作答：{scale}。",
        "checks_text": "注意力检查题 {id}：认真作答的受访者应选择 {expect}。",
        "indices": "指数",
        "indices_text": ("反向计分题按 最小值 + 最大值 − x 重新编码后，构念得分为其各题的均值；"
                         "仅当作答题目不少于该构念题目的 {share} 时计算，否则记为缺失。"),
        "constructs_header": ("构念", "名称", "题数", "反向计分题数"),
        "s5": "5. 分析方案", "models": "统计模型",
        "model_mixed": (
            "每个假设：以含实验室随机截距的线性混合模型（得分 ~ 组 + (1 | {cluster})，限制性"
            "最大似然估计）比较其两组的构念得分；差值采用双侧 t 检验，自由度与 nlme::lme 相同"
            "（每个实验室只属于一个组时为 实验室数 − 2）。若某个假设的一组只来自一个实验室，则不予"
            "检验（该组无法与其实验室区分），报告中会注明；受访者层面的检验不会代替它作出结论。"
            "每个结论旁报告：依据实际获得的实验室，检验效能为 80% 时能检测到的最小标准化差异。"),
        "model_welch": ("同时报告受访者层面的双侧 Welch t 检验及其校正 p 值与结论，效应量为 "
                        "Hedges' g 及其 95% 置信区间（预测较高的组减去另一组）。"),
        "model_adjust": "可检验假设的 p 值在 {n} 个假设之间{adjust}。",
        "model_all": ("所有构念（描述性）：按 {by} 分组的 Welch 方差分析与 Kruskal–Wallis 检验，"
                      "Games–Howell（三组及以上）或 Welch 两两比较及 Hedges' g，以及信度"
                      "（Cronbach's α 及 Feldt 置信区间、McDonald's ω）。"),
        "gates": "可比性检验及其不通过时的处理",
        "gate_labs": ("实验室嵌套：每个构念的 ICC(1)、ICC(2)、设计效应与 r_wg(j)。某组实验室少于 "
                      "{min_labs} 个的比较注明其依据的实验室较少：给出结论，但标为仅供参考。"),
        "gate_invariance": (
            "测量等值性：对每个构念，在完整作答者不少于 {inv_n} 人的各组之间进行多组验证性因子"
            "分析，检验形态（CFI ≥ {cfi}）、度量与标量三个层级；按 Chen（2007）的标准判定某步"
            "不成立（ΔCFI ≤ {dcfi}，且 ΔRMSEA ≥ {drmsea} 或 ΔSRMR ≥ {dsrmr_m}（度量）/ "
            "{dsrmr_s}（标量））。标量等值不成立时，均值比较标为不适当，并列出截距不同的题目："
            "结论连同该标记一并报告，不作为支持或反对假设的证据。组样本过小时报告为未检验。"),
        "gate_styles": ("作答风格：各组的肯定倾向、否定倾向、极端作答与中点作答，并在校正肯定倾向"
                        "后的得分上重新检验各假设；报告说明每个结论是否保持不变。"),
        "transformations": "变量转换",
        "transformations_text": "计分前反向计分题按 最小值 + 最大值 − x 重新编码；无其他转换。",
        "inference": "推断标准",
        "inference_text": (
            "依据考虑实验室的检验的校正 p 值：差值方向与预测一致且 p < {alpha} 时为“得到支持”；"
            "p < {alpha} 但方向相反时为“方向相反”；p ≥ {alpha} 时为“未得到支持”；某组缺失或"
            "受访者少于 {min_n} 人时为“无法检验”。"),
        "exclusion": "数据排除",
        "excl_rows": "空行、缺少受访者编号或编号重复的行被拒绝（重复编号保留第一次出现）。",
        "excl_unfinished_reject": "平台标记为未完成的回答被排除。",
        "excl_unfinished_flag": "平台标记为未完成的回答保留并标记。",
        "excl_checks_reject": "未通过注意力检查的受访者被排除。",
        "excl_checks_flag": "未通过注意力检查的受访者保留并标记。",
        "excl_no_checks": "问卷没有注意力检查题。",
        "excl_speed_none": "不设最短作答时间：不判定速答。",
        "excl_speed_reject": "作答时间短于 {s} 秒的回答作为速答被排除。",
        "excl_speed_flag": "作答时间短于 {s} 秒的回答作为速答保留并标记。",
        "excl_cells": ("不属于量表选项的回答记为空白。受访者少于 {min_n} 人的组或单元格不计入任何"
                       "统计（其假设无法检验）。"),
        "excl_order": "排除规则按上述顺序执行，报告会说明每条规则排除的人数。",
        "missing": "缺失数据",
        "missing_text": ("不做任何插补。量表得分要求作答题目不少于该构念题目的 {share}；信度基于"
                         "成对删除的题目协方差。"),
        "exploratory": "探索性分析",
        "exploratory_text": ("报告中除上述假设检验以外的内容（各构念的总体检验与两两比较、"
                             "题目统计、作答风格、校正肯定倾向后的检验）均为探索性分析。"),
        "s6": "6. 其他",
        "other_text": ("分析以 survey report {command} 运行；加上 --prereg {yaml} 时，会依据本"
                       "记录检查问卷文件的 SHA-256、分组问题、实验室问题、校正方法、α、最小组"
                       "样本量、计分规则、排除选项与样本量，并列出所有偏离。"),
        "reference": ("Bowman, S. D., DeHaven, A. C., Errington, T. M., Hardwicke, T. E., "
                      "Mellor, D. T., Nosek, B. A., & Soderberg, C. K. (2020). OSF Prereg "
                      "Template. MetaArXiv. https://doi.org/10.31222/osf.io/epgjd"),
        "adjust_holm": "采用 Holm 逐步校正法校正",
        "adjust_fdr_bh": "采用 Benjamini–Hochberg 错误发现率方法校正",
        "adjust_none": "不做校正",
        "and": "与",
    },
}


def _f(x: float) -> str:
    return f"{x:.3g}"


def build(instrument: Instrument, rec: Mapping[str, Any], plan: Plan, *, lang: str,
          yaml_name: str, report_command: str, plan_command: str) -> tuple[str, list[Section]]:
    """The preregistration's title and sections as plain text (no markup).

    Parameters
    ----------
    instrument : Instrument
        The instrument.
    rec : mapping
        Its record (:func:`record`).
    plan : Plan
        The sampling plan.
    lang : str
        ``en`` or ``zh``.
    yaml_name : str
        The record's file name, as the text refers to it.
    report_command, plan_command : str
        The ``survey report`` options and the ``survey plan`` command line that match.

    Returns
    -------
    (str, list of Section)
    """
    from analysis.report import comparability as cmp
    from survey import __version__

    T = _T[lang]
    text = lambda mapping: instrument.text(mapping, lang)  # noqa: E731
    analysis = rec["analysis"]
    by, cluster = analysis["by"], analysis["cluster"]
    group = instrument.group(by)
    sep = "、" if lang == "zh" else ", "
    labels = sep.join(group.label(c, lang) for c in group.codes) if group.type == "choice" \
        else T["free_text"]
    share = f"{analysis['min_answered']:.0%}"
    sections: list[Section] = []

    # 1. study information
    hyp_blocks: list[Block] = []
    for h in instrument.hypotheses:
        g = instrument.group(h.by)
        hyp_blocks.append(_p(T["hyp"].format(
            id=h.id, construct=text(instrument.construct(h.construct).name),
            higher=g.label(h.higher, lang), lower=g.label(h.lower, lang),
            predicts=h.predicts)))
        hyp_blocks.append(Block("quote", text=T["hyp_source"].format(source=h.source)))
    hyp_blocks.append(_p(T["hyp_two_sided"]))
    description = [text(instrument.description)] if instrument.description else []
    description.append(T["describe"].format(
        by=by, by_text=text(group.text), groups=labels,
        n_constructs=len(instrument.constructs), n_items=len(instrument.items),
        cluster=cluster))
    sections += [
        Section(T["s1"], 2),
        Section(T["title"], 3, (_p(rec["title"]),)),
        Section(T["authors"], 3, (_p((sep if lang == "zh" else "; ").join(rec["authors"])
                                     or T["no_authors"]),)),
        Section(T["description"], 3, tuple(_p(d) for d in description)),
        Section(T["hypotheses"], 3, tuple(hyp_blocks)),
    ]

    # 2. design plan
    design = [_p(T["design_text"].format(by=by, cluster=cluster,
                                         languages=sep.join(instrument.languages)))]
    for code, note in instrument.translation.items():
        design.append(_p(T["translation"].format(lang=code, note=note)))
    sections += [
        Section(T["s2"], 2),
        Section(T["study_type"], 3, (_p(T["study_type_text"]),)),
        Section(T["blinding"], 3, (_p(T["blinding_text"]),)),
        Section(T["design"], 3, tuple(design)),
        Section(T["randomization"], 3, (_p(T["randomization_text"]),)),
    ]

    # 3. sampling plan
    sampling = rec["sampling"]
    rationale = [_p(T["rationale_text"].format(
        effect=_g(plan.effect), alpha=_g(plan.alpha), power=_g(plan.power), icc=_g(plan.icc),
        per_lab=plan.per_lab, de=_f(plan.design_effect or 1.0),
        neff=f"{plan.n_effective_a:.1f} + {plan.n_effective_b:.1f}", df=plan.df,
        achieved=f"{plan.achieved_power:.3f}",
        naive=f"{plan.n_unclustered_a:.1f} + {plan.n_unclustered_b:.1f}"))]
    if plan.icc > 0:
        rationale.append(_p(T["floor"].format(icc=_g(plan.icc), cap=_f(1 / plan.icc),
                                              min_a=plan.min_labs_a, min_b=plan.min_labs_b,
                                              power=_g(plan.power))))
    rationale.append(_p(T["reproduce"].format(command=plan_command)))
    closing = T["closing"].format(date=sampling["closing_date"]) \
        if sampling.get("closing_date") else ""
    sections += [
        Section(T["s3"], 2),
        Section(T["existing"], 3, (_p(T["existing_text"]),)),
        Section(T["procedures"], 3, (_p(T["procedures_text"].format(by=by)),)),
        Section(T["size"], 3, (_p(T["size_text"].format(
            labs_a=plan.labs_a, labs_b=plan.labs_b, labs_total=plan.labs_a + plan.labs_b,
            per_lab=plan.per_lab, n_a=plan.n_a, n_b=plan.n_b,
            n_total=(plan.n_a or 0) + (plan.n_b or 0))),)),
        Section(T["rationale"], 3, tuple(rationale)),
        Section(T["stopping"], 3, (_p(T["stopping_text"].format(
            labs=min(plan.labs_a, plan.labs_b), per_lab=plan.per_lab, closing=closing)),)),
    ]

    # 4. variables
    group_rows = []
    for g in instrument.groups:
        answers = "; ".join(f"{c.code} = {c.label[lang]}" for c in g.choices) \
            if g.type == "choice" else T["free_text"]
        group_rows.append((g.id + (T["identifying"] if g.identifying else ""), text(g.text),
                           answers))
    item_rows = tuple((item.id, item.construct, text(item.text),
                       T["reverse"] if item.reverse else T["forward"])
                      for item in instrument.items)
    scales = {c.scale for c in instrument.constructs}
    measured: list[Block] = [
        _p(T["groups_table"]),
        Block("table", header=(T["variable"], T["question"], T["answers"]),
              rows=tuple(group_rows)),
    ]
    for sid in sorted(scales):
        scale = instrument.scales[sid]
        measured.append(_p(T["items_intro"].format(scale="; ".join(
            f"{p} = {scale.label(p, lang)}" for p in scale.points))))
    measured.append(Block("table", header=(T["variable"], T["construct"], T["text"],
                                           T["keying"]), rows=item_rows))
    for chk in instrument.checks:
        measured.append(_p(T["checks_text"].format(id=chk.id, expect=chk.expect)))
    construct_rows = tuple((c.id, text(c.name), str(len(c.items)),
                            str(sum(i.reverse for i in c.items)))
                           for c in instrument.constructs)
    sections += [
        Section(T["s4"], 2),
        Section(T["manipulated"], 3, (_p(T["manipulated_text"]),)),
        Section(T["measured"], 3, tuple(measured)),
        Section(T["indices"], 3, (_p(T["indices_text"].format(share=share)),
                                  Block("table", header=tuple(T["constructs_header"]),
                                        rows=construct_rows))),
    ]

    # 5. analysis plan
    adjust = T["adjust_" + analysis["adjust"]]
    exclusions = rec["exclusions"]
    excl = [T["excl_rows"],
            T["excl_unfinished_reject" if exclusions["reject_unfinished"]
              else "excl_unfinished_flag"]]
    if instrument.checks:
        excl.append(T["excl_checks_reject" if exclusions["reject_failed_checks"]
                      else "excl_checks_flag"])
    else:
        excl.append(T["excl_no_checks"])
    if exclusions["min_duration"] is None:
        excl.append(T["excl_speed_none"])
    else:
        key = "excl_speed_reject" if exclusions["reject_speeders"] else "excl_speed_flag"
        excl.append(T[key].format(s=_g(float(exclusions["min_duration"]))))
    excl.append(T["excl_cells"].format(min_n=analysis["min_group_n"]))
    excl.append(T["excl_order"])
    sections += [
        Section(T["s5"], 2),
        Section(T["models"], 3, (_ul([
            T["model_mixed"].format(cluster=cluster),
            T["model_welch"],
            T["model_adjust"].format(n=len(instrument.hypotheses), adjust=adjust),
            T["model_all"].format(by=by)]),)),
        Section(T["gates"], 3, (_ul([
            T["gate_labs"].format(min_labs=cmp.MIN_LABS),
            T["gate_invariance"].format(
                inv_n=cmp.INVARIANCE_MIN_N, cfi=f"{cmp.MIN_CFI:.2f}",
                dcfi=f"{cmp.DELTA_CFI:.3f}", drmsea=f"{cmp.DELTA_RMSEA:.3f}",
                dsrmr_m=f"{cmp.DELTA_SRMR[0]:.3f}", dsrmr_s=f"{cmp.DELTA_SRMR[1]:.3f}"),
            T["gate_styles"]]),)),
        Section(T["transformations"], 3, (_p(T["transformations_text"]),)),
        Section(T["inference"], 3, (_p(T["inference_text"].format(
            alpha=_g(analysis["alpha"]), min_n=analysis["min_group_n"])),)),
        Section(T["exclusion"], 3, (_ul(excl),)),
        Section(T["missing"], 3, (_p(T["missing_text"].format(share=share)),)),
        Section(T["exploratory"], 3, (_p(T["exploratory_text"]),)),
    ]

    # 6. other
    sections.append(Section(T["s6"], 2, (
        _p(T["other_text"].format(command=report_command, yaml=yaml_name)),
        _p(T["reference"]))))
    intro = T["intro"].format(
        version=__version__, id=instrument.id, iversion=instrument.version,
        file=rec["instrument"]["file"], sha=rec["instrument"]["sha256"], yaml=yaml_name)
    sections.insert(0, Section("", 0, (_p(intro),)))
    return T["doc_title"].format(title=rec["title"]), sections


def _md_cell(value: str) -> str:
    return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


_MD_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9])_|_(?![A-Za-z0-9])")


def _md_text(value: str) -> str:
    """Text safe in Markdown: characters that would start markup are escaped.

    An underscore inside a word (``lab_region``) starts no emphasis and is left alone.

    Examples
    --------
    >>> print(_md_text("lab_region > china *not* <b>"))
    lab_region > china \\*not\\* \\<b>
    """
    out = str(value).replace("\\", "\\\\")
    for ch in ("*", "`", "<", "[", "]"):
        out = out.replace(ch, "\\" + ch)
    out = _MD_UNDERSCORE.sub(r"\\_", out)
    if out.startswith(("#", ">", "-", "+")):
        out = "\\" + out
    return out


def render_markdown(title: str, sections: Sequence[Section]) -> str:
    """The preregistration as Markdown (every text from the instrument escaped)."""
    lines = [f"# {_md_text(title)}", ""]
    for sec in sections:
        if sec.title:
            lines += [f"{'#' * sec.level} {_md_text(sec.title)}", ""]
        for block in sec.blocks:
            if block.kind == "p":
                lines += [_md_text(block.text), ""]
            elif block.kind == "quote":
                lines += ["> " + _md_text(block.text), ""]
            elif block.kind == "ul":
                lines += [f"- {_md_text(item)}" for item in block.items] + [""]
            elif block.kind == "table":
                lines.append("| " + " | ".join(_md_cell(h) for h in block.header) + " |")
                lines.append("|" + "|".join(" --- " for _ in block.header) + "|")
                lines += ["| " + " | ".join(_md_cell(v) for v in row) + " |"
                          for row in block.rows]
                lines.append("")
    return "\n".join(lines).rstrip("\n") + "\n"


def render_html(title: str, sections: Sequence[Section], lang: str) -> str:
    """The preregistration as one self-contained, printable HTML page (text escaped)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("survey", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("prereg.html.j2").render(
        title=title, sections=sections, lang="zh-Hans" if lang == "zh" else lang)


def _yaml_text(rec: Mapping[str, Any]) -> str:
    import yaml

    head = ("# Preregistration record written by survey prereg. survey report --prereg "
            "checks an analysis\n# against it; edit the Markdown, not this file.\n")
    return head + yaml.safe_dump(dict(rec), allow_unicode=True, sort_keys=False, width=100)


def write_preregistration(
    instrument: Instrument,
    instrument_bytes: bytes,
    settings: Settings,
    plan: Plan,
    *,
    name: str,
    lang: str = "en",
    title: str | None = None,
    authors: Sequence[str] = (),
    closing_date: str | None = None,
    plan_command: str = "",
    report_command: str = "",
) -> dict[str, bytes]:
    """The preregistration's three files.

    Parameters
    ----------
    instrument : Instrument
        The instrument to be fielded.
    instrument_bytes : bytes
        Its file's bytes (hashed into the record).
    settings : Settings
        The analysis choices.
    plan : Plan
        The sampling plan (:func:`analysis.planning.plan_study`), feasible.
    name : str
        The files' stem: ``<name>.md``, ``<name>.html``, ``<name>.yaml``.
    lang : {"en", "zh"}
        Language of the Markdown and HTML.
    title : str, optional
        The study's title (default: the instrument's title).
    authors : sequence of str
        The authors.
    closing_date : str, optional
        The last day of data collection (``YYYY-MM-DD``).
    plan_command, report_command : str
        The ``survey plan`` command line and the ``survey report`` options that match the
        plan, quoted in the text.

    Returns
    -------
    dict of str to bytes
        File name -> content.

    Raises
    ------
    SurveyError
        An unknown language or grouping question.
    """
    if lang not in _T:
        raise SurveyError(f"the preregistration is written in {' or '.join(_T)}, not '{lang}'")
    if lang not in instrument.languages:
        raise SurveyError(f"instrument '{instrument.id}' has no '{lang}' text; its languages: "
                          f"{', '.join(instrument.languages)}")
    sha = instrument_sha256(instrument_bytes)
    rec = record(instrument, sha, settings, plan,
                 title=title or instrument.text(instrument.title, lang), authors=authors,
                 lang=lang, closing_date=closing_date)
    yaml_name = f"{name}.yaml"
    doc_title, sections = build(instrument, rec, plan, lang=lang, yaml_name=yaml_name,
                                report_command=report_command, plan_command=plan_command)
    return {
        f"{name}.md": render_markdown(doc_title, sections).encode("utf-8"),
        f"{name}.html": render_html(doc_title, sections, lang).encode("utf-8"),
        yaml_name: _yaml_text(rec).encode("utf-8"),
    }
