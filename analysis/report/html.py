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
import functools
import math
from typing import TYPE_CHECKING, Any

from analysis.report.format import fmt_ci, fmt_coef, fmt_int, fmt_num, fmt_p
from analysis.report.measurement import measurement_context
from analysis.report.notes import group_namer, note_text, platform_text, reason_text
from analysis.report.text import (
    LABELS,
    deviation_text,
    family_caption,
    file_name,
    methods_paragraphs,
    references,
    sensitivity_note,
    software_versions,
)
from survey.outputs import showable

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from analysis.report.figures import Figures
    from analysis.report.tables import ReportData

__all__ = ["render_html"]

#: Tables printed on a landscape page of their own (CSS named page ``wide``): item
#: tables of scales with more points, style tables of more groups, than fit A4 portrait.
PRINT_WIDE_POINTS = 7
PRINT_WIDE_GROUPS = 6


def _svg_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _present(value: object) -> bool:
    if value is None:
        return False
    try:
        return not math.isnan(float(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return True


def _note(data: ReportData, note: object) -> str:
    """An analysis note in the report's language, group codes as their labels."""
    return note_text(note, data.lang, group_namer(data.instrument, data.by, data.lang))


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
                      "n": int(r.n), "reason": _note(data, str(r.reason))})
    return {
        "instrument_id": inst.id, "instrument_version": inst.version,
        "instrument_title": data.text(inst.title),
        "file": file_name(log.file), "platform": platform_text(log.platform, data.lang),
        "rows_read": log.rows_read, "rows_accepted": log.rows_accepted,
        "rows_rejected": log.rows_rejected,
        "rejected": [(reason_text(k, data.lang), n) for k, n in sorted(rejected.items())],
        "flagged": [(reason_text(k, data.lang), n) for k, n in sorted(flagged.items())],
        "by": data.by, "by_text": data.text(group.text),
        "groups": groups, "has_labs": bool(len(data.lab_counts)), "suppressed": cells,
        "notes": [_note(data, n) for n in data.comparison.notes],
    }


def _hypotheses(data: ReportData) -> list[dict[str, Any]]:
    import pandas as pd

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
            "note": _note(data, r.note),
            "source": h.source,
            "n": f"{r.n_higher} / {r.n_lower}",
            "labs": ("" if pd.isna(r.labs_higher) else f"{r.labs_higher} / {r.labs_lower}"),
            "test": r.test,
            "p_adj_welch": fmt_p(r.p_adj_welch),
            "verdict_welch": r.verdict_welch,
            "verdict_welch_text": L[r.verdict_welch],
            "support": r.comparison_support,
            "support_text": _note(data, r.comparison_support),
            "support_ok": r.comparison_support == "ok",
            "mde": fmt_num(r.mde),
            "p_tost": fmt_p(r.p_tost_adj),
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
         "omega": fmt_coef(r.omega), "note": _note(data, r.note),
         "ordinal_alpha": fmt_coef(getattr(r, "ordinal_alpha", None)),
         "ordinal_omega": fmt_coef(getattr(r, "ordinal_omega", None))}
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
            "effect_size": fmt_coef(r.effect_size), "note": _note(data, r.note),
        })
    pairwise = [
        {"pair": f"{data.group_label(by, r.group_a)} − {data.group_label(by, r.group_b)}",
         "n": f"{r.n_a} / {r.n_b}", "means": f"{fmt_num(r.mean_a)} / {fmt_num(r.mean_b)}",
         "diff": fmt_num(r.diff), "hedges_g": fmt_num(r.hedges_g),
         "g_ci": fmt_ci(r.g_ci_low, r.g_ci_high), "test": L.get(r.test, r.test),
         "statistic": fmt_num(r.statistic), "df": fmt_num(r.df),
         "p_unc": fmt_p(r.p_unc), "p_adj": fmt_p(r.p_adj), "note": _note(data, r.note)}
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
            "mean_answered": fmt_num(r["mean_answered"]),
            "r_drop": fmt_coef(r["r_drop"]), "alpha_if_dropped": fmt_coef(r["alpha_if_dropped"]),
            "shares": [fmt_int(round(100 * r[c])) if _present(r.get(c)) else fmt_int(None)
                       for c in share_cols],
        })
    figure = figures.get(f"items_{construct.id}")
    warning = ""
    inv = t["invariance_summary"]
    for r in inv[inv["construct"] == construct.id].itertuples(index=False):
        if _flag(r.mean_comparison_warranted) is False \
                and r.highest_level in ("metric", "configural"):
            failed = "scalar" if r.highest_level == "metric" else "metric"
            warning = L["not_warranted_short"].format(level=L[failed], items=r.items_differing)
    return {
        "warning": warning,
        "id": construct.id, "name": data.text(construct.name),
        "definition": data.text(construct.definition),
        "reliability": reliability, "descriptives": descriptives, "omnibus": omnibus,
        "pairwise": pairwise, "item_rows": items,
        "points": [{"code": p, "label": scale.label(p, data.lang)} for p in scale.points],
        "figure": _svg_uri(figure[1]) if figure else None,
        "figure_name": f"items_{construct.id}",
        "print_wide": len(scale.points) > PRINT_WIDE_POINTS,
    }


