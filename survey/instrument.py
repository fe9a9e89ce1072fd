"""The instrument: frozen dataclasses, the YAML loader and its validation.

This is the only module that knows the instrument schema. An instrument is a YAML file
(``instrument.yaml``, usually in a folder of its own with a README.md)::

    id: lab-culture
    version: 1.0.0
    languages: [en, zh]
    title: {en: ..., zh: ...}
    description: {en: ..., zh: ...}          # optional: shown at the top of forms
    translation: {zh: "forward only; ..."}   # optional: status of each translation
    cluster: lab                             # optional: the question holding the lab code
                                             # (default: the group 'lab' if there is one;
                                             # null: respondents are not clustered)
    scales:
      agree5: {points: [1, 2, 3, 4, 5], labels: {en: [...], zh: [...]}}
    groups:
      - {id: lab_region, type: choice, required: true, text: {en: ..., zh: ...},
         choices: [{code: china, label: {en: China, zh: 中国}}, ...]}
      - {id: lab, type: text, required: true, identifying: true, text: {en: ..., zh: ...}}
      - id: years_in_field                     # identifying: a quasi-identifier that
        identifying: true                      # `survey share` protects; bands: the
        choices: [{code: lt1, ...}, ...]       # coarser answers it publishes instead
        bands:
          - {code: lt3, label: {en: ..., zh: ...}, choices: [lt1, y1_3]}
    constructs:
      - id: self_promotion
        name: {en: ..., zh: ...}
        definition: {en: ..., zh: ...}
        scale: agree5
        items:
          - {id: sp1, text: {en: ..., zh: ...}, reverse: false}
    checks:
      - {id: attn1, text: {en: ..., zh: ...}, scale: agree5, expect: 4}
    hypotheses:
      - {id: H1, construct: self_promotion, by: lab_region,
         predicts: united_states > china, source: "..."}

Validation collects every problem it finds and raises one :class:`InstrumentError` whose
message lists them, each with the path inside the file
(``constructs[2].items[4].text.zh: missing``). Every key, its type and default, and the
rules are documented in ``docs/instrument-schema.md``; the rules a JSON Schema can state
ship as ``survey/schema/instrument.schema.json`` (:func:`json_schema`), and a test
checks that whatever this loader accepts, the schema accepts too.

Examples
--------
>>> from survey.instrument import load
>>> inst = load("lab-culture")
>>> inst.construct("self_promotion").items[0].id
'sp1'
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from survey.errors import InstrumentError, did_you_mean, yaml_problem
from survey.wording import count

__all__ = [
    "Band",
    "Check",
    "Choice",
    "Construct",
    "Group",
    "Hypothesis",
    "Instrument",
    "Item",
    "Scale",
    "bundled_instruments",
    "json_schema",
    "load",
    "loads",
    "resolve",
    "ID_PATTERN",
    "DEFAULT_INSTRUMENT",
]

DEFAULT_INSTRUMENT = "lab-culture"
#: Variable names usable in SPSS, Stata and XLSForm: a letter, then letters, digits, _.
ID_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,31}$")
_CODE_PATTERN = re.compile(r"^[A-Za-z0-9_]+$")
_LANG_PATTERN = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]+)?$")
_PREDICTS = re.compile(r"^\s*([A-Za-z0-9_]+)\s*(>|<)\s*([A-Za-z0-9_]+)\s*$")
GROUP_TYPES = ("choice", "text")

Text = Mapping[str, str]


@dataclass(frozen=True)
class Scale:
    """A response scale: integer codes and a label per code in every language."""

    id: str
    points: tuple[int, ...]
    labels: Mapping[str, tuple[str, ...]]

    @property
    def min(self) -> int:
        """Lowest code."""
        return min(self.points)

    @property
    def max(self) -> int:
        """Highest code."""
        return max(self.points)

    @property
    def midpoint(self) -> float:
        """Middle of the scale, ``(min + max) / 2``."""
        return (self.min + self.max) / 2

    def label(self, code: int, lang: str) -> str:
        """Label of a point of this scale.

        Parameters
        ----------
        code : int
            One of :attr:`points`.
        lang : str
            A language of the instrument.

        Returns
        -------
        str

        Examples
        --------
        >>> Scale(id="yn", points=(0, 1), labels={"en": ("No", "Yes")}).label(1, "en")
        'Yes'
        """
        return self.labels[lang][self.points.index(code)]


@dataclass(frozen=True)
class Choice:
    """One answer of a grouping question: a code and its label per language."""

    code: str
    label: Text


@dataclass(frozen=True)
class Band:
    """A coarser answer that stands for several choices when data are shared.

    ``survey share`` publishes the band's code instead of any of its ``choices`` (global
    recoding: years in the field ``lt1`` and ``y1_3`` become ``lt3``).
    """

    code: str
    label: Text
    choices: tuple[str, ...]


@dataclass(frozen=True)
class Group:
    """A grouping or demographic question (``lab_region``, ``lab``, ``role``, ...).

    ``type`` is ``"choice"`` (answered from ``choices``) or ``"text"`` (free text, e.g.
    the lab code a researcher assigns). ``identifying`` marks a quasi-identifier: an
    answer someone who knows a respondent could know, which together with the other
    identifying answers can single the respondent out; ``survey share`` measures and
    limits that risk. ``bands`` (choice questions only) group the choices into coarser
    answers that are published instead.
    """

    id: str
    text: Text
    type: str = "choice"
    required: bool = False
    choices: tuple[Choice, ...] = ()
    identifying: bool = False
    bands: tuple[Band, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        """Choice codes in their declared order."""
        return tuple(c.code for c in self.choices)

    def label(self, code: str, lang: str) -> str:
        """Label of a choice code.

        Parameters
        ----------
        code : str
            A choice code of this question.
        lang : str
            A language of the instrument.

        Returns
        -------
        str
            The label in ``lang``; the code itself when it is not a choice.
        """
        for c in self.choices:
            if c.code == code:
                return c.label[lang]
        return str(code)


@dataclass(frozen=True)
class Item:
    """One Likert item of a construct."""

    id: str
    text: Text
    reverse: bool
    construct: str
    scale: str


@dataclass(frozen=True)
class Construct:
    """A construct measured by several items on one response scale."""

    id: str
    name: Text
    definition: Text
    scale: str
    items: tuple[Item, ...]

    @property
    def item_ids(self) -> tuple[str, ...]:
        """Ids of the construct's items in order."""
        return tuple(i.id for i in self.items)


