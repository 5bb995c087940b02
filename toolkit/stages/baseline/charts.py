"""Baseline charts: Fingertips-style bars with interval whiskers and a benchmark line; SPC chart.

NHS identity colours (:mod:`toolkit.plotting`); nothing is told by colour alone: the
benchmark is a labelled dashed line, special causes on the SPC chart have their own
marker shape and a legend entry in words, and every chart is shown with alt text and its
data table by :func:`toolkit.reporting.display.figure`.
"""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd

from toolkit.indicators import SPC_COLOURS
from toolkit.plotting import NHS, new_figure
from toolkit.reporting.formatting import fmt_number

__all__ = ["bar_chart", "sii_line", "comparison_kind", "COMPARISON_STYLE", "spc_chart", "completeness_chart", "SPC_MARKERS"]

#: Marker shape per kind of variation (Making Data Count colours alone fail 3:1 contrast).
SPC_MARKERS = {
    "common cause": "o",
    "special cause improvement": "^",
    "special cause concern": "v",
    "special cause neutral": "D",
}
_LEGEND = {
    "common cause": "Common cause (no signal)",
    "special cause improvement": "Special cause: improvement",
    "special cause concern": "Special cause: concern",
    "special cause neutral": "Special cause (neither better nor worse)",
}


#: Fingertips' colours for a comparison with the benchmark, by polarity: (fill, hatch) per result.
#: The hatch and a word on each bar tell the comparison without colour.
COMPARISON_STYLE = {
    "better": ("#92D050", "//"), "worse": ("#C00000", ".."), "higher": ("#5B7FD6", "//"),
    "lower": ("#BED2FF", ".."), "similar": ("#FFC000", ""), "no data": (NHS["pale_grey"], ""),
}
_ORDER = ("better", "higher", "similar", "worse", "lower", "no data")
_SIDE = {"higher": "Higher", "lower": "Lower", "similar": "Similar", "no data": "No data"}


def comparison_kind(compared: str, improvement: str = "neutral") -> str:
    """Fingertips' category of a group: ``better``/``worse`` when the indicator has a direction
    (``improvement`` ``"increase"`` or ``"decrease"``), else ``higher``/``lower``; ``similar``, ``no data``."""
    if compared not in ("higher", "lower"):
        return compared if compared in COMPARISON_STYLE else "no data"
    if improvement == "increase":
        return "better" if compared == "higher" else "worse"
    if improvement == "decrease":
        return "worse" if compared == "higher" else "better"
    return compared


def sii_line(frame: pd.DataFrame, indices: dict, *, denominator: str = "denominator") -> np.ndarray | None:
    """The value of the fitted SII line at each group's population-weighted rank midpoint (percent).

    ``frame`` holds the groups from most (first) to least deprived; ``indices`` is
    :func:`toolkit.baseline.inequality_indices` output. The line runs from the most deprived end
    ``v0 = SII / (RII − 1)`` at rank 0 to ``v0 × RII`` at rank 1 (RII = (c₀ + s)/c₀ and SII = s on the
    percentage scale), so it is read from the two recorded indices, not refitted.  None when the
    indices are missing or RII is 1.
    """
    sii, rii = indices.get("sii"), indices.get("rii")
    if indices.get("skipped") or sii is None or rii is None or not np.isfinite([sii, rii]).all() or rii == 1:
        return None
    n = frame[denominator].to_numpy(dtype=float)
    share = n / n.sum()
    rank = np.cumsum(share) - share / 2
    v0 = sii / (rii - 1)
    return v0 + sii * rank


