"""The report's figures, as PNG and SVG bytes that are the same on every run.

- :func:`forest_plot`: Hedges' g with its 95 % CI per hypothesis, the predicted side
  shaded (the differences are taken as the group predicted higher minus the other, so
  the predicted side is always right of zero), and the lab-aware interval beneath when
  the mixed model was used.
- :func:`likert_chart`: the answers to each item of a construct by group as diverging
  stacked bars (Heiberger & Robbins 2014): disagreement left of zero, agreement right,
  the neutral answer split across zero; shares among those who answered.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies); verdicts differ by marker shape as well as colour. Each chart is laid out
here, in points, on a :class:`~analysis.report.canvas.Canvas`, which writes it as SVG
(text as text, for the page) and as PNG at :data:`PNG_DPI` (for ``figures/``) from the
same coordinates; the bytes depend only on the data (and, for the PNG, on the FreeType
that Pillow ships; for Chinese text, on the Chinese font installed, which also sets the
layout: see :func:`analysis.report.canvas.cjk_font`).
"""

from __future__ import annotations

import math
import textwrap
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from analysis.report.canvas import (
    MEASURE_DPI,
    Canvas,
    Font,
    cjk_font,
    line_height,
    text_width,
)
from analysis.report.text import label

if TYPE_CHECKING:  # pragma: no cover
    from analysis.report.tables import ReportData

__all__ = ["OKABE_ITO", "Chart", "Figures", "answer_chart_jobs", "draw_figure",
           "figure_bytes", "figure_jobs", "forest_plot", "legend_layout", "likert_chart",
           "make_figures", "start_figures"]

#: The Okabe-Ito colour-blind-safe palette.
OKABE_ITO = {
    "orange": "#E69F00", "sky_blue": "#56B4E9", "green": "#009E73", "yellow": "#F0E442",
    "blue": "#0072B2", "vermillion": "#D55E00", "purple": "#CC79A7", "black": "#000000",
    "grey": "#999999",
}
#: Disagreement colours from the extreme answer inwards, agreement likewise.
_LEFT = ["#D55E00", "#E69F00", "#F2C57C", "#F8E0B8"]
_RIGHT = ["#0072B2", "#56B4E9", "#A7D5F2", "#D3EAF8"]
_NEUTRAL = "#BDBDBD"
_SHADE = "#E3F0F9"
#: Further shades of the two sides for scales with more than four points on a side
#: (from the extreme answer inwards, interpolated towards white).
_LEFT_END, _RIGHT_END = "#7F2704", "#08306B"

#: Marker and colour per verdict.
_VERDICT_STYLE = {
    "supported": ("o", OKABE_ITO["blue"], OKABE_ITO["blue"]),
    "contrary": ("D", OKABE_ITO["vermillion"], OKABE_ITO["vermillion"]),
    "not supported": ("o", "white", OKABE_ITO["black"]),
    "equivalent": ("s", "white", OKABE_ITO["green"]),
}

#: The forest plot's axis reaches at most this far either side of zero (times 1.1), in
#: standard deviations.
_G_REACH = 10.0
#: Room left at the edges of a figure, the length of the tick marks and the gap between
#: a tick and its label, and the width of the axes' lines, in points.
_PAD = 4.0
_TICK = 3.5
_TICK_PAD = 3.5
_AXIS_WIDTH = 0.8
#: Sizes of the tick labels, the answer charts' group names and item headings, and their
#: percentages, in points.
_TICK_FONT = Font(11)
_GROUP_FONT = Font(10)
_SHARE_FONT = Font(9)
#: Legend spacing, in font sizes (the length and height of a handle, the gap to its
#: text, between columns, between rows and around the legend) and the largest number of
#: lines a wrapped legend label may take.
_LEGEND = {"handlelength": 1.6, "handleheight": 0.7, "handletextpad": 0.5,
           "columnspacing": 1.2, "labelspacing": 0.5, "borderpad": 0.4}
_LEGEND_SIZES = (9.0, 8.0, 7.0)
_LEGEND_MAX_LINES = 3
#: Group names on the answer charts are wrapped at this many columns (a Chinese character
#: takes two), onto at most three lines.
_GROUP_CHARS = 28

Figures = dict[str, tuple[bytes, bytes]]

#: Resolution of the PNG files in ``figures/``.
PNG_DPI = MEASURE_DPI  # the canvas measures text at this resolution, to fit to the pixel
#: zlib level of the PNG files: 3 takes two thirds of the time of Pillow's default (6)
#: for files 2 % larger.
_PNG_COMPRESSION = 3


@dataclass
class Chart:
    """A figure laid out: its canvas and its title (the SVG's, for screen readers)."""

    canvas: Canvas
    title: str


