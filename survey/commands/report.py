"""``survey report``: from a response export to a report, tables and figures in one folder."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from survey.commands._common import (
    check_outputs,
    instrument_option,
    load_instrument,
    write_output,
)
from survey.errors import SurveyError

#: Same as analysis.stats.ADJUST_METHODS (not imported here: keeps ``--help`` light).
ADJUST_CHOICES = ("holm", "fdr_bh", "none")
#: Languages the report is written in (analysis.report.LANGUAGES).
LANG_CHOICES = ("en", "zh")


@click.command()
@click.argument("responses", metavar="RESPONSES")
@instrument_option
@click.option("--by", default=None, metavar="COLUMN",
              help="Grouping question to compare [default: lab_region].")
@click.option("--lang", type=click.Choice(LANG_CHOICES), default="en", show_default=True,
              help="Language of the headings, construct names and item texts.")
@click.option("--platform", default="auto", show_default=True, metavar="NAME",
              help="Layout of RESPONSES: auto, template, kobo, qualtrics, limesurvey, redcap.")
@click.option("--min-group-n", type=click.IntRange(min=2), default=5, show_default=True,
              metavar="N",
              help="Groups and cells with fewer respondents are left out of every "
                   "statistic, chart and table of answers, and listed as suppressed.")
@click.option("--adjust", type=click.Choice(ADJUST_CHOICES), default="holm",
              show_default=True,
              help="Multiplicity adjustment across constructs and across hypotheses.")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.05, show_default=True, metavar="A",
              help="Significance level of the hypothesis verdicts (on adjusted p).")
@click.option("--min-answered", type=click.FloatRange(0, 1, min_open=True), default=0.5,
              show_default=True, metavar="SHARE",
              help="Share of a construct's items a respondent must answer to get a score.")
@click.option("--stamp", is_flag=True,
              help="Show the date and time of the run in the report (the output then "
                   "differs from run to run).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              metavar="DIR", help="Folder to write the report to (created if needed).")
def report(
    responses: str,
    instrument: str | None,
    by: str | None,
    lang: str,
    platform: str,
    min_group_n: int,
    adjust: str,
    alpha: float,
    min_answered: float,
    stamp: bool,
    quiet: bool,
    output: str,
) -> None:
    """Write the group comparison report of RESPONSES to the folder DIR.

    \b
    DIR/report.html   one self-contained page (opens offline, prints): summary,
                      hypotheses at a glance with a forest plot, per construct
                      reliability, scores by group, item charts and tests, methods
    DIR/report.xlsx   the same tables, one sheet each, with the import log and scores
    DIR/figures/      each figure as PNG and SVG
    DIR/tables/       scores, reliability, descriptives, omnibus, pairwise,
                      hypotheses, items, suppressed, import_log, and the
                      comparability checks: icc, nested, rwg, rwg_labs,
                      invariance_fits, invariance_summary, invariance_items,
                      styles, style_differences, acquiescence_sensitivity,
                      and the measurement model: dimensionality, cfa_fit,
                      cfa_loadings, factor_correlations, modification_indices,
                      validity, htmt, partial_invariance, latent_means
                      (CSV, unrounded)

    The report checks whether the groups are comparable: clustering in labs
    (ICC, design effect, r_wg(j)), with the hypotheses tested by a mixed model
    with a random intercept for lab when there is a lab column; measurement
    invariance across the groups of --by (multi-group CFA, Chen 2007 cut-offs);
    and response styles (ARS, DARS, ERS, MRS) with an acquiescence-corrected
    sensitivity analysis. The measurement model section checks the instrument:
    parallel analysis, the full CFA (ML and robust ML), composite reliability,
    AVE, HTMT, and partial invariance with latent mean differences.

    Two runs on the same input give the same bytes (unless --stamp).

    \b
    Example:
      survey report sample_data/lab_culture_responses.xlsx -o report
    """
    out_dir = Path(output)
    if out_dir.exists() and not out_dir.is_dir():
        raise SurveyError("is a file; give a folder for the report", file=output)
    names = ("report.html", "report.xlsx")
    check_outputs([("-o", out_dir / n) for n in names], [responses])
    show = (lambda message: click.echo(f"survey report: {message}", err=True)) \
        if not quiet and sys.stderr.isatty() else None

    from analysis.report import prepare_report, render_report
    from survey.responses import read_responses

    inst = load_instrument(instrument)
    if show:
        show(f"reading {responses}")
    rs = read_responses(responses, inst, platform=platform)
    when = None
    if stamp:
        import datetime as dt

        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    data = prepare_report(rs, by=by, lang=lang, min_group_n=min_group_n, adjust=adjust,
                          alpha=alpha, min_answered=min_answered, stamp=when, progress=show)
    files = render_report(data, progress=show)
    if show:
        show(f"writing {len(files)} files")
    for rel, content in files.items():
        write_output(out_dir / rel, content)
    if quiet:
        return
    if rs.simulated:
        click.echo("note: simulated data (every respondent id starts with SIM-)")
    log = rs.log
    click.echo(f"{responses}: rows read {log.rows_read}, accepted {log.rows_accepted}, "
               f"rejected {log.rows_rejected}")
    for h in data.tables["hypotheses"].itertuples(index=False):
        g = "" if h.hedges_g != h.hedges_g else (
            f"g = {h.hedges_g:.2f} [{h.g_ci_low:.2f}, {h.g_ci_high:.2f}], ")
        test = " (lab-aware)" if h.test == "mixed" else ""
        p = "" if h.p_adj != h.p_adj else f"p_adj = {h.p_adj:.3g}{test}, "
        flag = "" if h.comparison_support in ("ok", "not tested") \
            else f" [{h.comparison_support}]"
        click.echo(f"{h.hypothesis} {h.construct} ({h.predicted}): {g}{p}{h.verdict}{flag}")
    figures = sum(1 for rel in files if rel.startswith("figures/"))
    tables = sum(1 for rel in files if rel.startswith("tables/"))
    click.echo(f"wrote {out_dir / 'report.html'}, {out_dir / 'report.xlsx'}, "
               f"{figures} figures and {tables} tables")
