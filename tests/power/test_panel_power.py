"""Panel power (DiD, staggered, gap) against seeded simulations with known variance structure.

Truth: y_it = α_i + λ_t + u_it + ε_it, u AR(1) with φ = 0.6 and variance 1, ε white noise with
variance 0.5, α_i ~ N(0, 4).  For a contrast a with Σa_t = 0 the exact variance is a'Σa with
Σ_st = φ^|s−t| + 0.5·1{s = t} (the unit effect cancels).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from toolkit import power
from toolkit.designs import did
from toolkit.errors import DataError, DesignError
from toolkit.power.panel import did_contrast, staggered_contrasts

PHI, S_AR, S_NOISE = 0.6, 1.0, 0.5


def true_cov(L: int) -> np.ndarray:
    k = np.abs(np.subtract.outer(np.arange(L), np.arange(L)))
    return S_AR * PHI**k + S_NOISE * np.eye(L)


def simulate(rng, N: int, T: int) -> np.ndarray:
    u = np.empty((N, T))
    u[:, 0] = rng.standard_normal(N) * math.sqrt(S_AR)
    for t in range(1, T):
        u[:, t] = PHI * u[:, t - 1] + rng.standard_normal(N) * math.sqrt(S_AR * (1 - PHI**2))
    return 2 * rng.standard_normal((N, 1)) + u + rng.standard_normal((N, T)) * math.sqrt(S_NOISE) + 0.3 * np.arange(T)


def long(Y: np.ndarray, **cols) -> pd.DataFrame:
    N, T = Y.shape
    return pd.DataFrame({"unit": np.repeat(np.arange(N), T), "time": np.tile(np.arange(1, T + 1), N),
                         "y": Y.ravel(), **{k: np.repeat(v, T) for k, v in cols.items()}})


@pytest.fixture(scope="module")
def baseline():
    return long(simulate(np.random.default_rng(20260), 3000, 12))


def test_did_se_from_baseline_matches_truth(baseline):
    a = did_contrast(4, 4)
    true_se = math.sqrt(a @ true_cov(8) @ a * (1 / 20 + 1 / 25))
    for serial in ("empirical", "ar1"):
        r = power.mde_did(baseline, unit="unit", time="time", outcome="y", n_treated=20, n_control=25,
                          pre_periods=4, post_periods=4, serial=serial)
        assert r.se == pytest.approx(true_se, rel=0.04), serial  # 3000 baseline units: sampling error ~2%
    # the AR(1)-plus-noise fit recovers the generating parameters
    assert r.parameters["ar1_phi"] == pytest.approx(PHI, abs=0.05)
    assert r.parameters["ar1_noise"] == pytest.approx(S_NOISE, abs=0.08)


def test_did_bpw_formula_and_extrapolation(baseline):
    """BPW eq. (8) bracket from the reported σ², ψ's equals the variance used; 'ar1' extrapolates past the baseline."""
    m, r, nt, nc = 5, 3, 12, 18
    res = power.mde_did(baseline, unit="unit", time="time", outcome="y", n_treated=nt, n_control=nc,
                        pre_periods=m, post_periods=r, serial="empirical")
    p = res.parameters
    bracket = (m + r) / (m * r) * p["sigma2"] + (m - 1) / m * p["psi_B"] + (r - 1) / r * p["psi_A"] - 2 * p["psi_X"]
    J, P = nt + nc, nt / (nt + nc)
    assert res.se**2 == pytest.approx(bracket / (P * (1 - P) * J), rel=1e-10)
    long_design = power.mde_did(baseline, unit="unit", time="time", outcome="y", n_treated=nt, n_control=nc,
                                pre_periods=12, post_periods=12)  # 24 > 12 baseline periods: AR(1) model
    a = did_contrast(12, 12)
    assert long_design.parameters["serial"] == "ar1"
    assert long_design.se == pytest.approx(math.sqrt(a @ true_cov(24) @ a * (1 / nt + 1 / nc)), rel=0.05)
    with pytest.raises(DesignError, match="serial='ar1'"):
        power.mde_did(baseline, unit="unit", time="time", outcome="y", n_treated=nt, n_control=nc,
                      pre_periods=12, post_periods=12, serial="empirical")


