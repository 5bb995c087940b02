"""Proportions (Wilson) and crude rates (exact / Byar's), Fingertips conventions."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.indicators.confidence import assemble, levels_of, poisson_limits, wilson
from toolkit.indicators._validate import (
    as_by,
    check_frame,
    check_nonnegative,
    check_not_above,
    check_positive,
    group_codes,
    numeric_column,
    require_columns,
)

__all__ = ["proportion", "crude_rate"]


def _sum_by(data: pd.DataFrame, by: list[str], *cols: np.ndarray):
    codes, keys = group_codes(data, by)
    k = len(keys)
    sums = [np.bincount(codes, weights=c, minlength=k) for c in cols]
    return keys, sums


def proportion(
    data: pd.DataFrame,
    numerator: str,
    denominator: str,
    *,
    multiplier: float = 1,
    by: str | Sequence[str] | None = None,
    confidence: float | Sequence[float] = 0.95,
) -> pd.DataFrame:
    """Proportion with Wilson score confidence limits, one row per group.

    Parameters
    ----------
    data : pandas.DataFrame
        One or more rows per group; numerators and denominators are summed
        within each group.
    numerator, denominator : str
        Column names of the event count and the population at risk.
    multiplier : float, default 1
        1 for a proportion, 100 for a percentage.
    by : str or list of str, optional
        Grouping columns; one output row per combination.
    confidence : float or pair of floats, default 0.95
        A level, or several such as ``(0.95, 0.998)``.

    Returns
    -------
    pandas.DataFrame
        ``by`` columns, the summed ``numerator`` and ``denominator``, ``value``,
        interval columns (``lower_ci``/``upper_ci`` for one level,
        ``lower_ci_95``/``upper_ci_95``/``lower_ci_99_8``/``upper_ci_99_8`` for the
        pair) and ``note``.

    Raises
    ------
    toolkit.errors.DataError
        Missing columns, text, missing or negative counts, denominators of 0 or
        less, or a numerator larger than its denominator.

    Notes
    -----
    value = O/n × multiplier.  Wilson score limits (Wilson 1927; Newcombe 1998,
    method 3; PHEindicatormethods ``phe_proportion``):
    (2O + z² ∓ z·√(z² + 4O(1 − O/n))) / (2(n + z²)) × multiplier,
    z = Φ⁻¹(1 − α/2).
    """
    data = check_frame(data)
    by = as_by(by)
    levels = levels_of(confidence)
    require_columns(data, [numerator, denominator, *by])
    o = numeric_column(data, numerator)
    n = numeric_column(data, denominator, what="denominator")
    check_nonnegative(o, numerator)
    check_positive(n, denominator, what="denominator")
    check_not_above(o, n, numerator, denominator)
    keys, (o, n) = _sum_by(data, by, o, n)
    limits = {}
    for lv in levels:
        lo, hi = wilson(o, n, lv)
        limits[lv] = (lo * multiplier, hi * multiplier)
    return assemble(
        keys, by, {numerator: o, denominator: n}, o / n * multiplier, limits, levels, [None] * len(o)
    )


def crude_rate(
    data: pd.DataFrame,
    numerator: str,
    denominator: str,
    *,
    multiplier: float = 100_000,
    by: str | Sequence[str] | None = None,
    confidence: float | Sequence[float] = 0.95,
) -> pd.DataFrame:
    """Crude rate per ``multiplier`` with exact (<10 events) or Byar's limits.

    Parameters
    ----------
    data : pandas.DataFrame
        One or more rows per group; counts and populations are summed per group.
    numerator, denominator : str
        Column names of the event count and the population (person-years).
    multiplier : float, default 100000
        Rate per this many people.
    by : str or list of str, optional
        Grouping columns.
    confidence : float or pair of floats, default 0.95
        A level, or several such as ``(0.95, 0.998)``.

    Returns
    -------
    pandas.DataFrame
        ``by``, the summed counts, ``value``, interval columns and ``note``.

    Notes
    -----
    value = O/n × multiplier; limits O_L/n × multiplier, O_U/n × multiplier with
    exact limits O_L = χ²(α/2; 2O)/2, O_U = χ²(1 − α/2; 2O+2)/2 when O < 10 and
    Byar's O_L = O(1 − 1/(9O) − z/(3√O))³,
    O_U = (O+1)(1 − 1/(9(O+1)) + z/(3√(O+1)))³ otherwise (docs/methods.md;
    PHEindicatormethods ``phe_rate``).
    """
    data = check_frame(data)
    by = as_by(by)
    levels = levels_of(confidence)
    require_columns(data, [numerator, denominator, *by])
    o = numeric_column(data, numerator)
    n = numeric_column(data, denominator, what="denominator")
    check_nonnegative(o, numerator)
    check_positive(n, denominator, what="denominator")
    keys, (o, n) = _sum_by(data, by, o, n)
    limits = {}
    for lv in levels:
        lo, hi = poisson_limits(o, lv)
        limits[lv] = (lo / n * multiplier, hi / n * multiplier)
    return assemble(
        keys, by, {numerator: o, denominator: n}, o / n * multiplier, limits, levels, [None] * len(o)
    )
