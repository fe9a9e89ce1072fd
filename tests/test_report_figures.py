"""The answer charts lay out their legend for any scale: 2, 5, 7 and 11 points, with long
labels in English and Chinese, every legend text inside the figure (a 7-point scale
used to lose both ends: "rongly disagree") and read in the order of the scale.

The extents are measured by drawing each figure with matplotlib's Agg renderer, not
by the arithmetic the layout uses.
"""

from __future__ import annotations

import dataclasses
import json

import matplotlib as mpl
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg

from analysis.report import figures
from analysis.report.tables import prepare_report
from survey.instrument import loads
from survey.responses.model import ImportLog, ResponseSet
from survey.simulate import simulate

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


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_legend_text_lies_inside_the_figure_in_scale_order(report_data, lang):
    data = dataclasses.replace(report_data, lang=lang)
    scale = data.instrument.scales["s"]
    with mpl.rc_context(figures._rc(lang)):
        fig = figures.likert_chart(data, "c")
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        (legend,) = fig.legends
        texts = legend.get_texts()
        boxes = [t.get_window_extent(renderer) for t in texts]
    frame = fig.bbox
    assert len(texts) == len(scale.points)
    for text, box in zip(texts, boxes, strict=True):
        inside = (box.x0 >= frame.x0 and box.x1 <= frame.x1
                  and box.y0 >= frame.y0 and box.y1 <= frame.y1)
        assert inside, (text.get_text(), box, frame)
    # the labels are the scale's, only broken into lines, and read row by row
    shown = [t.get_text().replace("\n", "" if lang == "zh" else " ") for t in texts]
    order = sorted(range(len(boxes)), key=lambda k: (_row(boxes, k), boxes[k].x0))
    labels = [scale.label(p, lang) for p in scale.points]
    if lang == "zh" and figures._cjk_font() is None:
        labels = [str(p) for p in scale.points]  # no Chinese font: codes, as documented
    assert [shown[k] for k in order] == labels


def _row(boxes, k: int) -> int:
    """Row of text ``k`` from the top: texts whose vertical extents overlap share a row."""
    tops = sorted(boxes, key=lambda b: -b.y1)
    rows: list[list] = []
    for b in tops:
        if rows and b.y1 > min(r.y0 for r in rows[-1]):
            rows[-1].append(b)
        else:
            rows.append([b])
    return next(i for i, row in enumerate(rows) if any(r is boxes[k] for r in row))


def test_legend_layout_prefers_one_row_then_wraps_then_more_rows():
    labels, ncol, size = figures.legend_layout(SCALES[5][0], 700)
    assert (ncol, size) == (5, 9.0) and labels == SCALES[5][0]
    labels, ncol, _ = figures.legend_layout(SCALES[7][0], 700)
    assert ncol == 7 and "Neither agree nor\ndisagree" in labels
    labels, ncol, _ = figures.legend_layout(SCALES[7][0], 300)
    assert ncol < 7 and max(t.count("\n") for t in labels) <= 2
    assert figures.row_major(list("abcdefg"), 3) == list("adgbecf")
