"""Slope and relative index of inequality with simulated confidence limits."""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.errors import DataError, ToolkitWarning
from toolkit.indicators.confidence import Z95, _suffix, levels_of
from toolkit.indicators._validate import (
    as_by,
    check_frame,
    check_positive,
    group_codes,
    numeric_column,
    require_columns,
    sheet_rows,
)

__all__ = ["sii"]

_CHUNK = 2_000_000  # simulated values held in memory at once, per group


def _link(value_type: str):
    if value_type == "rate":
        return np.log, np.exp
    if value_type == "proportion":
        return (lambda p: np.log(p / (1.0 - p))), (lambda x: 1.0 / (1.0 + np.exp(-x)))
    return (lambda v: v), (lambda v: v)


def _design(pop: np.ndarray):
    """Population shares a, midpoint ranks b, and the WLS coefficient vectors.

    For weighted least squares of y on (1, b) with weights a (equivalently the
    unweighted no-intercept regression of √a·y on √a and b√a):
    slope s = y·k with k = a(b − b̄)/Σa(b − b̄)², intercept c₀ = y·a − s·b̄.
    """
    a = pop / pop.sum()
    b = np.cumsum(a) - a / 2.0
    bbar = float(a @ b)
    k = a * (b - bbar) / float(a @ (b - bbar) ** 2)
    return a, b, bbar, k


def _linear_draws(rng, c_hat, s_hat, u, k, sd, repetitions):
    """Simulated (c₀, s) when the fit is linear in the simulated values.

    With yᵢ ~ Normal(valueᵢ, SEᵢ) independent and c₀ = y·u, s = y·k, the pair
    (c₀, s) is exactly bivariate normal with means (c_hat, s_hat) and
    covariance [[Σu²SE², ΣukSE²], [ΣukSE², Σk²SE²]]; drawing it directly (two
    normals per repetition instead of one per quantile) gives the same
    distribution as refitting each simulated data set, much faster.
    """
    var_s = float(np.sum(k * k * sd * sd))
    var_c = float(np.sum(u * u * sd * sd))
    cov = float(np.sum(u * k * sd * sd))
    z = rng.standard_normal((2, repetitions))
    sd_s = np.sqrt(var_s)
    beta = cov / var_s if var_s > 0 else 0.0
    resid = np.sqrt(max(var_c - beta * cov, 0.0))
    sims_s = s_hat + sd_s * z[0]
    sims_c = c_hat + beta * sd_s * z[0] + resid * z[1]
    return sims_c, sims_s


def _summaries(c0, s, transform: bool, inv, multiplier: float):
    if transform:
        top, bottom = inv(c0 + s), inv(c0)
        sii_, rii_ = (top - bottom) * multiplier, top / bottom
    else:
        sii_, rii_ = s * multiplier, (c0 + s) / c0
    # a negative multiplier reverses polarity: the RII is inverted (PHEindicatormethods phe_sii)
    return sii_, (1.0 / rii_ if multiplier < 0 else rii_)


def _order_stats(x: np.ndarray, levels) -> dict[float, tuple[float, float]]:
    r = x.size
    idx = {}
    for lv in levels:
        lo = int(np.round(r * (1.0 - lv) / 2.0))
        hi = int(np.round(r * (1.0 + lv) / 2.0))
        idx[lv] = (max(lo, 1) - 1, min(hi, r) - 1)
    kth = sorted({i for pair in idx.values() for i in pair})
    part = np.partition(x, kth)
    return {lv: (float(part[i]), float(part[j])) for lv, (i, j) in idx.items()}


