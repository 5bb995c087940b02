"""The ``charter`` template's stage: the project charter a board signs off.

``build(ctx)`` reads the charter from the evaluation and works out, for each goal a
design stage will judge, the smallest effect the planned study could detect
(:func:`toolkit.board.charter_power.charter_power`).  The returned
:class:`CharterAnalysis` records each goal's forecast (``goal.<id>.target``) and
minimum detectable effect (``goal.<id>.mde``) and gives the report's sections
(:data:`SECTIONS`); the tables and texts come from :mod:`toolkit.board.charter`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from toolkit.board import charter as view
from toolkit.board import charter_power
from toolkit.stages.base import (Bullets, Callout, Facts, Figure, Heading, Paragraph, StageAnalysis, SummaryBox,
                                 Table)

__all__ = ["build", "SECTIONS", "CharterAnalysis"]


def _day(value) -> str:
    """``1 April 2024`` as the charter writes dates (``01 April 2024``: day with two digits)."""
    return f"{value:%d %B %Y}"


@dataclass(frozen=True)
class CharterAnalysis(StageAnalysis):
    """The charter and its power checks.

    Attributes
    ----------
    charter : toolkit.evaluations.schema.Charter
        The charter as written in evaluation.yaml.
    checks : list of toolkit.board.charter_power.GoalPower
        One power check per goal judged by a design stage with data (may be empty).
    """

    charter: Any
    checks: list

    SECTIONS = ("summary", "problem", "inequality", "goals", "scope", "logic_model", "design", "power", "costs",
                "governance", "risks", "questions")

    # -------------------------------------------------------------- results.json
    def record(self, results) -> None:
        """Record each goal's forecast target, then each worked-out minimum detectable effect."""
        for goal in self.charter.goals:
            results.record(f"goal.{goal.id}.target", goal.target, kind="forecast",
                           sentence=f"Forecast: {view.goal_measure_text(goal)} to {goal.direction} to "
                                    f"{goal.target:g} by {_day(goal.by)}.",
                           unit=goal.unit, extra={"baseline": goal.baseline, "measure": view.goal_measure_text(goal),
                                                  "by": goal.by.isoformat()})
        for check in self.checks:
            if check.result is not None:
                results.record(f"goal.{check.goal.id}.mde", check.mde, kind="power", unit=check.goal.unit,
                               level=check.result.level, method=check.result.method,
                               sentence=charter_power.power_sentence(check),
                               extra={"forecast_change": check.forecast, "cannot_detect": check.cannot_detect,
                                      "design": check.design, "power": check.result.power})

    # -------------------------------------------------------------- the report
    def _section_summary(self):
        c = self.charter
        return [SummaryBox("The scheme in brief", c.scheme, (
            "Target group: " + view.target_group_text(c) + ".",
            f"Compared with: {c.comparison_group}.",
            f"Period: {_day(c.period.start)} to {_day(c.period.end)}; geography: {c.geography}.",
            f"Evaluation design chosen on {_day(c.design.chosen_on)}: {c.design.approach.replace('-', ' ')}.",
            f"{len(c.goals)} goal(s) with forecasts are set out below.",
        ))]

    def _section_problem(self):
        c = self.charter
        return [Heading("The problem", level=3), Paragraph(c.problem),
                Heading("Why address it", level=3), Paragraph(c.why)]

    def _section_inequality(self):
        c = self.charter
        return [Paragraph(view.inequality_text(c)),
                Facts((("Target group", c.target_group.description), ("Core20PLUS5", view.target_group_text(c)),
                       ("Comparison group", c.comparison_group), ("Geography", c.geography)))]

    def _section_goals(self):
        return [Table(view.goals_frame(self.charter),
                      caption="Goals with what each measures, its baseline, forecast target, date and milestones")]

    def _section_scope(self):
        c = self.charter
        return [Facts((("Starts", _day(c.period.start)), ("Ends", _day(c.period.end)))),
                Heading("In scope", level=3), Bullets(tuple(c.scope.in_scope)),
                Heading("Out of scope", level=3), Bullets(tuple(c.scope.out_of_scope))]

    def _section_logic_model(self):
        from toolkit.plotting import logic_model_figure

        c = self.charter
        blocks = [Figure(lambda: logic_model_figure(view.logic_model_stages(c), mechanism=c.logic_model.mechanism),
                         alt=view.logic_model_alt(c),
                         caption="Logic model: inputs, activities, outputs, outcomes and impact",
                         data=view.logic_model_frame(c), data_caption="Logic model stages and their items"),
                  Heading("Mechanism", level=3), Paragraph(c.logic_model.mechanism)]
        if c.logic_model.assumptions:
            blocks += [Heading("Assumptions", level=3), Bullets(tuple(c.logic_model.assumptions))]
        return blocks

    def _section_design(self):
        c = self.charter
        return [Facts((("Design", c.design.approach.replace("-", " ")), ("Why this design", c.design.rationale),
                       ("Chosen on", _day(c.design.chosen_on)))),
                Table(view.data_sources_frame(c), caption="Data sources the evaluation will use")]

    def _section_power(self):
        if not self.checks:
            return [Paragraph(charter_power.NO_POWER_CHECK)]
        blocks: list = [Callout(charter_power.power_sentence(check), kind="warning") if check.cannot_detect
                        else Paragraph(charter_power.power_sentence(check)) for check in self.checks]
        blocks.append(Table(charter_power.power_table(self.checks),
                            caption="Smallest effect each goal's planned design could detect, against the forecast "
                                    "change"))
        return blocks

    def _section_costs(self):
        costs = view.costs_frame(self.charter)
        planned = view.planned_evidence_frame(self.charter)
        return [
            Table(costs, caption="The scheme's costs and the value of its outcomes, as stated in the charter")
            if len(costs) else
            Callout("The charter states no costs, so the summary cannot say whether the scheme is worth the money.",
                    kind="warning"),
            Table(planned, caption="Qualitative evidence planned: method, who, when and what it is linked to")
            if len(planned) else
            Callout("No qualitative evidence is planned. Interviews or surveys explain why the numbers move.",
                    kind="warning"),
        ]

    def _section_governance(self):
        g = self.charter.governance
        return [Facts((("Senior responsible owner", g.senior_responsible_owner),
                       ("Non-executive sponsor", g.ned_sponsor or "not named"),
                       ("Reporting cadence", g.reporting_cadence)))]

    def _section_risks(self):
        risks = view.risks_frame(self.charter)
        if len(risks):
            return [Table(risks, caption="Risks to the scheme or its evaluation, with mitigations")]
        return [Callout("No risks have been recorded in the charter. A board should ask why.", kind="warning")]

    def _section_questions(self):
        asked = tuple(self.charter.board_questions)
        return [Bullets(asked + tuple(q for q in view.DEFAULT_BOARD_QUESTIONS if q not in asked))]


SECTIONS = CharterAnalysis.SECTIONS


def build(ctx) -> CharterAnalysis:
    """The charter of the stage's evaluation, with the power check of each goal a design stage judges.

    Parameters
    ----------
    ctx : toolkit.evaluations.context.StageContext
        The stage's context (:func:`toolkit.evaluations.context.open_stage`).

    Returns
    -------
    CharterAnalysis
    """
    checks = charter_power.charter_power(ctx.evaluation.config, ctx.evaluation.folder)
    return CharterAnalysis(charter=ctx.charter, checks=list(checks))
