"""The baseline report's deeper measures of the gap, one function per section.

Age-standardised gap, funnel plot, SII over time, concentration index and attributable share,
life-expectancy gap, and the statutory breakdowns; each returns blocks (:mod:`toolkit.stages.base`).
"""

from __future__ import annotations

from functools import partial

from toolkit.reporting.formatting import fmt_count, fmt_interval, fmt_number
from toolkit.stages.base import Callout, Facts, Figure, Paragraph, Table
from toolkit.stages.baseline import measure_charts as mcharts
from toolkit.stages.baseline import measure_text as mwords
from toolkit.stages.baseline.text import level_text

__all__ = ["standardised", "funnel", "sii_trend", "summary_measures", "le_gap", "statutory", "FUNNEL_COLUMNS",
           "funnel_counts"]

#: The funnel table's columns and their labels.
FUNNEL_COLUMNS = {"unit": "Unit", "numerator": "Numerator", "denominator": "Denominator", "value": "Value (%)",
                  "lower_95": "Lower 95% limit", "upper_95": "Upper 95% limit", "lower_99_8": "Lower 99.8% limit",
                  "upper_99_8": "Upper 99.8% limit", "significance": "Compared with the ICB"}


def funnel_counts(frame) -> tuple[int, int]:
    """Units above and below the 95% funnel limits: ``(above, below)``."""
    return (int(frame["significance"].str.startswith("High").sum()),
            int(frame["significance"].str.startswith("Low").sum()))


def standardised(f) -> list:
    """The Core20 gap with age allowed for, and the age bands outside the charter's ages."""
    lvl = level_text(f.level)
    blocks = []
    if f.std is None:
        blocks.append(Callout("The data supplied has no age bands, so the gap cannot be age-standardised (the "
                              "technical appendix says how to add them).", kind="warning"))
    else:
        text = mwords.standardised_sentence(f.std, indicator=f.indicator)
        names = {"group": "Group", "numerator": "Numerator", "denominator": "Denominator", "crude": "Crude (%)",
                 "crude_lower": f"Crude lower {lvl}", "crude_upper": f"Crude upper {lvl}",
                 "standardised": "Age-standardised (%)", "std_lower": f"Standardised lower {lvl}",
                 "std_upper": f"Standardised upper {lvl}"}
        table = f.std["table"]
        blocks += [
            Paragraph(text),
            Figure(partial(mcharts.standardised_chart, table, ylabel=f"{f.indicator.capitalize()} (%)"),
                   alt=f"Paired bars of crude and age-standardised {f.indicator} for each IMD quintile, Core20 and the "
                       "rest. " + text,
                   caption=f"{f.indicator.capitalize()}: crude and age-standardised, with {lvl} confidence intervals",
                   data=table.rename(columns=names), data_caption="Crude and age-standardised values",
                   count_columns=("Numerator", "Denominator")),
        ]
    scope = f.ages
    blocks.append(Paragraph(mwords.age_scope_sentence(scope)))
    if (scope["status"] != "in scope").any():
        blocks.append(Table(scope[scope["status"] != "in scope"], caption="Age bands outside the charter's age range",
                            count_columns=("people",),
                            labels={"age_band": "Age band", "people": "People", "status": "Status", "note": "Why"}))
    return blocks


def funnel(f) -> list:
    """Local units against the ICB average: the funnel plot and who lies outside its limits."""
    res = f.funnel
    if res is None:
        return [Callout("The data source maps no practice, area or neighbourhood code, so no funnel plot can be drawn.",
                        kind="warning")]
    _, unit_label, no_code = f.funnel_in
    text = mwords.funnel_sentence(res, units=unit_label)
    outliers = res[res["significance"] != "Not significant"]
    blocks = [
        Paragraph(text),
        Figure(partial(mcharts.funnel_chart, res, ylabel=f"{f.indicator.capitalize()} (%)",
                       xlabel=f"People in the {unit_label[:-1]}"),
               alt=f"Funnel plot of {f.indicator} for {len(res):,} {unit_label} against their size. " + text,
               caption=(f"{f.indicator.capitalize()} by {unit_label[:-1]}: funnel plot with 95% and 99.8% control "
                        "limits around the ICB average"),
               data=(outliers if len(outliers) else res)[list(FUNNEL_COLUMNS)].rename(columns=FUNNEL_COLUMNS),
               data_caption=f"{unit_label.capitalize()} outside the 95% limits" if len(outliers) else unit_label.capitalize(),
               count_columns=("Numerator", "Denominator")),
    ]
    if no_code:
        blocks.append(Paragraph(f"{fmt_count(no_code)} people with no usable {unit_label[:-1]} code (blank, or a "
                                "neighbourhood code the deprivation lookup does not hold) are not in the funnel plot."))
    return blocks


