"""Period life expectancy by Chiang's abridged life table (method II), Silcocks' variance."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.indicators._confidence import Z95, assemble, levels_of, z_of
from toolkit.indicators._validate import (
    as_by,
    check_frame,
    check_nonnegative,
    group_codes,
    numeric_column,
    require_columns,
)
from toolkit.indicators.standardised import _duplicates, band_labels

__all__ = ["life_expectancy", "LE_BANDS"]

#: The 20 age bands of the abridged life table, youngest first.
LE_BANDS: tuple[str, ...] = ("0", "1-4") + tuple(f"{a}-{a + 4}" for a in range(5, 90, 5)) + ("90+",)
_WIDTH = np.array([1.0, 4.0] + [5.0] * 17 + [np.nan])
_A = np.array([0.1] + [0.5] * 19)


def _life_table(D: np.ndarray, P: np.ndarray):
    """Chiang II life expectancy and its standard error at every band (rows = groups).

    Own implementation of the docs/methods.md formulas (vectorised over groups).
    """
    g = D.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        M = D / P
        n, a = _WIDTH[None, :], _A[None, :]
        q = n * M / (1.0 + n * M * (1.0 - a))
        q = np.minimum(q, 1.0)
        q[:, -1] = 1.0
        l = np.empty_like(q)
        l[:, 0] = 100_000.0
        for i in range(1, 20):
            l[:, i] = l[:, i - 1] * (1.0 - q[:, i - 1])
        d = np.empty_like(l)
        d[:, :-1] = l[:, :-1] - l[:, 1:]
        d[:, -1] = l[:, -1]
        L = np.empty_like(l)
        L[:, :-1] = n[:, :-1] * (l[:, 1:] + a[:, :-1] * d[:, :-1])
        L[:, -1] = l[:, -1] / M[:, -1]
        T = np.cumsum(L[:, ::-1], axis=1)[:, ::-1]
        e = np.where(l == 0, 0.0, T / l)  # nobody left alive: 0, as PHEindicatormethods
        sp = np.where(D > 0, q * q * (1.0 - q) / D, 0.0)
        W = np.empty_like(l)
        W[:, :-1] = sp[:, :-1] * l[:, :-1] ** 2 * ((1.0 - a[:, :-1]) * n[:, :-1] + e[:, 1:]) ** 2
        W[:, -1] = (l[:, -1] / 2.0) ** 2 * 4.0 / (D[:, -1] * M[:, -1] ** 2)
        S = np.cumsum(W[:, ::-1], axis=1)[:, ::-1]
        se = np.sqrt(S) / l
    assert e.shape == (g, 20)
    return e, se


def life_expectancy(
    data: pd.DataFrame,
    deaths: str,
    population: str,
    age_band: str,
    *,
    by: str | Sequence[str] | None = None,
    confidence: float | Sequence[float] = 0.95,
) -> pd.DataFrame:
    """Life expectancy at each age band (Chiang II, Silcocks adjustment for 90+).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per group and age band, 20 bands: 0, 1-4, 5-9, ..., 85-89, 90+
        (labels in any common spelling, or start ages 0, 1, 5, ..., 90).
    deaths, population, age_band : str
        Column names.
    by : str or list of str, optional
        Grouping columns (area, sex, period ...).
    confidence : float or pair, default 0.95
        A level or several, e.g. ``(0.95, 0.998)``.

    Returns
    -------
    pandas.DataFrame
        One row per group and band: ``by``, ``age_band`` (normalised label),
        the deaths and population, ``value`` = life expectancy at the band's
        start age, interval columns and ``note``.

    Notes
    -----
    Widths nᵢ = 1, 4, 5, ...; aᵢ = 0.1 at age 0, else 0.5; Mᵢ = Dᵢ/Pᵢ;
    qᵢ = nᵢMᵢ/(1 + nᵢMᵢ(1 − aᵢ)) capped at 1, q = 1 in 90+; l₀ = 100000;
    Lᵢ = nᵢ(lᵢ₊₁ + aᵢdᵢ), L₉₀₊ = l/M; Tᵢ = Σ_{j≥i} Lⱼ; eᵢ = Tᵢ/lᵢ.
    Variance (Chiang; Silcocks et al. 2001, *JECH* 55:38-43, for the last band):
    s²(pᵢ) = qᵢ²(1 − qᵢ)/Dᵢ (0 without deaths), Wᵢ = lᵢ²((1 − aᵢ)nᵢ + eᵢ₊₁)²s²(pᵢ),
    W₉₀₊ = (l/2)²·4/(D·M²); SE(eₓ) = √(Σ_{j≥x} Wⱼ)/lₓ; limits eₓ ∓ z·SE.

    No value (nor limits) for a group with a missing band, total population
    ≤ 5,000, a band with population ≤ 0, deaths above population in a band, or
    no deaths at 90+; the value (not the limits) is withheld where the 95%
    interval is wider than 20 years (docs/methods.md; PHEindicatormethods
    ``phe_life_expectancy``).  Each rule leaves a ``note``.
    """
    data = check_frame(data)
    by = as_by(by)
    levels = levels_of(confidence)
    require_columns(data, [deaths, population, age_band, *by])
    band = band_labels(data, age_band, list(LE_BANDS), what="life table (0, 1-4, 5-9, ..., 85-89, 90+)")
    dth = numeric_column(data, deaths, what="death")
    check_nonnegative(dth, deaths, what="death")
    pop = numeric_column(data, population, what="population")
    codes, keys = group_codes(data, by)
    _duplicates(data, [codes, band], age_band, "an age band")
    k = len(keys)
    D = np.full((k, 20), np.nan)
    P = np.full((k, 20), np.nan)
    D[codes, band] = dth
    P[codes, band] = pop
    present = ~np.isnan(P)
    gnote: list[str | None] = [None] * k
    missing = ~present.all(axis=1)
    total = np.nansum(P, axis=1)
    nonpos = (np.where(present, P, 1.0) <= 0).any(axis=1)
    over = (np.where(present, D > P, False)).any(axis=1)
    no90 = ~(np.where(present[:, -1], D[:, -1], 0.0) > 0)
    for i in range(k):
        if missing[i]:
            gnote[i] = "age band(s) missing: " + ", ".join(
                LE_BANDS[j] for j in np.flatnonzero(~present[i])) + "; life expectancy not calculated"
        elif nonpos[i]:
            gnote[i] = "a band has a population of 0 or less; life expectancy not calculated"
        elif over[i]:
            gnote[i] = "deaths exceed the population in a band; life expectancy not calculated"
        elif total[i] <= 5000:
            gnote[i] = f"total population {total[i]:,.0f} is 5,000 or less; life expectancy not calculated"
        elif no90[i]:
            gnote[i] = "no deaths in the 90+ band; life expectancy not calculated"
    withheld = np.array([n is not None for n in gnote])
    e, se = _life_table(np.where(withheld[:, None], 1.0, np.nan_to_num(D, nan=1.0)),
                        np.where(withheld[:, None], 2.0, np.nan_to_num(P, nan=2.0)))
    e[withheld] = np.nan
    se[withheld] = np.nan
    wide = (2.0 * Z95 * se) > 20.0
    # rows: only bands present in the data, ordered by group then band
    gi, bi = np.nonzero(present)
    value = e[gi, bi]
    limits = {}
    for lv in levels:
        z = z_of(lv)
        limits[lv] = (e[gi, bi] - z * se[gi, bi], e[gi, bi] + z * se[gi, bi])
    row_wide = wide[gi, bi]
    value = np.where(row_wide, np.nan, value)
    note = [
        gnote[g] if gnote[g] else ("95% confidence interval wider than 20 years; value withheld" if w else None)
        for g, w in zip(gi, row_wide)
    ]
    rows_keys = keys.iloc[gi].reset_index(drop=True) if by else pd.DataFrame(index=range(len(gi)))
    return assemble(
        rows_keys, by,
        {"age_band": np.array(LE_BANDS, dtype=object)[bi], deaths: D[gi, bi], population: P[gi, bi]},
        value, limits, levels, note,
    )
