"""Data completeness: ethnicity not stated, areas with no IMD decile, and what they could do to the gap.

All shares are of people (the summed denominator; one per record in person-level
data), so that a cell of 40 people weighs forty times a cell of one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.baseline.aggregate import NOT_STATED_LABEL

__all__ = ["completeness_by_period", "not_stated_by_quintile", "core20_gap_bounds", "gap_if_unknown_joined",
           "worst_case_gap_bounds"]


def _audit(frame: pd.DataFrame, has_ethnicity: bool) -> dict:
    people = float(frame["denominator"].sum())
    no_imd = float(frame.loc[frame["imd_decile"].isna(), "denominator"].sum())
    row = {"people": people, "no_imd": no_imd, "no_imd_pct": no_imd / people * 100 if people else np.nan}
    if has_ethnicity:
        ns = float(frame.loc[frame["ethnicity"] == NOT_STATED_LABEL, "denominator"].sum())
        row.update(not_stated=ns, not_stated_pct=ns / people * 100 if people else np.nan)
    return row


def completeness_by_period(cells: pd.DataFrame, *, latest_only: bool = False) -> pd.DataFrame:
    """Share of people with ethnicity not stated and with no IMD decile, by period and overall.

    Parameters
    ----------
    cells : pandas.DataFrame
        Cells from :func:`toolkit.baseline.aggregate` (``denominator``,
        ``imd_decile``, optional ``period`` and ``ethnicity``).

    latest_only : bool
        For a snapshot extract (:func:`toolkit.baseline.period_scope` with
        ``"latest"``): the last row is the latest period, labelled "Latest period
        (…)", instead of every period added up (which would count people once per period).

    Returns
    -------
    pandas.DataFrame
        ``period`` (the last row is "All periods", or the latest period), ``people``, ``no_imd``,
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
    if latest_only and len(rows):
        rows.append({**rows[-1], "period": f"Latest period ({rows[-1]['period']})"})
    else:
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

    Two scenarios that assume the unknowns keep their own average rate wherever they
    go; they are **not** bounds (see :func:`worst_case_gap_bounds`).

    Returns
    -------
    (float, float)
        ((O₁+Oᵤ)/(n₁+nᵤ) − O₂/n₂,  O₁/n₁ − (O₂+Oᵤ)/(n₂+nᵤ)).
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        into1 = (o1 + ou) / (n1 + nu) - o2 / n2
        into2 = o1 / n1 - (o2 + ou) / (n2 + nu)
    return float(into1), float(into2)


def worst_case_gap_bounds(o1: float, n1: float, o2: float, n2: float, ou: float, nu: float,
                          *, max_points: int = 2_000_001) -> tuple[float, float]:
    """Sharp worst-case bounds on the gap p₁ − p₂ when nᵤ people (with Oᵤ events) have no group.

    Parameters
    ----------
    o1, n1, o2, n2 : float
        Events and people known to be in group 1 (Core20) and group 2 (the rest).
    ou, nu : float
        Events and people whose group is unknown.
    max_points : int
        Above this many possible splits, k is scanned on an even grid of this many points.

    Returns
    -------
    (float, float)
        The smallest and largest gap (as proportions) over every way of placing the
        unknowns: any k of them in group 1 and the rest in group 2, carrying any
        e of their Oᵤ events with them.

    Notes
    -----
    Nothing is assumed about the unknowns except their number nᵤ and their total
    events Oᵤ (both observed): not that they share one rate wherever they live.  For a
    split k, group 1 gets e events with max(0, Oᵤ − (nᵤ − k)) ≤ e ≤ min(Oᵤ, k), and
    gap(k, e) = (O₁ + e)/(n₁ + k) − (O₂ + Oᵤ − e)/(n₂ + nᵤ − k) increases with e, so for
    each k the extremes are at the two ends of e's range; the bounds are the min and max
    of those over k = 0 … nᵤ (Manski 1989's worst-case bounds for a missing covariate,
    here computed by exhaustive scan; own code).
    """
    if not (n1 > 0 and n2 > 0):
        return float("nan"), float("nan")
    if nu <= 0:
        g = o1 / n1 - o2 / n2
        return float(g), float(g)
    if nu + 1 <= max_points:
        k = np.arange(0.0, np.floor(nu) + 1)
        if k[-1] < nu:
            k = np.append(k, nu)
    else:
        k = np.linspace(0.0, nu, max_points)
    e_hi = np.minimum(ou, k)
    e_lo = np.maximum(0.0, ou - (nu - k))
    def gap(e):
        return (o1 + e) / (n1 + k) - (o2 + ou - e) / (n2 + nu - k)
    return float(gap(e_lo).min()), float(gap(e_hi).max())


def core20_gap_bounds(cells: pd.DataFrame) -> dict:
    """How far the people with no IMD decile could move the Core20 gap.

    Parameters
    ----------
    cells : pandas.DataFrame
        Cells from :func:`toolkit.baseline.aggregate`.

    Returns
    -------
    dict
        ``gap`` (observed, Core20 minus the rest, percentage points); ``low`` and
        ``high``: **worst-case bounds** (no assumption about where the unknowns
        live or which of them had the events; :func:`worst_case_gap_bounds`);
        ``gap_if_core20`` and ``gap_if_rest``: two **scenarios that assume** the
        unknowns all lived on one side and had their own average rate (not
        bounds: a split between the two sides can lie outside them);
        ``unknown`` (people with no decile), ``unknown_pct`` (% of people),
        ``unknown_value`` (their indicator, %), ``method`` (how the bounds were found).

    Notes
    -----
    With O₁/n₁ the Core20 events and people, O₂/n₂ the rest's and Oᵤ/nᵤ those of
    the people with no decile, the observed gap is g = O₁/n₁ − O₂/n₂.  Scenarios:
    g₁ = (O₁+Oᵤ)/(n₁+nᵤ) − O₂/n₂ (all unknowns in Core20), g₂ = O₁/n₁ −
    (O₂+Oᵤ)/(n₂+nᵤ) (all elsewhere).  They are not bounds: with n₁ = n₂ = 100,
    p₁ = 0.6, p₂ = 0.4 and 1,000 unknowns at 50%, both scenarios give 10.9 points
    while a half-and-half split gives 3.3.  The bounds place any number of the
    unknowns on either side with any share of their events.  Neither is a
    confidence interval.
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
    low, high = worst_case_gap_bounds(o1, n1, o2, n2, ou, nu)
    total = n1 + n2 + nu
    return {
        "gap": g * 100, "gap_if_core20": g1 * 100, "gap_if_rest": g2 * 100,
        "low": low * 100, "high": high * 100,
        "unknown": nu, "unknown_pct": nu / total * 100 if total else np.nan,
        "unknown_value": ou / nu * 100 if nu else np.nan,
        "method": ("worst-case bounds: the people with no IMD decile placed in Core20 or the rest in every "
                   "possible split, carrying any share of their events (no assumption about their rates)"),
    }
