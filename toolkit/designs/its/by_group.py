"""ITS within groups (e.g. IMD quintiles), with a test that the effect differs across them."""

from __future__ import annotations

from typing import Any

import pandas as pd

from toolkit.designs._timeseries import check_columns, heterogeneity, missing_rows
from toolkit.designs.its.model import segmented
from toolkit.errors import DataError, DesignError

__all__ = ["segmented_by"]


def segmented_by(data: pd.DataFrame, outcome: str, time: str, treatment_start: Any, *, by: str,
                 **kwargs: Any) -> pd.DataFrame:
    """Run :func:`segmented` within each group of ``by`` and test for a gradient.

    Parameters
    ----------
    data : pandas.DataFrame
        Long data: one row per group and period.
    outcome, time, treatment_start
        As for :func:`segmented`.
    by : str
        Grouping column, e.g. ``"imd_quintile"`` (1 = most deprived).  Groups are
        taken in sorted order.
    **kwargs
        Passed to :func:`segmented` (``control`` is not supported here).

    Returns
    -------
    pandas.DataFrame
        Tidy table: for each group the ``level_change`` and ``slope_change`` rows
        (``group`` — the value of ``by`` —, term, estimate, se, ci_low, ci_high,
        p_value, n_obs), then for each term a Cochran's Q test that the effect is the
        same in every group and, when the groups are numbered (quintiles, deciles), an
        inverse-variance weighted gradient across them, ranked by their numbers (see
        :func:`toolkit.designs.heterogeneity.heterogeneity`), with ``group`` = "all
        groups".  Groups that cannot be analysed are listed with the reason in ``note``.

    Notes
    -----
    Groups are analysed separately, so their estimates are independent and the Q
    test and gradient use their own SEs (log scale for rate ratios).
    """
    check_columns(data, {"by": by}, what="the data")
    if kwargs.get("control") is not None:
        raise DesignError("segmented_by does not take a comparison series; run segmented() per group instead")
    if data[by].isna().any():
        rows = missing_rows(data, by)
        raise DataError("group is missing", column=by, rows=tuple(rows[:5]), count=len(rows),
                        fix="assign every row to a group")
    out = []
    ratio = kwargs.get("family", "gaussian") != "gaussian"
    for key in sorted(data[by].unique()):
        sub = data[data[by] == key]
        try:
            r = segmented(sub, outcome, time, treatment_start, **kwargs)
        except (DesignError, DataError) as exc:
            out.append({"group": key, "term": "level_change", "note": str(exc)})
            continue
        tab = r.table[r.table["term"].isin(["level_change", "slope_change"])].copy()
        tab.insert(0, "group", key)
        tab["note"] = "; ".join(r.warnings)
        out.append(tab)
    frames = [o if isinstance(o, pd.DataFrame) else pd.DataFrame([o]) for o in out]
    res = pd.concat(frames, ignore_index=True)
    extra = []
    for term in ("level_change", "slope_change"):
        sub = res[(res["term"] == term) & res["estimate"].notna()] if "estimate" in res else res.iloc[0:0]
        h = heterogeneity(sub, by="group", log_scale=ratio, level=kwargs.get("level", 0.95))
        h["term"] = term + "_" + h["term"]
        extra.append(h)
    return pd.concat([res] + extra, ignore_index=True)
