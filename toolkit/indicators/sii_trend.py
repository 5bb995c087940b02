"""SII and RII per period with a test of trend, and a warning when the population mix shifted.

Each period's SII/RII comes from :func:`toolkit.indicators.sii` (PHE method, simulated
limits).  The trend is an inverse-variance weighted regression of the per-period values on
time (own implementation; formulas in :func:`sii_trend`).
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.errors import DataError, ToolkitWarning
from toolkit.indicators.confidence import Z95, _suffix, levels_of, z_of
from toolkit.indicators._validate import check_frame, numeric_column, require_columns
from toolkit.indicators.sii import sii

__all__ = ["sii_trend"]


def _weighted_slope(t: np.ndarray, y: np.ndarray, se: np.ndarray) -> dict:
    ok = np.isfinite(y) & np.isfinite(se) & (se > 0)
    t, y, se = t[ok], y[ok], se[ok]
    if t.size < 3:
        return {"slope": np.nan, "se": np.nan, "z": np.nan, "p": np.nan, "periods": int(t.size)}
    w = 1.0 / se ** 2
    tb = np.sum(w * t) / w.sum()
    sxx = np.sum(w * (t - tb) ** 2)
    b = float(np.sum(w * (t - tb) * y) / sxx)
    s = float(np.sqrt(1.0 / sxx))
    return {"slope": b, "se": s, "z": b / s, "p": float(2 * stats.norm.sf(abs(b / s))), "periods": int(t.size)}


def sii_trend(
    data: pd.DataFrame,
    period: str,
    quantile: str,
    population: str,
    value: str,
    *,
    lower_ci: str | None = None,
    upper_ci: str | None = None,
    se: str | None = None,
    value_type: str = "normal",
    transform: bool = False,
    multiplier: float = 1,
    repetitions: int = 100_000,
    seed: int | None = None,
    confidence: float = 0.95,
    vintage: str | None = None,
    shift_tolerance: float = 2.0,
) -> pd.DataFrame:
    """SII and RII for each period, a test of their trend, and a check on the population mix.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per period and deprivation quantile (1 = most deprived).
    period, quantile, population, value : str
        Columns.  Periods are ordered by their sort order; numeric periods
        (years) are used as the time scale, others are numbered 0, 1, 2, ...
    lower_ci, upper_ci, se, value_type, transform, multiplier, repetitions, seed
        As :func:`toolkit.indicators.sii`.
    confidence : float
        Level of the per-period intervals (the trend test's SEs come from the
        95% limits).
    vintage : str, optional
        Column naming the deprivation ranking each period uses (e.g. IMD 2019
        or 2025); a change between periods is reported and warned about.
    shift_tolerance : float
        Largest change in any quantile's share of the population (percentage
        points, against the first period) before the mix is flagged as shifted.

    Returns
    -------
    pandas.DataFrame
        One row per period: ``period``, ``sii``, ``sii_lower``, ``sii_upper``,
        ``sii_se``, ``rii`` and its limits, ``mix_change`` (largest change in a
        quantile's population share since the first period, percentage points)
        and ``note``.  ``attrs["trend"]`` holds the SII trend (``slope`` per
        unit of time, ``se``, ``z``, ``p``, ``periods``), ``attrs["rii_trend"]``
        the trend of log RII, ``attrs["mix_shift"]`` (bool), ``attrs["warning"]``
        (text or None), ``attrs["seed"]``.

    Notes
    -----
    SE of each period's SII = (U₉₅ − L₉₅)/(2·1.959964) from its simulated 95%
    limits (log scale for the RII).  Trend: weighted least squares of SIIₜ on
    time t with weights wₜ = 1/SEₜ²: slope b = Σw(t − t̄)(y − ȳ)/Σw(t − t̄)²
    (t̄, ȳ weighted means), SE(b) = 1/√Σw(t − t̄)², z = b/SE(b), two-sided
    normal p (needs three periods).  Population mix: sₜq = share of period t's
    population in quantile q; mix_change = max_q |sₜq − s₁q| × 100.  When it
    exceeds ``shift_tolerance`` — or ``vintage`` changes (e.g. IMD 2019 → 2025
    rebasing) — part of any change in the SII may come from who is in each
    quantile rather than from the outcome: a ToolkitWarning says so.
    """
    data = check_frame(data)
    (level,) = levels_of(confidence)
    require_columns(data, [period, quantile, population, value, vintage])
    levels = (0.95,) if level == 0.95 else (0.95, level)
    res = sii(data, quantile, population, value, lower_ci=lower_ci, upper_ci=upper_ci, se=se,
              value_type=value_type, transform=transform, multiplier=multiplier, repetitions=repetitions,
              seed=seed, by=period, confidence=levels)
    res = res.sort_values(period).reset_index(drop=True)
    s95 = "" if len(levels) == 1 else "_95"
    sl = "" if len(levels) == 1 else "_" + _suffix(level)
    out = pd.DataFrame({"period": res[period]})
    out["sii"] = res["sii"]
    out["sii_lower"], out["sii_upper"] = res[f"sii_lower{sl}"], res[f"sii_upper{sl}"]
    out["sii_se"] = (res[f"sii_upper{s95}"] - res[f"sii_lower{s95}"]) / (2 * Z95)
    out["rii"] = res["rii"]
    out["rii_lower"], out["rii_upper"] = res[f"rii_lower{sl}"], res[f"rii_upper{sl}"]
    with np.errstate(divide="ignore", invalid="ignore"):
        rii_se = (np.log(res[f"rii_upper{s95}"]) - np.log(res[f"rii_lower{s95}"])) / (2 * Z95)
    pop = numeric_column(data, population, what="population")
    shares = (pd.DataFrame({"p": data[period].to_numpy(), "q": data[quantile].to_numpy(), "n": pop})
              .pivot_table(index="p", columns="q", values="n", aggfunc="sum", fill_value=0.0))
    shares = shares.div(shares.sum(axis=1), axis=0).sort_index()
    change = (shares - shares.iloc[0]).abs().max(axis=1) * 100
    out["mix_change"] = out["period"].map(change).to_numpy()
    out["note"] = res["note"].to_numpy()
    per = pd.to_numeric(out["period"], errors="coerce")
    t = per.to_numpy(float) if per.notna().all() else np.arange(len(out), dtype=float)
    trend = _weighted_slope(t, out["sii"].to_numpy(float), out["sii_se"].to_numpy(float))
    with np.errstate(divide="ignore", invalid="ignore"):
        rtrend = _weighted_slope(t, np.log(out["rii"].to_numpy(float)), np.asarray(rii_se, float))
    reasons = []
    if len(out) >= 2 and change.max() > shift_tolerance:
        worst = change.idxmax()
        reasons.append(f"the share of people in a deprivation quantile changed by up to {change.max():.1f} "
                       f"percentage points (by {worst})")
    if vintage is not None:
        used = data.groupby(period, sort=True)[vintage].agg(lambda s: tuple(sorted(map(str, pd.unique(s)))))
        if used.nunique() > 1 or any(len(v) > 1 for v in used):
            reasons.append("the deprivation ranking changes between periods (" +
                           " → ".join(dict.fromkeys("/".join(v) for v in used)) + ")")
    text = None
    if reasons:
        text = ("The population mix across deprivation quantiles shifted: " + "; ".join(reasons) +
                ". Part of any change in the SII may come from who is counted in each quantile, not from the outcome.")
        warnings.warn(ToolkitWarning(text, code="sii_trend.population_shift"), stacklevel=2)
    z = z_of(level)
    trend.update(lower_ci=trend["slope"] - z * trend["se"], upper_ci=trend["slope"] + z * trend["se"], level=level)
    out.attrs.update(trend=trend, rii_trend=rtrend, mix_shift=bool(reasons), warning=text,
                     seed=res.attrs["seed"], repetitions=res.attrs["repetitions"])
    return out