def _cjk_font() -> str | None:
    """A font with Chinese glyphs, if one is installed (looked up once per process:
    every figure and text of a Chinese report asks)."""
    return cjk_font()


def figure_bytes(fig: Chart) -> tuple[bytes, bytes]:
    """The figure as (PNG, SVG) bytes with no date or software stamp: the PNG at
    :data:`PNG_DPI`, opaque RGB, at zlib level 3; the SVG with its text as text. Both are
    drawn from the one layout."""
    return (fig.canvas.png(PNG_DPI, compress_level=_PNG_COMPRESSION),
            fig.canvas.svg(fig.title))


def _text_ok(lang: str) -> bool:
    """Whether Chinese text can be drawn (else figures fall back to ids and codes)."""
    return lang != "zh" or _cjk_font() is not None


@dataclass(frozen=True)
class _Axes:
    """Where the data go: ``x`` from ``xlim[0]`` at ``left`` to ``xlim[1]`` at ``right``,
    ``y`` from ``ylim[0]`` at ``bottom`` up to ``ylim[1]`` at ``top`` (points)."""

    left: float
    top: float
    right: float
    bottom: float
    xlim: tuple[float, float]
    ylim: tuple[float, float]

    def x(self, value: float) -> float:
        lo, hi = self.xlim
        return self.left + (value - lo) / (hi - lo) * (self.right - self.left)

    def y(self, value: float) -> float:
        lo, hi = self.ylim
        return self.bottom - (value - lo) / (hi - lo) * (self.bottom - self.top)


def nice_ticks(lo: float, hi: float, most: int = 6) -> list[float]:
    """Ticks between ``lo`` and ``hi`` at a round step (1, 2, 2.5 or 5 times a power of
    ten), at most about ``most`` intervals apart.

    Examples
    --------
    >>> nice_ticks(-1.45, 1.45)
    [-1.0, -0.5, 0.0, 0.5, 1.0]
    >>> nice_ticks(-0.55, 0.55)
    [-0.4, -0.2, 0.0, 0.2, 0.4]
    """
    raw = (hi - lo) / most
    power = 10.0 ** math.floor(math.log10(raw))
    step = next(s * power for s in (1, 2, 2.5, 5, 10) if s * power >= raw * (1 - 1e-9))
    first, last = math.ceil(lo / step - 1e-9), math.floor(hi / step + 1e-9)
    return [round(k * step, 12) + 0.0 for k in range(first, last + 1)]


def _tick_labels(ticks: list[float]) -> list[str]:
    """Tick values with the decimals their step needs, and a true minus sign."""
    step = abs(ticks[1] - ticks[0]) if len(ticks) > 1 else 1.0
    decimals = next(d for d in range(10) if abs(round(step, d) - step) < 1e-9)
    decimals = max(decimals, 1) if any(t != int(t) for t in ticks) or step < 1 else decimals
    return [f"{t:.{decimals}f}".replace("-", "\u2212") for t in ticks]


def _legend_size(labels: list[str], ncol: int, font: Font) -> tuple[list[float], float]:
    """Column widths and height (points) of a legend of ``labels`` read row by row in
    ``ncol`` columns."""
    size = font.size
    per = (_LEGEND["handlelength"] + _LEGEND["handletextpad"]) * size
    columns = [max(text_width(t, font) for t in labels[j::ncol]) + per for j in range(ncol)]
    rows = [labels[i:i + ncol] for i in range(0, len(labels), ncol)]
    heights = [max(max(line_height(t, font) for t in row), _LEGEND["handleheight"] * size)
               for row in rows]
    height = (sum(heights) + (len(rows) - 1) * _LEGEND["labelspacing"] * size
              + 2 * _LEGEND["borderpad"] * size)
    return columns, height


#: Draws a legend handle given the centre of its box and the font size.
_Handle = Callable[[float, float, float], None]


def _draw_legend(canvas: Canvas, entries: list[tuple[_Handle, str]], ncol: int, font: Font,
                 bottom: float) -> None:
    """A legend of (draw handle, label) ``entries``, read row by row in ``ncol``
    columns, centred across the canvas and ending at ``bottom``; each handle is drawn by
    its function given the centre of its box and the font size."""
    labels = [text for _, text in entries]
    columns, height = _legend_size(labels, ncol, font)
    size = font.size
    spacing = _LEGEND["columnspacing"] * size
    total = sum(columns) + (ncol - 1) * spacing
    top = bottom - height + _LEGEND["borderpad"] * size
    starts = [(canvas.width - total) / 2 + sum(columns[:j]) + j * spacing
              for j in range(ncol)]
    for i in range(0, len(entries), ncol):
        row = entries[i:i + ncol]
        row_height = max(max(line_height(t, font) for _, t in row),
                         _LEGEND["handleheight"] * size)
        middle = top + row_height / 2
        for j, (handle, text) in enumerate(row):
            handle(starts[j] + _LEGEND["handlelength"] * size / 2, middle, size)
            canvas.text(starts[j] + (_LEGEND["handlelength"] + _LEGEND["handletextpad"]) * size,
                        middle, text, font)
        top += row_height + _LEGEND["labelspacing"] * size


