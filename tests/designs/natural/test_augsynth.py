"""Ridge-augmented synthetic control (Ben-Michael, Feller & Rothstein 2021): identities and seeded simulations."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.designs import augsynth, synth
from toolkit.errors import DesignError

DATA = Path(__file__).parent / "data"


def _outside_hull(rng, J=30, T0=30, T1=6, effect=-2.0):
    """Linear factor model; the treated unit loads beyond every donor, so SC cannot fit it."""
    T = T0 + T1
    f = np.column_stack([np.linspace(0, 4, T), np.sin(np.arange(T) / 3)])
    load = np.column_stack([rng.uniform(0, 1, J), rng.uniform(-1, 1, J)])
    Y0 = 10 + load @ f.T + rng.normal(0, 0.1, (J, T))
    y1 = 10 + np.array([1.4, 0.3]) @ f.T + rng.normal(0, 0.1, T)
    y1[T0:] += effect
    units = [f"d{j}" for j in range(J)] + ["T"]
    Y = np.vstack([Y0, y1])
    return pd.DataFrame({"u": np.repeat(units, T), "t": np.tile(np.arange(T), J + 1), "y": Y.ravel()})


def test_infinite_penalty_is_the_synthetic_control():
    d = pd.read_csv(DATA / "california_smoking.csv")
    sc = synth.fit(d, "cigsale", "state", "year", "California", 1989, placebo=False, leave_one_out=False)
    aug = synth.fit(d, "cigsale", "state", "year", "California", 1989, method="augmented", lambda_=1e12,
                    jackknife=False)
    assert aug.estimate == pytest.approx(sc.estimate, abs=1e-6)
    w = aug.weights.set_index("unit")
    assert w["weight"].to_numpy() == pytest.approx(w["sc_weight"].to_numpy(), abs=1e-8)


def test_augmented_weights_identity():
    """γ = ŵ + X̃₀(X̃₀'X̃₀ + λI)⁻¹(X₁ − X₀'ŵ) sums to one and, as λ → 0 with T0 < J, fits the pre-period exactly."""
    rng = np.random.default_rng(0)
    X0, X1 = rng.normal(size=(25, 8)), rng.normal(size=8) * 3
    g, w = augsynth.augmented_weights(X1, X0, 1e-10)
    assert g.sum() == pytest.approx(1.0, abs=1e-10) and w.sum() == pytest.approx(1.0)
    assert X0.T @ g == pytest.approx(X1, abs=1e-6)


def test_simulation_outside_the_convex_hull():
    df = _outside_hull(np.random.default_rng(42))
    sc = synth.fit(df, "y", "u", "t", "T", 30, placebo=False, leave_one_out=False)
    aug = augsynth.fit(df, "y", "u", "t", "T", 30)
    assert abs(sc.estimate + 2.0) > 0.5  # SC biased: the treated unit trends faster than any donor
    assert abs(aug.estimate + 2.0) < 0.3 and abs(aug.estimate + 2.0) < 0.3 * abs(sc.estimate + 2.0)
    assert aug.extra["pre_rmspe"] < aug.extra["sc_pre_rmspe"]
    assert any("negative weight" in w for w in aug.warnings)
    jk = aug.jackknife
    assert len(jk) == 30 and aug.se == pytest.approx(np.sqrt(29 / 30 * np.sum((jk - jk.mean()) ** 2)))
    assert aug.cv is not None and aug.extra["lambda"] in set(aug.cv["lambda"])


def test_jackknife_interval_covers_in_a_well_specified_panel():
    """Treated unit inside the donors' range, noise 0.3: the jackknife interval covers the truth (-2)."""
    rng = np.random.default_rng(8)
    J, T0, T1 = 30, 25, 5
    T = T0 + T1
    f = np.column_stack([np.linspace(0, 2, T), np.cos(np.arange(T) / 2)])
    load = rng.uniform(0, 1, (J + 1, 2))
    Y = 5 + load @ f.T + rng.normal(0, 0.3, (J + 1, T))
    Y[J, T0:] -= 2.0
    units = [f"d{j}" for j in range(J)] + ["T"]
    df = pd.DataFrame({"u": np.repeat(units, T), "t": np.tile(np.arange(T), J + 1), "y": Y.ravel()})
    r = augsynth.fit(df, "y", "u", "t", "T", T0)
    assert r.ci_low < -2.0 < r.ci_high and abs(r.estimate + 2.0) < 3 * r.se


def test_errors():
    df = _outside_hull(np.random.default_rng(1), J=4, T0=10)
    with pytest.raises(DesignError, match="one treated unit"):
        augsynth.fit(df, "y", "u", "t", ["T", "d0"], 10)
    with pytest.raises(DesignError, match="at least 4 pre"):
        augsynth.fit(df, "y", "u", "t", "T", 2)
    with pytest.raises(DesignError, match="positive"):
        augsynth.fit(df, "y", "u", "t", "T", 10, lambda_=0)


def test_conformal_inference_known_effect():
    """Conformal interval (Chernozhukov, Wüthrich & Zhu 2021) covers the true effect and excludes 0 when it is large."""
    rng = np.random.default_rng(8)
    J, T0, T1 = 30, 40, 8
    T = T0 + T1
    f = np.column_stack([np.linspace(0, 2, T), np.cos(np.arange(T) / 2)])
    load = rng.uniform(0, 1, (J + 1, 2))
    Y = 5 + load @ f.T + rng.normal(0, 0.3, (J + 1, T))
    Y[J, T0:] -= 2.0
    units = [f"d{j}" for j in range(J)] + ["T"]
    df = pd.DataFrame({"u": np.repeat(units, T), "t": np.tile(np.arange(T), J + 1), "y": Y.ravel()})
    r = augsynth.fit(df, "y", "u", "t", "T", T0, inference="conformal", jackknife=False)
    assert r.ci_low < -2.0 < r.ci_high and r.ci_high < 0
    assert r.p_value <= 2 / T  # the observed block is the most extreme (or nearly) of the T cyclic shifts
    assert np.isnan(r.se) and "conformal" in r.method
    with pytest.raises(DesignError, match="inference"):
        augsynth.fit(df, "y", "u", "t", "T", T0, inference="bootstrap")
