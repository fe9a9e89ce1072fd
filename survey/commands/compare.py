"""``survey compare``: compare groups on every construct and give each hypothesis a verdict."""

from __future__ import annotations

from pathlib import Path

import click

from survey.commands._common import (
    ADJUST_CHOICES,
    OneLineCommand,
    ReadingOptions,
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

#: Tables written to the output folder, in order (``icc`` and ``nested`` only with a
#: cluster column).
TABLES = ("descriptives", "omnibus", "pairwise", "reliability", "items", "suppressed",
          "hypotheses", "icc", "nested")


@click.command(cls=OneLineCommand)
@click.argument("responses", metavar="RESPONSES")
@instrument_option
@reading_options
@click.option("--by", required=True, metavar="COLUMN",
              help="Grouping question to compare, e.g. lab_region or lab_type.")
@click.option("--groups", default=None, metavar="A,B,...",
              help="Compare only these groups, in this order [default: all present].")
@cluster_option
@click.option("--min-group-n", type=click.IntRange(min=2), default=5, show_default=True,
              metavar="N",
              help="Groups (and construct cells) with fewer respondents are left out of "
                   "every statistic and listed as suppressed.")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.05, show_default=True, metavar="A",
              help="Significance level for the hypothesis verdicts (on adjusted p).")
@click.option("--adjust", type=click.Choice(ADJUST_CHOICES), default="holm",
              show_default=True,
              help="Adjustment of p across the constructs of the comparison and across "
                   "the hypotheses.")
@equivalence_option
@min_answered_option
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Folder to write the tables to (created if needed).")
def compare(
    responses: str,
    instrument: str | None,
    reading: ReadingOptions,
    by: str,
    groups: str | None,
    cluster: str | None,
    min_group_n: int,
    alpha: float,
    adjust: str,
    equivalence: float | None,
    min_answered: float,
    output: str,
) -> None:
    """Compare the groups of --by on every construct of RESPONSES.

    \b
    Writes to the output folder (numbers unrounded):
      descriptives.csv  n, mean, sd, median per construct and group
      omnibus.csv       Welch's ANOVA (omega squared) and Kruskal-Wallis
                        (epsilon squared) per construct
      pairwise.csv      Games-Howell (3+ groups) or Welch's t (2 groups) per pair,
                        with the mean difference and Hedges' g [95% CI]
      reliability.csv   Cronbach's alpha [Feldt 95% CI], standardised alpha, omega
                        total, mean inter-item r per construct, pooled and per group
      items.csv         per item: n, keyed mean and sd, mean as answered, corrected
                        item-total r, alpha if dropped, share of each answer
      suppressed.csv    groups and cells left out as too small
      hypotheses.csv    one verdict per hypothesis of the instrument, the same table
                        as survey report's: with a cluster (lab) column decided by
                        the lab-aware mixed model, else by Welch's t
      icc.csv           with a cluster column: ICC(1), ICC(2), design effect and
                        the ICC conditional on --by, per construct
      nested.csv        with a cluster column: every pair of groups compared with
                        a random intercept for lab, beside the Welch test
    p_adj is adjusted across constructs: per test in omnibus.csv, per pair of groups
    in pairwise.csv (Games-Howell p is already adjusted over the pairs); across all
    rows of nested.csv; across the hypotheses in hypotheses.csv.
    """
    from analysis import multilevel, scoring
    from analysis.compare import check_by, compare_groups
    from analysis.reliability import analyse_items, assess_reliability
    from analysis.report.comparability import MIN_LABS, has_labs, hypotheses_table
    from survey.commands._verdicts import decision_line, verdict_table
    from survey.outputs import csv_bytes

    inst = load_instrument(instrument)
    check_by(inst, by)
    cluster = multilevel.resolve_cluster(inst, cluster)
    out_dir = Path(output)
    if out_dir.exists() and not out_dir.is_dir():
        raise SurveyError("is a file; give a folder for the tables", file=output)
    wanted = None
    if groups is not None:
        wanted = [g.strip() for g in groups.split(",") if g.strip()]
        if not wanted:
            raise SurveyError("--groups: give group codes separated by commas")

    rs = reading.read(responses, inst)
    scores = scoring.score_scales(rs, min_answered=min_answered)
    result = compare_groups(scores, inst, by, groups=wanted, min_group_n=min_group_n,
                            adjust=adjust)
    hypotheses = hypotheses_table(
        rs, scores, min_group_n=min_group_n, adjust=adjust, alpha=alpha, cluster=cluster,
        equivalence=equivalence, groups=None if wanted is None else {by: wanted})
    reliability = assess_reliability(rs, by=by, min_group_n=min_group_n)
    items = analyse_items(rs)

    tables = {
        "descriptives": result.descriptives,
        "omnibus": result.omnibus,
        "pairwise": result.pairwise,
        "reliability": reliability,
        "items": items,
        "suppressed": result.suppressed,
        "hypotheses": hypotheses,
    }
    clustered = has_labs(scores, cluster)
    if clustered:
        tables["icc"] = multilevel.lab_icc(scores, inst, lab=cluster, by=by,
                                           groups=list(result.groups))
        tables["nested"] = multilevel.compare_nested(
            scores, inst, by, lab=cluster, groups=list(result.groups),
            min_group_n=min_group_n, min_labs=MIN_LABS, adjust=adjust)
    for name, frame in tables.items():
        write_output(out_dir / f"{name}.csv", csv_bytes(frame))

    if rs.simulated:
        click.echo("note: simulated data (every respondent id starts with SIM-)")
    click.echo(f"{count(rs.n, 'respondent')}; '{by}' groups compared: "
               f"{', '.join(result.groups) or 'none'}")
    for _, row in result.suppressed.iterrows():
        where = "" if not isinstance(row["construct"], str) else f" on {row['construct']}"
        click.echo(f"suppressed: {row['group']}{where} ({row['reason']})")
    blanked = [r for r in rs.log.records
               if r.action == "blanked" and r.reason == "unknown_choice" and r.column == by]
    if blanked:
        values = sorted({str(r.value) for r in blanked})
        click.echo(f"note: {count(len(blanked), 'answer')} to '{by}' that "
                   f"{'is' if len(blanked) == 1 else 'are'} not among its choices "
                   "were left blank at import and those respondents left out: "
                   + ", ".join(repr(v) for v in values[:5]) + (" ..." if len(values) > 5 else ""))
    for note in result.notes:
        click.echo(f"note: {note}")
    if clustered:
        click.echo(f"note: pairwise.csv and omnibus.csv treat respondents as independent; "
                   f"nested.csv compares the groups with a random intercept for '{cluster}'")
    if len(hypotheses):
        click.echo("")
        click.echo(decision_line(hypotheses, cluster, adjust, equivalence))
        click.echo(verdict_table(hypotheses))
    click.echo(f"\nwrote {count(len(tables), 'table')} to {out_dir}: "
               + ", ".join(f"{name}.csv" for name in tables))
