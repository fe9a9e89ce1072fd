"""``--map``: rename and recode the columns of a file no reader knows.

A mapping is a small YAML file (or the same structure as a dict)::

    # responses from our 2023 paper questionnaire, typed into Excel
    platform: template        # optional: the reader to use after renaming
    rename:                   # header in the file -> instrument variable
      ID: respondent_id
      Region: lab_region
      Q1: sp1
    recode:                   # instrument variable -> {value in the file: code}
      lab_region: {CN: china, US: united_states}
      sp1: {SA: 5, A: 4, N: 3, D: 2, SD: 1}

Renaming happens on the header before a reader sees it, so a renamed file is usually
read as the template layout. Recoding happens after the reader, before validation:
values not listed pass through unchanged (codes and labels still work), so only the
odd ones need listing. Keys are compared ignoring case and surrounding spaces.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from survey.errors import ResponseFileError, did_you_mean, yaml_problem
from survey.responses.tables import normalise_name

if TYPE_CHECKING:  # pragma: no cover
    from survey.instrument import Instrument
    from survey.responses.model import RawResponses

__all__ = ["ColumnMap", "load_mapping"]

_KEYS = ("platform", "rename", "recode")


@dataclass(frozen=True)
class ColumnMap:
    """A parsed ``--map``: header renames, value recodes and an optional platform."""

    rename: dict[str, str] = field(default_factory=dict)
    recode: dict[str, dict[str, str]] = field(default_factory=dict)
    platform: str | None = None
    file: str = "<mapping>"

    def apply_header(self, header: list[str]) -> list[str]:
        """Header cells renamed (matching ignores case and surrounding spaces)."""
        table = {normalise_name(k): v for k, v in self.rename.items()}
        return [table.get(normalise_name(h), h) for h in header]

    def apply_values(self, raw: RawResponses) -> None:
        """Recode ``raw.frame`` in place (it is the reader's own copy)."""
        for var, codes in self.recode.items():
            if var not in raw.frame.columns:
                continue
            table = {normalise_name(k): v for k, v in codes.items()}
            s = raw.frame[var]
            if s.dtype.kind == "f":
                s = s.map(lambda v: str(int(v)) if v == v and float(v).is_integer() else v)
            raw.frame[var] = s.map(
                lambda v, t=table: t.get(normalise_name(v), v), na_action="ignore"
            ).astype(object)

    def check_header(self, header: list[str], file: str) -> None:
        """Every column the mapping renames must be in the file's header.

        Parameters
        ----------
        header : list of str
            The header row of the response file.
        file : str
            The response file's name, for the message.

        Raises
        ------
        ResponseFileError
            Naming the first renamed column the file lacks (a typo would otherwise
            leave that variable empty without a word).
        """
        present = {normalise_name(h) for h in header if h}
        for src in self.rename:
            if normalise_name(src) not in present:
                raise ResponseFileError(
                    f"rename.{src}: no column '{src}' in {file}; name a column of its "
                    "header row." + did_you_mean(src, [h for h in header if h]),
                    file=self.file,
                )

    def check(self, instrument: Instrument) -> None:
        """Every target must be an instrument variable; the platform a known reader.

        Raises
        ------
        ResponseFileError
            Naming the mapping file and the key at fault.
        """
        from survey.responses import PLATFORMS

        if self.platform is not None and self.platform not in PLATFORMS:
            raise ResponseFileError(
                f"platform: unknown platform '{self.platform}'; choose one of "
                f"{', '.join(PLATFORMS)}." + did_you_mean(self.platform, PLATFORMS),
                file=self.file,
            )
        known = instrument.columns
        for src, dst in self.rename.items():
            if dst not in known:
                raise ResponseFileError(
                    f"rename.{src}: '{dst}' is not a variable of instrument "
                    f"'{instrument.id}'." + did_you_mean(dst, known),
                    file=self.file,
                )
        for var in self.recode:
            if var not in known:
                raise ResponseFileError(
                    f"recode.{var}: not a variable of instrument '{instrument.id}'."
                    + did_you_mean(var, known),
                    file=self.file,
                )


def load_mapping(source: str | Path | Mapping[str, Any]) -> ColumnMap:
    """Read a ``--map`` YAML file (or take the same structure as a mapping).

    Raises
    ------
    ResponseFileError
        Unreadable file, not YAML, or a key other than platform/rename/recode.
    """
    if isinstance(source, Mapping):
        data: Any = dict(source)
        file = "<mapping>"
    else:
        import yaml

        file = str(source)
        try:
            text = Path(source).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise ResponseFileError(f"cannot read the mapping: {exc.strerror}",
                                    file=file) from None
        except UnicodeDecodeError:
            raise ResponseFileError("the mapping is not UTF-8 text", file=file) from None
        try:
            data = yaml.safe_load(text) or {}
        except yaml.YAMLError as exc:
            message, line, column = yaml_problem(exc)
            raise ResponseFileError(message, file=file, line=line, column=column) from None
    if not isinstance(data, dict):
        raise ResponseFileError("a mapping must be a YAML mapping with rename/recode",
                                file=file)
    for k in data:
        if k not in _KEYS:
            raise ResponseFileError(
                f"unknown key '{k}'; allowed: {', '.join(_KEYS)}." + did_you_mean(str(k), _KEYS),
                file=file,
            )
    rename = data.get("rename") or {}
    recode = data.get("recode") or {}
    if not isinstance(rename, dict) or not isinstance(recode, dict):
        raise ResponseFileError("rename and recode must be mappings", file=file)
    for src, dst in rename.items():
        if not isinstance(dst, str | int) or isinstance(dst, bool) or not str(dst).strip():
            raise ResponseFileError(
                f"rename.{src}: give the instrument variable to rename it to", file=file)
    clean_recode: dict[str, dict[str, str]] = {}
    for var, codes in recode.items():
        if not isinstance(codes, dict):
            raise ResponseFileError(
                f"recode.{var} must map values in the file to codes", file=file)
        clean_recode[str(var)] = {str(k): str(v) for k, v in codes.items()}
    platform = data.get("platform")
    return ColumnMap(
        rename={str(k): str(v) for k, v in rename.items()},
        recode=clean_recode,
        platform=None if platform is None else str(platform),
        file=file,
    )
