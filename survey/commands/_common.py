"""Options and helpers shared by several commands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # pragma: no cover
    from survey.instrument import Instrument

__all__ = ["instrument_argument", "instrument_option", "load_instrument", "write_output"]

instrument_argument = click.argument("instrument", required=False, metavar="[INSTRUMENT]")
instrument_option = click.option(
    "-i",
    "--instrument",
    "instrument",
    default=None,
    metavar="INSTRUMENT",
    help="Instrument the responses answer: path or bundled name [default: lab-culture].",
)


def load_instrument(value: str | None) -> Instrument:
    """Load the INSTRUMENT argument (a SurveyError on any problem)."""
    from survey.instrument import load

    return load(value)


def write_output(path: str | Path, data: bytes) -> Path:
    """Write bytes to ``path``, creating its folder; refuse to write over an input file."""
    from survey.errors import SurveyError

    p = Path(path)
    if p.is_dir():
        raise SurveyError("is a folder; give a file name for the output", file=str(p))
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    except OSError as exc:
        raise SurveyError(f"cannot write: {exc.strerror}", file=str(p)) from None
    return p
