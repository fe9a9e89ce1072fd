"""The report printed to PDF by Debian's chromium keeps every column of every table.

Chromium prints what does not fit the paper by cutting it off: the glyphs beyond the
edge are not in the PDF at all (the sample's report on A4 used to lose the
Comparability column of the hypotheses table, the p columns of the nested and
pairwise tables and the last answer columns of the item tables). So the test prints
the page as a user would (the report's own ``@page`` sizes and margins) and checks,
with pdfminer.six reading the PDF:

- every glyph lies inside its page's content box (the paper less the ``@page``
  margins);
- no text is lost: each character of the page's visible text (figures hidden, whose
  labels are drawn text too) occurs in the PDF at least as often as on the screen
  (repeated table headers and list numbers only add to the PDF);
- the wide tables that are marked for it come out on landscape pages, the rest on
  portrait ones.

Two reports: the small simulated one of ``test_report`` with enough respondents for
every table (nesting, invariance fits, styles), in English and Chinese, and a stress
case: an 11-point scale with long labels and seven groups with long names.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import re
import unicodedata
from collections import Counter

import pytest
from browser import browser_page

from survey.instrument import loads
from survey.responses.model import ImportLog, ResponseSet
from survey.simulate import simulate

pytest.importorskip("pdfminer", reason="pdfminer.six reads the printed PDF (test extra)")

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MM = 72 / 25.4
#: The @page margins of report.css (left and right) in points, and a tolerance.
SIDE_MARGIN = 12 * MM
TOLERANCE = 1.0


def _write(files: dict[str, bytes], folder) -> None:
    for rel, content in files.items():
        path = folder / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)


def _rs(inst, labs: dict[str, int], per_lab: int) -> ResponseSet:
    frame = simulate(inst, seed=3, labs=labs, respondents_per_lab=(per_lab, per_lab),
                     effect=0.6)
    return ResponseSet(frame, inst, ImportLog(file="responses.csv", platform="template",
                                              rows_read=len(frame)))


def _stress_yaml() -> str:
    en = ["0 - Not at all true of my lab", *(str(k) for k in range(1, 10)),
          "10 - Completely true of my lab"]
    zh = ["0（完全不符合）", *(str(k) for k in range(1, 10)), "10（完全符合）"]
    scale = {"points": list(range(11)), "labels": {"en": en, "zh": zh}}
    names = ["National research institutes funded by the government",
             "Large technology companies listed on a stock exchange",
             "Venture-funded start-ups with fewer than fifty people",
             "University laboratories and academic research groups",
             "Non-profit research organisations and foundations",
             "Open-source collectives without a formal organisation",
             "Other kinds of organisation not listed above"]
    choices = [{"code": f"kind_{k}", "label": {"en": n, "zh": f"机构类型{k}"}}
               for k, n in enumerate(names)]
    items = [{"id": f"w{k}", "text": {"en": f"Statement number {k} about the way work is "
                                            "organised, long enough to wrap in a table.",
                                      "zh": f"关于工作组织方式的第{k}条陈述。"},
              "reverse": k == 2} for k in range(1, 4)]
    return "\n".join([
        "id: stress", 'version: "1"', "languages: [en, zh]",
        "title: {en: Stress test of the printed report, zh: 打印测试}",
        f"scales: {{s11: {json.dumps(scale, ensure_ascii=False)}}}",
        "groups:",
        f"  - {json.dumps({'id': 'kind', 'required': True, 'text': {'en': 'Kind of lab', 'zh': '类型'}, 'choices': choices}, ensure_ascii=False)}",
        "  - {id: lab, type: text, required: true, text: {en: Lab, zh: 实验室}}",
        "constructs:",
        f"  - {json.dumps({'id': 'work', 'name': {'en': 'How the work is organised', 'zh': '工作组织'}, 'definition': {'en': 'D', 'zh': '定义'}, 'scale': 's11', 'items': items}, ensure_ascii=False)}",
        "hypotheses:",
        "  - {id: H1, construct: work, by: kind, predicts: kind_0 > kind_1, source: s}",
    ])


def _small():
    from test_report import SMALL_YAML

    return loads(SMALL_YAML, file="small.yaml")


CASES = {
    # 110 per group for the invariance fits; 3 labs and more in each for the mixed model
    "small-en": ("small", "en"),
    "small-zh": ("small", "zh"),
    "stress-en": ("stress", "en"),
}


@pytest.fixture(scope="module")
def computed():
    """The report data of each instrument, computed once (the language only changes the
    words), as ``{name: ReportData}``."""
    from analysis.report import prepare_report

    small = _rs(_small(), {"china": 4, "united_states": 4, "other": 1}, 28)
    stress = _rs(loads(_stress_yaml(), file="stress.yaml"),
                 {f"kind_{k}": 2 for k in range(7)}, 6)
    return {"small": prepare_report(small), "stress": prepare_report(stress)}


def _chars(text: str) -> Counter:
    return Counter(re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)))


def _pdf_pages(pdf: bytes):
    """The pages of a PDF as pdfminer layouts without layout analysis: every glyph an
    ``LTChar`` with its box, in points from the lower left corner of the page."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    manager = PDFResourceManager()
    device = PDFPageAggregator(manager, laparams=None)
    interpreter = PDFPageInterpreter(manager, device)
    for page in PDFPage.get_pages(io.BytesIO(pdf)):
        interpreter.process_page(page)
        yield device.get_result()


