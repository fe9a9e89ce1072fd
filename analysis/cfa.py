"""Confirmatory factor analysis by ML and robust ML, in one group or several.

:func:`fit_cfa` fits one model with every construct as a correlated factor (each item
loads on its own construct only), as ``lavaan::cfa(model, data, std.lv = TRUE)`` with
``estimator = "ML"`` or ``"MLM"``; :func:`modification_indices` lists the cross-loadings
and residual covariances whose release would improve the fit most, as
``lavaan::modindices``. The same engine fits multi-group models with a mean structure
(:func:`fit_mgcfa`, ``cfa(..., group = ..., group.equal = ...)``), on which
:mod:`analysis.invariance` tests measurement invariance, and gives their score tests
(:func:`score_tests`, ``lavTestScore``).

The model
---------
In group *g*, ``x = nu + Lambda eta + e`` with ``eta ~ N(alpha, Phi)`` and ``e ~ N(0,
Theta)``, ``Theta`` diagonal: ``Sigma = Lambda Phi Lambda' + Theta`` and, with a mean
structure, ``mu = nu + Lambda alpha``. Each factor's scale is set in one of two ways,
which give the same fit and rescaled estimates:

- ``std.lv`` (lavaan's ``std.lv = TRUE``; :func:`fit_cfa` always): every loading is
  free and the factor variances are fixed at 1 (correlations free). In a multi-group
  model with loadings equal across groups the variances of the other groups are free,
  and with intercepts equal their factor means are free too (the first group's mean
  stays 0), so that a latent mean is in units of the first group's factor SD.
- ``marker`` (lavaan's default): the loading of each factor's first item is 1 in every
  group and the factor variances are free.

The multi-group levels, as lavaan's ``group.equal``: ``configural``, nothing equal
across groups (factor means 0); ``metric``, loadings equal (``"loadings"``);
``scalar``, loadings and intercepts equal (``c("loadings", "intercepts")``), factor
means free after the first group. ``free_loadings`` and ``free_intercepts`` release
single items from the equality (``group.partial``).

Estimation
----------
Maximum likelihood with lavaan's ``likelihood = "normal"``: with ``S_g`` the covariance
matrix of group *g* (divisor ``n_g``), ``m_g`` its means and ``d = m_g - mu``, the
discrepancy ``F = sum_g (n_g / N) [log|Sigma| + tr(S Sigma^-1) - log|S| - p
+ d' Sigma^-1 d]`` is minimised by Fisher scoring: each step solves the expected
information against the analytic gradient, with step halving; it converges in a few
dozen steps to a gradient below 1e-9. :func:`fit_mgcfa` steps with the exact Hessian
instead wherever it is positive definite (:meth:`_Model.hessian`, the same gather with
the terms of misfit added): where a model does not fit, Fisher scoring converges only
linearly, Newton's method in a handful of steps.

In :func:`fit_cfa` residual variances are not bounded (lavaan does not bound them
either): a negative one (a Heywood case) is reported in ``notes``. In
:func:`fit_mgcfa`, whose fits decide invariance, residual and factor variances are
bounded below by zero (a variance at zero whose gradient points below it is held there
for the step, and trial points are projected onto the bounds): where lavaan would
return a negative variance the estimate stays at zero, and ``heywood`` and ``notes`` say
so, as lavaan's fit with every variance constrained to be positive.

Derivatives come in closed form. Every parameter moves ``Sigma`` by a matrix of rank two
at most, ``dSigma/dtheta_a = s_a (u_a w_a' + w_a u_a')`` with ``u, w`` among the unit
vectors, the columns of ``Lambda Phi`` and those of ``Lambda`` (a loading ``lambda_jf``:
``e_j`` and ``(Lambda Phi)_f``; a factor covariance: two columns of ``Lambda``; a
residual (co)variance: two unit vectors), and ``mu`` by one such vector. With ``V =
Sigma^-1`` the expected information per respondent is then
``I_ab = s_a s_b [(u_a'V u_b)(w_a'V w_b) + (u_a'V w_b)(w_a'V u_b)] + mu_a'V mu_b``,
a gather from one small Gram matrix, for the model's parameters and for the hundreds of
fixed ones whose modification indices are wanted alike.

Fit
---
- ``chisq = N F_min`` (lavaan multiplies by ``N``, not ``N - 1``, under the normal
  likelihood); ``df`` = sample moments (``p (p + 1) / 2`` per group, plus ``p`` means
  with a mean structure) minus free parameters.
- ``loglik = -sum_g n_g / 2 [p log(2 pi) + log|Sigma| + tr(S Sigma^-1)
  + d' Sigma^-1 d]`` (lavaan's ``logl``).
- ``CFI = 1 - max(chisq - df, 0) / max(chisq - df, chisq_0 - df_0, 0)`` and ``TLI =
  1 - (chisq - df) df_0 / ((chisq_0 - df_0) df)`` against the independence model
  (``chisq_0 = sum_g n_g (sum_j log s_jj - log|S_g|)``, ``df_0 = G p (p - 1) / 2``:
  every item uncorrelated, with free variances and means in each group; the same for
  every level of a multi-group model, as in lavaan).
- ``RMSEA = sqrt(max(chisq / N / df - 1 / N, 0)) sqrt(G)`` (lavaan's multi-group form;
  0 when ``df`` is 0), for :func:`fit_cfa` with its 90 % interval from the noncentral
  chi-square (lavaan's ``lav_fit_rmsea_ci``).
- ``SRMR``: lavaan's ``srmr`` (Bentler's): the root mean square of
  ``(s_ij - sigma_ij) / (s_i s_j)`` over ``i <= j``, with ``s_j = sqrt(s_jj)``, and with
  a mean structure of ``(m_j - mu_j) / s_j`` too: ``SRMR_g = sqrt([sum_j ((m_j - mu_j) /
  s_j)^2 + sum_{i<=j} ((s_ij - sigma_ij) / (s_i s_j))^2] / (p + p (p + 1) / 2))``, and
  ``SRMR = sum_g (n_g / N) SRMR_g``.
- Standard errors from the inverse expected information, ``(N I)^-1``, as lavaan's
  default for complete data. Standardised loadings ``lambda / sqrt(sigma_jj)`` (lavaan's
  ``std.all``) get delta-method SEs.

Robust ML (``estimator = "MLM"``, Satorra & Bentler 1994)
--------------------------------------------------------
With ``Gamma`` the covariance matrix of the vectorised cross-products
``vech(z_i z_i')`` of the centred data (divisor ``N``), ``W = D'(V x V)D / 2`` and
``Delta`` the model's Jacobian: ``U = W - W Delta (Delta' W Delta)^-1 Delta' W``, the
scaling factor is ``c = tr(U Gamma) / df`` and the scaled statistic ``chisq / c``. Both
traces are computed from per-respondent scores without forming ``Gamma`` (``1176 x
1176`` for 48 items): ``tr(W Gamma) = mean((z_i'V z_i)^2) / 2 - tr((S V)^2) / 2`` and
``Delta'W Gamma W Delta`` is the covariance of the scores ``s_a (u_a'V z_i)(w_a'V z_i)``.
The robust standard errors are the sandwich ``A^-1 B A^-1 / N`` with ``A = Delta'W
Delta`` and ``B = Delta'W Gamma W Delta``. ``cfi_robust``, ``tli_robust`` and
``rmsea_robust`` (with its interval) are lavaan 0.6-14's: the statistics corrected as
``chisq - c df`` against ``chisq_0 - c_0 df_0`` (Brosseau-Liard & Savalei 2014) and
``sqrt(max(chisq / N / df - c / N, 0))`` (Brosseau-Liard, Savalei & Li 2012), with
``c_0`` the baseline model's scaling factor. ``cfi_scaled`` and ``rmsea_scaled`` are
the older naive versions, kept for comparison with other software.

Every number is checked against lavaan 0.6-14 in ``tests/reference/validity.R`` and,
for the multi-group models in both identifications, ``tests/reference/invariance.R``.

Missing answers: listwise (``missing = "listwise"``, lavaan's default), on the items of
the model; robust ML needs complete data. ``missing = "fiml"`` fits the model by
full-information ML to every respondent with an answer (lavaan's ``missing = "ml"``):
the observed-data likelihood of each missing pattern, the chi-square against the
saturated model estimated by EM (:func:`_em_saturated`), standard errors from the
expected information of the observed-data likelihood.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from survey.errors import SurveyError, did_you_mean

if TYPE_CHECKING:  # pragma: no cover
    import numpy as np
    import pandas as pd

__all__ = [
    "ESTIMATORS",
    "MISSING",
    "FIT_COLUMNS",
    "LOADING_COLUMNS",
    "CORRELATION_COLUMNS",
    "MODINDEX_COLUMNS",
    "IDENTIFICATIONS",
    "LEVELS",
    "CFAFit",
    "GroupFit",
    "fit_cfa",
    "fit_mgcfa",
    "modification_indices",
    "score_tests",
]

#: Estimators :func:`fit_cfa` accepts (lavaan's names).
ESTIMATORS = ("ML", "MLM")
#: Ways :func:`fit_cfa` handles missing answers.
MISSING = ("listwise", "fiml")

#: Columns of :meth:`CFAFit.fit_table`, in order.
FIT_COLUMNS = [
    "estimator", "missing", "n", "n_items", "n_factors", "npar", "chisq", "df", "p",
    "cfi", "tli", "rmsea", "rmsea_ci_low", "rmsea_ci_high", "srmr", "chisq_scaled",
    "scaling_factor", "p_scaled", "cfi_robust", "tli_robust", "rmsea_robust",
    "rmsea_robust_ci_low", "rmsea_robust_ci_high", "cfi_scaled", "tli_scaled",
    "rmsea_scaled", "baseline_chisq", "baseline_df", "baseline_chisq_scaled",
    "baseline_scaling_factor", "per_parameter", "converged", "note",
]
#: Columns of :meth:`CFAFit.loading_table`, in order.
LOADING_COLUMNS = [
    "factor", "item", "estimator", "std_loading", "std_se", "loading", "se", "z", "p",
    "residual_var", "r2",
]
#: Columns of :meth:`CFAFit.correlation_table`, in order.
CORRELATION_COLUMNS = ["factor_a", "factor_b", "estimator", "r", "se", "z", "p"]
#: Columns of :func:`modification_indices`, in order.
MODINDEX_COLUMNS = ["lhs", "op", "rhs", "kind", "mi", "p", "epc", "sepc_all"]


# ---- layout -----------------------------------------------------------------------------

class _Layout:
    """Where each parameter of each group lives in the free-parameter vector.

    Identification ``std.lv`` or ``marker`` (see the module docstring). A slot is one
    appearance of a parameter in one group; shared (equal) parameters have one index and
    several slots, fixed ones (index -1) none. Slot kinds: 0 loading (j, f), 1 factor
    covariance (a, b), 2 factor variance (a, a), 3 residual variance (j, j), 4 intercept
    (j), 5 factor mean (f).
    """

    def __init__(self, p: int, item_factor: np.ndarray, n_groups: int, *, means: bool,
                 equal_loadings: bool = False, equal_intercepts: bool = False,
                 free_loadings: Sequence[int] = (), free_intercepts: Sequence[int] = (),
                 marker: bool = False) -> None:
        import numpy as np

        self.p, self.m, self.G = p, int(item_factor.max()) + 1, n_groups
        self.item_factor = np.asarray(item_factor)
        self.means = means
        self.equal_loadings = equal_loadings
        self.equal_intercepts = equal_intercepts
        self.marker = marker
        #: the first item of each factor: its marker under ``marker`` identification
        self.markers = np.array([int(np.flatnonzero(self.item_factor == f)[0])
                                 for f in range(self.m)])
        fixed = set(self.markers.tolist()) if marker else set()
        m = self.m
        count = 0

        def new() -> int:
            nonlocal count
            count += 1
            return count - 1

        shared_lam = {j: new() for j in range(p)
                      if equal_loadings and j not in free_loadings and j not in fixed}
        shared_nu = {j: new() for j in range(p)
                     if means and equal_intercepts and j not in free_intercepts}
        self.lam, self.phi, self.theta, self.nu, self.alpha = [], [], [], [], []
        for g in range(n_groups):
            lam = np.array([-1 if j in fixed else shared_lam[j] if j in shared_lam
                            else new() for j in range(p)])
            phi = np.full((m, m), -1)
            var_free = marker or (g > 0 and equal_loadings)
            for a in range(m):
                for b in range(a):
                    phi[a, b] = phi[b, a] = new()
                if var_free:
                    phi[a, a] = new()
            theta = np.array([new() for _ in range(p)])
            if means:
                nu = np.array([shared_nu[j] if j in shared_nu else new() for j in range(p)])
            else:
                nu = np.full(p, -1)
            alpha = np.array([new() if (means and equal_intercepts and g > 0) else -1
                              for _ in range(m)])
            self.lam.append(lam)
            self.phi.append(phi)
            self.theta.append(theta)
            self.nu.append(nu)
            self.alpha.append(alpha)
        self.npar = count
        #: the variances (residual and factor) among the free parameters
        self.variances = np.unique(np.concatenate(
            [np.concatenate([self.theta[g], np.diag(self.phi[g])]) for g in range(n_groups)]))
        self.variances = self.variances[self.variances >= 0]
        self._slots = [self._make_slots(g) for g in range(n_groups)]

    def _make_slots(self, g: int) -> dict[str, np.ndarray]:
        import numpy as np

        p, m = self.p, self.m
        kind, idx, a_, b_ = [], [], [], []
        for j in range(p):
            if self.lam[g][j] >= 0:
                kind.append(0)
                idx.append(self.lam[g][j])
                a_.append(j)
                b_.append(self.item_factor[j])
        for a in range(m):
            for b in range(a + 1):
                k = self.phi[g][a, b]
                if k >= 0:
                    kind.append(2 if a == b else 1)
                    idx.append(k)
                    a_.append(a)
                    b_.append(b)
        for j in range(p):
            kind.append(3)
            idx.append(self.theta[g][j])
            a_.append(j)
            b_.append(j)
        if self.means:
            for j in range(p):
                kind.append(4)
                idx.append(self.nu[g][j])
                a_.append(j)
                b_.append(j)
            for f in range(m):
                if self.alpha[g][f] >= 0:
                    kind.append(5)
                    idx.append(self.alpha[g][f])
                    a_.append(f)
                    b_.append(f)
        return {"kind": np.array(kind), "idx": np.array(idx), "a": np.array(a_),
                "b": np.array(b_)}

    def slots(self, g: int) -> dict[str, np.ndarray]:
        return self._slots[g]

    def descriptors(self, g: int, alpha: np.ndarray):
        """:func:`_descriptors` of group g's slots (the static part computed once)."""
        sl = self._slots[g]
        if "desc" not in sl:
            u, w, s, k, _ = _descriptors(sl["kind"], sl["a"], sl["b"], self.p, self.m,
                                         alpha * 0.0)
            sl["desc"] = (u, w, s, k)
            sl["load"] = sl["kind"] == 0
            sl["t0"] = ((sl["kind"] == 4) | (sl["kind"] == 5)).astype(float)
        u, w, s, k = sl["desc"]
        t = sl["t0"].copy()
        t[sl["load"]] = alpha[sl["b"][sl["load"]]]
        return u, w, s, k, t

    def hessian_index(self, g: int) -> dict[str, Any]:
        """Index sets of group g's slots that :meth:`_Model.hessian` gathers with (cached)."""
        import numpy as np

        sl = self._slots[g]
        if "hess" in sl:
            return sl["hess"]
        u, w, s, k = sl["desc"]
        kind, a, b, idx = sl["kind"], sl["a"], sl["b"], sl["idx"]
        load = np.flatnonzero(kind == 0)
        phi = np.flatnonzero((kind == 1) | (kind == 2))
        mean = np.flatnonzero(kind == 5)
        j, f = a[load], b[load]
        p_, q_ = a[phi], b[phi]
        scatter = np.zeros((self.npar, idx.size))
        scatter[idx, np.arange(idx.size)] = 1.0
        sl["hess"] = {
            "uu": np.ix_(u, u), "uw": np.ix_(u, w), "ww": np.ix_(w, w), "ku": np.ix_(k, u),
            "kw": np.ix_(k, w), "kk": np.ix_(k, k), "ss": s[:, None] * s[None, :],
            "load": load, "j": j, "load_load": np.ix_(load, load), "ff": np.ix_(f, f),
            "jj": np.ix_(j, j), "phi": phi, "p": p_, "q": q_,
            # a factor covariance enters (Lambda Phi) twice, a variance once
            "c": 2.0 * np.where(kind[phi] == 2, 0.5, 1.0)[None, :],
            "f_is_q": f[:, None] == q_[None, :], "f_is_p": f[:, None] == p_[None, :],
            "mean": mean, "f_is_mean": f[:, None] == a[mean][None, :], "scatter": scatter,
        }
        return sl["hess"]

    def matrices(self, x: np.ndarray, g: int):
        """``Lambda (p x m), Phi (m x m), theta (p,), nu (p,), alpha (m,)`` of group g."""
        import numpy as np

        p, m = self.p, self.m
        Lam = np.zeros((p, m))
        lam = self.lam[g]
        Lam[np.arange(p), self.item_factor] = np.where(lam >= 0, x[np.maximum(lam, 0)], 1.0)
        ph = self.phi[g]
        Phi = np.where(ph >= 0, x[np.maximum(ph, 0)], 0.0)
        Phi[np.diag_indices(m)] = np.where(np.diag(ph) >= 0, x[np.maximum(np.diag(ph), 0)],
                                           1.0)
        theta = x[self.theta[g]]
        nu = x[self.nu[g]] if self.means else np.zeros(p)
        alpha = np.where(self.alpha[g] >= 0, x[np.maximum(self.alpha[g], 0)], 0.0)
        return Lam, Phi, theta, nu, alpha


