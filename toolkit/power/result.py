"""The read-only result of a power calculation, and the power/MDE arithmetic it rests on."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import numpy as np
import pandas as pd

from toolkit.power._dist import nct_cdf, nct_sf, norm_cdf, norm_ppf, norm_sf, t_ppf

__all__ = ["PowerResult", "power_from_se", "mde_from_se", "critical_value"]


def critical_value(level: float, df: float | None) -> float:
    """Two-sided critical value: t with ``df`` degrees of freedom, or normal when ``df`` is None."""
    q = 1 - (1 - level) / 2
    return norm_ppf(q) if df is None else t_ppf(q, df)


def power_from_se(effect: float, se: float, *, level: float = 0.95, df: float | None = None) -> float:
    """Power of a two-sided test of no effect when the estimator has standard error ``se``.

    Notes
    -----
    With ``df`` the statistic is noncentral t with noncentrality δ/SE (exact for a
    two-sample t-test of normal unit-level contrasts); without, normal:
    power = Φ(δ/SE − z) + Φ(−δ/SE − z).
    """
    if not (se > 0):
        return float("nan")
    c = critical_value(level, df)
    ncp = abs(effect) / se
    if df is None:
        return norm_sf(c - ncp) + norm_cdf(-c - ncp)
    return nct_sf(c, df, ncp) + nct_cdf(-c, df, ncp)


def mde_from_se(se: float, *, level: float = 0.95, power: float = 0.8, df: float | None = None) -> float:
    """Smallest effect δ > 0 with ``power_from_se(δ, se) = power`` (root of a monotone function)."""
    if not (se > 0):
        return float("nan")
    if not 0 < power < 1:
        raise ValueError("power must be between 0 and 1")
    from scipy import optimize  # imported when needed: half a second of every stage's start otherwise

    f = lambda d: power_from_se(d, se, level=level, df=df) - power  # noqa: E731
    hi = se
    while f(hi) < 0:
        hi *= 2
    return float(optimize.brentq(f, 0.0, hi, xtol=1e-12 * se, rtol=1e-12))


def _freeze(m: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(m or {}))


@dataclass(frozen=True)
class PowerResult:
    """Minimum detectable effect (MDE) and power of a planned design.

    Parameters
    ----------
    mde : float
        Smallest true effect detected with probability ``power`` by a two-sided test
        at ``level`` (outcome units).
    power : float
        The target power used for ``mde``.
    level : float
        Confidence level of the test (α = 1 − level).
    se : float
        Standard error of the estimator under the design (NaN for simulated designs,
        where ``extra["se_mc"]`` holds the Monte-Carlo SD of the estimate).
    df : float or None
        Degrees of freedom of the reference t distribution (None: normal).
    design : str
        Machine name: ``"did"``, ``"staggered"``, ``"gap"``, ``"its"``, ``"pretrend"``.
    method : str
        How the numbers were obtained (formula or simulation, and the inputs' source).
    n : mapping
        Units (or periods) by role, e.g. ``{"treated": 20, "control": 20}``.
    curve : DataFrame
        ``effect`` against ``power`` (for a plot or a table).
    parameters : mapping
        Variance components taken from the baseline (σ², ψ's, ICC, AR coefficient...).
    mc_error : float
        Monte-Carlo standard error of a simulated power (0 for closed forms).
    warnings : tuple of str
    """

    mde: float
    power: float
    level: float
    se: float
    df: float | None
    design: str
    method: str
    n: Mapping[str, Any] = field(default_factory=dict)
    curve: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    parameters: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    mc_error: float = 0.0
    warnings: tuple[str, ...] = ()
    _power_fn: Any = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "n", _freeze(self.n))
        object.__setattr__(self, "parameters", _freeze(self.parameters))
        object.__setattr__(self, "warnings", tuple(self.warnings))

    def power_at(self, effect: float) -> float:
        """Power to detect a true effect of ``effect`` (same units as ``mde``)."""
        if self._power_fn is not None:
            return float(self._power_fn(effect))
        return power_from_se(effect, self.se, level=self.level, df=self.df)

    def tidy(self) -> pd.DataFrame:
        """One row: design, MDE, target power, level, SE, df and the group sizes."""
        row = {"design": self.design, "mde": self.mde, "power": self.power, "level": self.level, "se": self.se,
               "df": self.df if self.df is not None else math.nan, "mc_error": self.mc_error}
        row.update({f"n_{k}": v for k, v in self.n.items()})
        return pd.DataFrame([row])

    def to_record(self) -> dict[str, Any]:
        return {k: (None if isinstance(v, float) and math.isnan(v) else v)
                for k, v in self.tidy().iloc[0].to_dict().items()} | {"method": self.method,
                                                                    "warnings": list(self.warnings)}

    def __repr__(self) -> str:
        return (f"PowerResult({self.design}: MDE={self.mde:.4g} at {self.power:.0%} power, "
                f"{self.level:.0%} level, se={self.se:.4g})")


def curve(power_fn, mde: float, *, points: int = 21) -> pd.DataFrame:
    """Power against effect from 0 to 2·MDE."""
    eff = np.linspace(0.0, 2 * mde, points) if np.isfinite(mde) and mde > 0 else np.zeros(1)
    return pd.DataFrame({"effect": eff, "power": [power_fn(e) for e in eff]})
