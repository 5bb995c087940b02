"""The interrupted-time-series stage's analysis: what the ``its`` template records and shows.

:class:`ITSAnalysis` holds the fitted segmented regressions (made by
:func:`toolkit.stages.its.fit.run_its`); its sentences come from
:class:`~toolkit.stages.its.words.ITSWords`, its tables from
:class:`~toolkit.stages.its.tables.ITSTables`.  ``record`` writes the named results;
``section(key)`` gives each part of the report as blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from toolkit.reporting.formatting import fmt_ci, fmt_number
from toolkit.reporting.language import upper_first
from toolkit.stages.base import Callout, Facts, Figure, Heading, Paragraph, StageAnalysis, SummaryBox, Table
from toolkit.stages.common import fmt_time, glossary_blocks, slug
from toolkit.stages.its.tables import ITSTables
from toolkit.stages.its.words import ITSWords
from toolkit.stages.verdicts import Verdict, verdict_blocks

__all__ = ["ITSAnalysis", "SECTIONS"]


@dataclass(frozen=True)
class ITSAnalysis(ITSWords, ITSTables, StageAnalysis):
    """Everything the ``its`` template shows.

    Attributes
    ----------
    result : ITSResult
        The headline segmented regression on the intervention series.
    controlled : ITSResult or None
        The controlled ITS with the comparison series, when one is mapped and asked for.
    by_group : DataFrame or None
        :func:`toolkit.designs.its.segmented_by` output when a ``group`` role is mapped.
    verdicts : list of Verdict
        Plain-English diagnostics.
    gradient : Verdict or None
        Whether the effect differed across groups (with a ``group`` role); an answer, not a diagnostic.
    notes : list of str
        Information about how the data were used (e.g. groups added up), shown as notes.
    cautions : list of str
        Problems with the input the report must flag (e.g. horizons beyond the data).
    """

    result: Any
    controlled: Any
    by_group: pd.DataFrame | None
    verdicts: list[Verdict]
    notes: list[str]
    outcome_label: str
    period_label: str
    rate_label: str
    group_label: str
    gradient: Verdict | None = None
    cautions: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    raised: tuple = ()  # cautions raised while fitting (coded; see toolkit.cautions)
    charter: Any = None  # the evaluation's charter (its title heads the design facts), set by build
    effects: pd.DataFrame | None = None  # the model's effect at every period after the start (chart panels)

    SECTIONS = ("headline", "design", "series", "horizons", "diagnostics", "comparison", "groups", "appendix")

    # -------------------------------------------------------------- views
    @property
    def ratio(self) -> bool:
        return self.result.scale == "ratio"

    @property
    def decimals(self) -> dict[str, int] | None:
        """Decimals for estimate columns of the model and group tables (rate ratios need 4)."""
        if not self.ratio:
            return None
        pct = f"{self.result.level * 100:g}%"
        return {"Estimate": 4, f"{pct} CI from": 4, f"{pct} CI to": 4}

    @property
    def warnings(self) -> list[str]:
        """Input cautions and estimator warnings, each once."""
        seen: list[str] = []
        for w in (list(self.cautions) + list(self.result.warnings) + list(getattr(self.controlled, "warnings", ()))
                  + list(self.raised)):
            if w not in seen:
                seen.append(w)
        return seen


    # -------------------------------------------------------------- the report
    def _section_headline(self):
        answer, points = self.headline()
        return [SummaryBox(f"Did {self.outcome_label} change when the scheme started?", answer, tuple(points)),
                Callout(self.limits_text(), kind="info", label="Limits of this design"),
                *(Callout(text, kind="warning") for text in self.warnings)]

    def _section_design(self):
        return [Facts(tuple(self.design_facts(self.charter))), *(Callout(text, kind="info") for text in self.notes)]

    def _counterfactual_figure(self, result, *, caption: str, data: pd.DataFrame, data_caption: str) -> Figure:
        from toolkit.reporting.plots import its as its_plots

        return Figure(lambda: its_plots.counterfactual_plot(result, xlabel=upper_first(self.period_label),
                                                            ylabel=self.y_label),
                      alt=self.comparison_alt(), caption=caption, data=data, data_caption=data_caption)

    def _section_series(self):
        from toolkit.reporting.plots import its as its_plots

        out = upper_first(self.outcome_label)
        if self.effects is None:
            return [self._counterfactual_figure(
                self.result, caption=f"{out} before and after the scheme, with the counterfactual",
                data=self.series_table(), data_caption=f"{out} by {self.period_label}: observed, fitted trend and "
                                                       "counterfactual")]
        r, effects = self.result, self.effects
        point, total = self.effect_axis_labels()
        return [Figure(lambda: its_plots.counterfactual_panels(r, effects, ylabel=self.y_label,
                                                               xlabel=upper_first(self.period_label),
                                                               effect_label=point, cumulative_label=total),
                       alt=self.series_alt(),
                       caption=f"{out} before and after the scheme, the level expected without it (with its "
                               f"{r.level * 100:g}% interval), and the estimated effect each {self.period_label} "
                               "and in total",
                       data=self.series_table(),
                       data_caption=f"{out} by {self.period_label}: observed, fitted trend, expected without the "
                                    "scheme with its interval, and the estimated effect")]

    def _section_horizons(self):
        return [Table(self.horizons_table(), caption=f"Difference between observed and expected {self.outcome_label} "
                      f"(without the scheme) at chosen {self.period_label}s after the start")]

    def _section_diagnostics(self):
        return [*verdict_blocks(self.verdicts),
                Paragraph("The statistical tests behind these checks are in the technical appendix.")]

    def _section_comparison(self):
        if self.controlled is None:
            return [Callout("No comparison area was used, so the estimate rests on this area's own trend alone. "
                            "A similar area's series without the scheme would check it (the technical appendix "
                            "says how to add one).", kind="info")]
        out = upper_first(self.outcome_label)
        return [Paragraph("This check subtracts what happened in a comparison area without the scheme. If both "
                          "approaches agree, something else happening at the same time is a less likely "
                          "explanation."),
                self._counterfactual_figure(
                    self.controlled, caption=f"{out} in this area and the comparison area",
                    data=self.comparison_table(),
                    data_caption=f"{out} by {self.period_label} in this area and the comparison area")]

    def _section_groups(self):
        if self.by_group is None:
            return [Callout(self.no_groups_text(), kind="info")]
        return [Table(self.group_table(), caption=f"Effect of the scheme in each {self.group_label}",
                      decimals=self.decimals),
                Paragraph(self.gradient.finding) if self.gradient is not None else None]

    def _section_appendix(self):
        terms = ["Segmented regression", "Counterfactual", "Prediction band"]
        if self.ratio:
            terms += ["Rate ratio", "Quasi-Poisson GLM"]
        terms += ["Newey-West (HAC) standard errors", "Durbin-Watson, Ljung-Box, Breusch-Godfrey", "Controlled ITS"]
        if self.by_group is not None:
            terms.append("Cochran's Q")
        return [Facts(tuple(self.method_facts())),
                Table(self.model_table(), caption="Segmented regression terms (rate ratios for counts: 1 means no "
                      "change)", decimals=self.decimals),
                Table(self.diagnostics_table(), caption="Tests of the residuals for autocorrelation "
                      "(Durbin-Watson near 2 and large p-values mean none is left)"),
                Heading("Data roles", level=3), Paragraph(self.roles_text()),
                *glossary_blocks(*terms)]

    # -------------------------------------------------------------- results.json
    def record(self, results) -> None:
        """Record the headline numbers under stable names (see the template's README cell)."""
        r = self.result
        unit = "rate ratio" if self.ratio else self.rate_label or "difference"
        results.record_design("level_change", r, unit=unit)
        t = r.table.set_index("term")
        if "slope_change" in t.index:
            s = t.loc["slope_change"]
            results.record("slope_change", s["estimate"], se=s["se"], se_scale=r.se_scale, ci_low=s["ci_low"],
                           ci_high=s["ci_high"],
                           level=r.level, p_value=s["p_value"], n=r.n_obs, method=r.method, kind="effect",
                           unit=f"{unit} per {self.period_label}", sentence=self._slope_sentence(s))
        for _, h in r.horizons.iterrows():
            name = {"rate_ratio": "rate_ratio", "difference": "difference", "difference_in_events": "difference",
                    "cumulative_difference": "cumulative_difference"}[h["measure"]]
            when = f"{fmt_time(h['time'], unit=self.period_label)} ({int(h['horizon']) + 1} {self.period_label}s in)"
            what = {"rate_ratio": f"Rate ratio of {self.outcome_label} against the counterfactual",
                    "difference": f"Difference in {self.outcome_label} from the counterfactual",
                    "difference_in_events": f"Difference in {self.outcome_label} from the counterfactual",
                    "cumulative_difference": f"Cumulative difference in {self.outcome_label} since the start"}
            results.record(f"{name}_h{int(h['horizon'])}", h["estimate"], se=h["se"], ci_low=h["ci_low"],
                           se_scale="log" if h["measure"] == "rate_ratio" else "estimate",
                           ci_high=h["ci_high"], level=r.level, p_value=h["p_value"], n=r.n_obs, method=r.method,
                           kind="effect", unit="rate ratio" if name == "rate_ratio" else self.outcome_label,
                           sentence=f"{what[h['measure']]} in {when}: {fmt_number(h['estimate'])} "
                                    f"({fmt_ci(h['ci_low'], h['ci_high'], r.level)}).")
        if self.controlled is not None:
            c = self.controlled
            results.record_design("controlled_level_change", c, unit=unit)
            ct = c.table.set_index("term")
            if "slope_change" in ct.index:
                s = ct.loc["slope_change"]
                results.record("controlled_slope_change", s["estimate"], se=s["se"], se_scale=c.se_scale,
                               ci_low=s["ci_low"],
                               ci_high=s["ci_high"], level=c.level, p_value=s["p_value"], n=c.n_obs,
                               method=c.method, kind="effect", unit=f"{unit} per {self.period_label}",
                               sentence="Against the comparison area: " + self._slope_sentence(s))
        if self.by_group is not None:
            g = self.by_group
            col = g.columns[0]
            for _, row in g.iterrows():
                if row["term"] == "level_change" and pd.notna(row.get("estimate")):
                    results.record(f"level_change_{slug(row[col])}", row["estimate"], se=row["se"],
                                   se_scale="log" if self.ratio else "estimate",
                                   ci_low=row["ci_low"], ci_high=row["ci_high"], level=r.level,
                                   p_value=row["p_value"], n=_int_or_none(row.get("n_obs")), method=r.method, kind="effect",
                                   unit=unit, sentence=f"Level change in {self.group_label} {row[col]}.")
                elif row["term"] in ("level_change_gradient", "level_change_difference_across_groups"):
                    name = row["term"].replace("difference_across_groups", "heterogeneity")
                    results.record(name, row["estimate"], se=row.get("se"), ci_low=row.get("ci_low"),
                                   se_scale="log" if self.ratio and row["term"].endswith("gradient") else "estimate",
                                   ci_high=row.get("ci_high"), p_value=row["p_value"], method="Cochran's Q and "
                                   "inverse-variance weighted gradient across ordered groups", kind="test",
                                   sentence=f"Does the level change differ by {self.group_label}?")



SECTIONS = ITSAnalysis.SECTIONS


def _int_or_none(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)
