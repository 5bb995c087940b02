"""Equity: the effect within each deprivation quintile and the effect on the gap.

The board's question is "did the gap narrow?".  The gap effect is a triple
difference: the DiD effect in the most deprived quintile(s) minus the DiD
effect in the rest.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.cautions import Caution
from toolkit.designs.did import _panel as P
from toolkit.designs.did import wild as W
from toolkit.designs.did._fe import FixedEffect, fe_regression
from toolkit.designs.did._tidy import coef_row
from toolkit.designs.did.results import EquityResult
from toolkit.designs.did.staggered import staggered
from toolkit.designs.did.twfe import treatment_warnings, twfe
from toolkit.errors import DataError, DesignError, Problem

__all__ = ["equity"]


def _unit_quintile(data: pd.DataFrame, unit: str, quintile: str, positions) -> pd.Series:
    """One quintile per unit; raise when it varies within a unit."""
    q = data[quintile]
    nun = q.groupby(data[unit], sort=False).nunique()
    bad_units = nun[nun > 1].index
    if len(bad_units):
        bad = data[unit].isin(bad_units).to_numpy()
        raise DataError(
            "the deprivation quintile must be the same on every row of a unit",
            column=quintile,
            rows=P.spreadsheet_rows(bad, positions=positions),
            count=int(bad.sum()),
            fix="attach one IMD quintile per unit (from a single IMD vintage)",
        )
    return q


def _no_standard_error(r) -> str:
    """Why a subgroup's estimate has no usable standard error, or ``""`` when it has one.

    An estimate without a positive, finite standard error is reported as not
    estimable.  With Callaway & Sant'Anna this happens when no post-adoption
    cell has comparison units, or every post-adoption cell has a single
    treated and a single comparison unit (one unit per side has no variation
    around its own mean, so the influence-function standard error is 0).
    """
    se = r.se
    if np.isfinite(r.estimate) and np.isfinite(se) and se > 1e-10 * max(1.0, abs(r.estimate)):
        return ""
    att = r.extra.get("att_gt") if hasattr(r.extra, "get") else None
    if att is None:
        return "its standard error could not be estimated (too few units or clusters)"
    post = att[att["post"].astype(bool) & att["estimate"].notna()]
    if post.empty:
        return "no post-adoption group-time cell has comparison units (no comparison cells)"
    n_tr = int(post.groupby("group")["n_treated"].max().sum())
    n_co = int(post["n_comparison"].max())
    units = f"{n_tr:,} treated and {n_co:,} comparison unit(s) in the post-adoption cells"
    if n_tr <= 1 and n_co <= 1:
        return (f"too few units for a standard error ({units}, so there is no variation between units "
                "to estimate it from)")
    return f"its standard error could not be estimated ({units})"


def _label(values: Sequence) -> str:
    vals = ", ".join(f"{v:g}" if isinstance(v, (int, float, np.number)) else str(v) for v in values)
    return f"deprivation quintile{'s' if len(values) > 1 else ''} {vals}"


def equity(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    quintile: str,
    *,
    treatment: str | None = None,
    first_treated: str | None = None,
    most_deprived: Sequence = (1,),
    control: str = "never",
    cluster: str | None = None,
    weights: str | None = None,
    level: float = 0.95,
    inference: str = "crv1",
    reps: int = W.DEFAULT_REPS,
    seed: int | None = W.DEFAULT_SEED,
) -> EquityResult:
    """Effect by deprivation quintile and effect on the gap (triple difference).

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period.
    outcome, unit, time : str
        Column names.
    quintile : str
        Deprivation quintile of each unit (1 = most deprived), constant
        within a unit.  Rows with a missing quintile are excluded and counted.
    treatment : str, optional
        0/1 treatment column: two-way fixed-effects path.
    first_treated : str, optional
        First-treated period (0/missing = never): Callaway & Sant'Anna path
        (use this when adoption is staggered).  Give exactly one of the two.
    most_deprived : sequence
        Quintile value(s) forming the most deprived group (default ``(1,)``;
        ``(1, 2)`` for the most deprived 40%).
    control : {"never", "not_yet"}
        Comparison group for the staggered path.
    cluster : str, optional
        Cluster column for the TWFE path (default ``unit``).
    weights : str, optional
        Observation weights (e.g. population).
    level : float
        Confidence level.
    inference : {"crv1", "wild", "auto"}
        TWFE path only: ``"wild"`` gives every row (quintiles, most deprived,
        rest, gap) wild cluster bootstrap-t intervals and p-values
        (:mod:`toolkit.designs.did.wild`); ``"auto"`` only with fewer than 30
        clusters or fewer than 10 treated clusters.  The staggered path keeps
        its influence-function inference (a warning says so).
    reps, seed : int
        Bootstrap replications and seed.

    Returns
    -------
    EquityResult
        Headline: the gap effect (most deprived minus rest); ``table`` has a
        row per quintile, the most deprived group, the rest and the gap;
        ``gap_narrowed`` compares its sign with the baseline gap.

    Notes
    -----
    TWFE path: within each quintile :math:`y = \\alpha_i + \\lambda_t + \\beta_q D`;
    the gap from one model :math:`y_{it} = \\alpha_i + \\lambda_{t,M(i)} +
    \\beta D_{it} + \\delta D_{it} M_i` with period effects separate for the
    most deprived group (:math:`M_i = 1`) and the rest, so :math:`\\delta` is
    the triple difference; CRV1 covariance clustered by unit (fixest
    convention), effect in the most deprived :math:`\\beta + \\delta`.
    Staggered path: Callaway & Sant'Anna simple ATT within each quintile and
    each group (comparison units from the same group);
    :math:`\\delta = ATT_M - ATT_R` with :math:`SE = \\sqrt{SE_M^2 + SE_R^2}`
    (disjoint sets of units, so independent influence functions).
    Baseline gap: weighted mean outcome of the most deprived group minus the
    rest over the periods before the first adoption.

    A quintile (or group) whose estimate has no positive, finite standard
    error (e.g. one treated and one comparison unit, or no comparison cells)
    is reported as not estimable: its row is NaN and ``warnings`` names it
    and says why.
    """
    if (treatment is None) == (first_treated is None):
        raise DesignError("give exactly one of treatment= (0/1 column) or first_treated= (adoption period)")
    W.check_inference(inference, reps)
    wild_kw = {"inference": inference, "reps": reps, "seed": seed} if treatment is not None else {}
    most_deprived = tuple(most_deprived)
    if not most_deprived:
        raise DesignError("most_deprived must name at least one quintile")
    P.require_columns(data, {"outcome": outcome, "unit": unit, "time": time, "quintile": quintile,
                             "treatment": treatment, "first_treated": first_treated, "weights": weights})
    P.check_no_missing(data, unit, "unit")
    kept, warns, pos = P.drop_missing(data, [quintile], "the equity analysis (no deprivation quintile)")
    _unit_quintile(kept, unit, quintile, pos)
    qvals = kept[quintile].to_numpy()
    uniq = sorted(pd.unique(qvals).tolist())
    md = np.isin(qvals, most_deprived)
    if not md.any() or md.all():
        raise DesignError(
            "The gap needs units in the most deprived group and in the rest.",
            [Problem(f"quintile values present: {uniq}; most deprived = {list(most_deprived)}",
                     column=quintile, fix="check most_deprived= and the quintile column (1 = most deprived)")],
        )
    kept = kept.assign(_md_=md.astype(np.int8))
    level_kw = {"level": level}
    rows = []

    def add(label, res_or_err, **more):
        if isinstance(res_or_err, Exception):
            warns.append(Caution(f"No estimate for {label}: {res_or_err.message or res_or_err}",
                                 code="did.group_not_estimable"))
            rows.append({"term": label, "estimate": math.nan, "se": math.nan, "ci_low": math.nan,
                         "ci_high": math.nan, "p_value": math.nan, **more})
            return None
        r = res_or_err
        why = _no_standard_error(r)
        if why:
            warns.append(Caution(f"No estimate for {label}: {why}.", code="did.group_not_estimable"))
            rows.append({"term": label, "estimate": math.nan, "se": math.nan, "ci_low": math.nan,
                         "ci_high": math.nan, "p_value": math.nan, "n_obs": r.n_obs, **more})
            return None
        rows.append({"term": label, "estimate": r.estimate, "se": r.se, "ci_low": r.ci_low,
                     "ci_high": r.ci_high, "p_value": r.p_value, "n_obs": r.n_obs, **more})
        return r

    def fit_sub(mask):
        sub = kept.loc[mask]
        try:
            if treatment is not None:
                return twfe(sub, outcome, unit, time, treatment, cluster=cluster, weights=weights, **level_kw,
                            **wild_kw)
            return staggered(sub, outcome, unit, time, first_treated, control=control, weights=weights, **level_kw)
        except DesignError as exc:
            return exc

    for qv in uniq:
        add(f"quintile {qv:g}" if isinstance(qv, (int, float, np.number)) else f"quintile {qv}",
            fit_sub(qvals == qv), group="quintile")
    md_label = _label(most_deprived)
    if treatment is not None:
        gap_rows, gwarn, extra = _twfe_gap(kept, outcome, unit, time, treatment, cluster, weights, level,
                                           **wild_kw)
        warns += gwarn
        rows += [dict(r, term=lbl, group=grp) for r, lbl, grp in zip(
            gap_rows, (f"most deprived ({md_label})", "rest", "gap (most deprived - rest)"),
            ("most_deprived", "rest", "gap"))]
        method = ("Triple difference: two-way fixed effects with period effects by deprivation group; "
                  "CRV1 standard errors clustered by unit (fixest convention)")
        if "wild" in extra:
            method += "; intervals and p-values by " + extra["wild"]["description"]
    else:
        if inference == "wild":
            warns.append(Caution("The wild cluster bootstrap applies to the two-way fixed-effects path; the staggered "
                                 "(Callaway & Sant'Anna) estimates keep their influence-function intervals.",
                                 code="did.wild_not_staggered"))
        r_md = add(f"most deprived ({md_label})", fit_sub(md), group="most_deprived")
        r_rest = add("rest", fit_sub(~md), group="rest")
        if r_md is None or r_rest is None:
            raise DesignError("The gap cannot be estimated: one of the two groups has no estimate (see warnings).")
        est = r_md.estimate - r_rest.estimate
        se = math.sqrt(r_md.se**2 + r_rest.se**2)
        rows.append(coef_row("gap (most deprived - rest)", est, se, level, group="gap",
                             n_obs=r_md.n_obs + r_rest.n_obs))
        extra = {}
        for r in (r_md, r_rest):
            warns += [w for w in r.warnings if w not in warns]
        method = ("Difference of Callaway & Sant'Anna simple ATTs estimated separately in the most deprived "
                  "group and the rest (each with its own comparison units); influence-function SEs")
    table = pd.DataFrame(rows)
    gap = table.iloc[-1]
    base = _baseline_gap(kept, outcome, time, weights, treatment, first_treated, unit)
    return EquityResult(
        estimate=float(gap["estimate"]), se=float(gap["se"]), ci_low=float(gap["ci_low"]),
        ci_high=float(gap["ci_high"]), p_value=float(gap["p_value"]), n_obs=int(len(kept)),
        method=method, level=level, outcome=outcome, name="gap_effect", table=table,
        extra={"baseline_gap": base, "most_deprived": most_deprived, "most_deprived_label": md_label,
               "n_excluded": len(data) - len(kept), **extra},
        warnings=tuple(dict.fromkeys(warns)),
    )


def _twfe_gap(kept, outcome, unit, time, treatment, cluster, weights, level, inference="crv1",
              reps=W.DEFAULT_REPS, seed=W.DEFAULT_SEED):
    """Joint triple-difference fit; rows for most deprived, rest and gap."""
    P.check_cluster_column(kept, cluster)
    panel = P.prepare_panel(kept, outcome=outcome, unit=unit, time=time, other=[treatment],
                            weights=weights, what="the gap model")
    d = P.check_binary(panel.data, treatment, "treatment")
    warns, _ = treatment_warnings(d, panel, treatment)
    md = panel.data["_md_"].to_numpy(dtype=float)
    tg = panel.time * 2 + md.astype(np.int64)
    tg_codes, tg_uniq = pd.factorize(tg, sort=True)
    fes = [FixedEffect(panel.unit, panel.n_unit, unit),
           FixedEffect(tg_codes.astype(np.int64), len(tg_uniq), f"{time} x group")]
    cl, G, _, cwarn = P.cluster_codes(panel, cluster, unit)
    warns += cwarn
    X = np.column_stack([d, d * md])
    fit = fe_regression(panel.y, X, fes, cluster=cl, n_clusters=G, weights=panel.weights,
                        names=[treatment, f"{treatment} x most deprived"])
    b, V, df = fit.coef, fit.vcov, fit.df_t
    a = np.array([1.0, 1.0])
    est_md, se_md = float(a @ b), float(np.sqrt(a @ V @ a))
    rows = [
        coef_row("", est_md, se_md, level, df, n_obs=int(md.sum())),
        coef_row("", b[0], np.sqrt(V[0, 0]), level, df, n_obs=int((1 - md).sum())),
        coef_row("", b[1], np.sqrt(V[1, 1]), level, df, n_obs=fit.n_obs),
    ]
    extra = {"n_clusters": G, "df_t": df}
    n_tr = W.treated_clusters(cl, d > 0)
    if inference == "wild" or (inference == "auto" and W.few_clusters(G, n_tr)):
        prob = W.wild_problem(panel.y, X, fes, cluster=cl, n_clusters=G, weights=panel.weights,
                              reps=reps, seed=seed)
        for row, comb in zip(rows, ([1.0, 1.0], [1.0, 0.0], [0.0, 1.0])):
            w = prob.test(comb, level=level)
            row.update(p_value_crv1=row["p_value"], ci_low=w.ci_low, ci_high=w.ci_high, p_value=w.p_value)
        extra["wild"] = {"reps": w.reps, "weights": w.kind, "enumerated": w.enumerated, "n_clusters": G,
                         "n_treated_clusters": n_tr, "description": W.describe(w, G)}
        warns.append(Caution(f"Few clusters ({G:,}, {n_tr:,} with treated observations): the gap and group intervals "
                             "and p-values come from the wild cluster bootstrap.", code="did.wild_bootstrap_used"))
    return rows, warns, extra


def _baseline_gap(kept, outcome, time, weights, treatment, first_treated, unit) -> float:
    """Most deprived minus rest, weighted mean outcome before the first adoption."""
    t = pd.to_numeric(kept[time], errors="coerce")
    if treatment is not None:
        d = pd.to_numeric(kept[treatment], errors="coerce")
        start = t[d == 1].min()
    else:
        g = pd.to_numeric(kept[first_treated], errors="coerce").fillna(0)
        start = g[g > 0].min()
    pre = (t < start).to_numpy()
    y = pd.to_numeric(kept[outcome], errors="coerce").to_numpy(dtype=float)
    w = np.ones_like(y) if weights is None else pd.to_numeric(kept[weights], errors="coerce").to_numpy(dtype=float)
    md = kept["_md_"].to_numpy() == 1
    ok = pre & np.isfinite(y) & np.isfinite(w)
    a, b = ok & md, ok & ~md
    if not a.any() or not b.any():
        return float("nan")
    return float(np.dot(w[a], y[a]) / w[a].sum() - np.dot(w[b], y[b]) / w[b].sum())
