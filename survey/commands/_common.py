"""Options and helpers shared by several commands."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:  # pragma: no cover
    from survey.instrument import Instrument
    from survey.responses.model import ResponseSet
    from survey.responses.validate import Policy

__all__ = [
    "ADJUST_CHOICES",
    "PLATFORM_CHOICES",
    "OneLineCommand",
    "ReadingOptions",
    "check_outputs",
    "cluster_option",
    "equivalence_option",
    "exclusion_options",
    "instrument_argument",
    "instrument_option",
    "load_instrument",
    "min_answered_option",
    "number",
    "planning_options",
    "reading_options",
    "same_file",
    "whole_number",
    "write_output",
]

#: Same as the keys of survey.responses.PLATFORMS, plus ``auto`` (not imported here:
#: keeps ``--help`` light; a test checks they agree).
PLATFORM_CHOICES = ("auto", "kobo", "qualtrics", "limesurvey", "redcap", "wjx", "template")
#: ``--adjust`` of ``compare``, ``report`` and ``prereg``: the same as
#: analysis.stats.ADJUST_METHODS (not imported here: keeps ``--help`` light; a test checks
#: they agree).
ADJUST_CHOICES = ("holm", "fdr_bh", "none")

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
            message = " ".join(exc.format_message().split())
            if hint:
                message = message.rstrip(".") + hint
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


def instrument_argument(command: Callable[..., Any]) -> Callable[..., Any]:
    """The ``[INSTRUMENT]`` argument of the commands about an instrument (``check``,
    ``export``, ``simulate``), which also take it as ``-i/--instrument``, the way the
    commands that read responses do; naming two different instruments is refused."""

    @functools.wraps(command)
    def run(*args: Any, instrument: str | None = None, instrument_opt: str | None = None,
            **kwargs: Any) -> Any:
        from survey.errors import SurveyError

        if instrument and instrument_opt and instrument != instrument_opt:
            raise SurveyError(f"two instruments given ('{instrument}' and -i "
                              f"'{instrument_opt}'); name it once")
        return command(*args, instrument=instrument or instrument_opt, **kwargs)

    run = click.option("-i", "--instrument", "instrument_opt", default=None,
                       metavar="INSTRUMENT",
                       help="The instrument, as INSTRUMENT (path or bundled name).")(run)
    return click.argument("instrument", required=False, metavar="[INSTRUMENT]")(run)


instrument_option = click.option(
    "-i",
    "--instrument",
    "instrument",
    default=None,
    metavar="INSTRUMENT",
    help="Instrument the responses answer: path or bundled name [default: lab-culture].",
)


#: ``--min-answered`` of ``compare``, ``report`` and ``prereg``: one default, as a
#: preregistration records the value and the report checks it.
min_answered_option = click.option(
    "--min-answered", type=click.FloatRange(0, 1, min_open=True), default=0.5,
    show_default=True, metavar="SHARE",
    help="Share of a construct's items a respondent must answer to get a score.")

#: ``--cluster`` of ``compare`` and ``report``: the question naming each respondent's lab.
cluster_option = click.option(
    "--cluster", default=None, metavar="QUESTION",
    help="Grouping question whose answers are the clusters (labs) respondents are nested "
         "in [default: the instrument's cluster, lab].")

#: ``--equivalence`` of ``compare`` and ``report``: the TOST bound, in standard deviations.
equivalence_option = click.option(
    "--equivalence", type=click.FloatRange(0, min_open=True), default=None, metavar="D",
    help="Also test each hypothesis for equivalence within ±D standard deviations (TOST); "
         "a difference shown to lie inside is 'equivalent'.")


@dataclass(frozen=True)
class ReadingOptions:
    """How a response file is read: its layout, a column mapping and the exclusions.

    One value of this class carries every option of :func:`reading_options`, so
    ``import``, ``score``, ``compare``, ``report`` and ``share`` read a file the same way.

    Attributes
    ----------
    platform : str
        ``auto`` or a platform name (``--platform``).
    mapping : str or None
        The ``--map`` YAML file.
    reject_failed_checks, reject_unfinished, reject_speeders : bool
        Reject instead of flag (``--reject-*``).
    min_duration : float or None
        Seconds below which a response is a speeder (``--min-duration``).
    reject_missing_groups : bool
        Reject rows leaving a required group question blank (``--reject-missing-groups``).
    encoding : str or None
        The encoding of a text file (``--encoding``), instead of deciding it.
    sheet : str or None
        The sheet of a workbook to read (``--sheet``), instead of choosing it.

    Examples
    --------
    >>> ReadingOptions(reject_unfinished=True).exclusions()
    {'reject_failed_checks': False, 'reject_unfinished': True, 'min_duration': None, \
'reject_speeders': False}
    """

    platform: str = "auto"
    mapping: str | None = None
    reject_failed_checks: bool = False
    reject_unfinished: bool = False
    min_duration: float | None = None
    reject_speeders: bool = False
    reject_missing_groups: bool = False
    encoding: str | None = None
    sheet: str | None = None

    @property
    def policy(self) -> Policy:
        """The exclusions as the import's :class:`~survey.responses.validate.Policy`."""
        from survey.responses.validate import Policy

        return Policy(
            reject_failed_checks=self.reject_failed_checks,
            reject_unfinished=self.reject_unfinished,
            min_duration=self.min_duration,
            reject_speeders=self.reject_speeders,
            reject_missing_groups=self.reject_missing_groups,
        )

    @property
    def inputs(self) -> tuple[str, ...]:
        """Files these options make the command read besides RESPONSES."""
        return () if self.mapping is None else (self.mapping,)

    def exclusions(self) -> dict[str, object]:
        """The exclusion options by name (what a preregistration records)."""
        return {
            "reject_failed_checks": self.reject_failed_checks,
            "reject_unfinished": self.reject_unfinished,
            "min_duration": self.min_duration,
            "reject_speeders": self.reject_speeders,
        }

    def read(self, responses: str | list[str], instrument: Instrument, *,
             keep_personal: bool = False) -> ResponseSet:
        """Read and validate RESPONSES with these options.

        Parameters
        ----------
        responses : str or list of str
            The response export, or several files, a folder or a pattern.
        instrument : Instrument
            What the responses answer.
        keep_personal : bool
            Keep the personal data a platform adds (``survey import
            --keep-personal-data``); every other command leaves it out.

        Returns
        -------
        ResponseSet

        Raises
        ------
        ResponseFileError
            The file cannot be used (one line naming it).
        """
        from survey.responses import read_responses

        return read_responses(responses, instrument, platform=self.platform,
                              mapping=self.mapping, policy=self.policy,
                              keep_personal=keep_personal, encoding=self.encoding,
                              sheet=self.sheet)


