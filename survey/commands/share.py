"""``survey share``: a de-identified data package someone else can re-analyse."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from survey.commands._common import (
    OneLineCommand,
    ReadingOptions,
    check_outputs,
    instrument_option,
    load_instrument,
    reading_options,
    write_output,
)
from survey.errors import SurveyError


def _names(value: str | None) -> tuple[str, ...]:
    if value is None:
        return ()
    return tuple(v.strip() for v in value.split(",") if v.strip())


@click.command(cls=OneLineCommand)
@click.argument("responses", metavar="RESPONSES")
@instrument_option
@reading_options
@click.option("-k", "k", type=click.IntRange(min=2), default=5, show_default=True,
              metavar="K", help="Every respondent shares the identifying answers with at "
                               "least K - 1 others (k-anonymity).")
@click.option("--keep-lab-codes", is_flag=True,
              help="Keep the lab codes instead of drawing new random ones.")
@click.option("--no-bands", is_flag=True,
              help="Publish identifying answers as given, not in the instrument's bands.")
@click.option("--keep", "keep", multiple=True, metavar="COLUMN",
              help="Keep this free-text question or platform metadata column (IP address, "
                   "timestamps, durations, ...), unprotected; repeat for several.")
@click.option("--suppress-order", default=None, metavar="A,B,...",
              help="Identifying questions in the order local suppression blanks them "
                   "[default: most distinct answers first, the lab last].")
@click.option("--seed", type=click.IntRange(min=0), default=None, metavar="N",
              help="Seed of the new lab codes and row order, for a package that can be "
                   "made again byte for byte (keep it private) [default: drawn fresh].")
@click.option("--licence", "licence", default=None, metavar="ID",
              help="Licence of the shared data, e.g. CC-BY-4.0 [default: left for the "
                   "data owner to fill in].")
@click.option("-o", "--output", required=True, type=click.Path(file_okay=False),
              metavar="DIR", help="Folder to write the package to (created if needed).")
def share(
    responses: str,
    instrument: str | None,
    reading: ReadingOptions,
    k: int,
    keep_lab_codes: bool,
    no_bands: bool,
    keep: tuple[str, ...],
    suppress_order: str | None,
    seed: int | None,
    licence: str | None,
    output: str,
) -> None:
    """Write a de-identified data package of RESPONSES to the folder DIR.

    \b
    The questions the instrument marks identifying (lab, lab type, role, years
    in field, student in the flagship) are the key variables of the
    disclosure risk, measured as sdcMicro does: k-anonymity and the largest
    individual risk 1/f_k, before and after. The default protections, each
    reported: new respondent ids and row order; free text and platform
    metadata (IP addresses, timestamps, durations) left out unless named with
    --keep; new random lab codes (--keep-lab-codes); identifying answers in
    the instrument's bands (--no-bands); then local suppression of the fewest
    key cells the greedy rule finds until every respondent is K-anonymous.

    \b
    DIR/datapackage.json   Frictionless Data Package (Table Schema: types, value
                           labels, missing values, keying)
    DIR/data.csv           the answers; survey report reads it with -i instrument.yaml
    DIR/instrument.yaml    the instrument the shared answers follow
    DIR/codebook.md        its codebook
    DIR/README.md          risk before and after, protections, what they cost, licence
    DIR/disclosure/        risk, protection steps, blanked cells, group means and
                           hypothesis results on the original and the shared data

    \b
    Example:
      survey share sample_data/lab_culture_responses.xlsx --licence CC-BY-4.0 -o shared
    """
    out_dir = Path(output)
    if out_dir.exists() and not out_dir.is_dir():
        raise SurveyError("is a file; give a folder for the data package", file=output)
    from survey.share import PACKAGE_FILES

    inst = load_instrument(instrument)
    check_outputs([("-o", out_dir / n) for n in PACKAGE_FILES],
                  [responses, *reading.inputs, inst.source])
    show = (lambda message: click.echo(f"survey share: {message}", err=True)) \
        if sys.stderr.isatty() else (lambda _message: None)

    import numpy as np

    from analysis.disclosure import protect, utility_hypotheses, utility_means
    from analysis.scoring import score_scales
    from survey.responses.model import SIMULATED_PREFIX
    from survey.share import Utility, write_package

    if inst.source is None:  # pragma: no cover - a loaded instrument always has a file
        raise SurveyError("the instrument has no file to derive the package's instrument from")
    try:
        source_text = Path(inst.source).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise SurveyError(f"cannot read: {exc.strerror}", file=inst.source) from None
    show(f"reading {responses}")
    rs = reading.read(responses, inst)
    show("protecting")
    protection = protect(
        rs.data, inst, meta=rs.meta, k=k, keep=keep, keep_lab_codes=keep_lab_codes,
        coarsen=not no_bands, order=_names(suppress_order) or None,
        rng=np.random.default_rng(seed), id_prefix=SIMULATED_PREFIX if rs.simulated else "")
    show("recomputing the group means and hypotheses on the shared data")
    original = score_scales(rs)
    shared = score_scales(protection.data, inst)
    utility = Utility(
        means=utility_means(original, shared, inst, bands=protection.banded),
        hypotheses=utility_hypotheses(original, shared, inst))
    files = write_package(protection, inst, source_text, utility, licence=licence,
                          simulated=rs.simulated)
    for rel, content in files.items():
        write_output(out_dir / rel, content)

    log = rs.log
    if rs.simulated:
        click.echo("note: simulated data (every respondent id starts with SIM-)")
    click.echo(f"{responses}: rows read {log.rows_read}, accepted {log.rows_accepted}, "
               f"rejected {log.rows_rejected}")
    click.echo(f"identifying: {', '.join(protection.keys) or 'none marked'}; k = {k}")
    for row in protection.risk.to_dict("records"):
        if row["stage"] in ("original", "shared"):
            click.echo(f"risk {'before' if row['stage'] == 'original' else 'after'}: "
                       f"{row['violating']} of {row['n']} respondents violate {k}-anonymity; "
                       f"largest individual risk {row['max_risk']:.3f}; expected "
                       f"re-identifications {row['expected_reidentifications']:.1f}")
    for step in protection.steps.to_dict("records"):
        if step["step"] == "local suppression":
            click.echo(f"local suppression: {step['cells']} cells blanked "
                       f"({step['description'].split(': ', 1)[1]})")
        elif step["step"] == "dropped":
            click.echo(f"left out: {step['columns'].replace('|', ', ')}")
        elif step["step"] != "new respondent ids":
            click.echo(f"{step['step']}: {step['description']}")
    for note in protection.notes:
        click.echo(f"note: {note}")
    hyp = utility.hypotheses
    same = ", ".join(f"{int(hyp[hyp['test'] == t]['same_verdict'].sum())} of "
                     f"{int((hyp['test'] == t).sum())} ({name})"
                     for t, name in (("welch", "Welch"), ("mixed", "lab-aware"))
                     if (hyp["test"] == t).any())
    if same:
        click.echo(f"hypotheses with the same verdict on the shared data: {same}")
    click.echo(f"wrote {len(files)} files to {out_dir}: datapackage.json, data.csv, "
               "instrument.yaml, codebook.md, README.md, disclosure/")