def _x_grid(canvas: Canvas, axes: _Axes, ticks: list[float], colour: str) -> None:
    """Grid lines up the axes at ``ticks`` (drawn first, under the data)."""
    for t in ticks:
        canvas.line(axes.x(t), axes.top, axes.x(t), axes.bottom, colour=colour, width=0.6)


def _x_ticks(canvas: Canvas, axes: _Axes, ticks: list[float], labels: list[str]) -> None:
    """The bottom spine, tick marks and tick labels (drawn over the data)."""
    canvas.line(axes.left, axes.bottom, axes.right, axes.bottom, colour="#000000",
                width=_AXIS_WIDTH)
    for t, text in zip(ticks, labels, strict=True):
        x = axes.x(t)
        canvas.line(x, axes.bottom, x, axes.bottom + _TICK, colour="#000000",
                    width=_AXIS_WIDTH)
        canvas.text(x, axes.bottom + _TICK + _TICK_PAD, text, _TICK_FONT, ha="center",
                    va="top")


def forest_plot(data: ReportData) -> Chart:
    """Hedges' g with 95 % CI per hypothesis; the predicted side (g > 0) shaded.

    The marker shows the verdict. When the hypothesis was tested with the lab-aware
    mixed model, a thin grey line under it shows that model's standardised difference
    with its 95 % t interval. Hypotheses that could not be tested, or have no g (groups
    without variance), are listed without a point, with their verdict in words. The axis
    reaches at most 11 SD either side; intervals are cut at its ends.
    """
    hyp = data.tables["hypotheses"]
    lang = data.lang
    words = _text_ok(lang)
    say = lang if words else "en"  # the figure's own words, in English without the font
    n = len(hyp)
    width, height = 9 * 72, (0.55 * max(n, 1) + 1.6) * 72
    canvas = Canvas(width, height)
    mixed = hyp["test"] == "mixed"
    bounds = [*hyp["g_ci_low"], *hyp["g_ci_high"]]
    if mixed.any():
        bounds += [*hyp.loc[mixed, "std_ci_low"], *hyp.loc[mixed, "std_ci_high"]]
    finite = [float(v) for v in bounds if math.isfinite(float(v))]
    # at most _G_REACH: a standardised difference far beyond it (a group answering as
    # one, with no variance) runs off the axes rather than squeezing every other row
    reach = min(max([abs(v) for v in finite] + [0.5]), _G_REACH) * 1.1
    labels = []
    for row in hyp.itertuples(index=False):
        construct = data.instrument.construct(row.construct)
        name = " ".join(data.text(construct.name).split()) if words else row.construct
        # a long name is cut so that the axes keep at least half the width
        labels.append(_shorten(f"{row.hypothesis}  {name}", _TICK_FONT, 0.45 * width))
    ticks = nice_ticks(-reach, reach)
    tick_labels = _tick_labels(ticks)
    xlabel = "Hedges' g [95% CI]"
    title_font = Font(10)
    title = f"{label('as_predicted', say)} \u2192"

    # the legend
    handles: list[tuple[_Handle, str]] = []
    for verdict, (marker, face, edge) in _VERDICT_STYLE.items():
        if verdict == "equivalent" and not (hyp["verdict"] == "equivalent").any():
            continue

        def handle(x: float, y: float, _size: float, marker: str = marker, face: str = face,
                   edge: str = edge) -> None:
            canvas.marker(x, y, marker, size=8, face=face, edge=edge, edge_width=1.0)
        handles.append((handle, label(verdict, say)))
    if mixed.any():
        def lab_handle(x: float, y: float, size: float) -> None:
            half = _LEGEND["handlelength"] * size / 2
            canvas.line(x - half, y, x + half, y, colour=OKABE_ITO["grey"], width=1.2)
            canvas.marker(x, y, "|", size=7, face=OKABE_ITO["grey"], edge=OKABE_ITO["grey"])
        handles.append((lab_handle, label("forest_lab_interval", say)))
    legend_font = Font(11)
    _, legend_height = _legend_size([t for _, t in handles], len(handles), legend_font)

    # the layout: labels left of the axes, the title above, ticks, x label and legend below
    label_width = max([text_width(t, _TICK_FONT) for t in labels] + [0.0])
    left = _PAD + label_width + _TICK_PAD + _TICK
    right = width - _PAD - max(text_width(t, _TICK_FONT) for t in tick_labels) / 2
    top = _PAD + line_height(title, title_font) + 6.0
    bottom = (height - _PAD - legend_height - 4.0 - line_height(xlabel, _TICK_FONT) - 4.0
              - line_height("0", _TICK_FONT) - _TICK_PAD - _TICK)
    axes = _Axes(left, top, right, bottom, (-reach, reach), (-0.7, n - 0.3))

    canvas.rect(axes.x(0), top, right - axes.x(0), bottom - top, fill=_SHADE)
    _x_grid(canvas, axes, ticks, "#DDDDDD")
    canvas.line(axes.x(0), top, axes.x(0), bottom, colour=OKABE_ITO["black"], width=1.0)
    for i, row in enumerate(hyp.itertuples(index=False)):
        y = axes.y(n - 1 - i)
        if row.verdict == "not testable" or not math.isfinite(row.hedges_g):
            # no g to show (a tested hypothesis whose groups have no variance): the verdict
            canvas.text(axes.x(0.02 * reach), y, label(row.verdict, say),
                        Font(11, style="italic"), colour=OKABE_ITO["grey"])
            continue
        marker, face, edge = _VERDICT_STYLE[row.verdict]
        if bool(mixed.iloc[i]):
            low = axes.y(n - 1 - i - 0.25)
            _interval(canvas, axes, row.std_ci_low, row.std_ci_high, low,
                      colour=OKABE_ITO["grey"], width=1.2)
            if abs(row.std_diff) <= reach:
                canvas.marker(axes.x(row.std_diff), low, "|", size=7,
                              face=OKABE_ITO["grey"], edge=OKABE_ITO["grey"])
        _interval(canvas, axes, row.g_ci_low, row.g_ci_high, y, colour=edge, width=2)
        if abs(row.hedges_g) <= reach:
            canvas.marker(axes.x(row.hedges_g), y, marker, size=9, face=face, edge=edge,
                          edge_width=1.5)
    # the left spine with a tick and label per hypothesis, then the bottom axis
    canvas.line(left, top, left, bottom, colour="#000000", width=_AXIS_WIDTH)
    for i, text in enumerate(labels):
        y = axes.y(n - 1 - i)
        canvas.line(left - _TICK, y, left, y, colour="#000000", width=_AXIS_WIDTH)
        canvas.text(left - _TICK - _TICK_PAD, y, text, _TICK_FONT, ha="right")
    _x_ticks(canvas, axes, ticks, tick_labels)
    labels_bottom = bottom + _TICK + _TICK_PAD + line_height("0", _TICK_FONT)
    canvas.text((left + right) / 2, labels_bottom + 4.0, xlabel, _TICK_FONT, ha="center",
                va="top")
    canvas.text(right, top - 6.0, title, title_font, colour=OKABE_ITO["blue"], ha="right",
                va="bottom")
    _draw_legend(canvas, handles, len(handles), legend_font, height - _PAD)
    return Chart(canvas, "Hedges' g [95% CI] per hypothesis")


