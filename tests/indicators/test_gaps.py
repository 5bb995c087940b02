"""Quantile and Core20 gaps against hand calculations and a simulation with a known gap."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from toolkit.errors import DataError, ToolkitWarning
from toolkit.indicators import core20_gap, crude_rate, proportion, quantile_gap

Z95 = stats.norm.ppf(0.975)


def _quintile_rates():
    df = pd.DataFrame({"area": ["x"] * 5 + ["y"] * 5, "q": list(range(1, 6)) * 2,
                       "d": [120, 100, 90, 80, 60, 50, 45, 40, 30, 0], "n": [10_000] * 10})
    return crude_rate(df, "d", "n", by=["area", "q"], confidence=(0.95, 0.998))


def test_quantile_gap_hand_calculation():
    rates = _quintile_rates()
    res = quantile_gap(rates, "q", by="area", confidence=(0.95, 0.998))
    x = rates[rates.area == "x"].set_index("q")
    se1 = (x.loc[1, "upper_ci_95"] - x.loc[1, "lower_ci_95"]) / (2 * Z95)
    se5 = (x.loc[5, "upper_ci_95"] - x.loc[5, "lower_ci_95"]) / (2 * Z95)
    absx = res[(res.area == "x") & (res.gap == "absolute")].iloc[0]
    assert absx["value"] == pytest.approx(1200 - 600, abs=1e-9)
    z998 = stats.norm.ppf(0.999)
    assert absx["lower_ci_99_8"] == pytest.approx(600 - z998 * np.hypot(se1, se5), abs=1e-9)
    assert absx["upper_ci_95"] == pytest.approx(600 + Z95 * np.hypot(se1, se5), abs=1e-9)
    relx = res[(res.area == "x") & (res.gap == "relative")].iloc[0]
    l1 = (np.log(x.loc[1, "upper_ci_95"]) - np.log(x.loc[1, "lower_ci_95"])) / (2 * Z95)
    l5 = (np.log(x.loc[5, "upper_ci_95"]) - np.log(x.loc[5, "lower_ci_95"])) / (2 * Z95)
    assert relx["value"] == pytest.approx(2.0, abs=1e-12)
    assert relx["lower_ci_95"] == pytest.approx(2.0 * np.exp(-Z95 * np.hypot(l1, l5)), abs=1e-9)
    # area y: least deprived quintile has 0 events -> no relative gap, absolute still given
    rely = res[(res.area == "y") & (res.gap == "relative")].iloc[0]
    assert np.isnan(rely["value"]) and "0 or less" in rely["note"]
    absy = res[(res.area == "y") & (res.gap == "absolute")].iloc[0]
    assert absy["value"] == pytest.approx(500.0, abs=1e-9)


def test_quantile_gap_missing_quantile_note():
    rates = _quintile_rates()
    rates = rates[~((rates.area == "x") & (rates.q == 1))]
    res = quantile_gap(rates, "q", by="area", least=5)
    assert res[res.area == "x"]["note"].str.contains("quantile 1 is missing").all()


def test_core20_gap_rate_hand_calculation():
    df = pd.DataFrame({"decile": range(1, 11), "d": [90, 80, 60, 55, 50, 45, 40, 38, 35, 30],
                       "n": [10_000] * 10})
    res = core20_gap(df, "d", "n", "decile").set_index("gap")
    o1, n1, o2, n2 = 170, 20_000, 353, 80_000
    r1, r2 = o1 / n1, o2 / n2
    assert res.loc["absolute", "value"] == pytest.approx((r1 - r2) * 1e5, abs=1e-9)
    se = np.sqrt(o1 / n1**2 + o2 / n2**2) * 1e5
    assert res.loc["absolute", "lower_ci"] == pytest.approx((r1 - r2) * 1e5 - Z95 * se, abs=1e-9)
    assert res.loc["relative", "value"] == pytest.approx(r1 / r2, abs=1e-12)
    assert res.loc["relative", "upper_ci"] == pytest.approx(
        r1 / r2 * np.exp(Z95 * np.sqrt(1 / o1 + 1 / o2)), abs=1e-12)
    assert res.loc["absolute", "core20_value"] == pytest.approx(r1 * 1e5)


def test_core20_gap_proportion_coverage_by_simulation():
    # Simulation with a known gap: p = 0.30 in Core20, 0.25 elsewhere.
    rng = np.random.default_rng(31)
    n = np.array([800] * 10)
    p = np.array([0.30, 0.30] + [0.25] * 8)
    rows = []
    for s in range(400):
        rows.append(pd.DataFrame({"sim": s, "decile": range(1, 11), "x": rng.binomial(n, p), "n": n}))
    df = pd.concat(rows, ignore_index=True)
    res = core20_gap(df, "x", "n", "decile", statistic="proportion", by="sim")
    a = res[res.gap == "absolute"]
    r = res[res.gap == "relative"]
    assert ((a.lower_ci <= 0.05) & (a.upper_ci >= 0.05)).mean() == pytest.approx(0.95, abs=0.035)
    assert ((r.lower_ci <= 1.2) & (r.upper_ci >= 1.2)).mean() == pytest.approx(0.95, abs=0.035)


def test_core20_gap_missing_decile_counted_and_bad_decile_error():
    df = pd.DataFrame({"decile": [1, 2, 3, np.nan], "x": [5, 6, 7, 8], "n": [100, 100, 100, 100]})
    with pytest.warns(ToolkitWarning, match="1 row"):
        res = core20_gap(df, "x", "n", "decile", statistic="proportion")
    assert res.loc[0, "rest_value"] == pytest.approx(0.07)
    df.loc[3, "decile"] = 11
    with pytest.raises(DataError, match="1 to 10"):
        core20_gap(df, "x", "n", "decile")


def test_gap_from_proportions():
    df = pd.DataFrame({"q": [1, 2, 3], "x": [30, 20, 10], "n": [100, 100, 100]})
    res = quantile_gap(proportion(df, "x", "n", by="q"), "q").set_index("gap")
    assert res.loc["absolute", "value"] == pytest.approx(0.2)
    assert res.loc["relative", "value"] == pytest.approx(3.0)
