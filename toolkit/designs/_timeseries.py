"""Shared helpers for the natural-experiment designs (ITS, synthetic control, RD).

* :func:`regular_time_index` turns a time column (integer periods or dates) into
  consecutive period numbers and reports gaps and duplicates with the rows concerned.
* :func:`check_columns` / :func:`missing_rows` validate a DataFrame at entry.
* :func:`heterogeneity` (from :mod:`toolkit.designs.heterogeneity`) summarises whether an effect differs across groups
  (e.g. IMD quintiles) from per-group estimates and standard errors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import math

import numpy as np
import pandas as pd
from statsmodels.regression.linear_model import OLS
from scipy import stats
from statsmodels.stats.diagnostic import acorr_breusch_godfrey, acorr_ljungbox
from statsmodels.stats.stattools import durbin_watson

from toolkit.dates import to_iso_text
from toolkit.errors import DataError, DesignError, Problem
from toolkit.designs.heterogeneity import group_ranks, heterogeneity  # noqa: F401  (re-exported)

__all__ = [
    "TimeIndex",
    "regular_time_index",
    "check_columns",
    "missing_rows",
    "heterogeneity",
    "prepare_series",
    "post_mask",
    "season_terms",
    "crit_value",
    "p_from_z",
    "linear_row",
    "residual_diagnostics",
]

# coarsest first: we use the coarsest calendar frequency at which dates are unique
_FREQS = (("Y", "year", None), ("Q", "quarter", 4), ("M", "month", 12), ("W", "week", 52), ("D", "day", 7))


@dataclass(frozen=True)
class TimeIndex:
    """Consecutive period numbers for a time column.

    Attributes
    ----------
    period : numpy.ndarray of int
        0-based period number of each row (same order as the input).
    unit : str
        "period" for integer time, else "year"/"quarter"/"month"/"week"/"day".
    season_period : int or None
        Periods per seasonal cycle (12 for months, 4 for quarters, 52 for weeks).
    month : numpy.ndarray or None
        Calendar month of each row when the time column holds dates.
    """

    period: np.ndarray
    unit: str
    season_period: int | None
    month: np.ndarray | None
    is_datetime: bool
    step: float


def check_columns(data: pd.DataFrame, columns: dict[str, str | None], *, what: str = "the data") -> None:
    """Raise :class:`DataError` if a named column is absent.

    ``columns`` maps the role ("outcome", "time", ...) to the column name (None = not used).
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"{what} must be a pandas DataFrame, not {type(data).__name__}.")
    problems = []
    for role, col in columns.items():
        if col is not None and col not in data.columns:
            problems.append(
                Problem(
                    f"the {role} column '{col}' is not in {what}",
                    column=col,
                    fix=f"map the {role} to one of: {', '.join(map(str, data.columns[:12]))}",
                )
            )
    if problems:
        raise DataError("Columns are missing:", problems)


def missing_rows(data: pd.DataFrame, column: str) -> np.ndarray:
    """1-based row numbers (spreadsheet style, header = row 1) of missing values in ``column``."""
    mask = data[column].isna().to_numpy()
    return np.flatnonzero(mask) + 2


def _as_number(series: pd.Series, column: str) -> np.ndarray:
    try:
        return pd.to_numeric(series, errors="raise").to_numpy(dtype=float)
    except (TypeError, ValueError) as exc:
        bad = pd.to_numeric(series, errors="coerce").isna() & series.notna()
        rows = tuple(int(i) + 2 for i in np.flatnonzero(bad.to_numpy())[:5])
        raise DataError(
            "values are not numbers",
            column=column,
            rows=rows,
            count=int(bad.sum()),
            fix="make the column numeric (remove text such as '*' or 'n/a')",
        ) from exc


