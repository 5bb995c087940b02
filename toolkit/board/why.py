""""If not, why?": walk the logic model upstream from a goal that is not on track.

For every outcome, gap or impact goal that is not on track or cannot tell, the
summary looks at the goals earlier in the chain (inputs → activities/outputs →
reach → fidelity → outcomes → impact) and concludes with one of a small set of
stated explanations, each with its evidence.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from toolkit.board.mde import minimum_detectable_effect
from toolkit.board.status import NO_DATA, GoalStatus, fmt
from toolkit.evaluations.schema import Charter

__all__ = ["Explanation", "explain", "explain_all", "EXPLANATIONS", "WHY_RULE", "minimum_detectable_effect"]

EXPLANATIONS = {
    "too early": "Too early: the charter expects outcomes to move only after a lag",
    "implementation": "Not delivered as planned (implementation failure)",
    "reach": "Delivered, but not reaching the target group",
    "too small": "The study is too small to tell",
    "mechanism": "Delivered and reaching the target group, but the outcome is not moving: the mechanism may not hold",
    "cannot explain": "No output, reach or fidelity data: the toolkit cannot explain it",
}
WHY_RULE = (
    "For each outcome, gap or impact goal that is not on track or cannot tell, we walk the logic model upstream in "
    "this order: too early (the data end before the charter's lag has passed); not delivered as planned (an input, "
    "activity, output or fidelity goal is not on track); not reaching the target group (a reach goal is not on "
    "track); the study is too small to tell (the goal cannot tell and the smallest change the data could detect, "
    "(z₀.₉₇₅ + z₀.₈) × standard error, is larger than the change forecast by then); the mechanism may not hold "
    "(every upstream goal with data is on track); otherwise no upstream data, so we cannot explain it."
)
_LEVEL = {"input": 0, "activity": 1, "output": 1, "reach": 2, "fidelity": 3, "outcome": 4, "gap": 4, "impact": 5}
_IMPLEMENTATION = ("input", "activity", "output", "fidelity")


@dataclass(frozen=True)
class Explanation:
    goal_id: str
    code: str
    evidence: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return EXPLANATIONS[self.code]


def _add_months(day: dt.date, months: int) -> dt.date:
    y, m = divmod(day.month - 1 + months, 12)
    return dt.date(day.year + y, m + 1, min(day.day, 28))


def _evidence(s: GoalStatus) -> str:
    return f"{s.goal.description} ({s.goal.step}): {s.status} — {s.reason}"


def explain(target: GoalStatus, statuses: list[GoalStatus], charter: Charter) -> Explanation | None:
    """The explanation for one goal that is not on track or cannot tell (None otherwise)."""
    if target.kind not in ("outcome", "gap", "impact") or target.status not in ("not on track", "cannot tell"):
        return None
    gid = target.goal.id
    lag = charter.logic_model.lag_months
    if lag and target.as_of is not None:
        due = _add_months(charter.period.start, lag)
        if target.as_of < due:
            return Explanation(gid, "too early", [f"The charter expects outcomes to move {lag} months after the start "
                                                  f"(from {due:%B %Y}); the data end in {target.as_of:%B %Y}."])
    level = _LEVEL[target.kind]
    upstream = [s for s in statuses if _LEVEL.get(s.kind, 9) < level and s.goal.id != gid]
    with_data = [s for s in upstream if s.status != NO_DATA]
    failed_impl = [s for s in with_data if s.goal.step in _IMPLEMENTATION and s.status == "not on track"]
    if failed_impl:
        return Explanation(gid, "implementation", [_evidence(s) for s in failed_impl])
    failed_reach = [s for s in with_data if s.goal.step == "reach" and s.status == "not on track"]
    if failed_reach:
        delivered = [s for s in with_data if s.goal.step in _IMPLEMENTATION and s.status == "on track"]
        return Explanation(gid, "reach", [_evidence(s) for s in failed_reach + delivered])
    if target.status == "cannot tell" and target.se and target.expected_now is not None and target.baseline is not None:
        mde = minimum_detectable_effect(target.se, level=target.level or 0.95)
        change = abs(target.expected_now - target.baseline)
        if mde > change:
            return Explanation(gid, "too small", [
                f"The smallest change these data could detect with 80% power is about {fmt(mde)} (2.8 × the standard "
                f"error {fmt(target.se)}); the charter forecasts a change of {fmt(change)} by {target.as_of_text[6:]}."])
    if with_data and all(s.status == "on track" for s in with_data):
        return Explanation(gid, "mechanism", [_evidence(s) for s in with_data])
    if with_data:
        return Explanation(gid, "cannot explain", ["Upstream goals with data do not settle it: "
                                                    + "; ".join(_evidence(s) for s in with_data)])
    missing = [s.goal.description for s in upstream]
    return Explanation(gid, "cannot explain", [
        "No upstream goal has data since the start: " + "; ".join(missing) if missing else
        "The charter sets no input, output, reach or fidelity goal to check the chain against."])


def explain_all(statuses: list[GoalStatus], charter: Charter) -> list[Explanation]:
    return [e for e in (explain(s, statuses, charter) for s in statuses) if e is not None]
