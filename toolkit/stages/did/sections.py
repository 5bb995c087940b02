"""The sections of the difference-in-differences report, as presentation blocks.

:class:`DidSections` is mixed into :class:`toolkit.stages.did.stage.DidAnalysis`: each
``_section_<key>`` method returns the blocks of one part of the report (the template's markdown
cells give the headings and explanations).  Sentences come from :mod:`~toolkit.stages.did.wording`
and :func:`toolkit.reporting.interpret.interpret`, charts from :mod:`~toolkit.stages.did.charts`
and :mod:`toolkit.reporting.plots.did`; nothing is estimated here.
"""

from __future__ import annotations

from toolkit.reporting.formatting import fmt_p
from toolkit.reporting.plots import did as did_plots
from toolkit.stages.base import Bullets, Callout, Facts, Figure, Paragraph, SummaryBox, Table
from toolkit.stages.did import charts, structure, wording

__all__ = ["DidSections", "SECTIONS", "REFERENCES", "ROBUSTNESS_REFERENCES"]

SECTIONS = ("summary", "cautions", "data", "trends", "effect", "event_time", "placebo", "equity", "groups", "twfe",
            "robustness", "conclusion", "methods")

ROBUSTNESS_REFERENCES = (
    "References: Sun L, Abraham S (2021), Journal of Econometrics 225:175-199. Borusyak K, "
    "Jaravel X, Spiess J (2024), Review of Economic Studies 91:3253-3285. Roodman D, MacKinnon JG, "
    "Nielsen MO, Webb MD (2019), Fast and wild, Stata Journal 19:4-60. Holm S (1979), Scandinavian "
    "Journal of Statistics 6:65-70. Benjamini Y, Hochberg Y (1995), JRSS B 57:289-300. Rambachan A, Roth J "
    "(2023), A more credible approach to parallel trends, Review of Economic Studies 90:2555-2591.")

REFERENCES = (
    "References: Callaway B, Sant'Anna PHC (2021), Difference-in-differences with multiple time periods, "
    "Journal of Econometrics 225:200-230. Goodman-Bacon A (2021), Difference-in-differences with variation "
    "in treatment timing, Journal of Econometrics 225:254-277. Cengiz D, Dube A, Lindner A, Zipperer B "
    "(2019), The effect of minimum wages on low-wage jobs, Quarterly Journal of Economics 134:1405-1454. "
    "Roth J, Sant'Anna PHC, Bilinski A, Poe J (2023), What's trending in difference-in-differences?, "
    "Journal of Econometrics 235:2218-2244.")

_PLACEBO_METHOD = ("Placebo checks: for each adoption group, data from before its real start, a fake start shifted "
                   "earlier, clean comparison units, stacked with separate unit and period effects per group "
                   "(Cengiz et al. 2019); standard errors clustered as for two-way fixed effects.")


