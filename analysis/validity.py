"""Convergent and discriminant validity, and the whole measurement model of an instrument.

From a fitted CFA (:func:`analysis.cfa.fit_cfa`, ``std.lv`` so factor variances are 1):

- **composite reliability** (omega from the CFA), ``semTools::compRelSEM(fit)`` with its
  defaults (``obs.var = TRUE, tau.eq = FALSE``): ``(sum lambda)^2 / 1'S_f 1``, the
  variance of the factor part of the sum score over the observed variance of the sum
  score (``S_f`` the sample covariance matrix, divisor ``N``, of the construct's items);
- **average variance extracted**, ``semTools::AVE(fit)`` (``obs.var = TRUE``):
  ``sum lambda^2 / sum s_jj``, the factor's share of its items' observed variance;
  .50 or more is the usual bar for convergent validity (Fornell & Larcker 1981);
- the **Fornell-Larcker criterion**: ``sqrt(AVE)`` of each construct should exceed its
  correlations with every other construct;
- the **heterotrait-monotrait ratio** of every pair (Henseler, Ringle & Sarstedt 2015),
  ``semTools::htmt(model, data)`` with its 0.5-6 defaults: HTMT2 (Roemer, Schuberth &
  Henseler 2021), the geometric mean of the absolute correlations between the two
  constructs' items over the square root of the product of the geometric means of the
  absolute correlations within each (``method = "htmt"`` gives the original arithmetic
  version). One correlation of exactly zero makes a geometric mean, and so HTMT2, zero;
  semTools then returns a value set by rounding noise (``log`` of a correlation of
  ``1e-17``), here it is 0. Correlations from the respondents who answered every item (semTools'
  default ``missing = "listwise"``), the same respondents as the CFA. A ratio above
  0.85 (strict) or 0.90 (liberal) says the two constructs may not be distinct.

:func:`measurement_model` runs the chain for an instrument: parallel analysis
(:mod:`analysis.dimensionality`), the CFA by ML and robust ML with its loadings, factor
correlations and modification indices (:mod:`analysis.cfa`), and the validity tables.
Checked against semTools 0.5-6 in ``tests/reference/validity.R``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from survey.errors import SurveyError

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

    from analysis.cfa import CFAFit
    from survey.instrument import Instrument
    from survey.responses.model import ResponseSet

__all__ = [
    "HTMT_COLUMNS",
    "HTMT_LIBERAL",
    "HTMT_METHODS",
    "HTMT_STRICT",
    "MIN_PER_PARAMETER",
    "MODEL_TABLES",
    "VALIDITY_COLUMNS",
    "MeasurementModel",
    "average_variance_extracted",
    "composite_reliability",
    "htmt",
    "measurement_model",
    "validity_table",
]

#: HTMT cut-offs of Henseler, Ringle & Sarstedt (2015).
HTMT_STRICT = 0.85
HTMT_LIBERAL = 0.90
#: ``htmt2`` (geometric means, semTools' default) or ``htmt`` (arithmetic).
HTMT_METHODS = ("htmt2", "htmt")
#: Respondents per free parameter below which the full CFA is flagged as unstable.
MIN_PER_PARAMETER = 10
#: Columns of :func:`validity_table` (``validity.csv``), in order.
VALIDITY_COLUMNS = [
    "construct", "n", "k", "omega", "ave", "sqrt_ave", "max_r", "max_r_with",
    "fornell_larcker", "max_htmt", "max_htmt_with", "note",
]
#: Columns of :func:`htmt` (``htmt.csv``), in order.
HTMT_COLUMNS = ["construct_a", "construct_b", "n", "method", "htmt", "above_085",
                "above_090"]
#: The tables of :class:`MeasurementModel`, in order (without partial invariance).
MODEL_TABLES = ("dimensionality", "cfa_fit", "cfa_loadings", "factor_correlations",
                "modification_indices", "validity", "htmt")


def composite_reliability(fit: CFAFit) -> np.ndarray:
    """Composite reliability (omega) per factor, as ``semTools::compRelSEM(fit)``.

    ``(sum lambda_f)^2 / sum(S_ff)``: factor variance 1 (std.lv), ``S`` the sample
    covariance matrix of the fitted data (divisor ``N``).

    Parameters
    ----------
    fit : CFAFit

    Returns
    -------
    numpy.ndarray
        One value per factor, in model order.
    """
    import numpy as np

    S = fit._model.S[0]
    out = np.empty(len(fit.factors))
    for f in range(len(fit.factors)):
        idx = np.flatnonzero(fit.item_factor == f)
        out[f] = fit.loadings[idx].sum() ** 2 * fit.phi[f, f] / S[np.ix_(idx, idx)].sum()
    return out


def average_variance_extracted(fit: CFAFit) -> np.ndarray:
    """Average variance extracted per factor, as ``semTools::AVE(fit)``.

    ``sum lambda_f^2 phi_ff / sum s_jj`` over the factor's items, with the observed
    variances ``s_jj`` (``obs.var = TRUE``).

    Parameters
    ----------
    fit : CFAFit

    Returns
    -------
    numpy.ndarray
        One value per factor, in model order.
    """
    import numpy as np

    S = fit._model.S[0]
    out = np.empty(len(fit.factors))
    for f in range(len(fit.factors)):
        idx = np.flatnonzero(fit.item_factor == f)
        out[f] = (fit.loadings[idx] ** 2).sum() * fit.phi[f, f] / np.diag(S)[idx].sum()
    return out


def htmt(
    data: pd.DataFrame,
    factors: Mapping[str, Sequence[str]],
    *,
    method: str = "htmt2",
    missing: str = "listwise",
) -> pd.DataFrame:
    """Heterotrait-monotrait ratio of every pair of constructs (``semTools::htmt``).

    Parameters
    ----------
    data : pandas.DataFrame
        Keyed item answers; respondents with a missing answer to any of the items are
        left out (semTools' default ``missing = "listwise"``).
    factors : mapping of str to sequence of str
        Construct -> its items (at least 2 each).
    method : {"htmt2", "htmt"}
        Geometric (HTMT2, semTools' default) or arithmetic means of the absolute
        correlations.
    missing : {"listwise", "fiml"}
        ``listwise`` as semTools' default; ``fiml`` uses the correlations of the ML
        (EM) estimates from every respondent with an answer (``htmt(..., missing =
        "ml")``).

    Returns
    -------
    pandas.DataFrame
        Columns :data:`HTMT_COLUMNS`, one row per pair in model order: the ratio and
        whether it exceeds 0.85 and 0.90.

    Raises
    ------
    SurveyError
        Unknown method, missing item columns, fewer than 3 complete respondents, or an
        item without variance.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> f = rng.multivariate_normal([0, 0], [[1, .3], [.3, 1]], size=300)
    >>> x = np.repeat(f, 3, axis=1) + rng.normal(size=(300, 6))
    >>> data = pd.DataFrame(x, columns=["a1", "a2", "a3", "b1", "b2", "b3"])
    >>> h = htmt(data, {"a": ["a1", "a2", "a3"], "b": ["b1", "b2", "b3"]})
    >>> round(float(h["htmt"].iloc[0]), 1), bool(h["above_085"].iloc[0])
    (0.3, False)
    """
    import numpy as np
    import pandas as pd

    from analysis.cfa import _prepare

    if method not in HTMT_METHODS:
        raise SurveyError(f"method must be one of {', '.join(HTMT_METHODS)}, got {method!r}")
    if missing not in ("listwise", "fiml"):
        raise SurveyError(f"missing must be listwise or fiml, got {missing!r}")
    items, item_factor, X = _prepare(data, factors)
    if missing == "fiml":
        from analysis.cfa import _em_saturated, _missing_patterns

        X = X[(~np.isnan(X)).any(axis=1)]
    else:
        X = X[~np.isnan(X).any(axis=1)]
    n = X.shape[0]
    if n < 3:
        raise SurveyError(f"{n} respondents answered every item; HTMT needs at least 3")
    if missing == "fiml":
        cov = _em_saturated(_missing_patterns(X), X.shape[1])[1]
        sd = np.sqrt(np.maximum(np.diag(cov), 0.0))
    else:
        cov = None
        sd = X.std(axis=0)
    if (sd <= 0).any():
        bad = [items[j] for j in np.flatnonzero(sd <= 0)]
        raise SurveyError("no variance in " + ", ".join(bad) + "; HTMT needs correlations")
    R = np.abs(np.corrcoef(X, rowvar=False) if cov is None else cov / np.outer(sd, sd))
    # a correlation that is zero up to rounding (integer answers can make it exactly 0)
    # is set to 0, so that the geometric mean is 0 rather than set by rounding noise
    R[R < 1e-12] = 0.0
    names = list(factors)

    def mean(block: np.ndarray) -> float:
        if method == "htmt2":
            with np.errstate(divide="ignore"):
                return float(np.exp(np.mean(np.log(block))))
        return float(np.mean(block))

    within = []
    for f in range(len(names)):
        idx = np.flatnonzero(item_factor == f)
        tri = R[np.ix_(idx, idx)][np.triu_indices(idx.size, 1)]
        within.append(mean(tri))
    rows = []
    for a in range(len(names)):
        ia = np.flatnonzero(item_factor == a)
        for b in range(a + 1, len(names)):
            ib = np.flatnonzero(item_factor == b)
            value = mean(R[np.ix_(ia, ib)]) / np.sqrt(within[a] * within[b])
            rows.append({"construct_a": names[a], "construct_b": names[b], "n": n,
                         "method": method, "htmt": value, "above_085": value > HTMT_STRICT,
                         "above_090": value > HTMT_LIBERAL})
    frame = pd.DataFrame(rows, columns=HTMT_COLUMNS)
    frame["n"] = frame["n"].astype("int64")
    return frame


def validity_table(fit: CFAFit, htmt_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Composite reliability, AVE and the Fornell-Larcker criterion per construct.

    Parameters
    ----------
    fit : CFAFit
        The full CFA (ML estimates; the robust fit has the same estimates).
    htmt_table : pandas.DataFrame, optional
        :func:`htmt` of the same data, for the largest ratio of each construct.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`VALIDITY_COLUMNS`: ``omega`` (composite reliability), ``ave``,
        ``sqrt_ave``, the largest absolute factor correlation ``max_r`` and with which
        construct, ``fornell_larcker`` (``sqrt_ave > max_r``), the largest HTMT and
        with which construct, and a ``note`` (AVE below .50, criterion not met, HTMT
        above a cut-off).
    """
    import numpy as np
    import pandas as pd

    omega = composite_reliability(fit)
    ave = average_variance_extracted(fit)
    names = list(fit.factors)
    rows = []
    for f, name in enumerate(names):
        others = [g for g in range(len(names)) if g != f]
        k = int((fit.item_factor == f).sum())
        if others:
            r = np.abs(fit.phi[f, others])
            top = others[int(np.argmax(r))]
            max_r, max_with = float(r.max()), names[top]
        else:
            max_r, max_with = np.nan, ""
        sqrt_ave = float(np.sqrt(ave[f]))
        max_h, max_h_with = np.nan, ""
        if htmt_table is not None and len(htmt_table):
            mine = htmt_table[(htmt_table["construct_a"] == name)
                              | (htmt_table["construct_b"] == name)]
            if len(mine):
                best = mine.iloc[int(np.argmax(mine["htmt"].to_numpy()))]
                max_h = float(best["htmt"])
                max_h_with = best["construct_b"] if best["construct_a"] == name \
                    else best["construct_a"]
        notes = []
        if ave[f] < 0.5:
            notes.append("AVE below .50: the construct explains less than half of its items' "
                         "variance")
        holds = bool(sqrt_ave > max_r) if others else pd.NA
        if holds is False:
            notes.append(f"correlates with {max_with} more strongly than with its own items "
                         "(Fornell-Larcker)")
        if max_h > HTMT_STRICT:
            notes.append(f"HTMT with {max_h_with} above {HTMT_STRICT:.2f}"
                         + (f" (and {HTMT_LIBERAL:.2f})" if max_h > HTMT_LIBERAL else ""))
        rows.append({"construct": name, "n": fit.n, "k": k, "omega": float(omega[f]),
                     "ave": float(ave[f]), "sqrt_ave": sqrt_ave, "max_r": max_r,
                     "max_r_with": max_with, "fornell_larcker": holds, "max_htmt": max_h,
                     "max_htmt_with": max_h_with, "note": "; ".join(notes)})
    frame = pd.DataFrame(rows, columns=VALIDITY_COLUMNS)
    frame["fornell_larcker"] = frame["fornell_larcker"].astype("boolean")
    for col in ("n", "k"):
        frame[col] = frame[col].astype("int64")
    return frame


# ---- the whole measurement model --------------------------------------------------------

@dataclass(frozen=True)
class MeasurementModel:
    """What :func:`measurement_model` found.

    Attributes
    ----------
    tables : dict of str to pandas.DataFrame
        :data:`MODEL_TABLES` -> table (empty, with its columns, when not computed).
    n, npar : int
        Complete respondents and free parameters of the full CFA (0 when not fitted).
    fitted : bool
        Whether the full CFA was fitted.
    notes : tuple of str
        Why something was not computed, and caveats (few respondents per parameter).
    seed : int
        Seed of the parallel analysis.
    """

    tables: dict[str, pd.DataFrame] = field(repr=False)
    n: int
    npar: int
    fitted: bool
    notes: tuple[str, ...] = ()
    seed: int = 0


def _empty(columns: Sequence[str]) -> pd.DataFrame:
    import pandas as pd

    return pd.DataFrame(columns=list(columns))


def measurement_model(
    responses: ResponseSet | pd.DataFrame,
    instrument: Instrument | None = None,
    *,
    seed: int | None = None,
    min_per_parameter: float = MIN_PER_PARAMETER,
    top_modindices: int = 10,
    htmt_method: str = "htmt2",
    missing: str = "listwise",
) -> MeasurementModel:
    """Dimensionality, the full CFA (ML and robust ML) and convergent/discriminant validity.

    Parameters
    ----------
    responses : ResponseSet or pandas.DataFrame
        Validated responses (or a frame in the template layout with ``instrument``).
    instrument : Instrument, optional
        Needed with a DataFrame. Every construct with at least 2 items is a factor.
    seed : int, optional
        Seed of the parallel analysis (default
        :data:`analysis.dimensionality.DEFAULT_SEED`).
    min_per_parameter : float, default 10
        Complete respondents per free parameter below which the CFA is reported as
        unstable (it is still fitted when there are more respondents than free
        parameters and items; with fewer it is not, and the note says why).
    top_modindices : int, default 10
        Modification indices to list.
    htmt_method : {"htmt2", "htmt"}
        See :func:`htmt`.
    missing : {"listwise", "fiml"}
        ``listwise`` (default): the respondents who answered every item, by ML and
        robust ML. ``fiml``: every respondent with an answer, by full-information ML
        only (the robust correction needs complete data, and no modification indices);
        CR, AVE and HTMT then use the EM estimates of the item covariances.

    Returns
    -------
    MeasurementModel
        Tables ``dimensionality`` (:data:`analysis.dimensionality.DIMENSIONALITY_COLUMNS`),
        ``cfa_fit`` (one row per estimator, :data:`analysis.cfa.FIT_COLUMNS`),
        ``cfa_loadings`` and ``factor_correlations`` (robust ML standard errors;
        :data:`analysis.cfa.LOADING_COLUMNS`, :data:`analysis.cfa.CORRELATION_COLUMNS`),
        ``modification_indices`` (:data:`analysis.cfa.MODINDEX_COLUMNS`), ``validity``
        (:data:`VALIDITY_COLUMNS`) and ``htmt`` (:data:`HTMT_COLUMNS`).
    """
    import numpy as np

    from analysis import cfa
    from analysis.dimensionality import DEFAULT_SEED, DIMENSIONALITY_COLUMNS, dimensionality
    from analysis.scoring import _unpack, keyed_matrix

    data, inst = _unpack(responses, instrument)
    if missing not in cfa.MISSING:
        raise SurveyError(f"missing must be one of {', '.join(cfa.MISSING)}, got "
                          f"{missing!r}")
    seed = DEFAULT_SEED if seed is None else int(seed)
    tables = {
        "dimensionality": _empty(DIMENSIONALITY_COLUMNS),
        "cfa_fit": _empty(cfa.FIT_COLUMNS),
        "cfa_loadings": _empty(cfa.LOADING_COLUMNS),
        "factor_correlations": _empty(cfa.CORRELATION_COLUMNS),
        "modification_indices": _empty(cfa.MODINDEX_COLUMNS),
        "validity": _empty(VALIDITY_COLUMNS),
        "htmt": _empty(HTMT_COLUMNS),
    }
    notes: list[str] = []
    with _single_thread():
        tables["dimensionality"] = dimensionality(data, inst, seed=seed)
        constructs = [c for c in inst.constructs if len(c.items) >= 2]
        if len(constructs) < len(inst.constructs):
            notes.append("constructs with one item are left out of the factor model")
        factors = {c.id: list(c.item_ids) for c in constructs}
        item_ids = [i for c in constructs for i in c.item_ids]
        import pandas as pd

        keyed = pd.DataFrame(keyed_matrix(data, inst, item_ids), columns=item_ids)
        complete = int((~keyed.isna()).all(axis=1).sum())
        p = len(item_ids)
        m = len(constructs)
        npar = 2 * p + m * (m - 1) // 2 + (p if missing == "fiml" else 0)  # + intercepts
        fitted = False
        used = complete if missing == "listwise" else int(
            (~keyed.isna()).any(axis=1).sum())
        what = "answered every item" if missing == "listwise" else "answered any item"
        if m == 0:
            notes.append("no construct has two or more items: no factor model")
        elif used <= max(p, npar):
            notes.append(
                f"too few respondents for the full factor model: {used} {what}, and the "
                f"model has {p} items and {npar} free parameters (it needs more respondents "
                f"than either; {int(np.ceil(min_per_parameter * npar))} for "
                f"{min_per_parameter:g} per parameter)")
        else:
            if used < min_per_parameter * npar:
                notes.append(
                    f"{used} respondents {what}: {used / npar:.1f} per free parameter "
                    f"({npar}), fewer than the {min_per_parameter:g} usually advised; the "
                    "estimates and fit indices are unstable, read them as indicative")
            try:
                fit_ml = cfa.fit_cfa(keyed, factors, estimator="ML", missing=missing)
                fits = [fit_ml]
                if missing == "listwise":
                    fits.append(cfa.fit_cfa(keyed, factors, estimator="MLM", start=fit_ml))
            except SurveyError as exc:
                notes.append(f"the full factor model could not be fitted: {exc.message}")
            else:
                fitted = True
                tables["cfa_fit"] = pd.concat([f.fit_table() for f in fits],
                                              ignore_index=True)
                tables["cfa_loadings"] = fits[-1].loading_table()
                tables["factor_correlations"] = fits[-1].correlation_table()
                if missing == "listwise":
                    tables["modification_indices"] = cfa.modification_indices(
                        fit_ml, top=top_modindices)
                tables["htmt"] = htmt(keyed, factors, method=htmt_method, missing=missing)
                tables["validity"] = validity_table(fit_ml, tables["htmt"])
                notes.extend(n for n in fit_ml.notes if n not in notes)
    return MeasurementModel(tables=tables, n=used if m else 0,
                            npar=npar if m else 0, fitted=fitted, notes=tuple(notes),
                            seed=seed)


@contextlib.contextmanager
def _single_thread():
    """Run the small matrix algebra of these models on one BLAS thread.

    The matrices here are at most a few hundred rows; a multi-threaded BLAS only adds
    overhead to them, and on a busy machine its threads wait for each other (an
    eigendecomposition of a 48 x 48 matrix went from 0.5 ms to 10 ms). threadpoolctl
    limits the threads for the duration.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - a dependency
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield
