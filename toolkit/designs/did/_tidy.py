"""Tidy coefficient rows shared by the difference-in-differences designs.

A small internal module so that the estimators and the result objects can both
use it without importing each other.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import stats

__all__ = ["inference", "coef_row", "coef_table", "dot", "BLAS_DOT_LIMIT"]

#: Up to this length :func:`dot` is numpy's (BLAS) dot, which OpenBLAS runs on one thread.
BLAS_DOT_LIMIT = 10_000


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


def coef_table(terms, est: np.ndarray, se: np.ndarray, level: float, **more) -> "pd.DataFrame":
    """Many :func:`coef_row` rows at once (normal reference): the same numbers, computed column-wise."""
    import pandas as pd

    est = np.asarray(est, dtype=float)
    se = np.asarray(se, dtype=float)
    ok = np.isfinite(se) & (se > 0)
    q = stats.norm.ppf(0.5 + level / 2)
    nan = np.full(est.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo = np.where(ok, est - q * se, nan)
        hi = np.where(ok, est + q * se, nan)
        p = np.where(ok, 2 * stats.norm.sf(np.abs(est) / np.where(ok, se, 1.0)), nan)
    cols = {"term": list(terms), "estimate": est, "se": se, "ci_low": lo, "ci_high": hi, "p_value": p}
    cols.update(more)
    return pd.DataFrame(cols)


def dot(a: np.ndarray, b: np.ndarray) -> float:
    """Dot product of two vectors, never on several BLAS threads.

    Up to :data:`BLAS_DOT_LIMIT` elements this is ``numpy.dot`` (OpenBLAS computes
    such short products on one thread); longer ones use ``numpy.einsum``, because
    OpenBLAS splits a long product over threads, which on a busy machine made one
    product of 33,755 numbers take milliseconds instead of microseconds (and its
    last digit depend on the thread count).
    """
    if a.size <= BLAS_DOT_LIMIT:
        return float(np.dot(a, b))
    return float(np.einsum("i,i->", a, b))
