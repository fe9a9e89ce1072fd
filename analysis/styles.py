"""Response styles: acquiescence, disacquiescence, extreme and midpoint responding.

Respondents from different cultures use answer scales differently (East Asian samples
tend to choose the midpoint more and the extremes less; Chen, Lee & Stevenson 1995;
Harzing 2006), and such styles can pass for differences in the constructs. This module
measures them per respondent, compares them between groups, and re-runs the hypothesis
tests on scores corrected for acquiescence as a sensitivity analysis.

The indices (:func:`style_indices`)
    Computed per respondent over **all items** of the instrument (raw answers, before
    reverse keying; Baumgartner & Steenkamp 2001), over the items answered. With the
    answer at position ``s = 0 .. m-1`` of an ``m``-point scale and ``c = (m - 1) / 2``
    its middle (on 1-5: ``s = x - 1``, ``c = 2``):

    - ``ars`` acquiescence: mean of ``max(s - c, 0)`` (1-5: 4 -> 1, 5 -> 2, else 0;
      1-7: 5 -> 1, 6 -> 2, 7 -> 3);
    - ``dars`` disacquiescence: mean of ``max(c - s, 0)`` (1-5: 2 -> 1, 1 -> 2);
    - ``ers`` extreme responding: share of answers at either end of the scale;
    - ``mrs`` midpoint responding: share of answers at the middle point, over the items
      of odd-point scales only (``nan`` when there are none);
    - ``nars`` net acquiescence: mean of ``s - c`` (= ``ars - dars`` on odd scales);
    - ``acquiescence``: the balanced acquiescence used for the correction below.

    On an even-point scale (no middle) ``c`` is ``m/2 - 1/2`` as well, so the agree half
    gets weights ``1/2, 3/2, ...``; ``n_items`` counts the answers used.

Acquiescence correction (:func:`acquiescence_corrected_scores`)
    Within-person centring on the balanced item set. For respondent *i*, with ``P`` the
    positively keyed and ``R`` the reverse-keyed items answered and ``d = x - midpoint``
    a raw answer's distance from its scale's midpoint,
    ``acquiescence_i = (mean_P d + mean_R d) / 2``: content cancels because a person
    high on a construct agrees with its positive items and disagrees with its reversed
    ones, while a tendency to agree with everything raises both means. Each raw answer
    becomes ``x - acquiescence_i``; those are reverse keyed (``min + max - x``) and
    scored like the plain scores (mean of the items answered, at least
    ``min_answered`` of a construct's items). Respondents without an answer in both
    keying directions get no corrected score.

    Consequence worth knowing: on a construct with as many positive as reversed items
    (the flagship instrument's are all 3 + 3) the correction cancels within the
    construct score, so corrected and plain scores differ only for respondents who
    skipped items. Balanced keying already protects the comparison from acquiescence;
    the indices show how large the acquiescence is, and the corrected comparison shows
    the difference the correction makes where keying is unbalanced.

The group comparison (:func:`compare_styles`) uses Welch's t and Hedges' g from
:mod:`analysis.stats`, as the respondent-level comparison of the scales does.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

from survey.errors import SurveyError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from survey.instrument import Instrument

__all__ = [
    "SENSITIVITY_COLUMNS",
    "STYLES",
    "STYLE_DESCRIPTIVES_COLUMNS",
    "STYLE_PAIRWISE_COLUMNS",
    "StyleComparison",
    "acquiescence_corrected_scores",
    "acquiescence_sensitivity",
    "compare_styles",
    "style_indices",
]

#: The style indices, in order (columns of :func:`style_indices` after the groups).
STYLES = ("ars", "dars", "ers", "mrs", "nars", "acquiescence")
#: Columns of :attr:`StyleComparison.descriptives`.
STYLE_DESCRIPTIVES_COLUMNS = ["style", "group", "n", "mean", "sd"]
#: Columns of :attr:`StyleComparison.pairwise`.
STYLE_PAIRWISE_COLUMNS = [
    "style", "group_a", "group_b", "n_a", "n_b", "mean_a", "mean_b", "diff", "hedges_g",
    "g_ci_low", "g_ci_high", "t", "df", "p_unc", "p_adj",
]
#: Columns of :func:`acquiescence_sensitivity`.
SENSITIVITY_COLUMNS = [
    "hypothesis", "construct", "by", "predicted",
    "plain_diff", "plain_g", "plain_p_adj", "plain_verdict",
    "corrected_diff", "corrected_g", "corrected_p_adj", "corrected_verdict",
    "same_verdict",
]


@dataclass(frozen=True)
class StyleComparison:
    """Response styles compared between the groups of one grouping column.

    Attributes
    ----------
    by : str
        The grouping column.
    groups : tuple of str
        Groups compared (those with at least ``min_group_n`` respondents), in order.
    descriptives : pandas.DataFrame
        :data:`STYLE_DESCRIPTIVES_COLUMNS`: n, mean and sd (``ddof=1``) per style and
        group.
    pairwise : pandas.DataFrame
        :data:`STYLE_PAIRWISE_COLUMNS`: per style and pair, ``group_a - group_b``
        difference, Hedges' g [95 % CI], Welch's t, df, p and ``p_adj`` (Holm, or the
        chosen method, across every row).
    """

    by: str
    groups: tuple[str, ...]
    descriptives: pd.DataFrame
    pairwise: pd.DataFrame


def _positions(data: pd.DataFrame, instrument: Instrument) -> tuple[np.ndarray, list]:
    """Scale positions ``s`` (0 .. m-1) of every item answer, and each item's scale."""
    import numpy as np
    import pandas as pd

    missing = [i for i in instrument.item_ids if i not in data.columns]
    if missing:
        raise SurveyError(f"no column for item(s) {', '.join(missing)}; the response "
                          "styles use every item of the instrument")
    items = instrument.items
    out = np.full((len(data), len(items)), np.nan)
    scales = []
    for k, item in enumerate(items):
        scale = instrument.scales[item.scale]
        points = np.asarray(sorted(scale.points), dtype=float)
        x = pd.to_numeric(data[item.id], errors="coerce").to_numpy(dtype=float,
                                                                   na_value=np.nan)
        pos = np.searchsorted(points, x)
        answered = ~np.isnan(x)
        bad = answered & ((pos >= points.size)
                          | (points[np.minimum(pos, points.size - 1)] != x))
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise SurveyError(
                f"value {x[row]:g} is not a point of scale '{scale.id}' "
                f"({', '.join(str(p) for p in scale.points)})",
                row=row + 1, column=item.id,
            )
        out[:, k] = np.where(answered, pos, np.nan)
        scales.append(scale)
    return out, scales