def bar_chart(frame: pd.DataFrame, *, label: str = "label", value: str = "value", lower: str = "lower_ci",
              upper: str = "upper_ci", benchmark: float | None = None, benchmark_label: str = "the ICB overall",
              ylabel: str = "%", xlabel: str | None = None, horizontal: bool = False, title: str | None = None,
              level: float = 0.95, compared: str | None = "compared", improvement: str = "neutral",
              line: np.ndarray | None = None, line_label: str = "Slope index of inequality (fitted line)"):
    """Bars of a value per group, coloured by comparison with the benchmark (as OHID's Fingertips),
    with confidence-interval whiskers, the benchmark line and optionally the fitted SII line.

    Parameters
    ----------
    frame : pandas.DataFrame
        One row per group, in the order to draw.
    label, value, lower, upper : str
        Columns: group label, value and its interval limits.
    benchmark : float, optional
        Drawn as a dashed black line, named with its value in the legend.
    benchmark_label : str
        The benchmark's name.
    ylabel : str
        The value axis title (unit).
    xlabel : str, optional
        The group axis title (e.g. "IMD decile (1 = most deprived)").
    horizontal : bool
        Horizontal bars (for long labels such as ethnic groups).
    title : str, optional
    level : float, default 0.95
        The intervals' confidence level, named in the legend.
    compared : str or None
        Column with "higher", "similar", "lower" (or "no data") against the benchmark; each bar is
        filled in Fingertips' colour, hatched, and labelled in words.  None: plain blue bars.
    improvement : {"increase", "decrease", "neutral"}
        Which direction is better: Fingertips' better/worse colours, else higher/lower.
    line : numpy.ndarray, optional
        A value per bar (:func:`sii_line`), drawn as a dash-dot line across the bars.
    line_label : str

    Returns
    -------
    matplotlib.figure.Figure
    """
    from matplotlib.patches import Patch

    ci_label = f"{round(level * 100, 4):g}% confidence interval"
    n = len(frame)
    labels = ["\n".join(textwrap.wrap(str(x), 22)) for x in frame[label]]
    v = frame[value].to_numpy(dtype=float)
    lo = frame[lower].to_numpy(dtype=float)
    hi = frame[upper].to_numpy(dtype=float)
    err = np.vstack([np.where(np.isnan(v), 0, v - lo), np.where(np.isnan(v), 0, hi - v)])
    pos = np.arange(n)
    sides = list(frame[compared]) if compared and compared in frame else None
    kinds = [comparison_kind(c, improvement) for c in sides] if sides else None
    fills = [COMPARISON_STYLE[k][0] for k in kinds] if kinds else NHS["blue"]
    hatches = [COMPARISON_STYLE[k][1] for k in kinds] if kinds else None
    if horizontal:
        fig, ax = new_figure(8.0, max(3.0, 0.55 * n + 1.8))
        bars = ax.barh(pos, np.nan_to_num(v), color=fills, height=0.6, edgecolor=NHS["text"], linewidth=0.8)
        ax.errorbar(np.nan_to_num(v), pos, xerr=err, fmt="none", ecolor=NHS["text"], capsize=4, linewidth=1.4,
                    label=ci_label)
        ax.set_yticks(pos, labels)
        ax.invert_yaxis()
        ax.set_xlabel(ylabel)
        if xlabel:
            ax.set_ylabel(xlabel)
        ax.grid(axis="y", visible=False)
        ax.grid(axis="x", color=NHS["pale_grey"], linewidth=0.8)
        if benchmark is not None:
            ax.axvline(benchmark, color=NHS["text"], linestyle="--", linewidth=1.8,
                       label=f"{benchmark_label[0].upper() + benchmark_label[1:]}: {fmt_number(benchmark)}")
    else:
        fig, ax = new_figure(8.0, 5.0)
        bars = ax.bar(pos, np.nan_to_num(v), color=fills, width=0.65, edgecolor=NHS["text"], linewidth=0.8)
        ax.errorbar(pos, np.nan_to_num(v), yerr=err, fmt="none", ecolor=NHS["text"], capsize=4, linewidth=1.4,
                    label=ci_label)
        ax.set_xticks(pos, labels, fontsize=9)
        ax.set_ylabel(ylabel)
        if xlabel:
            ax.set_xlabel(xlabel)
        if benchmark is not None:
            ax.axhline(benchmark, color=NHS["text"], linestyle="--", linewidth=1.8,
                       label=f"{benchmark_label[0].upper() + benchmark_label[1:]}: {fmt_number(benchmark)}")
        if line is not None:
            ax.plot(pos, line, color=NHS["dark_blue"], linestyle="-.", linewidth=2.2, marker="D", markersize=5,
                    markerfacecolor="white", label=line_label, zorder=4)
    handles, names = ax.get_legend_handles_labels()
    if kinds:
        for bar, hatch, side in zip(bars, hatches, sides):
            bar.set_hatch(hatch)
            word = _SIDE.get(side, "No data")
            if horizontal:
                ax.annotate(word, (0, bar.get_y() + bar.get_height() / 2), xytext=(4, 0), textcoords="offset points",
                            ha="left", va="center", fontsize=8, color=NHS["text"],
                            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"})
            else:
                ax.annotate(word, (bar.get_x() + bar.get_width() / 2, 0), xytext=(0, 4), textcoords="offset points",
                            ha="center", va="bottom", fontsize=7.5 if n > 6 else 8.5, color=NHS["text"],
                            bbox={"boxstyle": "round,pad=0.15", "facecolor": "white", "edgecolor": "none"})
        for kind in [k for k in _ORDER if k in kinds]:
            fill, hatch = COMPARISON_STYLE[kind]
            handles.append(Patch(facecolor=fill, edgecolor=NHS["text"], hatch=hatch))
            names.append(_legend_word(kind, benchmark_label, improvement))
    top = np.nanmax(np.append(hi, benchmark if benchmark is not None else np.nan))
    (ax.set_xlim if horizontal else ax.set_ylim)(0, top * 1.12 if np.isfinite(top) and top > 0 else 1)
    ax.legend(handles, names, loc="lower left", bbox_to_anchor=(0.0, 1.02), ncol=2, frameon=False, fontsize=9)
    if title:
        ax.set_title(title, loc="left", fontsize=11)
    fig.tight_layout()
    return fig


def _legend_word(kind: str, benchmark_label: str, improvement: str) -> str:
    """The legend's words for a comparison category ("Higher than the ICB overall: better")."""
    against = benchmark_label[0].lower() + benchmark_label[1:]
    up, down = f"Higher than {against}", f"Lower than {against}"
    return {"better": (up if improvement == "increase" else down) + ": better",
            "worse": (down if improvement == "increase" else up) + ": worse",
            "higher": up, "lower": down, "similar": f"Similar to {against}", "no data": "No data"}[kind]


_WORD = {"special cause improvement": "Improvement", "special cause concern": "Concern",
         "special cause neutral": "Special cause"}


def _segments(kinds: np.ndarray) -> list[tuple[int, int, str]]:
    """Runs of consecutive points with the same special-cause kind: (first, last, kind)."""
    out = []
    start = 0
    for i in range(1, len(kinds) + 1):
        if i == len(kinds) or kinds[i] != kinds[start]:
            if kinds[start] in _WORD:
                out.append((start, i - 1, kinds[start]))
            start = i
    return out


def spc_chart(frame: pd.DataFrame, *, time: str = "period", value: str = "value", ylabel: str = "%",
              tick_every: int | None = None, annotate: bool = True):
    """XmR chart in the Making Data Count style, special causes marked by shape and named in the legend.

    Parameters
    ----------
    frame : pandas.DataFrame
        Output of :func:`toolkit.indicators.spc` (or :func:`toolkit.baseline.trend`):
        ``time``, ``value``, ``centre``, ``lower_limit``, ``upper_limit``, ``variation``.
    time, value : str
    ylabel : str
    tick_every : int, optional
        Label every k-th period (default: about 12 labels).
    annotate : bool, default True
        Write the kind of each run of special-cause points ("Improvement",
        "Concern", "Special cause") in text beside its first point (at most 8 runs).

    Returns
    -------
    matplotlib.figure.Figure
    """
    fig, ax = new_figure(9.0, 4.6)
    x = np.arange(len(frame))
    y = frame[value].to_numpy(dtype=float)
    ax.plot(x, y, color=NHS["dark_grey"], linewidth=1.4, zorder=2)
    ax.plot(x, frame["centre"], color=NHS["text"], linewidth=1.6, label="Mean", zorder=1)
    ax.plot(x, frame["upper_limit"], color=NHS["dark_grey"], linestyle="--", linewidth=1.3,
            label="Process limits (mean ± 2.66 × mean moving range)", zorder=1)
    ax.plot(x, frame["lower_limit"], color=NHS["dark_grey"], linestyle="--", linewidth=1.3, zorder=1)
    for kind, marker in SPC_MARKERS.items():
        m = (frame["variation"] == kind).to_numpy()
        if m.any():
            ax.scatter(x[m], y[m], marker=marker, s=70 if kind != "common cause" else 38, color=SPC_COLOURS[kind],
                       edgecolors=NHS["text"], linewidths=1.0, label=_LEGEND[kind], zorder=3)
    if annotate:
        centre = float(frame["centre"].iloc[0])
        span = float(np.nanmax(frame["upper_limit"]) - np.nanmin(frame["lower_limit"])) or 1.0
        for first, last, kind in _segments(frame["variation"].to_numpy())[:8]:
            above = y[first] >= centre
            ax.annotate(_WORD[kind] + (f" ({last - first + 1} points)" if last > first else ""),
                        (x[first], y[first]), xytext=(0, 14 if above else -16), textcoords="offset points",
                        ha="left", va="bottom" if above else "top", fontsize=8.5, color=NHS["text"],
                        bbox={"boxstyle": "round,pad=0.2", "facecolor": "white", "edgecolor": NHS["dark_grey"],
                              "linewidth": 0.6})
        lo, hi = ax.get_ylim()
        ax.set_ylim(lo - 0.08 * span, hi + 0.08 * span)
    step = tick_every or max(1, int(np.ceil(len(frame) / 12)))
    ax.set_xticks(x[::step], [str(t) for t in frame[time].iloc[::step]], rotation=45, ha="right", fontsize=9)
    ax.set_ylabel(ylabel)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=9)
    fig.tight_layout()
    return fig


