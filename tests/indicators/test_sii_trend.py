"""SII/RII per period and the test of trend, on seeded simulations with a known trend.

Reference: each period's SII must equal :func:`toolkit.indicators.sii` on that period alone
(itself checked against PHEindicatormethods); the trend slope is checked against the true
slope of a simulated gradient and against statsmodels' WLS on the same SIIs and SEs.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from toolkit.errors import ToolkitWarning
from toolkit.indicators import sii, sii_trend


def _panel(slope_per_year, years=range(2016, 2024), seed=5, pops=None):
    rng = np.random.default_rng(seed)
    rows = []
    for k, y in enumerate(years):
        gap = 10 + slope_per_year * k  # least minus most deprived end, in points
        for q in range(1, 6):
            true = 50 + gap * ((q - 0.5) / 5 - 0.5)
            se = 0.4
            pop = 1000 if pops is None else pops[k][q - 1]
            rows.append((y, q, pop, true + rng.normal(0, se), se))
    return pd.DataFrame(rows, columns=["year", "q", "pop", "value", "se"])


def test_per_period_matches_sii_and_trend_recovers_slope():
    df = _panel(-0.5)
    res = sii_trend(df, "year", "q", "pop", "value", se="se", seed=1, repetitions=20_000)
    one = sii(df[df.year == 2019], "q", "pop", "value", se="se", seed=1, repetitions=20_000)
    assert res.loc[res.period == 2019, "sii"].iloc[0] == pytest.approx(one["sii"].iloc[0], rel=1e-12)
    tr = res.attrs["trend"]
    assert tr["slope"] == pytest.approx(-0.5, abs=0.25)
    assert tr["p"] < 0.01 and tr["lower_ci"] < tr["slope"] < tr["upper_ci"]
    wls = sm.WLS(res["sii"], sm.add_constant(res["period"].astype(float)), weights=1 / res["sii_se"] ** 2).fit()
    assert tr["slope"] == pytest.approx(wls.params.iloc[1], rel=1e-10)
    assert not res.attrs["mix_shift"]


def test_no_trend_is_not_significant():
    res = sii_trend(_panel(0.0, seed=8), "year", "q", "pop", "value", se="se", seed=2, repetitions=20_000)
    assert res.attrs["trend"]["p"] > 0.05


def test_population_mix_shift_and_vintage_change_warn():
    pops = [[1000] * 5] * 4 + [[1400, 1100, 900, 800, 800]] * 4
    df = _panel(0.0, pops=pops)
    df["imd"] = np.where(df["year"] >= 2020, "IMD 2025", "IMD 2019")
    with pytest.warns(ToolkitWarning, match="population mix"):
        res = sii_trend(df, "year", "q", "pop", "value", se="se", seed=3, repetitions=20_000, vintage="imd")
    assert res.attrs["mix_shift"]
    assert "IMD 2019 → IMD 2025" in res.attrs["warning"]
    assert res["mix_change"].max() == pytest.approx(8.0, abs=1e-9)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ToolkitWarning)
        sii_trend(_panel(0.0), "year", "q", "pop", "value", se="se", seed=3, repetitions=20_000)
