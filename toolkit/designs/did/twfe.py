"""Two-way fixed-effects difference-in-differences with CRV1 clustered SEs."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.cautions import Caution
from toolkit.designs.did import _panel as P
from toolkit.designs.did import wild as W
from toolkit.designs.did._fe import FixedEffect, fe_regression
from toolkit.designs.did._tidy import coef_row
from toolkit.designs.did.results import TwfeResult
from toolkit.errors import DesignError, Problem

__all__ = ["twfe", "treatment_warnings", "few_treated_clusters"]


def few_treated_clusters(cluster: np.ndarray, n_clusters: int, treated: np.ndarray, name: str) -> list[str]:
    """Warn when fewer than 10 clusters contain treated observations.

    Cluster-robust SEs are unreliable with few treated clusters even when
    there are many clusters overall (MacKinnon & Webb 2017).
    """
    k = int(np.count_nonzero(np.bincount(cluster[treated], minlength=n_clusters)))
    if k >= 10:
        return []
    return [Caution(
        f"Only {k} of the {n_clusters:,} clusters in '{name}' contain treated observations; clustered "
        "standard errors can be much too small when few clusters are treated, so treat the interval "
        "and p-value with caution (a wild cluster bootstrap or randomisation inference is safer).",
        code="did.few_treated_clusters")]


def treatment_warnings(
    d: np.ndarray, panel: P.Panel, treatment: str
) -> tuple[list[str], np.ndarray]:
    """Check a 0/1 treatment column on a panel; return warnings and per-unit adoption period code.

    Raises DesignError when nothing can be compared (no treated or no
    untreated observations) or when no unit changes status (no pre-period).
    The second return value is, per unit, the time code of its first treated
    period (``n_time`` for never-treated units).
    """
    n_treated = int(d.sum())
    if n_treated == 0 or n_treated == d.size:
        raise DesignError(
            "The design needs treated and untreated observations.",
            [
                Problem(
                    "every row has the same treatment value "
                    f"({'1 (treated)' if n_treated else '0 (untreated)'}), so there is no comparison",
                    column=treatment,
                    count=int(d.size),
                    fix="check the treatment column: 1 for a unit in a period when the scheme applied, 0 otherwise",
                )
            ],
        )
    off, on_again = P.treatment_switches(d, panel.unit, panel.time, panel.n_unit, panel.n_time)
    first = np.full(panel.n_unit, panel.n_time, dtype=np.int64)
    np.minimum.at(first, panel.unit[d > 0], panel.time[d > 0])
    first_obs = np.full(panel.n_unit, panel.n_time, dtype=np.int64)
    np.minimum.at(first_obs, panel.unit, panel.time)
    ever = first < panel.n_time
    changers = ever & (first > first_obs)
    if not changers.any():
        raise DesignError(
            "No unit is observed both before and after it was treated.",
            [
                Problem(
                    "every treated unit is already treated in its first period, so there is no pre-period",
                    column=treatment,
                    count=int(ever.sum()),
                    fix="include periods before the scheme started for the treated units",
                )
            ],
        )
    warns: list[str] = []
    if on_again.any():
        warns.append(
            Caution(f"Treatment switches off and on again in {int(on_again.sum()):,} unit(s) (column "
                    f"'{treatment}'). Two-way fixed effects treats each switch as a new effect of the same "
                    "size; check the coding, and do not use event-study or staggered designs for these units.",
                    code="did.treatment_on_again")
        )
    elif off.any():
        warns.append(
            Caution(f"Treatment switches off in {int(off.sum()):,} unit(s) (column '{treatment}'); the "
                    "estimate assumes the effect stops when treatment stops.", code="did.treatment_off")
        )
    if not (~ever).any():
        warns.append(
            Caution("Every unit is treated at some point: the estimate relies only on differences in "
                    "timing between units (no never-treated comparison group).", code="did.no_never_treated")
        )
    cohorts = np.unique(first[changers])
    if cohorts.size > 1:
        warns.append(
            Caution(f"Treatment starts at {cohorts.size} different times. A plain two-way fixed-effects "
                    "estimate can be biased when effects differ between cohorts or grow over time; show the "
                    "staggered (Callaway & Sant'Anna) estimate alongside it.", code="did.staggered_timing")
        )
    if (ever & ~changers).any():
        warns.append(
            Caution(f"{int((ever & ~changers).sum()):,} unit(s) are treated from their first observed period; "
                    "they contribute no before/after comparison of their own.", code="did.always_treated")
        )
    return warns, first


def twfe(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    treatment: str,
    *,
    cluster: str | None = None,
    weights: str | None = None,
    covariates: Sequence[str] | None = None,
    level: float = 0.95,
    inference: str = "crv1",
    reps: int = W.DEFAULT_REPS,
    seed: int | None = W.DEFAULT_SEED,
) -> TwfeResult:
    """Two-way fixed-effects DiD: ``outcome ~ treatment (+ covariates) | unit + time``.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period.
    outcome, unit, time, treatment : str
        Column names; ``treatment`` is 0/1 (1 = the scheme applied to this
        unit in this period).
    cluster : str, optional
        Cluster column for the standard errors (default: ``unit``).
    weights : str, optional
        Observation weights (e.g. population); weighted least squares.
    covariates : sequence of str, optional
        Time-varying numeric controls.
    level : float
        Confidence level.
    inference : {"crv1", "wild", "auto"}
        ``"wild"``: interval and p-value by the wild cluster bootstrap-t
        (:mod:`toolkit.designs.did.wild`); ``"auto"``: the same, but only
        when there are fewer than 30 clusters or fewer than 10 treated
        clusters (with a warning); the standard error stays CRV1.
    reps, seed : int
        Bootstrap replications and seed (``inference`` other than ``"crv1"``).

    Returns
    -------
    TwfeResult
        Headline: the treatment coefficient; ``table`` lists every slope;
        ``vcov`` the CRV1 covariance.

    Notes
    -----
    Model :math:`y_{it} = \\alpha_i + \\lambda_t + \\beta D_{it} + x_{it}'\\gamma + e_{it}`,
    estimated by within-transformation and OLS (WLS with ``weights``),
    written in :mod:`toolkit.designs.did._fe` for speed and because
    linearmodels' ``PanelOLS`` uses a different clustered small-sample
    correction.  Covariance: CRV1 with factor
    :math:`G/(G-1)\\cdot(N-1)/(N-K)`, :math:`K` = slopes + fixed effects not
    nested in the clusters (fixest's default ``ssc``); t-tests and intervals
    use :math:`t_{G-1}`.  Matches ``fixest::feols(y ~ d | unit + time,
    cluster = ~unit)``.
    """
    covariates = list(covariates or [])
    if not 0 < level < 1:
        raise DesignError("level must be between 0 and 1")
    W.check_inference(inference, reps)
    P.require_columns(
        data,
        {"outcome": outcome, "unit": unit, "time": time, "treatment": treatment, "weights": weights}
        | {f"covariate {c}": c for c in covariates},
    )
    P.check_cluster_column(data, cluster)
    panel = P.prepare_panel(
        data,
        outcome=outcome,
        unit=unit,
        time=time,
        other=[treatment, *covariates],
        weights=weights,
        what="the two-way fixed-effects fit",
    )
    kept = panel.data
    d = P.check_binary(kept, treatment, "treatment", positions=panel.positions)
    warns = list(panel.warnings)
    tw, _ = treatment_warnings(d, panel, treatment)
    warns += tw
    X = [d, *P.covariate_columns(kept, covariates, panel.positions)]
    cl, G, cl_name, cwarn = P.cluster_codes(panel, cluster, unit)
    warns += cwarn + few_treated_clusters(cl, G, d > 0, cl_name)
    fes = [FixedEffect(panel.unit, panel.n_unit, unit), FixedEffect(panel.time, panel.n_time, time)]
    names = [treatment, *covariates]
    fit = fe_regression(
        panel.y,
        np.column_stack(X),
        fes,
        cluster=cl,
        n_clusters=G,
        weights=panel.weights,
        balanced=panel.balanced,
        names=names,
    )
    rows = [coef_row(nm, fit.coef[j], fit.se[j], level, fit.df_t) for j, nm in enumerate(names)]
    table = pd.DataFrame(rows)
    table["n_obs"] = fit.n_obs
    head = rows[0]
    wtxt = f", weighted by {weights}" if weights else ""
    method = (
        f"Two-way fixed effects ({unit} and {time}){wtxt}; CRV1 standard errors clustered by "
        f"{cl_name} ({G:,} clusters, fixest small-sample convention, t with {G - 1} df)"
    )
    result = TwfeResult(
        estimate=head["estimate"],
        se=head["se"],
        ci_low=head["ci_low"],
        ci_high=head["ci_high"],
        p_value=head["p_value"],
        n_obs=fit.n_obs,
        method=method,
        level=level,
        outcome=outcome,
        name="att_twfe",
        table=table,
        extra={
            "vcov": pd.DataFrame(fit.vcov, index=names, columns=names),
            "n_clusters": G,
            "n_units": panel.n_unit,
            "n_periods": panel.n_time,
            "n_excluded": panel.n_dropped,
            "dof_k": fit.dof_k,
            "ssc": fit.ssc,
            "df_t": fit.df_t,
        },
        warnings=tuple(warns),
    )
    if inference == "crv1":
        return result
    prob = W.wild_problem(panel.y, np.column_stack(X), fes, cluster=cl, n_clusters=G, weights=panel.weights,
                          balanced=panel.balanced, reps=reps, seed=seed)
    return W.with_wild(result, prob, np.eye(len(names))[0], inference=inference, n_clusters=G,
                       n_treated_clusters=W.treated_clusters(cl, d > 0),
                       table_rows={j: np.eye(len(names))[j] for j in range(len(names))})
