"""Charts for synthetic control results (matplotlib, NHS style).

Each function returns a :class:`matplotlib.figure.Figure`; ``*_alt`` functions give alt text.
"""

from __future__ import annotations

from toolkit.plotting import NHS, new_figure
from toolkit.reporting.language import fmt_number

__all__ = ["trajectory_plot", "trajectory_alt", "placebo_plot", "placebo_alt", "weights_plot"]


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
    ax.legend(frameon=False, fontsize=9)
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
    ax.legend(frameon=False, fontsize=9)
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
