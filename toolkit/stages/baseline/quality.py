"""The baseline report's data-completeness and "Methods and data" sections."""

from __future__ import annotations

from functools import partial

from toolkit.reporting.formatting import fmt_interval, fmt_number
from toolkit.stages.base import Bullets, Callout, Facts, Figure, Heading, Paragraph, Table
from toolkit.stages.baseline import charts
from toolkit.stages.baseline import text as words

__all__ = ["completeness", "methods"]

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
        Heading("Neighbourhoods that matched no IMD decile", level=3),
        Paragraph(f.deprivation.sentence),
        Table(f.deprivation.audit, caption="How each row's neighbourhood code matched the IMD lookup",
              count_columns=("rows",), decimals={"share": 1},
              labels={"category": "Category", "description": "What it means", "rows": "Rows",
                      "share": "Share of rows (%)", "distinct_codes": "Distinct codes", "example_codes": "Example codes"}),
        Heading("How far the unmatched could move the Core20 gap", level=3),
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
    """How the data were read and counted, the cautions raised, and the methods in a list."""
    agg, ix = f.agg, f.indices
    blocks = [Paragraph(agg.describe()), Paragraph(f.scope.sentence)]
    blocks += [Callout(str(caution), kind="warning") for caution in f.raised]
    if agg.n_excluded:
        blocks.append(Table(agg.excluded, caption="Rows left out of every analysis, by reason", count_columns=("rows",),
                            labels={"reason": "Reason", "rows": "Rows",
                                    "example_rows": "Example rows (spreadsheet numbering)"}))
    blocks.append(Bullets((
        f"Proportions with Wilson score {words.level_text(f.level)} confidence intervals; values are percentages.",
        "Deprivation: national IMD deciles of the neighbourhood (LSOA) people live in, 1 = most deprived; "
        "quintile = deciles paired; Core20 = deciles 1-2.",
        "Core20 gap: pooled counts in Core20 and in the rest, difference with a Wald interval; ratio with a Katz log "
        "interval.",
        f"SII and RII: weighted regression on population-weighted rank midpoints across IMD {f.sii_by}s; interval from "
        f"{ix['repetitions']:,} simulations on the logit scale (seed {ix['seed']}), as in OHID's PHEindicatormethods.",
        "Trend: XmR chart (NHS England, Making Data Count): mean ± 2.66 × mean moving range, with the four "
        "special-cause rules.",
        "Comparisons with the ICB: a group is higher or lower when its whole confidence interval lies above or below "
        "the ICB value (Fingertips' method).",
        f.ctx.disclosure.describe(),
    )))
    return blocks