def _glyphs(layout):
    from pdfminer.layout import LTChar

    if isinstance(layout, LTChar):
        yield layout
    elif hasattr(layout, "__iter__"):
        for child in layout:
            yield from _glyphs(child)


@pytest.mark.parametrize("case", list(CASES))
def test_printed_report_keeps_every_column_inside_the_page(tmp_path, computed, case):
    from analysis.report import render_report

    name, lang = CASES[case]
    out = tmp_path / "report"
    _write(render_report(dataclasses.replace(computed[name], lang=lang)), out)
    with browser_page() as run:
        page = run.page
        page.emulate_media(media="print")
        page.goto((out / "report.html").as_uri())
        layout = page.evaluate("""() => ({
            tables: document.querySelectorAll('table').length,
            scrolling: Array.from(document.querySelectorAll('.wide')).filter(
                e => getComputedStyle(e).overflowX !== 'visible').length,
            headers: Array.from(document.querySelectorAll('thead')).filter(
                e => getComputedStyle(e).display !== 'table-header-group').length,
            landscape: Array.from(document.querySelectorAll('*')).filter(
                e => getComputedStyle(e).page === 'wide').length,
        })""")
        # figures are hidden: their labels are drawn text and would hide lost characters
        page.add_style_tag(content="figure { display: none !important; }")
        shown = page.evaluate("() => document.body.innerText")
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert run.console_errors == []

    logging.getLogger("pdfminer").setLevel(logging.ERROR)  # font descriptor chatter
    pages = list(_pdf_pages(pdf))
    outside, printed = [], Counter()
    for number, p in enumerate(pages, 1):
        low, high = SIDE_MARGIN - TOLERANCE, p.width - SIDE_MARGIN + TOLERANCE
        for glyph in _glyphs(p):
            printed.update(_chars(glyph.get_text()))
            if glyph.x0 < low or glyph.x1 > high or glyph.y0 < 0 or glyph.y1 > p.height:
                outside.append((number, glyph.get_text(), round(glyph.x0), round(glyph.x1)))
    assert outside == [], outside[:20]
    lost = {c: (n, printed[c]) for c, n in _chars(shown).items() if printed[c] < n}
    assert lost == {}, "characters on the page but missing from the PDF (shown, printed)"

    assert layout["tables"] >= 8 and layout["scrolling"] == 0 and layout["headers"] == 0
    landscape = sum(p.width > p.height for p in pages)
    if case.startswith("stress"):
        # the 11-point item table and the seven-group style table print landscape
        assert layout["landscape"] == 2 and landscape >= 1
    else:
        assert layout["landscape"] == 0 and landscape == 0
