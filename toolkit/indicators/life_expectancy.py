"""Period life expectancy by Chiang's abridged life table (method II), Silcocks' variance."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.indicators.confidence import Z95, assemble, levels_of, z_of
from toolkit.indicators._validate import (
    as_by,
    check_frame,
    check_nonnegative,
    group_codes,
    numeric_column,
    require_columns,
)
from toolkit.errors import DataError
from toolkit.indicators.age_bands import band_labels, duplicate_bands, normalise_age_band

__all__ = ["life_expectancy", "LE_BANDS", "le_bands", "life_table_columns"]

#: The 20 age bands of the abridged life table, youngest first (the default, 90+ last).
LE_BANDS: tuple[str, ...] = ("0", "1-4") + tuple(f"{a}-{a + 4}" for a in range(5, 90, 5)) + ("90+",)


def le_bands(last: int = 90) -> tuple[str, ...]:
    """Bands 0, 1-4, 5-9, ..., ending with the open band ``f"{last}+"`` (last a multiple of 5, 10 to 100)."""
    if not (isinstance(last, (int, np.integer)) and 10 <= last <= 100 and last % 5 == 0):
        raise DataError(f"the last age band must start at a multiple of 5 from 10 to 100, not {last!r}",
                        column="last_band", fix="use 85 (85+) or 90 (90+)")
    return ("0", "1-4") + tuple(f"{a}-{a + 4}" for a in range(5, int(last), 5)) + (f"{int(last)}+",)


def _shape(k: int):
    """Widths nᵢ (NaN for the open band) and aᵢ of a table with k bands."""
    width = np.array([1.0, 4.0] + [5.0] * (k - 3) + [np.nan])
    a = np.array([0.1] + [0.5] * (k - 1))
    return width, a


def life_table_columns(D: np.ndarray, P: np.ndarray):
    """Chiang II columns for each group (rows) and band (columns): M, q, l, d, L, T, e.

    Own implementation of the docs/methods.md formulas (vectorised over groups); the
    last column is the open band.
    """
    k = D.shape[1]
    width, a_ = _shape(k)
    with np.errstate(divide="ignore", invalid="ignore"):
        M = D / P
        n, a = width[None, :], a_[None, :]
        q = n * M / (1.0 + n * M * (1.0 - a))
        q = np.minimum(q, 1.0)
        q[:, -1] = 1.0
        l = np.empty_like(q)
        l[:, 0] = 100_000.0
        for i in range(1, k):
            l[:, i] = l[:, i - 1] * (1.0 - q[:, i - 1])
        d = np.empty_like(l)
        d[:, :-1] = l[:, :-1] - l[:, 1:]
        d[:, -1] = l[:, -1]
        L = np.empty_like(l)
        L[:, :-1] = n[:, :-1] * (l[:, 1:] + a[:, :-1] * d[:, :-1])
        L[:, -1] = l[:, -1] / M[:, -1]
        T = np.cumsum(L[:, ::-1], axis=1)[:, ::-1]
        e = np.where(l == 0, 0.0, T / l)  # nobody left alive: 0, as PHEindicatormethods
    return {"M": M, "q": q, "l": l, "d": d, "L": L, "T": T, "e": e, "n": n, "a": a}


def _life_table(D: np.ndarray, P: np.ndarray):
    """Chiang II life expectancy and its standard error at every band (rows = groups)."""
    c = life_table_columns(D, P)
    q, l, e, M, n, a = c["q"], c["l"], c["e"], c["M"], c["n"], c["a"]
    with np.errstate(divide="ignore", invalid="ignore"):
        sp = np.where(D > 0, q * q * (1.0 - q) / D, 0.0)
        W = np.empty_like(l)
        W[:, :-1] = sp[:, :-1] * l[:, :-1] ** 2 * ((1.0 - a[:, :-1]) * n[:, :-1] + e[:, 1:]) ** 2
        W[:, -1] = (l[:, -1] / 2.0) ** 2 * 4.0 / (D[:, -1] * M[:, -1] ** 2)
        S = np.cumsum(W[:, ::-1], axis=1)[:, ::-1]
        se = np.sqrt(S) / l
    return e, se


def _last_band(data: pd.DataFrame, age_band: str, last_band) -> int:
    """Start age of the open last band: given, or read from the data ("85+", or the largest start age)."""
    if last_band is not None:
        key = normalise_age_band(last_band)
        if key is None or not key.rstrip("+").isdigit():
            raise DataError(f"last_band {last_band!r} is not an age such as '85+' or 90", column="last_band",
                            fix="use last_band='85+' or last_band='90+'")
        return int(key.rstrip("+"))
    keys = {normalise_age_band(v) for v in pd.unique(data[age_band])} - {None}
    open_ = sorted(int(k[:-1]) for k in keys if k.endswith("+") and k[:-1].isdigit())
    if len(open_) > 1:
        raise DataError("the data have more than one open-ended age band (" + ", ".join(f"{o}+" for o in open_) + ")",
                        column=age_band, fix="use one last band for every group, or call once per band set")
    if open_:
        return open_[0]
    if keys and all(k.isdigit() for k in keys):  # bare start ages: the largest is the open band
        return max(int(k) for k in keys)
    return 90


def life_expectancy(
    data: pd.DataFrame,
    deaths: str,
    population: str,
    age_band: str,
    *,
    by: str | Sequence[str] | None = None,
    confidence: float | Sequence[float] = 0.95,
    last_band: str | int | None = None,
) -> pd.DataFrame:
    """Life expectancy at each age band (Chiang II, Silcocks adjustment for the open last band).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per group and age band: 0, 1-4, 5-9, ..., 85-89, 90+ (20 bands)
        or with another open last band such as 85+ (labels in any common
        spelling, or start ages 0, 1, 5, ..., 90).
    deaths, population, age_band : str
        Column names.
    by : str or list of str, optional
        Grouping columns (area, sex, period ...).
    confidence : float or pair, default 0.95
        A level or several, e.g. ``(0.95, 0.998)``.
    last_band : str or int, optional
        The open last band, e.g. ``"85+"`` or ``90``.  By default it is read from
        the data: the band written with a "+" (or, for bare start ages, the
        largest), else 90+.  Every group must have the same bands.

    Returns
    -------
    pandas.DataFrame
        One row per group and band: ``by``, ``age_band`` (normalised label),
        the deaths and population, ``value`` = life expectancy at the band's
        start age, interval columns and ``note``.

    Notes
    -----
    Widths nᵢ = 1, 4, 5, ...; aᵢ = 0.1 at age 0, else 0.5; Mᵢ = Dᵢ/Pᵢ;
    qᵢ = nᵢMᵢ/(1 + nᵢMᵢ(1 − aᵢ)) capped at 1, q = 1 in the open band ω; l₀ = 100000;
    Lᵢ = nᵢ(lᵢ₊₁ + aᵢdᵢ), L_ω = l_ω/M_ω; Tᵢ = Σ_{j≥i} Lⱼ; eᵢ = Tᵢ/lᵢ.
    Variance (Chiang; Silcocks et al. 2001, *JECH* 55:38-43, for the last band):
    s²(pᵢ) = qᵢ²(1 − qᵢ)/Dᵢ (0 without deaths), Wᵢ = lᵢ²((1 − aᵢ)nᵢ + eᵢ₊₁)²s²(pᵢ),
    W_ω = (l_ω/2)²·4/(D_ω·M_ω²); SE(eₓ) = √(Σ_{j≥x} Wⱼ)/lₓ; limits eₓ ∓ z·SE.
    With an 85+ (or other) last band the same formulas apply with ω = 85+, as
    PHEindicatormethods ``phe_life_expectancy`` allows through ``age_contents``.

    No value (nor limits) for a group with a missing band, total population
    ≤ 5,000, a band with population ≤ 0, deaths above population in a band, or
    no deaths in the open last band; the value (not the limits) is withheld where the 95%
    interval is wider than 20 years (docs/methods.md; PHEindicatormethods
    ``phe_life_expectancy``).  Each rule leaves a ``note``.
    """
    data = check_frame(data)
    by = as_by(by)
    levels = levels_of(confidence)
    require_columns(data, [deaths, population, age_band, *by])
    bands = le_bands(_last_band(data, age_band, last_band))
    nb = len(bands)
    band = band_labels(data, age_band, list(bands),
                       what=f"life table (0, 1-4, 5-9, ..., {bands[-2]}, {bands[-1]})")
    dth = numeric_column(data, deaths, what="death")
    check_nonnegative(dth, deaths, what="death")
    pop = numeric_column(data, population, what="population")
    codes, keys = group_codes(data, by)
    duplicate_bands(data, [codes, band], age_band, "an age band")
    k = len(keys)
    D = np.full((k, nb), np.nan)
    P = np.full((k, nb), np.nan)
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
                bands[j] for j in np.flatnonzero(~present[i])) + "; life expectancy not calculated"
        elif nonpos[i]:
            gnote[i] = "a band has a population of 0 or less; life expectancy not calculated"
        elif over[i]:
            gnote[i] = "deaths exceed the population in a band; life expectancy not calculated"
        elif total[i] <= 5000:
            gnote[i] = f"total population {total[i]:,.0f} is 5,000 or less; life expectancy not calculated"
        elif no90[i]:
            gnote[i] = f"no deaths in the {bands[-1]} band; life expectancy not calculated"
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
        {"age_band": np.array(bands, dtype=object)[bi], deaths: D[gi, bi], population: P[gi, bi]},
        value, limits, levels, note,
    )
