"""The figures, measured from the files drawn rather than by the arithmetic of the layout.

- The answer charts lay out their legend for any scale: 2, 5, 7 and 11 points, with long
  labels in English and Chinese, every legend text inside the figure (a 7-point scale
  used to lose both ends: "rongly disagree") and read in the order of the scale. Each
  text's extent is FreeType's ink box where the PNG draws it (Pillow's ``textbbox``), and
  the PNG's edge columns are blank.
- The bars of an answer chart are the shares of the answers: read from the SVG (bar
  widths against the axis from -100 % to 100 %) they are the shares counted here from
  the responses, to the rounding of the SVG's coordinates.
- The PNG and the SVG are one drawing: the same size (at 150 dpi), and each bar and
  shaded area of the SVG has its colour in the PNG at its centre.
"""

from __future__ import annotations

import dataclasses
import io
import json
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PIL import Image, ImageDraw

from analysis.report import canvas as canvas_module
from analysis.report import figures
from analysis.report.tables import prepare_report
from survey.instrument import loads
from survey.responses.model import ImportLog, ResponseSet
from survey.simulate import simulate

SVG = "{http://www.w3.org/2000/svg}"

SCALES = {
    2: (["Disagree", "Agree"], ["不同意", "同意"]),
    5: (["Strongly disagree", "Disagree", "Neither agree nor disagree", "Agree",
         "Strongly agree"],
        ["非常不同意", "不同意", "既不同意也不反对", "同意", "非常同意"]),
    7: (["Strongly disagree", "Disagree", "Somewhat disagree", "Neither agree nor disagree",
         "Somewhat agree", "Agree", "Strongly agree"],
        ["非常不同意", "不同意", "有点不同意", "既不同意也不反对", "有点同意", "同意", "非常同意"]),
    11: (["0 - Not at all true of my lab", *(f"{k}" for k in range(1, 10)),
          "10 - Completely true of my lab"],
         ["0（完全不符合我们实验室的情况）", *(f"{k}" for k in range(1, 10)),
          "10（完全符合我们实验室的情况）"]),
}


def _instrument(points: int):
    en, zh = SCALES[points]
    codes = list(range(points)) if points == 11 else list(range(1, points + 1))
    scale = {"points": codes, "labels": {"en": en, "zh": zh}}
    return loads(f"""
id: legend{points}
version: "1"
languages: [en, zh]
title: {{en: Legends, zh: 图例}}
scales:
  s: {json.dumps(scale, ensure_ascii=False)}
groups:
  - {{id: region, required: true, text: {{en: Region, zh: 地区}},
     choices: [{{code: a, label: {{en: Group A, zh: 甲组}}}},
               {{code: b, label: {{en: Group B, zh: 乙组}}}}]}}
constructs:
  - {{id: c, name: {{en: Calm, zh: 平静}}, definition: {{en: D, zh: 定义}}, scale: s,
     items: [{{id: i1, text: {{en: One, zh: 一}}}}, {{id: i2, text: {{en: Two, zh: 二}}}}]}}
""", file=f"legend{points}.yaml")


@pytest.fixture(scope="module", params=sorted(SCALES), ids=lambda k: f"{k}-point")
def report_data(request):
    inst = _instrument(request.param)
    frame = simulate(inst, seed=1, labs=2, respondents_per_lab=(12, 12))
    rs = ResponseSet(frame, inst, ImportLog(file="x.csv", platform="template",
                                            rows_read=len(frame)))
    return prepare_report(rs)


