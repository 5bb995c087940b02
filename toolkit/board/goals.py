"""Judge every charter goal at the date of its data (measured from data, or a design stage's effect)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from toolkit.board.measures import measure_series, parse_periods
from toolkit.board.plain import stage_label
from toolkit.board.status import NO_DATA, GoalStatus, _num, fmt, assurance, expected_at, find_estimate, judge, trajectory
from toolkit.errors import ToolkitError
from toolkit.indicators.confidence import z_of
from toolkit.evaluations.loader import LoadedEvaluation
from toolkit.evaluations.schema import Goal

__all__ = ["assess_goals", "assess_goal", "DESIGN_TEMPLATES", "stage_last_period"]

#: Templates whose headline result is a causal effect (impact goals may name them).
DESIGN_TEMPLATES = ("did", "its", "synth", "rd")
_TIME_ROLES = ("time", "period")


def stage_last_period(evaluation: LoadedEvaluation, stage_name: str) -> dt.date | None:
    """The end of the last period in a stage's data (from its ``time`` or ``period`` role), or None."""
    from toolkit.data.sources import resolve_source, source_values

    try:
        stage = evaluation.config.stage(stage_name)
    except KeyError:
        return None
    source = evaluation.config.data.sources.get(stage.source or "")
    role = next((r for r in _TIME_ROLES if source is not None and r in source.columns), None)
    if role is None:
        return None
    try:
        found = resolve_source(stage.source, source, evaluation.folder)
        values = pd.Series(source_values(found, source.columns[role]))
        when = parse_periods(values, column=source.columns[role], file=source.label)
    except ToolkitError:
        return None
    if not len(when):
        return None
    last = when.max()
    # a month ("2025-03") ends at the month's end, a quarter ("2024-Q4") at the quarter's; a date is that day
    if values.str.fullmatch(r"\d{4}-\d{2}").all():
        return (last + pd.offsets.MonthEnd(0)).date()
    if values.str.contains("Q", case=False).all():
        return (last + pd.offsets.QuarterEnd(0)).date()
    return last.date()


def _measured(goal: Goal, ev: LoadedEvaluation, where: str) -> GoalStatus:
    charter = ev.config.charter
    ms = measure_series(ev.config, ev.folder, goal.measure, charter, where=where)
    typed = ms.baseline is None and goal.baseline is not None
    base = ms.baseline.value if ms.baseline is not None else goal.baseline
    points = trajectory(goal, charter, base)
    series = ms.series.copy()
    series["expected"] = [expected_at(points, d) for d in series["end"]]
    common: dict[str, Any] = dict(kind=goal.kind, baseline=base, baseline_typed=typed, level=ms.level,
                                  baseline_low=ms.baseline.ci_low if ms.baseline else None,
                                  baseline_high=ms.baseline.ci_high if ms.baseline else None,
                                  source=f"data: {goal.measure.source}", series=series)
    if ms.latest is None:
        return GoalStatus(goal, NO_DATA, f"the data ({goal.measure.source}) have no period starting on or after the "
                          f"scheme start ({charter.period.start:%d %B %Y})", **common)
    expected = expected_at(points, ms.latest_end)
    lo, hi = ms.latest.ci_low, ms.latest.ci_high
    level = f"{ms.level * 100:g}%"
    se = (hi - lo) / (2 * z_of(ms.level))  # on the goal's scale (the interval may be asymmetric)
    if expected is None:
        return GoalStatus(goal, "cannot tell", "no baseline: the data start after the scheme and no typed baseline "
                          "is given, so the forecast line has no start", as_of=ms.latest_end, observed=ms.latest.value,
                          ci_low=lo, ci_high=hi, se=se, **common)
    status, why = judge(lo, hi, expected, goal.direction)
    post = series[series["start"] >= charter.period.start]
    chart, assured = assurance(post, expected, goal.direction)
    if chart is not None:
        series = series.merge(chart[["end", "centre", "lower_limit", "upper_limit", "variation"]], on="end", how="left")
        common["series"] = series
    period = ms.latest_label or f"{ms.latest_end:%B %Y}"
    reason = f"the value for {period} was {fmt(ms.latest.value)}; {why} at that date ({level} interval)"
    if ms.excluded:
        reason += f"; {ms.excluded:,} record(s) with {ms.excluded_reason} were left out"
    return GoalStatus(goal, status, reason, as_of=ms.latest_end, observed=ms.latest.value, ci_low=lo, ci_high=hi,
                      expected_now=expected, se=se, assurance=assured, **common)


