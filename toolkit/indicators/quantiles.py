"""Deprivation quantiles: quantile 1 holds the most deprived areas."""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.errors import DataError, ToolkitWarning
from toolkit.indicators._validate import as_by, check_frame, group_codes, numeric_column, require_columns

__all__ = ["deprivation_quantile"]


def deprivation_quantile(
    data: pd.DataFrame,
    score: str,
    *,
    n: int = 10,
    by: str | Sequence[str] | None = None,
    column: str = "quantile",
    higher_is_more_deprived: bool = True,
) -> pd.DataFrame:
    """Assign each area to one of ``n`` deprivation quantiles within each group.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per area (e.g. LSOA) with a deprivation score.
    score : str
        Score column; by default a higher score means more deprived (IMD score).
        Use ``higher_is_more_deprived=False`` for an IMD *rank* (1 = most deprived).
    n : int, default 10
        Number of quantiles (10 deciles, 5 quintiles ...).
    by : str or list of str, optional
        Rank separately within each group (e.g. within each ICB).
    column : str, default "quantile"
        Name of the new column.

    Returns
    -------
    pandas.DataFrame
        A copy of ``data`` with ``column`` (nullable integer; 1 = most deprived).
        Areas with a missing score get no quantile (counted in a ToolkitWarning);
        groups with fewer areas than ``n`` get none (ToolkitWarning).

    Notes
    -----
    Areas are ranked within their group from most to least deprived, ties
    taking the lowest rank; with N quantiles and n scored areas (docs/methods.md;
    PHEindicatormethods ``phe_quantile``)::

        q = floor((N + 1) − ceiling((n + 1 − rank) / (n / N)))

    where rank 1 is the most deprived area (rank of the score in descending
    order, PHEindicatormethods' ``invert = TRUE``), so that quantile 1 holds
    the most deprived.
    """
    data = check_frame(data)
    by = as_by(by)
    require_columns(data, [score, *by])
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise DataError(f"n must be a whole number of quantiles of at least 2, not {n!r}", column="n",
                        fix="use n=10 for deciles or n=5 for quintiles")
    s = numeric_column(data, score, allow_missing=True, what="score")
    codes, keys = group_codes(data, by)
    ok = ~np.isnan(s)
    # rank 1 = most deprived; ties share the lowest rank
    key = -s if higher_is_more_deprived else s
    frame = pd.DataFrame({"g": codes, "k": np.where(ok, key, np.nan)})
    rank = frame.groupby("g")["k"].rank(method="min").to_numpy()
    count = np.bincount(codes, weights=ok.astype(float), minlength=len(keys))[codes]
    with np.errstate(divide="ignore", invalid="ignore"):
        q = np.floor((n + 1) - np.ceil((count + 1 - rank) / (count / n)))
    # floating-point division can give (n+1-1)/(n/N) a hair above N, hence q = 0: that is quantile 1
    # (the same correction as PHEindicatormethods phe_quantile)
    q = np.where(q == 0, 1.0, q)
    small = count < n
    q = np.where(ok & ~small, q, np.nan)
    out = data.copy()
    out[column] = pd.array(q, dtype="Int64")
    if (~ok).any():
        warnings.warn(ToolkitWarning(f"{int((~ok).sum())} row(s) have no '{score}' and get no quantile",
                                     code="quantiles.no_score"), stacklevel=2)
    small_groups = int(np.unique(codes[small & ok]).size)
    if small_groups:
        warnings.warn(ToolkitWarning(f"{small_groups} group(s) have fewer than {n} scored areas and get no "
                                     "quantiles", code="quantiles.small_group"), stacklevel=2)
    return out
