"""Every table the report shows, computed once from a ResponseSet.

:func:`prepare_report` runs scoring, reliability, item statistics, the group comparison,
the comparability checks (nesting in labs, measurement invariance, response styles; see
:mod:`analysis.report.comparability`), the measurement model (dimensionality, the full
factor model, validity, partial invariance and latent means; see
:mod:`analysis.report.measurement`) and the hypotheses, and gathers the results in a
:class:`ReportData` that the HTML, workbook, figure and CSV writers only read. The tables
keep the columns of ARCHITECTURE.md, unrounded.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from survey.errors import SurveyError, did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from analysis.compare import Comparison
    from analysis.report.comparability import Checks
    from analysis.report.measurement import Measurement
    from survey.instrument import Instrument
    from survey.prereg import PreregCheck
    from survey.responses.model import ResponseSet
    from survey.responses.validate import Policy

__all__ = ["DEVIATION_COLUMNS", "LANGUAGES", "TABLE_NAMES", "ReportData", "default_by",
           "deviations_table", "prepare_report", "shared_scores"]

#: Languages the report's own headings and text are written in.
LANGUAGES = ("en", "zh")

#: Tables written to ``tables/`` (and, with ``suppressed``, to the workbook), in order.
TABLE_NAMES = (
    "hypotheses", "reliability", "descriptives", "omnibus", "pairwise", "items",
    "icc", "nested", "rwg", "rwg_labs", "invariance_fits", "invariance_summary",
    "invariance_items", "styles", "style_differences", "acquiescence_sensitivity",
    "dimensionality", "cfa_fit", "cfa_loadings", "factor_correlations",
    "modification_indices", "validity", "htmt", "partial_invariance", "latent_means",
    "suppressed", "scores", "import_log",
)


@dataclass(frozen=True)
class ReportData:
    """What the report shows; every frame keeps full precision.

    Attributes
    ----------
    responses : ResponseSet
        The validated responses.
    by : str
        Grouping column of the comparison.
    lang : str
        Language of the report (``en`` or ``zh``).
    min_group_n, adjust, alpha, min_answered
        The settings used.
    cluster : str or None
        The cluster question of the lab-aware analysis (``None``: none).
    equivalence : float or None
        The equivalence bound of the TOST, in standard deviations (``None``: not asked).
    tables : dict of str to pandas.DataFrame
        :data:`TABLE_NAMES` -> table.
    comparison : Comparison
        The group comparison (groups kept, notes).
    group_shares : pandas.DataFrame
        Share of each answer per item and reported group (answers as given, before
        keying): ``construct, item, group, n, point, share``; for the item charts.
    lab_counts : pandas.DataFrame
        Respondents per lab and group of ``by`` (``lab, group, n``); empty without a
        cluster column.
    checks : Checks or None
        What the comparability checks found besides their tables (whether the
        lab-aware analysis ran, unbalanced constructs, notes).
    stamp : str or None
        A time stamp to show, only when asked for.
    policy : Policy or None
        The exclusion rules the responses were read with (None: the import's defaults,
        keep and flag).
    mapping : str or None
        The ``--map`` file the responses were read with.
    prereg : PreregCheck or None
        The run checked against a preregistration (``--prereg``): its deviations, none
        when the analysis follows it.
    measurement : Measurement or None
        What the Measurement model section found besides its tables
        (:mod:`analysis.report.measurement`).
    drawing : callable or None
        Waits for the answer charts started by :func:`prepare_report` (``figures``) and
        returns them as name -> (PNG, SVG); None when none were started.
    """

    responses: ResponseSet
    by: str
    lang: str
    min_group_n: int
    adjust: str
    alpha: float
    min_answered: float
    tables: dict[str, pd.DataFrame]
    comparison: Comparison
    group_shares: pd.DataFrame
    lab_counts: pd.DataFrame
    checks: Checks | None = None
    stamp: str | None = None
    cluster: str | None = "lab"
    equivalence: float | None = None
    policy: Policy | None = None
    mapping: str | None = None
    prereg: PreregCheck | None = None
    measurement: Measurement | None = None
    #: The answer charts being drawn since the groups were known (``prepare_report``
    #: with ``figures``): a function that waits for them; None when not started.
    drawing: Callable[[], dict[str, tuple[bytes, bytes]]] | None = field(
        default=None, repr=False, compare=False)

    @property
    def instrument(self) -> Instrument:
        """The instrument the responses answer."""
        return self.responses.instrument

    def group_label(self, by: str, code: object) -> str:
        """Label of a group code in the report's language (data codes as they are)."""
        inst = self.instrument
        if by in inst.group_ids and inst.group(by).type == "choice":
            return inst.group(by).label(str(code), self.lang)
        return str(code)

    def text(self, mapping) -> str:
        """Instrument text in the report's language."""
        return self.instrument.text(mapping, self.lang)