def _interval(canvas: Canvas, axes: _Axes, low: float, high: float, y: float, *,
              colour: str, width: float) -> None:
    """A level line from ``low`` to ``high`` at ``y``, cut at the axes' ends; nothing
    when an end is missing (NaN) or the interval lies beyond the axes."""
    lo, hi = axes.xlim
    if math.isnan(low) or math.isnan(high):
        return
    start, end = max(float(low), lo), min(float(high), hi)
    if start <= end:
        canvas.line(axes.x(start), y, axes.x(end), y, colour=colour, width=width)


def _mix(colour: str, other: str, t: float) -> str:
    """``colour`` moved a share ``t`` of the way to ``other`` (hex RGB)."""
    a = [int(colour[k:k + 2], 16) for k in (1, 3, 5)]
    b = [int(other[k:k + 2], 16) for k in (1, 3, 5)]
    return "#" + "".join(f"{round(x + (y - x) * t):02X}" for x, y in zip(a, b, strict=True))


def _side_colours(points: list[int], midpoint: float) -> list[str]:
    """The bar colour of each scale point: :data:`_LEFT` below the midpoint, grey on it,
    :data:`_RIGHT` above, each from the extreme answer inwards; a side with more than
    four points is shaded evenly from a darker end towards white."""
    left = [p for p in points if p < midpoint]
    right = [p for p in points if p > midpoint]

    def ramp(base: list[str], k: int, end: str) -> list[str]:
        if k <= len(base):
            return base[:k]
        return [_mix(end, "#FFFFFF", 0.75 * i / (k - 1)) for i in range(k)]

    colours = ramp(_LEFT, len(left), _LEFT_END)
    colours += [_NEUTRAL] * sum(1 for p in points if p == midpoint)
    colours += ramp(_RIGHT, len(right), _RIGHT_END)[::-1]
    return colours


