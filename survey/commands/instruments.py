"""``survey instruments`` and ``survey check``."""

from __future__ import annotations

import click

from survey.commands._common import OneLineCommand, instrument_argument, load_instrument
from survey.wording import count


@click.command(cls=OneLineCommand)
def instruments() -> None:
    """List the bundled instruments with their version and size."""
    from survey.instrument import bundled_instruments, load

    found = bundled_instruments()
    if not found:
        click.echo("no bundled instruments found")
        return
    for name, path in found.items():
        inst = load(path)
        click.echo(
            f"{name}\t{inst.version}\t{count(len(inst.constructs), 'construct')}, "
            f"{count(len(inst.items), 'item')}, "
            f"{count(len(inst.hypotheses), 'hypothesis', 'hypotheses')}\t"
            f"{'/'.join(inst.languages)}\t{inst.text(inst.title)}"
        )


@click.command(cls=OneLineCommand)
@instrument_argument
@click.option("--schema", "schema", is_flag=True,
              help="Print the JSON Schema of instrument.yaml (for editors) and exit.")
def check(instrument: str | None, schema: bool) -> None:
    """Validate INSTRUMENT: exit 0 when it is sound, 2 with every problem otherwise.

    The rules are those of docs/instrument-schema.md; --schema prints them as a JSON
    Schema, e.g. survey check --schema > instrument.schema.json.
    """
    if schema:
        from survey.instrument import json_schema

        click.echo(json_schema(), nl=False)
        return
    inst = load_instrument(instrument)
    reverse = sum(i.reverse for i in inst.items)
    click.echo(
        f"ok: {inst.id} {inst.version}: {count(len(inst.constructs), 'construct')}, "
        f"{count(len(inst.items), 'item')} ({reverse} reverse-keyed), "
        f"{count(len(inst.groups), 'grouping question')}, "
        f"{count(len(inst.checks), 'attention check')}, "
        f"{count(len(inst.hypotheses), 'hypothesis', 'hypotheses')}; "
        f"languages {', '.join(inst.languages)}"
    )