def _ink_box(shape, line: str, baseline: float, dpi: float = figures.PNG_DPI):
    """FreeType's ink box (pixels) of one line of a text shape where the PNG draws it."""
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    scale = dpi / 72
    boxes, x = [], shape.x * scale
    runs = canvas_module._runs(line, shape.font)
    faces = [canvas_module._face(kind, shape.font.size, dpi) for _, kind in runs]
    widths = [draw.textlength(run, font=face) for (run, _), face in zip(runs, faces, strict=True)]
    if shape.ha != "left":
        x -= sum(widths) / (2 if shape.ha == "center" else 1)
    for (run, _), face, width in zip(runs, faces, widths, strict=True):
        boxes.append(draw.textbbox((x, baseline * scale), run, font=face, anchor="ls"))
        x += width
    return (min(b[0] for b in boxes), min(b[1] for b in boxes),
            max(b[2] for b in boxes), max(b[3] for b in boxes))


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_legend_text_lies_inside_the_figure_in_scale_order(report_data, lang):
    data = dataclasses.replace(report_data, lang=lang)
    scale = data.instrument.scales["s"]
    chart = figures.likert_chart(data, "c")
    png = Image.open(io.BytesIO(figures.figure_bytes(chart)[0]))
    texts = [s for s in chart.canvas.shapes if isinstance(s, canvas_module._Text)]
    legend = texts[-len(scale.points):]  # the legend is drawn last
    width, height = png.size
    boxes = []
    for shape in legend:
        lines = [_ink_box(shape, line, base)
                 for line, base in zip(shape.lines, shape.baselines, strict=True)]
        box = (min(b[0] for b in lines), min(b[1] for b in lines),
               max(b[2] for b in lines), max(b[3] for b in lines))
        assert 0 <= box[0] and box[2] <= width and 0 <= box[1] and box[3] <= height, \
            (shape.lines, box, png.size)
        boxes.append(box)
    # nothing is cut at the edges: the outermost columns and rows of pixels are blank
    pixels = np.asarray(png)
    for edge in (pixels[:, 0], pixels[:, -1], pixels[0], pixels[-1]):
        assert (edge == 255).all()
    # the labels are the scale's, only broken into lines, and read row by row
    shown = [("" if lang == "zh" else " ").join(s.lines) for s in legend]
    order = sorted(range(len(boxes)), key=lambda k: (_row(boxes, k), boxes[k][0]))
    labels = [scale.label(p, lang) for p in scale.points]
    if lang == "zh" and figures._cjk_font() is None:
        labels = [str(p) for p in scale.points]  # no Chinese font: codes, as documented
    assert [shown[k] for k in order] == labels


def _row(boxes, k: int) -> int:
    """Row of box ``k`` from the top: boxes whose vertical extents overlap share a row."""
    tops = sorted(boxes, key=lambda b: b[1])
    rows: list[list] = []
    for b in tops:
        if rows and b[1] < max(r[3] for r in rows[-1]):
            rows[-1].append(b)
        else:
            rows.append([b])
    return next(i for i, row in enumerate(rows) if any(r is boxes[k] for r in row))


def test_bars_are_the_shares_of_the_answers(report_data):
    """Each bar's width in the SVG, as a share of the axis from -100 % to 100 %, is the
    share of that answer among the group's answers to the item, counted here."""
    data = report_data
    inst = data.instrument
    points = list(inst.scales["s"].points)
    root = ET.fromstring(figures.figure_bytes(figures.likert_chart(data, "c"))[1])
    grid = sorted(float(e.get("x1")) for e in root.iter(f"{SVG}line")
                  if e.get("stroke") == "#E5E5E5")
    assert len(grid) == 5  # -100 %, -50 %, 0, 50 %, 100 %
    per_share = (grid[-1] - grid[0]) / 2
    edge = 0.5  # the white edge is drawn inside each bar
    bars = [float(e.get("width")) + edge for e in root.iter(f"{SVG}rect")
            if e.get("stroke") == "#FFFFFF"][:-len(points)]  # the legend's come last
    frame = data.responses.data
    want = []
    for item in inst.construct("c").items:
        for group in data.comparison.groups:
            answers = frame.loc[frame[data.by] == group, item.id].dropna()
            counts = answers.value_counts()
            want += [counts.get(p, 0) / len(answers) for p in points
                     if counts.get(p, 0) > 0]
    assert len(bars) == len(want)
    np.testing.assert_allclose(np.array(bars) / per_share, want, atol=0.01 / per_share + 1e-3)


