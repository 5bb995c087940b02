"""The baseline report's main sections: the summary, Core20, deprivation, SII/RII, other groups, the trend.

Each function takes the :class:`~toolkit.stages.baseline.fit.BaselineFit` and returns the
section's blocks (:mod:`toolkit.stages.base`); charts are drawn only when shown.
"""

from __future__ import annotations

from functools import partial

from toolkit.reporting.formatting import fmt_count, fmt_interval, fmt_number, fmt_ratio_change, plural
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
              caption=f"{upper_first(f.indicator)} in Core20 and in the rest of the ICB, with {lvl} confidence intervals",
              count_columns=("numerator", "denominator"), labels=labels(f.level),
              decimals={"value": 1, "lower_ci": 1, "upper_ci": 1}),
    ]


def _compared_words(frame) -> str:
    """``"3 higher, 2 lower than the ICB value"`` for alt text."""
    counts = frame["compared"].value_counts()
    parts = [f"{counts[k]} {k}" for k in ("higher", "similar", "lower") if counts.get(k, 0)]
    return ", ".join(parts) + " than the ICB value" if parts else "none compared with the ICB value"


def _imd_blocks(f, frame, name: str) -> list:
    lvl = words.level_text(f.level)
    low, high = frame.loc[frame["value"].idxmin()], frame.loc[frame["value"].idxmax()]
    line = charts.sii_line(frame, f.indices)
    draw = partial(charts.bar_chart, frame, level=f.level, label="group", benchmark=f.benchmark,
                   ylabel=f"{upper_first(f.indicator)} (%)", xlabel=f"National deprivation {name} (1 = most deprived)",
                   improvement=f.improvement, line=line)
    alt = (f"Bar chart of {f.indicator} by deprivation {name}, 1 most deprived. Values run from "
           f"{words.pct(low['value'])} in {low['label']} to {words.pct(high['value'])} in {high['label']}; "
           f"each bar is coloured, hatched and labelled by how it compares with the ICB value of "
           f"{words.pct(f.benchmark)} (a dashed line): {_compared_words(frame)}.")
    data = frame.drop(columns="group").rename(columns=labels(f.level))
    if line is not None:
        alt += (f" A dash-dot line shows the fitted slope index of inequality, from {words.pct(line[0])} at the most "
                f"deprived end to {words.pct(line[-1])} at the least deprived.")
        data = data.assign(**{"On the fitted SII line (%)": line.round(2)})
    return [
        Figure(draw, alt=alt,
               caption=(f"{upper_first(f.indicator)} by national deprivation {name}, compared with the ICB value, "
                        f"with {lvl} confidence intervals" + (" and the slope index of inequality" if line is not None else "")),
               data=data,
               data_caption=f"{upper_first(f.indicator)} by deprivation {name}", count_columns=COUNT_LABELS),
        Paragraph(words.groups_sentence(frame, what=f"deprivation {name}", benchmark=f.benchmark)),
    ]


def deprivation(f) -> list:
    """Bars by IMD quintile and decile, the quintile gap and the people with no decile."""
    blocks = _imd_blocks(f, f.quintiles, "quintile") + _imd_blocks(f, f.deciles, "decile")
    blocks.append(Paragraph(words.quintile_gap_sentence(f.q_gap, level=f.level)))
    if f.deciles.attrs["unmatched"]:
        blocks.append(Paragraph(
            f"{fmt_count(f.deciles.attrs['unmatched'])} people whose neighbourhood matched no deprivation decile are not in these "
            "charts; the data-completeness section shows how far they could change the picture."))
    return blocks


def sii(f) -> list:
    """The slope and relative index of inequality, or why they are not shown."""
    ix, lvl = f.indices, words.level_text(f.level)
    blocks = [Paragraph(words.sii_sentence(ix, level=f.level, quantile=f.sii_by))]
    if ix["skipped"]:
        blocks.append(Callout(f"The slope and relative index of inequality are not shown: a deprivation {f.sii_by} has "
                              "nobody in it, and they need every one. The technical appendix says which and what to do.",
                              kind="warning"))
    else:
        blocks.append(Facts((
            ("Slope index of inequality (SII): least minus most deprived end",
             f"{fmt_number(ix['sii'])} percentage points ({lvl} confidence interval "
             f"{fmt_interval(ix['sii_lower'], ix['sii_upper'])})"),
            ("Relative index of inequality (RII): least over most deprived end",
             f"{fmt_number(ix['rii'])} times, {fmt_ratio_change(ix['rii'], more='higher', fewer='lower')} "
             f"({lvl} confidence interval {fmt_interval(ix['rii_lower'], ix['rii_upper'])})"),
        )))
    return blocks