def test_did_power_matches_simulation():
    """Closed-form power at the MDE = rejection rate of the collapsed DiD t-test on panels from the truth."""
    nt = nc = 15
    a = did_contrast(4, 4)
    se = math.sqrt(a @ true_cov(8) @ a * (1 / nt + 1 / nc))
    mde = power.mde_from_se(se, level=0.95, power=0.8, df=nt + nc - 2)
    rng = np.random.default_rng(7)
    R = 4000
    d = np.stack([simulate(rng, nt + nc, 8) @ a for _ in range(R)])  # R × units contrasts
    d[:, :nt] += mde
    res = stats.ttest_ind(d[:, :nt], d[:, nt:], axis=1)
    rate = float(np.mean(res.pvalue < 0.05))
    assert rate == pytest.approx(0.8, abs=3 * math.sqrt(0.16 / R))
    # and the size at zero effect
    d[:, :nt] -= mde
    size = float(np.mean(stats.ttest_ind(d[:, :nt], d[:, nt:], axis=1).pvalue < 0.05))
    assert size == pytest.approx(0.05, abs=3 * math.sqrt(0.0475 / R))


def test_staggered_weights_reproduce_callaway_santanna():
    """The contrast weights give the toolkit's C&S simple ATT exactly (never-treated comparison)."""
    rng = np.random.default_rng(3)
    L, cohorts, nc = 8, {3: 4, 5: 6}, 7
    sizes = [n for n, _ in staggered_contrasts(cohorts, nc, L)]
    Y = simulate(rng, sum(sizes), L)
    first = np.r_[np.full(4, 4), np.full(6, 6), np.zeros(nc)]  # period labels 1..L: index g → label g + 1
    Y[:4, 3:] += 1.0
    Y[4:10, 5:] += 2.0
    res = did.staggered(long(Y, g=first), "y", "unit", "time", "g")
    contrasts = staggered_contrasts(cohorts, nc, L)
    rows = np.split(np.arange(Y.shape[0]), np.cumsum(sizes)[:-1])
    theta = sum(Y[idx].sum(axis=0) @ b for (_, b), idx in zip(contrasts, rows))
    assert theta == pytest.approx(res.estimate, abs=1e-10)


def test_staggered_se_matches_simulation(baseline):
    L, cohorts, nc = 10, {4: 10, 7: 10}, 20
    r = power.mde_staggered(baseline, unit="unit", time="time", outcome="y", cohorts=cohorts, n_control=nc,
                            periods=L)
    contrasts = staggered_contrasts(cohorts, nc, L)
    rng = np.random.default_rng(11)
    R = 3000
    sizes = [n for n, _ in contrasts]
    B = np.vstack([np.tile(b, (n, 1)) for n, b in contrasts])  # units × L
    est = np.array([np.sum(simulate(rng, sum(sizes), L) * B) for _ in range(R)])
    # SD of a normal sample: relative MC error 1/sqrt(2R) ≈ 1.3%; baseline estimation error ~3%
    assert est.std(ddof=1) == pytest.approx(r.se, rel=0.06)
    assert r.power_at(r.mde) == pytest.approx(0.8, abs=1e-9)


def test_gap_se_matches_simulation():
    rng = np.random.default_rng(5)
    Yf, Yr = simulate(rng, 1500, 10), 0.5 * simulate(rng, 1500, 10)  # rest has a quarter of the variance
    base = pd.concat([long(Yf, grp=np.ones(1500)), long(Yr, grp=np.zeros(1500)).assign(unit=lambda d: d.unit + 1500)])
    r = power.mde_gap(base, unit="unit", time="time", outcome="y", group="grp", focus=1, n_treated=(10, 30),
                      n_control=(12, 40), pre_periods=3, post_periods=3)
    a = did_contrast(3, 3)
    S = true_cov(6)
    true_var = a @ S @ a * ((1 / 10 + 1 / 12) + 0.25 * (1 / 30 + 1 / 40))
    assert r.se == pytest.approx(math.sqrt(true_var), rel=0.05)
    assert r.df == 10 + 30 + 12 + 40 - 4


