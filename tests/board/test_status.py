"""Goal statuses and the gap verdict follow their stated rules, using the interval (hand-built cases)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import example_config
from toolkit.board.status import expected_by, gap_verdict, goal_status
from toolkit.evaluations.schema import Evaluation

CHARTER = Evaluation.model_validate(example_config()).charter
GOAL = CHARTER.goals[0].model_copy(update={"baseline": 54.0})  # target 60, increase, by 2026-03-31; start 2023-04-01


def _results(value, lo, hi, key="baseline.core20_value"):
    stage, name = key.split(".", 1)
    return {"estimates": [{"key": key, "name": name, "estimate": value, "ci_low": lo, "ci_high": hi, "level": 0.95}]}


def test_expected_value_is_on_the_line_from_baseline_to_target():
    assert expected_by(GOAL, CHARTER, dt.date(2023, 4, 1)) == pytest.approx(54.0)
    assert expected_by(GOAL, CHARTER, dt.date(2026, 3, 31)) == pytest.approx(60.0)
    mid = dt.date(2023, 4, 1) + (dt.date(2026, 3, 31) - dt.date(2023, 4, 1)) / 2
    assert expected_by(GOAL, CHARTER, mid) == pytest.approx(57.0, abs=0.01)
    assert expected_by(GOAL, CHARTER, dt.date(2030, 1, 1)) == 60.0


@pytest.mark.parametrize("value,lo,hi,status", [
    (61, 60.0, 62, "on track"),          # whole interval at or above the expected 60
    (59, 58.0, 59.9, "not on track"),    # whole interval below 60
    (60.5, 59.0, 62, "cannot tell"),     # interval includes 60 although the point estimate is above it
])
def test_goal_status_uses_the_interval(value, lo, hi, status):
    got = goal_status(GOAL, CHARTER, _results(value, lo, hi), today=dt.date(2026, 11, 1))
    assert got.status == status
    assert got.expected_now == pytest.approx(60.0)


def test_decrease_goals_flip_the_comparison():
    goal = GOAL.model_copy(update={"direction": "decrease", "baseline": 20.0, "target": 10.0})
    assert goal_status(goal, CHARTER, _results(9, 8, 9.5), today=dt.date(2026, 11, 1)).status == "on track"
    assert goal_status(goal, CHARTER, _results(12, 11, 13), today=dt.date(2026, 11, 1)).status == "not on track"


def test_metric_no_stage_produces_is_reported_not_crashed():
    got = goal_status(GOAL, CHARTER, {"estimates": []}, today=dt.date(2026, 11, 1))
    assert got.status == "cannot tell" and "no stage produces the metric 'baseline.core20_value'" in got.reason


def test_too_early_before_the_scheme_starts():
    assert goal_status(GOAL, CHARTER, _results(61, 60, 62), today=dt.date(2023, 1, 1)).status == "too early"


@pytest.mark.parametrize("lo,hi,verdict", [
    (0.5, 2.0, "narrowed"),      # the charter's gap goal is 'increase' (gap = Core20 minus rest, negative at baseline)
    (-2.0, -0.1, "widened"),
    (-0.5, 1.0, "no clear change"),
])
def test_gap_verdict(lo, hi, verdict):
    results = {"estimates": [{"key": "impact.gap_effect", "name": "gap_effect", "estimate": (lo + hi) / 2,
                              "ci_low": lo, "ci_high": hi, "level": 0.95}]}
    assert gap_verdict(CHARTER, results)[0] == verdict


def test_gap_verdict_too_early_without_an_estimate():
    assert gap_verdict(CHARTER, {"estimates": []})[0] == "too early to tell"