def default_by(instrument: Instrument) -> str:
    """``lab_region`` when the instrument has it, else its first choice question.

    Raises
    ------
    SurveyError
        The instrument has no choice question to group by.
    """
    if "lab_region" in instrument.group_ids:
        return "lab_region"
    for g in instrument.groups:
        if g.type == "choice":
            return g.id
    raise SurveyError("the instrument has no choice question to group the report by")


def prepare_report(
    responses: ResponseSet,
    *,
    by: str | None = None,
    lang: str = "en",
    min_group_n: int = 5,
    adjust: str = "holm",
    alpha: float = 0.05,
    min_answered: float = 0.5,
    stamp: str | None = None,
    progress: Callable[[str], None] | None = None,
    cluster: str | None = None,
    equivalence: float | None = None,
    policy: Policy | None = None,
    mapping: str | None = None,
    include_group_answers: bool = False,
    prereg: PreregCheck | None = None,
    figures: bool = False,
) -> ReportData:
    """Compute every table of the report.

    Parameters are those of :func:`analysis.report.build_report`; with ``figures``, the
    answer charts, which need only the groups and their answers, start being drawn (in
    worker processes when there are cores to spare) as soon as the groups are known,
    while the comparisons, checks and models are computed; ``ReportData.drawing`` waits
    for them and :func:`analysis.report.render_report` takes them from there.

    Returns
    -------
    ReportData

    Raises
    ------
    SurveyError
        Unknown language or grouping column, or an option out of range.
    """
    from analysis.compare import check_by
    from analysis.multilevel import resolve_cluster
    from analysis.scoring import score_scales

    inst = responses.instrument
    step = progress or (lambda _message: None)
    if lang not in LANGUAGES:
        raise SurveyError(f"the report is written in {' or '.join(LANGUAGES)}, not '{lang}'."
                          + did_you_mean(lang, LANGUAGES))
    if lang not in inst.languages:
        raise SurveyError(f"instrument '{inst.id}' has no '{lang}' text; its languages: "
                          f"{', '.join(inst.languages)}")
    if by is None:
        by = default_by(inst)
    check_by(inst, by)
    cluster = resolve_cluster(inst, cluster)

    step("scoring")
    scores = score_scales(responses, min_answered=min_answered)
    early = _start_answer_charts(responses, scores, by, lang=lang, min_group_n=min_group_n,
                                 adjust=adjust, alpha=alpha,
                                 min_answered=min_answered) if figures else None
    try:
        return _analyse(responses, scores, by, lang=lang, min_group_n=min_group_n,
                        adjust=adjust, alpha=alpha, min_answered=min_answered, stamp=stamp,
                        step=step, cluster=cluster, equivalence=equivalence, policy=policy,
                        mapping=mapping, include_group_answers=include_group_answers,
                        prereg=prereg, early=early)
    except BaseException:
        if early is not None:
            with contextlib.suppress(Exception):
                early.drawing()  # type: ignore[misc]  # let the workers finish
        raise


def _start_answer_charts(responses: ResponseSet, scores: pd.DataFrame, by: str, *,
                         lang: str, min_group_n: int, adjust: str, alpha: float,
                         min_answered: float) -> ReportData | None:
    """The report data the answer charts are drawn from (the groups and their answers;
    no comparison or table yet), with the charts started; None when the groups cannot
    be told (the comparison then raises the error)."""
    import pandas as pd

    from analysis.compare import Comparison, reported_groups
    from analysis.report.figures import answer_chart_jobs, start_figures

    try:
        groups = reported_groups(scores, responses.instrument, by, min_group_n=min_group_n)
    except SurveyError:
        return None
    none = pd.DataFrame()
    # not compared yet: the charts read only the groups of the comparison
    comparison = Comparison(by=by, groups=groups, adjust=adjust, min_group_n=min_group_n,
                            descriptives=none, omnibus=none, pairwise=none, suppressed=none)
    data = ReportData(responses=responses, by=by, lang=lang, min_group_n=min_group_n,
                      adjust=adjust, alpha=alpha, min_answered=min_answered, tables={},
                      comparison=comparison,
                      group_shares=_group_shares(responses, by, groups),
                      lab_counts=none)
    drawing = start_figures(data, jobs=answer_chart_jobs(data))
    return dataclasses.replace(data, drawing=drawing)


