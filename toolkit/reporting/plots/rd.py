"""Charts for regression discontinuity results (matplotlib, NHS style).

Each function returns a :class:`matplotlib.figure.Figure`; ``*_alt`` functions give alt text.
"""

from __future__ import annotations

from toolkit.plotting import legend_above, new_figure, NHS
from toolkit.reporting.language import fmt_number

__all__ = ["binned_scatter", "binned_scatter_alt", "sensitivity_plot", "sensitivity_alt"]


def binned_scatter(result, *, xlabel: str = "Running variable", ylabel: str | None = None, title: str | None = None):
    """Binned means each side of the cutoff with the local linear fits.

    Below the cutoff: blue circles and a solid line; above: dark-grey squares and a
    dashed line; the cutoff as a dotted vertical line.  Point size grows with the
    number of units in the bin.

    Returns
    -------
    matplotlib.figure.Figure
    """
    b, lines = result.bins, result.fit_lines
    c = result.extra["cutoff"]
    fig, ax = new_figure()
    style = {"below": (NHS["blue"], "o", "-"), "above": (NHS["dark_grey"], "s", "--")}
    nmax = max(b["n"].max(), 1)
    for side in ("below", "above"):
        colour, marker, ls = style[side]
        d = b[b["side"] == side]
        ax.scatter(d["x"], d["y"], s=12 + 48 * d["n"] / nmax, marker=marker, color=colour, alpha=0.8,
                   label=f"Average in a band, {'below' if side == 'below' else 'at or above'} the threshold")
        f = lines[lines["side"] == side].sort_values("x")
        ax.plot(f["x"], f["fitted"], color=colour, linestyle=ls, linewidth=2.2,
                label=f"Straight-line fit ({'below' if side == 'below' else 'at or above'})")
    ax.axvline(c, color=NHS["dark_blue"], linestyle=":", linewidth=1.5, label=f"Threshold ({fmt_number(c)})")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or result.outcome)
    if title:
        ax.set_title(title)
    legend_above(ax)
    fig.tight_layout()
    return fig


def binned_scatter_alt(result) -> str:
    return (f"Scatter chart of mean {result.outcome} in bins of the running variable either side of the cutoff "
            f"{fmt_number(result.extra['cutoff'])}, with straight-line fits within the bandwidth "
            f"({fmt_number(result.extra['h_left'])}). The jump at the cutoff is estimated at "
            f"{fmt_number(result.estimate)} (robust {result.level * 100:g}% CI {fmt_number(result.ci_low)} to "
            f"{fmt_number(result.ci_high)}).")


def sensitivity_plot(result, *, title: str | None = None):
    """Estimates (points) with conventional (thick) and robust (thin, capped) intervals by bandwidth.

    Returns
    -------
    matplotlib.figure.Figure
    """
    s = result.sensitivity
    if s is None or s.empty:
        raise ValueError("the result has no sensitivity table; fit with sensitivity=(0.5, 1, 2) or similar")
    fig, ax = new_figure()
    x = s["h_left"].to_numpy()
    ax.errorbar(x, s["estimate"], yerr=[s["estimate"] - s["robust_ci_low"], s["robust_ci_high"] - s["estimate"]],
                fmt="none", ecolor=NHS["dark_grey"], elinewidth=1, capsize=4,
                label="95% interval allowing for curvature (headline)")
    ax.errorbar(x, s["estimate"], yerr=[s["estimate"] - s["ci_low"], s["ci_high"] - s["estimate"]],
                fmt="o", color=NHS["blue"], ecolor=NHS["blue"], elinewidth=3, markersize=6,
                label="Estimate and simple 95% interval")
    opt = s[s["multiplier"] == 1.0]
    if len(opt):
        ax.scatter(opt["h_left"], opt["estimate"], marker="D", s=70, facecolor=NHS["warm_yellow"],
                   edgecolor=NHS["text"], zorder=5, label="Width chosen from the data (headline)")
    ax.axhline(0, color=NHS["text"], linewidth=0.8)
    ax.set_xlabel("Width of the band either side of the threshold")
    ax.set_ylabel(f"Estimated jump in {result.outcome}")
    if title:
        ax.set_title(title)
    legend_above(ax)
    fig.tight_layout()
    return fig


def sensitivity_alt(result) -> str:
    s = result.sensitivity
    return (f"Chart of the estimated jump in {result.outcome} at {len(s)} bandwidths from "
            f"{fmt_number(s['h_left'].min())} to {fmt_number(s['h_left'].max())}; estimates range from "
            f"{fmt_number(s['estimate'].min())} to {fmt_number(s['estimate'].max())}.")
