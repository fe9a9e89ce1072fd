"""The report's figures, as PNG and SVG bytes that are the same on every run.

- :func:`forest_plot`: Hedges' g with its 95 % CI per hypothesis, the predicted side
  shaded (the differences are taken as the group predicted higher minus the other, so
  the predicted side is always right of zero), and the lab-aware interval beneath when
  the mixed model was used.
- :func:`likert_chart`: the answers to each item of a construct by group as diverging
  stacked bars (Heiberger & Robbins 2014): disagreement left of zero, agreement right,
  the neutral answer split across zero; shares among those who answered.

Colours are the Okabe-Ito palette (distinguishable with the common colour-vision
deficiencies); verdicts differ by marker shape as well as colour. Figures are drawn on a
bare :class:`matplotlib.figure.Figure` (no pyplot, no global state) inside an
``rc_context`` that fixes the SVG id salt and leaves out dates and software stamps, so
the bytes depend only on the data and the matplotlib version.
"""

from __future__ import annotations

import functools
import io
import textwrap
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from analysis.report.text import label

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from analysis.report.tables import ReportData

__all__ = ["OKABE_ITO", "Figures", "answer_chart_jobs", "draw_figure", "figure_bytes",
           "figure_jobs", "forest_plot", "likert_chart", "make_figures", "start_figures"]

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

#: Marker and colour per verdict.
_VERDICT_STYLE = {
    "supported": ("o", OKABE_ITO["blue"], OKABE_ITO["blue"]),
    "contrary": ("D", OKABE_ITO["vermillion"], OKABE_ITO["vermillion"]),
    "not supported": ("o", "white", OKABE_ITO["black"]),
    "equivalent": ("s", "white", OKABE_ITO["green"]),
}

_RC = {
    "svg.hashsalt": "lab-culture-survey",
    "svg.fonttype": "none",
    "font.size": 11,
    "axes.titlesize": 12,
    "axes.labelsize": 11,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "path.simplify": False,
}
#: Fonts with Chinese glyphs, first found first used: Linux (Noto/Source Han, WenQuanYi,
#: Droid), macOS (PingFang SC, Hiragino Sans GB) and Windows (Microsoft YaHei, SimHei).
_CJK_FONTS = ("Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC", "Hiragino Sans GB",
              "Microsoft YaHei", "SimHei", "WenQuanYi Zen Hei", "WenQuanYi Micro Hei",
              "Droid Sans Fallback")
#: Legend spacing, in font sizes (matplotlib's handle length and text pad, a tighter
#: column spacing) and the largest number of lines a wrapped legend label may take.
_LEGEND = {"handlelength": 1.6, "handletextpad": 0.5, "columnspacing": 1.2,
           "borderpad": 0.4}
_LEGEND_SIZES = (9.0, 8.0, 7.0)
_LEGEND_MAX_LINES = 3
#: Group names on the answer charts are wrapped at this many characters.
_GROUP_CHARS = 28

Figures = dict[str, tuple[bytes, bytes]]

#: Resolution of the PNG files in ``figures/``.
PNG_DPI = 150
#: zlib level of the PNG files: 3 takes two thirds of the time of Pillow's default (6)
#: for files 2 % larger.
_PNG_COMPRESSION = 3


def _cjk_font() -> str | None:
    """A font with Chinese glyphs that matplotlib knows, if there is one (looked up once
    per process: every figure and text of a Chinese report asks)."""
    return _font_lookup(_CJK_FONTS)


@functools.lru_cache(maxsize=8)
def _font_lookup(wanted: tuple[str, ...]) -> str | None:
    """The first of ``wanted`` among the fonts matplotlib knows."""
    from matplotlib import font_manager

    names = {f.name for f in font_manager.fontManager.ttflist}
    return next((name for name in wanted if name in names), None)


