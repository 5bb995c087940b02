"""Give every baseline row a national IMD decile: from an LSOA code, a decile or a score.

Four routes, chosen by which role the source maps (in this order of preference):

1. ``imd_decile`` — the analyst's own national decile (1 = most deprived), used as given;
2. ``area`` with a lookup — any area code (a practice, a ward, an older LSOA) joined to
   an area → IMD decile lookup the analyst supplies as another data source
   (:func:`read_lookup`; its columns mapped to the roles ``area`` and ``imd_decile``);
3. ``lsoa`` — an LSOA code joined to the toolkit's built-in IMD lookup of the
   evaluation's ``imd_vintage`` (:meth:`toolkit.evaluations.context.StageContext.attach_imd`,
   which keeps unmatched rows, audits them and credits the OGL data);
4. ``imd_score`` — an IMD score (an LSOA's, or a population-weighted mean for a practice)
   placed against the national decile cut-offs of IMD 2025 LSOA scores.

Rows without a decile are kept (missing decile) and audited, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from toolkit.errors import DataError, Problem

__all__ = ["Deprivation", "attach_deprivation", "national_score_cutoffs", "decile_from_score", "read_lookup",
           "join_lookup"]


@dataclass(frozen=True)
class Deprivation:
    """Rows with ``imd_decile`` attached, and how well they matched.

    Attributes
    ----------
    data : pandas.DataFrame
        The input rows in their order, with ``imd_decile`` (nullable integer).  From the
        DuckDB route (:func:`toolkit.baseline.records.aggregate_source`) the distinct
        combinations of the raw values instead, each with ``rows``, the records it stands for.
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
        """Rows kept without a decile."""
        return int(self.audit["rows"].sum() - self.audit.loc[self.audit["category"] == "matched", "rows"].sum())


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


def read_lookup(ctx, name: str) -> pd.DataFrame:
    """Read an area → IMD decile lookup named under ``data.sources`` (roles ``area`` and ``imd_decile``).

    Returns
    -------
    pandas.DataFrame
        ``area`` and ``imd_decile``; ``attrs`` holds ``file`` (as written in
        evaluation.yaml) and ``sha256`` of each file read (the runner fingerprints
        only stage sources, so the template records these).

    Raises
    ------
    toolkit.errors.ConfigError, toolkit.errors.DataError
        When no such source exists, or it does not map both roles.
    """
    from toolkit.data.sources import read_source, resolve_source, source_fingerprints
    from toolkit.errors import ConfigError

    sources = ctx.evaluation.config.data.sources
    if name not in sources:
        raise ConfigError(f"The IMD lookup '{name}' is not a data source.", [Problem(
            "no such source", where=f"stages.{ctx.stage.name}.parameters.imd_lookup",
            fix=f"name one of data.sources ({', '.join(sources) or 'none defined'}) or leave imd_lookup empty")])
    source = sources[name]
    missing = [r for r in ("area", "imd_decile") if r not in source.columns]
    if missing:
        raise ConfigError(f"The IMD lookup '{name}' does not map {' and '.join(missing)}.", [Problem(
            f"role '{r}' not mapped", where=f"data.sources.{name}.columns",
            fix=f"add `{r}: <your column name>`") for r in missing])
    files = resolve_source(name, source, ctx.evaluation.folder)
    out = read_source(files, {"area": source.columns["area"], "imd_decile": source.columns["imd_decile"]})
    out.attrs.update(file=source.label, sha256=source_fingerprints(files))
    return out


