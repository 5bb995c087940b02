"""A measured goal's series against its forecast line, with Making Data Count limits (figure + alt + data)."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from toolkit.board.numbers import fmt
from toolkit.board.status import GoalStatus, expected_at, trajectory
from toolkit.evaluations.schema import Charter
from toolkit.reporting.formatting import fmt_date, fmt_number

__all__ = ["goal_figure"]


def goal_figure(status: GoalStatus, charter: Charter):
    """(figure, alt text, data table) for a goal with a measured series, or None."""
    series = status.series
    if series is None or not len(series) or series["value"].notna().sum() == 0:
        return None
    from toolkit.plotting import NHS, new_figure

    s = series.dropna(subset=["value"])
    fig, ax = new_figure(8.0, 4.0)
    x = pd.to_datetime(s["end"])
    ax.errorbar(x, s["value"], yerr=[s["value"] - s["ci_low"], s["ci_high"] - s["value"]], fmt="o", ms=4,
                color=NHS["blue"], ecolor=NHS["dark_grey"], capsize=2,
                label="Observed (95% interval)")
    points = trajectory(status.goal, charter, status.baseline)
    if len(points) > 1:
        ax.plot(pd.to_datetime([p[0] for p in points]), [p[1] for p in points], "--", color=NHS["dark_blue"],
                label="Forecast trajectory")
    if "upper_limit" in s.columns and s["upper_limit"].notna().any():
        post = s[s["upper_limit"].notna()]
        px = pd.to_datetime(post["end"])
        ax.plot(px, post["centre"], "-", color=NHS["dark_grey"], lw=1, label="Mean since the start")
        ax.plot(px, post["upper_limit"], ":", color=NHS["dark_grey"], lw=1, label="Process limits")
        ax.plot(px, post["lower_limit"], ":", color=NHS["dark_grey"], lw=1)
    ax.axvline(pd.Timestamp(charter.period.start), color=NHS["dark_red"], lw=1.5, ls="-.", label="Scheme starts")
    ax.set_ylabel(status.goal.unit or "value")
    ax.set_title(status.goal.description)
    ax.legend(loc="best", fontsize=8)
    first, last = s.iloc[0], s.iloc[-1]
    alt = (f"Chart of {status.goal.description} by period from {first['end']:%B %Y} to {last['end']:%B %Y}, with "
           f"95% intervals, the forecast line from {fmt(points[0][1])} at the start to {status.goal.target:g} by "
           f"{status.goal.by:%B %Y}, and process limits since the start. The last value, {fmt(last['value'])}, is "
           f"{status.status} against the {fmt(status.expected_now)} expected then." if status.expected_now is not None
           else f"Chart of {status.goal.description} by period from {first['end']:%B %Y} to {last['end']:%B %Y}.")
    data = pd.DataFrame({
        "Period ending": [fmt_date(d) if isinstance(d, dt.date) else str(d) for d in s["end"]],
        "Value": [fmt_number(v) for v in s["value"]], "Lower 95%": [fmt_number(v) for v in s["ci_low"]],
        "Upper 95%": [fmt_number(v) for v in s["ci_high"]],
        "Forecast": ["–" if expected_at(points, d) is None else fmt_number(expected_at(points, d)) for d in s["end"]],
    })
    return fig, alt, data
