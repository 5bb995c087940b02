"""The ITS design: validated series, the periods either side of the start, and the design matrix.

Everything :func:`toolkit.designs.its.segmented` needs before it fits: the intervention
(and comparison) series stacked and numbered t = 1, 2, ..., the post-period mask, the
checks on how many periods lie either side of ``treatment_start``, and the regressors
(level and slope change, seasonality, the comparison-series interactions).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from toolkit.cautions import Caution
from toolkit.designs._timeseries import post_mask, prepare_series, regular_time_index, season_terms
from toolkit.errors import DataError, DesignError

__all__ = ["FAMILIES", "MIN_PRE_PERIODS", "WARN_PERIODS", "Series", "stack_series", "count_periods",
           "design_matrix"]

#: The model families :func:`toolkit.designs.its.segmented` fits.
FAMILIES = ("gaussian", "poisson", "quasipoisson")
#: segmented regression is refused with fewer pre-intervention points than this
MIN_PRE_PERIODS = 8
#: ... and warned about below this (Penfold & Zhang 2013 suggest at least 12 each side)
WARN_PERIODS = 12


@dataclass(frozen=True)
class Series:
    """The stacked series: ``df`` (intervention rows first), its ``post`` mask and time index.

    ``first`` is the intervention series alone (its rows are ``df``'s first ``len(first)``).
    """

    df: pd.DataFrame
    first: pd.DataFrame
    post: np.ndarray
    ti: Any
    n_pre: int
    n_post: int

    @property
    def post_first(self) -> np.ndarray:
        return self.post[: len(self.first)]


def stack_series(data: pd.DataFrame, control: pd.DataFrame | None, outcome: str, time: str,
                 denominator: str | None, family: str, treatment_start: Any) -> Series:
    """Validate the intervention (and comparison) series, number their periods and mark the post period.

    Each series is sorted by period and numbered ``_t`` = 1, 2, ...; ``_series`` is
    "intervention" or "comparison".  Raises :class:`DataError` when the comparison does
    not cover the same periods, :class:`DesignError` when the start leaves no period on
    one side.
    """
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
            month = ti_k.month[order] if ti_k.month is not None else None
            ti = type(ti_k)(ti_k.period[order], ti_k.unit, ti_k.season_period, month, ti_k.is_datetime, ti_k.step)
        parts.append(df)
    if control is not None:
        a, b = parts[0][time], parts[1][time]
        if len(a) != len(b) or not np.array_equal(a.to_numpy(), b.to_numpy()):
            raise DataError("the comparison series must cover exactly the same periods as the intervention series",
                            column=time, fix="restrict both series to their common periods")
    df = pd.concat(parts, ignore_index=True)
    post = post_mask(df, time, treatment_start, ti.is_datetime, ti.unit)
    first = parts[0]
    post_first = post[: len(first)]
    n_pre, n_post = int((~post_first).sum()), int(post_first.sum())
    if n_post == 0 or n_pre == 0:
        lo, hi = (v.date().isoformat() if hasattr(v, "date") and callable(v.date) else v
                  for v in (first[time].iloc[0], first[time].iloc[-1]))
        raise DesignError(
            f"treatment_start {treatment_start!r} is outside the data ({lo} to {hi}); "
            "a segmented regression needs periods both before and after the start"
        )
    return Series(df, first, post, ti, n_pre, n_post)


def count_periods(n_pre: int, n_post: int, *, min_pre: int, slope_change: bool) -> list[str]:
    """Refuse too few periods either side of the start; return the cautions for few periods."""
    warnings: list[str] = []
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
    return warnings


def design_matrix(s: Series, *, seasonality, season_period: int | None, controlled: bool,
                  slope_change: bool) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """The regressors, the seasonal block and the names of the effect terms.

    Columns: ``const``, ``time``, ``level_change`` (post), ``slope_change`` ((t − t₀)·post);
    with a comparison series ``post``/``post_slope`` are shared and ``intervention``,
    ``intervention_time``, ``level_change``, ``slope_change`` are the intervention series'
    differences (``group`` is kept for population subgroups); then the seasonal terms.  ``slope_change=False`` drops the slope terms.
    """
    df, post = s.df, s.post
    t = df["_t"].to_numpy(float)
    t0 = float(s.first["_t"].to_numpy()[s.post_first][0])
    X = pd.DataFrame({"const": 1.0, "time": t, "level_change": post.astype(float),
                      "slope_change": (t - t0) * post})
    season = season_terms(t, s.ti, seasonality, season_period)
    if controlled:
        g = (df["_series"] == "intervention").to_numpy(float)
        X = X.rename(columns={"level_change": "post", "slope_change": "post_slope"})
        X["intervention"] = g
        X["intervention_time"] = g * t
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
    return X, season, effect_terms
