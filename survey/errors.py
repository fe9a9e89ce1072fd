"""One exception family for everything a user can get wrong.

Every error carries where it happened (file, row, column or a YAML path) and renders as
one line, ``FILE: row R, column C: what is wrong. how to fix.``, leaving out the parts it
does not know. Only :mod:`survey.cli` turns these into an exit code.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = [
    "SurveyError",
    "InstrumentError",
    "ResponseFileError",
    "ExportError",
    "did_you_mean",
    "yaml_problem",
]


class SurveyError(Exception):
    """Base class: a problem with the user's input, located as precisely as known.

    Parameters
    ----------
    message : str
        What is wrong, the rule, and how to fix it.
    file : str, optional
        The file the problem is in.
    row : int, optional
        1-based row number as a spreadsheet program shows it.
    line : int, optional
        1-based line number in a text file such as a YAML file (shown as ``line L``,
        as an editor numbers it).
    column : str, optional
        Column name (or letter) in the file.
    path : str, optional
        Path inside a structured file, e.g. ``constructs[2].items[4].text.zh``.

    Examples
    --------
    >>> str(SurveyError("value 7 is outside 1-5", file="r.csv", row=12, column="sp1"))
    'r.csv: row 12, column sp1: value 7 is outside 1-5'
    >>> print(SurveyError("no column 'sp\\n1'", file="r.csv"))
    r.csv: no column 'sp\\n1'
    >>> str(SurveyError("not valid YAML", file="i.yaml", line=118, column="8"))
    'i.yaml: line 118, column 8: not valid YAML'
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        row: int | None = None,
        column: str | None = None,
        path: str | None = None,
        line: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.file = None if file is None else str(file)
        self.row = row
        self.column = column
        self.path = path
        self.line = line

    def where(self) -> str:
        """The location prefix, e.g. ``'r.csv: row 3, column sp1'`` (may be empty)."""
        parts = []
        if self.file:
            parts.append(self.file)
        pos = []
        if self.path:
            pos.append(self.path)
        if self.row is not None:
            pos.append(f"row {self.row}")
        if self.line is not None:
            pos.append(f"line {self.line}")
        if self.column is not None:
            pos.append(f"column {self.column}")
        if pos:
            parts.append(", ".join(pos))
        return ": ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        text = f"{where}: {self.message}" if where else self.message
        # one line, always: a header cell or a value may hold line breaks
        return text.replace("\r\n", "\\n").replace("\n", "\\n").replace("\r", "\\r")


class InstrumentError(SurveyError):
    """An instrument file is missing, malformed, or breaks a schema rule."""


class ResponseFileError(SurveyError):
    """A response file cannot be used at all (bad rows are logged, not raised)."""


class ExportError(SurveyError):
    """A form cannot be written (unknown format or language, target limitation)."""


def _distance(a: str, b: str) -> int:
    """Levenshtein distance (small strings only)."""
    if a == b:
        return 0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def did_you_mean(value: str, known: Iterable[str], max_distance: int = 2) -> str:
    """Return ``" did you mean 'x'?"`` for the nearest known name, or ``""``.

    Parameters
    ----------
    value : str
        What the user wrote.
    known : iterable of str
        The valid names.
    max_distance : int
        Largest Levenshtein distance (case-insensitive) still suggested; values shorter
        than four characters allow at most 1.

    Returns
    -------
    str
        A suffix for an error message (with a leading space), or ``""``.

    Examples
    --------
    >>> did_you_mean("self_promotoin", ["self_promotion", "peer_respect"])
    " did you mean 'self_promotion'?"
    >>> did_you_mean("zzz", ["abc"])
    ''
    """
    best = None
    if len(str(value)) < 4:  # two-letter codes are all within distance 2 of each other
        max_distance = min(max_distance, 1)
    best_d = max_distance + 1
    low = str(value).lower()
    for k in known:
        d = _distance(low, str(k).lower())
        if d < best_d:
            best, best_d = k, d
    return f" did you mean '{best}'?" if best is not None else ""


def yaml_problem(exc: Exception) -> tuple[str, int | None, str | None]:
    """What a YAML parse error says, as ``(message, line, column)`` for a SurveyError.

    Line and column are 1-based (the column a character position in the line), as an
    editor shows them; both are ``None`` when the parser does not say. A tab used for
    indenting, the commonest mistake, gets its own advice.

    Examples
    --------
    >>> import yaml
    >>> try:
    ...     yaml.safe_load("id: x\\n\\tversion: 1\\n")
    ... except yaml.YAMLError as exc:
    ...     message, line, column = yaml_problem(exc)
    >>> line, column, message.endswith("indent YAML with spaces, not tabs")
    (2, '1', True)
    """
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    advice = ("indent YAML with spaces, not tabs" if "'\\t'" in problem
              else "check indentation and quoting")
    line = None if mark is None else mark.line + 1
    column = None if mark is None else str(mark.column + 1)
    return f"not valid YAML: {problem}; {advice}", line, column