@dataclass(frozen=True)
class Check:
    """An attention check: a respondent reading carefully answers ``expect``."""

    id: str
    text: Text
    scale: str
    expect: int


@dataclass(frozen=True)
class Hypothesis:
    """A directional prediction between two groups on one construct.

    ``predicts: united_states > china`` is stored as ``higher='united_states'``,
    ``lower='china'``.
    """

    id: str
    construct: str
    by: str
    higher: str
    lower: str
    source: str

    @property
    def predicts(self) -> str:
        """The prediction as written, normalised to ``higher > lower``."""
        return f"{self.higher} > {self.lower}"


@dataclass(frozen=True)
class Instrument:
    """A validated questionnaire: scales, grouping questions, constructs, checks, hypotheses.

    Build one with :func:`load` or :func:`loads`; never mutate it.
    """

    id: str
    version: str
    languages: tuple[str, ...]
    title: Text
    scales: Mapping[str, Scale]
    groups: tuple[Group, ...]
    constructs: tuple[Construct, ...]
    checks: tuple[Check, ...] = ()
    hypotheses: tuple[Hypothesis, ...] = ()
    description: Text = field(default_factory=dict)
    translation: Mapping[str, str] = field(default_factory=dict)
    source: str | None = None
    #: The grouping question whose answers are the clusters respondents are nested in
    #: (labs, teams): the lab-aware analysis uses it. ``None``: no clustering.
    cluster: str | None = None

    # ---- lookups -------------------------------------------------------------------
    @property
    def items(self) -> tuple[Item, ...]:
        """All Likert items, construct by construct, in order."""
        return tuple(i for c in self.constructs for i in c.items)

    @property
    def item_ids(self) -> tuple[str, ...]:
        """Ids of all items in order."""
        return tuple(i.id for i in self.items)

    @property
    def group_ids(self) -> tuple[str, ...]:
        """Ids of the grouping questions in order."""
        return tuple(g.id for g in self.groups)

    @property
    def identifying_ids(self) -> tuple[str, ...]:
        """Ids of the grouping questions marked ``identifying`` (quasi-identifiers)."""
        return tuple(g.id for g in self.groups if g.identifying)

    @property
    def check_ids(self) -> tuple[str, ...]:
        """Ids of the attention checks in order."""
        return tuple(c.id for c in self.checks)

    @property
    def columns(self) -> tuple[str, ...]:
        """The template layout: ``respondent_id``, groups, items, checks."""
        return ("respondent_id", *self.group_ids, *self.item_ids, *self.check_ids)

    def construct(self, construct_id: str) -> Construct:
        """The construct with this id (KeyError with a suggestion when unknown)."""
        for c in self.constructs:
            if c.id == construct_id:
                return c
        raise KeyError(
            f"no construct '{construct_id}'."
            + did_you_mean(construct_id, [c.id for c in self.constructs])
        )

    def item(self, item_id: str) -> Item:
        """The item with this id."""
        for i in self.items:
            if i.id == item_id:
                return i
        raise KeyError(f"no item '{item_id}'." + did_you_mean(item_id, self.item_ids))

    def group(self, group_id: str) -> Group:
        """The grouping question with this id."""
        for g in self.groups:
            if g.id == group_id:
                return g
        hint = did_you_mean(group_id, self.group_ids)
        raise KeyError(f"no grouping question '{group_id}'." + hint)

    def check(self, check_id: str) -> Check:
        """The attention check with this id."""
        for c in self.checks:
            if c.id == check_id:
                return c
        raise KeyError(f"no attention check '{check_id}'." + did_you_mean(check_id, self.check_ids))

    def scale_of(self, variable: str) -> Scale:
        """The response scale of an item or attention check."""
        for i in self.items:
            if i.id == variable:
                return self.scales[i.scale]
        for c in self.checks:
            if c.id == variable:
                return self.scales[c.scale]
        raise KeyError(f"'{variable}' is neither an item nor an attention check")

    def text(self, mapping: Text, lang: str | None = None) -> str:
        """Pick one language from a text mapping.

        Parameters
        ----------
        mapping : Text
            A language -> text mapping of this instrument (a title, an item's text).
        lang : str, optional
            The language (default: the first declared language).

        Returns
        -------
        str
        """
        return mapping[lang or self.languages[0]]