_EXCLUSION_OPTIONS = (
    click.option("--min-duration", type=click.FloatRange(min=0), default=None,
                 metavar="SECONDS", help="Flag responses faster than this as speeders "
                 "(needs durations in the file)."),
    click.option("--reject-failed-checks", is_flag=True,
                 help="Reject rows failing an attention check instead of flagging them."),
    click.option("--reject-unfinished", is_flag=True,
                 help="Reject unfinished responses instead of flagging them."),
    click.option("--reject-speeders", is_flag=True,
                 help="Reject speeders (see --min-duration) instead of flagging them."),
)

_READING_OPTIONS = (
    click.option("--platform", type=click.Choice(PLATFORM_CHOICES), default="auto",
                 show_default=True, help="Which platform wrote the file; auto recognises it "
                 "from the header and says which it chose."),
    click.option("--map", "mapping", default=None, metavar="MAPPING.yaml",
                 help="YAML that renames columns and recodes values for a layout no reader "
                      "knows."),
    click.option("--encoding", default=None, metavar="NAME",
                 help="Encoding of a text file (utf-8, gb18030, cp1252, ...), when the one "
                      "decided from its bytes is wrong."),
    click.option("--sheet", default=None, metavar="NAME",
                 help="Sheet of a workbook to read (hidden ones too) instead of the visible "
                      "sheet whose header names the instrument's variables."),
    *_EXCLUSION_OPTIONS,
    click.option("--reject-missing-groups", is_flag=True,
                 help="Reject rows that leave a required group question (e.g. lab_region) "
                      "unanswered instead of flagging them."),
)

_EXCLUSION_NAMES = ("min_duration", "reject_failed_checks", "reject_unfinished",
                    "reject_speeders")


