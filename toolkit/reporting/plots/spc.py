"""Making Data Count icons for SPC charts: drawn as labelled symbols and stated in words (never colour alone).

The icons follow NHS England's *Making Data Count* guidance (2019; "Making Data Count: strengthening your
decisions", 2021): a variation icon (grey for common cause; blue for special cause improvement, orange for concern,
with "H" or "L" for a signal on the high or low side) and an assurance icon ("P" the process consistently passes the
target, "F" consistently fails it, and a hit-and-miss icon when the target lies within the limits).  Here each icon
also carries an arrow or "?" and its meaning in words, because the palette fails 3:1 contrast and colour alone is not
accessible (WCAG 2.2, 1.4.1).
"""

from __future__ import annotations

from toolkit.indicators.spc import SPC_COLOURS
from toolkit.plotting import NHS

__all__ = ["variation_icon", "assurance_icon", "draw_icons", "VARIATION_WORDS", "ASSURANCE_WORDS"]

#: Plain words for each variation, as the icon's label and in the alt text.
VARIATION_WORDS = {
    "common cause": "common cause variation: no sign of change",
    "special cause improvement": "special cause improvement",
    "special cause concern": "special cause concern",
    "special cause neutral": "special cause variation (neither better nor worse)",
}
#: Plain words for each assurance result.
ASSURANCE_WORDS = {
    "pass": "consistently passing the target or trajectory",
    "fail": "consistently failing the target or trajectory",
    "inconsistent": "hit and miss: the target or trajectory lies within the process limits",
}
# Making Data Count palette (orange concern, blue improvement, grey common cause); the letter and arrow carry the
# meaning, the colour only repeats it.
_BLUE, _ORANGE, _PURPLE = (SPC_COLOURS[k] for k in ("special cause improvement", "special cause concern",
                                                      "special cause neutral"))
_GREY = "#7F7F7F"  # darker than the MDC grey so the ring shows on white


def variation_icon(variation: str, side: str | None) -> dict:
    """Symbol of a variation icon: ``letter``, ``arrow``, ``colour`` and ``label``.

    ``side`` is "high" or "low": which side of the mean the signal is on (the
    "H" or "L" of Making Data Count's icons); None for common cause.
    """
    letter = {"high": "H", "low": "L"}.get(side or "", "~")
    arrow = {"high": "↑", "low": "↓"}.get(side or "", "")
    colour = {"special cause improvement": _BLUE, "special cause concern": _ORANGE,
              "special cause neutral": _PURPLE}.get(variation, _GREY)
    label = VARIATION_WORDS.get(variation, variation)
    if side and variation != "common cause":
        label += f" ({'higher' if side == 'high' else 'lower'} values)"
    return {"letter": letter if variation != "common cause" else "~", "arrow": arrow if variation != "common cause"
            else "", "colour": colour, "label": label}


def assurance_icon(assurance: str | None) -> dict | None:
    """Symbol of an assurance icon ("P" pass, "F" fail, "?" hit and miss), or None with no target."""
    if assurance not in ASSURANCE_WORDS:
        return None
    letter, colour = {"pass": ("P", _BLUE), "fail": ("F", _ORANGE), "inconsistent": ("?", _GREY)}[assurance]
    return {"letter": letter, "arrow": "", "colour": colour, "label": ASSURANCE_WORDS[assurance]}


def draw_icons(fig, icons: list[tuple[str, dict]], *, left: float = 0.79) -> None:
    """Draw each (heading, icon) as a lettered circle with its words, in the figure's right margin.

    The axes of the chart should end before ``left`` (``fig.subplots_adjust(right=...)``), so the icons never sit
    on the data.
    """
    import textwrap

    from matplotlib.patches import Circle

    n = len(icons)
    if not n:
        return
    height = 0.8 / n
    for i, (heading, icon) in enumerate(icons):
        bottom = 0.9 - (i + 1) * height
        iax = fig.add_axes([left, bottom, 1 - left - 0.01, height])
        iax.set_axis_off()
        iax.set_xlim(0, 2)
        iax.set_ylim(0, 2)
        iax.set_aspect("equal", adjustable="box")
        iax.add_patch(Circle((1, 1.5), 0.38, facecolor="white", edgecolor=icon["colour"], linewidth=3))
        iax.text(1, 1.5, icon["letter"] + icon["arrow"], ha="center", va="center", fontsize=16,
                 fontweight="bold", color=NHS["text"])
        iax.text(1, 1.0, heading, ha="center", va="top", fontsize=8, fontweight="bold", color=NHS["text"])
        iax.text(1, 0.72, "\n".join(textwrap.wrap(icon["label"], 24)), ha="center", va="top", fontsize=7.5,
                 color=NHS["text"])