def _front(data: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    keep = [c for c in ("respondent_id", *instrument.group_ids) if c in data.columns]
    return data[keep].copy()


def style_indices(data: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """ARS, DARS, ERS, MRS, NARS and balanced acquiescence per respondent.

    Parameters
    ----------
    data : pandas.DataFrame
        Item answers in the template layout (``ResponseSet.data``): raw answers, not
        reverse keyed, missing as NA. Not modified.
    instrument : Instrument
        Gives the items, their scales and keying.

    Returns
    -------
    pandas.DataFrame
        ``respondent_id`` and the grouping columns present in ``data``, then
        ``n_items`` (answers used) and the indices of :data:`STYLES` (definitions in
        the module docstring); ``nan`` for a respondent without answers.

    Raises
    ------
    SurveyError
        An item column is missing or holds a value that is not a point of its scale.

    Examples
    --------
    >>> import pandas as pd
    >>> from survey.instrument import loads
    >>> inst = loads('''
    ... id: t
    ... version: "1"
    ... languages: [en]
    ... title: {en: T}
    ... scales: {a5: {points: [1, 2, 3, 4, 5], labels: {en: [a, b, c, d, e]}}}
    ... groups: [{id: g, type: choice, choices: [{code: x, label: {en: X}}], text: {en: G}}]
    ... constructs:
    ...   - id: c
    ...     name: {en: C}
    ...     definition: {en: C}
    ...     scale: a5
    ...     items:
    ...       - {id: i1, text: {en: one}, reverse: false}
    ...       - {id: i2, text: {en: two}, reverse: true}
    ...       - {id: i3, text: {en: three}, reverse: false}
    ...       - {id: i4, text: {en: four}, reverse: true}
    ... ''')
    >>> data = pd.DataFrame({"g": ["x"], "i1": [5], "i2": [4], "i3": [3], "i4": [1]})
    >>> row = style_indices(data, inst).iloc[0]
    >>> # ARS (2 + 1 + 0 + 0) / 4; DARS (0 + 0 + 0 + 2) / 4; ERS 2/4; MRS 1/4
    >>> [float(row[k]) for k in ("ars", "dars", "ers", "mrs", "nars")]
    [0.75, 0.5, 0.5, 0.25, 0.25]
    """
    import numpy as np

    pos, scales = _positions(data, instrument)
    m = np.array([len(s.points) for s in scales], dtype=float)
    c = (m - 1) / 2
    odd = (m % 2) == 1
    answered = ~np.isnan(pos)
    n_items = answered.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = pos - c[None, :]
        ars = np.nansum(np.clip(dev, 0, None), axis=1) / n_items
        dars = np.nansum(np.clip(-dev, 0, None), axis=1) / n_items
        ext = np.where(answered, (pos == 0) | (pos == (m - 1)[None, :]), np.nan)
        ers = np.nansum(ext, axis=1) / n_items
        n_odd = (answered & odd[None, :]).sum(axis=1)
        mid = np.where(answered & odd[None, :], pos == c[None, :], np.nan)
        mrs = np.where(n_odd > 0, np.nansum(mid, axis=1) / n_odd, np.nan)
        nars = np.nansum(dev, axis=1) / n_items
    out = _front(data, instrument)
    out["n_items"] = n_items.astype("int64")
    for name, values in (("ars", ars), ("dars", dars), ("ers", ers), ("mrs", mrs),
                         ("nars", nars)):
        out[name] = np.where(n_items > 0, values, np.nan)
    out["acquiescence"] = _acquiescence(instrument, pos, scales)
    return out


def _acquiescence(instrument, pos, scales) -> np.ndarray:
    """(mean distance from the midpoint over positive items + same over reversed) / 2."""
    import numpy as np

    points = [np.asarray(sorted(s.points), dtype=float) for s in scales]
    # distance from the midpoint in raw units (works for unequally spaced points too)
    raw = np.full(pos.shape, np.nan)
    for k, p in enumerate(points):
        ok = ~np.isnan(pos[:, k])
        raw[ok, k] = p[pos[ok, k].astype(int)]
    mid = np.array([(p.min() + p.max()) / 2 for p in points])
    dev = raw - mid[None, :]
    reverse = np.array([item.reverse for item in instrument.items])
    with np.errstate(invalid="ignore"):
        pos_mean = _row_nanmean(dev[:, ~reverse])
        rev_mean = _row_nanmean(dev[:, reverse])
    return (pos_mean + rev_mean) / 2


def _row_nanmean(x: np.ndarray) -> np.ndarray:
    import numpy as np

    count = (~np.isnan(x)).sum(axis=1)
    total = np.nansum(x, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / count, np.nan)


def _score(
    data: pd.DataFrame,
    instrument: Instrument,
    min_answered: float,
    shift: np.ndarray | None = None,
) -> pd.DataFrame:
    """Scale scores as :func:`analysis.scoring.score_scales` makes them, with ``shift``
    (per respondent) subtracted from every raw answer before keying.

    Keying is linear, so ``min + max - (x - s)`` is the keyed answer plus ``s``: the shift
    is applied to the keyed matrix with a minus sign on positive and a plus sign on
    reverse-keyed items, and keying and the missing-data rule stay in
    :mod:`analysis.scoring`."""
    import numpy as np
    import pandas as pd

    from analysis.scoring import construct_means, keyed_matrix

    x = keyed_matrix(data, instrument, list(instrument.item_ids))
    if shift is not None:
        sign = np.array([-1.0 if item.reverse else 1.0 for item in instrument.items])
        x = x - shift[:, None] * sign[None, :]
    means = construct_means(x, instrument, min_answered)
    out = _front(data, instrument)
    scores = pd.DataFrame(means, index=data.index,
                          columns=[c.id for c in instrument.constructs])
    return pd.concat([out, scores], axis=1)


def acquiescence_corrected_scores(
    data: pd.DataFrame,
    instrument: Instrument,
    *,
    min_answered: float = 0.5,
) -> pd.DataFrame:
    """Scale scores corrected for acquiescence by within-person centring.

    Parameters
    ----------
    data : pandas.DataFrame
        Item answers in the template layout (raw, not reverse keyed). Not modified.
    instrument : Instrument
        Gives the constructs, items, keying and scales.
    min_answered : float
        Share of a construct's items a respondent must answer to get a score
        (default 0.5, as ``survey compare``).

    Returns
    -------
    pandas.DataFrame
        ``respondent_id``, the grouping columns present, and one column per construct
        id: the corrected score (see the module docstring), ``nan`` without enough
        answers or without an answer in both keying directions.

    Raises
    ------
    SurveyError
        The instrument has no reverse-keyed (or no positively keyed) item, so
        acquiescence cannot be told from content; or an item column is missing.

    Examples
    --------
    >>> import pandas as pd
    >>> from survey.instrument import load
    >>> inst = load("lab-culture")
    >>> row = {i: 4 for i in inst.item_ids}        # agrees with every statement
    >>> scores = acquiescence_corrected_scores(pd.DataFrame([row]), inst)
    >>> float(scores.loc[0, "self_promotion"])     # plain score: (4+2+4+2+4+2)/6 = 3
    3.0
    """
    import numpy as np

    _check_share(min_answered)
    reverse = [i.reverse for i in instrument.items]
    if not any(reverse) or all(reverse):
        raise SurveyError(
            "the acquiescence correction needs both positively and reverse-keyed items; "
            f"instrument '{instrument.id}' has only "
            + ("positively" if not any(reverse) else "reverse") + " keyed items"
        )
    pos, scales = _positions(data, instrument)
    acq = _acquiescence(instrument, pos, scales)
    scores = _score(data, instrument, min_answered, shift=np.nan_to_num(acq, nan=0.0))
    for construct in instrument.constructs:
        scores.loc[np.isnan(acq), construct.id] = np.nan
    return scores


def compare_styles(
    styles: pd.DataFrame,
    instrument: Instrument,
    by: str,
    *,
    groups: Sequence[str] | None = None,
    min_group_n: int = 5,
    adjust: str = "holm",
) -> StyleComparison:
    """Compare the response-style indices between the groups of ``by``.

    Parameters
    ----------
    styles : pandas.DataFrame
        As returned by :func:`style_indices`. Not modified.
    instrument : Instrument
        Gives the group codes and their order.
    by : str
        Grouping column, e.g. ``"lab_region"``.
    groups : sequence of str, optional
        Only these groups, in this order (default: every group present).
    min_group_n : int
        Groups with fewer respondents are left out (default 5).
    adjust : {"holm", "fdr_bh", "none"}
        Adjustment across every style and pair.

    Returns
    -------
    StyleComparison
        Descriptives and pairwise Welch tests with Hedges' g.

    Raises
    ------
    SurveyError
        ``by`` is not a column, unknown groups, or an option out of range.
    """
    import numpy as np
    import pandas as pd

    from analysis import stats
    from analysis.compare import _check_options, _group_column, _group_order

    _check_options(min_group_n, adjust)
    column = _group_column(styles, instrument, by)
    order = _group_order(instrument, by, column, groups)
    sizes = column.value_counts()
    kept = [g for g in order if int(sizes.get(g, 0)) >= min_group_n]
    desc, pairs = [], []
    for style in STYLES:
        if style not in styles.columns:
            continue
        values = pd.to_numeric(styles[style], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan)
        cells = {}
        for g in kept:
            x = values[(column == g).to_numpy()]
            x = x[~np.isnan(x)]
            if x.size < min_group_n:
                continue
            cells[g] = x
            desc.append({"style": style, "group": g, "n": int(x.size),
                         "mean": float(x.mean()), "sd": float(x.std(ddof=1))})
        for ga, gb in combinations(cells, 2):
            a, b = cells[ga], cells[gb]
            summary = (a.size, a.mean(), a.var(ddof=1), b.size, b.mean(), b.var(ddof=1))
            wt = stats.welch_t(*summary)
            g, lo, hi = stats.hedges_g(*summary)
            pairs.append({
                "style": style, "group_a": ga, "group_b": gb, "n_a": int(a.size),
                "n_b": int(b.size), "mean_a": float(a.mean()), "mean_b": float(b.mean()),
                "diff": float(wt.diff), "hedges_g": float(g), "g_ci_low": float(lo),
                "g_ci_high": float(hi), "t": float(wt.t), "df": float(wt.df),
                "p_unc": float(wt.p), "p_adj": np.nan,
            })
    pairwise = pd.DataFrame(pairs, columns=STYLE_PAIRWISE_COLUMNS)
    pairwise["p_adj"] = stats.adjust_p(pairwise["p_unc"].to_numpy(dtype=float), adjust)
    return StyleComparison(by=by, groups=tuple(kept),
                           descriptives=pd.DataFrame(desc, columns=STYLE_DESCRIPTIVES_COLUMNS),
                           pairwise=pairwise)


def acquiescence_sensitivity(
    data: pd.DataFrame,
    instrument: Instrument,
    *,
    min_group_n: int = 5,
    alpha: float = 0.05,
    adjust: str = "holm",
    min_answered: float = 0.5,
) -> pd.DataFrame:
    """The hypothesis tests on plain and on acquiescence-corrected scores, side by side.

    Both columns come from :func:`analysis.hypotheses.evaluate_hypotheses` (Welch's t,
    Hedges' g, Holm across hypotheses) on scores made the same way, once plain and once
    after the correction of :func:`acquiescence_corrected_scores`.

    Parameters
    ----------
    data : pandas.DataFrame
        Item answers in the template layout. Not modified.
    instrument : Instrument
        Its hypotheses are tested.
    min_group_n, alpha, adjust
        As :func:`analysis.hypotheses.evaluate_hypotheses`.
    min_answered : float
        Share of a construct's items needed for a score (default 0.5).

    Returns
    -------
    pandas.DataFrame
        :data:`SENSITIVITY_COLUMNS`: per hypothesis the difference (predicted higher
        minus the other), Hedges' g, adjusted p and verdict from the plain and from the
        corrected scores, and ``same_verdict``.
    """
    import pandas as pd

    from analysis.hypotheses import evaluate_hypotheses

    _check_share(min_answered)
    plain = evaluate_hypotheses(_score(data, instrument, min_answered), instrument,
                                min_group_n=min_group_n, alpha=alpha, adjust=adjust)
    corrected = evaluate_hypotheses(
        acquiescence_corrected_scores(data, instrument, min_answered=min_answered),
        instrument, min_group_n=min_group_n, alpha=alpha, adjust=adjust)
    out = plain[["hypothesis", "construct", "by", "predicted"]].copy()
    for prefix, table in (("plain", plain), ("corrected", corrected)):
        out[f"{prefix}_diff"] = table["observed_diff"].to_numpy()
        out[f"{prefix}_g"] = table["hedges_g"].to_numpy()
        out[f"{prefix}_p_adj"] = table["p_adj"].to_numpy()
        out[f"{prefix}_verdict"] = table["verdict"].to_numpy()
    out["same_verdict"] = out["plain_verdict"] == out["corrected_verdict"]
    return pd.DataFrame(out, columns=SENSITIVITY_COLUMNS)


def _check_share(min_answered: float) -> None:
    from analysis.scoring import _check_min_answered

    _check_min_answered(min_answered)
