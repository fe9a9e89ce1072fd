"""Options and helpers shared by several commands."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:  # pragma: no cover
    from survey.instrument import Instrument

__all__ = [
    "OneLineCommand",
    "check_outputs",
    "instrument_argument",
    "instrument_option",
    "load_instrument",
    "same_file",
    "write_output",
]

class OneLineCommand(click.Command):
    """A command whose usage mistakes are one line on stderr and exit code 2.

    click prints a usage block and a blank line before the error; here a missing
    argument, an unknown option or a value out of range reads like every other error,
    ``error: Missing argument 'RESPONSES'. (survey import --help)``.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Parse as click does, turning a usage error into a SurveyError.

        Parameters
        ----------
        ctx : click.Context
            The command's context.
        args : list of str
            The words after the command name.

        Returns
        -------
        list of str
            What click leaves unparsed.
        """
        from survey.errors import SurveyError

        given = list(args)  # click consumes the list as it parses
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            hint = _dash_file_hint(ctx, given, exc)
            message = exc.format_message().rstrip(".") + hint if hint else \
                exc.format_message()
            raise SurveyError(f"{message} (see survey {ctx.info_name} --help)") from None


def _dash_file_hint(ctx: click.Context, args: list[str], exc: click.UsageError) -> str:
    """Advice when an unknown "option" is a file whose name starts with ``-``."""
    if not isinstance(exc, click.NoSuchOption) or "--" in args:
        return ""
    for arg in args:
        if arg.startswith("-") and arg != "-" and (
                Path(arg).exists() or Path(arg).suffix.lower() in (
                    ".csv", ".tsv", ".txt", ".xlsx", ".xlsm", ".xls", ".yaml", ".yml")):
            return (f"; '{arg}' looks like a file: a name starting with - goes after --, "
                    f"as in survey {ctx.info_name} -- {arg}")
    return ""


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
    """Load the INSTRUMENT argument or option.

    Parameters
    ----------
    value : str or None
        A path to an ``instrument.yaml``, a folder holding one, or a bundled name;
        ``None`` for the default instrument.

    Returns
    -------
    Instrument

    Raises
    ------
    InstrumentError
        On any problem with the file (one line naming it).
    """
    from survey.instrument import load

    return load(value)


def same_file(a: str | Path, b: str | Path) -> bool:
    """True when ``a`` and ``b`` name the same file (links and relative paths included).

    Parameters
    ----------
    a, b : str or Path
        Two paths; either may not exist yet.

    Returns
    -------
    bool

    Examples
    --------
    >>> same_file("x.csv", "./x.csv")
    True
    """
    pa, pb = Path(a), Path(b)
    try:
        if pa.exists() and pb.exists():
            return os.path.samefile(pa, pb)
    except OSError:
        pass
    return pa.resolve() == pb.resolve()


def check_outputs(
    outputs: Iterable[tuple[str, str | Path | None]],
    inputs: Iterable[str | Path | None],
) -> None:
    """Refuse outputs that would overwrite an input, each other, or a folder.

    Call it before reading anything, so a refused command has not done any work.

    Parameters
    ----------
    outputs : iterable of (option, path)
        Each output option as shown to the user (``"-o"``) and its path (``None`` when
        not given).
    inputs : iterable of path
        Files the command reads (``None`` entries are skipped). Nothing the user gave is
        ever changed in place.

    Raises
    ------
    SurveyError
        Naming the output file and what it collides with.
    """
    from survey.errors import SurveyError

    given = [(flag, p) for flag, p in outputs if p is not None]
    sources = [p for p in inputs if p is not None]
    for k, (flag, out) in enumerate(given):
        if Path(out).is_dir():
            raise SurveyError(f"{flag} is a folder; give a file name", file=str(out))
        parent = Path(out).absolute().parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if not parent.is_dir():
            raise SurveyError("cannot write: a file stands where its folder should be",
                              file=str(out))
        if not os.access(parent, os.W_OK):
            raise SurveyError(f"cannot write: folder {parent} is read-only", file=str(out))
        if Path(out).exists() and not os.access(out, os.W_OK):
            raise SurveyError("cannot write: the file is read-only", file=str(out))
        for src in sources:
            if same_file(out, src):
                raise SurveyError(
                    f"{flag} would overwrite the input file {src}; the inputs are never "
                    "changed, choose another name",
                    file=str(out),
                )
        for other_flag, other in given[:k]:
            if same_file(out, other):
                raise SurveyError(
                    f"{flag} and {other_flag} name the same file; give each its own name",
                    file=str(out),
                )


def write_output(path: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``path`` whole or not at all, creating its folder.

    The bytes go to a temporary file beside ``path`` that is renamed over it, so a
    failed write never leaves a half-written file behind.

    Parameters
    ----------
    path : str or Path
        The output file.
    data : bytes
        Its content.

    Returns
    -------
    Path
        ``path`` as a :class:`~pathlib.Path`.

    Raises
    ------
    SurveyError
        ``path`` is a folder, or cannot be written (one line with the reason).
    """
    from survey.errors import SurveyError

    p = Path(path)
    if p.is_dir():
        raise SurveyError("is a folder; give a file name for the output", file=str(p))
    tmp = p.with_name(f".{p.name}.part")
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_bytes(data)
        os.replace(tmp, p)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        reason = exc.strerror or str(exc)
        if isinstance(exc, FileExistsError | NotADirectoryError):
            reason = "a file stands where its folder should be"
        raise SurveyError(f"cannot write: {reason}", file=str(p)) from None
    return p