def _level_text(L: dict[str, str], level: object) -> str:
    return L.get(str(level), str(level)) if level != "not_tested" else L["not_tested_level"]


def _groups_text(data: ReportData, groups: object, sep: str) -> str:
    if not isinstance(groups, str) or not groups:
        return ""
    return sep.join(data.group_label(data.by, g) for g in groups.split("|"))


def _groups_sentence(data: ReportData, groups: object) -> str:
    """Group labels for a sentence: ``A and B``, ``A, B and C`` (``A、B与C`` in Chinese)."""
    names = _groups_text(data, groups, "|").split("|")
    if len(names) < 2:
        return names[0] if names else ""
    if data.lang == "zh":
        return "、".join(names[:-1]) + "与" + names[-1]
    return ", ".join(names[:-1]) + " and " + names[-1]


def _nesting(data: ReportData) -> dict[str, Any]:
    from analysis.report.comparability import MIN_LABS, without_few_labs

    L = LABELS[data.lang]
    t = data.tables
    inst = data.instrument
    rwg = {r.construct: r for r in t["rwg"].itertuples(index=False)}
    icc = []
    for r in t["icc"].itertuples(index=False):
        a = rwg.get(r.construct)
        icc.append({
            "id": r.construct, "construct": data.text(inst.construct(r.construct).name),
            "n": fmt_int(r.n), "labs": fmt_int(r.labs), "icc1": fmt_coef(r.icc1, 3),
            "icc_conditional": fmt_coef(r.icc_conditional, 3),
            "icc2": fmt_coef(r.icc2), "design_effect": fmt_num(r.design_effect),
            "n_effective": fmt_num(r.n_effective, 0),
            "median_rwg_j": fmt_coef(a.median_rwg_j) if a is not None else fmt_num(None),
            "rwg_range": (f"[{fmt_coef(a.min_rwg_j)}, {fmt_coef(a.max_rwg_j)}]"
                          if a is not None and _present(a.min_rwg_j) else ""),
            "share_070": fmt_coef(a.share_070) if a is not None else fmt_num(None),
            "note": _note(data, r.note),
        })
    nested, few = [], []
    previous = None
    for i, r in enumerate(t["nested"].itertuples(index=False)):
        first, previous = r.construct != previous, r.construct
        # the statement above the table says it once; the row gets a tag
        note = without_few_labs(r.note) if r.status == "few labs" else r.note
        pair = f"{data.group_label(data.by, r.group_a)} − {data.group_label(data.by, r.group_b)}"
        name = data.text(inst.construct(r.construct).name)
        nested.append({
            "row": i, "construct": name, "pair": pair, "n": f"{r.n_a} / {r.n_b}",
            "labs": f"{r.labs_a} / {r.labs_b}", "diff": fmt_num(r.diff),
            "welch_p": fmt_p(r.welch_p), "estimate": fmt_num(r.estimate), "se": fmt_num(r.se),
            "t": fmt_num(r.t), "df": fmt_num(r.df, 0), "p_unc": fmt_p(r.p_unc),
            "p_adj": fmt_p(r.p_adj), "status": r.status, "few": r.status == "few labs",
            "note": _note(data, note), "first": first,
        })
        if r.status == "few labs":
            few.append(pair)
    sep = "、" if data.lang == "zh" else "; "
    return {
        "labs": bool(data.checks is not None and data.checks.labs),
        "icc": icc, "nested": nested,
        "icc_conditional": L["icc_conditional"].format(by=data.by),
        "icc_note": L["icc_note"].format(by=data.by),
        "few_labs": L["few_labs"].format(k=MIN_LABS, pairs=sep.join(dict.fromkeys(few)))
        if few else "",
    }


