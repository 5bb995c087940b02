"""The evaluation.yaml schema.

Everything about one evaluation: its charter, its data sources with column
mappings (users map *their* column names to roles; they never rename their data),
the stages to run and the reporting rules.  Unknown keys are errors.
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

__all__ = [
    "Evaluation",
    "Charter",
    "Goal",
    "Measure",
    "Population",
    "ImpactRef",
    "Costs",
    "GOAL_STEPS",
    "Source",
    "Stage",
    "Disclosure",
    "Reporting",
    "CLINICAL_AREAS",
    "DESIGNS",
    "MULTIPLICITY",
]

CLINICAL_AREAS = (
    # Core20PLUS5 adults
    "maternity",
    "severe-mental-illness",
    "chronic-respiratory-disease",
    "early-cancer-diagnosis",
    "hypertension",
    "lipid-management",
    "smoking-cessation",
    # Core20PLUS5 children and young people
    "cyp-asthma",
    "cyp-diabetes",
    "cyp-epilepsy",
    "cyp-oral-health",
    "cyp-mental-health",
)

DESIGNS = (
    "descriptive",
    "before-after",
    "difference-in-differences",
    "interrupted-time-series",
    "synthetic-control",
    "regression-discontinuity",
)

#: Adjustments of subgroup p-values the charter can choose (``charter.multiplicity``); the primary outcome is exempt.
MULTIPLICITY = {
    "holm": "Holm's method, which controls the chance of any false finding (family-wise error rate)",
    "bh": "Benjamini and Hochberg's method, which controls the share of false findings (false discovery rate)",
}
#: Other names people write for them, for the "did you mean" hint only.
_MULTIPLICITY_ALIASES = {"fdr": "bh", "fdr_bh": "bh", "benjamini-hochberg": "bh", "benjamini_hochberg": "bh",
                         "benjamini hochberg": "bh", "fwer": "holm", "holm-bonferroni": "holm",
                         "bonferroni": "holm", "family-wise": "holm"}

from toolkit.evaluations.schema_goals import (  # noqa: F401  (re-exported: the charter's goal models)
    GOAL_STEPS, MEASURE_KINDS, PERIODS, SLUG, Goal, ImpactRef, Measure, Milestone, Period, Population, _Model,
)
from toolkit.evaluations.schema_sources import FILE_KEYS, Source, SourceProblems  # noqa: F401  (re-exported)


class Scope(_Model):
    in_scope: list[str] = Field(alias="in", min_length=1)
    out_of_scope: list[str] = Field(default_factory=list, alias="out")


class Inequality(_Model):
    kinds: list[Literal["access", "experience", "outcomes"]] = Field(min_length=1)
    type: Literal["health", "healthcare", "both"]


class TargetGroup(_Model):
    description: str = Field(min_length=1)
    core20: bool = False
    plus_groups: list[str] = Field(default_factory=list)
    clinical_areas: list[Literal[CLINICAL_AREAS]] = Field(default_factory=list)  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _something(self) -> "TargetGroup":
        if not (self.core20 or self.plus_groups or self.clinical_areas):
            raise ValueError("name at least one of core20: true, plus_groups or clinical_areas")
        return self


class LogicModel(_Model):
    inputs: list[str] = Field(min_length=1)
    activities: list[str] = Field(min_length=1)
    outputs: list[str] = Field(min_length=1)
    outcomes: list[str] = Field(min_length=1)
    impact: list[str] = Field(min_length=1)
    mechanism: str = Field(min_length=1)
    assumptions: list[str] = Field(default_factory=list)
    lag_months: int = Field(default=0, ge=0, le=120, description="months before outcomes are expected to move")


class DesignChoice(_Model):
    approach: Literal[DESIGNS]  # type: ignore[valid-type]
    rationale: str = Field(min_length=1)
    chosen_on: dt.date


class CharterDataSource(_Model):
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    owner: str = ""


class CostOutcome(_Model):
    """How an impact goal's effect becomes a count of additional outcomes (and their value)."""

    goal: str = Field(pattern=SLUG)
    exposed: float = Field(gt=0, description="people (or units) exposed to the scheme")
    periods: float = Field(default=1.0, gt=0, description="exposure time, in the effect's time unit")
    per: float = Field(default=1.0, gt=0, description="the effect is per this many people (e.g. 1000)")
    unit_value: float | None = Field(default=None, ge=0, description="£ per additional outcome")
    unit_value_source: str = ""
    label: str = "additional outcome"


class PeriodCost(_Model):
    amount: float = Field(ge=0)
    every: Literal[PERIODS]  # type: ignore[valid-type]


class Costs(_Model):
    """The scheme's cost: a total, or an amount per period, optionally by category."""

    currency: str = "£"
    total: float | None = Field(default=None, ge=0)
    per_period: PeriodCost | None = None
    by_category: dict[str, float] = Field(default_factory=dict)
    outcomes: list[CostOutcome] = Field(default_factory=list)
    seed: int = 20240401

    @field_validator("by_category")
    @classmethod
    def _nonnegative(cls, v: dict[str, float]) -> dict[str, float]:
        bad = [k for k, x in v.items() if x < 0]
        if bad:
            raise ValueError(f"costs cannot be negative: {', '.join(bad)}")
        return v

    @model_validator(mode="after")
    def _some(self) -> "Costs":
        if self.total is None and self.per_period is None and not self.by_category:
            raise ValueError("give total, per_period or by_category")
        if self.total is not None and self.per_period is not None:
            raise ValueError("give total or per_period, not both")
        return self


class PlannedEvidence(_Model):
    method: str = Field(min_length=1)
    who: str = Field(min_length=1)
    when: str = Field(min_length=1)
    link: str = Field(default="", description="goal id or logic-model step")