def groups(f) -> list:
    """By ethnicity, age band and sex: a chart and a sentence each, or what to map to add it."""
    lvl = words.level_text(f.level)
    blocks = []
    for dim in ("ethnicity", "age_band", "sex"):
        blocks.append(Heading(f"By {NAMES[dim]}", level=3))
        if dim not in f.groups:
            blocks.append(Callout(f"The data supplied has no {NAMES[dim]} column, so this breakdown cannot be shown "
                                  "(the technical appendix says how to add it).", kind="warning"))
            continue
        frame = f.groups[dim]
        low, high = frame.loc[frame["value"].idxmin()], frame.loc[frame["value"].idxmax()]
        draw = partial(charts.bar_chart, frame, level=f.level, benchmark=f.benchmark, improvement=f.improvement,
                       ylabel=f"{upper_first(f.indicator)} (%)", horizontal=dim == "ethnicity")
        blocks += [
            Figure(draw,
                   alt=(f"Bar chart of {f.indicator} by {NAMES[dim]}: lowest {words.pct(low['value'])} ({low['label']}), "
                        f"highest {words.pct(high['value'])} ({high['label']}); each bar is coloured, hatched and "
                        f"labelled by how it compares with the ICB value of {words.pct(f.benchmark)} (a dashed line): "
                        f"{_compared_words(frame)}."),
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
        return [Callout(f.trend_caution or ("The data supplied has no period column, so no trend can be shown (the "
                                            "technical appendix says how to add it)."), kind="warning")]
    blocks = []
    if series.attrs["short"]:
        blocks.append(Callout("There are fewer than 12 periods, so the limits of ordinary variation are unreliable.",
                              kind="warning"))
    n_special = int(series["special_cause"].sum())
    sentence = words.spc_sentence(series, improvement=f.improvement)
    blocks += [
        Figure(partial(charts.spc_chart, series, ylabel=f"{upper_first(f.indicator)} (%)"),
               alt=(f"Statistical process control chart of {f.indicator} over {plural(len(series), 'period')} from "
                    f"{words.when(series['period'].iloc[0])} to {words.when(series['period'].iloc[-1])}, mean "
                    f"{words.pct(series['centre'].iloc[0])}; {plural(n_special, 'period')} show special-cause "
                    "variation. " + sentence),
               caption=f"{upper_first(f.indicator)} by period: statistical process control chart with the mean and "
                       "the limits of ordinary variation",
               data=series[[c for c in _TREND if c in series]].rename(columns=_TREND),
               data_caption=f"{upper_first(f.indicator)} by period, with the kind of variation and Core20 against the rest",
               count_columns=COUNT_LABELS),
        Paragraph(sentence),
    ]
    if "gap_spc" in series.attrs:
        gap_chart = series.attrs["gap_spc"]
        gap_text = words.spc_sentence(gap_chart, improvement="neutral", unit="percentage points")
        blocks += [
            Heading("The Core20 gap over time", level=3),
            Figure(partial(charts.spc_chart, gap_chart, value="gap", ylabel="Core20 minus rest (percentage points)"),
                   alt=(f"Statistical process control chart of the Core20 gap (Core20 minus the rest) over "
                        f"{plural(len(gap_chart), 'period')}. " + gap_text),
                   caption="The Core20 gap by period: statistical process control chart; special causes are marked "
                           "as neither better nor worse",
                   data=gap_chart[["period", "gap", "centre", "lower_limit", "upper_limit", "variation"]].rename(
                       columns={**_TREND, "gap": "Core20 minus rest (percentage points)"}),
                   data_caption="The Core20 gap by period, with the kind of variation"),
            Paragraph(gap_text + " Monthly gaps rest on fewer people than the baseline gap above, so they vary more."),
        ]
    return blocks
