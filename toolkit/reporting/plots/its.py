"""Charts for interrupted time series results (matplotlib, NHS style).

Each function returns a :class:`matplotlib.figure.Figure` (never shows it);
``*_alt`` functions give the alt text a report must show with the chart.
"""

from __future__ import annotations

from toolkit.plotting import legend_above, new_figure, NHS
from toolkit.reporting.language import fmt_number

__all__ = ["counterfactual_plot", "counterfactual_alt", "counterfactual_panels", "counterfactual_band"]


def counterfactual_plot(result, *, rates: bool | None = None, ylabel: str | None = None,
                        xlabel: str = "Period", title: str | None = None, deseasonalised: bool = True):
    """Observed series, fitted segments and the counterfactual after the start.

    Parameters
    ----------
    result : ITSResult
        From :func:`toolkit.designs.its.segmented`.
    rates : bool, optional
        Plot ``*_rate`` columns (per ``result.extra['per']``) when available (default).
    ylabel, xlabel, title : str, optional
        Axis labels and title.
    deseasonalised : bool
        Draw the trend with seasonal terms held at their mean (smoother lines).

    Returns
    -------
    matplotlib.figure.Figure
        Observed points (blue circles), the fitted model (solid dark grey), the
        counterfactual (dashed warm-yellow line outlined in dark grey) and a vertical
        dotted line at the intervention start.
    """
    cf = result.counterfactual
    use_rate = ("observed_rate" in cf) if rates is None else (rates and "observed_rate" in cf)
    sfx = "_rate" if use_rate else ""
    fit_col = ("trend" if deseasonalised else "fitted") + sfx
    cf_col = ("counterfactual_trend" if deseasonalised else "counterfactual") + sfx
    fig, ax = new_figure()
    for name, marker, colour in (("intervention", "o", NHS["blue"]), ("comparison", "s", NHS["dark_grey"])):
        d = cf[cf["series"] == name]
        if d.empty:
            continue
        label = "Observed" if name == "intervention" else "Comparison series (observed)"
        ax.plot(d["time"], d["observed" + sfx], linestyle="none", marker=marker, markersize=4,
                color=colour, label=label, alpha=0.85 if name == "intervention" else 0.6)
        pre, post = d[~d["post"]], d[d["post"]]
        # the comparison's fitted line is dash-dotted, so the two trends differ by more than colour
        style = "-" if name == "intervention" else "-."
        ax.plot(pre["time"], pre[fit_col], color=NHS["dark_grey"], linewidth=2, linestyle=style,
                label=("Fitted trend (seasonality averaged)" if deseasonalised else "Fitted model")
                if name == "intervention" else "Comparison series (fitted)")
        ax.plot(post["time"], post[fit_col], color=NHS["dark_grey"], linewidth=2, linestyle=style)
        if name == "intervention":
            ax.plot(post["time"], post[cf_col], color=NHS["dark_grey"], linewidth=3.2, linestyle="--")
            ax.plot(post["time"], post[cf_col], color=NHS["warm_yellow"], linewidth=2, linestyle="--",
                    label="Expected without the scheme")
            ax.axvline(post["time"].iloc[0], color=NHS["dark_blue"], linestyle=":", linewidth=1.5,
                       label="Scheme starts")
    ax.set_xlabel(xlabel)
    per = result.extra.get("per", 100_000)
    ax.set_ylabel(ylabel or (f"{result.outcome} per {fmt_number(per)}" if use_rate else result.outcome))
    if title:
        ax.set_title(title)
    legend_above(ax)
    fig.tight_layout()
    return fig


def counterfactual_alt(result) -> str:
    """Alt text for :func:`counterfactual_plot`, with the headline numbers."""
    cf = result.counterfactual
    d = cf[cf["series"] == "intervention"]
    post = d[d["post"]]
    what = "rate ratio" if result.scale == "ratio" else "level change"
    return (f"Line chart of {result.outcome} over {len(d)} periods, with the intervention starting at "
            f"{post['time'].iloc[0]}. Dots show observed values, a solid line the fitted segmented trend and "
            f"a dashed line the expected values without the intervention. Estimated {what} at the start: "
            f"{fmt_number(result.estimate)} ({result.level * 100:g}% CI {fmt_number(result.ci_low)} to "
            f"{fmt_number(result.ci_high)}).")