def _descriptors(kind, a, b, p: int, m: int, alpha: np.ndarray):
    """Rank-two derivative descriptors ``(u, w, s, k, t)`` of slots (module docstring).

    Basis columns: ``0..p-1`` unit vectors, ``p..p+m-1`` columns of ``Lambda Phi``,
    ``p+m..p+2m-1`` columns of ``Lambda``. Kinds beyond the model's: 6 residual
    covariance (j, k), 7 cross-loading (j, f) (same as 0).
    """
    import numpy as np

    kind = np.asarray(kind)
    a = np.asarray(a)
    b = np.asarray(b)
    u = np.zeros(kind.size, dtype=int)
    w = np.zeros(kind.size, dtype=int)
    s = np.zeros(kind.size)
    k = np.zeros(kind.size, dtype=int)
    t = np.zeros(kind.size)
    load = (kind == 0) | (kind == 7)
    u[load], w[load], s[load] = a[load], p + b[load], 1.0
    k[load], t[load] = a[load], alpha[b[load]]
    cov = kind == 1
    u[cov], w[cov], s[cov] = p + m + a[cov], p + m + b[cov], 1.0
    var = kind == 2
    u[var], w[var], s[var] = p + m + a[var], p + m + a[var], 0.5
    res = kind == 3
    u[res], w[res], s[res] = a[res], a[res], 0.5
    rc = kind == 6
    u[rc], w[rc], s[rc] = a[rc], b[rc], 1.0
    nu = kind == 4
    k[nu], t[nu] = a[nu], 1.0
    mean = kind == 5
    k[mean], t[mean] = p + m + a[mean], 1.0
    return u, w, s, k, t


def _info_block(da, db, G: np.ndarray) -> np.ndarray:
    """Expected information per respondent between two sets of descriptors."""
    ua, wa, sa, ka, ta = da
    ub, wb, sb, kb, tb = db
    out = (sa[:, None] * sb[None, :]) * (
        G[ua][:, ub] * G[wa][:, wb] + G[ua][:, wb] * G[wa][:, ub])
    if ta.any() and tb.any():
        out += (ta[:, None] * tb[None, :]) * G[ka][:, kb]
    return out


# ---- the model: moments, discrepancy, derivatives ----------------------------------------