def _analyse(responses: ResponseSet, scores: pd.DataFrame, by: str, *, lang: str,
             min_group_n: int, adjust: str, alpha: float, min_answered: float,
             stamp: str | None, step: Callable[[str], None], cluster: str | None,
             equivalence: float | None, policy: Policy | None, mapping: str | None,
             include_group_answers: bool, prereg: PreregCheck | None,
             early: ReportData | None) -> ReportData:
    """The tables of the report (see :func:`prepare_report`)."""
    import pandas as pd

    from analysis.compare import compare_groups, reported_groups
    from analysis.reliability import analyse_items, assess_reliability
    from analysis.report.comparability import group_checks, hypotheses_table, lab_checks
    from analysis.report.measurement import run_measurement
    from analysis.report.workers import fork_call

    inst = responses.instrument

    def checks_and_model(groups: tuple[str, ...]) -> tuple[Any, ...]:
        # the checks but the nesting in labs (computed by the caller, beside them)
        steps: list[str] = []
        checks_tables, checks = group_checks(
            responses, scores, by, groups, min_group_n=min_group_n, adjust=adjust,
            alpha=alpha, min_answered=min_answered, cluster=cluster, progress=steps.append)
        measurement_tables, measurement = run_measurement(
            responses, by, groups, checks_tables["invariance_summary"],
            progress=steps.append)
        hypotheses = hypotheses_table(
            responses, scores, checks_tables["invariance_summary"],
            min_group_n=min_group_n, adjust=adjust, alpha=alpha, cluster=cluster,
            equivalence=equivalence, latent=measurement_tables["latent_means"])
        return checks_tables, checks, measurement_tables, measurement, hypotheses, steps

    step("comparing groups")
    # the comparability checks, the measurement model and the hypotheses (which need
    # both) need the groups, not their comparison: computed by a worker beside the
    # comparison, reliability and nesting in labs when there is a core to spare (the
    # parts of scipy both need, loaded first so that they are inherited rather than
    # loaded twice: scipy.special, and the compiled root finder and QUADPACK of
    # analysis.solvers)
    try:
        groups = reported_groups(scores, inst, by, min_group_n=min_group_n)
    except SurveyError:
        beside = None  # the comparison raises it
    else:
        import scipy.special  # noqa: F401

        from analysis.solvers import load_extension

        load_extension("optimize", "_zeros")
        load_extension("integrate", "_quadpack")
        beside = fork_call(lambda: checks_and_model(groups))
    try:
        comparison = compare_groups(scores, inst, by, min_group_n=min_group_n,
                                    adjust=adjust)
        step("reliability")
        reliability = assess_reliability(responses, by=by, min_group_n=min_group_n)
        items = analyse_items(responses)
        labs = lab_checks(responses, scores, by, comparison.groups,
                          min_group_n=min_group_n, adjust=adjust, cluster=cluster,
                          progress=step)
    except BaseException:
        if beside is not None:
            with contextlib.suppress(Exception):
                beside()  # let the worker finish
        raise
    done = beside() if beside is not None else checks_and_model(comparison.groups)
    other_checks, checks, measurement_tables, measurement, hypotheses, steps = done
    checks_tables = {**labs, **other_checks}
    for message in steps:  # said in the order they were done
        step(message)

    tables = {
        "hypotheses": hypotheses,
        "reliability": reliability,
        "descriptives": comparison.descriptives,
        "omnibus": comparison.omnibus,
        "pairwise": comparison.pairwise,
        "items": items,
        **checks_tables,
        **measurement_tables,
        "suppressed": comparison.suppressed,
        "scores": shared_scores(scores, inst, by, include_group_answers),
        "import_log": _log_table(responses),
    }
    drawing = None
    if early is not None:
        if early.comparison.groups == comparison.groups:
            shares, drawing = early.group_shares, early.drawing
        else:  # pragma: no cover - the same function chooses both
            early.drawing()  # type: ignore[misc]
    if drawing is None:
        shares = _group_shares(responses, by, comparison.groups)
    return ReportData(
        responses=responses, by=by, lang=lang, min_group_n=min_group_n, adjust=adjust,
        alpha=alpha, min_answered=min_answered, tables=tables, comparison=comparison,
        group_shares=shares, drawing=drawing,
        lab_counts=_lab_counts(responses, by, cluster)
        if cluster is not None and cluster in responses.data else pd.DataFrame(
            columns=["lab", "group", "n"]),
        checks=checks, stamp=stamp, cluster=cluster, equivalence=equivalence,
        policy=policy, mapping=mapping, prereg=prereg, measurement=measurement,
    )


