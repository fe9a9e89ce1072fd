"""Export formats: one module per format, listed in :data:`FORMATS`.

Each module defines ``FORMAT = FormSpec(...)`` and ``write(instrument, lang) -> bytes``.
A writer never touches the filesystem and never reads the clock, so the same instrument
gives the same bytes every run. Adding a format is adding one module and one line below;
the CLI's ``-f`` choices, ``survey export --help`` and the parametrised tests read this
table.

Writers import their heavy libraries inside ``write`` so that listing formats stays cheap.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING

from survey.errors import ExportError, did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    from survey.instrument import Instrument

__all__ = ["FORMATS", "FormSpec", "export", "format_module"]


@dataclass(frozen=True)
class FormSpec:
    """What a format is called and what it writes.

    Attributes
    ----------
    name : str
        The id used on the command line (``-f NAME``) and as the module name.
    suffix : str
        File suffix of the output, with the dot.
    label : str
        One-line description for ``survey export --help``.
    multilingual : bool
        True when one file carries every language of the instrument; ``-l`` then
        restricts it to one. False when the target holds one language (``-l`` picks it;
        default: the instrument's first language).
    """

    name: str
    suffix: str
    label: str
    multilingual: bool = True


#: Format name -> module path. Order is the order shown in ``--help``.
FORMATS: dict[str, str] = {
    "codebook": "survey.forms.codebook",
    "codebook_html": "survey.forms.codebook_html",
    "xlsform": "survey.forms.xlsform",
    "qualtrics": "survey.forms.qualtrics",
    "limesurvey": "survey.forms.limesurvey",
    "redcap": "survey.forms.redcap",
    "html": "survey.forms.html",
    "xlsx": "survey.forms.xlsx",
    "wjx": "survey.forms.wjx",
}


def format_module(name: str) -> ModuleType:
    """Import the module of a format by name.

    Parameters
    ----------
    name : str
        A key of :data:`FORMATS`.

    Returns
    -------
    module
        The writer (``FORMAT`` and ``write``).

    Raises
    ------
    ExportError
        Unknown name (with the nearest one suggested).
    """
    if name not in FORMATS:
        raise ExportError(
            f"unknown format '{name}'; choose one of {', '.join(FORMATS)}."
            + did_you_mean(name, FORMATS)
        )
    return importlib.import_module(FORMATS[name])


def export(instrument: Instrument, fmt: str, lang: str | None = None) -> bytes:
    """Write ``instrument`` in format ``fmt``.

    Parameters
    ----------
    instrument : Instrument
        A loaded instrument.
    fmt : str
        A key of :data:`FORMATS`.
    lang : str, optional
        One of the instrument's languages. Multilingual formats carry every language when
        this is None; single-language formats use the first declared language.

    Returns
    -------
    bytes
        The file's content.

    Examples
    --------
    >>> from survey.instrument import load
    >>> export(load("lab-culture"), "codebook")[:11]
    b'# Codebook:'
    """
    module = format_module(fmt)
    if lang is not None and lang not in instrument.languages:
        raise ExportError(
            f"language '{lang}' is not in this instrument; it has "
            f"{', '.join(instrument.languages)}." + did_you_mean(lang, instrument.languages)
        )
    return module.write(instrument, lang)
