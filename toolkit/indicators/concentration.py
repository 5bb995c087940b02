"""Concentration index across ordered deprivation groups, with the Wagstaff and Erreygers corrections.

Own implementation of the grouped-data formulas of Kakwani, Wagstaff & van Doorslaer
(1997, *J Econometrics* 77:87-103), with the corrections for bounded outcomes of
Wagstaff (2005, *Health Econ* 14:429-432) and Erreygers (2009, *J Health Econ* 28:504-515).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.errors import DataError
from toolkit.indicators.confidence import levels_of, z_of
from toolkit.indicators._validate import (
    check_frame,
    check_nonnegative,
    check_not_above,
    check_positive,
    numeric_column,
    require_columns,
    sheet_rows,
)

__all__ = ["concentration_index"]

_CORRECTIONS = (None, "wagstaff", "erreygers")


def concentration_index(
    data: pd.DataFrame,
    numerator: str,
    denominator: str,
    quantile: str,
    *,
    kind: str = "proportion",
    correction: str | None = None,
    bounds: tuple[float, float] = (0.0, 1.0),
    confidence: float = 0.95,
) -> dict:
    """Concentration index of an outcome across deprivation groups (1 = most deprived).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per group: events (people with the outcome) and people.
    numerator, denominator, quantile : str
        Columns: count, population, group number (1 = most deprived, ranked first).
    kind : {"proportion", "rate"}
        Binary outcome (within-group variance p(1 − p)) or a Poisson count per
        person (variance μ).
    correction : {None, "wagstaff", "erreygers"}
        For a bounded outcome (a proportion): Wagstaff's normalisation
        W = C·μ(b − a)/((b − μ)(μ − a)), or Erreygers' corrected index
        E = 4μC/(b − a).
    bounds : (a, b)
        Bounds of the outcome for the corrections (0 and 1 for a proportion).
    confidence : float
        Level of the interval.

    Returns
    -------
    dict
        ``value`` (the index, corrected if asked), ``se``, ``lower_ci``,
        ``upper_ci``, ``p`` (two-sided, against 0), ``level``, ``ci`` (the
        uncorrected C), ``mean`` (μ), ``n`` (people), ``method`` and ``table``
        (the groups with their share, mean, rank Rₜ and cumulative outcome qₜ).

    Notes
    -----
    Groups t = 1..T in order from most to least deprived, fₜ = population share,
    μₜ = group mean, μ = Σfₜμₜ, fractional rank Rₜ = Σ_{j<t} fⱼ + fₜ/2, cumulative
    outcome share qₜ = Σ_{j≤t} fⱼμⱼ/μ (q₀ = 0)::

        C      = (2/μ) Σ fₜ μₜ Rₜ − 1
        var(C) = (1/n)[Σ fₜ aₜ² − (1 + C)²] + (1/(nμ²)) Σ fₜ σₜ² (2Rₜ − 1 − C)²
        aₜ     = (μₜ/μ)(2Rₜ − 1 − C) + 2 − qₜ₋₁ − qₜ

    (Kakwani, Wagstaff & van Doorslaer 1997, eqs. for grouped data), n = Σ people,
    σₜ² = μₜ(1 − μₜ) (proportion) or μₜ (rate).  C equals the slope of the
    "convenient regression" 2σ_R²·yᵢ/μ = α + βRᵢ on the individual records
    (O'Donnell et al. 2008, ch. 8).  A positive index means the outcome is
    concentrated in the less deprived groups.  The corrected indices scale C and
    its SE by the same factor (μ treated as fixed).  Interval: value ± z·SE.
    """
    data = check_frame(data)
    if kind not in ("proportion", "rate"):
        raise DataError(f"kind must be 'proportion' or 'rate', not {kind!r}", column="kind",
                        fix="use kind='proportion' or kind='rate'")
    if correction not in _CORRECTIONS:
        raise DataError(f"correction must be None, 'wagstaff' or 'erreygers', not {correction!r}",
                        column="correction", fix="choose one of them")
    (level,) = levels_of(confidence)
    require_columns(data, [numerator, denominator, quantile])
    o = numeric_column(data, numerator)
    check_nonnegative(o, numerator)
    n = numeric_column(data, denominator, what="population")
    check_positive(n, denominator)
    if kind == "proportion":
        check_not_above(o, n, numerator, denominator)
    q = numeric_column(data, quantile, what="quantile")
    dup = pd.Series(q).duplicated(keep=False).to_numpy()
    if dup.any():
        raise DataError("a quantile appears more than once", column=quantile, rows=sheet_rows(dup),
                        count=int(dup.sum()), fix="aggregate to one row per quantile")
    if len(q) < 2:
        raise DataError("the concentration index needs at least two groups", column=quantile, count=len(q),
                        fix="give every deprivation quantile")
    order = np.argsort(q)
    o, n, q = o[order], n[order], q[order]
    total = n.sum()
    f = n / total
    mu_t = o / n
    mu = float(f @ mu_t)
    if mu <= 0:
        raise DataError("the outcome is zero in every group, so no concentration index", column=numerator,
                        fix="check the numerator")
    R = np.cumsum(f) - f / 2.0
    C = float(2.0 / mu * np.sum(f * mu_t * R) - 1.0)
    qcum = np.cumsum(f * mu_t) / mu
    qlag = np.r_[0.0, qcum[:-1]]
    a = mu_t / mu * (2.0 * R - 1.0 - C) + 2.0 - qlag - qcum
    var_t = mu_t * (1.0 - mu_t) if kind == "proportion" else mu_t
    var = (np.sum(f * a * a) - (1.0 + C) ** 2) / total + np.sum(f * var_t * (2.0 * R - 1.0 - C) ** 2) / (total * mu * mu)
    se = float(np.sqrt(max(var, 0.0)))
    lo_b, hi_b = (float(bounds[0]), float(bounds[1]))
    factor = 1.0
    method = "concentration index (Kakwani, Wagstaff & van Doorslaer 1997; grouped data, delta-method SE)"
    if correction is not None:
        if not (lo_b < mu < hi_b):
            raise DataError(f"the mean {mu:.4g} is not inside the bounds {bounds}", column="bounds",
                            fix="give the outcome's true minimum and maximum (0 and 1 for a proportion)")
        if correction == "wagstaff":
            factor = (hi_b - lo_b) * mu / ((hi_b - mu) * (mu - lo_b))
            method = "Wagstaff-normalised " + method
        else:
            factor = 4.0 * mu / (hi_b - lo_b)
            method = "Erreygers-corrected " + method
    value, se_v = C * factor, se * factor
    z = z_of(level)
    p = float(2 * stats.norm.sf(abs(value / se_v))) if se_v > 0 else np.nan
    table = pd.DataFrame({"quantile": q, "numerator": o, "denominator": n, "share": f, "mean": mu_t,
                          "rank": R, "cumulative_outcome": qcum})
    return {"value": value, "se": se_v, "lower_ci": value - z * se_v, "upper_ci": value + z * se_v, "p": p,
            "level": level, "ci": C, "mean": mu, "n": float(total), "correction": correction, "method": method,
            "table": table}
