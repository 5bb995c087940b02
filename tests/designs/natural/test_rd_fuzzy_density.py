"""Fuzzy RD (rdrobust fuzzy=) and the standalone manipulation test (rddensity)."""

from __future__ import annotations

from toolkit.reporting.interpret import interpret

import numpy as np
import pandas as pd
import pytest
from rdrobust import datasets, rdrobust

from toolkit.designs import rd
from toolkit.errors import DataError, DesignError


def _fuzzy(rng, n=4000, late=2.0):
    x = rng.uniform(-1, 1, n)
    take = (rng.uniform(size=n) < np.where(x >= 0, 0.85, 0.2)).astype(float)
    y = 1 + 0.8 * x + late * take + rng.normal(0, 0.5, n)
    return pd.DataFrame({"x": x, "d": take, "y": y})


def test_fuzzy_matches_direct_rdrobust_call():
    # Reference implementation: rdrobust's own fuzzy estimator on the same arrays.
    df = _fuzzy(np.random.default_rng(1))
    r = rd.fit(df, "y", "x", 0.0, treatment="d", sensitivity=None, density_test=False)
    ref = rdrobust(df["y"].to_numpy(), df["x"].to_numpy(), c=0.0, fuzzy=df["d"].to_numpy())
    assert r.estimate == pytest.approx(float(ref.coef.iloc[0, 0]), abs=1e-10)
    # se is the robust bias-corrected SE behind the interval (rdrobust's third row); conventional kept in extra
    assert r.se == pytest.approx(float(ref.se.iloc[2, 0]), abs=1e-10)
    assert r.extra["se_conventional"] == pytest.approx(float(ref.se.iloc[0, 0]), abs=1e-10)
    assert (r.ci_low, r.ci_high) == pytest.approx(tuple(ref.ci.iloc[2]), abs=1e-10)
    assert r.extra["design"] == "fuzzy" and "Fuzzy" in r.method
    assert r.extra["first_stage"]["estimate"] == pytest.approx(float(ref.tau_T.iloc[0, 0]), abs=1e-10)


def test_fuzzy_recovers_known_late_and_ignores_treated_side():
    """Seeded simulation: compliance 20% below, 85% above, true LATE 2."""
    df = _fuzzy(np.random.default_rng(7), n=6000)
    r = rd.fit(df, "y", "x", 0.0, treatment="d", sensitivity=None, density_test=False)
    assert abs(r.estimate - 2.0) < 3 * r.se and r.ci_low < 2.0 < r.ci_high
    assert r.extra["first_stage"]["estimate"] == pytest.approx(0.65, abs=0.1)
    below = rd.fit(df, "y", "x", 0.0, treatment="d", treated="below", sensitivity=None, density_test=False)
    assert below.estimate == pytest.approx(r.estimate, abs=1e-12)  # a ratio of jumps: no sign flip


def test_fuzzy_with_perfect_compliance_equals_sharp():
    # On the Senate data (shipped with rdrobust), treatment = 1{margin >= 0} makes the fuzzy ratio
    # the sharp estimate (first stage exactly 1).
    s = datasets.rdrobust_RDsenate().dropna()
    s = s.assign(d=(s["margin"] >= 0).astype(float))
    sharp = rd.fit(s, "vote", "margin", 0, sensitivity=None, density_test=False)
    fuzzy = rd.fit(s, "vote", "margin", 0, treatment="d", sensitivity=None, density_test=False)
    assert fuzzy.estimate == pytest.approx(sharp.estimate, abs=1e-8)
    assert fuzzy.extra["first_stage"]["estimate"] == pytest.approx(1.0, abs=1e-10)


def test_weak_first_stage_warns():
    rng = np.random.default_rng(3)
    x = rng.uniform(-1, 1, 3000)
    d = (rng.uniform(size=3000) < np.where(x >= 0, 0.53, 0.5)).astype(float)
    df = pd.DataFrame({"x": x, "d": d, "y": x + d + rng.normal(0, 1, 3000)})
    r = rd.fit(df, "y", "x", 0.0, treatment="d", sensitivity=None, density_test=False)
    assert any("weak first stage" in w for w in r.warnings)


def test_density_senate_published():
    # Cattaneo, Jansson & Ma (2018, Stata Journal 18(1), "Manipulation testing based on density
    # discontinuity") Senate example, and rddensity 3.0: jackknife T = -0.8753, p = 0.3814.
    s = datasets.rdrobust_RDsenate()
    r = rd.density(s, "margin", 0)
    assert r.extra["statistic"] == pytest.approx(-0.8753, abs=1e-4)
    assert r.p_value == pytest.approx(0.3814, abs=1e-4)
    assert r.estimate / r.se == pytest.approx(r.extra["statistic"], abs=1e-6)
    assert r.n_obs == 1390 and not any("left out" in w for w in r.warnings)
    assert "No sign" in interpret(r)


def test_density_detects_known_manipulation():
    rng = np.random.default_rng(5)
    x = rng.normal(0, 1, 3000)
    move = (x > -0.3) & (x < 0) & (rng.uniform(size=3000) < 0.7)
    x[move] = -x[move]
    r = rd.density(pd.DataFrame({"score": x}), "score", 0.0)
    assert r.p_value < 0.01 and r.estimate > 0 and "abruptly" in interpret(r)


def test_density_bad_input():
    with pytest.raises(DataError, match="not numbers"):
        rd.density(pd.DataFrame({"x": ["a"] * 30 + list(range(30))}), "x", 0)
    with pytest.raises(DesignError, match="at least 10"):
        rd.density(pd.DataFrame({"x": np.r_[np.arange(5) - 10.0, np.arange(50)]}), "x", 0)
    with pytest.raises(DesignError, match="kernel"):
        rd.density(pd.DataFrame({"x": np.linspace(-1, 1, 100)}), "x", 0, kernel="gaussian")
