"""``report.html``: one self-contained page (styles and figures inline, no requests).

The page is rendered from ``templates/report.html.j2`` with jinja2's autoescape on, so
every text that comes from the data (lab codes, file names, log messages) is escaped;
group labels come from the instrument's choices, and free-text groups (lab codes) are
shown as escaped data. Numbers are formatted here, with :mod:`analysis.report.format`,
and each table cell that shows one carries ``data-col`` with the column of the table it
comes from, so a test (or a script) can find it. Figures are SVG images inlined as
``data:`` URIs, which keeps their ids apart and the page free of external requests.
"""

from __future__ import annotations

import base64
import math
from typing import TYPE_CHECKING, Any

from analysis.report.format import fmt_ci, fmt_coef, fmt_int, fmt_num, fmt_p
from analysis.report.text import LABELS, methods_paragraphs, references, software_versions

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from analysis.report.figures import Figures
    from analysis.report.tables import ReportData

__all__ = ["render_html"]


def _svg_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _file_name(path: str) -> str:
    from pathlib import PurePath

    return PurePath(path).name or path


def _present(value: object) -> bool:
    if value is None:
        return False
    try:
        return not math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def _summary(data: ReportData) -> dict[str, Any]:
    inst = data.instrument
    log = data.responses.log
    L = LABELS[data.lang]
    rejected: dict[str, int] = {}
    for reason in log.rejected.values():
        rejected[reason] = rejected.get(reason, 0) + 1
    flagged: dict[str, int] = {}
    for r in log.records:
        if r.action == "flagged":
            flagged[r.reason] = flagged.get(r.reason, 0) + 1
    column = data.responses.data[data.by]
    counts = column.astype(object).where(column.notna(), None).value_counts(dropna=False)
    suppressed = data.tables["suppressed"]
    whole = set(suppressed.loc[suppressed["construct"].isna(), "group"])
    group = inst.group(data.by)
    order = list(group.codes) if group.type == "choice" else sorted(
        str(v) for v in counts.index if v is not None)
    labs: dict[str, list[tuple[str, int]]] = {}
    for r in data.lab_counts.itertuples(index=False):
        labs.setdefault(str(r.group), []).append((str(r.lab), int(r.n)))
    groups = [
        {"label": data.group_label(data.by, g), "n": int(counts.get(g, 0)),
         "suppressed": g in whole, "labs": labs.get(g, [])}
        for g in order if int(counts.get(g, 0)) > 0 or g in whole
    ]
    missing = int(column.isna().sum())
    if missing:
        groups.append({"label": L["no_group"], "n": missing, "suppressed": False,
                       "labs": labs.get("", [])})
    cells = []
    for r in suppressed.itertuples(index=False):
        construct = (data.text(inst.construct(r.construct).name)
                     if isinstance(r.construct, str) and r.construct else "")
        cells.append({"group": data.group_label(data.by, r.group), "construct": construct,
                      "n": int(r.n), "reason": str(r.reason)})
    return {
        "instrument_id": inst.id, "instrument_version": inst.version,
        "instrument_title": data.text(inst.title),
        "file": _file_name(log.file), "platform": log.platform,
        "rows_read": log.rows_read, "rows_accepted": log.rows_accepted,
        "rows_rejected": log.rows_rejected,
        "rejected": sorted(rejected.items()), "flagged": sorted(flagged.items()),
        "by": data.by, "by_text": data.text(group.text),
        "groups": groups, "has_labs": bool(len(data.lab_counts)), "suppressed": cells,
        "notes": list(data.comparison.notes),
    }


def _hypotheses(data: ReportData) -> list[dict[str, Any]]:
    inst = data.instrument
    L = LABELS[data.lang]
    rows = []
    for h, r in zip(inst.hypotheses, data.tables["hypotheses"].itertuples(index=False),
                    strict=True):
        rows.append({
            "id": r.hypothesis,
            "construct_id": r.construct,
            "construct": data.text(inst.construct(r.construct).name),
            "prediction": f"{data.group_label(h.by, h.higher)} > "
                          f"{data.group_label(h.by, h.lower)}",
            "observed_diff": fmt_num(r.observed_diff),
            "hedges_g": fmt_num(r.hedges_g),
            "g_ci": fmt_ci(r.g_ci_low, r.g_ci_high) if _present(r.hedges_g) else "",
            "p_adj": fmt_p(r.p_adj),
            "verdict": r.verdict,
            "verdict_text": L[r.verdict],
            "note": r.note,
            "source": h.source,
            "n": f"{r.n_higher} / {r.n_lower}",
        })
    return rows


def _rows(frame: pd.DataFrame, construct: str) -> list[Any]:
    return list(frame[frame["construct"] == construct].itertuples(index=False))


