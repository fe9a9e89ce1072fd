"""A small canvas for the report's charts: shapes laid out in points, written as SVG and PNG.

The report's figures are bars, lines, markers and text, laid out by
:mod:`analysis.report.figures`. A :class:`Canvas` holds them in drawing order, in points
(1/72 inch) from the top left corner, and writes them twice from the same coordinates:

- :meth:`Canvas.svg`: SVG with the text kept as text (what the page shows), fonts named
  as in the PNG with ``sans-serif`` after them, for the viewer to choose from;
- :meth:`Canvas.png`: an opaque RGB PNG at a given resolution, drawn with Pillow. Text is
  antialiased by FreeType; markers are drawn at four times the resolution and scaled
  down, so that their edges are smooth too; bars and lines, which are upright, are put
  on whole pixels, as a plotting library snaps them.

Text is measured with FreeType (:func:`text_width`) in the fonts the PNG is drawn with, at
the PNG's resolution (:data:`MEASURE_DPI`), so the layout fits the PNG to the pixel:
DejaVu Sans, shipped in ``analysis/report/fonts`` under its licence there, and for
Chinese characters the first of :data:`CJK_FONTS` installed (:func:`cjk_font`).

Drawing with Pillow instead of a plotting library takes a tenth of the time for these
charts, most of it compressing the PNG: a plotting library lays out and renders every
string glyph by glyph, three times (measuring, PNG, SVG).

Examples
--------
>>> canvas = Canvas(100, 40)
>>> canvas.rect(10, 10, 30, 20, fill="#0072B2")
>>> box = canvas.text(50, 20, "a & b", Font(11))
>>> svg = canvas.svg("Demo").decode()
>>> "a &amp; b</text>" in svg, svg.count("<rect")
(True, 2)
>>> canvas.png(150)[:8] == b"\\x89PNG\\r\\n\\x1a\\n"
True
"""

from __future__ import annotations

import functools
import io
import math
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from survey.outputs import showable

__all__ = ["CJK_FONTS", "MEASURE_DPI", "Canvas", "Font", "cjk_font", "line_height",
           "text_width"]

#: Fonts with Chinese glyphs, first found first used: Linux (Noto/Source Han, WenQuanYi,
#: Droid), macOS (PingFang SC, Hiragino Sans GB) and Windows (Microsoft YaHei, SimHei).
CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB",
             "Microsoft YaHei", "SimHei", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
             "Droid Sans Fallback")
#: Parts of the file names the fonts of :data:`CJK_FONTS` are installed under (lower
#: case); a file is only used when its family name is the one wanted.
_CJK_FILES = {
    "Noto Sans CJK SC": ("notosanscjk", "notosanssc"),
    "Source Han Sans SC": ("sourcehansans",),
    "PingFang SC": ("pingfang",),
    "Hiragino Sans GB": ("hiragino sans gb", "hiraginosansgb"),
    "Microsoft YaHei": ("msyh",),
    "SimHei": ("simhei",),
    "WenQuanYi Zen Hei": ("wqy-zenhei", "wqy_zenhei"),
    "WenQuanYi Micro Hei": ("wqy-microhei", "wqy_microhei"),
    "Droid Sans Fallback": ("droidsansfallback",),
}
_FONTS = Path(__file__).with_name("fonts")
_DEJAVU = {("normal", "normal"): "DejaVuSans.ttf", ("bold", "normal"): "DejaVuSans-Bold.ttf",
           ("normal", "italic"): "DejaVuSans-Oblique.ttf",
           ("bold", "italic"): "DejaVuSans-BoldOblique.ttf"}
#: Text is measured at the resolution of the report's PNG files.
MEASURE_DPI = 150
#: Lines of a text are this many font sizes apart.
LINE_SPACING = 1.2
#: DejaVu Sans's cap height and descent, in font sizes (its units per em are 2048: capitals
#: 1493 high, descent 483): text is centred on its capitals.
_CAP = 1493 / 2048
_ASCENT = 1901 / 2048
_DESCENT = 483 / 2048
#: Markers are drawn at this many times the resolution and scaled down.
_SUPERSAMPLE = 4
@dataclass(frozen=True)
class Font:
    """A font size in points, a weight (``normal``, ``bold``) and a style (``normal``,
    ``italic``); Chinese characters are always drawn upright and regular (the fonts that
    have them come in one face)."""

    size: float
    weight: str = "normal"
    style: str = "normal"