class _Model:
    """A layout with the sample moments of each group."""

    def __init__(self, layout: _Layout, S: list, M: list, n: list) -> None:
        import numpy as np

        self.layout = layout
        self.S, self.M, self.n = S, M, [int(v) for v in n]
        self.N = float(sum(self.n))
        self.w = np.array(self.n, dtype=float) / self.N
        self.logdetS = [float(np.linalg.slogdet(Sg)[1]) for Sg in S]
        self._states: dict = {}

    def group_state(self, x: np.ndarray, g: int):
        """Implied moments and the pieces every derivative needs, or None if not PD.

        The states of the last parameter vector are kept: the objective, its gradient
        and the information at the same point share them.
        """
        import numpy as np

        key = (x.tobytes(), g)
        cached = self._states.get(key)
        if cached is not None or key in self._states:
            return cached
        if len(self._states) > 4 * self.layout.G:
            self._states.clear()
        L = self.layout
        Lam, Phi, theta, nu, alpha = L.matrices(x, g)
        C = Lam @ Phi
        Sigma = C @ Lam.T + np.diag(theta)
        try:
            chol = np.linalg.cholesky(Sigma)
        except np.linalg.LinAlgError:
            self._states[key] = None
            return None
        inv_chol = np.linalg.inv(chol)
        V = inv_chol.T @ inv_chol
        mu = nu + Lam @ alpha
        d = self.M[g] - mu if L.means else np.zeros(L.p)
        B = np.hstack([np.eye(L.p), C, Lam])
        state = {"Lam": Lam, "Phi": Phi, "theta": theta, "nu": nu, "alpha": alpha,
                 "Sigma": Sigma, "V": V, "mu": mu, "d": d, "B": B,
                 "logdet": 2.0 * float(np.log(np.diag(chol)).sum())}
        self._states[key] = state
        return state

    def pd_state(self, x: np.ndarray, g: int):
        """:meth:`group_state`, raising SurveyError where ``Sigma`` is not PD."""
        st = self.group_state(x, g)
        if st is None:
            raise SurveyError("the model's implied covariance matrix is not positive "
                              "definite")
        return st

    def objective(self, x: np.ndarray, gradient: bool = True):
        """``F`` (module docstring) and its gradient; ``inf`` outside the PD region."""
        import numpy as np

        L = self.layout
        p = L.p
        f = 0.0
        grad = np.zeros(L.npar)
        for g in range(L.G):
            st = self.group_state(x, g)
            if st is None:
                return np.inf, grad
            V, d, S = st["V"], st["d"], self.S[g]
            Vd = V @ d
            f += self.w[g] * (st["logdet"] + np.sum(V * S) - self.logdetS[g] - p + d @ Vd)
            if not gradient:
                continue
            W = V - V @ (S + np.outer(d, d)) @ V
            B = st["B"]
            Gw = B.T @ W @ B
            sl = L.slots(g)
            u, w_, s, k, t = L.descriptors(g, st["alpha"])
            gvec = 2.0 * s * Gw[u, w_]
            if L.means:
                gvec = gvec - 2.0 * t * (B.T @ Vd)[k]
            np.add.at(grad, sl["idx"], self.w[g] * gvec)
        return float(f), grad

    def information(self, x: np.ndarray) -> np.ndarray:
        """Expected information per respondent, ``sum_g (n_g / N) I_g``."""
        import numpy as np

        L = self.layout
        info = np.zeros((L.npar, L.npar))
        for g in range(L.G):
            st = self.pd_state(x, g)
            B = st["B"]
            G = B.T @ st["V"] @ B
            sl = L.slots(g)
            desc = L.descriptors(g, st["alpha"])
            block = _info_block(desc, desc, G)
            idx = sl["idx"]
            np.add.at(info, (idx[:, None], idx[None, :]), self.w[g] * block)
        return info


    def hessian(self, x: np.ndarray) -> np.ndarray:
        """The Hessian of ``F`` (observed, not expected): ``2 I`` plus the terms of misfit.

        With ``T = S + d d'``, ``K = V T V``, ``W = V - K``, ``dSigma_a`` and ``dmu_a`` as
        in the module docstring, ``d2F/dtheta_a dtheta_b = tr(W Sigma_ab) - 2 mu_ab'V d
        - tr(V Sigma_a V Sigma_b) + 2 tr(V Sigma_a V Sigma_b K) + 2 mu_b'V Sigma_a V d
        + 2 mu_a'V Sigma_b V d + 2 mu_a'V mu_b``, again a gather from Gram matrices of
        the basis; second derivatives ``Sigma_ab``, ``mu_ab`` exist only between a
        loading and a loading, a factor (co)variance or a factor mean of its factor.
        At a perfect fit (``S = Sigma``, ``d = 0``) it is twice the expected information.
        """
        import numpy as np

        L = self.layout
        hess = np.zeros((L.npar, L.npar))
        for g in range(L.G):
            st = self.pd_state(x, g)
            V, d, B = st["V"], st["d"], st["B"]
            Vd = V @ d
            K = V @ (self.S[g] + np.outer(d, d)) @ V
            u, w_, s, k, t = L.descriptors(g, st["alpha"])
            h = L.hessian_index(g)
            G = B.T @ V @ B
            GK = B.T @ K @ B
            Guu, Guw, Gww = G[h["uu"]], G[h["uw"]], G[h["ww"]]
            Kuu, Kuw, Kww = GK[h["uu"]], GK[h["uw"]], GK[h["ww"]]
            block = (2.0 * h["ss"]) * (Guw.T * Kuw + Gww * Kuu + Guu * Kww + Guw * Kuw.T
                                       - Guu * Gww - Guw * Guw.T)
            if L.means:
                e = B.T @ Vd
                cross = (s[:, None] * t[None, :]) * (G[h["ku"]].T * e[w_][:, None]
                                                     + G[h["kw"]].T * e[u][:, None])
                block += 2.0 * (cross + cross.T + (t[:, None] * t[None, :]) * G[h["kk"]])
            # second derivatives: a loading with a loading, a factor (co)variance, a mean
            W = V - K
            load, j = h["load"], h["j"]
            block[h["load_load"]] += 2.0 * st["Phi"][h["ff"]] * W[h["jj"]]
            if h["phi"].size:
                WL = (W @ st["Lam"])[j]
                lp = h["c"] * (WL[:, h["p"]] * h["f_is_q"] + WL[:, h["q"]] * h["f_is_p"])
                block[np.ix_(load, h["phi"])] += lp
                block[np.ix_(h["phi"], load)] += lp.T
            if h["mean"].size:
                lm = -2.0 * Vd[j][:, None] * h["f_is_mean"]
                block[np.ix_(load, h["mean"])] += lm
                block[np.ix_(h["mean"], load)] += lm.T
            hess += self.w[g] * (h["scatter"] @ block @ h["scatter"].T)
        return hess

class _FIMLModel(_Model):
    """One group, a mean structure, and the observed-data likelihood of incomplete rows.

    Rows are grouped by their pattern of answered items; each pattern contributes
    ``n_P [log|Sigma_OO| + tr(Sigma_OO^-1 (S_P + d d'))]``, with ``S_P`` and the means of
    its rows on the answered items ``O`` and ``d = m_P - mu_O``. ``Sigma_OO^-1`` comes
    from the full inverse ``V`` by a Schur complement on the few missing items,
    ``V_OO - V_OM V_MM^-1 V_MO``, and ``log|Sigma_OO| = log|Sigma| + log|V_MM|``. The
    model's ``S`` and ``M`` are the saturated (EM) estimates, for the SRMR and the start.
    """

    def __init__(self, layout: _Layout, patterns: list[dict], S_h1, M_h1, n: int) -> None:
        super().__init__(layout, [S_h1], [M_h1], [n])
        self.patterns = patterns

    def _pattern_inverse(self, V: np.ndarray, logdet: float, pat: dict):
        import numpy as np

        o, mis = pat["obs"], pat["mis"]
        if not mis.size:
            return V, logdet
        Vmm = V[np.ix_(mis, mis)]
        Vmo = V[np.ix_(mis, o)]
        chol = np.linalg.cholesky(Vmm)
        half = np.linalg.solve(chol, Vmo)
        return V[np.ix_(o, o)] - half.T @ half, logdet + 2.0 * float(
            np.log(np.diag(chol)).sum())

    def objective(self, x: np.ndarray, gradient: bool = True):
        import numpy as np

        L = self.layout
        p = L.p
        grad = np.zeros(L.npar)
        st = self.group_state(x, 0)
        if st is None:
            return np.inf, grad
        V, mu = st["V"], st["mu"]
        f = 0.0
        W = np.zeros((p, p))
        gmu = np.zeros(p)
        for pat in self.patterns:
            o = pat["obs"]
            Vo, logdet = self._pattern_inverse(V, st["logdet"], pat)
            d = pat["mean"] - mu[o]
            Vd = Vo @ d
            f += pat["n"] * (logdet + np.sum(Vo * pat["cov"]) + d @ Vd)
            if gradient:
                W[np.ix_(o, o)] += pat["n"] * (Vo - Vo @ (pat["cov"] + np.outer(d, d)) @ Vo)
                gmu[o] -= 2.0 * pat["n"] * Vd
        f /= self.N
        if gradient:
            B = st["B"]
            Gw = B.T @ (W / self.N) @ B
            u, w_, s, k, t = L.descriptors(0, st["alpha"])
            gvec = 2.0 * s * Gw[u, w_] + t * (B.T @ (gmu / self.N))[k]
            np.add.at(grad, L.slots(0)["idx"], gvec)
        return float(f), grad

    def observed_data_information(self, x: np.ndarray) -> np.ndarray:
        """Expected information of the observed-data likelihood, per respondent."""
        import numpy as np

        L = self.layout
        st = self.group_state(x, 0)
        B, V = st["B"], st["V"]
        desc = L.descriptors(0, st["alpha"])
        idx = L.slots(0)["idx"]
        info = np.zeros((L.npar, L.npar))
        for pat in self.patterns:
            Vo, _ = self._pattern_inverse(V, st["logdet"], pat)
            Bo = B[pat["obs"]]
            block = _info_block(desc, desc, Bo.T @ Vo @ Bo)
            info[np.ix_(idx, idx)] += pat["n"] / self.N * block
        return info


def _missing_patterns(X: np.ndarray) -> list[dict]:
    """Rows grouped by the items they answered: indices, counts, means, covariances."""
    import numpy as np

    answered = ~np.isnan(X)
    keys, inverse = np.unique(answered, axis=0, return_inverse=True)
    out = []
    for k, key in enumerate(keys):
        rows = X[inverse.ravel() == k][:, key]
        mean = rows.mean(axis=0)
        z = rows - mean
        out.append({"obs": np.flatnonzero(key), "mis": np.flatnonzero(~key),
                    "n": len(rows), "mean": mean, "cov": z.T @ z / len(rows)})
    return out


def _em_saturated(patterns: list[dict], p: int, *, tol: float = 1e-12,
                  max_iter: int = 2000) -> tuple[np.ndarray, np.ndarray, bool]:
    """ML means and covariances of incomplete multivariate normal data by EM.

    Each pattern enters through its moments: with ``x_M = a + B x_O`` the conditional
    mean of the missing items (``B = -V_MM^-1 V_MO``, ``a = mu_M - B mu_O``) and
    ``V_MM^-1`` their conditional covariance, the expected sums of ``x`` and ``x x'`` are
    linear in the pattern's mean and second moment. Returns ``(mu, Sigma, converged)``.
    """
    import numpy as np

    N = sum(pat["n"] for pat in patterns)
    s1 = np.zeros(p)
    s2 = np.zeros(p)
    cnt = np.zeros(p)
    for pat in patterns:
        o = pat["obs"]
        s1[o] += pat["n"] * pat["mean"]
        s2[o] += pat["n"] * (np.diag(pat["cov"]) + pat["mean"] ** 2)
        cnt[o] += pat["n"]
    mu = s1 / cnt
    Sigma = np.diag(s2 / cnt - mu**2)
    for pat in patterns:                       # complete pairs give a better start
        if not pat["mis"].size:
            Sigma = pat["cov"].copy()
            break
    for _ in range(max_iter):
        V = np.linalg.inv(Sigma)
        T1 = np.zeros(p)
        T2 = np.zeros((p, p))
        for pat in patterns:
            o, mis, n = pat["obs"], pat["mis"], pat["n"]
            m = pat["mean"]
            Q = pat["cov"] + np.outer(m, m)
            if not mis.size:
                T1 += n * m
                T2 += n * Q
                continue
            C = np.linalg.inv(V[np.ix_(mis, mis)])
            Bm = -C @ V[np.ix_(mis, o)]
            a = mu[mis] - Bm @ mu[o]
            xm = a + Bm @ m
            T1[o] += n * m
            T1[mis] += n * xm
            T2[np.ix_(o, o)] += n * Q
            cross = n * (Q @ Bm.T + np.outer(m, a))
            T2[np.ix_(o, mis)] += cross
            T2[np.ix_(mis, o)] += cross.T
            T2[np.ix_(mis, mis)] += n * (np.outer(a, a) + np.outer(Bm @ m, a)
                                         + np.outer(a, Bm @ m) + Bm @ Q @ Bm.T + C)
        new_mu = T1 / N
        new_Sigma = T2 / N - np.outer(new_mu, new_mu)
        new_Sigma = (new_Sigma + new_Sigma.T) / 2
        change = max(np.max(np.abs(new_mu - mu)), np.max(np.abs(new_Sigma - Sigma)))
        mu, Sigma = new_mu, new_Sigma
        if change < tol:
            return mu, Sigma, True
    return mu, Sigma, False


def _fiml_discrepancy(patterns: list[dict], mu: np.ndarray, Sigma: np.ndarray,
                      N: float) -> float:
    """The FIML discrepancy of :class:`_FIMLModel` at given moments."""
    import numpy as np

    V = np.linalg.inv(Sigma)
    logdet = float(np.linalg.slogdet(Sigma)[1])
    f = 0.0
    for pat in patterns:
        o, mis = pat["obs"], pat["mis"]
        if mis.size:
            Vmm = V[np.ix_(mis, mis)]
            Vo = V[np.ix_(o, o)] - V[np.ix_(o, mis)] @ np.linalg.solve(Vmm, V[np.ix_(mis, o)])
            ld = logdet + float(np.linalg.slogdet(Vmm)[1])
        else:
            Vo, ld = V, logdet
        d = pat["mean"] - mu[o]
        f += pat["n"] * (ld + np.sum(Vo * pat["cov"]) + d @ Vo @ d)
    return f / N