def _wrap(label: str, chars: int) -> str:
    """``label`` broken into lines of at most ``chars`` columns between words, a Chinese
    character taking two columns (it is about twice as wide as a Latin letter) and
    breaking anywhere (Chinese has no spaces); runs of spaces are folded into one.

    Examples
    --------
    >>> print(_wrap("Neither agree nor disagree", 12))
    Neither
    agree nor
    disagree
    >>> print(_wrap("既不同意也不反对", 8))
    既不同意
    也不反对
    """
    if not any(_wide(c) for c in label):
        lines = textwrap.wrap(label, chars, break_on_hyphens=False, break_long_words=False)
        return "\n".join(lines) or label
    # Latin words and single Chinese characters, each with whether a space came before
    # it, filled greedily; a Latin word is not broken, and closing punctuation stays at
    # the end of the line before
    tokens: list[tuple[str, bool]] = []
    space = False
    for char in label:
        if char.isspace():
            space = bool(tokens)
        elif tokens and not space and (
                char in _NO_LINE_START
                or not _wide(char) and not _wide(tokens[-1][0][-1])):
            tokens[-1] = (tokens[-1][0] + char, tokens[-1][1])
        else:
            tokens.append((char, space))
            space = False
    lines: list[str] = []
    line, used = "", 0
    for token, spaced in tokens:
        need = _columns(token) + (1 if spaced and line else 0)
        if line and used + need > chars:
            lines.append(line)
            line, used = token, _columns(token)
        else:
            line += (" " if spaced and line else "") + token
            used += need
    lines.append(line)
    return "\n".join(lines)


#: Punctuation a Chinese line does not start with.
_NO_LINE_START = frozenset("，。、；：！？）》」』】〉”’…·%")


def _first_lines(text: str, most: int) -> str:
    """The first ``most`` lines of ``text``, the last ended with an ellipsis when lines
    were left out."""
    lines = text.split("\n")
    if len(lines) <= most:
        return text
    return "\n".join(lines[:most - 1] + [lines[most - 1] + "…"])


def _columns(text: str) -> int:
    """Columns ``text`` takes: two for each wide (Chinese) character, one for others."""
    return sum(2 if _wide(c) else 1 for c in text)


def legend_layout(labels: list[str], width: float) -> tuple[list[str], int, float]:
    """Fit a legend of ``labels`` (one per scale point, in order) into ``width`` points.

    Tries, in order of preference, the largest font of :data:`_LEGEND_SIZES`, then one
    row before several, then labels as they are before wrapping them onto at most
    :data:`_LEGEND_MAX_LINES` lines; the first layout whose measured width (text widths
    from FreeType, plus handles and spacing) fits is used. Several rows are read row by
    row, as the scale runs.

    Parameters
    ----------
    labels : list of str
        Legend labels.
    width : float
        Room in points (the figure's width less its margins).

    Returns
    -------
    (list of str, int, float)
        The labels (with line breaks), the number of columns and the font size.

    Examples
    --------
    >>> labels, ncol, size = legend_layout(["Strongly disagree"] * 7, 700)
    >>> ncol, size, labels[0]
    (7, 9.0, 'Strongly\\ndisagree')
    >>> legend_layout(["no", "yes"], 700)
    (['no', 'yes'], 2, 9.0)
    """
    n = len(labels)
    longest = max((_columns(t) for t in labels), default=1)
    fallback: tuple[list[str], int, float] = ([], 1, _LEGEND_SIZES[-1])
    for size in _LEGEND_SIZES:
        font = Font(size)
        for rows in range(1, n + 1):
            ncol = math.ceil(n / rows)
            if rows > 1 and math.ceil(n / (ncol)) != rows:
                continue  # the same layout as fewer rows
            for chars in range(longest, min(longest, 4) - 1, -1):
                wrapped = [_wrap(t, chars) for t in labels]
                if max(t.count("\n") + 1 for t in wrapped) > _LEGEND_MAX_LINES:
                    break
                columns, _ = _legend_size(wrapped, ncol, font)
                total = (sum(columns) + (ncol - 1) * _LEGEND["columnspacing"] * size
                         + 2 * _LEGEND["borderpad"] * size)
                if total <= width:
                    return wrapped, ncol, size
                fallback = (wrapped, ncol, size)
    return fallback[0] or list(labels), fallback[1], fallback[2]


