"""SPC (Making Data Count XmR) against hand calculations of the docs/methods.md rules."""

import warnings

import numpy as np
import pandas as pd
import pytest

from toolkit.errors import DataError, ToolkitWarning
from toolkit.indicators import SPC_COLOURS, spc


def _run(x, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ToolkitWarning)
        return spc(pd.DataFrame({"t": range(len(x)), "v": x}), "v", "t", **kw)


def test_centre_and_limits_hand_calculation():
    x = [12.0, 15, 11, 14, 13, 16, 12, 13, 15, 14, 12, 13, 14, 15]
    res = _run(x)
    mean = sum(x) / len(x)
    mr = sum(abs(a - b) for a, b in zip(x[1:], x[:-1])) / (len(x) - 1)
    assert res["centre"].iloc[0] == pytest.approx(mean, abs=1e-12)
    assert res["upper_limit"].iloc[0] == pytest.approx(mean + 2.66 * mr, abs=1e-12)
    assert res["lower_limit"].iloc[0] == pytest.approx(mean - 2.66 * mr, abs=1e-12)
    assert not res["special_cause"].any()
    assert (res["variation"] == "common cause").all()
    assert (res["colour"] == "#A6A6A6").all()


def test_point_beyond_limit_improvement_and_concern():
    x = [10.0, 11, 10, 9, 10, 11, 10, 9, 10, 11, 10, 30]
    up = _run(x, improvement="increase")
    assert up["beyond_limits"].tolist() == [False] * 11 + [True]
    assert up["variation"].iloc[-1] == "special cause improvement"
    assert up["colour"].iloc[-1] == SPC_COLOURS["special cause improvement"] == "#00B0F0"
    down = _run(x, improvement="decrease")
    assert down["variation"].iloc[-1] == "special cause concern"
    neutral = _run(x, improvement="neutral")
    assert neutral["variation"].iloc[-1] == "special cause neutral"


def test_shift_of_seven_points():
    x = [9.0, 11] * 3 + [14] * 7 + [9, 11, 9]
    res = _run(x)
    mean = np.mean(x)
    above = np.array(x) > mean
    # hand: the 7 points at 13/13.5 are the only run of >= 7 on one side
    assert above[6:13].all()
    assert res["shift"].tolist() == [False] * 6 + [True] * 7 + [False] * 3


def test_six_points_is_not_a_shift_or_trend():
    x = [9.0, 11] * 3 + [14] * 6 + [9, 11, 9, 11]
    assert (np.array(x) > np.mean(x)).sum() == 6
    res = _run(x)
    assert not res["shift"].any()
    res = _run([10.0, 12, 10, 12, 1, 2, 3, 4, 5, 6, 4, 10, 12])
    assert not res["trend"].any()


def test_trend_of_seven_rising_points():
    x = [10.0, 12, 10, 12, 1, 2, 3, 4, 5, 6, 7, 4, 10, 12]
    res = _run(x, improvement="decrease")
    assert res["trend"].tolist() == [False] * 4 + [True] * 7 + [False] * 3
    assert res.loc[10, "variation"] == "special cause concern"  # rising is bad here


def test_two_of_three_beyond_two_thirds():
    base = [10.0, 10.5] * 6
    x = base + [13, 10, 13]
    res = _run(x)
    mean = np.mean(x)
    mr = np.mean(np.abs(np.diff(x)))
    line = mean + 2 / 3 * 2.66 * mr
    assert 13 > line and 13 < mean + 2.66 * mr  # hand check: beyond 2/3, inside limit
    assert res["two_in_three"].tolist() == [False] * 12 + [True, False, True]


def test_assurance_against_target():
    x = [50.0, 52, 51, 49, 50, 51, 52, 50, 49, 51, 50, 52]
    assert _run(x, improvement="increase", target=40)["assurance"].iloc[0] == "pass"
    assert _run(x, improvement="increase", target=60)["assurance"].iloc[0] == "fail"
    assert _run(x, improvement="increase", target=50.5)["assurance"].iloc[0] == "inconsistent"
    assert _run(x, improvement="decrease", target=60)["assurance"].iloc[0] == "pass"
    assert _run(x, improvement="neutral", target=60)["assurance"].iloc[0] is None


def test_by_groups_and_short_series_warning():
    df = pd.DataFrame({"g": ["a"] * 5 + ["b"] * 13, "t": list(range(5)) + list(range(13)),
                       "v": np.arange(18.0)})
    with pytest.warns(ToolkitWarning, match="fewer than 12"):
        res = spc(df.iloc[::-1], "v", "t", by="g")
    assert res.loc[res.g == "a", "t"].tolist() == list(range(5))
    assert res.loc[res.g == "a", "centre"].iloc[0] == pytest.approx(2.0)


def test_duplicate_time_and_bad_direction():
    df = pd.DataFrame({"t": [1, 1, 2], "v": [1.0, 2, 3]})
    with pytest.raises(DataError, match="more than once"):
        spc(df, "v", "t")
    with pytest.raises(DataError, match="improvement"):
        spc(df, "v", "t", improvement="up")