def regular_time_index(values: pd.Series, *, column: str) -> TimeIndex:
    """Check that a time column is a complete, regular series and number its periods.

    Parameters
    ----------
    values : pandas.Series
        Integer periods (1, 2, 3, ...) or dates (one per period).
    column : str
        Name of the column (for error messages).

    Returns
    -------
    TimeIndex

    Notes
    -----
    Dates are placed on the coarsest calendar frequency (year, quarter, month, week,
    day) at which they are all distinct; the series must then have no missing
    period.  Integer/numeric time must be equally spaced.  Duplicated periods and
    gaps raise :class:`DataError` naming the rows or missing periods.
    """
    if values.isna().any():
        rows = missing_rows(values.to_frame(), values.name)
        raise DataError(
            "time is missing", column=column, rows=tuple(rows[:5]), count=len(rows),
            fix="give every row its period",
        )
    dup = values.duplicated(keep=False).to_numpy()
    if dup.any():
        rows = tuple(int(i) + 2 for i in np.flatnonzero(dup)[:5])
        raise DataError(
            "the same period appears more than once",
            column=column, rows=rows, count=int(dup.sum()),
            fix="aggregate to one row per period (or pass the comparison series separately)",
        )
    if pd.api.types.is_datetime64_any_dtype(values) or isinstance(values.dtype, pd.PeriodDtype):
        ts = pd.to_datetime(values.astype(str)) if isinstance(values.dtype, pd.PeriodDtype) else values
        for code, unit, season in _FREQS:
            per = ts.dt.to_period(code)
            if per.nunique() == len(per):
                ordinal = np.array([p.ordinal for p in per])
                lo = ordinal.min()
                full = np.arange(lo, ordinal.max() + 1)
                gaps = np.setdiff1d(full, ordinal)
                if gaps.size:
                    first = [str(pd.Period(ordinal=int(g), freq=code)) for g in gaps[:5]]
                    raise DataError(
                        f"the series has gaps: {gaps.size} {unit}(s) missing, e.g. {', '.join(first)}",
                        column=column, count=int(gaps.size),
                        fix="add the missing periods (with their values) or fill them explicitly; "
                        "segmented regression needs a complete series",
                    )
                month = ts.dt.month.to_numpy() if code in ("M", "Q") else None
                return TimeIndex(ordinal - lo, unit, season, month, True, 1.0)
        raise DataError(  # pragma: no cover - daily uniqueness always holds once duplicates are excluded
            "dates are not regular", column=column, fix="use one row per period"
        )
    t = _as_number(values, column)
    order = np.sort(t)
    steps = np.diff(order)
    if steps.size == 0:
        raise DesignError(f"column '{column}' has a single period; a time series needs many")
    step = float(np.min(steps))
    k = (order - order[0]) / step
    if not np.allclose(k, np.round(k)):
        raise DataError(
            "time values are not equally spaced", column=column,
            fix="use consecutive integer periods (1, 2, 3, ...) or dates",
        )
    k = np.round(k).astype(int)
    gaps = np.setdiff1d(np.arange(k.max() + 1), k)
    if gaps.size:
        missing = [f"{order[0] + g * step:g}" for g in gaps[:5]]
        raise DataError(
            f"the series has gaps: {gaps.size} period(s) missing, e.g. {', '.join(missing)}",
            column=column, count=int(gaps.size),
            fix="add the missing periods (with their values); segmented regression needs a complete series",
        )
    period = np.round((t - order[0]) / step).astype(int)
    return TimeIndex(period, "period", None, None, False, step)


# ----------------------------------------------------------------- ITS series preparation
def prepare_series(
    data: pd.DataFrame, outcome: str, time: str, denominator: str | None, family: str, label: str
) -> pd.DataFrame:
    """Validate one series for :func:`toolkit.designs.its.segmented` (no rows dropped)."""
    check_columns(data, {"outcome": outcome, "time": time, "denominator": denominator}, what=label)
    for col in [c for c in (outcome, denominator) if c is not None]:
        rows = missing_rows(data, col)
        if rows.size:
            raise DataError(
                f"{label}: values are missing", column=col, rows=tuple(rows[:5]), count=len(rows),
                fix="fill the missing periods or shorten the series; rows are never dropped silently",
            )
    df = data[[c for c in (time, outcome, denominator) if c is not None]].copy()
    df["_row"] = np.arange(len(df)) + 2
    if isinstance(df[time].dtype, pd.PeriodDtype):
        df[time] = df[time].dt.to_timestamp()
    elif not pd.api.types.is_numeric_dtype(df[time]) and not pd.api.types.is_datetime64_any_dtype(df[time]):
        parsed = pd.to_datetime(to_iso_text(df[time], column=time)[0], errors="coerce")  # toolkit.dates
        if parsed.notna().all():
            df[time] = parsed
    for col in [c for c in (outcome, denominator) if c is not None]:
        vals = pd.to_numeric(df[col], errors="coerce")
        bad = vals.isna().to_numpy()
        if bad.any():
            raise DataError(f"{label}: values are not numbers", column=col,
                            rows=tuple(df["_row"].to_numpy()[bad][:5]), count=int(bad.sum()),
                            fix="make the column numeric")
        df[col] = vals.astype(float)
    if denominator is not None:
        bad = (df[denominator] <= 0).to_numpy()
        if bad.any():
            raise DataError(f"{label}: the denominator must be positive", column=denominator,
                            rows=tuple(df["_row"].to_numpy()[bad][:5]), count=int(bad.sum()),
                            fix="check the population figures for these periods")
    if family != "gaussian":
        y = df[outcome].to_numpy()
        bad = (y < 0) | (np.abs(y - np.round(y)) > 1e-8)
        if bad.any():
            raise DataError(f"{label}: a {family} model needs non-negative whole counts", column=outcome,
                            rows=tuple(df["_row"].to_numpy()[bad][:5]), count=int(bad.sum()),
                            fix="model counts (with the population as denominator), or use family='gaussian' for rates")
    return df


_UNIT_CODE = {code_unit[1]: code_unit[0] for code_unit in _FREQS}