def _solve_pd(A: np.ndarray, b: np.ndarray) -> np.ndarray:
    """``A^-1 b`` for a symmetric positive (semi)definite ``A``: Cholesky, else least squares.

    (Cholesky rather than ``numpy.linalg.solve``: the latter is erratically slow for
    matrices of this size under a multi-threaded BLAS on a busy machine.)
    """
    import numpy as np
    from scipy.linalg import cho_factor, cho_solve

    try:
        return cho_solve(cho_factor(A), b)
    except np.linalg.LinAlgError:
        return np.linalg.lstsq(A, b, rcond=None)[0]


def _inv_pd(A: np.ndarray) -> np.ndarray:
    """Inverse of a symmetric positive definite matrix (via :func:`_solve_pd`)."""
    import numpy as np

    out = _solve_pd(A, np.eye(A.shape[0]))
    return (out + out.T) / 2


def _optimise(model: _Model, x0: np.ndarray, *, lower: np.ndarray | None = None,
              newton: bool = False, max_iter: int = 200):
    """Fisher scoring (or Newton) with step halving; returns ``(x, converged, message)``.

    ``lower``: parameters bounded below by zero (indices), or None. A bounded parameter
    at its bound whose gradient points below it is held there for the step (the
    projected Newton method of Bertsekas 1982): the step solves the information of the
    others, and every trial point is projected back onto the bounds.

    ``newton``: step with the exact Hessian (:meth:`_Model.hessian`) where it is
    positive definite, and with the expected information elsewhere. Fisher scoring
    converges only linearly when the model does not fit (the information is not the
    Hessian then); Newton's steps converge quadratically near the optimum.
    """
    import numpy as np

    x = x0.copy()
    if lower is not None:
        x[lower] = np.maximum(x[lower], 0.0)
    f, grad = model.objective(x)
    if not np.isfinite(f):
        return x, False, "the starting values give a covariance matrix that is not PD"
    message = "maximum number of iterations reached"
    converged = False

    def held(x: np.ndarray, grad: np.ndarray) -> np.ndarray:
        out = np.zeros(x.size, dtype=bool)
        if lower is not None:
            out[lower] = (x[lower] <= 1e-12) & (grad[lower] > 0)
        return out

    pgrad = np.where(held(x, grad), 0.0, grad)
    for _ in range(max_iter):
        try:
            step = _direction(model, x, grad, ~held(x, grad), newton)
        except SurveyError:
            step = -pgrad
        slope = float(grad @ step)
        if slope > 0:                    # not a descent direction: fall back to the gradient
            step = -pgrad
        t = 1.0
        while t > 1e-12:
            xn = x + t * step
            if lower is not None:
                xn[lower] = np.maximum(xn[lower], 0.0)
            fn, gn = model.objective(xn)
            # (the last term lets a step through whose gain is below rounding of F)
            if np.isfinite(fn) and fn <= f + 1e-4 * float(grad @ (xn - x)) \
                    + 1e-13 * max(1.0, abs(f)):
                break
            t /= 2
        else:
            message = "no step decreased the discrepancy"
            converged = bool(np.max(np.abs(pgrad)) < 1e-6)
            break
        moved = np.max(np.abs(xn - x))
        x, f_old, f, grad = xn, f, fn, gn
        pgrad = np.where(held(x, grad), 0.0, grad)
        if moved < 1e-10 or (abs(f_old - f) < 1e-15 * max(1.0, abs(f))
                             and np.max(np.abs(pgrad)) < 1e-7):
            message, converged = "converged", True
            break
    if not converged and np.max(np.abs(pgrad)) < 1e-8:
        message, converged = "converged", True
    return x, converged, message


def _direction(model: _Model, x: np.ndarray, grad: np.ndarray, free: np.ndarray,
               newton: bool) -> np.ndarray:
    """The step of the free parameters: Newton's where asked and the Hessian is positive
    definite, else Fisher scoring's (the others stay)."""
    import numpy as np
    from scipy.linalg import cho_factor, cho_solve

    step = np.zeros_like(x)
    block = np.ix_(free, free)
    if newton:
        try:
            step[free] = cho_solve(cho_factor(model.hessian(x)[block]), -grad[free])
            return step
        except np.linalg.LinAlgError:
            pass
    step[free] = _solve_pd(model.information(x)[block], -0.5 * grad[free])
    return step


# ---- data preparation -------------------------------------------------------------------

def _prepare(data: pd.DataFrame, factors: Mapping[str, Sequence[str]]):
    """Items, item -> factor and the float matrix of the items (NaN missing)."""
    import numpy as np
    import pandas as pd

    if not isinstance(factors, Mapping) or not factors:
        raise SurveyError("factors must be a non-empty mapping of factor name -> items")
    items: list[str] = []
    item_factor: list[int] = []
    for f_index, (name, its) in enumerate(factors.items()):
        its = list(its)
        if len(its) < 2:
            raise SurveyError(f"factor '{name}' has {len(its)} item(s); a factor needs at "
                              "least 2 items")
        for it in its:
            if it in items:
                raise SurveyError(f"item '{it}' is listed under two factors; each item must "
                                  "load on one factor only")
            if it not in data.columns:
                raise SurveyError(f"no column '{it}' in the data (factor '{name}')."
                                  + did_you_mean(str(it), [str(c) for c in data.columns]),
                                  column=str(it))
            items.append(it)
            item_factor.append(f_index)
    block = data[items]
    if all(block[c].dtype.kind in "fiu" for c in items):
        X = block.to_numpy(dtype=float)          # plain numeric columns: one conversion
    else:
        X = np.empty((len(data), len(items)))
        for j, it in enumerate(items):
            try:
                X[:, j] = pd.to_numeric(data[it], errors="raise").astype("Float64").to_numpy(
                    dtype=float, na_value=np.nan)
            except (TypeError, ValueError) as exc:
                raise SurveyError(f"column '{it}' must be numeric ({exc})",
                                  column=str(it)) from exc
    return items, np.asarray(item_factor), X


def _check_moments(S: np.ndarray, n: int, p: int, group: str | None = None) -> None:
    """Raise SurveyError unless ``S`` (of the full CFA, or of one group) can be fitted."""
    import numpy as np

    where = "full CFA" if group is None else f"group '{group}'"
    if n <= p:
        raise SurveyError(f"{where}: {n} complete respondents for {p} items; a factor model "
                          "needs more respondents than items")
    if np.linalg.eigvalsh(S)[0] <= 1e-10 * max(np.trace(S), 1e-300):
        matrix = ("full CFA: the covariance matrix of the items" if group is None
                  else f"the covariance matrix of group '{group}'")
        raise SurveyError(f"{matrix} is singular (an item without variance, or items that "
                          "are exact combinations of others)")


def _start_single(S: np.ndarray, item_factor: np.ndarray, m: int):
    """Starting loadings, residual variances and factor correlations (one group)."""
    import numpy as np

    p = S.shape[0]
    sd = np.sqrt(np.diag(S))
    R = S / np.outer(sd, sd)
    lam_std = np.zeros(p)
    for f in range(m):
        idx = np.flatnonzero(item_factor == f)
        Rf = R[np.ix_(idx, idx)].copy()
        h = np.full(idx.size, 0.5)
        for _ in range(5):                          # a few principal-axis iterations
            np.fill_diagonal(Rf, h)
            vals, vecs = np.linalg.eigh(Rf)
            load = vecs[:, -1] * np.sqrt(max(vals[-1], 1e-6))
            if load.sum() < 0:
                load = -load
            h = np.clip(load**2, 0.05, 0.95)
        lam_std[idx] = np.clip(load, -0.95, 0.95)
    lam = lam_std * sd
    theta = np.maximum(np.diag(S) - lam**2, 0.05 * np.diag(S))
    Phi = np.eye(m)
    for a in range(m):
        ia = np.flatnonzero(item_factor == a)
        for b in range(a):
            ib = np.flatnonzero(item_factor == b)
            num = (lam_std[ia, None] * lam_std[None, ib] * R[np.ix_(ia, ib)]).sum()
            den = (lam_std[ia, None] ** 2 * lam_std[None, ib] ** 2).sum()
            Phi[a, b] = Phi[b, a] = np.clip(num / den if den > 0 else 0.0, -0.9, 0.9)
    vals, vecs = np.linalg.eigh(Phi)
    if vals[0] < 0.05:                              # keep the start positive definite
        Phi = vecs @ np.diag(np.maximum(vals, 0.05)) @ vecs.T
        d = np.sqrt(np.diag(Phi))
        Phi = Phi / np.outer(d, d)
    return lam, theta, Phi


# ---- results -----------------------------------------------------------------------------

