"""Charts for interrupted time series results (matplotlib, NHS style).

Each function returns a :class:`matplotlib.figure.Figure` (never shows it);
``*_alt`` functions give the alt text a report must show with the chart.
"""

from __future__ import annotations

from toolkit.plotting import NHS, new_figure
from toolkit.reporting.language import fmt_number

__all__ = ["counterfactual_plot", "counterfactual_alt"]


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
        ax.plot(pre["time"], pre[fit_col], color=NHS["dark_grey"], linewidth=2,
                label=("Fitted trend (seasonality averaged)" if deseasonalised else "Fitted model")
                if name == "intervention" else None)
        ax.plot(post["time"], post[fit_col], color=NHS["dark_grey"], linewidth=2)
        if name == "intervention":
            ax.plot(post["time"], post[cf_col], color=NHS["dark_grey"], linewidth=3.2, linestyle="--")
            ax.plot(post["time"], post[cf_col], color=NHS["warm_yellow"], linewidth=2, linestyle="--",
                    label="Counterfactual (no intervention)")
            ax.axvline(post["time"].iloc[0], color=NHS["dark_blue"], linestyle=":", linewidth=1.5,
                       label="Intervention start")
    ax.set_xlabel(xlabel)
    per = result.extra.get("per", 100_000)
    ax.set_ylabel(ylabel or (f"{result.outcome} per {fmt_number(per)}" if use_rate else result.outcome))
    if title:
        ax.set_title(title)
    ax.legend(frameon=False, fontsize=9)
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