def _rc(lang: str) -> dict[str, object]:
    rc = dict(_RC)
    families = ["DejaVu Sans"]
    if lang == "zh":
        cjk = _cjk_font()
        if cjk is not None:
            families.append(cjk)
    rc["font.family"] = families
    return rc


def figure_bytes(fig: Figure) -> tuple[bytes, bytes]:
    """The figure as (PNG, SVG) bytes with no date or software stamp.

    Each format is drawn by its canvas directly: ``Figure.savefig`` draws a figure
    with a layout engine twice, once with drawing turned off to lay it out and then for
    real, where the canvas lays it out within the one drawing (the same layout: it is
    computed from the same renderer at the same resolution, so the same pixels). The
    figure is laid out once, for the PNG: the SVG is drawn where that layout put
    everything. Laying it out again at the SVG's 72 dpi, as ``savefig`` does, took almost
    half of the SVG's time and moved the axes by less than a point (text measured at
    72 dpi is a little narrower than at 150): the sample's figures come out with the
    same coordinates either way, and only the ids of their clip paths differ, as those
    hash the clip box to every digit. The PNG (:data:`PNG_DPI`) is written as RGB when
    it is opaque, at zlib level 3: the pixels ``savefig`` gives, in a smaller file
    written in half the time.
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.backends.backend_svg import FigureCanvasSVG
    from PIL import Image

    dpi = fig.dpi
    png = io.BytesIO()
    try:
        fig.dpi = PNG_DPI
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        rgba = np.asarray(canvas.buffer_rgba())
        image = Image.fromarray(rgba, "RGBA")
        if (rgba[..., 3] == 255).all():
            # opaque (the figures have a white background): the same pixels without
            # the alpha channel, a quarter less to compress
            image = image.convert("RGB")
        image.save(png, format="png", compress_level=_PNG_COMPRESSION, dpi=(PNG_DPI, PNG_DPI))
    finally:
        fig.dpi = dpi
    fig.set_layout_engine("none")  # keep the PNG's layout
    svg = io.BytesIO()
    try:
        FigureCanvasSVG(fig).print_svg(svg, metadata={"Date": None, "Creator": None})
    finally:
        fig.dpi = dpi  # the SVG canvas draws at 72 dpi and leaves it so
    return png.getvalue(), svg.getvalue()


def _text_ok(lang: str) -> bool:
    """Whether Chinese text can be drawn (else figures fall back to ids and codes)."""
    return lang != "zh" or _cjk_font() is not None


def forest_plot(data: ReportData) -> Figure:
    """Hedges' g with 95 % CI per hypothesis; the predicted side (g > 0) shaded.

    The marker shows the verdict. When the hypothesis was tested with the lab-aware
    mixed model, a thin grey line under it shows that model's standardised difference
    with its 95 % t interval. Hypotheses that could not be tested are listed without a
    point.
    """
    import math

    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D

    hyp = data.tables["hypotheses"]
    lang = data.lang
    words = _text_ok(lang)
    n = len(hyp)
    fig = Figure(figsize=(9, 0.55 * max(n, 1) + 1.6), layout="constrained")
    ax = fig.add_subplot()
    mixed = hyp["test"] == "mixed"
    bounds = [*hyp["g_ci_low"], *hyp["g_ci_high"]]
    if mixed.any():
        bounds += [*hyp.loc[mixed, "std_ci_low"], *hyp.loc[mixed, "std_ci_high"]]
    finite = [float(v) for v in bounds if not math.isnan(float(v))]
    reach = max([abs(v) for v in finite] + [0.5]) * 1.1
    ax.axvspan(0, reach, color=_SHADE, zorder=0)
    ax.axvline(0, color=OKABE_ITO["black"], linewidth=1, zorder=1)
    labels = []
    for i, row in enumerate(hyp.itertuples(index=False)):
        y = n - 1 - i
        construct = data.instrument.construct(row.construct)
        name = data.text(construct.name) if words else row.construct
        labels.append(f"{row.hypothesis}  {name}")
        if row.verdict == "not testable" or math.isnan(row.hedges_g):
            ax.text(0.02 * reach, y, label("not testable", lang) if words else "not testable",
                    va="center", ha="left", color=OKABE_ITO["grey"], style="italic")
            continue
        marker, face, edge = _VERDICT_STYLE[row.verdict]
        if bool(mixed.iloc[i]) and not math.isnan(row.std_ci_low):
            ax.plot([row.std_ci_low, row.std_ci_high], [y - 0.25, y - 0.25],
                    color=OKABE_ITO["grey"], linewidth=1.2, zorder=2)
            ax.plot([row.std_diff], [y - 0.25], marker="|", markersize=7,
                    color=OKABE_ITO["grey"], linestyle="none", zorder=2)
        ax.plot([row.g_ci_low, row.g_ci_high], [y, y], color=edge, linewidth=2, zorder=2)
        ax.plot([row.hedges_g], [y], marker=marker, markersize=9, markerfacecolor=face,
                markeredgecolor=edge, markeredgewidth=1.5, linestyle="none", zorder=3)
    ax.set_yticks(range(n), labels[::-1])
    ax.set_ylim(-0.7, n - 0.3)
    ax.set_xlim(-reach, reach)
    ax.set_xlabel("Hedges' g [95% CI]")
    arrow = label("as_predicted", lang) if words else "as predicted"
    ax.set_title(f"{arrow} \u2192", loc="right", color=OKABE_ITO["blue"], fontsize=10)
    handles = [
        Line2D([], [], marker=m, markerfacecolor=f, markeredgecolor=e, color=e,
               linestyle="none", markersize=8, label=label(v, lang) if words else v)
        for v, (m, f, e) in _VERDICT_STYLE.items()
        if v != "equivalent" or (hyp["verdict"] == "equivalent").any()
    ]
    if mixed.any():
        handles.append(Line2D([], [], color=OKABE_ITO["grey"], linewidth=1.2, marker="|",
                              markersize=7, label=label("forest_lab_interval", lang)
                              if words else "lab-aware 95% CI (mixed model, SD units)"))
    fig.legend(handles=handles, loc="outside lower center", ncol=len(handles), frameon=False)
    ax.grid(axis="x", color="#DDDDDD", linewidth=0.6, zorder=0)
    ax.set_axisbelow(True)
    return fig


def _side_colours(points: list[int], midpoint: float) -> list[str]:
    import matplotlib as mpl

    left = [p for p in points if p < midpoint]
    right = [p for p in points if p > midpoint]

    def ramp(base: list[str], k: int, cmap: str) -> list[str]:
        if k <= len(base):
            return base[:k]
        colours = mpl.colormaps[cmap]
        return [mpl.colors.to_hex(colours(0.95 - 0.6 * i / (k - 1))) for i in range(k)]

    colours = ramp(_LEFT, len(left), "Oranges")
    colours += [_NEUTRAL] * sum(1 for p in points if p == midpoint)
    colours += ramp(_RIGHT, len(right), "Blues")[::-1]
    return colours


def _text_width(renderer: object, text: str, size: float) -> float:
    """Width in points of the widest line of ``text`` in the current font family."""
    from matplotlib.font_manager import FontProperties

    prop = FontProperties(size=size)
    return max(renderer.get_text_width_height_descent(line, prop, ismath=False)[0]  # type: ignore[attr-defined]
               for line in text.split("\n"))


def _wrap(label: str, chars: int) -> str:
    """``label`` broken into lines of at most ``chars`` characters between words; a text
    with Chinese characters, which has no spaces, breaks between characters."""
    cjk = any(ord(c) >= 0x2E80 for c in label)
    lines = textwrap.wrap(label, chars, break_on_hyphens=False, break_long_words=cjk)
    return "\n".join(lines) or label


def legend_layout(labels: list[str], width: float) -> tuple[list[str], int, float]:
    """Fit a legend of ``labels`` (one per scale point, in order) into ``width`` points.

    Tries, in order of preference, the largest font of :data:`_LEGEND_SIZES`, then one
    row before several, then labels as they are before wrapping them onto at most
    :data:`_LEGEND_MAX_LINES` lines; the first layout whose measured width (text widths
    from the Agg renderer, plus handles and spacing) fits is used. Several rows are read
    row by row, as the scale runs (see :func:`row_major`).

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
    import math

    from matplotlib.backends.backend_agg import RendererAgg

    renderer = RendererAgg(1, 1, 72)  # 72 dpi: one pixel is one point
    n = len(labels)
    longest = max((len(t) for t in labels), default=1)
    fallback: tuple[list[str], int, float] = ([], 1, _LEGEND_SIZES[-1])
    for size in _LEGEND_SIZES:
        per_column = (_LEGEND["handlelength"] + _LEGEND["handletextpad"]) * size
        for rows in range(1, n + 1):
            ncol = math.ceil(n / rows)
            if rows > 1 and math.ceil(n / (ncol)) != rows:
                continue  # the same layout as fewer rows
            for chars in range(longest, min(longest, 4) - 1, -1):
                wrapped = [_wrap(t, chars) for t in labels]
                if max(t.count("\n") + 1 for t in wrapped) > _LEGEND_MAX_LINES:
                    break
                widths = [_text_width(renderer, t, size) for t in wrapped]
                columns = [max(widths[j::ncol]) for j in range(ncol)]
                total = (sum(columns) + ncol * per_column
                         + (ncol - 1) * _LEGEND["columnspacing"] * size
                         + 2 * _LEGEND["borderpad"] * size)
                if total <= width:
                    return wrapped, ncol, size
                fallback = (wrapped, ncol, size)
    return fallback[0] or list(labels), fallback[1], fallback[2]


