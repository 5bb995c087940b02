"""Population attributable fraction of the deprivation gap, with a delta-method interval.

"How much lower would the rate be if everyone had the least deprived quintile's rate?"
Own implementation; formulas in :func:`attributable_fraction`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

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

__all__ = ["attributable_fraction"]


def attributable_fraction(
    data: pd.DataFrame,
    numerator: str,
    denominator: str,
    quantile: str,
    *,
    reference: int | None = None,
    kind: str = "proportion",
    multiplier: float | None = None,
    confidence: float = 0.95,
) -> dict:
    """Population attributable fraction (PAF) of the deprivation gap.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per deprivation group: events and people.
    numerator, denominator, quantile : str
        Columns: count, population, group number (1 = most deprived).
    reference : int, optional
        The group whose rate everyone is given (default: the least deprived,
        the largest quantile number).
    kind : {"proportion", "rate"}
        Binomial (variance O(1 − O/n)) or Poisson (variance O) counts.
    multiplier : float, optional
        Scale of the rates reported (100 for proportions, 100,000 for rates).
    confidence : float
        Level of the interval.

    Returns
    -------
    dict
        ``value`` (PAF as a fraction), ``lower_ci``, ``upper_ci``, ``se_log``
        (SE of log(1 − PAF)), ``level``, ``overall_rate``, ``reference_rate``
        (on the multiplier's scale), ``excess`` (events above what the reference
        rate would give: O − r_ref·N), ``excess_lower``, ``excess_upper``,
        ``events``, ``n``, ``reference``, ``method``.

    Notes
    -----
    r = O/N over everyone, r_ref = O_ref/N_ref in the reference group::

        PAF = (r − r_ref)/r = 1 − r_ref/r,     excess = O·PAF = O − r_ref·N

    With g = log(1 − PAF) = log O_ref − log N_ref − log O + log N and
    O = O_ref + O_other (independent counts), the delta method gives
    var(g) = (1/O_ref − 1/O)²·V_ref + V_other/O², V the binomial (O(1 − O/n),
    summed over groups) or Poisson (O) variance; limits 1 − exp(g ± z·√var(g)).
    The excess's limits are O times the PAF's (O treated as fixed).  A negative
    PAF means the reference group's rate is *higher* than the population's (for
    an outcome where higher is better, −PAF is the share by which the whole
    population falls short of the reference group).
    """
    data = check_frame(data)
    if kind not in ("proportion", "rate"):
        raise DataError(f"kind must be 'proportion' or 'rate', not {kind!r}", column="kind",
                        fix="use kind='proportion' or kind='rate'")
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
    ref = int(q.max()) if reference is None else int(reference)
    is_ref = q == ref
    if not is_ref.any():
        raise DataError(f"reference group {ref} is not in the data", column=quantile,
                        fix=f"choose one of {sorted(int(x) for x in q)}")
    mult = float(multiplier if multiplier is not None else (100 if kind == "proportion" else 100_000))
    O, N = o.sum(), n.sum()
    o_ref, n_ref = o[is_ref].sum(), n[is_ref].sum()
    if o_ref <= 0 or O <= 0:
        raise DataError("the reference group (or everyone) has no events, so no attributable fraction",
                        column=numerator, fix="combine periods or choose another reference group")
    var_each = o * (1.0 - o / n) if kind == "proportion" else o.copy()
    v_ref, v_oth = var_each[is_ref].sum(), var_each[~is_ref].sum()
    g = np.log(o_ref / n_ref) - np.log(O / N)
    var_g = (1.0 / o_ref - 1.0 / O) ** 2 * v_ref + v_oth / O ** 2
    se = float(np.sqrt(var_g))
    z = z_of(level)
    paf = 1.0 - np.exp(g)
    lo, hi = 1.0 - np.exp(g + z * se), 1.0 - np.exp(g - z * se)
    return {"value": float(paf), "lower_ci": float(lo), "upper_ci": float(hi), "se_log": se, "level": level,
            "overall_rate": float(O / N * mult), "reference_rate": float(o_ref / n_ref * mult),
            "excess": float(O * paf), "excess_lower": float(O * lo), "excess_upper": float(O * hi),
            "events": float(O), "n": float(N), "reference": ref,
            "method": "population attributable fraction 1 − r_ref/r, delta-method interval on log(1 − PAF)"}
