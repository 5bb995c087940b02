"""The baseline report's main sections: the summary, Core20, deprivation, SII/RII, other groups, the trend.

Each function takes the :class:`~toolkit.stages.baseline.fit.BaselineFit` and returns the
section's blocks (:mod:`toolkit.stages.base`); charts are drawn only when shown.
"""

from __future__ import annotations

from functools import partial

from toolkit.reporting.formatting import fmt_interval, fmt_number
from toolkit.reporting.language import upper_first
from toolkit.stages.base import Callout, Facts, Figure, Heading, Paragraph, SummaryBox, Table
from toolkit.stages.baseline import charts
from toolkit.stages.baseline import text as words

__all__ = ["labels", "NAMES", "COUNT_LABELS", "summary", "core20", "deprivation", "sii", "groups", "trend"]

#: Group dimensions in words.
NAMES = {"ethnicity": "ethnic group", "age_band": "age band", "sex": "sex"}
#: The count columns of a chart's data table, once relabelled.
COUNT_LABELS = ("Numerator", "Denominator")
_TREND = {"period": "Period", "numerator": "Numerator", "denominator": "Denominator", "value": "Value (%)",
          "centre": "Mean", "lower_limit": "Lower process limit", "upper_limit": "Upper process limit",
          "variation": "Variation", "core20_value": "Core20 (%)", "rest_value": "Rest (%)",
          "gap": "Core20 minus rest (percentage points)"}


def labels(level: float) -> dict:
    """Column labels of the breakdown tables (the interval columns name the level)."""
    lvl = words.level_text(level)
    return {"group": "Group", "label": "Group", "numerator": "Numerator", "denominator": "Denominator",
            "share": "Share of people (%)", "value": "Value (%)", "lower_ci": f"Lower {lvl} limit",
            "upper_ci": f"Upper {lvl} limit", "compared": "Compared with the ICB", "se": "Standard error"}


def summary(f) -> list:
    """The answer-first box: Core20 against the rest, the ICB value, SII, the bounds and the trend."""
    total = f.total
    points = [
        f"Across the ICB {f.indicator} is {words.pct(f.benchmark)} "
        f"{words.interval(total['lower_ci'], total['upper_ci'], level=f.level)}.",
        words.sii_sentence(f.indices, level=f.level, quantile=f.sii_by),
        words.bounds_sentence(f.bounds),
    ]
    if f.series is not None:
        points.append(words.spc_headline(f.series))
    return [SummaryBox(f"Baseline: {f.indicator} in Core20 neighbourhoods",
                       words.core20_sentence(f.core20, level=f.level, indicator=f.indicator), tuple(points))]


def core20(f) -> list:
    """Core20 against the rest of the ICB: the sentence and the table."""
    lvl = words.level_text(f.level)
    return [
        Paragraph(words.core20_sentence(f.core20, level=f.level, indicator=f.indicator)),
        Table(f.core20["table"],
              caption=f"{upper_first(f.indicator)} in Core20 and in the rest of the ICB, with {lvl} Wilson intervals",
              count_columns=("numerator", "denominator"), labels=labels(f.level),
              decimals={"value": 1, "lower_ci": 1, "upper_ci": 1}),
    ]


def _imd_blocks(f, frame, name: str) -> list:
    lvl = words.level_text(f.level)
    low, high = frame.loc[frame["value"].idxmin()], frame.loc[frame["value"].idxmax()]
    draw = partial(charts.bar_chart, frame, level=f.level, label="group", benchmark=f.benchmark,
                   ylabel=f"{upper_first(f.indicator)} (%)", xlabel=f"National IMD {name} (1 = most deprived)")
    alt = (f"Bar chart of {f.indicator} by IMD {name}, 1 most deprived. Values run from "
           f"{words.pct(low['value'])} in {low['label']} to {words.pct(high['value'])} in {high['label']}; "
           f"the ICB value of {words.pct(f.benchmark)} is a dashed line.")
    return [
        Figure(draw, alt=alt,
               caption=f"{upper_first(f.indicator)} by national IMD {name}, with {lvl} confidence intervals and the ICB value",
               data=frame.drop(columns="group").rename(columns=labels(f.level)),
               data_caption=f"{upper_first(f.indicator)} by IMD {name}", count_columns=COUNT_LABELS),
        Paragraph(words.groups_sentence(frame, what=f"IMD {name}", benchmark=f.benchmark)),
    ]


def deprivation(f) -> list:
    """Bars by IMD quintile and decile, the quintile gap and the people with no decile."""
    blocks = _imd_blocks(f, f.quintiles, "quintile") + _imd_blocks(f, f.deciles, "decile")
    blocks.append(Paragraph(words.quintile_gap_sentence(f.q_gap, level=f.level)))
    if f.deciles.attrs["unmatched"]:
        blocks.append(Paragraph(
            f"{f.deciles.attrs['unmatched']:,.0f} people whose neighbourhood matched no IMD decile are not in these "
            "charts; the data-completeness section shows how far they could change the picture."))
    return blocks