class DidSections:
    """The ``_section_<key>`` methods of the DiD analysis (see :data:`SECTIONS` for the order)."""

    # ------------------------------------------------------------------ words shared by several sections
    @property
    def unit_name(self) -> str:
        """The time step in words ("month", "quarter", ...)."""
        return self.dd.scale.unit_name

    @property
    def pct(self) -> str:
        """The confidence level as text ("95%")."""
        return f"{self.level * 100:g}%"

    @property
    def most_deprived_label(self) -> str:
        """"the most deprived quintile" for quintile 1, else the quintiles named."""
        if list(self.most_deprived) == [1]:
            return "the most deprived quintile"
        return "deprivation quintiles " + ", ".join(str(q) for q in self.most_deprived)

    @property
    def pretrend_text(self) -> str:
        """The headline pre-trend test in one plain sentence (Callaway & Sant'Anna under staggered adoption)."""
        return wording.pretrend_sentence(self.estimates.pretrend, leads=self.leads, unit_name=self.unit_name,
                                         valid=self.estimates.pretrend_ok)

    def _gap_text(self) -> str:
        return wording.gap_sentence(self.estimates.equity, outcome_label=self.label,
                                    most_deprived_label=self.most_deprived_label,
                                    higher_is_better=self.higher_is_better)

    def _pretrend_test_text(self) -> str:
        """The pre-trend test's statistic in words: a Wald test with permutation p, or an F test."""
        an, unit = self.estimates, self.unit_name
        pt = an.pretrend
        if an.cs_pretrend is not None:
            if not an.pretrend_ok:
                return f"not made: {an.cs_pretrend.note}"
            return (f"joint test that the Callaway and Sant'Anna estimates for the {an.cs_pretrend.df} {unit}s "
                    f"before the start are all zero: Wald = {pt['stat']:.2f}, p = {fmt_p(pt['p_value'])} "
                    f"from {an.cs_pretrend.n_perm:,} random reassignments of start dates")
        if not an.pretrend_ok:
            return (f"not reliable: {pt['df1']:g} {unit}s tested at once with only {pt['df2'] + 1:g} "
                    "clusters")
        return (f"joint Wald test that the {self.leads} {unit}s before the start show no effect (regression event "
                f"study): F = {pt['stat']:.2f} on {pt['df1']:g} and {pt['df2']:g} degrees of "
                f"freedom, p = {fmt_p(pt['p_value'])}")

    # ------------------------------------------------------------------ sections, in report order
    def _section_summary(self):
        an = self.estimates
        points = (self._gap_text(), self.pretrend_text,
                  wording.placebo_sentence(self.checks, unit_name=self.unit_name),
                  f"Method: {self.choice.headline_name}; {len(self.dd.first_treated):,} units over "
                  f"{self.dd.scale.n_periods} {self.unit_name}s.")
        answer = wording.answer(an.headline, outcome_label=self.label, higher_is_better=self.higher_is_better)
        return [SummaryBox("Did it work, and did the gap narrow?", answer, points)]

    def _section_cautions(self):
        if not self.cautions:
            return [Paragraph("The data passed every check: no cautions to report.")]
        return [Callout(w, kind="warning") for w in self.cautions]

    def _section_data(self):
        fig, data, alt = charts.timing_figure(self.dd)
        return [Facts(tuple(structure.panel_facts(self.dd))),
                Figure(fig, alt=alt, caption="When each group of units started the scheme", data=data,
                       data_caption="Units and periods before and after the start, by group"),
                Table(structure.cohort_table(self.dd), caption=structure.cohort_caption(self.dd))]

    def _section_trends(self):
        fig, data, alt = charts.trends_figure(self.dd, outcome_label=self.label)
        return [Figure(fig, alt=alt, caption=f"Average {self.label} by adoption group", data=data,
                       data_caption=f"Average {self.label} each {self.unit_name}, by group")]

    def _section_effect(self):
        from toolkit.reporting.interpret import interpret  # loads the estimators' result classes

        an = self.estimates
        blocks = [Bullets(self.choice.reasons), Paragraph(interpret(an.headline)),
                  Table(wording.effects_table([("Headline: " + self.choice.headline_name, an.headline)]),
                        caption=f"Estimated effect on {self.label} ({self.pct} confidence interval)")]
        if an.by_cohort is not None:
            blocks.append(Table(wording.cohort_effects_table(an.by_cohort, self.dd.scale),
                                caption=f"Effect by the time each group started ({self.pct} confidence interval)"))
        return blocks

    def _section_event_time(self):
        an = self.estimates
        if self.choice.staggered:
            result, title = an.dynamic, "Effect by time since the start (Callaway and Sant'Anna)"
        else:
            result, title = an.event_study, "Effect by time since the start (event study)"
        unit = self.unit_name
        return [Figure(lambda: did_plots.event_time_plot(result, title=title, unit=unit),
                       alt=did_plots.event_time_alt(result, unit=unit, joint_test=an.pretrend_ok),
                       caption=f"Effect on {self.label} by {unit}s since the start",
                       data=did_plots.event_time_data(result, unit=unit),
                       data_caption="Effect by time since the start, with confidence limits"),
                Paragraph(self.pretrend_text),
                Facts((("Pre-trend test", self._pretrend_test_text()),))]

    def _section_placebo(self):
        return [Table(wording.placebo_table(self.checks, unit_name=self.unit_name),
                      caption=f"Placebo effects on {self.label} at fake start dates ({self.pct} confidence interval)"),
                Paragraph(wording.placebo_sentence(self.checks, unit_name=self.unit_name))]

    def _section_equity(self):
        eq = self.estimates.equity
        if eq is None:
            return [Callout("No deprivation quintile is mapped for this data source, so effects by quintile and on "
                            "the gap cannot be shown. Map `quintile:` to the units' IMD quintile.", kind="warning")]
        fig, data, alt = charts.quintile_figure(eq.table, outcome_label=self.label, level=self.level)
        return [Figure(fig, alt=alt, caption=f"Effect on {self.label} by deprivation quintile and on the gap",
                       data=data, data_caption="Effect by deprivation quintile, most deprived group, rest and gap"),
                Paragraph(self._gap_text())]

    def _section_groups(self):
        if self.group_table is None:
            return [Paragraph("No group column is mapped for this data source, so effects by group (for example by "
                              "ethnicity) are not shown. Map `group:` to show them.")]
        return [Table(wording.group_effects_table(self.group_table),
                      caption=f"Effect on {self.label} by {self.group_column} ({self.pct} confidence interval)"),
                Paragraph(self.inputs.group_note)]

    def _section_twfe(self):
        an = self.estimates
        if not self.choice.staggered:
            return [Paragraph("All treated units started at the same time, so two-way fixed effects is the ordinary "
                              "difference-in-differences and is the headline above.")]
        blocks = [Callout("Potentially biased with staggered adoption: for comparison only. The headline above uses "
                          "Callaway and Sant'Anna's method.", kind="warning", label="Comparison only"),
                  Table(wording.effects_table([
                      ("Headline: Callaway and Sant'Anna", an.headline),
                      ("Two-way fixed effects (potentially biased)", an.twfe),
                      ("Event-study average after the start (potentially biased)", an.event_study)]),
                      caption=f"Headline and two-way fixed-effects estimates of the effect on {self.label}")]
        es = an.event_study
        if es is not None:
            unit = self.unit_name
            alt = did_plots.event_time_alt(es, unit=unit, joint_test=an.pretrend_valid).replace(
                "Chart of", "Regression event-study chart (two-way fixed effects) of")
            pt = es.pretrend
            blocks += [
                Figure(lambda: did_plots.event_time_plot(
                    es, title="Regression event study (two-way fixed effects; potentially biased)", unit=unit),
                    alt=alt, data=did_plots.event_time_data(es, unit=unit),
                    caption="Regression event study (comparison only: not the pre-trend test under staggered adoption)",
                    data_caption="Regression event-study coefficients by time since the start"),
                Facts((("Leads of the regression event study (comparison only, potentially biased)",
                        f"F = {pt['stat']:.2f}, p = {fmt_p(pt['p_value'])}" if an.pretrend_valid else
                        "not reliable with this many leads for the number of clusters"),))]
        return blocks

    def _section_robustness(self):
        an, rb = self.estimates, self.robustness
        blocks = [Table(rb.table(an.headline, self.choice.headline_name),
                        caption=f"Headline and robustness estimates of the effect on {self.label} "
                                f"({self.pct} confidence interval)"),
                  Bullets(tuple(rb.sentences))]
        if rb.honest is not None:
            h = rb.honest
            blocks.append(Figure(lambda: did_plots.honest_plot(h, outcome_label=self.label),
                                 alt=did_plots.honest_alt(h, outcome_label=self.label, level=self.level),
                                 caption=f"Sensitivity of the effect on {self.label} to trends that are not exactly "
                                         "parallel (Rambachan and Roth)",
                                 data=did_plots.honest_data(h), data_caption="Confidence limits by M"))
        if rb.subgroup_table() is not None:
            blocks.append(Table(rb.subgroup_table(),
                                caption=f"Effects on {self.label} by deprivation group with adjusted p-values"))
        methods = [f"{r.label}: {r.result.method}." for r in rb.rows if r.result is not None]
        if rb.honest is not None:
            methods.append(f"Sensitivity analysis: {rb.honest.method}.")
        blocks.append(Bullets(tuple(methods) + (ROBUSTNESS_REFERENCES,)))
        return blocks

    def _section_conclusion(self):
        an = self.estimates
        return [Paragraph(p) for p in wording.conclusion(
            an.headline, an.equity, an.pretrend, self.checks, outcome_label=self.label,
            most_deprived_label=self.most_deprived_label, higher_is_better=self.higher_is_better,
            pretrend_valid=an.pretrend_ok)]

    def _section_methods(self):
        an = self.estimates
        methods = [f"Headline: {an.headline.method}.", f"Two-way fixed effects: {an.twfe.method}.",
                   (f"Event study: {an.event_study.method}." if an.event_study is not None else
                    "Event study: not estimated (see the cautions)."),
                   f"Pre-trend test: {an.pretrend_method}."]
        if an.equity is not None:
            methods.append(f"Effect on the gap: {an.equity.method}.")
        methods += [_PLACEBO_METHOD, f"Treatment given as: {self.dd.specification}."]
        methods += [note for note in (self.inputs.outcome_note, self.inputs.group_note) if note]
        return [Bullets(tuple(methods)), Paragraph(REFERENCES)]
