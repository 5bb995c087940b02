"""Goal status by stated rules, judged at the date of the data; and the verdict on the gap.

These are the rules printed in every summary, so that a board can check them.
"""

from __future__ import annotations

import datetime as dt
import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from toolkit.board.numbers import fmt
from toolkit.board.gap import GAP_RULE, NOT_MEASURABLE, TOO_EARLY, GapVerdict, gap_change
from toolkit.evaluations.schema import Charter, Goal

__all__ = ["GoalStatus", "judge", "trajectory", "expected_at", "gap_verdict", "GOAL_RULE", "GAP_RULE",
           "find_estimate", "fmt", "NO_DATA", "STATUSES", "assurance"]

NO_DATA = "no data since the scheme started"
STATUSES = ("on track", "not on track", "cannot tell", NO_DATA)
GOAL_RULE = (
    "Each goal is judged at the last period with data (its date is shown), not at the date of the run. The "
    "forecast is a straight line from the baseline at the scheme's start to the target at the goal's date, "
    "through any milestones the charter states. A goal is on track when the whole confidence interval of that "
    "period's value is at or beyond the value the forecast expects at that date; not on track when the whole "
    "interval falls short of it; cannot tell when the interval includes it. With no data since the scheme "
    "started the goal is neither on track nor not on track: it has no data since the scheme started. The "
    "baseline of a goal measured from data is computed from the data before the scheme; a typed baseline is "
    "used only where no data exist, and is labelled as typed. An impact goal compares the effect a design "
    "stage estimates, up to the last period of that stage's data, with the forecast at that date."
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
    """One goal judged at the date of its data.

    ``status`` is one of :data:`STATUSES`; ``reason`` says why in words.
    """

    goal: Goal
    status: str
    reason: str
    kind: str = "outcome"
    as_of: dt.date | None = None
    observed: float | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    level: float | None = None
    expected_now: float | None = None
    baseline: float | None = None
    baseline_low: float | None = None
    baseline_high: float | None = None
    baseline_typed: bool = False
    se: float | None = None
    source: str | None = None
    assurance: str | None = None
    series: pd.DataFrame | None = field(default=None, compare=False)

    @property
    def as_of_text(self) -> str:
        return f"as of {self.as_of:%B %Y}" if self.as_of else "no date"

    def as_record(self) -> dict[str, Any]:
        """The goal's entry in summary.json."""
        return {"id": self.goal.id, "kind": self.kind, "step": self.goal.step, "status": self.status,
                "as_of": self.as_of.isoformat() if self.as_of else None, "observed": self.observed,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "expected": self.expected_now,
                "target": self.goal.target, "by": self.goal.by.isoformat(), "baseline": self.baseline,
                "baseline_typed": self.baseline_typed, "assurance": self.assurance, "rule": GOAL_RULE,
                "explanation": self.reason}


def trajectory(goal: Goal, charter: Charter, baseline: float | None) -> list[tuple[dt.date, float]]:
    """The forecast's points: (scheme start, baseline), the milestones, (goal date, target)."""
    points = [(charter.period.start, baseline)] if baseline is not None else []
    points += [(m.date, m.value) for m in goal.milestones]
    points.append((goal.by, goal.target))
    return points


def expected_at(points: list[tuple[dt.date, float]], when: dt.date) -> float | None:
    """The forecast's value at ``when`` by straight lines between points (None before the first point)."""
    if when < points[0][0]:
        return None
    for (d0, v0), (d1, v1) in zip(points, points[1:]):
        if d0 <= when <= d1:
            return v0 + (v1 - v0) * ((when - d0).days / max((d1 - d0).days, 1))
    return points[-1][1]


def judge(lo: float | None, hi: float | None, expected: float, direction: str) -> tuple[str, str]:
    """(status, reason) of an interval against the expected value, by :data:`GOAL_RULE`."""
    if lo is None or hi is None:
        return "cannot tell", "the value has no confidence interval"
    better_low, better_high = (lo, hi) if direction == "increase" else (-hi, -lo)
    exp = expected if direction == "increase" else -expected
    word = "at or above" if direction == "increase" else "at or below"
    if better_low >= exp:
        return "on track", f"the whole interval ({fmt(lo)} to {fmt(hi)}) is {word} {fmt(expected)}, the value expected"
    if better_high < exp:
        return "not on track", f"the whole interval ({fmt(lo)} to {fmt(hi)}) falls short of {fmt(expected)}, the value expected"
    return "cannot tell", f"the interval ({fmt(lo)} to {fmt(hi)}) includes {fmt(expected)}, the value expected"


_ASSURANCE = {"pass": "consistently passing the trajectory", "fail": "consistently failing the trajectory",
              "inconsistent": "hit and miss against the trajectory"}


def assurance(post: pd.DataFrame, expected: float | None, direction: str) -> tuple[pd.DataFrame | None, str | None]:
    """Making Data Count XmR limits of the values since the start, and assurance against the expected value."""
    from toolkit.indicators.spc import spc

    post = post.dropna(subset=["value"])
    if len(post) < 2 or expected is None:
        return None, None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        chart = spc(post.reset_index(drop=True), "value", "end", improvement=direction, target=expected)
    text = _ASSURANCE.get(chart["assurance"].iloc[0])
    if text and len(post) < 12:
        text += f" (only {len(post)} points since the start: limits are unreliable below 12)"
    return chart, text


def _improvement(charter: Charter) -> bool | None:
    gap_goals = [g for g in charter.goals if g.kind == "gap"]
    chosen = gap_goals or [g for g in charter.goals if g.kind in ("outcome", "impact")] or list(charter.goals)
    return chosen[0].direction == "increase" if chosen else None


def _measured_change(goal: GoalStatus, charter: Charter) -> GapVerdict:
    from toolkit.board.measures import Value, difference

    if goal.observed is None or goal.ci_low is None:
        return GapVerdict(TOO_EARLY, None, f"the measured gap ({goal.goal.description}) has no data since the "
                          "scheme started")
    d = difference(Value(goal.observed, goal.ci_low, goal.ci_high, 0),
                   Value(goal.baseline, goal.baseline_low, goal.baseline_high, 0))
    v = gap_change(goal.baseline, d.ci_low, d.ci_high, higher_is_better=goal.goal.direction == "increase",
                   level=goal.level or 0.95)
    text = (f"measured in the data, not estimated by a design (a before-after change, not a causal effect): the gap "
            f"went from {fmt(goal.baseline)} before the scheme to {fmt(goal.observed)} {goal.as_of_text}; "
            + v.explanation.replace("the effect on the gap", "the change in the gap"))
    return GapVerdict(v.verdict, v.favourable, text)


def gap_verdict(charter: Charter, results: dict[str, Any], *, measurable: bool = True,
                baseline_gap: float | None = None,
                measured: GoalStatus | None = None) -> tuple[GapVerdict, dict[str, Any] | None]:
    """The verdict on the gap from the run's effect on the gap (:data:`GAP_RULE`).

    ``measurable`` is False when no stage of this evaluation can estimate the
    effect on the gap; ``baseline_gap`` is used when the estimate does not carry
    one (e.g. from a measured gap goal's baseline).  Without an estimated effect
    on the gap, a ``measured`` gap goal (with a baseline from data) gives a
    descriptive verdict from its change since before the scheme, labelled as such.
    """
    candidates = [e for e in (results or {}).get("estimates", []) if e.get("name") in ("gap_effect", "effect_on_gap")]
    if not candidates and measured is not None and measured.baseline is not None and measured.baseline_low is not None:
        return _measured_change(measured, charter), None
    if not candidates:
        if not measurable:
            return GapVerdict(NOT_MEASURABLE, None, "no stage of this evaluation can estimate the effect on the gap "
                              "(it needs a difference-in-differences stage whose data give each unit's deprivation "
                              "quintile)"), None
        return GapVerdict(TOO_EARLY, None, "no stage has estimated the effect on the gap yet"), None
    est = candidates[0]
    extra = est.get("extra") or {}
    g0 = _num(extra.get("baseline_gap"))
    verdict = gap_change(g0 if g0 is not None else baseline_gap, _num(est.get("ci_low")), _num(est.get("ci_high")),
                         higher_is_better=_improvement(charter), level=est.get("level") or 0.95)
    if verdict.verdict == "no clear change":
        from toolkit.board.mde import mde_sentence

        mde = mde_sentence(est.get("se"), level=est.get("level") or 0.95, what="change in the gap")
        if mde:
            verdict = GapVerdict(verdict.verdict, None, f"{verdict.explanation}. {mde}")
    return verdict, est
