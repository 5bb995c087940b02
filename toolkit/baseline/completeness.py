"""Data completeness: ethnicity not stated, areas with no IMD decile, and what they could do to the gap.

All shares are of people (the summed denominator; one per record in person-level
data), so that a cell of 40 people weighs forty times a cell of one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.baseline.aggregate import NOT_STATED_LABEL

__all__ = ["completeness_by_period", "not_stated_by_quintile", "core20_gap_bounds", "gap_if_unknown_joined"]


def _audit(frame: pd.DataFrame, has_ethnicity: bool) -> dict:
    people = float(frame["denominator"].sum())
    no_imd = float(frame.loc[frame["imd_decile"].isna(), "denominator"].sum())
    row = {"people": people, "no_imd": no_imd, "no_imd_pct": no_imd / people * 100 if people else np.nan}
    if has_ethnicity:
        ns = float(frame.loc[frame["ethnicity"] == NOT_STATED_LABEL, "denominator"].sum())
        row.update(not_stated=ns, not_stated_pct=ns / people * 100 if people else np.nan)
    return row


def completeness_by_period(cells: pd.DataFrame) -> pd.DataFrame:
    """Share of people with ethnicity not stated and with no IMD decile, by period and overall.

    Parameters
    ----------
    cells : pandas.DataFrame
        Cells from :func:`toolkit.baseline.aggregate` (``denominator``,
        ``imd_decile``, optional ``period`` and ``ethnicity``).

    Returns
    -------
    pandas.DataFrame
        ``period`` (the last row is "All periods"), ``people``, ``no_imd``,
        ``no_imd_pct`` and, when ethnicity is mapped, ``not_stated``,
        ``not_stated_pct`` (percentages of people).

    Notes
    -----
    share = Σ denominator of the incomplete cells / Σ denominator × 100, per period.
    """
    has_eth = "ethnicity" in cells.columns
    rows = []
    if "period" in cells.columns:
        for period, part in cells.groupby("period", sort=True, observed=True):
            rows.append({"period": str(period), **_audit(part, has_eth)})
    rows.append({"period": "All periods", **_audit(cells, has_eth)})
    return pd.DataFrame(rows)


def not_stated_by_quintile(cells: pd.DataFrame) -> pd.DataFrame:
    """Share of people with ethnicity not stated in each IMD quintile (and with no decile).

    Returns
    -------
    pandas.DataFrame
        ``quintile`` ("Quintile 1 (most deprived)" ... "No IMD decile"),
        ``people``, ``not_stated``, ``not_stated_pct`` (%).
    """
    label = cells["imd_quintile"].map(
        lambda q: "No IMD decile" if pd.isna(q) else
        f"Quintile {int(q)}" + (" (most deprived)" if q == 1 else " (least deprived)" if q == 5 else ""))
    frame = cells.assign(quintile=label, ns=np.where(cells["ethnicity"] == NOT_STATED_LABEL, cells["denominator"], 0.0))
    out = frame.groupby("quintile", sort=True)[["denominator", "ns"]].sum().reset_index()
    out = out.rename(columns={"denominator": "people", "ns": "not_stated"})
    out["not_stated_pct"] = out["not_stated"] / out["people"] * 100
    out["_k"] = out["quintile"].str.startswith("No")
    return out.sort_values(["_k", "quintile"]).drop(columns="_k").reset_index(drop=True)


def gap_if_unknown_joined(o1: float, n1: float, o2: float, n2: float, ou: float, nu: float) -> tuple[float, float]:
    """Gap p₁ − p₂ (as proportions) if the unknowns all joined group 1, or all joined group 2.

    Returns
    -------
    (float, float)
        ((O₁+Oᵤ)/(n₁+nᵤ) − O₂/n₂,  O₁/n₁ − (O₂+Oᵤ)/(n₂+nᵤ)).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        into1 = (o1 + ou) / (n1 + nu) - o2 / n2
        into2 = o1 / n1 - (o2 + ou) / (n2 + nu)
    return float(into1), float(into2)


def core20_gap_bounds(cells: pd.DataFrame) -> dict:
    """How far the Core20 gap could move if everyone with no IMD decile belonged to one side.

    Parameters
    ----------
    cells : pandas.DataFrame
        Cells from :func:`toolkit.baseline.aggregate`.

    Returns
    -------
    dict
        ``gap`` (observed, Core20 minus the rest, percentage points),
        ``gap_if_core20`` (all unknowns in Core20), ``gap_if_rest`` (all in the
        rest), ``low`` and ``high`` (the bounds), ``unknown`` (people with no
        decile), ``unknown_pct`` (% of people), ``unknown_value`` (their indicator, %).

    Notes
    -----
    With O₁/n₁ the Core20 events and people, O₂/n₂ the rest's and Oᵤ/nᵤ those of
    the people with no decile, the observed gap is g = O₁/n₁ − O₂/n₂.  If all
    unknowns lived in Core20, g₁ = (O₁+Oᵤ)/(n₁+nᵤ) − O₂/n₂; if all lived
    elsewhere, g₂ = O₁/n₁ − (O₂+Oᵤ)/(n₂+nᵤ).  Sending a fraction f of them (with
    their own events) to Core20 gives a gap that is monotone in f (each side is a
    ratio of two positive linear functions of f), so every such split lies between
    g₁ and g₂: the bounds are [min(g₁, g₂), max(g₁, g₂)], × 100 for percentage points.
    These are sharp "worst case" bounds for missing deprivation (Manski-style),
    assuming only that the unknowns' events stay with them; they are not
    confidence intervals.
    """
    known = cells[cells["imd_decile"].notna()]
    unk = cells[cells["imd_decile"].isna()]
    core = known["core20"].astype(bool)
    o1, n1 = float(known.loc[core, "numerator"].sum()), float(known.loc[core, "denominator"].sum())
    o2, n2 = float(known.loc[~core, "numerator"].sum()), float(known.loc[~core, "denominator"].sum())
    ou, nu = float(unk["numerator"].sum()), float(unk["denominator"].sum())
    with np.errstate(divide="ignore", invalid="ignore"):
        g = o1 / n1 - o2 / n2 if n1 and n2 else np.nan
    g1, g2 = gap_if_unknown_joined(o1, n1, o2, n2, ou, nu) if n1 and n2 else (np.nan, np.nan)
    total = n1 + n2 + nu
    return {
        "gap": g * 100, "gap_if_core20": g1 * 100, "gap_if_rest": g2 * 100,
        "low": min(g1, g2) * 100, "high": max(g1, g2) * 100,
        "unknown": nu, "unknown_pct": nu / total * 100 if total else np.nan,
        "unknown_value": ou / nu * 100 if nu else np.nan,
    }
