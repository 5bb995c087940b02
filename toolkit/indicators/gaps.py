"""Absolute and relative gaps: most vs least deprived quantile, Core20 vs the rest."""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.errors import DataError, ToolkitWarning
from toolkit.indicators.confidence import Z95, ci_columns, levels_of, z_of
from toolkit.indicators._validate import (
    as_by,
    check_frame,
    check_nonnegative,
    check_not_above,
    check_positive,
    group_codes,
    numeric_column,
    require_columns,
    sheet_rows,
)

__all__ = ["quantile_gap", "core20_gap"]


def _limit_columns(results: pd.DataFrame, lower: str | None, upper: str | None) -> tuple[str, str]:
    if lower and upper:
        return lower, upper
    for lo, hi in (("lower_ci_95", "upper_ci_95"), ("lower_ci", "upper_ci")):
        if lo in results.columns and hi in results.columns:
            return lo, hi
    raise DataError("cannot find the 95% limits in the results", column="lower_ci",
                    fix="pass lower= and upper= naming the 95% limit columns")


def _gap_rows(keys, by, labels, a, b, se_diff, se_log, levels, notes_abs, notes_rel):
    out = []
    for gap, est, se, note in (("absolute", a - b, se_diff, notes_abs),
                               ("relative", None, se_log, notes_rel)):
        frame = keys[by].copy().reset_index(drop=True) if by else pd.DataFrame(index=range(len(a)))
        frame["gap"] = gap
        frame[labels[0]] = a
        frame[labels[1]] = b
        with np.errstate(divide="ignore", invalid="ignore"):
            if gap == "absolute":
                frame["value"] = est
                for lv, lo, hi in ci_columns(levels):
                    z = z_of(lv)
                    frame[lo] = est - z * se
                    frame[hi] = est + z * se
            else:
                lr = np.log(a) - np.log(b)
                frame["value"] = np.exp(lr)
                for lv, lo, hi in ci_columns(levels):
                    z = z_of(lv)
                    frame[lo] = np.exp(lr - z * se)
                    frame[hi] = np.exp(lr + z * se)
        bad = np.array([n is not None for n in note])
        cols = ["value"] + [c for _, lo, hi in ci_columns(levels) for c in (lo, hi)]
        frame.loc[bad, cols] = np.nan
        frame["note"] = pd.array(list(note), dtype="object")
        out.append(frame)
    res = pd.concat(out, ignore_index=True)
    return res.sort_values([*by, "gap"], kind="stable").reset_index(drop=True) if by else res


