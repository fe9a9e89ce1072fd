"""The codebooks: Markdown and HTML render the same content, escaped for each."""

from __future__ import annotations

from html.parser import HTMLParser

from survey.forms import export
from survey.forms.codebook import build
from survey.instrument import load, loads
from tests.conftest import TINY_YAML


class _Tables(HTMLParser):
    """Collect table cell texts and every tag, for structural assertions."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.tags: list[str] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def _parse(page: bytes) -> _Tables:
    p = _Tables()
    p.feed(page.decode("utf-8"))
    return p


def test_html_codebook_has_every_row_of_the_markdown_one():
    inst = load("lab-culture")
    parsed = _parse(export(inst, "codebook_html"))
    book = build(inst)
    expected = []
    for sec in book.sections:
        expected.append(list(sec.columns))
        expected.extend(list(r) for r in sec.rows)
    assert parsed.rows == expected
    item_rows = [r for r in parsed.rows if r and r[0] in inst.item_ids]
    assert [r[0] for r in item_rows] == list(inst.item_ids)
    for row in item_rows:
        item = inst.item(row[0])
        assert row[1] == f"{item.text['en']} / {item.text['zh']}"
        assert row[3] == ("reverse" if item.reverse else "forward")


def test_html_codebook_is_self_contained_and_escaped():
    hostile = TINY_YAML.replace("{en: A one, zh: 甲一}", '{en: "<script>alert(1)</script>", zh: 甲一}')
    page = export(loads(hostile), "codebook_html")
    text = page.decode("utf-8")
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    parsed = _parse(page)
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    assert "http://" not in text and "https://" not in text


def test_html_codebook_single_language():
    page = export(load("lab-culture"), "codebook_html", "zh").decode("utf-8")
    assert '<html lang="zh">' in page
    assert "非常不同意" in page and "Strongly disagree" not in page


def test_markdown_and_html_share_the_content():
    inst = load("lab-culture")
    md = export(inst, "codebook").decode("utf-8")
    for sec in build(inst).sections:
        for row in sec.rows:
            assert f"| {row[0]} |" in md


def test_translation_note_is_carried_into_codebooks_and_forms():
    """The instrument's translation note ('forward translation only ...') reaches the
    codebooks, the Excel entry template's instructions and the web form's metadata."""
    import io

    import openpyxl

    from survey.forms import export
    from survey.instrument import load

    inst = load("lab-culture")
    note = inst.translation["zh"]
    assert note.startswith("Forward translation only")
    assert f"- `zh`: {note}" in export(inst, "codebook").decode()
    assert f"<code>zh</code>: {note}</p>" in export(inst, "codebook_html").decode()
    assert (f'<meta name="survey-translation" lang="zh" content="{note}">'
            in export(inst, "html").decode())
    wb = openpyxl.load_workbook(io.BytesIO(export(inst, "xlsx")))
    assert wb["instructions"]["A2"].value == f"Translation (zh): {note}"
    wb = openpyxl.load_workbook(io.BytesIO(export(inst, "xlsx", "zh")))
    assert wb["instructions"]["A2"].value == f"翻译说明（zh）：{note}"
