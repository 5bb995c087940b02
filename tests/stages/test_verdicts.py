"""Each plain-English verdict follows its stated rule at the boundaries."""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.designs.result import DesignResult
from toolkit.stages import verdicts as V


def _diag(p, dw=2.0):
    return pd.DataFrame([{"test": "Durbin-Watson", "statistic": dw, "lags": 1, "p_value": float("nan")},
                         {"test": "Ljung-Box", "statistic": 5.0, "lags": 12, "p_value": p},
                         {"test": "Breusch-Godfrey", "statistic": 5.0, "lags": 12, "p_value": p}])


def _res(est, lo, hi, scale="ratio"):
    return DesignResult(estimate=est, se=0.01, ci_low=lo, ci_high=hi, p_value=0.01, n_obs=50, method="m", scale=scale)


@pytest.mark.parametrize("n,status", [(12, "good"), (11, "caution"), (8, "caution")])
def test_periods(n, status):
    assert V.periods_verdict(n, side="pre", unit="month", minimum=8).status == status


@pytest.mark.parametrize("p,cov,status", [(0.05, "hac", "good"), (0.049, "hac", "caution"), (0.01, "model", "concern")])
def test_autocorrelation(p, cov, status):
    assert V.autocorrelation_verdict(_diag(p), cov=cov).status == status


def test_seasonality():
    assert V.seasonality_verdict("month", unit="month").status == "good"
    assert V.seasonality_verdict(None, unit="month").status == "caution"
    assert V.seasonality_verdict(None, unit="period").status == "good"


def test_controlled():
    single = _res(0.93, 0.91, 0.95)
    assert V.controlled_verdict(single, _res(0.92, 0.90, 0.94)).status == "good"
    assert V.controlled_verdict(single, _res(0.85, 0.82, 0.88)).status == "caution"
    assert V.controlled_verdict(single, _res(1.05, 1.01, 1.09)).status == "concern"


@pytest.mark.parametrize("rmspe,status", [(0.5, "good"), (0.51, "caution"), (1.0, "caution"), (1.01, "concern")])
def test_synth_fit(rmspe, status):
    assert V.synth_fit_verdict(rmspe, 1.0).status == status


def test_placebo_and_leave_one_out():
    assert V.placebo_verdict(0.05, 20).status == "good"
    assert V.placebo_verdict(0.15, 20).status == "caution"
    assert "3 of 20" in V.placebo_verdict(0.15, 20).finding
    loo = pd.DataFrame({"estimate": [-1.4, -1.6]})
    assert V.leave_one_out_verdict(-1.5, loo).status == "good"
    assert V.leave_one_out_verdict(-1.5, pd.DataFrame({"estimate": [-1.4, 0.2]})).status == "caution"


def test_manipulation():
    d = pd.DataFrame([{"test": "t", "statistic": 1.0, "p_value": 0.2, "n_left": 10, "n_right": 12}])
    assert V.manipulation_verdict(d, running_label="rank").status == "good"
    d.loc[0, "p_value"] = 0.01
    assert V.manipulation_verdict(d, running_label="rank").status == "concern"
    assert V.manipulation_verdict(d, running_label="rank", set_externally=True).status == "caution"
    assert V.manipulation_verdict(None, running_label="rank").status == "caution"


def test_bandwidth():
    s = pd.DataFrame({"multiplier": [0.5, 1, 2], "estimate": [3.0, 3.1, 3.2], "robust_ci_low": [1, 2, 2.5],
                      "robust_ci_high": [5, 4, 4]})
    assert V.bandwidth_verdict(3.1, s).status == "good"
    s.loc[0, "robust_ci_low"] = -0.5
    assert V.bandwidth_verdict(3.1, s).status == "caution"


def test_heterogeneity():
    t = pd.DataFrame([{"term": "level_change_difference_across_groups", "estimate": 9.0, "p_value": 0.01},
                      {"term": "level_change_gradient", "estimate": 1.02, "ci_low": 1.01, "ci_high": 1.03,
                       "p_value": 0.001}])
    v = V.heterogeneity_verdict(t, by_label="quintile", term="level_change_", ratio=True)
    assert v.status == "caution" and "a gradient" in v.finding
    assert V.heterogeneity_verdict(t.iloc[0:0], by_label="quintile", term="") is None


def test_frame_and_worst():
    vs = [V.periods_verdict(12, side="pre", unit="month", minimum=8), V.seasonality_verdict(None, unit="month")]
    f = V.verdicts_frame(vs)
    assert list(f["Verdict"]) == ["Good enough", "Caution"]
    assert V.worst(vs) == "caution"
    with pytest.raises(ValueError):
        V.Verdict("q", "bad", "f", "r")
