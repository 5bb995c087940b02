"""Funnel plots: control limits around the overall value and a significance flag per unit.

Follows OHID Fingertips / PHEindicatormethods (``calculate_funnel_limits``,
``assign_funnel_significance``): limits at 95% ("2 sigma", two-sided 0.025) and 99.8%
("3 sigma", 0.001) around the pooled average; Wilson-score limits for proportions and
exact Poisson limits for rates.  Spiegelhalter's (2005) additive random-effects
adjustment for over-dispersion is optional.  Own implementation of the published
formulas (no code taken from the GPL reference implementation).
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
from scipy import special

from toolkit.errors import DataError
from toolkit.indicators.confidence import _suffix, levels_of, z_of
from toolkit.indicators._validate import (
    check_frame,
    check_nonnegative,
    check_not_above,
    check_positive,
    numeric_column,
    require_columns,
)

__all__ = ["funnel", "funnel_limits", "overdispersion_factor"]

_KINDS = ("proportion", "rate")


def _wilson_limits(theta: float, n: np.ndarray, z: float) -> tuple[np.ndarray, np.ndarray]:
    """Proportions p at which the Wilson score interval of p (size n) has theta as an end.

    Solving (p + z²/2n ∓ z√(p(1−p)/n + z²/4n²))/(1 + z²/n) = θ for p gives the
    quadratic (1 + z²/n)p² − (2c + z²/n)p + c² − z⁴/4n² = 0 with
    c = θ(1 + z²/n) − z²/2n; its roots are the lower and upper control limits
    (PHE's funnel method for proportions), clipped to [0, 1].
    """
    n = np.asarray(n, dtype=float)
    z2n = z * z / n
    c = theta * (1.0 + z2n) - z2n / 2.0
    a = 1.0 + z2n
    b = -(2.0 * c + z2n)
    cc = c * c - z2n * z2n / 4.0
    root = np.sqrt(np.maximum(b * b - 4.0 * a * cc, 0.0))
    lo = (-b - root) / (2.0 * a)
    hi = (-b + root) / (2.0 * a)
    return np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)


def _solve_shape(target: np.ndarray, expected: np.ndarray, shift: float, lo: np.ndarray,
                 hi: np.ndarray) -> np.ndarray:
    """Count O (continuous) with P(a = O + shift, x = E) = target, by bisection.

    ``special.gammainc(a, x)`` (regularised lower incomplete gamma) falls as a
    rises, so the solution is bracketed by ``lo`` and ``hi``.
    """
    lo = lo.astype(float).copy()
    hi = hi.astype(float).copy()
    for _ in range(80):
        mid = (lo + hi) / 2.0
        val = special.gammainc(np.maximum(mid + shift, 1e-300), expected)
        above = val > target  # value too high -> a too small -> move lo up
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return (lo + hi) / 2.0


def _poisson_limits(theta: float, n: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Rates r at which the exact Poisson interval of r·n has the expected count θ·n as an end.

    Lower limit: the count O with exact upper limit χ²(1 − α/2; 2O + 2)/2 = E,
    i.e. P(O + 1, E) = 1 − α/2; upper limit: exact lower limit χ²(α/2; 2O)/2 = E,
    i.e. P(O, E) = α/2 (P the regularised lower incomplete gamma function).
    """
    n = np.asarray(n, dtype=float)
    e = theta * n
    alpha = 1.0 - level
    big = e + 20.0 * np.sqrt(e + 1.0) + 50.0
    lo_count = _solve_shape(np.full_like(e, 1.0 - alpha / 2.0), e, 1.0, np.full_like(e, -1.0 + 1e-12), e)
    lo_count = np.maximum(lo_count, 0.0)
    # below the smallest count whose interval can reach E, no lower limit (0)
    lo_count = np.where(special.gammainc(1.0, e) > 1.0 - alpha / 2.0, lo_count, 0.0)
    hi_count = _solve_shape(np.full_like(e, alpha / 2.0), e, 0.0, e, big)
    return lo_count / n, hi_count / n


def funnel_limits(baseline: float, denominators, *, kind: str = "proportion",
                  confidence: float | Sequence[float] = (0.95, 0.998), multiplier: float | None = None,
                  tau2: float = 0.0) -> pd.DataFrame:
    """Control limits at given denominators (the funnel's lines), on the output scale.

    Parameters
    ----------
    baseline : float
        The target value on the output scale (e.g. 80.6 for 80.6% with multiplier 100).
    denominators : array-like
        Denominators (populations) at which to draw the limits.
    kind : {"proportion", "rate"}
    confidence : float or sequence
        Levels, by default 95% and 99.8%.
    multiplier : float, optional
        Scale of the output (default 100 for proportions, 100,000 for rates).
    tau2 : float
        Between-unit variance on the unscaled proportion or rate (from
        :func:`overdispersion_factor`); when positive, the limits are Spiegelhalter's
        normal limits θ ± z√(s² + τ²), never narrower than the exact ones.

    Returns
    -------
    pandas.DataFrame
        ``denominator``, ``baseline`` and ``lower_<level>``/``upper_<level>`` per level
        (e.g. ``lower_95``, ``upper_99_8``).
    """
    if kind not in _KINDS:
        raise DataError(f"kind must be 'proportion' or 'rate', not {kind!r}", column="kind",
                        fix="use kind='proportion' or kind='rate'")
    mult = float(multiplier if multiplier is not None else (100 if kind == "proportion" else 100_000))
    levels = levels_of(confidence)
    n = np.asarray(denominators, dtype=float)
    theta = float(baseline) / mult
    out = pd.DataFrame({"denominator": n, "baseline": float(baseline)})
    for lv in levels:
        lo, hi = _limits(theta, n, lv, kind, tau2)
        out[f"lower_{_suffix(lv)}"] = lo * mult
        out[f"upper_{_suffix(lv)}"] = hi * mult
    return out


def _limits(theta, n, level, kind, tau2):
    exact = _wilson_limits(theta, n, z_of(level)) if kind == "proportion" else _poisson_limits(theta, n, level)
    if tau2 <= 0:
        return exact
    z = z_of(level)
    s2 = theta * (1.0 - theta) / n if kind == "proportion" else theta / n
    half = z * np.sqrt(s2 + tau2)
    lo, hi = np.maximum(theta - half, 0.0), theta + half
    if kind == "proportion":
        hi = np.minimum(hi, 1.0)
    # never narrower than the exact limits (the normal approximation fails for small units)
    return np.minimum(lo, exact[0]), np.maximum(hi, exact[1])


def overdispersion_factor(numerator, denominator, *, kind: str = "proportion", winsor: float = 0.1) -> dict:
    """Spiegelhalter's (2005) over-dispersion factor φ and between-unit variance τ².

    Parameters
    ----------
    numerator, denominator : array-like
        Counts and denominators of the units.
    kind : {"proportion", "rate"}
    winsor : float
        Share of z-scores winsorised at each end (10% as Spiegelhalter 2005).

    Returns
    -------
    dict
        ``phi`` (φ), ``tau2`` (τ², on the unscaled proportion or rate), ``chi2``
        (I·φ), ``df`` (I − 1), ``overdispersed`` (I·φ > I − 1), ``theta``.

    Notes
    -----
    θ = ΣO/Σn; sᵢ² = θ(1−θ)/nᵢ (proportions) or θ/nᵢ (rates); zᵢ = (yᵢ − θ)/sᵢ;
    the z-scores are winsorised at the 10th and 90th percentiles and
    φ = Σzᵢ²/I.  If Iφ > I − 1, τ² = (Iφ − (I − 1))/(Σwᵢ − Σwᵢ²/Σwᵢ) with
    wᵢ = 1/sᵢ², else τ² = 0 (Spiegelhalter DJ. Handling over-dispersion of
    performance indicators. *Qual Saf Health Care* 2005;14:347-351; DerSimonian-Laird
    moment estimator).
    """
    o = np.asarray(numerator, dtype=float)
    n = np.asarray(denominator, dtype=float)
    theta = o.sum() / n.sum()
    y = o / n
    s2 = theta * (1.0 - theta) / n if kind == "proportion" else theta / n
    z = (y - theta) / np.sqrt(s2)
    lo, hi = np.quantile(z, [winsor, 1.0 - winsor])
    zw = np.clip(z, lo, hi)
    k = z.size
    phi = float(np.sum(zw * zw) / k)
    w = 1.0 / s2
    over = k * phi > k - 1
    tau2 = float((k * phi - (k - 1)) / (w.sum() - (w * w).sum() / w.sum())) if over else 0.0
    return {"phi": phi, "tau2": max(tau2, 0.0), "chi2": k * phi, "df": k - 1, "overdispersed": bool(over),
            "theta": float(theta)}


def funnel(
    data: pd.DataFrame,
    numerator: str,
    denominator: str,
    *,
    kind: str = "proportion",
    multiplier: float | None = None,
    overdispersion: bool = False,
    confidence: float | Sequence[float] = (0.95, 0.998),
    baseline: float | None = None,
) -> pd.DataFrame:
    """Funnel-plot control limits and a significance flag for every unit.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit (practice, PCN, neighbourhood): its count and denominator.
    numerator, denominator : str
        Columns: events (people with the outcome) and population.
    kind : {"proportion", "rate"}
        Binomial proportion (Wilson-score limits) or Poisson rate (exact limits).
    multiplier : float, optional
        Output scale: 100 (per cent) for proportions, 100,000 for rates by default.
    overdispersion : bool, default False
        Widen the limits by Spiegelhalter's (2005) additive random-effects
        adjustment when the units vary more than chance allows (φ > 1).
    confidence : float or sequence, default (0.95, 0.998)
        Levels of the control limits (PHE: 95% and 99.8%).
    baseline : float, optional
        Target on the output scale; by default the pooled average ΣO/Σn × multiplier.

    Returns
    -------
    pandas.DataFrame
        The input columns plus ``value`` (O/n × multiplier), ``baseline``,
        ``lower_<level>``/``upper_<level>`` (the limits at the unit's own
        denominator, e.g. ``lower_95``, ``upper_99_8``), ``z`` (the unit's
        z-score, (y − θ)/s) and ``significance``: "High (0.001)", "High (0.025)",
        "Low (0.001)", "Low (0.025)" or "Not significant" (labels as
        PHEindicatormethods ``assign_funnel_significance``; 0.025 and 0.001 are
        the one-sided tail areas of the 95% and 99.8% limits).  ``attrs`` holds
        ``phi``, ``tau2``, ``overdispersed`` and ``method``.

    Notes
    -----
    θ = ΣO/Σn.  Proportions (PHE): the limits at n are the values p whose Wilson
    score interval (z = Φ⁻¹(1 − α/2)) has θ as its end, i.e. the roots of
    (1 + z²/n)p² − (2c + z²/n)p + c² − z⁴/4n² = 0, c = θ(1 + z²/n) − z²/2n.
    Rates (PHE): with E = θn, the lower limit is O/n where the exact upper limit
    χ²(1 − α/2; 2O + 2)/2 of O equals E, the upper limit O/n where the exact lower
    limit χ²(α/2; 2O)/2 equals E (O continuous; solved by bisection).
    With ``overdispersion=True`` and φ > 1: limits θ ± z√(sᵢ² + τ²) (see
    :func:`overdispersion_factor`), widened where needed so that they are never
    narrower than the exact limits (the normal approximation fails for small units).  A unit is flagged at the widest level whose limits
    it lies outside.
    """
    data = check_frame(data)
    if kind not in _KINDS:
        raise DataError(f"kind must be 'proportion' or 'rate', not {kind!r}", column="kind",
                        fix="use kind='proportion' or kind='rate'")
    levels = sorted(levels_of(confidence))
    require_columns(data, [numerator, denominator])
    o = numeric_column(data, numerator)
    check_nonnegative(o, numerator)
    n = numeric_column(data, denominator, what="population")
    check_positive(n, denominator)
    if kind == "proportion":
        check_not_above(o, n, numerator, denominator)
    mult = float(multiplier if multiplier is not None else (100 if kind == "proportion" else 100_000))
    theta = o.sum() / n.sum() if baseline is None else float(baseline) / mult
    disp = overdispersion_factor(o, n, kind=kind) if len(o) >= 3 else {
        "phi": np.nan, "tau2": 0.0, "overdispersed": False}
    tau2 = disp["tau2"] if overdispersion else 0.0
    out = data.copy()
    y = o / n
    out["value"] = y * mult
    out["baseline"] = theta * mult
    s = np.sqrt((theta * (1.0 - theta) if kind == "proportion" else theta) / n + tau2)
    out["z"] = (y - theta) / s
    sig = np.full(len(o), "Not significant", dtype=object)
    for lv in levels:  # ascending, so the widest level outside wins
        lo, hi = _limits(theta, n, lv, kind, tau2)
        out[f"lower_{_suffix(lv)}"] = lo * mult
        out[f"upper_{_suffix(lv)}"] = hi * mult
        tail = f"{(1 - lv) / 2:.3f}".rstrip("0")
        sig = np.where(y < lo, f"Low ({tail})", np.where(y > hi, f"High ({tail})", sig))
    out["significance"] = sig
    out.attrs.update(phi=disp["phi"], tau2=tau2, overdispersed=disp["overdispersed"], kind=kind,
                     multiplier=mult,
                     method=("Spiegelhalter (2005) additive random-effects limits" if tau2 > 0 else
                             "PHE funnel limits: " + ("Wilson score" if kind == "proportion" else "exact Poisson")))
    return out
