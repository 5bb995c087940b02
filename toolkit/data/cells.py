"""Records to analysis cells, written once in Ibis: cleaning rules, exclusions, the IMD join and its audit.

This is the toolkit's one aggregation path from records to cells; it runs on any
:class:`toolkit.data.engine.Engine` (DuckDB by default; PostgreSQL, Spark).  It is
what :func:`toolkit.data.aggregate.aggregate`, the baseline stage's data step
(:func:`toolkit.baseline.aggregate_source`) and the benchmarks run.

Rules (identical on every engine):

- text values are trimmed, blank is missing (:func:`text`);
- numbers: numeric columns as they are, booleans as 0/1, text parsed as a decimal
  number (unparseable text is missing); sums count a missing value as 0 unless the
  role is in ``exclude_missing``;
- exclusions: a row with a missing value in a role of ``exclude_missing`` is left
  out and counted under the first such role (order of precedence);
- IMD: the distinct LSOA codes (a few thousand) come back with their row counts,
  :mod:`toolkit.data.lsoa_vintage` categorises them and applies the vintage guard,
  and the code → decile table of those codes is pushed to the engine and joined
  there (quintile = ``(decile + 1) // 2``, Core20 = decile ≤ 2).
"""

from __future__ import annotations

from typing import Mapping, Sequence

import pandas as pd

from toolkit.data.engine import Engine
from toolkit.errors import DataError, Problem

__all__ = ["aggregate_table", "group_rows", "text", "to_number"]

IMD_ROLES = ("imd_decile", "imd_quintile", "core20")
_NUMBER = r"^\s*[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?\s*$"


def text(col):
    """A value as trimmed text; blank is missing."""
    return col.cast("string").strip().nullif("")


def to_number(engine: Engine, col, kind: str = "numeric"):
    """A column as float64: numbers as they are, booleans 0/1, text parsed (unparseable text is missing)."""
    import ibis

    dtype = col.type()
    if not (dtype.is_numeric() or dtype.is_boolean() or dtype.is_string()):
        raise DataError(f"Column '{col.get_name()}' holds {dtype} values, which cannot be counted or summed.", [
            Problem(f"the column's type is {dtype}, not a number", column=col.get_name(),
                    fix="map a numeric column (0/1 or counts) to this role, or cast it in a query: source")])
    if dtype.is_numeric():
        return col.cast("float64")
    if dtype.is_boolean():
        return col.cast("int32").cast("float64")
    t = text(col)
    if engine.kind == "duckdb":
        num = t.try_cast("float64")
    else:  # text inf, infinity and NaN read as DuckDB reads them (PostgreSQL and Spark differ)
        low = t.lower()
        special = [(low.re_search(r"^\+?inf(inity)?$"), ibis.literal("Infinity").cast("float64")),
                   (low.re_search(r"^-inf(inity)?$"), ibis.literal("-Infinity").cast("float64")),
                   (low.re_search(r"^[+-]?nan$"), ibis.literal("NaN").cast("float64"))]
        if engine.kind == "postgres":  # no TRY_CAST: parse only what is a number
            num = ibis.cases((t.re_search(_NUMBER), t.cast("float64")), *special, else_=ibis.null("float64"))
        else:
            num = ibis.cases(*special, else_=t.try_cast("float64"))
    if kind == "binary":
        low = t.lower()
        num = ibis.cases((low.isin(["true", "yes"]), 1.0), (low.isin(["false", "no"]), 0.0), else_=num)
    return num


def imd_map(engine: Engine, table, column: str, vintage: int, *, allow_mismatch: bool, file: str):
    """Vintage guard on the distinct codes (weighted by rows), the audit, and the code → decile table on the engine."""
    from toolkit.data.imd_reference import MISMATCH_TOLERANCE, code_vintage, load_imd
    from toolkit.data.lsoa_vintage import detect_lsoa_vintage

    v = code_vintage(vintage)
    code = text(table[column])
    codes = engine.collect(table.group_by(code=code).aggregate(n=table.count()))
    # sorted so that the audit's examples are the same on every engine (NULL, the blank code, first)
    codes = codes.assign(__null=codes["code"].isna()).sort_values(["__null", "code"], ascending=[False, True],
                                                                   kind="stable").reset_index(drop=True)
    report = detect_lsoa_vintage(codes["code"])
    cat = report.categories.to_numpy()
    weights = codes["n"].to_numpy(dtype="int64")
    rows = {k: int(weights[cat == k].sum()) for k in report.counts}
    english = sum(rows[k] for k in ("both", "2011_only", "2021_only", "neither"))
    other = "2011" if v.boundary == "2021" else "2021"
    n_other = rows[f"{other}_only"]
    if not allow_mismatch and english and n_other > MISMATCH_TOLERANCE * english:
        other_year = 2019 if vintage == 2025 else 2025
        raise DataError(
            f"Cannot attach IMD {v.year} deprivation: the LSOA codes look like {other} LSOAs, "
            f"but IMD {v.year} uses {v.boundary} LSOAs.",
            [Problem(f"{n_other:,} rows ({n_other / english:.1%} of rows with an English LSOA code) hold codes "
                     f"that exist only in the {other} LSOA set (e.g. {', '.join(report.examples[f'{other}_only'])})",
                     file=file, column=column, count=n_other,
                     fix=f"set imd_vintage: {other_year}, or convert the codes to {v.boundary} LSOAs; set "
                         "allow_vintage_mismatch: true only to keep those rows unmatched")],
        )
    audit = pd.DataFrame([
        {"category": "matched" if k in ("both", f"{v.boundary}_only") else k, "rows": rows[k],
         "distinct_codes": report.distinct[k], "example_codes": ", ".join(report.examples[k])}
        for k in report.counts if rows[k]
    ]).groupby("category", sort=False, as_index=False).agg(
        rows=("rows", "sum"), distinct_codes=("distinct_codes", "sum"), example_codes=("example_codes", "first"))
    lookup = load_imd(v.year).set_index("lsoa_code")["imd_decile"]
    known = codes["code"].notna().to_numpy()
    keys = codes.loc[known, "code"].astype(str)
    dec = lookup.reindex(keys.str.upper().to_numpy())
    hit = dec.notna().to_numpy()
    frame = pd.DataFrame({"__code": keys.to_numpy()[hit], "__dec": dec.to_numpy()[hit].astype("int8")})
    return engine.upload(frame, {"__code": "string", "__dec": "int8"}, "imd"), audit