@dataclass(frozen=True)
class CFAFit:
    """A fitted single-group CFA (see the module docstring).

    Attributes
    ----------
    factors, items : tuple of str
        Factor names and item names in model order.
    item_factor : numpy.ndarray
        Index of each item's factor.
    estimator : str
        ``ML`` or ``MLM``.
    missing : str
        ``listwise``.
    n : int
        Respondents used.
    npar, df : int
        Free parameters and degrees of freedom.
    chisq, pvalue, cfi, tli, rmsea, rmsea_ci_low, rmsea_ci_high, srmr : float
        Normal-theory fit.
    chisq_scaled, scaling_factor, pvalue_scaled, cfi_robust, tli_robust, rmsea_robust,
    rmsea_robust_ci_low, rmsea_robust_ci_high, cfi_scaled, tli_scaled, rmsea_scaled : float
        Satorra-Bentler versions (``nan`` for ``ML``).
    baseline_chisq, baseline_df, baseline_chisq_scaled, baseline_scaling_factor
        The independence model.
    loadings, residual_vars : numpy.ndarray
        Unstandardised estimates per item.
    phi : numpy.ndarray
        Factor correlation matrix.
    vcov : numpy.ndarray
        Covariance matrix of the free parameters (robust for ``MLM``).
    converged : bool
    notes : tuple of str
        Heywood cases and other caveats.
    """

    factors: tuple[str, ...]
    items: tuple[str, ...]
    item_factor: np.ndarray = field(repr=False)
    estimator: str
    missing: str
    n: int
    npar: int
    df: int
    chisq: float
    pvalue: float
    cfi: float
    tli: float
    rmsea: float
    rmsea_ci_low: float
    rmsea_ci_high: float
    srmr: float
    chisq_scaled: float
    scaling_factor: float
    pvalue_scaled: float
    cfi_robust: float
    tli_robust: float
    rmsea_robust: float
    rmsea_robust_ci_low: float
    rmsea_robust_ci_high: float
    cfi_scaled: float
    tli_scaled: float
    rmsea_scaled: float
    baseline_chisq: float
    baseline_df: int
    baseline_chisq_scaled: float
    baseline_scaling_factor: float
    loadings: np.ndarray = field(repr=False)
    residual_vars: np.ndarray = field(repr=False)
    phi: np.ndarray = field(repr=False)
    vcov: np.ndarray = field(repr=False)
    converged: bool
    notes: tuple[str, ...] = ()
    _model: Any = field(default=None, repr=False)
    _x: Any = field(default=None, repr=False)

    @property
    def std_loadings(self) -> np.ndarray:
        """``lambda / sqrt(lambda^2 + theta)`` (lavaan's ``std.all``)."""
        import numpy as np

        return self.loadings / np.sqrt(self.loadings**2 + self.residual_vars)

    def std_loading_se(self) -> np.ndarray:
        """Delta-method standard errors of :attr:`std_loadings`."""
        import numpy as np

        L = self._model.layout
        lam, th = self.loadings, self.residual_vars
        var = lam**2 + th
        d_lam = th / var**1.5
        d_th = -0.5 * lam / var**1.5
        out = np.empty(len(lam))
        for j in range(len(lam)):
            a, b = L.lam[0][j], L.theta[0][j]
            v = (d_lam[j] ** 2 * self.vcov[a, a] + d_th[j] ** 2 * self.vcov[b, b]
                 + 2 * d_lam[j] * d_th[j] * self.vcov[a, b])
            out[j] = np.sqrt(max(v, 0.0))
        return out

    def fit_table(self) -> pd.DataFrame:
        """One row, columns :data:`FIT_COLUMNS`."""
        import pandas as pd

        ratio = self.n / self.npar if self.npar else float("nan")
        row = {
            "estimator": self.estimator, "missing": self.missing, "n": self.n,
            "n_items": len(self.items), "n_factors": len(self.factors), "npar": self.npar,
            "chisq": self.chisq, "df": self.df, "p": self.pvalue, "cfi": self.cfi,
            "tli": self.tli, "rmsea": self.rmsea, "rmsea_ci_low": self.rmsea_ci_low,
            "rmsea_ci_high": self.rmsea_ci_high, "srmr": self.srmr,
            "chisq_scaled": self.chisq_scaled, "scaling_factor": self.scaling_factor,
            "p_scaled": self.pvalue_scaled, "cfi_robust": self.cfi_robust,
            "tli_robust": self.tli_robust, "rmsea_robust": self.rmsea_robust,
            "rmsea_robust_ci_low": self.rmsea_robust_ci_low,
            "rmsea_robust_ci_high": self.rmsea_robust_ci_high,
            "cfi_scaled": self.cfi_scaled, "tli_scaled": self.tli_scaled,
            "rmsea_scaled": self.rmsea_scaled, "baseline_chisq": self.baseline_chisq,
            "baseline_df": self.baseline_df, "baseline_chisq_scaled": self.baseline_chisq_scaled,
            "baseline_scaling_factor": self.baseline_scaling_factor, "per_parameter": ratio,
            "converged": self.converged, "note": "; ".join(self.notes),
        }
        frame = pd.DataFrame([row], columns=FIT_COLUMNS)
        for col in ("n", "n_items", "n_factors", "npar", "df", "baseline_df"):
            frame[col] = frame[col].astype("int64")
        return frame

    def loading_table(self) -> pd.DataFrame:
        """One row per item, columns :data:`LOADING_COLUMNS`."""
        import numpy as np
        import pandas as pd
        from scipy.special import ndtr

        L = self._model.layout
        se = np.sqrt(np.maximum(np.diag(self.vcov), 0.0))[L.lam[0]]
        z = self.loadings / se
        std = self.std_loadings
        return pd.DataFrame({
            "factor": [self.factors[f] for f in self.item_factor],
            "item": list(self.items), "estimator": self.estimator,
            "std_loading": std, "std_se": self.std_loading_se(),
            "loading": self.loadings, "se": se, "z": z, "p": 2 * ndtr(-np.abs(z)),
            "residual_var": self.residual_vars, "r2": std**2,
        }, columns=LOADING_COLUMNS)

    def correlation_table(self) -> pd.DataFrame:
        """One row per pair of factors, columns :data:`CORRELATION_COLUMNS`."""
        import numpy as np
        import pandas as pd
        from scipy.special import ndtr

        L = self._model.layout
        rows = []
        for a in range(len(self.factors)):
            for b in range(a + 1, len(self.factors)):
                k = L.phi[0][a, b]
                se = float(np.sqrt(max(self.vcov[k, k], 0.0)))
                r = float(self.phi[a, b])
                z = r / se if se > 0 else np.nan
                rows.append({"factor_a": self.factors[a], "factor_b": self.factors[b],
                             "estimator": self.estimator, "r": r, "se": se, "z": z,
                             "p": float(2 * ndtr(-abs(z))) if se > 0 else np.nan})
        return pd.DataFrame(rows, columns=CORRELATION_COLUMNS)


def _rmsea_ci(chisq: float, df: int, N: float, c: float = 1.0, level: float = 0.90,
              G: int = 1) -> tuple[float, float]:
    """lavaan's ``lav_fit_rmsea_ci`` (noncentral chi-square, ``c`` the scaling factor)."""
    import math

    from scipy.special import chndtr

    if not (math.isfinite(chisq) and df >= 1):
        return (float("nan"), float("nan")) if df < 1 and not math.isfinite(chisq) else (
            0.0, 0.0)
    upper_p, lower_p = 1 - (1 - level) / 2, (1 - level) / 2

    def root(target: float, hi: float) -> float:
        from analysis.solvers import brentq

        return brentq(lambda lam: chndtr(chisq, df, lam) - target, 0.0, hi, xtol=1e-12,
                      rtol=1e-14, maxiter=500)

    if chndtr(chisq, df, 0.0) < upper_p:
        low = 0.0
    else:
        low = math.sqrt(c * root(upper_p, chisq) / (N * df)) * math.sqrt(G)
    hi_lam = max(N, chisq * 4)
    if chndtr(chisq, df, hi_lam) > lower_p or chndtr(chisq, df, 0.0) < lower_p:
        high = 0.0
    else:
        high = math.sqrt(c * root(lower_p, hi_lam) / (N * df)) * math.sqrt(G)
    return low, high


def _cfi(x2: float, df: float, x2_0: float, df_0: float, c: float = 1.0,
         c0: float = 1.0) -> float:
    t1 = max(x2 - c * df, 0.0)
    t2 = max(x2 - c * df, x2_0 - c0 * df_0, 0.0)
    if abs(t1) < 1e-12 and abs(t2) < 1e-12:
        return 1.0
    return 1.0 - t1 / t2


def _tli(x2: float, df: float, x2_0: float, df_0: float, c: float = 1.0,
         c0: float = 1.0) -> float:
    t1 = (x2 - c * df) * df_0
    t2 = (x2_0 - c0 * df_0) * df
    return 1.0 - t1 / t2 if df > 0 and abs(t2) > 0 else 1.0


def _srmr(model: _Model, x: np.ndarray) -> float:
    """lavaan's ``srmr`` (Bentler), weighted over groups."""
    import numpy as np

    L = model.layout
    p = L.p
    total = 0.0
    low = np.tril_indices(p)
    for g in range(L.G):
        st = model.group_state(x, g)
        S = model.S[g]
        sd = np.sqrt(np.diag(S))
        res = (S - st["Sigma"]) / np.outer(sd, sd)
        ss = float(np.sum(res[low] ** 2))
        count = p * (p + 1) / 2
        if L.means:
            ss += float(np.sum(((model.M[g] - st["mu"]) / sd) ** 2))
            count += p
        total += model.w[g] * np.sqrt(ss / count)
    return float(total)


# ---- single group -----------------------------------------------------------------------

def fit_cfa(
    data: pd.DataFrame,
    factors: Mapping[str, Sequence[str]],
    *,
    estimator: str = "ML",
    missing: str = "listwise",
    start: CFAFit | None = None,
) -> CFAFit:
    """Fit a correlated-factors CFA by ML or robust ML (lavaan ``std.lv = TRUE``).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent, a numeric column per item (keyed so that every item
        loads positively). Rows with a missing item are left out (listwise).
    factors : mapping of str to sequence of str
        Factor name -> its items (at least 2 each); every item loads on one factor.
    estimator : {"ML", "MLM"}
        ``MLM`` adds the Satorra-Bentler scaled statistic, the robust fit indices and
        robust standard errors.
    missing : {"listwise", "fiml"}
        ``listwise`` (lavaan's default) uses the respondents who answered every item.
        ``fiml`` (lavaan's ``missing = "ml"``) uses every respondent with an answer,
        by full-information ML with a mean structure: chi-square against the saturated
        model estimated by EM, the baseline with each item's available answers, SRMR
        against the EM moments, standard errors from the expected information of the
        observed-data likelihood (lavaan's ``information = "expected"``; its default
        with missing data is the observed information, which differs in the third
        decimal). ML only: the Satorra-Bentler correction needs complete data.
    start : CFAFit, optional
        A fit of the same data and model by the other estimator: its estimates (the
        same for ML and MLM) are reused and ``data`` is not read again.

    Returns
    -------
    CFAFit

    Raises
    ------
    SurveyError
        Unknown estimator, a missing or non-numeric item column, an item under two
        factors, fewer complete respondents than items, a singular covariance matrix, or
        more parameters than sample moments.

    Examples
    --------
    Two factors of three items (R: ``cfa("f1 =~ x1 + x2 + x3; f2 =~ x4 + x5 + x6",
    data, std.lv = TRUE)``):

    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(1)
    >>> f = rng.multivariate_normal([0, 0], [[1, .4], [.4, 1]], size=400)
    >>> x = np.repeat(f, 3, axis=1) * 0.7 + rng.normal(scale=0.7, size=(400, 6))
    >>> frame = pd.DataFrame(x, columns=[f"x{i}" for i in range(1, 7)])
    >>> fit = fit_cfa(frame, {"f1": ["x1", "x2", "x3"], "f2": ["x4", "x5", "x6"]})
    >>> fit.df, fit.npar, fit.converged
    (8, 13, True)
    >>> round(float(fit.phi[0, 1]), 2)
    0.36
    """
    import numpy as np
    from scipy.special import chdtrc

    if estimator not in ESTIMATORS:
        raise SurveyError(f"estimator must be one of {', '.join(ESTIMATORS)}, got "
                          f"{estimator!r}." + did_you_mean(str(estimator), ESTIMATORS))
    if missing not in MISSING:
        raise SurveyError(f"missing must be one of {', '.join(MISSING)}, got {missing!r}."
                          + did_you_mean(str(missing), MISSING))
    if missing == "fiml":
        if estimator != "ML":
            raise SurveyError("robust ML (MLM) needs complete data; with missing='fiml' "
                              "use estimator='ML'")
        return _fit_cfa_fiml(data, factors)
    if start is not None:
        # the same data and model, another estimator: reuse the estimates
        model, x, converged, message = start._model, start._x, start.converged, ""
        layout, items, item_factor = model.layout, list(start.items), start.item_factor
        Z, S, n, p, m = model.Z, model.S[0], model.n[0], layout.p, layout.m
        df = p * (p + 1) // 2 - layout.npar
    else:
        items, item_factor, X = _prepare(data, factors)
        X = X[~np.isnan(X).any(axis=1)]
        n, p = X.shape
        mean = X.mean(axis=0)
        Z = X - mean
        S = Z.T @ Z / max(n, 1)
        _check_moments(S, n, p)
        m = int(item_factor.max()) + 1
        layout = _Layout(p, item_factor, 1, means=False)
        moments = p * (p + 1) // 2
        df = moments - layout.npar
        if df < 0:
            raise SurveyError(f"the model has {layout.npar} free parameters but only "
                              f"{moments} sample moments; it is not identified")
        model = _Model(layout, [S], [mean], [n])
        model.Z = Z
        lam, theta, Phi = _start_single(S, item_factor, m)
        x0 = np.zeros(layout.npar)
        x0[layout.lam[0]] = lam
        x0[layout.theta[0]] = theta
        for a in range(m):
            for b in range(a):
                x0[layout.phi[0][a, b]] = Phi[a, b]
        x, converged, message = _optimise(model, x0)
    fmin, _ = model.objective(x, gradient=False)
    N = float(n)
    chisq = max(N * fmin, 0.0)
    base = float(N * (np.log(np.diag(S)).sum() - model.logdetS[0]))
    base_df = p * (p - 1) // 2
    info = model.information(x)
    info_inv = _inv_pd(info)
    st = model.group_state(x, 0)
    Lam, Phi_hat = st["Lam"], st["Phi"]
    notes: list[str] = []
    if not converged:
        notes.append(f"the optimiser did not converge: {message}")
    theta_hat = x[layout.theta[0]]
    if (theta_hat < 0).any():
        bad = [items[j] for j in np.flatnonzero(theta_hat < 0)]
        notes.append("negative residual variance (Heywood case) for " + ", ".join(bad))
    if np.linalg.eigvalsh(Phi_hat)[0] <= 0:
        notes.append("the factor correlation matrix is not positive definite")

    nan = float("nan")
    robust = dict.fromkeys(("chisq_scaled", "scaling_factor", "pvalue_scaled", "cfi_robust",
                            "tli_robust", "rmsea_robust", "rmsea_robust_ci_low",
                            "rmsea_robust_ci_high", "cfi_scaled", "tli_scaled",
                            "rmsea_scaled", "baseline_chisq_scaled",
                            "baseline_scaling_factor"), nan)
    vcov = info_inv / N
    if estimator == "MLM":
        V = st["V"]
        sl = layout.slots(0)
        desc = _descriptors(sl["kind"], sl["a"], sl["b"], p, m, st["alpha"])
        u, w_, s, _, _ = desc
        Y = Z @ V @ st["B"]
        scores = s * Y[:, u] * Y[:, w_]                  # n x q
        # slots and parameters coincide one to one in a single-group model
        order = np.argsort(sl["idx"])
        scores = scores[:, order]
        gbar = scores.mean(axis=0)
        Bmat = scores.T @ scores / N - np.outer(gbar, gbar)
        quad = np.einsum("ij,jk,ik->i", Z, V, Z)
        SV = S @ V
        tr_wg = 0.5 * float(np.mean(quad**2)) - 0.5 * float(np.sum(SV * SV.T))
        tr_ug = tr_wg - float(np.sum(info_inv * Bmat))
        c = tr_ug / df if df > 0 else nan
        vcov = info_inv @ Bmat @ info_inv / N
        if df > 0:            # a saturated model has no test to correct
            # the independence model: Sigma_0 = diag(S)
            v0 = 1.0 / np.diag(S)
            quad0 = (Z**2) @ v0
            tr_wg0 = 0.5 * float(np.mean(quad0**2)) - 0.5 * float(np.sum((S * v0[None, :]) *
                                                                        (S * v0[None, :]).T))
            g0 = 0.5 * (Z**2) * v0**2                        # scores of the p variances
            g0bar = g0.mean(axis=0)
            B0 = g0.T @ g0 / N - np.outer(g0bar, g0bar)
            a0_inv = 2.0 / v0**2                             # A_0 = diag(v0^2 / 2)
            tr_ug0 = tr_wg0 - float(np.sum(a0_inv * np.diag(B0)))
            c0 = tr_ug0 / base_df
            chisq_s = chisq / c
            rob_low, rob_high = _rmsea_ci(chisq_s, df, N, c)
            robust.update(
                chisq_scaled=chisq_s, scaling_factor=c, pvalue_scaled=float(chdtrc(df, chisq_s)),
                cfi_robust=_cfi(chisq, df, base, base_df, c, c0),
                tli_robust=_tli(chisq, df, base, base_df, c, c0),
                rmsea_robust=float(np.sqrt(max(chisq / N / df - c / N, 0.0))),
                rmsea_robust_ci_low=rob_low, rmsea_robust_ci_high=rob_high,
                cfi_scaled=_cfi(chisq_s, df, base / c0, base_df),
                tli_scaled=_tli(chisq_s, df, base / c0, base_df),
                rmsea_scaled=float(np.sqrt(max(chisq / N / (c * df) - 1 / N, 0.0))),
                baseline_chisq_scaled=base / c0, baseline_scaling_factor=c0,
            )
    low, high = _rmsea_ci(chisq, df, N)
    return CFAFit(
        factors=tuple(factors), items=tuple(items), item_factor=item_factor,
        estimator=estimator, missing="listwise", n=n, npar=layout.npar, df=df,
        chisq=chisq, pvalue=float(chdtrc(df, chisq)) if df > 0 else nan,
        cfi=_cfi(chisq, df, base, base_df), tli=_tli(chisq, df, base, base_df),
        rmsea=float(np.sqrt(max(chisq / N / df - 1.0 / N, 0.0))) if df > 0 else 0.0,
        rmsea_ci_low=low, rmsea_ci_high=high, srmr=_srmr(model, x),
        baseline_chisq=base, baseline_df=base_df,
        loadings=Lam[np.arange(p), item_factor], residual_vars=theta_hat, phi=Phi_hat,
        vcov=vcov, converged=converged, notes=tuple(notes), _model=model, _x=x,
        **robust,
    )


