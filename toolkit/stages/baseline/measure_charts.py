"""Charts for the baseline's measures: funnel plot, crude against age-standardised values, the SII
over time and the life-expectancy gap by cause and age.

NHS identity colours; nothing is told by colour alone (marker shapes and legend words), and
every chart is shown with alt text and its data table by :func:`toolkit.reporting.display.figure`.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from toolkit.plotting import NHS, new_figure

__all__ = ["funnel_chart", "standardised_chart", "sii_trend_chart", "le_gap_chart"]

_MARK = {"High (0.001)": ("^", NHS["dark_red"], "Above the 99.8% limit"),
         "High (0.025)": ("^", NHS["warm_yellow"], "Above the 95% limit"),
         "Low (0.001)": ("v", NHS["dark_red"], "Below the 99.8% limit"),
         "Low (0.025)": ("v", NHS["warm_yellow"], "Below the 95% limit"),
         "Not significant": ("o", NHS["dark_grey"], "Within the 95% limits")}


def funnel_chart(frame: pd.DataFrame, *, ylabel: str = "%", xlabel: str = "People (denominator)",
                 baseline_label: str = "ICB average"):
    """Funnel plot: each unit's value against its denominator, with 95% and 99.8% limits.

    ``frame`` is :func:`toolkit.indicators.funnel` output with limits ``lower_95``,
    ``upper_95``, ``lower_99_8``, ``upper_99_8`` (sorted by denominator).
    """
    fig, ax = new_figure(8.0, 5.0)
    f = frame.sort_values("denominator")
    x = f["denominator"].to_numpy(float)
    for name, style, label in (("95", "--", "95% limits"), ("99_8", ":", "99.8% limits")):
        ax.plot(x, f[f"lower_{name}"], color=NHS["dark_blue"], linestyle=style, linewidth=1.5, label=label)
        ax.plot(x, f[f"upper_{name}"], color=NHS["dark_blue"], linestyle=style, linewidth=1.5)
    ax.axhline(float(f["baseline"].iloc[0]), color=NHS["blue"], linewidth=2,
               label=f"{baseline_label}: {float(f['baseline'].iloc[0]):.1f}")
    for sig, (marker, colour, label) in _MARK.items():
        sel = f["significance"] == sig
        if sel.any():
            ax.scatter(f.loc[sel, "denominator"], f.loc[sel, "value"], marker=marker, s=26, color=colour,
                       edgecolor=NHS["text"], linewidth=0.4, label=f"{label} ({int(sel.sum())})", zorder=3)
    if x.min() > 0 and x.max() / x.min() > 20:
        from matplotlib.ticker import FuncFormatter

        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
        xlabel += " (log scale)"
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.02), ncol=2, frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def standardised_chart(table: pd.DataFrame, *, ylabel: str = "%"):
    """Crude and age-standardised values side by side for each group, with interval whiskers."""
    fig, ax = new_figure(8.0, 4.6)
    pos = np.arange(len(table))
    for off, (col, lo, hi, colour, hatch, label) in zip((-0.2, 0.2), (
            ("crude", "crude_lower", "crude_upper", NHS["blue"], None, "Crude"),
            ("standardised", "std_lower", "std_upper", NHS["pale_grey"], "//", "Age-standardised"))):
        v = table[col].to_numpy(float)
        err = np.vstack([v - table[lo].to_numpy(float), table[hi].to_numpy(float) - v])
        ax.bar(pos + off, np.nan_to_num(v), width=0.38, color=colour, hatch=hatch, edgecolor=NHS["dark_blue"],
               label=label)
        ax.errorbar(pos + off, np.nan_to_num(v), yerr=np.nan_to_num(err), fmt="none", ecolor=NHS["text"], capsize=3)
    ax.set_xticks(pos, ["\n".join(textwrap.wrap(str(g), 14)) for g in table["group"]], fontsize=8)
    ax.set_ylabel(ylabel)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.02), ncol=2, frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def sii_trend_chart(frame: pd.DataFrame, *, ylabel: str = "SII (percentage points)"):
    """The SII per period with its interval (points and whiskers), joined by a line."""
    fig, ax = new_figure(8.0, 4.2)
    pos = np.arange(len(frame))
    v = frame["sii"].to_numpy(float)
    err = np.vstack([v - frame["sii_lower"].to_numpy(float), frame["sii_upper"].to_numpy(float) - v])
    ax.plot(pos, v, color=NHS["blue"], linewidth=1.5)
    ax.errorbar(pos, v, yerr=err, fmt="o", color=NHS["blue"], ecolor=NHS["text"], capsize=4, label="SII with interval")
    ax.axhline(0, color=NHS["dark_grey"], linewidth=1)
    ax.set_xticks(pos, [str(p) for p in frame["period"]])
    ax.set_ylabel(ylabel)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.02), frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def le_gap_chart(decomposition, *, top: int = 8):
    """Two panels: the life-expectancy gap by cause of death and by age band (years)."""
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, 2, figsize=(10.0, 4.8))
    bc = decomposition.by_cause.head(top)
    axes[0].barh(np.arange(len(bc)), bc["contribution"], color=NHS["blue"])
    axes[0].set_yticks(np.arange(len(bc)), ["\n".join(textwrap.wrap(str(c), 20)) for c in bc["cause"]], fontsize=8)
    axes[0].invert_yaxis()
    axes[0].set_xlabel("Years of the gap")
    axes[0].set_title("By cause of death", loc="left", fontsize=10)
    ba = decomposition.by_age
    axes[1].bar(np.arange(len(ba)), ba["contribution"], color=NHS["dark_blue"])
    axes[1].set_xticks(np.arange(len(ba)), ba["age_band"], rotation=90, fontsize=7)
    axes[1].set_ylabel("Years of the gap")
    axes[1].set_title("By age band", loc="left", fontsize=10)
    axes[0].axvline(0, color=NHS["dark_grey"], linewidth=0.8)
    axes[1].axhline(0, color=NHS["dark_grey"], linewidth=0.8)
    for ax in axes:
        ax.spines[["top", "right"]].set_visible(False)
    fig.suptitle(f"Gap in life expectancy: {decomposition.gap:.1f} years", x=0.01, ha="left", fontsize=11)
    fig.tight_layout()
    return fig