@pytest.mark.parametrize("which", ["forest", "chart"])
def test_png_and_svg_are_one_drawing(report_data, which):
    chart = (figures.forest_plot(report_data) if which == "forest"
             else figures.likert_chart(report_data, "c"))
    png_bytes, svg = figures.figure_bytes(chart)
    png = Image.open(io.BytesIO(png_bytes))
    assert png.format == "PNG" and png.mode == "RGB"
    assert png.info["dpi"] == pytest.approx((150, 150), abs=0.02)
    assert not {"Software", "Creation Time", "tIME"} & set(png.info)
    root = ET.fromstring(svg)
    width, height = (float(root.get(k).removesuffix("pt")) for k in ("width", "height"))
    assert png.size == (int(width * 150 / 72 + 0.5), int(height * 150 / 72 + 0.5))
    pixels = np.asarray(png)
    checked = 0
    for rect in root.iter(f"{SVG}rect"):
        x, y = (float(rect.get(k, 0)) * 150 / 72 for k in ("x", "y"))
        w, h = (float(rect.get(k)) * 150 / 72 for k in ("width", "height"))
        if w < 6 or h < 6:
            continue  # too thin to have an inside of its own colour
        inside = pixels[int(y) + 2:int(y + h) - 2, int(x) + 2:int(x + w) - 2].reshape(-1, 3)
        colours, counts = np.unique(inside, axis=0, return_counts=True)
        fill = rect.get("fill").lstrip("#")
        # most of the inside is the rectangle's colour (lines and text cross some of it)
        assert tuple(colours[counts.argmax()]) == tuple(int(fill[k:k + 2], 16)
                                                         for k in (0, 2, 4)), rect.attrib
        checked += 1
    assert checked >= (2 if which == "forest" else 10)


def test_legend_layout_prefers_one_row_then_wraps_then_more_rows():
    labels, ncol, size = figures.legend_layout(SCALES[5][0], 700)
    assert (ncol, size) == (5, 9.0) and labels == SCALES[5][0]
    labels, ncol, _ = figures.legend_layout(SCALES[7][0], 700)
    assert ncol == 7 and "Neither agree nor\ndisagree" in labels
    labels, ncol, _ = figures.legend_layout(SCALES[7][0], 300)
    assert ncol < 7 and max(t.count("\n") for t in labels) <= 2


LONG_ZH = "当截止日期临近时，我们实验室的成员会主动放下自己的工作去帮助同事完成任务，" * 3
LONG_NAME_ZH = "对人工智能商业化与产品落地的重视程度以及研究人员在其中的参与和投入" * 2


def _long_text_data(lang: str):
    inst = loads(f"""
id: long
version: "1"
languages: [en, zh]
title: {{en: Long, zh: 长}}
scales:
  s: {{points: [1, 2, 3], labels: {{en: [Disagree, Neutral, Agree], zh: [不同意, 中立, 同意]}}}}
groups:
  - {{id: region, required: true, text: {{en: Region, zh: 地区}},
     choices: [{{code: a, label: {{en: A, zh: 甲}}}}, {{code: b, label: {{en: B, zh: 乙}}}}]}}
constructs:
  - {{id: c, name: {{en: "Attention to the commercial side of AI", zh: "{LONG_NAME_ZH}"}},
     definition: {{en: D, zh: 定义}}, scale: s,
     items: [{{id: i1, reverse: true,
               text: {{en: "Antidisestablishmentarianism{'x' * 150} is common", zh: "{LONG_ZH}"}}}}]}}
hypotheses:
  - {{id: H1, construct: c, by: region, predicts: a > b, source: s}}
""", file="long.yaml")
    frame = simulate(inst, seed=2, labs=2, respondents_per_lab=(8, 8))
    rs = ResponseSet(frame, inst, ImportLog(file="x.csv", platform="template",
                                            rows_read=len(frame)))
    return prepare_report(rs, lang=lang)


def _svg_texts(svg: bytes) -> list[str]:
    return [e.text or "" for e in ET.fromstring(svg).iter(f"{SVG}text")]


