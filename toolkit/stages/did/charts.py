"""Charts of the difference-in-differences panel, each with alt text and its data.

The event-time and sensitivity charts of fitted results are in :mod:`toolkit.reporting.plots.did`.

Every function returns ``(figure, data, alt)``: the matplotlib figure, the
table behind it (shown beside the chart) and alt text that states what the
chart shows.  Series differ by marker and line style as well as colour
(NHS palette from :mod:`toolkit.plotting`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.plotting import LINESTYLES, MARKERS, NHS, SERIES, new_figure
from toolkit.reporting.formatting import fmt_interval, fmt_number, fmt_p
from toolkit.stages.did.structure import cohort_name
from toolkit.stages.did.treatment import FIRST, PERIOD, UNIT, DidData
from toolkit.stages.did.wording import group_label

__all__ = ["group_means", "trends_figure", "timing_figure", "quintile_figure", "forest_rows"]


def group_means(dd: DidData) -> pd.DataFrame:
    """Mean outcome per period for each adoption group (weighted when a weight is mapped).

    Returns a wide table: ``Period`` then one column per group.
    """
    d = dd.data
    w = d["weight"].astype(float) if dd.has("weight") else pd.Series(1.0, index=d.index)
    tmp = pd.DataFrame({"g": d[FIRST], "t": d[PERIOD], "wy": w * d["outcome"].astype(float), "w": w})
    tmp = tmp[np.isfinite(tmp["wy"])]
    agg = tmp.groupby(["g", "t"])[["wy", "w"]].sum()
    means = (agg["wy"] / agg["w"]).unstack("g")
    order = sorted(means.columns, key=lambda v: (v == 0, v))
    means = means[order]
    means.columns = [cohort_name(dd, int(g)) for g in order]
    means.insert(0, "Period", [dd.scale.label(t) for t in means.index])
    return means.reset_index(drop=True)


def trends_figure(dd: DidData, *, outcome_label: str = "outcome"):
    """Average outcome over time in each adoption group and in never-treated units.

    A vertical line (in the group's colour and line style) marks each group's start.
    """
    data = group_means(dd)
    groups = [c for c in data.columns if c != "Period"]
    order = sorted(dd.data[FIRST].unique(), key=lambda v: (v == 0, v))
    fig, ax = new_figure(9.0, 4.8)
    x = np.arange(1, len(data) + 1)
    every = max(1, len(x) // 12)
    for i, (name, g) in enumerate(zip(groups, order)):
        colour, marker, ls = SERIES[i % len(SERIES)], MARKERS[i % len(MARKERS)], LINESTYLES[i % len(LINESTYLES)]
        ax.plot(x, data[name], color=colour, marker=marker, linestyle=ls, markevery=every, markersize=5,
                linewidth=1.6, label=name)
        if g:
            ax.axvline(g - 0.5, color=colour, linestyle=ls, linewidth=1, alpha=0.9)
    ticks = x[::max(1, len(x) // 8)]
    ax.set_xticks(ticks, [data["Period"].iloc[t - 1] for t in ticks], rotation=0)
    ax.set_ylabel(outcome_label)
    ax.set_title(f"Average {outcome_label} by adoption group", loc="left", fontsize=12)
    ax.legend(frameon=False, fontsize="small", ncols=min(4, len(groups)), loc="upper left", bbox_to_anchor=(0, -0.1))
    fig.tight_layout()
    starts = ["s" + n[1:] for n in groups if n.startswith("Started")]
    alt = (f"Line chart of the average {outcome_label} each {dd.scale.unit_name} from {data['Period'].iloc[0]} to "
           f"{data['Period'].iloc[-1]}, one line per group: " + ", ".join(starts)
           + (", and units never treated" if "Never treated" in groups else "")
           + ". Vertical lines mark when each group started. Before the starts the lines should move in "
           "parallel if the comparison is fair.")
    return fig, data, alt


def timing_figure(dd: DidData):
    """Who is treated when: one bar per adoption group, shaded once the group has started."""
    g_unit = dd.first_treated
    order = sorted(g_unit.unique(), key=lambda v: (v == 0, v))
    n_t = dd.scale.n_periods
    fig, ax = new_figure(9.0, 0.6 * len(order) + 1.4)
    rows = []
    for i, g in enumerate(order):
        y = len(order) - i
        n = int((g_unit == g).sum())
        before = (g - 1) if g else n_t
        ax.barh(y, before, left=0.5, height=0.6, color=NHS["pale_grey"], edgecolor=NHS["dark_grey"])
        if g:
            ax.barh(y, n_t - g + 1, left=g - 0.5, height=0.6, color=NHS["blue"], edgecolor=NHS["dark_blue"],
                    hatch="//")
        rows.append({"Group": cohort_name(dd, int(g)), "Units": n,
                     "Untreated periods": int(before), "Treated periods": int(n_t - g + 1) if g else 0})
    ax.set_yticks([len(order) - i for i in range(len(order))],
                  [f"{r['Group']} ({r['Units']} units)" for r in rows])
    ticks = np.arange(1, n_t + 1, max(1, int(np.ceil(n_t / 7))))
    ax.set_xticks(ticks, [dd.scale.label(t) for t in ticks])
    ax.set_xlim(0.5, n_t + 0.5)
    ax.grid(False)
    from matplotlib.patches import Patch

    ax.legend(handles=[Patch(facecolor=NHS["pale_grey"], edgecolor=NHS["dark_grey"], label="Not yet treated"),
                       Patch(facecolor=NHS["blue"], edgecolor=NHS["dark_blue"], hatch="//", label="Treated")],
              frameon=False, fontsize="small", loc="upper left", bbox_to_anchor=(0, -0.15), ncols=2)
    fig.tight_layout()
    alt = ("Bar chart of when each group of units was treated: " + "; ".join(
        f"{r['Group'][0].lower() + r['Group'][1:]}, {r['Units']} units" for r in rows) + f". The time axis runs from {dd.scale.label(1)} "
        f"to {dd.scale.label(n_t)}; grey bars are periods before the scheme, blue hatched bars periods after it started.")
    return fig, pd.DataFrame(rows), alt


def forest_rows(table: pd.DataFrame, *, most_deprived=(1,)) -> tuple[pd.DataFrame, list[str]]:
    """The rows of a forest plot of effects by deprivation group: no duplicate and no empty rows.

    The "most deprived" row is dropped when the most deprived group is a single quintile (it repeats
    that quintile's row, which is then labelled as the most deprived); rows without an estimate are
    dropped and named.

    Returns
    -------
    (DataFrame, list of str)
        The rows to draw, and the labels of the rows left out for want of an estimate.
    """
    tab = table.reset_index(drop=True).copy()
    if len(list(most_deprived)) == 1:
        q = f"quintile {list(most_deprived)[0]}"
        is_q = tab["term"].astype(str) == q
        if is_q.any():
            tab = tab[tab["group"] != "most_deprived"]
            tab.loc[tab["term"].astype(str) == q, "term"] = f"{q} (most deprived)"
    empty = ~np.isfinite(tab["estimate"].astype(float))
    missing = [str(t) for t in tab.loc[empty, "term"]]
    return tab[~empty].reset_index(drop=True), missing


def quintile_figure(equity_table: pd.DataFrame, *, outcome_label: str, level: float):
    """Effect within each deprivation quintile, the most deprived group, the rest and the gap.

    Point estimates with confidence intervals, one row each; the gap row is
    drawn as a diamond.
    """
    tab = equity_table.reset_index(drop=True)
    fig, ax = new_figure(8.0, 0.45 * len(tab) + 1.6)
    y = np.arange(len(tab))[::-1]
    for yi, (_, r) in zip(y, tab.iterrows()):
        is_gap = r["group"] == "gap"
        colour = NHS["dark_red"] if is_gap else NHS["blue"] if r["group"] == "quintile" else NHS["dark_blue"]
        if np.isfinite(r["estimate"]):
            lo = r["estimate"] - r["ci_low"] if np.isfinite(r["ci_low"]) else 0
            hi = r["ci_high"] - r["estimate"] if np.isfinite(r["ci_high"]) else 0
            ax.errorbar([r["estimate"]], [yi], xerr=[[lo], [hi]], fmt="D" if is_gap else "o", color=colour,
                        ecolor=colour, capsize=3, markersize=6)
    ax.axvline(0, color=NHS["dark_grey"], linewidth=1)
    names = [group_label(t) + ("" if np.isfinite(r["ci_low"]) else " (no interval)")
             for t, (_, r) in zip(tab["term"], tab.iterrows())]
    ax.set_yticks(y, names)
    ax.set_xlabel(f"Effect on {outcome_label} ({level * 100:g}% confidence interval)")
    ax.grid(axis="x", color=NHS["pale_grey"])
    ax.grid(axis="y", visible=False)
    fig.tight_layout()
    gap = tab[tab["group"] == "gap"]
    parts = [f"{r['term']}: {fmt_number(r['estimate'])}" for _, r in tab[tab["group"] == "quintile"].iterrows()
             if np.isfinite(r["estimate"])]
    alt = (f"Chart of the estimated effect on {outcome_label} in each deprivation quintile (1 = most deprived), "
           f"with confidence intervals: " + "; ".join(parts) + ".")
    if len(gap) and np.isfinite(gap["estimate"].iloc[0]):
        g = gap.iloc[0]
        alt += (f" The difference between the most deprived and the rest (effect on the gap) is "
                f"{fmt_number(g['estimate'])}, interval {fmt_interval(g['ci_low'], g['ci_high'])}.")
    data = tab[["term", "estimate", "ci_low", "ci_high", "p_value", "n_obs"]].rename(columns={
        "term": "Group", "estimate": "Effect", "ci_low": "Lower limit", "ci_high": "Upper limit",
        "p_value": "p-value", "n_obs": "Rows used"})
    data["Group"] = data["Group"].map(group_label)
    data["p-value"] = data["p-value"].map(fmt_p)
    return fig, data, alt