def sii(f) -> list:
    """The slope and relative index of inequality, or why they are not shown."""
    ix, lvl = f.indices, words.level_text(f.level)
    blocks = [Paragraph(words.sii_sentence(ix, level=f.level, quantile=f.sii_by))]
    if ix["skipped"]:
        blocks.append(Callout(f"The slope and relative index of inequality are not shown: {ix['note']}.", kind="warning"))
    else:
        blocks.append(Facts((
            ("Slope index of inequality",
             f"{fmt_number(ix['sii'])} percentage points ({lvl} interval {fmt_interval(ix['sii_lower'], ix['sii_upper'])})"),
            ("Relative index of inequality", f"{fmt_number(ix['rii'])} ({lvl} interval {fmt_interval(ix['rii_lower'], ix['rii_upper'])})"),
            ("How the interval was found", f"{ix['repetitions']:,} simulations, seed {ix['seed']}"),
        )))
    return blocks


def groups(f) -> list:
    """By ethnicity, age band and sex: a chart and a sentence each, or what to map to add it."""
    lvl = words.level_text(f.level)
    blocks = []
    for dim in ("ethnicity", "age_band", "sex"):
        blocks.append(Heading(f"By {NAMES[dim]}", level=3))
        if dim not in f.groups:
            blocks.append(Callout(f"The data source maps no {NAMES[dim]} column, so this breakdown cannot be shown. "
                                  f"Map the role '{dim}' in evaluation.yaml to add it.", kind="warning"))
            continue
        frame = f.groups[dim]
        low, high = frame.loc[frame["value"].idxmin()], frame.loc[frame["value"].idxmax()]
        draw = partial(charts.bar_chart, frame, level=f.level, benchmark=f.benchmark,
                       ylabel=f"{upper_first(f.indicator)} (%)", horizontal=dim == "ethnicity")
        blocks += [
            Figure(draw,
                   alt=(f"Bar chart of {f.indicator} by {NAMES[dim]}: lowest {words.pct(low['value'])} ({low['label']}), "
                        f"highest {words.pct(high['value'])} ({high['label']}); the ICB value of "
                        f"{words.pct(f.benchmark)} is a dashed line."),
                   caption=f"{upper_first(f.indicator)} by {NAMES[dim]}, with {lvl} confidence intervals and the ICB value",
                   data=frame.rename(columns=labels(f.level)),
                   data_caption=f"{upper_first(f.indicator)} by {NAMES[dim]}", count_columns=COUNT_LABELS),
            Paragraph(words.groups_sentence(frame, what=NAMES[dim], benchmark=f.benchmark)),
        ]
    return blocks


def trend(f) -> list:
    """The SPC chart of the indicator and, when measured, of the Core20 gap."""
    series = f.series
    if series is None:
        return [Callout(f.trend_caution or ("The data source maps no period column, so no trend can be shown. Map the "
                                            "role 'period' (e.g. the month) in evaluation.yaml to add it."),
                        kind="warning")]
    blocks = []
    if series.attrs["short"]:
        blocks.append(Callout("There are fewer than 12 periods, so the process limits are unreliable.", kind="warning"))
    n_special = int(series["special_cause"].sum())
    sentence = words.spc_sentence(series, improvement=f.improvement)
    blocks += [
        Figure(partial(charts.spc_chart, series, ylabel=f"{upper_first(f.indicator)} (%)"),
               alt=(f"SPC chart of {f.indicator} over {len(series)} periods from {series['period'].iloc[0]} to "
                    f"{series['period'].iloc[-1]}, mean {words.pct(series['centre'].iloc[0])}; "
                    f"{n_special} points show special-cause variation. " + sentence),
               caption=f"{upper_first(f.indicator)} by period: SPC chart (XmR) with mean and process limits",
               data=series[[c for c in _TREND if c in series]].rename(columns=_TREND),
               data_caption=f"{upper_first(f.indicator)} by period, with the SPC classification and Core20 against the rest",
               count_columns=COUNT_LABELS),
        Paragraph(sentence),
    ]
    if "gap_spc" in series.attrs:
        gap_chart = series.attrs["gap_spc"]
        gap_text = words.spc_sentence(gap_chart, improvement="neutral", unit="percentage points")
        blocks += [
            Heading("The Core20 gap over time", level=3),
            Figure(partial(charts.spc_chart, gap_chart, value="gap", ylabel="Core20 minus rest (percentage points)"),
                   alt=f"SPC chart of the Core20 gap (Core20 minus the rest) over {len(gap_chart)} periods. " + gap_text,
                   caption="The Core20 gap by period: SPC chart (XmR); special causes are marked as neither better nor worse",
                   data=gap_chart[["period", "gap", "centre", "lower_limit", "upper_limit", "variation"]].rename(
                       columns={**_TREND, "gap": "Core20 minus rest (percentage points)"}),
                   data_caption="The Core20 gap by period, with the SPC classification"),
            Paragraph(gap_text + " Monthly gaps rest on fewer people than the baseline gap above, so they vary more."),
        ]
    return blocks