@pytest.mark.skipif(figures._cjk_font() is None, reason="no font with Chinese glyphs")
def test_long_chinese_texts_are_cut_between_characters_not_dropped():
    """A Chinese item text or construct name, which has no spaces, is cut to fit after
    as many characters as fit, not replaced by the ellipsis alone (the heading used to
    read 'i1 (R)  …' and the forest plot's label 'H…')."""
    data = _long_text_data("zh")
    chart = figures.likert_chart(data, "c")
    heading = next(t for t in _svg_texts(figures.figure_bytes(chart)[1])
                   if t.startswith("i1 (R)"))
    assert heading.endswith("…")
    shown = heading.removeprefix("i1 (R)  ").removesuffix("…")
    assert LONG_ZH.startswith(shown) and len(shown) >= 20  # 20 characters fit easily
    box = next(s for s in chart.canvas.shapes if isinstance(s, canvas_module._Text)
               and s.lines[0] == heading)
    png = Image.open(io.BytesIO(figures.figure_bytes(chart)[0]))
    ink = _ink_box(box, heading, box.baselines[0])
    assert ink[2] <= png.size[0]  # inside the figure

    forest = figures.forest_plot(data)
    label = next(t for t in _svg_texts(figures.figure_bytes(forest)[1])
                 if t.startswith("H1"))
    shown = label.removeprefix("H1  ").removesuffix("…")
    assert label.endswith("…") and LONG_NAME_ZH.startswith(shown) and len(shown) >= 10


def test_long_english_word_is_cut_inside_it():
    """An item text whose first word is too long for the figure is cut inside the word,
    not reduced to its first letter."""
    chart = figures.likert_chart(_long_text_data("en"), "c")
    heading = next(t for t in _svg_texts(figures.figure_bytes(chart)[1])
                   if t.startswith("i1 (R)"))
    assert heading.startswith("i1 (R)  Antidisestablishmentarianismxxx")
    assert heading.endswith("x…")


ZH_40 = "一个非常长的组标签用于测试中文换行的效果以及是否会被截断在图的左边缘上看看结果"
ZH_60 = ZH_40 + "再加上二十个汉字使它超过三行的长度限制"
EN_LONG = ("A very long group label for a research unit that is somewhere far away "
           "from here and has a long name")


def _group_names(lang: str) -> dict[str, list[str]]:
    """Each group's name on the answer chart (one item: groups a and b in this order) as
    its lines, ' (n=…)' taken off."""
    inst = loads(f"""
id: names
version: "1"
languages: [en, zh]
title: {{en: Names, zh: 名称}}
scales:
  s: {{points: [1, 2, 3], labels: {{en: [Disagree, Neutral, Agree], zh: [不同意, 中立, 同意]}}}}
groups:
  - {{id: region, required: true, text: {{en: Region, zh: 地区}},
     choices: [{{code: a, label: {{en: "{EN_LONG}", zh: "{ZH_40}"}}}},
               {{code: b, label: {{en: B, zh: "{ZH_60}"}}}}]}}
constructs:
  - {{id: c, name: {{en: Calm, zh: 平静}}, definition: {{en: D, zh: 定义}}, scale: s,
     items: [{{id: i1, text: {{en: One, zh: 一}}}}]}}
""", file="names.yaml")
    frame = simulate(inst, seed=2, labs=2, respondents_per_lab=(8, 8))
    rs = ResponseSet(frame, inst, ImportLog(file="x.csv", platform="template",
                                            rows_read=len(frame)))
    data = prepare_report(rs, lang=lang)
    svg = figures.figure_bytes(figures.likert_chart(data, "c"))[1]
    names = []
    for element in ET.fromstring(svg).iter(f"{SVG}text"):
        lines = [s.text for s in element.iter(f"{SVG}tspan")] or [element.text]
        if lines[-1].endswith(")") and " (n=" in lines[-1]:
            lines[-1] = lines[-1][:lines[-1].rindex(" (n=")]
            names.append(lines)
    assert len(names) == 2
    return dict(zip("ab", names, strict=True))


