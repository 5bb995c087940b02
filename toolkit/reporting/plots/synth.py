"""Charts for synthetic control results (matplotlib, NHS style).

Each function returns a :class:`matplotlib.figure.Figure`; ``*_alt`` functions give alt text.
"""

from __future__ import annotations

from toolkit.plotting import legend_above, new_figure, NHS
from toolkit.reporting.language import fmt_number

__all__ = ["trajectory_plot", "trajectory_alt", "placebo_plot", "placebo_alt", "weights_plot", "placebo_band",
           "trajectory_panels", "BAND_MAX_RATIO_PRE"]


def trajectory_plot(result, *, ylabel: str | None = None, xlabel: str = "Period", title: str | None = None):
    """The treated unit (solid blue, circles) against its synthetic control (dashed grey, squares).

    Returns
    -------
    matplotlib.figure.Figure
    """
    g = result.gaps
    fig, ax = new_figure()
    ax.plot(g["time"], g["treated"], color=NHS["blue"], marker="o", markersize=3.5, linewidth=2,
            label=str(result.extra.get("treated_unit", "Treated")))
    ax.plot(g["time"], g["synthetic"], color=NHS["dark_grey"], marker="s", markersize=3, linewidth=2,
            linestyle="--", label="Synthetic control")
    start = g.loc[g["post"], "time"].iloc[0]
    ax.axvline(start, color=NHS["dark_blue"], linestyle=":", linewidth=1.5, label="Scheme starts")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or result.outcome)
    if title:
        ax.set_title(title)
    legend_above(ax, ncol=3)
    fig.tight_layout()
    return fig


def trajectory_alt(result) -> str:
    g = result.gaps
    return (f"Line chart of {result.outcome} for {result.extra.get('treated_unit')} and its synthetic control "
            f"from {g['time'].iloc[0]} to {g['time'].iloc[-1]}. Before the scheme the lines track each other "
            f"(pre-period RMSPE {fmt_number(result.pre_rmspe)}); afterwards the treated unit is on average "
            f"{fmt_number(result.estimate)} away from the synthetic control.")


