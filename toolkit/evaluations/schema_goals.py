"""The goals part of the evaluation.yaml schema: who a goal is about, how it is measured, when.

Split from :mod:`toolkit.evaluations.schema` (which builds the charter from these models and re-exports them).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

SLUG = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


#: Logic-model steps a goal can sit at (inputs -> activities/outputs -> reach -> fidelity -> outcomes -> impact).
GOAL_STEPS = ("input", "activity", "output", "reach", "fidelity", "outcome", "impact")
MEASURE_KINDS = ("proportion", "rate", "mean", "count")
PERIODS = ("month", "quarter", "year")


class Population(_Model):
    """Who a measured goal is about: everyone (nothing set), Core20, quintiles/deciles, or a PLUS group."""

    core20: bool = False
    quintiles: list[int] = Field(default_factory=list)
    deciles: list[int] = Field(default_factory=list)
    role: str | None = Field(default=None, description="role holding a PLUS group, e.g. ethnicity")
    values: list[str] = Field(default_factory=list, description="the PLUS group's values in that role")

    @model_validator(mode="before")
    @classmethod
    def _shortcut(cls, data: Any) -> Any:
        if data == "everyone":
            return {}
        if data == "core20":
            return {"core20": True}
        return data

    @model_validator(mode="after")
    def _one(self) -> "Population":
        chosen = [bool(self.core20), bool(self.quintiles), bool(self.deciles), self.role is not None]
        if sum(chosen) > 1:
            raise ValueError("choose one of core20, quintiles, deciles or role + values")
        if any(not 1 <= q <= 5 for q in self.quintiles):
            raise ValueError("quintiles run from 1 (most deprived) to 5")
        if any(not 1 <= d <= 10 for d in self.deciles):
            raise ValueError("deciles run from 1 (most deprived) to 10")
        if (self.role is None) != (not self.values):
            raise ValueError("a PLUS group needs both role (e.g. ethnicity) and values (e.g. [Black African])")
        return self

    @property
    def everyone(self) -> bool:
        return not (self.core20 or self.quintiles or self.deciles or self.role)

    def text(self) -> str:
        if self.core20:
            return "Core20 (IMD deciles 1-2)"
        if self.quintiles:
            return "IMD quintile " + ", ".join(map(str, self.quintiles))
        if self.deciles:
            return "IMD decile " + ", ".join(map(str, self.deciles))
        if self.role:
            return f"{self.role}: " + ", ".join(self.values)
        return "everyone"


class Measure(_Model):
    """A goal measured from a data source, per period."""

    source: str = Field(min_length=1, description="a data source under data.sources")
    kind: Literal[MEASURE_KINDS] = "proportion"  # type: ignore[valid-type]
    numerator: str | None = Field(default=None, description="role counted (proportion, rate, count)")
    denominator: str | None = Field(default=None, description="role summed as denominator (default: rows)")
    value: str | None = Field(default=None, description="role averaged (mean)")
    period: str = Field(default="period", description="role holding each record's date or month")
    per: Literal[PERIODS] = "quarter"  # type: ignore[valid-type]
    multiplier: float = Field(default=100.0, gt=0, description="100 for a percentage, 1000 for per 1,000")
    population: Population = Field(default_factory=Population)
    gap: bool = Field(default=False, description="measure the target population minus everyone else")
    window: int = Field(default=1, ge=1, le=24, description="periods pooled for the latest value (noisy data)")

    @model_validator(mode="after")
    def _roles(self) -> "Measure":
        if self.kind == "mean" and not self.value:
            raise ValueError("a mean needs value: <role>")
        if self.kind != "mean" and not self.numerator:
            raise ValueError(f"a {self.kind} needs numerator: <role>")
        if self.kind == "rate" and not self.denominator:
            raise ValueError("a rate needs denominator: <role> (the population or person-time)")
        if self.gap and self.population.everyone:
            raise ValueError("a gap needs a target population (core20, quintiles, deciles or a PLUS group)")
        return self

    def roles(self) -> list[str]:
        return [r for r in (self.numerator, self.denominator, self.value, self.period, self.population.role) if r]


class ImpactRef(_Model):
    """A goal judged by the effect a design stage estimates."""

    stage: str = Field(pattern=SLUG)
    result: str = Field(default="att", pattern=r"^[a-z0-9_.-]+$")


class Milestone(_Model):
    date: dt.date
    value: float


class Goal(_Model):
    """One goal of the scheme with its forecast trajectory.

    Exactly one of ``measure`` (computed from a data source), ``impact`` (the
    effect a design stage estimates) or ``metric`` (a result another stage
    records, as ``stage.result``; kept for older charters).
    """

    id: str = Field(pattern=SLUG, description="short identifier, e.g. bp-recording")
    description: str = Field(min_length=1)
    step: Literal[GOAL_STEPS] = "outcome"  # type: ignore[valid-type]
    measure: Measure | None = None
    impact: ImpactRef | None = None
    metric: str | None = Field(default=None, min_length=1, description="legacy: a result name, e.g. impact.att")
    unit: str = ""
    baseline: float | None = Field(default=None, description="typed baseline: only where no data exist")
    baseline_source: str = ""
    target: float
    direction: Literal["increase", "decrease"]
    by: dt.date
    milestones: list[Milestone] = Field(default_factory=list)

    @model_validator(mode="after")
    def _what(self) -> "Goal":
        given = [n for n in ("measure", "impact", "metric") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of measure (from data), impact (a design stage's effect) or metric"
                             + (f"; found {', '.join(given)}" if given else ""))
        dates = [m.date for m in self.milestones]
        if dates != sorted(dates) or len(set(dates)) != len(dates):
            raise ValueError("milestones must be in date order, one per date")
        if dates and dates[-1] > self.by:
            raise ValueError(f"milestone {dates[-1]} is after the goal's date (by: {self.by})")
        return self

    @property
    def kind(self) -> str:
        """"impact", "gap", or the logic-model step (input, activity, output, reach, fidelity, outcome)."""
        if self.impact is not None or self.step == "impact":
            return "impact"
        if (self.measure is not None and self.measure.gap) or (self.metric and "gap" in self.metric.lower()):
            return "gap"
        return self.step

    @property
    def result_key(self) -> str | None:
        if self.impact is not None:
            return f"{self.impact.stage}.{self.impact.result}"
        return self.metric


class Period(_Model):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> "Period":
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self
