"""Concentration index against the convenient regression (statsmodels OLS on the records) and a
seeded simulation of its interval.

References: Kakwani, Wagstaff & van Doorslaer (1997, J Econometrics 77:87-103): C equals the OLS
slope of 2σ_R²·y/μ on the fractional rank R (O'Donnell et al., *Analyzing Health Equity Using
Household Survey Data*, World Bank 2008, eq. 8.7), and for large n the grouped-data delta-method SE
is close to that regression's SE; Wagstaff (2005) and Erreygers (2009) corrections for a binary
outcome: W = C/(1 − μ), E = 4μC.
"""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from toolkit.errors import DataError
from toolkit.indicators import concentration_index

DF = pd.DataFrame({"q": [1, 2, 3, 4, 5], "o": [300, 350, 420, 450, 520], "n": [1000, 1100, 1200, 1150, 1250]})


def _convenient_regression(df):
    y = np.concatenate([np.r_[np.ones(int(o)), np.zeros(int(n - o))] for o, n in zip(df.o, df.n)])
    f = df.n / df.n.sum()
    rank = np.repeat((np.cumsum(f) - f / 2).to_numpy(), df.n.to_numpy())
    fit = sm.OLS(2 * rank.var() * y / y.mean(), sm.add_constant(rank)).fit()
    return fit.params[1], fit.bse[1]


def test_equals_convenient_regression_slope():
    res = concentration_index(DF, "o", "n", "q")
    beta, se = _convenient_regression(DF)
    assert res["value"] == pytest.approx(beta, abs=1e-12)
    assert res["se"] == pytest.approx(se, rel=0.02)
    assert res["value"] > 0  # recording is concentrated in the less deprived groups
    assert res["lower_ci"] < res["value"] < res["upper_ci"]


def test_rows_in_any_order_and_corrections():
    res = concentration_index(DF.iloc[::-1], "o", "n", "q")
    mu = DF.o.sum() / DF.n.sum()
    w = concentration_index(DF, "o", "n", "q", correction="wagstaff")
    e = concentration_index(DF, "o", "n", "q", correction="erreygers")
    assert w["value"] == pytest.approx(res["value"] / (1 - mu), rel=1e-12)
    assert e["value"] == pytest.approx(4 * mu * res["value"], rel=1e-12)
    assert w["se"] / w["value"] == pytest.approx(res["se"] / res["value"])


def test_equal_groups_give_zero():
    df = pd.DataFrame({"q": [1, 2, 3], "o": [50, 100, 25], "n": [200, 400, 100]})
    assert concentration_index(df, "o", "n", "q")["value"] == pytest.approx(0.0, abs=1e-12)


def test_interval_coverage_in_seeded_simulation():
    rng = np.random.default_rng(20250417)
    n = np.array([2000, 2200, 2400, 2300, 2500])
    p = np.array([0.30, 0.32, 0.35, 0.39, 0.42])
    true = concentration_index(pd.DataFrame({"q": range(1, 6), "o": n * p, "n": n}), "o", "n", "q")["value"]
    hits = 0
    reps = 250
    for _ in range(reps):
        o = rng.binomial(n, p)
        r = concentration_index(pd.DataFrame({"q": range(1, 6), "o": o, "n": n}), "o", "n", "q")
        hits += r["lower_ci"] <= true <= r["upper_ci"]
    assert 0.90 <= hits / reps <= 0.99  # 3 SEs of a 95% coverage over 250 runs


def test_bad_input():
    with pytest.raises(DataError, match="more than once"):
        concentration_index(pd.DataFrame({"q": [1, 1], "o": [1, 2], "n": [5, 5]}), "o", "n", "q")
    with pytest.raises(DataError, match="bounds"):
        concentration_index(DF, "o", "n", "q", correction="wagstaff", bounds=(0, 0.2))
