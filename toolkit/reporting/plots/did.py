"""Charts of difference-in-differences results, each with its alt text and data table.

- the event-time plot (:func:`event_time_plot`, :func:`event_time_alt`, :func:`event_time_data`) works for
  :class:`toolkit.designs.did.EventStudyResult` and a ``"dynamic"``
  :class:`toolkit.designs.did.AggregateResult` (Callaway–Sant'Anna) alike: both carry a ``table`` with
  ``event_time``, ``period`` ("pre" / "post" / "reference"), ``estimate``, ``ci_low`` and ``ci_high``;
- the sensitivity to non-parallel trends (:func:`honest_plot`, :func:`honest_alt`, :func:`honest_data`) of a
  :class:`toolkit.designs.did.HonestResult`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from toolkit.errors import DesignError
from toolkit.plotting import NHS
from toolkit.reporting.formatting import fmt_interval, fmt_number, fmt_p

__all__ = ["event_time_plot", "event_time_alt", "event_time_data", "honest_plot", "honest_alt", "honest_data"]


def _event_table(result) -> pd.DataFrame:
    extra = getattr(result, "extra", {}) or {}
    if "kind" in extra and extra.get("kind") != "dynamic":
        raise DesignError("An event-time chart needs aggregate('dynamic'), not "
                          f"aggregate({extra.get('kind')!r}).")
    return result.table


def _units(unit: str) -> str:
    return unit[:1].upper() + unit[1:] + "s"


def event_time_plot(result, ax=None, *, title: str | None = None, unit: str = "period"):
    """Coefficients with confidence intervals by event time.

    NHS Blue circles after adoption, Dark Grey squares before it (shape as
    well as colour), the reference period as a hollow marker at zero, a line at
    no effect and a dashed line just before adoption.  ``unit`` names the time
    step on the axis ("month": "Months since adoption").  Returns the matplotlib
    Figure; never shows it.
    """
    import matplotlib.pyplot as plt  # lazy: matplotlib is slow to import

    tab = _event_table(result)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 4.2))
    else:
        fig = ax.figure
    pct = f"{result.level * 100:g}%"
    for period, colour, marker, label in (
        ("pre", NHS["dark_grey"], "s", "Before adoption"),
        ("post", NHS["blue"], "o", "After adoption"),
    ):
        sub = tab[tab["period"] == period]
        if len(sub):
            ax.errorbar(sub["event_time"], sub["estimate"],
                        yerr=[sub["estimate"] - sub["ci_low"], sub["ci_high"] - sub["estimate"]],
                        fmt=marker, color=colour, ecolor=colour, capsize=3, markersize=6,
                        label=f"{label} ({pct} CI)")
    ref = tab[tab["period"] == "reference"]
    if len(ref):
        ax.plot(ref["event_time"], np.zeros(len(ref)), marker="D", linestyle="none",
                markerfacecolor="white", markeredgecolor=NHS["dark_grey"], label="Reference period (set to 0)")
    ax.axhline(0.0, color=NHS["dark_grey"], linewidth=1)
    ax.axvline(-0.5, color=NHS["dark_grey"], linewidth=1, linestyle="--")
    ax.set_xlabel(f"{_units(unit)} since the start")
    ax.set_ylabel(f"Effect on {result.outcome}")
    default = (f"Effect on {result.outcome} by time since adoption (Callaway & Sant'Anna)"
               if "kind" in (result.extra or {}) else f"Event study: effect on {result.outcome} by time since adoption")
    ax.set_title(title or default)
    ax.legend(frameon=False, fontsize="small")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def event_time_alt(result, *, unit: str = "period", joint_test: bool = True) -> str:
    """A sentence describing :func:`event_time_plot` for screen readers.

    The range of event times and the level of the intervals; how many estimates come before and
    after adoption, their range, how many intervals before adoption exclude zero (and the joint
    pre-trend test of an event study, unless ``joint_test`` is False because it is not reliable),
    and the average after adoption.
    """
    tab = _event_table(result).dropna(subset=["event_time"])
    p_pre = (result.extra or {}).get("pretrend", {}).get("p_value") if "kind" not in (result.extra or {}) else None
    p_pre = p_pre if joint_test else None
    pre = tab[tab["period"] == "pre"]
    post = tab[tab["period"] == "post"]
    parts = [
        f"Chart of the estimated effect on {result.outcome} by {unit}s since adoption, from "
        f"{tab['event_time'].min():g} to {tab['event_time'].max():g}, with {result.level * 100:g}% confidence "
        f"intervals: {len(pre)} {unit}s before adoption and {len(post)} after."
    ]
    if len(pre):
        txt = (f"Before adoption the estimates range from {fmt_number(pre['estimate'].min())} to "
               f"{fmt_number(pre['estimate'].max())}")
        if p_pre is not None and np.isfinite(p_pre):
            txt += f" (joint test of no difference before adoption: p = {fmt_p(p_pre)})"
        excluding = int(((pre["ci_low"] > 0) | (pre["ci_high"] < 0)).sum())
        parts.append(txt + f"; {excluding} of their intervals exclude zero.")
    if len(post):
        parts.append(f"After adoption they range from {fmt_number(post['estimate'].min())} to "
                     f"{fmt_number(post['estimate'].max())}, averaging {fmt_number(post['estimate'].mean())}.")
    return " ".join(parts)


def event_time_data(result, *, unit: str = "period") -> pd.DataFrame:
    """The table behind :func:`event_time_plot`: event time, effect, limits, before or after."""
    tab = _event_table(result)
    tab = tab[tab["event_time"].notna()]
    data = tab[["event_time", "estimate", "ci_low", "ci_high", "period"]].rename(columns={
        "event_time": f"{_units(unit)} since start", "estimate": "Effect", "ci_low": "Lower limit",
        "ci_high": "Upper limit", "period": "Before or after"})
    data[data.columns[0]] = data[data.columns[0]].astype(int)
    data["Before or after"] = data["Before or after"].map(lambda v: _WHEN.get(v, v))
    return data.reset_index(drop=True)


_WHEN = {"pre": "before", "post": "after", "reference": "reference (set to zero)"}


def _honest_limits(result) -> tuple[list[float], list[float]]:
    tab = result.table
    return [result.original[0], *tab["ci_low"]], [result.original[1], *tab["ci_high"]]


def honest_plot(result, *, outcome_label: str):
    """Robust intervals by M beside the original interval (Rambachan & Roth sensitivity).

    The original interval (trends exactly parallel) as a Dark Grey square, then one NHS Blue
    interval per M; a line at no effect.  Returns the matplotlib Figure; never shows it.
    """
    import matplotlib.pyplot as plt  # lazy: slow to import

    tab = result.table
    fig, ax = plt.subplots(figsize=(7.5, 4.2))
    xs = list(range(len(tab) + 1))
    lows, highs = _honest_limits(result)
    mids = [(a + b) / 2 for a, b in zip(lows, highs)]
    ax.errorbar(xs[:1], mids[:1], yerr=[[mids[0] - lows[0]], [highs[0] - mids[0]]], fmt="s", color=NHS["dark_grey"],
                capsize=4, label="Original interval (trends exactly parallel)")
    ax.errorbar(xs[1:], mids[1:], yerr=[[m - a for m, a in zip(mids[1:], lows[1:])],
                                        [b - m for m, b in zip(mids[1:], highs[1:])]],
                fmt="o", color=NHS["blue"], capsize=4, label="Robust interval allowing trends to bend by M")
    ax.axhline(0.0, color=NHS["dark_grey"], linewidth=1)
    ax.set_xticks(xs, ["Original", *[f"{m:.3g}" for m in tab["M"]]])
    ax.set_xlabel("M: how much the difference in trends may bend per period")
    ax.set_ylabel(f"Effect on {outcome_label}")
    ax.set_title("How wrong could parallel trends be before the answer changes?")
    ax.legend(frameon=False, fontsize="small")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def honest_data(result) -> pd.DataFrame:
    """The table behind :func:`honest_plot`: M, lower and upper limit (the original interval first)."""
    lows, highs = _honest_limits(result)
    return pd.DataFrame({"How far the trends may bend (M)": ["none: trends exactly parallel",
                                                             *[f"{m:.3g}" for m in result.table["M"]]],
                         "Lower limit": lows, "Upper limit": highs})


def honest_alt(result, *, outcome_label: str, level: float = 0.95) -> str:
    """A sentence describing :func:`honest_plot` for screen readers."""
    tab = result.table
    lows, highs = _honest_limits(result)
    bd = (f"; the interval first includes no effect at a bend of {result.breakdown:.3g}"
          if math.isfinite(result.breakdown) else "")
    return (f"Chart of {level * 100:g}% confidence intervals for the effect on {outcome_label}: with trends exactly "
            f"parallel {fmt_interval(*result.original)}, then allowing the trends to bend by {tab['M'].min():.3g} to "
            f"{tab['M'].max():.3g} per period, widening from {fmt_interval(lows[1], highs[1])} to "
            f"{fmt_interval(lows[-1], highs[-1])}{bd}.")
