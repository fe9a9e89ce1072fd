"""``survey score``: one scale score per respondent and construct."""

from __future__ import annotations

from collections.abc import Iterator
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
from survey.wording import count

#: Output suffixes ``survey score -o`` writes.
SUFFIXES = (".csv", ".xlsx")


@click.command(cls=OneLineCommand)
@click.argument("responses", metavar="RESPONSES")
@instrument_option
@reading_options
@click.option("--min-answered", type=click.FloatRange(0, 1, min_open=True), default=0.5,
              show_default=True, metavar="SHARE",
              help="Share of a construct's items a respondent must answer to get a score; "
                   "with fewer the score is left blank.")
@click.option("--sum", "use_sum", is_flag=True,
              help="Prorated sums (mean of the answered items x number of items) instead "
                   "of means.")
@click.option("-o", "--output", required=True, metavar="SCORES",
              help="File to write: .csv (unrounded) or .xlsx.")
def score(
    responses: str,
    instrument: str | None,
    reading: ReadingOptions,
    min_answered: float,
    use_sum: bool,
    output: str,
) -> None:
    """Score every construct of RESPONSES (any platform export survey import reads).

    \b
    Reverse-keyed items are recoded as min + max - x on their scale first. A score is
    the mean of the answered items when at least --min-answered of the construct's
    items are answered (default: half), else blank. --sum gives prorated sums, the
    mean times the number of items (the plain sum when every item is answered).
    SCORES has respondent_id, the grouping columns and one column per construct id.
    """
    from analysis.scoring import score_scales

    if Path(output).suffix.lower() not in SUFFIXES:
        raise SurveyError("the output name must end in " + " or ".join(SUFFIXES), file=output)
    check_outputs([("-o", output)], [responses, *reading.inputs])
    inst = load_instrument(instrument)
    rs = reading.read(responses, inst)
    scores = score_scales(rs, min_answered=min_answered, method="sum" if use_sum else "mean")
    p = write_output(output, _table_bytes(scores, output))
    if rs.simulated:
        click.echo("note: simulated data (every respondent id starts with SIM-)")
    log = rs.log
    click.echo(f"{responses}: rows read {log.rows_read}, accepted {log.rows_accepted}, "
               f"rejected {log.rows_rejected}"
               + (" (survey import --rejected FILE shows why)" if log.rows_rejected else ""))
    constructs = [c.id for c in inst.constructs]
    blank = {c: int(scores[c].isna().sum()) for c in constructs}
    missing = [f"{c} {n}" for c, n in blank.items() if n]
    if missing:
        click.echo(f"blank scores (fewer than {min_answered:g} of the items answered): "
                   + ", ".join(missing))
    kind = "prorated sums" if use_sum else "means"
    click.echo(f"wrote {p} ({count(rs.n, 'respondent')} x "
               f"{count(len(constructs), 'construct')}, {kind})")


def _table_bytes(scores, output: str) -> bytes | Iterator[bytes]:
    """CSV (unrounded floats, text neutralised; in pieces) or an .xlsx workbook."""
    if Path(output).suffix.lower() == ".xlsx":
        from survey.responses.writers import write_frame

        return write_frame(scores, ".xlsx", sheet="scores")
    from survey.outputs import csv_pieces

    return csv_pieces(scores)
