"""The goal chart to Making Data Count: icons in symbols and words, scheme start, limits, pre-scheme improvement."""

import datetime as dt
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from toolkit.board.charts import GoalFigure, goal_figure, goal_spc
from toolkit.board.status import GoalStatus

START = dt.date(2023, 4, 1)


def _status(values, *, direction="increase", target=80.0, expected_now=60.0, months="2022-04"):
    ends = [(p.to_timestamp(how="end")).date() for p in pd.period_range(months, periods=len(values), freq="M")]
    starts = [(p.to_timestamp()).date() for p in pd.period_range(months, periods=len(values), freq="M")]
    v = np.asarray(values, dtype=float)
    series = pd.DataFrame({"start": starts, "end": ends, "value": v, "ci_low": v - 1, "ci_high": v + 1})
    goal = SimpleNamespace(direction=direction, description="Blood pressure recorded (%)", unit="%", target=target,
                           by=dt.date(2025, 3, 31), milestones=[])
    charter = SimpleNamespace(period=SimpleNamespace(start=START, end=dt.date(2025, 3, 31)))
    status = GoalStatus(goal, "on track", "because", baseline=50.0, expected_now=expected_now, series=series)
    return status, charter


FLAT_PRE = [50.0, 51, 50, 49, 50, 51, 50, 49, 50, 51, 50, 49]  # April 2022 to March 2023, common cause


def test_unpacks_as_before_and_carries_icons_in_words():
    status, charter = _status(FLAT_PRE + [50, 51, 50, 49, 50, 51, 50, 49, 50, 51, 50, 49], expected_now=60.0)
    made = goal_figure(status, charter)
    assert isinstance(made, GoalFigure)
    fig, alt, data = made
    assert made[0] is fig and made[1] == alt
    # common cause; the trajectory value (60) is above the upper limit for an "increase" goal: consistently failing
    assert made.variation == "common cause" and made.assurance == "fail"
    assert "variation icon: ~, common cause variation" in alt
    assert "assurance icon: F, consistently failing the target or trajectory" in alt
    assert "scheme start marked" in alt and "one set of process limits" in alt
    assert made.note is None
    assert {"Mean", "Process limits", "Variation", "Assurance"} <= set(data.columns)
    assert data["Assurance"].iloc[-1] == "consistently failing the target or trajectory"
    texts = [t.get_text() for a in fig.axes for t in a.texts]
    assert "~" in texts and "F" in texts and "Scheme starts" in texts  # symbols with letters, not colour alone
    legend = fig.axes[0].get_legend()
    assert legend is not None and legend.get_bbox_to_anchor().y0 < fig.axes[0].get_position().y0 * fig.bbox.height


def test_improvement_icon_high_and_pass():
    status, charter = _status(FLAT_PRE + [60, 61, 60, 62, 61, 60, 61, 62, 60, 61, 62, 61], expected_now=45.0)
    made = goal_figure(status, charter)
    assert made.variation == "special cause improvement"
    assert "H↑, special cause improvement (higher values)" in made.icons_text
    assert made.assurance == "pass"  # the forecast value is below the lower limit of the process
    assert "consistently passing" in made[1]


def test_decrease_goal_concern_is_high():
    status, charter = _status(FLAT_PRE + [60, 61, 60, 62, 61, 60, 61, 62, 60, 61, 62, 61], direction="decrease",
                              target=40.0, expected_now=45.0)
    made = goal_figure(status, charter)
    assert made.variation == "special cause concern"
    assert "H↑, special cause concern (higher values)" in made.icons_text


def test_recalculation_only_when_asked():
    values = FLAT_PRE + [60, 61, 60, 62, 61, 60, 61, 62, 60, 61, 62, 61]
    status, charter = _status(values, expected_now=45.0)
    one, _ = goal_spc(status.series, START, "increase", target=45.0)
    assert "segment" not in one.columns and one["centre"].nunique() == 1
    two, _ = goal_spc(status.series, START, "increase", target=45.0, recalculate_at_start=True)
    assert two["centre"].iloc[0] == pytest.approx(np.mean(FLAT_PRE))
    assert two["centre"].iloc[-1] == pytest.approx(np.mean(values[12:]))
    made = goal_figure(status, charter, recalculate_at_start=True)
    assert "recalculated at the scheme start" in made[1]
    # after recalculation the post-start process is stable: common cause, and 45 is below its lower limit
    assert made.variation == "common cause" and made.assurance == "pass"


def test_improvement_before_the_scheme_is_called_out():
    # flat, then rising 8 months in a row up to the start: a trend of improvement that began before the scheme
    pre = [50.0, 51, 50, 49] + [50, 51, 52, 53, 54, 55, 56, 57]
    status, charter = _status(pre + [58, 59, 58, 59, 58, 59, 58, 59, 58, 59, 58, 59], expected_now=60.0)
    for recalc in (False, True):
        made = goal_figure(status, charter, recalculate_at_start=recalc)
        assert made.note is not None and made.note.startswith("Improvement began before the scheme")
        assert "a trend" in made.note
        assert made.note in made[1]
        assert any(t.get_text().startswith("Improvement began before the scheme") for t in made[0].texts)


def test_no_pre_scheme_call_out_for_a_step_at_the_start():
    status, charter = _status(FLAT_PRE + [60, 61, 60, 62, 61, 60, 61, 62, 60, 61, 62, 61], expected_now=45.0)
    for recalc in (False, True):
        assert goal_figure(status, charter, recalculate_at_start=recalc).note is None


def test_render_png(tmp_path):
    pre = [50.0, 51, 50, 49] + [50, 51, 52, 53, 54, 55, 56, 57]
    status, charter = _status(pre + [58, 59, 58, 59, 58, 59, 60, 61, 60, 61, 62, 61], expected_now=62.0)
    fig = goal_figure(status, charter, recalculate_at_start=True)[0]
    out = tmp_path / "goal.png"
    fig.savefig(out, dpi=100)
    assert out.stat().st_size > 10_000


def test_assurance_icon_is_the_goals_tables():
    """Whole-series limits would call a trajectory of 55 'hit and miss' (the step widens them); the goals table judges
    the points since the start (limits about 58 to 64), which consistently pass 55: the chart says the same."""
    from toolkit.board.status import assurance

    post = [60, 61, 62, 61, 60, 61, 62, 61, 60, 61, 62, 61]
    status, charter = _status(FLAT_PRE + post, expected_now=55.0)
    whole, _ = goal_spc(status.series, START, "increase", target=55.0)
    assert whole["assurance"].iloc[-1] == "inconsistent"  # what the chart said before
    table, _ = assurance(status.series[status.series["start"] >= START], 55.0, "increase")
    assert table["assurance"].iloc[0] == "pass"
    made = goal_figure(status, charter)
    assert made.assurance == "pass" and "assurance icon: P" in made.icons_text
    assert list(made[2]["Assurance"][:12]) == ["–"] * 12  # no assurance claimed for the points before the start
    assert set(made[2]["Assurance"][12:]) == {"consistently passing the target or trajectory"}
