"""Event-study (dynamic two-way fixed effects) difference-in-differences."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.cautions import Caution
from toolkit.designs.did import _panel as P
from toolkit.designs.did import wild as W
from toolkit.designs.did._fe import FixedEffect, fe_regression
from toolkit.designs.did._tidy import coef_row
from toolkit.designs.did.results import EventStudyResult
from toolkit.designs.did._tidy import inference as interval_p
from toolkit.designs.did.twfe import few_treated_clusters
from toolkit.errors import DesignError, Problem

__all__ = ["event_study", "wald_test", "pretrend_note"]


def wald_test(coef: np.ndarray, vcov: np.ndarray, df2: int) -> dict[str, float]:
    """Joint Wald test that all ``coef`` are zero.

    Notes
    -----
    :math:`W = b' V^{-1} b`; :math:`F = W/q` compared with
    :math:`F(q, G-1)` (fixest's ``wald()`` with a clustered covariance uses the
    same residual degrees of freedom as its t-tests); the asymptotic
    :math:`\\chi^2_q` p-value is reported too.

    A clustered covariance has rank at most :math:`G-1` (``df2``), so with
    :math:`q \\ge G-1` coefficients, or whenever the numerical rank of
    :math:`V` (``numpy.linalg.matrix_rank``, default tolerance) is below
    :math:`q`, the test is not defined: ``stat``, ``chi2`` and both p-values
    are NaN (fixest warns in the same situation).  ``rank`` is returned too.
    """
    q = int(coef.size)
    nan = {"stat": float("nan"), "df1": q, "df2": int(df2), "p_value": float("nan"),
           "chi2": float("nan"), "p_value_chi2": float("nan"), "rank": 0}
    if q == 0:
        return nan
    vcov = np.asarray(vcov, dtype=float)
    rank = int(np.linalg.matrix_rank(vcov, hermitian=True)) if np.all(np.isfinite(vcov)) else 0
    nan["rank"] = rank
    if q >= df2 or rank < q:
        return nan
    w = float(coef @ np.linalg.solve(vcov, coef))
    f = w / q
    return {
        "stat": f,
        "df1": q,
        "df2": int(df2),
        "p_value": float(stats.f.sf(f, q, df2)),
        "chi2": w,
        "p_value_chi2": float(stats.chi2.sf(w, q)),
        "rank": rank,
    }


def pretrend_note(pretrend: dict) -> str:
    """Why the event-study pre-trend test has no p-value ("" when it has one or tests nothing)."""
    q, df2, rank = pretrend.get("df1", 0), pretrend.get("df2", 0), pretrend.get("rank", 0)
    if not q or np.isfinite(pretrend.get("p_value", float("nan"))):
        return ""
    why = (f"it tests {q} leads at once but the clustered covariance rests on only {df2 + 1} clusters "
           "(a joint test needs fewer leads than clusters minus one)" if q >= df2
           else f"the clustered covariance of the {q} leads is singular (rank {rank})")
    return Caution(f"The joint test of the pre-adoption coefficients cannot be computed: {why}, so no p-value is "
                   "reported. Test fewer leads (leads=) or judge the pre-trends from the plot.",
                   code="did.es_pretest_not_computed")


def event_study(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    *,
    leads: int | None = None,
    lags: int | None = None,
    cluster: str | None = None,
    weights: str | None = None,
    covariates: Sequence[str] | None = None,
    level: float = 0.95,
    inference: str = "crv1",
    reps: int = W.DEFAULT_REPS,
    seed: int | None = W.DEFAULT_SEED,
) -> EventStudyResult:
    """Event-study regression: effects by time since adoption, with a pre-trend test.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period, ``time`` numeric.
    outcome, unit, time : str
        Column names.
    first_treated : str
        Period of first treatment on the scale of ``time``; 0 or missing =
        never treated.
    leads, lags : int, optional
        Number of pre-adoption event times (-leads .. -2 are estimated, -1 is
        the reference) and post-adoption event times (0 .. lags).  Event times
        beyond the window are binned into the end points.  Default: every
        observed event time, no binning.
    cluster : str, optional
        Cluster column (default ``unit``).
    weights : str, optional
        Observation weights.
    covariates : sequence of str, optional
        Time-varying numeric controls (their coefficients are in
        ``extra["covariates"]``).
    level : float
        Confidence level.
    inference : {"crv1", "wild", "auto"}
        ``"wild"``: the headline and every event-time coefficient get wild
        cluster bootstrap-t intervals and p-values
        (:mod:`toolkit.designs.did.wild`); ``"auto"``: only with fewer than
        30 clusters or fewer than 10 treated clusters.  SEs stay CRV1; the
        pre-trend Wald test is not bootstrapped.
    reps, seed : int
        Bootstrap replications and seed.

    Returns
    -------
    EventStudyResult
        ``table`` by event time (with the reference row), ``pretrend``
        (joint Wald test of the leads), ``plot()``; the headline is the
        average of the post-adoption coefficients.

    Notes
    -----
    :math:`y_{it} = \\alpha_i + \\lambda_t + \\sum_{e \\ne -1} \\beta_e
    1\\{t - G_i = e\\} + u_{it}` for treated units (never-treated units have
    all indicators 0), fitted with the same within-transformation and CRV1
    covariance as :func:`~toolkit.designs.did.twfe` (fixest convention;
    equals ``feols(y ~ i(rel, ref = -1) | unit + time, cluster = ~unit)``).
    Without never-treated units the earliest lead is also omitted (the
    event-time effects are otherwise not identified).  With effects that
    differ between cohorts these TWFE coefficients can be contaminated;
    :func:`~toolkit.designs.did.staggered` with ``aggregate("dynamic")`` is
    the robust alternative.
    """
    if not 0 < level < 1:
        raise DesignError("level must be between 0 and 1")
    for nm, v in (("leads", leads), ("lags", lags)):
        if v is not None and (int(v) != v or v < (1 if nm == "leads" else 0)):
            raise DesignError(f"{nm} must be a whole number ({'>= 1' if nm == 'leads' else '>= 0'})")
    W.check_inference(inference, reps)
    covariates = list(covariates or [])
    P.require_columns(data, {"first_treated": first_treated} | {f"covariate {c}": c for c in covariates})
    P.check_cluster_column(data, cluster)
    panel = P.prepare_panel(
        data, outcome=outcome, unit=unit, time=time, weights=weights, other=covariates,
        roles={"first_treated": first_treated}, what="the event study",
    )
    warns = list(panel.warnings)
    tvals, G = P.adoption_periods(panel, first_treated, time, "an event study")
    late = G > tvals.max()
    if late.any():
        warns.append(Caution(f"{int(late.sum()):,} unit(s) are first treated after the last period; they count as never treated.",
                             code="did.late_adopters"))
        G = np.where(late, 0.0, G)
    treated_u = G > 0
    if not treated_u.any():
        raise DesignError(
            "No unit is treated during the panel.",
            [Problem("no unit has a first-treated period inside the panel", column=first_treated,
                     fix="check the first-treated column (period of first treatment, 0 = never)")],
        )
    t_obs = tvals[panel.time]
    g_obs = G[panel.unit]
    is_tr = g_obs > 0
    rel = np.where(is_tr, t_obs - g_obs, np.nan)
    if not np.any(is_tr & (rel < 0)):
        raise DesignError(
            "No treated unit is observed before adoption, so there is no pre-period.",
            [Problem("every treated unit's rows are at or after its first-treated period",
                     column=first_treated, fix="include periods before adoption for the treated units")],
        )
    if not np.any(is_tr & (rel == -1)):
        raise DesignError(
            "No treated unit is observed in the period just before adoption (the reference period).",
            [Problem("event time -1 is never observed", column=first_treated,
                     fix="check that first-treated uses the same scale as the time column")],
        )
    if leads is not None:
        rel = np.where(is_tr, np.maximum(rel, -leads), rel)
    if lags is not None:
        rel = np.where(is_tr, np.minimum(rel, lags), rel)
    always = treated_u & (np.bincount(panel.unit, weights=(is_tr & (rel < 0)), minlength=panel.n_unit) == 0)
    if always.any():
        warns.append(Caution(f"{int(always.sum()):,} treated unit(s) have no rows before adoption; they add no pre-period information.",
                             code="did.always_treated"))
    evs = np.unique(rel[is_tr])
    refs = [-1.0]
    never = ~treated_u
    if not never.any():
        refs.append(float(evs.min()))
        warns.append(
            Caution(f"No never-treated units: event time {evs.min():g} is also used as a reference (set to 0), "
                    "because the effects are otherwise not identified.", code="did.no_never_treated")
        )
    est_e = [e for e in evs if e not in refs]
    X = np.zeros((panel.n_obs, len(est_e)), order="F")
    for j, e in enumerate(est_e):
        X[:, j] = is_tr & (rel == e)
    names = [f"event_time::{e:g}" for e in est_e]
    if covariates:
        X = np.column_stack([X, *P.covariate_columns(panel.data, covariates, panel.positions)])
        names += covariates
    cl, Gc, cl_name, cwarn = P.cluster_codes(panel, cluster, unit)
    warns += cwarn + few_treated_clusters(cl, Gc, is_tr & (rel >= 0), cl_name)
    fes = [FixedEffect(panel.unit, panel.n_unit, unit), FixedEffect(panel.time, panel.n_time, time)]
    fix = (("" if never.any() else "with no never-treated units the full window of leads and lags is not "
            "identified; ") + "drop the longest leads and lags or bin the end points (e.g. leads=4, lags=4: earlier "
           "and later event times are pooled into the end points)" + ("" if never.any() else ", or add a comparison "
           "group of units never treated during the panel"))
    fit = fe_regression(panel.y, X, fes, cluster=cl, n_clusters=Gc, weights=panel.weights,
                        balanced=panel.balanced, names=names, collinear_fix=fix)
    rows = []
    for j, e in enumerate(est_e):
        period = "post" if e >= 0 else "pre"
        label = f"{e:g}" + ("+" if lags is not None and e == lags else "") + (
            "-" if leads is not None and e == -leads else "")
        rows.append(coef_row(names[j], fit.coef[j], fit.se[j], level, fit.df_t,
                             event_time=float(e), period=period, label=label))
    for r in refs:
        rows.append({"term": f"event_time::{r:g}", "estimate": 0.0, "se": float("nan"),
                     "ci_low": float("nan"), "ci_high": float("nan"), "p_value": float("nan"),
                     "event_time": float(r), "period": "reference", "label": f"{r:g}"})
    table = pd.DataFrame(rows).sort_values("event_time", kind="stable").reset_index(drop=True)
    est_e_arr = np.array(est_e)
    pre_idx = np.flatnonzero(est_e_arr < -1)
    post_idx = np.flatnonzero(est_e_arr >= 0)
    pretrend = wald_test(fit.coef[pre_idx], fit.vcov[np.ix_(pre_idx, pre_idx)], fit.df_t)
    note = pretrend_note(pretrend)
    if pre_idx.size == 0:
        warns.append(Caution("Only one pre-adoption period is available (the reference), so pre-trends cannot be tested.",
                             code="did.es_pretrend_untestable"))
    elif note:
        warns.append(note)
    elif pretrend["p_value"] < 0.05:
        warns.append(
            Caution(f"The joint test of the pre-adoption coefficients rejects parallel trends "
                    f"(p = {pretrend['p_value']:.3g}): the treated and comparison units were already diverging "
                    "before the scheme, so the estimates may be biased.", code="did.es_pretrend_rejected")
        )
    if post_idx.size == 0:
        raise DesignError("No treated unit is observed after adoption.")
    a = np.zeros(fit.coef.size)
    a[post_idx] = 1.0 / post_idx.size
    est = float(a @ fit.coef)
    se = float(np.sqrt(a @ fit.vcov @ a))
    lo, hi, p = interval_p(est, se, level, fit.df_t)
    wtxt = f", weighted by {weights}" if weights else ""
    method = (
        f"Event study: two-way fixed effects ({unit} and {time}) with event-time indicators, reference "
        f"period -1{wtxt}; CRV1 standard errors clustered by {cl_name} ({Gc:,} clusters, fixest "
        "convention); headline = average of post-adoption coefficients"
    )
    result = EventStudyResult(
        estimate=est, se=se, ci_low=lo, ci_high=hi, p_value=p, n_obs=fit.n_obs, method=method,
        level=level, outcome=outcome, name="att_event_average", table=table,
        extra={
            "pretrend": pretrend,
            "pretrend_note": note,
            "vcov": pd.DataFrame(fit.vcov, index=names, columns=names),
            "n_clusters": Gc,
            "reference": tuple(refs),
            "n_excluded": panel.n_dropped,
            "covariates": pd.DataFrame(
                [coef_row(c, fit.coef[len(est_e) + i], fit.se[len(est_e) + i], level, fit.df_t)
                 for i, c in enumerate(covariates)]
            ),
        },
        warnings=tuple(warns),
    )
    if inference == "crv1":
        return result
    prob = W.wild_problem(panel.y, X, fes, cluster=cl, n_clusters=Gc, weights=panel.weights,
                          balanced=panel.balanced, reps=reps, seed=seed)
    eye = np.eye(fit.coef.size)
    rows = {int(i): eye[j] for j, nm in enumerate(names[:len(est_e)])
            for i in np.flatnonzero(table["term"].to_numpy() == nm)}
    return W.with_wild(result, prob, a, inference=inference, n_clusters=Gc,
                       n_treated_clusters=W.treated_clusters(cl, is_tr & (rel >= 0)), table_rows=rows)