def _fit_cfa_fiml(data: pd.DataFrame, factors: Mapping[str, Sequence[str]]) -> CFAFit:
    """:func:`fit_cfa` with ``missing = "fiml"`` (see its docstring)."""
    import numpy as np
    from scipy.special import chdtrc

    items, item_factor, X = _prepare(data, factors)
    X = X[(~np.isnan(X)).any(axis=1)]
    n, p = X.shape
    if n <= p:
        raise SurveyError(f"full CFA: {n} respondents for {p} items; a factor model needs "
                          "more respondents than items")
    patterns = _missing_patterns(X)
    mu_h1, S_h1, em_converged = _em_saturated(patterns, p)
    _check_moments(S_h1, n, p)
    m = int(item_factor.max()) + 1
    layout = _Layout(p, item_factor, 1, means=True)
    moments = p * (p + 3) // 2
    df = moments - layout.npar
    if df < 0:
        raise SurveyError(f"the model has {layout.npar} free parameters but only {moments} "
                          "sample moments; it is not identified")
    model = _FIMLModel(layout, patterns, S_h1, mu_h1, n)
    lam, theta, Phi = _start_single(S_h1, item_factor, m)
    x0 = np.zeros(layout.npar)
    x0[layout.lam[0]] = lam
    x0[layout.theta[0]] = theta
    x0[layout.nu[0]] = mu_h1
    for a in range(m):
        for b in range(a):
            x0[layout.phi[0][a, b]] = Phi[a, b]
    x, converged, message = _optimise(model, x0)
    N = float(n)
    f_model, _ = model.objective(x, gradient=False)
    f_h1 = _fiml_discrepancy(patterns, mu_h1, S_h1, N)
    chisq = max(N * (f_model - f_h1), 0.0)
    counts = np.zeros(p)
    sums = np.zeros(p)
    squares = np.zeros(p)
    for pat in patterns:
        o = pat["obs"]
        counts[o] += pat["n"]
        sums[o] += pat["n"] * pat["mean"]
        squares[o] += pat["n"] * (np.diag(pat["cov"]) + pat["mean"] ** 2)
    var = squares / counts - (sums / counts) ** 2
    base = float(N * (float(np.sum(counts * (np.log(var) + 1.0))) / N - f_h1))
    base_df = p * (p - 1) // 2
    info = model.observed_data_information(x)
    vcov = _inv_pd(info) / N
    st = model.group_state(x, 0)
    Lam, Phi_hat = st["Lam"], st["Phi"]
    theta_hat = x[layout.theta[0]]
    notes: list[str] = []
    if not converged:
        notes.append(f"the optimiser did not converge: {message}")
    if not em_converged:
        notes.append("the EM estimates of the saturated model did not converge; the "
                     "chi-square is approximate")
    if (theta_hat < 0).any():
        bad = [items[j] for j in np.flatnonzero(theta_hat < 0)]
        notes.append("negative residual variance (Heywood case) for " + ", ".join(bad))
    if np.linalg.eigvalsh(Phi_hat)[0] <= 0:
        notes.append("the factor correlation matrix is not positive definite")
    low, high = _rmsea_ci(chisq, df, N)
    nan = float("nan")
    return CFAFit(
        factors=tuple(factors), items=tuple(items), item_factor=item_factor,
        estimator="ML", missing="fiml", n=n, npar=layout.npar, df=df, chisq=chisq,
        pvalue=float(chdtrc(df, chisq)) if df > 0 else nan,
        cfi=_cfi(chisq, df, base, base_df), tli=_tli(chisq, df, base, base_df),
        rmsea=float(np.sqrt(max(chisq / N / df - 1.0 / N, 0.0))) if df > 0 else 0.0,
        rmsea_ci_low=low, rmsea_ci_high=high, srmr=_srmr(model, x),
        chisq_scaled=nan, scaling_factor=nan, pvalue_scaled=nan, cfi_robust=nan,
        tli_robust=nan, rmsea_robust=nan, rmsea_robust_ci_low=nan, rmsea_robust_ci_high=nan,
        cfi_scaled=nan, tli_scaled=nan, rmsea_scaled=nan, baseline_chisq=base,
        baseline_df=base_df, baseline_chisq_scaled=nan, baseline_scaling_factor=nan,
        loadings=Lam[np.arange(p), item_factor], residual_vars=theta_hat, phi=Phi_hat,
        vcov=vcov, converged=converged, notes=tuple(notes), _model=model, _x=x,
    )


def modification_indices(fit: CFAFit, *, top: int | None = 10,
                         minimum: float = 0.0) -> pd.DataFrame:
    """Modification indices of the fixed cross-loadings and residual covariances.

    As ``lavaan::modindices(fit)`` (expected information, normal theory, also for an
    ``MLM`` fit): for a parameter fixed at zero, ``mi = N g^2 / v`` with ``g`` the
    derivative of the log-likelihood per respondent and ``v`` its information
    conditional on the free parameters; ``epc = g / v`` is the expected change and
    ``sepc_all`` its standardised value (a cross-loading divided by the item's model
    SD; a residual covariance by the residual SDs). These are hints about where the
    model fits worst, never changes to apply without a substantive reason.

    Parameters
    ----------
    fit : CFAFit
        A fit of :func:`fit_cfa`.
    top : int or None, default 10
        Keep this many, largest first (None: all).
    minimum : float, default 0
        Leave out indices below this value.

    Returns
    -------
    pandas.DataFrame
        Columns :data:`MODINDEX_COLUMNS`: ``lhs, op, rhs`` in lavaan's syntax
        (``f =~ item``, ``item ~~ item``), ``kind`` (``cross-loading`` or
        ``residual covariance``), ``mi``, its ``p`` on 1 df, ``epc``, ``sepc_all``.
    """
    import numpy as np
    import pandas as pd
    from scipy.special import chdtrc

    model = fit._model
    x = fit._x
    L = model.layout
    p, m = L.p, L.m
    st = model.group_state(x, 0)
    kind, a_, b_, lhs, op, rhs, label = [], [], [], [], [], [], []
    for j in range(p):
        for f in range(m):
            if f != L.item_factor[j]:
                kind.append(7)
                a_.append(j)
                b_.append(f)
                lhs.append(fit.factors[f])
                op.append("=~")
                rhs.append(fit.items[j])
                label.append("cross-loading")
    for j in range(p):
        for k in range(j + 1, p):
            kind.append(6)
            a_.append(j)
            b_.append(k)
            lhs.append(fit.items[j])
            op.append("~~")
            rhs.append(fit.items[k])
            label.append("residual covariance")
    if not kind:
        return pd.DataFrame(columns=MODINDEX_COLUMNS)
    B = st["B"]
    V, S = st["V"], model.S[0]
    G = B.T @ V @ B
    W = V - V @ S @ V
    Gw = B.T @ W @ B
    sl = L.slots(0)
    d_model = _descriptors(sl["kind"], sl["a"], sl["b"], p, m, st["alpha"])
    d_extra = _descriptors(kind, a_, b_, p, m, st["alpha"])
    order = np.argsort(sl["idx"])
    d_model = tuple(arr[order] for arr in d_model)
    I22 = _info_block(d_model, d_model, G)
    I12 = _info_block(d_extra, d_model, G)
    u, w_, s, _, _ = d_extra
    I11 = s * s * (G[u, u] * G[w_, w_] + G[u, w_] * G[w_, u])
    v = I11 - np.einsum("ij,ij->i", I12 @ _inv_pd(I22), I12)
    grad_f = 2.0 * s * Gw[u, w_]                       # dF / d theta at zero
    score = -0.5 * grad_f                              # d loglik / N
    with np.errstate(invalid="ignore", divide="ignore"):
        v = np.where(v < np.finfo(float).eps ** (1 / 3), np.nan, v)
        mi = fit.n * score**2 / v
        epc = score / v
    sd_item = np.sqrt(np.diag(st["Sigma"]))
    theta = st["theta"]
    a_arr, b_arr, k_arr = np.array(a_), np.array(b_), np.array(kind)
    with np.errstate(invalid="ignore", divide="ignore"):
        sepc = np.where(k_arr == 7, epc / sd_item[a_arr],
                        epc / np.sqrt(np.abs(theta[a_arr] * theta[np.minimum(b_arr, p - 1)])))
    frame = pd.DataFrame({"lhs": lhs, "op": op, "rhs": rhs, "kind": label, "mi": mi,
                          "p": chdtrc(1, np.nan_to_num(mi, nan=0.0)), "epc": epc,
                          "sepc_all": sepc}, columns=MODINDEX_COLUMNS)
    frame = frame[frame["mi"].notna() & (frame["mi"] >= minimum)]
    frame = frame.sort_values("mi", ascending=False, kind="mergesort")
    if top is not None:
        frame = frame.head(top)
    return frame.reset_index(drop=True)