def _is_cjk(char: str) -> bool:
    """Whether ``char`` is drawn from the Chinese font (CJK ideographs, punctuation and
    full-width forms)."""
    code = ord(char)
    return 0x2E80 <= code <= 0x9FFF or 0xF900 <= code <= 0xFAFF or 0xFE30 <= code <= 0xFE4F \
        or 0xFF00 <= code <= 0xFFEF or 0x20000 <= code <= 0x2FA1F


def _clean(text: str) -> str:
    """``text`` as the canvas draws it: line ends (``\\r\\n``, ``\\r``) as ``\\n``, tabs as
    spaces and any character an SVG may not hold or no font draws as U+FFFD
    (:func:`survey.outputs.showable`), so that the SVG is well-formed XML and the PNG
    shows the same text. Labels can be respondents' text (a lab code the report is
    grouped by).

    Examples
    --------
    >>> _clean("a\\tb\\r\\nc\\x01\\ufffe") == "a b\\nc\\ufffd\\ufffd"
    True
    """
    return showable(text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))


def cjk_font() -> str | None:
    """The family of the font with Chinese glyphs the figures use, None when none of
    :data:`CJK_FONTS` is installed (looked up once per process)."""
    found = _cjk_file()
    return None if found is None else found[2]


@functools.lru_cache(maxsize=1)
def _cjk_file() -> tuple[str, int, str] | None:
    """(file, face index, family) of the first of :data:`CJK_FONTS` installed, in its
    regular face (:func:`_regular_first`) when it is installed in several weights."""
    from PIL import ImageFont

    files = _font_files()
    for family in CJK_FONTS:
        parts = _CJK_FILES[family]
        faces = []
        for path in files:
            name = os.path.basename(path).lower()
            if not any(part in name for part in parts):
                continue
            for index in range(32):  # a collection (.ttc) holds several faces
                try:
                    face = ImageFont.truetype(path, size=10, index=index)
                except OSError:
                    break
                if face.getname()[0] == family:
                    faces.append((path, index, face.getname()[1] or ""))
        if faces:
            path, index, _ = min(faces, key=_regular_first)
            return path, index, family
    return None


#: Style names of a family's regular face, best first (Hiragino names its weights W0-W9).
_REGULAR = ("regular", "book", "normal", "roman", "w3", "medium", "w4")


def _regular_first(face: tuple[str, int, str]) -> tuple[int, str, int]:
    """Sort key of a (file, face index, style name) found for a family: the regular face
    first (:data:`_REGULAR`), then any other, each in file and index order. File names
    alone would put ``NotoSansCJK-Bold.ttc`` before ``NotoSansCJK-Regular.ttc``.
    """
    path, index, style = face
    rank = _REGULAR.index(style.lower()) if style.lower() in _REGULAR else len(_REGULAR)
    return rank, path, index


def _font_dirs() -> list[Path]:
    """Where fonts are installed on Linux, macOS and Windows."""
    home = Path.home()
    if sys.platform == "win32":  # pragma: no cover - not tested on Windows
        windir = os.environ.get("WINDIR", r"C:\Windows")
        local = os.environ.get("LOCALAPPDATA", str(home / "AppData" / "Local"))
        return [Path(windir) / "Fonts", Path(local) / "Microsoft" / "Windows" / "Fonts"]
    if sys.platform == "darwin":  # pragma: no cover - not tested on macOS
        return [Path("/System/Library/Fonts"), Path("/System/Library/Fonts/Supplemental"),
                Path("/Library/Fonts"), home / "Library" / "Fonts"]
    data = os.environ.get("XDG_DATA_HOME", str(home / ".local" / "share"))
    return [Path("/usr/share/fonts"), Path("/usr/local/share/fonts"), Path(data) / "fonts",
            home / ".fonts"]


def _font_files() -> list[str]:
    """Every font file in :func:`_font_dirs`, sorted (so the same one is found first on
    every run)."""
    found = []
    for top in _font_dirs():
        for root, _dirs, names in os.walk(top):
            found += [os.path.join(root, n) for n in names
                      if n.lower().endswith((".ttf", ".ttc", ".otf", ".otc"))]
    return sorted(found)