def counterfactual_band(result, effects):
    """Per post-period: the counterfactual trend and its band, from the per-period effect and its interval.

    For counts the counterfactual trend is the fitted trend divided by the rate ratio at that period
    (the seasonal terms cancel), so its band is trend / upper .. trend / lower of the rate ratio's
    interval; for a Gaussian model it is trend − upper .. trend − lower of the difference's.
    """
    import pandas as pd

    cf = result.counterfactual
    d = cf[(cf["series"] == "intervention") & cf["post"]].reset_index(drop=True)
    sfx = "_rate" if "observed_rate" in d else ""
    ratio = result.scale == "ratio"
    e = effects[effects["measure"] == ("rate_ratio" if ratio else "difference")].sort_values("horizon")
    e = e.reset_index(drop=True).iloc[: len(d)]
    trend = d["trend" + sfx].to_numpy()
    if ratio:
        low, high = trend / e["ci_high"].to_numpy(), trend / e["ci_low"].to_numpy()
    else:
        low, high = trend - e["ci_high"].to_numpy(), trend - e["ci_low"].to_numpy()
    return pd.DataFrame({"time": d["time"], "counterfactual": d["counterfactual_trend" + sfx], "low": low,
                         "high": high})


def counterfactual_panels(result, effects, *, ylabel: str, xlabel: str = "Period", effect_label: str = "Effect",
                          cumulative_label: str = "Cumulative effect"):
    """The counterfactual chart with its band, and the effect each period and in total below it.

    Parameters
    ----------
    result : ITSResult
        From :func:`toolkit.designs.its.segmented`.
    effects : DataFrame
        That model's ``horizons`` at every period after the start (``horizons=range(n_post)``):
        ``horizon, time, measure, estimate, ci_low, ci_high``.
    ylabel, xlabel, effect_label, cumulative_label : str
        Axis labels of the three panels.

    Returns
    -------
    matplotlib.figure.Figure
        Top: observed values (blue circles), the fitted trend (solid dark grey), the expected
        values without the scheme (dashed, outlined yellow) inside a hatched interval band, and a
        dotted line at the start.  Middle: the estimated difference each period (triangles, with a
        shaded interval).  Bottom: the cumulative difference since the start (diamonds, shaded interval).
        Legends sit above the axes, off the data.

    Notes
    -----
    The band is the interval of the effect at each period (from the model's covariance, as in
    :func:`toolkit.designs.its.segmented`'s horizons) carried onto the counterfactual: the uncertainty
    in how far the scheme moved the series, not the month-to-month noise of single observations.
    """
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    from toolkit.plotting import style_axes

    cf = result.counterfactual
    d = cf[cf["series"] == "intervention"]
    sfx = "_rate" if "observed_rate" in d else ""
    pre, post = d[~d["post"]], d[d["post"]]
    band = counterfactual_band(result, effects)
    fig, axes = plt.subplots(3, 1, figsize=(8, 9.5), sharex=True, gridspec_kw={"height_ratios": [2.2, 1, 1]})
    for ax in axes:
        style_axes(ax)
    ax = axes[0]
    ax.fill_between(band["time"], band["low"], band["high"], facecolor=NHS["pale_grey"], edgecolor=NHS["dark_grey"],
                    hatch="///", linewidth=0.0, alpha=0.9,
                    label=f"{result.level * 100:g}% interval of the expected values")
    ax.plot(d["time"], d["observed" + sfx], linestyle="none", marker="o", markersize=4, color=NHS["blue"],
            label="Observed")
    ax.plot(pre["time"], pre["trend" + sfx], color=NHS["dark_grey"], linewidth=2, label="Fitted trend")
    ax.plot(post["time"], post["trend" + sfx], color=NHS["dark_grey"], linewidth=2)
    ax.plot(post["time"], post["counterfactual_trend" + sfx], color=NHS["dark_grey"], linewidth=3.2, linestyle="--")
    ax.plot(post["time"], post["counterfactual_trend" + sfx], color=NHS["warm_yellow"], linewidth=2, linestyle="--",
            label="Expected without the scheme")
    ax.set_ylabel(ylabel)
    legend_above(ax)
    ratio = result.scale == "ratio"
    point = effects[effects["measure"] == ("difference_in_events" if ratio else "difference")].sort_values("horizon")
    total = effects[effects["measure"] == "cumulative_difference"].sort_values("horizon")
    for ax, e, label, marker in ((axes[1], point, effect_label, "^"), (axes[2], total, cumulative_label, "D")):
        ax.fill_between(e["time"], e["ci_low"], e["ci_high"], color=NHS["blue"], alpha=0.18, linewidth=0)
        ax.plot(e["time"], e["estimate"], color=NHS["dark_blue"], marker=marker, markersize=3.5, linewidth=1.8)
        ax.axhline(0, color=NHS["text"], linewidth=0.8)
        ax.set_ylabel(label)
        if e["estimate"].abs().max() >= 1000:
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:,.0f}"))
    start = post["time"].iloc[0]
    for ax in axes:
        ax.axvline(start, color=NHS["dark_blue"], linestyle=":", linewidth=1.5)
    axes[0].annotate("Scheme starts", xy=(start, 1), xycoords=("data", "axes fraction"), xytext=(4, -12),
                     textcoords="offset points", fontsize=9, color=NHS["dark_blue"])
    axes[2].set_xlabel(xlabel)
    fig.tight_layout()
    return fig
