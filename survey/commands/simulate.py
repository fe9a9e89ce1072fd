"""``survey simulate``: write simulated responses in the template or a platform's layout."""

from __future__ import annotations

from pathlib import Path

import click

from survey.commands._common import (
    OneLineCommand,
    check_outputs,
    instrument_argument,
    load_instrument,
    number,
    whole_number,
    write_output,
)
from survey.errors import SurveyError
from survey.responses.layouts import LAYOUTS
from survey.wording import count

_EPILOG = "\b\nLayouts (--layout), each as survey import reads it:\n" + "\n".join(
    f"  {name:<11} {layout.label} [{'/'.join(layout.suffixes)}]"
    for name, layout in LAYOUTS.items())


@click.command(cls=OneLineCommand, epilog=_EPILOG)
@instrument_argument
@click.option("--seed", default="1", show_default=True, metavar="N",
              help="Seed of the random generator; the same seed gives the same file.")
@click.option("--labs", default="14", show_default=True, metavar="N|GROUP=N,...",
              help="Number of labs, or labs per group of --by, e.g. "
                   "china=8,united_states=5,other=1.")
@click.option("--by", default=None, metavar="QUESTION",
              help="Choice question whose groups the labs are nested in (--labs, --midpoint "
                   "and --dif name its codes) [default: the first choice question].")
@click.option("--cluster", default=None, metavar="QUESTION",
              help="Question that holds the lab code [default: the instrument's cluster "
                   "key, else lab].")
@click.option("--respondents-per-lab", "per_lab", default="20-60", show_default=True,
              metavar="A-B", help="Range each lab's number of respondents is drawn from.")
@click.option("--effect", default="0.5", show_default=True, metavar="D",
              help="Standardised latent difference planted for every hypothesis.")
@click.option("--icc", default="0.10", show_default=True, metavar="X",
              help="Share of latent variance between labs.")
@click.option("--null", "null", default=None, metavar="H5,H7",
              help="Hypotheses that get no difference.")
@click.option("--midpoint", multiple=True, metavar="GROUP=P",
              help="Midpoint response style: in GROUP an answer is the midpoint with "
                   "probability P. Repeatable.")
@click.option("--dif", multiple=True, metavar="ITEM:GROUP=SHIFT",
              help="Shift ITEM's latent location by SHIFT SD in GROUP (a non-invariant "
                   "item). Repeatable.")
@click.option("--missing", default="0.02", show_default=True, metavar="P",
              help="Probability that an answer is blank (completely at random).")
@click.option("--inattentive", default="0.03", show_default=True, metavar="P",
              help="Share of respondents answering at random (most fail the attention check).")
@click.option("--layout", type=click.Choice(list(LAYOUTS)), default="template",
              show_default=True,
              help="Lay the file out as this platform's export (listed below), to dry-run "
                   "the import and report for the platform you field on.")
@click.option("--labels", "labels", default=None, metavar="LANG",
              help="Write answers as their labels in LANG, as a platform's label or text "
                   "export does (default: codes; Wenjuanxing: option numbers).")
@click.option("-o", "--output", required=True,
              help="File to write: .xlsx (with an 'about' sheet) or .csv, as the layout "
                   "allows.")
def simulate(
    instrument: str | None,
    seed: str,
    labs: str,
    by: str | None,
    cluster: str | None,
    per_lab: str,
    effect: str,
    icc: str,
    null: str | None,
    midpoint: tuple[str, ...],
    dif: tuple[str, ...],
    missing: str,
    inattentive: str,
    layout: str,
    labels: str | None,
    output: str,
) -> None:
    """Simulate responses to INSTRUMENT from its hypotheses (clearly labelled as simulated).

    Labs nested in the groups of --by, latent scores with a lab random intercept,
    graded-response items, optional response styles and a non-invariant item; see the
    README for the
    model. Respondent ids start with SIM-. With --layout the file is laid out as that
    platform's export of the form survey export writes for it.
    """
    from survey import simulate as sim

    suffix = Path(output).suffix.lower()
    allowed = LAYOUTS[layout].suffixes
    if suffix not in allowed:
        where = "" if layout == "template" else f" for the {layout} layout"
        raise SurveyError(f"the output file must end in {' or '.join(allowed)}{where}",
                          file=output)
    inst = load_instrument(instrument)
    if labels is not None and labels not in inst.languages:
        raise SurveyError(f"--labels: language '{labels}' is not in instrument '{inst.id}'; "
                          f"it has {', '.join(inst.languages)}")
    check_outputs((("-o", output),), (inst.source,))
    frame = sim.simulate(
        inst,
        seed=whole_number(seed, "--seed"),
        labs=sim.parse_labs(labs),
        respondents_per_lab=sim.parse_range(per_lab),
        effect=number(effect, "--effect"),
        icc=number(icc, "--icc"),
        null=sim.parse_list(null),
        midpoint=sim.parse_shares(midpoint),
        dif=sim.parse_dif(dif),
        missing=number(missing, "--missing"),
        inattentive=number(inattentive, "--inattentive"),
        by=by,
        cluster=cluster,
    )
    if layout == "template" and labels is None:
        data = sim.write_simulated(frame, suffix)
    else:
        from survey.responses.layouts import write_layout

        data = write_layout(layout, frame, inst, suffix=suffix, lang=labels,
                            about=sim.about_rows(frame))
    path = write_output(output, data)
    n_labs = sum(frame.attrs["simulation"]["lab_counts"].values())
    shape = "" if layout == "template" else f", {layout} layout"
    click.echo(f"wrote {path} ({count(len(frame), 'simulated respondent')} in "
               f"{count(n_labs, 'lab')}, seed {frame.attrs['simulation']['seed']}{shape})")