def sii_trend(f) -> list:
    """The slope index by financial year and whether it is trending."""
    series = f.gap_series
    if series is None:
        return [Callout("The data source maps no period, so the slope index cannot be followed over time.",
                        kind="warning")]
    lvl = level_text(f.level)
    text = mwords.sii_trend_sentence(series)
    names = {"period": "Financial year", "sii": "SII (percentage points)", "sii_lower": f"Lower {lvl}",
             "sii_upper": f"Upper {lvl}", "rii": "RII", "rii_lower": f"RII lower {lvl}", "rii_upper": f"RII upper {lvl}",
             "mix_change": "Largest change in a quintile's share (points)"}
    blocks = [Callout(series.attrs["warning"], kind="warning")] if series.attrs["warning"] else []
    return blocks + [
        Paragraph(text),
        Figure(partial(mcharts.sii_trend_chart, series), alt="Slope index of inequality by financial year with intervals. " + text,
               caption=f"Slope index of inequality across IMD quintiles by financial year, with {lvl} intervals",
               data=series[list(names)].rename(columns=names), data_caption="SII and RII by financial year"),
    ]


def summary_measures(f) -> list:
    """The concentration index and the share attributable to deprivation."""
    s, lvl = f.summary, level_text(f.level)
    ci_, paf = s["concentration"], s["paf"]
    blocks, facts = [], []
    if ci_ is None:
        blocks.append(Paragraph(f"The concentration index could not be calculated: {s['concentration_note']}."))
    else:
        blocks.append(Paragraph(mwords.concentration_sentence(ci_, indicator=f.indicator)))
        facts.append(("Concentration index (0 = no gradient; -1 to +1)",
                      f"{fmt_number(ci_['value'])} ({lvl} confidence interval {fmt_interval(ci_['lower_ci'], ci_['upper_ci'])})"))
    if paf is None:
        blocks.append(Paragraph(f"The share attributable to deprivation could not be calculated: {s['paf_note']}."))
    else:
        blocks.append(Paragraph(mwords.paf_sentence(paf, indicator=f.indicator, improvement=f.improvement)))
        facts += [("ICB value now", f"{fmt_number(paf['overall_rate'])}%"),
                  ("At the least deprived quintile's rate", f"{fmt_number(paf['reference_rate'])}%")]
    if facts:
        blocks.append(Facts(tuple(facts)))
    return blocks


def le_gap(f) -> list:
    """The life-expectancy gap by cause of death and age band (when deaths are mapped)."""
    le = f.le
    if le is None:
        return [Paragraph("No deaths data are mapped for this stage, so the life-expectancy gap is not decomposed here.")]
    text = mwords.le_gap_sentence(le)
    return [
        Paragraph(text),
        Figure(partial(mcharts.le_gap_chart, le),
               alt="Bar charts of the life-expectancy gap by cause of death and by age band. " + text,
               caption=("The gap in life expectancy between the most and least deprived quintiles, by cause and by age "
                        "band (years)"),
               data=le.by_cause.rename(columns={"cause": "Cause", "contribution": "Years", "share": "Share of the gap (%)"}),
               data_caption="Years of the gap by cause of death"),
    ]


def statutory(f) -> list:
    """The data quality behind each statutory breakdown, then every breakdown in one table."""
    st, lvl = f.statutory, level_text(f.level)
    return [
        Table(st["quality"].drop(columns="mapped"), caption="Data quality behind each statutory breakdown",
              labels={"dimension": "Breakdown", "groups": "Groups", "known_pct": "People with a known value (%)",
                      "flag": "Flag", "note": "What to know"}, decimals={"known_pct": 1}),
        Table(st["table"].drop(columns="small"),
              caption=f"{f.indicator.capitalize()} by every statutory breakdown, with {lvl} confidence intervals",
              count_columns=("numerator", "denominator"), decimals={"value": 1, "lower_ci": 1, "upper_ci": 1},
              labels={"dimension": "Breakdown", "group": "Group", "numerator": "Numerator", "denominator": "Denominator",
                      "value": "Value (%)", "lower_ci": f"Lower {lvl} limit", "upper_ci": f"Upper {lvl} limit"}),
    ]