def _shorten(text: str, font: Font, room: float) -> str:
    """``text`` cut and ended with an ellipsis so that it fits ``room`` points (as it is
    when it fits; its spacing kept): after a word, or after any Chinese character (Chinese
    has no spaces), unless that would keep less than two thirds of what fits when cut
    after any character (a long word, a text with no spaces).

    Examples
    --------
    >>> _shorten("H1  Attention to the business of AI", Font(11), 120)
    'H1  Attention to…'
    >>> _shorten("Supercalifragilisticexpialidocious", Font(11), 60)
    'Supercal…'
    """
    if text_width(text, font) <= room:
        return text
    cuts = [k for k in range(1, len(text))
            if (text[k] == " " and text[k - 1] != " ") or _wide(text[k - 1])]
    fit = _longest_fit(text, cuts, font, room) or 0
    anywhere = _longest_fit(text, list(range(1, len(text))), font, room) or 1
    return text[:fit if 3 * fit >= 2 * anywhere else anywhere] + "…"


def _longest_fit(text: str, cuts: list[int], font: Font, room: float) -> int | None:
    """The largest of the ascending ``cuts`` at which ``text`` cut and ended with an
    ellipsis fits ``room`` points, None when none does (found by bisection: a longer
    start of a text is no narrower)."""
    lo, hi, best = 0, len(cuts) - 1, None
    while lo <= hi:
        mid = (lo + hi) // 2
        if text_width(text[:cuts[mid]] + "…", font) <= room:
            best, lo = cuts[mid], mid + 1
        else:
            hi = mid - 1
    return best


def _wide(char: str) -> bool:
    """Whether ``char`` is a wide (East Asian) character, about two Latin letters wide."""
    return unicodedata.east_asian_width(char) in ("W", "F")


