"""Does an effect differ across groups, and does it follow their order?  (Cochran's Q and a weighted gradient.)

Used by :func:`toolkit.designs.its.segmented_by` and :func:`toolkit.designs.rd.fit_by`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.errors import DesignError

__all__ = ["group_ranks", "heterogeneity"]


def group_ranks(values) -> np.ndarray | None:
    """Each group's rank on an ordered scale (its own value), or None when the groups are not ordered.

    Ordered groups are numbered ones — IMD quintiles 1-5, deciles 1-10 — whose numbers
    are whole (numeric or text such as ``"3"``).  Names (ethnic groups, other PLUS
    groups) have no order, whatever their alphabetical order, so they get None.
    """
    v = pd.Series(values)
    if v.empty:
        return None
    if pd.api.types.is_bool_dtype(v):
        return None
    num = pd.to_numeric(v, errors="coerce")
    if num.isna().any():
        return None
    arr = num.to_numpy(dtype=float)
    if not np.all(np.isfinite(arr)) or np.any(arr != np.round(arr)):
        return None
    return arr


def heterogeneity(groups: pd.DataFrame, *, by: str, log_scale: bool = False, level: float = 0.95,
                  ordered: bool | None = None) -> pd.DataFrame:
    """Does an effect differ across groups, and does it follow their order?

    Parameters
    ----------
    groups : pandas.DataFrame
        One row per group with columns ``by``, ``estimate`` and ``se`` (the estimate
        and SE the test should use: for RD the robust bias-corrected ones).
    by : str
        Name of the grouping column.
    log_scale : bool
        Whether estimates are ratios whose ``se`` is on the log scale.
    level : float
        Confidence level of the gradient's interval.
    ordered : bool, optional
        Whether the groups are ordered (quintiles, deciles).  By default they are
        when every group is a whole number (:func:`group_ranks`); named groups
        (ethnicity and other PLUS groups) get no gradient.  ``True`` with named
        groups is refused.

    Returns
    -------
    pandas.DataFrame
        ``"difference_across_groups"`` (Cochran's Q test that all groups share one
        effect; ``estimate`` = Q, df in ``df``) and, for ordered groups only,
        ``"gradient"`` (the inverse-variance weighted slope of the effect on the
        group's own number — a missing quintile leaves a gap in the scale, it does
        not close it — with its SE and p-value; a ratio per step when
        ``log_scale``; ``level`` in ``level``).

    Notes
    -----
    With θᵢ the group effects (log ratios when ``log_scale``), wᵢ = 1/SEᵢ² and
    θ̄ = Σwᵢθᵢ/Σwᵢ: Q = Σwᵢ(θᵢ − θ̄)², compared with χ²(k − 1).  The gradient is the
    weighted least-squares slope of θᵢ on rᵢ, the group's value (quintile 1..5),
    with weights wᵢ and known variances, SE = 1/√(Σwᵢ(rᵢ − r̄_w)²), interval
    slope ± z·SE with z = Φ⁻¹(1 − (1 − level)/2), normal p-value.  The groups are
    treated as independent samples (true when they are disjoint sets of areas or
    people).  Both are closed-form (written here; scipy supplies the χ² and normal tails).
    """
    g = groups.dropna(subset=["estimate", "se"])
    g = g[g["se"] > 0]
    theta = np.log(g["estimate"].to_numpy(float)) if log_scale else g["estimate"].to_numpy(float)
    se = g["se"].to_numpy(float)
    k = len(theta)
    ranks = group_ranks(g[by]) if k else None
    if ordered and k and ranks is None:
        raise DesignError(f"a gradient needs ordered groups (numbered, like quintiles 1-5); '{by}' holds names")
    if ordered is False:
        ranks = None
    nan = float("nan")
    rows = []
    if k >= 2:
        w = 1 / se**2
        tbar = np.sum(w * theta) / np.sum(w)
        q = float(np.sum(w * (theta - tbar) ** 2))
        rows.append({"term": "difference_across_groups", "estimate": q, "se": nan, "ci_low": nan,
                     "ci_high": nan, "p_value": float(stats.chi2.sf(q, k - 1)), "df": k - 1, "level": nan})
        if ranks is not None:
            r = ranks
            rbar = np.sum(w * r) / np.sum(w)
            sxx = np.sum(w * (r - rbar) ** 2)
            slope = float(np.sum(w * (r - rbar) * (theta - tbar)) / sxx)
            s_se = float(1 / np.sqrt(sxx))
            z = stats.norm.ppf(0.5 + level / 2)
            lo, hi = slope - z * s_se, slope + z * s_se
            p = float(2 * stats.norm.sf(abs(slope / s_se)))
            if log_scale:
                slope, lo, hi = np.exp(slope), np.exp(lo), np.exp(hi)
            rows.append({"term": "gradient", "estimate": float(slope), "se": s_se, "ci_low": float(lo),
                         "ci_high": float(hi), "p_value": p, "df": nan, "level": level})
    out = pd.DataFrame(rows, columns=["term", "estimate", "se", "ci_low", "ci_high", "p_value", "df", "level"])
    out.insert(0, by, "all groups")
    return out