def completeness_chart(table: pd.DataFrame, *, time: str = "period", tick_every: int | None = None):
    """Share of people with no IMD decile and with ethnicity not stated, by period.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`toolkit.baseline.completeness_by_period` (its "All
        periods" or "Latest period (…)" row is left out).
    time : str
    tick_every : int, optional

    Returns
    -------
    matplotlib.figure.Figure
        Two lines told apart by marker and line style as well as colour, named in the legend.
    """
    labels = table[time].astype(str)
    frame = table[(labels != "All periods") & ~labels.str.startswith("Latest period (")].reset_index(drop=True)
    fig, ax = new_figure(9.0, 4.0)
    x = np.arange(len(frame))
    series = [("not_stated_pct", "Ethnicity not stated", NHS["blue"], "o", "-"),
              ("no_imd_pct", "No IMD decile (neighbourhood not matched)", NHS["dark_red"], "s", "--")]
    top = 0.0
    for col, name, colour, marker, style in series:
        if col in frame:
            ax.plot(x, frame[col], color=colour, marker=marker, linestyle=style, linewidth=1.6, markersize=5, label=name)
            top = max(top, float(frame[col].max()))
    step = tick_every or max(1, int(np.ceil(len(frame) / 12)))
    ax.set_xticks(x[::step], [str(t) for t in frame[time].iloc[::step]], rotation=45, ha="right", fontsize=9)
    ax.set_ylabel("% of people")
    ax.set_ylim(0, top * 1.15 if top > 0 else 1)
    ax.legend(loc="lower left", bbox_to_anchor=(0.0, 1.02), ncol=2, frameon=False, fontsize=9)
    fig.tight_layout()
    return fig
