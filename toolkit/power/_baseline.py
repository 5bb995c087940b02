"""Variance structure of a baseline panel, for power calculations.

Residuals after period effects e_it = y_it − ȳ_t carry the unit effect, the serial
correlation and the noise.  Every estimator the power module prices is a linear
contrast whose weights sum to zero within each unit (a pre/post difference), so the
unit effect cancels and only the *variogram* V(k) = ½E[(e_{t+k} − e_t)²] matters:
for such a contrast a, Var(a'e) = a'Σa = −a'Va (Σ = C − V for any constant C).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from toolkit.cautions import Caution
from toolkit.errors import DataError, DesignError

__all__ = ["BaselineVariance", "baseline_variance"]


@dataclass(frozen=True)
class BaselineVariance:
    """Serial-correlation model of a baseline panel (one row per unit of assignment)."""

    n_units: int
    n_periods: int
    cov: np.ndarray  # T×T sample covariance of period-demeaned outcomes
    variogram: np.ndarray  # V̂(k), k = 0..T−1
    ar1: dict[str, float]  # fitted V(k) = τ² + v(1 − φ^k), k ≥ 1
    icc: float = float("nan")
    warnings: tuple[str, ...] = ()
    info: dict[str, Any] = field(default_factory=dict)

    def window_cov(self, length: int) -> np.ndarray:
        """Σ̄: the average of the T×T covariance over every window of ``length`` consecutive periods."""
        T = self.n_periods
        if length > T:
            raise DesignError(f"the baseline has {T} periods but the design spans {length}")
        return np.mean([self.cov[s:s + length, s:s + length] for s in range(T - length + 1)], axis=0)

    def model_variogram(self, length: int) -> np.ndarray:
        """L×L matrix V(|s − t|) from the fitted AR(1)-plus-noise variogram."""
        k = np.abs(np.subtract.outer(np.arange(length), np.arange(length)))
        p = self.ar1
        V = p["noise"] + p["ar_var"] * (1 - p["phi"] ** k)
        V[k == 0] = 0.0
        return V

    def contrast_variance(self, a: np.ndarray, serial: str) -> float:
        """Var(a'e) for one unit's weights ``a`` (summing to 0) under the chosen serial model."""
        a = np.asarray(a, float)
        if serial == "empirical":
            return float(a @ self.window_cov(a.size) @ a)
        return float(-a @ self.model_variogram(a.size) @ a)

    def resolve(self, serial: str, length: int) -> str:
        if serial not in ("auto", "empirical", "ar1"):
            raise DesignError("serial must be 'auto', 'empirical' or 'ar1'")
        if serial == "auto":
            return "empirical" if self.n_periods >= length else "ar1"
        if serial == "empirical" and self.n_periods < length:
            raise DesignError(f"serial='empirical' needs at least {length} baseline periods (pre + post); the "
                              f"baseline has {self.n_periods}. Use serial='ar1' to extrapolate")
        return serial


def _fit_ar1(vg: np.ndarray, T: int) -> dict[str, float]:
    k = np.arange(1, T)
    y = vg[1:]
    w = np.sqrt(T - k)
    if k.size == 0:
        raise DesignError("the baseline needs at least 3 periods to estimate serial correlation")
    top = max(float(y.max()), 1e-12)

    def resid(p):
        tau, v, phi = p
        return w * (tau + v * (1 - phi**k) - y)

    from scipy import optimize  # imported when needed (a fixed cost of every stage's start otherwise)

    best = None
    for phi0 in (0.2, 0.6, 0.9):
        r = optimize.least_squares(resid, x0=[0.5 * y[0], top, phi0], bounds=([0, 0, 0], [np.inf, np.inf, 0.999]))
        if best is None or r.cost < best.cost:
            best = r
    tau, v, phi = (float(x) for x in best.x)
    return {"noise": tau, "ar_var": v, "phi": phi}


def _icc(E: np.ndarray, clusters: np.ndarray) -> float:
    """One-way ANOVA intra-cluster correlation of period-demeaned unit outcomes, pooled over periods."""
    labels, inv = np.unique(clusters, return_inverse=True)
    G, N = labels.size, inv.size
    if G < 2 or G == N:
        return float("nan")
    sizes = np.bincount(inv)
    n0 = (N - (sizes**2).sum() / N) / (G - 1)
    msb, msw = [], []
    for col in E.T:
        means = np.bincount(inv, weights=col) / sizes
        msb.append((sizes * (means - col.mean()) ** 2).sum() / (G - 1))
        msw.append(((col - means[inv]) ** 2).sum() / (N - G))
    sb, sw = float(np.mean(msb)), float(np.mean(msw))
    s2b = max((sb - sw) / n0, 0.0)
    return s2b / (s2b + sw) if s2b + sw > 0 else float("nan")


def baseline_variance(baseline: pd.DataFrame, *, unit: str, time: str, outcome: str,
                      cluster: str | None = None) -> BaselineVariance:
    """Estimate the covariance and variogram of a baseline panel.

    Parameters
    ----------
    baseline : DataFrame
        Long panel, one row per unit and period, before the scheme.
    unit, time, outcome : str
        Columns.
    cluster : str, optional
        Column of the unit of assignment when it is coarser than ``unit`` (e.g. PCN
        above practice): outcomes are averaged to cluster × period first, so the
        intra-cluster correlation is carried into the variance; the ICC is reported.

    Notes
    -----
    Units missing a period are excluded (with a warning saying how many): the
    variance model needs every period.  Σ̂ = E'E/(N − 1) with E the period-demeaned
    outcomes; V̂(k) = Σ_i Σ_t (e_{i,t+k} − e_it)² / (2(N − 1)(T − k)).  The AR(1)-plus-
    noise variogram V(k) = τ² + v(1 − φ^k) (k ≥ 1) is fitted to V̂ by weighted least
    squares (weights T − k) and used to extrapolate beyond the baseline's length.
    """
    cols = [unit, time, outcome] + ([cluster] if cluster else [])
    missing = [c for c in cols if c not in baseline.columns]
    if missing:
        raise DataError(f"the baseline has no column(s) {', '.join(missing)}", column=missing[0],
                        fix=f"columns present: {', '.join(map(str, baseline.columns[:12]))}")
    df = baseline[cols].copy()
    y = pd.to_numeric(df[outcome], errors="coerce")
    bad = (y.isna() & df[outcome].notna()).to_numpy()
    if bad.any():
        raise DataError("values are not numbers", column=outcome, rows=tuple(int(i) + 2 for i in np.flatnonzero(bad)[:5]),
                        count=int(bad.sum()), fix="make the outcome numeric")
    df[outcome] = y
    dup = df.duplicated([unit, time], keep=False).to_numpy()
    if dup.any():
        raise DataError("the same unit and period appear more than once", column=unit,
                        rows=tuple(int(i) + 2 for i in np.flatnonzero(dup)[:5]), count=int(dup.sum()),
                        fix="aggregate the baseline to one row per unit and period")
    wide = df.pivot(index=unit, columns=time, values=outcome).sort_index(axis=1)
    warnings: list[str] = []
    incomplete = wide.isna().any(axis=1)
    if incomplete.any():
        warnings.append(Caution(f"{int(incomplete.sum())} of {len(wide)} baseline units miss at least one period and were "
                                "left out of the variance estimate.", code="power.incomplete_baseline"))
        wide = wide.loc[~incomplete]
    icc, units_per_cluster = float("nan"), 1.0
    if cluster:
        cmap = df.drop_duplicates([unit, cluster]).groupby(unit)[cluster]
        multi = cmap.nunique()
        if (multi > 1).any():
            raise DataError(f"{int((multi > 1).sum())} unit(s) belong to more than one {cluster}", column=cluster,
                            fix="give each unit one cluster")
        cl = cmap.first().reindex(wide.index).to_numpy()
        E_units = wide.to_numpy() - wide.to_numpy().mean(axis=0)
        icc = _icc(E_units, cl)
        units_per_cluster = len(cl) / len(np.unique(cl))
        wide = wide.groupby(cl).mean()
    Y = wide.to_numpy(float)
    N, T = Y.shape
    if N < 3:
        raise DesignError(f"the baseline has {N} complete unit(s); at least 3 are needed to estimate variances")
    if T < 3:
        raise DesignError(f"the baseline has {T} period(s); at least 3 are needed to estimate serial correlation")
    E = Y - Y.mean(axis=0)
    cov = E.T @ E / (N - 1)
    vg = np.zeros(T)
    for k in range(1, T):
        vg[k] = ((E[:, k:] - E[:, :-k]) ** 2).sum() / (2 * (N - 1) * (T - k))
    ar1 = _fit_ar1(vg, T)
    return BaselineVariance(n_units=N, n_periods=T, cov=cov, variogram=vg, ar1=ar1, icc=icc,
                            warnings=tuple(warnings), info={"periods": list(wide.columns),
                                                            "units_per_cluster": units_per_cluster})