def _invariance(data: ReportData) -> dict[str, Any]:
    from analysis.report import comparability as cmp

    L = LABELS[data.lang]
    t = data.tables
    inst = data.instrument
    sep = "、" if data.lang == "zh" else ", "
    summary, warnings, too_small, untested = [], [], [], set()
    for r in t["invariance_summary"].itertuples(index=False):
        name = data.text(inst.construct(r.construct).name)
        warranted = _flag(r.mean_comparison_warranted)
        if warranted is True:
            mean_text, state = L["warranted"], "warranted"
        elif warranted is False:
            mean_text, state = L["not_warranted"], "not-warranted"
        else:
            mean_text, state = L["not_tested"], "not-tested"
        summary.append({
            "id": r.construct, "construct": name,
            "groups": _groups_text(data, r.groups, sep), "n": fmt_int(r.n),
            "highest_level": _level_text(L, r.highest_level), "level_code": r.highest_level,
            "mean_comparison": mean_text, "state": state,
            "items_differing": r.items_differing or "", "note": _note(data, r.note),
        })
        if warranted is False and r.highest_level in ("metric", "configural"):
            failed = "scalar" if r.highest_level == "metric" else "metric"
            what = L["intercepts_word"] if failed == "scalar" else L["loadings_word"]
            warnings.append(L["not_warranted_text"].format(
                construct=name, groups=_groups_sentence(data, r.groups),
                level=L[failed], what=what, items=r.items_differing))
        elif r.highest_level == "not_tested" and r.status in ("too_few", "too_few_items"):
            untested.add(r.construct)
            if r.status == "too_few":
                too_small.append(name)
    if too_small:
        warnings.append(L["too_small_text"].format(
            constructs=("、" if data.lang == "zh" else ", ").join(too_small),
            n=cmp.INVARIANCE_MIN_N))
    fits = []
    for r in t["invariance_fits"].itertuples(index=False):
        if r.construct in untested:
            continue
        holds = _flag(r.holds)
        fits.append({
            "id": f"{r.construct}-{r.level}",
            "construct": data.text(inst.construct(r.construct).name),
            "level": L[r.level], "chisq": fmt_num(r.chisq),
            "df": fmt_int(None if _na(r.df) else r.df), "cfi": fmt_coef(r.cfi, 3),
            "rmsea": fmt_coef(r.rmsea, 3), "srmr": fmt_coef(r.srmr, 3),
            "delta_cfi": fmt_coef(r.delta_cfi, 3), "delta_rmsea": fmt_coef(r.delta_rmsea, 3),
            "delta_srmr": fmt_coef(r.delta_srmr, 3),
            "holds": "" if holds is None else (L["yes"] if holds else L["no"]),
            "fails": holds is False, "first": r.level == "configural",
        })
    items = []
    previous = None
    for i, r in enumerate(t["invariance_items"].itertuples(index=False)):
        items.append({
            "row": i, "construct": data.text(inst.construct(r.construct).name),
            "first": r.construct != previous,
            "parameter": L.get(r.parameter, r.parameter), "item": r.item,
            "chisq": fmt_num(r.chisq), "df": fmt_int(r.df), "p_unc": fmt_p(r.p_unc),
            "p_adj": fmt_p(r.p_adj)})
        previous = r.construct
    intro = L["invariance_intro"].format(
        n=cmp.INVARIANCE_MIN_N, cfi=fmt_coef(cmp.MIN_CFI), dcfi=fmt_coef(cmp.DELTA_CFI, 3),
        drmsea=fmt_coef(cmp.DELTA_RMSEA, 3), dsrmr_m=fmt_coef(cmp.DELTA_SRMR[0], 3),
        dsrmr_s=fmt_coef(cmp.DELTA_SRMR[1], 3))
    return {"intro": intro, "summary": summary, "warnings": warnings, "fits": fits,
            "item_tests": items}


def _na(value: object) -> bool:
    import pandas as pd

    return value is None or bool(pd.isna(value))


def _flag(value: object) -> bool | None:
    """A nullable boolean cell as True, False or None."""
    return None if _na(value) else bool(value)


