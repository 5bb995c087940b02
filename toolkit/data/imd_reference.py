"""The IMD reference data the toolkit ships: vintages, the national lookups and the ICB summary.

The package ships the official IMD 2019 lookup (2011 LSOAs), the IMD 2025 lookup
(2021 LSOAs) and the IoD 2025 summary per integrated care board as Parquet files
in ``toolkit/data/reference/``; they are read on first use and cached.  There is
**no default vintage**: every call names ``vintage=2019`` or ``vintage=2025``.
The public entry point is :mod:`toolkit.data.imd`, which re-exports these names.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.errors import InputError, Problem

__all__ = ["ATTRIBUTION", "DOMAINS", "MISMATCH_TOLERANCE", "REFERENCE_DIR", "VINTAGES", "load_icb_summary", "load_imd"]

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: Ministry of Housing, Communities and Local Government, English Indices of "
    "Deprivation 2019 and 2025."
)

#: Share of English-LSOA rows with a code known only to the other boundary set above which
#: :func:`attach_imd` refuses to join (unless ``allow_vintage_mismatch=True``).
MISMATCH_TOLERANCE = 0.005

#: Domain keys accepted by ``domains=``, in the official order.
DOMAINS = ("income", "employment", "education", "health", "crime", "housing", "environment")

@dataclass(frozen=True)
class _Vintage:
    year: int
    file: str
    code_column: str
    boundary: str  # "2011" or "2021"
    source_domains: tuple[str, ...]  # source column prefixes, in DOMAINS order
    has_scores: bool


VINTAGES = {
    2019: _Vintage(
        2019, "imd2019_lsoa11.parquet", "lsoa11_code", "2011",
        ("Income", "Employment", "Education", "Health", "Crime", "Housing_and_Access", "Environment"),
        has_scores=False,
    ),
    2025: _Vintage(
        2025, "imd2025_lsoa21.parquet", "lsoa21_code", "2021",
        ("Income", "Employment", "Education", "Health", "Crime", "Housing_and_Services", "Environment"),
        has_scores=True,
    ),
}
_BOUNDARY_VINTAGE = {v.boundary: v.year for v in VINTAGES.values()}


def code_vintage(vintage) -> _Vintage:
    """Validate an explicit vintage (2019 or 2025; "2019"/"2025" accepted)."""
    fix = "say which IMD you mean: imd_vintage: 2019 (2011 LSOAs) or imd_vintage: 2025 (2021 LSOAs)"
    if vintage is None:
        raise InputError(
            "No IMD vintage given.",
            [Problem("the toolkit has no default IMD vintage, so results cannot change under you",
                     where="imd_vintage", fix=fix)],
        )
    try:
        year = int(str(vintage).strip()) if not isinstance(vintage, bool) else None
    except ValueError:
        year = None
    if year not in VINTAGES:
        raise InputError(
            f"Unknown IMD vintage {vintage!r}.",
            [Problem(f"{vintage!r} is not an IMD vintage the toolkit ships", where="imd_vintage", fix=fix)],
        )
    return VINTAGES[year]


@lru_cache(maxsize=None)
def _read(name: str) -> pd.DataFrame:
    return pd.read_parquet(REFERENCE_DIR / name)


@lru_cache(maxsize=None)
def _code_set(vintage: int) -> frozenset[str]:
    v = VINTAGES[vintage]
    return frozenset(_read(v.file)[v.code_column].tolist())


def load_imd(vintage: int, *, domains: bool = False) -> pd.DataFrame:
    """The national IMD lookup for one vintage, one row per LSOA.

    Parameters
    ----------
    vintage : {2019, 2025}
        IMD 2019 (2011 LSOAs) or IMD 2025 (2021 LSOAs). Required: there is no default.
    domains : bool, default False
        Also return the seven domain deciles, ranks and scores.

    Returns
    -------
    pandas.DataFrame
        ``lsoa_code``, ``imd_decile`` (1 = most deprived), ``imd_quintile``
        (``ceil(decile / 2)``), ``imd_rank`` (1 = most deprived), ``imd_score``
        (NaN for 2019, whose source has no scores) and ``core20`` (deciles 1-2);
        with ``domains=True`` also ``<domain>_decile``, ``<domain>_rank`` and
        ``<domain>_score`` for each of :data:`DOMAINS`.  ``attrs`` holds
        ``imd_vintage``, ``lsoa_boundaries`` and ``attribution``.

    Raises
    ------
    InputError
        If ``vintage`` is missing or not 2019/2025.
    """
    v = code_vintage(vintage)
    src = _read(v.file)
    out = pd.DataFrame({
        "lsoa_code": src[v.code_column],
        "imd_decile": src["IMD_decile"],
        "imd_quintile": ((src["IMD_decile"] + 1) // 2).astype("int8"),
        "imd_rank": src["IMD_rank"],
        "imd_score": src["IMD_score"].astype("float64") if v.has_scores else np.nan,
        "core20": src["IMD_decile"] <= 2,
    })
    if domains:
        for key, name in zip(DOMAINS, v.source_domains):
            out[f"{key}_decile"] = src[f"{name}_decile"]
            out[f"{key}_rank"] = src[f"{name}_rank"]
            out[f"{key}_score"] = src[f"{name}_score"].astype("float64") if v.has_scores else np.nan
    out.attrs.update(imd_vintage=v.year, lsoa_boundaries=v.boundary, attribution=ATTRIBUTION)
    return out


def load_icb_summary() -> pd.DataFrame:
    """IoD 2025 summary measures for the 42 integrated care boards (2024 boundaries).

    Returns
    -------
    pandas.DataFrame
        The official table as published (``icb24_code``, ``icb24_name``, average
        rank and score, extent, local concentration, ... per domain), ``attrs``
        holding ``attribution``.
    """
    out = _read("imd2025_icb24.parquet").copy()
    out.attrs.update(imd_vintage=2025, attribution=ATTRIBUTION)
    return out
