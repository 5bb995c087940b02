"""The gap in life expectancy between two populations, decomposed by age and by cause (Arriaga).

As OHID's Segment Tool presents it: how many of the years between the most and least
deprived quintiles come from each age band, and from each cause of death.  Own
implementation of Arriaga (1984) on the Chiang II abridged life tables of
:mod:`toolkit.indicators.life_expectancy`, with the usual proportional allocation of each
age band's contribution to causes (Preston, Heuveline & Guillot, *Demography*, 2001, chapters 3-4).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.errors import DataError
from toolkit.indicators._validate import check_frame, check_nonnegative, numeric_column, require_columns, sheet_rows
from toolkit.indicators.life_expectancy import _last_band, le_bands, life_table_columns
from toolkit.indicators.age_bands import band_labels

__all__ = ["le_gap_decomposition", "LEGapDecomposition"]


@dataclass(frozen=True)
class LEGapDecomposition:
    """Result of :func:`le_gap_decomposition` (read-only).

    Attributes
    ----------
    e0_a, e0_b : float
        Life expectancy at birth of population A and of population B (years).
    gap : float
        e0_b − e0_a: the years by which B outlives A (= the sum of every contribution).
    by_age : pandas.DataFrame
        ``age_band``, ``direct``, ``indirect``, ``contribution`` (years), ``share``
        (% of the gap).
    by_cause : pandas.DataFrame
        ``cause``, ``contribution`` (years), ``share`` (% of the gap), largest first.
    by_age_cause : pandas.DataFrame
        ``age_band``, ``cause``, ``contribution``: the age × cause matrix, long.
    method : str
    """

    e0_a: float
    e0_b: float
    gap: float
    by_age: pd.DataFrame
    by_cause: pd.DataFrame
    by_age_cause: pd.DataFrame
    method: str = "Arriaga (1984) on Chiang II abridged life tables; causes by proportional allocation"

    def tidy(self) -> pd.DataFrame:
        """One row per age band and cause, with the life expectancies as attributes."""
        out = self.by_age_cause.copy()
        out.attrs.update(e0_a=self.e0_a, e0_b=self.e0_b, gap=self.gap, method=self.method)
        return out


def _tables(frame: pd.DataFrame, name: str, deaths: str, population: str, age_band: str, cause: str | None,
            bands: tuple[str, ...]):
    """Deaths by band × cause and population by band for one population."""
    frame = check_frame(frame, name)
    require_columns(frame, [deaths, population, age_band, cause], name)
    band = band_labels(frame, age_band, list(bands), what=f"life table in {name}")
    d = numeric_column(frame, deaths, what="death")
    check_nonnegative(d, deaths, what="death")
    p = numeric_column(frame, population, what="population")
    causes = frame[cause].astype(str).to_numpy() if cause else np.full(len(frame), "All causes", dtype=object)
    key = pd.DataFrame({"b": band, "c": causes})
    dup = key.duplicated(keep=False).to_numpy()
    if dup.any():
        raise DataError(f"an age band and cause appear more than once in {name}", column=age_band,
                        rows=sheet_rows(dup), count=int(dup.sum()), fix="aggregate to one row per age band and cause")
    pops = pd.DataFrame({"b": band, "p": p}).drop_duplicates()
    if pops["b"].duplicated().any():
        raise DataError(f"the population of an age band differs between causes in {name}", column=population,
                        fix="repeat the age band's whole population on every cause row")
    missing = sorted(set(range(len(bands))) - set(pops["b"]))
    if missing:
        raise DataError(f"{name} lacks age band(s) " + ", ".join(bands[i] for i in missing), column=age_band,
                        count=len(missing), fix="add every band (0 deaths where there were none)")
    P = np.zeros(len(bands))
    P[pops["b"].to_numpy()] = pops["p"].to_numpy()
    if (P <= 0).any():
        raise DataError(f"{name} has an age band with a population of 0 or less", column=population,
                        fix="combine areas or years so that every band has people")
    wide = pd.DataFrame({"b": band, "c": causes, "d": d}).pivot_table(index="b", columns="c", values="d",
                                                                       aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(range(len(bands)), fill_value=0.0)
    return wide, P


def le_gap_decomposition(
    deaths_by_cause_age_a: pd.DataFrame,
    deaths_by_cause_age_b: pd.DataFrame,
    *,
    deaths: str = "deaths",
    population: str = "population",
    age_band: str = "age_band",
    cause: str | None = "cause",
    last_band: str | int | None = None,
) -> LEGapDecomposition:
    """Decompose e0_b − e0_a by age band (Arriaga) and by cause of death.

    Parameters
    ----------
    deaths_by_cause_age_a, deaths_by_cause_age_b : pandas.DataFrame
        One row per age band and cause for population A (e.g. the most deprived
        quintile) and B (e.g. the least deprived): deaths, and the band's whole
        population repeated on each cause row.  Bands as
        :func:`toolkit.indicators.life_expectancy` (0, 1-4, 5-9, ..., 90+ or 85+).
    deaths, population, age_band : str
        Column names.
    cause : str or None
        Cause-of-death column; None for all-cause data (then only the age
        decomposition is meaningful).
    last_band : str or int, optional
        The open last band, read from the data by default.

    Returns
    -------
    LEGapDecomposition

    Notes
    -----
    With l, L, T the Chiang II columns (l₀ = 100000; A = population 1, B = 2) and
    ₙΔₓ the contribution of band [x, x+n) to e0_B − e0_A (Arriaga 1984)::

        ₙΔₓ = lₓᴬ/l₀ · (ₙLₓᴮ/lₓᴮ − ₙLₓᴬ/lₓᴬ)                 (direct)
             + Tₓ₊ₙᴮ/l₀ · (lₓᴬ/lₓᴮ − lₓ₊ₙᴬ/lₓ₊ₙᴮ)           (indirect and interaction)
        Δ_ω  = l_ωᴬ/l₀ · (T_ωᴮ/l_ωᴮ − T_ωᴬ/l_ωᴬ)            (open band)

    and ΣΔₓ = e0_B − e0_A exactly.  Causes: ₙΔₓⁱ = ₙΔₓ · (mₓⁱᴮ − mₓⁱᴬ)/(mₓᴮ − mₓᴬ)
    with m = deaths/population (proportional allocation; Preston, Heuveline &
    Guillot, *Demography*, 2001, chapter 4), 0 where the all-cause rates are equal.
    """
    first = check_frame(deaths_by_cause_age_a, "deaths_by_cause_age_a")
    require_columns(first, [age_band], "deaths_by_cause_age_a")
    bands = le_bands(_last_band(first, age_band, last_band))
    da, pa = _tables(deaths_by_cause_age_a, "deaths_by_cause_age_a", deaths, population, age_band, cause, bands)
    db, pb = _tables(deaths_by_cause_age_b, "deaths_by_cause_age_b", deaths, population, age_band, cause, bands)
    causes = sorted(set(da.columns) | set(db.columns))
    da, db = da.reindex(columns=causes, fill_value=0.0), db.reindex(columns=causes, fill_value=0.0)
    Da, Db = da.to_numpy().sum(axis=1), db.to_numpy().sum(axis=1)
    for name, D, P in (("deaths_by_cause_age_a", Da, pa), ("deaths_by_cause_age_b", Db, pb)):
        if D[-1] <= 0:
            raise DataError(f"{name} has no deaths in the {bands[-1]} band, so its life table cannot close",
                            column=deaths, fix="combine years or areas so that the last band has deaths")
        if (D > P).any():
            raise DataError(f"{name} has more deaths than people in a band", column=deaths,
                            fix="check that deaths and population cover the same people and years")
    ta = life_table_columns(Da[None, :], pa[None, :])
    tb = life_table_columns(Db[None, :], pb[None, :])
    la, La, Ta = ta["l"][0], ta["L"][0], ta["T"][0]
    lb, Lb, Tb = tb["l"][0], tb["L"][0], tb["T"][0]
    l0 = la[0]
    k = len(bands)
    direct = np.empty(k)
    indirect = np.zeros(k)
    direct[:-1] = la[:-1] / l0 * (Lb[:-1] / lb[:-1] - La[:-1] / la[:-1])
    indirect[:-1] = Tb[1:] / l0 * (la[:-1] / lb[:-1] - la[1:] / lb[1:])
    direct[-1] = la[-1] / l0 * (Tb[-1] / lb[-1] - Ta[-1] / la[-1])
    total = direct + indirect
    e0a, e0b = float(ta["e"][0, 0]), float(tb["e"][0, 0])
    gap = e0b - e0a
    ma = da.to_numpy() / pa[:, None]
    mb = db.to_numpy() / pb[:, None]
    diff = (mb - ma).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        weight = np.where(diff[:, None] != 0, (mb - ma) / diff[:, None], 0.0)
    cells = total[:, None] * weight
    share = (lambda v: v / gap * 100 if gap != 0 else np.full_like(v, np.nan))
    by_age = pd.DataFrame({"age_band": bands, "direct": direct, "indirect": indirect, "contribution": total,
                           "share": share(total)})
    cause_tot = cells.sum(axis=0)
    by_cause = (pd.DataFrame({"cause": causes, "contribution": cause_tot, "share": share(cause_tot)})
                .sort_values("contribution", ascending=False, key=np.abs).reset_index(drop=True))
    long = pd.DataFrame({"age_band": np.repeat(bands, len(causes)), "cause": np.tile(causes, k),
                         "contribution": cells.ravel()})
    return LEGapDecomposition(e0a, e0b, gap, by_age, by_cause, long)
