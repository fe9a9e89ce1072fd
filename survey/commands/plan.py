"""``survey plan``: labs and respondents per lab needed to detect a difference."""

from __future__ import annotations

import math

import click

from survey.commands._common import (
    OneLineCommand,
    number,
    planning_options,
    whole_number,
)
from survey.errors import SurveyError
from survey.wording import count


def _g(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}g}"


def _plural(word: str) -> str:
    """``lab`` -> ``labs``, ``company`` -> ``companies``, ``branch`` -> ``branches``."""
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and len(word) > 1 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


@click.command(cls=OneLineCommand)
@planning_options(effect_required=False)
@click.option("--cluster", default="lab", show_default=True, metavar="NAME",
              help="What the clusters are called, as the instrument's cluster question "
                   "(e.g. team).")
def plan(effect: str | None, power: str, alpha: str, icc: str, per_lab: str | None,
         labs: str | None, ratio: str, cluster: str) -> None:
    """How many labs, and respondents per lab, to detect a difference between two groups.

    \b
    Accounts for respondents nested in labs: a lab of m respondents counts as
    m / (1 + (m - 1) ICC) independent ones (the design effect), and the test is
    on labs - 2 degrees of freedom, as in the lab-aware comparison. With
    neither --per-lab nor --labs, plans for several lab sizes are listed.
    Without --effect, --labs and --per-lab give the smallest difference that
    design detects (a sensitivity analysis; the report gives the same figure
    per hypothesis from the labs it has).
    """
    from analysis.planning import plan_sensitivity, plan_study, plan_table

    pw = number(power, "--power")
    a = number(alpha, "--alpha")
    rho = number(icc, "--icc")
    r = number(ratio, "--ratio")
    m = whole_number(per_lab, "--per-lab")
    j = whole_number(labs, "--labs")
    unit = cluster.strip() or "lab"
    units = _plural(unit)

    if effect is None:
        if m is None or j is None:
            raise SurveyError("give --effect D to plan a study, or --labs and --per-lab "
                              "without --effect for the smallest detectable difference")
        d = plan_sensitivity(j, m, power=pw, alpha=a, icc=rho, ratio=r)
        labs_b = max(1, math.ceil(r * j - 1e-9))
        click.echo(f"Two groups of {j} + {labs_b} {units} of {count(m, 'respondent')}, "
                   f"ICC {_g(rho)}, "
                   f"two-sided alpha = {_g(a)}, power {_g(pw)}")
        click.echo(f"Smallest detectable standardised difference: d = {d:.3f} (t-test on "
                   f"{j + labs_b - 2} df: {units} - 2; design effect 1 + ({m} - 1) x "
                   f"{_g(rho)} = {1 + (m - 1) * rho:.3g})")
        return
    d = number(effect, "--effect")
    if m is not None and j is not None:
        raise SurveyError("give --per-lab or --labs, not both; without --effect, both give "
                          "the smallest detectable difference")

    if m is None and j is None:
        table = plan_table(d, power=pw, alpha=a, icc=rho, ratio=r)
        first = table.iloc[0]
        _header(first, units)
        click.echo(f"respondents per {unit} | design effect | {units} per group | respondents "
                   "per group | power")
        for row in table.itertuples(index=False):
            click.echo(f"{row.per_lab:>19} | {row.design_effect:>13.2f} | "
                       f"{row.labs_a:>6} + {row.labs_b:<6} | {row.n_a:>8} + {row.n_b:<10} | "
                       f"{row.achieved_power:.3f}")
        _floor(first, unit, units)
        return

    p = plan_study(d, power=pw, alpha=a, icc=rho, per_lab=m, labs=j, ratio=r)
    _header(p, units)
    if not p.feasible:
        click.echo(
            f"With {p.labs_a} + {p.labs_b} {units} even unlimited respondents per {unit} reach "
            f"power {p.max_power:.3f} at most: the number of {units} is the binding "
            f"constraint. At least {p.min_labs_a} + {p.min_labs_b} {units} are needed."
        )
        return
    click.echo(f"With {count(p.per_lab, 'respondent')} per {unit}: design effect 1 + "
               f"({p.per_lab} - 1) x "
               f"{_g(p.icc)} = {p.design_effect:.3g}")
    click.echo(f"  {units} needed: {p.labs_a} + {p.labs_b} ({p.labs_a + p.labs_b} in all)")
    click.echo(f"  respondents: {p.n_a} + {p.n_b} ({p.n_a + p.n_b} in all); effective N "
               f"{p.n_effective_a:.1f} + {p.n_effective_b:.1f}")
    click.echo(f"  power {p.achieved_power:.3f} (t-test on {p.df} df: {units} - 2)")
    _floor(p, unit, units)


def _header(p, units: str) -> None:
    click.echo(f"Two groups, standardised difference d = {_g(p.effect)}, two-sided alpha = "
               f"{_g(p.alpha)}, power {_g(p.power)}, ICC {_g(p.icc)}, ratio {_g(p.ratio)}")
    click.echo(f"Ignoring {units}: {p.n_unclustered_a:.1f} + {p.n_unclustered_b:.1f} "
               "respondents (two-sample t-test)")


def _floor(p, unit: str, units: str) -> None:
    if p.icc > 0:
        click.echo(f"{units.capitalize()} are the floor: at ICC {_g(p.icc)} a {unit} counts "
                   f"for at most 1/ICC = {1 / p.icc:.3g} respondents, so fewer than "
                   f"{p.min_labs_a} + {p.min_labs_b} {units} cannot reach power {_g(p.power)} "
                   "however many answer in each.")
