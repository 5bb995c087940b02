"""A measured goal's series against its forecast line, as a Making Data Count SPC chart (figure + alt + data).

The chart carries the variation and assurance icons (lettered symbols with words, never colour alone), the forecast
trajectory, the scheme start as a labelled vertical line, the process mean and limits, and, when the analyst asks for
it (``recalculate_at_start=True``), limits recalculated at the scheme start with the two segments drawn apart.  When
special cause improvement shows in the last points before the start, :attr:`GoalFigure.note` says so in words.
"""

from __future__ import annotations

import datetime as dt
import warnings

import pandas as pd

from toolkit.board.numbers import fmt
from toolkit.board.status import GoalStatus, assurance, expected_at, trajectory
from toolkit.evaluations.schema import Charter
from toolkit.reporting.formatting import fmt_date, fmt_number

__all__ = ["goal_figure", "GoalFigure", "goal_spc"]

_SPC_COLUMNS = ["centre", "lower_limit", "upper_limit", "variation"]


class GoalFigure(tuple):
    """``(figure, alt text, data table)`` — unpacks as before — with the SPC reading as attributes.

    Attributes
    ----------
    note : str or None
        "Improvement began before the scheme ..." when that is seen, for the summary to show beside the chart.
    variation, assurance : str or None
        The latest point's variation (:func:`toolkit.indicators.spc`) and the assurance of the points since the
        scheme start against the trajectory — the goals table's assurance, whatever limits the chart draws.
    icons_text : str
        Both icons in words (also in the alt text).
    """

    def __new__(cls, figure, alt, data, *, note=None, variation=None, assurance=None, icons_text=""):
        self = super().__new__(cls, (figure, alt, data))
        self.note, self.variation, self.assurance, self.icons_text = note, variation, assurance, icons_text
        return self


def goal_spc(series: pd.DataFrame, start, direction: str, *, target: float | None = None,
             recalculate_at_start: bool = False) -> tuple[pd.DataFrame | None, str | None]:
    """XmR chart of a goal's measured series (``end``, ``value``) and the pre-scheme improvement note.

    Parameters
    ----------
    series : pandas.DataFrame
        One row per period with ``end`` and ``value``.
    start : date
        The scheme start.
    direction : {"increase", "decrease"}
        Which way is better.
    target : float, optional
        The value expected now (the trajectory), for assurance.
    recalculate_at_start : bool
        Recalculate the limits at the scheme start (the analyst's documented choice; never automatic).  Needs at
        least 2 points on each side, otherwise one set of limits is kept.

    Returns
    -------
    (pandas.DataFrame or None, str or None)
        The :func:`toolkit.indicators.spc` chart (``end`` as timestamps) and the note, if any.
    """
    from toolkit.indicators.spc import improvement_before, spc

    s = series.dropna(subset=["value"]).drop(columns=[c for c in _SPC_COLUMNS if c in series.columns])
    s = s.assign(end=pd.to_datetime(s["end"])).reset_index(drop=True)
    if len(s) < 2:
        return None, None
    start = pd.Timestamp(start)
    before = int((s["end"] < start).sum())
    split = recalculate_at_start and before >= 2 and len(s) - before >= 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chart = spc(s[["end", "value"]], "value", "end", improvement=direction, target=target,
                    recalculate_at=start if split else None)
    return chart, improvement_before(chart, "end", start)


def _side(variation: str, direction: str, value: float, centre: float) -> str | None:
    if variation == "common cause":
        return None
    if variation == "special cause neutral":
        return "high" if value > centre else "low"
    good_high = direction == "increase"
    return "high" if (variation == "special cause improvement") == good_high else "low"


def _draw_limits(ax, chart: pd.DataFrame, NHS: dict) -> None:
    segments = [chart] if "segment" not in chart.columns else [g for _, g in chart.groupby("segment", sort=False)]
    for i, seg in enumerate(segments):
        first = i == 0
        ax.plot(seg["end"], seg["centre"], "-", color=NHS["dark_grey"], lw=1.2, label="Mean" if first else None)
        ax.plot(seg["end"], seg["upper_limit"], ":", color=NHS["dark_grey"], lw=1.2,
                label="Process limits" if first else None)
        ax.plot(seg["end"], seg["lower_limit"], ":", color=NHS["dark_grey"], lw=1.2)


def _goal_assurance(status: GoalStatus, charter: Charter) -> str | None:
    """The assurance code of the goals table (:func:`toolkit.board.status.assurance`: limits of the points since the
    scheme start against the value expected now), so the chart's icon never disagrees with the table."""
    series = status.series
    if status.expected_now is None or "start" not in series.columns:
        return None
    post = series[pd.to_datetime(series["start"]) >= pd.Timestamp(charter.period.start)]
    chart, _ = assurance(post, status.expected_now, status.goal.direction)
    return None if chart is None else chart["assurance"].iloc[0]


