r"""Borusyak, Jaravel & Spiess (2024) imputation estimator for staggered adoption.

Fit unit and period effects on the untreated observations only, impute each
treated observation's untreated outcome, and average the differences.
Robust to effects that differ between cohorts and over time, and efficient
under homoskedastic errors.

Written here with :mod:`scipy.sparse` (no permissively licensed Python
implementation of the estimator and its variance exists; the Stata
``did_imputation`` and R ``didimputation`` packages are the references).
The point estimates equal Gardner's two-stage ``did2s`` estimates, which
the tests check against pyfixest's ``did2s``; the variance is BJS's
conservative estimator, checked by simulated coverage.

Notes
-----
With :math:`\Omega_0` the untreated observations (never treated, or before
adoption) and :math:`\Omega_1` the treated ones:

1. :math:`y_{it} = \alpha_i + \lambda_t + \varepsilon_{it}` by (weighted)
   least squares on :math:`\Omega_0`;
2. :math:`\hat\tau_{it} = y_{it} - \hat\alpha_i - \hat\lambda_t` on :math:`\Omega_1`;
3. an estimand :math:`\hat\tau_w = \sum_{\Omega_1} w_{it}\hat\tau_{it}` with
   :math:`\sum w = 1`: all treated observations (the ATT; proportional to
   ``weights`` when given) or those at one event time :math:`e = t - G_i`.

:math:`\hat\tau_w = \sum_{it} v_{it} y_{it}` is linear, with :math:`v = w` on
:math:`\Omega_1` and :math:`v_0 = -W_0 Z_0 (Z_0' W_0 Z_0)^{-1} Z_1' w` on
:math:`\Omega_0` (:math:`Z` the unit and period dummies, :math:`W` the
regression weights).  Variance (BJS 2024, Theorem 3, clustered):

.. math:: \hat\sigma^2_w = \sum_c \Big(\sum_{it \in c} v_{it}\tilde\varepsilon_{it}\Big)^2,

with :math:`\tilde\varepsilon_{it}` the step-1 residual on :math:`\Omega_0`
and :math:`\hat\tau_{it} - \bar\tau_{g,e}` on :math:`\Omega_1`, where
:math:`\bar\tau_{g,e}` is the :math:`v^2`-weighted mean of :math:`\hat\tau`
in the observation's cohort x event-time cell (the default of Stata's
``did_imputation``; no leave-out correction).  Intervals and p-values use
the normal distribution, as BJS.  Treated observations whose unit or period
has no untreated observation cannot be imputed; they are left out, with a
warning.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.sparse.linalg import splu

from toolkit.cautions import Caution
from toolkit.designs.did import _panel as P
from toolkit.designs.did._tidy import coef_row
from toolkit.designs.did.results import EventStudyResult
from toolkit.errors import DesignError, Problem

__all__ = ["imputation"]


def _design(unit, time, n_unit, n_time):
    """Sparse unit + period dummies (first period dropped)."""
    n = unit.size
    rows = np.concatenate([np.arange(n), np.flatnonzero(time > 0)])
    cols = np.concatenate([unit, n_unit + time[time > 0] - 1])
    return sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n_unit + n_time - 1))


def imputation(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    *,
    horizons: int | None = None,
    cluster: str | None = None,
    weights: str | None = None,
    level: float = 0.95,
) -> EventStudyResult:
    """Borusyak, Jaravel & Spiess (2024) imputation estimator (see the module Notes).

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period, ``time`` numeric or dates.
    outcome, unit, time : str
        Column names.
    first_treated : str
        Period of first treatment on the scale of ``time``; 0 or missing =
        never treated.
    horizons : int, optional
        Report event times 0..``horizons`` (default: every observed one).
    cluster : str, optional
        Cluster column for the variance (default ``unit``).
    weights : str, optional
        Observation weights: step-1 WLS and estimand weights.
    level : float
        Confidence level.

    Returns
    -------
    EventStudyResult
        Headline: the ATT over all imputable treated observations;
        ``table``: effect by event time (post-adoption only; the imputation
        estimator has no reference period).
    """
    if not 0 < level < 1:
        raise DesignError("level must be between 0 and 1")
    if horizons is not None and (int(horizons) != horizons or horizons < 0):
        raise DesignError("horizons must be a whole number >= 0")
    P.require_columns(data, {"first_treated": first_treated})
    P.check_cluster_column(data, cluster)
    panel = P.prepare_panel(data, outcome=outcome, unit=unit, time=time, weights=weights,
                            roles={"first_treated": first_treated}, what="the imputation estimator")
    warns = list(panel.warnings)
    tvals, G = P.adoption_periods(panel, first_treated, time, "the imputation estimator")
    t_obs = tvals[panel.time]
    g_obs = G[panel.unit]
    treated = (g_obs > 0) & (t_obs >= g_obs)
    if not treated.any():
        raise DesignError("No treated observation: nothing to impute.",
                          [Problem("no row is at or after its unit's first-treated period",
                                   column=first_treated, fix="check the first-treated column")])
    untreated = ~treated
    u_has = np.bincount(panel.unit[untreated], minlength=panel.n_unit) > 0
    t_has = np.bincount(panel.time[untreated], minlength=panel.n_time) > 0
    imputable = treated & u_has[panel.unit] & t_has[panel.time]
    lost = treated & ~imputable
    if lost.any():
        warns.append(Caution(f"{int(lost.sum()):,} treated row(s) cannot be imputed (their unit has no untreated period, "
                             "or no unit is untreated in their period) and are left out.",
                             code="did.not_imputable"))
    if not imputable.any():
        raise DesignError("No treated observation can be imputed: no unit or period has untreated rows to "
                          "compare with.")
    keep = untreated | imputable
    # re-code units and periods among the rows used
    u_codes, u_uniq = pd.factorize(panel.unit[keep])
    t_codes, t_uniq = pd.factorize(panel.time[keep], sort=True)
    nu, nt = len(u_uniq), len(t_uniq)
    y = panel.y[keep]
    w_reg = np.ones(y.size) if panel.weights is None else panel.weights[keep]
    d1 = imputable[keep]
    d0 = ~d1
    Z = _design(u_codes.astype(np.int64), t_codes.astype(np.int64), nu, nt)
    Z0, Z1 = Z[d0], Z[d1]
    A = (Z0.T @ sp.diags(w_reg[d0]) @ Z0).tocsc()
    try:
        lu = splu(A)
    except RuntimeError as exc:
        raise DesignError(
            "The unit and period effects cannot be estimated from the untreated rows (the panel is not "
            "connected). Fix: check for units or periods observed only after treatment.") from exc
    theta = lu.solve(Z0.T @ (w_reg[d0] * y[d0]))
    if not np.all(np.isfinite(theta)):
        raise DesignError("The unit and period effects cannot be estimated from the untreated rows.")
    fitted = Z @ theta
    tau = y - fitted  # residual on untreated rows, effect on treated rows
    cl_all, Gc, cl_name, cwarn = P.cluster_codes(panel, cluster, unit)
    warns += cwarn
    cl = cl_all[keep]
    e_obs = (t_obs - g_obs)[keep]
    g_k = g_obs[keep]
    evs = np.unique(e_obs[d1])
    if horizons is not None:
        evs = evs[evs <= horizons]
    targets = [("att", d1.copy())] + [(float(e), d1 & (e_obs == e)) for e in evs]
    cell_codes = np.unique(np.column_stack([g_k, e_obs]), axis=0, return_inverse=True)[1].ravel()
    rows, att = [], None
    for name, sel in targets:
        w1 = np.where(sel, w_reg, 0.0)
        w1 = w1 / w1.sum()
        est = float(w1 @ tau)
        gamma = lu.solve(Z1.T @ w1[d1])
        v = w1.copy()
        v[d0] = -w_reg[d0] * (Z0 @ gamma)
        # residuals: step-1 residuals on untreated rows; tau minus its v^2-weighted cell mean on treated rows
        v2 = np.where(d1, v**2, 0.0)
        num = np.bincount(cell_codes, weights=v2 * tau)
        den = np.bincount(cell_codes, weights=v2)
        with np.errstate(invalid="ignore", divide="ignore"):
            tbar = np.where(den > 0, num / np.where(den > 0, den, 1.0), 0.0)
        eps = np.where(d1, tau - tbar[cell_codes], tau)
        s = np.bincount(cl, weights=v * eps, minlength=Gc)
        se = float(np.sqrt(s @ s))
        n_tr = int(sel.sum())
        if name == "att":
            att = coef_row("att", est, se, level, None, n_treated_obs=n_tr)
        else:
            rows.append(coef_row(f"event_time::{name:g}", est, se, level, None, event_time=name, period="post",
                                 label=f"{name:g}", n_treated_obs=n_tr))
    table = pd.DataFrame(rows)
    wtxt = f", weighted by {weights}" if weights else ""
    method = (f"Imputation estimator (Borusyak, Jaravel & Spiess 2024): unit and {time} effects fitted on the "
              f"{int(d0.sum()):,} untreated rows{wtxt}, {int(d1.sum()):,} treated rows imputed; conservative "
              f"BJS standard errors clustered by {cl_name} ({Gc:,} clusters), normal intervals; headline = ATT "
              "over all treated rows")
    return EventStudyResult(
        estimate=att["estimate"], se=att["se"], ci_low=att["ci_low"], ci_high=att["ci_high"],
        p_value=att["p_value"], n_obs=int(keep.sum()), method=method, level=level, outcome=outcome,
        name="att_imputation", table=table,
        extra={"pretrend": {"df1": 0}, "pretrend_note": "", "n_clusters": Gc,
               "n_treated_obs": int(d1.sum()), "n_untreated_obs": int(d0.sum()),
               "n_excluded": int(len(data) - keep.sum()), "reference": ()},
        warnings=tuple(dict.fromkeys(warns)),
    )
