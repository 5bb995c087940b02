"""Seeded simulated panels for the DiD-stage tests (numpy ``default_rng``)."""

from __future__ import annotations

import numpy as np
import pandas as pd


def panel(n_units: int = 60, n_periods: int = 24, *, seed: int = 0, cohorts=(0, 13, 17),
          effect: float = 2.0, anticipation: int = 0, noise: float = 1.0, start: str = "2021-01") -> pd.DataFrame:
    """Monthly panel with columns under role names: unit, time (YYYY-MM), outcome, first_treated, treatment, quintile, weight.

    Parallel trends by construction; the effect is ``effect`` from ``anticipation``
    periods before the start onward (0 = no anticipation).  ``first_treated`` is a
    YYYY-MM string, blank for never-treated units.
    """
    rng = np.random.default_rng(seed)
    g_u = np.asarray(cohorts)[np.arange(n_units) % len(cohorts)]
    unit = np.repeat(np.arange(n_units), n_periods)
    t = np.tile(np.arange(1, n_periods + 1), n_units)
    g = g_u[unit]
    alpha = rng.normal(10, 2, n_units)[unit]
    lam = np.cumsum(rng.normal(0.1, 0.3, n_periods))[t - 1]
    on = (g > 0) & (t >= g - anticipation)
    y = alpha + lam + effect * on + noise * rng.normal(size=unit.size)
    months = pd.period_range(start, periods=n_periods, freq="M").strftime("%Y-%m")
    first = np.where(g > 0, months[np.clip(g - 1, 0, n_periods - 1)], "")
    return pd.DataFrame({
        "unit": [f"U{u:03d}" for u in unit], "time": months[t - 1], "outcome": y,
        "first_treated": first, "treatment": ((g > 0) & (t >= g)).astype(int),
        "quintile": (np.arange(n_units) % 5 + 1)[unit], "weight": rng.uniform(1000, 5000, n_units)[unit],
    })
