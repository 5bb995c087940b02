"""Synthetic DiD (Arkhangelsky et al. 2021) against published Proposition 99 numbers and seeded simulations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.designs import sdid, synth
from toolkit.designs.result import DesignResult
from toolkit.errors import DataError, DesignError

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def smoking() -> pd.DataFrame:
    # ADH (2010) California Proposition 99 panel (see data/README.md); the same data as synthdid's california_prop99.
    return pd.read_csv(DATA / "california_smoking.csv")


@pytest.fixture(scope="module")
def fits(smoking):
    return {m: sdid.fit(smoking, "cigsale", "state", "year", "California", 1989, method=m)
            for m in ("sdid", "sc", "did")}


def test_prop99_point_estimates_match_published(fits):
    # Arkhangelsky et al. (2021) Table 1 (-15.6, -19.6, -27.3), to five decimals as the R synthdid
    # package 0.0.9 prints them in its README/vignette: -15.60383, -19.61966, -27.34911.
    assert fits["sdid"].estimate == pytest.approx(-15.60383, abs=1e-4)
    assert fits["sc"].estimate == pytest.approx(-19.61966, abs=1e-4)
    assert fits["did"].estimate == pytest.approx(-27.34911, abs=1e-4)
    for r in fits.values():
        assert isinstance(r, DesignResult) and r.n_obs == 39 * 31
        assert r.unit_weights["weight"].sum() == pytest.approx(1.0) and (r.unit_weights["weight"] >= 0).all()


def test_prop99_placebo_se_within_monte_carlo_error_of_published(fits):
    """Table 1 placebo SEs 8.4 / 9.9 / 17.7 come from 200 random placebo draws (R, seed 12345).

    With one treated unit there are only 38 placebo assignments; we use all of them (the
    exact limit of the placebo SE).  The published figure must lie in the central 95% of
    the sampling distribution of a 200-draw placebo SE from those same 38 estimates.
    """
    rng = np.random.default_rng(0)
    for m, published in (("sdid", 8.4), ("sc", 9.9), ("did", 17.7)):
        pl = fits[m].placebo_estimates
        assert len(pl) == 38
        assert fits[m].se == pytest.approx(np.sqrt(np.mean((pl - pl.mean()) ** 2)), rel=1e-12)
        draws = rng.choice(pl, size=(4000, 200))
        ses = np.sqrt(((draws - draws.mean(axis=1, keepdims=True)) ** 2).mean(axis=1))
        lo, hi = np.quantile(ses, [0.025, 0.975])
        assert lo <= published <= hi, (m, lo, hi)
    r = fits["sdid"]
    assert r.ci_low == pytest.approx(r.estimate - 1.959964 * r.se, abs=1e-5)


def test_two_treated_units_reference(smoking):
    # Reference implementation: azcausal (MIT), test_sdid.py, California and Wyoming both treated
    # from 1989: ATT -4.1538623012790161.
    r = synth.fit(smoking, "cigsale", "state", "year", ["California", "Wyoming"], 1989, method="sdid", se="none")
    assert r.estimate == pytest.approx(-4.1538623, abs=1e-4)
    assert r.extra["n_treated"] == 2 and r.extra["n_control"] == 37


def test_time_weights_and_trajectory(fits):
    r = fits["sdid"]
    lam = r.time_weights["weight"]
    assert lam.sum() == pytest.approx(1.0) and (lam >= 0).all()
    traj = r.trajectory
    post = traj[traj["post"]]
    pre = traj[~traj["post"]].set_index("time")
    # τ̂ = mean post gap − λ-weighted pre gap; the trajectory is shifted so the λ-weighted pre gap is 0
    assert post["gap"].mean() == pytest.approx(r.estimate, abs=1e-9)
    assert (pre["gap"].to_numpy() @ lam.to_numpy()) == pytest.approx(0.0, abs=1e-9)


def test_frank_wolfe_reaches_the_optimum():
    """Without sparsification, Frank–Wolfe's unit weights come within 0.1% of the exact QP optimum (it stops on the paper's decrease criterion)."""
    rng = np.random.default_rng(4)
    Y = rng.normal(size=(20, 12)).cumsum(axis=1) + rng.normal(size=(20, 1))
    est = sdid.estimate(Y, 17, 9, sparsify=False)
    X = Y[:17, :9].T
    tgt = Y[17:, :9].mean(axis=0)
    Xc, tc = X - X.mean(axis=0), tgt - tgt.mean()
    eta = 9 * est["zeta_omega"] ** 2
    exact = synth.simplex_weights(np.r_[tc, np.zeros(17)], np.vstack([Xc, np.sqrt(eta) * np.eye(17)]))
    obj = lambda w: np.sum((Xc @ w - tc) ** 2) + eta * w @ w  # noqa: E731
    assert obj(exact) <= obj(est["omega"]) <= obj(exact) * (1 + 1e-3)


def _factor_panel(rng, *, treated_load, N0=40, N1=5, T0=20, T1=8, tau=2.0, noise=0.1):
    T = T0 + T1
    load = np.r_[rng.uniform(0, 1, N0), treated_load]
    Y = 5 + np.outer(load, np.linspace(0, 3, T)) + rng.normal(0, noise, (N0 + N1, T))
    Y[N0:, T0:] += tau
    units = [f"c{i}" for i in range(N0)] + [f"t{i}" for i in range(N1)]
    return pd.DataFrame({"u": np.repeat(units, T), "t": np.tile(np.arange(T), N0 + N1), "y": Y.ravel()}), units[N0:]


def test_simulation_known_effect_differential_trend():
    """Treated units load 0.9 on a trending factor (controls U(0, 1)): SDID removes most of DiD's bias."""
    df, treated = _factor_panel(np.random.default_rng(2021), treated_load=np.full(5, 0.9))
    r = sdid.fit(df, "y", "u", "t", treated, 20, se="none")
    d = sdid.fit(df, "y", "u", "t", treated, 20, method="did", se="none")
    assert abs(d.estimate - 2.0) > 0.5  # DiD: 0.4 extra loading × 3 trend units ≈ +0.6
    assert abs(r.estimate - 2.0) < 0.1 and abs(r.estimate - 2.0) < 0.2 * abs(d.estimate - 2.0)


