"""Measurement invariance across groups by multi-group confirmatory factor analysis.

Comparing construct means across groups only means something if the items measure the
construct the same way in every group. :func:`measurement_invariance` fits, for every
construct of an instrument, a one-factor model in each group and tests three nested
levels; :func:`partial_invariance` releases intercepts where the last level fails and
compares latent means.

The model
---------
Each construct's model is fitted by :func:`analysis.cfa.fit_mgcfa`, the project's one
multi-group CFA engine (the model, ML estimation by Fisher scoring, variances bounded
below by zero, and lavaan's fit statistics are described in :mod:`analysis.cfa`), at the
levels of lavaan's ``group.equal``: configural (nothing equal across groups), metric
(loadings equal) and scalar (loadings and intercepts equal, factor means free after the
first group). The factor is identified as lavaan's ``std.lv = TRUE`` (its variance 1 in
the first group), which gives the same fit as lavaan's default marker item but lets
every item's loading be released and puts latent means in the first group's SD units.
Each level starts from the estimates of the one before and each partial model from
its constrained model. Every statistic is checked against lavaan 0.6-14 in
``tests/reference/invariance.R``.

Decisions
---------
Per construct (:func:`measurement_invariance`):

- configural holds when the model converges and ``CFI >= 0.90`` (``min_cfi``). RMSEA
  is reported but not used here: with the few degrees of freedom of a six-item model it
  is inflated in small samples (Kenny, Kaniskan & McCoach 2015).
- metric holds when configural holds and the step from configural does not show
  non-invariance by Chen's (2007) rule: a step fails when CFI drops by .010 or more
  (``ΔCFI <= -0.010``) *and* either RMSEA rises by .015 or more (``ΔRMSEA >= 0.015``) or
  SRMR rises by .030 or more (``ΔSRMR >= 0.030``; .010 for the scalar step). Scalar
  holds when metric holds and the step from metric passes the same rule. ΔCFI is the
  primary criterion and ΔRMSEA/ΔSRMR supplement it, as in Chen's paper; requiring both
  ΔCFI and ΔRMSEA to stay within bounds flags clean data far too often, because RMSEA
  jumps from 0 with the few degrees of freedom of a six-item model. Chen suggests the
  stricter ``ΔCFI <= -0.005`` with ``ΔRMSEA >= 0.010`` for small (N <= 300) or unequal
  groups; the note says so when N <= 300, and the ``delta_*_cutoff`` parameters
  change the rule.
- the Δχ² likelihood-ratio test is reported beside the changes; it is not used for the
  decision because it rejects trivial differences in large samples.
- ``mean_comparison_warranted`` is true only when scalar invariance holds.

Which items differ. When the scalar step fails, each item's intercept equality is
released in turn (a partial scalar model, lavaan ``group.partial = "item~1"``) and the
drop in chi-square is its likelihood-ratio test on ``G - 1`` df, asymptotically the same
as lavaan's score test (``lavTestScore``) of that constraint, but exact for the freed
model and checked against lavaan's partial fits. When the metric step fails, each
item's loading is released the same way. ``items_differing`` lists the items
whose Holm-adjusted p is below .05, largest chi-square first; when none is, the single
largest is named.

Data. Items are reverse-keyed first (``min + max - x`` on the item's scale, by
:func:`analysis.scoring.keyed_matrix`; this changes signs only, not the fit). Missing
answers: listwise within each construct (a respondent counts for a construct when every
item of it is answered), as lavaan's default ``missing = "listwise"``. A group with
fewer than ``min_group_n`` complete respondents (default 100) is left out of that
construct and named in the note; with fewer than two groups left the construct is
reported with ``status`` ``too_few`` (not tested) instead of failing. ML multi-group CFA
needs about 100-200 respondents per group to be stable, and the cut-offs above misfire
in small groups: on clean simulated data (``survey simulate``, two regions,
graded-response items, the instrument's planted mean differences) the share of
constructs not reaching scalar invariance was 3 % (4 of 140) with about 300 per group,
9 % with 155, 16 % with 105 and 31 % with 67.

Partial invariance and latent means (:func:`partial_invariance`). When the scalar step
fails for a construct, its intercepts are released one at a time: each time the item
with the largest score test for releasing its equality constraints (``lavTestScore``
on the current scalar model, :func:`analysis.cfa.score_tests`) is freed in every group
(``group.partial = "item ~ 1"``), until the partial scalar model no longer fails
Chen's rule against the metric model, provided at least two items keep equal
intercepts (Byrne, Shavelson & Muthen 1989); otherwise partial invariance is not
reached and the table says so. The groups are then compared on the latent mean under
that model (or under the full scalar model when scalar invariance holds), identified as
lavaan's ``std.lv = TRUE``: the first group's factor mean fixed at 0 and its variance
at 1, so that each other group's mean, with its SE, z and p from the expected
information, is a standardised latent mean difference. It is reported beside the
observed difference of the scale means (and that difference over the first group's SD).
Checked against ``cfa(..., group.equal = c("loadings", "intercepts"), group.partial =
..., std.lv = TRUE)`` in ``tests/reference/validity.R``.

What is not modelled. Items are treated as continuous and normal (ML, as lavaan's
default), not as ordered categories (WLSMV with thresholds); respondents are treated
as independent, although they are nested in labs; and strict invariance (equal
residual variances) is not tested, as mean comparisons do not need it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from analysis.cfa import LEVELS, GroupFit, fit_mgcfa
from survey.errors import SurveyError, did_you_mean
from survey.wording import count

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from survey.instrument import Instrument
    from survey.responses.model import ResponseSet

__all__ = [
    "DELTA_CFI",
    "DELTA_RMSEA",
    "DELTA_SRMR",
    "FITS_COLUMNS",
    "INVARIANCE_CRITERIA",
    "ITEMS_COLUMNS",
    "LATENT_COLUMNS",
    "LEVELS",
    "MIN_CFI",
    "MIN_GROUP_N",
    "PARTIAL_COLUMNS",
    "SUMMARY_COLUMNS",
    "Invariance",
    "PartialInvariance",
    "measurement_invariance",
    "partial_invariance",
]

#: Complete respondents a group needs to enter a multi-group factor model (at about 67
#: per group, 31 % of clean constructs were falsely flagged).
MIN_GROUP_N = 100
#: CFI the configural model needs.
MIN_CFI = 0.90
#: Chen (2007): a step fails when ΔCFI <= DELTA_CFI and (ΔRMSEA >= DELTA_RMSEA or
#: ΔSRMR >= the step's DELTA_SRMR).
DELTA_CFI = -0.010
DELTA_RMSEA = 0.015
#: ΔSRMR cut-offs of the metric and the scalar step.
DELTA_SRMR = (0.030, 0.010)
#: The criteria above as the keyword arguments of :func:`measurement_invariance` and
#: :func:`partial_invariance` (their defaults): every invariance model of the report
#: (the checks, the partial models and the latent means) and of ``survey validate`` is
#: judged by them.
INVARIANCE_CRITERIA = MappingProxyType({
    "min_group_n": MIN_GROUP_N, "min_cfi": MIN_CFI, "delta_cfi_cutoff": DELTA_CFI,
    "delta_rmsea_cutoff": DELTA_RMSEA, "delta_srmr_cutoff": DELTA_SRMR,
})

#: Columns of :attr:`Invariance.fits`, in order.
FITS_COLUMNS = [
    "construct", "by", "level", "n_groups", "n", "chisq", "df", "p", "cfi", "rmsea",
    "srmr", "delta_cfi", "delta_rmsea", "delta_srmr", "delta_chisq", "delta_df",
    "delta_p", "holds", "status", "note",
]
#: Columns of :attr:`Invariance.summary`, in order.
SUMMARY_COLUMNS = [
    "construct", "by", "groups", "n", "highest_level", "mean_comparison_warranted",
    "items_differing", "status", "note",
]
#: Columns of :attr:`Invariance.items`, in order.
ITEMS_COLUMNS = [
    "construct", "by", "parameter", "item", "chisq", "df", "p_unc", "p_adj",
]

#: Columns of :attr:`PartialInvariance.steps` (``partial_invariance.csv``), in order.
PARTIAL_COLUMNS = [
    "construct", "by", "groups", "n", "step", "released", "freed_intercepts",
    "score_chisq", "score_df", "score_p", "chisq", "df", "cfi", "rmsea", "srmr",
    "delta_cfi", "delta_rmsea", "delta_srmr", "fails", "status", "note",
]
#: Columns of :attr:`PartialInvariance.latent` (``latent_means.csv``), in order.
LATENT_COLUMNS = [
    "construct", "by", "reference", "group", "model", "freed_intercepts", "n_reference",
    "n_group", "latent_diff", "se", "z", "p", "ci_low", "ci_high", "observed_diff",
    "observed_std_diff", "status", "note",
]
#: Fewest items whose intercepts must stay equal for partial scalar invariance.
MIN_CONSTRAINED = 2

# ---- results ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Invariance:
    """Result of :func:`measurement_invariance`.

    Attributes
    ----------
    fits : pandas.DataFrame
        One row per construct x level, columns :data:`FITS_COLUMNS`.
    summary : pandas.DataFrame
        One row per construct, columns :data:`SUMMARY_COLUMNS`.
    items : pandas.DataFrame
        The per-item likelihood-ratio tests run when a step fails, columns
        :data:`ITEMS_COLUMNS` (``parameter`` is ``intercept`` or ``loading``).
    """

    fits: pd.DataFrame
    summary: pd.DataFrame
    items: pd.DataFrame


# ---- per construct ---------------------------------------------------------------------

def measurement_invariance(
    responses: ResponseSet | pd.DataFrame,
    by: str,
    *,
    instrument: Instrument | None = None,
    groups: Sequence[str] | None = None,
    constructs: Sequence[str] | None = None,
    min_group_n: int = MIN_GROUP_N,
    min_cfi: float = MIN_CFI,
    delta_cfi_cutoff: float = DELTA_CFI,
    delta_rmsea_cutoff: float = DELTA_RMSEA,
    delta_srmr_cutoff: tuple[float, float] = DELTA_SRMR,
    alpha: float = 0.05,
) -> Invariance:
    """Test configural, metric and scalar invariance of every construct across groups.

    Each construct gets a one-factor model fitted by :func:`analysis.cfa.fit_mgcfa` at
    the three levels; the decision rules, the item tests and the handling of missing
    answers and small groups are described in the module docstring.

    Parameters
    ----------
    responses : ResponseSet or pandas.DataFrame
        Validated responses, or a frame with the item columns and ``by`` (then
        ``instrument`` is required).
    by : str
        Grouping column, e.g. ``lab_region``.
    instrument : Instrument, optional
        Defaults to ``responses.instrument``.
    groups : sequence of str, optional
        Group codes to compare, in this order (the first is the reference group).
        Default: every group present, in the order of the column's categories.
    constructs : sequence of str, optional
        Construct ids to test (default: all, in instrument order).
    min_group_n : int
        A group needs at least this many complete respondents on a construct (and at
        least the number of items plus two) to enter its model. The default of 100
        follows the usual advice for ML multi-group CFA; lower it knowingly: on clean
        simulated data the share of constructs wrongly flagged rises from about 3 % with
        300 per group to about 9 % with 150, 16 % with 100 and 30 % with 65 (see the
        module docstring).
    min_cfi : float
        CFI the configural model needs for configural invariance to hold.
    delta_cfi_cutoff, delta_rmsea_cutoff : float
        A step fails when ``ΔCFI <= delta_cfi_cutoff`` and either ``ΔRMSEA >=
        delta_rmsea_cutoff`` or ``ΔSRMR`` reaches its cut-off (Chen 2007: -0.010, 0.015).
    delta_srmr_cutoff : (float, float)
        ΔSRMR cut-offs of the metric and the scalar step (Chen 2007: 0.030, 0.010).
    alpha : float
        Level of the Holm-adjusted per-item tests that name the differing items.

    Returns
    -------
    Invariance
        ``fits`` (columns :data:`FITS_COLUMNS`): one row per construct x level with
        ``n_groups`` and ``n`` (complete respondents in the groups modelled), ``chisq``,
        ``df``, ``p``, ``cfi``, ``rmsea``, ``srmr``, the changes against the previous
        level (``delta_*``; ``delta_chisq``/``delta_df``/``delta_p`` are the
        likelihood-ratio test), ``holds`` (boolean, ``<NA>`` when not tested),
        ``status`` (``ok``, ``too_few`` groups with enough respondents,
        ``too_few_items``, ``singular``, ``not_converged``) and ``note``.
        ``summary`` (columns :data:`SUMMARY_COLUMNS`): per construct the groups
        modelled (``|``-separated), ``n``, ``highest_level`` (``scalar``, ``metric``,
        ``configural``, ``none``, or ``not_tested``), ``mean_comparison_warranted``
        (``<NA>`` when not tested), ``items_differing`` (comma-separated, most different
        first), ``status`` and ``note``. ``items`` (columns :data:`ITEMS_COLUMNS`): the
        per-item likelihood-ratio tests behind ``items_differing``.

    Raises
    ------
    SurveyError
        When ``by``, a group or a construct is unknown, or an instrument is missing.

    Examples
    --------
    >>> from survey.instrument import load
    >>> from survey.simulate import simulate
    >>> inst = load("lab-culture")
    >>> frame = simulate(inst, seed=5, labs={"china": 6, "united_states": 6},
    ...                  respondents_per_lab=(40, 40), dif=[("bb5", "united_states", 1.0)])
    >>> result = measurement_invariance(frame, "lab_region", instrument=inst,
    ...                                 constructs=["build_vs_buy"])
    >>> row = result.summary.iloc[0]
    >>> row["highest_level"], bool(row["mean_comparison_warranted"])
    ('metric', False)
    >>> row["items_differing"].split(", ")[0]
    'bb5'
    """
    import numpy as np
    import pandas as pd

    from analysis.scoring import keyed_matrix

    if instrument is None:
        instrument = getattr(responses, "instrument", None)
        if instrument is None:
            raise SurveyError("give instrument= when responses is a plain DataFrame")
    frame = getattr(responses, "data", responses)
    if by not in frame.columns:
        known = [g.id for g in instrument.groups]
        raise SurveyError(f"no grouping column '{by}' in the responses." + did_you_mean(by, known),
                          column=by)
    by_values = frame[by]
    if isinstance(by_values.dtype, pd.CategoricalDtype):
        present = [str(c) for c in by_values.cat.categories]
    else:
        present = [str(v) for v in dict.fromkeys(by_values.dropna())]
    labels = pd.Series([None if pd.isna(v) else str(v) for v in by_values], index=frame.index,
                       dtype=object)
    if groups is not None:
        for g in groups:
            if g not in present:
                raise SurveyError(f"no group '{g}' in column '{by}' (known: "
                                  f"{', '.join(present)})." + did_you_mean(g, present),
                                  column=by)
        order = [str(g) for g in groups]
    else:
        order = [g for g in present if (labels == g).any()]
    all_ids = [c.id for c in instrument.constructs]
    wanted = list(constructs) if constructs is not None else all_ids
    for cid in wanted:
        if cid not in all_ids:
            raise SurveyError(f"no construct '{cid}' in instrument '{instrument.id}'."
                              + did_you_mean(cid, all_ids))

    fit_rows: list[dict] = []
    summary_rows: list[dict] = []
    item_rows: list[dict] = []
    srmr_cut = dict(zip(("metric", "scalar"), delta_srmr_cutoff, strict=True))

    def cut_text(level: str) -> str:
        return (f"Chen (2007): fails if ΔCFI <= {delta_cfi_cutoff:.3f} and (ΔRMSEA >= "
                f"{delta_rmsea_cutoff:.3f} or ΔSRMR >= {srmr_cut[level]:.3f})")

    for construct in (c for c in instrument.constructs if c.id in wanted):
        items = list(construct.item_ids)
        block = pd.DataFrame(keyed_matrix(frame, instrument, construct, on_scale=False),
                             index=frame.index, columns=items)
        complete = block.notna().all(axis=1) & labels.isin(order)
        counts = {g: int((complete & (labels == g)).sum()) for g in order}
        need = max(int(min_group_n), len(items) + 2)
        kept = [g for g in order if counts[g] >= need]
        dropped = [g for g in order if counts[g] < need]
        notes: list[str] = []
        if dropped:
            notes.append("left out (fewer than " + str(need) + " complete respondents): "
                         + ", ".join(f"{g} ({counts[g]})" for g in dropped))
        small = [g for g in kept if counts[g] < 100]
        if small and len(kept) >= 2:
            notes.append("fewer than 100 respondents in " + ", ".join(small)
                         + ": fit indices are unstable, read them as indicative")
        n_total = sum(counts[g] for g in kept)
        if len(kept) >= 2 and n_total <= 300:
            notes.append("N <= 300: Chen (2007) suggests the stricter ΔCFI >= -0.005 and "
                         "ΔRMSEA <= 0.010; the cut-offs above were applied")
        base = {"construct": construct.id, "by": by, "n_groups": len(kept), "n": n_total}
        status = "ok"
        if len(items) < 3:
            status = "too_few_items"
            notes.insert(0, f"{count(len(items), 'item')}; a one-factor model needs at "
                         "least 3")
        elif len(kept) < 2:
            status = "too_few"
            notes.insert(0, f"fewer than 2 groups with at least {need} complete "
                         "respondents; invariance not tested")
        fits: dict[str, GroupFit | None] = dict.fromkeys(LEVELS)
        level_status = dict.fromkeys(LEVELS, status)
        level_note = dict.fromkeys(LEVELS, "")
        data = block.loc[complete & labels.isin(kept)]
        grp = pd.Series(pd.Categorical(labels[data.index], categories=kept), index=data.index)
        model = {construct.id: items}
        if status == "ok":
            start = None            # each level starts from the last one that converged
            for level in LEVELS:
                try:
                    fit = fit_mgcfa(data, grp, model, level, identification="std.lv",
                                    start=start)
                except SurveyError as exc:
                    level_status[level] = "singular"
                    level_note[level] = exc.message
                    continue
                fits[level] = fit
                level_note[level] = "; ".join(fit.notes)
                if fit.converged:
                    start = fit
                else:
                    level_status[level] = "not_converged"

        holds: dict[str, Any] = dict.fromkeys(LEVELS, pd.NA)
        prev: GroupFit | None = None
        for level in LEVELS:
            fit = fits[level]
            row = {**base, "level": level, "chisq": np.nan, "df": np.nan, "p": np.nan,
                   "cfi": np.nan, "rmsea": np.nan, "srmr": np.nan, "delta_cfi": np.nan,
                   "delta_rmsea": np.nan, "delta_srmr": np.nan, "delta_chisq": np.nan,
                   "delta_df": np.nan, "delta_p": np.nan}
            ok = fit is not None and level_status[level] == "ok"
            if fit is not None:
                row.update(chisq=fit.chisq, df=fit.df, p=fit.pvalue, cfi=fit.cfi,
                           rmsea=fit.rmsea, srmr=fit.srmr)
            rule = (f"holds if CFI >= {min_cfi:.2f}" if level == "configural"
                    else cut_text(level))
            if level == "configural":
                if ok:
                    holds[level] = bool(fit.cfi >= min_cfi)
            elif prev is not None and fit is not None:
                from analysis.distributions import chi2_sf

                dchi = fit.chisq - prev.chisq
                ddf = fit.df - prev.df
                row.update(delta_cfi=fit.cfi - prev.cfi, delta_rmsea=fit.rmsea - prev.rmsea,
                           delta_srmr=fit.srmr - prev.srmr, delta_chisq=dchi, delta_df=ddf,
                           delta_p=float(chi2_sf(max(dchi, 0.0), ddf)))
                before = holds[LEVELS[LEVELS.index(level) - 1]]
                if ok and before is not pd.NA:
                    fails = row["delta_cfi"] <= delta_cfi_cutoff and (
                        row["delta_rmsea"] >= delta_rmsea_cutoff
                        or row["delta_srmr"] >= srmr_cut[level])
                    holds[level] = bool(before and not fails)
            prev = fit if ok else None
            note = "; ".join(t for t in (level_note[level], rule) if t)
            fit_rows.append({**row, "holds": holds[level], "status": level_status[level],
                             "note": note if status == "ok" else "; ".join(notes)})

        # the decision
        if status != "ok" or holds["configural"] is pd.NA:
            highest = "not_tested"
        elif not holds["configural"]:
            highest = "none"
        else:
            highest = "configural"
            for level in ("metric", "scalar"):
                if holds[level] is True:
                    highest = level
                else:
                    break
        failed_step = None
        if highest == "configural" and holds["metric"] is False:
            failed_step = "metric"
        elif highest == "metric" and holds["scalar"] is False:
            failed_step = "scalar"
        differing = ""
        if failed_step is not None:
            tests = _item_tests(fits[failed_step], failed_step)
            p_adj = _holm([t[3] for t in tests])
            ranked = sorted(zip(tests, p_adj, strict=True), key=lambda t: -t[0][1])
            for (item, chisq, dfree, p_unc), padj in ranked:
                item_rows.append({"construct": construct.id, "by": by,
                                  "parameter": "intercept" if failed_step == "scalar"
                                  else "loading", "item": item, "chisq": chisq, "df": dfree,
                                  "p_unc": p_unc, "p_adj": padj})
            named = [t[0][0] for t in ranked if t[1] < alpha]
            if not named and ranked:
                named = [ranked[0][0][0]]
                notes.append(f"no single {'intercept' if failed_step == 'scalar' else 'loading'}"
                             f" differs significantly (Holm, alpha {alpha:g}); the largest"
                             " is named")
            differing = ", ".join(named)
            what = "intercepts" if failed_step == "scalar" else "loadings"
            notes.insert(0, f"{failed_step} invariance fails: {what} differ most for "
                         f"{differing}")
        if status == "ok" and any(level_status[lv] != "ok" for lv in LEVELS):
            status = next(level_status[lv] for lv in LEVELS if level_status[lv] != "ok")
        warranted: Any = pd.NA if highest == "not_tested" else highest == "scalar"
        if highest == "not_tested" and status == "ok":
            status = "not_converged"
        summary_rows.append({
            "construct": construct.id, "by": by, "groups": "|".join(kept), "n": n_total,
            "highest_level": highest, "mean_comparison_warranted": warranted,
            "items_differing": differing, "status": status, "note": "; ".join(notes),
        })

    fits_df = pd.DataFrame(fit_rows, columns=FITS_COLUMNS)
    summary = pd.DataFrame(summary_rows, columns=SUMMARY_COLUMNS)
    items_df = pd.DataFrame(item_rows, columns=ITEMS_COLUMNS)
    fits_df["holds"] = fits_df["holds"].astype("boolean")
    for col in ("n_groups", "n"):
        fits_df[col] = fits_df[col].astype("int64")
    for col in ("df", "delta_df"):
        fits_df[col] = fits_df[col].astype("Int64")
    summary["mean_comparison_warranted"] = summary["mean_comparison_warranted"].astype("boolean")
    summary["n"] = summary["n"].astype("int64")
    items_df["df"] = items_df["df"].astype("int64")
    return Invariance(fits=fits_df, summary=summary, items=items_df)


def _item_tests(constrained: GroupFit, step: str) -> list[tuple[str, float, int, float]]:
    """Release each item's intercept (scalar) or loading (metric) in turn: LR tests.

    Each partial model starts from the estimates of the constrained one. Identified by
    ``std.lv``, every item's loading can be released, the first one's too.
    """
    from analysis.distributions import chi2_sf

    model = dict(zip(constrained.factors, [constrained.items], strict=True))
    out = []
    for item in constrained.items:
        kwargs = ({"free_intercepts": [item]} if step == "scalar"
                  else {"free_loadings": [item]})
        try:
            partial = fit_mgcfa(None, None, model, step, identification="std.lv",
                                start=constrained, **kwargs)
        except SurveyError:
            continue
        lr = max(constrained.chisq - partial.chisq, 0.0)
        ddf = constrained.df - partial.df
        out.append((item, lr, ddf, float(chi2_sf(lr, ddf))))
    return out


def _holm(p: list[float]) -> list[float]:
    from analysis.stats import adjust_p

    return adjust_p(p, "holm").tolist() if p else []


# ---- partial invariance and latent means -------------------------------------------------

@dataclass(frozen=True)
class PartialInvariance:
    """Result of :func:`partial_invariance`.

    Attributes
    ----------
    steps : pandas.DataFrame
        The freeing sequence of every construct whose scalar step failed, columns
        :data:`PARTIAL_COLUMNS`: step 0 is the full scalar model, each later step frees
        one more intercept (``released``, with its score test) and is judged against
        the metric model; ``status`` of the last step says whether partial invariance was
        reached.
    latent : pandas.DataFrame
        One row per construct and group after the first, columns :data:`LATENT_COLUMNS`:
        the latent mean difference (group minus reference, in reference-group SD
        units) under the scalar or partial scalar model, with ``se``, ``z``, ``p`` and a
        95 % CI, beside the observed difference of scale means; ``status`` is ``ok``,
        ``partial invariance not reached``, ``not warranted`` (metric or configural
        invariance fails), ``not tested`` or ``not converged``.
    """

    steps: pd.DataFrame
    latent: pd.DataFrame


def partial_invariance(
    responses: ResponseSet | pd.DataFrame,
    by: str,
    *,
    instrument: Instrument | None = None,
    groups: Sequence[str] | None = None,
    constructs: Sequence[str] | None = None,
    summary: pd.DataFrame | None = None,
    min_group_n: int = MIN_GROUP_N,
    min_cfi: float = MIN_CFI,
    delta_cfi_cutoff: float = DELTA_CFI,
    delta_rmsea_cutoff: float = DELTA_RMSEA,
    delta_srmr_cutoff: tuple[float, float] = DELTA_SRMR,
    min_constrained: int = MIN_CONSTRAINED,
) -> PartialInvariance:
    """Partial scalar invariance where scalar invariance fails, and latent mean differences.

    The procedure is described in the module docstring.

    Parameters
    ----------
    responses : ResponseSet or pandas.DataFrame
        Validated responses, or a frame with the item columns and ``by`` (then
        ``instrument`` is required).
    by : str
        Grouping column.
    instrument : Instrument, optional
        Defaults to ``responses.instrument``.
    groups : sequence of str, optional
        Groups to compare, in order (the first is the reference). Default: every group
        present.
    constructs : sequence of str, optional
        Construct ids (default all).
    summary : pandas.DataFrame, optional
        The ``summary`` of :func:`measurement_invariance` for the same groups and
        settings (computed here when not given).
    min_group_n, min_cfi, delta_cfi_cutoff, delta_rmsea_cutoff, delta_srmr_cutoff
        As :func:`measurement_invariance`; the scalar cut-off of ``delta_srmr_cutoff``
        judges the partial models.
    min_constrained : int, default 2
        Items whose intercepts must stay equal.

    Returns
    -------
    PartialInvariance

    Raises
    ------
    SurveyError
        As :func:`measurement_invariance`.

    Examples
    --------
    >>> from survey.instrument import load
    >>> from survey.simulate import simulate
    >>> inst = load("lab-culture")
    >>> frame = simulate(inst, seed=5, labs={"china": 6, "united_states": 6},
    ...                  respondents_per_lab=(40, 40), dif=[("bb5", "united_states", 1.0)])
    >>> result = partial_invariance(frame, "lab_region", instrument=inst,
    ...                             constructs=["build_vs_buy"])
    >>> result.latent.loc[0, ["model", "freed_intercepts", "status"]].tolist()
    ['partial scalar', 'bb5', 'ok']
    """
    import numpy as np
    import pandas as pd
    from scipy.special import ndtr

    from analysis.cfa import score_tests
    from analysis.scoring import keyed_matrix

    if instrument is None:
        instrument = getattr(responses, "instrument", None)
        if instrument is None:
            raise SurveyError("give instrument= when responses is a plain DataFrame")
    frame = getattr(responses, "data", responses)
    if summary is None:
        summary = measurement_invariance(
            frame, by, instrument=instrument, groups=groups, constructs=constructs,
            min_group_n=min_group_n, min_cfi=min_cfi, delta_cfi_cutoff=delta_cfi_cutoff,
            delta_rmsea_cutoff=delta_rmsea_cutoff, delta_srmr_cutoff=delta_srmr_cutoff,
        ).summary
    wanted = list(constructs) if constructs is not None else [c.id for c in
                                                              instrument.constructs]
    label_array = np.array([None if pd.isna(v) else str(v) for v in frame[by]], dtype=object)
    srmr_cut = delta_srmr_cutoff[1]
    step_rows: list[dict] = []
    latent_rows: list[dict] = []

    def fails(fit, metric) -> bool:
        return bool(fit.cfi - metric.cfi <= delta_cfi_cutoff and (
            fit.rmsea - metric.rmsea >= delta_rmsea_cutoff
            or fit.srmr - metric.srmr >= srmr_cut))

    for row in summary.to_dict("records"):
        cid = row["construct"]
        if cid not in wanted:
            continue
        construct = instrument.construct(cid)
        items = list(construct.item_ids)
        kept = [g for g in str(row["groups"]).split("|") if g] if row["groups"] else []
        base = {"construct": cid, "by": by}
        level = row["highest_level"]
        latent_base = {**base, "reference": kept[0] if kept else "", "model": "",
                       "freed_intercepts": "", "n_reference": 0, "n_group": 0}
        nan_stats = dict.fromkeys(("latent_diff", "se", "z", "p", "ci_low", "ci_high",
                                   "observed_diff", "observed_std_diff"), np.nan)
        if level not in ("scalar", "metric") or len(kept) < 2:
            if level == "not_tested" or len(kept) < 2:
                status, note = "not tested", row["note"]
            elif level == "configural":
                status, note = "not warranted", ("metric invariance fails: the loadings "
                                                 "differ, so latent means are not comparable")
            else:
                status, note = "not warranted", "configural invariance fails"
            for g in kept[1:] or [""]:
                latent_rows.append({**latent_base, "group": g, **nan_stats,
                                    "status": status, "note": note})
            continue
        X = keyed_matrix(frame, instrument, construct, on_scale=False)
        lab = label_array.copy()
        lab[~np.isin(lab, kept)] = None
        complete = ~np.isnan(X).any(axis=1) & np.array([v is not None for v in lab])
        X, lab = X[complete], lab[complete]
        n_total = int(len(X))
        model = {cid: items}

        group_text = "|".join(kept)
        freed: list[str] = []
        note = ""
        try:
            scalar = fit_mgcfa(pd.DataFrame(X, columns=items),
                               pd.Series(pd.Categorical(lab, categories=kept)), model,
                               "scalar", identification="std.lv")
            final = scalar
            status = "ok"
            if level == "metric":
                metric = fit_mgcfa(None, None, model, "metric", identification="std.lv",
                                   start=scalar)
                current = scalar
                released, score = "", (np.nan, np.nan, np.nan)
                step = 0
                while True:
                    failing = fails(current, metric)
                    step_rows.append({
                        **base, "groups": group_text, "n": n_total, "step": step,
                        "released": released, "freed_intercepts": ", ".join(freed),
                        "score_chisq": score[0], "score_df": score[1], "score_p": score[2],
                        "chisq": current.chisq, "df": current.df, "cfi": current.cfi,
                        "rmsea": current.rmsea, "srmr": current.srmr,
                        "delta_cfi": current.cfi - metric.cfi,
                        "delta_rmsea": current.rmsea - metric.rmsea,
                        "delta_srmr": current.srmr - metric.srmr, "fails": failing,
                        "status": "", "note": ""})
                    if not failing:
                        step_rows[-1]["status"] = "partial invariance reached"
                        final = current
                        break
                    if len(items) - len(freed) - 1 < min_constrained:
                        status = "partial invariance not reached"
                        note = (f"freeing another intercept would leave fewer than "
                                f"{min_constrained} items with equal intercepts")
                        step_rows[-1].update(status=status, note=note)
                        final = None
                        break
                    tests = score_tests(current)
                    top = tests.iloc[0]
                    released = str(top["item"])
                    score = (float(top["chisq"]), int(top["df"]), float(top["p"]))
                    freed.append(released)
                    current = fit_mgcfa(None, None, model, "scalar", free_intercepts=freed,
                                        identification="std.lv", start=current)
                    step += 1
        except SurveyError as exc:
            status, note, final = "not converged", exc.message, None
        if final is not None and not final.converged:
            status, note, final = "not converged", "the model did not converge", None
        elif final is not None and final.heywood:
            note = "; ".join(n for n in (note, *final.notes) if n)
        ref_scores = X[lab == kept[0]].mean(axis=1)
        for gi, g in enumerate(kept[1:], start=1):
            scores = X[lab == g].mean(axis=1)
            diff = float(scores.mean() - ref_scores.mean())
            stats = {**nan_stats, "observed_diff": diff,
                     "observed_std_diff": diff / float(ref_scores.std(ddof=1))}
            if final is not None:
                est = float(final.latent_means[gi - 1, 0])
                se = float(final.latent_mean_se[gi - 1, 0])
                z = est / se if se > 0 else np.nan
                stats.update(latent_diff=est, se=se, z=z,
                             p=float(2 * ndtr(-abs(z))) if se > 0 else np.nan,
                             ci_low=est - 1.959963984540054 * se,
                             ci_high=est + 1.959963984540054 * se)
            latent_rows.append({
                **latent_base, "group": g,
                "model": ("partial scalar" if freed else "scalar") if final is not None
                else "", "freed_intercepts": ", ".join(freed) if final is not None else "",
                "n_reference": int((lab == kept[0]).sum()), "n_group": int((lab == g).sum()),
                **stats, "status": status, "note": note})

    steps = pd.DataFrame(step_rows, columns=PARTIAL_COLUMNS)
    latent = pd.DataFrame(latent_rows, columns=LATENT_COLUMNS)
    for col in ("n", "step", "df"):
        steps[col] = steps[col].astype("int64")
    steps["score_df"] = steps["score_df"].astype("Int64")
    steps["fails"] = steps["fails"].astype("boolean")
    for col in ("n_reference", "n_group"):
        latent[col] = latent[col].astype("int64")
    return PartialInvariance(steps=steps, latent=latent)
