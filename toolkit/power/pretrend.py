"""Power of a pre-trend test against a violation of parallel trends (Roth 2022)."""

from __future__ import annotations

from typing import Any, Sequence

import numpy as np
import pandas as pd

from toolkit.errors import DesignError
from toolkit.power.result import PowerResult, curve

__all__ = ["pretrend_power", "pre_coefficients"]


def pre_coefficients(result: Any) -> tuple[np.ndarray, np.ndarray]:
    """(event times, covariance) of the pre-period coefficients of an event-study result.

    Takes ``result.table`` rows with ``period == "pre"`` and the matching block of
    ``result.extra["vcov"]`` (as :func:`toolkit.designs.did.event_study` returns).
    """
    try:
        table, vcov = result.table, result.extra["vcov"]
    except (AttributeError, KeyError) as exc:
        raise DesignError("pretrend_power needs an event-study result (with a table and extra['vcov']) or "
                          "vcov= and event_times=") from exc
    pre = table[table["period"] == "pre"]
    if pre.empty:
        raise DesignError("the event study has no pre-period coefficient to test")
    terms = list(pre["term"])
    return pre["event_time"].to_numpy(float), np.asarray(pd.DataFrame(vcov).loc[terms, terms], float)


def _power_fn(sigma: np.ndarray, shape: np.ndarray, level: float, test: str, seed: int):
    from scipy import stats  # imported when needed: about a second of every stage's start otherwise

    se = np.sqrt(np.diag(sigma))
    K = se.size
    if test == "wald":
        prec = np.linalg.inv(sigma)
        q = float(shape @ prec @ shape)
        crit = stats.chi2.ppf(level, K)
        return lambda s: float(stats.ncx2.sf(crit, K, s * s * q)) if s else 1 - level
    z = stats.norm.ppf(1 - (1 - level) / 2)
    corr = sigma / np.outer(se, se)

    def pw(s: float) -> float:
        mu = s * shape / se
        inside = stats.multivariate_normal.cdf(z - mu, mean=np.zeros(K), cov=corr, allow_singular=True,
                                               maxpts=20_000 * K, abseps=1e-5, releps=1e-5, lower_limit=-z - mu,
                                               rng=np.random.default_rng(seed))
        return float(min(max(1 - inside, 0.0), 1.0))

    return pw


def pretrend_power(
    result: Any = None,
    *,
    vcov: np.ndarray | None = None,
    event_times: Sequence[float] | None = None,
    reference: float = -1,
    violation: Sequence[float] | None = None,
    test: str = "any",
    level: float = 0.95,
    power: float = 0.8,
    seed: int = 1,
) -> PowerResult:
    """How large a violation of parallel trends would the pre-trend test detect?

    Parameters
    ----------
    result : event-study result, optional
        Supplies the pre-period event times and covariance; or give ``vcov`` and
        ``event_times`` (of the pre-period coefficients, reference omitted).
    vcov : (K, K) array, optional
    event_times : sequence of float, optional
    reference : float
        The omitted (normalised) period, default −1.
    violation : sequence of float, optional
        Shape of the violation at each pre-period event time; default linear,
        ``event_time − reference``.  ``mde`` is the multiple of this shape the test
        detects with probability ``power`` (for the linear shape: the slope per period).
    test : {"any", "wald"}
        "any": rejects when any pre-period coefficient is individually significant
        (Roth 2022, the R ``pretrends`` package); "wald": the joint Wald test.
    level, power : float
    seed : int
        Seed for the quasi-Monte-Carlo multivariate normal integral (test="any").

    Returns
    -------
    PowerResult
        ``mde`` is the violation size (slope) with the target power;
        ``power_at(s)`` the probability of detecting a violation of size ``s``.

    Notes
    -----
    β̂_pre ~ N(s·δ, Σ).  Wald: W = β̂'Σ⁻¹β̂ ~ χ²_K(λ), λ = s²δ'Σ⁻¹δ, so
    power = P(χ²_K(λ) > χ²_{K,1−α}) — closed form.  "Any": power =
    1 − P(|β̂_k/σ_k| ≤ z for all k), a rectangle probability of a correlated normal
    computed by scipy's Genz integration (accuracy ~1e-5).  The MDE solves
    power(s) = target (Roth 2022, "slope_for_power").
    """
    if test not in ("any", "wald"):
        raise DesignError("test must be 'any' or 'wald'")
    if result is not None:
        t, sigma = pre_coefficients(result)
    else:
        if vcov is None or event_times is None:
            raise DesignError("give an event-study result, or vcov= and event_times=")
        t, sigma = np.asarray(event_times, float), np.asarray(vcov, float)
    if sigma.shape != (t.size, t.size) or t.size == 0:
        raise DesignError(f"vcov must be {t.size}×{t.size}, one row per pre-period coefficient")
    if not np.all(np.isfinite(sigma)) or np.any(np.diag(sigma) <= 0):
        raise DesignError("the pre-period covariance has missing or non-positive variances")
    shape = t - reference if violation is None else np.asarray(violation, float)
    if shape.shape != t.shape or not np.any(shape):
        raise DesignError("violation must give one non-zero-in-total value per pre-period coefficient")
    from scipy import optimize

    pw = _power_fn(sigma, shape, level, test, seed)
    hi = 1.0 / np.max(np.abs(shape) / np.sqrt(np.diag(sigma)))
    while pw(hi) < power:
        hi *= 2
    mde = float(optimize.brentq(lambda s: pw(s) - power, 0.0, hi, xtol=1e-10 * hi))
    method = (f"Power of the pre-trend test ({'any pre-period coefficient significant' if test == 'any' else 'joint Wald test'}"
              f", {level:.0%}) against a {'linear' if violation is None else 'given'} violation of parallel trends, "
              f"{t.size} pre-period coefficient(s) (Roth 2022)")
    return PowerResult(mde=mde, power=power, level=level, se=float("nan"), df=None, design="pretrend",
                       method=method, n={"pre_periods": int(t.size)}, curve=curve(pw, mde),
                       parameters={"event_times": tuple(t), "violation": tuple(shape), "test": test},
                       _power_fn=pw)
