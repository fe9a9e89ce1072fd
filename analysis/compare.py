"""Group comparison of scale scores: descriptives, omnibus tests, pairwise tests.

:func:`compare_groups` takes a scores table (``respondent_id``, grouping columns, one
column per construct id, as :func:`analysis.scoring.score_scales` returns it) and compares
the groups of one grouping column on every construct of the instrument:

- **descriptives**: n, mean, sd (``ddof=1``) and median per construct and group;
- **omnibus**: Welch's ANOVA with omega squared, and Kruskal-Wallis with epsilon squared
  as the rank-based companion (one row each per construct, told apart by ``test``);
- **pairwise**: Games-Howell for three or more groups, Welch's t for two, each with the
  mean difference, Hedges' g and its 95 % confidence interval. The number of groups ``k``
  of the studentized range is the number reported on that construct.

Effect sizes: omega squared from Welch's F, ``df1 (F - 1) / (df1 (F - 1) + N)`` (Kroes &
Finley 2023; not truncated at zero), and epsilon squared ``H / (N - 1)`` (Tomczak &
Tomczak 2014); Hedges' g uses the pooled SD and the Hedges-Olkin normal-approximation
standard error for its interval (the formulas are in :mod:`analysis.stats`).

The formulas are in :mod:`analysis.stats`; every number is checked against R in
``tests/reference/compare.R``.

Multiplicity. ``p_adj`` is adjusted across the constructs of one comparison, with Holm's
method by default (``fdr_bh`` or ``none`` on request):

- omnibus: one family per test (all Welch's ANOVAs; all Kruskal-Wallis tests);
- pairwise: one family per pair of groups (group_a vs group_b on every construct). A
  Games-Howell p-value is already adjusted over the pairs of its construct, so it is not
  adjusted again within the construct; the second step only adjusts it across
  constructs. With two groups the family is the Welch t-tests of that pair.

Tests that could not be computed (``nan``) are left out of their family.

Small cells. Before any statistic, a group with fewer than ``min_group_n`` respondents is
left out of every table and listed in ``suppressed`` (``construct`` empty); a group that
has enough respondents but fewer than ``min_group_n`` scores on one construct is left out
of that construct only and listed with the construct. Nothing about a suppressed cell is
computed, so no small group of identifiable people is described.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import TYPE_CHECKING

from survey.errors import SurveyError, did_you_mean
from survey.wording import count

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from survey.instrument import Instrument
    from survey.responses.model import ResponseSet

__all__ = [
    "DESCRIPTIVES_COLUMNS",
    "OMNIBUS_COLUMNS",
    "PAIRWISE_COLUMNS",
    "SUPPRESSED_COLUMNS",
    "Comparison",
    "check_by",
    "compare_groups",
    "compare_responses",
    "reported_groups",
]

#: Columns of :attr:`Comparison.descriptives`, in order.
DESCRIPTIVES_COLUMNS = ["construct", "group", "n", "mean", "sd", "median"]
#: Columns of :attr:`Comparison.omnibus`, in order (the first ten as in ARCHITECTURE.md).
OMNIBUS_COLUMNS = [
    "construct", "by", "test", "statistic", "df1", "df2", "p_unc", "p_adj",
    "effect_size", "effect_size_name", "k", "n", "note",
]
#: Columns of :attr:`Comparison.pairwise`, in order (the first sixteen as in ARCHITECTURE.md).
PAIRWISE_COLUMNS = [
    "construct", "group_a", "group_b", "n_a", "n_b", "mean_a", "mean_b", "diff",
    "hedges_g", "g_ci_low", "g_ci_high", "test", "statistic", "df", "p_unc", "p_adj",
    "se", "note",
]
#: Columns of :attr:`Comparison.suppressed`, in order.
SUPPRESSED_COLUMNS = ["by", "group", "construct", "n", "reason"]


@dataclass(frozen=True)
class Comparison:
    """The tables of one group comparison.

    Attributes
    ----------
    by : str
        The grouping column.
    groups : tuple of str
        Groups compared (after suppression), in order.
    adjust : str
        Multiplicity adjustment used for ``p_adj``.
    min_group_n : int
        Smallest group (and cell) size that was reported.
    descriptives : pandas.DataFrame
        :data:`DESCRIPTIVES_COLUMNS`: one row per construct and reported group.
    omnibus : pandas.DataFrame
        :data:`OMNIBUS_COLUMNS`: per construct a ``welch_anova`` row (``statistic`` F,
        ``df1``, ``df2``, ``effect_size`` omega squared) and a ``kruskal`` row
        (``statistic`` H, ``df1`` = k - 1, ``df2`` empty, ``effect_size`` epsilon
        squared). ``k`` and ``n`` are the groups and respondents in the test; ``note``
        says why a test was not computed.
    pairwise : pandas.DataFrame
        :data:`PAIRWISE_COLUMNS`: one row per construct and pair of reported groups;
        ``diff``, ``hedges_g`` and ``statistic`` (Welch t) are ``group_a - group_b``;
        ``test`` is ``games_howell`` (three or more groups) or ``welch_t`` (two).
    suppressed : pandas.DataFrame
        :data:`SUPPRESSED_COLUMNS`: groups (``construct`` empty) and construct cells left
        out, with their size and the reason.
    notes : tuple of str
        Remarks a reader needs (rows without a group, tests not computed).
    """

    by: str
    groups: tuple[str, ...]
    adjust: str
    min_group_n: int
    descriptives: pd.DataFrame
    omnibus: pd.DataFrame
    pairwise: pd.DataFrame
    suppressed: pd.DataFrame
    notes: tuple[str, ...] = ()


def compare_groups(
    scores: pd.DataFrame,
    instrument: Instrument,
    by: str,
    *,
    groups: Sequence[str] | None = None,
    constructs: Sequence[str] | None = None,
    min_group_n: int = 5,
    adjust: str = "holm",
) -> Comparison:
    """Compare the groups of ``by`` on every construct of ``instrument``.

    Parameters
    ----------
    scores : pandas.DataFrame
        One row per respondent with the column ``by`` and one column per construct id
        (missing scores as NaN/NA). Not modified.
    instrument : Instrument
        Gives the constructs (in order) and, for a choice question, the known group
        codes and their order.
    by : str
        Grouping column, e.g. ``"lab_region"``.
    groups : sequence of str, optional
        Compare only these groups, in this order (default: every group present, in the
        instrument's order; free-text groups sorted).
    constructs : sequence of str, optional
        Compare only these constructs (default: all of the instrument, in its order).
    min_group_n : int
        Groups and cells with fewer respondents are suppressed (default 5, at least 2).
    adjust : {"holm", "fdr_bh", "none"}
        Adjustment across constructs (see the module docstring for the families).

    Returns
    -------
    Comparison
        Descriptives, omnibus and pairwise tables, the suppressed cells and notes.

    Raises
    ------
    SurveyError
        ``by`` is not a column, the column holds values that are not choices of the
        instrument's question, ``groups`` names unknown groups, a construct column is
        missing, or an option is out of range.

    Examples
    --------
    >>> import pandas as pd
    >>> from survey.instrument import load
    >>> inst = load("lab-culture")
    >>> scores = pd.DataFrame({
    ...     "lab_region": ["china"] * 5 + ["united_states"] * 5,
    ...     "self_promotion": [2.0, 2.5, 3.0, 2.25, 2.75, 3.5, 3.25, 4.0, 3.75, 3.0]})
    >>> res = compare_groups(scores, inst, "lab_region", constructs=["self_promotion"])
    >>> row = res.pairwise.iloc[0]
    >>> row["group_a"], row["group_b"], row["test"], float(row["diff"])
    ('china', 'united_states', 'welch_t', -1.0)
    """
    import numpy as np
    import pandas as pd

    from analysis import stats

    _check_options(min_group_n, adjust)
    column = _group_column(scores, instrument, by)
    order = _group_order(instrument, by, column, groups)
    constructs = _construct_ids(scores, instrument, constructs)

    notes: list[str] = []
    n_missing = int(column.isna().sum())
    if n_missing:
        notes.append(f"{count(n_missing, 'respondent')} without a value for '{by}' "
                     f"{'was' if n_missing == 1 else 'were'} left out")

    kept, suppressed = _kept_groups(column, order, by, min_group_n)
    if len(kept) < 2:
        notes.append(
            f"fewer than 2 groups of '{by}' with at least {min_group_n} respondents"
            f" ({_names(kept) or 'none'}); no test computed"
        )

    masks = {g: (column == g).to_numpy() for g in kept}
    desc_rows: list[dict] = []
    omni_rows: list[dict] = []
    pair_rows: list[dict] = []
    for c in constructs:
        values = pd.to_numeric(scores[c], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        cells: dict[str, np.ndarray] = {}
        for g in kept:
            x = values[masks[g]]
            x = x[~np.isnan(x)]
            if x.size < min_group_n:
                reason = "no answers" if x.size == 0 else f"fewer than {min_group_n} answers"
                suppressed.append(
                    {"by": by, "group": g, "construct": c, "n": int(x.size), "reason": reason}
                )
                continue
            cells[g] = x
            desc_rows.append({
                "construct": c, "group": g, "n": int(x.size), "mean": float(x.mean()),
                "sd": float(x.std(ddof=1)), "median": float(np.median(x)),
            })
        omni_rows.extend(_omnibus_rows(c, by, cells, min_group_n, stats))
        pair_rows.extend(_pairwise_rows(c, cells, stats))

    descriptives = pd.DataFrame(desc_rows, columns=DESCRIPTIVES_COLUMNS)
    omnibus = pd.DataFrame(omni_rows, columns=OMNIBUS_COLUMNS)
    pairwise = pd.DataFrame(pair_rows, columns=PAIRWISE_COLUMNS)
    _adjust_families(omnibus, ["test"], adjust)
    _adjust_families(pairwise, ["group_a", "group_b"], adjust)
    for frame in (descriptives, omnibus, pairwise):
        for col in ("n", "k", "n_a", "n_b"):
            if col in frame:
                frame[col] = frame[col].astype("int64")
    return Comparison(
        by=by,
        groups=tuple(kept),
        adjust=adjust,
        min_group_n=min_group_n,
        descriptives=descriptives,
        omnibus=omnibus,
        pairwise=pairwise,
        suppressed=pd.DataFrame(suppressed, columns=SUPPRESSED_COLUMNS),
        notes=tuple(notes),
    )


def compare_responses(
    responses: ResponseSet,
    by: str,
    *,
    groups: Sequence[str] | None = None,
    min_group_n: int = 5,
    adjust: str = "holm",
    min_answered: float = 0.5,
) -> Comparison:
    """Score a :class:`~survey.responses.model.ResponseSet` and compare its groups.

    The scale scores come from :func:`analysis.scoring.score_scales` with
    ``min_answered``; the other parameters are those of :func:`compare_groups`.

    Parameters
    ----------
    responses : ResponseSet
        Validated responses; brings its instrument. Not modified.
    by : str
        Grouping column.
    groups : sequence of str, optional
        Only these groups, in this order.
    min_group_n : int, default 5
        Smaller groups are suppressed.
    adjust : {"holm", "fdr_bh", "none"}, default "holm"
        Adjustment across the constructs.
    min_answered : float, default 0.5
        Share of a construct's items needed for a score.

    Returns
    -------
    Comparison
        As :func:`compare_groups` returns it.
    """
    from analysis.scoring import score_scales

    scores = score_scales(responses, min_answered=min_answered)
    return compare_groups(
        scores, responses.instrument, by, groups=groups, min_group_n=min_group_n,
        adjust=adjust,
    )


def _adjust_families(frame: pd.DataFrame, keys: list[str], method: str) -> None:
    """Fill ``p_adj``: ``p_unc`` adjusted within each family of rows sharing ``keys``."""
    import numpy as np

    from analysis.stats import adjust_p

    p_adj = np.full(len(frame), np.nan)
    family = list(zip(*(frame[k].tolist() for k in keys), strict=True))
    p_unc = frame["p_unc"].to_numpy(dtype=float)
    for key in dict.fromkeys(family):
        rows = np.array([f == key for f in family])
        p_adj[rows] = adjust_p(p_unc[rows], method)
    frame["p_adj"] = p_adj


# ---- per construct ----------------------------------------------------------------------

def _omnibus_rows(construct, by, cells, min_group_n, stats) -> list[dict]:
    import numpy as np

    k = len(cells)
    n_total = int(sum(x.size for x in cells.values()))
    base = {"construct": construct, "by": by, "k": k, "n": n_total, "p_adj": np.nan}
    nan = {"statistic": np.nan, "df1": np.nan, "df2": np.nan, "p_unc": np.nan,
           "effect_size": np.nan}
    welch = {**base, "test": "welch_anova", "effect_size_name": "omega_sq", **nan, "note": ""}
    kw = {**base, "test": "kruskal", "effect_size_name": "epsilon_sq", **nan, "note": ""}
    if k < 2:
        note = (f"fewer than 2 groups with at least {min_group_n} scores"
                f" ({_names(cells) or 'none'}); not computed")
        welch["note"] = kw["note"] = note
        return [welch, kw]
    n = np.array([x.size for x in cells.values()], dtype=float)
    mean = np.array([x.mean() for x in cells.values()])
    var = np.array([x.var(ddof=1) for x in cells.values()])
    flat = [g for g, v in zip(cells, var, strict=True) if not v > 0]
    if flat:
        welch["note"] = (f"zero variance in {_names(flat)}; Welch's ANOVA is undefined"
                         " (weights n/s² are infinite)")
    else:
        r = stats.welch_anova(n, mean, var)
        welch.update(statistic=r.f, df1=r.df1, df2=r.df2, p_unc=r.p,
                     effect_size=stats.omega_squared_welch(r.f, r.df1, n_total))
    h = stats.kruskal_wallis(list(cells.values()))
    if np.isnan(h.h):
        kw["note"] = "every score is the same; Kruskal-Wallis is undefined"
    else:
        kw.update(statistic=h.h, df1=h.df, p_unc=h.p, effect_size=h.epsilon_sq)
    return [welch, kw]


def _pairwise_rows(construct, cells, stats) -> list[dict]:
    import numpy as np

    k = len(cells)
    if k < 2:
        return []
    pairs = list(combinations(cells, 2))
    a = [cells[p[0]] for p in pairs]
    b = [cells[p[1]] for p in pairs]
    na = np.array([x.size for x in a], dtype=float)
    nb = np.array([x.size for x in b], dtype=float)
    ma = np.array([x.mean() for x in a])
    mb = np.array([x.mean() for x in b])
    va = np.array([x.var(ddof=1) for x in a])
    vb = np.array([x.var(ddof=1) for x in b])
    wt = stats.welch_t(na, ma, va, nb, mb, vb)
    g, lo, hi = stats.hedges_g(na, ma, va, nb, mb, vb)
    if k >= 3:
        test, p = "games_howell", stats.games_howell_p(wt.t, wt.df, k)
    else:
        test, p = "welch_t", wt.p
    rows = []
    for i, (ga, gb) in enumerate(pairs):
        note = ""
        if not (va[i] > 0 or vb[i] > 0):
            note = "both groups have zero variance; no test"
        rows.append({
            "construct": construct, "group_a": ga, "group_b": gb,
            "n_a": int(na[i]), "n_b": int(nb[i]), "mean_a": float(ma[i]),
            "mean_b": float(mb[i]), "diff": float(wt.diff[i]), "hedges_g": float(g[i]),
            "g_ci_low": float(lo[i]), "g_ci_high": float(hi[i]), "test": test,
            "statistic": float(wt.t[i]), "df": float(wt.df[i]), "p_unc": float(p[i]),
            "p_adj": np.nan, "se": float(wt.se[i]), "note": note,
        })
    return rows


# ---- input checks -----------------------------------------------------------------------

def check_by(instrument: Instrument, by: str) -> str:
    """Check that ``by`` is a grouping question of ``instrument`` (one wording everywhere).

    ``survey compare``, ``survey report`` and the library all refuse a wrong ``--by``
    with this message, whether it is a typo or another column of the responses (an
    item, the respondent id).

    Parameters
    ----------
    instrument : Instrument
        Gives the grouping questions.
    by : str
        The grouping question asked for.

    Returns
    -------
    str
        ``by``.

    Raises
    ------
    SurveyError
        ``by`` is not a grouping question; the message lists them and suggests the
        nearest.

    Examples
    --------
    >>> from survey.instrument import load
    >>> check_by(load("lab-culture"), "lab_type")
    'lab_type'
    """
    if by not in instrument.group_ids:
        raise SurveyError(
            f"'{by}' is not a grouping question of the instrument; grouping questions: "
            f"{', '.join(instrument.group_ids) or 'none'}."
            + did_you_mean(by, instrument.group_ids)
        )
    return by


def reported_groups(scores: pd.DataFrame, instrument: Instrument, by: str, *,
                    min_group_n: int = 5) -> tuple[str, ...]:
    """The groups of ``by`` that :func:`compare_groups` reports (those with at least
    ``min_group_n`` respondents, in the instrument's order), without comparing them.

    Raises
    ------
    SurveyError
        As :func:`compare_groups` does for ``by`` and ``min_group_n``.

    Examples
    --------
    >>> import pandas as pd
    >>> from survey.instrument import load
    >>> inst = load()
    >>> scores = pd.DataFrame({"lab_region": ["china"] * 5 + ["united_states"] * 2})
    >>> reported_groups(scores, inst, "lab_region")
    ('china',)
    """
    _check_options(min_group_n, "none")
    column = _group_column(scores, instrument, by)
    kept, _ = _kept_groups(column, _group_order(instrument, by, column, None), by, min_group_n)
    return tuple(kept)


def _kept_groups(column: pd.Series, order: list[str], by: str,
                 min_group_n: int) -> tuple[list[str], list[dict]]:
    """The groups of ``order`` with at least ``min_group_n`` respondents, and a
    suppression row for each of the others."""
    suppressed: list[dict] = []
    sizes = column.value_counts()
    kept: list[str] = []
    for g in order:
        n_g = int(sizes.get(g, 0))
        if n_g < min_group_n:
            reason = (
                "no respondents" if n_g == 0
                else f"fewer than {count(min_group_n, 'respondent')}"
            )
            suppressed.append(
                {"by": by, "group": g, "construct": None, "n": n_g, "reason": reason}
            )
        else:
            kept.append(g)
    return kept, suppressed


def _check_options(min_group_n: int, adjust: str) -> None:
    from analysis.stats import ADJUST_METHODS

    if isinstance(min_group_n, bool) or not isinstance(min_group_n, int) or min_group_n < 2:
        raise SurveyError(
            f"min_group_n must be a whole number of at least 2, got {min_group_n!r}; "
            "a group needs two people for a standard deviation (5 or more is advised)"
        )
    if adjust not in ADJUST_METHODS:
        raise SurveyError(
            f"unknown adjustment '{adjust}'; use one of {', '.join(ADJUST_METHODS)}."
            + did_you_mean(adjust, ADJUST_METHODS)
        )


def _group_column(scores: pd.DataFrame, instrument: Instrument, by: str) -> pd.Series:
    """The grouping column as text (NaN kept), checked against the instrument's choices."""
    if by not in scores.columns:
        known = [g for g in instrument.group_ids if g in scores.columns]
        raise SurveyError(
            f"no column '{by}' to group by; grouping columns: {', '.join(known) or 'none'}."
            + did_you_mean(by, known or instrument.group_ids)
        )
    raw = scores[by]
    column = raw.astype(object).where(raw.notna(), None).map(
        lambda v: None if v is None else str(v)
    )
    codes = _choice_codes(instrument, by)
    if codes is not None:
        present = column.dropna().unique().tolist()
        unknown = [v for v in present if v not in codes]
        if unknown:
            raise SurveyError(
                f"column '{by}' holds values that are not choices of the instrument: "
                f"{_names(sorted(unknown))}; choices: {', '.join(codes)}",
                column=by,
            )
    return column


def _choice_codes(instrument: Instrument, by: str) -> tuple[str, ...] | None:
    if by in instrument.group_ids:
        group = instrument.group(by)
        if group.type == "choice":
            return group.codes
    return None


def _group_order(
    instrument: Instrument, by: str, column: pd.Series, requested: Sequence[str] | None
) -> list[str]:
    present = column.dropna().unique().tolist()
    codes = _choice_codes(instrument, by)
    if requested is None:
        if codes is not None:
            return [c for c in codes if c in present]
        return sorted(present)
    wanted = list(dict.fromkeys(str(g) for g in requested))
    known = list(codes) if codes is not None else present
    unknown = [g for g in wanted if g not in known]
    if unknown:
        hint = did_you_mean(unknown[0], known)
        raise SurveyError(
            f"unknown group(s) of '{by}': {_names(unknown)}; known: {', '.join(known)}." + hint
        )
    return wanted


def _construct_ids(
    scores: pd.DataFrame, instrument: Instrument, requested: Sequence[str] | None
) -> list[str]:
    known = [c.id for c in instrument.constructs]
    if requested is None:
        ids = known
    else:
        ids = list(dict.fromkeys(requested))
        unknown = [c for c in ids if c not in known]
        if unknown:
            raise SurveyError(
                f"unknown construct(s) {_names(unknown)}; constructs: {', '.join(known)}."
                + did_you_mean(unknown[0], known)
            )
    missing = [c for c in ids if c not in scores.columns]
    if missing:
        raise SurveyError(
            f"the scores have no column for construct(s) {_names(missing)}; score the "
            "responses with the same instrument"
        )
    return ids


def _names(values) -> str:
    return ", ".join(f"'{v}'" for v in values)
