"""Markdown codebook: every variable with its label, values, keying, construct, hypothesis.

One table per section (respondent key and grouping questions, each construct, attention
checks) and a table of hypotheses with the passage each rests on. With ``lang=None`` the
labels are given in every language of the instrument, separated by `` / ``.
"""

from __future__ import annotations

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
    langs = (lang,) if lang else instrument.languages

    def t(mapping) -> str:
        return _cell(" / ".join(mapping[x] for x in langs))

    by_construct: dict[str, list[str]] = {}
    for h in instrument.hypotheses:
        by_construct.setdefault(h.construct, []).append(f"{h.id} ({h.predicts})")

    out: list[str] = []
    out.append(f"# Codebook: {t(instrument.title)}")
    out.append("")
    out.append(f"Instrument `{instrument.id}`, version {instrument.version}; "
               f"languages: {', '.join(instrument.languages)}.")
    out.append("")
    out.append("Reverse-keyed items are recoded as `min + max - x` before scoring; a scale "
               "score is the mean of the construct's items.")
    out.append("")
    head = "| variable | label | values | keying | construct | hypothesis |"
    rule = "| --- | --- | --- | --- | --- | --- |"

    out.append("## Respondent and grouping questions")
    out.append("")
    out.append(head)
    out.append(rule)
    out.append("| respondent_id | Respondent identifier | text, unique | | | |")
    for g in instrument.groups:
        if g.type == "choice":
            values = choice_values(g, langs)
        else:
            values = "free text"
        req = " (required)" if g.required else ""
        tested = [f"{h.id}" for h in instrument.hypotheses if h.by == g.id]
        out.append(f"| {g.id} | {t(g.text)}{req} | {_cell(values)} | | | "
                   f"{', '.join(tested)} |")
    out.append("")

    for c in instrument.constructs:
        scale = instrument.scales[c.scale]
        out.append(f"## {t(c.name)} (`{c.id}`)")
        out.append("")
        out.append(t(c.definition))
        out.append("")
        out.append(head)
        out.append(rule)
        values = _cell(scale_values(scale, langs))
        hyp = ", ".join(by_construct.get(c.id, []))
        for item in c.items:
            keying = "reverse" if item.reverse else "forward"
            out.append(f"| {item.id} | {t(item.text)} | {values} | {keying} | {c.id} | "
                       f"{_cell(hyp)} |")
        out.append("")

    if instrument.checks:
        out.append("## Attention checks")
        out.append("")
        out.append("| variable | label | values | expected answer |")
        out.append("| --- | --- | --- | --- |")
        for chk in instrument.checks:
            scale = instrument.scales[chk.scale]
            out.append(f"| {chk.id} | {t(chk.text)} | {_cell(scale_values(scale, langs))} | "
                       f"{chk.expect} |")
        out.append("")

    if instrument.hypotheses:
        out.append("## Hypotheses")
        out.append("")
        out.append("| id | construct | compared by | prediction | source |")
        out.append("| --- | --- | --- | --- | --- |")
        for h in instrument.hypotheses:
            out.append(f"| {h.id} | {h.construct} | {h.by} | {h.higher} > {h.lower} | "
                       f"{_cell(h.source)} |")
        out.append("")
    return "\n".join(out).encode("utf-8")