def post_mask(df: pd.DataFrame, time: str, start: Any, is_datetime: bool, unit: str | None = None) -> np.ndarray:
    """``time >= start`` with ``start`` read as a date or a number to match the column.

    For dated series the comparison is made on calendar periods of the series'
    frequency (``unit``), so a start date inside a period (e.g. 10 January for
    monthly data) makes that whole period the first intervention period.
    """
    if is_datetime:
        try:
            start = pd.Timestamp(start)
        except (TypeError, ValueError) as exc:
            raise DesignError(f"treatment_start {start!r} is not a date, but '{time}' holds dates") from exc
        code = _UNIT_CODE.get(unit or "")
        if code is not None and code != "D":
            return (df[time].dt.to_period(code) >= start.to_period(code)).to_numpy()
        return (df[time] >= start).to_numpy()
    try:
        start = float(start)
    except (TypeError, ValueError) as exc:
        raise DesignError(f"treatment_start {start!r} is not a number, but '{time}' holds numbers") from exc
    return (pd.to_numeric(df[time]).to_numpy(float) >= start)


def season_terms(t: np.ndarray, ti, seasonality, season_period: int | None) -> pd.DataFrame:
    """Season indicators or Fourier pairs sin(2πjt/P), cos(2πjt/P), j = 1..k."""
    if seasonality is None:
        return pd.DataFrame(index=range(len(t)))
    period = season_period or ti.season_period
    if period is None:
        raise DesignError("seasonality needs a seasonal period: pass season_period=12 for monthly data "
                          "numbered 1, 2, 3, ... (or give the time column as dates)")
    if seasonality == "month":
        if ti.unit == "month" and ti.month is not None:
            pos = np.tile(ti.month, len(t) // len(ti.month))
        else:
            pos = (t - 1) % period + 1
        dummies = pd.get_dummies(pd.Categorical(pos, categories=sorted(set(pos))), prefix="season",
                                 drop_first=True, dtype=float)
        return dummies
    if isinstance(seasonality, (int, np.integer)) and not isinstance(seasonality, bool):
        k = int(seasonality)
        if not 1 <= k <= (period - 1) // 2:
            raise DesignError(f"seasonality={k} Fourier pairs: use 1 to {(period - 1) // 2} pairs for a period of {period}")
        cols = {}
        for j in range(1, k + 1):
            cols[f"sin{j}"] = np.sin(2 * np.pi * j * t / period)
            cols[f"cos{j}"] = np.cos(2 * np.pi * j * t / period)
        return pd.DataFrame(cols)
    raise DesignError("seasonality must be None, 'month' or a number of Fourier (sine/cosine) pairs")


# ----------------------------------------------------------------- inference helpers for ITS
def crit_value(res, level):
    """Two-sided critical value: t(df_resid) when the fit uses t, else normal."""
    a = 1 - level
    if getattr(res, "use_t", False):
        return float(stats.t.ppf(1 - a / 2, res.df_resid))
    return float(stats.norm.ppf(1 - a / 2))


def p_from_z(res, z):
    """Two-sided p-value matching :func:`crit_value`."""
    if getattr(res, "use_t", False):
        return float(2 * stats.t.sf(abs(z), res.df_resid))
    return float(2 * stats.norm.sf(abs(z)))


def linear_row(res, a: np.ndarray, level: float, ratio: bool, term: str, n: int) -> dict:
    """Estimate, SE (√aᵀVa), interval and p-value of aᵀβ; exponentiated when ``ratio``."""
    est = float(a @ res.params)
    se = float(np.sqrt(a @ np.asarray(res.cov_params()) @ a))
    c = crit_value(res, level)
    lo, hi = est - c * se, est + c * se
    p = p_from_z(res, est / se) if se > 0 else float("nan")
    if ratio:
        est, lo, hi = math.exp(est), math.exp(lo), math.exp(hi)
    return {"term": term, "estimate": est, "se": se, "ci_low": lo, "ci_high": hi, "p_value": p,
            "n_obs": n, "scale": "ratio" if ratio else "difference"}


def residual_diagnostics(resid: np.ndarray, X: np.ndarray, lags: int) -> pd.DataFrame:
    """Durbin–Watson, Ljung–Box and Breusch–Godfrey (auxiliary OLS on ``X``) at ``lags`` lags."""
    lags = max(1, min(lags, len(resid) // 4))
    lb = acorr_ljungbox(resid, lags=[lags], return_df=True)
    aux = OLS(resid, X).fit()
    try:  # statsmodels >= 0.15 announces a NamedTuple return; keep the plain tuple
        bg = acorr_breusch_godfrey(aux, nlags=lags, result_object=False)
    except TypeError:  # pragma: no cover - older statsmodels
        bg = acorr_breusch_godfrey(aux, nlags=lags)
    bg_lm, bg_p = bg[0], bg[1]
    return pd.DataFrame(
        [
            {"test": "Durbin-Watson", "statistic": float(durbin_watson(resid)), "lags": 1, "p_value": float("nan")},
            {"test": "Ljung-Box", "statistic": float(lb["lb_stat"].iloc[0]), "lags": lags,
             "p_value": float(lb["lb_pvalue"].iloc[0])},
            {"test": "Breusch-Godfrey", "statistic": float(bg_lm), "lags": lags, "p_value": float(bg_p)},
        ]
    )