@functools.lru_cache(maxsize=128)
def _face(kind: tuple[str, str] | None, size: float, dpi: float) -> Any:
    """The Pillow font of ``kind`` ((weight, style) of DejaVu Sans, or None for the
    Chinese font) at ``size`` points and ``dpi``."""
    from PIL import ImageFont

    pixels = size * dpi / 72
    if kind is None:
        path, index, _ = _cjk_file()  # type: ignore[misc]  # only asked for when found
        return ImageFont.truetype(path, size=pixels, index=index,
                                  layout_engine=ImageFont.Layout.BASIC)
    return ImageFont.truetype(str(_FONTS / _DEJAVU[kind]), size=pixels,
                              layout_engine=ImageFont.Layout.BASIC)


def _runs(line: str, font: Font) -> list[tuple[str, tuple[str, str] | None]]:
    """``line`` cut into runs of one font: DejaVu Sans in ``font``'s face, and the Chinese
    font (None) for Chinese characters when one is installed."""
    kind = (font.weight, font.style)
    if not any(_is_cjk(c) for c in line) or _cjk_file() is None:
        return [(line, kind)]
    runs: list[tuple[str, tuple[str, str] | None]] = []
    for char in line:
        this = None if _is_cjk(char) else kind
        if runs and runs[-1][1] == this:
            runs[-1] = (runs[-1][0] + char, this)
        else:
            runs.append((char, this))
    return runs


@functools.lru_cache(maxsize=4096)
def _line_width(line: str, font: Font) -> float:
    return sum(_face(kind, font.size, MEASURE_DPI).getlength(run)
               for run, kind in _runs(line, font)) * 72 / MEASURE_DPI


def text_width(text: str, font: Font) -> float:
    """Width in points of the widest line of ``text`` in ``font``, as FreeType lays it
    out at :data:`MEASURE_DPI` (hinted: not quite in proportion to the size).

    Examples
    --------
    >>> round(text_width("Agree", Font(10)), 1), round(text_width("Agree", Font(20)), 1)
    (29.8, 60.0)
    """
    return max(_line_width(line, font) for line in _clean(text).split("\n"))


def line_height(text: str, font: Font) -> float:
    """Height in points of ``text``'s lines: the line spacing for each line but the last,
    and the font's ascent and descent for it."""
    lines = _clean(text).count("\n") + 1
    return (lines - 1) * LINE_SPACING * font.size + (_ASCENT + _DESCENT) * font.size


@dataclass(frozen=True)
class _Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str
    edge: str | None
    edge_width: float


@dataclass(frozen=True)
class _Line:
    x0: float
    y0: float
    x1: float
    y1: float
    colour: str
    width: float


@dataclass(frozen=True)
class _Marker:
    x: float
    y: float
    shape: str
    size: float
    face: str
    edge: str
    edge_width: float


@dataclass(frozen=True)
class _Text:
    x: float
    baselines: tuple[float, ...]
    lines: tuple[str, ...]
    font: Font
    colour: str
    ha: str


def _n(value: float) -> str:
    """A coordinate in the SVG: at most two decimals, no trailing zeros."""
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


