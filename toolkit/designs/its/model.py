"""Segmented regression for an interrupted time series, single or controlled: the model and its result.

:func:`segmented` validates and fits; :class:`ITSResult` carries the numbers.  The
pieces it uses live beside it: :mod:`.design` (series, periods, design matrix),
:mod:`.effects` (counterfactual, horizons), :mod:`.checks` (residual diagnostics,
method text); :mod:`.by_group` repeats the fit within groups.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd
from statsmodels.genmod import families
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.regression.linear_model import GLSAR, OLS

from toolkit.designs._timeseries import linear_row
from toolkit.designs.its.checks import diagnose, method_text
from toolkit.designs.its.design import FAMILIES, MIN_PRE_PERIODS, count_periods, design_matrix, stack_series
from toolkit.designs.its.effects import counterfactual_frame, horizon_effects, paths
from toolkit.designs.result import DesignResult
from toolkit.errors import DesignError

__all__ = ["ITSResult", "segmented", "default_hac_lags", "FAMILIES", "MIN_PRE_PERIODS"]


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
        model = GLSAR(y, X, rho=ar_order)
        return model.iterative_fit(maxiter=100, rtol=1e-10)
    if family == "gaussian":
        model = OLS(y, X)
        if cov == "hac":
            if groups is None:
                return model.fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True)
            return model.fit(cov_type="hac-panel", cov_kwds={"groups": groups, "maxlags": lags,
                                                             "use_correction": "hac"}, use_t=True)
        return model.fit(use_t=True)
    model = GLM(y, X, family=families.Poisson(), offset=offset)
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
    treatment_start: Any,
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
    treatment_start : int, float, str or Timestamp
        First period of the intervention (``post = time >= treatment_start``; for
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
        Headline = level change β₂ (a rate ratio exp(β₂) for count families).  ``df``
        is n − k when the intervals are t (OLS, and the AR error model), NaN for the
        GLMs' normal intervals.

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
    if family not in FAMILIES:
        raise DesignError(f"family must be one of {', '.join(FAMILIES)}, not {family!r}")
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

    s = stack_series(data, control, outcome, time, denominator, family, treatment_start)
    df, first, n_pre, n_post = s.df, s.first, s.n_pre, s.n_post
    warnings = count_periods(n_pre, n_post, min_pre=min_pre, slope_change=slope_change)
    X, season, effect_terms = design_matrix(s, seasonality=seasonality, season_period=season_period,
                                            controlled=control is not None, slope_change=slope_change)
    n = len(X)

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
    p = paths(res, X, season, effect_terms, len(first), offset, ratio)
    cfd = counterfactual_frame(s, p, y, time, denominator, ratio, per)
    horizons_df, hz_rows = horizon_effects(res, names, s, p, horizons, time, level, ratio, slope_change, n)
    rows += hz_rows

    # ----- diagnostics (intervention series)
    diag, cautions = diagnose(res, names, p.Xa, len(first), family=family, cov=cov, controlled=control is not None,
                              test_lags=min(s.ti.season_period or season_period or 10, 12))
    warnings += cautions

    table = pd.DataFrame(rows)
    head = table.iloc[0]
    return ITSResult(
        estimate=float(head["estimate"]), se=float(head["se"]), ci_low=float(head["ci_low"]),
        ci_high=float(head["ci_high"]), p_value=float(head["p_value"]), n_obs=n,
        method=method_text(res, family=family, cov=cov, lags=lags, ar_order=ar_order, denominator=denominator,
                           offset=offset is not None, seasonality=seasonality, controlled=control is not None),
        level=level, outcome=label, name="level_change", scale="ratio" if ratio else "difference",
        table=table, df=float(res.df_resid) if getattr(res, "use_t", False) else float("nan"),
        extra={"ar_rho": np.atleast_1d(res.model.rho).tolist() if cov == "ar" else None,
               "family": family, "cov": cov, "hac_lags": lags if cov == "hac" else None, "n_pre": n_pre,
               "n_post": n_post, "treatment_start": treatment_start, "params": res.params.copy(),
               "controlled": control is not None, "per": per},
        warnings=tuple(warnings), counterfactual=cfd, horizons=horizons_df, diagnostics=diag,
    )