# ---- multiple groups ----------------------------------------------------------------------

@dataclass(frozen=True)
class GroupFit:
    """A multi-group CFA with a mean structure (:func:`fit_mgcfa`).

    Attributes
    ----------
    level : str
        ``configural``, ``metric`` or ``scalar``.
    identification : str
        ``marker`` or ``std.lv`` (module docstring).
    factors, items : tuple of str
        Factor names and item names in model order.
    groups : tuple of str
        Group labels in model order (the first is the reference).
    n : tuple of int
        Respondents per group after listwise deletion.
    npar, df : int
        Free parameters and degrees of freedom.
    chisq, pvalue : float
        Likelihood-ratio chi-square against the saturated model (``N F_min``) and its
        p-value (``nan`` when ``df`` is 0).
    cfi, rmsea, srmr : float
        Fit indices as lavaan computes them (module docstring; RMSEA with the
        multi-group factor ``sqrt(G)``).
    loglik : float
        Log-likelihood of the model (lavaan's ``logl``).
    baseline_chisq, baseline_df : float, int
        Chi-square and df of the independence (baseline) model.
    free_intercepts, free_loadings : tuple of str
        Items whose intercept or loading was released from equality (``group.partial``).
    latent_means, latent_mean_se : numpy.ndarray
        Factor means of the groups after the first (``G - 1`` x factors) and their SEs
        from the expected information; ``nan`` unless the level is scalar. Under
        ``std.lv`` a mean is in units of the first group's factor SD.
    latent_vars : numpy.ndarray
        Factor variances of every group (``G`` x factors).
    converged : bool
        Whether Fisher scoring reached a vanishing (projected) gradient.
    heywood : bool
        Whether a variance estimate is held at its lower bound of zero.
    notes : tuple of str
        Convergence problems and Heywood cases, worded for the reader.
    """

    level: str
    identification: str
    factors: tuple[str, ...]
    items: tuple[str, ...]
    groups: tuple[str, ...]
    n: tuple[int, ...]
    npar: int
    df: int
    chisq: float
    pvalue: float
    cfi: float
    rmsea: float
    srmr: float
    loglik: float
    baseline_chisq: float
    baseline_df: int
    free_intercepts: tuple[str, ...]
    free_loadings: tuple[str, ...]
    latent_means: np.ndarray = field(repr=False)
    latent_mean_se: np.ndarray = field(repr=False)
    latent_vars: np.ndarray = field(repr=False)
    converged: bool
    heywood: bool
    notes: tuple[str, ...] = ()
    _model: Any = field(default=None, repr=False)
    _x: Any = field(default=None, repr=False)

    @property
    def params(self) -> pd.DataFrame:
        """The estimates in lavaan's notation, fixed parameters included.

        Columns ``lhs, op, rhs, group, est``; ``op`` is ``=~`` (loading), ``~~``
        (variance or covariance) or ``~1`` (intercept or factor mean, ``rhs`` empty).
        Per group: loadings, residual variances, factor (co)variances, intercepts,
        factor means, as ``parameterEstimates`` lists them.
        """
        import pandas as pd

        layout = self._model.layout
        factors, items = self.factors, self.items
        rows: list[tuple] = []
        for g, group in enumerate(self.groups):
            Lam, Phi, theta, nu, alpha = layout.matrices(self._x, g)
            rows += [(factors[f], "=~", it, group, Lam[j, f])
                     for j, (it, f) in enumerate(zip(items, layout.item_factor, strict=True))]
            rows += [(it, "~~", it, group, theta[j]) for j, it in enumerate(items)]
            rows += [(factors[a], "~~", factors[b], group, Phi[a, b])
                     for a in range(layout.m) for b in range(a, layout.m)]
            rows += [(it, "~1", "", group, nu[j]) for j, it in enumerate(items)]
            rows += [(name, "~1", "", group, alpha[a]) for a, name in enumerate(factors)]
        return pd.DataFrame(rows, columns=["lhs", "op", "rhs", "group", "est"])


#: The levels of :func:`fit_mgcfa`, from the fewest equality constraints to the most.
LEVELS: tuple[str, ...] = ("configural", "metric", "scalar")
#: How :func:`fit_mgcfa` sets the scale of the factors (lavaan's default first).
IDENTIFICATIONS: tuple[str, ...] = ("marker", "std.lv")
#: The note of a multi-group fit with a variance held at zero.
_HEYWOOD_NOTE = ("a variance estimate is held at its lower bound of zero (Heywood case; "
                "lavaan would report a negative estimate)")


def _group_moments(X: np.ndarray, labels: np.ndarray, order: Sequence[str]):
    """Covariances (divisor n), means and sizes of the complete rows of each group.

    Rows with a missing item or group are left out; groups without rows are dropped
    from ``order``. Raises SurveyError when fewer than two groups remain or a group's
    covariance matrix is singular.
    """
    import numpy as np

    keep = ~np.isnan(X).any(axis=1) & np.array([v is not None for v in labels])
    X, labels = X[keep], labels[keep]
    order = [g for g in order if (labels == g).any()]
    if len(order) < 2:
        raise SurveyError(f"a multi-group model needs at least 2 groups with complete data, "
                          f"got {len(order)} ({', '.join(order) or 'none'})")
    S, M, n = [], [], []
    for g in order:
        Xg = X[labels == g]
        M.append(Xg.mean(axis=0))
        Z = Xg - M[-1]
        S.append(Z.T @ Z / len(Xg))
        n.append(len(Xg))
        _check_moments(S[-1], n[-1], X.shape[1], group=g)
    return S, M, n, order


def fit_mgcfa(
    data: pd.DataFrame | None,
    groups: pd.Series | str | None,
    factors: Mapping[str, Sequence[str]],
    level: str = "configural",
    *,
    free_intercepts: Sequence[str] = (),
    free_loadings: Sequence[str] = (),
    identification: str = "marker",
    start: GroupFit | None = None,
) -> GroupFit:
    """Fit a multi-group confirmatory factor model with a mean structure by ML.

    lavaan's ``cfa(model, data, group = ..., group.equal = ...)`` with its defaults
    (``std.lv = TRUE`` with ``identification="std.lv"``). The model, the estimation,
    the bounds on the variances and the fit statistics are described in the module
    docstring.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent with a numeric column per item. Rows with a missing item
        or a missing group are left out (listwise). Not read when ``start`` is given.
    groups : pandas.Series or str
        Group of each row (aligned with ``data`` by position), or the name of a column
        of ``data``. Groups are taken in the order of a categorical's categories, else
        in order of first appearance (as lavaan); the first is the reference group.
    factors : mapping of str to sequence of str
        Factor name -> its items (at least 2); every item loads on one factor, and the
        first item of each factor is its marker under ``marker`` identification.
    level : {"configural", "metric", "scalar"}
        Equality constraints across groups: none, loadings (``group.equal =
        "loadings"``), loadings and intercepts (``c("loadings", "intercepts")``).
    free_intercepts, free_loadings : sequence of str
        Items whose intercept (scalar level) or loading (metric and scalar levels) is
        left free in every group: a partial-invariance model (lavaan ``group.partial``).
        At least one item of each factor must stay equal; a marker's loading is fixed.
    identification : {"marker", "std.lv"}
        ``marker`` (lavaan's default): the first item's loading is 1 in every group.
        ``std.lv``: the first group's factor variances are 1 (and every group's, at the
        configural level), so that latent means are in its SD units. The fit is the
        same; the estimates are rescaled.
    start : GroupFit, optional
        A fit of the same data and model (another level, other items released): its
        sample moments are reused (``data`` and ``groups`` are then not read) and, with
        the same identification, its estimates are the starting values.

    Returns
    -------
    GroupFit

    Raises
    ------
    SurveyError
        When an item or the group column is missing or not numeric, an item is listed
        twice, fewer than two groups have data, a group's covariance matrix is singular
        (fewer respondents than items, or an item that does not vary), a freed item is
        not in the model or is a marker or the last equal item of its factor, or the
        model has more parameters than sample moments.

    Examples
    --------
    Six simulated items of one construct, two regions, equal loadings (R:
    ``cfa("f =~ bb1 + ... + bb6", data, group = "lab_region", group.equal =
    "loadings")``):

    >>> from survey.instrument import load
    >>> from survey.simulate import simulate
    >>> frame = simulate(load("lab-culture"), seed=5, labs={"china": 6,
    ...                  "united_states": 6}, respondents_per_lab=(40, 40))
    >>> items = [f"bb{j}" for j in range(1, 7)]
    >>> fit = fit_mgcfa(frame, "lab_region", {"build_vs_buy": items}, "metric")
    >>> fit.groups, fit.df, fit.converged
    (('china', 'united_states'), 23, True)
    """
    import numpy as np
    import pandas as pd
    from scipy.special import chdtrc

    if level not in LEVELS:
        raise SurveyError(f"level must be one of {', '.join(LEVELS)}, got {level!r}."
                          + did_you_mean(str(level), LEVELS))
    if identification not in IDENTIFICATIONS:
        raise SurveyError(f"identification must be one of {', '.join(IDENTIFICATIONS)}, "
                          f"got {identification!r}."
                          + did_you_mean(str(identification), IDENTIFICATIONS))
    if start is not None:
        items, names = list(start.items), start.factors
        item_factor = start._model.layout.item_factor
        S, M, n, order = start._model.S, start._model.M, start._model.n, list(start.groups)
    else:
        if data is None or groups is None:
            raise SurveyError("give data and groups, or start (a fit of the same data)")
        items, item_factor, X = _prepare(data, factors)
        names = tuple(factors)
        if isinstance(groups, str):
            if groups not in data.columns:
                raise SurveyError(f"no grouping column '{groups}' in the data."
                                  + did_you_mean(groups, [str(c) for c in data.columns]),
                                  column=groups)
            groups = data[groups]
        g_series = pd.Series(groups).reset_index(drop=True)
        if len(g_series) != len(data):
            raise SurveyError(f"groups has {len(g_series)} values but the data has "
                              f"{len(data)} rows; give one group per row")
        if isinstance(g_series.dtype, pd.CategoricalDtype):
            order = [str(c) for c in g_series.cat.categories]
        else:
            order = [str(v) for v in dict.fromkeys(g_series.dropna())]
        labels = np.array([None if pd.isna(v) else str(v) for v in g_series], dtype=object)
        S, M, n, order = _group_moments(X, labels, order)
    p, G = len(items), len(order)
    equal_load, equal_int = level in ("metric", "scalar"), level == "scalar"
    layout = _Layout(p, item_factor, G, means=True, equal_loadings=equal_load,
                     equal_intercepts=equal_int,
                     free_loadings=_freed(items, item_factor, names, free_loadings,
                                          "loading", identification, equal_load),
                     free_intercepts=_freed(items, item_factor, names, free_intercepts,
                                            "intercept", identification, equal_int),
                     marker=identification == "marker")
    moments = G * p * (p + 3) // 2
    df = moments - layout.npar
    if df < 0:
        raise SurveyError(f"the model has {layout.npar} free parameters but only {moments} "
                          "sample moments; it is not identified (add items or constraints)")
    model = _Model(layout, S, M, n)
    x0 = (_carry_over(start, layout) if start is not None
          and start.identification == identification else _start_groups(layout, S, M, n))
    x, converged, message = _optimise(model, x0, lower=layout.variances, newton=True)
    fmin, _ = model.objective(x, gradient=False)
    N = float(sum(n))
    chisq = max(N * fmin, 0.0)
    base = float(sum(ng * (np.log(np.diag(Sg)).sum() - ld)
                     for ng, Sg, ld in zip(n, S, model.logdetS, strict=True)))
    base_df = G * p * (p - 1) // 2
    # the log-likelihood from F: log|Sigma| + tr(S V) + d'V d = F_g + log|S_g| + p
    loglik = -0.5 * (N * (fmin + p * (1.0 + np.log(2 * np.pi)))
                     + float(np.dot(n, model.logdetS)))
    m = layout.m
    means = np.full((G - 1, m), np.nan)
    mean_se = np.full((G - 1, m), np.nan)
    if level == "scalar":
        vcov = _inv_pd(model.information(x)) / N
        for g in range(1, G):
            k = layout.alpha[g]
            means[g - 1] = x[k]
            mean_se[g - 1] = np.sqrt(np.maximum(vcov[k, k], 0.0))
    heywood = bool((x[layout.variances] <= 1e-8).any())
    notes = ([f"the optimiser did not converge: {message}"] if not converged else []) + (
        [_HEYWOOD_NOTE] if heywood else [])
    return GroupFit(
        level=level, identification=identification, factors=tuple(names),
        items=tuple(items), groups=tuple(order), n=tuple(int(v) for v in n),
        npar=layout.npar, df=df, chisq=chisq,
        pvalue=float(chdtrc(df, chisq)) if df > 0 else float("nan"),
        cfi=_cfi(chisq, df, base, base_df),
        rmsea=float(np.sqrt(max(chisq / N / df - 1.0 / N, 0.0)) * np.sqrt(G)) if df > 0
        else 0.0,
        srmr=_srmr(model, x), loglik=float(loglik), baseline_chisq=base,
        baseline_df=base_df, free_intercepts=tuple(free_intercepts),
        free_loadings=tuple(free_loadings), latent_means=means, latent_mean_se=mean_se,
        latent_vars=np.array([np.diag(layout.matrices(x, g)[1]) for g in range(G)]),
        converged=converged, heywood=heywood, notes=tuple(notes), _model=model, _x=x,
    )


