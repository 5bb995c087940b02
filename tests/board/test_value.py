"""Is it worth the money? Ratios with simulated intervals; unbounded ratios said in words."""

from __future__ import annotations

import numpy as np
import pytest

from tests.board.conftest import small_config
from toolkit.board.status import GoalStatus
from toolkit.board.value import total_cost, value_for_money
from toolkit.evaluations.schema import Evaluation


def _charter(costs):
    cfg = small_config()
    cfg["charter"]["goals"].append({"id": "impact", "description": "More diagnoses", "impact": {"stage": "impact"},
                                    "target": 1.0, "direction": "increase", "by": "2024-03-31"})
    cfg["charter"]["costs"] = costs
    return Evaluation.model_validate(cfg).charter


COSTS = {"total": 100000, "outcomes": [{"goal": "impact", "exposed": 10000, "periods": 2, "per": 1000,
                                        "unit_value": 2000, "unit_value_source": "test"}]}


def _status(charter, est, lo, hi, se):
    goal = charter.goals[-1]
    return GoalStatus(goal, "on track", "", kind="impact", observed=est, ci_low=lo, ci_high=hi, se=se, level=0.95)


def test_cost_per_additional_outcome_and_its_simulated_interval():
    charter = _charter(COSTS)
    # effect 2 per 1,000 a year (SE 0.25) x 10,000 people x 2 years = 40 additional outcomes; £100,000 / 40 = £2,500
    vfm = value_for_money(charter, [_status(charter, 2.0, 1.51, 2.49, 0.25)])
    line = vfm.lines[0]
    assert line.estimate == pytest.approx(2500.0)
    # reference: the ratio is monotone in the effect, so its percentiles are the ratio at the effect's normal
    # percentiles: 100,000 / (20 x (2 +/- 1.96 x 0.25)) = 2,008.0 and 3,311.3 (10,000 draws: within 1%)
    assert (line.ci_low, line.ci_high) == pytest.approx((100000 / (20 * 2.49), 100000 / (20 * 1.51)), rel=0.01)
    net = next(ln for ln in vfm.lines if ln.what == "Net benefit")
    assert net.estimate == pytest.approx(2000 * 40 - 100000)
    # the net benefit is linear in the effect: its interval is exactly normal, -20,000 +/- 1.96 x 2000 x 20 x 0.25
    assert (net.ci_low, net.ci_high) == pytest.approx((-20000 - 19600, -20000 + 19600), abs=600)
    roi = next(ln for ln in vfm.lines if ln.what == "Return on investment")
    assert roi.estimate == pytest.approx(-0.2)


def test_effect_interval_including_zero_is_said_in_words():
    charter = _charter(COSTS)
    vfm = value_for_money(charter, [_status(charter, 0.3, -0.2, 0.8, 0.25)])
    line = vfm.lines[0]
    assert line.estimate is None and "not defined" in line.text and "£" not in line.text


def test_simulation_is_seeded():
    charter = _charter(COSTS)
    a = value_for_money(charter, [_status(charter, 2.0, 1.51, 2.49, 0.25)]).lines[0]
    b = value_for_money(charter, [_status(charter, 2.0, 1.51, 2.49, 0.25)]).lines[0]
    assert (a.ci_low, a.ci_high) == (b.ci_low, b.ci_high)


def test_cost_per_point_of_gap_closed_uses_the_narrowing_direction():
    charter = _charter({"total": 90000})
    gap = {"estimate": 3.0, "ci_low": 2.0, "ci_high": 4.0, "se": 0.5}
    vfm = value_for_money(charter, [], gap, gap_sign=-1)  # the target group starts below: +3 closes 3 points
    assert vfm.lines[0].estimate == pytest.approx(30000.0)
    widening = value_for_money(charter, [], gap, gap_sign=1)  # starts above: +3 opens the gap
    assert widening.lines[0].estimate is None


def test_total_cost_from_a_period_amount():
    charter = _charter({"per_period": {"amount": 1000, "every": "month"}})
    assert total_cost(charter) == 24 * 1000  # the charter period is April 2023 to March 2025


@pytest.mark.parametrize("costs,message", [
    ({"total": -5}, "greater than or equal to 0"),
    ({"total": "lots"}, "valid number"),
    ({"by_category": {"staff": -1}}, "cannot be negative"),
])
def test_bad_costs_are_refused(costs, message):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match=message):
        _charter(costs)


def test_draws_are_normal_with_the_effects_se():
    from toolkit.board.value import _draws

    d = _draws(2.0, 0.25, 1)
    assert np.mean(d) == pytest.approx(2.0, abs=0.01) and np.std(d) == pytest.approx(0.25, abs=0.01)
