"""``survey report``: from a response export to a report, tables and figures in one folder."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from survey.commands._common import (
    ADJUST_CHOICES,
    OneLineCommand,
    ReadingOptions,
    check_outputs,
    cluster_option,
    equivalence_option,
    instrument_option,
    load_instrument,
    min_answered_option,
    reading_options,
    write_output,
)
from survey.errors import SurveyError
from survey.wording import count

#: Suffixes of files -o is mistaken for (the report is a folder).
_FILE_SUFFIXES = (".html", ".htm", ".xlsx", ".xls", ".csv", ".pdf", ".json", ".zip", ".md",
                  ".txt", ".png", ".svg")
#: Languages the report is written in (analysis.report.LANGUAGES).
LANG_CHOICES = ("en", "zh")


@click.command(cls=OneLineCommand)
@click.argument("responses", metavar="RESPONSES")
@instrument_option
@reading_options
@click.option("--by", default=None, metavar="COLUMN",
              help="Grouping question to compare [default: lab_region].")
@click.option("--lang", type=click.Choice(LANG_CHOICES), default="en", show_default=True,
              help="Language of the headings, construct names and item texts.")
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
@min_answered_option
@cluster_option
@equivalence_option
@click.option("--include-group-answers", is_flag=True,
              help="Keep every grouping answer (lab, role, ...) in tables/scores.csv and "
                   "the Scores sheet; by default they hold the respondent id, the --by "
                   "answer and the scores, as answers together can identify a person.")
@click.option("--prereg", "prereg_path", default=None, metavar="PREREG.yaml",
              help="Check the analysis against this record of survey prereg: the report "
                   "says it was analysed as preregistered or lists every deviation.")
@click.option("--no-figures", "no_figures", is_flag=True,
              help="Leave out the figures (no charts in the page, no figures/): the "
                   "report in a fraction of the time, e.g. while checking a file.")
@click.option("--stamp", is_flag=True,
              help="Show the date and time of the run in the report (the output then "
                   "differs from run to run).")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing but errors.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              metavar="DIR", help="Folder to write the report to (created if needed).")
def report(
    responses: str,
    instrument: str | None,
    reading: ReadingOptions,
    by: str | None,
    lang: str,
    min_group_n: int,
    adjust: str,
    alpha: float,
    min_answered: float,
    cluster: str | None,
    equivalence: float | None,
    include_group_answers: bool,
    prereg_path: str | None,
    no_figures: bool,
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
    DIR/figures/      each figure as PNG and SVG (none with --no-figures)
    DIR/tables/       scores, reliability, descriptives, omnibus, pairwise,
                      hypotheses, items, suppressed, import_log, and the
                      comparability checks: icc, nested, rwg, rwg_labs,
                      invariance_fits, invariance_summary, invariance_items,
                      styles, style_differences, acquiescence_sensitivity,
                      and the measurement model: dimensionality, cfa_fit,
                      cfa_loadings, factor_correlations, modification_indices,
                      validity, htmt, partial_invariance, latent_means
                      (CSV, unrounded); deviations with --prereg

    The report checks whether the groups are comparable: clustering in labs
    (ICC, design effect, r_wg(j)), with the hypotheses tested by a mixed model
    with a random intercept for lab when there is a lab (--cluster) column, and
    the smallest difference each test could detect; measurement
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
    if not out_dir.exists() and out_dir.suffix.lower() in _FILE_SUFFIXES:
        raise SurveyError(
            f"-o names a folder (the report is report.html, report.xlsx, figures/ and "
            f"tables/), not a {out_dir.suffix} file; give a folder, e.g. -o "
            f"{out_dir.with_suffix('')}",
            file=output,
        )
    names = ("report.html", "report.xlsx")
    check_outputs([("-o", out_dir / n) for n in names],
                  [responses, *reading.inputs, prereg_path])
    show = (lambda message: click.echo(f"survey report: {message}", err=True)) \
        if not quiet and sys.stderr.isatty() else None

    from analysis.compare import check_by
    from analysis.multilevel import resolve_cluster
    from analysis.report import prepare_report, render_report

    inst = load_instrument(instrument)
    # a wrong --by or --cluster is refused before any reading, as by survey compare
    if by is not None:
        check_by(inst, by)
    resolve_cluster(inst, cluster)
    record = None
    if prereg_path is not None:
        from survey.prereg import load_record

        record = load_record(prereg_path)
    if show:
        show(f"reading {responses}")
    rs = reading.read(responses, inst)
    prereg = None if record is None else _check_prereg(
        record, prereg_path, inst, rs, by=by, adjust=adjust, alpha=alpha,
        min_group_n=min_group_n, min_answered=min_answered, reading=reading,
        cluster=cluster)
    when = None
    if stamp:
        import datetime as dt

        when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    data = prepare_report(rs, by=by, lang=lang, min_group_n=min_group_n, adjust=adjust,
                          alpha=alpha, min_answered=min_answered, stamp=when, progress=show,
                          cluster=cluster, equivalence=equivalence,
                          policy=reading.policy, mapping=reading.mapping,
                          include_group_answers=include_group_answers, prereg=prereg,
                          figures=not no_figures)
    files = render_report(data, progress=show, figures=not no_figures)
    if show:
        show(f"writing {count(len(files), 'file')}")
    for rel, content in files.items():
        write_output(out_dir / rel, content)
    if quiet:
        return
    if rs.simulated:
        click.echo("note: simulated data (every respondent id starts with SIM-)")
    log = rs.log
    click.echo(f"{responses}: rows read {log.rows_read}, accepted {log.rows_accepted}, "
               f"rejected {log.rows_rejected}")
    hypotheses = data.tables["hypotheses"]
    if len(hypotheses):
        from survey.commands._verdicts import decision_line, verdict_table

        click.echo(decision_line(hypotheses, data.cluster, adjust, equivalence))
        click.echo(verdict_table(hypotheses))
    if prereg is not None:
        if not prereg.deviations:
            click.echo(f"analysed as preregistered ({Path(prereg.file).name})")
        for d in prereg.deviations:
            click.echo(f"deviation from {Path(prereg.file).name}: {d.kind}: preregistered "
                       f"{d.preregistered}, used {d.used}")
    # a figure is written twice, as PNG and SVG: count figures, not files
    figures = len({Path(rel).stem for rel in files if rel.startswith("figures/")})
    tables = sum(1 for rel in files if rel.startswith("tables/"))
    drawn = "no figures (--no-figures)" if no_figures else \
        f"{count(figures, 'figure')} (PNG and SVG)"
    click.echo(f"wrote {out_dir / 'report.html'}, {out_dir / 'report.xlsx'}, "
               f"{drawn} and {count(tables, 'table')}")


def _check_prereg(record, path, inst, rs, *, by, adjust, alpha, min_group_n, min_answered,
                  reading: ReadingOptions, cluster: str | None = None):
    """The run's settings checked against a preregistration record."""
    from analysis.disclosure import cluster_of
    from analysis.report.tables import default_by
    from survey.prereg import PreregCheck, Settings, check_run, instrument_sha256, observed_sample

    used_by = by if by is not None else default_by(inst)
    try:
        data = Path(inst.source).read_bytes() if inst.source else b""
    except OSError as exc:
        raise SurveyError(f"cannot read: {exc.strerror}", file=inst.source) from None
    settings = Settings(by=used_by, cluster=cluster or cluster_of(inst), adjust=adjust,
                        alpha=alpha,
                        min_group_n=min_group_n, min_answered=min_answered,
                        exclusions=reading.exclusions())
    planned_by = record["analysis"]["by"]
    groups = [g for h in inst.hypotheses if h.by == planned_by for g in (h.higher, h.lower)]
    observed = observed_sample(rs.data, planned_by, settings.cluster, list(dict.fromkeys(groups)))
    deviations = check_run(record, sha256=instrument_sha256(data), settings=settings,
                           observed=observed)
    return PreregCheck(file=str(path), sha256=record["instrument"]["sha256"],
                       deviations=tuple(deviations))
