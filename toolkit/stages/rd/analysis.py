"""The regression-discontinuity stage's analysis: what the ``rd`` template records and shows.

:class:`RDAnalysis` holds the fitted discontinuity (made by
:func:`toolkit.stages.rd.fit.run_rd`) and its verdicts; its tables come from
:class:`~toolkit.stages.rd.tables.RDTables`.  ``record`` writes the named results;
``section(key)`` gives each part of the report as blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from toolkit.cautions import code_of
from toolkit.designs.rd import MIN_PER_SIDE
from toolkit.reporting.formatting import fmt_ci, fmt_number
from toolkit.stages.base import Callout, Facts, Figure, Heading, Paragraph, StageAnalysis, SummaryBox, Table
from toolkit.stages.common import glossary_blocks, slug
from toolkit.stages.rd.tables import RDTables
from toolkit.stages.verdicts import Verdict, verdict_blocks

__all__ = ["RDAnalysis", "SECTIONS", "fmt_cutoff"]


def fmt_cutoff(x: float) -> str:
    """A threshold in full (``6,751.5``), never rounded to significant figures."""
    x = float(x)
    return f"{x:,.0f}" if x.is_integer() else f"{x:,.2f}".rstrip("0")



@dataclass(frozen=True)
class RDAnalysis(RDTables, StageAnalysis):
    """Everything the ``rd`` template shows.

    Attributes
    ----------
    result : RDResult
    by_group : DataFrame or None
        :func:`toolkit.designs.rd.fit_by` output when a ``group`` role is mapped.
    verdicts : list of Verdict
    notes : list of str
    """

    result: Any
    by_group: pd.DataFrame | None
    verdicts: list[Verdict]
    notes: list[str]
    outcome_label: str
    running_label: str
    group_label: str
    treated_side: str
    effect_unit: str = ""
    gradient: Verdict | None = None
    settings: dict = field(default_factory=dict)
    raised: tuple = ()  # cautions raised while fitting (coded; see toolkit.cautions)
    charter: Any = None  # the evaluation's charter (its title heads the design facts), set by build

    SECTIONS = ("headline", "design", "jump", "diagnostics", "bandwidth", "groups", "appendix")

    @property
    def warnings(self) -> list[str]:
        """Estimator warnings in the report's words (role names replaced by labels), each once.

        The estimator's manipulation warning is left out: the manipulation verdict says
        the same, weighing who sets the running variable.
        """
        seen: list[str] = []
        for w in list(self.result.warnings) + list(self.raised):
            if code_of(w) == "rd.density_jump":
                continue
            w = w.replace("'running'", self.running_label).replace("'outcome'", self.outcome_label)
            if w not in seen:
                seen.append(w)
        return seen

    @property
    def cutoff(self) -> float:
        return float(self.result.extra["cutoff"])

    def _side_words(self) -> tuple[str, str]:
        """(treated side, untreated side) in words."""
        below, above = f"below {fmt_cutoff(self.cutoff)}", f"at or above {fmt_cutoff(self.cutoff)}"
        return (below, above) if self.treated_side == "below" else (above, below)

    def headline(self) -> tuple[str, list[str]]:
        r = self.result
        verb = "higher" if r.estimate > 0 else "lower"
        unit = f" {self.effect_unit}" if self.effect_unit else ""
        answer = (f"Just at the threshold, {self.outcome_label} was {fmt_number(abs(r.estimate))}{unit} {verb} on the side "
                  f"that gets the scheme than on the side that does not "
                  f"({fmt_ci(r.ci_low, r.ci_high, r.level)}). ")
        answer += ("The whole interval is above zero, so the jump is unlikely to be chance." if r.ci_low > 0 else
                   "The whole interval is below zero, so the drop is unlikely to be chance." if r.ci_high < 0 else
                   "The interval includes zero, so we cannot rule out that the scheme made no difference.")
        treated, untreated = self._side_words()
        points = [
            f"Units with {self.running_label} {treated} get the scheme; those {untreated} do not. Units either side "
            "of the threshold are alike in every other way, so the jump there is the scheme's effect for units "
            "near the threshold.",
            f"The estimate uses the {int(r.extra['n_eff_left']):,} + {int(r.extra['n_eff_right']):,} units within "
            f"{fmt_number(r.extra['h_left'])} of the threshold (of {int(r.extra['n_total']):,}).",
        ]
        if self.gradient is not None:
            points.append(self.gradient.finding)
        bad = [v for v in self.verdicts if v.status != "good"]
        points.append("Read with care: " + "; ".join(v.check.rstrip("?").lower() for v in bad)
                      + " (see the diagnostics below)." if bad else "The diagnostics below raise no concerns.")
        return answer, points

    def design_facts(self, charter=None) -> list[tuple[str, str]]:
        r = self.result
        treated, untreated = self._side_words()
        facts = [("Scheme", charter.title)] if charter is not None else []
        facts += [
            ("Outcome", self.outcome_label),
            ("Score that decides who gets the scheme", self.running_label),
            ("Threshold", fmt_cutoff(self.cutoff)),
            ("Gets the scheme", f"{self.running_label} {treated}"),
            ("Units below / at or above", f"{int(r.extra['n_left']):,} / {int(r.extra['n_right']):,}"),
            ("Units compared", f"those within {fmt_number(r.extra['h_left'])} either side of the threshold "
                               "(a width chosen from the data)"),
        ]
        if r.extra.get("excluded"):
            facts.append(("Rows excluded (missing values)", f"{int(r.extra['excluded']):,}"))
        return facts

    def method_facts(self) -> list[tuple[str, str]]:
        return [
            ("Method", self.result.method),
            ("Estimate", "conventional local-linear estimate of the jump (treated side minus the other side)"),
            ("Interval", "robust bias-corrected interval and p-value (Calonico, Cattaneo and Titiunik 2014)"),
            ("Manipulation test", "rddensity (Cattaneo, Jansson and Ma 2020)"),
            ("Bandwidth", f"MSE-optimal (mserd), h = {fmt_number(self.result.extra['h_left'])} either side; the "
                          "sensitivity chart refits at multiples of it"),
            ("Minimum data", f"refused with fewer than {MIN_PER_SIDE} units on either side of the threshold"),
        ]

    def no_groups_text(self) -> str:
        return (f"This design estimates the effect only for units near the threshold. Here the threshold is set on "
                f"{self.running_label}, so every unit near it has about the same deprivation: the design cannot say "
                "whether the effect differs across the deprivation gradient. Whether it differs between other kinds "
                "of unit at the threshold (for example urban and rural neighbourhoods) can be checked by adding "
                "that column (the technical appendix says how).")

    def limits_text(self) -> str:
        """The standing limit of the design, named on the headline (issue 15)."""
        return (f"The effect is local to the threshold: it applies to units with {self.running_label} close to "
                f"{fmt_cutoff(self.cutoff)}. Units far from it, on either side, may respond differently, so this "
                "does not say what the scheme does for the most or least deprived, or what extending it further "
                "would achieve.")

    def jump_alt(self) -> str:
        r = self.result
        return (f"Scatter chart of the average {self.outcome_label} in bands of {self.running_label} either side of "
                f"the threshold {fmt_cutoff(self.cutoff)}: circles and a solid straight line below it, squares and "
                f"a dashed line at or above it, fitted to units within {fmt_number(r.extra['h_left'])} of the "
                f"threshold. The jump at the threshold is estimated at {fmt_number(r.estimate)} "
                f"({fmt_ci(r.ci_low, r.ci_high, r.level)}).")

    def bandwidth_alt(self) -> str:
        s = self.result.sensitivity
        return (f"Chart of the estimated jump in {self.outcome_label} when comparing units within {len(s)} "
                f"different widths of the threshold, from {fmt_number(s['h_left'].min())} to "
                f"{fmt_number(s['h_left'].max())}; estimates range from {fmt_number(s['estimate'].min())} to "
                f"{fmt_number(s['estimate'].max())}.")

    # -------------------------------------------------------------- the report
    def _section_headline(self):
        answer, points = self.headline()
        return [SummaryBox("Did the scheme make a difference at the threshold?", answer, tuple(points)),
                Callout(self.limits_text(), kind="info", label="Limits of this design"),
                *(Callout(text, kind="warning") for text in self.warnings)]

    def _section_design(self):
        return [Facts(tuple(self.design_facts(self.charter))),
                Table(self.data_table(), caption="The data either side of the threshold")]

    def _section_jump(self):
        from toolkit.reporting.plots import rd as rd_plots

        r, out = self.result, self.outcome_label[:1].upper() + self.outcome_label[1:]
        return [Figure(lambda: rd_plots.binned_scatter(r, xlabel=self.running_label, ylabel=out),
                       alt=self.jump_alt(),
                       caption=f"{out} by {self.running_label}, either side of the threshold",
                       data=self.bins_table(), data_caption=f"Average outcome in bands of {self.running_label}")]

    def _section_diagnostics(self):
        return [*verdict_blocks(self.verdicts),
                Paragraph("The statistical tests behind these checks are in the technical appendix.")]

    def _section_bandwidth(self):
        from toolkit.reporting.plots import rd as rd_plots

        r = self.result
        return [Figure(lambda: rd_plots.sensitivity_plot(r), alt=self.bandwidth_alt(),
                       caption="Estimated jump when comparing units in narrower and wider bands around the "
                               "threshold, with 95% intervals",
                       data=self.sensitivity_table(), data_caption="Estimated jump by width of the band")]

    def _section_groups(self):
        if self.by_group is None:
            return [Callout(self.no_groups_text(), kind="info")]
        return [Table(self.group_table(), caption=f"The jump at the threshold in each {self.group_label}"),
                Paragraph(self.gradient.finding) if self.gradient is not None else None]

    def _section_appendix(self):
        density = self.density_table()
        terms = ["Regression discontinuity", "Running variable", "rdrobust", "MSE-optimal bandwidth",
                 "Bias-corrected robust interval", "Triangular kernel", "rddensity"]
        if self.by_group is not None:
            terms.append("Cochran's Q")
        return [Facts(tuple(self.method_facts())),
                Table(self.estimates_table(),
                      caption="The jump at the threshold: conventional and bias-corrected estimates"),
                Table(density, caption="Manipulation test: are there more units just on one side of the threshold?")
                if density is not None else None,
                Heading("Data roles", level=3),
                Paragraph("The stage reads the roles running (the score), outcome and, optionally, unit (checked "
                          "against the official IMD rank when the score is one) and group (a kind of unit, e.g. "
                          "urban and rural, for effects by group)."),
                *glossary_blocks(*terms)]

    # -------------------------------------------------------------- results.json
    def record(self, results) -> None:
        r = self.result
        results.record_design("effect", r, unit=self.effect_unit or self.outcome_label,
                              extra={"cutoff": self.cutoff, "treated_side": self.treated_side,
                                     "bandwidth": r.extra["h_left"]})
        d = r.density
        if d is not None and not d.empty:
            v = next(v for v in self.verdicts if v.check.startswith("Is there evidence of manipulation"))
            results.record("density_p", float(d["p_value"].iloc[0]), p_value=float(d["p_value"].iloc[0]),
                           n=int(d["n_left"].iloc[0] + d["n_right"].iloc[0]), method=str(d["test"].iloc[0]),
                           kind="test", sentence=v.finding)
        s = r.sensitivity
        if s is not None and not s.empty:
            results.record("effect_bandwidth_min", float(s["estimate"].min()), kind="diagnostic", unit=self.outcome_label,
                           sentence="Smallest estimate from half to twice the chosen bandwidth.")
            results.record("effect_bandwidth_max", float(s["estimate"].max()), kind="diagnostic", unit=self.outcome_label,
                           sentence="Largest estimate from half to twice the chosen bandwidth.")
        if self.by_group is not None:
            g = self.by_group
            col = g.columns[0]
            for _, row in g.iterrows():
                if row["term"] == "rd_effect" and pd.notna(row.get("estimate")):
                    results.record(f"effect_{slug(row[col])}", row["estimate"], se=row["se"], ci_low=row["ci_low"],
                                   ci_high=row["ci_high"], level=r.level, p_value=row["p_value"],
                                   n=int(row["n_obs"]), method=r.method, kind="effect", unit=self.outcome_label,
                                   sentence=f"Jump at the threshold in {self.group_label} {row[col]}.")
                elif row["term"] in ("gradient", "difference_across_groups"):
                    name = "effect_gradient" if row["term"] == "gradient" else "effect_heterogeneity"
                    results.record(name, row["estimate"], se=row.get("se"), ci_low=row.get("ci_low"),
                                   ci_high=row.get("ci_high"), p_value=row["p_value"], kind="test",
                                   method="Cochran's Q and inverse-variance weighted gradient across groups",
                                   sentence=f"Does the jump differ by {self.group_label}?")


SECTIONS = RDAnalysis.SECTIONS
