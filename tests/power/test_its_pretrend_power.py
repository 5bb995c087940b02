"""ITS power (simulation) and pre-trend test power (Roth 2022) against closed forms and independent simulation."""

from __future__ import annotations

import math

import numpy as np
import pytest
import statsmodels.api as sm
from scipy import stats

from toolkit import power
from toolkit.designs import did
from toolkit.errors import DesignError
from toolkit.power.its import its_design_matrix


def test_its_white_noise_ols_matches_noncentral_t():
    """φ = 0 with OLS SEs: the level-change t-test is exactly noncentral t, so simulation ≈ closed form."""
    n_pre, n_post, sd = 20, 10, 1.5
    r = power.mde_its(n_pre=n_pre, n_post=n_post, sd=sd, phi=0.0, se="ols", n_sims=20000, seed=4)
    X = its_design_matrix(n_pre, n_post)
    se = sd * math.sqrt(np.linalg.inv(X.T @ X)[2, 2])
    exact = power.power_from_se(r.mde, se, df=n_pre + n_post - 4)
    assert exact == pytest.approx(0.8, abs=3 * r.mc_error)
    assert r.parameters["sd_estimate"] == pytest.approx(se, rel=0.02)
    assert r.power_at(0) == pytest.approx(0.05, abs=3 * math.sqrt(0.0475 / 20000))


def test_its_hac_matches_statsmodels_fits():
    """Independent check: statsmodels OLS with Newey-West HAC on fresh AR(1) series at the reported MDE."""
    n_pre, n_post, phi = 24, 12, 0.4
    r = power.mde_its(n_pre=n_pre, n_post=n_post, sd=1.0, phi=phi, effect="slope", n_sims=4000, seed=2)
    X = its_design_matrix(n_pre, n_post)
    n = X.shape[0]
    rng = np.random.default_rng(99)
    R, hits = 800, 0
    lags = int(np.floor(4 * (n / 100) ** (2 / 9)))
    for _ in range(R):
        u = np.empty(n)
        u[0] = rng.standard_normal()
        for t in range(1, n):
            u[t] = phi * u[t - 1] + rng.standard_normal() * math.sqrt(1 - phi**2)
        y = X @ np.array([10, 0.1, 0, r.mde]) + u
        fit = sm.OLS(y, X).fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True}, use_t=True)
        hits += fit.pvalues[3] < 0.05
    mc = math.sqrt(0.8 * 0.2 / R) + r.mc_error
    assert hits / R == pytest.approx(0.8, abs=3 * mc)


def test_its_from_baseline_series_and_errors():
    rng = np.random.default_rng(1)
    e = np.zeros(60)
    for t in range(1, 60):
        e[t] = 0.5 * e[t - 1] + rng.standard_normal()
    r = power.mde_its(n_pre=36, n_post=12, baseline_series=5 + 0.1 * np.arange(60) + e, n_sims=500)
    assert r.parameters["phi"] == pytest.approx(0.5, abs=0.2)
    with pytest.raises(DesignError):
        power.mde_its(n_pre=10, n_post=5)
    with pytest.raises(DesignError):
        power.mde_its(n_pre=10, n_post=5, sd=1, phi=1.2)


SIGMA = np.array([[0.0150, 0.0060, 0.0030], [0.0060, 0.0104, 0.0040], [0.0030, 0.0040, 0.0060]])
TIMES = [-4, -3, -2]


@pytest.mark.parametrize("test", ["wald", "any"])
def test_pretrend_power_matches_monte_carlo(test):
    r = power.pretrend_power(vcov=SIGMA, event_times=TIMES, test=test, power=0.5)
    rng = np.random.default_rng(0)
    R = 40000
    delta = r.mde * (np.array(TIMES) + 1.0)
    draws = rng.multivariate_normal(delta, SIGMA, size=R)
    if test == "wald":
        w = np.einsum("ij,jk,ik->i", draws, np.linalg.inv(SIGMA), draws)
        rej = w > stats.chi2.ppf(0.95, 3)
    else:
        rej = (np.abs(draws) / np.sqrt(np.diag(SIGMA)) > stats.norm.ppf(0.975)).any(axis=1)
    assert rej.mean() == pytest.approx(0.5, abs=3 * math.sqrt(0.25 / R))
    assert r.power_at(r.mde) == pytest.approx(0.5, abs=1e-4)


def test_pretrend_independent_coefficients_closed_form():
    """With a diagonal Σ, P(no rejection) = Π_k [Φ(z − μ_k) − Φ(−z − μ_k)] exactly."""
    V = np.diag([0.01, 0.02, 0.04])
    r = power.pretrend_power(vcov=V, event_times=TIMES)
    mu = 0.2 * (np.array(TIMES) + 1) / np.sqrt(np.diag(V))
    z = stats.norm.ppf(0.975)
    exact = 1 - np.prod(stats.norm.cdf(z - mu) - stats.norm.cdf(-z - mu))
    assert r.power_at(0.2) == pytest.approx(exact, abs=1e-5)


def test_pretrend_from_event_study():
    rng = np.random.default_rng(3)
    N, T = 60, 10
    unit = np.repeat(np.arange(N), T)
    time = np.tile(np.arange(1, T + 1), N)
    first = np.where(unit < 30, 7, 0)
    y = rng.standard_normal(N * T) + 0.5 * ((first > 0) & (time >= first))
    import pandas as pd
    data = pd.DataFrame({"u": unit, "t": time, "y": y, "g": first})
    es = did.event_study(data, "y", "u", "t", "g")
    r = power.pretrend_power(es)
    assert r.n["pre_periods"] == int((es.table["period"] == "pre").sum())
    assert 0 < r.mde < 1


def test_sentences_for_the_board():
    r = power.mde_its(n_pre=24, n_post=12, sd=1.0, phi=0.3, n_sims=400)
    text = power.describe_power(r, outcome="admissions per 1,000")
    assert "24 periods before" in text and "80% chance" in text and "admissions per 1,000" in text
    p = power.pretrend_power(vcov=SIGMA, event_times=TIMES)
    assert "per period" in power.describe_power(p)