class Canvas:
    """Shapes in drawing order on a white ``width`` x ``height`` point page, written as SVG
    (:meth:`svg`) and PNG (:meth:`png`) from the same coordinates (points from the top
    left corner, y downwards).

    Parameters
    ----------
    width, height : float
        Size in points.
    """

    def __init__(self, width: float, height: float) -> None:
        # to the hundredth of a point the SVG writes, so that both files have one size
        self.width = round(float(width), 2)
        self.height = round(float(height), 2)
        self.shapes: list[_Rect | _Line | _Marker | _Text] = []

    def rect(self, x: float, y: float, w: float, h: float, *, fill: str,
             edge: str | None = None, edge_width: float = 0.0) -> None:
        """A rectangle from (``x``, ``y``), ``w`` wide and ``h`` high, filled, with an
        ``edge`` of ``edge_width`` points drawn inside it."""
        self.shapes.append(_Rect(x, y, w, h, fill, edge, edge_width))

    def line(self, x0: float, y0: float, x1: float, y1: float, *, colour: str,
             width: float) -> None:
        """An upright or level line of ``width`` points (an upright one from ``y0`` to
        ``y1`` at ``x0``, a level one from ``x0`` to ``x1`` at ``y0``).

        Raises
        ------
        ValueError
            A slanted line (the charts have none).
        """
        if x0 != x1 and y0 != y1:
            raise ValueError("only upright and level lines are drawn")
        self.shapes.append(_Line(x0, y0, x1, y1, colour, width))

    def marker(self, x: float, y: float, shape: str, *, size: float, face: str,
               edge: str, edge_width: float = 1.0) -> None:
        """A marker centred on (``x``, ``y``), ``size`` points across: ``o`` a circle,
        ``D`` a diamond, ``s`` a square (each filled with ``face``, its edge centred on its
        outline) or ``|`` an upright stroke."""
        if shape not in ("o", "D", "s", "|"):
            raise ValueError(f"unknown marker '{shape}'")
        self.shapes.append(_Marker(x, y, shape, size, face, edge, edge_width))

    def text(self, x: float, y: float, text: str, font: Font, *, colour: str = "#000000",
             ha: str = "left", va: str = "center", background: str | None = None,
             pad: float = 0.0) -> tuple[float, float, float, float]:
        """Write ``text`` (lines split at newlines) at (``x``, ``y``) and return its box
        (left, top, right, bottom) in points.

        ``ha`` puts ``x`` at the ``left``, ``center`` or ``right`` of the widest line;
        ``va`` puts ``y`` at the middle of the capitals (``center``), the ``top`` or the
        ``bottom`` of the text, or the first line's ``baseline``. A ``background`` box with
        ``pad`` points around the text is drawn under it. Characters no SVG can hold or no
        font draws (controls) are written as U+FFFD, tabs as spaces (:func:`_clean`).
        """
        text = _clean(text)
        lines = tuple(text.split("\n"))
        step = LINE_SPACING * font.size
        span = (len(lines) - 1) * step
        if va == "center":
            first = y - span / 2 + _CAP * font.size / 2
        elif va == "top":
            first = y + _ASCENT * font.size
        elif va == "bottom":
            first = y - _DESCENT * font.size - span
        elif va == "baseline":
            first = y
        else:
            raise ValueError(f"unknown vertical alignment '{va}'")
        width = text_width(text, font)
        left = {"left": x, "center": x - width / 2, "right": x - width}[ha]
        box = (left, first - _ASCENT * font.size, left + width,
               first + span + _DESCENT * font.size)
        if background is not None:
            self.rect(box[0] - pad, box[1] - pad, box[2] - box[0] + 2 * pad,
                      box[3] - box[1] + 2 * pad, fill=background)
        baselines = tuple(first + k * step for k in range(len(lines)))
        self.shapes.append(_Text(x, baselines, lines, font, colour, ha))
        return box

    # -- SVG -------------------------------------------------------------------------

    def svg(self, title: str = "") -> bytes:
        """The canvas as an SVG document (UTF-8), text as text; ``title`` is its title
        (read out by screen readers)."""
        families = ["DejaVu Sans"]
        if any(isinstance(s, _Text) and any(_is_cjk(c) for line in s.lines for c in line)
               for s in self.shapes):
            cjk = cjk_font()
            families += [cjk] if cjk else []
        family = ", ".join(f"'{f}'" for f in families) + ", sans-serif"
        w, h = _n(self.width), _n(self.height)
        out = ['<?xml version="1.0" encoding="utf-8"?>\n'
               f'<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="{w}pt" '
               f'height="{h}pt" viewBox="0 0 {w} {h}" role="img">\n']
        if title:
            out.append(f"<title>{escape(_clean(title))}</title>\n")
        out.append(f'<rect width="{w}" height="{h}" fill="#ffffff"/>\n')
        out.append(f'<g font-family="{escape(family)}">\n')
        for shape in self.shapes:
            out.append(_svg_shape(shape))
        out.append("</g>\n</svg>\n")
        return "".join(out).encode("utf-8")

    # -- PNG -------------------------------------------------------------------------

    def png(self, dpi: float, *, compress_level: int = 3) -> bytes:
        """The canvas as an opaque RGB PNG at ``dpi`` (its size in pixels is the size in
        points times ``dpi / 72``, rounded half up), with the resolution recorded and nothing
        else (no date, no software); zlib level ``compress_level``."""
        from PIL import Image, ImageDraw

        scale = dpi / 72
        image = Image.new("RGB", (_round(self.width * scale), _round(self.height * scale)),
                          "#ffffff")
        draw = ImageDraw.Draw(image)
        for shape in self.shapes:
            if isinstance(shape, _Rect):
                _png_rect(draw, shape, scale)
            elif isinstance(shape, _Line):
                _png_line(draw, shape, scale)
            elif isinstance(shape, _Marker):
                _png_marker(image, shape, scale)
            else:
                _png_text(draw, shape, dpi)
        out = io.BytesIO()
        image.save(out, format="png", compress_level=compress_level, dpi=(dpi, dpi))
        return out.getvalue()


