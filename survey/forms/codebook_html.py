"""HTML codebook: the Markdown codebook's tables as one self-contained, printable page.

The content comes from :func:`survey.forms.codebook.build`, so both codebooks always say
the same thing; only the rendering differs. Every text is escaped by jinja2's autoescape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from survey.forms import FormSpec

if TYPE_CHECKING:  # pragma: no cover
    from survey.instrument import Instrument

FORMAT = FormSpec(name="codebook_html", suffix=".html",
                  label="HTML codebook (the Markdown codebook as a printable page)")


def write(instrument: Instrument, lang: str | None = None) -> bytes:
    """Render the codebook as a self-contained UTF-8 HTML page.

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
    import jinja2

    from survey.forms.codebook import build

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("survey.forms", "templates"),
        autoescape=True,
        keep_trailing_newline=True,
    )
    page = env.get_template("codebook.html.j2").render(
        book=build(instrument, lang), lang=lang or instrument.languages[0]
    )
    return page.encode("utf-8")