def test_simulation_known_effect_exchangeable():
    """Treated units drawn like the controls: the placebo interval covers the true effect."""
    rng = np.random.default_rng(11)
    df, treated = _factor_panel(rng, treated_load=rng.uniform(0, 1, 5), noise=0.3)
    r = sdid.fit(df, "y", "u", "t", treated, 20, replications=60, seed=3)
    assert abs(r.estimate - 2.0) < 3 * r.se and r.ci_low < 2.0 < r.ci_high
    assert len(r.placebo_estimates) == 60


def test_errors_and_options(smoking):
    with pytest.raises(DataError, match="not in the panel"):
        sdid.fit(smoking, "cigsale", "state", "year", "Atlantis", 1989)
    with pytest.raises(DesignError, match="pre"):
        sdid.fit(smoking, "cigsale", "state", "year", "California", 1971)
    with pytest.raises(DesignError, match="method"):
        synth.fit(smoking, "cigsale", "state", "year", "California", 1989, method="magic")
    with pytest.raises(DesignError, match="predictors"):
        synth.fit(smoking, "cigsale", "state", "year", "California", 1989, method="sdid", predictors=["cigsale"])
    gappy = smoking[~((smoking.state == "Utah") & (smoking.year == 1975))]
    r = sdid.fit(gappy, "cigsale", "state", "year", "California", 1989, method="did", se="none")
    assert any("1 comparison unit(s) excluded" in w for w in r.warnings)
    table = sdid.compare(smoking[smoking.state.isin(["California", "Utah", "Nevada", "Montana", "Colorado",
                                                      "Connecticut", "Idaho"])], "cigsale", "state", "year",
                         "California", 1989, se="none")
    assert list(table["method"]) == ["sdid", "sc", "did"]