def placebo_plot(result, *, max_ratio_pre: float | None = None, ylabel: str | None = None,
                 xlabel: str = "Period", title: str | None = None):
    """Gaps for the treated unit (thick blue) and every placebo (thin grey).

    Parameters
    ----------
    max_ratio_pre : float, optional
        Hide placebos whose pre-period RMSPE exceeds this multiple of the treated
        unit's (ADH 2010 show cut-offs of 2, 5 and 20).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if result.placebo_gaps is None:
        raise ValueError("the result has no placebos; fit with placebo=True")
    pg, pl = result.placebo_gaps, result.placebos.set_index("unit")
    treated = result.extra.get("treated_unit")
    fig, ax = new_figure()
    shown = 0
    for unit, d in pg.groupby("unit", sort=False):
        if unit == treated:
            continue
        if max_ratio_pre is not None and pl.loc[unit, "pre_rmspe"] > max_ratio_pre * result.pre_rmspe:
            continue
        ax.plot(d["time"], d["gap"], color=NHS["dark_grey"], alpha=0.35, linewidth=1,
                label="Placebo (donor treated in turn)" if shown == 0 else None)
        shown += 1
    d = pg[pg["unit"] == treated]
    ax.plot(d["time"], d["gap"], color=NHS["blue"], linewidth=2.5, marker="o", markersize=3, label=str(treated))
    ax.axhline(0, color=NHS["text"], linewidth=0.8)
    start = result.gaps.loc[result.gaps["post"], "time"].iloc[0]
    ax.axvline(start, color=NHS["dark_blue"], linestyle=":", linewidth=1.5, label="Scheme starts")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or f"Gap in {result.outcome} (treated − synthetic)")
    if title:
        ax.set_title(title)
    legend_above(ax, ncol=3)
    fig.tight_layout()
    return fig


def placebo_alt(result) -> str:
    n = len(result.placebos) if result.placebos is not None else 0
    return (f"Line chart of the gap between each area and its synthetic control: {result.extra.get('treated_unit')} "
            f"as a thick line and {n - 1} placebo areas as thin grey lines. The treated unit's post/pre RMSPE ratio "
            f"ranks {int(result.placebos['rank'].iloc[0])} of {n} (placebo p = {fmt_number(result.p_value)}).")


def weights_plot(result, *, top: int = 10, title: str | None = None):
    """Horizontal bars of the largest donor weights (labelled with their values)."""
    w = result.weights.head(top).iloc[::-1]
    w = w[w["weight"] > 0]
    fig, ax = new_figure(height=max(2.5, 0.4 * len(w) + 1))
    ax.barh(w["unit"].astype(str), w["weight"], color=NHS["blue"], edgecolor=NHS["dark_blue"])
    for y, v in enumerate(w["weight"]):
        ax.text(v, y, f" {v:.3f}", va="center", fontsize=9, color=NHS["text"])
    ax.set_xlabel("Weight in the synthetic control")
    ax.set_ylabel("Donor")
    ax.set_xlim(0, min(1.0, w["weight"].max() * 1.25) if len(w) else 1)
    if title:
        ax.set_title(title)
    fig.tight_layout()
    return fig


#: placebos whose pre-scheme fit error (RMSPE) exceeds this multiple of the treated area's are left out of the
#: placebo band: a gap from a comparison that never fitted says nothing about chance (Abadie, Diamond and
#: Hainmueller 2010 show cut-offs of 2, 5 and 20 times)
BAND_MAX_RATIO_PRE = 5.0


def placebo_band(result, *, max_ratio_pre: float = BAND_MAX_RATIO_PRE):
    """Per period: the lowest and highest placebo gap, and the same for gaps added up since the start.

    Placebos are the donors treated in turn as if they had the scheme (``result.placebo_gaps``),
    keeping those whose pre-scheme RMSPE is at most ``max_ratio_pre`` times the treated area's.

    Returns
    -------
    DataFrame or None
        ``time, low, high, cum_low, cum_high, n_placebos``; ``None`` without placebos.

    Notes
    -----
    This is not a confidence interval: it is the range of gaps that arose where there was no scheme.
    A treated gap outside it at a period is larger than every kept placebo's there, the pointwise
    analogue of the placebo test's smallest p-value 1 / (placebos + 1).
    """
    import pandas as pd

    if result.placebo_gaps is None or result.placebos is None:
        return None
    treated = result.extra.get("treated_unit")
    pl = result.placebos.set_index("unit")
    keep = [u for u in pl.index if u != treated and pl.loc[u, "pre_rmspe"] <= max_ratio_pre * result.pre_rmspe]
    if len(keep) < 2:
        return None
    pg = result.placebo_gaps[result.placebo_gaps["unit"].isin(keep)]
    wide = pg.pivot(index="time", columns="unit", values="gap").sort_index()
    post = result.gaps.set_index("time")["post"].reindex(wide.index).fillna(False).astype(bool)
    cum = wide.where(post, 0.0).cumsum().where(post)
    return pd.DataFrame({"time": wide.index, "low": wide.min(axis=1).to_numpy(), "high": wide.max(axis=1).to_numpy(),
                         "cum_low": cum.min(axis=1).to_numpy(), "cum_high": cum.max(axis=1).to_numpy(),
                         "n_placebos": len(keep)})


def trajectory_panels(result, *, ylabel: str, xlabel: str = "Period", treated_label: str | None = None,
                      gap_label: str = "Gap", cumulative_label: str = "Gap added up\nsince the start"):
    """The area against its synthetic control, with the placebo band, and the gap and cumulative gap below.

    Returns
    -------
    matplotlib.figure.Figure
        Top: the area (solid blue, circles) and its synthetic control (dashed grey, squares) with a
        hatched band = synthetic control + the range of placebo gaps (:func:`placebo_band`).  Middle:
        the gap each period (triangles) inside the placebo range.  Bottom: the gap added up since
        the start (diamonds) inside the range of the placebos' added-up gaps.  Legends sit above the
        axes, off the data; a dotted line marks the start.
    """
    import matplotlib.pyplot as plt

    from toolkit.plotting import style_axes

    g = result.gaps
    band = placebo_band(result)
    fig, axes = plt.subplots(3, 1, figsize=(8, 9.5), sharex=True, gridspec_kw={"height_ratios": [2.2, 1, 1]})
    for ax in axes:
        style_axes(ax)
    ax = axes[0]
    if band is not None:
        b = band.set_index("time").reindex(g["time"])
        ax.fill_between(g["time"], g["synthetic"].to_numpy() + b["low"].to_numpy(),
                        g["synthetic"].to_numpy() + b["high"].to_numpy(), facecolor=NHS["pale_grey"],
                        edgecolor=NHS["dark_grey"], hatch="///", linewidth=0.0, alpha=0.9,
                        label=f"Range of placebo gaps ({int(band['n_placebos'].iloc[0])} comparison areas)")
    ax.plot(g["time"], g["treated"], color=NHS["blue"], marker="o", markersize=3.5, linewidth=2,
            label=treated_label or str(result.extra.get("treated_unit", "Treated")))
    ax.plot(g["time"], g["synthetic"], color=NHS["dark_grey"], marker="s", markersize=3, linewidth=2,
            linestyle="--", label="Synthetic control")
    ax.set_ylabel(ylabel)
    legend_above(ax)
    post = g[g["post"]]
    cum = post["gap"].cumsum()
    panels = ((axes[1], g["time"], g["gap"], "low", "high", gap_label, "^"),
              (axes[2], post["time"], cum, "cum_low", "cum_high", cumulative_label, "D"))
    for ax, t, y, lo, hi, label, marker in panels:
        if band is not None:
            b = band.set_index("time").reindex(t)
            ax.fill_between(t, b[lo].to_numpy(), b[hi].to_numpy(), color=NHS["dark_grey"], alpha=0.18, linewidth=0)
        ax.plot(t, y, color=NHS["dark_blue"], marker=marker, markersize=3.5, linewidth=1.8)
        ax.axhline(0, color=NHS["text"], linewidth=0.8)
        ax.set_ylabel(label)
    start = post["time"].iloc[0]
    for ax in axes:
        ax.axvline(start, color=NHS["dark_blue"], linestyle=":", linewidth=1.5)
    axes[0].annotate("Scheme starts", xy=(start, 1), xycoords=("data", "axes fraction"), xytext=(4, -12),
                     textcoords="offset points", fontsize=9, color=NHS["dark_blue"])
    axes[2].set_xlabel(xlabel)
    fig.tight_layout()
    return fig
