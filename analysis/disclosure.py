"""Disclosure risk of respondent-level data and the protections that lower it.

The vocabulary and the risk measures are those of the R package sdcMicro (Templ, Kowarik
& Meindl 2015), the reference for statistical disclosure control of survey microdata.

Key variables
    The quasi-identifiers: answers someone who knows a respondent could know (the
    instrument marks them ``identifying: true``; in the flagship instrument lab, lab
    type, role, years in the field and student status).
Frequency count ``f_k``
    For each record, the number of records in the data that share its combination of
    key values, itself included. As in sdcMicro's ``freqCalc``, a missing key value
    (unanswered or suppressed) matches any value: record *j* counts for record *i* when,
    on every key, the two values are equal or either is missing.
k-anonymity
    Holds when every ``f_k >= k``; a record with ``f_k < k`` violates it.
Individual risk
    Without sampling weights (every respondent represents only themself) sdcMicro's
    individual risk reduces to ``1 / f_k``; the largest is the risk of the most exposed
    respondent. The expected number of re-identifications is the sum of the individual
    risks, and the global risk that sum divided by n.

The protections, least destructive first, as sdcMicro's guide orders them: direct
identifiers are removed or replaced (respondent ids, free text, platform metadata such as
IP addresses, timestamps and durations); lab codes are re-drawn (a new code is still a key
value, so this stops linking to earlier files rather than lowering the risk); global
recoding publishes coarser answers (the instrument's ``bands``); and local suppression
blanks the fewest key cells it can until every record is k-anonymous.

Local suppression is greedy. While some record violates k-anonymity, take the record
with the smallest ``f_k`` (the first in row order on ties) and blank one of its key
values: the first key, in the suppression order, whose blanking alone makes the record
k-anonymous, or else the one that raises its ``f_k`` most. The default order is
sdcMicro's default importance: keys with more distinct values are the more identifying
ones and are blanked first (ties in the instrument's order), except the lab, which
:func:`protect` blanks last: the lab-aware analysis needs it, and sdcMicro's
``importance`` argument exists for such keys. Blanking never lowers any ``f_k``, so the
loop ends; it needs at least k records.

Every function here takes data frames and returns new ones; nothing reads a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from survey.errors import SurveyError, did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from survey.instrument import Instrument

__all__ = [
    "DEFAULT_K",
    "RISK_COLUMNS",
    "STEP_COLUMNS",
    "SUPPRESSED_COLUMNS",
    "UTILITY_HYPOTHESES_COLUMNS",
    "UTILITY_MEANS_COLUMNS",
    "Protection",
    "cluster_of",
    "frequency_counts",
    "individual_risk",
    "protect",
    "recode_bands",
    "risk_summary",
    "suppress_locally",
    "suppression_order",
    "utility_hypotheses",
    "utility_means",
]

#: k of k-anonymity when none is given (3 or 5 is usual; 5 is the stricter).
DEFAULT_K = 5

#: Columns of the risk table, one row per stage.
RISK_COLUMNS = ["stage", "n", "k", "keys", "violating", "max_risk",
                "expected_reidentifications", "global_risk"]
#: Columns of the table of protection steps.
STEP_COLUMNS = ["step", "columns", "cells", "description"]
#: Columns of the list of suppressed cells (new respondent id and the blanked column).
SUPPRESSED_COLUMNS = ["respondent_id", "column"]
#: Columns of :func:`utility_means`.
UTILITY_MEANS_COLUMNS = ["by", "group", "construct", "n_original", "mean_original",
                         "n_shared", "mean_shared", "diff"]
#: Columns of :func:`utility_hypotheses`.
UTILITY_HYPOTHESES_COLUMNS = ["hypothesis", "construct", "test", "diff_original",
                              "diff_shared", "p_adj_original", "p_adj_shared",
                              "verdict_original", "verdict_shared", "same_verdict"]


def cluster_of(instrument: Instrument) -> str:
    """The question respondents are nested in (the instrument's ``cluster``, else ``lab``).

    Examples
    --------
    >>> from survey.instrument import load
    >>> cluster_of(load("lab-culture"))
    'lab'
    """
    return getattr(instrument, "cluster", None) or "lab"


# ---- risk --------------------------------------------------------------------------------

def _codes(frame: pd.DataFrame, keys: Sequence[str]) -> np.ndarray:
    """Each key column as integer codes, missing as -1 (n x len(keys))."""
    import numpy as np
    import pandas as pd

    out = np.full((len(frame), len(keys)), -1, dtype=np.int64)
    for j, key in enumerate(keys):
        column = frame[key].astype(object)
        present = column.notna().to_numpy()
        if present.any():
            values = column[present].map(str)
            out[present, j] = pd.factorize(values, sort=True)[0]
    return out


def _fk(codes: np.ndarray) -> np.ndarray:
    """Frequency counts with missing values matching anything (sdcMicro's freqCalc)."""
    import numpy as np

    if codes.shape[0] == 0:
        return np.zeros(0, dtype=np.int64)
    if codes.shape[1] == 0:
        return np.full(codes.shape[0], codes.shape[0], dtype=np.int64)
    patterns, inverse, counts = np.unique(codes, axis=0, return_inverse=True,
                                          return_counts=True)
    a, b = patterns[:, None, :], patterns[None, :, :]
    match = ((a == b) | (a < 0) | (b < 0)).all(axis=2)
    return (match @ counts)[inverse.reshape(-1)].astype(np.int64)


def _fk_of(codes: np.ndarray, i: int) -> int:
    """``f_k`` of record ``i`` alone."""
    row = codes[i]
    match = ((codes == row) | (codes < 0) | (row < 0)).all(axis=1)
    return int(match.sum())


def frequency_counts(frame: pd.DataFrame, keys: Sequence[str]) -> np.ndarray:
    """How many records share each record's key values (``f_k``), as sdcMicro counts them.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per respondent. Not modified.
    keys : sequence of str
        The key (quasi-identifying) columns.

    Returns
    -------
    numpy.ndarray of int
        ``f_k`` per row, the row itself included. A missing key value matches any value
        (sdcMicro ``freqCalc``; ``measure_risk`` with no weights).

    Examples
    --------
    >>> import pandas as pd
    >>> # sdcMicro's own test example (tests/testthat/test_freqCalc.R)
    >>> df = pd.DataFrame({"region": ["A"] * 5, "agegroup": ["5"] * 5,
    ...                    "status": ["single", "married", "married", "single", "widow"]})
    >>> frequency_counts(df, ["region", "status", "agegroup"]).tolist()
    [2, 2, 2, 2, 1]
    >>> df.loc[4, "status"] = None          # suppressed: matches every record
    >>> frequency_counts(df, ["region", "status", "agegroup"]).tolist()
    [3, 3, 3, 3, 5]
    """
    _check_keys(frame, keys)
    return _fk(_codes(frame, keys))


def individual_risk(fk: np.ndarray) -> np.ndarray:
    """Individual re-identification risk ``1 / f_k`` (sdcMicro, no sampling weights).

    Parameters
    ----------
    fk : numpy.ndarray
        Frequency counts from :func:`frequency_counts`.

    Returns
    -------
    numpy.ndarray of float

    Examples
    --------
    >>> import numpy as np
    >>> individual_risk(np.array([1, 2, 4])).tolist()
    [1.0, 0.5, 0.25]
    """
    import numpy as np

    return 1.0 / np.asarray(fk, dtype=float)


def risk_summary(frame: pd.DataFrame, keys: Sequence[str], k: int = DEFAULT_K,
                 stage: str = "") -> dict[str, object]:
    """The disclosure risk of ``frame`` on ``keys`` in one row.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per respondent.
    keys : sequence of str
        The key columns.
    k : int
        The k of k-anonymity (default 5).
    stage : str
        A name for the row (``original``, ``shared``, ...).

    Returns
    -------
    dict
        :data:`RISK_COLUMNS`: ``n``, ``k``, ``keys`` (joined by ``|``), ``violating``
        (records with ``f_k < k``), ``max_risk`` (largest ``1 / f_k``),
        ``expected_reidentifications`` (sum of ``1 / f_k``) and ``global_risk`` (that sum
        divided by n).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"lab": ["a", "a", "a", "b"], "role": ["x", "x", "y", None]})
    >>> r = risk_summary(df, ["lab", "role"], k=2)
    >>> r["violating"], r["max_risk"], r["expected_reidentifications"]
    (2, 1.0, 3.0)
    """
    fk = frequency_counts(frame, keys)
    risk = individual_risk(fk)
    n = len(frame)
    expected = float(risk.sum()) if n else 0.0
    return {
        "stage": stage, "n": n, "k": int(k), "keys": "|".join(keys),
        "violating": int((fk < k).sum()),
        "max_risk": float(risk.max()) if n else 0.0,
        "expected_reidentifications": expected,
        "global_risk": expected / n if n else 0.0,
    }


def _check_keys(frame: pd.DataFrame, keys: Sequence[str]) -> None:
    missing = [c for c in keys if c not in frame.columns]
    if missing:
        raise SurveyError(f"key column '{missing[0]}' is not in the data."
                          + did_you_mean(missing[0], list(frame.columns)))


# ---- protections -------------------------------------------------------------------------

def suppression_order(frame: pd.DataFrame, keys: Sequence[str],
                      last: Sequence[str] = ()) -> list[str]:
    """sdcMicro's default importance: keys with more distinct values are blanked first.

    Parameters
    ----------
    frame : pandas.DataFrame
        The data.
    keys : sequence of str
        The key columns, in the instrument's order (which breaks ties).
    last : sequence of str
        Keys to blank only when nothing else helps (sdcMicro's importance 1), in this
        order; :func:`protect` puts the lab here, which the lab-aware analysis needs.

    Returns
    -------
    list of str

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"student": ["y", "n", "y"], "lab": ["a", "b", "c"]})
    >>> suppression_order(df, ["student", "lab"])
    ['lab', 'student']
    >>> suppression_order(df, ["student", "lab"], last=["lab"])
    ['student', 'lab']
    """
    _check_keys(frame, keys)
    distinct = {key: int(frame[key].nunique(dropna=True)) for key in keys}
    first = sorted((key for key in keys if key not in last),
                   key=lambda key: (-distinct[key], list(keys).index(key)))
    return first + [key for key in last if key in keys]


def suppress_locally(frame: pd.DataFrame, keys: Sequence[str], k: int = DEFAULT_K,
                     order: Sequence[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Blank the fewest key cells the greedy rule finds until every record is k-anonymous.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per respondent. Not modified.
    keys : sequence of str
        The key columns.
    k : int
        The k of k-anonymity (default 5).
    order : sequence of str, optional
        Keys in the order they are blanked (default :func:`suppression_order`).

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame)
        The data with the cells blanked, and the blanked cells: ``row`` (position in
        ``frame``) and ``column``, in the order they were blanked.

    Raises
    ------
    SurveyError
        Fewer records than k (no blanking can reach k-anonymity), or an unknown key.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"lab": ["a"] * 4 + ["b"], "role": ["x", "x", "y", "y", "x"]})
    >>> out, cells = suppress_locally(df, ["lab", "role"], k=2)
    >>> cells.to_dict("records")
    [{'row': 4, 'column': 'lab'}]
    """
    import numpy as np
    import pandas as pd

    _check_keys(frame, keys)
    if k < 1:
        raise SurveyError(f"k must be at least 1, got {k}")
    n = len(frame)
    if 0 < n < k:
        raise SurveyError(f"{n} respondents cannot be {k}-anonymous: k-anonymity needs at "
                          f"least k = {k} respondents")
    order = list(order) if order is not None else suppression_order(frame, keys)
    unknown = [c for c in order if c not in keys]
    if unknown or sorted(order) != sorted(keys):
        raise SurveyError("the suppression order must list every key column once: "
                          + ", ".join(keys))
    position = [list(keys).index(c) for c in order]
    codes = _codes(frame, keys)
    fk = _fk(codes)
    blanked: list[tuple[int, str]] = []
    while (fk < k).any():
        unsafe = np.flatnonzero(fk < k)
        i = int(unsafe[np.argmin(fk[unsafe])])  # the first on ties
        best, best_f = None, -1
        for j in position:
            if codes[i, j] < 0:
                continue
            saved = codes[i, j]
            codes[i, j] = -1
            f = _fk_of(codes, i)
            codes[i, j] = saved
            if f >= k:
                best = j
                break
            if f > best_f:
                best, best_f = j, f
        if best is None:  # pragma: no cover - every key blank means f = n >= k
            break
        codes[i, best] = -1
        blanked.append((i, keys[best]))
        fk = _fk(codes)
    out = frame.copy()
    for i, column in blanked:
        out.iloc[i, out.columns.get_loc(column)] = None
    cells = pd.DataFrame(blanked, columns=["row", "column"])
    cells["row"] = cells["row"].astype("int64")
    return out, cells


def recode_bands(frame: pd.DataFrame, instrument: Instrument,
                 columns: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """Replace each answer of ``columns`` by the code of its band (global recoding).

    Parameters
    ----------
    frame : pandas.DataFrame
        The data. Not modified.
    instrument : Instrument
        Gives each question's ``bands``.
    columns : sequence of str
        Choice questions with bands.

    Returns
    -------
    (pandas.DataFrame, int)
        The data with the band codes (as plain text columns) and the number of cells whose
        code changed.
    """
    out = frame.copy()
    changed = 0
    for column in columns:
        band_of = {c: b.code for b in instrument.group(column).bands for c in b.choices}
        before = out[column].astype(object)
        after = before.map(lambda v, m=band_of: m.get(v, v) if isinstance(v, str) else v)
        changed += int((before.notna() & (before != after)).sum())
        out[column] = after
    return out, changed


def _new_codes(values: pd.Series, rng: np.random.Generator,
               prefix: str) -> tuple[pd.Series, int]:
    """Each distinct value replaced by a random new code ``<prefix>01`` ..."""
    import pandas as pd

    present = values.dropna().astype(str)
    distinct = sorted(set(present))
    width = max(2, len(str(len(distinct))))
    numbers = rng.permutation(len(distinct)) + 1
    mapping = {v: f"{prefix}{int(m):0{width}d}" for v, m in zip(distinct, numbers,
                                                                 strict=True)}
    out = values.astype(object).map(lambda v: mapping[str(v)] if pd.notna(v) else None)
    return out, len(distinct)


@dataclass
class Protection:
    """The shared data and what was done to them.

    Attributes
    ----------
    data : pandas.DataFrame
        The protected data, rows in a new random order, with new respondent ids.
    keys : tuple of str
        The key (quasi-identifying) columns the risk is measured on.
    k : int
        The k of k-anonymity.
    order : tuple of str
        The order keys were blanked in.
    risk : pandas.DataFrame
        :data:`RISK_COLUMNS`, one row per stage: ``original``, then after each step that
        changes key values.
    steps : pandas.DataFrame
        :data:`STEP_COLUMNS`: what each protection did, in order.
    suppressed : pandas.DataFrame
        :data:`SUPPRESSED_COLUMNS`: every blanked cell by new respondent id and column.
    banded : tuple of str
        Questions published in bands.
    dropped : tuple of str
        Columns left out (free text, platform metadata).
    kept : tuple of str
        Columns kept because they were asked for by name.
    notes : list of str
        Things the researcher should know (a question not banded because a hypothesis
        compares its choices, a kept column that is not protected).
    """

    data: pd.DataFrame
    keys: tuple[str, ...]
    k: int
    order: tuple[str, ...]
    risk: pd.DataFrame
    steps: pd.DataFrame
    suppressed: pd.DataFrame
    banded: tuple[str, ...] = ()
    dropped: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()
    notes: list[str] = field(default_factory=list)


def protect(
    data: pd.DataFrame,
    instrument: Instrument,
    *,
    meta: pd.DataFrame | None = None,
    k: int = DEFAULT_K,
    keep: Sequence[str] = (),
    keep_lab_codes: bool = False,
    coarsen: bool = True,
    order: Sequence[str] | None = None,
    rng: np.random.Generator | None = None,
    id_prefix: str = "",
) -> Protection:
    """Apply the default protections to respondent-level data, measuring the risk.

    Parameters
    ----------
    data : pandas.DataFrame
        Validated responses in the template layout (``ResponseSet.data``). Not modified.
    instrument : Instrument
        Marks the key questions (``identifying``) and their ``bands``.
    meta : pandas.DataFrame, optional
        Platform metadata beside ``data`` (``ResponseSet.meta``): left out unless named
        in ``keep``.
    k : int
        The k of k-anonymity (default 5).
    keep : sequence of str
        Free-text questions or metadata columns to keep (unprotected) by name.
    keep_lab_codes : bool
        Keep the lab codes instead of drawing new random ones.
    coarsen : bool
        Publish banded questions in their bands (default True).
    order : sequence of str, optional
        Order in which key columns are blanked; keys left out follow in the default order
        (most distinct values first, the lab last).
    rng : numpy.random.Generator, optional
        Draws the new lab codes and the row order (default: seeded from the operating
        system, so nobody can recompute them).
    id_prefix : str
        Put before every new respondent id (``SIM-`` keeps simulated data marked).

    Returns
    -------
    Protection

    Raises
    ------
    SurveyError
        A name in ``keep`` or ``order`` that is no column, fewer respondents than k.
    """
    import numpy as np
    import pandas as pd

    if rng is None:
        rng = np.random.default_rng()
    if k < 2:
        raise SurveyError(f"k must be at least 2, got {k}")
    cluster = cluster_of(instrument)
    meta = meta if meta is not None else pd.DataFrame(index=data.index)
    meta = meta[[c for c in meta.columns if c not in data.columns]]
    free_text = [g.id for g in instrument.groups
                 if g.type == "text" and g.id != cluster and g.id in data.columns]
    available = [*free_text, *meta.columns]
    for name in keep:
        if name not in available:
            raise SurveyError(
                f"--keep '{name}': not a free-text question or metadata column of these "
                f"responses; those are: {', '.join(map(str, available)) or 'none'}."
                + did_you_mean(name, [str(c) for c in available]))
    dropped = tuple(c for c in available if c not in keep)
    kept = tuple(c for c in available if c in keep)
    frame = data.drop(columns=[c for c in free_text if c not in keep]).copy()
    for c in kept:
        if c in meta.columns:
            frame[c] = meta[c].to_numpy()
    for c in frame.columns:
        if isinstance(frame[c].dtype, pd.CategoricalDtype):
            frame[c] = frame[c].astype(object).where(frame[c].notna(), None)

    keys = tuple(g for g in instrument.identifying_ids if g in frame.columns)
    notes: list[str] = []
    if not keys:
        notes.append("the instrument marks no question identifying, so only direct "
                     "identifiers were removed; mark quasi-identifiers with identifying: true")
    for c in kept:
        notes.append(f"'{c}' kept as asked; it is not protected and may identify respondents")
    risk_rows = [risk_summary(frame, keys, k, "original")]
    steps: list[dict[str, object]] = []

    order_rows = rng.permutation(len(frame))
    frame = frame.iloc[order_rows].reset_index(drop=True)
    width = max(4, len(str(len(frame))))
    frame["respondent_id"] = [f"{id_prefix}P{i + 1:0{width}d}" for i in range(len(frame))]
    steps.append({"step": "new respondent ids", "columns": "respondent_id",
                  "cells": len(frame),
                  "description": "respondent ids replaced by new ones and rows put in a "
                                 "new random order"})
    if dropped:
        steps.append({"step": "dropped", "columns": "|".join(map(str, dropped)), "cells": 0,
                      "description": "free-text answers and platform metadata (IP addresses, "
                                     "timestamps, durations, flags) left out"})

    if cluster in frame.columns:
        if keep_lab_codes:
            steps.append({"step": "lab codes kept", "columns": cluster, "cells": 0,
                          "description": "lab codes kept as they were (--keep-lab-codes)"})
        else:
            frame[cluster], count = _new_codes(frame[cluster], rng, "L")
            steps.append({"step": "new lab codes", "columns": cluster,
                          "cells": int(frame[cluster].notna().sum()),
                          "description": f"{count} lab codes replaced by new random codes; a "
                                         "code is still a key value, so the risk is unchanged"})
            risk_rows.append(risk_summary(frame, keys, k, "new lab codes"))

    compared = {h.by for h in instrument.hypotheses}
    banded: list[str] = []
    if coarsen:
        for g in instrument.groups:
            if g.id in keys and g.bands:
                if g.id in compared:
                    notes.append(f"'{g.id}' not banded: a hypothesis compares its choices")
                    continue
                banded.append(g.id)
        if banded:
            frame, changed = recode_bands(frame, instrument, banded)
            steps.append({"step": "bands", "columns": "|".join(banded), "cells": changed,
                          "description": "answers published in the instrument's coarser "
                                         "bands (global recoding)"})
            risk_rows.append(risk_summary(frame, keys, k, "bands"))

    if order is None:
        order = suppression_order(frame, keys, last=[cluster])
    else:
        for name in order:
            if name not in keys:
                raise SurveyError(f"--suppress-order '{name}' is not an identifying question "
                                  f"of these data; they are: {', '.join(keys)}."
                                  + did_you_mean(name, keys))
        order = [*order, *(c for c in suppression_order(frame, keys, last=[cluster])
                           if c not in order)]
    frame, cells = suppress_locally(frame, keys, k, order)
    per_column = cells["column"].value_counts()
    steps.append({
        "step": "local suppression", "columns": "|".join(order), "cells": len(cells),
        "description": f"key cells blanked until every respondent shares the key values with "
                       f"at least {k - 1} others: " + (", ".join(
                           f"{c} {int(per_column[c])}" for c in order if c in per_column)
                           or "none needed")})
    risk_rows.append(risk_summary(frame, keys, k, "shared"))
    suppressed = pd.DataFrame({
        "respondent_id": frame["respondent_id"].to_numpy()[cells["row"].to_numpy()],
        "column": cells["column"].to_numpy()}, columns=SUPPRESSED_COLUMNS)
    suppressed = suppressed.astype({"respondent_id": object, "column": object})
    return Protection(
        data=frame, keys=keys, k=int(k), order=tuple(order),
        risk=pd.DataFrame(risk_rows, columns=RISK_COLUMNS),
        steps=pd.DataFrame(steps, columns=STEP_COLUMNS), suppressed=suppressed,
        banded=tuple(banded), dropped=dropped, kept=kept, notes=notes)


# ---- utility -----------------------------------------------------------------------------

def utility_means(original: pd.DataFrame, shared: pd.DataFrame, instrument: Instrument,
                  *, bands: Sequence[str] = (), min_group_n: int = 5) -> pd.DataFrame:
    """Group means of every construct on the original and on the shared data, side by side.

    Parameters
    ----------
    original, shared : pandas.DataFrame
        Scale scores with the grouping columns (:func:`analysis.scoring.score_scales` of
        the original and of the shared data).
    instrument : Instrument
        Its choice questions are the groupings and its constructs the scores.
    bands : sequence of str
        Questions shared in bands: their original answers are put in the same bands, so
        the rows compare like with like.
    min_group_n : int
        Means of groups with fewer respondents are left out (NaN), as in the report.

    Returns
    -------
    pandas.DataFrame
        :data:`UTILITY_MEANS_COLUMNS`, one row per grouping question, group (as shared)
        and construct; ``diff`` is shared minus original.
    """
    import numpy as np
    import pandas as pd

    rows = []
    constructs = [c.id for c in instrument.constructs if c.id in original and c.id in shared]
    for g in instrument.groups:
        if g.type != "choice" or g.id not in original or g.id not in shared:
            continue
        before = original[g.id].astype(object)
        if g.id in bands:
            band_of = {c: b.code for b in g.bands for c in b.choices}
            before = before.map(lambda v, m=band_of: m.get(str(v), v) if v == v else v)
            groups = [b.code for b in g.bands]
        else:
            groups = list(g.codes)
        after = shared[g.id].astype(object)
        for group in groups:
            a = before == group
            b = after == group
            for c in constructs:
                x, y = original.loc[a, c].dropna(), shared.loc[b, c].dropna()
                mean_x = float(x.mean()) if len(x) >= min_group_n else np.nan
                mean_y = float(y.mean()) if len(y) >= min_group_n else np.nan
                rows.append({"by": g.id, "group": group, "construct": c,
                             "n_original": len(x), "mean_original": mean_x,
                             "n_shared": len(y), "mean_shared": mean_y,
                             "diff": mean_y - mean_x})
    out = pd.DataFrame(rows, columns=UTILITY_MEANS_COLUMNS)
    return out.astype({"n_original": "int64", "n_shared": "int64"})


def utility_hypotheses(original: pd.DataFrame, shared: pd.DataFrame, instrument: Instrument,
                       *, min_group_n: int = 5, alpha: float = 0.05,
                       adjust: str = "holm") -> pd.DataFrame:
    """Every hypothesis tested on the original and on the shared data, side by side.

    Parameters
    ----------
    original, shared : pandas.DataFrame
        Scale scores with the grouping columns and the lab column.
    instrument : Instrument
        Its hypotheses.
    min_group_n, alpha, adjust
        As in the report (defaults 5, .05, Holm).

    Returns
    -------
    pandas.DataFrame
        :data:`UTILITY_HYPOTHESES_COLUMNS`: per hypothesis the respondent-level Welch test
        (``test`` = ``welch``) and, when both data sets have a lab column, the lab-aware
        mixed model (``mixed``), each with the difference (predicted-higher group minus
        the other), the adjusted p and the verdict before and after.
    """
    import pandas as pd

    from analysis.hypotheses import evaluate_hypotheses
    from analysis.multilevel import MIN_LABS, evaluate_hypotheses_nested

    rows = []
    tests = [("welch", "observed_diff",
              lambda s: evaluate_hypotheses(s, instrument, min_group_n=min_group_n,
                                            alpha=alpha, adjust=adjust))]
    cluster = cluster_of(instrument)
    if cluster in original and cluster in shared:
        tests.append(("mixed", "estimate",
                      lambda s: evaluate_hypotheses_nested(
                          s, instrument, lab=cluster, min_group_n=min_group_n,
                          min_labs=MIN_LABS, alpha=alpha, adjust=adjust)))
    for name, diff, run in tests:
        a, b = run(original), run(shared)
        for x, y in zip(a.to_dict("records"), b.to_dict("records"), strict=True):
            rows.append({
                "hypothesis": x["hypothesis"], "construct": x["construct"], "test": name,
                "diff_original": x[diff], "diff_shared": y[diff],
                "p_adj_original": x["p_adj"], "p_adj_shared": y["p_adj"],
                "verdict_original": x["verdict"], "verdict_shared": y["verdict"],
                "same_verdict": x["verdict"] == y["verdict"]})
    out = pd.DataFrame(rows, columns=UTILITY_HYPOTHESES_COLUMNS)
    order = {h.id: i for i, h in enumerate(instrument.hypotheses)}
    return out.sort_values(["hypothesis", "test"], key=lambda s: s.map(order)
                           if s.name == "hypothesis" else s.map({"welch": 0, "mixed": 1}),
                           kind="stable").reset_index(drop=True)
