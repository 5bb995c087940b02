"""The baseline report's data-completeness section and its technical appendix (how the data were read,
the methods by name, and a glossary)."""

from __future__ import annotations

from functools import partial

from toolkit.reporting.formatting import fmt_interval, fmt_number
from toolkit.stages.base import Bullets, Callout, Facts, Figure, Heading, Paragraph, Table
from toolkit.stages.baseline import charts
from toolkit.stages.baseline import text as words

__all__ = ["completeness", "methods", "appendix", "methods_list", "missing_roles", "GLOSSARY"]

_COMPLETENESS = {"period": "Period", "people": "People", "no_imd": "No IMD decile", "no_imd_pct": "No IMD decile (%)",
                 "not_stated": "Ethnicity not stated", "not_stated_pct": "Ethnicity not stated (%)"}


def completeness(f) -> list:
    """Unplaced people by period, the IMD match audit, the bounds on the gap and ethnicity not stated."""
    table, bounds = f.completeness, f.bounds
    sentence = words.completeness_sentence(table)
    blocks = [Paragraph(sentence)]
    if f.agg.has_period:
        blocks.append(Figure(partial(charts.completeness_chart, table),
                             alt="Line chart of data completeness by period: " + sentence,
                             caption="Share of people with ethnicity not stated and with no IMD decile, by period",
                             data=table.rename(columns=_COMPLETENESS), data_caption="Data completeness by period",
                             count_columns=("People", "No IMD decile", "Ethnicity not stated")))
    else:
        blocks.append(Table(table, caption="Data completeness", count_columns=("people", "no_imd", "not_stated"),
                            labels=_COMPLETENESS, decimals={"no_imd_pct": 1, "not_stated_pct": 1}))
    blocks += [
        Heading("How far the people not placed could move the Core20 gap", level=3),
        Paragraph(words.bounds_sentence(bounds)),
        Facts((
            ("Gap as measured", f"{fmt_number(bounds['gap'])} percentage points"),
            ("Worst-case bounds (no assumption about the unmatched)",
             f"{fmt_interval(bounds['low'], bounds['high'])} percentage points"),
            ("Assuming their value is the same wherever they live: all in Core20",
             f"{fmt_number(bounds['gap_if_core20'])} percentage points"),
            ("Assuming the same: none in Core20", f"{fmt_number(bounds['gap_if_rest'])} percentage points"),
        )),
        Heading("Ethnicity not stated", level=3),
    ]
    if f.not_stated is None:
        blocks.append(Callout("The data source maps no ethnicity column, so its completeness cannot be checked.",
                              kind="warning"))
    else:
        blocks += [
            Paragraph(words.not_stated_sentence(f.not_stated, table)),
            Table(f.not_stated, caption="Ethnicity not stated by IMD quintile", count_columns=("people", "not_stated"),
                  labels={"quintile": "IMD quintile", "people": "People", "not_stated": "Ethnicity not stated",
                          "not_stated_pct": "Ethnicity not stated (%)"}, decimals={"not_stated_pct": 1}),
        ]
    return blocks


def methods(f) -> list:
    """How the data were read and counted, the cautions raised, and how each neighbourhood code matched."""
    agg = f.agg
    blocks = [Paragraph(agg.describe()), Paragraph(f.scope.sentence)]
    blocks += [Callout(str(caution), kind="warning") for caution in f.raised]
    if f.indices.get("skipped"):
        blocks.append(Callout(f"The slope and relative index of inequality are not shown: {f.indices['note']}.",
                              kind="warning"))
    missing = missing_roles(f)
    if missing:
        blocks.append(Bullets(tuple(f"Map the role '{role}' in evaluation.yaml to add {what}." for role, what in missing)))
    if agg.n_excluded:
        blocks.append(Table(agg.excluded, caption="Rows left out of every analysis, by reason", count_columns=("rows",),
                            labels={"reason": "Reason", "rows": "Rows",
                                    "example_rows": "Example rows (spreadsheet numbering)"}))
    blocks += [
        Heading("Neighbourhoods that matched no IMD decile", level=4),
        Paragraph(f.deprivation.sentence),
        Table(f.deprivation.audit, caption="How each row's neighbourhood code matched the IMD lookup",
              count_columns=("rows",), decimals={"share": 1},
              labels={"category": "Category", "description": "What it means", "rows": "Rows",
                      "share": "Share of rows (%)", "distinct_codes": "Distinct codes", "example_codes": "Example codes"}),
    ]
    return blocks


#: Roles that add a part of the report, and the part they add.
_ADDS = (("ethnicity", "the breakdown by ethnic group"), ("age_band", "the breakdown by age band and the "
         "age-standardised gap"), ("sex", "the breakdown by sex"), ("period", "the trend (e.g. the month)"))


