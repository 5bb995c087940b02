"""spc(recalculate_at=) and improvement_before on constructed series whose signals are known by hand."""

import warnings

import numpy as np
import pandas as pd
import pytest

from toolkit.errors import DataError, ToolkitWarning
from toolkit.indicators.spc import improvement_before, spc


def _run(x, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ToolkitWarning)
        return spc(pd.DataFrame({"t": range(len(x)), "v": x}), "v", "t", **kw)


def _limits(x):
    x = np.asarray(x, dtype=float)
    mean, mr = x.mean(), np.abs(np.diff(x)).mean()
    return mean, mean - 2.66 * mr, mean + 2.66 * mr


PRE = [10.0, 12, 11, 13, 10, 12, 11, 13, 10, 12, 11, 13]
POST = [20.0, 21, 19, 22, 20, 21, 19, 22, 20, 21, 19, 22]


def test_default_is_unchanged_one_set_of_limits():
    res = _run(PRE + POST)
    assert "segment" not in res.columns
    mean, lo, hi = _limits(PRE + POST)
    assert res["centre"].iloc[0] == pytest.approx(mean) and res["upper_limit"].iloc[-1] == pytest.approx(hi)
    # the step shows as a shift: below the mean before (12 points), above after
    assert res["shift"].all()


def test_recalculated_segments_have_their_own_limits_and_rules():
    res = _run(PRE + POST, improvement="increase", recalculate_at=12)
    assert res["segment"].tolist() == ["before"] * 12 + ["after"] * 12
    for seg, x in (("before", PRE), ("after", POST)):
        part = res[res["segment"] == seg]
        mean, lo, hi = _limits(x)
        assert part["centre"].unique() == pytest.approx([mean])
        assert part["lower_limit"].unique() == pytest.approx([lo])
        assert part["upper_limit"].unique() == pytest.approx([hi])
    # each segment is a stable process: no run crosses the break
    assert not res["special_cause"].any()
    assert (res["variation"] == "common cause").all()


def test_recalculation_assurance_uses_the_latest_segment():
    one = _run(PRE + POST, improvement="increase", target=15.0)
    two = _run(PRE + POST, improvement="increase", target=15.0, recalculate_at=12)
    assert one["assurance"].iloc[-1] == "inconsistent"  # 15 lies inside the wide single limits
    assert two["assurance"].iloc[-1] == "pass"  # 15 is below the post-start lower limit (about 16.5)
    assert two["lower_limit"].iloc[-1] > 15


def test_a_one_point_segment_is_refused():
    with pytest.raises(DataError, match="segment"):
        _run(PRE + POST, recalculate_at=23)


def test_recalculate_at_before_all_points_is_one_segment():
    res = _run(PRE + POST, recalculate_at=-5)
    assert set(res["segment"]) == {"after"}
    assert res["centre"].iloc[0] == pytest.approx(np.mean(PRE + POST))


def test_improvement_before_a_trend_into_the_start():
    # 7 strictly rising points ending at the last pre-start point (t = 11): a trend of improvement
    pre = [10.0, 11, 10, 11, 10, 11, 12, 13, 14, 15, 16, 17]
    res = _run(pre + [18, 17, 18, 17, 18, 17, 18, 17], improvement="increase")
    note = improvement_before(res, "t", 12)
    assert note is not None and "a trend" in note and note.startswith("Improvement began before the scheme")
    # a lower-is-better measure falling the same way
    res = _run([-v for v in pre] + [-18, -17, -18, -17], improvement="decrease")
    assert improvement_before(res, "t", 12) is not None


def test_no_call_out_for_a_step_at_the_start_or_a_concern_before():
    res = _run(PRE + POST, improvement="increase")
    # before the start the points are a run *below* the mean: concern, not improvement
    assert (res.loc[res["t"] < 12, "variation"] == "special cause concern").all()
    assert improvement_before(res, "t", 12) is None
    res = _run(PRE + POST, improvement="increase", recalculate_at=12)
    assert improvement_before(res, "t", 12) is None


def test_improvement_long_before_the_start_is_not_called_out():
    # an early single high point (t = 2) then 10 stable points: the window looks at the last 7 before the start
    x = [10.0, 11, 30, 10, 11, 10, 11, 10, 11, 10, 11, 10] + [11, 10, 11, 10]
    res = _run(x, improvement="increase")
    assert res["variation"].iloc[2] == "special cause improvement"
    assert improvement_before(res, "t", 12) is None
    assert improvement_before(res, "t", 12, window=12) is not None


def test_dates_are_named_in_words():
    t = pd.date_range("2022-04-01", periods=16, freq="MS")
    x = [10.0, 11, 10, 11, 10, 11, 12, 13, 14, 15, 16, 17, 18, 17, 18, 17]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ToolkitWarning)
        res = spc(pd.DataFrame({"t": t, "v": x}), "v", "t", improvement="increase")
    note = improvement_before(res, "t", pd.Timestamp("2023-04-01"))
    # mean 13.75: the rising trend (from September 2022) counts as improvement once above the mean, December 2022
    assert "from December 2022" in note