def _construct(data: ReportData, construct, figures: Figures) -> dict[str, Any]:
    L = LABELS[data.lang]
    t = data.tables
    by = data.by
    scale = data.instrument.scales[construct.scale]
    reliability = [
        {"group": L["all"] if r.group == "all" else data.group_label(by, r.group),
         "n": fmt_int(r.n), "k": fmt_int(r.k), "alpha": fmt_coef(r.alpha),
         "alpha_ci": fmt_ci(r.alpha_ci_low, r.alpha_ci_high, coef=True),
         "omega": fmt_coef(r.omega), "note": r.note}
        for r in _rows(t["reliability"], construct.id)
    ]
    descriptives = [
        {"group": data.group_label(by, r.group), "n": fmt_int(r.n), "mean": fmt_num(r.mean),
         "sd": fmt_num(r.sd), "median": fmt_num(r.median)}
        for r in _rows(t["descriptives"], construct.id)
    ]
    omnibus = []
    for r in _rows(t["omnibus"], construct.id):
        df = fmt_int(r.df1) if not _present(r.df2) else f"{fmt_int(r.df1)}, {fmt_num(r.df2)}"
        omnibus.append({
            "test": L.get(r.test, r.test), "statistic": fmt_num(r.statistic),
            "df": df if _present(r.statistic) else fmt_num(None),
            "p_unc": fmt_p(r.p_unc), "p_adj": fmt_p(r.p_adj),
            "effect_name": L.get(r.effect_size_name, r.effect_size_name),
            "effect_size": fmt_coef(r.effect_size), "note": r.note,
        })
    pairwise = [
        {"pair": f"{data.group_label(by, r.group_a)} − {data.group_label(by, r.group_b)}",
         "n": f"{r.n_a} / {r.n_b}", "means": f"{fmt_num(r.mean_a)} / {fmt_num(r.mean_b)}",
         "diff": fmt_num(r.diff), "hedges_g": fmt_num(r.hedges_g),
         "g_ci": fmt_ci(r.g_ci_low, r.g_ci_high), "test": L.get(r.test, r.test),
         "statistic": fmt_num(r.statistic), "df": fmt_num(r.df),
         "p_unc": fmt_p(r.p_unc), "p_adj": fmt_p(r.p_adj), "note": r.note}
        for r in _rows(t["pairwise"], construct.id)
    ]
    share_cols = [("p_m" if p < 0 else "p_") + str(abs(p)) for p in scale.points]
    items_frame = t["items"][t["items"]["construct"] == construct.id]
    items = []
    for item, r in zip(construct.items, items_frame.to_dict("records"), strict=True):
        items.append({
            "id": item.id, "text": data.text(item.text),
            "reverse": L["yes"] if item.reverse else L["no"], "n": fmt_int(r["n"]),
            "mean": fmt_num(r["mean"]), "sd": fmt_num(r["sd"]),
            "r_drop": fmt_coef(r["r_drop"]), "alpha_if_dropped": fmt_coef(r["alpha_if_dropped"]),
            "shares": [fmt_int(round(100 * r[c])) if _present(r.get(c)) else fmt_int(None)
                       for c in share_cols],
        })
    figure = figures.get(f"items_{construct.id}")
    return {
        "id": construct.id, "name": data.text(construct.name),
        "definition": data.text(construct.definition),
        "reliability": reliability, "descriptives": descriptives, "omnibus": omnibus,
        "pairwise": pairwise, "item_rows": items,
        "points": [{"code": p, "label": scale.label(p, data.lang)} for p in scale.points],
        "figure": _svg_uri(figure[1]) if figure else None,
        "figure_name": f"items_{construct.id}",
    }


def render_html(data: ReportData, figures: Figures) -> bytes:
    """The report page as UTF-8 bytes.

    Parameters
    ----------
    data : ReportData
        The computed tables and settings.
    figures : dict of str to (bytes, bytes)
        Figure name -> (PNG, SVG), as :func:`analysis.report.figures.make_figures`
        returns them; the SVGs are inlined.
    """
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("analysis.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    template = env.get_template("report.html.j2")
    forest = figures.get("hypotheses_forest")
    page = template.render(
        lang=data.lang,
        L=LABELS[data.lang],
        simulated=data.responses.simulated,
        summary=_summary(data),
        hypotheses=_hypotheses(data),
        forest=_svg_uri(forest[1]) if forest else None,
        constructs=[_construct(data, c, figures) for c in data.instrument.constructs],
        methods=methods_paragraphs(data),
        references=references(data),
        software=software_versions(),
        stamp=data.stamp,
        min_group_n=data.min_group_n,
    )
    return page.encode("utf-8")
