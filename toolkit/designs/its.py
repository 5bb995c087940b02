"""Interrupted time series: segmented regression, single or controlled.

``segmented`` fits y = β₀ + β₁t + β₂·post + β₃·(t − t₀)·post (+ seasonality) by OLS
or a Poisson / quasi-Poisson GLM with a log-population offset, with Newey–West
(HAC) standard errors by default, and reports the level change, the slope change,
the counterfactual line and the difference at chosen horizons, with residual
autocorrelation diagnostics.  ``segmented_by`` repeats it within groups (e.g. IMD
quintiles) and tests whether the effect differs across them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd
import statsmodels.api as sm

from toolkit.cautions import Caution
from toolkit.designs._timeseries import (
    check_columns,
    crit_value,
    heterogeneity,
    linear_row,
    p_from_z,
    residual_diagnostics,
    missing_rows,
    post_mask,
    prepare_series,
    regular_time_index,
    season_terms,
)
from toolkit.designs.result import DesignResult
from toolkit.errors import DataError, DesignError

__all__ = ["ITSResult", "segmented", "segmented_by", "default_hac_lags", "MIN_PRE_PERIODS"]

#: segmented regression is refused with fewer pre-intervention points than this
MIN_PRE_PERIODS = 8
#: ... and warned about below this (Penfold & Zhang 2013 suggest at least 12 each side)
WARN_PERIODS = 12
_FAMILIES = ("gaussian", "poisson", "quasipoisson")


def default_hac_lags(n: int) -> int:
    """Newey–West (1994) rule of thumb: floor(4·(n/100)^(2/9)), at least 1."""
    return max(1, int(math.floor(4 * (n / 100) ** (2 / 9))))


@dataclass(frozen=True, repr=False)
class ITSResult(DesignResult):
    """Result of :func:`segmented`; the headline is the level change.

    Extra attributes
    ----------------
    counterfactual : DataFrame
        Per period: ``time``, ``series`` ("intervention"/"comparison"), ``post``,
        ``observed``, ``fitted``, ``counterfactual`` (the fit with the intervention
        terms set to 0), ``trend`` and ``counterfactual_trend`` (seasonal terms held
        at their mean), and ``*_rate`` columns per ``per`` when a denominator is given.
    horizons : DataFrame
        Effect at each requested horizon (periods after the start, 0 = first
        intervention period): difference, rate ratio (count families), cumulative
        difference, with intervals.
    diagnostics : DataFrame
        Durbin–Watson, Ljung–Box and Breusch–Godfrey tests on the residuals.
    """

    counterfactual: pd.DataFrame | None = field(default=None, compare=False)
    horizons: pd.DataFrame | None = field(default=None, compare=False)
    diagnostics: pd.DataFrame | None = field(default=None, compare=False)

    @property
    def level_change(self) -> pd.Series:
        return self.table.set_index("term").loc["level_change"]

    @property
    def slope_change(self) -> pd.Series | None:
        tab = self.table.set_index("term")
        return tab.loc["slope_change"] if "slope_change" in tab.index else None


# ----------------------------------------------------------------- fitting
def _fit(y, X, offset, family, cov, lags, groups, ar_order=1):
    if cov == "ar":
        model = sm.GLSAR(y, X, rho=ar_order)
        return model.iterative_fit(maxiter=100, rtol=1e-10)
    if family == "gaussian":
        model = sm.OLS(y, X)
        if cov == "hac":
            if groups is None:
                return model.fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True)
            return model.fit(cov_type="hac-panel", cov_kwds={"groups": groups, "maxlags": lags,
                                                             "use_correction": "hac"}, use_t=True)
        return model.fit(use_t=True)
    model = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset)
    if cov == "hac":
        if groups is None:
            return model.fit(cov_type="HAC", cov_kwds={"maxlags": lags})
        return model.fit(cov_type="hac-panel", cov_kwds={"groups": groups, "maxlags": lags})
    return model.fit(scale="X2" if family == "quasipoisson" else None)


# ----------------------------------------------------------------- public API
def segmented(
    data: pd.DataFrame,
    outcome: str,
    time: str,
    intervention_start: Any,
    *,
    denominator: str | None = None,
    seasonality: None | str | int = None,
    season_period: int | None = None,
    family: str = "gaussian",
    control: pd.DataFrame | None = None,
    cov: str = "hac",
    hac_lags: int | None = None,
    horizons: Sequence[int] | None = None,
    slope_change: bool = True,
    ar_order: int = 1,
    per: float = 100_000,
    level: float = 0.95,
    min_pre: int = MIN_PRE_PERIODS,
    outcome_label: str | None = None,
) -> ITSResult:
    """Segmented regression for an interrupted time series.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per period for the series that received the intervention.
    outcome : str
        Outcome column (a count for ``family="poisson"/"quasipoisson"``).
    time : str
        Period column: consecutive integers or dates (one per period, no gaps).
    intervention_start : int, float, str or Timestamp
        First period of the intervention (``post = time >= intervention_start``; for
        dated series, the period containing this date is the first intervention period).
    denominator : str, optional
        Population column.  Count families use log(denominator) as an offset;
        with ``family="gaussian"`` the outcome is modelled as outcome/denominator × ``per``.
    seasonality : None, "month" or int
        "month": one indicator per season position (calendar month for monthly
        dates, else (t − 1) mod ``season_period``); an integer k: k Fourier pairs
        sin(2πjt/P), cos(2πjt/P), j = 1..k.
    season_period : int, optional
        Periods per year when time is numbered (e.g. 12); inferred from dates.
    family : {"gaussian", "poisson", "quasipoisson"}
        OLS, Poisson GLM, or Poisson GLM with Pearson-χ² dispersion.
    control : pandas.DataFrame, optional
        A comparison series with the same columns and periods: fits a controlled ITS.
    cov : {"hac", "model", "ar"}
        Newey–West HAC covariance (default); model-based (OLS / Poisson /
        quasi-Poisson dispersion-scaled, as in Lopez Bernal et al. 2017); or, for a
        single Gaussian series, an AR(``ar_order``) error model.
    ar_order : int
        Order of the AR error model when ``cov="ar"``.
    hac_lags : int, optional
        Maximum lag of the HAC kernel; default floor(4·(n/100)^(2/9)).
    horizons : sequence of int, optional
        Periods after the start (0 = first intervention period) at which to report the
        difference from the counterfactual; default the last observed period.
    slope_change : bool
        Include the slope-change term β₃ (default).  ``False`` fits the step-change
        model y = β₀ + β₁t + β₂·post, chosen a priori as in Lopez Bernal et al. (2017).
    per : float
        Rate multiplier for rates shown with a denominator.
    level : float
        Confidence level.
    min_pre : int
        Minimum pre-intervention periods (refused below; default 8, warning below 12).
    outcome_label : str, optional
        Name of the outcome in sentences.

    Returns
    -------
    ITSResult
        Headline = level change β₂ (a rate ratio exp(β₂) for count families).

    Notes
    -----
    Model (t = 1, 2, ... numbers the periods; t₀ is the first intervention period):

        g(E[y]) = β₀ + β₁t + β₂·post + β₃·(t − t₀)·post [+ seasonal terms] [+ log(pop)]

    so β₂ is the immediate change at t₀ and β₃ the change in slope per period.
    With ``control`` the two series are stacked with an indicator G for the
    intervention series and G×(1, t, post, (t − t₀)post); the effects are the G×post
    and G×(t − t₀)post coefficients (seasonal terms shared).

    Standard errors: ``cov="hac"`` uses statsmodels' Newey–West estimator (Bartlett
    kernel, ``hac_lags`` lags); for OLS with the small-sample factor n/(n − k)
    (``use_correction=True``) and t(n − k) intervals; for GLMs normal intervals.
    A controlled ITS uses statsmodels' ``hac-panel`` (Newey–West within each series).
    ``cov="ar"`` fits statsmodels' GLSAR by iterated feasible GLS (Cochrane–Orcutt
    style: the first ``ar_order`` periods are used only to start the filter) with
    t intervals; its diagnostics test the whitened residuals.
    For count families the SE columns are on the log scale and the estimates are
    rate ratios exp(β).

    Counterfactual: the fit with the intervention terms set to zero.  The
    difference at horizon h is β₂ + β₃h (Gaussian; exact linear SE) or, for counts,
    the rate ratio exp(β₂ + β₃h) and the difference in expected events
    μ̂ₕ − μ̂ₕ·exp(−β₂ − β₃h), with a delta-method SE (gradient μ̂x − μ̂_cf·x_cf);
    the cumulative difference sums these over periods 0..h.

    Diagnostics on the residuals (Pearson residuals for GLMs) of the intervention
    series: Durbin–Watson, Ljung–Box and Breusch–Godfrey (auxiliary OLS of the
    residuals on the design), at min(season period or 10, n/4) lags.

    References: Wagner et al. (2002) J Clin Pharm Ther 27:299; Lopez Bernal,
    Cummins & Gasparrini (2017) Int J Epidemiol 46:348; Newey & West (1987, 1994).
    """
    if family not in _FAMILIES:
        raise DesignError(f"family must be one of {', '.join(_FAMILIES)}, not {family!r}")
    if cov not in ("hac", "model", "ar"):
        raise DesignError("cov must be 'hac', 'model' or 'ar'")
    if cov == "ar" and (family != "gaussian" or control is not None):
        raise DesignError("cov='ar' (an AR error model) is available for a single Gaussian series; "
                          "use cov='hac' for counts or a controlled ITS")
    if not (isinstance(ar_order, (int, np.integer)) and ar_order >= 1):
        raise DesignError("ar_order must be a whole number of at least 1")
    if not 0 < level < 1:
        raise DesignError("level must be between 0 and 1, e.g. 0.95")
    label = outcome_label or outcome
    warnings: list[str] = []

    frames = [("intervention", data)] + ([("comparison", control)] if control is not None else [])
    parts = []
    ti = None
    for name, frame in frames:
        df = prepare_series(frame, outcome, time, denominator, family, f"the {name} series")
        ti_k = regular_time_index(df[time], column=time)
        order = np.argsort(ti_k.period, kind="stable")
        df = df.iloc[order].reset_index(drop=True)
        df["_t"] = np.sort(ti_k.period) + 1
        df["_series"] = name
        if name == "intervention":
            ti = ti_k
            month = ti_k.month[order] if ti_k.month is not None else None
            ti = type(ti_k)(ti_k.period[order], ti_k.unit, ti_k.season_period, month, ti_k.is_datetime, ti_k.step)
        parts.append(df)
    if control is not None:
        a, b = parts[0][time], parts[1][time]
        if len(a) != len(b) or not np.array_equal(a.to_numpy(), b.to_numpy()):
            raise DataError("the comparison series must cover exactly the same periods as the intervention series",
                            column=time, fix="restrict both series to their common periods")
    df = pd.concat(parts, ignore_index=True)
    post = post_mask(df, time, intervention_start, ti.is_datetime, ti.unit)
    first = parts[0]
    post_first = post[: len(first)]
    n_pre, n_post = int((~post_first).sum()), int(post_first.sum())
    if n_post == 0 or n_pre == 0:
        lo, hi = (v.date().isoformat() if hasattr(v, "date") and callable(v.date) else v
                  for v in (first[time].iloc[0], first[time].iloc[-1]))
        raise DesignError(
            f"intervention_start {intervention_start!r} is outside the data ({lo} to {hi}); "
            "a segmented regression needs periods both before and after the start"
        )
    if n_pre < min_pre:
        raise DesignError(
            f"only {n_pre} pre-intervention period(s); at least {min_pre} are needed to estimate the "
            "underlying trend. Add earlier data or use a different design"
        )
    if n_pre < WARN_PERIODS:
        warnings.append(Caution(f"Only {n_pre} periods before the intervention (fewer than {WARN_PERIODS}): "
                                "the pre-intervention trend is uncertain.", code="its.short_pre"))
    if n_post < 2 and slope_change:
        raise DesignError("only 1 period after the intervention start; a slope change needs at least 2")
    if n_post < WARN_PERIODS:
        warnings.append(Caution(f"Only {n_post} periods after the intervention (fewer than {WARN_PERIODS}): "
                                "the slope change is uncertain.", code="its.short_post"))

    t = df["_t"].to_numpy(float)
    t0 = float(first["_t"].to_numpy()[post_first][0])
    X = pd.DataFrame({"const": 1.0, "time": t, "level_change": post.astype(float),
                      "slope_change": (t - t0) * post})
    season = season_terms(t, ti, seasonality, season_period)
    if control is not None:
        g = (df["_series"] == "intervention").to_numpy(float)
        X = X.rename(columns={"level_change": "post", "slope_change": "post_slope"})
        X["group"] = g
        X["group_time"] = g * t
        X["level_change"] = g * X["post"]
        X["slope_change"] = g * X["post_slope"]
    X = pd.concat([X, season.reset_index(drop=True)], axis=1)
    effect_terms = ["level_change", "slope_change"]
    if not slope_change:
        X = X.drop(columns=[c for c in ("slope_change", "post_slope") if c in X.columns])
        effect_terms = ["level_change"]
    n = len(X)
    if n <= X.shape[1] + 2:
        raise DesignError(f"{n} observations are too few for {X.shape[1]} model terms; drop seasonality or add data")

    y = df[outcome].to_numpy(float)
    offset = None
    if denominator is not None:
        if family == "gaussian":
            y = y / df[denominator].to_numpy(float) * per
        else:
            offset = np.log(df[denominator].to_numpy(float))
    lags = hac_lags if hac_lags is not None else default_hac_lags(len(first))
    groups = (df["_series"] == "intervention").to_numpy(int) if control is not None else None
    res = _fit(y, X, offset, family, cov, lags, groups, ar_order)
    if not np.all(np.isfinite(res.bse)):
        raise DesignError("the model could not be estimated (collinear terms); simplify the seasonality")
    ratio = family != "gaussian"
    names = list(X.columns)

    # ----- coefficient table
    rows = []
    for term, label_ in (("level_change", "level_change"), ("slope_change", "slope_change"), ("time", "pre_trend")):
        if term not in names:
            continue
        a = np.zeros(len(names))
        a[names.index(term)] = 1
        rows.append(linear_row(res, a, level, ratio, label_, n))

    # ----- counterfactual and horizons (intervention series)
    Xa = X.to_numpy(float)
    Xcf = Xa.copy()
    for term in effect_terms:
        Xcf[:, names.index(term)] = 0.0
    scols = [names.index(c) for c in season.columns]
    Xtr, Xcf_tr = Xa.copy(), Xcf.copy()
    if scols:
        means = Xa[: len(first)][:, scols].mean(axis=0)
        Xtr[:, scols] = means
        Xcf_tr[:, scols] = means
    beta = np.asarray(res.params)
    off = offset if offset is not None else np.zeros(n)
    if ratio:
        fitted, cf = np.exp(Xa @ beta + off), np.exp(Xcf @ beta + off)
        trend, cf_trend = np.exp(Xtr @ beta + off), np.exp(Xcf_tr @ beta + off)
    else:
        fitted, cf, trend, cf_trend = Xa @ beta, Xcf @ beta, Xtr @ beta, Xcf_tr @ beta
    cfd = pd.DataFrame({"time": df[time].to_numpy(), "series": df["_series"].to_numpy(), "post": post,
                        "observed": y, "fitted": fitted, "counterfactual": cf, "trend": trend,
                        "counterfactual_trend": cf_trend})
    if ratio and denominator is not None:
        den = df[denominator].to_numpy(float)
        for c in ("observed", "fitted", "counterfactual", "trend", "counterfactual_trend"):
            cfd[f"{c}_rate"] = cfd[c] / den * per
    cfd.loc[~cfd["post"], "counterfactual"] = cfd.loc[~cfd["post"], "fitted"]

    idx_post = np.flatnonzero(post[: len(first)])
    hz = list(horizons) if horizons is not None else [n_post - 1]
    bad = [h for h in hz if not (isinstance(h, (int, np.integer)) and 0 <= h < n_post)]
    if bad:
        raise DesignError(f"horizons {bad} are outside the observed intervention period (0 to {n_post - 1})")
    V = np.asarray(res.cov_params())
    c = crit_value(res, level)
    hrows = []
    i_lv = names.index("level_change")
    i_sl = names.index("slope_change") if slope_change else None
    for h in hz:
        a = np.zeros(len(names))
        a[i_lv] = 1.0
        if i_sl is not None:
            a[i_sl] = float(h)
        base = linear_row(res, a, level, ratio, f"{'rate_ratio' if ratio else 'difference'}_at_h{h}", n)
        hrow = {"horizon": h, "time": first[time].iloc[idx_post[h]], **{k: base[k] for k in
                ("estimate", "se", "ci_low", "ci_high", "p_value")}, "measure": "rate_ratio" if ratio else "difference"}
        hrows.append(hrow)
        # absolute and cumulative differences
        sel = idx_post[: h + 1]
        if ratio:
            mu, mucf = fitted[sel], cf[sel]
            grads = mu[:, None] * Xa[sel] - mucf[:, None] * Xcf[sel]
            diffs = mu - mucf
        else:
            grads = Xa[sel] - Xcf[sel]
            diffs = grads @ beta
        for meas, d, gvec in (("difference_in_events" if ratio else None, diffs[-1], grads[-1]),
                              ("cumulative_difference", diffs.sum(), grads.sum(axis=0))):
            if meas is None:
                continue
            se = float(np.sqrt(gvec @ V @ gvec))
            hrows.append({"horizon": h, "time": hrow["time"], "estimate": float(d), "se": se,
                          "ci_low": float(d - c * se), "ci_high": float(d + c * se),
                          "p_value": p_from_z(res, d / se) if se > 0 else float("nan"), "measure": meas})
        rows.append({**base, "term": f"{hrow['measure']}_at_h{h}"})
    horizons_df = pd.DataFrame(hrows)

    # ----- diagnostics (intervention series)
    resid = (res.resid_pearson if ratio else res.resid)[: len(first)]
    X_diag = Xa[: len(first)]
    if cov == "ar":  # test the innovations left after the AR filter
        resid, X_diag = res.model.whiten(np.asarray(res.resid)), res.model.wexog
    lb_lags = min(ti.season_period or season_period or 10, 12)
    own = [i for i, c in enumerate(names)
           if not (control is not None and (c.startswith("group") or c in ("level_change", "slope_change")))]
    diag = residual_diagnostics(np.asarray(resid), np.asarray(X_diag)[:, own], lb_lags)
    lb_p = diag.loc[diag["test"] == "Ljung-Box", "p_value"].iloc[0]
    if lb_p < 0.05:
        warnings.append(Caution(
            f"The residuals are autocorrelated (Ljung-Box p = {lb_p:.3g}); "
            + ("HAC standard errors allow for this, but check seasonality and the model."
               if cov == "hac" else "use cov='hac', a higher ar_order, or model the seasonality."),
            code="its.autocorrelation"))
    if family == "poisson":
        disp = float(np.sum(np.asarray(res.resid_pearson) ** 2) / res.df_resid)
        if disp > 1.5 and cov == "model":
            warnings.append(Caution(f"Counts are over-dispersed (Pearson dispersion {disp:.2f}); use "
                                    "family='quasipoisson'.", code="its.overdispersion"))

    kind = {"gaussian": "OLS", "poisson": "Poisson GLM (log link)", "quasipoisson": "quasi-Poisson GLM (log link)"}[family]
    if offset is not None:
        kind += f", log({denominator}) offset"
    if cov == "hac":
        se_text = f"Newey-West HAC SEs (Bartlett kernel, {lags} lag{'s' if lags != 1 else ''})"
    elif cov == "ar":
        rhos = ", ".join(f"{r:.3f}" for r in np.atleast_1d(res.model.rho))
        se_text = f"AR({ar_order}) errors by iterated feasible GLS (rho = {rhos})"
    else:
        se_text = "model-based SEs" + (" (Pearson dispersion)" if family == "quasipoisson" else "")
    seas_text = "" if seasonality is None else (", month indicators" if seasonality == "month"
                                                 else f", {seasonality} Fourier pair(s)")
    design = "Controlled interrupted time series" if control is not None else "Interrupted time series"
    table = pd.DataFrame(rows)
    head = table.iloc[0]
    return ITSResult(
        estimate=float(head["estimate"]), se=float(head["se"]), ci_low=float(head["ci_low"]),
        ci_high=float(head["ci_high"]), p_value=float(head["p_value"]), n_obs=n,
        method=f"{design}: segmented regression, {kind}{seas_text}; {se_text}",
        level=level, outcome=label, name="level_change", scale="ratio" if ratio else "difference",
        table=table,
        extra={"ar_rho": np.atleast_1d(res.model.rho).tolist() if cov == "ar" else None,
               "family": family, "cov": cov, "hac_lags": lags if cov == "hac" else None, "n_pre": n_pre,
               "n_post": n_post, "intervention_start": intervention_start, "params": res.params.copy(),
               "controlled": control is not None, "per": per},
        warnings=tuple(warnings), counterfactual=cfd, horizons=horizons_df, diagnostics=diag,
    )


def segmented_by(data: pd.DataFrame, outcome: str, time: str, intervention_start: Any, *, by: str,
                 **kwargs: Any) -> pd.DataFrame:
    """Run :func:`segmented` within each group of ``by`` and test for a gradient.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data: one row per group and period.
    outcome, time, intervention_start
        As for :func:`segmented`.
    by : str
        Grouping column, e.g. ``"imd_quintile"`` (1 = most deprived).  Groups are
        taken in sorted order.
    **kwargs
        Passed to :func:`segmented` (``control`` is not supported here).

    Returns
    -------
    pandas.DataFrame
        Tidy table: for each group the ``level_change`` and ``slope_change`` rows
        (``by``, term, estimate, se, ci_low, ci_high, p_value, n_obs), then for each
        term a Cochran's Q test that the effect is the same in every group and, when
        the groups are numbered (quintiles, deciles), an inverse-variance weighted
        gradient across them, ranked by their numbers (see
        :func:`toolkit.designs._timeseries.heterogeneity`).  Groups that cannot be
        analysed are listed with the reason in ``note``.

    Notes
    -----
    Groups are analysed separately, so their estimates are independent and the Q
    test and gradient use their own SEs (log scale for rate ratios).
    """
    check_columns(data, {"by": by}, what="the data")
    if kwargs.get("control") is not None:
        raise DesignError("segmented_by does not take a comparison series; run segmented() per group instead")
    if data[by].isna().any():
        rows = missing_rows(data, by)
        raise DataError("group is missing", column=by, rows=tuple(rows[:5]), count=len(rows),
                        fix="assign every row to a group")
    out = []
    ratio = kwargs.get("family", "gaussian") != "gaussian"
    for key in sorted(data[by].unique()):
        sub = data[data[by] == key]
        try:
            r = segmented(sub, outcome, time, intervention_start, **kwargs)
        except (DesignError, DataError) as exc:
            out.append({by: key, "term": "level_change", "note": str(exc)})
            continue
        tab = r.table[r.table["term"].isin(["level_change", "slope_change"])].copy()
        tab.insert(0, by, key)
        tab["note"] = "; ".join(r.warnings)
        out.append(tab)
    frames = [o if isinstance(o, pd.DataFrame) else pd.DataFrame([o]) for o in out]
    res = pd.concat(frames, ignore_index=True)
    extra = []
    for term in ("level_change", "slope_change"):
        sub = res[(res["term"] == term) & res["estimate"].notna()] if "estimate" in res else res.iloc[0:0]
        h = heterogeneity(sub, by=by, log_scale=ratio, level=kwargs.get("level", 0.95))
        h["term"] = term + "_" + h["term"]
        extra.append(h)
    return pd.concat([res] + extra, ignore_index=True)