def _freed(items: list[str], item_factor: np.ndarray, factors: Sequence[str],
           freed: Sequence[str], what: str, identification: str,
           constrained: bool) -> list[int]:
    """Indices of the items in ``freed``, checked: known, not a marker, not all of a factor."""
    import numpy as np

    name = f"free_{what}s"
    for it in freed:
        if it not in items:
            raise SurveyError(f"{name}: '{it}' is not an item of the model."
                              + did_you_mean(str(it), [str(i) for i in items]))
    index = [items.index(it) for it in freed]
    for f in range(int(item_factor.max()) + 1):
        own = np.flatnonzero(item_factor == f)
        if what == "loading" and identification == "marker" and own[0] in index:
            raise SurveyError(f"{name}: '{items[own[0]]}' is the marker of its factor "
                              "(loading fixed to 1); free another item's loading, or use "
                              "identification='std.lv'")
        if constrained and set(own.tolist()) <= set(index):
            raise SurveyError(f"{name}: every {what} of factor '{factors[f]}' is freed; at "
                              "least one must stay equal across groups")
    return index


def _carry_over(fit: GroupFit, layout: _Layout) -> np.ndarray:
    """Starting values in ``layout`` from the estimates of another fit of the same data.

    Each group keeps its implied means ``mu``: a factor mean the other fit did not have
    starts at the mean shift of the items over their loadings, and the intercepts at
    ``mu - Lambda alpha`` (a shared intercept at the first group's value).
    """
    import numpy as np

    old = fit._model.layout
    x = np.zeros(layout.npar)
    first_mu = None
    for g in reversed(range(layout.G)):      # the first group's shared values written last
        Lam, Phi, theta, nu, alpha = old.matrices(fit._x, g)
        lam = layout.lam[g]
        x[lam[lam >= 0]] = Lam[np.arange(layout.p), layout.item_factor][lam >= 0]
        x[layout.theta[g]] = theta
        free = layout.phi[g] >= 0
        x[layout.phi[g][free]] = Phi[free]
        mu = nu + Lam @ alpha
        afree = layout.alpha[g] >= 0
        if afree.any() and not old.equal_intercepts:
            if first_mu is None:
                first_mu = old.matrices(fit._x, 0)
                first_mu = first_mu[3] + first_mu[0] @ first_mu[4]
            loads = Lam[np.arange(layout.p), layout.item_factor]
            alpha = np.array([np.mean((mu - first_mu)[layout.item_factor == f]
                                      / loads[layout.item_factor == f])
                              for f in range(layout.m)])
        elif not afree.any():
            alpha = np.zeros(layout.m)
        x[layout.alpha[g][afree]] = alpha[afree]
        x[layout.nu[g]] = mu - Lam @ alpha
    return x


def _start_groups(layout: _Layout, S, M, n) -> np.ndarray:
    """Starting values: the pooled one-group solution in every group."""
    import numpy as np

    item_factor = layout.item_factor
    w = np.array(n, dtype=float) / sum(n)
    pooled = sum(wg * Sg for wg, Sg in zip(w, S, strict=True))
    lam, _, Phi = _start_single(pooled, item_factor, layout.m)
    scale = lam[layout.markers] if layout.marker else np.ones(layout.m)
    lam = lam / scale[item_factor]                  # a marker's loading becomes 1
    Phi = Phi * np.outer(scale, scale)
    common = lam**2 * np.diag(Phi)[item_factor]
    x = np.zeros(layout.npar)
    for g in range(layout.G):
        free = layout.lam[g] >= 0
        x[layout.lam[g][free]] = lam[free]
        x[layout.theta[g]] = np.maximum(np.diag(S[g]) - common, 0.05 * np.diag(S[g]))
        ph = layout.phi[g]
        x[ph[ph >= 0]] = Phi[ph >= 0]
        x[layout.nu[g]] = M[g]
    for g in range(layout.G):           # shared intercepts: the reference group's means
        for j in range(layout.p):
            k = layout.nu[g][j]
            if any(layout.nu[h][j] == k for h in range(layout.G) if h != g):
                x[k] = M[0][j]
        for f in range(layout.m):
            k = layout.alpha[g][f]
            if k >= 0:
                idx = np.flatnonzero(item_factor == f)
                x[k] = float(np.mean((M[g][idx] - M[0][idx]) / np.maximum(lam[idx], 1e-3)))
    return x


def score_tests(fit: GroupFit, release: Sequence[str] | None = None) -> pd.DataFrame:
    """Score tests for releasing the equal intercepts of a scalar model, item by item.

    lavaan's ``lavTestScore(fit)`` (expected information): with ``g`` the gradient of
    the log-likelihood per respondent in the parametrisation where every group has its
    own parameters, evaluated at the constrained estimates, ``I`` the expected
    information there, and ``R`` the Jacobian of the equality constraints, releasing
    the constraints ``J`` gives ``T = N g' [Z^+]_11 g`` with ``Z = [[I, R_1'], [R_1, 0]]``,
    ``R_1`` the rows of ``R`` outside ``J`` and ``^+`` the Moore-Penrose inverse. ``J`` is
    one item's intercept constraints (``G - 1`` of them, one per group after the first):
    a univariate test with two groups.

    Parameters
    ----------
    fit : GroupFit
        A scalar-level fit of :func:`fit_mgcfa` (with or without freed intercepts; either
        identification).
    release : sequence of str, optional
        Items to test (default: every item whose intercept is still constrained).

    Returns
    -------
    pandas.DataFrame
        ``item, chisq, df, p``, largest ``chisq`` first.
    """
    import numpy as np
    import pandas as pd
    from scipy.special import chdtrc

    if fit.level != "scalar":
        raise SurveyError("score tests of intercepts need a scalar-level fit")
    model, x = fit._model, fit._x
    L = model.layout
    items = list(fit.items)
    constrained = [j for j in range(L.p) if items[j] not in fit.free_intercepts]
    for it in release or ():
        if it not in items:
            raise SurveyError(f"release: '{it}' is not an item of the model."
                              + did_you_mean(str(it), items))
    wanted = constrained if release is None else [items.index(i) for i in release]
    # loadings constrained equal (a marker's is fixed, not constrained)
    equal_load = [j for j in range(L.p)
                  if L.lam[0][j] >= 0 and L.lam[0][j] == L.lam[min(1, L.G - 1)][j]]
    full = _Layout(L.p, L.item_factor, L.G, means=True, equal_loadings=True,
                   equal_intercepts=True, free_loadings=range(L.p),
                   free_intercepts=range(L.p), marker=L.marker)
    xu = np.zeros(full.npar)
    for g in range(L.G):
        free = L.lam[g] >= 0
        xu[full.lam[g][free]] = x[L.lam[g][free]]
        xu[full.theta[g]] = x[L.theta[g]]
        xu[full.nu[g]] = x[L.nu[g]]
        ph_f, ph = full.phi[g], L.phi[g]
        xu[ph_f[ph_f >= 0]] = np.where(ph[ph_f >= 0] >= 0, x[np.maximum(ph[ph_f >= 0], 0)],
                                       1.0)
        af, al = full.alpha[g], L.alpha[g]
        xu[af[af >= 0]] = x[al[af >= 0]]
    umodel = _Model(full, model.S, model.M, model.n)
    _, grad = umodel.objective(xu)
    score = -0.5 * grad
    info = umodel.information(xu)
    rows: list[np.ndarray] = []
    owner: list[tuple[str, int]] = []
    for kind, where, equal in (("loading", full.lam, equal_load),
                               ("intercept", full.nu, constrained)):
        for j in equal:
            for g in range(1, L.G):         # the first group's value = group g's
                r = np.zeros(full.npar)
                r[where[0][j]], r[where[g][j]] = 1.0, -1.0
                rows.append(r)
                owner.append((kind, j))
    R = np.array(rows)
    q = full.npar
    out = []
    for j in wanted:
        keep = [i for i, o in enumerate(owner) if o != ("intercept", j)]
        R1 = R[keep]
        Z = np.block([[info, R1.T], [R1, np.zeros((len(keep), len(keep)))]])
        Zp = np.linalg.pinv(Z, rcond=np.sqrt(np.finfo(float).eps), hermitian=True)
        stat = float(model.N * score @ Zp[:q, :q] @ score)
        df = L.G - 1
        out.append({"item": items[j], "chisq": stat, "df": df, "p": float(chdtrc(df, stat))})
    frame = pd.DataFrame(out, columns=["item", "chisq", "df", "p"])
    return frame.sort_values("chisq", ascending=False, kind="mergesort").reset_index(drop=True)