def _from_result(goal: Goal, ev: LoadedEvaluation, results: dict[str, Any]) -> GoalStatus:
    charter = ev.config.charter
    key = goal.result_key
    stage_name = key.split(".", 1)[0]
    templates = {s.name: s.template for s in ev.config.stages}
    design = templates.get(stage_name) in DESIGN_TEMPLATES
    base = goal.baseline if goal.baseline is not None else (0.0 if design else None)
    common: dict[str, Any] = dict(kind=goal.kind if not design else "impact", baseline=base,
                                  baseline_typed=goal.baseline is not None, source=key)
    if not design:
        return GoalStatus(goal, "cannot tell", f"'{key}' is a result with no date for its data, so it cannot be "
                          "judged at the date of the data; give the goal a measure: (or an impact: stage)", **common)
    est = find_estimate(results, key)
    if est is None:
        return GoalStatus(goal, "cannot tell", f"the stage '{stage_name}' produced no result '{key.split('.', 1)[1]}' "
                          "in this run", **common)
    value, lo, hi = _num(est.get("estimate")), _num(est.get("ci_low")), _num(est.get("ci_high"))
    as_of = stage_last_period(ev, stage_name)
    level = est.get("level") or 0.95
    # the standard error on the estimate's own scale (a rate ratio's recorded se is on the log scale)
    se = (hi - lo) / (2 * z_of(level)) if lo is not None and hi is not None else None
    values = dict(observed=value, ci_low=lo, ci_high=hi, level=level, se=se, as_of=as_of)
    if as_of is not None and as_of < charter.period.start:
        return GoalStatus(goal, NO_DATA, f"the data of the {stage_label(templates.get(stage_name), stage_name)} stage end on {as_of:%d %B %Y}, before the "
                          "scheme started", **common, **values)
    if value is None:
        return GoalStatus(goal, "cannot tell", f"'{key}' has no value in this run", **common, **values)
    when = as_of or charter.period.end
    expected = expected_at(trajectory(goal, charter, base), when)
    status, why = judge(lo, hi, expected, goal.direction)
    dated = f"up to {as_of:%B %Y}" if as_of else "(the stage's data give no dates)"
    reason = (f"the effect estimated by the {stage_label(templates.get(stage_name), stage_name)} stage {dated} was "
              f"{fmt(value)}; {why} at that date"
              + ("" if goal.baseline is not None else " (the forecast starts from no effect)"))
    return GoalStatus(goal, status, reason, expected_now=expected, **common, **values)


def assess_goal(goal: Goal, evaluation: LoadedEvaluation, results: dict[str, Any], *, index: int = 0) -> GoalStatus:
    """Judge one goal (see :data:`toolkit.board.status.GOAL_RULE`)."""
    where = f"charter.goals[{index}].measure"
    if goal.measure is not None:
        try:
            return _measured(goal, evaluation, where)
        except ToolkitError as exc:
            return GoalStatus(goal, "cannot tell", f"the goal's measure could not be computed: {exc}", kind=goal.kind)
    return _from_result(goal, evaluation, results)


def assess_goals(evaluation: LoadedEvaluation, results: dict[str, Any]) -> list[GoalStatus]:
    """Every charter goal, in charter order."""
    return [assess_goal(g, evaluation, results, index=i) for i, g in enumerate(evaluation.config.charter.goals)]