class Qualitative(_Model):
    """Qualitative evidence: what is planned, and the log kept beside evaluation.yaml."""

    log: str | None = Field(default=None, description="CSV file beside evaluation.yaml")
    planned: list[PlannedEvidence] = Field(default_factory=list)


class Governance(_Model):
    senior_responsible_owner: str = Field(min_length=1)
    ned_sponsor: str = ""
    reporting_cadence: str = Field(min_length=1)


class Risk(_Model):
    risk: str = Field(min_length=1)
    mitigation: str = Field(min_length=1)


class Charter(_Model):
    """The project charter a board signs off."""

    title: str = Field(min_length=1)
    scheme: str = Field(min_length=1, description="one-paragraph description of the scheme")
    problem: str = Field(min_length=1)
    why: str = Field(min_length=1)
    goals: list[Goal] = Field(min_length=1)
    period: Period
    scope: Scope
    inequality: Inequality
    target_group: TargetGroup
    comparison_group: str = Field(min_length=1)
    geography: str = Field(min_length=1)
    logic_model: LogicModel
    design: DesignChoice
    data_sources: list[CharterDataSource] = Field(min_length=1)
    governance: Governance
    risks: list[Risk] = Field(default_factory=list)
    board_questions: list[str] = Field(default_factory=list)
    baseline_period: Period | None = Field(default=None, description="pre-scheme window (default: all data before start)")
    costs: Costs | None = None
    qualitative: Qualitative = Field(default_factory=Qualitative)
    multiplicity: str = Field(default="holm", description="adjustment of subgroup p-values: holm or bh "
                                                          "(the primary outcome is exempt)")

    @field_validator("multiplicity", mode="before")
    @classmethod
    def _known_adjustment(cls, value: Any) -> str:
        text = str(value).strip().lower() if isinstance(value, str) else value
        if text in MULTIPLICITY:
            return text
        choices = " or ".join(f"'{k}' ({v})" for k, v in MULTIPLICITY.items())
        close = ([_MULTIPLICITY_ALIASES[text]] if text in _MULTIPLICITY_ALIASES else
                 difflib.get_close_matches(str(text), list(MULTIPLICITY), n=1, cutoff=0.5))
        hint = f"; did you mean '{close[0]}'?" if close else ""
        raise ValueError(f"the adjustment for subgroup p-values must be {choices}, got {value!r}{hint}")

    @model_validator(mode="after")
    def _goal_dates(self) -> "Charter":
        problems = []
        for i, g in enumerate(self.goals):
            if g.by <= self.period.start:
                problems.append(f"goals[{i}].by ({g.by}) is on or before the scheme start (period.start "
                                f"{self.period.start}): set the date the goal should be met, after the start")
            for j, m in enumerate(g.milestones):
                if m.date <= self.period.start:
                    problems.append(f"goals[{i}].milestones[{j}].date ({m.date}) is on or before the scheme start "
                                    f"({self.period.start}): milestones lie between the start and the goal's date")
        if self.baseline_period is not None and self.baseline_period.end > self.period.start:
            problems.append(f"baseline_period.end ({self.baseline_period.end}) is after the scheme start "
                            f"({self.period.start}): the baseline is measured before the scheme")
        ids = {g.id for g in self.goals}
        for i, o in enumerate(self.costs.outcomes if self.costs else []):
            if o.goal not in ids:
                problems.append(f"costs.outcomes[{i}].goal '{o.goal}' is not a goal id (goals: {', '.join(sorted(ids))})")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @field_validator("goals")
    @classmethod
    def _unique_goal_ids(cls, goals: list[Goal]) -> list[Goal]:
        seen: set[str] = set()
        for goal in goals:
            if goal.id in seen:
                raise ValueError(f"goal id {goal.id!r} is used twice")
            seen.add(goal.id)
        return goals


class Stage(_Model):
    name: str = Field(pattern=SLUG)
    template: str = Field(pattern=SLUG)
    source: str | None = None
    parameters: dict[str, Any] = Field(default_factory=dict)
    timeout_seconds: int = Field(default=600, ge=10, le=24 * 3600)


class Disclosure(_Model):
    """Statistical disclosure control for displayed counts (never for computations)."""

    suppress_from: int = Field(default=1, ge=0)
    suppress_to: int = Field(default=7, ge=0)
    symbol: str = Field(default="*", min_length=1, max_length=3)
    round_to: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _range(self) -> "Disclosure":
        if self.suppress_to < self.suppress_from:
            raise ValueError("suppress_to must be at least suppress_from")
        return self


class Reporting(_Model):
    disclosure: Disclosure = Field(default_factory=Disclosure)
    organisation: str = "NHS integrated care board"


class DataSection(_Model):
    sources: dict[str, Source] = Field(default_factory=dict)


class Evaluation(_Model):
    """A whole evaluation.yaml."""

    schema_version: Literal[1] = 1
    imd_vintage: Literal[2019, 2025] | None = None
    charter: Charter
    data: DataSection = Field(default_factory=DataSection)
    stages: list[Stage] = Field(min_length=1)
    reporting: Reporting = Field(default_factory=Reporting)

    @field_validator("stages")
    @classmethod
    def _unique_stage_names(cls, stages: list[Stage]) -> list[Stage]:
        seen: set[str] = set()
        for stage in stages:
            if stage.name in seen:
                raise ValueError(f"stage name {stage.name!r} is used twice")
            seen.add(stage.name)
        return stages

    def stage(self, name: str) -> Stage:
        for s in self.stages:
            if s.name == name:
                return s
        raise KeyError(name)
