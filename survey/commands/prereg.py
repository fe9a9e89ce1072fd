"""``survey prereg``: the preregistration, written from the instrument before fielding."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click

from survey.commands._common import (
    ADJUST_CHOICES,
    OneLineCommand,
    ReadingOptions,
    check_outputs,
    exclusion_options,
    instrument_option,
    load_instrument,
    min_answered_option,
    number,
    planning_options,
    whole_number,
    write_output,
)
from survey.errors import SurveyError

#: Suffixes -o accepts; the three files share its stem.
SUFFIXES = (".md", ".html", ".yaml")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _is_date(text: str) -> bool:
    """True for a real calendar date written YYYY-MM-DD (not 2026-13-01 or 2026-02-30)."""
    import datetime

    if not _DATE.match(text):
        return False
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return True


@click.command(cls=OneLineCommand)
@instrument_option
@click.option("--by", default=None, metavar="COLUMN",
              help="Grouping question the hypotheses compare [default: lab_region].")
@planning_options
@click.option("--adjust", type=click.Choice(ADJUST_CHOICES), default="holm",
              show_default=True, help="Multiplicity adjustment across the hypotheses.")
@click.option("--min-group-n", type=click.IntRange(min=2), default=5, show_default=True,
              metavar="N", help="Groups and cells with fewer respondents are left out.")
@min_answered_option
@exclusion_options
@click.option("--lang", type=click.Choice(("en", "zh")), default="en", show_default=True,
              help="Language of the Markdown and HTML.")
@click.option("--title", default=None, metavar="TEXT",
              help="Title of the study [default: the instrument's title].")
@click.option("--author", "authors", multiple=True, metavar="NAME",
              help="An author; repeat for several.")
@click.option("--closing-date", default=None, metavar="YYYY-MM-DD",
              help="Last day of data collection, for the stopping rule.")
@click.option("-o", "--output", required=True, metavar="FILE",
              help="FILE.md, FILE.html or FILE.yaml: the three files are written with "
                   "that stem.")
def prereg(
    instrument: str | None,
    by: str | None,
    effect: str,
    power: str,
    alpha: str,
    icc: str,
    per_lab: str | None,
    labs: str | None,
    ratio: str,
    adjust: str,
    min_group_n: int,
    min_answered: float,
    reading: ReadingOptions,
    lang: str,
    title: str | None,
    authors: tuple[str, ...],
    closing_date: str | None,
    output: str,
) -> None:
    """Write the preregistration of a study with the instrument, before fielding it.

    \b
    Follows the sections of the OSF Preregistration template: study information
    (the hypotheses with their source passages), design, sampling plan (labs and
    respondents from --effect, --icc, --power, --alpha with --per-lab or --labs,
    computed as survey plan does; the stopping rule), variables (the codebook),
    analysis plan (the tests survey report runs, the adjustment, the lab-aware
    test, the comparability checks and what happens when one fails, inference
    and exclusion criteria), other.

    \b
    Writes, with the stem of FILE:
      FILE.md     the preregistration in Markdown
      FILE.html   the same as a printable page
      FILE.yaml   every choice above and the SHA-256 of the instrument file;
                  survey report --prereg FILE.yaml checks an analysis against it

    \b
    Example:
      survey prereg --effect 0.5 --icc 0.1 --per-lab 10 --author "A. Researcher" -o prereg.md
    """
    suffix = Path(output).suffix.lower()
    if suffix not in SUFFIXES:
        raise SurveyError("-o: end the name in .md, .html or .yaml (the three files share "
                          "its stem)", file=output)
    if closing_date is not None and not _is_date(closing_date):
        raise SurveyError(f"--closing-date: '{closing_date}' is not a date written "
                          "YYYY-MM-DD")
    stem = Path(output).with_suffix("")
    paths = [Path(f"{stem}{s}") for s in SUFFIXES]
    inst = load_instrument(instrument)
    check_outputs([("-o", p) for p in paths], [inst.source])

    from analysis.disclosure import cluster_of
    from analysis.planning import plan_study
    from analysis.report.tables import default_by
    from survey.errors import did_you_mean
    from survey.prereg import Settings, write_preregistration

    if by is None:
        by = default_by(inst)
    if by not in inst.group_ids or inst.group(by).type != "choice":
        choices = [g.id for g in inst.groups if g.type == "choice"]
        raise SurveyError(f"--by: '{by}' is not a choice question of the instrument; choice "
                          f"questions: {', '.join(choices)}." + did_you_mean(by, choices))
    d, pw = number(effect, "--effect"), number(power, "--power")
    a, rho = number(alpha, "--alpha"), number(icc, "--icc")
    r = number(ratio, "--ratio")
    m, j = whole_number(per_lab, "--per-lab"), whole_number(labs, "--labs")
    if (m is None) == (j is None):
        raise SurveyError("give --per-lab A or --labs N (not both): a preregistration states "
                          "one sampling plan; survey plan --effect D lists plans for several "
                          "lab sizes")
    if not 0 < a < 1:
        raise SurveyError(f"--alpha must be between 0 and 1, got {alpha}")
    plan = plan_study(d, power=pw, alpha=a, icc=rho, per_lab=m, labs=j, ratio=r)
    if not plan.feasible:
        raise SurveyError(
            f"with {plan.labs_a} + {plan.labs_b} labs no number of respondents per lab reaches "
            f"power {pw:g} (at most {plan.max_power:.3f}); plan at least {plan.min_labs_a} + "
            f"{plan.min_labs_b} labs, or a lower --power")
    settings = Settings(by=by, cluster=cluster_of(inst), adjust=adjust, alpha=a,
                        min_group_n=min_group_n, min_answered=min_answered,
                        exclusions=reading.exclusions())
    size = f"--per-lab {m}" if m is not None else f"--labs {j}"
    plan_command = (f"survey plan --effect {d:g} --power {pw:g} --alpha {a:g} --icc {rho:g} "
                    f"{size} --ratio {r:g}")
    report_options = [f"--by {by}", f"--adjust {adjust}", f"--alpha {a:g}",
                      f"--min-group-n {min_group_n}", f"--min-answered {min_answered:g}"]
    for flag, on in (("--reject-failed-checks", reading.reject_failed_checks),
                     ("--reject-unfinished", reading.reject_unfinished)):
        if on:
            report_options.append(flag)
    if reading.min_duration is not None:
        report_options.append(f"--min-duration {reading.min_duration:g}")
        if reading.reject_speeders:
            report_options.append("--reject-speeders")
    data = Path(inst.source).read_bytes() if inst.source else b""
    files = write_preregistration(
        inst, data, settings, plan, name=stem.name, lang=lang, title=title, authors=authors,
        closing_date=closing_date, plan_command=plan_command,
        report_command="RESPONSES " + " ".join(report_options))
    for name, content in files.items():
        write_output(stem.parent / name, content)
    click.echo(f"{inst.id} {inst.version}: {len(inst.hypotheses)} hypotheses compared by {by}; "
               f"sampling plan {plan.labs_a} + {plan.labs_b} labs x {plan.per_lab} respondents "
               f"(power {plan.achieved_power:.3f})")
    click.echo("wrote " + ", ".join(shlex.quote(str(stem.parent / n)) for n in files))