def _svg_shape(shape: _Rect | _Line | _Marker | _Text) -> str:
    if isinstance(shape, _Rect):
        edge = "" if shape.edge is None or shape.edge_width <= 0 else (
            # the SVG strokes on the outline: inset by half the width, as the PNG draws it
            f' stroke="{shape.edge}" stroke-width="{_n(shape.edge_width)}"')
        inset = shape.edge_width / 2 if edge else 0.0
        return (f'<rect x="{_n(shape.x + inset)}" y="{_n(shape.y + inset)}" '
                f'width="{_n(max(shape.w - 2 * inset, 0))}" '
                f'height="{_n(max(shape.h - 2 * inset, 0))}" fill="{shape.fill}"{edge}/>\n')
    if isinstance(shape, _Line):
        return (f'<line x1="{_n(shape.x0)}" y1="{_n(shape.y0)}" x2="{_n(shape.x1)}" '
                f'y2="{_n(shape.y1)}" stroke="{shape.colour}" '
                f'stroke-width="{_n(shape.width)}" stroke-linecap="square"/>\n')
    if isinstance(shape, _Marker):
        x, y, r = shape.x, shape.y, shape.size / 2
        paint = (f'fill="{shape.face}" stroke="{shape.edge}" '
                 f'stroke-width="{_n(shape.edge_width)}"')
        if shape.shape == "o":
            return f'<circle cx="{_n(x)}" cy="{_n(y)}" r="{_n(r)}" {paint}/>\n'
        if shape.shape == "D":
            d = r * math.sqrt(2) * 0.85
            return (f'<path d="M{_n(x)} {_n(y - d)}L{_n(x + d)} {_n(y)}L{_n(x)} {_n(y + d)}'
                    f'L{_n(x - d)} {_n(y)}Z" {paint}/>\n')
        if shape.shape == "s":
            s = r * 0.9
            return (f'<rect x="{_n(x - s)}" y="{_n(y - s)}" width="{_n(2 * s)}" '
                    f'height="{_n(2 * s)}" {paint}/>\n')
        return (f'<line x1="{_n(x)}" y1="{_n(y - r)}" x2="{_n(x)}" y2="{_n(y + r)}" '
                f'stroke="{shape.edge}" stroke-width="{_n(shape.edge_width)}"/>\n')
    anchor = {"left": "start", "center": "middle", "right": "end"}[shape.ha]
    style = (' font-weight="bold"' if shape.font.weight == "bold" else "") + (
        ' font-style="italic"' if shape.font.style == "italic" else "")
    head = (f'<text x="{_n(shape.x)}" y="{_n(shape.baselines[0])}" '
            f'font-size="{_n(shape.font.size)}" fill="{shape.colour}" '
            f'text-anchor="{anchor}"{style} xml:space="preserve">')
    if len(shape.lines) == 1:
        return f"{head}{escape(shape.lines[0])}</text>\n"
    spans = "".join(
        f'<tspan x="{_n(shape.x)}" y="{_n(base)}">{escape(line)}</tspan>'
        for line, base in zip(shape.lines, shape.baselines, strict=True))
    return f"{head}{spans}</text>\n"


def _round(value: float) -> int:
    """``value`` to the nearest whole number, halves up (not to even: a 1.2 pt line at
    150 dpi, 2.5 pixels, is 3 pixels wide like a 1.25 pt one)."""
    return math.floor(value + 0.5)