def goal_figure(status: GoalStatus, charter: Charter, *, recalculate_at_start: bool = False):
    """A Making Data Count chart of a goal with a measured series, or None.

    Parameters
    ----------
    status : GoalStatus
        The goal judged at the date of its data (with ``series``).
    charter : Charter
        The signed charter (scheme start, trajectory).
    recalculate_at_start : bool
        Recalculate the process limits at the scheme start (see :func:`goal_spc`).

    Returns
    -------
    GoalFigure or None
        Unpacks as ``(figure, alt text, data table)``; ``.note`` holds the "improvement began before the scheme"
        call-out, ``.icons_text`` the icons in words.
    """
    series = status.series
    if series is None or not len(series) or series["value"].notna().sum() == 0:
        return None
    from toolkit.indicators.spc import SPC_COLOURS
    from toolkit.plotting import NHS, new_figure
    from toolkit.reporting.plots.spc import ASSURANCE_WORDS, assurance_icon, draw_icons, variation_icon

    goal = status.goal
    start = pd.Timestamp(charter.period.start)
    s = series.dropna(subset=["value"]).reset_index(drop=True)
    chart, note = goal_spc(s, start, goal.direction, target=status.expected_now,
                           recalculate_at_start=recalculate_at_start)
    fig, ax = new_figure(10.0, 4.8)
    fig.subplots_adjust(left=0.08, right=0.76, bottom=0.3, top=0.88)
    x = pd.to_datetime(s["end"])
    ax.errorbar(x, s["value"], yerr=[s["value"] - s["ci_low"], s["ci_high"] - s["value"]], fmt="o", ms=4,
                color=NHS["blue"], ecolor=NHS["dark_grey"], capsize=2, label="Observed (95% interval)")
    points = trajectory(goal, charter, status.baseline)
    if len(points) > 1:
        ax.plot(pd.to_datetime([p[0] for p in points]), [p[1] for p in points], "--", color=NHS["dark_blue"],
                lw=1.5, label="Forecast trajectory")
    icons, words, variation, assured = [], [], None, None
    if chart is not None:
        _draw_limits(ax, chart, NHS)
        up = goal.direction == "increase"
        # improvement points up (or down for a lower-is-better goal), concern the other way: shape, not only colour
        for kind, marker in (("special cause improvement", "^" if up else "v"),
                             ("special cause concern", "v" if up else "^")):
            colour = SPC_COLOURS[kind]
            hit = chart[chart["variation"] == kind]
            if len(hit):
                ax.plot(hit["end"], hit["value"], marker, ms=9, mfc="none", mec=colour, mew=2, ls="none",
                        label=kind.capitalize())
        last = chart.iloc[-1]
        variation = last["variation"]
        assured = _goal_assurance(status, charter)
        v_icon = variation_icon(variation, _side(variation, goal.direction, last["value"], last["centre"]))
        icons.append(("Variation", v_icon))
        words.append(f"variation icon: {v_icon['letter']}{v_icon['arrow']}, {v_icon['label']}")
        a_icon = assurance_icon(assured)
        if a_icon is not None:
            icons.append(("Assurance", a_icon))
            words.append(f"assurance icon: {a_icon['letter']}, {a_icon['label']}")
    ax.axvline(start, color=NHS["dark_red"], lw=1.5, ls="-.")
    ax.annotate("Scheme starts", xy=(start, 1.0), xycoords=("data", "axes fraction"), xytext=(3, 2),
                textcoords="offset points", ha="left", va="bottom", fontsize=8, color=NHS["dark_red"])
    ax.set_ylabel(goal.unit or "value")
    ax.set_title(goal.description, loc="left", pad=16)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, fontsize=8, frameon=False)
    draw_icons(fig, icons)
    if note:  # visible on the chart as well as in the alt text and GoalFigure.note
        fig.text(0.08, 0.03, note.split(". ")[0] + ".", fontsize=9, fontweight="bold", color=NHS["text"],
                 ha="left", va="bottom", wrap=True)
    icons_text = "; ".join(words)
    first, last_row = s.iloc[0], s.iloc[-1]
    span = f"{pd.Timestamp(first['end']):%B %Y} to {pd.Timestamp(last_row['end']):%B %Y}"
    limits = ("process limits recalculated at the scheme start (drawn separately before and after)"
              if chart is not None and "segment" in chart.columns else "one set of process limits")
    if status.expected_now is not None and len(points):
        alt = (f"Chart of {goal.description} by period from {span}, with 95% intervals, the forecast line from "
               f"{fmt(points[0][1])} at the start to {goal.target:g} by {goal.by:%B %Y}, the scheme start marked, "
               f"the mean and {limits}. The last value, {fmt(last_row['value'])}, is {status.status} against the "
               f"{fmt(status.expected_now)} expected then.")
    else:
        alt = f"Chart of {goal.description} by period from {span}, with the scheme start marked and {limits}."
    if icons_text:
        alt += f" Making Data Count {icons_text}."
    if note:
        alt += " " + note
    data = pd.DataFrame({
        "Period ending": [fmt_date(d) if isinstance(d, dt.date) else str(d) for d in s["end"]],
        "Value": [fmt_number(v) for v in s["value"]], "Lower 95%": [fmt_number(v) for v in s["ci_low"]],
        "Upper 95%": [fmt_number(v) for v in s["ci_high"]],
        "Forecast": ["–" if expected_at(points, d) is None else fmt_number(expected_at(points, d)) for d in s["end"]],
    })
    if chart is not None:
        data["Mean"] = [fmt_number(v) for v in chart["centre"]]
        data["Process limits"] = [f"{fmt_number(lo)} to {fmt_number(hi)}"
                                  for lo, hi in zip(chart["lower_limit"], chart["upper_limit"])]
        data["Variation"] = list(chart["variation"])
        if assured is not None:  # the process since the start against the trajectory, as in the goals table
            data["Assurance"] = [ASSURANCE_WORDS.get(assured, "–") if pd.Timestamp(e) >= start else "–"
                                 for e in s["end"]]
    return GoalFigure(fig, alt, data, note=note, variation=variation, assurance=assured, icons_text=icons_text)
