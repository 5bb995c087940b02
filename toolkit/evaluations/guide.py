"""Which template answers which question, and which results it records.

``hitk templates`` prints the questions so that an analyst can pick a template
from their situation ("my scheme started in some practices and not others" ->
``did``); each scaffold lists the result names, because goals in the charter
refer to them (``charter.goals[].metric: <stage>.<result>``).  A test keeps the
result names here equal to what the templates and stage code record.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["TemplateGuide", "GUIDE", "guide_for"]


@dataclass(frozen=True)
class TemplateGuide:
    question: str
    situations: tuple[str, ...]
    results: tuple[str, ...]


GUIDE: dict[str, TemplateGuide] = {
    "charter": TemplateGuide(
        "What are we trying to change, for whom, and how will we know?",
        ("every evaluation starts here: the board signs off goals and forecasts before results come in",),
        ("goal.<goal id>.target",)),
    "baseline": TemplateGuide(
        "How big is the problem, and the gap, before the scheme starts?",
        ("records or counts by area or person, and you need the picture by IMD, ethnicity, age and sex",
         "you want the Core20 gap, SII/RII and the trend before you start"),
        ("overall_value", "core20_value", "rest_value", "core20_gap", "core20_ratio", "quintile_gap", "sii", "rii",
         "quintile_<1-5>", "decile_<1-10>", "ethnicity_<group>", "age_band_<band>", "sex_<sex>", "latest_value",
         "special_cause_points", "imd_unmatched_share", "ethnicity_not_stated_share", "core20_gap_bound_low",
         "core20_gap_bound_high", "rows_excluded", "periods_used", "core20_gap_standardised", "gap_explained_by_age",
         "quintile_gap_standardised", "funnel_units_below", "funnel_units_above", "sii_trend", "concentration_index",
         "attributable_fraction", "le_gap", "le_gap_<cause>", "statutory_dimensions_flagged")),
    "did": TemplateGuide(
        "Did the scheme work where it ran, compared with where it did not (yet)?",
        ("my scheme started in some practices (or PCNs, areas) and not others",
         "it started in different places at different times (staggered roll-out)"),
        ("att", "att_twfe", "gap_effect", "effect_quintile_<1-5>", "effect_most_deprived", "effect_rest",
         "effects_by_quintile", "effect_group_<value>", "effects_by_group", "pretrend_p", "pretrend_passed",
         "placebo_<shift>", "att_by_group", "event_study", "robust_sun_abraham", "robust_imputation",
         "robust_wild_bootstrap", "honest_sensitivity", "effects_by_quintile_adjusted")),
    "its": TemplateGuide(
        "Did the series change when the scheme started?",
        ("one area (or the whole ICB), a long monthly or quarterly series before and after the start",
         "everyone got the scheme at once, so there is no untreated comparison group"),
        ("level_change", "slope_change", "rate_ratio_h<horizon>", "difference_h<horizon>",
         "cumulative_difference_h<horizon>", "controlled_level_change", "controlled_slope_change",
         "level_change_<group>")),
    "synth": TemplateGuide(
        "Did one area with the scheme diverge from a blend of similar areas without it?",
        ("one area had the scheme and several comparable areas did not",),
        ("att", "att_sdid", "placebo_p", "rmspe_pre", "att_leave_one_out_min", "att_leave_one_out_max", "att_<group>")),
    "rd": TemplateGuide(
        "Did units just inside an eligibility threshold do better than those just outside it?",
        ("the scheme was offered by a cut-off, e.g. the Core20 line on the IMD rank or an age or risk score",),
        ("effect", "density_p", "effect_bandwidth_min", "effect_bandwidth_max", "effect_<group>", "effect_gradient",
         "effect_heterogeneity")),
}


def guide_for(template: str) -> TemplateGuide | None:
    return GUIDE.get(template)
