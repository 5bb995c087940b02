"""The sections of the difference-in-differences report, as presentation blocks.

:class:`DidSections` is mixed into :class:`toolkit.stages.did.stage.DidAnalysis`: each
``_section_<key>`` method returns the blocks of one part of the report (the template's markdown
cells give the headings and explanations).  Sentences come from :mod:`~toolkit.stages.did.wording`
and :func:`toolkit.reporting.interpret.interpret`, charts from :mod:`~toolkit.stages.did.charts`
and :mod:`toolkit.reporting.plots.did`; nothing is estimated here.
"""

from __future__ import annotations

from toolkit.reporting.formatting import fmt_number, fmt_p
from toolkit.reporting.plots import did as did_plots
from toolkit.stages.base import Bullets, Callout, Facts, Figure, Heading, Paragraph, SummaryBox, Table
from toolkit.stages.did import charts, structure, wording
from toolkit.stages.did.appendix import GLOSSARY, PLACEBO_METHOD, PLAIN_ROW_LABELS, REFERENCES, ROBUSTNESS_REFERENCES

__all__ = ["DidSections", "SECTIONS", "REFERENCES", "ROBUSTNESS_REFERENCES", "GLOSSARY"]

#: Everything before "appendix" is for the board (plain words, no code or method names: a test checks);
#: the appendix, the two-way fixed-effects comparison and the methods are for analysts.
SECTIONS = ("summary", "cautions", "data", "trends", "effect", "event_time", "placebo", "equity", "groups",
            "robustness", "conclusion", "appendix", "twfe", "methods")

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

    # ------------------------------------------------------------------ helpers of the board part
    def _plain_method(self) -> str:
        """How the effect was estimated, without naming the method (the appendix names it)."""
        n, nt = len(self.dd.first_treated), int((self.dd.first_treated > 0).sum())
        waves = len(self.dd.cohorts)
        when = f"in {waves} waves" if waves > 1 else "at the same time"
        against = ("those that had not yet joined" if self.choice.control == "not_yet" else "those that never joined")
        return (f"How we worked it out: we compared the change in the {nt:,} {self.unit_word} that joined the scheme "
                f"({when}) with the change over the same {self.unit_name}s in {against}; {n:,} {self.unit_word} over "
                f"{self.dd.scale.n_periods} {self.unit_name}s.")

    def _plain_reasons(self) -> tuple[str, ...]:
        dd = self.dd
        if self.choice.staggered:
            starts = ", ".join(dd.scale.label(g) for g in dd.cohorts)
            return (f"The {self.unit_word} joined at {len(dd.cohorts)} different times ({starts}), so each group of "
                    f"joiners is compared only with {self.unit_word} that had not joined at the time, never with "
                    f"{self.unit_word} already in the scheme (the technical appendix names the method).",)
        return (f"Every {self.unit_word.rstrip('s')} in the scheme started at the same time "
                f"({dd.scale.label(dd.cohorts[0])}), so the change in them is compared with the change in the others "
                "over the same time.",)

    def _relative(self, estimate) -> str:
        return wording.relative_text(estimate, self.pre_mean, unit_word=self.unit_word).lstrip(", ")

    # ------------------------------------------------------------------ sections, in report order
    def _section_summary(self):
        an = self.estimates
        points = (self._gap_text(), self.pretrend_text,
                  wording.placebo_sentence(self.checks, unit_name=self.unit_name), self._plain_method())
        points += tuple(f"Bear in mind: {c.short[:1].lower()}{c.short[1:]}" for c in self.caveats)
        answer = wording.answer(an.headline, outcome_label=self.label, higher_is_better=self.higher_is_better,
                                reference=self.pre_mean, unit_word=self.unit_word)
        return [SummaryBox("Did it work, and did the gap narrow?", answer, points)]

    def _section_cautions(self):
        blocks = [Callout(c.text, kind="warning", label="Bear in mind") for c in self.caveats]
        blocks += [Callout(w, kind="warning") for w in self.cautions]
        return blocks or [Paragraph("The data passed every check and no standing caveat of this design applies.")]

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
        rel = self._relative(an.headline.estimate)
        blocks = [Bullets(self._plain_reasons()), Paragraph(interpret(an.headline)),
                  Table(wording.effects_table([("Headline estimate", an.headline)], relative=rel),
                        caption=f"Estimated effect on {self.label} ({self.pct} confidence interval)")]
        if an.by_cohort is not None:
            blocks.append(Table(wording.cohort_effects_table(an.by_cohort, self.dd.scale),
                                caption=f"Effect on {self.label} by the time each group started "
                                        f"({self.pct} confidence interval)"))
        return blocks

    def _section_event_time(self):
        an = self.estimates
        result = an.dynamic if self.choice.staggered else an.event_study
        unit = self.unit_name
        return [Figure(lambda: did_plots.event_time_plot(result, title=f"Effect by {unit}s since the start",
                                                         unit=unit),
                       alt=did_plots.event_time_alt(result, unit=unit, joint_test=an.pretrend_ok),
                       caption=f"Effect on {self.label} by {unit}s since the start",
                       data=did_plots.event_time_data(result, unit=unit),
                       data_caption="Effect by time since the start, with confidence limits"),
                Paragraph(self.pretrend_text)]

    def _section_placebo(self):
        return [Table(wording.placebo_table(self.checks, unit_name=self.unit_name),
                      caption=f"Placebo effects on {self.label} at fake start dates ({self.pct} confidence interval)"),
                Paragraph(wording.placebo_sentence(self.checks, unit_name=self.unit_name))]

    def _section_equity(self):
        eq = self.estimates.equity
        if eq is None:
            return [Callout("The data for this stage do not give each unit's deprivation quintile, so effects by "
                            "quintile and on the gap cannot be shown (the technical appendix says how to add it).",
                            kind="warning")]
        rows, missing = charts.forest_rows(eq.table, most_deprived=self.most_deprived)
        fig, data, alt = charts.quintile_figure(rows, outcome_label=self.label, level=self.level)
        blocks = [Figure(fig, alt=alt, caption=f"Effect on {self.label} by deprivation quintile and on the gap",
                         data=data, data_caption="Effect by deprivation quintile, the rest and the gap"),
                  Paragraph(self._gap_text())]
        if missing:
            blocks.append(Paragraph("No estimate for " + ", ".join(missing) + ": too few units there to estimate an "
                                    "effect with a margin of error, so it is left out of the chart."))
        return blocks

    def _section_groups(self):
        if self.group_table is None:
            return [Paragraph("The data for this stage have no population group (for example ethnicity), so effects "
                              "by group are not shown.")]
        return [Table(wording.group_effects_table(self.group_table),
                      caption=f"Effect on {self.label} by group ({self.pct} confidence interval)")]

    def _section_robustness(self):
        an, rb = self.estimates, self.robustness
        table = rb.table(an.headline, "")
        table["Estimate"] = ["Headline estimate"] + [PLAIN_ROW_LABELS.get(r.key, r.label) for r in rb.rows]
        blocks = [Table(table, caption=f"The headline and other ways of estimating the effect on {self.label} "
                                       f"({self.pct} confidence interval)"),
                  Bullets(tuple(rb.sentences))]
        if rb.honest is not None:
            h = rb.honest
            blocks.append(Figure(lambda: did_plots.honest_plot(h, outcome_label=self.label),
                                 alt=did_plots.honest_alt(h, outcome_label=self.label, level=self.level),
                                 caption=f"How the interval for the effect on {self.label} widens if the trends "
                                         "were not exactly parallel",
                                 data=did_plots.honest_data(h),
                                 data_caption="Confidence limits by how far the trends may bend"))
        sub = rb.subgroup_table()
        if sub is not None:
            rows, _ = charts.forest_rows(rb.subgroups.table, most_deprived=self.most_deprived)
            blocks.append(Table(wording.adjusted_table(rows),
                                caption=f"Effects on {self.label} by deprivation group, with p-values allowing for "
                                        "the number of groups tested"))
        return blocks

    def _section_conclusion(self):
        an = self.estimates
        return [Paragraph(p) for p in wording.conclusion(
            an.headline, an.equity, an.pretrend, self.checks, outcome_label=self.label,
            most_deprived_label=self.most_deprived_label, higher_is_better=self.higher_is_better,
            pretrend_valid=an.pretrend_ok, reference=self.pre_mean, unit_word=self.unit_word)]

    # ------------------------------------------------------------------ the technical appendix
    def _section_appendix(self):
        an, rb = self.estimates, self.robustness
        notes = [("Why this method", " ".join(self.choice.reasons)),
                 ("Headline method", self.choice.headline_name),
                 ("Pre-trend test", self._pretrend_test_text()),
                 ("Relative effect", f"the effect divided by the mean of {fmt_number(self.pre_mean)} in the "
                                     f"{self.unit_word} in the scheme before they started (weighted as the estimates)")]
        if rb.honest is not None:
            notes.append(("Sensitivity to non-parallel trends (HonestDiD)",
                          f"{rb.honest_source}; M is how much the difference in trends may bend per "
                          f"{self.unit_name}."))
        if rb.subgroups is not None:
            m = rb.subgroups.extra["multiplicity"]
            notes.append(("Adjustment for many groups", f"{m['label']} over {m['family_size']} tests, as the charter "
                                                        "chooses (charter.multiplicity: holm or bh); the effect on the "
                                                        "gap, the primary estimate, is exempt."))
        notes += [(f"{r.label}", f"not estimated: {r.note}") for r in rb.rows if r.result is None and r.note]
        blocks = [Heading("Glossary"), Facts(tuple(GLOSSARY)), Heading("Notes on this analysis"), Facts(tuple(notes))]
        if rb.subgroups is not None:
            blocks.append(Table(rb.subgroup_table(), caption=f"Effects on {self.label} by deprivation group with "
                                                             "adjusted p-values (every row, as recorded)"))
        return blocks

    def _section_twfe(self):
        an = self.estimates
        if not self.choice.staggered:
            return [Paragraph("All treated units started at the same time, so two-way fixed effects is the ordinary "
                              "difference-in-differences and is the headline.")]
        blocks = [Callout("Potentially biased with staggered adoption: for comparison only. The headline uses "
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

    def _section_methods(self):
        an, rb = self.estimates, self.robustness
        methods = [f"Headline: {an.headline.method}.", f"Two-way fixed effects: {an.twfe.method}.",
                   (f"Event study: {an.event_study.method}." if an.event_study is not None else
                    "Event study: not estimated (see the cautions)."),
                   f"Pre-trend test: {an.pretrend_method}."]
        if an.equity is not None:
            methods.append(f"Effect on the gap: {an.equity.method}.")
        methods += [PLACEBO_METHOD, f"Treatment given as: {self.dd.specification}."]
        methods += [note for note in (self.inputs.outcome_note, self.inputs.group_note) if note]
        methods += [f"{r.label}: {r.result.method}." for r in rb.rows if r.result is not None]
        if rb.honest is not None:
            methods.append(f"Sensitivity analysis: {rb.honest.method}.")
        if an.equity is None:
            methods.append("Effects by deprivation quintile need the units' IMD quintile: map `quintile:` in the "
                           "data source's columns.")
        if self.group_table is None:
            methods.append("Effects by a population group (for example ethnicity) need `group:` mapped in the data "
                           "source's columns.")
        methods.append("To test fewer periods before the start, lower the stage parameter `leads`.")
        return [Bullets(tuple(methods)), Paragraph(REFERENCES), Paragraph(ROBUSTNESS_REFERENCES)]