# ---- the JSON Schema -------------------------------------------------------------------

def json_schema() -> str:
    """The JSON Schema (draft 2020-12) of ``instrument.yaml``, as JSON text.

    It ships with the package (``survey/schema/instrument.schema.json``) for editors that
    check YAML against a schema; ``survey check --schema`` prints it. :func:`loads`
    applies the same rules and those a JSON Schema cannot state (texts in every declared
    language, references between sections, unique ids); ``docs/instrument-schema.md``
    lists both.

    Examples
    --------
    >>> import json
    >>> json.loads(json_schema())["required"][:3]
    ['id', 'version', 'languages']
    """
    return (resources.files("survey") / "schema" / "instrument.schema.json").read_text(
        encoding="utf-8")


# ---- locating instruments --------------------------------------------------------------

def _bundled_root() -> Path | None:
    """Folder holding bundled instruments: in the wheel, or the source tree (editable)."""
    try:
        packaged = Path(str(resources.files("survey") / "_bundled"))
    except (ModuleNotFoundError, TypeError):  # pragma: no cover - zipped installs
        packaged = None
    if packaged is not None and packaged.is_dir():
        return packaged
    source_tree = Path(__file__).resolve().parent.parent / "instruments"
    if source_tree.is_dir():
        return source_tree
    return None


def bundled_instruments() -> dict[str, Path]:
    """Names and paths of the instruments shipped with the package.

    Examples
    --------
    >>> "lab-culture" in bundled_instruments()
    True
    """
    root = _bundled_root()
    if root is None:
        return {}
    return {
        p.parent.name: p
        for p in sorted(root.glob("*/instrument.yaml"))
    }


def resolve(name_or_path: str | Path | None) -> Path:
    """Turn an INSTRUMENT argument into the path of an ``instrument.yaml``.

    Accepts a path to a YAML file, a folder holding ``instrument.yaml``, or the name of a
    bundled instrument; ``None`` means the default (``lab-culture``).
    """
    if name_or_path is None:
        name_or_path = DEFAULT_INSTRUMENT
    p = Path(name_or_path)
    if p.is_dir():
        candidate = p / "instrument.yaml"
        if candidate.is_file():
            return candidate
        raise InstrumentError(
            "folder has no instrument.yaml; point to the YAML file or a folder holding one",
            file=str(p),
        )
    if p.is_file():
        return p
    bundled = bundled_instruments()
    if str(name_or_path) in bundled:
        return bundled[str(name_or_path)]
    hint = did_you_mean(str(name_or_path), bundled)
    raise InstrumentError(
        f"no such file, folder or bundled instrument; bundled: {', '.join(bundled) or 'none'}."
        + hint,
        file=str(name_or_path),
    )


