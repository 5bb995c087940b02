"""Give every baseline row a national IMD decile: from an LSOA code, a decile or a score.

Three routes, chosen by which role the source maps (in this order of preference):

1. ``imd_decile`` — the analyst's own national decile (1 = most deprived), used as given;
2. ``lsoa`` — an LSOA code joined to the toolkit's built-in IMD lookup of the
   evaluation's ``imd_vintage`` (:meth:`toolkit.evaluations.context.StageContext.attach_imd`,
   which keeps unmatched rows, audits them and credits the OGL data);
3. ``imd_score`` — an IMD score (an LSOA's, or a population-weighted mean for a practice)
   placed against the national decile cut-offs of IMD 2025 LSOA scores.

Rows without a decile are kept (missing decile) and audited, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from toolkit.errors import DataError, Problem

__all__ = ["Deprivation", "attach_deprivation", "national_score_cutoffs", "decile_from_score"]


@dataclass(frozen=True)
class Deprivation:
    """Rows with ``imd_decile`` attached, and how well they matched.

    Attributes
    ----------
    data : pandas.DataFrame
        The input rows in their order, with ``imd_decile`` (nullable integer).
    route : str
        ``"imd_decile"``, ``"lsoa"`` or ``"imd_score"``.
    audit : pandas.DataFrame
        ``category``, ``description``, ``rows``, ``share`` (% of rows; and for the LSOA
        route the distinct and example codes of each kind of unmatched code).
    sentence : str
        One plain-English sentence on the match.
    """

    data: pd.DataFrame
    route: str
    audit: pd.DataFrame
    sentence: str

    @property
    def n_unmatched(self) -> int:
        return int(self.data["imd_decile"].isna().sum())


def national_score_cutoffs(vintage: int = 2025) -> np.ndarray:
    """Lowest IMD score of each national decile 1-9 (decile 1 = most deprived).

    Notes
    -----
    tᵈ = min{score of LSOAs in national decile d}, d = 1..9, from the built-in
    IMD lookup; a score s falls in the first decile d with s ≥ tᵈ, else decile 10.
    Only IMD 2025 publishes scores in the toolkit's lookups.  This reproduces the
    published decile of every IMD 2025 LSOA except 4 of 33,755 whose score, rounded
    to 3 decimals as published, ties with the boundary of the more deprived decile
    (those take the more deprived one).
    """
    from toolkit.data.imd import load_imd

    imd = load_imd(vintage)
    if imd["imd_score"].isna().all():
        raise DataError(f"IMD {vintage} has no scores in the toolkit's lookup", column="imd_score",
                        fix="map imd_decile or lsoa instead of imd_score, or use imd_vintage: 2025")
    return imd.groupby("imd_decile")["imd_score"].min().sort_index().to_numpy()[:9]


def decile_from_score(scores, cutoffs) -> np.ndarray:
    """National decile of each score (NaN stays NaN) from :func:`national_score_cutoffs`."""
    s = np.asarray(scores, dtype="float64")
    cut = np.asarray(cutoffs, dtype="float64")
    # number of decile floors (1..9) the score is below, plus one
    dec = 1 + (s[:, None] < cut[None, :]).sum(axis=1)
    return np.where(np.isnan(s), np.nan, dec)


def _simple_audit(decile: pd.Series, description: str) -> pd.DataFrame:
    n = len(decile)
    miss = int(decile.isna().sum())
    return pd.DataFrame({
        "category": ["matched", "no decile"],
        "description": [description, "no IMD decile (blank)"],
        "rows": [n - miss, miss],
        "share": [(n - miss) / n * 100 if n else np.nan, miss / n * 100 if n else np.nan],
    })


def attach_deprivation(data: pd.DataFrame, *, attach_imd: Callable | None = None, vintage: int | None = None,
                       file: str | None = None) -> Deprivation:
    """Attach a national IMD decile to every row by the route the column roles allow.

    Parameters
    ----------
    data : pandas.DataFrame
        The source with columns under their role names.
    attach_imd : callable, optional
        ``ctx.attach_imd`` of the stage (needed for the ``lsoa`` route).
    vintage : {2019, 2025}, optional
        The evaluation's ``imd_vintage`` (needed for the ``imd_score`` route).
    file : str, optional
        The source as written in evaluation.yaml, for messages.

    Returns
    -------
    Deprivation

    Raises
    ------
    toolkit.errors.DataError
        When none of ``imd_decile``, ``lsoa`` or ``imd_score`` is mapped, or a
        score is text.
    """
    cols = set(data.columns)
    if "imd_decile" in cols:
        out = data.copy()
        dec = pd.to_numeric(out["imd_decile"], errors="coerce")
        text = dec.isna() & out["imd_decile"].notna() & out["imd_decile"].astype("string").str.strip().ne("")
        if text.any():
            rows = tuple(int(i) + 2 for i in np.flatnonzero(text.to_numpy())[:5])
            raise DataError("The baseline data cannot be used as it is:", [Problem(
                f"IMD deciles must be whole numbers 1 to 10, not text (e.g. {out['imd_decile'][text].iloc[0]!r})",
                file=file, column="imd_decile", rows=rows, count=int(text.sum()),
                fix="use national IMD deciles, 1 = most deprived")])
        out["imd_decile"] = dec
        audit = _simple_audit(dec, "IMD decile given in the data")
        n = len(out)
        sentence = (f"The data give each row's IMD decile; {n - int(dec.isna().sum()):,} of {n:,} rows have one"
                    + (f" and {int(dec.isna().sum()):,} are blank." if dec.isna().any() else "."))
        return Deprivation(out, "imd_decile", audit, sentence)
    if "lsoa" in cols:
        if attach_imd is None:
            raise DataError("an LSOA code is mapped but no IMD lookup was given", column="lsoa",
                            fix="pass attach_imd=ctx.attach_imd")
        result = attach_imd(data, "lsoa")
        out = result.data.drop(columns=[c for c in ("imd_quintile", "imd_rank", "imd_score", "core20")
                                        if c in result.data.columns])
        audit = result.audit[["category", "description", "rows", "share", "distinct_codes", "example_codes"]].copy()
        audit["share"] = audit["share"] * 100
        return Deprivation(out, "lsoa", audit.reset_index(drop=True), result.describe())
    if "imd_score" in cols:
        if vintage is None:
            raise DataError("an IMD score is mapped but evaluation.yaml sets no imd_vintage", column="imd_score",
                            fix="add `imd_vintage: 2025`")
        out = data.copy()
        s = pd.to_numeric(out["imd_score"], errors="coerce")
        text = s.isna() & out["imd_score"].notna()
        if text.any():
            rows = tuple(int(i) + 2 for i in np.flatnonzero(text.to_numpy())[:5])
            raise DataError("The baseline data cannot be used as it is:", [Problem(
                "IMD scores must be numbers", file=file, column="imd_score", rows=rows,
                count=int(text.sum()), fix="clean the score column")])
        dec = decile_from_score(s.to_numpy(dtype="float64", na_value=np.nan), national_score_cutoffs(vintage))
        out["imd_decile"] = dec
        audit = _simple_audit(pd.Series(dec), f"IMD score placed in its national IMD {vintage} decile")
        miss = int(np.isnan(dec).sum())
        sentence = (f"Each row's IMD score was placed against the national IMD {vintage} decile cut-offs; "
                    f"{len(out) - miss:,} of {len(out):,} rows have a score.")
        return Deprivation(out, "imd_score", audit, sentence)
    raise DataError("The baseline data has no deprivation column:", [Problem(
        "none of the roles lsoa, imd_decile or imd_score is mapped", file=file, column="imd_decile",
        fix="map one of them under data.sources.<name>.columns, e.g. `lsoa: lsoa21_code`")])