def row_major(items: list, ncol: int) -> list:
    """Reorder ``items`` so that matplotlib's legend, which fills columns first, shows
    them row by row.

    Examples
    --------
    >>> row_major([1, 2, 3, 4, 5, 6, 7], 4)
    [1, 5, 2, 6, 3, 7, 4]
    """
    return [x for j in range(ncol) for x in items[j::ncol]]


def likert_chart(data: ReportData, construct_id: str) -> Figure:
    """Diverging stacked bars of the answers to each item of a construct, by group.

    Each item has a heading row (id, (R) when reverse keyed, the item text) and one
    bar per reported group; a group with fewer than ``min_group_n`` answers to an item
    gets no bar.
    """
    import numpy as np
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

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
    names = {g: _wrap(data.group_label(data.by, g) if words else g, _GROUP_CHARS)
             for g in groups}
    lines = min(max((t.count("\n") + 1 for t in names.values()), default=1), 3)
    names = {g: "\n".join(t.split("\n")[:3]) for g, t in names.items()}
    row_height = 0.32 * (1 + 0.45 * (lines - 1))
    fig = Figure(figsize=(10, row_height * n_rows + 1.5), layout="constrained")
    ax = fig.add_subplot()
    y = n_rows
    ticks, tick_labels = [], []
    # every bar of the chart, added at once in the order they are listed
    bar_y: list[int] = []
    bar_width: list[float] = []
    bar_left: list[float] = []
    bar_colour: list[str] = []
    wrap = 95 if lang == "en" else 50
    for item in construct.items:
        y -= 1
        head = f"{item.id}{' (R)' if item.reverse else ''}"
        if words:
            head += "  " + textwrap.shorten(data.text(item.text), wrap, placeholder="…")
        # the CJK fallback font has no bold face (matplotlib would log a warning)
        weight = "bold" if lang == "en" else "normal"
        ax.text(-1.0, y, head, ha="left", va="center", fontsize=10, fontweight=weight,
                bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.0}, zorder=4)
        for g in groups:
            y -= 1
            cell = shares[(shares["item"] == item.id) & (shares["group"] == g)]
            n = int(cell["n"].iloc[0]) if len(cell) else 0
            ticks.append(y)
            tick_labels.append(f"{names[g]} (n={n})")
            if n < data.min_group_n:
                continue
            share = dict(zip(cell["point"], cell["share"], strict=True))
            s = np.array([share.get(p, 0.0) for p in points])
            below = sum(s[i] for i, p in enumerate(points) if p < mid)
            neutral = sum(s[i] for i, p in enumerate(points) if p == mid)
            left = -(below + neutral / 2)
            for value, colour in zip(s, colours, strict=True):
                if value > 0:
                    bar_y.append(y)
                    bar_width.append(value)
                    bar_left.append(left)
                    bar_colour.append(colour)
                left += value
            above = 1 - below - neutral
            ax.text(-(below + neutral / 2) - 0.01, y, f"{below:.0%}", ha="right",
                    va="center", fontsize=9)
            ax.text(above + neutral / 2 + 0.01, y, f"{above:.0%}", ha="left", va="center",
                    fontsize=9)
    _add_bars(ax, bar_y, bar_width, bar_left, bar_colour, height=0.78)
    ax.axvline(0, color=OKABE_ITO["black"], linewidth=0.8)
    ax.set_xlim(-1.0, 1.0)
    ax.set_ylim(-0.6, n_rows - 0.4)
    ax.set_yticks(ticks, tick_labels, fontsize=10)
    ax.set_xticks([-1, -0.5, 0, 0.5, 1], ["100%", "50%", "0", "50%", "100%"])
    ax.tick_params(axis="y", length=0)
    ax.spines["left"].set_visible(False)
    ax.grid(axis="x", color="#E5E5E5", linewidth=0.6)
    ax.set_axisbelow(True)
    legend_labels = [scale.label(p, lang) if words else str(p) for p in points]
    room = fig.get_figwidth() * 72 * 0.94  # the margins of the constrained layout
    legend_labels, ncol, size = legend_layout(legend_labels, room)
    handles = [Patch(facecolor=c, edgecolor="white", label=t)
               for c, t in zip(colours, legend_labels, strict=True)]
    fig.legend(handles=row_major(handles, ncol), loc="outside lower center", ncol=ncol,
               frameon=False, fontsize=size, **_LEGEND)
    return fig


