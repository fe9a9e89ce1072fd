"""Scale scores: reverse keying and the missing-data rule.

A construct's score is computed from its items after reverse keying each reverse item as
``min + max - x`` on the item's declared scale (not on the range observed in the data,
so a sample in which nobody chose an extreme answer does not shift the reversal).

* ``method="mean"`` (the default): the mean of the answered items, provided at least
  ``min_answered`` of the construct's items are answered (default: half, so 3 of 5 or
  2 of 4); otherwise the score is missing. This is prorated mean scoring; R's
  ``psych::scoreItems(impute="none")`` gives the same means without the threshold.
* ``method="sum"``: a *prorated* sum, the mean above times the number of items in the
  construct. With every item answered it is the plain sum; with some items skipped it
  stays on the same 0..k·max range instead of being biased downwards by the skipped
  items (a plain sum of the answered items would count a skip as a zero). It is missing
  under the same rule as the mean.

Everything is computed on whole columns with numpy; no loop over respondents.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from survey.errors import SurveyError, did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from survey.instrument import Construct, Instrument
    from survey.responses.model import ResponseSet

__all__ = ["SCORE_METHODS", "construct_means", "keyed_matrix", "reverse_key", "score_scales"]

#: Accepted values of ``score_scales(method=...)``.
SCORE_METHODS = ("mean", "sum")


def reverse_key(frame: pd.DataFrame, instrument: Instrument) -> pd.DataFrame:
    """A copy of ``frame`` with every reverse-keyed item recoded as ``min + max - x``.

    ``min`` and ``max`` are those of the item's declared scale. Columns that are not
    reverse-keyed items of ``instrument`` (ids, groups, positively keyed items, checks)
    are copied unchanged; reverse items absent from ``frame`` are ignored. Missing
    answers stay missing.

    Parameters
    ----------
    frame : pandas.DataFrame
        Answers in the template layout (item columns named by item id). Not modified.
    instrument : Instrument
        Says which items are reverse keyed and on which scale.

    Returns
    -------
    pandas.DataFrame
        Same columns, index and dtypes as ``frame``.

    Examples
    --------
    >>> import pandas as pd
    >>> from survey.instrument import loads
    >>> inst = loads('''
    ... id: demo
    ... version: "1"
    ... languages: [en]
    ... title: {en: Demo}
    ... scales: {agree5: {points: [1, 2, 3, 4, 5], labels: {en: [a, b, c, d, e]}}}
    ... groups: []
    ... constructs:
    ...   - id: c
    ...     name: {en: C}
    ...     definition: {en: C}
    ...     scale: agree5
    ...     items:
    ...       - {id: i1, text: {en: one}, reverse: false}
    ...       - {id: i2, text: {en: two}, reverse: true}
    ... ''')
    >>> df = pd.DataFrame({"i1": [1, 5], "i2": [1, None]}, dtype="Int64")
    >>> reverse_key(df, inst)["i2"].tolist()
    [5, <NA>]
    """
    out = frame.copy()
    for item in instrument.items:
        if item.reverse and item.id in out.columns:
            scale = instrument.scales[item.scale]
            out[item.id] = (scale.min + scale.max) - out[item.id]
    return out


def score_scales(
    responses: ResponseSet | pd.DataFrame,
    instrument: Instrument | None = None,
    *,
    min_answered: float = 0.5,
    method: str = "mean",
) -> pd.DataFrame:
    """Scale score of every respondent on every construct.

    Parameters
    ----------
    responses : ResponseSet or pandas.DataFrame
        Validated responses, or a frame in the template layout (``respondent_id``,
        grouping columns, one column per item id). Not modified.
    instrument : Instrument, optional
        Needed when ``responses`` is a DataFrame; a ResponseSet brings its own.
    min_answered : float, default 0.5
        Share of a construct's items a respondent must answer, ``0 < share <= 1``; with
        fewer the score is missing. A respondent needs ``ceil(share * k)`` answers.
    method : {"mean", "sum"}, default "mean"
        ``"mean"``: mean of the answered (reverse-keyed) items. ``"sum"``: prorated
        sum, that mean times the construct's number of items (the plain sum when all
        items are answered).

    Returns
    -------
    pandas.DataFrame
        Same index as the responses. Columns: ``respondent_id``, the grouping columns
        present (as they are, categoricals kept), then one ``float64`` column per
        construct id in instrument order, ``NaN`` where the score is missing.

    Raises
    ------
    SurveyError
        For an unknown ``method``, a share outside (0, 1], an item column missing from
        a DataFrame, or an answer that is not a number on the item's scale.

    Examples
    --------
    >>> import pandas as pd
    >>> from survey.instrument import loads
    >>> inst = loads('''
    ... id: demo
    ... version: "1"
    ... languages: [en]
    ... title: {en: Demo}
    ... scales: {agree5: {points: [1, 2, 3, 4, 5], labels: {en: [a, b, c, d, e]}}}
    ... groups: []
    ... constructs:
    ...   - id: c
    ...     name: {en: C}
    ...     definition: {en: C}
    ...     scale: agree5
    ...     items:
    ...       - {id: i1, text: {en: one}, reverse: false}
    ...       - {id: i2, text: {en: two}, reverse: true}
    ...       - {id: i3, text: {en: three}, reverse: false}
    ... ''')
    >>> df = pd.DataFrame({"respondent_id": ["R1", "R2", "R3"],
    ...                    "i1": [4, 5, 2], "i2": [2, None, None], "i3": [5, 3, None]})
    >>> score_scales(df, inst)["c"].tolist()   # R3 answered 1 of 3 < half: missing
    [4.333333333333333, 4.0, nan]
    >>> score_scales(df, inst, method="sum")["c"].tolist()
    [13.0, 12.0, nan]
    """
    import numpy as np
    import pandas as pd

    data, inst = _unpack(responses, instrument)
    if method not in SCORE_METHODS:
        raise SurveyError(
            f"method must be one of {', '.join(SCORE_METHODS)}, got '{method}'."
            + did_you_mean(str(method), SCORE_METHODS)
        )
    _check_min_answered(min_answered)
    front = ["respondent_id", *[g for g in inst.group_ids if g in data.columns]]
    front = [c for c in front if c in data.columns]
    out = data[front].copy()

    # construct by construct: a few columns of floats at a time, not the whole matrix;
    # the answers are whole numbers, so their sums are exact in any order
    means = np.empty((len(data), len(inst.constructs)))
    for k, construct in enumerate(inst.constructs):
        x = keyed_matrix(data, inst, construct)
        totals = np.zeros(len(x))
        counts = np.zeros(len(x))
        for j in range(x.shape[1]):
            answered = ~np.isnan(x[:, j])
            np.add(totals, x[:, j], out=totals, where=answered)
            counts += answered
        means[:, k] = _apply_rule(totals, counts, np.array(x.shape[1]), min_answered)
        del x
    if method == "sum":
        means = means * np.array([len(c.items) for c in inst.constructs])
    scores = pd.DataFrame(means, index=data.index, columns=[c.id for c in inst.constructs])
    return pd.concat([out, scores], axis=1)


def construct_means(x: np.ndarray, instrument: Instrument, min_answered: float) -> np.ndarray:
    """Mean of each construct's answered items under the ``min_answered`` rule.

    The one implementation of the missing-data rule, shared by :func:`score_scales` and
    the acquiescence-corrected scores of :mod:`analysis.styles`.

    Parameters
    ----------
    x : numpy.ndarray
        Keyed answers, respondents x items, the columns in ``instrument.item_ids`` order
        (construct by construct, as :func:`keyed_matrix` returns them); ``NaN`` missing.
    instrument : Instrument
        Gives the constructs and their number of items.
    min_answered : float
        Share of a construct's items that must be answered, ``0 < share <= 1``: a
        respondent needs ``ceil(share * k)`` answers, else the mean is ``NaN``.

    Returns
    -------
    numpy.ndarray
        Respondents x constructs, in instrument order.

    Examples
    --------
    >>> import numpy as np
    >>> from survey.instrument import load
    >>> inst = load("lab-culture")
    >>> x = np.full((1, len(inst.item_ids)), 3.0)
    >>> construct_means(x, inst, 0.5).shape == (1, len(inst.constructs))
    True
    """
    import numpy as np

    return _means(x, np.array([len(c.items) for c in instrument.constructs]), min_answered)


#: Rows :func:`_means` works on at a time (its temporaries stay a few megabytes).
_ROWS_AT_ONCE = 65536


def _means(x: np.ndarray, sizes: np.ndarray, min_answered: float) -> np.ndarray:
    """:func:`construct_means` for columns in consecutive groups of ``sizes`` items,
    block of rows by block of rows (each row's result does not depend on the others)."""
    import numpy as np

    # Items are stored construct by construct, so each construct is a contiguous slice
    # and one reduceat sums all of them at once.
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]]).astype(np.intp)
    means = np.empty((len(x), len(sizes)))
    for lo in range(0, len(x), _ROWS_AT_ONCE):
        block = x[lo:lo + _ROWS_AT_ONCE]
        answered = ~np.isnan(block)
        filled = np.where(answered, block, 0.0)
        if block.shape[1]:
            totals = np.add.reduceat(filled, starts, axis=1)
            counts = np.add.reduceat(answered.astype(np.float64), starts, axis=1)
        else:
            totals = counts = np.empty((len(block), 0))
        means[lo:lo + len(block)] = _apply_rule(totals, counts, sizes, min_answered)
    return means