@pytest.mark.skipif(figures._cjk_font() is None, reason="no font with Chinese glyphs")
def test_chinese_group_names_wrap_at_half_the_characters():
    """A Chinese character is about twice as wide as a Latin letter: a Chinese group name
    is wrapped at 14 characters where an English one is at 28 letters (the names used to
    be wrapped at 28 Chinese characters, twice the width, and squeeze the bars). A name
    longer than three lines ends its third with an ellipsis instead of losing the rest
    silently."""
    names = _group_names("zh")
    assert names["a"] == [ZH_40[:14], ZH_40[14:28], ZH_40[28:]]
    assert names["b"] == [ZH_60[:14], ZH_60[14:28], ZH_60[28:42] + "…"]


def test_english_group_name_past_three_lines_ends_with_ellipsis():
    names = _group_names("en")
    assert names["a"] == ["A very long group label for", "a research unit that is",
                          "somewhere far away from here…"]
    assert names["b"] == ["B"]


def test_forest_plot_without_chinese_font_speaks_english(monkeypatch):
    """A Chinese report drawn where no font has Chinese glyphs writes the forest plot's
    own words as the English report does (the lab-aware interval's legend entry was a
    longer text of its own, and with five entries the legend reached within 3 pt of the
    figure's edges); every text keeps the figure's 4 pt margin."""
    monkeypatch.setattr(figures, "_cjk_font", lambda: None)
    data = _long_text_data("zh")
    hyp = data.tables["hypotheses"].copy()
    hyp[["test", "verdict", "std_diff", "std_ci_low", "std_ci_high"]] = [
        "mixed", "equivalent", 0.1, -0.5, 0.7]
    data = dataclasses.replace(data, tables={**data.tables, "hypotheses": hyp})
    chart = figures.forest_plot(data)
    png = Image.open(io.BytesIO(figures.figure_bytes(chart)[0]))
    texts = [s for s in chart.canvas.shapes if isinstance(s, canvas_module._Text)]
    assert [t.lines[0] for t in texts[-5:]] == [
        "supported", "contrary", "not supported", "equivalent", "lab-aware 95% CI"]
    assert "as predicted \u2192" in [t.lines[0] for t in texts]
    assert "H1  c" in [t.lines[0] for t in texts]  # the construct's id, not its name
    margin = 4 * figures.PNG_DPI / 72
    for shape in texts:
        for line, base in zip(shape.lines, shape.baselines, strict=True):
            left, top, right, bottom = _ink_box(shape, line, base)
            assert left >= margin and right <= png.size[0] - margin, line
            assert top >= margin and bottom <= png.size[1] - margin, line


def two_groups(items: int = 2, *, hypothesis: bool = True):
    """A small instrument: groups a and b of ``region``, a lab code, one construct ``c``
    of ``items`` items on a 3-point scale, and (with ``hypothesis``) H1: a > b."""
    listed = ", ".join(f"{{id: i{k}, text: {{en: Item {k}}}}}" for k in range(1, items + 1))
    more = "hypotheses:\n  - {id: H1, construct: c, by: region, predicts: a > b, source: s}\n"
    return loads(f"""
id: two
version: "1"
languages: [en]
title: {{en: Two groups}}
scales:
  s: {{points: [1, 2, 3], labels: {{en: [Disagree, Neutral, Agree]}}}}
groups:
  - {{id: region, required: true, text: {{en: Region}},
     choices: [{{code: a, label: {{en: A}}}}, {{code: b, label: {{en: B}}}}]}}
  - {{id: lab, type: text, required: true, identifying: true, text: {{en: Lab}}}}
constructs:
  - {{id: c, name: {{en: Calm}}, definition: {{en: D}}, scale: s, items: [{listed}]}}
{more if hypothesis else ""}""", file="two.yaml")