def quantile_gap(
    results: pd.DataFrame,
    quantile: str,
    *,
    most: int = 1,
    least: int | None = None,
    value: str = "value",
    lower: str | None = None,
    upper: str | None = None,
    by: str | Sequence[str] | None = None,
    confidence: float | Sequence[float] = 0.95,
) -> pd.DataFrame:
    """Absolute and relative gap between the most and least deprived quantile.

    Parameters
    ----------
    results : pandas.DataFrame
        Output of an indicator function computed ``by`` the quantile (and any
        other grouping), with a value and its 95% limits.
    quantile : str
        Quantile column (1 = most deprived).
    most, least : int
        The quantiles compared; ``least`` defaults to the highest quantile in each group.
    value, lower, upper : str
        Value column and its 95% limit columns (found automatically:
        ``lower_ci_95``/``upper_ci_95`` or ``lower_ci``/``upper_ci``).
    by : str or list of str, optional
        Other grouping columns (one pair of gaps per group).
    confidence : float or pair, default 0.95
        Level(s) of the gap's interval.

    Returns
    -------
    pandas.DataFrame
        Two rows per group (``gap`` = "absolute" then "relative"): ``most_value``,
        ``least_value``, ``value``, interval columns and ``note``.

    Notes
    -----
    Absolute gap d = v_most − v_least; each side's standard error is recovered
    from its 95% limits on the natural scale, SEᵢ = (Uᵢ − Lᵢ)/(2·1.959964), and
    d ± z·√(SE²_most + SE²_least).  Relative gap r = v_most/v_least on the log
    scale: SEᵢ = (ln Uᵢ − ln Lᵢ)/(2·1.959964), exp(ln r ± z·√(SE²_most + SE²_least)).
    Both assume the two quantiles are independent.  Asymmetric limits (Byar,
    Wilson) are thereby symmetrised, which is the usual approximation; a
    relative gap needs positive values and lower limits.
    """
    results = check_frame(results, "results")
    by = as_by(by)
    levels = levels_of(confidence)
    lo_col, hi_col = _limit_columns(results, lower, upper)
    require_columns(results, [quantile, value, lo_col, hi_col, *by], "results")
    q = numeric_column(results, quantile, what="quantile")
    v = numeric_column(results, value, allow_missing=True, what="value")
    lo = numeric_column(results, lo_col, allow_missing=True, what="limit")
    hi = numeric_column(results, hi_col, allow_missing=True, what="limit")
    codes, keys = group_codes(results, by)
    dup = pd.DataFrame({"g": codes, "q": q}).duplicated(keep=False).to_numpy()
    if dup.any():
        raise DataError("a quantile appears more than once in a group", column=quantile,
                        rows=sheet_rows(dup), count=int(dup.sum()), fix="add the other grouping columns to by=")
    k = len(keys)
    idx_most = np.full(k, -1)
    idx_least = np.full(k, -1)
    for g in range(k):
        rows = np.flatnonzero(codes == g)
        top = least if least is not None else int(q[rows].max())
        m = rows[q[rows] == most]
        t = rows[q[rows] == top]
        idx_most[g] = m[0] if m.size else -1
        idx_least[g] = t[0] if t.size else -1

    def pick(arr, ix):
        return np.where(ix >= 0, arr[np.maximum(ix, 0)], np.nan)

    a, b = pick(v, idx_most), pick(v, idx_least)
    la, lb, ua, ub = pick(lo, idx_most), pick(lo, idx_least), pick(hi, idx_most), pick(hi, idx_least)
    se_diff = np.sqrt(((ua - la) / (2 * Z95)) ** 2 + ((ub - lb) / (2 * Z95)) ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        se_log = np.sqrt(((np.log(ua) - np.log(la)) / (2 * Z95)) ** 2 + ((np.log(ub) - np.log(lb)) / (2 * Z95)) ** 2)
    n_abs, n_rel = [], []
    for g in range(k):
        if idx_most[g] < 0 or idx_least[g] < 0:
            msg = f"quantile {most if idx_most[g] < 0 else least} is missing: gap not calculated"
            n_abs.append(msg)
            n_rel.append(msg)
            continue
        if np.isnan([a[g], b[g], la[g], lb[g], ua[g], ub[g]]).any():
            msg = "a value or limit is missing: gap not calculated"
            n_abs.append(msg)
            n_rel.append(msg)
            continue
        n_abs.append(None)
        n_rel.append(None if min(a[g], b[g], la[g], lb[g]) > 0 else
                     "a value or lower limit is 0 or less: relative gap not calculated")
    return _gap_rows(keys, by, ("most_value", "least_value"), a, b, se_diff, se_log, levels, n_abs, n_rel)


def core20_gap(
    data: pd.DataFrame,
    numerator: str,
    denominator: str,
    decile: str,
    *,
    statistic: str = "rate",
    multiplier: float | None = None,
    by: str | Sequence[str] | None = None,
    confidence: float | Sequence[float] = 0.95,
) -> pd.DataFrame:
    """Gap between Core20 (national IMD deciles 1-2) and the rest, from the counts.

    Parameters
    ----------
    data : pandas.DataFrame
        Rows with an event count, a population and the national IMD decile
        (1 = most deprived) of the area they belong to.
    numerator, denominator, decile : str
        Column names.
    statistic : {"rate", "proportion"}
        Poisson counts per population, or events out of a denominator.
    multiplier : float, optional
        Default 100000 for rates, 1 for proportions.
    by, confidence
        As for the other indicator functions.

    Returns
    -------
    pandas.DataFrame
        Two rows per group (``gap`` = "absolute", "relative"): ``core20_value``,
        ``rest_value``, ``value`` (Core20 minus rest, or Core20 / rest), interval
        columns and ``note``.  Rows with no decile are excluded and counted in a
        ToolkitWarning.

    Notes
    -----
    Counts are pooled: O₁, n₁ over deciles 1-2 and O₂, n₂ over deciles 3-10.
    Rates rᵢ = Oᵢ/nᵢ: difference (r₁ − r₂) ± z·√(O₁/n₁² + O₂/n₂²), ratio
    exp(ln(r₁/r₂) ± z·√(1/O₁ + 1/O₂)) (Poisson, Wald on the log scale).
    Proportions pᵢ = Oᵢ/nᵢ: difference ± z·√(p₁(1−p₁)/n₁ + p₂(1−p₂)/n₂) (Wald),
    ratio exp(ln(p₁/p₂) ± z·√((1−p₁)/O₁ + (1−p₂)/O₂)) (Katz log method).
    Values and limits are multiplied by ``multiplier`` for the difference.
    """
    data = check_frame(data)
    by = as_by(by)
    levels = levels_of(confidence)
    if statistic not in ("rate", "proportion"):
        raise DataError(f"statistic must be 'rate' or 'proportion', not {statistic!r}", column="statistic",
                        fix="choose rate or proportion")
    mult = multiplier if multiplier is not None else (100_000.0 if statistic == "rate" else 1.0)
    require_columns(data, [numerator, denominator, decile, *by])
    d = numeric_column(data, decile, allow_missing=True, what="decile")
    bad = ~np.isnan(d) & ~np.isin(d, np.arange(1, 11))
    if bad.any():
        raise DataError("IMD deciles must be whole numbers 1 to 10", column=decile, rows=sheet_rows(bad),
                        count=int(bad.sum()), fix="use national IMD deciles (1 = most deprived)")
    miss = np.isnan(d)
    if miss.any():
        warnings.warn(ToolkitWarning(f"{int(miss.sum())} row(s) have no IMD decile and are left out of the Core20 "
                                     "gap", code="gaps.no_decile"), stacklevel=2)
        data = data.loc[~miss].reset_index(drop=True)
        d = d[~miss]
    o = numeric_column(data, numerator)
    n = numeric_column(data, denominator, what="denominator")
    check_nonnegative(o, numerator)
    check_positive(n, denominator, what="denominator")
    if statistic == "proportion":
        check_not_above(o, n, numerator, denominator)
    codes, keys = group_codes(data, by)
    k = len(keys)
    core = d <= 2
    o1 = np.bincount(codes, weights=np.where(core, o, 0.0), minlength=k)
    n1 = np.bincount(codes, weights=np.where(core, n, 0.0), minlength=k)
    o2 = np.bincount(codes, weights=np.where(core, 0.0, o), minlength=k)
    n2 = np.bincount(codes, weights=np.where(core, 0.0, n), minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        p1, p2 = o1 / n1, o2 / n2
        if statistic == "rate":
            se_diff = np.sqrt(o1 / n1 ** 2 + o2 / n2 ** 2) * mult
            se_log = np.sqrt(1 / o1 + 1 / o2)
        else:
            se_diff = np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2) * mult
            se_log = np.sqrt((1 - p1) / o1 + (1 - p2) / o2)
    n_abs, n_rel = [], []
    for g in range(k):
        if n1[g] == 0 or n2[g] == 0:
            msg = f"no {'Core20' if n1[g] == 0 else 'non-Core20'} population: gap not calculated"
            n_abs.append(msg)
            n_rel.append(msg)
        else:
            n_abs.append(None)
            n_rel.append(None if o1[g] > 0 and o2[g] > 0 else "no events on one side: relative gap not calculated")
    return _gap_rows(keys, by, ("core20_value", "rest_value"), p1 * mult, p2 * mult, se_diff, se_log,
                     levels, n_abs, n_rel)