def _apply_rule(totals: np.ndarray, counts: np.ndarray, sizes: np.ndarray,
                min_answered: float) -> np.ndarray:
    """Means ``totals / counts``, missing where fewer than ``ceil(min_answered * size)``
    items (or none) were answered: the missing-data rule, in one place."""
    import numpy as np

    need = np.ceil(min_answered * sizes - 1e-9)
    with np.errstate(invalid="ignore", divide="ignore"):
        means = totals / counts
    means[(counts < need) | (counts == 0)] = np.nan
    return means


# ---- shared with analysis.reliability and analysis.styles ---------------------------------

def _check_min_answered(min_answered: float) -> None:
    """Refuse a share of answered items outside (0, 1]."""
    if not 0 < min_answered <= 1:
        raise SurveyError(
            f"min_answered is a share of a construct's items, 0 < share <= 1; got {min_answered}"
        )


def _unpack(
    responses: ResponseSet | pd.DataFrame, instrument: Instrument | None
) -> tuple[pd.DataFrame, Instrument]:
    """(data, instrument) from a ResponseSet or a DataFrame plus instrument."""
    import pandas as pd

    if isinstance(responses, pd.DataFrame):
        if instrument is None:
            raise SurveyError("pass the instrument when the responses are a plain DataFrame")
        return responses, instrument
    data = getattr(responses, "data", None)
    if not isinstance(data, pd.DataFrame):
        raise SurveyError(
            f"expected a ResponseSet or a DataFrame, got {type(responses).__name__}"
        )
    return data, instrument if instrument is not None else responses.instrument