def _collapse(options: tuple, names: tuple[str, ...]) -> Callable[[Callable], Callable]:
    """A decorator adding ``options`` and passing them as one ``reading`` argument."""

    def decorate(f: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(f)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            values = {name: kwargs.pop(name) for name in names}
            kwargs["reading"] = ReadingOptions(**values)
            return f(*args, **kwargs)

        for option in reversed(options):
            wrapper = option(wrapper)
        return wrapper

    return decorate


#: ``--platform``, ``--map``, ``--encoding``, ``--sheet``, ``--min-duration``,
#: ``--reject-failed-checks``, ``--reject-unfinished``, ``--reject-speeders``,
#: ``--reject-missing-groups``: how every command that reads a response file reads it.
#: The command receives them as one ``reading`` argument (:class:`ReadingOptions`).
reading_options = _collapse(_READING_OPTIONS, ("platform", "mapping", "encoding", "sheet",
                                               *_EXCLUSION_NAMES, "reject_missing_groups"))

#: The exclusion options alone (for ``survey prereg``, which reads no file), passed as
#: one ``reading`` argument.
exclusion_options = _collapse(_EXCLUSION_OPTIONS, _EXCLUSION_NAMES)


_PLANNING_OPTIONS = (
    click.option("--effect", required=True, metavar="D",
                 help="Standardised difference (Cohen's d) between the two groups to detect."),
    click.option("--power", default="0.8", show_default=True, metavar="P",
                 help="Target power."),
    click.option("--alpha", default="0.05", show_default=True, metavar="A",
                 help="Two-sided significance level."),
    click.option("--icc", default="0.10", show_default=True, metavar="X",
                 help="Intraclass correlation within labs (share of variance between labs)."),
    click.option("--per-lab", "per_lab", default=None, metavar="A",
                 help="Respondents per lab: the number of labs needed is computed."),
    click.option("--labs", default=None, metavar="N",
                 help="Labs in the first group: the respondents per lab needed are computed."),
    click.option("--ratio", default="1", show_default=True, metavar="R",
                 help="Size of the second group relative to the first."),
)


def planning_options(f: Callable[..., Any] | None = None, *,
                     effect_required: bool = True) -> Any:
    """``--effect``, ``--power``, ``--alpha``, ``--icc``, ``--per-lab``, ``--labs``,
    ``--ratio``: the inputs of a sample-size plan (``survey plan``, ``survey prereg``).

    The values arrive as text; :func:`number` and :func:`whole_number` turn them into
    numbers with a one-line error naming the option. ``@planning_options`` requires
    ``--effect``; ``@planning_options(effect_required=False)`` makes it optional
    (``survey plan`` then gives the smallest detectable difference of ``--labs`` and
    ``--per-lab``).
    """
    options = list(_PLANNING_OPTIONS)
    if not effect_required:
        options[0] = click.option(
            "--effect", default=None, metavar="D",
            help="Standardised difference (Cohen's d) between the two groups to detect. "
                 "Without it, --labs and --per-lab give the smallest detectable d.")

    def apply(g: Callable[..., Any]) -> Callable[..., Any]:
        for option in reversed(options):
            g = option(g)
        return g

    return apply if f is None else apply(f)


def number(value: str, option: str) -> float:
    """An option's text as a number.

    Raises
    ------
    SurveyError
        ``--effect: 'x' is not a number``.

    Examples
    --------
    >>> number("0.5", "--effect")
    0.5
    """
    from survey.errors import SurveyError

    try:
        return float(value)
    except ValueError:
        raise SurveyError(f"{option}: '{value}' is not a number") from None


def whole_number(value: str | None, option: str) -> int | None:
    """An option's text as a whole number (None stays None).

    Raises
    ------
    SurveyError
        ``--labs: 'x' is not a whole number``.
    """
    from survey.errors import SurveyError

    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise SurveyError(f"{option}: '{value}' is not a whole number") from None


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


def write_output(path: str | Path, data: bytes | Iterable[bytes]) -> Path:
    """Write ``data`` to ``path`` whole or not at all, creating its folder.

    The bytes go to a temporary file beside ``path`` that is renamed over it, so a
    failed write never leaves a half-written file behind.

    Parameters
    ----------
    path : str or Path
        The output file.
    data : bytes or iterable of bytes
        Its content, whole or in pieces written as they come (a large table need not
        be held in memory twice).

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
        if isinstance(data, bytes | bytearray | memoryview):
            tmp.write_bytes(data)
        else:
            with tmp.open("wb") as out:
                for piece in data:
                    out.write(piece)
        os.replace(tmp, p)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        reason = exc.strerror or str(exc)
        if isinstance(exc, FileExistsError | NotADirectoryError):
            reason = "a file stands where its folder should be"
        raise SurveyError(f"cannot write: {reason}", file=str(p)) from None
    return p
