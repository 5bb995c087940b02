"""Goal statuses follow their stated rules at the date of the data; one gap rule (hand-built cases)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.helpers import example_config
from toolkit.board.gap import gap_change
from toolkit.board.status import expected_at, gap_verdict, judge, trajectory
from toolkit.evaluations.schema import Evaluation

CHARTER = Evaluation.model_validate(example_config()).charter
GOAL = CHARTER.goals[0]  # target 60, increase, by 2026-03-31; scheme starts 2023-04-01


def test_forecast_is_a_straight_line_from_baseline_at_start_to_target():
    points = trajectory(GOAL, CHARTER, 54.0)
    assert expected_at(points, dt.date(2023, 4, 1)) == pytest.approx(54.0)
    assert expected_at(points, dt.date(2026, 3, 31)) == pytest.approx(60.0)
    mid = dt.date(2023, 4, 1) + (dt.date(2026, 3, 31) - dt.date(2023, 4, 1)) / 2
    assert expected_at(points, mid) == pytest.approx(57.0, abs=0.01)
    assert expected_at(points, dt.date(2030, 1, 1)) == 60.0
    assert expected_at(points, dt.date(2022, 1, 1)) is None  # before the start the forecast says nothing


def test_milestones_bend_the_trajectory():
    goal = GOAL.model_copy(update={"milestones": [
        type(GOAL).model_validate({**GOAL.model_dump(), "milestones": [{"date": "2024-04-01", "value": 54.0}]}).milestones[0]]})
    points = trajectory(goal, CHARTER, 54.0)  # flat for the first year, then straight to 60
    assert expected_at(points, dt.date(2023, 10, 1)) == pytest.approx(54.0)
    halfway = dt.date(2024, 4, 1) + (dt.date(2026, 3, 31) - dt.date(2024, 4, 1)) / 2
    assert expected_at(points, halfway) == pytest.approx(57.0, abs=0.01)


@pytest.mark.parametrize("lo,hi,status", [
    (60.0, 62, "on track"),          # whole interval at or above the expected 60
    (58.0, 59.9, "not on track"),    # whole interval below 60
    (59.0, 62, "cannot tell"),       # interval includes 60 although the point estimate is above it
])
def test_goal_status_uses_the_interval(lo, hi, status):
    assert judge(lo, hi, 60.0, "increase")[0] == status


def test_decrease_goals_flip_the_comparison():
    assert judge(8, 9.5, 10.0, "decrease")[0] == "on track"
    assert judge(11, 13, 10.0, "decrease")[0] == "not on track"


# --- one rule for "did the gap narrow?" -------------------------------------------------------------------------

@pytest.mark.parametrize("g0,lo,hi,hib,verdict,favourable", [
    (-6.7, 0.5, 2.0, True, "narrowed", True),     # Core20 below the rest, effect raises it: narrows, good
    (-6.7, -2.0, -0.1, True, "widened", False),   # Core20 below and falls further: widens, bad
    (-6.7, -0.5, 1.0, True, "no clear change", None),
    (3.0, 1.0, 3.0, True, "widened", True),       # the case: target starts ABOVE the rest (+3), +2 [1, 3]
    (3.0, -3.0, -1.0, True, "narrowed", False),   # above the rest and loses ground: narrows, but not good news
    (4.0, -2.0, -1.0, False, "narrowed", True),   # lower is better (admissions), target above: falls, narrows, good
    (None, 0.5, 2.0, True, "narrowed", True),     # no baseline gap: the target group is taken to start worse off
])
def test_gap_rule_uses_baseline_sign_and_direction(g0, lo, hi, hib, verdict, favourable):
    got = gap_change(g0, lo, hi, higher_is_better=hib)
    assert (got.verdict, got.favourable) == (verdict, favourable)


def test_equity_result_and_summary_agree_on_every_case():
    """EquityResult.gap_narrowed (the DiD report's word) and the board rule agree whenever the baseline gap is known."""
    from toolkit.designs.did.results import EquityResult

    for g0 in (-3.0, 3.0):
        for lo, hi in ((1.0, 3.0), (-3.0, -1.0), (-1.0, 1.0)):
            eq = EquityResult(estimate=(lo + hi) / 2, se=0.5, ci_low=lo, ci_high=hi, level=0.95, p_value=0.01 if lo * hi > 0 else 0.5,
                              n_obs=100, method="t", outcome="y", extra={"baseline_gap": g0})
            for hib in (True, False):
                board = gap_change(g0, lo, hi, higher_is_better=hib).narrowed
                assert board == eq.gap_narrowed, (g0, lo, hi, hib)


def test_summary_gap_verdict_reads_the_baseline_gap_from_the_estimate():
    results = {"estimates": [{"key": "impact.gap_effect", "name": "gap_effect", "estimate": 2.0, "ci_low": 1.0,
                              "ci_high": 3.0, "level": 0.95, "extra": {"baseline_gap": 3.0}}]}
    verdict, est = gap_verdict(CHARTER, results)
    assert verdict.verdict == "widened" and est["name"] == "gap_effect"
    assert "already better off" in verdict.explanation


def test_gap_verdict_too_early_or_not_measurable_without_an_estimate():
    assert gap_verdict(CHARTER, {"estimates": []})[0].verdict == "too early to tell"
    assert gap_verdict(CHARTER, {"estimates": []}, measurable=False)[0].verdict == \
        "not measurable with this design or data"


def test_an_inconclusive_gap_verdict_states_the_minimum_detectable_effect():
    results = {"estimates": [{"key": "impact.gap_effect", "name": "gap_effect", "estimate": 0.2, "se": 0.5,
                              "ci_low": -0.78, "ci_high": 1.18, "level": 0.95, "extra": {"baseline_gap": -3.0}}]}
    verdict, _ = gap_verdict(CHARTER, results)
    assert verdict.verdict == "no clear change"
    assert "about 1.4 or more would be detected with 80% power" in verdict.explanation  # 2.8016 x 0.5


def test_the_did_report_and_the_summary_say_the_same_thing():
    """The issue's case: baseline gap +3, effect on the gap +2 [1, 3]: both say 'widened' (and why)."""
    from toolkit.designs.did.results import EquityResult
    from toolkit.stages.did.wording import gap_sentence

    eq = EquityResult(estimate=2.0, se=0.5, ci_low=1.0, ci_high=3.0, level=0.95, p_value=0.001, n_obs=100,
                      method="t", outcome="y", extra={"baseline_gap": 3.0})
    report = gap_sentence(eq, outcome_label="recording", most_deprived_label="Core20", higher_is_better=True)
    results = {"estimates": [{"key": "impact.gap_effect", "name": "gap_effect", "estimate": 2.0, "ci_low": 1.0,
                              "ci_high": 3.0, "level": 0.95, "extra": {"baseline_gap": 3.0}}]}
    summary, _ = gap_verdict(CHARTER, results)
    assert "The gap widened" in report and summary.verdict == "widened"
    assert summary.explanation in report