def missing_roles(f) -> list[tuple[str, str]]:
    """The roles not mapped in the data source whose mapping would add a part of the report: ``[(role, what)]``."""
    mapped = set(f.agg.dimensions) | ({"period"} if f.agg.has_period else set())
    return [(role, what) for role, what in _ADDS if role not in mapped]


def appendix(f) -> list:
    """The methods behind every figure, by name, and a glossary of the terms the report uses."""
    ix, lvl = f.indices, words.level_text(f.level)
    return [
        Bullets(methods_list(f, ix, lvl)),
        Heading("Glossary", level=3),
        Facts(GLOSSARY),
    ]


#: Terms of the report and of its methods, in plain words (the glossary of the technical appendix).
GLOSSARY = (
    ("Confidence interval", "The range the true value probably lies in, given the number of people counted; "
                            "a 95% interval would contain the true value 95 times in 100."),
    ("Core20", "The 20% most deprived neighbourhoods in England (national IMD deciles 1 and 2)."),
    ("IMD (Index of Multiple Deprivation)", "England's official ranking of neighbourhoods by deprivation; deciles "
                                            "split it into ten equal parts, quintiles into five, 1 the most deprived."),
    ("LSOA", "Lower-layer Super Output Area: the small neighbourhood (about 1,500 residents) that IMD ranks."),
    ("Percentage points", "The difference between two percentages (60% against 50% is 10 percentage points, "
                          "or 20% higher)."),
    ("SII (slope index of inequality)", "The gap between the least and most deprived ends of a line fitted through "
                                        "every deprivation group, weighted by their size, in the indicator's units."),
    ("RII (relative index of inequality)", "The same comparison as a ratio: the least deprived end's level over the "
                                           "most deprived end's."),
    ("Wilson score interval", "The confidence interval used for a percentage; it stays within 0% and 100% and "
                              "works for small groups (OHID's Fingertips uses it)."),
    ("Statistical process control (SPC) chart, XmR", "A chart of a value over time with the limits of ordinary "
                                                     "(common-cause) variation: mean ± 2.66 × the mean change between "
                                                     "consecutive periods (NHS England's Making Data Count)."),
    ("Special cause", "A pattern the limits say chance would rarely produce: a point beyond a limit, a run of 7 on "
                      "one side of the mean, 7 rising or falling, or 2 of 3 near a limit."),
    ("Age-standardised (DSR, ESP2013)", "Every group given the same age mix, the 2013 European Standard Population, "
                                        "by direct standardisation, so age differences cannot explain a gap."),
    ("Funnel plot", "Each unit's value against its size, with the limits chance alone would allow; small units "
                    "have wide limits."),
    ("Concentration index (Erreygers)", "How unevenly the indicator is spread across the whole deprivation "
                                        "ranking, from -1 to +1, corrected for a percentage bounded by 0 and 100."),
    ("Attributable share", "How much of the ICB's value would change if everyone had the least deprived "
                           "quintile's rate."),
)


def methods_list(f, ix: dict, lvl: str) -> tuple[str, ...]:
    """One line per method, by name (kept out of the report's plain-English part)."""
    return (
        f"Proportions with Wilson score {lvl} confidence intervals; values are percentages.",
        "Deprivation: national IMD deciles of the neighbourhood (LSOA) people live in, 1 = most deprived; "
        "quintile = deciles paired; Core20 = deciles 1-2.",
        "Core20 gap: pooled counts in Core20 and in the rest, difference with a Wald interval; ratio with a Katz log "
        "interval.",
        f"SII and RII: weighted regression on population-weighted rank midpoints across IMD {f.sii_by}s; interval from "
        f"{ix['repetitions']:,} simulations on the logit scale (seed {ix['seed']}), as in OHID's PHEindicatormethods. "
        "The line drawn across the deprivation bars is this fitted line, read at each group's rank midpoint.",
        "Trend: XmR chart (NHS England, Making Data Count): mean ± 2.66 × mean moving range, with the four "
        "special-cause rules.",
        "Comparisons with the ICB: a group is higher or lower when its whole confidence interval lies above or below "
        "the ICB value (Fingertips' method); bars are coloured better/similar/worse when the indicator has a "
        "direction, with a hatch and a word on each bar so colour is not needed to read them.",
        "Age-standardised gap: directly standardised rates (DSR) to the 2013 European Standard Population (ESP2013), "
        "Dobson intervals with Byar's limits.",
        "Funnel plot: 95% and 99.8% control limits around the ICB average; when units vary more than chance allows, "
        "the limits are widened for over-dispersion (Spiegelhalter's random-effects method).",
        "Concentration index: Erreygers-corrected for a bounded indicator. Life-expectancy gap (when deaths are "
        "mapped): Chiang II abridged life tables, split by cause and age with Arriaga's method (OHID's Segment Tool).",
        f.ctx.disclosure.describe(),
    )
