"""Charts of difference-in-differences results: the event-time plot and its alt text.

Works for :class:`toolkit.designs.did.EventStudyResult` and a ``"dynamic"``
:class:`toolkit.designs.did.AggregateResult` (Callaway–Sant'Anna) alike: both
carry a ``table`` with ``event_time``, ``period`` ("pre" / "post" / "reference"),
``estimate``, ``ci_low`` and ``ci_high``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.errors import DesignError
from toolkit.plotting import NHS
from toolkit.reporting.formatting import fmt_number

__all__ = ["event_time_plot", "event_time_alt"]


def _event_table(result) -> pd.DataFrame:
    extra = getattr(result, "extra", {}) or {}
    if "kind" in extra and extra.get("kind") != "dynamic":
        raise DesignError("An event-time chart needs aggregate('dynamic'), not "
                          f"aggregate({extra.get('kind')!r}).")
    return result.table


def event_time_plot(result, ax=None, *, title: str | None = None):
    """Coefficients with confidence intervals by event time.

    NHS Blue circles after adoption, Dark Grey squares before it (shape as
    well as colour), the reference period as a hollow marker at zero, a line at
    no effect and a dashed line just before adoption.  Returns the matplotlib
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
    ax.set_xlabel("Periods since adoption (event time)")
    ax.set_ylabel(f"Effect on {result.outcome}")
    default = (f"Effect on {result.outcome} by time since adoption (Callaway & Sant'Anna)"
               if "kind" in (result.extra or {}) else f"Event study: effect on {result.outcome} by time since adoption")
    ax.set_title(title or default)
    ax.legend(frameon=False, fontsize="small")
    ax.spines[["top", "right"]].set_visible(False)
    fig.tight_layout()
    return fig


def event_time_alt(result) -> str:
    """A sentence describing :func:`event_time_plot` for screen readers."""
    tab = _event_table(result).dropna(subset=["event_time"])
    p_pre = (result.extra or {}).get("pretrend", {}).get("p_value") if "kind" not in (result.extra or {}) else None
    pre = tab[tab["period"] == "pre"]
    post = tab[tab["period"] == "post"]
    parts = [
        f"Chart of the estimated effect on {result.outcome} by periods since adoption, from "
        f"{tab['event_time'].min():g} to {tab['event_time'].max():g}, with confidence intervals."
    ]
    if len(pre):
        txt = (f"Before adoption the estimates range from {fmt_number(pre['estimate'].min())} to "
               f"{fmt_number(pre['estimate'].max())}")
        if p_pre is not None and np.isfinite(p_pre):
            txt += f" (joint test of no difference before adoption: p = {p_pre:.2g})"
        parts.append(txt + ".")
    if len(post):
        parts.append(f"After adoption they range from {fmt_number(post['estimate'].min())} to "
                     f"{fmt_number(post['estimate'].max())}.")
    return " ".join(parts)
