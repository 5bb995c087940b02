"""Multiple comparisons: adjusted p-values for families of subgroup or secondary effects.

An evaluation that reports the effect in each deprivation quintile (or
decile, or Core20PLUS group) and on several secondary outcomes makes many
tests; some will be "significant" by chance.  The primary estimate (the
pre-registered headline: the gap effect, or the primary outcome) is exempt;
every other p-value in the family is adjusted.

Uses :func:`statsmodels.stats.multitest.multipletests`.

Notes
-----
With :math:`m` p-values in the family sorted :math:`p_{(1)} \\le \\dots \\le p_{(m)}`:

- Holm (1979), family-wise error rate:
  :math:`\\tilde p_{(i)} = \\max_{j \\le i} \\min\\{1, (m - j + 1)\\,p_{(j)}\\}`;
- Benjamini & Hochberg (1995), false discovery rate:
  :math:`\\tilde p_{(i)} = \\min_{j \\ge i} \\min\\{1, m\\,p_{(j)}/j\\}`.

Missing p-values (not estimable subgroups) stay missing and do not count in
:math:`m`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Mapping, Sequence

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests

from toolkit.designs.result import DesignResult
from toolkit.errors import DesignError

__all__ = ["METHODS", "adjust_pvalues", "adjust_subgroups", "adjust_outcomes", "SUBGROUP_GROUPS"]

#: Our names -> statsmodels' method names.
METHODS = {"holm": "holm", "bh": "fdr_bh"}
LABELS = {"holm": "Holm (family-wise error rate)", "bh": "Benjamini-Hochberg (false discovery rate)"}
#: ``group`` values of an equity table that form the subgroup family.
SUBGROUP_GROUPS = ("quintile", "decile", "plus", "most_deprived", "rest")


def _check(method: str) -> str:
    if method not in METHODS:
        raise DesignError(f"method must be one of {tuple(METHODS)} ('holm' or 'bh'), not {method!r}")
    return METHODS[method]


def adjust_pvalues(p: Sequence[float], *, method: str = "holm") -> np.ndarray:
    """Adjusted p-values (module Notes); NaN stays NaN and is not counted.

    Parameters
    ----------
    p : sequence of float
        Unadjusted p-values of one family.
    method : {"holm", "bh"}
        Holm (family-wise error) or Benjamini-Hochberg (false discovery rate).
    """
    sm = _check(method)
    p = np.asarray(p, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.isfinite(p)
    if ok.any():
        out[ok] = multipletests(p[ok], method=sm)[1]
    return out


def adjust_subgroups(result: DesignResult, *, method: str = "holm",
                     groups: Sequence[str] = SUBGROUP_GROUPS) -> DesignResult:
    """Add ``p_adjusted`` to the subgroup rows of an equity-style result.

    Rows whose ``group`` is in ``groups`` (quintiles, deciles, PLUS groups,
    most deprived, rest) form the family; other rows -- the gap, which is the
    primary estimate -- keep their p-value as ``p_adjusted`` and are marked
    ``"exempt (primary)"`` in ``adjustment``.  The headline is unchanged.
    """
    _check(method)
    tab = result.table
    if tab is None or "group" not in tab:
        raise DesignError("the result has no table with a 'group' column (use an equity result)")
    tab = tab.copy()
    fam = tab["group"].isin(list(groups)).to_numpy()
    tab["p_adjusted"] = tab["p_value"].astype(float)
    tab.loc[fam, "p_adjusted"] = adjust_pvalues(tab.loc[fam, "p_value"].to_numpy(dtype=float), method=method)
    m = int(np.isfinite(tab.loc[fam, "p_value"].to_numpy(dtype=float)).sum())
    tab["adjustment"] = np.where(fam, f"{LABELS[method]}, {m} tests", "exempt (primary)")
    extra = dict(result.extra)
    extra["multiplicity"] = {"method": method, "label": LABELS[method], "family_size": m}
    return replace(result, table=tab, extra=extra)


def adjust_outcomes(results: Mapping[str, DesignResult], *, primary: str | None,
                    method: str = "holm") -> pd.DataFrame:
    """Headline effects of several outcomes with adjusted p-values, the primary exempt.

    Returns a DataFrame with ``outcome, estimate, ci_low, ci_high, p_value,
    p_adjusted, adjustment``; the family is every outcome except ``primary``.
    """
    _check(method)
    if primary is not None and primary not in results:
        raise DesignError(f"primary outcome {primary!r} is not among the results {list(results)}")
    rows = [{"outcome": k, "estimate": r.estimate, "ci_low": r.ci_low, "ci_high": r.ci_high,
             "p_value": r.p_value} for k, r in results.items()]
    tab = pd.DataFrame(rows)
    fam = (tab["outcome"] != primary).to_numpy()
    tab["p_adjusted"] = tab["p_value"].astype(float)
    tab.loc[fam, "p_adjusted"] = adjust_pvalues(tab.loc[fam, "p_value"].to_numpy(dtype=float), method=method)
    m = int(np.isfinite(tab.loc[fam, "p_value"].to_numpy(dtype=float)).sum())
    tab["adjustment"] = np.where(fam, f"{LABELS[method]}, {m} secondary outcomes", "exempt (primary)")
    return tab