def sii(
    data: pd.DataFrame,
    quantile: str,
    population: str,
    value: str,
    *,
    lower_ci: str | None = None,
    upper_ci: str | None = None,
    se: str | None = None,
    value_type: str = "normal",
    transform: bool = False,
    multiplier: float = 1,
    repetitions: int = 100_000,
    seed: int | None = None,
    by: str | Sequence[str] | None = None,
    confidence: float | Sequence[float] = 0.95,
) -> pd.DataFrame:
    """Slope index of inequality (SII) and relative index (RII) per group.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per group and deprivation quantile (1 = most deprived).
    quantile, population, value : str
        Columns: quantile number, its population, the indicator value.
    lower_ci, upper_ci : str, optional
        Columns with each value's 95% limits (used to derive its SE).
    se : str, optional
        Column with each value's standard error (alternative to the limits).
    value_type : {"normal", "rate", "proportion"}
        How values are simulated: on their own scale, on the log scale or on the
        logit scale (proportions between 0 and 1).
    transform : bool, default False
        Fit on log (rates) or logit (proportions) values.
    multiplier : float, default 1
        Scales the SII; a negative multiplier reverses its direction and
        inverts the RII (as PHEindicatormethods ``phe_sii`` does).
    repetitions : int, default 100000
        Number of simulations for the confidence limits.
    seed : int, optional
        Seed of the random generator (numpy PCG64).  When omitted one is drawn;
        either way it is recorded in ``result.attrs["seed"]`` for reruns.
    by : str or list of str, optional
        Grouping columns (one SII per group).
    confidence : float or pair, default 0.95
        Level(s) of the simulated limits.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``n_quantiles``, ``sii``, ``sii_lower``, ``sii_upper``, ``rii``,
        ``rii_lower``, ``rii_upper``, ``intercept`` and ``note``; with several
        levels the limits are ``sii_lower_95``, ``sii_upper_95``,
        ``sii_lower_99_8`` ... .  ``intercept`` is the fitted value at the most
        deprived end (rank 0), back-transformed when ``transform=True``.

    Notes
    -----
    Rows are ordered by quantile 1..N.  aᵢ = population share; bᵢ = Σ_{j≤i}aⱼ − aᵢ/2.
    Weighted least squares (no-intercept regression of √aᵢyᵢ on √aᵢ and bᵢ√aᵢ)
    gives c₀ and slope s; SII = s × multiplier, RII = (c₀ + s)/c₀ (its inverse
    when the multiplier is negative).  With
    ``transform``: SII = (g⁻¹(c₀+s) − g⁻¹(c₀)) × multiplier, RII = g⁻¹(c₀+s)/g⁻¹(c₀).

    Limits by simulation (docs/methods.md; PHEindicatormethods ``phe_sii``): SE on the
    simulation scale is (g(U) − g(L))/(2·1.959964) from the 95% limits (when an SE
    is given for a rate or proportion, L, U = value ∓ 1.959964·SE first); each
    repetition draws g(yᵢ) ~ Normal(g(valueᵢ), SEᵢ), back-transforms (unless
    ``transform``), refits; the limits are the order statistics
    round(R(1−c)/2) and round(R(1+c)/2) of the R simulated SIIs (and RIIs).
    The closed-form WLS fit is vectorised over repetitions (own code).  When the
    fit is linear in the simulated values (normal values, or ``transform=True``)
    the simulated (c₀, s) pairs are drawn directly from their exact bivariate
    normal distribution, which is equivalent to refitting each simulated data
    set; rates and proportions fitted on their own scale are simulated value by
    value and back-transformed.
    """
    data = check_frame(data)
    by = as_by(by)
    levels = levels_of(confidence)
    if value_type not in ("normal", "rate", "proportion"):
        raise DataError(f"value_type must be 'normal', 'rate' or 'proportion', not {value_type!r}",
                        column="value_type", fix="choose one of the three")
    if transform and value_type == "normal":
        raise DataError("transform=True needs value_type 'rate' or 'proportion'", column="transform",
                        fix="set value_type or drop transform")
    if transform and se is not None:
        raise DataError("transform=True needs each value's 95% limits, not a standard error", column=se,
                        fix="pass lower_ci= and upper_ci= instead of se= (as PHEindicatormethods requires)")
    if (lower_ci is None) != (upper_ci is None):
        raise DataError("give both lower_ci and upper_ci, or neither", column=lower_ci or upper_ci,
                        fix="name both limit columns")
    if int(repetitions) < 1000:
        raise DataError("repetitions must be at least 1,000", column="repetitions", fix="use 100000")
    repetitions = int(repetitions)
    require_columns(data, [quantile, population, value, lower_ci, upper_ci, se, *by])
    q = numeric_column(data, quantile, what="quantile")
    if (q != np.round(q)).any() or (q < 1).any():
        bad = (q != np.round(q)) | (q < 1)
        raise DataError("quantiles must be whole numbers from 1", column=quantile, rows=sheet_rows(bad),
                        count=int(bad.sum()), fix="number quantiles 1 (most deprived) to N")
    pop = numeric_column(data, population, what="population")
    check_positive(pop, population)
    v = numeric_column(data, value, allow_missing=True, what="value")
    if se is not None:
        s_in = numeric_column(data, se, allow_missing=True, what="standard error")
        lo_in = v - Z95 * s_in
        hi_in = v + Z95 * s_in
    elif lower_ci is not None:
        lo_in = numeric_column(data, lower_ci, allow_missing=True, what="lower limit")
        hi_in = numeric_column(data, upper_ci, allow_missing=True, what="upper limit")
    else:
        lo_in = hi_in = np.full(len(v), np.nan)
    fwd, inv = _link(value_type)
    with np.errstate(divide="ignore", invalid="ignore"):
        if value_type == "normal" and se is not None:
            se_t = s_in
        else:
            se_t = (fwd(hi_in) - fwd(lo_in)) / (2.0 * Z95)
        v_t = fwd(v)
    codes, keys = group_codes(data, by)
    dup = pd.DataFrame({"g": codes, "q": q}).duplicated(keep=False).to_numpy()
    if dup.any():
        raise DataError("a quantile appears more than once in a group", column=quantile,
                        rows=sheet_rows(dup), count=int(dup.sum()),
                        fix="aggregate to one row per group and quantile, or add the missing by= column")
    n_max = int(q.max())
    if n_max > 10:
        warnings.warn(ToolkitWarning(f"{n_max} quantiles: SII is usually reported on 5 or 10",
                                     code="sii.many_quantiles"), stacklevel=2)
    if seed is None:
        seed = int(np.random.SeedSequence().entropy % 2**63)  # drawn here so it can be recorded
    rng = np.random.default_rng(seed)
    order = np.lexsort((q, codes))
    starts = np.searchsorted(codes[order], np.arange(len(keys) + 1))
    rows = []
    for g in range(len(keys)):
        ix = order[starts[g]:starts[g + 1]]
        nq = len(ix)
        rec: dict = {"n_quantiles": nq, "note": None}
        note = None
        if nq < 5 or nq > 100 or not np.array_equal(q[ix], np.arange(1, nq + 1)) or nq != n_max:
            note = (f"quantiles present are {', '.join(str(int(x)) for x in q[ix])}; SII needs every "
                    f"quantile 1..{n_max} (5 to 100): not calculated")
        elif not np.isfinite(v_t[ix]).all():
            note = "a quantile's value is missing or outside the range of its value_type: not calculated"
        if note:
            rec["note"] = note
            rows.append(rec)
            continue
        a, b, bbar, k = _design(pop[ix])
        y = v_t[ix] if transform else v[ix]
        s0 = float(y @ k)
        c0 = float(y @ a) - s0 * bbar
        sii0, rii0 = _summaries(c0, s0, transform, inv, multiplier)
        rec.update(sii=sii0, rii=rii0, intercept=float(inv(c0)) if transform else c0)
        sd = se_t[ix]
        if not np.isfinite(sd).all() or (sd < 0).any():
            rec["note"] = "no usable standard errors or limits: confidence limits not simulated"
            rows.append(rec)
            continue
        if transform or value_type == "normal":
            sims_c, sims_s = _linear_draws(rng, v_t[ix] @ a - (v_t[ix] @ k) * bbar, v_t[ix] @ k,
                                           a - k * bbar, k, sd, repetitions)
        else:
            sims = np.empty((repetitions, 2))
            coef = np.column_stack([a - k * bbar, k])  # columns give c0 and s
            step = max(1, _CHUNK // nq)
            for st in range(0, repetitions, step):
                m = min(step, repetitions - st)
                draw = rng.standard_normal((m, nq))
                draw *= sd
                draw += v_t[ix]
                sims[st:st + m] = inv(draw) @ coef
            sims_c, sims_s = sims[:, 0], sims[:, 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            s_sim, r_sim = _summaries(sims_c, sims_s, transform, inv, multiplier)
        for lv, (lo, hi) in _order_stats(s_sim, levels).items():
            rec[("sii", lv)] = (lo, hi)
        for lv, (lo, hi) in _order_stats(r_sim, levels).items():
            rec[("rii", lv)] = (lo, hi)
        rows.append(rec)
    out = keys[by].copy().reset_index(drop=True) if by else pd.DataFrame(index=range(len(keys)))
    out["n_quantiles"] = [r["n_quantiles"] for r in rows]
    for stat in ("sii", "rii"):
        out[stat] = [r.get(stat, np.nan) for r in rows]
        for lv in levels:
            suf = "" if len(levels) == 1 else "_" + _suffix(lv)
            pair = [r.get((stat, lv), (np.nan, np.nan)) for r in rows]
            out[f"{stat}_lower{suf}"] = [p[0] for p in pair]
            out[f"{stat}_upper{suf}"] = [p[1] for p in pair]
    out["intercept"] = [r.get("intercept", np.nan) for r in rows]
    out["note"] = pd.array([r["note"] for r in rows], dtype="object")
    out.attrs.update(seed=seed, repetitions=repetitions, value_type=value_type, transform=transform)
    return out
