"""The synthetic-control stage's analysis: what the ``synth`` template records and shows.

:class:`SynthAnalysis` holds the fitted synthetic control (made by
:func:`toolkit.stages.synth.fit.run_synth`), its verdicts and the synthetic-DiD
comparison; its tables come from :class:`~toolkit.stages.synth.tables.SynthTables`.
``record`` writes the named results; ``section(key)`` gives each part of the report as blocks.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from toolkit.designs.synth import MIN_PRE_PERIODS
from toolkit.reporting.plots.synth import BAND_MAX_RATIO_PRE
from toolkit.reporting.formatting import fmt_number
from toolkit.reporting.language import upper_first
from toolkit.stages.base import Callout, Facts, Figure, Heading, Paragraph, StageAnalysis, SummaryBox, Table
from toolkit.stages.common import covid_caution, glossary_blocks, slug
from toolkit.stages.synth.tables import SynthTables
from toolkit.stages.verdicts import Verdict, p_text, verdict_blocks

__all__ = ["SynthAnalysis", "SECTIONS"]


@dataclass(frozen=True)
class SynthAnalysis(SynthTables, StageAnalysis):
    """Everything the ``synth`` template shows.

    Attributes
    ----------
    result : SynthResult
    verdicts : list of Verdict
    notes : list of str
        Information about how the data were used, shown as notes (not warnings).
    sd_pre : float
        Standard deviation of the treated unit's pre-period outcome (for the fit verdict).
    by_group : DataFrame or None
        Per-group average gaps and placebo p-values when a ``group`` role is mapped.
    """

    result: Any
    verdicts: list[Verdict]
    notes: list[str]
    sd_pre: float
    outcome_label: str
    period_label: str
    treated_label: str
    time_unit: str | None
    by_group: pd.DataFrame | None = None
    group_label: str = "deprivation quintile"
    panel: pd.DataFrame | None = field(default=None, repr=False)
    settings: dict = field(default_factory=dict)
    raised: tuple = ()  # cautions raised while fitting (coded; see toolkit.cautions)
    comparison: Any = None  # compare.MethodComparison (SDID and DiD beside SC) or None
    charter: Any = None  # the evaluation's charter (its title heads the design facts), set by build

    SECTIONS = ("headline", "design", "trajectory", "weights", "placebo", "comparison", "diagnostics", "groups",
                "appendix")

    @property
    def warnings(self) -> list[str]:
        seen: list[str] = []
        for w in list(self.result.warnings) + list(self.raised):
            if w not in seen:
                seen.append(w)
        return seen

    # -------------------------------------------------------------- words
    def headline(self) -> tuple[str, list[str]]:
        r = self.result
        n = len(r.placebos) if r.placebos is not None else 0
        verb = "lower" if r.estimate < 0 else "higher"
        answer = (f"After the scheme started, {self.outcome_label} in {self.treated_label} were on average "
                  f"{fmt_number(abs(r.estimate))} {verb} than in a synthetic comparison built from "
                  f"{int(r.extra['n_donors'])} similar areas without the scheme.")
        if n > 1:
            rank = int(r.placebos["rank"].iloc[0])
            answer += (f" Ranked against placebo runs for every comparison area, it comes {rank} of {n} "
                       f"(placebo {p_text(r.p_value)}): "
                       + ("a gap this large is unlikely to be chance." if r.p_value <= 0.1
                          else "a gap this large could be chance."))
        points = [
            "A synthetic control has no confidence interval. How sure we are comes from the placebo test above, "
            "from how closely the synthetic control matched before the scheme, and from whether the answer "
            "survives dropping each comparison area in turn.",
        ]
        for v in self.verdicts:
            if v.check.startswith("Is the pre-period fit") or v.check.startswith("Does the answer rest"):
                points.append(v.finding)
        if self.by_group is not None and self.by_group["estimate"].notna().sum() >= 2:
            b = self.by_group.dropna(subset=["estimate"])
            lo, hi = b.loc[b["estimate"].idxmin()], b.loc[b["estimate"].idxmax()]
            points.append(f"By {self.group_label}, the average gap ranges from {fmt_number(lo['estimate'])} "
                          f"({lo['group']}) to {fmt_number(hi['estimate'])} ({hi['group']}); a synthetic control "
                          "has no standard error, so this is not a formal test of a difference.")
        bad = [v for v in self.verdicts if v.status != "good"]
        points.append("Read with care: " + "; ".join(v.check.rstrip("?").lower() for v in bad) + "."
                      if bad else "The diagnostics below raise no concerns.")
        return answer, points

    def design_facts(self, charter=None) -> list[tuple[str, str]]:
        r = self.result
        g = r.gaps
        facts = [("Scheme", charter.title)] if charter is not None else []
        facts += [
            ("Area with the scheme", self.treated_label),
            ("Outcome", self.outcome_label),
            ("Scheme started", self._t(g.loc[g["post"], "time"].iloc[0])),
            ("Data", f"{self._t(g['time'].iloc[0])} to {self._t(g['time'].iloc[-1])}"),
            (f"{upper_first(self.period_label)}s before the start", f"{int(r.extra['n_pre'])}"),
            (f"{upper_first(self.period_label)}s since the start", f"{int(r.extra['n_post'])}"),
            ("Comparison areas used (donors)", f"{int(r.extra['n_donors'])}"),
        ]
        return facts

    def method_facts(self) -> list[tuple[str, str]]:
        return [
            ("Method", self.result.method),
            ("Effect", "the average gap between the area and its synthetic control after the start"),
            ("Pre-period fit", "root mean squared prediction error (RMSPE) before the start"),
            ("Placebo band", "on the chart, the synthetic control plus the lowest to highest gap of the placebo runs "
                             "whose fit error before the start is at most "
                             f"{BAND_MAX_RATIO_PRE:g} times ours (cut-offs as in Abadie, Diamond and Hainmueller "
                             "2010): the range of gaps seen without the scheme, not a confidence interval"),
            ("Minimum data", f"refused with fewer than {MIN_PRE_PERIODS} {self.period_label}s before the start; "
                             "10 or more recommended"),
            ("References", "Abadie, Diamond and Hainmueller (2010, 2015)"),
        ]

    def no_groups_text(self) -> str:
        return (f"These data hold one series per area, with no breakdown by {self.group_label}, so they cannot say "
                "whether the effect differed across the deprivation gradient. Supplying each area's series by "
                f"{self.group_label} would give each group its own synthetic control and placebo test (the "
                "technical appendix says how).")

    def limits_text(self) -> str:
        """The standing threats of the design, named on the headline (issue 15)."""
        donors = int(self.result.extra["n_donors"])
        text = (f"This design compares one area with a weighted mix of {donors} others. It cannot tell the scheme "
                "apart from anything else that changed in this area alone at the same time (another scheme, a "
                "change in services or in how activity is recorded), and with a single area there is no second "
                "place where the scheme was tried to confirm the result. With "
                f"{donors} comparison areas the placebo test cannot give a p-value below 1 in {donors + 1} "
                f"({fmt_number(1 / (donors + 1), digits=2)}), however large the effect.")
        covid = covid_caution(self.result.gaps.loc[self.result.gaps["post"], "time"].iloc[0],
                              unit=self.time_unit or self.period_label)
        return text + (" " + covid if covid else "")

    # -------------------------------------------------------------- the report
    def _section_headline(self):
        answer, points = self.headline()
        return [SummaryBox(f"Did {self.treated_label} change compared with similar areas?", answer, tuple(points)),
                Callout(self.limits_text(), kind="info", label="Limits of this design"),
                *(Callout(text, kind="warning") for text in self.warnings)]

    def _section_design(self):
        return [Facts(tuple(self.design_facts(self.charter))), *(Callout(text, kind="info") for text in self.notes),
                Table(self.areas_table(), caption=f"The areas in the data: mean {self.outcome_label} before and "
                      "since the start, and each comparison area's weight in the synthetic control")]

    def _section_trajectory(self):
        from toolkit.reporting.plots import synth as synth_plots

        out, r = upper_first(self.outcome_label), self.result
        return [Figure(lambda: synth_plots.trajectory_panels(r, xlabel=upper_first(self.period_label), ylabel=out,
                                                             treated_label=self.treated_label),
                       alt=self.trajectory_alt(),
                       caption=f"{out}: {self.treated_label} and its synthetic control, with the range of gaps seen "
                               "in comparison areas without the scheme; below, the gap each "
                               f"{self.period_label} and added up since the start",
                       data=self.trajectory_table(),
                       data_caption=f"{out} by {self.period_label}: our area, its synthetic control, the gap and "
                                    "the range of placebo gaps")]

    def _section_weights(self):
        from toolkit.reporting.plots import synth as synth_plots

        r = self.result
        return [Figure(lambda: synth_plots.weights_plot(r), alt=self.weights_alt(),
                       caption="Weight of each comparison area in the synthetic control",
                       data=self.weights_table(), data_caption="Comparison areas and their weights (summing to 1)")]

    def _section_placebo(self):
        from toolkit.reporting.plots import synth as synth_plots

        r = self.result
        return [Figure(lambda: synth_plots.placebo_plot(r, xlabel=upper_first(self.period_label),
                                                        ylabel="Gap: area minus its synthetic control"),
                       alt=self.placebo_alt(),
                       caption="Gap between each area and its synthetic control: our area and the placebo areas",
                       data=self.placebo_table(),
                       data_caption="Placebo test: fit error before and after the start for every area, ranked")]

    def _section_comparison(self):
        c = self.comparison
        if c is None:
            return [Callout("Synthetic difference-in-differences could not be fitted to these data.", kind="info")]
        return [Paragraph(c.sentence),
                Table(c.table, caption=f"Average effect on {self.outcome_label} after the start, by method")]

    def _section_diagnostics(self):
        loo = self.leave_one_out_table()
        return [*verdict_blocks(self.verdicts),
                Table(loo, caption="The average gap with each weighted comparison area left out in turn")
                if loo is not None else None]

    def _section_groups(self):
        if self.by_group is None:
            return [Callout(self.no_groups_text(), kind="info")]
        return [Table(self.group_table(), caption=f"Average gap in each {self.group_label}, with its placebo p-value"),
                Paragraph("A synthetic control has no standard error, so the groups are compared by their own "
                          "placebo tests rather than by a formal test of difference.")]

    def _section_appendix(self):
        return [Facts(tuple(self.method_facts())),
                Heading("Data roles", level=3),
                Paragraph("The stage reads the roles unit, time and outcome. A breakdown by "
                          f"{self.group_label} is added by mapping that column to the group role (one row per area, "
                          f"group and {self.period_label}); comparison areas can be limited with the donors "
                          "parameter."),
                *glossary_blocks("Synthetic control", "Donor", "RMSPE", "Placebo test",
                                 "Synthetic difference-in-differences (SDID)", "ATT")]

    # -------------------------------------------------------------- results.json
    def record(self, results) -> None:
        r = self.result
        unit = self.outcome_label
        results.record_design("att", r, unit=unit, extra={"treated_unit": str(r.extra["treated_unit"])})
        if self.comparison is not None:
            results.record_design("att_sdid", self.comparison.sdid, unit=unit)
        n = len(r.placebos) if r.placebos is not None else None
        results.record("rmspe_pre", r.pre_rmspe, n=int(r.extra["n_pre"]), method=r.method, kind="diagnostic",
                       unit=unit, sentence=next((v.finding for v in self.verdicts
                                                 if v.check.startswith("Is the pre-period fit")), ""),
                       extra={"sd_pre": self.sd_pre})
        if not np.isnan(r.p_value):
            results.record("placebo_p", r.p_value, n=n, method="in-space placebo permutation (post/pre RMSPE ratio)",
                           kind="test", sentence=next((v.finding for v in self.verdicts
                                                       if v.check.startswith("Could the gap")), ""))
        if r.leave_one_out is not None and not r.leave_one_out.empty:
            loo = r.leave_one_out["estimate"]
            results.record("att_leave_one_out_min", float(loo.min()), kind="diagnostic", unit=unit,
                           sentence="Smallest average gap when one weighted comparison area is left out.")
            results.record("att_leave_one_out_max", float(loo.max()), kind="diagnostic", unit=unit,
                           sentence="Largest average gap when one weighted comparison area is left out.")
        if self.by_group is not None:
            for _, row in self.by_group.iterrows():
                if pd.notna(row["estimate"]):
                    results.record(f"att_{slug(row['group'])}", row["estimate"], p_value=row["p_value"],
                                   method=r.method, kind="effect", unit=unit,
                                   sentence=f"Average gap in {self.group_label} {row['group']}.")



SECTIONS = SynthAnalysis.SECTIONS