def _flat_data():
    """Every respondent of group a answers 3 (agree) and of group b 1 (disagree)."""
    inst = two_groups()
    frame = simulate(inst, seed=4, labs=4, respondents_per_lab=(6, 6))
    for item in ("i1", "i2"):
        frame.loc[frame["region"] == "a", item] = 3
        frame.loc[frame["region"] == "b", item] = 1
    rs = ResponseSet(frame, inst, ImportLog(file="x.csv", platform="template",
                                            rows_read=len(frame)))
    return prepare_report(rs)


def test_forest_plot_of_groups_without_variance():
    """Every respondent of group a answers 3 and of group b 1: Hedges' g is undefined
    (no variance) and the lab-aware model refuses to estimate variances of 0, so the
    hypothesis is not testable, with the model's reason, and the row says so."""
    data = _flat_data()
    row = data.tables["hypotheses"].iloc[0]
    assert np.isnan(row["hedges_g"]) and row["verdict"] == "not testable"
    assert row["note"] == ("the scores do not vary within the groups compared, so the "
                           "mixed model has nothing to estimate its variances from")
    chart = figures.forest_plot(data)
    texts = [t for s in chart.canvas.shapes if isinstance(s, canvas_module._Text)
             for t in s.lines]
    assert "not testable" in texts


def test_forest_plot_axis_stays_readable_past_ten_sd():
    """A tested hypothesis without a g whose lab-aware standardised difference is absurdly
    large (1e40): the row shows its verdict instead of claiming it untestable, and the
    axis stays readable: at most ±11 SD (the cap of 10, with the 10 % room), short tick
    labels, nothing drawn past it."""
    data = _flat_data()
    hyp = data.tables["hypotheses"].copy()
    hyp.loc[0, ["verdict", "test", "std_diff", "std_ci_low", "std_ci_high"]] = [
        "supported", "mixed", 1e40, 1e40 - 1e38, 1e40 + 1e38]
    data = dataclasses.replace(data, tables={**data.tables, "hypotheses": hyp})
    chart = figures.forest_plot(data)
    texts = [t for s in chart.canvas.shapes if isinstance(s, canvas_module._Text)
             for t in s.lines]
    assert "supported" in texts[:3] and "not testable" not in texts
    root = ET.fromstring(figures.figure_bytes(chart)[1])
    grid = sorted(float(e.get("x1")) for e in root.iter(f"{SVG}line")
                  if e.get("stroke") == "#DDDDDD")
    ticks = [t for t in texts if t.lstrip("\u2212").isdigit()]
    assert ticks == ["\u221210", "\u22125", "0", "5", "10"] and len(grid) == 5
    left = min(grid) - (max(grid) - min(grid)) * 0.05  # ±11 around ±10
    right = max(grid) + (max(grid) - min(grid)) * 0.05
    for line in root.iter(f"{SVG}line"):
        xs = [float(line.get("x1")), float(line.get("x2"))]
        if line.get("stroke") in (figures.OKABE_ITO["grey"], figures.OKABE_ITO["blue"]):
            assert left - 0.01 <= min(xs) and max(xs) <= right + 0.01


def test_share_labels_keep_clear_of_group_names():
    """A group that disagrees to a man has its '100%' left of a bar reaching -100 %:
    the axes are moved right so that the label's ink ends before the group name's begins
    (it used to be drawn over the name), and both lie inside the figure."""
    chart = figures.likert_chart(_flat_data(), "c")
    png = Image.open(io.BytesIO(figures.figure_bytes(chart)[0]))
    texts = [s for s in chart.canvas.shapes if isinstance(s, canvas_module._Text)]
    boxes = {}
    for shape in texts:
        boxes.setdefault(shape.lines[-1], []).append(
            _ink_box(shape, shape.lines[-1], shape.baselines[-1]))
    names = boxes["B (n=12)"]
    shares = [b for b in boxes["100%"] if b[1] < names[-1][3]]  # not the tick labels
    assert len(names) == 2 and len(shares) == 4  # two items; a's right, b's left
    for name in names:
        beside = [b for b in shares if b[1] < name[3] and name[1] < b[3]]
        assert len(beside) == 1 and beside[0][0] > name[2]
    for box in shares:
        assert 0 < box[0] and box[2] < png.size[0]
