"""Goal status and the verdict on the gap, by stated rules that use the interval.

These are the rules printed in every summary, so that a board can check them.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from toolkit.evaluations.schema import Charter, Goal

__all__ = ["GoalStatus", "goal_status", "gap_verdict", "GOAL_RULE", "GAP_RULE", "find_estimate", "expected_by"]

GOAL_RULE = (
    "A goal is on track when the whole confidence interval of the observed value is at or beyond the value "
    "expected by now on a straight line from the baseline (at the charter's start) to the target (at the goal's "
    "date); not on track when the whole interval falls short of it; cannot tell when the interval includes it, "
    "or when no stage produces the goal's metric; too early before the scheme starts."
)
GAP_RULE = (
    "The gap narrowed when the whole confidence interval of the effect on the gap (target group minus the rest) "
    "lies on the side that moves the target group towards the rest, in the direction the charter calls "
    "improvement; widened when it lies wholly on the other side; no clear change when it includes zero; too early "
    "to tell when no stage has estimated the effect on the gap yet."
)


def find_estimate(results: dict[str, Any], key: str) -> dict[str, Any] | None:
    """An estimate by ``stage.name`` key (or by bare name when unique)."""
    estimates = results.get("estimates", []) if results else []
    for est in estimates:
        if est.get("key") == key:
            return est
    bare = [e for e in estimates if e.get("name") == key]
    return bare[0] if len(bare) == 1 else None


def _num(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


@dataclass(frozen=True)
class GoalStatus:
    goal: Goal
    status: str  # "on track" | "not on track" | "cannot tell" | "too early"
    reason: str
    observed: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    level: float | None = None
    expected_now: float | None = None
    source: str | None = None


def expected_by(goal: Goal, charter: Charter, when: dt.date) -> float:
    """The value expected at ``when`` on a straight line from baseline (charter start) to target (goal date)."""
    baseline = goal.baseline if goal.baseline is not None else goal.target
    start, end = charter.period.start, goal.by
    if when >= end or end <= start:
        return goal.target
    frac = max(0.0, (when - start).days / (end - start).days)
    return baseline + (goal.target - baseline) * frac


def goal_status(goal: Goal, charter: Charter, results: dict[str, Any], *, today: dt.date) -> GoalStatus:
    """Status of one charter goal against the run's results (rule: :data:`GOAL_RULE`)."""
    if today < charter.period.start:
        return GoalStatus(goal, "too early", f"the scheme starts on {charter.period.start:%d %B %Y}")
    est = find_estimate(results, goal.metric)
    if est is None:
        return GoalStatus(goal, "cannot tell", f"no stage produces the metric '{goal.metric}'")
    value, lo, hi = _num(est.get("estimate")), _num(est.get("ci_low")), _num(est.get("ci_high"))
    if value is None:
        return GoalStatus(goal, "cannot tell", f"'{goal.metric}' has no value in this run", source=est.get("key"))
    expected = expected_by(goal, charter, today)
    common = dict(observed=value, ci_low=lo, ci_high=hi, level=est.get("level"), expected_now=expected,
                  source=est.get("key"))
    if lo is None or hi is None:
        return GoalStatus(goal, "cannot tell", "the result has no confidence interval", **common)
    better_low, better_high = (lo, hi) if goal.direction == "increase" else (-hi, -lo)
    exp = expected if goal.direction == "increase" else -expected
    if better_low >= exp:
        return GoalStatus(goal, "on track", f"the whole interval is at or beyond {expected:.3g}, the value expected by now", **common)
    if better_high < exp:
        return GoalStatus(goal, "not on track", f"the whole interval falls short of {expected:.3g}, the value expected by now", **common)
    return GoalStatus(goal, "cannot tell", f"the interval includes {expected:.3g}, the value expected by now", **common)


def _improvement_direction(charter: Charter) -> str:
    gap_goals = [g for g in charter.goals if "gap" in g.metric.lower() or "gap" in g.id.lower()]
    return (gap_goals or list(charter.goals))[0].direction


def gap_verdict(charter: Charter, results: dict[str, Any]) -> tuple[str, str, dict[str, Any] | None]:
    """("narrowed"|"widened"|"no clear change"|"too early to tell", explanation, the estimate used)."""
    candidates = [e for e in (results or {}).get("estimates", []) if e.get("name") in ("gap_effect", "effect_on_gap")]
    if not candidates:
        return "too early to tell", "no stage has estimated the effect on the gap yet", None
    est = candidates[0]
    lo, hi = _num(est.get("ci_low")), _num(est.get("ci_high"))
    if lo is None or hi is None:
        return "too early to tell", "the effect on the gap has no confidence interval", est
    sign = 1 if _improvement_direction(charter) == "increase" else -1
    lo_s, hi_s = sorted((lo * sign, hi * sign))
    level = f"{(est.get('level') or 0.95) * 100:g}%"
    if lo_s > 0:
        return "narrowed", f"the whole {level} interval ({lo:.3g} to {hi:.3g}) is on the narrowing side of zero", est
    if hi_s < 0:
        return "widened", f"the whole {level} interval ({lo:.3g} to {hi:.3g}) is on the widening side of zero", est
    return "no clear change", f"the {level} interval ({lo:.3g} to {hi:.3g}) includes zero", est
