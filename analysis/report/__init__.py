"""The comparison report: tables, figures, a workbook and one self-contained HTML page.

:func:`build_report` turns a validated :class:`~survey.responses.model.ResponseSet` into
a mapping of relative paths to bytes, and never touches the filesystem:

=========================  ==============================================================
``report.html``            one page, styles and figures inline, no external requests
``report.xlsx``            the tables one sheet each, plus the import log and the scores
``figures/<name>.png|svg`` the forest plot of the hypotheses and one item chart per
                           construct
``tables/<name>.csv``      scores, reliability, descriptives, omnibus, pairwise,
                           hypotheses, items, suppressed, import_log, and the
                           comparability checks: icc, nested, rwg, rwg_labs,
                           invariance_fits, invariance_summary, invariance_items,
                           styles, style_differences, acquiescence_sensitivity,
                           the measurement model: dimensionality, cfa_fit,
                           cfa_loadings, factor_correlations, modification_indices,
                           validity, htmt, partial_invariance, latent_means
                           (unrounded); deviations when checked against a
                           preregistration
=========================  ==============================================================

The same inputs give the same bytes: nothing reads the clock unless a ``stamp`` is given.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING

from analysis.report.tables import LANGUAGES, TABLE_NAMES, ReportData, prepare_report
from survey.outputs import csv_bytes

if TYPE_CHECKING:  # pragma: no cover
    from survey.prereg import PreregCheck
    from survey.responses.model import ResponseSet
    from survey.responses.validate import Policy

__all__ = ["LANGUAGES", "TABLE_NAMES", "ReportData", "build_report", "csv_bytes",
           "prepare_report", "render_report"]

#: The CSV tables written to ``tables/``.
CSV_TABLES = ("scores", "reliability", "descriptives", "omnibus", "pairwise", "hypotheses",
              "items", "suppressed", "import_log", "icc", "nested", "rwg", "rwg_labs",
              "invariance_fits", "invariance_summary", "invariance_items", "styles",
              "style_differences", "acquiescence_sensitivity", "dimensionality", "cfa_fit",
              "cfa_loadings", "factor_correlations", "modification_indices", "validity",
              "htmt", "partial_invariance", "latent_means")


def render_report(
    data: ReportData, progress: Callable[[str], None] | None = None, *,
    figures: bool = True,
) -> dict[str, bytes]:
    """Write the files of a computed report (see :func:`build_report`); without
    ``figures``, no figures are drawn (none in the page, no ``figures/``)."""
    from analysis.report.html import render_html
    from analysis.report.workers import start_workbook

    step = progress or (lambda _message: None)
    out: dict[str, bytes] = {}
    wait: Callable[[], dict[str, tuple[bytes, bytes]]] = dict
    stand_ins: dict[str, tuple[bytes, bytes]] = {}
    if not figures and data.drawing is not None:
        data.drawing()  # started by prepare_report: let the workers finish
    if figures:
        from analysis.report.figures import figure_jobs, start_figures

        # drawn by worker processes (when there are cores to spare) while the page, the
        # workbook and the tables are written here; the page is written with a stand-in
        # for each figure, replaced once the figures are there
        step("drawing figures")
        jobs = figure_jobs(data)
        charts = data.drawing
        if charts is None:
            wait = start_figures(data)
        else:
            # the answer charts have been drawing since the groups were known; the rest
            # (the forest plot) is drawn here once the page, workbook and tables are done
            rest = start_figures(data, processes=1,
                                 jobs=[job for job in jobs if job[0] not in _names(data)])
            charts_now = charts

            def wait() -> dict[str, tuple[bytes, bytes]]:
                drawn = {**rest(), **charts_now()}
                return {name: drawn[name] for name, _ in jobs}
        stand_ins = {name: (b"", f'<svg id="{name}"/>'.encode()) for name, _ in jobs}
    # the workbook is written by a worker beside the page (and the figures)
    book: Callable[[], bytes] = start_workbook(data)
    try:
        step("writing report.html")
        page = render_html(data, stand_ins)
        tables = {f"tables/{name}.csv": csv_bytes(data.tables[name]) for name in CSV_TABLES}
        if data.prereg is not None:
            from analysis.report.tables import deviations_table

            tables["tables/deviations.csv"] = csv_bytes(deviations_table(data.prereg))
        step("writing report.xlsx")
        xlsx = book()
    except BaseException:
        with contextlib.suppress(Exception):
            wait()  # let the workers finish rather than leave them behind
        with contextlib.suppress(Exception):
            book()
        raise
    drawn = wait()
    out["report.html"] = _with_figures(page, stand_ins, drawn)
    out["report.xlsx"] = xlsx
    for name, (png, svg) in drawn.items():
        out[f"figures/{name}.png"] = png
        out[f"figures/{name}.svg"] = svg
    out.update(tables)
    return out


def _names(data: ReportData) -> set[str]:
    """Names of the figures :func:`prepare_report` started early (the answer charts)."""
    from analysis.report.figures import answer_chart_jobs

    return {name for name, _ in answer_chart_jobs(data)}


def _with_figures(page: bytes, stand_ins: dict[str, tuple[bytes, bytes]],
                  drawn: dict[str, tuple[bytes, bytes]]) -> bytes:
    """The page written with stand-in figures, each replaced by the figure drawn (the
    page embeds a figure as its SVG in base64, which HTML escaping leaves as it is)."""
    import base64

    for name, (_, svg) in stand_ins.items():
        page = page.replace(base64.b64encode(svg), base64.b64encode(drawn[name][1]))
    return page


def build_report(
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
    figures: bool = True,
) -> dict[str, bytes]:
    """Build the comparison report of ``responses``.

    Parameters
    ----------
    responses : ResponseSet
        Validated responses (``survey.responses.read_responses``); its instrument gives
        the constructs, groups and hypotheses.
    by : str, optional
        Grouping question to compare (default ``lab_region``, else the instrument's first
        choice question). Each hypothesis is tested on its own grouping question.
    lang : {"en", "zh"}
        Language of headings, construct names and item texts.
    min_group_n : int
        Groups and cells with fewer respondents are suppressed everywhere (default 5).
    adjust : {"holm", "fdr_bh", "none"}
        Multiplicity adjustment across constructs and across hypotheses.
    alpha : float
        Significance level of the hypothesis verdicts.
    min_answered : float
        Share of a construct's items a respondent must answer to get a score.
    stamp : str, optional
        A time stamp to show in the page and workbook; without it the output depends
        only on the inputs.
    progress : callable, optional
        Called with a short message at the start of each long step.
    cluster : str, optional
        The grouping question whose answers are the clusters (labs) respondents are
        nested in (default: the instrument's ``cluster``, ``lab`` when it has one).
    equivalence : float, optional
        Equivalence bound ``D`` in standard deviations: each hypothesis also gets a
        TOST against ``±D`` and can be ``equivalent``.
    policy : Policy, optional
        The exclusion rules ``responses`` were read with, for the methods text (default:
        the import's defaults, keep and flag).
    mapping : str, optional
        The ``--map`` file they were read with, for the methods text.
    include_group_answers : bool
        Ship every grouping answer in ``tables/scores.csv`` and the Scores sheet; by
        default they keep only the respondent id, the answer to ``by`` and the scores,
        because lab, role and years in the field together can identify a person.
    prereg : PreregCheck, optional
        The run checked against a preregistration (:func:`survey.prereg.check_run`): the
        report says "analysed as preregistered" or lists every deviation, in its own
        section, in the methods text and in ``tables/deviations.csv``.
    figures : bool
        Draw the figures (default). Without them the report is written in a fraction
        of the time: the page shows no charts and there is no ``figures/``.

    Returns
    -------
    dict of str to bytes
        Relative path (``report.html``, ``report.xlsx``, ``figures/...``,
        ``tables/...``) -> file content, in a fixed order.

    Raises
    ------
    SurveyError
        An unknown language or grouping question, or an option out of range.

    Examples
    --------
    >>> from survey.instrument import loads
    >>> from survey.responses.model import ImportLog, ResponseSet
    >>> from survey.simulate import simulate
    >>> inst = loads('''
    ... id: demo
    ... version: "1"
    ... languages: [en]
    ... title: {en: Demo}
    ... scales: {agree5: {points: [1, 2, 3, 4, 5], labels: {en: [a, b, c, d, e]}}}
    ... groups:
    ...   - {id: lab_region, text: {en: Region}, choices: [{code: china, label: {en: China}},
    ...                                                  {code: united_states, label: {en: US}}]}
    ...   - {id: lab, type: text, text: {en: Lab}}
    ... constructs:
    ...   - id: c
    ...     name: {en: C}
    ...     definition: {en: A construct}
    ...     scale: agree5
    ...     items:
    ...       - {id: i1, text: {en: one}, reverse: false}
    ...       - {id: i2, text: {en: two}, reverse: true}
    ... hypotheses:
    ...   - {id: H1, construct: c, by: lab_region, predicts: china > united_states, source: x}
    ... ''')
    >>> df = simulate(inst, seed=2, labs={"china": 2, "united_states": 2},
    ...               respondents_per_lab=(8, 8))
    >>> rs = ResponseSet(df, inst, ImportLog("sim.csv", "template", rows_read=len(df)))
    >>> files = build_report(rs)
    >>> list(files)[:2]
    ['report.html', 'report.xlsx']
    >>> sorted(p.removeprefix("figures/") for p in files if p.startswith("figures/"))
    ['hypotheses_forest.png', 'hypotheses_forest.svg', 'items_c.png', 'items_c.svg']
    >>> files["tables/hypotheses.csv"].decode().split(",")[:5]
    ['hypothesis', 'construct', 'by', 'predicted', 'observed_diff']
    """
    data = prepare_report(
        responses, by=by, lang=lang, min_group_n=min_group_n, adjust=adjust, alpha=alpha,
        min_answered=min_answered, stamp=stamp, progress=progress, cluster=cluster,
        equivalence=equivalence, policy=policy, mapping=mapping,
        include_group_answers=include_group_answers, prereg=prereg, figures=figures,
    )
    return render_report(data, progress, figures=figures)
