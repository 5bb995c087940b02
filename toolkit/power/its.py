"""Power for an interrupted time series (segmented regression with autocorrelated errors), by simulation."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from toolkit.cautions import Caution
from toolkit.errors import DesignError
from toolkit.power.result import PowerResult, critical_value, curve

__all__ = ["mde_its", "its_design_matrix"]


def its_design_matrix(n_pre: int, n_post: int) -> np.ndarray:
    """Columns: intercept, time, post, (t − t₀)·post (docs/methods.md, segmented regression)."""
    t = np.arange(n_pre + n_post, dtype=float)
    post = (t >= n_pre).astype(float)
    return np.column_stack([np.ones_like(t), t, post, (t - n_pre) * post])


def _ar1_noise(rng: np.random.Generator, n_sims: int, n: int, phi: float, sd: float) -> np.ndarray:
    """Stationary AR(1) series with marginal SD ``sd``, one per row."""
    eps = rng.standard_normal((n_sims, n)) * sd * math.sqrt(1 - phi**2)
    u = np.empty_like(eps)
    u[:, 0] = rng.standard_normal(n_sims) * sd
    for t in range(1, n):
        u[:, t] = phi * u[:, t - 1] + eps[:, t]
    return u


def _baseline_series(series) -> tuple[float, float]:
    y = np.asarray(pd.to_numeric(pd.Series(series), errors="coerce"), float)
    if np.isnan(y).any() or y.size < 8:
        raise DesignError("the baseline series needs at least 8 numeric values with none missing")
    t = np.arange(y.size, dtype=float)
    X = np.column_stack([np.ones_like(t), t])
    e = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    phi = float(np.clip((e[1:] @ e[:-1]) / (e @ e), 0.0, 0.95))
    sd = float(np.sqrt(e @ e / (y.size - 2)))
    return sd, phi


def mde_its(
    *,
    n_pre: int,
    n_post: int,
    sd: float | None = None,
    phi: float | None = None,
    baseline_series=None,
    effect: str = "level",
    se: str = "hac",
    maxlags: int | None = None,
    level: float = 0.95,
    power: float = 0.8,
    n_sims: int = 2000,
    seed: int = 1,
) -> PowerResult:
    """Minimum detectable level or slope change of an interrupted time series, by seeded simulation.

    Parameters
    ----------
    n_pre, n_post : int
        Periods before and after the interruption.
    sd, phi : float, optional
        Marginal standard deviation of the errors and their AR(1) coefficient.
        Give both, or ``baseline_series`` to estimate them.
    baseline_series : sequence of float, optional
        A pre-scheme series: the residuals of a linear trend give ``sd`` (df n − 2)
        and their lag-1 autocorrelation ``phi`` (clipped to [0, 0.95]).
    effect : {"level", "slope"}
        The coefficient tested: the level change β₂ or the slope change β₃.
    se : {"hac", "ols"}
        Newey–West HAC standard errors (Bartlett kernel, ``maxlags`` default
        floor(4(n/100)^(2/9)), small-sample factor n/(n − 4)), as
        :mod:`toolkit.designs.its`, or classical OLS SEs.
    level, power : float
        Test level and target power.
    n_sims : int
        Simulated series.
    seed : int
        Seed of numpy's default generator.

    Returns
    -------
    PowerResult
        ``se`` is NaN (the test's SE varies by draw); ``parameters["sd_estimate"]``
        is the Monte-Carlo SD of the estimate; ``mc_error`` the Monte-Carlo SE of
        the power at the MDE.

    Notes
    -----
    Model y_t = β₀ + β₁t + β₂·post_t + β₃(t − t₀)post_t + u_t, u AR(1).  Because the
    OLS residuals do not depend on β, one set of null draws serves every effect δ:
    the t-statistic under δ is (β̂⁽⁰⁾ + δ)/SE⁽⁰⁾, so power(δ) = mean(|β̂⁽⁰⁾ + δ| >
    c·SE⁽⁰⁾) with c the t critical value on n − 4 df, and the MDE is its root — no
    simulation noise between effects.  Monte-Carlo SE of a power p: √(p(1 − p)/n_sims).
    """
    if effect not in ("level", "slope"):
        raise DesignError("effect must be 'level' or 'slope'")
    if se not in ("hac", "ols"):
        raise DesignError("se must be 'hac' or 'ols'")
    if n_pre < 3 or n_post < 2:
        raise DesignError("an interrupted time series needs at least 3 pre and 2 post periods")
    if baseline_series is not None:
        sd_b, phi_b = _baseline_series(baseline_series)
        sd = sd if sd is not None else sd_b
        phi = phi if phi is not None else phi_b
    if sd is None or phi is None:
        raise DesignError("give sd and phi, or a baseline_series to estimate them")
    if not (sd > 0) or not (0 <= phi < 1):
        raise DesignError("sd must be positive and phi in [0, 1)")
    n = n_pre + n_post
    X = its_design_matrix(n_pre, n_post)
    k = X.shape[1]
    XtX_inv = np.linalg.inv(X.T @ X)
    j = 2 if effect == "level" else 3
    c_row = XtX_inv[j] @ X.T  # β̂_j = c_row · y
    rng = np.random.default_rng(seed)
    U = _ar1_noise(rng, n_sims, n, phi, sd)
    b = U @ c_row
    resid = U - (U @ X @ XtX_inv) @ X.T
    if se == "ols":
        s2 = (resid**2).sum(axis=1) / (n - k)
        ses = np.sqrt(s2 * XtX_inv[j, j])
    else:
        L = int(np.floor(4 * (n / 100) ** (2 / 9))) if maxlags is None else int(maxlags)
        z = resid * (XtX_inv[j] @ X.T)  # scalar score per period for coefficient j
        v = (z**2).sum(axis=1)
        for lag in range(1, L + 1):
            v += 2 * (1 - lag / (L + 1)) * (z[:, lag:] * z[:, :-lag]).sum(axis=1)
        ses = np.sqrt(v * n / (n - k))
    crit = critical_value(level, n - k)

    def pw(delta: float) -> float:
        return float(np.mean(np.abs(b + delta) > crit * ses))

    size = pw(0.0)
    hi = 4 * float(b.std()) + 1e-12
    while pw(hi) < power and hi < 1e6 * sd:
        hi *= 2
    from scipy import optimize  # imported when needed (a fixed cost of every stage's start otherwise)

    # power(δ) is a step function: take the smallest δ on a fine grid reaching the target, then bisect.
    mde = float(optimize.bisect(lambda d: pw(d) - power + 1e-12, 0.0, hi, xtol=1e-10 * hi)) if pw(0) < power else 0.0
    mc = math.sqrt(power * (1 - power) / n_sims)
    warnings = []
    if abs(size - (1 - level)) > 3 * math.sqrt((1 - level) * level / n_sims):
        warnings.append(Caution(f"The test's simulated size is {size:.3f}, not {1 - level:.3f}: with {n} periods and "
                                f"autocorrelation {phi:.2f} the {se.upper()} standard errors are "
                                + ("too small" if size > 1 - level else "conservative") + "; the MDE reflects that.",
                                code="power.size_off"))
    method = (f"Seeded simulation ({n_sims:,} series, seed {seed}) of a segmented regression with AR(1) errors "
              f"(SD {sd:.3g}, φ = {phi:.2f}), {n_pre} pre and {n_post} post periods, {effect} change tested with "
              f"{'Newey-West HAC' if se == 'hac' else 'OLS'} SEs at {level:.0%}")
    return PowerResult(mde=mde, power=power, level=level, se=float("nan"), df=n - k, design="its", method=method,
                       n={"pre_periods": n_pre, "post_periods": n_post}, curve=curve(pw, mde),
                       parameters={"sd": sd, "phi": phi, "effect": effect, "size": size,
                                   "sd_estimate": float(b.std(ddof=1))},
                       mc_error=mc, warnings=tuple(warnings), _power_fn=pw)