def likert_chart(data: ReportData, construct_id: str) -> Chart:
    """Diverging stacked bars of the answers to each item of a construct, by group.

    Each item has a heading row (id, (R) when reverse keyed, the item text) and one
    bar per reported group; a group with fewer than ``min_group_n`` answers to an item
    gets no bar.
    """
    inst = data.instrument
    lang = data.lang
    words = _text_ok(lang)
    construct = inst.construct(construct_id)
    scale = inst.scales[construct.scale]
    points = list(scale.points)
    mid = scale.midpoint
    colours = _side_colours(points, mid)
    shares = data.group_shares[data.group_shares["construct"] == construct_id]
    groups = list(data.comparison.groups)

    rows_per_item = len(groups) + 1
    n_rows = len(construct.items) * rows_per_item
    # long group names are wrapped (at most three lines), and their rows made taller
    names = {g: _first_lines(_wrap(data.group_label(data.by, g) if words else g,
                                   _GROUP_CHARS), 3) for g in groups}
    lines = max((t.count("\n") + 1 for t in names.values()), default=1)
    row_height = 0.32 * (1 + 0.45 * (lines - 1))
    width, height = 10 * 72, (row_height * n_rows + 1.5) * 72
    canvas = Canvas(width, height)

    # what each row shows: a heading, or a group's bar (the shares left and right of zero)
    heading_font = Font(10, weight="bold" if lang == "en" else "normal")  # CJK: one face
    rows: list[tuple[str, object]] = []
    for item in construct.items:
        head = f"{item.id}{' (R)' if item.reverse else ''}"
        if words:
            # on one line, cut to the width of the figure below
            head += "  " + " ".join(data.text(item.text).split())
        rows.append(("head", head))
        for g in groups:
            cell = shares[(shares["item"] == item.id) & (shares["group"] == g)]
            n = int(cell["n"].iloc[0]) if len(cell) else 0
            bar = None
            if n >= data.min_group_n:
                share = dict(zip(cell["point"], cell["share"], strict=True))
                values = [float(share.get(p, 0.0)) for p in points]
                below = sum(v for v, p in zip(values, points, strict=True) if p < mid)
                neutral = sum(v for v, p in zip(values, points, strict=True) if p == mid)
                bar = (values, below, neutral)
            rows.append(("group", (f"{names[g]} (n={n})", bar)))

    legend_labels = [scale.label(p, lang) if words else str(p) for p in points]
    legend_labels, ncol, size = legend_layout(legend_labels, width * 0.94)
    legend_font = Font(size)
    _, legend_height = _legend_size(legend_labels, ncol, legend_font)

    # the layout: group names left of the axes; the shares' labels may reach past the
    # bars on either side, so the axes are moved right of the names and made narrow
    # enough for the longest to fit
    group_labels = [r[1][0] for r in rows if r[0] == "group"]  # type: ignore[index]
    left = _PAD + max([text_width(t, _GROUP_FONT) for t in group_labels] + [0.0]) + _TICK_PAD
    tick_labels = ["100%", "50%", "0", "50%", "100%"]
    lefts, rights = [], []  # (reach from zero as a share of half the axes, label width)
    for kind, content in rows:
        if kind == "group" and content[1] is not None:  # type: ignore[index]
            _, below, neutral = content[1]  # type: ignore[index]
            above = 1 - below - neutral
            lefts.append((below + neutral / 2 + 0.01, text_width(f"{below:.0%}", _SHARE_FONT)))
            rights.append((above + neutral / 2 + 0.01,
                           text_width(f"{above:.0%}", _SHARE_FONT)))
    gap, half = _bar_axes(width - _PAD - left, text_width("100%", _TICK_FONT) / 2, lefts,
                          rights)
    top = _PAD
    bottom = (height - _PAD - legend_height - 4.0 - line_height("0", _TICK_FONT)
              - _TICK_PAD - _TICK)
    axes = _Axes(left + gap, top, left + gap + 2 * half, bottom, (-1.0, 1.0),
                 (-0.6, n_rows - 0.4))

    ticks = [-1.0, -0.5, 0.0, 0.5, 1.0]
    _x_grid(canvas, axes, ticks, "#E5E5E5")
    bar_height = 0.78 * (axes.y(0) - axes.y(1))
    labels_after: list[tuple[float, float, str, str]] = []
    y = n_rows
    for kind, content in rows:
        y -= 1
        centre = axes.y(y)
        if kind == "head":
            continue
        name, bar = content  # type: ignore[misc]
        canvas.text(left - _TICK_PAD, centre, name, _GROUP_FONT, ha="right")
        if bar is None:
            continue
        values, below, neutral = bar
        start = -(below + neutral / 2)
        for value, colour in zip(values, colours, strict=True):
            if value > 0:
                canvas.rect(axes.x(start), centre - bar_height / 2,
                            axes.x(start + value) - axes.x(start), bar_height, fill=colour,
                            edge="#FFFFFF", edge_width=0.5)
            start += value
        above = 1 - below - neutral
        labels_after.append((axes.x(-(below + neutral / 2) - 0.01), centre,
                             f"{below:.0%}", "right"))
        labels_after.append((axes.x(above + neutral / 2 + 0.01), centre, f"{above:.0%}",
                             "left"))
    canvas.line(axes.x(0), top, axes.x(0), bottom, colour=OKABE_ITO["black"], width=0.8)
    for x, centre, text, ha in labels_after:
        canvas.text(x, centre, text, _SHARE_FONT, ha=ha)
    # the headings over everything, on white, cut to the width of the figure
    y = n_rows
    for kind, content in rows:
        y -= 1
        if kind == "head":
            head = _shorten(str(content), heading_font, width - _PAD - left - 1.0)
            canvas.text(left, axes.y(y), head, heading_font, background="#FFFFFF", pad=1.0)
    _x_ticks(canvas, axes, ticks, tick_labels)

    def patch(colour: str) -> _Handle:
        def draw(x: float, y: float, size: float) -> None:
            w, h = _LEGEND["handlelength"] * size, _LEGEND["handleheight"] * size
            canvas.rect(x - w / 2, y - h / 2, w, h, fill=colour, edge="#FFFFFF",
                        edge_width=0.5)
        return draw

    _draw_legend(canvas, [(patch(c), t) for c, t in zip(colours, legend_labels, strict=True)],
                 ncol, legend_font, height - _PAD)
    name = data.text(construct.name) if words else construct.id
    return Chart(canvas, f"{name}: answers by group")


def _bar_axes(room: float, tick: float, lefts: list[tuple[float, float]],
              rights: list[tuple[float, float]]) -> tuple[float, float]:
    """(gap, half): where the answer chart's axes start (``gap`` points right of where
    they may) and half their width, the widest that fit ``room`` points with the labels
    of the shares beside the bars. ``lefts`` and ``rights`` give each label's bar end (as
    a share of half the axes from zero) and width; ``tick`` is half the width of the
    last tick label, centred on the axes' right end.

    The room taken grows with ``half`` (the labels on the right move out at least as
    fast as those on the left move in), so the widest fit is found by bisection.
    """
    def gap_and_end(half: float) -> tuple[float, float]:
        gap = max([0.0] + [w - (1 - r) * half for r, w in lefts])
        return gap, gap + max([2 * half + tick] + [(1 + r) * half + w for r, w in rights])

    lo, hi = 0.0, room / 2
    for _ in range(50):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if gap_and_end(mid)[1] <= room else (lo, mid)
    return gap_and_end(lo)[0], lo


