"""Seeded simulated panels with known true effects, shared by the DiD tests.

Only numpy's ``default_rng`` (PCG64) is used, whose streams numpy keeps stable,
so the reference fixtures produced from these panels by
``data/make_pyfixest_refs.py`` stay valid; each fixture also stores a checksum
of the panel it was computed on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def panel(
    n_units: int = 200,
    n_periods: int = 8,
    *,
    seed: int = 1,
    cohorts: tuple = (0, 4, 6),
    effect: float = 2.0,
    cohort_slope: float = 0.0,
    dynamic_slope: float = 0.0,
    quintile_effects: tuple | None = None,
    noise: float = 1.0,
    drop_frac: float = 0.0,
) -> pd.DataFrame:
    """Long panel ``unit, time (1..T), first_treated, d, y, w, x, state, q, ucl``.

    The true effect for a unit of cohort g (index k in the treated cohorts) at
    period t >= g is ``effect + cohort_slope * k + dynamic_slope * (t - g)``,
    times ``quintile_effects[q-1] / effect`` when quintile effects are given.
    Outcomes: unit effect + period effect + quintile-specific trend + effect + noise.
    ``true_effect`` holds each row's effect (0 when untreated).
    """
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(1, n_units + 1), n_periods)
    time = np.tile(np.arange(1, n_periods + 1), n_units)
    g_u = rng.choice(np.asarray(cohorts), n_units)
    q_u = rng.integers(1, 6, n_units)
    a_u = rng.normal(0.0, 1.0, n_units)
    w_u = rng.uniform(1.0, 5.0, n_units)
    lam = rng.normal(0.0, 0.5, n_periods)
    g = g_u[unit - 1]
    q = q_u[unit - 1]
    treated_cohorts = sorted(c for c in cohorts if c > 0)
    k = np.array([treated_cohorts.index(c) if c > 0 else 0 for c in g])
    post = (g > 0) & (time >= g)
    eff = effect + cohort_slope * k + dynamic_slope * (time - g)
    if quintile_effects is not None:
        eff = np.asarray(quintile_effects, dtype=float)[q - 1] * eff / effect
    true = np.where(post, eff, 0.0)
    x = rng.normal(size=unit.size)
    y = a_u[unit - 1] + lam[time - 1] + 0.2 * time * (q == 1) + 0.3 * x + true + noise * rng.normal(size=unit.size)
    df = pd.DataFrame({
        "unit": unit, "time": time, "first_treated": g, "d": post.astype(np.int64), "y": y,
        "w": w_u[unit - 1] * rng.uniform(0.9, 1.1, unit.size), "x": x, "state": (unit - 1) // 10,
        "q": q, "true_effect": true,
    })
    df["ucl"] = df["unit"]
    if drop_frac > 0:
        keep = rng.random(len(df)) >= drop_frac
        df = df.loc[keep].reset_index(drop=True)
    return df


def checksum(df: pd.DataFrame) -> float:
    """A number that changes if the generated panel changes."""
    return float(np.round(df["y"].sum() + 1e-3 * df["w"].sum() + 1e-6 * len(df), 8))
