"""The rerun comparison reads each SE on its own scale (issue 11: a rate ratio's SE is that of its log)."""

from __future__ import annotations

import math

import pytest

from toolkit.board.changes import _estimate_changes, se_scale_of
from toolkit.designs.result import DesignResult, se_distance
from toolkit.errors import DesignError
from toolkit.results import Results


def _moved(before: dict, now: dict) -> str:
    tab = _estimate_changes({"estimates": [before]}, {"estimates": [now]})
    return tab.iloc[0]["Moved more than one SE"]


def test_ratio_moves_are_measured_on_the_log_scale():
    # a rate ratio 2.00 -> 2.08 with SE(log RR) = 0.05: log(2.08/2) = 0.039 < 0.05, although 0.08 > 0.05
    before = {"key": "its.level_change", "estimate": 2.0, "se": 0.05, "se_scale": "log"}
    now = {"key": "its.level_change", "estimate": 2.08, "se": 0.05, "se_scale": "log"}
    assert _moved(before, now) == "no"
    assert _moved(before, {**now, "estimate": 2.12}) == "yes"  # log(1.06) = 0.058
    # a difference on its own scale
    diff = {"key": "did.att", "estimate": 2.0, "se": 0.05, "se_scale": "estimate"}
    assert _moved(diff, {**diff, "estimate": 2.08}) == "yes"


def test_results_written_before_se_scale_treat_ratios_as_log():
    old = {"key": "its.level_change", "estimate": 2.0, "se": 0.05, "extra": {"scale": "ratio"}}
    assert se_scale_of(old) == "log" and se_scale_of({"unit": "rate ratio"}) == "log"
    assert se_scale_of({"unit": "%"}) == "estimate"
    assert _moved(old, {**old, "estimate": 2.08}) == "no"


def test_every_result_states_its_se_scale():
    ratio = DesignResult(1.2, 0.1, 1.0, 1.4, 0.04, 50, "Poisson ITS", scale="ratio")
    diff = DesignResult(3.0, 1.0, 1.0, 5.0, 0.01, 50, "TWFE")
    assert ratio.se_scale == "log" and diff.se_scale == "estimate"
    assert ratio.to_record()["se_scale"] == "log"
    with pytest.raises(DesignError):
        DesignResult(1.0, 1.0, 0.0, 2.0, 0.5, 5, "x", se_scale="sqrt")
    res = Results(stage="s")
    assert res.record_design("rr", ratio).se_scale == "log"
    assert res.record("gap", -3.0, se=1.2).se_scale == "estimate"
    assert res.record("ratio", 1.5).se_scale is None  # no SE, no scale
    assert se_distance(2.0, 2.08, 0.05, "log") == pytest.approx(math.log(1.04) / 0.05)
    assert math.isnan(se_distance(2.0, -1.0, 0.05, "log"))
