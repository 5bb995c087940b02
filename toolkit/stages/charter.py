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
from toolkit.reporting.display import esc
from toolkit.reporting.formatting import fmt_date
from toolkit.stages.base import (Bullets, Callout, Facts, Heading, Html, Paragraph, StageAnalysis, SummaryBox,
                                 Table)
from toolkit.stages.common import glossary_blocks

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
                "governance", "risks", "questions", "appendix")

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

    def goals_table(self):
        """The goals for the board: dates in words; what each measures (data and result names) is in the appendix."""
        goals = view.goals_frame(self.charter).drop(columns=["Measured as"])
        goals["By"] = [fmt_date(g.by) for g in self.charter.goals]
        goals["Milestones"] = ["; ".join(f"{m.value:g} by {fmt_date(m.date)}" for m in g.milestones)
                               or "straight line" for g in self.charter.goals]
        return goals

    def _section_goals(self):
        return [Table(self.goals_table(),
                      caption="Goals with their baseline, forecast target, date and milestones (how each is "
                              "measured is in the technical appendix)")]

    def _section_scope(self):
        c = self.charter
        return [Facts((("Starts", _day(c.period.start)), ("Ends", _day(c.period.end)))),
                Heading("In scope", level=3), Bullets(tuple(c.scope.in_scope)),
                Heading("Out of scope", level=3), Bullets(tuple(c.scope.out_of_scope))]

    def _section_logic_model(self):
        c = self.charter
        blocks = [Html(logic_model_html(view.logic_model_stages(c))),
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

    def _section_appendix(self):
        methods = [(check.goal.description, check.result.method) for check in self.checks if check.result is not None]
        measured = view.goals_frame(self.charter)[["Goal", "Measured as"]]
        return [Table(measured, caption="How each goal is measured: the data and results it is judged by"),
                Heading("Power checks", level=3),
                Facts(tuple(methods)) if methods else
                Paragraph("No power calculation was run: no goal is judged by a design stage with data yet."),
                *glossary_blocks("Logic model", "Minimum detectable effect", "Power")]


SECTIONS = CharterAnalysis.SECTIONS

#: the logic model's layout: columns that reflow (five across on a wide screen, fewer on a phone or A4 page),
#: scoped to ``.logic-model``; the arrows between stages are decorative (empty alternative text)
_LOGIC_MODEL_CSS = (
    ".logic-model{display:grid;grid-template-columns:repeat(auto-fit,minmax(9.5rem,1fr));gap:.75rem 1.5rem;"
    "list-style:none;margin:1rem 0 1.5rem;padding:0}"
    ".logic-model>li{position:relative;max-width:none;margin:0;padding:.6rem .75rem;border:2px solid var(--nhs-blue);"
    "border-radius:4px;break-inside:avoid;page-break-inside:avoid}"
    ".logic-model .lm-title{margin:0 0 .4rem;font-size:1.05rem;font-weight:bold;color:var(--nhs-dark-blue)}"
    ".logic-model .lm-step{display:block;font-size:.85rem;font-weight:normal;color:var(--nhs-dark-grey)}"
    ".logic-model ul{margin:0;padding-left:1.1rem}.logic-model ul li{margin:.15rem 0}"
    ".logic-model>li:not(:last-child)::after{content:\"\\2192\" / \"\";position:absolute;right:-1.25rem;"
    "top:50%;transform:translateY(-50%);font-size:1.2rem;color:var(--nhs-dark-grey)}"
    "@media (max-width:40rem){.logic-model>li:not(:last-child)::after{content:none}}"
)


def logic_model_html(stages) -> str:
    """The logic model as text that reflows and prints: an ordered list of stages, each with its items.

    Parameters
    ----------
    stages : sequence of (title, items)
        In causal order (:func:`toolkit.board.charter.logic_model_stages`); every title and item is escaped.

    Returns
    -------
    str
        ``<ol class="logic-model">`` with one ``<li>`` per stage (its title, "Step 1 of 5: Inputs", and a
        ``<ul>`` of its items), preceded by the scoped ``<style>`` that lays it out in columns.  Titles
        are not headings, so the five stages do not crowd the report's contents list.
    """
    n = len(stages)
    parts = [f"<style>{_LOGIC_MODEL_CSS}</style>",
             '<ol class="logic-model" aria-label="Logic model: how the scheme is meant to work, step by step">']
    for i, (title, items) in enumerate(stages, start=1):
        listed = "".join(f"<li>{esc(item)}</li>" for item in items) or "<li>None stated</li>"
        parts.append(f'<li><p class="lm-title"><span class="lm-step">Step {i} of {n}:</span> {esc(title)}</p>'
                     f'<ul aria-label="{esc(title)}">{listed}</ul></li>')
    parts.append("</ol>")
    return "".join(parts)


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