def test_cluster_assignment_carries_the_icc():
    """Practices within PCNs, treatment by PCN: the variance is that of PCN means (ICC from a PCN effect)."""
    rng = np.random.default_rng(9)
    G, n_per, T = 400, 5, 8
    pcn = np.repeat(np.arange(G), n_per)
    # PCN-level AR(1) shock shared by its practices, plus practice-level noise
    shared = simulate(rng, G, T)[pcn]
    Y = shared + rng.standard_normal((G * n_per, T)) * 2.0
    base = long(Y, pcn=pcn)
    r = power.mde_did(base, unit="unit", time="time", outcome="y", cluster="pcn", n_treated=8, n_control=8,
                      pre_periods=4, post_periods=4)
    a = did_contrast(4, 4)
    unit_var = a @ (true_cov(8) + 4.0 / n_per * np.eye(8)) @ a  # PCN mean: practice noise averaged over 5
    assert r.se == pytest.approx(math.sqrt(unit_var * (1 / 8 + 1 / 8)), rel=0.08)
    # period-level ICC: shared variance (4 + 1 + 0.5) over total (+4)
    assert r.parameters["icc"] == pytest.approx(5.5 / 9.5, abs=0.05)
    assert any("16 units of assignment" in w for w in r.warnings) is False
    small = power.mde_did(base, unit="unit", time="time", outcome="y", cluster="pcn", n_treated=4, n_control=4,
                          pre_periods=4, post_periods=4)
    assert any("Only 8 units of assignment" in w for w in small.warnings)


def test_result_is_read_only_and_tidy(baseline):
    r = power.mde_did(baseline, unit="unit", time="time", outcome="y", n_treated=10, n_control=10,
                      pre_periods=3, post_periods=3, level=0.9, power=0.9)
    with pytest.raises(Exception):
        r.mde = 0  # type: ignore[misc]
    with pytest.raises(TypeError):
        r.parameters["sigma2"] = 0  # type: ignore[index]
    assert r.power_at(r.mde) == pytest.approx(0.9, abs=1e-9)
    row = r.tidy().iloc[0]
    assert row["n_treated"] == 10 and row["level"] == 0.9
    assert list(r.curve.columns) == ["effect", "power"] and r.curve["power"].is_monotonic_increasing


def test_bad_inputs(baseline):
    kw = dict(unit="unit", time="time", outcome="y", n_treated=5, n_control=5, pre_periods=2, post_periods=2)
    with pytest.raises(DataError, match="more than once"):
        power.mde_did(pd.concat([baseline, baseline.head(3)]), **kw)
    with pytest.raises(DataError, match="no column"):
        power.mde_did(baseline.drop(columns="y"), **kw)
    with pytest.raises(DesignError, match="whole number"):
        power.mde_did(baseline, **{**kw, "n_treated": 0})
    with pytest.raises(DesignError, match="outside"):
        power.mde_staggered(baseline, unit="unit", time="time", outcome="y", cohorts={9: 3}, n_control=3, periods=9)
    gappy = baseline[~((baseline.unit == 0) & (baseline.time == 3))]
    r = power.mde_did(gappy, **kw)
    assert any("1 of 3000 baseline units miss" in w for w in r.warnings)


def test_mckenzie_equicorrelated_formula_and_bloom_multiplier():
    """McKenzie (2012, J. Dev. Econ. 99:210, 'Beyond baseline and follow-up'): with equicorrelated errors
    (correlation ρ, variance σ²) the DiD variance per unit contrast is σ²(1 − ρ)(m + r)/(mr).
    Bloom (1995, Eval. Rev. 19:547): at 5% two-sided and 80% power the MDE is 2.80 standard errors."""
    rng = np.random.default_rng(12)
    N, T, rho, s2 = 4000, 10, 0.4, 2.0
    Y = math.sqrt(rho * s2) * rng.standard_normal((N, 1)) + math.sqrt((1 - rho) * s2) * rng.standard_normal((N, T))
    base = long(Y)
    m, r, nt, nc = 3, 5, 40, 60
    res = power.mde_did(base, unit="unit", time="time", outcome="y", n_treated=nt, n_control=nc, pre_periods=m,
                        post_periods=r)
    mckenzie = s2 * (1 - rho) * (m + r) / (m * r) * (1 / nt + 1 / nc)
    assert res.se**2 == pytest.approx(mckenzie, rel=0.04)
    big = power.mde_from_se(1.0, level=0.95, power=0.8, df=None)
    # Bloom ignores the far tail (power of rejecting with the wrong sign, ~1e-6 here)
    assert big == pytest.approx(stats.norm.ppf(0.975) + stats.norm.ppf(0.8), abs=1e-5)
    assert round(big, 2) == 2.80
    assert res.mde > big * res.se  # the t reference (df = 98) needs a slightly larger effect
