"""NHS-styled matplotlib charts.

Colours are the NHS identity palette, and :data:`NHS` is the toolkit's only
definition of them: Python code that needs an NHS colour takes it from here
(``tests/test_import_graph.py`` guards this).  Every chart distinguishes series by marker
or line style as well as colour, and templates show each chart with alt text and
its data through :func:`toolkit.reporting.display.figure`.
"""

from __future__ import annotations

import textwrap
from typing import Sequence

__all__ = ["NHS", "SERIES", "MARKERS", "new_figure", "style_axes", "legend_above", "logic_model_figure"]

#: The NHS identity colours (NHS identity guidelines), the one definition in the toolkit.
NHS = {
    "blue": "#005EB8",
    "dark_blue": "#003087",
    "dark_grey": "#425563",
    "pale_grey": "#E8EDEE",
    "warm_yellow": "#FFB81C",
    "dark_red": "#8A1538",
    "green": "#009639",
    "text": "#212B32",
}
# Series colours, each with at least 3:1 contrast on white except warm yellow,
# which is only ever used with a dark outline or as a fill behind dark text.
SERIES = (NHS["blue"], NHS["dark_grey"], NHS["dark_red"], NHS["green"], NHS["dark_blue"])
MARKERS = ("o", "s", "^", "D", "v")
LINESTYLES = ("-", "--", "-.", ":", (0, (5, 1)))


def style_axes(ax) -> None:
    ax.spines["top"].set_visible(False)
    ax.spines["right"].set_visible(False)
    for side in ("left", "bottom"):
        ax.spines[side].set_color(NHS["dark_grey"])
    ax.tick_params(colors=NHS["text"], labelsize=10)
    ax.yaxis.label.set_color(NHS["text"])
    ax.xaxis.label.set_color(NHS["text"])
    ax.title.set_color(NHS["text"])
    ax.grid(axis="y", color=NHS["pale_grey"], linewidth=0.8)
    ax.set_axisbelow(True)


def new_figure(width: float = 8.0, height: float = 4.5):
    """A figure and axes in the house style (Arial-like font, NHS greys, light grid)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    plt.rcParams.update({"font.family": "sans-serif", "font.sans-serif": ["Arial", "Liberation Sans", "DejaVu Sans"],
                         "font.size": 11})
    fig, ax = plt.subplots(figsize=(width, height))
    style_axes(ax)
    return fig, ax


def legend_above(ax, *, ncol: int = 2) -> None:
    """Put the legend in a row above the plotting area, never on the data."""
    ax.legend(loc="lower left", bbox_to_anchor=(0, 1.02), ncol=ncol, frameon=False, fontsize=9)


def logic_model_figure(stages: Sequence[tuple[str, Sequence[str]]], *, mechanism: str = ""):
    """Draw a logic model: one column of boxes per stage, arrows between columns.

    Parameters
    ----------
    stages : sequence of (title, items)
        e.g. ``[("Inputs", [...]), ("Activities", [...]), ...]`` in causal order.
    mechanism : str
        The mechanism believed to link them, printed under the chain.
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    n = len(stages)
    fig, ax = plt.subplots(figsize=(2.6 * n, 4.8))
    ax.set_xlim(0, n)
    ax.set_ylim(0, 1)
    ax.axis("off")
    for i, (title, items) in enumerate(stages):
        x0 = i + 0.06
        box = FancyBboxPatch((x0, 0.14), 0.82, 0.74, boxstyle="round,pad=0.01,rounding_size=0.03",
                             facecolor="white", edgecolor=NHS["blue"], linewidth=2)
        ax.add_patch(box)
        ax.text(x0 + 0.41, 0.84, title, ha="center", va="top", fontsize=12, fontweight="bold", color=NHS["dark_blue"])
        body = "\n".join("• " + "\n  ".join(textwrap.wrap(str(item), 22)) for item in items[:5])
        if len(items) > 5:
            body += f"\n… and {len(items) - 5} more"
        ax.text(x0 + 0.05, 0.76, body, ha="left", va="top", fontsize=8.5, color=NHS["text"], linespacing=1.25)
        if i < n - 1:
            ax.add_patch(FancyArrowPatch((x0 + 0.83, 0.51), (x0 + 1.0, 0.51), arrowstyle="-|>",
                                         mutation_scale=16, color=NHS["dark_grey"], linewidth=1.8))
    if mechanism:
        ax.text(n / 2, 0.06, "\n".join(textwrap.wrap("Mechanism: " + mechanism, 40 * n // 2)), ha="center",
                va="center", fontsize=9, style="italic", color=NHS["text"])
    fig.tight_layout()
    return fig
