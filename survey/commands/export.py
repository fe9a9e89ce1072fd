"""``survey export``: write an instrument in one of the registered formats."""

from __future__ import annotations

import click

from survey.commands._common import (
    OneLineCommand,
    check_outputs,
    instrument_argument,
    load_instrument,
    write_output,
)
from survey.forms import FORMATS, format_module


class _ExportCommand(OneLineCommand):
    def format_epilog(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Formats"):
            formatter.write_dl(
                [(n, f"{format_module(n).FORMAT.label} [{format_module(n).FORMAT.suffix}]")
                 for n in FORMATS]
            )


@click.command(cls=_ExportCommand)
@instrument_argument
@click.option("-f", "--format", "fmt", required=True, metavar="FORMAT",
              help="Output format (listed below).")
@click.option("-l", "--lang", default=None, metavar="LANG",
              help="Language: restricts multilingual formats to one; picks the language of "
                   "single-language formats [default: all, or the first].")
@click.option("-o", "--output", required=True,
              help="File to write.")
def export(instrument: str | None, fmt: str, lang: str | None, output: str) -> None:
    """Export INSTRUMENT as a form or codebook in FORMAT."""
    from pathlib import Path

    from survey.errors import ExportError
    from survey.forms import export as do_export

    inst = load_instrument(instrument)
    data = do_export(inst, fmt, lang)  # unknown format or language fail first
    suffix = format_module(fmt).FORMAT.suffix
    if Path(output).suffix.lower() != suffix:
        raise ExportError(
            f"-o: the {fmt} format writes {suffix} files; end the name in {suffix}",
            file=output,
        )
    check_outputs((("-o", output),), (inst.source,))
    path = write_output(output, data)
    click.echo(f"wrote {path} ({fmt}, {len(data):,} bytes)")
