"""The evaluation.yaml schema.

Everything about one evaluation: its charter, its data sources with column
mappings (users map *their* column names to roles; they never rename their data),
the stages to run and the reporting rules.  Unknown keys are errors.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "Evaluation",
    "Charter",
    "Goal",
    "Source",
    "Stage",
    "Disclosure",
    "Reporting",
    "CLINICAL_AREAS",
    "DESIGNS",
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

SLUG = r"^[a-z0-9]+(?:[-_][a-z0-9]+)*$"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class Goal(_Model):
    """One goal of the scheme with its forecast."""

    id: str = Field(pattern=SLUG, description="short identifier, e.g. bp-recording")
    description: str = Field(min_length=1)
    metric: str = Field(min_length=1, description="name of the result a stage records, e.g. baseline.core20_rate")
    unit: str = ""
    baseline: float | None = None
    target: float
    direction: Literal["increase", "decrease"]
    by: dt.date


class Period(_Model):
    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _ordered(self) -> "Period":
        if self.end <= self.start:
            raise ValueError("end must be after start")
        return self


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


class DesignChoice(_Model):
    approach: Literal[DESIGNS]  # type: ignore[valid-type]
    rationale: str = Field(min_length=1)
    chosen_on: dt.date


class CharterDataSource(_Model):
    name: str = Field(min_length=1)
    description: str = Field(min_length=1)
    owner: str = ""


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

    @field_validator("goals")
    @classmethod
    def _unique_goal_ids(cls, goals: list[Goal]) -> list[Goal]:
        seen: set[str] = set()
        for goal in goals:
            if goal.id in seen:
                raise ValueError(f"goal id {goal.id!r} is used twice")
            seen.add(goal.id)
        return goals


class Source(_Model):
    """A data source: a file, a glob of files or a folder, and its column mapping."""

    path: str = Field(min_length=1, description="relative to the evaluation folder")
    format: Literal["csv", "parquet", "xlsx"] | None = None
    sheet: str | None = None
    delimiter: str | None = None
    encoding: Literal["utf-8", "latin-1", "cp1252"] = "utf-8"
    decimal: Literal[".", ","] = Field(default=".", description='decimal separator of a CSV: "." or "," (then use delimiter ";")')
    columns: dict[str, str] = Field(default_factory=dict, description="role: your column name")
    description: str = ""
    allow_vintage_mismatch: bool = False
    allow_outside_project: bool = Field(default=False, description="allow a relative path that leads outside the project")


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