def load(name_or_path: str | Path | None = None) -> Instrument:
    """Load and validate an instrument by path or bundled name.

    Parameters
    ----------
    name_or_path : str or Path, optional
        ``instrument.yaml``, a folder holding one, or a bundled name (default
        ``lab-culture``).

    Returns
    -------
    Instrument

    Raises
    ------
    InstrumentError
        With the file and every problem found, each with its path inside the file.
    """
    path = resolve(name_or_path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InstrumentError(f"cannot read: {exc.strerror}", file=str(path)) from None
    if data.startswith((b"PK\x03\x04", b"\xd0\xcf\x11\xe0")) or b"\x00" in data[:4096]:
        raise InstrumentError(
            "a workbook or other binary file, not an instrument YAML; give the "
            "instrument.yaml",
            file=str(path),
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InstrumentError(
            f"not UTF-8 text ({exc.reason} at byte {exc.start}); save the file as UTF-8",
            file=str(path),
        ) from None
    return loads(text, file=str(path))


def loads(text: str, file: str = "<string>") -> Instrument:
    """Parse and validate instrument YAML given as a string.

    Parameters
    ----------
    text : str
        The YAML text.
    file : str
        Name used in error messages (and kept as :attr:`Instrument.source` unless it is
        ``"<string>"``).

    Returns
    -------
    Instrument

    Raises
    ------
    InstrumentError
        Not YAML, or a schema rule broken (the path inside the file is named).

    Examples
    --------
    >>> inst = loads('''
    ... id: tiny
    ... version: "1"
    ... languages: [en]
    ... title: {en: Tiny}
    ... scales: {agree5: {points: [1,2,3,4,5], labels: {en: [a, b, c, d, e]}}}
    ... groups: [{id: region, text: {en: Region}, choices: [{code: x, label: {en: X}}]}]
    ... constructs:
    ...   - {id: c1, name: {en: C}, definition: {en: D}, scale: agree5,
    ...      items: [{id: i1, text: {en: T}, reverse: false}]}
    ... ''')
    >>> inst.item_ids
    ('i1',)
    """
    return _Builder(file).build(_parse_yaml(text, file))


def _parse_yaml(text: str, file: str) -> Any:
    """The YAML document: libyaml's parser when PyYAML has it (eight times faster), the
    pure-Python one for a text libyaml refuses, so that a mistake is always worded (and
    placed) as that parser words it."""
    import yaml  # local: keeps `survey --help` light

    fast = getattr(yaml, "CSafeLoader", None)
    if fast is not None:
        try:
            return yaml.load(text, Loader=fast)  # noqa: S506 - CSafeLoader is the safe one
        except yaml.YAMLError:
            pass
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        message, line, column = yaml_problem(exc)
        raise InstrumentError(message, file=file, line=line, column=column) from None


# ---- validation ------------------------------------------------------------------------

#: Characters no form or spreadsheet can show (C0 controls but tab, LF, CR; and DEL),
#: and those no UTF-8 file or XML document can hold (lone surrogates, which a YAML
#: ``"\ud800"`` escape makes; the noncharacters U+FFFE and U+FFFF).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")


class _Builder:
    """Walks the YAML mapping, collecting every problem with its path."""

    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[str] = []
        self.languages: tuple[str, ...] = ()

    def fail(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}" if path else message)

    # primitive readers ------------------------------------------------------------------
    def mapping(self, value: Any, path: str) -> dict:
        if value is None:
            self.fail(path, "missing")
            return {}
        if not isinstance(value, dict):
            self.fail(path, f"must be a mapping (key: value), got {type(value).__name__}")
            return {}
        return value

    def seq(self, value: Any, path: str, required: bool = True) -> list:
        if value is None:
            if required:
                self.fail(path, "missing")
            return []
        if not isinstance(value, list):
            self.fail(path, f"must be a list, got {type(value).__name__}")
            return []
        return value

    def string(self, value: Any, path: str) -> str:
        if value is None or (isinstance(value, str) and not value.strip()):
            self.fail(path, "missing")
            return ""
        if isinstance(value, bool) or isinstance(value, dict | list):
            self.fail(path, f"must be text, got {value!r}")
            return ""
        self.printable(str(value), path)
        return str(value)

    def printable(self, value: str, path: str) -> None:
        bad = _CONTROL.search(value)
        if bad:
            code = ord(bad.group())
            kind = "control character" if code < 0x80 else "character"
            self.fail(path, f"holds the {kind} U+{code:04X}, which forms and spreadsheets "
                            "cannot show; remove it")

    def ident(self, value: Any, path: str) -> str:
        s = self.string(value, path)
        if s and not ID_PATTERN.match(s):
            self.fail(
                path,
                f"'{s}' is not a usable variable name; ids must start with a letter, use "
                "only letters, digits and _, and be at most 32 characters (SPSS, Stata and "
                "XLSForm rules)",
            )
        return s

    def text(self, value: Any, path: str) -> dict[str, str]:
        if isinstance(value, str) and len(self.languages) == 1:
            return {self.languages[0]: value}
        m = self.mapping(value, path)
        out: dict[str, str] = {}
        for lang in self.languages:
            v = m.get(lang)
            if v is None or (isinstance(v, str) and not v.strip()):
                self.fail(f"{path}.{lang}", "missing")
            elif not isinstance(v, str | int | float) or isinstance(v, bool):
                self.fail(f"{path}.{lang}", f"must be text, got {v!r}")
            else:
                out[lang] = str(v)
                self.printable(out[lang], f"{path}.{lang}")
        for extra in m:
            if extra not in self.languages:
                self.fail(
                    f"{path}.{extra}",
                    f"language '{extra}' is not declared in languages "
                    f"({', '.join(self.languages)}); add it there or remove this text",
                )
        return out

    def boolean(self, value: Any, path: str, default: bool) -> bool:
        if value is None:
            return default
        if not isinstance(value, bool):
            self.fail(path, f"must be true or false, got {value!r}")
            return default
        return value

    def unknown_keys(self, m: dict, known: tuple[str, ...], path: str) -> None:
        for k in m:
            if k not in known:
                where = f"{path}.{k}" if path else str(k)
                self.fail(where, "unknown key; allowed: " + ", ".join(known) + "." + did_you_mean(
                    str(k), known
                ))

    # the document -----------------------------------------------------------------------
    def build(self, data: Any) -> Instrument:
        if not isinstance(data, dict):
            raise InstrumentError(
                "must be a YAML mapping with id, version, languages, title, scales, groups, "
                "constructs",
                file=self.file,
            )
        self.unknown_keys(
            data,
            ("id", "version", "languages", "title", "description", "translation", "scales",
             "groups", "cluster", "constructs", "checks", "hypotheses"),
            "",
        )
        inst_id = self.string(data.get("id"), "id")
        if inst_id and not re.match(r"^[A-Za-z][A-Za-z0-9_.-]*$", inst_id):
            self.fail("id", f"'{inst_id}' must start with a letter and use letters, digits, _ . -")
        version = self.string(data.get("version"), "version")
        langs = self.seq(data.get("languages"), "languages")
        clean_langs = []
        for i, lang in enumerate(langs):
            if not isinstance(lang, str) or not _LANG_PATTERN.match(lang):
                self.fail(f"languages[{i}]", f"'{lang}' is not a language code such as en or zh")
            elif lang in clean_langs:
                self.fail(f"languages[{i}]", f"'{lang}' is listed twice")
            else:
                clean_langs.append(lang)
        if not clean_langs:
            if langs == [] and data.get("languages") is not None:
                self.fail("languages", "must list at least one language")
            raise InstrumentError("; ".join(self.problems) or "languages: missing", file=self.file)
        self.languages = tuple(clean_langs)
        title = self.text(data.get("title"), "title")
        description = (
            self.text(data["description"], "description")
            if data.get("description") not in (None, "") else {}
        )
        translation = {}
        if data.get("translation") is not None:
            for k, v in self.mapping(data["translation"], "translation").items():
                translation[str(k)] = self.string(v, f"translation.{k}")

        scales = self.build_scales(data.get("scales"))
        seen: dict[str, str] = {}
        groups = self.build_groups(data.get("groups"), seen)
        cluster = self.build_cluster(data, groups)
        constructs = self.build_constructs(data.get("constructs"), scales, seen)
        checks = self.build_checks(data.get("checks"), scales, seen)
        hypotheses = self.build_hypotheses(data.get("hypotheses"), constructs, groups)

        if self.problems:
            count = len(self.problems)
            head = f"{count} problem{'s' if count > 1 else ''}: " if count > 1 else ""
            raise InstrumentError(head + "; ".join(self.problems), file=self.file)
        return Instrument(
            id=inst_id,
            version=version,
            languages=self.languages,
            title=title,
            description=description,
            translation=translation,
            cluster=cluster,
            scales=scales,
            groups=groups,
            constructs=constructs,
            checks=checks,
            hypotheses=hypotheses,
            source=None if self.file == "<string>" else self.file,
        )

    def build_scales(self, value: Any) -> dict[str, Scale]:
        out: dict[str, Scale] = {}
        for sid, spec in self.mapping(value, "scales").items():
            path = f"scales.{sid}"
            sid = self.ident(sid, path)
            spec = self.mapping(spec, path)
            self.unknown_keys(spec, ("points", "labels"), path)
            raw_points = self.seq(spec.get("points"), f"{path}.points")
            points: list[int] = []
            for j, p in enumerate(raw_points):
                if isinstance(p, bool) or not isinstance(p, int):
                    self.fail(f"{path}.points[{j}]", f"must be a whole number, got {p!r}")
                else:
                    points.append(p)
            if len(set(points)) != len(points):
                self.fail(f"{path}.points", "codes must be unique")
            if spec.get("points") is not None and len(raw_points) < 2:
                self.fail(f"{path}.points", "a scale needs at least two points")
            if points and points != sorted(points):
                self.fail(f"{path}.points", "codes must be in increasing order")
            labels_raw = self.mapping(spec.get("labels"), f"{path}.labels")
            labels: dict[str, tuple[str, ...]] = {}
            for lang in self.languages:
                ls = self.seq(labels_raw.get(lang), f"{path}.labels.{lang}")
                if labels_raw.get(lang) is not None and len(ls) != len(raw_points):
                    self.fail(
                        f"{path}.labels.{lang}",
                        f"has {count(len(ls), 'label')} for {count(len(raw_points), 'point')}; "
                        "give one label "
                        "per point",
                    )
                for k, label in enumerate(ls):
                    if isinstance(label, bool):
                        self.fail(f"{path}.labels.{lang}[{k}]",
                                  f"must be text, got {str(label).lower()} (YAML reads "
                                  "unquoted yes, no, on and off as true or false: quote it)")
                    elif not isinstance(label, str | int | float) or not str(label).strip():
                        self.fail(f"{path}.labels.{lang}[{k}]",
                                  f"must be text, got {label!r}")
                labels[lang] = tuple(str(x) for x in ls)
                for k, label in enumerate(labels[lang]):
                    self.printable(label, f"{path}.labels.{lang}[{k}]")
            for extra in labels_raw:
                if extra not in self.languages:
                    self.fail(f"{path}.labels.{extra}",
                              f"language '{extra}' is not declared in languages "
                              f"({', '.join(self.languages)}); add it there or remove these "
                              "labels")
            if sid:
                out[sid] = Scale(id=sid, points=tuple(points), labels=labels)
        if not out and value is not None:
            self.fail("scales", "must define at least one response scale")
        return out

    def claim(self, ident: str, path: str, seen: dict[str, str]) -> None:
        if not ident:
            return
        low = ident.lower()
        if low in seen:
            self.fail(
                path,
                f"id '{ident}' is already used at {seen[low]}; ids of items, groups and checks "
                "must be unique (ignoring case)",
            )
        else:
            seen[low] = path

    def build_groups(self, value: Any, seen: dict[str, str]) -> tuple[Group, ...]:
        out = []
        for i, g in enumerate(self.seq(value, "groups")):
            path = f"groups[{i}]"
            g = self.mapping(g, path)
            self.unknown_keys(g, ("id", "text", "type", "required", "identifying", "choices",
                                  "bands"), path)
            gid = self.ident(g.get("id"), f"{path}.id")
            self.claim(gid, f"{path}.id", seen)
            if gid == "respondent_id":
                self.fail(f"{path}.id", "'respondent_id' is reserved for the respondent key")
            text = self.text(g.get("text"), f"{path}.text")
            gtype = g.get("type", "choice" if g.get("choices") is not None else "text")
            if gtype not in GROUP_TYPES:
                self.fail(f"{path}.type", f"must be one of {', '.join(GROUP_TYPES)}, got {gtype!r}")
            required = self.boolean(g.get("required"), f"{path}.required", False)
            identifying = self.boolean(g.get("identifying"), f"{path}.identifying", False)
            choices = []
            codes: set[str] = set()
            if gtype == "choice":
                raw = self.seq(g.get("choices"), f"{path}.choices")
                if g.get("choices") is not None and not raw:
                    self.fail(f"{path}.choices", "a choice question needs at least one choice")
                for j, ch in enumerate(raw):
                    cpath = f"{path}.choices[{j}]"
                    ch = self.mapping(ch, cpath)
                    self.unknown_keys(ch, ("code", "label"), cpath)
                    code = self.string(ch.get("code"), f"{cpath}.code")
                    if code and not _CODE_PATTERN.match(code):
                        self.fail(
                            f"{cpath}.code",
                            f"'{code}' must use only letters, digits and _",
                        )
                    if code in codes:
                        self.fail(f"{cpath}.code", f"code '{code}' appears twice in {path}")
                    codes.add(code)
                    label = self.text(ch.get("label"), f"{cpath}.label")
                    choices.append(Choice(code=code, label=label))
            elif g.get("choices") is not None:
                self.fail(f"{path}.choices", "only questions of type choice have choices")
            bands: tuple[Band, ...] = ()
            if g.get("bands") is not None:
                if gtype != "choice":
                    self.fail(f"{path}.bands", "only questions of type choice have bands")
                else:
                    bands = self.build_bands(g["bands"], f"{path}.bands",
                                             [c.code for c in choices])
            out.append(Group(id=gid, text=text, type=str(gtype), required=required,
                             choices=tuple(choices), identifying=identifying, bands=bands))
        return tuple(out)

    def build_bands(self, value: Any, path: str, codes: list[str]) -> tuple[Band, ...]:
        out = []
        seen: dict[str, str] = {}
        band_codes: set[str] = set()
        for j, b in enumerate(self.seq(value, path)):
            bpath = f"{path}[{j}]"
            b = self.mapping(b, bpath)
            self.unknown_keys(b, ("code", "label", "choices"), bpath)
            code = self.string(b.get("code"), f"{bpath}.code")
            if code and not _CODE_PATTERN.match(code):
                self.fail(f"{bpath}.code", f"'{code}' must use only letters, digits and _")
            if code in band_codes:
                self.fail(f"{bpath}.code", f"band '{code}' appears twice")
            band_codes.add(code)
            label = self.text(b.get("label"), f"{bpath}.label")
            members = []
            for k, c in enumerate(self.seq(b.get("choices"), f"{bpath}.choices")):
                c = str(c)
                if c not in codes:
                    self.fail(f"{bpath}.choices[{k}]", f"'{c}' is not a choice of this "
                              "question." + did_you_mean(c, codes))
                elif c in seen:
                    self.fail(f"{bpath}.choices[{k}]",
                              f"'{c}' is already in band '{seen[c]}'; a choice belongs "
                              "to one band")
                else:
                    seen[c] = code
                    members.append(c)
            out.append(Band(code=code, label=label, choices=tuple(members)))
        left = [c for c in codes if c not in seen]
        if out and left:
            self.fail(path, "every choice must be in a band; not in any: " + ", ".join(left))
        return tuple(out)

    def build_cluster(self, data: dict, groups: tuple[Group, ...]) -> str | None:
        """The ``cluster`` key: a grouping question's id, ``null`` for none.

        Without the key, the grouping question ``lab`` is the cluster when there is one.
        """
        ids = [g.id for g in groups]
        if "cluster" not in data:
            return "lab" if "lab" in ids else None
        value = data["cluster"]
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            self.fail("cluster", f"must name a grouping question, got {value!r}")
            return None
        value = value.strip()
        if value not in ids:
            self.fail("cluster", f"'{value}' is not a grouping question; grouping questions: "
                      f"{', '.join(ids) or 'none'}." + did_you_mean(value, ids))
            return None
        return value

    def build_constructs(
        self, value: Any, scales: dict[str, Scale], seen: dict[str, str]
    ) -> tuple[Construct, ...]:
        out = []
        cids: set[str] = set()
        raw = self.seq(value, "constructs")
        if value is not None and not raw:
            self.fail("constructs", "must list at least one construct")
        for i, c in enumerate(raw):
            path = f"constructs[{i}]"
            c = self.mapping(c, path)
            self.unknown_keys(c, ("id", "name", "definition", "scale", "items"), path)
            cid = self.ident(c.get("id"), f"{path}.id")
            if cid in cids:
                self.fail(f"{path}.id", f"construct '{cid}' appears twice")
            cids.add(cid)
            name = self.text(c.get("name"), f"{path}.name")
            definition = self.text(c.get("definition"), f"{path}.definition")
            scale = self.string(c.get("scale"), f"{path}.scale")
            if scale and scale not in scales:
                self.fail(
                    f"{path}.scale",
                    f"scale '{scale}' is not defined under scales." + did_you_mean(scale, scales),
                )
            items = []
            raw_items = self.seq(c.get("items"), f"{path}.items")
            if c.get("items") is not None and not raw_items:
                self.fail(f"{path}.items", "a construct needs at least one item")
            for j, it in enumerate(raw_items):
                ipath = f"{path}.items[{j}]"
                it = self.mapping(it, ipath)
                self.unknown_keys(it, ("id", "text", "reverse"), ipath)
                iid = self.ident(it.get("id"), f"{ipath}.id")
                self.claim(iid, f"{ipath}.id", seen)
                text = self.text(it.get("text"), f"{ipath}.text")
                reverse = self.boolean(it.get("reverse"), f"{ipath}.reverse", False)
                items.append(Item(id=iid, text=text, reverse=reverse, construct=cid, scale=scale))
            out.append(Construct(id=cid, name=name, definition=definition, scale=scale,
                                 items=tuple(items)))
        return tuple(out)

    def build_checks(
        self, value: Any, scales: dict[str, Scale], seen: dict[str, str]
    ) -> tuple[Check, ...]:
        out = []
        for i, c in enumerate(self.seq(value, "checks", required=False)):
            path = f"checks[{i}]"
            c = self.mapping(c, path)
            self.unknown_keys(c, ("id", "text", "scale", "expect"), path)
            cid = self.ident(c.get("id"), f"{path}.id")
            self.claim(cid, f"{path}.id", seen)
            text = self.text(c.get("text"), f"{path}.text")
            scale = self.string(c.get("scale"), f"{path}.scale")
            expect = c.get("expect")
            if scale and scale not in scales:
                self.fail(
                    f"{path}.scale",
                    f"scale '{scale}' is not defined under scales." + did_you_mean(scale, scales),
                )
            if isinstance(expect, bool) or not isinstance(expect, int):
                self.fail(f"{path}.expect", f"must be a code of the scale, got {expect!r}")
                expect = 0
            elif scale in scales and expect not in scales[scale].points:
                self.fail(
                    f"{path}.expect",
                    f"{expect} is not a point of scale '{scale}' "
                    f"({', '.join(map(str, scales[scale].points))})",
                )
            out.append(Check(id=cid, text=text, scale=scale, expect=int(expect)))
        return tuple(out)

    def build_hypotheses(
        self, value: Any, constructs: tuple[Construct, ...], groups: tuple[Group, ...]
    ) -> tuple[Hypothesis, ...]:
        out = []
        hids: set[str] = set()
        cids = [c.id for c in constructs]
        gmap = {g.id: g for g in groups}
        for i, h in enumerate(self.seq(value, "hypotheses", required=False)):
            path = f"hypotheses[{i}]"
            h = self.mapping(h, path)
            self.unknown_keys(h, ("id", "construct", "by", "predicts", "source"), path)
            hid = self.ident(h.get("id"), f"{path}.id")
            if hid in hids:
                self.fail(f"{path}.id", f"hypothesis '{hid}' appears twice")
            hids.add(hid)
            construct = self.string(h.get("construct"), f"{path}.construct")
            if construct and construct not in cids:
                self.fail(
                    f"{path}.construct",
                    f"no construct '{construct}'." + did_you_mean(construct, cids),
                )
            by = self.string(h.get("by"), f"{path}.by")
            group = gmap.get(by)
            if by and group is None:
                self.fail(f"{path}.by", f"no grouping question '{by}'." + did_you_mean(by, gmap))
            elif group is not None and group.type != "choice":
                self.fail(f"{path}.by", f"'{by}' is free text; hypotheses compare choice groups")
            predicts = self.string(h.get("predicts"), f"{path}.predicts")
            higher = lower = ""
            if predicts:
                m = _PREDICTS.match(predicts)
                if not m:
                    self.fail(
                        f"{path}.predicts",
                        f"cannot parse '{predicts}'; write it as 'group_a > group_b' with two "
                        "choice codes",
                    )
                else:
                    a, op, b = m.groups()
                    higher, lower = (a, b) if op == ">" else (b, a)
                    if a == b:
                        self.fail(f"{path}.predicts", "compares a group with itself")
                    if group is not None and group.type == "choice":
                        for code in (a, b):
                            if code not in group.codes:
                                self.fail(
                                    f"{path}.predicts",
                                    f"'{code}' is not a choice of '{by}' "
                                    f"({', '.join(group.codes)})."
                                    + did_you_mean(code, group.codes),
                                )
            source = self.string(h.get("source"), f"{path}.source")
            out.append(Hypothesis(id=hid, construct=construct, by=by, higher=higher, lower=lower,
                                  source=source))
        return tuple(out)
