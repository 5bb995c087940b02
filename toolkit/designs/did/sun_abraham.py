r"""Sun & Abraham (2021) interaction-weighted event study.

A two-way fixed-effects event study whose event-time coefficients are
contaminated when effects differ between adoption cohorts.  Sun & Abraham
estimate one coefficient per cohort and event time (a fully saturated
regression with a clean control cohort) and average them with the cohorts'
shares: the "interaction-weighted" (IW) estimator.

Written here on our fixed-effects regression (:mod:`toolkit.designs.did._fe`)
so that it shares the CRV1 convention and the validation of the other DiD
designs; it follows ``fixest::sunab()``.  Checked in the tests against
pyfixest's regression with explicit cohort x event-time dummies, against our
Callaway & Sant'Anna dynamic effects (identical after adoption in a balanced
panel with never-treated controls) and on simulations with known effects.

Notes
-----
With cohorts :math:`g` (first treated period), event time :math:`e=t-g` and
control cohort(s) :math:`C`,

.. math:: y_{it} = \alpha_i + \lambda_t + \sum_{g \notin C}\sum_{e \ne -1}
          \delta_{g,e}\,1\{G_i=g\}\,1\{t-G_i=e\} + u_{it},

fitted by within-transformation and OLS (WLS with ``weights``), CRV1
covariance clustered by ``cluster`` (default the unit; fixest's small-sample
factor, t with :math:`G-1` df).  The IW estimate at event time :math:`e` is

.. math:: \hat\nu_e = \sum_g \hat w_{g,e}\,\hat\delta_{g,e},\qquad
          \hat w_{g,e} = \frac{n_{g,e}}{\sum_{g'} n_{g',e}},

with :math:`n_{g,e}` the observations (sum of weights when weighted) of
cohort :math:`g` at event time :math:`e`; its variance is
:math:`w_e' V w_e` with the shares held fixed, as ``fixest``'s
``aggregate()`` (the paper's extra term for estimated shares is omitted,
as in fixest).  The headline is the ATT over all post-adoption cells,
weights :math:`n_{g,e}` (fixest's ``agg = "ATT"``).

``control="never"``: never-treated units are the control cohort.
``control="last"``: the last cohort to adopt is the control (with any
never-treated units) and every period from its adoption on is dropped.
Units treated from their first observed period ("always treated") are
dropped, as in fixest.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.cautions import Caution
from toolkit.designs.did import _panel as P
from toolkit.designs.did._fe import FixedEffect, fe_regression
from toolkit.designs.did.event_study import pretrend_note, wald_test
from toolkit.designs.did._tidy import coef_row
from toolkit.designs.did.results import EventStudyResult
from toolkit.designs.did._tidy import inference as interval_p
from toolkit.errors import DesignError, Problem

__all__ = ["sun_abraham"]


def sun_abraham(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    *,
    control: str = "never",
    cluster: str | None = None,
    weights: str | None = None,
    level: float = 0.95,
) -> EventStudyResult:
    """Sun & Abraham (2021) interaction-weighted event study (see the module Notes).

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period, ``time`` numeric or dates.
    outcome, unit, time : str
        Column names.
    first_treated : str
        Period of first treatment on the scale of ``time``; 0 or missing =
        never treated.
    control : {"never", "last"}
        Control cohort: never-treated units, or the last cohort to adopt
        (periods from its adoption on are dropped).
    cluster : str, optional
        Cluster column (default ``unit``).
    weights : str, optional
        Observation weights (WLS; the cohort shares use them too).
    level : float
        Confidence level.

    Returns
    -------
    EventStudyResult
        ``table`` by event time (IW estimates, reference -1 set to 0),
        ``pretrend`` (joint Wald test of the IW leads), ``plot()``;
        ``extra["cohort_effects"]`` holds every :math:`\\delta_{g,e}` with its
        share, ``extra["vcov"]`` the IW event-time covariance.
        The headline is the ATT over all post-adoption cells.
    """
    if control not in ("never", "last"):
        raise DesignError("control must be 'never' or 'last'")
    if not 0 < level < 1:
        raise DesignError("level must be between 0 and 1")
    P.require_columns(data, {"first_treated": first_treated})
    P.check_cluster_column(data, cluster)
    panel = P.prepare_panel(data, outcome=outcome, unit=unit, time=time, weights=weights,
                            roles={"first_treated": first_treated}, what="the Sun & Abraham event study")
    warns = list(panel.warnings)
    tvals, G = P.adoption_periods(panel, first_treated, time, "the Sun & Abraham event study")
    late = G > tvals.max()
    if late.any():
        warns.append(Caution(f"{int(late.sum()):,} unit(s) are first treated after the last period; they count as never treated.",
                             code="did.late_adopters"))
        G = np.where(late, 0.0, G)
    first_seen = np.full(panel.n_unit, np.inf)
    np.minimum.at(first_seen, panel.unit, tvals[panel.time])
    always = (G > 0) & (G <= first_seen)
    keep_obs = ~always[panel.unit]
    if always.any():
        warns.append(Caution(f"{int(always.sum()):,} unit(s) are treated from their first observed period (always "
                             "treated); they are left out, as in fixest.", code="did.always_treated"))
    cohorts = np.unique(G[(G > 0) & ~always])
    if control == "never":
        if not np.any(G == 0):
            raise DesignError(
                "Sun & Abraham with never-treated controls needs never-treated units.",
                [Problem("every unit is treated at some point", column=first_treated,
                         fix="use control='last' (the last cohort to adopt becomes the comparison)")])
        control_g = set()
    else:
        if cohorts.size < 2:
            raise DesignError("control='last' needs at least two adoption cohorts (one is the comparison).")
        last = float(cohorts.max())
        control_g = {last}
        keep_obs &= tvals[panel.time] < last
        warns.append(Caution(f"The cohort first treated in period {last:g} is the comparison group; periods from "
                             f"{last:g} on are left out.", code="did.last_cohort_control"))
    treated_cohorts = [g for g in cohorts if g not in control_g]
    if not treated_cohorts:
        raise DesignError("No treated cohort is left to estimate.")
    if not keep_obs.all():
        sub = panel.data.loc[keep_obs].copy()
        panel = P.prepare_panel(sub, outcome=outcome, unit=unit, time=time, weights=weights,
                                roles={"first_treated": first_treated}, what="the Sun & Abraham event study")
        tvals, G = P.adoption_periods(panel, first_treated, time, "the Sun & Abraham event study")
        G = np.where(G > tvals.max(), 0.0, G) if control == "never" else G
    t_obs = tvals[panel.time]
    g_obs = G[panel.unit]
    in_tr = np.isin(g_obs, treated_cohorts)
    rel = np.where(in_tr, t_obs - g_obs, np.nan)
    w_obs = np.ones(panel.n_obs) if panel.weights is None else panel.weights
    cells = (pd.DataFrame({"cohort": g_obs[in_tr], "event_time": rel[in_tr], "w": w_obs[in_tr]})
             .groupby(["cohort", "event_time"], sort=True)["w"].agg(["sum", "size"]).reset_index())
    cells = cells[cells["event_time"] != -1].reset_index(drop=True)
    if not (cells["event_time"] >= 0).any():
        raise DesignError("No treated unit is observed after adoption.")
    # one dummy per (cohort, event time) cell
    cell_id = pd.MultiIndex.from_frame(cells[["cohort", "event_time"]])
    key = pd.MultiIndex.from_arrays([np.where(in_tr, g_obs, np.nan), rel])
    pos = cell_id.get_indexer(key)
    X = np.zeros((panel.n_obs, len(cells)), order="F")
    has = pos >= 0
    X[np.flatnonzero(has), pos[has]] = 1.0
    names = [f"cohort::{g:g}:event_time::{e:g}" for g, e in zip(cells["cohort"], cells["event_time"])]
    cl, Gc, cl_name, cwarn = P.cluster_codes(panel, cluster, unit)
    warns += cwarn
    fes = [FixedEffect(panel.unit, panel.n_unit, unit), FixedEffect(panel.time, panel.n_time, time)]
    fit = fe_regression(panel.y, X, fes, cluster=cl, n_clusters=Gc, weights=panel.weights,
                        balanced=panel.balanced, names=names)
    cells["delta"], cells["se"] = fit.coef, fit.se
    n_cell = cells["sum"].to_numpy(dtype=float)
    cells["share"] = n_cell / cells.groupby("event_time")["sum"].transform("sum").to_numpy()
    evs = np.unique(cells["event_time"].to_numpy())
    Wm = np.zeros((evs.size, len(cells)))
    for i, e in enumerate(evs):
        m = cells["event_time"].to_numpy() == e
        Wm[i, m] = cells["share"].to_numpy()[m]
    nu = Wm @ fit.coef
    Vnu = Wm @ fit.vcov @ Wm.T
    rows = []
    for i, e in enumerate(evs):
        rows.append(coef_row(f"event_time::{e:g}", nu[i], np.sqrt(max(Vnu[i, i], 0.0)), level, fit.df_t,
                             event_time=float(e), period="post" if e >= 0 else "pre", label=f"{e:g}",
                             n_cohorts=int(np.count_nonzero(Wm[i]))))
    rows.append({"term": "event_time::-1", "estimate": 0.0, "se": float("nan"), "ci_low": float("nan"),
                 "ci_high": float("nan"), "p_value": float("nan"), "event_time": -1.0,
                 "period": "reference", "label": "-1", "n_cohorts": 0})
    table = pd.DataFrame(rows).sort_values("event_time", kind="stable").reset_index(drop=True)
    pre = np.flatnonzero(evs < -1)
    pretrend = wald_test(nu[pre], Vnu[np.ix_(pre, pre)], fit.df_t)
    note = pretrend_note(pretrend)
    if pre.size and not note and pretrend["p_value"] < 0.05:
        warns.append(Caution(f"The joint test of the pre-adoption (interaction-weighted) coefficients rejects parallel "
                             f"trends (p = {pretrend['p_value']:.3g}).", code="did.sa_pretrend_rejected"))
    elif note:
        warns.append(note)
    post = cells["event_time"].to_numpy() >= 0
    a = np.where(post, n_cell, 0.0)
    a /= a.sum()
    est = float(a @ fit.coef)
    se = float(np.sqrt(a @ fit.vcov @ a))
    lo, hi, p = interval_p(est, se, level, fit.df_t)
    ctl = "never-treated units" if control == "never" else "the last cohort to adopt"
    method = (f"Sun & Abraham interaction-weighted event study ({len(treated_cohorts)} cohort(s), comparison: "
              f"{ctl}); two-way fixed effects ({unit} and {time}) with cohort x event-time indicators, "
              f"reference period -1; CRV1 standard errors clustered by {cl_name} ({Gc:,} clusters, fixest "
              "convention); headline = ATT over all post-adoption cells")
    iw_names = [f"event_time::{e:g}" for e in evs]
    return EventStudyResult(
        estimate=est, se=se, ci_low=lo, ci_high=hi, p_value=p, n_obs=fit.n_obs, method=method, level=level,
        outcome=outcome, name="att_sun_abraham", table=table,
        extra={
            "pretrend": pretrend, "pretrend_note": note,
            "vcov": pd.DataFrame(Vnu, index=iw_names, columns=iw_names),
            "cohort_effects": cells.rename(columns={"sum": "weight_sum", "size": "n_obs"}),
            "n_clusters": Gc, "control": control, "reference": (-1.0,),
            "n_excluded": int(len(data) - fit.n_obs),
        },
        warnings=tuple(dict.fromkeys(warns)),
    )
