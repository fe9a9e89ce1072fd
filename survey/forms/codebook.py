"""Markdown codebook: every variable with its label, values, keying, construct, hypothesis.

One table per section (respondent key and grouping questions, each construct, attention
checks) and a table of hypotheses with the passage each rests on. With ``lang=None`` the
labels are given in every language of the instrument, separated by `` / ``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from survey.forms import FormSpec

if TYPE_CHECKING:  # pragma: no cover
    from survey.instrument import Group, Instrument, Scale

FORMAT = FormSpec(name="codebook", suffix=".md", label="Markdown codebook (variables, values, "
                  "keying, constructs, hypotheses)")


def _cell(text: str) -> str:
    """Make text safe inside a Markdown table cell."""
    return str(text).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def scale_values(scale: Scale, langs: tuple[str, ...]) -> str:
    """A scale's codes with their labels, as the codebooks show them.

    Parameters
    ----------
    scale : Scale
        The response scale.
    langs : tuple of str
        Languages whose labels are given, joined by `` / ``.

    Returns
    -------
    str
        ``1 = Strongly disagree / 非常不同意; 2 = ...``
    """
    return "; ".join(
        f"{p} = " + " / ".join(scale.labels[lang][i] for lang in langs)
        for i, p in enumerate(scale.points)
    )


def choice_values(group: Group, langs: tuple[str, ...]) -> str:
    """A choice question's codes with their labels: ``china = China / 中国; ...``.

    Parameters
    ----------
    group : Group
        A grouping question of type ``choice``.
    langs : tuple of str
        Languages whose labels are given, joined by `` / ``.

    Returns
    -------
    str
    """
    return "; ".join(
        f"{c.code} = " + " / ".join(c.label[x] for x in langs) for c in group.choices
    )


@dataclass(frozen=True)
class Section:
    """One table of the codebook: a heading, an optional intro, columns and rows of text."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    code: str | None = None
    intro: str | None = None


@dataclass(frozen=True)
class Codebook:
    """The codebook's content, independent of how it is rendered."""

    title: str
    summary: str
    note: str
    sections: tuple[Section, ...]
    #: How each translation was made: ``(language, note)`` from the instrument's
    #: ``translation`` key (e.g. forward translation only, not yet reviewed).
    translation: tuple[tuple[str, str], ...] = ()


def build(instrument: Instrument, lang: str | None = None) -> Codebook:
    """Collect the codebook's tables as plain text (no markup, no escaping).

    Parameters
    ----------
    instrument : Instrument
        The instrument to document.
    lang : str, optional
        Give labels in this language only (default: every language, joined by `` / ``).

    Returns
    -------
    Codebook
        Sections in order: respondent and grouping questions, one per construct,
        attention checks, hypotheses.

    Examples
    --------
    >>> from survey.instrument import load
    >>> book = build(load("lab-culture"), "en")
    >>> book.sections[1].rows[0][:2]
    ('sp1', 'People in my lab actively seek outside attention for their own work.')
    """
    langs = (lang,) if lang else instrument.languages

    def t(mapping) -> str:
        return " / ".join(mapping[x] for x in langs)

    by_construct: dict[str, list[str]] = {}
    for h in instrument.hypotheses:
        by_construct.setdefault(h.construct, []).append(f"{h.id} ({h.predicts})")
    head = ("variable", "label", "values", "keying", "construct", "hypothesis")

    sections: list[Section] = []
    rows = [("respondent_id", "Respondent identifier", "text, unique", "", "", "")]
    for g in instrument.groups:
        values = choice_values(g, langs) if g.type == "choice" else "free text"
        req = " (required)" if g.required else ""
        tested = [h.id for h in instrument.hypotheses if h.by == g.id]
        rows.append((g.id, f"{t(g.text)}{req}", values, "", "", ", ".join(tested)))
    sections.append(Section("Respondent and grouping questions", head, tuple(rows)))

    for c in instrument.constructs:
        values = scale_values(instrument.scales[c.scale], langs)
        hyp = ", ".join(by_construct.get(c.id, []))
        rows = [
            (item.id, t(item.text), values, "reverse" if item.reverse else "forward", c.id, hyp)
            for item in c.items
        ]
        sections.append(Section(t(c.name), head, tuple(rows), code=c.id,
                                intro=t(c.definition)))

    if instrument.checks:
        rows = [
            (chk.id, t(chk.text), scale_values(instrument.scales[chk.scale], langs),
             str(chk.expect))
            for chk in instrument.checks
        ]
        sections.append(Section("Attention checks",
                                ("variable", "label", "values", "expected answer"),
                                tuple(rows)))
    if instrument.hypotheses:
        rows = [
            (h.id, h.construct, h.by, f"{h.higher} > {h.lower}", h.source)
            for h in instrument.hypotheses
        ]
        sections.append(Section("Hypotheses",
                                ("id", "construct", "compared by", "prediction", "source"),
                                tuple(rows)))
    return Codebook(
        title=f"Codebook: {t(instrument.title)}",
        summary=(f"Instrument {instrument.id}, version {instrument.version}; "
                 f"languages: {', '.join(instrument.languages)}."),
        note=("Reverse-keyed items are recoded as min + max - x before scoring; a scale "
              "score is the mean of the construct's items."),
        sections=tuple(sections),
        translation=tuple(instrument.translation.items()),
    )


def write(instrument: Instrument, lang: str | None = None) -> bytes:
    """Render the codebook as UTF-8 Markdown.

    Parameters
    ----------
    instrument : Instrument
        The instrument to document.
    lang : str, optional
        Give labels in this language only (default: every language).

    Returns
    -------
    bytes
    """
    book = build(instrument, lang)
    out: list[str] = [f"# {_cell(book.title)}", ""]
    out += [f"Instrument `{instrument.id}`, version {instrument.version}; "
            f"languages: {', '.join(instrument.languages)}.", ""]
    if book.translation:
        out += ["Translation:", ""]
        out += [f"- `{lang}`: {_cell(note)}" for lang, note in book.translation]
        out.append("")
    out += ["Reverse-keyed items are recoded as `min + max - x` before scoring; a scale "
            "score is the mean of the construct's items.", ""]
    for sec in book.sections:
        title = _cell(sec.title) + (f" (`{sec.code}`)" if sec.code else "")
        out += [f"## {title}", ""]
        if sec.intro:
            out += [_cell(sec.intro), ""]
        out.append("| " + " | ".join(sec.columns) + " |")
        out.append("| " + " | ".join("---" for _ in sec.columns) + " |")
        for row in sec.rows:
            # empty cells as a bare space, as the codebook has always written them
            cells = [f" {_cell(v)} " if v else " " for v in row]
            out.append("|" + "|".join(cells) + "|")
        out.append("")
    return "\n".join(out).encode("utf-8")
