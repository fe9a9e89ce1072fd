"""The canvas the report's figures are drawn on, checked on the files it writes.

- Any text gives a well-formed SVG (XML 1.0) and a PNG: markup characters are escaped,
  and the characters XML may not hold (C0 controls but tab and line ends, lone
  surrogates, U+FFFE, U+FFFF) or no font draws (C1 controls) are written as U+FFFD in
  both files. The expected strings are written out here from the XML 1.0 ``Char``
  production (https://www.w3.org/TR/xml/#charsets), not from the canvas.
- The Chinese font is found in its regular face when a family is installed in several
  (checked with copies of the shipped DejaVu Sans faces standing in for it).
- A report grouped by a free-text question shows respondents' text (lab codes) on its
  answer charts: with markup and control characters in a code the SVG still parses and
  shows the code.
"""

from __future__ import annotations

import io
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image
from test_report_figures import two_groups

from analysis.report import canvas as canvas_module
from analysis.report import figures
from analysis.report.canvas import Canvas, Font
from analysis.report.tables import prepare_report
from survey.responses.model import ImportLog, ResponseSet
from survey.simulate import simulate

SVG = "{http://www.w3.org/2000/svg}"
REPLACEMENT = "\ufffd"


def _texts(svg: bytes) -> list[str]:
    """The text of each ``<text>`` element, lines (``<tspan>``) joined by newlines."""
    root = ET.fromstring(svg)
    out = []
    for element in root.iter(f"{SVG}text"):
        spans = list(element.iter(f"{SVG}tspan"))
        out.append("\n".join(s.text or "" for s in spans) if spans else element.text or "")
    return out


# every character XML 1.0 forbids, with the C1 controls, one by one: U+FFFD in the file
FORBIDDEN = ([chr(c) for c in range(0x20) if c not in (0x09, 0x0A, 0x0D)]
             + [chr(c) for c in range(0x7F, 0xA0)]
             + ["\ud800", "\udbff", "\udc00", "\udfff", "\ufffe", "\uffff"])


@pytest.mark.parametrize("char", FORBIDDEN, ids=lambda c: f"U+{ord(c):04X}")
def test_forbidden_characters_are_shown_as_replacement(char):
    canvas = Canvas(120, 30)
    canvas.text(5, 15, f"a{char}b", Font(10))
    svg = canvas.svg(f"t{char}")
    root = ET.fromstring(svg)  # well-formed, and encodable (lone surrogates)
    assert root.find(f"{SVG}title").text == f"t{REPLACEMENT}"
    assert _texts(svg) == [f"a{REPLACEMENT}b"]
    assert Image.open(io.BytesIO(canvas.png(72))).size == (120, 30)


def test_markup_tabs_and_line_ends_keep_their_meaning():
    canvas = Canvas(200, 80)
    text = "<b>&amp;</b> \"q\" 'a'\tx\r\ny\rz ]]>"
    box = canvas.text(5, 5, text, Font(10), va="top")
    svg = canvas.svg("A & <B>")
    root = ET.fromstring(svg)
    assert root.find(f"{SVG}title").text == "A & <B>"
    # the markup is text; the tab a space; CR LF and CR each end a line
    assert _texts(svg) == ["<b>&amp;</b> \"q\" 'a' x\ny\nz ]]>"]
    # three lines are laid out (the box), as the SVG has three tspans
    assert box[3] - box[1] == pytest.approx(2 * 1.2 * 10 + (1901 + 483) / 2048 * 10)


def test_png_draws_replacement_where_svg_has_it():
    """A control character is drawn as U+FFFD in the PNG too: the same pixels as the
    text written with U+FFFD."""
    one, two = Canvas(80, 20), Canvas(80, 20)
    one.text(2, 10, "a\x01b\x85c", Font(10))
    two.text(2, 10, f"a{REPLACEMENT}b{REPLACEMENT}c", Font(10))
    assert one.png(150) == two.png(150)
    assert one.svg() == two.svg()


def test_respondents_lab_codes_on_an_answer_chart():
    inst = two_groups(1, hypothesis=False)
    frame = simulate(inst, seed=3, labs=2, respondents_per_lab=(6, 6))
    first = frame["lab"].iloc[0]
    frame["lab"] = frame["lab"].replace({first: 'L<1>&"\x01\x1b\ufffe'})
    rs = ResponseSet(frame, inst, ImportLog(file="x.csv", platform="template",
                                            rows_read=len(frame)))
    data = prepare_report(rs, by="lab")
    png, svg = figures.figure_bytes(figures.likert_chart(data, "c"))
    names = [t for t in _texts(svg) if "(n=" in t]
    assert f'L<1>&"{REPLACEMENT * 3} (n=6)' in names
    assert Image.open(io.BytesIO(png)).format == "PNG"


@pytest.fixture
def fonts_in(tmp_path, monkeypatch):
    """Font discovery walking ``tmp_path`` only, looking for DejaVu Sans as if it were
    the Chinese font; the cached result is cleared before and after."""
    monkeypatch.setattr(canvas_module, "_font_dirs", lambda: [tmp_path])
    monkeypatch.setattr(canvas_module, "CJK_FONTS", ("DejaVu Sans",))
    monkeypatch.setattr(canvas_module, "_CJK_FILES", {"DejaVu Sans": ("dejavusans",)})
    canvas_module._cjk_file.cache_clear()
    yield tmp_path
    canvas_module._cjk_file.cache_clear()


def test_font_discovery_takes_the_regular_face(fonts_in):
    """With a family installed in four faces, the regular one is used, although the bold
    file's name sorts first (``DejaVuSans-Bold.ttf`` < ``DejaVuSans.ttf``), as with
    ``NotoSansCJK-Bold.ttc`` and ``NotoSansCJK-Regular.ttc``. DejaVu Sans names its
    regular face ``Book``."""
    shipped = Path(canvas_module.__file__).with_name("fonts")
    names = ["DejaVuSans-Bold.ttf", "DejaVuSans-BoldOblique.ttf", "DejaVuSans-Oblique.ttf",
             "DejaVuSans.ttf"]
    for name in names:
        shutil.copy(shipped / name, fonts_in / name)
    assert sorted(names)[0] == "DejaVuSans-Bold.ttf"
    assert canvas_module._cjk_file() == (str(fonts_in / "DejaVuSans.ttf"), 0, "DejaVu Sans")


def test_font_discovery_takes_another_face_when_no_regular(fonts_in):
    """Without a regular face, the first file in name order: the same on every run."""
    shipped = Path(canvas_module.__file__).with_name("fonts")
    for name in ("DejaVuSans-Oblique.ttf", "DejaVuSans-Bold.ttf"):
        shutil.copy(shipped / name, fonts_in / name)
    assert canvas_module._cjk_file() == (str(fonts_in / "DejaVuSans-Bold.ttf"), 0,
                                         "DejaVu Sans")


def test_font_discovery_finds_nothing(fonts_in):
    assert canvas_module._cjk_file() is None and canvas_module.cjk_font() is None
