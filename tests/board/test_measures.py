"""Measured goals: values, intervals, baseline and the last period with data, against independent references."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from tests.board.conftest import MONTHS, small_config, small_data
from toolkit.board.goals import assess_goals
from toolkit.board.measures import Value, difference, measure_series, parse_periods, value_of
from toolkit.board.status import NO_DATA


def test_wilson_interval_matches_statsmodels():
    v = value_of("proportion", 56, 70, multiplier=100, level=0.95)
    lo, hi = proportion_confint(56, 70, alpha=0.05, method="wilson")  # independent implementation
    assert (v.ci_low, v.ci_high) == pytest.approx((lo * 100, hi * 100), abs=1e-9)


def test_difference_of_proportions_matches_newcombe_method_10():
    # Newcombe RG (1998) Statistics in Medicine 17:873-890, Table II example (a): 56/70 - 48/80,
    # method 10 (score, no continuity correction): 0.0524 to 0.3339
    a = value_of("proportion", 56, 70, multiplier=1, level=0.95)
    b = value_of("proportion", 48, 80, multiplier=1, level=0.95)
    d = difference(a, b)
    assert d.value == pytest.approx(0.2)
    assert (d.ci_low, d.ci_high) == pytest.approx((0.0524, 0.3339), abs=5e-5)


def test_count_limits_are_exact_poisson_below_ten():
    from scipy import stats

    v = value_of("count", 4, 1, multiplier=1, level=0.95)
    # exact (Garwood) limits: chi2(0.025, 2k)/2 and chi2(0.975, 2k+2)/2
    assert (v.ci_low, v.ci_high) == pytest.approx((stats.chi2.ppf(0.025, 8) / 2, stats.chi2.ppf(0.975, 10) / 2))


def test_mean_uses_the_pooled_standard_deviation():
    x = np.array([1.0, 2.0, 4.0, 7.0])
    v = value_of("mean", x.sum(), len(x), multiplier=1, level=0.95, sumsq=float((x * x).sum()))
    half = 1.959963984540054 * x.std(ddof=1) / 2
    assert (v.value, v.ci_low, v.ci_high) == pytest.approx((3.5, 3.5 - half, 3.5 + half))


def test_periods_in_every_usual_form():
    got = parse_periods(pd.Series(["2024-03", "2024-Q2", "2024-07-15"]), column="m", file="f.csv")
    assert list(got.dt.strftime("%Y-%m-%d")) == ["2024-03-01", "2024-04-01", "2024-07-15"]
    with pytest.raises(Exception, match="not dates"):
        parse_periods(pd.Series(["spring 2024"]), column="m", file="f.csv")


def test_series_baseline_from_the_data_before_the_start_and_status_at_the_last_period(small_evaluation):
    ev = small_evaluation()
    goal = ev.config.charter.goals[3]  # Core20 recording: 50% before April 2023, 60% after
    ms = measure_series(ev.config, ev.folder, goal.measure, ev.config.charter)
    assert ms.baseline.value == pytest.approx(50.0) and ms.baseline_window == (dt.date(2022, 4, 1), dt.date(2023, 3, 31))
    lo, hi = proportion_confint(24000 * 0.5, 24000, method="wilson")  # 12 months x 2,000 adults, pooled
    assert (ms.baseline.ci_low, ms.baseline.ci_high) == pytest.approx((lo * 100, hi * 100))
    assert ms.latest_end == dt.date(2024, 3, 31) and ms.latest.value == pytest.approx(60.0)
    assert list(ms.series["value"].round(6)) == [50.0] * 4 + [60.0] * 4


def test_gap_and_plus_group_populations(small_evaluation):
    cfg = small_config()
    cfg["charter"]["goals"][3]["measure"]["gap"] = True
    cfg["charter"]["goals"][3]["target"] = -5
    cfg["charter"]["goals"].append({"id": "plus", "description": "Black African recording", "step": "outcome",
                                    "measure": {**cfg["charter"]["goals"][3]["measure"], "gap": False,
                                                "population": {"role": "ethnicity", "values": ["Black African"]}},
                                    "target": 60, "direction": "increase", "by": "2024-03-31"})
    ev = small_evaluation(cfg)
    statuses = {s.goal.id: s for s in assess_goals(ev, {})}
    gap = statuses["outcome"]
    assert gap.kind == "gap" and gap.baseline == pytest.approx(-20.0) and gap.observed == pytest.approx(-10.0)
    # Core20 minus the rest: -20 before, -10 in Jan-Mar 2024, against -5 expected at the goal's date
    assert gap.expected_now == pytest.approx(-5.0) and gap.status == "not on track"
    assert gap.ci_low < -10 < gap.ci_high
    assert statuses["plus"].observed == pytest.approx(60.0)  # the PLUS group is the Core20 area here


def test_no_data_since_the_start_is_never_on_track(small_evaluation):
    ev = small_evaluation(data=small_data(months=MONTHS[:12]))
    got = {s.goal.id: s for s in assess_goals(ev, {})}
    assert got["outcome"].status == NO_DATA and got["outcome"].as_of is None


def test_typed_baseline_only_where_no_data_and_labelled(small_evaluation):
    got = {s.goal.id: s for s in assess_goals(small_evaluation(), {})}
    assert got["fidelity"].baseline_typed and got["fidelity"].baseline == 80  # no high readings before the start
    assert not got["outcome"].baseline_typed


def test_difference_is_symmetric_for_equal_values():
    d = difference(Value(1.0, 0.5, 1.5, 1), Value(1.0, 0.5, 1.5, 1))
    assert d.value == 0 and d.ci_low == pytest.approx(-d.ci_high)


def test_records_without_a_decile_are_left_out_of_both_groups_and_counted(small_evaluation):
    data = small_data()
    data.loc[data.index[:3], "decile"] = None  # three area-months with no deprivation
    ev = small_evaluation(data=data)
    goal = ev.config.charter.goals[3]
    ms = measure_series(ev.config, ev.folder, goal.measure, ev.config.charter)
    assert ms.excluded == 3 and ms.excluded_reason == "no IMD decile or quintile"
    status = {s.goal.id: s for s in assess_goals(ev, {})}["outcome"]
    assert status.observed == pytest.approx(60.0)  # the last quarter is untouched