def shared_scores(scores: pd.DataFrame, instrument: Instrument, by: str,
                  include_group_answers: bool = False) -> pd.DataFrame:
    """The scores table the report ships: no answers that could identify a respondent.

    A lab code, a role and years in the field together often point at one person, so
    by default the table keeps only ``respondent_id``, the grouping answer ``by`` and
    one score per construct.

    Parameters
    ----------
    scores : pandas.DataFrame
        :func:`analysis.scoring.score_scales` output.
    instrument : Instrument
        Its constructs give the score columns.
    by : str
        The report's grouping question, kept.
    include_group_answers : bool
        Keep every grouping answer as well (``--include-group-answers``).

    Returns
    -------
    pandas.DataFrame
        ``respondent_id``, ``by`` (or every grouping column), then the construct scores.
    """
    if include_group_answers:
        return scores
    constructs = [c.id for c in instrument.constructs if c.id in scores.columns]
    keep = [c for c in ("respondent_id", by) if c in scores.columns]
    return scores[keep + constructs]


#: Columns of ``tables/deviations.csv`` (written with ``--prereg``).
DEVIATION_COLUMNS = ["kind", "preregistered", "used"]


def deviations_table(prereg: PreregCheck) -> pd.DataFrame:
    """The deviations from a preregistration, one row each (:data:`DEVIATION_COLUMNS`)."""
    import pandas as pd

    return pd.DataFrame([(d.kind, d.preregistered, d.used) for d in prereg.deviations],
                        columns=DEVIATION_COLUMNS, dtype=object)


def _log_table(responses: ResponseSet) -> pd.DataFrame:
    """The import log: one row per record (``row, column, value, reason, action, message``)."""
    import pandas as pd

    cols = ["row", "column", "value", "reason", "action", "message"]
    frame = pd.DataFrame([r.as_dict() for r in responses.log.records], columns=cols)
    frame["row"] = frame["row"].astype("Int64")
    return frame


def _group_shares(responses: ResponseSet, by: str, groups: tuple[str, ...]) -> pd.DataFrame:
    """Share of each answer per item and reported group (answers as given)."""
    import numpy as np
    import pandas as pd

    inst = responses.instrument
    data = responses.data
    column = data[by].astype(object).where(data[by].notna(), None)
    rows = []
    for construct in inst.constructs:
        scale = inst.scales[construct.scale]
        for item in construct.items:
            values = pd.to_numeric(data[item.id], errors="coerce").to_numpy(
                dtype=float, na_value=np.nan)
            for g in groups:
                x = values[(column == g).to_numpy()]
                x = x[~np.isnan(x)]
                for p in scale.points:
                    rows.append({
                        "construct": construct.id, "item": item.id, "group": g,
                        "n": int(x.size), "point": int(p),
                        "share": float((x == p).mean()) if x.size else np.nan,
                    })
    return pd.DataFrame(rows, columns=["construct", "item", "group", "n", "point", "share"])


def _lab_counts(responses: ResponseSet, by: str, cluster: str) -> pd.DataFrame:
    """Respondents per lab (cluster) and the group of ``by`` its respondents gave."""
    import pandas as pd

    data = responses.data
    labs = data[cluster].astype(object).where(data[cluster].notna(), None)
    groups = data[by].astype(object).where(data[by].notna(), None)
    frame = pd.DataFrame({"lab": labs.fillna(""), "group": groups.fillna("")})
    counts = (frame.groupby(["lab", "group"], sort=True).size()
              .reset_index(name="n"))
    counts["n"] = counts["n"].astype("int64")
    return counts