def _styles(data: ReportData) -> dict[str, Any]:
    from analysis.styles import STYLES

    L = LABELS[data.lang]
    t = data.tables
    desc = t["styles"]
    groups = list(dict.fromkeys(desc["group"]))
    cells = {(r.style, r.group): r for r in desc.itertuples(index=False)}
    rows = []
    for style in STYLES:
        if not any((style, g) in cells for g in groups):
            continue
        values = []
        for g in groups:
            r = cells.get((style, g))
            values.append({"group": g, "mean": fmt_num(r.mean) if r else fmt_num(None),
                           "sd": fmt_num(r.sd) if r else fmt_num(None)})
        rows.append({"style": style, "name": L[style], "cells": values})
    differences, findings = [], []
    previous = None
    for i, r in enumerate(t["style_differences"].itertuples(index=False)):
        a, b = data.group_label(data.by, r.group_a), data.group_label(data.by, r.group_b)
        first, previous = r.style != previous, r.style
        differences.append({
            "row": i, "style": L[r.style], "first": first, "pair": f"{a} − {b}",
            "n": f"{r.n_a} / {r.n_b}",
            "diff": fmt_num(r.diff), "hedges_g": fmt_num(r.hedges_g),
            "g_ci": fmt_ci(r.g_ci_low, r.g_ci_high), "p_adj": fmt_p(r.p_adj),
        })
        if r.style in ("ars", "dars", "ers", "mrs") and _present(r.p_adj) \
                and r.p_adj < data.alpha:
            findings.append(L["style_finding"].format(
                style=L[r.style], a=a, b=b,
                cmp=L["higher_than"] if r.diff > 0 else L["lower_than"],
                diff=fmt_num(r.diff), g=fmt_num(r.hedges_g), p=fmt_p(r.p_adj)))
    sens = []
    for r in t["acquiescence_sensitivity"].itertuples(index=False):
        sens.append({
            "id": r.hypothesis,
            "construct": data.text(data.instrument.construct(r.construct).name),
            "plain_diff": fmt_num(r.plain_diff), "plain_g": fmt_num(r.plain_g),
            "plain_p_adj": fmt_p(r.plain_p_adj), "plain_verdict": L[r.plain_verdict],
            "corrected_diff": fmt_num(r.corrected_diff), "corrected_g": fmt_num(r.corrected_g),
            "corrected_p_adj": fmt_p(r.corrected_p_adj),
            "corrected_verdict": L[r.corrected_verdict],
            "same": L["yes"] if r.same_verdict else L["no"],
        })
    checks = data.checks
    unbalanced = list(checks.unbalanced) if checks is not None else []
    if checks is not None and checks.styles_note:
        balance = _note(data, checks.styles_note)
    elif unbalanced:
        names = [data.text(data.instrument.construct(c).name) for c in unbalanced]
        balance = L["sensitivity_unbalanced"].format(
            constructs=("、" if data.lang == "zh" else ", ").join(names))
    else:
        balance = L["sensitivity_balanced"]
    return {
        "groups": [{"code": g, "label": data.group_label(data.by, g)} for g in groups],
        "rows": rows, "differences": differences, "findings": findings,
        "sensitivity": sens, "balance": balance,
        "print_wide": len(groups) > PRINT_WIDE_GROUPS,
    }


def _prereg(data: ReportData) -> dict[str, Any] | None:
    """The preregistration section: "analysed as preregistered" or the deviations."""
    check = data.prereg
    if check is None:
        return None
    L = LABELS[data.lang]
    name = file_name(check.file)
    name = group_namer(data.instrument, data.by, data.lang)
    rows = []
    for d in check.deviations:
        what, planned = deviation_text(d.kind, d.preregistered, data.lang, name)
        _, used = deviation_text(d.kind, d.used, data.lang, name)
        rows.append({"kind": d.kind, "what": what, "preregistered": planned, "used": used})
    return {
        "heading": L["deviations"] if rows else L["prereg"],
        "text": (L["deviations_intro"] if rows else L["as_preregistered"]).format(file=name),
        "deviations": rows,
    }


@functools.lru_cache(maxsize=1)
def _template() -> Any:
    """The page's template, compiled once per process (compiling it takes a tenth of a
    second; a process writing several reports compiles it once)."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("analysis.report", "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        undefined=jinja2.StrictUndefined,
    )
    return env.get_template("report.html.j2")


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
    template = _template()
    forest = figures.get("hypotheses_forest")
    page = template.render(
        lang=data.lang,
        L=LABELS[data.lang],
        simulated=data.responses.simulated,
        summary=_summary(data),
        prereg=_prereg(data),
        hypotheses=_hypotheses(data),
        forest=_svg_uri(forest[1]) if forest else None,
        constructs=[_construct(data, c, figures) for c in data.instrument.constructs],
        nesting=_nesting(data),
        invariance=_invariance(data),
        styles=_styles(data),
        measurement=measurement_context(data),
        methods=methods_paragraphs(data),
        references=references(data),
        software=software_versions(),
        stamp=data.stamp,
        min_group_n=data.min_group_n,
        equivalence=data.equivalence is not None,
        hypotheses_note=sensitivity_note(data),
        families={name: family_caption(data, name) for name in (
            "hypotheses", "nested", "omnibus", "pairwise", "styles", "sensitivity",
            "invariance_items")},
    )
    # respondents' text (lab codes, group answers) may hold characters no HTML page may:
    # controls are parse errors, a lone surrogate cannot be written as UTF-8. Shown as
    # U+FFFD, as the figures and the workbook show them (the template has none)
    return showable(page).encode("utf-8")