def group_rows(engine: Engine, table, keys: Mapping[str, object], aggs: Mapping[str, object]) -> pd.DataFrame:
    """``SELECT keys, aggs FROM table GROUP BY keys`` on the engine (``rows`` is always added)."""
    return engine.collect(table.group_by(**keys).aggregate(rows=table.count(), **aggs))


def aggregate_table(engine: Engine, table, *, roles: Mapping[str, str], by: Sequence[str] = (),
                    sums: Sequence[str] = (), means: Sequence[str] = (), exclude_missing: Sequence[str] = (),
                    imd_vintage: int | None = None, lsoa: str = "lsoa", allow_vintage_mismatch: bool = False,
                    ethnicity_codes: Mapping[str, str] | None = None, ethnicity: str = "ethnicity",
                    file: str = "data") -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """One ``GROUP BY`` of the records to cells on the engine; see :func:`toolkit.data.aggregate.aggregate`.

    Returns
    -------
    (pandas.DataFrame, pandas.DataFrame or None)
        The grouped rows with ``__excluded`` (the exclusion reason, missing for
        rows that count), ``rows``, the sums and means; and the IMD audit.
    """
    import ibis

    t = table
    audit = None
    imd = eth = None
    if imd_vintage is not None:
        imd, audit = imd_map(engine, t, roles[lsoa], imd_vintage, allow_mismatch=allow_vintage_mismatch, file=file)
    eth_role = ethnicity_codes is not None and ethnicity in by
    if eth_role:
        codes = pd.DataFrame({"__eth_code": [str(k).strip() for k in ethnicity_codes],
                              "__eth_group": [str(v) for v in ethnicity_codes.values()]})
        eth = engine.upload(codes, {"__eth_code": "string", "__eth_group": "string"}, "eth")
    # one projection: every value the query needs, computed once per row
    cols = {}
    for role in by:
        if role in IMD_ROLES and imd is not None:
            continue
        if role == ethnicity and eth_role:
            cols["__eth_text"] = text(t[roles[ethnicity]])
            continue
        cols[f"__by_{role}"] = t[roles[role]]
    if imd is not None:
        cols["__lsoa_text"] = text(t[roles[lsoa]])
    reasons = [r for r in exclude_missing]
    if reasons:
        cols["__excluded"] = ibis.cases(*[(text(t[roles[r]]).isnull(), f"a missing {r}") for r in reasons],
                                        else_=ibis.null("string"))
    else:
        cols["__excluded"] = ibis.null("string")
    for role in sums:
        cols[f"__sum_{role}"] = to_number(engine, t[roles[role]], "count").fill_null(0.0)
    for role in means:
        cols[f"__mean_{role}"] = to_number(engine, t[roles[role]], "numeric")
    rel = t.select(**cols)
    if imd is not None:
        rel = rel.left_join(imd, rel["__lsoa_text"] == imd["__code"])
    if eth is not None:
        rel = rel.left_join(eth, rel["__eth_text"] == eth["__eth_code"])
    keys = {}
    for role in by:
        if role == "imd_decile" and imd is not None:
            keys[role] = rel["__dec"]
        elif role == "imd_quintile" and imd is not None:
            keys[role] = ((rel["__dec"] + 1) // 2).cast("int8")
        elif role == "core20" and imd is not None:
            keys[role] = rel["__dec"] <= 2
        elif role == ethnicity and eth_role:
            keys[role] = rel["__eth_group"].coalesce(
                ibis.cases((rel["__eth_text"].isnull(), "Not stated"), else_="Code not in list"))
        else:
            keys[role] = rel[f"__by_{role}"]
    keys["__excluded"] = rel["__excluded"]
    aggs = {role: rel[f"__sum_{role}"].sum() for role in sums}
    aggs.update({f"{role}_mean": rel[f"__mean_{role}"].mean() for role in means})
    out = engine.collect(rel.group_by(**keys).aggregate(rows=rel.count(), **aggs))
    return out[[*by, "__excluded", "rows", *sums, *[f"{m}_mean" for m in means]]], audit