def _pixels(start: float, end: float, scale: float) -> tuple[int, int]:
    """The first and last of the whole pixels from ``start`` to ``end`` points (at least
    one pixel)."""
    a, b = _round(start * scale), _round(end * scale)
    return a, max(b, a + 1) - 1


def _png_rect(draw: Any, rect: _Rect, scale: float) -> None:
    x0, x1 = _pixels(rect.x, rect.x + rect.w, scale)
    y0, y1 = _pixels(rect.y, rect.y + rect.h, scale)
    edge = rect.edge if rect.edge is not None and rect.edge_width > 0 else None
    width = max(1, _round(rect.edge_width * scale)) if edge else 0
    draw.rectangle([x0, y0, x1, y1], fill=rect.fill, outline=edge, width=width)


def _png_line(draw: Any, line: _Line, scale: float) -> None:
    half = line.width / 2
    thick = max(1, _round(line.width * scale))
    if line.y0 == line.y1:  # level: the ends go half the width beyond the points
        x0, x1 = _pixels(min(line.x0, line.x1) - half, max(line.x0, line.x1) + half, scale)
        y0 = _round(line.y0 * scale - thick / 2)
        draw.rectangle([x0, y0, x1, y0 + thick - 1], fill=line.colour)
    else:
        y0, y1 = _pixels(min(line.y0, line.y1) - half, max(line.y0, line.y1) + half, scale)
        x0 = _round(line.x0 * scale - thick / 2)
        draw.rectangle([x0, y0, x0 + thick - 1, y1], fill=line.colour)


def _png_marker(image: Any, marker: _Marker, scale: float) -> None:
    """The marker drawn at :data:`_SUPERSAMPLE` times the scale on a transparent tile,
    scaled down and laid over the image."""
    from PIL import Image, ImageDraw

    k = _SUPERSAMPLE
    reach = (marker.size / 2 * 1.25 + marker.edge_width) * scale
    cx, cy = marker.x * scale, marker.y * scale
    left, top = math.floor(cx - reach) - 1, math.floor(cy - reach) - 1
    side = math.ceil(2 * reach) + 3
    tile = Image.new("RGBA", (side * k, side * k), (0, 0, 0, 0))
    draw = ImageDraw.Draw(tile)
    x, y = (cx - left) * k, (cy - top) * k
    r = marker.size / 2 * scale * k
    edge = max(1, _round(marker.edge_width * scale * k))
    if marker.shape == "|":
        half = edge / 2
        draw.rectangle([x - half, y - r, x + half, y + r], fill=marker.edge)
    else:
        grow = edge / 2  # the edge is centred on the outline
        if marker.shape == "o":
            o = r + grow
            draw.ellipse([x - o, y - o, x + o, y + o], fill=marker.face, outline=marker.edge,
                         width=edge)
        elif marker.shape == "D":
            d = r * math.sqrt(2) * 0.85 + grow * math.sqrt(2)
            corners = [(x, y - d), (x + d, y), (x, y + d), (x - d, y)]
            draw.polygon(corners, fill=marker.edge)
            inner = d - edge * math.sqrt(2)
            if inner > 0:
                draw.polygon([(x, y - inner), (x + inner, y), (x, y + inner), (x - inner, y)],
                             fill=marker.face)
        else:
            s = r * 0.9 + grow
            draw.rectangle([x - s, y - s, x + s, y + s], fill=marker.face,
                           outline=marker.edge, width=edge)
    tile = tile.resize((side, side), Image.Resampling.BOX)
    box = (left, top, left + side, top + side)
    under = image.crop(box).convert("RGBA")
    under.alpha_composite(tile)
    image.paste(under.convert("RGB"), box[:2])


def _png_text(draw: Any, text: _Text, dpi: float) -> None:
    scale = dpi / 72
    for line, base in zip(text.lines, text.baselines, strict=True):
        runs = _runs(line, text.font)
        widths = [_face(kind, text.font.size, dpi).getlength(run) for run, kind in runs]
        x = text.x * scale
        if text.ha != "left":
            x -= sum(widths) / (2 if text.ha == "center" else 1)
        for (run, kind), width in zip(runs, widths, strict=True):
            draw.text((x, base * scale), run, font=_face(kind, text.font.size, dpi),
                      fill=text.colour, anchor="ls")
            x += width
