"""toolkit.power against seeded simulation of the design's own estimator (issue 16).

Truth: practices within PCNs, the PCN the unit of assignment (as benchmarks/bench_power.py, which runs
the full grid ρ ∈ {0, 0.3, 0.7} × G ∈ {8, 20, 40} with 2,000 replications and prints the figures):

    y_ict = α_c + β_i + λ_t + u_ct + e_ict,  u_c AR(1) (coefficient ρ, variance 1),
    α_c, β_i ~ N(0, 1), e ~ N(0, 2), 5 practices per PCN;  6 pre + 6 post periods, half the PCNs treated.

The estimator is ``did.twfe`` at practice level with CRV1 SEs by PCN (closed form here, checked
against ``did.twfe`` itself to 1e-10).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from toolkit import power
from toolkit.designs import did
from toolkit.power._baseline import baseline_variance
from toolkit.power.panel import _finish, crv1_test, did_contrast

N_PER, M, R = 5, 6, 6


def panel(rng, G, T, rho):
    pcn = np.repeat(np.arange(G), N_PER)
    u = np.empty((G, T))
    u[:, 0] = rng.standard_normal(G)
    for t in range(1, T):
        u[:, t] = rho * u[:, t - 1] + rng.standard_normal(G) * math.sqrt(1 - rho**2)
    Y = rng.standard_normal((G, 1))[pcn] + rng.standard_normal((G * N_PER, 1)) + u[pcn]
    return Y + math.sqrt(2.0) * rng.standard_normal((G * N_PER, T)) + 0.2 * np.arange(T), pcn


def true_unit_var(rho, L=M + R):
    k = np.abs(np.subtract.outer(np.arange(L), np.arange(L)))
    a = did_contrast(M, R)
    return float(a @ (rho**k + 2.0 / N_PER * np.eye(L)) @ a)


def long(Y, pcn):
    n, T = Y.shape
    return pd.DataFrame({"unit": np.repeat(np.arange(n), T), "time": np.tile(np.arange(T), n), "y": Y.ravel(),
                         "pcn": np.repeat(pcn, T)})


def twfe_crv1(Y, pcn, treated):
    """β̂ and CRV1 SE of did.twfe(y ~ d | unit + time, cluster=pcn) for a balanced common-timing panel."""
    n, T = Y.shape
    d = Y @ did_contrast(M, R)
    tr = treated[pcn]
    e = np.where(tr, d - d[tr].mean(), d - d[~tr].mean())
    P = tr.mean()
    S = np.bincount(pcn, weights=np.where(tr, 1 - P, -P) * e) * (M * R / T)
    bread = (M * R / T) * ((1 - P) ** 2 * tr.sum() + P**2 * (~tr).sum())
    G, N = pcn.max() + 1, n * T
    kappa = G / (G - 1) * (N - 1) / (N - T - 1)
    return d[tr].mean() - d[~tr].mean(), math.sqrt(kappa * (S**2).sum() / bread**2)


def test_closed_form_crv1_is_did_twfe():
    rng = np.random.default_rng(31)
    for G in (8, 13):
        Y, pcn = panel(rng, G, M + R, 0.3)
        treated = np.arange(G) < G // 2
        df = long(Y, pcn).assign(d=lambda x: (treated[x.pcn] & (x.time >= M)).astype(int))
        ref = did.twfe(df, "y", "unit", "time", "d", cluster="pcn")
        b, se = twfe_crv1(Y, pcn, treated)
        assert b == pytest.approx(ref.estimate, abs=1e-10) and se == pytest.approx(ref.se, abs=1e-10)


@pytest.mark.parametrize("G, nt, rho, seed", [(8, 4, 0.3, 101), (8, 3, 0.7, 102), (20, 10, 0.0, 103)])
def test_power_matches_simulated_twfe_crv1(G, nt, rho, seed):
    """At the MDE from the true covariance, the rejection rate of did.twfe's CRV1 test is the claimed 0.80.

    Tolerance 3 Monte-Carlo SEs: 2,000 replications, SE √(0.8·0.2/2000) = 0.0089.  Measured (seeds as
    here): test="crv1" 0.799 / 0.789 / 0.794; at the default test="t" MDE (a correctly sized t-test,
    J − 2 df) the same CRV1 test rejects 0.848 / 0.856 / 0.808 — 5–6 MC SEs above the 0.80 claimed
    with 8 PCNs, which is why the option exists.  Simulated sizes 0.076 / 0.077 / 0.046 against the
    formula's 0.069 / 0.086 / 0.056 (tolerance 3 MC SEs, 0.016).
    """
    reps = 2000
    se = math.sqrt(true_unit_var(rho) * (1 / nt + 1 / (G - nt)))
    res = _finish(se**2, design="did", method="", level=0.95, power=0.8, df=G - 2, n={}, parameters={},
                  warnings=[], crv1=crv1_test(nt, G - nt, N_PER, M + R))
    assert res.power_at(res.mde) == pytest.approx(0.8, abs=1e-9) and res.df == G - 1
    rng = np.random.default_rng(seed)
    treated = np.arange(G) < nt
    crit = stats.t.ppf(0.975, G - 1)
    hits = size = 0
    for _ in range(reps):
        Y, pcn = panel(rng, G, M + R, rho)
        b, s = twfe_crv1(Y, pcn, treated)
        size += abs(b) > crit * s
        hits += abs(b + res.mde) > crit * s  # the effect shifts β̂ only: CRV1 residuals do not depend on it
    mc = math.sqrt(0.8 * 0.2 / reps)
    assert hits / reps == pytest.approx(0.8, abs=3 * mc)
    assert size / reps == pytest.approx(res.power_at(0.0), abs=3 * math.sqrt(0.06 * 0.94 / reps))


def test_crv1_option_through_mde_did():
    rng = np.random.default_rng(7)
    Y, pcn = panel(rng, 60, 12, 0.3)
    kw = dict(unit="unit", time="time", outcome="y", cluster="pcn", n_treated=4, n_control=4, pre_periods=M,
              post_periods=R)
    t, c = power.mde_did(long(Y, pcn), **kw), power.mde_did(long(Y, pcn), **kw, test="crv1")
    assert c.se == t.se and c.df == 7 and t.df == 6
    assert c.mde < t.mde  # CRV1 over-rejects with 8 clusters
    assert c.power_at(0.0) == pytest.approx(0.068, abs=0.003)  # its size: 6.8%, not 5%
    assert "CRV1" in c.method


def extrapolation_ratios(rho, seeds=40, G=40):
    """Estimated / true DiD contrast variance from 8-period baselines of G PCNs, design 6 + 6 (serial='ar1')."""
    a = did_contrast(M, R)
    truth = true_unit_var(rho)
    out = []
    for s in range(seeds):
        Y, pcn = panel(np.random.default_rng(1000 * s + G), G, 8, rho)
        means = pd.DataFrame(Y).groupby(pcn).mean().to_numpy()  # what cluster="pcn" does first
        bv = baseline_variance(long(means, np.arange(G)), unit="unit", time="time", outcome="y")
        out.append(bv.contrast_variance(a, "ar1") / truth)
    return np.array(out)


def test_short_baseline_extrapolation_bias_is_as_measured():
    """serial='ar1' (design 12 periods, baseline 8, 40 PCNs, seeds 1000·s + 40, s < 40): the mean ratio of
    estimated to true DiD variance is 1.196 / 1.106 / 1.021 for ρ = 0 / 0.3 / 0.7 (SD across baselines ≈ 0.3,
    MC SE of the mean ≈ 0.05): the AR(1) extrapolation overstates the variance when the correlation dies
    out fast (φ̂ ≥ 0, so noise can tilt the fitted curve up but not down).  Pinned here so a fix shows.

    Not fixed in this round: splicing the empirical variogram at the observed lags to the fit's increase
    beyond removed this bias (1.01 / 1.00 / 1.00) but, on the charter's 18-period baselines extrapolated
    to 36, gave MDE ratios 0.34–1.67 across seeds 1–11 (before: 0.97–1.53), so it was not kept.
    """
    ratios = extrapolation_ratios(0.0, seeds=20)  # the first 20 seeds, to stay fast: mean 1.251
    assert 1.10 < np.mean(ratios) < 1.40
