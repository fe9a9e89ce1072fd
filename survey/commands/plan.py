"""``survey plan``: labs and respondents per lab needed to detect a difference."""

from __future__ import annotations

import click

from survey.commands._common import number, planning_options, whole_number
from survey.errors import SurveyError
from survey.wording import count


def _g(x: float, digits: int = 3) -> str:
    return f"{x:.{digits}g}"


@click.command()
@planning_options
def plan(effect: str, power: str, alpha: str, icc: str, per_lab: str | None,
         labs: str | None, ratio: str) -> None:
    """How many labs, and respondents per lab, to detect a difference between two groups.

    \b
    Accounts for respondents nested in labs: a lab of m respondents counts as
    m / (1 + (m - 1) ICC) independent ones (the design effect), and the test is
    on labs - 2 degrees of freedom, as in the lab-aware comparison. With
    neither --per-lab nor --labs, plans for several lab sizes are listed.
    """
    from analysis.planning import plan_study, plan_table

    d = number(effect, "--effect")
    pw = number(power, "--power")
    a = number(alpha, "--alpha")
    rho = number(icc, "--icc")
    r = number(ratio, "--ratio")
    m = whole_number(per_lab, "--per-lab")
    j = whole_number(labs, "--labs")
    if m is not None and j is not None:
        raise SurveyError("give --per-lab or --labs, not both")

    if m is None and j is None:
        table = plan_table(d, power=pw, alpha=a, icc=rho, ratio=r)
        first = table.iloc[0]
        _header(first)
        click.echo("respondents per lab | design effect | labs per group | respondents "
                   "per group | power")
        for row in table.itertuples(index=False):
            click.echo(f"{row.per_lab:>19} | {row.design_effect:>13.2f} | "
                       f"{row.labs_a:>6} + {row.labs_b:<6} | {row.n_a:>8} + {row.n_b:<10} | "
                       f"{row.achieved_power:.3f}")
        _floor(first)
        return

    p = plan_study(d, power=pw, alpha=a, icc=rho, per_lab=m, labs=j, ratio=r)
    _header(p)
    if not p.feasible:
        click.echo(
            f"With {p.labs_a} + {p.labs_b} labs even unlimited respondents per lab reach "
            f"power {p.max_power:.3f} at most: the number of labs is the binding "
            f"constraint. At least {p.min_labs_a} + {p.min_labs_b} labs are needed."
        )
        return
    click.echo(f"With {count(p.per_lab, 'respondent')} per lab: design effect 1 + "
               f"({p.per_lab} - 1) x "
               f"{_g(p.icc)} = {p.design_effect:.3g}")
    click.echo(f"  labs needed: {p.labs_a} + {p.labs_b} ({p.labs_a + p.labs_b} in all)")
    click.echo(f"  respondents: {p.n_a} + {p.n_b} ({p.n_a + p.n_b} in all); effective N "
               f"{p.n_effective_a:.1f} + {p.n_effective_b:.1f}")
    click.echo(f"  power {p.achieved_power:.3f} (t-test on {p.df} df: labs - 2)")
    _floor(p)


def _header(p) -> None:
    click.echo(f"Two groups, standardised difference d = {_g(p.effect)}, two-sided alpha = "
               f"{_g(p.alpha)}, power {_g(p.power)}, ICC {_g(p.icc)}, ratio {_g(p.ratio)}")
    click.echo(f"Ignoring labs: {p.n_unclustered_a:.1f} + {p.n_unclustered_b:.1f} "
               "respondents (two-sample t-test)")


def _floor(p) -> None:
    if p.icc > 0:
        click.echo(f"Labs are the floor: at ICC {_g(p.icc)} a lab counts for at most "
                   f"1/ICC = {1 / p.icc:.3g} respondents, so fewer than {p.min_labs_a} + "
                   f"{p.min_labs_b} labs cannot reach power {_g(p.power)} however many "
                   "answer in each.")