def _add_bars(ax: Any, y: list[int], width: list[float], left: list[float],
              colours: list[str], *, height: float) -> None:
    """Horizontal bars centred on ``y``, white-edged, as ``ax.barh`` draws them, in
    order; without the data limits ``barh`` works out for each bar (the chart sets its
    limits), which took most of the time a chart took to build."""
    from matplotlib.patches import Rectangle

    for y_, w, x, colour in zip(y, width, left, colours, strict=True):
        bar = Rectangle((x, y_ - height / 2), w, height, facecolor=colour,
                        edgecolor="white", linewidth=0.5, label="_nolegend_")
        ax.add_artist(bar)


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
    import matplotlib as mpl

    with mpl.rc_context(_rc(data.lang)):
        fig = forest_plot(data) if construct is None else likert_chart(data, construct)
        return figure_bytes(fig)


def start_figures(data: ReportData, *, processes: int | None = None,
                  jobs: list[tuple[str, str | None]] | None = None) -> Callable[[], Figures]:
    """Start drawing the report's figures; the returned function waits for them (and
    gives the same figures when called again).

    With several figures and more than one core (on a platform that can fork), the
    figures are drawn in that many forked worker processes while the caller goes on
    (writing the workbook and tables, say); the workers inherit the report data and the
    loaded matplotlib, so nothing is pickled on the way there or imported again. Else
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
    import matplotlib.backends.backend_agg  # noqa: F401
    import matplotlib.backends.backend_svg  # noqa: F401
    import matplotlib.figure  # noqa: F401

    from analysis.report.workers import fork_map

    return fork_map(data, _draw_in_worker, order, workers)
