"""Tidy coefficient rows shared by the difference-in-differences designs.

A small internal module so that the estimators and the result objects can both
use it without importing each other.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

__all__ = ["inference", "coef_row"]


def inference(est: float, se: float, level: float, df: float | None = None) -> tuple[float, float, float]:
    """Confidence interval and two-sided p-value.

    Notes
    -----
    With ``df`` given, Student's t with ``df`` degrees of freedom (fixest's
    clustered default uses :math:`G-1`); otherwise the standard normal.
    :math:`CI = \\hat\\theta \\pm q_{1-\\alpha/2}\\,SE`, :math:`p = 2(1-F(|\\hat\\theta|/SE))`.
    """
    if not (np.isfinite(se) and se > 0):
        return float("nan"), float("nan"), float("nan")
    dist = stats.norm if df is None else stats.t(df)
    q = dist.ppf(0.5 + level / 2)
    z = abs(est) / se
    p = 2 * dist.sf(z)
    return float(est - q * se), float(est + q * se), float(p)


def coef_row(term: Any, est: float, se: float, level: float, df: float | None = None, **more) -> dict:
    """One tidy row: term, estimate, se, ci_low, ci_high, p_value (+ extra columns)."""
    lo, hi, p = inference(est, se, level, df)
    row = {"term": term, "estimate": float(est), "se": float(se), "ci_low": lo, "ci_high": hi, "p_value": p}
    row.update(more)
    return row