def make_figures(data: ReportData, *, processes: int | None = None) -> Figures:
    """Every figure of the report: name -> (PNG bytes, SVG bytes).

    Names: ``hypotheses_forest`` and ``items_<construct id>`` per construct.

    Each figure is drawn on its own, so several are drawn side by side in worker
    processes when there are several and more than one core (``processes``: how many;
    default one per core, at most one per figure); the bytes are those drawn one after
    the other in this process. See :func:`start_figures`.
    """
    return start_figures(data, processes=processes)()


def figure_jobs(data: ReportData) -> list[tuple[str, str | None]]:
    """The report's figures as ``(name, construct id)``; the forest plot has no construct."""
    jobs: list[tuple[str, str | None]] = []
    if len(data.tables["hypotheses"]):
        jobs.append(("hypotheses_forest", None))
    return jobs + answer_chart_jobs(data)


def answer_chart_jobs(data: ReportData) -> list[tuple[str, str | None]]:
    """The answer charts of the report as ``(name, construct id)``, one per construct
    when there are groups to show; they need only the groups and their answers, not the
    comparisons and hypotheses (see :func:`analysis.report.prepare_report`)."""
    if not data.comparison.groups:
        return []
    return [(f"items_{c.id}", c.id) for c in data.instrument.constructs]


def draw_figure(data: ReportData, construct: str | None) -> tuple[bytes, bytes]:
    """One figure as (PNG, SVG) bytes: the forest plot (``construct`` None) or the answer
    chart of ``construct``."""
    fig = forest_plot(data) if construct is None else likert_chart(data, construct)
    return figure_bytes(fig)


def start_figures(data: ReportData, *, processes: int | None = None,
                  jobs: list[tuple[str, str | None]] | None = None) -> Callable[[], Figures]:
    """Start drawing the report's figures; the returned function waits for them (and
    gives the same figures when called again).

    With several figures and more than one core (on a platform that can fork), the
    figures are drawn in that many forked worker processes while the caller goes on
    (writing the workbook and tables, say); the workers inherit the report data and the
    loaded Pillow, so nothing is pickled on the way there or imported again. Else
    the figures are drawn in this process when the function is called. Either way the
    bytes are the same.

    Parameters
    ----------
    data : ReportData
        The computed report.
    processes : int, optional
        Worker processes (default: the cores this process may use, at most one per
        figure); 1 draws in this process.
    jobs : list of (str, str or None), optional
        The figures to draw (default: every figure, :func:`figure_jobs`).

    Returns
    -------
    callable
        Returns name -> (PNG, SVG) in the order of ``jobs``.
    """
    from analysis.report.workers import cores

    if jobs is None:
        jobs = figure_jobs(data)
    workers = min(len(jobs), processes if processes is not None else cores())
    # the longest first (the answer charts of the constructs with most items), so that no
    # worker is left with a long one at the end
    order = sorted(jobs, key=lambda job: -_cost(data, job[1]))
    pending = _fork_map(data, order, workers) if workers > 1 else None
    if pending is None:
        return _once(lambda: {name: draw_figure(data, construct) for name, construct in jobs})

    def wait() -> Figures:
        from concurrent.futures.process import BrokenProcessPool

        try:
            drawn = dict(pending())
        except BrokenProcessPool:  # a worker died (killed, out of memory): draw them here
            drawn = {name: draw_figure(data, construct) for name, construct in jobs}
        return {name: drawn[name] for name, _ in jobs}

    return _once(wait)


def _once(make: Callable[[], Figures]) -> Callable[[], Figures]:
    """``make`` called on the first call only; later calls give the same figures."""
    done: list[Figures] = []

    def wait() -> Figures:
        if not done:
            done.append(make())
        return done[0]

    return wait


def _draw_in_worker(job: tuple[str, str | None]) -> tuple[str, tuple[bytes, bytes]]:
    from analysis.report.workers import worker_data

    name, construct = job
    return name, draw_figure(worker_data(), construct)


def _cost(data: ReportData, construct: str | None) -> int:
    """Rows of a figure (items x groups), a measure of how long it takes to draw."""
    if construct is None:
        return len(data.tables["hypotheses"])
    return len(data.instrument.construct(construct).items) * (len(data.comparison.groups) + 1)


def _fork_map(data: ReportData, order: list[tuple[str, str | None]],
              workers: int) -> Callable[[], list[tuple[str, tuple[bytes, bytes]]]] | None:
    """Draw ``order`` in forked workers that draw from ``data``, or None where processes
    are not forked (:func:`analysis.report.workers.fork_map`)."""
    # loaded here once, so that the workers inherit it instead of each loading it
    import PIL.Image
    import PIL.ImageDraw
    import PIL.ImageFont
    import PIL.PngImagePlugin  # noqa: F401

    if data.lang == "zh":
        _cjk_font()  # looked up once, for every worker

    from analysis.report.workers import fork_map

    return fork_map(data, _draw_in_worker, order, workers)