def keyed_matrix(
    data: pd.DataFrame,
    instrument: Instrument,
    items: Sequence[str] | Construct,
    *,
    on_scale: bool = True,
) -> np.ndarray:
    """Answers to ``items`` as a float array (respondents x items), reverse keyed.

    Missing answers are ``NaN``. Conversion is column by column (nullable integer
    columns convert without copying through objects); the keying is one vectorised
    ``where``: ``min + max - x`` with the item's declared scale.

    Parameters
    ----------
    data : pandas.DataFrame
        Answers in the template layout (item columns named by item id). Not modified.
    instrument : Instrument
        Gives each item's scale and keying.
    items : sequence of str or Construct
        The item ids, in the order of the columns returned (a Construct: its items).
    on_scale : bool, default True
        Refuse a number that is not a point of the item's scale. ``False`` accepts any
        number (continuous indicators, as in a factor-analysis reference data set).

    Returns
    -------
    numpy.ndarray
        ``float64``, respondents x items, keyed; ``NaN`` for a missing answer.

    Raises
    ------
    SurveyError
        When an item column is missing from ``data``, holds text that is not a number,
        or (with ``on_scale``) holds a number that is not a point of the item's scale.

    Examples
    --------
    >>> import pandas as pd
    >>> from survey.instrument import load
    >>> inst = load("lab-culture")
    >>> c = inst.constructs[0]
    >>> [item.reverse for item in c.items][:2]
    [False, True]
    >>> frame = pd.DataFrame({i: [4] for i in c.item_ids})
    >>> keyed_matrix(frame, inst, c)[0, :2].tolist()   # 4 and 1 + 5 - 4
    [4.0, 2.0]
    """
    import numpy as np
    import pandas as pd

    ids = list(items.item_ids) if hasattr(items, "item_ids") else list(items)
    x = np.empty((len(data), len(ids)), dtype=np.float64, order="F")
    lo = np.empty(len(ids))
    hi = np.empty(len(ids))
    rev = np.zeros(len(ids), dtype=bool)
    for j, item_id in enumerate(ids):
        if item_id not in data.columns:
            raise SurveyError(
                f"no column for item '{item_id}'." + did_you_mean(item_id, data.columns),
                column=item_id,
            )
        item = instrument.item(item_id)
        scale = instrument.scales[item.scale]
        lo[j], hi[j], rev[j] = scale.min, scale.max, item.reverse
        col = data[item_id]
        if col.dtype == object or str(col.dtype) in ("string", "str"):
            num = pd.to_numeric(col, errors="coerce")
            bad = num.isna() & col.notna()
            if bad.any():
                where = bad.to_numpy().nonzero()[0][0]
                raise SurveyError(
                    f"answer {col.iloc[where]!r} is not a number{_where(data, where)}",
                    row=int(where) + 1, column=item_id,
                )
            col = num
        x[:, j] = col.to_numpy(dtype=np.float64, na_value=np.nan)
        values = x[:, j]
        off = ~np.isnan(values) & ~np.isin(values, scale.points)
        if on_scale and off.any():
            where = off.nonzero()[0][0]
            raise SurveyError(
                f"answer {values[where]:g} is not on the scale '{scale.id}' "
                f"({', '.join(str(p) for p in scale.points)}){_where(data, where)}",
                row=int(where) + 1, column=item_id,
            )
    if rev.any():
        x[:, rev] = (lo + hi)[rev] - x[:, rev]
    return x


def _where(data: pd.DataFrame, position: int) -> str:
    """' (respondent R7)' for the row at ``position`` when ids are present, else ''."""
    if "respondent_id" in data.columns:
        return f" (respondent {data['respondent_id'].iloc[position]})"
    return ""
