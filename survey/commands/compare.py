"""``survey compare``: compare groups on every construct and give each hypothesis a verdict."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from survey.commands._common import (
    ReadingOptions,
    instrument_option,
    load_instrument,
    reading_options,
    write_output,
)
from survey.errors import SurveyError, did_you_mean
from survey.wording import count

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: Same as analysis.stats.ADJUST_METHODS (not imported here: keeps ``--help`` light).
ADJUST_CHOICES = ("holm", "fdr_bh", "none")

#: Tables written to the output folder, in order.
TABLES = ("descriptives", "omnibus", "pairwise", "suppressed", "hypotheses")


@click.command()
@click.argument("responses", metavar="RESPONSES")
@instrument_option
@reading_options
@click.option("--by", required=True, metavar="COLUMN",
              help="Grouping question to compare, e.g. lab_region or lab_type.")
@click.option("--groups", default=None, metavar="A,B,...",
              help="Compare only these groups, in this order [default: all present].")
@click.option("--min-group-n", type=click.IntRange(min=2), default=5, show_default=True,
              metavar="N",
              help="Groups (and construct cells) with fewer respondents are left out of "
                   "every statistic and listed as suppressed.")
@click.option("--alpha", type=click.FloatRange(0, 1, min_open=True, max_open=True),
              default=0.05, show_default=True, metavar="A",
              help="Significance level for the hypothesis verdicts (on Holm-adjusted p).")
@click.option("--adjust", type=click.Choice(ADJUST_CHOICES), default="holm",
              show_default=True,
              help="Adjustment of p across the constructs of the comparison.")
@click.option("--min-answered", type=click.FloatRange(0, 1, min_open=True), default=0.5,
              show_default=True, metavar="SHARE",
              help="Share of a construct's items a respondent must answer to get a score.")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              help="Folder to write the tables to (created if needed).")
def compare(
    responses: str,
    instrument: str | None,
    reading: ReadingOptions,
    by: str,
    groups: str | None,
    min_group_n: int,
    alpha: float,
    adjust: str,
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
      items.csv         per item: n, mean, sd, corrected item-total r, alpha if
                        dropped, share of each answer
      suppressed.csv    groups and cells left out as too small
      hypotheses.csv    one verdict per hypothesis of the instrument (Welch's t,
                        Holm-adjusted across hypotheses)
    p_adj is adjusted across constructs: per test in omnibus.csv, per pair of groups
    in pairwise.csv (Games-Howell p is already adjusted over the pairs).
    """
    from analysis import scoring
    from analysis.compare import compare_groups
    from analysis.hypotheses import evaluate_hypotheses
    from analysis.reliability import analyse_items, assess_reliability
    from survey.outputs import csv_bytes

    inst = load_instrument(instrument)
    if by in inst.columns and by not in inst.group_ids:
        # an id, item or check column: the library would make one "group" per answer
        raise SurveyError(
            f"'{by}' is not a grouping question to compare by; grouping columns: "
            f"{', '.join(inst.group_ids) or 'none'}." + did_you_mean(by, inst.group_ids)
        )
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
    hypotheses = evaluate_hypotheses(scores, inst, min_group_n=min_group_n, alpha=alpha,
                                     adjust=adjust)
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
    if len(hypotheses):
        click.echo("")
        click.echo(_verdict_table(hypotheses))
    click.echo(f"\nwrote {count(len(tables), 'table')} to {out_dir}: "
               + ", ".join(f"{name}.csv" for name in tables))


def _p(value: float) -> str:
    if value != value:  # nan
        return "-"
    if value < 0.001:
        return "<.001"
    return f"{value:.3f}".lstrip("0")


def _verdict_table(hypotheses: pd.DataFrame) -> str:
    """The verdicts as aligned text: id, construct, prediction, g [CI], p_adj, verdict."""
    rows = [("hypothesis", "construct", "predicted", "g [95% CI]", "p_adj", "verdict")]
    for _, h in hypotheses.iterrows():
        if h["hedges_g"] == h["hedges_g"]:
            g = f"{h['hedges_g']:.2f} [{h['g_ci_low']:.2f}, {h['g_ci_high']:.2f}]"
        else:
            g = "-"
        verdict = h["verdict"] + (f" ({h['note']})" if h["note"] else "")
        rows.append((h["hypothesis"], h["construct"], h["predicted"], g, _p(h["p_adj"]),
                     verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    return "\n".join(
        "  ".join(cell.ljust(w) for cell, w in zip(r[:5], widths, strict=True)) + "  " + r[5]
        for r in rows
    )