def _key(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.upper().replace("", pd.NA)


def join_lookup(data: pd.DataFrame, lookup: pd.DataFrame, *, file: str | None = None) -> Deprivation:
    """Give each row the decile of its ``area`` from an area → IMD decile lookup.

    Codes are compared after trimming spaces and upper-casing.  Rows whose area
    is blank or not in the lookup are kept with no decile and counted.

    Raises
    ------
    toolkit.errors.DataError
        When the lookup gives one area two different deciles, or a decile that
        is not a whole number 1-10 (naming the lookup file and its rows).
    """
    lk_file = lookup.attrs.get("file", "the IMD lookup")
    key = _key(lookup["area"]).reset_index(drop=True)
    dec = pd.to_numeric(lookup["imd_decile"], errors="coerce").reset_index(drop=True)
    bad = (~dec.isin(range(1, 11))).to_numpy()
    if bad.any():
        rows = tuple(int(i) + 2 for i in np.flatnonzero(bad)[:5])
        raise DataError("The IMD lookup cannot be used as it is:", [Problem(
            "IMD deciles in the lookup must be whole numbers 1 to 10", file=lk_file, column="imd_decile",
            rows=rows, count=int(bad.sum()), fix="use national IMD deciles, 1 = most deprived")])
    pairs = pd.DataFrame({"k": key, "d": dec}).dropna(subset=["k"])
    clash = pairs.drop_duplicates().duplicated("k", keep=False)
    if clash.any():
        clashing = pairs.drop_duplicates()[clash]["k"]
        mask = key.isin(clashing).to_numpy()
        rows = tuple(int(i) + 2 for i in np.flatnonzero(mask)[:5])
        raise DataError("The IMD lookup cannot be used as it is:", [Problem(
            f"area {clashing.iloc[0]!r} has more than one IMD decile", file=lk_file, column="area", rows=rows,
            count=int(mask.sum()), fix="keep one decile per area")])
    table = pairs.drop_duplicates("k").set_index("k")["d"]
    out = data.copy()
    k = _key(out["area"])
    out["imd_decile"] = k.map(table).astype("Float64").to_numpy(dtype="float64", na_value=np.nan)
    audit, sentence = _lookup_audit(k, out["imd_decile"].to_numpy(), lk_file)
    return Deprivation(out, "area", audit, sentence)


def _lookup_audit(k: pd.Series, decile: np.ndarray, lk_file: str, weights: np.ndarray | None = None,
                  order: np.ndarray | None = None) -> tuple[pd.DataFrame, str]:
    """Audit and sentence of a lookup join: ``k`` the trimmed, upper-cased areas, ``decile`` joined.

    With ``weights`` each area stands for that many rows and ``order`` (its first row) puts
    the example codes in row order (the DuckDB route of :mod:`toolkit.baseline.records`).
    """
    w = np.ones(len(k), dtype="int64") if weights is None else np.asarray(weights, dtype="int64")
    is_blank = k.isna().to_numpy()
    no_decile = np.isnan(decile)
    n = int(w.sum())
    blank = int(w[is_blank].sum())
    missing = int(w[no_decile].sum()) - blank
    matched = n - blank - missing
    share = (lambda x: x / n * 100 if n else np.nan)
    audit = pd.DataFrame({
        "category": ["matched", "blank", "not_in_lookup"],
        "description": ["area found in the lookup", "blank area code", "area code not in the lookup"],
        "rows": [matched, blank, missing], "share": [share(matched), share(blank), share(missing)]})
    unmatched = np.flatnonzero(no_decile & ~is_blank)
    if order is not None:
        unmatched = unmatched[np.argsort(np.asarray(order)[unmatched], kind="stable")]
    examples = k.iloc[unmatched].drop_duplicates().head(5).tolist()
    sentence = (f"{matched:,} of {n:,} rows ({share(matched):.1f}%) were matched to an IMD decile through {lk_file}"
                + (f"; {n - matched:,} were kept without one ({blank:,} blank, {missing:,} not in the lookup"
                   + (f", e.g. {', '.join(examples)}" if examples else "") + ")" if n - matched else "") + ".")
    return audit, sentence


def attach_deprivation(data: pd.DataFrame, *, attach_imd: Callable | None = None, vintage: int | None = None,
                       lookup: pd.DataFrame | None = None, file: str | None = None, columns=None) -> Deprivation:
    """Attach a national IMD decile to every row by the route the column roles allow.

    Parameters
    ----------
    data : pandas.DataFrame
        The source with columns under their role names.
    attach_imd : callable, optional
        ``ctx.attach_imd`` of the stage (needed for the ``lsoa`` route).
    vintage : {2019, 2025}, optional
        The evaluation's ``imd_vintage`` (needed for the ``imd_score`` route).
    lookup : pandas.DataFrame, optional
        An area → IMD decile lookup from :func:`read_lookup` (with the ``area`` role).
    file : str, optional
        The source as written in evaluation.yaml, for messages.
    columns : mapping, optional
        ``{role: the analyst's column}``, so that messages name the analyst's columns.

    Returns
    -------
    Deprivation

    Raises
    ------
    toolkit.errors.DataError
        When none of ``imd_decile``, ``lsoa``, ``imd_score`` (or ``area`` with a
        lookup) is mapped, or a score is text.
    """
    from toolkit.baseline.aggregate import name_columns

    try:
        return _attach(data, attach_imd, vintage, lookup, file)
    except DataError as exc:
        raise name_columns(exc, columns) from None


def _attach(data, attach_imd, vintage, lookup, file) -> Deprivation:
    cols = set(data.columns)
    if lookup is not None and "imd_decile" not in cols:
        if "area" not in cols:
            raise DataError("An IMD lookup is given but the data maps no area column:", [Problem(
                "role 'area' not mapped", file=file, column="area",
                fix="map `area: <your area code column>` under data.sources.<name>.columns")])
        return join_lookup(data, lookup, file=file)
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
        fix="map one of them under data.sources.<name>.columns, e.g. `lsoa: lsoa21_code`, or map `area:` "
            "and name an area -> IMD lookup in the stage parameter imd_lookup")])
